//! The Twenty CRM mirror against a wiremock double shaped like Twenty's REST API (the fleet's API
//! notes, `apis.md` section 4 "Twenty CRM REST API"): find by primary email, then create or update,
//! and which failures are worth a retry.

use m2o_bot::services::twenty::{CrmError, CrmPerson, TwentyClient};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.test-workspace-key.sig";
const EMAIL: &str = "ann@example.com";
const PERSON_ID: &str = "20202020-1c25-4d02-bf25-6aeccf7ea419";
const FILTER: &str = "emails.primaryEmail[eq]:\"ann@example.com\"";

fn person() -> CrmPerson {
    CrmPerson {
        email: EMAIL.into(),
        first_name: "Ann".into(),
        state: "pending_review".into(),
        score: Some(42),
        agent_name: None,
        telegram_user_id: 5_123_456_789,
    }
}

fn client(server: &MockServer) -> TwentyClient {
    TwentyClient::new(reqwest::Client::new(), &format!("{}/rest", server.uri()), TOKEN)
}

/// A found record as Twenty returns it: composite fields, system fields, our custom fields.
fn record(id: &str) -> serde_json::Value {
    json!({
        "id": id,
        "name": { "firstName": "Ann", "lastName": "Lee" },
        "emails": { "primaryEmail": EMAIL, "additionalEmails": [] },
        "city": "",
        "jobTitle": "",
        "position": 1,
        "createdAt": "2026-01-05T10:00:00.000Z",
        "updatedAt": "2026-01-05T10:00:00.000Z",
        "deletedAt": null,
        "m2oState": "new",
        "m2oScore": null,
        "m2oAgentName": "",
        "m2oTelegramId": "5123456789"
    })
}

fn found(people: Vec<serde_json::Value>) -> ResponseTemplate {
    let count = people.len();
    ResponseTemplate::new(200).set_body_json(json!({
        "data": { "people": people },
        "pageInfo": { "hasNextPage": false, "startCursor": "WzFd", "endCursor": "WzFd" },
        "totalCount": count
    }))
}

fn twenty_error(status: u16, error: &str, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(json!({
        "statusCode": status,
        "error": error,
        "messages": [message]
    }))
}

/// The find every upsert starts with, bearer and email filter included.
fn find() -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/rest/people"))
        .and(query_param("filter", FILTER))
        .and(query_param("limit", "1"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
}

#[tokio::test]
async fn a_new_person_is_created() {
    let server = MockServer::start().await;
    find().respond_with(found(vec![])).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/rest/people"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(json!({
            "name": { "firstName": "Ann" },
            "emails": { "primaryEmail": EMAIL, "additionalEmails": [] },
            "m2oState": "pending_review",
            "m2oScore": 42,
            "m2oAgentName": "",
            "m2oTelegramId": "5123456789"
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({ "data": { "createPerson": record(PERSON_ID) } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH")).respond_with(ResponseTemplate::new(200)).expect(0).mount(&server).await;

    let id = client(&server).upsert_person(&person()).await.unwrap();
    assert_eq!(id, PERSON_ID);
}

#[tokio::test]
async fn an_empty_first_name_is_not_sent() {
    let server = MockServer::start().await;
    find().respond_with(found(vec![])).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/rest/people"))
        .and(body_json(json!({
            "emails": { "primaryEmail": EMAIL, "additionalEmails": [] },
            "m2oState": "active",
            "m2oScore": null,
            "m2oAgentName": "ann-bot",
            "m2oTelegramId": "5123456789"
        })))
        .respond_with(
            ResponseTemplate::new(201).set_body_json(json!({ "data": { "createPerson": record(PERSON_ID) } })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let p = CrmPerson {
        first_name: String::new(),
        state: "active".into(),
        score: None,
        agent_name: Some("ann-bot".into()),
        ..person()
    };
    client(&server).upsert_person(&p).await.unwrap();
}

#[tokio::test]
async fn an_existing_person_is_updated_by_id() {
    let server = MockServer::start().await;
    find().respond_with(found(vec![record(PERSON_ID)])).expect(1).mount(&server).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/rest/people/{PERSON_ID}")))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .and(body_json(json!({
            "name": { "firstName": "Ann" },
            "m2oState": "pending_review",
            "m2oScore": 42,
            "m2oAgentName": "",
            "m2oTelegramId": "5123456789"
        })))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "data": { "updatePerson": record(PERSON_ID) } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).expect(0).mount(&server).await;

    let id = client(&server).upsert_person(&person()).await.unwrap();
    assert_eq!(id, PERSON_ID);
}

