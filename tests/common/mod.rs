//! The test bench for conversations: the real bot (`server::start`, the real dptree tree, sled in a
//! temp dir) polling the loopback Bot API emulator, Brevo as a wiremock double, and a manual clock.
//! Tests talk as Telegram users and assert what those users see and what the store holds.
#![allow(dead_code)]

use m2o_bot::app::App;
use m2o_bot::clock::ManualClock;
use m2o_bot::config::Config;
use m2o_bot::domain::Contact;
use m2o_bot::server::{self, Running};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tg_emulator::{BotHandle, Emulator, SentMessage, TestUser};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub const MASTER: i64 = 900_001;
pub const BREVO_KEY: &str = "xkeysib-test-key";
pub const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const WAIT: Duration = Duration::from_secs(10);

pub struct Bench {
    pub emu: Emulator,
    pub control: BotHandle,
    pub brevo: MockServer,
    pub clock: Arc<ManualClock>,
    pub dir: tempfile::TempDir,
    pub app: Option<Arc<App>>,
    pub extra: Vec<(String, String)>,
    /// The HTTP API's address, when `M2O_API_TOKEN` is configured.
    pub http_addr: Option<std::net::SocketAddr>,
    running: Option<Running>,
}

impl Bench {
    pub async fn new() -> Bench {
        Bench::with(&[]).await
    }

    /// A bench with extra configuration variables (e.g. `M2O_CAPACITY`).
    pub async fn with(extra: &[(&str, &str)]) -> Bench {
        let emu = Emulator::start().await.expect("emulator starts");
        let control = emu.create_bot("m2o_test_bot", "M2O");
        emu.add_user(MASTER, "Master", Some("master"), Some("en"));
        emu.press_start(&control.token, MASTER);
        let brevo = MockServer::start().await;
        brevo_accepts(&brevo).await;
        let mut bench = Bench {
            emu,
            control,
            brevo,
            clock: Arc::new(ManualClock::new("2026-11-24T10:00:00Z".parse().unwrap())),
            dir: tempfile::tempdir().unwrap(),
            app: None,
            extra: extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            http_addr: None,
            running: None,
        };
        bench.boot().await;
        bench
    }

