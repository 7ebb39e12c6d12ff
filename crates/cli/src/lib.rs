//! The `idn` command's library part: document and video capture as the app does it, shared by
//! the binary and the benchmark (the demo's journey is the scenario engine's).

pub mod capture;

/// Scenarios, personas and journals live in `idn-scenario`; `idn` is a shell over them.
pub use idn_scenario::{journal, persona, scenario};
