//! Filters and sort keys of the demo server's requests, and the
//! `accounts.export` query.
//!
//! A [`Selection`] is the checked filters and sort keys that `accounts.export`
//! and `accounts.list` share. It tests one drawn account at a time, so
//! filtering needs no memory beyond the account at hand. The order the
//! matches come in, and the cache of sorted orders, are in [`super::order`].

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::order::DataSet;
use super::record::AccountRecord;
use crate::devrev::request::{
    parse_sort_key, AccountFilters, AccountsExportRequest, DateTimeFilter, SortDirection,
    DEFAULT_FIRST, FIRST_RANGE,
};

/// Fields that `sort_by` accepts, as the API names them.
pub(super) const SORTABLE_FIELDS: &[&str] = &[
    "display_name",
    "created_date",
    "modified_date",
    "tier",
    "subtype",
    "id",
    "display_id",
];

/// Reasons to reject the filters or the page size of a request. Each message
/// names the field the API would name in its `bad_request` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum QueryError {
    #[error(
        "`first` is {first}, outside the allowed range. Send a number from {} to {}.",
        FIRST_RANGE.start(),
        FIRST_RANGE.end()
    )]
    FirstOutOfRange { first: u32 },
    #[error("`sort_by`: {0}")]
    MalformedSortKey(String),
    #[error(
        "`sort_by` entry `{key}` sorts by `{field}`, which this server cannot sort by. \
         Use one of: {}.",
        SORTABLE_FIELDS.join(", ")
    )]
    UnsortableField { key: String, field: String },
}

/// The checked filters and sort keys of a request.
#[derive(Debug, Clone)]
pub(super) struct Selection {
    filters: AccountFilters,
    /// Lowercased copies of the filters that compare case-insensitively.
    display_names: Vec<String>,
    domains: Vec<String>,
    websites: Vec<String>,
    tags: Vec<TagFilter>,
    /// Sort keys, most significant first, without keys that can never break
    /// a tie (a repeated field, or anything after the unique account number).
    sort: Vec<SortKey>,
}

/// A `tags` entry: a tag ID, optionally with the value the tag must have.
#[derive(Debug, Clone)]
struct TagFilter {
    id: String,
    value: Option<String>,
}

/// A field the server sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SortField {
    DisplayName,
    CreatedDate,
    ModifiedDate,
    Tier,
    Subtype,
    /// `id` and `display_id` both sort by the account number, so `ACC-2`
    /// comes before `ACC-10`.
    Number,
}

/// One `sort_by` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SortKey {
    pub field: SortField,
    pub direction: SortDirection,
}

/// A checked `accounts.export` request.
#[derive(Debug, Clone)]
pub(super) struct ExportQuery {
    selection: Selection,
    first: usize,
}

impl ExportQuery {
    /// Checks what the API checks beyond field names and types: the range of
    /// `first` and the sort keys. Other `validate` rules of the client are not
    /// applied, because the API does not apply them either.
    pub(super) fn new(request: AccountsExportRequest) -> Result<Self, QueryError> {
        let first = request.first.unwrap_or(DEFAULT_FIRST);
        if !FIRST_RANGE.contains(&first) {
            return Err(QueryError::FirstOutOfRange { first });
        }
        Ok(ExportQuery {
            selection: Selection::new(request.filters)?,
            first: first as usize,
        })
    }

    /// Returns the first `first` matches in the requested order.
    pub(super) fn run(&self, data: &DataSet) -> Vec<AccountRecord> {
        let order = data.order(&self.selection);
        order
            .forward(data, &self.selection, 0)
            .take(self.first)
            .map(|(_, record)| record)
            .collect()
    }
}

impl Selection {
    /// Checks the sort keys and prepares the filters for matching.
    pub(super) fn new(filters: AccountFilters) -> Result<Self, QueryError> {
        let mut sort: Vec<SortKey> = Vec::with_capacity(filters.sort_by.len());
        for entry in &filters.sort_by {
            let key = parse_key(entry)?;
            let decided = sort
                .iter()
                .any(|earlier| earlier.field == key.field || earlier.field == SortField::Number);
            if !decided {
                sort.push(key);
            }
        }

        let lowercase = |values: &[String]| -> Vec<String> {
            values.iter().map(|value| value.to_lowercase()).collect()
        };
        let tags = filters
            .tags
            .iter()
            .map(|entry| match entry.split_once('=') {
                Some((id, value)) => TagFilter {
                    id: id.to_owned(),
                    value: Some(value.to_owned()),
                },
                None => TagFilter {
                    id: entry.clone(),
                    value: None,
                },
            })
            .collect();

        Ok(Selection {
            display_names: lowercase(&filters.display_name),
            domains: lowercase(&filters.domains),
            websites: lowercase(&filters.websites),
            tags,
            sort,
            filters,
        })
    }

