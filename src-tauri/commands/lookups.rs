//! Commands of the filter pickers: user and tag search, the fixed lists of
//! the form, and date presets resolved in the chosen time zone.

use tauri::State;

use crate::devrev::DateTimeFilter;
use crate::directory::{FilterOptions, TagChoice, UserChoice};
use crate::error::AppError;
use crate::presets::RelativeRange;
use crate::session::AppSession;
use crate::time_zone::TimeZonePolicy;

#[tauri::command]
pub async fn search_users(
    session: State<'_, AppSession>,
    query: String,
) -> Result<Vec<UserChoice>, AppError> {
    session.search_users(&query).await
}

#[tauri::command]
pub async fn search_tags(
    session: State<'_, AppSession>,
    query: String,
) -> Result<Vec<TagChoice>, AppError> {
    session.search_tags(&query).await
}

#[tauri::command]
pub async fn filter_options(session: State<'_, AppSession>) -> Result<FilterOptions, AppError> {
    session.filter_options().await
}

#[tauri::command]
pub async fn reload_lookups(session: State<'_, AppSession>) -> Result<(), AppError> {
    session.reload_lookups().await;
    Ok(())
}

/// Returns the inclusive UTC range that a date preset covers now.
#[tauri::command]
pub fn resolve_date_range(range: RelativeRange, time_zone: TimeZonePolicy) -> DateTimeFilter {
    range.resolve(time_zone, chrono::Utc::now())
}
