//! The compiled [`Detector`] and the scan loop.
//!
//! Owns: candidate generation (keyword pre-filter, one multi-pattern gate for keyword-less regex
//! rules, per-rule regexes, one combined dictionary-term automaton, the name tokenizer), scoring
//! (validators, context windows, allow-lists), overlap resolution and char offsets.
//! Must not: do I/O, log, or keep mutable state between scans. Compiled by `crate::patterns`.
//!
//! # Scan pipeline
//! 1. Every regex rule is gated by one multi-pattern lazy DFA ([`Gate`], a single overlapping
//!    pass that also records where each rule's matches end; Unicode `\b` is relaxed in the
//!    gate's copy so that non-ASCII text keeps the fast path): only rules that match somewhere
//!    go on.
//! 2. Keyword pre-filter, for those rules only: a rule with `keywords` runs only if one of them
//!    starts a word somewhere in the text (one small ASCII-case-insensitive Aho-Corasick
//!    automaton per rule, stopping at the first hit). The rule's own regex then finds positions
//!    and capture groups, only up to the gate's last end, each search starting where the next
//!    match can first start: just before the next end for bounded rules, at the smallest start
//!    a reverse DFA finds for the remaining ends for unbounded ones (see `Detector::run_regex`).
//! 3. Case-insensitive dictionary "terms" rules share one leftmost-longest Aho-Corasick DFA;
//!    hits must sit on word boundaries. Case-sensitive ones (city names) are looked up at
//!    capitalised words only (see `terms`). "names" rules walk the text's word tokens (computed
//!    once, shared) and look each capitalised one up (one hash lookup per token) in a map
//!    merging their dictionaries into flags.
//! 4. Every candidate goes through: rule allow-list, global allow-list (unless the rule opts out),
//!    validators (all must pass), context scoring (one Aho-Corasick pass per window over the
//!    rule's context and negative words, see `context`), and the rule's `min_score` floor.
//! 5. Overlaps are resolved (see [`Detector::scan`]); a names rule with `propagate_mentions`
//!    then adds the other mentions of strong names; char offsets are computed in one pass.

mod context;
mod gate;
mod terms;

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use aho_corasick::AhoCorasick;
use regex_automata::Input;
use regex_automata::meta::Regex;

use self::context::ContextMatcher;
pub(crate) use self::gate::Gate;
use self::terms::TermIndex;
use super::validators::Validator;
use super::{ContextHit, ContextSide, Explanation, Finding, Label};

/// Lower-cased word list (one entry per normalised term).
///
/// Hashed with [`FxHasher`]: the sets are built once from rule files and only looked up at scan
/// time, so a keyed (DoS-resistant) hash buys nothing and SipHash costs more than the lookup.
pub(crate) type WordSet = HashSet<Box<[u8]>, BuildHasherDefault<FxHasher>>;

/// Lower-cased token → `N_*` flags of one names rule.
type NameIndex = HashMap<Box<[u8]>, u8, BuildHasherDefault<FxHasher>>;
const N_TITLE: u8 = 1;
const N_STOP: u8 = 2;
const N_FIRST: u8 = 4;
const N_LAST: u8 = 8;
const N_COMMON: u8 = 16;
/// A token with any of these flags is never a "strong" name (a common word, stop-word or title).
const N_NOT_STRONG: u8 = N_COMMON | N_STOP | N_TITLE;

/// The multiply-rotate hash of rustc (`FxHash`), eight bytes per step.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

impl FxHasher {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(Self::SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            // The length keeps "ab" and "ab\0" apart.
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 59));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A compiled rule. Built by `crate::patterns`.
pub(crate) struct Rule {
    pub id: Arc<str>,
    pub label: Label,
    pub base_score: f32,
    pub min_score: f32,
    pub matcher: Matcher,
    pub validators: Vec<(&'static str, Validator)>,
    pub context: Context,
    pub allow: Allow,
    pub use_global_allow: bool,
}

pub(crate) enum Matcher {
    /// `group` = number of explicit capture groups (0 = the whole match is the value);
    /// `max_len` = the longest match in bytes, when bounded and every match is non-empty
    /// (lets the search skip ahead to just before the next match end the gate saw).
    Regex {
        re: Regex,
        group: usize,
        max_len: Option<usize>,
    },
    /// Phrases from dictionaries; matched by the detector's shared terms automaton.
    Terms { case_sensitive: bool },
    /// Capitalised-token name finder.
    Names(Box<NameDicts>),
}

pub(crate) struct NameDicts {
    pub first: WordSet,
    pub last: WordSet,
    pub common: WordSet,
    pub titles: WordSet,
    pub stop: WordSet,
    /// Organisation suffixes ("Bank", "Hospital"): the capitalised run before one is dropped.
    pub org: WordSet,
    /// Report all-lower-case `first last` pairs too (see `RawNames::lower_case_pairs`).
    pub lower_case_pairs: bool,
    /// Report `Last, First` too (see `RawNames::last_comma_first`).
    pub last_comma_first: bool,
    /// Report other mentions of found names (see `RawNames::propagate_mentions`).
    pub propagate_mentions: bool,
}

/// Score adjustment of a `Last, First` pair: a little above a lone strong name, below two strong
/// tokens in a row (a comma between two names is also how lists are written).
const LAST_COMMA_FIRST_ADJUST: f32 = 0.1;

/// A NAME finding with at least this score lends its words to `propagate_mentions`.
const MENTION_SOURCE_MIN_SCORE: f32 = 0.7;

/// A mention scores this much less than the finding it repeats.
const MENTION_PENALTY: f32 = 0.1;

/// Score adjustment of an all-lower-case `first last` pair: base 0.6 → 0.5 on its own, more
/// with a context word ("my name is", "spoke with").
const LOWER_PAIR_ADJUST: f32 = -0.1;

#[derive(Default)]
pub(crate) struct Context {
    /// Lower-cased context words with the spelling used in the rule file.
    pub words: Vec<(Box<[u8]>, Arc<str>)>,
    pub negative_words: Vec<Box<[u8]>>,
    pub window_before: usize,
    pub window_after: usize,
    pub required: bool,
    pub boost: f32,
    pub penalty: f32,
    pub negative_penalty: f32,
}

#[derive(Default)]
pub(crate) struct Allow {
    /// Lower-cased exact values.
    pub values: HashSet<String, BuildHasherDefault<FxHasher>>,
    /// Every allow regex of the list as one multi-pattern regex (matches if any does).
    pub regexes: Option<Regex>,
    /// When every allow regex is anchored at the start of the value (`^...`), the bytes a
    /// matching value can start with (a value starting with any other byte matches none of them,
    /// so the regex is not run); `None` when unknown.
    pub regex_first_bytes: Option<Box<[bool; 256]>>,
    /// Lower-cased substrings.
    pub stopwords: Vec<String>,
}

impl Allow {
    /// Whether the list allows `value`: its trimmed, lower-cased form is one of `values` or
    /// contains one of `stopwords`, or one of `regexes` matches the value as is.
    fn allows(&self, value: &str) -> bool {
        if !self.values.is_empty() || !self.stopwords.is_empty() {
            let trimmed = value.trim();
            let mut buf = [0u8; 64];
            // Short ASCII values (nearly all candidates) are lower-cased on the stack.
            let owned;
            let lower: &str = if trimmed.is_ascii() && trimmed.len() <= buf.len() {
                let b = &mut buf[..trimmed.len()];
                b.copy_from_slice(trimmed.as_bytes());
                b.make_ascii_lowercase();
                std::str::from_utf8(b).unwrap_or_default()
            } else {
                owned = trimmed.to_lowercase();
                &owned
            };
            if self.values.contains(lower)
                || self.stopwords.iter().any(|s| lower.contains(s.as_str()))
            {
                return true;
            }
        }
        let Some(re) = &self.regexes else {
            return false;
        };
        if let Some(first) = &self.regex_first_bytes {
            // Start-anchored regexes: a value that cannot begin a match is not run through them.
            match value.as_bytes().first() {
                Some(&b) if first[usize::from(b)] => {}
                Some(_) => return false,
                None => {}
            }
        }
        re.is_match(value)
    }

