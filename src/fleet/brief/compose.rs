//! The morning brief's text (spec §7.3, "the brief loop"): what needs the master, what the fleet is
//! doing, what shipped, what is blocked and how each agent is. Pure: `super::gather` fills a
//! [`BriefInput`] from the store and Planka; [`compose`] lays it out and [`super::split`] cuts it
//! into Telegram messages.
//!
//! The seed's layout, with the decisions numbered so that each one's button row (sent as an inline
//! keyboard under the text, since Telegram cannot put buttons inside a line) says which item it is:
//!
//! ```text
//! ☀️ Morning Brief — 2026-03-14
//!
//! NEEDS YOU (2):
//!   1. Deploy machinemachine-api v2.1
//!   2. maya spawn — hi@company.io (researcher, score 85)
//!
//! HAPPENING:
//!   peter → TopoDIM blog post 3
//!
//! SHIPPED YESTERDAY:
//!   • destroy command (spawn-machine.sh)
//!
//! BLOCKED:
//!   • peter gateway offline → needs ANTHROPIC_API_KEY in Coolify [30s fix]
//!
//! Fleet: m2 🟢 | peter 🔴 | miauczek 🔴
//! ```
//!
//! Buttons: `[1. ✅ Approve] [1. ❌ Skip]`, then `[2. ✅ Approve] [2. ❌ Pass]`, one row per item.

use super::split::{split, BriefMessage, Item, Section, TELEGRAM};
use crate::domain::agent::Health;
use crate::i18n::Tr;
use chrono::NaiveDate;

/// A decision for the master: its line and its buttons (label, callback data), one row per item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NeedItem {
    pub text: String,
    pub buttons: Vec<(String, String)>,
}

/// Something stuck, with the exact fix (the seed's rule: never just the symptom).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub what: String,
    pub fix: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefInput {
    pub date: NaiveDate,
    pub needs_you: Vec<NeedItem>,
    /// (who, what), e.g. ("peter", "TopoDIM blog post 3").
    pub happening: Vec<(String, String)>,
    /// HAPPENING lines beyond those in `happening` (the caller may list at most
    /// `MAX_CONTEXT_LINES` and count the rest).
    pub happening_more: usize,
    pub shipped: Vec<String>,
    /// The same for SHIPPED.
    pub shipped_more: usize,
    pub blocked: Vec<Blocked>,
    pub fleet: Vec<(String, Health)>,
    /// NEEDS YOU items beyond those listed (the caller lists at most [`MAX_ACTION_ITEMS`] and
    /// counts the rest, so a backlog is never read in full for a morning brief).
    pub needs_more: usize,
}

/// HAPPENING and SHIPPED are context, not decisions: past this many lines the rest is counted.
pub const MAX_CONTEXT_LINES: usize = 15;

/// NEEDS YOU and BLOCKED show at most this many items: "one message per day" is the seed's rule,
/// and a backlog of hundreds belongs in `/leads`, not in a morning read.
pub const MAX_ACTION_ITEMS: usize = 30;

/// The `Fleet:` line names at most this many agents (the unhealthy ones first), then counts the
/// rest.
pub const MAX_FLEET_NAMES: usize = 40;

/// `m2 🟢 | peter 🔴`, or for a large fleet the unhealthy ones first and a count of the rest.
pub fn fleet_line(fleet: &[(String, Health)], max: usize) -> String {
    let show = |list: &[&(String, Health)]| {
        list.iter().map(|(n, h)| format!("{n} {}", h.emoji())).collect::<Vec<_>>().join(" | ")
    };
    if fleet.len() <= max {
        return show(&fleet.iter().collect::<Vec<_>>());
    }
    let mut sorted: Vec<&(String, Health)> = fleet.iter().collect();
    // Red, then yellow, then green: what needs attention is named.
    sorted.sort_by_key(|(_, h)| match h {
        Health::Red => 0,
        Health::Yellow => 1,
        Health::Green => 2,
    });
    let n = |h: Health| fleet.iter().filter(|(_, x)| *x == h).count();
    format!(
        "{} | +{} more (total {} 🟢 · {} 🟡 · {} 🔴)",
        show(&sorted[..max]),
        fleet.len() - max,
        n(Health::Green),
        n(Health::Yellow),
        n(Health::Red)
    )
}

