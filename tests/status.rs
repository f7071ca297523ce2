//! One vocabulary for what an agent and a request are (issue 10, item 6). Before: the brief showed
//! `acme-helper 🟡` while `/agent` showed `🟢 live`; a destroyed agent read "⚫ destroyed" above
//! "⚡ online"; a rejected request's card kept "— pending review"; `/cancel` on a pending request
//! said "There's nothing to cancel".

mod common;

use common::*;
use m2o_bot::domain::ContactState;

#[tokio::test]
async fn every_view_says_the_same_of_an_agent_and_a_destroyed_one_is_not_online() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    bench.emu.send_text(&bench.control.token, &m, &format!("/spawn peter {}", bot.token));
    bench.message_containing(MASTER, "⚡ peter is online").await;
    bench.emu.send_text(&bench.control.token, &m, "/agent peter");
    let view = bench.message_containing(MASTER, "Owner:").await;
    assert!(view.text.starts_with("🟢 peter — online"), "{}", view.text);
    assert!(view.text.contains("🟢 online (heartbeat in the last 30 min)"), "the legend: {}", view.text);

    // 31 minutes without a heartbeat: every view says 🟡 silent.
    bench.clock.advance(chrono::Duration::minutes(31));
    bench.emu.send_text(&bench.control.token, &m, "/agent peter");
    let view = bench.message_containing(MASTER, "Owner:").await;
    assert!(view.text.starts_with("🟡 peter — silent"), "{}", view.text);
    bench.emu.send_text(&bench.control.token, &m, "/fleet");
    let fleet = bench.message_containing(MASTER, "Fleet:").await;
    assert!(fleet.text.starts_with("Fleet: peter 🟡\n0 🟢 online · 1 🟡"), "{}", fleet.text);

    bench.emu.send_text(&bench.control.token, &m, "/destroy peter");
    let ask = bench.message_containing(MASTER, "cannot be undone").await;
    let q = bench.emu.tap(&bench.control.token, &m, ask.message_id, &ask.button_data("Destroy").unwrap());
    bench.toast(&q).await;
    bench.emu.send_text(&bench.control.token, &m, "/agent peter");
    let view = bench.message_containing(MASTER, "Owner:").await;
    assert!(view.text.starts_with("⚫ peter — destroyed"), "{}", view.text);
    assert!(!view.text.contains("is online") && !view.text.contains("⚡"), "{}", view.text);
    bench.stop().await;
}

#[tokio::test]
async fn a_client_withdraws_a_waiting_request_and_the_cards_say_so() {
    let bench = Bench::new().await;
    bench.master(MASTER);
    let anna = bench.user(471_000_001, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    let card = bench.message_containing(MASTER, "Agent request").await;
    assert!(card.text.contains("— pending review"), "{}", card.text);

    let status = bench.say(&anna, "/status").await;
    assert!(status.text.contains("/cancel withdraws"), "{}", status.text);
    let ask = bench.say(&anna, "/cancel").await;
    assert!(ask.text.contains("Withdraw the request?"), "{}", ask.text);
    let q = bench.emu.tap(&bench.control.token, &anna, ask.message_id, &ask.button_data("Keep it").unwrap());
    bench.toast(&q).await;
    assert!(bench.current_text(anna.id, ask.message_id).ends_with("👉 Nothing changed."));
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::PendingReview);
    let ask = bench.say(&anna, "/cancel").await;
    let q =
        bench.emu.tap(&bench.control.token, &anna, ask.message_id, &ask.button_data("Withdraw my request").unwrap());
    bench.toast(&q).await;
    bench.message_containing(anna.id, "Your request is withdrawn").await;
    let c = bench.contact(&anna).unwrap();
    assert_eq!(c.state, ContactState::Rejected);
    assert!(bench.app().store.name_free("anna-agent", None).unwrap(), "the name is free again");
    bench
        .eventually("the card was re-rendered", |b| {
            let now = b.current_text(MASTER, card.message_id);
            now.starts_with(&format!("🆕 Agent request #{} — turned down", c.id))
                && now.contains("↩️ Withdrawn by the client at")
        })
        .await;
    let status = bench.say(&anna, "/status").await;
    assert!(status.text.starts_with("You withdrew your request"), "{}", status.text);
    bench.stop().await;
}
