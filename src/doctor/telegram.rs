//! Telegram: the token (getMe), Bot Management Mode (`can_manage_bots`), and what Telegram does with
//! our updates (getWebhookInfo) against what the bot will do at start — set its webhook
//! (`M2O_WEBHOOK_URL`) or delete any webhook and poll. A mismatch there is not a failure: the bot
//! sets things right when it starts; the line says so.

use super::{Finding, Place};
use crate::config::Config;
use crate::services::managed_bots::{self, WebhookInfo};
use crate::services::probe::ProbeError;

pub const NAME: &str = "Telegram";

pub async fn check(config: &Config, http: &reqwest::Client) -> Finding {
    let (api, token) = (&config.api_url, config.telegram_token.as_str());
    let (me, hook) =
        tokio::join!(managed_bots::probe_me(http, api, token), managed_bots::probe_webhook(http, api, token));
    let place = Place { service: "the Bot API", url: api.to_string(), var: "TELOXIDE_API_URL" };
    let me = match me {
        Ok(me) => me,
        Err(e) => return Finding::fail(NAME, failure(&place, &e)),
    };
    let hook = match hook {
        Ok(hook) => hook,
        Err(e) => return Finding::fail(NAME, format!("getWebhookInfo failed: {}", failure(&place, &e))),
    };
    let mut parts = vec![format!("@{} (id {})", me.username, me.id)];
    parts.push(if me.can_manage_bots {
        "Bot Management Mode on".into()
    } else {
        "Bot Management Mode off (clients make their bot with @BotFather; for one-tap creation: @BotFather → your \
         bot → Bot Settings → Bot Management Mode, then restart the bot)"
            .into()
    });
    parts.extend(updates(config.webhook_url.as_ref(), &hook));
    Finding::pass(NAME, parts.join("; "))
}

fn failure(place: &Place, e: &ProbeError) -> String {
    match e {
        ProbeError::Refused { status: 401, detail } => format!(
            "the token is refused (401 {detail}). Fix: set TELOXIDE_TOKEN to the bot's current token (@BotFather → \
             /mybots → your bot → API Token); a token revoked there stops working at once"
        ),
        ProbeError::NotFound(detail) => format!(
            "{} answered 404 ({detail}): no Bot API there. Fix: unset TELOXIDE_API_URL to use api.telegram.org, or set \
             it to your Bot API server",
            place.url
        ),
        other => place.failure(other),
    }
}

/// Polling or webhook, as Telegram has it and as the bot will have it; the updates waiting; the
/// last failed delivery.
fn updates(ours: Option<&reqwest::Url>, hook: &WebhookInfo) -> Vec<String> {
    let mut notes = Vec::new();
    notes.push(match (ours, hook.url.as_str()) {
        (None, "") => "long polling, no webhook".to_string(),
        (None, theirs) => {
            format!("long polling, but a webhook to {} is set: the bot deletes it at start", host(theirs))
        }
        (Some(ours), theirs) if theirs == ours.as_str() => format!("webhook {ours} set"),
        (Some(ours), "") => format!("webhook mode: no webhook set yet; the bot sets {ours} at start"),
        (Some(ours), theirs) => {
            format!("webhook mode: a webhook to {} is set; the bot replaces it with {ours} at start", host(theirs))
        }
    });
    notes.push(match hook.pending_update_count {
        1 => "1 update waiting".to_string(),
        n => format!("{n} updates waiting"),
    });
    if let Some((date, message)) = &hook.last_error {
        let at = chrono::DateTime::from_timestamp(*date, 0)
            .map_or_else(String::new, |t| t.format(" (%Y-%m-%d %H:%M UTC)").to_string());
        notes.push(format!("Telegram's last failed delivery{at}: {message}"));
    }
    notes
}

/// Another webhook's URL by its host only: such URLs often carry a secret (a token) in the path.
fn host(url: &str) -> String {
    reqwest::Url::parse(url).ok().and_then(|u| u.host_str().map(str::to_owned)).unwrap_or_else(|| "elsewhere".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(url: &str, pending: u64, last_error: Option<(i64, &str)>) -> WebhookInfo {
        WebhookInfo {
            url: url.into(),
            pending_update_count: pending,
            last_error: last_error.map(|(d, m)| (d, m.to_string())),
        }
    }

    #[test]
    fn polling_and_webhooks_are_told_apart_and_a_foreign_webhook_shows_only_its_host() {
        let ours = reqwest::Url::parse("https://bot.example.org/telegram/hook").unwrap();
        assert_eq!(updates(None, &info("", 0, None)), ["long polling, no webhook", "0 updates waiting"]);
        assert_eq!(
            updates(None, &info("https://old.example.org/123:SECRET", 1, None))[0],
            "long polling, but a webhook to old.example.org is set: the bot deletes it at start"
        );
        assert_eq!(
            updates(Some(&ours), &info(ours.as_str(), 2, None)),
            ["webhook https://bot.example.org/telegram/hook set", "2 updates waiting"]
        );
        assert_eq!(
            updates(Some(&ours), &info("", 0, None))[0],
            "webhook mode: no webhook set yet; the bot sets https://bot.example.org/telegram/hook at start"
        );
        let notes = updates(Some(&ours), &info(ours.as_str(), 1, Some((1_795_000_000, "Connection refused"))));
        assert_eq!(notes[2], "Telegram's last failed delivery (2026-11-18 11:06 UTC): Connection refused");
    }
}
