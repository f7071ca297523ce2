//! `/status`: where a client's request stands, in one sentence, from their contact's state.

use super::Ctx;
use crate::domain::{Contact, ContactState};

pub fn status_text(ctx: &Ctx, contact: Option<&Contact>) -> String {
    let Some(c) = contact else {
        return ctx.t("status-none");
    };
    let key = match c.state {
        ContactState::EmailPending => "status-email-pending",
        ContactState::EmailVerified | ContactState::Qualifying => "status-qualifying",
        ContactState::Qualified => "status-qualified",
        ContactState::ContactTrack => "status-contact-track",
        ContactState::TokenValidated => "status-token-validated",
        ContactState::NameChosen | ContactState::PendingReview => "status-pending-review",
        ContactState::Waitlisted => "status-waitlisted",
        ContactState::Provisioning => "status-provisioning",
        ContactState::Live | ContactState::Active => "status-live",
        ContactState::Degraded => "status-degraded",
        ContactState::Churned => "status-churned",
        ContactState::Rejected => {
            let by_them = ctx
                .app
                .store
                .decision(c.id)
                .ok()
                .flatten()
                .is_some_and(|d| d.by == crate::domain::Actor::User(c.user_id));
            if by_them {
                "status-withdrawn"
            } else {
                "status-rejected"
            }
        }
    };
    let name = c.agent_name.clone().unwrap_or_default();
    ctx.t_args(key, &[("email", (&c.email).into()), ("name", (&name).into())])
}
