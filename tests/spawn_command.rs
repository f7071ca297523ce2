//! `CommandProvisioner` with small shell scripts in a temp dir standing in for the operator's
//! `spawn-machine.sh`: what the script receives (env, never argv), how a failure, a timeout and
//! a missing command come back, and that secret values are masked in what comes back.

use m2o_bot::services::provisioner::{AppSpec, DeployStatus, EnvVar, ProvisionError, Provisioner};
use m2o_bot::services::spawn_command::CommandProvisioner;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const BOT_TOKEN: &str = "7890123456:AAHsecretsecretsecretsecret";

fn spec() -> AppSpec {
    AppSpec { name: "peter".into(), image: "machine-machine/m2-desktop:agent-latest".into() }
}

fn vars() -> Vec<EnvVar> {
    vec![
        EnvVar { key: "AGENT_NAME".into(), value: "peter".into(), secret: false },
        EnvVar { key: "AGENT_TELEGRAM_BOT_TOKEN".into(), value: BOT_TOKEN.into(), secret: true },
    ]
}

/// Writes an executable `/bin/sh` script into `dir`.
fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write script");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path
}

fn message(e: &ProvisionError) -> String {
    match e {
        ProvisionError::Retryable { message, .. }
        | ProvisionError::Fatal { message }
        | ProvisionError::Unanswered { message } => message.clone(),
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A script that records its argument count, its arguments and its environment.
fn recorder(dir: &Path) -> PathBuf {
    let out = dir.join("out");
    script(
        dir,
        "spawn.sh",
        &format!(
            "{{ echo \"argc=$#\"; echo \"argv=$*\"; env; }} > '{}'\necho \"spawned $M2O_AGENT_NAME\"",
            out.display()
        ),
    )
}

/// Whether `pid` is a live process (not gone, not a zombie waiting to be reaped).
fn alive(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

#[tokio::test]
async fn the_steps_before_deploy_run_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = CommandProvisioner::new(dir.path().join("never-run.sh"), Duration::from_secs(5));
    assert_eq!(p.kind(), "command");
    assert_eq!(p.find_apps(&spec()).await, Ok(Vec::new()));
    assert_eq!(p.deployments("command:peter").await, Ok(Vec::new()), "a script cannot be asked");
    assert_eq!(p.create_app(&spec()).await, Ok("command:peter".to_string()));
    assert_eq!(p.set_env("command:peter", &vars()).await, Ok(()));
    assert_eq!(p.status("command:peter", "command:peter:1").await, Ok(DeployStatus::Finished));
}

#[tokio::test]
async fn deploy_passes_everything_in_env_and_nothing_in_argv() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = CommandProvisioner::new(recorder(dir.path()), Duration::from_secs(10));
    let app = p.create_app(&spec()).await.expect("app id");
    let deployment = p.deploy(&app, &vars()).await.expect("deployed");

    let (prefix, time) = deployment.rsplit_once(':').expect("command:<name>:<time>");
    assert_eq!(prefix, "command:peter");
    assert!(time.parse::<u64>().expect("unix time") > 1_700_000_000);

    let out = read(&dir.path().join("out"));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"argc=0"), "{out}");
    assert!(lines.contains(&"argv="), "{out}");
    assert!(lines.contains(&format!("AGENT_TELEGRAM_BOT_TOKEN={BOT_TOKEN}").as_str()), "{out}");
    assert!(lines.contains(&"AGENT_NAME=peter"), "{out}");
    assert!(lines.contains(&"M2O_AGENT_NAME=peter"), "{out}");
    assert!(lines.contains(&"M2O_ACTION=deploy"), "{out}");
    // The token appears once, in its own variable.
    assert_eq!(out.matches(BOT_TOKEN).count(), 1, "{out}");
    // The bot's own environment is not handed on (cargo sets this one for every test run).
    if std::env::var_os("CARGO_MANIFEST_DIR").is_some() {
        assert!(!out.contains("CARGO_MANIFEST_DIR="), "{out}");
    }
    if std::env::var_os("PATH").is_some() {
        assert!(out.lines().any(|l| l.starts_with("PATH=")), "{out}");
    }
}

#[tokio::test]
async fn a_failing_script_is_fatal_with_its_code_and_last_lines_masked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cmd = script(
        dir.path(),
        "fail.sh",
        "i=1\nwhile [ $i -le 12 ]; do echo \"line $i\"; i=$((i+1)); done\n\
         echo \"token was $AGENT_TELEGRAM_BOT_TOKEN\" >&2\necho 'coolify said no'\nexit 3",
    );
    let p = CommandProvisioner::new(cmd, Duration::from_secs(10));
    let e = p.deploy("command:peter", &vars()).await.expect_err("exit 3");
    let text = message(&e);
    assert!(matches!(e, ProvisionError::Fatal { .. }), "{e:?}");
    assert!(text.contains("exited with code 3"), "{text}");
    assert!(text.contains("fail.sh"), "{text}");
    // The last 10 lines, stderr in its place among stdout's.
    assert!(text.ends_with("line 12\ntoken was ***\ncoolify said no"), "{text}");
    assert!(text.contains("line 5\n") && !text.contains("line 4\n"), "{text}");
    assert!(!format!("{e:?} {e}").contains(BOT_TOKEN), "{text}");
}

