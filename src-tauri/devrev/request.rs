//! The `accounts.export` request body: filters, sort order and page size.
//!
//! Field names are the API's own, so a filters file for the command line is the
//! request body as the API documents it. Unset fields are left out of the JSON.
//! [`AccountsExportRequest::validate`] applies the API's rules before anything is
//! sent, so bad input is reported next to the field instead of as an HTTP 400.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Smallest and largest `first` that `accounts.export` accepts.
pub const FIRST_RANGE: std::ops::RangeInclusive<u32> = 1..=500;

/// Page size the API uses when `first` is not set.
pub const DEFAULT_FIRST: u32 = 50;

/// Filters shared by `accounts.export` and `accounts.list`, plus the sort order.
///
/// Within one list field a match on any value is enough. Different fields must
/// all match.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountFilters {
    /// IDs of the users who created the accounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub created_by: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_date: Option<DateTimeFilter>,
    /// Custom field name (such as `tnt__region`) mapped to the accepted value,
    /// or to a list of accepted values.
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub custom_fields: Map<String, Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub display_name: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub domains: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub external_refs: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modified_date: Option<DateTimeFilter>,
    /// IDs of the Dev users who own the accounts.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owned_by: Vec<String>,
    /// Sort keys as `field:asc` or `field:desc`, most significant first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sort_by: Vec<String>,
    /// Stage IDs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub stage: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subtype: Vec<String>,
    /// Tag IDs. `ID=value` matches only accounts whose tag has that value.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tier: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub websites: Vec<String>,
}

/// An inclusive time range. Either end may be open.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DateTimeFilter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<DateTime<Utc>>,
}

/// Body of `POST /accounts.export`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountsExportRequest {
    #[serde(flatten)]
    pub filters: AccountFilters,
    /// Number of accounts to return, from 1 to 500. The API's default is 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first: Option<u32>,
}

/// Field names that `accounts.export` accepts in its body.
pub const EXPORT_FIELDS: &[&str] = &[
    "created_by",
    "created_date",
    "custom_fields",
    "display_name",
    "domains",
    "external_refs",
    "first",
    "modified_date",
    "owned_by",
    "sort_by",
    "stage",
    "subtype",
    "tags",
    "tier",
    "websites",
];

/// Body of `POST /accounts.list`: the same filters as `accounts.export`, read
/// one page at a time.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountsListRequest {
    #[serde(flatten)]
    pub filters: AccountFilters,
    /// Position to continue from, as returned in `next_cursor` or
    /// `prev_cursor`. Without it, iteration starts at the beginning (or at the
    /// end in `before` mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Maximum number of accounts on one page. The API's default is 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mode: Option<ListMode>,
}

/// Direction of iteration from a cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ListMode {
    /// Entries after the cursor, or from the beginning without a cursor.
    After,
    /// Entries before the cursor, or from the end without a cursor.
    Before,
}

/// Field names that `accounts.list` accepts in its body.
pub const LIST_FIELDS: &[&str] = &[
    "created_by",
    "created_date",
    "cursor",
    "custom_fields",
    "display_name",
    "domains",
    "external_refs",
    "limit",
    "mode",
    "modified_date",
    "owned_by",
    "sort_by",
    "stage",
    "subtype",
    "tags",
    "tier",
    "websites",
];

impl AccountsListRequest {
    /// Decodes a request body, rejecting unknown fields and values of the wrong
    /// type. Like [`AccountsExportRequest::parse_value`], it applies only the
    /// checks the API itself makes.
    pub fn parse_value(value: Value) -> Result<Self, RequestParseError> {
        let mut object = known_fields_only(value, LIST_FIELDS)?;
        let cursor = take_field::<String>(&mut object, "cursor")?;
        let limit = take_field::<u32>(&mut object, "limit")?;
        let mode = take_field::<ListMode>(&mut object, "mode")?;
        let filters = decode::<AccountFilters>(Value::Object(object), "")?;
        Ok(AccountsListRequest {
            filters,
            cursor,
            limit,
            mode,
        })
    }
}

/// A rule that one field of a request breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The API's name for the field, with a dotted suffix for nested values
    /// (`created_date.before`, `custom_fields.tnt__region`).
    pub field: String,
    /// Description of the problem and its fix.
    pub message: String,
}

/// Failure to decode a request body.
#[derive(Debug, thiserror::Error)]
pub enum RequestParseError {
    #[error("the filters are not valid JSON: {0}")]
    Syntax(serde_json::Error),
    #[error("the filters must be a JSON object such as {{\"tier\": [\"Enterprise\"]}}")]
    NotAnObject,
    #[error("`{field}` is not a field of this request. Known fields: {known}")]
    UnknownField { field: String, known: String },
    #[error("`{path}` is invalid: {message}")]
    WrongType { path: String, message: String },
    #[error("{}", format_field_errors(.0))]
    Invalid(Vec<FieldError>),
}

