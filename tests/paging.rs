//! Reading every matching account through `accounts.list`: paging against the
//! demo server, each misbehaving cursor, and cancelling an export midway.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Mutex;

use calamine::{open_workbook, Data, Reader, Xlsx};
use devrev_export::columns::{CellValue, Column};
use devrev_export::demo_server::{generate_account, DemoServer, DemoServerConfig, Fault};
use devrev_export::devrev::paging::{AccountPager, PagingError, PagingLimits};
use devrev_export::devrev::{AccountFilters, AccountsExportRequest, BaseUrl, DevRevClient};
use devrev_export::export::{
    export_to_file, preview, CancellationToken, FetchPlan, PreviewSink, Progress,
};
use devrev_export::token::Token;
use devrev_export::workbook::ABOUT_SHEET_NAME;
use serde_json::{json, Value};

const TOKEN: &str = "paging-test-token";
const SEED: u64 = 42;

async fn start_server(accounts: usize) -> DemoServer {
    DemoServer::start(DemoServerConfig {
        accounts,
        token: TOKEN.into(),
        ..DemoServerConfig::default()
    })
    .await
    .unwrap()
}

fn client_for(server: &DemoServer) -> DevRevClient {
    DevRevClient::new(
        BaseUrl::parse(&server.base_url()).unwrap(),
        Token::parse(TOKEN).unwrap(),
    )
}

fn all_plan(page_size: u32) -> FetchPlan {
    FetchPlan {
        request: AccountsExportRequest::default(),
        all: true,
        limits: PagingLimits {
            page_size,
            ..PagingLimits::default()
        },
        columns: Default::default(),
    }
}

/// Collects what a preview streams.
#[derive(Default)]
struct CollectedPreview {
    columns: Mutex<Vec<Column>>,
    rows: Mutex<Vec<Vec<CellValue>>>,
    progress: Mutex<Vec<Progress>>,
}

impl PreviewSink for CollectedPreview {
    fn columns(&self, columns: &[Column]) {
        *self.columns.lock().unwrap() = columns.to_vec();
    }

    fn rows(&self, rows: Vec<Vec<CellValue>>) {
        self.rows.lock().unwrap().extend(rows);
    }

    fn progress(&self, progress: Progress) {
        self.progress.lock().unwrap().push(progress);
    }
}

/// Builds an `accounts.list` page with the given `next_cursor`, which may be `null`.
fn page(ids: &[&str], next_cursor: Value) -> Fault {
    let accounts: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
    let body = json!({"accounts": accounts, "next_cursor": next_cursor});
    Fault::Status {
        status: 200,
        body,
        retry_after_header: None,
    }
}

/// Builds a page without a `next_cursor` field.
fn last_page(ids: &[&str]) -> Fault {
    let accounts: Vec<Value> = ids.iter().map(|id| json!({"id": id})).collect();
    Fault::Status {
        status: 200,
        body: json!({"accounts": accounts}),
        retry_after_header: None,
    }
}

/// Reads every page with the pager and returns the account IDs in order.
async fn read_all(pager: &mut AccountPager<'_>) -> Result<Vec<String>, PagingError> {
    let mut ids = Vec::new();
    while let Some(page) = pager.next_page().await? {
        ids.extend(page.accounts.into_iter().map(|account| account.id));
    }
    Ok(ids)
}

fn pager_limits(max_pages: usize) -> PagingLimits {
    PagingLimits {
        page_size: 2,
        max_pages,
    }
}

