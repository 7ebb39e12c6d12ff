//! Whole-journey rules, written as scripts of journey.md, plus property tests of invariants.

use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::account::{Civility, Email, MobileNumber, PasswordDigest, PersonName, Profile};
use idn_journey::enrolment::{
    ApprovalStatus, DeviceId, DevicePublicKey, EnrolledDevice, ProofCheck, SecretVerifier,
};
use idn_journey::identity::{DocumentSide, DocumentType, IdentityInput, PresentedDocument, Sex};
use idn_journey::verification::{
    MediaRef, RefusalReason, ReviewDecision, ReviewPlan, Submission, VerificationMode,
};
use idn_journey::{rules, Channel, CodeKind, Command, Effect, Journey, JourneyError, Notice, Step};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// A learner, a fake clock and a seeded random source; the inbox is what `Effect`s sent.
struct Sim {
    journey: Journey,
    now: DateTime<Utc>,
    rng: ChaCha8Rng,
    inbox: Vec<(Channel, Notice)>,
    answers: u32,
}

impl Sim {
    fn new(seed: u64) -> Self {
        Self {
            journey: Journey::default(),
            now: DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
                .unwrap()
                .to_utc(), // a Monday
            rng: ChaCha8Rng::seed_from_u64(seed),
            inbox: Vec::new(),
            answers: 0,
        }
    }

    fn run(&mut self, command: Command) -> Result<(), JourneyError> {
        let effects = self.journey.handle(command, self.now, &mut self.rng)?;
        self.deliver(effects);
        Ok(())
    }

    fn ok(&mut self, command: Command) {
        let name = command.name();
        if let Err(error) = self.run(command) {
            panic!("{name} refused at {:?}: {error}", self.journey.step());
        }
    }

    fn wait(&mut self, delta: TimeDelta) {
        self.now += delta;
        let effects = self.journey.advance(self.now, &mut self.rng);
        self.deliver(effects);
    }

    fn deliver(&mut self, effects: Vec<Effect>) {
        for Effect::Send { channel, notice } in effects {
            self.inbox.push((channel, notice));
        }
    }

