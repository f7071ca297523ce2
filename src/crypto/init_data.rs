//! A Telegram Mini App's init data (`Telegram.WebApp.initData`), checked exactly as Telegram's
//! Mini App docs say: the data-check-string is every received `key=value` pair but `hash`, sorted
//! by key and joined by `\n`; the secret key is `HMAC-SHA256(key = "WebAppData", message = bot
//! token)`; the data is Telegram's when `hex(HMAC-SHA256(secret key, data-check-string))` equals
//! `hash` (compared in constant time). Data signed for another bot fails the same check.

use super::HmacSha256;
use chrono::{DateTime, Duration, Utc};
use hmac::Mac;
use std::collections::BTreeMap;

/// Init data Telegram signed for our bot: who opened the panel, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitData {
    /// The Telegram user id of `user.id`.
    pub user_id: i64,
    pub auth_date: DateTime<Utc>,
}

/// Why init data is refused. None of them says which part was wrong beyond what a caller can fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InitDataError {
    #[error("the init data is not a query string with a hash")]
    Malformed,
    #[error("the init data's hash does not match: not signed by Telegram for this bot")]
    BadHash,
    #[error("the init data is older than allowed; reopen the panel")]
    Stale,
    #[error("the init data has no user")]
    NoUser,
}

/// `Ok` only for data Telegram signed with `bot_token`, at most `max_age` old at `now`.
pub fn verify(raw: &str, bot_token: &str, now: DateTime<Utc>, max_age: Duration) -> Result<InitData, InitDataError> {
    let mut fields = BTreeMap::new();
    for pair in raw.trim().split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or(InitDataError::Malformed)?;
        let (key, value) =
            (form_decode(key).ok_or(InitDataError::Malformed)?, form_decode(value).ok_or(InitDataError::Malformed)?);
        if fields.insert(key, value).is_some() {
            return Err(InitDataError::Malformed); // a repeated key could say two things
        }
    }
    let hash = fields.remove("hash").ok_or(InitDataError::Malformed)?;
    let expected = hex::decode(hash).map_err(|_| InitDataError::BadHash)?;
    let check: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={v}")).collect();
    mac(bot_token, &check.join("\n")).verify_slice(&expected).map_err(|_| InitDataError::BadHash)?;
    // Only signed data is read past this point.
    let auth_date = fields
        .get("auth_date")
        .and_then(|d| d.parse::<i64>().ok())
        .and_then(|d| DateTime::from_timestamp(d, 0))
        .ok_or(InitDataError::Malformed)?;
    // A minute of clock skew either way; anything older than `max_age` has to be reopened.
    if now - auth_date > max_age || auth_date - now > Duration::minutes(1) {
        return Err(InitDataError::Stale);
    }
    let user: serde_json::Value =
        fields.get("user").and_then(|u| serde_json::from_str(u).ok()).ok_or(InitDataError::NoUser)?;
    let user_id = user["id"].as_i64().ok_or(InitDataError::NoUser)?;
    Ok(InitData { user_id, auth_date })
}

/// Init data as Telegram would sign it for `bot_token`: the pairs, form-encoded, with their hash.
/// For tests and the console, which stand in for Telegram.
pub fn sign(pairs: &[(&str, &str)], bot_token: &str) -> String {
    let mut sorted: Vec<_> = pairs.to_vec();
    sorted.sort();
    let check: Vec<String> = sorted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let hash = hex::encode(mac(bot_token, &check.join("\n")).finalize().into_bytes());
    let mut out: Vec<String> = pairs.iter().map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v))).collect();
    out.push(format!("hash={hash}"));
    out.join("&")
}

fn mac(bot_token: &str, data_check_string: &str) -> HmacSha256 {
    let mut secret = <HmacSha256 as Mac>::new_from_slice(b"WebAppData").expect("HMAC takes any key length");
    secret.update(bot_token.as_bytes());
    let secret = secret.finalize().into_bytes();
    let mut mac = <HmacSha256 as Mac>::new_from_slice(&secret).expect("HMAC takes any key length");
    mac.update(data_check_string.as_bytes());
    mac
}

