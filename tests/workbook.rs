//! Round trip of the Excel writer: accounts built in code go through
//! `build_table` and `write_workbook`, and calamine reads the file back so that
//! every cell can be compared with the table the writer was given. Also checks
//! that writing is atomic: no temporary file is left behind and an existing
//! file survives a refused or failed write.

use std::fs;
use std::path::{Path, PathBuf};

use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use serde_json::{json, Value};

use devrev_export::columns::{build_table, AccountTable, CellValue};
use devrev_export::devrev::models::{
    Account, AccountSummary, ArtifactFile, ArtifactSummary, TagSummary, TagWithValue, UserSummary,
};
use devrev_export::workbook::{
    write_workbook, WorkbookError, DATETIME_NUMBER_FORMAT, EXCEL_MAX_CELL_UTF16, SHEET_NAME,
    TRUNCATION_MARKER,
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
        CellValue::Text(text) => assert_eq!(actual, &Data::String(text.clone()), "{place}"),
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
fn autofilter_covers_data() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("filter.xlsx");
    let table = build_table(&sample_accounts());

    write_workbook(&table, &target, false).unwrap();

    // Excel records an autofilter's range as the hidden name _FilterDatabase.
    let workbook: Xlsx<_> = open_workbook(&target).unwrap();
    let filter = workbook
        .defined_names()
        .iter()
        .find(|(name, _)| name.ends_with("_FilterDatabase"))
        .map(|(_, range)| range.clone());
    let last_column = column_letters(table.columns.len());
    let expected = format!("{SHEET_NAME}!$A$1:${last_column}${}", table.rows.len() + 1);
    assert_eq!(filter, Some(expected));
}

/// Converts a 1-based column number to Excel's letters (1 is `A`, 27 is `AA`).
fn column_letters(mut number: usize) -> String {
    let mut letters = Vec::new();
    while number > 0 {
        let remainder = (number - 1) % 26;
        letters.push(b'A' + remainder as u8);
        number = (number - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap()
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
