//! Nothing is lost on restart: the process stops between any two steps and the conversation goes
//! on from the same step; a notification queued before a crash is still delivered.

mod common;

use common::*;
use m2o_bot::domain::ContactState;
use m2o_bot::store::{Change, OutboxItem};

#[tokio::test]
async fn a_restart_between_any_two_steps_resumes_at_the_same_step() {
    let mut bench = Bench::new().await;
    let anna = bench.user(421_100_001, "en");
    bench.say(&anna, "/start").await;
    bench.restart().await;
    let sent = bench.say(&anna, "anna@acme.io").await;
    assert!(sent.text.contains("sent a 6-digit code"), "{}", sent.text);
    bench.restart().await;
    let code = bench.last_code("anna@acme.io").await;
    bench.say(&anna, &code).await;
    let q1 = bench.reply(&anna).await;
    bench.restart().await;
    let q2 = bench.tap(&anna, &q1, "🔎").await;
    bench.restart().await;
    let q3 = bench.tap(&anna, &q2, "small team").await;
    bench.restart().await;
    let tz = bench.tap(&anna, &q3, "Skip").await;
    bench.restart().await;
    let yes = bench.tap(&anna, &tz, "London").await;
    assert!(yes.text.contains("you're in"), "{}", yes.text);
    bench.reply(&anna).await;
    bench.restart().await;
    let bot = bench.emu.create_bot("anna_helper_bot", "Anna");
    let (_, ok) = bench.forward_botfather(&anna, &bot).await;
    assert!(ok.text.contains("is connected"), "{}", ok.text);
    bench.reply(&anna).await;
    bench.restart().await;
    let summary = bench.say(&anna, "anna-agent").await;
    assert!(summary.text.contains("Agent name: anna-agent"), "{}", summary.text);
    bench.restart().await;
    let done = bench.tap(&anna, &summary, "Confirm").await;
    assert!(done.text.contains("Request sent"), "{}", done.text);
    let c = bench.contact(&anna).unwrap();
    assert_eq!(c.state, ContactState::PendingReview);
    assert_eq!(c.timezone.as_deref(), Some("Europe/London"));
    assert!(bench.emu.next_message(&bench.control.token, MASTER, WAIT).await.is_some());
    bench.stop().await;
}

#[tokio::test]
async fn a_notification_queued_before_a_crash_is_delivered_after_it() {
    let mut bench = Bench::new().await;
    bench
        .restart_with(|store| {
            let change = Change {
                outbox: vec![OutboxItem::telegram(MASTER, "queued before the crash".into())],
                ..Change::default()
            };
            store.commit(&change).unwrap();
        })
        .await;
    let note = bench.emu.next_message(&bench.control.token, MASTER, WAIT).await.expect("delivered");
    assert_eq!(note.text, "queued before the crash");
    assert_eq!(bench.outbox_drained().await, 0);
    bench.stop().await;
}

#[tokio::test]
async fn start_after_a_restart_picks_up_where_the_contact_is() {
    let mut bench = Bench::new().await;
    let anna = bench.user(421_100_002, "en");
    bench.qualified(&anna, "anna@acme.io").await;
    // The dialogue state is lost (e.g. written by an incompatible version): /start still resumes.
    bench
        .restart_with(|store| {
            store.load_raw("dialogues", &anna.id.to_be_bytes(), b"{\"v\":0,\"state\":\"old\"}").unwrap();
        })
        .await;
    let r = bench.say(&anna, "/start").await;
    assert!(r.text.contains("@BotFather"), "{}", r.text);
    bench.stop().await;
}
