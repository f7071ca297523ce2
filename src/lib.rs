//! m2o-bot: the Telegram bot that is the whole interface of the Machine.Machine agent fleet. One
//! process, its state in an embedded sled database. Clients onboard themselves in a chat and get
//! their own agent behind their own bot; the fleet's masters run the fleet from their DMs; agents
//! report and escalate over an HTTP API; a scheduler sends the morning brief. What it does, for
//! whom, and how to run it: README.md. This is the map of the code.
//!
//! # Layers
//!
//! Each layer uses only the layers below it; nothing below the surfaces knows there is a chat.
//!
//! ```text
//!   main.rs (the CLI)                  console  (feature "console": the emulator + the real bot)
//!        \                            /
//!         server        starts and stops the surfaces on one App
//!           |
//!   surfaces: bot (Telegram chat)   api (HTTP)   panel (Mini App)   scheduler (time)
//!                     \                 |              |              /
//!                      fleet       every fleet decision
//!                        |
//!                      app         App: the context every operation shares
//!                 /       |       \
//!          services     store     content, i18n, config, crypto, clock, metrics
//!                 \       |       /
//!                       domain    pure types and rules
//! ```
//!
//! - [`domain`]: contacts and their state machine, agents and jobs, escalations, names, tokens,
//!   the qualification score, the conversation's [`domain::conversation::State`], and every
//!   button's callback data ([`domain::callback`]). No I/O, no async, no other module of the crate.
//! - [`content`] and [`i18n`]: `dialogues/*.toml` and `locales/*/main.ftl`, validated at start.
//!   [`config`]: the environment, every problem reported at once. [`crypto`]: sealed tokens,
//!   code HMACs, the key file. [`clock`]: time as a dependency. [`metrics`]: counters.
//! - [`store`]: sled trees by name ([`store::Tree`]); every write is one [`store::Change`] applied in
//!   one transaction after its [`store::Guard`]s, with what must follow it (outbox items, audit
//!   entries) inside the same write; the transaction spans only the trees the change touches. What
//!   the views read at scale is kept in the same write: contacts by state with a glance at each
//!   (`store::glance`: what the scheduler's passes filter leads on) and their counts, the agents'
//!   roll call (`store::roll`), decisions by time.
//! - [`services`]: clients of the outside world, each behind a small trait with a real
//!   implementation and an embedded default that says what it did not do: Telegram as a
//!   [`services::notifier::Notifier`] (and `getMe`) whose sends wait for a slot under Telegram's
//!   flood limits ([`services::pacer`]) and whose buttons carry colours teloxide 0.17 cannot
//!   ([`services::keyboard`], our own payloads), the Bot API past 9.1 ([`services::managed_bots`]),
//!   mail (Brevo or the log), provisioners (Coolify, a spawn command, the dry run), Twenty, Planka,
//!   Guacamole.
//! - [`app`]: [`app::App`], built once from a `Config`: the store, content, secrets, clock and
//!   services together. [`app::App::commit`] writes a change and wakes the outbox.
//! - [`fleet`]: every decision — the gate, approve, reject, withdraw, spawn, qualify, nudge,
//!   destroy, token rotation, going live, escalations, the autonomy radius, the brief, the weekly
//!   health check, the two-way line between clients and masters ([`fleet::line`]), erasing a
//!   client's data ([`fleet::privacy`]), daily backups ([`fleet::backups`]), what the fleet panel
//!   shows ([`fleet::panel`], the weekly [`fleet::funnel`], drawn for the chat by [`fleet::chart`]) — with typed errors,
//!   and the outbox worker that delivers what decisions queued. [`fleet::people`] says who a person is in every notice. A surface calls
//!   these; none decides on its own, so a button, a command and the HTTP API mean the same.
//! - Surfaces parse, call `fleet`, and render: [`bot`] (the dptree tree, fed by long polling
//!   (`bot::listener`) or by Telegram's POSTs (`bot::webhook`); the conversation's
//!   steps; for masters `home`, `decide`, `cards` and `line`; `unknown` for a `/command` we do not
//!   have), [`api`] (axum: the agents' API, admin approval and backups, readiness and liveness,
//!   metrics), [`panel`] (the fleet panel, a Telegram Mini App: one embedded page at `/app/` and
//!   its JSON under `/app/api/`, for masters, authenticated by Telegram's signed init data;
//!   it looks, and acts only through the chat's own fleet operations), [`scheduler`] (what
//!   is due when), `console` (a developer's terminal on the real bot).
//! - [`server`] runs the surfaces on an `App` and says when the bot cannot go on
//!   ([`server::Running::failed`]); [`registry`] holds the offline commands (registry, export,
//!   restore; a backup's format and its consistent snapshot are [`store::backup`]); [`doctor`] checks a deployment (`m2o-bot doctor`): each configured service
//!   with a harmless call through its `services` client, and the data dir and key without changing them.
//!
//! # The life of one update
//!
//! A client taps [✅ Confirm] under their summary:
//!
//! 1. `server::start`'s teloxide `Polling` listener gets the `callback_query` from `getUpdates`
//!    and hands it to the dispatcher, which runs [`bot::schema`]: the chat's conversation
//!    [`domain::conversation::State`] is read from the store (`store::SledStorage`), here
//!    `State::Confirm { contact_id, name }`.
//! 2. `bot::taps::on_tap` reads the callback data with [`domain::callback::Callback::parse`]: a
//!    `Tap::Confirm`, which belongs to this step, so `bot::naming::tap_confirm` runs.
//! 3. The handler calls [`fleet::approval::confirm`], which decides (the gate: waitlisted, review,
//!    or approved by the rule) and writes one `Change`: the contact's moves with their audit
//!    entries, the name and email claims (guarded), the decision, the agent and its job, the
//!    masters' notices in the outbox, and the end of the chat's conversation — durably, before it
//!    returns.
//! 4. It starts the provisioning job ([`fleet::jobs`]), which opens a progress message through
//!    `App::notifier` and edits it step by step.
//! 5. The handler renders the outcome in the client's language (`ctx.t("request-approved")`) and
//!    answers the tap; the outbox worker ([`fleet::outbox`]) delivers the queued messages, retrying
//!    until Telegram takes them.
//!
//! # Where to add
//!
//! - **A conversation step**: a variant of [`domain::conversation::State`], a branch in
//!   [`bot::schema`] with its handler in the step's module (answer bad input with a re-prompt that
//!   changes nothing; write a good answer's effects in one `Change`), its buttons as a
//!   [`domain::callback::Tap`], its strings in both `locales/`, and a case in `tests/`. A step that
//!   decides something about the fleet calls a `fleet` function rather than writing it itself.
//! - **A master command**: a variant of `bot::master::MasterCommand` (its doc line is its help
//!   text) that parses its arguments, calls `fleet`, and renders the result or the typed error; a
//!   new decision goes in a `fleet` module with its unit tests (`fleet::testing` is the fixture),
//!   and a new button is a [`domain::callback::MasterTap`] with its row in [`fleet::buttons`].
//! - **An external service**: a client in `services/` behind a small trait, with an embedded
//!   default that works offline and says what it did not do; its configuration in `config`
//!   (validated, secrets masked); built in [`app::App::build`]; tested against a wiremock double
//!   shaped like the real API; called from `fleet`, never from a surface directly.

pub mod api;
pub mod app;
pub mod bot;
pub mod clock;
pub mod config;
#[cfg(feature = "console")]
pub mod console;
pub mod content;
pub mod crypto;
pub mod doctor;
pub mod domain;
pub mod fleet;
pub mod i18n;
pub mod metrics;
pub mod panel;
pub mod registry;
pub mod scheduler;
pub mod server;
pub mod services;
pub mod store;
