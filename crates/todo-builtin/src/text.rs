//! Small text helpers shared by the parsers. All matching is ASCII case-insensitive
//! and works on byte offsets of the original string (ASCII lowercasing keeps them).

/// Characters that belong to a word for the purpose of phrase boundaries.
pub(crate) fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\'' || c == '#' || c == '_' || c == '-'
}

/// Straightens typographic quotes and collapses whitespace.
pub(crate) fn normalize(input: &str) -> String {
    let s: String = input
        .chars()
        .map(|c| match c {
            '\u{2018}' | '\u{2019}' | '\u{201B}' | '\u{2032}' | '`' | '\u{00B4}' => '\'',
            '\u{201C}' | '\u{201D}' | '\u{201E}' | '\u{00AB}' | '\u{00BB}' => '"',
            c if c.is_whitespace() || c.is_control() => ' ',
            c => c,
        })
        .collect();
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Trims whitespace and sentence punctuation at both ends (not quotes).
pub(crate) fn trim_punct(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '.' | '!' | '?' | ',' | ';' | ':' | '-' | '\u{2013}' | '\u{2014}')
    })
}

fn phrase_starts_wordy(phrase: &str) -> bool {
    phrase.chars().next().is_some_and(is_word_char)
}

fn phrase_ends_wordy(phrase: &str) -> bool {
    phrase.chars().next_back().is_some_and(is_word_char)
}

/// Whether `phrase` occurs in `s` at byte `i` as whole words.
pub(crate) fn phrase_at(s: &str, i: usize, phrase: &str) -> bool {
    let Some(head) = s.get(i..i + phrase.len()) else { return false };
    if !head.eq_ignore_ascii_case(phrase) {
        return false;
    }
    let before_ok = !phrase_starts_wordy(phrase) || s[..i].chars().next_back().is_none_or(|c| !is_word_char(c));
    let after_ok = !phrase_ends_wordy(phrase) || s[i + phrase.len()..].chars().next().is_none_or(|c| !is_word_char(c));
    before_ok && after_ok
}

/// First whole-word occurrence of `phrase` at or after byte `from`.
pub(crate) fn find_phrase(s: &str, phrase: &str, from: usize) -> Option<usize> {
    s.char_indices().map(|(i, _)| i).filter(|&i| i >= from).find(|&i| phrase_at(s, i, phrase))
}

/// Last whole-word occurrence of `phrase`.
pub(crate) fn rfind_phrase(s: &str, phrase: &str) -> Option<usize> {
    s.char_indices().map(|(i, _)| i).rev().find(|&i| phrase_at(s, i, phrase))
}

/// Whether `s` contains any of the phrases as whole words.
pub(crate) fn contains_any(s: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| find_phrase(s, p, 0).is_some())
}

/// If `s` starts with one of `phrases` (the longest wins), that phrase and the rest, trimmed.
pub(crate) fn strip_prefix_any<'a>(s: &'a str, phrases: &[&'static str]) -> Option<(&'static str, &'a str)> {
    let s = trim_lead(s);
    let mut best: Option<&'static str> = None;
    for p in phrases {
        if phrase_at(s, 0, p) && best.is_none_or(|b| p.len() > b.len()) {
            best = Some(p);
        }
    }
    best.map(|p| (p, trim_lead(&s[p.len()..])))
}

/// If `s` ends with one of `phrases` (the longest wins), the text before it, trimmed.
pub(crate) fn strip_suffix_any<'a>(s: &'a str, phrases: &[&str]) -> Option<&'a str> {
    let s = trim_tail(s);
    let mut best: Option<usize> = None;
    for p in phrases {
        if s.len() >= p.len() {
            let i = s.len() - p.len();
            if s.is_char_boundary(i) && phrase_at(s, i, p) && best.is_none_or(|b| i < b) {
                best = Some(i);
            }
        }
    }
    best.map(|i| trim_tail(&s[..i]))
}

/// Trims whitespace and separators that may follow a stripped prefix.
pub(crate) fn trim_lead(s: &str) -> &str {
    s.trim_start_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '-' | '\u{2013}' | '\u{2014}'))
}

/// Trims whitespace and separators left before a stripped suffix.
pub(crate) fn trim_tail(s: &str) -> &str {
    s.trim_end_matches(|c: char| c.is_whitespace() || matches!(c, ',' | ':' | ';' | '-' | '\u{2013}' | '\u{2014}'))
}

/// Repeatedly strips any of `phrases` from the start.
pub(crate) fn strip_prefixes_repeatedly<'a>(mut s: &'a str, phrases: &[&str]) -> &'a str {
    loop {
        let mut changed = false;
        for p in phrases {
            if phrase_at(s, 0, p) {
                s = trim_lead(&s[p.len()..]);
                changed = true;
                break;
            }
        }
        if !changed {
            return s;
        }
    }
}

