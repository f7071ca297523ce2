//! `CoolifyProvisioner` against a wiremock Coolify: the exact requests it sends (bodies, bearer
//! header, query), how it reads answers shaped like Coolify's openapi.json, and how every kind of
//! failure is classified, without the token or a secret value ever showing in an error.

use m2o_bot::services::coolify::{map_status, split_image, CoolifyProvisioner};
use m2o_bot::services::provisioner::{AppSpec, DeployStatus, EnvVar, ProvisionError, Provisioner};
use serde_json::{json, Value};
use std::time::Duration;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "3|coolify-secret-token-xyz";
const PROJECT: &str = "pj0k4wgwc8o0wk8sgoso4k0g";
const SERVER: &str = "sv8ck0o4k4gk0cw8cgcc0s04";
const APP: &str = "a4w8kk8ok0c0gs4s0kwo4cgs";
const DEPLOYMENT: &str = "dz0g8c4c4ckow0ok8ss04skw";
const BOT_TOKEN: &str = "7890123456:AAHsecretsecretsecretsecret";
const BEARER: &str = "Bearer 3|coolify-secret-token-xyz";

fn spec() -> AppSpec {
    AppSpec { name: "peter".into(), image: "machine-machine/m2-desktop:agent-latest".into() }
}

fn vars() -> Vec<EnvVar> {
    vec![
        EnvVar { key: "AGENT_NAME".into(), value: "peter".into(), secret: false },
        EnvVar { key: "AGENT_TELEGRAM_BOT_TOKEN".into(), value: BOT_TOKEN.into(), secret: true },
    ]
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client")
}

fn coolify(server: &MockServer) -> CoolifyProvisioner {
    CoolifyProvisioner::new(http(), &server.uri(), TOKEN, PROJECT, SERVER)
}

/// An `Application` as `GET /applications` lists it (a token without `read:sensitive`).
fn application(uuid: &str, name: &str) -> Value {
    json!({
        "uuid": uuid,
        "name": name,
        "description": null,
        "fqdn": null,
        "config_hash": "3f1c0a3c0b8d6f1f2b1e0d6c2a8e4b9a",
        "git_repository": "coollabsio/coolify",
        "git_branch": "main",
        "git_commit_sha": "HEAD",
        "docker_registry_image_name": "machine-machine/m2-desktop",
        "docker_registry_image_tag": "agent-latest",
        "build_pack": "dockerimage",
        "static_image": "nginx:alpine",
        "install_command": "",
        "build_command": "",
        "start_command": "",
        "ports_exposes": "4822",
        "ports_mappings": null,
        "base_directory": "/",
        "publish_directory": "",
        "health_check_enabled": false,
        "health_check_path": "/",
        "status": "running:healthy",
        "destination_type": "App\\Models\\StandaloneDocker",
        "destination_id": 1,
        "environment_id": 3,
        "created_at": "2026-01-10T09:12:45.000000Z",
        "updated_at": "2026-01-10T09:15:02.000000Z",
        "deleted_at": null
    })
}

/// An `EnvironmentVariable` as the bulk update echoes it (values hidden without `read:sensitive`).
fn env_row(uuid: &str, key: &str, shown_once: bool) -> Value {
    json!({
        "uuid": uuid,
        "key": key,
        "is_literal": true,
        "is_multiline": false,
        "is_preview": false,
        "is_runtime": true,
        "is_buildtime": true,
        "is_shared": false,
        "is_shown_once": shown_once,
        "comment": null,
        "version": "4.0.0",
        "created_at": "2026-01-10T09:12:46.000000Z",
        "updated_at": "2026-01-10T09:12:46.000000Z"
    })
}

/// An `ApplicationDeploymentQueue` in a given state.
fn deployment(status: &str) -> Value {
    json!({
        "id": 41,
        "application_id": "17",
        "deployment_uuid": DEPLOYMENT,
        "pull_request_id": 0,
        "docker_registry_image_tag": null,
        "force_rebuild": false,
        "commit": "HEAD",
        "status": status,
        "is_webhook": false,
        "is_api": true,
        "created_at": "2026-01-10T09:12:47.000000Z",
        "updated_at": "2026-01-10T09:13:40.000000Z",
        "logs": "[{\"command\":null,\"output\":\"Starting deployment of machine-machine/m2-desktop:agent-latest.\",\"type\":\"stdout\",\"timestamp\":\"2026-01-10T09:12:48.000000Z\",\"hidden\":false,\"batch\":1,\"order\":1}]",
        "current_process_id": null,
        "restart_only": false,
        "git_type": null,
        "server_id": 0,
        "application_name": "peter-desktop",
        "server_name": "localhost",
        "deployment_url": "/project/pj0k4wgwc8o0wk8sgoso4k0g/production/application/a4w8kk8ok0c0gs4s0kwo4cgs/deployment/dz0g8c4c4ckow0ok8ss04skw",
        "destination_id": "0",
        "only_this_server": false,
        "rollback": false,
        "commit_message": null
    })
}

