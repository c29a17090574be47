//! Filtering and sorting of generated accounts for `accounts.export`.
//!
//! The query walks the data set in generation order and generates each account
//! on the fly. Without a sort order it stops at the `first` match. With one, it
//! keeps only the best `first` matches seen so far, so memory stays bounded by
//! the page size however many accounts the server serves.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use super::data::{generate_account, stage_of, DemoStage};
use crate::devrev::models::Account;
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

/// Reasons to reject an `accounts.export` request. Each message names the
/// field the API would name in its `bad_request` error.
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

/// A checked `accounts.export` request, ready to run against the data set.
#[derive(Debug, Clone)]
pub(super) struct ExportQuery {
    filters: AccountFilters,
    /// Lowercased copies of the filters that compare case-insensitively.
    display_names: Vec<String>,
    domains: Vec<String>,
    websites: Vec<String>,
    tags: Vec<TagFilter>,
    sort: Vec<SortKey>,
    first: usize,
}

/// One account that passed the filters, with its stage and position in the
/// generation order.
#[derive(Debug, Clone)]
pub(super) struct MatchedAccount {
    pub index: usize,
    pub account: Account,
    pub stage: &'static DemoStage,
}

/// A `tags` entry: a tag ID, optionally with the value the tag must have.
#[derive(Debug, Clone)]
struct TagFilter {
    id: String,
    value: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortField {
    DisplayName,
    CreatedDate,
    ModifiedDate,
    Tier,
    Subtype,
    /// `id` and `display_id` both sort by the account number, so `ACC-2`
    /// comes before `ACC-10`.
    Number,
}

#[derive(Debug, Clone, Copy)]
struct SortKey {
    field: SortField,
    direction: SortDirection,
}

/// The value of one sort key for one account. Text is lowercased once here so
/// that comparisons do not allocate.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum SortValue {
    Text(Option<String>),
    Time(Option<DateTime<Utc>>),
    Number(usize),
}

/// A match kept for a sorted response, with its sort values computed once.
struct Ranked {
    values: Vec<SortValue>,
    matched: MatchedAccount,
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

        let mut sort = Vec::with_capacity(request.filters.sort_by.len());
        for key in &request.filters.sort_by {
            sort.push(parse_key(key)?);
        }

        let filters = request.filters;
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

