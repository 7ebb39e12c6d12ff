//! What the property observes of each learner after every request, and the invariants it checks
//! between two observations: answers are well-formed, only the learners a request addresses
//! change and only as the journey allows, journals and inboxes only grow, nothing of one learner
//! shows in another's pages.

use super::population::{Facts, Media};
use super::requests::{Kind, Planned};
use super::Reply;
use idn_api::{InboxMessage, JournalEntry, LearnerView, LoginRequestView};
use idn_world::World;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// One learner as the world shows them: view, journal, inbox, support reading, pending logins.
#[derive(Clone)]
pub struct Seen {
    pub view: LearnerView,
    pub journal: Vec<JournalEntry>,
    pub inbox: Vec<InboxMessage>,
    pub pending: Vec<LoginRequestView>,
    /// The view and the support reading as JSON text, compared whole (their types have no `==`).
    view_json: String,
    situation_json: String,
    /// The words of all five readings, for the leak check (kept while nothing changed).
    pub words: Arc<HashSet<String>>,
}

/// One of the five readings of a learner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    View,
    Journal,
    Inbox,
    Situation,
    Pending,
}

impl Seen {
    pub fn step(&self) -> &'static str {
        self.view.step.code()
    }

    fn same(&self, other: &Seen, reading: Reading) -> bool {
        match reading {
            Reading::View => self.view_json == other.view_json,
            Reading::Journal => same_lines(&self.journal, &other.journal),
            Reading::Inbox => same_messages(&self.inbox, &other.inbox),
            Reading::Situation => self.situation_json == other.situation_json,
            Reading::Pending => same_requests(&self.pending, &other.pending),
        }
    }

    fn render(&self, reading: Reading) -> String {
        match reading {
            Reading::View => self.view_json.clone(),
            Reading::Journal => serde_json::to_string(&self.journal).unwrap(),
            Reading::Inbox => serde_json::to_string(&self.inbox).unwrap(),
            Reading::Situation => self.situation_json.clone(),
            Reading::Pending => serde_json::to_string(&self.pending).unwrap(),
        }
    }

    /// The first of `readings` that differs from `other`'s, shown both ways.
    pub fn difference(&self, other: &Seen, readings: &[Reading]) -> Option<String> {
        readings
            .iter()
            .find(|reading| !self.same(other, **reading))
            .map(|reading| {
                format!(
                    "their {reading:?} changed:\nbefore {}\nafter  {}",
                    self.render(*reading),
                    other.render(*reading)
                )
            })
    }
}

pub const ALL_READINGS: [Reading; 5] = [
    Reading::View,
    Reading::Journal,
    Reading::Inbox,
    Reading::Situation,
    Reading::Pending,
];

// Field by field, destructured: a field added to a wire type breaks the build here.
fn same_lines(a: &[JournalEntry], b: &[JournalEntry]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| {
            let JournalEntry {
                seq,
                at,
                actor,
                action,
                outcome,
                message,
                detail,
                step_before,
                step_after,
            } = a;
            (
                seq,
                at,
                actor,
                action,
                outcome,
                message,
                detail,
                step_before,
                step_after,
            ) == (
                &b.seq,
                &b.at,
                &b.actor,
                &b.action,
                &b.outcome,
                &b.message,
                &b.detail,
                &b.step_before,
                &b.step_after,
            )
        })
}

fn same_messages(a: &[InboxMessage], b: &[InboxMessage]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| {
            let InboxMessage {
                id,
                at,
                channel,
                sender,
                recipient,
                subject,
                body,
                link,
                folder,
                code,
                action,
            } = a;
            (
                id, at, channel, sender, recipient, subject, body, link, folder, code, action,
            ) == (
                &b.id,
                &b.at,
                &b.channel,
                &b.sender,
                &b.recipient,
                &b.subject,
                &b.body,
                &b.link,
                &b.folder,
                &b.code,
                &b.action,
            )
        })
}

