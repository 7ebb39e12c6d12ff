//! The pages people see on the simulated FranceConnect+, La Poste identity provider and demo
//! services: one askama template each under `templates/` (all extending `site.html`, hence
//! `base.html` with its SIMULATION banner), with the typed context they show. Their French text
//! lives in the templates and in the constants here; every value is escaped by askama.

use super::rules::IdentityClaims;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

/// The visual identity of a page (`templates/site.html`): the body's class and the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Theme {
    FranceConnect,
    LaPoste,
    /// Mon Compte Formation.
    Formation,
    /// Mon Compte Élu.
    Elu,
    /// The world's welcome page, in La Poste's colours.
    Welcome,
}

impl Theme {
    pub fn css_class(self) -> &'static str {
        match self {
            Self::FranceConnect => "theme-fc",
            Self::LaPoste | Self::Welcome => "theme-laposte",
            Self::Formation => "theme-mcf",
            Self::Elu => "theme-mcf theme-elu",
        }
    }
}

/// A page ready to be sent: rendered when the response is made.
pub struct Page<T>(T);

impl<T: Template> Page<T> {
    pub fn new(template: T) -> Self {
        Self(template)
    }

    /// The page's HTML; only a value's `Display` could make it fail, and ours do not.
    pub fn html(&self) -> askama::Result<String> {
        self.0.render()
    }
}

impl<T: Template> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        match self.html() {
            Ok(html) => Html(html).into_response(),
            Err(error) => {
                tracing::error!(%error, "a page of the world could not be rendered");
                (StatusCode::INTERNAL_SERVER_ERROR, "Page indisponible.").into_response()
            }
        }
    }
}

// ----- FranceConnect+ -----

#[derive(Template)]
#[template(path = "fcplus/choice.html")]
pub struct FcChoice<'a> {
    theme: Theme,
    service: &'a str,
    choose_url: &'a str,
    cancel_url: &'a str,
    notice: Option<&'a str>,
}

/// "Je choisis un moyen pour me connecter sur : <service>".
pub fn fc_choice<'a>(
    service: &'a str,
    choose_url: &'a str,
    cancel_url: &'a str,
    notice: Option<&'a str>,
) -> Page<FcChoice<'a>> {
    Page(FcChoice {
        theme: Theme::FranceConnect,
        service,
        choose_url,
        cancel_url,
        notice,
    })
}

#[derive(Template)]
#[template(path = "fcplus/about.html")]
pub struct FcAbout {
    theme: Theme,
}

/// "Qu'est-ce que FranceConnect+ ?", told locally: the sandbox links to no real site.
pub fn fc_about() -> Page<FcAbout> {
    Page(FcAbout {
        theme: Theme::FranceConnect,
    })
}

pub const FC_IDP_FAILED: &str =
    "La connexion avec L'Identité Numérique La Poste n'a pas abouti. Choisissez à nouveau un moyen de connexion.";

#[derive(Template)]
#[template(path = "fcplus/error.html")]
pub struct FcError<'a> {
    theme: Theme,
    text: &'static str,
    reason: &'a str,
}

/// A request FranceConnect+ cannot answer to the client (unknown client, wrong address…).
pub fn fc_error(reason: &str) -> Page<FcError<'_>> {
    let text = match reason {
        "unknown_client" => "Ce service n'est pas enregistré auprès de FranceConnect+ (client_id inconnu).",
        "redirect_uri_mismatch" => {
            "L'adresse de retour demandée ne fait pas partie de celles enregistrées pour ce service."
        }
        "unknown_flow" => {
            "Cette connexion a expiré ou est introuvable : recommencez depuis le site du service."
        }
        "logout_refused" => {
            "La déconnexion demandée est invalide (id_token_hint, state ou adresse de retour non reconnus)."
        }
        _ => "La demande de connexion est invalide.",
    };
    Page(FcError {
        theme: Theme::FranceConnect,
        text,
        reason,
    })
}

// ----- La Poste identity provider -----

