//! A disk buffer of table rows, so that a workbook can be written again from
//! the start without keeping every row in memory.
//!
//! An export streams its rows into a [`crate::workbook::WorkbookWriter`] and
//! also appends them to a [`RowSpill`]. When a column turns up after rows were
//! written, the writer cannot add its header to the sheets already written, so
//! the export writes a fresh workbook from [`RowSpill::replay`].
//!
//! The rows live in an anonymous temporary file, which the operating system
//! deletes when the spill is dropped or the process ends. Each row is encoded
//! as its cell count followed by its cells, each cell a one-byte tag and its
//! payload:
//!
//! | tag | cell | payload |
//! |-----|------|---------|
//! | 0 | empty | none |
//! | 1 | text | byte length, then the UTF-8 bytes |
//! | 2 | number | the `f64` bit pattern, 8 bytes |
//! | 3 | `false` | none |
//! | 4 | `true` | none |
//! | 5 | date-time | seconds since 1970 as `i64`, then nanoseconds as `u32` |
//!
//! Counts and lengths are unsigned LEB128 varints; fixed-size numbers are
//! little-endian. The encoding is private to one process and never versioned.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::columns::CellValue;

const TAG_EMPTY: u8 = 0;
const TAG_TEXT: u8 = 1;
const TAG_NUMBER: u8 = 2;
const TAG_FALSE: u8 = 3;
const TAG_TRUE: u8 = 4;
const TAG_DATETIME: u8 = 5;

/// Failure to store rows in a [`RowSpill`] or to read them back.
#[derive(Debug, thiserror::Error)]
pub enum SpillError {
    #[error(
        "Could not create a temporary file for the exported rows in the folder {} ({source}). \
         Check the free disk space and that the folder is writable.",
        .folder.display()
    )]
    CreateFailed { folder: PathBuf, source: io::Error },

    #[error(
        "Could not write the exported rows to their temporary file ({source}). \
         Check the free disk space and try again."
    )]
    WriteFailed { source: io::Error },

    #[error(
        "Could not read the exported rows back from their temporary file ({source}). \
         Try the export again."
    )]
    ReadFailed { source: io::Error },

    #[error(
        "The temporary file of exported rows is damaged at row {row}: {reason}. \
         Try the export again."
    )]
    Corrupt {
        /// Zero-based index of the row that could not be decoded.
        row: usize,
        reason: &'static str,
    },
}

/// Rows appended to an anonymous temporary file, to be read back in order.
///
/// Every [`CellValue`] comes back exactly as appended, including the bit
/// pattern of a number and the nanoseconds of a date-time.
#[derive(Debug)]
pub struct RowSpill {
    writer: BufWriter<File>,
    rows: usize,
    /// Bytes appended so far, which bounds any length read back.
    bytes: u64,
    /// True after a replay moved the file position away from the end.
    must_seek_to_end: bool,
}

impl RowSpill {
    /// Creates an empty spill in the system's temporary folder.
    ///
    /// NOTE: on many Linux systems that folder is a RAM-backed tmpfs, where
    /// the spill uses memory after all. [`RowSpill::new_in`] with the
    /// workbook's folder keeps it on disk.
    ///
    /// # Errors
    ///
    /// Returns [`SpillError::CreateFailed`] when the file cannot be created.
    pub fn new() -> Result<Self, SpillError> {
        Self::new_in(&std::env::temp_dir())
    }

    /// Creates an empty spill in `folder`. The file has no name there and
    /// disappears when the spill is dropped.
    ///
    /// # Errors
    ///
    /// Returns [`SpillError::CreateFailed`] when the file cannot be created.
    pub fn new_in(folder: &Path) -> Result<Self, SpillError> {
        let file = tempfile::tempfile_in(folder).map_err(|source| SpillError::CreateFailed {
            folder: folder.to_path_buf(),
            source,
        })?;

        Ok(RowSpill {
            writer: BufWriter::new(file),
            rows: 0,
            bytes: 0,
            must_seek_to_end: false,
        })
    }

