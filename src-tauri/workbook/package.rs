//! The `.xlsx` file itself: a zip archive of the skeleton's parts with the
//! streamed rows put into the Accounts sheets.
//!
//! Every part of the skeleton is copied as it is, still compressed, except
//! the Accounts sheets, their tables and their relationships (see below).
//! Each sheet becomes three deflate pieces read as
//! one stream: the sheet's start up to its header row, compressed here and
//! ended with a sync flush; the streamed rows from [`SheetBody`], which end
//! the same way; and the sheet's end, compressed here with the final block.
//! The CRC-32 of the whole is combined from the CRCs of the three pieces, so
//! no byte is compressed twice.
//!
//! Links are added here as well: each link cell's target becomes a
//! relationship in the sheet's relationships part, and the sheet's end gets
//! the `<hyperlinks>` list that ties cells to them. The skeleton then stays
//! small however many links there are.
//!
//! The zip format is written here, with zip64 records where sizes or
//! offsets pass 4 GiB, because zip libraries compress their entries
//! themselves and cannot take data compressed beforehand.
//!
//! [`SheetBody`]: super::sheet_xml::SheetBody

use std::io::{self, Read, Write};

use flate2::FlushCompress;
use zip::ZipArchive;

use super::sheet_xml::{column_name, Deflater, FinishedBody, LinkCell};
use super::skeleton::{sheet_entry_name, split_sheet, Styles};

/// Zip method numbers.
const STORED: u16 = 0;
const DEFLATED: u16 = 8;

/// Largest size or offset that fits a classic zip field; larger ones need zip64.
const ZIP32_MAX: u64 = 0xFFFF_FFFF;

/// Zip version 2.0 (deflate) and 4.5 (zip64), as "version needed to extract".
const VERSION_DEFLATE: u16 = 20;
const VERSION_ZIP64: u16 = 45;

/// DOS date of 1 January 1980, the earliest a zip entry can have. A fixed
/// date makes the same export give the same bytes, as rust_xlsxwriter does.
const DOS_DATE: u16 = (1 << 5) | 1;

/// Failure to put the workbook's file together.
#[derive(Debug, thiserror::Error)]
pub(super) enum PackageError {
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The skeleton was not the archive or sheet this module expects.
    #[error("{0}")]
    Skeleton(String),
}

/// One Accounts sheet to put into the skeleton: its header row, its
/// streamed rows and the dimension to declare, such as `A1:Y1001`.
pub(super) struct StreamedSheet {
    /// The `<row>` element of the header, uncompressed.
    pub(super) header: Vec<u8>,
    pub(super) body: FinishedBody,
    pub(super) dimension: String,
    /// Range of the sheet's Excel table, such as `A1:Y1001`: the header and
    /// at least one data row.
    pub(super) table_range: String,
    /// Columns of the table, from which `sample_column` finds the sample cells.
    pub(super) columns: usize,
}

