//! Dialogue storage benchmark (BENCHMARKS.md, "2. Dialogue storage"): our `store::SledStorage`
//! (teloxide's `Storage` over the store's sled tree) against teloxide's `SqliteStorage` (with
//! `--features sqlite-bench`) and `InMemStorage` (the floor), on the three operations the
//! dispatcher makes: get, update and remove of one chat's dialogue state (the bot's real
//! `bot::State`).
//!
//! For each storage, N chats (default 10,000; env `M2O_BENCH_CHATS`): update all (insert), get all,
//! update all again (overwrite), remove all; one operation at a time, as one update's handler does.
//! Then a mixed run as the dispatcher drives it: 64 tasks, each get + update of its own chats.
//! Files live in a temp dir on disk, and again on tmpfs (`/dev/shm`) to take the disk out.
//!
//! `cargo bench --bench storage --features sqlite-bench`

use m2o_bot::bot::State;
use m2o_bot::store::{SledStorage, Store};
use std::sync::Arc;
use std::time::{Duration, Instant};
use teloxide::dispatching::dialogue::{InMemStorage, Storage};
use teloxide::types::ChatId;

/// Concurrent tasks in the mixed run.
const TASKS: usize = 64;

fn state(chat: i64) -> State {
    State::Confirm { contact_id: chat as u64 * 7 + 1, name: format!("agent-{chat}") }
}

#[derive(Default)]
struct Figures {
    /// Mean time per operation for update (insert), get, update (overwrite), remove.
    ops: [Duration; 4],
    /// Per-operation latencies of the first update pass, for p99.
    p99_update: Duration,
    p99_get: Duration,
    /// Mixed run: get + update pairs per second over TASKS tasks.
    mixed_pairs_per_s: f64,
}

async fn measure<S>(storage: Arc<S>, chats: i64) -> Figures
where
    S: Storage<State> + Send + Sync + 'static,
    S::Error: std::fmt::Debug + Send,
{
    let mut f = Figures::default();
    let mut update_lat = Vec::with_capacity(chats as usize);
    let mut get_lat = Vec::with_capacity(chats as usize);
    for (i, op) in ["insert", "get", "update", "remove"].into_iter().enumerate() {
        let t0 = Instant::now();
        for chat in 1..=chats {
            let t = Instant::now();
            match op {
                "insert" | "update" => storage.clone().update_dialogue(ChatId(chat), state(chat)).await.unwrap(),
                "get" => assert!(storage.clone().get_dialogue(ChatId(chat)).await.unwrap().is_some()),
                _ => storage.clone().remove_dialogue(ChatId(chat)).await.unwrap(),
            }
            match op {
                "insert" => update_lat.push(t.elapsed()),
                "get" => get_lat.push(t.elapsed()),
                _ => {}
            }
        }
        f.ops[i] = t0.elapsed() / chats as u32;
    }
    update_lat.sort();
    get_lat.sort();
    let p99 = |v: &[Duration]| v[(v.len() * 99 / 100).min(v.len() - 1)];
    f.p99_update = p99(&update_lat);
    f.p99_get = p99(&get_lat);

    let t0 = Instant::now();
    let per_task = chats / TASKS as i64;
    let tasks: Vec<_> = (0..TASKS as i64)
        .map(|t| {
            let storage = storage.clone();
            tokio::spawn(async move {
                for chat in t * per_task + 1..=(t + 1) * per_task {
                    let _ = storage.clone().get_dialogue(ChatId(chat)).await.unwrap();
                    storage.clone().update_dialogue(ChatId(chat), state(chat)).await.unwrap();
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    f.mixed_pairs_per_s = (per_task * TASKS as i64) as f64 / t0.elapsed().as_secs_f64();
    f
}

fn us(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e6)
}

fn row(name: &str, f: &Figures) {
    println!(
        "| {name} | {} | {} | {} | {} | {} | {} | {:.0} |",
        us(f.ops[0]),
        us(f.ops[1]),
        us(f.ops[2]),
        us(f.ops[3]),
        us(f.p99_update),
        us(f.p99_get),
        f.mixed_pairs_per_s
    );
}

/// Mean time of get + update (the pair every update costs), for the ratio.
#[cfg_attr(not(feature = "sqlite-bench"), allow(dead_code))]
fn pair(f: &Figures) -> Duration {
    f.ops[1] + f.ops[2]
}

fn main() {
    let chats: i64 = std::env::var("M2O_BENCH_CHATS").ok().and_then(|v| v.parse().ok()).unwrap_or(10_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    println!("## Dialogue storage: {chats} chats; mean µs per operation, sequential; mixed = {TASKS} tasks");
    println!();
    println!(
        "| storage | insert µs | get µs | update µs | remove µs | p99 insert µs | p99 get µs | mixed get+update pairs/s |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    rt.block_on(async {
        let mem = measure(InMemStorage::<State>::new(), chats).await;
        row("teloxide InMemStorage (floor)", &mem);
        let mut verdicts: Vec<(&str, f64, f64, f64)> = Vec::new();
        for (place, dir) in [("disk", tempfile::tempdir().unwrap()), ("tmpfs", tempfile::tempdir_in("/dev/shm").unwrap())]
        {
            let store = Store::open(&dir.path().join("sled")).unwrap();
            let sled = measure(SledStorage::<State>::new(store.clone()), chats).await;
            row(&format!("m2o SledStorage, {place}"), &sled);
            drop(store);
            #[cfg(feature = "sqlite-bench")]
            {
                use teloxide::dispatching::dialogue::{serializer::Json, SqliteStorage};
                let path = dir.path().join("dialogues.sqlite");
                let sqlite = SqliteStorage::open(path.to_str().unwrap(), Json).await.unwrap();
                let sq = measure(sqlite, chats).await;
                row(&format!("teloxide SqliteStorage, {place}"), &sq);
                verdicts.push((place, pair(&sq).as_secs_f64() / pair(&sled).as_secs_f64(), sq.mixed_pairs_per_s, sled.mixed_pairs_per_s));
            }
            #[cfg(not(feature = "sqlite-bench"))]
            let _ = &mut verdicts;
        }
        println!();
        if verdicts.is_empty() {
            println!("(SqliteStorage not measured: run with `--features sqlite-bench`.)");
        }
        for (place, ratio, sq_mixed, sled_mixed) in verdicts {
            let verdict = if ratio >= 3.0 { "met" } else { "MISSED" };
            println!(
                "- {place}: SledStorage is {ratio:.1}× faster than SqliteStorage per get + update (sequential); mixed: {:.1}× — target ≥ 3×: {verdict}",
                sled_mixed / sq_mixed
            );
        }
    });
    rt.shutdown_background();
}
