//! Writes an [`AccountTable`] to an `.xlsx` workbook without ever leaving a broken file.
//!
//! The workbook has one sheet, `Accounts`, with a bold frozen header row, an
//! autofilter and column widths fitted to the content. Every text is written as
//! a string cell, so text such as `=1+1` never becomes a formula. Dates
//! outside Excel's years 1900 to 9999 and non-finite numbers are written as
//! text. The file is written to a temporary file in the target's folder and
//! renamed into place only when complete, so a failed export leaves an
//! existing file untouched.
//!
//! Which columns exist and how an account becomes cells is decided by
//! [`crate::columns`]; this module only lays the cells out in Excel.

use std::borrow::Cow;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Datelike, SecondsFormat, Utc};
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet, XlsxError};
use serde::Serialize;
use tempfile::NamedTempFile;

use crate::columns::{AccountTable, CellValue, Column};

/// Maximum length of one cell's text in Excel, in UTF-16 code units.
pub const EXCEL_MAX_CELL_UTF16: usize = 32_767;

/// Text that ends a cell cut at [`EXCEL_MAX_CELL_UTF16`].
pub const TRUNCATION_MARKER: &str = "… [truncated]";

/// Name of the worksheet that contains the accounts.
pub const SHEET_NAME: &str = "Accounts";

/// Number format of date-time cells. The values are in UTC, as received.
pub const DATETIME_NUMBER_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// Maximum rows of an Excel worksheet, the header row included.
const EXCEL_MAX_ROWS: usize = 1_048_576;

/// Maximum columns of an Excel worksheet.
const EXCEL_MAX_COLUMNS: usize = 16_384;

/// Column width limits, in Excel character widths.
const MIN_COLUMN_WIDTH: usize = 8;
const MAX_COLUMN_WIDTH: usize = 60;

/// Extra width of a header cell for the autofilter's drop-down button.
const FILTER_BUTTON_WIDTH: usize = 3;

/// Width of a cell written as `yyyy-mm-dd hh:mm:ss`.
const DATETIME_WIDTH: usize = 19;

/// Length of `_x005F`, the prefix that keeps a literal `_xHHHH_` from being decoded.
const ESCAPE_PREFIX_LEN: usize = 6;

/// Counts of what [`write_workbook`] or [`WorkbookWriter::finish`] wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct WriteSummary {
    /// Data rows, not counting the header row.
    pub rows: usize,
    pub columns: usize,
    /// Cells whose text was cut at Excel's cell limit and marked with [`TRUNCATION_MARKER`].
    pub truncated_cells: usize,
}

/// Failure to write a workbook. When any of these is returned, the target
/// file is unchanged and no temporary file is left behind.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    #[error(
        "{} already exists and was left unchanged. Choose another file name, or allow replacing the file.",
        .path.display()
    )]
    TargetExists { path: PathBuf },

    #[error(
        "{} is a folder, not a file. Choose a file name inside it, such as accounts.xlsx.",
        .path.display()
    )]
    TargetIsFolder { path: PathBuf },

    #[error("{} has no file name. Choose a file name such as accounts.xlsx.", .path.display())]
    MissingFileName { path: PathBuf },

    #[error(
        "The folder {} does not exist. Create it or choose another folder for the workbook.",
        .folder.display()
    )]
    FolderNotFound { folder: PathBuf },

    #[error(
        "Cannot create files in the folder {} ({source}). Choose a folder you can write to.",
        .folder.display()
    )]
    FolderNotWritable { folder: PathBuf, source: io::Error },

    #[error("Could not create a temporary file in the folder {} ({source}). Check the free disk space and try again.", .folder.display())]
    TempFileFailed { folder: PathBuf, source: io::Error },

    #[error(
        "Cannot write {}: the export has {columns} columns, but an Excel worksheet has at most {max}.",
        .path.display(),
        max = EXCEL_MAX_COLUMNS
    )]
    TooManyColumns { path: PathBuf, columns: usize },

    #[error(
        "Cannot write {}: the export has more than {max} rows, the maximum an Excel worksheet has \
         below its header. Export fewer accounts.",
        .path.display(),
        max = EXCEL_MAX_ROWS - 1
    )]
    TooManyRows { path: PathBuf },

    #[error(
        "Cannot write {}: row {row} has {cells} cells, but the table has {columns} columns. \
         This is a bug in the app; please report it.",
        .path.display()
    )]
    RowWidthMismatch {
        path: PathBuf,
        /// Zero-based index of the data row.
        row: usize,
        cells: usize,
        columns: usize,
    },

    #[error("Could not build the workbook for {} ({source}).", .path.display())]
    Xlsx { path: PathBuf, source: XlsxError },

    #[error("Could not write the workbook {} ({source}). Check the free disk space and try again.", .path.display())]
    WriteFailed { path: PathBuf, source: io::Error },

    #[error("Could not move the finished workbook into place at {} ({source}). Check that the file is not open in another program and try again.", .path.display())]
    RenameFailed { path: PathBuf, source: io::Error },
}

