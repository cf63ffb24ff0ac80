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

/// "No occurrence" in the slices filled by [`ContextMatcher::find_into`].
pub(crate) const NONE: usize = usize::MAX;

/// Rules with at most this many unique context patterns keep their occurrences on the stack.
pub(crate) const STACK_PATTERNS: usize = 64;

/// Last whole-word start in the window before and first one in the window after, per unique
/// pattern (test helper view of [`ContextMatcher::find_into`]).
#[cfg(test)]
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

    /// Number of unique patterns (the length of the slices [`ContextMatcher::find_into`] fills).
    pub(crate) fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Whole-word occurrences in `before` (the last one) and `after` (the first one): for every
    /// unique pattern id, its start in `occ_before[id]` / `occ_after[id]`, or [`NONE`]. Both
    /// slices are `pattern_count()` long and are overwritten.
    pub(crate) fn find_into(
        &self,
        before: &[u8],
        after: &[u8],
        occ_before: &mut [usize],
        occ_after: &mut [usize],
    ) {
        occ_before.fill(NONE);
        occ_after.fill(NONE);
        if !before.is_empty() {
            for m in self.ac.find_overlapping_iter(before) {
                let id = m.pattern().as_usize();
                if word_at(before, m.start(), &self.patterns[id]) {
                    let slot = &mut occ_before[id];
                    // Starts come in increasing order: the last one wins.
                    *slot = if *slot == NONE {
                        m.start()
                    } else {
                        (*slot).max(m.start())
                    };
                }
            }
        }
        if !after.is_empty() {
            for m in self.ac.find_overlapping_iter(after) {
                let id = m.pattern().as_usize();
                if occ_after[id] == NONE && word_at(after, m.start(), &self.patterns[id]) {
                    occ_after[id] = m.start();
                }
            }
        }
    }

    /// [`ContextMatcher::find_into`] as `Option`s (tests).
    #[cfg(test)]
    pub(crate) fn find(&self, before: &[u8], after: &[u8]) -> Occurrences {
        let n = self.patterns.len();
        let (mut b, mut a) = (vec![NONE; n], vec![NONE; n]);
        self.find_into(before, after, &mut b, &mut a);
        let opt = |v: Vec<usize>| v.into_iter().map(|p| (p != NONE).then_some(p)).collect();
        Occurrences {
            before: opt(b),
            after: opt(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{find_word, rfind_word};
    use super::*;

    /// The automaton must give exactly what a per-word scan of each window gives.
    #[test]
    fn same_as_per_word_scan() {
        let words: Vec<&[u8]> = vec![
            b"mr",
            b"mrs",
            b"dr",
            b"spoke with",
            b"d.o.b",
            b"n\xc2\xb0",
            b"#",
            b"ss#",
            b"mr",
            b"pr\xc3\xa9nom",
            b"fax",
        ];
        let negative: Vec<&[u8]> = vec![b"order", b"#", b"fax"];
        let cm = ContextMatcher::new(&words, &negative).unwrap().unwrap();
        let texts: [&[u8]; 12] = [
            b"",
            b"Mr",
            b"mrs MR mr. Dr",
            b"xmr mrx Mrs",
            b"Spoke With her, SPOKE WITH",
            b"D.O.B: d.o.b.",
            b"n\xc2\xb0 12 N\xc2\xb0",
            b"order #12 ss# fax#",
            b"pr\xc3\xa9nom: PR\xc3\xa9NOM faxes refax fax",
            b"#order#",
            b"mrmr mr-mr",
            b"the drdr, dr1 dr",
        ];
        for before in texts {
            for after in texts {
                let occ = cm.find(before, after);
                for (i, w) in words.iter().enumerate() {
                    let id = cm.word_ids()[i];
                    assert_eq!(occ.before[id], rfind_word(before, w), "{before:?} {w:?}");
                    assert_eq!(occ.after[id], find_word(after, w), "{after:?} {w:?}");
                }
                for (i, w) in negative.iter().enumerate() {
                    let id = cm.negative_ids()[i];
                    assert_eq!(occ.before[id].is_some(), rfind_word(before, w).is_some());
                    assert_eq!(occ.after[id].is_some(), find_word(after, w).is_some());
                }
            }
        }
    }

    #[test]
    fn no_words_no_matcher() {
        assert!(ContextMatcher::new(&[], &[]).unwrap().is_none());
        assert!(ContextMatcher::new(&[b""], &[]).is_err());
    }
}