/// Writes the workbook to `out`: the skeleton's parts in their order, with
/// the first `sheets.len()` worksheets filled from `sheets`.
///
/// `styles` are the style indexes the rows were written with; the skeleton
/// must give the same.
pub(super) fn assemble(
    skeleton: &[u8],
    sheets: Vec<StreamedSheet>,
    styles: Styles,
    out: impl Write,
) -> Result<(), PackageError> {
    let mut archive =
        ZipArchive::new(io::Cursor::new(skeleton)).map_err(|error| skeleton_error(&error))?;
    let mut zip = ZipOutput::new(out);
    let mut links: Vec<Vec<LinkCell>> = Vec::with_capacity(sheets.len());
    let mut table_ranges: Vec<String> = Vec::with_capacity(sheets.len());
    let mut sheets: Vec<Option<StreamedSheet>> = sheets
        .into_iter()
        .map(|mut sheet| {
            links.push(std::mem::take(&mut sheet.body.link_cells));
            table_ranges.push(std::mem::take(&mut sheet.table_range));
            Some(sheet)
        })
        .collect();

    for index in 0..archive.len() {
        let name = archive
            .by_index_raw(index)
            .map_err(|error| skeleton_error(&error))?
            .name()
            .map_err(|error| skeleton_error(&error))?
            .into_owned();
        let streamed = sheets
            .iter_mut()
            .enumerate()
            .find(|(position, _)| sheet_entry_name(*position) == name)
            .and_then(|(_, sheet)| sheet.take());

        // Tables get their real range and sheets with links their link
        // targets; every other part but the streamed sheets is copied as is.
        let table_part =
            (0..table_ranges.len()).find(|position| table_entry_name(*position) == name);
        let links_part = (0..links.len())
            .find(|position| sheet_rels_name(*position) == name && !links[*position].is_empty());
        if let Some(position) = table_part {
            let xml = set_table_range(
                &read_part(&mut archive, index)?,
                position,
                &table_ranges[position],
            )?;
            let mut part = StreamedPart::new();
            part.push(&xml)?;
            add_compressed(&mut zip, &name, part.finish()?)?;
            continue;
        }
        if let Some(position) = links_part {
            let xml = read_part(&mut archive, index)?;
            write_link_relationships(&mut zip, &name, &xml, &links[position])?;
            continue;
        }

        match streamed {
            Some(sheet) => {
                let xml = read_part(&mut archive, index)?;
                let position = sheets_index(&name);
                let sheet_links = position.and_then(|position| links.get(position));
                write_streamed_sheet(&mut zip, &name, &xml, sheet, sheet_links, styles)?;
            }
            None => {
                let mut entry = archive
                    .by_index_raw(index)
                    .map_err(|error| skeleton_error(&error))?;
                let method = match entry.compression() {
                    zip::CompressionMethod::Stored => STORED,
                    zip::CompressionMethod::Deflated => DEFLATED,
                    other => {
                        return Err(PackageError::Skeleton(format!(
                            "the skeleton part {name} uses the compression {other:?}"
                        )))
                    }
                };
                let header = EntryHeader {
                    name: name.clone(),
                    method,
                    crc: entry.crc32(),
                    compressed: entry.compressed_size(),
                    uncompressed: entry.size(),
                };
                let mut data = Vec::with_capacity(header.compressed as usize);
                entry.read_to_end(&mut data)?;
                zip.add(header, &mut &data[..])?;
            }
        }
    }

    if let Some(missing) = sheets.iter().position(Option::is_some) {
        return Err(PackageError::Skeleton(format!(
            "the skeleton has no part {}",
            sheet_entry_name(missing)
        )));
    }
    zip.finish()?;
    Ok(())
}

fn write_streamed_sheet(
    zip: &mut ZipOutput<impl Write>,
    name: &str,
    skeleton_xml: &[u8],
    sheet: StreamedSheet,
    links: Option<&Vec<LinkCell>>,
    styles: Styles,
) -> Result<(), PackageError> {
    let mut parts = split_sheet(skeleton_xml, &sheet.dimension, sheet.columns)
        .map_err(PackageError::Skeleton)?;
    if parts.styles != styles {
        return Err(PackageError::Skeleton(format!(
            "the skeleton has the styles {:?} but the rows use {styles:?}",
            parts.styles
        )));
    }
    parts.prefix.extend_from_slice(&sheet.header);

    let mut prefix = Vec::new();
    Deflater::new().write(&parts.prefix, FlushCompress::Sync, &mut prefix)?;
    let suffix = match links.filter(|links| !links.is_empty()) {
        Some(links) => with_hyperlink_list(&parts.suffix, links)?,
        None => {
            let mut part = StreamedPart::new();
            part.push(&parts.suffix)?;
            part.finish()?
        }
    };

    let mut crc = crc32fast::Hasher::new();
    crc.update(&parts.prefix);
    crc.combine(&sheet.body.crc);
    crc.combine(&suffix.crc);

    let header = EntryHeader {
        name: name.to_owned(),
        method: DEFLATED,
        crc: crc.finalize(),
        compressed: prefix.len() as u64 + sheet.body.compressed + suffix.data.len() as u64,
        uncompressed: parts.prefix.len() as u64 + sheet.body.uncompressed + suffix.length,
    };
    let body = (&sheet.body.file).take(sheet.body.compressed);
    let mut data = (&prefix[..]).chain(body).chain(&suffix.data[..]);
    zip.add(header, &mut data)?;
    Ok(())
}

