//! Speed of the OpenID Connect chain on this machine, with real storage and real approvals
//! signed by the device core (Ed25519 + HPKE-sealed code, one SQLite transaction each, WAL with
//! `synchronous=NORMAL`):
//! - La Poste's identity provider alone: authorize → mobile → approval → code → token → userinfo;
//! - the full chain: relying party → FranceConnect+ → La Poste → approval → back, then the
//!   relying party's token and userinfo, every token decrypted and verified;
//! - the delay from "S'identifier" to the request being readable by the device.
//!
//! - beside them, node `oidc-provider` (what FranceConnect's own mocks are built on), installed from
//!   npm by this benchmark, ES256, automatic login: authorize → login → code → token → userinfo.
//!
//! 32 concurrent clients, one identity each (an identity accepts 10 login requests per 10
//! minutes, so the clock is moved on between rounds; `WARMUP_ROUNDS` rounds on each side are
//! not counted). Each line gives the CPU time per login of the processes taking part (this one,
//! which holds the world and the clients, plus node for the peer): on a machine shared with
//! builds it says more than logins/s alone.
//!
//! The sides take turns, `TRIALS` times (La Poste, chain, node, La Poste, …), and the ratio is
//! the median of each trial's: on a shared virtual machine the speed drifts within a minute,
//! and measuring one side after the other would put the drift into the ratio.
//! Run: `cargo bench -p idn-e2e --bench federation` (`IDN_BENCH_ONLY=laposte|chaine|oidc-provider`
//! for one measurement, to profile it).

/// The allocator `idn world serve` and the app run the world with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use idn_device::Device;
use idn_e2e::{activated_device, get_json, spawn_world};
use josekit::jwe::JweDecrypter;
use josekit::jwk::{alg::ec::EcCurve, Jwk, JwkSet};
use josekit::jws::alg::ecdsa::EcdsaJwsVerifier;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CLIENTS: usize = 32;
const LOGINS_PER_ROUND: usize = 10;
const ROUNDS: usize = 3;
/// Turns of each side, after the warm-up; the medians are reported.
const TRIALS: usize = 5;
/// Rounds run before measuring, on both sides alike: connections opened, and node's JIT warm
/// (after one round node still ran 20–30% below its pace of the following minutes).
const WARMUP_ROUNDS: usize = 3;
const CALLBACK: &str = "https://banc.invalid/callback";

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(4)
        .build()
        .unwrap()
}

fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_owned()
}

fn param(url: &str, name: &str) -> String {
    reqwest::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {url}"))
}

#[derive(Default)]
struct Timings {
    token: Vec<Duration>,
    appear: Vec<Duration>,
}

fn percentile(values: &mut [Duration], p: f64) -> f64 {
    values.sort();
    let index = ((values.len() as f64 - 1.0) * p).round() as usize;
    values.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
}

struct Rp {
    client_id: String,
    secret: String,
}

/// From an authorize URL at `issuer_path` to the code sent to `stop_at`, approving on `device`.
async fn through_laposte(
    client: &reqwest::Client,
    base: &str,
    start: String,
    mobile: &str,
    device: &mut Device,
    stop_at: &str,
    timings: &mut Timings,
) -> String {
    let mut url = start;
    loop {
        if url.starts_with(stop_at) {
            return url;
        }
        if url.contains("/fcplus/choix/") && !url.ends_with("/laposte") {
            url = format!("{url}/laposte");
            continue;
        }
        if url.contains("/laposte/connexion/") {
            let typed = Instant::now();
            let response = client
                .post(&url)
                .form(&[("mobile", mobile)])
                .send()
                .await
                .unwrap();
            let wait = location(&response);
            let pending = device.pending_requests().await.unwrap();
            timings.appear.push(typed.elapsed());
            let request = pending.first().expect("request on the device");
            device.approve_shown(request, "2580").await.expect("approval");
            url = format!("{base}{}", wait.replace("/laposte/attente/", "/laposte/suite/"));
            continue;
        }
        let response = client.get(&url).send().await.unwrap();
        assert!(response.status().is_redirection(), "{url}: {}", response.status());
        let next = location(&response);
        url = if next.starts_with("http") {
            next
        } else {
            format!("{base}{next}")
        };
    }
}