    fn heap_bytes(&self) -> usize {
        self.values.iter().map(|v| v.capacity() + 32).sum::<usize>()
            + self.regexes.as_ref().map_or(0, Regex::memory_usage)
            + self
                .stopwords
                .iter()
                .map(|s| s.capacity() + 24)
                .sum::<usize>()
    }
}

/// The compiled rule set. Cheap to share (`Arc<Detector>`), `Send + Sync`, immutable.
pub struct Detector {
    pub(crate) rules: Vec<Rule>,
    /// Per rule, its keywords as one automaton (`None` when it has none).
    keywords: Vec<Option<AhoCorasick>>,
    /// Multi-pattern gate over every regex rule; pattern id → rule index.
    gate: Option<Gate>,
    gate_rules: Vec<u32>,
    /// Rule index → its gate pattern id (inverse of `gate_rules`).
    rule_gate_pattern: Vec<Option<u32>>,
    terms_ac: Option<AhoCorasick>,
    /// Terms pattern id → rule index.
    term_rules: Vec<u32>,
    /// The terms of case-sensitive terms rules.
    capitalised_terms: TermIndex,
    /// Per rule, its compiled context words (`None` when it has none).
    context: Vec<Option<ContextMatcher>>,
    /// Per names rule, its dictionaries merged into one token → `N_*` flags map (one lookup per
    /// capitalised token instead of five); empty for other rules.
    name_index: Vec<NameIndex>,
    /// Per names rule with `lower_case_pairs`, a bitmap over [`pair_filter_bit`] of its strong
    /// first names: most lower-case words are rejected without hashing them.
    lower_first_filter: Vec<Option<Box<[u64]>>>,
    /// Per rule, the names of its validators (every finding passed all of them).
    validator_names: Vec<Arc<[&'static str]>>,
    /// The first names rule with `propagate_mentions`, if any.
    mention_rule: Option<usize>,
    /// The explanation "validator" of a propagated mention.
    mention_explanation: Arc<[&'static str]>,
    global_allow: Allow,
    min_score: f32,
    dict_bytes: usize,
}

impl std::fmt::Debug for Detector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detector")
            .field("rules", &self.rules.len())
            .field("min_score", &self.min_score)
            .finish_non_exhaustive()
    }
}

/// Inputs to [`Detector::build`], assembled by the loader.
pub(crate) struct DetectorParts {
    pub rules: Vec<Rule>,
    /// Per rule, its keywords (lower-cased).
    pub keywords: Vec<Vec<String>>,
    /// Per terms rule index, its phrases (lower-cased unless case-sensitive).
    pub terms: Vec<(usize, Vec<String>)>,
    pub global_allow: Allow,
    pub min_score: f32,
    /// Multi-pattern gate over every regex rule (pattern `i` is rule `gate_rules[i]`);
    /// without a gate, keyword-less regex rules run on every text.
    pub gate: Option<Gate>,
    pub gate_rules: Vec<u32>,
    pub dict_bytes: usize,
}

impl Detector {
    pub(crate) fn build(parts: DetectorParts) -> Result<Detector, String> {
        let DetectorParts {
            rules,
            keywords,
            terms,
            global_allow,
            min_score,
            gate,
            gate_rules,
            dict_bytes,
        } = parts;
        // Keyword automata, one per rule (checked only for rules the gate lets through).
        let mut keyword_acs = Vec::with_capacity(keywords.len());
        for (ri, kws) in keywords.iter().enumerate() {
            keyword_acs.push(if kws.is_empty() {
                None
            } else {
                Some(
                    AhoCorasick::builder()
                        .ascii_case_insensitive(true)
                        .build(kws)
                        .map_err(|e| format!("rule {}: keyword automaton: {e}", rules[ri].id))?,
                )
            });
        }
        // Terms automaton (case-insensitive rules) and index (capitalised terms, see `terms`).
        let mut term_patterns: Vec<String> = Vec::new();
        let mut term_rules = Vec::new();
        let mut capitalised = Vec::new();
        for (ri, phrases) in terms {
            let case_sensitive = matches!(
                rules[ri].matcher,
                Matcher::Terms {
                    case_sensitive: true
                }
            );
            for p in phrases {
                if case_sensitive {
                    capitalised.push((p, ri as u32));
                } else {
                    term_patterns.push(p);
                    term_rules.push(ri as u32);
                }
            }
        }
        let capitalised_terms = TermIndex::new(capitalised)?;
        let terms_ac = if term_patterns.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    // A DFA: ~3× faster than the contiguous NFA on prose. It holds the ~1,250
                    // case-insensitive terms only; the ~4,400 city and town names would add
                    // 17 MiB of transition table (see `terms`).
                    .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                    .match_kind(aho_corasick::MatchKind::LeftmostLongest)
                    .build(&term_patterns)
                    .map_err(|e| format!("dictionary automaton: {e}"))?,
            )
        };
        let mut context = Vec::with_capacity(rules.len());
        for r in &rules {
            let words: Vec<&[u8]> = r.context.words.iter().map(|(w, _)| &**w).collect();
            let negative: Vec<&[u8]> = r.context.negative_words.iter().map(|w| &**w).collect();
            context.push(
                ContextMatcher::new(&words, &negative)
                    .map_err(|e| format!("rule {}: {e}", r.id))?,
            );
        }
        // Merge each names rule's word sets into one flags map; the sets are emptied (their
        // entries live in the map) except `org`, which is looked up on its own.
        let mut rules = rules;
        let mut name_index = Vec::with_capacity(rules.len());
        for r in &mut rules {
            let mut idx = NameIndex::default();
            if let Matcher::Names(d) = &mut r.matcher {
                for (set, flag) in [
                    (std::mem::take(&mut d.titles), N_TITLE),
                    (std::mem::take(&mut d.stop), N_STOP),
                    (std::mem::take(&mut d.first), N_FIRST),
                    (std::mem::take(&mut d.last), N_LAST),
                    (std::mem::take(&mut d.common), N_COMMON),
                ] {
                    for k in set {
                        *idx.entry(k).or_insert(0) |= flag;
                    }
                }
                idx.shrink_to_fit();
            }
            name_index.push(idx);
        }
        let lower_first_filter = rules
            .iter()
            .zip(&name_index)
            .map(|(r, idx)| match &r.matcher {
                Matcher::Names(d) if d.lower_case_pairs => {
                    let mut bits = vec![0u64; PAIR_FILTER_WORDS].into_boxed_slice();
                    for (k, &f) in idx {
                        if f & N_FIRST != 0 && f & N_NOT_STRONG == 0 {
                            let b = pair_filter_bit(k);
                            bits[b / 64] |= 1 << (b % 64);
                        }
                    }
                    Some(bits)
                }
                _ => None,
            })
            .collect();
        let mut rule_gate_pattern = vec![None; rules.len()];
        for (pid, &ri) in gate_rules.iter().enumerate() {
            rule_gate_pattern[ri as usize] = Some(pid as u32);
        }
        let validator_names = rules
            .iter()
            .map(|r| r.validators.iter().map(|(n, _)| *n).collect())
            .collect();
        let mention_rule = rules
            .iter()
            .position(|r| matches!(&r.matcher, Matcher::Names(d) if d.propagate_mentions));
        Ok(Detector {
            validator_names,
            mention_rule,
            mention_explanation: Arc::from(["mention"]),
            context,
            name_index,
            lower_first_filter,
            rules,
            keywords: keyword_acs,
            gate,
            gate_rules,
            rule_gate_pattern,
            terms_ac,
            term_rules,
            capitalised_terms,
            global_allow,
            min_score,
            dict_bytes,
        })
    }

    /// The default minimum score callers should apply (`[settings] min_score` in
    /// `global.toml`). [`Detector::scan`] does not apply it: it only drops findings below each
    /// rule's own `min_score` floor (0 unless the rule sets one).
    pub fn min_score(&self) -> f32 {
        self.min_score
    }

    /// Number of compiled rules.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Number of rules per label, for every label that has at least one rule, in `Label::ALL` order.
    pub fn rules_per_label(&self) -> Vec<(Label, usize)> {
        Label::ALL
            .iter()
            .map(|l| (*l, self.rules.iter().filter(|r| r.label == *l).count()))
            .filter(|(_, n)| *n > 0)
            .collect()
    }

    /// Rule ids in load order.
    pub fn rule_ids(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| &*r.id)
    }

    /// Approximate heap size of the compiled detector: regex engines (as reported by
    /// `regex-automata`), automata (as reported by `aho-corasick`), dictionaries (entry bytes plus
    /// a per-entry hash-table overhead) and allow-lists.
    pub fn approx_heap_bytes(&self) -> usize {
        let mut total = self.dict_bytes;
        total += self
            .keywords
            .iter()
            .flatten()
            .map(AhoCorasick::memory_usage)
            .sum::<usize>();
        total += self.terms_ac.as_ref().map_or(0, AhoCorasick::memory_usage);
        total += self.capitalised_terms.heap_bytes();
        total += self.gate.as_ref().map_or(0, Gate::memory_usage);
        total += self.term_rules.len() * 4 + self.gate_rules.len() * 4;
        total += self.global_allow.heap_bytes();
        // The merged name maps hold the dictionary entries counted in `dict_bytes`.
        total += self
            .context
            .iter()
            .flatten()
            .map(ContextMatcher::memory_usage)
            .sum::<usize>();
        for r in &self.rules {
            total += std::mem::size_of::<Rule>();
            if let Matcher::Regex { re, .. } = &r.matcher {
                total += re.memory_usage();
            }
            total += r.allow.heap_bytes();
            total += r
                .context
                .words
                .iter()
                .map(|(w, s)| w.len() + s.len() + 48)
                .sum::<usize>();
        }
        total
    }

    /// Scans plain text.
    ///
    /// Returns non-overlapping findings sorted by position. Overlaps between candidates (of any
    /// rule or label) are resolved greedily: the higher score wins, then the longer span (bytes),
    /// then the rule loaded first, then the earlier start. Findings below their rule's `min_score`
    /// are dropped before overlap resolution; the global [`Detector::min_score`] is NOT applied.
    // Never inlined: one call per text, and profiles (docs/performance.md) attribute to it.
    #[inline(never)]
    pub fn scan(&self, text: &str) -> Vec<Finding> {
        let mut cands = self.candidates(text);
        resolve_overlaps(&mut cands);
        self.propagate_mentions(text, &mut cands);
        fill_char_offsets(text, &mut cands);
        cands
    }

    /// Scans the visible text of an HTML fragment (tags stripped, entities decoded, `script`,
    /// `style` and comments skipped) and maps every finding back to byte and char offsets in
    /// `html`. A finding's original span covers whole entities; it may contain tags if the value
    /// is split by inline markup (`<b>Jo</b>hn`).
    pub fn scan_html(&self, html: &str) -> Vec<Finding> {
        let visible = super::html::VisibleText::extract(html);
        let mut cands = self.candidates(&visible.text);
        resolve_overlaps(&mut cands);
        self.propagate_mentions(&visible.text, &mut cands);
        for f in &mut cands {
            let (s, e) = visible.map_span(f.byte_start, f.byte_end);
            f.byte_start = s;
            f.byte_end = e;
        }
        // Mapped spans keep their order and stay disjoint (segments are monotonic).
        fill_char_offsets(html, &mut cands);
        cands
    }

    fn candidates(&self, text: &str) -> Vec<Finding> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        if text.is_empty() {
            return out;
        }
        // The gate holds every regex rule. Keyword-less rules are enabled by it; rules with
        // keywords must pass both the gate and their keyword test. It also tells where each
        // rule's matches end: `rule_ends[ri]` is the range of `ends_flat` holding rule `ri`'s
        // match ends in increasing order (empty range: no gate information for the rule).
        let mut gate_ends = Vec::new();
        let mut ends_flat = Vec::new();
        let mut rule_ends = vec![(0usize, 0usize); self.rules.len()];
        let mut min_starts = Vec::new();
        // Word tokens, shared by the names rules (computed on first use).
        let mut toks: Option<Vec<(usize, usize)>> = None;
        let gated_ok = self
            .gate
            .as_ref()
            .is_some_and(|gate| gate.scan(bytes, &mut gate_ends));
        if gated_ok {
            // Counting sort of the (pattern, end) events by rule. A rule has one gate pattern,
            // whose ends the gate reports in increasing order, so each rule's ends stay sorted.
            for &(pid, _) in &gate_ends {
                rule_ends[self.gate_rules[pid as usize] as usize].1 += 1;
            }
            let mut next = 0;
            for r in &mut rule_ends {
                r.0 = next;
                next += r.1;
                r.1 = r.0;
            }
            ends_flat.resize(gate_ends.len(), 0);
            for &(pid, end) in &gate_ends {
                let r = &mut rule_ends[self.gate_rules[pid as usize] as usize];
                ends_flat[r.1] = end;
                r.1 += 1;
            }
        }
        for (ri, rule) in self.rules.iter().enumerate() {
            match &rule.matcher {
                Matcher::Regex { re, group, max_len } => {
                    let (a, b) = rule_ends[ri];
                    // Without the gate (search error) every rule is a candidate.
                    if (gated_ok && b == a) || !self.keywords_present(ri, bytes) {
                        continue;
                    }
                    let ends = (b > a).then(|| &ends_flat[a..b]);
                    let skip = match (ends, max_len) {
                        (Some(e), Some(l)) => Skip::Bounded(e, *l),
                        (Some(e), None) => {
                            let starts_ok = self.rule_gate_pattern[ri].is_some_and(|p| {
                                self.gate.as_ref().is_some_and(|g| {
                                    g.suffix_min_starts(p as usize, bytes, e, &mut min_starts)
                                })
                            });
                            if starts_ok {
                                Skip::Starts(e, &min_starts)
                            } else {
                                Skip::None
                            }
                        }
                        (None, _) => Skip::None,
                    };
                    let end = ends.and_then(|e| e.last().copied());
                    self.run_regex(text, ri, re, *group, end, skip, &mut out);
                }
                Matcher::Names(d) => {
                    let toks = toks.get_or_insert_with(|| {
                        let mut t = Vec::with_capacity(bytes.len() / 6 + 1);
                        word_tokens(bytes, &mut t);
                        t
                    });
                    self.run_names(text, ri, d, &self.name_index[ri], toks, &mut out);
                    if d.last_comma_first {
                        self.run_last_comma_first(text, ri, &self.name_index[ri], &mut out);
                    }
                }
                _ => {}
            }
        }
        if let Some(ac) = &self.terms_ac {
            for m in ac.find_iter(bytes) {
                let ri = self.term_rules[m.pattern().as_usize()] as usize;
                let (s, e) = (m.start(), m.end());
                if !is_word_boundary(bytes, s) || !is_word_boundary(bytes, e) {
                    continue;
                }
                self.consider(text, ri, s, e, 0.0, &mut out);
            }
        }
        self.capitalised_terms.find(bytes, |ri, s, e| {
            self.consider(text, ri, s, e, 0.0, &mut out)
        });
        out
    }

    /// Whether rule `ri` has no keywords or one of them starts a word in `bytes` ("pt" in
    /// "pt id", not in "attempt"; a keyword starting with punctuation, such as ".com", may
    /// start anywhere).
    fn keywords_present(&self, ri: usize, bytes: &[u8]) -> bool {
        let Some(ac) = &self.keywords[ri] else {
            return true;
        };
        ac.find_overlapping_iter(bytes).any(|m| {
            let s = m.start();
            s == 0 || !bytes[s - 1].is_ascii_alphanumeric() || !bytes[s].is_ascii_alphanumeric()
        })
    }

    /// Runs rule `ri`'s regex (leftmost-first, non-overlapping) over `text`.
    ///
    /// `end`, when the gate ran, is the last offset at which a match of the rule ends: the
    /// search stops there (no match ends later; look-around still sees the whole text through
    /// `Input::span`). `skip` lets each search from `pos` start later, at `from`, when no match
    /// can start in `pos..from` (so the leftmost-first match found is the same):
    /// - [`Skip::Bounded`]: the rule's matches are at most `max_len` bytes long and never empty.
    ///   With `e` the first gate end `> pos`, `from = max(pos, e - max_len)`: a match starting in
    ///   `pos..e - max_len` would end before `e` and (being non-empty) after `pos`, and the gate
    ///   would have reported that end.
    /// - [`Skip::Starts`]: the rule's matches are never empty and `starts[k]` is the smallest
    ///   start of a match ending at `ends[k]` or later (see `Gate::suffix_min_starts`). With `k`
    ///   the first end `> pos`, any match starting at or after `pos` ends at some `ends[j]`,
    ///   `j >= k`, so it starts at or after `starts[k]`: `from = max(pos, starts[k])`.
    #[allow(clippy::too_many_arguments)]
    fn run_regex(
        &self,
        text: &str,
        ri: usize,
        re: &Regex,
        group: usize,
        end: Option<usize>,
        skip: Skip<'_>,
        out: &mut Vec<Finding>,
    ) {
        let bytes = text.as_bytes();
        let end = end.unwrap_or(bytes.len()).min(bytes.len());
        let mut k = 0;
        let mut caps = re.create_captures();
        let mut pos = 0;
        while pos <= end {
            let mut from = pos;
            if let Skip::Bounded(ends, _) | Skip::Starts(ends, _) = skip {
                // A match found from `pos` is non-empty, so it ends after `pos`: an end at `pos`
                // (typically the end of the previous match) bounds nothing.
                while k < ends.len() && ends[k] <= pos {
                    k += 1;
                }
                let Some(&e) = ends.get(k) else { break };
                from = match skip {
                    Skip::Bounded(_, max_len) => from.max(e.saturating_sub(max_len)),
                    Skip::Starts(_, starts) => from.max(starts[k]),
                    Skip::None => from,
                };
                if from > end {
                    break;
                }
            }
            re.search_captures(&Input::new(bytes).span(from..end), &mut caps);
            let Some(m) = caps.get_match() else { break };
            let next = if m.end() > m.start() {
                m.end()
            } else {
                next_char(bytes, m.end())
            };
            // The value is the first capture group that took part in the match (rules may offer
            // alternatives with one group each), or the whole match when there is no group.
            let span = if group == 0 {
                Some(m.span())
            } else {
                (1..=group).find_map(|g| caps.get_group(g))
            };
            if let Some(sp) = span
                && sp.end > sp.start
            {
                self.consider(text, ri, sp.start, sp.end, 0.0, out);
            }
            pos = next;
        }
    }

    /// Validates, scores and pushes one candidate of rule `ri` at `s..e`.
    ///
    /// Order of the checks (cheapest first; all must pass, so the order does not change the
    /// result): validators, the rule's allow-list, the global allow-list, context, `min_score`.
    fn consider(
        &self,
        text: &str,
        ri: usize,
        s: usize,
        e: usize,
        adjust: f32,
        out: &mut Vec<Finding>,
    ) {
        let rule = &self.rules[ri];
        if !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            return;
        }
        let value = &text[s..e];
        if !rule.validators.iter().all(|(_, v)| v(value)) {
            return;
        }
        if rule.allow.allows(value) || (rule.use_global_allow && self.global_allow.allows(value)) {
            return;
        }
        let ctx = &rule.context;
        let mut score = rule.base_score + adjust;
        // Per unique context pattern: last whole-word start in the window before, first one in
        // the window after (`context::NONE` if absent). On the stack for the usual rule sizes.
        let mut stack = [context::NONE; 2 * context::STACK_PATTERNS];
        let mut heap = Vec::new();
        let mut windows = None;
        if let Some(cm) = &self.context[ri] {
            let bytes = text.as_bytes();
            let before_start = back_chars(bytes, s, ctx.window_before);
            let after_end = fwd_chars(bytes, e, ctx.window_after);
            let before = &bytes[before_start..s];
            let after = &bytes[e..after_end];
            let n = cm.pattern_count();
            let occ: &mut [usize] = if n <= context::STACK_PATTERNS {
                &mut stack[..2 * n]
            } else {
                heap.resize(2 * n, context::NONE);
                &mut heap
            };
            let (occ_before, occ_after) = occ.split_at_mut(n);
            cm.find_into(before, after, occ_before, occ_after);
            let any_hit = cm
                .word_ids()
                .iter()
                .any(|&id| occ_before[id] != context::NONE || occ_after[id] != context::NONE);
            if any_hit {
                score += ctx.boost;
            } else {
                if ctx.required {
                    return;
                }
                score -= ctx.penalty;
            }
            if cm
                .negative_ids()
                .iter()
                .any(|&id| occ_before[id] != context::NONE || occ_after[id] != context::NONE)
            {
                score -= ctx.negative_penalty;
            }
            windows = Some((cm, before, after, &*occ_before, &*occ_after));
        }
        let score = quantise(score);
        if score < rule.min_score || score <= 0.0 {
            return;
        }
        let mut hits = Vec::new();
        if let Some((cm, before, after, occ_before, occ_after)) = windows {
            // Per word in rule order: its last occurrence before the value, else its first after.
            for ((_, spelled), &id) in ctx.words.iter().zip(cm.word_ids()) {
                if occ_before[id] != context::NONE {
                    let p = occ_before[id];
                    hits.push(ContextHit {
                        word: spelled.clone(),
                        side: ContextSide::Before,
                        distance: count_chars(&before[p + cm.pattern(id).len()..]),
                    });
                } else if occ_after[id] != context::NONE {
                    hits.push(ContextHit {
                        word: spelled.clone(),
                        side: ContextSide::After,
                        distance: count_chars(&after[..occ_after[id]]),
                    });
                }
            }
        }
        out.push(Finding {
            label: rule.label,
            rule: rule.id.clone(),
            byte_start: s,
            byte_end: e,
            start: 0,
            end: 0,
            score,
            explanation: Explanation {
                validators: self.validator_names[ri].clone(),
                context: hits,
                base_score: rule.base_score,
            },
        });
    }

    /// `last_comma_first`: "Tran, Bao" — a capitalised strong last name, `", "`, a capitalised
    /// strong first name ("strong": in the dictionary, not a common word, stop-word or title).
    /// Only the commas of the text are visited.
    fn run_last_comma_first(
        &self,
        text: &str,
        ri: usize,
        index: &NameIndex,
        out: &mut Vec<Finding>,
    ) {
        let bytes = text.as_bytes();
        let mut buf = [0u8; 64];
        // Capitalised, with a lower-case letter (all-caps `SMITH, JOHN` is left to the rules
        // written for it), in the dictionary for `want`, not a common word, stop-word or title.
        let strong = |tok: &str, want: u8, buf: &mut [u8; 64]| -> bool {
            tok.len() >= 2
                && tok.chars().next().is_some_and(char::is_uppercase)
                && tok.chars().any(char::is_lowercase)
                && lower_key(tok, buf).is_some_and(|k| {
                    let f = index.get(k).copied().unwrap_or(0);
                    f & want != 0 && f & N_NOT_STRONG == 0
                })
        };
        // A token: word bytes, with inner `'` or `-` ("O'Neil", "Soo-Jin").
        let inner = |i: usize| {
            (bytes[i] == b'\'' || bytes[i] == b'-')
                && i > 0
                && is_word_byte(bytes[i - 1])
                && bytes.get(i + 1).is_some_and(|&b| is_word_byte(b))
        };
        // Capitalised word right after `at` (after one space), for list detection.
        let cap_after = |at: usize| {
            bytes
                .get(at)
                .is_some_and(|&b| b.is_ascii_uppercase() || b >= 0x80)
        };
        for c in memchr::memchr_iter(b',', bytes) {
            if bytes.get(c + 1) != Some(&b' ') {
                continue;
            }
            let mut s = c;
            while s > 0 && (is_word_byte(bytes[s - 1]) || inner(s - 1)) {
                s -= 1;
            }
            let b = c + 2;
            let mut e = b;
            while e < bytes.len() && (is_word_byte(bytes[e]) || inner(e)) {
                e += 1;
            }
            // Whole words: no digit (or other word byte) glued to either end.
            if s == c
                || e == b
                || (s > 0 && bytes[s - 1].is_ascii_digit())
                || (e < bytes.len() && bytes[e].is_ascii_digit())
                || !text.is_char_boundary(s)
                || !text.is_char_boundary(e)
            {
                continue;
            }
            // Part of a list ("Houston, Dallas, Austin and Denver"): not a name.
            let rest = &bytes[e..];
            let list_before = s >= 2 && &bytes[s - 2..s] == b", ";
            let list_after = (rest.starts_with(b", ") && cap_after(e + 2))
                || (rest.starts_with(b" and ") && cap_after(e + 5))
                || (rest.starts_with(b" or ") && cap_after(e + 4))
                || (rest.starts_with(b" & ") && cap_after(e + 3));
            if list_before || list_after {
                continue;
            }
            if strong(&text[s..c], N_LAST, &mut buf) && strong(&text[b..e], N_FIRST, &mut buf) {
                self.consider(text, ri, s, e, LAST_COMMA_FIRST_ADJUST, out);
            }
        }
    }

    /// `propagate_mentions` (see `RawNames::propagate_mentions`): adds, to `found` (resolved:
    /// sorted and disjoint), the other whole-word mentions of the words of its strong NAME
    /// findings that no finding covers yet, as findings of the mention rule scoring
    /// [`MENTION_PENALTY`] less than their source; a weaker NAME finding of exactly such a
    /// mention is raised to that score. Leaves `found` sorted and disjoint.
    fn propagate_mentions(&self, text: &str, found: &mut Vec<Finding>) {
        let Some(ri) = self.mention_rule else {
            return;
        };
        if !found
            .iter()
            .any(|f| f.label == Label::Name && f.score >= MENTION_SOURCE_MIN_SCORE)
        {
            return;
        }
        let index = &self.name_index[ri];
        let bytes = text.as_bytes();
        let mut buf = [0u8; 64];
        // Distinct words of the strong NAME findings, with the best score they came with.
        let mut words: Vec<(usize, usize, f32)> = Vec::new();
        for f in found
            .iter()
            .filter(|f| f.label == Label::Name && f.score >= MENTION_SOURCE_MIN_SCORE)
        {
            let mut i = f.byte_start;
            while i < f.byte_end {
                if !is_word_byte(bytes[i]) {
                    i += 1;
                    continue;
                }
                let s = i;
                while i < f.byte_end && is_word_byte(bytes[i]) {
                    i += 1;
                }
                let tok = &text[s..i];
                let eligible = tok.chars().count() >= 3
                    && tok.chars().next().is_some_and(char::is_uppercase)
                    && tok.chars().any(char::is_lowercase)
                    && lower_key(tok, &mut buf)
                        .is_some_and(|k| index.get(k).copied().unwrap_or(0) & N_NOT_STRONG == 0);
                if !eligible {
                    continue;
                }
                match words.iter_mut().find(|w| &text[w.0..w.1] == tok) {
                    Some(w) => w.2 = w.2.max(f.score),
                    None => words.push((s, i, f.score)),
                }
            }
        }
        let mut added = Vec::new();
        for &(ws, we, score) in &words {
            let word = &bytes[ws..we];
            for p in memchr::memmem::find_iter(bytes, word) {
                let e = p + word.len();
                if (p > 0 && is_word_or_digit(bytes[p - 1]))
                    || (e < bytes.len() && is_word_or_digit(bytes[e]))
                {
                    continue;
                }
                // `found` is sorted by start and disjoint: only the last finding starting
                // before `e` can overlap `p..e`.
                let score = quantise(score - MENTION_PENALTY);
                let k = found.partition_point(|f| f.byte_start < e);
                if k > 0 && found[k - 1].byte_end > p {
                    // Already a finding there. The same word found alone as a weaker NAME
                    // ("Zimmerman" at the start of a sentence) takes the mention's score.
                    let f = &mut found[k - 1];
                    if f.label == Label::Name
                        && (f.byte_start, f.byte_end) == (p, e)
                        && f.score < score
                    {
                        f.score = score;
                        f.explanation.validators = self.mention_explanation.clone();
                        f.explanation.context.clear();
                    }
                    continue;
                }
                added.push(Finding {
                    label: Label::Name,
                    rule: self.rules[ri].id.clone(),
                    byte_start: p,
                    byte_end: e,
                    start: 0,
                    end: 0,
                    score,
                    explanation: Explanation {
                        validators: self.mention_explanation.clone(),
                        context: Vec::new(),
                        base_score: self.rules[ri].base_score,
                    },
                });
            }
        }
        if !added.is_empty() {
            // New mentions never overlap old findings; among themselves ("Mary" inside
            // "Mary-Ann") the usual resolution picks.
            found.append(&mut added);
            resolve_overlaps(found);
        }
    }

    fn run_names(
        &self,
        text: &str,
        ri: usize,
        d: &NameDicts,
        index: &NameIndex,
        toks: &[(usize, usize)],
        out: &mut Vec<Finding>,
    ) {
        let bytes = text.as_bytes();
        let mut group = NameGroup::default();
        let mut pending_title = false;
        // End of the last token if it was a capitalised stop-word that is not a context word
        // ("All" in "Mark All As Read", but not "Hi" in "Hi Maria").
        let mut prev_phrase_stop: Option<usize> = None;
        let ctx_words = &self.rules[ri].context.words;
        let mut prev_end = 0usize;
        let mut buf = [0u8; 64];
        // A lower-case token that is a (non-common) first name, for `lower_case_pairs`.
        let mut lower_first: Option<(usize, usize)> = None;
        for &(s, e) in toks {
            if !d.lower_case_pairs
                && group.is_reset()
                && !pending_title
                && prev_phrase_stop.is_none()
                && bytes[s].is_ascii_lowercase()
            {
                // In the reset state a lower-case token changes nothing: it would only flush,
                // which is then a no-op, and `prev_end` only matters to a non-empty group or a
                // pending title.
                continue;
            }
            let gap = &bytes[prev_end..s];
            let connected = group.len > 0 && is_name_gap(gap, group.last_is_initial());
            let kind = classify_token(text, s, e, index, &mut buf);
            prev_end = e;
            if !matches!(kind, Tok::Lower) {
                lower_first = None;
            }
            match kind {
                Tok::Lower => {
                    self.flush_names(text, ri, &mut group, out);
                    pending_title = false;
                    if d.lower_case_pairs {
                        lower_first = self.lower_pair(text, ri, s, e, lower_first, index, out);
                        prev_phrase_stop = None;
                        continue;
                    }
                }
                Tok::Stop => {
                    if connected
                        && lower_key(&text[s..e], &mut buf).is_some_and(|k| d.org.contains(k))
                    {
                        // "Wells Fargo Bank", "Mercy Hospital": an organisation, not a person.
                        group = NameGroup::default();
                    } else if connected {
                        // "Mark All As Read", "Sun Valley": a Title Case phrase, not a name.
                        group.title_case_phrase = true;
                    }
                    self.flush_names(text, ri, &mut group, out);
                    pending_title = false;
                    let is_ctx = lower_key(&text[s..e], &mut buf)
                        .is_some_and(|k| ctx_words.iter().any(|(w, _)| &**w == k));
                    let cap = text[s..e].chars().next().is_some_and(char::is_uppercase);
                    prev_phrase_stop = (cap && !is_ctx).then_some(e);
                    continue;
                }
                Tok::Title => {
                    self.flush_names(text, ri, &mut group, out);
                    pending_title = true;
                    group.title = true;
                }
                Tok::Cap(flags) => {
                    if !connected {
                        let keep_title = pending_title && group.len == 0;
                        self.flush_names(text, ri, &mut group, out);
                        group.title = keep_title && is_name_gap(gap, true);
                    }
                    pending_title = false;
                    if group.len == group.toks.len() {
                        self.flush_names(text, ri, &mut group, out);
                    }
                    if group.len == 0 {
                        group.sentence_start = is_sentence_start(bytes, s);
                        if prev_phrase_stop.is_some_and(|pe| &bytes[pe..s] == b" ") {
                            group.title_case_phrase = true;
                        }
                    }
                    group.toks[group.len] = (s, e, flags);
                    group.len += 1;
                }
            }
            prev_phrase_stop = None;
        }
        self.flush_names(text, ri, &mut group, out);
    }

    /// `lower_case_pairs`: a lower-case token `s..e` that is a strong last name right after a
    /// lower-case strong first name (one space apart) makes a candidate of both; returns the new
    /// pending first name. "Strong": in the dictionary, not a common word, stop-word or title.
    #[allow(clippy::too_many_arguments)]
    fn lower_pair(
        &self,
        text: &str,
        ri: usize,
        s: usize,
        e: usize,
        first: Option<(usize, usize)>,
        index: &NameIndex,
        out: &mut Vec<Finding>,
    ) -> Option<(usize, usize)> {
        let tok = &text[s..e];
        if tok.len() < 2 {
            return None;
        }
        if first.is_none()
            && let Some(bits) = &self.lower_first_filter[ri]
        {
            // No pending first name: only a first name matters, and most words are not one.
            let b = pair_filter_bit(tok.as_bytes());
            if bits[b / 64] & (1 << (b % 64)) == 0 {
                return None;
            }
        }
        if !tok.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let flags = index.get(tok.as_bytes()).copied().unwrap_or(0);
        if flags & N_NOT_STRONG != 0 {
            return None;
        }
        if let Some((fs, fe)) = first
            && flags & N_LAST != 0
            && &text.as_bytes()[fe..s] == b" "
        {
            self.consider(text, ri, fs, e, LOWER_PAIR_ADJUST, out);
            return None;
        }
        (flags & N_FIRST != 0).then_some((s, e))
    }

    /// Ends the current group: scores it (if any) and resets it.
    #[inline]
    fn flush_names(&self, text: &str, ri: usize, g: &mut NameGroup, out: &mut Vec<Finding>) {
        if g.len == 0 {
            // Called on every lower-case token: keep the empty case cheap.
            if !g.is_reset() {
                *g = NameGroup::default();
            }
            return;
        }
        self.flush_name_group(text, ri, g, out);
    }

    fn flush_name_group(&self, text: &str, ri: usize, g: &mut NameGroup, out: &mut Vec<Finding>) {
        let n = g.len;
        let title = g.title;
        let sentence_start = g.sentence_start;
        let phrase_penalty = if g.title_case_phrase && !title {
            0.25
        } else {
            0.0
        };
        // "Maria: hello" (a chat speaker label) is not a sentence-initial word.
        let sentence_start = sentence_start && text.as_bytes().get(g.toks[0].1) != Some(&b':');
        let toks = g.toks;
        *g = NameGroup::default();
        if n == 0 {
            return;
        }
        let toks = &toks[..n];
        let strong = |f: u8| f & (F_FIRST | F_LAST) != 0 && f & F_COMMON == 0;
        let nstrong = toks.iter().filter(|t| strong(t.2)).count();
        let ndict = toks
            .iter()
            .filter(|t| t.2 & (F_FIRST | F_LAST) != 0)
            .count();
        let nall_caps = toks.iter().filter(|t| t.2 & F_ALLCAPS != 0).count();
        // Choose the span and a score adjustment relative to the rule's base score.
        let (first, last, adjust) = if title {
            (0, n - 1, 0.3)
        } else if nstrong >= 1 && n >= 2 {
            // First strong token; extend to the left over dictionary tokens/initials and to
            // the right over any capitalised token (likely surname) right after a first name.
            let mut lo = toks.iter().position(|t| strong(t.2)).unwrap_or(0);
            while lo > 0 && toks[lo - 1].2 & (F_FIRST | F_LAST | F_INITIAL) != 0 {
                lo -= 1;
            }
            let mut hi = lo;
            while hi + 1 < n {
                let f = toks[hi + 1].2;
                let prev = toks[hi].2;
                if f & (F_FIRST | F_LAST) != 0 || prev & (F_FIRST | F_INITIAL) != 0 {
                    hi += 1;
                } else {
                    break;
                }
            }
            let adj = if hi > lo { 0.25 } else { 0.0 };
            (lo, hi, adj)
        } else if nstrong == 1 {
            let f = toks[0].2;
            if f & F_ALLCAPS != 0 {
                return;
            }
            let mut adj = if f & F_FIRST != 0 { 0.0 } else { -0.05 };
            if sentence_start {
                adj -= 0.2;
            }
            (0, 0, adj)
        } else if ndict >= 2 && ndict == n {
            (0, n - 1, -0.1)
        } else if ndict >= 1 {
            // Common-word names ("Hope", "May", "Will") alone: at the start of a sentence only
            // context can lift them; capitalised mid-sentence they are weak names.
            let p = toks
                .iter()
                .position(|t| t.2 & (F_FIRST | F_LAST) != 0)
                .unwrap_or(0);
            let adj = if sentence_start && p == 0 {
                -0.35
            } else {
                -0.15
            };
            (p, p, adj)
        } else {
            return;
        };
        if nall_caps == n && !title && nstrong < 2 {
            return;
        }
        self.consider(
            text,
            ri,
            toks[first].0,
            toks[last].1,
            adjust - phrase_penalty,
            out,
        );
    }
}

