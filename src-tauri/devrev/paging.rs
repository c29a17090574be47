//! Reads every matching account, page by page, through `accounts.list`.
//!
//! [`AccountPager`] follows `next_cursor` until the server sends none. It
//! guards against servers that misbehave. A cursor seen before (a loop such as
//! A → B → A) and more pages than [`PagingLimits::max_pages`] end with an
//! error. An account whose `id` came on an earlier page is dropped and counted.

use std::collections::hash_map::DefaultHasher;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};

use super::{Account, AccountFilters, AccountsListRequest, ApiError, DevRevClient};

/// Page size and page cap of one paged read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagingLimits {
    /// Accounts requested per page (`limit`).
    pub page_size: u32,
    /// Most pages read before giving up.
    pub max_pages: usize,
}

impl Default for PagingLimits {
    /// 500 accounts a page, the most `accounts.export` returns in one call,
    /// and a cap of 20,000 pages (10 million accounts).
    fn default() -> Self {
        PagingLimits {
            page_size: 500,
            max_pages: 20_000,
        }
    }
}

/// Failure that ends a paged read early.
#[derive(Debug, thiserror::Error)]
pub enum PagingError {
    #[error(transparent)]
    Api(#[from] ApiError),

    #[error("DevRev sent a page position it had already sent (after {pages} pages and {accounts} accounts), so the export stopped instead of reading the same accounts forever. Try again; if it happens again, report it to DevRev support.")]
    RepeatedCursor { pages: usize, accounts: usize },

    #[error("The export stopped after {max_pages} pages ({accounts} accounts), the most one export reads. Narrow the filters and export in parts.")]
    TooManyPages { max_pages: usize, accounts: usize },
}

/// One page as the pager hands it on.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    /// New accounts of the page in the order received, without duplicates.
    pub accounts: Vec<Account>,
    /// 1-based number of the page.
    pub number: usize,
}

/// A paged read of the accounts that match some filters.
#[derive(Debug)]
pub struct AccountPager<'a> {
    client: &'a DevRevClient,
    request: AccountsListRequest,
    limits: PagingLimits,
    seen_cursors: HashSet<String>,
    /// 64-bit hashes of the IDs seen so far. Hashes keep memory at 8 bytes and
    /// some table overhead per account instead of a copy of every ID.
    seen_ids: HashSet<u64>,
    pages: usize,
    accounts: usize,
    duplicates_dropped: usize,
    finished: bool,
}

impl<'a> AccountPager<'a> {
    /// Prepares a read of every account that matches `filters`, in their sort order.
    pub fn new(client: &'a DevRevClient, filters: AccountFilters, limits: PagingLimits) -> Self {
        AccountPager {
            client,
            request: AccountsListRequest {
                filters,
                limit: Some(limits.page_size),
                ..AccountsListRequest::default()
            },
            limits,
            seen_cursors: HashSet::new(),
            seen_ids: HashSet::new(),
            pages: 0,
            accounts: 0,
            duplicates_dropped: 0,
            finished: false,
        }
    }

    /// Fetches the next page. Returns `Ok(None)` after the last page.
    pub async fn next_page(&mut self) -> Result<Option<Page>, PagingError> {
        if self.finished {
            return Ok(None);
        }
        if self.pages >= self.limits.max_pages {
            self.finished = true;
            return Err(PagingError::TooManyPages {
                max_pages: self.limits.max_pages,
                accounts: self.accounts,
            });
        }

        let response = self.client.list_accounts(&self.request).await?;
        self.pages += 1;

        let received = response.accounts.len();
        let accounts: Vec<Account> = response
            .accounts
            .into_iter()
            .filter(|account| self.seen_ids.insert(id_hash(&account.id)))
            .collect();
        self.duplicates_dropped += received - accounts.len();
        self.accounts += accounts.len();

        match response.next_cursor.filter(|cursor| !cursor.is_empty()) {
            None => self.finished = true,
            Some(cursor) => {
                if !self.seen_cursors.insert(cursor.clone()) {
                    self.finished = true;
                    return Err(PagingError::RepeatedCursor {
                        pages: self.pages,
                        accounts: self.accounts,
                    });
                }
                self.request.cursor = Some(cursor);
            }
        }

        Ok(Some(Page {
            accounts,
            number: self.pages,
        }))
    }

    /// Returns the number of pages fetched so far.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Returns the number of accounts handed on so far, duplicates excluded.
    pub fn accounts(&self) -> usize {
        self.accounts
    }

    /// Returns how many accounts were dropped because their ID came before.
    pub fn duplicates_dropped(&self) -> usize {
        self.duplicates_dropped
    }
}

fn id_hash(id: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}
