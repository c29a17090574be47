//! Generated sample accounts for the demo server.
//!
//! Account number `index` is computed from the seed and the index alone, with a
//! small self-contained PRNG (splitmix64), so the server can serve any number of
//! accounts without keeping them in memory. Only the small pools of users, tags
//! and stages are fixed tables, the same for every seed, so tests and the UI can
//! refer to their IDs. The random draws of one account live in
//! [`super::record`], which turns them into text.
//!
//! The data aims to look like a real organization's accounts. It includes the
//! awkward parts an export must survive: accented and non-Latin names, quotes
//! and line breaks in text, and external references with leading zeros. One
//! note starts with `=`, and custom fields are sometimes missing or `null`.

use std::sync::OnceLock;

use serde::Serialize;

use super::record::AccountRecord;
use crate::devrev::models::{Account, TagSummary, UserSummary};

/// Prefix of every core object ID in the demo organization.
pub(super) const CORE_PREFIX: &str = "don:core:dvrv-us-1:devo/demo";

/// Prefix of every Dev user ID in the demo organization.
const IDENTITY_PREFIX: &str = "don:identity:dvrv-us-1:devo/demo";

/// Number of Dev users in [`demo_users`].
const USER_COUNT: usize = 40;

/// A tag of the demo organization and the values an account may give it.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoTag {
    pub tag: TagSummary,
    /// Values the tag takes on accounts. Empty for a tag used without a value.
    pub values: Vec<String>,
}

/// An account stage of the demo organization, such as `Active` or `Churned`.
///
/// The `Account` type has no stage field, so the server adds this to each
/// account's JSON as an extra `stage` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DemoStage {
    pub id: String,
    pub name: String,
}

/// Tiers in the order of their share of accounts, with the share in percent.
/// The missing 5 percent of accounts have no tier.
pub(super) const TIERS: &[(&str, u64)] = &[
    ("SMB", 35),
    ("Mid-market", 35),
    ("Enterprise", 20),
    ("Strategic", 5),
];

/// Subtypes with their share in percent and their custom type fragment number.
/// The missing 15 percent of accounts have no subtype.
pub(super) const SUBTYPES: &[(&str, u64, u32)] =
    &[("Customer", 60, 1), ("Partner", 15, 2), ("Reseller", 10, 3)];

/// Stage names with their relative weights.
const STAGES: &[(&str, u64)] = &[
    ("Prospect", 10),
    ("Onboarding", 10),
    ("Active", 40),
    ("Renewal", 15),
    ("At risk", 15),
    ("Churned", 10),
];

/// Tag names with the values each takes (empty when the tag has no value).
const TAGS: &[(&str, &[&str])] = &[
    ("priority", &["high", "medium", "low"]),
    ("health", &["green", "yellow", "red"]),
    ("renewal-2026", &[]),
    ("churn-risk", &[]),
    ("beta-program", &[]),
    ("partner", &[]),
    ("reference-customer", &[]),
    ("needs-follow-up", &[]),
    ("upsell-opportunity", &[]),
    ("security-review", &["pending", "passed", "failed"]),
    ("onboarding", &[]),
    ("support-plan", &["basic", "premium"]),
];

/// First names as displayed and as written in a handle or email address.
const FIRST_NAMES: &[(&str, &str)] = &[
    ("Ana", "ana"),
    ("Björn", "bjorn"),
    ("Chloé", "chloe"),
    ("Daniel", "daniel"),
    ("Émilie", "emilie"),
    ("Farah", "farah"),
    ("Giulia", "giulia"),
    ("Hiroshi", "hiroshi"),
    ("Ingrid", "ingrid"),
    ("João", "joao"),
    ("Kwame", "kwame"),
    ("Łukasz", "lukasz"),
    ("Maya", "maya"),
    ("Nikolai", "nikolai"),
    ("Olivia", "olivia"),
    ("Priya", "priya"),
    ("Rafael", "rafael"),
    ("Sofia", "sofia"),
    ("Tomás", "tomas"),
    ("Zoë", "zoe"),
];

