//! What the fleet's unit tests stand on: the real `App` on a store in a temp dir, Telegram played
//! by the Bot API emulator over loopback (so `getMe`, progress messages and edits are real HTTP),
//! the dry-run provisioner and a manual clock. No dispatcher runs: a test calls a fleet operation
//! the way a surface would and looks at what it returned, what was stored and what was queued.

use crate::app::App;
use crate::clock::{Clock, ManualClock};
use crate::config::Config;
use crate::domain::token::BotToken;
use crate::domain::{ClientBot, Contact, ContactState};
use crate::store::{Change, Claimant, OutboxItem, Outgoing};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tg_emulator::Emulator;

pub const MASTER: i64 = 900_001;
const SECRET_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

pub struct Fixture {
    pub emu: Emulator,
    pub app: Arc<App>,
    pub clock: Arc<ManualClock>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn new() -> Fixture {
        Fixture::with(&[]).await
    }

    /// With extra configuration variables (e.g. `M2O_REVIEW_ALL`).
    pub async fn with(extra: &[(&str, &str)]) -> Fixture {
        let emu = Emulator::start().await.expect("the emulator starts");
        let control = emu.create_bot("m2o_test_bot", "M2O");
        emu.add_user(MASTER, "Master", Some("master"), Some("en"));
        emu.press_start(&control.token, MASTER);
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut vars: HashMap<String, String> = [
            ("TELOXIDE_TOKEN", control.token.clone()),
            ("TELOXIDE_API_URL", emu.api_url().to_string()),
            ("M2O_MASTER_IDS", MASTER.to_string()),
            ("M2O_DATA_DIR", dir.path().display().to_string()),
            ("M2O_SECRET_KEY", SECRET_KEY.to_string()),
            ("M2O_RETRY_BASE_MS", "20".to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();
        vars.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let config = Config::from_lookup(|n| vars.get(n).cloned()).expect("the test configuration is valid");
        let clock = Arc::new(ManualClock::new("2026-11-24T10:00:00Z".parse().expect("a time")));
        let app = App::build(config, clock.clone()).expect("the app builds");
        Fixture { emu, app, clock, _dir: dir }
    }

    /// A bot made with BotFather in the emulator, and its token.
    pub fn bot(&self, username: &str) -> (i64, BotToken) {
        let bot = self.emu.create_bot(username, "A bot");
        (bot.id, BotToken::parse(&bot.token).expect("the emulator's tokens are well formed"))
    }

    /// A client at the confirm step: email verified, qualified, their bot `bot_username` registered.
    pub fn client_with_bot(&self, email: &str, bot_username: &str) -> Contact {
        let (bot_id, token) = self.bot(bot_username);
        let mut c = self.contact(email, ContactState::TokenValidated);
        c.bot = Some(ClientBot {
            id: bot_id,
            username: bot_username.into(),
            token_sealed: self.app.secrets.seal(token.expose()),
        });
        c.timezone = Some("Europe/Warsaw".into());
        c.score = Some(120);
        self.app
            .store
            .commit(&Change {
                contact: Some(c.clone()),
                claim_bot: Some((bot_id, Claimant::Contact(c.id))),
                ..Change::default()
            })
            .expect("the fixture is written");
        c
    }

    /// A contact in `state`, stored (with its email indexed); their Telegram user id is `1000 + id`.
    pub fn contact(&self, email: &str, state: ContactState) -> Contact {
        let id = self.app.store.new_id().expect("an id");
        let user = 1000 + id as i64;
        self.emu.add_user(user, "Client", None, Some("en"));
        let mut c = Contact::new(id, user, user, "en", email, self.clock.now());
        c.state = state;
        self.app
            .store
            .commit(&Change { contact: Some(c.clone()), index_email: Some((email.into(), id)), ..Change::default() })
            .expect("the fixture is written");
        c
    }

    /// The Telegram texts queued in the outbox for `chat`, oldest first.
    pub fn queued_for(&self, chat: i64) -> Vec<String> {
        let due = self.app.store.outbox_due(self.clock.now() + chrono::Duration::days(365));
        due.expect("the outbox reads")
            .into_iter()
            .filter_map(|(_, OutboxItem { what, .. })| match what {
                Outgoing::Telegram { chat_id, text, .. } if chat_id == chat => Some(text),
                _ => None,
            })
            .collect()
    }

    /// Waits (up to 10 s) until `f` holds: for what a spawned provisioning job does.
    pub async fn eventually(&self, what: &str, f: impl Fn(&App) -> bool) {
        for _ in 0..500 {
            if f(&self.app) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("never happened: {what}");
    }
}
