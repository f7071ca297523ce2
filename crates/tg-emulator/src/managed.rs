//! Managed bots (Bot API 9.6 / 10.0): a bot in Bot Management Mode lets a user create a bot in one
//! tap and manages it — reads and replaces its token, restricts who may talk to it. The test side
//! makes one with [`super::Emulator::create_managed_bot`], which also sends the manager its
//! `managed_bot` update, as Telegram does after the creation dialog.

use serde_json::{json, Value};

use super::{
    params::{ApiError, ApiResult, Params},
    state::State,
};

/// The managed bot `user_id` names, if the caller manages it.
fn managed_by(state: &State, manager: i64, p: &Params) -> ApiResult<i64> {
    let id = p.i64("user_id")?.ok_or_else(|| ApiError::bad_request("user_id is empty"))?;
    match state.bots.get(&id) {
        Some(bot) if bot.manager == Some(manager) => Ok(id),
        _ => Err(ApiError::bad_request("BOT_NOT_MANAGED")),
    }
}

pub(crate) fn call(state: &mut State, bot_id: i64, method: &str, p: &Params) -> ApiResult<Value> {
    let managed = managed_by(state, bot_id, p)?;
    match method {
        "getManagedBotToken" => {
            state.active_token(managed).map(Value::String).ok_or_else(|| ApiError::bad_request("BOT_NOT_MANAGED"))
        }
        "replaceManagedBotToken" => {
            if let Some(old) = state.active_token(managed) {
                state.revoked.insert(old);
            }
            let fresh = format!("{managed}:{}", super::fresh_secret());
            state.tokens.insert(fresh.clone(), managed);
            Ok(Value::String(fresh))
        }
        "setManagedBotAccessSettings" => {
            let restricted = p.bool("is_access_restricted");
            let added: Vec<i64> = match p.json("added_user_ids")? {
                Some(v) => {
                    serde_json::from_value(v).map_err(|_| ApiError::bad_request("can't parse added_user_ids"))?
                }
                None => Vec::new(),
            };
            if added.len() > 10 {
                return Err(ApiError::bad_request("too many added_user_ids: at most 10"));
            }
            let bot = state.bots.get_mut(&managed).expect("checked above");
            bot.access_restricted = restricted;
            bot.added_user_ids = added;
            Ok(json!(true))
        }
        "getManagedBotAccessSettings" => {
            let bot = &state.bots[&managed];
            Ok(json!({ "is_access_restricted": bot.access_restricted, "added_user_ids": bot.added_user_ids }))
        }
        _ => Err(ApiError::new(404, "Not Found: method not found")),
    }
}
