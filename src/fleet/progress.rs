//! The live progress view of a provisioning job: one message per master (and one in the client's
//! chat) edited in place as the steps complete. Pure text composition.

use crate::domain::agent::{Job, JobState, Step};
use crate::i18n::Tr;

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
