//! The master's side of the chat (the spawn flow, spec §3.10, and the approval ADR, spec §4c):
//! commands in a private chat and inline buttons. Only the user ids in `M2O_MASTER_IDS` may use
//! them (orchestrators may decide escalations and 🟡 actions); anyone else gets the client's help,
//! and the attempt (a command, or a forged callback) is written to the audit log and changes
//! nothing. Each command parses its arguments, calls `fleet`, and says what came of it.

use super::{cards, decide, views, Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::callback::MasterTap;
use crate::domain::escalation::Verdict;
use crate::domain::token::{looks_like_token, BotToken};
use crate::domain::Actor;
use crate::fleet::destroy::DestroyError;
use crate::fleet::leads::NudgeError;
use crate::fleet::live::{DoneError, Greeting};
use crate::fleet::spawn::SpawnError;
use crate::fleet::{self, escalations, jobs};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::BotCommandScope;
use teloxide::utils::command::BotCommands;

/// The doc line of each variant is its description in Telegram's command menu, as is.
#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
#[allow(rustdoc::broken_intra_doc_links, rustdoc::invalid_html_tags)]
pub enum MasterCommand {
    /// /spawn <name> <token>: provision an agent for the fleet.
    Spawn(String),
    /// /approve [request id]: approve a waiting request.
    Approve(String),
    /// /reject [request id] [reason]: reject a waiting request (asks).
    Reject(String),
    /// /qualify <id or email>: move a contact-track lead on.
    Qualify(String),
    /// /lead <id or email>: one person, their messages, and what can be done.
    Lead(String),
    /// /leads [pending|qualified|contact_track|waitlisted]
    Leads(String),
    /// Every agent and its state.
    Fleet,
    /// /agent <name>: one agent in detail.
    Agent(String),
    /// /destroy <name>: delete an agent (asks first).
    Destroy(String),
    /// The morning brief now (does not count as the day's).
    Brief,
    /// /token <name>: a new API token for an agent (asks; shown once).
    Token(String),
    /// The master's commands.
    Help,
}

/// Shows the master commands in each master's chat only, and the fleet panel as each master's
/// menu button when it can be opened (an https `M2O_PUBLIC_URL`).
pub async fn announce_commands(bot: &Bot, app: &App) {
    let panel = fleet::buttons::panel_url(app);
    if panel.is_none() {
        tracing::info!(
            public_url = %app.config.public_url,
            "no fleet panel menu button: Telegram opens Mini Apps only from https, and M2O_PUBLIC_URL is not"
        );
    }
    for id in &app.config.master_ids {
        let scope = BotCommandScope::Chat { chat_id: teloxide::types::Recipient::Id(ChatId(*id)) };
        if let Err(e) = bot.set_my_commands(MasterCommand::bot_commands()).scope(scope).await {
            tracing::warn!(master = id, error = %crate::services::telegram::error_kind(&e), "could not set the master's command list");
        }
        if let Some(url) = &panel {
            let text = app.master_tr().t("menu-panel");
            if let Err(e) = crate::services::keyboard::set_menu_button(bot, *id, text, url.clone()).await {
                tracing::warn!(master = id, error = %crate::services::telegram::error_kind(&e), "could not set the master's panel menu button");
            }
        }
    }
}

pub async fn on_command(bot: Bot, app: Arc<App>, msg: Message, cmd: MasterCommand, state: State) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    if state.is_masters() {
        // A command instead of the note, answer or reason asked for: that step is dropped.
        app.commit(&ctx.change_ending())?;
    }
    if !app.config.is_master(ctx.user_id) {
        if cmd != MasterCommand::Help {
            let why = format!("/{} by a non-master", format!("{cmd:?}").split('(').next().unwrap_or("").to_lowercase());
            fleet::record_refusal(&app, ctx.actor(), "master_command_refused", &why)?;
            if matches!(cmd, MasterCommand::Spawn(_)) {
                ctx.delete(msg.id).await; // it may hold a token
            }
        }
        ctx.say(ctx.t("help")).await?;
        return Ok(());
    }
    let reply = match cmd {
        MasterCommand::Spawn(args) => spawn(&ctx, &msg, &args).await?,
        MasterCommand::Approve(args) => match decide::approve_command(&ctx, &args).await? {
            Some(reply) => reply,
            None => return Ok(()),
        },
        MasterCommand::Reject(args) => match decide::reject_command(&ctx, &args).await? {
            Some(reply) => reply,
            None => return Ok(()),
        },
        MasterCommand::Qualify(arg) => match cards::qualify_command(&ctx, &arg).await? {
            Some(reply) => reply,
            None => return Ok(()),
        },
        MasterCommand::Lead(arg) => return cards::lead_command(&ctx, &arg).await,
        MasterCommand::Leads(filter) => return views::leads(&ctx, filter.trim()).await,
        MasterCommand::Fleet => return views::send_fleet(&ctx).await,
        MasterCommand::Agent(name) => return cards::agent_command(&ctx, &name).await,
        MasterCommand::Destroy(name) => match cards::destroy_command(&ctx, &name).await? {
            Some(reply) => reply,
            None => return Ok(()),
        },
        MasterCommand::Help => ctx.t("master-help"),
        MasterCommand::Brief => {
            if fleet::brief::send_now(&app, ctx.chat.0).await? {
                return Ok(());
            }
            // A quiet day: still the fleet, and what that means for the morning.
            let (h, m) = app.config.brief_at;
            let time = format!("{h:02}:{m:02}");
            ctx.t_args("brief-quiet", &[("fleet", views::fleet(&app).as_str().into()), ("time", time.as_str().into())])
        }
        MasterCommand::Token(name) => match cards::token_command(&ctx, &name).await? {
            Some(reply) => reply,
            None => return Ok(()),
        },
    };
    ctx.say(reply).await?;
    Ok(())
}