fn message(e: &ProvisionError) -> String {
    match e {
        ProvisionError::Retryable { message, .. }
        | ProvisionError::Fatal { message }
        | ProvisionError::Unanswered { message } => message.clone(),
    }
}

fn assert_no_secrets(e: &ProvisionError) {
    let shown = format!("{e:?} {e}");
    assert!(!shown.contains(TOKEN), "the Coolify token leaked: {shown}");
    assert!(!shown.contains("coolify-secret-token"), "part of the Coolify token leaked: {shown}");
    assert!(!shown.contains(BOT_TOKEN), "a secret env value leaked: {shown}");
}

#[tokio::test]
async fn create_env_deploy_status_happy_path() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .and(header("authorization", BEARER))
        .and(header("accept", "application/json"))
        .and(body_json(json!({
            "project_uuid": PROJECT,
            "server_uuid": SERVER,
            "environment_name": "production",
            "docker_registry_image_name": "machine-machine/m2-desktop",
            "docker_registry_image_tag": "agent-latest",
            "ports_exposes": "4822",
            "name": "peter-desktop",
            "description": "m2o agent peter",
            "instant_deploy": false
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "uuid": APP,
            "domains": "http://a4w8kk8ok0c0gs4s0kwo4cgs.203.0.113.7.sslip.io"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/applications/{APP}/envs/bulk")))
        .and(header("authorization", BEARER))
        .and(body_json(json!({
            "data": [
                {"key": "AGENT_NAME", "value": "peter", "is_preview": false, "is_literal": true,
                 "is_multiline": false, "is_shown_once": false},
                {"key": "AGENT_TELEGRAM_BOT_TOKEN", "value": BOT_TOKEN, "is_preview": false,
                 "is_literal": true, "is_multiline": false, "is_shown_once": true}
            ]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!([
            env_row("e1ks8wc0gkw4c8s0ow0kg8os", "AGENT_NAME", false),
            env_row("e2o4sk0g8c0w8ks4gc4ows0k", "AGENT_TELEGRAM_BOT_TOKEN", true)
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/v1/deploy"))
        .and(query_param("uuid", APP))
        .and(query_param("force", "false"))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployments": [{
                "message": "Application peter-desktop deployment queued.",
                "resource_uuid": APP,
                "deployment_uuid": DEPLOYMENT
            }]
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/{DEPLOYMENT}")))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("finished")))
        .expect(1)
        .mount(&server)
        .await;

    let c = coolify(&server);
    assert_eq!(c.kind(), "coolify");
    let app = c.create_app(&spec()).await.expect("created");
    assert_eq!(app, APP);
    c.set_env(&app, &vars()).await.expect("env set");
    let dep = c.deploy(&app, &vars()).await.expect("deployed");
    assert_eq!(dep, DEPLOYMENT);
    assert_eq!(c.status(&app, &dep).await.expect("status"), DeployStatus::Finished);
}

#[tokio::test]
async fn api_url_may_already_end_in_api_v1() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/{DEPLOYMENT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("in_progress")))
        .expect(1)
        .mount(&server)
        .await;
    let c = CoolifyProvisioner::new(http(), &format!("{}/api/v1/", server.uri()), TOKEN, PROJECT, SERVER);
    assert_eq!(c.status(APP, DEPLOYMENT).await.expect("status"), DeployStatus::InProgress);
}

#[tokio::test]
async fn find_app_matches_by_name() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            application("o1k0w8s4c4gk0s8c8wg0ocgw", "coolify-proxy-test"),
            application(APP, "peter-desktop"),
            application("o2c8gk4s0wkg0cw8k4sc0k0o", "paula-desktop")
        ])))
        .expect(2)
        .mount(&server)
        .await;
    let c = coolify(&server);
    assert_eq!(c.find_apps(&spec()).await.expect("listed"), vec![APP.to_string()]);
    let other = AppSpec { name: "pete".into(), image: spec().image };
    assert_eq!(c.find_apps(&other).await.expect("listed"), Vec::<String>::new(), "names match exactly, not by prefix");
}