fn same_requests(a: &[LoginRequestView], b: &[LoginRequestView]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(a, b)| {
            let LoginRequestView {
                request_id,
                relying_party,
                challenge,
                created_at,
                deadline,
                status,
                seconds_left,
            } = a;
            (
                request_id,
                relying_party,
                challenge,
                created_at,
                deadline,
                status,
                seconds_left,
            ) == (
                &b.request_id,
                &b.relying_party,
                &b.challenge,
                &b.created_at,
                &b.deadline,
                &b.status,
                &b.seconds_left,
            )
        })
}

/// A learner of the case: what the test knows and what the world shows.
#[derive(Clone)]
pub struct Learner {
    pub facts: Facts,
    pub seen: Seen,
    /// The words of every request addressed to this learner: what they may see echoed.
    pub typed: HashSet<String>,
    /// Login requests ever opened for them (answered ones leave the pending list).
    pub requests: Vec<LoginRequestView>,
}

impl Learner {
    /// Keeps the words of a request addressed to this learner (its path and its text body; an
    /// upload's bytes are no words).
    pub fn remember_typed(&mut self, outgoing: &super::Outgoing) {
        let body = std::str::from_utf8(&outgoing.body).unwrap_or_default();
        for token in tokens(&outgoing.path).chain(tokens(body)) {
            self.typed.insert(token.to_owned());
        }
    }
}

/// Reads one learner through the same `World` methods the API's handlers call (cheaper than a
/// round trip through the router in a debug build; the hostile requests themselves all go
/// through the router).
pub async fn observe(world: &World, id: &str) -> Seen {
    let view = world
        .learner(id)
        .await
        .expect("a learner of the case can be read");
    let situation = world.situation(id).await.expect("situation readable");
    let pending = world
        .pending_login_requests(id)
        .await
        .expect("pending login requests readable");
    let reading = serde_json::to_string(&situation).unwrap();
    seen(world, view, reading, pending, None).await
}

/// Reads every learner after a request: the views in one read, each journal and inbox, and the
/// support reading and pending logins of the learners the request addressed (`full`); the
/// others' are those of the last observation, checked again whenever they are addressed. Two
/// halves of the class are read side by side, as the world has two readers.
pub async fn observe_all(world: &Arc<World>, learners: &[Learner], full: &[usize]) -> Vec<Seen> {
    let mut views: HashMap<String, LearnerView> = world
        .learners()
        .await
        .expect("learners readable")
        .into_iter()
        .map(|view| (view.id.clone(), view))
        .collect();
    let work: Vec<(LearnerView, bool, Seen)> = learners
        .iter()
        .enumerate()
        .map(|(index, learner)| {
            let view = views
                .remove(&learner.facts.id)
                .expect("every learner of the case is listed");
            (view, full.contains(&index), learner.seen.clone())
        })
        .collect();
    let half = work.len().div_ceil(2);
    let mut halves = work.into_iter();
    let tasks: Vec<_> = [halves.by_ref().take(half).collect::<Vec<_>>(), halves.collect()]
        .into_iter()
        .map(|part| {
            let world = world.clone();
            tokio::spawn(async move {
                let mut observed = Vec::new();
                for (view, full, previous) in part {
                    observed.push(observe_one(&world, view, full, &previous).await);
                }
                observed
            })
        })
        .collect();
    let mut observed = Vec::new();
    for task in tasks {
        observed.extend(task.await.expect("observing never panics"));
    }
    observed
}

async fn observe_one(world: &World, view: LearnerView, full: bool, previous: &Seen) -> Seen {
    let (situation, pending) = if full {
        let situation = world.situation(&view.id).await.expect("situation readable");
        let pending = world
            .pending_login_requests(&view.id)
            .await
            .expect("pending login requests readable");
        (serde_json::to_string(&situation).unwrap(), pending)
    } else {
        (previous.situation_json.clone(), previous.pending.clone())
    };
    seen(world, view, situation, pending, Some(previous)).await
}

