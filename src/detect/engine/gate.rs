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

use regex_automata::hybrid::LazyStateID;
#[cfg(test)]
use regex_automata::hybrid::dfa::OverlappingState;
use regex_automata::hybrid::dfa::{Cache, DFA};
use regex_automata::nfa::thompson;
use regex_automata::util::pool::Pool;
use regex_automata::util::syntax;
use regex_automata::{Anchored, Input, MatchKind};
use regex_syntax::hir::{Capture, Hir, HirKind, Look, Repetition};

type CacheFn = Box<dyn Fn() -> Cache + Send + Sync + UnwindSafe + RefUnwindSafe>;

/// A pool of lazy-DFA caches for `dfa` (one per thread that scans at the same time).
fn cache_pool(dfa: &DFA) -> Pool<Cache, CacheFn> {
    let dfa = dfa.clone();
    let make: CacheFn = Box::new(move || dfa.create_cache());
    Pool::new(make)
}

/// Compiled gate; pattern `i` is the `i`-th regex rule (see `DetectorParts::gate_rules`).
pub(crate) struct Gate {
    /// The patterns in groups of at most [`GROUP_PATTERNS`], one lazy DFA each.
    groups: Vec<Group>,
    /// Per pattern: for patterns whose matches have no length bound but are never empty, a
    /// reverse DFA of the relaxed pattern (see [`Gate::suffix_min_starts`]).
    starts: Vec<Option<Starts>>,
}

/// Patterns per gate DFA. One DFA over all ~100 rule patterns has so many reachable states
/// (combinations of partial matches of every pattern) that on a stream of different documents
/// its lazy cache filled, was cleared and rebuilt over and over: ~95 % of the scan time went
/// into building DFA states (tens of thousands of instructions each), which a benchmark that
/// repeats the same documents never shows. Measured with callgrind on 400 `dev` documents
/// scanned 4 times (docs/performance.md): one DFA, 3.5 G instructions for the first pass and
/// ~2.5 G for each later one (thrashing); groups of 40, 1.6 G and ~0.09 G (warm); groups of 24
/// or 8 are no better on varied text and walk the text more often (one walk per group: 2 KB
/// tickets, 561 k instructions with 40, 643 k with 24, 971 k with 8).
const GROUP_PATTERNS: usize = 40;

/// Lazy-DFA cache per group (and per scanning thread: each thread takes its own cache from the
/// pool). It only grows as states are built. On a stream of varied documents a group's DFA keeps
/// building states until every state the stream reaches is cached; if they do not fit, the
/// cache is cleared and rebuilt over and over. Measured with `gate_growth_diagnostic` (in
/// `patterns/tests.rs`) over the 6,256 corpus documents, 123 patterns in groups of 40: the
/// groups settle at 18.7, 20.0 and 12.8 MB; with 8 MiB each they were cleared 23, 23 and 7 times.
/// Wall clock over those documents scanned four times (docs/performance.md): 8 MiB 10.1–10.9 s,
/// 16 MiB 6.6 s, 24 MiB 3.0–4.1 s. But with 24 MiB `benches/load.sh` showed p99 spikes under
/// peak load (72–349 ms, against 9–19 ms with 8 or 16 MiB; not explained yet), so 16 MiB: most
/// of the long-stream gain without them. Worst case 4 × 16 MiB per scanning thread.
const GROUP_CACHE_BYTES: usize = 16 << 20;

/// One lazy DFA over a group of patterns; its pattern `i` is the gate's pattern `first + i`.
struct Group {
    dfa: DFA,
    caches: Pool<Cache, CacheFn>,
    first: u32,
}

/// A reverse, anchored lazy DFA of one relaxed pattern, reporting every match start
/// (`MatchKind::All`): walked backwards from a match end, it finds the smallest start of a match
/// ending there.
struct Starts {
    dfa: DFA,
    caches: Pool<Cache, CacheFn>,
}

impl Starts {
    fn build(hir: &Hir, nfa_size_limit: usize) -> Option<Starts> {
        let nfa = thompson::Compiler::new()
            .configure(
                thompson::Config::new()
                    .nfa_size_limit(Some(nfa_size_limit))
                    .which_captures(thompson::WhichCaptures::None)
                    .reverse(true),
            )
            .build_from_hir(hir)
            .ok()?;
        let dfa = DFA::builder()
            .configure(
                DFA::config()
                    .match_kind(MatchKind::All)
                    .unicode_word_boundary(true),
            )
            .build_from_nfa(nfa)
            .ok()?;
        Some(Starts {
            caches: cache_pool(&dfa),
            dfa,
        })
    }

