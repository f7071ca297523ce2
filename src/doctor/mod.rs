//! `m2o-bot doctor`: every configured service checked with a real, harmless call (GETs, and a
//! Guacamole login that is closed again), and the data dir looked at without changing it — one line
//! each, with what was found or what is wrong and how to fix it. The checks run at once, each
//! within a bound, so one service that hangs does not hide the others. Nothing secret is printed:
//! the services' answers come through `services::probe`, which keeps tokens out.

mod data_dir;
mod integrations;
mod mail;
mod provisioning;
mod telegram;

use crate::config::Config;
use crate::services::probe::ProbeError;
use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Fail,
    /// Not configured: the bot runs without it, which is not a failure.
    NotConfigured,
}

/// One line of the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub name: &'static str,
    pub verdict: Verdict,
    /// What was found; for a failure, what is wrong and its fix.
    pub text: String,
}

impl Finding {
    fn pass(name: &'static str, text: impl Into<String>) -> Finding {
        Finding { name, verdict: Verdict::Pass, text: text.into() }
    }

    fn fail(name: &'static str, text: impl Into<String>) -> Finding {
        Finding { name, verdict: Verdict::Fail, text: text.into() }
    }

    fn not_configured(name: &'static str, why: &str) -> Finding {
        Finding { name, verdict: Verdict::NotConfigured, text: format!("not configured ({why})") }
    }
}

/// Every finding, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub findings: Vec<Finding>,
}

impl Report {
    pub fn problems(&self) -> usize {
        self.findings.iter().filter(|f| f.verdict == Verdict::Fail).count()
    }

    /// 0 when every configured check passed, 1 when one failed (2, an unusable configuration, is
    /// decided before the doctor runs).
    pub fn exit_code(&self) -> u8 {
        u8::from(self.problems() > 0)
    }

    /// The lines, the names in one column, and the outcome.
    pub fn render(&self) -> String {
        let width = self.findings.iter().map(|f| f.name.chars().count()).max().unwrap_or(0) + 4;
        let mut out = String::new();
        for f in &self.findings {
            let mark = match f.verdict {
                Verdict::Pass => "✅",
                Verdict::Fail => "❌",
                Verdict::NotConfigured => "➖",
            };
            let _ = writeln!(out, "{mark} {:width$} {}", f.name, f.text);
        }
        let configured = self.findings.iter().filter(|f| f.verdict != Verdict::NotConfigured).count();
        let _ = match self.problems() {
            0 => writeln!(out, "All {configured} configured checks passed. Exit code 0."),
            1 => writeln!(out, "1 problem. Exit code 1."),
            n => writeln!(out, "{n} problems. Exit code 1."),
        };
        out
    }
}

/// The first line: where the configuration came from.
pub fn header(env_file: Option<&std::path::Path>) -> String {
    match env_file.and_then(std::path::Path::parent) {
        Some(dir) => {
            format!("m2o-bot doctor — checking the configuration in {} (.env and the environment)", dir.display())
        }
        None => {
            let here = std::env::current_dir().map(|d| d.display().to_string()).unwrap_or_else(|_| ".".into());
            format!("m2o-bot doctor — checking the configuration from the environment (no .env in {here})")
        }
    }
}

/// How long one request may take: the configured HTTP timeout, at most 10 s — an operator waits at
/// a terminal, and a service that needs longer for a GET is worth a finding of its own.
fn request_timeout(config: &Config) -> Duration {
    config.http_timeout.min(Duration::from_secs(10))
}

/// Runs every check at once and collects the report.
pub async fn run(config: &Config) -> anyhow::Result<Report> {
    let timeout = request_timeout(config);
    let http = reqwest::Client::builder().connect_timeout(timeout).timeout(timeout).build()?;
    // A check makes at most two requests one after the other (Guacamole's login, then logout).
    let bound = timeout * 2 + Duration::from_secs(1);
    let data_dir = {
        let config = config.clone();
        // The store is opened with blocking I/O: off the runtime's threads.
        let task = tokio::task::spawn_blocking(move || data_dir::check(&config));
        async move { task.await.unwrap_or_else(|e| Finding::fail(data_dir::NAME, format!("the check stopped: {e}"))) }
    };
    let (telegram, mail, provisioning, crm, board, desktops, data) = tokio::join!(
        bounded(telegram::NAME, bound, telegram::check(config, &http)),
        bounded(mail::NAME, bound, mail::check(config, &http)),
        bounded(provisioning::NAME, bound, provisioning::check(config, &http)),
        bounded(integrations::TWENTY, bound, integrations::twenty(config, &http)),
        bounded(integrations::PLANKA, bound, integrations::planka(config, &http)),
        bounded(integrations::GUACAMOLE, bound, integrations::guacamole(config, &http)),
        bounded(data_dir::NAME, bound, data_dir),
    );
    Ok(Report { findings: vec![telegram, mail, provisioning, crm, board, desktops, data] })
}

