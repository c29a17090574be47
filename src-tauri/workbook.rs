//! Writes table rows to an `.xlsx` workbook in constant memory, without ever
//! leaving a broken file.
//!
//! The rows go to the sheet `Accounts`, which has a bold frozen header row, an
//! autofilter and column widths fitted to the content. Once a sheet contains
//! [`SheetLimits::max_data_rows`] rows (by default Excel's 1,048,575 below the
//! header), the rows continue on `Accounts (2)`, `Accounts (3)` and so on, each
//! with the same header and layout. Every text is written as a string cell, so
//! text such as `=1+1` never becomes a formula. Dates outside Excel's years
//! 1900 to 9999 and non-finite numbers are written as text, and texts longer
//! than a cell allows are cut and listed in the [`WriteSummary`].
//!
//! Worksheets use rust_xlsxwriter's constant-memory mode: each row goes to an
//! anonymous temporary file in the target's folder as soon as the next row
//! starts, so memory does not grow with the number of rows. The target's
//! folder is used rather than the system's temporary folder because the
//! latter is often a RAM-backed tmpfs, and because the checks before writing
//! have shown that the folder is writable. rust_xlsxwriter 0.102 writes a
//! sheet's column widths, freeze pane and autofilter when the workbook is
//! saved, so the widths are fitted to every row of the sheet, not only the
//! first ones.
//!
//! The workbook is saved to a hidden temporary file in the target's folder and
//! renamed into place only when complete, so a failed or abandoned export
//! leaves an existing file untouched.
//!
//! Which columns exist and how an account becomes cells is decided by
//! [`crate::columns`]; this module only lays the cells out in Excel.

mod cells;
mod save;
pub mod spill;

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rust_xlsxwriter::utility::row_col_to_cell;
use rust_xlsxwriter::{ColNum, Format, RowNum, Workbook, Worksheet, XlsxError};
use serde::Serialize;
use tempfile::NamedTempFile;

use crate::columns::{AccountTable, CellValue, Column};
use cells::{fit_cell_text, write_cell, write_text_cell};
pub use spill::{RowSpill, SpillError, SpillRows};

/// Maximum length of one cell's text in Excel, in UTF-16 code units.
pub const EXCEL_MAX_CELL_UTF16: usize = 32_767;

/// Maximum data rows of an Excel worksheet: 1,048,576 rows minus the header row.
pub const EXCEL_MAX_DATA_ROWS: usize = 1_048_575;

/// Maximum worksheets one workbook gets. An export that would need more is
/// rejected with [`WorkbookError::TooManyRows`].
pub const MAX_SHEETS: usize = 100;

/// Maximum truncated cells listed in [`WriteSummary::truncated`]. All are counted.
pub const MAX_LISTED_TRUNCATIONS: usize = 100;

/// Text that ends a cell cut at the cell limit.
pub const TRUNCATION_MARKER: &str = "… [truncated]";

/// Name of the first worksheet. Further worksheets add ` (2)`, ` (3)` and so on.
pub const SHEET_NAME: &str = "Accounts";

/// Number format of date-time cells. The values are in UTC, as received.
pub const DATETIME_NUMBER_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// Maximum columns of an Excel worksheet.
const EXCEL_MAX_COLUMNS: usize = 16_384;

/// Column width limits, in Excel character widths.
const MIN_COLUMN_WIDTH: usize = 8;
const MAX_COLUMN_WIDTH: usize = 60;

/// Deflate level of the saved file, from 1 (fastest) to 9 (smallest).
const ZIP_COMPRESSION_LEVEL: u8 = 1;

/// Extra width of a header cell for the autofilter's drop-down button.
const FILTER_BUTTON_WIDTH: usize = 3;

/// Outcome of [`write_workbook`] or [`WorkbookWriter::finish`]: what the saved workbook contains.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WriteSummary {
    /// Data rows over all sheets, not counting the header rows.
    pub rows: usize,
    pub columns: usize,
    /// Names of the worksheets, in order.
    pub sheets: Vec<String>,
    /// Cells whose text was cut at the cell limit and marked with [`TRUNCATION_MARKER`].
    pub truncated_cells: usize,
    /// The first [`MAX_LISTED_TRUNCATIONS`] of those cells, in the order written.
    pub truncated: Vec<TruncatedCell>,
}

/// A cell whose text was cut at the cell limit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TruncatedCell {
    /// Name of the worksheet.
    pub sheet: String,
    /// Address in A1 notation, such as `D17`.
    pub cell: String,
    /// Header of the cell's column as written, itself cut if it is too long.
    pub header: String,
}

