//! A world killed with SIGKILL in the middle of a burst of actions restarts with every
//! acknowledged change, nothing half-done, and the journey can go on.

use idn_api::Credential;
use idn_api::{LearnerAction, MessageChannel};
use idn_device::WorldClient;
use idn_e2e::{idn_binary, learner_at_activation, trainer_token, MOBILE};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The world's process; killed (SIGKILL) and reaped when dropped, so no test leaves it behind.
struct WorldProcess(Child);

impl WorldProcess {
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for WorldProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

async fn start_world(data_dir: &std::path::Path, port: u16) -> (WorldProcess, WorldClient) {
    let child = WorldProcess(
        Command::new(idn_binary())
            .args([
                "world",
                "serve",
                "--seed",
                "21",
                "--listen",
                &format!("127.0.0.1:{port}"),
                "--data-dir",
            ])
            .arg(data_dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("idn world serve starts"),
    );
    let client = WorldClient::new(format!("http://127.0.0.1:{port}"));
    for _ in 0..200 {
        if client.status().await.is_ok() {
            return (child, client);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("world did not answer within 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_world_restarts_with_nothing_lost() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The class's trainer, by API token made on the world's machine: it outlives restarts.
    let trainer = Credential::new(trainer_token(dir.path()));
    let (mut child, client) = start_world(dir.path(), port).await;
    let learner = learner_at_activation(
        &client,
        &client.with_credential(trainer.clone()),
        "crash@simulation.example",
        MOBILE,
    )
    .await;
    let id = learner.id.clone();

    learner
        .client
        .act(&id, &LearnerAction::ResendActivationCode)
        .await
        .expect("one resend before the crash");
    // A burst of account creations (each one a transaction: learner row, journal line, email),
    // killed while it runs.
    let burst_client = client.clone();
    let burst = tokio::spawn(async move {
        let mut acknowledged = Vec::new();
        for n in 0..100_000 {
            match burst_client
                .create_learner(&format!("rafale{n}@simulation.example"))
                .await
            {
                Ok(access) => acknowledged.push(access.learner.id),
                Err(_) => break,
            }
        }
        acknowledged
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    child.kill();
    let acknowledged = burst.await.unwrap();
    assert!(
        acknowledged.len() > 5,
        "the kill happened during the burst, after some creations ({})",
        acknowledged.len()
    );

    let (mut child, client) = start_world(dir.path(), port).await;
    let trainer = client.with_credential(trainer);
    // The learner's credential was acknowledged too: it still acts for them.
    let view = learner.client.learner(&id).await.expect("learner survived");
    assert_eq!(view.step, "activation");
    let journal = learner.client.journal(&id).await.unwrap();
    let actions: Vec<&str> = journal.iter().map(|entry| entry.action.as_str()).collect();
    assert_eq!(actions.last(), Some(&"resend_activation_code"));
    let sequence: Vec<i64> = journal.iter().map(|entry| entry.seq).collect();
    assert_eq!(
        sequence,
        (1..=journal.len() as i64).collect::<Vec<_>>(),
        "journal without gaps"
    );

    let survivors = trainer.learners().await.unwrap();
    for acknowledged_id in &acknowledged {
        assert!(
            survivors.iter().any(|learner| &learner.id == acknowledged_id),
            "acknowledged learner {acknowledged_id} lost"
        );
    }
    for learner in survivors.iter().filter(|learner| learner.id != id) {
        let journal = trainer.journal(&learner.id).await.unwrap();
        let inbox = trainer.inbox(&learner.id).await.unwrap();
        assert_eq!(
            (journal.len(), inbox.len(), learner.step.code()),
            (1, 1, "email_code"),
            "learner {} half-created",
            learner.id
        );
    }

    // The journey goes on with the last code sent before the kill.
    let code = learner.last_code(MessageChannel::Sms).await;
    let mut device = idn_device::Device::open(
        &dir.path().join("device"),
        client.clone(),
        std::sync::Arc::new(idn_device::MemoryVault::default()),
    )
    .unwrap();
    device.adopt_account(&learner.access).unwrap();
    assert_eq!(
        device
            .activate(&id, &code, "4096")
            .await
            .expect("activation after restart")
            .step,
        "enrolled"
    );
    child.kill();
}