/// `application/x-www-form-urlencoded` decoding: `+` is a space, `%XX` a byte; the result must be
/// UTF-8.
fn form_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but RFC 3986's unreserved characters: a value as init data carries
/// it (and as a URL's `#tgWebAppData=` carries the whole init data).
pub fn form_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw_test";
    /// Signed by an independent implementation of Telegram's algorithm (Python's `hmac`, as the
    /// docs' pseudo-code reads), so this checks the algorithm, not our own signer against itself.
    const SIGNED: &str = "auth_date=1764000000&query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=%7B%22id%22%3A900001%2C%22first_name%22%3A%22Master%22%2C%22username%22%3A%22master%22%2C%22language_code%22%3A%22en%22%7D&hash=e372a0b1fb792433b29a5503de4bdb1f556d3acb909d4339cdf39818603d6730";

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap()
    }

    #[test]
    fn data_signed_as_telegram_documents_it_is_accepted() {
        let data = verify(SIGNED, TOKEN, at(1_764_000_060), Duration::hours(24)).unwrap();
        assert_eq!(data, InitData { user_id: 900_001, auth_date: at(1_764_000_000) });
        // Our signer agrees with the independent one, field order aside.
        let ours = sign(
            &[
                ("auth_date", "1764000000"),
                ("query_id", "AAHdF6IQAAAAAN0XohDhrOrc"),
                ("user", r#"{"id":900001,"first_name":"Master","username":"master","language_code":"en"}"#),
            ],
            TOKEN,
        );
        assert!(ours.ends_with("hash=e372a0b1fb792433b29a5503de4bdb1f556d3acb909d4339cdf39818603d6730"), "{ours}");
    }

    #[test]
    fn another_bots_tampered_stale_or_broken_data_is_refused() {
        let day = Duration::hours(24);
        let now = at(1_764_000_060);
        assert_eq!(verify(SIGNED, "654321:another-bots-token", now, day), Err(InitDataError::BadHash));
        let tampered = SIGNED.replace("900001", "900002");
        assert_eq!(verify(&tampered, TOKEN, now, day), Err(InitDataError::BadHash));
        let no_hash = SIGNED.split("&hash=").next().unwrap();
        assert_eq!(verify(no_hash, TOKEN, now, day), Err(InitDataError::Malformed));
        assert_eq!(verify("", TOKEN, now, day), Err(InitDataError::Malformed));
        assert_eq!(verify("hash=zz", TOKEN, now, day), Err(InitDataError::BadHash));
        assert_eq!(verify(&format!("{SIGNED}&hash=00"), TOKEN, now, day), Err(InitDataError::Malformed));
        let stale = at(1_764_000_000) + day + Duration::seconds(1);
        assert_eq!(verify(SIGNED, TOKEN, stale, day), Err(InitDataError::Stale));
        assert!(verify(SIGNED, TOKEN, at(1_764_000_000) + day, day).is_ok(), "exactly the maximum age is fine");
        assert_eq!(verify(SIGNED, TOKEN, at(1_763_999_000), day), Err(InitDataError::Stale), "from the future");
        let anonymous = sign(&[("auth_date", "1764000000")], TOKEN);
        assert_eq!(verify(&anonymous, TOKEN, now, day), Err(InitDataError::NoUser));
    }

    #[test]
    fn values_are_form_decoded_before_they_are_checked() {
        let raw = sign(&[("auth_date", "1764000000"), ("user", r#"{"id":5,"first_name":"A & B+C"}"#)], TOKEN);
        assert!(raw.contains("%26"), "{raw}");
        assert_eq!(verify(&raw, TOKEN, at(1_764_000_000), Duration::hours(1)).unwrap().user_id, 5);
        assert_eq!(form_decode("a+b%20c"), Some("a b c".into()));
        assert_eq!(form_decode("%zz"), None);
    }
}
