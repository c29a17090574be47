//! The order in which the demo server returns matching accounts.
//!
//! Without `sort_by` the order is the generation order: position `p` is
//! account `p`, drawn and filtered when a request reaches it, so paging costs
//! no memory. With `sort_by` the order is a sorted index, a `Vec<u32>` of the
//! matching accounts' indices built once per distinct filters and sort order.
//! [`DataSet`] keeps the last [`CACHED_ORDERS`] of them, so paging through a
//! sorted result does not sort again for each page.
//!
//! Sorting compares each key as one `u64`: text by its rank among the distinct
//! lowercased values, times in nanoseconds, the account number as it is, and
//! a missing value as `u64::MAX`, after everything in either direction. Ties
//! keep the generation order.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use super::query::{Selection, SortField};
use super::record::AccountRecord;
use crate::devrev::request::SortDirection;

/// Number of sorted orders kept. Each takes 4 bytes per matching account, so
/// at most 16 MB for a million accounts.
pub(super) const CACHED_ORDERS: usize = 4;

/// The generated accounts a server serves, and its cache of sorted orders.
#[derive(Debug)]
pub(super) struct DataSet {
    pub seed: u64,
    /// Number of accounts. At most `u32::MAX`, so that a sorted index fits in `u32`s.
    pub accounts: usize,
    sorted: Mutex<VecDeque<CachedOrder>>,
    /// Number of sorted orders built so far, for tests.
    builds: AtomicUsize,
}

/// A sorted order in the cache, keyed by [`Selection::canonical_text`]. The
/// first request for it builds it, and concurrent requests wait for that.
#[derive(Debug)]
struct CachedOrder {
    key: String,
    index: Arc<OnceLock<Vec<u32>>>,
}

/// The sequence of accounts a request walks through.
#[derive(Debug, Clone)]
pub(super) enum Order {
    /// Every account in generation order. Positions that fail the filters are
    /// skipped while walking.
    Generation { accounts: usize },
    /// Indices of the matching accounts in sort order.
    Sorted(Arc<OnceLock<Vec<u32>>>),
}

impl DataSet {
    pub(super) fn new(seed: u64, accounts: usize) -> DataSet {
        DataSet {
            seed,
            accounts,
            sorted: Mutex::new(VecDeque::with_capacity(CACHED_ORDERS + 1)),
            builds: AtomicUsize::new(0),
        }
    }

    /// Returns the order of `selection`: the generation order without sort
    /// keys, otherwise the cached sorted index, built first if needed. Building
    /// draws every account, so call this off the async worker threads.
    pub(super) fn order(&self, selection: &Selection) -> Order {
        if selection.sort_keys().is_empty() {
            return Order::Generation {
                accounts: self.accounts,
            };
        }

        let slot = self.cache_slot(selection.canonical_text());
        slot.get_or_init(|| {
            self.builds.fetch_add(1, Ordering::Relaxed);
            build_sorted_index(self.seed, self.accounts, selection)
        });
        Order::Sorted(slot)
    }

    /// Number of sorted orders built since the server started.
    #[cfg(test)]
    pub(super) fn sorted_builds(&self) -> usize {
        self.builds.load(Ordering::Relaxed)
    }

    /// Returns the cache entry for `key`, creating an empty one and evicting
    /// the least recently used entry when needed. An evicted order stays alive
    /// for the requests still using it.
    fn cache_slot(&self, key: String) -> Arc<OnceLock<Vec<u32>>> {
        let mut cache = lock(&self.sorted);
        if let Some(position) = cache.iter().position(|entry| entry.key == key) {
            let entry = cache.remove(position).expect("the position was just found");
            let index = entry.index.clone();
            cache.push_back(entry);
            return index;
        }

        let index = Arc::new(OnceLock::new());
        cache.push_back(CachedOrder {
            key,
            index: index.clone(),
        });
        if cache.len() > CACHED_ORDERS {
            cache.pop_front();
        }
        index
    }
}

impl Order {
    /// Number of positions, matching or not.
    pub(super) fn len(&self) -> usize {
        match self {
            Order::Generation { accounts } => *accounts,
            Order::Sorted(index) => sorted(index).len(),
        }
    }

    /// Walks the matches at positions `start..`, returning each with its position.
    pub(super) fn forward<'a>(
        &'a self,
        data: &'a DataSet,
        selection: &'a Selection,
        start: usize,
    ) -> impl Iterator<Item = (usize, AccountRecord)> + 'a {
        (start..self.len()).filter_map(move |position| self.at(data, selection, position))
    }

    /// Walks the matches at positions before `end`, nearest first.
    pub(super) fn backward<'a>(
        &'a self,
        data: &'a DataSet,
        selection: &'a Selection,
        end: usize,
    ) -> impl Iterator<Item = (usize, AccountRecord)> + 'a {
        (0..end.min(self.len()))
            .rev()
            .filter_map(move |position| self.at(data, selection, position))
    }

    fn at(
        &self,
        data: &DataSet,
        selection: &Selection,
        position: usize,
    ) -> Option<(usize, AccountRecord)> {
        let record = match self {
            Order::Generation { .. } => selection.evaluate(data.seed, position)?,
            // The index contains only matching accounts.
            Order::Sorted(index) => {
                AccountRecord::draw(data.seed, sorted(index)[position] as usize)
            }
        };
        Some((position, record))
    }
}

