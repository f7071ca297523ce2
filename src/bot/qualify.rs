//! Qualification (the qualify-first flow, spec §7.7): the questions of `dialogues/onboarding.toml`,
//! then the client's timezone (asked before the score decides, so a contact-track lead can be
//! nurtured at 09:00 their time), then the score sends them on to the bot step (qualified) or to
//! the contact track.

use super::ctx::keyboard;
use super::{token, Ctx, HandlerResult, State};
use crate::app::App;
use crate::content::ReferralAnswer;
use crate::domain::callback::Tap;
use crate::domain::qualification::{self, Track};
use crate::domain::qualification::{Question, QuestionKind};
use crate::domain::{email, Contact, ContactState};
use crate::store::{AuditEntry, Guard};
use chrono_tz::Tz;
use std::sync::Arc;
use teloxide::prelude::*;

/// (Re)starts the questions from the first one.
pub async fn begin(ctx: &Ctx, contact: &Contact) -> HandlerResult {
    let now = ctx.now();
    let mut c = contact.clone();
    let mut change = ctx.change_to(&State::Question { contact_id: c.id, index: 0 });
    if c.state == ContactState::EmailVerified {
        let from = c.move_to(ContactState::Qualifying, now)?;
        change.audit.push(AuditEntry::transition(
            now,
            ctx.actor(),
            c.id,
            from,
            c.state,
            "qualification questions started",
        ));
    }
    c.answers.clear();
    change.contact = Some(c);
    ctx.app.commit(&change)?;
    prompt_question(ctx, 0).await
}

/// `/start` in the middle of the questions: the one the chat is at is asked again (or, after a
/// `/cancel`, the first one not answered yet); the answers given are kept.
pub async fn resume(ctx: &Ctx, contact: &Contact, state: &State) -> HandlerResult {
    let questions = &ctx.app.content.onboarding.qualification.questions;
    let index = match state {
        State::Question { contact_id, index } if *contact_id == contact.id => *index,
        State::Timezone { contact_id } if *contact_id == contact.id => questions.len(),
        _ => questions.iter().position(|q| !contact.answers.contains_key(&q.id)).unwrap_or(questions.len()),
    };
    let next = if index < questions.len() {
        State::Question { contact_id: contact.id, index }
    } else {
        State::Timezone { contact_id: contact.id }
    };
    ctx.app.commit(&ctx.change_to(&next))?;
    prompt_question(ctx, index).await
}

fn question(ctx: &Ctx, index: usize) -> Option<&Question> {
    ctx.app.content.onboarding.qualification.questions.get(index)
}

pub async fn prompt_question(ctx: &Ctx, index: usize) -> HandlerResult {
    let Some(q) = question(ctx, index) else {
        return prompt_timezone(ctx).await;
    };
    let text = ctx.t(&q.text_key());
    let rows: Vec<Vec<(String, String)>> = match &q.kind {
        QuestionKind::Choice { options } => options
            .chunks(2)
            .map(|pair| {
                pair.iter()
                    .map(|o| {
                        (
                            ctx.t(&q.option_key(&o.id)),
                            Tap::Answer { question: q.id.clone(), option: o.id.clone() }.data(),
                        )
                    })
                    .collect()
            })
            .collect(),
        QuestionKind::Text { skippable: true, .. } => {
            vec![vec![(ctx.t("button-skip"), Tap::Answer { question: q.id.clone(), option: "-".into() }.data())]]
        }
        QuestionKind::Text { skippable: false, .. } => Vec::new(),
    };
    if rows.is_empty() {
        ctx.say(text).await?;
    } else {
        ctx.ask(text, keyboard(rows)).await?;
    }
    Ok(())
}

pub async fn receive_answer(bot: Bot, app: Arc<App>, msg: Message, (contact_id, index): (u64, usize)) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(q) = question(&ctx, index) else {
        return prompt_timezone(&ctx).await;
    };
    match (&q.kind, msg.text()) {
        (QuestionKind::Text { .. }, Some(text)) => match ctx.app.content.referrals.judge(text) {
            ReferralAnswer::Known(code) => record_answer(&ctx, contact_id, index, Some(code)).await,
            ReferralAnswer::Skip => record_answer(&ctx, contact_id, index, None).await,
            ReferralAnswer::Unknown => {
                // Only a code an operator handed out earns points; "a bit of everything" is not one.
                let code: String = text.trim().chars().take(32).collect();
                let skip = vec![vec![(
                    ctx.t("button-skip"),
                    Tap::Answer { question: q.id.clone(), option: "-".into() }.data(),
                )]];
                ctx.ask(ctx.t_args("referral-unknown", &[("code", code.as_str().into())]), keyboard(skip)).await?;
                Ok(())
            }
        },
        (QuestionKind::Text { .. }, None) => {
            ctx.say(ctx.t("answer-not-text")).await?;
            Ok(())
        }
        (QuestionKind::Choice { .. }, _) => {
            ctx.say(ctx.t("answer-use-buttons")).await?;
            prompt_question(&ctx, index).await
        }
    }
}

