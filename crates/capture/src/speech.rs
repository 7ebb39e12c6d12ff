//! What a machine can honestly tell about the sound of the video: whether there is any, how loud
//! the voice is, and how many separate utterances it heard. It does not recognise speech: whether
//! the right digits were said is left to the reviewer.
//!
//! The meter keeps one level per 20 ms block (500 numbers for 10 s), never the samples, so it runs
//! beside a long recording for free.

use std::time::Duration;

/// Length of one analysed block.
pub const BLOCK: Duration = Duration::from_millis(20);
/// A pause shorter than this inside speech belongs to the same utterance (stop consonants).
const MERGE_GAP: Duration = Duration::from_millis(240);
/// An utterance shorter than this is a click or a breath, not a digit.
const MIN_UTTERANCE: Duration = Duration::from_millis(120);
/// Speech must rise this far above the room's noise floor.
const ABOVE_FLOOR_DB: f32 = 15.0;
/// And be at least this loud in absolute terms.
const SPEECH_FLOOR_DBFS: f32 = -55.0;
/// The level given to digital silence, instead of minus infinity.
pub const SILENCE_DBFS: f32 = -100.0;

/// Accumulates block levels from samples as they are recorded.
#[derive(Debug, Clone)]
pub struct AudioMeter {
    block_len: usize,
    partial_sum: f64,
    partial_len: usize,
    peak: f32,
    levels: Vec<f32>,
}

impl AudioMeter {
    pub fn new(sample_rate: u32) -> Self {
        Self {
            block_len: (f64::from(sample_rate) * BLOCK.as_secs_f64()).round().max(1.0) as usize,
            partial_sum: 0.0,
            partial_len: 0,
            peak: 0.0,
            levels: Vec::new(),
        }
    }

    pub fn push(&mut self, samples: &[f32]) {
        for &sample in samples {
            self.peak = self.peak.max(sample.abs());
            self.partial_sum += f64::from(sample) * f64::from(sample);
            self.partial_len += 1;
            if self.partial_len == self.block_len {
                self.levels
                    .push(dbfs((self.partial_sum / self.block_len as f64).sqrt() as f32));
                self.partial_sum = 0.0;
                self.partial_len = 0;
            }
        }
    }

    /// The analysis of everything pushed so far (a last partial block is ignored).
    pub fn analysis(&self) -> AudioAnalysis {
        analyse_levels(&self.levels, self.peak)
    }
}

/// The sound of a recording, as a machine can measure it.
#[derive(Debug, Clone, PartialEq)]
pub struct AudioAnalysis {
    pub duration: Duration,
    /// Loudest sample, in dBFS.
    pub peak_dbfs: f32,
    /// The quiet room between utterances (10th percentile of block levels), in dBFS.
    pub noise_floor_dbfs: f32,
    /// Average level of the blocks heard as speech, in dBFS; `None` when nothing was heard.
    pub speech_level_dbfs: Option<f32>,
    /// Separate utterances, start and end.
    pub utterances: Vec<(Duration, Duration)>,
}

/// Analyses samples held in memory (a decoded upload, a test clip).
pub fn analyse_samples(samples: &[f32], sample_rate: u32) -> AudioAnalysis {
    let mut meter = AudioMeter::new(sample_rate);
    meter.push(samples);
    meter.analysis()
}

fn dbfs(amplitude: f32) -> f32 {
    if amplitude <= 1e-5 {
        SILENCE_DBFS
    } else {
        20.0 * amplitude.log10()
    }
}

