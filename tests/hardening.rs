//! What a hostile or unlucky world does to the bot over Telegram, each case as the attack found it:
//! an update that does not decode, the same update delivered twice, a crash in the middle.

mod common;

use common::*;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// One update teloxide cannot decode (its callback data is a lone UTF-16 surrogate) used to fail
/// every `getUpdates` after it: nobody was answered again. Now it is skipped and counted, and the
/// next person is answered at once.
#[tokio::test]
async fn an_update_that_does_not_decode_is_skipped_and_counted() {
    let bench = Bench::new().await;
    let anna = bench.user(461_000_001, "en");
    let welcome = bench.say(&anna, "/start").await;
    bench.emu.tap_raw(&bench.control.token, &anna, welcome.message_id, "\"\\ud800\"");
    let bob = bench.user(461_000_002, "en");
    let started = tokio::time::Instant::now();
    let reply = bench.say(&bob, "/start").await;
    assert!(reply.text.contains("mail"), "{}", reply.text);
    assert!(started.elapsed() < Duration::from_secs(3), "answered after {:?}", started.elapsed());
    assert_eq!(bench.app().metrics.updates_undecodable.load(Ordering::Relaxed), 1);
    let metrics =
        reqwest::get(format!("http://{}/metrics", bench.http_addr.unwrap())).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("m2o_updates_undecodable_total 1"), "{metrics}");
    bench.silent(&anna).await;
    bench.stop().await;
}

/// Telegram delivers an update again when the bot stopped before confirming it. A wrong code
/// delivered twice used to count twice ("3 tries left" → "2 tries left" for one try); now the
/// second delivery is recognised by its update id and changes nothing.
#[tokio::test]
async fn an_update_delivered_again_after_a_restart_counts_once() {
    let mut bench = Bench::new().await;
    let anna = bench.user(461_000_003, "en");
    bench.say(&anna, "/start").await;
    bench.say(&anna, "anna@acme.io").await;
    let wrong = bench.say(&anna, "000000").await;
    assert!(wrong.text.contains("4"), "4 tries left: {}", wrong.text);
    let update = bench.emu.last_update_id(&bench.control.token).expect("the wrong code's update");
    let contact = bench.contact(&anna).expect("a contact");
    assert_eq!(bench.app().store.otp(contact.id).unwrap().unwrap().wrong_tries, 1);

    bench.restart().await;
    bench.emu.deliver_again(&bench.control.token, update);
    bench.silent(&anna).await;
    assert_eq!(bench.app().store.otp(contact.id).unwrap().unwrap().wrong_tries, 1, "counted twice");
    assert_eq!(bench.app().metrics.updates_duplicate.load(Ordering::Relaxed), 1);

    // A new update is handled as ever.
    let again = bench.say(&anna, "111111").await;
    assert!(again.text.contains("3"), "3 tries left: {}", again.text);
    bench.stop().await;
}

/// A message Telegram refuses for good (a 400 "Bad Request") is set aside, not retried for ever,
/// and the masters are told once; the refused alert about it would not be alerted about in turn.
#[tokio::test]
async fn a_message_refused_for_good_is_parked_and_the_masters_are_told() {
    use m2o_bot::store::{Change, OutboxItem};
    let bench = Bench::new().await;
    bench.master(MASTER);
    let anna = bench.user(461_000_004, "en");
    bench.emu.press_start(&bench.control.token, anna.id);
    let refusal =
        serde_json::json!({"ok": false, "error_code": 400, "description": "Bad Request: can't parse entities"});
    bench.emu.inject_fault("sendMessage", tg_emulator::Fault::Status(400, refusal));
    let item = OutboxItem::telegram(anna.id, "a message Telegram will refuse".into());
    bench.app().commit(&Change { outbox: vec![item], ..Change::default() }).unwrap();
    let alert = bench.message_containing(MASTER, "Could not deliver").await;
    assert!(
        alert.text.contains(&format!("chat {}", anna.id)) && alert.text.contains("can't parse entities"),
        "{}",
        alert.text
    );
    assert!(!alert.text.contains("Telegram will refuse"), "the alert does not quote the message");
    assert_eq!(bench.outbox_drained().await, 0);
    let parked = bench.app().store.outbox_parked();
    assert_eq!(parked.len(), 1, "kept for an operator to see");
    let metrics =
        reqwest::get(format!("http://{}/metrics", bench.http_addr.unwrap())).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("m2o_outbox_parked 1"), "{metrics}");
    bench.silent(&anna).await;
    bench.stop().await;
}

/// Several Telegram accounts asking codes for one address used to flood its inbox (6 codes in
/// seconds). Whoever asks, an address gets 3 codes an hour and 5 a day.
#[tokio::test]
async fn one_address_gets_a_few_codes_an_hour_and_a_day_whoever_asks() {
    const VICTIM: &str = "victim@acme.io";
    async fn ask(bench: &Bench, id: i64) -> String {
        let user = bench.user(id, "en");
        bench.say(&user, "/start").await;
        bench.say(&user, VICTIM).await.text
    }
    let bench = Bench::new().await;
    for i in 0..3 {
        let reply = ask(&bench, 461_100_000 + i).await;
        assert!(reply.contains("I've sent"), "{reply}");
    }
    let refused = ask(&bench, 461_100_010).await;
    assert!(refused.contains("in the last hour") && refused.contains(VICTIM), "{refused}");
    assert_eq!(bench.emails_sent().await, 3);

    bench.clock.advance(chrono::Duration::minutes(61));
    for i in 0..2 {
        let reply = ask(&bench, 461_100_020 + i).await;
        assert!(reply.contains("I've sent"), "{reply}");
    }
    let refused = ask(&bench, 461_100_030).await;
    assert!(refused.contains("today"), "{refused}");
    assert_eq!(bench.emails_sent().await, 5, "5 a day");
    bench.stop().await;
}

/// `/start` in the middle of the questions used to start them over and clear the answers; it
/// picks up at the question the client is at, answers kept — also after a `/cancel`.
#[tokio::test]
async fn start_in_the_middle_of_the_questions_picks_up_where_the_client_is() {
    let bench = Bench::new().await;
    let anna = bench.user(461_000_005, "en");
    let q1 = bench.verified(&anna, "anna@acme.io").await;
    let q2 = bench.tap(&anna, &q1, "🔎").await;
    assert!(q2.text.contains("Who will work"), "{}", q2.text);
    let again = bench.say(&anna, "/start").await;
    assert!(again.text.contains("Who will work"), "the second question again: {}", again.text);
    let answers = bench.contact(&anna).unwrap().answers;
    assert_eq!(answers.get("use_case").map(String::as_str), Some("research"), "the answer is kept");
    bench.say(&anna, "/cancel").await;
    let after_cancel = bench.say(&anna, "/start").await;
    assert!(after_cancel.text.contains("Who will work"), "{}", after_cancel.text);
    let q3 = bench.tap(&anna, &after_cancel, "small team").await;
    assert!(q3.text.to_lowercase().contains("referral"), "{}", q3.text);
    bench.stop().await;
}
