//! Writes table rows to a CSV file in constant memory, without ever leaving a
//! broken file.
//!
//! The file is UTF-8 with a byte-order mark, so Excel reads accented letters
//! right. It follows RFC 4180: commas separate fields and CRLF ends each
//! record. A field that contains a comma, a quote, CR or LF is quoted, with
//! inner quotes doubled. Each cell follows [`crate::text_rules`]:
//!
//! - text is cleaned by [`clean_cell_text`](crate::text_rules::clean_cell_text)
//!   and gets a leading apostrophe when it starts like a formula;
//! - numbers are written in full, without an exponent, as Rust prints the
//!   shortest text that reads back as the same `f64`;
//! - booleans are `TRUE` or `FALSE`;
//! - dates are `yyyy-mm-dd hh:mm:ss[.mmm]` in the export's time zone, which
//!   the header names.
//!
//! Rows go to a hidden temporary file beside the target as they arrive, and
//! [`CsvWriter::finish`] renames it into place. Columns can grow while rows
//! are written (custom fields found on later pages): the header is then
//! written again and earlier records get empty fields for the new columns, in
//! one more pass over the file.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

use crate::columns::{CellValue, Column};
use crate::text_rules::csv_text;
use crate::time_zone::ExportTimeZone;

/// UTF-8 byte-order mark that starts the file.
pub const UTF8_BOM: &str = "\u{feff}";

/// End of each record, as RFC 4180 asks.
const RECORD_END: &[u8] = b"\r\n";

/// Failure to write a CSV file. When any of these is returned, the target
/// file is unchanged and no temporary file is left behind.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    #[error(
        "{} already exists and was left unchanged. Choose another file name, or allow replacing the file.",
        .path.display()
    )]
    TargetExists { path: PathBuf },

    #[error(
        "{} is a folder, not a file. Choose a file name inside it, such as accounts.csv.",
        .path.display()
    )]
    TargetIsFolder { path: PathBuf },

    #[error("{} has no file name. Choose a file name such as accounts.csv.", .path.display())]
    MissingFileName { path: PathBuf },

    #[error(
        "The folder {} does not exist. Create it or choose another folder for the CSV file.",
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

    #[error("Could not write the CSV file {} ({source}). Check the free disk space and try again.", .path.display())]
    WriteFailed { path: PathBuf, source: io::Error },

    #[error("Could not move the finished CSV file into place at {} ({source}). Check that the file is not open in another program and try again.", .path.display())]
    RenameFailed { path: PathBuf, source: io::Error },

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

    #[error(
        "Cannot write {}: the column list changed from {before} to {after} columns instead of growing. \
         This is a bug in the app; please report it.",
        .path.display()
    )]
    ColumnsNotAppended {
        path: PathBuf,
        before: usize,
        after: usize,
    },
}

/// What a finished CSV file contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvSummary {
    /// Data rows, not counting the header.
    pub rows: usize,
    pub columns: usize,
}

/// A CSV file being written: created, given columns and rows in one or more
/// batches, then finished, which renames it into place.
///
/// Dropping the writer without finishing it deletes the temporary file and
/// leaves the target as it was; this is how an export is cancelled.
pub struct CsvWriter {
    target: PathBuf,
    overwrite: bool,
    time_zone: ExportTimeZone,
    file: BufWriter<NamedTempFile>,
    columns: Vec<Column>,
    header_written: bool,
    rows: usize,
    /// Runs of consecutive rows written while the table had the same number
    /// of columns: (rows, columns). More than one run means the header on
    /// disk is out of date.
    runs: Vec<(usize, usize)>,
    /// Reused buffer for one record.
    record: String,
}