#[derive(Template)]
#[template(path = "laposte/login.html")]
pub struct LpLogin<'a> {
    theme: Theme,
    action: &'a str,
    cancel_url: &'a str,
    service: &'a str,
    error: Option<&'a str>,
    mobile: &'a str,
}

/// "Identifiez-vous avec votre Identité Numérique".
pub fn lp_login<'a>(
    action: &'a str,
    cancel_url: &'a str,
    service: &'a str,
    error: Option<&'a str>,
    mobile: &'a str,
) -> Page<LpLogin<'a>> {
    Page(LpLogin {
        theme: Theme::LaPoste,
        action,
        cancel_url,
        service,
        error,
        mobile,
    })
}

/// The addresses the waiting page links to, all within its login flow.
#[derive(Debug, Clone, Copy)]
pub struct WaitUrls<'a> {
    /// The page itself, which a person without JavaScript reloads.
    pub wait: &'a str,
    /// The server-sent events of the request's status.
    pub events: &'a str,
    /// Where to go once the phone answered.
    pub next: &'a str,
    pub cancel: &'a str,
}

#[derive(Template)]
#[template(path = "laposte/wait.html")]
pub struct LpWait<'a> {
    theme: Theme,
    service: &'a str,
    seconds_left: i64,
    /// The countdown as first shown, `m:ss`.
    countdown: String,
    wait_url: &'a str,
    events_url: &'a str,
    next_url: &'a str,
    cancel_url: &'a str,
}

/// The live wait for the approval on the phone, with the one-minute countdown.
pub fn lp_wait<'a>(service: &'a str, seconds_left: i64, urls: WaitUrls<'a>) -> Page<LpWait<'a>> {
    let shown = seconds_left.max(0);
    Page(LpWait {
        theme: Theme::LaPoste,
        service,
        seconds_left,
        countdown: format!("{}:{:02}", shown / 60, shown % 60),
        wait_url: urls.wait,
        events_url: urls.events,
        next_url: urls.next,
        cancel_url: urls.cancel,
    })
}

/// Why a login through La Poste did not go through; each has its own page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LpOutcome {
    Expired,
    Refused,
    UnknownNumber,
    NotActivated,
    Locked,
    TooManyRequests,
}

impl LpOutcome {
    pub fn id(self) -> &'static str {
        match self {
            Self::Expired => "delai-depasse",
            Self::Refused => "refusee",
            Self::UnknownNumber => "numero-inconnu",
            Self::NotActivated => "non-activee",
            Self::Locked => "bloquee",
            Self::TooManyRequests => "trop-de-demandes",
        }
    }

    fn text(self) -> (&'static str, &'static str) {
        match self {
            Self::Expired => (
                "Le délai d'une minute est dépassé",
                "La demande de connexion n'a pas été validée à temps dans l'application. Vous pouvez recommencer : une nouvelle demande sera envoyée.",
            ),
            Self::Refused => (
                "Connexion refusée depuis votre application",
                "Vous avez répondu « Ce n'est pas moi » dans l'application : la connexion est annulée. Si vous n'êtes pas à l'origine de cette demande, personne n'a pu se connecter à votre place.",
            ),
            Self::UnknownNumber => (
                "Numéro de mobile inconnu",
                "Aucune Identité Numérique n'est associée à ce numéro. Vérifiez le numéro saisi : c'est celui utilisé lors de la création de votre Identité Numérique.",
            ),
            Self::NotActivated => (
                "Identité Numérique pas encore activée",
                "Une Identité Numérique est en cours de création avec ce numéro, mais elle n'est pas encore activée. Terminez la vérification de votre identité puis l'activation dans l'application.",
            ),
            Self::Locked => (
                "Identité Numérique bloquée",
                "Votre code secret est bloqué après trop d'erreurs. Vérifiez à nouveau votre identité dans l'application pour choisir un nouveau code secret.",
            ),
            Self::TooManyRequests => (
                "Trop de demandes de connexion",
                "Des demandes attendent déjà votre réponse dans l'application, ou trop de demandes ont été faites en peu de temps. Répondez-y ou réessayez dans quelques minutes.",
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "laposte/outcome.html")]
pub struct LpOutcomePage<'a> {
    theme: Theme,
    id: &'static str,
    title: &'static str,
    text: &'static str,
    retry_url: &'a str,
    cancel_url: &'a str,
}

