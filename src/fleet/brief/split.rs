//! Cutting a text of sections into Telegram messages, for the morning brief and anything as long.
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

use crate::services::telegram::{fit, utf16_len};

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
pub(super) const KEYBOARD_OVERHEAD: usize = 22;
/// `[],`
const ROW_OVERHEAD: usize = 3;

/// `{"text":…,"callback_data":…},` as serde_json writes it (non-ASCII stays raw UTF-8).
fn button_bytes((label, data): &(String, String)) -> usize {
    29 + json_string_len(label) + json_string_len(data)
}

pub(super) fn row_bytes(row: &[(String, String)]) -> usize {
    ROW_OVERHEAD + row.iter().map(button_bytes).sum::<usize>()
}

fn json_string_len(s: &str) -> usize {
    // Serializing a &str cannot fail; the fallback is the worst case of escaping anyway.
    serde_json::to_string(s).map_or(s.len() * 6 + 2, |j| j.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn button(label: &str, data: &str) -> (String, String) {
        (label.into(), data.into())
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
