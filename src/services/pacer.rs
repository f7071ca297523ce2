//! Pacing of sends under Telegram's flood limits: at most 30 messages a second from the bot and
//! one a second to any one chat. Each send reserves the next free slot — after the bot's last slot
//! and that chat's — and sleeps until it, so slots go out in the order sends ask and a broadcast
//! never meets a 429. (teloxide's `Throttle` paced us before; it paces only teloxide's own request
//! types, and ours carry button styles.) Edits are not paced: Telegram does not count them alike.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;
use tokio::time::Instant;

pub struct Pacer {
    /// Between two sends of the bot.
    every: Duration,
    /// Between two sends to one chat.
    per_chat: Duration,
    slots: Mutex<Slots>,
}

struct Slots {
    next: Instant,
    chats: HashMap<i64, Instant>,
    /// When chats whose next slot has passed were last dropped (once a second, so a broadcast to
    /// thousands of chats neither grows the map forever nor scans it on every send).
    pruned: Instant,
}

impl Pacer {
    pub fn new(every: Duration, per_chat: Duration) -> Pacer {
        let now = Instant::now();
        Pacer { every, per_chat, slots: Mutex::new(Slots { next: now, chats: HashMap::new(), pruned: now }) }
    }

    /// Telegram's published limits, with a little room: 30 a second overall, 1 a second per chat.
    pub fn telegram() -> Pacer {
        Pacer::new(Duration::from_millis(1000 / 30 + 1), Duration::from_millis(1010))
    }

    /// Waits for this chat's next slot.
    pub async fn wait(&self, chat: i64) {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            let now = Instant::now();
            if now.duration_since(slots.pruned) >= Duration::from_secs(1) {
                slots.chats.retain(|_, next| *next > now);
                slots.pruned = now;
            }
            let slot = now.max(slots.next).max(slots.chats.get(&chat).copied().unwrap_or(now));
            slots.next = slot + self.every;
            slots.chats.insert(chat, slot + self.per_chat);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With tokio's clock paused, sleeping only moves it on: these are exact, not timed.
    #[tokio::test(start_paused = true)]
    async fn one_chat_waits_a_second_between_sends_and_the_bot_a_thirtieth_overall() {
        let pacer = Pacer::new(Duration::from_millis(100), Duration::from_secs(1));
        let start = Instant::now();
        pacer.wait(1).await;
        pacer.wait(1).await;
        assert_eq!(start.elapsed(), Duration::from_secs(1));
        // Another chat is not held up by chat 1's second, only by the bot's pace.
        pacer.wait(2).await;
        assert_eq!(start.elapsed(), Duration::from_millis(1100));
        // Ten new chats right after: each a tenth of a second after the one before.
        let start = Instant::now();
        for chat in 10..20 {
            pacer.wait(chat).await;
        }
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn slots_are_kept_in_the_order_sends_ask_and_old_chats_are_forgotten() {
        let pacer = std::sync::Arc::new(Pacer::new(Duration::from_millis(10), Duration::from_secs(1)));
        let tasks: Vec<_> = (0..3)
            .map(|_| {
                let pacer = pacer.clone();
                tokio::spawn(async move {
                    pacer.wait(5).await;
                    Instant::now()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort();
        assert_eq!(times[2] - times[0], Duration::from_secs(2));
        tokio::time::sleep(Duration::from_secs(5)).await;
        pacer.wait(6).await;
        assert_eq!(pacer.slots.lock().unwrap().chats.len(), 1, "chat 5's passed slot is dropped");
    }
}
