//! The rules that every exported text follows, whatever the file format:
//! characters that XML cannot carry, line breaks, text that a spreadsheet
//! would run as a formula, worksheet names and which texts become links.
//!
//! The functions are pure, so the xlsx writer, the CSV writer and the tests
//! apply exactly the same rules. Writing cells is left to the writers.
//!
//! The rules, in the order a writer applies them to a text cell:
//!
//! 1. [`clean_cell_text`]: CRLF and a lone CR become LF, and every other
//!    character that XML 1.0 does not allow becomes U+FFFD (�). Tab, LF and
//!    CR are allowed by XML and kept, CR only as part of a line break.
//! 2. [`needs_wrap`]: a cleaned text with a line break is shown wrapped.
//! 3. [`starts_like_formula`]: text that starts with `=`, `+`, `-`, `@`, tab,
//!    CR or NUL is still written as text. The xlsx writer writes it as a
//!    string cell; the CSV writer adds a leading apostrophe ([`csv_text`]).
//! 4. [`LinkDecision`]: a cell that contains one http or https address becomes a
//!    link while the sheet has fewer than [`EXCEL_MAX_LINKS_PER_SHEET`] links
//!    and the address is at most [`MAX_LINK_UTF16`] long. The cell shows the
//!    text either way.

use std::borrow::Cow;
use std::collections::HashSet;

/// Character that replaces each character XML 1.0 does not allow.
pub const REPLACEMENT_CHARACTER: char = '\u{FFFD}';

/// Characters that make Excel, LibreOffice or Google Sheets read a cell typed
/// or imported from CSV as a formula when they come first. These are the
/// OWASP ASVS 5.0 requirement 1.2.10 list (`=`, `+`, `-`, `@`, tab, NUL) plus
/// CR, which some CSV sanitisers add.
pub const FORMULA_PREFIXES: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\0'];

/// Maximum length of a worksheet name in UTF-16 units (Excel's limit, which
/// rust_xlsxwriter 0.102 checks in UTF-16 units).
pub const EXCEL_MAX_SHEET_NAME_UTF16: usize = 31;

/// Characters Excel does not allow in a worksheet name.
pub const SHEET_NAME_FORBIDDEN: [char; 7] = ['[', ']', ':', '*', '?', '/', '\\'];

/// Worksheet name that Excel reserves, compared case-insensitively.
pub const RESERVED_SHEET_NAME: &str = "History";

/// Maximum hyperlinks in one worksheet, from Microsoft's "Excel specifications
/// and limits" page.
pub const EXCEL_MAX_LINKS_PER_SHEET: usize = 65_530;

/// Maximum length of a link address in UTF-16 units. rust_xlsxwriter 0.102
/// rejects longer addresses as beyond Excel's limit.
pub const MAX_LINK_UTF16: usize = 2_080;

/// Returns whether XML 1.0 allows `character` in text: tab, LF, CR,
/// U+0020 to U+D7FF, U+E000 to U+FFFD and U+10000 to U+10FFFF. A Rust `char`
/// is never a lone surrogate, so the gap U+D800 to U+DFFF needs no check.
pub fn is_xml_char(character: char) -> bool {
    matches!(character,
        '\t' | '\n' | '\r'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// Applies the cell text rule: CRLF and a lone CR become LF, and every other
/// character XML 1.0 does not allow becomes [`REPLACEMENT_CHARACTER`].
///
/// Returns the text unchanged, without copying, when no rule applies.
pub fn clean_cell_text(text: &str) -> Cow<'_, str> {
    // Every character the rule changes has a byte below 0x20 or, for U+FFFE
    // and U+FFFF, the lead byte 0xEF, so most texts need only this scan.
    let suspect = |byte: &u8| (*byte < 0x20 && *byte != b'\t' && *byte != b'\n') || *byte == 0xEF;
    if !text.as_bytes().iter().any(suspect) {
        return Cow::Borrowed(text);
    }
    if text
        .chars()
        .all(|character| character != '\r' && is_xml_char(character))
    {
        return Cow::Borrowed(text);
    }

    let mut cleaned = String::with_capacity(text.len());
    let mut characters = text.chars().peekable();
    while let Some(character) = characters.next() {
        match character {
            '\r' => {
                // A CRLF pair becomes one LF, not two.
                if characters.peek() == Some(&'\n') {
                    characters.next();
                }
                cleaned.push('\n');
            }
            character if is_xml_char(character) => cleaned.push(character),
            _ => cleaned.push(REPLACEMENT_CHARACTER),
        }
    }
    Cow::Owned(cleaned)
}

/// Returns whether a cleaned text should be shown with wrapping: it has a line break.
pub fn needs_wrap(cleaned: &str) -> bool {
    cleaned.contains('\n')
}

/// Returns whether `text` starts with one of the [`FORMULA_PREFIXES`].
pub fn starts_like_formula(text: &str) -> bool {
    text.chars()
        .next()
        .is_some_and(|first| FORMULA_PREFIXES.contains(&first))
}

/// Returns a text cell's content for a CSV field: [`clean_cell_text`], then a
/// leading apostrophe when the result [`starts_like_formula`], so that a
/// spreadsheet opening the file shows it as text instead of running it.
pub fn csv_text(text: &str) -> Cow<'_, str> {
    let cleaned = clean_cell_text(text);
    if starts_like_formula(&cleaned) {
        Cow::Owned(format!("'{cleaned}"))
    } else {
        cleaned
    }
}

