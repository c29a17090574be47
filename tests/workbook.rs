//! Round trip of the Excel writer: accounts built in code go through
//! `build_table` and `write_workbook`, and calamine reads the file back so that
//! every cell can be compared with the table the writer was given.
//!
//! Also checks that rows continue on new sheets at the row limit and that cut
//! cells are listed. A workbook whose column arrives after some rows must
//! match one written with all columns from the start. Writing is atomic: no temporary
//! file is left behind, and an existing file survives a refused, failed or
//! cancelled write.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{json, Value};

use devrev_export::columns::{build_table, AccountTable, CellValue, Column, ColumnKind};
use devrev_export::devrev::models::{
    Account, AccountSummary, ArtifactFile, ArtifactSummary, TagSummary, TagWithValue, UserSummary,
};
use devrev_export::workbook::{
    write_workbook, SheetLimits, TruncatedCell, WorkbookError, WorkbookWriter,
    DATETIME_NUMBER_FORMAT, EXCEL_MAX_CELL_UTF16, SHEET_NAME, TRUNCATION_MARKER,
};

/// Texts that a spreadsheet could take for a formula or a number.
const LOOKALIKES: [&str; 6] = [
    "=1+1",
    "+49 30 1234",
    "-5",
    "@SUM(A1)",
    "00123",
    "12345678901234567890",
];

fn user(id: &str, name: Option<&str>, email: Option<&str>) -> UserSummary {
    UserSummary {
        id: id.into(),
        full_name: name.map(Into::into),
        email: email.map(Into::into),
        user_type: Some("dev_user".into()),
        ..Default::default()
    }
}

fn tag(name: &str, value: Option<&str>) -> TagWithValue {
    TagWithValue {
        tag: TagSummary {
            id: format!("don:core:tag/{name}"),
            name: name.into(),
            ..Default::default()
        },
        value: value.map(Into::into),
    }
}

