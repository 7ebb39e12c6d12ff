//! The world's HTTP API, black-box, through the device core's client: the rules a learner,
//! a clerk, a tester or a relying party meets.

use idn_api::{Credential, LearnerAction, MediaKind, MessageChannel, VerificationMode};
use idn_device::{Device, MemoryVault};
use idn_e2e::{
    account_at_profile, activated_device, last_code, learner_with_confirmed_identity, new_learner, refusal,
    refusal_code, spawn_world, Learner, TestWorld, MOBILE,
};
use std::sync::Arc;

/// A document photo as the app takes it: synthetic camera, guidance, auto-capture, JPEG.
fn synthetic_photo(page: idn_capture::DocumentPage) -> Vec<u8> {
    let config = idn_capture::SyntheticConfig {
        seed: 4,
        ..idn_capture::SyntheticConfig::default()
    };
    let mut source =
        idn_capture::SyntheticDocumentSource::new(page, &idn_capture::SpecimenIdentity::example(), config)
            .unwrap();
    idn_capture::photograph(&mut source, page.format(), 50, idn_capture::JpegQuality::DOCUMENT)
        .unwrap()
        .jpeg
}

/// A learner activated on a phone of their own with the secret code 2580: the phone's client
/// carries its device credential.
async fn enrolled(world: &TestWorld, email: &str, mobile: &str) -> (String, Device) {
    let (id, device, _) = activated_device(
        &world.client,
        &world.trainer,
        world.dir.path(),
        email,
        mobile,
        "2580",
    )
    .await;
    (id, device)
}

#[tokio::test]
async fn wrong_email_code_is_counted_and_journaled() {
    let world = spawn_world(1).await;
    let Learner { id, client, .. } = new_learner(&world.client, "a@simulation.example").await;
    let client = &client;
    let right = last_code(client, &id, MessageChannel::Email).await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let error = client
        .act(&id, &LearnerAction::ConfirmEmail { code: wrong.into() })
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "code_wrong");
    client
        .act(&id, &LearnerAction::ConfirmEmail { code: right })
        .await
        .expect("right code still accepted");
    let journal = client.journal(&id).await.unwrap();
    let outcomes: Vec<(&str, &str)> = journal
        .iter()
        .map(|entry| (entry.action.as_str(), entry.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("start_account", "ok"),
            ("confirm_email", "code_wrong"),
            ("confirm_email", "ok")
        ]
    );
}

/// The screens warn before a last attempt from the refusal's data, never from its sentence:
/// the body says `attempts_left` for a wrong code, and only then.
#[tokio::test]
async fn a_wrong_code_says_the_attempts_left_as_data() {
    let world = spawn_world(31).await;
    let Learner { id, client, .. } = new_learner(&world.client, "essais@simulation.example").await;
    let right = last_code(&client, &id, MessageChannel::Email).await;
    let wrong = if right == "000000" { "111111" } else { "000000" };
    let http = reqwest::Client::new();
    let url = format!("{}/api/learners/{id}/actions", client.base_url());
    let credential = client
        .credential()
        .expect("the account's credential")
        .expose()
        .to_owned();
    let post = |body: serde_json::Value| http.post(&url).bearer_auth(&credential).json(&body).send();
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let response = post(serde_json::json!({"action": "confirm_email", "code": wrong}))
            .await
            .unwrap();
        assert_eq!(response.status(), 422);
        bodies.push(response.json::<serde_json::Value>().await.unwrap());
    }
    let seen: Vec<(&str, Option<u64>)> = bodies
        .iter()
        .map(|body| (body["code"].as_str().unwrap(), body["attempts_left"].as_u64()))
        .collect();
    assert_eq!(
        seen,
        [
            ("code_wrong", Some(2)),
            ("code_wrong", Some(1)),
            ("code_attempts_exhausted", None)
        ],
        "the remaining attempts of CodeWrong, as a number; none once the code is burned"
    );
    assert!(
        bodies[2].get("attempts_left").is_none(),
        "omitted, not null, where it does not apply: {}",
        bodies[2]
    );
    let error = client
        .act(&id, &LearnerAction::ConfirmEmail { code: right })
        .await
        .unwrap_err();
    assert_eq!(
        (error.code(), error.attempts_left()),
        ("code_attempts_exhausted", None),
        "the client reads the same body"
    );

    let (_, device) = enrolled(&world, "essais-secret@simulation.example", MOBILE).await;
    let request = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let refused = device.approve(&request.request_id, "1111").await.unwrap_err();
    assert_eq!(
        (refused.code(), refused.attempts_left()),
        ("wrong_secret_code", Some(2)),
        "a wrong secret code reaches the device with the attempts left"
    );
}

