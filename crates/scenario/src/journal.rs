//! `idn journal export` and `idn replay`: a learner's journal in a stable text form (one line
//! per entry, fields in a fixed order, times counted from the learner's first entry so that two
//! runs of the same scenario and seed give the same file byte for byte), carrying the scenario
//! that re-creates the learner, and the comparison of a recorded journal with its replay.

use crate::error::{invalid, Result};
use crate::scenario::Scenario;
use idn_api::JournalEntry;
use serde::Serialize;

/// First line of every exported journal: the format and its version.
pub const JOURNAL_HEADER: &str = "# idn-journal 1";

/// Prefix of the lines carrying the scenario (TOML) inside the journal file.
const SCENARIO_PREFIX: &str = "#| ";

/// Time since `start`, as `+DDj HH:MM:SS`: independent of the day the world was created.
fn elapsed(start: chrono::DateTime<chrono::Utc>, at: chrono::DateTime<chrono::Utc>) -> String {
    let seconds = (at - start).num_seconds().max(0);
    format!(
        "+{}j{:02}:{:02}:{:02}",
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

/// A field with its tabs, newlines and backslashes escaped, so that one entry is one line.
fn field(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('\t', "\\t")
        .replace('\n', "\\n")
}

/// The entry lines of a journal: seq, elapsed time, actor, action, outcome, step before, step
/// after, message (empty when none), separated by tabs.
pub fn entry_lines(entries: &[JournalEntry]) -> Vec<String> {
    let Some(start) = entries.first().map(|entry| entry.at) else {
        return Vec::new();
    };
    entries
        .iter()
        .map(|entry| {
            [
                entry.seq.to_string(),
                elapsed(start, entry.at),
                field(&entry.actor),
                field(&entry.action),
                field(&entry.outcome),
                field(entry.step_before.code()),
                field(entry.step_after.code()),
                field(entry.message.as_deref().unwrap_or_default()),
            ]
            .join("\t")
        })
        .collect()
}

/// The whole exported file: header, the scenario that replays it, then one line per entry.
pub fn render(entries: &[JournalEntry], scenario: &Scenario) -> String {
    let mut text = String::new();
    text.push_str(JOURNAL_HEADER);
    text.push('\n');
    text.push_str(
        "# Journal d'un apprenant du monde simulé IDN Sandbox : une ligne par événement, champs séparés\n",
    );
    text.push_str(
        "# par des tabulations — numéro, temps écoulé depuis le premier événement, acteur, action,\n",
    );
    text.push_str(
        "# résultat, étape avant, étape après, message. Les lignes « #| » portent le scénario qui\n",
    );
    text.push_str("# recrée l'apprenant : `idn replay FICHIER` le rejoue dans un monde neuf et compare.\n");
    for line in scenario.to_toml().lines() {
        text.push_str(SCENARIO_PREFIX.trim_end());
        if !line.is_empty() {
            text.push(' ');
            text.push_str(line);
        }
        text.push('\n');
    }
    for line in entry_lines(entries) {
        text.push_str(&line);
        text.push('\n');
    }
    text
}

/// A journal file read back.
pub struct RecordedJournal {
    pub scenario: Scenario,
    pub lines: Vec<String>,
}

pub fn parse(text: &str) -> Result<RecordedJournal> {
    let mut lines = text.lines();
    if lines.next().map(str::trim_end) != Some(JOURNAL_HEADER) {
        invalid!("ce fichier n'est pas un journal exporté par `idn journal export` (en-tête « {JOURNAL_HEADER} » attendu)");
    }
    let mut scenario = String::new();
    let mut entries = Vec::new();
    for line in lines {
        if let Some(rest) = line.strip_prefix("#|") {
            scenario.push_str(rest.strip_prefix(' ').unwrap_or(rest));
            scenario.push('\n');
        } else if !line.starts_with('#') && !line.trim().is_empty() {
            entries.push(line.to_owned());
        }
    }
    if scenario.trim().is_empty() {
        invalid!("ce journal ne contient pas de scénario (lignes « #| ») : il ne peut pas être rejoué");
    }
    Ok(RecordedJournal {
        scenario: Scenario::parse(&scenario, "journal")?,
        lines: entries,
    })
}

/// Where a replay first departs from the recording; `None` on either side when one journal is
/// shorter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Divergence {
    /// 1-based number of the first differing entry.
    pub entry: usize,
    pub recorded: Option<String>,
    pub replayed: Option<String>,
}

pub fn first_divergence(recorded: &[String], replayed: &[String]) -> Option<Divergence> {
    let longest = recorded.len().max(replayed.len());
    (0..longest).find_map(|index| {
        let (left, right) = (recorded.get(index), replayed.get(index));
        (left != right).then(|| Divergence {
            entry: index + 1,
            recorded: left.cloned(),
            replayed: right.cloned(),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, Utc};

    fn entry(
        seq: i64,
        at: DateTime<Utc>,
        action: &str,
        outcome: &str,
        message: Option<&str>,
    ) -> JournalEntry {
        JournalEntry {
            seq,
            at,
            actor: "apprenant".into(),
            action: action.into(),
            outcome: outcome.into(),
            message: message.map(Into::into),
            detail: None,
            step_before: idn_api::Step::EmailCode,
            step_after: idn_api::Step::EmailCode,
        }
    }

    fn scenario() -> Scenario {
        crate::scenario::load("code-email-errone").unwrap()
    }

    #[test]
    fn times_are_relative_so_the_day_of_the_run_does_not_matter() {
        let monday = DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc();
        let later_day = monday + TimeDelta::days(40) + TimeDelta::seconds(17);
        let lines = |start: DateTime<Utc>| {
            entry_lines(&[
                entry(1, start, "start_account", "ok", None),
                entry(
                    2,
                    start + TimeDelta::minutes(15) + TimeDelta::days(1),
                    "confirm_email",
                    "code_expired",
                    Some("Ce code a expiré\tvraiment\nsi"),
                ),
            ])
        };
        assert_eq!(lines(monday), lines(later_day));
        assert_eq!(
            lines(monday)[1],
            "2\t+1j00:15:00\tapprenant\tconfirm_email\tcode_expired\temail_code\temail_code\tCe code a expiré\\tvraiment\\nsi"
        );
    }

    #[test]
    fn an_exported_journal_reads_back_with_its_scenario() {
        let at = DateTime::UNIX_EPOCH;
        let text = render(&[entry(1, at, "start_account", "ok", None)], &scenario());
        let read = parse(&text).expect("reads back");
        assert_eq!(read.scenario.name, "code-email-errone");
        assert_eq!(read.lines.len(), 1);
        assert!(read.lines[0].starts_with("1\t+0j00:00:00\t"));
    }

    #[test]
    fn the_first_divergence_shows_both_versions() {
        let recorded = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(first_divergence(&recorded, &recorded), None);
        let replayed = vec!["a".to_owned(), "B".to_owned()];
        assert_eq!(
            first_divergence(&recorded, &replayed),
            Some(Divergence {
                entry: 2,
                recorded: Some("b".into()),
                replayed: Some("B".into()),
            })
        );
        let shorter = vec!["a".to_owned(), "b".to_owned()];
        assert_eq!(
            first_divergence(&recorded, &shorter).map(|d| (d.entry, d.replayed)),
            Some((3, None)),
            "a replay that stops early diverges where it stops"
        );
    }

    #[test]
    fn a_file_without_header_or_scenario_is_refused() {
        assert!(parse("1\t+0j00:00:00\n").is_err());
        assert!(parse(&format!("{JOURNAL_HEADER}\n1\tx\n")).is_err());
    }
}