impl AccountsExportRequest {
    /// Parses a request body in the API's field names, rejecting unknown fields
    /// and values of the wrong type, then checks it with [`Self::validate`].
    pub fn from_json(text: &str) -> Result<Self, RequestParseError> {
        let value: Value = serde_json::from_str(text).map_err(RequestParseError::Syntax)?;
        Self::from_value(value)
    }

    /// Like [`Self::from_json`] for an already parsed JSON value.
    pub fn from_value(value: Value) -> Result<Self, RequestParseError> {
        let request = Self::parse_value(value)?;
        request.validate().map_err(RequestParseError::Invalid)?;
        Ok(request)
    }

    /// Decodes a request body, rejecting unknown fields and values of the wrong
    /// type, but without [`Self::validate`]: this is what the API itself checks.
    pub fn parse_value(value: Value) -> Result<Self, RequestParseError> {
        let mut object = known_fields_only(value, EXPORT_FIELDS)?;
        let first = take_field::<u32>(&mut object, "first")?;
        let filters = decode::<AccountFilters>(Value::Object(object), "")?;
        Ok(AccountsExportRequest { filters, first })
    }

    /// Checks the rules the API enforces, and the ones that would make a filter
    /// match nothing by mistake. Returns every broken rule, not just the first.
    pub fn validate(&self) -> Result<(), Vec<FieldError>> {
        let mut errors = self.filters.validate();
        if let Some(first) = self.first {
            if !FIRST_RANGE.contains(&first) {
                errors.push(FieldError {
                    field: "first".into(),
                    message: format!(
                        "{first} is outside the allowed range. Enter a number from {} to {}.",
                        FIRST_RANGE.start(),
                        FIRST_RANGE.end()
                    ),
                });
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

impl AccountFilters {
    /// Checks date ranges, list entries, sort keys and custom field values.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        check_range("created_date", self.created_date, &mut errors);
        check_range("modified_date", self.modified_date, &mut errors);

        let lists = [
            ("created_by", &self.created_by),
            ("display_name", &self.display_name),
            ("domains", &self.domains),
            ("external_refs", &self.external_refs),
            ("owned_by", &self.owned_by),
            ("sort_by", &self.sort_by),
            ("stage", &self.stage),
            ("subtype", &self.subtype),
            ("tags", &self.tags),
            ("tier", &self.tier),
            ("websites", &self.websites),
        ];
        for (field, values) in lists {
            if values.iter().any(|value| value.trim().is_empty()) {
                errors.push(FieldError {
                    field: field.into(),
                    message: "contains an empty value. Remove it or fill it in.".into(),
                });
            }
        }

        for key in &self.sort_by {
            if let Err(message) = parse_sort_key(key) {
                errors.push(FieldError {
                    field: "sort_by".into(),
                    message,
                });
            }
        }

        for (name, accepted) in &self.custom_fields {
            if let Some(message) = check_custom_field(name, accepted) {
                errors.push(FieldError {
                    field: format!("custom_fields.{name}"),
                    message,
                });
            }
        }
        errors
    }

    /// True when no filter is set, so the request matches every account.
    pub fn is_empty(&self) -> bool {
        let no_sort = AccountFilters {
            sort_by: Vec::new(),
            ..self.clone()
        };
        no_sort == AccountFilters::default()
    }
}

/// Sort direction of one sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortDirection {
    Ascending,
    Descending,
}

/// Splits a sort key `field:asc` or `field:desc` into its parts. A key without
/// a direction sorts ascending.
pub fn parse_sort_key(key: &str) -> Result<(&str, SortDirection), String> {
    let (field, direction) = match key.rsplit_once(':') {
        Some((field, "asc")) => (field, SortDirection::Ascending),
        Some((field, "desc")) => (field, SortDirection::Descending),
        Some((_, other)) => {
            return Err(format!(
            "`{key}` has the direction `{other}`. Use `asc` or `desc`, as in `created_date:desc`."
        ))
        }
        None => (key, SortDirection::Ascending),
    };
    let valid_name = !field.is_empty()
        && field
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
    if valid_name {
        Ok((field, direction))
    } else {
        Err(format!(
            "`{key}` is not a sort key. Write a field name and a direction, as in `created_date:desc`."
        ))
    }
}

fn check_range(field: &str, range: Option<DateTimeFilter>, errors: &mut Vec<FieldError>) {
    let Some(DateTimeFilter {
        after: Some(after),
        before: Some(before),
    }) = range
    else {
        return;
    };
    if before < after {
        errors.push(FieldError {
            field: format!("{field}.before"),
            message: format!(
                "the end ({}) is earlier than the start ({}). Swap them or pick a later end.",
                before.to_rfc3339(),
                after.to_rfc3339()
            ),
        });
    }
}

/// Returns why a custom field filter is malformed, if it is.
fn check_custom_field(name: &str, accepted: &Value) -> Option<String> {
    if name.trim().is_empty() {
        return Some("a custom field filter has no field name. Enter the field's name.".into());
    }
    let scalar = |value: &Value| {
        matches!(
            value,
            Value::String(_) | Value::Number(_) | Value::Bool(_) | Value::Null
        )
    };
    match accepted {
        Value::Array(values) if values.is_empty() => {
            Some(format!("`{name}` has no values. Enter at least one value.",))
        }
        Value::Array(values) if values.iter().all(scalar) => None,
        value if scalar(value) => None,
        _ => Some(format!(
            "`{name}` must be a value or a list of values (text, numbers, true or false)."
        )),
    }
}

/// Returns the fields of a JSON object after checking that each is one of `known`.
fn known_fields_only(
    value: Value,
    known: &[&str],
) -> Result<Map<String, Value>, RequestParseError> {
    let Value::Object(object) = value else {
        return Err(RequestParseError::NotAnObject);
    };
    if let Some(field) = object.keys().find(|key| !known.contains(&key.as_str())) {
        return Err(RequestParseError::UnknownField {
            field: field.clone(),
            known: known.join(", "),
        });
    }
    Ok(object)
}

/// Removes and decodes one top-level field, `null` counting as absent.
/// Top-level scalars are decoded apart from the flattened filters because
/// serde loses the JSON path of errors inside a flattened struct.
fn take_field<T: serde::de::DeserializeOwned>(
    object: &mut Map<String, Value>,
    name: &str,
) -> Result<Option<T>, RequestParseError> {
    match object.remove(name) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => decode(value, name).map(Some),
    }
}

/// Decodes `value`, naming the JSON path of a wrong type. `prefix` is the
/// path of `value` itself within the request.
fn decode<T: serde::de::DeserializeOwned>(
    value: Value,
    prefix: &str,
) -> Result<T, RequestParseError> {
    // Kept to quote the value in the message; filters are small.
    let original = value.clone();
    serde_path_to_error::deserialize(value).map_err(|error| {
        let inner = error.path().to_string();
        let path = match (prefix, inner.as_str()) {
            (prefix, ".") => prefix.to_owned(),
            ("", inner) => inner.to_owned(),
            (prefix, inner) => format!("{prefix}.{inner}"),
        };
        let pointer = match inner.as_str() {
            "." => String::new(),
            inner => format!("/{}", inner.replace('.', "/")),
        };
        let given = original.pointer(&pointer);
        let message = match given {
            Some(Value::String(text)) if is_date_field(&path) => format!(
                "{text:?} is not a date and time in RFC 3339 form ({}). Write it as \"2024-01-01T00:00:00Z\", with the time and the zone",
                error.inner()
            ),
            Some(Value::Number(number)) if is_count_field(&path) => format!(
                "{number} is not a whole number from {} to {}{}",
                FIRST_RANGE.start(),
                FIRST_RANGE.end(),
                type_hint(&path)
            ),
            _ => format!("{}{}", error.inner(), type_hint(&path)),
        };
        RequestParseError::WrongType { path, message }
    })
}

/// Returns whether `path` names one end of a date range, such as `created_date.after`.
fn is_date_field(path: &str) -> bool {
    let field = path.split('.').next().unwrap_or(path);
    matches!(field, "created_date" | "modified_date") && path.contains('.')
}

/// Returns whether `path` names a number of accounts: `first` or `limit`.
fn is_count_field(path: &str) -> bool {
    matches!(path, "first" | "limit")
}

/// Returns an example of the expected form for a field, to append to a type error.
fn type_hint(path: &str) -> &'static str {
    let field = path.split('.').next().unwrap_or(path);
    match field {
        "first" | "limit" => ". Write a whole number without quotes, as in 100",
        "created_date" | "modified_date" => {
            ". Write the range as {\"after\": \"2024-01-01T00:00:00Z\", \"before\": \"2024-12-31T23:59:59Z\"}, with dates in RFC 3339 form"
        }
        "custom_fields" => ". Write custom fields as {\"tnt__region\": [\"EMEA\"]}",
        "cursor" => ". Write the cursor as text",
        "mode" => ". Write \"after\" or \"before\"",
        _ => ". Write a list of texts, as in [\"value\"]",
    }
}

