//! `m2o-bot console --script FILE`: the same lines as at the prompt, read from a file, each echoed
//! before it runs. Blank lines and `#` comments are skipped (comments are echoed, they explain the
//! flow). A first line `#! --review-all` (any `console` flags) configures the session. The first
//! failed command or expectation stops the script with `FILE:LINE:` and what was seen; the
//! process then exits 1.

use super::output::{Output, Style};
use super::session::{Flow, Session};
use std::path::{Path, PathBuf};

pub struct Script {
    pub path: PathBuf,
    pub lines: Vec<String>,
    /// The words after `#!` on the first line: extra `console` flags.
    pub directive: Vec<String>,
}

impl Script {
    pub fn load(path: &Path) -> Result<Script, String> {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let directive = lines
            .first()
            .and_then(|l| l.strip_prefix("#!"))
            .map(|d| d.split_whitespace().map(str::to_string).collect())
            .unwrap_or_default();
        Ok(Script { path: path.to_path_buf(), lines, directive })
    }
}

/// Runs every line; `Err` carries the failure, already shown.
pub async fn run(session: &Session, script: &Script, out: &Output) -> Result<(), ()> {
    let name = script.path.display();
    let mut checks = 0;
    for (index, line) in script.lines.iter().enumerate() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('#') {
            out.styled(Style::Dim, trimmed);
            continue;
        }
        out.line(&format!("{}{trimmed}", out.paint(Style::Dim, &session.prompt())));
        checks += usize::from(trimmed.starts_with("expect"));
        match session.execute(trimmed).await {
            Ok(Flow::Continue) => {}
            Ok(Flow::Quit) => break,
            Err(why) => {
                out.styled(Style::Error, &format!("✗ {name}:{}: {why}", index + 1));
                return Err(());
            }
        }
    }
    out.styled(Style::Ok, &format!("✓ {name}: every line ran, {checks} expectations met"));
    Ok(())
}
