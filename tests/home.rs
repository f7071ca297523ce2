//! A master's home and no dead ends (issue 10, items 4 and 7): `/start` as a master showed the
//! client sign-up, and `/leeds` was answered "That doesn't look like an email address". Clients
//! stuck mid-onboarding get one nudge, from a master's [🔔 Nudge] or at 10:00 their time.

mod common;

use common::*;
use m2o_bot::domain::ContactState;
use m2o_bot::scheduler;

fn at(s: &str) -> chrono::DateTime<chrono::Utc> {
    s.parse().unwrap()
}

#[tokio::test]
async fn start_shows_a_master_home_with_a_button_to_each_view() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let anna = bench.user(451_000_001, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.message_containing(MASTER, "Agent request").await;

    bench.emu.send_text(&bench.control.token, &m, "/start");
    let home = bench.message_containing(MASTER, "Your fleet").await;
    assert!(home.text.contains("Requests waiting for you: 1"), "{}", home.text);
    assert!(home.text.contains("Open escalations: 0"), "{}", home.text);
    assert!(!home.text.contains("Welcome"), "not the client sign-up: {}", home.text);
    let labels = home.all_button_labels();
    assert!(labels.contains(&"🆕 Requests (1)".to_string()) && labels.len() == 5, "{labels:?}");
    let q = bench.emu.tap(&bench.control.token, &m, home.message_id, &home.button_data("Requests").unwrap());
    let view = bench.message_containing(MASTER, "anna@acme.io").await;
    assert!(view.text.contains("waiting for review"), "{}", view.text);
    bench.toast(&q).await;
    let q = bench.emu.tap(&bench.control.token, &m, home.message_id, &home.button_data("Fleet").unwrap());
    bench.message_containing(MASTER, "no agents yet").await;
    bench.toast(&q).await;
    assert!(bench.app().store.contact_by_user(MASTER).unwrap().is_none(), "the master did not become a client");
    bench.stop().await;
}

#[tokio::test]
async fn an_unknown_command_gets_the_closest_one_and_changes_nothing() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    bench.emu.send_text(&bench.control.token, &m, "/leeds");
    let r = bench.message_containing(MASTER, "I don't know").await;
    assert_eq!(r.text, "I don't know /leeds — did you mean /leads?");

    let anna = bench.user(451_000_002, "en");
    bench.say(&anna, "/start").await;
    let r = bench.say(&anna, "/stauts").await;
    assert_eq!(r.text, "I don't know /stauts — did you mean /status?");
    let r = bench.say(&anna, "/leads").await;
    assert!(!r.text.contains("/leads"), "a client is not offered a master's command: {}", r.text);
    let r = bench.say(&anna, "/xyzzy").await;
    assert_eq!(r.text, "I don't know /xyzzy. /help lists the commands.");
    // Still at the email step: the commands were not taken as an address.
    let r = bench.say(&anna, "anna@acme.io").await;
    assert!(r.text.contains("sent a 6-digit code"), "{}", r.text);
    bench.stop().await;
}

#[tokio::test]
async fn a_stuck_client_is_nudged_once_by_a_master_or_at_ten_their_time() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let anna = bench.user(451_000_003, "en");
    bench.verified(&anna, "anna@acme.io").await;
    let bob = bench.user(451_000_004, "en");
    bench.verified(&bob, "bob@acme.io").await;
    bench.clock.set(at("2026-12-03T08:00:00Z"));

    bench.emu.send_text(&bench.control.token, &m, "/start");
    let home = bench.message_containing(MASTER, "Your fleet").await;
    assert!(home.text.contains("2 stuck mid-onboarding"), "{}", home.text);
    let q = bench.emu.tap(&bench.control.token, &m, home.message_id, &home.button_data("Stuck").unwrap());
    let list = bench.message_containing(MASTER, "Stuck mid-onboarding").await;
    bench.toast(&q).await;
    assert!(list.text.contains("anna@acme.io — answering the questions"), "{}", list.text);
    let id = bench.contact(&anna).unwrap().id;
    let data = list.button_data(&format!("Nudge #{id}")).unwrap();
    let q = bench.emu.tap(&bench.control.token, &m, list.message_id, &data);
    assert_eq!(bench.toast(&q).await, "🔔 anna@acme.io was nudged.");
    let nudge = bench.message_containing(anna.id, "stopped halfway").await;
    assert!(nudge.text.contains("/start"), "{}", nudge.text);
    let q = bench.emu.tap(&bench.control.token, &m, list.message_id, &data);
    assert!(bench.toast(&q).await.contains("once is enough"));

    // Bob: no timezone yet, so UTC; 08:00 is too early, 10:30 is the hour; once only.
    scheduler::tick(bench.app()).await;
    assert!(bench.contact(&bob).unwrap().nudged_at.is_none());
    bench.clock.set(at("2026-12-03T10:30:00Z"));
    scheduler::tick(bench.app()).await;
    scheduler::tick(bench.app()).await;
    bench.message_containing(bob.id, "stopped halfway").await;
    bench.outbox_drained().await;
    let nudges = bench
        .emu
        .transcript(&bench.control.token, bob.id)
        .iter()
        .filter(|e| e.text.contains("stopped halfway"))
        .count();
    assert_eq!(nudges, 1);
    assert_eq!(bench.contact(&bob).unwrap().state, ContactState::Qualifying);
    bench.stop().await;
}
