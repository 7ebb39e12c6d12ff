//! `idn demo`: the arguments of the headless journey and its printer (French steps with a
//! spinner and timings, or one JSON object per step); the journey itself is `idn_cli::demo`.

use super::{invalid, open_vault, VaultChoice};
use crate::Outcome;
use anyhow::Result;
use clap::Args;
use idn_cli::capture::{DegradationArg, VideoFaultArg};
use idn_cli::demo::{self, DemoMode, DemoObserver, DemoOptions, MediaFiles, StepReport};
use indicatif::{ProgressBar, ProgressStyle};
use std::path::PathBuf;
use std::time::Duration;

#[derive(Args)]
pub struct DemoArgs {
    /// Keep the world and device data here (a temporary directory otherwise, removed at the end).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "face-a-face")]
    mode: DemoMode,
    #[arg(long)]
    seed: Option<u64>,
    /// Refuse the first online identification with this reason (e.g. reflet, lunettes, flou), then redo it.
    #[arg(long)]
    refus_au_premier_essai: Option<String>,
    /// Degrade the first synthetic photo of the front (flou, reflet, sombre, hors-cadre, etui):
    /// the automatic review refuses it with the matching reason, then the photo is retaken.
    #[arg(long, value_enum, value_delimiter = ',')]
    photo_degradee: Vec<DegradationArg>,
    #[arg(long)]
    photo_recto: Option<PathBuf>,
    #[arg(long)]
    photo_verso: Option<PathBuf>,
    /// An MP4 video to send instead of the synthetic one.
    #[arg(long)]
    video: Option<PathBuf>,
    /// Degrade the first synthetic video (silence, mauvais-chiffres, chuchote, trop-court,
    /// visage-absent, sombre): the automatic review refuses what a machine can hear, then the
    /// video is redone.
    #[arg(long, value_enum, value_delimiter = ',')]
    video_degradee: Vec<VideoFaultArg>,
    #[arg(long, value_enum, default_value = "keyring")]
    vault: VaultChoice,
}

/// Prints each step in French with its timing, or one JSON object per step.
struct Printer {
    json: bool,
    spinner: Option<ProgressBar>,
}

impl DemoObserver for Printer {
    fn started(&mut self, label: &str) {
        if !self.json {
            let spinner = ProgressBar::new_spinner();
            spinner.set_style(ProgressStyle::with_template("{spinner} {msg}").expect("static template"));
            spinner.set_message(label.to_owned());
            spinner.enable_steady_tick(Duration::from_millis(80));
            self.spinner = Some(spinner);
        }
    }

    fn finished(&mut self, report: &StepReport) {
        if let Some(spinner) = self.spinner.take() {
            spinner.finish_and_clear();
        }
        if self.json {
            println!("{}", serde_json::to_string(report).expect("report serialises"));
        } else {
            let mark = if report.ok { "✓" } else { "✗" };
            let details = report.details.as_object().map(|object| {
                object
                    .iter()
                    .filter(|(_, value)| !value.is_null())
                    .map(|(key, value)| {
                        format!(
                            "{key}={}",
                            value
                                .as_str()
                                .map(str::to_owned)
                                .unwrap_or_else(|| value.to_string())
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("  ")
            });
            println!(
                "{mark} {:>2}. {:<72} {:>8.1} ms",
                report.index, report.label, report.elapsed_ms
            );
            if let Some(details) = details.filter(|details| !details.is_empty()) {
                println!("       {details}");
            }
        }
    }
}

pub async fn run(args: DemoArgs, json: bool) -> Result<Outcome> {
    let photos = match (args.photo_recto, args.photo_verso) {
        (Some(front), Some(back)) => Some((front, back)),
        (None, None) => None,
        _ => {
            return Err(invalid(
                "media_incomplete",
                "Indiquez les deux photos (--photo-recto et --photo-verso), ou aucune pour la caméra synthétique.",
            )
            .into())
        }
    };
    let media = MediaFiles {
        photos,
        video: args.video,
    };
    let vault = open_vault(args.vault)?;
    let temporary = tempfile::tempdir()?;
    let data_dir = args
        .data_dir
        .clone()
        .unwrap_or_else(|| temporary.path().to_owned());
    if !json {
        println!("IDN Sandbox — démonstration du parcours complet (SIMULATION : aucun service réel n'est contacté)");
        println!(
            "Données : {}{}\n",
            data_dir.display(),
            if args.data_dir.is_some() {
                " (conservées)"
            } else {
                " (temporaires)"
            }
        );
    }
    let options = DemoOptions {
        data_dir,
        mode: args.mode,
        seed: args.seed,
        refuse_first: args.refus_au_premier_essai,
        degraded_photos: args.photo_degradee,
        degraded_video: args.video_degradee,
        media,
        vault,
    };
    let mut printer = Printer { json, spinner: None };
    match demo::run(options, &mut printer).await {
        Ok(summary) => {
            if json {
                println!(
                    "{}",
                    serde_json::json!({ "ok": true, "learner_id": summary.learner_id, "secret_code": summary.secret_code, "steps": summary.steps.len(), "total_ms": summary.total_ms })
                );
            } else {
                println!("\nParcours terminé : {} étapes réussies en {:.0} ms. Apprenant {} — code secret choisi : {}", summary.steps.len(), summary.total_ms, summary.learner_id, summary.secret_code);
            }
            Ok(Outcome::Done)
        }
        Err(error) => {
            let message = demo::french(&error);
            if json {
                println!("{}", serde_json::json!({ "ok": false, "message": message }));
            } else {
                eprintln!("\nLe parcours s'est arrêté : {message}");
            }
            Ok(Outcome::StepFailed)
        }
    }
}
