//! The HTTP side: one catch-all handler for `/bot<TOKEN>/<method>`.
//!
//! It parses the path (tokens contain `:`, so no router pattern), merges the
//! parameters from the query string and the body (JSON, form or multipart),
//! applies an injected fault, checks the token, runs the method, records the
//! call and wraps the result in Telegram's envelope.

use std::{net::SocketAddr, sync::Arc};

use axum::{
    body::Body,
    extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{header, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use serde::Serialize;
use serde_json::Value;
use tokio::{net::TcpListener, task::JoinHandle};

use super::{
    listener::{ConnKill, KillableListener},
    methods,
    params::{ApiError, ApiResult, Params},
    polling,
    state::Shared,
    types::{ApiCall, Fault},
};

/// Uploads in tests are small; this only stops a runaway client.
const MAX_BODY: usize = 64 * 1024 * 1024;

/// Binds `addr` and serves the Bot API until the task is aborted.
pub(crate) async fn serve(shared: Arc<Shared>, addr: SocketAddr) -> std::io::Result<(SocketAddr, JoinHandle<()>)> {
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    let app = Router::new().fallback(handle).with_state(shared).layer(DefaultBodyLimit::max(MAX_BODY));
    let task = tokio::spawn(async move {
        let service = app.into_make_service_with_connect_info::<ConnKill>();
        if let Err(e) = axum::serve(KillableListener(listener), service).await {
            tracing::error!("telegram emulator stopped serving: {e}");
        }
    });
    Ok((local, task))
}

async fn handle(State(shared): State<Arc<Shared>>, ConnectInfo(conn): ConnectInfo<ConnKill>, req: Request) -> Response {
    if shared.lock().closed {
        return hang_up(&conn);
    }
    let Some((token, raw_method)) = split_path(req.uri().path()) else {
        return error_response(&ApiError::new(404, "Not Found"));
    };
    let method = match methods::canonical(&raw_method) {
        Some(name) => name.to_owned(),
        None => lower_first(&raw_method),
    };
    let fault = shared.lock().faults.get_mut(&method.to_ascii_lowercase()).and_then(|queue| queue.pop_front());
    let params = read_params(req).await;
    let recorded = params.as_ref().map(Params::to_value).unwrap_or_default();
    let bot_id = shared.lock().bot_id_active(&token);

    match fault {
        Some(Fault::Disconnect) => {
            record(&shared, bot_id, &method, recorded, 0);
            return hang_up(&conn);
        }
        Some(Fault::Status(code, body)) => {
            record(&shared, bot_id, &method, recorded, code);
            return raw_response(code, &body);
        }
        Some(Fault::Delay(delay)) => tokio::time::sleep(delay).await,
        None => {}
    }

    let result = match (bot_id, params) {
        // Telegram checks the token before anything else.
        (None, _) => Err(ApiError::unauthorized()),
        (Some(_), Err(e)) => Err(e),
        (Some(id), Ok(p)) if method == "getUpdates" => polling::get_updates(&shared, id, &p).await.map(Result::Err),
        (Some(id), Ok(p)) => methods::call(&mut shared.lock(), id, &method, &p).map(Result::Ok),
    };
    if methods::canonical(&method).is_none() {
        tracing::warn!("telegram emulator: method {raw_method} is not emulated");
    }
    // A poll woken by shutdown: fail it like a dead server, so the client
    // backs off instead of spinning on empty answers over a kept-alive socket.
    if shared.lock().closed {
        return hang_up(&conn);
    }
    if let (Ok(_), Some(id), Some("setWebhook")) = (&result, bot_id, methods::canonical(&method)) {
        crate::webhook::spawn_delivery(shared.clone(), id);
    }
    match result {
        Ok(value) => {
            record(&shared, bot_id, &method, recorded, 200);
            match value {
                Ok(value) => ok_response(value),
                // getUpdates' result is JSON text already: the updates exactly as queued.
                Err(text) => text_response(format!("{{\"ok\":true,\"result\":{text}}}")),
            }
        }
        Err(e) => {
            record(&shared, bot_id, &method, recorded, e.code);
            error_response(&e)
        }
    }
}

/// Cuts the connection: the returned response is never written, because
/// the stream fails every write from now on.
fn hang_up(conn: &ConnKill) -> Response {
    conn.kill();
    StatusCode::OK.into_response()
}

fn record(shared: &Shared, bot_id: Option<i64>, method: &str, params: Value, status: u16) {
    tracing::debug!(method, status, "telegram emulator call");
    let mut st = shared.lock();
    if status == 429 {
        st.count_429 += 1;
    }
    st.calls.push(ApiCall { bot_id, method: method.to_owned(), params, status });
}

/// `/bot<TOKEN>/<method>` -> (token, method). Extra slashes are tolerated.
fn split_path(path: &str) -> Option<(String, String)> {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    let bot = segments.next()?;
    let method = segments.next()?;
    if segments.next().is_some() {
        return None;
    }
    Some((percent_decode(bot.strip_prefix("bot")?), method.to_owned()))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
        match (bytes[i], hex.and_then(|h| u8::from_str_radix(h, 16).ok())) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// "SendMessage" -> "sendMessage", for methods the emulator does not know.
fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default()
}

/// Query string first, then the body, which wins on a clash.
async fn read_params(req: Request) -> ApiResult<Params> {
    let mut params = Params::default();
    if let Some(query) = req.uri().query() {
        add_form(&mut params, query);
    }
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        read_multipart(&mut params, req).await?;
        return Ok(params);
    }
    let body = axum::body::to_bytes(req.into_body(), MAX_BODY)
        .await
        .map_err(|_| ApiError::bad_request("can't read request body"))?;
    let looks_json = body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{');
    if content_type.contains("json") || (content_type.is_empty() && looks_json) {
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(map)) => params.values.extend(map),
            _ => return Err(ApiError::bad_request("can't parse request JSON object")),
        }
    } else if content_type.starts_with("application/x-www-form-urlencoded") {
        let text = std::str::from_utf8(&body).map_err(|_| ApiError::bad_request("request is not UTF-8"))?;
        add_form(&mut params, text);
    }
    Ok(params)
}