    fn memory_usage(&self) -> usize {
        self.dfa.get_nfa().memory_usage() + self.caches.get().memory_usage()
    }

    /// The smallest `s` such that a match spans `s..end` in `hay` (`None` if none, or if more
    /// than `*budget` bytes would have to be walked; the budget is decreased by the bytes
    /// walked). Matches are delayed by one byte: the state reached on `hay[at]` says whether a
    /// match starts at `at + 1`.
    fn smallest_start(
        &self,
        cache: &mut Cache,
        hay: &[u8],
        end: usize,
        budget: &mut usize,
    ) -> Result<Option<usize>, ()> {
        let dfa = &self.dfa;
        let input = Input::new(hay).span(0..end).anchored(Anchored::Yes);
        let mut sid = dfa.start_state_reverse(cache, &input).map_err(|_| ())?;
        let mut smallest = None;
        let mut at = end;
        // The walk may not go below `floor` (`*budget` bytes from `end`).
        let floor = end.saturating_sub(*budget);
        while at > 0 {
            if at == floor {
                return Err(());
            }
            at -= 1;
            let prev = sid;
            sid = if prev.is_tagged() {
                dfa.next_state(cache, prev, hay[at]).map_err(|_| ())?
            } else {
                dfa.next_state_untagged(cache, prev, hay[at])
            };
            if sid.is_tagged() {
                if sid.is_unknown() {
                    sid = dfa.next_state(cache, prev, hay[at]).map_err(|_| ())?;
                }
                if sid.is_match() {
                    smallest = Some(at + 1);
                } else if sid.is_dead() {
                    *budget -= end - at;
                    return Ok(smallest);
                } else if sid.is_quit() {
                    return Err(());
                }
            }
        }
        *budget -= end;
        let eoi = dfa.next_eoi_state(cache, sid).map_err(|_| ())?;
        if eoi.is_quit() {
            return Err(());
        }
        Ok(if eoi.is_match() { Some(0) } else { smallest })
    }
}

impl Gate {
    /// Compiles `sources` into one DFA reporting every pattern's match ends (`MatchKind::All`).
    /// `None` if it cannot be built (too large): then every rule runs unconditionally.
    ///
    /// Unicode word-boundary assertions (`\b`, `\B` and their start/end forms) are removed from
    /// the gate's copy of each pattern (see [`relax_unicode_word_looks`]): a lazy DFA cannot
    /// evaluate them on non-ASCII bytes and would give up on every text with an accent, a
    /// curly quote or a no-break space. Dropping an assertion only widens what a pattern
    /// matches, so the gate still reports every end of every real match (plus some that the
    /// rule's own regex, which keeps its `\b`, then rejects).
    pub(crate) fn build(sources: &[String], nfa_size_limit: usize) -> Option<Gate> {
        Gate::build_with(sources, nfa_size_limit, GROUP_PATTERNS, GROUP_CACHE_BYTES)
    }

    /// [`Gate::build`] with `group_patterns` patterns per group and `cache_bytes` of lazy-DFA
    /// cache per group.
    pub(crate) fn build_with(
        sources: &[String],
        nfa_size_limit: usize,
        group_patterns: usize,
        cache_bytes: usize,
    ) -> Option<Gate> {
        let mut hirs = Vec::with_capacity(sources.len());
        for src in sources {
            let hir = syntax::parse_with(src, &syntax::Config::new().nest_limit(64)).ok()?;
            hirs.push(relax_unicode_word_looks(&hir));
        }
        // Relaxing keeps lengths: a pattern is unbounded and never empty iff its relaxed copy is.
        let starts = hirs
            .iter()
            .map(|h| {
                let p = h.properties();
                let unbounded_non_empty = p.maximum_len().is_none() && p.minimum_len()? > 0;
                if unbounded_non_empty {
                    Starts::build(h, nfa_size_limit)
                } else {
                    None
                }
            })
            .collect();
        let mut groups = Vec::new();
        for (g, chunk) in hirs.chunks(group_patterns.max(1)).enumerate() {
            let nfa = thompson::Compiler::new()
                .configure(
                    thompson::Config::new()
                        .nfa_size_limit(Some(nfa_size_limit))
                        .which_captures(thompson::WhichCaptures::None),
                )
                .build_many_from_hir(chunk)
                .ok()?;
            let dfa = DFA::builder()
                .configure(
                    DFA::config()
                        .match_kind(MatchKind::All)
                        // No Unicode word boundary is left; should one ever be, the search stops
                        // with an error on non-ASCII bytes (the caller then runs every rule)
                        // instead of guessing.
                        .unicode_word_boundary(true)
                        .cache_capacity(cache_bytes),
                )
                .build_from_nfa(nfa)
                .ok()?;
            groups.push(Group {
                caches: cache_pool(&dfa),
                dfa,
                first: (g * group_patterns.max(1)) as u32,
            });
        }
        Some(Gate { groups, starts })
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.groups
            .iter()
            .map(|g| g.dfa.get_nfa().memory_usage() + g.caches.get().memory_usage())
            .sum::<usize>()
            + self
                .starts
                .iter()
                .flatten()
                .map(Starts::memory_usage)
                .sum::<usize>()
    }

