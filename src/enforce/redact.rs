//! Building the Agent Workspace redaction body: the comment's `html_body` with chosen byte
//! ranges wrapped in `<redact>…</redact>`.
//!
//! Owns: inserting the tags so the result stays well-formed. A range that crosses inline markup
//! (`<b>Jo</b>hn`) is wrapped piece by piece (`<b><redact>Jo</redact></b><redact>hn</redact>`);
//! a range that starts or ends inside a tag, overlaps another one, or is not on character
//! boundaries is skipped and counted. Must not: log or return anything but the new HTML.

/// The rewritten HTML and how many ranges could not be wrapped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wrapped {
    pub html: String,
    pub wrapped: usize,
    pub skipped: usize,
}

/// Wraps `ranges` (byte offsets into `html`, any order) in `<redact>` tags.
pub fn wrap_ranges(html: &str, ranges: &[(usize, usize)]) -> Wrapped {
    let mut sorted: Vec<(usize, usize)> = ranges.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let inside_tag = tag_map(html);
    let mut out = String::with_capacity(html.len() + ranges.len() * 20);
    let mut pos = 0;
    let (mut wrapped, mut skipped) = (0, 0);
    for (s, e) in sorted {
        let valid = s < e
            && e <= html.len()
            && s >= pos
            && html.is_char_boundary(s)
            && html.is_char_boundary(e)
            && !inside_tag[s]
            && (e == html.len() || !inside_tag[e] || html.as_bytes()[e] == b'<')
            && !(e > 0 && inside_tag[e - 1] && html.as_bytes()[e - 1] != b'>');
        if !valid {
            skipped += 1;
            continue;
        }
        out.push_str(&html[pos..s]);
        // Split at tags: wrap each text piece of [s, e).
        let mut i = s;
        while i < e {
            if inside_tag[i] {
                let mut j = i;
                while j < e && inside_tag[j] {
                    j += 1;
                }
                out.push_str(&html[i..j]);
                i = j;
            } else {
                let mut j = i;
                while j < e && !inside_tag[j] {
                    j += 1;
                }
                out.push_str("<redact>");
                out.push_str(&html[i..j]);
                out.push_str("</redact>");
                i = j;
            }
        }
        pos = e;
        wrapped += 1;
    }
    out.push_str(&html[pos..]);
    Wrapped {
        html: out,
        wrapped,
        skipped,
    }
}

/// Byte ranges of the text between tags that holds something other than whitespace: wrapping
/// all of them in `<redact>` redacts every visible character of a comment.
pub fn text_ranges(html: &str) -> Vec<(usize, usize)> {
    let inside_tag = tag_map(html);
    let mut out = Vec::new();
    let mut i = 0;
    while i < html.len() {
        if inside_tag[i] {
            i += 1;
            continue;
        }
        let start = i;
        while i < html.len() && !inside_tag[i] {
            i += 1;
        }
        if html[start..i].chars().any(|c| !c.is_whitespace()) {
            out.push((start, i));
        }
    }
    out
}

/// The visible text of an HTML fragment: tags dropped, common entities decoded. Used to
/// fingerprint an HTML span the same way as the plain text the webhook carried
/// (`536-<b>22</b>-8107` → `536-22-8107`, `A&amp;B` → `A&B`).
pub fn visible_text(fragment: &str) -> String {
    let map = tag_map(fragment);
    let mut text = String::with_capacity(fragment.len());
    let mut i = 0;
    while i < fragment.len() {
        if map[i] {
            i += 1;
            continue;
        }
        let rest = &fragment[i..];
        if rest.starts_with('&')
            && let Some(end) = rest[..rest.len().min(12)].find(';')
            && let Some(c) = decode_entity(&rest[1..end])
        {
            text.push(c);
            i += end + 1;
            continue;
        }
        let c = rest.chars().next().unwrap_or(' ');
        text.push(c);
        i += c.len_utf8();
    }
    text
}

fn decode_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => '\u{a0}',
        _ => {
            let num = name.strip_prefix('#')?;
            let code = match num.strip_prefix(['x', 'X']) {
                Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                None => num.parse().ok()?,
            };
            char::from_u32(code)?
        }
    })
}

