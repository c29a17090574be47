//! Look-ups that turn the names people know into the IDs filters need:
//! Dev users, tags, custom stages, account subtypes and the account schema
//! (tier values and custom fields).
//!
//! Each endpoint has a request and a response type in the API's field names
//! and one client method that sends it through the client's single send path.
//! The `all_*` methods follow cursors until the last page, with the same
//! guards as the accounts pager: a repeated cursor or more than
//! [`MAX_LOOKUP_PAGES`] pages ends the read with an error. Caching and name
//! search are left to the caller ([`crate::directory`]).

use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::models::UserSummary;
use super::{ApiError, DevRevClient};
use crate::error::AppError;

/// Most pages one `all_*` read follows. At the page size the app uses (100)
/// this is 100,000 users or tags, far beyond any organization.
pub const MAX_LOOKUP_PAGES: usize = 1_000;

/// Page size the app requests in look-ups.
pub const LOOKUP_PAGE_SIZE: u32 = 100;

/// Leaf type of accounts in schema and subtype requests.
pub const ACCOUNT_LEAF_TYPE: &str = "account";

/// Body of `POST /dev-users.list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DevUsersListRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Maximum number of users on one page. The API's default is 50.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Email addresses to match exactly.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub email: Vec<String>,
    /// User states to include, such as `active`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub state: Vec<String>,
}

/// Body of a successful `dev-users.list` call: one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DevUsersListResponse {
    pub dev_users: Vec<UserSummary>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_cursor: Option<String>,
}

/// Body of `POST /tags.list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TagsListRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// Exact tag names to match.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<String>,
}

/// A tag of the organization.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Tag {
    pub id: String,
    pub display_id: Option<String>,
    /// Unique tag name.
    pub name: String,
    /// Values the tag takes when attached. Empty for a tag without values.
    #[serde(deserialize_with = "null_as_empty")]
    pub allowed_values: Vec<String>,
    pub description: Option<String>,
}

/// Body of a successful `tags.list` call: one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagsListResponse {
    pub tags: Vec<Tag>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_cursor: Option<String>,
}

/// Body of `POST /stages.custom.list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomStagesListRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
}

/// A custom stage, such as `Active` or `Churned`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CustomStage {
    pub id: String,
    pub display_id: Option<String>,
    pub name: String,
    /// Position in the organization's stage order.
    pub ordinal: Option<i32>,
}

/// Body of a successful `stages.custom.list` call. Unlike the other lists,
/// the API names the next page's cursor `cursor`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomStagesListResponse {
    pub result: Vec<CustomStage>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// Body of `POST /schemas.subtypes.list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SubtypesListRequest {
    /// Leaf types whose subtypes to list, such as `account`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leaf_types: Vec<String>,
}

/// A subtype of a leaf type.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Subtype {
    pub display_name: Option<String>,
    /// ID of the custom type fragment that defines the subtype.
    pub fragment_id: String,
    pub leaf_type: String,
    /// The value accounts carry in `subtype` and that the `subtype` filter takes.
    pub value: String,
}

/// Body of a successful `schemas.subtypes.list` call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SubtypesListResponse {
    pub subtypes: Vec<Subtype>,
}

/// Body of `POST /schemas.aggregated.get`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AggregatedSchemaGetRequest {
    /// Leaf type whose stock fields and tenant fields to aggregate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub leaf_type: Option<String>,
}

/// The fields of a leaf type: stock fields such as `tier` and custom fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AggregatedSchema {
    #[serde(deserialize_with = "null_as_empty")]
    pub custom_fields: Vec<SchemaField>,
    #[serde(deserialize_with = "null_as_empty")]
    pub stock_fields: Vec<SchemaField>,
}

/// Body of a successful `schemas.aggregated.get` call.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AggregatedSchemaGetResponse {
    pub schema: AggregatedSchema,
}

/// One field descriptor of a schema, with only the parts filters need.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemaField {
    /// Field name as it appears on the object, such as `tnt__region`.
    pub name: String,
    /// `bool`, `int`, `double`, `date`, `enum`, `text`, `timestamp` and
    /// others. Kept as text so that a type added later still decodes.
    pub field_type: String,
    /// Whether the API can filter, group and sort by the field.
    pub is_filterable: Option<bool>,
    /// Values of an `enum` field.
    #[serde(deserialize_with = "null_as_empty")]
    pub allowed_values: Vec<String>,
    pub description: Option<String>,
    pub ui: Option<SchemaFieldUi>,
}