#[tokio::test]
async fn preview_pages_through_all_accounts() {
    let server = start_server(2_345).await;
    let sink = CollectedPreview::default();

    let summary = preview(
        &client_for(&server),
        &all_plan(500),
        &CancellationToken::new(),
        &sink,
    )
    .await
    .unwrap();

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(summary.count, 2_345);
    assert_eq!(summary.pages, 5);
    assert_eq!(summary.endpoint, "accounts.list");
    assert_eq!(summary.limit, None);
    assert!(!summary.may_be_truncated);
    assert!(requests
        .iter()
        .all(|request| request.path == "/accounts.list"));

    let columns = sink.columns.lock().unwrap().clone();
    let id_column = columns
        .iter()
        .position(|column| column.key == "id")
        .unwrap();
    let received: Vec<String> = sink
        .rows
        .lock()
        .unwrap()
        .iter()
        .map(|row| match &row[id_column] {
            CellValue::Text(id) => id.clone(),
            other => panic!("an ID cell is {other:?}"),
        })
        .collect();
    let expected: Vec<String> = (0..2_345)
        .map(|index| generate_account(SEED, index).id)
        .collect();
    assert_eq!(received.len(), 2_345);
    assert_eq!(received.iter().collect::<HashSet<_>>().len(), 2_345);
    assert_eq!(received, expected);
}

#[tokio::test]
async fn export_writes_every_page() {
    let server = start_server(2_345).await;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("all.xlsx");

    let summary = export_to_file(
        &client_for(&server),
        &all_plan(300),
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();

    server.shutdown().await;
    assert_eq!(summary.rows, 2_345);
    assert_eq!(summary.pages, 8);
    assert_eq!(summary.sheets, ["Accounts"]);
    let ids = exported_ids(&target);
    let expected: Vec<String> = (0..2_345)
        .map(|index| generate_account(SEED, index).id)
        .collect();
    assert_eq!(ids, expected);
    assert_about_sheet(&target, "2345", "accounts.list");
}

/// Checks the About sheet's account count and endpoint, and that the file
/// has its two charts.
fn assert_about_sheet(path: &Path, accounts: &str, endpoint: &str) {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let about = workbook.worksheet_range(ABOUT_SHEET_NAME).unwrap();
    let value_of = |label: &str| {
        about
            .rows()
            .find(|row| row[0] == Data::String(label.into()))
            .map(|row| row[1].to_string())
    };
    assert_eq!(value_of("Accounts").as_deref(), Some(accounts));
    assert_eq!(value_of("Endpoint").as_deref(), Some(endpoint));
    assert!(value_of("Accounts per tier").is_some());

    let archive = zip::ZipArchive::new(std::fs::File::open(path).unwrap()).unwrap();
    let charts = archive
        .file_names()
        .filter(|name| {
            name.as_deref()
                .is_ok_and(|name| name.starts_with("xl/charts/chart"))
        })
        .count();
    assert_eq!(charts, 2);
}

/// Values of the "DevRev ID" column of every sheet, in sheet order.
fn exported_ids(path: &Path) -> Vec<String> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let mut ids = Vec::new();
    for name in workbook.sheet_names() {
        if name == ABOUT_SHEET_NAME {
            continue;
        }
        let sheet = workbook.worksheet_range(&name).unwrap();
        let mut rows = sheet.rows();
        let header = rows.next().unwrap();
        let column = header
            .iter()
            .position(|cell| cell == &Data::String("DevRev ID".into()))
            .unwrap();
        ids.extend(rows.map(|row| row[column].to_string()));
    }
    ids
}

#[tokio::test]
async fn filtered_paging_matches_single_export() {
    let server = start_server(1_500).await;
    let client = client_for(&server);
    let filters = AccountFilters {
        tier: vec!["Enterprise".into()],
        ..AccountFilters::default()
    };
    let single = client
        .export_accounts(&AccountsExportRequest {
            filters: filters.clone(),
            first: Some(500),
        })
        .await
        .unwrap();
    let mut pager = AccountPager::new(&client, filters, pager_limits(10_000));

    let paged = read_all(&mut pager).await.unwrap();

    server.shutdown().await;
    let single: Vec<String> = single.into_iter().map(|account| account.id).collect();
    assert!(single.len() < 500, "the filter should match fewer than 500");
    assert_eq!(paged, single);
}

