//! The offline commands on a data dir: `registry` (the fleet registry as a table or JSON), `export`
//! (a backup: everything in the store as JSON lines; secrets stay sealed or hashed) and `restore`
//! (a backup into an empty data dir, with its key). They open the store directly, so the bot must
//! not be running on it; a running bot is backed up over its HTTP API or by its scheduler.

use crate::crypto::{Secrets, KEY_FILE};
use crate::store::backup::{Backup, Counts};
use crate::store::Store;
use serde_json::{json, Value};
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// The registry as rows: name, state, owner, app id, created.
pub fn registry_rows(store: &Store) -> anyhow::Result<Vec<[String; 5]>> {
    let mut agents = store.agents()?;
    agents.sort_by_key(|a| a.created_at);
    Ok(agents
        .into_iter()
        .map(|a| {
            [
                a.name,
                a.state.as_str().to_string(),
                a.owner_label,
                a.app_id.unwrap_or_else(|| "-".into()),
                a.created_at.format("%Y-%m-%d %H:%M").to_string(),
            ]
        })
        .collect())
}

pub fn registry_table(store: &Store) -> anyhow::Result<String> {
    let mut rows = vec![["NAME", "STATE", "OWNER", "APP", "CREATED"].map(String::from)];
    rows.extend(registry_rows(store)?);
    let widths: Vec<usize> = (0..5).map(|i| rows.iter().map(|r| r[i].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in rows {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    Ok(out)
}

pub fn registry_json(store: &Store) -> anyhow::Result<String> {
    let agents: Vec<Value> = store.agents()?.into_iter().map(|a| {
        json!({"name": a.name, "state": a.state.as_str(), "owner": a.owner_label, "app_id": a.app_id, "bot": a.bot_username, "created_at": a.created_at})
    }).collect();
    Ok(format!("{}\n", serde_json::to_string_pretty(&agents)?))
}

/// Writes a backup of everything (`store::backup`'s format; secrets stay sealed or hashed).
pub fn export(store: &Store, out: &mut impl Write) -> anyhow::Result<Counts> {
    store.write_backup(out)
}

/// Where a restore finds the secret key the backup was made with.
pub enum Key {
    /// A key file saved with the backup (`secret.key`); it is copied into the new data dir.
    File(PathBuf),
    /// `M2O_SECRET_KEY`, which the restored bot will be started with too.
    Hex(String),
    /// A `secret.key` already placed in the new data dir.
    InDataDir,
}

/// Restores a backup into a new (or empty) data dir, only with the key it was made with: the whole
/// file is read and checked, and the key compared, before anything is written. Returns the store,
/// still open (a dropped sled store frees its data dir a moment later, not at once).
pub fn restore(data_dir: &Path, backup: impl BufRead, key: Key) -> anyhow::Result<(Store, Counts)> {
    let backup = Backup::read(backup)?;
    let secrets = match &key {
        Key::File(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Secrets::from_hex(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?
        }
        Key::Hex(hex) => Secrets::from_hex(hex).map_err(|e| anyhow::anyhow!("M2O_SECRET_KEY: {e}"))?,
        Key::InDataDir => Secrets::read_key_file(data_dir)?.ok_or_else(|| {
            anyhow::anyhow!(
                "a restore needs the secret key the backup was made with: give --key-file (the {KEY_FILE} saved with \
                 the backup), set M2O_SECRET_KEY, or put {KEY_FILE} in {}",
                data_dir.display()
            )
        })?,
    };
    match backup.key_check() {
        Some(check) if check == secrets.key_check() => {}
        Some(_) => anyhow::bail!(
            "the key does not match this backup: it was made with another secret key, and none of its sealed bot \
             tokens could be read. Nothing was written. Give the key saved with this backup."
        ),
        None => anyhow::bail!("the backup has no key check (it was not written by m2o-bot); nothing was written"),
    }
    let store = Store::open(data_dir)?;
    backup.write_into(&store)?;
    store.flush_blocking()?;
    if let Key::File(path) = key {
        let copy = data_dir.join(KEY_FILE);
        if !copy.exists() {
            crate::crypto::write_private(&copy, std::fs::read(&path)?.as_slice())?;
        }
    }
    Ok((store, backup.counts))
}
