//! What the bots did, as the console keeps it: every bot message as it is now with its buttons
//! numbered once for the whole session (so `tap N` works on old messages, and an edit that keeps a
//! button keeps its number), each person's queue of replies and tap answers for `expect…`, and the
//! mail the `log` mailer would have sent (for `:code`).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use tg_emulator::{Button, SentMessage};
use tokio::sync::Notify;
use tokio::time::Instant;

/// Replies kept per person for `expect:`; a person who never expects anything must not grow memory.
const QUEUE_LIMIT: usize = 500;

/// One message of one bot in one person's chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MsgKey {
    pub bot_id: i64,
    pub chat: i64,
    pub message_id: i32,
}

/// A numbered button: where it is and what tapping it sends.
#[derive(Debug, Clone)]
pub struct ButtonRef {
    pub key: MsgKey,
    pub label: String,
    pub data: Option<String>,
    pub url: Option<String>,
    /// The colour the bot asked for (`style`), shown on a terminal.
    pub style: Option<String>,
}

/// A bot message as it is now.
#[derive(Debug, Clone)]
pub struct MsgView {
    pub bot: String,
    pub text: String,
    /// Rows of button numbers.
    pub buttons: Vec<Vec<usize>>,
    /// Rows of reply-keyboard labels (the keys under the typing field a send put up).
    pub keyboard: Vec<Vec<String>>,
    /// When it last changed, in the order the console saw things.
    pub seq: u64,
    pub deleted: bool,
}

/// A new message or an edit in one person's chat with a bot: what `expect:` looks at.
#[derive(Debug, Clone)]
pub struct Reply {
    pub bot: String,
    pub message_id: i32,
    pub text: String,
    pub edited: bool,
}

impl Reply {
    /// One line for failure reports.
    pub fn summary(&self) -> String {
        let what = if self.edited { "edit of" } else { "new message" };
        format!("@{} {what} #{}: {}", self.bot, self.message_id, quoted(&self.text))
    }
}

/// A message's text on one line, in quotes, for reports.
pub fn quoted(text: &str) -> String {
    format!("“{}”", text.replace('\n', " ⏎ "))
}

#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
}

impl Mail {
    /// The one-time code in the mail: the first run of exactly six digits.
    pub fn code(&self) -> Option<String> {
        six_digits(&self.subject).or_else(|| six_digits(&self.text))
    }
}

fn six_digits(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).map(str::to_string)
}

#[derive(Default)]
struct State {
    seq: u64,
    /// Button N is `buttons[N - 1]`.
    buttons: Vec<ButtonRef>,
    numbers: HashMap<(MsgKey, String, String), usize>,
    messages: HashMap<MsgKey, MsgView>,
    replies: HashMap<i64, VecDeque<Reply>>,
    /// Each person's latest tap (its callback query id), and tap answers by query id.
    last_tap: HashMap<i64, String>,
    toasts: HashMap<String, String>,
    mails: Vec<Mail>,
}

#[derive(Default)]
pub struct Inbox {
    st: Mutex<State>,
    /// Woken whenever anything is recorded.
    changed: Notify,
}

