//! Uploads of document photos and the identification video: checked (type, size, checksum,
//! content) before they are kept.

use super::*;

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
        if content_type == "video/mp4" {
            let copy = bytes.to_vec();
            let inspected = tokio::task::spawn_blocking(move || idn_capture::inspect_video(&copy))
                .await
                .map_err(|error| WorldError::Corrupt(format!("video check stopped: {error}")))?;
            if let Err(error) = inspected {
                tracing::info!(%error, "video upload refused");
                return Err(WorldError::bad_request(
                    "video_unreadable",
                    "La vidéo reçue est illisible (il faut un MP4 avec image H.264 et son Opus) : enregistrez-la à nouveau.",
                ));
            }
        }
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
        })
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
