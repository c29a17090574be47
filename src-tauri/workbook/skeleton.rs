//! Everything of the workbook except the data rows, built by rust_xlsxwriter.
//!
//! The skeleton is a small, complete workbook. Each Accounts sheet has its
//! column widths, a frozen header row and an Excel table over the header and
//! data rows, with a table style and filter buttons. rust_xlsxwriter thereby
//! writes the styles, the table parts, the workbook's sheet list, the
//! relationships and the content types. [`super::package`] keeps every part
//! of the skeleton except the Accounts sheets' rows, which it replaces with
//! the header row and the streamed rows.
//!
//! The first data row of each sheet holds sample cells to the right of the
//! table: a blank bold cell, a date cell, a blank wrapped-text cell and a
//! blank link-styled cell. They put the header, date-time, wrap and link
//! styles into the style table and show their indexes, which the streamed
//! rows then use.
//!
//! Worksheets use rust_xlsxwriter's constant-memory mode for its inline
//! strings. Its shared-string table, used by the other modes, copies a text
//! shaped like `<r>…</r>` unescaped in version 0.102, and a header could be
//! such a text.

use std::path::Path;

use rust_xlsxwriter::{ColNum, Format, Table, TableColumn, TableStyle, Workbook, XlsxError};

use super::about_sheet::{add_about_sheet, AboutFacts};
use super::sheet_xml::column_name;
use super::DATETIME_NUMBER_FORMAT;

/// Layout of one Accounts sheet in the skeleton.
pub(super) struct SheetLayout<'a> {
    pub(super) name: &'a str,
    /// Width of each column, in Excel character widths.
    pub(super) widths: &'a [f64],
}

/// Builds the skeleton workbook with the given column headers and sheets, as
/// the bytes of an `.xlsx` file. The headers must differ from each other in
/// more than letter case, as Excel requires of a table's columns.
/// rust_xlsxwriter's temporary files go to `temp_folder`.
pub(super) fn build(
    headers: &[String],
    sheets: &[SheetLayout<'_>],
    about: Option<&AboutFacts<'_>>,
    temp_folder: &Path,
) -> Result<Vec<u8>, XlsxError> {
    let bold = Format::new().set_bold();
    let datetime_format = Format::new().set_num_format(DATETIME_NUMBER_FORMAT);
    let wrap = Format::new().set_text_wrap();
    let link = Format::new().set_hyperlink();
    let mut workbook = Workbook::new();
    workbook.set_tempdir(temp_folder)?;

    for (index, sheet) in sheets.iter().enumerate() {
        let worksheet = workbook.add_worksheet_with_constant_memory()?;
        worksheet.set_name(sheet.name)?;
        for (column, width) in sheet.widths.iter().enumerate() {
            worksheet.set_column_width(column as ColNum, *width)?;
        }
        worksheet.set_freeze_panes(1, 0)?;

        if let Some(last_column) = headers.len().checked_sub(1) {
            let columns: Vec<TableColumn> = headers
                .iter()
                .map(|header| {
                    TableColumn::new()
                        .set_header(header)
                        .set_header_format(&bold)
                })
                .collect();
            let table = Table::new()
                .set_name(table_name(index))
                .set_style(TableStyle::Medium2)
                .set_columns(&columns);
            // The table covers the header and the sample row here; the
            // package step sets its real range. rust_xlsxwriter checks a
            // table's cells one by one, which for 300,000 rows took 2 s and
            // 400 MB.
            worksheet.add_table(0, 0, 1, last_column as ColNum, &table)?;
        }

        // The samples; see the module notes. Their row is replaced by the data.
        let first = sample_column(headers.len()) as ColNum;
        worksheet.write_blank(1, first, &bold)?;
        worksheet.write_number_with_format(1, first + 1, 0.0, &datetime_format)?;
        worksheet.write_blank(1, first + 2, &wrap)?;
        worksheet.write_blank(1, first + 3, &link)?;
    }

    if let Some(about) = about {
        add_about_sheet(&mut workbook, about)?;
    }
    workbook.save_to_buffer()
}

/// Returns the column of the first sample cell for a table of `columns`
/// columns: the one after the table, or the last four of a sheet that has no
/// room after it.
pub(super) fn sample_column(columns: usize) -> usize {
    columns.min(super::EXCEL_MAX_COLUMNS - 4)
}

/// Returns the table name of the sheet at zero-based `index`: `Accounts`,
/// `Accounts2` and so on, since table names cannot contain spaces.
pub(super) fn table_name(index: usize) -> String {
    match index {
        0 => "Accounts".to_owned(),
        _ => format!("Accounts{}", index + 1),
    }
}

/// Style indexes of the skeleton's style table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Styles {
    pub(super) header: u32,
    pub(super) datetime: u32,
    /// Text that wraps at its line breaks.
    pub(super) wrap: u32,
    pub(super) link: u32,
}