        Ok(ExportQuery {
            display_names: lowercase(&filters.display_name),
            domains: lowercase(&filters.domains),
            websites: lowercase(&filters.websites),
            tags,
            sort,
            first: first as usize,
            filters,
        })
    }

    /// Returns the first `first` matches among accounts `0..total` of the data
    /// set with `seed`, in the requested order.
    pub(super) fn run(&self, seed: u64, total: usize) -> Vec<MatchedAccount> {
        let matches = (0..total).filter_map(|index| self.evaluate(seed, index));

        if self.sort.is_empty() {
            return matches.take(self.first).collect();
        }

        // Sorting and truncating whenever the buffer doubles keeps the cost at
        // O(matches * log first) and the memory at 2 * first accounts.
        let mut best: Vec<Ranked> = Vec::with_capacity(self.first * 2);
        for matched in matches {
            best.push(Ranked {
                values: self.sort_values(&matched),
                matched,
            });
            if best.len() >= self.first * 2 {
                self.keep_best(&mut best);
            }
        }
        self.keep_best(&mut best);
        best.into_iter().map(|ranked| ranked.matched).collect()
    }

    /// Generates account `index` and returns it if it passes every filter. The
    /// stage is checked first because it costs no more than one random number.
    fn evaluate(&self, seed: u64, index: usize) -> Option<MatchedAccount> {
        let stage = stage_of(seed, index);
        if !any_or_unset(&self.filters.stage, |id| *id == stage.id) {
            return None;
        }

        let account = generate_account(seed, index);
        self.matches(&account).then_some(MatchedAccount {
            index,
            account,
            stage,
        })
    }

    fn matches(&self, account: &Account) -> bool {
        let filters = &self.filters;
        let created_by = account.created_by.as_ref().map(|user| user.id.as_str());
        let display_name = account.display_name.as_deref().map(str::to_lowercase);

        any_or_unset(&filters.created_by, |id| created_by == Some(id.as_str()))
            && any_or_unset(&filters.owned_by, |id| {
                account.owned_by.iter().any(|owner| owner.id == *id)
            })
            && in_range(filters.created_date, account.created_date)
            && in_range(filters.modified_date, account.modified_date)
            && any_or_unset(&self.display_names, |name| {
                display_name.as_ref() == Some(name)
            })
            && any_or_unset(&self.domains, |domain| {
                contains_ignoring_case(&account.domains, domain)
            })
            && any_or_unset(&self.websites, |website| {
                contains_ignoring_case(&account.websites, website)
            })
            && any_or_unset(&filters.external_refs, |reference| {
                account.external_refs.contains(reference)
            })
            && any_or_unset(&filters.tier, |tier| account.tier.as_ref() == Some(tier))
            && any_or_unset(&filters.subtype, |subtype| {
                account.subtype.as_ref() == Some(subtype)
            })
            && any_or_unset(&self.tags, |filter| has_tag(account, filter))
            && filters.custom_fields.iter().all(|(name, accepted)| {
                custom_field_matches(&account.custom_fields, name, accepted)
            })
    }

    fn sort_values(&self, matched: &MatchedAccount) -> Vec<SortValue> {
        let account = &matched.account;
        let text =
            |value: &Option<String>| SortValue::Text(value.as_deref().map(str::to_lowercase));
        self.sort
            .iter()
            .map(|key| match key.field {
                SortField::DisplayName => text(&account.display_name),
                SortField::Tier => text(&account.tier),
                SortField::Subtype => text(&account.subtype),
                SortField::CreatedDate => SortValue::Time(account.created_date),
                SortField::ModifiedDate => SortValue::Time(account.modified_date),
                SortField::Number => SortValue::Number(matched.index),
            })
            .collect()
    }

    /// Sorts the buffer and drops everything after the first `first` entries.
    fn keep_best(&self, best: &mut Vec<Ranked>) {
        best.sort_by(|left, right| self.compare(left, right));
        best.truncate(self.first);
    }

    /// Orders two matches by the sort keys, most significant first. Missing
    /// values go last in either direction, and ties keep the generation order.
    fn compare(&self, left: &Ranked, right: &Ranked) -> Ordering {
        for (position, key) in self.sort.iter().enumerate() {
            let ordering = compare_values(
                &left.values[position],
                &right.values[position],
                key.direction,
            );
            if ordering != Ordering::Equal {
                return ordering;
            }
        }
        left.matched.index.cmp(&right.matched.index)
    }
}

