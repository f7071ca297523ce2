//! The `command` provisioner: runs the operator's spawn executable (`M2O_SPAWN_COMMAND`, e.g. the
//! fleet's `spawn-machine.sh`) to build an agent, for fleets that provision with their own script.
//!
//! The script does everything in one synchronous run, so `create_app` and `set_env` only record
//! the request and `deploy` runs it. The contract with the script:
//! - no arguments at all: the agent's name and its secrets go in environment variables only,
//!   because argv is world-readable (`ps`, `/proc/<pid>/cmdline`);
//! - `M2O_ACTION` is `deploy` or `destroy`, `M2O_AGENT_NAME` the agent's name, and on deploy every
//!   variable of the job (the bot token among them) under its own name;
//! - the bot's own environment is NOT passed on (it holds the master bot's token and
//!   `M2O_SECRET_KEY`), except the few variables a script needs to run: see [`INHERITED`];
//! - stdin is closed; stdout and stderr are captured together; exit 0 means done;
//! - it runs in its own process group, so a timeout kills the script and everything it started;
//!   it dies with the bot (a killed bot leaves no script running beside the next start's retry);
//! - it must be idempotent: a deploy cut off by a timeout or a crash is run again.
//!
//! A non-zero exit is `Fatal` with the code and the last lines of output (secret values masked);
//! a timeout is `Retryable`; a missing or non-executable command is `Fatal` naming the path.

use super::provisioner::{AppSpec, DeployStatus, EnvVar, ProvisionError, ProvisionResult, Provisioner};
use futures::future::BoxFuture;
use std::io::ErrorKind;
use std::os::fd::OwnedFd;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::AsyncReadExt;
use tokio::net::unix::pipe;
use tokio::process::{Child, Command};

/// App ids of this provisioner are `command:<agent name>`.
const PREFIX: &str = "command:";

/// The only variables of the bot's own environment the script sees.
pub const INHERITED: [&str; 9] = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "TZ", "TMPDIR"];

/// Lines of output quoted in a failure.
const TAIL_LINES: usize = 10;
/// Output kept in memory: enough for the last lines, bounded whatever the script prints.
const TAIL_BYTES: usize = 64 * 1024;
/// A quoted line longer than this is cut (a script may print a whole JSON document on one line).
const LINE_CHARS: usize = 300;
/// After the script exits, how long its output may still take to arrive. A background process
/// the script left running may hold the pipe open for ever; we do not wait for it.
const DRAIN_GRACE: Duration = Duration::from_secs(2);
/// "Text file busy": the script is being rewritten (or, in tests, was just written). Tried again
/// this many times, a little later.
const BUSY_ATTEMPTS: u32 = 5;

#[derive(Debug, Clone)]
pub struct CommandProvisioner {
    command: PathBuf,
    timeout: Duration,
}

/// What a run is for.
enum Action<'a> {
    Deploy(&'a [EnvVar]),
    Destroy,
}

impl Action<'_> {
    fn name(&self) -> &'static str {
        match self {
            Action::Deploy(_) => "deploy",
            Action::Destroy => "destroy",
        }
    }

    fn secrets(&self) -> Vec<&str> {
        match self {
            Action::Deploy(vars) => {
                vars.iter().filter(|v| v.secret && !v.value.is_empty()).map(|v| v.value.as_str()).collect()
            }
            Action::Destroy => Vec::new(),
        }
    }
}

/// How a run ended.
enum Outcome {
    Exited(ExitStatus),
    TimedOut,
}

impl CommandProvisioner {
    /// `command` is `M2O_SPAWN_COMMAND`; `timeout` bounds one run of it.
    pub fn new(command: impl Into<PathBuf>, timeout: Duration) -> Self {
        CommandProvisioner { command: command.into(), timeout }
    }

    /// Runs the command for `name` and turns how it ended into the trait's result.
    async fn run(&self, name: &str, action: Action<'_>) -> ProvisionResult<()> {
        let env = environment(name, &action)?;
        let started = std::time::Instant::now();
        let (outcome, output) = self.execute(&env).await?;
        let secrets = action.secrets();
        let path = self.command.display();
        match outcome {
            Outcome::Exited(status) if status.success() => {
                tracing::info!(agent = name, action = action.name(), elapsed = ?started.elapsed(), "M2O_SPAWN_COMMAND succeeded");
                Ok(())
            }
            Outcome::Exited(status) => {
                let how = describe_exit(status);
                tracing::warn!(agent = name, action = action.name(), %how, "M2O_SPAWN_COMMAND failed");
                Err(ProvisionError::Fatal {
                    message: format!(
                        "M2O_SPAWN_COMMAND {path} {how} ({} of {name}){}",
                        action.name(),
                        quote(&output.last_lines(&secrets))
                    ),
                })
            }
            Outcome::TimedOut => {
                tracing::warn!(agent = name, action = action.name(), timeout = ?self.timeout, "M2O_SPAWN_COMMAND timed out and was killed");
                Err(ProvisionError::Retryable {
                    message: format!(
                        "M2O_SPAWN_COMMAND {path} timed out after {:?} and was killed ({} of {name}){}",
                        self.timeout,
                        action.name(),
                        quote(&output.last_lines(&secrets))
                    ),
                    retry_after: None,
                })
            }
        }
    }

