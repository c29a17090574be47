//! The command line end to end: `export` against the demo server on loopback,
//! with the workbook read back by calamine, and its failures.

use std::path::Path;
use std::process::{Command, Output};

use calamine::{open_workbook, Reader, Xlsx};
use devrev_export::demo_server::{DemoServer, DemoServerConfig};

const TOKEN: &str = "cli-test-token";
const BINARY: &str = env!("CARGO_BIN_EXE_devrev-accounts-export");

async fn start_server() -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts: 400,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

/// Runs `export` with the token in `DEVREV_TOKEN` and a private config folder.
async fn run_export(dir: &Path, token: &str, args: &[&str]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .arg("export")
        .args(args)
        .current_dir(dir)
        .env("DEVREV_TOKEN", token)
        .env("DEVREV_EXPORT_CONFIG_DIR", dir.join("config"));
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn data_rows(path: &Path) -> usize {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    sheet.height() - 1
}

#[tokio::test]
async fn export_writes_filtered_rows() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("filters.json"),
        r#"{"tier": ["Enterprise"], "first": 500}"#,
    )
    .unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &[
            "--out",
            "enterprise",
            "--filters",
            "filters.json",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    let expected = (0..400)
        .map(|index| devrev_export::demo_server::generate_account(42, index))
        .filter(|account| account.tier.as_deref() == Some("Enterprise"))
        .count();
    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("Saved {expected} accounts")),
        "{stdout}"
    );
    assert_eq!(data_rows(&dir.path().join("enterprise.xlsx")), expected);
}

#[tokio::test]
async fn full_page_warns_of_more() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &["--out", "a.xlsx", "--base-url", &server.base_url()],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("exactly 50 accounts"),
        "{}",
        stderr(&output)
    );
    assert_eq!(data_rows(&dir.path().join("a.xlsx")), 50);
}

#[tokio::test]
async fn existing_file_is_left_unchanged() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("keep.xlsx");
    std::fs::write(&target, b"previous export").unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &["--out", "keep.xlsx", "--base-url", &server.base_url()],
    )
    .await;

    let requests = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("--overwrite"),
        "{}",
        stderr(&output)
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"previous export");
    assert_eq!(
        requests, 0,
        "nothing should be fetched for a file that cannot be written"
    );
}

#[tokio::test]
async fn overwrite_replaces_existing_file() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("old.xlsx"), b"previous export").unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &[
            "--out",
            "old.xlsx",
            "--overwrite",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(data_rows(&dir.path().join("old.xlsx")), 50);
}

#[tokio::test]
async fn invalid_filters_name_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            r#"{"tiers": ["A"]}"#,
            "`tiers` is not a field of this request",
        ),
        (r#"{"tier": "A"}"#, "`tier`"),
        (
            r#"{"first": 501}"#,
            "first: 501 is outside the allowed range",
        ),
        (
            r#"{"created_date": {"after": "2024-02-01T00:00:00Z", "before": "2024-01-01T00:00:00Z"}}"#,
            "created_date.before",
        ),
        (r#"{"tier": ["A"]"#, "not valid JSON"),
    ];

    for (filters, phrase) in cases {
        std::fs::write(dir.path().join("filters.json"), filters).unwrap();

        let output = run_export(
            dir.path(),
            TOKEN,
            &[
                "--out",
                "x.xlsx",
                "--filters",
                "filters.json",
                "--base-url",
                "http://127.0.0.1:9",
            ],
        )
        .await;

        assert_eq!(output.status.code(), Some(2), "{filters}");
        assert!(
            stderr(&output).contains(phrase),
            "{filters}: {}",
            stderr(&output)
        );
        assert!(!dir.path().join("x.xlsx").exists());
    }
}

#[tokio::test]
async fn missing_filters_file_is_named() {
    let dir = tempfile::tempdir().unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &["--out", "x.xlsx", "--filters", "nope.json"],
    )
    .await;

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("nope.json"), "{}", stderr(&output));
}

