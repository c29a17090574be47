//! One generated account as a compact record of its random draws.
//!
//! [`AccountRecord::draw`] makes every random choice of an account (users,
//! tags, dates, custom field values) and keeps the results as numbers and
//! positions in the fixed tables of [`super::data`], without building any
//! text. Drawing is therefore cheap and allocation-free, so the server filters,
//! sorts and serializes records, and builds a full [`Account`] only when a
//! caller asks for one.
//!
//! Each text field has one `write_*` method that writes it to any
//! [`fmt::Write`]: [`AccountRecord::to_account`] writes into `String`s and the
//! JSON writer writes through an escaping adapter, so both produce the same
//! text by construction.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use serde_json::{Map, Value};

use super::data::{
    stage_position, stages, tags, users, DemoStage, DemoTag, SplitMix64, Stream, ARTIFACT_FILES,
    CITIES, CORE_PREFIX, DESCRIPTION_DETAILS, EARLIEST_CREATED, INDUSTRIES, LATEST_CREATED,
    LATEST_MODIFIED, NAME_CORES, NAME_PREFIXES, NAME_SUFFIXES, NON_LATIN_NAMES, NOTES, REGIONS,
    SUBTYPES, TIERS,
};
use crate::devrev::models::{
    Account, AccountSummary, ArtifactFile, ArtifactSummary, TagWithValue, UserSummary,
};

/// Maximum number of tags on one account. The draw picks up to this many and
/// drops repeats.
pub(super) const MAX_TAGS: usize = 4;

/// Maximum number of files attached to one account.
pub(super) const MAX_ARTIFACTS: usize = 2;

/// Endings of an account's domains after its slug. Account domains are the
/// first one to three of these, all under the reserved `.example` top-level
/// domain so that no generated address belongs to a real company.
const DOMAIN_ENDINGS: [&str; 3] = [".example", "-group.example", "-eu.example"];

/// Names of the custom fields, in the order the JSON writer sends them.
pub(super) const REGION_FIELD: &str = "tnt__region";
pub(super) const REVENUE_FIELD: &str = "tnt__annual_revenue";
pub(super) const PUBLIC_FIELD: &str = "tnt__is_public";
pub(super) const RENEWAL_FIELD: &str = "tnt__renewal_date";
pub(super) const HEALTH_FIELD: &str = "tnt__health_score";
pub(super) const NOTES_FIELD: &str = "tnt__notes";

/// The random draws of one account. Positions refer to the tables and pools
/// of [`super::data`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct AccountRecord {
    /// Position in the generation order, from 0. The account's number, in its
    /// ID and display ID, is `index + 1`.
    pub index: usize,
    pub name: CompanyName,
    /// Position in the stage pool.
    pub stage: usize,
    pub description: Option<Description>,
    /// Position in the user pool.
    pub created_by: usize,
    pub created_date: DateTime<Utc>,
    /// Position in the user pool.
    pub modified_by: usize,
    pub modified_date: DateTime<Utc>,
    /// Positions in the user pool, filled from the front.
    pub owners: [Option<usize>; 2],
    /// Number of domains, from 1 to 3.
    pub domain_count: usize,
    /// Whether the account has a `shop.` website besides one per domain.
    pub shop_website: bool,
    /// Number in a reference such as `SF-0012345`.
    pub salesforce_ref: Option<u64>,
    /// An eight-digit reference with leading zeros.
    pub legacy_ref: Option<u64>,
    /// Tags filled from the front, without repeats.
    pub tags: [Option<TagDraw>; MAX_TAGS],
    /// Position in `TIERS`.
    pub tier: Option<usize>,
    /// Position in `SUBTYPES`.
    pub subtype: Option<usize>,
    pub custom_fields: CustomFieldDraws,
    /// Index and name of an earlier account that this one belongs to.
    pub primary_account: Option<(usize, CompanyName)>,
    /// Attached files filled from the front.
    pub artifacts: [Option<ArtifactDraw>; MAX_ARTIFACTS],
}

/// A company name as positions in the name tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CompanyName {
    /// Position in `NON_LATIN_NAMES`.
    NonLatin(usize),
    /// Positions in `NAME_PREFIXES`, `NAME_CORES` and `NAME_SUFFIXES`.
    Composed {
        prefix: usize,
        core: usize,
        suffix: usize,
    },
}

/// The parts of a description: `<name> is a <industry> company based in
/// <city> with about <employees> employees. <detail>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Description {
    /// Position in `INDUSTRIES`.
    pub industry: usize,
    /// Position in `CITIES`.
    pub city: usize,
    pub employees: i64,
    /// Position in `DESCRIPTION_DETAILS`.
    pub detail: usize,
}

