//! The postal procedure as a person without a smartphone goes through it on the site (004):
//! the notice, the form, its printed version, the envelope, the 4 weeks, the letter that comes
//! back, and the validation with the registered letter at the desk.

use super::*;
use idn_journey::identity::PresentedField;
use idn_journey::postal_request::{IdentityCopy, ShownDocument};
use idn_journey::JourneyError;

const FORM: &str = "/identite-numerique/procedure-courrier/formulaire";
const FOLLOW_UP: &str = "/identite-numerique/procedure-courrier/suivi";

const FILLED: &[(&str, &str)] = &[
    ("civility", "madame"),
    ("birth_name", "Martin"),
    ("given_names", "Claire, Anne"),
    ("birth_date", "1980-05-17"),
    ("birth_place", "Lyon"),
    ("street", "3 rue des Lilas"),
    ("postcode", "69003"),
    ("city", "Lyon"),
    ("email", "claire.martin@exemple.fr"),
    ("motive_no_smartphone", "on"),
];

fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    FILLED.iter().chain(extra).copied().collect()
}

/// The page's text as a person reads it: askama writes an apostrophe in a value as `&#39;`.
fn read(html: &str) -> String {
    html.replace("&#39;", "'")
}

fn stage_of(html: &str) -> String {
    let start = html.find("data-stage=\"").expect("a follow-up page") + "data-stage=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn letter_number_of(html: &str) -> String {
    let start =
        html.find("data-letter-number=\"").expect("a registered letter") + "data-letter-number=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn shown(birth_name: &str) -> ShownDocument {
    ShownDocument {
        copy_kind: IdentityCopy::IdentityCard,
        birth_name: birth_name.into(),
        birth_date: chrono::NaiveDate::from_ymd_opt(1980, 5, 17).unwrap(),
    }
}

#[tokio::test]
async fn a_person_without_a_smartphone_posts_the_form_and_is_validated_with_the_registered_letter() {
    let (_dir, world, app) = world().await;
    let mut browser = Browser::new(&app);

    let create = browser.get("/identite-numerique/creer").await;
    assert!(
        create
            .html
            .contains("href=\"/identite-numerique/procedure-courrier\""),
        "the way in from « Créer »"
    );
    let notice = browser.get("/identite-numerique/procedure-courrier").await;
    assert_eq!(notice.status, StatusCode::OK);
    for text in [
        "Notice d'information à conserver par le demandeur",
        "Aucune demande ne pourra être traitée si votre compte n'est pas créé",
        "<b>4 semaines</b>",
        "Copie de la carte vitale",
        "majuscule d'imprimerie",
    ] {
        assert!(notice.html.contains(text), "the notice says {text:?}");
    }

    let preview = browser.post(FORM, &with(&[("action", "preview")])).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.html);
    assert!(
        preview.html.contains("<dd>MARTIN</dd>") && preview.html.contains("<dd>CLAIRE, ANNE</dd>"),
        "printed in capitals"
    );
    assert!(
        !preview.html.contains("champs-manquants"),
        "every asterisk is filled"
    );
    assert!(preview.html.contains("Poster l'enveloppe (simulation)"));

    let posted = browser
        .post(
            FORM,
            &with(&[
                ("action", "post"),
                ("identity_copy", "identity_card"),
                ("social_security_copy", "carte_vitale"),
                ("separate_pages", "on"),
                ("compte_formation", "on"),
            ]),
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    assert_eq!(posted.location.as_deref(), Some(FOLLOW_UP));

    let waiting = browser.get(FOLLOW_UP).await;
    assert_eq!(stage_of(&waiting.html), "posted");
    assert!(waiting.html.contains("CLAIRE, ANNE MARTIN") && waiting.html.contains("estimé à 4 semaines"));

    // Three weeks on the class clock: still nothing; four: the registered letter.
    world.advance_clock(chrono::TimeDelta::weeks(3)).await.unwrap();
    assert_eq!(stage_of(&browser.get(FOLLOW_UP).await.html), "posted");
    world.advance_clock(chrono::TimeDelta::weeks(1)).await.unwrap();
    let delivered = browser.get(FOLLOW_UP).await;
    assert_eq!(stage_of(&delivered.html), "letter_delivered");
    let letter = letter_number_of(&delivered.html);

    let wrong = world.postal_validate(&letter, shown("Durand")).await.unwrap_err();
    assert!(
        matches!(&wrong, crate::WorldError::Journey(JourneyError::DocumentMismatch { fields }) if fields == &[PresentedField::BirthName]),
        "the desk names what differs: {wrong:?}"
    );
    assert_eq!(
        stage_of(&browser.get(FOLLOW_UP).await.html),
        "letter_delivered",
        "a refusal changes nothing"
    );
    let unknown = world
        .postal_validate("1A00000000000", shown("Martin"))
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), "postal_letter_not_awaited");

    world
        .postal_validate(&letter.to_lowercase(), shown("martin"))
        .await
        .unwrap();
    let validated = browser.get(FOLLOW_UP).await;
    assert_eq!(stage_of(&validated.html), "validated");
    assert!(validated.html.contains(&letter));
}

