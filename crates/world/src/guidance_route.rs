//! Live guidance for document photos taken in a phone's browser: the page sends small preview
//! frames (JPEG, a few a second) and the world answers with the hint of the app's own guidance
//! (`idn_capture::Guidance`) and the auto-capture decision (`idn_capture::AutoCapture`). One
//! implementation of the checks for the app and the browser; nothing is stored.
//!
//! Stateless between frames: the device sends back the `steady` count of the previous answer, so
//! any world process can answer any frame. A device that lies about it only hurries its own photo,
//! which the reviewer's checks judge again at submission (`photo_refusal`).
//!
//! Rate-limited per learner ([`FRAMES_PER_SECOND`]), in memory like the world's other limiters:
//! a page gone wrong cannot keep a core busy decoding JPEGs.

use crate::api::{ApiError, CaptureHint, DocumentKind, GuidanceView};
use crate::WorldError;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::Json;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use idn_capture::{AutoCapture, DocumentFormat, Guidance};
use serde::Deserialize;
use std::num::NonZeroU32;
use std::sync::LazyLock;

/// Preview frames one learner may send a second (the page sends about five).
pub const FRAMES_PER_SECOND: u32 = 12;

/// Largest preview frame: a small JPEG (the page sends 480 px wide ones, about 15–40 kB).
pub const MAX_PREVIEW_BYTES: usize = 48 * 1024;

/// Widest preview frame the world decodes.
const MAX_PREVIEW_WIDTH: u32 = 800;

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(WorldError))]
pub(crate) struct Path<T>(T);

#[derive(axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(WorldError))]
pub(crate) struct Query<T>(T);

#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct GuidanceQuery {
    /// The document being photographed (its shape is one of the checks).
    document: DocumentKind,
    /// The `steady` of the previous answer (0 for the first frame).
    #[serde(default)]
    steady: u8,
}

static LIMITS: LazyLock<DefaultKeyedRateLimiter<String>> = LazyLock::new(|| {
    let per_second = NonZeroU32::new(FRAMES_PER_SECOND).unwrap_or(NonZeroU32::MIN);
    RateLimiter::keyed(Quota::per_second(per_second))
});

/// Learners before forgotten limits are swept.
const LEARNERS_BEFORE_CLEANUP: usize = 4096;

