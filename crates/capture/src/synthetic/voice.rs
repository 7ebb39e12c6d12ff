//! A synthetic French voice saying the three digits of the video, for tests, `idn demo` and anyone
//! without a microphone.
//!
//! The digits are short recordings made once with espeak-ng's French voice
//! (`scripts/make-voice.sh`), trimmed of silence and kept in the repository as headerless G.711
//! µ-law at 16 kHz (about 55 kB for all ten). At run time they are decoded and upsampled to
//! 48 kHz, the rate Opus encodes, and laid on a quiet room tone drawn from the seed.

use crate::{AudioSource, CaptureError};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::time::Duration;

/// The rate of the committed recordings.
const RECORDED_RATE: usize = 16_000;
/// The rate this voice is delivered at: Opus's own, so nothing resamples it again.
pub const VOICE_SAMPLE_RATE: u32 = 48_000;
const UPSAMPLE: usize = VOICE_SAMPLE_RATE as usize / RECORDED_RATE;

/// Silence before the first digit: the person reads the digits, then speaks.
const LEAD_IN: Duration = Duration::from_millis(900);
/// Pause between two digits, long enough that they are heard apart.
const PAUSE: Duration = Duration::from_millis(650);
/// Room tone: about -62 dBFS of soft noise, so that "silence" is as a microphone hears it.
const ROOM_TONE: f32 = 0.0008;

const DIGITS: [&[u8]; 10] = [
    include_bytes!("../../assets/voice-fr/0.ulaw"),
    include_bytes!("../../assets/voice-fr/1.ulaw"),
    include_bytes!("../../assets/voice-fr/2.ulaw"),
    include_bytes!("../../assets/voice-fr/3.ulaw"),
    include_bytes!("../../assets/voice-fr/4.ulaw"),
    include_bytes!("../../assets/voice-fr/5.ulaw"),
    include_bytes!("../../assets/voice-fr/6.ulaw"),
    include_bytes!("../../assets/voice-fr/7.ulaw"),
    include_bytes!("../../assets/voice-fr/8.ulaw"),
    include_bytes!("../../assets/voice-fr/9.ulaw"),
];

/// The three digits the world asks the person to say, each 0..=9.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpokenDigits([u8; 3]);

impl SpokenDigits {
    pub fn new(digits: [u8; 3]) -> Result<Self, CaptureError> {
        if digits.iter().any(|&d| d > 9) {
            return Err(CaptureError::InvalidDigits(format!("{digits:?}")));
        }
        Ok(Self(digits))
    }

    pub fn digits(self) -> [u8; 3] {
        self.0
    }

    /// Other digits than these, as a person who misread them would say (each digit + 5 mod 10).
    pub fn misread(self) -> Self {
        Self(self.0.map(|d| (d + 5) % 10))
    }
}

impl FromStr for SpokenDigits {
    type Err = CaptureError;

    /// Three digits, as shown on the screen ("472"); spaces are ignored ("4 7 2").
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let digits: Vec<u8> = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| c.to_digit(10).map(|d| d as u8))
            .collect::<Option<_>>()
            .ok_or_else(|| CaptureError::InvalidDigits(text.to_owned()))?;
        let digits: [u8; 3] = digits
            .try_into()
            .map_err(|_| CaptureError::InvalidDigits(text.to_owned()))?;
        Self::new(digits)
    }
}

impl std::fmt::Display for SpokenDigits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let [a, b, c] = self.0;
        write!(f, "{a}{b}{c}")
    }
}

/// What the synthetic speaker does wrong, to reproduce a refused video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Speech {
    /// Says the digits asked, clearly.
    #[default]
    Clear,
    /// Says nothing: the microphone hears only the room.
    Silent,
    /// Says three other digits.
    WrongDigits,
    /// Says the digits at a whisper, about 30 dB lower.
    Whispered,
}

/// A person saying three digits in French, then staying quiet; endless (room tone after the last
/// digit), so the recorder decides when to stop. Deterministic in (digits, speech, seed).
#[derive(Debug, Clone)]
pub struct SyntheticVoice {
    samples: Vec<f32>,
    position: usize,
    noise: ChaCha8Rng,
    /// Where each spoken digit starts and ends, for scenes that move the lips with the voice.
    spoken: Vec<(Duration, Duration)>,
}

impl SyntheticVoice {
    pub fn new(digits: SpokenDigits, speech: Speech, seed: u64) -> Self {
        let said = match speech {
            Speech::Clear | Speech::Whispered => Some(digits),
            Speech::WrongDigits => Some(digits.misread()),
            Speech::Silent => None,
        };
        let gain = if speech == Speech::Whispered { 0.03 } else { 1.0 };
        let mut samples = vec![0.0; samples_in(LEAD_IN)];
        let mut spoken = Vec::new();
        for (i, digit) in said.iter().flat_map(|d| d.digits()).enumerate() {
            if i > 0 {
                samples.resize(samples.len() + samples_in(PAUSE), 0.0);
            }
            let start = samples.len();
            decode_upsampled(DIGITS[usize::from(digit)], gain, &mut samples);
            spoken.push((time_of(start), time_of(samples.len())));
        }
        Self {
            samples,
            position: 0,
            noise: ChaCha8Rng::seed_from_u64(seed ^ 0x0076_6f69_6365),
            spoken,
        }
    }

