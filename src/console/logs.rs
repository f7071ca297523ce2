//! The bot's log in the console. The `log` mailer writes each mail it did not send as a WARN event
//! with `to` and `subject` fields; this layer turns those into mail (shown in full, and kept so
//! `:code` can type the one-time code) and shows the other warnings of our crate, and errors of
//! any crate, as one line each. `RUST_LOG`, when set, adds the usual log on stderr.

use super::inbox::{Inbox, Mail};
use super::output::Output;
use super::render;
use std::fmt::Write as _;
use std::sync::Arc;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{filter, Layer};

struct ConsoleLayer {
    out: Arc<Output>,
    inbox: Arc<Inbox>,
}

#[derive(Default)]
struct Fields {
    message: String,
    to: Option<String>,
    subject: Option<String>,
    rest: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.record(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.record(field, format!("{value:?}"));
    }
}

impl Fields {
    fn record(&mut self, field: &Field, value: String) {
        match field.name() {
            "message" => self.message = value,
            "to" => self.to = Some(value),
            "subject" => self.subject = Some(value),
            name => {
                let _ = write!(self.rest, " {name}={value}");
            }
        }
    }
}

impl<S: Subscriber> Layer<S> for ConsoleLayer {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        if meta.target().ends_with("mailer") {
            if let (Some(to), Some(subject)) = (fields.to.clone(), fields.subject.clone()) {
                // "… The message would have said: <text>"; keep only the text when the wording is known.
                let text = match fields.message.split_once("would have said: ") {
                    Some((_, text)) => text.to_string(),
                    None => fields.message.clone(),
                };
                let mail = Mail { to, subject, text };
                self.out.line(&render::mail(&self.out, &mail));
                self.inbox.record_mail(mail);
                return;
            }
        }
        let message = format!("{}{}", fields.message, fields.rest);
        self.out.line(&render::warning(&self.out, meta.level().as_str(), meta.target(), &message));
    }
}

/// Installs the console's log: our WARN and ERROR events, and ERROR from the libraries.
pub fn init(out: Arc<Output>, inbox: Arc<Inbox>) {
    let shown = filter::filter_fn(|meta| {
        *meta.level() == Level::ERROR || (*meta.level() == Level::WARN && meta.target().starts_with("m2o_bot"))
    });
    let console = ConsoleLayer { out, inbox }.with_filter(shown);
    let stderr = std::env::var_os("RUST_LOG").map(|_| {
        tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .with_filter(tracing_subscriber::EnvFilter::from_default_env())
    });
    let _ = tracing_subscriber::registry().with(console).with(stderr).try_init();
}