fn timestamp(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn custom_fields(value: Value) -> serde_json::Map<String, Value> {
    value.as_object().cloned().unwrap()
}

/// Builds a description longer than Excel's cell limit, with emoji so that
/// the cut could land inside a surrogate pair.
fn long_description() -> String {
    let mut description = String::new();
    while description.chars().count() < 40_000 {
        description.push_str("Renewal notes 😀 ");
    }
    description.chars().take(40_000).collect()
}

fn sample_accounts() -> Vec<Account> {
    let full = Account {
        id: "don:core:dvrv-us-1:devo/1:account/1".into(),
        display_id: Some("ACC-1".into()),
        display_name: Some("Café Zürich 😀".into()),
        description: Some("Line one\nLine two\ttab\rreturn \u{1} \u{1f} \u{0} end".into()),
        created_by: Some(user("U-1", Some("Ada Lovelace"), Some("ada@example.com"))),
        created_date: Some(timestamp("2024-03-15T10:20:30.123456789Z")),
        modified_by: Some(user("U-2", None, Some("grace@example.com"))),
        modified_date: Some(timestamp("2023-12-31T23:59:59.999Z")),
        owned_by: vec![
            user("U-1", Some("Ada Lovelace"), Some("ada@example.com")),
            user("U-3", Some("Alan Turing"), None),
            user("U-4", None, None),
        ],
        domains: vec!["example.com".into(), "example.org".into()],
        websites: vec!["https://example.com".into()],
        external_refs: vec!["crm-42".into(), "=HYPERLINK(\"x\")".into()],
        tags: vec![
            tag("priority", Some("high")),
            tag("vip", None),
            tag("region", Some("EMEA")),
        ],
        tier: Some("Tier 1".into()),
        subtype: Some("enterprise".into()),
        custom_fields: custom_fields(json!({
            "tnt__formula": "=1+1",
            "tnt__phone": "+49 30 1234",
            "tnt__minus": "-5",
            "tnt__at_sum": "@SUM(A1)",
            "tnt__zip": "00123",
            "tnt__big_number": 12345678901234567890u64,
            "tnt__score": 42.5,
            "tnt__active": true,
            "tnt__mixed": 7,
            "tnt__labels": ["gold", "partner"],
            "tnt__address": {"city": "Berlin", "zip": "10115"},
        })),
        custom_schema_fragments: vec!["don:core:custom_type_fragment/1".into()],
        stock_schema_fragment: Some("don:core:stock_schema_fragment/1".into()),
        primary_account: Some(AccountSummary {
            id: "don:core:account/0".into(),
            display_id: Some("ACC-0".into()),
            display_name: Some("Parent Holding".into()),
        }),
        artifacts: vec![
            ArtifactSummary {
                id: "don:core:artifact/1".into(),
                display_id: Some("ARTIFACT-1".into()),
                file: Some(ArtifactFile {
                    name: Some("contract.pdf".into()),
                    media_type: Some("application/pdf".into()),
                    size: Some(1024),
                }),
            },
            ArtifactSummary {
                id: "don:core:artifact/2".into(),
                ..Default::default()
            },
        ],
    };

    let lookalikes = Account {
        id: "don:core:dvrv-us-1:devo/1:account/2".into(),
        display_id: Some("ACC-2".into()),
        display_name: Some("=1+1".into()),
        description: Some(long_description()),
        tier: Some("+49 30 1234".into()),
        subtype: Some("-5".into()),
        websites: vec!["@SUM(A1)".into(), "00123".into()],
        domains: vec!["12345678901234567890".into()],
        created_date: Some(timestamp("1999-01-01T00:00:00.5Z")),
        custom_fields: custom_fields(json!({
            "tnt__mixed": "seven",
            "tnt__only_here": "مرحبا بالعالم",
            "tnt__hebrew": "שלום עולם",
            "tnt__escape_lookalike": "_x0041_ stays",
            "tnt__markup": "<r>note</r>",
            "tnt__active": null,
        })),
        ..Default::default()
    };

    let bare = Account {
        id: "don:core:dvrv-us-1:devo/1:account/3".into(),
        ..Default::default()
    };

    let mixed = Account {
        id: "don:core:dvrv-us-1:devo/1:account/4".into(),
        display_id: Some("ACC-4".into()),
        display_name: Some("-5".into()),
        description: Some("@SUM(A1)".into()),
        modified_date: Some(timestamp("2025-06-30T12:00:00.001Z")),
        tags: vec![tag("vip", Some(""))],
        custom_fields: custom_fields(json!({
            "tnt__mixed": false,
            "tnt__zip": "00123",
            "tnt__score": -0.25,
        })),
        ..Default::default()
    };

    vec![full, lookalikes, bare, mixed]
}

fn read_sheet(path: &Path) -> calamine::Range<Data> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    assert_eq!(workbook.sheet_names(), [SHEET_NAME]);
    workbook.worksheet_range(SHEET_NAME).unwrap()
}

