//! The morning brief (spec §7.3): one daily message to the master with what needs them, what the
//! fleet is doing, what shipped, what is blocked and how each agent is. Pure: the caller gathers
//! [`BriefInput`] from the store and Planka, and sends the [`BriefMessage`]s [`compose`] returns.
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
//!
//! # Length
//!
//! Telegram refuses a text over 4096 characters, and it counts them in UTF-16 code units (the
//! unit of its entity offsets too): an emoji outside the Basic Multilingual Plane such as 🟢 counts
//! as 2. We count the same unit. It is also the safe one: a string never has more code points than
//! UTF-16 units, so a text within 4096 units is within 4096 by any count Telegram could use.
//! A brief over the limit is [`split`] into several messages between items, never inside one.
//!
//! Inline keyboards have limits of their own that Telegram does not document; the community's
//! measurements are at most 100 buttons and about 10 kB of keyboard JSON per message, and a
//! message over them fails with "reply markup is too long". [`TELEGRAM`] stays under both, so a
//! brief with many decisions is split by its buttons as well as by its text.

use crate::i18n::Tr;
use chrono::NaiveDate;

/// How an agent is doing, as the Fleet line shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    Green,
    Yellow,
    Red,
}

impl Health {
    pub fn emoji(self) -> &'static str {
        match self {
            Health::Green => "🟢",
            Health::Yellow => "🟡",
            Health::Red => "🔴",
        }
    }
}

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
    pub shipped: Vec<String>,
    pub blocked: Vec<Blocked>,
    pub fleet: Vec<(String, Health)>,
    /// NEEDS YOU items beyond those listed (the caller lists at most [`MAX_ACTION_ITEMS`] and counts
    /// the rest, so a backlog is never read in full for a morning brief).
    pub needs_more: usize,
}

/// One Telegram message: its text and its inline keyboard rows of (label, callback data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BriefMessage {
    pub text: String,
    pub buttons: Vec<Vec<(String, String)>>,
}

/// A block of the brief: a header line and its items. [`split`] keeps an item whole and with its
/// buttons, and repeats the section under `cont_header` in the next message when it continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The first line, e.g. "NEEDS YOU (3):". Empty for a section that is only its items.
    pub header: String,
    /// The first line in a later message, e.g. "NEEDS YOU (cont.):". May be empty.
    pub cont_header: String,
    pub items: Vec<Item>,
}

/// One item: its text as shown (indent included; it may span lines) and its button row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub text: String,
    pub buttons: Vec<(String, String)>,
}

/// What one message may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Text length in UTF-16 code units (see the module doc for why that unit).
    pub text_units: usize,
    /// Inline buttons, over all rows.
    pub buttons: usize,
    /// The inline keyboard as JSON, in bytes.
    pub keyboard_bytes: usize,
}

/// Telegram's limits: 4096 for the text (documented); 100 buttons and 10 kB of keyboard JSON
/// (measured by the community, undocumented), so we keep a margin under the latter.
pub const TELEGRAM: Limits = Limits { text_units: 4096, buttons: 100, keyboard_bytes: 8192 };

/// Below this many units a header and an item cannot share a message; smaller limits are raised.
const MIN_TEXT_UNITS: usize = 16;

/// HAPPENING and SHIPPED are context, not decisions: past this many lines the rest is counted.
pub const MAX_CONTEXT_LINES: usize = 15;

/// NEEDS YOU and BLOCKED show at most this many items: "one message per day" is the seed's rule,
/// and a backlog of hundreds belongs in `/leads`, not in a morning read.
pub const MAX_ACTION_ITEMS: usize = 30;

