//! The class clock is the trainer's and it can be undone (issue 16): a trainer's typo that moved
//! the class a year ahead is brought back, and a learner's time never goes back — those who acted
//! in the meantime stay at their time, journaled; everyone else, and every new learner, is at the
//! earlier time; nothing already decided is undone.

use chrono::{DateTime, TimeDelta, Utc};
use idn_api::{
    ClockChangeKind, ClockMode, JournalDetail, JournalEntry, LearnerAction, MessageChannel, VerificationMode,
};
use idn_device::WorldClient;
use idn_e2e::{account_at_profile, new_learner, refusal, refusal_code, spawn_world, Learner};

fn latest(journal: &[JournalEntry]) -> DateTime<Utc> {
    journal.last().expect("a journal").at
}

fn assert_in_time_order(journal: &[JournalEntry], who: &str) {
    for pair in journal.windows(2) {
        assert!(
            pair[0].at <= pair[1].at,
            "{who}'s journal goes back in time: line {} at {} then line {} at {}",
            pair[0].seq,
            pair[0].at,
            pair[1].seq,
            pair[1].at
        );
    }
}

/// From the profile to the face-to-face code: what the hurried learner does in the year ahead.
async fn go_to_the_post_office(learner: &Learner) -> String {
    learner
        .act(&LearnerAction::CompleteProfile {
            civility: idn_api::Civility::Madame,
            first_name: "Camille".into(),
            last_name: "Martin".into(),
            terms_accepted: true,
            marketing_opt_in: false,
        })
        .await
        .expect("the account is created");
    let sms_code = learner.last_code(MessageChannel::Sms).await;
    for action in [
        LearnerAction::ConfirmMobile { code: sms_code },
        LearnerAction::EnterIdentity(Box::new(idn_e2e::identity())),
        LearnerAction::ConfirmIdentity,
        LearnerAction::ChooseVerification {
            mode: VerificationMode::FaceToFace,
            terms_accepted: false,
        },
    ] {
        learner.act(&action).await.expect("the learner goes on");
    }
    learner.last_code(MessageChannel::Sms).await
}

#[tokio::test]
async fn a_year_advanced_by_mistake_is_undone_and_who_acted_keeps_their_time() {
    let world = spawn_world(180).await;
    let (anyone, trainer) = (&world.client, &world.trainer);
    let start = trainer.clock().await.unwrap().now;
    let idle = account_at_profile(anyone, "immobile@simulation.example", "+33639980101").await;
    let hurried = account_at_profile(anyone, "pressee@simulation.example", "+33639980102").await;
    let expired = new_learner(anyone, "expire@simulation.example").await;
    let old_email_code = expired.last_code(MessageChannel::Email).await;
    let idle_journal = idle.client.journal(&idle.id).await.unwrap();

    // The typo: a year instead of a day. The email code `expired` types then has expired.
    let ahead = trainer.advance_clock(366 * 86_400).await.unwrap().now;
    assert_eq!(
        refusal_code(
            expired
                .act(&LearnerAction::ConfirmEmail {
                    code: old_email_code.clone()
                })
                .await
                .unwrap_err()
        ),
        "code_expired",
        "a year later, the emailed code has expired"
    );
    let face_to_face_code = go_to_the_post_office(&hurried).await;
    let hurried_before = hurried.client.journal(&hurried.id).await.unwrap();
    let expired_before = expired.client.journal(&expired.id).await.unwrap();
    assert!(
        latest(&hurried_before) >= ahead,
        "the hurried learner acted in the year ahead"
    );
    assert!(
        latest(&expired_before) >= ahead,
        "the refusal is journaled in the year ahead"
    );
    assert_eq!(
        idle.client.journal(&idle.id).await.unwrap().len(),
        idle_journal.len(),
        "nothing happened to the idle learner in that year"
    );

    // The trainer brings the class back to the moment before the typo, from the history.
    let history = trainer.clock_history().await.unwrap();
    let typo = &history[0];
    assert_eq!(typo.kind, ClockChangeKind::Advance);
    assert_eq!(typo.after - typo.before, TimeDelta::days(366));
    assert_eq!(
        typo.by.as_deref(),
        Some(world.engine.email.as_str()),
        "who moved it"
    );
    assert!(typo.before >= start);
    let back = trainer
        .rewind_clock(typo.before)
        .await
        .expect("the class goes back");
    assert_eq!(
        back.now, typo.before,
        "the class is at the moment before the typo"
    );
    assert_eq!(back.mode, ClockMode::Manual, "the speed is kept");

    // The idle learner and a new one are at the earlier time.
    let idle_clock = idle.client.learner_clock(&idle.id).await.unwrap();
    assert_eq!(
        idle_clock.now, typo.before,
        "the idle learner is back with the class"
    );
    assert_eq!(idle_clock.offset_seconds, 0);
    assert_eq!(
        idle.client.journal(&idle.id).await.unwrap().len(),
        idle_journal.len(),
        "and their journal says nothing of it: nothing of theirs moved"
    );
    let newcomer = new_learner(anyone, "nouvelle@simulation.example").await;
    let newcomer_journal = newcomer.client.journal(&newcomer.id).await.unwrap();
    assert_eq!(
        latest(&newcomer_journal),
        typo.before,
        "a new learner starts at the class's time"
    );

    // Those who acted (or to whom time happened) in the year ahead stay at their time.
    for (learner, before, who) in [
        (&hurried, &hurried_before, "the hurried learner"),
        (&expired, &expired_before, "the learner whose code was refused"),
    ] {
        let clock = learner.client.learner_clock(&learner.id).await.unwrap();
        assert!(
            clock.now >= latest(before),
            "{who} stays at their time: {} < {}",
            clock.now,
            latest(before)
        );
        assert!(
            clock.offset_seconds >= 365 * 86_400,
            "{who} is now ahead of the class"
        );
        let journal = learner.client.journal(&learner.id).await.unwrap();
        assert_in_time_order(&journal, who);
        assert_eq!(
            journal.len(),
            before.len() + 1,
            "{who}: one line more, the lines before untouched"
        );
        for (now, then) in journal.iter().zip(before.iter()) {
            assert_eq!((now.seq, now.at, &now.action), (then.seq, then.at, &then.action));
        }
        let kept = journal.last().unwrap();
        assert_eq!(kept.action, "class_clock_rewound", "{who}");
        assert_eq!(kept.actor, "formateur");
        assert!(
            matches!(
                kept.detail,
                Some(JournalDetail::ClassClockRewoundLearnerKept { class_seconds_back, ahead_seconds })
                    if class_seconds_back == 366 * 86_400 && ahead_seconds == clock.offset_seconds
            ),
            "{who}: {kept:#?}"
        );
        assert!(
            kept.message
                .as_deref()
                .is_some_and(|message| message.contains("reste à son heure")),
            "{who}: the line is said in French: {kept:#?}"
        );
    }

    // Nothing already decided is undone: the expired code stays expired, the face-to-face code
    // stays valid at the counter.
    assert_eq!(
        refusal_code(
            expired
                .act(&LearnerAction::ConfirmEmail { code: old_email_code })
                .await
                .unwrap_err()
        ),
        "code_expired"
    );
    let hurried_view = hurried.client.learner(&hurried.id).await.unwrap();
    assert_eq!(hurried_view.step, "face_to_face");
    trainer
        .clerk_lookup(&face_to_face_code)
        .await
        .expect("the face-to-face code is still good at the counter");

    // « Revenir à l'heure réelle », and the history lists the three changes, newest first.
    let real = trainer.real_time_clock().await.unwrap();
    assert_eq!(real.mode, ClockMode::Real);
    assert!(
        (real.now - Utc::now()).abs() < TimeDelta::minutes(1),
        "real time: {}",
        real.now
    );
    let history = trainer.clock_history().await.unwrap();
    let kinds: Vec<_> = history.iter().take(3).map(|change| change.kind).collect();
    assert_eq!(
        kinds,
        [
            ClockChangeKind::RealTime,
            ClockChangeKind::Rewind,
            ClockChangeKind::Advance
        ]
    );
    assert_eq!(
        history[1].learners_kept, 2,
        "the rewind kept two learners at their time"
    );
    assert_eq!(history[1].after, typo.before);
}

