//! The container image and its Coolify deployment (issue 12, item 1), checked as far as they can be
//! without Docker: `Dockerfile`, `.dockerignore` and `docker-compose.yml` read as Docker, Compose
//! and Coolify read them, against each other, `.ci/run`, the configuration and the binary; then the
//! README's "Deploy on Coolify" followed with the binary run as the container runs it — the image's
//! and the compose file's environment, `m2o-bot run` against the Bot API emulator, the health
//! check, SIGTERM, a backup over the API, and its restore into the emptied volume.
//!
//! Not checked here: that the base images build and run (no Docker daemon, no registry).

use regex::Regex;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tg_emulator::Emulator;
use yaml_rust2::{Yaml, YamlLoader};

const BIN: &str = env!("CARGO_BIN_EXE_m2o-bot");
const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// The production build: the image's, and one of `.ci/run`'s.
const PRODUCTION_BUILD: &str = "cargo build --locked --release --no-default-features";
/// What an operator gives for the compose file's required values, in these tests.
const TOKEN_FOR_CHECKS: &str = "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx";
const SECRET_KEY: &str = "5c1f0e2d3b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const API_TOKEN: &str = "admin-token-for-the-deploy-test";
/// Long enough for anything that is not hung.
const WAIT: Duration = Duration::from_secs(20);

fn read(path: &str) -> String {
    std::fs::read_to_string(Path::new(ROOT).join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

// ---------------------------------------------------------------------------------------------
// The Dockerfile, read as Docker reads it: comments dropped, continued lines joined, one
// instruction per line, stages from each FROM.

struct Instruction {
    keyword: String,
    args: String,
}

struct Stage {
    from: String,
    instructions: Vec<Instruction>,
}

impl Stage {
    fn all(&self, keyword: &str) -> Vec<&str> {
        self.instructions.iter().filter(|i| i.keyword == keyword).map(|i| i.args.as_str()).collect()
    }

    /// The one instruction of this kind (Docker uses the last; we want exactly one).
    fn one(&self, keyword: &str) -> &str {
        let all = self.all(keyword);
        assert_eq!(all.len(), 1, "one {keyword} in the stage FROM {}: {all:?}", self.from);
        all[0]
    }

    /// `ENV A=1 B=2` instructions, as a map.
    fn env(&self) -> BTreeMap<String, String> {
        let mut env = BTreeMap::new();
        for args in self.all("ENV") {
            for pair in args.split_whitespace() {
                let (k, v) = pair.split_once('=').unwrap_or_else(|| panic!("ENV in the form NAME=value: {pair}"));
                env.insert(k.to_string(), v.to_string());
            }
        }
        env
    }
}

fn dockerfile() -> Vec<Stage> {
    let text = read("Dockerfile");
    let mut logical = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('#') || (trimmed.is_empty() && current.is_empty()) {
            continue;
        }
        match trimmed.strip_suffix('\\') {
            Some(part) => {
                current.push_str(part.trim());
                current.push(' ');
            }
            None => {
                current.push_str(trimmed);
                logical.push(std::mem::take(&mut current));
            }
        }
    }
    assert!(current.is_empty(), "the Dockerfile ends in a continued line");
    let mut stages: Vec<Stage> = Vec::new();
    for line in logical {
        let (keyword, args) = line.split_once(' ').unwrap_or((&line, ""));
        let instruction = Instruction { keyword: keyword.to_uppercase(), args: args.trim().to_string() };
        if instruction.keyword == "FROM" {
            stages.push(Stage { from: instruction.args, instructions: Vec::new() });
        } else {
            stages.last_mut().expect("FROM comes first").instructions.push(instruction);
        }
    }
    stages
}

/// `["a", "b"]`, Docker's exec form.
fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|_| panic!("not the exec form [\"…\"]: {args}"))
}

/// The port of `host:port`.
fn port(addr: &str) -> u16 {
    addr.rsplit_once(':').and_then(|(_, p)| p.parse().ok()).unwrap_or_else(|| panic!("no port in {addr}"))
}

// ---------------------------------------------------------------------------------------------
// docker-compose.yml, read with a YAML parser; its `${…}` values interpolated as Compose does.

fn compose() -> Yaml {
    let mut docs = YamlLoader::load_from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML");
    assert_eq!(docs.len(), 1, "one YAML document");
    docs.remove(0)
}