/// A tag on an account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct TagDraw {
    /// Position in the tag pool.
    pub tag: usize,
    /// Position in the tag's values, for a tag that takes a value.
    pub value: Option<usize>,
}

/// The custom field values of an account. `None` means the field is missing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct CustomFieldDraws {
    /// Position in `REGIONS`.
    pub region: Option<usize>,
    pub annual_revenue: Revenue,
    pub is_public: Option<bool>,
    pub renewal_date: Option<NaiveDate>,
    pub health_score: Option<i64>,
    /// Position in `NOTES`.
    pub notes: Option<usize>,
}

/// The annual revenue field, which is missing, an explicit `null` or an amount.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Revenue {
    Missing,
    Null,
    Dollars(f64),
}

/// An attached file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ArtifactDraw {
    /// Position in `ARTIFACT_FILES`.
    pub file: usize,
    /// Size in bytes.
    pub size: u64,
}

impl AccountRecord {
    /// Draws account `index` of the data set with `seed`. The same seed and
    /// index always give the same record.
    pub(super) fn draw(seed: u64, index: usize) -> AccountRecord {
        let name = CompanyName::draw(seed, index);
        let stage = stage_position(seed, index);
        let mut rng = SplitMix64::for_account(seed, index, Stream::Details);

        // The order of the draws below fixes the data set, so changing it
        // changes every account of every seed.
        let created = rng.between(EARLIEST_CREATED, LATEST_CREATED - 1);
        let modified = rng.between(created, LATEST_MODIFIED.min(created + 3 * 365 * 86_400));
        let created_date = timestamp(created, rng.below(1000));
        let modified_date = timestamp(modified, rng.below(1000)).max(created_date);

        let subtype = rng.weighted(SUBTYPES.iter().map(|entry| entry.1), 100);
        let tier = rng.weighted(TIERS.iter().map(|entry| entry.1), 100);
        let domain_count = rng.between(1, 3) as usize;
        let shop_website = domain_count < 3 && rng.percent(30);

        let description = draw_description(&mut rng);
        let created_by = rng.pick_position(users().len());
        let modified_by = rng.pick_position(users().len());
        let owners = draw_owners(&mut rng);
        let salesforce_ref = rng.percent(70).then(|| rng.below(10_000_000));
        let legacy_ref = rng
            .percent(30)
            .then(|| (index as u64 + 1) * 37 + rng.below(30));
        let tags = draw_tags(&mut rng);
        let custom_fields = draw_custom_fields(&mut rng);
        let primary_account = draw_primary_account(&mut rng, seed, index);
        let artifacts = draw_artifacts(&mut rng);

        AccountRecord {
            index,
            name,
            stage,
            description,
            created_by,
            created_date,
            modified_by,
            modified_date,
            owners,
            domain_count,
            shop_website,
            salesforce_ref,
            legacy_ref,
            tags,
            tier,
            subtype,
            custom_fields,
            primary_account,
            artifacts,
        }
    }

    /// Returns the account's number, used in its ID and display ID.
    pub(super) fn number(&self) -> usize {
        self.index + 1
    }

