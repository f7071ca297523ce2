//! The weekly funnel as a picture for the chat (the Friday review and the Monday digest carry it):
//! per week, seven bars — one per stage of `fleet::funnel`, in the colours of the emoji squares the
//! caption names them with — under the week's date. The picture has no text but the dates (a tiny
//! built-in digit font, so no font file or font backend); the numbers are in the caption.
//!
//! The outbox item only says "the funnel for week W" ([`crate::store::Outgoing::FunnelChart`]);
//! the picture and its caption are drawn when it is sent, so a restart loses and doubles nothing.

use super::funnel::{self, Week, STAGES};
use crate::app::App;
use chrono::{Duration, NaiveDate, NaiveTime};

/// Weeks in the picture: two months.
pub const WEEKS: usize = 8;
const W: usize = 640;
const H: usize = 360;
const MARGIN: usize = 20;
/// Room under the bars for the dates.
const FOOT: usize = 28;

/// The stages' colours, matching the caption's squares.
const COLOURS: [[u8; 3]; 7] =
    [[142, 142, 147], [0, 122, 255], [52, 199, 89], [255, 204, 0], [175, 82, 222], [255, 149, 0], [255, 59, 48]];
const SQUARES: [&str; 7] = ["⬜", "🟦", "🟩", "🟨", "🟪", "🟧", "🟥"];
const BACKGROUND: [u8; 3] = [255, 255, 255];
const INK: [u8; 3] = [112, 117, 121];

struct Canvas {
    pixels: Vec<u8>,
}

impl Canvas {
    fn new() -> Canvas {
        Canvas { pixels: BACKGROUND.repeat(W * H) }
    }

    fn rect(&mut self, x: usize, y: usize, w: usize, h: usize, colour: [u8; 3]) {
        for row in y.min(H)..(y + h).min(H) {
            for col in x.min(W)..(x + w).min(W) {
                let i = (row * W + col) * 3;
                self.pixels[i..i + 3].copy_from_slice(&colour);
            }
        }
    }

    /// Digits and `-` in a 3×5 font, each pixel `scale` wide.
    fn text(&mut self, x: usize, y: usize, s: &str, scale: usize) {
        for (n, c) in s.chars().enumerate() {
            let Some(glyph) = glyph(c) else { continue };
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..3 {
                    if bits & (0b100 >> col) != 0 {
                        self.rect(x + (n * 4 + col) * scale, y + row * scale, scale, scale, INK);
                    }
                }
            }
        }
    }

    fn png(self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, W as u32, H as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        // Writing to a Vec fails only on a programming error (wrong size), which the tests catch.
        match encoder.write_header().and_then(|mut w| w.write_image_data(&self.pixels)) {
            Ok(()) => out,
            Err(e) => {
                tracing::error!(error = %e, "the funnel picture could not be encoded");
                Vec::new()
            }
        }
    }
}

fn glyph(c: char) -> Option<[u8; 5]> {
    Some(match c {
        '0' => [0b111, 0b101, 0b101, 0b101, 0b111],
        '1' => [0b010, 0b110, 0b010, 0b010, 0b111],
        '2' => [0b111, 0b001, 0b111, 0b100, 0b111],
        '3' => [0b111, 0b001, 0b111, 0b001, 0b111],
        '4' => [0b101, 0b101, 0b111, 0b001, 0b001],
        '5' => [0b111, 0b100, 0b111, 0b001, 0b111],
        '6' => [0b111, 0b100, 0b111, 0b101, 0b111],
        '7' => [0b111, 0b001, 0b010, 0b010, 0b010],
        '8' => [0b111, 0b101, 0b111, 0b101, 0b111],
        '9' => [0b111, 0b101, 0b111, 0b001, 0b111],
        '-' => [0b000, 0b000, 0b111, 0b000, 0b000],
        _ => return None,
    })
}

