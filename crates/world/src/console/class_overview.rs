//! « La classe d'un coup d'œil », the learners page's live part: every learner by name with their
//! step n/N in the journey's order, how long they have been idle (wall clock), their latest
//! error in French, and « À vous d'agir » when they wait for staff (a review at the desk, the
//! face-to-face counter) instead of a blocker; above them, how many learners stand at each step,
//! as a bar chart with its values in text. An empty class is shown how to join.

use super::auth::{Role, StaffSession};
use super::desks;
use super::handlers::{form_encode, how_long};
use super::pages::SimulationTime;
use crate::api::{BlockerView, LearnerSituation, LearnerView, ReviewBy, Step};
use crate::store::class_activity::ClassActivityReads;
use crate::{journal_detail, World, WorldError};
use askama::Template;
use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::local_time;
use idn_journey::rules::CLASS_TIME_ZONE_FR;
use std::collections::HashMap;

/// Idle longer than this (wall clock) on a step where the learner has something to do, and the
/// idle time is emphasised: they may be stuck.
const IDLE_NOTICED: TimeDelta = TimeDelta::minutes(10);

/// The step's rank in the journey, in the order of [`Step::ALL`], and the rank of its end (the
/// identity active). A locked identity was active first: it counts as having reached the end.
pub(super) fn step_rank(step: Step) -> (usize, usize) {
    let rank = |step: Step| Step::ALL.iter().position(|each| *each == step).unwrap_or(0);
    let end = rank(Step::Enrolled);
    match step {
        Step::Locked => (end, end),
        other => (rank(other), end),
    }
}

/// What a learner waits for, when it is staff: the trainer (or a reviewer) deciding their
/// identification at the review desk, or the clerk at the face-to-face counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StaffAwaited {
    ReviewDesk,
    Counter,
}

/// The state column of a row.
pub(super) enum RowState {
    /// The learner waits for staff this session's role is: the action and where to take it.
    Act {
        label: &'static str,
        href: String,
    },
    /// The learner waits, and nothing is wrong (an automatic review, staff of another role).
    Waiting(String),
    /// What blocks the learner, as an agent names it.
    Blocked(Vec<BlockerView>),
    Fine,
}

/// A learner's latest error, in French, and how long ago (wall clock).
pub(super) struct ErrorCell {
    pub text: String,
    pub ago: String,
}

/// One learner's row.
pub(super) struct Row {
    pub id: String,
    pub href: String,
    pub name: String,
    /// The email under the name, when the name is not the email already.
    pub email: Option<String>,
    pub step: &'static str,
    pub rank: usize,
    pub ranks: usize,
    pub step_label: String,
    pub idle: String,
    pub idle_noticed: bool,
    pub error: Option<ErrorCell>,
    pub state: RowState,
}

impl Row {
    fn awaits_staff(&self) -> bool {
        matches!(self.state, RowState::Act { .. })
    }
}

/// One bar of the chart: a step and how many learners stand on it.
pub(super) struct Bar {
    pub step: &'static str,
    /// The step's rank; none for a locked identity, which is not a step forward.
    pub rank: Option<usize>,
    pub label: &'static str,
    pub count: usize,
}

/// How to join the class, shown while it is empty.
pub(super) struct Join {
    pub address: String,
    /// Reached on this machine's loopback address: a QR code of it is of no use to phones.
    pub loopback: bool,
}

/// The overview, as the page shows it and its live updates replace it.
#[derive(Template)]
#[template(path = "console/class_overview.html")]
pub(super) struct ClassOverview {
    pub rows: Vec<Row>,
    pub bars: Vec<Bar>,
    /// Learners in the class (the chart's scale), whatever the search.
    pub total: usize,
    /// Learners waiting for this session's action.
    pub awaiting: usize,
    pub query: String,
    pub join: Option<Join>,
    /// When this overview was read, on the wall clock in the class's time zone (« 16:15:38
    /// (heure de Paris) »):
    /// the page's script shows it, so the stamp never takes the browser's own zone.
    pub updated: String,
    /// The class's simulated time beside the wall clock, when they differ.
    pub simulation: Option<SimulationTime>,
}

