//! The scheduled jobs with a clock the tests move: the morning brief (composition, the skip rule,
//! exactly once across restarts and downtime, edited in place after a decision), nurture messages
//! at 09:00 local across DST, the weekly digest and the health check with a revoked token.

mod common;

use common::*;
use m2o_bot::domain::agent::AgentState;
use m2o_bot::domain::ContactState;
use m2o_bot::scheduler;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

/// Master messages containing `needle` so far.
fn count(bench: &Bench, chat: i64, needle: &str) -> usize {
    bench.emu.transcript(&bench.control.token, chat).iter().filter(|e| e.text.contains(needle)).count()
}

async fn settle(bench: &Bench) {
    assert_eq!(bench.outbox_drained().await, 0);
}

#[tokio::test]
async fn the_brief_is_sent_once_a_day_late_until_noon_and_never_twice() {
    let mut bench = Bench::new().await;
    bench.master(MASTER);
    let anna = bench.user(451_000_001, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await; // pending review: something needs the master
    settle(&bench).await;

    // 06:59: nothing. 07:01: the brief. Again at 07:02 and after a restart: nothing more.
    bench.clock.set(at("2026-11-25T06:59:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(count(&bench, MASTER, "Morning Brief — 2026-11-25"), 0);
    bench.clock.set(at("2026-11-25T07:01:00Z"));
    scheduler::tick(bench.app()).await;
    let brief = bench.message_containing(MASTER, "Morning Brief — 2026-11-25").await;
    assert!(
        brief.text.contains("NEEDS YOU (1):") && brief.text.contains("anna-agent spawn — anna@acme.io (score 120 = 50 base + 30 company email + 20 🔎 Research + 20 A small team (2-10))"),
        "{}",
        brief.text
    );
    bench.clock.set(at("2026-11-25T07:02:00Z"));
    scheduler::tick(bench.app()).await;
    bench.restart().await;
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(count(&bench, MASTER, "Morning Brief — 2026-11-25"), 1);

    // Down over 07:00 the next day, back at 11:59: sent late, once.
    bench.clock.set(at("2026-11-26T11:59:00Z"));
    bench.restart().await;
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(count(&bench, MASTER, "Morning Brief — 2026-11-26"), 1);
    // Back only at 12:01 the day after: that day's brief is skipped, not sent at lunch.
    bench.clock.set(at("2026-11-27T12:01:00Z"));
    bench.restart().await;
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(count(&bench, MASTER, "Morning Brief — 2026-11-27"), 0);
    bench.stop().await;
}

#[tokio::test]
async fn nothing_to_decide_and_nothing_blocked_means_no_brief() {
    let bench = Bench::new().await;
    bench.master(MASTER);
    bench.clock.set(at("2026-11-25T07:05:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(count(&bench, MASTER, "Morning Brief"), 0);
    assert_eq!(
        bench.app().store.marker("brief:2026-11-25").unwrap().as_deref(),
        Some("skipped: nothing needs the master")
    );
    bench.emu.send_text(&bench.control.token, &bench.master(MASTER), "/brief");
    bench.message_containing(MASTER, "the 07:00 brief will be skipped").await;
    bench.stop().await;
}

#[tokio::test]
async fn the_brief_shows_every_section_and_a_decision_edits_it_in_place() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    // A pending request, and a live agent with a heartbeat (HAPPENING) that went live yesterday.
    let anna = bench.user(451_000_002, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.clock.set(at("2026-11-24T15:00:00Z"));
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    bench.emu.send_text(&bench.control.token, &m, &format!("/spawn peter {}", bot.token));
    bench.message_containing(MASTER, "⚡ peter is online").await;
    let mut peter = bench.app().store.agent("peter").unwrap().unwrap();
    peter.doing = Some("TopoDIM blog post 3".into());
    peter.heartbeat_at = Some(at("2026-11-25T06:50:00Z"));
    bench.app().store.commit(&m2o_bot::store::Change { agent: Some(peter), ..Default::default() }).unwrap();
    settle(&bench).await;

    bench.clock.set(at("2026-11-25T07:00:00Z"));
    scheduler::tick(bench.app()).await;
    let brief = bench.message_containing(MASTER, "Morning Brief — 2026-11-25").await;
    let expected_start = "☀️ Morning Brief — 2026-11-25\n\nNEEDS YOU (1):\n  1. anna-agent spawn — anna@acme.io (score 120 = 50 base + 30 company email + 20 🔎 Research + 20 A small team (2-10))\n\nHAPPENING:\n  peter → TopoDIM blog post 3\n\nSHIPPED YESTERDAY:\n  • peter went live";
    assert!(brief.text.starts_with(expected_start), "{}", brief.text);
    assert!(brief.text.ends_with("Fleet: peter 🟢"), "{}", brief.text);
    assert_eq!(brief.all_button_labels(), vec!["1. ✅ Approve", "1. ❌ Reject"]);

    // Approving from the brief edits that item only: its line says so, its buttons go, the rest
    // of the brief is as the master read it.
    bench.emu.tap(&bench.control.token, &m, brief.message_id, &brief.button_data("Approve").unwrap());
    bench
        .eventually("the brief's item was settled", |b| {
            b.current_text(MASTER, brief.message_id).contains("— ✅ Approved")
        })
        .await;
    let now = bench.current_text(MASTER, brief.message_id);
    let item = now.lines().find(|l| l.starts_with("  1. anna-agent spawn")).unwrap();
    assert!(item.ends_with("— ✅ Approved by master 900001 at 07:00 UTC"), "{item}");
    assert!(now.contains("HAPPENING:\n  peter → TopoDIM blog post 3"), "the rest stays: {now}");
    let buttons = bench
        .emu
        .transcript(&bench.control.token, MASTER)
        .into_iter()
        .find(|e| e.message_id == brief.message_id)
        .unwrap()
        .buttons;
    assert!(buttons.is_empty(), "{buttons:?}");
    assert_ne!(bench.contact(&anna).unwrap().state, ContactState::PendingReview);
    bench.stop().await;
}

#[tokio::test]
async fn nurture_at_nine_local_on_days_one_three_and_seven_across_dst_then_stop() {
    let bench = Bench::new().await;
    // A lead in Warsaw joins the contact track on Friday 27 March 2026 (DST starts on the 29th).
    bench.clock.set(at("2026-03-27T10:00:00Z"));
    let bob = bench.user(451_000_003, "pl");
    let q1 = bench.verified(&bob, "bob@gmail.com").await;
    let q2 = bench.tap(&bob, &q1, "Wszystkiego").await;
    let q3 = bench.tap(&bob, &q2, "Tylko ja").await;
    let tz = bench.tap(&bob, &q3, "Pomiń").await;
    bench.tap(&bob, &tz, "Europe/Warsaw").await;
    assert_eq!(bench.contact(&bob).unwrap().state, ContactState::ContactTrack);
    let nurtured = |b: &Bench| {
        b.emu
            .transcript(&b.control.token, bob.id)
            .iter()
            .filter(|e| e.from_bot && e.text.contains("/stop kończy"))
            .count()
    };

    // Day 1: 28 March, 09:00 CET = 08:00 UTC.
    bench.clock.set(at("2026-03-28T07:59:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(nurtured(&bench), 0);
    bench.clock.set(at("2026-03-28T08:00:00Z"));
    scheduler::tick(bench.app()).await;
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(nurtured(&bench), 1, "once, in Polish");
    assert!(bench.emu.transcript(&bench.control.token, bob.id).last().unwrap().text.contains("Dziękujemy"));
    // Day 3: 30 March, 09:00 CEST = 07:00 UTC (after the change).
    bench.clock.set(at("2026-03-30T06:59:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(nurtured(&bench), 1);
    bench.clock.set(at("2026-03-30T07:00:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(nurtured(&bench), 2);
    // The same by email.
    let emails = bench.brevo.received_requests().await.unwrap();
    assert!(emails.iter().any(|r| String::from_utf8_lossy(&r.body).contains("Trzy rzeczy")), "the day-3 email");
    // /stop: day 7 never comes.
    bench.emu.send_text(&bench.control.token, &bob, "/stop");
    bench.message_containing(bob.id, "nie wyślemy").await;
    assert!(bench.contact(&bob).unwrap().nurture_stopped);
    bench.clock.set(at("2026-04-03T07:00:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(nurtured(&bench), 2);
    bench.stop().await;
}

#[tokio::test]
async fn a_lead_in_new_york_across_the_november_change() {
    let bench = Bench::new().await;
    // Joins on Friday 30 October 2026, 20:00 New York (EDT); clocks go back on 1 November.
    bench.clock.set(at("2026-10-31T00:00:00Z"));
    let ann = bench.user(451_000_004, "en");
    let q1 = bench.verified(&ann, "ann@gmail.com").await;
    let q2 = bench.tap(&ann, &q1, "everything").await;
    let q3 = bench.tap(&ann, &q2, "Just me").await;
    let tz = bench.tap(&ann, &q3, "Skip").await;
    bench.tap(&ann, &tz, "New York").await;
    let nurtured =
        |b: &Bench| b.emu.transcript(&b.control.token, ann.id).iter().filter(|e| e.text.contains("/stop ends")).count();
    // Day 3: 2 November, 09:00 EST = 14:00 UTC (it would be 13:00 UTC before the change).
    bench.clock.set(at("2026-11-02T13:30:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    let before = nurtured(&bench);
    bench.clock.set(at("2026-11-02T14:00:00Z"));
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(nurtured(&bench), before + 1);
    bench.stop().await;
}

#[tokio::test]
async fn monday_digest_and_the_health_check_with_a_revoked_token() {
    let bench = Bench::with(&[("M2O_REVIEW_ALL", "false")]).await;
    let m = bench.master(MASTER);
    // A live client agent.
    let anna = bench.user(451_000_005, "en");
    bench.qualified(&anna, "anna@acme.io").await;
    let client_bot = bench.emu.create_bot("anna_helper_bot", "Anna");
    bench.forward_botfather(&anna, &client_bot).await;
    bench.reply(&anna).await;
    let summary = bench.say(&anna, "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.message_containing(MASTER, "⚡ anna-agent is online").await;
    // A contact-track lead.
    let bob = bench.user(451_000_006, "en");
    bench.on_contact_track(&bob, "bob@gmail.com").await;
    settle(&bench).await;

    // The client revokes the bot's token; Monday's health check notices.
    bench.emu.revoke(&client_bot.token);
    bench.clock.set(at("2026-11-30T06:31:00Z"));
    scheduler::tick(bench.app()).await;
    assert_eq!(bench.app().store.agent("anna-agent").unwrap().unwrap().state, AgentState::Degraded);
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::Degraded);
    let told = bench.message_containing(anna.id, "token was revoked").await;
    assert!(told.text.contains("@anna_helper_bot"), "{}", told.text);
    // The 07:00 brief lists it under BLOCKED with the fix.
    bench.clock.set(at("2026-11-30T07:00:00Z"));
    scheduler::tick(bench.app()).await;
    let brief = bench.message_containing(MASTER, "Morning Brief — 2026-11-30").await;
    assert!(
        brief.text.contains("BLOCKED:\n  • anna-agent: token revoked → ask anna@acme.io for a new token"),
        "{}",
        brief.text
    );
    assert!(brief.text.contains("anna-agent 🔴"), "{}", brief.text);
    // 08:00: the digest, each lead with [Qualify].
    bench.clock.set(at("2026-11-30T08:00:00Z"));
    scheduler::tick(bench.app()).await;
    let digest = bench.message_containing(MASTER, "Contact-track leads").await;
    assert!(digest.text.contains("bob@gmail.com — 50"), "{}", digest.text);
    bench.emu.tap(&bench.control.token, &m, digest.message_id, &digest.button_data("Qualify").unwrap());
    bench.message_containing(bob.id, "Good news").await;

    // The owner sends a new token for the same bot: redeployed, live again.
    let new_token = bench.emu.create_bot("other_bot", "x").token; // a token of another bot first
    bench.emu.send_text(&bench.control.token, &anna, &new_token);
    bench.message_containing(anna.id, "belongs to another bot").await;
    let fresh = bench.emu.reissue(&client_bot.token);
    bench.emu.send_text(&bench.control.token, &anna, &fresh);
    bench.message_containing(anna.id, "New token received").await;
    bench
        .eventually("live again", |b| b.app().store.agent("anna-agent").unwrap().unwrap().state == AgentState::Live)
        .await;
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::Active);
    bench.stop().await;
}

/// The pictures (photos) in the master's chat so far, with their captions.
fn photos(bench: &Bench) -> Vec<(i32, String)> {
    bench
        .emu
        .transcript(&bench.control.token, MASTER)
        .into_iter()
        .filter(|e| e.text.contains("Onboarding funnel"))
        .map(|e| (e.message_id, e.text))
        .collect()
}

#[tokio::test]
async fn the_review_and_the_digest_carry_the_funnel_as_a_picture_once_across_restarts() {
    let mut bench = Bench::new().await;
    bench.master(MASTER);
    let bob = bench.user(451_000_007, "en");
    bench.on_contact_track(&bob, "bob@gmail.com").await;
    settle(&bench).await;

    // Friday 16:00: the review, then its picture; the first upload is cut off and retried.
    bench.emu.inject_fault("sendPhoto", tg_emulator::Fault::Disconnect);
    bench.clock.set(at("2026-11-27T16:00:30Z"));
    scheduler::tick(bench.app()).await;
    bench.message_containing(MASTER, "The week in review").await;
    // The outbox backs off by the bot's clock, from when it put the item back: advancing the clock
    // before then would only move the retry further away.
    bench
        .eventually("the cut-off upload was tried and put back for later", |b| {
            let waiting = b.app().store.outbox_due(b.app().clock.now()).unwrap_or_default();
            b.emu.call_count("sendPhoto") == 1
                && !waiting.iter().any(|(_, i)| matches!(i.what, m2o_bot::store::Outgoing::FunnelChart { .. }))
        })
        .await;
    bench.clock.advance(chrono::Duration::seconds(5));
    let picture = bench.message_containing(MASTER, "Onboarding funnel").await;
    assert_eq!(picture.kind, "photo");
    assert!(picture.text.starts_with("📊 Onboarding funnel, week of 2026-11-23"), "{}", picture.text);
    assert!(picture.text.contains("⬜ started 1") && picture.text.contains("🟨 contact track 1"), "{}", picture.text);
    let png = bench.emu.uploaded(&bench.control.token, MASTER, picture.message_id).expect("uploaded");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    if let Ok(dir) = std::env::var("M2O_SCREENSHOTS") {
        std::fs::write(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir).join("funnel-chat.png"), &png)
            .unwrap();
    }
    settle(&bench).await;

    // A restart in the same slot sends nothing again.
    bench.restart().await;
    scheduler::tick(bench.app()).await;
    settle(&bench).await;
    assert_eq!(photos(&bench).len(), 1, "once");
    assert_eq!(count(&bench, MASTER, "The week in review"), 1);

    // Monday 08:00: the digest, then the picture of the new week.
    bench.clock.set(at("2026-11-30T08:00:30Z"));
    scheduler::tick(bench.app()).await;
    bench.message_containing(MASTER, "Contact-track leads").await;
    let monday = bench.message_containing(MASTER, "Onboarding funnel").await;
    assert!(monday.text.starts_with("📊 Onboarding funnel, week of 2026-11-30"), "{}", monday.text);
    assert!(monday.text.contains("⬜ started 0"), "a new week: {}", monday.text);
    bench.stop().await;
}