/// The picture of `weeks` (oldest first), as PNG bytes.
pub fn draw(weeks: &[Week]) -> Vec<u8> {
    let mut canvas = Canvas::new();
    let max = weeks.iter().map(|w| w.counts.iter().copied().max().unwrap_or(0)).max().unwrap_or(0).max(1) as usize;
    let plot_h = H - 2 * MARGIN - FOOT;
    let base = MARGIN + plot_h;
    let group = (W - 2 * MARGIN) / weeks.len().max(1);
    let bar = (group.saturating_sub(8) / STAGES.len()).max(1);
    for (i, week) in weeks.iter().enumerate() {
        let x0 = MARGIN + i * group + 4;
        for (s, count) in week.counts.iter().enumerate() {
            let h = (*count as usize * plot_h).div_ceil(max);
            canvas.rect(x0 + s * bar, base - h, bar.saturating_sub(1).max(1), h, COLOURS[s]);
        }
        canvas.text(x0, base + 8, &week.week.format("%m-%d").to_string(), 2);
    }
    canvas.rect(MARGIN, base, W - 2 * MARGIN, 1, INK);
    canvas.png()
}

/// The caption: the week and each stage's count with its colour, in the masters' language.
pub fn caption(app: &App, week: &Week) -> String {
    let tr = app.master_tr();
    let counts: Vec<String> = STAGES
        .iter()
        .enumerate()
        .map(|(i, s)| format!("{} {} {}", SQUARES[i], tr.t(s.key()), week.counts[i]))
        .collect();
    let title = tr.t_args("funnel-caption", &[("week", week.week.to_string().as_str().into())]);
    format!("{title}\n{}", counts.join("\n"))
}

/// The picture and caption for the funnel up to the week that began on `week` (a Monday), as the
/// store says now.
pub fn funnel_for(app: &App, week: NaiveDate) -> anyhow::Result<(Vec<u8>, String)> {
    // Counted at the end of that week, so a late delivery shows the same weeks.
    let end = (week + Duration::days(6)).and_time(NaiveTime::MIN).and_utc();
    let weeks = funnel::weekly(app, end, WEEKS)?;
    let this = weeks.last().cloned().unwrap_or(Week { week, counts: [0; 7] });
    let png = draw(&weeks);
    anyhow::ensure!(!png.is_empty(), "the funnel picture could not be drawn");
    Ok((png, caption(app, &this)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::domain::ContactState;
    use crate::fleet::testing::Fixture;

    #[test]
    fn the_picture_is_a_png_of_the_right_size_with_a_bar_per_count() {
        let week = |d: u32, counts| Week { week: NaiveDate::from_ymd_opt(2026, 11, d).unwrap(), counts };
        let png = draw(&[week(16, [0; 7]), week(23, [4, 3, 2, 1, 1, 1, 0])]);
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut pixels).unwrap();
        assert_eq!((info.width, info.height), (W as u32, H as u32));
        // The "started" bar of the second week reaches the top of the plot; the empty week has none.
        let at = |x: usize, y: usize| -> [u8; 3] { pixels[(y * W + x) * 3..(y * W + x) * 3 + 3].try_into().unwrap() };
        let group = (W - 2 * MARGIN) / 2;
        assert_eq!(at(MARGIN + group + 4 + 1, MARGIN + 1), COLOURS[0]);
        assert_eq!(at(MARGIN + 4 + 1, MARGIN + 1), BACKGROUND);
    }

    #[tokio::test]
    async fn the_caption_counts_the_week_in_words() {
        let f = Fixture::new().await;
        f.contact("a@acme.io", ContactState::PendingReview);
        let (png, caption) = funnel_for(&f.app, funnel::monday(f.clock.now())).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
        assert!(caption.starts_with("📊 Onboarding funnel, week of 2026-11-23"), "{caption}");
        assert!(
            caption.contains("⬜ started 1") && caption.contains("🟧 confirmed 1") && caption.contains("🟥 live 0"),
            "{caption}"
        );
    }
}