#[tokio::test]
async fn the_older_edges_shape_of_a_find_is_understood() {
    let server = MockServer::start().await;
    find()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": { "people": { "edges": [ { "node": record(PERSON_ID) } ] } }
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path(format!("/rest/people/{PERSON_ID}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "data": { "updatePerson": record(PERSON_ID) } })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let id = client(&server).upsert_person(&person()).await.unwrap();
    assert_eq!(id, PERSON_ID);
}

#[tokio::test]
async fn a_bare_host_gets_the_rest_prefix() {
    let server = MockServer::start().await;
    find().respond_with(found(vec![record(PERSON_ID)])).expect(1).mount(&server).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/rest/people/{PERSON_ID}")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "data": { "updatePerson": record(PERSON_ID) } })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let client = TwentyClient::new(reqwest::Client::new(), &format!("{}/", server.uri()), TOKEN);
    client.upsert_person(&person()).await.unwrap();
}

#[tokio::test]
async fn a_server_error_is_retryable() {
    let server = MockServer::start().await;
    find()
        .respond_with(twenty_error(500, "InternalServerErrorException", "Internal server error"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).upsert_person(&person()).await.unwrap_err();
    assert!(matches!(err, CrmError::Retryable(_)), "{err:?}");
}

#[tokio::test]
async fn a_failed_create_is_classified_too() {
    let server = MockServer::start().await;
    find().respond_with(found(vec![])).expect(1).mount(&server).await;
    Mock::given(method("POST"))
        .and(path("/rest/people"))
        .respond_with(twenty_error(503, "ServiceUnavailableException", "try later"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).upsert_person(&person()).await.unwrap_err();
    assert!(matches!(err, CrmError::Retryable(_)), "{err:?}");
}

#[tokio::test]
async fn rate_limiting_is_retryable() {
    let server = MockServer::start().await;
    find().respond_with(twenty_error(429, "ThrottlerException", "Too Many Requests")).expect(1).mount(&server).await;

    let err = client(&server).upsert_person(&person()).await.unwrap_err();
    assert!(matches!(err, CrmError::Retryable(_)), "{err:?}");
}

#[tokio::test]
async fn a_refused_token_is_fatal_and_never_shown() {
    let server = MockServer::start().await;
    find().respond_with(twenty_error(401, "UNAUTHENTICATED", "Token has expired.")).expect(1).mount(&server).await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(201)).expect(0).mount(&server).await;

    let err = client(&server).upsert_person(&person()).await.unwrap_err();
    assert!(matches!(err, CrmError::Fatal(_)), "{err:?}");
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("401") && shown.contains("Token has expired."), "{shown}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

#[tokio::test]
async fn another_client_error_is_fatal() {
    // The person was deleted in Twenty between our find and our update.
    let server = MockServer::start().await;
    find().respond_with(found(vec![record(PERSON_ID)])).expect(1).mount(&server).await;
    Mock::given(method("PATCH"))
        .and(path(format!("/rest/people/{PERSON_ID}")))
        .respond_with(twenty_error(400, "EntityNotFoundError", "Could not find any entity of type \"person\""))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).upsert_person(&person()).await.unwrap_err();
    assert!(matches!(err, CrmError::Fatal(ref m) if m.contains("400") && m.contains("EntityNotFoundError")), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_retryable() {
    // A port that was free a moment ago: nothing listens there.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);

    let client = TwentyClient::new(reqwest::Client::new(), &format!("http://127.0.0.1:{port}/rest"), TOKEN);
    let err = client.upsert_person(&person()).await.unwrap_err();
    assert!(matches!(err, CrmError::Retryable(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(TOKEN));
}
