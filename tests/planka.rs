//! The Planka client against a wiremock double shaped like Planka's REST API (the fleet's API
//! notes, `apis.md` section 5 "Planka REST API"): boards from `GET /api/projects`, lists and cards
//! from `GET /api/boards/{id}`, in both the v1 shape (no list `type`, no `listChangedAt`) and the
//! v2 one; both auth modes; which failures are retryable.

use chrono::{DateTime, TimeZone, Utc};
use m2o_bot::services::planka::{PlankaClient, PlankaError};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

const TOKEN: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.planka-access-token.c2lnbmF0dXJl";
const API_KEY: &str = "pk_7Xq2Lm9RtV4sB8nWc3Yd";

const PROJECT: &str = "1357158568008091200";
const BOARD_A: &str = "1357158568008091264";
const BOARD_B: &str = "1357158568008091300";

fn client(server: &MockServer) -> PlankaClient {
    PlankaClient::new(reqwest::Client::new(), &server.uri(), TOKEN)
}

fn bearer() -> wiremock::matchers::HeaderExactMatcher {
    header("authorization", format!("Bearer {TOKEN}").as_str())
}

/// The access token as a bearer, and nothing else.
fn bearer_only(r: &Request) -> bool {
    r.headers.get("authorization").and_then(|v| v.to_str().ok()) == Some(format!("Bearer {TOKEN}").as_str())
        && !r.headers.contains_key("x-api-key")
}

/// The API key in its own header, and no bearer.
fn api_key_only(r: &Request) -> bool {
    r.headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(API_KEY)
        && !r.headers.contains_key("authorization")
}

fn at(day: u32, hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, day, hour, 0, 0).single().expect("a valid time")
}