/// Writes `table` to a new workbook at `target`, replacing an existing file
/// only when `overwrite` is true.
///
/// # Errors
///
/// Returns [`WorkbookError::TargetExists`] without writing anything when
/// `target` exists and `overwrite` is false, and the other variants when the
/// folder is missing or not writable, the table exceeds a worksheet's limits or
/// writing fails. The target is never left half-written.
pub fn write_workbook(
    table: &AccountTable,
    target: &Path,
    overwrite: bool,
) -> Result<WriteSummary, WorkbookError> {
    let mut writer = WorkbookWriter::new(target, &table.columns, overwrite)?;
    writer.write_rows(&table.rows)?;
    writer.finish()
}

/// A workbook being written: created with the header row, fed rows in one or
/// more batches, then finished, which saves it and renames it into place.
///
/// Dropping the writer without calling [`WorkbookWriter::finish`] deletes the
/// temporary file and leaves the target as it was.
///
/// NOTE: the rows are kept in memory until `finish`. rust_xlsxwriter's
/// constant-memory mode would avoid that, but then cells must be written in
/// row order and column widths set before the first row.
pub struct WorkbookWriter {
    target: PathBuf,
    overwrite: bool,
    temp_file: NamedTempFile,
    worksheet: Worksheet,
    datetime_format: Format,
    column_count: usize,
    /// Widest content seen so far per column, in characters.
    content_widths: Vec<usize>,
    rows_written: usize,
    truncated_cells: usize,
    max_cell_utf16: usize,
    started: Instant,
}

impl WorkbookWriter {
    /// Checks `target`, creates the temporary file next to it and writes the header row.
    ///
    /// # Errors
    ///
    /// Fails before writing anything when `target` is a folder, exists while
    /// `overwrite` is false, or its folder is missing or not writable.
    pub fn new(target: &Path, columns: &[Column], overwrite: bool) -> Result<Self, WorkbookError> {
        Self::with_cell_limit(target, columns, overwrite, EXCEL_MAX_CELL_UTF16)
    }

    /// Same as [`WorkbookWriter::new`] but cuts texts at `max_cell_utf16`
    /// UTF-16 units, which is capped at [`EXCEL_MAX_CELL_UTF16`]. Tests use a
    /// small limit to check truncation without huge texts.
    pub(crate) fn with_cell_limit(
        target: &Path,
        columns: &[Column],
        overwrite: bool,
        max_cell_utf16: usize,
    ) -> Result<Self, WorkbookError> {
        let started = Instant::now();
        if columns.len() > EXCEL_MAX_COLUMNS {
            return Err(WorkbookError::TooManyColumns {
                path: target.to_path_buf(),
                columns: columns.len(),
            });
        }
        let temp_file = create_temp_file(target, overwrite)?;

        let mut writer = WorkbookWriter {
            target: target.to_path_buf(),
            overwrite,
            temp_file,
            worksheet: Worksheet::new(),
            datetime_format: Format::new().set_num_format(DATETIME_NUMBER_FORMAT),
            column_count: columns.len(),
            content_widths: vec![0; columns.len()],
            rows_written: 0,
            truncated_cells: 0,
            max_cell_utf16: max_cell_utf16.min(EXCEL_MAX_CELL_UTF16),
            started,
        };
        writer.write_header(columns)?;

        Ok(writer)
    }

