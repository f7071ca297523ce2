//! `/forget` (issue 10, item 11): a client's personal data is erased after a confirmation; the
//! audit keeps only what it needs, the email as a keyed hash.

mod common;

use common::*;

#[tokio::test]
async fn forget_asks_then_erases_and_a_waiting_request_must_be_withdrawn_first() {
    let bench = Bench::new().await;
    bench.master(MASTER);
    let bob = bench.user(491_000_001, "en");
    bench.on_contact_track(&bob, "bob@gmail.com").await;
    bench.say(&bob, "my phone is +48 600 000 000").await;
    let id = bench.contact(&bob).unwrap().id;

    let ask = bench.say(&bob, "/forget").await;
    assert!(ask.text.starts_with("Erase your personal data?"), "{}", ask.text);
    let q = bench.emu.tap(&bench.control.token, &bob, ask.message_id, &ask.button_data("Keep it").unwrap());
    bench.toast(&q).await;
    assert!(bench.contact(&bob).is_some(), "kept");

    let ask = bench.say(&bob, "/forget").await;
    let q = bench.emu.tap(&bench.control.token, &bob, ask.message_id, &ask.button_data("Erase my data").unwrap());
    bench.toast(&q).await;
    assert!(bench.current_text(bob.id, ask.message_id).ends_with("👉 🗑 Done: your personal data is erased."));
    let store = &bench.app().store;
    assert!(bench.contact(&bob).is_none());
    assert!(store.contact(id).unwrap().is_none() && store.contact_by_email("bob@gmail.com").unwrap().is_none());
    assert!(store.line(id).unwrap().is_empty(), "their messages are gone");
    for r in store.dump() {
        let (tree, k, v) = r.unwrap();
        let entry = format!("{}{}", String::from_utf8_lossy(&k), String::from_utf8_lossy(&v));
        for secret in ["bob@gmail.com", "+48 600 000 000"] {
            assert!(!entry.contains(secret), "{secret} is still in {tree}: {entry}");
        }
    }
    assert!(store.audit_log().unwrap().iter().any(|e| e.event == "forgotten" && e.contact_id == Some(id)));
    let again = bench.say(&bob, "/forget").await;
    assert_eq!(again.text, "We don't have any personal data of yours.");
    let status = bench.say(&bob, "/status").await;
    assert!(status.text.contains("haven't started"), "{}", status.text);

    // A waiting request holds a name and a bot: withdraw first.
    let anna = bench.user(491_000_002, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    let r = bench.say(&anna, "/forget").await;
    assert!(r.text.contains("withdraw the request first with /cancel"), "{}", r.text);
    assert!(bench.contact(&anna).is_some());
    bench.stop().await;
}