async fn seen(
    world: &World,
    view: LearnerView,
    situation_json: String,
    pending: Vec<LoginRequestView>,
    previous: Option<&Seen>,
) -> Seen {
    let journal = world.journal(&view.id).await.expect("journal readable");
    let inbox = world.inbox(&view.id).await.expect("inbox readable");
    let mut seen = Seen {
        view_json: serde_json::to_string(&view).unwrap(),
        view,
        journal,
        inbox,
        pending,
        situation_json,
        words: Arc::default(),
    };
    seen.words = match previous {
        Some(previous) if ALL_READINGS.iter().all(|reading| previous.same(&seen, *reading)) => {
            previous.words.clone()
        }
        _ => Arc::new(
            ALL_READINGS
                .iter()
                .flat_map(|reading| {
                    tokens(&seen.render(*reading))
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect(),
        ),
    };
    seen
}

/// What a refusal must look like: JSON with a stable code and a French message.
pub fn check_reply(reply: &Reply) -> Result<(), String> {
    if reply.status.is_server_error() {
        return Err(format!("answered {} (a 5xx): {}", reply.status, reply.text()));
    }
    let Some(body) = reply.json() else {
        return Err(format!(
            "answered {} with a body that is not JSON: {}",
            reply.status,
            reply.text()
        ));
    };
    if reply.accepted() {
        return Ok(());
    }
    if !reply.status.is_client_error() {
        return Err(format!("answered {}: neither accepted nor refused", reply.status));
    }
    let code = body["code"].as_str().unwrap_or_default();
    let message = body["message"].as_str().unwrap_or_default();
    if code.is_empty() || !code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return Err(format!("refusal without a stable snake_case code: {body}"));
    }
    if !looks_french(message) {
        return Err(format!("refusal {code} without a French message: {body}"));
    }
    Ok(())
}

/// A sentence for people, in French: it starts with a capital and its first words hold a small
/// word or an accent of French. (Some refusals go on with a technical detail; the sentence comes
/// first.)
pub fn looks_french(message: &str) -> bool {
    const SMALL_WORDS: &str = "le la les l de du des d un une est pas ne n il elle vous votre vos ce cette \
        cet et ou au aux en dans pour sur avec par que qui doit peut plus aucun aucune introuvable";
    let trimmed = message.trim();
    let first_words: Vec<String> = trimmed
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(8)
        .map(str::to_lowercase)
        .collect();
    trimmed.chars().next().is_some_and(char::is_uppercase)
        && first_words.iter().any(|word| {
            SMALL_WORDS.split_whitespace().any(|small| small == word)
                || word.contains(['é', 'è', 'ê', 'à', 'ç', 'ù', 'ô', 'î'])
        })
}

/// Whether a message carries English words (axum's and serde's rejection texts).
fn has_english(message: &str) -> bool {
    [
        "Failed to",
        " the ",
        "expected ",
        "missing field",
        "unknown variant",
        "invalid type",
        " at line ",
    ]
    .iter()
    .any(|english| message.contains(english))
}

/// Which journey steps an accepted command may start from, by journal action.
pub fn allowed_from(kind: Kind) -> Option<&'static [&'static str]> {
    const CHOOSE: &[&str] = &[
        "verification_choice",
        "face_to_face",
        "postal_letter",
        "registered_letter",
        "visual_identification",
        "identification_refused",
        "activation",
        "locked",
    ];
    const ONLINE: &[&str] = &[
        "registered_letter",
        "visual_identification",
        "review",
        "identification_refused",
    ];
    const ONLINE_NOT_IN_REVIEW: &[&str] = &[
        "registered_letter",
        "visual_identification",
        "identification_refused",
    ];
    const WITH_PASSWORD: &[&str] = &[
        "mobile",
        "profile",
        "mobile_code",
        "identity_data",
        "identity_confirmation",
        "verification_choice",
        "face_to_face",
        "postal_letter",
        "registered_letter",
        "visual_identification",
        "review",
        "identification_refused",
        "activation",
        "enrolled",
        "locked",
    ];
    Some(match kind {
        Kind::ConfirmEmail | Kind::ResendEmailCode => &["email_code"],
        Kind::ChoosePassword => &["password"],
        Kind::RegisterMobile => &["mobile", "profile", "mobile_code"],
        Kind::ConfirmMobile | Kind::ResendMobileCode => &["mobile_code"],
        Kind::CompleteProfile => &["profile"],
        Kind::EnterIdentity => &["identity_data", "identity_confirmation"],
        Kind::ConfirmIdentity => &["identity_confirmation"],
        Kind::ChooseFaceToFace | Kind::ChooseByPost | Kind::ChooseOnline => CHOOSE,
        Kind::ReadLetter | Kind::ConfirmLetterIdentity => ONLINE,
        Kind::DeclineLetter | Kind::StartVisualIdentification => ONLINE_NOT_IN_REVIEW,
        Kind::SubmitVisualIdentification => &["visual_identification"],
        Kind::ResendActivationCode | Kind::Activate => &["activation"],
        Kind::ForgetSecretCode | Kind::OpenLoginRequest | Kind::Approve | Kind::Decline => &["enrolled"],
        Kind::ClerkValidate => &["face_to_face"],
        Kind::SignIn | Kind::ConfirmSignIn => WITH_PASSWORD,
        Kind::CreateLearner => &["not_started"],
        Kind::ReviewPolicy
        | Kind::DeliveryPlan
        | Kind::LearnerClock
        | Kind::ClassClock
        | Kind::SetClock
        | Kind::ClerkLookup
        | Kind::PendingRequests
        | Kind::LoginRequestStatus
        | Kind::UploadFront
        | Kind::UploadBack
        | Kind::UploadVideo
        | Kind::Read => return None,
    })
}

