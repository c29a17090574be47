//! Response bodies of the demo server, written as JSON bytes straight from
//! [`AccountRecord`]s.
//!
//! An account comes out as `serde_json` would serialize its
//! [`Account`](crate::devrev::models::Account), with the `null` top-level
//! fields left out as the API leaves out unset fields. It also carries an
//! extra `stage` object that the `Account` type does not know, so clients
//! prove they ignore unknown fields. Writing from the record skips building the `Account` and a
//! `serde_json::Value` tree for each account, and the JSON of pooled users,
//! tags and stages is rendered once and copied. The ignored test
//! `list::throughput` measures the resulting rate.

use std::fmt;
use std::io::Write as _;
use std::sync::OnceLock;

use chrono::{DateTime, Datelike, Timelike, Utc};

use super::data::{stages, tags, users, ARTIFACT_FILES, CORE_PREFIX, NOTES, REGIONS};
use super::record::{
    write_custom_schema_fragment, write_date, write_stock_schema_fragment, AccountRecord, Revenue,
    HEALTH_FIELD, NOTES_FIELD, PUBLIC_FIELD, REGION_FIELD, RENEWAL_FIELD, REVENUE_FIELD,
};

/// Bytes a typical account takes, used to size page buffers up front.
const TYPICAL_ACCOUNT_BYTES: usize = 2_048;

/// JSON of the pooled objects that accounts refer to, by pool position.
struct Fragments {
    users: Vec<Vec<u8>>,
    tags: Vec<Vec<u8>>,
    stages: Vec<Vec<u8>>,
}

fn fragments() -> &'static Fragments {
    static FRAGMENTS: OnceLock<Fragments> = OnceLock::new();
    FRAGMENTS.get_or_init(|| Fragments {
        users: users().iter().map(render).collect(),
        tags: tags().iter().map(|tag| render(&tag.tag)).collect(),
        stages: stages().iter().map(render).collect(),
    })
}

fn render(value: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(value).expect("pooled objects always serialize")
}

/// Writes the body of an `accounts.export` response: `{"accounts": [...]}`.
pub(super) fn export_body(records: &[AccountRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * TYPICAL_ACCOUNT_BYTES + 32);
    out.extend_from_slice(b"{\"accounts\":");
    write_accounts(&mut out, records);
    out.push(b'}');
    out
}

/// Writes the body of an `accounts.list` response, leaving out the cursors
/// that are `None`.
pub(super) fn list_body(
    records: &[AccountRecord],
    next_cursor: Option<&str>,
    prev_cursor: Option<&str>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * TYPICAL_ACCOUNT_BYTES + 128);
    out.extend_from_slice(b"{\"accounts\":");
    write_accounts(&mut out, records);
    for (key, cursor) in [("next_cursor", next_cursor), ("prev_cursor", prev_cursor)] {
        if let Some(cursor) = cursor {
            out.push(b',');
            write_key(&mut out, key);
            write_str(&mut out, cursor);
        }
    }
    out.push(b'}');
    out
}

fn write_accounts(out: &mut Vec<u8>, records: &[AccountRecord]) {
    out.push(b'[');
    for (position, record) in records.iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write_account(out, record);
    }
    out.push(b']');
}

