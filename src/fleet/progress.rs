//! The live progress view of a provisioning job: one message per master (and one in the client's
//! chat) edited in place as the steps complete. Sent straight through `App::notifier`: a view lost
//! in a crash is redrawn by the next step.

use crate::app::App;
use crate::domain::agent::{Agent, Job, JobState, Step};
use crate::i18n::Tr;
use crate::store::Change;

/// The masters' detailed view.
pub fn master_view(job: &Job, provisioner: &str, tr: &Tr) -> String {
    let args = [("name", (&job.agent).into()), ("provisioner", provisioner.into())];
    let mut out = match &job.state {
        JobState::Running => tr.t_args("progress-running", &args),
        JobState::Done => tr.t_args("progress-done", &args),
        JobState::Deployed => tr.t_args("progress-deployed", &args),
        JobState::Failed { .. } => tr.t_args("progress-failed", &args),
    };
    if provisioner == "dry-run" {
        out.push('\n');
        out.push_str(&tr.t("progress-dry-run"));
    }
    for step in Step::ALL {
        let record = job.log.iter().rev().find(|r| r.step == step);
        let (icon, note) = match (record, &job.state) {
            (Some(r), _) if r.finished_at.is_some() => ("✅", r.outcome.clone().filter(|o| o != "ok")),
            (Some(r), JobState::Failed { .. }) if step == job.step => ("❌", r.outcome.clone()),
            (Some(r), _) => {
                ("⏳", r.outcome.clone().map(|o| tr.t_args("progress-retrying", &[("error", (&o).into())])))
            }
            (None, _) => ("▫️", None),
        };
        out.push_str(&format!("\n{icon} {}. {}", step.number(), tr.t(step.key())));
        if let Some(n) = note {
            out.push_str(&format!(" — {n}"));
        }
    }
    if let JobState::Failed { error } = &job.state {
        out.push_str("\n\n");
        out.push_str(&tr.t_args("progress-error", &[("error", error.into())]));
    }
    out
}

/// When a client's agent is live, their progress message links to their bot: [💬 Open @bot].
fn open_bot(app: &App, job: &Job, chat: i64) -> Vec<Vec<(String, String)>> {
    if app.config.is_master(chat) || !matches!(job.state, JobState::Done) {
        return Vec::new();
    }
    let Ok(Some(agent)) = app.store.agent(&job.agent) else { return Vec::new() };
    let lang = app.store.contact_by_user(chat).ok().flatten().map(|c| c.lang).unwrap_or_else(|| "en".into());
    let label = app.content.i18n.tr(&lang).t_args("button-open-bot", &[("bot", (&agent.bot_username).into())]);
    vec![vec![(label, crate::services::telegram::t_me(&agent.bot_username))]]
}

/// "👤 #12 acme-helper · anna@acme.io · … · approved by auto-approval".
fn owner_line(app: &App, agent: &str, tr: &Tr) -> Option<String> {
    let contact_id = app.store.agent(agent).ok()??.contact_id?;
    let contact = app.store.contact(contact_id).ok()??;
    let by = app.store.decision(contact_id).ok()?.map(|d| d.by.to_string()).unwrap_or_else(|| "-".into());
    let who = super::people::who(app, tr, &contact);
    Some(tr.t_args("progress-owner", &[("who", who.as_str().into()), ("by", by.as_str().into())]))
}

/// Opens the job's progress messages: one per master, and one in the client's chat.
pub async fn open(app: &App, job: &mut Job, agent: &Agent) {
    let mut chats: Vec<i64> = app.config.master_ids.clone();
    if agent.contact_id.is_some() && !chats.contains(&agent.owner_user_id) {
        chats.push(agent.owner_user_id);
    }
    for chat in chats {
        match app.notifier.send(chat, &view_for(app, job, chat), &[]).await {
            Ok(id) => job.progress.push((chat, id)),
            Err(e) => tracing::warn!(chat, error = %e, "could not open a progress message"),
        }
    }
    if let Err(e) = app.commit(&Change { job: Some(job.clone()), ..Change::default() }) {
        tracing::warn!(error = %e, "could not save the progress message ids");
    }
}