    fn last_code(&self, kind: CodeKind) -> String {
        self.inbox
            .iter()
            .rev()
            .find_map(|(_, notice)| match (kind, notice) {
                (CodeKind::Email, Notice::EmailCode { code, .. })
                | (CodeKind::Mobile, Notice::MobileCode { code, .. })
                | (
                    CodeKind::FaceToFace,
                    Notice::FaceToFaceCode { code, .. } | Notice::PostalLetterDelivered { code, .. },
                )
                | (CodeKind::Activation, Notice::ActivationCode { code, .. }) => Some(code.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no {kind:?} code in the inbox"))
    }

    fn until_identity_confirmed(&mut self) {
        self.ok(Command::StartAccount {
            email: Email::parse("camille.martin@exemple.fr").unwrap(),
        });
        let code = self.last_code(CodeKind::Email);
        self.ok(Command::ConfirmEmail { code });
        self.ok(Command::ChoosePassword {
            digest: PasswordDigest("$argon2id$test".into()),
        });
        self.ok(Command::RegisterMobile {
            mobile: MobileNumber::parse("+33612345678").unwrap(),
        });
        let code = self.last_code(CodeKind::Mobile);
        self.ok(Command::ConfirmMobile { code });
        self.ok(Command::CompleteProfile {
            profile: profile(),
            terms_accepted: true,
        });
        self.ok(Command::EnterIdentity { input: identity() });
        self.ok(Command::ConfirmIdentity);
    }

    fn until_enrolled(&mut self) {
        self.until_identity_confirmed();
        self.ok(Command::ChooseVerification {
            mode: VerificationMode::FaceToFace,
        });
        let code = self.last_code(CodeKind::FaceToFace);
        self.ok(Command::ClerkValidate {
            code,
            presented: presented(),
        });
        let code = self.last_code(CodeKind::Activation);
        self.ok(Command::Activate {
            code,
            device: device("device-1"),
        });
    }

    fn open_request(&mut self, id: &str) {
        self.ok(login_request(id));
    }

    /// A login request opened and approved on the enrolled device with the right code.
    fn approved_request(&mut self, id: &str) {
        self.open_request(id);
        self.answer(id, "device-1", true).unwrap();
    }

    fn answer(&mut self, id: &str, device_id: &str, code_matches: bool) -> Result<(), JourneyError> {
        self.answers += 1;
        let answer_digest = format!("answer-{}", self.answers);
        self.run(Command::AnswerLoginRequest {
            request_id: id.into(),
            device_id: DeviceId(device_id.into()),
            proof: ProofCheck {
                signature_valid: true,
                secret_code_matches: code_matches,
                answer_digest,
            },
        })
    }
}

/// A relying party's login request for the enrolled number, at real-time speed.
fn login_request(request_id: &str) -> Command {
    login_request_at(request_id, 1.0)
}

/// A login request made while the class clock runs `clock_speed` times faster than real time.
fn login_request_at(request_id: &str, clock_speed: f64) -> Command {
    Command::OpenLoginRequest {
        request_id: request_id.into(),
        relying_party: "Mon Compte Formation".into(),
        mobile: MobileNumber::parse("+33612345678").unwrap(),
        challenge: "00".into(),
        clock_speed,
    }
}

fn profile() -> Profile {
    Profile {
        civility: Civility::Madame,
        first_name: PersonName::parse("Camille").unwrap(),
        last_name: PersonName::parse("Martin").unwrap(),
        marketing_opt_in: false,
    }
}

fn identity() -> IdentityInput {
    IdentityInput {
        document_type: Some(DocumentType::Cni),
        sex: Some(Sex::Female),
        given_names: vec!["Camille".into(), "Anaïs".into()],
        birth_name: "Martin".into(),
        usage_name: None,
        birth_date: "1990-05-17".into(),
        birth_country: "99100".into(),
        birth_commune: Some("Lyon".into()),
        birth_insee_code: Some("69123".into()),
        nationality: "FRA".into(),
        issue_date: "2021-06-01".into(),
        expiry_date: "2031-05-31".into(),
        document_number_ending: "AB12".into(),
    }
}

fn presented() -> PresentedDocument {
    PresentedDocument {
        document_type: DocumentType::Cni,
        birth_name: "MARTIN".into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1990, 5, 17).unwrap(),
        document_number_ending: "ab12".into(),
    }
}

fn device(id: &str) -> EnrolledDevice {
    EnrolledDevice {
        device_id: DeviceId(id.into()),
        public_key: DevicePublicKey("00".repeat(32)),
        verifier: SecretVerifier("ff".repeat(32)),
        enrolled_at: DateTime::<Utc>::MIN_UTC,
    }
}

fn submission() -> Submission {
    let media = |id: &str| MediaRef {
        media_id: id.into(),
        sha256: "0".repeat(64),
    };
    Submission {
        document_type: DocumentType::Cni,
        photos: vec![
            (DocumentSide::Front, media("front")),
            (DocumentSide::Back, media("back")),
        ],
        video: media("video"),
    }
}

#[test]
fn face_to_face_journey_reaches_an_approved_login() {
    let mut sim = Sim::new(1);
    sim.until_enrolled();
    assert_eq!(sim.journey.step(), Step::Enrolled);
    sim.open_request("r1");
    sim.answer("r1", "device-1", true)
        .expect("approval with the right code");
    assert_eq!(sim.journey.login_approvals()[0].status, ApprovalStatus::Approved);
}

#[test]
fn activation_code_arrives_by_email_and_sms() {
    let mut sim = Sim::new(2);
    sim.until_identity_confirmed();
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::FaceToFace,
    });
    let code = sim.last_code(CodeKind::FaceToFace);
    sim.ok(Command::ClerkValidate {
        code,
        presented: presented(),
    });
    let channels: Vec<Channel> = sim
        .inbox
        .iter()
        .filter(|(_, notice)| matches!(notice, Notice::ActivationCode { .. }))
        .map(|(channel, _)| *channel)
        .collect();
    assert_eq!(channels, vec![Channel::Email, Channel::Sms]);
}

#[test]
fn face_to_face_code_is_refused_after_15_days() {
    let mut sim = Sim::new(3);
    sim.until_identity_confirmed();
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::FaceToFace,
    });
    let code = sim.last_code(CodeKind::FaceToFace);
    sim.wait(rules::FACE_TO_FACE_VALIDITY);
    assert_eq!(
        sim.run(Command::ClerkValidate {
            code,
            presented: presented()
        }),
        Err(JourneyError::CodeExpired(CodeKind::FaceToFace))
    );
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::FaceToFace,
    });
    assert_eq!(
        sim.journey.step(),
        Step::FaceToFace,
        "a new code can be asked for"
    );
}

#[test]
fn clerk_refuses_another_document() {
    let mut sim = Sim::new(4);
    sim.until_identity_confirmed();
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::FaceToFace,
    });
    let code = sim.last_code(CodeKind::FaceToFace);
    let other = PresentedDocument {
        document_number_ending: "ZZ99".into(),
        ..presented()
    };
    assert_eq!(
        sim.run(Command::ClerkValidate {
            code,
            presented: other
        }),
        Err(JourneyError::DocumentMismatch)
    );
    assert_eq!(sim.journey.step(), Step::FaceToFace);
}

