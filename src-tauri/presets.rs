//! Saved presets: named filters, columns, format, folder and file-name
//! pattern, so a list exported every week takes one click.
//!
//! A [`Preset`] keeps the filters as an `accounts.export` body in the API's
//! field names, plus relative date ranges ("this quarter") that are resolved
//! when the export runs. [`PresetStore`] keeps the presets and the last-used
//! form in the app's config folder as versioned JSON. The window, the command
//! line (`export --preset NAME`) and the tests share this module.

pub mod dates;
pub mod file_name;
mod store;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use crate::csv_export::ExportFormat;
pub use dates::RelativeRange;
pub use file_name::FileNameError;
pub use store::{find_preset, LoadedPresets, PresetStore};

use crate::columns::{ColumnChoice, ColumnChoiceError};
use crate::devrev::request::RequestParseError;
use crate::devrev::AccountsExportRequest;
use crate::error::AppError;
use crate::settings::SettingsError;
use crate::time_zone::TimeZonePolicy;

/// Version written to preset files. Files without a version, or with a lower
/// one, load with defaults for the fields they lack.
pub const PRESETS_VERSION: u32 = 1;

/// Value of `kind` in a file made by "Export preset".
pub const PRESET_FILE_KIND: &str = "devrev-accounts-export-preset";

/// Maximum length of a preset name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

/// Largest preset or presets file read. A preset is a few kilobytes.
pub const MAX_PRESET_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Relative date ranges that replace the absolute ones in the filters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RelativeDates {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<RelativeRange>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified: Option<RelativeRange>,
}

/// The settings of one export: filters, dates, columns, format and where the
/// file goes. Also stores the last-used form, with an empty name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Preset {
    pub name: String,
    /// `accounts.export` body in the API's field names, `first` included.
    pub filters: Map<String, Value>,
    pub dates: RelativeDates,
    pub time_zone: TimeZonePolicy,
    /// Export every matching account instead of `first`.
    pub all: bool,
    /// Column keys in order; `None` exports the default columns.
    pub columns: Option<Vec<String>>,
    pub format: ExportFormat,
    /// Folder for one-click exports; `None` is the Downloads folder.
    pub folder: Option<PathBuf>,
    /// File-name pattern, such as `Enterprise accounts {date}.xlsx`.
    pub file_name: String,
    /// Names shown for the IDs in the filters (user, tag and stage IDs), so a
    /// loaded preset shows names before any look-up runs.
    pub labels: BTreeMap<String, String>,
}

impl Default for Preset {
    fn default() -> Self {
        Preset {
            name: String::new(),
            filters: Map::new(),
            dates: RelativeDates::default(),
            time_zone: TimeZonePolicy::Local,
            all: false,
            columns: None,
            format: ExportFormat::Xlsx,
            folder: None,
            file_name: file_name::DEFAULT_PATTERN.to_owned(),
            labels: BTreeMap::new(),
        }
    }
}

