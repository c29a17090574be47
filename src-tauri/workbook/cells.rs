//! Rules for the text of one cell: the cut of a text too long for a cell, and
//! the display width that column widths are fitted to.
//!
//! Writing the cells is left to [`super::sheet_xml`].

use std::borrow::Cow;

use super::{MAX_COLUMN_WIDTH, TRUNCATION_MARKER};

/// Width of a cell written as `yyyy-mm-dd hh:mm:ss`.
pub(super) const DATETIME_WIDTH: usize = 19;

/// Cuts `text` so that it fits a cell of `max_utf16` UTF-16 units, and returns
/// it with whether it was cut.
///
/// A cut text ends with [`TRUNCATION_MARKER`], which counts towards the limit,
/// unless the limit is shorter than the marker. The cut never splits a
/// character, so it may keep one unit less than the limit allows.
pub(super) fn fit_cell_text(text: &str, max_utf16: usize) -> (Cow<'_, str>, bool) {
    // UTF-8 is never shorter than UTF-16 in units, so a short text needs no count.
    if text.len() <= max_utf16 || text.encode_utf16().count() <= max_utf16 {
        return (Cow::Borrowed(text), false);
    }

    let marker_len = TRUNCATION_MARKER.encode_utf16().count();
    let (budget, marker) = if max_utf16 >= marker_len {
        (max_utf16 - marker_len, TRUNCATION_MARKER)
    } else {
        (max_utf16, "")
    };

    let mut used = 0;
    let mut end = 0;
    for (index, character) in text.char_indices() {
        if used + character.len_utf16() > budget {
            break;
        }
        used += character.len_utf16();
        end = index + character.len_utf8();
    }

    (Cow::Owned(format!("{}{marker}", &text[..end])), true)
}

/// Estimates the display width of `text` in characters: its longest line,
/// stopping early once it is wider than any column gets.
pub(super) fn text_width(text: &str) -> usize {
    // Most cells are short single-line ASCII, where bytes are characters.
    if text.is_ascii() && !text.contains(['\n', '\r']) {
        return text.len().min(MAX_COLUMN_WIDTH + 1);
    }
    text.lines()
        .map(|line| line.chars().take(MAX_COLUMN_WIDTH + 1).count())
        .max()
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_keeps_short_text() {
        let (text, truncated) = fit_cell_text("hello", 5);

        assert_eq!(text, "hello");
        assert!(!truncated);
    }

    #[test]
    fn fit_keeps_text_at_limit() {
        // Four emoji are 16 UTF-8 bytes but only 8 UTF-16 units.
        let input = "😀".repeat(4);

        let (text, truncated) = fit_cell_text(&input, 8);

        assert_eq!(text, input);
        assert!(!truncated);
    }

    #[test]
    fn fit_cuts_with_marker() {
        let marker_len = TRUNCATION_MARKER.encode_utf16().count();
        let input = "a".repeat(50);

        let (text, truncated) = fit_cell_text(&input, marker_len + 4);

        assert!(truncated);
        assert_eq!(text, format!("aaaa{TRUNCATION_MARKER}"));
        assert_eq!(text.encode_utf16().count(), marker_len + 4);
    }

    #[test]
    fn fit_never_splits_surrogate_pair() {
        let marker_len = TRUNCATION_MARKER.encode_utf16().count();
        // Each emoji is two UTF-16 units, so a budget of 3 keeps one emoji.
        let input = "😀".repeat(10);

        let (text, truncated) = fit_cell_text(&input, marker_len + 3);

        assert!(truncated);
        assert_eq!(text, format!("😀{TRUNCATION_MARKER}"));
    }

    #[test]
    fn fit_below_marker_length_drops_marker() {
        let (text, truncated) = fit_cell_text("abcdef", 3);

        assert!(truncated);
        assert_eq!(text, "abc");
    }

    #[test]
    fn text_width_is_longest_line_capped() {
        assert_eq!(text_width(""), 0);
        assert_eq!(text_width("ab\nabcd\nabc"), 4);
        assert_eq!(text_width(&"x".repeat(500)), MAX_COLUMN_WIDTH + 1);
    }
}
