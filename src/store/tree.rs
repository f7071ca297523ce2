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
    /// Agent name → its roll-call entry (`super::roll`): what `/fleet` and the brief read.
    Roll,
    /// `<decided at><contact id>` → nothing: decisions by time (the brief's "shipped yesterday").
    Decided,
}

impl Tree {
    pub const ALL: [Tree; 25] = [
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
        Tree::Roll,
        Tree::Decided,
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
            Tree::Roll => "roll",
            Tree::Decided => "decided",
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

/// A set of trees: those one change reads or writes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Trees(u32);

impl Trees {
    pub fn with(self, tree: Tree) -> Trees {
        Trees(self.0 | 1 << tree.index())
    }

    pub fn and(self, trees: &[Tree]) -> Trees {
        trees.iter().fold(self, |set, t| set.with(*t))
    }

    /// In [`Tree::ALL`]'s order.
    pub fn iter(self) -> impl Iterator<Item = Tree> {
        Tree::ALL.into_iter().filter(move |t| self.0 & 1 << t.index() != 0)
    }
}

/// The trees inside a transaction, by name. A transaction spans only the trees its change
/// touches: sled's cost per transaction grows with the number of trees in it (an overlay, a
/// validation and a commit pass each), and a step touches 4 to 8 of the 23.
pub(super) struct Tx<'a> {
    trees: &'a [TransactionalTree],
    /// Tree index → its place in `trees`, or `u8::MAX` when the transaction does not span it.
    at: [u8; Tree::ALL.len()],
}

impl<'a> Tx<'a> {
    pub fn new(spanned: Trees, trees: &'a [TransactionalTree]) -> Tx<'a> {
        let mut at = [u8::MAX; Tree::ALL.len()];
        for (i, tree) in spanned.iter().enumerate() {
            at[tree.index()] = i as u8;
        }
        Tx { trees, at }
    }
}

impl std::ops::Index<Tree> for Tx<'_> {
    type Output = TransactionalTree;

    fn index(&self, tree: Tree) -> &TransactionalTree {
        match self.at[tree.index()] {
            u8::MAX => panic!("a change used the tree {tree:?} without naming it in store::change::spans"),
            i => &self.trees[i as usize],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_of_trees_iterates_in_order() {
        let set = Trees::default().with(Tree::Line).and(&[Tree::Contacts, Tree::Meta, Tree::Contacts]);
        assert_eq!(set.iter().collect::<Vec<_>>(), vec![Tree::Contacts, Tree::Meta, Tree::Line]);
    }

    #[test]
    fn all_is_in_declaration_order_with_unique_names() {
        for (i, tree) in Tree::ALL.iter().enumerate() {
            assert_eq!(tree.index(), i, "{tree:?}");
            assert_eq!(Tree::named(tree.name()), Some(*tree));
        }
        assert_eq!(Tree::named("nope"), None);
    }
}