/// Last names as displayed and as written in a handle or email address.
const LAST_NAMES: &[(&str, &str)] = &[
    ("Andersson", "andersson"),
    ("Bauer", "bauer"),
    ("Chen", "chen"),
    ("Dubois", "dubois"),
    ("Eriksen", "eriksen"),
    ("Fernández", "fernandez"),
    ("García", "garcia"),
    ("Hoffmann", "hoffmann"),
    ("Ivanova", "ivanova"),
    ("Jensen", "jensen"),
    ("Kowalski", "kowalski"),
    ("López", "lopez"),
    ("Müller", "mueller"),
    ("Nakamura", "nakamura"),
    ("O'Brien", "obrien"),
    ("Patel", "patel"),
    ("Rossi", "rossi"),
    ("Schäfer", "schaefer"),
    ("Tanaka", "tanaka"),
    ("van der Berg", "vanderberg"),
];

/// First words of company names, with the ASCII form used in domains.
pub(super) const NAME_PREFIXES: &[(&str, &str)] = &[
    ("Acme", "acme"),
    ("Müller", "mueller"),
    ("Nordwind", "nordwind"),
    ("Blue Harbor", "blueharbor"),
    ("São Paulo", "saopaulo"),
    ("Zürich", "zuerich"),
    ("Kraków", "krakow"),
    ("Ålesund", "alesund"),
    ("Granite", "granite"),
    ("Silverline", "silverline"),
    ("Crédit Rural", "creditrural"),
    ("O'Neill", "oneill"),
    ("Evergreen", "evergreen"),
    ("Polaris", "polaris"),
    ("Redwood", "redwood"),
    ("Sakura", "sakura"),
    ("Atlas", "atlas"),
    ("Bright Path", "brightpath"),
    ("Citrine", "citrine"),
    ("Delta & Sons", "deltasons"),
    ("Fjord", "fjord"),
    ("Helix", "helix"),
    ("Ironbridge", "ironbridge"),
    ("Jaguar Bay", "jaguarbay"),
    ("Lumière", "lumiere"),
    ("Meridian", "meridian"),
    ("Oakridge", "oakridge"),
    ("Quantum Leaf", "quantumleaf"),
    ("Río Verde", "rioverde"),
    ("Tidewater", "tidewater"),
];

/// Middle words of company names, with the ASCII form used in domains.
pub(super) const NAME_CORES: &[(&str, &str)] = &[
    ("Logistik", "logistik"),
    ("Robotics", "robotics"),
    ("Analytics", "analytics"),
    ("Foods", "foods"),
    ("Energia", "energia"),
    ("Systems", "systems"),
    ("Labs", "labs"),
    ("Health", "health"),
    ("Textiles", "textiles"),
    ("Consulting", "consulting"),
    ("Software", "software"),
    ("Capital", "capital"),
    ("Media", "media"),
    ("Pharma", "pharma"),
    ("Motors", "motors"),
    ("Networks", "networks"),
    ("Solar", "solar"),
    ("Maritime", "maritime"),
    ("Biotech", "biotech"),
    ("Outdoor", "outdoor"),
];

/// Legal-form suffixes of company names. The empty entry means no suffix.
pub(super) const NAME_SUFFIXES: &[&str] = &[
    "", "", "GmbH", "Inc.", "Ltd", "S.A.", "AB", "SAS", "LLC", "Group", "& Co. KG", "K.K.",
];

/// Company names in non-Latin scripts, with the ASCII form used in domains.
pub(super) const NON_LATIN_NAMES: &[(&str, &str)] = &[
    ("株式会社さくらテック", "sakuratech"),
    ("Северный Ветер", "severnyveter"),
    ("Αιγαίο Ναυτιλιακή", "aigaioshipping"),
    ("北京云桥科技", "yunqiaotech"),
    ("شركة النخيل", "alnakheel"),
    ("한빛 소프트", "hanbitsoft"),
];

pub(super) const CITIES: &[&str] = &[
    "São Paulo",
    "Zürich",
    "Kraków",
    "Malmö",
    "Montréal",
    "Reykjavík",
    "Tokyo",
    "Nairobi",
    "Austin",
    "Dublin",
    "Bengaluru",
    "Melbourne",
];

pub(super) const INDUSTRIES: &[&str] = &[
    "logistics",
    "manufacturing",
    "retail",
    "healthcare",
    "financial services",
    "software",
    "energy",
    "media",
];

