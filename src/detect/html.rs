//! Visible text of an HTML fragment, with a map back to the original bytes.
//!
//! Owns: a small, forgiving tag/entity scanner (not a full HTML5 parser) good enough for Zendesk
//! `html_body` fragments. Tags are dropped (block-level tags become a `\n` so words on separate
//! lines do not merge), `script`/`style`/`template`/`noscript`/`head` content and comments are
//! skipped, character references (`&amp;`, `&#233;`, `&#xE9;`, common named ones) are decoded.
//! Must not: allocate per finding, panic on malformed markup (unclosed tags or comments just end
//! the visible text).

/// One run of visible text and where it came from.
#[derive(Debug, Clone, Copy)]
struct Seg {
    vis: usize,
    vis_len: usize,
    orig: usize,
    orig_len: usize,
    /// Copied byte for byte (offsets inside map 1:1); otherwise an entity or synthetic newline.
    verbatim: bool,
}

#[derive(Debug)]
pub(crate) struct VisibleText {
    pub text: String,
    segs: Vec<Seg>,
}

const SKIP_CONTENT: &[&str] = &["script", "style", "template", "noscript", "head", "title"];
const BLOCK: &[&str] = &[
    "br",
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "td",
    "th",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "hr",
    "section",
    "article",
    "header",
    "footer",
    "dt",
    "dd",
];

impl VisibleText {
    pub(crate) fn extract(html: &str) -> VisibleText {
        let b = html.as_bytes();
        let mut out = VisibleText {
            text: String::with_capacity(html.len()),
            segs: Vec::new(),
        };
        let mut i = 0;
        let mut run = 0; // start of the current verbatim run
        while i < b.len() {
            match b[i] {
                b'<' => {
                    let Some((end, name, closing)) = parse_tag(b, i) else {
                        i += 1;
                        continue;
                    };
                    out.push_verbatim(html, run, i);
                    let lname = name.to_ascii_lowercase();
                    if name == "!--" {
                        i = find(b, i + 4, b"-->").map_or(b.len(), |p| p + 3);
                    } else if !closing && SKIP_CONTENT.contains(&lname.as_str()) {
                        i = find_close(b, end, &lname).unwrap_or(b.len());
                    } else {
                        if BLOCK.contains(&lname.as_str()) {
                            out.push_synthetic("\n", i, end - i);
                        }
                        i = end;
                    }
                    run = i;
                }
                b'&' => {
                    if let Some((len, ch)) = parse_entity(&html[i..]) {
                        out.push_verbatim(html, run, i);
                        let mut tmp = [0u8; 4];
                        out.push_synthetic(ch.encode_utf8(&mut tmp), i, len);
                        i += len;
                        run = i;
                    } else {
                        i += 1;
                    }
                }
                _ => i += 1,
            }
        }
        out.push_verbatim(html, run, b.len());
        out
    }

    fn push_verbatim(&mut self, html: &str, from: usize, to: usize) {
        if to > from {
            self.segs.push(Seg {
                vis: self.text.len(),
                vis_len: to - from,
                orig: from,
                orig_len: to - from,
                verbatim: true,
            });
            self.text.push_str(&html[from..to]);
        }
    }

    fn push_synthetic(&mut self, s: &str, orig: usize, orig_len: usize) {
        self.segs.push(Seg {
            vis: self.text.len(),
            vis_len: s.len(),
            orig,
            orig_len,
            verbatim: false,
        });
        self.text.push_str(s);
    }

    /// Maps a visible byte span to the original HTML byte span.
    pub(crate) fn map_span(&self, s: usize, e: usize) -> (usize, usize) {
        if self.segs.is_empty() {
            return (0, 0);
        }
        let seg_of = |p: usize| {
            let k = self.segs.partition_point(|g| g.vis <= p);
            &self.segs[k.saturating_sub(1)]
        };
        let a = seg_of(s);
        let start = if a.verbatim {
            a.orig + (s - a.vis).min(a.vis_len)
        } else {
            a.orig
        };
        let z = seg_of(e.saturating_sub(1).max(s));
        let end = if z.verbatim {
            z.orig + (e - z.vis).min(z.vis_len)
        } else {
            z.orig + z.orig_len
        };
        (start, end.max(start))
    }
}