fn service(compose: &Yaml) -> &Yaml {
    let services = compose["services"].as_hash().expect("services:");
    let names: Vec<_> = services.keys().filter_map(Yaml::as_str).collect();
    assert_eq!(names, ["m2o-bot"], "one service");
    &compose["services"]["m2o-bot"]
}

fn str_of(y: &Yaml) -> String {
    match y {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        other => panic!("not a scalar: {other:?}"),
    }
}

/// The service's `environment:` as written (a mapping, in order).
fn compose_environment() -> Vec<(String, String)> {
    let compose = compose();
    let env = service(&compose)["environment"].as_hash().expect("environment: as a mapping NAME: value");
    env.iter().map(|(k, v)| (str_of(k), str_of(v))).collect()
}

/// Compose's interpolation of one value: `$$`, `$NAME`, `${NAME}`, `${NAME:-default}`,
/// `${NAME-default}`, `${NAME:?message}` and `${NAME?message}`. `given` is what the operator set
/// (Coolify's variables, or the shell); a required one left out is an error naming it.
fn interpolate(value: &str, given: &HashMap<String, String>) -> Result<String, String> {
    let re = Regex::new(r"\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)").unwrap();
    let mut out = String::new();
    let mut last = 0;
    let mut missing = Vec::new();
    for c in re.captures_iter(value) {
        let whole = c.get(0).unwrap();
        out.push_str(&value[last..whole.start()]);
        last = whole.end();
        if whole.as_str() == "$$" {
            out.push('$');
            continue;
        }
        let name = c.get(1).or(c.get(4)).unwrap().as_str();
        let set = given.get(name);
        let replacement = match (c.get(2).map(|m| m.as_str()), c.get(3).map_or("", |m| m.as_str())) {
            (None, _) => set.cloned().unwrap_or_default(),
            (Some(":-"), default) => set.filter(|v| !v.is_empty()).cloned().unwrap_or_else(|| default.to_string()),
            (Some("-"), default) => set.cloned().unwrap_or_else(|| default.to_string()),
            (Some(":?"), _) => set.filter(|v| !v.is_empty()).cloned().unwrap_or_else(|| {
                missing.push(name.to_string());
                String::new()
            }),
            (Some("?"), _) => set.cloned().unwrap_or_else(|| {
                missing.push(name.to_string());
                String::new()
            }),
            (Some(op), _) => panic!("unexpected operator {op} in {value}"),
        };
        out.push_str(&replacement);
    }
    out.push_str(&value[last..]);
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing.join(","))
    }
}

/// What the container's process sees: the image's ENV, then the compose file's environment
/// interpolated with `given` (Compose's wins). Err: the required names left out.
fn container_env(given: &[(&str, &str)]) -> Result<BTreeMap<String, String>, BTreeSet<String>> {
    let given: HashMap<String, String> = given.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let mut env = runtime_stage().env();
    let mut missing = BTreeSet::new();
    for (name, value) in compose_environment() {
        match interpolate(&value, &given) {
            Ok(v) => {
                env.insert(name, v);
            }
            Err(names) => missing.extend(names.split(',').map(str::to_string)),
        }
    }
    if missing.is_empty() {
        Ok(env)
    } else {
        Err(missing)
    }
}

fn runtime_stage() -> Stage {
    dockerfile().pop().expect("a stage")
}

/// The binary with exactly `env` (and PATH), in an empty folder (no .env).
fn m2o(dir: &Path, env: &BTreeMap<String, String>) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env_clear().env("PATH", std::env::var("PATH").unwrap_or_default()).envs(env).current_dir(dir);
    cmd
}

// ---------------------------------------------------------------------------------------------
// The README's "Deploy on Coolify".

fn deploy_section() -> String {
    let readme = read("README.md");
    let start = readme.find("\n## Deploy on Coolify\n").expect("the README has a \"Deploy on Coolify\" section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |e| e + 3);
    rest[..end].to_string()
}

/// The lines of the section's code blocks.
fn code_lines(section: &str) -> Vec<String> {
    let mut inside = false;
    let mut lines = Vec::new();
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            inside = !inside;
        } else if inside {
            lines.push(line.trim().to_string());
        }
    }
    lines
}

/// A shell line's words: double and single quotes group; a `#` word starts a comment.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let (mut word, mut quote, mut any) = (String::new(), None, false);
    for ch in line.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => {
                quote = Some(ch);
                any = true;
            }
            (None, c) if c.is_whitespace() => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            (None, '#') if word.is_empty() && !any => break,
            (None, c) => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

