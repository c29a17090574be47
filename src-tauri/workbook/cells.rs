//! Conversion of one [`CellValue`] to one Excel cell: the cell type it gets,
//! the cut of a text too long for a cell, and the width of the written value.
//!
//! Placing rows, sheets and headers is left to [`crate::workbook`].

use std::borrow::Cow;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rust_xlsxwriter::{ColNum, Format, RowNum, Worksheet, XlsxError};

use super::{MAX_COLUMN_WIDTH, TRUNCATION_MARKER};
use crate::columns::CellValue;

/// Width of a cell written as `yyyy-mm-dd hh:mm:ss`.
const DATETIME_WIDTH: usize = 19;

/// Outcome of writing one cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct WrittenCell {
    /// Display width of the value as written, in characters.
    pub(super) width: usize,
    /// True when the text was cut to fit the cell limit.
    pub(super) truncated: bool,
}

impl WrittenCell {
    fn whole(width: usize) -> Self {
        WrittenCell {
            width,
            truncated: false,
        }
    }
}

/// Writes `cell` at `(row, column)` in the cell type that matches its kind.
///
/// Texts are cut to `max_utf16` UTF-16 units. Non-finite numbers and dates
/// outside Excel's years 1900 to 9999 are written as text, because Excel
/// cannot store them as numbers or dates.
pub(super) fn write_cell(
    worksheet: &mut Worksheet,
    (row, column): (RowNum, ColNum),
    cell: &CellValue,
    datetime_format: &Format,
    max_utf16: usize,
) -> Result<WrittenCell, XlsxError> {
    match cell {
        CellValue::Empty => Ok(WrittenCell::whole(0)),
        CellValue::Text(text) => write_text_cell(worksheet, (row, column), text, None, max_utf16),
        CellValue::Number(number) if number.is_finite() => {
            worksheet.write_number(row, column, *number)?;
            Ok(WrittenCell::whole(number.to_string().len()))
        }
        CellValue::Number(number) => {
            let text = number.to_string();
            write_text_cell(worksheet, (row, column), &text, None, max_utf16)
        }
        CellValue::Bool(flag) => {
            worksheet.write_boolean(row, column, *flag)?;
            Ok(WrittenCell::whole("FALSE".len()))
        }
        CellValue::DateTime(datetime) if is_excel_date(datetime) => {
            worksheet.write_datetime_with_format(
                row,
                column,
                datetime.naive_utc(),
                datetime_format,
            )?;
            Ok(WrittenCell::whole(DATETIME_WIDTH))
        }
        CellValue::DateTime(datetime) => {
            let text = datetime.to_rfc3339_opts(SecondsFormat::AutoSi, true);
            write_text_cell(worksheet, (row, column), &text, None, max_utf16)
        }
    }
}

/// Writes `text` to a string cell, cut to `max_utf16` UTF-16 units by [`fit_cell_text`].
///
/// NOTE: this relies on constant-memory worksheets, which rust_xlsxwriter
/// 0.102 writes as inline strings with every XML and `_xHHHH_` escape applied.
/// Its shared-string table, used by the other worksheet modes, copies a text
/// shaped like `<r>…</r>` unescaped and so would corrupt the file.
pub(super) fn write_text_cell(
    worksheet: &mut Worksheet,
    (row, column): (RowNum, ColNum),
    text: &str,
    format: Option<&Format>,
    max_utf16: usize,
) -> Result<WrittenCell, XlsxError> {
    let (text, truncated) = fit_cell_text(text, max_utf16);

    match format {
        Some(format) => worksheet.write_string_with_format(row, column, text.as_ref(), format)?,
        None => worksheet.write_string(row, column, text.as_ref())?,
    };

    Ok(WrittenCell {
        width: text_width(&text),
        truncated,
    })
}

/// Cuts `text` so that it fits a cell of `max_utf16` UTF-16 units, and returns
/// it with whether it was cut.
///
/// A cut text ends with [`TRUNCATION_MARKER`], which counts towards the limit,
/// unless the limit is shorter than the marker. The cut never splits a
/// character, so it may keep one unit less than the limit allows.
pub(super) fn fit_cell_text(text: &str, max_utf16: usize) -> (Cow<'_, str>, bool) {
    // UTF-8 is never shorter than UTF-16 in units, so a short text needs no count.
    if text.len() <= max_utf16 || text.encode_utf16().count() <= max_utf16 {
        return (Cow::Borrowed(text), false);
    }

    let marker_len = TRUNCATION_MARKER.encode_utf16().count();
    let (budget, marker) = if max_utf16 >= marker_len {
        (max_utf16 - marker_len, TRUNCATION_MARKER)
    } else {
        (max_utf16, "")
    };

    let mut used = 0;
    let mut end = 0;
    for (index, character) in text.char_indices() {
        if used + character.len_utf16() > budget {
            break;
        }
        used += character.len_utf16();
        end = index + character.len_utf8();
    }

    (Cow::Owned(format!("{}{marker}", &text[..end])), true)
}

/// Returns whether Excel can show `datetime` as a date: years 1900 to 9999.
fn is_excel_date(datetime: &DateTime<Utc>) -> bool {
    (1900..=9999).contains(&datetime.year())
}

/// Estimates the display width of `text` in characters: its longest line,
/// stopping early once it is wider than any column gets.
pub(super) fn text_width(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().take(MAX_COLUMN_WIDTH + 1).count())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_short_text() {
        let (text, truncated) = fit_cell_text("hello", 5);

        assert_eq!(text, "hello");
        assert!(!truncated);
    }

    #[test]
    fn fit_keeps_text_at_limit() {
        // Four emoji are 16 UTF-8 bytes but only 8 UTF-16 units.
        let input = "😀".repeat(4);

        let (text, truncated) = fit_cell_text(&input, 8);

        assert_eq!(text, input);
        assert!(!truncated);
    }

    #[test]
    fn fit_cuts_with_marker() {
        let marker_len = TRUNCATION_MARKER.encode_utf16().count();
        let input = "a".repeat(50);

        let (text, truncated) = fit_cell_text(&input, marker_len + 4);

        assert!(truncated);
        assert_eq!(text, format!("aaaa{TRUNCATION_MARKER}"));
        assert_eq!(text.encode_utf16().count(), marker_len + 4);
    }

    #[test]
    fn fit_never_splits_surrogate_pair() {
        let marker_len = TRUNCATION_MARKER.encode_utf16().count();
        // Each emoji is two UTF-16 units, so a budget of 3 keeps one emoji.
        let input = "😀".repeat(10);

        let (text, truncated) = fit_cell_text(&input, marker_len + 3);

        assert!(truncated);
        assert_eq!(text, format!("😀{TRUNCATION_MARKER}"));
    }

    #[test]
    fn fit_below_marker_length_drops_marker() {
        let (text, truncated) = fit_cell_text("abcdef", 3);

        assert!(truncated);
        assert_eq!(text, "abc");
    }

    #[test]
    fn text_width_is_longest_line_capped() {
        assert_eq!(text_width(""), 0);
        assert_eq!(text_width("ab\nabcd\nabc"), 4);
        assert_eq!(text_width(&"x".repeat(500)), MAX_COLUMN_WIDTH + 1);
    }
}