    /// Appends `rows` below the rows written so far.
    ///
    /// # Errors
    ///
    /// Fails when a row's length differs from the number of columns or the
    /// sheet would exceed Excel's row limit. Nothing of the batch is written
    /// in the row-limit case, but the rows before a bad row are, so drop the
    /// writer after an error rather than finish it.
    pub fn write_rows(&mut self, rows: &[Vec<CellValue>]) -> Result<(), WorkbookError> {
        if self.rows_written + rows.len() > EXCEL_MAX_ROWS - 1 {
            return Err(WorkbookError::TooManyRows {
                path: self.target.clone(),
            });
        }

        for row in rows {
            if row.len() != self.column_count {
                return Err(WorkbookError::RowWidthMismatch {
                    path: self.target.clone(),
                    row: self.rows_written,
                    cells: row.len(),
                    columns: self.column_count,
                });
            }

            // The header is row 0 and rows_written stays below EXCEL_MAX_ROWS, so both indexes fit.
            let row_index = (self.rows_written + 1) as RowNum;
            for (column_index, cell) in row.iter().enumerate() {
                self.write_cell(row_index, column_index, cell)?;
            }
            self.rows_written += 1;
        }

        Ok(())
    }

    /// Sets the column widths, freeze pane and autofilter, saves the workbook
    /// to the temporary file and renames it to the target.
    ///
    /// # Errors
    ///
    /// Fails when saving or renaming fails, or when the target appeared in the
    /// meantime while `overwrite` is false. The temporary file is then deleted.
    pub fn finish(mut self) -> Result<WriteSummary, WorkbookError> {
        self.apply_layout()?;

        let mut workbook = Workbook::new();
        workbook.push_worksheet(self.worksheet);
        save_to_file(&mut workbook, self.temp_file.as_file_mut(), &self.target)?;

        persist(self.temp_file, &self.target, self.overwrite)?;

        let summary = WriteSummary {
            rows: self.rows_written,
            columns: self.column_count,
            truncated_cells: self.truncated_cells,
        };
        tracing::info!(
            path = %self.target.display(),
            rows = summary.rows,
            columns = summary.columns,
            truncated_cells = summary.truncated_cells,
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "workbook written"
        );
        Ok(summary)
    }

    fn write_header(&mut self, columns: &[Column]) -> Result<(), WorkbookError> {
        self.worksheet
            .set_name(SHEET_NAME)
            .map_err(|source| xlsx_error(&self.target, source))?;

        let bold = Format::new().set_bold();
        for (index, column) in columns.iter().enumerate() {
            let written = write_text_cell(
                &mut self.worksheet,
                (0, index as ColNum),
                &column.header,
                Some(&bold),
                self.max_cell_utf16,
            )
            .map_err(|source| xlsx_error(&self.target, source))?;
            self.truncated_cells += usize::from(written.truncated);
            self.content_widths[index] = written.width + FILTER_BUTTON_WIDTH;
        }

        Ok(())
    }

    fn write_cell(
        &mut self,
        row: RowNum,
        column_index: usize,
        cell: &CellValue,
    ) -> Result<(), WorkbookError> {
        let column = column_index as ColNum;
        let width = match cell {
            CellValue::Empty => 0,
            CellValue::Text(text) => self.write_text(row, column, text)?,
            CellValue::Number(number) if number.is_finite() => {
                self.worksheet
                    .write_number(row, column, *number)
                    .map_err(|source| xlsx_error(&self.target, source))?;
                number.to_string().len()
            }
            // Excel has no NaN or infinity, so they are kept readable as text.
            CellValue::Number(number) => self.write_text(row, column, &number.to_string())?,
            CellValue::Bool(flag) => {
                self.worksheet
                    .write_boolean(row, column, *flag)
                    .map_err(|source| xlsx_error(&self.target, source))?;
                "FALSE".len()
            }
            CellValue::DateTime(datetime) if is_excel_date(datetime) => {
                self.worksheet
                    .write_datetime_with_format(
                        row,
                        column,
                        datetime.naive_utc(),
                        &self.datetime_format,
                    )
                    .map_err(|source| xlsx_error(&self.target, source))?;
                DATETIME_WIDTH
            }
            // Excel dates start in 1900 and end in 9999, so other years stay readable as text.
            CellValue::DateTime(datetime) => {
                let text = datetime.to_rfc3339_opts(SecondsFormat::AutoSi, true);
                self.write_text(row, column, &text)?
            }
        };

        let widest = &mut self.content_widths[column_index];
        *widest = (*widest).max(width);
        Ok(())
    }

