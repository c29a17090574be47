//! The app's paused exports and retry notices without a window: an xlsx
//! export of all matching accounts that fails after its retries is kept,
//! resumes to a file with every account once, and leaves no file behind when
//! discarded, cancelled or replaced by a new export.
//!
//! The session reads from a demo server of this test, whose fault queue
//! fails requests on demand. The retry policy is shrunk so that no case
//! waits more than a second.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use calamine::{open_workbook, Data, Reader, Xlsx};
use devrev_export::demo_server::{generate_account, DemoServer, DemoServerConfig, Fault};
use devrev_export::devrev::{RetryNotice, RetryPolicy, WaitReason};
use devrev_export::export::{PreviewSink, Progress};
use devrev_export::session::AppSession;
use devrev_export::settings::SettingsStore;
use devrev_export::token::TokenStore;
use serde_json::json;

const TOKEN: &str = "session-resume-token";
const SEED: u64 = 42;
/// Three pages of the session's 500 accounts each, the last one short.
const ACCOUNTS: usize = 1_200;
const ATTEMPTS: u32 = 3;

/// Waits of tens of milliseconds without jitter.
fn fast_policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: ATTEMPTS,
        base_delay: Duration::from_millis(30),
        max_delay: Duration::from_millis(100),
        min_rate_limit_wait: Duration::from_millis(50),
        max_rate_limit_wait: Duration::from_millis(500),
        pacing_threshold: 0.1,
        jitter: false,
    }
}

/// The notices a job received, in order.
#[derive(Clone, Default)]
struct Notices(Arc<Mutex<Vec<RetryNotice>>>);

impl Notices {
    fn observer(&self) -> impl Fn(&RetryNotice) + Send + Sync + 'static {
        let notices = self.0.clone();
        move |notice| notices.lock().unwrap().push(notice.clone())
    }

    fn all(&self) -> Vec<RetryNotice> {
        self.0.lock().unwrap().clone()
    }
}

struct Setup {
    server: DemoServer,
    session: AppSession,
    _config: tempfile::TempDir,
    output: tempfile::TempDir,
}

impl Setup {
    async fn start() -> Setup {
        let server = DemoServer::start(DemoServerConfig {
            accounts: ACCOUNTS,
            token: TOKEN.into(),
            ..DemoServerConfig::default()
        })
        .await
        .unwrap();
        let config = tempfile::tempdir().unwrap();
        // A service name of its own, so no saved token is ever read or changed.
        let tokens = TokenStore::new(
            &format!("devrev-accounts-export-resume-test-{}", std::process::id()),
            "api-token",
        );
        let session = AppSession::open(Some(SettingsStore::in_dir(config.path())), tokens)
            .await
            .with_retry_policy(fast_policy());
        session.set_base_url(&server.base_url()).await.unwrap();
        session.save_token(TOKEN, true).await.unwrap();
        Setup {
            server,
            session,
            _config: config,
            output: tempfile::tempdir().unwrap(),
        }
    }

    /// Lets two pages through and fails every attempt at the third.
    fn fail_third_page(&self) {
        self.server.inject_fault(Fault::pass());
        self.server.inject_fault(Fault::pass());
        for _ in 0..ATTEMPTS {
            self.server.inject_fault(Fault::service_unavailable());
        }
    }

    /// Starts an export of all accounts that pauses at the third page, and
    /// returns its error code and message.
    async fn paused_export(&self, name: &str, notices: &Notices) -> (&'static str, String) {
        self.fail_third_page();
        let error = self
            .session
            .export(
                json!({}),
                true,
                &self.output.path().join(name),
                |_| {},
                notices.observer(),
            )
            .await
            .unwrap_err();
        (error.code, error.message)
    }

    fn entries(&self) -> Vec<String> {
        folder_entries(self.output.path())
    }
}

fn folder_entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Waits up to two seconds until the folder holds exactly `expected`,
/// because a dropped writer deletes its temporary files in the background.
async fn wait_for_entries(folder: &Path, expected: &[&str]) -> Vec<String> {
    let mut entries = folder_entries(folder);
    for _ in 0..20 {
        if entries == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        entries = folder_entries(folder);
    }
    entries
}

/// Returns the DevRev IDs of the workbook's Accounts sheet, in row order.
fn workbook_ids(path: &Path) -> Vec<String> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    let mut rows = sheet.rows();
    let header = rows.next().unwrap();
    let id_column = header
        .iter()
        .position(|cell| cell == &Data::String("DevRev ID".into()))
        .expect("the Accounts sheet has a DevRev ID column");
    rows.map(|row| row[id_column].to_string()).collect()
}

fn expected_ids() -> Vec<String> {
    (0..ACCOUNTS)
        .map(|index| generate_account(SEED, index).id)
        .collect()
}

