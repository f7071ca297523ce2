//! `Config::from_lookup`: defaults, every problem reported once, secrets masked.

use super::*;
use std::collections::HashMap;

const TOKEN: &str = "1234567890:AAExampleTokenNotRealxxxxxxxxxxxxxx";

fn load(vars: &[(&str, &str)]) -> Result<Config, Vec<String>> {
    let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    Config::from_lookup(|n| map.get(n).cloned())
}

#[test]
fn minimal_config_has_the_documented_defaults() {
    let c = load(&[("TELOXIDE_TOKEN", TOKEN), ("M2O_MASTER_IDS", "1, 2")]).unwrap();
    assert_eq!(c.master_ids, vec![1, 2]);
    assert_eq!(c.api_url.as_str(), "https://api.telegram.org/");
    assert_eq!(c.data_dir, PathBuf::from("./data"));
    assert!(c.mailer == Mailer::Log);
    assert_eq!(c.provisioner, Provisioner::DryRun);
    assert_eq!(c.capacity, None);
    assert_eq!(c.public_url, "http://127.0.0.1:8080");
    assert_eq!(c.brief_at, (7, 0));
    assert_eq!(c.miniapp_max_age, chrono::Duration::hours(24));
}

#[test]
fn every_problem_is_reported_once_with_its_name() {
    let errors = load(&[
        ("TELOXIDE_TOKEN", "nope"),
        ("M2O_MASTER_IDS", "12,abc"),
        ("M2O_MAILER", "brevo"),
        ("M2O_CAPACITY", "many"),
        ("M2O_SECRET_KEY", "short"),
        ("M2O_BRIEF_AT", "7am"),
        ("M2O_MINIAPP_MAX_AGE", "-5"),
    ])
    .err()
    .unwrap();
    let text = errors.join("\n");
    for name in [
        "TELOXIDE_TOKEN",
        "M2O_MASTER_IDS",
        "M2O_BREVO_API_KEY",
        "M2O_MAIL_FROM",
        "M2O_CAPACITY",
        "M2O_SECRET_KEY",
        "M2O_BRIEF_AT",
        "M2O_MINIAPP_MAX_AGE",
    ] {
        assert_eq!(errors.iter().filter(|e| e.starts_with(name)).count(), 1, "{name} in\n{text}");
    }
    let missing = load(&[]).err().unwrap();
    assert!(missing.iter().any(|e| e.starts_with("TELOXIDE_TOKEN: missing")));
    assert!(missing.iter().any(|e| e.starts_with("M2O_MASTER_IDS: missing")));
}

#[test]
fn describe_masks_every_secret() {
    let key = "ab".repeat(32);
    let c = load(&[
        ("TELOXIDE_TOKEN", TOKEN),
        ("M2O_MASTER_IDS", "1"),
        ("M2O_MAILER", "brevo"),
        ("M2O_BREVO_API_KEY", "xkeysib-very-secret"),
        ("M2O_MAIL_FROM", "Machine.Machine <onboarding@example.org>"),
        ("M2O_SECRET_KEY", &key),
        ("M2O_API_TOKEN", "admin-secret"),
        ("M2O_COOLIFY_TOKEN", "coolify-secret"),
    ])
    .unwrap();
    let shown = c.describe();
    for secret in [TOKEN, "xkeysib-very-secret", key.as_str(), "admin-secret", "coolify-secret"] {
        assert!(!shown.contains(secret), "{secret} leaked:\n{shown}");
    }
    assert!(shown.contains("TELOXIDE_TOKEN = set (hidden)"));
    assert!(shown.contains("M2O_MAIL_FROM = Machine.Machine <onboarding@example.org>"));
}

#[test]
fn webhook_url_is_https_or_loopback_http_and_the_secret_follows_telegrams_rule() {
    let base = [("TELOXIDE_TOKEN", TOKEN), ("M2O_MASTER_IDS", "1")];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut vars = base.to_vec();
        vars.extend_from_slice(extra);
        load(&vars)
    };
    assert!(with(&[]).unwrap().webhook_url.is_none(), "no URL: long polling");
    let c = with(&[("M2O_WEBHOOK_URL", "https://bot.example.org/telegram/hook")]).unwrap();
    assert_eq!(c.webhook_url.unwrap().path(), "/telegram/hook");
    assert!(with(&[("M2O_WEBHOOK_URL", "http://127.0.0.1:8080/hook")]).is_ok());
    for bad in ["http://bot.example.org/hook", "ftp://x/y", "not a url"] {
        let errors = with(&[("M2O_WEBHOOK_URL", bad)]).err().expect("refused");
        assert!(errors.iter().any(|e| e.starts_with("M2O_WEBHOOK_URL")), "{bad}: {errors:?}");
    }
    let errors = with(&[("M2O_WEBHOOK_SECRET", "has spaces")]).err().expect("refused");
    assert!(errors.iter().any(|e| e.starts_with("M2O_WEBHOOK_SECRET")), "{errors:?}");
    let c = with(&[("M2O_WEBHOOK_SECRET", "s3cr3t_-X")]).unwrap();
    let shown = c.describe();
    assert!(shown.contains("M2O_WEBHOOK_SECRET = set (hidden)") && !shown.contains("s3cr3t"), "{shown}");
}
