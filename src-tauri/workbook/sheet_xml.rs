//! The rows of one worksheet as SpreadsheetML, compressed while they arrive.
//!
//! A [`SheetBody`] turns each row of [`CellValue`]s into the `<row>` element
//! that goes inside `<sheetData>` and deflates it at once into an anonymous
//! temporary file. The stream ends with a sync flush instead of a final
//! block, so [`super::package`] can put the compressed header before it and
//! the compressed end of the sheet after it, and the three parts read as one
//! deflate stream. Rows are never held in memory beyond a small buffer.
//!
//! Cells are written the way rust_xlsxwriter 0.102 writes them in its
//! constant-memory mode, so readers see the same values: texts as inline
//! strings, control characters as `_xHHHH_`, and a literal `_xHHHH_` in a
//! text with its underscore escaped as `_x005F_`.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Timelike};
use flate2::{Compress, Compression, FlushCompress, Status};

use super::cells::{fit_cell_text, text_width, DATETIME_WIDTH};
use super::skeleton::Styles;
use crate::columns::CellValue;
use crate::text_rules::{clean_cell_text, needs_wrap, LinkDecision, SheetLinks};
use crate::time_zone::ExportTimeZone;

/// Uncompressed XML gathered before it is handed to the compressor.
const XML_BUFFER_BYTES: usize = 256 * 1024;

/// Compressed output gathered before it is written to the file.
const DEFLATE_BUFFER_BYTES: usize = 128 * 1024;

/// The compressed rows of one worksheet, and what the rest of the sheet needs
/// to know about them.
pub(super) struct SheetBody {
    file: File,
    deflate: Deflater,
    xml: Vec<u8>,
    crc: crc32fast::Hasher,
    /// Column letters by position, such as `A` and `AB`, grown on demand.
    column_names: Vec<Box<[u8]>>,
    /// Style indexes from the workbook's style table.
    styles: Styles,
    /// Zone whose wall-clock time date cells show.
    pub(super) time_zone: ExportTimeZone,
    /// Whether each column's addresses become links, such as websites.
    pub(super) link_columns: Vec<bool>,
    links: SheetLinks,
    /// The cells written as links, in row order.
    link_cells: Vec<LinkCell>,
    /// Addresses written as plain text because of a link limit.
    pub(super) link_downgrades: usize,
    max_cell_utf16: usize,
    /// Data rows written, not counting the header.
    pub(super) data_rows: usize,
    /// Widest content per column, in characters.
    pub(super) content_widths: Vec<usize>,
}

/// A cell of the last row that had to be cut to the cell limit.
pub(super) struct CutCell {
    /// One-based row number of the sheet.
    pub(super) row: usize,
    pub(super) column: usize,
}

impl SheetBody {
    /// Starts an empty body whose data is kept in `file`, an empty file open
    /// for reading and writing.
    pub(super) fn new(file: File, styles: Styles, max_cell_utf16: usize) -> Self {
        SheetBody {
            file,
            deflate: Deflater::new(),
            xml: Vec::with_capacity(XML_BUFFER_BYTES + 64 * 1024),
            crc: crc32fast::Hasher::new(),
            column_names: Vec::new(),
            styles,
            time_zone: ExportTimeZone::utc(),
            link_columns: Vec::new(),
            links: SheetLinks::new(),
            link_cells: Vec::new(),
            link_downgrades: 0,
            max_cell_utf16,
            data_rows: 0,
            content_widths: Vec::new(),
        }
    }

    /// Appends one data row below the header and the rows before it, and
    /// adds the cells it had to cut to `cut`.
    pub(super) fn write_row(
        &mut self,
        row: &[CellValue],
        cut: &mut Vec<CutCell>,
    ) -> io::Result<()> {
        // Row 1 is the header, which the package writes.
        let row_number = self.data_rows + 2;
        if self.content_widths.len() < row.len() {
            self.content_widths.resize(row.len(), 0);
        }
        while self.column_names.len() < row.len() {
            let name = column_name(self.column_names.len());
            self.column_names.push(name.into_bytes().into_boxed_slice());
        }

        let mut number = itoa::Buffer::new();
        let row_text = number.format(row_number).as_bytes();
        self.xml.extend_from_slice(b"<row r=\"");
        self.xml.extend_from_slice(row_text);
        self.xml.extend_from_slice(b"\">");
        for (column, cell) in row.iter().enumerate() {
            let widest = self.content_widths[column];
            let width = self.write_cell(column, row_text, cell, widest)?;
            if let Some(width) = width {
                let slot = &mut self.content_widths[column];
                *slot = (*slot).max(width.width);
                if width.cut {
                    cut.push(CutCell {
                        row: row_number,
                        column,
                    });
                }
            }
        }
        self.xml.extend_from_slice(b"</row>");
        self.data_rows += 1;

        if self.xml.len() >= XML_BUFFER_BYTES {
            self.flush_xml(FlushCompress::None)?;
        }
        Ok(())
    }

