//! Tag changes on an existing task: "add tag work to task 3", "remove the tag home from task 3",
//! "tag task 3 with urgent-stuff".

use super::Intent;
use super::target::parse_target;
use crate::text::{find_phrase, rfind_phrase, strip_prefix_any, trim_lead, trim_tail};

fn tag_words(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || c == ',')
        .map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_')).to_lowercase())
        .filter(|w| {
            !w.is_empty() && !matches!(w.as_str(), "and" | "with" | "as" | "the" | "tag" | "tags" | "label" | "labels")
        })
        .collect()
}

pub(super) fn parse_tags(s: &str) -> Option<Intent> {
    // "add tag work to task 3", "add the tags #a #b to the report task", "add #work to task 3"
    if let Some((_, rest)) = strip_prefix_any(s, &["add", "put"]) {
        let (left, target) = split_at_last(rest, &["to", "on", "onto"])?;
        let tagged = strip_prefix_any(left, &["the tags", "the tag", "tags", "tag", "labels", "label", "the label"]);
        let tags = match tagged {
            Some((_, t)) => tag_words(t),
            None if !left.is_empty() && left.split_whitespace().all(|w| w.starts_with('#') && w.len() > 1) => {
                tag_words(left)
            }
            None => return None,
        };
        let target = parse_target(target)?;
        return (!tags.is_empty()).then_some(Intent::Tags { target, add: tags, remove: vec![] });
    }
    // "remove the tag work from task 3"
    if let Some((_, rest)) = strip_prefix_any(s, &["remove", "delete", "drop", "clear"]) {
        let (_, after) =
            strip_prefix_any(rest, &["the tags", "the tag", "tags", "tag", "labels", "label", "the label"])
                .or_else(|| rest.starts_with('#').then_some(("", rest)))?;
        let (left, target) = split_at_last(after, &["from", "off"])?;
        let tags = tag_words(left);
        let target = parse_target(target)?;
        return (!tags.is_empty()).then_some(Intent::Tags { target, add: vec![], remove: tags });
    }
    // "tag task 3 with work", "tag the report task as #urgent #q3"
    if let Some((_, rest)) = strip_prefix_any(s, &["tag", "label"]) {
        let (left, tags) = split_at_first(rest, &["with", "as"]).or_else(|| {
            let i = rest.find('#')?;
            Some((trim_tail(&rest[..i]), &rest[i..]))
        })?;
        let target = parse_target(left)?;
        let tags = tag_words(tags);
        return (!tags.is_empty()).then_some(Intent::Tags { target, add: tags, remove: vec![] });
    }
    None
}

fn split_at_last<'a>(s: &'a str, seps: &[&str]) -> Option<(&'a str, &'a str)> {
    let (i, sep) = seps.iter().filter_map(|p| rfind_phrase(s, p).map(|i| (i, *p))).max_by_key(|(i, _)| *i)?;
    Some((trim_tail(&s[..i]), trim_lead(&s[i + sep.len()..])))
}

fn split_at_first<'a>(s: &'a str, seps: &[&str]) -> Option<(&'a str, &'a str)> {
    let (i, sep) = seps.iter().filter_map(|p| find_phrase(s, p, 0).map(|i| (i, *p))).min_by_key(|(i, _)| *i)?;
    Some((trim_tail(&s[..i]), trim_lead(&s[i + sep.len()..])))
}
