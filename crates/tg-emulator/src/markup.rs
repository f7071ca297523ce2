//! `parse_mode` handling: what text a person sees, and which texts Telegram
//! refuses to parse.
//!
//! Only `HTML` is checked, because it is where real bots break most (an
//! unescaped `<` from user input makes Telegram answer 400): tags must be
//! ones Telegram supports and must nest, and entities are decoded. The
//! visible text (tags removed) is what the stored message, the transcript and
//! the 4096-character limit use. `MarkdownV2`/`Markdown` text is kept as sent,
//! unchecked. Entities are not produced.

/// Tags Telegram's HTML parse mode accepts.
const HTML_TAGS: &[&str] = &[
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "a",
    "tg-emoji",
    "code",
    "pre",
    "blockquote",
];

/// The text a person sees for `text` sent with `parse_mode`, or the detail
/// of Telegram's `Bad Request: can't parse entities: <detail>`.
pub(crate) fn visible_text(text: &str, parse_mode: Option<&str>) -> Result<String, String> {
    match parse_mode {
        Some(mode) if mode.eq_ignore_ascii_case("html") => html_to_text(text),
        _ => Ok(text.to_owned()),
    }
}

fn html_to_text(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut open: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(pos) = rest.find(['<', '&']) {
        out.push_str(&rest[..pos]);
        let offset = text.len() - rest.len() + pos;
        let tail = &rest[pos..];
        if tail.starts_with('&') {
            let (decoded, used) = decode_entity(tail);
            out.push_str(&decoded);
            rest = &tail[used..];
            continue;
        }
        let end = tail.find('>').ok_or_else(|| format!("Unclosed start tag at byte offset {offset}"))?;
        let inner = &tail[1..end];
        rest = &tail[end + 1..];
        if let Some(name) = inner.strip_prefix('/') {
            let name = name.trim().to_ascii_lowercase();
            match open.pop() {
                Some(top) if top == name => {}
                _ => return Err(format!("Unexpected end tag at byte offset {offset}")),
            }
        } else {
            let name: String =
                inner.split(|c: char| c.is_whitespace() || c == '/').next().unwrap_or("").to_ascii_lowercase();
            if !HTML_TAGS.contains(&name.as_str()) {
                return Err(format!("Unsupported start tag \"{name}\" at byte offset {offset}"));
            }
            open.push(name);
        }
    }
    out.push_str(rest);
    match open.pop() {
        Some(tag) => Err(format!("Can't find end tag corresponding to start tag \"{tag}\"")),
        None => Ok(out),
    }
}

/// Decodes one entity at the start of `s` (which starts with '&'). Returns the
/// text and the bytes used; an unknown entity is kept literally, as Telegram does.
fn decode_entity(s: &str) -> (String, usize) {
    let Some(semi) = s.find(';').filter(|&i| i <= 10) else {
        return ("&".into(), 1);
    };
    let name = &s[1..semi];
    let decoded = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => name
            .strip_prefix("#x")
            .or_else(|| name.strip_prefix("#X"))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .or_else(|| name.strip_prefix('#').and_then(|dec| dec.parse().ok()))
            .and_then(char::from_u32),
    };
    match decoded {
        Some(c) => (c.to_string(), semi + 1),
        None => ("&".into(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_tags_are_removed_and_entities_decoded() {
        let got = visible_text("<b>Hi</b> &lt;you&gt; &amp; <a href=\"x\">me</a>", Some("HTML"));
        assert_eq!(got.as_deref(), Ok("Hi <you> & me"));
    }

    #[test]
    fn bad_html_is_refused() {
        assert!(visible_text("a < b", Some("HTML")).is_err());
        assert!(visible_text("<b>open", Some("HTML")).is_err());
        assert!(visible_text("<b><i>x</b></i>", Some("HTML")).is_err());
        assert!(visible_text("<script>x</script>", Some("HTML")).is_err());
    }

    #[test]
    fn other_modes_keep_the_text() {
        assert_eq!(visible_text("a < b", None).as_deref(), Ok("a < b"));
        assert_eq!(visible_text("*a*", Some("MarkdownV2")).as_deref(), Ok("*a*"));
    }
}
