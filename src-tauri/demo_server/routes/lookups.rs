//! The demo server's look-up endpoints: `dev-users.list`, `tags.list`,
//! `stages.custom.list`, `schemas.subtypes.list` and `schemas.aggregated.get`.
//!
//! They serve the same fixed pools of users, tags and stages that the
//! generated accounts draw from, and describe the tiers, subtypes and custom
//! fields those accounts carry, so every ID or value a look-up returns also
//! filters the accounts. Like the account endpoints they require the bearer
//! token and reject unknown body fields by name.
//!
//! The lists page with `limit` (1 to 1,000, default 50) and an opaque
//! `cursor`: `next_cursor` for users and tags, `cursor` for stages, as the API
//! names them. Users and tags keep their pool order. The account schema has a
//! `tier` enum among its stock fields and six custom fields, five of them
//! filterable.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::{json_response, parse_json, ApiError, SharedState};
use crate::demo_server::data::{stages, tags, users, REGIONS, SUBTYPES, TIERS};
use crate::demo_server::record::{
    write_custom_schema_fragment, HEALTH_FIELD, NOTES_FIELD, PUBLIC_FIELD, REGION_FIELD,
    RENEWAL_FIELD, REVENUE_FIELD,
};
use crate::devrev::lookups::{
    AggregatedSchemaGetRequest, CustomStagesListRequest, DevUsersListRequest, SubtypesListRequest,
    TagsListRequest, ACCOUNT_LEAF_TYPE,
};

/// Smallest and largest `limit` of the look-up lists.
const LIMIT_RANGE: std::ops::RangeInclusive<u32> = 1..=1000;

/// Page size when a list request leaves `limit` out.
const DEFAULT_LIMIT: u32 = 50;

/// `POST /dev-users.list`: the Dev users, filtered by `email` and `state`.
pub(super) async fn list_dev_users(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: DevUsersListRequest = decode_body(
        &state,
        &headers,
        &body,
        &["cursor", "limit", "email", "state"],
    )?;

    let matching: Vec<Value> = users()
        .iter()
        .filter(|user| {
            request.email.is_empty()
                || request.email.iter().any(|wanted| {
                    user.email
                        .as_deref()
                        .is_some_and(|email| email.eq_ignore_ascii_case(wanted))
                })
        })
        .filter(|user| {
            request.state.is_empty()
                || request
                    .state
                    .iter()
                    .any(|wanted| user.state.as_deref() == Some(wanted.as_str()))
        })
        .map(|user| serde_json::to_value(user).expect("a user serializes"))
        .collect();

    let (page, next) = page_of(&matching, "devu", request.cursor, request.limit)?;
    let mut body = json!({ "dev_users": page });
    if let Some(next) = next {
        body["next_cursor"] = next.into();
    }
    Ok(respond(page.len(), &body))
}

/// `POST /tags.list`: the tags with their allowed values, filtered by `name`.
pub(super) async fn list_tags(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: TagsListRequest =
        decode_body(&state, &headers, &body, &["cursor", "limit", "name"])?;

    let matching: Vec<Value> = tags()
        .iter()
        .filter(|tag| request.name.is_empty() || request.name.contains(&tag.tag.name))
        .map(|tag| {
            json!({
                "id": tag.tag.id,
                "display_id": tag.tag.display_id,
                "name": tag.tag.name,
                "allowed_values": tag.values,
            })
        })
        .collect();

    let (page, next) = page_of(&matching, "tag", request.cursor, request.limit)?;
    let mut body = json!({ "tags": page });
    if let Some(next) = next {
        body["next_cursor"] = next.into();
    }
    Ok(respond(page.len(), &body))
}

/// `POST /stages.custom.list`: the account stages in their order.
pub(super) async fn list_custom_stages(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: CustomStagesListRequest =
        decode_body(&state, &headers, &body, &["cursor", "limit"])?;

    let all: Vec<Value> = stages()
        .iter()
        .enumerate()
        .map(|(position, stage)| {
            json!({
                "id": stage.id,
                "display_id": format!("STAGE-{}", position + 1),
                "name": stage.name,
                "ordinal": (position as i64 + 1) * 100,
            })
        })
        .collect();

    let (page, next) = page_of(&all, "stage", request.cursor, request.limit)?;
    let mut body = json!({ "result": page });
    if let Some(next) = next {
        body["cursor"] = next.into();
    }
    Ok(respond(page.len(), &body))
}

/// `POST /schemas.subtypes.list`: the account subtypes. Other leaf types
/// have none.
pub(super) async fn list_subtypes(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: SubtypesListRequest = decode_body(&state, &headers, &body, &["leaf_types"])?;

    let wants_accounts = request.leaf_types.is_empty()
        || request
            .leaf_types
            .iter()
            .any(|leaf| leaf == ACCOUNT_LEAF_TYPE);
    let subtypes: Vec<Value> = if wants_accounts {
        SUBTYPES
            .iter()
            .enumerate()
            .map(|(position, (name, _, _))| {
                let mut fragment_id = String::new();
                write_custom_schema_fragment(position, &mut fragment_id)
                    .expect("writing to a String does not fail");
                json!({
                    "display_name": name,
                    "fragment_id": fragment_id,
                    "leaf_type": ACCOUNT_LEAF_TYPE,
                    "value": name,
                })
            })
            .collect()
    } else {
        Vec::new()
    };

    let count = subtypes.len();
    Ok(respond(count, &json!({ "subtypes": subtypes })))
}

