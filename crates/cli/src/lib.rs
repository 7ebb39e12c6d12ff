//! The `idn` command's library part: the headless demo journey, shared by the binary and the
//! benchmark.

pub mod demo;
