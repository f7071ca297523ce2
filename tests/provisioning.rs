//! Provisioning for real: `/spawn` through the Coolify provisioner against a wiremock Coolify,
//! retries (500, 429 with Retry-After), a fatal error and [Retry], a kill in the middle of the
//! create step, the spawn-command provisioner with a timeout, and a CRM that is down.

mod common;

use common::*;
use m2o_bot::domain::agent::{AgentState, JobState};
use m2o_bot::domain::ContactState;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const APP: &str = "a4w8kk8ok0c0gs4s0kwo4cgs";
const DEPLOYMENT: &str = "dz0g8c4c4ckow0ok8ss04skw";

fn app_row(name: &str) -> Value {
    json!({"uuid": APP, "name": name, "build_pack": "dockerimage", "docker_registry_image_name": "machine-machine/m2-desktop",
           "docker_registry_image_tag": "agent-latest", "ports_exposes": "4822", "status": "running:healthy", "environment_id": 3})
}

fn deployment(status: &str) -> Value {
    json!({"id": 41, "deployment_uuid": DEPLOYMENT, "status": status, "application_name": "peter-desktop",
           "deployment_url": "/project/p/production/application/a/deployment/d"})
}

async fn coolify() -> MockServer {
    MockServer::start().await
}

fn coolify_vars(server: &MockServer) -> Vec<(String, String)> {
    vec![
        ("M2O_PROVISIONER".into(), "coolify".into()),
        ("M2O_COOLIFY_API_URL".into(), server.uri()),
        ("M2O_COOLIFY_TOKEN".into(), "coolify-test-token".into()),
        ("M2O_COOLIFY_PROJECT_UUID".into(), "pj0k4wgwc8o0wk8sgoso4k0g".into()),
        ("M2O_COOLIFY_SERVER_UUID".into(), "sv0c0o8s4g8kskw0ss4cw8c0".into()),
    ]
}

/// Mounts the calls after the create step: envs, deploy, a finished deployment.
async fn mount_rest(server: &MockServer) {
    // The app's deployments: none before the deploy call (the job notes them before it calls).
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/applications/{APP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/applications/{APP}/envs/bulk")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!([])))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/deploy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"deployments": [{"message": "Application peter-desktop deployment queued.", "resource_uuid": APP, "deployment_uuid": DEPLOYMENT}]})))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/{DEPLOYMENT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("finished")))
        .mount(server)
        .await;
}

async fn bench_with(vars: Vec<(String, String)>) -> Bench {
    let refs: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    Bench::with(&refs).await
}

async fn count(server: &MockServer, verb: &str, p: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == verb && r.url.path() == p)
        .count()
}

/// Waits until peter is deployed (and not before), then plays the agent booting: it reports online
/// with its own token, and the masters hear "⚡ peter is online".
async fn report_online(bench: &Bench, m: &tg_emulator::TestUser) {
    bench
        .eventually("deployed", |b| {
            b.app().store.jobs().unwrap().iter().any(|j| j.agent == "peter" && j.state == JobState::Deployed)
        })
        .await;
    let agent = bench.app().store.agent("peter").unwrap().unwrap();
    assert_eq!(agent.state, AgentState::Provisioning, "deployed is not live: live is the agent's own report");
    let token = bench.app().secrets.agent_api_token("peter", agent.generation());
    let url = format!("http://{}/v1/agents/peter/online", bench.http_addr.unwrap());
    let r = reqwest::Client::new().post(url).bearer_auth(token).json(&json!({})).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    bench.message_containing(m.id, "⚡ peter is online").await;
}

async fn spawn_peter(bench: &Bench) -> tg_emulator::TestUser {
    let m = bench.master(MASTER);
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    bench.emu.send_text(&bench.control.token, &m, &format!("/spawn peter {}", bot.token));
    bench.message_containing(m.id, "Spawning peter").await;
    m
}