impl Inbox {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Records a new message or an edit, numbering its buttons, and queues it as a reply (call
    /// [`Inbox::wake`] once it is shown).
    pub fn record_message(&self, bot_id: i64, bot: &str, message: &SentMessage, edited: bool) -> MsgView {
        let key = MsgKey { bot_id, chat: message.chat_id, message_id: message.message_id };
        let mut st = self.lock();
        st.seq += 1;
        let seq = st.seq;
        let buttons = message.buttons.iter().map(|row| row.iter().map(|b| number(&mut st, key, b)).collect()).collect();
        let view = MsgView {
            bot: bot.to_string(),
            text: message.text.clone(),
            buttons,
            keyboard: message.reply_keyboard.clone(),
            seq,
            deleted: false,
        };
        st.messages.insert(key, view.clone());
        let queue = st.replies.entry(message.chat_id).or_default();
        queue.push_back(Reply {
            bot: bot.to_string(),
            message_id: message.message_id,
            text: message.text.clone(),
            edited,
        });
        if queue.len() > QUEUE_LIMIT {
            queue.pop_front();
        }
        view
    }

    /// A person tapped: `expect-toast:` now waits for the answer to this query.
    pub fn record_tap(&self, chat: i64, query_id: &str) {
        let mut st = self.lock();
        if let Some(previous) = st.last_tap.insert(chat, query_id.to_string()) {
            st.toasts.remove(&previous);
        }
    }

    /// A tap answer; kept only if it answers someone's latest tap.
    pub fn record_toast(&self, query_id: &str, text: Option<&str>) {
        let mut st = self.lock();
        if st.last_tap.values().any(|q| q == query_id) {
            st.toasts.insert(query_id.to_string(), text.unwrap_or_default().to_string());
        }
    }

    /// Wakes whoever waits for a reply, a toast or a button. Recording does not, so that the caller
    /// can show what arrived before a waiting `expect:` reports on it.
    pub fn wake(&self) {
        self.changed.notify_waiters();
    }

    /// Marks a bot message deleted (its buttons can no longer be tapped).
    pub fn record_deleted(&self, key: MsgKey) {
        if let Some(m) = self.lock().messages.get_mut(&key) {
            m.deleted = true;
        }
    }

    pub fn record_mail(&self, mail: Mail) {
        self.lock().mails.push(mail);
        self.changed.notify_waiters();
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.lock().mails.clone()
    }

    /// Button `n`, and whether its message still shows it (not deleted, not edited away).
    pub fn button(&self, n: usize) -> Option<(ButtonRef, bool)> {
        let st = self.lock();
        let button = st.buttons.get(n.checked_sub(1)?)?.clone();
        let shown =
            st.messages.get(&button.key).is_some_and(|m| !m.deleted && m.buttons.iter().flatten().any(|b| *b == n));
        Some((button, shown))
    }

    /// The labels of button numbers, for rendering.
    pub fn label(&self, n: usize) -> Option<ButtonRef> {
        self.lock().buttons.get(n.checked_sub(1)?).cloned()
    }

    /// The newest message in `chat` that shows a button whose label contains `label`: that button.
    pub fn find_button(&self, chat: i64, label: &str) -> Option<usize> {
        let st = self.lock();
        let mut candidates: Vec<_> =
            st.messages.iter().filter(|(k, m)| k.chat == chat && !m.deleted && !m.buttons.is_empty()).collect();
        candidates.sort_by_key(|(_, m)| std::cmp::Reverse(m.seq));
        candidates
            .into_iter()
            .find_map(|(_, m)| m.buttons.iter().flatten().copied().find(|n| st.buttons[n - 1].label.contains(label)))
    }

    /// Waits until `find_button` finds one (a script may tap before the message has arrived).
    pub async fn wait_button(&self, chat: i64, label: &str, deadline: Instant) -> Option<usize> {
        self.wait_for(deadline, |inbox| inbox.find_button(chat, label)).await
    }

    /// The bot messages in `chat`, oldest first, as they are now.
    pub fn chat(&self, chat: i64) -> Vec<(MsgKey, MsgView)> {
        let st = self.lock();
        let mut all: Vec<_> =
            st.messages.iter().filter(|(k, _)| k.chat == chat).map(|(k, m)| (*k, m.clone())).collect();
        all.sort_by_key(|(k, _)| (k.bot_id, k.message_id));
        all
    }

    /// Takes the oldest reply to `chat` that no expectation took yet, waiting until `deadline`.
    pub async fn next_reply(&self, chat: i64, deadline: Instant) -> Option<Reply> {
        self.wait_for(deadline, |inbox| inbox.lock().replies.get_mut(&chat).and_then(VecDeque::pop_front)).await
    }

    /// The answer to `chat`'s latest tap (`""` for an answer without text), waiting until `deadline`.
    /// `None` also when they never tapped.
    pub async fn latest_toast(&self, chat: i64, deadline: Instant) -> Option<String> {
        self.wait_for(deadline, |inbox| {
            let st = inbox.lock();
            st.last_tap.get(&chat).and_then(|q| st.toasts.get(q)).cloned()
        })
        .await
    }

    /// Takes the oldest reply to `chat` that `matches`, leaving the others queued in order; waits
    /// until `deadline` for one.
    pub async fn take_matching(&self, chat: i64, deadline: Instant, matches: impl Fn(&Reply) -> bool) -> Option<Reply> {
        self.wait_for(deadline, |inbox| {
            let mut st = inbox.lock();
            let queue = st.replies.get_mut(&chat)?;
            let at = queue.iter().position(&matches)?;
            queue.remove(at)
        })
        .await
    }

    /// The replies to `chat` still queued, without taking them.
    pub fn pending(&self, chat: i64) -> Vec<Reply> {
        self.lock().replies.get(&chat).map(|q| q.iter().cloned().collect()).unwrap_or_default()
    }

    /// The code in the newest mail to `email` that has one, waiting until `deadline`.
    pub async fn last_code(&self, email: &str, deadline: Instant) -> Option<String> {
        self.wait_for(deadline, |inbox| {
            inbox.lock().mails.iter().rev().filter(|m| m.to.eq_ignore_ascii_case(email)).find_map(Mail::code)
        })
        .await
    }

    async fn wait_for<T>(&self, deadline: Instant, mut look: impl FnMut(&Inbox) -> Option<T>) -> Option<T> {
        loop {
            // Registered before looking, so something recorded in between still wakes us.
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(found) = look(self) {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return look(self);
            }
        }
    }
}

/// The session-wide number of a button: the same button on the same message keeps its number.
fn number(st: &mut State, key: MsgKey, b: &Button) -> usize {
    let action = b.data.clone().or_else(|| b.url.clone()).unwrap_or_default();
    let id = (key, action, b.text.clone());
    if let Some(n) = st.numbers.get(&id) {
        return *n;
    }
    st.buttons.push(ButtonRef {
        key,
        label: b.text.clone(),
        data: b.data.clone(),
        url: b.url.clone(),
        style: b.style.clone(),
    });
    let n = st.buttons.len();
    st.numbers.insert(id, n);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: i32, text: &str, buttons: &[(&str, &str)]) -> SentMessage {
        SentMessage {
            message_id: id,
            chat_id: 7,
            text: text.into(),
            kind: "text".into(),
            buttons: vec![buttons
                .iter()
                .map(|(l, d)| Button {
                    text: l.to_string(),
                    data: Some(d.to_string()),
                    url: None,
                    style: None,
                    web_app: None,
                })
                .collect()],
            reply_keyboard: Vec::new(),
        }
    }

