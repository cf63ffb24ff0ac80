//! The gate: one lazy DFA over every regex rule, run once per text.
//!
//! Owns: telling, for every regex rule, whether it matches anywhere in a text and every offset
//! at which one of its matches ends (the caller uses the largest as a search cap, and the others
//! to skip ahead, see `Detector::run_regex`). A rule's own (capturing) regex then only runs when
//! its pattern matched, and only up to that offset: every match of the rule ends there or
//! earlier, so the rule's leftmost-first matches in `pos..end` are exactly those in
//! `pos..text.len()` (look-around still sees the bytes past `end`), and the search skips the
//! tail of the text after the rule's last match.
//! Must not: report a rule as absent when it could match (on any search error the caller runs
//! every rule on the whole text).

use std::panic::{RefUnwindSafe, UnwindSafe};

use regex_automata::hybrid::dfa::{Cache, DFA, OverlappingState};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Input, MatchKind};

type CacheFn = Box<dyn Fn() -> Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// Compiled gate; pattern `i` is the `i`-th regex rule (see `DetectorParts::gate_rules`).
pub(crate) struct Gate {
    dfa: DFA,
    caches: Pool<Cache, CacheFn>,
}

impl Gate {
    /// Compiles `sources` into one DFA reporting every pattern's match ends (`MatchKind::All`).
    /// `None` if it cannot be built (too large): then every rule runs unconditionally.
    pub(crate) fn build(sources: &[String], nfa_size_limit: usize) -> Option<Gate> {
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    // Words may contain non-ASCII letters: a Unicode `\b` makes the search
                    // stop with an error on them (handled by the caller) instead of guessing.
                    .unicode_word_boundary(true)
                    // Large enough that the lazy DFA does not thrash on ~60 patterns.
                    .cache_capacity(8 << 20),
            )
            .syntax(syntax::Config::new().nest_limit(64))
            .thompson(
                thompson::Config::new()
                    .nfa_size_limit(Some(nfa_size_limit))
                    .which_captures(thompson::WhichCaptures::None),
            )
            .build_many(sources)
            .ok()?;
        let for_pool = dfa.clone();
        let make: CacheFn = Box::new(move || for_pool.create_cache());
        Some(Gate {
            dfa,
            caches: Pool::new(make),
        })
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.dfa.get_nfa().memory_usage() + self.caches.get().memory_usage()
    }

    /// Appends `(p, end)` to `ends` for every offset `end` at which a match of pattern `p` ends
    /// in `hay`, in increasing `end` order (`ends` is cleared first). `false` if the search failed
    /// (the lazy DFA quit on a byte it cannot handle): `ends` is then meaningless.
    pub(crate) fn scan(&self, hay: &[u8], ends: &mut Vec<(u32, usize)>) -> bool {
        ends.clear();
        let mut cache = self.caches.get();
        let input = Input::new(hay);
        let mut state = OverlappingState::start();
        loop {
            if self
                .dfa
                .try_search_overlapping_fwd(&mut cache, &input, &mut state)
                .is_err()
            {
                return false;
            }
            let Some(m) = state.get_match() else {
                return true;
            };
            ends.push((m.pattern().as_u32(), m.offset()));
        }
    }
}

/// The largest `end` recorded for pattern `p` (test helper).
#[cfg(test)]
fn last_end(ends: &[(u32, usize)], p: u32) -> Option<usize> {
    ends.iter().filter(|(q, _)| *q == p).map(|(_, e)| *e).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use regex_automata::meta::Regex;

    fn all_matches(re: &Regex, hay: &[u8], end: usize) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos <= end {
            let Some(m) = re.search(&Input::new(hay).span(pos..end)) else {
                break;
            };
            out.push((m.start(), m.end()));
            pos = if m.end() > m.start() {
                m.end()
            } else {
                m.end() + 1
            };
        }
        out
    }

    #[test]
    fn last_match_end_and_capped_search_agree() {
        let sources = [
            r"(?-u:\b)\d{3}-\d{4}(?-u:\b)".to_owned(),
            r"(?m:^[A-Z][a-z]+$)".to_owned(),
            r"ab|abcd".to_owned(),
            r"zzz".to_owned(),
        ];
        let gate = Gate::build(&sources, 1 << 24).unwrap();
        let hay = b"call 555-0132 or 555-01329 x 555-0199\nMaria\nabcd ab abc";
        let mut ends = Vec::new();
        assert!(gate.scan(hay, &mut ends));
        assert!(ends.windows(2).all(|w| w[0].1 <= w[1].1));
        assert_eq!(last_end(&ends, 0), Some(37));
        assert_eq!(last_end(&ends, 1), Some(43));
        assert_eq!(last_end(&ends, 2), Some(54)); // "ab" of "abc"; "abcd" ends at 42
        assert_eq!(last_end(&ends, 3), None);
        // Every match end of a pattern is reported, not only the last one.
        let phone: Vec<usize> = ends
            .iter()
            .filter(|(p, _)| *p == 0)
            .map(|(_, e)| *e)
            .collect();
        assert_eq!(phone, vec![13, 37]);
        // A rule's matches over `..end` are its matches over the whole text: look-around
        // (`\b`, `$`) still sees the bytes after `end`.
        for (i, src) in sources.iter().enumerate().take(3) {
            let re = Regex::new(src).unwrap();
            let end = last_end(&ends, i as u32).unwrap();
            assert_eq!(
                all_matches(&re, hay, end),
                all_matches(&re, hay, hay.len()),
                "{src}"
            );
        }
        // `\b` before a word byte after the cap: "555-01329" must not match at `..13+5`.
        let re = Regex::new(&sources[0]).unwrap();
        assert!(re.search(&Input::new(hay).span(17..26)).is_none());
    }

    #[test]
    fn unicode_word_boundary_is_a_search_error_not_a_miss() {
        let gate = Gate::build(&[r"\bété\b".to_owned()], 1 << 24).unwrap();
        let mut ends = Vec::new();
        // The lazy DFA cannot decide a Unicode `\b` on non-ASCII text: the scan reports failure
        // (the caller then runs every rule) rather than "no match".
        assert!(!gate.scan("en été".as_bytes(), &mut ends));
        assert!(gate.scan(b"plain ascii", &mut ends));
        assert!(ends.is_empty());
    }
}
