//! The offline commands on a data dir: `registry` (the fleet registry as a table or JSON), `export`
//! (everything in the store as JSON lines; secrets stay sealed or hashed) and `import` (those lines
//! into an empty data dir). They open the store directly, so the bot must not be running on it.

use crate::store::Store;
use serde_json::{json, Value};
use std::io::{BufRead, Write};

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
    Ok(serde_json::to_string_pretty(&agents)?)
}

/// Writes every entry as `{"tree", "key" (hex), "json" | "hex"}`, one per line. Returns the count.
pub fn export(store: &Store, out: &mut impl Write) -> anyhow::Result<usize> {
    let mut n = 0;
    for entry in store.dump() {
        let (tree, key, value) = entry?;
        let mut line = json!({ "tree": tree, "key": hex::encode(&key) });
        match serde_json::from_slice::<Value>(&value) {
            Ok(v) => line["json"] = v,
            Err(_) => line["hex"] = json!(hex::encode(&value)),
        }
        writeln!(out, "{line}")?;
        n += 1;
    }
    Ok(n)
}

/// Reads `export`'s lines into an empty store. Returns the count.
pub fn import(store: &Store, input: impl BufRead) -> anyhow::Result<usize> {
    anyhow::ensure!(store.is_empty(), "the data dir is not empty: import only into a new one");
    let mut n = 0;
    for (i, line) in input.lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| anyhow::anyhow!("line {}: {what}", i + 1);
        let v: Value = serde_json::from_str(&line).map_err(|e| bad(&e.to_string()))?;
        let tree = v["tree"].as_str().ok_or_else(|| bad("no tree"))?;
        let key = hex::decode(v["key"].as_str().ok_or_else(|| bad("no key"))?).map_err(|_| bad("key is not hex"))?;
        let value = match (&v.get("json"), v.get("hex").and_then(Value::as_str)) {
            (Some(j), _) => serde_json::to_vec(j)?,
            (None, Some(h)) => hex::decode(h).map_err(|_| bad("value is not hex"))?,
            _ => return Err(bad("no value")),
        };
        store.load_raw(tree, &key, &value).map_err(|e| bad(&e.to_string()))?;
        n += 1;
    }
    Ok(n)
}
