//! Email addresses as the onboarding accepts them: trimmed, lowercased, and of the everyday
//! `local@domain.tld` shape. Quoted local parts and IP-literal domains are valid by RFC 5322 but
//! never seen from real clients, so they are refused with a clear message instead.

/// Returns the normalised address, or `None` when it is not a usable email address.
pub fn normalize(input: &str) -> Option<String> {
    let email = input.trim().to_lowercase();
    if email.len() > 254 {
        return None;
    }
    let (local, domain) = email.split_once('@')?;
    if !valid_local(local) || !valid_domain(domain) {
        return None;
    }
    Some(email)
}

/// The part after `@` of an address that `normalize` accepted.
pub fn domain(email: &str) -> &str {
    email.rsplit_once('@').map(|(_, d)| d).unwrap_or("")
}

fn valid_local(local: &str) -> bool {
    const SPECIALS: &str = ".!#$%&'*+/=?^_`{|}~-";
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| c.is_ascii_alphanumeric() || SPECIALS.contains(c))
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    let tld_ok = labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    labels.len() >= 2
        && tld_ok
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn trims_and_lowercases() {
        assert_eq!(normalize("  Anna@ACME.io \n").as_deref(), Some("anna@acme.io"));
        assert_eq!(normalize("a.b+tag@mail.example.co.uk").as_deref(), Some("a.b+tag@mail.example.co.uk"));
    }

    #[test]
    fn refuses_what_is_not_an_address() {
        for bad in [
            "",
            "anna",
            "anna@",
            "@acme.io",
            "anna@acme",
            "anna@@acme.io",
            "an na@acme.io",
            "anna@acme..io",
            ".anna@acme.io",
            "anna.@acme.io",
            "anna@-acme.io",
            "anna@acme.i0",
            "anna@acme.c",
            "a@b@c.io",
        ] {
            assert_eq!(normalize(bad), None, "{bad:?}");
        }
        assert_eq!(normalize(&format!("{}@acme.io", "a".repeat(65))), None);
    }

    #[test]
    fn domain_is_the_part_after_the_at() {
        assert_eq!(domain("anna@acme.io"), "acme.io");
    }

    proptest! {
        #[test]
        fn normalising_is_idempotent(s in "\\PC{0,40}") {
            if let Some(e) = normalize(&s) {
                prop_assert_eq!(normalize(&e), Some(e.clone()));
                prop_assert!(e.contains('@'));
            }
        }

        #[test]
        fn plain_addresses_are_accepted(local in "[a-z0-9]{1,20}", host in "[a-z0-9]{1,20}", tld in "[a-z]{2,6}") {
            let email = format!("{local}@{host}.{tld}");
            prop_assert_eq!(normalize(&email.to_uppercase()), Some(email));
        }
    }
}
