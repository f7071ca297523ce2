//! The people the console's user plays: one master (whose id is in `M2O_MASTER_IDS`) and any number
//! of clients, each a Telegram user with a stable, Telegram-like id and a `language_code`, so a
//! `--data-dir` reused across runs finds the same people again.

use std::collections::BTreeMap;
use tg_emulator::{Emulator, TestUser};

/// The master's Telegram user id.
pub const MASTER_ID: i64 = 7_000_000_001;
/// Client N has id `CLIENT_BASE + N`.
pub const CLIENT_BASE: i64 = 5_000_000_000;

const NAMES: [&str; 12] =
    ["Anna", "Bartek", "Chloe", "Dawid", "Eva", "Filip", "Greta", "Hugo", "Iga", "Jan", "Kasia", "Leo"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Master,
    Client(u32),
}

pub struct People {
    master: TestUser,
    clients: BTreeMap<u32, TestUser>,
    current: Role,
}

impl People {
    /// The master (who pressed Start in the control bot, as a real master would have) and client 1.
    pub fn new(emu: &Emulator, control_token: &str) -> People {
        let master = emu.add_user(MASTER_ID, "Master", Some("master"), Some("en"));
        emu.press_start(control_token, MASTER_ID);
        let mut people = People { master, clients: BTreeMap::new(), current: Role::Client(1) };
        people.client(emu, 1, None);
        people
    }

    /// Client `n`, created on first use; `lang` (e.g. `pl`) sets their Telegram language.
    pub fn client(&mut self, emu: &Emulator, n: u32, lang: Option<&str>) -> TestUser {
        let existing = self.clients.get(&n).cloned();
        let lang = lang.map(str::to_string).or_else(|| existing.as_ref().and_then(|u| u.language_code.clone()));
        let lang = lang.unwrap_or_else(|| "en".into());
        if let Some(user) = existing.filter(|u| u.language_code.as_deref() == Some(lang.as_str())) {
            return user;
        }
        let name = NAMES[(n as usize).saturating_sub(1) % NAMES.len()];
        let username = format!("{}_{n}", name.to_lowercase());
        let user = emu.add_user(CLIENT_BASE + i64::from(n), name, Some(&username), Some(&lang));
        self.clients.insert(n, user.clone());
        user
    }

    pub fn switch(&mut self, role: Role) {
        self.current = role;
    }

    pub fn current_role(&self) -> Role {
        self.current
    }

    pub fn current(&self) -> TestUser {
        self.user(self.current).unwrap_or_else(|| self.master.clone())
    }

    pub fn user(&self, role: Role) -> Option<TestUser> {
        match role {
            Role::Master => Some(self.master.clone()),
            Role::Client(n) => self.clients.get(&n).cloned(),
        }
    }

    pub fn role_of(&self, user_id: i64) -> Option<Role> {
        if user_id == MASTER_ID {
            return Some(Role::Master);
        }
        u32::try_from(user_id - CLIENT_BASE).ok().filter(|n| self.clients.contains_key(n)).map(Role::Client)
    }

    /// Everyone, master first.
    pub fn all(&self) -> Vec<(Role, TestUser)> {
        let mut all = vec![(Role::Master, self.master.clone())];
        all.extend(self.clients.iter().map(|(n, u)| (Role::Client(*n), u.clone())));
        all
    }

    /// "Anna (client 1)" or "master", for headers.
    pub fn label(&self, user_id: i64) -> String {
        match self.role_of(user_id) {
            Some(Role::Master) => "master".into(),
            Some(role @ Role::Client(n)) => {
                let name = self.user(role).map(|u| u.first_name).unwrap_or_default();
                format!("{name} (client {n})")
            }
            None => format!("user {user_id}"),
        }
    }

    /// The prompt: `client 1 Anna [en] › `.
    pub fn prompt(&self) -> String {
        match self.current {
            Role::Master => "master › ".into(),
            Role::Client(n) => {
                let user = self.current();
                format!("client {n} {} [{}] › ", user.first_name, user.language_code.unwrap_or_default())
            }
        }
    }
}
