//! The master's side (§3.10, §4c): commands in a private chat and inline buttons. Only the user
//! ids in `M2O_MASTER_IDS` may use them; anyone else gets the client's help, and the attempt (a
//! command, or a forged callback) is written to the audit log and changes nothing.

use super::ctx::keyboard;
use super::{Ctx, HandlerResult, State};
use crate::app::App;
use crate::domain::agent::{AgentState, JobState};
use crate::domain::escalation::Verdict;
use crate::domain::token::BotToken;
use crate::domain::{name, Actor, ContactState};
use crate::fleet::{approval, jobs, live};
use crate::services::telegram::{check_token, TokenCheck};
use crate::store::{dialogue, AuditEntry, Change, Guard, OutboxItem, StoreError};
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::types::BotCommandScope;
use teloxide::utils::command::BotCommands;

#[derive(BotCommands, Clone, Debug, PartialEq, Eq)]
#[command(rename_rule = "lowercase")]
pub enum MasterCommand {
    /// /spawn <name> <token>: provision an agent for the fleet.
    Spawn(String),
    /// /approve <request id>: approve a waiting request.
    Approve(String),
    /// /reject <request id> [reason]: reject a waiting request.
    Reject(String),
    /// /qualify <email>: move a contact-track lead on.
    Qualify(String),
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
    /// /token <name>: rotate an agent's API token (shown once).
    Token(String),
    /// The master's commands.
    Help,
}

/// Buttons only masters may press (and the client's [Done] after pressing Start in their bot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterTap {
    Approve(u64),
    Reject(u64),
    Retry(u64),
    Destroy(String),
    Qualify(u64),
    /// The owner pressed Start in their bot: greet again (`dn:<agent>`; owner only).
    Done(String),
    /// `es:<id>:a|s|m` — an escalation's [✅ Approve proposed fix] [❌ Skip] [🔄 Modify].
    Escalation(u64, Verdict),
    /// `ac:<id>:a|r` — an action request's [Approve] [Reject].
    Action(u64, bool),
}

impl MasterTap {
    pub fn parse(data: &str) -> Option<MasterTap> {
        let (kind, rest) = data.split_once(':')?;
        let id = || rest.parse::<u64>().ok();
        Some(match kind {
            "ap" => MasterTap::Approve(id()?),
            "rj" => MasterTap::Reject(id()?),
            "rt" => MasterTap::Retry(id()?),
            "lq" => MasterTap::Qualify(id()?),
            "ds" => MasterTap::Destroy(rest.to_string()),
            "dn" => MasterTap::Done(rest.to_string()),
            "es" => {
                let (id, v) = rest.split_once(':')?;
                let verdict = match v {
                    "a" => Verdict::Approve,
                    "s" => Verdict::Skip,
                    "m" => Verdict::Modify,
                    _ => return None,
                };
                MasterTap::Escalation(id.parse().ok()?, verdict)
            }
            "ac" => {
                let (id, v) = rest.split_once(':')?;
                let approve = match v {
                    "a" => true,
                    "r" => false,
                    _ => return None,
                };
                MasterTap::Action(id.parse().ok()?, approve)
            }
            _ => return None,
        })
    }

    pub fn data(&self) -> String {
        match self {
            MasterTap::Approve(id) => format!("ap:{id}"),
            MasterTap::Reject(id) => format!("rj:{id}"),
            MasterTap::Retry(id) => format!("rt:{id}"),
            MasterTap::Qualify(id) => format!("lq:{id}"),
            MasterTap::Destroy(name) => format!("ds:{name}"),
            MasterTap::Done(name) => format!("dn:{name}"),
            MasterTap::Escalation(id, v) => {
                let v = match v {
                    Verdict::Approve => "a",
                    Verdict::Skip => "s",
                    Verdict::Modify => "m",
                };
                format!("es:{id}:{v}")
            }
            MasterTap::Action(id, approve) => format!("ac:{id}:{}", if *approve { "a" } else { "r" }),
        }
    }
}

/// Shows the master commands in each master's chat only.
pub async fn announce_commands(bot: &Bot, app: &App) {
    for id in &app.config.master_ids {
        let scope = BotCommandScope::Chat { chat_id: teloxide::types::Recipient::Id(ChatId(*id)) };
        if let Err(e) = bot.set_my_commands(MasterCommand::bot_commands()).scope(scope).await {
            tracing::warn!(master = id, error = %crate::services::telegram::error_kind(&e), "could not set the master's command list");
        }
    }
}