fn analyse_levels(levels: &[f32], peak: f32) -> AudioAnalysis {
    let duration = BLOCK * levels.len() as u32;
    if levels.is_empty() {
        return AudioAnalysis {
            duration,
            peak_dbfs: SILENCE_DBFS,
            noise_floor_dbfs: SILENCE_DBFS,
            speech_level_dbfs: None,
            utterances: Vec::new(),
        };
    }
    let mut sorted = levels.to_vec();
    sorted.sort_by(f32::total_cmp);
    let noise_floor = sorted[sorted.len() / 10];
    let threshold = (noise_floor + ABOVE_FLOOR_DB).max(SPEECH_FLOOR_DBFS);
    let gap_blocks = (MERGE_GAP.as_millis() / BLOCK.as_millis()) as usize;
    let min_blocks = (MIN_UTTERANCE.as_millis() / BLOCK.as_millis()) as usize;

    // Runs of loud blocks, merged across short pauses, short runs dropped.
    let mut runs: Vec<(usize, usize)> = Vec::new();
    for (i, &level) in levels.iter().enumerate() {
        if level < threshold {
            continue;
        }
        match runs.last_mut() {
            Some((_, end)) if i - *end <= gap_blocks => *end = i + 1,
            _ => runs.push((i, i + 1)),
        }
    }
    runs.retain(|(start, end)| end - start >= min_blocks);

    let speech: Vec<f32> = runs
        .iter()
        .flat_map(|&(start, end)| levels[start..end].iter().copied().filter(|&l| l >= threshold))
        .collect();
    // Average power, not average of decibels.
    let speech_level = (!speech.is_empty()).then(|| {
        let power = speech.iter().map(|l| 10f32.powf(l / 10.0)).sum::<f32>() / speech.len() as f32;
        10.0 * power.log10()
    });
    AudioAnalysis {
        duration,
        peak_dbfs: dbfs(peak),
        noise_floor_dbfs: noise_floor,
        speech_level_dbfs: speech_level,
        utterances: runs
            .into_iter()
            .map(|(start, end)| (BLOCK * start as u32, BLOCK * end as u32))
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synthetic::{Speech, SpokenDigits, SyntheticVoice, VOICE_SAMPLE_RATE};
    use crate::AudioSource;

    fn voice(speech: Speech) -> AudioAnalysis {
        let mut voice = SyntheticVoice::new("472".parse::<SpokenDigits>().unwrap(), speech, 9);
        let mut samples = vec![0.0; 6 * VOICE_SAMPLE_RATE as usize];
        voice.read(&mut samples).unwrap();
        analyse_samples(&samples, VOICE_SAMPLE_RATE)
    }

    #[test]
    fn three_digits_said_clearly_are_three_utterances_at_speaking_level() {
        let analysis = voice(Speech::Clear);
        assert_eq!(analysis.utterances.len(), 3, "{analysis:?}");
        assert!(analysis.speech_level_dbfs.unwrap() > -30.0, "{analysis:?}");
        assert!(analysis.noise_floor_dbfs < -55.0, "{analysis:?}");
        assert_eq!(analysis.duration, Duration::from_secs(6));
    }

    #[test]
    fn silence_has_no_utterance_and_a_whisper_is_quiet() {
        let silent = voice(Speech::Silent);
        assert!(silent.utterances.is_empty(), "{silent:?}");
        assert_eq!(silent.speech_level_dbfs, None);
        assert!(silent.peak_dbfs < -55.0);
        let whisper = voice(Speech::Whispered);
        assert!(
            whisper.speech_level_dbfs.is_none_or(|level| level < -40.0),
            "{whisper:?}"
        );
    }

    #[test]
    fn a_tone_with_short_dropouts_is_one_utterance_and_a_click_is_none() {
        let rate = 16_000;
        let mut samples = vec![0.0f32; rate * 2];
        for (i, sample) in samples
            .iter_mut()
            .enumerate()
            .take(rate + rate / 2)
            .skip(rate / 2)
        {
            // 100 ms dropout in the middle: a stop consonant, not a new word.
            if !(rate..rate + rate / 10).contains(&i) {
                *sample = 0.3 * (i as f32 * 0.2).sin();
            }
        }
        samples[1_900 * rate / 1000] = 0.9;
        let analysis = analyse_samples(&samples, rate as u32);
        assert_eq!(analysis.utterances.len(), 1, "{analysis:?}");
        assert!(analysis.peak_dbfs > -1.0);
    }

    #[test]
    fn nothing_recorded_is_silence_not_a_panic() {
        let analysis = analyse_samples(&[], 48_000);
        assert_eq!(analysis.duration, Duration::ZERO);
        assert!(analysis.utterances.is_empty());
    }
}
