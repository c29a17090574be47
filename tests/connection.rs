//! Test connection and the command line under faults: `check` and the app's
//! Test connection against the demo server, the saved proxy, and `export`
//! retrying, giving up and leaving no file behind.

use std::path::Path;
use std::process::{Command, Output};

use devrev_export::demo_server::{DemoServer, DemoServerConfig, Fault};
use devrev_export::session::AppSession;
use devrev_export::settings::SettingsStore;
use devrev_export::token::TokenStore;

const TOKEN: &str = "connection-test-token";
const BINARY: &str = env!("CARGO_BIN_EXE_devrev-accounts-export");

/// Returns the requests for accounts, without the schema read that names
/// the custom columns and the user read for the About sheet.
fn export_requests(server: &DemoServer) -> Vec<devrev_export::demo_server::RecordedRequest> {
    server
        .recorded_requests()
        .into_iter()
        .filter(|request| request.path.starts_with("/accounts."))
        .collect()
}

async fn start_server(accounts: usize) -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

/// Runs the program with `args`, the token in `DEVREV_TOKEN`, a private
/// config folder and no proxy variables.
async fn run(dir: &Path, token: &str, args: &[&str]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .current_dir(dir)
        .env("DEVREV_TOKEN", token)
        .env("DEVREV_EXPORT_CONFIG_DIR", dir.join("config"));
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        command.env_remove(name);
    }
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Names in a folder, sorted.
fn folder_entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name != "config")
        .collect();
    names.sort();
    names
}

// check

#[tokio::test]
async fn check_names_token_owner() {
    let server = start_server(10).await;
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        TOKEN,
        &["check", "--base-url", &server.base_url()],
    )
    .await;

    let requests = server.recorded_requests();
    let base_url = server.base_url();
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let user = &devrev_export::demo_server::demo_users()[0];
    assert_eq!(
        stdout(&output).trim(),
        format!(
            "The token works: it belongs to {} at {base_url}.",
            user.label()
        )
    );
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path, "/dev-users.self");
    assert_eq!(requests[0].body, "{}");
}

#[tokio::test]
async fn check_with_wrong_token_exits_three() {
    let server = start_server(10).await;
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        "not-the-token",
        &["check", "--base-url", &server.base_url()],
    )
    .await;

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("did not accept the API token"),
        "{}",
        stderr(&output)
    );
    assert!(
        stderr(&output).contains("Personal access tokens"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("not-the-token"));
    assert_eq!(requests.len(), 1);
}

#[tokio::test]
async fn check_distinguishes_failures() {
    let cases: [(Fault, u8, &str); 5] = [
        (Fault::forbidden(), 3, "may not read accounts"),
        (Fault::too_many_requests(30), 4, "Wait 30 seconds"),
        (
            Fault::internal_error("ref-99"),
            4,
            "quote the reference ID ref-99",
        ),
        (Fault::html_page(404), 4, "is not the DevRev API"),
        // A plain file server, such as `python3 -m http.server`, responds to POST with 501.
        (Fault::html_page(501), 4, "is not the DevRev API"),
    ];
    let cases_len = cases.len();
    let server = start_server(10).await;
    let dir = tempfile::tempdir().unwrap();

    for (fault, status, phrase) in cases {
        server.inject_fault(fault);

        let output = run(
            dir.path(),
            TOKEN,
            &["check", "--base-url", &server.base_url()],
        )
        .await;

        assert_eq!(
            output.status.code(),
            Some(i32::from(status)),
            "{phrase}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(phrase),
            "{phrase}: {}",
            stderr(&output)
        );
    }
    // `check` sends one request and never retries.
    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(requests.len(), cases_len);
}

#[tokio::test]
async fn check_without_server_names_address() {
    let server = start_server(10).await;
    let base_url = server.base_url();
    server.shutdown().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run(dir.path(), TOKEN, &["check", "--base-url", &base_url]).await;

    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains(&format!("Could not reach {base_url}")),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn check_rejects_invalid_proxy() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        TOKEN,
        &[
            "check",
            "--base-url",
            "http://127.0.0.1:9",
            "--proxy",
            "socks5://127.0.0.1:1080",
        ],
    )
    .await;

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--proxy: `socks5://127.0.0.1:1080` must start with http://"),
        "{}",
        stderr(&output)
    );
}

// export under faults

#[tokio::test]
async fn export_retries_and_says_so() {
    let server = start_server(30).await;
    server.inject_fault(Fault::service_unavailable());
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        TOKEN,
        &[
            "export",
            "--out",
            "x.xlsx",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    let requests = export_requests(&server);
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("note: DevRev is temporarily unavailable (HTTP 503). Trying again in 1 s (attempt 2 of 5)."),
        "{}",
        stderr(&output)
    );
    assert_eq!(requests.len(), 2);
    assert!(dir.path().join("x.xlsx").exists());
}

#[tokio::test]
async fn export_gives_up_and_leaves_no_file() {
    let server = start_server(30).await;
    server.inject_fault(Fault::internal_error("ref-5"));
    server.inject_fault(Fault::internal_error("ref-5"));
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        TOKEN,
        &[
            "export",
            "--all",
            "--retries",
            "1",
            "--out",
            "x.xlsx",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    let requests = export_requests(&server);
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("quote the reference ID ref-5"),
        "{}",
        stderr(&output)
    );
    assert_eq!(requests.len(), 2);
    assert_eq!(folder_entries(dir.path()), Vec::<String>::new());
}

