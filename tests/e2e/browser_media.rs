//! What a phone's browser sends the world, black-box over HTTP: the video as `MediaRecorder`
//! records it (Chrome's and Android's WebM with VP8 + Opus, Safari's and iOS's MP4 with H.264 +
//! AAC) gets the same machine checks as the app's own MP4, failures included, and the review desk
//! serves each with its own type so that a browser plays it; the preview frames of a document
//! photo get the app's guidance from `POST /api/learners/{id}/guidance`, for their owner only and
//! a few a second at most. The videos are crates/capture's fixtures (ffmpeg and espeak-ng's
//! French voice saying three digits).

use idn_api::{Credential, GuidanceView, MediaKind, MediaView};
use idn_e2e::{new_learner, refusal_code, spawn_world, Learner, TestWorld};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/../crates/capture/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

async fn upload_video(learner: &Learner, content_type: &str, file: &str) -> MediaView {
    learner
        .client
        .upload_media(&learner.id, MediaKind::Video, content_type, fixture(file))
        .await
        .unwrap_or_else(|error| panic!("{file}: {error}"))
}

/// The failed checks' codes, or `None` for a video that passed them all.
fn failures(media: &MediaView) -> Option<Vec<String>> {
    let checks = media
        .video_checks
        .as_ref()
        .expect("a video comes back with its checks");
    if checks.passed {
        assert!(checks.hints.is_empty(), "{checks:?}");
        return None;
    }
    assert!(
        checks.hints.iter().all(|hint| !hint.message.is_empty()),
        "{checks:?}"
    );
    Some(checks.hints.iter().map(|hint| hint.code.clone()).collect())
}

/// A staff session cookie of the console (the scenario engine's trainer account).
async fn console_cookie(http: &reqwest::Client, world: &TestWorld) -> String {
    let response = http
        .post(format!("{}/console/api/connexion", world.running.base_url()))
        .json(&serde_json::json!({"email": world.engine.email, "password": world.engine.password}))
        .send()
        .await
        .unwrap();
    assert!(response.status().is_success(), "{}", response.status());
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|value| value.to_str().unwrap().split(';').next().unwrap().to_owned())
        .find(|value| value.starts_with("idn_console="))
        .expect("a console session cookie")
}

#[tokio::test]
async fn browser_recordings_are_checked_like_the_apps_and_served_with_their_type() {
    let world = spawn_world(171).await;
    let learner = new_learner(&world.client, "navigateur@simulation.example").await;

    let chrome = upload_video(&learner, "video/webm;codecs=vp8,opus", "spoken-vp8-opus.webm").await;
    assert_eq!(chrome.content_type, "video/webm");
    assert_eq!(failures(&chrome), None, "three digits said in Chrome's WebM");
    let duration = chrome.video_checks.as_ref().unwrap().duration_ms;
    assert!((5_800..6_200).contains(&duration), "{duration} ms");

    let safari = upload_video(&learner, "video/mp4", "spoken-h264-aac.mp4").await;
    assert_eq!(
        failures(&safari),
        None,
        "three digits said in Safari's MP4 with AAC"
    );

    let silent = upload_video(&learner, "video/webm", "silent-vp8-opus.webm").await;
    assert!(
        failures(&silent).is_some_and(|codes| codes.contains(&"no_sound".to_owned())),
        "{:?}",
        silent.video_checks
    );
    let short = upload_video(&learner, "video/mp4", "short-h264-aac.mp4").await;
    assert!(
        failures(&short).is_some_and(|codes| codes.contains(&"video_too_short".to_owned())),
        "{:?}",
        short.video_checks
    );

    // The container is read from the bytes: a WebM sent as an MP4 is refused, and so is a WebM
    // header with nothing behind it.
    let error = learner
        .client
        .upload_media(
            &learner.id,
            MediaKind::Video,
            "video/mp4",
            fixture("spoken-vp8-opus.webm"),
        )
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "content_mismatch");
    let error = learner
        .client
        .upload_media(
            &learner.id,
            MediaKind::Video,
            "video/webm",
            vec![0x1A, 0x45, 0xDF, 0xA3, 1, 2],
        )
        .await
        .unwrap_err();
    assert_eq!(refusal_code(error), "video_unreadable");

    // The review desk plays what the browser recorded: each file with its own type.
    let http = reqwest::Client::new();
    let cookie = console_cookie(&http, &world).await;
    for (media, expected, file) in [
        (&chrome, "video/webm", "spoken-vp8-opus.webm"),
        (&safari, "video/mp4", "spoken-h264-aac.mp4"),
    ] {
        let response = http
            .get(format!(
                "{}/console/apprenants/{}/medias/{}",
                world.running.base_url(),
                learner.id,
                media.media_id
            ))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{file}");
        assert_eq!(response.headers()["content-type"], expected, "{file}");
        assert_eq!(response.bytes().await.unwrap().as_ref(), fixture(file), "{file}");
    }
}

