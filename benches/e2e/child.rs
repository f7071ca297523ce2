//! A bot in a process of its own: started, waited for, measured from /proc (CPU, peak RSS) or
//! under callgrind (instructions), and stopped with SIGTERM.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::{Duration, Instant};

/// The bot process running now (0: none), for the watchdog to kill when the bot is stuck.
pub static RUNNING: AtomicI32 = AtomicI32::new(0);

/// How the bot's process is measured.
#[derive(Clone, Copy, PartialEq)]
pub enum Probe {
    /// CPU and peak RSS from /proc: the wall-clock runs.
    Proc,
    /// Under `valgrind --tool=callgrind`, instrumented only while the clients are at work.
    Callgrind,
}

pub struct Child {
    process: tokio::process::Child,
    pub pid: i32,
    probe: Probe,
    /// The child's working directory: its log (`bot.log`) and callgrind's dumps.
    dir: tempfile::TempDir,
}

/// Where the instructions of a callgrind window went.
pub struct Profile {
    /// `Ir` of the window (the dump's `totals:`).
    pub instructions: u64,
    /// `callgrind_annotate`'s top functions by self Ir.
    pub by_self: Vec<String>,
    /// Self Ir summed by crate (the first segment of the function's path; C libraries by file).
    pub by_crate: Vec<String>,
    /// Our own functions (`m2o_bot::`) by inclusive Ir: which handlers and store calls cost most.
    pub ours_inclusive: Vec<String>,
}

/// The CPU time of a process.
#[derive(Clone, Copy, Default)]
pub struct Cpu {
    /// utime and stime (/proc/<pid>/stat, in clock ticks: 10 ms at the usual USER_HZ of 100).
    pub user: Duration,
    pub system: Duration,
    /// The process's CPU clock (`clock_getcpuclockid`): user + system of every thread, to the
    /// nanosecond, where the ticks would be ±10 ms on each reading of a short window.
    pub exact: Option<Duration>,
}

impl Cpu {
    pub fn total(self) -> Duration {
        self.exact.unwrap_or(self.user + self.system)
    }
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, earlier: Cpu) -> Cpu {
        Cpu {
            user: self.user.saturating_sub(earlier.user),
            system: self.system.saturating_sub(earlier.system),
            exact: self.exact.zip(earlier.exact).map(|(now, then)| now.saturating_sub(then)),
        }
    }
}

