//! Quick help staff give one learner from the console (issue 19): a new code, a way out of a
//! lock, their clock moved by a preset, or this learner put into a situation of the scenario
//! catalogue. What is offered is read from where the learner is (`Journey::situation`), never
//! from the page; each help is done through the journey's own commands (its limits kept) or the
//! learner's own clock, journaled as the trainer's, and refused when it does not apply.

use super::*;
use idn_journey::calendar::add_weekday_hours;
use idn_journey::codes::CodeKind;
use idn_journey::situation::{Blocker, Situation};
use idn_journey::verification::Identification;
use idn_journey::LockReason;

/// The service a login request put by staff comes from (the guides' example of a service).
const HELP_RELYING_PARTY: &str = "Mon Compte Formation";

/// The refusals a reviewer gives after looking at the photos and the video (the catalogue's
/// « identification refusée » scenarios): the others are decided from the typed data alone.
const REVIEW_REFUSALS: [RefusalReason; 6] = [
    RefusalReason::Glasses,
    RefusalReason::Blur,
    RefusalReason::Glare,
    RefusalReason::DocumentInSleeve,
    RefusalReason::DigitsInaudibleOrWrong,
    RefusalReason::FaceNotVisible,
];

/// The three ways of verifying an identity, each offered as a way out.
const VERIFICATION_MODES: [VerificationMode; 3] = [
    VerificationMode::FaceToFace,
    VerificationMode::Online,
    VerificationMode::ByPost,
];

/// One help a staff member may give a learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaffHelp {
    /// The code awaited again, through the journey's resend (its limits kept); a code expired
    /// or burned by wrong entries is unlocked this way, as the real service does.
    ResendCode,
    /// Out of the login lock after wrong passwords: the real service makes the person wait;
    /// staff move this learner's time to the lock's end.
    WaitOutSignInLock,
    /// Out of a locked or forgotten secret code: the identity verified again (the journey's way
    /// out: « vérifiez à nouveau votre identité »), in this mode, chosen for the learner.
    VerifyAgain(VerificationMode),
    /// This learner's clock moved by a preset.
    Clock(ClockPreset),
    /// This learner put into a situation of the catalogue.
    Situation(HelpSituation),
}

/// The one-click moves of a learner's clock, computed from their situation when applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockPreset {
    /// Just past the awaited code's expiry.
    PastCodeExpiry,
    /// 24 weekday hours: the longest an AR24 review takes.
    ReviewDelay,
    /// Just past the journey's next deadline (a letter's arrival, a login request's minute…).
    NextDeadline,
}

/// A situation of the scenario catalogue (`scenarios/*.toml`) reachable from where the learner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpSituation {
    /// The awaited code expires (`code-email-expire`, `code-sms-expire`…).
    CodeExpired,
    /// The identification under review is refused for this reason (`identification-refusee-…`).
    IdentificationRefused(RefusalReason),
    /// A FranceConnect+ login request waits on their phone.
    LoginRequest,
    /// A login request not approved within its minute (`validation-hors-delai`).
    LoginRequestExpired,
    /// The learner declared their secret code forgotten (`code-secret-oublie`).
    SecretCodeForgotten,
}

/// How the console groups the helps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelpGroup {
    CodeAndLocks,
    Clock,
    Situation,
}

/// A help offered for a learner, with its French wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpOffer {
    pub help: StaffHelp,
    pub group: HelpGroup,
    pub label: String,
    /// What it does, and where the sandbox chose the rule (« choix du bac à sable »).
    pub hint: String,
}

/// The offer to choose a verification mode again; online it says that the trainer accepts
/// AR24's terms in the learner's name (a sandbox choice: the learner ticks them in the app).
fn verify_again_label(mode: VerificationMode) -> String {
    let mode_fr = mode.label_fr().to_lowercase();
    match mode {
        VerificationMode::Online => format!(
            "Débloquer : refaire la vérification d'identité — {mode_fr} (conditions d'AR24 acceptées pour l'apprenant, choix du bac à sable)"
        ),
        VerificationMode::FaceToFace | VerificationMode::ByPost => {
            format!("Débloquer : refaire la vérification d'identité — {mode_fr}")
        }
    }
}

fn mode_code(mode: VerificationMode) -> &'static str {
    match mode {
        VerificationMode::FaceToFace => "face_a_face",
        VerificationMode::Online => "en_ligne",
        VerificationMode::ByPost => "par_courrier",
    }
}