/// Second sentences of descriptions. Some carry quotes and line breaks on purpose.
pub(super) const DESCRIPTION_DETAILS: &[&str] = &[
    "Evaluating the analytics add-on for next quarter.",
    "Uses the platform for field service ticketing.",
    "Calls itself \"the fastest shipper in the north\".",
    "Key contacts:\n- procurement\n- IT operations",
    "Migrated from a legacy help desk in two weeks.",
    "Asked for SSO and audit logs before expanding.",
    "Runs support in English, Deutsch and Português.",
];

pub(super) const REGIONS: &[&str] = &["EMEA", "North America", "LATAM", "APAC"];

/// Free-text notes. One starts with `=` to catch spreadsheet formula injection.
pub(super) const NOTES: &[&str] = &[
    "Prefers email over calls.",
    "=SUM(A1:A3) is how their finance team asked for the totals",
    "Renewal call booked; bring the usage report.",
    "Contract signed by the CFO, \"pending legal\" until March.",
    "Line one of the note.\nLine two, after a line break.",
    "Ünïcödé everywhere: café, naïve, 東京.",
];

/// Artifact files as (media type, file name stem, extension).
pub(super) const ARTIFACT_FILES: &[(&str, &str, &str)] = &[
    ("application/pdf", "Master services agreement", "pdf"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Security questionnaire",
        "docx",
    ),
    ("image/png", "Org chart", "png"),
    ("application/pdf", "Order form", "pdf"),
];

/// Seconds from the Unix epoch to 2019-01-01T00:00:00Z, the earliest creation time.
pub(super) const EARLIEST_CREATED: i64 = 1_546_300_800;

/// Seconds from the Unix epoch to 2026-01-01T00:00:00Z, the end of the creation times.
pub(super) const LATEST_CREATED: i64 = 1_767_225_600;

/// Seconds from the Unix epoch to 2026-12-31T23:59:59Z, the latest modification time.
pub(super) const LATEST_MODIFIED: i64 = 1_798_761_599;

/// Independent random streams of one account. The name has its own stream so
/// that another account's `primary_account` can name it without generating it.
#[derive(Clone, Copy)]
pub(super) enum Stream {
    Name = 1,
    Stage = 2,
    Details = 3,
}

/// The splitmix64 generator: tiny, fast and good enough for sample data.
pub(super) struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Starts the stream `stream` of account `index` under `seed`.
    pub(super) fn for_account(seed: u64, index: usize, stream: Stream) -> Self {
        let seeded = SplitMix64 { state: seed }.next_u64();
        let indexed = SplitMix64 {
            state: seeded ^ index as u64,
        }
        .next_u64();
        SplitMix64 {
            state: indexed ^ stream as u64,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a number in `0..bound`. `bound` must not be 0.
    pub(super) fn below(&mut self, bound: u64) -> u64 {
        // Multiply-high maps the 64 random bits onto the range with a bias of at
        // most bound / 2^64, which is invisible for sample data.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Returns a number in `low..=high`.
    pub(super) fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low) as u64 + 1;
        low + self.below(span) as i64
    }

    /// Returns true with the given probability in percent.
    pub(super) fn percent(&mut self, chance: u64) -> bool {
        self.below(100) < chance
    }

    /// Returns a position in a table of `len` entries. `len` must not be 0.
    pub(super) fn pick_position(&mut self, len: usize) -> usize {
        self.below(len as u64) as usize
    }

    /// Picks an index into `weights`, each with probability `weight / total`.
    /// Returns `None` for the share of `total` that the weights leave over.
    pub(super) fn weighted(
        &mut self,
        weights: impl Iterator<Item = u64>,
        total: u64,
    ) -> Option<usize> {
        let mut roll = self.below(total);
        for (position, weight) in weights.enumerate() {
            if roll < weight {
                return Some(position);
            }
            roll -= weight;
        }
        None
    }
}

/// Returns the 40 Dev users that own, create and modify the demo accounts.
///
/// User `n` (from 1) has the ID `don:identity:dvrv-us-1:devo/demo:devu/<n>`.
pub fn demo_users() -> Vec<UserSummary> {
    users().to_vec()
}

/// Returns the 12 tags that demo accounts carry, with the values each takes.
pub fn demo_tags() -> Vec<DemoTag> {
    tags().to_vec()
}

