//! Destroying an agent (a master's `/destroy`, after they confirm): its deployment is deleted (and
//! its Guacamole connection), it is marked destroyed, its name and bot are free again, a running
//! job stops, and its owner is told.

use crate::app::App;
use crate::domain::agent::{AgentState, JobState};
use crate::domain::{Actor, ContactState};
use crate::store::{AuditEntry, Change, OutboxItem, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum DestroyError {
    #[error("there is no agent {0}")]
    NotFound(String),
    #[error("{0} is already destroyed")]
    AlreadyDestroyed(String),
    /// The provisioner could not delete the deployment; nothing was marked.
    #[error("could not delete {name}'s deployment: {error}")]
    Provisioner { name: String, error: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub async fn destroy(app: &App, name: &str, by: Actor) -> Result<(), DestroyError> {
    let mut agent = app.store.agent(name)?.ok_or_else(|| DestroyError::NotFound(name.to_string()))?;
    if agent.state == AgentState::Destroyed {
        return Err(DestroyError::AlreadyDestroyed(name.to_string()));
    }
    if let Some(app_id) = &agent.app_id {
        if let Err(e) = app.provisioner.delete(app_id).await {
            return Err(DestroyError::Provisioner { name: name.to_string(), error: e.to_string() });
        }
    }
    if let Some(g) = &app.guacamole {
        if let Err(e) = g.delete_connection(&format!("{name}-desktop")).await {
            tracing::warn!(agent = name, error = %e, "could not delete the Guacamole connection");
        }
    }
    // A job still building it stops here, rather than carrying on against a deleted app.
    if let Some(task) = app.running_jobs.lock().unwrap_or_else(|e| e.into_inner()).remove(&agent.job_id) {
        task.abort();
    }
    let now = app.clock.now();
    let mut change = Change::default();
    if let Some(mut job) = app.store.job(agent.job_id)? {
        if job.state == JobState::Running {
            job.state = JobState::Failed { error: "destroyed by a master".into() };
            change.job = Some(job);
        }
    }
    if let Some(mut c) = agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()) {
        if let Ok(from) = c.move_to(ContactState::Churned, now) {
            change.audit.push(AuditEntry::transition(now, by.clone(), c.id, from, c.state, "agent destroyed"));
        }
        let tr = app.content.i18n.tr(&c.lang);
        change.outbox.push(OutboxItem::telegram(c.chat_id, tr.t_args("agent-destroyed", &[("name", name.into())])));
        change.release_name = Some(name.to_string());
        change.contact = Some(c);
    }
    change.audit.push(AuditEntry::event(now, by.clone(), agent.contact_id, "destroy", name));
    change.release_bot = Some(agent.bot_id);
    agent.state = AgentState::Destroyed;
    agent.last_event = format!("destroyed by {by}");
    agent.updated_at = now;
    change.agent = Some(agent);
    app.commit_durable(&change).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::agent::AgentState;
    use crate::fleet::approval::{self, Gate};
    use crate::fleet::testing::{Fixture, MASTER};

    #[tokio::test]
    async fn destroying_frees_the_name_and_bot_and_tells_the_owner() {
        let f = Fixture::new().await;
        let anna = f.client_with_bot("anna@acme.io", "anna_helper_bot");
        let gate = approval::confirm(&f.app, anna.id, "anna-agent", Actor::User(anna.user_id)).await.unwrap();
        assert!(matches!(gate, Gate::Approved { .. }));
        f.eventually("live", |app| {
            app.store.agent("anna-agent").ok().flatten().is_some_and(|a| a.state == AgentState::Live)
        })
        .await;
        destroy(&f.app, "anna-agent", Actor::Master(MASTER)).await.expect("destroyed");
        let agent = f.app.store.agent("anna-agent").unwrap().unwrap();
        assert_eq!(agent.state, AgentState::Destroyed);
        assert_eq!(f.app.store.contact(anna.id).unwrap().unwrap().state, ContactState::Churned);
        assert!(f.app.store.name_free("anna-agent", None).unwrap());
        assert_eq!(f.app.store.bot_holder(agent.bot_id).unwrap(), None);
        assert!(f.queued_for(anna.chat_id).iter().any(|t| t.contains("anna-agent")), "the owner is told");

        let again = destroy(&f.app, "anna-agent", Actor::Master(MASTER)).await;
        assert!(matches!(again, Err(DestroyError::AlreadyDestroyed(_))), "{again:?}");
        assert!(matches!(destroy(&f.app, "nobody", Actor::Master(MASTER)).await, Err(DestroyError::NotFound(_))));
    }
}
