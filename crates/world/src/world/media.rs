//! Uploads of document photos and the identification video: checked (type, size, checksum,
//! content) before they are kept.

use super::*;
use crate::api::{CaptureHint, VideoChecksView};

impl World {
    // ----- media -----

    /// Stores an upload after checking its checksum and that its bytes are what it claims.
    pub async fn store_media(
        &self,
        learner_id: &str,
        kind: MediaKind,
        content_type: &str,
        sha256: &str,
        bytes: &[u8],
    ) -> Result<MediaView, WorldError> {
        let content_type = content_type
            .split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        let allowed: &[&str] = match kind {
            MediaKind::Photo => &["image/jpeg", "image/png"],
            MediaKind::Video => &["video/mp4", "video/webm"],
        };
        if !allowed.contains(&content_type.as_str()) {
            return Err(WorldError::bad_request(
                "unsupported_media_type",
                format!(
                    "Type de fichier refusé ({content_type}) : formats acceptés {}.",
                    allowed.join(", ")
                ),
            ));
        }
        if bytes.is_empty() || bytes.len() > MAX_MEDIA_BYTES {
            return Err(WorldError::bad_request(
                "media_size",
                "Le fichier est vide ou trop volumineux.",
            ));
        }
        let actual = hex::encode(Sha256::digest(bytes));
        if !actual.eq_ignore_ascii_case(sha256.trim()) {
            return Err(WorldError::bad_request(
                "checksum_mismatch",
                "Le fichier reçu est incomplet ou altéré (somme de contrôle différente) : renvoyez-le.",
            ));
        }
        if !content_matches(&content_type, bytes) {
            return Err(WorldError::bad_request(
                "content_mismatch",
                "Le contenu du fichier ne correspond pas à son type déclaré.",
            ));
        }
        // MP4 (the app's H.264 + Opus, Safari's H.264 + AAC) and WebM (Chrome's VP8/VP9 + Opus)
        // alike: the machine checks the app makes on its own recording, made here on the file.
        let video_checks = match kind {
            MediaKind::Photo => None,
            MediaKind::Video => {
                let copy = bytes.to_vec();
                let inspected = tokio::task::spawn_blocking(move || idn_capture::inspect_video(&copy))
                    .await
                    .map_err(|error| WorldError::Corrupt(format!("video check stopped: {error}")))?;
                match inspected {
                    Ok(inspection) => Some(video_checks_view(&inspection.report)),
                    Err(error) => {
                        tracing::info!(%error, "video upload refused");
                        return Err(WorldError::bad_request(
                            "video_unreadable",
                            "La vidéo reçue est illisible (il faut un MP4 H.264 avec son Opus ou AAC, ou un WebM VP8/VP9 avec son Opus) : enregistrez-la à nouveau.",
                        ));
                    }
                }
            }
        };
        // Named by learner and content: the same file sent again by the same learner is the
        // same media (idempotent retry); another learner's identical file is their own.
        let scoped = hex::encode(Sha256::digest(format!("{learner_id}\n{actual}").as_bytes()));
        let media_id = format!(
            "{}-{}",
            match kind {
                MediaKind::Photo => "photo",
                MediaKind::Video => "video",
            },
            &scoped[..24]
        );
        // On a blocking thread: a 64 MB insert never holds an async worker.
        self.store
            .insert_media(NewMedia {
                id: media_id.clone(),
                learner_id: learner_id.to_owned(),
                kind,
                content_type: content_type.clone(),
                sha256: actual.clone(),
                bytes: bytes.to_vec(),
                at: self.now(),
            })
            .await?;
        Ok(MediaView {
            media_id,
            content_type,
            sha256: actual,
            size: bytes.len() as u64,
            video_checks,
        })
    }
}

/// The machine checks on a video, for the wire: typed codes and the French sentences.
fn video_checks_view(report: &idn_capture::VideoReport) -> VideoChecksView {
    VideoChecksView {
        duration_ms: u64::try_from(report.duration.as_millis()).unwrap_or(u64::MAX),
        passed: report.passed(),
        hints: report
            .hints()
            .into_iter()
            .map(|hint| CaptureHint {
                code: hint.code().to_owned(),
                message: hint.message_fr(),
            })
            .collect(),
    }
}

/// Magic numbers of the accepted formats: a mislabelled file is refused.
pub(super) fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "video/mp4" => bytes.len() > 12 && &bytes[4..8] == b"ftyp",
        "video/webm" => bytes.starts_with(&[0x1A, 0x45, 0xDF, 0xA3]),
        _ => false,
    }
}
