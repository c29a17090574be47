//! The Tauri side of the app: window set-up and the commands the frontend calls.
//!
//! This is the only module that uses Tauri. Each command unpacks its
//! arguments, forwards to [`AppSession`] and returns its result; errors reach
//! the frontend as [`AppError`] JSON (`{code, message, fields?}`).

mod lookups;
mod presets;

use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;
use tauri::ipc::Channel;
use tauri::{Manager, State};
use tauri_plugin_dialog::DialogExt;

use crate::columns::{catalogue, CatalogueColumn, CellValue, Column};
use crate::csv_export::ExportFormat;
use crate::devrev::RetryNotice;
use crate::error::AppError;
use crate::export::{ExportSummary, FetchSummary, PreviewSink, Progress};
use crate::session::{AppSession, AppStatus, ConnectionReport};
use crate::settings::SettingsStore;
use crate::time_zone::{TimeZoneInfo, TimeZonePolicy};
use crate::token::TokenStore;

/// Environment variable that supplies a fixed path in place of the save dialog
/// in debug builds only. The GUI test sets it because WebDriver
/// cannot reach a native dialog.
pub const TEST_SAVE_PATH_ENV: &str = "DEVREV_EXPORT_TEST_SAVE_PATH";

/// Opens the main window and runs until it is closed.
pub fn run_app() -> Result<(), tauri::Error> {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(|app| {
            let settings_store = match SettingsStore::in_config_dir() {
                Ok(store) => Some(store),
                Err(error) => {
                    tracing::warn!(%error, "no settings folder");
                    None
                }
            };
            let session = tauri::async_runtime::block_on(AppSession::open(
                settings_store,
                TokenStore::default(),
            ));
            app.manage(session);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            app_status,
            save_token,
            remove_token,
            set_base_url,
            set_proxy,
            test_connection,
            start_sample_data,
            stop_sample_data,
            preview,
            choose_export_path,
            export_xlsx,
            resume_export,
            discard_export,
            cancel_job,
            export_csv,
            set_time_zone,
            time_zone,
            set_columns,
            column_catalogue,
            open_export,
            show_export_in_folder,
            lookups::search_users,
            lookups::search_tags,
            lookups::filter_options,
            lookups::reload_lookups,
            lookups::resolve_date_range,
            presets::list_presets,
            presets::save_preset,
            presets::rename_preset,
            presets::delete_preset,
            presets::export_preset_file,
            presets::import_preset_file,
            presets::choose_folder,
            presets::last_used,
            presets::save_last_used,
            presets::export_to_folder,
        ])
        .build(tauri::generate_context!())?
        .run(|app, event| {
            // A paused export's temporary files are deleted only when it is
            // discarded, so closing the app must not leave them behind.
            if let tauri::RunEvent::Exit = event {
                let session = app.state::<AppSession>();
                tauri::async_runtime::block_on(session.discard_export());
            }
        });
    Ok(())
}

#[tauri::command]
async fn app_status(session: State<'_, AppSession>) -> Result<AppStatus, AppError> {
    Ok(session.status().await)
}

#[tauri::command]
async fn save_token(
    session: State<'_, AppSession>,
    token: String,
    session_only: bool,
) -> Result<AppStatus, AppError> {
    session.save_token(&token, session_only).await
}

#[tauri::command]
async fn remove_token(session: State<'_, AppSession>) -> Result<AppStatus, AppError> {
    session.remove_token().await
}

#[tauri::command]
async fn set_base_url(
    session: State<'_, AppSession>,
    base_url: String,
) -> Result<AppStatus, AppError> {
    session.set_base_url(&base_url).await
}

#[tauri::command]
async fn set_proxy(session: State<'_, AppSession>, proxy: String) -> Result<AppStatus, AppError> {
    session.set_proxy(&proxy).await
}

#[tauri::command]
async fn test_connection(session: State<'_, AppSession>) -> Result<ConnectionReport, AppError> {
    session.test_connection().await
}