/// Failure to use, save or read presets.
#[derive(Debug, thiserror::Error)]
pub enum PresetError {
    #[error("The preset name {reason}")]
    InvalidName { reason: String },
    #[error("There is no preset named `{name}`. Saved presets: {known}.")]
    NotFound { name: String, known: String },
    #[error("A preset named `{name}` already exists. Choose another name, or replace it.")]
    Exists { name: String },
    #[error("The filters of preset `{name}` are invalid: {source}")]
    InvalidFilters {
        name: String,
        source: RequestParseError,
    },
    #[error(transparent)]
    FileName(#[from] FileNameError),
    #[error("Preset `{name}` has columns that cannot be used: {source} Edit the preset's columns and save it again.")]
    InvalidColumns {
        name: String,
        source: ColumnChoiceError,
    },
    #[error("Could not read {}: {source}. Check the path and the file's permissions.", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Could not save {}: {source}. Check that the folder exists and that you may write to it.", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is not a preset file ({reason}). Choose a file made with Export preset.", .path.display())]
    NotAPresetFile { path: PathBuf, reason: String },
    #[error("{} was saved by a newer version of this app (format {version}, this app reads up to {PRESETS_VERSION}), so it is left unchanged. Update the app to change presets.", .path.display())]
    NewerVersion { path: PathBuf, version: u64 },
    #[error("{} is {bytes} bytes, more than a preset file may have ({MAX_PRESET_FILE_BYTES}). Choose a file made with Export preset.", .path.display())]
    TooLarge { path: PathBuf, bytes: u64 },
    #[error("No folder for exports was found (neither Downloads nor a home folder). Choose a folder for the preset.")]
    NoExportFolder,
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

impl From<PresetError> for AppError {
    fn from(error: PresetError) -> Self {
        let code = match &error {
            PresetError::InvalidName { .. } => "invalid_preset_name",
            PresetError::NotFound { .. } => "preset_not_found",
            PresetError::Exists { .. } => "preset_exists",
            PresetError::InvalidFilters { .. } => "invalid_filters",
            PresetError::FileName(_) => "invalid_file_name",
            PresetError::InvalidColumns { .. } => "invalid_columns",
            PresetError::Read { .. } => "preset_read_failed",
            PresetError::Write { .. } => "preset_save_failed",
            PresetError::NotAPresetFile { .. } | PresetError::TooLarge { .. } => {
                "invalid_preset_file"
            }
            PresetError::NewerVersion { .. } => "presets_newer_version",
            PresetError::NoExportFolder => "no_export_folder",
            PresetError::Settings(_) => "settings_failed",
        };
        if let PresetError::InvalidFilters { name, source } = error {
            let mut app_error = AppError::from(source);
            app_error.message = format!("Preset `{name}`: {}", app_error.message);
            return app_error;
        }
        AppError::new(code, error.to_string())
    }
}

impl Preset {
    /// Builds the request this preset sends at `now`: its filters with the
    /// relative dates resolved, and without `first` when it exports all.
    pub fn request(&self, now: DateTime<Utc>) -> Result<AccountsExportRequest, PresetError> {
        let mut body = self.filters.clone();
        for (field, range) in [
            ("created_date", self.dates.created),
            ("modified_date", self.dates.modified),
        ] {
            if let Some(range) = range {
                let resolved = range.resolve(self.time_zone, now);
                body.insert(
                    field.to_owned(),
                    serde_json::to_value(resolved).expect("a date range serializes"),
                );
            }
        }
        if self.all {
            body.remove("first");
        }
        AccountsExportRequest::from_value(Value::Object(body)).map_err(|source| {
            PresetError::InvalidFilters {
                name: self.name.clone(),
                source,
            }
        })
    }

    /// Returns the file name this preset gives an export at `now`. The
    /// pattern's own `.xlsx` or `.csv` ending, if any, is replaced by the
    /// extension of the preset's format.
    pub fn file_name_at(&self, now: DateTime<Utc>) -> Result<String, PresetError> {
        let local = self.time_zone.local_time(now);
        let name = file_name::render(&self.file_name, &self.name, local)?;
        let lower = name.to_ascii_lowercase();
        let stem = [".xlsx", ".csv"]
            .iter()
            .find(|ending| lower.ends_with(*ending) && lower.len() > ending.len())
            .map_or(name.as_str(), |ending| &name[..name.len() - ending.len()]);
        Ok(format!("{stem}.{}", self.format.extension()))
    }

    /// Checks the name, the filters and the file-name pattern.
    pub fn validate(&self) -> Result<(), PresetError> {
        check_name(&self.name)?;
        self.request(Utc::now())?;
        file_name::check_pattern(&self.file_name)?;
        Ok(())
    }

    /// Returns the preset's column choice: its column keys in order, or the
    /// default columns when it names none.
    pub fn column_choice(&self) -> Result<ColumnChoice, PresetError> {
        match &self.columns {
            None => Ok(ColumnChoice::default()),
            Some(keys) => ColumnChoice::new(keys.clone(), Vec::new()).map_err(|source| {
                PresetError::InvalidColumns {
                    name: self.name.clone(),
                    source,
                }
            }),
        }
    }
}

/// Checks a preset name: 1 to [`MAX_NAME_CHARS`] characters after trimming,
/// without control characters.
pub fn check_name(name: &str) -> Result<(), PresetError> {
    let trimmed = name.trim();
    let reason = if trimmed.is_empty() {
        "is empty. Enter a name, such as Enterprise accounts.".to_owned()
    } else if trimmed.chars().count() > MAX_NAME_CHARS {
        format!("is longer than {MAX_NAME_CHARS} characters. Shorten it.")
    } else if trimmed.chars().any(char::is_control) {
        "contains a line break or another control character. Remove it.".to_owned()
    } else if trimmed != name {
        "starts or ends with spaces. Remove them.".to_owned()
    } else {
        return Ok(());
    };
    Err(PresetError::InvalidName { reason })
}

/// Returns the folder for exports without a chosen folder: Downloads, else
/// the home folder.
pub fn default_export_folder() -> Result<PathBuf, PresetError> {
    let dirs = directories::UserDirs::new().ok_or(PresetError::NoExportFolder)?;
    Ok(dirs
        .download_dir()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_else(|| dirs.home_dir().to_path_buf()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn preset(filters: Value) -> Preset {
        Preset {
            name: "Weekly".into(),
            filters: filters.as_object().unwrap().clone(),
            ..Preset::default()
        }
    }

    #[test]
    fn relative_dates_replace_stored_ones() {
        let mut weekly = preset(json!({
            "tier": ["Enterprise"],
            "created_date": {"after": "2020-01-01T00:00:00Z"}
        }));
        weekly.time_zone = TimeZonePolicy::Utc;
        weekly.dates.created = Some(RelativeRange::ThisQuarter);

        let request = weekly
            .request("2026-12-04T10:00:00Z".parse().unwrap())
            .unwrap();

        let created = request.filters.created_date.unwrap();
        assert_eq!(
            created.after.unwrap().to_rfc3339(),
            "2026-10-01T00:00:00+00:00"
        );
        assert_eq!(request.filters.tier, ["Enterprise"]);
    }

    #[test]
    fn all_drops_first() {
        let mut everything = preset(json!({"first": 20}));
        everything.all = true;

        let request = everything.request(Utc::now()).unwrap();

        assert_eq!(request.first, None);
    }

    #[test]
    fn invalid_filters_name_the_preset() {
        let broken = preset(json!({"tiers": ["A"]}));

        let error = AppError::from(broken.request(Utc::now()).unwrap_err());

        assert_eq!(error.code, "invalid_filters");
        assert!(
            error.message.starts_with("Preset `Weekly`:"),
            "{}",
            error.message
        );
    }

    #[test]
    fn file_name_gets_xlsx_extension() {
        let mut weekly = preset(json!({}));
        weekly.file_name = "Enterprise accounts {date}".into();
        weekly.time_zone = TimeZonePolicy::Utc;

        let name = weekly.file_name_at("2026-12-04T10:00:00Z".parse().unwrap());

        assert_eq!(name.unwrap(), "Enterprise accounts 2026-12-04.xlsx");
    }

    #[test]
    fn csv_format_names_a_csv_file() {
        let mut csv = preset(json!({}));
        csv.format = ExportFormat::Csv;
        csv.file_name = "Weekly {date}".to_owned();
        csv.time_zone = TimeZonePolicy::Utc;
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-04T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);

        let plain = csv.file_name_at(now).unwrap();
        csv.file_name = "Weekly {date}.XLSX".to_owned();
        let replaced = csv.file_name_at(now).unwrap();

        assert_eq!(plain, "Weekly 2026-12-04.csv");
        assert_eq!(replaced, "Weekly 2026-12-04.csv");
    }

    #[test]
    fn names_are_checked() {
        assert!(check_name("Enterprise accounts").is_ok());
        for bad in ["", "   ", " padded", "line\nbreak", &"x".repeat(81)] {
            assert!(check_name(bad).is_err(), "{bad:?} was accepted");
        }
    }
}
