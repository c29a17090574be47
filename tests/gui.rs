//! The built app driven like a person would: through tauri-driver and
//! WebKitWebDriver under a virtual display. It saves a token in the real
//! keyring, points the app at the demo server, sets two filters, previews and
//! exports, then reads the file back.
//!
//! `scripts/test.sh` provides the display, the D-Bus session with a keyring
//! and tauri-driver; plain `cargo test` skips this test.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{open_workbook, Data, Reader, Xlsx};
use devrev_export::demo_server::{DemoServer, DemoServerConfig};
use devrev_export::devrev::{AccountsExportRequest, BaseUrl, DevRevClient};
use devrev_export::token::Token;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const TOKEN: &str = "gui-test-token";
const WAIT: Duration = Duration::from_secs(30);

/// A tauri-driver process, stopped when dropped.
struct Driver {
    process: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts tauri-driver. The app it launches inherits this environment, which
/// is how the test gives the app its own config folder and save path.
fn start_driver(config_dir: &Path, save_path: &Path, log: &Path) -> Driver {
    let port = free_port();
    let log_file = std::fs::File::create(log).unwrap();
    let process = Command::new("tauri-driver")
        .args([
            "--port",
            &port.to_string(),
            "--native-port",
            &free_port().to_string(),
        ])
        .env("DEVREV_EXPORT_CONFIG_DIR", config_dir)
        .env("DEVREV_EXPORT_TEST_SAVE_PATH", save_path)
        .env("DEVREV_EXPORT_LOG", "debug")
        .stdout(Stdio::from(log_file.try_clone().unwrap()))
        .stderr(Stdio::from(log_file))
        .spawn()
        .expect("tauri-driver runs; scripts/test.sh installs it");
    Driver { process, port }
}

async fn connect(driver: &Driver) -> Client {
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "tauri:options".into(),
        json!({"application": env!("CARGO_BIN_EXE_devrev-accounts-export")}),
    );
    capabilities.insert("browserName".into(), json!("wry"));
    let url = format!("http://127.0.0.1:{}", driver.port);

    let started = Instant::now();
    loop {
        match ClientBuilder::native()
            .capabilities(capabilities.clone())
            .connect(&url)
            .await
        {
            Ok(client) => return client,
            Err(error) if started.elapsed() < WAIT => {
                eprintln!("waiting for tauri-driver: {error}");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => panic!("tauri-driver did not start a session: {error}"),
        }
    }
}

async fn element(client: &Client, id: &str) -> Element {
    client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Id(id))
        .await
        .unwrap_or_else(|error| panic!("no element #{id}: {error}"))
}

async fn click(client: &Client, id: &str) {
    element(client, id).await.click().await.unwrap();
}