/// `/spawn <name> <token>`: the master's whole input is a name and a token.
async fn spawn(ctx: &Ctx, msg: &Message, args: &str) -> anyhow::Result<String> {
    let mut parts = args.split_whitespace();
    let (Some(name), token) = (parts.next(), parts.next().and_then(BotToken::parse)) else {
        return Ok(ctx.t("master-usage-spawn"));
    };
    // The message holds a token: read, then remove it from the chat whatever happens next.
    if looks_like_token(args) {
        ctx.delete(msg.id).await;
    }
    let Some(token) = token else { return Ok(ctx.t("master-usage-spawn")) };
    Ok(match fleet::spawn::spawn(&ctx.app, ctx.user_id, name, &token).await {
        Ok(s) => ctx.t_args("master-spawning", &[("name", (&s.name).into()), ("bot", (&s.bot_username).into())]),
        Err(SpawnError::BadName(name, problem)) => {
            ctx.t_args(super::naming::problem_key(problem), &[("name", (&name).into())])
        }
        Err(SpawnError::NameTaken(name)) => ctx.t_args("master-name-taken", &[("name", (&name).into())]),
        Err(SpawnError::TokenInvalid) => ctx.t("token-invalid"),
        Err(SpawnError::TelegramUnreachable(_)) => ctx.t("token-unreachable"),
        Err(SpawnError::BotTaken) => ctx.t("token-taken"),
        Err(e @ SpawnError::Store(_)) => return Err(e.into()),
    })
}