/// The guidance on one preview frame of a document photo: the body is the frame, a JPEG.
#[utoipa::path(post, path = "/api/learners/{id}/guidance", params(("id" = String, Path), GuidanceQuery), request_body(content = Vec<u8>, content_type = "image/jpeg"), responses((status = 200, body = GuidanceView), (status = 400, body = ApiError), (status = 429, body = ApiError)))]
pub(crate) async fn preview_guidance(
    Path(id): Path<String>,
    Query(query): Query<GuidanceQuery>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<GuidanceView>, WorldError> {
    if LIMITS.len() > LEARNERS_BEFORE_CLEANUP {
        LIMITS.retain_recent();
    }
    LIMITS.check_key(&id).map_err(|not_until| {
        tracing::debug!(learner = %id, "preview frames throttled");
        WorldError::Throttled {
            retry_after: not_until.wait_time_from(governor::clock::Clock::now(LIMITS.clock())),
        }
    })?;
    let frame = body.map_err(|rejection| {
        tracing::info!(%rejection, "preview frame refused");
        WorldError::bad_request(
            "invalid_body",
            "L'image d'aperçu envoyée est illisible ou trop grande.",
        )
    })?;
    if frame.len() > MAX_PREVIEW_BYTES {
        return Err(WorldError::bad_request(
            "preview_too_large",
            "L'image d'aperçu est trop grande : envoyez une petite image JPEG.",
        ));
    }
    let format = match query.document {
        DocumentKind::Passeport => DocumentFormat::PassportPage,
        DocumentKind::Cni | DocumentKind::TitreDeSejour => DocumentFormat::Id1,
    };
    let steady = query.steady;
    tokio::task::spawn_blocking(move || assess(&frame, format, steady))
        .await
        .map_err(|error| WorldError::Corrupt(format!("guidance stopped: {error}")))?
        .map(Json)
}

/// Decodes the frame, runs the guidance and the auto-capture on it.
pub fn assess(jpeg: &[u8], format: DocumentFormat, steady: u8) -> Result<GuidanceView, WorldError> {
    let unreadable = || {
        WorldError::bad_request(
            "preview_unreadable",
            "L'image d'aperçu n'est pas un JPEG lisible.",
        )
    };
    if !jpeg.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Err(unreadable());
    }
    let frame = idn_capture::decode_still(jpeg).map_err(|_| unreadable())?;
    if frame.width() > MAX_PREVIEW_WIDTH || frame.height() > MAX_PREVIEW_WIDTH {
        return Err(WorldError::bad_request(
            "preview_too_large",
            "L'image d'aperçu est trop grande : envoyez une petite image JPEG.",
        ));
    }
    let report = Guidance::new(format).assess(&frame);
    let mut auto = AutoCapture::resume(AutoCapture::DEFAULT_STEADY_FRAMES, steady);
    let capture = auto.observe(&frame, &report).is_some();
    Ok(GuidanceView {
        hint: report.first_hint().map(|hint| CaptureHint {
            code: hint.code().to_owned(),
            message: hint.message_fr().to_owned(),
        }),
        steady: auto.streak(),
        capture,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use idn_capture::{
        Degradation, Degradations, DocumentPage, JpegQuality, SpecimenIdentity, StillEncoder,
        SyntheticConfig, SyntheticDocumentSource, VideoSource,
    };

    /// Preview frames of the front of an identity card as a phone's page sends them: 480 px wide
    /// JPEGs, the card already still in the hand.
    fn previews(degradations: Degradations, count: usize) -> Vec<Vec<u8>> {
        let config = SyntheticConfig {
            width: 480,
            height: 270,
            seed: 3,
            degradations,
            settle_frames: 0,
            ..SyntheticConfig::default()
        };
        let mut source =
            SyntheticDocumentSource::new(DocumentPage::CniFront, &SpecimenIdentity::example(), config)
                .unwrap();
        let mut encoder = StillEncoder::new(JpegQuality::new(60).unwrap()).unwrap();
        (0..count)
            .map(|_| encoder.encode(&source.next_frame().unwrap()).unwrap())
            .collect()
    }

    #[test]
    fn steady_good_frames_take_the_photo_on_the_fifth_and_only_then() {
        let mut steady = 0;
        let mut answers = Vec::new();
        for jpeg in previews(Degradations::NONE, 5) {
            assert!(jpeg.len() <= MAX_PREVIEW_BYTES, "{} bytes", jpeg.len());
            let answer = assess(&jpeg, DocumentFormat::Id1, steady).unwrap();
            steady = answer.steady;
            answers.push((answer.hint.map(|hint| hint.code), answer.steady, answer.capture));
        }
        assert_eq!(
            answers,
            [
                (None, 1, false),
                (None, 2, false),
                (None, 3, false),
                (None, 4, false),
                (None, 5, true)
            ]
        );
    }

    #[test]
    fn a_blurred_frame_gets_the_apps_hint_in_french_and_restarts_the_count() {
        let jpeg = &previews(Degradations::NONE.with(Degradation::Blur), 1)[0];
        let answer = assess(jpeg, DocumentFormat::Id1, 4).unwrap();
        let hint = answer.hint.expect("a hint on a blurred card");
        assert_eq!(hint.code, "blurry");
        assert!(!hint.message.is_empty());
        assert_eq!((answer.steady, answer.capture), (0, false));
    }

    #[test]
    fn a_claimed_streak_alone_takes_no_photo_of_a_bad_frame() {
        let jpeg = &previews(Degradations::NONE.with(Degradation::Glare), 1)[0];
        let answer = assess(jpeg, DocumentFormat::Id1, u8::MAX).unwrap();
        assert!(answer.hint.is_some());
        assert!(!answer.capture);
    }

    #[test]
    fn what_is_no_small_jpeg_is_refused_with_a_code() {
        let code = |result: Result<GuidanceView, WorldError>| match result {
            Err(WorldError::BadRequest { code, .. }) => code,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            code(assess(b"\x89PNG\r\n\x1a\n", DocumentFormat::Id1, 0)),
            "preview_unreadable"
        );
        let jpeg = &previews(Degradations::NONE, 1)[0];
        assert_eq!(
            code(assess(&jpeg[..20], DocumentFormat::Id1, 0)),
            "preview_unreadable"
        );
        let config = SyntheticConfig {
            width: 1280,
            height: 720,
            settle_frames: 0,
            ..SyntheticConfig::default()
        };
        let mut source =
            SyntheticDocumentSource::new(DocumentPage::CniFront, &SpecimenIdentity::example(), config)
                .unwrap();
        let mut encoder = StillEncoder::new(JpegQuality::new(30).unwrap()).unwrap();
        let wide = encoder.encode(&source.next_frame().unwrap()).unwrap();
        assert_eq!(code(assess(&wide, DocumentFormat::Id1, 0)), "preview_too_large");
    }
}