// The overview is HTML rendered by askama itself: the page embeds it as is.
impl askama::filters::HtmlSafe for ClassOverview {}

impl ClassOverview {
    /// Reads the class: every learner (time let pass first), their situation, what they wait
    /// for, their latest journal line and error. `query` narrows the rows, never the chart.
    pub async fn read(
        world: &World,
        session: &StaffSession,
        query: &str,
        address: String,
    ) -> Result<Self, WorldError> {
        let views = world.learners().await?;
        let (activity, errors) = {
            let reader = world.store().read().await;
            (reader.last_activities()?, reader.latest_errors()?)
        };
        let last_line: HashMap<String, DateTime<Utc>> = activity
            .into_iter()
            .map(|line| (line.learner_id, line.recorded_at))
            .collect();
        let wall_now = world.wall_now();
        let mut errors: HashMap<String, ErrorCell> = errors
            .into_iter()
            .map(|error| {
                let text = match (&error.detail, error.message) {
                    (Some(detail), _) => journal_detail::sentence(detail),
                    (None, Some(message)) => message,
                    // A refusal journaled without its message: its code is all there is.
                    (None, None) => error.outcome,
                };
                let ago = format!("il y a {}", how_long(wall_now - error.recorded_at));
                (error.learner_id, ErrorCell { text, ago })
            })
            .collect();
        let mut counts: HashMap<Step, usize> = HashMap::new();
        let needle = query.trim().to_lowercase();
        let mut rows = Vec::new();
        let total = views.len();
        for view in views {
            *counts.entry(view.step).or_default() += 1;
            let situation = world.situation(&view.id).await?;
            if !needle.is_empty() && !haystack(&view, &situation).contains(&needle) {
                continue;
            }
            let idle = last_line.get(&view.id).map(|at| wall_now - *at);
            let state = learner_state(world, session.role, &view, &situation).await?;
            let (rank, ranks) = step_rank(view.step);
            let name = name_of(&view, &situation);
            let active_step = !matches!(view.step, Step::Enrolled | Step::Locked);
            rows.push(Row {
                href: format!("/console/apprenants/{}", form_encode(&view.id)),
                email: view.email.clone().filter(|email| *email != name),
                name,
                step: view.step.code(),
                rank,
                ranks,
                step_label: view.step_label.clone(),
                idle: idle.map_or_else(|| "—".to_owned(), how_long),
                idle_noticed: active_step
                    && !matches!(state, RowState::Act { .. } | RowState::Waiting(_))
                    && idle.is_some_and(|idle| idle >= IDLE_NOTICED),
                error: errors.remove(&view.id),
                state,
                id: view.id,
            });
        }
        // Who waits for staff first, then who is blocked; otherwise the class's order.
        rows.sort_by_key(|row| match row.state {
            RowState::Act { .. } => 0,
            RowState::Blocked(_) => 1,
            RowState::Waiting(_) | RowState::Fine => 2,
        });
        let awaiting = rows.iter().filter(|row| row.awaits_staff()).count();
        let bars = Step::ALL
            .into_iter()
            .filter(|step| *step != Step::NotStarted || counts.contains_key(step))
            .map(|step| Bar {
                step: step.code(),
                rank: (step != Step::Locked).then(|| step_rank(step).0),
                label: step.label_fr(),
                count: counts.get(&step).copied().unwrap_or(0),
            })
            .collect();
        let join = (total == 0).then(|| Join {
            loopback: crate::welcome::is_loopback(&address),
            address,
        });
        Ok(Self {
            rows,
            bars,
            total,
            awaiting,
            query: query.trim().to_owned(),
            join,
            updated: format!(
                "{} ({CLASS_TIME_ZONE_FR})",
                local_time::local(wall_now).format("%H:%M:%S")
            ),
            simulation: SimulationTime::of(world.clock_view().now, wall_now),
        })
    }
}