/// A check that did not finish within `bound` is a finding too.
async fn bounded(name: &'static str, bound: Duration, check: impl Future<Output = Finding>) -> Finding {
    tokio::time::timeout(bound, check).await.unwrap_or_else(|_| {
        Finding::fail(
            name,
            format!(
                "no answer within {} s. Fix: check that this host can reach it, then run the doctor again",
                bound.as_secs()
            ),
        )
    })
}

/// Where a service is, for its messages: its name, its address (no credentials in it) and the
/// variable that sets that address.
struct Place<'a> {
    service: &'a str,
    url: String,
    var: &'a str,
}

impl Place<'_> {
    /// The message for the failures every service shares: no answer, or an unexpected one.
    /// `Refused` and `NotFound` mean something different for each service; they come here only
    /// when a service has nothing better to say.
    fn failure(&self, e: &ProbeError) -> String {
        let Place { service, url, var } = self;
        match e {
            ProbeError::Unreachable(cause) => {
                format!("{service} at {url} is unreachable ({cause}). Fix: check {var} and that this host can reach it")
            }
            ProbeError::Refused { status, detail } => {
                format!(
                    "{service} refused the request ({status} {detail}). Fix: check the credentials the bot is given"
                )
            }
            ProbeError::NotFound(detail) => {
                format!("{url} answered 404 ({detail}): not {service}'s API there. Fix: check {var}")
            }
            ProbeError::Failed(what) => format!(
                "{service} at {url} answered {what}. Fix: run the doctor again in a minute; if it stays, look at \
                 {service}'s own logs"
            ),
        }
    }
}

/// A long id shortened for a line: its first 8 characters.
fn short(id: &str) -> String {
    match id.char_indices().nth(8) {
        Some((i, _)) => format!("{}…", &id[..i]),
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(verdicts: &[Verdict]) -> Report {
        let names = ["Telegram", "Brevo", "Guacamole"];
        Report {
            findings: verdicts
                .iter()
                .zip(names)
                .map(|(v, name)| Finding { name, verdict: *v, text: format!("{name} text") })
                .collect(),
        }
    }

    #[test]
    fn names_are_in_one_column_and_the_last_line_says_the_exit_code() {
        let all_good = report(&[Verdict::Pass, Verdict::NotConfigured, Verdict::Pass]);
        assert_eq!(
            all_good.render(),
            "✅ Telegram      Telegram text\n➖ Brevo         Brevo text\n✅ Guacamole     Guacamole text\n\
             All 2 configured checks passed. Exit code 0.\n"
        );
        assert_eq!(all_good.exit_code(), 0);
        let one = report(&[Verdict::Fail, Verdict::NotConfigured, Verdict::Pass]);
        assert!(one.render().ends_with("1 problem. Exit code 1.\n"));
        assert_eq!(one.exit_code(), 1);
        let two = report(&[Verdict::Fail, Verdict::Fail, Verdict::Pass]);
        assert!(two.render().ends_with("2 problems. Exit code 1.\n"));
    }

    #[test]
    fn long_ids_are_shortened() {
        assert_eq!(short("a4w8kk8ok0c0gs4s0kwo4cgs"), "a4w8kk8o…");
        assert_eq!(short("abc"), "abc");
    }

    #[tokio::test(start_paused = true)]
    async fn a_check_that_hangs_is_a_failure_of_its_own() {
        let hangs = std::future::pending::<Finding>();
        let finding = bounded("Coolify", Duration::from_secs(21), hangs).await;
        assert_eq!(finding.verdict, Verdict::Fail);
        assert!(finding.text.starts_with("no answer within 21 s. Fix:"), "{}", finding.text);
    }
}
