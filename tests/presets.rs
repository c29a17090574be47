//! Saved presets: save and reload in a new process, export to a file and
//! import it elsewhere, and files from an older or a newer version or damaged.
//! Also the one-click export to a preset's folder, from the session and from
//! the command line.

use std::path::Path;
use std::process::{Command, Output};

use calamine::{open_workbook, Reader, Xlsx};
use devrev_export::demo_server::{generate_account, DemoServer, DemoServerConfig};
use devrev_export::presets::{ExportFormat, Preset, PresetStore, RelativeRange, PRESETS_VERSION};
use devrev_export::session::AppSession;
use devrev_export::settings::SettingsStore;
use devrev_export::time_zone::TimeZonePolicy;
use devrev_export::token::TokenStore;
use serde_json::{json, Value};

const TOKEN: &str = "preset-test-token";
const BINARY: &str = env!("CARGO_BIN_EXE_devrev-accounts-export");

fn enterprise(folder: &Path) -> Preset {
    Preset {
        name: "Enterprise accounts".into(),
        filters: json!({"tier": ["Enterprise"], "first": 500})
            .as_object()
            .unwrap()
            .clone(),
        folder: Some(folder.to_path_buf()),
        file_name: "Enterprise accounts {date}.xlsx".into(),
        labels: [("Enterprise".to_owned(), "Enterprise".to_owned())].into(),
        ..Preset::default()
    }
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn data_rows(path: &Path) -> usize {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    workbook.worksheet_range("Accounts").unwrap().height() - 1
}

fn enterprise_count(accounts: usize) -> usize {
    (0..accounts)
        .map(|index| generate_account(42, index))
        .filter(|account| account.tier.as_deref() == Some("Enterprise"))
        .count()
}

async fn run(config: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(BINARY);
    command
        .args(args)
        .env("DEVREV_TOKEN", TOKEN)
        .env("DEVREV_EXPORT_CONFIG_DIR", config);
    tokio::task::spawn_blocking(move || command.output().unwrap())
        .await
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
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

#[tokio::test]
async fn saved_preset_exports_from_new_process() {
    let server = start_server(300).await;
    let config = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    let store = PresetStore::in_dir(config.path());
    store.save(enterprise(exports.path()), false).await.unwrap();

    // The command line is a new process that finds the preset on disk.
    let base_url = server.base_url();
    let args = [
        "export",
        "--preset",
        "Enterprise accounts",
        "--base-url",
        base_url.as_str(),
    ];
    let first = run(config.path(), &args).await;
    let second = run(config.path(), &args).await;

    server.shutdown().await;
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(second.status.success(), "{}", stderr(&second));
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let expected_names = [
        format!("Enterprise accounts {today} (2).xlsx"),
        format!("Enterprise accounts {today}.xlsx"),
    ];
    assert_eq!(names_in(exports.path()), expected_names);
    let written = data_rows(&exports.path().join(&expected_names[1]));
    assert_eq!(written, enterprise_count(300));
}

#[tokio::test]
async fn explicit_options_win_over_preset() {
    let server = start_server(300).await;
    let config = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    PresetStore::in_dir(config.path())
        .save(enterprise(exports.path()), false)
        .await
        .unwrap();
    std::fs::write(elsewhere.path().join("smb.json"), r#"{"tier": ["SMB"]}"#).unwrap();
    let out = elsewhere.path().join("chosen.xlsx");
    let filters = elsewhere.path().join("smb.json");

    let output = run(
        config.path(),
        &[
            "export",
            "--preset",
            "enterprise ACCOUNTS",
            "--base-url",
            &server.base_url(),
            "--out",
            out.to_str().unwrap(),
            "--filters",
            filters.to_str().unwrap(),
            "--all",
        ],
    )
    .await;

    // Only the requests for accounts carry filters.
    let sent: Vec<Value> = server
        .recorded_requests()
        .iter()
        .filter(|request| request.path.starts_with("/accounts."))
        .map(|request| serde_json::from_str(&request.body).unwrap())
        .collect();
    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(names_in(exports.path()).is_empty());
    assert!(out.exists());
    assert!(
        sent.iter().all(|body| body["tier"] == json!(["SMB"])),
        "{sent:?}"
    );
    let smb = (0..300)
        .filter(|index| generate_account(42, *index).tier.as_deref() == Some("SMB"))
        .count();
    assert_eq!(data_rows(&out), smb);
}

#[tokio::test]
async fn unknown_preset_is_bad_input() {
    let config = tempfile::tempdir().unwrap();
    let store = PresetStore::in_dir(config.path());
    store.save(enterprise(config.path()), false).await.unwrap();

    let unknown = run(config.path(), &["export", "--preset", "Monthly"]).await;

    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        stderr(&unknown).contains("`Enterprise accounts`"),
        "{}",
        stderr(&unknown)
    );
}

#[tokio::test]
async fn csv_preset_keeps_its_columns_and_zone() {
    let server = start_server(300).await;
    let config = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    let mut csv = enterprise(exports.path());
    csv.name = "As CSV".into();
    csv.format = ExportFormat::Csv;
    csv.columns = Some(vec!["display_name".into(), "created_date".into()]);
    csv.time_zone = TimeZonePolicy::Utc;
    PresetStore::in_dir(config.path())
        .save(csv, false)
        .await
        .unwrap();

    let output = run(
        config.path(),
        &[
            "export",
            "--preset",
            "As CSV",
            "--base-url",
            &server.base_url(),
        ],
    )
    .await;

    server.shutdown().await;
    assert!(output.status.success(), "{}", stderr(&output));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let name = format!("Enterprise accounts {today}.csv");
    assert_eq!(names_in(exports.path()), std::slice::from_ref(&name));
    let text = std::fs::read_to_string(exports.path().join(&name)).unwrap();
    let header = text.trim_start_matches('\u{feff}').lines().next().unwrap();
    assert_eq!(header, "Name,Created (UTC)");
    assert_eq!(text.lines().count(), enterprise_count(300) + 1);
}

#[tokio::test]
async fn rename_and_delete_keep_the_file_in_step() {
    let config = tempfile::tempdir().unwrap();
    let store = PresetStore::in_dir(config.path());
    store.save(enterprise(config.path()), false).await.unwrap();
    let mut other = enterprise(config.path());
    other.name = "Other".into();
    store.save(other, false).await.unwrap();

    let clash = store
        .rename("Other", "ENTERPRISE accounts")
        .await
        .unwrap_err();
    store
        .rename("Enterprise accounts", "Top tier")
        .await
        .unwrap();
    store.delete("Other").await.unwrap();

    let reloaded = PresetStore::in_dir(config.path()).load().await.unwrap();
    assert!(clash.to_string().contains("already exists"), "{clash}");
    let names: Vec<&str> = reloaded
        .presets
        .iter()
        .map(|preset| preset.name.as_str())
        .collect();
    assert_eq!(names, ["Top tier"]);
}

#[tokio::test]
async fn preset_file_round_trip() {
    let mine = tempfile::tempdir().unwrap();
    let theirs = tempfile::tempdir().unwrap();
    let mut weekly = enterprise(mine.path());
    weekly.dates.created = Some(RelativeRange::ThisQuarter);
    weekly.time_zone = TimeZonePolicy::Utc;
    weekly.all = true;
    weekly.columns = Some(vec!["display_name".into(), "tier".into()]);
    let source = PresetStore::in_dir(mine.path());
    source.save(weekly.clone(), false).await.unwrap();
    let file = mine.path().join("weekly.preset.json");

    source
        .export_file("Enterprise accounts", &file)
        .await
        .unwrap();
    let target = PresetStore::in_dir(theirs.path());
    let (first, _) = target.import_file(&file).await.unwrap();
    let (second, all) = target.import_file(&file).await.unwrap();

    let expected = Preset {
        folder: None,
        ..weekly
    };
    assert_eq!(first, expected);
    assert_eq!(second.name, "Enterprise accounts (2)");
    assert_eq!(all.len(), 2);
    let written: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(written["kind"], "devrev-accounts-export-preset");
    assert_eq!(written["version"], PRESETS_VERSION);
    assert!(written["preset"].get("folder").is_none_or(Value::is_null));
}

#[tokio::test]
async fn import_rejects_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = PresetStore::in_dir(dir.path());
    let settings = dir.path().join("settings.json");
    std::fs::write(
        &settings,
        r#"{"version": 1, "base_url": "https://example.test"}"#,
    )
    .unwrap();
    let newer = dir.path().join("newer.json");
    std::fs::write(
        &newer,
        r#"{"kind": "devrev-accounts-export-preset", "version": 99, "preset": {}}"#,
    )
    .unwrap();

    let not_preset = store.import_file(&settings).await.unwrap_err();
    let too_new = store.import_file(&newer).await.unwrap_err();

    assert!(
        not_preset.to_string().contains("is not a preset file"),
        "{not_preset}"
    );
    assert!(too_new.to_string().contains("newer version"), "{too_new}");
    assert!(store.load().await.unwrap().presets.is_empty());
}

#[tokio::test]
async fn older_version_file_loads_and_upgrades() {
    let dir = tempfile::tempdir().unwrap();
    // Written before the format had a version: only name and filters.
    let old = r#"{"presets": [{"name": "Legacy", "filters": {"tier": ["SMB"]}}]}"#;
    std::fs::write(dir.path().join("presets.json"), old).unwrap();
    let store = PresetStore::in_dir(dir.path());

    let loaded = store.load().await.unwrap();
    let mut added = enterprise(dir.path());
    added.name = "New".into();
    store.save(added, false).await.unwrap();

    assert_eq!(loaded.warning, None);
    let legacy = &loaded.presets[0];
    assert_eq!(legacy.name, "Legacy");
    assert_eq!(legacy.format, ExportFormat::Xlsx);
    assert_eq!(legacy.time_zone, TimeZonePolicy::Local);
    assert_eq!(legacy.file_name, "accounts-{date}.xlsx");
    let rewritten: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("presets.json")).unwrap())
            .unwrap();
    assert_eq!(rewritten["version"], PRESETS_VERSION);
    assert_eq!(rewritten["presets"][0]["name"], "Legacy");
    assert_eq!(rewritten["presets"][1]["name"], "New");
}