#[tokio::test]
async fn server_error_is_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({"message": "Server Error"})))
        .expect(1)
        .mount(&server)
        .await;
    let e = coolify(&server).create_app(&spec()).await.expect_err("500");
    assert!(matches!(e, ProvisionError::Retryable { retry_after: None, .. }), "{e:?}");
    assert!(message(&e).contains("500") && message(&e).contains("Server Error"), "{e}");
    assert_no_secrets(&e);
}

#[tokio::test]
async fn rate_limit_is_retryable_after_the_servers_delay() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/deploy"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "7")
                .set_body_json(json!({"message": "Rate limit exceeded. Please try again later."})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let e = coolify(&server).deploy(APP, &vars()).await.expect_err("429");
    assert_eq!(
        e,
        ProvisionError::Retryable {
            message: "Coolify deploy: HTTP 429: Rate limit exceeded. Please try again later.".into(),
            retry_after: Some(Duration::from_secs(7)),
        }
    );
}

#[tokio::test]
async fn unauthenticated_is_fatal_and_names_the_variable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"message": "Unauthenticated."})))
        .expect(1)
        .mount(&server)
        .await;
    let e = coolify(&server).find_apps(&spec()).await.expect_err("401");
    assert!(matches!(e, ProvisionError::Fatal { .. }), "{e:?}");
    assert!(message(&e).contains("Coolify rejected M2O_COOLIFY_TOKEN"), "{e}");
    assert_no_secrets(&e);
}

#[tokio::test]
async fn validation_error_is_fatal_with_coolifys_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/applications/dockerimage"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation failed.",
            "errors": {"ports_exposes": ["The ports exposes field format is invalid."]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let e = coolify(&server).create_app(&spec()).await.expect_err("422");
    assert_eq!(
        e,
        ProvisionError::Fatal {
            message: "Coolify create app: HTTP 422: Validation failed. (ports_exposes: The ports exposes field format is invalid.)"
                .into()
        }
    );
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let c = CoolifyProvisioner::new(http(), &format!("http://127.0.0.1:{port}"), TOKEN, PROJECT, SERVER);
    let e = c.find_apps(&spec()).await.expect_err("refused");
    assert!(matches!(e, ProvisionError::Retryable { retry_after: None, .. }), "{e:?}");
    assert!(message(&e).contains("could not reach Coolify"), "{e}");
    assert_no_secrets(&e);
}

#[tokio::test]
async fn secret_values_never_show_in_errors() {
    let server = MockServer::start().await;
    // A misbehaving proxy that echoes the request body in its error page.
    let echo = format!("bad gateway while sending {{\"value\":\"{BOT_TOKEN}\"}}");
    Mock::given(method("PATCH"))
        .and(path(format!("/api/v1/applications/{APP}/envs/bulk")))
        .respond_with(ResponseTemplate::new(502).set_body_string(echo))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/api/v1/applications/o9bad/envs/bulk"))
        .respond_with(ResponseTemplate::new(422).set_body_json(json!({
            "message": "Validation failed.",
            "errors": {"data.1.value": [format!("The value {BOT_TOKEN} is invalid.")]}
        })))
        .expect(1)
        .mount(&server)
        .await;
    let c = coolify(&server);
    let retryable = c.set_env(APP, &vars()).await.expect_err("502");
    assert!(matches!(retryable, ProvisionError::Retryable { .. }), "{retryable:?}");
    assert!(message(&retryable).contains("***"), "{retryable}");
    assert_no_secrets(&retryable);
    let fatal = c.set_env("o9bad", &vars()).await.expect_err("422");
    assert!(matches!(fatal, ProvisionError::Fatal { .. }), "{fatal:?}");
    assert_no_secrets(&fatal);
    // And the variables themselves never print their secret values.
    assert!(!format!("{:?}", vars()).contains(BOT_TOKEN));
}