impl StaffHelp {
    /// The stable code a form posts.
    pub fn code(self) -> String {
        match self {
            Self::ResendCode => "renvoyer_code".into(),
            Self::WaitOutSignInLock => "fin_blocage_connexion".into(),
            Self::VerifyAgain(mode) => format!("refaire_verification:{}", mode_code(mode)),
            Self::Clock(ClockPreset::PastCodeExpiry) => "horloge:expiration_code".into(),
            Self::Clock(ClockPreset::ReviewDelay) => "horloge:revue".into(),
            Self::Clock(ClockPreset::NextDeadline) => "horloge:prochaine_echeance".into(),
            Self::Situation(HelpSituation::CodeExpired) => "situation:code_expire".into(),
            Self::Situation(HelpSituation::IdentificationRefused(reason)) => {
                format!("situation:identification_refusee:{}", reason.code())
            }
            Self::Situation(HelpSituation::LoginRequest) => "situation:demande_de_connexion".into(),
            Self::Situation(HelpSituation::LoginRequestExpired) => "situation:validation_hors_delai".into(),
            Self::Situation(HelpSituation::SecretCodeForgotten) => "situation:code_secret_oublie".into(),
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        let mut known = vec![
            Self::ResendCode,
            Self::WaitOutSignInLock,
            Self::Clock(ClockPreset::PastCodeExpiry),
            Self::Clock(ClockPreset::ReviewDelay),
            Self::Clock(ClockPreset::NextDeadline),
            Self::Situation(HelpSituation::CodeExpired),
            Self::Situation(HelpSituation::LoginRequest),
            Self::Situation(HelpSituation::LoginRequestExpired),
            Self::Situation(HelpSituation::SecretCodeForgotten),
        ];
        known.extend(VERIFICATION_MODES.map(Self::VerifyAgain));
        known.extend(
            RefusalReason::ALL.map(|reason| Self::Situation(HelpSituation::IdentificationRefused(reason))),
        );
        known.into_iter().find(|help| help.code() == code)
    }

    /// What was done, in French, for the page after the form.
    pub fn done_fr(self) -> String {
        match self {
            Self::ResendCode => "un nouveau code a été envoyé à l'apprenant".into(),
            Self::WaitOutSignInLock => {
                "le temps de l'apprenant a passé la fin du blocage de connexion".into()
            }
            Self::VerifyAgain(mode) => format!(
                "la vérification d'identité est relancée ({})",
                mode.label_fr().to_lowercase()
            ),
            Self::Clock(ClockPreset::PastCodeExpiry) => {
                "le temps de l'apprenant a passé l'expiration du code".into()
            }
            Self::Clock(ClockPreset::ReviewDelay) => {
                "le temps de l'apprenant a avancé de 24 h ouvrées".into()
            }
            Self::Clock(ClockPreset::NextDeadline) => {
                "le temps de l'apprenant a passé la prochaine échéance".into()
            }
            Self::Situation(HelpSituation::CodeExpired) => "situation « code expiré » appliquée".into(),
            Self::Situation(HelpSituation::IdentificationRefused(reason)) => {
                format!("identification refusée ({})", reason.label_fr())
            }
            Self::Situation(HelpSituation::LoginRequest) => {
                "une demande de connexion attend l'apprenant sur son téléphone".into()
            }
            Self::Situation(HelpSituation::LoginRequestExpired) => {
                "situation « demande de connexion non validée dans la minute » appliquée".into()
            }
            Self::Situation(HelpSituation::SecretCodeForgotten) => {
                "situation « code secret oublié » appliquée".into()
            }
        }
    }

    /// The staff audit's action code for this help.
    pub fn audit_action(self) -> &'static str {
        match self {
            Self::ResendCode => "help_resend_code",
            Self::WaitOutSignInLock | Self::VerifyAgain(_) => "help_unlock",
            Self::Clock(_) => "help_clock",
            Self::Situation(_) => "help_situation",
        }
    }
}

/// How the awaited code comes again: the stage says which command asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeRenewal {
    /// « Renvoyer le code » (email, SMS, activation), with its resend limit.
    Resend(CodeKind),
    /// Face to face, the activation code comes again by choosing face to face again (002: it
    /// is sent when the person chooses face to face).
    ChooseFaceToFaceAgain,
}

fn renewal(journey: &Journey) -> Option<CodeRenewal> {
    match journey.stage() {
        Stage::EmailCode { .. } => Some(CodeRenewal::Resend(CodeKind::Email)),
        Stage::MobileCode { .. } => Some(CodeRenewal::Resend(CodeKind::Mobile)),
        Stage::Activation { .. } => Some(CodeRenewal::Resend(CodeKind::Activation)),
        Stage::FaceToFace { by_post: false, .. } => Some(CodeRenewal::ChooseFaceToFaceAgain),
        // The postal letter's code is not sent again: the person chooses a verification again
        // (offered as « refaire la vérification » once the code no longer works).
        Stage::FaceToFace { by_post: true, .. } => None,
        Stage::NotStarted
        | Stage::Password { .. }
        | Stage::Mobile { .. }
        | Stage::Profile { .. }
        | Stage::IdentityData { .. }
        | Stage::IdentityConfirmation { .. }
        | Stage::VerificationChoice { .. }
        | Stage::PostalLetter { .. }
        | Stage::Online { .. }
        | Stage::Enrolled { .. }
        | Stage::Locked { .. } => None,
    }
}

fn resend_label(kind: CodeKind) -> &'static str {
    match kind {
        CodeKind::Email => "le code par e-mail",
        CodeKind::Mobile => "le code par SMS",
        CodeKind::Activation => "le code d'activation",
    }
}

