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
//! The work is split so that almost all of it happens while pages are still
//! arriving:
//!
//! - [`sheet_xml`] turns each row into XML and compresses it at once into an
//!   anonymous temporary file per sheet, so memory does not grow with the
//!   number of rows and little is left to do when the last page arrives.
//! - [`skeleton`] has rust_xlsxwriter build everything else at the end,
//!   when the final columns and row counts are known: header rows, widths,
//!   frozen panes, autofilters, styles and the workbook's structure. A
//!   custom field column that turns up late therefore still gets its header.
//! - [`package`] writes the zip file from the skeleton's parts, with the
//!   compressed rows put into the Accounts sheets without compressing them
//!   again.
//!
//! Temporary files go to the target's folder rather than the system's
//! temporary folder, because the latter is often a RAM-backed tmpfs, and
//! because the checks before writing have shown that the folder is writable.
//! The workbook is saved to a hidden temporary file there and renamed into
//! place only when complete, so a failed or abandoned export leaves an
//! existing file untouched.
//!
//! Which columns exist and how an account becomes cells is decided by
//! [`crate::columns`]; this module only lays the cells out in Excel.

mod about_sheet;
mod cells;
mod package;
pub(crate) mod save;
mod sheet_xml;
mod skeleton;

use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Instant;

use rust_xlsxwriter::XlsxError;
use serde::Serialize;
use tempfile::NamedTempFile;

use crate::about::AboutExport;
use crate::columns::{AccountTable, CellValue, Column};
use crate::time_zone::ExportTimeZone;
pub use about_sheet::ABOUT_SHEET_NAME;
use cells::{fit_cell_text, text_width};
use package::{PackageError, StreamedSheet};
use sheet_xml::{column_name, header_row, CutCell, FinishedBody, SheetBody};
use skeleton::Styles;

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

/// Number format of date-time cells. The values are the wall-clock time of
/// the export's time zone, which the column headers name.
pub const DATETIME_NUMBER_FORMAT: &str = "yyyy-mm-dd hh:mm:ss";

/// Maximum columns of an Excel worksheet.
const EXCEL_MAX_COLUMNS: usize = 16_384;

/// Column width limits, in Excel character widths.
const MIN_COLUMN_WIDTH: usize = 8;
const MAX_COLUMN_WIDTH: usize = 60;

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

    #[error(
        "Could not lay out the workbook {} ({detail}). This is a bug in the app; please report it.",
        .path.display()
    )]
    Layout { path: PathBuf, detail: String },
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

/// A workbook being written: created with its columns, fed rows in one or
/// more batches, then finished, which saves it and renames it into place.
///
/// Rows are compressed to disk as they arrive, so memory stays flat however
/// many rows there are. Dropping the writer without calling
/// [`WorkbookWriter::finish`] deletes every temporary file and leaves the
/// target as it was; this is how an export is cancelled.
///
/// Columns can be appended with [`WorkbookWriter::add_columns`] at any time.
/// Header rows are written when the workbook is finished, so every sheet gets
/// every header; rows written before a column existed have that cell empty.
pub struct WorkbookWriter {
    target: PathBuf,
    overwrite: bool,
    temp_file: NamedTempFile,
    folder: PathBuf,
    limits: SheetLimits,
    /// Header of each column as given, before any cut to the cell limit.
    headers: Vec<String>,
    /// Whether each column's web addresses become links.
    link_columns: Vec<bool>,
    /// Addresses of the full sheets written as plain text because of a link limit.
    link_downgrades: usize,
    styles: Styles,
    /// Full sheets before the current one.
    full_sheets: Vec<FinishedBody>,
    /// The sheet that rows are written to, the last of `sheet_names`.
    sheet: SheetBody,
    sheet_names: Vec<String>,
    rows_written: usize,
    truncated_cells: usize,
    truncated: Vec<TruncatedCell>,
    /// Cells cut in the row being written; kept to reuse its allocation.
    cut: Vec<CutCell>,
    about: Option<AboutExport>,
    time_zone: ExportTimeZone,
    started: Instant,
}

impl WorkbookWriter {
    /// Checks `target` and creates the temporary files next to it, with
    /// Excel's limits for rows and cell length.
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
        let styles = probed_styles(target, &folder)?;
        let limits = limits.clamped();
        let sheet = new_body(&folder, styles, limits)?;

