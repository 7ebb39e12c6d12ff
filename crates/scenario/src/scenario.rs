//! Scenario files (`scenarios/*.toml`, format in `scenarios/README.md`): a persona, a seed, the
//! step to reach and the faults met on the way, with the French explanation an agent gives the
//! user. Applying one drives the world exactly as a person would — the device core, the public
//! API, the learner's own clock for expiries (a class's other learners keep theirs) — and never writes its database.

use crate::desk::{ConsoleDesk, Presented, Review};
use crate::error::{bail, invalid, Context, Result, ScenarioError};
use crate::persona::{self, Persona};
use idn_api::{
    BlockerView, ClerkValidation, DeliveryFate, DeliveryFault, DocumentKind, JournalDetail, LearnerAction,
    LearnerSituation, LearnerView, MediaKind, MessageChannel, PendingCodeView, PlannedLearner, ReviewPolicy,
    Side, SubmittedPhoto, VerificationMode,
};
use idn_capture::{
    photograph, Degradation, Degradations, DocumentPage, Framing, JpegQuality, SceneConfig, Speech,
    SyntheticConfig, SyntheticDocumentSource, SyntheticFaceScene, SyntheticVoice, VideoSettings,
};
use idn_device::{ClientError, Device, DeviceError, MemoryVault, Vault, WorldClient};
use idn_journey::{rules, Step};
use idn_world::console::EngineAccount;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod catalogue;
mod engine;
mod export;
mod format;
mod synthesis;

