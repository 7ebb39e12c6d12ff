//! FranceConnect+ and the La Poste identity provider as a relying party sees them, over HTTP on
//! a real world, with approvals given by the device core: the whole chain into Mon Compte
//! Formation, and each of FranceConnect+'s rules for relying parties with a test that fails when
//! the rule is broken.

use idn_device::Device;
use idn_e2e::{activated_device, get_json, spawn_world, TestWorld, MOBILE};
use josekit::jwk::{alg::ec::EcCurve, Jwk, JwkSet};
use serde_json::{json, Value};

const SECRET: &str = "2580";
const RP_CALLBACK: &str = "https://service-de-test.invalid/callback";
const RP_LOGOUT: &str = "https://service-de-test.invalid/au-revoir";
const STATE: &str = "etat-0123456789abcdef0123456789abcdef";
const NONCE: &str = "nonce-0123456789abcdef0123456789abcdef";

/// A browser that does not follow redirects, so every hop can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("location")
        .unwrap_or_else(|| panic!("a redirect was expected, got {}", response.status()))
        .to_str()
        .unwrap()
        .to_owned()
}

fn absolute(base: &str, target: &str) -> String {
    if target.starts_with("http") {
        target.to_owned()
    } else {
        format!("{base}{target}")
    }
}

fn query_param(url: &str, name: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// A relying party registered through the API, with its own P-256 decryption key.
struct RelyingParty {
    client_id: String,
    secret: String,
    key: Jwk,
}

/// The trainer's credential: registering and listing relying parties is for staff (and
/// developers), not for anyone who reaches the world.
fn trainer_bearer(world: &TestWorld) -> &str {
    world
        .trainer
        .credential()
        .expect("the suites' trainer has a credential")
        .expose()
}

async fn register(world: &TestWorld, name: &str) -> RelyingParty {
    let mut key = Jwk::generate_ec_key(EcCurve::P256).unwrap();
    key.set_key_id(format!("{name}-enc"));
    key.set_key_use("enc");
    let mut public = key.to_public_key().unwrap();
    public.set_key_id(format!("{name}-enc"));
    let public = serde_json::to_value(public.as_ref()).unwrap();
    let response = browser()
        .post(format!("{}/api/relying-parties", world.running.base_url()))
        .bearer_auth(trainer_bearer(world))
        .json(&json!({
            "name": name,
            "redirect_uris": [RP_CALLBACK],
            "post_logout_redirect_uris": [RP_LOGOUT],
            "encryption_jwk": public,
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "registration is accepted");
    let body: Value = response.json().await.unwrap();
    RelyingParty {
        client_id: body["client_id"].as_str().unwrap().to_owned(),
        secret: body["client_secret"].as_str().unwrap().to_owned(),
        key,
    }
}

fn authorize_url(base: &str, rp: &RelyingParty, extra: &[(&str, &str)]) -> String {
    let mut url = reqwest::Url::parse(&format!("{base}/fcplus/authorize")).unwrap();
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", rp.client_id.as_str()),
        ("redirect_uri", RP_CALLBACK),
        ("scope", "openid identite_pivot email"),
        ("state", STATE),
        ("nonce", NONCE),
        ("acr_values", "eidas2"),
    ];
    for (name, value) in extra {
        params.retain(|(key, _)| key != name);
        if !value.is_empty() {
            params.push((name, value));
        }
    }
    url.query_pairs_mut().extend_pairs(params);
    url.to_string()
}

/// The cookies a browser would keep (name → value), sent back on every request.
#[derive(Default)]
struct Jar(std::collections::BTreeMap<String, String>);

impl Jar {
    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            if let Some((name, rest)) = value.to_str().unwrap_or_default().split_once('=') {
                self.0.insert(
                    name.to_owned(),
                    rest.split(';').next().unwrap_or_default().to_owned(),
                );
            }
        }
    }

    fn header(&self) -> String {
        let pairs: Vec<String> = self
            .0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        pairs.join("; ")
    }
}

/// Follows the chain from an authorization URL until a redirect leaves the world (to the
/// relying party), typing `mobile` at La Poste and approving on `device`. Returns that URL.
async fn log_in(base: &str, start: &str, mobile: &str, device: &mut Device, approve: bool) -> String {
    log_in_keeping(base, start, mobile, device, approve, &mut Jar::default()).await
}

/// `log_in` in a browser that keeps its cookies in `jar` from one login to the next.
async fn log_in_keeping(
    base: &str,
    start: &str,
    mobile: &str,
    device: &mut Device,
    approve: bool,
    jar: &mut Jar,
) -> String {
    let http = browser();
    let mut url = start.to_owned();
    for _ in 0..20 {
        if !url.starts_with(base) || url.contains("/mcf/callback") || url.contains("/laposte/issue/") {
            return url;
        }
        if url.contains("/laposte/connexion/") {
            let response = http
                .post(&url)
                .header("cookie", jar.header())
                .form(&[("mobile", mobile)])
                .send()
                .await
                .unwrap();
            jar.keep(&response);
            url = absolute(base, &location(&response));
            continue;
        }
        if url.contains("/laposte/attente/") {
            let pending = device.pending_requests().await.expect("pending requests");
            let request = pending.first().expect("the request reached the device");
            if approve {
                device
                    .approve(&request.request_id, SECRET)
                    .await
                    .expect("approval");
            } else {
                device.decline(&request.request_id).await.expect("refusal");
            }
            url = url.replace("/laposte/attente/", "/laposte/suite/");
            continue;
        }
        if url.contains("/fcplus/choix/") && !url.ends_with("/laposte") && !url.contains("echec") {
            url = format!("{url}/laposte");
            continue;
        }
        let response = http
            .get(&url)
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap();
        jar.keep(&response);
        if !response.status().is_redirection() {
            panic!("stopped at {url} with {}", response.status());
        }
        url = absolute(base, &location(&response));
    }
    panic!("the login never left the world");
}