pub async fn on_command(bot: Bot, app: Arc<App>, msg: Message, cmd: MasterCommand) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    if !app.config.is_master(ctx.user_id) {
        if cmd != MasterCommand::Help {
            let why = format!("/{} by a non-master", format!("{cmd:?}").split('(').next().unwrap_or("").to_lowercase());
            app.store.commit(&audit_only(&ctx, "master_command_refused", &why))?;
            if matches!(cmd, MasterCommand::Spawn(_)) {
                ctx.delete(msg.id).await; // it may hold a token
            }
        }
        ctx.say(ctx.t("help")).await?;
        return Ok(());
    }
    let reply = match cmd {
        MasterCommand::Spawn(args) => spawn(&ctx, &msg, &args).await?,
        MasterCommand::Approve(id) => match parse_id(&id) {
            Some(id) => match approval::approve(&app, id, Actor::Master(ctx.user_id)).await {
                Ok(_) => ctx.t_args("master-approved", &[("id", (id as i64).into())]),
                Err(e) => format!("⚠️ {e}"),
            },
            None => ctx.t("master-usage-approve"),
        },
        MasterCommand::Reject(args) => {
            let (id, reason) = args.trim().split_once(' ').map_or((args.trim(), ""), |(a, b)| (a, b.trim()));
            match parse_id(id) {
                Some(id) => {
                    let reason = (!reason.is_empty()).then(|| reason.to_string());
                    match approval::reject(&app, id, Actor::Master(ctx.user_id), reason).await {
                        Ok(()) => ctx.t_args("master-rejected", &[("id", (id as i64).into())]),
                        Err(e) => format!("⚠️ {e}"),
                    }
                }
                None => ctx.t("master-usage-reject"),
            }
        }
        MasterCommand::Qualify(email) => match crate::domain::email::normalize(&email) {
            Some(email) => match app.store.contact_by_email(&email)? {
                Some(c) => qualify(&ctx, c.id).await?,
                None => ctx.t_args("master-no-such-lead", &[("email", (&email).into())]),
            },
            None => ctx.t("master-usage-qualify"),
        },
        MasterCommand::Leads(filter) => return leads(&ctx, filter.trim()).await,
        MasterCommand::Fleet => fleet(&app),
        MasterCommand::Agent(name) => agent_view(&ctx, name.trim())?,
        MasterCommand::Destroy(name) => {
            let name = name.trim().to_lowercase();
            match app.store.agent(&name)? {
                Some(a) if a.state != AgentState::Destroyed => {
                    let text = ctx
                        .t_args("master-destroy-ask", &[("name", (&name).into()), ("owner", (&a.owner_label).into())]);
                    let label = ctx.t_args("button-destroy", &[("name", (&name).into())]);
                    ctx.ask(text, keyboard(vec![vec![(label, MasterTap::Destroy(name).data())]])).await?;
                    return Ok(());
                }
                _ => ctx.t_args("master-no-such-agent", &[("name", (&name).into())]),
            }
        }
        MasterCommand::Help => ctx.t("master-help"),
        MasterCommand::Brief => {
            if crate::scheduler::brief::send_now(&app, ctx.chat.0).await? {
                return Ok(());
            }
            ctx.t("brief-nothing")
        }
        MasterCommand::Token(name) => rotate_token(&ctx, name.trim()).await?,
    };
    ctx.say(reply).await?;
    Ok(())
}

fn parse_id(s: &str) -> Option<u64> {
    s.trim().trim_start_matches('#').parse().ok()
}

fn audit_only(ctx: &Ctx, event: &str, why: &str) -> Change {
    Change { audit: vec![AuditEntry::event(ctx.now(), ctx.actor(), None, event, why)], ..Change::default() }
}

