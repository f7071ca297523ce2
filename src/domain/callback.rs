//! Callback data: what an inline button means, and its wire form. Every button the bot shows is
//! made here ([`Tap::data`], [`MasterTap::data`]) and every tap is read here ([`Callback::parse`]),
//! so a prefix cannot be renamed on one side only.
//!
//! Telegram allows 64 bytes of callback data and a modified client can send anything, so a tap is
//! parsed, never trusted: the bot acts on a [`Tap`] only when it belongs to the chat's current step,
//! and on a [`MasterTap`] only for someone allowed to press it.

use super::escalation::Verdict;

/// A button of the client's conversation; it means something only at its step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tap {
    /// `q:<question>:<option>`; option `-` skips a skippable question.
    Answer {
        question: String,
        option: String,
    },
    /// `tz:<IANA name>`
    Timezone(String),
    /// `code:new` and `code:email`
    NewCode,
    ChangeEmail,
    /// `name:<suggested name>`
    UseName(String),
    /// `cf:yes`, `cf:name`, `cf:no`
    Confirm,
    ChangeName,
    Cancel,
    /// `me:withdraw`, `me:forget`: the confirmations of `/cancel` on a waiting request and of
    /// `/forget`; `me:keep` declines either. They act on the client's own record, at any step.
    Withdraw,
    Forget,
    Keep,
}

/// A view of the fleet a master can open from the home panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    /// Requests waiting for a decision (pending review and waitlisted).
    Requests,
    Escalations,
    Fleet,
    /// Contact-track leads.
    Track,
    /// Clients stuck mid-onboarding for two days or more.
    Stalled,
}

impl Screen {
    pub const ALL: [Screen; 5] = [Screen::Requests, Screen::Escalations, Screen::Fleet, Screen::Track, Screen::Stalled];

    fn code(self) -> &'static str {
        match self {
            Screen::Requests => "rq",
            Screen::Escalations => "es",
            Screen::Fleet => "fl",
            Screen::Track => "ct",
            Screen::Stalled => "st",
        }
    }
}

/// A button of the fleet: only masters may press it (orchestrators too for escalations and 🟡
/// actions), except [`MasterTap::Done`], which only the agent's owner may press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterTap {
    /// `ap:<request id>` / `rj:<request id>`: a waiting request's `[Approve]` `[Reject]`.
    Approve(u64),
    Reject(u64),
    /// `rt:<job id>`: a failed provisioning job's `[Retry]`.
    Retry(u64),
    /// `ds:<agent>`: the confirmation of `/destroy`.
    Destroy(String),
    /// `lq:<contact id>`: `[Qualify]` a contact-track lead.
    Qualify(u64),
    /// `dn:<agent>`: the owner pressed Start in their bot; greet them again.
    Done(String),
    /// `es:<id>:a|s|m` — an escalation's `[✅ Approve proposed fix]` `[❌ Skip]` `[🔄 Modify]`.
    Escalation(u64, Verdict),
    /// `ac:<id>:a|r` — an action request's `[Approve]` `[Reject]`.
    Action(u64, bool),
    /// `rp:<contact id>`: `[↩️ Reply]` under a client's message on the line.
    Reply(u64),
    /// `rn:<request id>`: `[❌ Reject without a reason]`, the confirmation of `[Reject]`;
    /// `kw:<request id>`: `[↩️ Keep waiting]`, its way back.
    RejectNow(u64),
    KeepWaiting(u64),
    /// `nd:<contact id>`: `[🔔 Nudge]` a client stuck mid-onboarding.
    Nudge(u64),
    /// `ld:<contact id>`: a lead's card; `ag:<agent>`: an agent's card (pick-lists, [👤 Owner]).
    Lead(u64),
    Agent(String),
    /// `da:<agent>`: `[🗑 Destroy]` on an agent's card, which asks; `ds:` above confirms.
    DestroyAsk(String),
    /// `ta:<agent>`: `[🔑 New token]`, which asks; `tn:<agent>` confirms and rotates.
    TokenAsk(String),
    TokenNow(String),
    /// `vw:<screen>`: a view from the home panel.
    View(Screen),
}

/// A tap, read from its callback data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Callback {
    Step(Tap),
    Fleet(MasterTap),
}

/// A button's colour (Bot API 9.4): green for what says yes to a request or confirms a choice,
/// red for what refuses, skips or ends something. Other buttons keep the app's own colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Success,
    Danger,
}

