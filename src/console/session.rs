//! One console session: the emulator, the real bot on it (`App::build` + `server::start`, the `log`
//! mailer, the `dry-run` provisioner, an [`OffsetClock`]), the people, and what each line does.
//! The REPL and the script runner both feed lines to [`Session::execute`]; they differ only in what
//! they do with an error (show it, or stop the script).

use super::command::{Command, TapTarget, TimeChange};
use super::inbox::{Inbox, MsgKey};
use super::output::{Output, Style};
use super::persona::{People, Role, MASTER_ID};
use super::{agent, render, HELP};

mod checks;
use crate::app::App;
use crate::clock::{Clock, OffsetClock};
use crate::config::Config;
use crate::server::{self, Running};
use anyhow::Context as _;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tg_emulator::{botfather_user, BotEvent, BotHandle, Emulator, TestUser};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// The control bot's username in the emulator.
pub const CONTROL_BOT: &str = "m2o_console_bot";

pub struct Options {
    pub data_dir: Option<PathBuf>,
    pub review_all: bool,
    /// How long `expect:`, `tap "…"` and `:code` wait.
    pub wait: Duration,
}

/// What the line asked for next.
#[derive(Debug, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Quit,
}

/// State the event watchers share with the session.
struct Shared {
    emu: Emulator,
    out: Arc<Output>,
    inbox: Arc<Inbox>,
    people: Mutex<People>,
    /// Every bot in the emulator by username (lowercase), the control bot included.
    bots: Mutex<BTreeMap<String, BotHandle>>,
    watched: Mutex<HashSet<(i64, i64)>>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Shared {
    /// Follows what `bot` does in `user`'s chat, for the rest of the session.
    fn watch(self: &Arc<Self>, bot: &BotHandle, user: i64) {
        if !lock(&self.watched).insert((bot.id, user)) {
            return;
        }
        let (shared, bot) = (self.clone(), bot.clone());
        let task = tokio::spawn(async move {
            loop {
                if let Some(event) = shared.emu.next_event(&bot.token, user, Duration::from_secs(3600)).await {
                    shared.show(&bot, user, event);
                }
            }
        });
        lock(&self.tasks).push(task);
    }

    /// Watches every (bot, person) pair.
    fn watch_all(self: &Arc<Self>) {
        let bots: Vec<BotHandle> = lock(&self.bots).values().cloned().collect();
        let people = lock(&self.people).all();
        for bot in &bots {
            for (_, user) in &people {
                self.watch(bot, user.id);
            }
        }
    }

    /// Records an event, shows it, then wakes waiting expectations (so they report after it).
    fn show(&self, bot: &BotHandle, user: i64, event: BotEvent) {
        let to = lock(&self.people).label(user);
        let text = match event {
            BotEvent::Message(m) => {
                let view = self.inbox.record_message(bot.id, &bot.username, &m, false);
                render::message(&self.out, &self.inbox, &to, m.message_id, &view, false)
            }
            BotEvent::Edited(m) => {
                let view = self.inbox.record_message(bot.id, &bot.username, &m, true);
                render::message(&self.out, &self.inbox, &to, m.message_id, &view, true)
            }
            BotEvent::CallbackAnswered { query_id, text, .. } => {
                self.inbox.record_toast(&query_id, text.as_deref());
                render::toast(&self.out, &bot.username, &to, text.as_deref())
            }
            BotEvent::Deleted { message_id } => {
                self.inbox.record_deleted(MsgKey { bot_id: bot.id, chat: user, message_id });
                // The emulator keeps deleted messages in the transcript, the person's own included.
                let transcript = self.emu.transcript(&bot.token, user);
                let what = transcript.into_iter().find(|e| e.message_id == message_id).map(|e| (!e.from_bot, e.text));
                render::deleted(&self.out, &bot.username, &to, message_id, what)
            }
        };
        self.out.line(&text);
        self.inbox.wake();
    }

    fn bot(&self, username: &str) -> Option<BotHandle> {
        lock(&self.bots).get(&username.to_lowercase()).cloned()
    }

    fn bot_by_id(&self, id: i64) -> Option<BotHandle> {
        lock(&self.bots).values().find(|b| b.id == id).cloned()
    }
}

pub struct Session {
    shared: Arc<Shared>,
    app: Arc<App>,
    running: Option<Running>,
    clock: Arc<OffsetClock>,
    control: BotHandle,
    http: reqwest::Client,
    http_addr: Option<SocketAddr>,
    wait: Duration,
    data_dir: PathBuf,
    /// Removed when the session ends (unless `--data-dir` was given).
    _temp: Option<tempfile::TempDir>,
    /// Values captured by named groups in `expect:` patterns, for `{{name}}`.
    vars: Mutex<HashMap<String, String>>,
}

impl Session {
    pub async fn start(options: Options, out: Arc<Output>, inbox: Arc<Inbox>) -> anyhow::Result<Session> {
        let emu = Emulator::start().await?;
        let control = emu.create_bot(CONTROL_BOT, "Machine.Machine");
        // As a fleet owner who has switched it on in @BotFather's Mini App: clients are offered
        // one-tap bot creation (`:newbot`), with BotFather's way (`:botfather`) below it.
        emu.enable_bot_management(&control.token);
        let people = People::new(&emu, &control.token);
        let (temp, data_dir) = match options.data_dir {
            Some(dir) => (None, dir),
            None => {
                let temp = tempfile::Builder::new().prefix("m2o-console-").tempdir()?;
                let path = temp.path().to_path_buf();
                (Some(temp), path)
            }
        };
        let config = config(&control, &emu, &data_dir, options.review_all)?;
        let clock = Arc::new(OffsetClock::new());
        let app = App::build(config, clock.clone()).with_context(|| format!("opening {}", data_dir.display()))?;
        let bots = BTreeMap::from([(CONTROL_BOT.to_string(), control.clone())]);
        let shared = Arc::new(Shared {
            emu,
            out,
            inbox,
            people: Mutex::new(people),
            bots: Mutex::new(bots),
            watched: Mutex::new(HashSet::new()),
            tasks: Mutex::new(Vec::new()),
        });
        shared.watch_all();
        // A short long-poll: stopping waits for the poll in flight.
        let running = server::start(app.clone(), Duration::from_millis(500)).await?;
        let http_addr = Some(running.http_addr);
        Ok(Session {
            shared,
            app,
            running: Some(running),
            clock,
            control,
            http: reqwest::Client::new(),
            http_addr,
            wait: options.wait,
            data_dir,
            _temp: temp,
            vars: Mutex::new(HashMap::new()),
        })
    }