impl CsvWriter {
    /// Checks `target` and creates the temporary file next to it.
    ///
    /// # Errors
    ///
    /// Fails before writing anything when `target` is a folder or has no file
    /// name, exists while `overwrite` is false, or its folder is missing or
    /// not writable.
    pub fn new(
        target: &Path,
        overwrite: bool,
        time_zone: ExportTimeZone,
    ) -> Result<Self, CsvError> {
        let temp_file = create_temp_file(target, overwrite)?;
        Ok(CsvWriter {
            target: target.to_path_buf(),
            overwrite,
            time_zone,
            file: BufWriter::new(temp_file),
            columns: Vec::new(),
            header_written: false,
            rows: 0,
            runs: Vec::new(),
            record: String::new(),
        })
    }

    /// Returns the columns given so far.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Sets the full column list. After rows were written, the list may only
    /// grow at its end, as [`crate::columns::ColumnSet`] grows.
    ///
    /// # Errors
    ///
    /// Fails when rows were written and `columns` does not start with the
    /// columns given before.
    pub fn set_columns(&mut self, columns: &[Column]) -> Result<(), CsvError> {
        if self.header_written {
            let appended = columns.len() >= self.columns.len()
                && self
                    .columns
                    .iter()
                    .zip(columns)
                    .all(|(before, after)| before.key == after.key);
            if !appended {
                return Err(CsvError::ColumnsNotAppended {
                    path: self.target.clone(),
                    before: self.columns.len(),
                    after: columns.len(),
                });
            }
        }
        self.columns = columns.to_vec();
        Ok(())
    }

    /// Appends `rows`. A row shorter than the column list gets empty cells at
    /// its end.
    ///
    /// # Errors
    ///
    /// Fails when a row has more cells than there are columns, or when
    /// writing fails. Drop the writer after an error rather than finish it.
    pub fn write_rows(&mut self, rows: &[Vec<CellValue>]) -> Result<(), CsvError> {
        if !self.header_written {
            self.write_header()?;
        }
        let width = self.columns.len();

        for row in rows {
            if row.len() > width {
                return Err(CsvError::RowWidthMismatch {
                    path: self.target.clone(),
                    row: self.rows,
                    cells: row.len(),
                    columns: width,
                });
            }
            self.record.clear();
            for index in 0..width {
                if index > 0 {
                    self.record.push(',');
                }
                let cell = row.get(index).unwrap_or(&CellValue::Empty);
                push_field(&mut self.record, &cell_text(cell, &self.time_zone));
            }
            self.file
                .write_all(self.record.as_bytes())
                .and_then(|()| self.file.write_all(RECORD_END))
                .map_err(|source| self.write_failed(source))?;

            match self.runs.last_mut() {
                Some((count, columns)) if *columns == width => *count += 1,
                _ => self.runs.push((1, width)),
            }
            self.rows += 1;
        }
        Ok(())
    }

    /// Writes what is left, flushes the file to disk and renames it to the target.
    ///
    /// # Errors
    ///
    /// Fails when writing or renaming fails, or when the target appeared in
    /// the meantime while `overwrite` is false. The temporary files are then
    /// deleted.
    pub fn finish(self) -> Result<CsvSummary, CsvError> {
        let summary = self.finish_unless(|| false)?;
        Ok(summary.expect("a finish that cannot be cancelled always saves"))
    }

    /// Like [`CsvWriter::finish`], but checks `cancelled` before renaming.
    /// When it returns true, the temporary file is deleted, the target is not
    /// touched and the result is `Ok(None)`.
    ///
    /// # Errors
    ///
    /// As [`CsvWriter::finish`].
    pub fn finish_unless(
        mut self,
        cancelled: impl Fn() -> bool,
    ) -> Result<Option<CsvSummary>, CsvError> {
        if !self.header_written {
            self.write_header()?;
        }
        let width = self.columns.len();
        let needs_rebuild = self.runs.iter().any(|&(_, columns)| columns < width);

        let temp_file = self
            .file
            .into_inner()
            .map_err(|error| CsvError::WriteFailed {
                path: self.target.clone(),
                source: error.into_error(),
            })?;
        let temp_file = if needs_rebuild {
            rebuild(temp_file, &self.target, &self.columns, &self.runs)?
        } else {
            temp_file
        };

        let write_failed = |source| CsvError::WriteFailed {
            path: self.target.clone(),
            source,
        };
        // Without this, a crash right after the rename could leave an empty target.
        temp_file.as_file().sync_all().map_err(write_failed)?;
        if cancelled() {
            tracing::info!(path = %self.target.display(), "CSV file discarded after a cancel");
            return Ok(None);
        }
        persist(temp_file, &self.target, self.overwrite)?;

        tracing::info!(
            path = %self.target.display(),
            rows = self.rows,
            columns = width,
            rebuilt = needs_rebuild,
            "CSV file written"
        );
        Ok(Some(CsvSummary {
            rows: self.rows,
            columns: width,
        }))
    }