/// Limits of each worksheet that a [`WorkbookWriter`] writes. The defaults are Excel's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SheetLimits {
    /// Data rows per worksheet below its header, from 1 to [`EXCEL_MAX_DATA_ROWS`].
    /// Further rows continue on a new worksheet.
    pub max_data_rows: usize,
    /// Length of a cell's text in UTF-16 code units, at most
    /// [`EXCEL_MAX_CELL_UTF16`]. Longer texts are cut.
    pub max_cell_utf16: usize,
}

impl Default for SheetLimits {
    fn default() -> Self {
        SheetLimits {
            max_data_rows: EXCEL_MAX_DATA_ROWS,
            max_cell_utf16: EXCEL_MAX_CELL_UTF16,
        }
    }
}

impl SheetLimits {
    /// Returns the limits moved into the ranges that Excel accepts.
    fn clamped(self) -> Self {
        SheetLimits {
            max_data_rows: self.max_data_rows.clamp(1, EXCEL_MAX_DATA_ROWS),
            max_cell_utf16: self.max_cell_utf16.min(EXCEL_MAX_CELL_UTF16),
        }
    }
}

/// Failure to write a workbook. When any of these is returned by
/// [`write_workbook`] or [`WorkbookWriter::finish`], the target file is
/// unchanged and no temporary file is left behind.
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
        "Cannot write {}: the export has more than {max_rows} rows, which would need more than \
         {max_sheets} worksheets. Export fewer accounts.",
        .path.display(),
        max_sheets = MAX_SHEETS
    )]
    TooManyRows {
        path: PathBuf,
        /// Data rows of [`MAX_SHEETS`] full worksheets.
        max_rows: usize,
    },

    #[error(
        "Cannot write {}: row {row} has {cells} cells, but the table has {columns} columns. \
         This is a bug in the app; please report it.",
        .path.display()
    )]
    RowWidthMismatch {
        path: PathBuf,
        /// Zero-based index of the data row over all sheets.
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

    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// Checks that a workbook can be saved at `target`, without writing it: the
/// path names a file in an existing, writable folder, and does not exist
/// unless `overwrite` is true. Creates and deletes a temporary file to know.
pub fn check_target(target: &Path, overwrite: bool) -> Result<(), WorkbookError> {
    save::create_temp_file(target, overwrite).map(|_| ())
}

/// Writes `table` to a new workbook at `target`, replacing an existing file
/// only when `overwrite` is true.
///
/// # Errors
///
/// Returns [`WorkbookError::TargetExists`] without writing anything when
/// `target` exists and `overwrite` is false, and the other variants when the
/// folder is missing or not writable, the table exceeds a workbook's limits or
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
/// Rows are written to disk as they arrive, so memory stays flat however many
/// rows there are. Dropping the writer without calling
/// [`WorkbookWriter::finish`] deletes every temporary file and leaves the
/// target as it was; this is how an export is cancelled.
///
/// Columns can be appended with [`WorkbookWriter::add_columns`]. Once rows are
/// written, the header of their sheet is on disk and cannot get the new
/// columns, so [`WorkbookWriter::needs_rebuild`] turns true: the caller should
/// then drop this writer and write a new one from a [`RowSpill`] of the rows.
pub struct WorkbookWriter {
    target: PathBuf,
    overwrite: bool,
    temp_file: NamedTempFile,
    workbook: Workbook,
    bold: Format,
    datetime_format: Format,
    limits: SheetLimits,
    /// Header of each column as given, before any cut to the cell limit.
    headers: Vec<String>,
    /// The worksheet that rows are written to, the last of `sheet_names`.
    sheet: Sheet,
    sheet_names: Vec<String>,
    rows_written: usize,
    needs_rebuild: bool,
    truncated_cells: usize,
    truncated: Vec<TruncatedCell>,
    started: Instant,
}

/// The worksheet that a [`WorkbookWriter`] writes rows to.
struct Sheet {
    /// Position in the workbook.
    index: usize,
    name: String,
    data_rows: usize,
    /// Widest content seen so far per column, in characters.
    content_widths: Vec<usize>,
}

impl WorkbookWriter {
    /// Checks `target`, creates the temporary file next to it and writes the
    /// header row, with Excel's limits for rows and cell length.
    ///
    /// # Errors
    ///
    /// Fails before writing anything when `target` is a folder, exists while
    /// `overwrite` is false, its folder is missing or not writable, or there
    /// are more columns than a worksheet has.
    pub fn new(target: &Path, columns: &[Column], overwrite: bool) -> Result<Self, WorkbookError> {
        Self::with_limits(target, columns, overwrite, SheetLimits::default())
    }

    /// Same as [`WorkbookWriter::new`] with other sheet limits, which are
    /// clamped to Excel's. Tests use small limits to check sheet splits and
    /// truncation without huge inputs.
    ///
    /// # Errors
    ///
    /// As [`WorkbookWriter::new`].
    pub fn with_limits(
        target: &Path,
        columns: &[Column],
        overwrite: bool,
        limits: SheetLimits,
    ) -> Result<Self, WorkbookError> {
        let started = Instant::now();
        if columns.len() > EXCEL_MAX_COLUMNS {
            return Err(WorkbookError::TooManyColumns {
                path: target.to_path_buf(),
                columns: columns.len(),
            });
        }
        let (temp_file, folder) = save::create_temp_file(target, overwrite)?;

        let mut workbook = Workbook::new();
        workbook
            .set_tempdir(&folder)
            .map_err(|source| xlsx_error(target, source))?;
        // Compressing the sheet XML is most of the time spent saving. Level 1
        // instead of the default 6 saves much of that for a somewhat larger file.
        workbook.set_zip_compression_level(ZIP_COMPRESSION_LEVEL);

        let headers = columns.iter().map(|column| column.header.clone()).collect();
        let mut writer = WorkbookWriter {
            target: target.to_path_buf(),
            overwrite,
            temp_file,
            workbook,
            bold: Format::new().set_bold(),
            datetime_format: Format::new().set_num_format(DATETIME_NUMBER_FORMAT),
            limits: limits.clamped(),
            headers,
            // Replaced by the first sheet right below.
            sheet: Sheet {
                index: 0,
                name: String::new(),
                data_rows: 0,
                content_widths: Vec::new(),
            },
            sheet_names: Vec::new(),
            rows_written: 0,
            needs_rebuild: false,
            truncated_cells: 0,
            truncated: Vec::new(),
            started,
        };
        writer.add_sheet()?;

        Ok(writer)
    }

    /// Appends `rows` below the rows written so far, starting a new worksheet
    /// whenever the current one is full.
    ///
    /// Each row must have one cell per column, counting the columns added
    /// with [`WorkbookWriter::add_columns`].
    ///
    /// # Errors
    ///
    /// Fails when a row's length differs from the number of columns, when the
    /// rows would need more than [`MAX_SHEETS`] worksheets, or when writing
    /// fails. Nothing of the batch is written in the too-many-rows case, but
    /// the rows before a bad row are, so drop the writer after an error rather
    /// than finish it.
    pub fn write_rows(&mut self, rows: &[Vec<CellValue>]) -> Result<(), WorkbookError> {
        let max_rows = self.limits.max_data_rows * MAX_SHEETS;
        if self.rows_written + rows.len() > max_rows {
            return Err(WorkbookError::TooManyRows {
                path: self.target.clone(),
                max_rows,
            });
        }

        for row in rows {
            if row.len() != self.headers.len() {
                return Err(WorkbookError::RowWidthMismatch {
                    path: self.target.clone(),
                    row: self.rows_written,
                    cells: row.len(),
                    columns: self.headers.len(),
                });
            }
            if self.sheet.data_rows == self.limits.max_data_rows {
                self.apply_layout()?;
                self.add_sheet()?;
            }
            self.write_row(row)?;
        }

        Ok(())
    }

    /// Appends `columns` after the existing ones.
    ///
    /// Before the first data row, their headers join the header row. After
    /// it, only sheets started from now on get their headers, and
    /// [`WorkbookWriter::needs_rebuild`] returns true from then on.
    ///
    /// # Errors
    ///
    /// Fails when the columns would exceed Excel's column limit, or when
    /// writing the header cells fails.
    pub fn add_columns(&mut self, columns: &[Column]) -> Result<(), WorkbookError> {
        let total = self.headers.len() + columns.len();
        if total > EXCEL_MAX_COLUMNS {
            return Err(WorkbookError::TooManyColumns {
                path: self.target.clone(),
                columns: total,
            });
        }
        if columns.is_empty() {
            return Ok(());
        }

        let first_new = self.headers.len();
        self.headers
            .extend(columns.iter().map(|column| column.header.clone()));
        self.sheet.content_widths.resize(total, 0);

        // In constant-memory mode the header row stays writable until the first data row.
        if self.sheet.data_rows == 0 {
            self.write_header(first_new)?;
        }
        if self.rows_written > 0 {
            self.needs_rebuild = true;
        }

        Ok(())
    }

    /// Returns true once columns were added after data rows were written.
    ///
    /// The headers of those columns are then missing from the sheets written
    /// before, so the workbook should be written again by a new writer with
    /// all columns. [`WorkbookWriter::write_rows`] rejects short rows, so pad
    /// each earlier row with [`CellValue::Empty`] to the full column count.
    pub fn needs_rebuild(&self) -> bool {
        self.needs_rebuild
    }

    /// Sets the layout of the last sheet, saves the workbook to the temporary
    /// file and renames it to the target.
    ///
    /// # Errors
    ///
    /// Fails when saving or renaming fails, or when the target appeared in the
    /// meantime while `overwrite` is false. The temporary files are then deleted.
    pub fn finish(self) -> Result<WriteSummary, WorkbookError> {
        let summary = self.finish_unless(|| false)?;
        Ok(summary.expect("a finish that cannot be cancelled always saves"))
    }

    /// Like [`WorkbookWriter::finish`], but checks `cancelled` after saving the
    /// temporary file and before renaming it to the target. When it returns
    /// true, the temporary file is deleted, the target is not touched and the
    /// result is `Ok(None)`.
    ///
    /// # Errors
    ///
    /// As [`WorkbookWriter::finish`].
    pub fn finish_unless(
        mut self,
        cancelled: impl Fn() -> bool,
    ) -> Result<Option<WriteSummary>, WorkbookError> {
        self.apply_layout()?;
        if self.needs_rebuild {
            tracing::warn!(
                path = %self.target.display(),
                "workbook finished without a rebuild, so sheets written before columns were added lack their headers"
            );
        }

        catch_write_panic(&self.target, || {
            save::save_to_file(
                &mut self.workbook,
                self.temp_file.as_file_mut(),
                &self.target,
            )
        })?;
        if cancelled() {
            tracing::info!(path = %self.target.display(), "workbook discarded after a cancel");
            return Ok(None);
        }
        save::persist(self.temp_file, &self.target, self.overwrite)?;

        let summary = WriteSummary {
            rows: self.rows_written,
            columns: self.headers.len(),
            sheets: self.sheet_names,
            truncated_cells: self.truncated_cells,
            truncated: self.truncated,
        };
        tracing::info!(
            path = %self.target.display(),
            rows = summary.rows,
            columns = summary.columns,
            sheets = summary.sheets.len(),
            truncated_cells = summary.truncated_cells,
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "workbook written"
        );
        Ok(Some(summary))
    }

    /// Adds the next worksheet, makes it the current one and writes its header row.
    fn add_sheet(&mut self) -> Result<(), WorkbookError> {
        let number = self.sheet_names.len() + 1;
        if number > MAX_SHEETS {
            return Err(WorkbookError::TooManyRows {
                path: self.target.clone(),
                max_rows: self.limits.max_data_rows * MAX_SHEETS,
            });
        }
        let name = match number {
            1 => SHEET_NAME.to_owned(),
            _ => format!("{SHEET_NAME} ({number})"),
        };

        let worksheet = self
            .workbook
            .add_worksheet_with_constant_memory()
            .map_err(|source| xlsx_error(&self.target, source))?;
        worksheet
            .set_name(&name)
            .map_err(|source| xlsx_error(&self.target, source))?;

        self.sheet = Sheet {
            index: number - 1,
            name: name.clone(),
            data_rows: 0,
            content_widths: vec![0; self.headers.len()],
        };
        self.sheet_names.push(name);
        self.write_header(0)
    }

    /// Writes the headers from `first_column` on to the current sheet's first row.
    fn write_header(&mut self, first_column: usize) -> Result<(), WorkbookError> {
        let worksheet = current_worksheet(&mut self.workbook, &self.sheet, &self.target)?;
        let widths = &mut self.sheet.content_widths;
        let mut truncated_columns = Vec::new();
        catch_write_panic(&self.target, || {
            for (column, header) in self.headers.iter().enumerate().skip(first_column) {
                let written = write_text_cell(
                    worksheet,
                    (0, column as ColNum),
                    header,
                    Some(&self.bold),
                    self.limits.max_cell_utf16,
                )
                .map_err(|source| xlsx_error(&self.target, source))?;
                widths[column] = written.width + FILTER_BUTTON_WIDTH;
                if written.truncated {
                    truncated_columns.push(column);
                }
            }
            Ok(())
        })?;

        for column in truncated_columns {
            self.record_truncation(0, column);
        }
        Ok(())
    }

    /// Writes `row` below the current sheet's last row.
    fn write_row(&mut self, row: &[CellValue]) -> Result<(), WorkbookError> {
        // The header is row 0 and data_rows stays below EXCEL_MAX_DATA_ROWS, so the index fits.
        let row_index = (self.sheet.data_rows + 1) as RowNum;
        let worksheet = current_worksheet(&mut self.workbook, &self.sheet, &self.target)?;
        let widths = &mut self.sheet.content_widths;
        let mut truncated_columns = Vec::new();
        catch_write_panic(&self.target, || {
            for (column, cell) in row.iter().enumerate() {
                let written = write_cell(
                    worksheet,
                    (row_index, column as ColNum),
                    cell,
                    &self.datetime_format,
                    self.limits.max_cell_utf16,
                )
                .map_err(|source| xlsx_error(&self.target, source))?;
                widths[column] = widths[column].max(written.width);
                if written.truncated {
                    truncated_columns.push(column);
                }
            }
            Ok(())
        })?;

        for column in truncated_columns {
            self.record_truncation(row_index, column);
        }
        self.sheet.data_rows += 1;
        self.rows_written += 1;
        Ok(())
    }

    fn record_truncation(&mut self, row: RowNum, column: usize) {
        self.truncated_cells += 1;
        if self.truncated.len() < MAX_LISTED_TRUNCATIONS {
            self.truncated.push(TruncatedCell {
                sheet: self.sheet.name.clone(),
                cell: row_col_to_cell(row, column as ColNum),
                header: fit_cell_text(&self.headers[column], self.limits.max_cell_utf16)
                    .0
                    .into_owned(),
            });
        }
    }

    /// Sets the current sheet's column widths, freeze pane and autofilter.
    fn apply_layout(&mut self) -> Result<(), WorkbookError> {
        let target = &self.target;
        let worksheet = current_worksheet(&mut self.workbook, &self.sheet, target)?;

        for (index, content_width) in self.sheet.content_widths.iter().enumerate() {
            let width = (content_width + 1).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH);
            worksheet
                .set_column_width(index as ColNum, width as f64)
                .map_err(|source| xlsx_error(target, source))?;
        }

        let Some(last_column) = self.headers.len().checked_sub(1) else {
            return Ok(());
        };
        worksheet
            .set_freeze_panes(1, 0)
            .map_err(|source| xlsx_error(target, source))?;
        worksheet
            .autofilter(0, 0, self.sheet.data_rows as RowNum, last_column as ColNum)
            .map_err(|source| xlsx_error(target, source))?;

        Ok(())
    }

    /// Returns the widest content of each column of the current sheet, in characters.
    #[cfg(test)]
    fn content_widths(&self) -> &[usize] {
        &self.sheet.content_widths
    }
}