/// The learner by name: the identity's given names and birth name once typed, else the names
/// of their La Poste account, else their email.
pub(super) fn name_of(view: &LearnerView, situation: &LearnerSituation) -> String {
    if let Some(identity) = &situation.identity {
        let given = identity.given_names.join(" ");
        let name = format!("{given} {}", identity.birth_name);
        if !name.trim().is_empty() {
            return name.trim().to_owned();
        }
    }
    if let Some(profile) = &situation.profile {
        return format!("{} {}", profile.first_name, profile.last_name);
    }
    view.email
        .clone()
        .unwrap_or_else(|| "Apprenant sans adresse".to_owned())
}

/// A learner's name as staff read it (see [`name_of`]), from their id.
pub(super) async fn learner_name(world: &World, id: &str) -> Result<String, WorldError> {
    let view = world.learner(id).await?;
    let situation = world.situation(id).await?;
    Ok(name_of(&view, &situation))
}

/// What the search looks in: names, contacts, step, blockers and the identifier.
fn haystack(view: &LearnerView, situation: &LearnerSituation) -> String {
    let blockers: Vec<String> = situation
        .blockers
        .iter()
        .map(|blocker| format!("{} {}", blocker.code, blocker.label))
        .collect();
    format!(
        "{} {} {} {} {} {} {}",
        view.id,
        view.email.as_deref().unwrap_or_default(),
        view.mobile.as_deref().unwrap_or_default(),
        name_of(view, situation),
        view.step.code(),
        view.step_label,
        blockers.join(" ")
    )
    .to_lowercase()
}

/// Where a learner stands for staff of `role`: « À vous d'agir » when they wait for that role,
/// waiting, blocked, or fine.
pub(super) async fn learner_state(
    world: &World,
    role: Role,
    view: &LearnerView,
    situation: &LearnerSituation,
) -> Result<RowState, WorldError> {
    let awaited = match view.step {
        Step::Review => {
            desks::under_review(&world.journey_of(&view.id).await?).and_then(|review| match review.review {
                ReviewBy::Desk => Some(StaffAwaited::ReviewDesk),
                ReviewBy::Automatic { .. } => None,
            })
        }
        Step::FaceToFace if situation.blockers.is_empty() => Some(StaffAwaited::Counter),
        _ => None,
    };
    Ok(row_state(role, view, situation, awaited))
}

fn row_state(
    role: Role,
    view: &LearnerView,
    situation: &LearnerSituation,
    awaited: Option<StaffAwaited>,
) -> RowState {
    let reviews = super::REVIEWERS.contains(&role);
    let clerks = super::CLERKS.contains(&role);
    match awaited {
        Some(StaffAwaited::ReviewDesk) if reviews => {
            return RowState::Act {
                label: "examiner l'identification au guichet de revue",
                href: format!("/console/revue/{}", form_encode(&view.id)),
            }
        }
        Some(StaffAwaited::ReviewDesk) => {
            return RowState::Waiting("attend le guichet de revue (formateur ou relecteur)".to_owned())
        }
        Some(StaffAwaited::Counter) if clerks => {
            return RowState::Act {
                label: "valider au guichet face à face quand la personne présente son code",
                href: "/console/guichet".to_owned(),
            }
        }
        Some(StaffAwaited::Counter) => {
            return RowState::Waiting("attend le guichet face à face (formateur ou guichetier)".to_owned())
        }
        None => {}
    }
    // An automatic review is waited for, not a blocker.
    let blockers: Vec<BlockerView> = situation
        .blockers
        .iter()
        .filter(|blocker| blocker.code != "review_pending")
        .cloned()
        .collect();
    if !blockers.is_empty() {
        return RowState::Blocked(blockers);
    }
    match (view.step, view.next_deadline) {
        (Step::Review, Some(decided_by)) => RowState::Waiting(format!(
            "examen automatique, décision au plus tard le {}",
            super::pages::when(decided_by)
        )),
        _ => RowState::Fine,
    }
}