    /// Starts the command, collects its output, and waits for it within the timeout.
    async fn execute(&self, env: &[(String, String)]) -> ProvisionResult<(Outcome, Tail)> {
        let (mut child, reader) = self.spawn(env).await?;
        let tail = Arc::new(Mutex::new(Tail::default()));
        let mut collector = tokio::spawn(collect(reader, Arc::clone(&tail)));
        let outcome = match tokio::time::timeout(self.timeout, child.wait()).await {
            Ok(Ok(status)) => Outcome::Exited(status),
            Ok(Err(e)) => {
                collector.abort();
                return Err(ProvisionError::Fatal {
                    message: format!("M2O_SPAWN_COMMAND {}: could not wait for it: {e}", self.command.display()),
                });
            }
            Err(_) => {
                kill_group(&mut child);
                // Reap it, so no zombie is left; SIGKILL cannot be ignored, so this is quick.
                let _ = child.wait().await;
                Outcome::TimedOut
            }
        };
        let _ = tokio::time::timeout(DRAIN_GRACE, &mut collector).await;
        collector.abort();
        let output = std::mem::take(&mut *lock(&tail));
        Ok((outcome, output))
    }

    /// Spawns the command with one pipe for both stdout and stderr, so the output keeps its order.
    async fn spawn(&self, env: &[(String, String)]) -> ProvisionResult<(Child, pipe::Receiver)> {
        let mut attempt = 1;
        loop {
            match self.spawn_once(env) {
                Err(e) if e.kind() == ErrorKind::ExecutableFileBusy && attempt < BUSY_ATTEMPTS => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => return Err(spawn_error(&self.command, &e)),
                Ok(started) => return Ok(started),
            }
        }
    }

    fn spawn_once(&self, env: &[(String, String)]) -> std::io::Result<(Child, pipe::Receiver)> {
        let (reader, writer) = std::io::pipe()?;
        let mut command = Command::new(&self.command);
        command
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::from(writer.try_clone()?))
            .stderr(Stdio::from(writer))
            // Its own process group, so a timeout can kill the script and its children at once.
            .process_group(0)
            // If the job is dropped mid-run, do not leave the script behind.
            .kill_on_drop(true);
        // If the bot itself is killed (a crash, SIGKILL), the script goes with it rather than run
        // on beside the next start's retry of the same step.
        // SAFETY: the closure runs in the child between fork and exec and only calls prctl(2),
        // which is async-signal-safe, with integer arguments.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong, 0, 0, 0) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        // The command holds our copies of the pipe's write end: close them, or the output never ends.
        drop(command);
        let reader = pipe::Receiver::from_owned_fd(OwnedFd::from(reader))?;
        Ok((child, reader))
    }
}

/// The script's whole environment (see [`INHERITED`] and the module doc).
fn environment(name: &str, action: &Action<'_>) -> ProvisionResult<Vec<(String, String)>> {
    let mut env: Vec<(String, String)> =
        INHERITED.iter().filter_map(|k| std::env::var(k).ok().map(|v| (k.to_string(), v))).collect();
    if let Action::Deploy(vars) = action {
        for var in *vars {
            check_var(var)?;
            env.push((var.key.clone(), var.value.clone()));
        }
    }
    // Last, so a job variable can never override them.
    env.push(("M2O_ACTION".into(), action.name().into()));
    env.push(("M2O_AGENT_NAME".into(), name.into()));
    Ok(env)
}

/// A variable the OS can carry: a name without `=` or NUL, a value without NUL.
fn check_var(var: &EnvVar) -> ProvisionResult<()> {
    if var.key.is_empty() || var.key.contains(['=', '\0']) {
        return Err(ProvisionError::Fatal {
            message: format!("`{}` is not a valid environment variable name", var.key.escape_default()),
        });
    }
    if var.value.contains('\0') {
        return Err(ProvisionError::Fatal { message: format!("the value of {} contains a NUL byte", var.key) });
    }
    Ok(())
}