/// `/spawn <name> <token>` (§3.10): the master's whole input is a name and a token.
async fn spawn(ctx: &Ctx, msg: &Message, args: &str) -> anyhow::Result<String> {
    let app = &ctx.app;
    let mut parts = args.split_whitespace();
    let (Some(raw_name), token) = (parts.next(), parts.next().and_then(BotToken::parse)) else {
        return Ok(ctx.t("master-usage-spawn"));
    };
    // The message holds a token: read, then remove it from the chat whatever happens next.
    if crate::domain::token::looks_like_token(args) {
        ctx.delete(msg.id).await;
    }
    let Some(token) = token else { return Ok(ctx.t("master-usage-spawn")) };
    let agent_name = raw_name.to_lowercase();
    if let Err(problem) = name::check(&agent_name, &app.content.onboarding.names.reserved) {
        return Ok(ctx.t_args(
            "master-bad-name",
            &[("name", (&agent_name).into()), ("problem", format!("{problem:?}").as_str().into())],
        ));
    }
    if !app.store.name_free(&agent_name, 0)? {
        return Ok(ctx.t_args("master-name-taken", &[("name", (&agent_name).into())]));
    }
    let (bot_id, username) = match check_token(&app.http, &app.config.api_url, &token).await {
        TokenCheck::Valid { bot_id, username } => (bot_id, username),
        TokenCheck::Invalid => return Ok(ctx.t("token-invalid")),
        TokenCheck::Unreachable(_) => return Ok(ctx.t("token-unreachable")),
    };
    if app.store.bot_holder(bot_id)?.is_some() {
        return Ok(ctx.t("token-taken"));
    }
    let now = ctx.now();
    let job_id = app.store.new_id()?;
    let mut change = Change {
        guards: vec![
            Guard::NameFree { name: agent_name.clone(), for_contact: 0 },
            Guard::BotFree { bot_id, for_contact: u64::MAX },
        ],
        ..Change::default()
    };
    change.claim_bot = Some((bot_id, 0));
    let new = crate::domain::agent::NewAgent {
        name: agent_name.clone(),
        contact_id: None,
        owner_user_id: ctx.user_id,
        owner_label: format!("master {}", ctx.user_id),
        bot_id,
        bot_username: username.clone(),
        token_sealed: app.secrets.seal(token.expose()),
        timezone: "UTC".into(),
        provisioner: app.provisioner.kind().to_string(),
        job_id,
        last_event: "spawned by a master".into(),
    };
    change.agent = Some(crate::domain::agent::Agent::provisioning(new, now));
    change.job = Some(approval::new_job(job_id, &agent_name, now));
    change.audit.push(AuditEntry::event(
        now,
        Actor::Master(ctx.user_id),
        None,
        "spawn",
        &format!("{agent_name} @{username}"),
    ));
    match app.store.commit_durable(&change).await {
        Ok(()) => {}
        Err(StoreError::Conflict(_)) => return Ok(ctx.t_args("master-name-taken", &[("name", (&agent_name).into())])),
        Err(e) => return Err(e.into()),
    }
    jobs::start(app.clone(), job_id);
    Ok(ctx.t_args("master-spawning", &[("name", (&agent_name).into()), ("bot", (&username).into())]))
}

/// `/qualify` and the digest's [Qualify]: a contact-track lead moves on to the bot step, and is
/// told so in their chat (in their language).
async fn qualify(ctx: &Ctx, contact_id: u64) -> anyhow::Result<String> {
    let app = &ctx.app;
    let Some(mut c) = app.store.contact(contact_id)? else { return Ok(ctx.t("master-no-such-request")) };
    if c.state != ContactState::ContactTrack {
        return Ok(
            ctx.t_args("master-not-contact-track", &[("email", (&c.email).into()), ("state", c.state.as_str().into())])
        );
    }
    let now = ctx.now();
    let from = c.move_to(ContactState::Qualified, now)?;
    let mut change = Change::default();
    change.guards.push(Guard::ContactIn(c.id, ContactState::ContactTrack));
    change.audit.push(AuditEntry::transition(
        now,
        Actor::Master(ctx.user_id),
        c.id,
        from,
        c.state,
        "pushed by a master (/qualify)",
    ));
    change.dialogue = Some((c.chat_id, Some(dialogue::to_value(&State::Token { contact_id: c.id }))));
    let tr = app.content.i18n.tr(&c.lang);
    change.outbox.push(OutboxItem::telegram(
        c.chat_id,
        format!("{}\n\n{}", tr.t("qualified-by-master"), tr.t("token-instructions")),
    ));
    let email = c.email.clone();
    change.contact = Some(c);
    app.store.commit(&change)?;
    app.outbox_ready.notify_one();
    Ok(ctx.t_args("master-qualified", &[("email", (&email).into())]))
}

