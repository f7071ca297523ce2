//! Clients of external APIs, each behind a small trait with a real implementation and an embedded
//! default that works offline and says plainly what it did not do.

pub mod coolify;
pub mod dry_run;
pub mod guacamole;
pub mod keyboard;
pub mod mailer;
pub mod managed_bots;
pub mod notifier;
pub mod pacer;
pub mod planka;
pub mod probe;
pub mod provisioner;
pub mod spawn_command;
pub mod telegram;
pub mod twenty;
