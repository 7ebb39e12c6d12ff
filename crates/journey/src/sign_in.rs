//! Logging in to the app with an existing La Poste account (journey.md §1.5: "Logging in to the
//! app with the account may trigger a confirmation code by email or SMS"): the password, checked
//! by the world against its digest, then a one-time confirmation code sent to the mobile number
//! when the account has a confirmed one, else to the email address. The journey's own stage does
//! not move: the person continues from where the account stands.
//!
//! Wrong passwords lock the login for a while, counted so that no one can lock someone else out
//! (issue 16): per client — the device a password was typed on, which the world names with an
//! opaque [`SignInClient`] — 5 in a row lock that client out of this account; and per account,
//! from all clients together, a bound far above what one person's devices can reach
//! ([`rules::MAX_SIGN_IN_PASSWORD_FAILURES_PER_ACCOUNT`]) locks the account's login for everyone,
//! so that guessing from many addresses is bounded too (OWASP: the lockout counter belongs to
//! the account).

use crate::codes::{CodeKind, IssuedCode};
use crate::{rules, JourneyError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The client a password was typed on, as the world tells clients apart: an opaque key (the
/// world derives it from the client's address with a secret, so no address is kept here), equal
/// for the same client of the same account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SignInClient(u64);

impl SignInClient {
    /// The client of [`PasswordCheck::Matches`] and [`PasswordCheck::DoesNotMatch`]: one
    /// client the world did not name (tests and tools).
    const UNNAMED: SignInClient = SignInClient(0);

    /// The key the world derived for a client.
    pub fn new(key: u64) -> Self {
        Self(key)
    }
}

/// The world's verdict on a typed password and the client it was typed on (the world holds the
/// digest and the hashing; the journey only counts failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    /// The right password, from a client the world did not name.
    Matches,
    /// A wrong password, from a client the world did not name.
    DoesNotMatch,
    /// The right password, typed on this client.
    MatchesOn(SignInClient),
    /// A wrong password, typed on this client.
    DoesNotMatchOn(SignInClient),
}

impl PasswordCheck {
    fn client(self) -> SignInClient {
        match self {
            Self::Matches | Self::DoesNotMatch => SignInClient::UNNAMED,
            Self::MatchesOn(client) | Self::DoesNotMatchOn(client) => client,
        }
    }
}

/// One client's wrong passwords on this account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ClientFailures {
    client: SignInClient,
    /// Wrong passwords in a row from this client.
    failures: u8,
    /// Until when this client may not log in to this account.
    locked_until: Option<DateTime<Utc>>,
    /// The latest wrong password from it: the quietest client is forgotten first.
    last_failure: DateTime<Utc>,
}

/// The account's login state: wrong passwords per client and in all, the locks, the code
/// awaited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SignIn {
    /// Wrong passwords from all clients together since `window_start`, with no right one
    /// between. (Stored under this name before clients were told apart, when it counted wrong
    /// passwords in a row: an older count is dropped at the next wrong password, its window
    /// being unknown.)
    failures: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    window_start: Option<DateTime<Utc>>,
    /// Until when the account's login is refused to every client.
    locked_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    clients: Vec<ClientFailures>,
    pending: Option<IssuedCode>,
}

impl SignIn {
    /// Nothing to remember: no failure, no lock, no code awaited (not even serialised).
    pub fn is_idle(&self) -> bool {
        self.failures == 0
            && self.window_start.is_none()
            && self.locked_until.is_none()
            && self.clients.is_empty()
            && self.pending.is_none()
    }

