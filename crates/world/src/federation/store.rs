//! Short-lived things kept in memory: logins in progress, authorization codes (30 s), access
//! tokens (60 s), issued id_tokens (for logout) and the demo sites' sessions. Each expires by the
//! world's clock. A restart forgets them, which is what a person would see after a server
//! restart anyway: they log in again; nothing of a learner's journey is kept here. Storing them
//! would put two more transactions per login (code issued, code redeemed) behind the world's
//! single writer for things that live 30 and 60 seconds.

use chrono::{DateTime, Utc};
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;

/// A fresh unguessable identifier: 32 random bytes, hex (64 characters).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// A map whose entries die at their deadline (world time).
pub struct Expiring<T> {
    entries: Mutex<Entries<T>>,
}

struct Entries<T> {
    items: HashMap<String, (T, DateTime<Utc>)>,
    inserts: u64,
}

impl<T: Clone> Default for Expiring<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Entries {
                items: HashMap::new(),
                inserts: 0,
            }),
        }
    }
}

impl<T: Clone> Expiring<T> {
    pub fn insert(&self, key: String, value: T, expires_at: DateTime<Utc>, now: DateTime<Utc>) {
        let mut entries = self.entries.lock().expect("store lock");
        entries.inserts += 1;
        // Dead entries are dropped now and then, so memory stays bounded by the live ones.
        if entries.inserts.is_multiple_of(256) {
            entries.items.retain(|_, (_, deadline)| *deadline > now);
        }
        entries.items.insert(key, (value, expires_at));
    }

    /// The live entry, left in place.
    pub fn get(&self, key: &str, now: DateTime<Utc>) -> Option<T> {
        let entries = self.entries.lock().expect("store lock");
        entries
            .items
            .get(key)
            .filter(|(_, deadline)| *deadline > now)
            .map(|(value, _)| value.clone())
    }

    /// Removes the entry whatever its age, so that it can never be used twice; the caller
    /// decides what an expired one means (an expired code is refused with its own reason).
    pub fn take(&self, key: &str) -> Option<T> {
        self.entries
            .lock()
            .expect("store lock")
            .items
            .remove(key)
            .map(|(value, _)| value)
    }

    /// Changes a live entry in place.
    pub fn update(&self, key: &str, now: DateTime<Utc>, change: impl FnOnce(&mut T)) -> Option<T> {
        let mut entries = self.entries.lock().expect("store lock");
        let (value, deadline) = entries.items.get_mut(key)?;
        if *deadline <= now {
            return None;
        }
        change(value);
        Some(value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    #[test]
    fn entries_die_at_their_deadline_and_are_taken_once() {
        let t0 = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let store = Expiring::default();
        store.insert("code".into(), 1, t0 + TimeDelta::seconds(30), t0);
        assert_eq!(store.get("code", t0 + TimeDelta::seconds(29)), Some(1));
        assert_eq!(store.get("code", t0 + TimeDelta::seconds(30)), None);
        assert_eq!(store.take("code"), Some(1));
        assert_eq!(store.take("code"), None, "a taken entry is gone for good");
        assert_ne!(random_token(), random_token());
        assert_eq!(random_token().len(), 64);
    }
}