#[tauri::command]
async fn start_sample_data(session: State<'_, AppSession>) -> Result<AppStatus, AppError> {
    session.start_sample_data().await
}

#[tauri::command]
async fn stop_sample_data(session: State<'_, AppSession>) -> Result<AppStatus, AppError> {
    Ok(session.stop_sample_data().await)
}

/// A message on a preview's or export's channel, tagged by `event`.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "camelCase")]
enum JobEvent {
    /// The full column list so far; later lists only append columns.
    Columns {
        columns: Vec<Column>,
    },
    /// The next rows in order.
    Rows {
        rows: Vec<Vec<CellValue>>,
    },
    Progress(Progress),
    /// The API client waits before its next request: a rate limit, a retry's
    /// backoff or pacing near the rate limit.
    Wait(RetryNotice),
}

/// Sends a preview's columns, rows and progress to the window. A send fails
/// only when the window is closed, and then no one can see the data anyway.
struct ChannelSink(Channel<JobEvent>);

impl ChannelSink {
    /// Returns an observer that sends each wait of the API client to the window.
    fn wait_observer(&self) -> impl Fn(&RetryNotice) + Send + Sync + 'static {
        let channel = self.0.clone();
        move |notice| {
            let _ = channel.send(JobEvent::Wait(notice.clone()));
        }
    }
}

impl PreviewSink for ChannelSink {
    fn columns(&self, columns: &[Column]) {
        let _ = self.0.send(JobEvent::Columns {
            columns: columns.to_vec(),
        });
    }

    fn rows(&self, rows: Vec<Vec<CellValue>>) {
        let _ = self.0.send(JobEvent::Rows { rows });
    }

    fn progress(&self, progress: Progress) {
        let _ = self.0.send(JobEvent::Progress(progress));
    }
}

#[tauri::command]
async fn preview(
    session: State<'_, AppSession>,
    request: Value,
    all: bool,
    on_event: Channel<JobEvent>,
) -> Result<FetchSummary, AppError> {
    let sink = ChannelSink(on_event);
    let on_wait = sink.wait_observer();
    session.preview(request, all, &sink, on_wait).await
}

#[tauri::command]
async fn export_xlsx(
    session: State<'_, AppSession>,
    request: Value,
    all: bool,
    path: PathBuf,
    on_event: Channel<JobEvent>,
) -> Result<ExportSummary, AppError> {
    let sink = ChannelSink(on_event);
    let on_wait = sink.wait_observer();
    session
        .export(
            request,
            all,
            &path,
            |progress| sink.progress(progress),
            on_wait,
        )
        .await
}

/// Continues the export that stopped with `export_paused`, with the same
/// messages on `on_event` as the export itself.
#[tauri::command]
async fn resume_export(
    session: State<'_, AppSession>,
    on_event: Channel<JobEvent>,
) -> Result<ExportSummary, AppError> {
    let sink = ChannelSink(on_event);
    let on_wait = sink.wait_observer();
    session
        .resume_export(|progress| sink.progress(progress), on_wait)
        .await
}

/// Deletes the rows of the export that stopped with `export_paused`.
#[tauri::command]
async fn discard_export(session: State<'_, AppSession>) -> Result<(), AppError> {
    session.discard_export().await;
    Ok(())
}

#[tauri::command]
fn cancel_job(session: State<'_, AppSession>) {
    session.cancel_job();
}

#[tauri::command]
async fn export_csv(
    session: State<'_, AppSession>,
    request: Value,
    all: bool,
    path: PathBuf,
    on_event: Channel<JobEvent>,
) -> Result<ExportSummary, AppError> {
    let sink = ChannelSink(on_event);
    let on_wait = sink.wait_observer();
    session
        .export_csv(
            request,
            all,
            &path,
            |progress| sink.progress(progress),
            on_wait,
        )
        .await
}

#[tauri::command]
async fn set_time_zone(
    session: State<'_, AppSession>,
    policy: TimeZonePolicy,
) -> Result<AppStatus, AppError> {
    session.set_time_zone(policy).await
}

