//! Who a person is, as every notice to a master says it: their agent's name, email, where they
//! stand in plain words and their score with its parts ("125 = 50 base + 30 company email + 20 🔎
//! Research + 25 referral FRIEND-2026"). One place, so the request card, the relayed message, the
//! lead card, the brief and the progress view name a person the same way.

use crate::app::App;
use crate::domain::qualification::{self, Part};
use crate::domain::{email, Contact, ContactState};
use crate::i18n::Tr;

/// The state in words a master reads ("waiting for review", "on the contact track").
pub fn state_label(tr: &Tr, state: ContactState) -> String {
    use ContactState::*;
    tr.t(match state {
        EmailPending => "state-email-pending",
        EmailVerified => "state-email-verified",
        Qualifying => "state-qualifying",
        Qualified => "state-qualified",
        ContactTrack => "state-contact-track",
        TokenValidated => "state-token-validated",
        NameChosen => "state-name-chosen",
        PendingReview => "state-pending-review",
        Waitlisted => "state-waitlisted",
        Provisioning => "state-provisioning",
        Live => "state-live",
        Active => "state-active",
        Degraded => "state-degraded",
        Churned => "state-churned",
        Rejected => "state-rejected",
    })
}

/// The score and what earned it; "not scored yet" before the questions are done.
pub fn score_text(app: &App, tr: &Tr, c: &Contact) -> String {
    let Some(score) = c.score else {
        return tr.t("score-none");
    };
    let parts = score_parts(app, tr, c);
    let sum: u32 = parts.iter().map(|(_, points)| points).sum();
    let words: Vec<String> = parts.iter().map(|(what, points)| format!("{points} {what}")).collect();
    if sum == score {
        format!("{score} = {}", words.join(" + "))
    } else {
        // The table changed since they were scored: the stored score decided, today's parts explain.
        tr.t_args(
            "score-changed",
            &[("score", score.into()), ("now", format!("{sum} = {}", words.join(" + ")).as_str().into())],
        )
    }
}

/// What earned the points, in words, by today's table: ("base", 50), ("company email", 30), …
pub fn score_parts(app: &App, tr: &Tr, c: &Contact) -> Vec<(String, u32)> {
    let q = &app.content.onboarding.qualification;
    qualification::breakdown(q, email::domain(&c.email), &c.answers)
        .into_iter()
        .map(|(part, points)| {
            let what = match part {
                Part::Base => tr.t("score-base"),
                Part::CompanyEmail => tr.t("score-company-email"),
                Part::Choice { question, option } => tr.t(&format!("q-{question}-{option}")),
                Part::Text { question, answer } => format!("{} {answer}", question.replace('_', " ")),
            };
            (what, points)
        })
        .collect()
}

/// One line naming the person: "#12 anna-helper · anna@acme.io · waiting for review · score 125 = …"
/// (no name before they chose one).
pub fn who(app: &App, tr: &Tr, c: &Contact) -> String {
    tr.t_args(
        "who",
        &[
            ("id", (c.id as i64).into()),
            ("name", c.agent_name.as_deref().map(|n| format!("{n} · ")).unwrap_or_default().as_str().into()),
            ("email", (&c.email).into()),
            ("state", state_label(tr, c.state).as_str().into()),
            ("score", score_text(app, tr, c).as_str().into()),
        ],
    )
}

/// The name and username Telegram's creation dialog suggests for a client's bot (one-tap
/// creation): "anna's agent", `anna_agent_bot`, from their email's local part.
pub fn suggested_bot(tr: &Tr<'_>, email: &str) -> (String, String) {
    let local = email.split('@').next().unwrap_or_default();
    let name = tr.t_args("one-tap-suggested-name", &[("name", local.into())]);
    (name, crate::services::managed_bots::suggested_username(local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::testing::Fixture;

    #[tokio::test]
    async fn every_state_has_words_and_the_score_its_parts() {
        let f = Fixture::new().await;
        for lang in crate::i18n::LANGUAGES {
            let tr = f.app.content.i18n.tr(lang);
            for state in ContactState::ALL {
                let label = state_label(&tr, state);
                assert!(!label.contains('_') && !label.starts_with("state-"), "{lang} {state:?}: {label}");
            }
        }
        let mut c = f.contact("anna@acme.io", ContactState::PendingReview);
        c.answers = [("use_case", "research"), ("team_size", "solo"), ("referral", "FRIEND-2026")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        c.score = Some(125);
        let tr = f.app.master_tr();
        assert_eq!(
            score_text(&f.app, &tr, &c),
            "125 = 50 base + 30 company email + 20 🔎 Research + 25 referral FRIEND-2026"
        );
        c.score = Some(140);
        assert!(score_text(&f.app, &tr, &c).starts_with("140 "), "the stored score decided");
        c.score = None;
        assert_eq!(score_text(&f.app, &tr, &c), "not scored yet");
        let who = who(&f.app, &tr, &c);
        assert!(who.contains("anna@acme.io") && who.contains("waiting for review"), "{who}");
    }
}
