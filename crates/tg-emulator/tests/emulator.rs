//! The Telegram Bot API emulator, driven the way the project's tests use it:
//! by the unmodified teloxide client (requests, errors, the Dispatcher's
//! polling loop) and by raw HTTP where the wire shape itself is the point
//! (long polling, 401/403/429 bodies and headers, parameter encodings).

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use teloxide::{
    prelude::*,
    types::{
        BotCommand, CallbackQueryId, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, MessageOrigin,
        UpdateKind,
    },
    ApiError, RequestError,
};
use tg_emulator::{botfather_user, BotEvent, BotHandle, Emulator, Fault, TestUser, BOTFATHER_ID};

const WAIT: Duration = Duration::from_secs(5);

/// The bodies of `shared/fixtures/getme-401.json` and `error-403-not-started.json`.
fn fixture_401() -> Value {
    json!({"ok": false, "error_code": 401, "description": "Unauthorized"})
}

fn fixture_403() -> Value {
    json!({"ok": false, "error_code": 403, "description": "Forbidden: bot can't initiate conversation with a user"})
}

struct World {
    emu: Emulator,
    bot: BotHandle,
    anna: TestUser,
    client: Bot,
}

/// An emulator with one bot and one user who has pressed Start.
async fn world() -> World {
    let emu = Emulator::start().await.expect("emulator starts");
    let bot = emu.create_bot("acme_helper_bot", "Acme Helper");
    let anna = emu.add_user(421000001, "Anna", Some("anna_k"), Some("pl"));
    emu.press_start(&bot.token, anna.id);
    let client = teloxide_bot(&emu, &bot.token);
    World { emu, bot, anna, client }
}

fn teloxide_bot(emu: &Emulator, token: &str) -> Bot {
    Bot::new(token).set_api_url(emu.api_url())
}

fn keyboard() -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(vec![vec![
        InlineKeyboardButton::callback("✅ Confirm", "c:confirm:1"),
        InlineKeyboardButton::callback("✖ Cancel", "c:cancel:1"),
    ]])
}

/// POSTs a JSON body; returns status, headers and the JSON answer.
async fn raw(emu: &Emulator, token: &str, method: &str, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    let url = format!("{}bot{token}/{method}", emu.api_url());
    let response = reqwest::Client::new().post(url).json(&body).send().await.expect("request");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.json().await.expect("JSON answer"))
}

#[tokio::test]
async fn get_me_gives_teloxide_every_field_it_needs() {
    let w = world().await;
    let me = w.client.get_me().await.expect("teloxide accepts getMe");
    assert_eq!(me.id.0 as i64, w.bot.id);
    assert_eq!(me.username(), "acme_helper_bot");
    assert!(me.is_bot && me.can_join_groups && !me.has_main_web_app);

    // Every field of fixtures/getme-ok.json is there.
    let (status, _, body) = raw(&w.emu, &w.bot.token, "getMe", json!({})).await;
    assert_eq!(status, 200);
    for field in [
        "id",
        "is_bot",
        "first_name",
        "username",
        "can_join_groups",
        "can_read_all_group_messages",
        "supports_inline_queries",
        "can_connect_to_business",
        "has_main_web_app",
    ] {
        assert!(body["result"].get(field).is_some(), "getMe lacks {field}");
    }
    assert!(regex::Regex::new(r"^\d+:[A-Za-z0-9_-]{35}$").unwrap().is_match(&w.bot.token));

    // teloxide sends "GetMe"; the log has the spec's name.
    assert_eq!(w.emu.call_count("getMe"), 2);
    assert!(w.emu.calls().iter().all(|c| c.method == "getMe" && c.bot_id == Some(w.bot.id)));

    w.client
        .set_my_commands(vec![BotCommand::new("start", "Begin"), BotCommand::new("help", "Help")])
        .await
        .expect("setMyCommands");
    let commands = w.client.get_my_commands().await.expect("getMyCommands");
    assert_eq!(commands.iter().map(|c| c.command.as_str()).collect::<Vec<_>>(), ["start", "help"]);
    w.client.delete_webhook().await.expect("deleteWebhook");
}

