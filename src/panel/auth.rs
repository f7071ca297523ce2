//! Who is calling: `Authorization: tma <initData>`, the raw init data Telegram gave the page,
//! checked against our bot's token (`crypto::init_data`) by the app's clock and
//! `M2O_MINIAPP_MAX_AGE`. Missing, forged, tampered, stale or another bot's → 401; a real Telegram
//! user who is not a master → 403 (and the attempt is audited, as a master command from anyone
//! else is).

use super::Error;
use crate::app::App;
use crate::crypto::init_data;
use crate::domain::Actor;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use std::sync::Arc;

/// A master, by Telegram user id, whose init data checked out.
#[derive(Debug, Clone, Copy)]
pub struct Master(pub i64);

impl Master {
    pub fn actor(self) -> Actor {
        Actor::Master(self.0)
    }
}

impl FromRequestParts<Arc<App>> for Master {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, app: &Arc<App>) -> Result<Master, Error> {
        let unauthorized = |why: &str| {
            Error::new(StatusCode::UNAUTHORIZED, "unauthorized", format!("{why}; open the panel from Telegram again"))
        };
        let raw = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("tma "))
            .ok_or_else(|| unauthorized("send Authorization: tma <Telegram.WebApp.initData>"))?;
        let data = init_data::verify(raw, &app.config.telegram_token, app.clock.now(), app.config.miniapp_max_age)
            .map_err(|e| unauthorized(&e.to_string()))?;
        if !app.config.is_master(data.user_id) {
            let why = format!("{} {} by a non-master", parts.method, parts.uri.path());
            crate::fleet::record_refusal(app, Actor::User(data.user_id), "panel_refused", &why)?;
            return Err(Error::new(StatusCode::FORBIDDEN, "forbidden", "the fleet panel is for the fleet's masters"));
        }
        Ok(Master(data.user_id))
    }
}