    /// What the person sees first.
    pub fn banner(&self) -> Vec<String> {
        let out = &self.shared.out;
        let temp = if self._temp.is_some() { " (temporary)" } else { "" };
        let review = if self.app.config.review_all {
            "every request waits for the master (--review-all)"
        } else {
            "auto-approval (--review-all makes every request wait for the master)"
        };
        let api = match self.http_addr {
            Some(addr) => {
                format!("http://{addr} (admin bearer {})", self.app.config.api_token.as_deref().unwrap_or(""))
            }
            None => "off".into(),
        };
        vec![
            out.paint(Style::Header, "m2o-bot console — the real bot, a loopback Telegram, nothing sent anywhere"),
            format!("  control bot @{CONTROL_BOT} at {}", self.shared.emu.api_url()),
            format!("  master: user {MASTER_ID} · data: {}{temp}", self.data_dir.display()),
            "  mailer: log (mail is shown here) · provisioner: dry-run".to_string(),
            format!("  review: {review}"),
            format!("  HTTP API: {api}"),
            format!("You are {}. Send /start to begin; :help lists the commands.", self.who_now()),
        ]
    }

    pub fn prompt(&self) -> String {
        lock(&self.shared.people).prompt()
    }

    fn who_now(&self) -> String {
        let people = lock(&self.shared.people);
        people.label(people.current().id)
    }

    fn user(&self) -> TestUser {
        lock(&self.shared.people).current()
    }

    fn say_line(&self, style: Style, text: &str) {
        self.shared.out.styled(style, text);
    }