/// A tap on an answer button; `false` when it does not belong to the current question.
pub async fn tap_answer(
    ctx: &Ctx,
    contact_id: u64,
    index: usize,
    qid: &str,
    option: &str,
    message: &Message,
) -> anyhow::Result<bool> {
    let Some(q) = question(ctx, index).filter(|q| q.id == qid) else {
        return Ok(false);
    };
    let (answer, label) = match &q.kind {
        QuestionKind::Choice { options } => match options.iter().find(|o| o.id == option) {
            Some(o) => (Some(o.id.clone()), ctx.t(&q.option_key(&o.id))),
            None => return Ok(false),
        },
        QuestionKind::Text { skippable: true, .. } if option == "-" => (None, ctx.t("button-skip")),
        QuestionKind::Text { .. } => return Ok(false),
    };
    ctx.settle(message.id, &ctx.t(&q.text_key()), &label).await;
    record_answer(ctx, contact_id, index, answer).await?;
    Ok(true)
}

async fn record_answer(ctx: &Ctx, contact_id: u64, index: usize, answer: Option<String>) -> HandlerResult {
    let Some(mut c) = ctx.app.store.contact(contact_id)? else {
        return Ok(());
    };
    let Some(q) = question(ctx, index) else {
        return Ok(());
    };
    match answer {
        Some(a) => c.answers.insert(q.id.clone(), a),
        None => c.answers.remove(&q.id),
    };
    c.updated_at = ctx.now();
    let next = index + 1;
    let has_next = question(ctx, next).is_some();
    let state = if has_next { State::Question { contact_id, index: next } } else { State::Timezone { contact_id } };
    let mut change = ctx.change_to(&state);
    change.guards.push(Guard::ContactIn(contact_id, ContactState::Qualifying));
    change.contact = Some(c);
    ctx.app.commit(&change)?;
    if has_next {
        prompt_question(ctx, next).await
    } else {
        prompt_timezone(ctx).await
    }
}

pub async fn prompt_timezone(ctx: &Ctx) -> HandlerResult {
    let zones = &ctx.app.content.onboarding.timezones;
    let mut offered: Vec<&str> = zones.guess(ctx.language_code.as_deref()).into_iter().collect();
    for z in &zones.buttons {
        if !offered.contains(&z.as_str()) {
            offered.push(z);
        }
    }
    let rows = offered
        .chunks(2)
        .map(|pair| pair.iter().map(|z| (z.replace('_', " "), Tap::Timezone(z.to_string()).data())).collect())
        .collect();
    ctx.ask(ctx.t("tz-ask"), keyboard(rows)).await?;
    Ok(())
}

pub async fn receive_timezone(bot: Bot, app: Arc<App>, msg: Message, contact_id: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let zone = msg.text().and_then(crate::domain::timezone::parse);
    match zone {
        Some(tz) => finish(&ctx, contact_id, tz).await,
        None if msg.text().is_some() => {
            ctx.say(ctx.t("tz-invalid")).await?;
            Ok(())
        }
        None => {
            ctx.say(ctx.t("answer-not-text")).await?;
            Ok(())
        }
    }
}

pub async fn tap_timezone(ctx: &Ctx, contact_id: u64, zone: &str, message: &Message) -> anyhow::Result<bool> {
    let Ok(tz) = zone.parse::<Tz>() else {
        return Ok(false);
    };
    ctx.settle(message.id, &ctx.t("tz-ask"), tz.name()).await;
    finish(ctx, contact_id, tz).await?;
    Ok(true)
}

/// Scores the answers and sends the contact down one of the two tracks.
async fn finish(ctx: &Ctx, contact_id: u64, tz: Tz) -> HandlerResult {
    let Some(mut c) = ctx.app.store.contact(contact_id)? else {
        return Ok(());
    };
    let q = &ctx.app.content.onboarding.qualification;
    let now = ctx.now();
    let score = qualification::score(q, email::domain(&c.email), &c.answers);
    let track = qualification::track(q, score);
    c.timezone = Some(tz.name().to_string());
    c.score = Some(score);
    if track == Track::ContactTrack {
        c.contact_track_at = Some(now);
    }
    let to = if track == Track::Qualified { ContactState::Qualified } else { ContactState::ContactTrack };
    let from = c.move_to(to, now)?;
    let mut change = match track {
        Track::Qualified => ctx.change_to(&State::Token { contact_id }),
        Track::ContactTrack => ctx.change_ending(),
    };
    let why = format!("score {score} (threshold {})", q.threshold);
    change.audit.push(AuditEntry::transition(now, ctx.actor(), contact_id, from, to, &why));
    change.guards.push(Guard::ContactIn(contact_id, ContactState::Qualifying));
    if track == Track::ContactTrack {
        change.outbox.extend(crate::fleet::leads::new_lead_notice(&ctx.app, &c));
    }
    change.contact = Some(c);
    ctx.app.commit(&change)?;
    match track {
        Track::Qualified => {
            ctx.say(ctx.t("qualified")).await?;
            token::prompt_token(ctx).await
        }
        Track::ContactTrack => {
            ctx.say(ctx.t("contact-track")).await?;
            Ok(())
        }
    }
}
