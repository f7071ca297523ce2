//! Pre-registering an agent's desktop in Guacamole against a wiremock double shaped like the
//! guacamole-client REST API (the fleet's API notes, `apis.md` section 6 "Apache Guacamole REST
//! API"): form login, connection list and create, an expired token, refused credentials, and
//! delete.

use m2o_bot::services::guacamole::{GuacError, GuacamoleClient, REJECTED_LOGIN};
use serde_json::json;
use wiremock::matchers::{body_json, body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const USER: &str = "m2o-bot";
// Characters that form encoding must escape, so the exact body proves it was encoded.
const PASSWORD: &str = "s3cret p@ss&word";
const FORM: &str = "username=m2o-bot&password=s3cret+p%40ss%26word";
const TOKEN: &str = "0BDA2C3F6A8E4D1B9C7E5F3A1D2B4C6E8F0A1B3C5D7E9F1A3B5C7D9E1F3A8EE8";
const FRESH_TOKEN: &str = "7C1E9A3B5D7F9E1C3A5B7D9F1E3C5A7B9D1F3E5C7A9B1D3F5E7C9A1B3D5F7E9A";
const CONNECTIONS: &str = "/guacamole/api/session/data/postgresql/connections";
const NAME: &str = "ann-desktop";

fn client(server: &MockServer) -> GuacamoleClient {
    GuacamoleClient::new(reqwest::Client::new(), &format!("{}/guacamole", server.uri()), USER, PASSWORD)
}

/// `POST /api/tokens` as the JDBC backend answers it (APIAuthenticationResult).
fn token(auth_token: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "authToken": auth_token,
        "username": USER,
        "dataSource": "postgresql",
        "availableDataSources": ["postgresql", "postgresql-shared"]
    }))
}

fn login() -> wiremock::MockBuilder {
    Mock::given(method("POST"))
        .and(path("/guacamole/api/tokens"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(FORM))
}

/// An APIError body, as rest/APIError.java serialises it.
fn api_error(status: u16, kind: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "message": message,
        "translatableMessage": { "key": message, "variables": null },
        "statusCode": null,
        "expected": null,
        "type": kind
    }))
}

/// One entry of the connection list, as the JDBC backend gives it (no parameters in a list).
fn listed(identifier: &str, name: &str) -> serde_json::Value {
    json!({
        "name": name,
        "identifier": identifier,
        "parentIdentifier": "ROOT",
        "protocol": "vnc",
        "attributes": {
            "guacd-encryption": null, "failover-only": null, "weight": null,
            "max-connections": null, "guacd-hostname": null, "guacd-port": null,
            "max-connections-per-user": null
        },
        "activeConnections": 0,
        "lastActive": 1767607200000u64
    })
}

fn list(entries: &[(&str, &str)]) -> ResponseTemplate {
    let map: serde_json::Map<String, serde_json::Value> =
        entries.iter().map(|(id, name)| (id.to_string(), listed(id, name))).collect();
    ResponseTemplate::new(200).set_body_json(map)
}

fn get_connections(with_token: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET")).and(path(CONNECTIONS)).and(header("Guacamole-Token", with_token))
}

fn no_create() -> Mock {
    Mock::given(method("POST")).and(path(CONNECTIONS)).respond_with(ResponseTemplate::new(200)).expect(0)
}

#[tokio::test]
async fn a_missing_connection_is_created() {
    let server = MockServer::start().await;
    login().respond_with(token(TOKEN)).expect(1).mount(&server).await;
    get_connections(TOKEN).respond_with(list(&[("3", "bob-desktop")])).expect(1).mount(&server).await;
    let sent = json!({
        "parentIdentifier": "ROOT",
        "name": NAME,
        "protocol": "vnc",
        "parameters": { "hostname": "ann", "port": "5900" },
        "attributes": {}
    });
    let mut echoed = sent.clone();
    echoed["identifier"] = json!("7");
    echoed["activeConnections"] = json!(0);
    Mock::given(method("POST"))
        .and(path(CONNECTIONS))
        .and(header("Guacamole-Token", TOKEN))
        .and(header("content-type", "application/json"))
        .and(body_json(sent))
        .respond_with(ResponseTemplate::new(200).set_body_json(echoed))
        .expect(1)
        .mount(&server)
        .await;

    let id = client(&server).ensure_vnc_connection(NAME, "ann", 5900).await.unwrap();
    assert_eq!(id, "7");
}

#[tokio::test]
async fn an_existing_connection_is_found_and_the_token_reused() {
    let server = MockServer::start().await;
    login().respond_with(token(TOKEN)).expect(1).mount(&server).await;
    get_connections(TOKEN).respond_with(list(&[("3", "bob-desktop"), ("12", NAME)])).expect(2).mount(&server).await;
    no_create().mount(&server).await;

    let client = client(&server);
    for _ in 0..2 {
        let id = client.ensure_vnc_connection(NAME, "ann", 5900).await.unwrap();
        assert_eq!(id, "12");
    }
}