#[tokio::test]
async fn an_incomplete_envelope_comes_back_saying_what_it_lacked() {
    let (_dir, _world, app) = world().await;
    let mut browser = Browser::new(&app);
    let mut fields: Vec<(&str, &str)> = FILLED
        .iter()
        .copied()
        .filter(|(name, _)| *name != "motive_no_smartphone")
        .collect();
    fields.push(("action", "preview"));
    let preview = browser.post(FORM, &fields).await;
    assert!(
        preview.html.contains("champs-manquants") && preview.html.contains("Motif de la demande (page 2)"),
        "the missing box is named before posting"
    );

    fields.pop();
    fields.extend([("action", "post"), ("identity_copy", "passport")]);
    assert_eq!(
        browser.post(FORM, &fields).await.status,
        StatusCode::SEE_OTHER,
        "posting an incomplete envelope is the person's choice"
    );
    // The sandbox's shortcut for a class: the 4 weeks pass for this request only.
    let skipped = browser.post(FOLLOW_UP, &[]).await;
    assert_eq!(skipped.status, StatusCode::SEE_OTHER);
    let returned = browser.get(FOLLOW_UP).await;
    assert_eq!(stage_of(&returned.html), "returned");
    for text in [
        "Aucune demande ne peut être traitée si votre compte Mon Compte Formation n'est pas créé.",
        "Il manque la copie d'un justificatif de sécurité sociale.",
        "Les copies doivent être sur des pages séparées.",
        "Champ obligatoire non rempli : Motif de la demande (page 2).",
    ] {
        assert!(
            read(&returned.html).contains(text),
            "the returned letter says {text:?}"
        );
    }
    assert!(
        !returned.html.contains("justificatif d'identité."),
        "the passport copy was there"
    );
}

#[tokio::test]
async fn a_date_typed_wrong_keeps_everything_and_another_site_cannot_post() {
    let (_dir, _world, app) = world().await;
    let mut browser = Browser::new(&app);
    let mut fields = with(&[("action", "preview")]);
    fields.retain(|(name, _)| *name != "birth_date" && *name != "postcode");
    fields.extend([("birth_date", "1980-13-45"), ("postcode", "6900")]);
    let refused = browser.post(FORM, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(read(&refused.html).contains("Date de naissance : indiquez le jour, le mois et l'année"));
    assert!(refused.html.contains("Code postal : 5 chiffres"));
    assert!(
        refused.html.contains("value=\"Martin\"") && refused.html.contains("value=\"1980-13-45\""),
        "nothing typed is lost"
    );

    let forged = browser
        .post_from(FORM, &with(&[("action", "post")]), "https://pirate.example")
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(
        browser.get(FOLLOW_UP).await.location.as_deref(),
        Some("/identite-numerique/procedure-courrier"),
        "no request was posted"
    );
}
