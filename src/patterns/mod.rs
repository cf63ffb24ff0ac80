//! Rule files: TOML schema, loading with `file:line: reason` errors, dictionaries, inline
//! examples, and compiling into a [`crate::detect::Detector`].
//!
//! Owns: reading `global.toml`, `<jurisdiction>/*.toml` and `dictionaries/*.txt` from a directory
//! or from the copy of the shipped `patterns/` tree embedded in the binary; validating every field;
//! collecting ALL errors before failing (a broken tree never half-loads); regex size limits.
//! Must not: scan request data, log, or include input text in errors (errors quote rule-file
//! positions and reasons only). The format is documented in `docs/pattern-authoring.md`.

mod schema;

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use include_dir::{Dir, include_dir};
use regex_automata::meta::Regex;
use regex_automata::util::syntax;

use crate::detect::engine::{
    self, Allow, Context, DetectorParts, Matcher, NameDicts, Rule, WordSet,
};
use crate::detect::{Detector, Label, validators};

use schema::{RawAllow, RawExample, RawFile, RawGlobal, RawRule};

/// The shipped `patterns/` tree, embedded at build time.
static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/patterns");

/// Default per-regex compiled size limit (bytes) when `global.toml` does not set one.
pub const DEFAULT_REGEX_SIZE_LIMIT: usize = 1 << 20;
/// Hard ceiling for `regex_size_limit`, whatever the settings say.
pub const MAX_REGEX_SIZE_LIMIT: usize = 8 << 20;
/// Longest accepted regex source, in bytes.
pub const MAX_REGEX_LEN: usize = 4096;

/// One problem in a rule file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// Path relative to the patterns root (`us/ssn.toml`).
    pub file: String,
    /// 1-based line (0 when the problem is not tied to a line, e.g. a missing directory).
    pub line: usize,
    pub reason: String,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

/// Every problem found while loading or compiling (never empty when returned as an error).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadErrors(pub Vec<LoadError>);

impl fmt::Display for LoadErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadErrors {}

/// Where rule files come from.
enum Source<'a> {
    Dir(&'a Path),
    Embedded(&'static Dir<'static>),
}

impl Source<'_> {
    fn read(&self, rel: &str) -> Option<Result<String, String>> {
        match self {
            Source::Dir(root) => {
                let p = root.join(rel);
                if !p.is_file() {
                    return None;
                }
                Some(std::fs::read_to_string(&p).map_err(|e| format!("cannot read: {e}")))
            }
            Source::Embedded(d) => d.get_file(rel).map(|f| {
                f.contents_utf8()
                    .map(str::to_owned)
                    .ok_or_else(|| "not valid UTF-8".to_owned())
            }),
        }
    }

    /// Sorted sub-directory names (jurisdictions) except `dictionaries`.
    fn jurisdictions(&self) -> Vec<String> {
        let mut v: Vec<String> = match self {
            Source::Dir(root) => std::fs::read_dir(root)
                .map(|rd| {
                    rd.filter_map(Result::ok)
                        .filter(|e| e.path().is_dir())
                        .filter_map(|e| e.file_name().into_string().ok())
                        .collect()
                })
                .unwrap_or_default(),
            Source::Embedded(d) => d
                .dirs()
                .filter_map(|s| s.path().file_name()?.to_str().map(str::to_owned))
                .collect(),
        };
        v.retain(|n| n != "dictionaries" && !n.starts_with('.'));
        v.sort();
        v
    }

    /// Sorted `*.toml` files (relative paths) of one jurisdiction; `None` if it does not exist.
    fn rule_files(&self, jurisdiction: &str) -> Option<Vec<String>> {
        let mut v: Vec<String> = match self {
            Source::Dir(root) => {
                let rd = std::fs::read_dir(root.join(jurisdiction)).ok()?;
                rd.filter_map(Result::ok)
                    .filter_map(|e| e.file_name().into_string().ok())
                    .filter(|n| n.ends_with(".toml"))
                    .map(|n| format!("{jurisdiction}/{n}"))
                    .collect()
            }
            Source::Embedded(d) => d
                .get_dir(jurisdiction)?
                .files()
                .filter_map(|f| f.path().to_str().map(str::to_owned))
                .filter(|n| n.ends_with(".toml"))
                .collect(),
        };
        v.sort();
        Some(v)
    }
}

