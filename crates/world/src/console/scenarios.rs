//! Applying a scenario from the console. The engine (`idn-scenario`) drives the world as a
//! person would, through the device core over HTTP, so it cannot live in this crate (the device
//! crate depends on it): the composition roots (`idn world serve`, the app's embedded world, the
//! test support) install it behind [`ScenarioRunner`]. Without one, the page says so.
//!
//! An application runs on a blocking thread (the online scenarios encode a video); the page
//! follows it ("en cours", then the learner's page) and the staff audit records who applied what.

use super::auth::{self, StaffSession};
use super::pages::{self, csrf, esc, notice};
use crate::{World, WorldError};
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

fn state_html(job: &Job, now: DateTime<Utc>) -> String {
    let took = (job.finished.unwrap_or(now) - job.started).num_seconds();
    match &job.state {
        JobState::Running => format!(
            r#"<span class="tag">en cours</span> <span class="hint">depuis {}</span>"#,
            duration_fr(took)
        ),
        JobState::Landed(applied) => format!(
            r#"<span class="tag">appliqué</span> <a href="/console/apprenants/{id}">{step}</a> <span class="hint">en {took}</span>"#,
            id = esc(&applied.learner_id),
            step = esc(&applied.step_label),
            took = duration_fr(took),
        ),
        JobState::Failed(message) => format!(r#"<span class="tag blocker">échec</span> {}"#, esc(message)),
    }
}

pub async fn page(State(world): Shared, Extension(session): Session) -> Response {
    let Some(desk) = world.scenario_desk() else {
        let body = format!(
            r#"<div class="card"><h1>Scénarios</h1>{}</div>"#,
            notice("notice", NO_RUNNER)
        );
        return pages::layout(&session, "Scénarios", &body).into_response();
    };
    let now = world.wall_now();
    let recent: String = desk
        .recent()
        .iter()
        .map(|job| {
            format!(
                r#"<tr><td>{what}</td><td>{by}</td><td>{state}</td><td><a href="/console/scenarios/suivi/{id}">suivi</a></td></tr>"#,
                what = esc(&job.what),
                by = esc(&job.by),
                state = state_html(job, now),
                id = esc(&job.id),
            )
        })
        .collect();
    let recent = if recent.is_empty() {
        String::new()
    } else {
        format!(
            r#"<div class="card"><h2>Dernières applications</h2><table id="applications"><thead><tr><th>Scénario</th><th>Par</th><th>Résultat</th><th></th></tr></thead><tbody>{recent}</tbody></table></div>"#
        )
    };
    let rows: String = desk
        .runner
        .catalogue()
        .iter()
        .map(|entry| {
            format!(
                r#"<tr id="scenario-{name}"><td><strong>{title}</strong><br><span class="hint">{situation}</span><details><summary>Ce que l'agent explique</summary><p>{explanation}</p></details></td><td>{reach}</td><td><form method="post" action="/console/scenarios/appliquer">{csrf}<input type="hidden" name="name" value="{name}"><button class="btn secondary" type="submit" aria-label="Appliquer « {title} »">Appliquer</button></form>{slow}</td></tr>"#,
                name = esc(&entry.name),
                title = esc(&entry.title),
                situation = esc(&entry.situation),
                explanation = esc(entry.explanation.trim()),
                reach = esc(&entry.reach_label),
                csrf = csrf(&session),
                slow = if entry.slow {
                    r#"<p class="hint">Plus long : photos et vidéo fabriquées (quelques secondes).</p>"#
                } else {
                    ""
                },
            )
        })
        .collect();
    let body = format!(
        r#"<div class="card"><h1>Scénarios</h1>
<p>Un scénario crée une personne fictive et l'amène dans une situation du parcours en une étape, comme une personne le ferait (cœur de l'appareil, API publique). Son temps avance seul : les autres apprenants de la classe gardent l'horloge de la classe.</p>
<h2>Appliquer un fichier de scénario</h2>
<form method="post" action="/console/scenarios/fichier">{csrf}
<label for="fichier-choisi">Fichier (.toml), par exemple exporté du cas d'un utilisateur avec <code>idn scenario export</code></label><input type="file" id="fichier-choisi" accept=".toml,text/plain" data-fills="fichier">
<label for="fichier">Contenu du fichier</label><textarea id="fichier" name="toml" rows="8" required spellcheck="false"></textarea>
<button class="btn primary" type="submit" id="appliquer-fichier">Appliquer ce fichier</button></form></div>
{recent}
<div class="card"><h2>Catalogue</h2><table id="catalogue"><thead><tr><th>Situation</th><th>Étape atteinte</th><th></th></tr></thead><tbody>{rows}</tbody></table></div>"#,
        csrf = csrf(&session),
    );
    pages::layout(&session, "Scénarios", &body).into_response()
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
    let body = format!(
        r#"<div class="card"><h1>Scénario non appliqué</h1>{}<p class="links"><a href="/console/scenarios">Retour aux scénarios</a></p></div>"#,
        notice("error", message)
    );
    (status, pages::layout(session, "Scénario non appliqué", &body)).into_response()
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
        JobState::Running => {
            let body = format!(
                r#"<div class="card"><h1>Scénario en cours</h1><p id="etat-scenario" role="status">{what} : {state}.</p><p class="hint">Cette page se recharge d'elle-même et ouvrira la page de l'apprenant dès qu'il sera dans sa situation.</p><p class="links"><a href="/console/scenarios">Retour aux scénarios</a></p></div>"#,
                what = esc(&job.what),
                state = state_html(&job, world.wall_now()),
            );
            pages::layout_refreshing(&session, "Scénario en cours", &body, 2).into_response()
        }
    }
}

/// The notice the learner's page shows right after a scenario put them there.
pub(crate) fn landed_notice(world: &World, learner_id: &str, job_id: &str) -> String {
    let Some(job) = world.scenario_desk().and_then(|desk| desk.job(job_id)) else {
        return String::new();
    };
    match &job.state {
        JobState::Landed(applied) if applied.learner_id == learner_id => format!(
            r#"<div class="success" role="status" id="scenario-applique"><strong>Scénario appliqué : {title}</strong> — étape atteinte : {step}.<br>À dire à l'utilisateur : {explanation}</div>"#,
            title = esc(&applied.title),
            step = esc(&applied.step_label),
            explanation = esc(applied.explanation.trim()),
        ),
        JobState::Landed(_) | JobState::Running | JobState::Failed(_) => String::new(),
    }
}