fn iso(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// `GET /api/projects` as Planka v2 answers it: boards only in `included.boards`.
fn projects(boards: &[(&str, &str, f64)]) -> Value {
    json!({
        "items": [{
            "id": PROJECT, "ownerProjectManagerId": null, "backgroundImageId": null, "name": "Machine.Machine",
            "description": null, "backgroundType": null, "backgroundGradient": null, "isHidden": false,
            "createdAt": "2026-01-02T10:00:00.000Z", "updatedAt": null
        }],
        "included": {
            "users": [{ "id": "1357158568008091100", "name": "m2o bot", "username": "m2o", "avatar": null }],
            "projectManagers": [],
            "backgroundImages": [],
            "baseCustomFieldGroups": [],
            "boards": boards.iter().map(|(id, name, position)| json!({
                "id": id, "projectId": PROJECT, "position": position, "name": name,
                "defaultView": "kanban", "defaultCardType": "project", "limitCardTypesToDefaultOne": false,
                "alwaysDisplayCardCreator": false, "createdAt": "2026-01-02T10:00:00.000Z", "updatedAt": null
            })).collect::<Vec<_>>(),
            "boardMemberships": [],
            "customFields": [],
            "notificationServices": []
        }
    })
}

/// A v2 list; `type` is `active | closed | archive | trash`, system lists have no name or position.
fn list_v2(id: &str, board: &str, kind: &str, name: Option<&str>, position: Option<f64>) -> Value {
    json!({ "id": id, "boardId": board, "type": kind, "position": position, "name": name, "color": null,
            "createdAt": "2026-01-02T10:00:00.000Z", "updatedAt": null })
}

fn card_v2(id: &str, board: &str, list: &str, name: &str, position: f64, moved: DateTime<Utc>) -> Value {
    json!({
        "id": id, "boardId": board, "listId": list, "creatorUserId": "1357158568008091100", "prevListId": null,
        "coverAttachmentId": null, "type": "project", "position": position, "name": name, "description": null,
        "dueDate": null, "isDueCompleted": null, "stopwatch": null, "commentsTotal": 0, "isClosed": false,
        "listChangedAt": iso(moved), "createdAt": "2026-01-05T08:00:00.000Z", "updatedAt": iso(moved)
    })
}

/// `GET /api/boards/{id}` in v2: lists of every type, cards of the finite ones.
fn board_v2(id: &str, name: &str, lists: Vec<Value>, cards: Vec<Value>) -> Value {
    json!({
        "item": { "id": id, "projectId": PROJECT, "position": 65536, "name": name, "defaultView": "kanban",
                  "defaultCardType": "project", "createdAt": "2026-01-02T10:00:00.000Z", "updatedAt": null },
        "included": {
            "boardMemberships": [], "labels": [], "lists": lists, "cards": cards, "cardMemberships": [],
            "cardLabels": [], "taskLists": [], "tasks": [], "attachments": [], "customFieldGroups": [],
            "customFields": [], "customFieldValues": [], "users": [], "projects": [{ "id": PROJECT, "name": "Machine.Machine" }]
        }
    })
}

/// `GET /api/boards/{id}` in v1.x: lists without `type`, cards without `listChangedAt`.
fn board_v1(
    id: &str,
    name: &str,
    lists: &[(&str, &str, f64)],
    cards: &[(&str, &str, &str, f64, DateTime<Utc>)],
) -> Value {
    json!({
        "item": { "id": id, "projectId": PROJECT, "position": 131072, "name": name, "isSubscribed": false,
                  "createdAt": "2025-06-01T10:00:00.000Z", "updatedAt": null },
        "included": {
            "users": [], "boardMemberships": [], "labels": [],
            "lists": lists.iter().map(|(lid, lname, pos)| json!({
                "id": lid, "boardId": id, "position": pos, "name": lname, "color": null,
                "createdAt": "2025-06-01T10:00:00.000Z", "updatedAt": null
            })).collect::<Vec<_>>(),
            "cards": cards.iter().map(|(cid, list, cname, pos, updated)| json!({
                "id": cid, "boardId": id, "listId": list, "creatorUserId": "1", "coverAttachmentId": null,
                "position": pos, "name": cname, "description": null, "dueDate": null, "stopwatch": null,
                "isSubscribed": false, "createdAt": "2025-06-02T10:00:00.000Z", "updatedAt": iso(*updated)
            })).collect::<Vec<_>>(),
            "cardMemberships": [], "cardLabels": [], "taskLists": [], "tasks": [], "attachments": [],
            "projects": [{ "id": PROJECT, "name": "Machine.Machine" }]
        }
    })
}

/// Board A (v2): Now with two cards (out of position order), Done (closed) with three, and the
/// system lists. Board B (v1): "NOW" in capitals, one card, and a Done card.
async fn mount_fleet(server: &MockServer, auth: fn(&Request) -> bool) {
    Mock::given(method("GET"))
        .and(path("/api/projects"))
        .and(auth)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(projects(&[(BOARD_A, "Roadmap", 65536.0), (BOARD_B, "Clients", 131072.0)])),
        )
        .expect(1)
        .mount(server)
        .await;
    let lists = vec![
        list_v2("11", BOARD_A, "active", Some("Next 2 Weeks"), Some(65536.0)),
        list_v2("12", BOARD_A, "active", Some("Now"), Some(131072.0)),
        list_v2("13", BOARD_A, "closed", Some("Done"), Some(196608.0)),
        list_v2("14", BOARD_A, "archive", None, None),
        list_v2("15", BOARD_A, "trash", None, None),
    ];
    let cards = vec![
        card_v2("101", BOARD_A, "11", "Pitch deck v3", 65536.0, at(10, 9)),
        card_v2("102", BOARD_A, "12", "TopoDIM blog post 3", 131072.0, at(13, 8)),
        card_v2("103", BOARD_A, "12", "Weekly memory consolidation", 65536.0, at(12, 8)),
        card_v2("104", BOARD_A, "13", "destroy command (spawn-machine.sh)", 65536.0, at(13, 9)),
        card_v2("105", BOARD_A, "13", "fleet compliance dashboard live", 131072.0, at(12, 23)),
        card_v2("106", BOARD_A, "13", "moved this morning", 196608.0, at(14, 0)),
    ];
    Mock::given(method("GET"))
        .and(path(format!("/api/boards/{BOARD_A}")))
        .and(auth)
        .respond_with(ResponseTemplate::new(200).set_body_json(board_v2(BOARD_A, "Roadmap", lists, cards)))
        .expect(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/boards/{BOARD_B}")))
        .and(auth)
        .respond_with(ResponseTemplate::new(200).set_body_json(board_v1(
            BOARD_B,
            "Clients",
            &[("21", "NOW", 65536.0), ("22", "done", 131072.0)],
            &[
                ("201", "21", "processing pitch leads", 65536.0, at(11, 12)),
                ("202", "22", "maya onboarded", 65536.0, at(13, 17)),
            ],
        )))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn now_cards_come_from_every_board() {
    let server = MockServer::start().await;
    mount_fleet(&server, bearer_only).await;

    let cards = client(&server).now_cards().await.unwrap();
    let seen: Vec<(&str, &str, &str)> =
        cards.iter().map(|c| (c.id.as_str(), c.name.as_str(), c.list.as_str())).collect();
    assert_eq!(
        seen,
        vec![
            ("103", "Weekly memory consolidation", "Now"),
            ("102", "TopoDIM blog post 3", "Now"),
            ("201", "processing pitch leads", "NOW"),
        ]
    );
    assert_eq!(cards[1].list_changed_at, Some(at(13, 8)));
    // v1 has no listChangedAt: updatedAt stands in.
    assert_eq!(cards[2].list_changed_at, Some(at(11, 12)));
}

#[tokio::test]
async fn done_between_keeps_only_yesterdays_moves() {
    let server = MockServer::start().await;
    // A base URL that already ends in /api (and a slash) is used as it is.
    mount_fleet(&server, bearer_only).await;
    let client = PlankaClient::new(reqwest::Client::new(), &format!("{}/api/", server.uri()), TOKEN);

    // Yesterday is 2026-03-13: card 104 moved then; 105 the day before (23:00), 106 today at 00:00.
    let cards = client.done_between(at(13, 0), at(14, 0)).await.unwrap();
    let seen: Vec<(&str, &str)> = cards.iter().map(|c| (c.id.as_str(), c.name.as_str())).collect();
    assert_eq!(seen, vec![("104", "destroy command (spawn-machine.sh)"), ("202", "maya onboarded")]);
    assert!(cards.iter().all(|c| c.list.eq_ignore_ascii_case("done")));
}

#[tokio::test]
async fn a_key_token_is_sent_as_an_api_key() {
    let server = MockServer::start().await;
    mount_fleet(&server, api_key_only).await;

    let client = PlankaClient::new(reqwest::Client::new(), &server.uri(), &format!("key:{API_KEY}"));
    let cards = client.now_cards().await.unwrap();
    assert_eq!(cards.len(), 3);
    assert!(!format!("{client:?}").contains(API_KEY));
}

#[tokio::test]
async fn a_rejected_token_is_fatal_and_names_the_variable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/projects"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "code": "E_UNAUTHORIZED",
            "message": "Access token is missing, invalid or expired"
        })))
        .expect(2)
        .mount(&server)
        .await;

    for token in [TOKEN.to_string(), format!("key:{API_KEY}")] {
        let client = PlankaClient::new(reqwest::Client::new(), &server.uri(), &token);
        let err = client.now_cards().await.unwrap_err();
        let PlankaError::Fatal(message) = &err else { panic!("expected Fatal, got {err:?}") };
        assert!(message.contains("M2O_PLANKA_TOKEN"), "{message}");
        assert!(message.contains("401"), "{message}");
        for shown in [err.to_string(), format!("{err:?}"), format!("{client:?}")] {
            assert!(!shown.contains(TOKEN) && !shown.contains(API_KEY), "{shown}");
        }
    }
}