/// Repeatedly strips any of `phrases` from the end.
pub(crate) fn strip_suffixes_repeatedly<'a>(mut s: &'a str, phrases: &[&str]) -> &'a str {
    while let Some(rest) = strip_suffix_any(s, phrases) {
        if rest.len() == s.len() {
            break;
        }
        s = rest;
    }
    s
}

/// The first quoted segment: `(open_quote_byte, end_after_close_quote, inner)`.
/// Double quotes pair freely; single quotes must sit at word edges so that apostrophes
/// ("mom's", "what's") are not taken for quotes.
pub(crate) fn find_quoted(s: &str) -> Option<(usize, usize, &str)> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for (k, &(i, c)) in chars.iter().enumerate() {
        if c == '"' {
            if let Some(&(j, _)) = chars[k + 1..].iter().find(|(_, d)| *d == '"') {
                return Some((i, j + 1, &s[i + 1..j]));
            }
        } else if c == '\'' {
            let prev_ok = k == 0 || !chars[k - 1].1.is_alphanumeric();
            let next_ok = chars.get(k + 1).is_some_and(|(_, d)| !d.is_whitespace());
            if !(prev_ok && next_ok) {
                continue;
            }
            for m in k + 1..chars.len() {
                let (j, d) = chars[m];
                if d != '\'' {
                    continue;
                }
                let before_ok = m > k + 1 && !chars[m - 1].1.is_whitespace();
                let after_ok = chars.get(m + 1).is_none_or(|(_, e)| !e.is_alphanumeric());
                if before_ok && after_ok {
                    return Some((i, j + 1, &s[i + 1..j]));
                }
            }
        }
    }
    None
}

/// Removes the byte range and tidies the whitespace around it.
pub(crate) fn cut(s: &str, start: usize, end: usize) -> String {
    let joined = format!("{} {}", &s[..start], &s[end..]);
    joined.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Upper-cases the first letter unless the word looks deliberately cased ("iPhone").
pub(crate) fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) if first.is_lowercase() => {
            let second_upper = s.chars().nth(1).is_some_and(char::is_uppercase);
            if second_upper { s.to_string() } else { first.to_uppercase().chain(chars).collect() }
        }
        _ => s.to_string(),
    }
}

/// Strips one pair of surrounding quotes.
pub(crate) fn unquote(s: &str) -> &str {
    let t = s.trim();
    for q in ['"', '\''] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return t[1..t.len() - 1].trim();
        }
    }
    t
}

/// Parses a small cardinal number: digits or English words up to twenty.
pub(crate) fn number(word: &str) -> Option<u32> {
    let w = word.to_ascii_lowercase();
    if let Ok(n) = w.parse::<u32>() {
        return Some(n);
    }
    const WORDS: [&str; 21] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
        "twenty",
    ];
    WORDS.iter().position(|x| *x == w).map(|n| n as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_only() {
        assert_eq!(find_phrase("what's pending", "what", 0), None);
        assert_eq!(find_phrase("show all tasks", "all", 0), Some(5));
        assert_eq!(find_phrase("install it", "all", 0), None);
        assert!(phrase_at("Add a task", 0, "add"));
        assert_eq!(rfind_phrase("go to the shop to buy", "to"), Some(15));
    }

    #[test]
    fn quotes_skip_apostrophes() {
        assert_eq!(find_quoted("change task 1 to 'Call mom tonight'").map(|q| q.2), Some("Call mom tonight"));
        assert_eq!(find_quoted("what's mom's plan").map(|q| q.2), None);
        assert_eq!(find_quoted("add 'mom's birthday' friday").map(|q| q.2), Some("mom's birthday"));
        assert_eq!(find_quoted("add \"x y\" now").map(|q| q.2), Some("x y"));
    }

    #[test]
    fn helpers() {
        assert_eq!(normalize("  Change\u{2019}s  \u{201C}a\u{201D} "), "Change's \"a\"");
        assert_eq!(trim_punct(" pay bills!. "), "pay bills");
        assert_eq!(capitalize("buy milk"), "Buy milk");
        assert_eq!(capitalize("iPhone repair"), "iPhone repair");
        assert_eq!(cut("buy milk tomorrow please", 9, 17), "buy milk please");
        assert_eq!(number("three"), Some(3));
        assert_eq!(number("12"), Some(12));
        assert_eq!(strip_suffix_any("buy milk to my list", &["to my list", "list"]), Some("buy milk"));
        assert_eq!(strip_prefixes_repeatedly("please, can you add", &["please", "can you"]), "add");
    }
}
