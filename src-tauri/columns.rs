//! The column catalogue: which columns an export has, in what order, and how an
//! [`Account`] becomes one row of typed cells.
//!
//! The results grid in the app and the file writers all read the same
//! [`ColumnSet`], so a column's header, order and cell type are defined only
//! here. [`ColumnOptions`] carry the user's [`ColumnChoice`], the time zone
//! named in date headers and the display names of custom fields. Writing
//! cells to a file is left to [`crate::workbook`] and [`crate::csv_export`].

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::devrev::models::{Account, AccountSummary, ArtifactSummary, UserSummary};
use crate::time_zone::ExportTimeZone;

mod choice;

pub use choice::{ColumnChoice, ColumnChoiceError, OTHER_CUSTOM_FIELDS_KEY};

/// Separator between the items of a list field in one cell.
pub const LIST_SEPARATOR: &str = "; ";

/// Prefix of a custom field's [`Column::key`], followed by the field's key.
pub const CUSTOM_FIELD_KEY_PREFIX: &str = "custom_fields.";

/// One cell of the table.
///
/// It serializes untagged for the grid: `Empty` as `null`, `Text` as a string,
/// `Number` as a number, `Bool` as a boolean and `DateTime` as an RFC 3339 string
/// in UTC.
#[derive(Debug, Clone, PartialEq)]
pub enum CellValue {
    /// No value: the field is missing, `null`, an empty text or an empty list.
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// A timestamp in UTC, as the API returned it.
    DateTime(DateTime<Utc>),
}

/// The type of a column's cells, used by the grid to align and sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ColumnKind {
    Text,
    Number,
    Bool,
    DateTime,
}

/// One column of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Column {
    /// Stable identifier: the account field name, such as `display_id`, or
    /// `custom_fields.<key>` for a custom field.
    pub key: String,
    /// Readable header shown in the grid and in the workbook's first row.
    pub header: String,
    /// The kind of the column's non-empty cells. A custom column whose cells
    /// have several kinds is `Text`, while its cells keep their own kinds.
    pub kind: ColumnKind,
}

/// Accounts as a table: the columns and one row of cells per account.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AccountTable {
    pub columns: Vec<Column>,
    /// Rows in the order of the accounts. Every row has exactly `columns.len()` cells.
    pub rows: Vec<Vec<CellValue>>,
}

/// A column that every export has, with the function that reads its cell.
struct StandardColumn {
    key: &'static str,
    /// Header without the time zone, which date columns get from the options.
    header: &'static str,
    description: &'static str,
    kind: ColumnKind,
    cell: fn(&Account) -> CellValue,
}

/// The account fields, in the order of the table's first columns.
const STANDARD_COLUMNS: [StandardColumn; 19] = [
    StandardColumn {
        key: "display_id",
        header: "Account ID",
        description: "Short ID shown in DevRev, such as ACC-42",
        kind: ColumnKind::Text,
        cell: |account| optional_text(&account.display_id),
    },
    StandardColumn {
        key: "display_name",
        header: "Name",
        description: "Account name",
        kind: ColumnKind::Text,
        cell: |account| optional_text(&account.display_name),
    },
    StandardColumn {
        key: "tier",
        header: "Tier",
        description: "Account tier, such as Enterprise",
        kind: ColumnKind::Text,
        cell: |account| optional_text(&account.tier),
    },
    StandardColumn {
        key: "subtype",
        header: "Subtype",
        description: "Subtype of the account's custom type",
        kind: ColumnKind::Text,
        cell: |account| optional_text(&account.subtype),
    },
    StandardColumn {
        key: "owned_by",
        header: "Owners",
        description: "Owners as Name <email>, separated by semicolons",
        kind: ColumnKind::Text,
        cell: |account| joined(account.owned_by.iter().map(UserSummary::label)),
    },
    StandardColumn {
        key: "domains",
        header: "Domains",
        description: "Domains, separated by semicolons",
        kind: ColumnKind::Text,
        cell: |account| joined(account.domains.iter().cloned()),
    },
    StandardColumn {
        key: "websites",
        header: "Websites",
        description: "Websites, separated by semicolons",
        kind: ColumnKind::Text,
        cell: |account| joined(account.websites.iter().cloned()),
    },
    StandardColumn {
        key: "tags",
        header: "Tags",
        description: "Tags as name or name: value, separated by semicolons",
        kind: ColumnKind::Text,
        cell: |account| joined(account.tags.iter().map(|tag| tag.label())),
    },
    StandardColumn {
        key: "external_refs",
        header: "External refs",
        description: "IDs of the account in other systems, separated by semicolons",
        kind: ColumnKind::Text,
        cell: |account| joined(account.external_refs.iter().cloned()),
    },
    StandardColumn {
        key: "description",
        header: "Description",
        description: "Description text",
        kind: ColumnKind::Text,
        cell: |account| optional_text(&account.description),
    },
    StandardColumn {
        key: "created_date",
        header: "Created",
        description: "When the account was created",
        kind: ColumnKind::DateTime,
        cell: |account| optional_datetime(account.created_date),
    },
    StandardColumn {
        key: "created_by",
        header: "Created by",
        description: "Who created the account, as Name <email>",
        kind: ColumnKind::Text,
        cell: |account| optional_user(&account.created_by),
    },
    StandardColumn {
        key: "modified_date",
        header: "Modified",
        description: "When the account was last changed",
        kind: ColumnKind::DateTime,
        cell: |account| optional_datetime(account.modified_date),
    },
    StandardColumn {
        key: "modified_by",
        header: "Modified by",
        description: "Who last changed the account, as Name <email>",
        kind: ColumnKind::Text,
        cell: |account| optional_user(&account.modified_by),
    },
    StandardColumn {
        key: "primary_account",
        header: "Primary account",
        description: "Parent account as Name (ACC-1)",
        kind: ColumnKind::Text,
        cell: |account| match &account.primary_account {
            Some(primary) => text(account_label(primary)),
            None => CellValue::Empty,
        },
    },
    StandardColumn {
        key: "artifacts",
        header: "Artifacts",
        description: "Attached files by name, separated by semicolons",
        kind: ColumnKind::Text,
        cell: |account| joined(account.artifacts.iter().map(artifact_label)),
    },
    StandardColumn {
        key: "custom_schema_fragments",
        header: "Custom schema fragments",
        description: "IDs of the account's custom schema fragments",
        kind: ColumnKind::Text,
        cell: |account| joined(account.custom_schema_fragments.iter().cloned()),
    },
    StandardColumn {
        key: "stock_schema_fragment",
        header: "Stock schema fragment",
        description: "ID of the account's stock schema fragment",
        kind: ColumnKind::Text,
        cell: |account| optional_text(&account.stock_schema_fragment),
    },
    StandardColumn {
        key: "id",
        header: "DevRev ID",
        description: "Full DevRev object ID, such as don:core:…:account/42",
        kind: ColumnKind::Text,
        cell: |account| text(account.id.clone()),
    },
];

