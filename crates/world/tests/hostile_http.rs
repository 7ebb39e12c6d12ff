//! Hostile and malformed request sequences against the world's router. Each case starts from a
//! copy of a population of learners standing at every step of the journey (account codes to
//! enrolled with login requests waiting, the three verification modes, review, refusal,
//! locked), then sends requests drawn from those valid at a learner's step, most of them spoiled
//! (another learner's path or field, cut and stretched strings, wrong JSON types, huge numbers,
//! Unicode edge cases, missing fields, replays, approvals signed by the wrong device, uploads whose
//! checksum and bytes disagree, the same request twice at once, requests of another step). After
//! every request: never a 5xx; every refusal is `{code, message}` with a French message; only the
//! learners a request addresses change, and only as the journey allows (an accepted command only
//! where the journey takes it, a refused one changes no step); journals number their lines with
//! no gap and agree with the views; nothing of one learner shows in another's pages. The run
//! prints how many requests were accepted, by step and by mutation, and fails below its floors.
//!
//! Cases: 64 of 10 to 32 requests (about 1,400 requests), from a fixed seed, so that the floors
//! and any failure reproduce; `PROPTEST_CASES` and `PROPTEST_RNG_SEED` explore further. About
//! 47 s in a debug build on two idle cores, 14 s of it building the population (Argon2 hashes a
//! password in 0.8 s unoptimised). `--nocapture` shows the counts. A second test sends one
//! upload past the media route's size limit, too heavy to repeat in every case.

mod hostile;

use hostile::checks::{
    check_effects, check_journal, check_leaks, check_reply, observe, observe_all, Learner, Seen, Tally,
};
use hostile::mutations::Mutation;
use hostile::mutations::{intents, Intent};
use hostile::population::{open_world, upload, Facts, Template};
use hostile::requests::{costs_argon2, plan, Address, Case, Expect, Kind, Planned};
use hostile::{Api, Outgoing, Reply};
use idn_api::LoginRequestView;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use rand::SeedableRng;
use std::collections::BTreeSet;
use std::sync::Mutex;
use std::time::Instant;

const DEFAULT_CASES: u32 = 64;
const DEFAULT_SEED: u64 = 15;
/// One case in this many may send a request costing an Argon2 hash (a password chosen, a login
/// with the account): one takes about 0.8 s in a debug build.
const ARGON2_ONE_CASE_IN: usize = 3;

#[test]
fn no_hostile_request_sequence_crashes_corrupts_or_leaks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let template = runtime.block_on(Template::build());
    let built = started.elapsed();
    let mut config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    if std::env::var_os("PROPTEST_MAX_SHRINK_ITERS").is_none() {
        // A case takes about half a second: shrinking stops after a few minutes at most.
        config.max_shrink_iters = 256;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    let tally = Mutex::new(Tally::default());
    let mut runner = TestRunner::new(config);
    let result = runner.run(&intents(10..=32), |intents| {
        runtime
            .block_on(run_case(&runtime, &template, &intents, &tally))
            .map_err(TestCaseError::fail)
    });
    let mut tally = tally.into_inner().unwrap();
    tally.time.population = built;
    tally.time.total = started.elapsed();
    println!("{}", tally.report());
    if let Err(error) = result {
        panic!("{error}");
    }
    check_floors(&tally);
}

/// An upload past the media route's limit (64 MiB, `MAX_MEDIA_BYTES`) is refused like every other
/// refusal, `{code, message}` with a French message: no hostile request gets a bare framework
/// answer.
#[test]
fn an_upload_past_the_size_limit_is_refused_in_the_api_format() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let (_world, api) = open_world(dir.path()).await;
        let body = serde_json::json!({"email": "volumineux@simulation.example"});
        let learner = api
            .must(Outgoing::json(axum::http::Method::POST, "/api/learners", &body))
            .await;
        let id = learner["id"].as_str().unwrap();
        // The learner's own upload, with their credential: refused for its size, not its sender.
        let account = learner["credential"]["token"].as_str().unwrap();
        let mut jpeg = vec![0xFF, 0xD8, 0xFF];
        jpeg.resize(64 * 1024 * 1024 + 1, 0);
        let reply = api
            .send(&upload(id, "photo", "image/jpeg", &jpeg, &"0".repeat(64)).bearer(account))
            .await;
        assert!(!reply.accepted(), "a file past the limit is refused");
        assert!(
            reply.status != 401 && reply.status != 403,
            "refused for its size, not for who sent it: {} {}",
            reply.status,
            reply.text()
        );
        if let Err(error) = check_reply(&reply) {
            panic!("an upload of 64 MiB + 1 byte: {error}");
        }
    });
}

