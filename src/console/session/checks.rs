//! The console's checks: `expect:`, `expect-later:`, `expect-any:`, `expect-toast:`,
//! `expect-none`, and the `{{name}}` values their patterns capture.

use super::{lock, Session};
use crate::console::inbox::quoted;
use crate::console::output::Style;
use regex::Regex;
use std::time::Duration;
use tokio::time::Instant;

impl Session {
    /// An `expect…` line with captured `{{name}}` values filled in, escaped (anything else in
    /// braces is left to the regex).
    pub(super) fn fill_pattern(&self, line: &str) -> String {
        let vars = lock(&self.vars);
        let mut line = line.to_string();
        for (name, value) in vars.iter() {
            line = line.replace(&format!("{{{{{name}}}}}"), &regex::escape(value));
        }
        line
    }

    /// Whether `re` matches; its named groups become `{{name}}` values for later lines.
    pub(super) fn matched(&self, re: &Regex, text: &str) -> Option<String> {
        let captures = re.captures(text)?;
        let mut noted = Vec::new();
        for name in re.capture_names().flatten() {
            if let Some(m) = captures.name(name) {
                lock(&self.vars).insert(name.to_string(), m.as_str().to_string());
                noted.push(format!("{{{{{name}}}}} = {}", m.as_str()));
            }
        }
        Some(if noted.is_empty() { String::new() } else { format!(" · {}", noted.join(", ")) })
    }

    pub(super) async fn expect(&self, re: &Regex) -> Result<(), String> {
        let user = self.user();
        let who = self.who_now();
        match self.shared.inbox.next_reply(user.id, Instant::now() + self.wait).await {
            Some(reply) if self.matched(re, &reply.text).is_some() => {
                let noted = self.matched(re, &reply.text).unwrap_or_default();
                self.say_line(Style::Ok, &format!("  ✓ expect: /{re}/ (@{} #{}){noted}", reply.bot, reply.message_id));
                Ok(())
            }
            Some(reply) => {
                let mut why = format!("expect: /{re}/ did not match the next reply to {who}, {}", reply.summary());
                let after = self.shared.inbox.pending(user.id);
                if !after.is_empty() {
                    why.push_str(&format!("\n  queued after it ({}):", after.len()));
                    for r in after.iter().take(5) {
                        why.push_str(&format!("\n    {}", r.summary()));
                    }
                }
                Err(why)
            }
            None => Err(format!("expect: /{re}/: no reply to {who} within {:?}{}", self.wait, self.last_seen(user.id))),
        }
    }

    pub(super) async fn expect_later(&self, re: &Regex) -> Result<(), String> {
        let user = self.user();
        let deadline = Instant::now() + self.wait;
        let mut passed = Vec::new();
        while let Some(reply) = self.shared.inbox.next_reply(user.id, deadline).await {
            if let Some(noted) = self.matched(re, &reply.text) {
                let line = format!("  ✓ expect-later: /{re}/ (@{} #{}){noted}", reply.bot, reply.message_id);
                self.say_line(Style::Ok, &line);
                return Ok(());
            }
            self.say_line(Style::Dim, &format!("  ↷ expect-later passes over {}", reply.summary()));
            passed.push(reply.summary());
        }
        let mut why = format!("expect-later: /{re}/: no reply to {} matched within {:?}", self.who_now(), self.wait);
        if passed.is_empty() {
            why.push_str(&self.last_seen(user.id));
        } else {
            why.push_str(&format!("; passed over {}:", passed.len()));
            for p in passed.iter().rev().take(5).rev() {
                why.push_str(&format!("\n    {p}"));
            }
        }
        Err(why)
    }

    pub(super) async fn expect_any(&self, re: &Regex) -> Result<(), String> {
        let user = self.user();
        let deadline = Instant::now() + self.wait;
        match self.shared.inbox.take_matching(user.id, deadline, |r| re.is_match(&r.text)).await {
            Some(reply) => {
                let noted = self.matched(re, &reply.text).unwrap_or_default();
                self.say_line(
                    Style::Ok,
                    &format!("  ✓ expect-any: /{re}/ (@{} #{}){noted}", reply.bot, reply.message_id),
                );
                Ok(())
            }
            None => {
                let mut why =
                    format!("expect-any: /{re}/: no reply to {} matched within {:?}", self.who_now(), self.wait);
                let queued = self.shared.inbox.pending(user.id);
                why.push_str(&format!("; {} queued:", queued.len()));
                for r in queued.iter().take(8) {
                    why.push_str(&format!("\n    {}", r.summary()));
                }
                Err(why)
            }
        }
    }

    pub(super) async fn expect_toast(&self, re: &Regex) -> Result<(), String> {
        let user = self.user();
        match self.shared.inbox.latest_toast(user.id, Instant::now() + self.wait).await {
            Some(text) if re.is_match(&text) => {
                self.say_line(Style::Ok, &format!("  ✓ expect-toast: /{re}/"));
                Ok(())
            }
            Some(text) => Err(format!(
                "expect-toast: /{re}/ did not match the answer to {}'s latest tap: “{text}”",
                self.who_now()
            )),
            None => Err(format!(
                "expect-toast: /{re}/: no answer to {}'s latest tap within {:?} (or no tap yet)",
                self.who_now(),
                self.wait
            )),
        }
    }

    pub(super) async fn expect_none(&self) -> Result<(), String> {
        let user = self.user();
        match self.shared.inbox.next_reply(user.id, Instant::now() + Duration::from_secs(1)).await {
            None => {
                self.say_line(Style::Ok, "  ✓ expect-none: no reply for 1 s");
                Ok(())
            }
            Some(reply) => Err(format!("expect-none: {} got {}", self.who_now(), reply.summary())),
        }
    }

    /// "; the last message they got: …", for a timeout report.
    pub(super) fn last_seen(&self, chat: i64) -> String {
        let last = self.shared.inbox.chat(chat).into_iter().max_by_key(|(_, v)| v.seq);
        match last {
            Some((key, view)) => {
                format!(
                    "; the newest bot message in their chats: @{} #{}: {}",
                    view.bot,
                    key.message_id,
                    quoted(&view.text)
                )
            }
            None => "; no bot has written to them at all".into(),
        }
    }
}