/// The `Fleet:` line names at most this many agents (the unhealthy ones first), then counts the rest.
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
const INDENT: &str = "  ";

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
    if let Some(items) = capped(&happening, tr) {
        out.push(Section { header: tr.t("brief-happening"), cont_header: tr.t("brief-happening-cont"), items });
    }

    let shipped: Vec<String> = input.shipped.iter().map(|s| format!("• {s}")).collect();
    if let Some(items) = capped(&shipped, tr) {
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

/// At most [`MAX_CONTEXT_LINES`] lines: the first ones, then "…and N more". None when empty.
fn capped(lines: &[String], tr: &Tr) -> Option<Vec<Item>> {
    if lines.is_empty() {
        return None;
    }
    if lines.len() <= MAX_CONTEXT_LINES {
        return Some(lines.iter().map(|l| plain(l)).collect());
    }
    let shown = MAX_CONTEXT_LINES - 1;
    let mut items: Vec<Item> = lines[..shown].iter().map(|l| plain(l)).collect();
    items.push(plain(&tr.t_args("brief-more", &[("count", count(lines.len() - shown).into())])));
    Some(items)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Length as Telegram counts it: UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// Lays the sections out in as few messages as the limits allow. Sections are separated by a blank
/// line, items by a newline. A message ends only between items; a section that goes on in the next
/// message starts it with its `cont_header`; a header is never left alone at the end of a message.
/// Each item's button row is in the message that holds the item, in item order.
///
/// Never panics and never exceeds the limits: an item too long for a message of its own is cut
/// with "…" (at a character boundary), a header longer than half a message likewise, and a button
/// row too big for one message keeps only the buttons that fit. Limits below 16 text units are
/// raised to 16.
pub fn split(sections: &[Section], limits: Limits) -> Vec<BriefMessage> {
    let limits = Limits { text_units: limits.text_units.max(MIN_TEXT_UNITS), ..limits };
    let mut out = Splitter::new(limits);
    for section in sections {
        if section.header.is_empty() && section.items.is_empty() {
            continue;
        }
        // Half a message at most, so that a header always leaves room for an item after it.
        let header = fit(&section.header, limits.text_units / 2);
        let cont_header = fit(&section.cont_header, limits.text_units / 2);
        let mut items = section.items.iter();
        out.open(&header, items.next());
        for item in items {
            out.place(&cont_header, item);
        }
    }
    out.finish()
}

/// The message being filled, and the ones already full.
struct Splitter {
    limits: Limits,
    done: Vec<BriefMessage>,
    text: String,
    units: usize,
    rows: Vec<Vec<(String, String)>>,
    buttons: usize,
    keyboard_bytes: usize,
}

impl Splitter {
    fn new(limits: Limits) -> Self {
        Splitter {
            limits,
            done: Vec::new(),
            text: String::new(),
            units: 0,
            rows: Vec::new(),
            buttons: 0,
            keyboard_bytes: KEYBOARD_OVERHEAD,
        }
    }

    fn is_empty(&self) -> bool {
        self.text.is_empty() && self.rows.is_empty()
    }

    /// Whether `units` more text and this row fit in the current message.
    fn fits(&self, units: usize, row: &[(String, String)]) -> bool {
        self.units + units <= self.limits.text_units
            && (row.is_empty()
                || (self.buttons + row.len() <= self.limits.buttons
                    && self.keyboard_bytes + row_bytes(row) <= self.limits.keyboard_bytes))
    }

    fn flush(&mut self) {
        if !self.is_empty() {
            self.done
                .push(BriefMessage { text: std::mem::take(&mut self.text), buttons: std::mem::take(&mut self.rows) });
        }
        self.units = 0;
        self.buttons = 0;
        self.keyboard_bytes = KEYBOARD_OVERHEAD;
    }

    fn push_text(&mut self, s: &str) {
        self.text.push_str(s);
        self.units += utf16_len(s);
    }

    fn push_row(&mut self, row: Vec<(String, String)>) {
        if !row.is_empty() {
            self.buttons += row.len();
            self.keyboard_bytes += row_bytes(&row);
            self.rows.push(row);
        }
    }

    /// The buttons of a row that fit in an empty message; all of them unless the row is absurd.
    fn capped_row(&self, row: &[(String, String)]) -> Vec<(String, String)> {
        let mut bytes = KEYBOARD_OVERHEAD + ROW_OVERHEAD;
        let mut kept = Vec::new();
        for button in row.iter().take(self.limits.buttons) {
            bytes += button_bytes(button);
            if bytes > self.limits.keyboard_bytes {
                break;
            }
            kept.push(button.clone());
        }
        kept
    }

    /// Starts a section: its header with its first item, in this message if both fit.
    fn open(&mut self, header: &str, first: Option<&Item>) {
        let row = first.map(|i| self.capped_row(&i.buttons)).unwrap_or_default();
        let separator = if self.is_empty() { 0 } else { 2 };
        let joiner = usize::from(!header.is_empty() && first.is_some());
        let item_units = first.map_or(0, |i| utf16_len(&i.text));
        if !self.is_empty() && !self.fits(separator + utf16_len(header) + joiner + item_units, &row) {
            self.flush();
        }
        if !self.is_empty() {
            self.push_text("\n\n");
        }
        self.push_text(header);
        if let Some(item) = first {
            if !header.is_empty() {
                self.push_text("\n");
            }
            self.push_item(item, row);
        }
    }

    /// Adds an item to its open section, or carries the section on into a new message.
    fn place(&mut self, cont_header: &str, item: &Item) {
        let row = self.capped_row(&item.buttons);
        if self.is_empty() || !self.fits(1 + utf16_len(&item.text), &row) {
            self.flush();
            self.push_text(cont_header);
            if !cont_header.is_empty() {
                self.push_text("\n");
            }
        } else {
            self.push_text("\n");
        }
        self.push_item(item, row);
    }

    /// The item as it is, or cut to what is left of a message it starts (it is then alone there
    /// with its header, so it cannot fit anywhere else either).
    fn push_item(&mut self, item: &Item, row: Vec<(String, String)>) {
        let room = self.limits.text_units.saturating_sub(self.units);
        let text = fit(&item.text, room);
        self.push_text(&text);
        self.push_row(row);
    }

    fn finish(mut self) -> Vec<BriefMessage> {
        self.flush();
        self.done
    }
}

/// `{"inline_keyboard":[]}`
const KEYBOARD_OVERHEAD: usize = 22;
/// `[],`
const ROW_OVERHEAD: usize = 3;

/// `{"text":…,"callback_data":…},` as serde_json writes it (non-ASCII stays raw UTF-8).
fn button_bytes((label, data): &(String, String)) -> usize {
    29 + json_string_len(label) + json_string_len(data)
}

fn row_bytes(row: &[(String, String)]) -> usize {
    ROW_OVERHEAD + row.iter().map(button_bytes).sum::<usize>()
}

fn json_string_len(s: &str) -> usize {
    // Serializing a &str cannot fail; the fallback is the worst case of escaping anyway.
    serde_json::to_string(s).map_or(s.len() * 6 + 2, |j| j.len())
}

/// `s` if it is within `max` UTF-16 units; else its longest prefix that fits with "…" after it.
/// Cuts between chars, so a surrogate pair is never split.
fn fit(s: &str, max: usize) -> String {
    if utf16_len(s) <= max {
        return s.to_string();
    }
    if max == 0 {
        return String::new();
    }
    let budget = max - 1; // "…" is one unit
    let mut used = 0;
    let mut end = 0;
    for (i, c) in s.char_indices() {
        if used + c.len_utf16() > budget {
            break;
        }
        used += c.len_utf16();
        end = i + c.len_utf8();
    }
    format!("{}…", s[..end].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::I18n;
    use proptest::prelude::*;

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
            shipped: vec![],
            blocked: vec![],
            fleet: vec![],
            needs_more: 0,
        }
    }

    /// The seed's example (§7.3), with its inline buttons as a keyboard.
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
            shipped: vec!["destroy command (spawn-machine.sh)".into(), "fleet compliance dashboard live".into()],
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

    #[test]
    fn fit_counts_utf16_and_never_splits_a_pair() {
        assert_eq!(fit("abc", 3), "abc");
        assert_eq!(fit("abcd", 3), "ab…");
        assert_eq!(fit("🟢🟢", 3), "🟢…");
        assert_eq!(fit("🟢🟢", 2), "…");
        assert_eq!(fit("ab cd", 4), "ab…");
        assert_eq!(fit("abc", 0), "");
        // ☀ U+2600, its emoji selector U+FE0F, a space, and 🟢 as a surrogate pair.
        assert_eq!(utf16_len("☀️ 🟢"), 5);
    }

    #[test]
    fn absurd_limits_and_rows_do_not_panic() {
        let sections = vec![Section {
            header: "H".repeat(100),
            cont_header: "C".repeat(100),
            items: vec![
                Item { text: "i".repeat(100), buttons: (0..500).map(|i| button("b", &i.to_string())).collect() },
                Item { text: String::new(), buttons: vec![] },
            ],
        }];
        for limits in [
            Limits { text_units: 0, buttons: 0, keyboard_bytes: 0 },
            Limits { text_units: 20, buttons: 3, keyboard_bytes: 120 },
            TELEGRAM,
        ] {
            let messages = split(&sections, limits);
            assert!(!messages.is_empty());
            for m in &messages {
                assert!(utf16_len(&m.text) <= limits.text_units.max(MIN_TEXT_UNITS));
                assert!(m.buttons.iter().map(Vec::len).sum::<usize>() <= limits.buttons);
            }
        }
    }

    /// Sections of tagged items: `  <s.i> words`, with 0–3 buttons tagged `s.i.k`.
    fn arb_sections() -> impl Strategy<Value = Vec<Section>> {
        let item = (proptest::string::string_regex("[a-zA-Z0-9 é🟢☀️]{0,100}").expect("regex"), 0usize..4);
        let section = (proptest::bool::ANY, proptest::collection::vec(item, 0..30));
        proptest::collection::vec(section, 1..6).prop_map(|sections| {
            sections
                .into_iter()
                .enumerate()
                .map(|(s, (has_header, items))| Section {
                    header: if has_header { format!("H{s}:") } else { String::new() },
                    cont_header: if has_header { format!("H{s} (cont.):") } else { String::new() },
                    items: items
                        .into_iter()
                        .enumerate()
                        .map(|(i, (words, n))| Item {
                            text: format!("  <{s}.{i}> {words}"),
                            buttons: (0..n).map(|k| (format!("{i}.{k}"), format!("{s}.{i}.{k}"))).collect(),
                        })
                        .collect(),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn splitting_keeps_every_item_whole_and_in_order(
            sections in arb_sections(),
            text_units in 300usize..3000,
            buttons in 3usize..40,
        ) {
            // 300 units hold any header with any generated item, so nothing is ever cut here.
            let limits = Limits { text_units, buttons, keyboard_bytes: 100_000 };
            let messages = split(&sections, limits);

            let expected_items: Vec<&str> = sections.iter().flat_map(|s| s.items.iter().map(|i| i.text.as_str())).collect();
            let expected_rows: Vec<&Vec<(String, String)>> =
                sections.iter().flat_map(|s| s.items.iter().map(|i| &i.buttons)).filter(|b| !b.is_empty()).collect();

            let mut items = Vec::new();
            let mut rows = Vec::new();
            for m in &messages {
                prop_assert!(utf16_len(&m.text) <= text_units);
                prop_assert!(m.buttons.iter().map(Vec::len).sum::<usize>() <= buttons);
                let here: Vec<&str> = m.text.lines().filter(|l| l.starts_with("  <")).collect();
                // A row belongs to an item of this message.
                for row in &m.buttons {
                    let tag = row[0].1.rsplit_once('.').map(|(t, _)| format!("  <{t}> ")).unwrap_or_default();
                    prop_assert!(here.iter().any(|l| l.starts_with(&tag)), "row {:?} away from its item", row);
                }
                items.extend(here);
                rows.extend(m.buttons.iter());
            }
            prop_assert_eq!(items, expected_items);
            prop_assert_eq!(rows, expected_rows);

            // Headers: each once, and a continued section is announced as such.
            for (s, section) in sections.iter().enumerate() {
                if section.header.is_empty() || section.items.is_empty() {
                    continue;
                }
                let header = format!("H{s}:");
                let count = messages.iter().flat_map(|m| m.text.lines()).filter(|l| *l == header).count();
                prop_assert_eq!(count, 1);
            }
            // A message that opens on an item belongs to a section without a header.
            for m in messages.iter().skip(1) {
                let first = m.text.lines().next().unwrap_or_default();
                if let Some(tag) = first.strip_prefix("  <") {
                    let s: usize = tag.split('.').next().and_then(|s| s.parse().ok()).unwrap_or(usize::MAX);
                    prop_assert!(sections.get(s).is_some_and(|sec| sec.header.is_empty()),
                        "a continued section without its header: {:?}", first);
                }
            }
        }

        #[test]
        fn splitting_never_exceeds_the_limits(
            sections in arb_sections(),
            text_units in 0usize..400,
            buttons in 0usize..10,
            keyboard_bytes in 0usize..600,
        ) {
            let limits = Limits { text_units, buttons, keyboard_bytes };
            for m in split(&sections, limits) {
                prop_assert!(utf16_len(&m.text) <= text_units.max(MIN_TEXT_UNITS));
                prop_assert!(m.buttons.iter().map(Vec::len).sum::<usize>() <= buttons);
                prop_assert!(KEYBOARD_OVERHEAD + m.buttons.iter().map(|r| row_bytes(r)).sum::<usize>() <= keyboard_bytes.max(KEYBOARD_OVERHEAD));
                prop_assert!(m.buttons.iter().all(|r| !r.is_empty()));
            }
        }
    }
}
