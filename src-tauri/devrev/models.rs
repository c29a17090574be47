//! Account objects as `accounts.export` and `accounts.list` return them.
//!
//! The types follow the `account` schema of DevRev's public beta OpenAPI spec.
//! Every field except `id` may be missing or `null`, and fields this module does
//! not know are ignored, so a newer server never breaks an export.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

/// One DevRev account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Account {
    /// Globally unique object ID, such as `don:core:dvrv-us-1:devo/1:account/42`.
    pub id: String,
    /// Human-readable ID unique within the organization, such as `ACC-42`.
    pub display_id: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub created_by: Option<UserSummary>,
    pub created_date: Option<DateTime<Utc>>,
    pub modified_by: Option<UserSummary>,
    pub modified_date: Option<DateTime<Utc>>,
    #[serde(deserialize_with = "null_as_default")]
    pub owned_by: Vec<UserSummary>,
    #[serde(deserialize_with = "null_as_default")]
    pub domains: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub websites: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub external_refs: Vec<String>,
    #[serde(deserialize_with = "null_as_default")]
    pub tags: Vec<TagWithValue>,
    pub tier: Option<String>,
    /// Subtype name of the account's custom type fragment.
    pub subtype: Option<String>,
    /// Application-defined fields, keyed by field name (for example `tnt__region`).
    #[serde(deserialize_with = "null_as_default")]
    pub custom_fields: Map<String, Value>,
    #[serde(deserialize_with = "null_as_default")]
    pub custom_schema_fragments: Vec<String>,
    pub stock_schema_fragment: Option<String>,
    pub primary_account: Option<AccountSummary>,
    #[serde(deserialize_with = "null_as_default")]
    pub artifacts: Vec<ArtifactSummary>,
}

/// A user as the API embeds it in other objects: a Dev user, Rev user,
/// service account or system user, distinguished by `type`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UserSummary {
    pub id: String,
    /// `dev_user`, `rev_user`, `service_account` or `sys_user`. Kept as text so
    /// that a user type added later still decodes.
    #[serde(rename = "type")]
    pub user_type: Option<String>,
    pub display_id: Option<String>,
    pub display_name: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    /// `active`, `deactivated`, `deleted`, `locked`, `shadow` or `unassigned`.
    pub state: Option<String>,
}

/// A tag attached to an object, with the value of that attachment if the tag takes one.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TagWithValue {
    pub tag: TagSummary,
    pub value: Option<String>,
}

/// Tag identity as embedded in a tagged object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TagSummary {
    pub id: String,
    pub display_id: Option<String>,
    /// Unique tag name.
    pub name: String,
}

/// Another account referred to by ID and name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AccountSummary {
    pub id: String,
    pub display_id: Option<String>,
    pub display_name: Option<String>,
}

/// A file attached to an account.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArtifactSummary {
    pub id: String,
    pub display_id: Option<String>,
    pub file: Option<ArtifactFile>,
}

/// Name, media type and size of an artifact's file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ArtifactFile {
    /// Media type, such as `application/pdf`.
    #[serde(rename = "type")]
    pub media_type: Option<String>,
    pub name: Option<String>,
    /// Size in bytes.
    pub size: Option<u64>,
}

/// Body of a successful `accounts.export` call. `accounts` is required, so an
/// empty object or some other JSON is reported instead of read as no accounts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountsExportResponse {
    pub accounts: Vec<Account>,
}

/// Body of a successful `accounts.list` call: one page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AccountsListResponse {
    pub accounts: Vec<Account>,
    /// Cursor of the following page. Absent, `null` or empty when this is the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Cursor of the preceding page, absent on the first page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev_cursor: Option<String>,
}

/// The user a token belongs to, as `dev-users.self` returns it. Only the
/// fields that identify the user are read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DevUser {
    pub id: String,
    /// Human-readable ID, such as `DEVU-12`.
    pub display_id: Option<String>,
    pub display_name: Option<String>,
    pub full_name: Option<String>,
    pub email: Option<String>,
    /// `active`, `deactivated`, `deleted`, `locked`, `shadow` or `unassigned`.
    pub state: Option<String>,
}

impl DevUser {
    /// Formats the user as a cell shows users: `Full Name <email>`, falling
    /// back to the display name, the display ID and the ID.
    pub fn label(&self) -> String {
        UserSummary {
            id: self.id.clone(),
            user_type: Some("dev_user".into()),
            display_id: self.display_id.clone(),
            display_name: self.display_name.clone(),
            full_name: self.full_name.clone(),
            email: self.email.clone(),
            state: self.state.clone(),
        }
        .label()
    }
}

/// Body of a successful `dev-users.self` call. `dev_user` is required, so a
/// reply from another server is reported instead of read as an empty user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DevUsersSelfResponse {
    pub dev_user: DevUser,
}

/// Decodes `null` as the type's default (an empty list or map), as a missing field is.
fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

impl UserSummary {
    /// Formats the user for a cell: `Full Name <email>`, falling back to the
    /// display name, then the display ID, then the ID.
    pub fn label(&self) -> String {
        let name = [&self.full_name, &self.display_name, &self.display_id]
            .into_iter()
            .flatten()
            .find(|name| !name.trim().is_empty())
            .cloned();
        match (name, self.email.as_deref().filter(|e| !e.is_empty())) {
            (Some(name), Some(email)) => format!("{name} <{email}>"),
            (Some(name), None) => name,
            (None, Some(email)) => email.to_owned(),
            (None, None) => self.id.clone(),
        }
    }
}

impl TagWithValue {
    /// Formats the tag for a cell: `name`, or `name: value` when it has a value.
    pub fn label(&self) -> String {
        let name = if self.tag.name.is_empty() {
            &self.tag.id
        } else {
            &self.tag.name
        };
        match self.value.as_deref().filter(|v| !v.is_empty()) {
            Some(value) => format!("{name}: {value}"),
            None => name.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_decodes_with_only_id() {
        let account: Account = serde_json::from_str(r#"{"id":"A-1"}"#).unwrap();

        assert_eq!(account.id, "A-1");
        assert!(account.owned_by.is_empty());
        assert!(account.custom_fields.is_empty());
    }

    #[test]
    fn account_decodes_nulls_and_unknown_fields() {
        let json = r#"{"id":"A-1","owned_by":null,"tags":null,"tier":null,
            "custom_fields":null,"brand_new_field":{"x":1}}"#;

        let account: Account = serde_json::from_str(json).unwrap();

        assert!(account.owned_by.is_empty());
        assert!(account.tags.is_empty());
        assert_eq!(account.tier, None);
    }

    #[test]
    fn user_label_prefers_full_name_with_email() {
        let user = UserSummary {
            id: "U-1".into(),
            full_name: Some("Ada Lovelace".into()),
            display_name: Some("ada".into()),
            email: Some("ada@example.com".into()),
            ..Default::default()
        };

        assert_eq!(user.label(), "Ada Lovelace <ada@example.com>");
    }

    #[test]
    fn user_label_falls_back_to_id() {
        let user = UserSummary {
            id: "U-1".into(),
            ..Default::default()
        };

        assert_eq!(user.label(), "U-1");
    }

    #[test]
    fn tag_label_includes_value() {
        let tag = TagWithValue {
            tag: TagSummary {
                id: "T-1".into(),
                name: "priority".into(),
                ..Default::default()
            },
            value: Some("high".into()),
        };

        assert_eq!(tag.label(), "priority: high");
    }
}