/// The run must show it reached past the first refusal: a fair share accepted, every step drawn
/// and accepted at, learners moved along the journey during the cases.
fn check_floors(tally: &Tally) {
    let share = tally.accepted as f64 / tally.requests.max(1) as f64;
    assert!(
        share >= 0.2,
        "only {:.0} % of the requests were accepted: the property mostly fuzzes refusals",
        share * 100.0
    );
    for step in idn_journey::Step::ALL {
        if step == idn_journey::Step::NotStarted {
            continue;
        }
        let (accepted, _) = tally.by_step.get(step.code()).copied().unwrap_or_default();
        assert!(accepted > 0, "no request was accepted for a learner at {step}");
    }
    assert!(
        tally.reached.len() >= 14,
        "accepted requests moved learners to only {} steps: {:?}",
        tally.reached.len(),
        tally.reached
    );
    let mut steps = tally.steps_per_case.clone();
    steps.sort_unstable();
    let median = steps[steps.len() / 2];
    assert!(
        median >= 8,
        "a case draws its requests at {median} distinct steps (median): too few"
    );
}

/// One case: a fresh copy of the population, the intents played one by one, every invariant
/// checked after each request.
async fn run_case(
    runtime: &tokio::runtime::Runtime,
    template: &Template,
    intents: &[Intent],
    tally: &Mutex<Tally>,
) -> Result<(), String> {
    let (_dir, world, api) = template.copy().await;
    let mut learners = Vec::new();
    for facts in &template.learners {
        let seen = observe(&world, &facts.id).await;
        learners.push(Learner {
            facts: facts.clone(),
            requests: seen.pending.clone(),
            seen,
            typed: Default::default(),
        });
    }
    check_leaks(&learners, &template.media)?;
    let mut history: Vec<(Planned, bool)> = Vec::new();
    let mut argon2_left = usize::from(intents.len().is_multiple_of(ARGON2_ONE_CASE_IN));
    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(intents.len() as u64);
    let mut drawn_at = BTreeSet::new();
    let mut reached = Vec::new();
    for (number, intent) in intents.iter().enumerate() {
        let case = Case {
            learners: &learners,
            media: &template.media,
            world_key: &template.world_key,
            history: &history,
            argon2_left,
        };
        let planned = plan(intent, &case, &mut rng);
        let mut may_change = case.may_change(&planned.address);
        argon2_left -= planned
            .sends
            .iter()
            .filter(|outgoing| costs_argon2(outgoing))
            .count()
            .min(argon2_left);
        let step = learners[planned.drawn_for].seen.step();
        drawn_at.insert(step);
        let started = Instant::now();
        // Each copy presents its sender's credential as it stands now.
        let signed: Vec<Outgoing> = planned
            .sends
            .iter()
            .map(|outgoing| planned.sender.sign(outgoing, &learners, &template.trainer))
            .collect();
        let replies = send(runtime, &api, &signed).await;
        let sent = started.elapsed();
        let context = || describe(number, &planned, &replies, &history);
        for index in &may_change {
            for outgoing in &planned.sends {
                learners[*index].remember_typed(outgoing);
            }
        }
        let before: Vec<Seen> = learners.iter().map(|learner| learner.seen.clone()).collect();
        // The credentials an accepted request gives: the phone's at an activation, the ticket
        // of a right password, the account's at a confirmed sign-in.
        for reply in replies.iter().filter(|reply| reply.accepted()) {
            let body = reply.json().unwrap_or_default();
            match (planned.kind, &planned.address) {
                (Kind::Activate, Address::Path(index)) => {
                    learners[*index].facts.device_credential =
                        body["credential"]["token"].as_str().map(str::to_owned);
                }
                (Kind::SignIn, _) => {
                    for index in &may_change {
                        learners[*index].facts.ticket = body["ticket"]["token"].as_str().map(str::to_owned);
                    }
                }
                (Kind::ConfirmSignIn, _) => {
                    if let Some(token) = body["credential"]["token"].as_str() {
                        for index in &may_change {
                            learners[*index].facts.account = token.to_owned();
                            learners[*index].facts.ticket = None;
                        }
                    }
                }
                _ => {}
            }
        }
        if planned.kind == Kind::CreateLearner {
            for reply in replies.iter().filter(|reply| reply.accepted()) {
                let view: idn_api::LearnerView = serde_json::from_slice(&reply.body)
                    .map_err(|error| format!("{}: a created learner's view: {error}", context()))?;
                // The account is the typed email's (the world trims and lowercases it), whatever
                // the view says: a view showing another email is a leak the checks must see.
                let typed = planned.sends[0].json_body().unwrap_or_default()["email"]
                    .as_str()
                    .map(|email| email.trim().to_lowercase())
                    .unwrap_or_default();
                if view.email.as_deref() != Some(typed.as_str()) {
                    return Err(format!(
                        "an account created for {typed:?} shows the email {:?}\n\n{}",
                        view.email,
                        context()
                    ));
                }
                let mut facts = Facts::new(learners.len(), view.id.clone());
                facts.email = typed;
                facts.account = reply.json().unwrap_or_default()["credential"]["token"]
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| format!("{}: a new account without its credential", context()))?;
                let seen = observe(&world, &view.id).await;
                may_change.push(learners.len());
                let mut learner = Learner {
                    facts,
                    seen,
                    typed: Default::default(),
                    requests: Vec::new(),
                };
                for outgoing in &planned.sends {
                    learner.remember_typed(outgoing);
                }
                learners.push(learner);
            }
        }
        let observed = observe_all(&world, &learners, &may_change).await;
        for (learner, seen) in learners.iter_mut().zip(observed) {
            learner.seen = seen;
            for request in &learner.seen.pending {
                if !learner
                    .requests
                    .iter()
                    .any(|known| known.request_id == request.request_id)
                {
                    learner.requests.push(request.clone());
                }
            }
        }
        let after: Vec<Seen> = learners.iter().map(|learner| learner.seen.clone()).collect();
        let observed = started.elapsed();
        let verdict = check_request(
            &api,
            &template.trainer,
            &planned,
            &replies,
            &may_change,
            &before,
            &after,
            &learners,
        )
        .await;
        let verdict = verdict.and_then(|()| check_leaks(&learners, &template.media));
        verdict.map_err(|error| format!("{error}\n\n{}", context()))?;
        {
            let mut tally = tally.lock().unwrap();
            tally.time.sending += sent;
            tally.time.observing += observed - sent;
            tally.time.checking += started.elapsed() - observed;
        }
        for (index, new) in after.iter().enumerate() {
            let moved = before.get(index).is_none_or(|old| old.step() != new.step());
            if moved && may_change.contains(&index) {
                reached.push(new.step());
            }
        }
        let accepted = replies.iter().any(Reply::accepted);
        tally
            .lock()
            .unwrap()
            .count(step, planned.mutation.name(), planned.kind, &replies);
        history.push((planned, accepted));
    }
    let mut tally = tally.lock().unwrap();
    tally.cases += 1;
    tally.steps_per_case.push(drawn_at.len());
    for step in reached {
        *tally.reached.entry(step).or_default() += 1;
    }
    Ok(())
}