/// Items are indented under their header, as in the seed.
pub(super) const INDENT: &str = "  ";

/// The seed's rule: skipped entirely (None) when nothing needs the master and nothing is blocked.
pub fn compose(input: &BriefInput, tr: &Tr) -> Option<Vec<BriefMessage>> {
    if input.needs_you.is_empty() && input.blocked.is_empty() {
        return None;
    }
    Some(split(&sections(input, tr), TELEGRAM))
}

/// The brief as sections, before any splitting; empty sections are left out.
pub fn sections(input: &BriefInput, tr: &Tr) -> Vec<Section> {
    let date = input.date.format("%Y-%m-%d").to_string();
    let mut out = vec![Section {
        header: tr.t_args("brief-title", &[("date", (&date).into())]),
        cont_header: String::new(),
        items: Vec::new(),
    }];

    if !input.needs_you.is_empty() {
        let mut items: Vec<Item> =
            input.needs_you.iter().take(MAX_ACTION_ITEMS).enumerate().map(|(i, need)| numbered(i + 1, need)).collect();
        let unlisted = input.needs_you.len().saturating_sub(MAX_ACTION_ITEMS) + input.needs_more;
        if unlisted > 0 {
            items.push(plain(&tr.t_args("brief-more", &[("count", count(unlisted).into())])));
        }
        out.push(Section {
            header: tr.t_args("brief-needs-you", &[("count", count(input.needs_you.len() + input.needs_more).into())]),
            cont_header: tr.t("brief-needs-you-cont"),
            items,
        });
    }

    let happening: Vec<String> = input.happening.iter().map(|(who, what)| format!("{who} → {what}")).collect();
    if let Some(items) = capped(&happening, input.happening_more, tr) {
        out.push(Section { header: tr.t("brief-happening"), cont_header: tr.t("brief-happening-cont"), items });
    }

    let shipped: Vec<String> = input.shipped.iter().map(|s| format!("• {s}")).collect();
    if let Some(items) = capped(&shipped, input.shipped_more, tr) {
        out.push(Section { header: tr.t("brief-shipped"), cont_header: tr.t("brief-shipped-cont"), items });
    }

    if !input.blocked.is_empty() {
        let mut items: Vec<Item> = input
            .blocked
            .iter()
            .take(MAX_ACTION_ITEMS)
            .map(|b| {
                let line = if b.fix.trim().is_empty() {
                    format!("• {}", b.what)
                } else {
                    format!("• {} → {}", b.what, b.fix)
                };
                plain(&line)
            })
            .collect();
        if input.blocked.len() > MAX_ACTION_ITEMS {
            items.push(plain(
                &tr.t_args("brief-more", &[("count", count(input.blocked.len() - MAX_ACTION_ITEMS).into())]),
            ));
        }
        out.push(Section { header: tr.t("brief-blocked"), cont_header: tr.t("brief-blocked-cont"), items });
    }

    if !input.fleet.is_empty() {
        let line = tr.t_args("brief-fleet", &[("agents", (&fleet_line(&input.fleet, MAX_FLEET_NAMES)).into())]);
        out.push(Section {
            header: String::new(),
            cont_header: String::new(),
            items: vec![Item { text: line, buttons: vec![] }],
        });
    }
    out
}

/// `  3. text`, and buttons `3. ✅ Approve`: a keyboard row far below its line still says which
/// decision it is.
fn numbered(n: usize, need: &NeedItem) -> Item {
    let prefix = format!("{INDENT}{n}. ");
    // Later lines of a multi-line item line up under its text, not under the number.
    let hang = format!("\n{}", " ".repeat(prefix.chars().count()));
    Item {
        text: format!("{prefix}{}", need.text.replace('\n', &hang)),
        buttons: need.buttons.iter().map(|(label, data)| (format!("{n}. {label}"), data.clone())).collect(),
    }
}

fn plain(line: &str) -> Item {
    Item { text: format!("{INDENT}{}", line.replace('\n', &format!("\n{INDENT}"))), buttons: Vec::new() }
}

