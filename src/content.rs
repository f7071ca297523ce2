//! Conversation content as data: `dialogues/*.toml` (questions, points, lists) and
//! `locales/*/main.ftl` (every string a person reads). Built into the binary, or read from
//! `M2O_CONTENT_DIR` so an operator can change them without recompiling. Loading validates
//! everything, so a broken edit fails at start.

use crate::domain::escalation::Radius;
use crate::domain::qualification::{Qualification, QuestionKind};
use crate::i18n::I18n;
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;

pub use crate::i18n::LANGUAGES;

const EMBEDDED_ONBOARDING: &str = include_str!("../dialogues/onboarding.toml");
const EMBEDDED_AUTONOMY: &str = include_str!("../dialogues/autonomy.toml");
const EMBEDDED_NURTURE: &str = include_str!("../dialogues/nurture.toml");
const EMBEDDED_REFERRALS: &str = include_str!("../dialogues/referrals.toml");
const EMBEDDED_LOCALES: [(&str, &str); 2] =
    [("en", include_str!("../locales/en/main.ftl")), ("pl", include_str!("../locales/pl/main.ftl"))];

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("dialogues/onboarding.toml: {0}")]
    Toml(#[from] toml::de::Error),
    #[error("locales/{lang}/main.ftl: {message}")]
    Locale { lang: String, message: String },
    #[error(transparent)]
    Loading(#[from] crate::i18n::LocaleError),
    #[error("dialogues/onboarding.toml: {0}")]
    Invalid(String),
    #[error("dialogues/{0}: {1}")]
    Other(&'static str, toml::de::Error),
}

/// Who decides each action type, the autonomy radius (spec §7.2). Unknown types are red.
#[derive(Debug, Clone, Deserialize)]
pub struct Autonomy {
    pub actions: BTreeMap<String, Radius>,
}

impl Autonomy {
    pub fn radius(&self, action: &str) -> Radius {
        self.actions.get(action).copied().unwrap_or(Radius::Red)
    }
}

/// The nurture sequence for contact-track leads (the qualify-first flow, spec §7.7).
#[derive(Debug, Clone, Deserialize)]
pub struct Nurture {
    pub at: String,
    pub days: Vec<u32>,
}

impl Nurture {
    pub fn time(&self) -> chrono::NaiveTime {
        chrono::NaiveTime::parse_from_str(&self.at, "%H:%M").unwrap_or(chrono::NaiveTime::MIN)
    }
    pub fn text_key(day: u32) -> String {
        format!("nurture-{day}")
    }
    pub fn subject_key(day: u32) -> String {
        format!("nurture-{day}-subject")
    }
}

/// Referral codes an operator hands out, and the answers that mean "I have none"
/// (`dialogues/referrals.toml`).
#[derive(Debug, Clone, Deserialize)]
pub struct Referrals {
    pub codes: Vec<String>,
    pub skip: Vec<String>,
}

/// What a client typed at the referral question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReferralAnswer {
    /// A code on the list, as the list spells it.
    Known(String),
    /// "no", "brak", "-" …: the same as the `[Skip]` button.
    Skip,
    Unknown,
}

impl Referrals {
    pub fn judge(&self, typed: &str) -> ReferralAnswer {
        let words = typed.trim().trim_end_matches(['.', '!']).trim().to_lowercase();
        if self.skip.iter().any(|s| s.to_lowercase() == words) {
            return ReferralAnswer::Skip;
        }
        match self.codes.iter().find(|c| c.eq_ignore_ascii_case(typed.trim())) {
            Some(code) => ReferralAnswer::Known(code.clone()),
            None => ReferralAnswer::Unknown,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Onboarding {
    pub qualification: Qualification,
    pub timezones: Timezones,
    pub names: Names,
    pub botfather: Botfather,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Timezones {
    pub buttons: Vec<String>,
    #[serde(default)]
    pub guess_by_language: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Names {
    pub reserved: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Botfather {
    #[serde(default)]
    pub animation: String,
}

impl Timezones {
    /// The zone to offer first for a Telegram `language_code` such as `pl` or `pt-br`.
    pub fn guess(&self, language_code: Option<&str>) -> Option<&str> {
        let code = language_code?.to_lowercase();
        let base = code.split('-').next().unwrap_or_default().to_string();
        self.guess_by_language.get(&code).or_else(|| self.guess_by_language.get(&base)).map(String::as_str)
    }
}

/// Everything the conversations say and ask, validated.
#[derive(Debug)]
pub struct Content {
    pub onboarding: Onboarding,
    pub autonomy: Autonomy,
    pub nurture: Nurture,
    pub referrals: Referrals,
    pub i18n: I18n,
    /// The folder content was read from; `None` when built in. Used to find the BotFather
    /// animation.
    pub dir: Option<std::path::PathBuf>,
}

impl Content {
    /// The copies built into the binary.
    pub fn embedded() -> Result<Content, ContentError> {
        let onboarding: Onboarding = toml::from_str(EMBEDDED_ONBOARDING)?;
        let autonomy: Autonomy =
            toml::from_str(EMBEDDED_AUTONOMY).map_err(|e| ContentError::Other("autonomy.toml", e))?;
        let nurture: Nurture = toml::from_str(EMBEDDED_NURTURE).map_err(|e| ContentError::Other("nurture.toml", e))?;
        let referrals: Referrals =
            toml::from_str(EMBEDDED_REFERRALS).map_err(|e| ContentError::Other("referrals.toml", e))?;
        let i18n = I18n::new(EMBEDDED_LOCALES.iter().map(|(l, s)| (l.to_string(), s.to_string())))?;
        Content::validated(onboarding, autonomy, nurture, referrals, i18n, None)
    }

    /// Reads `<dir>/dialogues/onboarding.toml` and `<dir>/locales/<lang>/main.ftl`.
    pub fn from_dir(dir: &Path) -> Result<Content, ContentError> {
        let read = |rel: String| {
            let path = dir.join(&rel);
            std::fs::read_to_string(&path)
                .map_err(|source| ContentError::Read { path: path.display().to_string(), source })
        };
        let onboarding: Onboarding = toml::from_str(&read("dialogues/onboarding.toml".into())?)?;
        let autonomy: Autonomy = toml::from_str(&read("dialogues/autonomy.toml".into())?)
            .map_err(|e| ContentError::Other("autonomy.toml", e))?;
        let nurture: Nurture = toml::from_str(&read("dialogues/nurture.toml".into())?)
            .map_err(|e| ContentError::Other("nurture.toml", e))?;
        let referrals: Referrals = toml::from_str(&read("dialogues/referrals.toml".into())?)
            .map_err(|e| ContentError::Other("referrals.toml", e))?;
        let mut locales = Vec::new();
        for lang in LANGUAGES {
            locales.push((lang.to_string(), read(format!("locales/{lang}/main.ftl"))?));
        }
        let i18n = I18n::new(locales)?;
        Content::validated(onboarding, autonomy, nurture, referrals, i18n, Some(dir.to_path_buf()))
    }

    fn validated(
        onboarding: Onboarding,
        autonomy: Autonomy,
        nurture: Nurture,
        referrals: Referrals,
        i18n: I18n,
        dir: Option<std::path::PathBuf>,
    ) -> Result<Content, ContentError> {
        let content = Content { onboarding, autonomy, nurture, referrals, i18n, dir };
        content.check()?;
        Ok(content)
    }

    /// Locale keys that the dialogues refer to (question texts and option labels).
    pub fn dialogue_keys(&self) -> Vec<String> {
        let mut keys = Vec::new();
        for q in &self.onboarding.qualification.questions {
            keys.push(q.text_key());
            if let QuestionKind::Choice { options } = &q.kind {
                keys.extend(options.iter().map(|o| q.option_key(&o.id)));
            }
        }
        for day in &self.nurture.days {
            keys.push(Nurture::text_key(*day));
            keys.push(Nurture::subject_key(*day));
        }
        keys
    }

    fn check(&self) -> Result<(), ContentError> {
        let invalid = |m: String| Err(ContentError::Invalid(m));
        let q = &self.onboarding.qualification;
        let mut ids = HashSet::new();
        if q.questions.is_empty() {
            return invalid("qualification needs at least one question".into());
        }
        for question in &q.questions {
            if !ids.insert(question.id.as_str()) {
                return invalid(format!("question id {:?} appears twice", question.id));
            }
            if !question.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
                return invalid(format!("question id {:?}: use a-z and _", question.id));
            }
            if let QuestionKind::Choice { options } = &question.kind {
                if options.is_empty() || options.len() > 12 {
                    return invalid(format!("question {:?} needs 1 to 12 options", question.id));
                }
                let mut seen = HashSet::new();
                for o in options {
                    // callback data is `q:<question>:<option>` and Telegram allows 64 bytes.
                    if !seen.insert(&o.id) || 3 + question.id.len() + o.id.len() > 64 || o.id.contains(':') {
                        return invalid(format!(
                            "option {:?} of {:?} is repeated, too long or has ':'",
                            o.id, question.id
                        ));
                    }
                }
            }
        }
        for tz in self.onboarding.timezones.buttons.iter().chain(self.onboarding.timezones.guess_by_language.values()) {
            if tz.parse::<Tz>().is_err() {
                return invalid(format!("{tz:?} is not an IANA timezone name"));
            }
        }
        if chrono::NaiveTime::parse_from_str(&self.nurture.at, "%H:%M").is_err() || self.nurture.days.is_empty() {
            return invalid("nurture.toml: `at` must be HH:MM and `days` not empty".into());
        }
        for name in &self.onboarding.names.reserved {
            if name.is_empty() || name.to_lowercase() != *name {
                return invalid(format!("reserved name {name:?} must be lowercase"));
            }
        }
        for code in &self.referrals.codes {
            // Stored on the contact and shown to masters; the same shape the question accepts.
            let well_formed = (3..=32).contains(&code.len())
                && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !well_formed {
                return invalid(format!("referrals.toml: code {code:?} must be 3-32 of A-Z, 0-9, - and _"));
            }
            if self.referrals.judge(code) == ReferralAnswer::Skip {
                return invalid(format!("referrals.toml: code {code:?} is also a skip word"));
            }
        }
        for key in self.dialogue_keys() {
            for lang in LANGUAGES {
                if !self.i18n.has(lang, &key) {
                    return Err(ContentError::Locale {
                        lang: lang.into(),
                        message: format!("missing key {key} used by dialogues/onboarding.toml"),
                    });
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_content_loads_and_the_repo_copy_is_the_same() {
        let embedded = Content::embedded().expect("embedded content is valid");
        let dir = Content::from_dir(Path::new(env!("CARGO_MANIFEST_DIR"))).expect("repo content is valid");
        assert_eq!(embedded.dialogue_keys(), dir.dialogue_keys());
    }

    #[test]
    fn the_seeds_autonomy_table_and_unknown_is_red() {
        let c = Content::embedded().unwrap();
        assert_eq!(c.autonomy.radius("read_files"), Radius::Green);
        assert_eq!(c.autonomy.radius("deploy_production"), Radius::Yellow);
        assert_eq!(c.autonomy.radius("spend_credits"), Radius::Red);
        assert_eq!(c.autonomy.radius("launch_rocket"), Radius::Red);
    }

    #[test]
    fn referral_answers_skip_words_known_and_unknown_codes() {
        let c = Content::embedded().unwrap();
        let r = &c.referrals;
        for typed in ["none", " No. ", "-", "n/a", "nie", "Brak", "nie mam!", "POMIŃ"] {
            assert_eq!(r.judge(typed), ReferralAnswer::Skip, "{typed}");
        }
        assert_eq!(r.judge("friend-2026"), ReferralAnswer::Known("FRIEND-2026".into()));
        assert_eq!(r.judge("FRIEND-2027"), ReferralAnswer::Unknown);
        assert_eq!(r.judge("a bit of everything"), ReferralAnswer::Unknown);
    }

    #[test]
    fn timezone_guess_uses_the_language_code() {
        let c = Content::embedded().unwrap();
        assert_eq!(c.onboarding.timezones.guess(Some("pl")), Some("Europe/Warsaw"));
        assert_eq!(c.onboarding.timezones.guess(Some("pt-BR")), Some("America/Sao_Paulo"));
        assert_eq!(c.onboarding.timezones.guess(Some("en")), None);
        assert_eq!(c.onboarding.timezones.guess(None), None);
    }

    #[test]
    fn a_bad_edit_is_refused_with_the_reason() {
        let mut o: Onboarding = toml::from_str(EMBEDDED_ONBOARDING).unwrap();
        o.timezones.buttons.push("Mars/Olympus".into());
        let i18n = I18n::new(EMBEDDED_LOCALES.iter().map(|(l, s)| (l.to_string(), s.to_string()))).unwrap();
        let autonomy: Autonomy = toml::from_str(EMBEDDED_AUTONOMY).unwrap();
        let nurture: Nurture = toml::from_str(EMBEDDED_NURTURE).unwrap();
        let referrals: Referrals = toml::from_str(EMBEDDED_REFERRALS).unwrap();
        let mut bad_code = referrals.clone();
        bad_code.codes.push("no spaces allowed".into());
        let err = Content::validated(o, autonomy, nurture, referrals, i18n, None).unwrap_err().to_string();
        assert!(err.contains("Mars/Olympus"), "{err}");
        let c = Content::embedded().unwrap();
        let err = Content::validated(c.onboarding, c.autonomy, c.nurture, bad_code, c.i18n, None).unwrap_err();
        assert!(err.to_string().contains("no spaces allowed"), "{err}");
    }
}