    /// Until when logging in is refused at `now` to some client at least — the whole account or
    /// one client (what a support agent looks for when someone says they cannot log in).
    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.clients
            .iter()
            .filter_map(|entry| entry.locked_until)
            .chain(self.locked_until)
            .filter(|until| now < *until)
            .max()
    }

    /// Until when the account's login is refused to every client, if it is at `now`.
    pub fn account_locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| now < *until)
    }

    /// Until when this client may not log in, if it may not at `now` (the account's lock, or
    /// this client's own).
    pub fn locked_until_for(&self, client: SignInClient, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let own = self
            .clients
            .iter()
            .find(|entry| entry.client == client)
            .and_then(|entry| entry.locked_until);
        own.into_iter()
            .chain(self.locked_until)
            .filter(|until| now < *until)
            .max()
    }

    /// The confirmation code awaited, if any.
    pub fn pending_code(&self) -> Option<&IssuedCode> {
        self.pending.as_ref()
    }

    /// A password was typed. On a match a fresh code of `kind` (email or SMS) is issued and
    /// returned; a mismatch counts for its client and for the account, and the last one allowed
    /// locks that client out, or the account's login when the account's bound is reached.
    pub(crate) fn check_password(
        &mut self,
        check: PasswordCheck,
        kind: CodeKind,
        now: DateTime<Utc>,
        rng: &mut dyn rand::RngCore,
    ) -> Result<&IssuedCode, JourneyError> {
        let client = check.client();
        if let Some(until) = self.locked_until_for(client, now) {
            return Err(JourneyError::AccountLocked { until });
        }
        self.locked_until = None;
        // A client whose lock is over and who has no wrong password pending is nothing to keep.
        self.clients
            .retain(|entry| entry.failures > 0 || entry.locked_until.is_some_and(|until| now < until));
        match check {
            PasswordCheck::DoesNotMatch | PasswordCheck::DoesNotMatchOn(_) => self.count_failure(client, now),
            PasswordCheck::Matches | PasswordCheck::MatchesOn(_) => {
                self.failures = 0;
                self.window_start = None;
                self.clients.retain(|entry| entry.client != client);
                Ok(self.pending.insert(IssuedCode::issue(kind, now, rng)))
            }
        }
    }

    /// A wrong password from `client` (not locked out at `now`): always a refusal, a lock when
    /// it is the last one allowed.
    fn count_failure(
        &mut self,
        client: SignInClient,
        now: DateTime<Utc>,
    ) -> Result<&IssuedCode, JourneyError> {
        let window_over = self
            .window_start
            .is_none_or(|start| now >= start + rules::SIGN_IN_ACCOUNT_WINDOW);
        if window_over {
            self.window_start = Some(now);
            self.failures = 0;
        }
        self.failures = self.failures.saturating_add(1);
        if self.failures >= rules::MAX_SIGN_IN_PASSWORD_FAILURES_PER_ACCOUNT {
            // Every client waits; the code awaited, if any, is void (as a lock always did).
            let until = now + rules::SIGN_IN_LOCK;
            self.failures = 0;
            self.window_start = None;
            self.pending = None;
            self.locked_until = Some(until);
            return Err(JourneyError::AccountLocked { until });
        }
        let entry = self.client_entry(client, now);
        entry.failures += 1;
        entry.last_failure = now;
        if entry.failures >= rules::MAX_SIGN_IN_PASSWORD_FAILURES {
            // Only this client waits. The code the account awaits stays: it may be its owner's,
            // on another device, who should not lose it because of someone else's guesses.
            let until = now + rules::SIGN_IN_LOCK;
            entry.failures = 0;
            entry.locked_until = Some(until);
            return Err(JourneyError::AccountLocked { until });
        }
        Err(JourneyError::WrongCredentials)
    }

    /// This client's entry, made when missing. A full list first forgets clients whose lock is
    /// over, then the quietest one: forgetting only ever gives a client a fresh count, and the
    /// account's own count is not forgotten.
    fn client_entry(&mut self, client: SignInClient, now: DateTime<Utc>) -> &mut ClientFailures {
        let position = match self.clients.iter().position(|entry| entry.client == client) {
            Some(position) => position,
            None => {
                if self.clients.len() >= rules::SIGN_IN_CLIENTS_KEPT {
                    self.clients
                        .retain(|entry| entry.locked_until.is_some_and(|until| now < until));
                }
                if self.clients.len() >= rules::SIGN_IN_CLIENTS_KEPT {
                    if let Some(quietest) = self
                        .clients
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, entry)| entry.last_failure)
                        .map(|(index, _)| index)
                    {
                        self.clients.remove(quietest);
                    }
                }
                self.clients.push(ClientFailures {
                    client,
                    failures: 0,
                    locked_until: None,
                    last_failure: now,
                });
                self.clients.len() - 1
            }
        };
        &mut self.clients[position]
    }

    /// The confirmation code typed back. Wrong codes count (the code burns at the third); a
    /// right one ends the login and forgets the code.
    pub(crate) fn confirm(&mut self, typed: &str, now: DateTime<Utc>) -> Result<(), JourneyError> {
        let code = self.pending.as_mut().ok_or(JourneyError::NoSignInPending)?;
        code.check(typed, now)?;
        self.pending = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;
    use rand::SeedableRng;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-16T09:00:00Z")
            .unwrap()
            .to_utc()
    }

    const LEARNER: SignInClient = SignInClient(0x1ea4);
    const CLASSMATE: SignInClient = SignInClient(0xc1a55);

    fn check(sign_in: &mut SignIn, check: PasswordCheck, at: DateTime<Utc>) -> Result<(), JourneyError> {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        sign_in
            .check_password(check, CodeKind::Email, at, &mut rng)
            .map(|_| ())
    }

    #[test]
    fn a_classmates_wrong_passwords_lock_the_classmate_out_not_the_owner() {
        let mut sign_in = SignIn::default();
        for _ in 1..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
            assert_eq!(
                check(&mut sign_in, PasswordCheck::DoesNotMatchOn(CLASSMATE), now()),
                Err(JourneyError::WrongCredentials)
            );
        }
        let until = now() + rules::SIGN_IN_LOCK;
        assert_eq!(
            check(&mut sign_in, PasswordCheck::DoesNotMatchOn(CLASSMATE), now()),
            Err(JourneyError::AccountLocked { until }),
            "the fifth wrong password in a row locks its client out"
        );
        assert_eq!(
            check(&mut sign_in, PasswordCheck::MatchesOn(CLASSMATE), now()),
            Err(JourneyError::AccountLocked { until }),
            "even the right password waits on that client: guessing stops there"
        );
        assert_eq!(sign_in.locked_until_for(CLASSMATE, now()), Some(until));
        assert_eq!(sign_in.locked_until_for(LEARNER, now()), None);
        assert_eq!(sign_in.account_locked_until(now()), None);
        assert_eq!(
            sign_in.locked_until(now()),
            Some(until),
            "a support agent sees that a client is locked out"
        );
        check(&mut sign_in, PasswordCheck::MatchesOn(LEARNER), now())
            .expect("the owner logs in from their own device all the same");
        assert!(
            sign_in.pending_code().is_some(),
            "and receives their confirmation code"
        );
        assert_eq!(
            check(&mut sign_in, PasswordCheck::DoesNotMatchOn(CLASSMATE), now()),
            Err(JourneyError::AccountLocked { until }),
            "the owner's login does not lift the classmate's lock"
        );
        assert!(
            sign_in.pending_code().is_some(),
            "nor does the classmate's refusal void the owner's code"
        );
    }

    #[test]
    fn the_owners_wrong_passwords_and_their_lock_are_their_own() {
        let mut sign_in = SignIn::default();
        for _ in 1..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
            let _ = check(&mut sign_in, PasswordCheck::DoesNotMatchOn(CLASSMATE), now());
        }
        assert_eq!(
            check(&mut sign_in, PasswordCheck::DoesNotMatchOn(LEARNER), now()),
            Err(JourneyError::WrongCredentials),
            "another client's wrong passwords do not count towards the owner's five"
        );
    }

    #[test]
    fn wrong_passwords_from_many_clients_lock_the_account_at_its_own_bound() {
        let mut sign_in = SignIn::default();
        let per_client = u64::from(rules::MAX_SIGN_IN_PASSWORD_FAILURES - 1);
        let mut typed = 0;
        let mut client = 1;
        let until = now() + rules::SIGN_IN_LOCK;
        let verdict = loop {
            let verdict = check(
                &mut sign_in,
                PasswordCheck::DoesNotMatchOn(SignInClient(client)),
                now(),
            );
            typed += 1;
            if verdict != Err(JourneyError::WrongCredentials) {
                break verdict;
            }
            if typed % per_client == 0 {
                client += 1;
            }
        };
        assert_eq!(verdict, Err(JourneyError::AccountLocked { until }));
        assert_eq!(
            typed,
            u64::from(rules::MAX_SIGN_IN_PASSWORD_FAILURES_PER_ACCOUNT),
            "the account locks at its bound, however the guesses are spread"
        );
        assert!(
            client >= 6,
            "which takes more clients than one person has: {client}"
        );
        assert_eq!(sign_in.account_locked_until(now()), Some(until));
        assert_eq!(
            check(&mut sign_in, PasswordCheck::MatchesOn(LEARNER), now()),
            Err(JourneyError::AccountLocked { until }),
            "then every client waits"
        );
        check(&mut sign_in, PasswordCheck::MatchesOn(LEARNER), until).expect("the lock ends by itself");
    }

    #[test]
    fn the_accounts_count_starts_again_after_its_window_and_after_a_right_password() {
        let mut sign_in = SignIn::default();
        let spread = |sign_in: &mut SignIn, count: u8, at: DateTime<Utc>| {
            for index in 0..count {
                let client = SignInClient(1_000 + u64::from(index));
                assert_eq!(
                    check(sign_in, PasswordCheck::DoesNotMatchOn(client), at),
                    Err(JourneyError::WrongCredentials)
                );
            }
        };
        let almost = rules::MAX_SIGN_IN_PASSWORD_FAILURES_PER_ACCOUNT - 1;
        spread(&mut sign_in, almost, now());
        let later = now() + rules::SIGN_IN_ACCOUNT_WINDOW;
        spread(&mut sign_in, almost, later);
        check(&mut sign_in, PasswordCheck::Matches, later).expect("the owner's right password");
        spread(&mut sign_in, almost, later);
        assert_eq!(sign_in.account_locked_until(later), None);
    }

    #[test]
    fn a_login_state_stored_before_clients_were_told_apart_reads_back() {
        let stored = r#"{"failures":4,"locked_until":null,"pending":null}"#;
        let mut sign_in: SignIn = serde_json::from_str(stored).unwrap();
        assert_eq!(
            check(&mut sign_in, PasswordCheck::DoesNotMatch, now()),
            Err(JourneyError::WrongCredentials),
            "an old count of the whole account is not taken for one client's"
        );
        let stored = serde_json::to_string(&sign_in).unwrap();
        assert_eq!(serde_json::from_str::<SignIn>(&stored).unwrap(), sign_in);
    }

    #[test]
    fn the_clients_remembered_are_bounded_and_a_live_lock_outlasts_the_quiet_ones() {
        let mut sign_in = SignIn::default();
        for _ in 0..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
            let _ = check(&mut sign_in, PasswordCheck::DoesNotMatchOn(CLASSMATE), now());
        }
        let until = now() + rules::SIGN_IN_LOCK;
        let mut at = now();
        for index in 0..(2 * rules::SIGN_IN_CLIENTS_KEPT as u64) {
            at += TimeDelta::seconds(1);
            let _ = check(
                &mut sign_in,
                PasswordCheck::DoesNotMatchOn(SignInClient(50 + index)),
                at,
            );
            check(&mut sign_in, PasswordCheck::Matches, at).unwrap();
        }
        assert!(sign_in.clients.len() <= rules::SIGN_IN_CLIENTS_KEPT);
        assert_eq!(
            sign_in.locked_until_for(CLASSMATE, at),
            Some(until),
            "new clients do not wipe out a lock still running"
        );
    }
}
