//! How things look in the console: a bot message as a box with its buttons numbered, an edit
//! marked as such, tap answers (toasts) and deletions as one-line notes, the mail the `log` mailer
//! did not send, and the bot's warnings.

use super::inbox::{Inbox, Mail, MsgView};
use super::output::{Output, Style};

/// A new message (`edited` false) or the new state of an edited one.
pub fn message(out: &Output, inbox: &Inbox, to: &str, message_id: i32, view: &MsgView, edited: bool) -> String {
    let (what, style) = if edited { ("edited", Style::Edit) } else { ("", Style::Header) };
    let header = format!("┌ @{} → {to} · #{message_id} {what}", view.bot);
    let mut lines = vec![out.paint(style, header.trim_end())];
    let bar = out.paint(style, "│");
    for line in view.text.lines() {
        lines.push(format!("{bar} {line}"));
    }
    for row in &view.buttons {
        let cells: Vec<String> = row.iter().map(|n| button(out, inbox, *n)).collect();
        lines.push(format!("{bar} {}", cells.join("  ")));
    }
    for row in &view.keyboard {
        let keys: Vec<String> = row.iter().map(|k| format!("[{k}]")).collect();
        lines.push(format!("{bar} ⌨️ {}", keys.join("  ")));
    }
    lines.join("\n")
}

fn button(out: &Output, inbox: &Inbox, n: usize) -> String {
    match inbox.label(n) {
        Some(b) => match &b.url {
            Some(url) if b.data.is_none() => format!("[🔗 {} → {url}]", b.label),
            _ => {
                let label = match b.style.as_deref() {
                    Some("success") => out.paint(Style::Green, &b.label),
                    Some("danger") => out.paint(Style::Red, &b.label),
                    _ => b.label.clone(),
                };
                format!("[{} {label}]", out.paint(Style::Button, &n.to_string()))
            }
        },
        None => format!("[{n}]"),
    }
}

/// `answerCallbackQuery`: the toast a phone shows briefly, or a plain acknowledgement.
pub fn toast(out: &Output, bot: &str, to: &str, text: Option<&str>) -> String {
    match text.filter(|t| !t.is_empty()) {
        Some(text) => out.paint(Style::Note, &format!("  💬 toast from @{bot} to {to}: {text}")),
        None => out.paint(Style::Dim, &format!("  ✓ @{bot} answered {to}'s tap")),
    }
}

/// `deleteMessage`: `mine` when it was the person's own message. The bot deletes a person's message
/// because it held a secret (a bot token), so its text is not repeated here.
pub fn deleted(out: &Output, bot: &str, to: &str, message_id: i32, what: Option<(bool, String)>) -> String {
    let first_line = |t: &str| {
        let line = t.lines().next().unwrap_or_default();
        let short: String = line.chars().take(60).collect();
        if short.len() < t.len() {
            format!("{short}…")
        } else {
            short
        }
    };
    let text = match what {
        Some((true, _)) => {
            format!("  🗑 @{bot} deleted {to}'s message #{message_id} (it held a secret; not repeated here)")
        }
        Some((false, text)) => format!("  🗑 @{bot} deleted its message #{message_id} to {to} ({})", first_line(&text)),
        None => format!("  🗑 @{bot} deleted message #{message_id} in {to}'s chat"),
    };
    out.paint(Style::Note, &text)
}

pub fn mail(out: &Output, mail: &Mail) -> String {
    let header = format!("✉ mail to {} — {:?} (M2O_MAILER=log: nothing was sent)", mail.to, mail.subject);
    let mut text = out.paint(Style::Mail, &header);
    text.push_str(&format!("\n{} {}", out.paint(Style::Mail, "│"), mail.text));
    if let Some(code) = mail.code() {
        text.push_str(&format!("\n{} one-time code: {} (`:code` types it)", out.paint(Style::Mail, "│"), code));
    }
    text
}

pub fn warning(out: &Output, level: &str, target: &str, message: &str) -> String {
    let style = if level == "ERROR" { Style::Error } else { Style::Warn };
    out.paint(style, &format!("⚠ {level} {target}: {message}"))
}
