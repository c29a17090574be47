//! The `accounts.list` query: one page of matching accounts at a time, with
//! opaque cursors.
//!
//! A cursor marks a boundary between two positions of the [order](super::order):
//! `after` mode returns the first `limit` matches at or after it, `before`
//! mode the last `limit` matches before it, both in the order's direction.
//! Without a cursor, `after` starts at the beginning and `before` at the end.
//!
//! The server issues a cursor only for a boundary with at least one match on
//! each side. So a page reached with a cursor always has a cursor back the way
//! it came, and only the look-ahead in the walking direction (one match past
//! the page) decides whether the other cursor is present. For the generation
//! order the next cursor points at that look-ahead match, so the next page
//! does not scan the non-matching accounts in between again.
//!
//! A cursor is `c1-` and 24 lowercase hex digits: the position, masked, and a
//! check value computed from the position and a fingerprint of the seed, the
//! number of accounts, the filters and the sort order. A cursor from another
//! query or another data set fails the check and is rejected.

use std::ops::RangeInclusive;

use super::order::DataSet;
use super::query::{QueryError, Selection};
use super::record::AccountRecord;
use crate::devrev::request::{AccountsListRequest, ListMode};

/// Smallest and largest `limit` that `accounts.list` accepts.
pub(super) const LIMIT_RANGE: RangeInclusive<u32> = 1..=1000;

/// Page size when the request leaves `limit` out.
pub(super) const DEFAULT_LIMIT: u32 = 50;

/// Start of every cursor, with the format version.
const CURSOR_PREFIX: &str = "c1-";

/// Number of hex digits after [`CURSOR_PREFIX`]: 8 for the masked position and
/// 16 for the check value.
const CURSOR_DIGITS: usize = 24;

/// Maximum number of characters of a rejected cursor that an error message
/// repeats.
const SHOWN_CURSOR_CHARS: usize = 40;

/// Reasons to reject an `accounts.list` request. Each message names the field
/// the API would name in its `bad_request` error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum ListError {
    #[error(
        "`limit` is {limit}, outside the allowed range. Send a number from {} to {}.",
        LIMIT_RANGE.start(),
        LIMIT_RANGE.end()
    )]
    LimitOutOfRange { limit: u32 },
    #[error(
        "cursor \"{cursor}\" is invalid; start again without a cursor. A cursor is valid \
         only with the filters and sort_by of the request that returned it, on the same \
         demo server data."
    )]
    InvalidCursor {
        /// The cursor as sent, cut after [`SHOWN_CURSOR_CHARS`] characters.
        cursor: String,
    },
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// A checked `accounts.list` request.
#[derive(Debug, Clone)]
pub(super) struct ListQuery {
    selection: Selection,
    limit: usize,
    mode: ListMode,
    /// The boundary from the cursor, with the cursor as sent.
    cursor: Option<(usize, String)>,
    fingerprint: u64,
}

/// One page of accounts with the cursors around it.
#[derive(Debug, Clone)]
pub(super) struct ListPage {
    pub accounts: Vec<AccountRecord>,
    /// Absent on the last page.
    pub next_cursor: Option<String>,
    /// Absent on the first page.
    pub prev_cursor: Option<String>,
}

impl ListQuery {
    /// Checks `limit`, the sort keys and the cursor's format and check value.
    /// An empty cursor counts as no cursor.
    pub(super) fn new(request: AccountsListRequest, data: &DataSet) -> Result<Self, ListError> {
        let limit = request.limit.unwrap_or(DEFAULT_LIMIT);
        if !LIMIT_RANGE.contains(&limit) {
            return Err(ListError::LimitOutOfRange { limit });
        }
        let selection = Selection::new(request.filters)?;
        let fingerprint = fingerprint(data, &selection);

        let cursor = match request.cursor {
            None => None,
            Some(text) if text.is_empty() => None,
            Some(text) => match decode_cursor(fingerprint, &text) {
                Some(position) => Some((position, text)),
                None => return Err(invalid_cursor(&text)),
            },
        };

        Ok(ListQuery {
            selection,
            limit: limit as usize,
            mode: request.mode.unwrap_or(ListMode::After),
            cursor,
            fingerprint,
        })
    }