/// Rounded up to the second, so that a move lands past the instant, never on it.
fn past(instant: DateTime<Utc>, now: DateTime<Utc>) -> TimeDelta {
    TimeDelta::seconds((instant - now).num_seconds() + 1)
}

/// The helps that apply to a learner whose journey is `journey`, at their time `now`.
pub fn offers(journey: &Journey, now: DateTime<Utc>) -> Vec<HelpOffer> {
    let situation: Situation = journey.situation(now);
    let mut offers = Vec::new();
    let mut offer = |help, group, label: String, hint: &str| {
        offers.push(HelpOffer {
            help,
            group,
            label,
            hint: hint.to_owned(),
        })
    };
    if let Some(code) = &situation.code {
        let unusable = code.expired || code.attempts_left == 0;
        let resendable = match renewal(journey) {
            Some(CodeRenewal::Resend(kind)) => code.resends_left > 0 && kind == code.kind,
            Some(CodeRenewal::ChooseFaceToFaceAgain) => true,
            None => false,
        };
        if let (true, Some(renewal)) = (resendable, renewal(journey)) {
            let (label, hint) = match renewal {
                CodeRenewal::ChooseFaceToFaceAgain => (
                    format!(
                        "{} un nouveau code pour le guichet face à face",
                        if unusable { "Débloquer : envoyer" } else { "Envoyer" }
                    ),
                    "Comme l'apprenant le ferait dans l'application : il choisit à nouveau la vérification en face à face ; l'ancien code ne vaut plus.",
                ),
                CodeRenewal::Resend(kind) => (
                    format!(
                        "{} {}",
                        if unusable { "Débloquer : renvoyer" } else { "Renvoyer" },
                        resend_label(kind)
                    ),
                    "Le bouton « Renvoyer le code » de l'apprenant, avec ses limites : un renvoi de moins.",
                ),
            };
            offer(StaffHelp::ResendCode, HelpGroup::CodeAndLocks, label, hint);
        }
        if unusable && matches!(journey.stage(), Stage::FaceToFace { by_post: true, .. }) {
            for mode in VERIFICATION_MODES {
                offer(
                    StaffHelp::VerifyAgain(mode),
                    HelpGroup::CodeAndLocks,
                    verify_again_label(mode),
                    "Le code de la lettre ne vaut plus et n'est pas renvoyé : comme l'apprenant le ferait dans l'application, il choisit à nouveau un mode de vérification.",
                );
            }
        }
        if !code.expired {
            offer(
                StaffHelp::Clock(ClockPreset::PastCodeExpiry),
                HelpGroup::Clock,
                format!(
                    "Passer l'expiration du code (le {})",
                    idn_journey::local_time::in_sentence(code.expires_at)
                ),
                "Seul le temps de cet apprenant avance, jusque juste après l'expiration.",
            );
            offer(
                StaffHelp::Situation(HelpSituation::CodeExpired),
                HelpGroup::Situation,
                format!("Code expiré ({})", code.kind.label_fr()),
                "La situation du catalogue « code expiré » : l'apprenant voit le code refusé et doit en demander un nouveau.",
            );
        }
    }
    for blocker in &situation.blockers {
        match blocker {
            Blocker::AccountLoginLocked => offer(
                StaffHelp::WaitOutSignInLock,
                HelpGroup::CodeAndLocks,
                "Débloquer la connexion au compte : faire passer la fin du blocage".into(),
                "Ce blocage après trop de mots de passe incorrects se lève en attendant sa fin (choix du bac à sable : aucun guide ne décrit ce blocage ni sa durée). Seul le temps de cet apprenant avance, jusqu'à la fin du blocage.",
            ),
            Blocker::Locked(reason) => {
                let hint = match reason {
                    LockReason::SecretCodeForgotten => "Code secret oublié : l'apprenant doit vérifier à nouveau son identité pour en choisir un nouveau. Le bac à sable choisit ce mode pour lui (choix du bac à sable : aucun guide ne décrit cette reprise).",
                    LockReason::TooManySecretCodeFailures => "Code secret bloqué : l'apprenant doit vérifier à nouveau son identité pour en choisir un nouveau. Le bac à sable choisit ce mode pour lui (choix du bac à sable : aucun guide ne décrit ce blocage ni sa levée).",
                };
                for mode in VERIFICATION_MODES {
                    offer(
                        StaffHelp::VerifyAgain(mode),
                        HelpGroup::CodeAndLocks,
                        verify_again_label(mode),
                        hint,
                    );
                }
            }
            Blocker::ReviewPending => offer(
                StaffHelp::Clock(ClockPreset::ReviewDelay),
                HelpGroup::Clock,
                "+ 24 h ouvrées (revue)".into(),
                "Le plus long délai d'examen d'AR24 (24 heures hors week-end), compté depuis l'heure de cet apprenant.",
            ),
            Blocker::CodeExpired(_)
            | Blocker::CodeBurned(_)
            | Blocker::NoResendLeft(_)
            | Blocker::DocumentExpired
            | Blocker::IdentificationRefused(_)
            | Blocker::LoginRequestExpired => {}
        }
    }
    if let Some(deadline) = journey.next_deadline() {
        let is_code_expiry = situation
            .code
            .as_ref()
            .is_some_and(|code| code.expires_at == deadline);
        if deadline > now && !is_code_expiry {
            offer(
                StaffHelp::Clock(ClockPreset::NextDeadline),
                HelpGroup::Clock,
                format!(
                    "Jusqu'à la prochaine échéance (le {})",
                    idn_journey::local_time::in_sentence(deadline)
                ),
                "Ce qui devait arriver à cette heure arrive : examen décidé, lettre arrivée, demande expirée…",
            );
        }
    }
    match journey.stage() {
        Stage::Online { letter, .. }
            if matches!(letter.identification, Identification::UnderReview { .. }) =>
        {
            for reason in REVIEW_REFUSALS {
                offer(
                    StaffHelp::Situation(HelpSituation::IdentificationRefused(reason)),
                    HelpGroup::Situation,
                    format!("Identification refusée : {}", reason.label_fr()),
                    "Le relecteur AR24 refuse l'identification en cours ; l'apprenant reçoit le refus et peut la refaire.",
                );
            }
        }
        Stage::Enrolled { .. } => {
            offer(
                StaffHelp::Situation(HelpSituation::LoginRequest),
                HelpGroup::Situation,
                format!("Demande de connexion de « {HELP_RELYING_PARTY} » à valider"),
                "Comme si l'apprenant avait saisi son numéro sur FranceConnect+ : la demande arrive sur son téléphone, une minute pour la valider.",
            );
            offer(
                StaffHelp::Situation(HelpSituation::LoginRequestExpired),
                HelpGroup::Situation,
                "Demande de connexion non validée dans la minute".into(),
                "La situation du catalogue « validation hors délai » : une demande arrive, puis sa minute passe.",
            );
            offer(
                StaffHelp::Situation(HelpSituation::SecretCodeForgotten),
                HelpGroup::Situation,
                "Code secret oublié".into(),
                "Comme si l'apprenant avait choisi « Code secret oublié » : son identité est bloquée jusqu'à une nouvelle vérification.",
            );
        }
        // Nothing of the catalogue is put on a learner from these steps in one click: the
        // scenarios page creates such people from the start.
        Stage::NotStarted
        | Stage::EmailCode { .. }
        | Stage::Password { .. }
        | Stage::Mobile { .. }
        | Stage::Profile { .. }
        | Stage::MobileCode { .. }
        | Stage::IdentityData { .. }
        | Stage::IdentityConfirmation { .. }
        | Stage::VerificationChoice { .. }
        | Stage::FaceToFace { .. }
        | Stage::PostalLetter { .. }
        | Stage::Online { .. }
        | Stage::Activation { .. }
        | Stage::Locked { .. } => {}
    }
    offers
}