/// A score clamped to [0, 1] and rounded to 0.001, so that sums such as 0.55 + 0.15 compare equal
/// to 0.7 in overlap resolution.
fn quantise(score: f32) -> f32 {
    (score.clamp(0.0, 1.0) * 1000.0).round() / 1000.0
}

/// How [`Detector::run_regex`] may skip ahead between searches (see there).
#[derive(Clone, Copy)]
enum Skip<'a> {
    None,
    /// The gate's match ends of the rule and the rule's longest match.
    Bounded(&'a [usize], usize),
    /// The gate's match ends of the rule and, per end, the suffix minimum of match starts.
    Starts(&'a [usize], &'a [usize]),
}

const F_FIRST: u8 = 1;
const F_LAST: u8 = 2;
const F_COMMON: u8 = 4;
const F_INITIAL: u8 = 8;
const F_ALLCAPS: u8 = 16;

#[derive(Default, Clone, Copy)]
struct NameGroup {
    toks: [(usize, usize, u8); 4],
    len: usize,
    title: bool,
    sentence_start: bool,
    /// Directly followed by a capitalised stop-word.
    title_case_phrase: bool,
}

impl NameGroup {
    /// Empty, with no flag that a following token would inherit (`sentence_start` is set
    /// afresh by the group's first token).
    fn is_reset(&self) -> bool {
        self.len == 0 && !self.title && !self.title_case_phrase
    }