fn sorted(index: &OnceLock<Vec<u32>>) -> &[u32] {
    index
        .get()
        .expect("DataSet::order builds a sorted index before returning it")
}

/// Draws every account, keeps the matches and sorts their indices by the
/// selection's sort keys, then by generation order.
fn build_sorted_index(seed: u64, accounts: usize, selection: &Selection) -> Vec<u32> {
    let keys = selection.sort_keys();
    let width = keys.len();
    let mut matches: Vec<u32> = Vec::new();
    let mut values: Vec<u64> = Vec::new();
    let mut texts: Vec<TextRanks> = keys.iter().map(|_| TextRanks::default()).collect();

    for index in 0..accounts {
        let Some(record) = selection.evaluate(seed, index) else {
            continue;
        };
        matches.push(
            u32::try_from(index).expect("DemoServer::start rejects more than u32::MAX accounts"),
        );
        for (key, ranks) in keys.iter().zip(&mut texts) {
            values.push(raw_value(key.field, &record, ranks));
        }
    }

    // Turn text IDs into ranks and apply each key's direction, so that the
    // plain comparison of the value rows gives the requested order.
    for (column, key) in keys.iter().enumerate() {
        let ranks = texts[column].ranks();
        for value in values.iter_mut().skip(column).step_by(width) {
            if *value == MISSING {
                continue;
            }
            let plain = if is_text(key.field) {
                u64::from(ranks[*value as usize])
            } else {
                *value
            };
            *value = match key.direction {
                SortDirection::Ascending => plain,
                SortDirection::Descending => MISSING - 1 - plain,
            };
        }
    }

    let row = |position: u32| {
        let start = position as usize * width;
        &values[start..start + width]
    };
    let mut order: Vec<u32> = (0..matches.len() as u32).collect();
    order.sort_unstable_by(|&left, &right| row(left).cmp(row(right)).then(left.cmp(&right)));
    for position in &mut order {
        *position = matches[*position as usize];
    }
    order
}

/// Sort value of an account without the key: after every present value.
const MISSING: u64 = u64::MAX;

fn is_text(field: SortField) -> bool {
    matches!(
        field,
        SortField::DisplayName | SortField::Tier | SortField::Subtype
    )
}

/// Returns the value of one sort key before ranking and direction: a text ID for
/// text fields, nanoseconds since 1677 for times, the account number for
/// `id`. Every present value is below [`MISSING`].
fn raw_value(field: SortField, record: &AccountRecord, texts: &mut TextRanks) -> u64 {
    match field {
        SortField::DisplayName => texts.id(record.name.display().to_lowercase()),
        SortField::Tier => record
            .tier()
            .map_or(MISSING, |tier| texts.id(tier.to_lowercase())),
        SortField::Subtype => record
            .subtype()
            .map_or(MISSING, |subtype| texts.id(subtype.to_lowercase())),
        SortField::CreatedDate => time_value(record.created_date),
        SortField::ModifiedDate => time_value(record.modified_date),
        SortField::Number => record.index as u64,
    }
}

/// Maps a time to a `u64` in the same order. Nanoseconds from `i64::MIN`
/// cover the years 1677 to 2262, which hold every generated date.
fn time_value(date: chrono::DateTime<chrono::Utc>) -> u64 {
    let nanos = date.timestamp_nanos_opt().unwrap_or(i64::MAX);
    ((nanos as u64) ^ (1 << 63)).min(MISSING - 1)
}

/// Distinct texts of one sort key, numbered as they are first seen.
#[derive(Default)]
struct TextRanks {
    ids: HashMap<String, u32>,
}

impl TextRanks {
    fn id(&mut self, text: String) -> u64 {
        let next = self.ids.len() as u32;
        u64::from(*self.ids.entry(text).or_insert(next))
    }

    /// Returns, for each text ID, the text's rank in byte order, which is the
    /// order `String` compares in.
    fn ranks(&self) -> Vec<u32> {
        let mut texts: Vec<(&String, u32)> =
            self.ids.iter().map(|(text, &id)| (text, id)).collect();
        texts.sort_unstable();
        let mut ranks = vec![0; texts.len()];
        for (rank, (_, id)) in texts.into_iter().enumerate() {
            ranks[id as usize] = rank as u32;
        }
        ranks
    }
}