#[tokio::test]
async fn only_a_trainer_brings_the_clock_back_and_never_before_the_world_existed() {
    let world = spawn_world(181).await;
    let base = world.running.base_url();
    let trainer = &world.trainer;
    let start = trainer.clock().await.unwrap().now;
    trainer.advance_clock(7 * 86_400).await.unwrap();
    let http = reqwest::Client::new();
    for (method, path) in [
        ("POST", "/api/clock/rewind"),
        ("POST", "/api/clock/real"),
        ("GET", "/api/clock/history"),
    ] {
        let response = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .json(&serde_json::json!({ "to": start }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path} anonymously");
    }
    let learner = new_learner(&world.client, "eleve@simulation.example").await;
    let as_learner: &WorldClient = &learner.client;
    for refused in [
        as_learner.rewind_clock(start).await.map(|_| ()),
        as_learner.real_time_clock().await.map(|_| ()),
        as_learner.clock_history().await.map(|_| ()),
    ] {
        assert_eq!(refusal_code(refused.unwrap_err()), "staff_required");
    }

    let (code, message) = refusal(
        trainer
            .rewind_clock(start - TimeDelta::days(400))
            .await
            .unwrap_err(),
    );
    assert_eq!(code, "clock_before_world");
    assert!(message.contains("n'existait pas encore"), "{message}");
    let (code, _) = refusal(
        trainer
            .rewind_clock(start + TimeDelta::days(30))
            .await
            .unwrap_err(),
    );
    assert_eq!(
        code, "clock_not_earlier",
        "a rewind never moves the class forward"
    );
    assert!(
        trainer.clock().await.unwrap().now >= start + TimeDelta::days(7),
        "the refusals left the clock alone"
    );

    // Setting an earlier date is a move back too, in the history as such.
    let set = trainer
        .set_clock(ClockMode::Manual, Some(start + TimeDelta::days(1)))
        .await
        .expect("an earlier date is accepted");
    assert_eq!(set.now, start + TimeDelta::days(1));
    let history = trainer.clock_history().await.unwrap();
    assert_eq!(history[0].kind, ClockChangeKind::Rewind);
    assert_eq!(
        history[0].learners_kept, 1,
        "the learner created 7 days ahead stays at their time"
    );
}