#[tokio::test]
async fn delete_removes_the_app_and_a_missing_app_is_already_deleted() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path(format!("/api/v1/applications/{APP}")))
        .and(header("authorization", BEARER))
        .and(query_param("delete_configurations", "true"))
        .and(query_param("delete_volumes", "true"))
        .and(query_param("docker_cleanup", "true"))
        .and(query_param("delete_connected_networks", "true"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"message": "Application deleted."})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path("/api/v1/applications/o3gone"))
        .respond_with(ResponseTemplate::new(404).set_body_json(json!({"message": "Application not found."})))
        .expect(1)
        .mount(&server)
        .await;
    let c = coolify(&server);
    c.delete(APP).await.expect("deleted");
    c.delete("o3gone").await.expect("already gone counts as deleted");
}

#[tokio::test]
async fn failed_and_cancelled_deployments_fail() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/{DEPLOYMENT}")))
        .respond_with(ResponseTemplate::new(200).set_body_json(deployment("failed")))
        .expect(1)
        .mount(&server)
        .await;
    match coolify(&server).status(APP, DEPLOYMENT).await.expect("status") {
        DeployStatus::Failed(reason) => {
            assert!(reason.contains(DEPLOYMENT) && reason.contains("/deployment/"), "{reason}");
        }
        other => panic!("expected Failed, got {other:?}"),
    }
}

#[tokio::test]
async fn deploy_without_a_deployment_uuid_is_fatal() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/deploy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "deployments": [{"message": "Resource type is not supported.", "resource_uuid": APP}]
        })))
        .expect(1)
        .mount(&server)
        .await;
    let e = coolify(&server).deploy(APP, &[]).await.expect_err("no deployment");
    assert!(matches!(e, ProvisionError::Fatal { .. }) && message(&e).contains("not supported"), "{e:?}");
}

#[tokio::test]
async fn ids_that_are_not_uuids_never_reach_a_url() {
    // No mock mounted: any request would get wiremock's 404 and fail differently.
    let server = MockServer::start().await;
    let e = coolify(&server).delete("../servers/x").await.expect_err("rejected");
    assert!(matches!(e, ProvisionError::Fatal { .. }), "{e:?}");
    assert!(server.received_requests().await.unwrap_or_default().is_empty());
}

#[test]
fn images_split_like_coolify_does() {
    let s = |i: &str| split_image(i);
    assert_eq!(
        s("machine-machine/m2-desktop:agent-latest"),
        ("machine-machine/m2-desktop".into(), "agent-latest".into())
    );
    assert_eq!(s("nginx"), ("nginx".into(), "latest".into()));
    assert_eq!(s("registry.example.com:5000/team/app"), ("registry.example.com:5000/team/app".into(), "latest".into()));
    assert_eq!(s("registry.example.com:5000/team/app:v2"), ("registry.example.com:5000/team/app".into(), "v2".into()));
    assert_eq!(s("ghcr.io/org/app@sha256:abc"), ("ghcr.io/org/app".into(), "sha256:abc".into()));
}

#[test]
fn deployment_statuses_map() {
    assert_eq!(map_status("d", "finished", None), DeployStatus::Finished);
    assert_eq!(map_status("d", "queued", None), DeployStatus::InProgress);
    assert_eq!(map_status("d", "in_progress", None), DeployStatus::InProgress);
    assert!(matches!(map_status("d", "failed", None), DeployStatus::Failed(_)));
    assert!(matches!(map_status("d", "cancelled-by-user", None), DeployStatus::Failed(r) if r.contains("cancelled")));
    assert_eq!(map_status("d", "something-new", None), DeployStatus::InProgress);
}

#[tokio::test]
async fn twins_are_listed_oldest_first_and_deployments_by_app() {
    let server = MockServer::start().await;
    let mut late = application("o9late0000000000000000000", "peter-desktop");
    late["created_at"] = json!("2026-01-10T09:13:20.000000Z");
    Mock::given(method("GET"))
        .and(path("/api/v1/applications"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([late, application(APP, "peter-desktop")])))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/v1/deployments/applications/{APP}")))
        .and(header("authorization", BEARER))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([deployment("finished"), deployment("queued")])))
        .mount(&server)
        .await;
    let c = coolify(&server);
    assert_eq!(c.find_apps(&spec()).await.unwrap(), vec![APP.to_string(), "o9late0000000000000000000".to_string()]);
    assert_eq!(c.deployments(APP).await.unwrap(), vec![DEPLOYMENT.to_string(), DEPLOYMENT.to_string()]);
    assert!(c.deployments("../x").await.is_err(), "an id that is not a uuid never reaches a URL");
}