async fn leads(ctx: &Ctx, filter: &str) -> HandlerResult {
    let state = match filter {
        "" | "pending" => ContactState::PendingReview,
        "qualified" => ContactState::Qualified,
        "contact_track" => ContactState::ContactTrack,
        "waitlisted" => ContactState::Waitlisted,
        _ => {
            ctx.say(ctx.t("master-usage-leads")).await?;
            return Ok(());
        }
    };
    let now = ctx.now();
    let mut leads = ctx.app.store.contacts_in(state)?;
    leads.sort_by_key(|c| c.created_at);
    if leads.is_empty() {
        ctx.say(ctx.t_args("master-no-leads", &[("state", state.as_str().into())])).await?;
        return Ok(());
    }
    const SHOWN: usize = 20;
    let mut text =
        ctx.t_args("master-leads-title", &[("state", state.as_str().into()), ("count", (leads.len() as i64).into())]);
    let mut rows = Vec::new();
    for c in leads.iter().take(SHOWN) {
        let age = (now - c.created_at).num_hours();
        let age = if age >= 48 { format!("{}d", age / 24) } else { format!("{age}h") };
        let name = c.agent_name.as_deref().map(|n| format!(" → {n}")).unwrap_or_default();
        text.push('\n');
        text.push_str(&ctx.t_args(
            "master-lead-line",
            &[
                ("id", (c.id as i64).into()),
                ("email", (&c.email).into()),
                ("score", c.score.unwrap_or_default().into()),
                ("age", (&age).into()),
                ("name", (&name).into()),
            ],
        ));
        let id = c.id;
        match state {
            ContactState::PendingReview | ContactState::Waitlisted => rows.push(vec![
                (format!("✅ #{id}"), MasterTap::Approve(id).data()),
                (format!("❌ #{id}"), MasterTap::Reject(id).data()),
            ]),
            ContactState::ContactTrack => rows.push(vec![(
                ctx.t_args("button-qualify", &[("id", (id as i64).into())]),
                MasterTap::Qualify(id).data(),
            )]),
            _ => {}
        }
    }
    if leads.len() > SHOWN {
        text.push_str(&ctx.t_args("master-leads-more", &[("count", ((leads.len() - SHOWN) as i64).into())]));
    }
    if rows.is_empty() {
        ctx.say(text).await?;
    } else {
        ctx.ask(text, keyboard(rows)).await?;
    }
    Ok(())
}

/// `/fleet`: the seed's `Fleet: m2 🟢 | peter 🔴` line and the counts.
pub fn fleet(app: &App) -> String {
    let agents: Vec<_> =
        app.store.agents().unwrap_or_default().into_iter().filter(|a| a.state != AgentState::Destroyed).collect();
    if agents.is_empty() {
        return app.content.i18n.tr("en").t("master-fleet-empty");
    }
    let now = app.clock.now();
    let health: Vec<(String, crate::domain::brief::Health)> =
        agents.iter().map(|a| (a.name.clone(), crate::domain::agent::health(a, now))).collect();
    let line = crate::domain::brief::fleet_line(&health, crate::domain::brief::MAX_FLEET_NAMES);
    let count = |s: AgentState| agents.iter().filter(|a| a.state == s).count();
    let n = |s: AgentState| (count(s) as i64).into();
    let counts = app.master_tr().t_args(
        "master-fleet-counts",
        &[
            ("live", n(AgentState::Live)),
            ("provisioning", n(AgentState::Provisioning)),
            ("failed", n(AgentState::Failed)),
            ("degraded", n(AgentState::Degraded)),
        ],
    );
    // The `Fleet:` line is the seed's format (§7.3), the same in every language.
    format!("Fleet: {line}\n{counts}")
}

fn agent_view(ctx: &Ctx, name: &str) -> anyhow::Result<String> {
    let Some(a) = ctx.app.store.agent(&name.to_lowercase())? else {
        return Ok(ctx.t_args("master-no-such-agent", &[("name", name.into())]));
    };
    let created = a.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let mut out = ctx.t_args(
        "master-agent-view",
        &[
            ("emoji", a.state.emoji().into()),
            ("name", (&a.name).into()),
            ("state", a.state.as_str().into()),
            ("owner", (&a.owner_label).into()),
            ("bot", (&a.bot_username).into()),
            ("provisioner", (&a.provisioner).into()),
            ("app", a.app_id.as_deref().unwrap_or("-").into()),
            ("created", (&created).into()),
            ("event", (&a.last_event).into()),
        ],
    );
    if let Some(job) = ctx.app.store.job(a.job_id)? {
        out.push_str("\n\n");
        out.push_str(&crate::fleet::progress::master_view(&job, &a.provisioner, &ctx.tr()));
    }
    Ok(out)
}