    /// Writes `text` as a string cell, cut to the cell limit, and returns its display width.
    fn write_text(
        &mut self,
        row: RowNum,
        column: ColNum,
        text: &str,
    ) -> Result<usize, WorkbookError> {
        let written = write_text_cell(
            &mut self.worksheet,
            (row, column),
            text,
            None,
            self.max_cell_utf16,
        )
        .map_err(|source| xlsx_error(&self.target, source))?;
        self.truncated_cells += usize::from(written.truncated);

        Ok(written.width)
    }

    fn apply_layout(&mut self) -> Result<(), WorkbookError> {
        for (index, content_width) in self.content_widths.iter().enumerate() {
            let width = (content_width + 1).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH);
            self.worksheet
                .set_column_width(index as ColNum, width as f64)
                .map_err(|source| xlsx_error(&self.target, source))?;
        }

        if self.column_count == 0 {
            return Ok(());
        }
        let last_column = (self.column_count - 1) as ColNum;
        self.worksheet
            .set_freeze_panes(1, 0)
            .map_err(|source| xlsx_error(&self.target, source))?;
        self.worksheet
            .autofilter(0, 0, self.rows_written as RowNum, last_column)
            .map_err(|source| xlsx_error(&self.target, source))?;

        Ok(())
    }
}

fn xlsx_error(target: &Path, source: XlsxError) -> WorkbookError {
    WorkbookError::Xlsx {
        path: target.to_path_buf(),
        source,
    }
}

/// Checks `target` and creates an empty temporary file in its folder.
fn create_temp_file(target: &Path, overwrite: bool) -> Result<NamedTempFile, WorkbookError> {
    let Some(file_name) = target.file_name() else {
        return Err(WorkbookError::MissingFileName {
            path: target.to_path_buf(),
        });
    };
    if target.is_dir() {
        return Err(WorkbookError::TargetIsFolder {
            path: target.to_path_buf(),
        });
    }
    // symlink_metadata also detects a dangling link, which a rename would replace.
    if !overwrite && target.symlink_metadata().is_ok() {
        return Err(WorkbookError::TargetExists {
            path: target.to_path_buf(),
        });
    }

    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !folder.is_dir() {
        return Err(WorkbookError::FolderNotFound { folder });
    }

    // A hidden name next to the target, so the rename stays on one file system.
    let mut prefix = std::ffi::OsString::from(".");
    prefix.push(file_name);
    prefix.push(".");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile creates files readable only by the owner. 0o666 minus the umask
    // gives the workbook the permissions of any other file the user saves.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }

    builder
        .tempfile_in(&folder)
        .map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => WorkbookError::FolderNotFound {
                folder: folder.clone(),
            },
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                WorkbookError::FolderNotWritable {
                    folder: folder.clone(),
                    source,
                }
            }
            _ => WorkbookError::TempFileFailed {
                folder: folder.clone(),
                source,
            },
        })
}

/// Saves `workbook` into `file` and flushes it to disk.
fn save_to_file(
    workbook: &mut Workbook,
    file: &mut File,
    target: &Path,
) -> Result<(), WorkbookError> {
    let write_failed = |source: io::Error| WorkbookError::WriteFailed {
        path: target.to_path_buf(),
        source,
    };

    let mut buffered = BufWriter::new(&mut *file);
    workbook
        .save_to_writer(&mut buffered)
        .map_err(|source| match source {
            XlsxError::IoError(source) => write_failed(source),
            other => xlsx_error(target, other),
        })?;
    buffered.flush().map_err(write_failed)?;
    drop(buffered);

    // Without this, a crash right after the rename could leave an empty target.
    file.sync_all().map_err(write_failed)
}

