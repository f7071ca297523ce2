//! The page itself: one HTML file, one script, one style sheet, embedded in the binary (no build
//! chain: the charts are SVG the script draws). Served with a Content-Security-Policy that allows
//! only our own script and Telegram's `telegram-web-app.js`, no inline script, our own API, and
//! framing by Telegram's web clients. The page holds no secret: it authenticates with the init
//! data Telegram hands it.

use axum::http::{header, HeaderName, HeaderValue};
use axum::response::IntoResponse;

const INDEX: &str = include_str!("assets/index.html");
const SCRIPT: &str = include_str!("assets/panel.js");
const STYLE: &str = include_str!("assets/panel.css");

/// What the page may load and who may frame it.
pub const CSP: &str = "default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; \
    img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; \
    frame-ancestors https://web.telegram.org https://*.telegram.org";

fn serve(body: &'static str, content_type: &'static str) -> impl IntoResponse {
    let headers: [(HeaderName, HeaderValue); 5] = [
        (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
        (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)),
        (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        (header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")),
        // Small, and it changes with each release: check each time, cheaply.
        (header::CACHE_CONTROL, HeaderValue::from_static("max-age=0, must-revalidate")),
    ];
    (headers, body)
}

pub async fn index() -> impl IntoResponse {
    serve(INDEX, "text/html; charset=utf-8")
}

pub async fn script() -> impl IntoResponse {
    serve(SCRIPT, "text/javascript; charset=utf-8")
}

pub async fn style() -> impl IntoResponse {
    serve(STYLE, "text/css; charset=utf-8")
}
