//! Unit tests of the workbook writer that need its private state or limits.
//! The round trip through real files is in `tests/workbook.rs`.

use super::*;
use crate::columns::ColumnKind;
use calamine::{open_workbook, Data, Reader, Xlsx};
use chrono::{DateTime, Utc};

fn text_columns(count: usize) -> Vec<Column> {
    (0..count)
        .map(|index| Column {
            key: format!("c{index}"),
            header: format!("Column {index}"),
            kind: ColumnKind::Text,
        })
        .collect()
}

fn small_limits(max_data_rows: usize, max_cell_utf16: usize) -> SheetLimits {
    SheetLimits {
        max_data_rows,
        max_cell_utf16,
    }
}

fn read_cells(path: &Path, sheet: &str) -> Vec<Vec<Data>> {
    let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
    let range = workbook.worksheet_range(sheet).unwrap();
    range.rows().map(|row| row.to_vec()).collect()
}

#[test]
fn writer_truncates_with_small_limit() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("small.xlsx");
    let columns = text_columns(2);
    let rows = vec![vec![
        CellValue::Text("x".repeat(40)),
        CellValue::Text("short".into()),
    ]];

    let mut writer =
        WorkbookWriter::with_limits(&target, &columns, false, small_limits(10, 20)).unwrap();
    writer.write_rows(&rows).unwrap();
    let summary = writer.finish().unwrap();

    assert_eq!(summary.truncated_cells, 1);
    assert_eq!(
        summary.truncated,
        [TruncatedCell {
            sheet: SHEET_NAME.into(),
            cell: "A2".into(),
            header: "Column 0".into(),
        }]
    );
    let cells = read_cells(&target, SHEET_NAME);
    let expected = format!("{}{TRUNCATION_MARKER}", "x".repeat(7));
    assert_eq!(cells[1][0], Data::String(expected));
    assert_eq!(cells[1][1], Data::String("short".into()));
}

#[test]
fn truncation_list_is_capped() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("many.xlsx");
    let rows = vec![vec![CellValue::Text("too long".into())]; 150];

    let mut writer =
        WorkbookWriter::with_limits(&target, &text_columns(1), false, small_limits(60, 3)).unwrap();
    writer.write_rows(&rows).unwrap();
    let summary = writer.finish().unwrap();

    // The header "Column 0" is cut on each of the three sheets as well.
    assert_eq!(summary.truncated_cells, 153);
    assert_eq!(summary.truncated.len(), MAX_LISTED_TRUNCATIONS);
    assert_eq!(summary.truncated[0].cell, "A1");
    assert_eq!(summary.truncated[0].header, "Col");
    assert_eq!(summary.truncated[1].cell, "A2");
    let last = &summary.truncated[MAX_LISTED_TRUNCATIONS - 1];
    assert_eq!(last.sheet, "Accounts (2)");
    assert_eq!(last.cell, "A39");
}

#[test]
fn writer_keeps_lookalikes_and_odd_values() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("lookalikes.xlsx");
    let year_one = "0001-01-01T00:00:00Z".parse::<DateTime<Utc>>().unwrap();
    let row = vec![
        CellValue::Text("_x0041_ and _x000D_".into()),
        CellValue::Text("<r>abc</r>".into()),
        CellValue::Text("<r>_x0041_ & \r</r>".into()),
        CellValue::DateTime(year_one),
        CellValue::Number(f64::NAN),
        CellValue::Text("<r><t>run</t></r>".into()),
    ];
    let mut columns = text_columns(row.len());
    columns[0].header = "<r>header</r>".into();
    let table = AccountTable {
        columns,
        rows: vec![row],
    };

    let summary = write_workbook(&table, &target, false).unwrap();

    assert_eq!(summary.truncated_cells, 0);
    let cells = read_cells(&target, SHEET_NAME);
    assert_eq!(cells[0][0], Data::String("<r>header</r>".into()));
    assert_eq!(cells[1][0], Data::String("_x0041_ and _x000D_".into()));
    assert_eq!(cells[1][1], Data::String("<r>abc</r>".into()));
    // A lone carriage return is a line break, written as a line feed.
    assert_eq!(cells[1][2], Data::String("<r>_x0041_ & \n</r>".into()));
    assert_eq!(cells[1][3], Data::String("0001-01-01T00:00:00Z".into()));
    assert_eq!(cells[1][4], Data::String("NaN".into()));
    assert_eq!(cells[1][5], Data::String("<r><t>run</t></r>".into()));
}

#[test]
fn writer_keeps_long_rich_lookalike() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("long.xlsx");
    // 24,007 units as text, but longer than a cell once every `<` is `&lt;`.
    let text = format!("<r>{}</r>", "<&>".repeat(8_000));
    let table = AccountTable {
        columns: text_columns(1),
        rows: vec![vec![CellValue::Text(text.clone())]],
    };

    let summary = write_workbook(&table, &target, false).unwrap();

    assert_eq!(summary.truncated_cells, 0);
    assert_eq!(read_cells(&target, SHEET_NAME)[1][0], Data::String(text));
}