/// Renames the finished temporary file to `target`. Without `overwrite`, the
/// rename fails rather than replace a file created since the checks in `new`.
fn persist(temp_file: NamedTempFile, target: &Path, overwrite: bool) -> Result<(), WorkbookError> {
    let result = if overwrite {
        temp_file.persist(target)
    } else {
        temp_file.persist_noclobber(target)
    };

    // The error owns the temporary file, and dropping it here deletes the file.
    result.map(drop).map_err(|error| {
        if !overwrite && error.error.kind() == io::ErrorKind::AlreadyExists {
            WorkbookError::TargetExists {
                path: target.to_path_buf(),
            }
        } else {
            WorkbookError::RenameFailed {
                path: target.to_path_buf(),
                source: error.error,
            }
        }
    })
}

/// Returns whether Excel can show `datetime` as a date: years 1900 to 9999.
fn is_excel_date(datetime: &DateTime<Utc>) -> bool {
    (1900..=9999).contains(&datetime.year())
}

/// Outcome of writing one text cell.
struct WrittenText {
    /// Display width of the text as written, in characters.
    width: usize,
    truncated: bool,
}

/// Writes `text` to a string cell, cut to `max_utf16` UTF-16 units by [`fit_cell_text`].
///
/// A text that starts with `<r>` and ends with `</r>` is written as a rich
/// string with one unformatted run. rust_xlsxwriter 0.102 copies any shared
/// string of that shape into `sharedStrings.xml` unescaped, as if it were
/// rich-text XML, so as a plain string it would corrupt the file.
fn write_text_cell(
    worksheet: &mut Worksheet,
    (row, column): (RowNum, ColNum),
    text: &str,
    format: Option<&Format>,
    max_utf16: usize,
) -> Result<WrittenText, XlsxError> {
    let (text, truncated) = fit_cell_text(text, max_utf16);

    if is_rich_text_lookalike(&text) {
        let run_text = escape_literal_escapes(&text);
        let runs = [(&Format::default(), run_text.as_ref())];
        match format {
            Some(format) => worksheet.write_rich_string_with_format(row, column, &runs, format)?,
            None => worksheet.write_rich_string(row, column, &runs)?,
        };
    } else {
        match format {
            Some(format) => {
                worksheet.write_string_with_format(row, column, text.as_ref(), format)?
            }
            None => worksheet.write_string(row, column, text.as_ref())?,
        };
    }

    Ok(WrittenText {
        width: text_width(&text),
        truncated,
    })
}

/// Cuts `text` so that it fits a cell of `max_utf16` UTF-16 units, and returns
/// it with whether it was cut.
///
/// A cut text ends with [`TRUNCATION_MARKER`], which counts towards the limit,
/// unless the limit is shorter than the marker. The cut never splits a
/// character. A text written as a rich string must also fit once it is XML,
/// because rust_xlsxwriter checks the limit on that form. When it does not,
/// the cut text ends with the marker and so is written as a plain string.
fn fit_cell_text(text: &str, max_utf16: usize) -> (Cow<'_, str>, bool) {
    let text_len = text.encode_utf16().count();
    let rich_fits = !is_rich_text_lookalike(text) || rich_xml_len(text) <= EXCEL_MAX_CELL_UTF16;
    if text_len <= max_utf16 && rich_fits {
        return (Cow::Borrowed(text), false);
    }

    let marker_len = TRUNCATION_MARKER.encode_utf16().count();
    let (budget, marker) = if max_utf16 >= marker_len {
        (max_utf16 - marker_len, TRUNCATION_MARKER)
    } else {
        (max_utf16, "")
    };
    // Drop at least the last character, so a text cut only for its XML length changes shape.
    let budget = budget.min(text_len.saturating_sub(1));

    let mut used = 0;
    let mut end = 0;
    for (index, character) in text.char_indices() {
        if used + character.len_utf16() > budget {
            break;
        }
        used += character.len_utf16();
        end = index + character.len_utf8();
    }

    let mut cut = format!("{}{marker}", &text[..end]);
    if is_rich_text_lookalike(&cut) {
        // Only possible without a marker: dropping the final `>` ends the lookalike.
        cut.pop();
    }
    (Cow::Owned(cut), true)
}

