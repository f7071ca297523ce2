//! Every user-facing string, by key, in the client's language (Fluent, `locales/<lang>/main.ftl`).
//! English is the fallback for a language we do not have.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use std::collections::HashMap;
use unic_langid::LanguageIdentifier;

pub const FALLBACK: &str = "en";

/// The languages we ship (`locales/<lang>/main.ftl`).
pub const LANGUAGES: [&str; 2] = ["en", "pl"];

/// A locale that does not load: which, and why.
#[derive(Debug, thiserror::Error)]
#[error("locales/{lang}/main.ftl: {message}")]
pub struct LocaleError {
    pub lang: String,
    pub message: String,
}

pub struct I18n {
    bundles: HashMap<String, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n").field("languages", &self.bundles.keys().collect::<Vec<_>>()).finish()
    }
}

/// A value for a `{ $placeholder }`.
pub enum Arg<'a> {
    Str(&'a str),
    Num(i64),
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Str(s)
    }
}
impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Str(s)
    }
}
impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Num(n)
    }
}
impl From<u32> for Arg<'_> {
    fn from(n: u32) -> Self {
        Arg::Num(n.into())
    }
}

impl I18n {
    pub fn new(locales: impl IntoIterator<Item = (String, String)>) -> Result<I18n, LocaleError> {
        let mut bundles = HashMap::new();
        for (lang, source) in locales {
            let err = |message: String| LocaleError { lang: lang.clone(), message };
            let resource = FluentResource::try_new(source).map_err(|(_, errors)| err(format!("{errors:?}")))?;
            let id: LanguageIdentifier = lang.parse().map_err(|e| err(format!("{e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![id]);
            // Unicode isolation marks around placeholders show up in Telegram as stray characters.
            bundle.set_use_isolating(false);
            bundle.add_resource(resource).map_err(|errors| err(format!("{errors:?}")))?;
            bundles.insert(lang, bundle);
        }
        if !bundles.contains_key(FALLBACK) {
            return Err(LocaleError { lang: FALLBACK.into(), message: "the fallback locale is missing".into() });
        }
        Ok(I18n { bundles })
    }

    /// Our language for a Telegram `language_code` (`pl`, `pl-PL` …); English otherwise.
    pub fn pick(&self, language_code: Option<&str>) -> &'static str {
        let base = language_code.unwrap_or_default().split(['-', '_']).next().unwrap_or_default().to_lowercase();
        LANGUAGES.into_iter().find(|l| *l == base && self.bundles.contains_key(*l)).unwrap_or(FALLBACK)
    }

    pub fn has(&self, lang: &str, key: &str) -> bool {
        self.bundles.get(lang).is_some_and(|b| b.has_message(key))
    }

    pub fn tr(&self, lang: &str) -> Tr<'_> {
        Tr { i18n: self, lang: if self.bundles.contains_key(lang) { lang.to_string() } else { FALLBACK.to_string() } }
    }

    fn format(&self, lang: &str, key: &str, args: Option<&FluentArgs>) -> String {
        let found = [lang, FALLBACK].into_iter().find_map(|l| {
            let bundle = self.bundles.get(l)?;
            Some((bundle, bundle.get_message(key)?.value()?))
        });
        match found {
            Some((bundle, pattern)) => {
                let mut errors = Vec::new();
                let text = bundle.format_pattern(pattern, args, &mut errors).into_owned();
                if !errors.is_empty() {
                    tracing::warn!(key, ?errors, "locale message formatted with errors");
                }
                text
            }
            None => {
                tracing::error!(key, lang, "missing locale key");
                key.to_string()
            }
        }
    }
}

/// The strings of one language; what handlers hold while they answer one person.
pub struct Tr<'a> {
    i18n: &'a I18n,
    pub lang: String,
}

impl Tr<'_> {
    pub fn t(&self, key: &str) -> String {
        self.i18n.format(&self.lang, key, None)
    }

    pub fn t_args(&self, key: &str, args: &[(&str, Arg<'_>)]) -> String {
        let mut fargs = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Str(s) => fargs.set(*name, FluentValue::from(*s)),
                Arg::Num(n) => fargs.set(*name, FluentValue::from(*n)),
            }
        }
        self.i18n.format(&self.lang, key, Some(&fargs))
    }
}
