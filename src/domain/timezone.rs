//! A timezone the client types: an IANA name in any case, with spaces for underscores
//! (`europe/warsaw`, `America/New York`), a city the IANA database names (`new york`, `Warsaw`),
//! or one of a few big cities it does not (`San Francisco`, `Warszawa`).

use chrono_tz::{Tz, TZ_VARIANTS};

/// Cities people type that are not IANA zone names, in the languages we ship. Lower case, the
/// zone whose clock they keep.
const CITIES: &[(&str, Tz)] = &[
    ("san francisco", Tz::America__Los_Angeles),
    ("seattle", Tz::America__Los_Angeles),
    ("boston", Tz::America__New_York),
    ("washington", Tz::America__New_York),
    ("miami", Tz::America__New_York),
    ("munich", Tz::Europe__Berlin),
    ("münchen", Tz::Europe__Berlin),
    ("hamburg", Tz::Europe__Berlin),
    ("warszawa", Tz::Europe__Warsaw),
    ("kraków", Tz::Europe__Warsaw),
    ("krakow", Tz::Europe__Warsaw),
    ("wrocław", Tz::Europe__Warsaw),
    ("wroclaw", Tz::Europe__Warsaw),
    ("gdańsk", Tz::Europe__Warsaw),
    ("gdansk", Tz::Europe__Warsaw),
    ("poznań", Tz::Europe__Warsaw),
    ("poznan", Tz::Europe__Warsaw),
    ("łódź", Tz::Europe__Warsaw),
    ("lodz", Tz::Europe__Warsaw),
    ("londyn", Tz::Europe__London),
    ("nowy jork", Tz::America__New_York),
];

pub fn parse(text: &str) -> Option<Tz> {
    let typed = text.trim();
    if typed.is_empty() || typed.len() > 64 {
        return None;
    }
    let name = typed.replace(' ', "_");
    if let Ok(tz) = Tz::from_str_insensitive(&name) {
        return Some(tz);
    }
    let lower = typed.to_lowercase();
    if let Some((_, tz)) = CITIES.iter().find(|(city, _)| *city == lower) {
        return Some(*tz);
    }
    city(&name)
}

/// The zone named after a city: the part after the last `/` of a canonical `Region/City` name.
/// Old aliases (`US/Eastern`, `Poland`) have no city part and are found by their full name above.
fn city(name: &str) -> Option<Tz> {
    TZ_VARIANTS.iter().copied().find(|tz| {
        let full = tz.name();
        full.contains('/')
            && !full.starts_with("Etc/")
            && full.rsplit('/').next().is_some_and(|city| city.eq_ignore_ascii_case(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(text: &str) -> Option<&'static str> {
        parse(text).map(|t| t.name())
    }

    #[test]
    fn names_in_any_case_and_with_spaces() {
        assert_eq!(name(" europe/warsaw "), Some("Europe/Warsaw"));
        assert_eq!(name("America/New York"), Some("America/New_York"));
        assert_eq!(name("Mars/Olympus"), None);
        assert_eq!(name(""), None);
        assert_eq!(name(&"a".repeat(10_000)), None);
    }

    #[test]
    fn city_names_with_or_without_region() {
        assert_eq!(name("new york"), Some("America/New_York"));
        assert_eq!(name("Warsaw"), Some("Europe/Warsaw"));
        assert_eq!(name("los angeles"), Some("America/Los_Angeles"));
        assert_eq!(name("Singapore"), Some("Singapore"));
        assert_eq!(name("Warszawa"), Some("Europe/Warsaw"));
        assert_eq!(name("Kraków"), Some("Europe/Warsaw"));
        assert_eq!(name("San Francisco"), Some("America/Los_Angeles"));
        assert_eq!(name("Atlantis"), None);
        assert_eq!(name("/"), None);
    }
}