async fn exchange(base: &str, rp: &RelyingParty, code: &str, redirect_uri: &str) -> (u16, Value) {
    let response = browser()
        .post(format!("{base}/fcplus/token"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", rp.client_id.as_str()),
            ("client_secret", rp.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

async fn published_keys(base: &str) -> JwkSet {
    let discovery: Value = get_json(
        &browser(),
        format!("{base}/fcplus/.well-known/openid-configuration"),
    )
    .await;
    assert_eq!(discovery["issuer"], format!("{base}/fcplus"));
    let jwks: Value = get_json(&browser(), discovery["jwks_uri"].as_str().unwrap()).await;
    JwkSet::from_map(jwks.as_object().unwrap().clone()).unwrap()
}

/// The signed JWT inside `token`, decrypted with the relying party's key.
fn decrypt(token: &str, rp: &RelyingParty) -> String {
    let decrypter = josekit::jwe::ECDH_ES.decrypter_from_jwk(&rp.key).unwrap();
    let (signed, header) =
        josekit::jwe::deserialize_compact(token, &decrypter).expect("decrypts with the RP key");
    assert_eq!(header.content_encryption(), Some("A256GCM"));
    String::from_utf8(signed).unwrap()
}

/// Decrypts with the relying party's key, verifies ES256 with the published JWKS.
fn open(token: &str, rp: &RelyingParty, keys: &JwkSet) -> serde_json::Map<String, Value> {
    let signed = decrypt(token, rp);
    let kid = josekit::jwt::decode_header(&signed)
        .unwrap()
        .claim("kid")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let verifier = josekit::jws::ES256.verifier_from_jwk(keys.get(&kid)[0]).unwrap();
    let (payload, _) = josekit::jwt::decode_with_verifier(&signed, &verifier).expect("signature verifies");
    payload.claims_set().clone()
}

async fn setup(seed: u64) -> (TestWorld, Device, String) {
    let world = spawn_world(seed).await;
    let (_, device, _) = activated_device(
        &world.client,
        &world.trainer,
        world.dir.path(),
        "jean@exemple.fr",
        MOBILE,
        SECRET,
    )
    .await;
    let base = world.running.base_url();
    (world, device, base)
}

/// A service's name is shown on the phone's approval screen: one that hides characters (a
/// right-to-left override turning the name around, a NUL) is refused and nothing is registered.
#[tokio::test]
async fn a_relying_party_name_with_hidden_characters_is_refused() {
    let world = idn_e2e::spawn_world(169).await;
    let base = world.running.base_url();
    for name in ["Mon Compte \u{202E}noitamroF", "Service\u{0}caché"] {
        let response = browser()
            .post(format!("{base}/api/relying-parties"))
            .bearer_auth(trainer_bearer(&world))
            .json(&json!({
                "name": name,
                "redirect_uris": [RP_CALLBACK],
                "jwks_uri": "https://service.invalid/jwks.json",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{name:?}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "forbidden_character", "{body}");
        assert!(
            body["message"].as_str().unwrap().contains("Nom du service"),
            "{body}"
        );
    }
    let listed: Value = browser()
        .get(format!("{base}/api/relying-parties"))
        .bearer_auth(trainer_bearer(&world))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        listed.as_array().unwrap().iter().all(|rp| {
            let name = rp["name"].as_str().unwrap_or_default();
            !name.contains("noitamroF") && !name.contains("caché")
        }),
        "nothing was registered: {listed}"
    );
}

#[tokio::test]
async fn a_registered_relying_party_gets_verified_encrypted_tokens_and_a_stable_pairwise_sub() {
    let (world, mut device, base) = setup(71).await;
    let rp = register(&world, "Service de test").await;
    let other = register(&world, "Autre service").await;
    let keys = published_keys(&base).await;

    let back = log_in(&base, &authorize_url(&base, &rp, &[]), MOBILE, &mut device, true).await;
    assert!(
        back.starts_with(RP_CALLBACK),
        "the code goes to the registered redirect URI"
    );
    assert_eq!(query_param(&back, "state").as_deref(), Some(STATE));
    let code = query_param(&back, "code").expect("a code");
    let (status, tokens) = exchange(&base, &rp, &code, RP_CALLBACK).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 60);
    let id_token = open(tokens["id_token"].as_str().unwrap(), &rp, &keys);
    assert_eq!(id_token["iss"], format!("{base}/fcplus"));
    assert_eq!(id_token["aud"], rp.client_id.as_str());
    assert_eq!(id_token["nonce"], NONCE);
    assert_eq!(id_token["acr"], "eidas2");
    assert_eq!(
        id_token["amr"],
        json!(["pin", "pop", "mfa"]),
        "secret code and device possession"
    );

    let userinfo = browser()
        .get(format!("{base}/fcplus/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(userinfo.headers()["content-type"], "application/jwt");
    let claims = open(&userinfo.text().await.unwrap(), &rp, &keys);
    assert_eq!(claims["sub"], id_token["sub"]);
    assert_eq!(
        claims["given_name"], "Jean Édouard",
        "given names space-separated"
    );
    assert_eq!(claims["family_name"], "LEFÈVRE", "family name in upper case");
    assert_eq!(claims["birthdate"], "1985-02-11");
    assert_eq!(claims["gender"], "male");
    assert_eq!(claims["birthplace"], "2B033");
    assert_eq!(claims["birthcountry"], "99100");
    assert_eq!(claims["email"], "jean@exemple.fr");

    // Same person, same service: same sub. Another service: another sub.
    let back = log_in(&base, &authorize_url(&base, &rp, &[]), MOBILE, &mut device, true).await;
    let (_, again) = exchange(&base, &rp, &query_param(&back, "code").unwrap(), RP_CALLBACK).await;
    assert_eq!(
        open(again["id_token"].as_str().unwrap(), &rp, &keys)["sub"],
        id_token["sub"]
    );
    let back = log_in(
        &base,
        &authorize_url(&base, &other, &[]),
        MOBILE,
        &mut device,
        true,
    )
    .await;
    let (_, elsewhere) = exchange(&base, &other, &query_param(&back, "code").unwrap(), RP_CALLBACK).await;
    assert_ne!(
        open(elsewhere["id_token"].as_str().unwrap(), &other, &keys)["sub"],
        id_token["sub"],
        "two services cannot join their records on sub"
    );

    // RP-initiated logout back to the registered address with the state.
    let mut logout = reqwest::Url::parse(&format!("{base}/fcplus/session/end")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", tokens["id_token"].as_str().unwrap())
        .append_pair("state", STATE)
        .append_pair("post_logout_redirect_uri", RP_LOGOUT);
    let response = browser().get(logout.as_str()).send().await.unwrap();
    assert_eq!(location(&response), format!("{RP_LOGOUT}?state={STATE}"));
    let mut wrong = logout.clone();
    wrong.set_query(None);
    wrong
        .query_pairs_mut()
        .append_pair("id_token_hint", again["id_token"].as_str().unwrap())
        .append_pair("state", STATE)
        .append_pair("post_logout_redirect_uri", "https://ailleurs.invalid/");
    let response = browser().get(wrong.as_str()).send().await.unwrap();
    assert_eq!(
        response.status(),
        400,
        "an unregistered logout address is refused"
    );
}

/// The logout URL of FranceConnect+ with `hint` as `id_token_hint`, back to the registered address.
fn logout_url(base: &str, hint: &str) -> String {
    let mut logout = reqwest::Url::parse(&format!("{base}/fcplus/session/end")).unwrap();
    logout
        .query_pairs_mut()
        .append_pair("id_token_hint", hint)
        .append_pair("state", STATE)
        .append_pair("post_logout_redirect_uri", RP_LOGOUT);
    logout.to_string()
}

/// OIDC Core 3.1.2.1: a relying party that received an encrypted id_token decrypts it and sends
/// the signed token inside as `id_token_hint`. FranceConnect+ knows it as the token it issued,
/// and one token ends one session whichever form it comes in.
#[tokio::test]
async fn logout_accepts_the_decrypted_signed_id_token_as_hint() {
    let (world, mut device, base) = setup(83).await;
    let rp = register(&world, "Service de test").await;
    let keys = published_keys(&base).await;
    let mut issued = Vec::new();
    for _ in 0..2 {
        let back = log_in(&base, &authorize_url(&base, &rp, &[]), MOBILE, &mut device, true).await;
        let (status, tokens) = exchange(&base, &rp, &query_param(&back, "code").unwrap(), RP_CALLBACK).await;
        assert_eq!(status, 200, "{tokens}");
        let encrypted = tokens["id_token"].as_str().unwrap().to_owned();
        assert_eq!(
            open(&encrypted, &rp, &keys)["nonce"],
            NONCE,
            "a verified id_token"
        );
        issued.push(encrypted);
    }
    let signed = decrypt(&issued[0], &rp);
    assert_eq!(signed.split('.').count(), 3, "the hint is the compact JWS");

    let response = browser().get(logout_url(&base, &signed)).send().await.unwrap();
    assert_eq!(
        location(&response),
        format!("{RP_LOGOUT}?state={STATE}"),
        "the decrypted id_token is the one FranceConnect+ issued"
    );
    let response = browser().get(logout_url(&base, &issued[0])).send().await.unwrap();
    assert_eq!(
        response.status(),
        400,
        "the same token, encrypted, was used already: one token ends one session"
    );

    let mut tampered = decrypt(&issued[1], &rp);
    tampered.push('A');
    let response = browser().get(logout_url(&base, &tampered)).send().await.unwrap();
    assert_eq!(
        response.status(),
        400,
        "a JWS FranceConnect+ never issued is refused"
    );
    let response = browser().get(logout_url(&base, &issued[1])).send().await.unwrap();
    assert_eq!(
        location(&response),
        format!("{RP_LOGOUT}?state={STATE}"),
        "the encrypted form is still accepted as issued"
    );
}

/// FranceConnect+ keeps no session from one service to the next (its own suite: « Connexion
/// Usager - session fcp-high (sans SSO) »): someone who just logged into one service, in the same
/// browser, chooses La Poste, types the number and approves on the device again for the next.
#[tokio::test]
async fn each_service_asks_again_as_franceconnect_plus_has_no_single_sign_on() {
    let world = spawn_world(77).await;
    let (learner, mut device, _) = activated_device(
        &world.client,
        &world.trainer,
        world.dir.path(),
        "jean@exemple.fr",
        MOBILE,
        SECRET,
    )
    .await;
    let base = world.running.base_url();
    let first = register(&world, "Premier service").await;
    let second = register(&world, "Second service").await;
    let mut jar = Jar::default();
    let back = log_in_keeping(
        &base,
        &authorize_url(&base, &first, &[]),
        MOBILE,
        &mut device,
        true,
        &mut jar,
    )
    .await;
    assert!(back.starts_with(RP_CALLBACK), "the first service gets its code");

    let http = browser();
    let response = http
        .get(authorize_url(&base, &second, &[]))
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    let choice = absolute(&base, &location(&response));
    assert!(
        choice.contains("/fcplus/choix/"),
        "the second service's request shows the choice of provider, not a code: {choice}"
    );
    let response = http
        .get(format!("{choice}/laposte"))
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    let response = http
        .get(location(&response))
        .header("cookie", jar.header())
        .send()
        .await
        .unwrap();
    assert!(
        location(&response).contains("/laposte/connexion/"),
        "La Poste asks for the mobile number again"
    );
    assert!(
        device.pending_requests().await.unwrap().is_empty(),
        "nothing reaches the device before the number is typed"
    );
    let back = log_in_keeping(&base, &choice, MOBILE, &mut device, true, &mut jar).await;
    assert!(
        back.starts_with(RP_CALLBACK) && query_param(&back, "code").is_some(),
        "the second login ends with its own approval on the device"
    );
    let journal = world.trainer.journal(&learner).await.unwrap();
    let approvals = journal
        .iter()
        .filter(|entry| entry.action == "answer_login_request")
        .count();
    assert_eq!(approvals, 2, "one approval per service");
}

#[tokio::test]
async fn codes_are_single_use_short_lived_and_bound_to_the_redirect_uri() {
    let (world, mut device, base) = setup(72).await;
    let rp = register(&world, "Service de test").await;

    let back = log_in(&base, &authorize_url(&base, &rp, &[]), MOBILE, &mut device, true).await;
    let code = query_param(&back, "code").unwrap();
    let (status, body) = exchange(&base, &rp, &code, "https://service-de-test.invalid/autre").await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "wrong redirect_uri"
    );
    let (status, body) = exchange(&base, &rp, &code, RP_CALLBACK).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code tried once is spent, even by a failed attempt"
    );

    let back = log_in(&base, &authorize_url(&base, &rp, &[]), MOBILE, &mut device, true).await;
    let code = query_param(&back, "code").unwrap();
    let (status, tokens) = exchange(&base, &rp, &code, RP_CALLBACK).await;
    assert_eq!(status, 200);
    let (status, body) = exchange(&base, &rp, &code, RP_CALLBACK).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "code reuse"
    );

    // Access tokens live 60 s of world time.
    world.trainer.advance_clock(61).await.unwrap();
    let response = browser()
        .get(format!("{base}/fcplus/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401, "expired access token");
    assert!(response.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .contains("invalid_token"));

    let back = log_in(&base, &authorize_url(&base, &rp, &[]), MOBILE, &mut device, true).await;
    let code = query_param(&back, "code").unwrap();
    world.trainer.advance_clock(31).await.unwrap();
    let (status, body) = exchange(&base, &rp, &code, RP_CALLBACK).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant")),
        "a code lives 30 s"
    );

    let wrong_secret = RelyingParty {
        secret: "faux".into(),
        ..rp
    };
    let (status, body) = exchange(&base, &wrong_secret, "x", RP_CALLBACK).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_client")));
}

#[tokio::test]
async fn authorization_requests_breaking_a_rule_go_back_with_a_standard_error() {
    let (world, _device, base) = setup(73).await;
    let rp = register(&world, "Service de test").await;
    let http = browser();
    for (extra, expected, why) in [
        (vec![("state", "court")], "invalid_request", "short state"),
        (vec![("nonce", "")], "invalid_request", "missing nonce"),
        (vec![("nonce", "court")], "invalid_request", "short nonce"),
        (vec![("acr_values", "eidas1")], "invalid_request", "eidas1"),
        (
            vec![("response_type", "token")],
            "unsupported_response_type",
            "implicit flow",
        ),
        (vec![("scope", "given_name")], "invalid_scope", "no openid scope"),
    ] {
        let response = http.get(authorize_url(&base, &rp, &extra)).send().await.unwrap();
        let target = location(&response);
        assert!(target.starts_with(RP_CALLBACK), "{why}: back to the client");
        assert_eq!(query_param(&target, "error").as_deref(), Some(expected), "{why}");
    }
    let response = http
        .get(authorize_url(&base, &rp, &[("acr_values", "inconnu eidas2")]))
        .send()
        .await
        .unwrap();
    assert!(
        location(&response).starts_with("/fcplus/choix/"),
        "unknown acr values are ignored"
    );
    let response = http
        .get(authorize_url(
            &base,
            &rp,
            &[("redirect_uri", "https://attaquant.invalid/cb")],
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        400,
        "never redirect to an unregistered address"
    );
    assert!(response.headers().get("location").is_none());
}

#[tokio::test]
async fn the_person_logs_into_mon_compte_formation_and_buys_a_training() {
    let (_world, mut device, base) = setup(74).await;
    let http = browser();
    let response = http.get(format!("{base}/mcf")).send().await.unwrap();
    let page = response.text().await.unwrap();
    assert!(page.contains("S'identifier avec") && page.contains("Simulation") || page.contains("SIMULATION"));
    assert!(page.contains("Numéro de sécurité sociale"));

    let response = http
        .get(format!("{base}/mcf/franceconnect"))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let start = absolute(&base, &location(&response));
    let choice = browser().get(&start).send().await.unwrap();
    let choice_page = browser()
        .get(absolute(&base, &location(&choice)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(choice_page.contains("Je choisis un moyen pour me connecter sur : Mon Compte Formation"));
    let back = log_in(&base, &start, MOBILE, &mut device, true).await;
    // The callback is the world's own address here: follow it with the site's cookie.
    assert!(back.contains("/mcf/callback"), "{back}");
    let response = http.get(&back).header("cookie", &cookie).send().await.unwrap();
    assert_eq!(location(&response), "/mcf/espace", "the site verified the answer");
    let account = http
        .get(format!("{base}/mcf/espace"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("Jean Édouard") && account.contains("LEFÈVRE"),
        "pivot identity shown"
    );
    assert!(account.contains("Acheter cette formation"));

    // Buying asks for a fresh FranceConnect+ login.
    let response = http
        .post(format!("{base}/mcf/formation/acheter"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let start = absolute(&base, &location(&response));
    assert!(start.contains("/fcplus/authorize"));
    let back = log_in(&base, &start, MOBILE, &mut device, true).await;
    http.get(&back).header("cookie", &cookie).send().await.unwrap();
    let account = http
        .get(format!("{base}/mcf/espace"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        account.contains("est confirmée"),
        "the purchase is confirmed after the login"
    );

    // A refusal on the phone ends on La Poste's page, with a way back.
    let response = http
        .get(format!("{base}/mcf/franceconnect"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    let start = absolute(&base, &location(&response));
    let stopped = log_in(&base, &start, MOBILE, &mut device, false).await;
    assert!(stopped.ends_with("/refusee"), "{stopped}");
}

#[tokio::test]
async fn unknown_and_not_yet_activated_numbers_have_their_own_pages() {
    let (world, _device, base) = setup(75).await;
    idn_e2e::learner_with_confirmed_identity(&world.client, "paul@exemple.fr", "+33639980077").await;
    let rp = register(&world, "Service de test").await;
    for (mobile, page) in [
        ("+33639980099", "numero-inconnu"),
        ("+33639980077", "non-activee"),
    ] {
        let http = browser();
        let mut url = absolute(
            &base,
            &location(&http.get(authorize_url(&base, &rp, &[])).send().await.unwrap()),
        );
        url = format!("{url}/laposte");
        while !url.contains("/laposte/connexion/") {
            url = absolute(&base, &location(&http.get(&url).send().await.unwrap()));
        }
        assert!(url.contains("/laposte/connexion/"), "{url}");
        let response = http.post(&url).form(&[("mobile", mobile)]).send().await.unwrap();
        let target = location(&response);
        assert!(target.ends_with(page), "{mobile}: {target}");
        let text = http
            .get(absolute(&base, &target))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(text.contains("Réessayer") && text.contains("Revenir à FranceConnect+"));
    }
}

// Multi-threaded: the test blocks on the `idn` process while the world it talks to runs on the
// same runtime; with one thread the world could never answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_developer_registers_a_service_from_the_cli_and_finds_it_in_the_list() {
    let world = spawn_world(76).await;
    let base = world.running.base_url();
    let key = Jwk::generate_rsa_key(2048).unwrap().to_public_key().unwrap();
    let key_file = world.dir.path().join("cle.jwk");
    std::fs::write(&key_file, key.to_string()).unwrap();
    // A trainer's token made on the world's machine, as `idn staff token create` gives it.
    let token = idn_e2e::trainer_token(&world.dir.path().join("world"));
    let idn = |args: &[&str]| {
        std::process::Command::new(idn_e2e::idn_binary())
            .env("IDN_TOKEN", &token)
            .args(["--world", base.as_str(), "--json"])
            .args(args)
            .output()
            .unwrap()
    };
    let key_path = key_file.to_str().unwrap();
    let output = idn(&[
        "rp",
        "register",
        "--name",
        "Mon service",
        "--redirect-uri",
        RP_CALLBACK,
        "--jwk-file",
        key_path,
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let registered: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(registered["client_secret"].as_str().unwrap().len(), 64);
    let openapi: Value = get_json(&browser(), format!("{base}/api/openapi.json")).await;
    assert!(
        openapi["paths"]["/api/relying-parties"]["post"].is_object(),
        "registration is documented"
    );
    let listed: Value = serde_json::from_slice(&idn(&["rp", "list"]).stdout).unwrap();
    assert_eq!(listed[0]["client_id"], registered["client_id"]);
    assert!(
        listed[0].get("client_secret").is_none(),
        "the secret is shown only once"
    );
    let refused = idn(&[
        "rp",
        "register",
        "--name",
        "Sans clé",
        "--redirect-uri",
        "/relatif",
        "--jwks-uri",
        "x",
    ]);
    assert_eq!(refused.status.code(), Some(1), "a refusal of the world exits 1");
}

/// Follows the chain until La Poste waits for the device; returns the waiting page's address.
async fn reach_wait(base: &str, start: &str, mobile: &str) -> String {
    let http = browser();
    let mut url = start.to_owned();
    while !url.contains("/laposte/attente/") {
        url = if url.contains("/fcplus/choix/") && !url.ends_with("/laposte") {
            format!("{url}/laposte")
        } else if url.contains("/laposte/connexion/") {
            absolute(
                base,
                &location(&http.post(&url).form(&[("mobile", mobile)]).send().await.unwrap()),
            )
        } else {
            absolute(base, &location(&http.get(&url).send().await.unwrap()))
        };
    }
    url
}

async fn outcome_after_wait(base: &str, wait: &str) -> String {
    let next = wait.replace("/laposte/attente/", "/laposte/suite/");
    absolute(base, &location(&browser().get(&next).send().await.unwrap()))
}

#[tokio::test]
async fn an_unanswered_request_expires_after_one_minute_and_a_locked_identity_says_so() {
    let (world, device, base) = setup(77).await;
    let rp = register(&world, "Service de test").await;

    let wait = reach_wait(&base, &authorize_url(&base, &rp, &[]), MOBILE).await;
    let page = browser().get(&wait).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("compte-a-rebours") && page.contains("1:00"),
        "the countdown starts at one minute"
    );
    world.trainer.advance_clock(61).await.unwrap();
    assert!(outcome_after_wait(&base, &wait).await.ends_with("/delai-depasse"));

    let wait = reach_wait(&base, &authorize_url(&base, &rp, &[]), MOBILE).await;
    let request = device.pending_requests().await.unwrap()[0].request_id.clone();
    for _ in 0..3 {
        assert!(
            device.approve(&request, "1379").await.is_err(),
            "a wrong secret code is refused"
        );
    }
    assert!(
        outcome_after_wait(&base, &wait).await.ends_with("/bloquee"),
        "three wrong codes lock"
    );
    let http = browser();
    let mut url = absolute(
        &base,
        &location(&http.get(authorize_url(&base, &rp, &[])).send().await.unwrap()),
    );
    url = format!("{url}/laposte");
    while !url.contains("/laposte/connexion/") {
        url = absolute(&base, &location(&http.get(&url).send().await.unwrap()));
    }
    let response = http.post(&url).form(&[("mobile", MOBILE)]).send().await.unwrap();
    assert!(
        location(&response).ends_with("/bloquee"),
        "a locked identity cannot start a login"
    );
}

/// A world served as `idn world serve` serves it (private key-set addresses refused), on a port
/// bound first so that `public_url` can name it; `None` keeps following the Host.
async fn serve(seed: u64, public_url: impl FnOnce(std::net::SocketAddr) -> Option<String>) -> TestWorld {
    idn_e2e::spawn_world_with(seed, |options, address| {
        options.allow_private_jwks = false;
        options.public_url = public_url(address)
            .map(|url| idn_world::federation::PublicUrl::parse(&url).expect("a valid public URL"));
    })
    .await
}

async fn issuer_for_host(base: &str, provider: &str, host: &str) -> Value {
    let discovery: Value = browser()
        .get(format!("{base}{provider}/.well-known/openid-configuration"))
        .header("host", host)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    discovery["issuer"].clone()
}

/// Host header injection: with a public URL, a request naming another host (another name of
/// the server, or an attacker's) gets the same issuer in discovery and in the tokens.
#[tokio::test]
async fn with_a_public_url_discovery_and_id_tokens_name_it_whatever_the_host() {
    let world = serve(77, |address| Some(format!("http://{address}/"))).await;
    let base = world.running.base_url();
    let (_, mut device, _) = activated_device(
        &world.client,
        &world.trainer,
        world.dir.path(),
        "jean@exemple.fr",
        MOBILE,
        SECRET,
    )
    .await;
    for provider in ["/laposte", "/fcplus"] {
        assert_eq!(
            issuer_for_host(&base, provider, "attaquant.example").await,
            format!("{base}{provider}"),
            "a forged Host must not change {provider}'s issuer"
        );
    }

    let rp = register(&world, "Service de test").await;
    let back = log_in(&base, &authorize_url(&base, &rp, &[]), MOBILE, &mut device, true).await;
    let code = query_param(&back, "code").expect("a code");
    let response = browser()
        .post(format!("{base}/fcplus/token"))
        .header("host", "attaquant.example")
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", RP_CALLBACK),
            ("client_id", rp.client_id.as_str()),
            ("client_secret", rp.secret.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let tokens: Value = response.json().await.unwrap();
    let id_token = open(
        tokens["id_token"].as_str().unwrap(),
        &rp,
        &published_keys(&base).await,
    );
    assert_eq!(
        id_token["iss"],
        format!("{base}/fcplus"),
        "the id_token names the configured issuer, not the request's Host"
    );
}

/// Without a public URL the Host is followed: the sandbox on 127.0.0.1, a LAN name or behind a
/// TLS proxy keeps working as before.
#[tokio::test]
async fn without_a_public_url_the_issuer_follows_the_host() {
    let world = serve(78, |_| None).await;
    let base = world.running.base_url();
    for provider in ["/laposte", "/fcplus"] {
        assert_eq!(
            issuer_for_host(&base, provider, "salle-12.example:8787").await,
            format!("http://salle-12.example:8787{provider}")
        );
    }
}

async fn register_with_jwks_uri(world: &TestWorld, jwks_uri: &str) -> (u16, Value) {
    let response = browser()
        .post(format!("{}/api/relying-parties", world.running.base_url()))
        .bearer_auth(trainer_bearer(world))
        .json(&json!({
            "name": "Service de test",
            "redirect_uris": [RP_CALLBACK],
            "jwks_uri": jwks_uri,
        }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

/// SSRF: on a served world, nobody can make the world fetch keys from its own loopback, the
/// LAN or the cloud metadata service; a local world (the default) accepts them.
#[tokio::test]
async fn a_served_world_refuses_a_jwks_uri_on_a_private_address() {
    let served = serve(79, |_| None).await;
    let local = spawn_world(80).await;
    for uri in [
        "http://127.0.0.1:8080/jwks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:3000/jwks",
        "http://localhost:3000/jwks",
    ] {
        let (status, body) = register_with_jwks_uri(&served, uri).await;
        assert_eq!(status, 400, "{uri} is refused: {body}");
        assert_eq!(body["code"], "private_jwks_uri");
        assert!(
            body["message"].as_str().unwrap().contains("adresses publiques"),
            "the message names the rule: {body}"
        );
        let (status, body) = register_with_jwks_uri(&local, uri).await;
        assert_eq!(status, 200, "a local world accepts {uri}: {body}");
    }
}

/// The addresses inside the world that a page links to (`href="/…"`), entities decoded.
fn world_links(page: &str) -> Vec<String> {
    page.split("href=\"/")
        .skip(1)
        .filter_map(|rest| rest.split_once('"'))
        .map(|(path, _)| format!("/{}", path.replace("&#39;", "'").replace("&amp;", "&")))
        .collect()
}

async fn page_text(http: &reqwest::Client, url: &str) -> (u16, String) {
    let response = http.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Guides 000 and 004: the service's login page as they show it, with every link and button
/// leading somewhere (« MOT DE PASSE OUBLIÉ » and « CRÉER MON COMPTE » to a page saying what the
/// real service does there), and the real service's support contacts marked as never called.
#[tokio::test]
async fn the_login_pages_of_the_services_are_the_guides_and_no_link_leads_nowhere() {
    let (_world, _device, base) = setup(79).await;
    let http = browser();
    for prefix in ["/mcf", "/mce"] {
        let (status, page) = page_text(&http, &format!("{base}{prefix}")).await;
        assert_eq!(status, 200, "{prefix}");
        for text in [
            "<h1>Connexion</h1>",
            "<b>Attention !</b> Votre parcours d'achat s'est davantage sécurisé avec FranceConnect+.",
            "Vos données de connexion sont strictement personnelles, veuillez à ne pas les communiquer à une autre personne.",
            ">Connexion FranceConnect+</h2>",
            "<b>Nouveau !</b> FranceConnect+ assure la sécurité de votre CPF",
            ">OU</p>",
            ">Connexion avec vos identifiants</h2>",
            ">ME CONNECTER</button>",
            ">MOT DE PASSE OUBLIÉ</a>",
            "Vous n'avez pas de compte ? <a",
            ">CRÉER MON COMPTE</a>",
            "<b>téléconseiller au <span class=\"telephone\">09 70 81 00 50</span></b>, du lundi au vendredi de 8h30 à 19h et samedi de 8h30 à 13h, hors jours fériés.",
            "Consultez le <b>tuto</b>",
            "Consultez la <b>FAQ</b>",
            "Le bac à sable ne les appelle jamais",
        ] {
            assert!(page.contains(text), "{prefix}: « {text} »");
        }
        let links = world_links(&page);
        for expected in [
            format!("{prefix}/mot-de-passe-oublie"),
            format!("{prefix}/creer-mon-compte"),
            format!("{prefix}/franceconnect"),
            "/fcplus/a-propos".to_owned(),
            "/identite-numerique/creer".to_owned(),
        ] {
            assert!(
                links.contains(&expected),
                "{prefix}: a link to {expected} in {links:?}"
            );
        }
        for link in &links {
            let status = http.get(absolute(&base, link)).send().await.unwrap().status();
            assert!(
                status.is_success() || status.is_redirection(),
                "{prefix}: {link} answers {status}"
            );
        }
        for (path, title, real) in [
            (
                "mot-de-passe-oublie",
                "Mot de passe oublié",
                "retrouver l'accès à un compte créé avant le 25 octobre 2022",
            ),
            (
                "creer-mon-compte",
                "Créer mon compte",
                "votre espace s'ouvre à votre première connexion avec FranceConnect+",
            ),
        ] {
            let (status, page) = page_text(&http, &format!("{base}{prefix}/{path}")).await;
            assert_eq!(status, 200, "{prefix}/{path}");
            assert!(page.contains(&format!("<h1>{title}</h1>")), "{prefix}/{path}");
            assert!(page.contains(real), "{prefix}/{path}: what the real service does");
            assert!(
                page.contains("seule la connexion avec FranceConnect+ l'est"),
                "{prefix}/{path}: says it is not simulated"
            );
            assert!(
                world_links(&page).contains(&format!("{prefix}/franceconnect")),
                "{prefix}/{path}: leads on to FranceConnect+"
            );
            assert!(page.contains("Le bac à sable ne les appelle jamais"));
        }
    }
    let (status, about) = page_text(&http, &format!("{base}/fcplus/a-propos")).await;
    assert_eq!(status, 200);
    assert!(about.contains("<h1>Qu'est-ce que FranceConnect+ ?</h1>"));
}

/// FranceConnect+ as guides 000 and 004 show it: La Poste alone, « J'utilise l'application »,
/// « Pourquoi je ne retrouve pas mes comptes habituels ? »; then La Poste's pages with the real
/// service's contacts, and its waiting page: without JavaScript the person reloads it, and the
/// reload moves on once the phone answered.
#[tokio::test]
async fn franceconnect_offers_la_poste_alone_and_its_waiting_page_works_by_reloading() {
    let (_world, device, base) = setup(80).await;
    let http = browser();
    let response = http
        .get(format!("{base}/mcf/franceconnect"))
        .send()
        .await
        .unwrap();
    let mut url = absolute(&base, &location(&response));
    while !url.contains("/fcplus/choix/") {
        url = absolute(&base, &location(&http.get(&url).send().await.unwrap()));
    }
    let (status, choice) = page_text(&http, &url).await;
    assert_eq!(status, 200);
    for text in [
        "<h1>Je choisis un moyen pour me connecter sur : Mon Compte Formation</h1>",
        ">Revenir sur Mon Compte Formation</a>",
        "<span>J'utilise l'application</span>",
        "<summary>Pourquoi je ne retrouve pas mes comptes habituels ?</summary>",
        "Pour vous connecter, utilisez L'Identité Numérique La Poste.",
    ] {
        assert!(choice.contains(text), "« {text} »");
    }
    assert_eq!(
        choice.matches("class=\"provider\"").count(),
        1,
        "La Poste is the one provider offered"
    );

    let mut login = format!("{url}/laposte");
    while !login.contains("/laposte/connexion/") {
        login = absolute(&base, &location(&http.get(&login).send().await.unwrap()));
    }
    let (_, login_page) = page_text(&http, &login).await;
    assert!(login_page.contains("Identifiez-vous avec votre Identité Numérique"));
    assert!(login_page.contains("contacts du vrai service L'Identité Numérique La Poste"));

    let wait = absolute(
        &base,
        &location(
            &http
                .post(&login)
                .form(&[("mobile", MOBILE)])
                .send()
                .await
                .unwrap(),
        ),
    );
    assert!(wait.contains("/laposte/attente/"), "{wait}");
    let (status, waiting) = page_text(&http, &wait).await;
    assert_eq!(status, 200);
    let (_, noscript) = waiting.split_once("<noscript>").expect("a noscript");
    let (noscript, _) = noscript.split_once("</noscript>").unwrap();
    let path = wait.strip_prefix(&base).unwrap();
    assert!(noscript.contains("ne se met pas à jour toute seule"));
    assert!(
        noscript.contains(&format!("<a href=\"{path}\">rechargez cette page</a>")),
        "{noscript}"
    );
    // Before the phone answers, reloading shows the same page.
    assert_eq!(page_text(&http, &wait).await.0, 200);
    let request = device.pending_requests().await.unwrap()[0].request_id.clone();
    device.approve(&request, SECRET).await.unwrap();
    let next = http.get(&wait).send().await.unwrap();
    assert!(next.status().is_redirection(), "{}", next.status());
    assert!(
        location(&next).contains("/laposte/suite/"),
        "after the approval, reloading moves on"
    );
}
