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

/// A map whose entries die at their deadline (world time). An entry may be found under several
/// keys (an id_token by the digest of its JWE and of the JWS inside); taking it by one takes it
/// under all of them.
pub struct Expiring<T> {
    entries: Mutex<Entries<T>>,
}

struct Entries<T> {
    /// Each key's entry, by the entry's number.
    keys: HashMap<String, u64>,
    items: HashMap<u64, Entry<T>>,
    inserts: u64,
}

struct Entry<T> {
    value: T,
    deadline: DateTime<Utc>,
    keys: Vec<String>,
}

impl<T: Clone> Default for Expiring<T> {
    fn default() -> Self {
        Self {
            entries: Mutex::new(Entries {
                keys: HashMap::new(),
                items: HashMap::new(),
                inserts: 0,
            }),
        }
    }
}

impl<T> Entries<T> {
    fn live(&self, key: &str, now: DateTime<Utc>) -> Option<u64> {
        let number = *self.keys.get(key)?;
        self.items
            .get(&number)
            .is_some_and(|entry| entry.deadline > now)
            .then_some(number)
    }

    /// Removes the entry found under `key`, and every other key of it.
    fn remove(&mut self, key: &str) -> Option<Entry<T>> {
        let number = self.keys.remove(key)?;
        let entry = self.items.remove(&number)?;
        for other in &entry.keys {
            self.keys.remove(other);
        }
        Some(entry)
    }
}

impl<T: Clone> Expiring<T> {
    pub fn insert(&self, key: String, value: T, expires_at: DateTime<Utc>, now: DateTime<Utc>) {
        self.insert_under(vec![key], value, expires_at, now);
    }

    /// One entry found under each of `keys`; a key already in use leaves its former entry.
    pub fn insert_under(&self, keys: Vec<String>, value: T, expires_at: DateTime<Utc>, now: DateTime<Utc>) {
        let mut entries = self.entries.lock().expect("store lock");
        entries.inserts += 1;
        // Dead entries are dropped now and then, so memory stays bounded by the live ones.
        if entries.inserts.is_multiple_of(256) {
            entries.items.retain(|_, entry| entry.deadline > now);
            let Entries { keys, items, .. } = &mut *entries;
            keys.retain(|_, number| items.contains_key(number));
        }
        for key in &keys {
            let Some(former) = entries.keys.get(key).copied() else {
                continue;
            };
            if let Some(entry) = entries.items.get_mut(&former) {
                entry.keys.retain(|other| other != key);
                if entry.keys.is_empty() {
                    entries.items.remove(&former);
                }
            }
        }
        let number = entries.inserts;
        for key in &keys {
            entries.keys.insert(key.clone(), number);
        }
        entries.items.insert(
            number,
            Entry {
                value,
                deadline: expires_at,
                keys,
            },
        );
    }

    /// The live entry, left in place.
    pub fn get(&self, key: &str, now: DateTime<Utc>) -> Option<T> {
        let entries = self.entries.lock().expect("store lock");
        let number = entries.live(key, now)?;
        entries.items.get(&number).map(|entry| entry.value.clone())
    }

    /// Removes the entry whatever its age, so that it can never be used twice (under any of its
    /// keys); the caller decides what an expired one means (an expired code is refused with its
    /// own reason).
    pub fn take(&self, key: &str) -> Option<T> {
        self.entries
            .lock()
            .expect("store lock")
            .remove(key)
            .map(|entry| entry.value)
    }

    /// Changes a live entry in place.
    pub fn update(&self, key: &str, now: DateTime<Utc>, change: impl FnOnce(&mut T)) -> Option<T> {
        let mut entries = self.entries.lock().expect("store lock");
        let number = entries.live(key, now)?;
        let entry = entries.items.get_mut(&number)?;
        change(&mut entry.value);
        Some(entry.value.clone())
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

    #[test]
    fn an_entry_under_two_keys_is_taken_once_by_either() {
        let t0 = DateTime::from_timestamp(1_780_000_000, 0).unwrap();
        let store = Expiring::default();
        let later = t0 + TimeDelta::hours(12);
        store.insert_under(vec!["jwe".into(), "jws".into()], "mcf", later, t0);
        store.insert_under(vec!["jwe2".into(), "jws2".into()], "elu", later, t0);
        assert_eq!(store.get("jws", t0), Some("mcf"), "found under its second key");
        assert_eq!(store.take("jws"), Some("mcf"));
        assert_eq!(
            store.take("jwe"),
            None,
            "a token used once is gone under its other form too"
        );
        assert_eq!(store.take("jwe2"), Some("elu"), "other entries stay");
        assert_eq!(store.take("jws2"), None);

        store.insert_under(vec!["a".into(), "b".into()], "first", later, t0);
        store.insert("b".into(), "second", later, t0);
        assert_eq!(
            store.take("b"),
            Some("second"),
            "a reused key names the newest entry"
        );
        assert_eq!(
            store.take("a"),
            Some("first"),
            "the former entry keeps its other key"
        );
    }
}