#[tokio::test]
async fn forbidden_is_fatal_and_a_missing_board_too() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/projects"))
        .respond_with(ResponseTemplate::new(200).set_body_json(projects(&[(BOARD_A, "Roadmap", 65536.0)])))
        .expect(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/boards/{BOARD_A}")))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({ "code": "E_NOT_FOUND", "message": "Board not found" })),
        )
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/api/boards/{BOARD_A}")))
        .respond_with(
            ResponseTemplate::new(403).set_body_json(json!({ "code": "E_FORBIDDEN", "message": "Not enough rights" })),
        )
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).now_cards().await.unwrap_err();
    assert!(
        matches!(&err, PlankaError::Fatal(m) if m.contains("Board not found") && !m.contains("M2O_PLANKA_TOKEN")),
        "{err:?}"
    );
    let err = client(&server).now_cards().await.unwrap_err();
    assert!(matches!(&err, PlankaError::Fatal(m) if m.contains("M2O_PLANKA_TOKEN")), "{err:?}");
}

#[tokio::test]
async fn a_server_error_is_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/projects"))
        .and(bearer())
        .respond_with(ResponseTemplate::new(500).set_body_json(json!({
            "code": "E_INTERNAL_SERVER_ERROR",
            "message": "Internal server error"
        })))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).now_cards().await.unwrap_err();
    assert!(matches!(&err, PlankaError::Retryable(m) if m.contains("500")), "{err:?}");
    assert!(!err.to_string().contains(TOKEN));
}

#[tokio::test]
async fn too_many_requests_is_retryable() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/projects"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "30"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).done_between(at(13, 0), at(14, 0)).await.unwrap_err();
    assert!(matches!(err, PlankaError::Retryable(_)), "{err:?}");
}

#[tokio::test]
async fn an_unreadable_answer_is_fatal() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/projects"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>Planka is starting…</html>"))
        .expect(1)
        .mount(&server)
        .await;

    let err = client(&server).now_cards().await.unwrap_err();
    assert!(matches!(err, PlankaError::Fatal(_)), "{err:?}");
}

#[tokio::test]
async fn an_unreachable_server_is_retryable() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let client = PlankaClient::new(reqwest::Client::new(), &format!("http://127.0.0.1:{port}"), TOKEN);

    let err = client.now_cards().await.unwrap_err();
    assert!(matches!(err, PlankaError::Retryable(_)), "{err:?}");
    assert!(!err.to_string().contains(TOKEN));
}