fn add_form(params: &mut Params, encoded: &str) {
    // reqwest's Url decodes `application/x-www-form-urlencoded` pairs for us.
    if let Ok(mut url) = url::Url::parse("http://form.invalid/") {
        url.set_query(Some(encoded));
        for (key, value) in url.query_pairs() {
            params.insert_text(key.into_owned(), value.into_owned());
        }
    }
}

/// Text parts become parameters; file parts are noted by file name, their bytes kept. teloxide
/// sends a file as a field `animation=attach://<id>` plus a part named
/// `<id>`; a plain client sends a part named `animation`. Both end up as
/// `animation = <file name>` with the upload remembered.
async fn read_multipart(params: &mut Params, req: Request) -> ApiResult<()> {
    let bad = |_| ApiError::bad_request("can't parse multipart/form-data");
    let mut multipart = Multipart::from_request(req, &())
        .await
        .map_err(|_| ApiError::bad_request("can't parse multipart/form-data"))?;
    let mut files: Vec<(String, String, Vec<u8>)> = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        let is_file = field.file_name().is_some() || field.content_type().is_some_and(|ct| !ct.starts_with("text/"));
        if is_file {
            let file_name = match field.file_name() {
                Some(n) if !n.is_empty() => n.to_owned(),
                _ => "upload".to_owned(),
            };
            let bytes = field.bytes().await.map_err(bad)?;
            files.push((name, file_name, bytes.to_vec()));
        } else {
            let text = field.text().await.map_err(bad)?;
            params.insert_text(name, text);
        }
    }
    for (part, file_name, bytes) in files {
        let attach = format!("attach://{part}");
        let referrers: Vec<String> =
            params.values.iter().filter(|(_, v)| v.as_str() == Some(attach.as_str())).map(|(k, _)| k.clone()).collect();
        let keys = if referrers.is_empty() { vec![part] } else { referrers };
        for key in keys {
            params.values.insert(key.clone(), Value::String(file_name.clone()));
            params.uploads.insert(key.clone(), file_name.clone());
            params.upload_bytes.insert(key, bytes.clone());
        }
    }
    Ok(())
}

#[derive(Serialize)]
struct OkEnvelope {
    ok: bool,
    result: Value,
}

fn ok_response(result: Value) -> Response {
    json_response(StatusCode::OK, &OkEnvelope { ok: true, result })
}

fn error_response(error: &ApiError) -> Response {
    let status = StatusCode::from_u16(error.code).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = json_response(status, &error.body());
    if let Some(secs) = error.retry_after {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

/// An injected answer: the given status and body, with `Retry-After` when
/// the body has `parameters.retry_after`.
fn raw_response(code: u16, body: &Value) -> Response {
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, body);
    if let Some(secs) = body.pointer("/parameters/retry_after").and_then(Value::as_u64) {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn text_response(json: String) -> Response {
    let mut response = (StatusCode::OK, Body::from(json)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = (status, Body::from(bytes)).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_split_with_colons_in_tokens() {
        assert_eq!(split_path("/bot123:AbC-_x/SendMessage"), Some(("123:AbC-_x".into(), "SendMessage".into())));
        assert_eq!(split_path("//bot1%3Ax/getMe"), Some(("1:x".into(), "getMe".into())));
        assert_eq!(split_path("/file/bot1:x/a.jpg"), None);
        assert_eq!(split_path("/getMe"), None);
    }

    #[test]
    fn method_names_become_lower_camel() {
        assert_eq!(lower_first("SetChatTitle"), "setChatTitle");
        assert_eq!(methods::canonical("SENDMESSAGE"), Some("sendMessage"));
    }
}