/// Turns user input, such as a preset name, into a valid Excel worksheet name.
///
/// Forbidden characters ([`SHEET_NAME_FORBIDDEN`]) and characters XML does
/// not allow become `_`, line breaks and tabs become spaces, surrounding
/// spaces and apostrophes are removed, and the name is cut to
/// [`EXCEL_MAX_SHEET_NAME_UTF16`] units without splitting a character.
/// An empty result or the reserved name `History` gives `fallback`, which
/// must itself be valid.
pub fn sheet_name(input: &str, fallback: &str) -> String {
    let replaced: String = input
        .chars()
        .map(|character| match character {
            '\t' | '\n' | '\r' => ' ',
            character if SHEET_NAME_FORBIDDEN.contains(&character) => '_',
            character if !is_xml_char(character) => '_',
            character => character,
        })
        .collect();

    let mut name = cut_utf16(
        replaced.trim_matches(|character: char| character == '\'' || character.is_whitespace()),
        EXCEL_MAX_SHEET_NAME_UTF16,
    )
    .to_owned();
    // The cut may leave a trailing apostrophe or space that the trim had kept inside.
    while name.ends_with('\'') || name.ends_with(char::is_whitespace) {
        name.pop();
    }

    if name.is_empty() || name.eq_ignore_ascii_case(RESERVED_SHEET_NAME) {
        fallback.to_owned()
    } else {
        name
    }
}

/// Returns `name`, or `name (2)`, `name (3)` and so on, whichever no sheet in
/// `taken` has yet, comparing case-insensitively as Excel does. The name is
/// shortened before the suffix so the result stays within
/// [`EXCEL_MAX_SHEET_NAME_UTF16`] units.
pub fn unique_sheet_name(name: &str, taken: &[String]) -> String {
    let taken: HashSet<String> = taken.iter().map(|name| name.to_lowercase()).collect();
    if !taken.contains(&name.to_lowercase()) {
        return name.to_owned();
    }

    let mut number = 2_usize;
    loop {
        let suffix = format!(" ({number})");
        let room = EXCEL_MAX_SHEET_NAME_UTF16.saturating_sub(suffix.len());
        let stem = cut_utf16(name, room).trim_end();
        let candidate = format!("{stem}{suffix}");
        if !taken.contains(&candidate.to_lowercase()) {
            return candidate;
        }
        number += 1;
    }
}

/// Returns the longest start of `text` with at most `max_utf16` UTF-16 units
/// that does not split a character.
fn cut_utf16(text: &str, max_utf16: usize) -> &str {
    let mut used = 0;
    for (index, character) in text.char_indices() {
        used += character.len_utf16();
        if used > max_utf16 {
            return &text[..index];
        }
    }
    text
}

/// Returns the address a cell's text should link to, or `None` when the text
/// is not exactly one web address.
///
/// `http://` and `https://` addresses (any letter case) link to themselves.
/// A bare host name with a dot, such as `www.example.com` or
/// `example.com/pricing`, links to `https://` followed by the text, because
/// DevRev keeps many websites without a scheme. Text with spaces, control
/// characters or another scheme (`mailto:`, `file:`, `javascript:`) is not an
/// address, and neither is a list of several sites in one cell.
pub fn link_target(text: &str) -> Option<String> {
    if text.is_empty()
        || text
            .chars()
            .any(|character| character.is_whitespace() || character.is_control())
    {
        return None;
    }

    let lowercase = text.to_ascii_lowercase();
    let candidate = if lowercase.starts_with("http://") || lowercase.starts_with("https://") {
        text.to_owned()
    } else if !text.contains(':') {
        format!("https://{text}")
    } else {
        return None;
    };

    let parsed = url::Url::parse(&candidate).ok()?;
    let host = parsed.host_str()?;
    if !matches!(parsed.scheme(), "http" | "https") || !host.contains('.') {
        return None;
    }
    Some(candidate)
}