    fn last_is_initial(&self) -> bool {
        self.len > 0 && self.toks[self.len - 1].2 & F_INITIAL != 0
    }
}

enum Tok {
    Lower,
    Stop,
    Title,
    Cap(u8),
}

fn classify_token(text: &str, s: usize, e: usize, index: &NameIndex, buf: &mut [u8; 64]) -> Tok {
    let tok = &text[s..e];
    // Fast path: most tokens start with an ASCII lower-case letter.
    if tok.as_bytes()[0].is_ascii_lowercase() {
        return Tok::Lower;
    }
    let Some(c0) = tok.chars().next() else {
        return Tok::Lower;
    };
    if !c0.is_uppercase() {
        return Tok::Lower;
    }
    let Some(key) = lower_key(tok, buf) else {
        return Tok::Lower;
    };
    let flags = index.get(key).copied().unwrap_or(0);
    if flags & N_TITLE != 0 {
        return Tok::Title;
    }
    if flags & N_STOP != 0 {
        return Tok::Stop;
    }
    let nchars = tok.chars().count();
    if nchars == 1 {
        return Tok::Cap(F_INITIAL);
    }
    let all_caps = tok.chars().all(|c| !c.is_lowercase());
    if all_caps && nchars <= 3 {
        // Acronyms (PO, MD, RN, ICU) are not names and break a run of name tokens.
        return Tok::Stop;
    }
    let mut f = 0;
    if all_caps {
        f |= F_ALLCAPS;
    }
    if flags & N_FIRST != 0 {
        f |= F_FIRST;
    }
    if flags & N_LAST != 0 {
        f |= F_LAST;
    }
    if flags & N_COMMON != 0 {
        f |= F_COMMON;
    }
    Tok::Cap(f)
}