#[tokio::test]
async fn spawn_on_coolify_creates_sets_env_deploys_and_goes_live() {
    let server = coolify().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    // A 500 first: retried, then created.
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "Server Error"})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"uuid": APP})))
        .mount(&server)
        .await;
    mount_rest(&server).await;
    let bench = bench_with(coolify_vars(&server)).await;
    let m = spawn_peter(&bench).await;
    report_online(&bench, &m).await;
    let agent = bench.app().store.agent("peter").unwrap().unwrap();
    assert_eq!((agent.state, agent.app_id.as_deref()), (AgentState::Live, Some(APP)));
    assert_eq!(count(&server, "POST", "/api/v1/applications/dockerimage").await, 2, "one 500, one success");
    // The environment the agent got: its name, token, timezone, API token and URL.
    let env =
        server.received_requests().await.unwrap().into_iter().find(|r| r.url.path().ends_with("/envs/bulk")).unwrap();
    let body: Value = serde_json::from_slice(&env.body).unwrap();
    let keys: Vec<&str> = body["data"].as_array().unwrap().iter().map(|v| v["key"].as_str().unwrap()).collect();
    assert_eq!(keys, ["AGENT_NAME", "AGENT_TELEGRAM_BOT_TOKEN", "AGENT_TIMEZONE", "M2O_AGENT_TOKEN", "M2O_API_URL"]);
    let api_token = body["data"][3]["value"].as_str().unwrap();
    assert_eq!(
        agent.api_token_hash.as_deref(),
        Some(m2o_bot::crypto::token_hash(api_token).as_str()),
        "only the hash is kept"
    );
    assert_eq!(bench.app().store.job(agent.job_id).unwrap().unwrap().state, JobState::Done);
    bench.stop().await;
}

#[tokio::test]
async fn a_429_waits_as_long_as_retry_after_says() {
    let server = coolify().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"uuid": APP})))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/deploy"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_json(json!({"message": "Rate limit exceeded. Please try again later."})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_rest(&server).await;
    let bench = bench_with(coolify_vars(&server)).await;
    let started = Instant::now();
    let m = spawn_peter(&bench).await;
    report_online(&bench, &m).await;
    assert!(started.elapsed() >= Duration::from_secs(1), "waited for Retry-After: {:?}", started.elapsed());
    assert_eq!(count(&server, "POST", "/api/v1/deploy").await, 2);
    bench.stop().await;
}

#[tokio::test]
async fn a_fatal_error_fails_the_job_with_the_exact_error_and_retry_finishes_it() {
    let server = coolify().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({"message": "Validation failed.", "errors": {"ports_exposes": ["The ports exposes field is required."]}})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"uuid": APP})))
        .mount(&server)
        .await;
    mount_rest(&server).await;
    let bench = bench_with(coolify_vars(&server)).await;
    let m = spawn_peter(&bench).await;
    let failed = bench.message_containing(m.id, "❌ Provisioning peter failed at step 3").await;
    assert!(failed.text.contains("Validation failed") && failed.text.contains("ports_exposes"), "{}", failed.text);
    assert_eq!(bench.app().store.agent("peter").unwrap().unwrap().state, AgentState::Failed);
    let fleet_line = m2o_bot::bot::views::fleet(bench.app());
    assert!(fleet_line.starts_with("Fleet: peter 🔴"), "{fleet_line}");

    let tap = bench.emu.tap(&bench.control.token, &m, failed.message_id, &failed.button_data("Retry").unwrap());
    assert!(!tap.is_empty());
    report_online(&bench, &m).await;
    assert_eq!(bench.app().store.agent("peter").unwrap().unwrap().state, AgentState::Live);
    bench.stop().await;
}

#[tokio::test]
async fn killed_during_the_create_step_resumes_without_a_second_app() {
    let server = coolify().await;
    // Before the kill Coolify has no app; afterwards it lists the one the interrupted call created.
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([app_row("peter-desktop")])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"uuid": APP})).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    mount_rest(&server).await;
    let mut bench = bench_with(coolify_vars(&server)).await;
    let m = spawn_peter(&bench).await;
    // Wait until the create call is in flight, then stop the process mid-step.
    for _ in 0..250 {
        if count(&server, "POST", "/api/v1/applications/dockerimage").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let job = bench.app().store.jobs().unwrap().pop().unwrap();
    assert_eq!((job.step, job.app_id.clone()), (m2o_bot::domain::agent::Step::CreateApp, None), "killed inside step 3");
    bench.restart().await;
    report_online(&bench, &m).await;
    assert_eq!(count(&server, "POST", "/api/v1/applications/dockerimage").await, 1, "exactly one app was created");
    let job = bench.app().store.job(job.id).unwrap().unwrap();
    assert_eq!(job.state, JobState::Done);
    assert!(job.log.iter().any(|r| r.outcome.as_deref().is_some_and(|o| o.contains("found the app"))), "{:?}", job.log);
    bench.stop().await;
}