    /// Carries out one line. An `Err` is a failed command or expectation, worded for the person.
    pub async fn execute(&self, line: &str) -> Result<Flow, String> {
        let line = if line.trim_start().starts_with("expect") { self.fill_pattern(line) } else { line.to_string() };
        match Command::parse(&line)? {
            Command::Nothing => {}
            Command::Say(text) => self.send(&text).await?,
            Command::Reply { to, text } => {
                let user = self.user();
                let replied = self
                    .shared
                    .emu
                    .transcript(&self.control.token, user.id)
                    .into_iter()
                    .rev()
                    .find(|e| e.from_bot && !e.deleted && e.text.contains(&to))
                    .ok_or_else(|| format!("no message from the bot to {} contains {to:?}", self.who_now()))?;
                let text = self.fill(&text).await?;
                self.say_line(Style::Dim, &format!("  ↩️ {} replies to #{}", self.who_now(), replied.message_id));
                self.shared.emu.reply_text(&self.control.token, &user, replied.message_id, &text);
            }
            Command::As { role, lang } => self.switch(role, lang.as_deref()),
            Command::Tap(target) => self.tap(target).await?,
            Command::BotFather(username) => self.botfather(&username)?,
            Command::NewBot(username) => self.newbot(&username)?,
            Command::Token(username) => {
                let bot = self.bot_or_create(&username)?;
                self.say_line(Style::Ok, &format!("@{}'s token: {}", bot.username, bot.token));
            }
            Command::Start(username) => {
                let bot =
                    self.shared.bot(&username).ok_or_else(|| format!("no bot @{username}; :botfather makes one"))?;
                let user = self.user();
                self.shared.emu.press_start(&bot.token, user.id);
                self.say_line(Style::Ok, &format!("▶ {} pressed Start in @{}", self.who_now(), bot.username));
            }
            Command::Code { wrong } => {
                let code = self.code(wrong).await?;
                self.send(&code).await?;
            }
            Command::Agent { name, call } => {
                let lines = agent::call(&self.http, &self.app, self.http_addr, &name, &call).await?;
                for (i, line) in lines.iter().enumerate() {
                    self.say_line(if i == 1 { Style::Header } else { Style::Dim }, line);
                }
            }
            Command::Time(change) => self.time(change),
            Command::Expect(re) => self.expect(&re).await?,
            Command::ExpectLater(re) => self.expect_later(&re).await?,
            Command::ExpectAny(re) => self.expect_any(&re).await?,
            Command::ExpectToast(re) => self.expect_toast(&re).await?,
            Command::ExpectNone => self.expect_none().await?,
            Command::Chat => self.chat(),
            Command::Mails => {
                for mail in self.shared.inbox.mails() {
                    self.shared.out.line(&render::mail(&self.shared.out, &mail));
                }
            }
            Command::Who => self.who(),
            Command::Help => self.shared.out.line(HELP.trim_end()),
            Command::Quit => return Ok(Flow::Quit),
        }
        Ok(Flow::Continue)
    }

    /// Sends `text` as the current person, after filling in `{{code}}` and `{{token:NAME}}`.
    async fn send(&self, text: &str) -> Result<(), String> {
        let text = self.fill(text).await?;
        self.shared.emu.send_text(&self.control.token, &self.user(), &text);
        Ok(())
    }

    /// Fills in `{{code}}`, `{{token:USERNAME}}` and the values that `expect:` captured.
    async fn fill(&self, text: &str) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let end = rest[start..].find("}}").ok_or_else(|| format!("unclosed {{{{ in {text:?}"))? + start;
            out.push_str(&rest[..start]);
            let key = &rest[start + 2..end];
            let value = match key.split_once(':') {
                Some(("token", bot)) => self.bot_or_create(bot)?.token,
                _ if key == "code" => self.code(false).await?,
                _ => lock(&self.vars).get(key).cloned().ok_or_else(|| {
                    format!("{{{{{key}}}}} is not known: {{{{code}}}}, {{{{token:USERNAME}}}}, or a name an expect captured with (?P<{key}>…)")
                })?,
            };
            out.push_str(&value);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn switch(&self, role: Role, lang: Option<&str>) {
        {
            let mut people = lock(&self.shared.people);
            if let Role::Client(n) = role {
                people.client(&self.shared.emu, n, lang);
            }
            people.switch(role);
        }
        self.shared.watch_all();
        let user = self.user();
        let lang = user.language_code.unwrap_or_default();
        self.say_line(Style::Ok, &format!("you are now {} (Telegram id {}, language {lang})", self.who_now(), user.id));
        let waiting = self.shared.inbox.pending(user.id).len();
        if waiting > 0 {
            self.say_line(Style::Dim, &format!("  ({waiting} replies to them not yet taken by expect:)"));
        }
    }