#[tokio::test]
async fn teloxide_sends_edits_and_deletes_and_the_transcript_shows_it() {
    let w = world().await;
    let chat = ChatId(w.anna.id);
    let hello = w.emu.send_text(&w.bot.token, &w.anna, "hi");

    let sent = w.client.send_message(chat, "Confirm your agent?").reply_markup(keyboard()).await.expect("send");
    assert_eq!(sent.chat.id, chat);
    assert_eq!(sent.text(), Some("Confirm your agent?"));
    assert_eq!(sent.from.as_ref().map(|u| u.id.0 as i64), Some(w.bot.id));
    assert!(sent.reply_markup().is_some());
    assert!(sent.id.0 > hello, "message ids grow per chat across both sides");

    let Some(BotEvent::Message(event)) = w.emu.next_event(&w.bot.token, w.anna.id, WAIT).await else {
        panic!("no message event");
    };
    assert_eq!((event.message_id, event.kind.as_str()), (sent.id.0, "text"));
    assert_eq!(event.button_data("Confirm").as_deref(), Some("c:confirm:1"));
    assert_eq!(event.all_button_labels(), ["✅ Confirm", "✖ Cancel"]);

    let edited = w.client.edit_message_text(chat, sent.id, "Confirmed").await.expect("edit");
    assert_eq!(edited.text(), Some("Confirmed"));
    match w.emu.next_event(&w.bot.token, w.anna.id, WAIT).await {
        Some(BotEvent::Edited(m)) => assert!(m.text == "Confirmed" && m.buttons.is_empty()),
        other => panic!("expected an edit, got {other:?}"),
    }
    let again = w.client.edit_message_text(chat, sent.id, "Confirmed").await;
    assert!(matches!(again, Err(RequestError::Api(ApiError::MessageNotModified))), "{again:?}");

    w.client.delete_message(chat, sent.id).await.expect("delete");
    assert_eq!(
        w.emu.next_event(&w.bot.token, w.anna.id, WAIT).await,
        Some(BotEvent::Deleted { message_id: sent.id.0 })
    );
    let twice = w.client.delete_message(chat, sent.id).await;
    assert!(matches!(twice, Err(RequestError::Api(ApiError::MessageToDeleteNotFound))), "{twice:?}");
    let gone = w.client.edit_message_text(chat, sent.id, "x").await;
    assert!(matches!(gone, Err(RequestError::Api(ApiError::MessageToEditNotFound))), "{gone:?}");
    let unknown = w.client.edit_message_text(chat, MessageId(9999), "x").await;
    assert!(matches!(unknown, Err(RequestError::Api(ApiError::MessageToEditNotFound))));

    let transcript = w.emu.transcript(&w.bot.token, w.anna.id);
    assert_eq!(transcript.len(), 2);
    assert!(!transcript[0].from_bot && transcript[0].text == "hi" && !transcript[0].deleted);
    assert!(transcript[1].from_bot && transcript[1].text == "Confirmed" && transcript[1].deleted);
    assert!(w.emu.drain_events(&w.bot.token, w.anna.id).is_empty());
}