#[tokio::test]
async fn missing_cursor_ends_paging() {
    let server = start_server(10).await;
    server.inject_fault(page(&["a", "b"], json!("cursor-1")));
    server.inject_fault(last_page(&["c"]));
    let client = client_for(&server);
    let mut pager = AccountPager::new(&client, AccountFilters::default(), pager_limits(100));

    let ids = read_all(&mut pager).await.unwrap();

    let requests = server.recorded_requests();
    server.shutdown().await;
    assert_eq!(ids, ["a", "b", "c"]);
    assert_eq!(pager.pages(), 2);
    assert_eq!(requests.len(), 2);
    let second: Value = serde_json::from_str(&requests[1].body).unwrap();
    assert_eq!(second["cursor"], "cursor-1");
}

#[tokio::test]
async fn empty_or_null_cursor_ends_paging() {
    for end in [json!(""), Value::Null] {
        let server = start_server(10).await;
        server.inject_fault(page(&["a"], json!("next")));
        server.inject_fault(page(&["b"], end.clone()));
        let client = client_for(&server);
        let mut pager = AccountPager::new(&client, AccountFilters::default(), pager_limits(100));

        let ids = read_all(&mut pager).await.unwrap();

        let requests = server.recorded_requests().len();
        server.shutdown().await;
        assert_eq!(ids, ["a", "b"], "{end}");
        assert_eq!(requests, 2, "{end}");
    }
}

