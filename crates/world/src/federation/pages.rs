//! The pages people see on the simulated FranceConnect+, La Poste identity provider and demo
//! services, with all their French text in one place. Every page says "Simulation" at the top.

use super::rules::IdentityClaims;
use axum::response::Html;

const STYLE: &str = include_str!("../../federation-assets/style.css");
const SIMULATION_BANNER: &str =
    "SIMULATION — IDN Sandbox : aucun service réel de La Poste ni de FranceConnect n'est contacté";

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The visual identity of a page.
#[derive(Debug, Clone, Copy)]
pub enum Theme {
    FranceConnect,
    LaPoste,
    Service { elu: bool },
}

fn layout(theme: Theme, title: &str, body: &str) -> Html<String> {
    let (class, logo, sub) = match theme {
        Theme::FranceConnect => (
            "theme-fc",
            "FranceConnect<b>+</b>",
            "Simulation du service de l'État",
        ),
        Theme::LaPoste => (
            "theme-laposte",
            "L'Identité Numérique <b>La Poste</b>",
            "Simulation du fournisseur d'identité",
        ),
        Theme::Service { elu: false } => (
            "theme-mcf",
            "Mon Compte Formation",
            "moncompteformation (simulation)",
        ),
        Theme::Service { elu: true } => (
            "theme-mcf theme-elu",
            "Mon Compte Élu",
            "Droits DIFE (simulation)",
        ),
    };
    Html(format!(
        r#"<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} — Simulation</title><style>{STYLE}</style></head>
<body class="{class}"><div class="simulation" role="note">{SIMULATION_BANNER}</div>
<header class="site"><span class="logo">{logo}</span><span class="sub">{sub}</span></header>
<main>{body}</main>
<footer>IDN Sandbox — simulation pédagogique. Les identités affichées sont fictives.</footer>
</body></html>"#,
        title = esc(title),
    ))
}

