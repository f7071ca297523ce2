//! Agent names: the slug that names the agent's app, desktop and registry entry (the spawn flow,
//! spec §3.10).

/// Names that may never be an agent's, whatever `dialogues/` adds to them: the fleet's own parts.
pub const BUILT_IN_RESERVED: [&str; 6] = ["m2", "master", "admin", "base", "root", "fleet"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Length,
    Characters,
    Hyphen,
    Reserved,
}

/// Checks a proposed name (already lowercased by the caller if it wants to be lenient).
pub fn check(name: &str, reserved: &[String]) -> Result<(), NameProblem> {
    if !(3..=20).contains(&name.len()) {
        return Err(NameProblem::Length);
    }
    if !name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(NameProblem::Characters);
    }
    if name.starts_with('-') || name.ends_with('-') {
        return Err(NameProblem::Hyphen);
    }
    if BUILT_IN_RESERVED.contains(&name) || reserved.iter().any(|r| r == name) {
        return Err(NameProblem::Reserved);
    }
    Ok(())
}

/// A free, valid variant of a taken name (`anna` → `anna-2`, `anna-3` …), trimming the stem so the
/// result still fits in 20 characters. `is_free` is asked about each candidate in order.
pub fn suggest(name: &str, reserved: &[String], is_free: impl Fn(&str) -> bool) -> Option<String> {
    (2..100).find_map(|n| {
        let suffix = format!("-{n}");
        let stem: String = name.chars().take(20 - suffix.len()).collect();
        let candidate = format!("{}{suffix}", stem.trim_end_matches('-'));
        (check(&candidate, reserved).is_ok() && is_free(&candidate)).then_some(candidate)
    })
}

/// A name suggestion from a bot's username: `acme_helper_bot` → `acme-helper`. Not checked: the
/// caller checks it like any name.
pub fn from_bot_username(username: &str) -> Option<String> {
    let username = username.to_lowercase();
    let stem = username.trim_end_matches("bot").trim_end_matches(['_', '-']);
    let slug: String = stem.chars().map(|c| if c == '_' { '-' } else { c }).take(20).collect();
    Some(slug.trim_matches('-').to_string()).filter(|s| s.len() >= 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn rules() {
        let extra = vec!["support".to_string()];
        assert_eq!(check("peter", &extra), Ok(()));
        assert_eq!(check("acme-helper-2", &extra), Ok(()));
        assert_eq!(check("ab", &extra), Err(NameProblem::Length));
        assert_eq!(check(&"a".repeat(21), &extra), Err(NameProblem::Length));
        assert_eq!(check("Peter", &extra), Err(NameProblem::Characters));
        assert_eq!(check("pe_ter", &extra), Err(NameProblem::Characters));
        assert_eq!(check("-peter", &extra), Err(NameProblem::Hyphen));
        assert_eq!(check("peter-", &extra), Err(NameProblem::Hyphen));
        assert_eq!(check("master", &extra), Err(NameProblem::Reserved));
        assert_eq!(check("m2o", &extra), Ok(()));
        assert_eq!(check("support", &extra), Err(NameProblem::Reserved));
    }

    #[test]
    fn suggestions_skip_taken_ones_and_fit() {
        let taken = ["anna", "anna-2"];
        assert_eq!(suggest("anna", &[], |c| !taken.contains(&c)).as_deref(), Some("anna-3"));
        let long = "abcdefghijklmnopqrst";
        let s = suggest(long, &[], |_| true).unwrap();
        assert_eq!(s, "abcdefghijklmnopqr-2");
        assert_eq!(check(&s, &[]), Ok(()));
    }

    proptest! {
        #[test]
        fn a_suggestion_is_always_a_valid_name(name in "[a-z0-9][a-z0-9-]{1,18}[a-z0-9]") {
            if let Some(s) = suggest(&name, &[], |_| true) {
                prop_assert_eq!(check(&s, &[]), Ok(()));
            }
        }
    }

    #[test]
    fn a_name_from_the_bots_username() {
        assert_eq!(from_bot_username("acme_helper_bot").as_deref(), Some("acme-helper"));
        assert_eq!(from_bot_username("AcmeBot").as_deref(), Some("acme"));
        assert_eq!(from_bot_username("ab_bot"), None, "too short to be a name");
        assert_eq!(from_bot_username("a_very_long_username_indeed_bot").as_deref(), Some("a-very-long-username"));
    }
}