/// Returns the account stages, from `Prospect` to `Churned`.
pub fn demo_stages() -> Vec<DemoStage> {
    stages().to_vec()
}

/// Returns the stage of account `index` under `seed`.
pub fn account_stage(seed: u64, index: usize) -> DemoStage {
    stage_of(seed, index).clone()
}

/// Generates account `index` (counting from 0) of the data set with `seed`.
///
/// The account's number, in its ID and display ID, is `index + 1`. The same
/// seed and index always give the same account.
pub fn generate_account(seed: u64, index: usize) -> Account {
    AccountRecord::draw(seed, index).to_account()
}

pub(super) fn users() -> &'static [UserSummary] {
    static USERS: OnceLock<Vec<UserSummary>> = OnceLock::new();
    USERS.get_or_init(|| (1..=USER_COUNT).map(build_user).collect())
}

pub(super) fn tags() -> &'static [DemoTag] {
    static TAG_POOL: OnceLock<Vec<DemoTag>> = OnceLock::new();
    TAG_POOL.get_or_init(|| {
        TAGS.iter()
            .enumerate()
            .map(|(position, (name, values))| {
                let number = position + 1;
                DemoTag {
                    tag: TagSummary {
                        id: format!("{CORE_PREFIX}:tag/{number}"),
                        display_id: Some(format!("TAG-{number}")),
                        name: (*name).to_owned(),
                    },
                    values: values.iter().map(|value| (*value).to_owned()).collect(),
                }
            })
            .collect()
    })
}

pub(super) fn stages() -> &'static [DemoStage] {
    static STAGE_POOL: OnceLock<Vec<DemoStage>> = OnceLock::new();
    STAGE_POOL.get_or_init(|| {
        STAGES
            .iter()
            .enumerate()
            .map(|(position, (name, _))| DemoStage {
                id: format!("{CORE_PREFIX}:custom_stage/{}", position + 1),
                name: (*name).to_owned(),
            })
            .collect()
    })
}

/// Looks up the stage of an account without drawing the rest of it.
pub(super) fn stage_of(seed: u64, index: usize) -> &'static DemoStage {
    &stages()[stage_position(seed, index)]
}

/// Returns the position in the stage pool of account `index`'s stage.
pub(super) fn stage_position(seed: u64, index: usize) -> usize {
    let mut rng = SplitMix64::for_account(seed, index, Stream::Stage);
    let total = STAGES.iter().map(|entry| entry.1).sum();
    rng.weighted(STAGES.iter().map(|entry| entry.1), total)
        .unwrap_or(0)
}