#[test]
fn by_post_letter_arrives_after_four_weeks_then_face_to_face() {
    let mut sim = Sim::new(5);
    sim.until_identity_confirmed();
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::ByPost,
    });
    sim.wait(rules::POSTAL_LETTER_DELAY - TimeDelta::seconds(1));
    assert_eq!(sim.journey.step(), Step::PostalLetter);
    sim.wait(TimeDelta::seconds(1));
    assert_eq!(sim.journey.step(), Step::FaceToFace);
    assert!(matches!(
        sim.inbox.last(),
        Some((Channel::Post, Notice::PostalLetterDelivered { .. }))
    ));
}

#[test]
fn online_refusal_states_its_reason_and_can_be_redone() {
    let mut sim = Sim::new(6);
    sim.until_identity_confirmed();
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::Online,
    });
    assert_eq!(
        sim.run(Command::ConfirmLetterIdentity),
        Err(JourneyError::LetterNotOpened)
    );
    sim.ok(Command::ReadLetter);
    sim.ok(Command::ConfirmLetterIdentity);
    sim.ok(Command::StartVisualIdentification);
    let refuse = ReviewPlan::Automatic {
        decision: ReviewDecision::Refused(RefusalReason::Glare),
        decide_at: sim.now + TimeDelta::minutes(15),
    };
    sim.ok(Command::SubmitVisualIdentification {
        submission: submission(),
        plan: refuse,
    });
    assert_eq!(sim.journey.step(), Step::Review);
    sim.wait(TimeDelta::minutes(15));
    assert_eq!(sim.journey.step(), Step::IdentificationRefused);
    assert!(matches!(
        sim.inbox.last(),
        Some((
            Channel::Email,
            Notice::IdentificationRefused {
                reason: RefusalReason::Glare
            }
        ))
    ));
    sim.ok(Command::StartVisualIdentification);
    let accept = ReviewPlan::Automatic {
        decision: ReviewDecision::Accepted,
        decide_at: sim.now,
    };
    sim.ok(Command::SubmitVisualIdentification {
        submission: submission(),
        plan: accept,
    });
    sim.wait(TimeDelta::seconds(1));
    assert_eq!(sim.journey.step(), Step::Activation);
}

#[test]
fn review_never_takes_longer_than_24_weekday_hours() {
    let mut sim = Sim::new(7);
    sim.until_identity_confirmed();
    sim.now += TimeDelta::days(4); // Friday 09:00
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::Online,
    });
    sim.ok(Command::ReadLetter);
    sim.ok(Command::ConfirmLetterIdentity);
    sim.ok(Command::StartVisualIdentification);
    let late = ReviewPlan::Automatic {
        decision: ReviewDecision::Accepted,
        decide_at: sim.now + TimeDelta::days(30),
    };
    sim.ok(Command::SubmitVisualIdentification {
        submission: submission(),
        plan: late,
    });
    let monday_9 = sim.now + TimeDelta::days(3);
    assert_eq!(
        sim.journey.next_deadline(),
        Some(monday_9),
        "Friday 09:00 + 24 weekday hours = Monday 09:00"
    );
}

#[test]
fn passport_needs_only_its_photo_page_and_cni_needs_both_sides() {
    let mut sim = Sim::new(8);
    sim.until_identity_confirmed();
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::Online,
    });
    sim.ok(Command::ReadLetter);
    sim.ok(Command::ConfirmLetterIdentity);
    sim.ok(Command::StartVisualIdentification);
    let mut front_only = submission();
    front_only.photos.truncate(1);
    assert_eq!(
        sim.run(Command::SubmitVisualIdentification {
            submission: front_only,
            plan: ReviewPlan::Desk
        }),
        Err(JourneyError::IncompleteSubmission("le verso de la pièce"))
    );
}

#[test]
fn identity_cannot_change_once_confirmed() {
    let mut sim = Sim::new(9);
    sim.until_identity_confirmed();
    let mut typo = identity();
    typo.birth_name = "Martine".into();
    assert_eq!(
        sim.run(Command::EnterIdentity { input: typo }),
        Err(JourneyError::IdentityAlreadyConfirmed)
    );
    assert_eq!(
        sim.journey.person().unwrap().identity.birth_name.as_str(),
        "Martin"
    );
}

#[test]
fn approval_after_deadline_is_refused() {
    let mut sim = Sim::new(10);
    sim.until_enrolled();
    sim.open_request("r1");
    sim.now += rules::LOGIN_APPROVAL_WINDOW;
    assert_eq!(
        sim.answer("r1", "device-1", true),
        Err(JourneyError::LoginRequestExpired)
    );
    assert_eq!(sim.journey.login_approvals()[0].status, ApprovalStatus::Expired);
}

