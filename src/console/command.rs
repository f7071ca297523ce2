//! One console line, parsed: a message to send, a `:`-command, `tap`, `/as`, or a script check
//! (`expect…`). Parsing is pure, so every verb is unit-tested here; `session.rs` carries them out.

use super::persona::Role;
use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use regex::Regex;

#[derive(Debug)]
pub enum Command {
    /// A blank line or a `#` comment.
    Nothing,
    /// Sent as the current person's text message to the control bot.
    Say(String),
    /// `:reply "NEEDLE" TEXT`: Telegram's Reply to the newest bot message containing NEEDLE.
    Reply {
        to: String,
        text: String,
    },
    /// `/as master`, `/as client [N] [LANG]`.
    As {
        role: Role,
        lang: Option<String>,
    },
    Tap(TapTarget),
    BotFather(String),
    /// `:newbot USERNAME`: the current person completes Telegram's one-tap creation dialog.
    NewBot(String),
    Token(String),
    Start(String),
    Code {
        wrong: bool,
    },
    Agent {
        name: String,
        call: AgentCall,
    },
    Time(Option<TimeChange>),
    Expect(Regex),
    ExpectLater(Regex),
    ExpectAny(Regex),
    ExpectToast(Regex),
    ExpectNone,
    Chat,
    Mails,
    Who,
    Help,
    Quit,
}

#[derive(Debug, PartialEq, Eq)]
pub enum TapTarget {
    Number(usize),
    Label(String),
}

#[derive(Debug, PartialEq, Eq)]
pub enum AgentCall {
    Online,
    Heartbeat { doing: Option<String>, card: Option<String> },
    Escalate { doing: String, tried: Vec<String>, need: String, proposed_fix: Option<String>, urgent: bool },
}

#[derive(Debug, PartialEq, Eq)]
pub enum TimeChange {
    By(Duration),
    To(DateTime<Utc>),
}

impl Command {
    pub fn parse(line: &str) -> Result<Command, String> {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            return Ok(Command::Nothing);
        }
        if let Some(re) = line.strip_prefix("expect:") {
            return Ok(Command::Expect(regex(re)?));
        }
        if let Some(re) = line.strip_prefix("expect-later:") {
            return Ok(Command::ExpectLater(regex(re)?));
        }
        if let Some(re) = line.strip_prefix("expect-any:") {
            return Ok(Command::ExpectAny(regex(re)?));
        }
        if let Some(re) = line.strip_prefix("expect-toast:") {
            return Ok(Command::ExpectToast(regex(re)?));
        }
        if line == "expect-none" {
            return Ok(Command::ExpectNone);
        }
        let (head, rest) = line.split_once(char::is_whitespace).map_or((line, ""), |(h, r)| (h, r.trim()));
        match head {
            "tap" => return tap(rest).map(Command::Tap),
            "/as" | ":as" => return as_who(rest),
            _ => {}
        }
        if !head.starts_with(':') {
            return Ok(Command::Say(line.to_string()));
        }
        let one = |what: &str| -> Result<String, String> {
            match rest.split_whitespace().collect::<Vec<_>>().as_slice() {
                [one] => Ok(one.trim_start_matches('@').to_string()),
                _ => Err(format!("usage: {head} {what}")),
            }
        };
        Ok(match head {
            ":say" if !rest.is_empty() => Command::Say(rest.to_string()),
            ":say" => return Err("usage: :say TEXT".into()),
            ":reply" => reply(rest)?,
            ":botfather" => Command::BotFather(one("USERNAME")?),
            ":newbot" => Command::NewBot(one("USERNAME")?),
            ":token" => Command::Token(one("USERNAME")?),
            ":start" => Command::Start(one("USERNAME")?),
            ":code" => match rest {
                "" => Command::Code { wrong: false },
                "wrong" => Command::Code { wrong: true },
                _ => return Err("usage: :code [wrong]".into()),
            },
            ":agent" => agent(rest)?,
            ":time" if rest.is_empty() => Command::Time(None),
            ":time" => Command::Time(Some(time(rest)?)),
            ":chat" => Command::Chat,
            ":mails" => Command::Mails,
            ":who" => Command::Who,
            ":help" | ":h" | ":?" => Command::Help,
            ":quit" | ":q" | ":exit" => Command::Quit,
            other => return Err(format!("unknown command {other}; :help lists them")),
        })
    }
}