    /// When each digit is being said (empty for a silent speaker).
    pub fn spoken_intervals(&self) -> &[(Duration, Duration)] {
        &self.spoken
    }

    /// Time at which the last digit has been said.
    pub fn speech_end(&self) -> Duration {
        self.spoken.last().map_or(LEAD_IN, |&(_, end)| end)
    }
}

impl AudioSource for SyntheticVoice {
    fn sample_rate(&self) -> NonZeroU32 {
        NonZeroU32::new(VOICE_SAMPLE_RATE).expect("non-zero")
    }

    fn read(&mut self, out: &mut [f32]) -> Result<usize, CaptureError> {
        for slot in out.iter_mut() {
            let voice = self.samples.get(self.position).copied().unwrap_or(0.0);
            *slot = voice + self.noise.gen_range(-ROOM_TONE..ROOM_TONE);
            self.position += 1;
        }
        Ok(out.len())
    }
}

fn samples_in(duration: Duration) -> usize {
    (duration.as_secs_f64() * f64::from(VOICE_SAMPLE_RATE)).round() as usize
}

fn time_of(sample: usize) -> Duration {
    Duration::from_secs_f64(sample as f64 / f64::from(VOICE_SAMPLE_RATE))
}

/// Decodes G.711 µ-law at 16 kHz and appends it at 48 kHz (linear interpolation, which is
/// enough for a voice band that stops at 8 kHz).
fn decode_upsampled(ulaw: &[u8], gain: f32, out: &mut Vec<f32>) {
    let decoded: Vec<f32> = ulaw.iter().map(|&byte| mulaw_to_linear(byte) * gain).collect();
    for (i, &sample) in decoded.iter().enumerate() {
        let next = decoded.get(i + 1).copied().unwrap_or(0.0);
        for step in 0..UPSAMPLE {
            out.push(sample + (next - sample) * step as f32 / UPSAMPLE as f32);
        }
    }
}

/// ITU-T G.711 µ-law expansion to `-1.0..=1.0`.
fn mulaw_to_linear(byte: u8) -> f32 {
    const BIAS: i32 = 0x84;
    let byte = !byte;
    let exponent = i32::from((byte >> 4) & 0x07);
    let mantissa = i32::from(byte & 0x0f);
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    let value = if byte & 0x80 != 0 { -magnitude } else { magnitude };
    value as f32 / 32_768.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(samples: &[f32]) -> f32 {
        (samples.iter().map(|s| s * s).sum::<f32>() / samples.len() as f32).sqrt()
    }

    #[test]
    fn mulaw_expansion_matches_g711_end_points() {
        assert_eq!(mulaw_to_linear(0xff), 0.0);
        assert_eq!(mulaw_to_linear(0x7f), 0.0);
        assert!((mulaw_to_linear(0x00) + 32_124.0 / 32_768.0).abs() < 1e-6);
        assert!((mulaw_to_linear(0x80) - 32_124.0 / 32_768.0).abs() < 1e-6);
    }

    #[test]
    fn digits_parse_as_shown_and_bad_input_is_refused() {
        assert_eq!("4 7 2".parse::<SpokenDigits>().unwrap().digits(), [4, 7, 2]);
        for bad in ["47", "4721", "4a2", ""] {
            let error = bad.parse::<SpokenDigits>().unwrap_err();
            assert_eq!(error.code(), "invalid_digits", "{bad:?}");
        }
        assert_eq!(SpokenDigits::new([1, 2, 3]).unwrap().misread().to_string(), "678");
    }

    #[test]
    fn a_clear_voice_says_three_digits_loud_enough_and_a_silent_one_none() {
        let digits: SpokenDigits = "305".parse().unwrap();
        let mut voice = SyntheticVoice::new(digits, Speech::Clear, 1);
        assert_eq!(voice.spoken_intervals().len(), 3);
        let (start, end) = voice.spoken_intervals()[0];
        assert_eq!(start, LEAD_IN);
        assert!(
            end - start > Duration::from_millis(200),
            "a digit takes time to say"
        );
        let mut samples = vec![0.0; samples_in(voice.speech_end())];
        voice.read(&mut samples).unwrap();
        let first = &samples[samples_in(start)..samples_in(end)];
        assert!(rms(first) > 0.03, "spoken digit is audible: {}", rms(first));
        let lead = &samples[..samples_in(LEAD_IN)];
        assert!(rms(lead) < 0.001, "room tone is quiet: {}", rms(lead));

        let silent = SyntheticVoice::new(digits, Speech::Silent, 1);
        assert!(silent.spoken_intervals().is_empty());
    }

    #[test]
    fn the_same_seed_gives_the_same_samples() {
        let digits: SpokenDigits = "918".parse().unwrap();
        let read = |seed| {
            let mut voice = SyntheticVoice::new(digits, Speech::Clear, seed);
            let mut samples = vec![0.0; 48_000];
            voice.read(&mut samples).unwrap();
            samples
        };
        assert_eq!(read(3), read(3));
        assert_ne!(read(3), read(4));
    }
}
