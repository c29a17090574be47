//! The one time-zone policy for the results grid, the exported files and the
//! date filters.
//!
//! The user picks a [`TimeZonePolicy`]: local time (the default) or UTC. At
//! the start of a preview or export the policy is fixed to one UTC offset, an
//! [`ExportTimeZone`], and every date of that run is shown in that offset,
//! with the offset in the column header, for example `Created (UTC+01:00)`.
//!
//! Local time uses the computer's offset at that moment for every date, so
//! one offset in the header describes every value exactly. A date from the
//! other side of a daylight-saving change therefore shows one hour off the
//! wall clock of its own day.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, FixedOffset, Local, NaiveDateTime, Offset, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// The clock that dates are shown in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeZonePolicy {
    /// The computer's UTC offset when the run starts.
    #[default]
    Local,
    /// Coordinated Universal Time.
    Utc,
}

impl TimeZonePolicy {
    /// Returns the name used in settings and on the command line: `local` or `utc`.
    pub fn as_str(self) -> &'static str {
        match self {
            TimeZonePolicy::Local => "local",
            TimeZonePolicy::Utc => "utc",
        }
    }
}

impl fmt::Display for TimeZonePolicy {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A time-zone policy name that is neither `local` nor `utc`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid time zone `{value}`. Use `local` for this computer's time zone or `utc`.")]
pub struct TimeZoneParseError {
    pub value: String,
}

impl FromStr for TimeZonePolicy {
    type Err = TimeZoneParseError;

    /// Parses `local` or `utc`, in any letter case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "local" => Ok(TimeZonePolicy::Local),
            "utc" => Ok(TimeZonePolicy::Utc),
            _ => Err(TimeZoneParseError {
                value: text.to_owned(),
            }),
        }
    }
}

/// A policy fixed to one UTC offset for the whole of one preview or export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExportTimeZone {
    policy: TimeZonePolicy,
    offset: FixedOffset,
}

impl Default for ExportTimeZone {
    /// Returns UTC.
    fn default() -> Self {
        ExportTimeZone::utc()
    }
}

impl ExportTimeZone {
    /// Returns the UTC policy.
    pub fn utc() -> Self {
        ExportTimeZone {
            policy: TimeZonePolicy::Utc,
            offset: Utc.fix(),
        }
    }

    /// Fixes `policy` to the computer's offset now.
    pub fn resolve(policy: TimeZonePolicy) -> Self {
        ExportTimeZone::resolve_at(policy, Utc::now())
    }

    /// Fixes `policy` to the computer's offset at `instant`.
    pub fn resolve_at(policy: TimeZonePolicy, instant: DateTime<Utc>) -> Self {
        match policy {
            TimeZonePolicy::Utc => ExportTimeZone::utc(),
            TimeZonePolicy::Local => ExportTimeZone {
                policy,
                offset: Local.offset_from_utc_datetime(&instant.naive_utc()).fix(),
            },
        }
    }

    /// Uses a given offset for local time, for tests and for callers that
    /// already know the offset.
    pub fn local_with_offset(offset: FixedOffset) -> Self {
        ExportTimeZone {
            policy: TimeZonePolicy::Local,
            offset,
        }
    }

    /// Returns the policy this zone was resolved from.
    pub fn policy(&self) -> TimeZonePolicy {
        self.policy
    }

    /// Returns the fixed offset from UTC.
    pub fn offset(&self) -> FixedOffset {
        self.offset
    }

    /// Returns the offset east of UTC in whole minutes, as the grid and the
    /// date filters use it.
    pub fn offset_minutes(&self) -> i32 {
        self.offset.local_minus_utc() / 60
    }

    /// Returns the zone as a header shows it: `UTC` for the UTC policy, else
    /// `UTC+01:00`, `UTC-05:00` or `UTC+00:00`.
    pub fn label(&self) -> String {
        match self.policy {
            TimeZonePolicy::Utc => "UTC".to_owned(),
            TimeZonePolicy::Local => format!("UTC{}", self.offset),
        }
    }

    /// Returns a date column's header with the zone: `Created (UTC+01:00)`.
    pub fn header(&self, base: &str) -> String {
        format!("{base} ({})", self.label())
    }

    /// Converts `instant` to the wall-clock time of this zone, which is what
    /// an Excel date-time cell stores.
    pub fn wall_clock(&self, instant: &DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.offset).naive_local()
    }

    /// Converts a wall-clock time in this zone, such as a date filter's
    /// input, to the instant it names.
    pub fn instant(&self, wall_clock: NaiveDateTime) -> DateTime<Utc> {
        // A fixed offset maps every wall-clock time to exactly one instant.
        (wall_clock - self.offset).and_utc()
    }

    /// Formats `instant` as RFC 3339 with this zone's offset and milliseconds
    /// when there are any, for example `2024-01-02T04:04:05.678+01:00`.
    pub fn rfc3339(&self, instant: &DateTime<Utc>) -> String {
        instant
            .with_timezone(&self.offset)
            .to_rfc3339_opts(SecondsFormat::AutoSi, self.policy == TimeZonePolicy::Utc)
    }

    /// Formats `instant` as text that Excel and LibreOffice read as a date
    /// when they open a CSV file: `2024-01-02 04:04:05`, with `.678` added
    /// when the time has milliseconds. Smaller fractions are cut, as Excel
    /// keeps milliseconds only.
    pub fn spreadsheet_text(&self, instant: &DateTime<Utc>) -> String {
        let wall_clock = self.wall_clock(instant);
        let millis = wall_clock.and_utc().timestamp_subsec_millis();
        if millis == 0 {
            wall_clock.format("%Y-%m-%d %H:%M:%S").to_string()
        } else {
            format!("{}.{millis:03}", wall_clock.format("%Y-%m-%d %H:%M:%S"))
        }
    }
}

