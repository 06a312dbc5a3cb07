//! Chat-template markup a weak model writes into its text (`<tool_response>…`,
//! `<|im_end|>`) is the template's business, not the user's: it is dropped as the
//! text streams, so that the fragments sent to the user and the stored reply are
//! the same characters whatever the network did to the fragments.

/// Blocks dropped with everything inside them (an unclosed one to the end).
const BLOCKS: [(&str, &str); 3] =
    [("<tool_call>", "</tool_call>"), ("<tool_response>", "</tool_response>"), ("<think>", "</think>")];

/// A stray closing tag of a block is dropped on its own.
const CLOSERS: [&str; 3] = ["</tool_call>", "</tool_response>", "</think>"];

/// Longest special token (`<|…|>`) looked for; a longer `<|` is ordinary text.
const MAX_SPECIAL: usize = 40;

/// A streaming filter: [`MarkupFilter::push`] each fragment, send what it
/// returns, and [`MarkupFilter::finish`] at the end. It holds back only a
/// possible start of markup until it knows.
#[derive(Debug, Default)]
pub struct MarkupFilter {
    pending: String,
}

enum Step {
    /// Emit this many bytes of `pending` as text.
    Text(usize),
    /// Drop this many bytes of `pending`.
    Drop(usize),
    /// Wait for more text.
    Wait,
}

impl MarkupFilter {
    /// Takes the next fragment; returns the text that is certainly not markup.
    pub fn push(&mut self, fragment: &str) -> String {
        self.pending.push_str(fragment);
        self.drain(false)
    }

    /// Ends the text: an unclosed block is dropped, a partial tag is text.
    pub fn finish(&mut self) -> String {
        self.drain(true)
    }

    fn drain(&mut self, end: bool) -> String {
        let mut out = String::new();
        loop {
            if self.pending.is_empty() {
                return out;
            }
            match step(&self.pending, end) {
                Step::Text(n) => {
                    out.push_str(&self.pending[..n]);
                    self.pending.drain(..n);
                }
                Step::Drop(n) => {
                    self.pending.drain(..n);
                }
                Step::Wait => return out,
            }
        }
    }
}

fn step(s: &str, end: bool) -> Step {
    let Some(lt) = s.find('<') else { return Step::Text(s.len()) };
    if lt > 0 {
        return Step::Text(lt);
    }
    for (open, close) in BLOCKS {
        if let Some(rest) = s.strip_prefix(open) {
            return match rest.find(close) {
                Some(i) => Step::Drop(open.len() + i + close.len()),
                None if end => Step::Drop(s.len()),
                None => Step::Wait,
            };
        }
    }
    for closer in CLOSERS {
        if s.starts_with(closer) {
            return Step::Drop(closer.len());
        }
    }
    if s.starts_with("<|") {
        let mut cut = s.len().min(MAX_SPECIAL);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let window = &s[..cut];
        if let Some(i) = window[2..].find("|>") {
            return Step::Drop(2 + i + 2);
        }
        if s.len() < MAX_SPECIAL && !end {
            return Step::Wait;
        }
        return Step::Text(1);
    }
    let could_start = BLOCKS.iter().map(|(o, _)| *o).chain(CLOSERS).chain(["<|"]).any(|t| t.starts_with(s));
    if could_start && !end { Step::Wait } else { Step::Text(1) }
}

/// The whole text without markup (what streaming it fragment by fragment gives).
pub fn strip_markup(text: &str) -> String {
    let mut f = MarkupFilter::default();
    let mut out = f.push(text);
    out.push_str(&f.finish());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_markup_is_dropped_and_other_angle_brackets_stay() {
        assert_eq!(strip_markup("Done.<|im_end|>"), "Done.");
        assert_eq!(
            strip_markup("I added it.<tool_response>{\"status\":\"created\"}</tool_response> Anything else?"),
            "I added it. Anything else?"
        );
        assert_eq!(strip_markup("<tool_call>{\"name\":\"add_task\"}</tool_call>"), "");
        assert_eq!(strip_markup("a</tool_response>b<tool_call>{\"unclosed\": 1"), "ab");
        assert_eq!(
            strip_markup("1 < 2 and x<y, <b>bold</b>, <|not a token"),
            "1 < 2 and x<y, <b>bold</b>, <|not a token"
        );
        assert_eq!(strip_markup("<tool"), "<tool");
    }

    #[test]
    fn fragments_cut_anywhere_give_the_same_text() {
        let text = "Sure! <tool_response>{\"a\": 1}</tool_response>Done <|im_end|>— 東京 <b>ok</b> <tool";
        let whole = strip_markup(text);
        assert_eq!(whole, "Sure! Done — 東京 <b>ok</b> <tool");
        let cuts: Vec<usize> = (0..=text.len()).filter(|i| text.is_char_boundary(*i)).collect();
        for &a in &cuts {
            for &b in cuts.iter().filter(|b| **b >= a) {
                let mut f = MarkupFilter::default();
                let mut out = f.push(&text[..a]);
                out.push_str(&f.push(&text[a..b]));
                out.push_str(&f.push(&text[b..]));
                out.push_str(&f.finish());
                assert_eq!(out, whole, "cut at {a} and {b}");
            }
        }
    }
}
