//! Everything of the workbook except the data rows, built by rust_xlsxwriter.
//!
//! The skeleton is a small, complete workbook: each Accounts sheet has its
//! column widths, frozen header row and autofilter, and one sample row with a
//! blank bold cell and a date cell. The samples put the header and date-time
//! styles into the style table and show their indexes. [`super::package`]
//! keeps every part of the skeleton except the Accounts sheets' rows, which
//! it replaces with the header row and the streamed rows.
//!
//! The header row is written by [`super::sheet_xml`] as inline strings, like
//! the data rows. rust_xlsxwriter would put header texts into its shared
//! string table, which in version 0.102 copies a text shaped like
//! `<r>…</r>` unescaped and so would corrupt the file.
//! rust_xlsxwriter thereby still writes the styles, the workbook's sheet list,
//! the autofilter's defined names, the relationships and the content types.

use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, XlsxError};

use super::DATETIME_NUMBER_FORMAT;

/// What the skeleton needs to know of one Accounts sheet.
pub(super) struct SheetLayout<'a> {
    pub(super) name: &'a str,
    /// Data rows below the header.
    pub(super) data_rows: usize,
    /// Width of each column, in Excel character widths.
    pub(super) widths: &'a [f64],
}

/// Builds the skeleton workbook for `columns` columns and the given sheets, as the
/// bytes of an `.xlsx` file.
pub(super) fn build(columns: usize, sheets: &[SheetLayout<'_>]) -> Result<Vec<u8>, XlsxError> {
    let bold = Format::new().set_bold();
    let datetime_format = Format::new().set_num_format(DATETIME_NUMBER_FORMAT);
    let mut workbook = Workbook::new();

    for sheet in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet.name)?;
        // The sample row is replaced by the real rows; see the module notes.
        worksheet.write_blank(0, 0, &bold)?;
        worksheet.write_number_with_format(0, 1, 0.0, &datetime_format)?;
        for (column, width) in sheet.widths.iter().enumerate() {
            worksheet.set_column_width(column as ColNum, *width)?;
        }
        if let Some(last_column) = columns.checked_sub(1) {
            worksheet.set_freeze_panes(1, 0)?;
            worksheet.autofilter(0, 0, sheet.data_rows as RowNum, last_column as ColNum)?;
        }
    }

    workbook.save_to_buffer()
}

/// Style indexes of the skeleton's style table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Styles {
    pub(super) header: u32,
    pub(super) datetime: u32,
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
pub(super) fn split_sheet(xml: &[u8], dimension: &str) -> Result<SheetParts, String> {
    let text = std::str::from_utf8(xml).map_err(|_| "the sheet is not UTF-8".to_owned())?;
    let data_start = find(text, "<sheetData>", 0)? + "<sheetData>".len();
    let data_end = find(text, "</sheetData>", data_start)?;
    let sample = &text[data_start..data_end];
    let first_cell = find(sample, "<c ", 0)?;
    let second_cell = find(sample, "<c ", first_cell + 1)?;
    let header_style = style_after(sample, first_cell)?;
    let datetime_style = style_after(sample, second_cell)?;

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
            header: header_style,
            datetime: datetime_style,
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
pub(super) fn styles() -> Result<Styles, String> {
    let layout = SheetLayout {
        name: super::SHEET_NAME,
        data_rows: 1,
        widths: &[10.0],
    };
    let bytes = build(1, &[layout]).map_err(|error| error.to_string())?;
    let xml = super::package::read_entry(&bytes, &sheet_entry_name(0))
        .map_err(|error| error.to_string())?;
    Ok(split_sheet(&xml, "A1:A2")?.styles)
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
            data_rows: 3,
            widths: &[12.0, 20.0],
        };
        let bytes = build(2, &[layout]).unwrap();
        let xml = super::super::package::read_entry(&bytes, "xl/worksheets/sheet1.xml").unwrap();

        let parts = split_sheet(&xml, "A1:B4").unwrap();
        let prefix = String::from_utf8(parts.prefix).unwrap();
        let suffix = String::from_utf8(parts.suffix).unwrap();

        assert!(prefix.contains("<dimension ref=\"A1:B4\"/>"), "{prefix}");
        assert!(prefix.ends_with("<sheetData>"), "{prefix}");
        assert!(prefix.contains("<pane ySplit=\"1\""), "{prefix}");
        assert!(suffix.starts_with("</sheetData>"), "{suffix}");
        assert!(suffix.contains("<autoFilter ref=\"A1:B4\"/>"), "{suffix}");
        assert_eq!(parts.styles, styles().unwrap());
        assert_ne!(parts.styles.header, parts.styles.datetime);
    }
}