/// At most [`MAX_CONTEXT_LINES`] lines: the first ones, then "…and N more" (with the `more` the
/// caller counted but did not list). None when empty.
fn capped(lines: &[String], more: usize, tr: &Tr) -> Option<Vec<Item>> {
    if lines.is_empty() && more == 0 {
        return None;
    }
    if more == 0 && lines.len() <= MAX_CONTEXT_LINES {
        return Some(lines.iter().map(|l| plain(l)).collect());
    }
    let shown = (MAX_CONTEXT_LINES - 1).min(lines.len());
    let mut items: Vec<Item> = lines[..shown].iter().map(|l| plain(l)).collect();
    items.push(plain(&tr.t_args("brief-more", &[("count", count(lines.len() - shown + more).into())])));
    Some(items)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fleet::brief::split::{row_bytes, KEYBOARD_OVERHEAD};
    use crate::i18n::I18n;
    use crate::services::telegram::utf16_len;

    const FTL: &str = "\
brief-title = ☀️ Morning Brief — { $date }
brief-needs-you = NEEDS YOU ({ $count }):
brief-needs-you-cont = NEEDS YOU (cont.):
brief-happening = HAPPENING:
brief-happening-cont = HAPPENING (cont.):
brief-shipped = SHIPPED YESTERDAY:
brief-shipped-cont = SHIPPED YESTERDAY (cont.):
brief-blocked = BLOCKED:
brief-blocked-cont = BLOCKED (cont.):
brief-more = …and { $count } more
brief-fleet = Fleet: { $agents }
";

    fn i18n() -> I18n {
        I18n::new(vec![("en".into(), FTL.into())]).expect("the test locale parses")
    }

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 14).expect("a valid date")
    }

    fn button(label: &str, data: &str) -> (String, String) {
        (label.into(), data.into())
    }

    fn empty_input() -> BriefInput {
        BriefInput {
            date: date(),
            needs_you: vec![],
            happening: vec![],
            happening_more: 0,
            shipped: vec![],
            shipped_more: 0,
            blocked: vec![],
            fleet: vec![],
            needs_more: 0,
        }
    }

    /// The seed's example (the brief loop, spec §7.3), with its inline buttons as a keyboard.
    fn seed_input() -> BriefInput {
        BriefInput {
            date: date(),
            needs_you: vec![
                NeedItem {
                    text: "Deploy machinemachine-api v2.1".into(),
                    buttons: vec![button("✅ Approve", "ap:deploy"), button("❌ Skip", "sk:deploy")],
                },
                NeedItem {
                    text: "maya spawn — hi@company.io (researcher, score 85)".into(),
                    buttons: vec![button("✅ Approve", "ap:maya"), button("❌ Pass", "ps:maya")],
                },
            ],
            happening: vec![
                ("peter".into(), "TopoDIM blog post 3".into()),
                ("miauczek".into(), "processing pitch leads".into()),
                ("m2".into(), "weekly memory consolidation".into()),
            ],
            happening_more: 0,
            shipped: vec!["destroy command (spawn-machine.sh)".into(), "fleet compliance dashboard live".into()],
            shipped_more: 0,
            blocked: vec![Blocked {
                what: "peter gateway offline".into(),
                fix: "needs ANTHROPIC_API_KEY in Coolify [30s fix]".into(),
            }],
            fleet: vec![
                ("m2".into(), Health::Green),
                ("peter".into(), Health::Red),
                ("miauczek".into(), Health::Red),
                ("pittbull".into(), Health::Red),
            ],
            needs_more: 0,
        }
    }

    #[test]
    fn the_seed_example_reads_as_in_the_spec() {
        let i18n = i18n();
        let messages = compose(&seed_input(), &i18n.tr("en")).expect("something needs the master");
        assert_eq!(messages.len(), 1);
        assert_eq!(
            messages[0].text,
            "\
☀️ Morning Brief — 2026-03-14

NEEDS YOU (2):
  1. Deploy machinemachine-api v2.1
  2. maya spawn — hi@company.io (researcher, score 85)

HAPPENING:
  peter → TopoDIM blog post 3
  miauczek → processing pitch leads
  m2 → weekly memory consolidation

SHIPPED YESTERDAY:
  • destroy command (spawn-machine.sh)
  • fleet compliance dashboard live

BLOCKED:
  • peter gateway offline → needs ANTHROPIC_API_KEY in Coolify [30s fix]

Fleet: m2 🟢 | peter 🔴 | miauczek 🔴 | pittbull 🔴"
        );
        assert_eq!(
            messages[0].buttons,
            vec![
                vec![button("1. ✅ Approve", "ap:deploy"), button("1. ❌ Skip", "sk:deploy")],
                vec![button("2. ✅ Approve", "ap:maya"), button("2. ❌ Pass", "ps:maya")],
            ]
        );
    }

    #[test]
    fn nothing_for_the_master_means_no_brief() {
        let i18n = i18n();
        let tr = i18n.tr("en");
        assert_eq!(compose(&empty_input(), &tr), None);

        let only_context = BriefInput {
            happening: vec![("peter".into(), "TopoDIM blog post 3".into())],
            shipped: vec!["destroy command".into()],
            fleet: vec![("m2".into(), Health::Green)],
            ..empty_input()
        };
        assert_eq!(compose(&only_context, &tr), None);

        let blocked = BriefInput {
            blocked: vec![Blocked { what: "peter gateway offline".into(), fix: "set the key".into() }],
            ..empty_input()
        };
        let messages = compose(&blocked, &tr).expect("a blocked item alone is worth a brief");
        assert_eq!(
            messages,
            vec![BriefMessage {
                text: "☀️ Morning Brief — 2026-03-14\n\nBLOCKED:\n  • peter gateway offline → set the key".into(),
                buttons: vec![],
            }]
        );
    }

    #[test]
    fn long_context_sections_are_capped() {
        let i18n = i18n();
        let input = BriefInput {
            blocked: vec![Blocked { what: "x".into(), fix: "y".into() }],
            happening: (1..=40).map(|i| (format!("agent{i}"), "work".into())).collect(),
            shipped: (1..=15).map(|i| format!("thing {i}")).collect(),
            ..empty_input()
        };
        let messages = compose(&input, &i18n.tr("en")).expect("blocked");
        let text = &messages[0].text;
        assert!(text.contains("  agent14 → work\n  …and 26 more\n"), "{text}");
        assert!(!text.contains("agent15 "));
        // Exactly the cap: every line is shown, no "more".
        assert!(text.contains("  • thing 15\n"));
        assert_eq!(text.matches("more").count(), 1);
        let happening_lines =
            text.split("HAPPENING:\n").nth(1).unwrap_or_default().split("\n\n").next().unwrap_or_default();
        assert_eq!(happening_lines.lines().count(), MAX_CONTEXT_LINES);

        // Lines the caller counted and did not list are in the count.
        let input = BriefInput {
            happening: (1..=15).map(|i| (format!("agent{i}"), "work".into())).collect(),
            happening_more: 985,
            shipped: vec!["thing 1".into()],
            shipped_more: 1,
            blocked: vec![Blocked { what: "x".into(), fix: "y".into() }],
            ..empty_input()
        };
        let text = compose(&input, &i18n.tr("en")).expect("context").remove(0).text;
        assert!(text.contains("  agent14 → work\n  …and 986 more\n"), "{text}");
        assert!(text.contains("  • thing 1\n  …and 1 more"), "{text}");
    }

    #[test]
    fn a_multi_line_decision_hangs_under_its_text() {
        let need = NeedItem { text: "first\nsecond".into(), buttons: vec![] };
        assert_eq!(numbered(12, &need).text, "  12. first\n      second");
    }

    /// The number at the start of an item line (`  12. …`) or of a button label (`12. ✅`).
    fn number_of(s: &str) -> Option<usize> {
        s.trim_start().split_once(". ")?.0.parse().ok()
    }

    #[test]
    fn three_hundred_decisions_split_cleanly() {
        let i18n = i18n();
        let input = BriefInput {
            needs_you: (1..=300)
                .map(|i| NeedItem {
                    // Long enough that even the 30 shown need several messages.
                    text: format!(
                        "spawn agent{i} — person{i}@example.com (researcher, score {}) 🟢 {}",
                        i % 100,
                        "notes ".repeat(40)
                    ),
                    buttons: vec![button("✅ Approve", &format!("ap:{i}")), button("❌ Skip", &format!("sk:{i}"))],
                })
                .collect(),
            ..seed_input()
        };
        let messages = compose(&input, &i18n.tr("en")).expect("decisions");
        assert!(messages.len() > 1);

        let mut next = 1;
        for (m, message) in messages.iter().enumerate() {
            assert!(utf16_len(&message.text) <= 4096, "message {m} is {} units", utf16_len(&message.text));
            assert!(message.buttons.iter().map(Vec::len).sum::<usize>() <= TELEGRAM.buttons);
            let keyboard_bytes: usize = KEYBOARD_OVERHEAD + message.buttons.iter().map(|r| row_bytes(r)).sum::<usize>();
            assert!(keyboard_bytes <= TELEGRAM.keyboard_bytes);

            let numbers: Vec<usize> = message
                .text
                .lines()
                .filter(|l| l.starts_with("  ") && l.contains("spawn agent"))
                .filter_map(number_of)
                .collect();
            // Continuous numbering across messages.
            let expected: Vec<usize> = (next..next + numbers.len()).collect();
            assert_eq!(numbers, expected, "message {m}");
            next += numbers.len();
            // Each item's row, and only those, in this message, in order.
            let rows: Vec<usize> = message.buttons.iter().filter_map(|r| number_of(&r.first()?.0)).collect();
            assert_eq!(rows, numbers, "message {m}");
            for row in &message.buttons {
                assert!(row.iter().all(|(label, _)| number_of(label) == number_of(&row[0].0)));
            }
            if m > 0 && !numbers.is_empty() {
                assert!(message.text.starts_with("NEEDS YOU (cont.):\n  "), "message {m}");
            }
        }
        // The first MAX_ACTION_ITEMS are listed; the rest are counted.
        assert_eq!(next, MAX_ACTION_ITEMS + 1);
        assert!(messages.iter().any(|m| m.text.contains(&format!("…and {} more", 300 - MAX_ACTION_ITEMS))));
        assert!(messages[0].text.starts_with("☀️ Morning Brief — 2026-03-14\n\nNEEDS YOU (300):\n  1. spawn agent1 "));
        let last = messages.last().map(|m| m.text.as_str()).unwrap_or_default();
        assert!(last.ends_with("Fleet: m2 🟢 | peter 🔴 | miauczek 🔴 | pittbull 🔴"));
    }

    #[test]
    fn a_large_fleet_names_the_unhealthy_and_counts_the_rest() {
        let mut fleet: Vec<(String, Health)> = (0..100).map(|i| (format!("a{i}"), Health::Green)).collect();
        fleet[57].1 = Health::Red;
        fleet[3].1 = Health::Yellow;
        let line = fleet_line(&fleet, 5);
        assert!(
            line.starts_with("a57 🔴 | a3 🟡 | a0 🟢 | a1 🟢 | a2 🟢 | +95 more (total 98 🟢 · 1 🟡 · 1 🔴)"),
            "{line}"
        );
        assert_eq!(fleet_line(&fleet[..2], 5), "a0 🟢 | a1 🟢");
    }

    #[test]
    fn an_item_longer_than_a_message_is_cut_not_split() {
        let i18n = i18n();
        for long in ["x".repeat(5000), "🟢".repeat(3000), format!("a{}", "🟢".repeat(2100))] {
            let input = BriefInput {
                needs_you: vec![
                    NeedItem { text: "short".into(), buttons: vec![button("✅", "ok:1")] },
                    NeedItem { text: long.clone(), buttons: vec![button("✅", "ok:2")] },
                    NeedItem { text: "after".into(), buttons: vec![button("✅", "ok:3")] },
                ],
                ..empty_input()
            };
            let messages = compose(&input, &i18n.tr("en")).expect("decisions");
            assert_eq!(messages.len(), 3);
            for m in &messages {
                assert!(utf16_len(&m.text) <= 4096);
            }
            let cut = &messages[1];
            assert!(cut.text.starts_with("NEEDS YOU (cont.):\n  2. "));
            assert!(cut.text.ends_with('…'));
            assert!(utf16_len(&cut.text) >= 4094, "the cut keeps as much as fits");
            assert_eq!(cut.buttons, vec![vec![button("2. ✅", "ok:2")]]);
            assert_eq!(messages[2].text, "NEEDS YOU (cont.):\n  3. after");
        }
    }
}