/// What a client needs to read a provider's tokens, made once (OpenSSL 3 turns keys into objects
/// slowly, and a real client keeps them too): its decrypter and the provider's verifier.
struct Reader {
    decrypter: Box<dyn JweDecrypter>,
    verifier: EcdsaJwsVerifier,
}

impl Reader {
    fn new(key: &Jwk, keys: &JwkSet) -> Self {
        let decrypter: Box<dyn JweDecrypter> = match key.key_type() {
            "RSA" => Box::new(josekit::jwe::RSA_OAEP.decrypter_from_jwk(key).unwrap()),
            _ => Box::new(josekit::jwe::ECDH_ES.decrypter_from_jwk(key).unwrap()),
        };
        Self {
            decrypter,
            verifier: josekit::jws::ES256.verifier_from_jwk(keys.keys()[0]).unwrap(),
        }
    }

    fn open(&self, token: &str) -> serde_json::Map<String, Value> {
        let (signed, _) = josekit::jwe::deserialize_compact(token, self.decrypter.as_ref()).unwrap();
        let (payload, _) = josekit::jwt::decode_with_verifier(&signed, &self.verifier).unwrap();
        payload.claims_set().clone()
    }
}

// One call site per provider; a struct would only rename these values.
#[allow(clippy::too_many_arguments)]
async fn exchange(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    code: &str,
    redirect_uri: &str,
    credentials: (&str, &str),
    reader: &Reader,
    timings: &mut Timings,
) {
    let started = Instant::now();
    let tokens: Value = client
        .post(format!("{base}{path}/token"))
        .basic_auth(credentials.0, Some(credentials.1))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    timings.token.push(started.elapsed());
    let id_token = reader.open(tokens["id_token"].as_str().expect("id_token"));
    let info = client
        .get(format!("{base}{path}/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(reader.open(&info)["sub"], id_token["sub"]);
}

/// Cookies as a browser keeps them, enough for oidc-provider's interaction and session cookies.
#[derive(Default)]
struct Jar(std::collections::BTreeMap<String, String>);

impl Jar {
    fn keep(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all("set-cookie") {
            if let Some((name, rest)) = value.to_str().unwrap_or_default().split_once('=') {
                let value = rest.split(';').next().unwrap_or_default();
                self.0.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Starts node oidc-provider (npm install on first use) and returns its process and issuer.
fn start_oidc_provider() -> (std::process::Child, String) {
    use std::io::BufRead;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/oidc-provider");
    if !dir.join("node_modules/oidc-provider").exists() {
        let status = std::process::Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&dir)
            .status()
            .expect("npm runs");
        assert!(status.success(), "npm install oidc-provider failed");
    }
    let mut child = std::process::Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .expect("node runs");
    let mut line = String::new();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    stdout.read_line(&mut line).unwrap();
    // Keep reading, so that node never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    (child, line.trim().to_owned())
}

async fn oidc_provider_login(
    client: &reqwest::Client,
    issuer: &str,
    verifier: &EcdsaJwsVerifier,
    timings: &mut Timings,
) {
    let mut jar = Jar::default();
    let state = format!("{:064}", rand::random::<u64>());
    let nonce = format!("{:064}", rand::random::<u64>());
    let mut url = reqwest::Url::parse(&format!("{issuer}/auth")).unwrap();
    url.query_pairs_mut().extend_pairs([
        ("response_type", "code"),
        ("client_id", "bench"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid profile"),
        ("state", state.as_str()),
        ("nonce", nonce.as_str()),
    ]);
    let mut url = url.to_string();
    while !url.starts_with(CALLBACK) {
        let response = client
            .get(&url)
            .header("cookie", jar.header())
            .send()
            .await
            .unwrap();
        jar.keep(&response);
        assert!(response.status().is_redirection(), "{url}: {}", response.status());
        let next = location(&response);
        url = if next.starts_with("http") {
            next
        } else {
            format!("{issuer}{next}")
        };
    }
    let started = Instant::now();
    let tokens: Value = client
        .post(format!("{issuer}/token"))
        .basic_auth("bench", Some("bench-secret-0123456789abcdef0123456789abcdef"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &param(&url, "code")),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    timings.token.push(started.elapsed());
    let (id_token, _) =
        josekit::jwt::decode_with_verifier(tokens["id_token"].as_str().expect("id_token"), verifier).unwrap();
    assert_eq!(
        id_token.claim("nonce").and_then(Value::as_str),
        Some(nonce.as_str())
    );
    let info: Value = client
        .get(format!("{issuer}/me"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["sub"], "bench-user");
}

/// Node oidc-provider, started once and measured at each of its turns.
struct OidcProvider {
    child: std::process::Child,
    issuer: String,
    verifier: std::sync::Arc<EcdsaJwsVerifier>,
}

impl OidcProvider {
    async fn start() -> Self {
        let (child, issuer) = start_oidc_provider();
        let value: Value = get_json(&http(), format!("{issuer}/jwks")).await;
        let keys = JwkSet::from_map(value.as_object().unwrap().clone()).unwrap();
        let verifier = std::sync::Arc::new(josekit::jws::ES256.verifier_from_jwk(keys.keys()[0]).unwrap());
        Self {
            child,
            issuer,
            verifier,
        }
    }

    /// `rounds` rounds of `LOGINS_PER_ROUND` logins by each of the `CLIENTS`.
    async fn measure(&self, rounds: usize) -> Measured {
        let cpu = Cpu::start(vec![std::process::id(), self.child.id()]);
        let started = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..CLIENTS {
            let (issuer, verifier) = (self.issuer.clone(), self.verifier.clone());
            tasks.push(tokio::spawn(async move {
                let client = http();
                let mut timings = Timings::default();
                for _ in 0..LOGINS_PER_ROUND * rounds {
                    oidc_provider_login(&client, &issuer, &verifier, &mut timings).await;
                }
                timings
            }));
        }
        let mut timings = Timings::default();
        for task in tasks {
            timings.token.extend(task.await.unwrap().token);
        }
        Measured {
            logins: CLIENTS * LOGINS_PER_ROUND * rounds,
            elapsed: started.elapsed(),
            cpu: cpu.used(),
            timings,
        }
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time (user + system) a process has used so far, from `/proc/PID/stat` (Linux).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields, in clock ticks (100 per second on Linux).
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&index| fields.get(index)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

/// CPU of the processes taking part in one measurement, from its start.
struct Cpu {
    pids: Vec<u32>,
    at_start: Duration,
}

impl Cpu {
    fn start(pids: Vec<u32>) -> Self {
        let at_start = pids.iter().map(|&pid| cpu_time(pid)).sum();
        Self { pids, at_start }
    }

    fn used(&self) -> Duration {
        self.pids.iter().map(|&pid| cpu_time(pid)).sum::<Duration>() - self.at_start
    }
}

/// One side's turn: logins completed, their wall time, the CPU of the processes taking part.
struct Measured {
    logins: usize,
    elapsed: Duration,
    cpu: Duration,
    timings: Timings,
}

impl Measured {
    fn per_second(&self) -> f64 {
        self.logins as f64 / self.elapsed.as_secs_f64()
    }

    fn cpu_per_login_ms(&self) -> f64 {
        self.cpu.as_secs_f64() * 1000.0 / self.logins as f64
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// One line per turn, then the side's medians (token percentiles over all its turns).
fn report(name: &str, turns: &[Measured]) {
    for (turn, measured) in turns.iter().enumerate() {
        let mut token = measured.timings.token.clone();
        println!(
            "  {name:<44} tour {}: {:>5} logins in {:>5.2} s = {:>6.1} logins/s | CPU {:>4.2} ms/login | token p99 {:>6.2} ms",
            turn + 1,
            measured.logins,
            measured.elapsed.as_secs_f64(),
            measured.per_second(),
            measured.cpu_per_login_ms(),
            percentile(&mut token, 0.99),
        );
    }
    let mut all = Timings::default();
    for measured in turns {
        all.token.extend(&measured.timings.token);
        all.appear.extend(&measured.timings.appear);
    }
    let appear = if all.appear.is_empty() {
        String::new()
    } else {
        format!(
            " | request on device p50 {:>6.2} ms p95 {:>6.2} ms",
            percentile(&mut all.appear, 0.5),
            percentile(&mut all.appear, 0.95)
        )
    };
    println!(
        "{name:<44} median {:>7.1} logins/s | CPU {:>5.2} ms/login | token p50 {:>6.2} ms p99 {:>6.2} ms{appear}",
        median(turns.iter().map(Measured::per_second).collect()),
        median(turns.iter().map(Measured::cpu_per_login_ms).collect()),
        percentile(&mut all.token, 0.5),
        percentile(&mut all.token, 0.99),
    );
}

/// The world, its activated identities and the two clients the bench plays (a relying party
/// of FranceConnect+, and FranceConnect+ as La Poste's client).
struct WorldSide {
    world: idn_e2e::TestWorld,
    base: String,
    devices: Vec<(String, Device)>,
    rp: std::sync::Arc<Rp>,
    fc_secret: String,
    rp_reader: std::sync::Arc<Reader>,
    fc_reader: std::sync::Arc<Reader>,
}

impl WorldSide {
    async fn start() -> Self {
        let world = spawn_world(5).await;
        let base = world.running.base_url();
        println!("Identités : activation de {CLIENTS} appareils…");
        let mut devices = Vec::new();
        for i in 0..CLIENTS {
            let mobile = format!("+3363998{i:04}");
            let (_, device, _) = activated_device(
                &world.client,
                &world.trainer,
                world.dir.path(),
                &format!("banc{i}@exemple.fr"),
                &mobile,
                "2580",
            )
            .await;
            devices.push((mobile, device));
        }
        println!("Identités activées ; mesures…");
        let stored: Value = serde_json::from_slice(
            &std::fs::read(world.dir.path().join("world/federation-keys.json")).unwrap(),
        )
        .unwrap();
        let fc_secret = stored["fcplus_client_secret"].as_str().unwrap().to_owned();
        let fc_key = Jwk::from_map(stored["fcplus_decryption"].as_object().unwrap().clone()).unwrap();
        let jwks = |path: &'static str| {
            let base = base.clone();
            async move {
                let value: Value = get_json(&http(), format!("{base}{path}/jwks")).await;
                JwkSet::from_map(value.as_object().unwrap().clone()).unwrap()
            }
        };
        let laposte_keys = jwks("/laposte").await;
        let fcplus_keys = jwks("/fcplus").await;
        let mut key = Jwk::generate_ec_key(EcCurve::P256).unwrap();
        key.set_key_id("banc");
        let mut public = key.to_public_key().unwrap();
        public.set_key_id("banc");
        // Registering a relying party is the trainer's: the engine's console session as Bearer.
        let trainer = world.trainer.credential().expect("the trainer's session");
        let registered: Value = http()
            .post(format!("{base}/api/relying-parties"))
            .bearer_auth(trainer.expose())
            .json(&json!({ "name": "Banc d'essai", "redirect_uris": [CALLBACK], "encryption_jwk": serde_json::to_value(public.as_ref()).unwrap() }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let rp = std::sync::Arc::new(Rp {
            client_id: registered["client_id"].as_str().unwrap().to_owned(),
            secret: registered["client_secret"].as_str().unwrap().to_owned(),
        });
        // Each side's reader is made once, as a real client keeps its keys.
        let rp_reader = std::sync::Arc::new(Reader::new(&key, &fcplus_keys));
        let fc_reader = std::sync::Arc::new(Reader::new(&fc_key, &laposte_keys));
        Self {
            world,
            base,
            devices,
            rp,
            fc_secret,
            rp_reader,
            fc_reader,
        }
    }

    /// `rounds` rounds of `LOGINS_PER_ROUND` logins by each identity: through La Poste's
    /// provider alone (FranceConnect+ played by the bench), or the whole chain.
    async fn measure(&mut self, full_chain: bool, rounds: usize) -> Measured {
        let mut timings = Timings::default();
        let mut elapsed = Duration::ZERO;
        let mut cpu = Duration::ZERO;
        for _ in 0..rounds {
            // A new rate window for every identity.
            self.world.trainer.advance_clock(11 * 60).await.unwrap();
            let round_cpu = Cpu::start(vec![std::process::id()]);
            let started = Instant::now();
            let mut tasks = Vec::new();
            for (mobile, mut device) in self.devices.drain(..) {
                let (base, rp, fc_secret) = (self.base.clone(), self.rp.clone(), self.fc_secret.clone());
                let (rp_reader, fc_reader) = (self.rp_reader.clone(), self.fc_reader.clone());
                tasks.push(tokio::spawn(async move {
                    let client = http();
                    let mut timings = Timings::default();
                    for _ in 0..LOGINS_PER_ROUND {
                        let state = format!("{:064}", rand::random::<u64>());
                        let nonce = format!("{:064}", rand::random::<u64>());
                        if full_chain {
                            let mut url = reqwest::Url::parse(&format!("{base}/fcplus/authorize")).unwrap();
                            url.query_pairs_mut().extend_pairs([
                                ("response_type", "code"),
                                ("client_id", rp.client_id.as_str()),
                                ("redirect_uri", CALLBACK),
                                ("scope", "openid identite_pivot email"),
                                ("state", &state),
                                ("nonce", &nonce),
                                ("acr_values", "eidas2"),
                            ]);
                            let back = through_laposte(
                                &client,
                                &base,
                                url.to_string(),
                                &mobile,
                                &mut device,
                                CALLBACK,
                                &mut timings,
                            )
                            .await;
                            let credentials = (rp.client_id.as_str(), rp.secret.as_str());
                            exchange(
                                &client,
                                &base,
                                "/fcplus",
                                &param(&back, "code"),
                                CALLBACK,
                                credentials,
                                &rp_reader,
                                &mut timings,
                            )
                            .await;
                        } else {
                            let callback = format!("{base}/fcplus/callback");
                            let mut url = reqwest::Url::parse(&format!("{base}/laposte/authorize")).unwrap();
                            url.query_pairs_mut().extend_pairs([
                                ("response_type", "code"),
                                ("client_id", "franceconnect-plus"),
                                ("redirect_uri", callback.as_str()),
                                ("scope", "openid identite_pivot email"),
                                ("state", &state),
                                ("nonce", &nonce),
                                ("acr_values", "eidas2"),
                            ]);
                            let back = through_laposte(
                                &client,
                                &base,
                                url.to_string(),
                                &mobile,
                                &mut device,
                                &callback,
                                &mut timings,
                            )
                            .await;
                            let credentials = ("franceconnect-plus", fc_secret.as_str());
                            exchange(
                                &client,
                                &base,
                                "/laposte",
                                &param(&back, "code"),
                                &callback,
                                credentials,
                                &fc_reader,
                                &mut timings,
                            )
                            .await;
                        }
                    }
                    (mobile, device, timings)
                }));
            }
            for task in tasks {
                let (mobile, device, task_timings) = task.await.unwrap();
                self.devices.push((mobile, device));
                timings.token.extend(task_timings.token);
                timings.appear.extend(task_timings.appear);
            }
            elapsed += started.elapsed();
            cpu += round_cpu.used();
        }
        Measured {
            logins: CLIENTS * LOGINS_PER_ROUND * rounds,
            elapsed,
            cpu,
            timings,
        }
    }

    /// The delay a person sees: one client alone, from "S'identifier" to the request on the device.
    async fn appear_delay(&mut self) -> Timings {
        self.world.trainer.advance_clock(11 * 60).await.unwrap();
        let base = self.base.clone();
        let (mobile, device) = &mut self.devices[0];
        let client = http();
        let mut alone = Timings::default();
        let callback = format!("{base}/fcplus/callback");
        for _ in 0..LOGINS_PER_ROUND {
            let mut url = reqwest::Url::parse(&format!("{base}/laposte/authorize")).unwrap();
            url.query_pairs_mut().extend_pairs([
                ("response_type", "code"),
                ("client_id", "franceconnect-plus"),
                ("redirect_uri", callback.as_str()),
                ("scope", "openid"),
                ("state", &format!("{:064}", rand::random::<u64>())),
                ("nonce", &format!("{:064}", rand::random::<u64>())),
            ]);
            through_laposte(
                &client,
                &base,
                url.to_string(),
                mobile,
                device,
                &callback,
                &mut alone,
            )
            .await;
        }
        alone
    }
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    // `IDN_BENCH_ONLY=laposte|chaine|oidc-provider` measures one side alone (to profile it).
    let only = std::env::var("IDN_BENCH_ONLY").unwrap_or_default();
    let wanted = |side: &str| only.is_empty() || only == side;
    let mut world = if wanted("laposte") || wanted("chaine") {
        Some(WorldSide::start().await)
    } else {
        None
    };
    let node = if wanted("oidc-provider") {
        Some(OidcProvider::start().await)
    } else {
        None
    };
    let (mut laposte, mut chain, mut peer) = (Vec::new(), Vec::new(), Vec::new());
    // Warm-up (connections opened, node's JIT warm), then the sides take turns.
    for trial in 0..=TRIALS {
        let rounds = if trial == 0 { WARMUP_ROUNDS } else { ROUNDS };
        if let Some(world) = world.as_mut() {
            if wanted("laposte") {
                laposte.push(world.measure(false, rounds).await);
            }
            if wanted("chaine") {
                chain.push(world.measure(true, rounds).await);
            }
        }
        if let Some(node) = &node {
            peer.push(node.measure(rounds).await);
        }
    }
    for turns in [&mut laposte, &mut chain, &mut peer] {
        if !turns.is_empty() {
            turns.remove(0);
        }
    }
    if !laposte.is_empty() {
        report("fournisseur La Poste seul", &laposte);
    }
    if !chain.is_empty() {
        report("chaîne complète (RP → FC+ → La Poste → RP)", &chain);
    }
    if !peer.is_empty() {
        report("node oidc-provider 9 (ES256, connexion auto)", &peer);
    }
    if !laposte.is_empty() && !peer.is_empty() {
        let ratios: Vec<f64> = laposte
            .iter()
            .zip(&peer)
            .map(|(ours, theirs)| ours.per_second() / theirs.per_second())
            .collect();
        println!(
            "La Poste seul / node oidc-provider, tour par tour : {} → médiane {:.2}×",
            ratios
                .iter()
                .map(|r| format!("{r:.2}×"))
                .collect::<Vec<_>>()
                .join(" "),
            median(ratios.clone())
        );
    }
    drop(node);
    if let Some(mut world) = world {
        if only.is_empty() {
            let mut alone = world.appear_delay().await;
            println!(
                "délai « S'identifier » → demande sur l'appareil, 1 client : p50 {:.2} ms p95 {:.2} ms",
                percentile(&mut alone.appear, 0.5),
                percentile(&mut alone.appear, 0.95)
            );
        }
        world.world.running.stop().await;
    }
}