#[tokio::test]
async fn email_code_expires_with_the_world_clock() {
    let world = spawn_world(2).await;
    let Learner { id, client, .. } = new_learner(&world.client, "b@simulation.example").await;
    let client = &client;
    let code = last_code(client, &id, MessageChannel::Email).await;
    world.trainer.advance_clock(15 * 60).await.unwrap();
    let error = client
        .act(&id, &LearnerAction::ConfirmEmail { code })
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "code_expired");
    client
        .act(&id, &LearnerAction::ResendEmailCode)
        .await
        .expect("a new code can be asked for");
    let fresh = last_code(client, &id, MessageChannel::Email).await;
    client
        .act(&id, &LearnerAction::ConfirmEmail { code: fresh })
        .await
        .expect("the new code works");
}

#[tokio::test]
async fn weak_password_and_bad_mobile_get_french_messages() {
    let world = spawn_world(3).await;
    let Learner { id, client, .. } = new_learner(&world.client, "c@simulation.example").await;
    let client = &client;
    let code = last_code(client, &id, MessageChannel::Email).await;
    client
        .act(&id, &LearnerAction::ConfirmEmail { code })
        .await
        .unwrap();
    let (code, message) = refusal(
        client
            .act(
                &id,
                &LearnerAction::ChoosePassword {
                    password: "motdepasse".into(),
                },
            )
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "weak_password");
    assert!(message.contains("majuscule"), "{message}");
    client
        .act(
            &id,
            &LearnerAction::ChoosePassword {
                password: "Motdepasse1".into(),
            },
        )
        .await
        .unwrap();
    let error = client
        .act(
            &id,
            &LearnerAction::RegisterMobile {
                mobile: "12345".into(),
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "invalid_mobile");
}

#[tokio::test]
async fn truncated_or_mislabelled_upload_is_refused_and_nothing_is_stored() {
    let world = spawn_world(4).await;
    let Learner { id, client, .. } =
        learner_with_confirmed_identity(&world.client, "d@simulation.example", MOBILE).await;
    let client = &client;
    let not_a_jpeg = b"GIF89a-not-a-jpeg".to_vec();
    let error = client
        .upload_media(&id, MediaKind::Photo, "image/jpeg", not_a_jpeg)
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "content_mismatch");
    let token = client.credential().expect("the learner's credential").expose();
    let http = reqwest_free_upload(&world.running.base_url(), &id, token).await;
    assert_eq!(http, "checksum_mismatch");
    // A video cut short on the device's disk arrives with a matching checksum: the world reads
    // it and refuses it rather than storing a file nobody can play.
    let clip = small_video();
    let error = client
        .upload_media(
            &id,
            MediaKind::Video,
            "video/mp4",
            clip[..clip.len() * 2 / 3].to_vec(),
        )
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "video_unreadable");
    client
        .upload_media(&id, MediaKind::Video, "video/mp4", clip)
        .await
        .expect("the whole video is accepted");
    // Nothing of the refused files was kept: submitting them finds no media.
    use sha2::Digest;
    let refused_id = format!(
        "photo-{}",
        &hex::encode(sha2::Sha256::digest(b"GIF89a-not-a-jpeg"))[..24]
    );
    client
        .act(
            &id,
            &LearnerAction::ChooseVerification {
                mode: VerificationMode::Online,
                terms_accepted: true,
            },
        )
        .await
        .unwrap();
    client.act(&id, &LearnerAction::ReadLetter).await.unwrap();
    client
        .act(&id, &LearnerAction::ConfirmLetterIdentity)
        .await
        .unwrap();
    client
        .act(&id, &LearnerAction::StartVisualIdentification)
        .await
        .unwrap();
    let submit = LearnerAction::SubmitVisualIdentification {
        document_type: idn_api::DocumentKind::Cni,
        photos: vec![idn_api::SubmittedPhoto {
            side: idn_api::Side::Front,
            media_id: refused_id.clone(),
        }],
        video_media_id: refused_id,
    };
    assert_eq!(
        refusal_code(client.act(&id, &submit).await.unwrap_err()),
        "media_not_found"
    );
}

/// A short MP4 recorded from the synthetic scene and voice.
fn small_video() -> Vec<u8> {
    use idn_capture::{SceneConfig, Speech, SyntheticFaceScene, SyntheticVoice, VideoSettings};
    let mut voice = SyntheticVoice::new("123".parse().unwrap(), Speech::Clear, 1);
    let config = SceneConfig {
        width: 320,
        height: 240,
        ..SceneConfig::default()
    };
    let mut scene = SyntheticFaceScene::new(
        &idn_capture::SpecimenIdentity::example(),
        config,
        voice.spoken_intervals(),
    )
    .unwrap();
    idn_capture::record_video(
        &mut scene,
        &mut voice,
        std::time::Duration::from_secs(4),
        VideoSettings::default(),
    )
    .unwrap()
    .clip
    .mp4
}