    pub fn config(&self) -> Config {
        let mut vars: HashMap<String, String> = [
            ("TELOXIDE_TOKEN", self.control.token.clone()),
            ("TELOXIDE_API_URL", self.emu.api_url().to_string()),
            ("M2O_MASTER_IDS", MASTER.to_string()),
            ("M2O_DATA_DIR", self.dir.path().display().to_string()),
            ("M2O_MAILER", "brevo".into()),
            ("M2O_BREVO_API_KEY", BREVO_KEY.into()),
            ("M2O_BREVO_API_URL", self.brevo.uri()),
            ("M2O_MAIL_FROM", "Machine.Machine <onboarding@example.org>".into()),
            ("M2O_SECRET_KEY", SECRET_KEY.into()),
            // Most conversation tests follow a request to the masters' review; tests of the
            // auto-approval rule set it to false.
            ("M2O_REVIEW_ALL", "true".into()),
            ("M2O_RETRY_BASE_MS", "20".into()),
            ("M2O_HTTP_ADDR", "127.0.0.1:0".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        vars.extend(self.extra.iter().cloned());
        Config::from_lookup(|n| vars.get(n).cloned()).expect("test configuration is valid")
    }

    async fn boot(&mut self) {
        let app = App::build(self.config(), self.clock.clone()).expect("app builds");
        let running = server::start(app.clone(), Duration::from_millis(500)).await.expect("bot starts");
        self.http_addr = Some(running.http_addr);
        self.running = Some(running);
        self.app = Some(app);
    }

    pub fn app(&self) -> &Arc<App> {
        self.app.as_ref().expect("running")
    }

    /// Stops the bot as a crash would leave it (no goodbye), reopens the same data dir, starts again.
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
    }

    pub fn user(&self, id: i64, lang: &str) -> TestUser {
        self.emu.add_user(id, "Anna", Some("anna_k"), Some(lang))
    }

    /// Sends text as `user` and returns the bot's next message to them.
    pub async fn say(&self, user: &TestUser, text: &str) -> SentMessage {
        self.emu.send_text(&self.control.token, user, text);
        self.reply(user).await
    }

    /// The bot's next message to `user` (panics after 10 s of silence).
    pub async fn reply(&self, user: &TestUser) -> SentMessage {
        self.emu
            .next_message(&self.control.token, user.id, WAIT)
            .await
            .unwrap_or_else(|| panic!("no reply to {} within {WAIT:?}", user.id))
    }

    /// Taps a button whose label contains `label` on `msg`, and returns the bot's next message.
    pub async fn tap(&self, user: &TestUser, msg: &SentMessage, label: &str) -> SentMessage {
        let data =
            msg.button_data(label).unwrap_or_else(|| panic!("no button {label:?} in {:?}", msg.all_button_labels()));
        self.emu.tap(&self.control.token, user, msg.message_id, &data);
        self.reply(user).await
    }

    /// Asserts that nothing more is said to `user` for a moment.
    pub async fn silent(&self, user: &TestUser) {
        let extra = self.emu.next_message(&self.control.token, user.id, Duration::from_millis(600)).await;
        assert!(extra.is_none(), "unexpected message: {:?}", extra.map(|m| m.text));
    }

    pub fn contact(&self, user: &TestUser) -> Option<Contact> {
        self.app().store.contact_by_user(user.id).unwrap()
    }

    /// The one-time code in the most recent email Brevo received for `to`.
    pub async fn last_code(&self, to: &str) -> String {
        let requests = self.brevo.received_requests().await.unwrap_or_default();
        let body = requests
            .iter()
            .rev()
            .map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).unwrap())
            .find(|b| b["to"][0]["email"] == to)
            .unwrap_or_else(|| panic!("no email to {to}"));
        let text = body["textContent"].as_str().unwrap();
        text.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a 6-digit code").to_string()
    }

    pub async fn emails_sent(&self) -> usize {
        self.brevo.received_requests().await.unwrap_or_default().len()
    }

    /// Walks a new client from /start to the first qualification question.
    pub async fn verified(&self, user: &TestUser, email: &str) -> SentMessage {
        let m = self.say(user, "/start").await;
        assert!(m.text.contains("mail"), "{}", m.text);
        let m = self.say(user, email).await;
        assert!(m.text.contains(email), "{}", m.text);
        let code = self.last_code(email).await;
        let ok = self.say(user, &code).await;
        assert!(ok.text.starts_with("✅"), "{}", ok.text);
        self.reply(user).await
    }

    /// Answers the questions so the client qualifies (company email + research + small team).
    pub async fn qualified(&self, user: &TestUser, email: &str) -> SentMessage {
        let q1 = self.verified(user, email).await;
        let q2 = self.tap(user, &q1, "🔎").await;
        let q3 = self.tap(user, &q2, "small team").await;
        let tz = self.tap(user, &q3, "Skip").await;
        assert!(tz.text.contains("timezone"), "{}", tz.text);
        let yes = self.tap(user, &tz, "Europe/Warsaw").await;
        assert!(yes.text.contains("you're in"), "{}", yes.text);
        let instructions = self.reply(user).await;
        assert!(instructions.text.contains("@BotFather"), "{}", instructions.text);
        instructions
    }

    /// A new English client who scores low (a free-mail address, "everything", just them): on the
    /// contact track; their contact id.
    pub async fn on_contact_track(&self, user: &TestUser, email: &str) -> u64 {
        let q1 = self.verified(user, email).await;
        let q2 = self.tap(user, &q1, "everything").await;
        let q3 = self.tap(user, &q2, "Just me").await;
        let tz = self.tap(user, &q3, "Skip").await;
        self.tap(user, &tz, "UTC").await;
        self.contact(user).expect("a contact").id
    }

    /// Forwards BotFather's message for `bot` as `user` would, returning the bot's reply.
    pub async fn forward_botfather(&self, user: &TestUser, bot: &BotHandle) -> (i32, SentMessage) {
        let text = botfather_text(&bot.username, &bot.token);
        let id = self.emu.forward_text(&self.control.token, user, &tg_emulator::botfather_user(), &text);
        (id, self.reply(user).await)
    }

    /// From a new client to the confirm summary, with agent name `name`.
    pub async fn at_confirm(&self, user: &TestUser, email: &str, bot_name: &str, name: &str) -> SentMessage {
        self.qualified(user, email).await;
        let bot = self.emu.create_bot(bot_name, "Client bot");
        let (_, ok) = self.forward_botfather(user, &bot).await;
        assert!(ok.text.contains("is connected"), "{}", ok.text);
        let ask = self.reply(user).await;
        assert!(ask.text.contains("called"), "{}", ask.text);
        let summary = self.say(user, name).await;
        assert!(summary.text.contains("Agent name"), "{}", summary.text);
        summary
    }
}

