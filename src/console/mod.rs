//! `m2o-bot console`: try the bot without Telegram. One process runs the Bot API emulator, the
//! real bot against it (`App::build` + `server::start`, configured through `Config::from_lookup`), the
//! `log` mailer (mail is shown in the console), the `dry-run` provisioner and a temporary data dir
//! (or `--data-dir`). The person at the terminal plays every role: clients, the master, BotFather,
//! an agent calling the HTTP API, and the clock. `--script FILE` reads the same lines from a file
//! and checks the replies with `expect:` lines (see [`HELP`]); `tests/scripts/` are examples.
//!
//! Files: `session.rs` the session and what each line does, `command.rs` parsing a line,
//! `persona.rs` the people, `inbox.rs` what the bots did (numbered buttons, reply queues, mail),
//! `render.rs` how it looks, `output.rs` where it goes (stdout or the line editor), `logs.rs` the
//! bot's log and the log mailer, `agent.rs` the agent's HTTP calls, `repl.rs` and `script.rs`.

mod agent;
mod command;
mod inbox;
mod logs;
mod output;
mod persona;
mod render;
mod repl;
mod script;
mod session;

use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

pub use session::CONTROL_BOT;

/// `console` flags (also accepted on a script's `#!` first line).
#[derive(clap::Args, Debug, Clone, Default)]
pub struct Args {
    /// Read the lines from FILE instead of the terminal (echoed; `expect:` lines check replies; the
    /// first failure exits 1).
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Keep the data in DIR (reused by a later run) instead of a temporary dir.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Every request waits for the master (M2O_REVIEW_ALL=true) instead of the auto-approval rule.
    #[arg(long)]
    pub review_all: bool,
    /// Seconds that `expect:`, `tap "LABEL"` and `:code` wait for what they need.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub wait: u64,
}

/// For parsing a script's `#!` line with the same flags.
#[derive(Parser)]
#[command(no_binary_name = true)]
struct Directive {
    #[command(flatten)]
    args: Args,
}

pub const HELP: &str = r#"
Whatever you type that is not a command below is sent to the control bot as the current person's
text message: /start, an email, a code, an agent name, /spawn …, /fleet … Bot messages show their
buttons numbered for the whole session; edits, tap answers (toasts), deletions and mail are marked.

People
  /as master                    become the master (the id in M2O_MASTER_IDS)
  /as client [N] [LANG]         become client N (default 1), created on first use; LANG is their
                                Telegram language, e.g. /as client 2 pl
  :who                          who exists, who you are, which bots exist
Buttons
  tap N                         press button N (old messages too, while the button is shown)
  tap "LABEL"                   press the button whose label contains LABEL on the newest message
                                to you that has one (waits for it to arrive)
  :chat                         your chats as they are now, buttons numbered
Telegram and mail
  :botfather USERNAME           BotFather makes bot USERNAME; you forward its "Done! …" message
                                (with the token) to the control bot
  :newbot USERNAME              you tap [🤖 Create my bot] and finish Telegram's dialog: bot
                                USERNAME is made, managed by the control bot, which is told
  :token USERNAME               print bot USERNAME's token (made if needed), to paste or /spawn
  :start USERNAME               press Start in bot USERNAME, so it may write to you
  :code                         send the one-time code last mailed to your email
  :code wrong                   send a code that is surely wrong
  :mails                        every mail the log mailer did not send
  :say TEXT                     send TEXT as is (for text that looks like a command)
  :reply "PART" TEXT            answer with Telegram's Reply the newest bot message to you that
                                contains PART (a master answering a client's relayed message)
  {{code}}, {{token:USERNAME}}  in a message: the code, or that bot's token; {{NAME}}: a value
                                captured by an expect with a named group, e.g.
                                expect: request #(?P<id>\d+)   then   /approve {{id}}
                                (also in later expect patterns)
Agents (the agents' HTTP API, with the agent's own bearer token)
  :agent NAME online
  :agent NAME heartbeat [--card ID] [DOING…]
  :agent NAME escalate DOING | TRIED[; TRIED…] | NEED [| PROPOSED FIX]   (escalate! = urgent)
Time (the bot's clock: code expiry, daily limits, schedules)
  :time                         show it
  :time +2h | +30m | -1d | +1h30m | 2026-12-01T06:59Z
Checks (scripts; at the prompt they just report)
  expect: REGEX                 the next reply to you must match REGEX
  expect-later: REGEX           pass over replies (each is printed) until one matches
  expect-any: REGEX             take the oldest queued reply that matches, wherever it is; the
                                others stay queued in order (for replies that race, e.g. a
                                command's answer and the job it started)
  expect-toast: REGEX           the answer (toast) to your latest tap must match
  expect-none                   no reply to you for 1 s
  A reply is a new message or an edit by any bot in the current person's chats. Each person has a
  queue of replies in the order they arrived; expect: takes the oldest one no check has taken yet
  (waiting up to --wait seconds) and fails if it does not match: typing and switching people never
  drop replies; only expect-later passes over any, and expect-any takes one out of order. Tap answers are not replies: expect-toast
  looks at the answer to your latest tap only. Deletions are shown but are not replies.
Other
  :help                         this
  :quit, Ctrl-D                 leave (the temporary data dir is removed)
"#;

/// Runs the console; the exit code is 0, 1 for a failed script, 2 when it could not start.
pub fn run(args: Args) -> ExitCode {
    let mut args = args;
    let script = match &args.script {
        Some(path) => match script::Script::load(path) {
            Ok(script) => Some(script),
            Err(e) => {
                eprintln!("m2o-bot console: {e}");
                return ExitCode::from(2);
            }
        },
        None => None,
    };
    if let Some(directive) = script.as_ref().filter(|s| !s.directive.is_empty()) {
        match Directive::try_parse_from(&directive.directive) {
            Ok(d) => {
                args.review_all |= d.args.review_all;
                args.data_dir = args.data_dir.or(d.args.data_dir);
            }
            Err(e) => {
                eprintln!("m2o-bot console: {}:1: bad #! line: {e}", directive.path.display());
                return ExitCode::from(2);
            }
        }
    }
    let out = Arc::new(output::Output::new());
    let inbox = Arc::new(inbox::Inbox::default());
    logs::init(out.clone(), inbox.clone());
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("m2o-bot console: {e}");
            return ExitCode::from(2);
        }
    };
    let options = session::Options {
        data_dir: args.data_dir.clone(),
        review_all: args.review_all,
        wait: Duration::from_secs(args.wait),
    };
    let session = match rt.block_on(session::Session::start(options, out.clone(), inbox)) {
        Ok(session) => session,
        Err(e) => {
            eprintln!("m2o-bot console: could not start: {e:#}");
            return ExitCode::from(2);
        }
    };
    for line in session.banner() {
        out.line(&line);
    }
    let code = match &script {
        Some(script) => match rt.block_on(script::run(&session, script, &out)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(()) => ExitCode::FAILURE,
        },
        None => {
            repl::run(&rt, &session, &out);
            ExitCode::SUCCESS
        }
    };
    rt.block_on(session.stop());
    code
}