/// Returns whether rust_xlsxwriter would take `text` for rich-text XML.
fn is_rich_text_lookalike(text: &str) -> bool {
    text.starts_with("<r>") && text.ends_with("</r>")
}

/// Computes the length in UTF-16 units of the XML that rust_xlsxwriter 0.102
/// stores for `text` as a one-run rich string: `<r><t>…</t></r>` around the
/// text with XML escapes and [`escape_literal_escapes`] applied.
fn rich_xml_len(text: &str) -> usize {
    const RUN_TAGS_LEN: usize = "<r><t></t></r>".len();

    let escaped_len: usize = text
        .chars()
        .map(|character| match character {
            '&' => "&amp;".len(),
            '<' | '>' => "&lt;".len(),
            '\t' | '\n' => 1,
            '\x00'..='\x1F' | '\u{FFFE}' | '\u{FFFF}' => "_x0000_".len(),
            other => other.len_utf16(),
        })
        .sum();
    RUN_TAGS_LEN + escaped_len + ESCAPE_PREFIX_LEN * literal_escape_count(text)
}

/// Escapes every literal `_xHHHH_` in `text` as `_x005F_xHHHH_`.
///
/// Excel and other readers decode `_xHHHH_` in a cell's text as the UTF-16
/// unit `HHHH`, which is how control characters are stored. rust_xlsxwriter
/// 0.102 escapes such sequences in plain strings but not in rich string runs,
/// so this is applied to run text only. Each underscore that starts such a
/// sequence becomes `_x005F_`, the escape for `_` itself.
fn escape_literal_escapes(text: &str) -> Cow<'_, str> {
    if literal_escape_count(text) == 0 {
        return Cow::Borrowed(text);
    }

    let mut escaped = String::with_capacity(text.len() + 16);
    for (index, character) in text.char_indices() {
        if is_literal_escape_at(text, index) {
            escaped.push_str("_x005F");
        }
        escaped.push(character);
    }
    Cow::Owned(escaped)
}

fn literal_escape_count(text: &str) -> usize {
    text.match_indices('_')
        .filter(|(index, _)| is_literal_escape_at(text, *index))
        .count()
}

