//! What the master reads: the leads in a state (`/leads`), the fleet (`/fleet`), one agent
//! (`/agent`). Views of the store, rendered; deciding is `fleet`'s.

use super::ctx::keyboard;
use super::{Ctx, HandlerResult};
use crate::app::App;
use crate::domain::agent::{status, AgentState, Health, Status};
use crate::domain::callback::MasterTap;
use crate::domain::ContactState;
use crate::fleet::{brief, buttons, people, progress};

/// `/leads [pending|qualified|contact_track|waitlisted]`: the leads in a state, oldest first, with
/// buttons to decide them.
pub async fn leads(ctx: &Ctx, filter: &str) -> HandlerResult {
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
    let label = people::state_label(&ctx.tr(), state);
    if leads.is_empty() {
        ctx.say(ctx.t_args("master-no-leads", &[("state", label.as_str().into())])).await?;
        return Ok(());
    }
    const SHOWN: usize = 20;
    let mut text =
        ctx.t_args("master-leads-title", &[("state", label.as_str().into()), ("count", (leads.len() as i64).into())]);
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
                ("score", people::score_text(&ctx.app, &ctx.tr(), c).as_str().into()),
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

/// The home panel's `[Requests]`: pending review, then the waitlist (each only when not empty).
pub async fn requests(ctx: &Ctx) -> HandlerResult {
    let waitlisted = ctx.app.store.count_in(ContactState::Waitlisted);
    if ctx.app.store.count_in(ContactState::PendingReview) > 0 || waitlisted == 0 {
        leads(ctx, "pending").await?;
    }
    if waitlisted > 0 {
        leads(ctx, "waitlisted").await?;
    }
    Ok(())
}

/// The home panel's `[Escalations]`: each open one with its buttons.
pub async fn escalations(ctx: &Ctx) -> HandlerResult {
    let open: Vec<_> = ctx.app.store.escalations()?.into_iter().filter(|e| e.ruling.is_none()).collect();
    if open.is_empty() {
        ctx.say(ctx.t("master-no-escalations")).await?;
        return Ok(());
    }
    let tr = ctx.tr();
    for e in open.iter().take(10) {
        let text = ctx.t_args(
            "master-escalation-line",
            &[("id", (e.id as i64).into()), ("agent", (&e.agent).into()), ("need", (&e.need).into())],
        );
        ctx.ask(text, keyboard(vec![buttons::escalation(&tr, e)])).await?;
    }
    Ok(())
}

/// How many stuck clients `[Stuck]` lists (the title counts them all).
const SHOWN_STALLED: usize = 20;

/// The home panel's `[Stuck]`: clients stuck mid-onboarding, each with `[🔔 Nudge]`.
pub async fn stalled(ctx: &Ctx) -> HandlerResult {
    let now = ctx.now();
    let (count, stuck) = crate::fleet::leads::stalled(&ctx.app, now, SHOWN_STALLED)?;
    if count == 0 {
        ctx.say(ctx.t("master-no-stalled")).await?;
        return Ok(());
    }
    let tr = ctx.tr();
    let mut text = ctx.t_args("master-stalled-title", &[("count", (count as i64).into())]);
    let mut rows = Vec::new();
    for c in &stuck {
        let days = (now - c.updated_at).num_days();
        text.push('\n');
        text.push_str(&ctx.t_args(
            "master-stalled-line",
            &[
                ("id", (c.id as i64).into()),
                ("email", (&c.email).into()),
                ("state", people::state_label(&tr, c.state).as_str().into()),
                ("days", days.into()),
            ],
        ));
        let nudged = c.nudged_at.is_some();
        if !nudged {
            rows.push(vec![(
                ctx.t_args("button-nudge", &[("id", (c.id as i64).into())]),
                MasterTap::Nudge(c.id).data(),
            )]);
        }
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
    let roll = app.store.roll_call().unwrap_or_default();
    if roll.is_empty() {
        return app.content.i18n.tr("en").t("master-fleet-empty");
    }
    let now = app.clock.now();
    let health: Vec<(String, Health)> = roll
        .into_iter()
        .map(|a| {
            let h = a.status(now).health();
            (a.name, h)
        })
        .collect();
    let line = brief::fleet_line(&health, brief::MAX_FLEET_NAMES);
    let n = |h: Health| (health.iter().filter(|(_, x)| *x == h).count() as i64).into();
    let counts = app.master_tr().t_args(
        "master-fleet-counts",
        &[("green", n(Health::Green)), ("yellow", n(Health::Yellow)), ("red", n(Health::Red))],
    );
    // The `Fleet:` line is the seed's format (the morning brief, spec §7.3), the same in every
    // language.
    format!("Fleet: {line}\n{counts}")
}

/// `/fleet` (and the home panel's \[Fleet\]): the fleet, with [📊 Open panel] under it when the panel
/// can be opened.
pub async fn send_fleet(ctx: &Ctx) -> HandlerResult {
    let text = fleet(&ctx.app);
    match buttons::open_panel(&ctx.app, &ctx.tr()) {
        Some(row) => ctx.ask(text, keyboard(vec![row])).await?,
        None => ctx.say(text).await?,
    };
    Ok(())
}

/// `/agent <name>`: one agent in detail, with its provisioning steps.
pub fn agent(ctx: &Ctx, name: &str) -> anyhow::Result<String> {
    let Some(a) = ctx.app.store.agent(&name.to_lowercase())? else {
        return Ok(ctx.t_args("master-no-such-agent", &[("name", name.into())]));
    };
    let created = a.created_at.format("%Y-%m-%d %H:%M UTC").to_string();
    let status = status(&a, ctx.now());
    let mut out = ctx.t_args(
        "master-agent-view",
        &[
            ("emoji", status.emoji().into()),
            ("name", (&a.name).into()),
            ("state", status_word(ctx, status).as_str().into()),
            ("owner", (&a.owner_label).into()),
            ("bot", (&a.bot_username).into()),
            ("provisioner", (&a.provisioner).into()),
            ("app", a.app_id.as_deref().unwrap_or("-").into()),
            ("created", (&created).into()),
            ("event", (&a.last_event).into()),
        ],
    );
    // The setup steps matter while it is being set up or when setup failed; afterwards its status
    // says it all (a destroyed agent's finished job would still read "online").
    if matches!(a.state, AgentState::Provisioning | AgentState::Failed) {
        if let Some(job) = ctx.app.store.job(a.job_id)? {
            out.push_str("\n\n");
            out.push_str(&progress::master_view(&job, &a.provisioner, &ctx.tr()));
        }
    }
    out.push_str("\n\n");
    out.push_str(&ctx.t("status-legend"));
    Ok(out)
}

/// An agent's status in words, the same in every view.
pub fn status_word(ctx: &Ctx, status: Status) -> String {
    ctx.t(match status {
        Status::Online => "agent-status-online",
        Status::Silent => "agent-status-silent",
        Status::SettingUp => "agent-status-setting-up",
        Status::SetupFailed => "agent-status-setup-failed",
        Status::Degraded => "agent-status-degraded",
        Status::Destroyed => "agent-status-destroyed",
    })
}
