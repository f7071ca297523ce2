//! Running the fleet: the one approval path (§4c), provisioning jobs (§3.10), going live, and the
//! CRM mirror. Used by every surface — the master's buttons and commands, the confirm step's
//! auto-approval, and the HTTP API — so a decision means the same thing wherever it is taken.

pub mod actions;
pub mod approval;
pub mod crm;
pub mod escalations;
pub mod jobs;
pub mod live;
pub mod progress;
