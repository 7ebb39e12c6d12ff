//! `idn capture`: the app's capture on the command line — the cameras and microphones, a
//! document photo with its guidance, the spoken-digit video with its machine checks.

use super::print;
use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_cli::capture::{self, DegradationArg, PageArg, VideoFaultArg};
use std::path::PathBuf;

#[derive(Subcommand)]
pub enum CaptureCommand {
    /// List the cameras and microphones, as the app offers them, and remember a choice.
    Devices {
        /// Remember this camera (its name as listed) for the next captures.
        #[arg(long)]
        camera: Option<String>,
        /// Remember this microphone (its name as listed).
        #[arg(long)]
        micro: Option<String>,
    },
    /// Photograph one page of the document and print what the guidance said.
    Document {
        #[arg(long, value_enum, default_value = "cni-recto")]
        page: PageArg,
        /// `synthetic` (a fictitious specimen), `camera` (the first camera), or the path of a
        /// JPEG/PNG photo ("Photothèque").
        #[arg(long, default_value = "synthetic")]
        source: String,
        /// Degrade the synthetic picture: flou, reflet, sombre, hors-cadre, etui (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',')]
        degrade: Vec<DegradationArg>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the JPEG.
        #[arg(long)]
        out: PathBuf,
    },
    /// Record the video where the person says the 3 digits (MP4: H.264 + Opus) and print the
    /// machine checks (duration, frame rate, sound, loudness, utterances).
    Video {
        /// `synthetic` (a drawn person and a French synthetic voice), `camera` (first camera and
        /// default microphone), or the path of an MP4 video to check.
        #[arg(long, default_value = "synthetic")]
        source: String,
        /// The 3 digits to say, as shown in the AR24 letter (required for `synthetic`).
        #[arg(long)]
        chiffres: Option<String>,
        /// Degrade the synthetic video: silence, mauvais-chiffres, chuchote, trop-court,
        /// visage-absent, sombre (comma-separated).
        #[arg(long, value_enum, value_delimiter = ',')]
        degrade: Vec<VideoFaultArg>,
        /// Length of the recording in seconds (30 at most).
        #[arg(long, default_value_t = capture::VIDEO_SECONDS)]
        secondes: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the MP4.
        #[arg(long)]
        out: PathBuf,
    },
}

pub fn run(command: CaptureCommand, json: bool) -> Result<Outcome> {
    match command {
        CaptureCommand::Devices { camera, micro } => {
            let devices = capture::devices(camera.as_deref(), micro.as_deref())?;
            print(json, &devices, |d| {
                let none = |list: &[String], word: &str| {
                    if list.is_empty() {
                        word.to_owned()
                    } else {
                        list.join(", ")
                    }
                };
                let mut lines = vec![
                    format!("Caméras : {}", none(&d.cameras, "aucune")),
                    format!("Micros : {}", none(&d.microphones, "aucun")),
                ];
                if let Some(camera) = &d.camera_in_use {
                    lines.push(format!("Caméra utilisée : {camera}"));
                }
                if let Some(microphone) = &d.microphone_in_use {
                    lines.push(format!("Micro utilisé : {microphone}"));
                }
                lines.extend(d.advice.iter().cloned());
                lines.join("\n")
            });
        }
        CaptureCommand::Document {
            page,
            source,
            degrade,
            seed,
            out,
        } => {
            let file = (source != "synthetic").then(|| PathBuf::from(&source));
            let photo = capture::take(page.into(), file.as_deref(), &degrade, seed)?;
            std::fs::write(&out, &photo.jpeg)?;
            let report = capture::report(&photo, &out);
            print(json, &report, |r| {
                let mut lines = vec![format!(
                    "Photo enregistrée : {} ({} octets, {}×{}), prise {} après {} images d'aperçu",
                    r.path, r.bytes, r.width, r.height, r.trigger, r.preview_frames
                )];
                for check in &r.checks {
                    let verdict = verdict(check.passed, check.hint_fr);
                    lines.push(format!("  {:<10} {:>10.3}  {verdict}", check.check, check.value));
                }
                lines.join("\n")
            });
        }
        CaptureCommand::Video {
            source,
            chiffres,
            degrade,
            secondes,
            seed,
            out,
        } => {
            let digits = chiffres
                .as_deref()
                .map(str::parse::<idn_capture::SpokenDigits>)
                .transpose()?;
            let take = capture::record(&source, digits, &degrade, secondes, seed)?;
            std::fs::write(&out, &take.mp4)?;
            let report = capture::video_report(&take, &out);
            print(json, &report, |r| {
                let decimal = |value: f64| format!("{value:.1}").replace('.', ",");
                let mut lines = vec![format!(
                    "Vidéo enregistrée : {} ({} octets, {} s, {} images, {} i/s, {} prise(s) de parole)",
                    r.path,
                    r.bytes,
                    decimal(r.duration_s),
                    r.frames,
                    decimal(r.frame_rate),
                    r.utterances
                )];
                for check in &r.checks {
                    let verdict = verdict(check.passed, check.hint_fr.as_deref());
                    lines.push(format!("  {:<11} {:>22}  {verdict}", check.check, check.measured));
                }
                lines.push(format!(
                    "À vérifier par l'examinateur : {}.",
                    r.left_to_review.join(" ; ")
                ));
                lines.join("\n")
            });
        }
    }
    Ok(Outcome::Done)
}

/// A check's mark as printed: ✓, or ✗ with what to do.
fn verdict(passed: bool, hint_fr: Option<&str>) -> String {
    if passed {
        "✓".to_owned()
    } else {
        format!("✗ {}", hint_fr.unwrap_or_default())
    }
}