/// The part of a field's UI metadata that names it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SchemaFieldUi {
    pub display_name: Option<String>,
}

impl SchemaField {
    /// Returns the name to show: the UI display name, else the field name.
    pub fn label(&self) -> &str {
        self.ui
            .as_ref()
            .and_then(|ui| ui.display_name.as_deref())
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(&self.name)
    }
}

/// Failure of a look-up.
#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error(transparent)]
    Api(#[from] ApiError),

    #[error("{endpoint} sent a page position it had already sent (after {pages} pages), so the look-up stopped instead of reading the same entries forever. Try again; if it happens again, report it to DevRev support.")]
    RepeatedCursor {
        endpoint: &'static str,
        pages: usize,
    },

    #[error("{endpoint} still had more pages after {max_pages}, the most one look-up reads. Report this to DevRev support.")]
    TooManyPages {
        endpoint: &'static str,
        max_pages: usize,
    },
}

impl From<LookupError> for AppError {
    fn from(error: LookupError) -> Self {
        match error {
            LookupError::Api(error) => error.into(),
            LookupError::RepeatedCursor { .. } => AppError::new("paging_loop", error.to_string()),
            LookupError::TooManyPages { .. } => AppError::new("too_many_pages", error.to_string()),
        }
    }
}

impl DevRevClient {
    /// Calls `dev-users.list` for one page of Dev users.
    pub async fn list_dev_users(
        &self,
        request: &DevUsersListRequest,
    ) -> Result<DevUsersListResponse, ApiError> {
        self.post("dev-users.list", request).await
    }

    /// Calls `tags.list` for one page of tags.
    pub async fn list_tags(&self, request: &TagsListRequest) -> Result<TagsListResponse, ApiError> {
        self.post("tags.list", request).await
    }

    /// Calls `stages.custom.list` for one page of custom stages.
    pub async fn list_custom_stages(
        &self,
        request: &CustomStagesListRequest,
    ) -> Result<CustomStagesListResponse, ApiError> {
        self.post("stages.custom.list", request).await
    }

    /// Calls `schemas.subtypes.list`.
    pub async fn list_subtypes(
        &self,
        request: &SubtypesListRequest,
    ) -> Result<SubtypesListResponse, ApiError> {
        self.post("schemas.subtypes.list", request).await
    }

    /// Calls `schemas.aggregated.get`.
    pub async fn get_aggregated_schema(
        &self,
        request: &AggregatedSchemaGetRequest,
    ) -> Result<AggregatedSchemaGetResponse, ApiError> {
        self.post("schemas.aggregated.get", request).await
    }

    /// Reads every active Dev user, `page_size` per request.
    pub async fn all_dev_users(&self, page_size: u32) -> Result<Vec<UserSummary>, LookupError> {
        let endpoint = "dev-users.list";
        read_all_pages(endpoint, |cursor| async move {
            let request = DevUsersListRequest {
                cursor,
                limit: Some(page_size),
                state: vec!["active".into()],
                ..DevUsersListRequest::default()
            };
            let page = self.list_dev_users(&request).await?;
            Ok((page.dev_users, page.next_cursor))
        })
        .await
    }

    /// Reads every tag, `page_size` per request.
    pub async fn all_tags(&self, page_size: u32) -> Result<Vec<Tag>, LookupError> {
        read_all_pages("tags.list", |cursor| async move {
            let request = TagsListRequest {
                cursor,
                limit: Some(page_size),
                ..TagsListRequest::default()
            };
            let page = self.list_tags(&request).await?;
            Ok((page.tags, page.next_cursor))
        })
        .await
    }

    /// Reads every custom stage, `page_size` per request.
    pub async fn all_custom_stages(&self, page_size: u32) -> Result<Vec<CustomStage>, LookupError> {
        read_all_pages("stages.custom.list", |cursor| async move {
            let request = CustomStagesListRequest {
                cursor,
                limit: Some(page_size),
            };
            let page = self.list_custom_stages(&request).await?;
            Ok((page.result, page.cursor))
        })
        .await
    }
}

