//! Generated sample accounts for the demo server.
//!
//! Account number `index` is computed from the seed and the index alone, with a
//! small self-contained PRNG (splitmix64), so the server can serve any number of
//! accounts without keeping them in memory. Only the small pools of users, tags
//! and stages are fixed tables, the same for every seed, so tests and the UI can
//! refer to their IDs.
//!
//! The data aims to look like a real organization's accounts. It includes the
//! awkward parts an export must survive: accented and non-Latin names, quotes
//! and line breaks in text, and external references with leading zeros. One
//! note starts with `=`, and custom fields are sometimes missing or `null`.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::devrev::models::{
    Account, AccountSummary, ArtifactFile, ArtifactSummary, TagSummary, TagWithValue, UserSummary,
};

/// Prefix of every core object ID in the demo organization.
const CORE_PREFIX: &str = "don:core:dvrv-us-1:devo/demo";

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
const TIERS: &[(&str, u64)] = &[
    ("SMB", 35),
    ("Mid-market", 35),
    ("Enterprise", 20),
    ("Strategic", 5),
];

/// Subtypes with their share in percent and their custom type fragment number.
/// The missing 15 percent of accounts have no subtype.
const SUBTYPES: &[(&str, u64, u32)] =
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
const NAME_PREFIXES: &[(&str, &str)] = &[
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
const NAME_CORES: &[(&str, &str)] = &[
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
const NAME_SUFFIXES: &[&str] = &[
    "", "", "GmbH", "Inc.", "Ltd", "S.A.", "AB", "SAS", "LLC", "Group", "& Co. KG", "K.K.",
];

/// Company names in non-Latin scripts, with the ASCII form used in domains.
const NON_LATIN_NAMES: &[(&str, &str)] = &[
    ("株式会社さくらテック", "sakuratech"),
    ("Северный Ветер", "severnyveter"),
    ("Αιγαίο Ναυτιλιακή", "aigaioshipping"),
    ("北京云桥科技", "yunqiaotech"),
    ("شركة النخيل", "alnakheel"),
    ("한빛 소프트", "hanbitsoft"),
];

const CITIES: &[&str] = &[
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

const INDUSTRIES: &[&str] = &[
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
const DESCRIPTION_DETAILS: &[&str] = &[
    "Evaluating the analytics add-on for next quarter.",
    "Uses the platform for field service ticketing.",
    "Calls itself \"the fastest shipper in the north\".",
    "Key contacts:\n- procurement\n- IT operations",
    "Migrated from a legacy help desk in two weeks.",
    "Asked for SSO and audit logs before expanding.",
    "Runs support in English, Deutsch and Português.",
];

const REGIONS: &[&str] = &["EMEA", "North America", "LATAM", "APAC"];

/// Free-text notes. One starts with `=` to catch spreadsheet formula injection.
const NOTES: &[&str] = &[
    "Prefers email over calls.",
    "=SUM(A1:A3) is how their finance team asked for the totals",
    "Renewal call booked; bring the usage report.",
    "Contract signed by the CFO, \"pending legal\" until March.",
    "Line one of the note.\nLine two, after a line break.",
    "Ünïcödé everywhere: café, naïve, 東京.",
];

/// Artifact files as (media type, file name stem, extension).
const ARTIFACT_FILES: &[(&str, &str, &str)] = &[
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
const EARLIEST_CREATED: i64 = 1_546_300_800;

/// Seconds from the Unix epoch to 2026-01-01T00:00:00Z, the end of the creation times.
const LATEST_CREATED: i64 = 1_767_225_600;

/// Seconds from the Unix epoch to 2026-12-31T23:59:59Z, the latest modification time.
const LATEST_MODIFIED: i64 = 1_798_761_599;

/// Independent random streams of one account. The name has its own stream so
/// that another account's `primary_account` can name it without generating it.
#[derive(Clone, Copy)]
enum Stream {
    Name = 1,
    Stage = 2,
    Details = 3,
}

/// The splitmix64 generator: tiny, fast and good enough for sample data.
struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Starts the stream `stream` of account `index` under `seed`.
    fn for_account(seed: u64, index: usize, stream: Stream) -> Self {
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
    fn below(&mut self, bound: u64) -> u64 {
        // Multiply-high maps the 64 random bits onto the range with a bias of at
        // most bound / 2^64, which is invisible for sample data.
        ((u128::from(self.next_u64()) * u128::from(bound)) >> 64) as u64
    }

    /// Returns a number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = (high - low) as u64 + 1;
        low + self.below(span) as i64
    }

    /// Returns true with the given probability in percent.
    fn percent(&mut self, chance: u64) -> bool {
        self.below(100) < chance
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Picks an index into `weights`, each with probability `weight / total`.
    /// Returns `None` for the share of `total` that the weights leave over.
    fn weighted(&mut self, weights: impl Iterator<Item = u64>, total: u64) -> Option<usize> {
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
    let number = index + 1;
    let name = company_name(seed, index);
    let mut rng = SplitMix64::for_account(seed, index, Stream::Details);

    let created = rng.between(EARLIEST_CREATED, LATEST_CREATED - 1);
    let modified = rng.between(created, LATEST_MODIFIED.min(created + 3 * 365 * 86_400));
    let created_date = timestamp(created, rng.below(1000));
    let modified_date = timestamp(modified, rng.below(1000)).max(created_date);

    let subtype = rng.weighted(SUBTYPES.iter().map(|entry| entry.1), 100);
    let tier = rng.weighted(TIERS.iter().map(|entry| entry.1), 100);
    let domains = domains(&mut rng, &name);
    let websites = websites(&mut rng, &domains);

    Account {
        id: format!("{CORE_PREFIX}:account/{number}"),
        display_id: Some(format!("ACC-{number}")),
        description: description(&mut rng, &name.display),
        display_name: Some(name.display.clone()),
        created_by: Some(rng.pick(users()).clone()),
        created_date: Some(created_date),
        modified_by: Some(rng.pick(users()).clone()),
        modified_date: Some(modified_date),
        owned_by: owners(&mut rng),
        domains,
        websites,
        external_refs: external_refs(&mut rng, number),
        tags: account_tags(&mut rng),
        tier: tier.map(|position| TIERS[position].0.to_owned()),
        subtype: subtype.map(|position| SUBTYPES[position].0.to_owned()),
        custom_fields: custom_fields(&mut rng),
        custom_schema_fragments: subtype
            .map(|position| {
                vec![format!(
                    "{CORE_PREFIX}:custom_type_fragment/{}",
                    SUBTYPES[position].2
                )]
            })
            .unwrap_or_default(),
        stock_schema_fragment: Some(format!("{CORE_PREFIX}:stock_schema_fragment/account")),
        primary_account: primary_account(&mut rng, seed, index),
        artifacts: artifacts(&mut rng, number, &name.display),
    }
}

fn users() -> &'static [UserSummary] {
    static USERS: OnceLock<Vec<UserSummary>> = OnceLock::new();
    USERS.get_or_init(|| (1..=USER_COUNT).map(build_user).collect())
}

fn tags() -> &'static [DemoTag] {
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

fn stages() -> &'static [DemoStage] {
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

/// Looks up the stage of an account without generating the rest of it.
pub(super) fn stage_of(seed: u64, index: usize) -> &'static DemoStage {
    let mut rng = SplitMix64::for_account(seed, index, Stream::Stage);
    let total = STAGES.iter().map(|entry| entry.1).sum();
    let position = rng
        .weighted(STAGES.iter().map(|entry| entry.1), total)
        .unwrap_or(0);
    &stages()[position]
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

/// A company name as displayed and in the ASCII form used in domains.
struct CompanyName {
    display: String,
    slug: String,
}

fn company_name(seed: u64, index: usize) -> CompanyName {
    let mut rng = SplitMix64::for_account(seed, index, Stream::Name);
    if rng.percent(4) {
        let (display, slug) = rng.pick(NON_LATIN_NAMES);
        return CompanyName {
            display: (*display).to_owned(),
            slug: (*slug).to_owned(),
        };
    }

    let (prefix, prefix_slug) = rng.pick(NAME_PREFIXES);
    let (core, core_slug) = rng.pick(NAME_CORES);
    let suffix = rng.pick(NAME_SUFFIXES);
    let display = if suffix.is_empty() {
        format!("{prefix} {core}")
    } else {
        format!("{prefix} {core} {suffix}")
    };
    CompanyName {
        display,
        slug: format!("{prefix_slug}-{core_slug}"),
    }
}

/// Builds a timestamp from Unix seconds and milliseconds, which are in range
/// by construction.
fn timestamp(seconds: i64, millis: u64) -> DateTime<Utc> {
    let whole = Utc
        .timestamp_opt(seconds, 0)
        .single()
        .expect("generated timestamps lie between 2019 and 2026");
    whole + Duration::milliseconds(millis as i64)
}

fn description(rng: &mut SplitMix64, name: &str) -> Option<String> {
    if rng.percent(10) {
        return None;
    }
    let industry = rng.pick(INDUSTRIES);
    let city = rng.pick(CITIES);
    let employees = rng.between(12, 48_000);
    let detail = rng.pick(DESCRIPTION_DETAILS);
    Some(format!(
        "{name} is a {industry} company based in {city} with about {employees} employees. {detail}"
    ))
}

/// Builds one to three domains under the reserved `.example` top-level domain, so no
/// generated address belongs to a real company.
fn domains(rng: &mut SplitMix64, name: &CompanyName) -> Vec<String> {
    let slug = &name.slug;
    let candidates = [
        format!("{slug}.example"),
        format!("{slug}-group.example"),
        format!("{slug}-eu.example"),
    ];
    let count = rng.between(1, 3) as usize;
    candidates.into_iter().take(count).collect()
}

/// Builds one website per domain, written as the API's examples write them
/// (`www.` and no scheme), plus sometimes a shop site.
fn websites(rng: &mut SplitMix64, domains: &[String]) -> Vec<String> {
    let mut websites: Vec<String> = domains
        .iter()
        .map(|domain| format!("www.{domain}"))
        .collect();
    if websites.len() < 3 && rng.percent(30) {
        websites.push(format!("shop.{}", domains[0]));
    }
    websites
}

fn owners(rng: &mut SplitMix64) -> Vec<UserSummary> {
    let first = rng.pick(users()).clone();
    if !rng.percent(35) {
        return vec![first];
    }
    let second = rng.pick(users()).clone();
    if second.id == first.id {
        vec![first]
    } else {
        vec![first, second]
    }
}

/// Zero to two references such as `SF-0012345`, some of plain digits with
/// leading zeros that a careless export would turn into a number.
fn external_refs(rng: &mut SplitMix64, number: usize) -> Vec<String> {
    let mut refs = Vec::new();
    if rng.percent(70) {
        refs.push(format!("SF-{:07}", rng.below(10_000_000)));
    }
    if rng.percent(30) {
        refs.push(format!("{:08}", number * 37 + rng.below(30) as usize));
    }
    refs
}

fn account_tags(rng: &mut SplitMix64) -> Vec<TagWithValue> {
    let count = rng.below(5) as usize;
    let mut chosen: Vec<TagWithValue> = Vec::with_capacity(count);
    for _ in 0..count {
        let demo_tag = rng.pick(tags());
        if chosen
            .iter()
            .any(|existing| existing.tag.id == demo_tag.tag.id)
        {
            continue;
        }
        let value = if demo_tag.values.is_empty() {
            None
        } else {
            Some(rng.pick(&demo_tag.values).clone())
        };
        chosen.push(TagWithValue {
            tag: demo_tag.tag.clone(),
            value,
        });
    }
    chosen
}

/// Custom fields of several types. Each one is missing on some accounts, and
/// the annual revenue is sometimes an explicit `null`.
fn custom_fields(rng: &mut SplitMix64) -> Map<String, Value> {
    let mut fields = Map::new();
    if rng.percent(90) {
        fields.insert("tnt__region".into(), (*rng.pick(REGIONS)).into());
    }
    if rng.percent(80) {
        // Spread evenly over the decades from 100 thousand to 1 billion, as
        // revenues are, in integer steps so every platform gets the same value.
        let decade = 10_i64.pow(rng.between(5, 8) as u32);
        let dollars = rng.between(decade, decade * 10 - 1);
        let cents = rng.below(100);
        let revenue = dollars as f64 + cents as f64 / 100.0;
        fields.insert("tnt__annual_revenue".into(), revenue.into());
    } else if rng.percent(25) {
        fields.insert("tnt__annual_revenue".into(), Value::Null);
    }
    if rng.percent(85) {
        fields.insert("tnt__is_public".into(), rng.percent(30).into());
    }
    if rng.percent(70) {
        let day = NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date")
            + Duration::days(rng.between(0, 729));
        fields.insert(
            "tnt__renewal_date".into(),
            day.format("%Y-%m-%d").to_string().into(),
        );
    }
    if rng.percent(85) {
        fields.insert("tnt__health_score".into(), rng.between(0, 100).into());
    }
    if rng.percent(50) {
        fields.insert("tnt__notes".into(), (*rng.pick(NOTES)).into());
    }
    fields
}

/// Points about 8 percent of accounts (never the first) at an earlier account.
fn primary_account(rng: &mut SplitMix64, seed: u64, index: usize) -> Option<AccountSummary> {
    if index == 0 || !rng.percent(8) {
        return None;
    }
    let parent_index = rng.below(index as u64) as usize;
    let parent_number = parent_index + 1;
    Some(AccountSummary {
        id: format!("{CORE_PREFIX}:account/{parent_number}"),
        display_id: Some(format!("ACC-{parent_number}")),
        display_name: Some(company_name(seed, parent_index).display),
    })
}

/// Zero to two attached files. Artifact numbers are unique: account `n` uses
/// `4n` and `4n + 1`.
fn artifacts(rng: &mut SplitMix64, number: usize, name: &str) -> Vec<ArtifactSummary> {
    if !rng.percent(25) {
        return Vec::new();
    }
    let count = rng.between(1, 2) as usize;
    (0..count)
        .map(|offset| {
            let artifact_number = number * 4 + offset;
            let (media_type, stem, extension) = rng.pick(ARTIFACT_FILES);
            ArtifactSummary {
                id: format!("{CORE_PREFIX}:artifact/{artifact_number}"),
                display_id: Some(format!("ARTIFACT-{artifact_number}")),
                file: Some(ArtifactFile {
                    media_type: Some((*media_type).to_owned()),
                    name: Some(format!("{stem} - {name}.{extension}")),
                    size: Some(rng.below(8_000_000) + 2_048),
                }),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
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
