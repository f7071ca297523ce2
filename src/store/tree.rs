//! The sled trees, by name. A tree's name is its name on disk and in `export` files: never rename
//! one; add a new tree at the end of [`Tree::ALL`].

use sled::transaction::TransactionalTree;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tree {
    /// Contact id → `Contact`.
    Contacts,
    /// Email → contact id (the contact that verified it last).
    ContactsByEmail,
    /// Telegram user id → contact id.
    ContactsByUser,
    /// Agent name → the contact whose open request claims it.
    Names,
    /// Bot id → who registered it ([`super::Claimant`]).
    Bots,
    /// Contact id → its one-time code's record.
    Otps,
    /// Time and sequence → `AuditEntry`.
    Audit,
    /// Chat id → its conversation `State`.
    Dialogues,
    /// Sequence → `OutboxItem`.
    Outbox,
    /// `kind:user:day` → count (daily limits).
    Limits,
    /// Agent name → `Agent`.
    Agents,
    /// Job id → `Job`.
    Jobs,
    /// Request (contact) id → `Decision`.
    Decisions,
    /// Subject id → the notices sent about it: (chat, message id, text).
    Notices,
    /// Hash of an agent's API token → agent name.
    AgentTokens,
    /// Id → `Escalation`.
    Escalations,
    /// Id → `ActionRequest`.
    Actions,
    /// Scheduler markers: slot → what was done.
    Sched,
    /// `<state>\0<contact id>` → nothing: contacts by state, oldest first.
    ContactsByState,
    /// `<bot id><update id>` → nothing: Telegram updates already handled (the latest 10,000).
    Updates,
    /// Facts about the store itself, e.g. `key_check`: which secret key its sealed values need.
    Meta,
    /// `<chat><message id>` → the subject a notice is about, for a master's Reply to it.
    NoticesByMessage,
    /// `<contact id><sequence>` → `LineEntry`: the two-way line between a client and the masters.
    Line,
}

impl Tree {
    pub const ALL: [Tree; 23] = [
        Tree::Contacts,
        Tree::ContactsByEmail,
        Tree::ContactsByUser,
        Tree::Names,
        Tree::Bots,
        Tree::Otps,
        Tree::Audit,
        Tree::Dialogues,
        Tree::Outbox,
        Tree::Limits,
        Tree::Agents,
        Tree::Jobs,
        Tree::Decisions,
        Tree::Notices,
        Tree::AgentTokens,
        Tree::Escalations,
        Tree::Actions,
        Tree::Sched,
        Tree::ContactsByState,
        Tree::Updates,
        Tree::Meta,
        Tree::NoticesByMessage,
        Tree::Line,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Tree::Contacts => "contacts",
            Tree::ContactsByEmail => "contacts_by_email",
            Tree::ContactsByUser => "contacts_by_user",
            Tree::Names => "names",
            Tree::Bots => "bots",
            Tree::Otps => "otps",
            Tree::Audit => "audit",
            Tree::Dialogues => "dialogues",
            Tree::Outbox => "outbox",
            Tree::Limits => "limits",
            Tree::Agents => "agents",
            Tree::Jobs => "jobs",
            Tree::Decisions => "decisions",
            Tree::Notices => "notices",
            Tree::AgentTokens => "agent_tokens",
            Tree::Escalations => "escalations",
            Tree::Actions => "actions",
            Tree::Sched => "sched",
            Tree::ContactsByState => "contacts_by_state",
            Tree::Updates => "updates",
            Tree::Meta => "meta",
            Tree::NoticesByMessage => "notices_by_message",
            Tree::Line => "line",
        }
    }

    pub fn named(name: &str) -> Option<Tree> {
        Tree::ALL.into_iter().find(|t| t.name() == name)
    }

    /// Its place in [`Tree::ALL`], which is the order the store opens the trees in.
    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// The trees inside a transaction, by name.
pub(super) struct Tx<'a>(pub &'a [TransactionalTree]);

impl std::ops::Index<Tree> for Tx<'_> {
    type Output = TransactionalTree;

    fn index(&self, tree: Tree) -> &TransactionalTree {
        &self.0[tree.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_is_in_declaration_order_with_unique_names() {
        for (i, tree) in Tree::ALL.iter().enumerate() {
            assert_eq!(tree.index(), i, "{tree:?}");
            assert_eq!(Tree::named(tree.name()), Some(*tree));
        }
        assert_eq!(Tree::named("nope"), None);
    }
}