    pub(super) fn stage(&self) -> &'static DemoStage {
        &stages()[self.stage]
    }

    pub(super) fn created_by(&self) -> &'static UserSummary {
        &users()[self.created_by]
    }

    pub(super) fn modified_by(&self) -> &'static UserSummary {
        &users()[self.modified_by]
    }

    pub(super) fn owners(&self) -> impl Iterator<Item = &'static UserSummary> + '_ {
        self.owners
            .iter()
            .flatten()
            .map(|&position| &users()[position])
    }

    /// Returns the tags with their values, as the pool's tag and the value's text.
    pub(super) fn tags(
        &self,
    ) -> impl Iterator<Item = (&'static DemoTag, Option<&'static str>)> + '_ {
        self.tags.iter().flatten().map(|draw| {
            let tag = &tags()[draw.tag];
            let value = draw.value.map(|position| tag.values[position].as_str());
            (tag, value)
        })
    }

    pub(super) fn tier(&self) -> Option<&'static str> {
        self.tier.map(|position| TIERS[position].0)
    }

    pub(super) fn subtype(&self) -> Option<&'static str> {
        self.subtype.map(|position| SUBTYPES[position].0)
    }

    pub(super) fn website_count(&self) -> usize {
        self.domain_count + usize::from(self.shop_website)
    }

    pub(super) fn external_ref_count(&self) -> usize {
        usize::from(self.salesforce_ref.is_some()) + usize::from(self.legacy_ref.is_some())
    }

    pub(super) fn artifacts(&self) -> impl Iterator<Item = (usize, ArtifactDraw)> + '_ {
        self.artifacts
            .iter()
            .enumerate()
            .filter_map(|(offset, draw)| draw.map(|draw| (offset, draw)))
    }

    pub(super) fn write_id(&self, out: &mut impl fmt::Write) -> fmt::Result {
        write!(out, "{CORE_PREFIX}:account/{}", self.number())
    }

    pub(super) fn write_display_id(&self, out: &mut impl fmt::Write) -> fmt::Result {
        write!(out, "ACC-{}", self.number())
    }

    /// Writes the description, if the account has one.
    pub(super) fn write_description(&self, out: &mut impl fmt::Write) -> fmt::Result {
        let Some(description) = self.description else {
            return Ok(());
        };
        self.name.write_display(out)?;
        write!(
            out,
            " is a {} company based in {} with about {} employees. {}",
            INDUSTRIES[description.industry],
            CITIES[description.city],
            description.employees,
            DESCRIPTION_DETAILS[description.detail]
        )
    }

    /// Writes domain `position`, which must be below `domain_count`.
    pub(super) fn write_domain(&self, position: usize, out: &mut impl fmt::Write) -> fmt::Result {
        self.name.write_slug(out)?;
        out.write_str(DOMAIN_ENDINGS[position])
    }

    /// Writes website `position`, which must be below [`Self::website_count`]:
    /// `www.` and each domain, then `shop.` and the first domain.
    pub(super) fn write_website(&self, position: usize, out: &mut impl fmt::Write) -> fmt::Result {
        if position < self.domain_count {
            out.write_str("www.")?;
            self.write_domain(position, out)
        } else {
            out.write_str("shop.")?;
            self.write_domain(0, out)
        }
    }

    /// Writes external reference `position`, which must be below
    /// [`Self::external_ref_count`].
    pub(super) fn write_external_ref(
        &self,
        position: usize,
        out: &mut impl fmt::Write,
    ) -> fmt::Result {
        let references = [
            self.salesforce_ref.map(|number| (number, "SF-", 7)),
            self.legacy_ref.map(|number| (number, "", 8)),
        ];
        let (number, prefix, width) = references
            .into_iter()
            .flatten()
            .nth(position)
            .expect("the position is below external_ref_count");
        write!(out, "{prefix}{number:0width$}")
    }

    /// Writes the file name of an attached file, such as `Order form - Acme
    /// Labs.pdf`.
    pub(super) fn write_artifact_name(
        &self,
        draw: ArtifactDraw,
        out: &mut impl fmt::Write,
    ) -> fmt::Result {
        let (_, stem, extension) = ARTIFACT_FILES[draw.file];
        write!(out, "{stem} - ")?;
        self.name.write_display(out)?;
        write!(out, ".{extension}")
    }

    /// Returns the number of attached file `offset`. Account `n` uses `4n` and `4n + 1`,
    /// so artifact numbers are unique.
    pub(super) fn artifact_number(&self, offset: usize) -> usize {
        self.number() * 4 + offset
    }

    /// Returns a custom field's value: `None` when the account lacks the field,
    /// `Some(Value::Null)` for an explicit `null`.
    pub(super) fn custom_field(&self, name: &str) -> Option<Value> {
        let fields = &self.custom_fields;
        match name {
            REGION_FIELD => fields.region.map(|position| REGIONS[position].into()),
            REVENUE_FIELD => match fields.annual_revenue {
                Revenue::Missing => None,
                Revenue::Null => Some(Value::Null),
                Revenue::Dollars(amount) => Some(amount.into()),
            },
            PUBLIC_FIELD => fields.is_public.map(Value::from),
            RENEWAL_FIELD => fields
                .renewal_date
                .map(|date| Value::from(text(|out| write_date(date, out)))),
            HEALTH_FIELD => fields.health_score.map(Value::from),
            NOTES_FIELD => fields.notes.map(|position| NOTES[position].into()),
            _ => None,
        }
    }

    /// Builds the full account with every text field.
    pub(super) fn to_account(self) -> Account {
        let custom_fields: Map<String, Value> = [
            REGION_FIELD,
            REVENUE_FIELD,
            PUBLIC_FIELD,
            RENEWAL_FIELD,
            HEALTH_FIELD,
            NOTES_FIELD,
        ]
        .into_iter()
        .filter_map(|name| Some((name.to_owned(), self.custom_field(name)?)))
        .collect();

        Account {
            id: text(|out| self.write_id(out)),
            display_id: Some(text(|out| self.write_display_id(out))),
            display_name: Some(self.name.display()),
            description: self
                .description
                .map(|_| text(|out| self.write_description(out))),
            created_by: Some(self.created_by().clone()),
            created_date: Some(self.created_date),
            modified_by: Some(self.modified_by().clone()),
            modified_date: Some(self.modified_date),
            owned_by: self.owners().cloned().collect(),
            domains: (0..self.domain_count)
                .map(|position| text(|out| self.write_domain(position, out)))
                .collect(),
            websites: (0..self.website_count())
                .map(|position| text(|out| self.write_website(position, out)))
                .collect(),
            external_refs: (0..self.external_ref_count())
                .map(|position| text(|out| self.write_external_ref(position, out)))
                .collect(),
            tags: self
                .tags()
                .map(|(tag, value)| TagWithValue {
                    tag: tag.tag.clone(),
                    value: value.map(str::to_owned),
                })
                .collect(),
            tier: self.tier().map(str::to_owned),
            subtype: self.subtype().map(str::to_owned),
            custom_fields,
            custom_schema_fragments: self
                .subtype
                .map(|subtype| vec![text(|out| write_custom_schema_fragment(subtype, out))])
                .unwrap_or_default(),
            stock_schema_fragment: Some(text(write_stock_schema_fragment)),
            primary_account: self.primary_account.map(|(parent, name)| {
                let number = parent + 1;
                AccountSummary {
                    id: format!("{CORE_PREFIX}:account/{number}"),
                    display_id: Some(format!("ACC-{number}")),
                    display_name: Some(name.display()),
                }
            }),
            artifacts: self
                .artifacts()
                .map(|(offset, draw)| {
                    let number = self.artifact_number(offset);
                    ArtifactSummary {
                        id: format!("{CORE_PREFIX}:artifact/{number}"),
                        display_id: Some(format!("ARTIFACT-{number}")),
                        file: Some(ArtifactFile {
                            media_type: Some(ARTIFACT_FILES[draw.file].0.to_owned()),
                            name: Some(text(|out| self.write_artifact_name(draw, out))),
                            size: Some(draw.size),
                        }),
                    }
                })
                .collect(),
        }
    }
}

