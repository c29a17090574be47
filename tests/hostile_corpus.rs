//! The hostile corpus: accounts full of text that breaks spreadsheets, exported
//! through the public API and read back by independent readers.
//!
//! A small stub of `accounts.list` on loopback serves the corpus in three
//! pages; some custom fields appear only on the last page. Each test exports
//! it, reads the file back and checks every cell against the source after the
//! documented rules of `devrev_export::text_rules`:
//!
//! - the workbook with calamine (`xlsx_cells_equal_source`);
//! - the CSV file with the `csv` crate (`csv_cells_equal_source`);
//! - the workbook converted by LibreOffice headless, whose values must equal
//!   the original's (`libreoffice_converts_workbook`, run by scripts/test.sh).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{DateTime, FixedOffset, TimeDelta, Timelike, Utc};
use serde_json::{json, Value};

use devrev_export::columns::{
    build_row, CellValue, Column, ColumnChoice, ColumnOptions, ColumnSet,
};
use devrev_export::csv_export::{export_csv_to_file, writer::UTF8_BOM};
use devrev_export::devrev::models::Account;
use devrev_export::devrev::paging::PagingLimits;
use devrev_export::devrev::{AccountsExportRequest, BaseUrl, DevRevClient};
use devrev_export::export::{export_to_file, CancellationToken, FetchPlan};
use devrev_export::text_rules::{clean_cell_text, link_target, needs_wrap, starts_like_formula};
use devrev_export::time_zone::ExportTimeZone;
use devrev_export::token::Token;
use devrev_export::workbook::{EXCEL_MAX_CELL_UTF16, SHEET_NAME, TRUNCATION_MARKER};

/// Whether the xlsx writer applies the text rules: cell text follows
/// `text_rules::clean_cell_text`, cells with a line break wrap, and a website
/// cell holding one address is a link. With `false` the checks expect text
/// kept as received, no wrapping and no links.
fn writer_applies_text_rules() -> bool {
    true
}

/// A URL longer than 255 characters, still short enough to be a link.
fn long_url() -> String {
    format!("https://example.com/{}", "path/".repeat(60))
}

/// A URL longer than a link may be, which must stay plain text.
fn too_long_url() -> String {
    format!("https://example.com/{}", "x".repeat(2_100))
}

/// Text longer than Excel's cell limit, with emoji and right-to-left words,
/// so that a cut could split a surrogate pair.
fn huge_text() -> String {
    let mut text = String::new();
    while text.chars().count() < 40_000 {
        text.push_str("Renewal 😀 notes שלום مرحبا ");
    }
    text.chars().take(40_000).collect()
}

/// The corpus as the API would send it, in three pages.
fn corpus_pages() -> Vec<Vec<Value>> {
    let first = vec![
        json!({
            "id": "don:core:dvrv-us-1:devo/1:account/1",
            "display_id": "ACC-1",
            "display_name": "Nul\u{0}Bell\u{7}Esc\u{1b}Unit\u{1f}Tab\tEnd\u{fffe}",
            "description": "one\r\ntwo\rthree\nfour",
            "tier": "שלום עולם",
            "subtype": "مرحبا بالعالم",
            "websites": [long_url()],
            "created_date": "2024-02-29T23:59:59.999Z",
            "modified_date": "1899-12-31T00:00:00Z",
            "custom_fields": {"tnt__zip": "00123", "tnt__score": 0.1, "tnt__flag": true}
        }),
        json!({
            "id": "don:core:dvrv-us-1:devo/1:account/2",
            "display_id": "12345678901234567890",
            "display_name": "=HYPERLINK(\"https://evil.example\",\"click\")",
            "description": huge_text(),
            "tier": "+49 30 1234",
            "subtype": "-5",
            "external_refs": ["00123", "9007199254740993", "=1+1"],
            "websites": ["https://a.example", "https://b.example"],
            "tags": [{"tag": {"id": "don:core:tag/1", "name": "vip 👑"}, "value": "@SUM(A1)"}],
            "custom_fields": {
                "tnt__big": 12345678901234567890u64,
                "tnt__i64_max": i64::MAX,
                "tnt__formula": "=cmd|'/c calc'!A1",
                "tnt__zip": "00042"
            }
        }),
    ];
    let second = vec![
        json!({"id": "don:core:dvrv-us-1:devo/1:account/3"}),
        json!({
            "id": "don:core:dvrv-us-1:devo/1:account/4",
            "display_name": null,
            "owned_by": null,
            "custom_fields": null,
            "websites": ["www.example.org"],
            "description": "@mention\ttabbed, \"quoted\"",
            "created_date": "9999-12-31T23:59:59Z"
        }),
    ];
    let third = vec![json!({
        "id": "don:core:dvrv-us-1:devo/1:account/5",
        "display_name": "Café Zürich 👩‍👩‍👧 ﷽",
        "websites": [too_long_url()],
        "created_date": "2024-07-01T08:00:00Z",
        "custom_fields": {"tnt__late_text": "only on the last page", "tnt__late_number": -2.5}
    })];
    vec![first, second, third]
}