/// Where an accepted command taken at `before` leaves the learner; `None`: where it found them.
fn leads_to(kind: Kind, before: &str) -> Option<&'static str> {
    Some(match kind {
        // A number typed before « Créer mon compte » waits for the profile; typed again at the
        // SMS code, it gets a new SMS there (002 steps 5 to 7).
        Kind::RegisterMobile if before == "mobile_code" => "mobile_code",
        Kind::RegisterMobile => "profile",
        Kind::ConfirmEmail => "password",
        Kind::ResendEmailCode => "email_code",
        Kind::ChoosePassword => "mobile",
        Kind::CompleteProfile | Kind::ResendMobileCode => "mobile_code",
        Kind::ConfirmMobile => "identity_data",
        Kind::EnterIdentity => "identity_confirmation",
        Kind::ConfirmIdentity | Kind::DeclineLetter => "verification_choice",
        Kind::ChooseFaceToFace => "face_to_face",
        Kind::ChooseByPost => "postal_letter",
        Kind::ChooseOnline => "registered_letter",
        Kind::StartVisualIdentification => "visual_identification",
        Kind::SubmitVisualIdentification => "review",
        Kind::ResendActivationCode | Kind::ClerkValidate => "activation",
        Kind::Activate | Kind::OpenLoginRequest | Kind::Approve | Kind::Decline => "enrolled",
        Kind::ForgetSecretCode => "locked",
        Kind::CreateLearner => "email_code",
        Kind::ReadLetter
        | Kind::ConfirmLetterIdentity
        | Kind::SignIn
        | Kind::ConfirmSignIn
        | Kind::ReviewPolicy
        | Kind::DeliveryPlan
        | Kind::LearnerClock
        | Kind::ClassClock
        | Kind::SetClock
        | Kind::ClerkLookup
        | Kind::PendingRequests
        | Kind::LoginRequestStatus
        | Kind::UploadFront
        | Kind::UploadBack
        | Kind::UploadVideo
        | Kind::Read => return None,
    })
}

/// What time alone may do to a learner (the letter arrives, the review is decided).
fn time_may_move(before: &str, after: &str) -> bool {
    before == after
        || (before == "postal_letter" && after == "face_to_face")
        || (before == "review" && matches!(after, "activation" | "identification_refused"))
}