fn spawn_error(path: &Path, e: &std::io::Error) -> ProvisionError {
    let path = path.display();
    let message = match e.kind() {
        ErrorKind::NotFound => {
            format!("M2O_SPAWN_COMMAND {path} does not exist (or its interpreter is missing)")
        }
        ErrorKind::PermissionDenied => format!("M2O_SPAWN_COMMAND {path} is not executable: {e}"),
        // Transient: the system is short of processes, files or memory, or the file is busy.
        ErrorKind::WouldBlock | ErrorKind::OutOfMemory | ErrorKind::ExecutableFileBusy => {
            return ProvisionError::Retryable {
                message: format!("M2O_SPAWN_COMMAND {path} could not be started now: {e}"),
                retry_after: None,
            }
        }
        // libc::ENOEXEC: neither a binary nor a script with a `#!` line.
        _ if e.raw_os_error() == Some(libc::ENOEXEC) => {
            format!("M2O_SPAWN_COMMAND {path} could not be started: {e} (a script needs a #! line)")
        }
        _ => format!("M2O_SPAWN_COMMAND {path} could not be started: {e}"),
    };
    ProvisionError::Fatal { message }
}

/// Kills the child's whole process group (the child leads it: `process_group(0)`).
fn kill_group(child: &mut Child) {
    if let Some(pgid) = child.id().and_then(|id| i32::try_from(id).ok()) {
        // Never 0 or 1 (which would mean "our own group" or "every process"), never negative.
        if pgid > 1 {
            // SAFETY: kill(2) takes two integers and touches no memory of ours; a negative pid
            // addresses the process group (std has no killpg).
            unsafe {
                libc::kill(-pgid, libc::SIGKILL);
            }
        }
    }
    // In case the group signal failed: at least the script itself.
    let _ = child.start_kill();
}

/// Reads the command's combined output into `tail` until the pipe closes.
async fn collect(mut reader: pipe::Receiver, tail: Arc<Mutex<Tail>>) {
    let mut buf = [0u8; 8192];
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => lock(&tail).push(&buf[..n]),
        }
    }
}

fn lock(tail: &Mutex<Tail>) -> std::sync::MutexGuard<'_, Tail> {
    // A panic elsewhere cannot leave a byte buffer inconsistent: use it anyway.
    tail.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// The end of the command's output.
#[derive(Default)]
struct Tail {
    bytes: Vec<u8>,
    /// Whether the start was dropped, so the first line may be partial.
    truncated: bool,
}

impl Tail {
    fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        // Trim in batches, not on every chunk.
        if self.bytes.len() > 2 * TAIL_BYTES {
            let cut = self.bytes.len() - TAIL_BYTES;
            self.bytes.drain(..cut);
            self.truncated = true;
        }
    }

    /// The last non-blank lines, with every secret value replaced by `***`.
    fn last_lines(&self, secrets: &[&str]) -> String {
        let mut text = String::from_utf8_lossy(&self.bytes).into_owned();
        if self.truncated {
            // The first line may be the end of a secret whose start was dropped: never show it.
            match text.find('\n') {
                Some(newline) => drop(text.drain(..=newline)),
                None => text.clear(),
            }
        }
        let masked = mask(&text, secrets);
        let lines: Vec<&str> = masked.lines().filter(|l| !l.trim().is_empty()).collect();
        let start = lines.len().saturating_sub(TAIL_LINES);
        lines[start..].iter().map(|line| cut_line(line)).collect::<Vec<_>>().join("\n")
    }
}

/// Replaces every secret value in `text` with `***`, longest first so that a secret containing
/// another is masked whole.
pub fn mask(text: &str, secrets: &[&str]) -> String {
    let mut secrets: Vec<&str> = secrets.iter().copied().filter(|s| !s.is_empty()).collect();
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.iter().fold(text.to_string(), |text, secret| text.replace(secret, "***"))
}

fn cut_line(line: &str) -> String {
    if line.chars().count() <= LINE_CHARS {
        line.to_string()
    } else {
        format!("{}…", line.chars().take(LINE_CHARS).collect::<String>())
    }
}

fn quote(lines: &str) -> String {
    if lines.is_empty() {
        "; it printed nothing".into()
    } else {
        format!("; last output:\n{lines}")
    }
}

fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with code {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        (None, None) => format!("ended abnormally ({status})"),
    }
}