fn current_worksheet<'a>(
    workbook: &'a mut Workbook,
    sheet: &Sheet,
    target: &Path,
) -> Result<&'a mut Worksheet, WorkbookError> {
    workbook
        .worksheet_from_index(sheet.index)
        .map_err(|source| xlsx_error(target, source))
}

/// Maps an error of rust_xlsxwriter to the variant that names its cause.
fn xlsx_error(target: &Path, source: XlsxError) -> WorkbookError {
    match source {
        XlsxError::TempFileError(folder, source) => save::temp_file_error(&folder, source),
        XlsxError::IoError(source) => WorkbookError::WriteFailed {
            path: target.to_path_buf(),
            source,
        },
        other => WorkbookError::Xlsx {
            path: target.to_path_buf(),
            source: other,
        },
    }
}

/// Runs `write` and turns a panic inside it into [`WorkbookError::WriteFailed`].
///
/// HACK: rust_xlsxwriter 0.102 panics with "Couldn't write to xml file" when
/// writing a constant-memory worksheet's temporary file fails, for example
/// on a full disk. Catching the panic gives the user an error to act on
/// instead of a crashed export. The writer is dropped after any error, so its
/// state after the panic does not matter. This does nothing in a build with
/// `panic = "abort"`.
fn catch_write_panic<T>(
    target: &Path,
    write: impl FnOnce() -> Result<T, WorkbookError>,
) -> Result<T, WorkbookError> {
    panic::catch_unwind(AssertUnwindSafe(write)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "rust_xlsxwriter panicked".to_owned());
        tracing::error!(path = %target.display(), %message, "writing the workbook panicked");
        Err(WorkbookError::WriteFailed {
            path: target.to_path_buf(),
            source: io::Error::other(message),
        })
    })
}

#[cfg(test)]
mod tests;