/// An Accounts sheet of the skeleton, cut around its rows.
#[derive(Debug)]
pub(super) struct SheetParts {
    /// The XML up to `<sheetData>`, included.
    pub(super) prefix: Vec<u8>,
    /// The XML from `</sheetData>` to the end.
    pub(super) suffix: Vec<u8>,
    pub(super) styles: Styles,
}

/// Cuts a skeleton sheet's XML around its sample row, reads the styles of
/// the sample cells, and sets the sheet's dimension to `dimension`, such as
/// `A1:Y1001`.
///
/// Returns a description of what was missing when the XML does not have the
/// shape [`build`] gives it.
pub(super) fn split_sheet(
    xml: &[u8],
    dimension: &str,
    columns: usize,
) -> Result<SheetParts, String> {
    let text = std::str::from_utf8(xml).map_err(|_| "the sheet is not UTF-8".to_owned())?;
    let data_start = find(text, "<sheetData>", 0)? + "<sheetData>".len();
    let data_end = find(text, "</sheetData>", data_start)?;
    let sample_start = find(text, "<row r=\"2\"", data_start)?;
    let sample = &text[sample_start..data_end];
    let first = sample_column(columns);
    let cell = |offset: usize| {
        find(
            sample,
            &format!("<c r=\"{}2\"", column_name(first + offset)),
            0,
        )
    };

    let head = &text[..data_start];
    let dimension_start = find(head, "<dimension ref=\"", 0)? + "<dimension ref=\"".len();
    let dimension_end = find(head, "\"", dimension_start)?;
    let mut prefix = Vec::with_capacity(head.len() + dimension.len());
    prefix.extend_from_slice(&head.as_bytes()[..dimension_start]);
    prefix.extend_from_slice(dimension.as_bytes());
    prefix.extend_from_slice(&head.as_bytes()[dimension_end..]);

    Ok(SheetParts {
        prefix,
        suffix: text.as_bytes()[data_end..].to_vec(),
        styles: Styles {
            header: style_after(sample, cell(0)?)?,
            datetime: style_after(sample, cell(1)?)?,
            wrap: style_after(sample, cell(2)?)?,
            link: style_after(sample, cell(3)?)?,
        },
    })
}

/// Reads the value of the first `s` attribute at or after `from`.
fn style_after(xml: &str, from: usize) -> Result<u32, String> {
    let start = find(xml, " s=\"", from)? + " s=\"".len();
    let end = find(xml, "\"", start)?;
    xml[start..end]
        .parse()
        .map_err(|_| format!("the sample style {} is not a number", &xml[start..end]))
}

fn find(text: &str, pattern: &str, from: usize) -> Result<usize, String> {
    text[from..]
        .find(pattern)
        .map(|offset| from + offset)
        .ok_or_else(|| format!("the skeleton sheet has no {pattern}"))
}

/// Returns the style indexes that a skeleton gives, found by building a
/// small one. They depend only on the order in which [`build`] uses its
/// formats, so every skeleton gives the same.
pub(super) fn styles(temp_folder: &Path) -> Result<Styles, String> {
    let layout = SheetLayout {
        name: super::SHEET_NAME,
        widths: &[10.0],
    };
    let bytes = build(&["Header".to_owned()], &[layout], None, temp_folder)
        .map_err(|error| error.to_string())?;
    let xml = super::package::read_entry(&bytes, &sheet_entry_name(0))
        .map_err(|error| error.to_string())?;
    Ok(split_sheet(&xml, "A1:A2", 1)?.styles)
}

/// Returns the name of the zip entry of the sheet at zero-based `index`.
pub(super) fn sheet_entry_name(index: usize) -> String {
    format!("xl/worksheets/sheet{}.xml", index + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skeleton_sheet_splits_around_rows() {
        let layout = SheetLayout {
            name: "Accounts",
            widths: &[12.0, 20.0],
        };
        let folder = tempfile::tempdir().unwrap();
        let headers = ["Name".to_owned(), "Created".to_owned()];
        let bytes = build(&headers, &[layout], None, folder.path()).unwrap();
        let xml = super::super::package::read_entry(&bytes, "xl/worksheets/sheet1.xml").unwrap();

        let parts = split_sheet(&xml, "A1:B4", 2).unwrap();
        let prefix = String::from_utf8(parts.prefix).unwrap();
        let suffix = String::from_utf8(parts.suffix).unwrap();

        assert!(prefix.contains("<dimension ref=\"A1:B4\"/>"), "{prefix}");
        assert!(prefix.ends_with("<sheetData>"), "{prefix}");
        assert!(prefix.contains("<pane ySplit=\"1\""), "{prefix}");
        assert!(suffix.starts_with("</sheetData>"), "{suffix}");
        assert!(suffix.contains("<tableParts count=\"1\">"), "{suffix}");
        assert_eq!(parts.styles, styles(folder.path()).unwrap());
        assert_ne!(parts.styles.header, parts.styles.datetime);
        assert_ne!(parts.styles.datetime, parts.styles.wrap);
    }
}
