//! The master's side: the approval path from every surface, provisioning with the dry-run
//! provisioner, going live, and everything a non-master must not be able to do.

mod common;

use common::*;
use m2o_bot::domain::agent::{AgentState, JobState};
use m2o_bot::domain::ContactState;
use tg_emulator::BotEvent;

/// Waits for the answer to one callback query in `chat`, skipping other events.
async fn answer_of(bench: &Bench, chat: i64, query: &str) -> Option<String> {
    loop {
        match bench.emu.next_event(&bench.control.token, chat, WAIT).await.expect("an answer to the tap") {
            BotEvent::CallbackAnswered { query_id, text, .. } if query_id == query => return text,
            _ => continue,
        }
    }
}

#[tokio::test]
async fn auto_approved_client_goes_live_and_is_greeted_by_their_own_bot() {
    let bench = Bench::with(&[("M2O_REVIEW_ALL", "false")]).await;
    let anna = bench.user(431_000_001, "en");
    bench.qualified(&anna, "anna@acme.io").await;
    let client_bot = bench.emu.create_bot("acme_helper_bot", "Acme Helper");
    bench.forward_botfather(&anna, &client_bot).await;
    bench.reply(&anna).await;
    let summary = bench.say(&anna, "acme").await;
    let approved = bench.tap(&anna, &summary, "Confirm").await;
    assert!(approved.text.contains("Approved!"), "{}", approved.text);

    // The masters hear it is online; the client's progress message ends "live".
    bench.message_containing(MASTER, "⚡ acme is online").await;
    let asked = bench.message_containing(anna.id, "press Start").await;
    assert!(asked.text.contains("t.me/acme_helper_bot"), "{}", asked.text);
    let link = asked.buttons.iter().flatten().find(|b| b.text == "💬 Open @acme_helper_bot").expect("a link button");
    assert_eq!(link.url.as_deref(), Some("https://t.me/acme_helper_bot"));
    let c = bench.contact(&anna).unwrap();
    assert_eq!(c.state, ContactState::Live);
    let agent = bench.app().store.agent("acme").unwrap().unwrap();
    assert_eq!(agent.state, AgentState::Live);
    assert_eq!(bench.app().store.job(agent.job_id).unwrap().unwrap().state, JobState::Done);
    assert!(agent.api_token_hash.is_some(), "the agent's API token was issued (hash kept)");
    let progress = bench.emu.transcript(&bench.control.token, anna.id);
    let live =
        progress.iter().find(|e| e.text.contains("Your agent acme is live")).expect("the progress view ends live");
    let link = live.buttons.iter().flatten().next().expect("[Open your bot] under it");
    assert_eq!(
        (link.text.as_str(), link.url.as_deref()),
        ("💬 Open @acme_helper_bot", Some("https://t.me/acme_helper_bot"))
    );
    let decision = bench.app().store.decision(c.id).unwrap().unwrap();
    assert_eq!(decision.by, m2o_bot::domain::Actor::System);

    // Tapping Done before pressing Start says so; after pressing Start the greeting comes from the client's bot.
    let q = bench.emu.tap(&bench.control.token, &anna, asked.message_id, &asked.button_data("Done").unwrap());
    assert!(answer_of(&bench, anna.id, &q).await.unwrap().contains("Not yet"));
    bench.emu.press_start(&client_bot.token, anna.id);
    let q = bench.emu.tap(&bench.control.token, &anna, asked.message_id, &asked.button_data("Done").unwrap());
    assert!(answer_of(&bench, anna.id, &q).await.unwrap().contains("said hello"));
    let hello = bench.emu.next_message(&client_bot.token, anna.id, WAIT).await.expect("greeting from the client's bot");
    assert_eq!(hello.text, "⚡ Your agent acme is live. Say hello!");

    // The welcome email went through the mailer.
    let requests = bench.brevo.received_requests().await.unwrap();
    assert!(
        requests.iter().any(|r| String::from_utf8_lossy(&r.body).contains("Your agent acme is live")),
        "welcome email sent"
    );
    bench.stop().await;
}

/// A master's command and the reply that contains `needle` (other messages, e.g. notices, skipped).
async fn ask(bench: &Bench, m: &tg_emulator::TestUser, text: &str, needle: &str) -> tg_emulator::SentMessage {
    bench.emu.send_text(&bench.control.token, m, text);
    bench.message_containing(m.id, needle).await
}