fn accounts_of(page: &[Value]) -> Vec<Account> {
    page.iter()
        .map(|value| serde_json::from_value(value.clone()).unwrap())
        .collect()
}

/// The columns and rows the export should write: the columns grow page by
/// page, as they do while an export streams.
fn expected_table(
    pages: &[Vec<Value>],
    options: &ColumnOptions,
) -> (Vec<Column>, Vec<Vec<CellValue>>) {
    let mut set = ColumnSet::with_options(options);
    for page in pages {
        set.observe(&accounts_of(page));
    }
    let columns = set.columns().to_vec();
    let rows = pages
        .iter()
        .flat_map(|page| accounts_of(page))
        .map(|account| build_row(&account, &columns))
        .collect();
    (columns, rows)
}

type Pages = Arc<Vec<Vec<Value>>>;

/// Serves `pages` through `accounts.list`, one page per cursor, on loopback.
async fn start_stub(pages: Vec<Vec<Value>>) -> (DevRevClient, tokio::task::JoinHandle<()>) {
    async fn list(State(pages): State<Pages>, Json(body): Json<Value>) -> Json<Value> {
        let index = body["cursor"]
            .as_str()
            .and_then(|cursor| cursor.strip_prefix("page-"))
            .and_then(|number| number.parse::<usize>().ok())
            .unwrap_or(0);
        let next = (index + 1 < pages.len()).then(|| format!("page-{}", index + 1));
        Json(json!({"accounts": pages[index], "next_cursor": next}))
    }

    let router = Router::new()
        .route("/accounts.list", post(list))
        .with_state(Arc::new(pages));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    let client = DevRevClient::new(
        BaseUrl::parse(&format!("http://{address}")).unwrap(),
        Token::parse("stub-token").unwrap(),
    );
    (client, server)
}

fn all_plan() -> FetchPlan {
    FetchPlan {
        request: AccountsExportRequest::default(),
        all: true,
        limits: PagingLimits::default(),
        columns: Default::default(),
    }
}