/// Sends a JPEG whose declared checksum is that of a longer file, as a cut-off upload would.
async fn reqwest_free_upload(base_url: &str, id: &str, token: &str) -> String {
    use sha2::Digest;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let full = [0xFFu8, 0xD8, 0xFF, 0xE0, 1, 2, 3, 4, 5, 6, 0xFF, 0xD9];
    let sent = &full[..8];
    let checksum = hex::encode(sha2::Sha256::digest(full));
    let address = base_url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/learners/{id}/media?kind=photo HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {token}\r\nContent-Type: image/jpeg\r\nx-content-sha256: {checksum}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        sent.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(sent).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(body).unwrap()["code"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn login_approval_with_the_right_secret_code_succeeds() {
    let world = spawn_world(5).await;
    // The relying party's side is played by the trainer, who may open login requests.
    let relying_party = &world.trainer;
    let (id, device) = enrolled(&world, "e@simulation.example", MOBILE).await;
    let request = relying_party
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    assert_eq!(request.seconds_left, 60, "one minute to approve");
    let pending = device.pending_requests().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        device.approve(&request.request_id, "2580").await.unwrap().status,
        "approved"
    );
    assert_eq!(
        relying_party
            .login_request(&request.request_id)
            .await
            .unwrap()
            .status,
        "approved",
        "the relying party sees it"
    );
    let inbox = device.client().inbox(&id).await.unwrap();
    assert!(
        inbox
            .iter()
            .any(|message| message.subject == "Nouvelle connexion"),
        "a login notice is emailed"
    );
}

#[tokio::test]
async fn approval_after_one_minute_is_refused() {
    let world = spawn_world(6).await;
    let trainer = &world.trainer;
    let (_, device) = enrolled(&world, "f@simulation.example", MOBILE).await;
    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    trainer.advance_clock(60).await.unwrap();
    assert_eq!(
        trainer.login_request(&request.request_id).await.unwrap().status,
        "expired"
    );
    let error = device.approve(&request.request_id, "2580").await.unwrap_err();
    assert_eq!(refusal_code(error), "login_request_expired");
}

#[tokio::test]
async fn three_wrong_secret_codes_lock_and_the_lock_holds() {
    let world = spawn_world(7).await;
    let trainer = &world.trainer;
    let (id, device) = enrolled(&world, "g@simulation.example", MOBILE).await;
    let request = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    let codes: Vec<String> = Vec::from(["1111", "9876", "0123"])
        .into_iter()
        .map(String::from)
        .collect();
    let mut refusals = Vec::new();
    for code in &codes {
        refusals.push(refusal_code(
            device.approve(&request.request_id, code).await.unwrap_err(),
        ));
    }
    assert_eq!(
        refusals,
        ["wrong_secret_code", "wrong_secret_code", "secret_code_locked"]
    );
    assert_eq!(device.client().learner(&id).await.unwrap().step, "locked");
    let error = trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap_err();
    assert_eq!(
        refusal_code(error),
        "secret_code_locked",
        "no new login while locked"
    );
}

/// The phone's credential alone does not approve: the answer must be signed by the key enrolled
/// at activation, which never leaves the phone; and a phone signed into the account only (no
/// activation) cannot even read the request.
#[tokio::test]
async fn approval_from_a_device_that_is_not_enrolled_is_refused() {
    let world = spawn_world(8).await;
    let (id, device) = enrolled(&world, "h@simulation.example", MOBILE).await;
    let request = world
        .trainer
        .open_login_request(MOBILE, "Mon Compte Formation")
        .await
        .unwrap();
    // Another phone, with the person's learner id in its profile, the enrolled phone's
    // credential copied into its vault, but its own key.
    let other_dir = world.dir.path().join("other-phone");
    std::fs::create_dir_all(&other_dir).unwrap();
    std::fs::write(
        other_dir.join("device.json"),
        format!(r#"{{"device_id":"autre-telephone","learner_id":"{id}"}}"#),
    )
    .unwrap();
    let vault = Arc::new(MemoryVault::default());
    idn_device::Vault::set(vault.as_ref(), "device-signing-key/autre-telephone", &[7u8; 32]).unwrap();
    let stolen = device
        .client()
        .credential()
        .expect("the enrolled phone's credential");
    idn_device::Vault::set(
        vault.as_ref(),
        "learner-credential/autre-telephone",
        stolen.expose().as_bytes(),
    )
    .unwrap();
    let other = Device::open(&other_dir, world.client.clone(), vault).unwrap();
    let error = other.approve(&request.request_id, "2580").await.unwrap_err();
    assert_eq!(refusal_code(error), "not_the_enrolled_device");
    // A third phone, signed into the La Poste account (account credential), never activated.
    let started = world
        .client
        .start_account_login("h@simulation.example", "Simulation2026")
        .await
        .expect("right password");
    let signing_in = world
        .client
        .with_credential(Credential::new(started.ticket.token.clone()));
    let code = last_code(&signing_in, &id, started.challenge.channel).await;
    let signed_in = signing_in
        .confirm_account_login("h@simulation.example", &code)
        .await
        .expect("right code");
    let account = world
        .client
        .with_credential(Credential::new(signed_in.credential.token.clone()));
    assert_eq!(
        refusal_code(account.login_request(&request.request_id).await.unwrap_err()),
        "device_credential_required",
        "only the activated phone reads a login request"
    );
    assert_eq!(
        device.approve(&request.request_id, "2580").await.unwrap().status,
        "approved"
    );
}

#[tokio::test]
async fn wrong_mobile_typed_on_franceconnect_opens_nothing() {
    let world = spawn_world(9).await;
    enrolled(&world, "i@simulation.example", MOBILE).await;
    let error = world
        .trainer
        .open_login_request("+33639989999", "Mon Compte Formation")
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "mobile_mismatch");
}

#[tokio::test]
async fn online_review_takes_the_configured_delay_and_tracks_the_letter() {
    let world = spawn_world(10).await;
    let Learner { id, client, .. } =
        learner_with_confirmed_identity(&world.client, "j@simulation.example", MOBILE).await;
    let client = &client;
    let unticked = client
        .act(
            &id,
            &LearnerAction::ChooseVerification {
                mode: VerificationMode::Online,
                terms_accepted: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refusal_code(unticked), "ar24_terms_not_accepted");
    let before = client.inbox(&id).await.unwrap().len();
    let chosen = client
        .act(
            &id,
            &LearnerAction::ChooseVerification {
                mode: VerificationMode::Online,
                terms_accepted: true,
            },
        )
        .await
        .unwrap();
    let letter = chosen.registered_letter.unwrap();
    assert!(letter.contents.is_none(), "the letter is sealed");
    assert_eq!(
        letter.upcoming.first().map(String::as_str),
        Some("Identification commencée")
    );
    let inbox = client.inbox(&id).await.unwrap();
    let [announced, notice] = &inbox[before..] else {
        panic!("AR24's two emails: {inbox:?}");
    };
    assert!(announced.body.contains("dans les prochaines minutes"));
    assert!(announced.sender.starts_with("AR24") && notice.sender.starts_with("AR24"));
    assert_eq!(announced.action, None);
    assert_eq!(
        notice
            .link
            .as_deref()
            .map(|link| link.starts_with("/ar24/courrier/")),
        Some(true),
        "« Lire mon courrier » link"
    );
    assert_eq!(notice.action, Some(idn_api::MessageAction::ReadLetter));
    client.act(&id, &LearnerAction::ReadLetter).await.unwrap();
    client
        .act(&id, &LearnerAction::ConfirmLetterIdentity)
        .await
        .unwrap();
    let started = client
        .act(&id, &LearnerAction::StartVisualIdentification)
        .await
        .unwrap();
    let digits = started.registered_letter.unwrap().spoken_digits.unwrap();
    assert_eq!(digits.len(), 3);
    let front = client
        .upload_media(
            &id,
            MediaKind::Photo,
            "image/jpeg",
            synthetic_photo(idn_capture::DocumentPage::CniFront),
        )
        .await
        .unwrap();
    let back = client
        .upload_media(
            &id,
            MediaKind::Photo,
            "image/jpeg",
            synthetic_photo(idn_capture::DocumentPage::CniBack),
        )
        .await
        .unwrap();
    let video = client
        .upload_media(
            &id,
            MediaKind::Video,
            "video/webm",
            // What Chrome records (the world checks it): crates/capture's fixture.
            std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../crates/capture/tests/fixtures/spoken-vp8-opus.webm"
            ))
            .unwrap(),
        )
        .await
        .unwrap();
    let before = client.inbox(&id).await.unwrap().len();
    let submitted = client
        .act(
            &id,
            &LearnerAction::SubmitVisualIdentification {
                document_type: idn_api::DocumentKind::Cni,
                photos: vec![
                    idn_api::SubmittedPhoto {
                        side: idn_api::Side::Front,
                        media_id: front.media_id,
                    },
                    idn_api::SubmittedPhoto {
                        side: idn_api::Side::Back,
                        media_id: back.media_id,
                    },
                ],
                video_media_id: video.media_id,
            },
        )
        .await
        .unwrap();
    assert_eq!(submitted.step, "review");
    let subjects: Vec<(String, String)> = client.inbox(&id).await.unwrap()[before..]
        .iter()
        .map(|message| (message.sender.clone(), message.subject.clone()))
        .collect();
    assert!(
        matches!(&subjects[..], [(la_poste, sent), (ar24, signed)]
            if la_poste.starts_with("L'Identité Numérique La Poste") && sent.contains("envoi de votre dossier")
            && ar24.starts_with("AR24") && signed.contains("Signature électronique")),
        "the two emails of 000 after submitting: {subjects:?}"
    );
    let letter = submitted.registered_letter.unwrap();
    let labels: Vec<String> = letter.timeline.into_iter().map(|entry| entry.label).collect();
    assert_eq!(
        labels,
        [
            "Email de notification remis",
            "Courrier recommandé électronique envoyé par votre expéditeur",
            "Email de notification remis",
            "Identification commencée",
            "Identification enregistrée",
            "Identification en cours de traitement"
        ],
        "AR24's tracking timeline"
    );
    assert_eq!(
        letter.upcoming,
        ["Identification acceptée/refusée", "Email de notification remis"],
        "what is still to come, greyed"
    );
    world.trainer.advance_clock(14 * 60).await.unwrap();
    assert_eq!(
        client.learner(&id).await.unwrap().step,
        "review",
        "not before the review delay"
    );
    world.trainer.advance_clock(60).await.unwrap();
    let accepted = client.learner(&id).await.unwrap();
    assert_eq!(
        accepted.step,
        "activation",
        "refused: {:?}",
        accepted
            .registered_letter
            .as_ref()
            .and_then(|letter| letter.refusal_reason.clone())
    );
    let letter = accepted.registered_letter.expect("the letter stays readable");
    let timeline: Vec<String> = letter.timeline.into_iter().map(|entry| entry.label).collect();
    assert_eq!(
        &timeline[4..],
        [
            "Identification enregistrée",
            "Identification en cours de traitement",
            "Identification acceptée",
            "Email de notification remis"
        ],
        "the whole tracking timeline of 003"
    );
    assert!(letter.upcoming.is_empty());
    let sms = last_code(client, &id, MessageChannel::Sms).await;
    assert_eq!(sms.len(), 6, "6-digit activation code by SMS");
    let contents = letter
        .contents
        .expect("« Consulter mon courrier » shows the letter");
    assert_eq!(contents.sender, "La Poste — L'Identité Numérique");
    assert_eq!(
        contents.activation_code, sms,
        "the letter holds the code of the SMS"
    );
    let verified = client
        .inbox(&id)
        .await
        .unwrap()
        .into_iter()
        .find(|message| message.action == Some(idn_api::MessageAction::ConsultLetter))
        .expect("AR24's email offers « Consulter mon courrier »");
    assert!(verified.sender.starts_with("AR24"));
    assert!(!verified.body.contains(&sms), "the code is not in AR24's email");
}

