//! Capitalised dictionary terms (terms rules with `case_sensitive = true`, such as US cities):
//! finding them in a text.
//!
//! Owns: the index of those terms (keyed by their first word) and the search. At each word
//! start (an ASCII letter or digit, or a non-ASCII byte, not preceded by one) whose first byte is
//! an ASCII capital, the longest term that matches there (ASCII case folded; other bytes exactly)
//! and ends on a word boundary is a hit; the search resumes after a hit, or at the next word
//! start. Case-insensitive terms (conditions, medications, ...) stay in the detector's
//! Aho-Corasick automaton.
//! Must not: score, validate or allocate per text byte (at most one hash lookup per capitalised
//! word).
//!
//! Why not the automaton: with the ~4,400 city and town names in it, its DFA transition table was
//! 17 MiB, which put the compiled detector over its 64 MB budget, and a contiguous NFA instead
//! made every text ~13 % slower (callgrind, 2 KB ticket). Case-sensitive terms can only start at
//! a capitalised word, so a hash lookup at those few words is cheaper than either.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use super::FxHasher;
use super::is_word_or_digit as is_word;

/// The first index `>= i` holding an ASCII capital (`bytes.len()` if none), eight bytes at a
/// time.
fn next_upper(bytes: &[u8], mut i: usize) -> usize {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    while i + 8 <= bytes.len() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&bytes[i..i + 8]);
        let w = u64::from_le_bytes(w);
        // Per byte, on its low 7 bits `t`: `t + (0x80 - b'A')` sets the high bit iff `t >= b'A'`,
        // `t + (0x80 - b'Z' - 1)` iff `t > b'Z'`; no carry crosses bytes (`t + 0x3f < 0x100`).
        // Bytes with the high bit set (non-ASCII) are masked out.
        let t = w & !HI;
        let ge_a = t.wrapping_add(LO * u64::from(0x80 - b'A')) & HI;
        let gt_z = t.wrapping_add(LO * u64::from(0x80 - b'Z' - 1)) & HI;
        let hits = ge_a & !gt_z & !(w & HI);
        if hits != 0 {
            return i + (hits.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < bytes.len() && !bytes[i].is_ascii_uppercase() {
        i += 1;
    }
    i
}

/// The longest first word this index keys on; longer words are never looked up.
const MAX_KEY: usize = 64;

/// Compiled capitalised terms.
#[derive(Default)]
pub(crate) struct TermIndex {
    /// ASCII-lower-cased first word → ids into `terms`, longest term first (then load order).
    by_first: HashMap<Box<[u8]>, Box<[u32]>, BuildHasherDefault<FxHasher>>,
    /// ASCII-lower-cased term bytes and its rule index.
    terms: Vec<(Box<[u8]>, u32)>,
}

impl TermIndex {
    /// Indexes `(term, rule index)` pairs in load order. A term must start with a word byte and
    /// have a first word of at most [`MAX_KEY`] bytes.
    pub(crate) fn new(terms: impl IntoIterator<Item = (String, u32)>) -> Result<Self, String> {
        let mut index = TermIndex::default();
        let mut lists: HashMap<Box<[u8]>, Vec<u32>, BuildHasherDefault<FxHasher>> =
            HashMap::default();
        for (term, rule) in terms {
            let lower = term.as_bytes().to_ascii_lowercase();
            let key_len = lower.iter().take_while(|&&b| is_word(b)).count();
            if key_len == 0 {
                return Err(format!(
                    "dictionary term {term:?} must start with a letter or digit"
                ));
            }
            if key_len > MAX_KEY {
                return Err(format!(
                    "dictionary term {term:?}: first word longer than {MAX_KEY} bytes"
                ));
            }
            let id = index.terms.len() as u32;
            lists.entry(lower[..key_len].into()).or_default().push(id);
            index.terms.push((lower.into_boxed_slice(), rule));
        }
        for (key, mut ids) in lists {
            // Stable: among equally long terms the first loaded wins.
            ids.sort_by_key(|&id| std::cmp::Reverse(index.terms[id as usize].0.len()));
            index.by_first.insert(key, ids.into_boxed_slice());
        }
        Ok(index)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        let terms: usize = self.terms.iter().map(|(t, _)| t.len() + 24).sum();
        let keys: usize = self
            .by_first
            .iter()
            .map(|(k, v)| k.len() + v.len() * 4 + 48)
            .sum();
        terms + keys
    }

    /// Calls `hit(rule, start, end)` for every hit in `bytes`, left to right.
    pub(crate) fn find(&self, bytes: &[u8], mut hit: impl FnMut(usize, usize, usize)) {
        if self.terms.is_empty() {
            return;
        }
        let n = bytes.len();
        let mut key = [0u8; MAX_KEY];
        let mut s = 0;
        loop {
            // Next capitalised word start: an ASCII capital not preceded by a word byte.
            s = next_upper(bytes, s);
            if s >= n {
                break;
            }
            if s > 0 && is_word(bytes[s - 1]) {
                s += 1;
                continue;
            }
            let mut i = s;
            while i < n && is_word(bytes[i]) {
                i += 1;
            }
            let word = &bytes[s..i];
            let start = s;
            s = i;
            if word.len() > MAX_KEY {
                continue;
            }
            let key = &mut key[..word.len()];
            for (k, &b) in key.iter_mut().zip(word) {
                *k = b.to_ascii_lowercase();
            }
            let Some(ids) = self.by_first.get(&*key) else {
                continue;
            };
            for &id in ids.iter() {
                let (term, rule) = &self.terms[id as usize];
                let e = start + term.len();
                if e <= n
                    && bytes[start..e].eq_ignore_ascii_case(term)
                    && (e == n || !is_word(bytes[e]) || !is_word(bytes[e - 1]))
                {
                    hit(*rule as usize, start, e);
                    s = s.max(e);
                    break;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hits(terms: &[&str], text: &str) -> Vec<(usize, String)> {
        let index = TermIndex::new(
            terms
                .iter()
                .enumerate()
                .map(|(i, t)| (t.to_string(), i as u32)),
        )
        .unwrap();
        let mut out = Vec::new();
        index.find(text.as_bytes(), |r, s, e| {
            out.push((r, text[s..e].to_owned()))
        });
        out
    }

    #[test]
    fn longest_capitalised_term_on_word_boundaries() {
        let terms = ["springfield", "new york", "new york mills", "york"];
        assert_eq!(
            hits(
                &terms,
                "From New York Mills to NEW YORK, then York and Springfield."
            ),
            vec![
                (2, "New York Mills".to_owned()),
                (1, "NEW YORK".to_owned()),
                (3, "York".to_owned()),
                (0, "Springfield".to_owned()),
            ]
        );
        // Lower-case starts, starts inside a word and ends inside a word are not hits; a
        // shorter term that ends on a boundary is kept.
        assert!(hits(&terms, "new york, xYork, Springfields").is_empty());
        assert_eq!(
            hits(&terms, "New York Millsx"),
            vec![(1, "New York".to_owned())]
        );
    }

    #[test]
    fn punctuation_and_non_ascii_inside_terms() {
        let terms = ["st. louis", "o'fallon", "coeur d'alene", "san josé"];
        assert_eq!(
            hits(
                &terms,
                "St. Louis, O'Fallon; Coeur d'Alene. San José, San JOSé"
            ),
            vec![
                (0, "St. Louis".to_owned()),
                (1, "O'Fallon".to_owned()),
                (2, "Coeur d'Alene".to_owned()),
                (3, "San José".to_owned()),
                // Only ASCII case is folded.
                (3, "San JOSé".to_owned()),
            ]
        );
    }

    #[test]
    fn next_upper_finds_the_first_ascii_capital() {
        let texts = [
            "",
            "abc",
            "abcdefghijklmnoP",
            "é É Z",
            "zzzzzzzz@[`{AZ",
            "\u{7f}\u{80}Q",
        ];
        for t in texts {
            for i in 0..=t.len() {
                let want = (i..t.len())
                    .find(|&k| t.as_bytes()[k].is_ascii_uppercase())
                    .unwrap_or(t.len());
                assert_eq!(next_upper(t.as_bytes(), i), want, "{t:?} from {i}");
            }
        }
    }

    #[test]
    fn the_first_loaded_of_equal_terms_wins_and_bad_terms_are_refused() {
        let index = TermIndex::new([("Dover".to_owned(), 7), ("dover".to_owned(), 9)]).unwrap();
        let mut out = Vec::new();
        index.find(b"Dover", |r, _, _| out.push(r));
        assert_eq!(out, vec![7]);
        assert!(TermIndex::new([("-ray".to_owned(), 0)]).is_err());
        assert!(TermIndex::new([("x".repeat(65), 0)]).is_err());
    }
}