    /// Writes one cell and returns its width, or `None` for an empty cell,
    /// which is left out of the row. A text's width is only measured when it
    /// could be wider than `widest`, the column's widest content so far.
    fn write_cell(
        &mut self,
        column: usize,
        row_text: &[u8],
        cell: &CellValue,
        widest: usize,
    ) -> io::Result<Option<Written>> {
        let written = match cell {
            CellValue::Empty => return Ok(None),
            CellValue::Text(text) => self.text_cell(column, row_text, text, widest),
            CellValue::Number(number) if number.is_finite() => {
                self.open_cell(column, row_text, None, None);
                let width = push_number(*number, &mut self.xml);
                self.xml.extend_from_slice(b"</v></c>");
                Written::whole(width)
            }
            CellValue::Number(number) => {
                self.text_cell(column, row_text, &number.to_string(), widest)
            }
            CellValue::Bool(flag) => {
                self.open_cell(column, row_text, None, Some(b"b"));
                self.xml.push(if *flag { b'1' } else { b'0' });
                self.xml.extend_from_slice(b"</v></c>");
                Written::whole("FALSE".len())
            }
            CellValue::DateTime(datetime) => {
                match excel_serial(&self.time_zone.wall_clock(datetime)) {
                    Some(serial) => {
                        self.open_cell(column, row_text, Some(self.styles.datetime), None);
                        push_number(serial, &mut self.xml);
                        self.xml.extend_from_slice(b"</v></c>");
                        Written::whole(DATETIME_WIDTH)
                    }
                    None => {
                        let text = self.time_zone.rfc3339(datetime);
                        self.text_cell(column, row_text, &text, widest)
                    }
                }
            }
        };
        Ok(Some(written))
    }

    /// Opens `<c r=".." s=".." t=".."><v>` for a value cell.
    fn open_cell(
        &mut self,
        column: usize,
        row_text: &[u8],
        style: Option<u32>,
        kind: Option<&[u8]>,
    ) {
        self.xml.extend_from_slice(b"<c r=\"");
        self.xml.extend_from_slice(&self.column_names[column]);
        self.xml.extend_from_slice(row_text);
        self.xml.push(b'"');
        if let Some(style) = style {
            self.xml.extend_from_slice(b" s=\"");
            self.xml
                .extend_from_slice(itoa::Buffer::new().format(style).as_bytes());
            self.xml.push(b'"');
        }
        if let Some(kind) = kind {
            self.xml.extend_from_slice(b" t=\"");
            self.xml.extend_from_slice(kind);
            self.xml.push(b'"');
        }
        self.xml.extend_from_slice(b"><v>");
    }

    fn text_cell(&mut self, column: usize, row_text: &[u8], text: &str, widest: usize) -> Written {
        let text = clean_cell_text(text);
        let (text, cut) = fit_cell_text(&text, self.max_cell_utf16);
        let mut style = needs_wrap(&text).then_some(self.styles.wrap);
        if self.link_columns.get(column).copied().unwrap_or(false) {
            match self.links.decide(&text) {
                LinkDecision::Link(url) => {
                    style = Some(self.styles.link);
                    self.link_cells.push(LinkCell {
                        row: self.data_rows + 2,
                        column,
                        url,
                    });
                }
                decision if decision.is_downgrade() => self.link_downgrades += 1,
                _ => {}
            }
        }
        self.xml.extend_from_slice(b"<c r=\"");
        self.xml.extend_from_slice(&self.column_names[column]);
        self.xml.extend_from_slice(row_text);
        self.xml.push(b'"');
        if let Some(style) = style {
            self.xml.extend_from_slice(b" s=\"");
            self.xml
                .extend_from_slice(itoa::Buffer::new().format(style).as_bytes());
            self.xml.push(b'"');
        }
        self.xml.extend_from_slice(b" t=\"inlineStr\"><is><t");
        if needs_preserve(&text) {
            self.xml.extend_from_slice(b" xml:space=\"preserve\"");
        }
        self.xml.push(b'>');
        escape_text(&text, &mut self.xml);
        self.xml.extend_from_slice(b"</t></is></c>");
        // A text has at most as many characters as bytes.
        let width = if text.len() <= widest {
            0
        } else {
            text_width(&text)
        };
        Written { width, cut }
    }

