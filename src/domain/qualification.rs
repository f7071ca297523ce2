//! The qualification score of §7.7, from the answers and the email domain. The questions, options and
//! points are data (`dialogues/onboarding.toml`, see `content::Qualification`); this is the arithmetic.

use crate::content::{Qualification, QuestionKind};
use std::collections::BTreeMap;

/// Where the score sends the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Qualified,
    ContactTrack,
}

pub fn score(q: &Qualification, email_domain: &str, answers: &BTreeMap<String, String>) -> u32 {
    let company_email = !q.free_mail_domains.iter().any(|d| d == email_domain);
    let mut total = q.base + if company_email { q.company_email_points } else { 0 };
    for question in &q.questions {
        let Some(answer) = answers.get(&question.id) else {
            continue;
        };
        total += match &question.kind {
            QuestionKind::Choice { options } => options.iter().find(|o| &o.id == answer).map_or(0, |o| o.points),
            QuestionKind::Text { points, .. } => *points,
        };
    }
    total
}

pub fn track(q: &Qualification, score: u32) -> Track {
    if score >= q.threshold {
        Track::Qualified
    } else {
        Track::ContactTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Content;

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_seed_table() {
        let content = Content::embedded().unwrap();
        let q = &content.onboarding.qualification;
        // base 50 only: free mail, general use, solo, no referral
        let a = answers(&[("use_case", "general"), ("team_size", "solo")]);
        assert_eq!(score(q, "gmail.com", &a), 50);
        assert_eq!(track(q, 50), Track::ContactTrack);
        // company domain +30
        assert_eq!(score(q, "acme.io", &a), 80);
        // specific use case +20, small team +20
        let a = answers(&[("use_case", "research"), ("team_size", "small_team")]);
        assert_eq!(score(q, "gmail.com", &a), 90);
        // company +40, referral +25, company email +30, specific +20: everything
        let a = answers(&[("use_case", "support"), ("team_size", "company"), ("referral", "FRIEND-1")]);
        assert_eq!(score(q, "acme.io", &a), 50 + 30 + 20 + 40 + 25);
        // threshold is inclusive
        assert_eq!(track(q, 70), Track::Qualified);
        assert_eq!(track(q, 69), Track::ContactTrack);
    }

    #[test]
    fn an_answer_that_is_not_an_option_scores_nothing() {
        let content = Content::embedded().unwrap();
        let q = &content.onboarding.qualification;
        let a = answers(&[("use_case", "forged"), ("team_size", "solo")]);
        assert_eq!(score(q, "gmail.com", &a), 50);
    }
}
