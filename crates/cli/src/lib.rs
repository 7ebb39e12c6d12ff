//! The `idn` command's library part: the headless demo journey and document capture, shared by
//! the binary and the benchmark.

pub mod capture;
pub mod demo;

/// Scenarios, personas and journals live in `idn-scenario`; `idn` is a shell over them.
pub use idn_scenario::{journal, persona, scenario};
