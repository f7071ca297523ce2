//! A master's home: `/start` shows what needs them (requests waiting, open escalations, the
//! fleet's health, leads) with a button to each view.

use super::ctx::keyboard;
use super::{views, Ctx, HandlerResult};
use crate::domain::agent::Health;
use crate::domain::callback::{MasterTap, Screen};
use crate::domain::ContactState;
use crate::fleet::leads;

/// The home panel: counts and a button to each view.
pub async fn show(ctx: &Ctx) -> HandlerResult {
    let app = &ctx.app;
    let now = ctx.now();
    let pending = app.store.count_in(ContactState::PendingReview);
    let waitlisted = app.store.count_in(ContactState::Waitlisted);
    let escalations = app.store.escalations()?.iter().filter(|e| e.ruling.is_none()).count();
    // The roll call, not the registry: counting the health of 10,000 agents decodes none.
    let agents = app.store.roll_call()?;
    let n = |h: Health| agents.iter().filter(|a| a.status(now).health() == h).count() as i64;
    let track = app.store.count_in(ContactState::ContactTrack);
    let (stalled, _) = leads::stalled(app, now, 0)?;
    let text = ctx.t_args(
        "home",
        &[
            ("pending", (pending as i64).into()),
            ("waitlisted", (waitlisted as i64).into()),
            ("escalations", (escalations as i64).into()),
            ("green", n(Health::Green).into()),
            ("yellow", n(Health::Yellow).into()),
            ("red", n(Health::Red).into()),
            ("track", (track as i64).into()),
            ("stalled", (stalled as i64).into()),
        ],
    );
    let button = |key: &str, count: usize, screen: Screen| {
        (ctx.t_args(key, &[("count", (count as i64).into())]), MasterTap::View(screen).data())
    };
    let mut rows = vec![
        vec![
            button("home-requests", pending + waitlisted, Screen::Requests),
            button("home-escalations", escalations, Screen::Escalations),
        ],
        vec![button("home-fleet", agents.len(), Screen::Fleet), button("home-track", track, Screen::Track)],
        vec![button("home-stalled", stalled, Screen::Stalled)],
    ];
    rows.extend(crate::fleet::buttons::open_panel(app, &ctx.tr()));
    ctx.ask(text, keyboard(rows)).await?;
    Ok(())
}

/// A home panel button: the view, as a new message.
pub async fn open(ctx: &Ctx, screen: Screen) -> anyhow::Result<String> {
    match screen {
        Screen::Requests => views::requests(ctx).await?,
        Screen::Escalations => views::escalations(ctx).await?,
        Screen::Fleet => views::send_fleet(ctx).await?,
        Screen::Track => views::leads(ctx, "contact_track").await?,
        Screen::Stalled => views::stalled(ctx).await?,
    }
    Ok(String::new())
}
