//! teloxide's dialogue `Storage` over the store's `dialogues` tree, so a conversation survives a
//! restart at any step. teloxide only reads through it (`enter_dialogue`); our handlers move a
//! chat's state inside their `Change`s, so its writes (one key each) serve other callers. Values
//! are `{"v": VERSION, "state": …}` JSON; bytes that no longer decode (an older or newer `State`)
//! read as "no dialogue" with a warning, and the client starts the step over instead of being
//! stranded: teloxide would otherwise drop every update from that chat.

use super::Store;
use futures::future::BoxFuture;
use serde::{de::DeserializeOwned, Serialize};
use std::marker::PhantomData;
use std::sync::Arc;
use teloxide::dispatching::dialogue::Storage;
use teloxide::types::ChatId;

/// Bump when the dialogue state type changes incompatibly.
pub const VERSION: u32 = 1;

pub struct SledStorage<D> {
    store: Store,
    _state: PhantomData<fn() -> D>,
}

impl<D> SledStorage<D> {
    pub fn new(store: Store) -> Arc<Self> {
        Arc::new(SledStorage { store, _state: PhantomData })
    }
}

pub(crate) fn encode_value(state: &serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({ "v": VERSION, "state": state })).expect("JSON values serialise")
}

/// The JSON a state is stored as, for `Change::dialogue`.
pub fn to_value<D: Serialize>(state: &D) -> serde_json::Value {
    serde_json::to_value(state).expect("dialogue states serialise")
}

fn decode<D: DeserializeOwned>(chat: i64, bytes: &[u8]) -> Option<D> {
    #[derive(serde::Deserialize)]
    struct Stored<D> {
        v: u32,
        state: D,
    }
    match serde_json::from_slice::<Stored<D>>(bytes) {
        Ok(s) if s.v == VERSION => Some(s.state),
        Ok(s) => {
            tracing::warn!(chat, version = s.v, "dialogue state of another version: starting the chat over");
            None
        }
        Err(e) => {
            tracing::warn!(chat, error = %e, "unreadable dialogue state: starting the chat over");
            None
        }
    }
}

impl Store {
    /// The chat's conversation state, if it has one that reads as `D`.
    pub fn dialogue<D: DeserializeOwned>(&self, chat: i64) -> super::Result<Option<D>> {
        Ok(self.tree(super::Tree::Dialogues).get(chat.to_be_bytes())?.and_then(|b| decode(chat, &b)))
    }
}

impl<D> Storage<D> for SledStorage<D>
where
    D: Serialize + DeserializeOwned + Send + 'static,
{
    type Error = super::StoreError;

    fn remove_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let _writing = self.store.writing();
            self.store.tree(super::Tree::Dialogues).remove(chat_id.0.to_be_bytes())?;
            Ok(())
        })
    }

    fn update_dialogue(self: Arc<Self>, chat_id: ChatId, dialogue: D) -> BoxFuture<'static, Result<(), Self::Error>> {
        Box::pin(async move {
            let bytes = encode_value(&to_value(&dialogue));
            let _writing = self.store.writing();
            self.store.tree(super::Tree::Dialogues).insert(chat_id.0.to_be_bytes(), bytes)?;
            Ok(())
        })
    }

    fn get_dialogue(self: Arc<Self>, chat_id: ChatId) -> BoxFuture<'static, Result<Option<D>, Self::Error>> {
        Box::pin(async move {
            let bytes = self.store.tree(super::Tree::Dialogues).get(chat_id.0.to_be_bytes())?;
            Ok(bytes.and_then(|b| decode(chat_id.0, &b)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    enum S {
        A,
        B { n: u32 },
    }

    #[tokio::test]
    async fn round_trip_survives_reopen_and_bad_bytes_read_as_none() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            let s = SledStorage::<S>::new(store.clone());
            s.clone().update_dialogue(ChatId(5), S::B { n: 3 }).await.unwrap();
            s.clone().update_dialogue(ChatId(6), S::A).await.unwrap();
            s.clone().remove_dialogue(ChatId(6)).await.unwrap();
            store.load_raw("dialogues", &7i64.to_be_bytes(), b"{\"v\":1,\"state\":\"Gone\"}").unwrap();
            store.load_raw("dialogues", &8i64.to_be_bytes(), b"{\"v\":99,\"state\":\"A\"}").unwrap();
            store.flush().await.unwrap();
        }
        // sled's flusher thread lets go of the file lock a moment after the last handle is dropped.
        let mut reopened = Store::open(dir.path());
        for _ in 0..100 {
            if reopened.is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            reopened = Store::open(dir.path());
        }
        let s = SledStorage::<S>::new(reopened.unwrap());
        assert_eq!(s.clone().get_dialogue(ChatId(5)).await.unwrap(), Some(S::B { n: 3 }));
        assert_eq!(s.clone().get_dialogue(ChatId(6)).await.unwrap(), None);
        assert_eq!(s.clone().get_dialogue(ChatId(7)).await.unwrap(), None);
        assert_eq!(s.clone().get_dialogue(ChatId(8)).await.unwrap(), None);
    }
}
