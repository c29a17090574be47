//! The command line's format, column and time-zone options end to end:
//! `export` against the demo server on loopback, with CSV files read back by
//! the `csv` crate, and the `columns` command.

use std::path::Path;
use std::process::{Command, Output};

use devrev_export::demo_server::{DemoServer, DemoServerConfig};

const TOKEN: &str = "cli-formats-token";
const BINARY: &str = env!("CARGO_BIN_EXE_devrev-accounts-export");

async fn start_server() -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts: 120,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

/// Runs the program with `args`, the token in `DEVREV_TOKEN` and a private config folder.
async fn run(dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .current_dir(dir)
        .env("DEVREV_TOKEN", TOKEN)
        .env("DEVREV_EXPORT_CONFIG_DIR", dir.join("config"));
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Reads a CSV file written by the program: its header and data records.
fn read_csv(path: &Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let bytes = std::fs::read(path).unwrap();
    let body = bytes
        .strip_prefix("\u{feff}".as_bytes())
        .expect("a UTF-8 byte-order mark");
    let mut reader = csv::Reader::from_reader(body);
    let header = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let records = reader.records().map(Result::unwrap).collect();
    (header, records)
}

#[tokio::test]
async fn csv_extension_writes_csv() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &[
            "export",
            "--all",
            "--out",
            "accounts.csv",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    let (header, records) = read_csv(&dir.path().join("accounts.csv"));
    assert_eq!(records.len(), 120);
    assert_eq!(header[0], "Account ID");
    // Without --time-zone and with no saved setting, dates are in local time.
    assert!(
        header.iter().any(|name| name.starts_with("Created (UTC")),
        "{header:?}"
    );
}

#[tokio::test]
async fn columns_and_zone_shape_csv() {
    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &[
            "export",
            "--out",
            "chosen",
            "--format",
            "csv",
            "--columns",
            "tier,display_name,created_date",
            "--time-zone",
            "utc",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    let (header, records) = read_csv(&dir.path().join("chosen.csv"));
    assert_eq!(header, ["Tier", "Name", "Created (UTC)"]);
    assert_eq!(records.len(), 50);
    let created = &records[0][2];
    assert!(
        chrono::NaiveDateTime::parse_from_str(created, "%Y-%m-%d %H:%M:%S%.f").is_ok(),
        "{created}"
    );
}

#[tokio::test]
async fn unknown_column_lists_valid_keys() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &[
            "export",
            "--out",
            "a.csv",
            "--columns",
            "name",
            "--base-url",
            "http://127.0.0.1:9",
        ],
    )
    .await;

    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(message.contains("Unknown column `name`"), "{message}");
    assert!(message.contains("display_name"), "{message}");
    assert!(!dir.path().join("a.csv").exists());
}

#[tokio::test]
async fn workbook_follows_columns_and_zone() {
    use calamine::{open_workbook, Data, Reader, Xlsx};

    let server = start_server().await;
    let dir = tempfile::tempdir().unwrap();

    let output = run(
        dir.path(),
        &[
            "export",
            "--out",
            "a.xlsx",
            "--columns",
            "tier,display_name,created_date",
            "--time-zone",
            "utc",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    let mut workbook: Xlsx<_> = open_workbook(dir.path().join("a.xlsx")).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    let header: Vec<&Data> = sheet.rows().next().unwrap().iter().collect();
    assert_eq!(header.len(), 3);
    assert_eq!(header[0], &Data::String("Tier".into()));
    assert_eq!(header[1], &Data::String("Name".into()));
    assert_eq!(header[2], &Data::String("Created (UTC)".into()));
    assert_eq!(sheet.height(), 51);
}

#[tokio::test]
async fn columns_command_lists_keys() {
    let dir = tempfile::tempdir().unwrap();

    let output = run(dir.path(), &["columns"]).await;

    assert!(output.status.success(), "{}", stderr(&output));
    let listing = String::from_utf8_lossy(&output.stdout);
    for key in ["display_id", "created_date", "id", "custom_fields.*"] {
        assert!(listing.contains(key), "{key} missing from:\n{listing}");
    }
}