/// Locks a mutex, recovering the data if a request panicked while holding it.
/// The cache stays consistent because every update is a single push, remove
/// or pop.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo_server::generate_account;
    use crate::devrev::models::Account;
    use crate::devrev::request::AccountsExportRequest;
    use serde_json::{json, Value};
    use std::cmp::Ordering as CmpOrdering;

    fn selection(filters: Value) -> Selection {
        let request = AccountsExportRequest::parse_value(filters).unwrap();
        Selection::new(request.filters).unwrap()
    }

    fn ordered_indices(data: &DataSet, filters: Value) -> Vec<usize> {
        let selection = selection(filters);
        let order = data.order(&selection);
        order
            .forward(data, &selection, 0)
            .map(|(_, record)| record.index)
            .collect()
    }

    #[test]
    fn sorted_order_matches_full_sort() {
        let data = DataSet::new(42, 300);
        let mut all: Vec<(usize, Account)> = (0..300)
            .map(|index| (index, generate_account(42, index)))
            .collect();
        all.sort_by(|(_, left), (_, right)| {
            let tier = |account: &Account| account.tier.as_deref().map(str::to_lowercase);
            match (tier(left), tier(right)) {
                (Some(_), None) => CmpOrdering::Less,
                (None, Some(_)) => CmpOrdering::Greater,
                (l, r) => r.cmp(&l),
            }
            .then(left.created_date.cmp(&right.created_date))
        });

        let got = ordered_indices(&data, json!({"sort_by": ["tier:desc", "created_date:asc"]}));

        let expected: Vec<usize> = all.iter().map(|(index, _)| *index).collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn missing_values_sort_last_both_ways() {
        let data = DataSet::new(42, 500);

        for direction in ["asc", "desc"] {
            let got = ordered_indices(&data, json!({ "sort_by": [format!("tier:{direction}")] }));
            let tiers: Vec<Option<String>> = got
                .iter()
                .map(|&index| generate_account(42, index).tier)
                .collect();
            let first_missing = tiers.iter().position(Option::is_none).unwrap();

            assert!(tiers[0].is_some(), "{direction}");
            assert!(
                tiers[first_missing..].iter().all(Option::is_none),
                "{direction}"
            );
        }
    }

    #[test]
    fn ties_keep_generation_order() {
        let data = DataSet::new(42, 400);

        let got = ordered_indices(&data, json!({"sort_by": ["subtype:asc"]}));

        for pair in got.windows(2) {
            let left = generate_account(42, pair[0]).subtype;
            let right = generate_account(42, pair[1]).subtype;
            if left == right {
                assert!(pair[0] < pair[1], "{pair:?}");
            }
        }
    }

    #[test]
    fn id_sorts_by_number() {
        let data = DataSet::new(42, 20);

        let got = ordered_indices(&data, json!({"sort_by": ["display_id:desc"]}));

        assert_eq!(got[..3], [19, 18, 17]);
    }

    #[test]
    fn display_name_sorts_without_case() {
        let data = DataSet::new(42, 600);

        let got = ordered_indices(&data, json!({"sort_by": ["display_name:asc"]}));

        let names: Vec<String> = got
            .iter()
            .map(|&index| {
                generate_account(42, index)
                    .display_name
                    .unwrap()
                    .to_lowercase()
            })
            .collect();
        assert!(names.windows(2).all(|pair| pair[0] <= pair[1]));
    }

    #[test]
    fn sorted_index_holds_only_matches() {
        let data = DataSet::new(42, 500);

        let got = ordered_indices(
            &data,
            json!({"tier": ["SMB"], "sort_by": ["modified_date:desc"]}),
        );

        let expected = (0..500)
            .filter(|&index| generate_account(42, index).tier.as_deref() == Some("SMB"))
            .count();
        assert_eq!(got.len(), expected);
        assert!(got
            .iter()
            .all(|&index| generate_account(42, index).tier.as_deref() == Some("SMB")));
    }

    #[test]
    fn cache_builds_each_order_once() {
        let data = DataSet::new(42, 200);
        let by_tier = selection(json!({"sort_by": ["tier:asc"]}));

        data.order(&by_tier);
        data.order(&by_tier);
        data.order(&selection(json!({"sort_by": ["tier"]})));

        assert_eq!(data.sorted_builds(), 1);
    }

    #[test]
    fn cache_keeps_only_recent_orders() {
        let data = DataSet::new(42, 50);
        let first = selection(json!({"sort_by": ["created_date:asc"]}));

        data.order(&first);
        for days in 0..CACHED_ORDERS {
            let after = format!("2019-01-{:02}T00:00:00Z", days + 1);
            data.order(&selection(json!({
                "created_date": {"after": after},
                "sort_by": ["created_date:asc"]
            })));
        }
        data.order(&first);

        assert_eq!(lock(&data.sorted).len(), CACHED_ORDERS);
        assert_eq!(data.sorted_builds(), CACHED_ORDERS + 2);
    }

    #[test]
    fn generation_order_builds_nothing() {
        let data = DataSet::new(42, 100);

        let got = ordered_indices(&data, json!({"tier": ["SMB"]}));

        assert!(!got.is_empty());
        assert_eq!(data.sorted_builds(), 0);
        assert!(lock(&data.sorted).is_empty());
    }
}