/// BotFather's /newbot reply (the emulator's copy of tests/fixtures/botfather-newbot.txt) for a bot.
pub fn botfather_text(username: &str, token: &str) -> String {
    tg_emulator::botfather_newbot_text(username, token)
}

pub async fn brevo_accepts(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/v3/smtp/email"))
        .and(header("api-key", BREVO_KEY))
        .respond_with(ResponseTemplate::new(201).set_body_string(include_str!("../fixtures/brevo-send-201.json")))
        .mount(server)
        .await;
}

impl Bench {
    /// Stops the bot, lets `f` touch the closed store's files through a fresh `Store`, starts again.
    pub async fn restart_with(&mut self, f: impl FnOnce(&m2o_bot::store::Store)) {
        if let Some(r) = self.running.take() {
            r.stop().await;
        }
        let app = self.app.take().expect("running");
        for _ in 0..100 {
            if Arc::strong_count(&app) == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        drop(app);
        {
            // sled lets go of the data dir's lock a moment after the last handle is dropped.
            let mut store = m2o_bot::store::Store::open(self.dir.path());
            for _ in 0..250 {
                if store.is_ok() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
                store = m2o_bot::store::Store::open(self.dir.path());
            }
            let store = store.expect("store reopens");
            f(&store);
            store.flush().await.unwrap();
        }
        self.boot().await;
    }
}

impl Bench {
    /// Waits (up to 5 s) until the outbox is empty, returning what is left.
    pub async fn outbox_drained(&self) -> usize {
        for _ in 0..250 {
            if self.app().store.outbox_len() == 0 {
                return 0;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.app().store.outbox_len()
    }
}

impl Bench {
    /// A master (already in `M2O_MASTER_IDS`, who pressed Start in the control bot).
    pub fn master(&self, id: i64) -> TestUser {
        let m = self.emu.add_user(id, "Master", Some("master"), Some("en"));
        self.emu.press_start(&self.control.token, id);
        m
    }

    /// The next message in `chat` whose text contains `needle`, skipping others (waits up to 10 s).
    pub async fn message_containing(&self, chat: i64, needle: &str) -> SentMessage {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match self.emu.next_message(&self.control.token, chat, left).await {
                Some(m) if m.text.contains(needle) => return m,
                Some(_) => continue,
                None => panic!(
                    "no message containing {needle:?} in chat {chat}; transcript: {:#?}",
                    self.emu.transcript(&self.control.token, chat).iter().map(|e| &e.text).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Waits until `f` holds (up to 10 s).
    pub async fn eventually(&self, what: &str, f: impl Fn(&Bench) -> bool) {
        for _ in 0..500 {
            if f(self) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("never happened: {what}");
    }

    /// The answer (toast) to the tap `query` ("" for none). Read from the calls the emulator
    /// answered, so messages that arrive meanwhile stay queued for `reply`/`message_containing`.
    pub async fn toast(&self, query: &str) -> String {
        let deadline = tokio::time::Instant::now() + WAIT;
        while tokio::time::Instant::now() < deadline {
            let answered =
                self.emu.calls().into_iter().find(|c| {
                    c.method == "answerCallbackQuery" && c.params["callback_query_id"].as_str() == Some(query)
                });
            if let Some(call) = answered {
                return call.params["text"].as_str().unwrap_or_default().to_string();
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the tap {query} was never answered");
    }

    /// The chat's current text of message `id` (after edits).
    pub fn current_text(&self, chat: i64, id: i32) -> String {
        self.emu
            .transcript(&self.control.token, chat)
            .into_iter()
            .find(|e| e.message_id == id)
            .map(|e| e.text)
            .unwrap_or_default()
    }
}
