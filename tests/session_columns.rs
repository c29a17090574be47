//! The app session's column choice, time-zone setting and CSV export, without
//! a window, in sample-data mode so no keyring or DevRev account is needed.

use std::sync::Mutex;

use devrev_export::columns::{CellValue, Column};
use devrev_export::export::{PreviewSink, Progress};
use devrev_export::session::AppSession;
use devrev_export::settings::SettingsStore;
use devrev_export::time_zone::TimeZonePolicy;
use devrev_export::token::TokenStore;
use serde_json::json;

#[derive(Default)]
struct Collected {
    columns: Mutex<Vec<Column>>,
    rows: Mutex<Vec<Vec<CellValue>>>,
}

impl Collected {
    fn headers(&self) -> Vec<String> {
        let columns = self.columns.lock().unwrap();
        columns.iter().map(|column| column.header.clone()).collect()
    }
}

impl PreviewSink for Collected {
    fn columns(&self, columns: &[Column]) {
        *self.columns.lock().unwrap() = columns.to_vec();
    }

    fn rows(&self, rows: Vec<Vec<CellValue>>) {
        self.rows.lock().unwrap().extend(rows);
    }

    fn progress(&self, _progress: Progress) {}
}

async fn open_session(config: &std::path::Path) -> AppSession {
    // A service name of its own, so no saved token is ever read or changed.
    let tokens = TokenStore::new(
        &format!("devrev-accounts-export-columns-test-{}", std::process::id()),
        "api-token",
    );
    AppSession::open(Some(SettingsStore::in_dir(config)), tokens).await
}

fn keys(list: &[&str]) -> Vec<String> {
    list.iter().map(|key| (*key).to_owned()).collect()
}

#[tokio::test]
async fn chosen_columns_shape_preview() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    session.start_sample_data().await.unwrap();
    session.set_time_zone(TimeZonePolicy::Utc).await.unwrap();
    let status = session
        .set_columns(keys(&["created_date", "display_name"]), Vec::new())
        .await
        .unwrap();
    let collected = Collected::default();

    session
        .preview(json!({"first": 5}), false, &collected, |_| {})
        .await
        .unwrap();

    assert_eq!(
        status.columns.keys(),
        keys(&["created_date", "display_name"])
    );
    assert_eq!(status.time_zone.label, "UTC");
    let headers = collected.headers();
    assert_eq!(headers, ["Created (UTC)", "Name"]);
    let rows = collected.rows.lock().unwrap().clone();
    assert_eq!(rows.len(), 5);
    assert!(rows.iter().all(|row| row.len() == 2));
    assert!(matches!(rows[0][0], CellValue::DateTime(_)));
    session.stop_sample_data().await;
}

#[tokio::test]
async fn custom_headers_use_schema_names() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    session.start_sample_data().await.unwrap();
    session
        .set_columns(
            keys(&["display_name", "custom_fields.tnt__is_public"]),
            Vec::new(),
        )
        .await
        .unwrap();
    let collected = Collected::default();

    session
        .preview(json!({"first": 5}), false, &collected, |_| {})
        .await
        .unwrap();

    session.stop_sample_data().await;
    let headers = collected.headers();
    // The key alone would give "Is public".
    assert_eq!(headers, ["Name", "Publicly traded"]);
}

#[tokio::test]
async fn choice_and_zone_survive_restart() {
    let config = tempfile::tempdir().unwrap();
    let first = open_session(config.path()).await;
    first.set_time_zone(TimeZonePolicy::Utc).await.unwrap();
    first
        .set_columns(
            keys(&["tier", "custom_fields.*"]),
            keys(&["custom_fields.tnt__notes"]),
        )
        .await
        .unwrap();

    let second = open_session(config.path()).await;
    let status = second.status().await;

    assert_eq!(status.time_zone.policy, TimeZonePolicy::Utc);
    assert_eq!(status.columns.keys(), keys(&["tier", "custom_fields.*"]));
    assert_eq!(status.columns.hidden(), keys(&["custom_fields.tnt__notes"]));
}

#[tokio::test]
async fn invalid_columns_rejected_and_not_saved() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;

    let error = session
        .set_columns(keys(&["custom_fields.*", "tier"]), Vec::new())
        .await
        .unwrap_err();

    assert_eq!(error.code, "invalid_columns");
    assert!(
        error.message.contains("must come last"),
        "{}",
        error.message
    );
    assert!(session.status().await.columns.is_default());
}

#[tokio::test]
async fn csv_export_remembers_file() {
    let config = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    session.start_sample_data().await.unwrap();
    session
        .set_columns(keys(&["display_name", "tier"]), Vec::new())
        .await
        .unwrap();
    let requested = out.path().join("accounts");

    assert_eq!(session.last_export(), None);
    let summary = session
        .export_csv(json!({"first": 7}), false, &requested, |_| {}, |_| {})
        .await
        .unwrap();

    let written = out.path().join("accounts.csv");
    assert_eq!(summary.path, written);
    assert_eq!(summary.rows, 7);
    assert_eq!(summary.columns, 2);
    assert_eq!(session.last_export(), Some(written.clone()));
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(text.starts_with("\u{feff}Name,Tier\r\n"), "{text}");
    assert_eq!(text.matches("\r\n").count(), 8);
    session.stop_sample_data().await;
}
