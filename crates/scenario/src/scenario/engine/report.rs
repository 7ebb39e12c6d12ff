//! What the engine reports: each `Move` as it happens, and where the scenario left the learner (`Applied`).

use super::*;

/// Told to a walkthrough's observer as the engine goes.
#[derive(Debug, Clone)]
pub enum Progress {
    /// The person is about to act at this step of theirs.
    Acting(Step),
    /// Something was done.
    Moved(Move),
}

/// One thing the person (or time) did, with what came of it; `step` is the learner's step
/// once it was done.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "move", rename_all = "snake_case")]
pub enum Move {
    AccountCreated {
        learner_id: String,
        email: String,
    },
    EmailConfirmed {
        code: String,
        step: Step,
    },
    /// No code arrived: a new one was asked for.
    EmailCodeResent {
        step: Step,
    },
    PasswordChosen {
        password: String,
        step: Step,
    },
    MobileRegistered {
        mobile: String,
        step: Step,
    },
    MobileConfirmed {
        mobile: String,
        code: String,
        step: Step,
    },
    MobileCodeResent {
        step: Step,
    },
    ProfileCompleted(Landed),
    IdentityEntered(Landed),
    IdentityConfirmed(Landed),
    VerificationChosen {
        mode: Verification,
        /// Face to face: the activation code received by SMS, shown to the clerk, then typed in
        /// the app.
        face_to_face_code: Option<String>,
        /// By post: when the letter arrives.
        letter_arrives_at: Option<chrono::DateTime<chrono::Utc>>,
        /// Online: the AR24 registered letter received.
        registered_letter_id: Option<String>,
        step: Step,
    },
    /// The paper letter arrived, the learner's clock moved past its delay.
    LetterDelivered {
        /// The learner's time once it arrived.
        now: chrono::DateTime<chrono::Utc>,
        face_to_face_code: Option<String>,
    },
    ClerkValidated {
        code: String,
        birth_name: String,
        step: Step,
    },
    /// The AR24 letter read and the identity it names confirmed.
    LetterOpened(Landed),
    IdentificationStarted {
        step: Step,
    },
    IdentificationSubmitted {
        /// 1 for the first submission, 2 after a refusal…
        attempt: u32,
        spoken_digits: String,
        /// Codes of the phone's own video checks that failed (none for a file).
        video_checks: Vec<String>,
        step: Step,
    },
    ReviewDone {
        refusal_reason: Option<String>,
        refusal_reason_label: Option<String>,
        step: Step,
    },
    ActivationCodeReceived {
        code: String,
    },
    DeviceActivated {
        device_id: String,
        secret_code: String,
        /// Which store keeps the device's key.
        vault: String,
        step: Step,
    },
    LoginRequested {
        request_id: String,
        deadline: chrono::DateTime<chrono::Utc>,
    },
    LoginApproved {
        request_id: String,
        status: String,
    },
    /// A scenario's fault was applied at its step.
    FaultApplied {
        fault: String,
        step: Step,
    },
}

/// Where an action left the learner.
#[derive(Debug, Clone, Serialize)]
pub struct Landed {
    pub step: Step,
    pub step_label: String,
}

impl Landed {
    pub(super) fn on(view: &LearnerView) -> Self {
        Self {
            step: view.step,
            step_label: view.step_label.clone(),
        }
    }
}

/// Something the scenario did on purpose that the service refused, as the person saw it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refusal {
    pub action: String,
    pub code: String,
    pub message: String,
}

/// A failure of the phone itself, as the app reports it; the world never hears of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceFailure {
    pub fault: String,
    pub code: String,
    pub message: String,
}

/// Where a scenario left the learner.
#[derive(Debug, Clone, Serialize)]
pub struct Applied {
    pub scenario: String,
    pub title: String,
    pub learner_id: String,
    pub email: String,
    pub mobile: String,
    pub step: String,
    pub step_label: String,
    pub explanation: String,
    /// Refusals met on purpose (wrong codes, refused identity, FranceConnect+…).
    pub refusals: Vec<Refusal>,
    /// The phone's own failures, for the app to show (the world knows nothing of them).
    pub device_failures: Vec<DeviceFailure>,
    /// The last login request opened, if any.
    pub login_request: Option<String>,
    /// The code awaited now and what is left of it, as the world reads it.
    pub pending_code: Option<PendingCodeView>,
    /// What keeps the person from going on ("code reçu par SMS expiré"…), as the world reads it.
    pub blockers: Vec<BlockerView>,
    /// Where the simulated phones keep their profile.
    pub devices_dir: PathBuf,
    /// The learner's account credential, as the trainer who opened the account receives it: a
    /// tester acts for the learner with it (`IDN_TOKEN`), a trainer hands it to no one else.
    pub credential: idn_api::IssuedCredential,
}