#[test]
fn approval_from_another_device_is_refused() {
    let mut sim = Sim::new(11);
    sim.until_enrolled();
    sim.open_request("r1");
    assert_eq!(
        sim.answer("r1", "device-2", true),
        Err(JourneyError::NotTheEnrolledDevice)
    );
    sim.answer("r1", "device-1", true)
        .expect("the enrolled device can still answer");
}

#[test]
fn three_wrong_secret_codes_lock_the_identity() {
    let mut sim = Sim::new(12);
    sim.until_enrolled();
    sim.open_request("r1");
    assert_eq!(
        sim.answer("r1", "device-1", false),
        Err(JourneyError::WrongSecretCode { remaining: 2 })
    );
    assert_eq!(
        sim.answer("r1", "device-1", false),
        Err(JourneyError::WrongSecretCode { remaining: 1 })
    );
    assert_eq!(
        sim.answer("r1", "device-1", false),
        Err(JourneyError::SecretCodeLocked)
    );
    assert_eq!(sim.journey.step(), Step::Locked);
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::FaceToFace,
    });
    assert_eq!(
        sim.journey.step(),
        Step::FaceToFace,
        "a locked person verifies again to choose a new code"
    );
}

#[test]
fn wrong_mobile_on_franceconnect_opens_no_request() {
    let mut sim = Sim::new(13);
    sim.until_enrolled();
    let other = MobileNumber::parse("+33699999999").unwrap();
    let result = sim.run(Command::OpenLoginRequest {
        request_id: "r".into(),
        relying_party: "MCF".into(),
        mobile: other,
        challenge: "00".into(),
        clock_speed: 1.0,
    });
    assert_eq!(result, Err(JourneyError::MobileMismatch));
    assert!(sim.journey.login_approvals().is_empty());
}

#[test]
fn pending_login_requests_are_bounded_so_no_one_floods_the_phone() {
    let mut sim = Sim::new(15);
    sim.until_enrolled();
    for n in 0..rules::MAX_PENDING_LOGIN_REQUESTS {
        sim.open_request(&format!("r{n}"));
    }
    let flood = sim.run(login_request("flood"));
    assert_eq!(flood, Err(JourneyError::TooManyPendingLoginRequests));
    sim.wait(rules::LOGIN_APPROVAL_WINDOW);
    sim.open_request("after-expiry");
}

#[test]
fn login_requests_are_rate_limited_even_when_answered() {
    let mut sim = Sim::new(16);
    sim.until_enrolled();
    for n in 0..rules::MAX_LOGIN_REQUESTS_PER_WINDOW {
        let id = format!("r{n}");
        sim.approved_request(&id);
        sim.wait(TimeDelta::seconds(5));
    }
    let next = sim.run(login_request("one-too-many"));
    assert_eq!(next, Err(JourneyError::LoginRequestRateLimited));
    sim.wait(rules::LOGIN_REQUEST_RATE_WINDOW);
    sim.open_request("later");
}

#[test]
fn a_long_login_history_is_trimmed_without_losing_the_rate_limit() {
    let mut sim = Sim::new(18);
    sim.until_enrolled();
    for n in 0..2 * rules::KEPT_LOGIN_REQUESTS {
        sim.wait(TimeDelta::minutes(2));
        let id = format!("old{n}");
        sim.approved_request(&id);
    }
    assert_eq!(sim.journey.login_approvals().len(), rules::KEPT_LOGIN_REQUESTS);
    assert!(
        sim.journey.login_approval("old0").is_none(),
        "the oldest answered go first"
    );
    let last = format!("old{}", 2 * rules::KEPT_LOGIN_REQUESTS - 1);
    assert!(sim.journey.login_approval(&last).is_some());
    // The last 10 minutes held five requests (one every 2 minutes): five more reach the limit.
    for n in 0..rules::MAX_LOGIN_REQUESTS_PER_WINDOW - 5 {
        let id = format!("burst{n}");
        sim.approved_request(&id);
    }
    let next = sim.run(login_request("one-too-many"));
    assert_eq!(next, Err(JourneyError::LoginRequestRateLimited));
}