/// Serializes an account as the server sends it: `null` fields left out, as
/// the API leaves out unset fields, and an extra `stage` object that the
/// `Account` type does not know, so clients prove they ignore unknown fields.
pub(super) fn account_json(matched: &MatchedAccount) -> Value {
    let mut json = serde_json::to_value(&matched.account).expect("an Account always serializes");
    if let Value::Object(fields) = &mut json {
        fields.retain(|_, value| !value.is_null());
        fields.insert(
            "stage".into(),
            serde_json::to_value(matched.stage).expect("a DemoStage always serializes"),
        );
    }
    json
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

/// True when the range is unset, or the date is set and inside it (both ends
/// included).
fn in_range(range: Option<DateTimeFilter>, date: Option<DateTime<Utc>>) -> bool {
    let Some(range) = range else {
        return true;
    };
    let Some(date) = date else {
        return false;
    };
    range.after.is_none_or(|after| date >= after)
        && range.before.is_none_or(|before| date <= before)
}

/// True when one of `values` equals `expected`, which is already lowercased.
fn contains_ignoring_case(values: &[String], expected: &str) -> bool {
    values.iter().any(|value| value.to_lowercase() == expected)
}

fn has_tag(account: &Account, filter: &TagFilter) -> bool {
    account.tags.iter().any(|tag| {
        tag.tag.id == filter.id
            && filter
                .value
                .as_ref()
                .is_none_or(|value| tag.value.as_ref() == Some(value))
    })
}

/// True when the account's custom field equals the accepted value or one of
/// the accepted list. A missing field counts as `null`.
fn custom_field_matches(fields: &Map<String, Value>, name: &str, accepted: &Value) -> bool {
    let actual = fields.get(name).unwrap_or(&Value::Null);
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

fn compare_values(left: &SortValue, right: &SortValue, direction: SortDirection) -> Ordering {
    let missing =
        |value: &SortValue| matches!(value, SortValue::Text(None) | SortValue::Time(None));
    match (missing(left), missing(right)) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => match direction {
            SortDirection::Ascending => left.cmp(right),
            SortDirection::Descending => right.cmp(left),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(body: Value) -> Result<ExportQuery, QueryError> {
        ExportQuery::new(AccountsExportRequest::parse_value(body).unwrap())
    }

    #[test]
    fn first_defaults_to_fifty() {
        let matches = query(json!({})).unwrap().run(42, 200);

        assert_eq!(matches.len(), 50);
        assert_eq!(matches[0].index, 0);
    }

    #[test]
    fn first_out_of_range_is_rejected() {
        assert_eq!(
            query(json!({"first": 0})).unwrap_err(),
            QueryError::FirstOutOfRange { first: 0 }
        );
        assert_eq!(
            query(json!({"first": 501})).unwrap_err(),
            QueryError::FirstOutOfRange { first: 501 }
        );
    }

    #[test]
    fn unsortable_field_is_rejected() {
        let error = query(json!({"sort_by": ["owned_by:asc"]})).unwrap_err();

        assert!(
            matches!(error, QueryError::UnsortableField { .. }),
            "{error}"
        );
        assert!(error.to_string().contains("`owned_by`"), "{error}");
    }

    #[test]
    fn sorted_run_matches_full_sort() {
        let sorted = query(json!({"sort_by": ["tier:desc", "created_date:asc"], "first": 7}))
            .unwrap()
            .run(42, 300);
        let mut all: Vec<Account> = (0..300).map(|index| generate_account(42, index)).collect();
        all.sort_by(|left, right| {
            let tier = |account: &Account| account.tier.as_deref().map(str::to_lowercase);
            match (tier(left), tier(right)) {
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (l, r) => r.cmp(&l),
            }
            .then(left.created_date.cmp(&right.created_date))
        });

        let got: Vec<&str> = sorted.iter().map(|m| m.account.id.as_str()).collect();
        let expected: Vec<&str> = all[..7].iter().map(|account| account.id.as_str()).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn missing_values_sort_last_both_ways() {
        let ascending = query(json!({"sort_by": ["tier:asc"], "first": 500}))
            .unwrap()
            .run(42, 500);
        let descending = query(json!({"sort_by": ["tier:desc"], "first": 500}))
            .unwrap()
            .run(42, 500);

        assert!(ascending.last().unwrap().account.tier.is_none());
        assert!(descending.last().unwrap().account.tier.is_none());
        assert!(ascending[0].account.tier.is_some());
    }

    #[test]
    fn id_sorts_by_number() {
        let matches = query(json!({"sort_by": ["display_id:desc"], "first": 3}))
            .unwrap()
            .run(42, 20);
        let ids: Vec<_> = matches
            .iter()
            .map(|m| m.account.display_id.clone().unwrap())
            .collect();

        assert_eq!(ids, ["ACC-20", "ACC-19", "ACC-18"]);
    }

    #[test]
    fn custom_field_compares_strings_without_case() {
        let fields = json!({"tnt__region": "EMEA", "tnt__score": 5});
        let fields = fields.as_object().unwrap();

        assert!(custom_field_matches(fields, "tnt__region", &json!("emea")));
        assert!(custom_field_matches(
            fields,
            "tnt__region",
            &json!(["APAC", "Emea"])
        ));
        assert!(!custom_field_matches(fields, "tnt__region", &json!("APAC")));
        assert!(custom_field_matches(fields, "tnt__score", &json!(5.0)));
        assert!(!custom_field_matches(fields, "tnt__score", &json!("5")));
        assert!(custom_field_matches(fields, "tnt__missing", &Value::Null));
        assert!(!custom_field_matches(
            fields,
            "tnt__missing",
            &json!("EMEA")
        ));
    }

    #[test]
    fn account_json_adds_stage_and_drops_nulls() {
        let matched = MatchedAccount {
            index: 0,
            account: Account {
                id: "A-1".into(),
                ..Default::default()
            },
            stage: stage_of(42, 0),
        };

        let json = account_json(&matched);

        assert_eq!(json["stage"]["id"], json!(stage_of(42, 0).id));
        assert!(json.get("tier").is_none());
        assert_eq!(json["owned_by"], json!([]));
    }
}
