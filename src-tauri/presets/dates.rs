//! Date presets such as "this quarter" and the time-zone rule that turns them
//! into the inclusive UTC ranges the API filters take.
//!
//! A preset is stored by name and resolved when an export runs, so a preset
//! saved with "last 30 days" always means the 30 days before that export.
//! Periods are whole calendar days in the chosen zone: "last 7 days" is today
//! and the six days before it, and every range ends at the last millisecond
//! of today or of the period.

use chrono::{DateTime, Datelike, Days, Local, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use crate::devrev::DateTimeFilter;
use crate::time_zone::TimeZonePolicy;

/// A period relative to the day of the export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelativeRange {
    #[serde(rename = "today")]
    Today,
    #[serde(rename = "last_7_days")]
    Last7Days,
    #[serde(rename = "last_30_days")]
    Last30Days,
    #[serde(rename = "last_90_days")]
    Last90Days,
    #[serde(rename = "this_month")]
    ThisMonth,
    #[serde(rename = "this_quarter")]
    ThisQuarter,
    #[serde(rename = "this_year")]
    ThisYear,
}

impl TimeZonePolicy {
    /// Returns the calendar date and wall-clock time of `now` in this zone.
    pub fn local_time(self, now: DateTime<Utc>) -> chrono::NaiveDateTime {
        match self {
            TimeZonePolicy::Local => now.with_timezone(&Local).naive_local(),
            TimeZonePolicy::Utc => now.naive_utc(),
        }
    }
}

impl RelativeRange {
    /// Returns the range that this period covers on the day of `now`, with
    /// both ends inclusive.
    pub fn resolve(self, zone: TimeZonePolicy, now: DateTime<Utc>) -> DateTimeFilter {
        match zone {
            TimeZonePolicy::Local => self.resolve_in(&Local, now),
            TimeZonePolicy::Utc => self.resolve_in(&Utc, now),
        }
    }

    fn resolve_in<Tz: TimeZone>(self, zone: &Tz, now: DateTime<Utc>) -> DateTimeFilter {
        let today = now.with_timezone(zone).date_naive();
        let tomorrow = today + Days::new(1);
        let (first_day, day_after) = match self {
            RelativeRange::Today => (today, tomorrow),
            RelativeRange::Last7Days => (today - Days::new(6), tomorrow),
            RelativeRange::Last30Days => (today - Days::new(29), tomorrow),
            RelativeRange::Last90Days => (today - Days::new(89), tomorrow),
            RelativeRange::ThisMonth => {
                let start = first_of_month(today.year(), today.month());
                (start, start + chrono::Months::new(1))
            }
            RelativeRange::ThisQuarter => {
                let first_month = (today.month0() / 3) * 3 + 1;
                let start = first_of_month(today.year(), first_month);
                (start, start + chrono::Months::new(3))
            }
            RelativeRange::ThisYear => {
                let start = first_of_month(today.year(), 1);
                (start, start + chrono::Months::new(12))
            }
        };
        let end = start_of_day(zone, day_after) - chrono::Duration::milliseconds(1);
        DateTimeFilter {
            after: Some(start_of_day(zone, first_day)),
            before: Some(end),
        }
    }
}

fn first_of_month(year: i32, month: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, 1).expect("month is from 1 to 12")
}

/// Returns the first instant of `date` in `zone`. Where a clock change skips
/// midnight, the day starts at the first time that exists.
fn start_of_day<Tz: TimeZone>(zone: &Tz, date: NaiveDate) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    (0..=4)
        .find_map(|hours| {
            let wall_clock = midnight + chrono::Duration::hours(hours);
            zone.from_local_datetime(&wall_clock).earliest()
        })
        .map(|start| start.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&midnight))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn utc_range(range: RelativeRange, now: &str) -> (String, String) {
        let filter = range.resolve(TimeZonePolicy::Utc, at(now));
        (
            filter.after.unwrap().to_rfc3339(),
            filter.before.unwrap().to_rfc3339(),
        )
    }

    #[test]
    fn today_covers_the_whole_day() {
        assert_eq!(
            utc_range(RelativeRange::Today, "2026-12-04T15:30:00Z"),
            (
                "2026-12-04T00:00:00+00:00".into(),
                "2026-12-04T23:59:59.999+00:00".into()
            )
        );
    }

    #[test]
    fn last_seven_days_include_today() {
        let (after, before) = utc_range(RelativeRange::Last7Days, "2026-12-04T15:30:00Z");

        assert_eq!(after, "2026-11-28T00:00:00+00:00");
        assert_eq!(before, "2026-12-04T23:59:59.999+00:00");
    }

    #[test]
    fn this_quarter_runs_to_quarter_end() {
        assert_eq!(
            utc_range(RelativeRange::ThisQuarter, "2026-11-15T08:00:00Z"),
            (
                "2026-10-01T00:00:00+00:00".into(),
                "2026-12-31T23:59:59.999+00:00".into()
            )
        );
        assert_eq!(
            utc_range(RelativeRange::ThisQuarter, "2026-03-31T23:00:00Z").0,
            "2026-01-01T00:00:00+00:00"
        );
    }

    #[test]
    fn this_month_and_year_cover_the_calendar_period() {
        assert_eq!(
            utc_range(RelativeRange::ThisMonth, "2024-02-10T00:00:00Z"),
            (
                "2024-02-01T00:00:00+00:00".into(),
                "2024-02-29T23:59:59.999+00:00".into()
            )
        );
        assert_eq!(
            utc_range(RelativeRange::ThisYear, "2026-06-01T00:00:00Z"),
            (
                "2026-01-01T00:00:00+00:00".into(),
                "2026-12-31T23:59:59.999+00:00".into()
            )
        );
    }

    #[test]
    fn zone_decides_which_day_it_is() {
        // 23:30 UTC is already the next day at UTC+2.
        let zone = FixedOffset::east_opt(2 * 3600).unwrap();

        let range = RelativeRange::Today.resolve_in(&zone, at("2026-12-04T23:30:00Z"));

        assert_eq!(
            range.after.unwrap().to_rfc3339(),
            "2026-12-04T22:00:00+00:00"
        );
        assert_eq!(
            range.before.unwrap().to_rfc3339(),
            "2026-12-05T21:59:59.999+00:00"
        );
    }

    #[test]
    fn ranges_serialize_with_stable_names() {
        let names: Vec<String> = [
            RelativeRange::Today,
            RelativeRange::Last7Days,
            RelativeRange::Last30Days,
            RelativeRange::Last90Days,
            RelativeRange::ThisMonth,
            RelativeRange::ThisQuarter,
            RelativeRange::ThisYear,
        ]
        .iter()
        .map(|range| {
            serde_json::to_value(range)
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();

        assert_eq!(
            names,
            [
                "today",
                "last_7_days",
                "last_30_days",
                "last_90_days",
                "this_month",
                "this_quarter",
                "this_year"
            ]
        );
    }
}