async fn type_into(client: &Client, id: &str, text: &str) {
    let field = element(client, id).await;
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

/// Waits until the element's text satisfies `condition`, and returns the text.
async fn wait_for_text(client: &Client, id: &str, condition: impl Fn(&str) -> bool) -> String {
    let started = Instant::now();
    loop {
        let text = element(client, id).await.text().await.unwrap_or_default();
        if condition(&text) {
            return text;
        }
        if started.elapsed() > WAIT {
            let error = match client.find(Locator::Id("error-message")).await {
                Ok(shown) => shown.text().await.unwrap_or_default(),
                Err(_) => String::new(),
            };
            panic!("#{id} still reads {text:?} after {WAIT:?}; error area: {error:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Describes the grid rows that are on screen: how many, and the first one's text.
async fn visible_rows(client: &Client) -> serde_json::Value {
    client
        .execute(
            r#"const scroll = document.getElementById('results-scroll');
            const area = scroll.getBoundingClientRect();
            const rows = [...document.querySelectorAll('#results-table .grid-body [role=row]')];
            const visible = rows.filter((row) => {
              const box = row.getBoundingClientRect();
              return box.height > 0 && box.bottom > area.top && box.top < area.bottom;
            });
            return { hidden: scroll.hidden, height: area.height, rendered: rows.length,
                     visible: visible.length, first: visible.length ? visible[0].textContent : null };"#,
            vec![],
        )
        .await
        .unwrap()
}

fn artifacts_dir() -> PathBuf {
    let dir = std::env::var_os("DEVREV_TEST_ARTIFACTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-artifacts"));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Names in the first column of the data rows, with the header checked.
fn exported_names(path: &Path) -> Vec<String> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    let mut rows = sheet.rows();
    let header = rows.next().unwrap();
    let name_column = header
        .iter()
        .position(|cell| cell == &Data::String("Name".into()))
        .expect("a Name column");
    rows.map(|row| row[name_column].to_string()).collect()
}

#[tokio::test]
#[ignore = "needs a display, a keyring and tauri-driver; scripts/test.sh provides them"]
async fn token_filters_preview_export() {
    // The app saves the token under the real service name, so this test must
    // run only in the throw-away keyring that scripts/test.sh starts.
    assert!(
        std::env::var_os("DEVREV_TEST_SESSION").is_some(),
        "run this test through scripts/test.sh, which gives it a private keyring"
    );
    let server = DemoServer::start(DemoServerConfig {
        accounts: 600,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let save_path = scratch.path().join("gui-export.xlsx");
    let artifacts = artifacts_dir();
    let driver = start_driver(
        &scratch.path().join("config"),
        &save_path,
        &artifacts.join("tauri-driver.log"),
    );
    let client = connect(&driver).await;

    // The expected rows come straight from the API, not through the window.
    let filters = json!({"tier": ["Enterprise"], "subtype": ["Customer"], "first": 500});
    let api = DevRevClient::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse(TOKEN).unwrap(),
    );
    let expected: Vec<String> = api
        .export_accounts(&AccountsExportRequest::from_value(filters).unwrap())
        .await
        .unwrap()
        .into_iter()
        .map(|account| account.display_name.unwrap_or_default())
        .collect();
    assert!(
        expected.len() > 10 && expected.len() < 500,
        "{}",
        expected.len()
    );

    // The server address comes first: saving the token tests the connection,
    // which must reach the demo server and never the default address.
    click(&client, "settings-button").await;
    type_into(&client, "base-url-input", &server.base_url()).await;
    click(&client, "base-url-save").await;
    wait_for_text(&client, "base-url-status", |text| text.contains("saved")).await;
    type_into(&client, "token-input", TOKEN).await;
    click(&client, "token-save").await;
    wait_for_text(&client, "token-status", |text| text.contains("keyring")).await;
    wait_for_text(&client, "connection-result", |text| {
        text.contains("The token belongs to")
    })
    .await;
    click(&client, "settings-close").await;

    type_into(&client, "filter-tier-input", "Enterprise\n").await;
    type_into(&client, "filter-subtype-input", "Customer\n").await;
    type_into(&client, "filter-first", "500").await;
    click(&client, "preview-button").await;
    let count_text = format!("{} accounts", expected.len());
    wait_for_text(&client, "results-count", |text| text.contains(&count_text)).await;

    // The count alone would pass with a blank grid, so check what is on screen.
    // Rows may arrive on their channel shortly after the count is final.
    let started = Instant::now();
    loop {
        let shown = visible_rows(&client).await;
        let first_shown = shown["first"].as_str().unwrap_or_default();
        if shown["visible"].as_u64().unwrap_or(0) >= 10 && first_shown.contains(&expected[0]) {
            break;
        }
        assert!(
            started.elapsed() < WAIT,
            "the grid does not show the rows: {shown}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // WebKitGTK paints on its own schedule, so give it a moment before the picture.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let screenshot = client.screenshot().await.unwrap();
    std::fs::write(artifacts.join("gui-results.png"), screenshot).unwrap();

    click(&client, "export-button").await;
    wait_for_text(&client, "status-message", |text| text.contains("Saved")).await;
    client.close().await.unwrap();
    drop(driver);

    assert_eq!(exported_names(&save_path), expected);
    let exports = server
        .recorded_requests()
        .into_iter()
        .filter(|request| request.path == "/accounts.export")
        .count();
    // One call for the expected rows above, one for the preview and one for the export.
    assert_eq!(exports, 3);
    server.shutdown().await;
}
