//! The console's scenario engine: the catalogue and its application to one world, reached over
//! HTTP at its own address (the composition root installs it once the world serves).

use crate::scenario::{self, ApplyOptions, Scenario, Verification};
use crate::ScenarioError;
use idn_device::WorldClient;
use idn_world::console::{
    Application, AppliedScenario, CatalogueEntry, EngineAccount, ScenarioFailure, ScenarioRunner,
    ScenarioSource,
};

/// Name given to a scenario file that does not name itself.
const UPLOADED: &str = "fichier-importe";

/// Applies scenarios to the world at `world_url`, each with throw-away phones (profiles in a
/// temporary directory, keys in memory): the console wants the learner's situation, not a phone.
pub struct WorldScenarios {
    world_url: String,
    /// The engine's own console account, for scenarios that decide at the desks.
    staff: Option<EngineAccount>,
}

impl WorldScenarios {
    pub fn new(world_url: impl Into<String>) -> Self {
        Self {
            world_url: world_url.into(),
            staff: None,
        }
    }

    /// Scenarios with a decision at the review desk or the clerk's desk are decided under this
    /// account (see [`crate::scenario::engine_account`]); without one they are refused in French.
    pub fn with_engine_account(mut self, account: EngineAccount) -> Self {
        self.staff = Some(account);
        self
    }
}

/// An online path past the visual identification: photos and a video are made, which takes a
/// few seconds more than the others.
fn slow(scenario: &Scenario) -> bool {
    let position = |step| idn_journey::Step::ALL.iter().position(|each| *each == step);
    let reached_review = scenario::reachable_step(&scenario.reach)
        .is_some_and(|step| position(step) >= position(idn_journey::Step::Review));
    scenario.verification == Verification::Online && reached_review
}

impl ScenarioRunner for WorldScenarios {
    fn catalogue(&self) -> Vec<CatalogueEntry> {
        scenario::catalogue()
            .into_iter()
            .map(|scenario| CatalogueEntry {
                slow: slow(&scenario),
                reach_label: scenario::step_label(&scenario.reach).to_owned(),
                name: scenario.name,
                title: scenario.title,
                situation: scenario.situation,
                explanation: scenario.explanation,
            })
            .collect()
    }

    fn apply(&self, source: ScenarioSource) -> Application {
        let client = WorldClient::new(self.world_url.clone());
        let staff = self.staff.clone();
        Box::pin(async move {
            let failure = |error: ScenarioError| ScenarioFailure {
                message_fr: error.to_string(),
            };
            let scenario = match source {
                ScenarioSource::Catalogue(name) => scenario::from_catalogue(&name),
                ScenarioSource::File(text) => Scenario::parse(&text, UPLOADED),
            }
            .map_err(failure)?;
            let phones = tempfile::tempdir().map_err(|error| failure(error.into()))?;
            let options = ApplyOptions::in_memory(phones.path().join("telephones"));
            let applied = scenario::apply_as(&client, &scenario, &options, staff.as_ref())
                .await
                .map_err(failure)?;
            Ok(AppliedScenario {
                learner_id: applied.learner_id,
                scenario: applied.scenario,
                title: applied.title,
                step_label: applied.step_label,
                explanation: applied.explanation,
            })
        })
    }
}
