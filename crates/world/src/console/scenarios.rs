//! Applying a scenario from the console. The engine (`idn-scenario`) drives the world as a
//! person would, through the device core over HTTP, so it cannot live in this crate (the device
//! crate depends on it): the composition roots (`idn world serve`, the app's embedded world, the
//! test support) install it behind [`ScenarioRunner`]. Without one, the page says so.
//!
//! An application runs on a blocking thread (the online scenarios encode a video); the page
//! follows it ("en cours", then the learner's page) and the staff audit records who applied what.

use super::auth::{self, StaffSession};
use super::handlers::FailurePage;
use super::pages::{self, Frame};
use crate::{World, WorldError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::Deserialize;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One scenario of the catalogue, as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueEntry {
    pub name: String,
    pub title: String,
    /// What the agent sees, in one French sentence.
    pub situation: String,
    /// What the agent tells the user, in French.
    pub explanation: String,
    /// The French name of the step where the learner lands.
    pub reach_label: String,
    /// Takes longer: an online identification makes photos and a video (seconds, not instant).
    pub slow: bool,
}

/// What to apply: a catalogue name, or the text of a scenario file (one exported from a user's
/// case, say). A path is never accepted: the console does not read the server's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioSource {
    Catalogue(String),
    File(String),
}

/// Where the scenario left its learner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedScenario {
    pub learner_id: String,
    pub scenario: String,
    pub title: String,
    pub step_label: String,
    pub explanation: String,
}

/// Why a scenario could not be applied, in French (a wrong file, or the world refused a step).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message_fr}")]
pub struct ScenarioFailure {
    pub message_fr: String,
}

/// A future of an application, run on its own thread.
pub type Application = Pin<Box<dyn Future<Output = Result<AppliedScenario, ScenarioFailure>> + Send>>;

/// The scenario engine as the console sees it: the catalogue, and applying one to this world.
pub trait ScenarioRunner: Send + Sync + 'static {
    fn catalogue(&self) -> Vec<CatalogueEntry>;
    fn apply(&self, source: ScenarioSource) -> Application;
}

/// How long the form's answer waits for a quick scenario before showing "en cours".
const QUICK: Duration = Duration::from_secs(3);
/// Applications remembered for the page (the learners themselves stay in the world).
const REMEMBERED: usize = 50;

#[derive(Debug, Clone)]
enum JobState {
    Running,
    Landed(AppliedScenario),
    Failed(String),
}

#[derive(Debug, Clone)]
struct Job {
    id: String,
    by: String,
    what: String,
    started: DateTime<Utc>,
    finished: Option<DateTime<Utc>>,
    state: JobState,
}

/// The installed engine and the applications started from the console (kept in memory: a
/// restart forgets the follow-up pages, not the learners).
pub struct ScenarioDesk {
    runner: Arc<dyn ScenarioRunner>,
    jobs: Mutex<VecDeque<Job>>,
}

impl ScenarioDesk {
    pub(crate) fn new(runner: Arc<dyn ScenarioRunner>) -> Self {
        Self {
            runner,
            jobs: Mutex::new(VecDeque::new()),
        }
    }

    fn job(&self, id: &str) -> Option<Job> {
        self.jobs
            .lock()
            .expect("jobs lock")
            .iter()
            .find(|job| job.id == id)
            .cloned()
    }

    fn recent(&self) -> Vec<Job> {
        self.jobs.lock().expect("jobs lock").iter().cloned().collect()
    }

    fn start(&self, job: Job) {
        let mut jobs = self.jobs.lock().expect("jobs lock");
        jobs.push_front(job);
        jobs.truncate(REMEMBERED);
    }

    fn finish(&self, id: &str, state: JobState, at: DateTime<Utc>) {
        if let Some(job) = self
            .jobs
            .lock()
            .expect("jobs lock")
            .iter_mut()
            .find(|job| job.id == id)
        {
            job.state = state;
            job.finished = Some(at);
        }
    }
}

