//! Instants as people read them: French formats, in the class's time zone
//! ([`rules::CLASS_TIME_ZONE`](crate::rules::CLASS_TIME_ZONE)), with its summer time. The one
//! formatting of times for people, shared by the journey's messages, the world's emails, SMS,
//! letters and pages, and the console; instants themselves stay UTC everywhere else.

use crate::rules::CLASS_TIME_ZONE;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// `at` on the class's clocks and calendars.
pub fn local(at: DateTime<Utc>) -> DateTime<Tz> {
    at.with_timezone(&CLASS_TIME_ZONE)
}

/// « 03/12/2026 à 08:17 »: a moment in a sentence (« valable jusqu'au … »).
pub fn in_sentence(at: DateTime<Utc>) -> String {
    local(at).format("%d/%m/%Y à %H:%M").to_string()
}

/// « 03/12/2026 08:17 »: a moment in a table or beside a label.
pub fn in_table(at: DateTime<Utc>) -> String {
    local(at).format("%d/%m/%Y %H:%M").to_string()
}

/// « 03/12/2026 08:17:05 »: a clock's face.
pub fn on_clock(at: DateTime<Utc>) -> String {
    local(at).format("%d/%m/%Y %H:%M:%S").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    #[test]
    fn winter_times_read_one_hour_ahead_of_utc() {
        let at = utc("2026-12-03T07:17:00Z");
        assert_eq!(in_sentence(at), "03/12/2026 à 08:17");
        assert_eq!(in_table(at), "03/12/2026 08:17");
        assert_eq!(on_clock(at), "03/12/2026 08:17:00");
    }

    #[test]
    fn summer_times_read_two_hours_ahead_of_utc() {
        assert_eq!(in_sentence(utc("2026-07-14T07:17:00Z")), "14/07/2026 à 09:17");
    }

    #[test]
    fn a_late_utc_evening_is_already_the_next_day_in_paris() {
        assert_eq!(in_table(utc("2026-12-31T23:30:00Z")), "01/01/2027 00:30");
    }

    #[test]
    fn the_change_to_summer_time_skips_two_oclock() {
        // 29 March 2026: at 01:00 UTC Paris goes from 02:00 (CET) to 03:00 (CEST).
        assert_eq!(in_table(utc("2026-03-29T00:59:00Z")), "29/03/2026 01:59");
        assert_eq!(in_table(utc("2026-03-29T01:00:00Z")), "29/03/2026 03:00");
    }
}