impl Callback {
    /// `None` for data no button of ours carries.
    pub fn parse(data: &str) -> Option<Callback> {
        MasterTap::parse(data).map(Callback::Fleet).or_else(|| Tap::parse(data).map(Callback::Step))
    }

    pub fn style(&self) -> Option<Style> {
        use Callback::{Fleet, Step};
        match self {
            Step(Tap::Confirm)
            | Fleet(MasterTap::Approve(_) | MasterTap::Escalation(_, Verdict::Approve) | MasterTap::Action(_, true)) => {
                Some(Style::Success)
            }
            Step(Tap::Cancel | Tap::Withdraw | Tap::Forget)
            | Fleet(
                MasterTap::Reject(_)
                | MasterTap::RejectNow(_)
                | MasterTap::Escalation(_, Verdict::Skip)
                | MasterTap::Action(_, false)
                | MasterTap::Destroy(_)
                | MasterTap::DestroyAsk(_),
            ) => Some(Style::Danger),
            _ => None,
        }
    }
}

impl Tap {
    fn parse(data: &str) -> Option<Tap> {
        let (kind, rest) = data.split_once(':')?;
        let tap = match (kind, rest) {
            ("q", rest) => {
                let (question, option) = rest.split_once(':')?;
                Tap::Answer { question: question.into(), option: option.into() }
            }
            ("tz", zone) => Tap::Timezone(zone.into()),
            ("code", "new") => Tap::NewCode,
            ("code", "email") => Tap::ChangeEmail,
            ("name", name) => Tap::UseName(name.into()),
            ("cf", "yes") => Tap::Confirm,
            ("cf", "name") => Tap::ChangeName,
            ("cf", "no") => Tap::Cancel,
            ("me", "withdraw") => Tap::Withdraw,
            ("me", "forget") => Tap::Forget,
            ("me", "keep") => Tap::Keep,
            _ => return None,
        };
        Some(tap)
    }

    pub fn data(&self) -> String {
        match self {
            Tap::Answer { question, option } => format!("q:{question}:{option}"),
            Tap::Timezone(z) => format!("tz:{z}"),
            Tap::NewCode => "code:new".into(),
            Tap::ChangeEmail => "code:email".into(),
            Tap::UseName(n) => format!("name:{n}"),
            Tap::Confirm => "cf:yes".into(),
            Tap::ChangeName => "cf:name".into(),
            Tap::Cancel => "cf:no".into(),
            Tap::Withdraw => "me:withdraw".into(),
            Tap::Forget => "me:forget".into(),
            Tap::Keep => "me:keep".into(),
        }
    }
}

impl MasterTap {
    fn parse(data: &str) -> Option<MasterTap> {
        let (kind, rest) = data.split_once(':')?;
        let id = || rest.parse::<u64>().ok();
        Some(match kind {
            "ap" => MasterTap::Approve(id()?),
            "rj" => MasterTap::Reject(id()?),
            "rt" => MasterTap::Retry(id()?),
            "lq" => MasterTap::Qualify(id()?),
            "ds" => MasterTap::Destroy(rest.to_string()),
            "dn" => MasterTap::Done(rest.to_string()),
            "rp" => MasterTap::Reply(id()?),
            "rn" => MasterTap::RejectNow(id()?),
            "kw" => MasterTap::KeepWaiting(id()?),
            "nd" => MasterTap::Nudge(id()?),
            "ld" => MasterTap::Lead(id()?),
            "ag" => MasterTap::Agent(rest.to_string()),
            "da" => MasterTap::DestroyAsk(rest.to_string()),
            "ta" => MasterTap::TokenAsk(rest.to_string()),
            "tn" => MasterTap::TokenNow(rest.to_string()),
            "vw" => MasterTap::View(Screen::ALL.into_iter().find(|s| s.code() == rest)?),
            "es" => {
                let (id, v) = rest.split_once(':')?;
                let verdict = match v {
                    "a" => Verdict::Approve,
                    "s" => Verdict::Skip,
                    "m" => Verdict::Modify,
                    _ => return None,
                };
                MasterTap::Escalation(id.parse().ok()?, verdict)
            }
            "ac" => {
                let (id, v) = rest.split_once(':')?;
                let approve = match v {
                    "a" => true,
                    "r" => false,
                    _ => return None,
                };
                MasterTap::Action(id.parse().ok()?, approve)
            }
            _ => return None,
        })
    }