// ---------------------------------------------------------------------------------------------

#[test]
fn the_image_builds_the_binary_ci_builds_with_the_toolchain_the_crate_asks_for() {
    let stages = dockerfile();
    assert_eq!(stages.len(), 2, "a build stage and a runtime stage");
    let (build, runtime) = (&stages[0], &stages[1]);

    // rust:<rust-version>-<debian>, and the runtime on the same Debian (the binary's glibc).
    let cargo_toml = read("Cargo.toml");
    let rust_version =
        Regex::new(r#"(?m)^rust-version = "([0-9.]+)""#).unwrap().captures(&cargo_toml).unwrap()[1].to_string();
    let from = Regex::new(r"^rust:([0-9.]+)-([a-z]+) AS (\w+)$").unwrap();
    let c =
        from.captures(&build.from).unwrap_or_else(|| panic!("FROM rust:<version>-<debian> AS <name>: {}", build.from));
    assert_eq!(c[1], rust_version, "the builder's Rust is Cargo.toml's rust-version");
    assert_eq!(runtime.from, format!("debian:{}-slim", &c[2]), "the runtime is the builder's Debian, slim");
    let stage_name = c[3].to_string();

    // The build runs exactly the production build, and .ci/run builds the same.
    let run = build.one("RUN");
    let without_mounts: Vec<&str> = run.split_whitespace().skip_while(|w| w.starts_with("--mount=")).collect();
    let without_mounts = without_mounts.join(" ");
    let commands: Vec<&str> = without_mounts.split("&&").map(str::trim).collect();
    assert_eq!(commands[0], PRODUCTION_BUILD, "{run}");
    // CI builds the same features from the same lock, unoptimised: a release build from scratch
    // would add ~9 minutes on CI's 2 cores, and optimisation does not decide whether it compiles.
    let ci = read(".ci/run");
    let ci_build = PRODUCTION_BUILD.replace(" --release", "");
    assert!(ci.lines().any(|l| l.trim() == ci_build), ".ci/run builds `{ci_build}`:\n{ci}");
    // …and that build's binary is what the runtime stage gets, on Debian's PATH.
    assert_eq!(commands.len(), 2, "{run}");
    let copy_out = words(commands[1]);
    assert_eq!(copy_out[..2], ["cp", "target/release/m2o-bot"], "{run}");
    let copy = runtime.one("COPY");
    assert_eq!(copy, format!("--from={stage_name} {} /usr/local/bin/m2o-bot", copy_out[2]));
    assert_eq!(build.one("COPY"), ". .", "the whole (filtered) context");
}

#[test]
fn the_runtime_stage_runs_the_bot_as_a_non_root_user_with_its_data_in_a_volume() {
    let runtime = runtime_stage();
    let user = runtime.one("USER");
    let uid = user.split(':').next().unwrap();
    assert!(!["root", "0", ""].contains(&uid), "a non-root USER: {user}");
    let setup = runtime.one("RUN");
    assert!(setup.contains(&format!("--uid {uid}")), "the user is made with uid {uid}: {setup}");
    assert!(setup.contains("chown m2o:m2o /data"), "and owns /data: {setup}");
    let env = runtime.env();
    assert_eq!(env["M2O_DATA_DIR"], "/data");
    assert_eq!(runtime.one("VOLUME"), env["M2O_DATA_DIR"], "the data dir is the volume");
    assert!(env["M2O_HTTP_ADDR"].starts_with("0.0.0.0:"), "reachable from the proxy: {}", env["M2O_HTTP_ADDR"]);
    assert_eq!(runtime.one("EXPOSE").parse::<u16>().unwrap(), port(&env["M2O_HTTP_ADDR"]));

    let health = runtime.one("HEALTHCHECK");
    let (options, cmd) = health.split_once(" CMD ").expect("HEALTHCHECK [OPTIONS] CMD …");
    assert_eq!(exec_form(cmd), ["m2o-bot", "health"], "the binary is its own health check");
    // `health` waits 5 s for an answer; Docker must wait longer before calling it a failure.
    assert!(options.contains("--timeout=10s"), "{options}");
    assert_eq!(runtime.one("STOPSIGNAL"), "SIGTERM");
    assert_eq!(exec_form(runtime.one("ENTRYPOINT")), ["m2o-bot"]);
    assert_eq!(exec_form(runtime.one("CMD")), ["run"]);
}

#[test]
fn the_compose_file_deploys_that_image_with_its_volume_port_and_health_check() {
    let compose = compose();
    let bot = service(&compose);
    assert_eq!(bot["build"]["context"].as_str(), Some("."));
    let dockerfile_name = bot["build"]["dockerfile"].as_str().unwrap();
    assert_eq!(dockerfile_name, "Dockerfile");
    assert_eq!(bot["restart"].as_str(), Some("unless-stopped"));
    assert!(bot["ports"].is_badvalue(), "no published port: Coolify's proxy routes to the container");
    // The bot stops within 10 s of SIGTERM; Compose must not kill it sooner.
    let grace = bot["stop_grace_period"].as_str().unwrap();
    assert!(grace.strip_suffix('s').unwrap().parse::<u64>().unwrap() > 10, "stop_grace_period {grace}");

    // The same health check as the image's.
    let runtime = runtime_stage();
    let test: Vec<String> = bot["healthcheck"]["test"].as_vec().unwrap().iter().map(str_of).collect();
    let image_check = exec_form(runtime.one("HEALTHCHECK").split_once(" CMD ").unwrap().1);
    assert_eq!(test[0], "CMD");
    assert_eq!(test[1..], image_check[..], "compose's healthcheck is the image's: m2o-bot health");

    // The named volume is mounted where M2O_DATA_DIR points, in the compose file and the image.
    let env: HashMap<String, String> = compose_environment().into_iter().collect();
    let data_dir = &env["M2O_DATA_DIR"];
    assert_eq!(data_dir, &runtime.env()["M2O_DATA_DIR"]);
    let mounts: Vec<String> = bot["volumes"].as_vec().unwrap().iter().map(str_of).collect();
    let (volume, target) = mounts
        .iter()
        .find_map(|m| m.split_once(':').filter(|(_, t)| t == data_dir))
        .unwrap_or_else(|| panic!("a volume at M2O_DATA_DIR ({data_dir}): {mounts:?}"));
    assert!(!volume.starts_with(['.', '/', '$']), "a named volume, not a bind mount: {volume}");
    assert!(compose["volumes"].as_hash().unwrap().contains_key(&Yaml::String(volume.to_string())), "{volume} declared");
    assert_eq!(target, runtime.one("VOLUME"));

    // The bot listens on the port the image exposes.
    assert_eq!(env["M2O_HTTP_ADDR"], runtime.env()["M2O_HTTP_ADDR"]);
    assert_eq!(port(&env["M2O_HTTP_ADDR"]), runtime.one("EXPOSE").parse::<u16>().unwrap());
}

#[test]
fn the_compose_file_names_every_variable_the_bot_reads_and_only_those_each_explained() {
    // The bot's names: those the configuration reads, and RUST_LOG (tracing's filter, in main).
    let config = read("src/config/mod.rs");
    let mut known: BTreeSet<String> = Regex::new(r#""((?:TELOXIDE|M2O)_[A-Z0-9_]+)""#)
        .unwrap()
        .captures_iter(&config)
        .map(|c| c[1].to_string())
        .collect();
    assert!(read("src/main.rs").contains("EnvFilter::try_from_default_env"), "RUST_LOG is read in main");
    known.insert("RUST_LOG".into());

    let names: Vec<String> = compose_environment().into_iter().map(|(k, _)| k).collect();
    let set: BTreeSet<String> = names.iter().cloned().collect();
    assert_eq!(set.len(), names.len(), "no name twice");
    // Compose passes a container only the variables its file names: every one the bot reads is
    // there, so that it can be set in Coolify, and nothing else.
    let unknown: Vec<_> = set.difference(&known).collect();
    assert!(unknown.is_empty(), "names the bot does not read: {unknown:?}");
    let absent: Vec<_> = known.difference(&set).collect();
    assert!(absent.is_empty(), "read by the bot but not in docker-compose.yml: {absent:?}");

    // The README's Configuration table documents the same names.
    let readme = read("README.md");
    let table = &readme[readme.find("## Configuration").unwrap()..];
    let table = &table[..table.find("\n### ").unwrap()];
    let name = Regex::new(r"`([A-Z][A-Z0-9_]+)`").unwrap();
    let mut documented = BTreeSet::new();
    for row in table.lines().filter(|l| l.starts_with("| `")) {
        let first = row.split('|').nth(1).unwrap();
        documented.extend(name.captures_iter(first).map(|c| c[1].to_string()));
    }
    assert_eq!(documented, set, "the README's Configuration table and docker-compose.yml");

    // Each variable is explained: a comment heads the group of lines it is in.
    let text = read("docker-compose.yml");
    let lines: Vec<&str> = text.lines().collect();
    for name in &names {
        let at = lines.iter().position(|l| l.trim_start().starts_with(&format!("{name}:"))).unwrap();
        let head = lines[..at].iter().rev().find(|l| !l.trim_start().starts_with(|c: char| c.is_ascii_uppercase()));
        assert!(head.is_some_and(|l| l.trim_start().starts_with('#')), "{name} has no comment above its group");
    }
}

#[test]
fn check_config_accepts_the_compose_environment_and_requires_what_the_bot_needs() {
    let dir = tempfile::tempdir().unwrap();
    // Left out, the required values stop Coolify (and Compose) before anything runs…
    let missing = container_env(&[]).unwrap_err();
    let required: BTreeSet<String> = ["TELOXIDE_TOKEN", "M2O_MASTER_IDS", "M2O_SECRET_KEY"].map(String::from).into();
    assert_eq!(missing, required);
    assert!(
        container_env(&[("TELOXIDE_TOKEN", ""), ("M2O_MASTER_IDS", ""), ("M2O_SECRET_KEY", "")]).is_err(),
        "`:?` refuses an empty value too"
    );
    // …and they include what the bot itself refuses to start without (the image's ENV alone).
    let out = m2o(dir.path(), &runtime_stage().env()).arg("check-config").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for line in err.lines().skip(1) {
        let name = line.trim().split(':').next().unwrap();
        assert!(required.contains(name), "the bot needs {name}, which the compose file does not require: {err}");
    }

    // Given them, the bot accepts the whole environment, defaults and all.
    let given = [("TELOXIDE_TOKEN", TOKEN_FOR_CHECKS), ("M2O_MASTER_IDS", "42"), ("M2O_SECRET_KEY", SECRET_KEY)];
    let env = container_env(&given).unwrap();
    let out = m2o(dir.path(), &env).arg("check-config").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{said}", String::from_utf8_lossy(&out.stderr));
    for line in [
        "M2O_DATA_DIR = /data",
        "M2O_HTTP_ADDR = 0.0.0.0:8080",
        "M2O_SECRET_KEY = set (hidden)",
        "M2O_WEBHOOK_URL = (unset: long polling)",
        "M2O_BACKUP_DIR = /data/backups (daily, the newest 7 kept)",
        "M2O_MAILER = log",
        "M2O_PROVISIONER = dry-run",
        "configuration OK",
    ] {
        assert!(said.contains(line), "{line} not in:\n{said}");
    }
    assert!(!said.contains(SECRET_KEY) && !said.contains("AAExample"), "{said}");

    // With the README's domain step: webhook mode, through the proxy.
    let section = deploy_section();
    let set = |name: &str| {
        let re = Regex::new(&format!(r"`{name}=(https://[^`]+)`")).unwrap();
        re.captures(&section).unwrap_or_else(|| panic!("the README sets {name}"))[1].to_string()
    };
    let (public, webhook) = (set("M2O_PUBLIC_URL"), set("M2O_WEBHOOK_URL"));
    let mut given = given.to_vec();
    given.extend([("M2O_PUBLIC_URL", public.as_str()), ("M2O_WEBHOOK_URL", webhook.as_str())]);
    let out = m2o(dir.path(), &container_env(&given).unwrap()).arg("check-config").output().unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}{said}", String::from_utf8_lossy(&out.stderr));
    assert!(said.contains(&format!("M2O_WEBHOOK_URL = {webhook} (webhook mode")), "{said}");
    assert!(said.contains(&format!("M2O_PUBLIC_URL = {public}")), "{said}");
    // The domain the README gives Coolify routes to the port the bot listens on.
    let domain = Regex::new(r"`(https://[a-z.-]+):(\d+)`").unwrap();
    let c = domain.captures(&section).expect("the README gives the domain with the container's port");
    assert_eq!(c[2].parse::<u16>().unwrap(), port(&env["M2O_HTTP_ADDR"]));
    assert_eq!(c[1], public, "the public URL is that domain");
    assert!(webhook.starts_with(&public), "the webhook is on that domain");
}

#[test]
fn the_build_context_holds_what_the_build_reads_and_nothing_private() {
    let ignore = DockerIgnore::parse(&read(".dockerignore"));
    for private in [".git", "target/release/m2o-bot", ".env", "data/conf", "tests/deploy.rs", "tests/fixtures/x"] {
        assert!(ignore.excluded(private), "{private} is kept out of the build context");
    }
    // The manifests, every source file of both members, the embedded content, the benches the
    // manifest names.
    let mut needed = vec!["Cargo.toml".to_string(), "Cargo.lock".to_string(), "crates/tg-emulator/Cargo.toml".into()];
    for dir in ["src", "crates/tg-emulator/src", "dialogues", "locales", "benches"] {
        files(&Path::new(ROOT).join(dir), &mut needed);
    }
    let cargo_toml = read("Cargo.toml");
    for bench in Regex::new(r#"\[\[bench\]\]\nname = "(\w+)""#).unwrap().captures_iter(&cargo_toml) {
        needed.push(format!("benches/{}.rs", &bench[1]));
    }
    // Whatever non-test code includes (tests are at the end of their files, after #[cfg(test)]).
    let include = Regex::new(r#"include_(?:str|bytes)!\("([^"]+)"\)"#).unwrap();
    for file in needed.clone().iter().filter(|f| f.ends_with(".rs")) {
        let text = read(file);
        let code = text.split("#[cfg(test)]").next().unwrap();
        for c in include.captures_iter(code) {
            let path = Path::new(file).parent().unwrap().join(&c[1]);
            needed.push(normalize(&path));
        }
    }
    assert!(needed.iter().any(|f| f == "locales/pl/main.ftl"), "the walk found the content");
    for file in &needed {
        assert!(Path::new(ROOT).join(file).exists(), "{file} exists");
        assert!(!ignore.excluded(file), "{file} is needed by the build but .dockerignore leaves it out");
    }
}

/// The files under `dir`, relative to the repository.
fn files(dir: &Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path.strip_prefix(ROOT).unwrap().to_string_lossy().to_string());
        }
    }
}

