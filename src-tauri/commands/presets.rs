//! Commands of saved presets, the last-used form, the one-click export and
//! the buttons that open an exported workbook.

use std::path::PathBuf;

use tauri::ipc::Channel;
use tauri::State;
use tauri_plugin_dialog::DialogExt;

use super::{ChannelSink, JobEvent};
use crate::error::AppError;
use crate::export::{ExportSummary, PreviewSink};
use crate::presets::Preset;
use crate::session::{AppSession, ImportedPreset, PresetList};

#[tauri::command]
pub async fn list_presets(session: State<'_, AppSession>) -> Result<PresetList, AppError> {
    session.list_presets().await
}

#[tauri::command]
pub async fn save_preset(
    session: State<'_, AppSession>,
    preset: Preset,
    replace: bool,
) -> Result<PresetList, AppError> {
    session.save_preset(preset, replace).await
}

#[tauri::command]
pub async fn rename_preset(
    session: State<'_, AppSession>,
    old_name: String,
    new_name: String,
) -> Result<PresetList, AppError> {
    session.rename_preset(&old_name, &new_name).await
}

#[tauri::command]
pub async fn delete_preset(
    session: State<'_, AppSession>,
    name: String,
) -> Result<PresetList, AppError> {
    session.delete_preset(&name).await
}

/// Asks where to save the preset file, then writes it. Returns the path, or
/// `None` when the user cancelled the dialog.
#[tauri::command]
pub async fn export_preset_file(
    app: tauri::AppHandle,
    session: State<'_, AppSession>,
    name: String,
) -> Result<Option<PathBuf>, AppError> {
    let suggested = format!("{}.preset.json", name.replace(['/', '\\', ':'], "-"));
    let dialog = app
        .dialog()
        .file()
        .set_title("Export preset")
        .add_filter("Preset", &["json"])
        .set_file_name(suggested);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    dialog.save_file(move |chosen| {
        let _ = sender.send(chosen);
    });
    let Some(path) = dialog_path(receiver.await)? else {
        return Ok(None);
    };
    session.export_preset_file(&name, &path).await?;
    Ok(Some(path))
}

/// Asks for a preset file, then imports it. Returns `None` when the user
/// cancelled the dialog.
#[tauri::command]
pub async fn import_preset_file(
    app: tauri::AppHandle,
    session: State<'_, AppSession>,
) -> Result<Option<ImportedPreset>, AppError> {
    let dialog = app
        .dialog()
        .file()
        .set_title("Import preset")
        .add_filter("Preset", &["json"]);
    let (sender, receiver) = tokio::sync::oneshot::channel();
    dialog.pick_file(move |chosen| {
        let _ = sender.send(chosen);
    });
    let Some(path) = dialog_path(receiver.await)? else {
        return Ok(None);
    };
    session.import_preset_file(&path).await.map(Some)
}

/// Asks for the folder of a preset's exports. Returns `None` when the user
/// cancelled the dialog.
#[tauri::command]
pub async fn choose_folder(app: tauri::AppHandle) -> Result<Option<PathBuf>, AppError> {
    let dialog = app.dialog().file().set_title("Folder for exports");
    let (sender, receiver) = tokio::sync::oneshot::channel();
    dialog.pick_folder(move |chosen| {
        let _ = sender.send(chosen);
    });
    dialog_path(receiver.await)
}

#[tauri::command]
pub async fn last_used(session: State<'_, AppSession>) -> Result<Option<Preset>, AppError> {
    Ok(session.last_used().await)
}

#[tauri::command]
pub async fn save_last_used(
    session: State<'_, AppSession>,
    settings: Preset,
) -> Result<(), AppError> {
    session.save_last_used(&settings).await
}

/// Exports what the form describes to its folder, without a dialog.
#[tauri::command]
pub async fn export_to_folder(
    session: State<'_, AppSession>,
    settings: Preset,
    on_event: Channel<JobEvent>,
) -> Result<ExportSummary, AppError> {
    let sink = ChannelSink(on_event);
    let on_wait = sink.wait_observer();
    session
        .export_to_folder(&settings, |progress| sink.progress(progress), on_wait)
        .await
}

/// Turns a dialog's result into a local path, `None` when it was cancelled.
fn dialog_path(
    answer: Result<Option<tauri_plugin_dialog::FilePath>, tokio::sync::oneshot::error::RecvError>,
) -> Result<Option<PathBuf>, AppError> {
    let chosen = answer.map_err(|_| {
        AppError::new(
            "dialog_failed",
            "The dialog closed unexpectedly. Try again.",
        )
    })?;
    match chosen {
        None => Ok(None),
        Some(file_path) => file_path.into_path().map(Some).map_err(|error| {
            AppError::new(
                "dialog_failed",
                format!("The chosen location cannot be used ({error}). Choose a folder on this computer."),
            )
        }),
    }
}