impl CellValue {
    /// Returns the kind of the value, or `None` for [`CellValue::Empty`].
    pub fn kind(&self) -> Option<ColumnKind> {
        match self {
            CellValue::Empty => None,
            CellValue::Text(_) => Some(ColumnKind::Text),
            CellValue::Number(_) => Some(ColumnKind::Number),
            CellValue::Bool(_) => Some(ColumnKind::Bool),
            CellValue::DateTime(_) => Some(ColumnKind::DateTime),
        }
    }
}

impl Serialize for CellValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            CellValue::Empty => serializer.serialize_none(),
            CellValue::Text(text) => serializer.serialize_str(text),
            CellValue::Number(number) => serializer.serialize_f64(*number),
            CellValue::Bool(flag) => serializer.serialize_bool(*flag),
            CellValue::DateTime(datetime) => {
                serializer.serialize_str(&datetime.to_rfc3339_opts(SecondsFormat::AutoSi, true))
            }
        }
    }
}

/// Builds the table for `accounts`: the standard columns, then one column per
/// custom field key found on any account, sorted by key.
pub fn build_table(accounts: &[Account]) -> AccountTable {
    let columns = build_columns(accounts);
    let rows = accounts
        .iter()
        .map(|account| build_row(account, &columns))
        .collect();

    AccountTable { columns, rows }
}

/// Lists the columns for `accounts`: the standard columns, then one column per
/// custom field key that occurs on at least one account, sorted by key.
pub fn build_columns(accounts: &[Account]) -> Vec<Column> {
    let mut set = ColumnSet::new();
    set.observe(accounts);
    set.columns
}

/// One column of the catalogue, as `columns` on the command line and the
/// column chooser in the app list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CatalogueColumn {
    pub key: &'static str,
    /// Header without the time zone, such as `Created`.
    pub header: &'static str,
    pub kind: ColumnKind,
    /// Contents of the column, in a few words.
    pub description: &'static str,
}

/// Lists the standard columns in their default order.
pub fn catalogue() -> Vec<CatalogueColumn> {
    STANDARD_COLUMNS
        .iter()
        .map(|standard| CatalogueColumn {
            key: standard.key,
            header: standard.header,
            kind: standard.kind,
            description: standard.description,
        })
        .collect()
}

/// Layout options of a [`ColumnSet`]: the columns and their order, the time
/// zone named in date headers, and display names for custom fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ColumnOptions {
    pub choice: ColumnChoice,
    /// Zone named in the headers of date columns. The default, UTC, is what
    /// [`ColumnSet::new`] uses.
    pub time_zone: ExportTimeZone,
    /// Display names of custom fields by field key, such as `tnt__region` →
    /// `Sales region`, from the org's schema. A field without one gets a
    /// header made from its key.
    pub custom_labels: HashMap<String, String>,
    /// Keys of the custom fields whose schema type is a date. Their values,
    /// sent as text such as `2026-05-13`, become date-time cells at midnight
    /// in [`Self::time_zone`], so the day stays the same whatever the zone.
    pub custom_dates: HashSet<String>,
}

/// Columns that grow as pages of accounts arrive. They start with the chosen
/// columns in the chosen order. When the choice ends with
/// [`OTHER_CUSTOM_FIELDS_KEY`], each further custom field key gets a column
/// in the order keys first appear (sorted by key within a page). Columns are
/// only ever appended, so rows built earlier stay aligned: they are just
/// shorter.
#[derive(Debug, Clone)]
pub struct ColumnSet {
    columns: Vec<Column>,
    /// Position in `columns` and the kinds of the non-empty cells of each custom key.
    custom: HashMap<String, (usize, HashSet<ColumnKind>)>,
    used_headers: HashSet<String>,
    /// True when custom fields that the choice does not name get columns.
    other_custom_fields: bool,
    /// Custom field keys, without the prefix, that [`OTHER_CUSTOM_FIELDS_KEY`] leaves out.
    hidden: HashSet<String>,
    custom_labels: HashMap<String, String>,
    custom_dates: HashSet<String>,
    zone: ExportTimeZone,
}

