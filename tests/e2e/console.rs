//! The trainers' console end to end over HTTP: with "revue manuelle" an online identification
//! waits at the review desk (no automatic decision however long the clock runs); a reviewer
//! refuses it with a real reason and the learner's view and inbox show it; a clerk validates a
//! face-to-face identity from the desk; a learner's id is no key to the console; a refusal decided
//! by a signed-in reviewer exports, re-applies and replays (the engine deciding under its own
//! account). The desks as JSON: a review refusal and a clerk's decisions taken through the typed
//! desk client reach the learner and the staff audit; roles and the CSRF header are enforced; bad
//! input gets a stable code and a French message; the JSON sign-in stops a guessing client like
//! the form.

use idn_api::{
    ClerkRefusalReason, ClerkValidation, ClientError, DeskSession, DocumentKind, JournalDetail,
    LearnerAction, MediaKind, MessageChannel, ReviewBy, Side, Step, SubmittedPhoto, VerificationMode,
};
use idn_e2e::{
    last_code, learner_at_face_to_face, learner_with_confirmed_identity, new_learner, spawn_world, Learner,
    MOBILE,
};
use idn_journey::verification::{RefusalReason, ReviewDecision};
use idn_world::console::{add_staff, Role};

const PASSWORD: &str = "un mot de passe de formation";

struct Console {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

fn field<'a>(html: &'a str, before: &str) -> Option<&'a str> {
    let start = html.find(before)? + before.len();
    let end = html[start..].find('"')? + start;
    Some(&html[start..end])
}

/// The sign-in form's cookie (`idn_console_login=…`) and the token it carries.
async fn sign_in_form(http: &reqwest::Client, base: &str) -> (String, String) {
    let page = http
        .get(format!("{base}/console/connexion"))
        .send()
        .await
        .unwrap();
    let login_cookie = page
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|value| value.starts_with("idn_console_login="))
        .expect("the sign-in form sets its token cookie");
    let token = login_cookie.split_once('=').unwrap().1.to_owned();
    (login_cookie, token)
}

