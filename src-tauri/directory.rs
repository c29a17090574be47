//! The organization's users, tags, stages, subtypes, tiers and custom fields
//! as the filter pickers offer them: searched by name, shown by name, sent by ID.
//!
//! [`OrgDirectory`] keeps what the look-ups returned for one server and
//! token, so a session reads each list once and type-ahead searches memory.
//! Searching ignores case and the accents of Latin letters, so `bjorn` finds
//! `Björn`. Fetching is left to [`crate::devrev::lookups`]; deciding when the
//! cache is stale is left to the session.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde::Serialize;

use crate::devrev::lookups::{
    AggregatedSchemaGetRequest, SubtypesListRequest, ACCOUNT_LEAF_TYPE, LOOKUP_PAGE_SIZE,
};
use crate::devrev::models::UserSummary;
use crate::devrev::{ApiError, DevRevClient, LookupError, SchemaField, Tag};

/// Most matches one search returns, enough to fill a picker's list.
pub const MAX_MATCHES: usize = 20;

/// A user a picker offers: shown by name and email, sent by ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserChoice {
    pub id: String,
    /// Full name, else display name, else the ID.
    pub name: String,
    pub email: Option<String>,
    /// `Name <email>`, as the workbook shows users.
    pub label: String,
}

/// A tag a picker offers, with the values it may carry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TagChoice {
    pub id: String,
    pub name: String,
    /// Allowed values; empty when the tag takes no value.
    pub values: Vec<String>,
}

/// One entry of a fixed list: the value the request carries and the name shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Choice {
    pub value: String,
    pub label: String,
}

/// Input control for a custom field's filter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldInput {
    /// A checkbox: true or false.
    Checkbox,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// A calendar date, sent as `YYYY-MM-DD`.
    Date,
    /// One of the field's allowed values.
    Choice,
    /// Free text.
    Text,
}

/// A filterable custom field of accounts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomFieldChoice {
    /// Key in the request's `custom_fields`, such as `tnt__region`.
    pub name: String,
    pub label: String,
    pub input: FieldInput,
    /// Allowed values of a [`FieldInput::Choice`] field.
    pub values: Vec<String>,
}

/// The fixed lists of the filter form. A list whose look-up failed is empty
/// and its failure is in `problems`, so the form can still offer free text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterOptions {
    /// Stages in the organization's order, sent by ID.
    pub stages: Vec<Choice>,
    pub subtypes: Vec<Choice>,
    pub tiers: Vec<Choice>,
    pub custom_fields: Vec<CustomFieldChoice>,
    /// One sentence per look-up that failed.
    pub problems: Vec<String>,
}

/// Look-up results for one server and token. Each part is read on first use.
#[derive(Debug, Default)]
pub struct OrgDirectory {
    pub users: Option<Arc<Vec<UserSummary>>>,
    pub tags: Option<Arc<Vec<Tag>>>,
    pub options: Option<FilterOptions>,
    /// Display names and date fields of the account custom fields.
    pub field_facts: Option<Arc<CustomFieldFacts>>,
}

/// Display names and date fields of the account custom fields, which column
/// headers and cells need.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomFieldFacts {
    /// Display names by field name, such as `tnt__region` → `Sales region`.
    /// Fields without a display name are left out.
    pub labels: HashMap<String, String>,
    /// Names of the fields whose type is a date.
    pub dates: HashSet<String>,
}

/// Reads the display names and date fields of the account custom fields
/// from the org's schema.
pub async fn load_custom_field_facts(client: &DevRevClient) -> Result<CustomFieldFacts, ApiError> {
    let response = client
        .get_aggregated_schema(&AggregatedSchemaGetRequest {
            leaf_type: Some(ACCOUNT_LEAF_TYPE.into()),
        })
        .await?;
    Ok(custom_field_facts(&response.schema.custom_fields))
}