#[tokio::test]
async fn the_spawn_command_gets_the_token_in_its_environment_and_a_timeout_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("spawn-machine.sh");
    let seen = dir.path().join("seen");
    // First run hangs (killed by the timeout); the second succeeds and records what it got.
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nif [ ! -f {d}/ran-once ]; then touch {d}/ran-once; sleep 30; fi\necho \"$# args; name=$AGENT_NAME token=$AGENT_TELEGRAM_BOT_TOKEN\" > {seen}\necho deployed\n",
            d = dir.path().display(),
            seen = seen.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let vars = vec![
        ("M2O_PROVISIONER".to_string(), "command".to_string()),
        ("M2O_SPAWN_COMMAND".to_string(), script.display().to_string()),
        ("M2O_SPAWN_TIMEOUT_MS".to_string(), "700".to_string()),
    ];
    let bench = bench_with(vars).await;
    let m = bench.master(MASTER);
    let bot = bench.emu.create_bot("peter_agent_bot", "Peter");
    bench.emu.send_text(&bench.control.token, &m, &format!("/spawn peter {}", bot.token));
    report_online(&bench, &m).await;
    let got = std::fs::read_to_string(&seen).unwrap();
    assert_eq!(got.trim(), format!("0 args; name=peter token={}", bot.token), "name and token in env, nothing in argv");
    let job = bench.app().store.jobs().unwrap().pop().unwrap();
    assert!(
        job.log.iter().any(|r| r.outcome.as_deref().is_some_and(|o| o.contains("deployment command:peter"))),
        "{:?}",
        job.log
    );
    bench.stop().await;
}

#[tokio::test]
async fn a_crm_that_is_down_never_blocks_a_client_and_catches_up() {
    let twenty = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(
            ResponseTemplate::new(503)
                .set_body_json(json!({"statusCode": 503, "error": "Service Unavailable", "messages": ["down"]})),
        )
        .mount(&twenty)
        .await;
    let bench = bench_with(vec![
        ("M2O_CRM".into(), "twenty".into()),
        ("M2O_TWENTY_API_URL".into(), twenty.uri()),
        ("M2O_TWENTY_TOKEN".into(), "twenty-token".into()),
        ("M2O_REVIEW_ALL".into(), "false".into()),
    ])
    .await;
    let anna = bench.user(441_000_001, "en");
    let summary = bench.at_confirm(&anna, "anna@acme.io", "anna_helper_bot", "anna-agent").await;
    bench.tap(&anna, &summary, "Confirm").await;
    bench.message_containing(MASTER, "⚡ anna-agent is online").await;
    assert_eq!(
        bench.contact(&anna).unwrap().state,
        ContactState::Live,
        "the client got their agent while the CRM was down"
    );
    assert!(bench.app().store.outbox_len() > 0, "CRM updates wait in the outbox");

    // The CRM comes back; the waiting updates go out (time moves past their backoff).
    twenty.reset().await;
    Mock::given(method("GET"))
        .and(path("/rest/people"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": {"people": []}, "totalCount": 0})))
        .mount(&twenty)
        .await;
    Mock::given(method("POST"))
        .and(path("/rest/people"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(json!({"data": {"createPerson": {"id": "20202020-0000-4000-8000-000000000001"}}})),
        )
        .mount(&twenty)
        .await;
    bench.clock.advance(chrono::Duration::hours(1));
    assert_eq!(bench.outbox_drained().await, 0);
    let creates = twenty.received_requests().await.unwrap();
    let last: Value =
        serde_json::from_slice(&creates.iter().rev().find(|r| r.method.as_str() == "POST").unwrap().body).unwrap();
    assert_eq!(last["m2oState"], "live", "the mirror carries the current state");
    bench.stop().await;
}

/// Killed while Coolify handles `POST /deploy`: on restart the job does not know whether the call
/// went through, asks Coolify for the app's deployments, finds one that was not there before it,
/// and follows that one — one deploy, not two.
#[tokio::test]
async fn killed_during_the_deploy_call_resumes_without_a_second_deploy() {
    let server = coolify().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"uuid": APP})))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/applications/{APP}/envs/bulk")))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!([])))
        .mount(&server)
        .await;
    // Before the deploy call the app has no deployment; after it, the one it queued.
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/applications/{APP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/applications/{APP}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([deployment("in_progress")])))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/deploy"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"deployments": [{"message": "queued", "resource_uuid": APP, "deployment_uuid": DEPLOYMENT}]}))
                .set_delay(Duration::from_secs(5)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/{DEPLOYMENT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("finished")))
        .mount(&server)
        .await;
    let mut bench = bench_with(coolify_vars(&server)).await;
    let m = spawn_peter(&bench).await;
    for _ in 0..250 {
        if count(&server, "POST", "/api/v1/deploy").await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let job = bench.app().store.jobs().unwrap().pop().unwrap();
    assert_eq!((job.step, job.deployment_id.clone()), (m2o_bot::domain::agent::Step::Deploy, None), "killed in step 5");
    bench.restart().await;
    report_online(&bench, &m).await;
    assert_eq!(count(&server, "POST", "/api/v1/deploy").await, 1, "exactly one deploy");
    let job = bench.app().store.job(job.id).unwrap().unwrap();
    assert_eq!(job.deployment_id.as_deref(), Some(DEPLOYMENT));
    assert!(job.log.iter().any(|r| r.outcome.as_deref().is_some_and(|o| o.contains("queued before"))), "{:?}", job.log);
    bench.stop().await;
}