#[tokio::test]
async fn damaged_file_is_set_aside_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("presets.json"),
        "{\"version\": 1, \"presets\": [",
    )
    .unwrap();
    let store = PresetStore::in_dir(dir.path());

    let loaded = store.load().await.unwrap();
    store.save(enterprise(dir.path()), false).await.unwrap();

    assert!(loaded.presets.is_empty());
    let warning = loaded.warning.unwrap();
    assert!(warning.contains("set aside"), "{warning}");
    let names = names_in(dir.path());
    assert_eq!(names.len(), 2, "{names:?}");
    assert_eq!(names[0], "presets.json");
    assert!(names[1].starts_with("presets.json.damaged-"), "{names:?}");
    let kept = std::fs::read_to_string(dir.path().join(&names[1])).unwrap();
    assert_eq!(kept, "{\"version\": 1, \"presets\": [");
}

#[tokio::test]
async fn newer_version_file_is_read_only() {
    let dir = tempfile::tempdir().unwrap();
    let newer = r#"{"version": 7, "presets": [{"name": "Future", "sparkles": true}]}"#;
    std::fs::write(dir.path().join("presets.json"), newer).unwrap();
    let store = PresetStore::in_dir(dir.path());

    let loaded = store.load().await.unwrap();
    let refused = store.save(enterprise(dir.path()), false).await.unwrap_err();

    assert!(loaded.read_only);
    assert_eq!(loaded.presets[0].name, "Future");
    assert!(refused.to_string().contains("newer version"), "{refused}");
    let unchanged = std::fs::read_to_string(dir.path().join("presets.json")).unwrap();
    assert_eq!(unchanged, newer);
}