/// Returns the uncompressed bytes of the skeleton's part at `index`.
fn read_part(
    archive: &mut ZipArchive<io::Cursor<&[u8]>>,
    index: usize,
) -> Result<Vec<u8>, PackageError> {
    let mut xml = Vec::new();
    archive
        .by_index(index)
        .map_err(|error| skeleton_error(&error))?
        .read_to_end(&mut xml)?;
    Ok(xml)
}

/// Returns the name of the relationships part of the sheet at zero-based `index`.
fn sheet_rels_name(index: usize) -> String {
    format!("xl/worksheets/_rels/sheet{}.xml.rels", index + 1)
}

/// Returns the name of the table part of the Accounts sheet at zero-based
/// `index`. rust_xlsxwriter numbers tables in sheet order, and the About
/// sheet, which comes last, has none.
fn table_entry_name(index: usize) -> String {
    format!("xl/tables/table{}.xml", index + 1)
}

/// Returns a table part with its range and its filter's range set to
/// `range`. The skeleton's tables cover only the header and the sample row.
fn set_table_range(xml: &[u8], index: usize, range: &str) -> Result<Vec<u8>, PackageError> {
    let name = format!(" name=\"{}\"", super::skeleton::table_name(index));
    if find_bytes(xml, name.as_bytes()).is_none() {
        return Err(PackageError::Skeleton(format!(
            "the table part {} is not the table{name}",
            table_entry_name(index)
        )));
    }
    let mut out = Vec::with_capacity(xml.len() + 32);
    let mut rest = xml;
    while let Some(at) = find_bytes(rest, b" ref=\"") {
        let value_start = at + b" ref=\"".len();
        let value_len = rest[value_start..]
            .iter()
            .position(|byte| *byte == b'"')
            .ok_or_else(|| PackageError::Skeleton("a table range has no end quote".to_owned()))?;
        out.extend_from_slice(&rest[..value_start]);
        out.extend_from_slice(range.as_bytes());
        rest = &rest[value_start + value_len..];
    }
    out.extend_from_slice(rest);
    Ok(out)
}

/// Returns the zero-based sheet index of a sheet part name such as
/// `xl/worksheets/sheet2.xml`.
fn sheets_index(name: &str) -> Option<usize> {
    let number: usize = name
        .strip_prefix("xl/worksheets/sheet")?
        .strip_suffix(".xml")?
        .parse()
        .ok()?;
    number.checked_sub(1)
}

/// Returns the relationship ID of the link at zero-based `index`. The prefix
/// keeps it apart from the `rIdN` IDs of rust_xlsxwriter's own relationships.
fn link_id(index: usize) -> String {
    format!("rIdLink{}", index + 1)
}

/// Returns the sheet's end, compressed, with a `<hyperlinks>` list of
/// `links` in front of `<pageMargins>`, where the schema puts it. The list
/// is compressed as it is made, so it is never whole in memory.
fn with_hyperlink_list(suffix: &[u8], links: &[LinkCell]) -> Result<Compressed, PackageError> {
    let at = find_bytes(suffix, b"<pageMargins")
        .or_else(|| find_bytes(suffix, b"</worksheet>"))
        .unwrap_or(suffix.len());
    let mut part = StreamedPart::new();
    part.push(&suffix[..at])?;
    part.push(b"<hyperlinks>")?;
    for (index, link) in links.iter().enumerate() {
        let cell = format!("{}{}", column_name(link.column), link.row);
        part.push(format!("<hyperlink ref=\"{cell}\" r:id=\"{}\"/>", link_id(index)).as_bytes())?;
    }
    part.push(b"</hyperlinks>")?;
    part.push(&suffix[at..])?;
    Ok(part.finish()?)
}

/// Adds a sheet's relationships part with one external hyperlink
/// relationship per link, compressed as it is made.
fn write_link_relationships(
    zip: &mut ZipOutput<impl Write>,
    name: &str,
    xml: &[u8],
    links: &[LinkCell],
) -> Result<(), PackageError> {
    let end = find_bytes(xml, b"</Relationships>").ok_or_else(|| {
        PackageError::Skeleton("a sheet's relationships part has no end tag".to_owned())
    })?;
    let mut part = StreamedPart::new();
    part.push(&xml[..end])?;
    for (index, link) in links.iter().enumerate() {
        part.push(
            format!(
                "<Relationship Id=\"{}\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/hyperlink\" Target=\"{}\" TargetMode=\"External\"/>",
                link_id(index),
                escape_attribute(&link.url)
            )
            .as_bytes(),
        )?;
    }
    part.push(&xml[end..])?;
    add_compressed(zip, name, part.finish()?)
}

