//! Context-word search for one rule: one ASCII-case-insensitive Aho-Corasick automaton over the
//! rule's context words and negative words, run once over the window before and once over the
//! window after a candidate.
//!
//! Owns: finding, for every context word, its last whole-word occurrence in the window before and
//! its first whole-word occurrence in the window after, with exactly the semantics of
//! [`super::word_at`] (ASCII case folding; a boundary is checked only on the word's alphanumeric
//! ends; the window's own ends count as boundaries).
//! Must not: score, allocate per window byte, or look outside the two windows it is given.

use aho_corasick::{AhoCorasick, AhoCorasickKind};

use super::word_at;

/// Compiled context words of one rule.
pub(crate) struct ContextMatcher {
    ac: AhoCorasick,
    /// Unique pattern id → the pattern (lower-cased word).
    patterns: Vec<Box<[u8]>>,
    /// Per context word (rule order), its unique pattern id.
    words: Vec<usize>,
    /// Per negative word (rule order), its unique pattern id.
    negative: Vec<usize>,
}

/// Last whole-word start in the window before and first one in the window after, per unique
/// pattern.
pub(crate) struct Occurrences {
    pub before: Vec<Option<usize>>,
    pub after: Vec<Option<usize>>,
}

impl ContextMatcher {
    /// `None` when the rule has no (non-empty) context or negative words.
    pub(crate) fn new(words: &[&[u8]], negative: &[&[u8]]) -> Result<Option<Self>, String> {
        let mut patterns: Vec<Box<[u8]>> = Vec::new();
        let mut id = |w: &[u8]| -> usize {
            if let Some(p) = patterns.iter().position(|p| &**p == w) {
                p
            } else {
                patterns.push(w.into());
                patterns.len() - 1
            }
        };
        let words: Vec<usize> = words.iter().map(|w| id(w)).collect();
        let negative: Vec<usize> = negative.iter().map(|w| id(w)).collect();
        if patterns.is_empty() || patterns.iter().any(|p| p.is_empty()) {
            // Empty words never match (see `rfind_word`); the loader filters them out, so an
            // empty pattern here means the caller changed: refuse rather than match everywhere.
            return if patterns.is_empty() {
                Ok(None)
            } else {
                Err("empty context word".to_owned())
            };
        }
        let ac = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&patterns)
            .map_err(|e| format!("context automaton: {e}"))?;
        Ok(Some(ContextMatcher {
            ac,
            patterns,
            words,
            negative,
        }))
    }

    /// Unique pattern id of each context word, in rule order.
    pub(crate) fn word_ids(&self) -> &[usize] {
        &self.words
    }

    /// Unique pattern id of each negative word, in rule order.
    pub(crate) fn negative_ids(&self) -> &[usize] {
        &self.negative
    }

    pub(crate) fn pattern(&self, id: usize) -> &[u8] {
        &self.patterns[id]
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.ac.memory_usage()
            + self.patterns.iter().map(|p| p.len() + 16).sum::<usize>()
            + (self.words.len() + self.negative.len()) * 8
    }

    /// Whole-word occurrences in `before` (the last one) and `after` (the first one).
    pub(crate) fn find(&self, before: &[u8], after: &[u8]) -> Occurrences {
        let n = self.patterns.len();
        let mut occ = Occurrences {
            before: vec![None; n],
            after: vec![None; n],
        };
        if !before.is_empty() {
            for m in self.ac.find_overlapping_iter(before) {
                let id = m.pattern().as_usize();
                if word_at(before, m.start(), &self.patterns[id]) {
                    let slot = &mut occ.before[id];
                    *slot = Some(slot.map_or(m.start(), |p: usize| p.max(m.start())));
                }
            }
        }
        if !after.is_empty() {
            for m in self.ac.find_overlapping_iter(after) {
                let id = m.pattern().as_usize();
                if word_at(after, m.start(), &self.patterns[id]) {
                    let slot = &mut occ.after[id];
                    *slot = Some(slot.map_or(m.start(), |p: usize| p.min(m.start())));
                }
            }
        }
        occ
    }
}