/// Writes one account object.
pub(super) fn write_account(out: &mut Vec<u8>, record: &AccountRecord) {
    let fragments = fragments();

    out.push(b'{');
    write_key(out, "id");
    write_text(out, |text| record.write_id(text));
    out.push(b',');
    write_key(out, "display_id");
    write_text(out, |text| record.write_display_id(text));
    out.push(b',');
    write_key(out, "display_name");
    write_text(out, |text| record.name.write_display(text));
    if record.description.is_some() {
        out.push(b',');
        write_key(out, "description");
        write_text(out, |text| record.write_description(text));
    }

    out.push(b',');
    write_key(out, "created_by");
    out.extend_from_slice(&fragments.users[record.created_by]);
    out.push(b',');
    write_key(out, "created_date");
    write_timestamp(out, record.created_date);
    out.push(b',');
    write_key(out, "modified_by");
    out.extend_from_slice(&fragments.users[record.modified_by]);
    out.push(b',');
    write_key(out, "modified_date");
    write_timestamp(out, record.modified_date);
    out.push(b',');
    write_key(out, "owned_by");
    write_list(out, record.owners.iter().flatten(), |out, &owner| {
        out.extend_from_slice(&fragments.users[owner]);
    });

    out.push(b',');
    write_key(out, "domains");
    write_list(out, 0..record.domain_count, |out, position| {
        write_text(out, |text| record.write_domain(position, text));
    });
    out.push(b',');
    write_key(out, "websites");
    write_list(out, 0..record.website_count(), |out, position| {
        write_text(out, |text| record.write_website(position, text));
    });
    out.push(b',');
    write_key(out, "external_refs");
    write_list(out, 0..record.external_ref_count(), |out, position| {
        write_text(out, |text| record.write_external_ref(position, text));
    });
    out.push(b',');
    write_key(out, "tags");
    write_list(out, record.tags.iter().flatten(), |out, draw| {
        out.extend_from_slice(b"{\"tag\":");
        out.extend_from_slice(&fragments.tags[draw.tag]);
        out.extend_from_slice(b",\"value\":");
        match draw.value {
            Some(value) => write_str(out, &tags()[draw.tag].values[value]),
            None => out.extend_from_slice(b"null"),
        }
        out.push(b'}');
    });

    if let Some(tier) = record.tier() {
        out.push(b',');
        write_key(out, "tier");
        write_str(out, tier);
    }
    if let Some(subtype) = record.subtype() {
        out.push(b',');
        write_key(out, "subtype");
        write_str(out, subtype);
    }
    out.push(b',');
    write_key(out, "custom_fields");
    write_custom_fields(out, record);
    out.push(b',');
    write_key(out, "custom_schema_fragments");
    write_list(out, record.subtype, |out, subtype| {
        write_text(out, |text| write_custom_schema_fragment(subtype, text));
    });
    out.push(b',');
    write_key(out, "stock_schema_fragment");
    write_text(out, |text| write_stock_schema_fragment(text));

    if let Some((parent, name)) = record.primary_account {
        let number = parent + 1;
        out.push(b',');
        write_key(out, "primary_account");
        out.push(b'{');
        write_key(out, "id");
        write_text(out, |text| {
            fmt::Write::write_fmt(text, format_args!("{CORE_PREFIX}:account/{number}"))
        });
        out.push(b',');
        write_key(out, "display_id");
        write_text(out, |text| {
            fmt::Write::write_fmt(text, format_args!("ACC-{number}"))
        });
        out.push(b',');
        write_key(out, "display_name");
        write_text(out, |text| name.write_display(text));
        out.push(b'}');
    }
    out.push(b',');
    write_key(out, "artifacts");
    write_list(out, record.artifacts(), |out, (offset, draw)| {
        let number = record.artifact_number(offset);
        out.push(b'{');
        write_key(out, "id");
        write_text(out, |text| {
            fmt::Write::write_fmt(text, format_args!("{CORE_PREFIX}:artifact/{number}"))
        });
        out.push(b',');
        write_key(out, "display_id");
        write_text(out, |text| {
            fmt::Write::write_fmt(text, format_args!("ARTIFACT-{number}"))
        });
        out.extend_from_slice(b",\"file\":{");
        write_key(out, "type");
        write_str(out, ARTIFACT_FILES[draw.file].0);
        out.push(b',');
        write_key(out, "name");
        write_text(out, |text| record.write_artifact_name(draw, text));
        out.push(b',');
        write_key(out, "size");
        write_integer(out, draw.size);
        out.extend_from_slice(b"}}");
    });

    out.push(b',');
    write_key(out, "stage");
    out.extend_from_slice(&fragments.stages[record.stage]);
    out.push(b'}');
}