/// Builds Dev user `number` (from 1). The pairing of first and last names
/// gives 40 distinct full names from the two lists of 20.
fn build_user(number: usize) -> UserSummary {
    let position = number - 1;
    let (first, first_ascii) = FIRST_NAMES[position % FIRST_NAMES.len()];
    let last_position = (position * 7 + position / FIRST_NAMES.len()) % LAST_NAMES.len();
    let (last, last_ascii) = LAST_NAMES[last_position];
    let handle = format!("{first_ascii}.{last_ascii}");

    UserSummary {
        id: format!("{IDENTITY_PREFIX}:devu/{number}"),
        user_type: Some("dev_user".into()),
        display_id: Some(format!("DEVU-{number}")),
        display_name: Some(handle.clone()),
        full_name: Some(format!("{first} {last}")),
        email: Some(format!("{handle}@demo-org.example")),
        state: Some("active".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use serde_json::Value;
    use std::collections::HashSet;

    #[test]
    fn same_seed_and_index_give_same_account() {
        for index in [0, 1, 17, 999, 1_000_000] {
            assert_eq!(generate_account(42, index), generate_account(42, index));
            assert_eq!(account_stage(42, index), account_stage(42, index));
        }
    }

    #[test]
    fn different_seeds_give_different_accounts() {
        let differing = (0..50)
            .filter(|&index| generate_account(1, index) != generate_account(2, index))
            .count();

        assert_eq!(differing, 50);
    }

    #[test]
    fn ids_follow_the_index() {
        let account = generate_account(42, 16);

        assert_eq!(account.id, "don:core:dvrv-us-1:devo/demo:account/17");
        assert_eq!(account.display_id.as_deref(), Some("ACC-17"));
    }

    #[test]
    fn modified_date_is_not_before_created_date() {
        for index in 0..2_000 {
            let account = generate_account(7, index);
            let created = account.created_date.unwrap();
            let modified = account.modified_date.unwrap();

            assert!(modified >= created, "account {index}");
            assert!(created.year() >= 2019, "account {index}");
            assert!(modified.year() <= 2026, "account {index}");
        }
    }

    #[test]
    fn list_fields_stay_in_their_ranges() {
        for index in 0..2_000 {
            let account = generate_account(42, index);

            assert!((1..=3).contains(&account.domains.len()), "account {index}");
            assert!((1..=3).contains(&account.websites.len()), "account {index}");
            assert!((1..=2).contains(&account.owned_by.len()), "account {index}");
            assert!(account.external_refs.len() <= 2, "account {index}");
            assert!(account.artifacts.len() <= 2, "account {index}");
        }
    }

    #[test]
    fn users_are_forty_distinct_dev_users() {
        let users = demo_users();
        let names: HashSet<_> = users.iter().map(|user| user.full_name.clone()).collect();

        assert_eq!(users.len(), 40);
        assert_eq!(names.len(), 40);
        assert_eq!(users[16].id, "don:identity:dvrv-us-1:devo/demo:devu/17");
        assert!(users
            .iter()
            .all(|user| user.user_type.as_deref() == Some("dev_user")));
        assert!(users
            .iter()
            .all(|user| user.email.as_deref().unwrap().is_ascii()));
    }

    #[test]
    fn account_users_come_from_the_pool() {
        let ids: HashSet<String> = demo_users().into_iter().map(|user| user.id).collect();

        for index in 0..500 {
            let account = generate_account(3, index);

            assert!(ids.contains(&account.created_by.unwrap().id));
            assert!(ids.contains(&account.modified_by.unwrap().id));
            assert!(account.owned_by.iter().all(|owner| ids.contains(&owner.id)));
        }
    }

    #[test]
    fn tags_take_only_their_own_values() {
        let pool = demo_tags();

        for index in 0..1_000 {
            for tag in generate_account(42, index).tags {
                let demo_tag = pool.iter().find(|entry| entry.tag == tag.tag).unwrap();
                match &tag.value {
                    Some(value) => assert!(demo_tag.values.contains(value)),
                    None => assert!(demo_tag.values.is_empty()),
                }
            }
        }
    }

    #[test]
    fn data_set_covers_the_awkward_cases() {
        let accounts: Vec<Account> = (0..1_000)
            .map(|index| generate_account(42, index))
            .collect();
        let names: Vec<&str> = accounts
            .iter()
            .filter_map(|account| account.display_name.as_deref())
            .collect();

        assert!(names.iter().any(|name| name.contains('ü')));
        assert!(names
            .iter()
            .any(|name| !name.is_ascii() && !name.chars().any(|c| c.is_ascii_alphabetic())));
        assert!(accounts
            .iter()
            .flat_map(|account| &account.external_refs)
            .any(|reference| reference.starts_with('0')));
        assert!(accounts
            .iter()
            .any(|account| account.primary_account.is_some()));
        assert!(accounts.iter().any(|account| !account.artifacts.is_empty()));
        assert!(accounts.iter().any(|account| account.tier.is_none()));
        assert!(accounts
            .iter()
            .any(|account| account.custom_fields.get("tnt__annual_revenue") == Some(&Value::Null)));
        assert!(accounts
            .iter()
            .any(|account| !account.custom_fields.contains_key("tnt__region")));
    }

    #[test]
    fn stages_are_spread_over_the_pool() {
        let seen: HashSet<String> = (0..1_000)
            .map(|index| account_stage(42, index).id)
            .collect();

        assert_eq!(seen.len(), demo_stages().len());
    }

    #[test]
    fn primary_account_names_an_earlier_account() {
        for index in 0..1_000 {
            let Some(primary) = generate_account(42, index).primary_account else {
                continue;
            };
            let number: usize = primary.display_id.unwrap()[4..].parse().unwrap();
            let parent = generate_account(42, number - 1);

            assert!(number <= index);
            assert_eq!(primary.id, parent.id);
            assert_eq!(primary.display_name, parent.display_name);
        }
    }
}