/// Checks one request's effects between two observations of every learner. `before` and
/// `after` are indexed like the case's learners; `after` may hold new learners at its end.
pub fn check_effects(
    planned: &Planned,
    replies: &[Reply],
    may_change: &[usize],
    before: &[Seen],
    after: &[Seen],
) -> Result<(), String> {
    let kind = planned.kind;
    let action = kind.journal_action();
    let accepted = replies.iter().filter(|reply| reply.accepted()).count();
    let refused_codes: Vec<String> = replies
        .iter()
        .filter(|reply| !reply.accepted())
        .map(Reply::code)
        .collect();
    let mut ok_lines = 0;
    let mut refused_lines: Vec<String> = Vec::new();
    for (index, (old, new)) in before.iter().zip(after).enumerate() {
        if !may_change.contains(&index) {
            if let Some(difference) = old.difference(new, &ALL_READINGS) {
                return Err(format!("learner {index} was not addressed, yet {difference}"));
            }
            continue;
        }
        // History is never rewritten: old lines and old messages stay as they were.
        if new
            .journal
            .get(..old.journal.len())
            .is_none_or(|kept| !same_lines(kept, &old.journal))
        {
            return Err(format!("learner {index}: the journal's earlier lines changed"));
        }
        if new
            .inbox
            .get(..old.inbox.len())
            .is_none_or(|kept| !same_messages(kept, &old.inbox))
        {
            return Err(format!("learner {index}: earlier messages changed or vanished"));
        }
        let lines = &new.journal[old.journal.len()..];
        let mut step = old.step();
        for line in lines {
            if line.step_before.code() != step {
                return Err(format!(
                    "learner {index}: line {} starts at {} but the learner stood at {step}",
                    line.seq, line.step_before
                ));
            }
            let (before_step, after_step) = (line.step_before.code(), line.step_after.code());
            if line.action == "time_passed" {
                if !matches!(kind, Kind::LearnerClock | Kind::ClassClock | Kind::SetClock) {
                    return Err(format!("learner {index}: time passed on a {kind:?} request"));
                }
                if line.actor != "horloge" || line.outcome != "ok" || !time_may_move(before_step, after_step)
                {
                    return Err(format!(
                        "learner {index}: time moved {before_step} → {after_step}: {line:?}"
                    ));
                }
            } else if line.action != action {
                return Err(format!(
                    "learner {index}: a {kind:?} request wrote a line of {} ({})",
                    line.action, line.outcome
                ));
            } else if line.outcome == "ok" {
                ok_lines += 1;
                if let Some(from) = allowed_from(kind) {
                    if !from.contains(&before_step) {
                        return Err(format!(
                            "learner {index}: {kind:?} was accepted at {before_step}, where the journey does not take it"
                        ));
                    }
                }
                let expected_after = leads_to(kind, before_step).unwrap_or(before_step);
                if after_step != expected_after {
                    return Err(format!(
                        "learner {index}: {kind:?} accepted at {before_step} led to {after_step}, not {expected_after}"
                    ));
                }
            } else {
                refused_lines.push(line.outcome.clone());
                let locks =
                    kind == Kind::Approve && line.outcome == "secret_code_locked" && after_step == "locked";
                if before_step != after_step && !locks {
                    return Err(format!(
                        "learner {index}: refused {kind:?} ({}) moved {before_step} → {after_step}",
                        line.outcome
                    ));
                }
                if line
                    .message
                    .as_deref()
                    .is_none_or(|message| !looks_french(message))
                {
                    return Err(format!(
                        "learner {index}: refusal journaled without its French message: {line:?}"
                    ));
                }
            }
            step = after_step;
        }
        if new.step() != step {
            return Err(format!(
                "learner {index}: the view says {} but the journal ends at {step} (half-done change)",
                new.step()
            ));
        }
        let own_lines = lines
            .iter()
            .any(|line| line.action == action && line.outcome == "ok")
            || lines.iter().any(|line| line.action == "time_passed");
        if new.inbox.len() > old.inbox.len() && !own_lines {
            return Err(format!(
                "learner {index}: messages arrived without an accepted change in the journal"
            ));
        }
        // The class clock moving changes what is read at the new time (a code's time left, a
        // login request's seconds left) without a change of the learner.
        let compared: &[Reading] = if matches!(kind, Kind::ClassClock | Kind::SetClock) {
            &[Reading::View, Reading::Journal, Reading::Inbox]
        } else {
            &ALL_READINGS
        };
        if lines.is_empty() {
            if let Some(difference) = old.difference(new, compared) {
                return Err(format!("learner {index}: without a journal line, {difference}"));
            }
        }
        let refused_only = lines.iter().all(|line| line.outcome != "ok");
        if refused_only && new.step() != "locked" {
            if let Some(difference) = old.difference(new, &[Reading::View]) {
                return Err(format!(
                    "learner {index}: a refused {kind:?} changed the view: {difference}"
                ));
            }
        }
    }
    if kind.journaled() {
        if ok_lines != accepted {
            return Err(format!(
                "{accepted} {kind:?} accepted but {ok_lines} journal line(s) say ok (among learners {may_change:?})"
            ));
        }
        for outcome in &refused_lines {
            if !refused_codes.contains(outcome) {
                return Err(format!(
                    "the journal says {outcome} but the answers were {:?}",
                    replies
                        .iter()
                        .map(|reply| (reply.status.as_u16(), reply.code()))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    Ok(())
}

/// Every learner's journal numbers its lines 1, 2, 3… and its last line says where they stand.
pub fn check_journal(index: usize, seen: &Seen) -> Result<(), String> {
    for (expected, line) in (1..).zip(&seen.journal) {
        if line.seq != expected {
            return Err(format!(
                "learner {index}: journal line {expected} is numbered {} (gap or disorder): {:?}",
                line.seq,
                seen.journal.iter().map(|line| line.seq).collect::<Vec<_>>()
            ));
        }
    }
    match seen.journal.last() {
        Some(last) if last.step_after != seen.view.step => Err(format!(
            "learner {index}: the view says {} but the journal ends at {}",
            seen.view.step, last.step_after
        )),
        None => Err(format!("learner {index}: empty journal")),
        Some(_) => Ok(()),
    }
}

/// What belongs to one learner and must not show in another's pages.
pub fn secrets(learner: &Learner, media: &Media) -> Vec<String> {
    let seen = &learner.seen;
    let facts = &learner.facts;
    let mut secrets = vec![facts.id.clone(), facts.email.clone(), facts.mobile.clone()];
    secrets.extend(media.ids(&facts.id));
    secrets.extend(seen.inbox.iter().filter_map(|message| message.code.clone()));
    if let Some(letter) = &seen.view.registered_letter {
        secrets.push(letter.letter_id.clone());
    }
    for request in seen.pending.iter().chain(&learner.requests) {
        secrets.push(request.request_id.clone());
        secrets.push(request.challenge.clone());
    }
    secrets
}

/// Words of a text: runs of letters, digits and the characters of emails, numbers and ids.
pub fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '@' | '.' | '+' | '-' | '_')))
        .map(|token| token.trim_matches(|c| matches!(c, '.' | '-')))
        .filter(|token| token.len() >= 4)
}

/// No learner's pages show what belongs to another (their id, email, number, codes, letter,
/// files, login requests), unless the learner typed it themselves.
pub fn check_leaks(learners: &[Learner], media: &Media) -> Result<(), String> {
    let mut owners: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, learner) in learners.iter().enumerate() {
        for secret in secrets(learner, media) {
            owners.entry(secret).or_default().push(index);
        }
    }
    for (index, learner) in learners.iter().enumerate() {
        for token in learner.seen.words.iter() {
            let Some(holders) = owners.get(token) else {
                continue;
            };
            if holders.contains(&index) || learner.typed.contains(token) {
                continue;
            }
            return Err(format!(
                "learner {index}'s pages show {token:?}, which belongs to learner(s) {holders:?}"
            ));
        }
    }
    Ok(())
}