fn regex(re: &str) -> Result<Regex, String> {
    let re = re.trim();
    if re.is_empty() {
        return Err("expect needs a regular expression, e.g. expect: Welcome".into());
    }
    Regex::new(re).map_err(|e| format!("bad regular expression: {e}"))
}

fn reply(rest: &str) -> Result<Command, String> {
    let usage = || "usage: :reply \"PART OF THE MESSAGE\" TEXT".to_string();
    let quoted = rest.strip_prefix('"').ok_or_else(usage)?;
    let (to, text) = quoted.split_once('"').ok_or_else(usage)?;
    let text = text.trim();
    if to.is_empty() || text.is_empty() {
        return Err(usage());
    }
    Ok(Command::Reply { to: to.to_string(), text: text.to_string() })
}

fn tap(rest: &str) -> Result<TapTarget, String> {
    let usage = || "usage: tap N, or tap \"LABEL\" (part of a button's label)".to_string();
    if let Ok(n) = rest.parse::<usize>() {
        return if n == 0 { Err(usage()) } else { Ok(TapTarget::Number(n)) };
    }
    let label = rest.strip_prefix('"').and_then(|r| r.strip_suffix('"')).unwrap_or(rest);
    if label.is_empty() {
        return Err(usage());
    }
    Ok(TapTarget::Label(label.to_string()))
}

fn as_who(rest: &str) -> Result<Command, String> {
    let usage = || "usage: /as master, or /as client [N] [LANG] (e.g. /as client 2 pl)".to_string();
    let words: Vec<&str> = rest.split_whitespace().collect();
    let (role, lang) = match words.as_slice() {
        ["master"] => (Role::Master, None),
        ["client"] => (Role::Client(1), None),
        ["client", n] => match n.parse::<u32>() {
            Ok(n) if n > 0 => (Role::Client(n), None),
            _ => (Role::Client(1), Some(lang(n).ok_or_else(usage)?)),
        },
        ["client", n, l] => {
            let n = n.parse::<u32>().ok().filter(|n| *n > 0).ok_or_else(usage)?;
            (Role::Client(n), Some(lang(l).ok_or_else(usage)?))
        }
        _ => return Err(usage()),
    };
    Ok(Command::As { role, lang })
}

/// A Telegram `language_code`: `pl`, `en`, `pt-br`.
fn lang(code: &str) -> Option<String> {
    let ok = (2..=8).contains(&code.len()) && code.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
    ok.then(|| code.to_ascii_lowercase())
}

