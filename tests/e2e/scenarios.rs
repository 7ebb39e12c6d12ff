//! Every scenario of the catalogue applied as a support agent does (`idn scenario apply NAME
//! --data-dir DIR`, a real process and a fresh world per scenario), then the world reopened and
//! read through its public API: the learner must stand exactly in the promised situation — the
//! step, and what the person notices (the code refused as expired, the message in spam, the
//! refusal's reason, the attempts left, the lock…). Then: the same seed and scenario give the
//! same exported journal byte for byte, `idn replay` finds no divergence in it and points at the
//! first line of a tampered one, and an exported situation re-applies elsewhere.

use idn_api::Credential;
use idn_api::{
    ClerkValidation, DocumentKind, InboxMessage, JournalEntry, LearnerAction, LearnerView, MessageChannel,
};
use idn_device::{Device, KeyringVault, WorldClient};
use idn_e2e::{idn_binary, refusal_code};
use idn_world::{RunningWorld, WorldOptions};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Every scenario this file checks; `every_catalogued_scenario_is_checked_here` keeps it equal
/// to the catalogue.
const CHECKED: [&str; 39] = [
    "code-email-non-recu",
    "code-email-expire",
    "code-email-errone",
    "code-email-trop-d-essais",
    "code-email-dans-les-spams",
    "code-sms-non-recu",
    "code-sms-expire",
    "code-sms-errone",
    "courrier-ar24-dans-les-spams",
    "identite-confirmee-avec-une-faute",
    "piece-expiree",
    "mineur",
    "code-face-a-face-expire",
    "identification-refusee-lunettes",
    "identification-refusee-flou",
    "identification-refusee-reflet",
    "identification-refusee-etui",
    "identification-refusee-chiffres",
    "identification-refusee-visage-non-visible",
    "identification-en-cours-d-examen",
    "code-activation-errone",
    "code-activation-expire",
    "code-secret-oublie",
    "code-secret-bloque",
    "validation-hors-delai",
    "validation-depuis-un-autre-telephone",
    "mauvais-numero-sur-franceconnect",
    "camera-absente",
    "camera-refusee",
    "micro-absent",
    "micro-refuse",
    "envoi-interrompu",
    "parcours-complet-titre-de-sejour",
    "parcours-complet-passeport-par-courrier",
    "identification-refusee-au-bureau-d-examen-etui",
    "identification-en-attente-au-bureau-d-examen",
    "refus-au-guichet",
    "validation-au-guichet-apres-un-refus",
    "numero-deja-utilise-par-une-autre-identite",
];

fn idn(args: &[&str]) -> std::process::Output {
    Command::new(idn_binary()).args(args).output().expect("idn runs")
}

/// `idn` presenting `token` to the world (`IDN_TOKEN`): a learner's, or a trainer's.
fn idn_as(token: &str, args: &[&str]) -> std::process::Output {
    Command::new(idn_binary())
        .env("IDN_TOKEN", token)
        .args(args)
        .output()
        .expect("idn runs")
}

/// A trainer's API token for `world`, made on the world's machine (`idn staff token create`).
async fn trainer_token_of(world: &RunningWorld) -> String {
    idn_e2e::trainer_of(world)
        .await
        .credential()
        .expect("a trainer's token")
        .expose()
        .to_owned()
}

/// The learner's account credential a scenario's report gives (`credential.token`).
fn learner_token(applied: &Value) -> String {
    applied["credential"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("the report gives the learner's credential: {applied}"))
        .to_owned()
}

/// A learner brought to a scenario's situation, with the world reopened to look at them.
struct Landed {
    applied: Value,
    world: RunningWorld,
    /// The world as the learner: the account credential the scenario's report gave.
    learner: WorldClient,
    /// The world as a trainer (the support reading, the clerk's desk, a relying party).
    trainer: WorldClient,
    id: String,
    view: LearnerView,
    inbox: Vec<InboxMessage>,
    journal: Vec<JournalEntry>,
    dir: tempfile::TempDir,
}

impl Landed {
    /// The refusal the world gives when `action` is tried now: what the person would see.
    async fn refusal_of(&self, action: LearnerAction) -> String {
        match self.learner.act(&self.id, &action).await {
            Ok(view) => panic!("{action:?} should be refused, the learner went to {}", view.step),
            Err(error) => refusal_code(error),
        }
    }

    fn last_code(&self, channel: MessageChannel) -> Option<String> {
        self.inbox
            .iter()
            .rev()
            .filter(|message| message.channel == channel)
            .find_map(|message| message.code.clone())
    }

    fn last_outcome(&self, action: &str) -> &JournalEntry {
        self.journal
            .iter()
            .rev()
            .find(|entry| entry.action == action)
            .unwrap_or_else(|| panic!("no {action} in the journal: {:#?}", self.journal))
    }

    /// The blockers the report gives, as the world's situation reads them.
    fn blockers(&self) -> Vec<&str> {
        self.applied["blockers"]
            .as_array()
            .expect("blockers listed")
            .iter()
            .map(|blocker| blocker["code"].as_str().unwrap())
            .collect()
    }

    fn attempts_left(&self) -> u64 {
        self.applied["pending_code"]["attempts_left"]
            .as_u64()
            .expect("a code is awaited")
    }

    /// `GET /api/learners/{id}/situation`, the support agent's reading.
    async fn situation(&self) -> Value {
        let situation = self.trainer.situation(&self.id).await.unwrap();
        serde_json::to_value(situation).unwrap()
    }