/// Counts of the run, to show the property is not only fuzzing the first refusal.
#[derive(Default)]
pub struct Tally {
    pub cases: usize,
    pub requests: usize,
    pub accepted: usize,
    /// By the step of the learner the request was drawn for: (accepted, refused).
    pub by_step: BTreeMap<&'static str, (usize, usize)>,
    pub by_mutation: BTreeMap<&'static str, (usize, usize)>,
    pub by_kind: BTreeMap<String, (usize, usize)>,
    pub refusal_codes: BTreeMap<String, usize>,
    /// Refusals whose French sentence goes on with English from axum or serde: by code, with an
    /// example (reported, not failed: the sentence for people comes first).
    pub english_detail: BTreeMap<String, (usize, String)>,
    /// Steps learners reached through accepted requests during the cases.
    pub reached: BTreeMap<&'static str, usize>,
    /// For each case, how many distinct steps its requests were drawn at.
    pub steps_per_case: Vec<usize>,
    pub time: Timing,
}

/// Where the run's time went.
#[derive(Default)]
pub struct Timing {
    pub population: std::time::Duration,
    pub sending: std::time::Duration,
    pub observing: std::time::Duration,
    pub checking: std::time::Duration,
    pub total: std::time::Duration,
}

impl Tally {
    pub fn count(&mut self, step: &'static str, mutation: &'static str, kind: Kind, replies: &[Reply]) {
        for reply in replies {
            self.requests += 1;
            let accepted = reply.accepted();
            self.accepted += usize::from(accepted);
            let entry = self.by_step.entry(step).or_default();
            let by_mutation = self.by_mutation.entry(mutation).or_default();
            let by_kind = self.by_kind.entry(format!("{kind:?}")).or_default();
            if accepted {
                entry.0 += 1;
                by_mutation.0 += 1;
                by_kind.0 += 1;
            } else {
                entry.1 += 1;
                by_mutation.1 += 1;
                by_kind.1 += 1;
                *self.refusal_codes.entry(reply.code()).or_default() += 1;
                let message = reply
                    .json()
                    .and_then(|body| body["message"].as_str().map(str::to_owned));
                if let Some(message) = message.filter(|message| has_english(message)) {
                    let entry = self.english_detail.entry(reply.code()).or_insert((0, message));
                    entry.0 += 1;
                }
            }
        }
    }