#[tokio::test]
async fn taps_reach_the_bot_and_answers_come_back_as_events() {
    let w = world().await;
    let chat = ChatId(w.anna.id);
    let sent = w.client.send_message(chat, "Pick").reply_markup(keyboard()).await.expect("send");
    w.client.edit_message_text(chat, sent.id, "Pick one").reply_markup(keyboard()).await.expect("edit");

    let query_id = w.emu.tap(&w.bot.token, &w.anna, sent.id.0, "c:confirm:1");
    let updates = w.client.get_updates().await.expect("getUpdates");
    let [update] = updates.as_slice() else { panic!("one update expected: {updates:?}") };
    let UpdateKind::CallbackQuery(query) = &update.kind else { panic!("not a callback: {update:?}") };
    assert_eq!(query.id.0, query_id);
    assert_eq!(query.data.as_deref(), Some("c:confirm:1"));
    assert_eq!(query.from.language_code.as_deref(), Some("pl"));
    let message = query.regular_message().expect("the tapped message is accessible");
    assert_eq!((message.id, message.text()), (sent.id, Some("Pick one")), "tap carries the edited message");

    w.client.answer_callback_query(CallbackQueryId(query_id.clone())).text("Done").await.expect("answerCallbackQuery");
    let event = w.emu.next_message(&w.bot.token, w.anna.id, Duration::from_millis(200)).await;
    assert!(event.is_some(), "first event is the sent message");
    let answered = w.emu.drain_events(&w.bot.token, w.anna.id);
    assert!(matches!(answered.first(), Some(BotEvent::Edited(_))));
    assert_eq!(
        answered.last(),
        Some(&BotEvent::CallbackAnswered { query_id, text: Some("Done".into()), show_alert: false })
    );

    let bogus = w.client.answer_callback_query(CallbackQueryId("nope".into())).await;
    assert!(matches!(bogus, Err(RequestError::Api(_))), "{bogus:?}");
}

#[tokio::test]
async fn user_side_updates_have_real_shapes() {
    let w = world().await;
    let start = w.emu.send_text(&w.bot.token, &w.anna, "/start ref42");
    let token_text = "Use this token to access the HTTP API:\n1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx";
    w.emu.forward_text(&w.bot.token, &w.anna, &botfather_user(), token_text);
    let sticker = json!({"sticker": {"file_id": "CAAC", "file_unique_id": "AgAD", "type": "regular",
        "width": 512, "height": 512, "is_animated": false, "is_video": false, "emoji": "👍"}});
    w.emu.send_message_json(&w.bot.token, &w.anna, sticker);

    let updates = w.client.get_updates().await.expect("teloxide parses every update");
    assert_eq!(updates.len(), 3);
    assert!(updates.windows(2).all(|p| p[0].id.0 < p[1].id.0), "update ids grow");
    let messages: Vec<&Message> = updates
        .iter()
        .map(|u| match &u.kind {
            UpdateKind::Message(m) => m,
            other => panic!("not a message: {other:?}"),
        })
        .collect();

    assert_eq!(messages[0].id.0, start);
    assert_eq!(messages[0].text(), Some("/start ref42"));
    let entity = &messages[0].entities().expect("bot_command entity")[0];
    assert_eq!((entity.offset, entity.length), (0, 6));
    assert_eq!(messages[0].from.as_ref().and_then(|u| u.language_code.as_deref()), Some("pl"));

    match messages[1].forward_origin() {
        Some(MessageOrigin::User { sender_user, .. }) => {
            assert_eq!(sender_user.id.0 as i64, BOTFATHER_ID)
        }
        other => panic!("forward_origin: {other:?}"),
    }
    assert!(messages[2].sticker().is_some());

    let transcript = w.emu.transcript(&w.bot.token, w.anna.id);
    let texts: Vec<&str> = transcript.iter().map(|e| e.text.as_str()).collect();
    assert_eq!(texts, ["/start ref42", token_text, "[sticker]"]);
}

