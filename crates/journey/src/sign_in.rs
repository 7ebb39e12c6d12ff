//! Logging in to the app with an existing La Poste account (journey.md §1.5: "Logging in to the
//! app with the account may trigger a confirmation code by email or SMS"): the password, checked
//! by the world against its digest, then a one-time confirmation code sent to the mobile number
//! when the account has a confirmed one, else to the email address. Repeated wrong passwords
//! lock the login for a while. The journey's own stage does not move: the person continues from
//! where the account stands.

use crate::codes::{CodeKind, IssuedCode};
use crate::{rules, JourneyError};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The world's verdict on a typed password (it holds the digest and the hashing; the journey only
/// counts failures).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordCheck {
    Matches,
    DoesNotMatch,
}

/// The account's login state: consecutive wrong passwords, a lock, the code awaited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SignIn {
    failures: u8,
    locked_until: Option<DateTime<Utc>>,
    pending: Option<IssuedCode>,
}

impl SignIn {
    /// Nothing to remember: no failure, no lock, no code awaited (not even serialised).
    pub fn is_idle(&self) -> bool {
        self.failures == 0 && self.locked_until.is_none() && self.pending.is_none()
    }

    /// Until when logging in is refused, if it is at `now`.
    pub fn locked_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| now < *until)
    }

    /// The confirmation code awaited, if any.
    pub fn pending_code(&self) -> Option<&IssuedCode> {
        self.pending.as_ref()
    }

    /// A password was typed. On a match a fresh code of `kind` (email or SMS) is issued and
    /// returned; a mismatch counts, and the last allowed one locks the login.
    pub(crate) fn check_password(
        &mut self,
        check: PasswordCheck,
        kind: CodeKind,
        now: DateTime<Utc>,
        rng: &mut dyn rand::RngCore,
    ) -> Result<&IssuedCode, JourneyError> {
        if let Some(until) = self.locked_until(now) {
            return Err(JourneyError::AccountLocked { until });
        }
        self.locked_until = None;
        match check {
            PasswordCheck::DoesNotMatch => {
                self.failures += 1;
                if self.failures >= rules::MAX_SIGN_IN_PASSWORD_FAILURES {
                    self.failures = 0;
                    self.pending = None;
                    let until = now + rules::SIGN_IN_LOCK;
                    self.locked_until = Some(until);
                    return Err(JourneyError::AccountLocked { until });
                }
                Err(JourneyError::WrongCredentials)
            }
            PasswordCheck::Matches => {
                self.failures = 0;
                Ok(self.pending.insert(IssuedCode::issue(kind, now, rng)))
            }
        }
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