    pub fn report(&self) -> String {
        let share = |accepted: usize, refused: usize| {
            format!(
                "{accepted:>5} accepted {refused:>5} refused ({:>3.0} % accepted)",
                100.0 * accepted as f64 / (accepted + refused).max(1) as f64
            )
        };
        let mut text = format!(
            "{} cases, {} requests: {}\n",
            self.cases,
            self.requests,
            share(self.accepted, self.requests - self.accepted)
        );
        text += "by step of the learner drawn:\n";
        for (step, (accepted, refused)) in &self.by_step {
            text += &format!("  {step:<24}{}\n", share(*accepted, *refused));
        }
        text += "by mutation:\n";
        for (mutation, (accepted, refused)) in &self.by_mutation {
            text += &format!("  {mutation:<24}{}\n", share(*accepted, *refused));
        }
        text += "by request:\n";
        for (kind, (accepted, refused)) in &self.by_kind {
            text += &format!("  {kind:<28}{}\n", share(*accepted, *refused));
        }
        text += "steps reached by accepted requests: ";
        text += &self
            .reached
            .iter()
            .map(|(step, count)| format!("{step} {count}"))
            .collect::<Vec<_>>()
            .join(", ");
        let mut steps = self.steps_per_case.clone();
        steps.sort_unstable();
        text += &format!(
            "\ndistinct steps drawn per case: min {}, median {}, max {}\n",
            steps.first().unwrap_or(&0),
            steps.get(steps.len() / 2).unwrap_or(&0),
            steps.last().unwrap_or(&0)
        );
        let time = &self.time;
        text += &format!(
            "time: {:.1} s in all; population {:.1} s, requests {:.1} s, observing {:.1} s, checking {:.1} s\n",
            time.total.as_secs_f64(),
            time.population.as_secs_f64(),
            time.sending.as_secs_f64(),
            time.observing.as_secs_f64(),
            time.checking.as_secs_f64()
        );
        for (code, (count, example)) in &self.english_detail {
            text += &format!("refusals {code} with English in their message: {count}, e.g. {example:?}\n");
        }
        text += "refusal codes: ";
        text += &self
            .refusal_codes
            .iter()
            .map(|(code, count)| format!("{code} {count}"))
            .collect::<Vec<_>>()
            .join(", ");
        text
    }
}
