//! Backups of the running bot: a consistent snapshot of the store (`store::backup`) written to
//! `M2O_BACKUP_DIR` once a day — the scheduler asks [`due`] on every tick, so a day missed while
//! the bot was down is made up at once — keeping the newest `M2O_BACKUP_KEEP`. A file is written
//! under a temporary name, synced, then renamed, so a crash mid-write never leaves a file that
//! looks like a backup. The secret key is not in them: keep `secret.key` apart (see the README).

use crate::app::App;
use crate::store::backup::Counts;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::path::{Path, PathBuf};

const PREFIX: &str = "m2o-";
const SUFFIX: &str = ".jsonl";
const STAMP: &str = "%Y%m%dT%H%M%SZ";

/// Whether a day has passed since the newest backup in `dir` (or there is none).
pub fn due(dir: &Path, now: DateTime<Utc>) -> bool {
    backups(dir).last().is_none_or(|(taken, _)| now - *taken >= chrono::Duration::days(1))
}

/// Writes a backup into `dir` (made if needed, for this user only) and drops all but the newest
/// `keep`. Blocking: call it off the async threads.
pub fn take(app: &App, dir: &Path, keep: usize) -> anyhow::Result<(PathBuf, Counts)> {
    std::fs::create_dir_all(dir)?;
    let now = app.clock.now();
    let path = dir.join(format!("{PREFIX}{}{SUFFIX}", now.format(STAMP)));
    let part = path.with_extension("jsonl.part");
    let file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).open(&part)?;
    let mut out = std::io::BufWriter::new(file);
    let counts = app.store.write_backup(&mut out)?;
    out.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    std::fs::rename(&part, &path)?;
    let all = backups(dir);
    for (_, old) in all.iter().take(all.len().saturating_sub(keep)) {
        if let Err(e) = std::fs::remove_file(old) {
            tracing::warn!(file = %old.display(), error = %e, "could not remove an old backup");
        }
    }
    Ok((path, counts))
}

/// Our backups in `dir`, oldest first, by the time in their names.
fn backups(dir: &Path) -> Vec<(DateTime<Utc>, PathBuf)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut found: Vec<_> = entries
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
            let taken = NaiveDateTime::parse_from_str(stamp, STAMP).ok()?.and_utc();
            Some((taken, e.path()))
        })
        .collect();
    found.sort();
    found
}

/// For the scheduler: a backup if one is due. A failure is logged and counted, and tried again on
/// the next tick.
pub async fn run_due(app: &std::sync::Arc<App>) {
    let Some(dir) = app.config.backup_dir.clone() else { return };
    if !due(&dir, app.clock.now()) {
        return;
    }
    let (worker, keep) = (app.clone(), app.config.backup_keep);
    match tokio::task::spawn_blocking(move || take(&worker, &dir, keep)).await {
        Ok(Ok((path, counts))) => tracing::info!(file = %path.display(), %counts, "backup written"),
        Ok(Err(e)) => {
            app.metrics.backups_failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::error!(error = %format!("{e:#}"), "backup failed");
        }
        Err(e) => tracing::error!(error = %e, "backup task failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_after_the_newest_backup_another_is_due() {
        let dir = tempfile::tempdir().unwrap();
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert!(due(dir.path(), at("2026-11-30T03:00:00Z")), "none yet");
        std::fs::write(dir.path().join("m2o-20261130T030000Z.jsonl"), "").unwrap();
        std::fs::write(dir.path().join("m2o-20261129T030000Z.jsonl.part"), "").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        assert!(!due(dir.path(), at("2026-12-01T02:59:59Z")));
        assert!(due(dir.path(), at("2026-12-01T03:00:00Z")));
        assert_eq!(backups(dir.path()).len(), 1, "only finished backups of ours count");
    }
}