async fn pending_request(bench: &Bench, user: &tg_emulator::TestUser, email: &str, bot: &str, name: &str) -> u64 {
    let summary = bench.at_confirm(user, email, bot, name).await;
    let r = bench.tap(user, &summary, "Confirm").await;
    assert!(r.text.contains("Request sent"), "{}", r.text);
    bench.contact(user).unwrap().id
}

#[tokio::test]
async fn approve_button_edits_every_notice_and_a_second_tap_is_told() {
    let bench = Bench::with(&[("M2O_MASTER_IDS", "900001,900002")]).await;
    let m1 = bench.master(MASTER);
    let m2 = bench.master(900_002);
    let anna = bench.user(431_000_002, "en");
    let id = pending_request(&bench, &anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    let n1 = bench.message_containing(m1.id, "pending review").await;
    let n2 = bench.message_containing(m2.id, "pending review").await;
    assert!(n1.button_data("Approve").is_some() && n1.button_data("Reject").is_some());

    let q = bench.emu.tap(&bench.control.token, &m1, n1.message_id, &n1.button_data("Approve").unwrap());
    assert!(answer_of(&bench, m1.id, &q).await.unwrap().contains("approved"));
    bench
        .eventually("both notices settled", |b| {
            b.current_text(m1.id, n1.message_id).contains("Approved by master 900001")
                && b.current_text(m2.id, n2.message_id).contains("Approved by master 900001")
        })
        .await;
    let settled =
        bench.emu.transcript(&bench.control.token, m2.id).into_iter().find(|e| e.message_id == n2.message_id).unwrap();
    assert!(settled.buttons.iter().flatten().next().is_none(), "the notice lost its buttons");

    // The other master's old button: told who decided, nothing started.
    let q = bench.emu.tap(&bench.control.token, &m2, n2.message_id, &n2.button_data("Approve").unwrap());
    let told = answer_of(&bench, m2.id, &q).await.unwrap();
    assert!(told.contains("was already approved by master 900001 at"), "{told}");
    bench.eventually("live", |b| b.contact(&anna).unwrap().state == ContactState::Live).await;
    assert_eq!(bench.app().store.jobs().unwrap().len(), 1);
    assert_eq!(bench.app().store.decision(id).unwrap().unwrap().by, m2o_bot::domain::Actor::Master(MASTER));
    bench.stop().await;
}

#[tokio::test]
async fn approve_from_button_command_and_http_at_once_starts_exactly_one_job() {
    let bench = Bench::with(&[("M2O_API_TOKEN", "crm-action-secret"), ("M2O_MASTER_IDS", "900001,900002")]).await;
    let m1 = bench.master(MASTER);
    let m2 = bench.master(900_002);
    let anna = bench.user(431_000_003, "en");
    let id = pending_request(&bench, &anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    let notice = bench.message_containing(m1.id, "pending review").await;

    let url = format!("http://{}/spawn/approve/{id}", bench.http_addr.unwrap());
    let http = reqwest::Client::new();
    // All three surfaces at once.
    bench.emu.tap(&bench.control.token, &m1, notice.message_id, &notice.button_data("Approve").unwrap());
    bench.emu.send_text(&bench.control.token, &m2, &format!("/approve {id}"));
    let response = http.post(&url).bearer_auth("crm-action-secret").send().await.unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(status == 200 || (status == 409 && body["error"] == "already_decided"), "{status} {body}");
    let reply = bench.message_containing(m2.id, "approved").await;
    assert!(reply.text.starts_with("✅ Request #") || reply.text.contains("already approved by"), "{}", reply.text);

    bench.eventually("live", |b| b.contact(&anna).unwrap().state == ContactState::Live).await;
    assert_eq!(bench.app().store.jobs().unwrap().len(), 1, "exactly one provisioning job");
    let transitions =
        bench.app().store.audit_log().unwrap().into_iter().filter(|e| e.to == Some(ContactState::Provisioning)).count();
    assert_eq!(transitions, 1);
    // A later HTTP call is told who won.
    let late = http.post(&url).bearer_auth("crm-action-secret").send().await.unwrap();
    assert_eq!(late.status().as_u16(), 409);
    let late: serde_json::Value = late.json().await.unwrap();
    assert!(late["message"].as_str().unwrap().starts_with("already approved by"), "{late}");
    bench.stop().await;
}

#[tokio::test]
async fn the_http_endpoint_wants_the_token_and_is_off_without_one() {
    let bench = Bench::with(&[("M2O_API_TOKEN", "crm-action-secret")]).await;
    let http = reqwest::Client::new();
    let base = format!("http://{}", bench.http_addr.unwrap());
    let r = http.post(format!("{base}/spawn/approve/1")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = http.post(format!("{base}/spawn/approve/1")).bearer_auth("wrong").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = http.post(format!("{base}/spawn/approve/999")).bearer_auth("crm-action-secret").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
    let r = http.post(format!("{base}/spawn/approve/abc")).bearer_auth("crm-action-secret").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    bench.stop().await;
    let without = Bench::new().await;
    let r = http.post(format!("http://{}/spawn/approve/1", without.http_addr.unwrap())).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404, "no token, no endpoint");
}

#[tokio::test]
async fn a_non_master_can_do_nothing_of_the_masters() {
    let bench = Bench::with(&[("M2O_REVIEW_ALL", "true")]).await;
    let anna = bench.user(431_000_004, "en");
    let id = pending_request(&bench, &anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    let mallory = bench.user(431_000_005, "en");
    let stolen = bench.emu.create_bot("mallory_bot", "M");
    let commands = [
        format!("/spawn evil {}", stolen.token),
        format!("/approve {id}"),
        format!("/reject {id} no"),
        "/qualify anna@acme.io".to_string(),
        "/leads".to_string(),
        "/fleet".to_string(),
        "/agent anna-agent".to_string(),
        "/destroy anna-agent".to_string(),
    ];
    for cmd in &commands {
        let r = bench.say(&mallory, cmd).await;
        assert!(r.text.contains("I set you up with your own AI agent"), "{cmd}: {}", r.text);
    }
    // A forged callback for every master button, on a message in mallory's own chat.
    let any = bench.emu.transcript(&bench.control.token, mallory.id).last().unwrap().message_id;
    for data in [format!("ap:{id}"), format!("rj:{id}"), "rt:1".into(), "ds:anna-agent".into(), format!("lq:{id}")] {
        let q = bench.emu.tap(&bench.control.token, &mallory, any, &data);
        assert_eq!(
            answer_of(&bench, mallory.id, &q).await.as_deref(),
            Some("Only the fleet's masters can do that."),
            "{data}"
        );
    }
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::PendingReview);
    assert!(bench.app().store.decision(id).unwrap().is_none());
    assert!(bench.app().store.agents().unwrap().is_empty());
    let audit = bench.app().store.audit_log().unwrap();
    let refused = audit
        .iter()
        .filter(|e| e.event == "master_command_refused" && e.actor == m2o_bot::domain::Actor::User(mallory.id))
        .count();
    let forged = audit.iter().filter(|e| e.event == "forged_callback").count();
    assert_eq!((refused, forged), (8, 5));
    // The token in the refused /spawn was removed from the chat.
    assert!(bench.emu.transcript(&bench.control.token, mallory.id).iter().any(|e| e.deleted));
    bench.stop().await;
}

#[tokio::test]
async fn reject_tells_the_client_and_frees_the_name() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let anna = bench.user(431_000_006, "en");
    let id = pending_request(&bench, &anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.emu.send_text(&bench.control.token, &m, &format!("/reject #{id} not a fit yet"));
    bench.message_containing(m.id, "rejected; the client was told").await;
    let told = bench.message_containing(anna.id, "couldn't approve").await;
    assert!(told.text.contains("Reason: not a fit yet"), "{}", told.text);
    assert_eq!(bench.contact(&anna).unwrap().state, ContactState::Rejected);
    assert!(bench.app().store.name_free("anna-agent", None).unwrap());
    bench.emu.send_text(&bench.control.token, &m, &format!("/approve {id}"));
    bench.message_containing(m.id, "already rejected by master 900001").await;
    bench.stop().await;
}

#[tokio::test]
async fn qualify_moves_a_contact_track_lead_on() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    let bob = bench.user(431_000_007, "en");
    bench.on_contact_track(&bob, "bob@gmail.com").await;
    assert_eq!(bench.contact(&bob).unwrap().state, ContactState::ContactTrack);

    let leads = ask(&bench, &m, "/leads contact_track", "Leads").await;
    assert!(
        leads.text.contains("bob@gmail.com — score 50") && leads.button_data("Qualify").is_some(),
        "{}",
        leads.text
    );
    ask(&bench, &m, "/qualify BOB@gmail.com", "bob@gmail.com is qualified").await;
    let told = bench.message_containing(bob.id, "Good news").await;
    assert!(told.text.contains("@BotFather"), "{}", told.text);
    assert_eq!(bench.contact(&bob).unwrap().state, ContactState::Qualified);
    // Bob continues at the bot step.
    let bot = bench.emu.create_bot("bob_helper_bot", "Bob");
    let r = bench.say(&bob, &bot.token).await;
    assert!(r.text.contains("@bob_helper_bot is connected"), "{}", r.text);
    ask(&bench, &m, "/qualify bob@gmail.com", "not on the contact track").await;
    bench.stop().await;
}

#[tokio::test]
async fn spawn_provisions_with_the_dry_run_and_destroy_asks_first() {
    let bench = Bench::new().await;
    let m = bench.master(MASTER);
    // The master commands are shown in the masters' chats only.
    let scoped = bench
        .emu
        .calls()
        .into_iter()
        .filter(|c| c.method == "setMyCommands")
        .map(|c| c.params["scope"].clone())
        .collect::<Vec<_>>();
    assert!(scoped.iter().any(|s| s["type"] == "chat" && s["chat_id"] == MASTER), "{scoped:?}");
    assert!(scoped.iter().any(|s| s["type"] == "all_private_chats"), "{scoped:?}");
    let agent_bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    let id = bench.emu.send_text(&bench.control.token, &m, &format!("/spawn Peter {}", agent_bot.token));
    let r = bench.message_containing(m.id, "Spawning peter").await;
    assert!(r.text.contains("@peter_agent_bot"), "{}", r.text);
    assert!(
        bench.emu.transcript(&bench.control.token, m.id).iter().any(|e| e.message_id == id && e.deleted),
        "the token message is deleted"
    );
    bench.message_containing(m.id, "⚡ peter is online").await;
    let progress = bench
        .emu
        .transcript(&bench.control.token, m.id)
        .into_iter()
        .find(|e| e.text.contains("DRY RUN"))
        .expect("progress view");
    assert!(progress.text.starts_with("⚡ peter is online (dry-run)"), "{}", progress.text);
    for n in 1..=7 {
        assert!(progress.text.contains(&format!("✅ {n}.")), "step {n} done: {}", progress.text);
    }
    ask(&bench, &m, "/fleet", "Fleet: peter 🟢").await;
    let view = ask(&bench, &m, "/agent peter", "Owner:").await;
    assert!(view.text.contains("Owner: master 900001") && view.text.contains("@peter_agent_bot"), "{}", view.text);

    // The same name or bot again is refused.
    let other = bench.emu.create_bot("other_bot", "O");
    ask(&bench, &m, &format!("/spawn peter {}", other.token), "The name peter is taken").await;
    ask(&bench, &m, &format!("/spawn paula {}", agent_bot.token), "already registered").await;
    ask(&bench, &m, "/spawn master 7000000001:AAHnotARealTokenAtAll_0123456789abc", "is reserved").await;
    ask(&bench, &m, "/spawn paula 7000000001:AAHnotARealTokenAtAll_0123456789abc", "doesn't work").await;
    ask(&bench, &m, "/spawn paula", "Usage").await;

    let confirm = ask(&bench, &m, "/destroy peter", "cannot be undone").await;
    assert_eq!(bench.app().store.agent("peter").unwrap().unwrap().state, AgentState::Live, "asking changes nothing");
    let q = bench.emu.tap(&bench.control.token, &m, confirm.message_id, &confirm.button_data("Destroy").unwrap());
    assert!(answer_of(&bench, m.id, &q).await.unwrap().contains("destroyed"));
    assert_eq!(bench.app().store.agent("peter").unwrap().unwrap().state, AgentState::Destroyed);
    ask(&bench, &m, "/fleet", "no agents").await;
    bench.stop().await;
}