/// Writes the custom fields object, leaving out the missing fields but not
/// an explicit `null`.
fn write_custom_fields(out: &mut Vec<u8>, record: &AccountRecord) {
    let fields = &record.custom_fields;
    let mut first = true;
    let mut field = |out: &mut Vec<u8>, name: &str| {
        if !first {
            out.push(b',');
        }
        first = false;
        write_key(out, name);
    };

    out.push(b'{');
    if let Some(region) = fields.region {
        field(out, REGION_FIELD);
        write_str(out, REGIONS[region]);
    }
    match fields.annual_revenue {
        Revenue::Missing => {}
        Revenue::Null => {
            field(out, REVENUE_FIELD);
            out.extend_from_slice(b"null");
        }
        Revenue::Dollars(amount) => {
            field(out, REVENUE_FIELD);
            // serde_json writes floats in their shortest exact form, so the
            // value reads back unchanged.
            serde_json::to_writer(&mut *out, &amount).expect("writing to a Vec does not fail");
        }
    }
    if let Some(is_public) = fields.is_public {
        field(out, PUBLIC_FIELD);
        out.extend_from_slice(if is_public { b"true" } else { b"false" });
    }
    if let Some(date) = fields.renewal_date {
        field(out, RENEWAL_FIELD);
        write_text(out, |text| write_date(date, text));
    }
    if let Some(score) = fields.health_score {
        field(out, HEALTH_FIELD);
        write!(out, "{score}").expect("writing to a Vec does not fail");
    }
    if let Some(note) = fields.notes {
        field(out, NOTES_FIELD);
        write_str(out, NOTES[note]);
    }
    out.push(b'}');
}

/// Writes `"key":`. Keys are plain ASCII names, so they need no escaping.
fn write_key(out: &mut Vec<u8>, key: &str) {
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
}

fn write_list<T>(
    out: &mut Vec<u8>,
    items: impl IntoIterator<Item = T>,
    mut write_item: impl FnMut(&mut Vec<u8>, T),
) {
    out.push(b'[');
    for (position, item) in items.into_iter().enumerate() {
        if position > 0 {
            out.push(b',');
        }
        write_item(out, item);
    }
    out.push(b']');
}

fn write_str(out: &mut Vec<u8>, value: &str) {
    write_text(out, |text| fmt::Write::write_str(text, value));
}

/// Writes a JSON string whose content `write` produces, escaped as it goes.
fn write_text(out: &mut Vec<u8>, write: impl FnOnce(&mut JsonText<'_>) -> fmt::Result) {
    out.push(b'"');
    write(&mut JsonText(out)).expect("writing to a Vec does not fail");
    out.push(b'"');
}

fn write_integer(out: &mut Vec<u8>, value: u64) {
    write!(out, "{value}").expect("writing to a Vec does not fail");
}

/// Writes a timestamp as chrono's `Serialize` does (RFC 3339 in UTC with `Z`,
/// and a fraction of 3, 6 or 9 digits only when needed), without going
/// through the formatting machinery.
fn write_timestamp(out: &mut Vec<u8>, date: DateTime<Utc>) {
    let time = date.naive_utc();
    let year = time.year();
    let nanos = time.nanosecond();
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        // Years beyond four digits and leap seconds never occur in the
        // generated data. chrono handles them if they ever do.
        serde_json::to_writer(&mut *out, &date).expect("writing to a Vec does not fail");
        return;
    }

    out.push(b'"');
    push_digits(out, year as u32, 4);
    out.push(b'-');
    push_digits(out, time.month(), 2);
    out.push(b'-');
    push_digits(out, time.day(), 2);
    out.push(b'T');
    push_digits(out, time.hour(), 2);
    out.push(b':');
    push_digits(out, time.minute(), 2);
    out.push(b':');
    push_digits(out, time.second(), 2);
    if nanos != 0 {
        out.push(b'.');
        if nanos.is_multiple_of(1_000_000) {
            push_digits(out, nanos / 1_000_000, 3);
        } else if nanos.is_multiple_of(1_000) {
            push_digits(out, nanos / 1_000, 6);
        } else {
            push_digits(out, nanos, 9);
        }
    }
    out.extend_from_slice(b"Z\"");
}

