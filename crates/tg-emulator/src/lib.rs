//! A loopback Telegram Bot API emulator that an unmodified teloxide bot runs
//! against (tests, console mode, benchmarks).
//!
//! [`Emulator::start`] serves `http://127.0.0.1:PORT/bot<TOKEN>/<method>`;
//! point teloxide at it with `Bot::new(token).set_api_url(emu.api_url())`.
//! The test plays the people: [`Emulator::send_text`], [`Emulator::tap`] and
//! friends queue updates that the bot's getUpdates long poll receives. What
//! the bot did comes back as per-chat [`BotEvent`]s ([`Emulator::next_event`]),
//! as a [`Emulator::transcript`] of the chat as a person sees it, and as the
//! raw [`Emulator::calls`].
//!
//! Answers follow the Bot API's documented behaviour: the `{"ok":..}` envelope,
//! HTTP status = `error_code`, 401 for an unknown or revoked token, 403 for a
//! user who never pressed Start, 409 for a second poller, optional 429 flood
//! control ([`rate`] documents the limits), and injectable [`Fault`]s.
//!
//! Test-side methods that take a bot token panic on a token that
//! [`Emulator::create_bot`] never issued: that is a bug in the test.
//!
//! Files: `types.rs` public values, `state.rs` the world behind one mutex,
//! `http.rs` routing and parameters, `methods.rs` method dispatch, `messages.rs` sends/edits/deletes,
//! `polling.rs` getUpdates, `driving.rs` the user side, `observe.rs` what the
//! bot did, `markup.rs` parse_mode, `rate.rs` flood control, `listener.rs`
//! the connection kill switch.

mod driving;
mod http;
mod listener;
mod managed;
mod markup;
mod messages;
mod methods;
mod observe;
mod params;
mod polling;
pub mod rate;
mod state;
mod types;
mod webhook;

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use rand::{distributions::Alphanumeric, Rng};
use tokio::task::JoinHandle;

pub use types::{
    botfather_newbot_text, botfather_user, ApiCall, BotEvent, BotHandle, Button, ChatEntry, Fault, SentMessage,
    TestUser, BOTFATHER_ID,
};

use state::{BotState, Shared, State};

/// The emulator. Cheap to clone: every clone is the same server.
#[derive(Clone)]
pub struct Emulator {
    inner: Arc<Inner>,
}

// Tests hand clones to spawned tasks and bot threads.
const _: fn() = || {
    fn assert_shareable<T: Send + Sync + Clone + 'static>() {}
    assert_shareable::<Emulator>();
};

struct Inner {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    /// The last clone gone: stop accepting connections.
    fn drop(&mut self) {
        if let Some(task) = self.server.lock().ok().and_then(|mut s| s.take()) {
            task.abort();
        }
    }
}

impl Emulator {
    /// Serves on `127.0.0.1` on a free port.
    pub async fn start() -> std::io::Result<Emulator> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Serves on `addr` (a fixed port for console mode; keep it loopback).
    pub async fn start_on(addr: SocketAddr) -> std::io::Result<Emulator> {
        let shared = Arc::new(Shared::default());
        let (addr, task) = http::serve(shared.clone(), addr).await?;
        let inner = Inner { shared, addr, server: Mutex::new(Some(task)) };
        Ok(Emulator { inner: Arc::new(inner) })
    }

    /// The base URL for teloxide's `Bot::set_api_url`, e.g. `http://127.0.0.1:PORT/`.
    pub fn api_url(&self) -> url::Url {
        let url = format!("http://{}/", self.inner.addr);
        url::Url::parse(&url).unwrap_or_else(|e| panic!("emulator address {url} is not a URL: {e}"))
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.inner.addr
    }