    /// The phone that holds the learner's identity (`telephone-N` under `devices`, the one the
    /// world knows as the learner's device), opened with the OS keyring its keys and device
    /// credential were kept in (`apply_keeping_phones`).
    fn identity_phone(&self) -> Device {
        let enrolled = self.view.device_id.as_deref().expect("an activated phone");
        let devices = self.dir.path().join("devices");
        let folder = std::fs::read_dir(&devices)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|folder| {
                idn_device::DeviceProfile::read(folder)
                    .ok()
                    .flatten()
                    .is_some_and(|profile| profile.device_id == enrolled)
            })
            .unwrap_or_else(|| panic!("no phone of {} holds device {enrolled}", devices.display()));
        open_phone(&folder, &self.learner)
    }

    fn refusals(&self) -> Vec<&str> {
        self.applied["refusals"]
            .as_array()
            .expect("refusals listed")
            .iter()
            .map(|refusal| refusal["code"].as_str().unwrap())
            .collect()
    }

    /// The learner's own time: scenarios move their learner's clock, not the class's.
    async fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.learner.learner_clock(&self.id).await.unwrap().now
    }

    async fn close(self) {
        self.world.stop().await;
        drop(self.dir);
    }
}

async fn reopen(dir: &Path) -> (RunningWorld, WorldClient) {
    let world = RunningWorld::start_with(
        WorldOptions::new(dir.join("world")),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .expect("the scenario's world reopens");
    let client = WorldClient::new(world.base_url());
    (world, client)
}

/// A scenario's phone in `folder`, its keys and credential in the OS keyring, on `world`.
fn open_phone(folder: &Path, world: &WorldClient) -> Device {
    let vault = KeyringVault::open().expect("the OS keyring (run under a D-Bus session, or keyutils)");
    Device::open(folder, world.anonymous(), std::sync::Arc::new(vault)).expect("the scenario's phone opens")
}

/// `idn scenario apply NAME` in a fresh world; fails the test unless the learner is on `reach`.
async fn apply(name: &str, reach: &str) -> Landed {
    apply_with_vault(name, reach, "memoire").await
}

/// As `apply`, with the scenario's phones keeping their keys and device credential in the OS
/// keyring, for a test to look at the learner's logins from the phone, the one place they show.
async fn apply_keeping_phones(name: &str, reach: &str) -> Landed {
    apply_with_vault(name, reach, "keyring").await
}

async fn apply_with_vault(name: &str, reach: &str, vault: &str) -> Landed {
    let dir = tempfile::tempdir().unwrap();
    let output = idn(&[
        "scenario",
        "apply",
        name,
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--vault",
        vault,
        "--json",
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{name}: idn scenario apply failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let applied: Value = serde_json::from_str(&stdout).expect("JSON report");
    let id = applied["learner_id"].as_str().expect("learner id").to_owned();
    let (world, client) = reopen(dir.path()).await;
    let learner = client.with_credential(Credential::new(learner_token(&applied)));
    let trainer = idn_e2e::trainer_of(&world).await;
    let view = learner.learner(&id).await.unwrap();
    assert_eq!(
        view.step, reach,
        "{name}: the learner stands on the promised step"
    );
    assert_eq!(
        applied["step"], reach,
        "{name}: the report says where the learner is"
    );
    assert!(
        applied["explanation"]
            .as_str()
            .is_some_and(|text| text.len() > 40),
        "{name}: the agent gets an explanation to give"
    );
    let inbox = learner.inbox(&id).await.unwrap();
    let journal = learner.journal(&id).await.unwrap();
    Landed {
        applied,
        world,
        learner,
        trainer,
        id,
        view,
        inbox,
        journal,
        dir,
    }
}

#[test]
fn every_catalogued_scenario_is_checked_here() {
    let output = idn(&["scenario", "list", "--json"]);
    assert!(output.status.success());
    let listed: Vec<Value> = serde_json::from_slice(&output.stdout).expect("JSON list");
    let mut names: Vec<&str> = listed.iter().map(|s| s["name"].as_str().unwrap()).collect();
    for scenario in &listed {
        for field in [
            "title",
            "situation",
            "reach",
            "reach_label",
            "persona",
            "explanation",
        ] {
            assert!(
                scenario[field].as_str().is_some_and(|text| !text.is_empty()),
                "{} lists its {field}",
                scenario["name"]
            );
        }
    }
    names.sort_unstable();
    let mut checked = CHECKED.to_vec();
    checked.sort_unstable();
    assert_eq!(
        names, checked,
        "each scenario of the catalogue has its landing test below"
    );
}

// ----- account codes and messages -----

#[tokio::test(flavor = "multi_thread")]
async fn email_code_not_received_leaves_the_inbox_empty_until_a_resend() {
    let landed = apply("code-email-non-recu", "email_code").await;
    assert!(
        landed.inbox.is_empty(),
        "the person received nothing: {:#?}",
        landed.inbox
    );
    assert_eq!(
        landed.journal[0].actor, "formateur",
        "the planned loss is journaled"
    );
    assert_eq!(
        landed.situation().await["withheld_messages"],
        1,
        "the agent sees one lost email"
    );
    landed
        .learner
        .act(&landed.id, &LearnerAction::ResendEmailCode)
        .await
        .unwrap();
    let inbox = landed.learner.inbox(&landed.id).await.unwrap();
    assert!(
        inbox.iter().any(|m| m.code.is_some()),
        "« Renvoyer le code » brings a code"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_email_code_is_refused_as_expired() {
    let landed = apply("code-email-expire", "email_code").await;
    assert_eq!(landed.blockers(), ["code_expired:email"]);
    let code = landed.last_code(MessageChannel::Email).expect("the code arrived");
    assert_eq!(
        landed.refusal_of(LearnerAction::ConfirmEmail { code }).await,
        "code_expired"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mistyped_email_code_leaves_two_attempts_and_the_right_code_still_works() {
    let landed = apply("code-email-errone", "email_code").await;
    assert_eq!(landed.attempts_left(), 2);
    assert!(landed.blockers().is_empty(), "the code still works");
    let wrong = landed.last_outcome("confirm_email");
    assert_eq!(wrong.outcome, "code_wrong");
    assert!(
        wrong.message.as_deref().unwrap_or_default().contains("2 essais"),
        "the person read how many tries are left: {:?}",
        wrong.message
    );
    let code = landed.last_code(MessageChannel::Email).unwrap();
    let view = landed
        .learner
        .act(&landed.id, &LearnerAction::ConfirmEmail { code })
        .await
        .unwrap();
    assert_eq!(view.step, "password");
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn three_wrong_email_codes_burn_the_code() {
    let landed = apply("code-email-trop-d-essais", "email_code").await;
    assert_eq!(
        landed.refusals(),
        ["code_wrong", "code_wrong", "code_attempts_exhausted"]
    );
    assert_eq!(landed.blockers(), ["code_attempts_exhausted:email"]);
    assert_eq!(landed.attempts_left(), 0);
    let code = landed.last_code(MessageChannel::Email).unwrap();
    assert_eq!(
        landed.refusal_of(LearnerAction::ConfirmEmail { code }).await,
        "code_attempts_exhausted",
        "even the right code is refused now"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn email_code_in_spam_is_in_the_spam_folder_and_still_valid() {
    let landed = apply("code-email-dans-les-spams", "email_code").await;
    let message = landed
        .inbox
        .iter()
        .find(|m| m.code.is_some())
        .expect("the code was sent");
    assert_eq!(message.folder, "spam");
    let code = message.code.clone().unwrap();
    let view = landed
        .learner
        .act(&landed.id, &LearnerAction::ConfirmEmail { code })
        .await
        .unwrap();
    assert_eq!(view.step, "password", "the code found in spam works");
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sms_code_not_received_leaves_no_sms() {
    let landed = apply("code-sms-non-recu", "mobile_code").await;
    assert_eq!(landed.situation().await["withheld_messages"], 1);
    assert!(
        landed.inbox.iter().all(|m| m.channel != MessageChannel::Sms),
        "no SMS reached the phone: {:#?}",
        landed.inbox
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_sms_code_is_refused_as_expired() {
    let landed = apply("code-sms-expire", "mobile_code").await;
    assert_eq!(landed.blockers(), ["code_expired:sms"]);
    let code = landed.last_code(MessageChannel::Sms).expect("the SMS arrived");
    assert_eq!(
        landed.refusal_of(LearnerAction::ConfirmMobile { code }).await,
        "code_expired"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn mistyped_sms_code_leaves_two_attempts() {
    let landed = apply("code-sms-errone", "mobile_code").await;
    assert_eq!(landed.attempts_left(), 2);
    let wrong = landed.last_outcome("confirm_mobile");
    assert_eq!(wrong.outcome, "code_wrong");
    assert!(wrong.message.as_deref().unwrap_or_default().contains("2 essais"));
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_number_already_enrolled_on_another_identity_is_refused_and_can_be_changed() {
    let landed = apply_keeping_phones("numero-deja-utilise-par-une-autre-identite", "mobile_code").await;
    assert_eq!(landed.refusals(), ["mobile_already_enrolled"]);
    let refused = landed.last_outcome("confirm_mobile");
    assert_eq!(refused.outcome, "mobile_already_enrolled");
    assert!(
        refused
            .message
            .as_deref()
            .unwrap_or_default()
            .contains("une seule Identité Numérique"),
        "the journal keeps the French reason for support agents"
    );
    assert_eq!(
        landed.attempts_left(),
        3,
        "the code was right: no attempt is spent"
    );
    let mobile = landed.applied["mobile"].as_str().unwrap().to_owned();
    let holder = landed
        .trainer
        .open_login_request(&mobile, "Mon Compte Formation")
        .await
        .expect("the number's identity is another learner's, enrolled");
    // The holder's phone (`titulaire` in the devices folder) is asked; the learner, who has no
    // phone of their own yet, has nothing in their journal about it.
    let holders_phone = open_phone(
        &landed
            .dir
            .path()
            .join("devices")
            .join("titulaire")
            .join("telephone-1"),
        &landed.learner,
    );
    assert!(
        holders_phone
            .pending_requests()
            .await
            .unwrap()
            .iter()
            .any(|request| request.request_id == holder.request_id),
        "the login with the number waits on its holder's phone"
    );
    assert_eq!(landed.view.device_id, None, "the learner has no activated phone");
    assert!(
        landed
            .learner
            .journal(&landed.id)
            .await
            .unwrap()
            .iter()
            .all(|entry| entry.action != "open_login_request"),
        "logins with the number reach its holder only"
    );
    landed
        .learner
        .act(
            &landed.id,
            &LearnerAction::RegisterMobile {
                mobile: "+33639980999".into(),
            },
        )
        .await
        .unwrap();
    let code = landed.learner.inbox(&landed.id).await.unwrap();
    let code = code
        .iter()
        .rev()
        .find_map(|message| (message.channel == MessageChannel::Sms).then(|| message.code.clone()))
        .flatten()
        .unwrap();
    assert_eq!(
        landed
            .learner
            .act(&landed.id, &LearnerAction::ConfirmMobile { code })
            .await
            .unwrap()
            .step,
        "identity_data",
        "with a number of their own the account goes on"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn ar24_email_in_spam_leaves_the_letter_unopened() {
    let landed = apply("courrier-ar24-dans-les-spams", "registered_letter").await;
    let ar24 = landed
        .inbox
        .iter()
        .find(|m| m.action == Some(idn_api::MessageAction::ReadLetter))
        .expect("AR24's notification was sent");
    assert!(ar24.sender.contains("AR24"));
    assert_eq!(ar24.folder, "spam");
    assert!(ar24.link.is_some(), "« Lire mon courrier » is in the email");
    let letter = landed.view.registered_letter.as_ref().unwrap();
    assert!(!letter.opened, "the person has not found the letter yet");
    landed.close().await;
}

// ----- identity -----

#[tokio::test(flavor = "multi_thread")]
async fn identity_confirmed_with_a_typo_cannot_be_changed_and_the_clerk_refuses_it() {
    let landed = apply("identite-confirmee-avec-une-faute", "verification_choice").await;
    let identity = landed.view.identity.as_ref().unwrap();
    assert_eq!(identity.birth_name, "Lefevre", "the typo is what was confirmed");
    let situation = landed.situation().await;
    assert_eq!(situation["identity"]["birth_name"], "Lefevre");
    assert_eq!(
        situation["identity"]["birth_insee_code"], "2B033",
        "the rest as typed"
    );
    assert!(landed.view.identity_confirmed);
    let mut corrected = idn_e2e::identity();
    corrected.birth_name = "Lefèvre".into();
    assert_eq!(
        landed
            .refusal_of(LearnerAction::EnterIdentity(Box::new(corrected)))
            .await,
        "identity_already_confirmed"
    );
    landed
        .learner
        .act(
            &landed.id,
            &LearnerAction::ChooseVerification {
                mode: idn_api::VerificationMode::FaceToFace,
                terms_accepted: false,
            },
        )
        .await
        .unwrap();
    let code = landed.learner.inbox(&landed.id).await.unwrap();
    let code = code.iter().rev().find_map(|m| m.code.clone()).unwrap();
    let refused = landed
        .trainer
        .clerk_validate(&ClerkValidation {
            code,
            document_type: DocumentKind::Cni,
            birth_name: "Lefèvre".into(),
            birth_date: "1985-02-11".parse().unwrap(),
            document_number_ending: "7K2P".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        refusal_code(refused),
        "document_mismatch",
        "the real document does not match"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn expired_document_is_refused_at_the_identity_form() {
    let landed = apply("piece-expiree", "identity_data").await;
    assert_eq!(landed.last_outcome("enter_identity").outcome, "document_expired");
    assert!(landed.view.identity.is_none(), "nothing was kept");
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_minor_is_refused_at_the_identity_form() {
    let landed = apply("mineur", "identity_data").await;
    let refused = landed.last_outcome("enter_identity");
    assert_eq!(refused.outcome, "underage");
    assert!(refused.message.as_deref().unwrap_or_default().contains("18 ans"));
    landed.close().await;
}

// ----- verification -----

#[tokio::test(flavor = "multi_thread")]
async fn face_to_face_code_after_fifteen_days_is_refused_at_the_counter() {
    let landed = apply("code-face-a-face-expire", "face_to_face").await;
    assert_eq!(landed.blockers(), ["code_expired:activation"]);
    let valid_until = landed.view.face_to_face.as_ref().unwrap().valid_until;
    assert!(valid_until <= landed.now().await, "the 15 days are over");
    let code = landed.last_code(MessageChannel::Sms).unwrap();
    let refused = landed
        .trainer
        .clerk_validate(&ClerkValidation {
            code,
            document_type: DocumentKind::Cni,
            birth_name: "El Amrani".into(),
            birth_date: "1983-06-30".parse().unwrap(),
            document_number_ending: "9H3D".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(refusal_code(refused), "code_expired");
    landed.close().await;
}

/// The letter shows the refusal's reason, one refusal, and the identification can be redone.
async fn refused_for(name: &str, reason: &str) {
    let landed = apply(name, "identification_refused").await;
    let letter = landed.view.registered_letter.as_ref().unwrap();
    assert_eq!(letter.refusal_reason.as_deref(), Some(reason), "{name}");
    assert_eq!(
        landed.blockers(),
        [format!("identification_refused:{reason}")],
        "{name}"
    );
    assert!(letter.refusal_reason_label.is_some());
    assert_eq!(letter.refusals, 1);
    assert!(
        landed
            .inbox
            .iter()
            .any(|m| m.body.contains(letter.refusal_reason_label.as_deref().unwrap())),
        "{name}: the refusal email states the reason"
    );
    let redo = landed
        .learner
        .act(&landed.id, &LearnerAction::StartVisualIdentification)
        .await
        .unwrap();
    assert_eq!(redo.step, "visual_identification", "{name}: ready to redo");
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identification_refused_for_glasses() {
    refused_for("identification-refusee-lunettes", "lunettes").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identification_refused_for_blur() {
    refused_for("identification-refusee-flou", "flou").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identification_refused_for_glare() {
    refused_for("identification-refusee-reflet", "reflet").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identification_refused_for_a_sleeve() {
    refused_for("identification-refusee-etui", "piece_dans_un_etui").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identification_refused_for_inaudible_digits() {
    refused_for(
        "identification-refusee-chiffres",
        "chiffres_inaudibles_ou_errones",
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn identification_refused_for_a_face_out_of_view() {
    refused_for("identification-refusee-visage-non-visible", "visage_non_visible").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn review_still_pending_has_a_deadline_ahead() {
    let landed = apply("identification-en-cours-d-examen", "review").await;
    assert_eq!(landed.blockers(), ["review_pending"]);
    let letter = landed.view.registered_letter.as_ref().unwrap();
    let deadline = letter.review_deadline.expect("the 24 weekday hours are shown");
    let now = landed.now().await;
    assert!(deadline > now, "the review is still within its time");
    assert!(
        landed.view.next_deadline.is_some_and(|decision| decision > now),
        "no decision yet"
    );
    landed.close().await;
}

// ----- decisions at the console's desks -----

#[tokio::test(flavor = "multi_thread")]
async fn refused_at_the_review_desk_for_a_sleeve_is_the_reviewers_decision() {
    let landed = apply(
        "identification-refusee-au-bureau-d-examen-etui",
        "identification_refused",
    )
    .await;
    let letter = landed.view.registered_letter.as_ref().unwrap();
    assert_eq!(letter.refusal_reason.as_deref(), Some("piece_dans_un_etui"));
    assert_eq!(landed.blockers(), ["identification_refused:piece_dans_un_etui"]);
    let label = letter.refusal_reason_label.as_deref().unwrap();
    assert!(
        landed.inbox.iter().any(|m| m.body.contains(label)),
        "the refusal email states the reason"
    );
    let decision = landed.last_outcome("review_identification");
    assert_eq!(decision.actor, "relecteur", "decided at the review desk");
    assert!(
        decision
            .message
            .as_deref()
            .is_some_and(|text| text.contains(label)),
        "the journal says the reviewer's reason: {decision:?}"
    );
    let desk = landed.last_outcome("plan_review");
    assert!(
        desk.message
            .as_deref()
            .is_some_and(|text| text.contains("revue manuelle")),
        "put on the review desk before submitting: {desk:?}"
    );
    assert_eq!(desk.step_before, "visual_identification");
    assert!(
        !landed
            .journal
            .iter()
            .any(|entry| entry.action == "advance_learner_clock" || entry.action == "time_passed"),
        "nobody waited for an automatic review"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn waiting_at_the_review_desk_is_never_decided_by_the_clock() {
    let landed = apply("identification-en-attente-au-bureau-d-examen", "review").await;
    assert_eq!(landed.blockers(), ["review_pending"]);
    assert_eq!(
        landed.view.next_deadline, None,
        "no automatic decision is scheduled"
    );
    landed
        .trainer
        .advance_learner_clock(&landed.id, 30 * 86_400)
        .await
        .expect("the trainer moves the learner's time 30 days on");
    let view = landed.learner.learner(&landed.id).await.unwrap();
    assert_eq!(view.step, "review", "30 days later it still waits for a reviewer");
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn refused_at_the_clerks_desk_the_code_stays_valid() {
    let landed = apply("refus-au-guichet", "face_to_face").await;
    assert_eq!(landed.refusals(), ["piece_differente"]);
    let refusal = landed.last_outcome("clerk_refuse");
    assert_eq!(refusal.actor, "guichet");
    assert!(refusal
        .message
        .as_deref()
        .is_some_and(|text| text.contains("piece_differente") && text.contains("reste valable")));
    assert!(
        !landed
            .journal
            .iter()
            .any(|entry| entry.action == "clerk_validate"),
        "sent away, not validated"
    );
    // The person comes back with the declared document: the same code validates.
    let persona = idn_scenario::persona::named("jean-edouard-lefevre").unwrap();
    let code = landed.last_code(MessageChannel::Sms).unwrap();
    let view = landed
        .trainer
        .clerk_validate(&ClerkValidation {
            code,
            document_type: DocumentKind::Cni,
            birth_name: persona.identity.birth_name.clone(),
            birth_date: persona.identity.birth_date.parse().unwrap(),
            document_number_ending: persona.identity.document_number_ending.clone(),
        })
        .await
        .unwrap();
    assert_eq!(view.step, "activation");
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn validated_at_the_clerks_desk_after_a_first_refusal() {
    let landed = apply("validation-au-guichet-apres-un-refus", "activation").await;
    assert_eq!(landed.refusals(), ["piece_expiree"]);
    let desk: Vec<(&str, &str)> = landed
        .journal
        .iter()
        .filter(|entry| entry.actor == "guichet")
        .map(|entry| (entry.action.as_str(), entry.outcome.as_str()))
        .collect();
    assert_eq!(
        desk,
        [("clerk_refuse", "ok"), ("clerk_validate", "ok")],
        "sent away once, validated on the second visit"
    );
    assert!(
        landed.last_code(MessageChannel::Sms).is_some(),
        "the activation code arrived"
    );
    landed.close().await;
}

// ----- activation and secret code -----

#[tokio::test(flavor = "multi_thread")]
async fn mistyped_activation_code_leaves_two_attempts() {
    let landed = apply("code-activation-errone", "activation").await;
    assert_eq!(landed.attempts_left(), 2);
    let wrong = landed.last_outcome("activate");
    assert_eq!(wrong.outcome, "code_wrong");
    assert!(wrong.message.as_deref().unwrap_or_default().contains("2 essais"));
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn activation_code_after_seven_days_is_expired() {
    let landed = apply("code-activation-expire", "activation").await;
    assert_eq!(landed.blockers(), ["code_expired:activation"]);
    let valid_until = landed.view.activation.as_ref().unwrap().valid_until;
    assert!(valid_until <= landed.now().await);
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn forgotten_secret_code_locks_the_identity() {
    let landed = apply("code-secret-oublie", "locked").await;
    assert_eq!(landed.view.lock_reason.as_deref(), Some("secret_code_forgotten"));
    assert_eq!(landed.blockers(), ["locked:secret_code_forgotten"]);
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn three_wrong_secret_codes_lock_the_identity() {
    let landed = apply("code-secret-bloque", "locked").await;
    assert_eq!(
        landed.view.lock_reason.as_deref(),
        Some("too_many_secret_code_failures")
    );
    assert_eq!(landed.blockers(), ["locked:too_many_secret_code_failures"]);
    assert_eq!(landed.situation().await["secret_code_attempts_left"], 0);
    let outcomes: Vec<&str> = landed
        .journal
        .iter()
        .filter(|e| e.action == "answer_login_request")
        .map(|e| e.outcome.as_str())
        .collect();
    assert_eq!(
        outcomes,
        ["wrong_secret_code", "wrong_secret_code", "secret_code_locked"]
    );
    let request = landed.applied["login_request"].as_str().unwrap();
    assert_eq!(
        landed.trainer.login_request(request).await.unwrap().status,
        "blocked",
        "FranceConnect+ reads the request as blocked"
    );
    landed.close().await;
}

// ----- logging in with FranceConnect+ -----

#[tokio::test(flavor = "multi_thread")]
async fn approval_not_given_within_a_minute_expires() {
    let landed = apply_keeping_phones("validation-hors-delai", "enrolled").await;
    assert_eq!(landed.blockers(), ["login_request_expired"]);
    let request = landed.applied["login_request"].as_str().unwrap();
    assert_eq!(
        landed.trainer.login_request(request).await.unwrap().status,
        "expired"
    );
    assert!(
        landed
            .identity_phone()
            .pending_requests()
            .await
            .unwrap()
            .is_empty(),
        "the phone no longer shows the expired request"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn approval_from_the_old_phone_is_refused_and_the_request_waits_on_the_new_one() {
    let landed = apply("validation-depuis-un-autre-telephone", "enrolled").await;
    // The old phone's access ended with the new activation: refused before the journey, with
    // the reason the person reads.
    let refusals = landed.applied["refusals"].as_array().unwrap();
    let refused = refusals
        .iter()
        .find(|refusal| refusal["code"] == "credential_revoked")
        .expect("the old phone's answer is refused");
    assert!(
        refused["message"].as_str().unwrap().contains("autre téléphone"),
        "{refused}"
    );
    let request = landed.applied["login_request"].as_str().unwrap();
    assert_eq!(
        landed.trainer.login_request(request).await.unwrap().status,
        "pending"
    );
    let device_id = |phone: &str| -> String {
        let profile =
            std::fs::read(landed.dir.path().join("devices").join(phone).join("device.json")).unwrap();
        serde_json::from_slice::<Value>(&profile).unwrap()["device_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(
        landed.view.device_id.as_deref(),
        Some(device_id("telephone-2").as_str())
    );
    assert_ne!(device_id("telephone-1"), device_id("telephone-2"));
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_number_on_franceconnect_reaches_no_one() {
    let landed = apply_keeping_phones("mauvais-numero-sur-franceconnect", "enrolled").await;
    assert_eq!(landed.refusals(), ["mobile_mismatch"]);
    assert!(
        landed
            .identity_phone()
            .pending_requests()
            .await
            .unwrap()
            .is_empty(),
        "the learner's phone was asked nothing"
    );
    landed.close().await;
}

// ----- the phone's own failures -----

/// The identification is started (digits shown), nothing was sent, and the app has the failure.
async fn device_failure(name: &str, failure: &str) {
    let landed = apply(name, "visual_identification").await;
    let letter = landed.view.registered_letter.as_ref().unwrap();
    assert!(letter.spoken_digits.is_some(), "{name}: the digits are shown");
    assert!(letter.review_deadline.is_none(), "{name}: nothing was submitted");
    let failures = landed.applied["device_failures"].as_array().unwrap();
    assert_eq!(failures.len(), 1);
    assert_eq!(failures[0]["code"], failure, "{name}");
    assert!(failures[0]["message"].as_str().is_some_and(|m| !m.is_empty()));
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_camera_stops_before_any_photo() {
    device_failure("camera-absente", "no_camera").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn camera_permission_refused_stops_before_any_photo() {
    device_failure("camera-refusee", "camera_unavailable").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn no_microphone_stops_before_the_video() {
    device_failure("micro-absent", "no_microphone").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn microphone_permission_refused_stops_before_the_video() {
    device_failure("micro-refuse", "no_microphone").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn interrupted_upload_is_refused_and_nothing_is_submitted() {
    let landed = apply("envoi-interrompu", "visual_identification").await;
    assert_eq!(landed.refusals(), ["checksum_mismatch"]);
    assert!(landed
        .view
        .registered_letter
        .as_ref()
        .unwrap()
        .review_deadline
        .is_none());
    landed.close().await;
}

// ----- whole journeys with the edge-case personas -----

#[tokio::test(flavor = "multi_thread")]
async fn residence_permit_born_abroad_enrols_online() {
    let landed = apply("parcours-complet-titre-de-sejour", "enrolled").await;
    let identity = landed.view.identity.as_ref().unwrap();
    assert_eq!(identity.document_type, "Titre de séjour");
    assert_eq!(identity.birthplace, "", "born abroad: no commune");
    assert_eq!(identity.birth_country, "99341");
    assert_eq!(
        identity.birth_date.to_string(),
        "1988-01-01",
        "presumed birth date"
    );
    landed.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn passport_by_post_enrols_after_four_weeks() {
    let landed = apply("parcours-complet-passeport-par-courrier", "enrolled").await;
    assert!(
        landed.journal.iter().any(|e| e.action == "time_passed"
            && e.step_before == "postal_letter"
            && e.step_after == "face_to_face"),
        "the letter arrived with time"
    );
    assert!(landed.inbox.iter().any(|m| m.channel == MessageChannel::Post));
    assert_eq!(
        landed.view.identity.as_ref().unwrap().given_names,
        ["Thị Minh Anh"]
    );
    landed.close().await;
}

// ----- journal export, replay, situation export -----

/// `idn journal export` of a scenario applied in a fresh data directory.
async fn exported_journal(name: &str) -> String {
    let landed = apply_anywhere(name).await;
    let (world, _) = reopen(landed.0.path()).await;
    // The learner's journal, exported with the learner's own credential.
    let output = idn_as(
        &landed.2,
        &[
            "--world",
            &world.base_url(),
            "journal",
            "export",
            &landed.1,
            "--scenario",
            name,
        ],
    );
    world.stop().await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// `idn scenario apply NAME` in a fresh data directory: the directory, the learner's id and the
/// learner's credential.
async fn apply_anywhere(name: &str) -> (tempfile::TempDir, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let output = idn(&[
        "scenario",
        "apply",
        name,
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let applied: Value = serde_json::from_slice(&output.stdout).unwrap();
    (
        dir,
        applied["learner_id"].as_str().unwrap().to_owned(),
        learner_token(&applied),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_scenario_and_seed_give_the_same_journal_byte_for_byte() {
    for name in [
        "validation-depuis-un-autre-telephone",
        "identification-refusee-reflet",
        "identification-refusee-au-bureau-d-examen-etui",
        "validation-au-guichet-apres-un-refus",
    ] {
        let first = exported_journal(name).await;
        let second = exported_journal(name).await;
        assert!(
            first.lines().count() > 10,
            "{name}: a journal worth comparing:\n{first}"
        );
        assert_eq!(first, second, "{name}: two runs, one journal");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_finds_no_divergence_and_points_at_a_tampered_line() {
    let text = exported_journal("code-secret-bloque").await;
    let dir = tempfile::tempdir().unwrap();
    let recorded = dir.path().join("journal.txt");
    std::fs::write(&recorded, &text).unwrap();
    let output = idn(&["replay", recorded.to_str().unwrap(), "--json"]);
    let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["ok"], true);
    assert_eq!(report["recorded_entries"], report["replayed_entries"]);

    // A user's journal where the second wrong secret code was in fact accepted.
    let entries: Vec<&str> = text.lines().filter(|line| !line.starts_with('#')).collect();
    let (index, tampered_line) = entries
        .iter()
        .enumerate()
        .filter(|(_, line)| line.contains("wrong_secret_code"))
        .nth(1)
        .map(|(index, line)| (index, line.replacen("wrong_secret_code", "ok", 1)))
        .expect("two wrong secret codes in the journal");
    let tampered = text.replacen(entries[index], &tampered_line, 1);
    let changed = dir.path().join("tampered.txt");
    std::fs::write(&changed, tampered).unwrap();
    let output = idn(&["replay", changed.to_str().unwrap(), "--json"]);
    assert_eq!(output.status.code(), Some(5), "a divergence exits 5");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        report["divergence"]["entry"],
        index + 1,
        "the first differing line"
    );
    assert_eq!(report["divergence"]["recorded"], tampered_line.as_str());
    assert_eq!(report["divergence"]["replayed"], entries[index]);
}

#[tokio::test(flavor = "multi_thread")]
async fn desk_decisions_are_refused_on_a_world_that_gave_the_command_line_no_account() {
    let world = idn_e2e::spawn_world(36).await;
    // A trainer's API token opens the world's API, not its console's desks.
    let token = trainer_token_of(&world.running).await;
    let output = idn_as(
        &token,
        &[
            "--world",
            &world.running.base_url(),
            "scenario",
            "apply",
            "refus-au-guichet",
        ],
    );
    assert_eq!(output.status.code(), Some(4), "the scenario cannot land here");
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("bureau de la console") && said.contains("« Scénarios »"),
        "the agent is told why and where to apply it: {said}"
    );
    assert_eq!(
        world.client.status().await.unwrap().learners,
        0,
        "refused before any learner was created"
    );
    world.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn desk_decisions_replay_without_divergence() {
    for name in [
        "identification-refusee-au-bureau-d-examen-etui",
        "validation-au-guichet-apres-un-refus",
    ] {
        let text = exported_journal(name).await;
        assert!(
            text.contains("\trelecteur\treview_identification\t")
                || text.contains("\tguichet\tclerk_refuse\t"),
            "{name}: the desk's decision is in the journal:\n{text}"
        );
        let dir = tempfile::tempdir().unwrap();
        let recorded = dir.path().join("journal.txt");
        std::fs::write(&recorded, &text).unwrap();
        let output = idn(&["replay", recorded.to_str().unwrap(), "--json"]);
        let report: Value = serde_json::from_slice(&output.stdout).expect("JSON report");
        assert_eq!(output.status.code(), Some(0), "{name}: {report:#}");
        assert_eq!(report["recorded_entries"], report["replayed_entries"]);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_exported_situation_reapplies_on_another_machine() {
    for (name, reach) in [
        ("code-sms-errone", "mobile_code"),
        ("identification-refusee-lunettes", "identification_refused"),
        ("code-secret-oublie", "locked"),
    ] {
        let (dir, id, _) = apply_anywhere(name).await;
        let (world, _) = reopen(dir.path()).await;
        let exported = dir.path().join("situation.toml");
        // The support agent's export (the support reading): a trainer's token.
        let token = trainer_token_of(&world).await;
        let output = idn_as(
            &token,
            &[
                "--world",
                &world.base_url(),
                "scenario",
                "export",
                &id,
                "--out",
                exported.to_str().unwrap(),
            ],
        );
        world.stop().await;
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let text = std::fs::read_to_string(&exported).unwrap();
        assert!(text.contains(&format!("reach = \"{reach}\"")), "{name}:\n{text}");

        let elsewhere = tempfile::tempdir().unwrap();
        let output = idn(&[
            "scenario",
            "apply",
            exported.to_str().unwrap(),
            "--data-dir",
            elsewhere.path().to_str().unwrap(),
            "--json",
        ]);
        assert!(
            output.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&output.stdout)
        );
        let applied: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(
            applied["step"], reach,
            "{name}: the agent's machine shows the same step"
        );
        let (world, client) = reopen(elsewhere.path()).await;
        let client = client.with_credential(Credential::new(learner_token(&applied)));
        let view = client
            .learner(applied["learner_id"].as_str().unwrap())
            .await
            .unwrap();
        match name {
            "code-sms-errone" => {
                let journal = client.journal(&view.id).await.unwrap();
                assert!(journal.iter().any(|e| e.outcome == "code_wrong"));
            }
            "identification-refusee-lunettes" => assert_eq!(
                view.registered_letter.unwrap().refusal_reason.as_deref(),
                Some("lunettes")
            ),
            _ => assert_eq!(view.lock_reason.as_deref(), Some("secret_code_forgotten")),
        }
        world.stop().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_learners_of_one_persona_in_a_class_world_keep_their_own_logins() {
    let world = idn_e2e::spawn_world(21).await;
    let url = world.running.base_url();
    // The trainer preparing the class: the command line with a trainer's token.
    let token = trainer_token_of(&world.running).await;
    let mut learners = Vec::new();
    for _ in 0..2 {
        let output = idn_as(
            &token,
            &[
                "--world",
                &url,
                "scenario",
                "apply",
                "code-secret-oublie",
                "--json",
            ],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
        learners.push(serde_json::from_slice::<Value>(&output.stdout).unwrap());
    }
    assert_ne!(
        learners[0]["mobile"], learners[1]["mobile"],
        "one mobile number per learner"
    );
    assert_ne!(learners[0]["email"], learners[1]["email"]);
    for learner in &learners {
        let view = world
            .client
            .with_credential(Credential::new(learner_token(learner)))
            .learner(learner["learner_id"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(view.step, "locked");
        assert_eq!(view.mobile.as_deref(), learner["mobile"].as_str());
    }
    world.running.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_journal_made_by_hand_replays_from_the_situation_it_exports() {
    // A user who got somewhere by hand (no scenario): one wrong SMS code.
    let world = idn_e2e::spawn_world(33).await;
    let learner = idn_e2e::new_learner(&world.client, "manuel@simulation.example").await;
    let (id, client) = (learner.id.clone(), &learner.client);
    let code = idn_e2e::last_code(client, &id, MessageChannel::Email).await;
    client
        .act(&id, &LearnerAction::ConfirmEmail { code })
        .await
        .unwrap();
    client
        .act(
            &id,
            &LearnerAction::ChoosePassword {
                password: "Simulation2026".into(),
            },
        )
        .await
        .unwrap();
    client
        .act(
            &id,
            &LearnerAction::RegisterMobile {
                mobile: idn_e2e::MOBILE.into(),
            },
        )
        .await
        .unwrap();
    client.act(&id, &idn_e2e::profile_action()).await.unwrap();
    let refused = client
        .act(&id, &LearnerAction::ConfirmMobile { code: "0000".into() })
        .await
        .unwrap_err();
    assert_eq!(refusal_code(refused), "code_wrong");

    let url = world.running.base_url();
    // A support agent exports the case (the situation is the support reading): a trainer's token.
    let token = trainer_token_of(&world.running).await;
    let output = idn_as(&token, &["--world", &url, "journal", "export", &id]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    assert!(
        text.contains("#| reach = \"mobile_code\""),
        "the derived scenario:\n{text}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("journal.txt");
    std::fs::write(&file, &text).unwrap();
    world.running.stop().await;
    let output = idn(&["replay", file.to_str().unwrap(), "--json"]);
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "the user's path is reproduced: {report:#}"
    );
    assert_eq!(report["replayed_entries"], 6);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_trainers_delivery_plan_refuses_unknown_messages_and_is_journaled() {
    let world = idn_e2e::spawn_world(34).await;
    let base = world.running.base_url();
    let learner = idn_e2e::new_learner(&world.client, "plan@simulation.example").await;
    let id = learner.id.clone();
    let trainer = world
        .trainer
        .credential()
        .expect("the trainer's session")
        .expose();
    let http = reqwest::Client::new();
    let put = |body: Value| {
        http.put(format!("{base}/api/learners/{id}/delivery"))
            .bearer_auth(trainer)
            .json(&body)
            .send()
    };
    let refused = put(serde_json::json!({ "faults": [{ "message": "carte_postale", "fate": "spam" }] }))
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let error: Value = refused.json().await.unwrap();
    assert_eq!(error["code"], "unknown_message_kind");
    let planned = put(serde_json::json!({ "faults": [{ "message": "email_code", "fate": "spam" }] }))
        .await
        .unwrap();
    assert_eq!(planned.status(), 200);
    let journal = learner.client.journal(&id).await.unwrap();
    let last = journal.last().unwrap();
    assert_eq!(
        (last.actor.as_str(), last.action.as_str()),
        ("formateur", "plan_delivery")
    );
    assert!(last
        .message
        .as_deref()
        .unwrap_or_default()
        .contains("indésirables"));
    learner
        .client
        .act(&id, &LearnerAction::ResendEmailCode)
        .await
        .unwrap();
    let inbox = learner.client.inbox(&id).await.unwrap();
    assert_eq!(inbox.last().unwrap().folder, "spam");
    world.running.stop().await;
}

// ----- a running class world -----

/// A class world as a trainer starts it (`idn world serve`, its clock running in real time,
/// its automatic review decided by its own sweep), stopped when dropped.
struct ServedClassWorld {
    process: std::process::Child,
    url: String,
    /// The trainer's API token (`idn staff token create`), for `IDN_TOKEN`.
    token: String,
    _dir: tempfile::TempDir,
}

impl ServedClassWorld {
    fn start() -> Self {
        use std::io::BufRead;
        let dir = tempfile::tempdir().unwrap();
        let token = idn_e2e::trainer_token(dir.path());
        let mut process = Command::new(idn_binary())
            .args(["world", "serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .stderr(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("idn world serve starts");
        let mut stderr = std::io::BufReader::new(process.stderr.take().unwrap()).lines();
        let mut url = None;
        for line in stderr.by_ref() {
            let line = line.expect("the server's messages");
            if let Some(rest) = line.split("à l'écoute sur ").nth(1) {
                url = rest.split_whitespace().next().map(str::to_owned);
                break;
            }
        }
        // Keep reading the server's log: once the pipe's buffer is full, its next log line
        // would block the world (a busy machine logs more, slow requests for instance).
        std::thread::spawn(move || stderr.for_each(drop));
        Self {
            process,
            url: url.expect("idn world serve names its address"),
            token,
            _dir: dir,
        }
    }
}

impl Drop for ServedClassWorld {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// Every scenario of the catalogue applied from the command line into one running class world,
/// three at a time as a trainer preparing a class would: each learner lands on its promised step
/// (the engine waits for the world's decisions on the learner's events, it never races the
/// world's sweep), and a scenario that decides at a console desk is refused before anything is
/// done, in French, since the command line holds no staff account of a remote world.
#[test]
fn every_catalogue_scenario_lands_in_a_running_class_world_from_the_command_line() {
    let world = ServedClassWorld::start();
    let listed: Vec<Value> =
        serde_json::from_slice(&idn(&["scenario", "list", "--json"]).stdout).expect("JSON list");
    let queue = std::sync::Mutex::new(listed.iter().collect::<Vec<_>>());
    let failures = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|threads| {
        for _ in 0..3 {
            threads.spawn(|| loop {
                let Some(scenario) = queue.lock().unwrap().pop() else {
                    break;
                };
                let name = scenario["name"].as_str().unwrap();
                let at_a_desk = scenario["faults"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|kind| kind == "review_desk" || kind == "clerk_desk");
                let output = idn_as(
                    &world.token,
                    &["--world", &world.url, "scenario", "apply", name, "--json"],
                );
                let answer: Value = serde_json::from_slice(&output.stdout)
                    .unwrap_or_else(|_| panic!("{name}: {}", String::from_utf8_lossy(&output.stderr)));
                let problem = if at_a_desk {
                    let message = answer["message"].as_str().unwrap_or_default();
                    (output.status.success() || !message.contains("console"))
                        .then(|| format!("{name}: a desk scenario must be refused in French: {answer}"))
                } else if !output.status.success() {
                    Some(format!("{name}: exit {:?}: {answer}", output.status.code()))
                } else {
                    (answer["step"] != scenario["reach"]).then(|| {
                        format!(
                            "{name}: landed on {} instead of {}",
                            answer["step"], scenario["reach"]
                        )
                    })
                };
                failures.lock().unwrap().extend(problem);
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(failures.is_empty(), "{failures:#?}");
}