/// Returns the display names and date fields among `fields`.
pub fn custom_field_facts(fields: &[SchemaField]) -> CustomFieldFacts {
    CustomFieldFacts {
        labels: fields
            .iter()
            .filter(|field| field.label() != field.name)
            .map(|field| (field.name.clone(), field.label().to_owned()))
            .collect(),
        dates: fields
            .iter()
            .filter(|field| field.field_type == "date")
            .map(|field| field.name.clone())
            .collect(),
    }
}

/// Reads the stages, subtypes and account schema. An authentication failure
/// fails the whole read; any other failure empties one list and is noted in
/// [`FilterOptions::problems`].
pub async fn load_filter_options(client: &DevRevClient) -> Result<FilterOptions, LookupError> {
    let mut options = FilterOptions::default();

    match client.all_custom_stages(LOOKUP_PAGE_SIZE).await {
        Ok(mut stages) => {
            stages.sort_by_key(|stage| stage.ordinal.unwrap_or(i32::MAX));
            options.stages = stages
                .into_iter()
                .map(|stage| Choice {
                    label: non_empty_or(&stage.name, &stage.id),
                    value: stage.id,
                })
                .collect();
        }
        Err(error) => {
            if let Some(fatal) = note_problem(&mut options, "Stages", error) {
                return Err(fatal);
            }
        }
    }

    let subtypes = client
        .list_subtypes(&SubtypesListRequest {
            leaf_types: vec![ACCOUNT_LEAF_TYPE.into()],
        })
        .await;
    match subtypes {
        Ok(response) => {
            options.subtypes = response
                .subtypes
                .into_iter()
                .filter(|subtype| subtype.leaf_type == ACCOUNT_LEAF_TYPE)
                .map(|subtype| Choice {
                    label: non_empty_or(
                        subtype.display_name.as_deref().unwrap_or_default(),
                        &subtype.value,
                    ),
                    value: subtype.value,
                })
                .collect();
        }
        Err(error) => {
            if let Some(fatal) = note_problem(&mut options, "Subtypes", error.into()) {
                return Err(fatal);
            }
        }
    }

    let schema = client
        .get_aggregated_schema(&AggregatedSchemaGetRequest {
            leaf_type: Some(ACCOUNT_LEAF_TYPE.into()),
        })
        .await;
    match schema {
        Ok(response) => {
            let schema = response.schema;
            options.tiers = schema
                .stock_fields
                .iter()
                .find(|field| field.name == "tier")
                .map(|tier| {
                    tier.allowed_values
                        .iter()
                        .map(|value| Choice {
                            value: value.clone(),
                            label: value.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default();
            options.custom_fields = schema
                .custom_fields
                .iter()
                .filter_map(custom_field_choice)
                .collect();
        }
        Err(error) => {
            if let Some(fatal) = note_problem(&mut options, "Tiers and custom fields", error.into())
            {
                return Err(fatal);
            }
        }
    }
    Ok(options)
}

/// Records a failed look-up, or hands it back when it is an authentication
/// failure that every other request would hit too.
fn note_problem(
    options: &mut FilterOptions,
    what: &str,
    error: LookupError,
) -> Option<LookupError> {
    if let LookupError::Api(api) = &error {
        if matches!(api, ApiError::Unauthorized { .. }) {
            return Some(error);
        }
    }
    tracing::warn!(%error, list = what, "look-up failed; the form offers free text instead");
    options.problems.push(format!(
        "{what} could not be read, so type them by hand: {error}"
    ));
    None
}

/// Turns a filterable schema field into a picker entry. Fields the API cannot
/// filter by, and types without a fitting input, are left out.
fn custom_field_choice(field: &SchemaField) -> Option<CustomFieldChoice> {
    if field.is_filterable != Some(true) || field.name.trim().is_empty() {
        return None;
    }
    let input = match field.field_type.as_str() {
        "bool" => FieldInput::Checkbox,
        "int" => FieldInput::Integer,
        "double" => FieldInput::Number,
        "date" => FieldInput::Date,
        "enum" if !field.allowed_values.is_empty() => FieldInput::Choice,
        "text" | "enum" => FieldInput::Text,
        _ => return None,
    };
    Some(CustomFieldChoice {
        name: field.name.clone(),
        label: field.label().to_owned(),
        input,
        values: field.allowed_values.clone(),
    })
}

/// Returns the users whose name, display name or email contains every word
/// of `query`, best matches first: names that start with the query, then
/// names with a word that starts with it, then any other match.
pub fn search_users(users: &[UserSummary], query: &str, limit: usize) -> Vec<UserChoice> {
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    let mut ranked: Vec<(u8, UserChoice)> = users
        .iter()
        .filter_map(|user| {
            let name = user_name(user);
            let fields = [
                Some(name.as_str()),
                user.display_name.as_deref(),
                user.email.as_deref(),
            ];
            let haystack = fold(&fields.into_iter().flatten().collect::<Vec<_>>().join(" "));
            let rank = rank_match(&haystack, &words)?;
            Some((
                rank,
                UserChoice {
                    id: user.id.clone(),
                    label: user.label(),
                    email: user.email.clone(),
                    name,
                },
            ))
        })
        .collect();
    ranked.sort_by(|(a_rank, a), (b_rank, b)| {
        a_rank
            .cmp(b_rank)
            .then_with(|| fold(&a.name).cmp(&fold(&b.name)))
    });
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, user)| user)
        .collect()
}

/// Returns the tags whose name contains every word of `query`, ranked like
/// [`search_users`].
pub fn search_tags(tags: &[Tag], query: &str, limit: usize) -> Vec<TagChoice> {
    let words: Vec<String> = fold(query).split_whitespace().map(str::to_owned).collect();
    let mut ranked: Vec<(u8, &Tag)> = tags
        .iter()
        .filter_map(|tag| Some((rank_match(&fold(&tag.name), &words)?, tag)))
        .collect();
    ranked.sort_by(|(a_rank, a), (b_rank, b)| a_rank.cmp(b_rank).then_with(|| a.name.cmp(&b.name)));
    ranked
        .into_iter()
        .take(limit)
        .map(|(_, tag)| TagChoice {
            id: tag.id.clone(),
            name: non_empty_or(&tag.name, &tag.id),
            values: tag.allowed_values.clone(),
        })
        .collect()
}

/// Returns the rank of a folded haystack for the folded query words, or
/// `None` when a word is missing. An empty query matches everything at rank 2.
fn rank_match(haystack: &str, words: &[String]) -> Option<u8> {
    if !words.iter().all(|word| haystack.contains(word.as_str())) {
        return None;
    }
    let Some(first) = words.first() else {
        return Some(2);
    };
    let starts_word = |word: &str| {
        haystack
            .split(|c: char| !c.is_alphanumeric())
            .any(|part| part.starts_with(word))
    };
    if haystack.starts_with(first.as_str()) {
        Some(0)
    } else if starts_word(first) {
        Some(1)
    } else {
        Some(2)
    }
}

fn user_name(user: &UserSummary) -> String {
    [&user.full_name, &user.display_name, &user.display_id]
        .into_iter()
        .flatten()
        .find(|name| !name.trim().is_empty())
        .cloned()
        .unwrap_or_else(|| user.email.clone().unwrap_or_else(|| user.id.clone()))
}

fn non_empty_or(text: &str, fallback: &str) -> String {
    if text.trim().is_empty() {
        fallback.to_owned()
    } else {
        text.to_owned()
    }
}

/// Lowercases `text` and removes the accents of common Latin letters, so
/// that a query typed without accents finds names written with them.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        let plain = match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
            'æ' => "ae",
            'ç' | 'ć' | 'č' => "c",
            'ď' | 'đ' => "d",
            'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
            'ğ' => "g",
            'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
            'ł' | 'ľ' | 'ĺ' => "l",
            'ñ' | 'ń' | 'ň' => "n",
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
            'œ' => "oe",
            'ř' | 'ŕ' => "r",
            'ś' | 'š' | 'ş' | 'ș' => "s",
            'ß' => "ss",
            'ť' | 'ţ' | 'ț' => "t",
            'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
            'ý' | 'ÿ' => "y",
            'ź' | 'ż' | 'ž' => "z",
            other => {
                folded.push(other);
                continue;
            }
        };
        folded.push_str(plain);
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(number: u32, full_name: &str, email: &str) -> UserSummary {
        UserSummary {
            id: format!("U-{number}"),
            full_name: Some(full_name.into()),
            email: Some(email.into()),
            ..Default::default()
        }
    }

    fn people() -> Vec<UserSummary> {
        vec![
            user(1, "Björn Müller", "bjorn.mueller@example.com"),
            user(2, "Ana Jensen", "ana.jensen@example.com"),
            user(3, "Joana Bauer", "joana.bauer@example.com"),
        ]
    }

    #[test]
    fn fold_removes_case_and_accents() {
        assert_eq!(fold("Björn ŁUKASZ Chloé"), "bjorn lukasz chloe");
        assert_eq!(fold("Straße"), "strasse");
        assert_eq!(fold("東京"), "東京");
    }

    #[test]
    fn user_found_by_name_without_accents() {
        let found = search_users(&people(), "bjorn", MAX_MATCHES);

        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "U-1");
        assert_eq!(found[0].label, "Björn Müller <bjorn.mueller@example.com>");
    }

    #[test]
    fn user_found_by_email() {
        let found = search_users(&people(), "ana.jensen@", MAX_MATCHES);

        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "U-2");
    }

    #[test]
    fn name_start_ranks_before_inner_match() {
        let found = search_users(&people(), "ana", MAX_MATCHES);

        let ids: Vec<&str> = found.iter().map(|user| user.id.as_str()).collect();
        assert_eq!(ids, ["U-2", "U-3"]);
    }

    #[test]
    fn every_query_word_must_match() {
        assert_eq!(
            search_users(&people(), "jensen bauer", MAX_MATCHES).len(),
            0
        );
        assert_eq!(search_users(&people(), "joana bauer", MAX_MATCHES).len(), 1);
    }

    #[test]
    fn search_stops_at_limit() {
        assert_eq!(search_users(&people(), "", 2).len(), 2);
    }

    #[test]
    fn tags_found_by_part_of_name() {
        let tags = vec![
            Tag {
                id: "T-1".into(),
                name: "churn-risk".into(),
                ..Default::default()
            },
            Tag {
                id: "T-2".into(),
                name: "priority".into(),
                allowed_values: vec!["high".into()],
                ..Default::default()
            },
        ];

        let found = search_tags(&tags, "risk", MAX_MATCHES);

        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, "T-1");
    }

    #[test]
    fn custom_fields_get_inputs_by_type() {
        let field = |name: &str, field_type: &str, filterable: bool| SchemaField {
            name: name.into(),
            field_type: field_type.into(),
            is_filterable: Some(filterable),
            ..Default::default()
        };

        let inputs: Vec<Option<FieldInput>> = [
            field("a", "bool", true),
            field("b", "int", true),
            field("c", "double", true),
            field("d", "date", true),
            field("e", "enum", true),
            field("f", "text", false),
            field("g", "json_value", true),
        ]
        .iter()
        .map(|field| custom_field_choice(field).map(|choice| choice.input))
        .collect();

        assert_eq!(
            inputs,
            [
                Some(FieldInput::Checkbox),
                Some(FieldInput::Integer),
                Some(FieldInput::Number),
                Some(FieldInput::Date),
                Some(FieldInput::Text),
                None,
                None
            ]
        );
    }
}