        let mut writer = WorkbookWriter {
            target: target.to_path_buf(),
            overwrite,
            temp_file,
            folder,
            limits,
            headers: columns.iter().map(|column| column.header.clone()).collect(),
            link_columns: columns.iter().map(is_link_column).collect(),
            link_downgrades: 0,
            styles,
            full_sheets: Vec::new(),
            sheet,
            sheet_names: vec![sheet_name(1)],
            rows_written: 0,
            truncated_cells: 0,
            truncated: Vec::new(),
            cut: Vec::new(),
            about: None,
            time_zone: ExportTimeZone::utc(),
            started,
        };
        writer.sheet.link_columns = writer.link_columns.clone();
        writer.record_header_cuts(0, 0);
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
                self.start_sheet()?;
            }
            self.sheet
                .write_row(row, &mut self.cut)
                .map_err(|source| self.write_failed(source))?;
            for cut in std::mem::take(&mut self.cut) {
                self.record_truncation(self.sheet_names.len() - 1, cut.row, cut.column);
            }
            self.rows_written += 1;
        }

        Ok(())
    }

    /// Appends `columns` after the existing ones. Rows written before have
    /// these cells empty; the header rows, written at the end, have them all.
    ///
    /// # Errors
    ///
    /// Fails when the columns would exceed Excel's column limit.
    pub fn add_columns(&mut self, columns: &[Column]) -> Result<(), WorkbookError> {
        let total = self.headers.len() + columns.len();
        if total > EXCEL_MAX_COLUMNS {
            return Err(WorkbookError::TooManyColumns {
                path: self.target.clone(),
                columns: total,
            });
        }
        let first_new = self.headers.len();
        self.headers
            .extend(columns.iter().map(|column| column.header.clone()));
        self.link_columns.extend(columns.iter().map(is_link_column));
        self.sheet.link_columns = self.link_columns.clone();
        for sheet in 0..self.sheet_names.len() {
            self.record_header_cuts(sheet, first_new);
        }
        Ok(())
    }

    /// Shows dates as the wall-clock time of `time_zone` instead of UTC.
    /// Affects the rows written from now on, so call it before the first.
    pub fn set_time_zone(&mut self, time_zone: ExportTimeZone) {
        self.time_zone = time_zone;
        self.sheet.time_zone = time_zone;
    }

    /// Adds an "About this export" sheet after the Accounts sheets, with the
    /// facts of `about` and the writer's own warnings.
    pub fn set_about(&mut self, about: AboutExport) {
        self.about = Some(about);
    }

    /// Saves the workbook to the temporary file and renames it to the target.
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
        let headers = table_headers(&self.headers, self.limits.max_cell_utf16);
        let header_widths: Vec<usize> = headers
            .iter()
            .map(|header| text_width(header) + FILTER_BUTTON_WIDTH)
            .collect();

        let about_warnings = self.about.as_ref().map(|about| self.warnings(about));
        let last = self
            .sheet
            .finish()
            .map_err(|source| WorkbookError::WriteFailed {
                path: self.target.clone(),
                source,
            })?;
        let mut bodies = std::mem::take(&mut self.full_sheets);
        bodies.push(last);

        let widths: Vec<Vec<f64>> = bodies
            .iter()
            .map(|body| column_widths(&header_widths, &body.content_widths))
            .collect();
        let layouts: Vec<skeleton::SheetLayout<'_>> = self
            .sheet_names
            .iter()
            .zip(&widths)
            .map(|(name, widths)| skeleton::SheetLayout { name, widths })
            .collect();
        let about = self.about.as_ref().map(|about| about_sheet::AboutFacts {
            about,
            accounts: self.rows_written,
            sheets: &self.sheet_names,
            warnings: about_warnings.clone().unwrap_or_default(),
        });
        let skeleton = build_skeleton(
            &headers,
            &layouts,
            about.as_ref(),
            &self.folder,
            &self.target,
        )?;
        drop(about);
        drop(layouts);

        let last_column = column_name(self.headers.len().saturating_sub(1));
        let header = header_row(&headers, self.styles.header);
        let sheets = bodies
            .into_iter()
            .map(|body| StreamedSheet {
                header: header.clone(),
                columns: self.headers.len(),
                dimension: if self.headers.is_empty() {
                    "A1".to_owned()
                } else {
                    format!("A1:{last_column}{}", body.data_rows + 1)
                },
                // A table needs a data row, so an empty sheet keeps its empty one.
                table_range: format!("A1:{last_column}{}", body.data_rows.max(1) + 1),
                body,
            })
            .collect();
        save_package(
            &mut self.temp_file,
            &self.target,
            &skeleton,
            sheets,
            self.styles,
        )?;

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

    /// Returns the warnings of the About sheet: the caller's, then the cut
    /// cells and the sheet split.
    fn warnings(&self, about: &AboutExport) -> Vec<String> {
        let mut warnings = about.warnings.clone();
        let downgrades = self.link_downgrades + self.sheet.link_downgrades;
        if downgrades > 0 {
            warnings.push(format!(
                "{downgrades} web addresses are plain text instead of links, because they \
                 are longer than a link may be or their sheet reached Excel's limit of {} links.",
                crate::text_rules::EXCEL_MAX_LINKS_PER_SHEET
            ));
        }
        if self.truncated_cells > 0 {
            let listed: Vec<String> = self
                .truncated
                .iter()
                .take(10)
                .map(|cell| format!("{}!{}", cell.sheet, cell.cell))
                .collect();
            warnings.push(format!(
                "{} cells were longer than the {} characters a cell can contain. They were cut \
                 and end with \"{TRUNCATION_MARKER}\". The first: {}.",
                self.truncated_cells,
                self.limits.max_cell_utf16,
                listed.join(", ")
            ));
        }
        if self.sheet_names.len() > 1 {
            warnings.push(format!(
                "The accounts continue over {} sheets, because one sheet has room for {} rows.",
                self.sheet_names.len(),
                self.limits.max_data_rows
            ));
        }
        warnings
    }

    /// Ends the current sheet and starts the next one.
    fn start_sheet(&mut self) -> Result<(), WorkbookError> {
        let number = self.sheet_names.len() + 1;
        if number > MAX_SHEETS {
            return Err(WorkbookError::TooManyRows {
                path: self.target.clone(),
                max_rows: self.limits.max_data_rows * MAX_SHEETS,
            });
        }
        let mut next = new_body(&self.folder, self.styles, self.limits)?;
        next.time_zone = self.time_zone;
        next.link_columns = self.link_columns.clone();
        let full = std::mem::replace(&mut self.sheet, next)
            .finish()
            .map_err(|source| self.write_failed(source))?;
        self.link_downgrades += full.link_downgrades;
        self.full_sheets.push(full);
        self.sheet_names.push(sheet_name(number));
        self.record_header_cuts(number - 1, 0);
        Ok(())
    }

    /// Lists the headers from `first_column` on that are too long for a
    /// cell, as cut cells of the header row of the sheet at `sheet`.
    fn record_header_cuts(&mut self, sheet: usize, first_column: usize) {
        for column in first_column..self.headers.len() {
            if fit_cell_text(&self.headers[column], self.limits.max_cell_utf16).1 {
                self.record_truncation(sheet, 1, column);
            }
        }
    }

    /// Counts a cut cell and lists it while the list has room. `row` is one-based.
    fn record_truncation(&mut self, sheet: usize, row: usize, column: usize) {
        self.truncated_cells += 1;
        if self.truncated.len() < MAX_LISTED_TRUNCATIONS {
            self.truncated.push(TruncatedCell {
                sheet: self.sheet_names[sheet].clone(),
                cell: format!("{}{row}", column_name(column)),
                header: fit_cell_text(&self.headers[column], self.limits.max_cell_utf16)
                    .0
                    .into_owned(),
            });
        }
    }

    fn write_failed(&self, source: io::Error) -> WorkbookError {
        WorkbookError::WriteFailed {
            path: self.target.clone(),
            source,
        }
    }

    /// Returns the widest content of each column of the current sheet, in characters.
    #[cfg(test)]
    fn content_widths(&self) -> &[usize] {
        &self.sheet.content_widths
    }
}