    /// Returns the sort keys, most significant first. Empty for the generation order.
    pub(super) fn sort_keys(&self) -> &[SortKey] {
        &self.sort
    }

    /// Text that is equal for two selections exactly when they have the same
    /// filters and the same effective sort order, for caches and cursors.
    pub(super) fn canonical_text(&self) -> String {
        let filters = AccountFilters {
            sort_by: Vec::new(),
            ..self.filters.clone()
        };
        let mut text = serde_json::to_string(&filters).expect("filters always serialize");
        for key in &self.sort {
            text.push_str(&format!(" {:?}:{:?}", key.field, key.direction));
        }
        text
    }

    /// Draws account `index` and returns it if it passes every filter.
    pub(super) fn evaluate(&self, seed: u64, index: usize) -> Option<AccountRecord> {
        let record = AccountRecord::draw(seed, index);
        self.matches(&record).then_some(record)
    }

    /// True when the account passes every filter.
    pub(super) fn matches(&self, record: &AccountRecord) -> bool {
        let filters = &self.filters;
        let stage_id = &record.stage().id;
        let created_by = &record.created_by().id;

        any_or_unset(&filters.stage, |id| id == stage_id)
            && any_or_unset(&filters.created_by, |id| id == created_by)
            && any_or_unset(&filters.owned_by, |id| {
                record.owners().any(|owner| owner.id == *id)
            })
            && in_range(filters.created_date, record.created_date)
            && in_range(filters.modified_date, record.modified_date)
            && any_or_unset(&filters.tier, |tier| record.tier() == Some(tier.as_str()))
            && any_or_unset(&filters.subtype, |subtype| {
                record.subtype() == Some(subtype.as_str())
            })
            && any_or_unset(&self.tags, |filter| has_tag(record, filter))
            && self.matches_text(record)
            && filters.custom_fields.iter().all(|(name, accepted)| {
                let actual = record.custom_field(name).unwrap_or(Value::Null);
                custom_field_matches(&actual, accepted)
            })
    }

    /// Checks the filters on text fields, building the texts only when a
    /// filter needs them.
    fn matches_text(&self, record: &AccountRecord) -> bool {
        let texts = |count: usize, write: &dyn Fn(usize, &mut String) -> std::fmt::Result| {
            (0..count)
                .map(|position| {
                    let mut text = String::new();
                    write(position, &mut text).expect("writing to a String does not fail");
                    text
                })
                .collect::<Vec<String>>()
        };

        if !self.display_names.is_empty() {
            let name = record.name.display().to_lowercase();
            if !self.display_names.contains(&name) {
                return false;
            }
        }
        if !self.domains.is_empty() {
            let domains = texts(record.domain_count, &|position, out| {
                record.write_domain(position, out)
            });
            if !self
                .domains
                .iter()
                .any(|domain| contains_ignoring_case(&domains, domain))
            {
                return false;
            }
        }
        if !self.websites.is_empty() {
            let websites = texts(record.website_count(), &|position, out| {
                record.write_website(position, out)
            });
            if !self
                .websites
                .iter()
                .any(|website| contains_ignoring_case(&websites, website))
            {
                return false;
            }
        }
        if !self.filters.external_refs.is_empty() {
            let references = texts(record.external_ref_count(), &|position, out| {
                record.write_external_ref(position, out)
            });
            if !self
                .filters
                .external_refs
                .iter()
                .any(|reference| references.contains(reference))
            {
                return false;
            }
        }
        true
    }
}

fn parse_key(key: &str) -> Result<SortKey, QueryError> {
    let (field, direction) = parse_sort_key(key).map_err(QueryError::MalformedSortKey)?;
    let field = match field {
        "display_name" => SortField::DisplayName,
        "created_date" => SortField::CreatedDate,
        "modified_date" => SortField::ModifiedDate,
        "tier" => SortField::Tier,
        "subtype" => SortField::Subtype,
        "id" | "display_id" => SortField::Number,
        other => {
            return Err(QueryError::UnsortableField {
                key: key.to_owned(),
                field: other.to_owned(),
            })
        }
    };
    Ok(SortKey { field, direction })
}

/// True when the filter list is empty (unset) or any entry satisfies `test`.
fn any_or_unset<T>(accepted: &[T], test: impl Fn(&T) -> bool) -> bool {
    accepted.is_empty() || accepted.iter().any(test)
}

/// True when the range is unset or contains the date (both ends included).
fn in_range(range: Option<DateTimeFilter>, date: DateTime<Utc>) -> bool {
    let Some(range) = range else {
        return true;
    };
    range.after.is_none_or(|after| date >= after)
        && range.before.is_none_or(|before| date <= before)
}