/// On an accelerated clock a request waits an hour of simulated time, longer than the rate
/// window: pending requests older than the window must not make the trimming drop a request the
/// rate limit still counts.
#[test]
fn the_rate_limit_stays_exact_with_old_requests_pending_on_an_accelerated_clock() {
    let mut sim = Sim::new(20);
    sim.until_enrolled();
    for n in 0..rules::KEPT_LOGIN_REQUESTS {
        let id = format!("old{n}");
        sim.approved_request(&id);
        sim.wait(TimeDelta::minutes(2));
    }
    for n in 0..rules::MAX_PENDING_LOGIN_REQUESTS - 1 {
        sim.ok(login_request_at(&format!("waiting{n}"), 60.0));
    }
    sim.wait(rules::LOGIN_REQUEST_RATE_WINDOW + TimeDelta::minutes(1));
    let still_waiting = sim
        .journey
        .login_approvals()
        .iter()
        .filter(|approval| approval.status == ApprovalStatus::Pending)
        .count();
    assert_eq!(still_waiting, rules::MAX_PENDING_LOGIN_REQUESTS - 1);
    for n in 0..rules::MAX_LOGIN_REQUESTS_PER_WINDOW {
        let id = format!("burst{n}");
        sim.approved_request(&id);
    }
    let next = sim.run(login_request("one-too-many"));
    assert_eq!(next, Err(JourneyError::LoginRequestRateLimited));
}

#[test]
fn an_unsigned_answer_spends_no_secret_code_attempt() {
    let mut sim = Sim::new(17);
    sim.until_enrolled();
    sim.open_request("r1");
    for _ in 0..5 {
        let forged = sim.run(Command::AnswerLoginRequest {
            request_id: "r1".into(),
            device_id: DeviceId("device-1".into()),
            proof: ProofCheck {
                signature_valid: false,
                secret_code_matches: false,
                answer_digest: "forged".into(),
            },
        });
        assert_eq!(forged, Err(JourneyError::InvalidDeviceSignature));
    }
    assert_eq!(
        sim.journey.step(),
        Step::Enrolled,
        "forged answers cannot lock the person out"
    );
    sim.answer("r1", "device-1", true)
        .expect("the real device still approves");
}

#[test]
fn an_answered_request_cannot_be_answered_again() {
    let mut sim = Sim::new(18);
    sim.until_enrolled();
    sim.open_request("r1");
    sim.answer("r1", "device-1", true).unwrap();
    assert_eq!(
        sim.answer("r1", "device-1", true),
        Err(JourneyError::LoginRequestAlreadyAnswered)
    );
    let decline = sim.run(Command::DeclineLoginRequest {
        request_id: "r1".into(),
        device_id: DeviceId("device-1".into()),
    });
    assert_eq!(decline, Err(JourneyError::LoginRequestAlreadyAnswered));
}

#[test]
fn a_replayed_wrong_answer_spends_no_attempt() {
    let mut sim = Sim::new(20);
    sim.until_enrolled();
    sim.open_request("r1");
    let wrong = Command::AnswerLoginRequest {
        request_id: "r1".into(),
        device_id: DeviceId("device-1".into()),
        proof: ProofCheck {
            signature_valid: true,
            secret_code_matches: false,
            answer_digest: "captured".into(),
        },
    };
    assert_eq!(
        sim.run(wrong.clone()),
        Err(JourneyError::WrongSecretCode { remaining: 2 })
    );
    for _ in 0..5 {
        assert_eq!(sim.run(wrong.clone()), Err(JourneyError::AnswerReplayed));
    }
    assert_eq!(
        sim.journey.step(),
        Step::Enrolled,
        "replays cannot lock the person out"
    );
    sim.answer("r1", "device-1", true)
        .expect("the person still approves");
}

#[test]
fn locking_blocks_every_pending_request_and_keeps_them_readable() {
    let mut sim = Sim::new(21);
    sim.until_enrolled();
    sim.open_request("r1");
    sim.open_request("r2");
    for _ in 0..3 {
        let _ = sim.answer("r1", "device-1", false);
    }
    assert_eq!(sim.journey.step(), Step::Locked);
    let statuses: Vec<ApprovalStatus> = sim
        .journey
        .login_approvals()
        .iter()
        .map(|approval| approval.status)
        .collect();
    assert_eq!(statuses, [ApprovalStatus::Blocked, ApprovalStatus::Blocked]);
}

#[test]
fn a_stuck_activation_can_go_back_to_verification() {
    let mut sim = Sim::new(22);
    sim.until_identity_confirmed();
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::FaceToFace,
    });
    let code = sim.last_code(CodeKind::FaceToFace);
    sim.ok(Command::ClerkValidate {
        code,
        presented: presented(),
    });
    sim.wait(rules::ACTIVATION_CODE_VALIDITY);
    let code = sim.last_code(CodeKind::Activation);
    assert_eq!(
        sim.run(Command::Activate {
            code,
            device: device("device-1")
        }),
        Err(JourneyError::CodeExpired(CodeKind::Activation))
    );
    sim.ok(Command::ChooseVerification {
        mode: VerificationMode::FaceToFace,
    });
    assert_eq!(sim.journey.step(), Step::FaceToFace);
}

