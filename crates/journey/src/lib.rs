//! The Identité Numérique journey as a pure state machine.
//!
//! Fed commands, the current time and a random source; returns the messages to send. It
//! performs no I/O and reads no clock, so the world can replay, accelerate or freeze time, and
//! tests are deterministic. Start at [`Journey::handle`].

pub mod account;
pub mod calendar;
pub mod codes;
pub mod enrolment;
mod error;
pub mod identity;
mod journey;
pub mod local_time;
pub mod postal_request;
pub mod rules;
pub mod sign_in;
pub mod situation;
pub mod text;
pub mod verification;

pub use codes::CodeKind;
pub use error::JourneyError;
pub use identity::IdentityField;
pub use journey::{Channel, Command, Effect, Journey, LockReason, Notice, Person, Stage, Step};