#[tokio::test]
async fn long_poll_wakes_on_update_and_offset_confirms() {
    let w = world().await;
    let emu = w.emu.clone();
    let token = w.bot.token.clone();
    let started = Instant::now();
    let poll = tokio::spawn(async move { raw(&emu, &token, "getUpdates", json!({"timeout": 10})).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    w.emu.send_text(&w.bot.token, &w.anna, "ping");

    let (status, _, body) = poll.await.expect("poll task");
    assert_eq!(status, 200);
    assert!(started.elapsed() < Duration::from_secs(3), "returned as soon as the update came");
    let result = body["result"].as_array().expect("array");
    assert_eq!(result.len(), 1);
    assert_eq!(result[0]["message"]["text"], "ping");
    let id = result[0]["update_id"].as_i64().expect("update_id");

    // Not confirmed yet: a poll without offset sees it again.
    let (_, _, again) = raw(&w.emu, &w.bot.token, "getUpdates", json!({})).await;
    assert_eq!(again["result"][0]["update_id"], id);
    // offset = id + 1 confirms it; it never comes back.
    let (_, _, after) = raw(&w.emu, &w.bot.token, "getUpdates", json!({"offset": id + 1})).await;
    assert_eq!(after["result"], json!([]));
    let (_, _, later) = raw(&w.emu, &w.bot.token, "getUpdates", json!({"timeout": 0})).await;
    assert_eq!(later["result"], json!([]));

    // An empty long poll waits for its timeout.
    let t = Instant::now();
    let (_, _, empty) = raw(&w.emu, &w.bot.token, "getUpdates", json!({"timeout": 1})).await;
    assert_eq!(empty["result"], json!([]));
    assert!(t.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn a_second_poller_makes_the_first_answer_409() {
    let w = world().await;
    let first_bot = w.client.clone();
    let first = tokio::spawn(async move { first_bot.get_updates().timeout(10).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let emu = w.emu.clone();
    let token = w.bot.token.clone();
    let second = tokio::spawn(async move { raw(&emu, &token, "getUpdates", json!({"timeout": 10})).await });

    let first = tokio::time::timeout(WAIT, first).await.expect("first poll ends").expect("task");
    assert!(matches!(first, Err(RequestError::Api(ApiError::TerminatedByOtherGetUpdates))), "{first:?}");
    w.emu.send_text(&w.bot.token, &w.anna, "for the second");
    let (status, _, body) = second.await.expect("task");
    assert_eq!(status, 200);
    assert_eq!(body["result"][0]["message"]["text"], "for the second");

    let conflict = w.emu.calls().into_iter().find(|c| c.status == 409).expect("409 recorded");
    assert_eq!(conflict.method, "getUpdates");
}

#[tokio::test]
async fn revoked_and_unknown_tokens_get_401() {
    let w = world().await;
    let other = w.emu.create_bot("other_bot", "Other");
    w.emu.revoke(&w.bot.token);

    let (status, _, body) = raw(&w.emu, &w.bot.token, "getMe", json!({})).await;
    assert_eq!((status, body), (401, fixture_401()));
    let (status, _, body) = raw(&w.emu, "123:not-a-real-token", "sendMessage", json!({})).await;
    assert_eq!((status, body), (401, fixture_401()));
    let err = w.client.get_me().await;
    assert!(matches!(err, Err(RequestError::Api(ApiError::InvalidToken))), "{err:?}");
    assert_eq!(w.emu.calls().last().map(|c| (c.bot_id, c.status)), Some((None, 401)));

    teloxide_bot(&w.emu, &other.token).get_me().await.expect("other bot unaffected");
}

#[tokio::test]
async fn sending_to_a_user_who_never_started_the_bot_gets_403() {
    let w = world().await;
    let bob = w.emu.add_user(77, "Bob", None, Some("en"));
    let (status, _, body) = raw(&w.emu, &w.bot.token, "sendMessage", json!({"chat_id": bob.id, "text": "hi"})).await;
    assert_eq!((status, body), (403, fixture_403()));
    // The fixture says "Forbidden: ...", which teloxide 0.17 does not map to
    // CantInitiateConversation (it expects "Unauthorized: ..."): it is Unknown.
    let err = w.client.send_message(ChatId(bob.id), "hi").await;
    assert!(matches!(&err, Err(RequestError::Api(ApiError::Unknown(d))) if d.starts_with("Forbidden")), "{err:?}");

    // Started in another bot does not count.
    let other = w.emu.create_bot("other_bot", "Other");
    w.emu.send_text(&other.token, &bob, "/start");
    assert!(w.client.send_message(ChatId(bob.id), "hi").await.is_err());
    // Writing to this bot is pressing Start.
    w.emu.send_text(&w.bot.token, &bob, "/start");
    w.client.send_message(ChatId(bob.id), "hi").await.expect("now allowed");

    let (status, _, body) = raw(&w.emu, &w.bot.token, "sendMessage", json!({"chat_id": 5, "text": "hi"})).await;
    assert_eq!((status, body["description"].as_str()), (400, Some("Bad Request: chat not found")));
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_when_on() {
    let w = world().await;
    let chat = ChatId(w.anna.id);
    for i in 0..10 {
        w.client.send_message(chat, format!("free {i}")).await.expect("no limits by default");
    }

    w.emu.set_rate_limits(true);
    for i in 0..3 {
        w.client.send_message(chat, format!("burst {i}")).await.expect("burst of 3 allowed");
    }
    let (status, headers, body) =
        raw(&w.emu, &w.bot.token, "sendMessage", json!({"chat_id": w.anna.id, "text": "4th"})).await;
    assert_eq!(status, 429);
    let retry = body["parameters"]["retry_after"].as_u64().expect("retry_after");
    assert!(retry >= 1);
    assert_eq!(body["description"], format!("Too Many Requests: retry after {retry}"));
    assert_eq!(headers.get("retry-after").and_then(|v| v.to_str().ok()), Some(retry.to_string().as_str()));

    let err = w.client.send_message(chat, "5th").await;
    assert!(matches!(err, Err(RequestError::RetryAfter(_))), "{err:?}");
    assert_eq!(w.emu.count_429(), 2);

    // Another chat has its own per-chat budget.
    let bob = w.emu.add_user(78, "Bob", None, None);
    w.emu.press_start(&w.bot.token, bob.id);
    w.client.send_message(ChatId(bob.id), "fine").await.expect("other chat");
    w.emu.set_rate_limits(false);
    w.client.send_message(chat, "off again").await.expect("limits off");
}

#[tokio::test]
async fn injected_faults_disconnect_status_and_delay() {
    let w = world().await;
    let chat = ChatId(w.anna.id);

    w.emu.inject_fault("sendMessage", Fault::Disconnect);
    let err = w.client.send_message(chat, "lost").await;
    assert!(matches!(err, Err(RequestError::Network(_))), "{err:?}");
    w.client.send_message(chat, "delivered").await.expect("only the next call fails");
    assert_eq!(w.emu.calls().iter().filter(|c| c.status == 0).count(), 1);
    let delivered = w.emu.next_message(&w.bot.token, w.anna.id, WAIT).await.expect("one message");
    assert_eq!(delivered.text, "delivered");

    let body = json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 7",
        "parameters": {"retry_after": 7}});
    w.emu.inject_fault("GETME", Fault::Status(429, body.clone()));
    let (status, headers, got) = raw(&w.emu, &w.bot.token, "getMe", json!({})).await;
    assert_eq!((status, got), (429, body));
    assert_eq!(headers.get("retry-after").map(|v| v.as_bytes()), Some(&b"7"[..]));
    assert_eq!(w.emu.count_429(), 1);

    w.emu.inject_fault("getMe", Fault::Delay(Duration::from_millis(300)));
    let t = Instant::now();
    w.client.get_me().await.expect("delayed, then answered");
    assert!(t.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn parameters_arrive_in_any_encoding_and_bad_ones_get_400() {
    let w = world().await;
    let base = format!("{}bot{}", w.emu.api_url(), w.bot.token);
    let http = reqwest::Client::new();

    let form = http
        .post(format!("{base}/sendmessage"))
        .form(&[("chat_id", w.anna.id.to_string()), ("text", "a & b = c".into())])
        .send()
        .await
        .expect("form");
    assert_eq!(form.status(), 200);
    let query =
        http.get(format!("{base}/SENDMESSAGE?chat_id={}&text=via%20query", w.anna.id)).send().await.expect("query");
    assert_eq!(query.status(), 200);
    let texts: Vec<String> = w
        .emu
        .drain_events(&w.bot.token, w.anna.id)
        .into_iter()
        .map(|e| match e {
            BotEvent::Message(m) => m.text,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(texts, ["a & b = c", "via query"]);
    assert_eq!(w.emu.call_count("sendMessage"), 2);
    assert!(w.emu.calls().iter().all(|c| c.method == "sendMessage"));

    let cases = [
        ("frobnicate", json!({}), 404, "Not Found: method not found"),
        ("sendMessage", json!({"chat_id": w.anna.id}), 400, "Bad Request: message text is empty"),
        ("sendMessage", json!({"text": "x"}), 400, "Bad Request: chat_id is empty"),
        ("sendMessage", json!({"chat_id": "abc", "text": "x"}), 400, "Bad Request: chat not found"),
        ("deleteMessage", json!({"chat_id": w.anna.id}), 400, "Bad Request: message_id is empty"),
        ("sendPhoto", json!({"chat_id": w.anna.id}), 400, "Bad Request: there is no photo in the request"),
        (
            "sendMessage",
            json!({"chat_id": w.anna.id, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d".repeat(65)}]]}}),
            400,
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            "sendMessage",
            json!({"chat_id": w.anna.id, "text": "x", "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "d", "style": "green"}]]}}),
            400,
            "Bad Request: can't parse inline keyboard button: unsupported button style",
        ),
    ];
    for (method, body, code, description) in cases {
        let (status, _, got) = raw(&w.emu, &w.bot.token, method, body).await;
        assert_eq!((status, got["description"].as_str()), (code, Some(description)), "{method}");
        assert_eq!(got["error_code"], code);
    }
    let bad_html = w.client.send_message(ChatId(w.anna.id), "1 < 2").parse_mode(teloxide::types::ParseMode::Html).await;
    assert!(matches!(bad_html, Err(RequestError::Api(ApiError::CantParseEntities(_)))), "{bad_html:?}");

    let long = "x".repeat(4097);
    let err = w.client.send_message(ChatId(w.anna.id), long).await;
    assert!(matches!(err, Err(RequestError::Api(ApiError::MessageIsTooLong))), "{err:?}");
    w.client.send_message(ChatId(w.anna.id), "y".repeat(4096)).await.expect("4096 is fine");
}

#[tokio::test]
async fn files_go_up_as_multipart_and_come_back_as_media() {
    let w = world().await;
    let chat = ChatId(w.anna.id);
    let gif = InputFile::memory(b"GIF89a-not-really".to_vec()).file_name("welcome.gif");
    let sent =
        w.client.send_animation(chat, gif).caption("Welcome!").reply_markup(keyboard()).await.expect("sendAnimation");
    assert!(sent.animation().is_some());
    assert_eq!(sent.caption(), Some("Welcome!"));

    let event = w.emu.next_message(&w.bot.token, w.anna.id, WAIT).await.expect("animation event");
    assert_eq!((event.kind.as_str(), event.text.as_str()), ("animation", "Welcome!"));
    assert_eq!(event.button_data("Cancel").as_deref(), Some("c:cancel:1"));
    let call = w.emu.calls().into_iter().rev().find(|c| c.method == "sendAnimation").expect("recorded");
    assert_eq!(call.params["animation"], "welcome.gif");
    assert_eq!(call.params["caption"], "Welcome!");
    assert!(call.params["reply_markup"]["inline_keyboard"].is_array());

    let photo = w.client.send_photo(chat, InputFile::file_id("AgACphoto".into())).await.expect("sendPhoto");
    assert_eq!(photo.photo().map(|p| p[0].file.id.0.as_str()), Some("AgACphoto"));
    let doc = w.client.send_document(chat, InputFile::memory(b"%PDF".to_vec())).await.expect("sendDocument");
    assert!(doc.document().is_some());
    let kinds: Vec<String> = w
        .emu
        .drain_events(&w.bot.token, w.anna.id)
        .into_iter()
        .filter_map(|e| match e {
            BotEvent::Message(m) => Some(m.kind),
            _ => None,
        })
        .collect();
    assert_eq!(kinds, ["photo", "document"]);
    // An upload's bytes are kept, for a test to look at what the bot drew.
    let png = InputFile::memory(b"\x89PNG\r\n\x1a\nrest".to_vec()).file_name("funnel.png");
    let sent = w.client.send_photo(chat, png).caption("The week").await.expect("sendPhoto upload");
    let bytes = w.emu.uploaded(&w.bot.token, w.anna.id, sent.id.0).expect("the upload is kept");
    assert!(bytes.starts_with(b"\x89PNG"));
    assert_eq!(w.emu.uploaded(&w.bot.token, w.anna.id, doc.id.0).as_deref(), Some(&b"%PDF"[..]));
}

#[tokio::test]
async fn web_app_buttons_and_menu_buttons_need_https_as_in_telegram() {
    let w = world().await;
    let button = |url: &str| json!({"inline_keyboard": [[{"text": "📊 Open panel", "web_app": {"url": url}}]]});
    let send = |url: &str| json!({"chat_id": w.anna.id, "text": "Fleet", "reply_markup": button(url)});
    let (status, _, body) = raw(&w.emu, &w.bot.token, "sendMessage", send("http://bot.example.com/app/")).await;
    assert_eq!(status, 400);
    assert!(body["description"].as_str().unwrap().contains("Only HTTPS links are allowed"), "{body}");
    let (status, _, _) = raw(&w.emu, &w.bot.token, "sendMessage", send("https://bot.example.com/app/")).await;
    assert_eq!(status, 200);
    let sent = w.emu.next_message(&w.bot.token, w.anna.id, WAIT).await.expect("sent");
    assert_eq!(sent.buttons[0][0].web_app.as_deref(), Some("https://bot.example.com/app/"));

    assert_eq!(w.emu.menu_button(&w.bot.token, w.anna.id), None);
    let menu = |url: &str| json!({"chat_id": w.anna.id, "menu_button": {"type": "web_app", "text": "Panel", "web_app": {"url": url}}});
    let (status, _, _) = raw(&w.emu, &w.bot.token, "setChatMenuButton", menu("http://bot.example.com/app/")).await;
    assert_eq!(status, 400);
    let (status, _, _) = raw(&w.emu, &w.bot.token, "setChatMenuButton", menu("https://bot.example.com/app/")).await;
    assert_eq!(status, 200);
    let set = w.emu.menu_button(&w.bot.token, w.anna.id).expect("set");
    assert_eq!(
        (set["type"].as_str(), set["web_app"]["url"].as_str()),
        (Some("web_app"), Some("https://bot.example.com/app/"))
    );
    let (_, _, got) = raw(&w.emu, &w.bot.token, "getChatMenuButton", json!({"chat_id": w.anna.id})).await;
    assert_eq!(got["result"], set);
    let (status, _, _) = raw(&w.emu, &w.bot.token, "setChatMenuButton", json!({"menu_button": {"type": "nope"}})).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bots_are_isolated_from_each_other() {
    let w = world().await;
    let other = w.emu.create_bot("other_bot", "Other");
    assert_ne!(other.id, w.bot.id);
    w.emu.send_text(&w.bot.token, &w.anna, "for acme");

    let other_client = teloxide_bot(&w.emu, &other.token);
    assert!(other_client.get_updates().await.expect("poll").is_empty());
    assert_eq!(w.client.get_updates().await.expect("poll").len(), 1);
    assert!(other_client.send_message(ChatId(w.anna.id), "hi").await.is_err(), "Anna never started it");
    assert!(w.emu.transcript(&other.token, w.anna.id).is_empty());
}

/// The unmodified teloxide polling loop (getMe, getWebhookInfo, long
/// getUpdates with offsets) runs a tiny echo bot against the emulator.
#[tokio::test]
async fn teloxide_dispatcher_echo_bot_answers_through_the_emulator() {
    let w = world().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        let text = format!("echo: {}", msg.text().unwrap_or("?"));
        bot.send_message(msg.chat.id, text).await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(w.client.clone(), handler).build();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    w.emu.send_text(&w.bot.token, &w.anna, "hello");
    let reply = w.emu.next_message(&w.bot.token, w.anna.id, Duration::from_secs(10)).await;
    assert_eq!(reply.map(|m| m.text).as_deref(), Some("echo: hello"));
    w.emu.send_text(&w.bot.token, &w.anna, "again");
    let reply = w.emu.next_message(&w.bot.token, w.anna.id, Duration::from_secs(10)).await;
    assert_eq!(reply.map(|m| m.text).as_deref(), Some("echo: again"));

    let texts: Vec<String> = w.emu.transcript(&w.bot.token, w.anna.id).into_iter().map(|e| e.text).collect();
    assert_eq!(texts, ["hello", "echo: hello", "again", "echo: again"]);
    assert!(w.emu.call_count("getUpdates") >= 2);
    assert_eq!(w.emu.call_count("getMe"), 1);

    w.emu.shutdown().await;
    let after = w.client.get_me().await;
    assert!(matches!(after, Err(RequestError::Network(_))), "{after:?}");
    running.abort();
}

#[tokio::test]
async fn managed_bots_are_created_read_replaced_and_restricted() {
    let w = world().await;
    let (_, _, me) = raw(&w.emu, &w.bot.token, "getMe", json!({})).await;
    assert_eq!(me["result"]["can_manage_bots"], false);
    w.emu.enable_bot_management(&w.bot.token);
    let (_, _, me) = raw(&w.emu, &w.bot.token, "getMe", json!({})).await;
    assert_eq!(me["result"]["can_manage_bots"], true);

    // Anna completes the creation dialog: the manager hears of it.
    let created = w.emu.create_managed_bot(&w.bot.token, &w.anna, "anna_agent_bot", "Anna's agent");
    let (_, _, updates) =
        raw(&w.emu, &w.bot.token, "getUpdates", json!({"allowed_updates": ["message", "managed_bot"]})).await;
    let update = &updates["result"][0]["managed_bot"];
    assert_eq!(update["user"]["id"], w.anna.id);
    assert_eq!(update["bot"]["username"], "anna_agent_bot");

    // Its token, as the manager reads it; replacing it revokes the old one.
    let (status, _, token) = raw(&w.emu, &w.bot.token, "getManagedBotToken", json!({"user_id": created.id})).await;
    assert_eq!((status, token["result"].as_str()), (200, Some(created.token.as_str())));
    let (_, _, fresh) = raw(&w.emu, &w.bot.token, "replaceManagedBotToken", json!({"user_id": created.id})).await;
    let fresh = fresh["result"].as_str().unwrap().to_string();
    assert_ne!(fresh, created.token);
    assert_eq!(raw(&w.emu, &created.token, "getMe", json!({})).await.0, 401);
    assert_eq!(raw(&w.emu, &fresh, "getMe", json!({})).await.0, 200);
    // Only its manager may: another bot gets 400.
    let other = w.emu.create_bot("other_bot", "Other");
    assert_eq!(raw(&w.emu, &other.token, "getManagedBotToken", json!({"user_id": created.id})).await.0, 400);

    // Restricted access: a stranger's message never reaches the managed bot; its owner's does.
    let (status, _, _) = raw(
        &w.emu,
        &w.bot.token,
        "setManagedBotAccessSettings",
        json!({"user_id": created.id, "is_access_restricted": true}),
    )
    .await;
    assert_eq!(status, 200);
    let (_, _, settings) =
        raw(&w.emu, &w.bot.token, "getManagedBotAccessSettings", json!({"user_id": created.id})).await;
    assert_eq!(settings["result"]["is_access_restricted"], true);
    let stranger = w.emu.add_user(42_000_777, "Stranger", None, None);
    w.emu.send_text(&fresh, &stranger, "hi");
    w.emu.send_text(&fresh, &w.anna, "hello");
    let (_, _, got) = raw(&w.emu, &fresh, "getUpdates", json!({})).await;
    let from: Vec<_> = got["result"].as_array().unwrap().iter().map(|u| u["message"]["from"]["id"].clone()).collect();
    assert_eq!(from, vec![json!(w.anna.id)]);
    let too_many: Vec<i64> = (1..=11).collect();
    let (status, _, _) = raw(
        &w.emu,
        &w.bot.token,
        "setManagedBotAccessSettings",
        json!({"user_id": created.id, "is_access_restricted": true, "added_user_ids": too_many}),
    )
    .await;
    assert_eq!(status, 400);
}