    /// For pattern `p` and its match ends `ends` in `hay` (increasing, as reported by
    /// [`Gate::scan`]), fills `out[k]` with the smallest start of any match of the (relaxed)
    /// pattern ending at `ends[j]` for some `j >= k` (`usize::MAX` if none). So no match of the
    /// pattern that ends after `ends[k - 1]` starts before `out[k]`: a search for the rule's
    /// next match past `ends[k - 1]` may start there (see `Detector::run_regex`).
    ///
    /// `false` (and `out` meaningless) if `p` has no reverse DFA, a walk fails, or the walks
    /// would cover more than `2 * hay.len() + 256` bytes in all (patterns such as `[^\n]+`
    /// have a match end at every byte): the caller then searches without this bound.
    pub(crate) fn suffix_min_starts(
        &self,
        p: usize,
        hay: &[u8],
        ends: &[usize],
        out: &mut Vec<usize>,
    ) -> bool {
        let Some(Some(starts)) = self.starts.get(p) else {
            return false;
        };
        let mut cache = starts.caches.get();
        let mut budget = 2 * hay.len() + 256;
        out.clear();
        out.resize(ends.len(), usize::MAX);
        let mut min = usize::MAX;
        for k in (0..ends.len()).rev() {
            match starts.smallest_start(&mut cache, hay, ends[k], &mut budget) {
                Ok(s) => min = min.min(s.unwrap_or(usize::MAX)),
                Err(()) => return false,
            }
            out[k] = min;
        }
        true
    }

    /// Appends `(p, end)` to `ends` for every offset `end` at which a match of pattern `p` ends
    /// in `hay` (`ends` is cleared first), group by group, each group's in increasing `end`
    /// order (then pattern order): so one pattern's ends are increasing. Not sorted across
    /// groups: the caller buckets the ends by rule anyway, and sorting ~1,000 ends of a 2 KB
    /// text cost more than a walk. `false` if the search failed (a lazy DFA quit on a byte it
    /// cannot handle): `ends` is then meaningless.
    pub(crate) fn scan(&self, hay: &[u8], ends: &mut Vec<(u32, usize)>) -> bool {
        ends.clear();
        for g in &self.groups {
            if !g.walk(hay, ends) {
                return false;
            }
        }
        true
    }

    /// The same as [`Gate::scan`] through `regex_automata`'s own overlapping search (tests).
    #[cfg(test)]
    fn scan_reference(&self, hay: &[u8], ends: &mut Vec<(u32, usize)>) -> bool {
        ends.clear();
        for g in &self.groups {
            let mut cache = g.caches.get();
            let input = Input::new(hay);
            let mut state = OverlappingState::start();
            loop {
                if g.dfa
                    .try_search_overlapping_fwd(&mut cache, &input, &mut state)
                    .is_err()
                {
                    return false;
                }
                let Some(m) = state.get_match() else {
                    break;
                };
                ends.push((g.first + m.pattern().as_u32(), m.offset()));
            }
        }
        true
    }
}

