//! Mirroring a contact to the CRM (Twenty), as the outbox delivers a `Crm` item: always the
//! contact's *current* state, so retries and reordering can only ever make the CRM more right.

use super::Attempt;
use crate::app::App;
use crate::services::twenty::{CrmError, CrmPerson};

pub async fn mirror(app: &App, contact_id: u64) -> Attempt {
    let Some(crm) = &app.crm else { return Attempt::Drop("M2O_CRM=none".into()) };
    let contact = match app.store.contact(contact_id) {
        Ok(Some(c)) => c,
        Ok(None) => return Attempt::Drop(format!("contact {contact_id} is gone")),
        Err(e) => return Attempt::Retry(e.to_string()),
    };
    let person = CrmPerson {
        email: contact.email.clone(),
        first_name: String::new(),
        state: contact.state.as_str().to_string(),
        score: contact.score,
        agent_name: contact.agent_name.clone(),
        telegram_user_id: contact.user_id,
    };
    match crm.upsert_person(&person).await {
        Ok(_) => Attempt::Done,
        Err(CrmError::Retryable(why)) => Attempt::Retry(why),
        Err(CrmError::Fatal(why)) => Attempt::Drop(why),
    }
}