fn agent(rest: &str) -> Result<Command, String> {
    let usage = || {
        "usage: :agent NAME online | heartbeat [--card ID] [DOING…] | escalate[!] DOING | TRIED[; TRIED…] | NEED [| PROPOSED FIX]"
            .to_string()
    };
    let mut words = rest.splitn(3, char::is_whitespace);
    let (Some(name), Some(verb)) = (words.next(), words.next()) else {
        return Err(usage());
    };
    let args = words.next().unwrap_or("").trim();
    let call = match verb {
        "online" if args.is_empty() => AgentCall::Online,
        "heartbeat" => {
            let (card, doing) = match args.strip_prefix("--card") {
                Some(after) => {
                    let after = after.trim_start();
                    let (card, doing) = after.split_once(char::is_whitespace).unwrap_or((after, ""));
                    if card.is_empty() {
                        return Err(usage());
                    }
                    (Some(card.to_string()), doing.trim())
                }
                None => (None, args),
            };
            AgentCall::Heartbeat { doing: (!doing.is_empty()).then(|| doing.to_string()), card }
        }
        "escalate" | "escalate!" => {
            let parts: Vec<&str> = args.split('|').map(str::trim).collect();
            if !(3..=4).contains(&parts.len()) || parts[..3].iter().any(|p| p.is_empty()) {
                return Err(usage());
            }
            AgentCall::Escalate {
                doing: parts[0].to_string(),
                tried: parts[1].split(';').map(str::trim).filter(|t| !t.is_empty()).map(str::to_string).collect(),
                need: parts[2].to_string(),
                proposed_fix: parts.get(3).filter(|f| !f.is_empty()).map(|f| f.to_string()),
                urgent: verb.ends_with('!'),
            }
        }
        _ => return Err(usage()),
    };
    Ok(Command::Agent { name: name.to_string(), call })
}

