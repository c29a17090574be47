//! The facts behind the workbook's "About this export" sheet: when and how
//! the accounts were read, the filters in plain words, the warnings, and the
//! number of accounts per tier and per owner for its charts.
//!
//! The sheet itself is laid out by [`crate::workbook`]; this module only
//! gathers what it says.

use std::collections::HashMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use crate::devrev::models::Account;
use crate::devrev::request::{AccountFilters, DateTimeFilter};

/// Groups shown by name in a chart; the rest are summed as [`OTHER_LABEL`].
pub const CHART_GROUPS: usize = 10;

/// Label of the accounts without a tier or without an owner.
pub const NONE_LABEL: &str = "(none)";

/// Label of the groups past the first [`CHART_GROUPS`].
pub const OTHER_LABEL: &str = "(all others)";

/// What the About sheet states of one export.
#[derive(Debug, Clone, PartialEq)]
pub struct AboutExport {
    pub exported_at: DateTime<Utc>,
    /// Name and email of the token's user, when known.
    pub exported_by: Option<String>,
    pub base_url: String,
    /// The API endpoint the accounts came from, such as `accounts.list`.
    pub endpoint: String,
    /// Each filter as a label and its value in words, in the order of the form.
    pub filters: Vec<(String, String)>,
    /// Things the reader of the file should know, such as dropped duplicates.
    pub warnings: Vec<String>,
    pub app_version: String,
    pub tally: Tally,
}

impl AboutExport {
    /// Starts the facts of an export made now by this version of the app.
    pub fn new(
        base_url: &str,
        endpoint: &str,
        filters: &AccountFilters,
        limit: Option<u32>,
    ) -> Self {
        let mut described = describe_filters(filters);
        if let Some(limit) = limit {
            described.push(("Limit".to_owned(), format!("the first {limit} accounts")));
        }
        AboutExport {
            exported_at: Utc::now(),
            exported_by: None,
            base_url: base_url.to_owned(),
            endpoint: endpoint.to_owned(),
            filters: described,
            warnings: Vec::new(),
            app_version: env!("CARGO_PKG_VERSION").to_owned(),
            tally: Tally::default(),
        }
    }
}

/// Accounts counted per tier and per owner.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally {
    tiers: HashMap<String, usize>,
    owners: HashMap<String, usize>,
}

impl Tally {
    /// Counts `accounts`. An account with several owners counts once for each.
    pub fn observe(&mut self, accounts: &[Account]) {
        for account in accounts {
            let tier = account.tier.as_deref().filter(|tier| !tier.is_empty());
            *self
                .tiers
                .entry(tier.unwrap_or(NONE_LABEL).to_owned())
                .or_default() += 1;
            if account.owned_by.is_empty() {
                *self.owners.entry(NONE_LABEL.to_owned()).or_default() += 1;
            }
            for owner in &account.owned_by {
                *self.owners.entry(owner.label()).or_default() += 1;
            }
        }
    }

    /// Returns the tiers, largest first, with the smallest past
    /// [`CHART_GROUPS`] summed as one group.
    pub fn tiers(&self) -> Vec<(String, usize)> {
        largest_first(&self.tiers)
    }

    /// Returns the owners like [`Tally::tiers`].
    pub fn owners(&self) -> Vec<(String, usize)> {
        largest_first(&self.owners)
    }
}

fn largest_first(counts: &HashMap<String, usize>) -> Vec<(String, usize)> {
    let mut sorted: Vec<(String, usize)> = counts
        .iter()
        .map(|(label, count)| (label.clone(), *count))
        .collect();
    // Equal counts are ordered by name so that the same data gives the same sheet.
    sorted.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    if sorted.len() > CHART_GROUPS {
        let others: usize = sorted[CHART_GROUPS..].iter().map(|(_, count)| count).sum();
        sorted.truncate(CHART_GROUPS);
        sorted.push((OTHER_LABEL.to_owned(), others));
    }
    sorted
}