    #[tokio::test]
    async fn buttons_keep_numbers_across_edits_and_labels_find_the_newest() {
        let inbox = Inbox::default();
        let a = inbox.record_message(1, "b", &msg(1, "q1", &[("Research", "q:1:r"), ("Other", "q:1:o")]), false);
        assert_eq!(a.buttons, vec![vec![1, 2]]);
        let b = inbox.record_message(1, "b", &msg(2, "q2", &[("Research more", "q:2:r")]), false);
        assert_eq!(b.buttons, vec![vec![3]]);
        assert_eq!(inbox.find_button(7, "Research"), Some(3));
        // An edit that keeps a button keeps its number; one that removes it makes it stale.
        let a2 = inbox.record_message(1, "b", &msg(1, "q1 edited", &[("Other", "q:1:o")]), true);
        assert_eq!(a2.buttons, vec![vec![2]]);
        assert!(inbox.button(2).unwrap().1);
        assert!(!inbox.button(1).unwrap().1);
        let deadline = Instant::now() + std::time::Duration::from_millis(10);
        let replies: Vec<_> = [
            inbox.next_reply(7, deadline).await,
            inbox.next_reply(7, deadline).await,
            inbox.next_reply(7, deadline).await,
        ]
        .into_iter()
        .map(|r| r.map(|r| (r.text, r.edited)))
        .collect();
        assert_eq!(
            replies,
            vec![Some(("q1".into(), false)), Some(("q2".into(), false)), Some(("q1 edited".into(), true))]
        );
        assert!(inbox.next_reply(7, deadline).await.is_none());
    }

    #[test]
    fn codes_are_six_digit_runs() {
        let mail = |s: &str| Mail { to: "a@b.co".into(), subject: s.into(), text: String::new() };
        assert_eq!(mail("Your code: 042133").code().as_deref(), Some("042133"));
        assert_eq!(mail("bot 1234567 and 12345").code(), None);
    }
}