#[tokio::test]
async fn a_hanging_script_is_killed_with_its_children_and_is_retryable() {
    let dir = tempfile::tempdir().expect("tempdir");
    let pid_file = dir.path().join("pid");
    let child_file = dir.path().join("child");
    let cmd = script(
        dir.path(),
        "hang.sh",
        &format!(
            "echo $$ > '{}'\nsleep 30 &\necho $! > '{}'\necho waiting\nwait",
            pid_file.display(),
            child_file.display()
        ),
    );
    let p = CommandProvisioner::new(cmd, Duration::from_secs(1));
    let started = Instant::now();
    let e = p.deploy("command:peter", &vars()).await.expect_err("timeout");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(matches!(e, ProvisionError::Retryable { .. }), "{e:?}");
    assert!(message(&e).contains("timed out after 1s"), "{e}");

    let pid = read(&pid_file).trim().to_string();
    let status = std::process::Command::new("kill")
        .args(["-0", &pid])
        .stderr(std::process::Stdio::null())
        .status()
        .expect("kill -0 runs");
    assert!(!status.success(), "the script {pid} still runs");
    // Its child, in the same process group, is gone too (give the kernel a moment).
    let child = read(&child_file).trim().to_string();
    let deadline = Instant::now() + Duration::from_secs(3);
    while alive(&child) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!alive(&child), "the script's child {child} still runs");
}

#[tokio::test]
async fn a_background_process_holding_the_output_does_not_hang_the_deploy() {
    let dir = tempfile::tempdir().expect("tempdir");
    let child_file = dir.path().join("child");
    let cmd = script(
        dir.path(),
        "daemon.sh",
        &format!("sleep 30 &\necho $! > '{}'\necho started\nexit 0", child_file.display()),
    );
    let p = CommandProvisioner::new(cmd, Duration::from_secs(20));
    let started = Instant::now();
    p.deploy("command:peter", &vars()).await.expect("deployed");
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    // Clean up the background process the script left behind.
    let child = read(&child_file).trim().to_string();
    let _ = std::process::Command::new("kill").arg(&child).status();
}

#[tokio::test]
async fn a_missing_command_is_fatal_and_names_the_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-spawn.sh");
    let p = CommandProvisioner::new(&missing, Duration::from_secs(5));
    let e = p.deploy("command:peter", &vars()).await.expect_err("missing");
    assert!(matches!(e, ProvisionError::Fatal { .. }), "{e:?}");
    assert!(message(&e).contains(&missing.display().to_string()), "{e}");
    assert!(message(&e).contains("does not exist"), "{e}");
}

#[tokio::test]
async fn a_command_that_is_not_executable_is_fatal() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cmd = script(dir.path(), "plain.sh", "exit 0");
    std::fs::set_permissions(&cmd, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    let p = CommandProvisioner::new(cmd.clone(), Duration::from_secs(5));
    let e = p.deploy("command:peter", &vars()).await.expect_err("not executable");
    assert!(matches!(e, ProvisionError::Fatal { .. }), "{e:?}");
    assert!(message(&e).contains(&cmd.display().to_string()), "{e}");
}

#[tokio::test]
async fn delete_runs_the_command_with_the_destroy_action() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = CommandProvisioner::new(recorder(dir.path()), Duration::from_secs(10));
    p.delete("command:peter").await.expect("destroyed");
    let out = read(&dir.path().join("out"));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.contains(&"argc=0"), "{out}");
    assert!(lines.contains(&"M2O_ACTION=destroy"), "{out}");
    assert!(lines.contains(&"M2O_AGENT_NAME=peter"), "{out}");
    assert!(!out.contains("AGENT_TELEGRAM_BOT_TOKEN"), "{out}");
}

#[tokio::test]
async fn a_failing_destroy_is_fatal_too() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cmd = script(dir.path(), "nope.sh", "echo \"cannot destroy $M2O_AGENT_NAME\" >&2\nexit 4");
    let p = CommandProvisioner::new(cmd, Duration::from_secs(10));
    let e = p.delete("command:peter").await.expect_err("exit 4");
    assert!(matches!(e, ProvisionError::Fatal { .. }), "{e:?}");
    assert!(message(&e).contains("exited with code 4") && message(&e).contains("cannot destroy peter"), "{e}");
}

#[tokio::test]
async fn an_app_id_of_another_provisioner_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = CommandProvisioner::new(recorder(dir.path()), Duration::from_secs(10));
    let e = p.deploy("a4w8kk8ok0c0gs4s0kwo4cgs", &vars()).await.expect_err("not ours");
    assert!(matches!(e, ProvisionError::Fatal { .. }), "{e:?}");
    assert!(!dir.path().join("out").exists(), "the command must not run");
}
