//! The session's preset actions: list, save, rename, delete, export to and
//! import from a file, the last-used form, and the one-click export that
//! writes to a preset's folder without a dialog.

use std::path::Path;

use chrono::Utc;
use serde::Serialize;

use super::AppSession;
use crate::columns::ColumnOptions;
use crate::csv_export::{export_csv_to_file, ExportFormat};
use crate::devrev::paging::PagingLimits;
use crate::devrev::RetryNotice;
use crate::error::AppError;
use crate::export::{export_resumable, ExportSummary, FetchPlan, Progress};
use crate::presets::{default_export_folder, file_name, Preset, PresetError, PresetStore};
use crate::settings::SettingsStore;
use crate::time_zone::ExportTimeZone;

/// The saved presets as the window shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PresetList {
    pub presets: Vec<Preset>,
    /// Note about a presets file that was set aside or is read-only.
    pub warning: Option<String>,
    /// True when the presets file is from a newer version and changes are refused.
    pub read_only: bool,
    /// Folder that exports go to when a preset names none.
    pub default_folder: Option<String>,
}

/// A preset read from a file, and the presets after saving it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportedPreset {
    pub preset: Preset,
    pub list: PresetList,
}

/// Returns a preset store in the settings folder, or `None` without one.
pub(super) fn store_beside(settings: Option<&SettingsStore>) -> Option<PresetStore> {
    let dir = settings?.path().parent()?;
    Some(PresetStore::in_dir(dir))
}

impl AppSession {
    /// Returns every saved preset.
    pub async fn list_presets(&self) -> Result<PresetList, AppError> {
        let loaded = self.preset_store()?.load().await?;
        if let Some(warning) = &loaded.warning {
            tracing::warn!(%warning, "presets need attention");
        }
        Ok(PresetList {
            presets: loaded.presets,
            warning: loaded.warning,
            read_only: loaded.read_only,
            default_folder: default_folder_text(),
        })
    }

    /// Checks and saves a preset. With `replace`, one of the same name is replaced.
    pub async fn save_preset(&self, preset: Preset, replace: bool) -> Result<PresetList, AppError> {
        let name = preset.name.clone();
        self.preset_store()?.save(preset, replace).await?;
        tracing::info!(preset = %name, "preset saved");
        self.list_presets().await
    }

    /// Renames a preset.
    pub async fn rename_preset(&self, old: &str, new: &str) -> Result<PresetList, AppError> {
        self.preset_store()?.rename(old, new).await?;
        tracing::info!(from = %old, to = %new, "preset renamed");
        self.list_presets().await
    }

    /// Deletes a preset.
    pub async fn delete_preset(&self, name: &str) -> Result<PresetList, AppError> {
        self.preset_store()?.delete(name).await?;
        tracing::info!(preset = %name, "preset deleted");
        self.list_presets().await
    }

    /// Writes a preset to a file for another person or computer.
    pub async fn export_preset_file(&self, name: &str, path: &Path) -> Result<(), AppError> {
        self.preset_store()?.export_file(name, path).await?;
        tracing::info!(preset = %name, path = %path.display(), "preset exported to a file");
        Ok(())
    }

    /// Reads a preset file and saves its preset, renamed if the name is taken.
    pub async fn import_preset_file(&self, path: &Path) -> Result<ImportedPreset, AppError> {
        let (preset, _) = self.preset_store()?.import_file(path).await?;
        tracing::info!(preset = %preset.name, path = %path.display(), "preset imported");
        Ok(ImportedPreset {
            preset,
            list: self.list_presets().await?,
        })
    }

    /// Returns the form as it was last used, or `None` when there is none
    /// or it cannot be read.
    pub async fn last_used(&self) -> Option<Preset> {
        let store = self.presets.as_ref()?;
        match store.load_last_used().await {
            Ok(settings) => settings,
            Err(error) => {
                tracing::warn!(%error, "last-used settings not loaded");
                None
            }
        }
    }

    /// Remembers the form for the next start.
    pub async fn save_last_used(&self, settings: &Preset) -> Result<(), AppError> {
        self.preset_store()?.save_last_used(settings).await?;
        Ok(())
    }

    /// Exports the saved preset `name` to its folder without a dialog.
    pub async fn export_preset(
        &self,
        name: &str,
        on_progress: impl FnMut(Progress) + Send,
        on_wait: impl Fn(&RetryNotice) + Send + Sync + 'static,
    ) -> Result<ExportSummary, AppError> {
        let preset = self.preset_store()?.get(name).await?;
        self.export_to_folder(&preset, on_progress, on_wait).await
    }

    /// Exports what `settings` describes to its folder (Downloads when it
    /// names none) under its file-name pattern, without a dialog. An existing
    /// file is never replaced: the name gets ` (2)`, ` (3)` and so on.
    /// An xlsx export that fails after its retries pauses as in
    /// [`AppSession::export`]; a CSV export cannot pause.
    pub async fn export_to_folder(
        &self,
        settings: &Preset,
        on_progress: impl FnMut(Progress) + Send,
        on_wait: impl Fn(&RetryNotice) + Send + Sync + 'static,
    ) -> Result<ExportSummary, AppError> {
        let now = Utc::now();
        let request = settings.request(now)?;
        let folder = match &settings.folder {
            Some(folder) => folder.clone(),
            None => default_export_folder()?,
        };
        let target = file_name::free_path(&folder, &settings.file_name_at(now)?);
        // A preset without its own columns uses the ones chosen in the window.
        let window_options = self.column_options().await;
        let choice = match settings.columns {
            Some(_) => settings.column_choice()?,
            None => window_options.choice,
        };
        let options = ColumnOptions {
            choice,
            time_zone: ExportTimeZone::resolve(settings.time_zone),
            custom_labels: window_options.custom_labels,
            custom_dates: window_options.custom_dates,
        };
        let plan = FetchPlan {
            request,
            all: settings.all,
            limits: PagingLimits::default(),
            columns: options.clone(),
        };

        let client = self.client().await?.on_retry(on_wait);
        self.discard_export().await;
        let cancel = self.start_job();
        let summary = match settings.format {
            ExportFormat::Xlsx => {
                let outcome =
                    export_resumable(&client, &plan, &target, false, &cancel, on_progress).await?;
                self.keep_if_paused(&client, outcome)?
            }
            ExportFormat::Csv => {
                export_csv_to_file(
                    &client,
                    &plan,
                    &options,
                    &target,
                    false,
                    &cancel,
                    on_progress,
                )
                .await?
            }
        };
        if summary.cancelled {
            tracing::info!(path = %summary.path.display(), "one-click export cancelled");
        } else {
            tracing::info!(path = %summary.path.display(), rows = summary.rows, "one-click export saved");
            self.remember_export(&summary);
        }
        Ok(summary)
    }

    fn preset_store(&self) -> Result<&PresetStore, AppError> {
        self.presets.as_ref().ok_or_else(|| {
            AppError::new(
                "settings_failed",
                "No settings folder was found, so presets cannot be saved. Set DEVREV_EXPORT_CONFIG_DIR to a folder the app may write to.",
            )
        })
    }
}

fn default_folder_text() -> Option<String> {
    match default_export_folder() {
        Ok(folder) => Some(folder.display().to_string()),
        Err(PresetError::NoExportFolder) | Err(_) => None,
    }
}