/// Lower-cases `tok` into `buf`; `None` if it does not fit.
fn lower_key<'a>(tok: &str, buf: &'a mut [u8; 64]) -> Option<&'a [u8]> {
    if tok.len() > buf.len() {
        return None;
    }
    if tok.is_ascii() {
        for (o, b) in buf.iter_mut().zip(tok.bytes()) {
            *o = b.to_ascii_lowercase();
        }
        return Some(&buf[..tok.len()]);
    }
    let mut n = 0;
    for c in tok.chars().flat_map(char::to_lowercase) {
        let l = c.len_utf8();
        if n + l > buf.len() {
            return None;
        }
        c.encode_utf8(&mut buf[n..n + l]);
        n += l;
    }
    Some(&buf[..n])
}

/// Normalises a dictionary entry the way tokens are looked up.
pub(crate) fn normalise_entry(s: &str) -> Box<[u8]> {
    s.trim().to_lowercase().into_bytes().into_boxed_slice()
}

const PAIR_FILTER_WORDS: usize = 1024;

/// Bit (of `PAIR_FILTER_WORDS * 64`) of a lower-cased word in the lower-case first-name filter:
/// its length and first three bytes, mixed. A set bit only means "maybe"; the hash map decides.
fn pair_filter_bit(w: &[u8]) -> usize {
    let at = |i: usize| u32::from(w.get(i).copied().unwrap_or(0));
    let h = (at(0) | at(1) << 8 | at(2) << 16 | (w.len().min(255) as u32) << 24)
        .wrapping_mul(0x9E37_79B1);
    (h >> 16) as usize % (PAIR_FILTER_WORDS * 64)
}