#[test]
fn changing_the_mobile_number_counts_against_the_resend_limit() {
    let mut sim = Sim::new(23);
    sim.ok(Command::StartAccount {
        email: Email::parse("b@exemple.fr").unwrap(),
    });
    let code = sim.last_code(CodeKind::Email);
    sim.ok(Command::ConfirmEmail { code });
    sim.ok(Command::ChoosePassword {
        digest: PasswordDigest("x".into()),
    });
    sim.ok(Command::RegisterMobile {
        mobile: MobileNumber::parse("0612345678").unwrap(),
    });
    for n in 0..rules::MAX_CODE_RESENDS {
        sim.ok(Command::RegisterMobile {
            mobile: MobileNumber::parse(&format!("061234567{n}")).unwrap(),
        });
    }
    let one_more = sim.run(Command::RegisterMobile {
        mobile: MobileNumber::parse("0699999999").unwrap(),
    });
    assert_eq!(one_more, Err(JourneyError::ResendLimitReached(CodeKind::Mobile)));
}

#[test]
fn terms_of_use_must_be_accepted() {
    let mut sim = Sim::new(14);
    sim.ok(Command::StartAccount {
        email: Email::parse("a@exemple.fr").unwrap(),
    });
    let code = sim.last_code(CodeKind::Email);
    sim.ok(Command::ConfirmEmail { code });
    sim.ok(Command::ChoosePassword {
        digest: PasswordDigest("x".into()),
    });
    sim.ok(Command::RegisterMobile {
        mobile: MobileNumber::parse("0612345678").unwrap(),
    });
    let code = sim.last_code(CodeKind::Mobile);
    sim.ok(Command::ConfirmMobile { code });
    assert_eq!(
        sim.run(Command::CompleteProfile {
            profile: profile(),
            terms_accepted: false
        }),
        Err(JourneyError::TermsNotAccepted)
    );
}

/// Random actions a person, a clerk or time can take after enrolment-worthy setup.
#[derive(Debug, Clone)]
enum Action {
    Wait(i64),
    TypeRightCode,
    TypeWrongCode,
    Resend,
    Verify(u8),
    Clerk(bool),
    Online(u8),
    Activate,
    OpenRequest,
    Answer(bool, bool),
    Retype,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        (0i64..3_000_000).prop_map(Action::Wait),
        Just(Action::TypeRightCode),
        Just(Action::TypeWrongCode),
        Just(Action::Resend),
        (0u8..3).prop_map(Action::Verify),
        any::<bool>().prop_map(Action::Clerk),
        (0u8..6).prop_map(Action::Online),
        Just(Action::Activate),
        Just(Action::OpenRequest),
        (any::<bool>(), any::<bool>()).prop_map(|(a, b)| Action::Answer(a, b)),
        Just(Action::Retype),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever happens, the confirmed identity never changes, an expired activation code
    /// never activates, and no approval succeeds at or after its deadline.
    #[test]
    fn invariants_hold_under_random_actions(seed in any::<u64>(), actions in proptest::collection::vec(action(), 1..60)) {
        let mut sim = Sim::new(seed);
        sim.until_identity_confirmed();
        let confirmed = sim.journey.person().unwrap().identity.clone();
        let mut request = 0;
        for action in actions {
            let before = sim.journey.clone();
            let result = match action.clone() {
                Action::Wait(seconds) => { sim.wait(TimeDelta::seconds(seconds)); Ok(()) }
                Action::TypeRightCode => {
                    let kind = match sim.journey.step() { Step::FaceToFace => CodeKind::FaceToFace, _ => CodeKind::Activation };
                    let code = sim.inbox.iter().rev().find_map(|(_, n)| match (kind, n) {
                        (CodeKind::FaceToFace, Notice::FaceToFaceCode { code, .. } | Notice::PostalLetterDelivered { code, .. }) => Some(code.clone()),
                        (CodeKind::Activation, Notice::ActivationCode { code, .. }) => Some(code.clone()),
                        _ => None,
                    });
                    match code { Some(code) => sim.run(Command::ClerkValidate { code, presented: presented() }), None => Ok(()) }
                }
                Action::TypeWrongCode => sim.run(Command::Activate { code: "999999".into(), device: device("device-1") }),
                Action::Resend => sim.run(Command::ResendActivationCode),
                Action::Verify(mode) => sim.run(Command::ChooseVerification { mode: [VerificationMode::FaceToFace, VerificationMode::Online, VerificationMode::ByPost][mode as usize] }),
                Action::Clerk(same) => {
                    let code = sim.journey.face_to_face_code().map(str::to_owned).unwrap_or_default();
                    let shown = if same { presented() } else { PresentedDocument { birth_name: "Autre".into(), ..presented() } };
                    sim.run(Command::ClerkValidate { code, presented: shown })
                }
                Action::Online(which) => sim.run(match which {
                    0 => Command::ReadLetter,
                    1 => Command::ConfirmLetterIdentity,
                    2 => Command::StartVisualIdentification,
                    3 => Command::SubmitVisualIdentification { submission: submission(), plan: ReviewPlan::Automatic { decision: ReviewDecision::Accepted, decide_at: sim.now + TimeDelta::minutes(15) } },
                    4 => Command::SubmitVisualIdentification { submission: submission(), plan: ReviewPlan::Automatic { decision: ReviewDecision::Refused(RefusalReason::Blur), decide_at: sim.now } },
                    _ => Command::DeclineLetter,
                }),
                Action::Activate => {
                    let code = sim.inbox.iter().rev().find_map(|(_, n)| match n { Notice::ActivationCode { code, .. } => Some(code.clone()), _ => None });
                    match code { Some(code) => sim.run(Command::Activate { code, device: device("device-1") }), None => Ok(()) }
                }
                Action::OpenRequest => { request += 1; sim.run(login_request(&format!("r{request}"))) }
                Action::Answer(right_device, right_code) => sim.answer(&format!("r{request}"), if right_device { "device-1" } else { "device-2" }, right_code),
                Action::Retype => sim.run(Command::EnterIdentity { input: IdentityInput { birth_name: "Autre".into(), ..identity() } }),
            };
            let person = sim.journey.person().expect("a confirmed person stays confirmed");
            prop_assert_eq!(&person.identity, &confirmed, "confirmed identity changed after {:?}", action);
            if before.step() == Step::Activation && sim.journey.step() == Step::Enrolled {
                let Some(code_expiry) = (match before.stage() { idn_journey::Stage::Activation { code, .. } => Some(code.expires_at()), _ => None }) else { unreachable!() };
                prop_assert!(sim.now < code_expiry, "an expired activation code activated");
            }
            for approval in sim.journey.login_approvals() {
                if approval.status == ApprovalStatus::Approved {
                    prop_assert!(approval.answered_at.unwrap() < approval.deadline, "approval after its deadline");
                }
            }
            if result.is_err() {
                prop_assert!(sim.journey.person().is_some());
            }
        }
    }
}

