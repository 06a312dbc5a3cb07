//! Priority phrases ("high priority", "urgent", "not important"), found inside a sentence or
//! read as a whole value. Shared by add, list, complete ("mark ... urgent") and update.

use crate::text::{find_phrase, strip_suffix_any, trim_punct, trim_tail, unquote};

/// Phrases and the priority they mean. Earliest match in the text wins; ties go to the longest.
const PRIORITY_PHRASES: &[(&str, &str)] = &[
    ("not important", "low"),
    ("not urgent", "low"),
    ("unimportant", "low"),
    ("low priority", "low"),
    ("low-priority", "low"),
    ("low prio", "low"),
    ("lowest priority", "low"),
    ("priority low", "low"),
    ("priority: low", "low"),
    ("medium priority", "medium"),
    ("medium-priority", "medium"),
    ("normal priority", "medium"),
    ("priority medium", "medium"),
    ("priority: medium", "medium"),
    ("priority normal", "medium"),
    ("high priority", "high"),
    ("high-priority", "high"),
    ("high prio", "high"),
    ("priority high", "high"),
    ("priority: high", "high"),
    ("top priority", "high"),
    ("very important", "high"),
    ("important", "high"),
    ("urgent priority", "urgent"),
    ("highest priority", "urgent"),
    ("priority urgent", "urgent"),
    ("priority: urgent", "urgent"),
    ("urgently", "urgent"),
    ("urgent", "urgent"),
    ("asap", "urgent"),
    ("as soon as possible", "urgent"),
    ("critical", "urgent"),
];

/// Words in front of a priority phrase that go with it: "with high priority", "mark it as urgent".
const PRIORITY_LEADS: &[&str] = &[
    "with",
    "as",
    "marked as",
    "marked",
    "make it",
    "mark it as",
    "mark it",
    "it's",
    "it is",
    "this is",
    "set to",
    "and",
    "at",
    "and it's",
    "and make it",
    "and mark it",
    "priority is",
    "which is",
    "that is",
    "and is",
];

/// Finds a priority phrase: (priority, start, end) including its lead-in words.
pub(super) fn find_priority(s: &str) -> Option<(&'static str, usize, usize)> {
    let mut best: Option<(usize, usize, &'static str)> = None;
    for (phrase, prio) in PRIORITY_PHRASES {
        if let Some(i) = find_phrase(s, phrase, 0) {
            let better = match best {
                None => true,
                Some((bi, bl, _)) => i < bi || (i == bi && phrase.len() > bl),
            };
            if better {
                best = Some((i, phrase.len(), prio));
            }
        }
    }
    let (mut start, len, prio) = best?;
    let end = start + len;
    loop {
        let before = trim_tail(&s[..start]);
        match strip_suffix_any(before, PRIORITY_LEADS) {
            Some(b) if b.len() < before.len() => start = b.len(),
            _ => break,
        }
    }
    // Keep a separating space if we swallowed lead words.
    Some((prio, start, end))
}

/// A priority phrase at the end of `s`: (priority, start of the phrase and its lead words).
pub(super) fn trailing_priority(s: &str) -> Option<(&'static str, usize)> {
    let (p, start, end) = find_priority(s)?;
    trim_punct(&s[end..]).is_empty().then_some((p, start))
}

/// The whole text as a priority: "high", "high priority", "urgent", "a low priority".
pub(super) fn priority_exact(s: &str) -> Option<&'static str> {
    let low = trim_punct(unquote(s)).to_ascii_lowercase();
    let words: Vec<&str> = low
        .split_whitespace()
        .filter(|w| !matches!(*w, "a" | "the" | "be" | "as" | "priority" | "prio" | "level" | "it" | "its" | "to"))
        .collect();
    let p = match words.as_slice() {
        ["low" | "lowest" | "minor" | "unimportant"] | ["not", "important" | "urgent"] => "low",
        ["medium" | "normal" | "mid" | "moderate" | "regular" | "default"] => "medium",
        ["high" | "important" | "top" | "higher" | "very", ..] if words.len() <= 2 => "high",
        ["urgent" | "highest" | "critical" | "asap" | "max" | "maximum"] => "urgent",
        _ => return None,
    };
    Some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities() {
        assert_eq!(priority_exact("high"), Some("high"));
        assert_eq!(priority_exact("High priority"), Some("high"));
        assert_eq!(priority_exact("urgent"), Some("urgent"));
        assert_eq!(priority_exact("a low priority"), Some("low"));
        assert_eq!(priority_exact("not important"), Some("low"));
        assert_eq!(priority_exact("call mom"), None);
        assert_eq!(find_priority("buy milk, not important").map(|x| x.0), Some("low"));
        assert_eq!(find_priority("pay rent, it's important").map(|x| (x.0, x.1)), Some(("high", 8)));
        assert_eq!(find_priority("buy milk with low priority").map(|x| (x.0, x.1)), Some(("low", 8)));
    }
}