impl CompanyName {
    /// Draws the name of account `index` from its own random stream, so that
    /// another account can name it as its primary account without drawing the
    /// rest of it.
    pub(super) fn draw(seed: u64, index: usize) -> CompanyName {
        let mut rng = SplitMix64::for_account(seed, index, Stream::Name);
        if rng.percent(4) {
            return CompanyName::NonLatin(rng.pick_position(NON_LATIN_NAMES.len()));
        }
        CompanyName::Composed {
            prefix: rng.pick_position(NAME_PREFIXES.len()),
            core: rng.pick_position(NAME_CORES.len()),
            suffix: rng.pick_position(NAME_SUFFIXES.len()),
        }
    }

    /// Writes the name as displayed, such as `Zürich Labs GmbH`.
    pub(super) fn write_display(self, out: &mut impl fmt::Write) -> fmt::Result {
        match self {
            CompanyName::NonLatin(position) => out.write_str(NON_LATIN_NAMES[position].0),
            CompanyName::Composed {
                prefix,
                core,
                suffix,
            } => {
                write!(out, "{} {}", NAME_PREFIXES[prefix].0, NAME_CORES[core].0)?;
                match NAME_SUFFIXES[suffix] {
                    "" => Ok(()),
                    suffix => write!(out, " {suffix}"),
                }
            }
        }
    }

    /// Writes the ASCII form used in domains, such as `zuerich-labs`.
    pub(super) fn write_slug(self, out: &mut impl fmt::Write) -> fmt::Result {
        match self {
            CompanyName::NonLatin(position) => out.write_str(NON_LATIN_NAMES[position].1),
            CompanyName::Composed { prefix, core, .. } => {
                write!(out, "{}-{}", NAME_PREFIXES[prefix].1, NAME_CORES[core].1)
            }
        }
    }

    pub(super) fn display(self) -> String {
        text(|out| self.write_display(out))
    }
}

/// Writes the custom type fragment of subtype `position` in `SUBTYPES`.
pub(super) fn write_custom_schema_fragment(
    position: usize,
    out: &mut impl fmt::Write,
) -> fmt::Result {
    write!(
        out,
        "{CORE_PREFIX}:custom_type_fragment/{}",
        SUBTYPES[position].2
    )
}

pub(super) fn write_stock_schema_fragment(out: &mut impl fmt::Write) -> fmt::Result {
    write!(out, "{CORE_PREFIX}:stock_schema_fragment/account")
}

