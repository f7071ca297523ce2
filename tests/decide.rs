//! Rejecting is not one slip of the thumb (issue 10, item 5): [❌ Reject] asks once more and takes
//! an optional reason the client reads; [↩️ Keep waiting] goes back. Refusals are plain words, and
//! `/approve` or `/reject` alone list the requests waiting.

mod common;

use common::*;
use m2o_bot::domain::ContactState;

async fn pending(bench: &Bench, id: i64, email: &str, bot: &str, name: &str) -> (tg_emulator::TestUser, u64) {
    let user = bench.user(id, "en");
    let summary = bench.at_confirm(&user, email, bot, name).await;
    bench.tap(&user, &summary, "Confirm").await;
    let contact = bench.contact(&user).unwrap().id;
    (user, contact)
}

/// Each button's label and colour (`style`, Bot API 9.4), as a phone would draw them.
fn colours(msg: &tg_emulator::SentMessage) -> Vec<(String, Option<String>)> {
    msg.buttons.iter().flatten().map(|b| (b.text.clone(), b.style.clone())).collect()
}

#[tokio::test]
async fn yes_is_green_and_no_is_red_wherever_a_decision_is_offered() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let anna = bench.user(461_000_003, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    let green = Some("success".to_string());
    let red = Some("danger".to_string());
    assert_eq!(
        colours(&summary),
        vec![("✅ Confirm".into(), green.clone()), ("✏️ Change name".into(), None), ("✖ Cancel".into(), red.clone())]
    );
    bench.tap(&anna, &summary, "Confirm").await;
    // The card comes through the outbox's paced sends; the question through the dialogue's.
    let card = bench.message_containing(MASTER, "Agent request").await;
    let styled: Vec<_> = colours(&card).into_iter().filter(|(_, s)| s.is_some()).collect();
    assert_eq!(styled, vec![("✅ Approve".into(), green), ("❌ Reject".into(), red.clone())], "{:?}", colours(&card));
    bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Reject").unwrap());
    let ask = bench.message_containing(MASTER, "Reject #").await;
    assert_eq!(colours(&ask), vec![("❌ Reject without a reason".into(), red), ("↩️ Keep waiting".into(), None)]);
    bench.stop().await;
}

#[tokio::test]
async fn reject_asks_takes_a_reason_and_can_be_taken_back() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let (anna, id) = pending(&bench, 461_000_001, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    let card = bench.message_containing(MASTER, "Agent request").await;

    // ❌ asks; [↩️ Keep waiting] changes nothing.
    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Reject").unwrap());
    let ask = bench.message_containing(MASTER, "Reject #").await;
    assert!(ask.text.contains("anna@acme.io") && ask.text.contains("Type the reason"), "{}", ask.text);
    assert_eq!(ask.all_button_labels(), vec!["❌ Reject without a reason", "↩️ Keep waiting"]);
    assert_eq!(bench.toast(&q).await, "Type a reason, or tap a button.");
    let q = bench.emu.tap(&bench.control.token, &m, ask.message_id, &ask.button_data("Keep waiting").unwrap());
    assert_eq!(bench.toast(&q).await, format!("Request #{id} is still waiting."));
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::PendingReview);
    // The master's next text is not a reason any more.
    bench.emu.send_text(&bench.control.token, &m, "hmm");
    bench.message_containing(MASTER, "reply to their message").await;

    // ❌ again, then a reason: rejected, and the client reads it.
    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Reject").unwrap());
    bench.message_containing(MASTER, "Reject #").await;
    bench.toast(&q).await;
    bench.emu.send_text(&bench.control.token, &m, "We only take teams of 3+ this month.");
    let done = bench.message_containing(MASTER, "rejected").await;
    assert_eq!(done.text, format!("❌ Request #{id} rejected; the client was told, with your reason."));
    let told = bench.message_containing(anna.id, "couldn't approve").await;
    assert!(told.text.contains("Reason: We only take teams of 3+ this month."), "{}", told.text);
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::Rejected);
    bench
        .eventually("the card says so", |b| {
            b.current_text(MASTER, card.message_id).contains("❌ Rejected by master 900001")
        })
        .await;

    // A tap on the old card: told, in words, that it was decided.
    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Reject").unwrap());
    assert!(bench.toast(&q).await.starts_with(&format!("Request #{id} was already rejected by master 900001")));
    bench.stop().await;
}

#[tokio::test]
async fn commands_without_an_id_list_the_requests_and_refusals_are_words() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let (_, a) = pending(&bench, 461_000_002, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    let (bob, b) = pending(&bench, 461_000_003, "bob@acme.io", "bob_helper_bot", "bob-agent").await;

    bench.emu.send_text(&bench.control.token, &m, "/reject");
    let pick = bench.message_containing(MASTER, "Which request do you reject?").await;
    assert_eq!(
        pick.all_button_labels(),
        vec![format!("❌ #{a} anna-agent · anna@acme.io"), format!("❌ #{b} bob-agent · bob@acme.io")]
    );
    let q = bench.emu.tap(&bench.control.token, &m, pick.message_id, &pick.button_data("bob-agent").unwrap());
    let ask = bench.message_containing(MASTER, "Reject #").await;
    bench.toast(&q).await;
    let q = bench.emu.tap(&bench.control.token, &m, ask.message_id, &ask.button_data("without a reason").unwrap());
    assert_eq!(bench.toast(&q).await, format!("❌ Request #{b} rejected; the client was told."));
    let told = bench.message_containing(bob.id, "couldn't approve").await;
    assert!(!told.text.contains("Reason:"), "{}", told.text);

    bench.emu.send_text(&bench.control.token, &m, "/approve");
    let pick = bench.message_containing(MASTER, "Which request do you approve?").await;
    assert_eq!(pick.all_button_labels(), vec![format!("✅ #{a} anna-agent · anna@acme.io")]);

    // Refusals in words: no "pending_review", no "contact_track".
    bench.emu.send_text(&bench.control.token, &m, &format!("/approve {b}"));
    let r = bench.message_containing(MASTER, "already").await;
    assert!(r.text.starts_with(&format!("Request #{b} was already rejected by master 900001")), "{}", r.text);
    bench.emu.send_text(&bench.control.token, &m, "/approve 99999");
    assert_eq!(bench.message_containing(MASTER, "99999").await.text, "There is no request #99999.");
    bench.stop().await;
}
