//! The `idn` command's library part: the headless demo journey and document capture, shared by
//! the binary and the benchmark.

pub mod capture;
pub mod demo;
pub mod journal;
pub mod persona;
pub mod relying_party;
pub mod scenario;
pub mod staff;