/// Edits every progress message to the job's current state ("not modified" is fine).
pub async fn refresh(app: &App, job: &Job) {
    for (chat, message) in &job.progress {
        let text = view_for(app, job, *chat);
        if let Err(e) = app.notifier.edit(*chat, *message, &text, &open_bot(app, job, *chat)).await {
            tracing::debug!(error = %e, "progress message not edited");
        }
    }
}

fn view_for(app: &App, job: &Job, chat: i64) -> String {
    if app.config.is_master(chat) {
        let tr = app.master_tr();
        let view = master_view(job, app.provisioner.kind(), &tr);
        // Under the header: whose agent it is and who approved it (a client's; a master's own
        // spawn has no contact).
        return match (owner_line(app, &job.agent, &tr), view.split_once('\n')) {
            (Some(owner), Some((header, rest))) => format!("{header}\n{owner}\n{rest}"),
            (Some(owner), None) => format!("{view}\n{owner}"),
            (None, _) => view,
        };
    }
    let lang = app.store.contact_by_user(chat).ok().flatten().map(|c| c.lang).unwrap_or_else(|| "en".into());
    let tr = app.content.i18n.tr(&lang);
    match &job.state {
        JobState::Running => tr.t_args(
            "progress-client",
            &[
                ("name", (&job.agent).into()),
                ("step", (job.step.number() as i64).into()),
                ("total", (Step::ALL.len() as i64).into()),
            ],
        ),
        JobState::Done => tr.t_args("progress-client-done", &[("name", (&job.agent).into())]),
        JobState::Deployed => tr.t_args("progress-client-deployed", &[("name", (&job.agent).into())]),
        JobState::Failed { .. } => tr.t_args("progress-client-failed", &[("name", (&job.agent).into())]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::content::Content;
    use crate::domain::agent::StepRecord;
    use chrono::Utc;

    fn job() -> Job {
        Job {
            id: 1,
            agent: "peter".into(),
            step: Step::CreateApp,
            state: JobState::Running,
            attempts: 1,
            app_id: None,
            deployment_id: None,
            deployments_before: None,
            log: Vec::new(),
            progress: Vec::new(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn shows_done_current_and_waiting_steps() {
        let now = Utc::now();
        let mut j = job();
        j.log.push(StepRecord {
            step: Step::CheckName,
            started_at: now,
            finished_at: Some(now),
            outcome: Some("ok".into()),
        });
        j.log.push(StepRecord {
            step: Step::Guacamole,
            started_at: now,
            finished_at: Some(now),
            outcome: Some("skipped".into()),
        });
        j.log.push(StepRecord {
            step: Step::CreateApp,
            started_at: now,
            finished_at: None,
            outcome: Some("HTTP 500".into()),
        });
        let content = Content::embedded().unwrap();
        let tr = content.i18n.tr("en");
        let v = master_view(&j, "coolify", &tr);
        assert!(v.starts_with("⚙️ Setting up peter (coolify)"), "{v}");
        assert!(v.contains("✅ 1. check the name is free\n"), "{v}");
        assert!(v.contains("✅ 2. pre-register the desktop in Guacamole — skipped"), "{v}");
        assert!(v.contains("⏳ 3. create the app — retrying: HTTP 500"), "{v}");
        assert!(v.contains("▫️ 7. wait for the deployment"), "{v}");
        assert!(!v.contains("DRY RUN"));
        j.state = JobState::Failed { error: "Coolify said no".into() };
        let v = master_view(&j, "dry-run", &tr);
        assert!(
            v.contains("❌ 3. create the app — HTTP 500")
                && v.contains("Error: Coolify said no")
                && v.contains("DRY RUN"),
            "{v}"
        );
    }
}