/// Parses a tag starting at `b[i] == b'<'`: returns (index after `>`, name, is closing).
/// `None` if this `<` does not start a tag (e.g. `a < b`).
fn parse_tag(b: &[u8], i: usize) -> Option<(usize, &str, bool)> {
    let mut j = i + 1;
    if b.get(j..j + 3) == Some(b"!--") {
        return Some((i + 4, "!--", false));
    }
    let closing = b.get(j) == Some(&b'/');
    if closing {
        j += 1;
    }
    let c = *b.get(j)?;
    if !(c.is_ascii_alphabetic() || c == b'!' || c == b'?') {
        return None;
    }
    let ns = j;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'!' || b[j] == b'?') {
        j += 1;
    }
    let name = std::str::from_utf8(&b[ns..j]).ok()?;
    // Find the closing '>' outside quotes.
    let mut quote = 0u8;
    while j < b.len() {
        let c = b[j];
        if quote != 0 {
            if c == quote {
                quote = 0;
            }
        } else if c == b'"' || c == b'\'' {
            quote = c;
        } else if c == b'>' {
            return Some((j + 1, name, closing));
        }
        j += 1;
    }
    Some((b.len(), name, closing))
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from >= b.len() {
        return None;
    }
    memchr::memmem::find(&b[from..], needle).map(|p| p + from)
}

/// Index after `</name ...>` (case-insensitive), searching from `from`.
fn find_close(b: &[u8], from: usize, name: &str) -> Option<usize> {
    let mut k = from;
    while let Some(p) = find(b, k, b"</") {
        let n = p + 2;
        if b.len() >= n + name.len() && b[n..n + name.len()].eq_ignore_ascii_case(name.as_bytes()) {
            return Some(find(b, n, b">").map_or(b.len(), |q| q + 1));
        }
        k = n;
    }
    None
}

const NAMED: &[(&str, char)] = &[
    ("amp", '&'),
    ("lt", '<'),
    ("gt", '>'),
    ("quot", '"'),
    ("apos", '\''),
    ("nbsp", ' '),
    ("ensp", ' '),
    ("emsp", ' '),
    ("thinsp", ' '),
    ("ndash", '–'),
    ("mdash", '—'),
    ("hellip", '…'),
    ("lsquo", '‘'),
    ("rsquo", '’'),
    ("ldquo", '“'),
    ("rdquo", '”'),
    ("copy", '©'),
    ("reg", '®'),
    ("deg", '°'),
    ("eacute", 'é'),
    ("Eacute", 'É'),
    ("egrave", 'è'),
    ("ecirc", 'ê'),
    ("agrave", 'à'),
    ("acirc", 'â'),
    ("ccedil", 'ç'),
    ("ocirc", 'ô'),
    ("ucirc", 'û'),
    ("ugrave", 'ù'),
    ("icirc", 'î'),
    ("iuml", 'ï'),
    ("euml", 'ë'),
    ("ntilde", 'ñ'),
    ("aacute", 'á'),
    ("iacute", 'í'),
    ("oacute", 'ó'),
    ("uacute", 'ú'),
    ("auml", 'ä'),
    ("ouml", 'ö'),
    ("uuml", 'ü'),
    ("szlig", 'ß'),
];

/// Parses a character reference at the start of `s` (`&...;`): (length in bytes, char).
fn parse_entity(s: &str) -> Option<(usize, char)> {
    let b = s.as_bytes();
    let semi = b.iter().take(12).position(|&c| c == b';')?;
    let body = &s[1..semi];
    let ch = if let Some(num) = body.strip_prefix('#') {
        let v = if let Some(hex) = num.strip_prefix(['x', 'X']) {
            u32::from_str_radix(hex, 16).ok()?
        } else {
            num.parse::<u32>().ok()?
        };
        let c = char::from_u32(v)?;
        if c == '\u{a0}' { ' ' } else { c }
    } else {
        NAMED.iter().find(|(n, _)| *n == body)?.1
    };
    Some((semi + 1, ch))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vis(html: &str) -> String {
        VisibleText::extract(html).text
    }

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(vis("<p>Tom &amp; Jerry</p>"), "\nTom & Jerry\n");
        assert_eq!(vis("a<br/>b<br>c"), "a\nb\nc");
        assert_eq!(
            vis("x<script>var a='<b>';</script>y<style>p{}</style>z"),
            "xyz"
        );
        assert_eq!(vis("a<!-- hidden 555-12-3456 -->b"), "ab");
        assert_eq!(vis("caf&#233; &#xE9;&nbsp;ok"), "café é ok");
        assert_eq!(vis("1 < 2 &unknown; &"), "1 < 2 &unknown; &");
        assert_eq!(vis("<b>Jo</b>hn"), "John");
        assert_eq!(vis("<a href=\"x>y\">link</a>"), "link");
        assert_eq!(vis("unclosed <b"), "unclosed ");
        assert_eq!(vis("<!-- never closed"), "");
    }

    #[test]
    fn maps_spans_back() {
        let html = "<p>Call <b>555</b>&#45;1234 &amp; bye</p>";
        let v = VisibleText::extract(html);
        let s = v.text.find("555").unwrap();
        let e = v.text.find("1234").unwrap() + 4;
        let (os, oe) = v.map_span(s, e);
        assert_eq!(&html[os..oe], "555</b>&#45;1234");
        let a = v.text.find('&').unwrap();
        let (os, oe) = v.map_span(a, a + 1);
        assert_eq!(&html[os..oe], "&amp;");
    }
}