fn folder_entries(folder: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = fs::read_dir(folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    entries.sort();
    entries
}

/// Checks that a cell read back from the workbook matches the cell written.
/// Returns whether the cell was truncated.
fn assert_cell_matches(expected: &CellValue, actual: &Data, place: &str) -> bool {
    match expected {
        CellValue::Empty => assert_eq!(actual, &Data::Empty, "{place}"),
        CellValue::Text(text) if text.encode_utf16().count() > EXCEL_MAX_CELL_UTF16 => {
            let Data::String(actual) = actual else {
                panic!("{place}: expected a string cell, got {actual:?}");
            };
            let kept_prefix = actual
                .strip_suffix(TRUNCATION_MARKER)
                .unwrap_or_else(|| panic!("{place}: no truncation marker"));
            assert!(
                actual.encode_utf16().count() <= EXCEL_MAX_CELL_UTF16,
                "{place}"
            );
            assert!(
                text.starts_with(kept_prefix),
                "{place}: kept text is not a prefix"
            );
            let kept_len = kept_prefix.encode_utf16().count();
            let marker_len = TRUNCATION_MARKER.encode_utf16().count();
            // The cut may stop one unit short to keep a surrogate pair whole.
            assert!(
                kept_len + marker_len + 1 >= EXCEL_MAX_CELL_UTF16,
                "{place}: cut too short"
            );
            return true;
        }
        CellValue::Text(text) => {
            // The text rules: line breaks become line feeds, and characters
            // XML cannot carry become U+FFFD.
            let expected = devrev_export::text_rules::clean_cell_text(text).into_owned();
            assert_eq!(actual, &Data::String(expected), "{place}");
        }
        CellValue::Number(number) => assert_eq!(actual, &Data::Float(*number), "{place}"),
        CellValue::Bool(flag) => assert_eq!(actual, &Data::Bool(*flag), "{place}"),
        CellValue::DateTime(datetime) => {
            let Data::DateTime(excel) = actual else {
                panic!("{place}: expected a date-time cell, got {actual:?}");
            };
            assert!(excel.is_datetime(), "{place}: not a date-time");
            // Excel keeps milliseconds, and rust_xlsxwriter drops the rest.
            let millis = datetime.duration_trunc(TimeDelta::milliseconds(1)).unwrap();
            assert_eq!(excel.as_datetime(), Some(millis.naive_utc()), "{place}");
        }
    }
    false
}

#[test]
fn round_trip_matches_table() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    let table = build_table(&sample_accounts());

    let summary = write_workbook(&table, &target, false).unwrap();

    assert_eq!(summary.rows, table.rows.len());
    assert_eq!(summary.columns, table.columns.len());
    assert_eq!(summary.truncated_cells, 1);

    let range = read_sheet(&target);
    assert_eq!(range.start(), Some((0, 0)));
    for (index, column) in table.columns.iter().enumerate() {
        let header = range.get((0, index)).cloned().unwrap_or(Data::Empty);
        assert_eq!(
            header,
            Data::String(column.header.clone()),
            "header {index}"
        );
    }

    let mut truncated = 0;
    for (row_index, row) in table.rows.iter().enumerate() {
        for (column_index, expected) in row.iter().enumerate() {
            let actual = range
                .get((row_index + 1, column_index))
                .cloned()
                .unwrap_or(Data::Empty);
            let place = format!(
                "row {row_index}, column {}",
                table.columns[column_index].key
            );
            truncated += usize::from(assert_cell_matches(expected, &actual, &place));
        }
    }
    assert_eq!(truncated, 1);
    assert_eq!(range.height(), table.rows.len() + 1);
}

#[test]
fn lookalike_text_stays_string() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("lookalikes.xlsx");
    let table = build_table(&sample_accounts());

    write_workbook(&table, &target, false).unwrap();

    let range = read_sheet(&target);
    let strings: Vec<&str> = range
        .used_cells()
        .filter_map(|(_, _, cell)| match cell {
            Data::String(text) => Some(text.as_str()),
            _ => None,
        })
        .collect();
    for lookalike in LOOKALIKES {
        assert!(
            strings.contains(&lookalike),
            "{lookalike} is not a string cell"
        );
    }

    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    let formulas = workbook.worksheet_formula(SHEET_NAME).unwrap();
    assert_eq!(formulas.used_cells().count(), 0, "the sheet has formulas");
}

#[test]
fn header_bold_and_dates_formatted() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("styles.xlsx");
    let table = build_table(&sample_accounts());

    write_workbook(&table, &target, false).unwrap();

    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    let styles = workbook.worksheet_style(SHEET_NAME).unwrap();
    for index in 0..table.columns.len() {
        let style = styles.get((0, index as u32)).expect("header style");
        let font = style.font.as_ref().expect("header font");
        assert!(font.is_bold(), "header {index} is not bold");
    }
    let created = table
        .columns
        .iter()
        .position(|column| column.key == "created_date")
        .unwrap();
    let style = styles.get((1, created as u32)).expect("date style");
    let format = style.number_format.as_ref().expect("date number format");
    assert_eq!(format.format_code, DATETIME_NUMBER_FORMAT);
}