#[test]
fn widths_fit_later_rows() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("widths.xlsx");
    let mut rows = vec![vec![CellValue::Text("a".into()), CellValue::Bool(true)]; 5_000];
    rows[4_321][0] = CellValue::Text("a much longer text near the end".into());
    let mut writer = WorkbookWriter::new(&target, &text_columns(2), false).unwrap();

    writer.write_rows(&rows).unwrap();

    let longest = "a much longer text near the end".len();
    assert_eq!(writer.content_widths(), [longest, "FALSE".len()]);
    // The header, with room for the filter button, is wider than FALSE.
    let header_width = "Column 0".len() + FILTER_BUTTON_WIDTH;
    assert_eq!(
        column_widths(&[header_width, header_width], writer.content_widths()),
        [(longest + 1) as f64, (header_width + 1) as f64]
    );
}

#[test]
fn row_width_mismatch_is_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("bad.xlsx");
    let mut writer = WorkbookWriter::new(&target, &text_columns(2), false).unwrap();

    let error = writer.write_rows(&[vec![CellValue::Empty]]).unwrap_err();

    assert!(matches!(
        error,
        WorkbookError::RowWidthMismatch {
            row: 0,
            cells: 1,
            columns: 2,
            ..
        }
    ));
}

#[test]
fn too_many_rows_rejected_before_writing() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("full.xlsx");
    let mut writer =
        WorkbookWriter::with_limits(&target, &text_columns(1), false, small_limits(2, 100))
            .unwrap();
    let row = vec![CellValue::Text("x".into())];
    writer.write_rows(&vec![row.clone(); 199]).unwrap();

    let error = writer.write_rows(&vec![row.clone(); 2]).unwrap_err();
    writer.write_rows(&[row]).unwrap();
    let summary = writer.finish().unwrap();

    assert!(
        matches!(error, WorkbookError::TooManyRows { max_rows: 200, .. }),
        "{error:?}"
    );
    assert_eq!(summary.rows, 200);
    assert_eq!(summary.sheets.len(), MAX_SHEETS);
    assert_eq!(summary.sheets[99], "Accounts (100)");
}

#[test]
fn limits_are_clamped_to_excel() {
    let limits = small_limits(0, 1_000_000).clamped();

    assert_eq!(limits.max_data_rows, 1);
    assert_eq!(limits.max_cell_utf16, EXCEL_MAX_CELL_UTF16);
    assert_eq!(
        small_limits(usize::MAX, 5).clamped().max_data_rows,
        EXCEL_MAX_DATA_ROWS
    );
}

#[test]
fn columns_added_before_rows_join_header() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("early.xlsx");
    let mut writer = WorkbookWriter::new(&target, &text_columns(1), false).unwrap();

    writer.add_columns(&text_columns(3)[1..]).unwrap();
    writer
        .write_rows(&[vec![
            CellValue::Text("a".into()),
            CellValue::Number(2.0),
            CellValue::Bool(true),
        ]])
        .unwrap();
    let summary = writer.finish().unwrap();

    assert_eq!(summary.columns, 3);
    let cells = read_cells(&target, SHEET_NAME);
    assert_eq!(
        cells[0],
        [
            Data::String("Column 0".into()),
            Data::String("Column 1".into()),
            Data::String("Column 2".into()),
        ]
    );
    assert_eq!(
        cells[1],
        [Data::String("a".into()), Data::Float(2.0), Data::Bool(true)]
    );
}

#[test]
fn columns_added_after_rows_get_headers_on_every_sheet() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("late.xlsx");
    let mut writer =
        WorkbookWriter::with_limits(&target, &text_columns(1), false, small_limits(2, 100))
            .unwrap();
    writer
        .write_rows(&[vec![CellValue::Text("first".into())]])
        .unwrap();

    writer.add_columns(&text_columns(2)[1..]).unwrap();
    let short_row = writer.write_rows(&[vec![CellValue::Text("short".into())]]);
    let wide_rows = vec![vec![CellValue::Text("wide".into()), CellValue::Number(1.0)]; 2];
    writer.write_rows(&wide_rows).unwrap();
    let summary = writer.finish().unwrap();

    assert!(matches!(
        short_row,
        Err(WorkbookError::RowWidthMismatch {
            row: 1,
            cells: 1,
            columns: 2,
            ..
        })
    ));
    assert_eq!(summary.sheets, ["Accounts", "Accounts (2)"]);
    let header = [
        Data::String("Column 0".into()),
        Data::String("Column 1".into()),
    ];
    let first = read_cells(&target, "Accounts");
    assert_eq!(first[0], header);
    assert_eq!(first[1], [Data::String("first".into()), Data::Empty]);
    assert_eq!(first[2], [Data::String("wide".into()), Data::Float(1.0)]);
    assert_eq!(read_cells(&target, "Accounts (2)")[0], header);
}