impl Group {
    /// Appends `(p, end)` (`p` a gate pattern id) to `ends` for every offset `end` at which a match
    /// of one of the group's patterns ends in `hay`, in increasing `end` order. `false` if the
    /// search failed (the lazy DFA quit on a byte it cannot handle).
    ///
    /// The same walk as `regex_automata`'s overlapping search (`try_search_overlapping_fwd`,
    /// which the unit tests compare it with), without its per-byte bookkeeping: one table lookup
    /// per byte while the state is an ordinary one, the general transition only for special
    /// (match, dead, quit, not yet computed) states. Matches are delayed by one byte: the state
    /// reached on `hay[at]` says which patterns have a match ending at `at`.
    fn walk(&self, hay: &[u8], ends: &mut Vec<(u32, usize)>) -> bool {
        let mut cache = self.caches.get();
        let cache = &mut *cache;
        let dfa = &self.dfa;
        let Ok(mut sid) = dfa.start_state_forward(cache, &Input::new(hay)) else {
            return false;
        };
        // Like the library's search: when some pattern can match the empty string, no match is
        // reported at an offset inside a UTF-8 encoded character.
        let skip_splits = dfa.get_nfa().has_empty() && dfa.get_nfa().is_utf8();
        let mut record = |cache: &Cache, sid: LazyStateID, at: usize| {
            if skip_splits && hay.get(at).is_some_and(|&b| (b as i8) < -0x40) {
                return;
            }
            for i in 0..dfa.match_len(cache, sid) {
                ends.push((self.first + dfa.match_pattern(cache, sid, i).as_u32(), at));
            }
        };
        let mut at = 0;
        while at < hay.len() {
            if !sid.is_tagged() {
                // Ordinary states: one table lookup per byte, nothing else, until a transition
                // leads to a special state (the cache is not modified in this loop).
                let mut next = dfa.next_state_untagged(cache, sid, hay[at]);
                while !next.is_tagged() {
                    sid = next;
                    at += 1;
                    let Some(&byte) = hay.get(at) else { break };
                    next = dfa.next_state_untagged(cache, sid, byte);
                }
                if at == hay.len() {
                    break;
                }
            }
            let byte = hay[at];
            let prev = sid;
            sid = if prev.is_tagged() {
                match dfa.next_state(cache, prev, byte) {
                    Ok(next) => next,
                    Err(_) => return false,
                }
            } else {
                dfa.next_state_untagged(cache, prev, byte)
            };
            if sid.is_tagged() {
                if sid.is_unknown() {
                    // Not computed yet (or the cache was cleared): compute it now.
                    match dfa.next_state(cache, prev, byte) {
                        Ok(next) => sid = next,
                        Err(_) => return false,
                    }
                }
                if sid.is_match() {
                    record(cache, sid, at);
                } else if sid.is_dead() {
                    return true;
                } else if sid.is_quit() {
                    return false;
                }
            }
            at += 1;
        }
        match dfa.next_eoi_state(cache, sid) {
            Ok(eoi) if eoi.is_quit() => false,
            Ok(eoi) => {
                if eoi.is_match() {
                    record(cache, eoi, hay.len());
                }
                true
            }
            Err(_) => false,
        }
    }
}

/// `hir` with every Unicode word-boundary assertion replaced by the empty regex: a superset of
/// the original (every match of `hir` is a match of the result, with the same span).
fn relax_unicode_word_looks(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(
            Look::WordUnicode
            | Look::WordUnicodeNegate
            | Look::WordStartUnicode
            | Look::WordEndUnicode
            | Look::WordStartHalfUnicode
            | Look::WordEndHalfUnicode,
        ) => Hir::empty(),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) | HirKind::Look(_) => hir.clone(),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(relax_unicode_word_looks(&r.sub)),
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            index: c.index,
            name: c.name.clone(),
            sub: Box::new(relax_unicode_word_looks(&c.sub)),
        }),
        HirKind::Concat(v) => Hir::concat(v.iter().map(relax_unicode_word_looks).collect()),
        HirKind::Alternation(v) => {
            Hir::alternation(v.iter().map(relax_unicode_word_looks).collect())
        }
    }
}