/// Changes made by one [`ColumnSet::observe`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnChange {
    /// Number of columns appended.
    pub added: usize,
    /// True when an existing column's kind changed.
    pub kinds_changed: bool,
}

impl ColumnChange {
    /// True when the columns differ from before.
    pub fn any(&self) -> bool {
        self.added > 0 || self.kinds_changed
    }
}

impl Default for ColumnSet {
    fn default() -> Self {
        Self::new()
    }
}

impl ColumnSet {
    /// Starts with the standard columns only, in the default order, with
    /// dates in UTC and every custom field added as it appears.
    pub fn new() -> Self {
        Self::with_options(&ColumnOptions::default())
    }

    /// Starts with the columns that `options` names.
    ///
    /// Keys this version does not know are skipped, and a key named twice
    /// gets one column, so that a choice saved by another version of the app
    /// still works. [`ColumnChoice::new`] rejects both for new input.
    pub fn with_options(options: &ColumnOptions) -> Self {
        let zone = &options.time_zone;
        let used_headers = STANDARD_COLUMNS
            .iter()
            .map(|standard| standard_header(standard, zone).to_lowercase())
            .collect();
        let hidden = options
            .choice
            .hidden()
            .iter()
            .filter_map(|key| key.strip_prefix(CUSTOM_FIELD_KEY_PREFIX))
            .map(str::to_owned)
            .collect();
        let mut set = ColumnSet {
            columns: Vec::new(),
            custom: HashMap::new(),
            used_headers,
            other_custom_fields: false,
            hidden,
            custom_labels: options.custom_labels.clone(),
            custom_dates: options.custom_dates.clone(),
            zone: options.time_zone,
        };

        for key in options.choice.keys() {
            if key == OTHER_CUSTOM_FIELDS_KEY {
                set.other_custom_fields = true;
            } else if let Some(field) = key.strip_prefix(CUSTOM_FIELD_KEY_PREFIX) {
                if !field.is_empty() && !set.custom.contains_key(field) {
                    set.add_custom_column(field, HashSet::new());
                }
            } else if let Some(standard) = find_standard(key) {
                if !set.columns.iter().any(|column| column.key == standard.key) {
                    set.columns.push(Column {
                        key: standard.key.to_owned(),
                        header: standard_header(standard, zone),
                        kind: standard.kind,
                    });
                }
            }
        }
        set
    }

    /// Returns the columns seen so far.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// Adds a column for each custom field key not seen before, unless the
    /// choice leaves it out, and updates the kinds of custom columns from the
    /// cells of `accounts`.
    pub fn observe(&mut self, accounts: &[Account]) -> ColumnChange {
        let mut page_kinds: BTreeMap<&str, HashSet<ColumnKind>> = BTreeMap::new();
        for account in accounts {
            for (key, value) in &account.custom_fields {
                let kinds = page_kinds.entry(key.as_str()).or_default();
                if let Some(kind) = self.custom_cell(key, value).kind() {
                    kinds.insert(kind);
                }
            }
        }

        let mut change = ColumnChange {
            added: 0,
            kinds_changed: false,
        };
        for (key, kinds) in page_kinds {
            let accepts_new = self.accepts_new_custom_field(key);
            match self.custom.get_mut(key) {
                Some((position, known)) => {
                    let before = known.len();
                    known.extend(kinds);
                    if known.len() != before {
                        let kind = merged_kind(known);
                        let column = &mut self.columns[*position];
                        change.kinds_changed |= column.kind != kind;
                        column.kind = kind;
                    }
                }
                None if accepts_new => {
                    self.add_custom_column(key, kinds);
                    change.added += 1;
                }
                None => {}
            }
        }
        change
    }

    /// Builds one row per account for the current columns.
    pub fn rows(&self, accounts: &[Account]) -> Vec<Vec<CellValue>> {
        let date_positions: Vec<usize> = self
            .custom_dates
            .iter()
            .filter_map(|key| self.custom.get(key).map(|(position, _)| *position))
            .collect();
        accounts
            .iter()
            .map(|account| {
                let mut row = build_row(account, &self.columns);
                for &position in &date_positions {
                    let cell = std::mem::replace(&mut row[position], CellValue::Empty);
                    row[position] = date_cell(cell, &self.zone);
                }
                row
            })
            .collect()
    }

    /// Converts one custom field value as [`Self::rows`] does.
    fn custom_cell(&self, key: &str, value: &Value) -> CellValue {
        let cell = custom_field_cell(value);
        if self.custom_dates.contains(key) {
            date_cell(cell, &self.zone)
        } else {
            cell
        }
    }

    /// Returns whether a custom field without a column yet gets one.
    fn accepts_new_custom_field(&self, key: &str) -> bool {
        self.other_custom_fields && !self.hidden.contains(key)
    }

    /// Appends the column of custom field `key` (without the prefix).
    fn add_custom_column(&mut self, key: &str, kinds: HashSet<ColumnKind>) {
        let preferred = self
            .custom_labels
            .get(key)
            .map(|label| label.trim())
            .filter(|label| !label.is_empty())
            .map_or_else(|| readable_key(key), str::to_owned);
        let preferred = if self.custom_dates.contains(key) {
            self.zone.header(&preferred)
        } else {
            preferred
        };
        self.columns.push(Column {
            key: format!("{CUSTOM_FIELD_KEY_PREFIX}{key}"),
            header: unique_header(key, preferred, &mut self.used_headers),
            kind: merged_kind(&kinds),
        });
        self.custom
            .insert(key.to_owned(), (self.columns.len() - 1, kinds));
    }
}