    /// Writes the byte-order mark and the header record of the current columns.
    fn write_header(&mut self) -> Result<(), CsvError> {
        let header = header_record(&self.columns);
        self.file
            .write_all(UTF8_BOM.as_bytes())
            .and_then(|()| self.file.write_all(header.as_bytes()))
            .and_then(|()| self.file.write_all(RECORD_END))
            .map_err(|source| self.write_failed(source))?;
        self.header_written = true;
        Ok(())
    }

    fn write_failed(&self, source: io::Error) -> CsvError {
        CsvError::WriteFailed {
            path: self.target.clone(),
            source,
        }
    }
}

/// Returns the header record of `columns`, without the record end.
fn header_record(columns: &[Column]) -> String {
    let mut record = String::new();
    for (index, column) in columns.iter().enumerate() {
        if index > 0 {
            record.push(',');
        }
        push_field(&mut record, &csv_text(&column.header));
    }
    record
}

/// Returns the text of one cell before quoting.
pub fn cell_text(cell: &CellValue, time_zone: &ExportTimeZone) -> String {
    match cell {
        CellValue::Empty => String::new(),
        CellValue::Text(text) => csv_text(text).into_owned(),
        CellValue::Number(number) => number.to_string(),
        CellValue::Bool(true) => "TRUE".to_owned(),
        CellValue::Bool(false) => "FALSE".to_owned(),
        CellValue::DateTime(instant) => time_zone.spreadsheet_text(instant),
    }
}

/// Appends `field` to `record`, quoted when RFC 4180 requires it.
fn push_field(record: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        record.push('"');
        record.push_str(&field.replace('"', "\"\""));
        record.push('"');
    } else {
        record.push_str(field);
    }
}

/// Writes the file again with the header of `columns`, giving each record of
/// `runs` empty fields up to the full width, and returns the new file.
fn rebuild(
    mut old: NamedTempFile,
    target: &Path,
    columns: &[Column],
    runs: &[(usize, usize)],
) -> Result<NamedTempFile, CsvError> {
    let write_failed = |source| CsvError::WriteFailed {
        path: target.to_path_buf(),
        source,
    };
    old.as_file_mut()
        .seek(SeekFrom::Start(0))
        .map_err(write_failed)?;
    let mut reader = BufReader::new(old.as_file());

    let new = create_temp_file_in(&temp_folder(target), target)?;
    let mut writer = BufWriter::new(new);
    let mut record = Vec::new();

    // The old header is replaced by the full one.
    read_record(&mut reader, &mut record).map_err(write_failed)?;
    writer
        .write_all(UTF8_BOM.as_bytes())
        .and_then(|()| writer.write_all(header_record(columns).as_bytes()))
        .and_then(|()| writer.write_all(RECORD_END))
        .map_err(write_failed)?;

    for &(count, width) in runs {
        let padding = ",".repeat(columns.len() - width);
        for _ in 0..count {
            read_record(&mut reader, &mut record).map_err(write_failed)?;
            writer
                .write_all(&record)
                .and_then(|()| writer.write_all(padding.as_bytes()))
                .and_then(|()| writer.write_all(RECORD_END))
                .map_err(write_failed)?;
        }
    }

    writer
        .into_inner()
        .map_err(|error| write_failed(error.into_error()))
}