impl World {
    /// Gives the console its scenario engine (done once by the composition root, after the world
    /// serves: the engine drives it over HTTP). A second call is refused and changes nothing.
    pub fn install_scenario_runner(&self, runner: Arc<dyn ScenarioRunner>) -> bool {
        self.scenario_desk
            .set(Arc::new(ScenarioDesk::new(runner)))
            .is_ok()
    }

    pub(crate) fn scenario_desk(&self) -> Option<Arc<ScenarioDesk>> {
        self.scenario_desk.get().cloned()
    }
}

type Shared = State<Arc<World>>;
type Session = Extension<StaffSession>;

const NO_RUNNER: &str = "Ce monde a été démarré sans moteur de scénarios : la console ne peut pas en appliquer. Démarrez-le avec « idn world serve » ou l'application, ou appliquez un scénario depuis une machine qui joint ce monde avec « idn --world ADRESSE scenario apply NOM ».";

fn see_other(to: &str) -> Response {
    let mut response = Redirect::to(to).into_response();
    *response.status_mut() = StatusCode::SEE_OTHER;
    response
}

fn duration_fr(seconds: i64) -> String {
    match seconds.max(0) {
        0 => "moins d'une seconde".to_owned(),
        1 => "1 seconde".to_owned(),
        n @ 2..=59 => format!("{n} secondes"),
        n => format!("{} min {:02} s", n / 60, n % 60),
    }
}

/// Where an application stands, as the pages show it.
enum JobStatus {
    Running {
        took: String,
    },
    Landed {
        learner_id: String,
        step: String,
        took: String,
    },
    Failed {
        message: String,
    },
}

fn status(job: &Job, now: DateTime<Utc>) -> JobStatus {
    let took = duration_fr((job.finished.unwrap_or(now) - job.started).num_seconds());
    match &job.state {
        JobState::Running => JobStatus::Running { took },
        JobState::Landed(applied) => JobStatus::Landed {
            learner_id: applied.learner_id.clone(),
            step: applied.step_label.clone(),
            took,
        },
        JobState::Failed(message) => JobStatus::Failed {
            message: message.clone(),
        },
    }
}

/// A recent application, as the list shows it.
struct RecentRow {
    id: String,
    what: String,
    by: String,
    status: JobStatus,
}

#[derive(Template)]
#[template(path = "console/scenarios.html")]
struct ScenariosPage<'a> {
    frame: Frame<'a>,
    /// Why nothing can be applied: no engine installed.
    no_runner: Option<&'static str>,
    recent: Vec<RecentRow>,
    catalogue: Vec<CatalogueEntry>,
}

pub async fn page(State(world): Shared, Extension(session): Session) -> Response {
    let frame = Frame::signed_in(&session, "Scénarios");
    let Some(desk) = world.scenario_desk() else {
        return pages::ok(&ScenariosPage {
            frame,
            no_runner: Some(NO_RUNNER),
            recent: Vec::new(),
            catalogue: Vec::new(),
        });
    };
    let now = world.wall_now();
    let recent = desk
        .recent()
        .iter()
        .map(|job| RecentRow {
            id: job.id.clone(),
            what: job.what.clone(),
            by: job.by.clone(),
            status: status(job, now),
        })
        .collect();
    pages::ok(&ScenariosPage {
        frame,
        no_runner: None,
        recent,
        catalogue: desk.runner.catalogue(),
    })
}

#[derive(Deserialize)]
pub struct CatalogueForm {
    name: String,
}

#[derive(Deserialize)]
pub struct FileForm {
    toml: String,
}

pub async fn apply_catalogue(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<CatalogueForm>,
) -> Response {
    let what = format!("catalogue : {}", form.name);
    start(world, session, ScenarioSource::Catalogue(form.name), what).await
}

pub async fn apply_file(
    State(world): Shared,
    Extension(session): Session,
    Form(form): Form<FileForm>,
) -> Response {
    let what = format!("fichier ({} octets)", form.toml.len());
    start(world, session, ScenarioSource::File(form.toml), what).await
}

