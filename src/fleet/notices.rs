//! Notices: the messages sent to masters (or orchestrators) about something they may decide — a
//! request, an escalation, an action, a day's brief. The outbox remembers each one it delivers
//! (`store::Change::notice`), so that when the subject is decided every copy is edited in place to
//! say so and loses its buttons.

use crate::app::App;

/// Edits every notice about `subject` to show `outcome` under its text, without buttons.
pub async fn settle(app: &App, subject: u64, outcome: &str) {
    settle_with_header(app, subject, None, outcome).await
}

/// The same, with the notice's first line replaced by `header` (a request card's "— pending
/// review" becomes "— being set up"), so no card contradicts what it shows.
pub async fn settle_with_header(app: &App, subject: u64, header: Option<&str>, outcome: &str) {
    for n in app.store.notices(subject).unwrap_or_default() {
        let text = match (header, n.text.split_once('\n')) {
            (Some(header), Some((_, rest))) => format!("{header}\n{rest}"),
            (Some(header), None) => header.to_string(),
            (None, _) => n.text.clone(),
        };
        let edited = format!("{text}\n\n{outcome}");
        if let Err(e) = app.notifier.edit(n.chat, n.message, &edited, &[]).await {
            tracing::debug!(error = %e, "could not settle a notice");
        }
    }
}

/// "by master 123 at 10:02 UTC": who decided, for an outcome line.
pub fn time(now: chrono::DateTime<chrono::Utc>) -> String {
    now.format("%H:%M UTC").to_string()
}