/// `POST /schemas.aggregated.get` with `leaf_type` `account`: the stock
/// `tier` field and the custom fields of the generated accounts.
pub(super) async fn get_aggregated_schema(
    State(state): State<Arc<SharedState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let request: AggregatedSchemaGetRequest = decode_body(&state, &headers, &body, &["leaf_type"])?;
    if request.leaf_type.as_deref() != Some(ACCOUNT_LEAF_TYPE) {
        return Err(ApiError::bad_request(format!(
            "`leaf_type` must be \"{ACCOUNT_LEAF_TYPE}\", because the demo server has schemas for accounts only."
        )));
    }

    let tiers: Vec<&str> = TIERS.iter().map(|(name, _)| *name).collect();
    let schema = json!({
        "leaf_type": ACCOUNT_LEAF_TYPE,
        "stock_fields": [
            field("display_name", "text", "Name", true),
            {
                "name": "tier",
                "field_type": "enum",
                "is_filterable": true,
                "allowed_values": tiers,
                "ui": {"display_name": "Tier"},
            },
        ],
        "custom_fields": [
            {
                "name": REGION_FIELD,
                "field_type": "enum",
                "is_filterable": true,
                "allowed_values": REGIONS,
                "ui": {"display_name": "Region"},
            },
            field(REVENUE_FIELD, "double", "Annual revenue", true),
            field(PUBLIC_FIELD, "bool", "Publicly traded", true),
            field(RENEWAL_FIELD, "date", "Renewal date", true),
            field(HEALTH_FIELD, "int", "Health score", true),
            field(NOTES_FIELD, "text", "Notes", false),
        ],
        "stock_composite_schemas": [],
        "custom_composite_schemas": [],
    });
    Ok(respond(0, &json!({ "schema": schema })))
}

/// Builds a field descriptor without allowed values.
fn field(name: &str, field_type: &str, label: &str, filterable: bool) -> Value {
    json!({
        "name": name,
        "field_type": field_type,
        "is_filterable": filterable,
        "ui": {"display_name": label},
    })
}

/// Checks the token, then decodes the body as `T` after rejecting any field
/// not in `known`.
fn decode_body<T: DeserializeOwned>(
    state: &SharedState,
    headers: &HeaderMap,
    body: &[u8],
    known: &[&str],
) -> Result<T, ApiError> {
    if !state.is_authorized(headers) {
        return Err(ApiError::unauthenticated());
    }
    let value = parse_json(body)?;
    let Value::Object(object) = &value else {
        return Err(ApiError::bad_request(
            "The request body must be a JSON object, such as {}.".to_owned(),
        ));
    };
    check_fields(object, known)?;
    serde_path_to_error::deserialize(value).map_err(|error| {
        ApiError::bad_request(format!(
            "`{}` has the wrong type: {}",
            error.path(),
            error.inner()
        ))
    })
}

fn check_fields(object: &Map<String, Value>, known: &[&str]) -> Result<(), ApiError> {
    match object.keys().find(|key| !known.contains(&key.as_str())) {
        Some(unknown) => Err(ApiError::bad_request(format!(
            "`{unknown}` is not a field the demo server accepts here. Known fields: {}",
            known.join(", ")
        ))),
        None => Ok(()),
    }
}

/// Cuts one page out of `entries`. The cursor is `<kind>-<offset>`, so a
/// cursor of one list is rejected by another.
fn page_of<'a>(
    entries: &'a [Value],
    kind: &str,
    cursor: Option<String>,
    limit: Option<u32>,
) -> Result<(&'a [Value], Option<String>), ApiError> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !LIMIT_RANGE.contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "`limit` is {limit}, outside the allowed range. Send a number from {} to {}.",
            LIMIT_RANGE.start(),
            LIMIT_RANGE.end()
        )));
    }

    let start = match cursor.as_deref().filter(|text| !text.is_empty()) {
        None => 0,
        Some(text) => text
            .strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|offset| offset.parse::<usize>().ok())
            .filter(|offset| *offset <= entries.len())
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "cursor \"{text}\" is invalid; start again without a cursor."
                ))
            })?,
    };

    let end = (start + limit as usize).min(entries.len());
    let next = (end < entries.len()).then(|| format!("{kind}-{end}"));
    Ok((&entries[start..end], next))
}

fn respond(count: usize, body: &Value) -> Response {
    json_response(
        count,
        serde_json::to_vec(body).expect("a JSON value serializes"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_offsets_to_the_end() {
        let entries: Vec<Value> = (0..5).map(Value::from).collect();

        let (first, next) = page_of(&entries, "tag", None, Some(2)).unwrap();
        let (second, next) = page_of(&entries, "tag", next, Some(2)).unwrap();
        let (third, next) = page_of(&entries, "tag", next, Some(2)).unwrap();

        assert_eq!(first, [json!(0), json!(1)]);
        assert_eq!(second, [json!(2), json!(3)]);
        assert_eq!(third, [json!(4)]);
        assert_eq!(next, None);
    }

    #[test]
    fn cursor_of_another_list_is_rejected() {
        let entries: Vec<Value> = (0..5).map(Value::from).collect();

        let error = page_of(&entries, "tag", Some("devu-2".into()), None).unwrap_err();

        assert!(error.message.contains("devu-2"), "{}", error.message);
    }

    #[test]
    fn limit_outside_range_is_rejected() {
        let error = page_of(&[], "tag", None, Some(0)).unwrap_err();

        assert!(error.message.contains("`limit` is 0"), "{}", error.message);
    }
}
