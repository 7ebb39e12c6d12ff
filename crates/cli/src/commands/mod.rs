//! The `idn` subcommands, one module per command group: each parses its arguments, calls the
//! device core, the world's API or `idn-scenario`, and prints. What they share lives here.

pub mod capture;
pub mod clerk;
pub mod clock;
pub mod demo;
pub mod device;
pub mod journal;
pub mod learner;
pub mod login;
pub mod relying_party;
pub mod scenario;
pub mod staff;
pub mod world;

use idn_device::{DeviceError, KeyringVault, MemoryVault, Vault};
use serde::Serialize;
use std::path::Path;
use std::sync::Arc;

/// Prints `value` as pretty JSON with `--json`, else its French rendering by `human`.
pub fn print<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).expect("plain data serialises")
        );
    } else {
        println!("{}", human(value));
    }
}

/// The human form of a list: one rendering per item, one after the other.
pub fn lines<T>(items: &[T], line: impl Fn(&T) -> String) -> String {
    items.iter().map(line).collect::<Vec<_>>().join("\n")
}

/// As `lines`, or the sentence `none` when there is nothing to list.
pub fn lines_or<T>(items: &[T], none: &str, line: impl Fn(&T) -> String) -> String {
    if items.is_empty() {
        none.to_owned()
    } else {
        lines(items, line)
    }
}

/// A command that could not do its job: `{"ok":false,"code","message"}` on the standard output
/// with `--json` (scripts read one document there), `sentence` on the standard error otherwise.
pub fn print_failure(json: bool, code: &str, message: &str, sentence: &str) {
    if json {
        println!(
            "{}",
            serde_json::json!({ "ok": false, "code": code, "message": message })
        );
    } else {
        eprintln!("{sentence}");
    }
}

/// Input the command line refuses before asking anyone: reported with its code, exit 1.
pub fn invalid(code: &'static str, message: impl Into<String>) -> DeviceError {
    DeviceError::Invalid {
        code,
        message: message.into(),
    }
}

/// Writes `text` to `out`, or to the standard output.
pub fn write_out(out: Option<&Path>, text: &str) -> anyhow::Result<()> {
    match out {
        Some(path) => std::fs::write(path, text)?,
        None => print!("{text}"),
    }
    Ok(())
}

/// Where a simulated phone keeps its signing key.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum VaultChoice {
    /// The OS keyring (Secret Service or kernel keyutils on Linux).
    Keyring,
    /// In memory, gone at exit.
    Memoire,
}

pub fn open_vault(choice: VaultChoice) -> Result<Arc<dyn Vault>, DeviceError> {
    Ok(match choice {
        VaultChoice::Keyring => Arc::new(KeyringVault::open()?),
        VaultChoice::Memoire => Arc::new(MemoryVault::default()),
    })
}