fn message_box(class: &str, text: Option<&str>) -> String {
    text.map(|text| format!(r#"<div class="{class}" role="alert">{}</div>"#, esc(text)))
        .unwrap_or_default()
}

// ----- FranceConnect+ -----

/// "Je choisis un moyen pour me connecter sur : <service>".
pub fn fc_choice(service: &str, choose_url: &str, cancel_url: &str, notice: Option<&str>) -> Html<String> {
    layout(
        Theme::FranceConnect,
        "Je choisis un moyen pour me connecter",
        &format!(
            r#"<div class="card"><h1>Je choisis un moyen pour me connecter sur : {service}</h1>
{notice}
<p>FranceConnect<b>+</b> vous permet d'accéder aux services en ligne qui demandent une identité vérifiée (niveau eIDAS substantiel).</p>
<a class="provider" id="fournisseur-laposte" href="{choose_url}"><span class="mark">LP</span><span>L'Identité Numérique La Poste</span></a>
<p class="hint">Les autres moyens de connexion ne sont pas simulés dans ce bac à sable.</p>
<p class="links"><a href="{cancel_url}">Revenir sur {service}</a></p></div>"#,
            service = esc(service),
            notice = message_box("notice", notice),
            choose_url = esc(choose_url),
            cancel_url = esc(cancel_url),
        ),
    )
}

/// "Qu'est-ce que FranceConnect+ ?", told locally: the sandbox links to no real site.
pub fn fc_about() -> Html<String> {
    layout(
        Theme::FranceConnect,
        "Qu'est-ce que FranceConnect+ ?",
        r#"<div class="card"><h1>Qu'est-ce que FranceConnect+ ?</h1>
<p>FranceConnect<b>+</b> est la version de FranceConnect réservée aux services qui demandent une identité vérifiée au niveau eIDAS « substantiel » ou « élevé », comme l'achat d'une formation sur Mon Compte Formation depuis le 25 octobre 2022.</p>
<p>Vous vous connectez avec un moyen d'identification de ce niveau, par exemple L'Identité Numérique La Poste : vous saisissez votre numéro de mobile, puis vous validez la connexion dans l'application avec votre code secret, dans la minute.</p>
<p>Le service reçoit votre identité pivot (prénoms, nom de naissance, date, lieu et pays de naissance, sexe) et votre adresse électronique.</p></div>"#,
    )
}

pub const FC_IDP_FAILED: &str =
    "La connexion avec L'Identité Numérique La Poste n'a pas abouti. Choisissez à nouveau un moyen de connexion.";

/// A request FranceConnect+ cannot answer to the client (unknown client, wrong address…).
pub fn fc_error(reason: &str) -> Html<String> {
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
    layout(
        Theme::FranceConnect,
        "Erreur",
        &format!(
            r#"<div class="card"><h1>Une erreur est survenue</h1>{}<p class="hint">Code : {}</p></div>"#,
            message_box("error", Some(text)),
            esc(reason)
        ),
    )
}

// ----- La Poste identity provider -----

/// "Identifiez-vous avec votre Identité Numérique".
pub fn lp_login(
    action: &str,
    cancel_url: &str,
    service: &str,
    error: Option<&str>,
    mobile: &str,
) -> Html<String> {
    layout(
        Theme::LaPoste,
        "Identifiez-vous",
        &format!(
            r#"<div class="card"><h1>Identifiez-vous avec votre Identité Numérique</h1>
<p>Pour accéder à <b>{service}</b> via FranceConnect<b>+</b>.</p>{error}
<form method="post" action="{action}">
<label for="mobile">+33 Numéro de Mobile</label>
<input type="tel" id="mobile" name="mobile" autocomplete="tel" placeholder="+33 6 12 34 56 78" value="{mobile}" required>
<p class="hint">Le numéro de mobile utilisé lors de la création de votre Identité Numérique.</p>
<button class="btn primary" type="submit" id="s-identifier">S'identifier</button>
</form>
<p class="links">Vous n'avez pas d'Identité Numérique ? <a href="/laposte/creer">Créer mon Identité Numérique</a></p>
<p class="links"><a href="{cancel_url}">Revenir à FranceConnect+</a></p></div>"#,
            service = esc(service),
            error = message_box("error", error),
            action = esc(action),
            cancel_url = esc(cancel_url),
            mobile = esc(mobile),
        ),
    )
}

/// How to get an identity: in the app, as journey.md describes.
pub fn lp_create() -> Html<String> {
    layout(
        Theme::LaPoste,
        "Créer mon Identité Numérique",
        r#"<div class="card"><h1>Créer mon Identité Numérique</h1>
<p>L'Identité Numérique se crée dans l'application « L'Identité Numérique » : compte La Poste, informations de votre pièce d'identité, vérification (en bureau de poste, en ligne avec AR24 ou par courrier), puis activation et choix d'un code secret à 4 chiffres.</p>
<p>Dans ce bac à sable, l'application simulée ou la commande <code>idn demo</code> font tout le parcours.</p></div>"#,
    )
}

/// The live wait for the approval on the phone, with the one-minute countdown.
pub fn lp_wait(
    service: &str,
    seconds_left: i64,
    events_url: &str,
    next_url: &str,
    cancel_url: &str,
) -> Html<String> {
    layout(
        Theme::LaPoste,
        "Validez sur votre téléphone",
        &format!(
            r#"<div class="card"><h1>Validez la connexion dans votre application</h1>
<div class="phone" aria-hidden="true"><span></span></div>
<p class="lead">Une demande de connexion à <b>{service}</b> a été envoyée à l'application « L'Identité Numérique ». Ouvrez-la et saisissez votre code secret pour l'accepter.</p>
<p>Temps restant pour valider :</p>
<div class="countdown" id="compte-a-rebours" data-seconds="{seconds_left}">{minutes}:{seconds:02}</div>
<p class="hint" id="etat">En attente de votre validation…</p>
<p class="links"><a href="{cancel_url}">Annuler et revenir à FranceConnect+</a></p></div>
<script>
(function () {{
  var left = {seconds_left};
  var shown = document.getElementById('compte-a-rebours');
  function draw() {{ var s = Math.max(0, left); shown.textContent = Math.floor(s / 60) + ':' + String(s % 60).padStart(2, '0'); }}
  setInterval(function () {{ left -= 1; draw(); }}, 1000);
  var source = new EventSource('{events_url}');
  source.addEventListener('statut', function (event) {{
    var data = JSON.parse(event.data);
    left = data.seconds_left; draw();
    if (data.status !== 'pending') {{
      source.close();
      document.getElementById('etat').textContent = 'Réponse reçue…';
      window.location.assign('{next_url}');
    }}
  }});
}})();
</script>"#,
            service = esc(service),
            minutes = seconds_left.max(0) / 60,
            seconds = seconds_left.max(0) % 60,
            events_url = esc(events_url),
            next_url = esc(next_url),
            cancel_url = esc(cancel_url),
        ),
    )
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

pub fn lp_outcome(outcome: LpOutcome, retry_url: &str, cancel_url: &str) -> Html<String> {
    let (title, text) = outcome.text();
    layout(
        Theme::LaPoste,
        title,
        &format!(
            r#"<div class="card" id="issue-{id}"><h1>{title}</h1>{text}
<a class="btn primary" href="{retry_url}" id="reessayer">Réessayer</a>
<p class="links"><a href="{cancel_url}" id="retour-fc">Revenir à FranceConnect+</a></p></div>"#,
            id = outcome.id(),
            title = esc(title),
            text = message_box("error", Some(text)),
            retry_url = esc(retry_url),
            cancel_url = esc(cancel_url),
        ),
    )
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
    Theme::Service { elu: site.elu }
}

/// The login page of the guides: FranceConnect+ first, then the classic form.
pub fn rp_home(site: &SiteText, error: Option<&str>, notice: Option<&str>) -> Html<String> {
    layout(
        theme(site),
        &format!("Connexion — {}", site.name),
        &format!(
            r#"<h1>Je me connecte à {name}</h1>{error}{notice}
<div class="columns">
<div class="card"><h2>Connexion FranceConnect+</h2>
<p>FranceConnect<b>+</b> est la solution proposée par l'État pour sécuriser et simplifier la connexion aux services en ligne qui demandent une identité vérifiée.</p>
<a class="btn fc" id="fc-plus" href="{prefix}/franceconnect"><span>S'identifier avec</span><span class="plus">FranceConnect+</span></a>
<p class="links"><a href="/fcplus/a-propos" id="quest-ce-que-fc">Qu'est-ce que FranceConnect+ ?</a></p>
<p class="hint">Obligatoire pour les comptes créés depuis le 25 octobre 2022 et pour tout achat de formation.</p></div>
<div class="card"><h2>Numéro de sécurité sociale + Mot de passe</h2>
<p class="hint">Pour les comptes créés avant le 25 octobre 2022.</p>
<form method="post" action="{prefix}/connexion-classique">
<label for="nir">Numéro de sécurité sociale</label><input type="text" id="nir" name="nir" inputmode="numeric" autocomplete="off" maxlength="21">
<label for="password">Mot de passe</label><input type="password" id="password" name="password" autocomplete="current-password">
<p class="hint">Le mot de passe contient au moins 8 caractères, dont une majuscule, une minuscule et un chiffre.</p>
<button class="btn secondary" type="submit">Se connecter</button></form>
<p class="hint">Votre compte a été créé après le 25 octobre 2022 ? Connectez-vous avec FranceConnect+.</p></div>
</div>"#,
            name = esc(site.name),
            prefix = site.prefix,
            error = message_box("error", error),
            notice = message_box("success", notice),
        ),
    )
}

/// The person's space after login: their pivot identity, their rights and a training to buy.
pub fn rp_account(site: &SiteText, identity: &IdentityClaims, sub: &str, purchased: bool) -> Html<String> {
    let birthplace = if identity.birthplace.is_empty() {
        "né(e) à l'étranger".to_owned()
    } else {
        format!("code INSEE {}", identity.birthplace)
    };
    let gender = match identity.gender.as_str() {
        "female" => "Femme",
        "male" => "Homme",
        _ => "—",
    };
    let purchase = if purchased {
        format!(
            r#"<div class="success" id="achat-confirme">Votre inscription à la formation « {} » est confirmée (simulation : aucun droit n'est débité).</div>"#,
            esc(site.training)
        )
    } else {
        format!(
            r#"<form method="post" action="{}/formation/acheter"><button class="btn primary" id="acheter" type="submit">Acheter cette formation</button></form>
<p class="hint">{}</p>"#,
            site.prefix, RP_PURCHASE_NEEDS_FC
        )
    };
    layout(
        theme(site),
        &format!("Mon espace — {}", site.name),
        &format!(
            r#"<h1 id="bienvenue">Bonjour {given}</h1>
<div class="card"><h2>Mon identité (transmise par FranceConnect+)</h2>
<dl class="identity">
<dt>Prénom(s)</dt><dd id="given_name">{given}</dd>
<dt>Nom de naissance</dt><dd id="family_name">{family}</dd>
<dt>Nom d'usage</dt><dd>{usage}</dd>
<dt>Date de naissance</dt><dd id="birthdate">{birthdate}</dd>
<dt>Sexe</dt><dd>{gender}</dd>
<dt>Lieu de naissance</dt><dd id="birthplace">{birthplace}</dd>
<dt>Pays de naissance</dt><dd>code INSEE {country}</dd>
<dt>Adresse électronique</dt><dd>{email}</dd>
<dt>Identifiant chez ce service</dt><dd class="hint" id="sub">{sub}</dd>
</dl></div>
<div class="card"><h2>{rights_label}</h2><p class="price" id="droits">{rights}</p></div>
<div class="card"><div class="training"><div><h2>Formation</h2><p>{training}</p></div><p class="price">{price}</p></div>{purchase}</div>
<p class="links"><a href="{prefix}/deconnexion" id="deconnexion">Se déconnecter</a></p>"#,
            given = esc(&identity.given_name),
            family = esc(&identity.family_name),
            usage = esc(if identity.preferred_username.is_empty() {
                "—"
            } else {
                &identity.preferred_username
            }),
            birthdate = esc(&identity.birthdate),
            gender = gender,
            birthplace = esc(&birthplace),
            country = esc(&identity.birthcountry),
            email = esc(&identity.email),
            sub = esc(sub),
            rights_label = esc(site.rights_label),
            rights = esc(site.rights_amount),
            training = esc(site.training),
            price = esc(site.training_price),
            purchase = purchase,
            prefix = site.prefix,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_says_simulation_and_escapes_what_it_shows() {
        let page = fc_choice("<script>Service</script>", "/a", "/b", None).0;
        assert!(page.contains("SIMULATION"));
        assert!(
            page.contains("&lt;script&gt;Service"),
            "service names are escaped"
        );
        assert!(!page.contains("<script>Service"));
        for outcome in [
            LpOutcome::Expired,
            LpOutcome::Refused,
            LpOutcome::UnknownNumber,
            LpOutcome::NotActivated,
            LpOutcome::Locked,
            LpOutcome::TooManyRequests,
        ] {
            let page = lp_outcome(outcome, "/retry", "/back").0;
            assert!(page.contains("SIMULATION") && page.contains("/retry") && page.contains("/back"));
        }
        assert!(rp_home(&MCF, None, None).0.contains("S'identifier avec"));
    }
}