/// A tap on a master button (or the owner's [Done]). Returns the text to answer the tap with.
pub async fn on_tap(ctx: &Ctx, tap: MasterTap, message: &Message) -> anyhow::Result<Option<String>> {
    let app = &ctx.app;
    if let MasterTap::Done(name) = &tap {
        return done(ctx, name, message).await.map(Some);
    }
    // Orchestrators decide escalations and 🟡 actions too; `actions::decide` checks 🔴 itself.
    let orchestrator_tap = matches!(tap, MasterTap::Escalation(..) | MasterTap::Action(..));
    let allowed = app.config.is_master(ctx.user_id)
        || (orchestrator_tap && crate::fleet::escalations::may_decide(app, ctx.user_id));
    if !allowed {
        app.store.commit(&audit_only(ctx, "forged_callback", &format!("{} from a non-master", tap.data())))?;
        return Ok(Some(ctx.t("tap-not-allowed")));
    }
    let by = Actor::Master(ctx.user_id);
    let answer = match tap {
        MasterTap::Approve(id) => match approval::approve(app, id, by).await {
            Ok(_) => ctx.t_args("master-approved", &[("id", (id as i64).into())]),
            Err(e) => e.to_string(),
        },
        MasterTap::Reject(id) => match approval::reject(app, id, by, None).await {
            Ok(()) => ctx.t_args("master-rejected", &[("id", (id as i64).into())]),
            Err(e) => e.to_string(),
        },
        MasterTap::Retry(job) => {
            if jobs::retry(app, job)? {
                ctx.t("master-retrying")
            } else {
                ctx.t("tap-step-over")
            }
        }
        MasterTap::Qualify(id) => {
            let reply = qualify(ctx, id).await?;
            ctx.say(reply.clone()).await?;
            reply
        }
        MasterTap::Destroy(name) => {
            let reply = destroy(ctx, &name).await?;
            ctx.settle(message.id, message.text().unwrap_or_default(), &reply).await;
            reply
        }
        MasterTap::Done(_) => unreachable!("handled above"),
        MasterTap::Escalation(id, Verdict::Modify) => match app.store.escalation(id)? {
            Some(e) if e.ruling.is_none() => {
                app.store.commit(&ctx.change_to(&State::EscalationNote { escalation: id }))?;
                ctx.say(ctx.t_args("escalation-ask-note", &[("id", (id as i64).into()), ("agent", (&e.agent).into())]))
                    .await?;
                ctx.t("escalation-waiting-note")
            }
            Some(e) => crate::fleet::escalations::RuleError::AlreadyRuled(e.ruling.unwrap_or_else(|| unreachable!()))
                .to_string(),
            None => ctx.t("tap-step-over"),
        },
        MasterTap::Escalation(id, verdict) => match crate::fleet::escalations::rule(app, id, verdict, None, by).await {
            Ok(e) => ctx.t_args("escalation-sent", &[("agent", (&e.agent).into())]),
            Err(e) => e.to_string(),
        },
        MasterTap::Action(id, approve) => {
            match crate::fleet::actions::decide(app, id, approve, by, ctx.user_id).await {
                Ok(a) => ctx.t_args("escalation-sent", &[("agent", (&a.agent).into())]),
                Err(e) => e.to_string(),
            }
        }
    };
    Ok(Some(answer))
}

/// Deletes the deployment, marks the agent destroyed, frees its name and bot, tells the owner.
async fn destroy(ctx: &Ctx, name: &str) -> anyhow::Result<String> {
    let app = &ctx.app;
    let Some(mut agent) = app.store.agent(name)? else {
        return Ok(ctx.t_args("master-no-such-agent", &[("name", name.into())]));
    };
    if agent.state == AgentState::Destroyed {
        return Ok(ctx.t("tap-step-over"));
    }
    if let Some(app_id) = &agent.app_id {
        if let Err(e) = app.provisioner.delete(app_id).await {
            return Ok(
                ctx.t_args("master-destroy-failed", &[("name", name.into()), ("error", e.to_string().as_str().into())])
            );
        }
    }
    if let Some(g) = &app.guacamole {
        if let Err(e) = g.delete_connection(&format!("{name}-desktop")).await {
            tracing::warn!(agent = name, error = %e, "could not delete the Guacamole connection");
        }
    }
    let now = ctx.now();
    let mut change = Change::default();
    if let Some(mut job) = app.store.job(agent.job_id)? {
        if job.state == JobState::Running {
            job.state = JobState::Failed { error: "destroyed by a master".into() };
            change.job = Some(job);
        }
    }
    if let Some(mut c) = agent.contact_id.and_then(|id| app.store.contact(id).ok().flatten()) {
        if let Ok(from) = c.move_to(ContactState::Churned, now) {
            change.audit.push(AuditEntry::transition(
                now,
                Actor::Master(ctx.user_id),
                c.id,
                from,
                c.state,
                "agent destroyed",
            ));
        }
        let tr = app.content.i18n.tr(&c.lang);
        change.outbox.push(OutboxItem::telegram(c.chat_id, tr.t_args("agent-destroyed", &[("name", name.into())])));
        change.release_name = Some(name.to_string());
        change.contact = Some(c);
    }
    change.audit.push(AuditEntry::event(now, Actor::Master(ctx.user_id), agent.contact_id, "destroy", name));
    change.release_bot = Some(agent.bot_id);
    agent.state = AgentState::Destroyed;
    agent.last_event = format!("destroyed by master {}", ctx.user_id);
    agent.updated_at = now;
    change.agent = Some(agent);
    app.store.commit_durable(&change).await?;
    app.outbox_ready.notify_one();
    Ok(ctx.t_args("master-destroyed", &[("name", name.into())]))
}

