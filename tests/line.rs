//! The two-way line (issue 10, item 1): what a client writes outside a step reaches the masters
//! with who they are, and a master's answer (Telegram's Reply or [↩️ Reply]) reaches the client.
//! Before, a lead answering "reply here" got "Send /start to begin or continue…" and nobody saw it.

mod common;

use common::*;
use m2o_bot::domain::line::{LineFrom, MAX_RELAYED_PER_DAY};
use m2o_bot::domain::ContactState;

/// A contact-track lead: company-less gmail, "a bit of everything", solo.
async fn lead(bench: &Bench, id: i64, email: &str) -> tg_emulator::TestUser {
    let user = bench.user(id, "en");
    let q1 = bench.verified(&user, email).await;
    let q2 = bench.tap(&user, &q1, "everything").await;
    let q3 = bench.tap(&user, &q2, "Just me").await;
    let tz = bench.tap(&user, &q3, "Skip").await;
    bench.tap(&user, &tz, "UTC").await;
    assert_eq!(bench.contact(&user).unwrap().state, ContactState::ContactTrack);
    user
}

#[tokio::test]
async fn a_lead_writes_the_master_replies_and_the_lead_gets_it() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let bob = lead(&bench, 441_000_001, "bob@gmail.com").await;

    let ack = bench.say(&bob, "We are 5 people now, doing support").await;
    assert_eq!(ack.text, "✉️ Sent to the team. They'll answer here.");
    let card = bench.message_containing(MASTER, "A message from").await;
    for part in ["bob@gmail.com", "on the contact track", "score 50 = 50 base", "› We are 5 people now, doing support"]
    {
        assert!(card.text.contains(part), "{part:?} in {}", card.text);
    }
    assert_eq!(card.all_button_labels(), vec!["↩️ Reply"]);
    bench.outbox_drained().await;

    // A second message within ten minutes joins the same card.
    bench.say(&bob, "And we need it in Polish").await;
    bench
        .eventually("the card grew", |b| b.current_text(MASTER, card.message_id).contains("› And we need it in Polish"))
        .await;

    // The master answers with Telegram's Reply to the card.
    bench.emu.reply_text(&bench.control.token, &m, card.message_id, "Great, I'll move you on today.");
    let sent = bench.message_containing(MASTER, "Sent to bob@gmail.com").await;
    assert!(sent.text.starts_with("✉️"), "{}", sent.text);
    let answer = bench.message_containing(bob.id, "From the team").await;
    assert!(answer.text.contains("Great, I'll move you on today."), "{}", answer.text);
    bench
        .eventually("the card shows the answer", |b| {
            b.current_text(MASTER, card.message_id).contains("↩️ master 900001: Great, I'll move you on today.")
        })
        .await;

    // After an answer, the next message from the lead is a new card.
    bench.say(&bob, "Thanks!").await;
    let second = bench.message_containing(MASTER, "› Thanks!").await;
    assert_ne!(second.message_id, card.message_id);

    // Stored both ways, in order, and audited without the text.
    let line = bench.app().store.line(bench.contact(&bob).unwrap().id).unwrap();
    let who: Vec<_> = line.iter().map(|e| e.from).collect();
    assert_eq!(who, vec![LineFrom::Client, LineFrom::Client, LineFrom::Master(MASTER), LineFrom::Client]);
    let audit = bench.app().store.audit_log().unwrap();
    assert_eq!(audit.iter().filter(|e| e.event == "line_in").count(), 3);
    assert_eq!(audit.iter().filter(|e| e.event == "line_out").count(), 1);
    assert!(audit.iter().all(|e| !e.why.contains("Polish")), "no message text in the audit log");
    bench.stop().await;
}