/// Reads one record that this module wrote into `record`, without its CRLF.
///
/// A record ends at the first CRLF outside quotes. Every quote in a field
/// this module writes either opens or closes a quoted field or is one of a
/// doubled pair, so counting quotes tells whether a CRLF is inside a field.
/// UTF-8 never uses the bytes of `"`, CR or LF inside a multi-byte character.
fn read_record(reader: &mut impl BufRead, record: &mut Vec<u8>) -> io::Result<()> {
    record.clear();
    let mut in_quotes = false;
    loop {
        let start = record.len();
        let read = reader.read_until(b'\n', record)?;
        if read == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the temporary CSV file ended inside a record",
            ));
        }
        in_quotes ^= record[start..].iter().filter(|&&byte| byte == b'"').count() % 2 == 1;
        if !in_quotes && record.ends_with(RECORD_END) {
            record.truncate(record.len() - RECORD_END.len());
            return Ok(());
        }
    }
}

/// Returns the folder of `target`, `.` for a bare file name.
fn temp_folder(target: &Path) -> PathBuf {
    match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Checks `target` and creates an empty temporary file in its folder.
fn create_temp_file(target: &Path, overwrite: bool) -> Result<NamedTempFile, CsvError> {
    if target.file_name().is_none() {
        return Err(CsvError::MissingFileName {
            path: target.to_path_buf(),
        });
    }
    if target.is_dir() {
        return Err(CsvError::TargetIsFolder {
            path: target.to_path_buf(),
        });
    }
    // symlink_metadata also detects a dangling link, which a rename would replace.
    if !overwrite && target.symlink_metadata().is_ok() {
        return Err(CsvError::TargetExists {
            path: target.to_path_buf(),
        });
    }

    let folder = temp_folder(target);
    if !folder.is_dir() {
        return Err(CsvError::FolderNotFound { folder });
    }
    create_temp_file_in(&folder, target)
}

/// Creates a hidden temporary file named after `target` in `folder`, so the
/// final rename stays on one file system.
fn create_temp_file_in(folder: &Path, target: &Path) -> Result<NamedTempFile, CsvError> {
    let prefix = crate::workbook::save::temp_prefix(target);
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    // tempfile creates files readable only by the owner. 0o666 minus the umask
    // gives the file the permissions of any other file the user saves.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }

    builder.tempfile_in(folder).map_err(|source| {
        let folder = folder.to_path_buf();
        match source.kind() {
            io::ErrorKind::NotFound => CsvError::FolderNotFound { folder },
            io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
                CsvError::FolderNotWritable { folder, source }
            }
            _ => CsvError::TempFileFailed { folder, source },
        }
    })
}