#[test]
fn approval_window_is_one_real_minute_even_on_an_accelerated_clock() {
    let mut sim = Sim::new(19);
    sim.until_enrolled();
    sim.ok(login_request_at("fast", 60.0));
    let approval = &sim.journey.login_approvals()[0];
    assert_eq!(
        approval.deadline - approval.created_at,
        TimeDelta::hours(1),
        "×60: one real minute is one simulated hour"
    );
    sim.wait(TimeDelta::minutes(59));
    sim.answer("fast", "device-1", true)
        .expect("still within the person's minute");
}

// ----- Logging in to the app with an existing La Poste account (journey.md §1.5) -----

use idn_journey::sign_in::PasswordCheck;

impl Sim {
    fn sign_in(&mut self, password: PasswordCheck) -> Result<(), JourneyError> {
        self.run(Command::SignIn { password })
    }

    fn last_sign_in_code(&self) -> (Channel, String) {
        self.inbox
            .iter()
            .rev()
            .find_map(|(channel, notice)| match notice {
                Notice::SignInCode { code, .. } => Some((*channel, code.clone())),
                _ => None,
            })
            .expect("a login confirmation code in the inbox")
    }

    fn until_password_chosen(&mut self) {
        self.ok(Command::StartAccount {
            email: Email::parse("camille.martin@exemple.fr").unwrap(),
        });
        let code = self.last_code(CodeKind::Email);
        self.ok(Command::ConfirmEmail { code });
        self.ok(Command::ChoosePassword {
            digest: PasswordDigest("$argon2id$test".into()),
        });
    }
}

#[test]
fn login_with_the_account_sends_a_code_by_sms_once_the_mobile_is_confirmed_and_leaves_the_step() {
    let mut sim = Sim::new(40);
    sim.until_identity_confirmed();
    let step = sim.journey.step();
    sim.sign_in(PasswordCheck::Matches).expect("right password");
    let (channel, code) = sim.last_sign_in_code();
    assert_eq!(channel, Channel::Sms, "a confirmed mobile gets the code by SMS");
    assert_eq!(code.len(), 4, "the SMS code has the app's SMS shape");
    sim.ok(Command::ConfirmSignIn { code });
    assert_eq!(
        sim.journey.step(),
        step,
        "the person continues where the account stands"
    );
    assert!(
        sim.journey.sign_in_state().is_idle(),
        "nothing is left to remember"
    );
}