/// Coolify finishes creating the app after our call timed out: the job looks again before it
/// creates another, finds the late app and uses it. A twin that appears anyway is deleted.
#[tokio::test]
async fn a_create_that_outlasts_the_timeout_makes_one_app_and_a_late_twin_is_deleted() {
    use std::sync::{Arc, Mutex};
    const TWIN: &str = "o9twin0000000000000000000";
    let server = coolify().await;
    // The app is in Coolify's list only from 450 ms after the create call arrived (our timeout is
    // 300 ms); and at the register step a twin made by some late retry shows up beside it.
    let created_at: Arc<Mutex<Option<Instant>>> = Arc::default();
    let registered = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (seen, twin_time) = (created_at.clone(), registered.clone());
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(move |_: &wiremock::Request| {
            let visible = seen.lock().unwrap().is_some_and(|t| t.elapsed() >= Duration::from_millis(450));
            let mut rows = if visible { vec![app_row("peter-desktop")] } else { vec![] };
            if twin_time.load(std::sync::atomic::Ordering::SeqCst) {
                let mut twin = app_row("peter-desktop");
                twin["uuid"] = json!(TWIN);
                twin["created_at"] = json!("2999-01-01T00:00:00.000000Z");
                rows.push(twin);
            }
            ResponseTemplate::new(200).set_body_json(json!(rows))
        })
        .mount(&server)
        .await;
    let arrived = created_at.clone();
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(move |_: &wiremock::Request| {
            arrived.lock().unwrap().get_or_insert_with(Instant::now);
            ResponseTemplate::new(201).set_body_json(json!({"uuid": APP})).set_delay(Duration::from_millis(450))
        })
        .mount(&server)
        .await;
    let twin_now = registered.clone();
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/applications/{APP}/envs/bulk")))
        .respond_with(move |_: &wiremock::Request| {
            twin_now.store(true, std::sync::atomic::Ordering::SeqCst);
            ResponseTemplate::new(201).set_body_json(json!([]))
        })
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/applications/{TWIN}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "Application deleted."})))
        .mount(&server)
        .await;
    mount_rest(&server).await;
    let mut vars = coolify_vars(&server);
    vars.push(("M2O_HTTP_TIMEOUT_MS".into(), "300".into()));
    let bench = bench_with(vars).await;
    let m = spawn_peter(&bench).await;
    report_online(&bench, &m).await;
    assert_eq!(count(&server, "POST", "/api/v1/applications/dockerimage").await, 1, "one create call, one app");
    let job = bench.app().store.jobs().unwrap().into_iter().find(|j| j.agent == "peter").unwrap();
    assert_eq!(job.app_id.as_deref(), Some(APP));
    assert!(job.log.iter().any(|r| r.outcome.as_deref().is_some_and(|o| o.contains("after the call timed out"))));
    assert_eq!(count(&server, "DELETE", &format!("/api/v1/applications/{TWIN}")).await, 1, "the twin is deleted");
    assert_eq!(count(&server, "DELETE", &format!("/api/v1/applications/{APP}")).await, 0, "the app kept stays");
    bench.stop().await;
}
