//! The architecture as a test (the map is `src/lib.rs`): each module of `src/` may name only
//! modules of a lower layer, no two files import each other round a cycle, and nothing below the
//! surfaces sends to Telegram through a `Bot`. It reads the sources as text: every `crate::…` and
//! `super::…` path outside `#[cfg(test)]` code is an import.

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Layer of each top-level module: a module may use only modules of a strictly lower layer, so
/// the surfaces (bot, api, panel, scheduler) cannot use one another either.
const LAYERS: &[(&str, u32)] = &[
    ("domain", 0),
    ("i18n", 1),
    ("clock", 1),
    ("metrics", 1),
    ("crypto", 1),
    ("content", 2),
    ("config", 3),
    ("store", 4),
    ("services", 5),
    ("app", 6),
    ("fleet", 7),
    ("bot", 8),
    ("api", 8),
    ("panel", 8),
    ("scheduler", 8),
    ("registry", 8),
    ("doctor", 8),
    ("server", 9),
    ("console", 10),
];

/// Module path (`["fleet", "brief", "gather"]`) → its source, with test-only code cut off.
fn modules() -> BTreeMap<Vec<String>, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/ reads") {
            let path: PathBuf = entry.expect("an entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(&src).expect("under src").with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().to_string()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
                parts.pop();
            }
            // Test-only modules and code: what tests use is not the architecture.
            if matches!(parts.last().map(String::as_str), Some("tests" | "testing")) {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("a source file reads");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String =
                code.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
            out.insert(parts, code);
        }
    }
    out
}

/// The module files each module names.
fn imports(modules: &BTreeMap<Vec<String>, String>) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let path = Regex::new(r"\b(crate|super)((?:::super)*)::((?:[a-z_][a-z0-9_]*::)*(?:[a-z_][a-z0-9_]*|\{[^}]*\}))")
        .expect("the pattern compiles");
    let resolve = |base: &[String], rest: &str| -> Option<Vec<String>> {
        let mut full: Vec<String> = base.to_vec();
        full.extend(rest.split("::").map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
        (1..=full.len()).rev().map(|k| full[..k].to_vec()).find(|p| modules.contains_key(p))
    };
    let mut graph = BTreeMap::new();
    for (module, code) in modules {
        let mut to = BTreeSet::new();
        for c in path.captures_iter(code) {
            let base: Vec<String> = if &c[1] == "crate" {
                Vec::new()
            } else {
                let ups = 1 + c[2].matches("super").count();
                module[..module.len().saturating_sub(ups)].to_vec()
            };
            let tail = &c[3];
            let (prefix, group) = match tail.find('{') {
                Some(i) => (&tail[..i], Some(&tail[i + 1..tail.len() - 1])),
                None => (tail, None),
            };
            let items: Vec<String> = match group {
                Some(g) => g.split(',').map(|i| format!("{prefix}{}", i.trim())).collect(),
                None => vec![prefix.to_string()],
            };
            for item in items {
                if let Some(target) = resolve(&base, &item).filter(|t| t != module) {
                    to.insert(target);
                }
            }
        }
        graph.insert(module.clone(), to);
    }
    graph
}

fn layer(module: &[String]) -> Option<u32> {
    let top = module.first()?;
    LAYERS.iter().find(|(name, _)| name == top).map(|(_, l)| *l)
}

#[test]
fn every_module_uses_only_lower_layers() {
    let modules = modules();
    let graph = imports(&modules);
    let mut wrong = Vec::new();
    for (from, targets) in &graph {
        let Some(from_layer) = layer(from) else { continue };
        for to in targets {
            let Some(to_layer) = layer(to) else { continue };
            if from[0] != to[0] && to_layer >= from_layer {
                wrong.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    let unknown: Vec<_> = graph.keys().filter(|m| !m.is_empty() && layer(m).is_none()).collect();
    assert!(unknown.is_empty(), "modules without a layer in LAYERS: {unknown:?}");
    assert!(wrong.is_empty(), "imports against the layers (src/lib.rs):\n{}", wrong.join("\n"));
}

#[test]
fn no_two_files_import_each_other_round_a_cycle() {
    let graph = imports(&modules());
    // Tarjan's strongly connected components.
    struct Walk<'a> {
        graph: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        stack: Vec<&'a Vec<String>>,
        cycles: Vec<Vec<String>>,
    }
    impl<'a> Walk<'a> {
        fn visit(&mut self, v: &'a Vec<String>) {
            let n = self.index.len();
            self.index.insert(v, n);
            self.low.insert(v, n);
            self.stack.push(v);
            for w in self.graph.get(v).into_iter().flatten() {
                if !self.index.contains_key(w) {
                    self.visit(w);
                    let lw = self.low[w];
                    self.low.entry(v).and_modify(|l| *l = (*l).min(lw));
                } else if self.stack.contains(&w) {
                    let iw = self.index[w];
                    self.low.entry(v).and_modify(|l| *l = (*l).min(iw));
                }
            }
            if self.low[v] == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    component.push(w.join("::"));
                    if w == v {
                        break;
                    }
                }
                if component.len() > 1 {
                    self.cycles.push(component);
                }
            }
        }
    }
    let mut walk =
        Walk { graph: &graph, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), cycles: Vec::new() };
    for v in graph.keys() {
        if !walk.index.contains_key(v) {
            walk.visit(v);
        }
    }
    assert!(walk.cycles.is_empty(), "files that import each other round a cycle: {:?}", walk.cycles);
}

#[test]
fn nothing_below_the_surfaces_talks_to_telegram_through_a_bot() {
    let modules = modules();
    let bot_call = Regex::new(r"\.bot\(\)|teloxide::Bot\b|\bBot::with_client").expect("the pattern compiles");
    let offenders: Vec<String> = modules
        .iter()
        .filter(|(m, _)| layer(m).is_some_and(|l| l < 8) && m.first().map(String::as_str) != Some("app"))
        .filter(|(m, code)| m.first().map(String::as_str) != Some("services") && bot_call.is_match(code))
        .map(|(m, _)| m.join("::"))
        .collect();
    assert!(offenders.is_empty(), "below the surfaces, send through App::notifier: {offenders:?}");
}

#[test]
fn the_checker_sees_imports() {
    // A guard against a checker that reads nothing: known edges must be found.
    let graph = imports(&modules());
    let of = |m: &str| graph.get(&m.split("::").map(String::from).collect::<Vec<_>>()).cloned().unwrap_or_default();
    assert!(of("fleet::approval").contains(&vec!["app".to_string()]));
    assert!(of("fleet::approval").contains(&vec!["fleet".to_string(), "jobs".to_string()]));
    assert!(of("bot::master").contains(&vec!["fleet".to_string(), "spawn".to_string()]));
    assert!(of("store::change").contains(&vec!["store".to_string(), "guard".to_string()]));
}
