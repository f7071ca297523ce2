//! The secret key and the data dir belong together: the bot refuses to start with a key that is not
//! the one the data was sealed with, and never makes a new key for a data dir that holds data.

use m2o_bot::app::App;
use m2o_bot::clock::SystemClock;
use m2o_bot::config::Config;
use m2o_bot::crypto::{Secrets, KEY_FILE};
use m2o_bot::domain::{ClientBot, Contact, ContactState};
use m2o_bot::store::{Change, Store};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

const KEY_A: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const KEY_B: &str = "1111111111111111111111111111111111111111111111111111111111111111";

fn config(dir: &Path, key: Option<&str>) -> Config {
    let mut vars: HashMap<&str, String> = HashMap::from([
        ("TELOXIDE_TOKEN", "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx".to_string()),
        ("M2O_MASTER_IDS", "900001".to_string()),
        ("M2O_DATA_DIR", dir.display().to_string()),
    ]);
    if let Some(k) = key {
        vars.insert("M2O_SECRET_KEY", k.to_string());
    }
    Config::from_lookup(|n| vars.get(n).cloned()).expect("valid configuration")
}

fn build(dir: &Path, key: Option<&str>) -> Result<Arc<App>, String> {
    // sled lets go of the directory's lock a moment after the last handle is dropped.
    for _ in 0..100 {
        match App::build(config(dir, key), Arc::new(SystemClock)).map_err(|e| format!("{e:#}")) {
            Err(e) if e.contains("could not acquire lock") => std::thread::sleep(std::time::Duration::from_millis(20)),
            other => return other,
        }
    }
    App::build(config(dir, key), Arc::new(SystemClock)).map_err(|e| format!("{e:#}"))
}

/// Opens the store again once the last App holding it is gone (sled lets go a moment later).
fn reopen(dir: &Path) -> Store {
    for _ in 0..100 {
        if let Ok(store) = Store::open(dir) {
            return store;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Store::open(dir).expect("the store reopens")
}

fn a_client_with_a_sealed_token(store: &Store, secrets: &Secrets) {
    let mut c = Contact::new(1, 42, 42, "en", "anna@acme.io", "2026-11-24T10:00:00Z".parse().unwrap());
    c.state = ContactState::TokenValidated;
    c.bot = Some(ClientBot { id: 7, username: "anna_bot".into(), token_sealed: secrets.seal("7:AAAA") });
    store.commit(&Change { contact: Some(c), ..Change::default() }).unwrap();
}

#[test]
fn another_key_is_refused_with_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    drop(build(dir.path(), Some(KEY_A)).expect("a new data dir takes any key"));
    let error = build(dir.path(), Some(KEY_B)).expect_err("the wrong key");
    assert!(error.contains("does not match") && error.contains("nothing was changed"), "{error}");
    drop(build(dir.path(), Some(KEY_A)).expect("the right key still opens it"));
}

#[test]
fn data_without_its_key_file_is_refused_and_no_new_key_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let app = build(dir.path(), None).expect("a new data dir: a key file is made");
    assert!(dir.path().join(KEY_FILE).exists());
    a_client_with_a_sealed_token(&app.store, &app.secrets);
    drop(app);
    let kept = std::fs::read_to_string(dir.path().join(KEY_FILE)).unwrap();
    std::fs::remove_file(dir.path().join(KEY_FILE)).unwrap();

    let error = build(dir.path(), None).expect_err("data but no key");
    assert!(error.contains("holds data but no secret key") && error.contains(KEY_FILE), "{error}");
    assert!(!dir.path().join(KEY_FILE).exists(), "no new key was made");

    std::fs::write(dir.path().join(KEY_FILE), kept).unwrap();
    let app = build(dir.path(), None).expect("the restored key opens it");
    let contact = app.store.contact(1).unwrap().unwrap();
    assert_eq!(app.secrets.open(&contact.bot.unwrap().token_sealed).unwrap(), "7:AAAA");
}

#[test]
fn a_store_from_before_the_check_is_checked_by_its_sealed_tokens() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = reopen(dir.path());
        a_client_with_a_sealed_token(&store, &Secrets::from_hex(KEY_A).unwrap());
        store.flush_blocking().unwrap();
    }
    let error = build(dir.path(), Some(KEY_B)).expect_err("the wrong key");
    assert!(error.contains("does not match"), "{error}");
    assert_eq!(reopen(dir.path()).meta("key_check").unwrap(), None, "a refused start writes nothing");
    drop(build(dir.path(), Some(KEY_A)).expect("the right key"));
    let check = reopen(dir.path()).meta("key_check").unwrap();
    assert_eq!(check, Some(Secrets::from_hex(KEY_A).unwrap().key_check()), "now remembered");
}