/// Exports the corpus to a workbook in `folder` and returns its path.
async fn export_corpus_xlsx(folder: &Path) -> PathBuf {
    let (client, server) = start_stub(corpus_pages()).await;
    let target = folder.join("hostile.xlsx");

    let summary = export_to_file(
        &client,
        &all_plan(),
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();

    server.abort();
    assert_eq!(summary.rows, 5);
    assert_eq!(summary.pages, 3);
    target
}

/// Returns the text a workbook cell should hold for `text`.
fn expected_xlsx_text(text: &str) -> String {
    if writer_applies_text_rules() {
        clean_cell_text(text).into_owned()
    } else {
        text.to_owned()
    }
}

/// Checks one workbook cell against the source cell. Returns whether it was cut.
fn assert_xlsx_cell(expected: &CellValue, actual: &Data, place: &str) -> bool {
    match expected {
        CellValue::Empty => assert_eq!(actual, &Data::Empty, "{place}"),
        CellValue::Text(text) => {
            let text = expected_xlsx_text(text);
            let Data::String(actual) = actual else {
                panic!("{place}: expected a string cell, got {actual:?}");
            };
            if text.encode_utf16().count() <= EXCEL_MAX_CELL_UTF16 {
                assert_eq!(actual, &text, "{place}");
                return false;
            }
            let kept = actual
                .strip_suffix(TRUNCATION_MARKER)
                .unwrap_or_else(|| panic!("{place}: a cut cell ends with the marker"));
            assert!(
                text.starts_with(kept),
                "{place}: the kept text is the source's start"
            );
            assert!(
                actual.encode_utf16().count() <= EXCEL_MAX_CELL_UTF16,
                "{place}"
            );
            return true;
        }
        CellValue::Number(number) => assert_eq!(actual, &Data::Float(*number), "{place}"),
        CellValue::Bool(flag) => assert_eq!(actual, &Data::Bool(*flag), "{place}"),
        CellValue::DateTime(instant)
            if (1900..=9999).contains(&chrono::Datelike::year(instant)) =>
        {
            let Data::DateTime(excel) = actual else {
                panic!("{place}: expected a date-time cell, got {actual:?}");
            };
            // Excel keeps milliseconds. The current writer writes UTC.
            let millis = TimeDelta::milliseconds(i64::from(instant.timestamp_subsec_millis()));
            let expected = instant.naive_utc().with_nanosecond(0).unwrap() + millis;
            assert_eq!(excel.as_datetime(), Some(expected), "{place}");
        }
        CellValue::DateTime(instant) => {
            // Excel cannot show years before 1900 as dates, so they stay text.
            let text = instant.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
            assert_eq!(actual, &Data::String(text), "{place}");
        }
    }
    false
}

#[tokio::test]
async fn xlsx_cells_equal_source() {
    let folder = tempfile::tempdir().unwrap();
    let path = export_corpus_xlsx(folder.path()).await;
    let (columns, rows) = expected_table(&corpus_pages(), &ColumnOptions::default());

    let mut workbook: Xlsx<_> = open_workbook(&path).unwrap();
    let range = workbook.worksheet_range(SHEET_NAME).unwrap();

    assert_eq!(range.height(), rows.len() + 1);
    for (index, column) in columns.iter().enumerate() {
        let header = range.get((0, index)).cloned().unwrap_or(Data::Empty);
        assert_eq!(
            header,
            Data::String(column.header.clone()),
            "header {index}"
        );
    }
    assert!(
        columns
            .iter()
            .any(|column| column.key == "custom_fields.tnt__late_text"),
        "a custom field from the last page has a column"
    );
    let mut cut = 0;
    for (row_index, row) in rows.iter().enumerate() {
        for (column_index, expected) in row.iter().enumerate() {
            let actual = range
                .get((row_index + 1, column_index))
                .cloned()
                .unwrap_or(Data::Empty);
            let place = format!("row {row_index}, {}", columns[column_index].key);
            cut += usize::from(assert_xlsx_cell(expected, &actual, &place));
        }
    }
    assert_eq!(cut, 1, "only the 40,000-character description is cut");

    let formulas = workbook.worksheet_formula(SHEET_NAME).unwrap();
    assert_eq!(formulas.used_cells().count(), 0, "no cell became a formula");
    assert_text_rule_layout(&mut workbook, &columns, &rows);
}

/// Checks wrapping and links, which only the new writer sets.
fn assert_text_rule_layout(
    workbook: &mut Xlsx<std::io::BufReader<std::fs::File>>,
    columns: &[Column],
    rows: &[Vec<CellValue>],
) {
    let links = workbook.hyperlinks_by_sheet_name(SHEET_NAME).unwrap();
    let styles = workbook.worksheet_style(SHEET_NAME).unwrap();
    let websites = columns
        .iter()
        .position(|column| column.key == "websites")
        .unwrap();

    let mut expected_links = Vec::new();
    for (row_index, row) in rows.iter().enumerate() {
        for (column_index, cell) in row.iter().enumerate() {
            let CellValue::Text(text) = cell else {
                continue;
            };
            let cleaned = clean_cell_text(text);
            let wraps = styles
                .get(((row_index + 1) as u32, column_index as u32))
                .and_then(|style| style.alignment.as_ref())
                .is_some_and(|alignment| alignment.wrap_text);
            let expect_wrap = writer_applies_text_rules() && needs_wrap(&cleaned);
            assert_eq!(
                wraps, expect_wrap,
                "wrapping of row {row_index}, column {column_index}"
            );
        }
        if let CellValue::Text(site) = &row[websites] {
            let target = link_target(site).filter(|target| target.encode_utf16().count() <= 2_080);
            if let Some(target) = target {
                expected_links.push(((row_index + 1) as u32, target));
            }
        }
    }

    let found: Vec<(u32, String)> = links
        .iter()
        .map(|link| (link.range.start.0, link.target.clone().unwrap_or_default()))
        .collect();
    if writer_applies_text_rules() {
        assert_eq!(
            found, expected_links,
            "links on single-address website cells"
        );
        assert_eq!(
            expected_links.len(),
            2,
            "the long and the bare address are links"
        );
    } else {
        assert!(
            found.is_empty(),
            "the current writer writes no links: {found:?}"
        );
    }
}

#[tokio::test]
async fn csv_cells_equal_source() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("hostile.csv");
    let zone = ExportTimeZone::local_with_offset(FixedOffset::east_opt(3600).unwrap());
    let options = ColumnOptions {
        choice: ColumnChoice::default(),
        time_zone: zone,
        ..ColumnOptions::default()
    };
    let (client, server) = start_stub(corpus_pages()).await;

    let summary = export_csv_to_file(
        &client,
        &all_plan(),
        &options,
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    server.abort();

    let (columns, rows) = expected_table(&corpus_pages(), &options);
    assert_eq!(summary.rows, rows.len());
    assert_eq!(summary.columns, columns.len());
    let bytes = std::fs::read(&target).unwrap();
    let body = bytes
        .strip_prefix(UTF8_BOM.as_bytes())
        .expect("the file starts with a UTF-8 byte-order mark");
    // The reader rejects records of different lengths, so this also checks
    // that rows written before the late columns were padded.
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(body);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();

    assert_eq!(records.len(), rows.len() + 1);
    let headers: Vec<&str> = records[0].iter().collect();
    let expected_headers: Vec<&str> = columns
        .iter()
        .map(|column| column.header.as_str())
        .collect();
    assert_eq!(headers, expected_headers);
    assert!(headers.contains(&"Created (UTC+01:00)"), "{headers:?}");
    for (row_index, row) in rows.iter().enumerate() {
        let record = &records[row_index + 1];
        assert_eq!(record.len(), columns.len(), "row {row_index}");
        for (column_index, cell) in row.iter().enumerate() {
            let place = format!("row {row_index}, {}", columns[column_index].key);
            assert_eq!(
                &record[column_index],
                expected_csv_field(cell, &zone),
                "{place}"
            );
        }
    }
}

/// Returns the text a CSV field should hold for a source cell, by the
/// documented rules: cleaned text with an apostrophe before formula-like
/// text, numbers in full, TRUE or FALSE, and dates in the export's zone.
fn expected_csv_field(cell: &CellValue, zone: &ExportTimeZone) -> String {
    match cell {
        CellValue::Empty => String::new(),
        CellValue::Text(text) => {
            let cleaned = clean_cell_text(text);
            if starts_like_formula(&cleaned) {
                format!("'{cleaned}")
            } else {
                cleaned.into_owned()
            }
        }
        CellValue::Number(number) => number.to_string(),
        CellValue::Bool(flag) => if *flag { "TRUE" } else { "FALSE" }.to_owned(),
        CellValue::DateTime(instant) => wall_clock_text(instant, zone),
    }
}

/// Formats an instant as `yyyy-mm-dd hh:mm:ss[.mmm]` in `zone`, written out
/// here rather than taken from the library, so the check is independent.
fn wall_clock_text(instant: &DateTime<Utc>, zone: &ExportTimeZone) -> String {
    let local = instant.with_timezone(&zone.offset());
    let millis = local.timestamp_subsec_millis();
    let seconds = local.format("%Y-%m-%d %H:%M:%S").to_string();
    if millis == 0 {
        seconds
    } else {
        format!("{seconds}.{millis:03}")
    }
}

#[tokio::test]
async fn csv_formula_text_starts_with_apostrophe() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("formulas.csv");
    let (client, server) = start_stub(corpus_pages()).await;
    let options = ColumnOptions {
        choice: ColumnChoice::parse_list("display_name,tier,subtype,custom_fields.tnt__formula")
            .unwrap(),
        ..ColumnOptions::default()
    };

    export_csv_to_file(
        &client,
        &all_plan(),
        &options,
        &target,
        false,
        &CancellationToken::new(),
        |_| {},
    )
    .await
    .unwrap();
    server.abort();

    let text = std::fs::read_to_string(&target).unwrap();
    let mut reader = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let second: csv::StringRecord = reader.records().nth(1).unwrap().unwrap();
    assert_eq!(
        second.iter().collect::<Vec<_>>(),
        [
            "'=HYPERLINK(\"https://evil.example\",\"click\")",
            "'+49 30 1234",
            "'-5",
            "'=cmd|'/c calc'!A1"
        ]
    );
}

