//! `export --preset NAME`: a saved preset as the command line's defaults.
//!
//! The preset gives the filters (with its relative dates resolved now), the
//! "all matching" choice, the columns, format and time zone, and the folder
//! and file-name pattern of the file. Options given on the command line win:
//! `--filters` replaces the preset's filters, `--all` turns on "all
//! matching", `--columns`, `--format` and `--time-zone` replace the preset's,
//! and `--out` replaces folder and file name.

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::EXIT_BAD_INPUT;
use crate::columns::ColumnChoice;
use crate::csv_export::ExportFormat;
use crate::error::AppError;
use crate::presets::{default_export_folder, file_name, find_preset, Preset, PresetStore};

/// Loads the preset `name` from the app's config folder. A `format` given on
/// the command line replaces the preset's.
pub(super) async fn load(
    name: &str,
    format: Option<ExportFormat>,
) -> Result<Preset, (u8, AppError)> {
    let bad_input = |error: crate::presets::PresetError| (EXIT_BAD_INPUT, AppError::from(error));
    let store = PresetStore::in_config_dir().map_err(bad_input)?;
    let loaded = store.load().await.map_err(bad_input)?;
    // A damaged presets file was just set aside. Without this warning the
    // "not found" below would not explain why the preset is missing.
    if let Some(warning) = &loaded.warning {
        tracing::warn!(%warning, "presets need attention");
        eprintln!("warning: {warning}");
    }
    let mut preset = find_preset(&loaded.presets, name).map_err(bad_input)?;
    if let Some(format) = format {
        preset.format = format;
    }
    Ok(preset)
}

/// Returns the preset's columns, or the default columns when it has none.
pub(super) fn columns(preset: &Preset) -> Result<ColumnChoice, (u8, AppError)> {
    preset
        .column_choice()
        .map_err(|error| (EXIT_BAD_INPUT, error.into()))
}

/// Returns the request body the preset sends at `now`.
pub(super) fn request(
    preset: &Preset,
    now: DateTime<Utc>,
) -> Result<crate::devrev::AccountsExportRequest, (u8, AppError)> {
    preset
        .request(now)
        .map_err(|error| (EXIT_BAD_INPUT, error.into()))
}

/// Returns a free path in the preset's folder under its file-name pattern.
pub(super) fn target(preset: &Preset, now: DateTime<Utc>) -> Result<PathBuf, (u8, AppError)> {
    let bad_input = |error: crate::presets::PresetError| (EXIT_BAD_INPUT, AppError::from(error));
    let folder = match &preset.folder {
        Some(folder) => folder.clone(),
        None => default_export_folder().map_err(bad_input)?,
    };
    let name = preset.file_name_at(now).map_err(bad_input)?;
    Ok(file_name::free_path(&folder, &name))
}
