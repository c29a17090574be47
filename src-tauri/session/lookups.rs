//! The session's look-up actions: user and tag search for the pickers and
//! the fixed lists of the filter form.
//!
//! Each list is read once per server and token and kept in memory until the
//! app closes, the server or token changes, or the user reloads the lists.

use std::sync::Arc;

use super::AppSession;
use crate::devrev::lookups::LOOKUP_PAGE_SIZE;
use crate::devrev::retry::RetryPolicy;
use crate::directory::{
    load_custom_field_facts, load_filter_options, search_tags, search_users, CustomFieldFacts,
    FilterOptions, OrgDirectory, TagChoice, UserChoice, MAX_MATCHES,
};
use crate::error::AppError;

/// Look-up results of one server and token.
#[derive(Debug, Default)]
pub(super) struct LookupCache {
    /// [`crate::devrev::DevRevClient::cache_key`] of the client that filled it.
    key: Option<u64>,
    directory: OrgDirectory,
}

impl AppSession {
    /// Returns the active Dev users whose name or email contains every word of
    /// `query`, best matches first. The first search of a session reads every
    /// page of `dev-users.list`; later ones search memory.
    pub async fn search_users(&self, query: &str) -> Result<Vec<UserChoice>, AppError> {
        let client = self.client().await?;
        let mut cache = self.lookups.lock().await;
        reset_if_stale(&mut cache, client.cache_key());

        let users = match &cache.directory.users {
            Some(users) => users.clone(),
            None => {
                let users = Arc::new(client.all_dev_users(LOOKUP_PAGE_SIZE).await?);
                tracing::info!(users = users.len(), "users read for the pickers");
                cache.directory.users = Some(users.clone());
                users
            }
        };
        drop(cache);
        Ok(search_users(&users, query, MAX_MATCHES))
    }

    /// Returns the tags whose name contains every word of `query`.
    pub async fn search_tags(&self, query: &str) -> Result<Vec<TagChoice>, AppError> {
        let client = self.client().await?;
        let mut cache = self.lookups.lock().await;
        reset_if_stale(&mut cache, client.cache_key());

        let tags = match &cache.directory.tags {
            Some(tags) => tags.clone(),
            None => {
                let tags = Arc::new(client.all_tags(LOOKUP_PAGE_SIZE).await?);
                tracing::info!(tags = tags.len(), "tags read for the pickers");
                cache.directory.tags = Some(tags.clone());
                tags
            }
        };
        drop(cache);
        Ok(search_tags(&tags, query, MAX_MATCHES))
    }

    /// Returns the stages, subtypes, tiers and filterable custom fields.
    pub async fn filter_options(&self) -> Result<FilterOptions, AppError> {
        let client = self.client().await?;
        let mut cache = self.lookups.lock().await;
        reset_if_stale(&mut cache, client.cache_key());

        if let Some(options) = &cache.directory.options {
            return Ok(options.clone());
        }
        let options = load_filter_options(&client).await?;
        // A list that failed is read again next time instead of staying empty.
        if options.problems.is_empty() {
            cache.directory.options = Some(options.clone());
        }
        Ok(options)
    }

    /// Returns the display names and date fields of the account custom
    /// fields, read once per server and token. After a failed read, headers
    /// fall back to the field keys, dates stay text and the export goes on.
    /// The next export tries the read again.
    pub(super) async fn custom_field_facts(&self) -> CustomFieldFacts {
        let Ok(client) = self.client_with(RetryPolicy::none()).await else {
            return CustomFieldFacts::default();
        };
        let mut cache = self.lookups.lock().await;
        reset_if_stale(&mut cache, client.cache_key());
        if let Some(facts) = &cache.directory.field_facts {
            return facts.as_ref().clone();
        }
        match load_custom_field_facts(&client).await {
            Ok(facts) => {
                tracing::info!(
                    labels = facts.labels.len(),
                    dates = facts.dates.len(),
                    "custom field names and types read for the columns"
                );
                cache.directory.field_facts = Some(Arc::new(facts.clone()));
                facts
            }
            Err(error) => {
                tracing::warn!(%error, "custom field names and types could not be read, so headers use the field keys");
                CustomFieldFacts::default()
            }
        }
    }

    /// Forgets every list read so far, so the next look-up reads them again.
    pub async fn reload_lookups(&self) {
        *self.lookups.lock().await = LookupCache::default();
        tracing::info!("look-up lists cleared");
    }
}

/// Empties the cache when it was filled for another server or token.
fn reset_if_stale(cache: &mut LookupCache, key: u64) {
    if cache.key != Some(key) {
        *cache = LookupCache {
            key: Some(key),
            directory: OrgDirectory::default(),
        };
    }
}