/// Returns the time-zone policy fixed to the offset now, for the grid and the
/// date filters of the run about to start.
#[tauri::command]
async fn time_zone(session: State<'_, AppSession>) -> Result<TimeZoneInfo, AppError> {
    Ok(session.column_options().await.time_zone.into())
}

#[tauri::command]
async fn set_columns(
    session: State<'_, AppSession>,
    keys: Vec<String>,
    hidden: Vec<String>,
) -> Result<AppStatus, AppError> {
    session.set_columns(keys, hidden).await
}

#[tauri::command]
fn column_catalogue() -> Vec<CatalogueColumn> {
    catalogue()
}

/// Opens the last exported file in the program the system uses for it. Only
/// that file can be opened, so the window cannot open arbitrary paths.
#[tauri::command]
async fn open_export(session: State<'_, AppSession>) -> Result<(), AppError> {
    let path = exported_file(&session)?;
    run_opener(
        move || tauri_plugin_opener::open_path(&path, None::<&str>),
        "open the file",
    )
    .await
}

/// Shows the last exported file in the system's file manager.
#[tauri::command]
async fn show_export_in_folder(session: State<'_, AppSession>) -> Result<(), AppError> {
    let path = exported_file(&session)?;
    run_opener(
        move || tauri_plugin_opener::reveal_item_in_dir(&path),
        "show the file in its folder",
    )
    .await
}

/// Returns the last exported file when it still exists.
fn exported_file(session: &AppSession) -> Result<PathBuf, AppError> {
    let path = session.last_export().ok_or_else(|| {
        AppError::new(
            "no_export",
            "Nothing has been exported in this session yet. Export first, then open the file.",
        )
    })?;
    if !path.is_file() {
        return Err(AppError::new(
            "export_missing",
            format!(
                "{} is no longer there. It may have been moved or deleted; export again to create it.",
                path.display()
            ),
        ));
    }
    Ok(path)
}

/// Runs an opener call off the async runtime, because it may wait for the
/// desktop's file manager, and reports its failure in plain words.
async fn run_opener(
    call: impl FnOnce() -> Result<(), tauri_plugin_opener::Error> + Send + 'static,
    action: &'static str,
) -> Result<(), AppError> {
    let result = tokio::task::spawn_blocking(call)
        .await
        .map_err(|error| AppError::new("open_failed", format!("Could not {action}: {error}.")))?;
    result.map_err(|error| {
        tracing::warn!(%error, action, "opening the export failed");
        AppError::new(
            "open_failed",
            format!("Could not {action} ({error}). Open it from your file manager instead."),
        )
    })
}

/// Shows the save dialog and returns the chosen path, or `None` when the user
/// cancelled. The dialog offers `suggested_name` in the Downloads folder and
/// filters for `format`, which defaults to xlsx.
#[tauri::command]
async fn choose_export_path(
    app: tauri::AppHandle,
    suggested_name: String,
    format: Option<ExportFormat>,
) -> Result<Option<PathBuf>, AppError> {
    #[cfg(debug_assertions)]
    if let Some(path) = std::env::var_os(TEST_SAVE_PATH_ENV) {
        return Ok(Some(PathBuf::from(path)));
    }

    let (title, filter_name) = match format.unwrap_or_default() {
        ExportFormat::Xlsx => ("Export accounts to Excel", "Excel workbook"),
        ExportFormat::Csv => ("Export accounts to CSV", "CSV file"),
    };
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let mut dialog = app
        .dialog()
        .file()
        .set_title(title)
        .add_filter(filter_name, &[format.unwrap_or_default().extension()])
        .set_file_name(suggested_name)
        .set_can_create_directories(true);
    if let Ok(downloads) = app.path().download_dir() {
        dialog = dialog.set_directory(downloads);
    }
    dialog.save_file(move |chosen| {
        let _ = sender.send(chosen);
    });

    let chosen = receiver.await.map_err(|_| {
        AppError::new(
            "dialog_failed",
            "The save dialog closed unexpectedly. Try again.",
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
