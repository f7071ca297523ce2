//! A timezone the client types: an IANA name in any case, with spaces for underscores
//! (`europe/warsaw`, `America/New York`).

use chrono_tz::Tz;

pub fn parse(text: &str) -> Option<Tz> {
    let name = text.trim().replace(' ', "_");
    if name.is_empty() || name.len() > 64 {
        return None;
    }
    Tz::from_str_insensitive(&name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_any_case_and_with_spaces() {
        assert_eq!(parse(" europe/warsaw ").map(|t| t.name()), Some("Europe/Warsaw"));
        assert_eq!(parse("America/New York").map(|t| t.name()), Some("America/New_York"));
        assert_eq!(parse("Mars/Olympus"), None);
        assert_eq!(parse(""), None);
        assert_eq!(parse(&"a".repeat(10_000)), None);
    }
}
