//! CSV as a second export format: choosing the format, and one export from
//! fetch to saved `.csv` file.
//!
//! [`export_csv_to_file`] reads the accounts through
//! [`crate::export::preview`], which streams pages as rows laid out by the
//! user's [`ColumnOptions`], and hands the rows to a [`CsvWriter`]. Memory stays flat however many accounts there are,
//! and, as with workbooks, nothing appears at the target until the file is
//! complete. How cells become CSV text is decided in [`writer`].

pub mod writer;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::columns::{CellValue, Column, ColumnOptions};
use crate::devrev::paging::PagingError;
use crate::devrev::DevRevClient;
use crate::export::{
    preview, CancellationToken, ExportSummary, FetchPlan, FetchSummary, PreviewSink, Progress,
};
pub use writer::{CsvError, CsvSummary, CsvWriter};

/// The file format of an export.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// An Excel workbook, `.xlsx`.
    #[default]
    Xlsx,
    /// Comma-separated values, `.csv`.
    Csv,
}

impl ExportFormat {
    /// Returns the file extension without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
        }
    }

    /// Returns the format a path's extension names: CSV for `.csv` in any
    /// letter case, else xlsx.
    pub fn for_path(path: &Path) -> Self {
        let is_csv = path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("csv"));
        if is_csv {
            ExportFormat::Csv
        } else {
            ExportFormat::Xlsx
        }
    }

    /// Returns the suggested file name for an export made on `date`, such as
    /// `accounts-2026-12-04.csv`.
    pub fn suggested_file_name(self, date: chrono::NaiveDate) -> String {
        format!("accounts-{}.{}", date.format("%Y-%m-%d"), self.extension())
    }
}

/// A format name that is neither `xlsx` nor `csv`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid format `{value}`. Use `xlsx` for an Excel workbook or `csv` for a CSV file.")]
pub struct FormatParseError {
    pub value: String,
}

impl std::str::FromStr for ExportFormat {
    type Err = FormatParseError;

    /// Parses `xlsx` or `csv`, in any letter case.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "xlsx" => Ok(ExportFormat::Xlsx),
            "csv" => Ok(ExportFormat::Csv),
            _ => Err(FormatParseError {
                value: text.to_owned(),
            }),
        }
    }
}

/// Returns the path with `.csv` appended unless it already ends in `.csv`
/// (in any case). A path that names a folder is returned unchanged, so that
/// saving reports it as a folder.
pub fn with_csv_extension(path: &Path) -> PathBuf {
    let has_extension = ExportFormat::for_path(path) == ExportFormat::Csv;
    let text = path.as_os_str().to_string_lossy();
    let names_folder = path.is_dir()
        || text.ends_with(std::path::MAIN_SEPARATOR)
        || text.ends_with('/')
        || path.file_name().is_none();
    if has_extension || names_folder {
        return path.to_path_buf();
    }
    let mut name = path.as_os_str().to_owned();
    name.push(".csv");
    PathBuf::from(name)
}

