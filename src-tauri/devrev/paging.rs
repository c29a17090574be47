//! Reads every matching account, page by page, through `accounts.list`.
//!
//! [`AccountPager`] follows `next_cursor` until the server sends none. It
//! guards against servers that misbehave. A cursor seen before (a loop such as
//! A → B → A) and more pages than [`PagingLimits::max_pages`] end with an
//! error. An account whose `id` came on an earlier page is dropped and counted.
//!
//! A request that fails for good (after the client's retries) ends the read
//! with a [`PagingError::Api`] that carries a [`ResumePoint`]: the cursor of
//! the page that failed and the guards' state. [`AccountPager::resume`]
//! continues from there, so a long export does not start over.

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
    #[error("{}", .0.error)]
    Api(PageFailure),

    #[error("DevRev sent a page position it had already sent (after {pages} pages and {accounts} accounts), so the export stopped instead of reading the same accounts forever. Try again; if it happens again, report it to DevRev support.")]
    RepeatedCursor { pages: usize, accounts: usize },

    #[error("The export stopped after {max_pages} pages ({accounts} accounts), the most one export reads. Narrow the filters and export in parts.")]
    TooManyPages { max_pages: usize, accounts: usize },
}

/// An API failure during a read, with the point to continue from when a
/// pager made the request.
#[derive(Debug)]
pub struct PageFailure {
    pub error: ApiError,
    /// Where to continue. `None` for a failure outside a pager, such as a
    /// single `accounts.export` call.
    pub resume: Option<Box<ResumePoint>>,
}

impl From<ApiError> for PagingError {
    fn from(error: ApiError) -> Self {
        PagingError::Api(PageFailure {
            error,
            resume: None,
        })
    }
}

impl PagingError {
    /// Returns the API error that ended the read, if one did.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            PagingError::Api(failure) => Some(&failure.error),
            _ => None,
        }
    }

    /// Returns the point to continue the read from, if it can continue.
    pub fn resume_point(&self) -> Option<&ResumePoint> {
        match self {
            PagingError::Api(failure) => failure.resume.as_deref(),
            _ => None,
        }
    }

    /// Takes the point to continue the read from, if it can continue.
    pub fn into_resume_point(self) -> Option<ResumePoint> {
        match self {
            PagingError::Api(failure) => failure.resume.map(|point| *point),
            _ => None,
        }
    }
}

/// Where a paged read stopped: the request of the page that failed, and the
/// cursors and account IDs seen before it, so that a continued read still
/// detects loops and drops duplicates.
#[derive(Debug, Clone, PartialEq)]
pub struct ResumePoint {
    request: AccountsListRequest,
    limits: PagingLimits,
    seen_cursors: HashSet<String>,
    /// 64-bit hashes of the IDs seen so far. Hashes keep memory at 8 bytes and
    /// some table overhead per account instead of a copy of every ID.
    seen_ids: HashSet<u64>,
    pages: usize,
    accounts: usize,
    duplicates_dropped: usize,
}

impl ResumePoint {
    fn start(filters: AccountFilters, limits: PagingLimits, cursor: Option<String>) -> Self {
        ResumePoint {
            request: AccountsListRequest {
                filters,
                limit: Some(limits.page_size),
                cursor,
                ..AccountsListRequest::default()
            },
            limits,
            seen_cursors: HashSet::new(),
            seen_ids: HashSet::new(),
            pages: 0,
            accounts: 0,
            duplicates_dropped: 0,
        }
    }

    /// Returns the cursor of the page to read next: the `next_cursor` of the
    /// last page that arrived, or `None` when no page arrived yet.
    pub fn cursor(&self) -> Option<&str> {
        self.request.cursor.as_deref()
    }

    /// Returns the filters of the read.
    pub fn filters(&self) -> &AccountFilters {
        &self.request.filters
    }

    /// Returns the number of pages that arrived before the read stopped.
    pub fn pages(&self) -> usize {
        self.pages
    }

    /// Returns the number of accounts handed on before the read stopped,
    /// duplicates excluded.
    pub fn accounts(&self) -> usize {
        self.accounts
    }

    /// Returns the number of accounts dropped because their ID came before.
    pub fn duplicates_dropped(&self) -> usize {
        self.duplicates_dropped
    }