/// Returns the headers as the header rows and the tables get them: control
/// characters become spaces, each is cut to the cell limit, and a header that
/// repeats an earlier one in another letter case gets ` (2)`, ` (3)` and so
/// on, because Excel requires distinct table column names.
fn table_headers(headers: &[String], max_cell_utf16: usize) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    headers
        .iter()
        .map(|header| {
            let clean: String = header
                .chars()
                .map(|character| {
                    if character.is_control() {
                        ' '
                    } else {
                        character
                    }
                })
                .collect();
            let clean = fit_cell_text(&clean, max_cell_utf16).0.into_owned();
            let mut unique = clean.clone();
            let mut number = 2;
            while !seen.insert(unique.to_lowercase()) {
                unique = format!("{clean} ({number})");
                number += 1;
            }
            unique
        })
        .collect()
}

/// Builds the skeleton, turning a panic of rust_xlsxwriter into an error.
///
/// HACK: rust_xlsxwriter 0.102 panics with "Couldn't write to xml file" when
/// writing a constant-memory worksheet's temporary file fails, for example on
/// a full disk. Catching the panic gives the user an error to act on instead
/// of a crashed export. This does nothing in a build with `panic = "abort"`.
fn build_skeleton(
    headers: &[String],
    layouts: &[skeleton::SheetLayout<'_>],
    about: Option<&about_sheet::AboutFacts<'_>>,
    temp_folder: &Path,
    target: &Path,
) -> Result<Vec<u8>, WorkbookError> {
    let built = std::panic::catch_unwind(|| skeleton::build(headers, layouts, about, temp_folder));
    match built {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(source)) => Err(WorkbookError::Xlsx {
            path: target.to_path_buf(),
            source,
        }),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|text| text.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "rust_xlsxwriter panicked".to_owned());
            tracing::error!(path = %target.display(), %message, "building the workbook panicked");
            Err(WorkbookError::WriteFailed {
                path: target.to_path_buf(),
                source: io::Error::other(message),
            })
        }
    }
}