/// The action a writer takes for one text cell of a links column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkDecision {
    /// Write a link to this address. The cell shows its own text.
    Link(String),
    /// The text is not one web address: plain text, nothing to report.
    NotAddress,
    /// The address is longer than [`MAX_LINK_UTF16`]: plain text, reported
    /// as a link downgrade.
    TooLong,
    /// The sheet already has [`EXCEL_MAX_LINKS_PER_SHEET`] links: plain text,
    /// reported as a link downgrade.
    SheetFull,
}

impl LinkDecision {
    /// Returns whether the cell was an address written as plain text, which
    /// the export's warnings count.
    pub fn is_downgrade(&self) -> bool {
        matches!(self, LinkDecision::TooLong | LinkDecision::SheetFull)
    }
}

/// Counts the links of one worksheet and decides for each cell whether it may
/// be a link. A writer keeps one per sheet and starts a new one with each sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SheetLinks {
    links: usize,
}

impl SheetLinks {
    /// Starts a sheet with no links.
    pub fn new() -> Self {
        SheetLinks::default()
    }

    /// Returns the links granted so far on this sheet.
    pub fn links(&self) -> usize {
        self.links
    }

    /// Decides how to write the cleaned text of one cell, and counts it when
    /// it becomes a link.
    pub fn decide(&mut self, cleaned: &str) -> LinkDecision {
        let Some(target) = link_target(cleaned) else {
            return LinkDecision::NotAddress;
        };
        if target.encode_utf16().count() > MAX_LINK_UTF16 {
            return LinkDecision::TooLong;
        }
        if self.links >= EXCEL_MAX_LINKS_PER_SHEET {
            return LinkDecision::SheetFull;
        }
        self.links += 1;
        LinkDecision::Link(target)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keeps_plain_text_borrowed() {
        let text = "Café Zürich 😀 שלום\ttab\nline";

        let cleaned = clean_cell_text(text);

        assert!(matches!(cleaned, Cow::Borrowed(_)));
        assert_eq!(cleaned, text);
    }

    #[test]
    fn clean_normalises_line_breaks() {
        assert_eq!(clean_cell_text("a\r\nb\rc\nd"), "a\nb\nc\nd");
        assert_eq!(clean_cell_text("\r\n\r\n"), "\n\n");
        assert_eq!(clean_cell_text("end\r"), "end\n");
    }

    #[test]
    fn clean_replaces_xml_illegal_characters() {
        let text = "a\u{0}b\u{1}c\u{8}d\u{b}e\u{c}f\u{1f}g\u{fffe}h\u{ffff}i";

        let cleaned = clean_cell_text(text);

        assert_eq!(cleaned, "a�b�c�d�e�f�g�h�i");
    }

    #[test]
    fn xml_char_boundaries() {
        for allowed in [
            '\t',
            '\n',
            '\r',
            ' ',
            '\u{D7FF}',
            '\u{E000}',
            '\u{FFFD}',
            '\u{10000}',
            '\u{10FFFF}',
        ] {
            assert!(is_xml_char(allowed), "{allowed:?} should be allowed");
        }
        for rejected in [
            '\u{0}', '\u{8}', '\u{b}', '\u{c}', '\u{e}', '\u{1f}', '\u{FFFE}', '\u{FFFF}',
        ] {
            assert!(!is_xml_char(rejected), "{rejected:?} should be rejected");
        }
        // DEL and the C1 controls are valid XML 1.0 characters.
        assert!(is_xml_char('\u{7f}'));
        assert!(is_xml_char('\u{85}'));
    }

    #[test]
    fn wrap_only_with_line_break() {
        assert!(needs_wrap("one\ntwo"));
        assert!(!needs_wrap("one two"));
    }

    #[test]
    fn formula_prefixes_detected() {
        for text in ["=1+1", "+49 30", "-5", "@SUM(A1)", "\tx", "\rx", "\0x"] {
            assert!(starts_like_formula(text), "{text:?}");
        }
        for text in ["", "1+1", " =1", "a=b", "'=1", "＝1"] {
            assert!(!starts_like_formula(text), "{text:?}");
        }
    }

    #[test]
    fn csv_text_prefixes_apostrophe() {
        assert_eq!(csv_text("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(csv_text("-5"), "'-5");
        assert_eq!(csv_text("\ttabbed"), "'\ttabbed");
        assert_eq!(csv_text("plain"), "plain");
        assert_eq!(csv_text("00123"), "00123");
    }

    #[test]
    fn csv_text_cleans_before_checking() {
        // A lone CR becomes LF first, which is not a formula prefix.
        assert_eq!(csv_text("\rnext"), "\nnext");
        // NUL becomes U+FFFD first, which is not a formula prefix either.
        assert_eq!(csv_text("\u{0}x"), "�x");
    }

    #[test]
    fn sheet_name_replaces_forbidden_characters() {
        assert_eq!(
            sheet_name("Q1/Q2: [EMEA]*?\\", "Accounts"),
            "Q1_Q2_ _EMEA____"
        );
        assert_eq!(sheet_name("two\nlines\ttab", "Accounts"), "two lines tab");
        assert_eq!(sheet_name("bell\u{7}", "Accounts"), "bell_");
    }

    #[test]
    fn sheet_name_trims_apostrophes_and_spaces() {
        assert_eq!(sheet_name("  'quoted'  ", "Accounts"), "quoted");
        assert_eq!(sheet_name("it's", "Accounts"), "it's");
    }

    #[test]
    fn sheet_name_cut_to_limit() {
        let long = "x".repeat(40);
        assert_eq!(sheet_name(&long, "Accounts"), "x".repeat(31));

        // 15 emoji are 30 UTF-16 units; a 16th would make 32.
        let emoji = "😀".repeat(20);
        let name = sheet_name(&emoji, "Accounts");
        assert_eq!(name, "😀".repeat(15));
        assert!(name.encode_utf16().count() <= EXCEL_MAX_SHEET_NAME_UTF16);

        // A cut that ends on a space or an apostrophe drops it.
        let spaced = format!("{} tail", "y".repeat(30));
        assert_eq!(sheet_name(&spaced, "Accounts"), "y".repeat(30));
    }

    #[test]
    fn sheet_name_falls_back() {
        assert_eq!(sheet_name("", "Accounts"), "Accounts");
        assert_eq!(sheet_name(" '' ", "Accounts"), "Accounts");
        assert_eq!(sheet_name("history", "Accounts"), "Accounts");
        assert_eq!(sheet_name("HISTORY", "Accounts"), "Accounts");
        assert_eq!(sheet_name("History 2", "Accounts"), "History 2");
    }

    #[test]
    fn unique_sheet_name_adds_number() {
        let taken = vec!["Accounts".to_owned(), "accounts (2)".to_owned()];

        assert_eq!(unique_sheet_name("Summary", &taken), "Summary");
        assert_eq!(unique_sheet_name("ACCOUNTS", &taken), "ACCOUNTS (3)");
    }

    #[test]
    fn unique_sheet_name_stays_within_limit() {
        let long = "z".repeat(31);
        let taken = vec![long.clone()];

        let name = unique_sheet_name(&long, &taken);

        assert_eq!(name, format!("{} (2)", "z".repeat(27)));
        assert_eq!(name.encode_utf16().count(), EXCEL_MAX_SHEET_NAME_UTF16);
    }

    #[test]
    fn link_targets() {
        assert_eq!(
            link_target("https://example.com/a?b=c"),
            Some("https://example.com/a?b=c".to_owned())
        );
        assert_eq!(
            link_target("HTTP://Example.com"),
            Some("HTTP://Example.com".to_owned())
        );
        assert_eq!(
            link_target("www.example.com"),
            Some("https://www.example.com".to_owned())
        );
        assert_eq!(
            link_target("example.org/pricing"),
            Some("https://example.org/pricing".to_owned())
        );
    }

    #[test]
    fn non_addresses_are_not_links() {
        for text in [
            "",
            "localhost",
            "not a site",
            "https://a.com; https://b.com",
            "mailto:sales@example.com",
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.com",
            "https://",
            "=HYPERLINK(\"https://example.com\")",
            "https://exa\u{1}mple.com",
        ] {
            assert_eq!(link_target(text), None, "{text:?}");
        }
    }

    #[test]
    fn long_address_downgraded() {
        let mut links = SheetLinks::new();
        let at_limit = format!("https://example.com/{}", "a".repeat(MAX_LINK_UTF16 - 20));
        let over_limit = format!("{at_limit}b");

        assert!(matches!(links.decide(&at_limit), LinkDecision::Link(_)));
        assert_eq!(links.decide(&over_limit), LinkDecision::TooLong);
        assert!(LinkDecision::TooLong.is_downgrade());
        assert_eq!(links.links(), 1);
    }

    #[test]
    fn addresses_over_255_still_link() {
        let mut links = SheetLinks::new();
        let address = format!("https://example.com/{}", "p".repeat(300));

        assert_eq!(links.decide(&address), LinkDecision::Link(address.clone()));
    }

    #[test]
    fn full_sheet_downgrades_links() {
        let mut links = SheetLinks {
            links: EXCEL_MAX_LINKS_PER_SHEET - 1,
        };

        assert!(matches!(
            links.decide("https://example.com"),
            LinkDecision::Link(_)
        ));
        assert_eq!(links.decide("https://example.com"), LinkDecision::SheetFull);
        assert_eq!(links.decide("plain words"), LinkDecision::NotAddress);
        assert!(!LinkDecision::NotAddress.is_downgrade());
        assert_eq!(links.links(), EXCEL_MAX_LINKS_PER_SHEET);
    }
}