    /// Returns the page. Builds the sorted order first when the request sorts
    /// and the order is not cached, so call this off the async worker threads.
    pub(super) fn run(&self, data: &DataSet) -> Result<ListPage, ListError> {
        let order = data.order(&self.selection);
        let cursor = match &self.cursor {
            // Issued cursors lie strictly inside the order, so this only
            // rejects a cursor whose check value collided.
            Some((position, text)) if *position == 0 || *position >= order.len() => {
                return Err(invalid_cursor(text));
            }
            Some((position, _)) => Some(*position),
            None => None,
        };
        let encode = |position: usize| encode_cursor(self.fingerprint, position);

        let page = match self.mode {
            ListMode::After => {
                let mut walk = order.forward(data, &self.selection, cursor.unwrap_or(0));
                let accounts: Vec<AccountRecord> = walk
                    .by_ref()
                    .take(self.limit)
                    .map(|(_, record)| record)
                    .collect();
                let next = walk.next().map(|(position, _)| position);
                ListPage {
                    accounts,
                    next_cursor: next.map(encode),
                    prev_cursor: cursor.map(encode),
                }
            }
            ListMode::Before => {
                let mut walk = order.backward(data, &self.selection, cursor.unwrap_or(order.len()));
                let mut accounts: Vec<AccountRecord> = walk
                    .by_ref()
                    .take(self.limit)
                    .map(|(_, record)| record)
                    .collect();
                accounts.reverse();
                // The boundary just after the look-ahead match, so the page
                // before does not scan the gap up to this page again.
                let previous = walk.next().map(|(position, _)| position + 1);
                ListPage {
                    accounts,
                    next_cursor: cursor.map(encode),
                    prev_cursor: previous.map(encode),
                }
            }
        };
        Ok(page)
    }
}

fn invalid_cursor(text: &str) -> ListError {
    let mut cursor: String = text.chars().take(SHOWN_CURSOR_CHARS).collect();
    if cursor.len() < text.len() {
        cursor.push('…');
    }
    ListError::InvalidCursor { cursor }
}

/// Hashes what a cursor position depends on: the data set and the selection.
fn fingerprint(data: &DataSet, selection: &Selection) -> u64 {
    // 64-bit FNV-1a rather than std's hasher, whose algorithm may change
    // between Rust releases: a cursor stays valid after restarting the same
    // server version with the same seed and number of accounts.
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;

    let text = format!(
        "{} {} {}",
        data.seed,
        data.accounts,
        selection.canonical_text()
    );
    let hash = text.bytes().fold(OFFSET_BASIS, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(PRIME)
    });
    mix(hash)
}

fn encode_cursor(fingerprint: u64, position: usize) -> String {
    let position =
        u32::try_from(position).expect("DemoServer::start rejects more than u32::MAX accounts");
    let masked = position ^ mask(fingerprint);
    let check = check_value(fingerprint, position);
    format!("{CURSOR_PREFIX}{masked:08x}{check:016x}")
}

/// Returns the position in a cursor, or `None` when the text is not a cursor
/// issued for this fingerprint.
fn decode_cursor(fingerprint: u64, text: &str) -> Option<usize> {
    let digits = text.strip_prefix(CURSOR_PREFIX)?;
    let well_formed = digits.len() == CURSOR_DIGITS
        && digits
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte));
    if !well_formed {
        return None;
    }

    let masked = u32::from_str_radix(&digits[..8], 16).ok()?;
    let check = u64::from_str_radix(&digits[8..], 16).ok()?;
    let position = masked ^ mask(fingerprint);
    (check == check_value(fingerprint, position)).then_some(position as usize)
}

/// Hides the position, so that clients do not read cursors as numbers.
fn mask(fingerprint: u64) -> u32 {
    (fingerprint >> 32) as u32
}

