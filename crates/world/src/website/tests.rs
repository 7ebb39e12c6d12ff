//! The web site as a browser uses it: forms posted, cookies kept, redirects followed. Each step
//! page is answered with its own form, whatever order the journey asks them in.

use crate::clock::SystemWallClock;
use crate::{World, WorldOptions};
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use std::sync::Arc;
use tower::ServiceExt;

mod postal;

const EMAIL: &str = "camille.martin@exemple.fr";
const PASSWORD: &str = "Formation2026";
const ORIGIN: &str = "http://localhost";

struct Browser {
    app: Router,
    cookies: Vec<(String, String)>,
}

struct Answer {
    status: StatusCode,
    location: Option<String>,
    html: String,
}

impl Browser {
    fn new(app: &Router) -> Self {
        Self {
            app: app.clone(),
            cookies: Vec::new(),
        }
    }

    async fn send(&mut self, request: axum::http::request::Builder, body: String) -> Answer {
        let mut request = request.header(header::HOST, "localhost");
        if !self.cookies.is_empty() {
            let line: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            request = request.header(header::COOKIE, line.join("; "));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        for set in response.headers().get_all(header::SET_COOKIE) {
            let text = set.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(k, _)| k != name);
            if !attributes.contains("Max-Age=0") {
                self.cookies.push((name.to_owned(), value.to_owned()));
            }
        }
        let status = response.status();
        let location = response
            .headers()
            .get(header::LOCATION)
            .map(|value| value.to_str().unwrap().to_owned());
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        Answer {
            status,
            location,
            html: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    async fn get(&mut self, path: &str) -> Answer {
        self.send(Request::get(path), String::new()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Answer {
        self.post_from(path, fields, ORIGIN).await
    }

    async fn post_from(&mut self, path: &str, fields: &[(&str, &str)], origin: &str) -> Answer {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ORIGIN, origin);
        self.send(request, body).await
    }
}

async fn world() -> (tempfile::TempDir, Arc<World>, Router) {
    let dir = tempfile::tempdir().unwrap();
    let world = Arc::new(
        World::open(WorldOptions::new(dir.path()), Arc::new(SystemWallClock))
            .await
            .unwrap(),
    );
    let app = crate::http::app(world.clone());
    (dir, world, app)
}

fn step_of(html: &str) -> String {
    let start = html.find("data-step=\"").expect("a step page") + "data-step=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The newest code the world sent this learner.
async fn last_code(world: &World, email: &str) -> String {
    let learner = world
        .learners()
        .await
        .unwrap()
        .into_iter()
        .find(|learner| learner.email.as_deref() == Some(email))
        .unwrap();
    let inbox = world.inbox(&learner.id).await.unwrap();
    inbox
        .iter()
        .filter_map(|message| message.code.clone())
        .next_back()
        .expect("a code was sent")
}

const IDENTITY: &[(&str, &str)] = &[
    ("action", "enter_identity"),
    ("document_type", "cni"),
    ("sex", "female"),
    ("given_names", "Camille, Louise"),
    ("birth_name", "Martin"),
    ("birth_date", "1990-04-12"),
    ("born", "france"),
    ("birth_commune", "Paris"),
    ("birth_insee_code", "75056"),
    ("nationality", "FRA"),
    ("issue_date", "2022-02-10"),
    ("expiry_date", "2032-02-09"),
    ("document_number_ending", "4Z81"),
];

/// Answers the page's step with its form, until the choice of the verification mode.
async fn walk_to_the_choice(browser: &mut Browser, world: &World) -> Answer {
    let mut page = browser.get("/identite-numerique/parcours").await;
    for _ in 0..12 {
        let step = step_of(&page.html);
        let answer = match step.as_str() {
            "email_code" | "mobile_code" => {
                let code = last_code(world, EMAIL).await;
                let action = if step == "email_code" {
                    "confirm_email"
                } else {
                    "confirm_mobile"
                };
                browser
                    .post(
                        "/identite-numerique/parcours",
                        &[("action", action), ("code", &code)],
                    )
                    .await
            }
            "password" => {
                browser
                    .post(
                        "/identite-numerique/parcours",
                        &[("action", "choose_password"), ("password", PASSWORD)],
                    )
                    .await
            }
            "mobile" => {
                browser
                    .post(
                        "/identite-numerique/parcours",
                        &[("action", "register_mobile"), ("mobile", "0612345678")],
                    )
                    .await
            }
            "profile" => {
                browser
                    .post(
                        "/identite-numerique/parcours",
                        &[
                            ("action", "complete_profile"),
                            ("civility", "madame"),
                            ("first_name", "Camille"),
                            ("last_name", "Martin"),
                            ("terms_accepted", "on"),
                        ],
                    )
                    .await
            }
            "identity_data" => browser.post("/identite-numerique/parcours", IDENTITY).await,
            "identity_confirmation" => {
                browser
                    .post("/identite-numerique/parcours", &[("action", "confirm_identity")])
                    .await
            }
            "verification_choice" => return page,
            other => panic!("unexpected step {other}"),
        };
        assert_eq!(
            answer.status,
            StatusCode::SEE_OTHER,
            "step {step} refused: {}",
            answer.html
        );
        page = browser.get(answer.location.as_deref().unwrap()).await;
    }
    panic!("the choice never came");
}

#[tokio::test]
async fn a_learner_creates_the_account_on_the_site_then_the_phone_goes_on_from_there() {
    let (_dir, world, app) = world().await;
    let mut browser = Browser::new(&app);

    let home = browser.get("/identite-numerique/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home
        .html
        .contains("Simplifiez et sécurisez vos démarches en ligne"));
    assert!(home.html.contains("SIMULATION"));
    let create = browser.get("/identite-numerique/creer").await;
    assert!(create.html.contains("Continuer sur le site web"));
    assert!(create.html.contains("/qr/smartphone.png"));

    let opened = browser
        .post("/identite-numerique/compte", &[("email", EMAIL)])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.html);
    assert!(browser.cookies.iter().any(|(name, _)| name == "idn_site"));

    // A wrong code: the page says why and keeps what was typed.
    let wrong = browser
        .post(
            "/identite-numerique/parcours",
            &[("action", "confirm_email"), ("code", "000000")],
        )
        .await;
    assert_eq!(step_of(&wrong.html), "email_code");
    assert!(wrong.html.contains("role=\"alert\""), "{}", wrong.html);
    assert!(wrong.html.contains("value=\"000000\""));

    let choice = walk_to_the_choice(&mut browser, &world).await;
    assert!(choice.html.contains("aria-current=\"step\""));
    assert!(choice
        .html
        .contains("03</span><span class=\"label\">Vérification de votre identité"));
    assert!(choice.html.contains("En France et Outre-mer éligible"));
    assert!(
        !choice.html.contains("by_post"),
        "the postal procedure is not a choice here"
    );
    let chosen = browser
        .post(
            "/identite-numerique/parcours",
            &[("action", "choose_verification"), ("mode", "face_to_face")],
        )
        .await;
    assert_eq!(chosen.status, StatusCode::SEE_OTHER, "{}", chosen.html);
    let next = browser.get("/identite-numerique/parcours").await;
    assert!(
        next.html.contains("Continuez sur votre smartphone"),
        "{}",
        next.html
    );
    assert!(next.html.contains("15 jours"));

    // The phone: « Se connecter » with the same identifiers, a code, and the same step.
    let challenge = world.start_account_login(EMAIL, PASSWORD).await.unwrap();
    let code = last_code(&world, EMAIL).await;
    let on_the_phone = world.confirm_account_login(EMAIL, &code).await.unwrap();
    assert_eq!(on_the_phone.id, challenge.account_id);
    assert_eq!(on_the_phone.step, idn_journey::Step::FaceToFace);
}

#[tokio::test]
async fn se_connecter_on_the_site_resumes_where_the_account_stands() {
    let (_dir, world, app) = world().await;
    let mut first = Browser::new(&app);
    first
        .post("/identite-numerique/compte", &[("email", EMAIL)])
        .await;
    walk_to_the_choice(&mut first, &world).await;
    let signed_out = first.post("/identite-numerique/deconnexion", &[]).await;
    assert_eq!(signed_out.status, StatusCode::SEE_OTHER);
    assert_eq!(
        first
            .get("/identite-numerique/parcours")
            .await
            .location
            .as_deref(),
        Some("/identite-numerique/connexion"),
        "signed out: the steps are not shown"
    );

    let mut other = Browser::new(&app);
    let wrong = other
        .post(
            "/identite-numerique/connexion",
            &[("email", EMAIL), ("password", "PasLeBon2026")],
        )
        .await;
    assert!(wrong.html.contains("role=\"alert\""));
    let asked = other
        .post(
            "/identite-numerique/connexion",
            &[("email", EMAIL), ("password", PASSWORD)],
        )
        .await;
    assert!(asked.html.contains("Code de confirmation"), "{}", asked.html);
    let inbox = other.get("/identite-numerique/messagerie").await;
    assert!(inbox.html.contains("Ma messagerie (simulation)"));
    let code = last_code(&world, EMAIL).await;
    assert!(
        inbox.html.contains(&code),
        "the code's message is readable while signing in"
    );
    let confirmed = other
        .post("/identite-numerique/connexion/code", &[("code", &code)])
        .await;
    assert_eq!(
        confirmed.location.as_deref(),
        Some("/identite-numerique/parcours")
    );
    let page = other.get("/identite-numerique/parcours").await;
    assert_eq!(step_of(&page.html), "verification_choice");
}

#[tokio::test]
async fn another_sites_form_changes_nothing() {
    let (_dir, world, app) = world().await;
    let mut browser = Browser::new(&app);
    browser
        .post("/identite-numerique/compte", &[("email", EMAIL)])
        .await;
    let code = last_code(&world, EMAIL).await;
    let forged = browser
        .post_from(
            "/identite-numerique/parcours",
            &[("action", "confirm_email"), ("code", &code)],
            "https://pirate.example",
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    let page = browser.get("/identite-numerique/parcours").await;
    assert_eq!(step_of(&page.html), "email_code", "the forged form did nothing");

    let opened = browser
        .post_from(
            "/identite-numerique/compte",
            &[("email", "autre@exemple.fr")],
            "https://pirate.example",
        )
        .await;
    assert_eq!(opened.status, StatusCode::FORBIDDEN);
    assert_eq!(world.learners().await.unwrap().len(), 1);

    let mut stranger = Browser::new(&app);
    assert_eq!(
        stranger
            .get("/identite-numerique/messagerie")
            .await
            .location
            .as_deref(),
        Some("/identite-numerique/connexion"),
        "no cookie, no mailbox"
    );
}

#[tokio::test]
async fn en_ligne_needs_ar24_terms_ticked_before_confirmer() {
    let (_dir, world, app) = world().await;
    let mut browser = Browser::new(&app);
    browser
        .post("/identite-numerique/compte", &[("email", EMAIL)])
        .await;
    let choice = walk_to_the_choice(&mut browser, &world).await;
    assert!(choice.html.contains("Conditions générales d'utilisation de AR24"));
    assert!(choice
        .html
        .contains("J'accepte les conditions générales d'utilisation de AR24."));

    let unticked = browser
        .post(
            "/identite-numerique/parcours",
            &[("action", "choose_verification"), ("mode", "online")],
        )
        .await;
    assert!(
        unticked
            .html
            .contains("Acceptez les conditions générales d&#39;utilisation de AR24 pour continuer."),
        "{}",
        unticked.html
    );
    assert_eq!(step_of(&unticked.html), "verification_choice");

    let ticked = browser
        .post(
            "/identite-numerique/parcours",
            &[
                ("action", "choose_verification"),
                ("mode", "online"),
                ("terms_accepted", "on"),
            ],
        )
        .await;
    assert_eq!(ticked.status, StatusCode::SEE_OTHER, "{}", ticked.html);
    let next = browser.get("/identite-numerique/parcours").await;
    assert!(next
        .html
        .contains("AR24 vous envoie une lettre recommandée électronique"));
    let learner = world
        .learners()
        .await
        .unwrap()
        .into_iter()
        .find(|learner| learner.email.as_deref() == Some(EMAIL))
        .unwrap();
    let subjects: Vec<String> = world
        .inbox(&learner.id)
        .await
        .unwrap()
        .into_iter()
        .map(|message| message.subject)
        .collect();
    assert_eq!(
        subjects.last_chunk::<2>(),
        Some(&[
            "Envoi d'une lettre recommandée électronique".to_owned(),
            "Vous avez reçu un courrier recommandé électronique".to_owned(),
        ]),
        "AR24 announces the letter, then sends it"
    );
}
