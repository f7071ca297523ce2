#![cfg(feature = "console")]
//! `m2o-bot console --script`: every script in `tests/scripts/` (each documents a flow) runs
//! through the real binary and must pass; a deliberately wrong script must fail with exit code 1
//! and say where, what it expected and what the bot said instead.

use std::path::Path;
use std::process::{Command, Output};

fn console(script: &str) -> Output {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts").join(script);
    Command::new(env!("CARGO_BIN_EXE_m2o-bot"))
        .args(["console", "--script"])
        .arg(&path)
        // The console needs no environment; make sure none of the caller's leaks in.
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs")
}

fn passes(script: &str) {
    let out = console(script);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{script} failed ({:?}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("every line ran"), "{stdout}");
    // A real token typed into a script is echoed as `{{token:NAME}}` (a script's own literal
    // lines, such as bad-inputs.txt's made-up token, are echoed as written), and the message that
    // held it is deleted without repeating it: no token reaches the rest of the transcript.
    let token = regex::Regex::new(r"\d{6,}:[A-Za-z0-9_-]{30,}").expect("a regex");
    let leaked: Vec<&str> = stdout.lines().filter(|l| !l.contains(" › ") && token.is_match(l)).collect();
    assert!(leaked.is_empty(), "a bot token in the transcript: {leaked:?}");
}

/// The scripts that must pass, each run by a test below.
const SCRIPTS: [&str; 6] =
    ["onboarding.txt", "contact-track.txt", "review.txt", "fleet.txt", "bad-inputs.txt", "conversations.txt"];

#[test]
fn onboarding_happy_path_to_the_greeting() {
    passes("onboarding.txt");
}

#[test]
fn contact_track_and_qualify() {
    passes("contact-track.txt");
}

#[test]
fn review_approve_by_tap_and_reject() {
    passes("review.txt");
}

#[test]
fn spawn_fleet_agent_api_and_destroy() {
    passes("fleet.txt");
}

#[test]
fn bad_inputs_limits_and_the_clock() {
    passes("bad-inputs.txt");
}

#[test]
fn conversations_home_line_email_change_and_reject_with_a_reason() {
    passes("conversations.txt");
}

#[test]
fn every_script_is_run() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts");
    let mut found: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed: Vec<String> = SCRIPTS.iter().map(|s| s.to_string()).collect();
    listed.sort();
    assert_eq!(found, listed, "add the new script to SCRIPTS and give it a test");
}

#[test]
fn a_wrong_expectation_fails_and_says_what_was_seen() {
    let out = console("failing/wrong-expect.txt");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let failure = stdout.lines().find(|l| l.starts_with('✗')).unwrap_or_else(|| panic!("no failure line:\n{stdout}"));
    assert!(failure.contains("wrong-expect.txt:6: expect: /Email confirmed/ did not match"), "{failure}");
    assert!(failure.contains("the next reply to Anna (client 1)"), "{failure}");
    assert!(failure.contains("I've sent a 6-digit code to anna@acme.io"), "{failure}");
    assert!(!stdout.contains("every line ran"), "{stdout}");
    assert!(!stdout.contains("› :code"), "nothing after the failure runs");
}

#[test]
fn a_missing_script_cannot_start() {
    let out = console("no-such-script.txt");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-script.txt"));
}
