//! `--scenario NAME|FILE` (or `IDN_SCENARIO`): the app opens already in a situation, for a
//! trainer or a support agent. Once the first screen is up and the world linked, the scenario
//! engine (`idn-scenario`) creates its learner in the world in use and brings them there with
//! this app's own device as the phone that holds the identity: the device first forgets any
//! identity it held, then the engine enrols it (or, when the scenario stops before activation,
//! makes it remember the account), and the screens follow that learner. The other phones a
//! scenario needs (the old phone of "validation depuis un autre téléphone") are kept apart.

use idn_device::DeviceError;
use idn_scenario::scenario::{self, Applied, ApplyOptions};
use idn_scenario::ScenarioError;
use tauri::{AppHandle, Manager};

use crate::commands::CommandError;
use crate::session;
use crate::world_link::WorldLink;

/// The scenario asked for at launch, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioStart(pub Option<String>);

impl ScenarioStart {
    /// `--scenario NAME|FILE` (or `--scenario=…`) wins over `IDN_SCENARIO`; empty means none.
    pub fn from_args_and_env(args: impl IntoIterator<Item = String>, env: Option<String>) -> ScenarioStart {
        let mut chosen = None;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            if arg == "--scenario" {
                chosen = args.next();
            } else if let Some(value) = arg.strip_prefix("--scenario=") {
                chosen = Some(value.to_owned());
            }
        }
        ScenarioStart(
            chosen
                .or(env)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty()),
        )
    }
}

#[derive(Debug, thiserror::Error)]
enum StartError {
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    #[error("{}", .0.message_fr())]
    Device(#[from] DeviceError),
    #[error("{}", .0.message)]
    Link(CommandError),
}

impl From<CommandError> for StartError {
    fn from(error: CommandError) -> Self {
        StartError::Link(error)
    }
}

/// Applies the launch scenario off the async workers (an online one encodes a video), after
/// the world is linked; the launch itself waits for nothing.
pub fn spawn(app: &AppHandle, start: ScenarioStart) {
    let ScenarioStart(Some(choice)) = start else {
        return;
    };
    let app = app.clone();
    tauri::async_runtime::spawn_blocking(move || tauri::async_runtime::block_on(apply(app, choice)));
}

async fn apply(app: AppHandle, choice: String) {
    match run(&app, &choice).await {
        Ok(applied) => {
            tracing::info!(scenario = %applied.scenario, learner = %applied.learner_id, step = %applied.step, "launch scenario applied");
            eprintln!(
                "Scénario « {} » appliqué : {} ({}) — étape « {} ».",
                applied.scenario, applied.title, applied.email, applied.step_label
            );
            session::follow_learner(&app);
            session::push_snapshot(&app).await;
        }
        Err(error) => {
            tracing::error!(%error, scenario = %choice, "launch scenario failed");
            eprintln!("Scénario « {choice} » non appliqué : {error}");
        }
    }
}

async fn run(app: &AppHandle, choice: &str) -> Result<Applied, StartError> {
    let scenario = scenario::load(choice)?;
    let (linked, own_phone, vault) = session::release_device(app).await?;
    // This device now plays the scenario's person: the identity it held (its key, and the
    // credential the world then ends) is removed.
    linked
        .open_device(&own_phone, vault.clone())?
        .remove_identity()
        .await?;
    let others = own_phone
        .parent()
        .unwrap_or(&own_phone)
        .join("autres-telephones")
        .join(format!(
            "{}-{}",
            scenario.name,
            chrono::Utc::now().timestamp_millis()
        ));
    let options = ApplyOptions {
        devices_dir: others,
        vault,
        identity_phone: Some(own_phone),
    };
    // In the embedded world the engine decides at the desks under its own staff account; a
    // class's world gives it none, and a desk scenario is refused there in French.
    let staff = app.state::<WorldLink>().engine_account();
    let applied = scenario::apply_as(linked.client(), &scenario, &options, staff.as_ref()).await?;
    // Reopened from disk at its next use, with the identity the scenario gave it.
    session::release_device(app).await?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(args: &[&str], env: Option<&str>) -> ScenarioStart {
        ScenarioStart::from_args_and_env(args.iter().map(|arg| arg.to_string()), env.map(str::to_owned))
    }

    #[test]
    fn the_flag_in_both_spellings_wins_over_the_environment() {
        assert_eq!(
            start(&["--scenario", "mineur"], Some("code-sms-expire"))
                .0
                .as_deref(),
            Some("mineur")
        );
        assert_eq!(
            start(&["--scenario=cas.toml"], None).0.as_deref(),
            Some("cas.toml")
        );
        assert_eq!(
            start(&["--data-dir", "/tmp/x"], Some("mineur")).0.as_deref(),
            Some("mineur")
        );
    }

    #[test]
    fn nothing_or_an_empty_value_means_no_scenario() {
        assert_eq!(start(&[], None).0, None);
        assert_eq!(start(&[], Some("  ")).0, None);
        assert_eq!(start(&["--scenario"], None).0, None);
    }
}
