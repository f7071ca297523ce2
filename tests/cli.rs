//! The `m2o-bot` binary as an operator runs it: `check-config` and `run`, configured only through
//! the environment, against the Bot API emulator.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;
use tg_emulator::Emulator;

const BIN: &str = env!("CARGO_BIN_EXE_m2o-bot");

/// The binary with a clean environment (no stray M2O_*), run in an empty folder (no .env).
fn m2o(dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).current_dir(dir);
    cmd
}

#[test]
fn check_config_names_every_missing_value_and_fails() {
    let dir = tempfile::tempdir().unwrap();
    let out = m2o(dir.path()).args(["check-config"]).env("M2O_MAILER", "carrier-pigeon").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    for line in ["TELOXIDE_TOKEN: missing", "M2O_MASTER_IDS: missing", "M2O_MAILER: `carrier-pigeon`"] {
        assert!(err.contains(line), "{line} not in:\n{err}");
    }
}

#[test]
fn check_config_prints_the_effective_configuration_with_secrets_masked() {
    let dir = tempfile::tempdir().unwrap();
    let token = "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx";
    let out = m2o(dir.path())
        .args(["check-config"])
        .env("TELOXIDE_TOKEN", token)
        .env("M2O_MASTER_IDS", "42")
        .env("M2O_API_TOKEN", "very-secret-admin")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("TELOXIDE_TOKEN = set (hidden)"), "{text}");
    assert!(text.contains("M2O_MASTER_IDS = 42"), "{text}");
    assert!(text.contains("M2O_MAILER = log"), "{text}");
    assert!(!text.contains("AAExample") && !text.contains("very-secret-admin"), "{text}");
}

#[tokio::test]
async fn run_with_a_bad_configuration_never_touches_telegram() {
    let emu = Emulator::start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = m2o(dir.path())
        .args(["run"])
        .env("TELOXIDE_API_URL", emu.api_url().as_str())
        .env("TELOXIDE_TOKEN", "not-a-token")
        .env("M2O_MASTER_IDS", "42")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("TELOXIDE_TOKEN: is not a bot token"));
    assert!(emu.calls().is_empty(), "no request reached the Bot API");
}