/// A part's XML compressed, with the CRC and length of the XML.
struct Compressed {
    data: Vec<u8>,
    crc: crc32fast::Hasher,
    length: u64,
}

/// XML compressed piece by piece: only the compressed bytes and a small
/// buffer are held.
struct StreamedPart {
    deflater: Deflater,
    buffer: Vec<u8>,
    compressed: Vec<u8>,
    crc: crc32fast::Hasher,
    length: u64,
}

impl StreamedPart {
    /// Bytes gathered before they are compressed.
    const BUFFER_BYTES: usize = 64 * 1024;

    fn new() -> Self {
        StreamedPart {
            deflater: Deflater::new(),
            buffer: Vec::with_capacity(Self::BUFFER_BYTES),
            compressed: Vec::new(),
            crc: crc32fast::Hasher::new(),
            length: 0,
        }
    }

    fn push(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= Self::BUFFER_BYTES {
            self.compress(FlushCompress::None)?;
        }
        Ok(())
    }

    fn compress(&mut self, flush: FlushCompress) -> io::Result<()> {
        self.crc.update(&self.buffer);
        self.length += self.buffer.len() as u64;
        self.deflater
            .write(&self.buffer, flush, &mut self.compressed)?;
        self.buffer.clear();
        Ok(())
    }

    fn finish(mut self) -> io::Result<Compressed> {
        self.compress(FlushCompress::Finish)?;
        Ok(Compressed {
            data: self.compressed,
            crc: self.crc,
            length: self.length,
        })
    }
}

/// Adds a compressed part as the entry `name`.
fn add_compressed(
    zip: &mut ZipOutput<impl Write>,
    name: &str,
    part: Compressed,
) -> Result<(), PackageError> {
    let header = EntryHeader {
        name: name.to_owned(),
        method: DEFLATED,
        crc: part.crc.finalize(),
        compressed: part.data.len() as u64,
        uncompressed: part.length,
    };
    zip.add(header, &mut &part.data[..])?;
    Ok(())
}