/// Sends one request, or the same request twice at once on both workers.
async fn send(runtime: &tokio::runtime::Runtime, api: &Api, sends: &[Outgoing]) -> Vec<Reply> {
    let tasks: Vec<_> = sends
        .iter()
        .map(|outgoing| {
            let (api, outgoing) = (api.clone(), outgoing.clone());
            runtime.spawn(async move { api.send(&outgoing).await })
        })
        .collect();
    let mut replies = Vec::new();
    for task in tasks {
        replies.push(task.await.expect("a request's task never panics"));
    }
    replies
}

/// Every invariant about one request and the world after it.
#[allow(clippy::too_many_arguments)]
async fn check_request(
    api: &Api,
    trainer: &str,
    planned: &Planned,
    replies: &[Reply],
    may_change: &[usize],
    before: &[Seen],
    after: &[Seen],
    learners: &[Learner],
) -> Result<(), String> {
    for reply in replies {
        check_reply(reply)?;
    }
    if planned.expect == Expect::Refused {
        if let Some(reply) = replies.iter().find(|reply| reply.accepted()) {
            return Err(format!(
                "accepted ({}) a request the world must refuse",
                reply.status
            ));
        }
    }
    if planned.mutation == Mutation::OthersCredential {
        if let Some(reply) = replies
            .iter()
            .find(|reply| reply.status != 403 || reply.code() != "not_your_learner")
        {
            return Err(format!(
                "another learner's credential got {} {:?}, not 403 not_your_learner",
                reply.status,
                reply.code()
            ));
        }
    }
    let accepted = replies.iter().filter(|reply| reply.accepted()).count();
    if planned.kind.spent_once_accepted() && accepted > 1 {
        return Err(format!(
            "{accepted} copies of a {:?} accepted: it can be spent once only",
            planned.kind
        ));
    }
    check_effects(planned, replies, may_change, before, &after[..before.len()])?;
    for (index, seen) in after.iter().enumerate() {
        check_journal(index, seen)?;
    }
    for (index, seen) in after.iter().enumerate().skip(before.len()) {
        let actions: Vec<(&str, &str)> = seen
            .journal
            .iter()
            .map(|line| (line.action.as_str(), line.outcome.as_str()))
            .collect();
        if actions != [("start_account", "ok")] || seen.step() != "email_code" {
            return Err(format!(
                "new learner {index} starts with {actions:?} at {}",
                seen.step()
            ));
        }
    }
    if planned.kind == Kind::OpenLoginRequest {
        for reply in replies.iter().filter(|reply| reply.accepted()) {
            let opened: LoginRequestView = serde_json::from_slice(&reply.body)
                .map_err(|error| format!("an opened login request reads back: {error}"))?;
            let holders: Vec<usize> = (0..learners.len())
                .filter(|index| {
                    learners[*index]
                        .seen
                        .pending
                        .iter()
                        .any(|pending| pending.request_id == opened.request_id)
                })
                .collect();
            if holders.len() != 1 || !may_change.contains(&holders[0]) {
                return Err(format!(
                    "login request {} is pending for learners {holders:?}, addressed {may_change:?}",
                    opened.request_id
                ));
            }
            // Read back as the relying party that opened it (the trainer).
            let status = api
                .send(&Outgoing::get(format!("/api/login-requests/{}", opened.request_id)).bearer(trainer))
                .await;
            if !status.accepted() || status.json().is_none_or(|view| view["status"] != "pending") {
                return Err(format!(
                    "login request {} opened but its status reads {}: {}",
                    opened.request_id,
                    status.status,
                    status.text()
                ));
            }
        }
    }
    Ok(())
}

/// What a failure prints: the request, the answers, and the case's requests before it.
fn describe(number: usize, planned: &Planned, replies: &[Reply], history: &[(Planned, bool)]) -> String {
    let mut text = format!(
        "request {number}: {} [{}]\n",
        planned.why,
        planned.mutation.name()
    );
    for (outgoing, reply) in planned.sends.iter().zip(replies) {
        text += &format!(
            "  {} {} {}\n  → {} {}\n",
            outgoing.method,
            outgoing.path,
            match std::str::from_utf8(&outgoing.body) {
                Ok(text) => text.chars().take(400).collect::<String>(),
                Err(_) => format!("<{} bytes>", outgoing.body.len()),
            },
            reply.status,
            reply.text()
        );
    }
    text += "earlier requests of the case:\n";
    for (earlier, accepted) in history {
        text += &format!(
            "  {} {}\n",
            if *accepted { "accepted" } else { "refused " },
            earlier.why
        );
    }
    text
}