/// Per byte: an ASCII letter (or, with `digits`, an ASCII letter or digit) or any byte of a
/// non-ASCII character.
const fn word_table(digits: bool) -> [bool; 256] {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = c.is_ascii_alphabetic() || (digits && c.is_ascii_digit()) || b >= 0x80;
        b += 1;
    }
    t
}

/// [`is_word_byte`] as a table, for the tokenizer's inner loop.
static WORD_BYTE: [bool; 256] = word_table(false);

/// [`is_word_or_digit`] as a table.
static WORD_OR_DIGIT: [bool; 256] = word_table(true);

/// A byte of a name token: an ASCII letter or any byte of a non-ASCII character.
fn is_word_byte(b: u8) -> bool {
    WORD_BYTE[usize::from(b)]
}

/// A byte of a word for boundary checks: an ASCII letter or digit, or any byte of a non-ASCII
/// character.
fn is_word_or_digit(b: u8) -> bool {
    WORD_OR_DIGIT[usize::from(b)]
}

/// Appends to `out` the word tokens of `bytes`, left to right: maximal runs of word bytes
/// (ASCII letters, any non-ASCII byte) that may contain a `'` or `-` between two word bytes
/// ("O'Neil", "Soo-Jin"). Spans are byte offsets; they start and end on char boundaries
/// (non-ASCII bytes are all word bytes, so a run never splits a character).
fn word_tokens(bytes: &[u8], out: &mut Vec<(usize, usize)>) {
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        while i < n && !WORD_BYTE[usize::from(bytes[i])] {
            i += 1;
        }
        if i == n {
            break;
        }
        let s = i;
        i += 1;
        loop {
            while i < n && WORD_BYTE[usize::from(bytes[i])] {
                i += 1;
            }
            if i + 1 < n
                && (bytes[i] == b'\'' || bytes[i] == b'-')
                && WORD_BYTE[usize::from(bytes[i + 1])]
            {
                i += 2;
                continue;
            }
            break;
        }
        out.push((s, i));
    }
}