fn escape_attribute(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Returns the uncompressed bytes of the part `name` of the archive `bytes`.
pub(super) fn read_entry(bytes: &[u8], name: &str) -> Result<Vec<u8>, PackageError> {
    let mut archive =
        ZipArchive::new(io::Cursor::new(bytes)).map_err(|error| skeleton_error(&error))?;
    let mut entry = archive
        .by_name(name)
        .map_err(|error| PackageError::Skeleton(format!("{name}: {error}")))?;
    let mut data = Vec::new();
    entry.read_to_end(&mut data)?;
    Ok(data)
}

fn skeleton_error(error: &zip::result::ZipError) -> PackageError {
    PackageError::Skeleton(format!(
        "the skeleton is not a readable zip archive: {error}"
    ))
}

/// The facts of one zip entry that its headers record.
struct EntryHeader {
    name: String,
    method: u16,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
}

impl EntryHeader {
    fn needs_zip64(&self) -> bool {
        self.compressed >= ZIP32_MAX || self.uncompressed >= ZIP32_MAX
    }
}

/// A zip archive written front to back, with its central directory at the end.
struct ZipOutput<W: Write> {
    out: W,
    written: u64,
    entries: Vec<(EntryHeader, u64)>,
}

impl<W: Write> ZipOutput<W> {
    fn new(out: W) -> Self {
        ZipOutput {
            out,
            written: 0,
            entries: Vec::new(),
        }
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.out.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Writes a local header and the entry's data, which must be exactly
    /// `header.compressed` bytes already compressed with `header.method`.
    fn add(&mut self, header: EntryHeader, data: &mut impl Read) -> io::Result<()> {
        let offset = self.written;
        let zip64 = header.needs_zip64();
        let mut local = Vec::with_capacity(30 + header.name.len() + 20);
        local.extend_from_slice(&0x0403_4b50_u32.to_le_bytes());
        let version = if zip64 {
            VERSION_ZIP64
        } else {
            VERSION_DEFLATE
        };
        push16(&mut local, version);
        push16(&mut local, 0); // flags
        push16(&mut local, header.method);
        push16(&mut local, 0); // time
        push16(&mut local, DOS_DATE);
        local.extend_from_slice(&header.crc.to_le_bytes());
        if zip64 {
            push32(&mut local, ZIP32_MAX as u32);
            push32(&mut local, ZIP32_MAX as u32);
        } else {
            push32(&mut local, header.compressed as u32);
            push32(&mut local, header.uncompressed as u32);
        }
        push16(&mut local, name_length(&header.name)?);
        push16(&mut local, if zip64 { 20 } else { 0 });
        local.extend_from_slice(header.name.as_bytes());
        if zip64 {
            push16(&mut local, 0x0001);
            push16(&mut local, 16);
            local.extend_from_slice(&header.uncompressed.to_le_bytes());
            local.extend_from_slice(&header.compressed.to_le_bytes());
        }
        self.put(&local)?;

        let copied = io::copy(data, &mut self.out)?;
        if copied != header.compressed {
            return Err(io::Error::other(format!(
                "the part {} has {copied} bytes instead of {}",
                header.name, header.compressed
            )));
        }
        self.written += copied;
        self.entries.push((header, offset));
        Ok(())
    }

    /// Writes the central directory and the end records, then flushes.
    fn finish(mut self) -> io::Result<W> {
        let directory_start = self.written;
        let entries = std::mem::take(&mut self.entries);
        for (header, offset) in &entries {
            let mut extra = Vec::new();
            if header.uncompressed >= ZIP32_MAX {
                extra.extend_from_slice(&header.uncompressed.to_le_bytes());
            }
            if header.compressed >= ZIP32_MAX {
                extra.extend_from_slice(&header.compressed.to_le_bytes());
            }
            if *offset >= ZIP32_MAX {
                extra.extend_from_slice(&offset.to_le_bytes());
            }
            let zip64 = !extra.is_empty();

            let mut record = Vec::with_capacity(46 + header.name.len() + 4 + extra.len());
            record.extend_from_slice(&0x0201_4b50_u32.to_le_bytes());
            let version = if zip64 || header.needs_zip64() {
                VERSION_ZIP64
            } else {
                VERSION_DEFLATE
            };
            push16(&mut record, version); // made by
            push16(&mut record, version); // needed
            push16(&mut record, 0); // flags
            push16(&mut record, header.method);
            push16(&mut record, 0); // time
            push16(&mut record, DOS_DATE);
            record.extend_from_slice(&header.crc.to_le_bytes());
            push32(&mut record, header.compressed.min(ZIP32_MAX) as u32);
            push32(&mut record, header.uncompressed.min(ZIP32_MAX) as u32);
            push16(&mut record, name_length(&header.name)?);
            push16(&mut record, if zip64 { extra.len() as u16 + 4 } else { 0 });
            push16(&mut record, 0); // comment
            push16(&mut record, 0); // disk
            push16(&mut record, 0); // internal attributes
            push32(&mut record, 0); // external attributes
            push32(&mut record, (*offset).min(ZIP32_MAX) as u32);
            record.extend_from_slice(header.name.as_bytes());
            if zip64 {
                push16(&mut record, 0x0001);
                push16(&mut record, extra.len() as u16);
                record.extend_from_slice(&extra);
            }
            self.put(&record)?;
        }
        let directory_size = self.written - directory_start;
        let count = entries.len() as u64;

        let needs_zip64_end =
            count >= 0xFFFF || directory_size >= ZIP32_MAX || directory_start >= ZIP32_MAX;
        if needs_zip64_end {
            let end64_start = self.written;
            let mut end64 = Vec::with_capacity(56 + 20);
            end64.extend_from_slice(&0x0606_4b50_u32.to_le_bytes());
            end64.extend_from_slice(&44_u64.to_le_bytes());
            push16(&mut end64, VERSION_ZIP64);
            push16(&mut end64, VERSION_ZIP64);
            push32(&mut end64, 0); // this disk
            push32(&mut end64, 0); // disk of the directory
            end64.extend_from_slice(&count.to_le_bytes());
            end64.extend_from_slice(&count.to_le_bytes());
            end64.extend_from_slice(&directory_size.to_le_bytes());
            end64.extend_from_slice(&directory_start.to_le_bytes());
            // The locator of the zip64 end record.
            end64.extend_from_slice(&0x0706_4b50_u32.to_le_bytes());
            push32(&mut end64, 0);
            end64.extend_from_slice(&end64_start.to_le_bytes());
            push32(&mut end64, 1);
            self.put(&end64)?;
        }

        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50_u32.to_le_bytes());
        push16(&mut end, 0); // this disk
        push16(&mut end, 0); // disk of the directory
        push16(&mut end, count.min(0xFFFF) as u16);
        push16(&mut end, count.min(0xFFFF) as u16);
        push32(&mut end, directory_size.min(ZIP32_MAX) as u32);
        push32(&mut end, directory_start.min(ZIP32_MAX) as u32);
        push16(&mut end, 0); // comment
        self.put(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

fn push16(bytes: &mut Vec<u8>, value: u16) {
    bytes.extend_from_slice(&value.to_le_bytes());
}

fn push32(bytes: &mut Vec<u8>, value: u32) {
    bytes.extend_from_slice(&value.to_le_bytes());
}

fn name_length(name: &str) -> io::Result<u16> {
    u16::try_from(name.len())
        .map_err(|_| io::Error::other(format!("the part name {name} is too long")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deflated(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        Deflater::new()
            .write(data, FlushCompress::Finish, &mut out)
            .unwrap();
        out
    }

    #[test]
    fn written_archive_reads_back() {
        let mut zip = ZipOutput::new(Vec::new());
        let text = b"hello, hello, hello".repeat(50);
        let packed = deflated(&text);
        zip.add(
            EntryHeader {
                name: "a.txt".into(),
                method: DEFLATED,
                crc: crc32fast::hash(&text),
                compressed: packed.len() as u64,
                uncompressed: text.len() as u64,
            },
            &mut &packed[..],
        )
        .unwrap();
        zip.add(
            EntryHeader {
                name: "b/c.txt".into(),
                method: STORED,
                crc: crc32fast::hash(b"plain"),
                compressed: 5,
                uncompressed: 5,
            },
            &mut &b"plain"[..],
        )
        .unwrap();
        let bytes = zip.finish().unwrap();

        assert_eq!(read_entry(&bytes, "a.txt").unwrap(), text);
        assert_eq!(read_entry(&bytes, "b/c.txt").unwrap(), b"plain");
    }

    #[test]
    fn zip64_records_read_back() {
        let mut zip = ZipOutput::new(Vec::new());
        // A pretend offset past 4 GiB makes the directory need zip64 records.
        zip.written = ZIP32_MAX + 10;
        zip.entries.push((
            EntryHeader {
                name: "far.txt".into(),
                method: STORED,
                crc: 0,
                compressed: 0,
                uncompressed: 0,
            },
            ZIP32_MAX + 1,
        ));
        let bytes = zip.finish().unwrap();

        // The directory is the whole output here; its zip64 extra field contains the offset.
        let extra_id = bytes
            .windows(4)
            .position(|window| window == [1, 0, 8, 0])
            .expect("a zip64 extra field with one offset");
        let offset = u64::from_le_bytes(bytes[extra_id + 4..extra_id + 12].try_into().unwrap());
        assert_eq!(offset, ZIP32_MAX + 1);
        assert!(bytes
            .windows(4)
            .any(|window| window == 0x0606_4b50_u32.to_le_bytes()));
    }

    #[test]
    fn concatenated_pieces_inflate_as_one() {
        let mut first = Vec::new();
        Deflater::new()
            .write(b"<a>", FlushCompress::Sync, &mut first)
            .unwrap();
        let mut second = Vec::new();
        Deflater::new()
            .write(b"<b/>", FlushCompress::Sync, &mut second)
            .unwrap();
        let third = deflated(b"</a>");
        let joined = [first, second, third].concat();

        let mut text = String::new();
        flate2::read::DeflateDecoder::new(&joined[..])
            .read_to_string(&mut text)
            .unwrap();
        assert_eq!(text, "<a><b/></a>");
    }
}