/// Starts the application on a blocking thread, answers with the learner's page when it is
/// quick, or with its follow-up page.
async fn start(world: Arc<World>, session: StaffSession, source: ScenarioSource, what: String) -> Response {
    let Some(desk) = world.scenario_desk() else {
        return failure_page(&session, NO_RUNNER, StatusCode::SERVICE_UNAVAILABLE);
    };
    let mut id = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut id);
    let id = hex::encode(id);
    desk.start(Job {
        id: id.clone(),
        by: session.email.clone(),
        what: what.clone(),
        started: world.wall_now(),
        finished: None,
        state: JobState::Running,
    });
    auth::audit_done(&world, &session, "scenario_apply", None, Some(&what)).await;
    let application = desk.runner.apply(source);
    let runtime = tokio::runtime::Handle::current();
    let (job, job_world, job_session) = (id.clone(), world.clone(), session.clone());
    // Photos and a video are made on this thread, away from the workers serving the world.
    let mut task = tokio::task::spawn_blocking(move || {
        let outcome = runtime.block_on(application);
        runtime.block_on(async {
            let at = job_world.wall_now();
            match outcome {
                Ok(applied) => {
                    let detail = format!("{} → {}", applied.scenario, applied.step_label);
                    auth::audit_done(
                        &job_world,
                        &job_session,
                        "scenario_applied",
                        Some(&applied.learner_id),
                        Some(&detail),
                    )
                    .await;
                    desk.finish(&job, JobState::Landed(applied), at);
                }
                Err(failure) => {
                    tracing::info!(%failure, "scenario from the console did not land");
                    auth::audit_done(
                        &job_world,
                        &job_session,
                        "scenario_failed",
                        None,
                        Some(&failure.message_fr),
                    )
                    .await;
                    desk.finish(&job, JobState::Failed(failure.message_fr), at);
                }
            }
        });
    });
    // Whether or not it is done, the follow-up page shows it (or sends on to the learner).
    let _ = tokio::time::timeout(QUICK, &mut task).await;
    see_other(&format!("/console/scenarios/suivi/{id}"))
}

fn failure_page(session: &StaffSession, message: &str, status: StatusCode) -> Response {
    pages::render(
        status,
        &FailurePage {
            frame: Frame::signed_in(session, "Scénario non appliqué"),
            message,
            code: None,
            back: Some(("/console/scenarios", "Retour aux scénarios")),
        },
    )
}

#[derive(Template)]
#[template(path = "console/scenario_running.html")]
struct RunningPage<'a> {
    frame: Frame<'a>,
    what: &'a str,
    status: JobStatus,
}

/// The follow-up of one application: "en cours" (the page reloads itself), then the learner's
/// page, or why it failed.
pub async fn follow(State(world): Shared, Extension(session): Session, Path(id): Path<String>) -> Response {
    let Some(job) = world.scenario_desk().and_then(|desk| desk.job(&id)) else {
        return super::handlers::failure(
            &session,
            WorldError::NotFound {
                what: "application de scénario",
            },
        );
    };
    match &job.state {
        JobState::Landed(applied) => see_other(&format!(
            "/console/apprenants/{}?scenario={}",
            super::handlers::form_encode(&applied.learner_id),
            super::handlers::form_encode(&job.id)
        )),
        JobState::Failed(message) => failure_page(
            &session,
            &format!("Le scénario ({}) n'a pas abouti : {message}", job.what),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        JobState::Running => pages::ok(&RunningPage {
            frame: Frame::signed_in(&session, "Scénario en cours").refreshing(2),
            what: &job.what,
            status: status(&job, world.wall_now()),
        }),
    }
}

/// The notice the learner's page shows right after a scenario put them there.
pub(crate) struct Landed {
    pub title: String,
    pub step: String,
    pub explanation: String,
}

pub(crate) fn landed_notice(world: &World, learner_id: &str, job_id: &str) -> Option<Landed> {
    let job = world.scenario_desk().and_then(|desk| desk.job(job_id))?;
    match &job.state {
        JobState::Landed(applied) if applied.learner_id == learner_id => Some(Landed {
            title: applied.title.clone(),
            step: applied.step_label.clone(),
            explanation: applied.explanation.trim().to_owned(),
        }),
        JobState::Landed(_) | JobState::Running | JobState::Failed(_) => None,
    }
}