pub fn lp_outcome<'a>(
    outcome: LpOutcome,
    retry_url: &'a str,
    cancel_url: &'a str,
) -> Page<LpOutcomePage<'a>> {
    let (title, text) = outcome.text();
    Page(LpOutcomePage {
        theme: Theme::LaPoste,
        id: outcome.id(),
        title,
        text,
        retry_url,
        cancel_url,
    })
}

// ----- demo services (Mon Compte Formation, Mon Compte Élu) -----

/// What differs between the two demo services.
#[derive(Debug, Clone, Copy)]
pub struct SiteText {
    pub elu: bool,
    pub name: &'static str,
    pub prefix: &'static str,
    pub rights_label: &'static str,
    pub rights_amount: &'static str,
    pub training: &'static str,
    pub training_price: &'static str,
}

pub const MCF: SiteText = SiteText {
    elu: false,
    name: "Mon Compte Formation",
    prefix: "/mcf",
    rights_label: "Vos droits formation (CPF)",
    rights_amount: "1 500,00 €",
    training: "Bureautique : Excel niveau intermédiaire (fictive) — 21 heures à distance",
    training_price: "690,00 €",
};

pub const ELU: SiteText = SiteText {
    elu: true,
    name: "Mon Compte Élu",
    prefix: "/mce",
    rights_label: "Vos droits individuels à la formation des élus (DIFE)",
    rights_amount: "400,00 €",
    training: "Les finances locales pour les élus (fictive) — 14 heures",
    training_price: "380,00 €",
};

pub const RP_CLASSIC_REFUSED: &str = "Numéro de sécurité sociale ou mot de passe incorrect. Si votre compte a été créé après le 25 octobre 2022, connectez-vous avec FranceConnect+.";
pub const RP_CLASSIC_INVALID_NIR: &str =
    "Le numéro de sécurité sociale comporte 13 chiffres suivis d'une clé de 2 chiffres (15 au total).";
pub const RP_LOGGED_OUT: &str = "Vous êtes déconnecté de votre compte et de FranceConnect+.";
pub const RP_LOGIN_FAILED: &str = "La connexion avec FranceConnect+ n'a pas abouti. Vous pouvez réessayer.";
pub const RP_PURCHASE_NEEDS_FC: &str =
    "L'achat d'une formation nécessite une identification avec FranceConnect+ au moment de l'achat.";

fn theme(site: &SiteText) -> Theme {
    if site.elu {
        Theme::Elu
    } else {
        Theme::Formation
    }
}

/// What the login page shows besides its forms.
#[derive(Debug, Clone, Copy, Default)]
pub struct HomeMessages<'a> {
    pub error: Option<&'a str>,
    pub notice: Option<&'a str>,
    /// After « ME CONNECTER »: the sandbox has no account with identifiers, only FranceConnect+.
    pub simulated_only: bool,
}

#[derive(Template)]
#[template(path = "services/home.html")]
pub struct RpHome<'a> {
    theme: Theme,
    site: &'a SiteText,
    error: Option<&'a str>,
    notice: Option<&'a str>,
    simulated_only: bool,
}

/// The login page of the guides: FranceConnect+ first, « OU », then the identifiers.
pub fn rp_home<'a>(site: &'a SiteText, messages: HomeMessages<'a>) -> Page<RpHome<'a>> {
    Page(RpHome {
        theme: theme(site),
        site,
        error: messages.error,
        notice: messages.notice,
        simulated_only: messages.simulated_only,
    })
}

/// The login page's links to what the sandbox does not simulate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotSimulated {
    /// « MOT DE PASSE OUBLIÉ ».
    ForgottenPassword,
    /// « CRÉER MON COMPTE ».
    NewAccount,
}