/// Returns the LibreOffice program, or `None` when it is not installed.
fn soffice() -> Option<PathBuf> {
    ["soffice", "libreoffice"].into_iter().find_map(|name| {
        let found = Command::new("which").arg(name).output().ok()?;
        found
            .status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&found.stdout).trim()))
    })
}

/// Converts `input` to xlsx with LibreOffice headless, with a throw-away
/// profile, and returns the converted file.
fn convert_with_libreoffice(soffice: &Path, input: &Path, out_dir: &Path) -> PathBuf {
    let profile = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = Command::new(soffice)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            profile.path().display()
        ))
        .args([
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx",
            "--outdir",
        ])
        .arg(out_dir)
        .arg(input)
        .output()
        .expect("LibreOffice runs");
    let converted = out_dir.join(input.file_name().unwrap());
    assert!(
        output.status.success() && converted.exists(),
        "LibreOffice failed after {:?}: {}\n{}",
        started.elapsed(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        started.elapsed() < Duration::from_secs(300),
        "the conversion took {:?}",
        started.elapsed()
    );
    converted
}

#[tokio::test]
#[ignore = "needs LibreOffice, which scripts/test.sh installs"]
async fn libreoffice_converts_workbook() {
    let Some(soffice) = soffice() else {
        assert!(
            std::env::var_os("DEVREV_TEST_SESSION").is_none(),
            "scripts/test.sh installs LibreOffice; `apt-get install libreoffice-calc-nogui`"
        );
        eprintln!("skipped: LibreOffice is not installed");
        return;
    };
    let folder = tempfile::tempdir().unwrap();
    let original = export_corpus_xlsx(folder.path()).await;
    let out_dir = folder.path().join("converted");
    std::fs::create_dir(&out_dir).unwrap();

    let converted = tokio::task::spawn_blocking({
        let original = original.clone();
        move || convert_with_libreoffice(&soffice, &original, &out_dir)
    })
    .await
    .unwrap();

    let mut before: Xlsx<_> = open_workbook(&original).unwrap();
    let mut after: Xlsx<_> = open_workbook(&converted).unwrap();
    let before = before.worksheet_range(SHEET_NAME).unwrap();
    let after = after.worksheet_range(SHEET_NAME).unwrap();
    assert_eq!(after.get_size(), before.get_size());
    for (row, column, cell) in before.used_cells() {
        let converted = after.get((row, column)).cloned().unwrap_or(Data::Empty);
        assert_eq!(
            comparable(&converted),
            comparable(cell),
            "row {row}, column {column}"
        );
    }
}

/// Reduces a cell to what both Excel and LibreOffice keep: the date-time
/// serial number rounded to milliseconds, text after the documented text
/// rule (LibreOffice reads CR and CRLF as LF), and every other value as is.
fn comparable(cell: &Data) -> Data {
    match cell {
        Data::DateTime(excel) => Data::Float((excel.as_f64() * 86_400_000.0).round()),
        Data::String(text) => Data::String(clean_cell_text(text).into_owned()),
        other => other.clone(),
    }
}
