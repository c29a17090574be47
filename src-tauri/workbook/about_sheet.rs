//! The "About this export" sheet: what the file contains and how it was
//! made, written as label and value rows, with a bar chart of the accounts
//! per tier and one per owner beside them.

use rust_xlsxwriter::{Chart, ChartType, Format, RowNum, Workbook, Worksheet, XlsxError};

use super::DATETIME_NUMBER_FORMAT;
use crate::about::AboutExport;

/// Name of the sheet.
pub const ABOUT_SHEET_NAME: &str = "About this export";

/// What the sheet says, from the caller and from the writer.
pub(super) struct AboutFacts<'a> {
    pub(super) about: &'a AboutExport,
    /// Data rows written over all Accounts sheets.
    pub(super) accounts: usize,
    pub(super) sheets: &'a [String],
    /// The caller's warnings followed by the writer's own.
    pub(super) warnings: Vec<String>,
}

/// Adds the sheet after the Accounts sheets.
pub(super) fn add_about_sheet(
    workbook: &mut Workbook,
    facts: &AboutFacts<'_>,
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    let title = Format::new().set_bold().set_font_size(14);
    let datetime = Format::new()
        .set_num_format(DATETIME_NUMBER_FORMAT)
        .set_align(rust_xlsxwriter::FormatAlign::Left);
    let wrap = Format::new().set_text_wrap();
    let left = Format::new().set_align(rust_xlsxwriter::FormatAlign::Left);
    let about = facts.about;

    // Constant memory keeps every text an inline string; see the skeleton's notes.
    let sheet = workbook.add_worksheet_with_constant_memory()?;
    sheet.set_name(ABOUT_SHEET_NAME)?;
    sheet.set_column_width(0, 26)?;
    sheet.set_column_width(1, 60)?;

    let mut row: RowNum = 0;
    sheet.write_string_with_format(row, 0, ABOUT_SHEET_NAME, &title)?;
    row += 2;

    sheet.write_string_with_format(row, 0, "Exported at (UTC)", &bold)?;
    sheet.write_datetime_with_format(row, 1, about.exported_at.naive_utc(), &datetime)?;
    row += 1;
    let exported_by = about.exported_by.as_deref().unwrap_or("(not known)");
    let sheets = facts.sheets.join(", ");
    let pairs = [
        ("Exported by", exported_by),
        ("DevRev address", about.base_url.as_str()),
        ("Endpoint", about.endpoint.as_str()),
    ];
    for (label, value) in pairs {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        sheet.write_string_with_format(row, 1, value, &wrap)?;
        row += 1;
    }
    sheet.write_string_with_format(row, 0, "Accounts", &bold)?;
    sheet.write_number_with_format(row, 1, facts.accounts as f64, &left)?;
    row += 1;
    for (label, value) in [
        ("Sheets with accounts", sheets.as_str()),
        ("App version", about.app_version.as_str()),
    ] {
        sheet.write_string_with_format(row, 0, label, &bold)?;
        sheet.write_string_with_format(row, 1, value, &wrap)?;
        row += 1;
    }

    row = write_section(sheet, row + 1, "Filters", &about.filters, &bold, &wrap)?;

    let warnings: Vec<(String, String)> = if facts.warnings.is_empty() {
        vec![("None".to_owned(), String::new())]
    } else {
        facts
            .warnings
            .iter()
            .enumerate()
            .map(|(index, warning)| (format!("{}.", index + 1), warning.clone()))
            .collect()
    };
    row = write_section(sheet, row + 1, "Warnings", &warnings, &bold, &wrap)?;

    let tiers = about.tally.tiers();
    let owners = about.tally.owners();
    let tier_start = row + 1;
    row = write_counts(sheet, tier_start, "Accounts per tier", &tiers, &bold)?;
    let owner_start = row + 1;
    write_counts(sheet, owner_start, "Accounts per owner", &owners, &bold)?;

    if !tiers.is_empty() {
        let chart = bar_chart("Accounts per tier", tier_start + 1, tiers.len());
        sheet.insert_chart(2, 3, &chart)?;
    }
    if !owners.is_empty() {
        let chart = bar_chart("Accounts per owner", owner_start + 1, owners.len());
        sheet.insert_chart(18, 3, &chart)?;
    }
    Ok(())
}

/// Writes a bold heading and label and value rows below it, and returns the
/// row after the last.
fn write_section(
    sheet: &mut Worksheet,
    mut row: RowNum,
    heading: &str,
    pairs: &[(String, String)],
    bold: &Format,
    wrap: &Format,
) -> Result<RowNum, XlsxError> {
    sheet.write_string_with_format(row, 0, heading, bold)?;
    row += 1;
    for (label, value) in pairs {
        sheet.write_string(row, 0, label)?;
        if !value.is_empty() {
            sheet.write_string_with_format(row, 1, value, wrap)?;
        }
        row += 1;
    }
    Ok(row)
}

/// Writes a heading and one row per group with its count, and returns the
/// row after the last.
fn write_counts(
    sheet: &mut Worksheet,
    mut row: RowNum,
    heading: &str,
    counts: &[(String, usize)],
    bold: &Format,
) -> Result<RowNum, XlsxError> {
    sheet.write_string_with_format(row, 0, heading, bold)?;
    sheet.write_string_with_format(row, 1, "Accounts", bold)?;
    row += 1;
    for (label, count) in counts {
        sheet.write_string(row, 0, label)?;
        sheet.write_number(row, 1, *count as f64)?;
        row += 1;
    }
    Ok(row)
}

/// Returns a bar chart of the `groups` rows from `first_row` on: labels in
/// column A, counts in column B.
fn bar_chart(title: &str, first_row: RowNum, groups: usize) -> Chart {
    let last_row = first_row + groups as RowNum - 1;
    let mut chart = Chart::new(ChartType::Bar);
    chart.title().set_name(title);
    chart.legend().set_hidden();
    chart
        .add_series()
        .set_name(title)
        .set_categories((ABOUT_SHEET_NAME, first_row, 0, last_row, 0))
        .set_values((ABOUT_SHEET_NAME, first_row, 1, last_row, 1));
    chart
}