/// Writes `value` with exactly `width` decimal digits, padding with zeros.
/// `value` must fit in `width` digits.
fn push_digits(out: &mut Vec<u8>, mut value: u32, width: usize) {
    let start = out.len();
    out.resize(start + width, b'0');
    for slot in out[start..].iter_mut().rev() {
        *slot = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// A [`fmt::Write`] that appends text to a JSON string, escaping quotes,
/// backslashes and control characters.
struct JsonText<'a>(&'a mut Vec<u8>);

impl fmt::Write for JsonText<'_> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        let bytes = text.as_bytes();
        let mut copied = 0;
        for (position, &byte) in bytes.iter().enumerate() {
            let escape: &[u8] = match byte {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0..=0x1f => b"",
                _ => continue,
            };
            self.0.extend_from_slice(&bytes[copied..position]);
            if escape.is_empty() {
                write!(self.0, "\\u{byte:04x}").expect("writing to a Vec does not fail");
            } else {
                self.0.extend_from_slice(escape);
            }
            copied = position + 1;
        }
        self.0.extend_from_slice(&bytes[copied..]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_server::{account_stage, generate_account};
    use chrono::TimeZone;
    use serde_json::{json, Value};

    /// The account as `serde_json` serializes it, with `null` top-level fields
    /// left out and the stage added: the shape the writer must produce.
    fn reference_json(seed: u64, index: usize) -> Value {
        let mut value = serde_json::to_value(generate_account(seed, index)).unwrap();
        let fields = value.as_object_mut().unwrap();
        fields.retain(|_, field| !field.is_null());
        fields.insert(
            "stage".into(),
            serde_json::to_value(account_stage(seed, index)).unwrap(),
        );
        value
    }

    fn written_json(seed: u64, index: usize) -> Value {
        let mut out = Vec::new();
        write_account(&mut out, &AccountRecord::draw(seed, index));
        serde_json::from_slice(&out).unwrap()
    }

    #[test]
    fn account_matches_serde_output() {
        for seed in [1, 42] {
            for index in 0..3_000 {
                assert_eq!(
                    written_json(seed, index),
                    reference_json(seed, index),
                    "seed {seed}, account {index}"
                );
            }
        }
    }

    #[test]
    fn account_keeps_nested_nulls_and_empty_lists() {
        let accounts: Vec<Value> = (0..500).map(|index| written_json(42, index)).collect();

        assert!(accounts
            .iter()
            .all(|account| account["owned_by"].is_array()));
        assert!(accounts.iter().any(
            |account| account["custom_fields"].get("tnt__annual_revenue") == Some(&Value::Null)
        ));
        assert!(accounts.iter().any(|account| account["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|tag| tag["value"].is_null())));
        assert!(accounts.iter().any(|account| account.get("tier").is_none()));
    }

    #[test]
    fn timestamp_matches_chrono() {
        let base = Utc.with_ymd_and_hms(2024, 2, 29, 23, 59, 58).unwrap();
        let nanos = [0, 120_000_000, 7_000_000, 123_456_000, 123_456_789, 5];

        for offset in nanos {
            let date = base + chrono::Duration::nanoseconds(offset);
            let mut out = Vec::new();

            write_timestamp(&mut out, date);

            assert_eq!(
                String::from_utf8(out).unwrap(),
                serde_json::to_string(&date).unwrap()
            );
        }
    }

    #[test]
    fn text_escapes_quotes_and_control_characters() {
        let text = "a \"quoted\" back\\slash\nline\ttab\r\u{1} café 東京";
        let mut out = Vec::new();

        write_str(&mut out, text);

        assert_eq!(serde_json::from_slice::<Value>(&out).unwrap(), json!(text));
    }

    #[test]
    fn list_body_leaves_out_missing_cursors() {
        let records = [AccountRecord::draw(42, 0)];

        let last: Value = serde_json::from_slice(&list_body(&records, None, Some("c1-x"))).unwrap();
        let empty: Value = serde_json::from_slice(&list_body(&[], None, None)).unwrap();

        assert_eq!(last["accounts"].as_array().unwrap().len(), 1);
        assert!(last.get("next_cursor").is_none());
        assert_eq!(last["prev_cursor"], "c1-x");
        assert_eq!(empty, json!({"accounts": []}));
    }
}