/// The owner came back after pressing Start in their bot: greet them from it now.
async fn done(ctx: &Ctx, name: &str, message: &Message) -> anyhow::Result<String> {
    let Some(agent) = ctx.app.store.agent(name)? else { return Ok(ctx.t("tap-step-over")) };
    if agent.owner_user_id != ctx.user_id {
        ctx.app.store.commit(&audit_only(ctx, "forged_callback", &format!("dn:{name} from someone else")))?;
        return Ok(ctx.t("tap-not-allowed"));
    }
    match live::greet(&ctx.app, name).await {
        live::Greeting::Sent => {
            ctx.settle(message.id, message.text().unwrap_or_default(), &ctx.t("button-done")).await;
            Ok(ctx.t("live-greeted"))
        }
        live::Greeting::NeedsStart => {
            Ok(ctx.t_args("live-still-not-started", &[("bot", (&agent.bot_username).into())]))
        }
        live::Greeting::Failed(_) => Ok(ctx.t("token-unreachable")),
    }
}

/// The text a master sends after [🔄 Modify]: the modified instruction, sent to the agent.
pub async fn receive_note(bot: Bot, app: Arc<App>, msg: Message, escalation: u64) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let Some(text) = msg.text().map(str::trim).filter(|t| !t.is_empty()) else {
        ctx.say(ctx.t("escalation-note-not-text")).await?;
        return Ok(());
    };
    app.store.commit(&ctx.change_ending())?;
    let reply = match crate::fleet::escalations::rule(
        &app,
        escalation,
        Verdict::Modify,
        Some(text.to_string()),
        Actor::Master(ctx.user_id),
    )
    .await
    {
        Ok(e) => ctx.t_args("escalation-sent", &[("agent", (&e.agent).into())]),
        Err(e) => format!("⚠️ {e}"),
    };
    ctx.say(reply).await?;
    Ok(())
}

/// `/token <name>`: a new API token for the agent, shown once; the old one stops working at once.
async fn rotate_token(ctx: &Ctx, name: &str) -> anyhow::Result<String> {
    let app = &ctx.app;
    let Some(mut agent) = app.store.agent(&name.to_lowercase())? else {
        return Ok(ctx.t_args("master-no-such-agent", &[("name", name.into())]));
    };
    if agent.state == AgentState::Destroyed {
        return Ok(ctx.t_args("master-no-such-agent", &[("name", name.into())]));
    }
    let generation = app.store.new_id()?;
    let token = app.secrets.agent_api_token(&agent.name, generation);
    if let Some(old) = &agent.api_token_hash {
        app.store.forget_token_hash(old)?;
    }
    agent.token_generation = Some(generation);
    agent.api_token_hash = Some(crate::crypto::token_hash(&token));
    agent.last_event = format!("API token rotated by master {}", ctx.user_id);
    let change = Change {
        audit: vec![AuditEntry::event(
            ctx.now(),
            Actor::Master(ctx.user_id),
            agent.contact_id,
            "token_rotated",
            &agent.name,
        )],
        agent: Some(agent.clone()),
        ..Change::default()
    };
    app.store.commit_durable(&change).await?;
    Ok(ctx.t_args("master-token-rotated", &[("name", (&agent.name).into()), ("token", (&token).into())]))
}