#[test]
fn table_covers_data() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("table.xlsx");
    let table = build_table(&sample_accounts());

    write_workbook(&table, &target, false).unwrap();

    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    workbook.load_tables().unwrap();
    assert_eq!(workbook.table_names(), ["Accounts"]);
    let excel_table = workbook.table_by_name("Accounts").unwrap();
    assert_eq!(excel_table.sheet_name(), SHEET_NAME);
    let headers: Vec<&str> = table
        .columns
        .iter()
        .map(|column| column.header.as_str())
        .collect();
    assert_eq!(excel_table.columns(), headers);
    assert_eq!(excel_table.data().height(), table.rows.len());
}

#[test]
fn success_leaves_no_temp_file() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");

    write_workbook(&build_table(&sample_accounts()), &target, false).unwrap();

    assert_eq!(folder_entries(folder.path()), [target]);
}

#[test]
fn existing_target_kept_without_overwrite() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    fs::write(&target, b"an earlier export").unwrap();

    let error = write_workbook(&build_table(&sample_accounts()), &target, false).unwrap_err();

    assert!(
        matches!(&error, WorkbookError::TargetExists { path } if path == &target),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(message.contains(&target.display().to_string()), "{message}");
    assert!(message.contains("left unchanged"), "{message}");
    assert_eq!(fs::read(&target).unwrap(), b"an earlier export");
    assert_eq!(folder_entries(folder.path()), [target]);
}

#[test]
fn overwrite_replaces_target() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    fs::write(&target, b"an earlier export").unwrap();
    let table = build_table(&sample_accounts());

    let summary = write_workbook(&table, &target, true).unwrap();

    assert_eq!(summary.rows, table.rows.len());
    assert_eq!(read_sheet(&target).height(), table.rows.len() + 1);
    assert_eq!(folder_entries(folder.path()), [target]);
}

#[test]
fn failed_write_keeps_target() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    fs::write(&target, b"an earlier export").unwrap();
    let mut table: AccountTable = build_table(&sample_accounts());
    // A short row makes the writer fail after it has created its temporary file.
    table.rows[2].pop();

    let error = write_workbook(&table, &target, true).unwrap_err();

    assert!(
        matches!(error, WorkbookError::RowWidthMismatch { row: 2, .. }),
        "{error:?}"
    );
    assert_eq!(fs::read(&target).unwrap(), b"an earlier export");
    assert_eq!(folder_entries(folder.path()), [target]);
}

#[test]
fn missing_folder_is_named() {
    let folder = tempfile::tempdir().unwrap();
    let missing = folder.path().join("missing");
    let target = missing.join("accounts.xlsx");

    let error = write_workbook(&build_table(&sample_accounts()), &target, false).unwrap_err();

    assert!(
        matches!(&error, WorkbookError::FolderNotFound { folder } if folder == &missing),
        "{error:?}"
    );
    assert!(error.to_string().contains(&missing.display().to_string()));
    assert!(folder_entries(folder.path()).is_empty());
}

#[test]
fn folder_target_is_rejected() {
    let folder = tempfile::tempdir().unwrap();

    let error = write_workbook(&build_table(&[]), folder.path(), true).unwrap_err();

    assert!(
        matches!(&error, WorkbookError::TargetIsFolder { path } if path == folder.path()),
        "{error:?}"
    );
    assert!(folder_entries(folder.path()).is_empty());
}

#[cfg(unix)]
#[test]
fn read_only_folder_is_named() {
    use std::os::unix::fs::PermissionsExt;

    let folder = tempfile::tempdir().unwrap();
    let locked = folder.path().join("locked");
    fs::create_dir(&locked).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o555)).unwrap();
    // Root ignores folder permissions, so the case cannot be set up there.
    if fs::write(locked.join("probe"), b"").is_ok() {
        eprintln!("skipped: the folder stays writable for this user (running as root?)");
        return;
    }
    let target = locked.join("accounts.xlsx");

    let result = write_workbook(&build_table(&sample_accounts()), &target, false);

    fs::set_permissions(&locked, fs::Permissions::from_mode(0o755)).unwrap();
    let error = result.unwrap_err();
    assert!(
        matches!(&error, WorkbookError::FolderNotWritable { folder, .. } if folder == &locked),
        "{error:?}"
    );
    assert!(error.to_string().contains(&locked.display().to_string()));
    assert!(folder_entries(&locked).is_empty());
}