#[tokio::test]
async fn invalid_preset_is_not_saved() {
    let dir = tempfile::tempdir().unwrap();
    let store = PresetStore::in_dir(dir.path());
    let mut bad_pattern = enterprise(dir.path());
    bad_pattern.file_name = "exports/{date}.xlsx".into();
    let mut bad_filters = enterprise(dir.path());
    bad_filters.filters.insert("first".into(), json!(0));

    let pattern_error = store.save(bad_pattern, false).await.unwrap_err();
    let filters_error = store.save(bad_filters, false).await.unwrap_err();

    assert!(pattern_error.to_string().contains("`/`"), "{pattern_error}");
    assert!(
        filters_error.to_string().contains("first"),
        "{filters_error}"
    );
    assert!(!dir.path().join("presets.json").exists());
}

#[tokio::test]
async fn last_used_form_survives_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut form = enterprise(dir.path());
    form.name = String::new();
    form.dates.modified = Some(RelativeRange::Last30Days);

    PresetStore::in_dir(dir.path())
        .save_last_used(&form)
        .await
        .unwrap();
    let restored = PresetStore::in_dir(dir.path())
        .load_last_used()
        .await
        .unwrap();

    assert_eq!(restored, Some(form));
}

#[tokio::test]
async fn session_one_click_export_never_replaces() {
    let config = tempfile::tempdir().unwrap();
    let exports = tempfile::tempdir().unwrap();
    let tokens = TokenStore::new(
        &format!("devrev-accounts-export-preset-test-{}", std::process::id()),
        "api-token",
    );
    let session = AppSession::open(Some(SettingsStore::in_dir(config.path())), tokens).await;
    session.start_sample_data().await.unwrap();
    let preset = enterprise(exports.path());
    session.save_preset(preset.clone(), false).await.unwrap();

    let first = session
        .export_preset("Enterprise accounts", |_| {}, |_| {})
        .await
        .unwrap();
    let second = session
        .export_to_folder(&preset, |_| {}, |_| {})
        .await
        .unwrap();

    session.stop_sample_data().await;
    assert_eq!(first.path.parent(), Some(exports.path()));
    assert_ne!(first.path, second.path);
    assert!(
        second.path.to_string_lossy().ends_with(" (2).xlsx"),
        "{}",
        second.path.display()
    );
    assert_eq!(data_rows(&first.path), first.rows);
    assert_eq!(
        first.rows,
        enterprise_count(devrev_export::session::SAMPLE_ACCOUNTS).min(500)
    );
}