    /// Compresses the buffered XML. With [`FlushCompress::Sync`] the output
    /// also ends on a byte boundary, without a final block.
    fn flush_xml(&mut self, flush: FlushCompress) -> io::Result<()> {
        self.crc.update(&self.xml);
        self.deflate.write(&self.xml, flush, &mut self.file)?;
        self.xml.clear();
        Ok(())
    }

    /// Ends the body and returns its file, rewound, with the facts the
    /// package needs.
    pub(super) fn finish(mut self) -> io::Result<FinishedBody> {
        let uncompressed = self.deflate.total_in() + self.xml.len() as u64;
        if uncompressed > 0 {
            self.flush_xml(FlushCompress::Sync)?;
        }
        let compressed = self.deflate.total_out();
        self.file.flush()?;
        self.file.seek(SeekFrom::Start(0))?;
        Ok(FinishedBody {
            file: self.file,
            crc: self.crc,
            compressed,
            uncompressed,
            data_rows: self.data_rows,
            content_widths: self.content_widths,
            link_cells: self.link_cells,
            link_downgrades: self.link_downgrades,
        })
    }
}

/// A complete sheet body: raw deflate data without a final block.
pub(super) struct FinishedBody {
    pub(super) file: File,
    pub(super) crc: crc32fast::Hasher,
    pub(super) compressed: u64,
    pub(super) uncompressed: u64,
    pub(super) data_rows: usize,
    pub(super) content_widths: Vec<usize>,
    pub(super) link_cells: Vec<LinkCell>,
    pub(super) link_downgrades: usize,
}

/// A cell written as a link: its one-based row, zero-based column and address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct LinkCell {
    pub(super) row: usize,
    pub(super) column: usize,
    pub(super) url: String,
}

struct Written {
    width: usize,
    cut: bool,
}

impl Written {
    fn whole(width: usize) -> Self {
        Written { width, cut: false }
    }
}

/// A raw deflate compressor at the fastest level that writes what it
/// produces to a file.
pub(super) struct Deflater {
    compress: Compress,
    output: Vec<u8>,
}

impl Deflater {
    pub(super) fn new() -> Self {
        Deflater {
            // Level 1: the sheet XML is very repetitive, so even the fastest
            // level shrinks it about eight times.
            compress: Compress::new(Compression::fast(), false),
            output: Vec::with_capacity(DEFLATE_BUFFER_BYTES),
        }
    }

    pub(super) fn total_in(&self) -> u64 {
        self.compress.total_in()
    }

    pub(super) fn total_out(&self) -> u64 {
        self.compress.total_out()
    }

    /// Compresses `input` into `out`. [`FlushCompress::None`] may keep some
    /// input back for the next call; `Sync` and `Finish` write everything.
    pub(super) fn write(
        &mut self,
        mut input: &[u8],
        flush: FlushCompress,
        out: &mut impl Write,
    ) -> io::Result<()> {
        loop {
            self.output.clear();
            let read_before = self.compress.total_in();
            let status = self
                .compress
                .compress_vec(input, &mut self.output, flush)
                .map_err(io::Error::other)?;
            let read = (self.compress.total_in() - read_before) as usize;
            input = &input[read..];
            out.write_all(&self.output)?;

            let output_full = self.output.len() == self.output.capacity();
            let done = match flush {
                FlushCompress::Finish => status == Status::StreamEnd,
                FlushCompress::None => input.is_empty(),
                _ => input.is_empty() && !output_full,
            };
            if done {
                return Ok(());
            }
        }
    }
}

/// Returns the header row: each text as a string cell with the `style` index.
pub(super) fn header_row(headers: &[String], style: u32) -> Vec<u8> {
    let mut xml = Vec::with_capacity(
        64 + headers
            .iter()
            .map(|header| header.len() + 48)
            .sum::<usize>(),
    );
    xml.extend_from_slice(b"<row r=\"1\">");
    for (column, header) in headers.iter().enumerate() {
        write!(
            xml,
            "<c r=\"{}1\" s=\"{style}\" t=\"inlineStr\"><is><t",
            column_name(column)
        )
        .expect("writing to a vector cannot fail");
        if needs_preserve(header) {
            xml.extend_from_slice(b" xml:space=\"preserve\"");
        }
        xml.push(b'>');
        escape_text(header, &mut xml);
        xml.extend_from_slice(b"</t></is></c>");
    }
    xml.extend_from_slice(b"</row>");
    xml
}

