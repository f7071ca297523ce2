//! `managed_bot` updates (issue 11, item 1): teloxide 0.17 cannot read them and its Dispatcher
//! would drop them as "Cannot parse an update", and its own polling never asked for them. Our
//! listener asks for them (`allowed_updates`), reads them into our own types and hands them on:
//! one nobody asked for is recorded in the audit log once, and the bot goes on answering.

mod common;

use common::*;
use m2o_bot::domain::ContactState;

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

/// Issue 11, item 3: with Bot Management Mode on, the bot step offers [🤖 Create my bot]
/// (`request_managed_bot`); the `managed_bot` update that follows connects the bot (its token read
/// with `getManagedBotToken`, checked, sealed), restricts it to its owner, and the conversation
/// goes on to the name and a confirmed request. BotFather's way stays offered below.
#[tokio::test]
async fn one_tap_creation_connects_the_bot_and_only_its_owner_may_talk_to_it() {
    let mut bench = Bench::new().await;
    bench.emu.enable_bot_management(&bench.control.token);
    bench.restart().await; // getMe is read at start
    let anna = bench.user(511_000_002, "en");
    bench.qualified(&anna, "anna@acme.io").await;
    let offer = bench
        .emu
        .calls()
        .into_iter()
        .filter(|c| c.method == "sendMessage")
        .find(|c| c.params["reply_markup"]["keyboard"].is_array())
        .expect("a message with the one-tap button");
    let button = &offer.params["reply_markup"]["keyboard"][0][0];
    assert_eq!(button["text"], "🤖 Create my bot");
    assert_eq!(button["request_managed_bot"]["suggested_username"], "anna_agent_bot");
    // BotFather's way is still explained, below it.
    bench.message_containing(anna.id, "/newbot").await;

    let created = bench.emu.create_managed_bot(&bench.control.token, &anna, "anna_agent_bot", "Anna's agent");
    let connected = bench.message_containing(anna.id, "is connected").await;
    assert_eq!(connected.text, "✅ Your bot @anna_agent_bot is connected.");
    let ask_name = bench.message_containing(anna.id, "called").await;
    let c = bench.contact(&anna).unwrap();
    assert_eq!(c.state, ContactState::TokenValidated);
    assert_eq!(c.bot.as_ref().map(|b| b.id), Some(created.id));
    let settings: serde_json::Value = reqwest::Client::new()
        .post(format!("{}bot{}/getManagedBotAccessSettings", bench.emu.api_url(), bench.control.token))
        .json(&serde_json::json!({ "user_id": created.id }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(settings["result"]["is_access_restricted"], true, "only Anna may talk to her agent");

    let summary = bench.tap(&anna, &ask_name, "Use").await;
    let done = bench.tap(&anna, &summary, "Confirm").await;
    assert!(done.text.contains("Request sent"), "{}", done.text);
    let logs_free_of_token =
        bench.emu.transcript(&bench.control.token, anna.id).iter().all(|e| !e.text.contains(&created.token));
    assert!(logs_free_of_token, "the token never shows in the chat");
    bench.stop().await;
}

/// With Bot Management Mode on, BotFather's way still works: the forward connects the bot and
/// takes the [🤖 Create my bot] key down. A lead qualified later by a master gets the same dialog
/// as a link button (`t.me/newbot/…`) under their "good news", since a queued message carries no
/// reply keyboard; the bot they create there connects like a tapped one.
#[tokio::test]
async fn with_one_tap_on_the_botfather_way_still_works_and_a_qualified_lead_gets_the_link() {
    let mut bench = Bench::new().await;
    bench.emu.enable_bot_management(&bench.control.token);
    bench.restart().await;
    let anna = bench.user(511_000_004, "en");
    bench.qualified(&anna, "anna@acme.io").await;
    let bot = bench.emu.create_bot("anna_helper_bot", "Anna");
    bench.forward_botfather(&anna, &bot).await;
    let connected = bench.message_containing(anna.id, "is connected").await;
    assert!(connected.text.starts_with("✅ Your bot @anna_helper_bot is connected."), "{}", connected.text);
    let took_down = bench.emu.calls().into_iter().any(|c| {
        c.method == "sendMessage"
            && c.params["text"] == connected.text
            && c.params["reply_markup"]["remove_keyboard"] == true
    });
    assert!(took_down, "the one-tap key is taken down with the answer");
    bench.message_containing(anna.id, "called").await;
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::TokenValidated);

    // A contact-track lead, qualified by a master.
    let m = bench.master(MASTER);
    let bob = bench.user(511_000_005, "en");
    let id = bench.on_contact_track(&bob, "bob@gmail.com").await;
    bench.emu.send_text(&bench.control.token, &m, &format!("/qualify {id}"));
    let news = bench.message_containing(bob.id, "Good news").await;
    let link = news.buttons.iter().flatten().find_map(|b| b.url.clone()).expect("a link button");
    assert_eq!(link, format!("https://t.me/newbot/{}/bob_agent_bot?name=bob%27s+agent", bench.control.username));
    let created = bench.emu.create_managed_bot(&bench.control.token, &bob, "bob_agent_bot", "bob's agent");
    bench.message_containing(bob.id, "is connected").await;
    assert_eq!(bench.contact(&bob).unwrap().bot.map(|b| b.id), Some(created.id));
    bench.stop().await;
}

/// Issue 11, item 4: the weekly health check finds a one-tap bot's token revoked; we manage that
/// bot, so `replaceManagedBotToken` heals it, the agent is redeployed with the new token, and the
/// owner is only told — no "send me a new token" as for a BotFather bot.
#[tokio::test]
async fn a_managed_bots_revoked_token_heals_without_the_client() {
    let mut bench = Bench::with(&[("M2O_REVIEW_ALL", "false")]).await;
    bench.emu.enable_bot_management(&bench.control.token);
    bench.restart().await;
    let anna = bench.user(511_000_003, "en");
    bench.qualified(&anna, "anna@acme.io").await;
    let created = bench.emu.create_managed_bot(&bench.control.token, &anna, "anna_agent_bot", "Anna's agent");
    let ask_name = bench.message_containing(anna.id, "called").await;
    let summary = bench.tap(&anna, &ask_name, "Use").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.eventually("live", |b| b.contact(&anna).unwrap().state == ContactState::Live).await;
    let name = bench.contact(&anna).unwrap().agent_name.unwrap();
    let sealed_before = bench.app().store.agent(&name).unwrap().unwrap().token_sealed;

    bench.emu.reissue(&created.token); // the client revoked it in @BotFather
    let revoked = m2o_bot::fleet::health::check_fleet(bench.app()).await.unwrap();
    assert!(revoked.is_empty(), "healed, not reported revoked: {revoked:?}");
    let told = bench.message_containing(anna.id, "stopped working").await;
    assert!(told.text.contains("Nothing for you to do"), "{}", told.text);
    bench
        .eventually("redeployed with the new token", |b| {
            let a = b.app().store.agent(&name).unwrap().unwrap();
            a.state == m2o_bot::domain::agent::AgentState::Live && a.token_sealed != sealed_before
        })
        .await;
    assert_ne!(bench.contact(&anna).unwrap().state, ContactState::Degraded);
    let asked =
        bench.emu.transcript(&bench.control.token, anna.id).iter().any(|e| e.text.contains("forward the new token"));
    assert!(!asked, "the client was not asked for a token");

    // Telegram reports the token changed again (the owner did it in @BotFather): redeployed.
    let sealed = bench.app().store.agent(&name).unwrap().unwrap().token_sealed;
    let current = bench.app().secrets.open(&sealed).unwrap();
    bench.emu.reissue(&current);
    bench.emu.managed_bot_update(&bench.control.token, &anna, &created);
    bench
        .eventually("the agent follows the new token", |b| {
            let a = b.app().store.agent(&name).unwrap().unwrap();
            a.token_sealed != sealed && a.state == m2o_bot::domain::agent::AgentState::Live
        })
        .await;
    // Its owner changed: the masters are told; the agent keeps running.
    let bob = bench.user(511_000_004, "en");
    bench.emu.managed_bot_update(&bench.control.token, &bob, &created);
    let note = bench.message_containing(MASTER, "changed in Telegram").await;
    assert!(note.text.contains("@anna_agent_bot") && note.text.contains("511000004"), "{}", note.text);
    bench.stop().await;
}