fn format_field_errors(errors: &[FieldError]) -> String {
    let lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_request_serializes_to_empty_object() {
        let body = serde_json::to_value(AccountsExportRequest::default()).unwrap();

        assert_eq!(body, json!({}));
    }

    #[test]
    fn set_fields_serialize_with_api_names() {
        let request = AccountsExportRequest::from_value(json!({
            "tier": ["Enterprise"],
            "created_date": {"after": "2024-01-01T00:00:00Z"},
            "first": 200
        }))
        .unwrap();

        let body = serde_json::to_value(&request).unwrap();

        assert_eq!(
            body,
            json!({
                "tier": ["Enterprise"],
                "created_date": {"after": "2024-01-01T00:00:00Z"},
                "first": 200
            })
        );
    }

    #[test]
    fn unknown_field_is_rejected_by_name() {
        let error = AccountsExportRequest::from_json(r#"{"tiers": ["A"]}"#).unwrap_err();

        assert!(error.to_string().contains("`tiers`"), "{error}");
    }

    #[test]
    fn list_request_decodes_cursor_limit_mode() {
        let request = AccountsListRequest::parse_value(json!({
            "tier": ["SMB"], "cursor": "abc", "limit": 100, "mode": "before"
        }))
        .unwrap();

        assert_eq!(request.cursor.as_deref(), Some("abc"));
        assert_eq!(request.limit, Some(100));
        assert_eq!(request.mode, Some(ListMode::Before));
        assert_eq!(request.filters.tier, ["SMB"]);
    }

    #[test]
    fn list_request_rejects_first() {
        let error = AccountsListRequest::parse_value(json!({"first": 5})).unwrap_err();

        assert!(error.to_string().contains("`first`"), "{error}");
    }

    #[test]
    fn wrong_scalar_type_names_the_field() {
        let error = AccountsExportRequest::from_json(r#"{"first": "10"}"#).unwrap_err();

        assert!(error.to_string().starts_with("`first`"), "{error}");
    }

    #[test]
    fn wrong_type_names_the_path() {
        let error = AccountsExportRequest::from_json(r#"{"tier": "A"}"#).unwrap_err();

        assert!(error.to_string().starts_with("`tier`"), "{error}");
    }

    #[test]
    fn date_without_time_is_explained() {
        let error =
            AccountsExportRequest::from_json(r#"{"created_date": {"after": "2024-01-01"}}"#)
                .unwrap_err()
                .to_string();

        assert!(
            error.starts_with("`created_date.after` is invalid"),
            "{error}"
        );
        assert!(
            error.contains("\"2024-01-01\" is not a date and time"),
            "{error}"
        );
        assert!(error.contains("2024-01-01T00:00:00Z"), "{error}");
    }

    #[test]
    fn negative_first_names_the_range() {
        let error = AccountsExportRequest::from_json(r#"{"first": -1}"#)
            .unwrap_err()
            .to_string();

        assert!(
            error.contains("-1 is not a whole number from 1 to 500"),
            "{error}"
        );
    }

    #[test]
    fn first_outside_range_is_rejected() {
        for first in [0, 501] {
            let request = AccountsExportRequest {
                first: Some(first),
                ..Default::default()
            };

            let errors = request.validate().unwrap_err();

            assert_eq!(errors[0].field, "first");
        }
    }

    #[test]
    fn end_before_start_is_rejected() {
        let filters = AccountFilters {
            modified_date: Some(DateTimeFilter {
                after: Some("2024-05-01T00:00:00Z".parse().unwrap()),
                before: Some("2024-04-01T00:00:00Z".parse().unwrap()),
            }),
            ..Default::default()
        };

        let errors = filters.validate();

        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "modified_date.before");
    }

    #[test]
    fn malformed_custom_field_is_rejected() {
        let mut filters = AccountFilters::default();
        filters
            .custom_fields
            .insert("tnt__region".into(), json!({"nested": true}));

        let errors = filters.validate();

        assert_eq!(errors[0].field, "custom_fields.tnt__region");
    }

    #[test]
    fn sort_key_parses_direction() {
        assert_eq!(
            parse_sort_key("created_date:desc"),
            Ok(("created_date", SortDirection::Descending))
        );
        assert_eq!(
            parse_sort_key("display_name"),
            Ok(("display_name", SortDirection::Ascending))
        );
        assert!(parse_sort_key("tier:up").is_err());
        assert!(parse_sort_key(":asc").is_err());
    }
}