/// Returns whether `_xHHHH_` (with hexadecimal digits `H`) starts at byte `index`.
fn is_literal_escape_at(text: &str, index: usize) -> bool {
    let Some(bytes) = text.as_bytes().get(index..index + 7) else {
        return false;
    };
    bytes[0] == b'_'
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

/// Estimates the display width of `text` in characters: its longest line,
/// stopping early once it is wider than any column gets.
fn text_width(text: &str) -> usize {
    text.lines()
        .map(|line| line.chars().take(MAX_COLUMN_WIDTH + 1).count())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::ColumnKind;
    use calamine::{open_workbook, Data, Reader, Xlsx};

    fn text_columns(count: usize) -> Vec<Column> {
        (0..count)
            .map(|index| Column {
                key: format!("c{index}"),
                header: format!("Column {index}"),
                kind: ColumnKind::Text,
            })
            .collect()
    }

    fn read_cells(path: &Path) -> Vec<Vec<Data>> {
        let mut workbook: Xlsx<_> = open_workbook(path).unwrap();
        let range = workbook.worksheet_range(SHEET_NAME).unwrap();
        range.rows().map(|row| row.to_vec()).collect()
    }

    #[test]
    fn fit_keeps_short_text() {
        let (text, truncated) = fit_cell_text("hello", 5);

        assert_eq!(text, "hello");
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
    fn fit_keeps_rich_lookalike_that_fits() {
        let (text, truncated) = fit_cell_text("<r>bold</r>", 11);

        assert_eq!(text, "<r>bold</r>");
        assert!(!truncated);
    }

    #[test]
    fn fit_cuts_rich_lookalike_too_long_as_xml() {
        // 20,003 units of text, but every `<` becomes `&lt;` in the rich string's XML.
        let input = format!("<r>{}</r>", "<".repeat(19_996));

        let (text, truncated) = fit_cell_text(&input, EXCEL_MAX_CELL_UTF16);

        assert!(truncated);
        assert!(text.ends_with(TRUNCATION_MARKER));
        assert!(!is_rich_text_lookalike(&text));
        assert_eq!(
            text.encode_utf16().count(),
            input.encode_utf16().count() - 1 + 13
        );
    }

    #[test]
    fn fit_below_marker_ends_rich_lookalike() {
        let (text, truncated) = fit_cell_text("<r>a</r><r>b</r>", 8);

        assert!(truncated);
        assert_eq!(text, "<r>a</r");
    }

    #[test]
    fn rich_xml_len_counts_escapes() {
        assert_eq!(rich_xml_len("<r>a</r>"), 14 + 9 + 1 + 10);
        assert_eq!(rich_xml_len("<r>_x0041_\r</r>"), 14 + 9 + 7 + 6 + 7 + 10);
    }

    #[test]
    fn escape_literal_sequences() {
        assert_eq!(escape_literal_escapes("plain_text"), "plain_text");
        assert_eq!(escape_literal_escapes("_x0041_"), "_x005F_x0041_");
        assert_eq!(
            escape_literal_escapes("_x0041_x00e9_"),
            "_x005F_x0041_x005F_x00e9_"
        );
        assert_eq!(escape_literal_escapes("_x00G1_"), "_x00G1_");
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

        let mut writer = WorkbookWriter::with_cell_limit(&target, &columns, false, 20).unwrap();
        writer.write_rows(&rows).unwrap();
        let summary = writer.finish().unwrap();

        assert_eq!(summary.truncated_cells, 1);
        let cells = read_cells(&target);
        let expected = format!("{}{TRUNCATION_MARKER}", "x".repeat(7));
        assert_eq!(cells[1][0], Data::String(expected));
        assert_eq!(cells[1][1], Data::String("short".into()));
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
        ];
        let mut columns = text_columns(row.len());
        columns[0].header = "<r>header</r>".into();
        let table = AccountTable {
            columns,
            rows: vec![row],
        };

        let summary = write_workbook(&table, &target, false).unwrap();

        assert_eq!(summary.truncated_cells, 0);
        let cells = read_cells(&target);
        assert_eq!(cells[0][0], Data::String("<r>header</r>".into()));
        assert_eq!(cells[1][0], Data::String("_x0041_ and _x000D_".into()));
        assert_eq!(cells[1][1], Data::String("<r>abc</r>".into()));
        assert_eq!(cells[1][2], Data::String("<r>_x0041_ & \r</r>".into()));
        assert_eq!(cells[1][3], Data::String("0001-01-01T00:00:00Z".into()));
        assert_eq!(cells[1][4], Data::String("NaN".into()));
    }

    #[test]
    fn writer_cuts_long_rich_lookalike() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("long.xlsx");
        let text = format!("<r>{}</r>", "<&>".repeat(8_000));
        let table = AccountTable {
            columns: text_columns(1),
            rows: vec![vec![CellValue::Text(text.clone())]],
        };

        let summary = write_workbook(&table, &target, false).unwrap();

        assert_eq!(summary.truncated_cells, 1);
        let expected = format!("{}{TRUNCATION_MARKER}", &text[..text.len() - 1]);
        assert_eq!(read_cells(&target)[1][0], Data::String(expected));
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
                WorkbookError::TooManyRows { path: path.clone() },
                "Cannot write /data/accounts.xlsx: the export has more than 1048575 rows, the \
                 maximum an Excel worksheet has below its header. Export fewer accounts.",
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
}
