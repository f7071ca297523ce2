//! Where the console writes: plain stdout (scripts, pipes), or rustyline's external printer while a
//! prompt is on screen, so that a reply arriving while the person types does not garble their line.
//! Colours are ANSI codes, used only when stdout is a terminal and `NO_COLOR` is unset.

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// ANSI styles the console uses, by meaning rather than by colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A header line: who said what to whom.
    Header,
    /// Button numbers.
    Button,
    /// Edits of earlier messages.
    Edit,
    /// Tap answers (toasts) and deletions.
    Note,
    /// Mail the log mailer did not send.
    Mail,
    /// Warnings from the bot's log.
    Warn,
    /// A failed command or expectation.
    Error,
    /// A passed expectation, a successful command.
    Ok,
    /// Secondary detail.
    Dim,
    /// A button's label in the colour the bot gave it (`style` "success", "danger").
    Green,
    Red,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Header => "1;36",
            Style::Button => "1;33",
            Style::Edit => "35",
            Style::Note => "34",
            Style::Mail => "1;32",
            Style::Warn => "33",
            Style::Error => "1;31",
            Style::Ok => "32",
            Style::Dim => "2",
            Style::Green => "1;42;30",
            Style::Red => "1;41;37",
        }
    }
}

enum Sink {
    Stdout,
    Printer(Box<dyn rustyline::ExternalPrinter + Send>),
}

pub struct Output {
    sink: Mutex<Sink>,
    colour: bool,
    /// Set while stopping, so the bot's shutdown noise is not shown.
    muted: AtomicBool,
}

impl Output {
    /// Colours when stdout is a terminal and `NO_COLOR` is not set (<https://no-color.org>).
    pub fn new() -> Output {
        let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Output { sink: Mutex::new(Sink::Stdout), colour, muted: AtomicBool::new(false) }
    }

    /// From now on, lines go through the line editor's printer (which redraws the prompt after them).
    pub fn use_printer(&self, printer: Box<dyn rustyline::ExternalPrinter + Send>) {
        *self.sink.lock().unwrap_or_else(|e| e.into_inner()) = Sink::Printer(printer);
    }

    /// Back to plain stdout (the editor is gone).
    pub fn use_stdout(&self) {
        *self.sink.lock().unwrap_or_else(|e| e.into_inner()) = Sink::Stdout;
    }

    pub fn mute(&self) {
        self.muted.store(true, Ordering::SeqCst);
    }

    /// `text` in `style` (unchanged without colours).
    pub fn paint(&self, style: Style, text: &str) -> String {
        if self.colour && !text.is_empty() {
            format!("\x1b[{}m{text}\x1b[0m", style.code())
        } else {
            text.to_string()
        }
    }

    /// Writes `text` and a newline, as one piece so that concurrent writers never interleave.
    pub fn line(&self, text: &str) {
        if self.muted.load(Ordering::SeqCst) {
            return;
        }
        let mut sink = self.sink.lock().unwrap_or_else(|e| e.into_inner());
        match &mut *sink {
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(out, "{text}");
                let _ = out.flush();
            }
            Sink::Printer(p) => {
                let _ = p.print(format!("{text}\n"));
            }
        }
    }

    pub fn styled(&self, style: Style, text: &str) {
        self.line(&self.paint(style, text));
    }
}

impl Default for Output {
    fn default() -> Self {
        Output::new()
    }
}
