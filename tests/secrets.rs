//! Secrets never reach the logs: the whole onboarding runs with every log target at TRACE, captured,
//! and neither the client's bot token, the one-time code, the Brevo key nor the bot's own token
//! appears in what was written.

mod common;

use common::*;
use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_secret_in_the_logs() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .with_ansi(false)
        // No timestamps: their microseconds could hold any six digits and fake a leaked code.
        .without_time()
        .init();

    let bench = Bench::new().await;
    let anna = bench.user(421_200_001, "en");
    let wrong_token = "7000000009:AAHnotARealTokenAtAll_0123456789abc";
    bench.qualified(&anna, "anna@acme.io").await;
    let code = bench.last_code("anna@acme.io").await;
    bench.say(&anna, wrong_token).await;
    let client_bot = bench.emu.create_bot("anna_helper_bot", "Anna");
    let (_, ok) = bench.forward_botfather(&anna, &client_bot).await;
    assert!(ok.text.contains("is connected"), "{}", ok.text);
    bench.reply(&anna).await;
    let summary = bench.say(&anna, "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.emu.next_message(&bench.control.token, MASTER, WAIT).await.unwrap();
    let control_token = bench.control.token.clone();
    bench.stop().await;

    // Webhook mode: the secret Telegram sends with each POST is never logged either, nor is a
    // forged one.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/telegram/hook");
    let hooked = Bench::with(&[("M2O_HTTP_ADDR", &format!("127.0.0.1:{port}")), ("M2O_WEBHOOK_URL", &url)]).await;
    let webhook_secret = m2o_bot::bot::webhook::secret(hooked.app());
    let bob = hooked.user(421_200_002, "en");
    assert!(hooked.say(&bob, "/start").await.text.contains("Welcome"));
    let forged = "forged_secret_4f1e";
    let r = reqwest::Client::new().post(&url).header("X-Telegram-Bot-Api-Secret-Token", forged).body("{}").send().await;
    assert_eq!(r.unwrap().status(), 401);
    hooked.stop().await;

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).to_string();
    assert!(logs.len() > 1000, "the capture works: {} bytes", logs.len());
    assert!(logs.contains("email accepted by Brevo"), "our own events are captured");
    let secret_of = |t: &str| t.split(':').nth(1).unwrap().to_string();
    for (what, secret) in [
        ("client token", secret_of(&client_bot.token)),
        ("refused token", secret_of(wrong_token)),
        ("control bot token", secret_of(&control_token)),
        ("Brevo API key", BREVO_KEY.to_string()),
        ("webhook secret", webhook_secret),
        ("forged webhook secret", forged.to_string()),
    ] {
        assert!(!logs.contains(&secret), "the {what} appears in the logs");
    }
    let code_alone = regex::Regex::new(&format!(r"(^|\D){code}(\D|$)")).unwrap();
    assert!(!code_alone.is_match(&logs), "the one-time code appears in the logs");
}