#[tokio::test]
async fn rejected_token_exits_three() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run_export(
        dir.path(),
        "wrong-token",
        &["--out", "x.xlsx", "--base-url", &server.base_url()],
    )
    .await;

    server.shutdown().await;
    assert_eq!(output.status.code(), Some(3));
    assert!(
        stderr(&output).contains("did not accept the API token"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("wrong-token"));
    assert!(!dir.path().join("x.xlsx").exists());
}

#[tokio::test]
async fn invalid_base_url_is_named() {
    let dir = tempfile::tempdir().unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &["--out", "x.xlsx", "--base-url", "ftp://127.0.0.1"],
    )
    .await;

    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("ftp://127.0.0.1"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test]
async fn unreachable_server_exits_four() {
    let server = start_server().await;
    let base_url = server.base_url();
    server.shutdown().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &["--out", "x.xlsx", "--base-url", &base_url],
    )
    .await;

    assert_eq!(output.status.code(), Some(4));
    assert!(
        stderr(&output).contains("Could not reach"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("x.xlsx").exists());
}

#[tokio::test]
async fn missing_output_folder_exits_five() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run_export(
        dir.path(),
        TOKEN,
        &[
            "--out",
            "no/such/folder/x.xlsx",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    server.shutdown().await;
    assert_eq!(output.status.code(), Some(5));
    assert!(
        stderr(&output).contains("no/such/folder"),
        "{}",
        stderr(&output)
    );
}

/// What a stopped export left: its exit status, whether the signal came
/// while the file was being saved, the names in the output folder, and the
/// bytes of the earlier file there.
#[cfg(unix)]
struct Stopped {
    status: Option<i32>,
    while_saving: bool,
    names: Vec<String>,
    kept: Vec<u8>,
}

/// Starts `export --all --overwrite` over an earlier file and sends `signal`
/// during the fetch, or with `at_save` once the save starts filling its
/// temporary file.
#[cfg(unix)]
async fn stopped_export(signal: &str, at_save: bool) -> Stopped {
    let server = DemoServer::start(DemoServerConfig {
        // Enough that saving takes long enough to be interrupted.
        accounts: 60_000,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("accounts.xlsx"), b"an earlier export").unwrap();

    let mut child = Command::new(BINARY)
        .args([
            "export",
            "--all",
            "--overwrite",
            "--out",
            "out/accounts.xlsx",
        ])
        .args(["--base-url", &server.base_url()])
        .current_dir(dir.path())
        .env("DEVREV_TOKEN", TOKEN)
        .env("DEVREV_EXPORT_CONFIG_DIR", dir.path().join("config"))
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let mut while_saving = false;
    while started.elapsed() < std::time::Duration::from_secs(30) {
        // The save's temporary file is there from the start and fills at the end.
        while_saving = std::fs::read_dir(&out).unwrap().any(|entry| {
            let entry = entry.unwrap();
            // The file may be renamed away between listing and reading it.
            entry.file_name() != "accounts.xlsx"
                && entry.metadata().is_ok_and(|metadata| metadata.len() > 0)
        });
        if while_saving || (!at_save && server.recorded_requests().len() > 20) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(2)).await;
    }
    Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    let status = tokio::task::spawn_blocking(move || child.wait().unwrap())
        .await
        .unwrap();

    server.shutdown().await;
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let kept = std::fs::read(out.join("accounts.xlsx")).unwrap_or_default();
    Stopped {
        status: status.code(),
        while_saving,
        names,
        kept,
    }
}

#[cfg(unix)]
#[tokio::test]
async fn stop_signals_keep_earlier_file() {
    for signal in ["-TERM", "-HUP"] {
        let stopped = stopped_export(signal, false).await;

        assert_eq!(stopped.status, Some(130), "{signal}");
        assert_eq!(stopped.names, ["accounts.xlsx"], "{signal}");
        assert_eq!(stopped.kept, b"an earlier export", "{signal}");
    }
}

#[cfg(unix)]
#[tokio::test]
async fn interrupt_while_saving_keeps_earlier_file() {
    let stopped = stopped_export("-INT", true).await;

    assert!(
        stopped.while_saving,
        "the save never started filling its temporary file"
    );
    assert_eq!(stopped.status, Some(130));
    assert_eq!(stopped.names, ["accounts.xlsx"]);
    assert_eq!(stopped.kept, b"an earlier export");
}

#[cfg(target_os = "linux")]
#[test]
fn full_output_is_not_a_crash() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();

    let output = Command::new(BINARY)
        .arg("columns")
        .stdout(full)
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(0));
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[tokio::test]
async fn folder_problems_stop_before_fetching() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("reports")).unwrap();
    let base_url = server.base_url();

    let folder = run_export(
        dir.path(),
        TOKEN,
        &["--out", "reports", "--base-url", &base_url],
    )
    .await;
    let missing = run_export(
        dir.path(),
        TOKEN,
        &["--out", "nowhere/accounts.xlsx", "--base-url", &base_url],
    )
    .await;

    let requests = server.recorded_requests().len();
    server.shutdown().await;
    assert_eq!(folder.status.code(), Some(2));
    assert!(
        stderr(&folder).contains("is a folder, not a file"),
        "{}",
        stderr(&folder)
    );
    assert_eq!(missing.status.code(), Some(5));
    assert!(
        !stderr(&missing).contains("Fetching"),
        "{}",
        stderr(&missing)
    );
    assert_eq!(requests, 0);
}