/// True when one of `values` equals `expected`, which is already lowercased.
fn contains_ignoring_case(values: &[String], expected: &str) -> bool {
    values.iter().any(|value| value.to_lowercase() == expected)
}

fn has_tag(record: &AccountRecord, filter: &TagFilter) -> bool {
    record.tags().any(|(tag, value)| {
        tag.tag.id == filter.id
            && filter
                .value
                .as_deref()
                .is_none_or(|expected| value == Some(expected))
    })
}

/// True when the field's value equals the accepted value or one of the
/// accepted list. A missing field is passed in as `null`.
fn custom_field_matches(actual: &Value, accepted: &Value) -> bool {
    match accepted {
        Value::Array(choices) => choices.iter().any(|choice| json_equal(choice, actual)),
        single => json_equal(single, actual),
    }
}

/// JSON equality, except that strings compare case-insensitively and numbers
/// by value (so `5` equals `5.0`).
fn json_equal(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::String(left), Value::String(right)) => left.to_lowercase() == right.to_lowercase(),
        (Value::Number(left), Value::Number(right)) => left.as_f64() == right.as_f64(),
        _ => left == right,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_server::generate_account;
    use serde_json::json;

    fn selection(filters: Value) -> Selection {
        let request = AccountsExportRequest::parse_value(filters).unwrap();
        Selection::new(request.filters).unwrap()
    }

    fn export(body: Value) -> Result<ExportQuery, QueryError> {
        ExportQuery::new(AccountsExportRequest::parse_value(body).unwrap())
    }

    #[test]
    fn first_defaults_to_fifty() {
        let data = DataSet::new(42, 200);

        let matches = export(json!({})).unwrap().run(&data);

        assert_eq!(matches.len(), 50);
        assert_eq!(matches[0].index, 0);
    }

    #[test]
    fn first_out_of_range_is_rejected() {
        assert_eq!(
            export(json!({"first": 0})).unwrap_err(),
            QueryError::FirstOutOfRange { first: 0 }
        );
        assert_eq!(
            export(json!({"first": 501})).unwrap_err(),
            QueryError::FirstOutOfRange { first: 501 }
        );
    }

    #[test]
    fn unsortable_field_is_rejected() {
        let request = AccountsExportRequest::parse_value(json!({"sort_by": ["owned_by:asc"]}));

        let error = Selection::new(request.unwrap().filters).unwrap_err();

        assert!(
            matches!(error, QueryError::UnsortableField { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("`owned_by`"), "{error}");
    }

    #[test]
    fn sort_keys_drop_those_that_never_decide() {
        let keys = selection(json!({
            "sort_by": ["tier:desc", "tier:asc", "id:asc", "display_name:asc"]
        }));

        assert_eq!(
            keys.sort_keys(),
            [
                SortKey {
                    field: SortField::Tier,
                    direction: SortDirection::Descending
                },
                SortKey {
                    field: SortField::Number,
                    direction: SortDirection::Ascending
                },
            ]
        );
    }

    #[test]
    fn canonical_text_ignores_sort_spelling() {
        let spelled_out = selection(json!({"tier": ["SMB"], "sort_by": ["id:asc"]}));
        let short = selection(json!({"tier": ["SMB"], "sort_by": ["display_id"]}));
        let other = selection(json!({"tier": ["SMB"], "sort_by": ["id:desc"]}));

        assert_eq!(spelled_out.canonical_text(), short.canonical_text());
        assert_ne!(spelled_out.canonical_text(), other.canonical_text());
    }

    #[test]
    fn record_filters_agree_with_account_fields() {
        let filter = selection(json!({
            "domains": ["ACME-ROBOTICS.example", "helix-labs-group.example"],
        }));

        for index in 0..3_000 {
            let record = AccountRecord::draw(42, index);
            let account = generate_account(42, index);
            let expected = account.domains.iter().any(|domain| {
                domain == "acme-robotics.example" || domain == "helix-labs-group.example"
            });

            assert_eq!(filter.matches(&record), expected, "account {index}");
        }
    }

    #[test]
    fn custom_field_compares_strings_without_case() {
        let region = json!("EMEA");
        let score = json!(5);

        assert!(custom_field_matches(&region, &json!("emea")));
        assert!(custom_field_matches(&region, &json!(["APAC", "Emea"])));
        assert!(!custom_field_matches(&region, &json!("APAC")));
        assert!(custom_field_matches(&score, &json!(5.0)));
        assert!(!custom_field_matches(&score, &json!("5")));
        assert!(custom_field_matches(&Value::Null, &Value::Null));
        assert!(!custom_field_matches(&Value::Null, &json!("EMEA")));
    }
}