#[test]
fn too_many_added_columns_are_rejected() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("wide.xlsx");
    let mut writer = WorkbookWriter::new(&target, &text_columns(2), false).unwrap();

    let error = writer
        .add_columns(&text_columns(EXCEL_MAX_COLUMNS - 1))
        .unwrap_err();

    assert!(
        matches!(error, WorkbookError::TooManyColumns { columns, .. } if columns == EXCEL_MAX_COLUMNS + 1),
        "{error:?}"
    );
}

#[test]
fn writer_is_send() {
    fn assert_send<T: Send>() {}

    assert_send::<WorkbookWriter>();
}

#[test]
fn summary_serializes_camel_case() {
    let summary = WriteSummary {
        rows: 3,
        columns: 2,
        sheets: vec![SHEET_NAME.into()],
        truncated_cells: 1,
        truncated: vec![TruncatedCell {
            sheet: SHEET_NAME.into(),
            cell: "B3".into(),
            header: "Notes".into(),
        }],
    };

    let json = serde_json::to_value(&summary).unwrap();

    assert_eq!(
        json,
        serde_json::json!({
            "rows": 3,
            "columns": 2,
            "sheets": ["Accounts"],
            "truncatedCells": 1,
            "truncated": [{"sheet": "Accounts", "cell": "B3", "header": "Notes"}],
        })
    );
}

#[test]
fn error_messages_name_path_and_next_step() {
    let path = PathBuf::from("/data/accounts.xlsx");
    let folder = PathBuf::from("/data/missing");
    let denied = || io::Error::from(io::ErrorKind::PermissionDenied);

    let cases = [
        (
            WorkbookError::TargetExists { path: path.clone() },
            "/data/accounts.xlsx already exists and was left unchanged. Choose another file \
             name, or allow replacing the file.",
        ),
        (
            WorkbookError::TargetIsFolder { path: path.clone() },
            "/data/accounts.xlsx is a folder, not a file. Choose a file name inside it, \
             such as accounts.xlsx.",
        ),
        (
            WorkbookError::FolderNotFound {
                folder: folder.clone(),
            },
            "The folder /data/missing does not exist. Create it or choose another folder \
             for the workbook.",
        ),
        (
            WorkbookError::FolderNotWritable {
                folder: folder.clone(),
                source: denied(),
            },
            "Cannot create files in the folder /data/missing (permission denied). Choose a \
             folder you can write to.",
        ),
        (
            WorkbookError::TooManyColumns {
                path: path.clone(),
                columns: 20_000,
            },
            "Cannot write /data/accounts.xlsx: the export has 20000 columns, but an Excel \
             worksheet has at most 16384.",
        ),
        (
            WorkbookError::TooManyRows {
                path: path.clone(),
                max_rows: 104_857_500,
            },
            "Cannot write /data/accounts.xlsx: the export has more than 104857500 rows, which \
             would need more than 100 worksheets. Export fewer accounts.",
        ),
        (
            WorkbookError::RenameFailed {
                path: path.clone(),
                source: denied(),
            },
            "Could not move the finished workbook into place at /data/accounts.xlsx \
             (permission denied). Check that the file is not open in another program and \
             try again.",
        ),
    ];

    for (error, expected) in cases {
        assert_eq!(error.to_string(), expected);
    }
}

#[test]
fn each_sheet_table_covers_its_rows() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("tables.xlsx");
    let mut writer =
        WorkbookWriter::with_limits(&target, &text_columns(2), false, small_limits(3, 100))
            .unwrap();
    let rows: Vec<Vec<CellValue>> = (0..7)
        .map(|index| {
            vec![
                CellValue::Text(format!("row {index}")),
                CellValue::Number(1.0),
            ]
        })
        .collect();
    writer.write_rows(&rows).unwrap();
    writer.finish().unwrap();

    let mut workbook: Xlsx<_> = open_workbook(&target).unwrap();
    workbook.load_tables().unwrap();
    let names: Vec<String> = workbook.table_names().into_iter().cloned().collect();
    let mut found: Vec<(String, String, usize)> = names
        .iter()
        .map(|name| {
            let table = workbook.table_by_name(name).unwrap();
            (
                name.clone(),
                table.sheet_name().to_owned(),
                table.data().height(),
            )
        })
        .collect();
    found.sort();
    assert_eq!(
        found,
        [
            ("Accounts".to_owned(), "Accounts".to_owned(), 3),
            ("Accounts2".to_owned(), "Accounts (2)".to_owned(), 3),
            ("Accounts3".to_owned(), "Accounts (3)".to_owned(), 1),
        ]
    );
}
