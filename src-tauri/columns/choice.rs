//! The user's choice of columns: which keys, in which order, and which custom
//! fields stay out. The app saves it in the settings, and `--columns` gives it
//! on the command line.
//!
//! Turning a choice into columns is left to [`super::ColumnSet`].

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{CUSTOM_FIELD_KEY_PREFIX, STANDARD_COLUMNS};

/// Key that stands for every custom field the choice does not name. It may
/// only come last, so columns found on later pages are always appended.
pub const OTHER_CUSTOM_FIELDS_KEY: &str = "custom_fields.*";

/// Column keys in the order they are written, and the custom fields that
/// [`OTHER_CUSTOM_FIELDS_KEY`] leaves out.
///
/// The default is every standard column in catalogue order, then every custom
/// field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ColumnChoice {
    keys: Vec<String>,
    /// Full keys (`custom_fields.<key>`) of custom fields left out of
    /// [`OTHER_CUSTOM_FIELDS_KEY`]. A key in `keys` is shown all the same.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    hidden: Vec<String>,
}

/// A column choice that cannot be used, with what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ColumnChoiceError {
    #[error("No columns were chosen. Choose at least one column, such as display_name.")]
    Empty,

    #[error("Unknown column `{key}`. Valid columns: {valid}.")]
    UnknownKey {
        key: String,
        /// The valid keys, as [`valid_keys_text`] lists them.
        valid: String,
    },

    #[error("The column `{key}` is chosen twice. Name each column once.")]
    Duplicate { key: String },

    #[error(
        "`{OTHER_CUSTOM_FIELDS_KEY}` is column {position} of {count}, but it must come last, \
         because it stands for every custom field not named before it. Move it to the end."
    )]
    OtherCustomFieldsNotLast { position: usize, count: usize },

    #[error(
        "`{key}` cannot be hidden: only custom fields (custom_fields.<key>) can be. \
         Leave a standard column out of the list instead."
    )]
    HiddenNotCustomField { key: String },
}

impl Default for ColumnChoice {
    fn default() -> Self {
        let mut keys: Vec<String> = STANDARD_COLUMNS
            .iter()
            .map(|standard| standard.key.to_owned())
            .collect();
        keys.push(OTHER_CUSTOM_FIELDS_KEY.to_owned());
        ColumnChoice {
            keys,
            hidden: Vec::new(),
        }
    }
}

impl ColumnChoice {
    /// Checks and creates a choice.
    ///
    /// # Errors
    ///
    /// Fails when `keys` is empty, names a key twice or a key that is neither
    /// a standard column nor `custom_fields.<key>` nor
    /// [`OTHER_CUSTOM_FIELDS_KEY`], has that last one anywhere but at the end,
    /// or when `hidden` names a column that is not a custom field.
    pub fn new(keys: Vec<String>, hidden: Vec<String>) -> Result<Self, ColumnChoiceError> {
        if keys.is_empty() {
            return Err(ColumnChoiceError::Empty);
        }

        let mut seen = HashSet::new();
        for (index, key) in keys.iter().enumerate() {
            if !is_valid_key(key) {
                return Err(ColumnChoiceError::UnknownKey {
                    key: key.clone(),
                    valid: valid_keys_text(),
                });
            }
            if !seen.insert(key.as_str()) {
                return Err(ColumnChoiceError::Duplicate { key: key.clone() });
            }
            if key == OTHER_CUSTOM_FIELDS_KEY && index + 1 != keys.len() {
                return Err(ColumnChoiceError::OtherCustomFieldsNotLast {
                    position: index + 1,
                    count: keys.len(),
                });
            }
        }

        for key in &hidden {
            let is_custom_field = key
                .strip_prefix(CUSTOM_FIELD_KEY_PREFIX)
                .is_some_and(|field| !field.is_empty() && key != OTHER_CUSTOM_FIELDS_KEY);
            if !is_custom_field {
                return Err(ColumnChoiceError::HiddenNotCustomField { key: key.clone() });
            }
        }

        Ok(ColumnChoice { keys, hidden })
    }

    /// Parses a comma-separated list of keys, as `--columns` takes it, such as
    /// `display_name,tier,custom_fields.*`. Spaces around keys and empty items
    /// are ignored.
    ///
    /// # Errors
    ///
    /// As [`ColumnChoice::new`].
    pub fn parse_list(text: &str) -> Result<Self, ColumnChoiceError> {
        let keys = text
            .split(',')
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(str::to_owned)
            .collect();
        ColumnChoice::new(keys, Vec::new())
    }

    /// Returns the keys in the order the columns are written.
    pub fn keys(&self) -> &[String] {
        &self.keys
    }

    /// Returns the custom fields that [`OTHER_CUSTOM_FIELDS_KEY`] leaves out.
    pub fn hidden(&self) -> &[String] {
        &self.hidden
    }

    /// Returns whether this is the default choice.
    pub fn is_default(&self) -> bool {
        *self == ColumnChoice::default()
    }
}