/// Gap between two tokens of one name: a single space (or `. ` after an initial).
fn is_name_gap(gap: &[u8], after_initial: bool) -> bool {
    match gap {
        b" " => true,
        b". " | b"." => after_initial,
        _ => false,
    }
}

fn is_sentence_start(bytes: &[u8], s: usize) -> bool {
    let mut i = s;
    while i > 0 && (bytes[i - 1] == b' ' || bytes[i - 1] == b'\t' || bytes[i - 1] == b'"') {
        i -= 1;
    }
    i == 0
        || matches!(
            bytes[i - 1],
            b'.' | b'!' | b'?' | b'\n' | b'\r' | b':' | b'>' | b'-' | b'*'
        )
}

fn is_word_boundary(bytes: &[u8], i: usize) -> bool {
    if i == 0 || i == bytes.len() {
        return true;
    }
    !(is_word_or_digit(bytes[i - 1]) && is_word_or_digit(bytes[i]))
}

fn is_cont(b: u8) -> bool {
    (b & 0xC0) == 0x80
}

fn next_char(bytes: &[u8], mut i: usize) -> usize {
    i += 1;
    while i < bytes.len() && is_cont(bytes[i]) {
        i += 1;
    }
    i
}

/// Byte index `n` chars before `i` (clamped to 0).
fn back_chars(bytes: &[u8], mut i: usize, n: usize) -> usize {
    if let Some(from) = i.checked_sub(n)
        && bytes[from..i].is_ascii()
    {
        return from;
    }
    let mut count = 0;
    while i > 0 && count < n {
        i -= 1;
        if !is_cont(bytes[i]) {
            count += 1;
        }
    }
    i
}

/// Byte index `n` chars after `i` (clamped to len).
fn fwd_chars(bytes: &[u8], mut i: usize, n: usize) -> usize {
    let to = i.saturating_add(n).min(bytes.len());
    if bytes[i..to].is_ascii() {
        return to;
    }
    let mut count = 0;
    while i < bytes.len() && count < n {
        i = next_char(bytes, i);
        count += 1;
    }
    i.min(bytes.len())
}

fn count_chars(bytes: &[u8]) -> usize {
    if bytes.is_ascii() {
        return bytes.len();
    }
    bytes.iter().filter(|b| !is_cont(**b)).count()
}

fn word_at(hay: &[u8], p: usize, word: &[u8]) -> bool {
    let end = p + word.len();
    end <= hay.len()
        && hay[p..end].eq_ignore_ascii_case(word)
        && (p == 0 || !hay[p - 1].is_ascii_alphanumeric() || !word[0].is_ascii_alphanumeric())
        && (end == hay.len()
            || !hay[end].is_ascii_alphanumeric()
            || !word[word.len() - 1].is_ascii_alphanumeric())
}

#[cfg(test)]
fn rfind_word(hay: &[u8], word: &[u8]) -> Option<usize> {
    if word.is_empty() || word.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - word.len())
        .rev()
        .find(|&p| word_at(hay, p, word))
}

#[cfg(test)]
fn find_word(hay: &[u8], word: &[u8]) -> Option<usize> {
    if word.is_empty() || word.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - word.len()).find(|&p| word_at(hay, p, word))
}

/// Greedy overlap resolution; see [`Detector::scan`]. Leaves `cands` sorted by start.
fn resolve_overlaps(cands: &mut Vec<Finding>) {
    if cands.len() < 2 {
        return;
    }
    // One packed key per candidate, sorted as integers: score descending (scores are finite and
    // positive, so their IEEE bits order like the values), then length descending, then
    // candidate index (generation order = rule load order) ascending. The index makes every key
    // unique, so the order is total and the start position is never needed as a tie-break.
    let mut order: Vec<u128> = cands
        .iter()
        .enumerate()
        .map(|(i, f)| {
            debug_assert!(f.score > 0.0 && f.score.is_finite());
            let len = u32::try_from(f.byte_end - f.byte_start).unwrap_or(u32::MAX);
            (u128::from(!f.score.to_bits()) << 64) | (u128::from(!len) << 32) | i as u128
        })
        .collect();
    order.sort_unstable();
    let mut keep = vec![false; cands.len()];
    let mut taken: Vec<(usize, usize)> = Vec::new();
    for key in order {
        let i = (key & 0xFFFF_FFFF) as usize;
        let (s, e) = (cands[i].byte_start, cands[i].byte_end);
        let pos = taken.partition_point(|t| t.0 < s);
        let clash_prev = pos > 0 && taken[pos - 1].1 > s;
        let clash_next = pos < taken.len() && taken[pos].0 < e;
        if !clash_prev && !clash_next {
            taken.insert(pos, (s, e));
            keep[i] = true;
        }
    }
    let mut idx = 0;
    cands.retain(|_| {
        let k = keep[idx];
        idx += 1;
        k
    });
    // Kept findings are disjoint and non-empty: their starts are distinct.
    cands.sort_unstable_by_key(|f| f.byte_start);
}