/// The resolved zone as the window receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeZoneInfo {
    pub policy: TimeZonePolicy,
    /// Offset east of UTC in minutes.
    pub offset_minutes: i32,
    /// The zone as headers show it, such as `UTC+01:00`.
    pub label: String,
}

impl From<ExportTimeZone> for TimeZoneInfo {
    fn from(zone: ExportTimeZone) -> Self {
        TimeZoneInfo {
            policy: zone.policy(),
            offset_minutes: zone.offset_minutes(),
            label: zone.label(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instant(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn berlin_winter() -> ExportTimeZone {
        ExportTimeZone::local_with_offset(FixedOffset::east_opt(3600).unwrap())
    }

    #[test]
    fn policy_parses_and_prints() {
        assert_eq!("local".parse::<TimeZonePolicy>(), Ok(TimeZonePolicy::Local));
        assert_eq!(" UTC ".parse::<TimeZonePolicy>(), Ok(TimeZonePolicy::Utc));
        assert_eq!(TimeZonePolicy::Utc.to_string(), "utc");

        let error = "Europe/Berlin".parse::<TimeZonePolicy>().unwrap_err();
        assert_eq!(
            error.to_string(),
            "Invalid time zone `Europe/Berlin`. Use `local` for this computer's time zone or `utc`."
        );
    }

    #[test]
    fn policy_serializes_lowercase() {
        assert_eq!(
            serde_json::to_string(&TimeZonePolicy::Local).unwrap(),
            "\"local\""
        );
        assert_eq!(
            serde_json::from_str::<TimeZonePolicy>("\"utc\"").unwrap(),
            TimeZonePolicy::Utc
        );
        assert_eq!(TimeZonePolicy::default(), TimeZonePolicy::Local);
    }

    #[test]
    fn headers_name_the_offset() {
        let west = ExportTimeZone::local_with_offset(FixedOffset::west_opt(5 * 3600).unwrap());
        let zero = ExportTimeZone::local_with_offset(FixedOffset::east_opt(0).unwrap());
        let india = ExportTimeZone::local_with_offset(FixedOffset::east_opt(19_800).unwrap());

        assert_eq!(ExportTimeZone::utc().header("Created"), "Created (UTC)");
        assert_eq!(berlin_winter().header("Created"), "Created (UTC+01:00)");
        assert_eq!(west.header("Modified"), "Modified (UTC-05:00)");
        assert_eq!(zero.label(), "UTC+00:00");
        assert_eq!(india.label(), "UTC+05:30");
        assert_eq!(india.offset_minutes(), 330);
        assert_eq!(west.offset_minutes(), -300);
    }

    #[test]
    fn wall_clock_uses_the_offset() {
        let created = instant("2024-12-31T23:30:00Z");

        let wall_clock = berlin_winter().wall_clock(&created);

        assert_eq!(wall_clock.to_string(), "2025-01-01 00:30:00");
        assert_eq!(
            ExportTimeZone::utc().wall_clock(&created).to_string(),
            "2024-12-31 23:30:00"
        );
    }

    #[test]
    fn summer_dates_keep_the_fixed_offset() {
        // The offset is fixed for the run, so a July date is not moved to summer time.
        let summer = instant("2024-07-01T08:00:00Z");

        assert_eq!(
            berlin_winter().spreadsheet_text(&summer),
            "2024-07-01 09:00:00"
        );
    }

    #[test]
    fn instant_inverts_wall_clock() {
        let zone = berlin_winter();
        let created = instant("2024-03-15T10:20:30.123Z");

        assert_eq!(zone.instant(zone.wall_clock(&created)), created);
    }

    #[test]
    fn rfc3339_shows_offset_or_z() {
        let created = instant("2024-01-02T03:04:05.678Z");

        assert_eq!(
            berlin_winter().rfc3339(&created),
            "2024-01-02T04:04:05.678+01:00"
        );
        assert_eq!(
            ExportTimeZone::utc().rfc3339(&created),
            "2024-01-02T03:04:05.678Z"
        );
    }

    #[test]
    fn spreadsheet_text_keeps_milliseconds_only() {
        let zone = ExportTimeZone::utc();

        assert_eq!(
            zone.spreadsheet_text(&instant("2024-01-02T03:04:05Z")),
            "2024-01-02 03:04:05"
        );
        assert_eq!(
            zone.spreadsheet_text(&instant("2024-01-02T03:04:05.5Z")),
            "2024-01-02 03:04:05.500"
        );
        assert_eq!(
            zone.spreadsheet_text(&instant("2024-01-02T03:04:05.123456789Z")),
            "2024-01-02 03:04:05.123"
        );
    }

    #[test]
    fn resolve_utc_ignores_the_computer() {
        let zone = ExportTimeZone::resolve(TimeZonePolicy::Utc);

        assert_eq!(zone, ExportTimeZone::utc());
        assert_eq!(zone.offset_minutes(), 0);
    }

    #[test]
    fn resolve_local_matches_chrono_local() {
        let now = Utc::now();

        let zone = ExportTimeZone::resolve_at(TimeZonePolicy::Local, now);

        assert_eq!(zone.policy(), TimeZonePolicy::Local);
        assert_eq!(
            zone.offset().local_minus_utc(),
            now.with_timezone(&Local).offset().local_minus_utc()
        );
    }

    #[test]
    fn info_serializes_for_window() {
        let json = serde_json::to_value(TimeZoneInfo::from(berlin_winter())).unwrap();

        assert_eq!(
            json,
            serde_json::json!({"policy": "local", "offsetMinutes": 60, "label": "UTC+01:00"})
        );
    }
}
