//! Button taps. Callback data is at most 64 bytes and a modified client can send anything, so it is
//! parsed into [`Tap`] and only acted on when it belongs to the chat's current step; anything else
//! is answered "that step is over" and changes nothing.

use super::master::{self, MasterTap};
use super::{email, naming, qualify, Ctx, HandlerResult, State};
use crate::app::App;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::MaybeInaccessibleMessage;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tap {
    /// `q:<question>:<option>`; option `-` skips a skippable question.
    Answer {
        question: String,
        option: String,
    },
    /// `tz:<IANA name>`
    Timezone(String),
    /// `code:new` and `code:email`
    NewCode,
    ChangeEmail,
    /// `name:<suggested name>`
    UseName(String),
    /// `cf:yes`, `cf:name`, `cf:no`
    Confirm,
    ChangeName,
    Cancel,
}

impl Tap {
    pub fn parse(data: &str) -> Option<Tap> {
        let (kind, rest) = data.split_once(':')?;
        let tap = match (kind, rest) {
            ("q", rest) => {
                let (question, option) = rest.split_once(':')?;
                Tap::Answer { question: question.into(), option: option.into() }
            }
            ("tz", zone) => Tap::Timezone(zone.into()),
            ("code", "new") => Tap::NewCode,
            ("code", "email") => Tap::ChangeEmail,
            ("name", name) => Tap::UseName(name.into()),
            ("cf", "yes") => Tap::Confirm,
            ("cf", "name") => Tap::ChangeName,
            ("cf", "no") => Tap::Cancel,
            _ => return None,
        };
        Some(tap)
    }

    pub fn data(&self) -> String {
        match self {
            Tap::Answer { question, option } => format!("q:{question}:{option}"),
            Tap::Timezone(z) => format!("tz:{z}"),
            Tap::NewCode => "code:new".into(),
            Tap::ChangeEmail => "code:email".into(),
            Tap::UseName(n) => format!("name:{n}"),
            Tap::Confirm => "cf:yes".into(),
            Tap::ChangeName => "cf:name".into(),
            Tap::Cancel => "cf:no".into(),
        }
    }
}

pub async fn on_tap(bot: Bot, app: Arc<App>, q: CallbackQuery, state: State) -> HandlerResult {
    let Some(MaybeInaccessibleMessage::Regular(message)) = q.message.as_ref() else {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    };
    if !message.chat.is_private() {
        bot.answer_callback_query(q.id.clone()).await?;
        return Ok(());
    }
    let ctx = Ctx::new(&app, &bot, message.chat.id, &q.from);
    if let Some(master_tap) = q.data.as_deref().and_then(MasterTap::parse) {
        let answer = master::on_tap(&ctx, master_tap, message).await?;
        let mut request = bot.answer_callback_query(q.id.clone());
        if let Some(text) = answer {
            request = request.text(text);
        }
        request.await?;
        return Ok(());
    }
    let tap = q.data.as_deref().and_then(Tap::parse);
    // Every tap is answered (the client shows a spinner until then), with a note when it changed nothing.
    let handled = match (tap, state) {
        (Some(Tap::Answer { question, option }), State::Question { contact_id, index }) => {
            qualify::tap_answer(&ctx, contact_id, index, &question, &option, message).await?
        }
        (Some(Tap::Timezone(zone)), State::Timezone { contact_id }) => {
            qualify::tap_timezone(&ctx, contact_id, &zone, message).await?
        }
        (Some(Tap::NewCode), State::Code { contact_id }) => email::tap_new_code(&ctx, contact_id).await?,
        (Some(Tap::ChangeEmail), State::Code { .. }) => email::tap_change_email(&ctx).await?,
        (Some(Tap::UseName(name)), State::Name { contact_id }) => {
            naming::accept_name(&ctx, contact_id, &name).await.map(|_| true)?
        }
        (Some(Tap::Confirm), State::Confirm { contact_id, name }) => {
            naming::tap_confirm(&ctx, contact_id, &name, message).await?
        }
        (Some(Tap::ChangeName), State::Confirm { contact_id, .. }) => {
            naming::tap_change_name(&ctx, contact_id, message).await?
        }
        (Some(Tap::Cancel), State::Confirm { .. }) => naming::tap_cancel(&ctx, message).await?,
        _ => false,
    };
    let answer = bot.answer_callback_query(q.id.clone());
    if handled {
        answer.await?;
    } else {
        tracing::info!(user = ctx.user_id, "a button of another step was tapped; nothing changed");
        answer.text(ctx.t("tap-step-over")).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn round_trip() {
        for tap in [
            Tap::Answer { question: "use_case".into(), option: "research".into() },
            Tap::Timezone("America/Argentina/Buenos_Aires".into()),
            Tap::NewCode,
            Tap::ChangeEmail,
            Tap::UseName("acme-helper".into()),
            Tap::Confirm,
            Tap::ChangeName,
            Tap::Cancel,
        ] {
            assert_eq!(Tap::parse(&tap.data()), Some(tap.clone()));
            assert!(tap.data().len() <= 64);
        }
        assert_eq!(Tap::parse("c:confirm:1"), None);
        assert_eq!(Tap::parse("cf:maybe"), None);
        assert_eq!(Tap::parse(""), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,64}") {
            let _ = Tap::parse(&s);
        }
    }
}
