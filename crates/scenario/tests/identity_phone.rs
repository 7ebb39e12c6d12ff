//! A scenario applied at the app's start enrols the app's own device: the phone given as
//! `identity_phone` is the one that ends up holding the identity (and answers login requests),
//! or remembers the account when the scenario stops before activation.

use idn_device::{Device, MemoryVault, Vault, WorldClient};
use idn_scenario::scenario::{self, ApplyOptions, RELYING_PARTY};
use std::sync::Arc;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_given_phone_ends_up_holding_the_identity_and_answers_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let idn_scenario::ServedWorld { world, engine } =
        idn_scenario::embedded_world(&dir.path().join("monde"), 1)
            .await
            .unwrap();
    let client = WorldClient::new(world.base_url());
    // The trainer's side of the scenarios (the clerk's desk, the relying party's login request):
    // the engine's console account, as `idn scenario apply --data-dir` uses it.
    let trainer = idn_api::DeskSession::sign_in(&world.base_url(), &engine.email, &engine.password)
        .await
        .expect("the engine's account signs in")
        .api();
    let vault: Arc<dyn Vault> = Arc::new(MemoryVault::default());

    // The identity moves to a new phone: the given one is that new phone, not the old one.
    let moved = scenario::from_catalogue("validation-depuis-un-autre-telephone").unwrap();
    let own = dir.path().join("telephone-de-l-app");
    let options = ApplyOptions {
        devices_dir: dir.path().join("autres"),
        vault: vault.clone(),
        identity_phone: Some(own.clone()),
    };
    let applied = scenario::apply_as(&client, &moved, &options, Some(&engine))
        .await
        .unwrap();
    assert_eq!(applied.step, "enrolled");
    let phone = Device::open(&own, client.clone(), vault.clone()).unwrap();
    assert_eq!(
        phone.profile().learner_id.as_deref(),
        Some(applied.learner_id.as_str()),
        "the app's phone holds the identity"
    );
    let request = trainer
        .open_login_request(&applied.mobile, RELYING_PARTY)
        .await
        .unwrap();
    let secret = moved.persona().unwrap().secret_code.clone();
    let answered = phone.approve(&request.request_id, &secret).await.unwrap();
    assert_eq!(answered.status, "approved", "and it answers for the learner");

    // A scenario that stops before activation: the phone remembers the account to reopen on it.
    let early = scenario::from_catalogue("code-sms-expire").unwrap();
    let own = dir.path().join("autre-app");
    let options = ApplyOptions {
        devices_dir: dir.path().join("autres-2"),
        vault: vault.clone(),
        identity_phone: Some(own.clone()),
    };
    let applied = scenario::apply_as(&client, &early, &options, Some(&engine))
        .await
        .unwrap();
    let phone = Device::open(&own, client.clone(), vault).unwrap();
    assert_eq!(
        phone.profile().account_id.as_deref(),
        Some(applied.learner_id.as_str())
    );
    assert_eq!(phone.profile().learner_id, None, "nothing is activated yet");
    world.stop().await;
}