#[cfg(test)]
impl Gate {
    /// Per group, after walking `texts` in order: (patterns, cache bytes, cache clears).
    pub(crate) fn growth_stats(&self, texts: &[String]) -> Vec<(usize, usize, usize)> {
        let mut ends = Vec::new();
        self.groups
            .iter()
            .map(|g| {
                for t in texts {
                    ends.clear();
                    g.walk(t.as_bytes(), &mut ends);
                }
                let c = g.caches.get();
                (g.dfa.pattern_len(), c.memory_usage(), c.clear_count())
            })
            .collect()
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
        for p in 0..4 {
            let of_p: Vec<usize> = ends.iter().filter(|e| e.0 == p).map(|e| e.1).collect();
            assert!(
                of_p.windows(2).all(|w| w[0] < w[1]),
                "pattern {p}: {of_p:?}"
            );
        }
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
    fn unicode_word_boundaries_are_relaxed_not_a_search_error() {
        let sources = [r"\bété\b".to_owned(), r"\b\d{3}\b".to_owned()];
        let gate = Gate::build(&sources, 1 << 24).unwrap();
        let mut ends = Vec::new();
        // Non-ASCII text no longer stops the gate: `\b` is dropped from its copy of each
        // pattern, so every real match end is still reported ...
        assert!(gate.scan("en été, n° 123 «ok»".as_bytes(), &mut ends));
        assert!(ends.contains(&(0, "en été".len())));
        assert!(ends.contains(&(1, "en été, n° 123".len())));
        // ... and some that the rule's own regex (which keeps `\b`) rejects: a superset.
        assert!(gate.scan("1234 étés".as_bytes(), &mut ends));
        assert!(ends.contains(&(1, 3)) && ends.contains(&(0, "1234 été".len())));
        assert!(gate.scan(b"plain ascii", &mut ends));
        assert!(ends.is_empty());
    }

    #[test]
    fn relaxed_gate_reports_every_real_match_end_on_unicode_text() {
        let sources = [
            r"\b\d{2}/\d{2}/\d{4}\b".to_owned(),
            r"(?i)\bné(?:e)?\s+le\b".to_owned(),
            r"\B-\d+".to_owned(),
        ];
        let gate = Gate::build(&sources, 1 << 24).unwrap();
        let hay = "Mme Émilie née le 14/03/1962 à Paris — réf. x-42, 😀 01/02/2003é 5-6";
        let mut ends = Vec::new();
        assert!(gate.scan(hay.as_bytes(), &mut ends));
        for (i, src) in sources.iter().enumerate() {
            let re = Regex::new(src).unwrap();
            for (_, e) in all_matches(&re, hay.as_bytes(), hay.len()) {
                assert!(ends.contains(&(i as u32, e)), "{src}: end {e} not reported");
            }
        }
    }

    /// The hand-written walk reports exactly what the library's overlapping search does: same
    /// `(pattern, end)` pairs in the same order, on texts with matches at the start, the end,
    /// empty matches, multi-byte text and `$`/`^` look-arounds.
    #[test]
    fn fast_walk_equals_library_overlapping_search() {
        let sources = [
            r"(?-u:\b)\d{3}-\d{4}(?-u:\b)".to_owned(),
            r"(?m:^[A-Z][a-z]+$)".to_owned(),
            r"ab|abcd".to_owned(),
            r"\d*".to_owned(),
            r"\bété\b".to_owned(),
            r"(?i)dr\.?\s+[a-z]+".to_owned(),
            r"x$".to_owned(),
        ];
        let gate = Gate::build(&sources, 1 << 24).unwrap();
        let texts = [
            "",
            "x",
            "555-0132",
            "call 555-0132 or 555-01329 x 555-0199\nMaria\nabcd ab abc",
            "Dr. Chen, dr   house; DR.X été 😀 1234 étés\r\nZoe\n",
            "abcdabcdab 12 3 45 x",
        ];
        for t in texts {
            let (mut fast, mut reference) = (Vec::new(), Vec::new());
            assert!(gate.scan(t.as_bytes(), &mut fast));
            assert!(gate.scan_reference(t.as_bytes(), &mut reference));
            assert_eq!(fast, reference, "{t:?}");
        }
    }

    proptest::proptest! {
        /// Same as above on random ASCII/UTF-8 text (with the shipped-like patterns above).
        #[test]
        fn fast_walk_equals_library_on_random_text(t in "[a-zA-Z0-9 .\\-/é\n]{0,200}") {
            let sources = [
                r"\b\d{2}/\d{2}/\d{4}\b".to_owned(),
                r"(?-u:\b)\d{3}-\d{4}(?-u:\b)".to_owned(),
                r"(?m:^[A-Z][a-z]+$)".to_owned(),
                r"\d*".to_owned(),
                r"[a-z]+é".to_owned(),
            ];
            let gate = Gate::build(&sources, 1 << 24).unwrap();
            let (mut fast, mut reference) = (Vec::new(), Vec::new());
            proptest::prop_assert!(gate.scan(t.as_bytes(), &mut fast));
            proptest::prop_assert!(gate.scan_reference(t.as_bytes(), &mut reference));
            proptest::prop_assert_eq!(fast, reference);
        }
    }
}