#[cfg(target_os = "linux")]
#[test]
fn window_without_display_explains() {
    let output = Command::new(BINARY)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .output()
        .unwrap();

    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("needs a desktop session"),
        "{}",
        stderr(&output)
    );
    assert!(!stderr(&output).contains("panicked"), "{}", stderr(&output));
}

#[tokio::test]
async fn all_ignores_first_in_filters() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    // 501 is outside the range a limited export accepts.
    std::fs::write(dir.path().join("filters.json"), r#"{"first": 501}"#).unwrap();
    let base_url = server.base_url();

    let output = run_export(
        dir.path(),
        TOKEN,
        &[
            "--all",
            "--out",
            "all",
            "--filters",
            "filters.json",
            "--base-url",
            &base_url,
        ],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(data_rows(&dir.path().join("all.xlsx")), 400);
}

#[tokio::test]
async fn about_sheet_and_columns_follow_org() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();
    let base_url = server.base_url();
    let columns = "display_name,custom_fields.tnt__renewal_date,custom_fields.tnt__is_public";

    let output = run_export(
        dir.path(),
        TOKEN,
        &[
            "--out",
            "typed",
            "--columns",
            columns,
            "--time-zone",
            "utc",
            "--base-url",
            &base_url,
        ],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    let mut workbook: Xlsx<_> = open_workbook(dir.path().join("typed.xlsx")).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    let headers: Vec<String> = sheet
        .rows()
        .next()
        .unwrap()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(headers, ["Name", "Renewal date (UTC)", "Publicly traded"]);
    let about = workbook
        .worksheet_range(devrev_export::workbook::ABOUT_SHEET_NAME)
        .unwrap();
    let exported_by = about
        .rows()
        .find(|row| row[0] == calamine::Data::String("Exported by".into()))
        .map(|row| row[1].to_string());
    let user = devrev_export::demo_server::demo_users()[0].label();
    assert_eq!(exported_by, Some(user));
    let dates: Vec<&calamine::Data> = sheet
        .rows()
        .skip(1)
        .map(|row| &row[1])
        .filter(|cell| !matches!(cell, calamine::Data::Empty))
        .collect();
    assert!(!dates.is_empty());
    assert!(
        dates
            .iter()
            .all(|cell| matches!(cell, calamine::Data::DateTime(_))),
        "{dates:?}"
    );
}
