//! Plain words, pick-lists and cards (issue 10, items 7 and 8): commands without their argument
//! list what they could act on; `/agent` shows its actions, and the destructive ones ask; every
//! notice about a person says who they are; `/qualify` and `/lead` take an id or an email.

mod common;

use common::*;

#[tokio::test]
async fn agent_card_with_its_actions_and_token_rotation_asks_first() {
    let bench = Bench::with(&[("M2O_REVIEW_ALL", "false")]).await;
    let m = bench.master(MASTER);
    // A client's agent, auto-approved: the masters' progress view says whose it is.
    let anna = bench.user(481_000_001, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    let progress = bench.message_containing(MASTER, "Setting up anna-agent").await;
    assert!(progress.text.contains("👤 #") && progress.text.contains("anna@acme.io"), "{}", progress.text);
    assert!(progress.text.contains("approved by auto-approval"), "{}", progress.text);
    bench.message_containing(MASTER, "anna-agent is online").await;

    bench.emu.send_text(&bench.control.token, &m, "/agent");
    let pick = bench.message_containing(MASTER, "Which agent?").await;
    assert_eq!(pick.all_button_labels(), vec!["anna-agent"]);
    let q = bench.emu.tap(&bench.control.token, &m, pick.message_id, &pick.button_data("anna-agent").unwrap());
    let card = bench.message_containing(MASTER, "Owner:").await;
    bench.toast(&q).await;
    assert_eq!(card.all_button_labels(), vec!["🔑 New token", "🗑 Destroy", "👤 Owner"]);

    let before = bench.app().store.agent("anna-agent").unwrap().unwrap().api_token_hash;
    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("New token").unwrap());
    let ask = bench.message_containing(MASTER, "A new API token for anna-agent?").await;
    assert!(ask.text.contains("401"), "{}", ask.text);
    assert_eq!(bench.toast(&q).await, "Confirm below.");
    assert_eq!(bench.app().store.agent("anna-agent").unwrap().unwrap().api_token_hash, before, "nothing yet");
    let q = bench.emu.tap(&bench.control.token, &m, ask.message_id, &ask.button_data("Rotate now").unwrap());
    bench.message_containing(MASTER, "New API token for anna-agent").await;
    bench.toast(&q).await;
    assert_ne!(bench.app().store.agent("anna-agent").unwrap().unwrap().api_token_hash, before);

    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Owner").unwrap());
    let lead = bench.message_containing(MASTER, "Since ").await;
    bench.toast(&q).await;
    assert!(lead.text.contains("anna@acme.io") && lead.text.contains("@anna_helper_bot"), "{}", lead.text);

    let q = bench.emu.tap(&bench.control.token, &m, card.message_id, &card.button_data("Destroy").unwrap());
    bench.message_containing(MASTER, "cannot be undone").await;
    bench.toast(&q).await;
    assert!(
        bench.app().store.agent("anna-agent").unwrap().unwrap().state != m2o_bot::domain::agent::AgentState::Destroyed
    );

    // /token with a name asks too.
    bench.emu.send_text(&bench.control.token, &m, "/token anna-agent");
    bench.message_containing(MASTER, "A new API token for anna-agent?").await;
    bench.emu.send_text(&bench.control.token, &m, "/token nobody");
    assert_eq!(bench.message_containing(MASTER, "nobody").await.text, "There is no agent called nobody.");
    bench.stop().await;
}

#[tokio::test]
async fn leads_by_id_or_email_a_new_lead_notice_and_plain_refusals() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let bob = bench.user(481_000_002, "en");
    let id = bench.on_contact_track(&bob, "bob@gmail.com").await;
    let notice = bench.message_containing(MASTER, "New lead on the contact track").await;
    assert!(
        notice.text.contains(&format!("#{id} bob@gmail.com")) && notice.text.contains("score 50 = 50 base"),
        "{}",
        notice.text
    );
    assert_eq!(notice.all_button_labels(), vec![format!("⬆️ Qualify #{id}"), "↩️ Reply".to_string()]);

    bench.say(&bob, "Still keen!").await;
    bench.emu.send_text(&bench.control.token, &m, "/lead bob@gmail.com");
    let card = bench.message_containing(MASTER, "Since ").await;
    assert!(card.text.contains("› Still keen!"), "{}", card.text);
    bench.emu.send_text(&bench.control.token, &m, "/lead ghost@nowhere.io");
    let r = bench.message_containing(MASTER, "ghost").await;
    assert!(r.text.starts_with("I know nobody as ghost@nowhere.io"), "{}", r.text);

    bench.emu.send_text(&bench.control.token, &m, "/qualify");
    let pick = bench.message_containing(MASTER, "Which contact-track lead").await;
    assert_eq!(pick.all_button_labels(), vec![format!("⬆️ Qualify #{id} · bob@gmail.com")]);
    bench.emu.send_text(&bench.control.token, &m, &format!("/qualify {id}"));
    bench.message_containing(MASTER, "bob@gmail.com is qualified").await;
    bench.emu.send_text(&bench.control.token, &m, &format!("/qualify #{id}"));
    let r = bench.message_containing(MASTER, "not on the contact track").await;
    assert_eq!(r.text, "bob@gmail.com is not on the contact track: they are qualified, connecting their bot.");

    // A reserved name, in words.
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    bench.emu.send_text(&bench.control.token, &m, &format!("/spawn master {}", bot.token));
    let r = bench.message_containing(MASTER, "reserved").await;
    assert!(r.text.starts_with("\"master\" is reserved"), "{}", r.text);
    bench.stop().await;
}

#[tokio::test]
async fn brief_on_a_quiet_day_shows_the_fleet_and_says_the_morning_one_is_skipped() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    bench.emu.send_text(&bench.control.token, &m, "/brief");
    let r = bench.message_containing(MASTER, "skipped").await;
    assert!(
        r.text.starts_with("Nothing needs you and nothing is blocked, so the 07:00 brief will be skipped."),
        "{}",
        r.text
    );
    assert!(r.text.contains("no agents yet"), "the fleet, whatever it is: {}", r.text);
    bench.stop().await;
}