impl Console {
    async fn sign_in(base: &str, email: &str) -> Console {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let (login_cookie, token) = sign_in_form(&http, base).await;
        let response = http
            .post(format!("{base}/console/connexion"))
            .header("cookie", &login_cookie)
            .form(&[("csrf", token.as_str()), ("email", email), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 303, "{email} signs in");
        let cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_owned())
            .find(|value| value.starts_with("idn_console="))
            .expect("a session cookie");
        let html = http
            .get(format!("{base}/console/horloge"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let csrf = field(&html, r#"name="csrf" value=""#)
            .expect("forms carry the CSRF token")
            .to_owned();
        Console {
            http,
            base: base.to_owned(),
            cookie,
            csrf,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, String) {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", &self.cookie)
            .form(&fields)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.text().await.unwrap())
    }
}

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

/// An online identification submitted (synthetic photos, a short video): the learner stands in
/// review. Returns the learner, the digits asked and the video's media.
async fn submitted_online(
    world: &idn_device::WorldClient,
    email: &str,
    mobile: &str,
) -> (Learner, String, idn_api::MediaView) {
    let learner = learner_with_confirmed_identity(world, email, mobile).await;
    let (digits, video) = submit_online(&learner).await;
    (learner, digits, video)
}

/// Chooses the online identification for a learner whose identity is confirmed and submits it,
/// as the learner (their own credential). Returns the digits asked and the video's media.
async fn submit_online(learner: &Learner) -> (String, idn_api::MediaView) {
    let (id, client) = (learner.id.clone(), &learner.client);
    for action in [
        LearnerAction::ChooseVerification {
            mode: VerificationMode::Online,
            terms_accepted: true,
        },
        LearnerAction::ReadLetter,
        LearnerAction::ConfirmLetterIdentity,
    ] {
        client.act(&id, &action).await.unwrap();
    }
    let started = client
        .act(&id, &LearnerAction::StartVisualIdentification)
        .await
        .unwrap();
    let digits = started.registered_letter.unwrap().spoken_digits.unwrap();
    let mut photos = Vec::new();
    for (side, page) in [
        (Side::Front, idn_capture::DocumentPage::CniFront),
        (Side::Back, idn_capture::DocumentPage::CniBack),
    ] {
        let media = client
            .upload_media(&id, MediaKind::Photo, "image/jpeg", synthetic_photo(page))
            .await
            .unwrap();
        photos.push(SubmittedPhoto {
            side,
            media_id: media.media_id,
        });
    }
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
    client
        .act(
            &id,
            &LearnerAction::SubmitVisualIdentification {
                document_type: DocumentKind::Cni,
                photos,
                video_media_id: video.media_id.clone(),
            },
        )
        .await
        .unwrap();
    (digits, video)
}

#[tokio::test]
async fn a_refusal_at_the_review_desk_reaches_the_learner_with_its_reason() {
    let world = spawn_world(81).await;
    let client = &world.client;
    let base = world.running.base_url();
    for (email, role) in [
        ("formatrice@classe.example", Role::Trainer),
        ("relecteur@classe.example", Role::Reviewer),
    ] {
        add_staff(world.running.world(), email, role, PASSWORD)
            .await
            .unwrap();
    }
    let trainer = Console::sign_in(&base, "formatrice@classe.example").await;
    let (status, _) = trainer.post("/console/revue/mode", &[("mode", "manuelle")]).await;
    assert_eq!(status, 303, "the trainer puts the class in manual review");

    let (learner, digits, video) = submitted_online(client, "revue@simulation.example", MOBILE).await;
    let (id, client) = (learner.id.clone(), &learner.client);
    let submitted = client.learner(&id).await.unwrap();
    assert_eq!(submitted.step, "review");
    let planned = client.journal(&id).await.unwrap();
    assert!(
        planned
            .iter()
            .any(|entry| entry.actor == "formateur" && entry.action == "plan_review"),
        "the class's manual review is journaled as the learner's setting"
    );
    assert_eq!(
        submitted.next_deadline, None,
        "at the desk no automatic decision is scheduled"
    );
    world.trainer.advance_clock(7 * 86_400).await.unwrap();
    assert_eq!(
        client.learner(&id).await.unwrap().step,
        "review",
        "a week later it still waits for a person"
    );

    let reviewer = Console::sign_in(&base, "relecteur@classe.example").await;
    let (status, queue) = reviewer.get("/console/revue").await;
    assert_eq!(status, 200);
    assert!(
        queue.contains(&id) && queue.contains("revue manuelle"),
        "the submission is queued"
    );
    let (_, page) = reviewer.get(&format!("/console/revue/{id}")).await;
    assert!(
        page.contains(&digits),
        "the reviewer sees the digits that were asked"
    );
    assert!(
        page.contains("<video") && page.contains(&video.media_id),
        "and can play the video"
    );
    let media = reviewer
        .http
        .get(format!(
            "{base}/console/apprenants/{id}/medias/{}",
            video.media_id
        ))
        .header("cookie", &reviewer.cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        media.headers()["content-type"],
        "video/webm",
        "served with its own content type"
    );
    assert!(
        page.contains("lunettes portées pendant la vidéo"),
        "the real reasons are offered"
    );

    // The device follows the learner's event stream, as the app does.
    let mut device_events = client.learner_events(&id).await.unwrap();
    let first = device_events.next().await.unwrap().unwrap();
    assert_eq!(first.step, "review");
    let (status, _) = reviewer
        .post(
            &format!("/console/revue/{id}"),
            &[("decision", "refuser"), ("reason", "lunettes")],
        )
        .await;
    assert_eq!(status, 303);
    let pushed = tokio::time::timeout(std::time::Duration::from_secs(10), device_events.next())
        .await
        .expect("the device hears of the decision")
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            pushed.step.code(),
            pushed
                .registered_letter
                .and_then(|letter| letter.refusal_reason_label)
        ),
        (
            "identification_refused",
            Some("lunettes portées pendant la vidéo".to_owned())
        ),
        "the device shows the refusal and its reason"
    );
    let view = client.learner(&id).await.unwrap();
    assert_eq!(view.step, "identification_refused");
    let letter = view.registered_letter.unwrap();
    assert_eq!(letter.refusal_reason.as_deref(), Some("lunettes"));
    let inbox = client.inbox(&id).await.unwrap();
    let last = inbox.last().unwrap();
    assert_eq!(last.channel, MessageChannel::Email);
    assert!(
        last.body.contains("lunettes"),
        "the refusal email states the reason: {}",
        last.body
    );
    let journal = client.journal(&id).await.unwrap();
    let decided = journal.last().unwrap();
    assert_eq!(
        (
            decided.actor.as_str(),
            decided.action.as_str(),
            decided.step_after.code()
        ),
        ("relecteur", "review_identification", "identification_refused"),
        "journaled like every change"
    );
    assert_eq!(
        decided.message.as_deref(),
        Some("Décision du relecteur : identification refusée (lunettes portées pendant la vidéo)."),
        "the journal says what the reviewer decided and why"
    );
    let (status, _) = reviewer
        .post(&format!("/console/revue/{id}"), &[("decision", "accepter")])
        .await;
    assert_eq!(status, 422, "a decided identification cannot be decided again");
}

#[tokio::test]
async fn the_clerk_desk_validates_a_face_to_face_identity_and_refuses_a_different_document() {
    let world = spawn_world(82).await;
    let client = &world.client;
    let base = world.running.base_url();
    add_staff(
        world.running.world(),
        "guichet@classe.example",
        Role::Clerk,
        PASSWORD,
    )
    .await
    .unwrap();
    let (learner, code) = learner_at_face_to_face(client, "guichet@simulation.example", MOBILE).await;
    let (id, client) = (learner.id.clone(), &learner.client);
    let clerk = Console::sign_in(&base, "guichet@classe.example").await;
    let (status, page) = clerk.get(&format!("/console/guichet?code={code}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Lefèvre") && page.contains("7K2P"),
        "the confirmed data to compare"
    );
    let (status, _) = clerk.get("/console/apprenants").await;
    assert_eq!(status, 403, "a clerk does not read the learners' files");

    let form = |ending: &'static str| {
        vec![
            ("code", code.clone()),
            ("decision", "valider".to_owned()),
            ("document_type", "cni".to_owned()),
            ("birth_name", "Lefèvre".to_owned()),
            ("birth_date", "1985-02-11".to_owned()),
            ("document_number_ending", ending.to_owned()),
        ]
    };
    let wrong = form("0000");
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = clerk.post("/console/guichet", &wrong).await;
    assert_eq!(status, 422, "a different document is refused");
    assert!(page.contains("resultat-guichet"));
    assert!(
        page.contains("Les 4 derniers caractères du numéro de la pièce ne correspondent pas."),
        "the refusal names the field that differs: {page}"
    );
    assert!(
        page.contains(r#"maxlength="4" required aria-invalid="true" aria-describedby="fin-differe">"#)
            && !page.contains(r#"id="nom-differe""#),
        "the number's field is marked, and only it: {page}"
    );
    assert_eq!(client.learner(&id).await.unwrap().step, "face_to_face");
    let other_name = [
        ("code", code.as_str()),
        ("decision", "valider"),
        ("document_type", "cni"),
        ("birth_name", "Lefebvre"),
        ("birth_date", "1985-02-11"),
        ("document_number_ending", "7K2P"),
    ];
    let (status, page) = clerk.post("/console/guichet", &other_name).await;
    assert_eq!(status, 422, "another birth name is refused");
    assert!(
        page.contains("Le nom de naissance ne correspond pas.")
            && !page.contains("Les 4 derniers caractères du numéro de la pièce ne correspondent pas."),
        "the refusal names the birth name, and only it: {page}"
    );
    assert!(
        page.contains(r#"value="Lefebvre" required aria-invalid="true" aria-describedby="nom-differe">"#),
        "what the clerk typed stays, marked as different: {page}"
    );
    assert_eq!(client.learner(&id).await.unwrap().step, "face_to_face");
    // Sent away without validation: the code stays valid, the learner's journal says why.
    let (status, page) = clerk
        .post(
            "/console/guichet",
            &[
                ("code", code.as_str()),
                ("decision", "refuser"),
                ("reason", "piece_expiree"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Le code reste valable"));
    assert_eq!(client.learner(&id).await.unwrap().step, "face_to_face");
    let journal = client.journal(&id).await.unwrap();
    let refused = journal.last().unwrap();
    assert_eq!(
        (
            refused.actor.as_str(),
            refused.action.as_str(),
            refused.message.as_deref()
        ),
        (
            "guichet",
            "clerk_refuse",
            Some("Validation refusée au guichet (piece_expiree) : pièce expirée. Le code reste valable.")
        ),
        "the clerk's refusal is in the learner's journal for the support agent"
    );
    let right = form("7K2P");
    let right: Vec<(&str, &str)> = right.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let (status, page) = clerk.post("/console/guichet", &right).await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("Identité validée au guichet"));
    assert_eq!(client.learner(&id).await.unwrap().step, "activation");
    let activation = last_code(client, &id, MessageChannel::Sms).await;
    assert_eq!(activation.len(), 6, "the activation code reached the learner");
}

#[tokio::test]
async fn a_learners_own_api_access_opens_nothing_in_the_console() {
    let world = spawn_world(83).await;
    let base = world.running.base_url();
    let learner = new_learner(&world.client, "curieux@simulation.example").await;
    let id = learner.id.clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Every staff route of the table, over HTTP, with the scenario engine installed: a learner's
    // id as a cookie or a bearer token, or nothing at all, opens and changes nothing.
    let mut checked = 0;
    for route in idn_world::console::routes() {
        if matches!(route.access, idn_world::console::Access::Public) {
            continue;
        }
        let path = route
            .path
            .replace("{id}", &id)
            .replace("{media_id}", "inconnu")
            .replace("{job}", "inconnu")
            .replace("{code}", "INCONNU");
        for learner_credentials in [true, false] {
            let mut request = http.request(route.method.clone(), format!("{base}{path}"));
            if learner_credentials {
                request = request
                    .header("cookie", format!("idn_console={id}"))
                    .header("authorization", format!("Bearer {id}"));
            }
            let response = request
                .form(&[("name", "mineur"), ("amount", "15"), ("unit", "jours")])
                .send()
                .await
                .unwrap();
            let who = if learner_credentials {
                "a learner"
            } else {
                "anonymous"
            };
            if route.surface == idn_world::console::Surface::Json {
                assert_eq!(
                    response.status(),
                    401,
                    "{} {path} is refused to {who}",
                    route.method
                );
                let refusal: serde_json::Value = response.json().await.unwrap();
                assert_eq!(refusal["code"], "signed_out", "a desk call is refused as data");
            } else if route.method == reqwest::Method::GET {
                assert_eq!(
                    response.status(),
                    303,
                    "GET {path} sends {who} to the staff sign-in"
                );
                assert_eq!(response.headers()["location"], "/console/connexion");
            } else {
                assert_eq!(
                    response.status(),
                    401,
                    "{} {path} is refused to {who}",
                    route.method
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 2 * 27, "every staff route was tried ({checked})");
    assert_eq!(
        world.client.status().await.unwrap().learners,
        1,
        "no scenario was applied"
    );
    let clock = learner.client.learner_clock(&id).await.unwrap();
    assert_eq!(clock.offset_seconds, 0, "and no learner's time moved");
}

#[tokio::test]
async fn the_first_trainer_is_created_from_the_command_line_and_signs_in() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("monde");
    let add = |password: &str| {
        use std::io::Write;
        let mut child = std::process::Command::new(idn_e2e::idn_binary())
            .args(["staff", "add", "--data-dir"])
            .arg(&data)
            .args([
                "--role",
                "formateur",
                "--email",
                "premiere@classe.example",
                "--password-stdin",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let short = add("court");
    assert_eq!(short.status.code(), Some(1), "a short password is refused");
    assert!(String::from_utf8_lossy(&short.stderr).contains("12 caractères"));
    let created = add(PASSWORD);
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert_eq!(add(PASSWORD).status.code(), Some(1), "the address is taken");

    let running = idn_world::RunningWorld::start_with(
        idn_world::WorldOptions::new(&data),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    let trainer = Console::sign_in(&running.base_url(), "premiere@classe.example").await;
    let (status, page) = trainer.get("/console/apprenants").await;
    assert_eq!(status, 200);
    assert!(page.contains("premiere@classe.example"));
    running.stop().await;
}

#[tokio::test]
async fn advancing_one_learners_clock_completes_their_review_and_not_the_others() {
    let world = spawn_world(83).await;
    let client = &world.client;
    let base = world.running.base_url();
    add_staff(
        world.running.world(),
        "support@classe.example",
        Role::SupportAgent,
        PASSWORD,
    )
    .await
    .unwrap();
    let (ahead_learner, _, _) =
        submitted_online(client, "en-avance@simulation.example", "+33639980011").await;
    let (behind, _, _) = submitted_online(client, "a-l-heure@simulation.example", "+33639980012").await;
    let (ahead, behind) = (ahead_learner.id.clone(), behind.id);
    // The support reading of both learners: the trainer's.
    let client = &world.trainer;
    for id in [&ahead, &behind] {
        assert_eq!(client.learner(id).await.unwrap().step, "review");
    }
    let class_before = client.clock().await.unwrap().now;

    // Through the API (the learner's own time, with their credential), then through the console
    // as a support agent.
    let http = reqwest::Client::new();
    let clock: serde_json::Value = http
        .post(format!("{base}/api/learners/{ahead}/clock/advance"))
        .bearer_auth(&ahead_learner.access.credential.token)
        .json(&serde_json::json!({ "seconds": 300 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(clock["offset_seconds"], 300, "{clock}");
    assert_eq!(
        client.learner(&ahead).await.unwrap().step,
        "review",
        "five minutes are not the 15 minutes of the automatic review"
    );
    let support = Console::sign_in(&base, "support@classe.example").await;
    let (status, _) = support
        .post(
            &format!("/console/apprenants/{ahead}/horloge"),
            &[("amount", "24"), ("unit", "heures")],
        )
        .await;
    assert_eq!(status, 303, "the support agent moves this learner's time");

    let decided = client.learner(&ahead).await.unwrap().step;
    assert_ne!(
        decided, "review",
        "24 hours later in their own time, the review is decided"
    );
    assert_eq!(
        client.learner(&behind).await.unwrap().step,
        "review",
        "the other learner still waits: their time did not move"
    );
    assert!(
        client.clock().await.unwrap().now - class_before < chrono::TimeDelta::hours(1),
        "the class clock did not move"
    );
    let clock = ahead_learner.client.learner_clock(&ahead).await.unwrap();
    assert_eq!(clock.offset_seconds, 300 + 86_400, "{clock:?}");
    let journal = client.journal(&ahead).await.unwrap();
    let advance = journal
        .iter()
        .position(|entry| {
            entry.action == "advance_learner_clock"
                && entry.message.as_deref().unwrap_or_default().contains("de 1 j")
        })
        .expect("the console's advance is journaled");
    assert!(
        journal[advance..]
            .iter()
            .any(|entry| entry.action == "time_passed" && entry.step_before == "review"),
        "then time decided the review, in the same learner's journal: {journal:#?}"
    );
    let (_, page) = support.get(&format!("/console/apprenants/{ahead}")).await;
    assert!(
        page.contains("1 j 0 h d&#39;avance sur la classe"),
        "the page shows how far ahead"
    );
}

/// Follows an application's page until it sends on to the learner's page; returns that address.
async fn landed(console: &Console, follow: &str) -> String {
    for _ in 0..600 {
        let response = console
            .http
            .get(format!("{}{follow}", console.base))
            .header("cookie", &console.cookie)
            .send()
            .await
            .unwrap();
        match response.status().as_u16() {
            303 => return response.headers()["location"].to_str().unwrap().to_owned(),
            200 => {
                let page = response.text().await.unwrap();
                assert!(page.contains("en cours"), "a running application says so");
                assert!(page.contains(r#"http-equiv="refresh""#), "and reloads itself");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
            other => panic!("{follow} answered {other}: {}", response.text().await.unwrap()),
        }
    }
    panic!("{follow} never landed");
}

#[tokio::test]
async fn a_support_agent_applies_a_scenario_from_the_console_and_lands_on_the_learners_page() {
    let world = spawn_world(85).await;
    let base = world.running.base_url();
    add_staff(
        world.running.world(),
        "support@classe.example",
        Role::SupportAgent,
        PASSWORD,
    )
    .await
    .unwrap();
    let support = Console::sign_in(&base, "support@classe.example").await;
    let (status, page) = support.get("/console/scenarios").await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Code SMS expiré") && page.contains(r#"value="code-sms-expire""#),
        "the catalogue is listed"
    );
    assert!(
        page.contains("Appliquer") && page.contains(r#"name="toml""#),
        "with its buttons and the file form"
    );
    let class_before = world.client.clock().await.unwrap().now;

    let response = support
        .http
        .post(format!("{base}/console/scenarios/appliquer"))
        .header("cookie", &support.cookie)
        .form(&[("csrf", support.csrf.as_str()), ("name", "code-sms-expire")])
        .send()
        .await
        .unwrap();
    let follow = response.headers()["location"].to_str().unwrap().to_owned();
    assert!(follow.starts_with("/console/scenarios/suivi/"), "{follow}");
    let learner_page = landed(&support, &follow).await;
    assert!(learner_page.starts_with("/console/apprenants/"), "{learner_page}");
    let id = learner_page["/console/apprenants/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let (_, page) = support.get(&learner_page).await;
    assert!(
        page.contains("Scénario appliqué"),
        "the learner's page says what was applied"
    );
    assert!(
        page.contains("À dire à l'utilisateur"),
        "with the explanation to give"
    );
    let situation = world.trainer.situation(&id).await.unwrap();
    assert!(
        situation
            .blockers
            .iter()
            .any(|blocker| blocker.code == "code_expired:sms"),
        "the learner is where the scenario promised: {situation:?}"
    );
    assert_eq!(
        world.client.clock().await.unwrap().now,
        class_before,
        "the scenario moved its learner's time, not the class's"
    );

    // An online one makes photos and a video on its own thread: the follow-up page waits for it.
    let response = support
        .http
        .post(format!("{base}/console/scenarios/appliquer"))
        .header("cookie", &support.cookie)
        .form(&[
            ("csrf", support.csrf.as_str()),
            ("name", "identification-en-cours-d-examen"),
        ])
        .send()
        .await
        .unwrap();
    let follow = response.headers()["location"].to_str().unwrap().to_owned();
    let learner_page = landed(&support, &follow).await;
    let (_, page) = support.get(&learner_page).await;
    assert!(
        page.contains("Identification en cours de traitement") && page.contains("video/mp4"),
        "the learner waits for the review, their video among the media"
    );

    // A file, as exported from a user's case.
    let file = include_str!("../../scenarios/mineur.toml");
    let (status, _) = support
        .post("/console/scenarios/fichier", &[("toml", file)])
        .await;
    assert_eq!(status, 303);
    let (_, scenarios) = support.get("/console/scenarios").await;
    let follow = scenarios
        .split("/console/scenarios/suivi/")
        .nth(1)
        .map(|rest| format!("/console/scenarios/suivi/{}", &rest[..32]))
        .expect("the application is listed");
    let learner_page = landed(&support, &follow).await;
    let (_, page) = support.get(&learner_page).await;
    assert!(
        page.contains("Étape 6/16 Vos informations personnelles"),
        "the minor stays at the identity form"
    );

    // A broken file is refused in French, and nothing is created.
    let learners = world.client.status().await.unwrap().learners;
    let (status, _) = support
        .post(
            "/console/scenarios/fichier",
            &[("toml", "version = 1\ntitle = \"incomplet\"")],
        )
        .await;
    assert_eq!(status, 303);
    let (_, scenarios) = support.get("/console/scenarios").await;
    assert!(scenarios.contains("échec"), "the failure is listed");
    assert_eq!(world.client.status().await.unwrap().learners, learners);

    // The staff audit (a trainer's page) names who applied what and the learner created.
    add_staff(
        world.running.world(),
        "formatrice@classe.example",
        Role::Trainer,
        PASSWORD,
    )
    .await
    .unwrap();
    let trainer = Console::sign_in(&base, "formatrice@classe.example").await;
    let (_, audit) = trainer.get("/console/personnel").await;
    let applied = audit
        .split("<tr>")
        .find(|line| line.contains("scenario_applied") && line.contains("code-sms-expire"))
        .expect("the application is audited");
    assert!(applied.contains("support@classe.example") && applied.contains(&id));
    assert!(audit.contains("scenario_failed"), "and so is the failure");
}

#[tokio::test]
async fn without_an_engine_the_scenarios_page_says_so_and_applies_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let running = idn_world::RunningWorld::start_with(
        idn_world::WorldOptions::new(dir.path()),
        "127.0.0.1:0".parse().unwrap(),
    )
    .await
    .unwrap();
    add_staff(
        running.world(),
        "formatrice@classe.example",
        Role::Trainer,
        PASSWORD,
    )
    .await
    .unwrap();
    let trainer = Console::sign_in(&running.base_url(), "formatrice@classe.example").await;
    let (status, page) = trainer.get("/console/scenarios").await;
    assert_eq!(status, 200);
    assert!(page.contains("sans moteur de scénarios"), "the page says why");
    assert!(!page.contains(">Appliquer<"), "and shows no dead button");
    let (status, _) = trainer
        .post("/console/scenarios/appliquer", &[("name", "mineur")])
        .await;
    assert_eq!(status, 503);
    assert_eq!(running.world().status().await.unwrap().learners, 0);
    running.stop().await;
}

#[tokio::test]
async fn a_learner_ahead_is_swept_when_their_own_review_falls_due() {
    let world = spawn_world(87).await;
    let client = &world.client;
    let (ahead_learner, _, _) = submitted_online(client, "balaye@simulation.example", "+33639980021").await;
    let (on_time, _, _) = submitted_online(client, "pas-encore@simulation.example", "+33639980022").await;
    let ahead = ahead_learner.id.clone();
    // Ten minutes ahead: the 15-minute automatic review has 5 minutes left in their time.
    let advanced = reqwest::Client::new()
        .post(format!(
            "{}/api/learners/{ahead}/clock/advance",
            client.base_url()
        ))
        .bearer_auth(&ahead_learner.access.credential.token)
        .json(&serde_json::json!({ "seconds": 600 }))
        .send()
        .await
        .unwrap();
    assert_eq!(advanced.status(), 200);
    let mut events = ahead_learner.client.learner_events(&ahead).await.unwrap();
    assert_eq!(events.next().await.unwrap().unwrap().step, "review");
    // Six class minutes: nobody reads the learner; the sweep alone lets their time pass.
    world.trainer.advance_clock(6 * 60).await.unwrap();
    let pushed = tokio::time::timeout(std::time::Duration::from_secs(10), events.next())
        .await
        .expect("the learner's screens hear of the decision without asking")
        .unwrap()
        .unwrap();
    assert_ne!(pushed.step, "review", "16 minutes in their time: decided");
    assert_eq!(
        on_time.client.learner(&on_time.id).await.unwrap().step,
        "review",
        "9 minutes still to wait on the class clock"
    );
}

/// `idn` with these arguments; its standard output.
fn idn(args: &[&str]) -> std::process::Output {
    std::process::Command::new(idn_e2e::idn_binary())
        .args(args)
        .output()
        .expect("idn runs")
}

/// `idn` presenting `token` to the world (`IDN_TOKEN`).
fn idn_as(token: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(idn_e2e::idn_binary())
        .env("IDN_TOKEN", token)
        .args(args)
        .output()
        .expect("idn runs")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_by_a_signed_in_reviewer_exports_reapplies_and_replays() {
    let world = spawn_world(87).await;
    let base = world.running.base_url();
    for (email, role) in [
        ("formatrice@classe.example", Role::Trainer),
        ("relectrice@classe.example", Role::Reviewer),
    ] {
        add_staff(world.running.world(), email, role, PASSWORD)
            .await
            .unwrap();
    }
    // The trainer brings a learner to the review desk from the console's catalogue: the engine
    // puts them on « revue manuelle » and submits, under its own console account.
    let trainer = Console::sign_in(&base, "formatrice@classe.example").await;
    let response = trainer
        .http
        .post(format!("{base}/console/scenarios/appliquer"))
        .header("cookie", &trainer.cookie)
        .form(&[
            ("csrf", trainer.csrf.as_str()),
            ("name", "identification-en-attente-au-bureau-d-examen"),
        ])
        .send()
        .await
        .unwrap();
    let follow = response.headers()["location"].to_str().unwrap().to_owned();
    let learner_page = landed(&trainer, &follow).await;
    let id = learner_page["/console/apprenants/".len()..]
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(world.trainer.learner(&id).await.unwrap().step, "review");

    // A real reviewer signs in, finds the identification in the queue and refuses it.
    let reviewer = Console::sign_in(&base, "relectrice@classe.example").await;
    let (_, queue) = reviewer.get("/console/revue").await;
    assert!(queue.contains(&id), "the identification waits in the queue");
    let (status, _) = reviewer
        .post(
            &format!("/console/revue/{id}"),
            &[("decision", "refuser"), ("reason", "piece_dans_un_etui")],
        )
        .await;
    assert_eq!(status, 303, "the reviewer's refusal is taken");
    let refused = world.trainer.learner(&id).await.unwrap();
    assert_eq!(refused.step, "identification_refused");

    // The staff audit tells the engine's part from the person's.
    let (_, audit) = trainer.get("/console/personnel").await;
    let row = |email: &str, action: &str| {
        audit
            .split("<tr>")
            .any(|line| line.contains(email) && line.contains(action) && line.contains(&id))
    };
    assert!(
        row(idn_world::console::SCENARIO_ENGINE_EMAIL, "set_review_mode"),
        "the engine put the learner on the desk under its own account:\n{audit}"
    );
    assert!(row("relectrice@classe.example", "refuse:piece_dans_un_etui"));
    assert!(
        audit.split("<tr>").any(|line| {
            line.contains(idn_world::console::SCENARIO_ENGINE_EMAIL)
                && line.contains("data-action=\"logout\"")
        }),
        "the engine signs out when its scenario is done"
    );
    assert!(
        !row(idn_world::console::SCENARIO_ENGINE_EMAIL, "refuse:"),
        "the engine did not decide: the reviewer did"
    );

    // The support agent's export of the case, and the journal, with a staff API token made on
    // the world's machine (`IDN_TOKEN`): a learner's case is staff reading.
    let staff = idn_e2e::trainer_of(&world.running).await;
    let token = staff.credential().expect("a staff token").expose().to_owned();
    let dir = tempfile::tempdir().unwrap();
    let exported = dir.path().join("cas.toml");
    let journal = dir.path().join("journal.txt");
    for (args, out) in [
        (["scenario", "export"], &exported),
        (["journal", "export"], &journal),
    ] {
        let output = idn_as(
            &token,
            &[
                "--world",
                &base,
                args[0],
                args[1],
                &id,
                "--out",
                out.to_str().unwrap(),
            ],
        );
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    world.running.stop().await;
    let case = std::fs::read_to_string(&exported).unwrap();
    let scenario = idn_scenario::scenario::Scenario::parse(&case, "cas").expect("the export reads back");
    assert_eq!(
        scenario.faults,
        [idn_scenario::scenario::Fault::ReviewDesk {
            decision: Some(idn_scenario::scenario::DeskDecision::Refused),
            reason: Some("piece_dans_un_etui".into()),
        }],
        "exported as the desk's decision, not an automatic refusal:\n{case}"
    );

    // Applied on the agent's machine, in a fresh world: the same situation.
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
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    let applied: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(applied["step"], "identification_refused");
    assert_eq!(
        applied["blockers"][0]["code"], "identification_refused:piece_dans_un_etui",
        "the same reason on the agent's machine"
    );

    // The journal replays in a fresh world without divergence.
    let output = idn(&["replay", journal.to_str().unwrap(), "--json"]);
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["recorded_entries"], report["replayed_entries"]);
    let text = std::fs::read_to_string(&journal).unwrap();
    assert!(
        text.contains("\trelecteur\treview_identification\tok\treview\tidentification_refused\t"),
        "the reviewer's line is among the lines replayed:\n{text}"
    );
}

// ----- the desks as JSON -----

/// A world with a trainer, a reviewer, a clerk and a support agent, each with the same password.
async fn world_with_staff(seed: u64) -> idn_e2e::TestWorld {
    let world = spawn_world(seed).await;
    for (email, role) in [
        ("formatrice@classe.example", Role::Trainer),
        ("relecteur@classe.example", Role::Reviewer),
        ("guichet@classe.example", Role::Clerk),
        ("support@classe.example", Role::SupportAgent),
    ] {
        add_staff(world.running.world(), email, role, PASSWORD)
            .await
            .unwrap();
    }
    world
}

async fn desk(base: &str, email: &str) -> DeskSession {
    DeskSession::sign_in(base, email, PASSWORD)
        .await
        .unwrap_or_else(|error| panic!("{email} signs in at the desk API: {error}"))
}

/// The world's refusal: its status, stable code and French message.
fn refused(outcome: Result<impl std::fmt::Debug, ClientError>) -> (u16, String, String) {
    match outcome {
        Err(ClientError::World {
            status,
            code,
            message,
            ..
        }) => (status, code, message),
        other => panic!("expected the world's refusal, got {other:?}"),
    }
}

/// The staff audit's lines (a trainer's page) that name this learner or this address.
async fn audit_lines(base: &str, needle: &str) -> Vec<String> {
    let trainer = Console::sign_in(base, "formatrice@classe.example").await;
    let (status, audit) = trainer.get("/console/personnel").await;
    assert_eq!(status, 200);
    audit
        .split("<tr>")
        .filter(|line| line.contains(needle))
        .map(str::to_owned)
        .collect()
}

/// A JSON sign-in by hand: the session cookie and the CSRF token the body carries.
async fn json_sign_in(http: &reqwest::Client, base: &str, email: &str) -> (String, String) {
    let response = http
        .post(format!("{base}/console/api/connexion"))
        .json(&serde_json::json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{email} signs in");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().to_owned())
        .find(|value| value.starts_with("idn_console="))
        .expect("the JSON sign-in sets the session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "the same HttpOnly, SameSite=Strict cookie as the form's: {cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    (
        cookie.split(';').next().unwrap().to_owned(),
        body["csrf_token"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_refusal_through_the_json_review_desk_reaches_the_learner_with_its_reason_and_the_audit() {
    let world = world_with_staff(91).await;
    let client = &world.client;
    let base = world.running.base_url();
    let learner = learner_with_confirmed_identity(client, "revue-json@simulation.example", MOBILE).await;
    let (id, client) = (learner.id.clone(), &learner.client);
    let trainer = desk(&base, "formatrice@classe.example").await;
    let setting = trainer.set_review_desk(&id, true).await.unwrap();
    assert!(setting.desk, "the trainer puts the learner on « revue manuelle »");
    let (digits, video) = submit_online(&learner).await;
    assert_eq!(client.learner(&id).await.unwrap().step, "review");

    let reviewer = desk(&base, "relecteur@classe.example").await;
    assert_eq!(reviewer.session().role, "relecteur");
    let queue = reviewer.review_queue().await.unwrap();
    let queued = queue
        .iter()
        .find(|item| item.learner_id == id)
        .expect("the submission is queued");
    assert_eq!(
        (queued.document_type, queued.review),
        (DocumentKind::Cni, ReviewBy::Desk),
        "waiting for a person, as data"
    );
    let submission = reviewer.submission(&id).await.unwrap();
    assert_eq!(submission.spoken_digits, digits, "the digits that were asked");
    assert_eq!(submission.video_media_id, video.media_id);
    assert_eq!(submission.photos.len(), 2, "front and back");
    assert_eq!(
        submission
            .identity
            .as_ref()
            .map(|identity| identity.birth_name.as_str()),
        Some("Lefèvre"),
        "the confirmed identity to compare"
    );

    let decided = reviewer
        .review(&id, ReviewDecision::Refused(RefusalReason::Glasses))
        .await
        .unwrap();
    assert_eq!(
        (decided.step, decided.accepted, decided.refusal_reason.as_deref()),
        (Step::IdentificationRefused, false, Some("lunettes")),
        "the decision answers where the learner stands"
    );
    let view = client.learner(&id).await.unwrap();
    assert_eq!(view.step, "identification_refused");
    assert_eq!(
        view.registered_letter.unwrap().refusal_reason.as_deref(),
        Some("lunettes"),
        "the learner reads the reviewer's reason"
    );
    let journal = client.journal(&id).await.unwrap();
    let line = journal.last().unwrap();
    assert_eq!(
        (line.actor.as_str(), line.action.as_str(), &line.detail),
        (
            "relecteur",
            "review_identification",
            &Some(JournalDetail::ReviewDecided {
                accepted: false,
                reason: Some("lunettes".into())
            })
        ),
        "journaled as the reviewer's decision with its reason"
    );
    let (status, _, _) = refused(reviewer.review(&id, ReviewDecision::Accepted).await);
    assert_eq!(status, 422, "a decided identification cannot be decided again");

    let lines = audit_lines(&base, &id).await;
    assert!(
        lines.iter().any(|line| line.contains("relecteur@classe.example")
            && line.contains("data-action=\"review\"")
            && line.contains("refuse:lunettes")),
        "the decision is audited under the reviewer's address:\n{lines:#?}"
    );
    assert!(
        lines.iter().any(|line| line.contains("formatrice@classe.example")
            && line.contains("set_review_mode")
            && line.contains("manuelle")),
        "and so is the trainer's setting:\n{lines:#?}"
    );
    reviewer.sign_out().await.unwrap();
}

#[tokio::test]
async fn the_json_clerk_desk_refuses_keeping_the_code_then_validates() {
    let world = world_with_staff(92).await;
    let client = &world.client;
    let base = world.running.base_url();
    let (learner, code) = learner_at_face_to_face(client, "guichet-json@simulation.example", MOBILE).await;
    let (id, client) = (learner.id.clone(), &learner.client);
    let clerk = desk(&base, "guichet@classe.example").await;
    let case = clerk.clerk_case(&code).await.unwrap();
    assert_eq!(case.learner_id, id);
    assert_eq!(
        (
            case.identity.birth_name.as_str(),
            case.identity.document_number_ending.as_str()
        ),
        ("Lefèvre", "7K2P"),
        "the clerk sees the confirmed data to compare, as data"
    );

    let sent_away = clerk
        .clerk_refuse(&code, ClerkRefusalReason::ExpiredDocument)
        .await
        .unwrap();
    assert_eq!(
        (sent_away.step, sent_away.validated, sent_away.code_valid_until),
        (Step::FaceToFace, false, Some(case.valid_until)),
        "the person is sent away; the code stays valid"
    );
    let journal = client.journal(&id).await.unwrap();
    let line = journal.last().unwrap();
    assert_eq!(
        (line.actor.as_str(), line.action.as_str(), &line.detail),
        (
            "guichet",
            "clerk_refuse",
            &Some(JournalDetail::ClerkRefused {
                reason: "piece_expiree".into()
            })
        ),
        "the refusal is in the learner's journal"
    );

    let presented = |ending: &str| ClerkValidation {
        code: code.clone(),
        document_type: DocumentKind::Cni,
        birth_name: "Lefèvre".into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1985, 2, 11).unwrap(),
        document_number_ending: ending.into(),
    };
    let (status, code_refused, message) = refused(clerk.clerk_validate(&presented("0000")).await);
    assert_eq!(
        (status, code_refused.as_str()),
        (422, "document_mismatch"),
        "another document is refused by the journey ({message})"
    );
    assert!(
        message.ends_with("Les 4 derniers caractères du numéro de la pièce ne correspondent pas."),
        "the desk API's message names the field: {message}"
    );
    assert_eq!(client.learner(&id).await.unwrap().step, "face_to_face");
    let validated = clerk.clerk_validate(&presented("7K2P")).await.unwrap();
    assert_eq!((validated.step, validated.validated), (Step::Activation, true));
    assert_eq!(client.learner(&id).await.unwrap().step, "activation");
    assert_eq!(
        last_code(client, &id, MessageChannel::Sms).await.len(),
        6,
        "the activation code reached the learner"
    );

    let lines = audit_lines(&base, &id).await;
    for (action, detail) in [
        ("data-action=\"clerk_lookup\"", ""),
        ("data-action=\"clerk_refuse\"", "piece_expiree"),
        ("data-action=\"clerk_validate\"", ""),
    ] {
        assert!(
            lines.iter().any(|line| line.contains("guichet@classe.example")
                && line.contains(action)
                && line.contains(detail)),
            "{action} is audited under the clerk's address:\n{lines:#?}"
        );
    }
}

#[tokio::test]
async fn each_desk_admits_only_its_roles_and_no_session_gets_a_401() {
    let world = world_with_staff(93).await;
    let client = &world.client;
    let base = world.running.base_url();
    let (learner, code) = learner_at_face_to_face(client, "roles@simulation.example", MOBILE).await;
    let (id, client) = (learner.id.clone(), &learner.client);

    let clerk = desk(&base, "guichet@classe.example").await;
    let (status, code_refused, message) = refused(clerk.review_queue().await);
    assert_eq!((status, code_refused.as_str()), (403, "role_not_allowed"));
    assert!(message.contains("Guichetier"), "says which role: {message}");
    let (status, _, _) = refused(clerk.review(&id, ReviewDecision::Accepted).await);
    assert_eq!(status, 403, "a clerk cannot review");
    let (status, _, _) = refused(clerk.set_review_desk(&id, true).await);
    assert_eq!(status, 403, "nor put a learner on the review desk");

    for email in ["relecteur@classe.example", "support@classe.example"] {
        let other = desk(&base, email).await;
        let (status, code_refused, _) = refused(other.clerk_case(&code).await);
        assert_eq!(
            (status, code_refused.as_str()),
            (403, "role_not_allowed"),
            "{email}"
        );
        let (status, _, _) = refused(
            other
                .clerk_refuse(&code, ClerkRefusalReason::DifferentPerson)
                .await,
        );
        assert_eq!(status, 403, "{email} cannot use the clerk desk");
    }
    let (status, _, _) = refused(desk(&base, "support@classe.example").await.review_queue().await);
    assert_eq!(status, 403, "a support agent does not review");
    assert_eq!(client.learner(&id).await.unwrap().step, "face_to_face");
    assert!(
        !client
            .journal(&id)
            .await
            .unwrap()
            .iter()
            .any(|line| line.action == "clerk_refuse"),
        "nothing was decided"
    );

    let anonymous = reqwest::Client::new();
    for (method, path) in [
        (reqwest::Method::GET, "/console/api/revue".to_owned()),
        (reqwest::Method::GET, format!("/console/api/guichet/{code}")),
        (reqwest::Method::POST, "/console/api/guichet/decisions".to_owned()),
    ] {
        let response = anonymous
            .request(method.clone(), format!("{base}{path}"))
            .json(&serde_json::json!({ "decision": "refuse", "code": code, "reason": "piece_expiree" }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path} without a session");
        let refusal: serde_json::Value = response.json().await.unwrap();
        assert_eq!(refusal["code"], "signed_out");
        assert!(refusal["message"].as_str().unwrap().contains("connectez-vous"));
    }

    // Signed out, the session's cookie opens nothing any more.
    let http = reqwest::Client::new();
    let (cookie, csrf) = json_sign_in(&http, &base, "guichet@classe.example").await;
    let out = http
        .post(format!("{base}/console/api/deconnexion"))
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), 204);
    let after = http
        .get(format!("{base}/console/api/guichet/{code}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), 401, "the session ended at sign-out");
}

#[tokio::test]
async fn a_desk_decision_without_the_sessions_csrf_header_is_refused() {
    let world = world_with_staff(94).await;
    let client = &world.client;
    let base = world.running.base_url();
    let learner = learner_with_confirmed_identity(client, "csrf@simulation.example", MOBILE).await;
    let (id, client) = (learner.id.clone(), &learner.client);
    desk(&base, "formatrice@classe.example")
        .await
        .set_review_desk(&id, true)
        .await
        .unwrap();
    submit_online(&learner).await;
    let http = reqwest::Client::new();
    let (cookie, csrf) = json_sign_in(&http, &base, "relecteur@classe.example").await;
    let (_, other_csrf) = json_sign_in(&http, &base, "formatrice@classe.example").await;
    let decision = format!("{base}/console/api/revue/{id}/decision");
    let refuse = serde_json::json!({ "decision": "refuse", "reason": "lunettes" });
    for token in [None, Some(""), Some(other_csrf.as_str()), Some(&csrf[1..])] {
        let mut request = http.post(&decision).header("cookie", &cookie).json(&refuse);
        if let Some(token) = token {
            request = request.header("x-csrf-token", token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "CSRF header {token:?} is refused");
        let refusal: serde_json::Value = response.json().await.unwrap();
        assert_eq!(refusal["code"], "csrf_token_invalid");
        assert!(refusal["message"].as_str().unwrap().contains("jeton anti-CSRF"));
    }
    // What a cross-site form can send: the session's cookie (were it not SameSite) and fields.
    let form = http
        .post(&decision)
        .header("cookie", &cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("decision", "refuse"),
            ("reason", "lunettes"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 403, "a form post cannot decide at a desk");
    assert_eq!(
        client.learner(&id).await.unwrap().step,
        "review",
        "nothing was decided"
    );
    let taken = http
        .post(&decision)
        .header("cookie", &cookie)
        .header("x-csrf-token", &csrf)
        .json(&refuse)
        .send()
        .await
        .unwrap();
    assert_eq!(
        taken.status(),
        200,
        "with the session's token the decision is taken"
    );
    assert_eq!(client.learner(&id).await.unwrap().step, "identification_refused");
}

#[tokio::test]
async fn bad_desk_input_gets_a_stable_code_and_a_french_message_and_changes_nothing() {
    let world = world_with_staff(95).await;
    let client = &world.client;
    let base = world.running.base_url();
    let http = reqwest::Client::new();
    let online_learner = learner_with_confirmed_identity(client, "saisie@simulation.example", MOBILE).await;
    let online = online_learner.id.clone();
    desk(&base, "formatrice@classe.example")
        .await
        .set_review_desk(&online, true)
        .await
        .unwrap();
    submit_online(&online_learner).await;
    let (face, code) =
        learner_at_face_to_face(client, "saisie-guichet@simulation.example", "+33639980031").await;
    let face = face.id;
    let (reviewer_cookie, reviewer_csrf) = json_sign_in(&http, &base, "relecteur@classe.example").await;
    let (clerk_cookie, clerk_csrf) = json_sign_in(&http, &base, "guichet@classe.example").await;
    let validate = |field: &str, value: &str| {
        let mut presented = serde_json::json!({
            "document_type": "cni",
            "birth_name": "Lefèvre",
            "birth_date": "1985-02-11",
            "document_number_ending": "7K2P",
        });
        presented[field] = serde_json::json!(value);
        serde_json::json!({ "decision": "validate", "code": code, "presented": presented })
    };
    let cases = [
        (
            format!("/console/api/revue/{online}/decision"),
            &reviewer_cookie,
            &reviewer_csrf,
            serde_json::json!({ "decision": "refuse", "reason": "chapeau" }),
            400,
            "unknown_refusal_reason",
            "Motif de refus inconnu",
        ),
        (
            format!("/console/api/revue/{online}/decision"),
            &reviewer_cookie,
            &reviewer_csrf,
            serde_json::json!({ "decision": "peut-etre" }),
            400,
            "invalid_body",
            "requête",
        ),
        (
            "/console/api/guichet/decisions".to_owned(),
            &clerk_cookie,
            &clerk_csrf,
            validate("document_type", "permis_de_conduire"),
            400,
            "invalid_document_type",
            "Type de pièce inconnu",
        ),
        (
            "/console/api/guichet/decisions".to_owned(),
            &clerk_cookie,
            &clerk_csrf,
            validate("birth_date", "11/02/1985"),
            400,
            "invalid_date",
            "Date de naissance invalide",
        ),
        (
            "/console/api/guichet/decisions".to_owned(),
            &clerk_cookie,
            &clerk_csrf,
            serde_json::json!({ "decision": "refuse", "code": code, "reason": "chapeau" }),
            400,
            "invalid_reason",
            "Motif de refus inconnu",
        ),
        (
            "/console/api/guichet/decisions".to_owned(),
            &clerk_cookie,
            &clerk_csrf,
            serde_json::json!({ "decision": "refuse", "code": "ZZZZZZ", "reason": "piece_expiree" }),
            404,
            "not_found",
            "Introuvable",
        ),
    ];
    for (path, cookie, csrf, body, status, code_expected, french) in cases {
        let response = http
            .post(format!("{base}{path}"))
            .header("cookie", cookie)
            .header("x-csrf-token", csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), status, "{body}");
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["code"], code_expected, "a stable code for {body}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(french),
            "a French message for {body}: {error}"
        );
    }
    // The support reading of both learners: the trainer's.
    assert_eq!(world.trainer.learner(&online).await.unwrap().step, "review");
    assert_eq!(world.trainer.learner(&face).await.unwrap().step, "face_to_face");
    for id in [&online, &face] {
        assert!(
            !audit_lines(&base, id).await.iter().any(|line| {
                line.contains("data-action=\"review\"")
                    || line.contains("data-action=\"clerk_refuse\"")
                    || line.contains("data-action=\"clerk_validate\"")
            }),
            "a refused input is no decision in the audit"
        );
    }
}

#[tokio::test]
async fn the_json_sign_in_stops_a_guessing_client_like_the_form() {
    let world = world_with_staff(96).await;
    let base = world.running.base_url();
    let http = reqwest::Client::new();
    let attempt = |email: &'static str, password: &'static str| {
        let http = http.clone();
        let url = format!("{base}/console/api/connexion");
        async move {
            http.post(url)
                .json(&serde_json::json!({ "email": email, "password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..5 {
        let response = attempt("relecteur@classe.example", "pas le bon mot de passe").await;
        assert_eq!(response.status(), 401);
        assert!(
            response.headers().get("set-cookie").is_none(),
            "a refused sign-in opens no session"
        );
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(
            (error["code"].as_str(), error["message"].as_str()),
            (Some("login_refused"), Some("Adresse ou mot de passe incorrect."))
        );
    }
    let throttled = attempt("relecteur@classe.example", PASSWORD).await;
    assert_eq!(
        throttled.status(),
        429,
        "after 5 failures from this client even the right password waits"
    );
    let wait: u64 = throttled
        .headers()
        .get("retry-after")
        .expect("the wait, for programs (Retry-After)")
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&wait), "{wait} s");
    let error: serde_json::Value = throttled.json().await.unwrap();
    assert_eq!(error["code"], "too_many_requests");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("Trop de tentatives depuis cet appareil : réessayez dans "));

    // One lock for this client on this account, whichever sign-in: the form waits too.
    let (login_cookie, token) = sign_in_form(&http, &base).await;
    let form = http
        .post(format!("{base}/console/connexion"))
        .header("cookie", &login_cookie)
        .form(&[
            ("csrf", token.as_str()),
            ("email", "relecteur@classe.example"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 429, "the form is throttled by the JSON failures");
    assert!(form.headers().get("retry-after").is_some());

    let other = attempt("guichet@classe.example", PASSWORD).await;
    assert_eq!(
        other.status(),
        200,
        "another account is not locked for this client"
    );

    // A cross-site form cannot sign someone in: the JSON sign-in takes JSON only.
    let cross_site = http
        .post(format!("{base}/console/api/connexion"))
        .form(&[("email", "guichet@classe.example"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 400);
    assert!(cross_site.headers().get("set-cookie").is_none());
}

#[tokio::test]
async fn a_classmates_wrong_passwords_on_another_address_never_lock_the_trainer_out() {
    let world = world_with_staff(97).await;
    let base = world.running.base_url();
    // The classmate's laptop: another loopback address, so another client for the world.
    let classmate = reqwest::Client::builder()
        .local_address("127.0.0.2".parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap();
    for attempt in 1..=8 {
        let response = classmate
            .post(format!("{base}/console/api/connexion"))
            .json(&serde_json::json!({ "email": "formatrice@classe.example", "password": "une devinette" }))
            .send()
            .await
            .unwrap();
        let expected = if attempt <= 5 { 401 } else { 429 };
        assert_eq!(response.status(), expected, "the classmate's attempt {attempt}");
    }
    let trainer = desk(&base, "formatrice@classe.example").await;
    drop(trainer);
    let lines = audit_lines(&base, "127.0.0.2").await;
    assert_eq!(
        lines.iter().filter(|line| line.contains("login_failed")).count(),
        5,
        "the trainer reads the five failures and the address they came from"
    );
}

/// A value as askama writes it in a page (its HTML escaper).
fn escaped(text: &str) -> String {
    text.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// The row of one learner in the class at a glance.
fn row_of<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page
        .find(&format!(r#"<tr data-learner="{id}""#))
        .unwrap_or_else(|| panic!("a row for {id}: {page}"));
    let end = page[start..].find("</tr>").unwrap() + start;
    &page[start..end]
}

/// The count the chart shows for a step.
fn bar_count(page: &str, step: &str) -> String {
    let chart = &page[page.find(r#"id="repartition""#).expect("the chart")..];
    let start = chart
        .find(&format!(r#"<tr data-step="{step}""#))
        .unwrap_or_else(|| panic!("a bar for {step}"));
    let cell = r#"<td class="count">"#;
    let count = &chart[start..][chart[start..].find(cell).unwrap() + cell.len()..];
    count[..count.find('<').unwrap()].to_owned()
}

#[tokio::test]
async fn the_class_at_a_glance_names_each_learner_and_says_who_waits_for_the_trainer() {
    let world = world_with_staff(98).await;
    let client = &world.client;
    let base = world.running.base_url();
    let trainer = Console::sign_in(&base, "formatrice@classe.example").await;
    let (_, empty) = trainer.get("/console/apprenants").await;
    assert!(
        empty.contains(r#"src="/qr/rejoindre.png""#) && empty.contains(&base),
        "an empty class shows the join QR code and the address"
    );
    let qr = trainer
        .http
        .get(format!("{base}/qr/rejoindre.png"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            qr.status().as_u16(),
            qr.headers()["content-type"].to_str().unwrap()
        ),
        (200, "image/png"),
        "the image the page shows is served (the console's CSP allows 'self' images)"
    );

    let (status, _) = trainer.post("/console/revue/mode", &[("mode", "manuelle")]).await;
    assert_eq!(status, 303);
    let (waiting, _, _) = submitted_online(client, "attente@simulation.example", "+33639980041").await;
    let (counter, _) = learner_at_face_to_face(client, "guichet@simulation.example", "+33639980042").await;
    let mistaken = new_learner(client, "faute@simulation.example").await;
    let right = mistaken.last_code(MessageChannel::Email).await;
    let wrong: String = right
        .chars()
        .map(|digit| if digit == '1' { '2' } else { '1' })
        .collect();
    mistaken
        .act(&LearnerAction::ConfirmEmail { code: wrong })
        .await
        .expect_err("a wrong email code is refused");
    let refusal = mistaken.client.journal(&mistaken.id).await.unwrap();
    let refusal = refusal
        .last()
        .unwrap()
        .message
        .clone()
        .expect("the refusal's French message");

    let (status, page) = trainer.get("/console/apprenants").await;
    assert_eq!(status, 200);
    assert!(
        !page.contains(r#"id="rejoindre""#),
        "the class is no longer empty"
    );

    let review = row_of(&page, &waiting.id);
    assert!(
        review.contains(r#"data-step="review" data-a-vous="oui""#)
            && review.contains("À vous d'agir")
            && review.contains(&format!(r#"href="/console/revue/{}""#, waiting.id)),
        "the learner waiting at the review desk waits for the trainer: {review}"
    );
    assert!(
        !review.contains(r#"class="tag blocker""#),
        "a review at the desk is no red blocker: {review}"
    );
    assert!(
        review.contains(">Jean Édouard Lefèvre</a>") && review.contains("attente@simulation.example"),
        "named by their identity, their email beside: {review}"
    );
    assert!(review.contains(r#"<span class="rank">13/16</span> Identification en cours de traitement"#));

    let at_counter = row_of(&page, &counter.id);
    assert!(
        at_counter.contains("À vous d'agir") && at_counter.contains(r#"href="/console/guichet""#),
        "the person at the face-to-face counter waits for the trainer too: {at_counter}"
    );
    assert!(at_counter.contains(r#"<span class="rank">9/16</span>"#));

    let errored = row_of(&page, &mistaken.id);
    assert!(
        errored.contains(">faute@simulation.example</a>"),
        "no name yet: the email"
    );
    assert!(
        errored.contains(&escaped(&refusal)) && errored.contains("il y a moins d&#39;une minute"),
        "the latest error in French, with how long ago: {errored}"
    );
    assert!(
        page.find(&format!(r#"data-learner="{}""#, waiting.id))
            < page.find(&format!(r#"data-learner="{}""#, mistaken.id)),
        "who waits for the trainer comes first"
    );
    assert!(page.contains("<strong>2</strong> apprenants attendent votre action"));
    for (step, count) in [
        ("email_code", "1"),
        ("face_to_face", "1"),
        ("review", "1"),
        ("enrolled", "0"),
    ] {
        assert_eq!(bar_count(&page, step), count, "learners at {step}");
    }

    // A support agent is not the desk: the same learners wait, for someone else.
    let support = Console::sign_in(&base, "support@classe.example").await;
    let (_, seen_by_support) = support.get("/console/apprenants").await;
    let review = row_of(&seen_by_support, &waiting.id);
    assert!(
        !review.contains("À vous d'agir") && review.contains("attend le guichet de revue"),
        "{review}"
    );

    // The live part alone, as the page's script fetches it after a change.
    let (status, live) = trainer.get("/console/apprenants/lignes?q=lef%C3%A8vre").await;
    assert_eq!(status, 200);
    assert!(live.contains(&waiting.id) && live.contains(&counter.id) && !live.contains(&mistaken.id));
    assert!(
        live.contains(r#"id="repartition""#) && !live.contains("<html"),
        "the chart and the rows, without the page around them"
    );
}

#[tokio::test]
async fn a_learners_page_puts_what_blocks_them_first_and_tells_the_journal_in_french() {
    let world = world_with_staff(99).await;
    let client = &world.client;
    let base = world.running.base_url();
    let trainer = Console::sign_in(&base, "formatrice@classe.example").await;
    trainer.post("/console/revue/mode", &[("mode", "manuelle")]).await;
    let (learner, _, _) = submitted_online(client, "journal@simulation.example", MOBILE).await;
    let (status, page) = trainer.get(&format!("/console/apprenants/{}", learner.id)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<h1>Jean Édouard Lefèvre</h1>"), "named");
    let first_card = &page[..page.find("<h2>État</h2>").expect("the state")];
    assert!(
        first_card.contains("Où en est l&#39;apprenant") || first_card.contains("Où en est l'apprenant"),
        "where they stand comes first"
    );
    assert!(
        first_card.contains("À vous d'agir"),
        "and that the trainer has to act"
    );
    let journal = &page[page.find(r#"<table id="journal">"#).expect("the journal")..];
    for internal in ["plan_review", "email_code", "start_account", "→ password"] {
        assert!(
            !journal.contains(internal),
            "no internal name ({internal}) in the journal: {journal}"
        );
    }
    assert!(
        journal.contains("Ouvre son compte La Poste")
            && journal.contains("Identifications visuelles : revue manuelle au guichet de revue.")
            && journal.contains("1/16 Code reçu par e-mail → 2/16 Choix du mot de passe"),
        "each line says what happened and which steps, in French: {journal}"
    );

    let reviewer = Console::sign_in(&base, "relecteur@classe.example").await;
    let (_, desk) = reviewer.get(&format!("/console/revue/{}", learner.id)).await;
    assert!(
        desk.contains(r#"<select id="motif" name="reason" required><option value="" selected disabled>"#),
        "the refusal form starts with no reason chosen"
    );
    assert!(
        desk.contains(&format!(
            r#"<a href="/console/apprenants/{}">Jean Édouard Lefèvre</a> (journal@simulation.example)"#,
            learner.id
        )),
        "the reviewer reads whose identification it is by name: {desk}"
    );
    let (_, queue) = reviewer.get("/console/revue").await;
    let row = row_of(&queue, &learner.id);
    assert!(
        row.contains("Jean Édouard Lefèvre</a><br><span class=\"hint\">journal@simulation.example</span>"),
        "the review queue leads with the name, the address under it: {row}"
    );
}

#[tokio::test]
async fn the_clerk_keeps_what_was_typed_when_the_document_differs() {
    let world = world_with_staff(100).await;
    let base = world.running.base_url();
    let (_, code) = learner_at_face_to_face(&world.client, "copie@simulation.example", MOBILE).await;
    let clerk = Console::sign_in(&base, "guichet@classe.example").await;
    let typed_name = r#"Lefèvre"><script>alert(1)</script>"#;
    let (status, page) = clerk
        .post(
            "/console/guichet",
            &[
                ("code", code.as_str()),
                ("decision", "valider"),
                ("document_type", "passeport"),
                ("birth_name", typed_name),
                ("birth_date", "1985-02-11"),
                ("document_number_ending", "0000"),
            ],
        )
        .await;
    assert_eq!(status, 422, "a different document is refused");
    assert!(
        page.contains(&format!(r#"name="birth_name" value="{}""#, escaped(typed_name)))
            && page.contains(r#"name="birth_date" value="1985-02-11""#)
            && page.contains(r#"name="document_number_ending" value="0000""#)
            && page.contains(r#"<option value="passeport" selected>"#),
        "what the clerk typed stays in the form, escaped: {page}"
    );
    assert!(!page.contains("<script>alert(1)"));
    assert!(
        page.contains(
            r#"<select id="motif-guichet" name="reason" required><option value="" selected disabled>"#
        ),
        "sending the person away starts with no reason chosen"
    );
}

/// Quick help (issue 19 item 5): a learner in review is offered the review's 24 weekday hours and
/// the catalogue's refusals, not what belongs to other steps; one click on « Identification
/// refusée : reflet… » refuses their identification as a reviewer would, the refusal reaches their
/// state and inbox, and the staff audit says who did it, in French.
#[tokio::test]
async fn one_click_puts_a_learner_in_review_into_a_refused_identification_with_its_reason() {
    let world = spawn_world(87).await;
    let base = world.running.base_url();
    add_staff(
        world.running.world(),
        "formatrice@classe.example",
        Role::Trainer,
        PASSWORD,
    )
    .await
    .unwrap();
    let (learner, _, _) = submitted_online(&world.client, "aide@simulation.example", "+33639980021").await;
    let id = learner.id.clone();
    let trainer = Console::sign_in(&base, "formatrice@classe.example").await;
    let (_, page) = trainer.get(&format!("/console/apprenants/{id}")).await;
    assert!(
        page.contains("data-aide=\"horloge:revue\"") && page.contains("+ 24 h ouvrées (revue)"),
        "in review: the review's delay in one click"
    );
    assert!(
        page.contains("data-aide=\"situation:identification_refusee:reflet\""),
        "and the catalogue's refusals"
    );
    assert!(
        !page.contains("data-aide=\"renvoyer_code\"")
            && !page.contains("data-aide=\"situation:code_secret_oublie\""),
        "no code awaited, not enrolled: neither is offered"
    );

    let (status, _) = trainer
        .post(
            &format!("/console/apprenants/{id}/aide"),
            &[("aide", "situation:identification_refusee:reflet")],
        )
        .await;
    assert_eq!(status, 303, "the help is given");
    let view = world.trainer.learner(&id).await.unwrap();
    assert_eq!(
        view.registered_letter.unwrap().refusal_reason_label.as_deref(),
        Some(RefusalReason::Glare.label_fr()),
        "the learner's letter says why"
    );
    let inbox = world.trainer.inbox(&id).await.unwrap();
    assert!(
        inbox
            .iter()
            .any(|message| message.subject == "Identification refusée"
                && message.body.contains(RefusalReason::Glare.label_fr())),
        "the refusal's email reached the learner"
    );
    let again = trainer
        .post(
            &format!("/console/apprenants/{id}/aide"),
            &[("aide", "situation:identification_refusee:flou")],
        )
        .await;
    assert_eq!(again.0, 400, "no longer in review: the refusal no longer applies");
    assert!(again.1.contains("ne s&#39;applique pas"), "{}", again.1);
    let lines = audit_lines(&base, "help_situation").await;
    assert_eq!(lines.len(), 1, "one audit line: {lines:?}");
    assert!(
        lines[0].contains("Aide rapide : situation du catalogue")
            && lines[0].contains("formatrice@classe.example")
            && lines[0].contains(&id),
        "{}",
        lines[0]
    );
}

/// Quick help for an enrolled learner (issue 19 item 5): the catalogue's login request and
/// forgotten secret code are offered, nothing about codes; « Code secret oublié » locks the
/// identity as the app's button does, and then the only way out offered is the real one, verifying
/// the identity again (face to face: a new activation code by SMS, which the clerk finds).
#[tokio::test]
async fn an_enrolled_learner_is_put_into_a_login_request_or_a_forgotten_secret_code_then_verifies_again() {
    let world = spawn_world(88).await;
    let base = world.running.base_url();
    add_staff(
        world.running.world(),
        "formatrice@classe.example",
        Role::Trainer,
        PASSWORD,
    )
    .await
    .unwrap();
    let (id, device, _vault) = idn_e2e::activated_device(
        &world.client,
        &world.trainer,
        world.dir.path(),
        "inscrite@simulation.example",
        MOBILE,
        "2580",
    )
    .await;
    let trainer = Console::sign_in(&base, "formatrice@classe.example").await;
    let help = format!("/console/apprenants/{id}/aide");
    let (_, page) = trainer.get(&format!("/console/apprenants/{id}")).await;
    for offered in [
        "situation:demande_de_connexion",
        "situation:validation_hors_delai",
        "situation:code_secret_oublie",
    ] {
        assert!(
            page.contains(&format!("data-aide=\"{offered}\"")),
            "enrolled: {offered}"
        );
    }
    assert!(
        !page.contains("data-aide=\"renvoyer_code\"") && !page.contains("data-aide=\"refaire_verification"),
        "no code awaited, nothing locked"
    );

    let (status, _) = trainer
        .post(&help, &[("aide", "situation:demande_de_connexion")])
        .await;
    assert_eq!(status, 303);
    let pending = device.pending_requests().await.unwrap();
    assert_eq!(pending.len(), 1, "a login request waits on the learner's phone");

    let (status, _) = trainer
        .post(&help, &[("aide", "situation:code_secret_oublie")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(world.trainer.learner(&id).await.unwrap().step, "locked");
    let (_, page) = trainer.get(&format!("/console/apprenants/{id}")).await;
    assert!(
        page.contains("data-aide=\"refaire_verification:face_a_face\"")
            && page.contains("choix du bac à sable"),
        "locked: verifying again is offered, the sandbox's choice said"
    );
    assert!(
        !page.contains("data-aide=\"situation:demande_de_connexion\""),
        "a locked identity gets no login request"
    );
    let (status, _) = trainer
        .post(&help, &[("aide", "refaire_verification:face_a_face")])
        .await;
    assert_eq!(status, 303);
    assert_eq!(world.trainer.learner(&id).await.unwrap().step, "face_to_face");
    let code = last_code(&world.trainer, &id, MessageChannel::Sms).await;
    let found = world.trainer.clerk_lookup(&code).await.unwrap();
    assert_eq!(found.learner_id, id, "the clerk finds the new activation code");

    assert_eq!(
        audit_lines(&base, "data-action=\"help_situation\"").await.len(),
        2
    );
    let unlock = audit_lines(&base, "data-action=\"help_unlock\"").await;
    assert_eq!(unlock.len(), 1);
    assert!(unlock[0].contains("Aide rapide : déblocage"), "{}", unlock[0]);
}