#[test]
fn login_before_the_mobile_is_confirmed_sends_the_code_by_email() {
    let mut sim = Sim::new(41);
    sim.until_password_chosen();
    sim.sign_in(PasswordCheck::Matches).unwrap();
    let (channel, code) = sim.last_sign_in_code();
    assert_eq!(channel, Channel::Email);
    sim.ok(Command::ConfirmSignIn { code });
    assert_eq!(
        sim.journey.step(),
        Step::Mobile,
        "the mobile number is the next thing to give"
    );
}

#[test]
fn an_account_without_a_password_is_refused_as_wrong_credentials() {
    let mut sim = Sim::new(42);
    sim.ok(Command::StartAccount {
        email: Email::parse("camille.martin@exemple.fr").unwrap(),
    });
    assert_eq!(
        sim.sign_in(PasswordCheck::Matches),
        Err(JourneyError::WrongCredentials),
        "an unfinished account says the same as a wrong password"
    );
}

#[test]
fn the_fifth_wrong_password_locks_the_login_for_fifteen_minutes_even_for_the_right_one() {
    let mut sim = Sim::new(43);
    sim.until_password_chosen();
    for _ in 1..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
        assert_eq!(
            sim.sign_in(PasswordCheck::DoesNotMatch),
            Err(JourneyError::WrongCredentials)
        );
    }
    let until = sim.now + rules::SIGN_IN_LOCK;
    assert_eq!(
        sim.sign_in(PasswordCheck::DoesNotMatch),
        Err(JourneyError::AccountLocked { until })
    );
    assert_eq!(
        sim.sign_in(PasswordCheck::Matches),
        Err(JourneyError::AccountLocked { until }),
        "the right password does not open a locked login"
    );
    assert!(
        !sim.inbox
            .iter()
            .any(|(_, notice)| matches!(notice, Notice::SignInCode { .. })),
        "no code is sent while locked"
    );
    sim.wait(rules::SIGN_IN_LOCK);
    sim.sign_in(PasswordCheck::Matches)
        .expect("the lock ends after 15 minutes");
}

#[test]
fn a_right_password_resets_the_count_of_wrong_ones() {
    let mut sim = Sim::new(44);
    sim.until_password_chosen();
    for _ in 1..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
        let _ = sim.sign_in(PasswordCheck::DoesNotMatch);
    }
    sim.sign_in(PasswordCheck::Matches).unwrap();
    assert_eq!(
        sim.sign_in(PasswordCheck::DoesNotMatch),
        Err(JourneyError::WrongCredentials),
        "the count started again after the right password"
    );
}

#[test]
fn the_login_code_is_counted_expires_and_burns_like_the_other_codes() {
    let mut sim = Sim::new(45);
    sim.until_password_chosen();
    assert_eq!(
        sim.run(Command::ConfirmSignIn {
            code: "123456".into()
        }),
        Err(JourneyError::NoSignInPending),
        "no code is awaited before the password"
    );
    sim.sign_in(PasswordCheck::Matches).unwrap();
    let (_, right) = sim.last_sign_in_code();
    let wrong = if right == "000000" { "111111" } else { "000000" };
    assert_eq!(
        sim.run(Command::ConfirmSignIn { code: wrong.into() }),
        Err(JourneyError::CodeWrong {
            kind: CodeKind::Email,
            remaining: 2
        })
    );
    sim.wait(rules::EMAIL_CODE_VALIDITY);
    assert_eq!(
        sim.run(Command::ConfirmSignIn { code: right }),
        Err(JourneyError::CodeExpired(CodeKind::Email)),
        "an expired code is refused even when right"
    );
    sim.sign_in(PasswordCheck::Matches).unwrap();
    let (_, right) = sim.last_sign_in_code();
    for _ in 0..rules::MAX_CODE_ATTEMPTS {
        let _ = sim.run(Command::ConfirmSignIn { code: wrong.into() });
    }
    assert_eq!(
        sim.run(Command::ConfirmSignIn { code: right }),
        Err(JourneyError::CodeAttemptsExhausted(CodeKind::Email)),
        "three wrong codes burn it"
    );
}

#[test]
fn an_idle_login_state_is_not_stored_so_older_journeys_read_back_unchanged() {
    let mut sim = Sim::new(46);
    sim.until_password_chosen();
    let stored = serde_json::to_string(&sim.journey).unwrap();
    assert!(
        !stored.contains("sign_in"),
        "idle: absent from the stored form: {stored}"
    );
    let read: Journey = serde_json::from_str(&stored).unwrap();
    assert_eq!(read, sim.journey);
    sim.sign_in(PasswordCheck::Matches).unwrap();
    let stored = serde_json::to_string(&sim.journey).unwrap();
    let read: Journey = serde_json::from_str(&stored).unwrap();
    assert_eq!(read, sim.journey, "a pending login survives storage");
}