/// Returns the column letters of a zero-based column index: 0 is `A`, 27 is `AB`.
pub(super) fn column_name(index: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = index + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        letters.push(b'A' + digit as u8);
        rest = (rest - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("column letters are ASCII")
}

/// Returns whether Excel would drop the leading or trailing white space of
/// `text` without `xml:space="preserve"`.
fn needs_preserve(text: &str) -> bool {
    let white = |byte: &u8| matches!(byte, b'\t' | b'\n' | b' ');
    text.as_bytes().first().is_some_and(white) || text.as_bytes().last().is_some_and(white)
}

/// Appends `text` as XML character data. `&`, `<` and `>` become entities,
/// control characters other than tab and line feed and the non-characters
/// U+FFFE and U+FFFF become `_xHHHH_`, and the underscore of a literal
/// `_xHHHH_` becomes `_x005F_`, so that a reader that decodes these escapes
/// gets the text back as it was.
pub(super) fn escape_text(text: &str, xml: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    // Most texts need no escape at all, which one pass over a table tells.
    if !bytes.iter().any(|&byte| NEEDS_ATTENTION[usize::from(byte)]) {
        xml.extend_from_slice(bytes);
        return;
    }
    let mut start = 0;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        let replacement: Option<&[u8]> = match byte {
            b'&' => Some(b"&amp;"),
            b'<' => Some(b"&lt;"),
            b'>' => Some(b"&gt;"),
            b'\t' | b'\n' => None,
            0..=0x1f => {
                xml.extend_from_slice(&bytes[start..index]);
                push_escape(u32::from(byte), xml);
                index += 1;
                start = index;
                continue;
            }
            b'_' if is_escape_lookalike(&bytes[index..]) => Some(b"_x005F"),
            // U+FFFE and U+FFFF are EF BF BE and EF BF BF in UTF-8.
            0xEF if bytes[index..].starts_with(&[0xEF, 0xBF])
                && matches!(bytes.get(index + 2), Some(0xBE | 0xBF)) =>
            {
                xml.extend_from_slice(&bytes[start..index]);
                let code = if bytes[index + 2] == 0xBE {
                    0xFFFE
                } else {
                    0xFFFF
                };
                push_escape(code, xml);
                index += 3;
                start = index;
                continue;
            }
            _ => None,
        };
        if let Some(replacement) = replacement {
            xml.extend_from_slice(&bytes[start..index]);
            xml.extend_from_slice(replacement);
            // The underscore itself stays and is copied with what follows.
            start = if byte == b'_' { index } else { index + 1 };
        }
        index += 1;
    }
    xml.extend_from_slice(&bytes[start..]);
}

/// Bytes that [`escape_text`] may have to replace: markup characters, control
/// characters, the underscore of `_xHHHH_` and the lead byte of U+FFFE/U+FFFF.
const NEEDS_ATTENTION: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = byte != b'\t' as usize && byte != b'\n' as usize;
        byte += 1;
    }
    table[b'&' as usize] = true;
    table[b'<' as usize] = true;
    table[b'>' as usize] = true;
    table[b'_' as usize] = true;
    table[0xEF] = true;
    table
};

fn push_escape(code: u32, xml: &mut Vec<u8>) {
    write!(xml, "_x{code:04X}_").expect("writing to a vector cannot fail");
}

/// Returns whether `bytes` starts with `_x`, four hexadecimal digits and `_`.
fn is_escape_lookalike(bytes: &[u8]) -> bool {
    bytes.len() >= 7
        && bytes[1] == b'x'
        && bytes[2..6].iter().all(u8::is_ascii_hexdigit)
        && bytes[6] == b'_'
}