impl NotSimulated {
    pub fn title(self) -> &'static str {
        match self {
            Self::ForgottenPassword => "Mot de passe oublié",
            Self::NewAccount => "Créer mon compte",
        }
    }
}

#[derive(Template)]
#[template(path = "services/not_simulated.html")]
pub struct RpNotSimulated<'a> {
    theme: Theme,
    site: &'a SiteText,
    topic: NotSimulated,
}

pub fn rp_not_simulated(site: &SiteText, topic: NotSimulated) -> Page<RpNotSimulated<'_>> {
    Page(RpNotSimulated {
        theme: theme(site),
        site,
        topic,
    })
}

#[derive(Template)]
#[template(path = "services/account.html")]
pub struct RpAccount<'a> {
    theme: Theme,
    site: &'a SiteText,
    identity: &'a IdentityClaims,
    sub: &'a str,
    purchased: bool,
    purchase_needs_fc: &'static str,
}

impl RpAccount<'_> {
    fn gender(&self) -> &'static str {
        match self.identity.gender.as_str() {
            "female" => "Femme",
            "male" => "Homme",
            _ => "—",
        }
    }
}

/// The person's space after login: their pivot identity, their rights and a training to buy.
pub fn rp_account<'a>(
    site: &'a SiteText,
    identity: &'a IdentityClaims,
    sub: &'a str,
    purchased: bool,
) -> Page<RpAccount<'a>> {
    Page(RpAccount {
        theme: theme(site),
        site,
        identity,
        sub,
        purchased,
        purchase_needs_fc: RP_PURCHASE_NEEDS_FC,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = r#"<script>alert("x")</script> d'Arc"#;
    const ESCAPED: &str = "&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62; d&#39;Arc";

    fn html<T: Template>(page: Page<T>) -> String {
        page.html().expect("every page renders")
    }

    fn identity(given_name: &str) -> IdentityClaims {
        IdentityClaims {
            given_name: given_name.to_owned(),
            family_name: "LEFÈVRE".to_owned(),
            birthdate: "1990-05-17".to_owned(),
            gender: "female".to_owned(),
            birthplace: "75056".to_owned(),
            birthcountry: "99100".to_owned(),
            preferred_username: String::new(),
            email: "jeanne@exemple.fr".to_owned(),
        }
    }

    /// Every page of this module, as a person can meet it.
    fn every_page() -> Vec<(&'static str, String)> {
        let urls = WaitUrls {
            wait: "/laposte/attente/f",
            events: "/laposte/attente/f/evenements",
            next: "/laposte/suite/f",
            cancel: "/laposte/abandon/f",
        };
        let claims = identity("Jeanne");
        let mut pages = vec![
            (
                "fc_choice",
                html(fc_choice("Mon Compte Formation", "/a", "/b", Some(FC_IDP_FAILED))),
            ),
            ("fc_about", html(fc_about())),
            ("fc_error", html(fc_error("unknown_flow"))),
            (
                "lp_login",
                html(lp_login(
                    "/a",
                    "/b",
                    "Mon Compte Formation",
                    Some("Numéro invalide"),
                    "",
                )),
            ),
            ("lp_wait", html(lp_wait("Mon Compte Formation", 60, urls))),
            ("rp_home", html(rp_home(&MCF, HomeMessages::default()))),
            ("rp_home_elu", html(rp_home(&ELU, HomeMessages::default()))),
            (
                "rp_password",
                html(rp_not_simulated(&MCF, NotSimulated::ForgottenPassword)),
            ),
            (
                "rp_new_account",
                html(rp_not_simulated(&ELU, NotSimulated::NewAccount)),
            ),
            ("rp_account", html(rp_account(&MCF, &claims, "sub", false))),
            ("rp_account_bought", html(rp_account(&ELU, &claims, "sub", true))),
        ];
        for outcome in [
            LpOutcome::Expired,
            LpOutcome::Refused,
            LpOutcome::UnknownNumber,
            LpOutcome::NotActivated,
            LpOutcome::Locked,
            LpOutcome::TooManyRequests,
        ] {
            pages.push((outcome.id(), html(lp_outcome(outcome, "/retry", "/back"))));
        }
        pages
    }

    #[test]
    fn every_page_has_its_simulation_banner_in_the_header_landmark_and_nothing_outside_landmarks() {
        for (name, page) in every_page() {
            let body = page
                .split_once("<body")
                .and_then(|(_, rest)| rest.split_once('>'))
                .map(|(_, rest)| rest)
                .expect("a body");
            let body = body.trim_start();
            assert!(
                body.starts_with(r#"<header class="site-top">"#),
                "{name}: the body opens with the banner landmark"
            );
            let (header, rest) = body.split_once("</header>").expect("a closed header");
            assert!(
                header.contains(r#"<div class="simulation" role="note">SIMULATION"#),
                "{name}: the SIMULATION banner is inside the header"
            );
            let rest = rest.trim_start();
            assert!(rest.starts_with("<main>"), "{name}: main follows the header");
            let (_, after_main) = rest.split_once("</main>").expect("a closed main");
            let after_main = after_main.trim_start();
            assert!(
                after_main.starts_with("<footer>"),
                "{name}: only the footer follows main"
            );
            let (_, after_footer) = after_main.split_once("</footer>").expect("a closed footer");
            assert_eq!(
                after_footer.trim(),
                "</body></html>",
                "{name}: nothing after the footer"
            );
            assert_eq!(page.matches("<h1").count(), 1, "{name}: one main heading");
        }
    }

    #[test]
    fn no_page_links_to_a_real_site_or_phone_number() {
        for (name, page) in every_page() {
            assert!(
                !page.contains("href=\"http") && !page.contains("tel:") && !page.contains("mailto:"),
                "{name}: links stay in the world"
            );
        }
    }

    #[test]
    fn a_hostile_service_name_is_shown_as_text() {
        let urls = WaitUrls {
            wait: "/w",
            events: "/e",
            next: "/n",
            cancel: "/c",
        };
        for (name, page) in [
            ("fc_choice", html(fc_choice(HOSTILE, "/a", "/b", None))),
            ("lp_login", html(lp_login("/a", "/b", HOSTILE, None, HOSTILE))),
            ("lp_wait", html(lp_wait(HOSTILE, 60, urls))),
        ] {
            assert!(
                !page.contains(HOSTILE),
                "{name}: the raw name never reaches the page"
            );
            assert!(
                page.contains(ESCAPED),
                "{name}: the name is escaped, quotes included"
            );
            assert_eq!(
                page.matches("<script").count(),
                usize::from(name == "lp_wait"),
                "{name}"
            );
        }
    }

    #[test]
    fn a_hostile_given_name_is_shown_as_text_on_the_account_page() {
        let page = html(rp_account(&MCF, &identity(HOSTILE), "\"sub'", false));
        assert!(!page.contains(HOSTILE) && !page.contains("<script"));
        assert!(page.contains(&format!(r#"<h1 id="bienvenue">Bonjour {ESCAPED}</h1>"#)));
        assert!(page.contains(&format!(r#"<dd id="given_name">{ESCAPED}</dd>"#)));
        assert!(page.contains("&#34;sub&#39;"), "the identifier is escaped too");
    }

    #[test]
    fn a_hostile_address_stays_inside_its_attribute() {
        let hostile = r#"/x" onmouseover="alert(1)"#;
        let page = html(lp_outcome(LpOutcome::Expired, hostile, "/b"));
        assert!(!page.contains(hostile));
        assert!(page.contains(r#"href="/x&#34; onmouseover=&#34;alert(1)""#));
    }

    #[test]
    fn the_service_login_page_is_the_guides_one() {
        for site in [&MCF, &ELU] {
            let page = html(rp_home(site, HomeMessages::default()));
            for text in [
                "<h1>Connexion</h1>",
                "Attention !</b> Votre parcours d'achat s'est davantage sécurisé avec FranceConnect+.",
                "Vos données de connexion sont strictement personnelles, veuillez à ne pas les communiquer à une autre personne.",
                "<h2 id=\"titre-fc\">Connexion FranceConnect+</h2>",
                "FranceConnect+ assure la sécurité de votre CPF grâce à l'Identité Numérique La Poste.",
                "S'identifier avec",
                "Qu'est-ce que FranceConnect+ ?",
                ">OU<",
                "<h2 id=\"titre-identifiants\">Connexion avec vos identifiants</h2>",
                "Votre mot de passe comporte au minimum 8 caractères, dont une majuscule, une minuscule et un chiffre.",
                ">ME CONNECTER</button>",
                ">MOT DE PASSE OUBLIÉ</a>",
                "Vous n'avez pas de compte ? <a",
                ">CRÉER MON COMPTE</a>",
                "téléconseiller au <span class=\"telephone\">09 70 81 00 50</span>",
            ] {
                assert!(page.contains(text), "{}: « {text} » is on the login page", site.name);
            }
            assert_eq!(
                page.matches("type=\"submit\"").count(),
                1,
                "« ME CONNECTER » is the page's one submit button"
            );
            assert!(!page.contains("seul-fc-simule"), "no account was tried yet");
        }
        let tried = html(rp_home(
            &MCF,
            HomeMessages {
                error: Some(RP_CLASSIC_REFUSED),
                notice: None,
                simulated_only: true,
            },
        ));
        assert!(tried.contains("seule la connexion avec FranceConnect+ est simulée"));
    }

    #[test]
    fn franceconnect_offers_la_poste_alone_and_says_why() {
        let page = html(fc_choice("Mon Compte Formation", "/a", "/b", None));
        assert!(page.contains("Je choisis un moyen pour me connecter sur : Mon Compte Formation"));
        assert!(page.contains("J'utilise l'application"));
        assert!(page.contains("<summary>Pourquoi je ne retrouve pas mes comptes habituels ?</summary>"));
        assert_eq!(page.matches("class=\"provider\"").count(), 1, "one provider");
        assert!(
            !page.contains("autres moyens") && !page.contains("par exemple"),
            "no other provider is suggested"
        );
    }

    #[test]
    fn the_real_support_contacts_are_marked_as_not_called_by_the_sandbox() {
        let pages = every_page();
        for name in ["lp_login", "rp_home", "rp_password", "bloquee", "numero-inconnu"] {
            let (_, page) = pages.iter().find(|(page, _)| *page == name).unwrap();
            for text in [
                "du lundi au vendredi de 8h30 à 19h et samedi de 8h30 à 13h, hors jours fériés",
                "Consultez le <b>tuto</b>",
                "Consultez la <b>FAQ</b>",
                "contacts du vrai service L'Identité Numérique La Poste",
                "Le bac à sable ne les appelle jamais",
            ] {
                assert!(page.contains(text), "{name}: « {text} »");
            }
        }
    }

    #[test]
    fn the_waiting_page_tells_a_person_without_javascript_to_reload() {
        let urls = WaitUrls {
            wait: "/laposte/attente/f",
            events: "/laposte/attente/f/evenements",
            next: "/laposte/suite/f",
            cancel: "/laposte/abandon/f",
        };
        let page = html(lp_wait("Mon Compte Formation", 60, urls));
        let (_, noscript) = page.split_once("<noscript>").expect("a noscript");
        let (noscript, _) = noscript.split_once("</noscript>").unwrap();
        assert!(noscript.contains(r#"<a href="/laposte/attente/f">rechargez cette page</a>"#));
        assert!(page.contains(r#"data-seconds="60""#) && page.contains(">1:00</div>"));
        assert!(page.contains(r#"data-events="/laposte/attente/f/evenements""#));
        assert!(page.contains(r#"data-next="/laposte/suite/f""#));
    }
}