    async fn tap(&self, target: TapTarget) -> Result<(), String> {
        let user = self.user();
        let inbox = &self.shared.inbox;
        let n = match target {
            TapTarget::Number(n) => n,
            TapTarget::Label(label) => {
                inbox.wait_button(user.id, &label, Instant::now() + self.wait).await.ok_or_else(|| {
                    format!("no message to {} shows a button with {label:?} (waited {:?})", self.who_now(), self.wait)
                })?
            }
        };
        let (button, shown) = inbox.button(n).ok_or_else(|| format!("there is no button {n}"))?;
        if button.key.chat != user.id {
            let owner = lock(&self.shared.people).label(button.key.chat);
            return Err(format!("button {n} is in {owner}'s chat; switch with /as first"));
        }
        let bot = self.shared.bot_by_id(button.key.bot_id).ok_or("the button's bot is unknown")?;
        let still_there = self
            .shared
            .emu
            .transcript(&bot.token, user.id)
            .iter()
            .any(|e| e.message_id == button.key.message_id && !e.deleted);
        if !shown || !still_there {
            return Err(format!(
                "button {n} [{}] is no longer on message #{}: it was edited away or deleted",
                button.label, button.key.message_id
            ));
        }
        let data = match (&button.data, &button.url) {
            (Some(data), _) => data.clone(),
            (None, Some(url)) => return Err(format!("button {n} is a link to {url}: nothing to tap")),
            (None, None) => return Err(format!("button {n} has no callback data")),
        };
        self.say_line(
            Style::Dim,
            &format!("  👆 {} taps [{}] on #{}", self.who_now(), button.label, button.key.message_id),
        );
        let query = self.shared.emu.tap(&bot.token, &user, button.key.message_id, &data);
        self.shared.inbox.record_tap(user.id, &query);
        Ok(())
    }

    fn bot_or_create(&self, username: &str) -> Result<BotHandle, String> {
        let username = bot_username(username)?;
        if let Some(bot) = self.shared.bot(username) {
            return Ok(bot);
        }
        let bot = self.shared.emu.create_bot(username, username);
        lock(&self.shared.bots).insert(username.to_lowercase(), bot.clone());
        self.shared.watch_all();
        self.say_line(Style::Dim, &format!("  🤖 @BotFather made @{username} (bot id {})", bot.id));
        Ok(bot)
    }

    /// Telegram's creation dialog, opened by the control bot's `request_managed_bot` button.
    fn newbot(&self, username: &str) -> Result<(), String> {
        let username = bot_username(username)?;
        if self.shared.bot(username).is_some() {
            return Err(format!("@{username} is taken; pick another username"));
        }
        let who = self.who_now();
        let bot = self.shared.emu.create_managed_bot(&self.control.token, &self.user(), username, username);
        lock(&self.shared.bots).insert(username.to_lowercase(), bot.clone());
        self.shared.watch_all();
        let line =
            format!("  🤖 {who} creates @{username} in Telegram's dialog; @{CONTROL_BOT} manages it and is told");
        self.say_line(Style::Dim, &line);
        Ok(())
    }

    fn botfather(&self, username: &str) -> Result<(), String> {
        let bot = self.bot_or_create(username)?;
        let text = tg_emulator::botfather_newbot_text(&bot.username, &bot.token);
        let who = self.who_now();
        self.say_line(
            Style::Dim,
            &format!("  ↪ {who} forwards BotFather's \"Done! …\" message for @{} to @{CONTROL_BOT}", bot.username),
        );
        self.shared.emu.forward_text(&self.control.token, &self.user(), &botfather_user(), &text);
        Ok(())
    }

    /// The last one-time code mailed to the current person's email (or one that is surely wrong).
    async fn code(&self, wrong: bool) -> Result<String, String> {
        let user = self.user();
        let contact = self.app.store.contact_by_user(user.id).map_err(|e| e.to_string())?;
        let email = contact
            .map(|c| c.email)
            .filter(|e| !e.is_empty())
            .ok_or_else(|| format!("{} has given no email yet, so no code was mailed to them", self.who_now()))?;
        let code = self
            .shared
            .inbox
            .last_code(&email, Instant::now() + self.wait)
            .await
            .ok_or_else(|| format!("no code was mailed to {email} (waited {:?})", self.wait))?;
        if !wrong {
            return Ok(code);
        }
        // Every digit moved by one: never the right code.
        Ok(code.chars().map(|c| char::from(b'0' + (c as u8 - b'0' + 1) % 10)).collect())
    }