#[tokio::test]
async fn repeated_cursor_stops_with_error() {
    let server = start_server(10).await;
    server.inject_fault(page(&["a"], json!("A")));
    server.inject_fault(page(&["b"], json!("B")));
    server.inject_fault(page(&["c"], json!("A")));
    let client = client_for(&server);
    let mut pager = AccountPager::new(&client, AccountFilters::default(), pager_limits(100));

    let error = read_all(&mut pager).await.unwrap_err();

    server.shutdown().await;
    assert!(
        matches!(
            error,
            PagingError::RepeatedCursor {
                pages: 3,
                accounts: 3
            }
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("stopped"), "{error}");
    assert!(pager.next_page().await.unwrap().is_none());
}

#[tokio::test]
async fn page_cap_stops_with_error() {
    let server = start_server(10).await;
    for number in 0..4 {
        server.inject_fault(page(
            &[&format!("id-{number}")],
            json!(format!("cursor-{number}")),
        ));
    }
    let client = client_for(&server);
    let mut pager = AccountPager::new(&client, AccountFilters::default(), pager_limits(3));

    let error = read_all(&mut pager).await.unwrap_err();

    let requests = server.recorded_requests().len();
    server.shutdown().await;
    assert!(
        matches!(
            error,
            PagingError::TooManyPages {
                max_pages: 3,
                accounts: 3
            }
        ),
        "{error:?}"
    );
    assert_eq!(requests, 3);
}

#[tokio::test]
async fn duplicate_accounts_are_dropped_and_counted() {
    let server = start_server(10).await;
    server.inject_fault(page(&["a", "b"], json!("1")));
    server.inject_fault(page(&["b", "c", "a"], json!("2")));
    server.inject_fault(last_page(&["d", "c"]));
    let client = client_for(&server);
    let mut pager = AccountPager::new(&client, AccountFilters::default(), pager_limits(100));

    let ids = read_all(&mut pager).await.unwrap();

    server.shutdown().await;
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(pager.duplicates_dropped(), 3);
    assert_eq!(pager.accounts(), 4);
}

#[tokio::test]
async fn api_error_mid_paging_is_reported() {
    let server = start_server(10).await;
    server.inject_fault(page(&["a"], json!("next")));
    server.inject_fault(Fault::service_unavailable());
    let client = client_for(&server);
    let mut pager = AccountPager::new(&client, AccountFilters::default(), pager_limits(100));

    let error = read_all(&mut pager).await.unwrap_err();

    server.shutdown().await;
    assert!(matches!(error, PagingError::Api(_)), "{error:?}");
}

/// Names of the files in a folder.
fn folder_entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn cancel_mid_export_leaves_previous_file() {
    let server = start_server(20_000).await;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    std::fs::write(&target, b"the previous export").unwrap();
    let cancel = CancellationToken::new();

    let summary = export_to_file(
        &client_for(&server),
        &all_plan(100),
        &target,
        true,
        &cancel,
        {
            let cancel = cancel.clone();
            move |progress| {
                if progress.pages >= 3 {
                    cancel.cancel();
                }
            }
        },
    )
    .await
    .unwrap();

    let pages_requested = server.recorded_requests().len();
    server.shutdown().await;
    assert!(summary.cancelled);
    assert!(
        pages_requested < 200,
        "fetching went on after the cancel: {pages_requested}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"the previous export");

    // The writer thread deletes its temporary file after the function returns.
    let mut entries = folder_entries(folder.path());
    for _ in 0..50 {
        if entries == ["accounts.xlsx"] {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        entries = folder_entries(folder.path());
    }
    assert_eq!(entries, ["accounts.xlsx"]);
}

#[tokio::test]
async fn cancel_mid_export_leaves_no_file() {
    let server = start_server(20_000).await;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("new.xlsx");
    let cancel = CancellationToken::new();

    let summary = export_to_file(
        &client_for(&server),
        &all_plan(100),
        &target,
        false,
        &cancel,
        {
            let cancel = cancel.clone();
            move |progress| {
                if progress.pages >= 2 {
                    cancel.cancel();
                }
            }
        },
    )
    .await
    .unwrap();

    server.shutdown().await;
    assert!(summary.cancelled);
    let mut entries = folder_entries(folder.path());
    for _ in 0..50 {
        if entries.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        entries = folder_entries(folder.path());
    }
    assert!(entries.is_empty(), "{entries:?}");
}

#[tokio::test]
async fn progress_reports_pages_and_rate() {
    let server = start_server(1_000).await;
    let sink = CollectedPreview::default();

    preview(
        &client_for(&server),
        &all_plan(100),
        &CancellationToken::new(),
        &sink,
    )
    .await
    .unwrap();

    server.shutdown().await;
    let progress = sink.progress.lock().unwrap().clone();
    let last = progress.last().unwrap();
    assert_eq!(last.accounts, 1_000);
    assert_eq!(last.pages, 10);
    assert!(progress
        .windows(2)
        .all(|pair| pair[0].accounts <= pair[1].accounts));
}

#[tokio::test]
async fn late_custom_field_gets_its_column() {
    let server = start_server(10).await;
    let with_fields =
        |id: &str, fields: Value| json!({"id": id, "display_name": id, "custom_fields": fields});
    let pages = [
        json!({"accounts": [with_fields("a", json!({"tnt__region": "EMEA"}))], "next_cursor": "1"}),
        json!({"accounts": [with_fields("b", json!({}))], "next_cursor": "2"}),
        json!({"accounts": [with_fields("c", json!({"tnt__region": "APAC", "tnt__score": 7}))]}),
    ];
    for body in pages {
        server.inject_fault(Fault::Status {
            status: 200,
            body,
            retry_after_header: None,
        });
    }
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("late.xlsx");

    let summary = export_to_file(
        &client_for(&server),
        &all_plan(1),
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();

    server.shutdown().await;
    assert_eq!(summary.rows, 3);
    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    let sheet = workbook.worksheet_range("Accounts").unwrap();
    let rows: Vec<Vec<Data>> = sheet.rows().map(<[Data]>::to_vec).collect();
    let header = &rows[0];
    let region = header
        .iter()
        .position(|cell| cell == &Data::String("Region".into()))
        .unwrap();
    let score = header
        .iter()
        .position(|cell| cell == &Data::String("Score".into()))
        .unwrap();
    assert_eq!(rows[1][region], Data::String("EMEA".into()));
    assert_eq!(rows[1][score], Data::Empty);
    assert_eq!(rows[2][score], Data::Empty);
    assert_eq!(rows[3][region], Data::String("APAC".into()));
    assert_eq!(rows[3][score], Data::Float(7.0));
    assert_eq!(folder_entries(folder.path()), ["late.xlsx"]);
}
