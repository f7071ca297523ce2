//! m2o-bot: the Telegram bot that is the whole interface of the Machine.Machine agent fleet.
//! See README.md for what it does and `../shared/design.md` for the layers.

pub mod api;
pub mod app;
pub mod bot;
pub mod clock;
pub mod config;
#[cfg(feature = "console")]
pub mod console;
pub mod content;
pub mod crypto;
pub mod domain;
pub mod fleet;
pub mod i18n;
pub mod metrics;
pub mod registry;
pub mod scheduler;
pub mod server;
pub mod services;
pub mod store;