/// The agent's name in an app id of this provisioner.
fn agent_name(app_id: &str) -> ProvisionResult<&str> {
    match app_id.strip_prefix(PREFIX) {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(ProvisionError::Fatal { message: format!("`{app_id}` is not an app id of the command provisioner") }),
    }
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl Provisioner for CommandProvisioner {
    fn kind(&self) -> &'static str {
        "command"
    }

    /// The script keeps no record we can ask; it must itself cope with an agent that exists.
    fn find_apps<'a>(&'a self, _spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<Vec<String>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// The script cannot be asked; its deploy is run again after a crash or a timeout, so it must
    /// be idempotent (and a killed bot takes a running script with it: see `run`).
    fn deployments<'a>(&'a self, _app_id: &'a str) -> BoxFuture<'a, ProvisionResult<Vec<String>>> {
        Box::pin(async { Ok(Vec::new()) })
    }

    /// Nothing runs yet: the script creates the app when it deploys.
    fn create_app<'a>(&'a self, spec: &'a AppSpec) -> BoxFuture<'a, ProvisionResult<String>> {
        Box::pin(async move { Ok(format!("{PREFIX}{}", spec.name)) })
    }

    /// Nothing runs yet: the job keeps the variables and hands them to `deploy`.
    fn set_env<'a>(&'a self, _app_id: &'a str, _vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<()>> {
        Box::pin(async { Ok(()) })
    }

    fn deploy<'a>(&'a self, app_id: &'a str, vars: &'a [EnvVar]) -> BoxFuture<'a, ProvisionResult<String>> {
        Box::pin(async move {
            let name = agent_name(app_id)?;
            self.run(name, Action::Deploy(vars)).await?;
            Ok(format!("{PREFIX}{name}:{}", unix_now()))
        })
    }

    /// The script is synchronous: when `deploy` returned, it was done.
    fn status<'a>(&'a self, _app_id: &'a str, _deployment_id: &'a str) -> BoxFuture<'a, ProvisionResult<DeployStatus>> {
        Box::pin(async { Ok(DeployStatus::Finished) })
    }

    fn delete<'a>(&'a self, app_id: &'a str) -> BoxFuture<'a, ProvisionResult<()>> {
        Box::pin(async move {
            let name = agent_name(app_id)?;
            self.run(name, Action::Destroy).await
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_lines_are_the_last_ten_non_blank_ones() {
        let mut tail = Tail::default();
        for i in 1..=15 {
            tail.push(format!("line {i}\n\n").as_bytes());
        }
        let lines = tail.last_lines(&[]);
        assert_eq!(lines.lines().count(), TAIL_LINES);
        assert!(lines.starts_with("line 6\n") && lines.ends_with("line 15"), "{lines}");
    }

    #[test]
    fn a_secret_cut_in_half_by_the_buffer_limit_is_never_shown() {
        // The buffer's start was dropped in the middle of a line holding a secret: its end is
        // all that is left, and masking cannot recognize it.
        let tail = Tail { bytes: b"-value-of-some-length\nok\n".to_vec(), truncated: true };
        assert_eq!(tail.last_lines(&["s3cr3t-value-of-some-length"]), "ok");
        let whole = Tail { bytes: b"no newline at all".to_vec(), truncated: true };
        assert_eq!(whole.last_lines(&[]), "");
    }

    #[test]
    fn the_buffer_stays_bounded() {
        let mut tail = Tail::default();
        for _ in 0..1000 {
            tail.push(&[b'x'; 1000]);
        }
        assert!(tail.truncated && tail.bytes.len() <= 2 * TAIL_BYTES);
    }

    #[test]
    fn masking_hides_the_longest_secret_whole() {
        assert_eq!(mask("abc abcdef", &["abc", "abcdef", ""]), "*** ***");
    }

    #[test]
    fn long_lines_are_cut() {
        let line = "é".repeat(LINE_CHARS + 10);
        let cut = cut_line(&line);
        assert_eq!(cut.chars().count(), LINE_CHARS + 1);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn app_ids_carry_the_agent_name() {
        assert_eq!(agent_name("command:peter"), Ok("peter"));
        assert!(agent_name("command:").is_err());
        assert!(agent_name("peter").is_err());
    }

    #[test]
    fn variables_the_os_cannot_carry_are_refused_without_showing_the_value() {
        let bad_key = EnvVar { key: "A=B".into(), value: "v".into(), secret: false };
        assert!(check_var(&bad_key).is_err());
        let bad_value = EnvVar { key: "TOKEN".into(), value: "top\0secret".into(), secret: true };
        let e = check_var(&bad_value).expect_err("NUL");
        assert!(!format!("{e:?}").contains("secret"), "{e:?}");
    }
}
