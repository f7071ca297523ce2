//! The live progress view of a provisioning job: one message per master (and one in the client's
//! chat) edited in place as the steps complete. Pure text composition.

use crate::domain::agent::{Job, JobState, Step};

/// The masters' detailed view.
pub fn master_view(job: &Job, provisioner: &str) -> String {
    let mut out = match &job.state {
        JobState::Running => format!("⚙️ Setting up {} ({provisioner})", job.agent),
        JobState::Done => format!("⚡ {} is online ({provisioner})", job.agent),
        JobState::Failed { .. } => format!("❌ Setting up {} failed ({provisioner})", job.agent),
    };
    if provisioner == "dry-run" {
        out.push_str("\nDRY RUN: nothing is deployed; every step is only recorded.");
    }
    for step in Step::ALL {
        let record = job.log.iter().rev().find(|r| r.step == step);
        let (icon, note) = match (record, &job.state) {
            (Some(r), _) if r.finished_at.is_some() => ("✅", r.outcome.clone().filter(|o| o != "ok")),
            (Some(r), JobState::Failed { .. }) if step == job.step => ("❌", r.outcome.clone()),
            (Some(r), _) => ("⏳", r.outcome.clone().map(|o| format!("retrying: {o}"))),
            (None, _) => ("▫️", None),
        };
        out.push_str(&format!("\n{icon} {}. {}", step.number(), step.label()));
        if let Some(n) = note {
            out.push_str(&format!(" — {n}"));
        }
    }
    if let JobState::Failed { error } = &job.state {
        out.push_str(&format!("\n\nError: {error}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
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
        let v = master_view(&j, "coolify");
        assert!(v.starts_with("⚙️ Setting up peter (coolify)"), "{v}");
        assert!(v.contains("✅ 1. check the name is free\n"), "{v}");
        assert!(v.contains("✅ 2. pre-register the desktop in Guacamole — skipped"), "{v}");
        assert!(v.contains("⏳ 3. create the app — retrying: HTTP 500"), "{v}");
        assert!(v.contains("▫️ 7. wait for the deployment"), "{v}");
        assert!(!v.contains("DRY RUN"));
        j.state = JobState::Failed { error: "Coolify said no".into() };
        let v = master_view(&j, "dry-run");
        assert!(
            v.contains("❌ 3. create the app — HTTP 500")
                && v.contains("Error: Coolify said no")
                && v.contains("DRY RUN"),
            "{v}"
        );
    }
}