#[test]
fn empty_table_has_header_only() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("empty.xlsx");
    let table = build_table(&[]);

    let summary = write_workbook(&table, &target, false).unwrap();

    assert_eq!(summary.rows, 0);
    let range = read_sheet(&target);
    assert_eq!(range.height(), 1);
    assert_eq!(range.width(), table.columns.len());
}

fn column(key: &str, header: &str, kind: ColumnKind) -> Column {
    Column {
        key: key.into(),
        header: header.into(),
        kind,
    }
}

/// Three columns of different kinds, matching [`numbered_row`].
fn numbered_columns() -> Vec<Column> {
    vec![
        column("name", "Name", ColumnKind::Text),
        column("count", "Count", ColumnKind::Number),
        column("created", "Created (UTC)", ColumnKind::DateTime),
    ]
}

fn numbered_row(index: usize) -> Vec<CellValue> {
    let created = timestamp("2024-01-01T00:00:00Z") + TimeDelta::hours(index as i64);
    vec![
        CellValue::Text(format!("Account {index}")),
        CellValue::Number(index as f64),
        CellValue::DateTime(created),
    ]
}

fn limits(max_data_rows: usize, max_cell_utf16: usize) -> SheetLimits {
    SheetLimits {
        max_data_rows,
        max_cell_utf16,
    }
}

/// Reads every sheet of the workbook at `path`, in order, as rows of cells.
fn read_all_sheets(path: &Path) -> Vec<(String, Vec<Vec<Data>>)> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    workbook
        .sheet_names()
        .into_iter()
        .map(|name| {
            let range = workbook.worksheet_range(&name).unwrap();
            let rows = range.rows().map(|row| row.to_vec()).collect();
            (name, rows)
        })
        .collect()
}

#[test]
fn rows_continue_on_new_sheets() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("split.xlsx");
    let columns = numbered_columns();
    let rows: Vec<Vec<CellValue>> = (0..25).map(numbered_row).collect();
    let mut writer =
        WorkbookWriter::with_limits(&target, &columns, false, limits(10, EXCEL_MAX_CELL_UTF16))
            .unwrap();

    // Pages that do not line up with the sheet limit.
    for page in rows.chunks(7) {
        writer.write_rows(page).unwrap();
    }
    let summary = writer.finish().unwrap();

    let names = ["Accounts", "Accounts (2)", "Accounts (3)"];
    assert_eq!(summary.rows, 25);
    assert_eq!(summary.sheets, names);
    let sheets = read_all_sheets(&target);
    let read_names: Vec<&str> = sheets.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(read_names, names);

    let headers: Vec<Data> = columns
        .iter()
        .map(|column| Data::String(column.header.clone()))
        .collect();
    let mut read_back = Vec::new();
    for (name, cells) in &sheets {
        assert_eq!(cells[0], headers, "header of {name}");
        read_back.extend(cells[1..].iter().cloned());
    }
    assert_eq!(
        sheets
            .iter()
            .map(|(_, cells)| cells.len())
            .collect::<Vec<_>>(),
        [11, 11, 6]
    );
    assert_eq!(read_back.len(), rows.len());
    for (index, (expected, actual)) in rows.iter().zip(&read_back).enumerate() {
        for (column, cell) in expected.iter().enumerate() {
            assert_cell_matches(
                cell,
                &actual[column],
                &format!("row {index}, column {column}"),
            );
        }
    }
}