impl Child {
    /// Starts `program args` with only `env` (plus PATH and HOME) in a temporary working
    /// directory, so the developer's environment or a `.env` next to the sources cannot change the
    /// bot's configuration. Its stdout and stderr go to `bot.log` there, or to the bench's stderr.
    pub fn spawn(program: &Path, args: &[&str], env: &[(&str, String)], probe: Probe, log_to_stderr: bool) -> Child {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mut cmd = match probe {
            Probe::Proc => tokio::process::Command::new(program),
            Probe::Callgrind => {
                let mut cmd = tokio::process::Command::new("valgrind");
                cmd.args([
                    "--tool=callgrind",
                    // Off until `callgrind_control -i on` (about 4× slower instead of ~50× meanwhile).
                    "--instr-atstart=no",
                    "--dump-instr=no",
                ]);
                cmd.arg(format!("--callgrind-out-file={}/callgrind.%p", dir.path().display()));
                cmd.arg(program);
                cmd
            }
        };
        cmd.args(args).env_clear();
        for name in ["PATH", "HOME"] {
            if let Some(value) = std::env::var_os(name) {
                cmd.env(name, value);
            }
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v))).current_dir(dir.path()).stdin(Stdio::null());
        if log_to_stderr {
            cmd.stdout(Stdio::inherit()).stderr(Stdio::inherit());
        } else {
            let log = std::fs::File::create(dir.path().join("bot.log")).expect("the bot's log file");
            cmd.stdout(log.try_clone().expect("the bot's log file")).stderr(log);
        }
        // The bot dies with the bench (a panic, the watchdog's exit): the signal is sent when the
        // thread that spawned it ends, and this runs on the main thread (`block_on`).
        // SAFETY: prctl(2) is async-signal-safe and touches nothing of the parent's.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let process =
            cmd.kill_on_drop(true).spawn().unwrap_or_else(|e| panic!("cannot start {}: {e}", program.display()));
        let pid = process.id().expect("a running child") as i32;
        RUNNING.store(pid, Ordering::Relaxed);
        Child { process, pid, probe, dir }
    }

    pub fn log_path(&self) -> PathBuf {
        self.dir.path().join("bot.log")
    }

    /// The last lines of its log, for a failure's message.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Panics (with its log) if the process has exited.
    pub fn check_alive(&mut self) {
        if let Ok(Some(status)) = self.process.try_wait() {
            RUNNING.store(0, Ordering::Relaxed);
            panic!("the bot's process exited ({status}) while it was needed; its log ends:\n{}", self.log_tail());
        }
    }

    /// Waits until `GET /healthz` on `addr` answers 200.
    pub async fn wait_healthy(&mut self, addr: std::net::SocketAddr, within: Duration) {
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap();
        let deadline = Instant::now() + within;
        loop {
            self.check_alive();
            let answer = http.get(format!("http://{addr}/healthz")).send().await;
            if answer.is_ok_and(|a| a.status().is_success()) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the bot was not healthy within {within:?}; its log ends:\n{}",
                self.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The CPU time of every thread of the process, living or ended.
    pub fn cpu(&self) -> Cpu {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid)).unwrap_or_default();
        // The command name (field 2) is in parentheses and may hold spaces: count from after it.
        let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("").split_whitespace().collect();
        // Field 3 (state) is the first after it; utime and stime are fields 14 and 15.
        let field = |n: usize| fields.get(n - 3).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        // SAFETY: sysconf only reads a system value.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
        let ticks = |n: u64| Duration::from_secs_f64(n as f64 / hz);
        let mut clock: libc::clockid_t = 0;
        let mut now = libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: both calls only write the values they are given.
        let read = unsafe {
            libc::clock_getcpuclockid(self.pid, &mut clock) == 0 && libc::clock_gettime(clock, &mut now) == 0
        };
        let exact = read.then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32));
        Cpu { user: ticks(field(14)), system: ticks(field(15)), exact }
    }

    /// Resets the process's VmHWM to its current RSS (`5` in /proc/<pid>/clear_refs).
    pub fn reset_peak_rss(&self) {
        let _ = std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5");
    }

    /// VmHWM in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid)).unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0)
    }

    /// `callgrind_control <args> <pid>`; panics if it fails (the figures would be wrong).
    pub async fn callgrind_control(&self, args: &[&str]) {
        assert!(self.probe == Probe::Callgrind, "callgrind_control on a bot not run under callgrind");
        let out = tokio::process::Command::new("callgrind_control")
            .args(args)
            .arg(self.pid.to_string())
            .output()
            .await
            .expect("callgrind_control (valgrind) is installed");
        let said = String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success() && said.contains("OK"), "callgrind_control {args:?} {}: {said}", self.pid);
    }

    /// SIGTERM, then waits for the exit: Ok if it exits 0 within `within`, else why not (and
    /// the process is killed).
    pub async fn stop(&mut self, within: Duration) -> Result<(), String> {
        // SAFETY: kill(2) on our own child's pid, which it keeps until we reap it below.
        unsafe { libc::kill(self.pid, libc::SIGTERM) };
        let result = match tokio::time::timeout(within, self.process.wait()).await {
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(format!("{status}; its log ends:\n{}", self.log_tail())),
            Ok(Err(e)) => Err(format!("cannot wait for it: {e}")),
            Err(_) => {
                let _ = self.process.start_kill();
                let _ = self.process.wait().await;
                Err(format!(
                    "it did not exit within {within:?} of SIGTERM (killed); its log ends:\n{}",
                    self.log_tail()
                ))
            }
        };
        RUNNING.store(0, Ordering::Relaxed);
        result
    }

    /// The instructions (`totals:`) of callgrind's dump number `n` (1: the clients' window).
    pub fn dump_instructions(&self, n: u32) -> u64 {
        let dump = self.dir.path().join(format!("callgrind.{}.{n}", self.pid));
        let text = std::fs::read_to_string(&dump).unwrap_or_else(|e| panic!("{}: {e}", dump.display()));
        text.lines()
            .find_map(|l| l.strip_prefix("totals:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no totals in {}", dump.display()))
    }

    /// `M2O_BENCH_KEEP=DIR`: copies callgrind's dumps there (`<label>.callgrind.<n>`), for
    /// `callgrind_annotate --tree=caller` and the like.
    pub fn keep_dumps(&self, to: &Path, label: &str) {
        let _ = std::fs::create_dir_all(to);
        let label: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
        for n in 1..=2 {
            let dump = self.dir.path().join(format!("callgrind.{}.{n}", self.pid));
            if dump.exists() {
                let _ = std::fs::copy(&dump, to.join(format!("{label}.callgrind.{n}")));
            }
        }
    }

    /// The instructions of the first callgrind dump (the clients' window), and where they went.
    pub fn profile(&self, top: usize) -> Profile {
        let dump = self.dir.path().join(format!("callgrind.{}.1", self.pid));
        let text = std::fs::read_to_string(&dump).unwrap_or_else(|e| panic!("{}: {e}", dump.display()));
        // `totals:` (at the end) is the window's sum; `summary:` (at the top) reads 0 once
        // instrumentation is off before the dump, so it is only the fallback.
        let line = |key: &str| text.lines().find_map(|l| l.strip_prefix(key)).map(str::to_owned);
        let instructions: u64 = line("totals:")
            .or_else(|| line("summary:"))
            .and_then(|v| v.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no totals in {}", dump.display()));
        let by_self = annotate(&dump, false);
        let mut crates: HashMap<String, u64> = HashMap::new();
        for row in &by_self {
            *crates.entry(crate_of(&row.function, row.object.as_deref())).or_default() += row.ir;
        }
        let mut crates: Vec<(String, u64)> = crates.into_iter().collect();
        crates.sort_by_key(|(_, ir)| std::cmp::Reverse(*ir));
        let percent = |ir: u64| 100.0 * ir as f64 / instructions.max(1) as f64;
        Profile {
            instructions,
            by_self: by_self.iter().take(top).map(|r| r.line.clone()).collect(),
            by_crate: crates.iter().take(top).map(|(c, ir)| format!("{:>6.2}%  {c}", percent(*ir))).collect(),
            ours_inclusive: annotate(&dump, true)
                .into_iter()
                // Recursion marks ('2) count a function's nested calls again (over 100% at times).
                .filter(|r| r.function.contains("m2o_bot::") && !r.function.contains("'2"))
                .take(top)
                .map(|r| r.line)
                .collect(),
        }
    }
}