/// Writes the workbook from the skeleton and the streamed sheets to
/// `temp_file` and flushes it to disk.
fn save_package(
    temp_file: &mut NamedTempFile,
    target: &Path,
    skeleton: &[u8],
    sheets: Vec<StreamedSheet>,
    styles: Styles,
) -> Result<(), WorkbookError> {
    let file = temp_file.as_file_mut();
    let mut out = BufWriter::with_capacity(256 * 1024, &mut *file);
    let assembled = package::assemble(skeleton, sheets, styles, &mut out)
        .and_then(|()| out.flush().map_err(PackageError::from));
    drop(out);
    // Without the sync, a crash right after the rename could leave an empty target.
    let synced = assembled.and_then(|()| file.sync_all().map_err(PackageError::from));
    synced.map_err(|error| match error {
        PackageError::Io(source) => WorkbookError::WriteFailed {
            path: target.to_path_buf(),
            source,
        },
        PackageError::Skeleton(detail) => WorkbookError::Layout {
            path: target.to_path_buf(),
            detail,
        },
    })
}

/// Returns whether the cells of `column` are web addresses to write as links.
fn is_link_column(column: &Column) -> bool {
    column.key == "websites"
}

/// Returns the name of the sheet with one-based `number`.
fn sheet_name(number: usize) -> String {
    match number {
        1 => SHEET_NAME.to_owned(),
        _ => format!("{SHEET_NAME} ({number})"),
    }
}

/// Starts a sheet body whose compressed rows go to an anonymous file in `folder`.
fn new_body(
    folder: &Path,
    styles: Styles,
    limits: SheetLimits,
) -> Result<SheetBody, WorkbookError> {
    let file =
        tempfile::tempfile_in(folder).map_err(|source| save::temp_file_error(folder, source))?;
    Ok(SheetBody::new(file, styles, limits.max_cell_utf16))
}

/// Returns the width of each column from its header's width and its widest
/// content, in Excel character widths within the limits.
fn column_widths(header_widths: &[usize], content_widths: &[usize]) -> Vec<f64> {
    header_widths
        .iter()
        .enumerate()
        .map(|(column, header)| {
            let content = content_widths.get(column).copied().unwrap_or(0);
            (header.max(&content) + 1).clamp(MIN_COLUMN_WIDTH, MAX_COLUMN_WIDTH) as f64
        })
        .collect()
}

/// Returns the style indexes of header and date-time cells, found once per process.
fn probed_styles(target: &Path, temp_folder: &Path) -> Result<Styles, WorkbookError> {
    static STYLES: OnceLock<Result<Styles, String>> = OnceLock::new();
    STYLES
        .get_or_init(|| skeleton::styles(temp_folder))
        .clone()
        .map_err(|detail| WorkbookError::Layout {
            path: target.to_path_buf(),
            detail,
        })
}

#[cfg(test)]
mod tests;
