//! Every user-facing string exists in every language, and every string in a locale is used.

use fluent_syntax::ast::Entry;
use m2o_bot::content::{Content, LANGUAGES};
use std::collections::BTreeSet;
use std::path::Path;

/// Kebab-case literals in src/ that are not locale keys.
const NOT_KEYS: [&str; 7] = [
    "dry-run",
    "m2o-bot",
    "check-config",
    "api-key",
    "auto-approval",
    "x-telegram-bot-api-secret-token",
    "no-referrer",
];

fn keys_of(lang: &str) -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("locales/{lang}/main.ftl"));
    let source = std::fs::read_to_string(path).unwrap();
    let resource = fluent_syntax::parser::parse(source.as_str()).unwrap_or_else(|(_, e)| panic!("{lang}: {e:?}"));
    resource
        .body
        .iter()
        .filter_map(|e| match e {
            Entry::Message(m) => Some(m.id.name.to_string()),
            _ => None,
        })
        .collect()
}

fn source_literals() -> BTreeSet<String> {
    // Kebab-case literals anywhere (keys picked in a `match`), and any literal given to t()/t_args().
    let kebab = regex::Regex::new(r#""([a-z][a-z0-9]*(?:-[a-z0-9_]+)+)""#).unwrap();
    let call = regex::Regex::new(r#"\bt(?:_args)?\(\s*"([a-z][a-z0-9_-]*)""#).unwrap();
    let mut found = BTreeSet::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            // The console's own prompts are a developer tool's, in English: not what a client or a
            // master reads in Telegram.
            if path.ends_with("console") {
                continue;
            }
            // Test-only modules (`mod tests;`, `mod testing;`) hold test data, not strings people read.
            if path.ends_with("tests.rs") || path.ends_with("testing.rs") {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                // Unit tests' literals are test data, not strings a person reads.
                let text = text.split("#[cfg(test)]").next().unwrap_or_default();
                found.extend(kebab.captures_iter(text).map(|c| c[1].to_string()));
                found.extend(call.captures_iter(text).map(|c| c[1].to_string()));
            }
        }
    }
    found
}

#[test]
fn every_language_has_the_same_keys() {
    let en = keys_of("en");
    assert!(en.len() > 50);
    for lang in LANGUAGES {
        let other = keys_of(lang);
        let missing: Vec<_> = en.difference(&other).collect();
        let extra: Vec<_> = other.difference(&en).collect();
        assert!(missing.is_empty() && extra.is_empty(), "{lang}: missing {missing:?}, not in en {extra:?}");
    }
}

#[test]
fn every_key_is_used_and_every_used_key_exists() {
    let keys = keys_of("en");
    let literals = source_literals();
    let dialogue_keys: BTreeSet<String> = Content::embedded().unwrap().dialogue_keys().into_iter().collect();
    let unused: Vec<_> = keys.iter().filter(|k| !literals.contains(*k) && !dialogue_keys.contains(*k)).collect();
    assert!(unused.is_empty(), "locale keys no code uses: {unused:?}");
    let undefined: Vec<_> = literals.iter().filter(|l| !keys.contains(*l) && !NOT_KEYS.contains(&l.as_str())).collect();
    assert!(undefined.is_empty(), "keys used in src/ but missing from the locales (or add to NOT_KEYS): {undefined:?}");
    for key in &dialogue_keys {
        assert!(keys.contains(key), "dialogues/onboarding.toml uses {key}, missing from the locales");
    }
}

#[test]
fn every_message_formats_without_errors_in_every_language() {
    let content = Content::embedded().unwrap();
    for lang in LANGUAGES {
        for key in keys_of(lang) {
            let text = content.i18n.tr(lang).t(&key);
            assert!(!text.is_empty() && text != key, "{lang}/{key} formats to {text:?}");
            assert!(!text.contains('\u{2068}'), "{lang}/{key} has isolation marks");
        }
    }
}