/// One row of `callgrind_annotate`'s function table.
struct Row {
    ir: u64,
    function: String,
    /// The object's file name (`m2o-bot`, `libc.so.6`), when callgrind knows it.
    object: Option<String>,
    /// As printed, the object's path cut to its file name.
    line: String,
}

/// `callgrind_annotate`'s whole function table (`--threshold=100`), by self or inclusive Ir.
fn annotate(dump: &Path, inclusive: bool) -> Vec<Row> {
    let out = std::process::Command::new("callgrind_annotate")
        .arg(format!("--inclusive={}", if inclusive { "yes" } else { "no" }))
        .arg("--threshold=100")
        .arg(dump)
        .output()
        .expect("callgrind_annotate (valgrind) is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    // The table follows the last header naming `file:function`, after a line of dashes. A row:
    // `38,127,117 ( 8.32%)  file:function [object]`, where the file is `???` without debug info.
    let table = text.rsplit_once("file:function").map(|(_, t)| t).unwrap_or("");
    table
        .lines()
        .skip_while(|l| !l.starts_with("---"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| {
            let ir = l.split_whitespace().next()?.replace(',', "").parse().ok()?;
            let (_, rest) = l.split_once("%)")?;
            let (mut function, object) = match rest.rfind(" [") {
                Some(at) if rest.ends_with(']') => (rest[..at].trim(), Some(&rest[at + 2..rest.len() - 1])),
                _ => (rest.trim(), None),
            };
            // `file:function`: the file is `???` or a C source path (no colons in C names).
            if let Some((file, name)) = function.split_once(':') {
                if file == "???" || file.contains('/') || file.contains('.') {
                    function = name;
                }
            }
            let object = object.map(|o| o.rsplit('/').next().unwrap_or(o));
            let head = &l[..l.find("%)").map_or(0, |i| i + 2)];
            let line = match object {
                Some(o) => format!("{head}  {function} [{o}]"),
                None => format!("{head}  {function}"),
            };
            Some(Row { ir, function: function.to_string(), object: object.map(str::to_string), line })
        })
        .collect()
}

/// The crate a function's instructions belong to: the first segment of its path (the type's crate
/// for `<T as Trait>::f`); for C, the library, with libc's allocator and memcpy family apart.
fn crate_of(function: &str, object: Option<&str>) -> String {
    let name = function.trim_start_matches(['<', '&']).trim_start_matches("mut ").trim_start_matches("dyn ");
    let c = object.is_some_and(|o| o.contains(".so")) || !function.contains("::");
    if !c {
        if let Some((first, _)) = name.split_once("::") {
            if !first.is_empty() && !first.contains(' ') {
                return first.to_string();
            }
        }
        return "(other Rust)".into();
    }
    // C: libc's allocator and memcpy family by name (a row may lack its object), else the library.
    if ["malloc", "free", "alloc", "arena", "tcache"].iter().any(|w| function.contains(w)) {
        return "libc: malloc/free".into();
    }
    if ["mem", "str"].iter().any(|w| function.starts_with(w) || function.starts_with(&format!("__{w}"))) {
        return "libc: memcpy/memcmp/…".into();
    }
    match object {
        Some(o) if o.starts_with("libc.so") => "libc: other".into(),
        Some(o) => o.to_string(),
        None => "(other C)".into(),
    }
}