    /// Stops serving: new connections are refused, and requests on kept-alive
    /// connections (waiting getUpdates included) end at once with a dropped
    /// connection, so a bot sees a network error and backs off rather than
    /// hanging or spinning.
    pub async fn shutdown(&self) {
        let task = self.inner.server.lock().ok().and_then(|mut s| s.take());
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
        let mut st = self.lock();
        st.closed = true;
        for bot in st.bots.values() {
            bot.update_notify.notify_waiters();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner.shared.lock()
    }

    /// The bot id of a token this emulator issued (revoked ones included).
    fn bot_id(&self, token: &str) -> i64 {
        self.lock().bot_id_any(token).unwrap_or_else(|| panic!("emulator: no bot has the token {token:?}"))
    }

    /// Registers a bot with a fresh random id and a Telegram-shaped token.
    pub fn create_bot(&self, username: &str, first_name: &str) -> BotHandle {
        let mut rng = rand::thread_rng();
        let mut st = self.lock();
        let id = loop {
            let id = rng.gen_range(1_000_000_000..8_000_000_000_i64);
            if !st.bots.contains_key(&id) {
                break id;
            }
        };
        let token = format!("{id}:{}", fresh_secret());
        st.bots.insert(id, BotState::new(id, username, first_name));
        st.tokens.insert(token.clone(), id);
        BotHandle { id, token, username: username.to_owned() }
    }

    /// Turns on Bot Management Mode for a bot (what its owner does in @BotFather's Mini App):
    /// its getMe says `can_manage_bots: true`.
    pub fn enable_bot_management(&self, token: &str) {
        let id = self.bot_id(token);
        if let Some(bot) = self.lock().bots.get_mut(&id) {
            bot.can_manage_bots = true;
        }
    }

    /// `user` completes the creation dialog that the manager bot's `request_managed_bot` button
    /// (or a `t.me/newbot/…` link) opened: a new bot owned by `user` and managed by the manager,
    /// and the manager's `managed_bot` update. Panics unless the manager is in Bot Management Mode.
    pub fn create_managed_bot(&self, manager_token: &str, user: &TestUser, username: &str, name: &str) -> BotHandle {
        let manager = self.bot_id(manager_token);
        assert!(
            self.lock().bots.get(&manager).is_some_and(|b| b.can_manage_bots),
            "emulator: @{username} cannot be created: the manager bot is not in Bot Management Mode"
        );
        let bot = self.create_bot(username, name);
        if let Some(b) = self.lock().bots.get_mut(&bot.id) {
            b.manager = Some(manager);
            b.owner = Some(user.id);
        }
        self.managed_bot_update(manager_token, user, &bot);
        bot
    }

    /// What @BotFather's `/token` does: the bot keeps its id, the old token is revoked and a new one
    /// is returned.
    pub fn reissue(&self, token: &str) -> String {
        let id = self.bot_id(token);
        let fresh = format!("{id}:{}", fresh_secret());
        let mut st = self.lock();
        st.revoked.insert(token.to_owned());
        st.tokens.insert(fresh.clone(), id);
        fresh
    }

    /// Makes the HTTP API answer 401 `Unauthorized` for this token from now on
    /// (the test-side methods keep working with it).
    pub fn revoke(&self, token: &str) {
        self.lock().revoked.insert(token.to_owned());
    }

    /// Registers a person. Their private chat with every bot has id `id`.
    pub fn add_user(&self, id: i64, first_name: &str, username: Option<&str>, language_code: Option<&str>) -> TestUser {
        let user = TestUser {
            id,
            first_name: first_name.to_owned(),
            username: username.map(str::to_owned),
            language_code: language_code.map(str::to_owned),
        };
        self.lock().users.insert(id, user.clone());
        user
    }

    /// Marks that the user pressed Start in this bot without sending an
    /// update (sending any update does it too).
    pub fn press_start(&self, bot_token: &str, user_id: i64) {
        let bot_id = self.bot_id(bot_token);
        self.lock().started.insert((bot_id, user_id));
    }

    /// Turns flood control on or off (off by default); see [`rate`] for the
    /// limits. Turning it on starts with full buckets.
    pub fn set_rate_limits(&self, on: bool) {
        let mut st = self.lock();
        st.rate.enabled = on;
        st.rate.reset();
    }

    /// How many 429 answers were sent (flood control and injected ones).
    pub fn count_429(&self) -> u64 {
        self.lock().count_429
    }

    /// Applies `fault` to the next call of `method` (any case, any bot).
    /// Several faults for one method apply to successive calls in order.
    pub fn inject_fault(&self, method: &str, fault: Fault) {
        let key = method.to_ascii_lowercase();
        self.lock().faults.entry(key).or_default().push_back(fault);
    }

    /// Random alphanumerics, for ids that must not be guessable in order.
    fn random_suffix(len: usize) -> String {
        rand::thread_rng().sample_iter(&Alphanumeric).take(len).map(char::from).collect()
    }
}

/// The 35 url-safe characters after a token's colon.
fn fresh_secret() -> String {
    const SECRET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::thread_rng();
    (0..35).map(|_| SECRET[rng.gen_range(0..SECRET.len())] as char).collect()
}