/// A tap on a fleet button (or the owner's `[Done]`). Returns the text to answer the tap with.
pub async fn on_tap(ctx: &Ctx, tap: MasterTap, message: &Message) -> anyhow::Result<String> {
    let app = &ctx.app;
    if let MasterTap::Done(name) = &tap {
        return done(ctx, name, message).await;
    }
    // Orchestrators decide escalations and 🟡 actions too; `actions::decide` checks 🔴 itself.
    let allowed =
        app.config.is_master(ctx.user_id) || (tap.for_orchestrators() && escalations::may_decide(app, ctx.user_id));
    if !allowed {
        fleet::record_refusal(app, ctx.actor(), "forged_callback", &format!("{} from a non-master", tap.data()))?;
        return Ok(ctx.t("tap-not-allowed"));
    }
    let by = Actor::Master(ctx.user_id);
    Ok(match tap {
        MasterTap::Approve(id) => decide::approve(ctx, id).await?,
        MasterTap::Reject(id) => decide::ask_reject(ctx, id).await?.unwrap_or_else(|| ctx.t("reject-waiting")),
        MasterTap::RejectNow(id) => decide::reject_now(ctx, id, message).await?,
        MasterTap::KeepWaiting(id) => decide::keep_waiting(ctx, id, message).await?,
        MasterTap::Retry(job) => {
            if jobs::retry(app, job)? {
                ctx.t("master-retrying")
            } else {
                ctx.t("tap-step-over")
            }
        }
        MasterTap::Qualify(id) => {
            let reply = cards::qualify(ctx, id)?;
            ctx.say(reply.clone()).await?;
            reply
        }
        MasterTap::Destroy(name) => {
            let reply = match fleet::destroy::destroy(app, &name, by).await {
                Ok(()) => ctx.t_args("master-destroyed", &[("name", (&name).into())]),
                Err(DestroyError::NotFound(_)) => ctx.t_args("master-no-such-agent", &[("name", (&name).into())]),
                Err(DestroyError::AlreadyDestroyed(_)) => ctx.t("tap-step-over"),
                Err(DestroyError::Provisioner { error, .. }) => {
                    ctx.t_args("master-destroy-failed", &[("name", (&name).into()), ("error", (&error).into())])
                }
                Err(e @ DestroyError::Store(_)) => return Err(e.into()),
            };
            ctx.settle(message.id, message.text().unwrap_or_default(), &reply).await;
            reply
        }
        MasterTap::Done(_) => unreachable!("handled above"),
        MasterTap::Escalation(id, Verdict::Modify) => match app.store.escalation(id)? {
            Some(e) => match e.ruling {
                None => {
                    app.commit(&ctx.change_to(&State::EscalationNote { escalation: id }))?;
                    let ask =
                        ctx.t_args("escalation-ask-note", &[("id", (id as i64).into()), ("agent", (&e.agent).into())]);
                    ctx.say(ask).await?;
                    ctx.t("escalation-waiting-note")
                }
                Some(ruling) => escalations::RuleError::AlreadyRuled(ruling).to_string(),
            },
            None => ctx.t("tap-step-over"),
        },
        MasterTap::Escalation(id, verdict) => match escalations::rule(app, id, verdict, None, by).await {
            Ok(e) => ctx.t_args("escalation-sent", &[("agent", (&e.agent).into())]),
            Err(e) => e.to_string(),
        },
        MasterTap::Action(id, approve) => match fleet::actions::decide(app, id, approve, by, ctx.user_id).await {
            Ok(a) => ctx.t_args("escalation-sent", &[("agent", (&a.agent).into())]),
            Err(e) => e.to_string(),
        },
        MasterTap::Reply(contact_id) => super::line::tap_reply(ctx, contact_id).await?,
        MasterTap::View(screen) => super::home::open(ctx, screen).await?,
        MasterTap::Nudge(id) => match fleet::leads::nudge(app, id, by) {
            Ok(c) => ctx.t_args("master-nudged", &[("email", (&c.email).into())]),
            Err(NudgeError::Store(e)) => return Err(e.into()),
            Err(NudgeError::AlreadyNudged) => ctx.t("master-nudge-already"),
            Err(NudgeError::Stopped) => ctx.t("master-nudge-stopped"),
            Err(NudgeError::NotFound(_) | NudgeError::NotStalled) => ctx.t("master-nudge-moved-on"),
        },
        MasterTap::Lead(id) => match app.store.contact(id)? {
            Some(c) => {
                cards::lead_card(ctx, &c).await?;
                String::new()
            }
            None => ctx.t("tap-step-over"),
        },
        MasterTap::Agent(name) => {
            cards::agent_card(ctx, &name).await?;
            String::new()
        }
        MasterTap::DestroyAsk(name) => cards::destroy_ask(ctx, &name).await?.unwrap_or_else(|| ctx.t("confirm-below")),
        MasterTap::TokenAsk(name) => cards::token_ask(ctx, &name).await?.unwrap_or_else(|| ctx.t("confirm-below")),
        MasterTap::TokenNow(name) => cards::token_now(ctx, &name, message).await?,
    })
}

/// The owner came back after pressing Start in their bot: greet them from it now.
async fn done(ctx: &Ctx, name: &str, message: &Message) -> anyhow::Result<String> {
    Ok(match fleet::live::owner_started(&ctx.app, name, ctx.user_id).await {
        Ok(Greeting::Sent) => {
            ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("button-done")).await;
            ctx.t("live-greeted")
        }
        Ok(Greeting::NeedsStart) => {
            let bot = ctx.app.store.agent(name)?.map(|a| a.bot_username).unwrap_or_default();
            ctx.t_args("live-still-not-started", &[("bot", (&bot).into())])
        }
        Ok(Greeting::Failed(_)) => ctx.t("token-unreachable"),
        Err(DoneError::NoSuchAgent(_)) => ctx.t("tap-step-over"),
        Err(DoneError::NotOwner(_)) => {
            let why = format!("{} from someone else", MasterTap::Done(name.to_string()).data());
            fleet::record_refusal(&ctx.app, ctx.actor(), "forged_callback", &why)?;
            ctx.t("tap-not-allowed")
        }
    })
}

/// The text a master sends after `[🔄 Modify]`: the modified instruction, sent to the agent.
pub async fn receive_note(bot: Bot, app: Arc<App>, msg: Message, escalation: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text().map(str::trim).filter(|t| !t.is_empty()) else {
        ctx.say(ctx.t("escalation-note-not-text")).await?;
        return Ok(());
    };
    app.commit(&ctx.change_ending())?;
    let by = Actor::Master(ctx.user_id);
    let reply = match escalations::rule(&app, escalation, Verdict::Modify, Some(text.to_string()), by).await {
        Ok(e) => ctx.t_args("escalation-sent", &[("agent", (&e.agent).into())]),
        Err(e) => format!("⚠️ {e}"),
    };
    ctx.say(reply).await?;
    Ok(())
}