/// Returns whether `key` names a standard column, one custom field or
/// [`OTHER_CUSTOM_FIELDS_KEY`].
fn is_valid_key(key: &str) -> bool {
    if key == OTHER_CUSTOM_FIELDS_KEY {
        return true;
    }
    if let Some(field) = key.strip_prefix(CUSTOM_FIELD_KEY_PREFIX) {
        return !field.is_empty() && !field.contains([',', '*']);
    }
    STANDARD_COLUMNS.iter().any(|standard| standard.key == key)
}

/// Lists the valid keys in one line, for error messages.
pub fn valid_keys_text() -> String {
    let standard: Vec<&str> = STANDARD_COLUMNS
        .iter()
        .map(|standard| standard.key)
        .collect();
    format!(
        "{}, custom_fields.<key> for one custom field (such as custom_fields.tnt__region), \
         and {OTHER_CUSTOM_FIELDS_KEY} for every other custom field",
        standard.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[&str]) -> Vec<String> {
        list.iter().map(|key| (*key).to_owned()).collect()
    }

    #[test]
    fn default_lists_catalogue_then_custom_fields() {
        let choice = ColumnChoice::default();

        assert_eq!(choice.keys().len(), STANDARD_COLUMNS.len() + 1);
        assert_eq!(choice.keys()[0], "display_id");
        assert_eq!(choice.keys().last().unwrap(), OTHER_CUSTOM_FIELDS_KEY);
        assert!(choice.hidden().is_empty());
        assert!(choice.is_default());
    }

    #[test]
    fn parse_list_trims_and_skips_empty_items() {
        let choice =
            ColumnChoice::parse_list(" display_name , tier,,custom_fields.tnt__region ").unwrap();

        assert_eq!(
            choice.keys(),
            keys(&["display_name", "tier", "custom_fields.tnt__region"])
        );
        assert!(!choice.is_default());
    }

    #[test]
    fn unknown_key_lists_valid_keys() {
        let error = ColumnChoice::parse_list("display_name,owner").unwrap_err();

        assert!(matches!(&error, ColumnChoiceError::UnknownKey { key, .. } if key == "owner"));
        let message = error.to_string();
        assert!(
            message.starts_with("Unknown column `owner`. Valid columns: display_id, display_name,"),
            "{message}"
        );
        assert!(message.contains("owned_by"), "{message}");
        assert!(message.contains("custom_fields.<key>"), "{message}");
        assert!(message.contains(OTHER_CUSTOM_FIELDS_KEY), "{message}");
    }

    #[test]
    fn keys_are_case_sensitive() {
        assert!(matches!(
            ColumnChoice::parse_list("Display_Name"),
            Err(ColumnChoiceError::UnknownKey { .. })
        ));
    }

    #[test]
    fn bad_custom_keys_rejected() {
        for text in ["custom_fields.", "custom_fields.a*b"] {
            assert!(
                matches!(
                    ColumnChoice::parse_list(text),
                    Err(ColumnChoiceError::UnknownKey { .. })
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn empty_and_duplicate_rejected() {
        assert_eq!(
            ColumnChoice::parse_list(" , "),
            Err(ColumnChoiceError::Empty)
        );
        assert_eq!(
            ColumnChoice::parse_list("tier,tier"),
            Err(ColumnChoiceError::Duplicate { key: "tier".into() })
        );
        assert_eq!(
            ColumnChoiceError::Empty.to_string(),
            "No columns were chosen. Choose at least one column, such as display_name."
        );
    }

    #[test]
    fn other_custom_fields_must_be_last() {
        let error = ColumnChoice::parse_list("custom_fields.*,tier").unwrap_err();

        assert_eq!(
            error,
            ColumnChoiceError::OtherCustomFieldsNotLast {
                position: 1,
                count: 2
            }
        );
        assert!(error.to_string().contains("Move it to the end"));
    }

    #[test]
    fn only_custom_fields_can_be_hidden() {
        let ok = ColumnChoice::new(
            keys(&["tier", OTHER_CUSTOM_FIELDS_KEY]),
            keys(&["custom_fields.tnt__secret"]),
        )
        .unwrap();
        assert_eq!(ok.hidden(), keys(&["custom_fields.tnt__secret"]));

        for hidden in ["tier", OTHER_CUSTOM_FIELDS_KEY, "custom_fields."] {
            assert_eq!(
                ColumnChoice::new(keys(&["tier"]), keys(&[hidden])),
                Err(ColumnChoiceError::HiddenNotCustomField { key: hidden.into() }),
                "{hidden}"
            );
        }
    }

    #[test]
    fn serializes_for_settings() {
        let choice = ColumnChoice::new(
            keys(&["tier", OTHER_CUSTOM_FIELDS_KEY]),
            keys(&["custom_fields.tnt__x"]),
        )
        .unwrap();

        let json = serde_json::to_value(&choice).unwrap();

        assert_eq!(
            json,
            serde_json::json!({"keys": ["tier", "custom_fields.*"], "hidden": ["custom_fields.tnt__x"]})
        );
        let plain = serde_json::to_value(ColumnChoice::parse_list("tier").unwrap()).unwrap();
        assert_eq!(plain, serde_json::json!({"keys": ["tier"]}));
        let back: ColumnChoice = serde_json::from_value(json).unwrap();
        assert_eq!(back, choice);
    }
}
