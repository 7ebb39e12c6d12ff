//! HTTPS of a class world (issue 16): a world on the class's network serves HTTPS under its local
//! authority; a client that trusts that authority (its file or its fingerprint) talks to it, any
//! other is refused for the certificate, not told the world is down; the welcome page hands out
//! the authority; and a world served in plain HTTP on the network says loudly that it is. The
//! welcome page's QR code (`#ca=…&id=…`) is enough for a device to join: it pins the authority
//! for HTTPS and the identity key the device then pins.

use base64::Engine;
use idn_api::join::{IdentityFingerprint, JoinAddress};
use idn_api::tls::{is_certificate_refusal, CaFingerprint, Trust};
use idn_api::{ClientError, MessageChannel, WorldClient};
use idn_device::{Device, MemoryVault};
use idn_e2e::{idn_binary, learner_at_activation, trainer_of, MOBILE};
use idn_world::tls::{ServerTls, TlsName, TlsSetup};
use idn_world::{Transport, WorldOptions};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;

/// A world in this process serving HTTPS on a loopback port under its local authority.
async fn https_world(dir: &Path) -> idn_scenario::ServedWorld {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let listen = listener.local_addr().unwrap();
    let setup = TlsSetup::LocalAuthority {
        names: vec![TlsName::parse("salle-12.home.arpa").unwrap()],
    };
    let tls = ServerTls::prepare(dir, &setup, listen, std::time::SystemTime::now()).unwrap();
    let mut options = WorldOptions::new(dir);
    options.seed = Some(16);
    idn_scenario::serve_over(options, listener, Transport::Tls(tls))
        .await
        .expect("an HTTPS world starts")
}

fn client(url: &str, trust: &Trust) -> WorldClient {
    WorldClient::configured(url, |builder| trust.configure(builder))
}

