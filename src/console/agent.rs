//! `:agent`: the console plays an agent against the bot's agents' HTTP API (`/v1/…`), as the agent's
//! process would, with the bearer token it is given in `M2O_AGENT_TOKEN` (derived from the secret
//! key, the agent's name and its job: `Secrets::agent_api_token`). Whatever comes back, the status
//! and the body are shown; an endpoint that does not exist yet is a 404, not a crash.

use super::command::AgentCall;
use crate::app::App;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// The method, path and body of one call.
pub fn request(name: &str, call: &AgentCall) -> (&'static str, String, Value) {
    match call {
        AgentCall::Online => ("POST", format!("/v1/agents/{name}/online"), json!({})),
        AgentCall::Heartbeat { doing, card } => {
            let mut body = json!({});
            if let Some(doing) = doing {
                body["doing"] = json!(doing);
            }
            if let Some(card) = card {
                body["card"] = json!(card);
            }
            ("POST", format!("/v1/agents/{name}/heartbeat"), body)
        }
        AgentCall::Escalate { doing, tried, need, proposed_fix, urgent } => {
            let mut body = json!({ "doing": doing, "tried": tried, "need": need });
            if let Some(fix) = proposed_fix {
                body["proposed_fix"] = json!(fix);
            }
            if *urgent {
                body["urgent"] = json!(true);
            }
            ("POST", "/v1/escalations".to_string(), body)
        }
    }
}

/// Makes the call; returns the lines to show (request, status, body).
pub async fn call(
    http: &reqwest::Client,
    app: &App,
    addr: Option<SocketAddr>,
    name: &str,
    call: &AgentCall,
) -> Result<Vec<String>, String> {
    let addr = addr.ok_or("the HTTP API is not running (M2O_API_TOKEN is not set)")?;
    let agent = app
        .store
        .agent(name)
        .map_err(|e| format!("reading the agent {name}: {e}"))?
        .ok_or_else(|| format!("there is no agent called {name} (spawn one with /spawn, or onboard a client)"))?;
    let token = app.secrets.agent_api_token(name, agent.generation());
    let (method, path, body) = request(name, call);
    let url = format!("http://{addr}{path}");
    let response = http
        .post(&url)
        .bearer_auth(&token)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("{method} {url}: {}", e.without_url()))?;
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let shown = match serde_json::from_str::<Value>(&text) {
        Ok(json) => serde_json::to_string_pretty(&json).unwrap_or(text),
        Err(_) if text.is_empty() => "(empty body)".into(),
        Err(_) => text,
    };
    Ok(vec![
        format!("→ {method} {path} {body}  (Authorization: Bearer <{name}'s agent token>)"),
        format!("← HTTP {status}"),
        shown,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_the_api() {
        let (_, path, body) = request("peter", &AgentCall::Heartbeat { doing: Some("x".into()), card: None });
        assert_eq!((path.as_str(), body), ("/v1/agents/peter/heartbeat", json!({"doing": "x"})));
        let (_, path, body) = request(
            "peter",
            &AgentCall::Escalate {
                doing: "d".into(),
                tried: vec!["a".into(), "b".into()],
                need: "n".into(),
                proposed_fix: Some("f".into()),
                urgent: true,
            },
        );
        assert_eq!(path, "/v1/escalations");
        assert_eq!(body, json!({"doing": "d", "tried": ["a", "b"], "need": "n", "proposed_fix": "f", "urgent": true}));
        assert_eq!(request("p", &AgentCall::Online).1, "/v1/agents/p/online");
    }
}