fn check_value(fingerprint: u64, position: u32) -> u64 {
    mix(fingerprint ^ u64::from(position).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// Spreads every input bit over the whole output (the splitmix64 finalizer).
fn mix(value: u64) -> u64 {
    let mut z = value;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_server::generate_account;
    use serde_json::{json, Value};
    use std::collections::HashSet;

    fn request(body: Value) -> AccountsListRequest {
        AccountsListRequest::parse_value(body).unwrap()
    }

    fn page(data: &DataSet, body: Value) -> Result<ListPage, ListError> {
        ListQuery::new(request(body), data)?.run(data)
    }

    fn indices(page: &ListPage) -> Vec<usize> {
        page.accounts.iter().map(|record| record.index).collect()
    }

    /// Pages forward from the start and returns every index in order, checking
    /// the cursors on the way.
    fn walk_forward(data: &DataSet, mut body: Value) -> Vec<usize> {
        let mut seen = Vec::new();
        let mut first = true;
        loop {
            let page = page(data, body.clone()).unwrap();
            assert_eq!(
                page.prev_cursor.is_none(),
                first,
                "prev_cursor after {seen:?}"
            );
            seen.extend(indices(&page));
            first = false;
            match page.next_cursor {
                Some(cursor) => body["cursor"] = json!(cursor),
                None => return seen,
            }
        }
    }

    #[test]
    fn limit_defaults_to_fifty() {
        let data = DataSet::new(42, 120);

        let first = page(&data, json!({})).unwrap();

        assert_eq!(indices(&first), (0..50).collect::<Vec<_>>());
        assert!(first.prev_cursor.is_none());
        assert!(first.next_cursor.is_some());
    }

    #[test]
    fn limit_out_of_range_is_rejected() {
        let data = DataSet::new(42, 10);

        for limit in [0, 1001] {
            let error = page(&data, json!({ "limit": limit })).unwrap_err();

            assert_eq!(error, ListError::LimitOutOfRange { limit });
            assert!(error.to_string().contains("`limit`"), "{error}");
        }
    }

    #[test]
    fn pages_cover_generation_order_once() {
        let data = DataSet::new(42, 1_003);

        for limit in [1, 7, 50, 1000] {
            let seen = walk_forward(&data, json!({ "limit": limit }));

            assert_eq!(seen, (0..1_003).collect::<Vec<_>>(), "limit {limit}");
        }
    }

    #[test]
    fn filtered_pages_skip_non_matches() {
        let data = DataSet::new(42, 2_000);
        let expected: Vec<usize> = (0..2_000)
            .filter(|&index| generate_account(42, index).tier.as_deref() == Some("Enterprise"))
            .collect();

        let seen = walk_forward(&data, json!({"tier": ["Enterprise"], "limit": 33}));

        assert_eq!(seen, expected);
    }

    #[test]
    fn before_mode_walks_back_from_end() {
        let data = DataSet::new(42, 250);
        let mut body = json!({"mode": "before", "limit": 40, "sort_by": ["created_date:desc"]});
        let forward = walk_forward(
            &data,
            json!({"sort_by": ["created_date:desc"], "limit": 64}),
        );
        let mut pages: Vec<Vec<usize>> = Vec::new();

        loop {
            let page = page(&data, body.clone()).unwrap();
            assert_eq!(page.next_cursor.is_none(), pages.is_empty());
            pages.push(indices(&page));
            match page.prev_cursor {
                Some(cursor) => body["cursor"] = json!(cursor),
                None => break,
            }
        }

        let backward: Vec<usize> = pages.into_iter().rev().flatten().collect();
        assert_eq!(backward, forward);
        assert_eq!(backward.len(), 250);
    }

    #[test]
    fn cursor_turns_around() {
        let data = DataSet::new(42, 300);
        let first = page(&data, json!({"limit": 100, "tier": ["SMB"]})).unwrap();
        let second = page(
            &data,
            json!({"limit": 100, "tier": ["SMB"], "cursor": first.next_cursor}),
        )
        .unwrap();

        let back = page(
            &data,
            json!({"limit": 100, "tier": ["SMB"], "mode": "before", "cursor": second.prev_cursor}),
        )
        .unwrap();

        assert_eq!(indices(&back), indices(&first));
        assert!(back.prev_cursor.is_none());
        assert!(back.next_cursor.is_some());
    }

    #[test]
    fn cursor_from_other_query_is_rejected() {
        let data = DataSet::new(42, 300);
        let smb = page(&data, json!({"tier": ["SMB"]})).unwrap();
        let cursor = smb.next_cursor.unwrap();

        for other in [
            json!({"tier": ["Enterprise"], "cursor": cursor}),
            json!({"tier": ["SMB"], "sort_by": ["tier:asc"], "cursor": cursor}),
        ] {
            let error = page(&data, other.clone()).unwrap_err();

            assert!(matches!(error, ListError::InvalidCursor { .. }), "{other}");
        }
        let other_data = DataSet::new(43, 300);
        assert!(page(&other_data, json!({"tier": ["SMB"], "cursor": cursor})).is_err());
    }

    #[test]
    fn garbage_cursor_is_rejected() {
        let data = DataSet::new(42, 100);
        let issued = page(&data, json!({})).unwrap().next_cursor.unwrap();
        let mut flipped = issued.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();

        for cursor in [
            "50".to_owned(),
            "c1-".to_owned(),
            issued.to_uppercase(),
            flipped,
            format!("{issued}0"),
            "x".repeat(500),
        ] {
            let error = page(&data, json!({ "cursor": cursor })).unwrap_err();

            let message = error.to_string();
            assert!(
                message.contains("start again without a cursor"),
                "{message}"
            );
            assert!(message.len() < 400, "{message}");
        }
    }

    #[test]
    fn empty_cursor_starts_at_beginning() {
        let data = DataSet::new(42, 30);

        let got = page(&data, json!({"cursor": "", "limit": 5})).unwrap();

        assert_eq!(indices(&got), [0, 1, 2, 3, 4]);
    }

    #[test]
    fn cursor_is_not_a_number() {
        let data = DataSet::new(42, 30);

        let cursor = page(&data, json!({"limit": 5}))
            .unwrap()
            .next_cursor
            .unwrap();

        assert!(cursor.starts_with(CURSOR_PREFIX), "{cursor}");
        assert!(cursor.parse::<f64>().is_err(), "{cursor}");
        assert_eq!(cursor.len(), CURSOR_PREFIX.len() + CURSOR_DIGITS);
    }

    #[test]
    fn no_match_gives_empty_page_without_cursors() {
        let data = DataSet::new(42, 200);

        for mode in ["after", "before"] {
            let got = page(&data, json!({"mode": mode, "tier": ["none"]})).unwrap();

            assert!(got.accounts.is_empty());
            assert!(got.next_cursor.is_none());
            assert!(got.prev_cursor.is_none());
        }
    }

    #[test]
    fn deep_pages_of_a_million_accounts() {
        let data = DataSet::new(42, 1_000_000);

        let last = page(&data, json!({"mode": "before", "limit": 1000})).unwrap();
        let before_last = page(
            &data,
            json!({"mode": "before", "limit": 1000, "cursor": last.prev_cursor}),
        )
        .unwrap();

        assert_eq!(indices(&last), (999_000..1_000_000).collect::<Vec<_>>());
        assert_eq!(
            indices(&before_last),
            (998_000..999_000).collect::<Vec<_>>()
        );
        assert_eq!(data.sorted_builds(), 0);
    }

    #[test]
    fn sorted_paging_sorts_once() {
        let data = DataSet::new(42, 500);
        let expected: HashSet<usize> = (0..500).collect();

        let seen = walk_forward(&data, json!({"sort_by": ["display_name:asc"], "limit": 60}));

        assert_eq!(seen.len(), 500);
        assert_eq!(seen.iter().copied().collect::<HashSet<_>>(), expected);
        assert_eq!(data.sorted_builds(), 1);
    }
}

#[cfg(test)]
mod throughput {
    use super::*;
    use crate::demo_server::json::list_body;
    use serde_json::json;
    use std::time::Instant;

    /// Prints how many accounts per second the server's own work (draw,
    /// filter, serialize) gives for `limit=500` pages, without HTTP.
    #[test]
    #[ignore = "measurement: run in release mode with --ignored --nocapture"]
    fn list_pages_per_second() {
        let data = DataSet::new(42, 1_000_000);
        for (label, filters) in [
            ("no filter", json!({})),
            ("tier filter", json!({"tier": ["Enterprise"]})),
            (
                "sorted by created_date",
                json!({"sort_by": ["created_date:desc"]}),
            ),
        ] {
            let started = Instant::now();
            let mut body = filters.clone();
            body["limit"] = json!(500);
            let (mut accounts, mut bytes) = (0, 0);
            while accounts < 300_000 {
                let query = ListQuery::new(
                    AccountsListRequest::parse_value(body.clone()).unwrap(),
                    &data,
                )
                .unwrap();
                let page = query.run(&data).unwrap();
                let out = list_body(
                    &page.accounts,
                    page.next_cursor.as_deref(),
                    page.prev_cursor.as_deref(),
                );
                accounts += page.accounts.len();
                bytes += out.len();
                match page.next_cursor {
                    Some(cursor) => body["cursor"] = json!(cursor),
                    None => break,
                }
            }
            let seconds = started.elapsed().as_secs_f64();
            eprintln!(
                "{label}: {accounts} accounts in {seconds:.2} s = {:.0} accounts/s, {:.0} MB/s",
                accounts as f64 / seconds,
                bytes as f64 / seconds / 1e6
            );
        }
    }
}