/// Renames the finished temporary file to `target`. Without `overwrite`, the
/// rename fails rather than replace a file created since the first check.
fn persist(temp_file: NamedTempFile, target: &Path, overwrite: bool) -> Result<(), CsvError> {
    let result = if overwrite {
        crate::workbook::save::keep_permissions(&temp_file, target);
        temp_file.persist(target)
    } else {
        temp_file.persist_noclobber(target)
    };

    // The error owns the temporary file, and dropping it here deletes the file.
    result.map(|_: File| ()).map_err(|error| {
        if !overwrite && error.error.kind() == io::ErrorKind::AlreadyExists {
            CsvError::TargetExists {
                path: target.to_path_buf(),
            }
        } else {
            CsvError::RenameFailed {
                path: target.to_path_buf(),
                source: error.error,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::columns::ColumnKind;
    use chrono::{DateTime, FixedOffset, Utc};

    fn column(key: &str, header: &str) -> Column {
        Column {
            key: key.into(),
            header: header.into(),
            kind: ColumnKind::Text,
        }
    }

    fn text(value: &str) -> CellValue {
        CellValue::Text(value.into())
    }

    fn entries(folder: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_bom_header_and_quoted_fields() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("out.csv");
        let mut writer = CsvWriter::new(&target, false, ExportTimeZone::utc()).unwrap();

        writer
            .set_columns(&[column("a", "Name"), column("b", "Notes, \"quoted\"")])
            .unwrap();
        writer
            .write_rows(&[
                vec![text("Café"), text("one, two")],
                vec![text("say \"hi\""), text("line\r\nbreak")],
                vec![CellValue::Empty, text("plain")],
            ])
            .unwrap();
        let summary = writer.finish().unwrap();

        let written = std::fs::read_to_string(&target).unwrap();
        assert_eq!(
            written,
            "\u{feff}Name,\"Notes, \"\"quoted\"\"\"\r\n\
             Café,\"one, two\"\r\n\
             \"say \"\"hi\"\"\",\"line\nbreak\"\r\n\
             ,plain\r\n"
        );
        assert_eq!(
            summary,
            CsvSummary {
                rows: 3,
                columns: 2
            }
        );
        assert_eq!(entries(folder.path()), ["out.csv"]);
    }

    #[test]
    fn cells_follow_text_rules() {
        let zone = ExportTimeZone::local_with_offset(FixedOffset::east_opt(3600).unwrap());
        let instant: DateTime<Utc> = "2024-03-15T10:20:30.250Z".parse().unwrap();

        assert_eq!(cell_text(&text("=1+1"), &zone), "'=1+1");
        assert_eq!(cell_text(&text("bell\u{7}"), &zone), "bell\u{fffd}");
        assert_eq!(cell_text(&CellValue::Number(-0.25), &zone), "-0.25");
        assert_eq!(
            cell_text(&CellValue::Number(1e21), &zone),
            "1000000000000000000000"
        );
        assert_eq!(cell_text(&CellValue::Number(3.0), &zone), "3");
        assert_eq!(cell_text(&CellValue::Bool(true), &zone), "TRUE");
        assert_eq!(cell_text(&CellValue::Bool(false), &zone), "FALSE");
        assert_eq!(
            cell_text(&CellValue::DateTime(instant), &zone),
            "2024-03-15 11:20:30.250"
        );
        assert_eq!(cell_text(&CellValue::Empty, &zone), "");
    }

    #[test]
    fn late_columns_pad_earlier_rows() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("grown.csv");
        let mut writer = CsvWriter::new(&target, false, ExportTimeZone::utc()).unwrap();
        let first = [column("a", "A")];
        let second = [column("a", "A"), column("b", "B")];
        let third = [column("a", "A"), column("b", "B"), column("c", "C")];

        writer.set_columns(&first).unwrap();
        writer
            .write_rows(&[vec![text("1")], vec![text("multi\nline, \"q\"")]])
            .unwrap();
        writer.set_columns(&second).unwrap();
        writer.write_rows(&[vec![text("3"), text("b3")]]).unwrap();
        writer.set_columns(&third).unwrap();
        writer
            .write_rows(&[vec![text("4"), text("b4"), text("c4")]])
            .unwrap();
        writer.finish().unwrap();

        let written = std::fs::read_to_string(&target).unwrap();
        assert_eq!(
            written,
            "\u{feff}A,B,C\r\n\
             1,,\r\n\
             \"multi\nline, \"\"q\"\"\",,\r\n\
             3,b3,\r\n\
             4,b4,c4\r\n"
        );
        assert_eq!(entries(folder.path()), ["grown.csv"]);
    }

    #[test]
    fn columns_may_only_grow_after_rows() {
        let folder = tempfile::tempdir().unwrap();
        let mut writer =
            CsvWriter::new(&folder.path().join("x.csv"), false, ExportTimeZone::utc()).unwrap();
        writer
            .set_columns(&[column("a", "A"), column("b", "B")])
            .unwrap();
        writer.write_rows(&[vec![text("1")]]).unwrap();

        let error = writer.set_columns(&[column("b", "B")]).unwrap_err();

        assert!(matches!(
            error,
            CsvError::ColumnsNotAppended {
                before: 2,
                after: 1,
                ..
            }
        ));
    }

    #[test]
    fn too_wide_row_rejected() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("x.csv");
        let mut writer = CsvWriter::new(&target, false, ExportTimeZone::utc()).unwrap();
        writer.set_columns(&[column("a", "A")]).unwrap();

        let error = writer
            .write_rows(&[vec![text("1"), text("2")]])
            .unwrap_err();

        assert!(error.to_string().contains("row 0 has 2 cells"), "{error}");
        drop(writer);
        assert!(entries(folder.path()).is_empty());
    }

    #[test]
    fn header_only_without_rows() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("empty.csv");
        let mut writer = CsvWriter::new(&target, false, ExportTimeZone::utc()).unwrap();
        writer.set_columns(&[column("a", "=Total")]).unwrap();

        let summary = writer.finish().unwrap();

        assert_eq!(
            std::fs::read_to_string(&target).unwrap(),
            "\u{feff}'=Total\r\n"
        );
        assert_eq!(summary.rows, 0);
    }

    #[test]
    fn existing_target_kept_without_overwrite() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("keep.csv");
        std::fs::write(&target, "earlier").unwrap();

        let error = CsvWriter::new(&target, false, ExportTimeZone::utc())
            .err()
            .unwrap();

        assert!(matches!(&error, CsvError::TargetExists { path } if path == &target));
        assert!(error.to_string().contains("left unchanged"), "{error}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "earlier");
    }

    #[test]
    fn target_created_meanwhile_is_not_replaced() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("race.csv");
        let mut writer = CsvWriter::new(&target, false, ExportTimeZone::utc()).unwrap();
        writer.set_columns(&[column("a", "A")]).unwrap();
        std::fs::write(&target, "someone else").unwrap();

        let error = writer.finish().unwrap_err();

        assert!(matches!(error, CsvError::TargetExists { .. }), "{error:?}");
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "someone else");
        assert_eq!(entries(folder.path()), ["race.csv"]);
    }

    #[test]
    fn overwrite_replaces_target() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("old.csv");
        std::fs::write(&target, "earlier").unwrap();
        let mut writer = CsvWriter::new(&target, true, ExportTimeZone::utc()).unwrap();
        writer.set_columns(&[column("a", "A")]).unwrap();

        writer.finish().unwrap();

        assert_eq!(std::fs::read_to_string(&target).unwrap(), "\u{feff}A\r\n");
    }

    #[test]
    fn cancelled_finish_leaves_nothing() {
        let folder = tempfile::tempdir().unwrap();
        let target = folder.path().join("cancelled.csv");
        let mut writer = CsvWriter::new(&target, false, ExportTimeZone::utc()).unwrap();
        writer.set_columns(&[column("a", "A")]).unwrap();
        writer.write_rows(&[vec![text("1")]]).unwrap();

        let result = writer.finish_unless(|| true).unwrap();

        assert_eq!(result, None);
        assert!(entries(folder.path()).is_empty());
    }

    #[test]
    fn bad_targets_rejected() {
        let folder = tempfile::tempdir().unwrap();

        let is_folder = CsvWriter::new(folder.path(), true, ExportTimeZone::utc())
            .err()
            .unwrap();
        let missing = CsvWriter::new(
            &folder.path().join("nope").join("a.csv"),
            false,
            ExportTimeZone::utc(),
        )
        .err()
        .unwrap();

        assert!(
            matches!(is_folder, CsvError::TargetIsFolder { .. }),
            "{is_folder:?}"
        );
        assert!(
            matches!(missing, CsvError::FolderNotFound { .. }),
            "{missing:?}"
        );
        assert!(missing.to_string().contains("does not exist"), "{missing}");
    }
}
