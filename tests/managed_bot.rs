//! `managed_bot` updates (issue 11, item 1): teloxide 0.17 cannot read them and its Dispatcher
//! would drop them as "Cannot parse an update", and its own polling never asked for them. Our
//! listener asks for them (`allowed_updates`), reads them into our own types and hands them on:
//! one nobody asked for is recorded in the audit log once, and the bot goes on answering.

mod common;

use common::*;

#[tokio::test]
async fn a_managed_bot_update_is_asked_for_read_and_recorded_once() {
    let mut bench = Bench::new().await;
    let anna = bench.user(511_000_001, "en");
    assert!(bench.say(&anna, "/start").await.text.contains("Welcome"));
    let created = bench.emu.create_bot("anna_helper_bot", "Anna");
    let id = bench.emu.managed_bot_update(&bench.control.token, &anna, &created);
    let recorded =
        |b: &Bench| b.app().store.audit_log().unwrap().iter().filter(|e| e.event == "managed_bot_unasked").count();
    bench.eventually("the update was read and recorded", |b| recorded(b) == 1).await;
    let entry = bench.app().store.audit_log().unwrap().into_iter().find(|e| e.event == "managed_bot_unasked").unwrap();
    assert!(entry.why.contains("@anna_helper_bot") && entry.why.contains("511000001"), "{}", entry.why);
    assert!(!entry.why.contains(&created.token), "never a token");

    // Delivered again after a restart (the new process polls from the start): recorded once.
    bench.restart().await;
    bench.emu.deliver_again(&bench.control.token, id);
    bench
        .eventually("the second delivery was counted as a duplicate", |b| {
            b.app().metrics.updates_duplicate.load(std::sync::atomic::Ordering::Relaxed) >= 1
        })
        .await;
    assert_eq!(recorded(&bench), 1);
    // The conversation goes on.
    assert!(bench.say(&anna, "anna@acme.io").await.text.contains("sent a 6-digit code"));
    bench.stop().await;
}
