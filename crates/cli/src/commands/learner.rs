//! `idn learner` and `idn inbox`: a tester plays a learner through the world's API, one action
//! at a time, and reads what the learner received.

use super::{invalid, lines, print};
use crate::Outcome;
use anyhow::Result;
use clap::Subcommand;
use idn_api::{LearnerAction, ReviewPolicy, WorldClient};

#[derive(Subcommand)]
pub enum LearnerCommand {
    Create {
        #[arg(long)]
        email: String,
    },
    Show {
        learner: String,
    },
    List,
    /// One action as JSON, e.g. '{"action":"confirm_email","code":"123456"}' (see /api/openapi.json).
    Act {
        learner: String,
        action: String,
    },
    /// How the next online identification is reviewed: automatique, or a refusal reason code (the review desk comes with the trainers' console).
    Review {
        learner: String,
        policy: String,
    },
}

pub async fn run(command: LearnerCommand, client: &WorldClient, json: bool) -> Result<Outcome> {
    match command {
        LearnerCommand::Create { email } => {
            let access = client.create_learner(&email).await?;
            print(json, &access, |access| {
                format!(
                    "Apprenant créé : {}\nÉtape : {}\nAccès de l'apprenant (affiché une fois) : export IDN_TOKEN={}",
                    access.learner.id, access.learner.step_label, access.credential.token
                )
            });
        }
        LearnerCommand::Show { learner } => {
            let view = client.learner(&learner).await?;
            print(json, &view, |view| {
                format!("{} — étape : {} ({})", view.id, view.step_label, view.step)
            });
        }
        LearnerCommand::List => {
            let views = client.learners().await?;
            print(json, &views, |views| {
                lines(views, |view| {
                    format!(
                        "{}  {:<24} {}",
                        view.id,
                        view.step,
                        view.email.clone().unwrap_or_default()
                    )
                })
            });
        }
        LearnerCommand::Act { learner, action } => {
            let action: LearnerAction = serde_json::from_str(&action)
                .map_err(|error| invalid("invalid_action", format!("Action JSON invalide : {error}")))?;
            let view = client.act(&learner, &action).await?;
            print(json, &view, |view| {
                format!("Étape : {} ({})", view.step_label, view.step)
            });
        }
        LearnerCommand::Review { learner, policy } => {
            let policy = match policy.as_str() {
                "automatique" => ReviewPolicy::Automatic,
                reason => ReviewPolicy::RefuseNext {
                    reason: reason.to_owned(),
                },
            };
            let view = client.set_review_policy(&learner, policy).await?;
            print(json, &view, |view| format!("Revue : {:?}", view.review_policy));
        }
    }
    Ok(Outcome::Done)
}

/// `idn inbox`: the emails, SMS and letters a learner received.
pub async fn inbox(learner: &str, client: &WorldClient, json: bool) -> Result<Outcome> {
    let messages = client.inbox(learner).await?;
    print(json, &messages, |messages| {
        lines(messages, |m| {
            format!(
                "[{}] {:?} de {}\n  Objet : {}\n  {}\n",
                m.at.format("%d/%m/%Y %H:%M"),
                m.channel,
                m.sender,
                m.subject,
                m.body.replace('\n', "\n  ")
            )
        })
    });
    Ok(Outcome::Done)
}