impl DevRevClient {
    /// Returns a number that differs between clients of different servers or
    /// tokens, to key caches of look-up results. It is a hash, never the token.
    pub fn cache_key(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.base_url.as_str().hash(&mut hasher);
        self.token.expose().hash(&mut hasher);
        hasher.finish()
    }
}

/// Calls `fetch_page` with each next cursor until a page comes without one,
/// and returns the entries of all pages in order.
async fn read_all_pages<T, F, Fut>(
    endpoint: &'static str,
    mut fetch_page: F,
) -> Result<Vec<T>, LookupError>
where
    T: DeserializeOwned,
    F: FnMut(Option<String>) -> Fut,
    Fut: std::future::Future<Output = Result<(Vec<T>, Option<String>), ApiError>>,
{
    let mut entries = Vec::new();
    let mut seen_cursors = HashSet::new();
    let mut cursor = None;

    for pages in 1..=MAX_LOOKUP_PAGES {
        let (page, next) = fetch_page(cursor).await?;
        entries.extend(page);

        let Some(next) = next.filter(|next| !next.is_empty()) else {
            return Ok(entries);
        };
        if !seen_cursors.insert(next.clone()) {
            return Err(LookupError::RepeatedCursor { endpoint, pages });
        }
        cursor = Some(next);
    }
    Err(LookupError::TooManyPages {
        endpoint,
        max_pages: MAX_LOOKUP_PAGES,
    })
}

/// Decodes `null` as an empty list, as a missing field is.
fn null_as_empty<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Ok(Option::<Vec<T>>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_requests_serialize_to_empty_objects() {
        assert_eq!(
            serde_json::to_value(DevUsersListRequest::default()).unwrap(),
            json!({})
        );
        assert_eq!(
            serde_json::to_value(SubtypesListRequest::default()).unwrap(),
            json!({})
        );
    }

    #[test]
    fn stage_page_reads_cursor_field() {
        let page: CustomStagesListResponse = serde_json::from_value(json!({
            "result": [{"id": "S-1", "name": "Active", "ordinal": 3}],
            "cursor": "next"
        }))
        .unwrap();

        assert_eq!(page.result[0].name, "Active");
        assert_eq!(page.cursor.as_deref(), Some("next"));
    }

    #[test]
    fn schema_field_label_prefers_display_name() {
        let mut field: SchemaField = serde_json::from_value(json!({
            "name": "tnt__region", "field_type": "enum", "allowed_values": null,
            "ui": {"display_name": "Region"}
        }))
        .unwrap();

        assert_eq!(field.label(), "Region");
        assert!(field.allowed_values.is_empty());

        field.ui = None;
        assert_eq!(field.label(), "tnt__region");
    }

    #[test]
    fn lookup_errors_map_to_paging_codes() {
        let repeated = LookupError::RepeatedCursor {
            endpoint: "tags.list",
            pages: 3,
        };
        let too_many = LookupError::TooManyPages {
            endpoint: "tags.list",
            max_pages: MAX_LOOKUP_PAGES,
        };

        let repeated = AppError::from(repeated);
        assert_eq!(repeated.code, "paging_loop");
        assert!(repeated
            .message
            .starts_with("tags.list sent a page position"));
        assert_eq!(AppError::from(too_many).code, "too_many_pages");
    }

    #[tokio::test]
    async fn paging_stops_on_repeated_cursor() {
        let mut calls = 0;

        let result: Result<Vec<u32>, _> = read_all_pages("tags.list", |_| {
            calls += 1;
            async { Ok((vec![1], Some("same".to_owned()))) }
        })
        .await;

        assert!(matches!(
            result,
            Err(LookupError::RepeatedCursor { pages: 2, .. })
        ));
        assert_eq!(calls, 2);
    }

    #[tokio::test]
    async fn paging_treats_empty_cursor_as_last_page() {
        let result: Vec<u32> = read_all_pages("tags.list", |_| async {
            Ok((vec![7], Some(String::new())))
        })
        .await
        .unwrap();

        assert_eq!(result, [7]);
    }
}