    pub fn data(&self) -> String {
        match self {
            MasterTap::Approve(id) => format!("ap:{id}"),
            MasterTap::Reject(id) => format!("rj:{id}"),
            MasterTap::Retry(id) => format!("rt:{id}"),
            MasterTap::Qualify(id) => format!("lq:{id}"),
            MasterTap::Destroy(name) => format!("ds:{name}"),
            MasterTap::Done(name) => format!("dn:{name}"),
            MasterTap::Escalation(id, v) => {
                let v = match v {
                    Verdict::Approve => "a",
                    Verdict::Skip => "s",
                    Verdict::Modify => "m",
                };
                format!("es:{id}:{v}")
            }
            MasterTap::Action(id, approve) => format!("ac:{id}:{}", if *approve { "a" } else { "r" }),
            MasterTap::Reply(id) => format!("rp:{id}"),
            MasterTap::RejectNow(id) => format!("rn:{id}"),
            MasterTap::KeepWaiting(id) => format!("kw:{id}"),
            MasterTap::Nudge(id) => format!("nd:{id}"),
            MasterTap::Lead(id) => format!("ld:{id}"),
            MasterTap::Agent(name) => format!("ag:{name}"),
            MasterTap::DestroyAsk(name) => format!("da:{name}"),
            MasterTap::TokenAsk(name) => format!("ta:{name}"),
            MasterTap::TokenNow(name) => format!("tn:{name}"),
            MasterTap::View(screen) => format!("vw:{}", screen.code()),
        }
    }

    /// Whether an orchestrator (not only a master) may press it.
    pub fn for_orchestrators(&self) -> bool {
        matches!(self, MasterTap::Escalation(..) | MasterTap::Action(..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn every_button_reads_back_as_itself_within_64_bytes() {
        let steps = [
            Tap::Answer { question: "use_case".into(), option: "research".into() },
            Tap::Timezone("America/Argentina/Buenos_Aires".into()),
            Tap::NewCode,
            Tap::ChangeEmail,
            Tap::UseName("acme-helper".into()),
            Tap::Confirm,
            Tap::ChangeName,
            Tap::Cancel,
            Tap::Withdraw,
            Tap::Forget,
            Tap::Keep,
        ];
        for tap in steps {
            assert_eq!(Callback::parse(&tap.data()), Some(Callback::Step(tap.clone())));
            assert!(tap.data().len() <= 64);
        }
        let fleet = [
            MasterTap::Approve(u64::MAX),
            MasterTap::Reject(12),
            MasterTap::Retry(41),
            MasterTap::Destroy("peter-the-twentieth1".into()),
            MasterTap::Qualify(7),
            MasterTap::Done("peter".into()),
            MasterTap::Escalation(57, Verdict::Approve),
            MasterTap::Escalation(57, Verdict::Skip),
            MasterTap::Escalation(57, Verdict::Modify),
            MasterTap::Action(58, true),
            MasterTap::Action(58, false),
            MasterTap::Reply(u64::MAX),
            MasterTap::RejectNow(3),
            MasterTap::KeepWaiting(3),
            MasterTap::Nudge(4),
            MasterTap::Lead(5),
            MasterTap::Agent("peter-the-twentieth1".into()),
            MasterTap::DestroyAsk("peter-the-twentieth1".into()),
            MasterTap::TokenAsk("peter".into()),
            MasterTap::TokenNow("peter".into()),
        ];
        let fleet = fleet.into_iter().chain(Screen::ALL.map(MasterTap::View));
        for tap in fleet {
            assert_eq!(Callback::parse(&tap.data()), Some(Callback::Fleet(tap.clone())));
            assert!(tap.data().len() <= 64);
        }
    }

    #[test]
    fn forged_or_stale_data_is_nothing() {
        for data in [
            "",
            "c:confirm:1",
            "cf:maybe",
            "ap:",
            "ap:-1",
            "ap:x",
            "es:1:z",
            "es:1",
            "ac:2:",
            "zz:1",
            "vw:zz",
            "me:x",
            "rp:",
        ] {
            assert_eq!(Callback::parse(data), None, "{data:?}");
        }
    }

    proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,64}") {
            let _ = Callback::parse(&s);
        }
    }
}