/// For every byte: is it part of a tag (`<` … `>` inclusive)?
fn tag_map(html: &str) -> Vec<bool> {
    let mut map = vec![false; html.len() + 1];
    let mut in_tag = false;
    let mut quote: Option<u8> = None;
    for (i, &b) in html.as_bytes().iter().enumerate() {
        if in_tag {
            map[i] = true;
            match quote {
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'"' || b == b'\'' => quote = Some(b),
                None if b == b'>' => in_tag = false,
                None => {}
            }
        } else if b == b'<'
            && html
                .as_bytes()
                .get(i + 1)
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == b'/' || *n == b'!' || *n == b'?')
        {
            in_tag = true;
            map[i] = true;
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(html: &str, needle: &str) -> (usize, usize) {
        let s = html.find(needle).unwrap();
        (s, s + needle.len())
    }

    #[test]
    fn text_ranges_cover_every_visible_character() {
        let html = "<p>Sure, <b>Jo</b>hn</p>\n<p> </p><p>é x</p>";
        let r = text_ranges(html);
        let pieces: Vec<&str> = r.iter().map(|&(s, e)| &html[s..e]).collect();
        assert_eq!(pieces, vec!["Sure, ", "Jo", "hn", "é x"]);
        let w = wrap_ranges(html, &r);
        assert_eq!((w.wrapped, w.skipped), (4, 0));
        assert_eq!(
            w.html,
            "<p><redact>Sure, </redact><b><redact>Jo</redact></b><redact>hn</redact></p>\n<p> </p><p><redact>é x</redact></p>"
        );
        assert_eq!(text_ranges("plain text"), vec![(0, 10)]);
        assert!(text_ranges("<p> \n </p>").is_empty());
        assert!(text_ranges("").is_empty());
    }

    #[test]
    fn wraps_exact_ranges() {
        let html = "<div class=\"zd-comment\"><p>SSN 123-45-6789 and MRN 55</p></div>";
        let w = wrap_ranges(html, &[span(html, "123-45-6789"), span(html, "55")]);
        assert_eq!(
            w.html,
            "<div class=\"zd-comment\"><p>SSN <redact>123-45-6789</redact> and MRN <redact>55</redact></p></div>"
        );
        assert_eq!((w.wrapped, w.skipped), (2, 0));
    }

    #[test]
    fn range_across_inline_markup_is_wrapped_piecewise() {
        let html = "<p>Name: <b>Jo</b>hn Smith</p>";
        let w = wrap_ranges(html, &[span(html, "Jo</b>hn Smith")]);
        assert_eq!(
            w.html,
            "<p>Name: <b><redact>Jo</redact></b><redact>hn Smith</redact></p>"
        );
        assert_eq!(w.wrapped, 1);
    }

    #[test]
    fn ranges_inside_tags_overlapping_or_out_of_bounds_are_skipped() {
        let html = "<a href=\"x123\">123</a>";
        let inside = span(html, "x123");
        let text = (html.rfind("123").unwrap(), html.rfind("123").unwrap() + 3);
        let w = wrap_ranges(
            html,
            &[inside, text, (text.0 + 1, text.1), (0, html.len() + 5)],
        );
        assert_eq!(w.html, "<a href=\"x123\"><redact>123</redact></a>");
        assert_eq!((w.wrapped, w.skipped), (1, 3));
    }

    #[test]
    fn non_char_boundaries_are_skipped_and_text_kept() {
        let html = "é 12";
        let w = wrap_ranges(html, &[(1, 3)]);
        assert_eq!(w.html, html);
        assert_eq!(w.skipped, 1);
    }

    #[test]
    fn visible_text_drops_tags_and_decodes_entities() {
        assert_eq!(visible_text("536-<b>22</b>-8107"), "536-22-8107");
        assert_eq!(
            visible_text("Smith &amp; Jones&#33;&#x3F;"),
            "Smith & Jones!?"
        );
        assert_eq!(visible_text("a &bogus; b"), "a &bogus; b");
        assert_eq!(visible_text("x&nbsp;y"), "x\u{a0}y");
    }

    #[test]
    fn less_than_in_text_is_not_a_tag() {
        let html = "a < 5 and 123";
        let w = wrap_ranges(html, &[span(html, "123")]);
        assert_eq!(w.html, "a < 5 and <redact>123</redact>");
    }
}
