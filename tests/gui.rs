//! The built app driven like a person would: through tauri-driver and
//! WebKitWebDriver under a virtual display. One test saves a token in the real
//! keyring, points the app at the demo server, sets two filters, previews and
//! exports, then reads the file back. Another counts the clicks of a first
//! run from launch to a file, then picks filters by name, saves a preset and
//! exports it with one click after a restart. A third makes the demo server
//! rate-limit and then reject an export of all accounts midway, and checks
//! the countdown, the Resume button and the finished file.
//!
//! `scripts/test.sh` provides the display, the D-Bus session with a keyring
//! and tauri-driver; plain `cargo test` skips this test.

use std::collections::HashSet;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use calamine::{open_workbook, Data, Reader, Xlsx};
use devrev_export::demo_server::{generate_account, DemoServer, DemoServerConfig, Fault};
use devrev_export::devrev::{AccountsExportRequest, BaseUrl, DevRevClient};
use devrev_export::token::Token;
use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

const TOKEN: &str = "gui-test-token";
const WAIT: Duration = Duration::from_secs(30);

/// Serializes the GUI tests: they share the keyring entry and the display,
/// and two app windows at once would slow both past their waits.
static GUI_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

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
            if let Ok(picture) = client.screenshot().await {
                let _ = std::fs::write(
                    artifacts_dir().join(format!("gui-timeout-{id}.png")),
                    picture,
                );
            }
            let mut notes = Vec::new();
            for other in [
                "status-message",
                "error-message",
                "results-count",
                "progress-text",
            ] {
                if let Ok(shown) = client.find(Locator::Id(other)).await {
                    notes.push(shown.text().await.unwrap_or_default());
                }
            }
            panic!("#{id} still reads {text:?} after {WAIT:?}; status, error, count and progress lines: {notes:?}");
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

/// Returns the texts of the chips of a chip field, such as `owned_by`.
async fn chip_texts(client: &Client, field: &str) -> Vec<String> {
    let script = format!(
        "return [...document.querySelectorAll('[data-chip-field={field}] .chip-text')].map((chip) => chip.textContent);"
    );
    let value = client.execute(&script, vec![]).await.unwrap();
    serde_json::from_value(value).unwrap()
}

