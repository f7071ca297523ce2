//! The interactive console: rustyline for line editing and history. Replies arrive while the
//! person types; they are written through rustyline's external printer, which redraws the prompt
//! and the half-typed line after them.

use super::output::{Output, Style};
use super::session::{Flow, Session};
use rustyline::error::ReadlineError;
use std::sync::Arc;
use tokio::runtime::Runtime;

pub fn run(rt: &Runtime, session: &Session, out: &Arc<Output>) {
    let config = rustyline::Config::builder().auto_add_history(true).max_history_size(1000).map(|b| b.build());
    let editor = config.and_then(rustyline::DefaultEditor::with_config);
    let mut editor = match editor {
        Ok(editor) => editor,
        Err(e) => {
            out.styled(Style::Error, &format!("no line editor: {e}"));
            return;
        }
    };
    if let Ok(printer) = editor.create_external_printer() {
        out.use_printer(Box::new(printer));
    }
    loop {
        match editor.readline(&session.prompt()) {
            Ok(line) => match rt.block_on(session.execute(&line)) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Quit) => break,
                Err(why) => out.styled(Style::Error, &format!("✗ {why}")),
            },
            Err(ReadlineError::Interrupted) => out.styled(Style::Dim, "(:quit or Ctrl-D leaves)"),
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                out.styled(Style::Error, &format!("reading the terminal failed: {e}"));
                break;
            }
        }
    }
    out.use_stdout();
}