/// Fills `start`/`end` (Unicode scalar offsets) from byte offsets in one forward pass.
/// `cands` must be sorted by `byte_start` and non-overlapping.
pub(crate) fn fill_char_offsets(text: &str, cands: &mut [Finding]) {
    let bytes = text.as_bytes();
    let mut pos = 0usize;
    let mut chars = 0usize;
    let mut advance = |to: usize| -> usize {
        let to = to.min(bytes.len());
        if to > pos {
            chars += count_chars(&bytes[pos..to]);
            pos = to;
        }
        chars
    };
    for f in cands.iter_mut() {
        f.start = advance(f.byte_start);
        f.end = advance(f.byte_end);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Candidates (rule index, span) of a detector made of `sources`, with or without the gate.
    fn regex_candidates(sources: &[&str], gated: bool, text: &str) -> Vec<(String, usize, usize)> {
        candidates_of(&regex_detector(sources, gated), text)
    }

    fn candidates_of(det: &Detector, text: &str) -> Vec<(String, usize, usize)> {
        if let Some(gate) = &det.gate {
            // The gated path really runs on this text (no fallback to a full scan).
            assert!(gate.scan(text.as_bytes(), &mut Vec::new()));
        }
        det.candidates(text)
            .into_iter()
            .map(|f| (f.rule.to_string(), f.byte_start, f.byte_end))
            .collect()
    }

    /// A detector of bare regex rules (no validators, context or allow-lists), with or without
    /// the gate (and so its skip-ahead).
    fn regex_detector(sources: &[&str], gated: bool) -> Detector {
        let rules = sources
            .iter()
            .enumerate()
            .map(|(i, src)| {
                let props = regex_automata::util::syntax::parse(src).unwrap();
                let props = props.properties();
                let max_len = props
                    .maximum_len()
                    .filter(|_| props.minimum_len().is_some_and(|m| m > 0));
                Rule {
                    id: Arc::from(format!("r{i}")),
                    label: Label::Phone,
                    base_score: 0.5,
                    min_score: 0.0,
                    matcher: Matcher::Regex {
                        re: Regex::new(src).unwrap(),
                        group: 0,
                        max_len,
                    },
                    validators: Vec::new(),
                    context: Context::default(),
                    allow: Allow::default(),
                    use_global_allow: false,
                }
            })
            .collect();
        let owned: Vec<String> = sources.iter().map(|s| (*s).to_owned()).collect();
        Detector::build(DetectorParts {
            rules,
            keywords: vec![Vec::new(); sources.len()],
            terms: Vec::new(),
            global_allow: Allow::default(),
            min_score: 0.0,
            gate: if gated {
                Some(Gate::build(&owned, 1 << 24).unwrap())
            } else {
                None
            },
            gate_rules: (0..sources.len() as u32).collect(),
            dict_bytes: 0,
        })
        .unwrap()
    }

    #[test]
    fn gate_skip_ahead_finds_the_same_matches_as_a_full_scan() {
        let sources = [
            // ASCII classes: `max_len` is then exact (a Unicode `\d` is up to 4 bytes).
            r"(?-u:\b)[0-9]{3}-[0-9]{4}(?-u:\b)",
            r"\d{3}-\d{4}",
            r"ab|abcd",
            r"a[bc]{1,3}d?",
            r"(?m)^x{1,4}y$",
            r"[a-z]+@[a-z]+",
            r"b?",
        ];
        let text = "call 555-0132 or 555-01329 x 555-0199\nxxy\nxxxxxy\nabcd ab abc abbbcd \
                    acccccd ann@x bob@ex ab abcd\nxy";
        let gated = regex_candidates(&sources, true, text);
        let full = regex_candidates(&sources, false, text);
        assert_eq!(gated, full);
        // Leftmost-first, adjacent and overlapping matches are all kept.
        let p = text.find("abcd ab ").unwrap();
        assert!(gated.contains(&("r2".to_owned(), p, p + 2)));
        assert!(gated.contains(&("r2".to_owned(), p + 5, p + 7)));
        assert!(gated.contains(&("r3".to_owned(), p, p + 4)));
        assert!(gated.contains(&("r0".to_owned(), 5, 13)));
        assert!(gated.iter().any(|(r, _, _)| r == "r4"));
    }

    /// Unbounded rules skip ahead with the reverse-DFA starts (`Skip::Starts`): same matches as
    /// a plain scan, including long matches that enclose shorter ones (`a.*z|y`), matches with
    /// several ends, Unicode `\b` that the gate relaxes, and a pattern with an end at nearly
    /// every byte (`[^\n]+x`, over the walk budget: no skip for it).
    const UNBOUNDED: [&str; 8] = [
        r"\d+",
        r"[A-Z][a-z]+(?: [A-Z][a-z]+)*",
        r"(?i)mrn\s*:?\s*\d+",
        r"a.*z|y",
        r"\bété\b\s+\d+",
        r"[^\n]+x",
        r"\w+@\w+(?:\.\w+)*",
        r"(?m)^\s*(?:Dr|Mr)\.?\s+[A-Z]\w*$",
    ];

    #[test]
    fn unbounded_skip_ahead_finds_the_same_matches_as_a_full_scan() {
        let text = "MRN: 00482913 and mrn 12, a y z ay Robert Zimmerman Smith x été 42 étés 7\n\
                    Dr. Chen\nann@x.org bob@ex  Mr   Émile\nayyyz 123456789 x\n";
        assert_eq!(
            regex_candidates(&UNBOUNDED, true, text),
            regex_candidates(&UNBOUNDED, false, text)
        );
    }

    proptest::proptest! {
        #[test]
        fn unbounded_skip_ahead_on_random_text(text in "[a-zA-Z0-9 .:@é\n]{0,120}") {
            static DETECTORS: std::sync::OnceLock<(Detector, Detector)> = std::sync::OnceLock::new();
            let (gated, full) = DETECTORS.get_or_init(|| {
                (regex_detector(&UNBOUNDED, true), regex_detector(&UNBOUNDED, false))
            });
            proptest::prop_assert_eq!(candidates_of(gated, &text), candidates_of(full, &text));
        }
    }

    #[test]
    fn char_offsets_unicode() {
        let text = "é漢😀e\u{301}x";
        let mk = |s, e| Finding {
            label: Label::Name,
            rule: Arc::from("t"),
            byte_start: s,
            byte_end: e,
            start: 0,
            end: 0,
            score: 1.0,
            explanation: Explanation::default(),
        };
        let x = text.find('x').unwrap();
        let mut v = vec![mk(0, 2), mk(2, 5), mk(5, 9), mk(x, x + 1)];
        fill_char_offsets(text, &mut v);
        assert_eq!((v[0].start, v[0].end), (0, 1));
        assert_eq!((v[1].start, v[1].end), (1, 2));
        assert_eq!((v[2].start, v[2].end), (2, 3));
        assert_eq!((v[3].start, v[3].end), (5, 6));
    }

    #[test]
    fn overlap_higher_score_then_longer_then_order() {
        let mk = |s, e, score: f32, rule: &str| Finding {
            label: Label::Phone,
            rule: Arc::from(rule),
            byte_start: s,
            byte_end: e,
            start: 0,
            end: 0,
            score,
            explanation: Explanation::default(),
        };
        let mut v = vec![mk(0, 10, 0.5, "a"), mk(2, 6, 0.9, "b"), mk(8, 12, 0.5, "c")];
        resolve_overlaps(&mut v);
        let ids: Vec<&str> = v.iter().map(|f| &*f.rule).collect();
        assert_eq!(ids, vec!["b", "c"]);
        let mut v = vec![mk(0, 4, 0.5, "short"), mk(0, 8, 0.5, "long")];
        resolve_overlaps(&mut v);
        assert_eq!(&*v[0].rule, "long");
        let mut v = vec![mk(0, 4, 0.5, "first"), mk(0, 4, 0.5, "second")];
        resolve_overlaps(&mut v);
        assert_eq!(v.len(), 1);
        assert_eq!(&*v[0].rule, "first");
    }

    /// The packed-key sort keeps exactly the winners of the comparator it replaced.
    #[test]
    fn overlap_resolution_matches_the_reference_comparator() {
        fn reference(cands: &mut Vec<Finding>) {
            let mut order: Vec<usize> = (0..cands.len()).collect();
            order.sort_by(|&a, &b| {
                let (x, y) = (&cands[a], &cands[b]);
                y.score
                    .total_cmp(&x.score)
                    .then((y.byte_end - y.byte_start).cmp(&(x.byte_end - x.byte_start)))
                    .then(a.cmp(&b))
            });
            let mut keep = vec![false; cands.len()];
            let mut taken: Vec<(usize, usize)> = Vec::new();
            for i in order {
                let (s, e) = (cands[i].byte_start, cands[i].byte_end);
                if taken.iter().all(|&(ts, te)| te <= s || e <= ts) {
                    taken.push((s, e));
                    keep[i] = true;
                }
            }
            let mut idx = 0;
            cands.retain(|_| {
                idx += 1;
                keep[idx - 1]
            });
            cands.sort_by_key(|f| f.byte_start);
        }
        // A small deterministic generator (xorshift) over many shapes of overlap.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % m) as usize
        };
        for _ in 0..2000 {
            let n = 1 + next(12);
            let mut v: Vec<Finding> = (0..n)
                .map(|i| {
                    let s = next(30);
                    Finding {
                        label: Label::Phone,
                        rule: Arc::from(format!("r{i}")),
                        byte_start: s,
                        byte_end: s + 1 + next(8),
                        start: 0,
                        end: 0,
                        score: [0.1, 0.5, 0.55, 0.7, 0.95, 1.0][next(6)],
                        explanation: Explanation::default(),
                    }
                })
                .collect();
            let mut w = v.clone();
            resolve_overlaps(&mut v);
            reference(&mut w);
            assert_eq!(v, w);
        }
    }

    #[test]
    fn context_word_search_respects_boundaries() {
        assert_eq!(rfind_word(b"the mrn is", b"mrn"), Some(4));
        assert_eq!(rfind_word(b"the mrnx is", b"mrn"), None);
        assert_eq!(find_word(b" Fax: ", b"fax"), Some(1));
        assert_eq!(back_chars("aé漢".as_bytes(), 6, 2), 1);
    }
}
