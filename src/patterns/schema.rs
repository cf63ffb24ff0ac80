//! Serde shapes of `global.toml` and rule files (`docs/pattern-authoring.md` documents them).
//! Unknown keys are errors so that typos are reported instead of silently ignored.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGlobal {
    #[serde(default)]
    pub settings: RawSettings,
    #[serde(default)]
    pub allow: RawAllow,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSettings {
    /// Default threshold callers apply to findings.
    pub min_score: Option<f32>,
    /// Compiled size limit per regex, bytes.
    pub regex_size_limit: Option<usize>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAllow {
    #[serde(default)]
    pub values: Vec<String>,
    #[serde(default)]
    pub regexes: Vec<Spanned<String>>,
    #[serde(default)]
    pub stopwords: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFile {
    #[serde(default)]
    pub rules: Vec<Spanned<RawRule>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRule {
    pub id: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)]
    pub description: String,
    pub label: Spanned<String>,
    pub regex: Option<Spanned<String>>,
    #[serde(default)]
    pub dictionary: Vec<Spanned<String>>,
    /// Dictionary terms must start with an upper-case letter in the text.
    #[serde(default)]
    pub case_sensitive: bool,
    pub names: Option<Spanned<RawNames>>,
    #[serde(default)]
    pub keywords: Vec<String>,
    #[serde(default)]
    pub validators: Vec<Spanned<String>>,
    pub base_score: Spanned<f32>,
    pub min_score: Option<f32>,
    pub context: Option<RawContext>,
    pub allow: Option<RawAllow>,
    #[serde(default = "yes")]
    pub use_global_allow: bool,
    #[serde(default)]
    pub examples: Vec<Spanned<RawExample>>,
    #[serde(default)]
    pub negative_examples: Vec<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(super) enum RawExample {
    Text(String),
    Full { text: String, value: String },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawNames {
    #[serde(default)]
    pub first_names: Vec<String>,
    #[serde(default)]
    pub last_names: Vec<String>,
    #[serde(default)]
    pub common_words: Vec<String>,
    #[serde(default)]
    pub titles: Vec<String>,
    /// Capitalised words that are never part of a name (inline, not a dictionary).
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Dictionaries whose entries are never part of a name (street suffixes, place words).
    #[serde(default)]
    pub stop_lists: Vec<String>,
    /// Words that turn the preceding capitalised run into an organisation name (not reported).
    #[serde(default)]
    pub org_suffixes: Vec<String>,
    /// Also report an all-lower-case `first last` pair (first name then last name, neither a
    /// common word), as typed in chat: "my name is maria lopez". Costs one dictionary lookup per
    /// lower-case word.
    #[serde(default)]
    pub lower_case_pairs: bool,
    /// Also report `Last, First` ("Tran, Bao"): a capitalised last name, a comma and a space,
    /// then a capitalised first name (neither a common word, stop-word or title).
    #[serde(default)]
    pub last_comma_first: bool,
    /// Report the other mentions of a name found in the same text: each word (3+ letters,
    /// capitalised, not a common word, stop-word or title) of a NAME finding scoring at least
    /// 0.7, wherever it appears again as a whole word with the same spelling ("Zimmerman
    /// reports ..." after "Patient: Robert Zimmerman"). At most one names rule should set it.
    #[serde(default)]
    pub propagate_mentions: bool,
}

impl RawNames {
    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.first_names
            .iter()
            .chain(&self.last_names)
            .chain(&self.common_words)
            .chain(&self.titles)
            .chain(&self.stop_lists)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawContext {
    #[serde(default)]
    pub words: Vec<String>,
    #[serde(default)]
    pub negative_words: Vec<String>,
    #[serde(default = "default_window")]
    pub window_before: usize,
    #[serde(default = "default_window")]
    pub window_after: usize,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub boost: f32,
    #[serde(default)]
    pub penalty: f32,
    #[serde(default = "default_negative_penalty")]
    pub negative_penalty: f32,
}

fn default_window() -> usize {
    40
}

fn default_negative_penalty() -> f32 {
    0.5
}