/// Returns the Excel serial number of `datetime`, in days since Excel's
/// epoch with the time as the fraction, or `None` outside Excel's years 1900
/// to 9999.
///
/// Excel counts 29 February 1900, which did not exist, so dates from
/// 1 March 1900 on are one day further from the epoch than the calendar says.
pub(super) fn excel_serial(datetime: &NaiveDateTime) -> Option<f64> {
    if !(1900..=9999).contains(&datetime.year()) {
        return None;
    }
    let date = datetime.date();
    let epoch = NaiveDate::from_ymd_opt(1899, 12, 30).expect("a valid date");
    let leap_bug = NaiveDate::from_ymd_opt(1900, 3, 1).expect("a valid date");
    let mut days = (date - epoch).num_days() as f64;
    if date < leap_bug {
        days -= 1.0;
    }
    let time = datetime.time();
    let seconds = f64::from(time.num_seconds_from_midnight())
        + f64::from(time.nanosecond().min(999_999_999)) / 1e9;
    Some(days + seconds / 86_400.0)
}

/// Appends a finite number in the shortest form that reads back as the same
/// number, and returns its length in characters.
fn push_number(number: f64, xml: &mut Vec<u8>) -> usize {
    let before = xml.len();
    // Rust formats f64 in the shortest round-trip form, without an exponent.
    write!(xml, "{number}").expect("writing to a vector cannot fail");
    xml.len() - before
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut xml = Vec::new();
        escape_text(text, &mut xml);
        String::from_utf8(xml).unwrap()
    }

    #[test]
    fn column_names_follow_excel() {
        assert_eq!(column_name(0), "A");
        assert_eq!(column_name(25), "Z");
        assert_eq!(column_name(26), "AA");
        assert_eq!(column_name(27), "AB");
        assert_eq!(column_name(16_383), "XFD");
    }

    #[test]
    fn markup_and_controls_are_escaped() {
        assert_eq!(escaped("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(escaped("tab\tline\n"), "tab\tline\n");
        assert_eq!(escaped("bell\u{7}cr\r"), "bell_x0007_cr_x000D_");
        assert_eq!(escaped("x\u{FFFE}y\u{FFFF}"), "x_xFFFE_y_xFFFF_");
        assert_eq!(escaped("\u{FFFD}é😀"), "\u{FFFD}é😀");
    }

    #[test]
    fn escape_lookalikes_keep_their_text() {
        assert_eq!(escaped("_x0041_"), "_x005F_x0041_");
        assert_eq!(escaped("a_x00zz_ b_x12"), "a_x00zz_ b_x12");
        assert_eq!(escaped("snake_case_x"), "snake_case_x");
    }

    #[test]
    fn serials_match_excel() {
        let at = |text: &str| {
            excel_serial(
                &text
                    .parse::<chrono::DateTime<chrono::Utc>>()
                    .unwrap()
                    .naive_utc(),
            )
        };

        assert_eq!(at("1900-01-01T00:00:00Z"), Some(1.0));
        assert_eq!(at("1900-02-28T00:00:00Z"), Some(59.0));
        assert_eq!(at("1900-03-01T00:00:00Z"), Some(61.0));
        assert_eq!(at("2024-01-01T12:00:00Z"), Some(45292.5));
        assert_eq!(at("1899-12-31T23:59:59Z"), None);
    }

    #[test]
    fn deflated_body_inflates_to_rows() {
        use std::io::Read;

        let file = tempfile::tempfile().unwrap();
        let styles = Styles {
            header: 1,
            datetime: 2,
            wrap: 3,
            link: 4,
        };
        let mut body = SheetBody::new(file, styles, 32_767);
        let mut cut = Vec::new();
        body.write_row(
            &[
                CellValue::Text("a&b".into()),
                CellValue::Empty,
                CellValue::Number(1.5),
                CellValue::Bool(true),
            ],
            &mut cut,
        )
        .unwrap();
        let mut finished = body.finish().unwrap();

        let mut compressed = Vec::new();
        finished.file.read_to_end(&mut compressed).unwrap();
        assert_eq!(compressed.len() as u64, finished.compressed);
        // The body has no final block of its own; the package adds one.
        Deflater::new()
            .write(b"", FlushCompress::Finish, &mut compressed)
            .unwrap();
        let mut xml = String::new();
        flate2::read::DeflateDecoder::new(&compressed[..])
            .read_to_string(&mut xml)
            .unwrap();
        assert_eq!(
            xml,
            "<row r=\"2\"><c r=\"A2\" t=\"inlineStr\"><is><t>a&amp;b</t></is></c>\
             <c r=\"C2\"><v>1.5</v></c><c r=\"D2\" t=\"b\"><v>1</v></c></row>"
        );
        assert_eq!(finished.uncompressed, xml.len() as u64);
        assert_eq!(
            finished.crc.clone().finalize(),
            crc32fast::hash(xml.as_bytes())
        );
        assert!(cut.is_empty());
    }
}