#[tokio::test]
async fn the_reply_button_and_a_rejected_client() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let anna = bench.user(441_000_002, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    let request = bench.message_containing(MASTER, "Agent request").await;
    let id = bench.contact(&anna).unwrap().id;
    bench.emu.send_text(&bench.control.token, &m, &format!("/reject {id} not a fit yet"));
    bench.message_containing(anna.id, "couldn't approve").await;

    // "Write here if you have questions": it does reach someone.
    bench.say(&anna, "Why not?").await;
    let card = bench.message_containing(MASTER, "› Why not?").await;
    assert!(card.text.contains("turned down"), "{}", card.text);
    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Reply").unwrap());
    let _ = q;
    bench.message_containing(MASTER, "Type your answer to").await;
    bench.emu.send_text(&bench.control.token, &m, "We only onboard teams this month.");
    bench.message_containing(MASTER, "Sent to anna@acme.io").await;
    let answer = bench.message_containing(anna.id, "From the team").await;
    assert!(answer.text.contains("We only onboard teams this month."), "{}", answer.text);
    // The dialogue ended: the master's next text is not sent on.
    bench.emu.send_text(&bench.control.token, &m, "note to self");
    bench.message_containing(MASTER, "reply to their message").await;

    // A Reply to the request's card answers that client too.
    bench.emu.reply_text(&bench.control.token, &m, request.message_id, "PS: try again in May.");
    bench.message_containing(anna.id, "PS: try again in May.").await;
    bench.stop().await;
}

#[tokio::test]
async fn tokens_stickers_and_a_flood() {
    let bench = Bench::new().await;
    bench.master(MASTER);
    let bob = lead(&bench, 441_000_003, "bob@gmail.com").await;

    let token = "7000000001:AAHnotARealTokenAtAll_0123456789abc";
    let warned = bench.say(&bob, &format!("my bot is {token}")).await;
    assert!(warned.text.contains("deleted it and passed nothing on"), "{}", warned.text);
    let sticker = bench.emu.send_message_json(
        &bench.control.token,
        &bob,
        serde_json::json!({ "sticker": { "file_id": "x", "file_unique_id": "x", "type": "regular", "width": 1, "height": 1, "is_animated": false, "is_video": false } }),
    );
    let _ = sticker;
    let text_only = bench.reply(&bob).await;
    assert!(text_only.text.contains("text only"), "{}", text_only.text);
    let contact = bench.contact(&bob).unwrap();
    assert!(bench.app().store.line(contact.id).unwrap().is_empty(), "nothing stored");

    // A flood: every message kept, a day's cap relayed, the rest held.
    bench.say(&bob, "message 0").await;
    bench.message_containing(MASTER, "› message 0").await;
    for i in 1..MAX_RELAYED_PER_DAY {
        bench.say(&bob, &format!("message {i}")).await;
    }
    let held = bench.say(&bob, "one more").await;
    assert!(held.text.contains("Kept."), "{}", held.text);
    assert_eq!(bench.app().store.line(contact.id).unwrap().len() as u32, MAX_RELAYED_PER_DAY + 1);
    // What the masters were sent (or have queued: edits to one chat are paced), as the store
    // keeps it: few cards, each message on one of them once.
    let cards = bench.app().store.notices(m2o_bot::fleet::line::subject(contact.id)).unwrap();
    assert_eq!(cards.len(), 2, "the new-lead notice, and one card with every message folded in");
    let all: String = cards.iter().map(|n| n.text.as_str()).collect::<Vec<_>>().join("\n");
    for i in 0..MAX_RELAYED_PER_DAY {
        assert_eq!(
            all.matches(&format!("› message {i}\n")).count() + usize::from(all.ends_with(&format!("› message {i}"))),
            1,
            "message {i}: {all}"
        );
    }
    assert!(!all.contains("one more"), "held, not relayed");
    let texts = bench.emu.transcript(&bench.control.token, MASTER);
    assert!(texts.iter().all(|e| !e.text.contains("AAHnotARealToken")), "the token never reached a master");
    assert!(texts.iter().all(|e| !e.text.contains("one more")), "held, not relayed");
    bench.stop().await;
}