#[tokio::test]
async fn openapi_description_is_served_and_names_the_actions() {
    let world = spawn_world(11).await;
    let url = format!("{}/api/openapi.json", world.running.base_url());
    let body = fetch(&url).await;
    let spec: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert!(
        spec["paths"]["/api/learners/{id}/actions"]["post"].is_object(),
        "{body}"
    );
    assert!(spec["components"]["schemas"]["LearnerAction"].is_object());
}

async fn fetch(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.trim_start_matches("http://");
    let (address, path) = rest.split_once('/').unwrap();
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    stream
        .write_all(format!("GET /{path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_database_holds_no_secret_code() {
    let world = spawn_world(12).await;
    enrolled(&world, "k@simulation.example", MOBILE).await;
    let database = std::fs::read(idn_world::database_path(&world.dir.path().join("world"))).unwrap();
    let wal = std::fs::read(world.dir.path().join("world").join("world.sqlite-wal")).unwrap_or_default();
    for bytes in [&database, &wal] {
        assert!(
            !bytes.windows(6).any(|window| window == b"\"2580\""),
            "the secret code must not be stored in clear"
        );
    }
}

#[tokio::test]
async fn two_learners_may_upload_the_same_file() {
    let world = spawn_world(13).await;
    let jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0, 9, 0xFF, 0xD9];
    let mut ids = Vec::new();
    for (email, mobile) in [
        ("l1@simulation.example", "+33639980011"),
        ("l2@simulation.example", "+33639980012"),
    ] {
        let Learner { id, client, .. } = learner_with_confirmed_identity(&world.client, email, mobile).await;
        let photo = client
            .upload_media(&id, MediaKind::Photo, "image/jpeg", jpeg.clone())
            .await
            .unwrap();
        ids.push(photo.media_id);
    }
    assert_ne!(ids[0], ids[1], "each learner's copy is their own media");
}

/// Reads server-sent events from a raw connection until one `learner` event arrives.
async fn next_learner_event(reader: &mut tokio::io::BufReader<tokio::net::TcpStream>) -> serde_json::Value {
    use tokio::io::AsyncBufReadExt;
    let mut line = String::new();
    let mut event = None;
    loop {
        line.clear();
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), reader.read_line(&mut line))
            .await
            .expect("an event arrives within 10 s")
            .unwrap();
        assert!(read > 0, "stream closed");
        let line = line.trim_end();
        if let Some(name) = line.strip_prefix("event: ") {
            event = Some(name.to_owned());
        } else if let Some(data) = line.strip_prefix("data: ") {
            if event.as_deref() == Some("learner") {
                return serde_json::from_str(data).unwrap();
            }
        }
    }
}

