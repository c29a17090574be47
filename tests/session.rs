//! The desktop app's state and actions without a window, in sample-data mode
//! so no keyring or DevRev account is needed.

use std::sync::Mutex;

use devrev_export::columns::{CellValue, Column};
use devrev_export::export::{PreviewSink, Progress};
use devrev_export::session::{AppSession, SAMPLE_ACCOUNTS};
use devrev_export::settings::SettingsStore;
use devrev_export::token::TokenStore;
use serde_json::json;

#[derive(Default)]
struct Rows(Mutex<Vec<Vec<CellValue>>>);

impl PreviewSink for Rows {
    fn columns(&self, _columns: &[Column]) {}

    fn rows(&self, rows: Vec<Vec<CellValue>>) {
        self.0.lock().unwrap().extend(rows);
    }

    fn progress(&self, _progress: Progress) {}
}

async fn open_session(config: &std::path::Path) -> AppSession {
    // A service name of its own, so no saved token is ever read or changed.
    let tokens = TokenStore::new(
        &format!("devrev-accounts-export-session-test-{}", std::process::id()),
        "api-token",
    );
    AppSession::open(Some(SettingsStore::in_dir(config)), tokens).await
}

#[tokio::test]
async fn sample_mode_serves_preview() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    let rows = Rows::default();

    let status = session.start_sample_data().await.unwrap();
    let summary = session
        .preview(json!({"first": 20}), false, &rows, |_| {})
        .await
        .unwrap();

    assert!(status.sample_mode);
    assert!(
        status.active_base_url.starts_with("http://127.0.0.1:"),
        "{}",
        status.active_base_url
    );
    assert_eq!(status.base_url, "https://api.devrev.ai");
    assert_eq!(summary.count, 20);
    assert!(summary.may_be_truncated);
    assert_eq!(rows.0.lock().unwrap().len(), 20);
    let stopped = session.stop_sample_data().await;
    assert!(!stopped.sample_mode);
    assert_eq!(stopped.active_base_url, "https://api.devrev.ai");
}

#[tokio::test]
async fn sample_mode_exports_all_accounts() {
    let config = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    session.start_sample_data().await.unwrap();

    let summary = session
        .export(
            json!({}),
            true,
            &output.path().join("everything"),
            |_| {},
            |_| {},
        )
        .await
        .unwrap();

    session.stop_sample_data().await;
    assert_eq!(summary.rows, SAMPLE_ACCOUNTS);
    assert_eq!(summary.endpoint, "accounts.list");
    assert!(summary.path.ends_with("everything.xlsx"));
    assert!(summary.path.exists());
}

#[tokio::test]
async fn invalid_filters_are_rejected_by_field() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    session.start_sample_data().await.unwrap();

    let error = session
        .preview(
            json!({"first": 0, "tier": ["", "SMB"]}),
            false,
            &Rows::default(),
            |_| {},
        )
        .await
        .unwrap_err();

    session.stop_sample_data().await;
    assert_eq!(error.code, "invalid_filters");
    let fields: Vec<&str> = error
        .fields
        .iter()
        .map(|field| field.field.as_str())
        .collect();
    assert_eq!(fields, ["tier", "first"]);
}

#[tokio::test]
async fn base_url_is_checked_and_saved() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;

    let error = session
        .set_base_url("http://example.test")
        .await
        .unwrap_err();
    let status = session
        .set_base_url("http://127.0.0.1:9/api/")
        .await
        .unwrap();

    assert_eq!(error.code, "invalid_base_url");
    assert_eq!(status.base_url, "http://127.0.0.1:9/api");
    let saved = SettingsStore::in_dir(config.path())
        .saved_base_url()
        .await
        .unwrap();
    assert_eq!(saved.as_str(), "http://127.0.0.1:9/api");
}

#[tokio::test]
async fn cancel_without_job_is_harmless() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;

    session.cancel_job();

    assert!(!session.status().await.sample_mode);
}