/// `+2h`, `-30m`, `+1d12h`, `+90s`, or a UTC time: `2026-12-01T06:59Z`, `2026-12-01T06:59:30Z`,
/// `2026-12-01 06:59`, or any RFC 3339 time.
pub fn time(arg: &str) -> Result<TimeChange, String> {
    let usage = || format!("usage: :time +2h | +30m | -1d | +1h30m | 2026-12-01T06:59Z (got {arg:?})");
    if let Some(sign) = arg.chars().next().filter(|c| *c == '+' || *c == '-') {
        let mut total = Duration::zero();
        let mut digits = String::new();
        for c in arg[1..].chars() {
            if c.is_ascii_digit() {
                digits.push(c);
                continue;
            }
            let n: i64 = digits.parse().map_err(|_| usage())?;
            digits.clear();
            total += match c {
                's' => Duration::seconds(n),
                'm' => Duration::minutes(n),
                'h' => Duration::hours(n),
                'd' => Duration::days(n),
                'w' => Duration::weeks(n),
                _ => return Err(usage()),
            };
        }
        if !digits.is_empty() || total.is_zero() {
            return Err(usage());
        }
        return Ok(TimeChange::By(if sign == '-' { -total } else { total }));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(arg) {
        return Ok(TimeChange::To(t.with_timezone(&Utc)));
    }
    let bare = arg.trim_end_matches(['Z', 'z']).replace(' ', "T");
    for format in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(&bare, format) {
            return Ok(TimeChange::To(t.and_utc()));
        }
    }
    Err(usage())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Command {
        Command::parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    #[test]
    fn text_is_said_and_commands_are_not() {
        assert!(matches!(parse("/start"), Command::Say(t) if t == "/start"));
        assert!(matches!(parse("  anna@acme.io "), Command::Say(t) if t == "anna@acme.io"));
        assert!(matches!(parse(":say tap 1"), Command::Say(t) if t == "tap 1"));
        assert!(matches!(parse("# a comment"), Command::Nothing));
        assert!(matches!(parse(""), Command::Nothing));
        assert!(matches!(parse(":quit"), Command::Quit));
        assert!(Command::parse(":nope").unwrap_err().contains("unknown command"));
    }

    #[test]
    fn taps_and_people() {
        assert!(matches!(parse("tap 3"), Command::Tap(TapTarget::Number(3))));
        assert!(matches!(parse("tap \"small team\""), Command::Tap(TapTarget::Label(l)) if l == "small team"));
        assert!(matches!(parse("tap Research"), Command::Tap(TapTarget::Label(l)) if l == "Research"));
        assert!(Command::parse("tap").is_err() && Command::parse("tap 0").is_err());
        assert!(
            matches!(parse(":reply \"A message from\" Hi there"), Command::Reply { to, text } if to == "A message from" && text == "Hi there")
        );
        assert!(Command::parse(":reply Hi").is_err() && Command::parse(":reply \"x\"").is_err());
        assert!(matches!(parse("/as master"), Command::As { role: Role::Master, lang: None }));
        assert!(matches!(parse("/as client"), Command::As { role: Role::Client(1), lang: None }));
        assert!(matches!(parse("/as client 2 pl"), Command::As { role: Role::Client(2), lang: Some(l) } if l == "pl"));
        assert!(matches!(parse("/as client pl"), Command::As { role: Role::Client(1), lang: Some(l) } if l == "pl"));
        assert!(Command::parse("/as nobody").is_err());
        assert!(matches!(parse(":botfather @acme_bot"), Command::BotFather(b) if b == "acme_bot"));
        assert!(matches!(parse(":newbot anna_agent_bot"), Command::NewBot(b) if b == "anna_agent_bot"));
        assert!(Command::parse(":newbot").is_err());
        assert!(Command::parse(":token").is_err());
        assert!(matches!(parse(":code wrong"), Command::Code { wrong: true }));
    }

    #[test]
    fn expectations() {
        assert!(matches!(parse("expect: Welcome.*email"), Command::Expect(r) if r.is_match("Welcome! your email")));
        assert!(matches!(parse("expect-later: live"), Command::ExpectLater(_)));
        assert!(matches!(parse("expect-any: Spawning"), Command::ExpectAny(_)));
        assert!(matches!(parse("expect-toast: step is over"), Command::ExpectToast(_)));
        assert!(matches!(parse("expect-none"), Command::ExpectNone));
        assert!(Command::parse("expect: (").unwrap_err().contains("bad regular expression"));
        assert!(Command::parse("expect:").is_err());
    }

    #[test]
    fn agent_calls() {
        let call = |line: &str| match parse(line) {
            Command::Agent { name, call } => (name, call),
            other => panic!("{other:?}"),
        };
        assert_eq!(call(":agent peter online"), ("peter".into(), AgentCall::Online));
        assert_eq!(
            call(":agent peter heartbeat --card C-12 writing the report").1,
            AgentCall::Heartbeat { doing: Some("writing the report".into()), card: Some("C-12".into()) }
        );
        assert_eq!(call(":agent peter heartbeat").1, AgentCall::Heartbeat { doing: None, card: None });
        assert_eq!(
            call(":agent peter escalate! deploying | restarted it; read the logs | a DB password").1,
            AgentCall::Escalate {
                doing: "deploying".into(),
                tried: vec!["restarted it".into(), "read the logs".into()],
                need: "a DB password".into(),
                proposed_fix: None,
                urgent: true,
            }
        );
        let AgentCall::Escalate { proposed_fix, urgent, .. } = call(":agent p escalate a | b | c | rotate it").1 else {
            panic!()
        };
        assert_eq!((proposed_fix.as_deref(), urgent), (Some("rotate it"), false));
        assert!(Command::parse(":agent peter escalate a | b").is_err());
        assert!(Command::parse(":agent peter dance").is_err());
    }

    #[test]
    fn times() {
        assert_eq!(time("+2h"), Ok(TimeChange::By(Duration::hours(2))));
        assert_eq!(time("+30m"), Ok(TimeChange::By(Duration::minutes(30))));
        assert_eq!(time("-1d"), Ok(TimeChange::By(-Duration::days(1))));
        assert_eq!(time("+1h30m"), Ok(TimeChange::By(Duration::minutes(90))));
        let at: DateTime<Utc> = "2026-12-01T06:59:00Z".parse().unwrap();
        assert_eq!(time("2026-12-01T06:59Z"), Ok(TimeChange::To(at)));
        assert_eq!(time("2026-12-01 06:59"), Ok(TimeChange::To(at)));
        assert_eq!(time("2026-12-01T07:59:00+01:00"), Ok(TimeChange::To(at)));
        assert!(time("+2").is_err() && time("+h").is_err() && time("tomorrow").is_err() && time("+0m").is_err());
    }
}