/// What a help did, for the page that follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelpDone {
    pub help: StaffHelp,
    /// The offer's wording when it was given.
    pub label: String,
}

impl World {
    /// The helps that apply to this learner now.
    pub async fn help_offers(&self, id: &str) -> Result<Vec<HelpOffer>, WorldError> {
        self.catch_up(id).await?;
        let loaded = self.store.read().await.learner(id)?;
        Ok(offers(
            &loaded.journey,
            crate::clock::learner_time(self.now(), loaded.clock_offset),
        ))
    }

    /// Gives `help` to this learner, when it applies to where they are (else refused, in French).
    pub async fn give_help(&self, id: &str, help: StaffHelp) -> Result<HelpDone, WorldError> {
        self.catch_up(id).await?;
        let loaded = self.store.read().await.learner(id)?;
        let now = crate::clock::learner_time(self.now(), loaded.clock_offset);
        let Some(offer) = offers(&loaded.journey, now)
            .into_iter()
            .find(|offer| offer.help == help)
        else {
            return Err(WorldError::bad_request(
                "help_not_applicable",
                "Cette aide ne s'applique pas à la situation actuelle de l'apprenant (elle a peut-être changé) : rechargez sa page pour voir les aides possibles.",
            ));
        };
        let situation = loaded.journey.situation(now);
        match help {
            StaffHelp::ResendCode => {
                let command = match renewal(&loaded.journey) {
                    Some(CodeRenewal::Resend(CodeKind::Email)) => Command::ResendEmailCode,
                    Some(CodeRenewal::Resend(CodeKind::Mobile)) => Command::ResendMobileCode,
                    Some(CodeRenewal::Resend(CodeKind::Activation)) => Command::ResendActivationCode,
                    Some(CodeRenewal::ChooseFaceToFaceAgain) => Command::ChooseVerification {
                        mode: VerificationMode::FaceToFace,
                        terms_accepted: false,
                    },
                    None => return Err(WorldError::Corrupt("a resend offered without a code".into())),
                };
                self.staff_command(id, command).await?;
            }
            StaffHelp::VerifyAgain(mode) => {
                // Online, the trainer ticks AR24's terms for the learner, as the label says.
                let command = Command::ChooseVerification {
                    mode,
                    terms_accepted: mode == VerificationMode::Online,
                };
                self.staff_command(id, command).await?;
            }
            StaffHelp::WaitOutSignInLock => {
                let until = loaded
                    .journey
                    .sign_in_state()
                    .locked_until(now)
                    .ok_or_else(|| WorldError::Corrupt("a lock's end offered without a lock".into()))?;
                self.advance_learner_clock(id, past(until, now)).await?;
            }
            StaffHelp::Clock(ClockPreset::PastCodeExpiry)
            | StaffHelp::Situation(HelpSituation::CodeExpired) => {
                let expires_at = situation
                    .code
                    .as_ref()
                    .map(|code| code.expires_at)
                    .ok_or_else(|| WorldError::Corrupt("an expiry offered without a code".into()))?;
                self.advance_learner_clock(id, past(expires_at, now)).await?;
            }
            StaffHelp::Clock(ClockPreset::ReviewDelay) => {
                self.advance_learner_clock(id, add_weekday_hours(now, 24) - now)
                    .await?;
            }
            StaffHelp::Clock(ClockPreset::NextDeadline) => {
                let deadline = loaded
                    .journey
                    .next_deadline()
                    .ok_or_else(|| WorldError::Corrupt("a deadline offered without one".into()))?;
                self.advance_learner_clock(id, past(deadline, now)).await?;
            }
            StaffHelp::Situation(HelpSituation::IdentificationRefused(reason)) => {
                self.transition(id, Actor::Trainer, "review_identification", move |_, _| {
                    Ok(Command::ReviewIdentification {
                        decision: ReviewDecision::Refused(reason),
                    })
                })
                .await?;
            }
            StaffHelp::Situation(HelpSituation::LoginRequest) => {
                self.open_own_login_request(id, HELP_RELYING_PARTY.to_owned())
                    .await?;
            }
            StaffHelp::Situation(HelpSituation::LoginRequestExpired) => {
                let request = self
                    .open_own_login_request(id, HELP_RELYING_PARTY.to_owned())
                    .await?;
                let learner_now = self.learner_clock(id).await?.now;
                self.advance_learner_clock(id, past(request.deadline, learner_now))
                    .await?;
            }
            StaffHelp::Situation(HelpSituation::SecretCodeForgotten) => {
                self.staff_command(id, Command::ForgetSecretCode).await?;
            }
        }
        Ok(HelpDone {
            help,
            label: offer.label,
        })
    }