pub use catalogue::*;
pub use engine::*;
pub use export::*;
pub use format::*;
use synthesis::*;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_scenario_reads_and_names_a_known_persona() {
        let scenarios = catalogue();
        assert_eq!(scenarios.len(), CATALOGUE.len());
        for scenario in &scenarios {
            assert!(
                !scenario.explanation.trim().is_empty(),
                "{}: explanation for the agent",
                scenario.name
            );
            assert!(
                !scenario.situation.trim().is_empty(),
                "{}: one-line situation",
                scenario.name
            );
            scenario.persona().expect("known persona");
        }
    }

    #[test]
    fn every_file_in_scenarios_is_in_the_embedded_catalogue() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scenarios");
        for entry in std::fs::read_dir(&dir).expect("scenarios directory") {
            let path = entry.unwrap().path();
            let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
            if path.extension().is_some_and(|ext| ext == "toml") && stem != "personas" {
                assert!(
                    CATALOGUE.iter().any(|(name, _)| *name == stem),
                    "{stem}.toml is missing from the catalogue! macro"
                );
            }
        }
    }

    #[test]
    fn a_scenario_survives_its_own_toml() {
        for scenario in catalogue() {
            let again = Scenario::parse(&scenario.to_toml(), "x").expect("written scenario reads");
            assert_eq!(again.faults, scenario.faults, "{}", scenario.name);
            assert_eq!(again.reach, scenario.reach);
        }
    }

    #[test]
    fn scenarios_of_another_version_or_with_unknown_steps_are_refused() {
        let text = |version: u32, reach: &str| {
            format!("version = {version}\ntitle = \"t\"\nexplanation = \"e\"\npersona = \"camille-daubigne\"\nreach = \"{reach}\"\n")
        };
        assert!(Scenario::parse(&text(1, "review"), "ok").is_ok());
        let newer = Scenario::parse(&text(2, "review"), "v2").unwrap_err();
        assert!(format!("{newer:#}").contains("version 2"));
        let unknown = Scenario::parse(&text(1, "nowhere"), "x").unwrap_err();
        assert!(format!("{unknown:#}").contains("nowhere"));
    }

    #[test]
    fn an_inline_persona_with_a_misspelt_field_says_which() {
        let mut persona = toml::Value::try_from(persona::demo()).unwrap();
        let identity = persona.get_mut("identity").unwrap().as_table_mut().unwrap();
        let birth = identity.remove("birth_name").unwrap();
        identity.insert("birth_nme".into(), birth);
        let mut scenario = toml::Table::new();
        scenario.insert("version".into(), 1.into());
        scenario.insert("title".into(), "t".into());
        scenario.insert("explanation".into(), "e".into());
        scenario.insert("reach".into(), "email_code".into());
        scenario.insert("persona".into(), persona);
        let error = Scenario::parse(&toml::to_string(&scenario).unwrap(), "x").unwrap_err();
        assert!(format!("{error:#}").contains("birth_nme"), "{error:#}");
    }

    #[test]
    fn desk_decisions_need_a_known_reason_only_when_refused() {
        let text = |verification: &str, faults: &str| {
            format!("version = 1\ntitle = \"t\"\nexplanation = \"e\"\npersona = \"camille-daubigne\"\nverification = \"{verification}\"\nreach = \"identification_refused\"\n{faults}")
        };
        let desk = |decision: &str, reason: &str| {
            format!("[[fault]]\nkind = \"review_desk\"\ndecision = \"{decision}\"\n{reason}")
        };
        let read = |verification: &str, faults: &str| Scenario::parse(&text(verification, faults), "x");
        let refused = read("online", &desk("refused", "reason = \"lunettes\"\n")).expect("a real reason");
        assert_eq!(
            refused.faults,
            vec![Fault::ReviewDesk {
                decision: Some(DeskDecision::Refused),
                reason: Some("lunettes".into())
            }]
        );
        let unknown = read("online", &desk("refused", "reason = \"chapeau\"\n")).unwrap_err();
        assert!(format!("{unknown:#}").contains("chapeau"), "{unknown:#}");
        assert!(
            read("online", &desk("refused", "")).is_err(),
            "a refusal names its reason"
        );
        assert!(read("online", &desk("accepted", "reason = \"lunettes\"\n")).is_err());
        let too_far = read("online", &desk("accepted", "")).unwrap_err();
        assert!(
            format!("{too_far:#}").contains("« activation »"),
            "an accepted identification does not stop at a refusal: {too_far:#}"
        );
        assert!(
            read("face_to_face", &desk("accepted", "")).is_err(),
            "the desk examines online identifications"
        );
        let both = format!(
            "{}[[fault]]\nkind = \"identification_refused\"\nreason = \"flou\"\n",
            desk("accepted", "")
        );
        assert!(
            read("online", &both).is_err(),
            "one identification, one way to decide it"
        );

        let clerk = |decision: &str, reason: &str| {
            text(
                "face_to_face",
                &format!("[[fault]]\nkind = \"clerk_desk\"\ndecision = \"{decision}\"\n{reason}"),
            )
        };
        assert!(Scenario::parse(&clerk("refused", "reason = \"piece_expiree\"\n"), "x").is_ok());
        assert!(Scenario::parse(&clerk("refused", "reason = \"lunettes\"\n"), "x").is_err());
        assert!(Scenario::parse(&clerk("validated", ""), "x").is_ok());
    }

    #[test]
    fn an_export_reads_the_journal_details_never_their_sentences() {
        let line = |seq, action: &str, message: &str, detail| idn_api::JournalEntry {
            seq,
            at: chrono::DateTime::UNIX_EPOCH,
            actor: "formateur".into(),
            action: action.into(),
            outcome: "ok".into(),
            message: Some(message.into()),
            detail,
            step_before: Step::FaceToFace,
            step_after: Step::FaceToFace,
        };
        let journal = vec![
            line(
                1,
                "plan_delivery",
                "(phrase réécrite : on ne la lit pas)",
                Some(JournalDetail::DeliveryPlanned {
                    faults: vec![idn_api::DeliveryFault {
                        message: "activation_code".into(),
                        channel: Some(MessageChannel::Sms),
                        fate: DeliveryFate::Withheld,
                        times: 1,
                    }],
                }),
            ),
            line(
                2,
                "clerk_refuse",
                "Validation refusée au guichet (personne_differente) : …",
                Some(JournalDetail::ClerkRefused {
                    reason: "piece_expiree".into(),
                }),
            ),
            // Prose alone (a line whose old sentence could not be read back) says nothing.
            line(
                3,
                "clerk_refuse",
                "Validation refusée au guichet (piece_differente) : …",
                None,
            ),
        ];
        let view: LearnerView = serde_json::from_value(serde_json::json!({
            "id": "x", "step": "face_to_face", "step_label": "", "email": null, "mobile": null,
            "next_deadline": null, "identity": null, "identity_confirmed": true, "face_to_face": null,
            "postal_letter": null, "registered_letter": null, "activation": null, "device_id": null,
            "lock_reason": null, "review_policy": { "review": "automatic" }
        }))
        .unwrap();
        let faults = faults_seen(&view, &journal, chrono::DateTime::UNIX_EPOCH);
        assert!(
            faults.iter().any(|fault| matches!(
                fault,
                Fault::MessageWithheld { message, channel: Some(MessageChannel::Sms) } if message == "activation_code"
            )),
            "{faults:?}"
        );
        let clerk: Vec<_> = faults
            .iter()
            .filter_map(|fault| match fault {
                Fault::ClerkDesk { reason, .. } => reason.as_deref(),
                _ => None,
            })
            .collect();
        assert_eq!(clerk, ["piece_expiree"], "the detail decides, not the sentence");
    }

    #[test]
    fn a_shifted_code_is_wrong_and_keeps_its_shape() {
        assert_eq!(shifted("123459"), "234560");
        assert_eq!(shifted("2580"), "3691");
        let secret = shifted("9024");
        let bytes = secret.as_bytes();
        assert!(bytes.iter().enumerate().all(|(i, c)| !bytes[..i].contains(c)));
    }

    #[test]
    fn the_whole_journey_reads_as_a_valid_scenario_in_every_verification() {
        for verification in [
            Verification::FaceToFace,
            Verification::ByPost,
            Verification::Online,
        ] {
            let scenario = whole_journey(verification, 3, Some("reflet".into()));
            scenario.check().expect("the demo's scenario is valid");
            let again = Scenario::parse(&scenario.to_toml(), "x").expect("and survives its TOML");
            assert_eq!(again.reach, "enrolled");
            assert_eq!(
                again.faults.is_empty(),
                verification != Verification::Online,
                "a first refusal exists only online: {verification:?}"
            );
        }
        assert!(
            whole_journey(Verification::Online, 3, Some("chapeau".into()))
                .check()
                .is_err(),
            "an unknown refusal reason is refused before the world is touched"
        );
    }

    #[test]
    fn a_second_learner_of_a_persona_gets_contacts_of_its_own() {
        let mut persona = persona::demo().clone();
        distinguish(&mut persona, 3);
        assert_eq!(persona.email, "camille.daubigne+s3@simulation.example");
        assert_eq!(persona.mobile, "+33639980131");
    }
}
