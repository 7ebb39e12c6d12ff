//! The world's API as its clients see it: the wire types of every HTTP exchange, the approval
//! protocol (HPKE-sealed secret code, Ed25519 signatures) and one typed client of the world.
//! The device, the scenario engine, the `idn` CLI and the tests all speak through this crate,
//! so none of them links the world's server (axum, SQLite, OpenSSL).

mod answer;
mod client;
mod desk;
mod error;
mod events;
pub mod join;
mod journal;
pub mod protocol;
pub mod tls;
mod wire;

pub use client::{Credential, WorldClient};
pub use desk::*;
pub use error::ClientError;
pub use events::LearnerEvents;
pub use journal::{JournalDetail, JournalEntry};
pub use wire::*;
