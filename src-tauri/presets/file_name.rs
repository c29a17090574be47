//! File-name patterns such as `Enterprise accounts {date}.xlsx` and the
//! free name they give in a folder.
//!
//! A pattern is plain text with placeholders: `{date}` (`YYYY-MM-DD`),
//! `{time}` (`HH-MM`, 24-hour) and `{preset}` (the preset's name). Date and
//! time are read in the preset's time zone. A pattern may not name a folder,
//! so it cannot contain path separators or characters that Windows forbids in
//! file names.

use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

/// Placeholders a pattern may use.
pub const PLACEHOLDERS: &[&str] = &["{date}", "{time}", "{preset}"];

/// Pattern of a new preset: the name the save dialog suggests.
pub const DEFAULT_PATTERN: &str = "accounts-{date}.xlsx";

/// Maximum length of a file name a pattern produces, in characters. Most file systems
/// allow 255 bytes, and a `(2)` suffix may still be added.
pub const MAX_NAME_CHARS: usize = 200;

/// Characters that no file name may contain on Windows, where `/` and `\` also
/// separate folders.
const FORBIDDEN: &[char] = &['/', '\\', ':', '*', '?', '"', '<', '>', '|'];

/// Reason a file-name pattern was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    #[error("The file name is empty. Enter a name such as `{DEFAULT_PATTERN}`.")]
    Empty,
    #[error("The file name `{pattern}` contains `{character}`, which file names cannot contain. Remove it; choose the folder separately.")]
    ForbiddenCharacter { pattern: String, character: char },
    #[error("The file name `{pattern}` uses `{placeholder}`, which is not a placeholder. Use {}, or remove the braces.", PLACEHOLDERS.join(", "))]
    UnknownPlaceholder {
        pattern: String,
        placeholder: String,
    },
    #[error("The file name `{pattern}` gives a name of {chars} characters, more than the {MAX_NAME_CHARS} allowed. Shorten it.")]
    TooLong { pattern: String, chars: usize },
}

/// Checks a pattern without filling it in.
pub fn check_pattern(pattern: &str) -> Result<(), FileNameError> {
    let sample = NaiveDateTime::default();
    render(pattern, "preset", sample).map(|_| ())
}

/// Fills in the placeholders. `now` is the wall-clock time in the preset's
/// zone. Characters of the preset name that a file name cannot contain become `-`.
pub fn render(
    pattern: &str,
    preset_name: &str,
    now: NaiveDateTime,
) -> Result<String, FileNameError> {
    let pattern_text = pattern.trim();
    if pattern_text.is_empty() {
        return Err(FileNameError::Empty);
    }
    if let Some(character) = pattern_text
        .chars()
        .find(|c| FORBIDDEN.contains(c) || c.is_control())
    {
        return Err(FileNameError::ForbiddenCharacter {
            pattern: pattern_text.to_owned(),
            character,
        });
    }

    let safe_name: String = preset_name
        .trim()
        .chars()
        .map(|c| {
            if FORBIDDEN.contains(&c) || c.is_control() {
                '-'
            } else {
                c
            }
        })
        .collect();
    let mut name = String::new();
    let mut rest = pattern_text;
    while let Some(open) = rest.find('{') {
        name.push_str(&rest[..open]);
        let after = &rest[open..];
        let close = after.find('}').map_or(after.len(), |close| close + 1);
        let placeholder = &after[..close];
        match placeholder {
            "{date}" => name.push_str(&now.format("%Y-%m-%d").to_string()),
            "{time}" => name.push_str(&now.format("%H-%M").to_string()),
            "{preset}" => name.push_str(&safe_name),
            other => {
                return Err(FileNameError::UnknownPlaceholder {
                    pattern: pattern_text.to_owned(),
                    placeholder: other.to_owned(),
                })
            }
        }
        rest = &after[close..];
    }
    name.push_str(rest);

    let name = name.trim().trim_end_matches('.').to_owned();
    let chars = name.chars().count();
    if chars > MAX_NAME_CHARS {
        return Err(FileNameError::TooLong {
            pattern: pattern_text.to_owned(),
            chars,
        });
    }
    if name.is_empty() {
        return Err(FileNameError::Empty);
    }
    Ok(name)
}

/// Returns `folder/name`, or when that exists `folder/stem (2).ext`,
/// `(3)` and so on, so an export never replaces an earlier file.
pub fn free_path(folder: &Path, name: &str) -> PathBuf {
    let first = folder.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, extension) = match name.rsplit_once('.') {
        Some((stem, extension)) if !stem.is_empty() => (stem, format!(".{extension}")),
        _ => (name, String::new()),
    };
    (2..)
        .map(|number| folder.join(format!("{stem} ({number}){extension}")))
        .find(|candidate| !candidate.exists())
        .expect("some numbered name is free")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moment() -> NaiveDateTime {
        "2026-12-04T09:05:00".parse().unwrap()
    }

    #[test]
    fn placeholders_are_filled_in() {
        let name = render(
            "Enterprise accounts {date} {time} {preset}.xlsx",
            "Weekly",
            moment(),
        );

        assert_eq!(
            name.unwrap(),
            "Enterprise accounts 2026-12-04 09-05 Weekly.xlsx"
        );
    }

    #[test]
    fn preset_name_is_made_safe() {
        let name = render("{preset}.xlsx", "EMEA/APAC: top", moment()).unwrap();

        assert_eq!(name, "EMEA-APAC- top.xlsx");
    }

    #[test]
    fn separators_and_unknown_placeholders_are_rejected() {
        assert!(matches!(
            render("exports/{date}.xlsx", "p", moment()),
            Err(FileNameError::ForbiddenCharacter { character: '/', .. })
        ));
        assert!(matches!(
            render("accounts {day}.xlsx", "p", moment()),
            Err(FileNameError::UnknownPlaceholder { placeholder, .. }) if placeholder == "{day}"
        ));
        assert!(matches!(
            render("  ", "p", moment()),
            Err(FileNameError::Empty)
        ));
    }

    #[test]
    fn unclosed_brace_is_rejected() {
        let error = render("accounts {date", "p", moment()).unwrap_err();

        assert!(error.to_string().contains("`{date`"), "{error}");
    }

    #[test]
    fn free_path_numbers_existing_names() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(folder.path().join("a.xlsx"), "").unwrap();
        std::fs::write(folder.path().join("a (2).xlsx"), "").unwrap();

        assert_eq!(
            free_path(folder.path(), "a.xlsx"),
            folder.path().join("a (3).xlsx")
        );
        assert_eq!(
            free_path(folder.path(), "b.xlsx"),
            folder.path().join("b.xlsx")
        );
    }
}