/// Returns the standard column with `key`, if there is one.
fn find_standard(key: &str) -> Option<&'static StandardColumn> {
    STANDARD_COLUMNS.iter().find(|standard| standard.key == key)
}

/// Returns a standard column's header, with the zone for date columns.
fn standard_header(standard: &StandardColumn, zone: &ExportTimeZone) -> String {
    match standard.kind {
        ColumnKind::DateTime => zone.header(standard.header),
        _ => standard.header.to_owned(),
    }
}

/// Returns the kind of a custom column: the single kind of its cells, else text.
/// A column with no non-empty cell yet is text.
fn merged_kind(kinds: &HashSet<ColumnKind>) -> ColumnKind {
    match kinds.len() {
        1 => kinds.iter().next().copied().unwrap_or(ColumnKind::Text),
        _ => ColumnKind::Text,
    }
}

/// Builds the cells of one account for `columns`, one cell per column.
///
/// A column whose key is neither a standard column nor a custom field gets an
/// empty cell, so the row always has `columns.len()` cells.
pub fn build_row(account: &Account, columns: &[Column]) -> Vec<CellValue> {
    columns
        .iter()
        .map(|column| {
            if let Some(field) = column.key.strip_prefix(CUSTOM_FIELD_KEY_PREFIX) {
                return account
                    .custom_fields
                    .get(field)
                    .map_or(CellValue::Empty, custom_field_cell);
            }
            find_standard(&column.key).map_or(CellValue::Empty, |standard| (standard.cell)(account))
        })
        .collect()
}

/// Converts the text of a date field to a date-time cell: a date such as
/// `2026-05-13` becomes midnight of that day in `zone`, and an RFC 3339
/// time stays that instant. Other cells, and text that is neither, are kept.
fn date_cell(cell: CellValue, zone: &ExportTimeZone) -> CellValue {
    let CellValue::Text(text) = &cell else {
        return cell;
    };
    let text = text.trim();
    if let Ok(day) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return CellValue::DateTime(zone.instant(day.and_time(chrono::NaiveTime::MIN)));
    }
    match DateTime::parse_from_rfc3339(text) {
        Ok(instant) => CellValue::DateTime(instant.with_timezone(&Utc)),
        Err(_) => cell,
    }
}

/// Converts a custom field's JSON value to a cell.
///
/// Strings become text and booleans stay booleans. A number becomes a number
/// only when an `f64` represents it exactly, so an integer such as
/// `12345678901234567890` stays text with all its digits. An array becomes its
/// items joined with [`LIST_SEPARATOR`] and an object its compact JSON.
/// `null`, `""`, `[]` and `{}` are empty.
pub fn custom_field_cell(value: &Value) -> CellValue {
    match value {
        Value::Null => CellValue::Empty,
        Value::Bool(flag) => CellValue::Bool(*flag),
        Value::Number(number) => number_cell(number),
        Value::String(string) => text(string.clone()),
        Value::Array(items) => joined(items.iter().filter_map(|item| match item {
            Value::Null => None,
            Value::String(string) => Some(string.clone()),
            other => Some(other.to_string()),
        })),
        Value::Object(map) if map.is_empty() => CellValue::Empty,
        Value::Object(_) => CellValue::Text(value.to_string()),
    }
}

/// Converts a JSON number to a number cell when `f64` represents it exactly, else to its digits as text.
///
/// NOTE: serde_json is built without `arbitrary_precision`, so an integer
/// outside the `i64` and `u64` ranges is already an `f64` when it gets here
/// and its lost digits cannot be recovered.
fn number_cell(number: &serde_json::Number) -> CellValue {
    // i128 represents every i64 and u64, and the round trip through it catches
    // values such as i64::MAX, which `as f64` rounds up to 2^63.
    let integer = number
        .as_i64()
        .map(i128::from)
        .or_else(|| number.as_u64().map(i128::from));
    match integer {
        Some(integer) => {
            let float = integer as f64;
            if float as i128 == integer {
                CellValue::Number(float)
            } else {
                CellValue::Text(number.to_string())
            }
        }
        None => match number.as_f64() {
            Some(float) if float.is_finite() => CellValue::Number(float),
            _ => CellValue::Text(number.to_string()),
        },
    }
}

/// Turns a custom field's preferred header (its display name or readable
/// key) into one that no other column uses yet, comparing case-insensitively,
/// and records it in `used_headers`. An empty preference falls back to the key.
fn unique_header(key: &str, preferred: String, used_headers: &mut HashSet<String>) -> String {
    let mut header = if preferred.is_empty() {
        key.to_owned()
    } else {
        preferred
    };
    if used_headers.contains(&header.to_lowercase()) {
        header = format!("{header} ({key})");
    }

    let base = header.clone();
    let mut suffix = 2;
    while used_headers.contains(&header.to_lowercase()) {
        header = format!("{base} {suffix}");
        suffix += 1;
    }

    used_headers.insert(header.to_lowercase());
    header
}