    /// A journey command given by staff for the learner, journaled as the trainer's.
    async fn staff_command(&self, id: &str, command: Command) -> Result<LearnerView, WorldError> {
        let name = command.name();
        self.transition(id, Actor::Trainer, name, move |_, _| Ok(command))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn every_help_reads_back_from_its_form_code() {
        let helps = [
            StaffHelp::ResendCode,
            StaffHelp::WaitOutSignInLock,
            StaffHelp::VerifyAgain(VerificationMode::ByPost),
            StaffHelp::Clock(ClockPreset::ReviewDelay),
            StaffHelp::Situation(HelpSituation::IdentificationRefused(RefusalReason::Glare)),
            StaffHelp::Situation(HelpSituation::SecretCodeForgotten),
        ];
        for help in helps {
            assert_eq!(StaffHelp::from_code(&help.code()), Some(help), "{}", help.code());
        }
        assert_eq!(
            StaffHelp::from_code("tout_debloquer"),
            None,
            "no help outside the list"
        );
    }

    #[test]
    fn a_fresh_learner_is_offered_nothing() {
        assert!(offers(&Journey::default(), Utc::now()).is_empty());
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-03-02T09:00:00Z")
            .unwrap()
            .to_utc()
    }

    /// A journey past the email code and the password, then locked out of the app's login by
    /// wrong passwords.
    fn locked_out_of_sign_in() -> Journey {
        let mut journey = Journey::default();
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        journey
            .handle(
                Command::StartAccount {
                    email: Email::parse("a@simulation.example").unwrap(),
                },
                now(),
                &mut rng,
            )
            .unwrap();
        let Stage::EmailCode { code, .. } = journey.stage() else {
            panic!("at the emailed code");
        };
        let code = code.value().to_owned();
        journey
            .handle(Command::ConfirmEmail { code }, now(), &mut rng)
            .unwrap();
        journey
            .handle(
                Command::ChoosePassword {
                    digest: PasswordDigest("$argon2id$test".into()),
                },
                now(),
                &mut rng,
            )
            .unwrap();
        for _ in 0..rules::MAX_SIGN_IN_PASSWORD_FAILURES {
            let _ = journey.handle(
                Command::SignIn {
                    password: idn_journey::sign_in::PasswordCheck::DoesNotMatch,
                },
                now(),
                &mut rng,
            );
        }
        journey
    }

    #[test]
    fn a_login_locked_by_wrong_passwords_is_left_by_waiting_its_end_never_by_a_staff_override() {
        let journey = locked_out_of_sign_in();
        let helps: Vec<StaffHelp> = offers(&journey, now())
            .into_iter()
            .map(|offer| offer.help)
            .collect();
        assert!(helps.contains(&StaffHelp::WaitOutSignInLock), "{helps:?}");
        let offer = offers(&journey, now())
            .into_iter()
            .find(|offer| offer.help == StaffHelp::WaitOutSignInLock)
            .unwrap();
        assert!(
            offer.hint.contains("choix du bac à sable"),
            "the lock's length is the sandbox's: {}",
            offer.hint
        );
        let until = journey.sign_in_state().locked_until(now()).unwrap();
        let after = now() + past(until, now());
        assert!(
            journey.situation(after).blockers.is_empty(),
            "moved past the lock's end, the learner may log in again"
        );
        assert!(
            !offers(&journey, after)
                .iter()
                .any(|offer| offer.help == StaffHelp::WaitOutSignInLock),
            "once over, the lock is no longer offered"
        );
    }

    // ----- given through the world, on the journey as it is now (issue 18: SMS code after
    // « Créer mon compte », one activation code face to face) -----

    use crate::clock::SystemWallClock;

    async fn world() -> (tempfile::TempDir, World, String) {
        let dir = tempfile::tempdir().unwrap();
        let world = World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
            .await
            .unwrap();
        let id = world.create_learner("camille@exemple.fr").await.unwrap().id;
        (dir, world, id)
    }

    async fn codes(world: &World, id: &str, channel: MessageChannel) -> Vec<String> {
        world
            .inbox(id)
            .await
            .unwrap()
            .into_iter()
            .filter(|message| message.channel == channel)
            .filter_map(|message| message.code)
            .collect()
    }

    async fn act(world: &World, id: &str, action: LearnerAction) {
        world.act(id, action).await.unwrap();
    }

    /// Email code, password, mobile number and « Créer mon compte »: the SMS code is awaited.
    async fn at_sms_code(world: &World, id: &str) {
        let code = codes(world, id, MessageChannel::Email).await.pop().unwrap();
        act(world, id, LearnerAction::ConfirmEmail { code }).await;
        let password = "Simulation2026".into();
        act(world, id, LearnerAction::ChoosePassword { password }).await;
        let mobile = "+33639980077".into();
        act(world, id, LearnerAction::RegisterMobile { mobile }).await;
        act(
            world,
            id,
            LearnerAction::CompleteProfile {
                civility: api::Civility::Madame,
                first_name: "Camille".into(),
                last_name: "Martin".into(),
                terms_accepted: true,
                marketing_opt_in: false,
            },
        )
        .await;
    }

    /// The account and the identity confirmed: the learner chooses how to verify it.
    async fn at_verification_choice(world: &World, id: &str) {
        at_sms_code(world, id).await;
        let code = codes(world, id, MessageChannel::Sms).await.pop().unwrap();
        act(world, id, LearnerAction::ConfirmMobile { code }).await;
        let identity = api::IdentityForm {
            document_type: Some(api::DocumentKind::Cni),
            sex: Some(api::SexField::Female),
            given_names: vec!["Camille".into()],
            birth_name: "Martin".into(),
            usage_name: None,
            birth_date: "1985-02-11".into(),
            birth_country: "99100".into(),
            birth_commune: Some("Bastia".into()),
            birth_insee_code: Some("2B033".into()),
            nationality: "FRA".into(),
            issue_date: "2020-01-15".into(),
            expiry_date: "2034-01-14".into(),
            document_number_ending: "7K2P".into(),
        };
        act(world, id, LearnerAction::EnterIdentity(Box::new(identity))).await;
        act(world, id, LearnerAction::ConfirmIdentity).await;
    }

    async fn offered(world: &World, id: &str) -> Vec<StaffHelp> {
        let offers = world.help_offers(id).await.unwrap();
        offers.into_iter().map(|offer| offer.help).collect()
    }

    async fn step(world: &World, id: &str) -> String {
        world.learner(id).await.unwrap().step.code().to_owned()
    }

    #[tokio::test]
    async fn the_sms_code_sent_after_creer_mon_compte_is_resent_within_its_limit() {
        let (_dir, world, id) = world().await;
        at_sms_code(&world, &id).await;
        let offers = world.help_offers(&id).await.unwrap();
        let resend = offers
            .iter()
            .find(|offer| offer.help == StaffHelp::ResendCode)
            .expect("the SMS code awaited can be resent");
        assert_eq!(resend.label, "Renvoyer le code par SMS");
        let before = world.situation(&id).await.unwrap().pending_code.unwrap();
        assert_eq!(before.kind, "sms");

        world.give_help(&id, StaffHelp::ResendCode).await.unwrap();
        assert_eq!(
            codes(&world, &id, MessageChannel::Sms).await.len(),
            2,
            "a second SMS reached the learner"
        );
        let after = world.situation(&id).await.unwrap().pending_code.unwrap();
        assert_eq!(
            after.resends_left,
            before.resends_left - 1,
            "the journey's limit counts it"
        );
        let journal = world.journal(&id).await.unwrap();
        let line = journal.last().unwrap();
        assert_eq!(
            (line.actor.as_str(), line.action.as_str()),
            ("formateur", "resend_mobile_code")
        );
    }

    #[tokio::test]
    async fn face_to_face_a_new_activation_code_replaces_the_one_the_learner_lost() {
        let (_dir, world, id) = world().await;
        at_verification_choice(&world, &id).await;
        assert!(
            !offered(&world, &id).await.contains(&StaffHelp::ResendCode),
            "no code awaited at the choice"
        );
        act(
            &world,
            &id,
            LearnerAction::ChooseVerification {
                mode: api::VerificationMode::FaceToFace,
                terms_accepted: false,
            },
        )
        .await;
        let first = codes(&world, &id, MessageChannel::Sms).await.pop().unwrap();
        let offers = world.help_offers(&id).await.unwrap();
        let resend = offers
            .iter()
            .find(|offer| offer.help == StaffHelp::ResendCode)
            .expect("face to face, a new activation code can be sent");
        assert_eq!(
            resend.label,
            "Envoyer un nouveau code pour le guichet face à face"
        );

        world.give_help(&id, StaffHelp::ResendCode).await.unwrap();
        let second = codes(&world, &id, MessageChannel::Sms).await.pop().unwrap();
        assert_ne!(second, first, "a new code by SMS");
        assert_eq!(step(&world, &id).await, "face_to_face");
        assert_eq!(
            world.situation(&id).await.unwrap().pending_code.unwrap().kind,
            "activation",
            "face to face the one code is the activation code"
        );
        assert!(
            world.clerk_lookup(&second).await.is_ok(),
            "the clerk finds the new code"
        );
        assert!(
            world.clerk_lookup(&first).await.is_err(),
            "the old one no longer works"
        );
    }

    #[tokio::test]
    async fn a_postal_letter_arrives_in_one_click_and_once_its_code_expires_the_learner_verifies_again() {
        let (_dir, world, id) = world().await;
        at_verification_choice(&world, &id).await;
        act(
            &world,
            &id,
            LearnerAction::ChooseVerification {
                mode: api::VerificationMode::ByPost,
                terms_accepted: false,
            },
        )
        .await;
        let helps = offered(&world, &id).await;
        assert!(
            helps.contains(&StaffHelp::Clock(ClockPreset::NextDeadline)),
            "the letter's arrival is the next deadline: {helps:?}"
        );
        world
            .give_help(&id, StaffHelp::Clock(ClockPreset::NextDeadline))
            .await
            .unwrap();
        assert_eq!(
            codes(&world, &id, MessageChannel::Post).await.len(),
            1,
            "the letter with its code arrived"
        );
        let helps = offered(&world, &id).await;
        assert!(
            !helps.contains(&StaffHelp::ResendCode),
            "a letter's code is not sent again: {helps:?}"
        );
        assert!(helps.contains(&StaffHelp::Clock(ClockPreset::PastCodeExpiry)));
        assert!(
            !helps.iter().any(|help| matches!(help, StaffHelp::VerifyAgain(_))),
            "while the code works, nothing to unlock"
        );

        world
            .give_help(&id, StaffHelp::Clock(ClockPreset::PastCodeExpiry))
            .await
            .unwrap();
        let situation = world.situation(&id).await.unwrap();
        assert!(
            situation.pending_code.unwrap().expired,
            "the letter's code expired"
        );
        let helps = offered(&world, &id).await;
        assert!(
            helps.contains(&StaffHelp::VerifyAgain(VerificationMode::FaceToFace)),
            "an expired letter's code: verify again: {helps:?}"
        );
        world
            .give_help(&id, StaffHelp::VerifyAgain(VerificationMode::FaceToFace))
            .await
            .unwrap();
        assert_eq!(step(&world, &id).await, "face_to_face");
        let situation = world.situation(&id).await.unwrap();
        let code = situation.pending_code.unwrap();
        assert!(!code.expired, "a fresh activation code, by SMS");
        assert_eq!(
            codes(&world, &id, MessageChannel::Sms).await.len(),
            2,
            "the account's and the new one"
        );
    }

    #[tokio::test]
    async fn a_help_offered_before_is_refused_once_the_learner_moved_on() {
        let (_dir, world, id) = world().await;
        at_sms_code(&world, &id).await;
        let code = codes(&world, &id, MessageChannel::Sms).await.pop().unwrap();
        act(&world, &id, LearnerAction::ConfirmMobile { code }).await;
        let refused = world.give_help(&id, StaffHelp::ResendCode).await.unwrap_err();
        assert_eq!(refused.code(), "help_not_applicable");
        assert!(
            refused.message_fr().contains("ne s'applique pas"),
            "{}",
            refused.message_fr()
        );
        assert_eq!(
            codes(&world, &id, MessageChannel::Sms).await.len(),
            1,
            "nothing sent"
        );
    }

    /// Face to face validated by the clerk, then activated on a phone with the secret code 2580:
    /// the learner is enrolled.
    async fn enrolled(world: &World, id: &str) {
        use ed25519_dalek::Signer;
        at_verification_choice(world, id).await;
        act(
            world,
            id,
            LearnerAction::ChooseVerification {
                mode: api::VerificationMode::FaceToFace,
                terms_accepted: false,
            },
        )
        .await;
        let code = codes(world, id, MessageChannel::Sms).await.pop().unwrap();
        world
            .clerk_validate(api::ClerkValidation {
                code: code.clone(),
                document_type: api::DocumentKind::Cni,
                birth_name: "Martin".into(),
                birth_date: "1985-02-11".parse().unwrap(),
                document_number_ending: "7K2P".into(),
            })
            .await
            .unwrap();
        let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public_key = hex::encode(key.verifying_key().to_bytes());
        let device_id = "telephone-de-camille";
        let world_key = protocol::parse_public_key(&world.secrets.public_keys().hpke_public_key).unwrap();
        let context = protocol::activation_context(id, device_id, &public_key);
        let sealed =
            protocol::seal_secret_code(&world_key, "2580", &context, &mut ChaCha20Rng::seed_from_u64(9))
                .unwrap();
        let signature = key.sign(&protocol::activation_message(id, device_id, &public_key, &sealed));
        world
            .activate(
                id,
                ActivationRequest {
                    activation_code: code,
                    device_id: device_id.into(),
                    device_public_key: public_key,
                    sealed_secret_code: sealed,
                    signature: hex::encode(signature.to_bytes()),
                },
            )
            .await
            .unwrap();
        assert_eq!(step(world, id).await, "enrolled");
    }

    #[tokio::test]
    async fn an_enrolled_learner_gets_a_login_request_or_one_left_to_expire_in_one_click() {
        let (_dir, world, id) = world().await;
        enrolled(&world, &id).await;
        let helps = offered(&world, &id).await;
        for help in [
            StaffHelp::Situation(HelpSituation::LoginRequest),
            StaffHelp::Situation(HelpSituation::LoginRequestExpired),
            StaffHelp::Situation(HelpSituation::SecretCodeForgotten),
        ] {
            assert!(helps.contains(&help), "enrolled: {help:?} in {helps:?}");
        }
        assert!(
            !helps.contains(&StaffHelp::ResendCode)
                && !helps.iter().any(|help| matches!(help, StaffHelp::VerifyAgain(_))),
            "no code awaited, nothing locked: {helps:?}"
        );

        world
            .give_help(&id, StaffHelp::Situation(HelpSituation::LoginRequest))
            .await
            .unwrap();
        let pending = world.pending_login_requests(&id).await.unwrap();
        assert_eq!(pending.len(), 1, "a request waits on the learner's phone");
        assert_eq!(pending[0].relying_party, HELP_RELYING_PARTY);
        assert!(
            offered(&world, &id)
                .await
                .contains(&StaffHelp::Clock(ClockPreset::NextDeadline)),
            "its minute is the next deadline"
        );

        world
            .give_help(&id, StaffHelp::Situation(HelpSituation::LoginRequestExpired))
            .await
            .unwrap();
        assert!(
            world.pending_login_requests(&id).await.unwrap().is_empty(),
            "both requests' minute passed: none waits any more"
        );
        let request = world.login_request(&pending[0].request_id).await.unwrap();
        assert_eq!(request.status, "expired");
    }

    #[tokio::test]
    async fn a_forgotten_secret_code_locks_the_identity_and_the_way_out_is_verifying_it_again() {
        let (_dir, world, id) = world().await;
        enrolled(&world, &id).await;
        world
            .give_help(&id, StaffHelp::Situation(HelpSituation::SecretCodeForgotten))
            .await
            .unwrap();
        assert_eq!(step(&world, &id).await, "locked");
        let offers = world.help_offers(&id).await.unwrap();
        let ways_out: Vec<&HelpOffer> = offers
            .iter()
            .filter(|offer| matches!(offer.help, StaffHelp::VerifyAgain(_)))
            .collect();
        assert_eq!(ways_out.len(), 3, "each verification mode: {offers:?}");
        assert!(ways_out
            .iter()
            .all(|offer| offer.hint.contains("choix du bac à sable")));
        let online = ways_out
            .iter()
            .find(|offer| offer.help == StaffHelp::VerifyAgain(VerificationMode::Online))
            .unwrap();
        assert!(
            online
                .label
                .contains("conditions d'AR24 acceptées pour l'apprenant"),
            "the trainer knows they accept AR24's terms for the learner: {}",
            online.label
        );
        assert!(
            !offers
                .iter()
                .any(|offer| offer.help == StaffHelp::Situation(HelpSituation::LoginRequest)),
            "a locked identity gets no login request"
        );

        world
            .give_help(&id, StaffHelp::VerifyAgain(VerificationMode::Online))
            .await
            .unwrap();
        assert_eq!(
            step(&world, &id).await,
            "registered_letter",
            "AR24's letter is on its way"
        );
        let journal = world.journal(&id).await.unwrap();
        let line = journal.last().unwrap();
        assert_eq!(
            (line.actor.as_str(), line.action.as_str()),
            ("formateur", "choose_verification")
        );
    }
}
