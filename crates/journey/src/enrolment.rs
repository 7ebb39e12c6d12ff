//! Activation, the enrolled device, the secret code rule and login approvals.
//!
//! The journey never sees a secret code after parsing it: the world turns it into an opaque
//! verifier with a key the database does not hold, and tells the journey only whether an
//! approval's proof matched. The rules (deadline, enrolled device, counting failures, locking)
//! live here.

use crate::JourneyError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The 4-digit secret code: 4 different digits. `Debug` never prints it.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretCode(String);

impl SecretCode {
    pub fn parse(raw: &str) -> Result<Self, JourneyError> {
        let code = raw.trim();
        let digits: Vec<u8> = code.bytes().collect();
        let all_digits = digits.len() == 4 && digits.iter().all(u8::is_ascii_digit);
        let all_different = (0..digits.len()).all(|i| !digits[i + 1..].contains(&digits[i]));
        if all_digits && all_different {
            Ok(Self(code.to_owned()))
        } else {
            Err(JourneyError::InvalidSecretCode)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCode(***)")
    }
}

/// Identifier of a device installation, chosen by the device at activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceId(pub String);

/// The public half of the device's signing key (Ed25519, 32 bytes, hex on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DevicePublicKey(pub String);

/// Keyed one-way image of the secret code, computed by the world with a key kept out of the
/// database: the database alone cannot be used to test codes.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretVerifier(pub String);

impl fmt::Debug for SecretVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretVerifier(***)")
    }
}

/// The device enrolled at activation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolledDevice {
    pub device_id: DeviceId,
    pub public_key: DevicePublicKey,
    pub verifier: SecretVerifier,
    pub enrolled_at: DateTime<Utc>,
}

/// What the world found when it checked an approval's proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProofCheck {
    pub signature_valid: bool,
    pub secret_code_matches: bool,
    /// Digest of the answer's sealed code: the same bytes sent again are a replay, refused
    /// without spending an attempt.
    pub answer_digest: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ApprovalStatus {
    Pending,
    Approved,
    Declined,
    Expired,
    /// Refused by the lock after too many wrong secret codes.
    Blocked,
}

/// A login request from a relying party, waiting for the person's approval in the app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginApproval {
    pub request_id: String,
    pub relying_party: String,
    /// Random bytes (hex) the device signs, so an answer cannot be replayed on another request.
    pub challenge: String,
    pub created_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    pub status: ApprovalStatus,
    pub answered_at: Option<DateTime<Utc>>,
    /// Digests of the signed answers already counted for this request.
    #[serde(default)]
    pub answers_seen: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_code_is_four_different_digits() {
        for (raw, accepted) in [
            ("1234", true),
            ("9071", true),
            ("1123", false),
            ("123", false),
            ("12a4", false),
            ("12345", false),
        ] {
            assert_eq!(SecretCode::parse(raw).is_ok(), accepted, "secret code {raw:?}");
        }
        assert_eq!(
            format!("{:?}", SecretCode::parse("1234").unwrap()),
            "SecretCode(***)"
        );
    }
}
