//! "24 hours, weekends excluded": deadlines counted on weekdays only.
//!
//! Days are counted in UTC; the sandbox does not model French public holidays or the
//! Europe/Paris offset, which shift a deadline by at most a few hours.

use chrono::{DateTime, Datelike, NaiveTime, TimeDelta, Utc, Weekday};

fn is_weekend(at: DateTime<Utc>) -> bool {
    matches!(at.weekday(), Weekday::Sat | Weekday::Sun)
}

fn next_midnight(at: DateTime<Utc>) -> DateTime<Utc> {
    (at.date_naive() + TimeDelta::days(1))
        .and_time(NaiveTime::MIN)
        .and_utc()
}

/// `start` plus `hours` hours of weekday time: time on Saturdays and Sundays does not count.
pub fn add_weekday_hours(start: DateTime<Utc>, hours: i64) -> DateTime<Utc> {
    let mut remaining = TimeDelta::hours(hours);
    let mut at = start;
    loop {
        if is_weekend(at) {
            at = next_midnight(at);
            continue;
        }
        let left_today = next_midnight(at) - at;
        if remaining <= left_today {
            return at + remaining;
        }
        remaining -= left_today;
        at = next_midnight(at);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    #[test]
    fn weekday_review_deadline_skips_weekends() {
        for (start, expected) in [
            ("2026-03-02T10:00:00Z", "2026-03-03T10:00:00Z"), // Monday → Tuesday
            ("2026-03-06T10:00:00Z", "2026-03-09T10:00:00Z"), // Friday → Monday
            ("2026-03-07T10:00:00Z", "2026-03-10T00:00:00Z"), // Saturday → end of Monday
            ("2026-03-08T23:00:00Z", "2026-03-10T00:00:00Z"), // Sunday → end of Monday
        ] {
            assert_eq!(add_weekday_hours(at(start), 24), at(expected), "from {start}");
        }
    }
}