/// Writes a date as the API's date fields read, such as `2025-03-07`.
pub(super) fn write_date(date: NaiveDate, out: &mut impl fmt::Write) -> fmt::Result {
    write!(
        out,
        "{:04}-{:02}-{:02}",
        date.year(),
        date.month(),
        date.day()
    )
}

/// Collects what `write` writes into a new string.
fn text(write: impl FnOnce(&mut String) -> fmt::Result) -> String {
    let mut out = String::new();
    write(&mut out).expect("writing to a String does not fail");
    out
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

fn draw_description(rng: &mut SplitMix64) -> Option<Description> {
    if rng.percent(10) {
        return None;
    }
    Some(Description {
        industry: rng.pick_position(INDUSTRIES.len()),
        city: rng.pick_position(CITIES.len()),
        employees: rng.between(12, 48_000),
        detail: rng.pick_position(DESCRIPTION_DETAILS.len()),
    })
}

/// Draws one owner, and a second one for about a third of the accounts.
fn draw_owners(rng: &mut SplitMix64) -> [Option<usize>; 2] {
    let first = rng.pick_position(users().len());
    if !rng.percent(35) {
        return [Some(first), None];
    }
    let second = rng.pick_position(users().len());
    if second == first {
        [Some(first), None]
    } else {
        [Some(first), Some(second)]
    }
}

/// Draws up to [`MAX_TAGS`] tags from the pool. A repeated pick is dropped.
fn draw_tags(rng: &mut SplitMix64) -> [Option<TagDraw>; MAX_TAGS] {
    let mut chosen: [Option<TagDraw>; MAX_TAGS] = [None; MAX_TAGS];
    let mut count = 0;
    for _ in 0..rng.below(MAX_TAGS as u64 + 1) {
        let tag = rng.pick_position(tags().len());
        if chosen[..count].iter().flatten().any(|draw| draw.tag == tag) {
            continue;
        }
        let values = tags()[tag].values.len();
        let value = (values > 0).then(|| rng.pick_position(values));
        chosen[count] = Some(TagDraw { tag, value });
        count += 1;
    }
    chosen
}

/// Draws custom fields of several types. Each one is missing on some accounts,
/// and the annual revenue is sometimes an explicit `null`.
fn draw_custom_fields(rng: &mut SplitMix64) -> CustomFieldDraws {
    let region = rng.percent(90).then(|| rng.pick_position(REGIONS.len()));
    let annual_revenue = if rng.percent(80) {
        // Spread evenly over the decades from 100 thousand to 1 billion, as
        // revenues are, in integer steps so every platform gets the same value.
        let decade = 10_i64.pow(rng.between(5, 8) as u32);
        let dollars = rng.between(decade, decade * 10 - 1);
        let cents = rng.below(100);
        Revenue::Dollars(dollars as f64 + cents as f64 / 100.0)
    } else if rng.percent(25) {
        Revenue::Null
    } else {
        Revenue::Missing
    };
    let is_public = rng.percent(85).then(|| rng.percent(30));
    let renewal_date = rng.percent(70).then(|| {
        NaiveDate::from_ymd_opt(2025, 1, 1).expect("valid date")
            + Duration::days(rng.between(0, 729))
    });
    let health_score = rng.percent(85).then(|| rng.between(0, 100));
    let notes = rng.percent(50).then(|| rng.pick_position(NOTES.len()));

    CustomFieldDraws {
        region,
        annual_revenue,
        is_public,
        renewal_date,
        health_score,
        notes,
    }
}

/// Points about 8 percent of accounts (never the first) at an earlier account.
fn draw_primary_account(
    rng: &mut SplitMix64,
    seed: u64,
    index: usize,
) -> Option<(usize, CompanyName)> {
    if index == 0 || !rng.percent(8) {
        return None;
    }
    let parent = rng.below(index as u64) as usize;
    Some((parent, CompanyName::draw(seed, parent)))
}

/// Draws zero to [`MAX_ARTIFACTS`] attached files.
fn draw_artifacts(rng: &mut SplitMix64) -> [Option<ArtifactDraw>; MAX_ARTIFACTS] {
    let mut artifacts = [None; MAX_ARTIFACTS];
    if !rng.percent(25) {
        return artifacts;
    }
    let count = rng.between(1, MAX_ARTIFACTS as i64) as usize;
    for slot in artifacts.iter_mut().take(count) {
        let file = rng.pick_position(ARTIFACT_FILES.len());
        let size = rng.below(8_000_000) + 2_048;
        *slot = Some(ArtifactDraw { file, size });
    }
    artifacts
}