/// Describes each set filter as a label and plain words, such as
/// `("Tier", "Enterprise or Growth")`. Without filters the list says so.
pub fn describe_filters(filters: &AccountFilters) -> Vec<(String, String)> {
    let mut described = Vec::new();
    let mut list = |label: &str, values: &[String]| {
        if !values.is_empty() {
            described.push((label.to_owned(), values.join(" or ")));
        }
    };
    list("Name", &filters.display_name);
    list("Tier", &filters.tier);
    list("Subtype", &filters.subtype);
    list("Stage (IDs)", &filters.stage);
    list("Owners (IDs)", &filters.owned_by);
    list("Created by (IDs)", &filters.created_by);
    list("Tags (IDs)", &filters.tags);
    list("Domains", &filters.domains);
    list("Websites", &filters.websites);
    list("External references", &filters.external_refs);
    if let Some(range) = &filters.created_date {
        described.push(("Created".to_owned(), describe_range(range)));
    }
    if let Some(range) = &filters.modified_date {
        described.push(("Modified".to_owned(), describe_range(range)));
    }
    for (key, value) in &filters.custom_fields {
        described.push((format!("Custom field {key}"), describe_value(value)));
    }
    if !filters.sort_by.is_empty() {
        described.push(("Sorted by".to_owned(), filters.sort_by.join(", then ")));
    }
    if described.is_empty() {
        described.push(("Filters".to_owned(), "none: every account".to_owned()));
    }
    described
}

fn describe_range(range: &DateTimeFilter) -> String {
    let time = |at: &DateTime<Utc>| at.to_rfc3339_opts(SecondsFormat::Secs, true);
    match (&range.after, &range.before) {
        (Some(after), Some(before)) => format!("from {} to {}", time(after), time(before)),
        (Some(after), None) => format!("from {} on", time(after)),
        (None, Some(before)) => format!("up to {}", time(before)),
        (None, None) => "any time".to_owned(),
    }
}

fn describe_value(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(values) => values
            .iter()
            .map(describe_value)
            .collect::<Vec<_>>()
            .join(" or "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::devrev::models::UserSummary;

    fn account(tier: Option<&str>, owners: &[&str]) -> Account {
        Account {
            tier: tier.map(str::to_owned),
            owned_by: owners
                .iter()
                .map(|name| UserSummary {
                    full_name: Some((*name).to_owned()),
                    ..UserSummary::default()
                })
                .collect(),
            ..Account::default()
        }
    }

    #[test]
    fn tally_counts_tiers_and_owners() {
        let mut tally = Tally::default();
        tally.observe(&[
            account(Some("Enterprise"), &["Ada"]),
            account(Some("Enterprise"), &["Ada", "Bo"]),
            account(None, &[]),
        ]);

        assert_eq!(
            tally.tiers(),
            [("Enterprise".to_owned(), 2), (NONE_LABEL.to_owned(), 1)]
        );
        assert_eq!(tally.owners()[0], ("Ada".to_owned(), 2));
        assert_eq!(tally.owners().len(), 3);
    }

    #[test]
    fn small_groups_are_summed() {
        let mut tally = Tally::default();
        let accounts: Vec<Account> = (0..15)
            .map(|index| account(Some(&format!("Tier {index:02}")), &[]))
            .collect();
        tally.observe(&accounts);

        let tiers = tally.tiers();

        assert_eq!(tiers.len(), CHART_GROUPS + 1);
        assert_eq!(tiers[CHART_GROUPS], (OTHER_LABEL.to_owned(), 5));
    }

    #[test]
    fn filters_read_as_words() {
        let filters = AccountFilters {
            tier: vec!["Enterprise".into(), "Growth".into()],
            created_date: Some(DateTimeFilter {
                after: Some("2024-01-01T00:00:00Z".parse().unwrap()),
                before: None,
            }),
            ..AccountFilters::default()
        };

        assert_eq!(
            describe_filters(&filters),
            [
                ("Tier".to_owned(), "Enterprise or Growth".to_owned()),
                (
                    "Created".to_owned(),
                    "from 2024-01-01T00:00:00Z on".to_owned()
                ),
            ]
        );
        assert_eq!(
            describe_filters(&AccountFilters::default()),
            [("Filters".to_owned(), "none: every account".to_owned())]
        );
    }
}
