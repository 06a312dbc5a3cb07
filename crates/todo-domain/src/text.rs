//! Rules for the characters of every text a user sends (titles, descriptions,
//! names, emails, search text, chat messages), so that PostgreSQL and SQLite
//! store exactly the same texts: PostgreSQL refuses U+0000 in `text`, SQLite
//! keeps it, and neither should hold characters nobody can see or type.

use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

use crate::ValidationErrors;

/// A character no text may contain: C0 controls other than tab and line feed
/// (carriage returns are turned into line feeds first, see [`clean_text`]),
/// DEL and the C1 controls. None of them can be typed into a form, and U+0000
/// cannot be stored by PostgreSQL at all.
pub fn is_forbidden_char(c: char) -> bool {
    matches!(c, '\0'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// The text with `\r\n` and lone `\r` as `\n` (browsers send textarea line
/// breaks as `\r\n`), or the field's error naming the first forbidden character.
pub fn clean_text(raw: &str) -> Result<String, String> {
    let text = if raw.contains('\r') { raw.replace("\r\n", "\n").replace('\r', "\n") } else { raw.to_string() };
    match text.chars().find(|c| is_forbidden_char(*c)) {
        Some(c) => Err(format!("must not contain control characters (found U+{:04X})", c as u32)),
        None => Ok(text),
    }
}

/// [`clean_text`], recording the error under `field`.
pub fn check_text(field: &str, raw: &str, errors: &mut ValidationErrors) -> String {
    match clean_text(raw) {
        Ok(text) => text,
        Err(msg) => {
            errors.push(field, msg);
            raw.to_string()
        }
    }
}

/// Whether any character of `s` shows something: not white space, not a
/// default-ignorable code point (zero-width space U+200B, the byte-order mark
/// U+FEFF, joiners, variation selectors, the Hangul fillers...), not a combining
/// mark on its own, and not the blank Braille pattern U+2800 that is used as an
/// "invisible" letter.
pub fn has_visible_char(s: &str) -> bool {
    let ignorable = CodePointSetData::new::<DefaultIgnorableCodePoint>();
    let category = CodePointMapData::<GeneralCategory>::new();
    s.chars().any(|c| {
        !c.is_whitespace()
            && !is_forbidden_char(c)
            && c != '\u{2800}'
            && !ignorable.contains(c)
            && !matches!(category.get(c), GeneralCategory::NonspacingMark | GeneralCategory::EnclosingMark)
    })
}

/// Removes what [`clean_text`] refuses, for text that does not come from the
/// user and cannot be sent back for correction (a model's reply).
pub fn strip_forbidden_chars(s: &str) -> String {
    let text = if s.contains('\r') { s.replace("\r\n", "\n").replace('\r', "\n") } else { s.to_string() };
    if text.chars().any(is_forbidden_char) { text.chars().filter(|c| !is_forbidden_char(*c)).collect() } else { text }
}

/// The form of a text that search compares: Unicode full case folding (so
/// `ÉCRIRE`, `Écrire` and `écrire` are one word, final `ς` is `σ`, `ß` is
/// `ss`) between canonical decomposition and composition (so a precomposed `é`
/// and `e` + U+0301 are one letter). The store keeps this form of each title
/// and description and folds the query the same way, so PostgreSQL and SQLite,
/// whose `LOWER` differ outside ASCII, find exactly the same tasks.
pub fn search_fold(s: &str) -> String {
    let nfd = icu_normalizer::DecomposingNormalizerBorrowed::new_nfd();
    let nfc = icu_normalizer::ComposingNormalizerBorrowed::new_nfc();
    let folded = icu_casemap::CaseMapper::new().fold_string(&nfd.normalize(s)).into_owned();
    nfc.normalize(&folded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_folds_case_and_composition_beyond_ascii() {
        assert_eq!(search_fold("Écrire le RAPPORT"), "écrire le rapport");
        assert_eq!(search_fold("E\u{301}crire"), "écrire", "decomposed é is é");
        assert_eq!(search_fold("ÜBER"), "über");
        assert_eq!(search_fold("ΣΊΣΥΦΟΣ"), search_fold("σίσυφος"), "final sigma folds like sigma");
        assert!(search_fold("ΣΊΣΥΦΟΣ").starts_with(&search_fold("ΣΊΣ")));
        assert_eq!(search_fold("Straße"), "strasse");
        assert_eq!(search_fold("ПРИВЕТ"), "привет");
        assert_eq!(search_fold("50% milk_2"), "50% milk_2");
    }

    #[test]
    fn controls_other_than_tab_and_newline_are_refused() {
        assert_eq!(clean_text("a\tb\nc").unwrap(), "a\tb\nc");
        assert_eq!(clean_text("one\r\ntwo\rthree").unwrap(), "one\ntwo\nthree");
        for bad in ["\0", "a\u{1}", "\u{8}", "\u{b}", "\u{c}", "\u{1b}[31m", "\u{1f}", "\u{7f}", "\u{85}", "\u{9f}"] {
            let err = clean_text(bad).unwrap_err();
            assert!(err.contains("control characters"), "{bad:?}: {err}");
        }
        assert!(clean_text("x\0y").unwrap_err().contains("U+0000"));
        assert!(clean_text("é ü ß Σ 漢字 🎃 \u{a0}").is_ok(), "letters, emoji and no-break space are text");
    }

    #[test]
    fn visible_means_something_shows() {
        for invisible in
            ["", " ", "\u{200b}", "\u{feff}", "\u{200b}\u{feff} \u{2060}", "\u{3164}", "\u{115f}", "\u{2800}"]
        {
            assert!(!has_visible_char(invisible), "{invisible:?}");
        }
        assert!(!has_visible_char("\u{301}\u{20dd}"), "combining marks alone");
        for visible in ["a", "\u{200b}a", "é", "e\u{301}", "🎃", "漢", "-", "\u{200d}👍"] {
            assert!(has_visible_char(visible), "{visible:?}");
        }
    }

    #[test]
    fn stripping_keeps_text_and_line_breaks() {
        assert_eq!(strip_forbidden_chars("a\0b\u{1b}c\r\nd\te"), "abc\nd\te");
        assert_eq!(strip_forbidden_chars("plain"), "plain");
    }
}