    /// Number of rows appended.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// True when no row was appended.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends one row after the rows appended so far.
    ///
    /// # Errors
    ///
    /// Returns [`SpillError::WriteFailed`] when the file cannot be written.
    /// The spill then contains an unknown part of the row, so drop it.
    pub fn append_row(&mut self, row: &[CellValue]) -> Result<(), SpillError> {
        let write_failed = |source| SpillError::WriteFailed { source };
        if self.must_seek_to_end {
            self.writer.seek(SeekFrom::End(0)).map_err(write_failed)?;
            self.must_seek_to_end = false;
        }

        let mut encoded = Vec::with_capacity(16 + 16 * row.len());
        encode_row(row, &mut encoded);
        self.writer.write_all(&encoded).map_err(write_failed)?;

        self.bytes += encoded.len() as u64;
        self.rows += 1;
        Ok(())
    }

    /// Appends `rows` in order, as [`RowSpill::append_row`] does for each.
    ///
    /// # Errors
    ///
    /// As [`RowSpill::append_row`].
    pub fn append_rows(&mut self, rows: &[Vec<CellValue>]) -> Result<(), SpillError> {
        rows.iter().try_for_each(|row| self.append_row(row))
    }

    /// Returns an iterator over the rows appended so far, in order. Rows can
    /// be appended again once the iterator is dropped, and a later replay
    /// starts from the first row again.
    ///
    /// # Errors
    ///
    /// Returns [`SpillError::WriteFailed`] when buffered rows cannot be
    /// written to the file, or [`SpillError::ReadFailed`] when the file
    /// cannot be rewound. Each item of the iterator fails with
    /// [`SpillError::ReadFailed`] or [`SpillError::Corrupt`] when its row
    /// cannot be read back; the iterator ends after such an item.
    pub fn replay(&mut self) -> Result<SpillRows<'_>, SpillError> {
        self.writer
            .flush()
            .map_err(|source| SpillError::WriteFailed { source })?;
        self.must_seek_to_end = true;

        let file = self.writer.get_mut();
        file.seek(SeekFrom::Start(0))
            .map_err(|source| SpillError::ReadFailed { source })?;

        Ok(SpillRows {
            reader: BufReader::new(file),
            next_row: 0,
            rows: self.rows,
            max_text_len: self.bytes,
        })
    }
}

/// The rows of a [`RowSpill`], read back in the order they were appended.
#[derive(Debug)]
pub struct SpillRows<'a> {
    reader: BufReader<&'a mut File>,
    next_row: usize,
    rows: usize,
    max_text_len: u64,
}

impl Iterator for SpillRows<'_> {
    type Item = Result<Vec<CellValue>, SpillError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next_row >= self.rows {
            return None;
        }

        let row = self.next_row;
        let decoded =
            decode_row(&mut self.reader, self.max_text_len).map_err(|error| match error {
                DecodeError::Io(source) if source.kind() == io::ErrorKind::UnexpectedEof => {
                    SpillError::Corrupt {
                        row,
                        reason: "the file ends inside the row",
                    }
                }
                DecodeError::Io(source) => SpillError::ReadFailed { source },
                DecodeError::Invalid(reason) => SpillError::Corrupt { row, reason },
            });

        // After a failure the position in the file is unknown, so nothing more is read.
        self.next_row = if decoded.is_ok() { row + 1 } else { self.rows };
        Some(decoded)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let remaining = self.rows - self.next_row;
        (0, Some(remaining))
    }
}

