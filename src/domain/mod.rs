//! Pure domain types and rules: no I/O, no async, no other module of this crate. Everything here
//! is unit-tested on its own.

pub mod agent;
pub mod callback;
pub mod contact;
pub mod conversation;
pub mod email;
pub mod escalation;
pub mod line;
pub mod name;
pub mod otp;
pub mod qualification;
pub mod timezone;
pub mod token;

pub use contact::{check_transition, Actor, ClientBot, Contact, ContactState, Decision, TransitionError};