#[test]
fn new_sheets_keep_layout() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("layout.xlsx");
    let rows: Vec<Vec<CellValue>> = (0..25).map(numbered_row).collect();
    let mut writer = WorkbookWriter::with_limits(
        &target,
        &numbered_columns(),
        false,
        limits(10, EXCEL_MAX_CELL_UTF16),
    )
    .unwrap();

    writer.write_rows(&rows).unwrap();
    writer.finish().unwrap();

    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    workbook.load_tables().unwrap();
    for (table_name, sheet, data_rows) in [
        ("Accounts", "Accounts", 10),
        ("Accounts2", "Accounts (2)", 10),
        ("Accounts3", "Accounts (3)", 5),
    ] {
        let table = workbook.table_by_name(table_name).unwrap();
        assert_eq!(table.sheet_name(), sheet);
        assert_eq!(table.data().height(), data_rows, "{table_name}");
    }
    for name in ["Accounts", "Accounts (2)", "Accounts (3)"] {
        let styles = workbook.worksheet_style(name).unwrap();
        for column in 0..3 {
            let style = styles.get((0, column)).expect("header style");
            let bold = style.font.as_ref().is_some_and(|font| font.is_bold());
            assert!(bold, "{name}: header {column} is not bold");
        }
        let style = styles.get((1, 2)).expect("date style");
        let format = style.number_format.as_ref().expect("date number format");
        assert_eq!(format.format_code, DATETIME_NUMBER_FORMAT, "{name}");
    }
}

#[test]
fn long_cells_listed_with_address() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("cut.xlsx");
    let columns = vec![
        column("name", "Name", ColumnKind::Text),
        column("notes", "Notes", ColumnKind::Text),
    ];
    let long = CellValue::Text("n".repeat(30));
    let rows = vec![
        vec![CellValue::Text("a".into()), CellValue::Empty],
        vec![CellValue::Text("b".into()), long.clone()],
        vec![CellValue::Text("c".into()), CellValue::Text("short".into())],
        vec![long.clone(), long],
    ];
    let mut writer = WorkbookWriter::with_limits(&target, &columns, false, limits(2, 20)).unwrap();

    writer.write_rows(&rows).unwrap();
    let summary = writer.finish().unwrap();

    let listed = |sheet: &str, cell: &str, header: &str| TruncatedCell {
        sheet: sheet.into(),
        cell: cell.into(),
        header: header.into(),
    };
    assert_eq!(summary.truncated_cells, 3);
    assert_eq!(
        summary.truncated,
        [
            listed("Accounts", "B3", "Notes"),
            listed("Accounts (2)", "A3", "Name"),
            listed("Accounts (2)", "B3", "Notes"),
        ]
    );
    let cut = format!("{}{TRUNCATION_MARKER}", "n".repeat(7));
    let sheets = read_all_sheets(&target);
    assert_eq!(sheets[0].1[2][1], Data::String(cut.clone()));
    assert_eq!(sheets[1].1[2][0], Data::String(cut));
}

#[test]
fn excel_cell_limit_lists_cell() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("limit.xlsx");
    let columns = vec![
        column("name", "Name", ColumnKind::Text),
        column("notes", "Notes", ColumnKind::Text),
    ];
    let at_limit = "a".repeat(EXCEL_MAX_CELL_UTF16);
    // One unit over the limit, with the last character a surrogate pair.
    let over_limit = format!("{}😀", "a".repeat(EXCEL_MAX_CELL_UTF16 - 1));
    let table = AccountTable {
        columns,
        rows: vec![
            vec![
                CellValue::Text("fits".into()),
                CellValue::Text(at_limit.clone()),
            ],
            vec![
                CellValue::Text("cut".into()),
                CellValue::Text(over_limit.clone()),
            ],
        ],
    };

    let summary = write_workbook(&table, &target, false).unwrap();

    assert_eq!(summary.truncated_cells, 1);
    assert_eq!(
        summary.truncated,
        [TruncatedCell {
            sheet: SHEET_NAME.into(),
            cell: "B3".into(),
            header: "Notes".into(),
        }]
    );
    let cells = &read_all_sheets(&target)[0].1;
    assert_eq!(cells[1][1], Data::String(at_limit));
    assert!(assert_cell_matches(
        &CellValue::Text(over_limit),
        &cells[2][1],
        "row 1, notes"
    ));
}