fn normalize(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for part in path.components() {
        match part {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(p) => parts.push(p.to_string_lossy().to_string()),
            _ => {}
        }
    }
    parts.join("/")
}

/// Docker's .dockerignore rules: one pattern a line (`*` and `?` within a name, `**` for any
/// depth), `!` lets back in, the last pattern that matches a path or one of its parents decides.
struct DockerIgnore {
    rules: Vec<(bool, Regex)>,
}

impl DockerIgnore {
    fn parse(text: &str) -> DockerIgnore {
        let mut rules = Vec::new();
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (keep, pattern) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let pattern = pattern.trim_start_matches('/').trim_end_matches('/');
            let mut re = String::from("^");
            let mut chars = pattern.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '*' if chars.peek() == Some(&'*') => {
                        chars.next();
                        re.push_str(".*");
                    }
                    '*' => re.push_str("[^/]*"),
                    '?' => re.push_str("[^/]"),
                    c => re.push_str(&regex::escape(&c.to_string())),
                }
            }
            re.push('$');
            rules.push((keep, Regex::new(&re).unwrap()));
        }
        DockerIgnore { rules }
    }

    fn excluded(&self, path: &str) -> bool {
        let parts: Vec<&str> = path.split('/').collect();
        let prefixes: Vec<String> = (1..=parts.len()).map(|n| parts[..n].join("/")).collect();
        let mut excluded = false;
        for (keep, re) in &self.rules {
            if prefixes.iter().any(|p| re.is_match(p)) {
                excluded = !keep;
            }
        }
        excluded
    }
}