/// Failure to decode one row.
enum DecodeError {
    Io(io::Error),
    Invalid(&'static str),
}

impl From<io::Error> for DecodeError {
    fn from(error: io::Error) -> Self {
        DecodeError::Io(error)
    }
}

fn encode_row(row: &[CellValue], out: &mut Vec<u8>) {
    write_varint(out, row.len() as u64);
    for cell in row {
        match cell {
            CellValue::Empty => out.push(TAG_EMPTY),
            CellValue::Text(text) => {
                out.push(TAG_TEXT);
                write_varint(out, text.len() as u64);
                out.extend_from_slice(text.as_bytes());
            }
            CellValue::Number(number) => {
                out.push(TAG_NUMBER);
                out.extend_from_slice(&number.to_bits().to_le_bytes());
            }
            CellValue::Bool(false) => out.push(TAG_FALSE),
            CellValue::Bool(true) => out.push(TAG_TRUE),
            CellValue::DateTime(datetime) => {
                out.push(TAG_DATETIME);
                out.extend_from_slice(&datetime.timestamp().to_le_bytes());
                out.extend_from_slice(&datetime.timestamp_subsec_nanos().to_le_bytes());
            }
        }
    }
}

/// Reads one row. `max_text_len` rejects a damaged length before it is allocated.
fn decode_row(reader: &mut impl Read, max_text_len: u64) -> Result<Vec<CellValue>, DecodeError> {
    let cell_count = read_varint(reader)?;
    if cell_count > max_text_len {
        return Err(DecodeError::Invalid(
            "the cell count is larger than the file",
        ));
    }

    let mut row = Vec::with_capacity(cell_count as usize);
    for _ in 0..cell_count {
        let tag = read_array::<1>(reader)?[0];
        let cell = match tag {
            TAG_EMPTY => CellValue::Empty,
            TAG_TEXT => {
                let len = read_varint(reader)?;
                if len > max_text_len {
                    return Err(DecodeError::Invalid(
                        "a text length is larger than the file",
                    ));
                }
                let mut bytes = vec![0; len as usize];
                reader.read_exact(&mut bytes)?;
                let text = String::from_utf8(bytes)
                    .map_err(|_| DecodeError::Invalid("a text is not valid UTF-8"))?;
                CellValue::Text(text)
            }
            TAG_NUMBER => {
                CellValue::Number(f64::from_bits(u64::from_le_bytes(read_array(reader)?)))
            }
            TAG_FALSE => CellValue::Bool(false),
            TAG_TRUE => CellValue::Bool(true),
            TAG_DATETIME => {
                let seconds = i64::from_le_bytes(read_array(reader)?);
                let nanos = u32::from_le_bytes(read_array(reader)?);
                let datetime = DateTime::<Utc>::from_timestamp(seconds, nanos)
                    .ok_or(DecodeError::Invalid("a date-time is out of range"))?;
                CellValue::DateTime(datetime)
            }
            _ => return Err(DecodeError::Invalid("a cell has an unknown type tag")),
        };
        row.push(cell);
    }

    Ok(row)
}

fn read_array<const N: usize>(reader: &mut impl Read) -> io::Result<[u8; N]> {
    let mut bytes = [0; N];
    reader.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// Appends `value` as an unsigned LEB128 varint: 7 bits per byte, low bits
/// first, the high bit set on every byte but the last.
fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

fn read_varint(reader: &mut impl Read) -> Result<u64, DecodeError> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = read_array::<1>(reader)?[0];
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(DecodeError::Invalid("a length is longer than 64 bits"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn datetime(text: &str) -> CellValue {
        CellValue::DateTime(text.parse().unwrap())
    }

    fn replay_all(spill: &mut RowSpill) -> Vec<Vec<CellValue>> {
        spill.replay().unwrap().collect::<Result<_, _>>().unwrap()
    }

    /// Compares cells, numbers by bit pattern so that NaN and -0.0 are checked too.
    fn assert_same_cells(actual: &[Vec<CellValue>], expected: &[Vec<CellValue>]) {
        assert_eq!(actual.len(), expected.len(), "row count");
        for (index, (actual, expected)) in actual.iter().zip(expected).enumerate() {
            assert_eq!(actual.len(), expected.len(), "cell count of row {index}");
            for (actual, expected) in actual.iter().zip(expected) {
                match (actual, expected) {
                    (CellValue::Number(actual), CellValue::Number(expected)) => {
                        assert_eq!(actual.to_bits(), expected.to_bits(), "row {index}")
                    }
                    _ => assert_eq!(actual, expected, "row {index}"),
                }
            }
        }
    }

    fn every_kind() -> Vec<Vec<CellValue>> {
        let long_text: String = "Ünïcödé 😀 𝄞 ".repeat(10_000);
        vec![
            vec![
                CellValue::Empty,
                CellValue::Text("plain".into()),
                CellValue::Text(String::new()),
                CellValue::Number(42.5),
                CellValue::Bool(false),
                CellValue::Bool(true),
                datetime("2024-03-15T10:20:30.123456789Z"),
            ],
            vec![],
            vec![
                CellValue::Text(long_text),
                CellValue::Text("\u{0}\u{1f}\r\n\t control".into()),
                CellValue::Text("𐍈 non-BMP 🏳️‍🌈".into()),
            ],
            vec![
                CellValue::Number(f64::NAN),
                CellValue::Number(f64::INFINITY),
                CellValue::Number(f64::NEG_INFINITY),
                CellValue::Number(-0.0),
                CellValue::Number(f64::MIN_POSITIVE),
                CellValue::Number(f64::MAX),
            ],
            vec![
                datetime("0001-01-01T00:00:00Z"),
                datetime("1969-12-31T23:59:59.999999999Z"),
                datetime("9999-12-31T23:59:59Z"),
                datetime("2016-12-31T23:59:60.5Z"),
                CellValue::DateTime(DateTime::<Utc>::MIN_UTC),
                CellValue::DateTime(DateTime::<Utc>::MAX_UTC),
            ],
            vec![CellValue::Empty; 300],
        ]
    }

    #[test]
    fn spill_round_trips_every_kind() {
        let rows = every_kind();
        let mut spill = RowSpill::new().unwrap();

        spill.append_rows(&rows).unwrap();
        let replayed = replay_all(&mut spill);

        assert_eq!(spill.len(), rows.len());
        assert_same_cells(&replayed, &rows);
    }

    #[test]
    fn spill_keeps_leap_second() {
        let CellValue::DateTime(leap) = datetime("2016-12-31T23:59:60.5Z") else {
            unreachable!();
        };
        assert!(
            leap.timestamp_subsec_nanos() >= 1_000_000_000,
            "not a leap second"
        );
        let mut spill = RowSpill::new().unwrap();

        spill.append_row(&[CellValue::DateTime(leap)]).unwrap();

        assert_eq!(replay_all(&mut spill), [vec![CellValue::DateTime(leap)]]);
    }

    #[test]
    fn spill_appends_after_replay() {
        let rows = every_kind();
        let mut spill = RowSpill::new().unwrap();
        spill.append_rows(&rows[..2]).unwrap();

        let first = replay_all(&mut spill);
        spill.append_rows(&rows[2..]).unwrap();
        let second = replay_all(&mut spill);

        assert_same_cells(&first, &rows[..2]);
        assert_same_cells(&second, &rows);
    }

    #[test]
    fn empty_spill_replays_nothing() {
        let mut spill = RowSpill::new().unwrap();

        assert!(spill.is_empty());
        assert_eq!(spill.replay().unwrap().count(), 0);
    }

    #[test]
    fn spill_in_folder_leaves_no_file() {
        let folder = tempfile::tempdir().unwrap();

        let mut spill = RowSpill::new_in(folder.path()).unwrap();
        spill.append_rows(&every_kind()).unwrap();
        let entries_while_open = std::fs::read_dir(folder.path()).unwrap().count();
        drop(spill);

        assert_eq!(entries_while_open, 0);
        assert_eq!(std::fs::read_dir(folder.path()).unwrap().count(), 0);
    }

    #[test]
    fn spill_in_missing_folder_fails() {
        let folder = tempfile::tempdir().unwrap();
        let missing = folder.path().join("missing");

        let error = RowSpill::new_in(&missing).unwrap_err();

        assert!(
            matches!(&error, SpillError::CreateFailed { folder, .. } if folder == &missing),
            "{error:?}"
        );
        assert!(error.to_string().contains(&missing.display().to_string()));
    }

    #[test]
    fn varint_round_trips_edges() {
        for value in [
            0,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let mut encoded = Vec::new();
            write_varint(&mut encoded, value);

            let decoded = read_varint(&mut encoded.as_slice());

            assert!(matches!(decoded, Ok(v) if v == value), "{value}");
        }
    }

    #[test]
    fn decode_rejects_damaged_rows() {
        let cases: [(&[u8], &str); 5] = [
            (&[1, 9], "a cell has an unknown type tag"),
            (&[1, TAG_TEXT, 2, 0xff, 0xfe], "a text is not valid UTF-8"),
            (&[1, TAG_TEXT, 100], "a text length is larger than the file"),
            (&[200, 1], "the cell count is larger than the file"),
            (
                &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
                "a length is longer than 64 bits",
            ),
        ];

        for (bytes, expected) in cases {
            let result = decode_row(&mut &bytes[..], 50);

            assert!(
                matches!(result, Err(DecodeError::Invalid(reason)) if reason == expected),
                "{bytes:?}"
            );
        }
    }

    #[test]
    fn truncated_file_is_corrupt() {
        let mut spill = RowSpill::new().unwrap();
        spill
            .append_row(&[CellValue::Text("complete".into())])
            .unwrap();
        spill.writer.flush().unwrap();
        // Cut the file inside the text, then claim the row is there.
        spill.writer.get_mut().set_len(4).unwrap();

        let results: Vec<_> = spill.replay().unwrap().collect();

        assert_eq!(results.len(), 1);
        assert!(
            matches!(&results[0], Err(SpillError::Corrupt { row: 0, reason }) if reason.contains("ends inside")),
            "{:?}",
            results[0]
        );
    }
}
