//! The qualification score of the qualify-first onboarding (spec §7.7), from the answers and the
//! email domain. The questions, options and points are data — [`Qualification`], read from
//! `dialogues/onboarding.toml` by `content` — and this is their shape and the arithmetic.

use serde::Deserialize;
use std::collections::BTreeMap;

/// The `[qualification]` table of `dialogues/onboarding.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Qualification {
    pub base: u32,
    pub threshold: u32,
    pub company_email_points: u32,
    pub free_mail_domains: Vec<String>,
    pub questions: Vec<Question>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    #[serde(flatten)]
    pub kind: QuestionKind,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum QuestionKind {
    Choice {
        options: Vec<ChoiceOption>,
    },
    Text {
        points: u32,
        #[serde(default)]
        skippable: bool,
    },
}

#[derive(Debug, Clone, Deserialize)]
pub struct ChoiceOption {
    pub id: String,
    pub points: u32,
}

impl Question {
    /// The locale keys of the question's text and of each option's label.
    pub fn text_key(&self) -> String {
        format!("q-{}", self.id)
    }
    pub fn option_key(&self, option: &str) -> String {
        format!("q-{}-{}", self.id, option)
    }
}

/// Where the score sends the contact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Track {
    Qualified,
    ContactTrack,
}

/// One part of a score: what earned the points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Base,
    CompanyEmail,
    /// A chosen option of a choice question.
    Choice {
        question: String,
        option: String,
    },
    /// A text answer (the referral code).
    Text {
        question: String,
        answer: String,
    },
}

/// The parts of the score that earned points, base first, in the order of the questions.
pub fn breakdown(q: &Qualification, email_domain: &str, answers: &BTreeMap<String, String>) -> Vec<(Part, u32)> {
    let mut parts = vec![(Part::Base, q.base)];
    if !q.free_mail_domains.iter().any(|d| d == email_domain) {
        parts.push((Part::CompanyEmail, q.company_email_points));
    }
    for question in &q.questions {
        let Some(answer) = answers.get(&question.id) else {
            continue;
        };
        let id = question.id.clone();
        match &question.kind {
            QuestionKind::Choice { options } => {
                if let Some(o) = options.iter().find(|o| &o.id == answer) {
                    parts.push((Part::Choice { question: id, option: o.id.clone() }, o.points));
                }
            }
            QuestionKind::Text { points, .. } => {
                parts.push((Part::Text { question: id, answer: answer.clone() }, *points))
            }
        }
    }
    parts.retain(|(part, points)| *points > 0 || *part == Part::Base);
    parts
}

pub fn score(q: &Qualification, email_domain: &str, answers: &BTreeMap<String, String>) -> u32 {
    breakdown(q, email_domain, answers).iter().map(|(_, points)| points).sum()
}

pub fn track(q: &Qualification, score: u32) -> Track {
    if score >= q.threshold {
        Track::Qualified
    } else {
        Track::ContactTrack
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped table, read as `content` reads it.
    fn shipped() -> Qualification {
        #[derive(Deserialize)]
        struct File {
            qualification: Qualification,
        }
        let file: File =
            toml::from_str(include_str!("../../dialogues/onboarding.toml")).expect("the shipped file parses");
        file.qualification
    }

    fn answers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_seed_table() {
        let q = &shipped();
        // base 50 only: free mail, general use, solo, no referral
        let a = answers(&[("use_case", "general"), ("team_size", "solo")]);
        assert_eq!(score(q, "gmail.com", &a), 50);
        assert_eq!(track(q, 50), Track::ContactTrack);
        // company domain +30
        assert_eq!(score(q, "acme.io", &a), 80);
        // specific use case +20, small team +20
        let a = answers(&[("use_case", "research"), ("team_size", "small_team")]);
        assert_eq!(score(q, "gmail.com", &a), 90);
        // company +40, referral +25, company email +30, specific +20: everything
        let a = answers(&[("use_case", "support"), ("team_size", "company"), ("referral", "FRIEND-1")]);
        assert_eq!(score(q, "acme.io", &a), 50 + 30 + 20 + 40 + 25);
        // threshold is inclusive
        assert_eq!(track(q, 70), Track::Qualified);
        assert_eq!(track(q, 69), Track::ContactTrack);
    }

    #[test]
    fn the_breakdown_names_what_earned_points() {
        let q = &shipped();
        let a = answers(&[("use_case", "research"), ("team_size", "solo"), ("referral", "FRIEND-2026")]);
        let parts = breakdown(q, "acme.io", &a);
        assert_eq!(
            parts,
            vec![
                (Part::Base, 50),
                (Part::CompanyEmail, 30),
                (Part::Choice { question: "use_case".into(), option: "research".into() }, 20),
                (Part::Text { question: "referral".into(), answer: "FRIEND-2026".into() }, 25),
            ],
            "solo earns nothing and is left out"
        );
        assert_eq!(score(q, "acme.io", &a), 125);
    }

    #[test]
    fn an_answer_that_is_not_an_option_scores_nothing() {
        let q = &shipped();
        let a = answers(&[("use_case", "forged"), ("team_size", "solo")]);
        assert_eq!(score(q, "gmail.com", &a), 50);
    }
}
