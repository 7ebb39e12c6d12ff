//! The postal procedure's desk: a clerk (or the trainer) validates with the registered letter
//! and the document shown; a different document is named and nothing changes; the class's
//! requests are listed; the validation is in the staff audit.

use super::*;
use idn_journey::postal_request::{Envelope, IdentityCopy, Motive, RequestForm, SocialSecurityCopy};

fn envelope() -> Envelope {
    Envelope {
        form: RequestForm {
            civility: Some(idn_journey::account::Civility::Monsieur),
            birth_name: "Petit".into(),
            given_names: "Louis".into(),
            birth_date: chrono::NaiveDate::from_ymd_opt(1962, 11, 3),
            birth_place: "Brest".into(),
            street: "1 quai Est".into(),
            postcode: "29200".into(),
            city: "Brest".into(),
            email: "louis.petit@exemple.fr".into(),
            motives: vec![Motive::NoSmartphone],
            ..RequestForm::default()
        },
        identity_copy: Some(IdentityCopy::Passport),
        social_security_copy: Some(SocialSecurityCopy::Attestation),
        separate_pages: true,
        compte_formation_created: true,
    }
}

fn letter_number_of(html: &str) -> String {
    let start = html
        .find("Lettre recommandée distribuée</td><td>n° ")
        .expect("a delivered letter")
        + "Lettre recommandée distribuée</td><td>n° ".len();
    html[start..].split('<').next().unwrap().to_owned()
}

#[tokio::test]
async fn the_clerk_validates_a_postal_request_with_its_registered_letter_and_the_same_document() {
    let fx = fixture().await;
    let (cookie, csrf) = sign_in_as(&fx.app, &fx.world, Role::Clerk).await;
    let empty = text(
        send(
            &fx.app,
            &Method::GET,
            "/console/guichet/courrier",
            Some(&cookie),
            "",
        )
        .await,
    )
    .await;
    assert!(
        empty.contains("Aucune demande pour l&#39;instant")
            || empty.contains("Aucune demande pour l'instant")
    );

    fx.world.post_postal_request(envelope()).await.unwrap();
    let posted = text(
        send(
            &fx.app,
            &Method::GET,
            "/console/guichet/courrier",
            Some(&cookie),
            "",
        )
        .await,
    )
    .await;
    assert!(
        posted.contains("LOUIS PETIT") && posted.contains("Postée"),
        "the request is listed"
    );

    fx.world.advance_clock(chrono::TimeDelta::weeks(4)).await.unwrap();
    let delivered = text(
        send(
            &fx.app,
            &Method::GET,
            "/console/guichet/courrier",
            Some(&cookie),
            "",
        )
        .await,
    )
    .await;
    let letter = letter_number_of(&delivered);

    let wrong = format!("csrf={csrf}&letter_number={letter}&document_type=identity_card&birth_name=Petit&birth_date=1962-11-03");
    let refused = send(
        &fx.app,
        &Method::POST,
        "/console/guichet/courrier",
        Some(&cookie),
        &wrong,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = text(refused).await;
    assert!(
        refused.contains("Ce n&#39;est pas la pièce") || refused.contains("Ce n'est pas la pièce"),
        "the differing field is named"
    );
    assert!(
        refused.contains(&format!("value=\"{letter}\"")),
        "what the clerk typed stays"
    );

    let right = format!(
        "csrf={csrf}&letter_number={letter}&document_type=passport&birth_name=PETIT&birth_date=1962-11-03"
    );
    let validated = send(
        &fx.app,
        &Method::POST,
        "/console/guichet/courrier",
        Some(&cookie),
        &right,
    )
    .await;
    assert_eq!(validated.status(), StatusCode::OK);
    let validated = text(validated).await;
    assert!(
        validated.contains("Identité validée avec la lettre recommandée")
            && validated.contains("Identité validée</td>")
    );
    let audit = fx.world.store().read().await.latest_staff_audit(20).unwrap();
    assert!(audit
        .iter()
        .any(|line| line.action == "postal_validate" && line.staff_email == "guichetier@classe.example"));

    let again = send(
        &fx.app,
        &Method::POST,
        "/console/guichet/courrier",
        Some(&cookie),
        &right,
    )
    .await;
    assert_eq!(
        again.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a letter validates once"
    );
}