#[tokio::test]
async fn run_serves_a_client_with_the_log_mailer() {
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_cli_bot", "M2O");
    let user = emu.add_user(4242, "Ann", None, Some("en"));
    let dir = tempfile::tempdir().unwrap();
    let mut child = m2o(dir.path())
        .args(["run"])
        .env("TELOXIDE_API_URL", emu.api_url().as_str())
        .env("TELOXIDE_TOKEN", &control.token)
        .env("M2O_MASTER_IDS", "42")
        .env("M2O_DATA_DIR", dir.path().join("data"))
        .env("M2O_HTTP_ADDR", "127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    emu.send_text(&control.token, &user, "/start");
    let welcome = emu.next_message(&control.token, user.id, Duration::from_secs(20)).await;
    emu.send_text(&control.token, &user, "ann@example.org");
    let sent = emu.next_message(&control.token, user.id, Duration::from_secs(20)).await;
    child.kill().unwrap();
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    child.wait().unwrap();
    assert!(welcome.unwrap_or_else(|| panic!("no welcome; log:\n{log}")).text.contains("email"), "{log}");
    assert!(sent.expect("code sent").text.contains("ann@example.org"), "{log}");
    assert!(log.contains("NO EMAIL WAS SENT"), "the log mailer says what it did not do:\n{log}");
    assert!(!log.contains(&control.token), "the bot's token is not logged");
    // The key file was created, private, in the data dir.
    assert!(dir.path().join("data").join("secret.key").exists());
}

#[tokio::test]
async fn registry_export_and_restore_round_trip() {
    use m2o_bot::crypto::Secrets;
    use m2o_bot::domain::agent::{Agent, AgentState};
    use m2o_bot::store::KEY_CHECK;
    use m2o_bot::store::{Change, Store};
    const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        let store = Store::open(&data).unwrap();
        let now = chrono::Utc::now();
        let agent = Agent {
            name: "peter".into(),
            state: AgentState::Live,
            contact_id: None,
            owner_user_id: 42,
            owner_label: "master 42".into(),
            bot_id: 7,
            bot_username: "peter_bot".into(),
            token_sealed: "00ff-sealed".into(),
            timezone: "UTC".into(),
            provisioner: "coolify".into(),
            app_id: Some("a4w8kk8ok0c0gs4s0kwo4cgs".into()),
            api_token_hash: None,
            job_id: 1,
            created_at: now,
            updated_at: now,
            last_event: "online".into(),
            token_generation: None,
            live_at: None,
            heartbeat_at: None,
            doing: None,
            card: None,
            callback_url: None,
        };
        let key_check = (KEY_CHECK.to_string(), Secrets::from_hex(KEY).unwrap().key_check());
        let change = Change {
            agent: Some(agent),
            count: vec!["codes:1:2026-11-24".into()],
            meta: Some(key_check),
            ..Change::default()
        };
        store.commit(&change).unwrap();
        store.flush().await.unwrap();
    }
    let run = |args: &[&str], data: &std::path::Path| {
        let out = m2o(dir.path()).args(args).env("M2O_DATA_DIR", data).env("M2O_SECRET_KEY", KEY).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let table = run(&["registry"], &data);
    assert!(table.starts_with("NAME   STATE  OWNER      APP"), "{table}");
    assert!(table.contains("peter  live   master 42  a4w8kk8ok0c0gs4s0kwo4cgs"), "{table}");
    let json = run(&["registry", "--json"], &data);
    assert!(json.ends_with("]\n"), "a final newline: {json:?}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&json).unwrap()[0]["name"], "peter");
    let export = dir.path().join("export.jsonl");
    run(&["export", "--out", export.to_str().unwrap()], &data);
    let lines = std::fs::read_to_string(&export).unwrap();
    // The agent and its roll-call entry, a daily counter, the key check; then the end line.
    assert_eq!(lines.lines().count(), 5, "four entries and the end line: {lines}");
    assert_eq!(lines.lines().last(), Some(r#"{"end":4}"#));
    let fresh = dir.path().join("fresh");
    let said = run(&["restore", export.to_str().unwrap()], &fresh);
    assert!(said.contains("restored 4 entries: 0 contacts, 1 agents"), "{said}");
    assert_eq!(run(&["registry"], &fresh), table);
    // Restoring twice is refused: the data dir is no longer empty. `import` is the old name.
    let again = m2o(dir.path())
        .args(["import", export.to_str().unwrap()])
        .env("M2O_DATA_DIR", &fresh)
        .env("M2O_SECRET_KEY", KEY)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    // Without a key, a restore says where to give it and writes nothing.
    let keyless = dir.path().join("keyless");
    let out =
        m2o(dir.path()).args(["restore", export.to_str().unwrap()]).env("M2O_DATA_DIR", &keyless).output().unwrap();
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("give --key-file"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!keyless.exists());
}

/// A data dir in use or damaged is named, with what to do — not "is the bot running?" for both.
#[test]
fn a_data_dir_in_use_or_damaged_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = m2o_bot::store::Store::open(&data).expect("a new store");
    let out = m2o(dir.path()).args(["registry", "--data-dir", "data"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("in use by another process"), "{err}");
    drop(store);
    std::thread::sleep(Duration::from_millis(200));

    // sled's config file with a bad checksum: the database refuses it as corrupted.
    let conf = data.join("conf");
    let mut bytes = std::fs::read(&conf).unwrap();
    bytes[5..14].copy_from_slice(b"garbage!!");
    std::fs::write(&conf, bytes).unwrap();
    let out = m2o(dir.path()).args(["export", "--data-dir", "data"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("is damaged") && err.contains("Restore it from a backup"), "{err}");
    assert!(!err.contains("is the bot running"), "{err}");
}

/// The data dir and what sled writes in it are for the bot's user only.
#[test]
fn the_data_dir_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    // A restore makes a new data dir (a backup holding just its key check).
    let key = "ab".repeat(32);
    let check = m2o_bot::crypto::Secrets::from_hex(&key).unwrap().key_check();
    let backup = dir.path().join("backup.jsonl");
    let line = serde_json::json!({"tree": "meta", "key": hex::encode("key_check"), "hex": hex::encode(check)});
    std::fs::write(&backup, format!("{line}\n{{\"end\":1}}\n")).unwrap();
    let out =
        m2o(dir.path()).args(["restore", "backup.jsonl", "--data-dir", "data"]).env("M2O_SECRET_KEY", &key).output();
    let out = out.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let data = dir.path().join("data");
    assert_eq!(mode(&data), 0o700);
    let mut stack = vec![data];
    let mut files = 0;
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                assert_eq!(mode(&path), 0o700, "{}", path.display());
                stack.push(path);
            } else {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                files += 1;
            }
        }
    }
    assert!(files >= 2, "sled's files were looked at");
}