/// Rows of every cell kind for two columns, then for three once a column is added.
fn rows_before_and_after_new_column() -> (Vec<Vec<CellValue>>, Vec<Vec<CellValue>>) {
    let before = (0..7usize)
        .map(|index| {
            vec![
                CellValue::Text(format!("Account {index} 😀")),
                match index % 4 {
                    0 => CellValue::Number(index as f64 / 3.0),
                    1 => CellValue::Bool(index > 2),
                    2 => CellValue::DateTime(timestamp("2024-02-29T12:34:56.789Z")),
                    _ => CellValue::Empty,
                },
            ]
        })
        .collect();
    let after = (7..20)
        .map(|index| {
            vec![
                CellValue::Text(format!("Account {index}")),
                CellValue::Number(-(index as f64)),
                match index % 3 {
                    0 => CellValue::Text("x".repeat(50)),
                    1 => CellValue::Bool(true),
                    _ => CellValue::Empty,
                },
            ]
        })
        .collect();
    (before, after)
}

#[test]
fn late_column_matches_full_write() {
    let folder = tempfile::tempdir().unwrap();
    let streamed = folder.path().join("streamed.xlsx");
    let reference = folder.path().join("reference.xlsx");
    let first_columns = vec![
        column("name", "Name", ColumnKind::Text),
        column("value", "Value", ColumnKind::Text),
    ];
    let late_column = column("custom_fields.tnt__note", "Note", ColumnKind::Text);
    let all_columns = [first_columns.clone(), vec![late_column.clone()]].concat();
    let sheet_limits = limits(6, 20);
    let (before, after) = rows_before_and_after_new_column();

    // As an export does: the column turns up after 7 rows, on the second sheet.
    let mut writer =
        WorkbookWriter::with_limits(&streamed, &first_columns, false, sheet_limits).unwrap();
    writer.write_rows(&before).unwrap();
    writer.add_columns(&[late_column]).unwrap();
    writer.write_rows(&after).unwrap();
    let streamed_summary = writer.finish().unwrap();

    let mut padded: Vec<Vec<CellValue>> = before;
    for row in &mut padded {
        row.push(CellValue::Empty);
    }
    padded.extend(after);
    let mut full =
        WorkbookWriter::with_limits(&reference, &all_columns, false, sheet_limits).unwrap();
    full.write_rows(&padded).unwrap();
    let reference_summary = full.finish().unwrap();

    assert_eq!(streamed_summary, reference_summary);
    assert_eq!(streamed_summary.sheets.len(), 4);
    assert_eq!(streamed_summary.truncated_cells, 4);
    let sheets = read_all_sheets(&streamed);
    assert_eq!(sheets, read_all_sheets(&reference));
    // Every sheet, the first one included, has the late column's header.
    for (name, cells) in &sheets {
        assert_eq!(cells[0][2], Data::String("Note".into()), "{name}");
    }
}

#[test]
fn dropped_writer_leaves_nothing() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    let earlier = b"an earlier export".to_vec();
    fs::write(&target, &earlier).unwrap();
    let rows: Vec<Vec<CellValue>> = (0..20_000).map(numbered_row).collect();
    let mut writer = WorkbookWriter::with_limits(
        &target,
        &numbered_columns(),
        true,
        limits(3_000, EXCEL_MAX_CELL_UTF16),
    )
    .unwrap();
    for page in rows.chunks(1_000) {
        writer.write_rows(page).unwrap();
    }

    let started = Instant::now();
    drop(writer);
    let elapsed = started.elapsed();

    assert!(elapsed < Duration::from_secs(2), "drop took {elapsed:?}");
    assert_eq!(fs::read(&target).unwrap(), earlier);
    assert_eq!(folder_entries(folder.path()), [target]);
}

#[test]
fn dropped_writer_creates_no_target() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    let mut writer = WorkbookWriter::new(&target, &numbered_columns(), false).unwrap();
    writer
        .write_rows(&(0..100).map(numbered_row).collect::<Vec<_>>())
        .unwrap();

    drop(writer);

    assert!(folder_entries(folder.path()).is_empty());
}