#[tokio::test]
async fn failed_export_is_kept_and_resumes() {
    let setup = Setup::start().await;
    let export_notices = Notices::default();
    let resume_notices = Notices::default();

    let (code, message) = setup.paused_export("accounts", &export_notices).await;
    let kept = setup.session.paused_export_accounts();
    let target_before = setup.output.path().join("accounts.xlsx").exists();
    // One more failure on the resumed page, so the resume reports a wait too.
    setup.server.inject_fault(Fault::service_unavailable());
    let mut progress: Vec<Progress> = Vec::new();
    let summary = setup
        .session
        .resume_export(|update| progress.push(update), resume_notices.observer())
        .await
        .unwrap();

    setup.server.shutdown().await;
    assert_eq!(code, "export_paused");
    assert!(message.contains("temporarily unavailable"), "{message}");
    assert!(message.contains("1,000 accounts kept"), "{message}");
    assert!(message.contains("Resume"), "{message}");
    assert_eq!(kept, Some(1_000));
    assert!(!target_before, "a paused export writes no file");

    let waits = export_notices.all();
    assert_eq!(waits.len(), (ATTEMPTS - 1) as usize, "{waits:?}");
    assert!(waits
        .iter()
        .all(|notice| notice.reason == WaitReason::Retry));
    assert_eq!(waits[0].status, Some(503));
    assert_eq!(waits[0].endpoint, "accounts.list");
    assert_eq!(resume_notices.all().len(), 1);

    assert!(!summary.cancelled);
    assert_eq!(summary.rows, ACCOUNTS);
    assert_eq!(summary.pages, 3);
    assert!(summary.path.ends_with("accounts.xlsx"));
    assert_eq!(progress.last().map(|last| last.accounts), Some(ACCOUNTS));
    assert_eq!(setup.session.last_export(), Some(summary.path.clone()));
    assert_eq!(setup.session.paused_export_accounts(), None);

    let ids = workbook_ids(&summary.path);
    assert_eq!(ids.len(), ACCOUNTS);
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ACCOUNTS);
    assert_eq!(ids, expected_ids());
    assert_eq!(
        wait_for_entries(setup.output.path(), &["accounts.xlsx"]).await,
        ["accounts.xlsx"]
    );
}

#[tokio::test]
async fn discarded_export_leaves_no_files() {
    let setup = Setup::start().await;

    let (code, _) = setup.paused_export("accounts", &Notices::default()).await;
    let discarded = setup.session.discard_export().await;
    let entries = wait_for_entries(setup.output.path(), &[]).await;
    let again = setup.session.discard_export().await;
    let resume = setup
        .session
        .resume_export(|_| {}, |_| {})
        .await
        .unwrap_err();

    setup.server.shutdown().await;
    assert_eq!(code, "export_paused");
    assert!(discarded);
    assert!(!again);
    assert_eq!(entries, Vec::<String>::new());
    assert_eq!(resume.code, "nothing_to_resume");
}

#[tokio::test]
async fn cancel_discards_paused_export() {
    let setup = Setup::start().await;

    setup.paused_export("accounts", &Notices::default()).await;
    let before_cancel = setup.entries();
    setup.session.cancel_job();
    let entries = wait_for_entries(setup.output.path(), &[]).await;

    setup.server.shutdown().await;
    assert!(
        !before_cancel.is_empty(),
        "a paused export keeps its rows in a temporary file"
    );
    assert_eq!(setup.session.paused_export_accounts(), None);
    assert_eq!(entries, Vec::<String>::new());
}

#[tokio::test]
async fn new_export_discards_paused_export() {
    let setup = Setup::start().await;

    setup.paused_export("first", &Notices::default()).await;
    let summary = setup
        .session
        .export(
            json!({}),
            true,
            &setup.output.path().join("second"),
            |_| {},
            |_| {},
        )
        .await
        .unwrap();
    let entries = wait_for_entries(setup.output.path(), &["second.xlsx"]).await;

    setup.server.shutdown().await;
    assert_eq!(summary.rows, ACCOUNTS);
    assert_eq!(setup.session.paused_export_accounts(), None);
    assert_eq!(entries, ["second.xlsx"]);
}

/// Records nothing but lets a preview run.
struct IgnoreRows;

impl PreviewSink for IgnoreRows {
    fn columns(&self, _columns: &[devrev_export::columns::Column]) {}

    fn rows(&self, _rows: Vec<Vec<devrev_export::columns::CellValue>>) {}

    fn progress(&self, _progress: Progress) {}
}

#[tokio::test]
async fn preview_sends_rate_limit_wait() {
    let setup = Setup::start().await;
    let notices = Notices::default();
    setup.server.inject_fault(Fault::too_many_requests(0));

    let summary = setup
        .session
        .preview(json!({"first": 10}), false, &IgnoreRows, notices.observer())
        .await
        .unwrap();

    setup.server.shutdown().await;
    assert_eq!(summary.count, 10);
    let waits = notices.all();
    assert_eq!(waits.len(), 1, "{waits:?}");
    assert_eq!(waits[0].reason, WaitReason::RateLimited);
    assert_eq!(waits[0].status, Some(429));
    assert_eq!(waits[0].endpoint, "accounts.export");
    // The requested 0 s is raised to the policy's minimum of 50 ms.
    assert_eq!(waits[0].wait_ms, 50);
}