/// Waits until a chip field shows exactly `expected`.
async fn wait_for_chips(client: &Client, field: &str, expected: &[&str]) {
    let started = Instant::now();
    loop {
        let shown = chip_texts(client, field).await;
        if shown == expected {
            return;
        }
        if started.elapsed() > WAIT {
            let script = format!(
                "return [document.querySelector('[data-chip-field={field}]').closest('.field').querySelector('.picker-status')?.textContent, document.getElementById('status-message').textContent, document.getElementById('error-message').textContent];"
            );
            let notes = client.execute(&script, vec![]).await.unwrap();
            panic!("{field} shows {shown:?}, expected {expected:?}; picker, status and error lines: {notes}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Prints a measurement and appends it to `gui-measurements.txt` among the
/// test artifacts, since the output of a passing test is not shown.
fn record_measurement(line: &str) {
    use std::io::Write as _;
    eprintln!("{line}");
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(artifacts_dir().join("gui-measurements.txt"))
        .unwrap();
    writeln!(file, "{line}").unwrap();
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
    exported_column(path, "Name")
}

/// Cells of the column headed `header` in the Accounts sheet, in row order.
fn exported_column(path: &Path, header: &str) -> Vec<String> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    let mut rows = sheet.rows();
    let header_row = rows.next().unwrap();
    let column = header_row
        .iter()
        .position(|cell| cell == &Data::String(header.into()))
        .unwrap_or_else(|| panic!("no {header} column"));
    rows.map(|row| row[column].to_string()).collect()
}

#[tokio::test]
#[ignore = "needs a display, a keyring and tauri-driver; scripts/test.sh provides them"]
async fn token_filters_preview_export() {
    let _gui = GUI_LOCK.lock().await;
    // The app saves the token under the real service name, so this test must
    // run only in the throw-away keyring that scripts/test.sh starts.
    assert!(
        std::env::var_os("DEVREV_TEST_SESSION").is_some(),
        "run this test through scripts/test.sh, which gives it a private keyring"
    );
    // Start without a saved token, so the wait for "keyring" below detects this
    // test's save and not one that another test left.
    devrev_export::token::TokenStore::default()
        .delete()
        .await
        .unwrap();
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

    // A picker adds the entry whose whole name is typed when Enter (U+E007) is pressed.
    type_into(&client, "filter-tier-input", "Enterprise\u{E007}").await;
    wait_for_chips(&client, "tier", &["Enterprise"]).await;
    type_into(&client, "filter-subtype-input", "Customer\u{E007}").await;
    wait_for_chips(&client, "subtype", &["Customer"]).await;
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

    // A measurement, not a check: the speed target is judged from the printed number.
    let first_rows_ms = client
        .execute(
            "return document.getElementById('results-table').dataset.firstRowsMs ?? null;",
            vec![],
        )
        .await
        .unwrap();
    record_measurement(&format!(
        "preview of {count_text}: first rows on screen after {} ms",
        first_rows_ms.as_str().unwrap_or("(not measured)")
    ));

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

/// Clicks that a person makes, counted.
#[derive(Default)]
struct Clicks(usize);

impl Clicks {
    /// Clicks the element once it is shown, as a person would wait for it.
    async fn click(&mut self, client: &Client, id: &str) {
        let target = element(client, id).await;
        let started = Instant::now();
        while !target.is_displayed().await.unwrap_or(false) {
            assert!(started.elapsed() < WAIT, "#{id} is not shown");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        target.click().await.unwrap();
        self.0 += 1;
    }
}

/// Waits until a file appears in `folder`, and returns its name.
async fn wait_for_file(folder: &Path) -> String {
    let started = Instant::now();
    loop {
        let names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .filter(|name| name.ends_with(".xlsx"))
            .collect();
        if let [name] = names.as_slice() {
            return name.clone();
        }
        assert!(
            started.elapsed() < WAIT,
            "no single workbook in {folder:?}: {names:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
#[ignore = "needs a display, a keyring and tauri-driver; scripts/test.sh provides them"]
async fn first_run_then_one_click_preset() {
    let _gui = GUI_LOCK.lock().await;
    assert!(
        std::env::var_os("DEVREV_TEST_SESSION").is_some(),
        "run this test through scripts/test.sh, which gives it a private keyring"
    );
    // A first run has no token, so remove one that another test saved.
    devrev_export::token::TokenStore::default()
        .delete()
        .await
        .unwrap();
    let server = DemoServer::start(DemoServerConfig {
        accounts: 600,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("config");
    // The organization's server replaces DevRev's default address,
    // which the test may not contact; everything else is the app's default.
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("settings.json"),
        json!({"version": 1, "base_url": server.base_url()}).to_string(),
    )
    .unwrap();
    let first_file = scratch.path().join("first.xlsx");
    let artifacts = artifacts_dir();

    // First run: from launch to a file with the defaults.
    let driver = start_driver(
        &config,
        &first_file,
        &artifacts.join("tauri-driver-first-run.log"),
    );
    let client = connect(&driver).await;
    let mut clicks = Clicks::default();
    clicks.click(&client, "welcome-add-token").await;
    type_into(&client, "token-input", TOKEN).await;
    clicks.click(&client, "token-save").await;
    wait_for_text(&client, "token-status", |text| text.contains("keyring")).await;
    clicks.click(&client, "settings-close").await;
    clicks.click(&client, "export-button").await;
    // The save dialog's Save button. The test fills in the dialog through
    // DEVREV_EXPORT_TEST_SAVE_PATH, because WebDriver cannot reach it.
    clicks.0 += 1;
    wait_for_text(&client, "status-message", |text| text.contains("Saved")).await;
    record_measurement(&format!("first run, launch to file: {} clicks", clicks.0));
    assert!(clicks.0 <= 5, "{} clicks", clicks.0);
    assert_eq!(exported_names(&first_file).len(), 50);
    assert!(element(&client, "export-actions")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_none());

    // Filters picked by name: an owner found by part of the email address,
    // chosen so that some but fewer than 50 Enterprise accounts match, and a
    // tier typed in full.
    let (owner, matching) = devrev_export::demo_server::demo_users()
        .into_iter()
        .map(|user| {
            let count = (0..600)
                .map(|index| devrev_export::demo_server::generate_account(42, index))
                .filter(|account| account.tier.as_deref() == Some("Enterprise"))
                .filter(|account| account.owned_by.iter().any(|owned| owned.id == user.id))
                .count();
            (user, count)
        })
        .find(|(_, count)| (2..50).contains(count))
        .expect("a demo user owns a few Enterprise accounts");
    let handle = owner.display_name.clone().unwrap();
    let full_name = owner.full_name.clone().unwrap();
    element(&client, "filter-owned-by-input")
        .await
        .send_keys(&handle)
        .await
        .unwrap();
    let started = Instant::now();
    let option = loop {
        let options = client
            .find_all(Locator::Css("#filter-owned-by-options [role=option]"))
            .await
            .unwrap();
        let mut found = None;
        for option in options {
            if option.text().await.unwrap_or_default().contains(&full_name) {
                found = Some(option);
            }
        }
        if let Some(option) = found {
            break option;
        }
        assert!(started.elapsed() < WAIT, "no option for {full_name}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    option.click().await.unwrap();
    type_into(&client, "filter-tier-input", "enterprise\u{E007}").await;
    wait_for_chips(&client, "tier", &["Enterprise"]).await;
    let owners = chip_texts(&client, "owned_by").await;
    assert_eq!(owners.len(), 1);
    assert!(owners[0].starts_with(&full_name), "{owners:?}");
    assert!(!owners[0].contains("don:"), "{owners:?}");
    click(&client, "preview-button").await;
    let count_text = format!("{matching} accounts");
    wait_for_text(&client, "results-count", |text| text.contains(&count_text)).await;
    wait_for_text(&client, "file-contents", |text| {
        text.contains(&format!(
            "The file will contain all {count_text} that match"
        ))
    })
    .await;

    // Save the form as a preset with its own folder and file-name pattern.
    let exports = scratch.path().join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    client
        .find(Locator::Css("#preset-details summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    type_into(&client, "preset-name", "Chloé enterprise").await;
    type_into(&client, "preset-folder", exports.to_str().unwrap()).await;
    type_into(
        &client,
        "preset-file-name",
        "Enterprise accounts {date}.xlsx",
    )
    .await;
    click(&client, "preset-save").await;
    wait_for_text(&client, "status-message", |text| text.contains("saved")).await;
    client.close().await.unwrap();
    drop(driver);

    // Next Monday: the app starts with the preset chosen, and one click exports.
    let unused = scratch.path().join("dialog-not-used.xlsx");
    let driver = start_driver(
        &config,
        &unused,
        &artifacts.join("tauri-driver-one-click.log"),
    );
    let client = connect(&driver).await;
    wait_for_text(&client, "file-contents", |text| {
        text.contains("without asking")
    })
    .await;
    let mut clicks = Clicks::default();
    clicks.click(&client, "export-button").await;
    wait_for_text(&client, "status-message", |text| text.contains("Saved")).await;
    let name = wait_for_file(&exports).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let screenshot = client.screenshot().await.unwrap();
    std::fs::write(artifacts.join("gui-one-click.png"), screenshot).unwrap();
    client.close().await.unwrap();
    drop(driver);

    let today = chrono::Local::now().format("%Y-%m-%d");
    assert_eq!(clicks.0, 1);
    assert_eq!(name, format!("Enterprise accounts {today}.xlsx"));
    assert!(!unused.exists());
    let sent: Vec<serde_json::Value> = server
        .recorded_requests()
        .into_iter()
        .filter(|request| request.path == "/accounts.export")
        .map(|request| serde_json::from_str(&request.body).unwrap())
        .collect();
    let last = sent.last().unwrap();
    let owner_id = last["owned_by"][0].as_str().unwrap().to_owned();
    assert_eq!(owner_id, owner.id, "{last}");
    assert_eq!(last["tier"], json!(["Enterprise"]));
    let api = DevRevClient::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse(TOKEN).unwrap(),
    );
    let expected: Vec<String> = api
        .export_accounts(
            &AccountsExportRequest::from_value(
                json!({"owned_by": [owner_id], "tier": ["Enterprise"]}),
            )
            .unwrap(),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|account| account.display_name.unwrap_or_default())
        .collect();
    server.shutdown().await;
    assert_eq!(expected.len(), matching);
    assert_eq!(exported_names(&exports.join(&name)), expected);
}

#[tokio::test]
#[ignore = "needs a display, a keyring and tauri-driver; scripts/test.sh provides them"]
async fn paused_export_resumes_in_window() {
    let _gui = GUI_LOCK.lock().await;
    assert!(
        std::env::var_os("DEVREV_TEST_SESSION").is_some(),
        "run this test through scripts/test.sh, which gives it a private keyring"
    );
    // Three pages of the app's 500 accounts each.
    let accounts = 1_200;
    let server = DemoServer::start(DemoServerConfig {
        accounts,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap();
    devrev_export::token::TokenStore::default()
        .save(&Token::parse(TOKEN).unwrap())
        .await
        .unwrap();
    let scratch = tempfile::tempdir().unwrap();
    let config = scratch.path().join("config");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::write(
        config.join("settings.json"),
        json!({"version": 1, "base_url": server.base_url()}).to_string(),
    )
    .unwrap();
    let save_path = scratch.path().join("resumed.xlsx");
    let driver = start_driver(
        &config,
        &save_path,
        &artifacts_dir().join("tauri-driver-resume.log"),
    );
    let client = connect(&driver).await;
    wait_for_text(&client, "connection-status", |text| {
        text.contains("Token saved")
    })
    .await;
    click(&client, "fetch-mode-all").await;

    // The export's first request waits out a rate limit of 3 s, two pages
    // arrive, and the third is rejected. A 401 is never retried, so the
    // export stops at once with two pages kept.
    let before = server.recorded_requests().len();
    server.inject_fault(Fault::too_many_requests(3));
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::pass());
    server.inject_fault(Fault::unauthenticated());
    click(&client, "export-button").await;
    let countdown = wait_for_text(&client, "wait-text", |text| {
        text.starts_with("DevRev asked us to wait")
    })
    .await;
    // WebDriver's element text skips visually hidden elements, so read the DOM.
    let spoken = client
        .execute(
            "return document.getElementById('wait-spoken').textContent;",
            vec![],
        )
        .await
        .unwrap();
    let paused = wait_for_text(&client, "paused-message", |text| {
        text.contains("1,000 accounts kept")
    })
    .await;
    let wait_hidden = element(&client, "wait-text")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_some();
    let settings_offered = element(&client, "paused-open-settings")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_none();
    let file_while_paused = save_path.exists();
    // The export first reads the custom fields' names, which faults skip.
    let requests_while_paused: Vec<String> = server.recorded_requests()[before..]
        .iter()
        .map(|request| request.path.clone())
        .filter(|path| path != "/schemas.aggregated.get")
        .collect();

    click(&client, "resume-export").await;
    let status = wait_for_text(&client, "status-message", |text| text.contains("Saved")).await;
    let resume_hidden = element(&client, "paused-export")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_some();
    let actions_shown = element(&client, "export-actions")
        .await
        .attr("hidden")
        .await
        .unwrap()
        .is_none();
    client.close().await.unwrap();
    drop(driver);
    server.shutdown().await;

    assert!(countdown.ends_with(" s."), "{countdown}");
    assert_eq!(spoken, json!("DevRev asked us to wait 3 s."));
    assert!(paused.contains("Resume"), "{paused}");
    assert!(wait_hidden, "the countdown hides when the job ends");
    assert!(settings_offered, "a rejected token offers Open settings");
    assert!(!file_while_paused, "a paused export writes no file");
    assert_eq!(
        requests_while_paused, ["/accounts.list"; 4],
        "the rate-limited request, two pages and the rejected one"
    );
    assert!(status.starts_with("Saved"), "{status}");
    assert!(resume_hidden);
    assert!(actions_shown, "Open file and Show in folder are offered");
    // The window's default sort order differs from the data set's, so the
    // IDs are compared as a set, after checking that none repeats.
    let ids = exported_column(&save_path, "DevRev ID");
    let unique: HashSet<String> = ids.iter().cloned().collect();
    let expected: HashSet<String> = (0..accounts)
        .map(|index| generate_account(42, index).id)
        .collect();
    assert_eq!(ids.len(), accounts);
    assert_eq!(unique.len(), accounts);
    assert_eq!(unique, expected);
}