/// Failure of a CSV export: fetching or writing.
#[derive(Debug, thiserror::Error)]
pub enum CsvExportError {
    #[error(transparent)]
    Fetch(#[from] PagingError),
    #[error(transparent)]
    Csv(#[from] CsvError),
}

/// Fetches the accounts of `plan` and writes the columns that `options`
/// choose to a CSV file at `target`.
///
/// The target is checked before anything is fetched. When cancelled, the
/// temporary file is deleted, the target is never touched and the summary
/// has `cancelled` set. A write that fails stops the fetch.
///
/// NOTE: rows are written on the task that runs the fetch. Formatting and
/// buffered writing of a page take far less time than fetching it, so this
/// only delays the next request slightly.
pub async fn export_csv_to_file(
    client: &DevRevClient,
    plan: &FetchPlan,
    options: &ColumnOptions,
    target: &Path,
    overwrite: bool,
    cancel: &CancellationToken,
    on_progress: impl FnMut(Progress) + Send,
) -> Result<ExportSummary, CsvExportError> {
    let writer = CsvWriter::new(target, overwrite, options.time_zone)?;
    // The sink cancels this token when writing fails, which stops the fetch.
    let run = cancel.child_token();
    let csv_sink = CsvSink {
        writer: Mutex::new(Some(writer)),
        failure: Mutex::new(None),
        on_progress: Mutex::new(on_progress),
        run: run.clone(),
    };
    let plan = FetchPlan {
        columns: options.clone(),
        ..plan.clone()
    };

    let fetched = preview(client, &plan, &run, &csv_sink).await;
    let CsvSink {
        writer, failure, ..
    } = csv_sink;
    if let Some(error) = into_inner(failure) {
        return Err(error.into());
    }
    let fetched = fetched?;
    let writer = into_inner(writer);
    let writer = match writer {
        Some(writer) if !fetched.cancelled => writer,
        _ => return Ok(cancelled_export(target, &fetched)),
    };

    let finish_cancel = cancel.clone();
    let written =
        tokio::task::spawn_blocking(move || writer.finish_unless(|| finish_cancel.is_cancelled()))
            .await
            .map_err(|error| CsvError::WriteFailed {
                path: target.to_path_buf(),
                source: std::io::Error::other(format!("the CSV writer stopped: {error}")),
            })??;
    let Some(written) = written else {
        return Ok(cancelled_export(target, &fetched));
    };

    Ok(ExportSummary {
        path: target.to_path_buf(),
        rows: written.rows,
        columns: written.columns,
        sheets: Vec::new(),
        truncated_cells: 0,
        truncated_cell_list: Vec::new(),
        duplicates_dropped: fetched.duplicates_dropped,
        pages: fetched.pages,
        endpoint: fetched.endpoint,
        may_be_truncated: fetched.may_be_truncated,
        cancelled: false,
    })
}

fn cancelled_export(target: &Path, fetched: &FetchSummary) -> ExportSummary {
    ExportSummary {
        path: target.to_path_buf(),
        rows: 0,
        columns: 0,
        sheets: Vec::new(),
        truncated_cells: 0,
        truncated_cell_list: Vec::new(),
        duplicates_dropped: fetched.duplicates_dropped,
        pages: fetched.pages,
        endpoint: fetched.endpoint,
        may_be_truncated: false,
        cancelled: true,
    }
}

/// Takes the value out of a mutex, even one poisoned by a panic elsewhere.
fn into_inner<T>(mutex: Mutex<T>) -> T {
    mutex
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Receives the chosen columns and rows of a running export and writes them.
struct CsvSink<F> {
    /// `None` after a write failed.
    writer: Mutex<Option<CsvWriter>>,
    failure: Mutex<Option<CsvError>>,
    on_progress: Mutex<F>,
    run: CancellationToken,
}

impl<F: FnMut(Progress) + Send> CsvSink<F> {
    /// Runs `write` on the writer, and on failure keeps the error, drops the
    /// writer (which deletes its temporary file) and stops the fetch.
    fn with_writer(&self, write: impl FnOnce(&mut CsvWriter) -> Result<(), CsvError>) {
        let mut writer = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let Some(active) = writer.as_mut() else {
            return;
        };
        if let Err(error) = write(active) {
            tracing::error!(%error, "writing the CSV file failed");
            *writer = None;
            *self
                .failure
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error);
            self.run.cancel();
        }
    }
}

impl<F: FnMut(Progress) + Send> PreviewSink for CsvSink<F> {
    fn columns(&self, columns: &[Column]) {
        self.with_writer(|writer| writer.set_columns(columns));
    }

    fn rows(&self, rows: Vec<Vec<CellValue>>) {
        self.with_writer(|writer| writer.write_rows(&rows));
    }

    fn progress(&self, progress: Progress) {
        let mut on_progress = self
            .on_progress
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (on_progress)(progress);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_follows_extension() {
        assert_eq!(
            ExportFormat::for_path(Path::new("a.csv")),
            ExportFormat::Csv
        );
        assert_eq!(
            ExportFormat::for_path(Path::new("a.CSV")),
            ExportFormat::Csv
        );
        assert_eq!(
            ExportFormat::for_path(Path::new("a.xlsx")),
            ExportFormat::Xlsx
        );
        assert_eq!(ExportFormat::for_path(Path::new("a")), ExportFormat::Xlsx);
        assert_eq!(
            ExportFormat::for_path(Path::new("a.csv.txt")),
            ExportFormat::Xlsx
        );
    }

    #[test]
    fn format_parses_and_serializes() {
        assert_eq!("CSV".parse::<ExportFormat>(), Ok(ExportFormat::Csv));
        assert_eq!(" xlsx".parse::<ExportFormat>(), Ok(ExportFormat::Xlsx));
        assert_eq!(
            "ods".parse::<ExportFormat>().unwrap_err().to_string(),
            "Invalid format `ods`. Use `xlsx` for an Excel workbook or `csv` for a CSV file."
        );
        assert_eq!(
            serde_json::to_string(&ExportFormat::Csv).unwrap(),
            "\"csv\""
        );
    }

    #[test]
    fn csv_extension_appended_when_missing() {
        assert_eq!(with_csv_extension(Path::new("out")), Path::new("out.csv"));
        assert_eq!(
            with_csv_extension(Path::new("out.CSV")),
            Path::new("out.CSV")
        );
        assert_eq!(
            with_csv_extension(Path::new("out.xlsx")),
            Path::new("out.xlsx.csv")
        );
        assert_eq!(
            with_csv_extension(Path::new("exports/")),
            Path::new("exports/")
        );
    }

    #[test]
    fn suggested_names_carry_extension() {
        let date = chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();

        assert_eq!(
            ExportFormat::Csv.suggested_file_name(date),
            "accounts-2026-12-04.csv"
        );
        assert_eq!(
            ExportFormat::Xlsx.suggested_file_name(date),
            "accounts-2026-12-04.xlsx"
        );
    }
}