/// A word list from `dictionaries/<name>.txt`.
#[derive(Debug, Clone)]
struct Dictionary {
    entries: Vec<String>,
}

/// A rule after parsing and checking, with its position for later error messages.
#[derive(Debug, Clone)]
struct RuleDef {
    file: String,
    line: usize,
    raw: RawRule,
    label: Label,
    /// Line of the `regex` key (for compile errors).
    regex_line: usize,
    examples: Vec<(usize, String, Option<String>)>,
    negatives: Vec<(usize, String)>,
}

/// Parsed, checked rule files (not yet compiled).
#[derive(Debug, Clone)]
pub struct PatternSet {
    rules: Vec<RuleDef>,
    global: RawGlobal,
    global_file: String,
    dictionaries: HashMap<String, Dictionary>,
}

/// Result of running every rule's `examples` and `negative_examples`.
#[derive(Debug, Clone, Default)]
pub struct ExampleReport {
    pub passed: usize,
    pub failures: Vec<LoadError>,
}

impl ExampleReport {
    pub fn is_ok(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Loads `global.toml` and the rule files of `jurisdictions` (every sub-directory when empty)
/// from `dir`.
pub fn load_dir(dir: &Path, jurisdictions: &[String]) -> Result<PatternSet, LoadErrors> {
    if !dir.is_dir() {
        return Err(LoadErrors(vec![LoadError {
            file: dir.display().to_string(),
            line: 0,
            reason: "patterns directory not found".into(),
        }]));
    }
    load(&Source::Dir(dir), jurisdictions)
}

/// Loads the shipped rules embedded in the binary.
pub fn load_embedded(jurisdictions: &[String]) -> Result<PatternSet, LoadErrors> {
    load(&Source::Embedded(&EMBEDDED), jurisdictions)
}

/// Loads and compiles in one step: from `dir`, or the embedded rules when `None`.
pub fn load_detector(dir: Option<&Path>, jurisdictions: &[String]) -> Result<Detector, LoadErrors> {
    match dir {
        Some(d) => load_dir(d, jurisdictions)?.compile(),
        None => load_embedded(jurisdictions)?.compile(),
    }
}

/// The TOML parser's message for a syntax error, trimmed. It is blank for some inputs (a lone
/// carriage return, found by fuzzing): then a generic reason, so no error is ever `file:line: `.
fn toml_reason(e: &toml::de::Error) -> String {
    let m = e.message().trim();
    if m.is_empty() {
        "invalid TOML syntax (stray carriage return or control character?)".to_owned()
    } else {
        m.to_owned()
    }
}

fn line_of(src: &str, offset: usize) -> usize {
    let off = offset.min(src.len());
    src.as_bytes()[..off]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn load(src: &Source<'_>, jurisdictions: &[String]) -> Result<PatternSet, LoadErrors> {
    let mut errors = Vec::new();
    let global_file = "global.toml".to_owned();
    let global = match src.read(&global_file) {
        None => RawGlobal::default(),
        Some(Err(e)) => {
            errors.push(err(&global_file, 0, e));
            RawGlobal::default()
        }
        Some(Ok(text)) => match toml::from_str::<RawGlobal>(&text) {
            Ok(g) => g,
            Err(e) => {
                let line = e.span().map_or(0, |s| line_of(&text, s.start));
                errors.push(err(&global_file, line, toml_reason(&e)));
                RawGlobal::default()
            }
        },
    };
    let juris: Vec<String> = if jurisdictions.is_empty() {
        src.jurisdictions()
    } else {
        jurisdictions.to_vec()
    };
    let mut rules: Vec<RuleDef> = Vec::new();
    let mut seen_ids: HashMap<String, (String, usize)> = HashMap::new();
    let mut dict_refs: Vec<(String, usize, String)> = Vec::new();
    for j in &juris {
        if j.contains(['/', '\\']) || j == ".." || j == "dictionaries" {
            errors.push(err(j, 0, format!("invalid jurisdiction name `{j}`")));
            continue;
        }
        let Some(files) = src.rule_files(j) else {
            errors.push(err(
                j,
                0,
                format!("unknown jurisdiction `{j}` (no such directory)"),
            ));
            continue;
        };
        for file in files {
            let text = match src.read(&file) {
                Some(Ok(t)) => t,
                Some(Err(e)) => {
                    errors.push(err(&file, 0, e));
                    continue;
                }
                None => continue,
            };
            let parsed: RawFile = match toml::from_str(&text) {
                Ok(p) => p,
                Err(e) => {
                    let line = e.span().map_or(0, |s| line_of(&text, s.start));
                    errors.push(err(&file, line, toml_reason(&e)));
                    continue;
                }
            };
            for spanned in parsed.rules {
                let line = line_of(&text, spanned.span().start);
                let raw = spanned.into_inner();
                if let Some(def) = check_rule(
                    &file,
                    &text,
                    line,
                    raw,
                    &mut seen_ids,
                    &mut dict_refs,
                    &mut errors,
                ) {
                    rules.push(def);
                }
            }
        }
    }
    // Dictionaries referenced by rules.
    let mut dictionaries = HashMap::new();
    for (file, line, name) in dict_refs {
        if dictionaries.contains_key(&name) {
            continue;
        }
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            errors.push(err(
                &file,
                line,
                format!("invalid dictionary name `{name}`"),
            ));
            continue;
        }
        match src.read(&format!("dictionaries/{name}.txt")) {
            None => errors.push(err(
                &file,
                line,
                format!("dictionary `{name}` not found (expected dictionaries/{name}.txt)"),
            )),
            Some(Err(e)) => errors.push(err(&file, line, format!("dictionary `{name}`: {e}"))),
            Some(Ok(text)) => {
                let entries = text
                    .lines()
                    .map(|l| l.split('\t').next().unwrap_or("").trim())
                    .filter(|l| !l.is_empty() && !l.starts_with('#'))
                    .map(str::to_owned)
                    .collect();
                dictionaries.insert(name, Dictionary { entries });
            }
        }
    }
    if errors.is_empty() {
        Ok(PatternSet {
            rules,
            global,
            global_file,
            dictionaries,
        })
    } else {
        Err(LoadErrors(errors))
    }
}

fn err(file: &str, line: usize, reason: impl Into<String>) -> LoadError {
    LoadError {
        file: file.to_owned(),
        line,
        reason: reason.into(),
    }
}

fn check_rule(
    file: &str,
    text: &str,
    line: usize,
    raw: RawRule,
    seen: &mut HashMap<String, (String, usize)>,
    dict_refs: &mut Vec<(String, usize, String)>,
    errors: &mut Vec<LoadError>,
) -> Option<RuleDef> {
    let before = errors.len();
    let id = raw.id.get_ref().clone();
    let id_line = line_of(text, raw.id.span().start);
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        errors.push(err(
            file,
            id_line,
            format!("invalid rule id `{id}` (use [A-Za-z0-9._-])"),
        ));
    } else if let Some((f, l)) = seen.get(&id) {
        errors.push(err(
            file,
            id_line,
            format!("duplicate rule id `{id}` (first defined at {f}:{l})"),
        ));
    } else {
        seen.insert(id.clone(), (file.to_owned(), id_line));
    }
    let label_line = line_of(text, raw.label.span().start);
    let label = Label::parse(raw.label.get_ref());
    if label.is_none() {
        let known: Vec<&str> = Label::ALL.iter().map(|l| l.as_str()).collect();
        errors.push(err(
            file,
            label_line,
            format!(
                "unknown label `{}` (known: {})",
                raw.label.get_ref(),
                known.join(", ")
            ),
        ));
    }
    let kinds = usize::from(raw.regex.is_some())
        + usize::from(!raw.dictionary.is_empty())
        + usize::from(raw.names.is_some());
    if kinds != 1 {
        errors.push(err(
            file,
            line,
            format!("rule `{id}` needs exactly one of `regex`, `dictionary`, `names`"),
        ));
    }
    let regex_line = raw
        .regex
        .as_ref()
        .map_or(line, |r| line_of(text, r.span().start));
    if let Some(r) = &raw.regex {
        if r.get_ref().len() > MAX_REGEX_LEN {
            errors.push(err(
                file,
                regex_line,
                format!("regex longer than {MAX_REGEX_LEN} bytes"),
            ));
        }
    }
    for v in &raw.validators {
        if validators::lookup(v.get_ref()).is_none() {
            let known: Vec<&str> = validators::NAMES.iter().map(|(n, _)| *n).collect();
            errors.push(err(
                file,
                line_of(text, v.span().start),
                format!(
                    "unknown validator `{}` (known: {})",
                    v.get_ref(),
                    known.join(", ")
                ),
            ));
        }
    }
    let score_ok = |x: f32| (0.0..=1.0).contains(&x);
    if !score_ok(*raw.base_score.get_ref()) {
        errors.push(err(
            file,
            line_of(text, raw.base_score.span().start),
            "base_score must be in [0, 1]",
        ));
    }
    if let Some(m) = raw.min_score {
        if !score_ok(m) {
            errors.push(err(file, line, "min_score must be in [0, 1]"));
        }
    }
    if let Some(c) = &raw.context {
        for x in [c.boost, c.penalty, c.negative_penalty] {
            if !score_ok(x) {
                errors.push(err(file, line, "context boost/penalty must be in [0, 1]"));
            }
        }
        if c.window_before > 1000 || c.window_after > 1000 {
            errors.push(err(file, line, "context windows are limited to 1000 chars"));
        }
        if c.required && c.words.is_empty() {
            errors.push(err(
                file,
                line,
                "context.required needs at least one context word",
            ));
        }
    }
    if let Some(a) = &raw.allow {
        check_allow(file, text, a, errors);
    }
    for d in &raw.dictionary {
        dict_refs.push((
            file.to_owned(),
            line_of(text, d.span().start),
            d.get_ref().clone(),
        ));
    }
    if let Some(n) = &raw.names {
        let nl = line_of(text, n.span().start);
        let n = n.get_ref();
        if n.first_names.is_empty() && n.last_names.is_empty() {
            errors.push(err(file, nl, "names needs first_names or last_names"));
        }
        for d in n.all() {
            dict_refs.push((file.to_owned(), nl, d.clone()));
        }
    }
    let examples = raw
        .examples
        .iter()
        .map(|e| {
            let l = line_of(text, e.span().start);
            match e.get_ref() {
                RawExample::Text(t) => (l, t.clone(), None),
                RawExample::Full { text, value } => (l, text.clone(), Some(value.clone())),
            }
        })
        .collect::<Vec<_>>();
    for (l, t, v) in &examples {
        if let Some(v) = v {
            if !t.contains(v.as_str()) {
                errors.push(err(
                    file,
                    *l,
                    "example `value` does not occur in its `text`",
                ));
            }
        }
    }
    let negatives = raw
        .negative_examples
        .iter()
        .map(|e| (line_of(text, e.span().start), e.get_ref().clone()))
        .collect();
    if errors.len() > before {
        return None;
    }
    Some(RuleDef {
        file: file.to_owned(),
        line,
        label: label?,
        regex_line,
        examples,
        negatives,
        raw,
    })
}

fn check_allow(file: &str, text: &str, a: &RawAllow, errors: &mut Vec<LoadError>) {
    for r in &a.regexes {
        if let Err(e) = build_regex(r.get_ref(), DEFAULT_REGEX_SIZE_LIMIT) {
            errors.push(err(
                file,
                line_of(text, r.span().start),
                format!("bad allow regex: {e}"),
            ));
        }
    }
}

fn build_regex(src: &str, limit: usize) -> Result<Regex, String> {
    regex_builder(limit)
        .build(src)
        .map_err(|e| one_line(&e.to_string()))
}

/// The builder of every rule and allow-list regex.
fn regex_builder(limit: usize) -> regex_automata::meta::Builder {
    let mut b = Regex::builder();
    b.configure(
        Regex::config()
            .nfa_size_limit(Some(limit))
            .onepass_size_limit(Some(limit))
            .dfa_size_limit(Some(limit))
            .hybrid_cache_capacity(limit.max(1 << 20))
            .auto_prefilter(false),
    )
    .syntax(syntax::Config::new().nest_limit(64));
    b
}

/// The longest match of `src` in bytes, parsed with the syntax of [`build_regex`]; `None` when
/// unbounded, unparsable, or when the regex can match the empty string.
fn max_match_len(src: &str) -> Option<usize> {
    let hir = syntax::parse_with(src, &syntax::Config::new().nest_limit(64)).ok()?;
    let props = hir.properties();
    if props.minimum_len()? == 0 {
        return None;
    }
    props.maximum_len()
}

/// When every source is anchored at the start of the haystack (`^`, not multi-line) and its
/// matches begin with one of finitely many non-empty literal prefixes, the set of bytes a match
/// can start with; otherwise `None`. Lets a caller skip a regex that cannot match a value.
fn anchored_first_bytes(sources: &[&str]) -> Option<Box<[bool; 256]>> {
    use regex_syntax::hir::Look;
    use regex_syntax::hir::literal::{ExtractKind, Extractor};
    let mut first = Box::new([false; 256]);
    for src in sources {
        let hir = syntax::parse_with(src, &syntax::Config::new().nest_limit(64)).ok()?;
        if !hir.properties().look_set_prefix().contains(Look::Start) {
            return None;
        }
        let seq = Extractor::new().kind(ExtractKind::Prefix).extract(&hir);
        for lit in seq.literals()? {
            first[usize::from(*lit.as_bytes().first()?)] = true;
        }
    }
    Some(first)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn compile_allow(a: Option<&RawAllow>, limit: usize) -> Result<Allow, String> {
    let Some(a) = a else {
        return Ok(Allow::default());
    };
    let mut sources = Vec::new();
    for r in &a.regexes {
        // Compiled one by one first so that an error names the regex.
        build_regex(r.get_ref(), limit)?;
        sources.push(r.get_ref().as_str());
    }
    let regexes = if sources.is_empty() {
        None
    } else {
        Some(
            regex_builder(limit)
                .build_many(&sources)
                .map_err(|e| one_line(&e.to_string()))?,
        )
    };
    let regex_first_bytes = if sources.is_empty() {
        None
    } else {
        anchored_first_bytes(&sources)
    };
    Ok(Allow {
        values: a.values.iter().map(|v| v.trim().to_lowercase()).collect(),
        regexes,
        regex_first_bytes,
        stopwords: a.stopwords.iter().map(|v| v.to_lowercase()).collect(),
    })
}

impl PatternSet {
    /// Number of parsed rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The `regex` source of every regex rule, in load order (used by the benchmark baseline).
    pub fn regex_sources(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter_map(|r| r.raw.regex.as_ref().map(|s| s.get_ref().clone()))
            .collect()
    }

    fn word_set(&self, names: &[String]) -> (WordSet, usize) {
        let mut set = WordSet::default();
        let mut bytes = 0;
        for n in names {
            if let Some(d) = self.dictionaries.get(n) {
                for e in &d.entries {
                    let k = engine::normalise_entry(e);
                    bytes += k.len() + 32;
                    set.insert(k);
                }
            }
        }
        (set, bytes)
    }

    /// Compiles into a [`Detector`]; every regex error is reported with its `file:line`.
    pub fn compile(&self) -> Result<Detector, LoadErrors> {
        let mut errors = Vec::new();
        let limit = self
            .global
            .settings
            .regex_size_limit
            .unwrap_or(DEFAULT_REGEX_SIZE_LIMIT)
            .min(MAX_REGEX_SIZE_LIMIT);
        let global_allow = match compile_allow(Some(&self.global.allow), limit) {
            Ok(a) => a,
            Err(e) => {
                errors.push(err(&self.global_file, 0, format!("bad allow regex: {e}")));
                Allow::default()
            }
        };
        let min_score = self.global.settings.min_score.unwrap_or(0.5);
        if !(0.0..=1.0).contains(&min_score) {
            errors.push(err(
                &self.global_file,
                0,
                "settings.min_score must be in [0, 1]",
            ));
        }
        let mut rules = Vec::new();
        let mut keywords = Vec::new();
        let mut terms = Vec::new();
        let mut gate_sources = Vec::new();
        let mut gate_rules = Vec::new();
        let mut dict_bytes = 0;
        for def in &self.rules {
            let raw = &def.raw;
            let matcher = if let Some(src) = &raw.regex {
                match build_regex(src.get_ref(), limit) {
                    Ok(re) => {
                        let ncaps = re.group_info().group_len(regex_automata::PatternID::ZERO);
                        let group = ncaps.saturating_sub(1);
                        gate_sources.push(src.get_ref().clone());
                        gate_rules.push(rules.len() as u32);
                        Matcher::Regex {
                            re,
                            group,
                            max_len: max_match_len(src.get_ref()),
                        }
                    }
                    Err(e) => {
                        errors.push(err(&def.file, def.regex_line, format!("bad regex: {e}")));
                        continue;
                    }
                }
            } else if let Some(n) = &raw.names {
                let n = n.get_ref();
                let (first, b1) = self.word_set(&n.first_names);
                let (last, b2) = self.word_set(&n.last_names);
                let (common, b3) = self.word_set(&n.common_words);
                let (titles, b4) = self.word_set(&n.titles);
                let (mut stop, b5) = self.word_set(&n.stop_lists);
                stop.extend(n.stopwords.iter().map(|s| engine::normalise_entry(s)));
                let org: WordSet = n
                    .org_suffixes
                    .iter()
                    .map(|s| engine::normalise_entry(s))
                    .collect();
                stop.extend(org.iter().cloned());
                dict_bytes += b1 + b2 + b3 + b4 + b5;
                Matcher::Names(Box::new(NameDicts {
                    first,
                    last,
                    common,
                    titles,
                    stop,
                    org,
                    lower_case_pairs: n.lower_case_pairs,
                    last_comma_first: n.last_comma_first,
                    propagate_mentions: n.propagate_mentions,
                }))
            } else {
                let mut phrases: Vec<String> = Vec::new();
                let mut seen = HashSet::new();
                for d in &raw.dictionary {
                    if let Some(dict) = self.dictionaries.get(d.get_ref()) {
                        for e in &dict.entries {
                            let p = e.trim().to_lowercase();
                            if p.len() >= 3 && seen.insert(p.clone()) {
                                dict_bytes += p.len() + 24;
                                phrases.push(p);
                            }
                        }
                    }
                }
                terms.push((rules.len(), phrases));
                Matcher::Terms {
                    case_sensitive: raw.case_sensitive,
                }
            };
            let allow = match compile_allow(raw.allow.as_ref(), limit) {
                Ok(a) => a,
                Err(e) => {
                    errors.push(err(&def.file, def.line, format!("bad allow regex: {e}")));
                    continue;
                }
            };
            let context = raw
                .context
                .as_ref()
                .map_or_else(Context::default, |c| Context {
                    words: c
                        .words
                        .iter()
                        .map(|w| (engine::normalise_entry(w), Arc::<str>::from(w.as_str())))
                        .filter(|(k, _)| !k.is_empty())
                        .collect(),
                    negative_words: c
                        .negative_words
                        .iter()
                        .map(|w| engine::normalise_entry(w))
                        .filter(|k| !k.is_empty())
                        .collect(),
                    window_before: c.window_before,
                    window_after: c.window_after,
                    required: c.required,
                    boost: c.boost,
                    penalty: c.penalty,
                    negative_penalty: c.negative_penalty,
                });
            keywords.push(
                raw.keywords
                    .iter()
                    .map(|k| k.to_lowercase())
                    .filter(|k| !k.is_empty())
                    .collect::<Vec<_>>(),
            );
            rules.push(Rule {
                id: Arc::from(raw.id.get_ref().as_str()),
                label: def.label,
                base_score: *raw.base_score.get_ref(),
                min_score: raw.min_score.unwrap_or(0.0),
                matcher,
                validators: raw
                    .validators
                    .iter()
                    .filter_map(|v| {
                        let name = validators::NAMES.iter().find(|(n, _)| n == v.get_ref())?;
                        Some((name.0, name.1))
                    })
                    .collect(),
                context,
                allow,
                use_global_allow: raw.use_global_allow,
            });
        }
        if !errors.is_empty() {
            return Err(LoadErrors(errors));
        }
        // One gate for every keyword-less regex rule. If the combined automaton is too big, fall
        // back to running those rules unconditionally (correct, slower).
        let gate = if gate_sources.is_empty() {
            None
        } else {
            engine::Gate::build(&gate_sources, MAX_REGEX_SIZE_LIMIT * 4)
        };
        Detector::build(DetectorParts {
            rules,
            keywords,
            terms,
            global_allow,
            min_score,
            gate,
            gate_rules,
            dict_bytes,
        })
        .map_err(|e| LoadErrors(vec![err(&self.global_file, 0, e)]))
    }
}

/// Runs every rule's `examples` (each must yield a finding with the rule's label, at or above the
/// detector's `min_score`, covering the example's `value` — or anywhere in the text when no value
/// is given) and `negative_examples` (no finding with the rule's label at or above `min_score`).
/// Examples run through the whole detector, so overlap with other rules counts.
pub fn run_examples(set: &PatternSet, detector: &Detector) -> ExampleReport {
    let mut report = ExampleReport::default();
    let min = detector.min_score();
    for def in &set.rules {
        let id = def.raw.id.get_ref();
        for (line, text, value) in &def.examples {
            let findings = detector.scan(text);
            let (vs, ve) = match value {
                Some(v) => {
                    let s = text.find(v.as_str()).unwrap_or(0);
                    (s, s + v.len())
                }
                None => (0, 0),
            };
            let ok = findings.iter().any(|f| {
                f.label == def.label
                    && f.score >= min
                    && (value.is_none() || (f.byte_start <= vs && f.byte_end >= ve))
            });
            if ok {
                report.passed += 1;
            } else {
                let got: Vec<String> = findings
                    .iter()
                    .map(|f| format!("{}({}, {:.2})", f.label, f.rule, f.score))
                    .collect();
                report.failures.push(err(
                    &def.file,
                    *line,
                    format!(
                        "example of `{id}` not detected as {} (got: [{}])",
                        def.label,
                        got.join(", ")
                    ),
                ));
            }
        }
        for (line, text) in &def.negatives {
            let hit = detector
                .scan(text)
                .into_iter()
                .find(|f| f.label == def.label && f.score >= min);
            match hit {
                None => report.passed += 1,
                Some(f) => report.failures.push(err(
                    &def.file,
                    *line,
                    format!(
                        "negative example of `{id}` detected as {} by `{}` (score {:.2})",
                        f.label, f.rule, f.score
                    ),
                )),
            }
        }
    }
    report
}

/// Loads, compiles and runs examples: everything `phi-guard patterns check` does. Returns the
/// compiled detector and the example report, or every load/compile error.
pub fn check(
    dir: Option<&Path>,
    jurisdictions: &[String],
) -> Result<(Detector, ExampleReport), LoadErrors> {
    let set = match dir {
        Some(d) => load_dir(d, jurisdictions)?,
        None => load_embedded(jurisdictions)?,
    };
    let det = set.compile()?;
    let report = run_examples(&set, &det);
    Ok((det, report))
}

/// The path of a rules directory shown in messages (`<embedded>` for the built-in copy).
pub fn describe_source(dir: Option<&Path>) -> PathBuf {
    dir.map_or_else(|| PathBuf::from("<embedded>"), Path::to_path_buf)
}

#[cfg(test)]
mod tests;