#[tokio::test]
async fn an_expired_token_logs_in_again_once() {
    let server = MockServer::start().await;
    // The first login hands out a token that has since expired; the second a fresh one.
    login().respond_with(token(TOKEN)).up_to_n_times(1).expect(1).mount(&server).await;
    login().respond_with(token(FRESH_TOKEN)).expect(1).mount(&server).await;
    get_connections(TOKEN)
        .respond_with(api_error(403, "PERMISSION_DENIED", "Permission Denied."))
        .expect(1)
        .mount(&server)
        .await;
    get_connections(FRESH_TOKEN).respond_with(list(&[("12", NAME)])).expect(1).mount(&server).await;
    no_create().mount(&server).await;

    let id = client(&server).ensure_vnc_connection(NAME, "ann", 5900).await.unwrap();
    assert_eq!(id, "12");
}

#[tokio::test]
async fn a_second_refusal_after_a_fresh_login_is_fatal() {
    // The user lacks the permission to list connections: one retry, then a clear error.
    let server = MockServer::start().await;
    login().respond_with(token(TOKEN)).expect(2).mount(&server).await;
    get_connections(TOKEN)
        .respond_with(api_error(403, "PERMISSION_DENIED", "Permission Denied."))
        .expect(2)
        .mount(&server)
        .await;

    let err = client(&server).ensure_vnc_connection(NAME, "ann", 5900).await.unwrap_err();
    assert!(matches!(err, GuacError::Fatal(ref m) if m.contains(USER)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[tokio::test]
async fn bad_credentials_are_fatal_and_never_shown() {
    let server = MockServer::start().await;
    login()
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "message": "Invalid login",
            "translatableMessage": { "key": "Invalid login", "variables": null },
            "statusCode": null,
            "expected": [
                { "name": "username", "type": "USERNAME" },
                { "name": "password", "type": "PASSWORD" }
            ],
            "type": "INVALID_CREDENTIALS"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    let err = client(&server).ensure_vnc_connection(NAME, "ann", 5900).await.unwrap_err();
    assert_eq!(err, GuacError::Fatal(REJECTED_LOGIN.into()));
    assert_eq!(err.to_string(), "Guacamole rejected M2O_GUACAMOLE_USER/M2O_GUACAMOLE_PASSWORD");
    let shown = format!("{err} {err:?} {:?}", client(&server));
    assert!(!shown.contains(PASSWORD), "{shown}");
}

#[tokio::test]
async fn a_server_error_is_retryable() {
    let server = MockServer::start().await;
    login().respond_with(token(TOKEN)).expect(1).mount(&server).await;
    get_connections(TOKEN)
        .respond_with(api_error(500, "INTERNAL_ERROR", "Unexpected internal error."))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).ensure_vnc_connection(NAME, "ann", 5900).await.unwrap_err();
    assert!(matches!(err, GuacError::Retryable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}

#[tokio::test]
async fn a_failing_login_server_is_retryable() {
    let server = MockServer::start().await;
    login()
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>Bad Gateway</html>"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).ensure_vnc_connection(NAME, "ann", 5900).await.unwrap_err();
    assert!(matches!(err, GuacError::Retryable(_)), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_retryable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);

    let client =
        GuacamoleClient::new(reqwest::Client::new(), &format!("http://127.0.0.1:{port}/guacamole"), USER, PASSWORD);
    let err = client.delete_connection(NAME).await.unwrap_err();
    assert!(matches!(err, GuacError::Retryable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(PASSWORD));
}

#[tokio::test]
async fn delete_removes_the_named_connection() {
    let server = MockServer::start().await;
    login().respond_with(token(TOKEN)).expect(1).mount(&server).await;
    get_connections(TOKEN).respond_with(list(&[("3", "bob-desktop"), ("12", NAME)])).expect(1).mount(&server).await;
    Mock::given(method("DELETE"))
        .and(path(format!("{CONNECTIONS}/12")))
        .and(header("Guacamole-Token", TOKEN))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;

    client(&server).delete_connection(NAME).await.unwrap();
}

#[tokio::test]
async fn delete_of_an_absent_connection_does_nothing() {
    let server = MockServer::start().await;
    login().respond_with(token(TOKEN)).expect(1).mount(&server).await;
    get_connections(TOKEN).respond_with(list(&[("3", "bob-desktop")])).expect(1).mount(&server).await;
    Mock::given(method("DELETE")).respond_with(ResponseTemplate::new(204)).expect(0).mount(&server).await;

    client(&server).delete_connection(NAME).await.unwrap();
}

#[tokio::test]
async fn a_connection_already_deleted_by_someone_else_is_fine() {
    let server = MockServer::start().await;
    login().respond_with(token(TOKEN)).expect(1).mount(&server).await;
    get_connections(TOKEN).respond_with(list(&[("12", NAME)])).expect(1).mount(&server).await;
    Mock::given(method("DELETE"))
        .and(path(format!("{CONNECTIONS}/12")))
        .respond_with(api_error(404, "NOT_FOUND", "Not found: \"12\""))
        .expect(1)
        .mount(&server)
        .await;

    client(&server).delete_connection(NAME).await.unwrap();
}