// ---------------------------------------------------------------------------------------------
// The README followed, with the binary run as the container runs it.

/// A free loopback port.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The container's environment on this machine: the emulator for Telegram, a temporary folder for
/// the volume (every value under /data moves with it), a free port for 8080 (still on 0.0.0.0).
fn on_this_machine(mut env: BTreeMap<String, String>, emu: &Emulator, volume: &Path) -> BTreeMap<String, String> {
    let data_dir = env["M2O_DATA_DIR"].clone();
    for value in env.values_mut() {
        if let Some(rest) = value.strip_prefix(&data_dir) {
            *value = format!("{}{rest}", volume.display());
        }
    }
    let addr = env["M2O_HTTP_ADDR"].clone();
    let host = addr.rsplit_once(':').unwrap().0;
    env.insert("M2O_HTTP_ADDR".into(), format!("{host}:{}", free_port()));
    env.insert("TELOXIDE_API_URL".into(), emu.api_url().to_string());
    env
}

/// `docker run` with the image's ENTRYPOINT and CMD.
fn start_container(dir: &Path, env: &BTreeMap<String, String>) -> Child {
    let runtime = runtime_stage();
    let entrypoint = exec_form(runtime.one("ENTRYPOINT"));
    assert_eq!(entrypoint[0], "m2o-bot", "the binary, found on PATH");
    m2o(dir, env).args(&entrypoint[1..]).args(exec_form(runtime.one("CMD"))).stderr(Stdio::piped()).spawn().unwrap()
}