#[test]
fn cancelled_finish_keeps_existing_target() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("accounts.xlsx");
    fs::write(&target, b"an earlier export").unwrap();
    let mut writer = WorkbookWriter::new(&target, &numbered_columns(), true).unwrap();
    writer
        .write_rows(&(0..100).map(numbered_row).collect::<Vec<_>>())
        .unwrap();

    let summary = writer.finish_unless(|| true).unwrap();

    assert_eq!(summary, None);
    assert_eq!(fs::read(&target).unwrap(), b"an earlier export");
    assert_eq!(folder_entries(folder.path()), [target]);
}

/// Builds one row of 25 cells shaped like an account: texts, numbers, dates, flags and gaps.
fn wide_row(index: usize) -> Vec<CellValue> {
    let created = timestamp("2020-01-01T00:00:00Z") + TimeDelta::minutes(index as i64);
    let mut row = Vec::with_capacity(25);
    for text_column in 0..15 {
        let repeat = 1 + (index + text_column) % 4;
        row.push(CellValue::Text(format!(
            "{}-{index}",
            "account text ".repeat(repeat)
        )));
    }
    row.extend([
        CellValue::Number(index as f64),
        CellValue::Number(index as f64 * 1.5),
        CellValue::Number(-(index as f64)),
        CellValue::DateTime(created),
        CellValue::DateTime(created + TimeDelta::days(30)),
        CellValue::Bool(index.is_multiple_of(2)),
        CellValue::Bool(index.is_multiple_of(3)),
        CellValue::Empty,
        CellValue::Empty,
        CellValue::Empty,
    ]);
    row
}

/// Sums the sizes of the regular files this process has open, which includes
/// the anonymous temporary files of the worksheets.
#[cfg(target_os = "linux")]
fn open_file_bytes() -> u64 {
    fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| fs::metadata(entry.ok()?.path()).ok())
        .filter(|metadata| metadata.is_file())
        .map(|metadata| metadata.len())
        .sum()
}

/// Streams `WORKBOOK_PROBE_ROWS` rows (default 100,000) of 25 cells in pages of
/// 1,000 into a writer, as an export does, to measure peak memory with
/// `/usr/bin/time -v` on the test binary.
#[cfg(target_os = "linux")]
#[test]
#[ignore = "measures memory: run in release under /usr/bin/time -v"]
fn memory_probe_streams_rows() {
    let rows: usize = std::env::var("WORKBOOK_PROBE_ROWS")
        .map(|value| value.parse().unwrap())
        .unwrap_or(100_000);
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("probe.xlsx");
    let columns: Vec<Column> = (0..25)
        .map(|index| {
            column(
                &format!("c{index}"),
                &format!("Column {index}"),
                ColumnKind::Text,
            )
        })
        .collect();
    let started = Instant::now();
    let mut writer = WorkbookWriter::new(&target, &columns, false).unwrap();

    for first in (0..rows).step_by(1_000) {
        let page: Vec<Vec<CellValue>> = (first..rows.min(first + 1_000)).map(wide_row).collect();
        writer.write_rows(&page).unwrap();
    }
    let temp_bytes = open_file_bytes();
    let summary = writer.finish().unwrap();

    println!(
        "rows {rows}, sheets {}, temporary files {} MB, workbook {} MB, elapsed {:?}",
        summary.sheets.len(),
        temp_bytes / 1_000_000,
        fs::metadata(&target).unwrap().len() / 1_000_000,
        started.elapsed()
    );
    assert_eq!(summary.rows, rows);
}

#[cfg(unix)]
#[test]
fn overwrite_keeps_private_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("private.xlsx");
    fs::write(&target, b"an earlier export").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o600)).unwrap();

    write_workbook(&build_table(&sample_accounts()), &target, true).unwrap();

    let mode = fs::metadata(&target).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn longest_file_name_is_written() {
    let folder = tempfile::tempdir().unwrap();
    // 250 letters and ".xlsx": the longest name most file systems allow.
    let target = folder.path().join(format!("{}.xlsx", "a".repeat(250)));

    write_workbook(&build_table(&sample_accounts()), &target, false).unwrap();

    assert_eq!(folder_entries(folder.path()), [target]);
}