#[tokio::test]
async fn expired_token_mid_export_exits_three() {
    // Three pages of 500: the token expires after the first.
    let server = start_server(1_200).await;
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::unauthenticated());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("x.xlsx"), b"the previous export").unwrap();

    let output = run(
        dir.path(),
        TOKEN,
        &[
            "export",
            "--all",
            "--overwrite",
            "--out",
            "x.xlsx",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    let requests = export_requests(&server);
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("did not accept the API token"),
        "{}",
        stderr(&output)
    );
    assert_eq!(requests.len(), 2);
    assert_eq!(folder_entries(dir.path()), ["x.xlsx"]);
    assert_eq!(
        std::fs::read(dir.path().join("x.xlsx")).unwrap(),
        b"the previous export"
    );
}

#[tokio::test]
async fn too_many_retries_are_rejected() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        TOKEN,
        &[
            "export",
            "--retries",
            "99",
            "--out",
            "x.xlsx",
            "--base-url",
            "http://127.0.0.1:9",
        ],
    )
    .await;

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--retries 99 is more than the 20 allowed"),
        "{}",
        stderr(&output)
    );
}

// The app's Test connection and proxy setting

async fn open_session(config: &Path) -> AppSession {
    // A service name of its own, so no saved token is ever read or changed.
    let tokens = TokenStore::new(
        &format!(
            "devrev-accounts-export-connection-test-{}",
            std::process::id()
        ),
        "api-token",
    );
    AppSession::open(Some(SettingsStore::in_dir(config)), tokens).await
}

#[tokio::test]
async fn sample_mode_connection_test_names_user() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    session.start_sample_data().await.unwrap();

    let report = session.test_connection().await.unwrap();

    session.stop_sample_data().await;
    let user = &devrev_export::demo_server::demo_users()[0];
    assert!(report.sample_mode);
    assert_eq!(report.user.display_id.as_deref(), Some("DEVU-1"));
    assert_eq!(report.proxy, None);
    assert_eq!(
        report.message,
        format!(
            "Connected to the sample data server as {}. Your own token is not used while sample data is on.",
            user.label()
        )
    );
    let json = serde_json::to_value(&report).unwrap();
    assert!(json.get("sampleMode").is_some(), "{json}");
    assert!(json.get("elapsedMs").is_some(), "{json}");
}

#[tokio::test]
async fn export_names_tested_user() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;
    session.start_sample_data().await.unwrap();
    let before = config.path().join("before.xlsx");
    let after = config.path().join("after.xlsx");

    session
        .export(
            serde_json::json!({"first": 5}),
            false,
            &before,
            |_| {},
            |_| {},
        )
        .await
        .unwrap();
    session.test_connection().await.unwrap();
    session
        .export(
            serde_json::json!({"first": 5}),
            false,
            &after,
            |_| {},
            |_| {},
        )
        .await
        .unwrap();

    session.stop_sample_data().await;
    let user = devrev_export::demo_server::demo_users()[0].label();
    assert_eq!(exported_by(&before), "(not known)");
    assert_eq!(exported_by(&after), user);
}

/// Returns the "Exported by" value of a workbook's About sheet.
fn exported_by(path: &Path) -> String {
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let about = workbook
        .worksheet_range(devrev_export::workbook::ABOUT_SHEET_NAME)
        .unwrap();
    about
        .rows()
        .find(|row| row[0] == Data::String("Exported by".into()))
        .map(|row| row[1].to_string())
        .unwrap()
}

#[tokio::test]
async fn proxy_setting_is_saved_and_reported() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;

    let status = session.set_proxy(" 127.0.0.1:3128 ").await.unwrap();
    let reopened = open_session(config.path()).await.status().await;
    let cleared = session.set_proxy("").await.unwrap();

    assert_eq!(status.proxy.as_deref(), Some("http://127.0.0.1:3128"));
    assert_eq!(reopened.proxy.as_deref(), Some("http://127.0.0.1:3128"));
    if std::env::var_os("NO_PROXY").is_none() && std::env::var_os("no_proxy").is_none() {
        let in_use = status
            .proxy_in_use
            .clone()
            .expect("the saved proxy applies");
        assert_eq!(in_use.address, "http://127.0.0.1:3128");
    }
    assert_eq!(cleared.proxy, None);
    let json = serde_json::to_value(&status).unwrap();
    assert!(json.get("proxyInUse").is_some(), "{json}");
}

#[tokio::test]
async fn invalid_proxy_setting_is_rejected() {
    let config = tempfile::tempdir().unwrap();
    let session = open_session(config.path()).await;

    let error = session
        .set_proxy("http://me:secret@127.0.0.1:3128")
        .await
        .unwrap_err();

    assert_eq!(error.code, "invalid_proxy");
    assert!(!error.message.contains("secret"), "{}", error.message);
    assert_eq!(session.status().await.proxy, None);
}