/// A preview frame as the phone's page sends it: the front of the card, 480 px wide, in JPEG.
fn preview_frame() -> Vec<u8> {
    use idn_capture::VideoSource;
    let config = idn_capture::SyntheticConfig {
        width: 480,
        height: 270,
        settle_frames: 0,
        ..idn_capture::SyntheticConfig::default()
    };
    let mut source = idn_capture::SyntheticDocumentSource::new(
        idn_capture::DocumentPage::CniFront,
        &idn_capture::SpecimenIdentity::example(),
        config,
    )
    .unwrap();
    idn_capture::StillEncoder::new(idn_capture::JpegQuality::new(60).unwrap())
        .unwrap()
        .encode(&source.next_frame().unwrap())
        .unwrap()
}

#[tokio::test]
async fn preview_frames_get_the_apps_guidance_for_their_owner_only_and_a_few_a_second() {
    let world = spawn_world(172).await;
    let learner = new_learner(&world.client, "apercu@simulation.example").await;
    let other = new_learner(&world.client, "autre@simulation.example").await;
    let token = |learner: &Learner| {
        learner
            .client
            .credential()
            .map(Credential::expose)
            .unwrap()
            .to_owned()
    };
    let http = reqwest::Client::new();
    let url = |steady: u8| {
        format!(
            "{}/api/learners/{}/guidance?document=cni&steady={steady}",
            world.running.base_url(),
            learner.id
        )
    };
    let frame = preview_frame();
    let post = |steady: u8, bearer: Option<String>, body: Vec<u8>| {
        let mut request = http
            .post(url(steady))
            .header("content-type", "image/jpeg")
            .body(body);
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        request.send()
    };

    let answer: GuidanceView = post(0, Some(token(&learner)), frame.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (answer.hint, answer.steady, answer.capture),
        (None, 1, false),
        "a good frame counts, but one frame takes no photo"
    );
    let answer: GuidanceView = post(4, Some(token(&learner)), frame.clone())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer.capture, "the fifth steady good frame takes the photo");

    assert_eq!(post(0, None, frame.clone()).await.unwrap().status(), 401);
    assert_eq!(
        post(0, Some(token(&other)), frame.clone())
            .await
            .unwrap()
            .status(),
        403,
        "another learner's credential"
    );
    let refused = post(0, Some(token(&learner)), b"GIF89a".to_vec()).await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "preview_unreadable");

    // A page gone wrong sending frames as fast as it can is slowed down, not served.
    let mut flood = tokio::task::JoinSet::new();
    for _ in 0..60 {
        let request = http
            .post(url(0))
            .header("content-type", "image/jpeg")
            .bearer_auth(token(&learner))
            .body(b"x".to_vec());
        flood.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    let statuses = flood.join_all().await;
    assert!(
        statuses.contains(&429),
        "60 frames at once from one learner: {statuses:?}"
    );
}