/// The texts of the QR code `file` of the welcome page at `url`, as a phone films it projected
/// (`http`: the trainer's browser, which trusts the authority).
async fn qr_texts(http: &reqwest::Client, url: &str, file: &str) -> Vec<String> {
    let png = http
        .get(format!("{url}/qr/{file}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    idn_capture::read_qr_codes(&idn_capture::decode_still(&png).unwrap())
}

/// The fingerprint of the identity key the world at the other end of `client` shows.
async fn identity_shown(client: &WorldClient) -> IdentityFingerprint {
    let keys = client.keys().await.expect("the world's keys");
    IdentityFingerprint::of(&hex::decode(keys.identity_public_key).unwrap())
}

/// True when the call failed because the certificate was refused (what people are told as
/// `tls_untrusted`), not because the world does not answer.
fn refused_for_its_certificate<T: std::fmt::Debug>(result: Result<T, ClientError>) -> bool {
    match result {
        Err(ClientError::Unreachable { source, .. }) => is_certificate_refusal(&source),
        other => panic!("expected a refused certificate, got {other:?}"),
    }
}

#[tokio::test]
async fn world_serves_https_under_its_local_authority_and_clients_trust_only_it() {
    let dir = tempfile::tempdir().unwrap();
    let served = https_world(dir.path()).await;
    let world = &served.world;
    let url = world.local_url();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let authority = world.tls().unwrap().authority().unwrap().clone();
    let ca_file = dir.path().join("tls").join("ca.pem");
    assert_eq!(
        authority.path(),
        ca_file,
        "the authority lives in DATA/tls/ca.pem"
    );

    let by_file = Trust::from_ca_file(&ca_file).unwrap();
    client(&url, &by_file)
        .create_learner("https@simulation.example")
        .await
        .expect("a client given the authority's file works over HTTPS");
    let by_fingerprint = Trust::from_fingerprint(&authority.fingerprint().to_string()).unwrap();
    client(&url, &by_fingerprint)
        .create_learner("epingle@simulation.example")
        .await
        .expect("a client given the projected fingerprint works too");
    let by_name = client(&url.replace("127.0.0.1", "localhost"), &by_fingerprint);
    by_name.status().await.expect("localhost is in the certificate");

    assert!(
        refused_for_its_certificate(client(&url, &Trust::platform()).status().await),
        "the operating system alone does not know a class's authority"
    );
    let elsewhere = tempfile::tempdir().unwrap();
    let other = ServerTls::prepare(
        elsewhere.path(),
        &TlsSetup::LocalAuthority { names: vec![] },
        world.address(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    assert_ne!(
        other.authority().unwrap().fingerprint(),
        authority.fingerprint(),
        "each world makes its own authority"
    );
    assert!(
        refused_for_its_certificate(
            client(&url, &other.client_trust().without_platform())
                .status()
                .await
        ),
        "another class's authority does not open this world"
    );
    let wrong_pin = Trust::from_fingerprint(&other.authority().unwrap().fingerprint().to_string()).unwrap();
    assert!(refused_for_its_certificate(
        client(&url, &wrong_pin).status().await
    ));

    // The right authority, but a host name the certificate does not carry: refused too (this is
    // what stops the class's certificate from standing for another site).
    let address = world.address();
    let misnamed = WorldClient::configured(
        format!("https://www.banque.example:{}", address.port()),
        |builder| by_file.configure(builder).resolve("www.banque.example", address),
    );
    assert!(refused_for_its_certificate(misnamed.status().await));
    served.world.stop().await;
}

#[tokio::test]
async fn a_device_joining_by_the_qr_code_alone_trusts_the_world_pins_its_identity_and_enrols() {
    let dir = tempfile::tempdir().unwrap();
    let served = https_world(dir.path()).await;
    let url = served.world.local_url();
    let projector = served
        .world
        .client_trust()
        .configure(reqwest::Client::builder())
        .build()
        .unwrap();
    let scanned = qr_texts(&projector, &url, "rejoindre.png").await;
    assert_eq!(scanned.len(), 1, "{scanned:?}");

    // The phone knows nothing but the code it filmed: no authority installed, no --ca-cert.
    let join = JoinAddress::parse(&scanned[0]).expect("the projected code is a join code");
    assert_eq!(
        join.base_url(),
        url,
        "the fragment is not part of the world's address"
    );
    assert!(
        refused_for_its_certificate(WorldClient::new(join.base_url()).status().await),
        "without the code's pin the phone does not trust the class's authority"
    );
    let world = join.client();
    world
        .status()
        .await
        .expect("the code's authority opens the world over HTTPS");
    let identity = join.identity().expect("the code names the world's identity key");
    Device::check_world_identity(&world, identity)
        .await
        .expect("the world shows the identity key the code names");

    let staff = trainer_of(&served.world).await;
    let trainer = world.with_credential(staff.credential().unwrap().clone());
    let email = "qr-seul@simulation.example";
    let learner = learner_at_activation(&world, &trainer, email, MOBILE).await;
    let code = learner.last_code(MessageChannel::Sms).await;
    let phone_dir = dir.path().join("telephone");
    let mut phone = Device::open(&phone_dir, world.anonymous(), Arc::new(MemoryVault::default()))
        .unwrap()
        .expecting_world_identity(identity);
    phone.adopt_account(&learner.access).unwrap();
    let view = phone
        .activate(&learner.id, &code, "2580")
        .await
        .expect("activation over HTTPS with the code's pins");
    assert_eq!(view.step, "enrolled");

    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(phone_dir.join("device.json")).unwrap()).unwrap();
    let pins = profile["world_pins"].as_array().unwrap();
    assert_eq!(pins.len(), 1, "{profile}");
    assert_eq!(pins[0]["base_url"], url);
    let pinned = hex::decode(pins[0]["identity_public_key"].as_str().unwrap()).unwrap();
    assert_eq!(
        IdentityFingerprint::of(&pinned),
        identity,
        "the identity pinned is the one the code named"
    );
    served.world.stop().await;
}

#[tokio::test]
async fn a_qr_code_whose_authority_is_not_the_worlds_is_refused_for_its_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let served = https_world(dir.path()).await;
    let url = served.world.local_url();
    let elsewhere = tempfile::tempdir().unwrap();
    let other = ServerTls::prepare(
        elsewhere.path(),
        &TlsSetup::LocalAuthority { names: vec![] },
        served.world.address(),
        std::time::SystemTime::now(),
    )
    .unwrap();
    let identity = identity_shown(&client(&url, &served.world.client_trust())).await;
    let forged = JoinAddress::new(
        &url,
        Some(other.authority().unwrap().fingerprint()),
        Some(identity),
    )
    .unwrap();
    let refused = forged.client().status().await.unwrap_err();
    assert_eq!(
        (refused.code(), refused.message_fr()),
        ("tls_untrusted", idn_api::tls::UNTRUSTED_FR.to_owned()),
        "another class's authority in the code does not open this world: {refused:?}"
    );
    served.world.stop().await;
}

#[tokio::test]
async fn the_welcome_page_carries_the_https_address_the_fingerprint_and_the_authority() {
    let dir = tempfile::tempdir().unwrap();
    let served = https_world(dir.path()).await;
    let url = served.world.local_url();
    let authority = served.world.tls().unwrap().authority().unwrap().clone();
    let http = served
        .world
        .client_trust()
        .configure(reqwest::Client::builder())
        .build()
        .unwrap();

    let page = http
        .get(format!("{url}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(r#"<b data-testid="adresse">{url}</b>"#)),
        "the address to type is the https one"
    );
    let shown = authority.fingerprint().to_string();
    assert!(
        page.contains(&format!(
            "Empreinte SHA-256 de l'autorité : <code data-testid=\"empreinte\">{shown}</code>"
        )),
        "the fingerprint is projected as browsers show it"
    );
    for platform in [
        "Android",
        "iOS et iPadOS",
        "macOS",
        "Windows",
        "Debian, Chromium et Firefox",
    ] {
        assert!(
            page.contains(&format!("<summary>{platform}</summary>")),
            "how to trust it on {platform}"
        );
    }
    assert!(page.contains("Retirez-la après la formation"));
    assert!(!page.contains("sans-https"), "an HTTPS world shows no warning");

    let crt = http
        .get(format!("{url}/autorite/idn-sandbox.crt"))
        .send()
        .await
        .unwrap();
    assert_eq!(crt.headers()["content-type"], "application/x-x509-ca-cert");
    let der = crt.bytes().await.unwrap();
    assert_eq!(
        CaFingerprint::of(&der),
        authority.fingerprint(),
        "the downloaded certificate is the one whose fingerprint is projected"
    );
    let pem = http
        .get(format!("{url}/autorite/idn-sandbox.pem"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    Trust::platform()
        .with_ca_pem(&pem)
        .expect("the PEM download is a usable authority (for --ca-cert)");

    let pin = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(authority.fingerprint().as_bytes());
    let identity = identity_shown(&client(&url, &served.world.client_trust())).await;
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(identity.as_bytes());
    for (file, expected) in [
        ("rejoindre.png", format!("{url}/#ca={pin}&id={id}")),
        ("smartphone.png", format!("{url}/application#ca={pin}&id={id}")),
    ] {
        assert_eq!(
            qr_texts(&http, &url, file).await,
            vec![expected],
            "{file}: the https address, with the fingerprints of the authority and of the \
             identity key for the app to pin"
        );
    }

    // The world says it is served over HTTPS, whatever a client claims: issuers name https.
    let discovery: serde_json::Value = http
        .get(format!("{url}/fcplus/.well-known/openid-configuration"))
        .header("x-forwarded-proto", "http")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], format!("{url}/fcplus"));
    served.world.stop().await;
}

/// `idn world serve` in its own process, reading its standard error until it says where it
/// listens; killed when dropped.
struct ServeProcess {
    child: Child,
    /// Everything it printed up to the OpenAPI line.
    said: String,
    port: u16,
}

impl ServeProcess {
    fn start(data_dir: &Path, listen: &str, extra: &[&str]) -> Self {
        let mut child = Command::new(idn_binary())
            .args(["world", "serve", "--listen", listen, "--data-dir"])
            .arg(data_dir)
            .args(extra)
            .env_remove("IDN_CA_CERT")
            .env_remove("IDN_PUBLIC_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("idn world serve starts");
        let mut said = String::new();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            said.push_str(&line);
            said.push('\n');
            if line.starts_with("Description OpenAPI") {
                break;
            }
        }
        // Keep reading so the world never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        let port = said
            .split("à l'écoute sur ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|address| address.rsplit(':').next())
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("no listening address in:\n{said}"));
        Self { child, said, port }
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The same join code naming another world's identity key.
fn other_identity(code: &str) -> String {
    let (before, _) = code
        .split_once("id=")
        .expect("the code names the world's identity");
    format!("{before}id={}", "A".repeat(43))
}

fn idn(args: &[&str]) -> (i32, serde_json::Value) {
    let output = Command::new(idn_binary())
        .args(args)
        .env_remove("IDN_CA_CERT")
        .env_remove("IDN_CA_FINGERPRINT")
        .env_remove("IDN_WORLD_URL")
        .output()
        .expect("idn runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let document = serde_json::from_str(&stdout)
        .unwrap_or_else(|_| panic!("one JSON document expected, got {stdout:?}"));
    (output.status.code().unwrap_or(-1), document)
}

#[tokio::test]
async fn a_served_class_world_is_https_by_default_and_the_cli_trusts_it_when_told() {
    let dir = tempfile::tempdir().unwrap();
    let world = ServeProcess::start(dir.path(), "0.0.0.0:0", &[]);
    assert!(
        world.said.contains("à l'écoute sur https://0.0.0.0:"),
        "{}",
        world.said
    );
    assert!(!world.said.contains("ATTENTION"), "{}", world.said);
    let ca = dir.path().join("tls").join("ca.pem");
    assert!(
        world
            .said
            .contains(&format!("Autorité locale de certification : {}", ca.display())),
        "the trainer is told where the authority is:\n{}",
        world.said
    );
    let fingerprint = world
        .said
        .lines()
        .find_map(|line| line.strip_prefix("Empreinte SHA-256 de l'autorité : "))
        .unwrap_or_else(|| panic!("no fingerprint in:\n{}", world.said))
        .to_owned();
    let pem = std::fs::read(&ca).unwrap();
    let der = rustls_der(&pem);
    assert_eq!(
        fingerprint,
        CaFingerprint::of(&der).to_string(),
        "the printed fingerprint is ca.pem's"
    );

    let url = format!("https://127.0.0.1:{}", world.port);
    let (code, shown) = idn(&[
        "--world",
        &url,
        "--ca-cert",
        ca.to_str().unwrap(),
        "--json",
        "clock",
        "show",
    ]);
    assert_eq!(
        code, 0,
        "--ca-cert DATA/tls/ca.pem opens the world on its own machine: {shown}"
    );
    let (code, shown) = idn(&[
        "--world",
        &url,
        "--ca-fingerprint",
        &fingerprint,
        "--json",
        "clock",
        "show",
    ]);
    assert_eq!(code, 0, "the projected fingerprint opens it too: {shown}");
    let projector = Trust::from_ca_file(&ca)
        .unwrap()
        .configure(reqwest::Client::builder())
        .build()
        .unwrap();
    let scanned = qr_texts(&projector, &url, "rejoindre.png").await;
    assert!(scanned[0].starts_with(&format!("{url}/#ca=")), "{scanned:?}");
    let (code, shown) = idn(&["--world", &scanned[0], "--json", "clock", "show"]);
    assert_eq!(code, 0, "the QR code's text pasted as --world opens it: {shown}");
    // A phone driven by `idn device` pins the identity the code names: a code naming another
    // world's identity is refused before anything is sent (the learner need not even exist).
    let phone = dir.path().join("telephone");
    let (code, refused) = idn(&[
        "--world",
        &other_identity(&scanned[0]),
        "--json",
        "device",
        "--device-dir",
        phone.to_str().unwrap(),
        "--vault",
        "memoire",
        "activate",
        "--learner",
        "personne",
        "--code",
        "ABCDEFGH",
        "--secret",
        "1357",
    ]);
    assert_eq!(
        refused["code"].as_str(),
        Some("world_key_untrusted"),
        "exit {code}: {refused}"
    );
    assert!(
        refused["message"].as_str().unwrap().contains("QR code scanné"),
        "{refused}"
    );
    let cut = scanned[0].replace("#ca=", "#ca=A");
    let (code, refused) = idn(&["--world", &cut, "--json", "clock", "show"]);
    assert_eq!(
        (code, refused["code"].as_str()),
        (2, Some("join_code_invalid")),
        "a damaged code is said as such: {refused}"
    );
    let (code, refused) = idn(&["--world", &url, "--json", "clock", "show"]);
    assert_eq!(
        (code, refused["code"].as_str()),
        (3, Some("tls_untrusted")),
        "an unknown authority is said as such, not as a world that is down: {refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("scannez le QR code"),
        "and the person is told what to do: {refused}"
    );
    let (code, refused) = idn(&[
        "--world",
        &url,
        "--ca-fingerprint",
        "AB:CD",
        "--json",
        "clock",
        "show",
    ]);
    assert_eq!(
        (code, refused["code"].as_str()),
        (2, Some("ca_fingerprint_invalid")),
        "{refused}"
    );
}

#[tokio::test]
async fn plain_http_on_a_non_loopback_address_warns() {
    let dir = tempfile::tempdir().unwrap();
    let world = ServeProcess::start(dir.path(), "0.0.0.0:0", &["--no-tls"]);
    let warning = format!(
        "ATTENTION : ce monde écoute sur 0.0.0.0:{} sans HTTPS. Sur le Wi-Fi de la classe, n'importe qui peut lire et modifier le trafic (jetons d'accès, codes). Relancez sans --no-tls.",
        world.port
    );
    assert!(
        world.said.contains(&warning),
        "the trainer is warned on the terminal:\n{}",
        world.said
    );
    assert!(
        !dir.path().join("tls").exists(),
        "no authority is made for a plain world"
    );
    // Talk on loopback only: the warning is about others, the test needs no network.
    let page = reqwest::get(format!("http://127.0.0.1:{}/", world.port))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"data-testid="sans-https""#)
            && page.contains("Attention : ce monde est servi sans HTTPS"),
        "the projected page shows the warning to the class"
    );
}

#[tokio::test]
async fn a_world_on_loopback_stays_plain_http_for_tests_and_the_app() {
    let dir = tempfile::tempdir().unwrap();
    let world = ServeProcess::start(dir.path(), "127.0.0.1:0", &[]);
    assert!(
        world.said.contains("à l'écoute sur http://127.0.0.1:"),
        "{}",
        world.said
    );
    assert!(!world.said.contains("ATTENTION"), "{}", world.said);
    assert!(
        !dir.path().join("tls").exists(),
        "no authority is made for loopback"
    );
    let page = reqwest::get(format!("http://127.0.0.1:{}/", world.port))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("sans-https"),
        "loopback is nobody else's network: no warning"
    );
}

/// The DER of the first certificate of a PEM file.
fn rustls_der(pem: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(pem).unwrap();
    let body: String = text
        .lines()
        .skip_while(|line| !line.starts_with("-----BEGIN CERTIFICATE"))
        .skip(1)
        .take_while(|line| !line.starts_with("-----END"))
        .collect();
    base64::engine::general_purpose::STANDARD.decode(body).unwrap()
}