    /// Returns a copy without the request and the seen cursors and IDs,
    /// which is what a spent pager keeps.
    fn counts_only(&self) -> Self {
        ResumePoint {
            request: AccountsListRequest::default(),
            limits: self.limits,
            seen_cursors: HashSet::new(),
            seen_ids: HashSet::new(),
            pages: self.pages,
            accounts: self.accounts,
            duplicates_dropped: self.duplicates_dropped,
        }
    }
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
    position: ResumePoint,
    finished: bool,
}

impl<'a> AccountPager<'a> {
    /// Prepares a read of every account that matches `filters`, in their sort order.
    pub fn new(client: &'a DevRevClient, filters: AccountFilters, limits: PagingLimits) -> Self {
        AccountPager {
            client,
            position: ResumePoint::start(filters, limits, None),
            finished: false,
        }
    }

    /// Continues a read that stopped with a [`PagingError`], from the page
    /// that failed. Pages, accounts and the loop and duplicate guards carry
    /// on from where they were.
    pub fn resume(client: &'a DevRevClient, point: ResumePoint) -> Self {
        AccountPager {
            client,
            position: point,
            finished: false,
        }
    }

    /// Starts a read at `cursor`, a `next_cursor` from an earlier read with
    /// the same filters. Unlike [`Self::resume`], it knows nothing of the
    /// earlier pages, so it cannot drop accounts that they carried.
    pub fn from_cursor(
        client: &'a DevRevClient,
        filters: AccountFilters,
        limits: PagingLimits,
        cursor: String,
    ) -> Self {
        let mut position = ResumePoint::start(filters, limits, Some(cursor.clone()));
        position.seen_cursors.insert(cursor);
        AccountPager {
            client,
            position,
            finished: false,
        }
    }

    /// Fetches the next page. Returns `Ok(None)` after the last page.
    ///
    /// After an error the pager is spent and returns `Ok(None)`. An API error
    /// carries the [`ResumePoint`] to continue from with [`Self::resume`].
    pub async fn next_page(&mut self) -> Result<Option<Page>, PagingError> {
        if self.finished {
            return Ok(None);
        }
        let position = &mut self.position;
        if position.pages >= position.limits.max_pages {
            self.finished = true;
            return Err(PagingError::TooManyPages {
                max_pages: position.limits.max_pages,
                accounts: position.accounts,
            });
        }

        let response = match self.client.list_accounts(&position.request).await {
            Ok(response) => response,
            Err(error) => {
                self.finished = true;
                let counts = self.position.counts_only();
                let point = std::mem::replace(&mut self.position, counts);
                tracing::warn!(
                    pages = point.pages,
                    accounts = point.accounts,
                    has_cursor = point.cursor().is_some(),
                    "paged read stopped; it can resume from the failed page"
                );
                return Err(PagingError::Api(PageFailure {
                    error,
                    resume: Some(Box::new(point)),
                }));
            }
        };
        position.pages += 1;

        let received = response.accounts.len();
        let accounts: Vec<Account> = response
            .accounts
            .into_iter()
            .filter(|account| position.seen_ids.insert(id_hash(&account.id)))
            .collect();
        position.duplicates_dropped += received - accounts.len();
        position.accounts += accounts.len();

        match response.next_cursor.filter(|cursor| !cursor.is_empty()) {
            None => self.finished = true,
            Some(cursor) => {
                if !position.seen_cursors.insert(cursor.clone()) {
                    self.finished = true;
                    return Err(PagingError::RepeatedCursor {
                        pages: position.pages,
                        accounts: position.accounts,
                    });
                }
                position.request.cursor = Some(cursor);
            }
        }

        Ok(Some(Page {
            accounts,
            number: position.pages,
        }))
    }

    /// Returns the number of pages fetched so far.
    pub fn pages(&self) -> usize {
        self.position.pages
    }

    /// Returns the number of accounts handed on so far, duplicates excluded.
    pub fn accounts(&self) -> usize {
        self.position.accounts
    }

    /// Returns how many accounts were dropped because their ID came before.
    pub fn duplicates_dropped(&self) -> usize {
        self.position.duplicates_dropped
    }
}

fn id_hash(id: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    id.hash(&mut hasher);
    hasher.finish()
}
