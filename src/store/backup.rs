//! Backups: every entry of every tree as one JSON line `{"tree", "key" (hex), "json" | "hex"}`,
//! then `{"end": N}` with the count, so a file cut short is refused rather than half restored.
//! A snapshot of a running bot is consistent: commits share [`Store::writes`](super::Store) and
//! a snapshot holds it alone while it reads, so it never sees a change half applied across trees
//! (a contact moved without its audit entry). Sealed secrets stay sealed; the key is not in it.

use super::{Result, Store, StoreError, Tree, KEY_CHECK};
use serde_json::{json, Value};
use std::io::{BufRead, Write};

/// What a backup holds, by kind, for the person restoring it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Counts {
    pub entries: usize,
    pub contacts: usize,
    pub agents: usize,
    pub jobs: usize,
    pub audit: usize,
}

impl Counts {
    fn add(&mut self, tree: &str) {
        self.entries += 1;
        match Tree::named(tree) {
            Some(Tree::Contacts) => self.contacts += 1,
            Some(Tree::Agents) => self.agents += 1,
            Some(Tree::Jobs) => self.jobs += 1,
            Some(Tree::Audit) => self.audit += 1,
            _ => {}
        }
    }
}

impl std::fmt::Display for Counts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} entries: {} contacts, {} agents, {} provisioning jobs, {} audit entries",
            self.entries, self.contacts, self.agents, self.jobs, self.audit
        )
    }
}

/// A backup read and checked in full, not yet written anywhere.
pub struct Backup {
    entries: Vec<(Tree, Vec<u8>, Vec<u8>)>,
    pub counts: Counts,
}

impl Backup {
    /// Reads a backup; any line that is not one of ours, or a missing or wrong end line, refuses
    /// the whole file.
    pub fn read(input: impl BufRead) -> anyhow::Result<Backup> {
        let mut entries = Vec::new();
        let mut counts = Counts::default();
        let mut end = None;
        for (i, line) in input.lines().enumerate() {
            let line = line?;
            if line.trim().is_empty() {
                continue;
            }
            let bad = |what: &str| anyhow::anyhow!("line {}: {what}", i + 1);
            anyhow::ensure!(end.is_none(), bad("there is more after the end line"));
            let v: Value = serde_json::from_str(&line).map_err(|e| bad(&format!("not JSON ({:?})", e.classify())))?;
            if let Some(n) = v.get("end") {
                end = Some(n.as_u64().ok_or_else(|| bad("the end line's count is not a number"))?);
                continue;
            }
            let name = v["tree"].as_str().ok_or_else(|| bad("no tree"))?;
            let tree = Tree::named(name).ok_or_else(|| bad(&format!("unknown tree {name:?}")))?;
            let key =
                hex::decode(v["key"].as_str().ok_or_else(|| bad("no key"))?).map_err(|_| bad("key is not hex"))?;
            let value = match (v.get("json"), v.get("hex").and_then(Value::as_str)) {
                (Some(j), _) => serde_json::to_vec(j)?,
                (None, Some(h)) => hex::decode(h).map_err(|_| bad("value is not hex"))?,
                _ => return Err(bad("no value")),
            };
            counts.add(name);
            entries.push((tree, key, value));
        }
        match end {
            None => anyhow::bail!("the backup has no end line: it was cut short (copy it again from its source)"),
            Some(n) if n as usize != entries.len() => {
                anyhow::bail!("the backup's end line says {n} entries but it holds {}: it is damaged", entries.len())
            }
            Some(_) => Ok(Backup { entries, counts }),
        }
    }

    /// The key check value the backed-up store was sealed with, if it had one.
    pub fn key_check(&self) -> Option<String> {
        self.entries
            .iter()
            .find(|(tree, key, _)| *tree == Tree::Meta && key == KEY_CHECK.as_bytes())
            .map(|(_, _, value)| String::from_utf8_lossy(value).to_string())
    }

    /// Writes it into an empty store.
    pub fn write_into(&self, store: &Store) -> Result<()> {
        if !store.is_empty() {
            return Err(StoreError::Open("the data dir is not empty: restore only into a new one".into()));
        }
        for (tree, key, value) in &self.entries {
            store.tree(*tree).insert(key.as_slice(), value.as_slice())?;
        }
        Ok(())
    }
}

impl Store {
    /// Writes a consistent backup of everything (see the module's docs); commits wait meanwhile.
    pub fn write_backup(&self, out: &mut impl Write) -> anyhow::Result<Counts> {
        let _alone = self.writes.write().unwrap_or_else(|e| e.into_inner());
        let mut counts = Counts::default();
        for tree in Tree::ALL {
            for item in self.tree(tree).iter() {
                let (key, value) = item?;
                let mut line = json!({ "tree": tree.name(), "key": hex::encode(&key) });
                match serde_json::from_slice::<Value>(&value) {
                    Ok(v) => line["json"] = v,
                    Err(_) => line["hex"] = json!(hex::encode(&value)),
                }
                writeln!(out, "{line}")?;
                counts.add(tree.name());
            }
        }
        writeln!(out, "{}", json!({ "end": counts.entries }))?;
        out.flush()?;
        Ok(counts)
    }
}