/// The compose file's healthcheck, once: (exit code, what it said).
fn healthcheck(dir: &Path, env: &BTreeMap<String, String>) -> (Option<i32>, String) {
    let test: Vec<String> = service(&compose())["healthcheck"]["test"].as_vec().unwrap().iter().map(str_of).collect();
    assert_eq!(test[..2], ["CMD", "m2o-bot"]);
    let out = m2o(dir, env).args(&test[2..]).output().unwrap();
    (out.status.code(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

async fn until_healthy(dir: &Path, env: &BTreeMap<String, String>) -> String {
    let start = Instant::now();
    loop {
        let (code, said) = healthcheck(dir, env);
        if code == Some(0) {
            return said;
        }
        assert!(start.elapsed() < WAIT, "never healthy: {said}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `docker stop`: SIGTERM, then the exit code and the log.
async fn docker_stop(mut child: Child) -> (Option<i32>, String) {
    // SAFETY: kill(2) with our own child's pid only sends it a signal.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > WAIT {
            child.kill().unwrap();
            panic!("still running after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let mut log = String::new();
    child.stderr.take().unwrap().read_to_string(&mut log).unwrap();
    (status.code(), log)
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// Two workers: the emulator must keep answering the bot while this test's thread waits on a
// `m2o-bot health` process (on one thread, a probe during the bot's start stalls both).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_deploy_runs_the_bot_healthy_stops_it_on_sigterm_and_restores_its_backup() {
    let emu = Emulator::start().await.unwrap();
    let control = emu.create_bot("m2o_deploy_bot", "M2O");
    let ann = emu.add_user(4242, "Ann", None, Some("en"));
    let dir = tempfile::tempdir().unwrap();
    // A new named volume: the image's /data, owned by the bot's user (here: us).
    let volume = dir.path().join("volume");
    std::fs::create_dir(&volume).unwrap();
    std::fs::set_permissions(&volume, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();

    // The three required variables, and the admin token the backup step needs.
    let given = [
        ("TELOXIDE_TOKEN", control.token.as_str()),
        ("M2O_MASTER_IDS", "42"),
        ("M2O_SECRET_KEY", SECRET_KEY),
        ("M2O_API_TOKEN", API_TOKEN),
    ];
    let env = on_this_machine(container_env(&given).unwrap(), &emu, &volume);
    let addr = env["M2O_HTTP_ADDR"].clone();
    assert!(addr.starts_with("0.0.0.0:"), "health asks 0.0.0.0 on loopback");

    // Deploy: the container starts, and the health check passes.
    let bot = start_container(dir.path(), &env);
    let said = until_healthy(dir.path(), &env).await;
    assert!(said.starts_with("ready (updates by polling: ok, store: ok"), "{said}");
    assert_eq!(mode(&volume), 0o700, "the bot keeps the volume to its user");
    emu.send_text(&control.token, &ann, "/start");
    let welcome = emu.next_message(&control.token, ann.id, WAIT).await.expect("the bot answers Telegram");
    assert!(welcome.text.contains("email"), "{}", welcome.text);
    emu.send_text(&control.token, &ann, "ann@example.org");
    let sent = emu.next_message(&control.token, ann.id, WAIT).await.expect("the code is sent");
    assert!(sent.text.contains("ann@example.org"), "{}", sent.text);

    // Backups: the daily one lands on the volume…
    let backups = PathBuf::from(&env["M2O_BACKUP_DIR"]);
    assert!(backups.starts_with(&volume), "M2O_BACKUP_DIR is on the volume: {}", backups.display());
    let start = Instant::now();
    let daily = loop {
        let found = std::fs::read_dir(&backups).ok().and_then(|mut d| d.find_map(|e| e.ok().map(|e| e.path())));
        if let Some(path) = found.filter(|p| p.extension().is_some_and(|e| e == "jsonl")) {
            break path;
        }
        assert!(start.elapsed() < WAIT, "no daily backup in {}", backups.display());
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(mode(&daily), 0o600);
    // …and the README's curl takes one off the server.
    let section = deploy_section();
    let lines = code_lines(&section);
    let curl = lines.iter().find(|l| l.starts_with("curl ")).expect("the README's backup command");
    let curl = words(curl);
    let flag = |f: &str| curl[curl.iter().position(|w| w == f).unwrap_or_else(|| panic!("curl {f}")) + 1].clone();
    let (name, value) = flag("-H").split_once(": ").map(|(n, v)| (n.to_string(), v.to_string())).unwrap();
    assert_eq!(value, "Bearer $M2O_API_TOKEN");
    let url = curl.iter().find(|w| w.starts_with("https://")).unwrap();
    let path = &url[url[8..].find('/').unwrap() + 8..];
    let local = format!("http://127.0.0.1:{}{path}", port(&addr));
    let response = reqwest::Client::new()
        .get(&local)
        .header(name, value.replace("$M2O_API_TOKEN", API_TOKEN))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{local}");
    let backup = dir.path().join(flag("-o"));
    std::fs::write(&backup, response.bytes().await.unwrap()).unwrap();

    // docker stop (and Coolify's stop or redeploy): SIGTERM, a clean exit.
    let (code, log) = docker_stop(bot).await;
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("stopping"), "{log}");
    assert!(!log.contains(&control.token) && !log.contains(SECRET_KEY), "no secret in the log");

    // Restore, as the README says: each `docker run` line, the image's ENV, `-e` from the shell
    // (the key the backup was made with), the volume at /data.
    let restore: Vec<&String> = lines.iter().filter(|l| l.starts_with("docker run ")).collect();
    assert_eq!(restore.len(), 2, "empty the volume, then restore: {restore:?}");
    let shell: HashMap<&str, &str> = [("M2O_SECRET_KEY", SECRET_KEY)].into();
    let mut restored = String::new();
    for line in restore {
        let w = words(line);
        let image = w.iter().position(|x| x == "<image>").expect("docker run … <image> …");
        let mut program = BIN.to_string();
        let mut run_env = on_this_machine(runtime_stage().env(), &emu, &volume);
        let mut i = 2;
        while i < image {
            match w[i].as_str() {
                "--rm" | "-i" => {}
                "-e" => {
                    i += 1;
                    run_env.insert(w[i].clone(), shell[w[i].as_str()].to_string());
                }
                "-v" => {
                    i += 1;
                    assert_eq!(w[i], format!("<volume>:{}", runtime_stage().env()["M2O_DATA_DIR"]), "{line}");
                }
                "--entrypoint" => {
                    i += 1;
                    program = w[i].clone();
                }
                other => panic!("unexpected docker run option {other} in {line}"),
            }
            i += 1;
        }
        let mut args: Vec<String> = w[image + 1..].to_vec();
        let stdin = match args.iter().position(|a| a == "<") {
            Some(at) => {
                let file = args[at + 1].clone();
                args.truncate(at);
                Stdio::from(std::fs::File::open(dir.path().join(file)).unwrap())
            }
            None => Stdio::null(),
        };
        let args: Vec<String> = args
            .iter()
            .map(|a| a.strip_prefix("/data").map_or(a.clone(), |r| format!("{}{r}", volume.display())))
            .collect();
        let mut cmd = Command::new(&program);
        if program == BIN {
            cmd = m2o(dir.path(), &run_env);
        }
        let out = cmd.args(&args).stdin(stdin).output().unwrap();
        assert!(out.status.success(), "{line}: {}", String::from_utf8_lossy(&out.stderr));
        restored = String::from_utf8_lossy(&out.stdout).to_string();
    }
    assert!(restored.contains("1 contacts"), "Ann's record came back: {restored}");

    // Started again, the restored bot opens with its key and is healthy.
    let bot = start_container(dir.path(), &env);
    until_healthy(dir.path(), &env).await;
    let (code, log) = docker_stop(bot).await;
    assert_eq!(code, Some(0), "{log}");
}