/// Makes a custom field key readable: `tnt__region_code` becomes `Region code`.
///
/// The `tnt__` (tenant field) or `ctype__` (subtype field) prefix is dropped,
/// runs of underscores become one space and the first letter is capitalized.
fn readable_key(key: &str) -> String {
    let name = key
        .strip_prefix("tnt__")
        .or_else(|| key.strip_prefix("ctype__"))
        .unwrap_or(key);
    let words: Vec<&str> = name.split('_').filter(|word| !word.is_empty()).collect();
    let spaced = words.join(" ");

    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Formats a referenced account as `Name (ACC-1)`, or whichever of the name,
/// display ID and ID it has.
fn account_label(account: &AccountSummary) -> String {
    let name = account
        .display_name
        .as_deref()
        .filter(|name| !name.is_empty());
    let display_id = account.display_id.as_deref().filter(|id| !id.is_empty());
    match (name, display_id) {
        (Some(name), Some(display_id)) => format!("{name} ({display_id})"),
        (Some(name), None) => name.to_owned(),
        (None, Some(display_id)) => display_id.to_owned(),
        (None, None) => account.id.clone(),
    }
}

/// Names an artifact by its file name, falling back to its display ID, then its ID.
fn artifact_label(artifact: &ArtifactSummary) -> String {
    let file_name = artifact.file.as_ref().and_then(|file| file.name.as_deref());
    [file_name, artifact.display_id.as_deref()]
        .into_iter()
        .flatten()
        .find(|name| !name.is_empty())
        .map_or_else(|| artifact.id.clone(), str::to_owned)
}

fn text(value: String) -> CellValue {
    if value.is_empty() {
        CellValue::Empty
    } else {
        CellValue::Text(value)
    }
}

fn optional_text(value: &Option<String>) -> CellValue {
    value.clone().map_or(CellValue::Empty, text)
}

fn optional_user(user: &Option<UserSummary>) -> CellValue {
    user.as_ref()
        .map_or(CellValue::Empty, |user| text(user.label()))
}

fn optional_datetime(value: Option<DateTime<Utc>>) -> CellValue {
    value.map_or(CellValue::Empty, CellValue::DateTime)
}

/// Joins the non-empty items with [`LIST_SEPARATOR`]; no items is an empty cell.
fn joined(items: impl Iterator<Item = String>) -> CellValue {
    let items: Vec<String> = items.filter(|item| !item.is_empty()).collect();
    text(items.join(LIST_SEPARATOR))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devrev::models::{ArtifactFile, TagSummary, TagWithValue};
    use chrono::TimeZone;
    use serde_json::json;

    fn account_with_custom_fields(id: &str, fields: Value) -> Account {
        Account {
            id: id.into(),
            custom_fields: fields.as_object().cloned().unwrap_or_default(),
            ..Default::default()
        }
    }

    fn cell<'a>(table: &'a AccountTable, row: usize, key: &str) -> &'a CellValue {
        let index = table
            .columns
            .iter()
            .position(|column| column.key == key)
            .unwrap_or_else(|| panic!("no column with key {key}"));
        &table.rows[row][index]
    }

    fn column<'a>(table: &'a AccountTable, key: &str) -> &'a Column {
        table
            .columns
            .iter()
            .find(|column| column.key == key)
            .unwrap_or_else(|| panic!("no column with key {key}"))
    }

    #[test]
    fn standard_headers_in_order() {
        let table = build_table(&[]);

        let headers: Vec<&str> = table.columns.iter().map(|c| c.header.as_str()).collect();

        assert_eq!(
            headers,
            [
                "Account ID",
                "Name",
                "Tier",
                "Subtype",
                "Owners",
                "Domains",
                "Websites",
                "Tags",
                "External refs",
                "Description",
                "Created (UTC)",
                "Created by",
                "Modified (UTC)",
                "Modified by",
                "Primary account",
                "Artifacts",
                "Custom schema fragments",
                "Stock schema fragment",
                "DevRev ID",
            ]
        );
        assert!(table.rows.is_empty());
    }

    #[test]
    fn standard_columns_have_kinds() {
        let table = build_table(&[]);

        assert_eq!(column(&table, "created_date").kind, ColumnKind::DateTime);
        assert_eq!(column(&table, "modified_date").kind, ColumnKind::DateTime);
        assert_eq!(column(&table, "display_name").kind, ColumnKind::Text);
        assert_eq!(column(&table, "id").header, "DevRev ID");
    }

    #[test]
    fn users_and_tags_use_labels() {
        let account = Account {
            id: "A-1".into(),
            owned_by: vec![
                UserSummary {
                    id: "U-1".into(),
                    full_name: Some("Ada Lovelace".into()),
                    email: Some("ada@example.com".into()),
                    ..Default::default()
                },
                UserSummary {
                    id: "U-2".into(),
                    display_name: Some("grace".into()),
                    ..Default::default()
                },
            ],
            tags: vec![
                TagWithValue {
                    tag: TagSummary {
                        id: "T-1".into(),
                        name: "priority".into(),
                        ..Default::default()
                    },
                    value: Some("high".into()),
                },
                TagWithValue {
                    tag: TagSummary {
                        id: "T-2".into(),
                        name: "vip".into(),
                        ..Default::default()
                    },
                    value: None,
                },
            ],
            created_by: Some(UserSummary {
                id: "U-3".into(),
                ..Default::default()
            }),
            ..Default::default()
        };

        let table = build_table(&[account]);

        assert_eq!(
            cell(&table, 0, "owned_by"),
            &CellValue::Text("Ada Lovelace <ada@example.com>; grace".into())
        );
        assert_eq!(
            cell(&table, 0, "tags"),
            &CellValue::Text("priority: high; vip".into())
        );
        assert_eq!(
            cell(&table, 0, "created_by"),
            &CellValue::Text("U-3".into())
        );
    }

    #[test]
    fn references_and_artifacts_use_labels() {
        let account = Account {
            id: "A-1".into(),
            primary_account: Some(AccountSummary {
                id: "A-0".into(),
                display_id: Some("ACC-0".into()),
                display_name: Some("Parent Inc".into()),
            }),
            artifacts: vec![
                ArtifactSummary {
                    id: "don:artifact/1".into(),
                    display_id: Some("ARTIFACT-1".into()),
                    file: Some(ArtifactFile {
                        name: Some("contract.pdf".into()),
                        ..Default::default()
                    }),
                },
                ArtifactSummary {
                    id: "don:artifact/2".into(),
                    display_id: None,
                    file: None,
                },
            ],
            domains: vec!["example.com".into(), "example.org".into()],
            ..Default::default()
        };

        let table = build_table(&[account]);

        assert_eq!(
            cell(&table, 0, "primary_account"),
            &CellValue::Text("Parent Inc (ACC-0)".into())
        );
        assert_eq!(
            cell(&table, 0, "artifacts"),
            &CellValue::Text("contract.pdf; don:artifact/2".into())
        );
        assert_eq!(
            cell(&table, 0, "domains"),
            &CellValue::Text("example.com; example.org".into())
        );
    }

    #[test]
    fn dates_stay_datetimes() {
        let created = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap();
        let account = Account {
            id: "A-1".into(),
            created_date: Some(created),
            ..Default::default()
        };

        let table = build_table(&[account]);

        assert_eq!(
            cell(&table, 0, "created_date"),
            &CellValue::DateTime(created)
        );
        assert_eq!(cell(&table, 0, "modified_date"), &CellValue::Empty);
    }

    #[test]
    fn missing_fields_are_empty() {
        let account = Account {
            id: "A-1".into(),
            description: Some(String::new()),
            domains: vec![String::new()],
            ..Default::default()
        };

        let table = build_table(&[account]);

        let row = &table.rows[0];
        assert_eq!(row.len(), table.columns.len());
        let last = row.len() - 1;
        for (index, value) in row[..last].iter().enumerate() {
            assert_eq!(
                value,
                &CellValue::Empty,
                "column {}",
                table.columns[index].key
            );
        }
        assert_eq!(row[last], CellValue::Text("A-1".into()));
    }

    #[test]
    fn custom_fields_union_sorted_by_key() {
        let accounts = [
            account_with_custom_fields("A-1", json!({"tnt__zone": "eu", "tnt__arr": 10})),
            account_with_custom_fields("A-2", json!({"ctype__active": true})),
        ];

        let table = build_table(&accounts);

        let custom: Vec<(&str, &str)> = table.columns[STANDARD_COLUMNS.len()..]
            .iter()
            .map(|c| (c.key.as_str(), c.header.as_str()))
            .collect();
        assert_eq!(
            custom,
            [
                ("custom_fields.ctype__active", "Active"),
                ("custom_fields.tnt__arr", "Arr"),
                ("custom_fields.tnt__zone", "Zone"),
            ]
        );
        assert!(table
            .rows
            .iter()
            .all(|row| row.len() == table.columns.len()));
        assert_eq!(
            cell(&table, 1, "custom_fields.tnt__zone"),
            &CellValue::Empty
        );
        assert_eq!(
            cell(&table, 1, "custom_fields.ctype__active"),
            &CellValue::Bool(true)
        );
    }

    #[test]
    fn custom_column_kinds() {
        let accounts = [
            account_with_custom_fields(
                "A-1",
                json!({"tnt__count": 3, "tnt__mixed": 1, "tnt__flag": false, "tnt__never": null}),
            ),
            account_with_custom_fields(
                "A-2",
                json!({"tnt__count": 2.5, "tnt__mixed": "one", "tnt__flag": null}),
            ),
        ];

        let table = build_table(&accounts);

        assert_eq!(
            column(&table, "custom_fields.tnt__count").kind,
            ColumnKind::Number
        );
        assert_eq!(
            column(&table, "custom_fields.tnt__mixed").kind,
            ColumnKind::Text
        );
        assert_eq!(
            column(&table, "custom_fields.tnt__flag").kind,
            ColumnKind::Bool
        );
        assert_eq!(
            column(&table, "custom_fields.tnt__never").kind,
            ColumnKind::Text
        );
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__mixed"),
            &CellValue::Number(1.0)
        );
        assert_eq!(
            cell(&table, 1, "custom_fields.tnt__mixed"),
            &CellValue::Text("one".into())
        );
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__never"),
            &CellValue::Empty
        );
    }

    #[test]
    fn custom_big_integers_stay_text() {
        let accounts = [account_with_custom_fields(
            "A-1",
            json!({
                "tnt__big": 12345678901234567890u64,
                "tnt__i64_max": i64::MAX,
                "tnt__exact": 9007199254740992i64,
                "tnt__negative": -42,
            }),
        )];

        let table = build_table(&accounts);

        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__big"),
            &CellValue::Text("12345678901234567890".into())
        );
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__i64_max"),
            &CellValue::Text("9223372036854775807".into())
        );
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__exact"),
            &CellValue::Number(9007199254740992.0)
        );
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__negative"),
            &CellValue::Number(-42.0)
        );
    }

    #[test]
    fn custom_arrays_and_objects_as_text() {
        let accounts = [account_with_custom_fields(
            "A-1",
            json!({
                "tnt__list": ["a", 2, null, {"k": "v"}],
                "tnt__object": {"b": 1, "a": [true]},
                "tnt__empty_list": [],
                "tnt__empty_object": {},
            }),
        )];

        let table = build_table(&accounts);

        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__list"),
            &CellValue::Text(r#"a; 2; {"k":"v"}"#.into())
        );
        let CellValue::Text(object) = cell(&table, 0, "custom_fields.tnt__object") else {
            panic!("object is not text");
        };
        let decoded: Value = serde_json::from_str(object).unwrap();
        assert_eq!(decoded, json!({"b": 1, "a": [true]}));
        assert!(!object.contains(' '), "not compact: {object}");
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__empty_list"),
            &CellValue::Empty
        );
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__empty_object"),
            &CellValue::Empty
        );
    }

    #[test]
    fn custom_headers_readable_and_unique() {
        let accounts = [account_with_custom_fields(
            "A-1",
            json!({
                "tnt__region__code": 1,
                "tnt__name": "x",
                "ctype__tier": "y",
                "tnt__tier": "z",
                "__": "w",
                "ünits_sold": 4,
            }),
        )];

        let table = build_table(&accounts);

        assert_eq!(
            column(&table, "custom_fields.tnt__region__code").header,
            "Region code"
        );
        assert_eq!(
            column(&table, "custom_fields.tnt__name").header,
            "Name (tnt__name)"
        );
        assert_eq!(
            column(&table, "custom_fields.ctype__tier").header,
            "Tier (ctype__tier)"
        );
        assert_eq!(
            column(&table, "custom_fields.tnt__tier").header,
            "Tier (tnt__tier)"
        );
        assert_eq!(column(&table, "custom_fields.__").header, "__");
        assert_eq!(
            column(&table, "custom_fields.ünits_sold").header,
            "Ünits sold"
        );
        let headers: HashSet<String> = table
            .columns
            .iter()
            .map(|c| c.header.to_lowercase())
            .collect();
        assert_eq!(headers.len(), table.columns.len());
    }

    #[test]
    fn table_serializes_for_grid() {
        let created = Utc.with_ymd_and_hms(2024, 1, 2, 3, 4, 5).unwrap()
            + chrono::Duration::milliseconds(678);
        let account = Account {
            id: "A-1".into(),
            created_date: Some(created),
            custom_fields: json!({"tnt__n": 1.5, "tnt__b": true})
                .as_object()
                .cloned()
                .unwrap(),
            ..Default::default()
        };

        let json = serde_json::to_value(build_table(&[account])).unwrap();

        assert_eq!(
            json["columns"][0],
            json!({"key": "display_id", "header": "Account ID", "kind": "text"})
        );
        assert_eq!(json["columns"][10]["kind"], "datetime");
        assert_eq!(json["columns"][19]["kind"], "bool");
        assert_eq!(json["columns"][20]["kind"], "number");
        let row = &json["rows"][0];
        assert_eq!(row[0], Value::Null);
        assert_eq!(row[10], "2024-01-02T03:04:05.678Z");
        assert_eq!(row[18], "A-1");
        assert_eq!(row[19], true);
        assert_eq!(row[20], 1.5);
    }

    #[test]
    fn column_set_appends_late_custom_fields() {
        let mut first = Account::default();
        first.custom_fields.insert("tnt__b".into(), json!("x"));
        let mut second = Account::default();
        second.custom_fields.insert("tnt__a".into(), json!(5));
        second.custom_fields.insert("tnt__b".into(), json!("y"));
        let mut set = ColumnSet::new();
        let standard = set.columns().len();

        let change_one = set.observe(&[first]);
        let change_two = set.observe(&[second.clone()]);

        assert_eq!(change_one.added, 1);
        assert_eq!(change_two.added, 1);
        let keys: Vec<&str> = set.columns()[standard..]
            .iter()
            .map(|c| c.key.as_str())
            .collect();
        assert_eq!(keys, ["custom_fields.tnt__b", "custom_fields.tnt__a"]);
        let row = &set.rows(&[second])[0];
        assert_eq!(row[standard], CellValue::Text("y".into()));
        assert_eq!(row[standard + 1], CellValue::Number(5.0));
    }

    #[test]
    fn column_set_reports_kind_change() {
        let mut numeric = Account::default();
        numeric.custom_fields.insert("tnt__score".into(), json!(3));
        let mut textual = Account::default();
        textual
            .custom_fields
            .insert("tnt__score".into(), json!("high"));
        let mut set = ColumnSet::new();
        set.observe(&[numeric]);

        let change = set.observe(&[textual]);

        assert!(change.kinds_changed);
        assert_eq!(change.added, 0);
        assert_eq!(set.columns().last().unwrap().kind, ColumnKind::Text);
    }

    #[test]
    fn catalogue_matches_default_columns() {
        let catalogue = catalogue();
        let set = ColumnSet::new();

        let catalogue_keys: Vec<&str> = catalogue.iter().map(|entry| entry.key).collect();
        let set_keys: Vec<&str> = set.columns().iter().map(|c| c.key.as_str()).collect();
        assert_eq!(catalogue_keys, set_keys);
        assert!(catalogue.iter().all(|entry| !entry.description.is_empty()));
        assert_eq!(catalogue[10].header, "Created");
    }

    #[test]
    fn identifiers_and_references_are_text() {
        for key in [
            "display_id",
            "id",
            "external_refs",
            "primary_account",
            "custom_schema_fragments",
            "stock_schema_fragment",
            "domains",
            "websites",
        ] {
            let entry = catalogue()
                .into_iter()
                .find(|entry| entry.key == key)
                .unwrap();
            assert_eq!(entry.kind, ColumnKind::Text, "{key}");
        }
        let account = Account {
            id: "00123".into(),
            display_id: Some("0042".into()),
            external_refs: vec!["12345678901234567890".into()],
            custom_fields: json!({"tnt__zip": "00123"}).as_object().cloned().unwrap(),
            ..Default::default()
        };

        let table = build_table(&[account]);

        assert_eq!(cell(&table, 0, "id"), &CellValue::Text("00123".into()));
        assert_eq!(
            cell(&table, 0, "display_id"),
            &CellValue::Text("0042".into())
        );
        assert_eq!(
            cell(&table, 0, "external_refs"),
            &CellValue::Text("12345678901234567890".into())
        );
        assert_eq!(
            cell(&table, 0, "custom_fields.tnt__zip"),
            &CellValue::Text("00123".into())
        );
    }

    #[test]
    fn options_choose_order_and_zone() {
        let options = ColumnOptions {
            choice: ColumnChoice::parse_list("modified_date,display_name,custom_fields.tnt__arr")
                .unwrap(),
            time_zone: ExportTimeZone::local_with_offset(
                chrono::FixedOffset::west_opt(4 * 3600).unwrap(),
            ),
            ..ColumnOptions::default()
        };
        let mut set = ColumnSet::with_options(&options);

        let change = set.observe(&[account_with_custom_fields(
            "A-1",
            json!({"tnt__arr": 10, "tnt__other": "x"}),
        )]);

        let headers: Vec<&str> = set.columns().iter().map(|c| c.header.as_str()).collect();
        assert_eq!(headers, ["Modified (UTC-04:00)", "Name", "Arr"]);
        assert_eq!(change.added, 0);
        assert!(change.kinds_changed);
        assert_eq!(set.columns()[2].kind, ColumnKind::Number);
    }

    #[test]
    fn custom_labels_name_custom_columns() {
        let options = ColumnOptions {
            custom_labels: HashMap::from([
                ("tnt__region".to_owned(), "Sales region".to_owned()),
                ("tnt__name".to_owned(), "Name".to_owned()),
                ("tnt__blank".to_owned(), "  ".to_owned()),
            ]),
            ..ColumnOptions::default()
        };
        let mut set = ColumnSet::with_options(&options);

        set.observe(&[account_with_custom_fields(
            "A-1",
            json!({"tnt__region": "EMEA", "tnt__name": "x", "tnt__blank": 1}),
        )]);

        let custom: Vec<(&str, &str)> = set.columns()[STANDARD_COLUMNS.len()..]
            .iter()
            .map(|c| (c.key.as_str(), c.header.as_str()))
            .collect();
        assert_eq!(
            custom,
            [
                ("custom_fields.tnt__blank", "Blank"),
                ("custom_fields.tnt__name", "Name (tnt__name)"),
                ("custom_fields.tnt__region", "Sales region"),
            ]
        );
    }

    #[test]
    fn date_fields_become_dates() {
        let zone = ExportTimeZone::local_with_offset(chrono::FixedOffset::east_opt(3600).unwrap());
        let options = ColumnOptions {
            choice: ColumnChoice::parse_list("custom_fields.tnt__renewal").unwrap(),
            time_zone: zone,
            custom_dates: HashSet::from(["tnt__renewal".to_owned()]),
            ..ColumnOptions::default()
        };
        let mut set = ColumnSet::with_options(&options);
        let accounts = [
            account_with_custom_fields("A-1", json!({"tnt__renewal": "2026-05-13"})),
            account_with_custom_fields("A-2", json!({"tnt__renewal": "2026-05-13T10:00:00Z"})),
            account_with_custom_fields("A-3", json!({"tnt__renewal": "soon"})),
        ];

        set.observe(&accounts[..2]);
        let kind_of_dates = set.columns()[0].kind;
        let rows = set.rows(&accounts);

        assert_eq!(set.columns()[0].header, "Renewal (UTC+01:00)");
        assert_eq!(kind_of_dates, ColumnKind::DateTime);
        // Midnight in the export's zone, so the cell shows the same day.
        let midnight: DateTime<Utc> = "2026-05-12T23:00:00Z".parse().unwrap();
        let morning: DateTime<Utc> = "2026-05-13T10:00:00Z".parse().unwrap();
        assert_eq!(rows[0][0], CellValue::DateTime(midnight));
        assert_eq!(rows[1][0], CellValue::DateTime(morning));
        assert_eq!(rows[2][0], CellValue::Text("soon".into()));
    }

    #[test]
    fn saved_choice_with_unknown_keys_still_works() {
        let saved: ColumnChoice = serde_json::from_value(json!({
            "keys": ["tier", "retired_column", "tier", "custom_fields.*", "display_name"],
            "hidden": ["custom_fields.tnt__secret"]
        }))
        .unwrap();
        let mut set = ColumnSet::with_options(&ColumnOptions {
            choice: saved,
            ..ColumnOptions::default()
        });

        set.observe(&[account_with_custom_fields(
            "A-1",
            json!({"tnt__secret": 1, "tnt__open": 2}),
        )]);

        let keys: Vec<&str> = set.columns().iter().map(|c| c.key.as_str()).collect();
        assert_eq!(keys, ["tier", "display_name", "custom_fields.tnt__open"]);
        let row = &set.rows(&[account_with_custom_fields("A-2", json!({"tnt__open": 2}))])[0];
        assert_eq!(row.len(), 3);
    }
}
