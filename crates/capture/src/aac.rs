//! AAC-LC sound, what Safari and iOS record with `MediaRecorder` (MP4 with H.264 + AAC), decoded to
//! mono samples for the machine checks. Symphonia's decoder is pure Rust, maintained, and under
//! MPL-2.0 like `mp4parse`; only its AAC codec is linked (no formats, no other codecs).

use crate::CaptureError;
use symphonia_codec_aac::AacDecoder;
use symphonia_core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia_core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::PacketRef;

/// An AAC-LC stream being decoded: packets in, mono samples out.
pub(crate) struct AacSound {
    decoder: AacDecoder,
    interleaved: Vec<f32>,
}

impl AacSound {
    /// `audio_specific_config` is the stream's configuration (an MP4 `esds` box's decoder-specific
    /// data): it says the sample rate and the channels.
    pub(crate) fn new(audio_specific_config: &[u8]) -> Result<Self, CaptureError> {
        let mut params = AudioCodecParameters::new();
        params.codec = CODEC_ID_AAC;
        params.with_extra_data(audio_specific_config.into());
        let decoder = AacDecoder::try_new(&params, &AudioDecoderOptions::default())
            .map_err(|error| unreadable(format!("AAC configuration: {error}")))?;
        Ok(Self {
            decoder,
            interleaved: Vec::new(),
        })
    }

    /// Samples per second of the decoded sound.
    pub(crate) fn sample_rate(&self) -> Result<u32, CaptureError> {
        self.decoder
            .codec_params()
            .sample_rate
            .ok_or_else(|| unreadable("AAC stream without a sample rate"))
    }

    /// Decodes one packet and appends its sound, channels averaged, to `mono`.
    pub(crate) fn decode(&mut self, packet: &[u8], mono: &mut Vec<f32>) -> Result<(), CaptureError> {
        let decoded = self
            .decoder
            .decode_ref(&PacketRef::new(0, 0.into(), 0u32.into(), packet))
            .map_err(|error| unreadable(format!("AAC packet: {error}")))?;
        let channels = decoded.spec().channels().count().max(1);
        self.interleaved.clear();
        decoded.copy_to_vec_interleaved(&mut self.interleaved);
        downmix(&self.interleaved, channels, mono);
        Ok(())
    }
}

/// Appends the average of each frame's `channels` interleaved samples to `mono`.
pub(crate) fn downmix(interleaved: &[f32], channels: usize, mono: &mut Vec<f32>) {
    if channels <= 1 {
        mono.extend_from_slice(interleaved);
        return;
    }
    mono.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() / channels as f32),
    );
}

fn unreadable(reason: impl Into<String>) -> CaptureError {
    CaptureError::UnreadableVideo(reason.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_is_averaged_and_mono_kept() {
        let mut mono = Vec::new();
        downmix(&[1.0, 0.0, 0.5, 0.5], 2, &mut mono);
        assert_eq!(mono, [0.5, 0.5]);
        downmix(&[0.25], 1, &mut mono);
        assert_eq!(mono, [0.5, 0.5, 0.25]);
    }

    #[test]
    fn a_configuration_that_is_no_aac_lc_is_refused() {
        // Too short to be an AudioSpecificConfig.
        assert!(AacSound::new(&[0x12]).is_err());
    }
}
