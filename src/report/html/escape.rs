//! Escaping for the HTML report: every piece of text that comes from a test (its name, its
//! output, its failure message) or from the command line goes through [`text`] before it
//! reaches the page, and data for the page's script through [`script_json`]. Test output can
//! therefore never open a tag, close the `<style>` or `<script>` element, or end an attribute.

use crate::runner::output::clean_text;

/// `s` as HTML text or a quoted attribute value: first cleaned as for JUnit (ANSI escapes and
/// the control characters XML 1.0 forbids removed; invalid UTF-8 was already replaced with
/// U+FFFD when the output was decoded), then `&`, `<`, `>`, `"` and `'` written as character
/// references.
pub(crate) fn text(s: &str) -> String {
    let cleaned = clean_text(s);
    let mut out = String::with_capacity(cleaned.len() + cleaned.len() / 8);
    for c in cleaned.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Carriage returns would fold lines on display; tabs and newlines stay.
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// Serialised JSON made safe inside `<script type="application/json">`: `<`, `>` and `&` are
/// written as `\u003c`, `\u003e`, `\u0026` (they can occur only inside JSON strings, where the
/// escape means the same), so no `</script>` or `<!--` can appear in the element.
pub(crate) fn script_json(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            // Valid in JSON, but a line terminator in older JavaScript parsers.
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hostile names and output from docs/hostile-cases.md and the JUnit rules.
    const HOSTILE: &[&str] = &[
        "<script>alert(1)</script>",
        "\" onmouseover=\"alert(1)",
        "' onload='alert(1)",
        "a & b &amp; c",
        "]]><x>",
        "</style><script>alert(1)</script>",
        "</script><img src=x onerror=alert(1)>",
        "<!-- comment -->",
        "\x1b[31mred\x1b[0m \x07bell \x00nul \x0bvt \x7fdel",
    ];

    #[test]
    fn hostile_text_cannot_make_markup() {
        for h in HOSTILE {
            let e = text(h);
            for bad in ['<', '>', '"', '\''] {
                assert!(!e.contains(bad), "{h:?} -> {e:?}");
            }
            // Every `&` starts a character reference we wrote.
            for (i, _) in e.match_indices('&') {
                let rest = &e[i..];
                assert!(
                    ["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                        .iter()
                        .any(|r| rest.starts_with(r)),
                    "{h:?} -> {e:?}"
                );
            }
        }
        assert_eq!(text("<script>"), "&lt;script&gt;");
        assert_eq!(text("a&b"), "a&amp;b");
        assert_eq!(text("\"'"), "&quot;&#39;");
        assert_eq!(text("]]>"), "]]&gt;");
        assert_eq!(text("</style>"), "&lt;/style&gt;");
    }

    #[test]
    fn control_characters_and_escapes_are_removed_text_is_kept() {
        let e = text("\x1b[31mred\x1b[0m\x00\x01\x08\x0b\x0c\x1f\x7f ok\ttab\r\nline");
        assert_eq!(e, "red ok\ttab\nline");
        assert!(!e.chars().any(|c| c.is_control() && c != '\t' && c != '\n'));
    }

    #[test]
    fn invalid_utf8_is_a_replacement_character_and_unicode_stays() {
        let lossy = String::from_utf8_lossy(b"bad \xff\xfe bytes \xc3( </x>").into_owned();
        let e = text(&lossy);
        assert!(e.contains('\u{fffd}'), "{e:?}");
        assert!(e.contains("&lt;/x&gt;"), "{e:?}");
        assert_eq!(text("tests::ünïcödé_名前"), "tests::ünïcödé_名前");
    }

    #[test]
    fn script_json_never_closes_the_script_element() {
        let json = serde_json::to_string(&vec![
            "</script><script>alert(1)</script>",
            "<!--",
            "a&b",
            "\u{2028}",
        ])
        .unwrap();
        let safe = script_json(&json);
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: Vec<String> = serde_json::from_str(&safe).unwrap();
        assert_eq!(back[0], "</script><script>alert(1)</script>");
        assert_eq!(back[2], "a&b");
    }
}
