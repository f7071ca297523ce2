//! What anyone gets for a `/command` we do not have: the closest one they may use, instead of the
//! text being taken as an answer to a step ("/leeds" was "not an email address").

use super::{master::MasterCommand, ClientCommand, Ctx, HandlerResult};
use crate::app::App;
use std::sync::Arc;
use teloxide::prelude::*;
use teloxide::utils::command::BotCommands;

/// For the routing table: a message that is a `/command` neither list has.
pub fn unknown_command(msg: Message) -> Option<UnknownCommand> {
    let text = msg.text()?.trim();
    let word = text.split_whitespace().next()?.strip_prefix('/')?;
    let name = word.split('@').next()?.to_lowercase();
    let well_formed =
        !name.is_empty() && name.len() <= 32 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    well_formed.then_some(UnknownCommand(name))
}

#[derive(Debug, Clone)]
pub struct UnknownCommand(pub String);

pub async fn on_unknown_command(bot: Bot, app: Arc<App>, msg: Message, cmd: UnknownCommand) -> HandlerResult {
    let ctx = Ctx::from_message(&app, &bot, &msg);
    let mut known = ClientCommand::bot_commands();
    if app.config.is_master(ctx.user_id) {
        known.extend(MasterCommand::bot_commands());
    }
    let known: Vec<String> = known.into_iter().map(|c| format!("/{}", c.command.trim_start_matches('/'))).collect();
    let typed = format!("/{}", cmd.0);
    let closest = known.iter().map(|k| (distance(&typed, k), k)).filter(|(d, _)| *d <= 2).min_by_key(|(d, _)| *d);
    let text = match closest {
        Some((_, k)) => {
            ctx.t_args("unknown-command-closest", &[("typed", typed.as_str().into()), ("known", k.as_str().into())])
        }
        None => ctx.t_args("unknown-command", &[("typed", typed.as_str().into())]),
    };
    ctx.say(text).await?;
    Ok(())
}

/// Edits from `a` to `b` (insert, delete, substitute, or swap two neighbours: `/stauts` is one
/// swap from `/status`).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::distance;

    #[test]
    fn edit_distance() {
        assert_eq!(distance("/leeds", "/leads"), 1);
        assert_eq!(distance("/stat", "/status"), 2);
        assert_eq!(distance("/stauts", "/status"), 1);
        assert_eq!(distance("/stauts", "/start"), 2);
        assert_eq!(distance("/flet", "/fleet"), 1);
        assert_eq!(distance("", "/x"), 2);
        assert_eq!(distance("/abc", "/abc"), 0);
    }
}