#[tokio::test]
async fn screens_follow_a_learner_live_through_server_sent_events() {
    use tokio::io::AsyncWriteExt;
    let world = spawn_world(12).await;
    let Learner { id, client, .. } = new_learner(&world.client, "live@simulation.example").await;
    let client = &client;
    let token = client.credential().expect("the learner's credential").expose();
    let mut stream = tokio::net::TcpStream::connect(world.running.address())
        .await
        .unwrap();
    stream
        .write_all(
            format!(
                "GET /api/learners/{id}/events HTTP/1.1\r\nHost: world\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let mut reader = tokio::io::BufReader::new(stream);
    let now = next_learner_event(&mut reader).await;
    assert_eq!(now["step"], "email_code", "the current view comes first");

    // Another learner's change is not sent; this learner's is, without asking.
    world
        .client
        .create_learner("other@simulation.example")
        .await
        .unwrap();
    let code = last_code(client, &id, MessageChannel::Email).await;
    client
        .act(&id, &LearnerAction::ConfirmEmail { code })
        .await
        .unwrap();
    let mut seen: Vec<String> = Vec::new();
    while seen.last().is_none_or(|step| step == "email_code") {
        let changed = next_learner_event(&mut reader).await;
        assert_eq!(changed["id"], id.as_str(), "only this learner's changes are sent");
        seen.push(changed["step"].as_str().unwrap().to_owned());
        assert!(
            seen.len() <= 3,
            "the confirmation arrives among the first events: {seen:?}"
        );
    }
}

/// A trainer projects the world's welcome page; the class scans its « Rejoindre la classe » QR
/// code. Read back from the PNG the page links to, it is the world's address as served.
#[tokio::test]
async fn the_welcome_page_qr_code_decodes_to_the_world_address() {
    let world = spawn_world(31).await;
    let base = world.running.base_url();
    let http = reqwest::Client::new();
    let page = http
        .get(format!("{base}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("SIMULATION"),
        "the welcome page says it is a simulation"
    );
    assert!(
        page.contains("Continuer sur votre smartphone"),
        "the guides' smartphone step is shown"
    );
    let src = page
        .split(r#"data-qr="rejoindre""#)
        .next()
        .and_then(|before| before.rsplit(r#"src=""#).next())
        .and_then(|rest| rest.split('"').next())
        .expect("the join QR code is an image on the page");
    let response = http.get(format!("{base}{src}")).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "image/png");
    let png = response.bytes().await.unwrap();
    let frame = idn_capture::decode_still(&png).expect("the QR code is a readable PNG");
    assert_eq!(
        idn_capture::QrReading::of_frame(&frame),
        idn_capture::QrReading::WorldAddress(base.clone()),
        "scanning the welcome page's QR code gives this world's address"
    );
}

/// « Se connecter avec un compte La Poste existant » (journey.md §1.5): the password, the
/// confirmation code sent by SMS, typed back, and the account continues where it stands.
#[tokio::test]
async fn logging_in_with_an_existing_account_confirms_by_code_and_keeps_its_step() {
    let world = spawn_world(32).await;
    let client = &world.client;
    let learner = learner_with_confirmed_identity(client, "sign.in@simulation.example", MOBILE).await;
    let before = learner.client.learner(&learner.id).await.unwrap();

    let wrong = refusal(
        client
            .start_account_login("sign.in@simulation.example", "Mauvais2026")
            .await
            .unwrap_err(),
    );
    let unknown = refusal(
        client
            .start_account_login("personne@simulation.example", "Simulation2026")
            .await
            .unwrap_err(),
    );
    assert_eq!(wrong.0, "wrong_credentials");
    assert_eq!(
        wrong, unknown,
        "an unknown email and a wrong password are refused alike"
    );

    let started = client
        .start_account_login(" Sign.In@simulation.example ", "Simulation2026")
        .await
        .expect("right password");
    let challenge = &started.challenge;
    assert_eq!(
        challenge.channel,
        MessageChannel::Sms,
        "a confirmed mobile gets the code by SMS"
    );
    assert_eq!(
        challenge.account_id, learner.id,
        "the device may show this account's messages"
    );
    assert!(
        challenge.destination.ends_with("**") && !challenge.destination.contains(&MOBILE[MOBILE.len() - 2..]),
        "the number is half hidden: {}",
        challenge.destination
    );
    // The phone that typed the password reads the code with its sign-in ticket.
    let signing_in = client.with_credential(Credential::new(started.ticket.token.clone()));
    let code = last_code(&signing_in, &learner.id, MessageChannel::Sms).await;
    let inbox = signing_in.inbox(&learner.id).await.unwrap();
    assert!(
        inbox
            .last()
            .is_some_and(|message| message.body.contains("code de confirmation")),
        "the SMS says what the code is for"
    );
    let (anonymous, _) = refusal(
        client
            .confirm_account_login("sign.in@simulation.example", &code)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        anonymous, "authentication_required",
        "the code is typed back from the connection that gave the password"
    );
    let wrong_code = if code == "AAAA" { "BBBB" } else { "AAAA" };
    let refused = refusal(
        signing_in
            .confirm_account_login("sign.in@simulation.example", wrong_code)
            .await
            .unwrap_err(),
    );
    assert_eq!(refused.0, "code_wrong");
    let access = signing_in
        .confirm_account_login("sign.in@simulation.example", &code)
        .await
        .expect("right code");
    assert_eq!(
        access.learner.id, learner.id,
        "the app learns which account it is"
    );
    assert_eq!(
        access.learner.step, before.step,
        "the account continues where it stood"
    );
    let replayed = refusal(
        signing_in
            .confirm_account_login("sign.in@simulation.example", &code)
            .await
            .unwrap_err(),
    );
    assert_eq!(
        replayed.0, "credential_revoked",
        "a ticket confirms one login only: {}",
        replayed.1
    );
    let signed_in = Learner::from_access(client, access);
    assert_eq!(
        signed_in.client.learner(&learner.id).await.unwrap().step,
        before.step,
        "the account's new credential acts for it"
    );

    let journal = signed_in.client.journal(&learner.id).await.unwrap();
    let logins: Vec<(&str, &str)> = journal
        .iter()
        .filter(|entry| entry.action.contains("sign_in"))
        .map(|entry| (entry.action.as_str(), entry.outcome.as_str()))
        .collect();
    assert_eq!(
        logins,
        [
            ("sign_in", "wrong_credentials"),
            ("sign_in", "ok"),
            ("confirm_sign_in", "code_wrong"),
            ("confirm_sign_in", "ok"),
        ],
        "every login attempt that reached the account is journaled"
    );
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_login_for_fifteen_minutes() {
    let world = spawn_world(33).await;
    let client = &world.client;
    let learner = new_learner(client, "verrou@simulation.example").await;
    let code = learner.last_code(MessageChannel::Email).await;
    learner.act(&LearnerAction::ConfirmEmail { code }).await.unwrap();
    learner
        .act(&LearnerAction::ChoosePassword {
            password: "Simulation2026".into(),
        })
        .await
        .unwrap();
    for attempt in 1..=4 {
        let (code, _) = refusal(
            client
                .start_account_login("verrou@simulation.example", "Faux2026x")
                .await
                .unwrap_err(),
        );
        assert_eq!(code, "wrong_credentials", "attempt {attempt}");
    }
    let (code, message) = refusal(
        client
            .start_account_login("verrou@simulation.example", "Faux2026x")
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "account_locked");
    assert!(message.contains("bloquée"), "the person reads why: {message}");
    let (code, _) = refusal(
        client
            .start_account_login("verrou@simulation.example", "Simulation2026")
            .await
            .unwrap_err(),
    );
    assert_eq!(
        code, "account_locked",
        "even the right password waits for the end of the lock"
    );
    world.trainer.advance_clock(15 * 60).await.unwrap();
    let started = client
        .start_account_login("verrou@simulation.example", "Simulation2026")
        .await
        .expect("the lock is over");
    assert_eq!(
        started.challenge.channel,
        MessageChannel::Email,
        "without a confirmed mobile the code goes by email"
    );
    world.trainer.advance_clock(16 * 60).await.unwrap();
    let code = learner.last_code(MessageChannel::Email).await;
    let signing_in = client.with_credential(Credential::new(started.ticket.token.clone()));
    let (refused, _) = refusal(
        signing_in
            .confirm_account_login("verrou@simulation.example", &code)
            .await
            .unwrap_err(),
    );
    assert_eq!(refused, "code_expired", "the emailed code lives 15 minutes");
}

fn profile(first_name: &str, last_name: &str) -> LearnerAction {
    LearnerAction::CompleteProfile {
        civility: idn_api::Civility::Madame,
        first_name: first_name.into(),
        last_name: last_name.into(),
        terms_accepted: true,
        marketing_opt_in: false,
    }
}

/// A refusal of hidden characters: its code, and a French message naming the field.
fn assert_hidden_character_refused(error: idn_device::ClientError, field: &str) {
    let (code, message) = refusal(error);
    assert_eq!(code, "forbidden_character", "{field}: {message}");
    assert!(
        message.contains(field) && message.contains("caractère invisible ou de contrôle"),
        "the message names the field « {field} » and the problem: {message}"
    );
}

#[tokio::test]
async fn control_and_bidi_characters_are_refused_in_every_text_field_and_french_names_pass() {
    let world = spawn_world(51).await;
    let client = &world.client;
    for email in ["a\u{0}b@x.fr", "camille\u{202E}rf.elpmaxe@exemple.fr"] {
        assert_hidden_character_refused(client.create_learner(email).await.unwrap_err(), "Adresse e-mail");
    }
    assert_eq!(
        client.status().await.unwrap().learners,
        0,
        "no account was created"
    );

    let Learner { id, client, .. } =
        account_at_profile(&world.client, "marie-noelle@simulation.example", MOBILE).await;
    let client = &client;
    assert_hidden_character_refused(
        client
            .act(&id, &profile("Marie\u{202E}", "Dupont"))
            .await
            .unwrap_err(),
        "Prénom",
    );
    assert_hidden_character_refused(
        client
            .act(&id, &profile("Marie", "Du\u{0}pont"))
            .await
            .unwrap_err(),
        "Nom",
    );
    client
        .act(&id, &profile("Marie-Noëlle", "D\u{2019}Aubigné"))
        .await
        .expect("accents, hyphens and apostrophes are names");
    let sms_code = last_code(client, &id, MessageChannel::Sms).await;
    client
        .act(&id, &LearnerAction::ConfirmMobile { code: sms_code })
        .await
        .expect("the account's number is confirmed");

    let with = |edit: &dyn Fn(&mut idn_api::IdentityForm)| {
        let mut form = idn_e2e::identity();
        edit(&mut form);
        LearnerAction::EnterIdentity(Box::new(form))
    };
    let learner = id.as_str();
    let refused = |action: LearnerAction| async move { client.act(learner, &action).await.unwrap_err() };
    assert_hidden_character_refused(
        refused(with(&|form| form.given_names[0] = "Je\u{0}an".into())).await,
        "Prénom(s)",
    );
    assert_hidden_character_refused(
        refused(with(&|form| form.birth_name = "\u{202E}ervèfeL".into())).await,
        "Nom de naissance",
    );
    assert_hidden_character_refused(
        refused(with(&|form| form.birth_commune = Some("Bastia\u{2066}".into()))).await,
        "Commune de naissance",
    );
    let (code, message) = refusal(refused(with(&|form| form.given_names = vec!["Jean".into(); 2000])).await);
    assert_eq!(code, "too_many_given_names");
    assert!(message.contains("au plus 10 prénoms"), "{message}");
    let (code, message) = refusal(refused(with(&|form| form.usage_name = Some("a".repeat(5_000)))).await);
    assert_eq!(code, "text_too_long");
    assert!(
        message.contains("Nom d'usage") && message.contains("100 caractères"),
        "{message}"
    );

    let view = client
        .act(
            &id,
            &with(&|form| {
                form.given_names = vec!["Marie-Noëlle".into(), "Anaïs".into(), "Zoé".into()];
                form.birth_name = "D'Aubigné-Lefèvre".into();
                form.usage_name = Some("N\u{2019}Diaye".into());
                form.birth_commune = Some("Saint-Étienne".into());
                form.birth_insee_code = Some("42218".into());
            }),
        )
        .await
        .expect("French names with accents, hyphens and apostrophes are accepted");
    let identity = view.identity.expect("the identity as typed");
    assert_eq!(identity.given_names, ["Marie-Noëlle", "Anaïs", "Zoé"]);
    assert_eq!(identity.usage_name.as_deref(), Some("N'Diaye"));

    assert_hidden_character_refused(
        world
            .trainer
            .open_login_request(MOBILE, "Mon Compte\u{0}Formation")
            .await
            .unwrap_err(),
        "Nom du service demandeur",
    );
}