    fn time(&self, change: Option<TimeChange>) {
        match change {
            Some(TimeChange::By(by)) => self.clock.advance(by),
            Some(TimeChange::To(at)) => self.clock.set(at),
            None => {}
        }
        // Whatever is now due (a brief, a nurture message) runs at once rather than within 30 s.
        self.app.scheduler_wake.notify_one();
        let offset = self.clock.offset();
        let sign = if offset < chrono::Duration::zero() { "-" } else { "+" };
        let abs = offset.abs();
        let shown = format!("{sign}{}d {}h {}m", abs.num_days(), abs.num_hours() % 24, abs.num_minutes() % 60);
        let now = self.clock.now().format("%Y-%m-%d %H:%M:%S UTC");
        self.say_line(Style::Ok, &format!("🕐 the bot's clock reads {now} (system time {shown})"));
    }

    fn who(&self) {
        let people = lock(&self.shared.people);
        let current = people.current_role();
        for (role, user) in people.all() {
            let mark = if role == current { "→" } else { " " };
            let lang = user.language_code.clone().unwrap_or_default();
            self.say_line(Style::Dim, &format!("{mark} {} · id {} · {lang}", people.label(user.id), user.id));
        }
        drop(people);
        let bots: Vec<String> = lock(&self.shared.bots).values().map(|b| format!("@{}", b.username)).collect();
        self.say_line(Style::Dim, &format!("  bots: {}", bots.join(", ")));
    }

    /// The current person's chats as they are now, buttons numbered.
    fn chat(&self) {
        let user = self.user();
        let to = self.who_now();
        let inbox = &self.shared.inbox;
        let all = inbox.chat(user.id);
        if all.is_empty() {
            self.say_line(Style::Dim, "(no bot has written to you yet)");
        }
        for (key, view) in all {
            if view.deleted {
                self.say_line(Style::Dim, &format!("#{} (deleted)", key.message_id));
                continue;
            }
            self.shared.out.line(&render::message(&self.shared.out, inbox, &to, key.message_id, &view, false));
        }
    }

    /// Stops the bot (so a reused data dir is left consistent) and the emulator.
    pub async fn stop(mut self) {
        self.shared.out.mute();
        if let Some(running) = self.running.take() {
            let _ = tokio::time::timeout(Duration::from_secs(3), running.stop()).await;
        }
        if let Err(e) = self.app.store.flush().await {
            eprintln!("m2o-bot console: flushing the data dir failed: {e}");
        }
        for task in lock(&self.shared.tasks).drain(..) {
            task.abort();
        }
        self.shared.emu.shutdown().await;
    }
}

fn config(control: &BotHandle, emu: &Emulator, data_dir: &std::path::Path, review_all: bool) -> anyhow::Result<Config> {
    let vars: HashMap<&str, String> = HashMap::from([
        ("TELOXIDE_TOKEN", control.token.clone()),
        ("TELOXIDE_API_URL", emu.api_url().to_string()),
        ("M2O_MASTER_IDS", MASTER_ID.to_string()),
        ("M2O_DATA_DIR", data_dir.display().to_string()),
        ("M2O_MAILER", "log".into()),
        ("M2O_PROVISIONER", "dry-run".into()),
        ("M2O_HTTP_ADDR", "127.0.0.1:0".into()),
        ("M2O_API_TOKEN", hex::encode(rand::random::<[u8; 16]>())),
        ("M2O_REVIEW_ALL", review_all.to_string()),
    ]);
    Config::from_lookup(|name| vars.get(name).cloned())
        .map_err(|errors| anyhow::anyhow!("the console's configuration is not valid: {}", errors.join("; ")))
}

/// `username` without its `@` if Telegram would take it for a bot.
fn bot_username(username: &str) -> Result<&str, String> {
    let username = username.trim_start_matches('@');
    let ok = (5..=32).contains(&username.len())
        && username.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && username.to_ascii_lowercase().ends_with("bot");
    if ok {
        Ok(username)
    } else {
        Err(format!("{username:?} is not a bot username: 5 to 32 letters, digits or _, ending in \"bot\" (e.g. acme_helper_bot)"))
    }
}
