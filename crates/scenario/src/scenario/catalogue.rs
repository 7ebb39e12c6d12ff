//! The scenarios shipped with the sandbox (`scenarios/*.toml`, embedded) and their listing.

use super::*;

macro_rules! catalogue {
    ($($name:literal),* $(,)?) => {
        /// The shipped scenarios, embedded: (name, file text).
        pub const CATALOGUE: &[(&str, &str)] = &[
            $(($name, include_str!(concat!("../../../../scenarios/", $name, ".toml"))),)*
        ];
    };
}

catalogue!(
    "code-email-non-recu",
    "code-email-expire",
    "code-email-errone",
    "code-email-trop-d-essais",
    "code-email-dans-les-spams",
    "code-sms-non-recu",
    "code-sms-expire",
    "code-sms-errone",
    "courrier-ar24-dans-les-spams",
    "identite-confirmee-avec-une-faute",
    "piece-expiree",
    "mineur",
    "code-face-a-face-expire",
    "identification-refusee-lunettes",
    "identification-refusee-flou",
    "identification-refusee-reflet",
    "identification-refusee-etui",
    "identification-refusee-chiffres",
    "identification-refusee-visage-non-visible",
    "identification-en-cours-d-examen",
    "code-activation-errone",
    "code-activation-expire",
    "code-secret-oublie",
    "code-secret-bloque",
    "validation-hors-delai",
    "validation-depuis-un-autre-telephone",
    "mauvais-numero-sur-franceconnect",
    "camera-absente",
    "camera-refusee",
    "micro-absent",
    "micro-refuse",
    "envoi-interrompu",
    "parcours-complet-titre-de-sejour",
    "parcours-complet-passeport-par-courrier",
    "identification-refusee-au-bureau-d-examen-etui",
    "identification-en-attente-au-bureau-d-examen",
    "refus-au-guichet",
    "validation-au-guichet-apres-un-refus",
    "numero-deja-utilise-par-une-autre-identite",
);

/// The shipped scenarios, parsed. They are checked by this crate's tests.
pub fn catalogue() -> Vec<Scenario> {
    CATALOGUE
        .iter()
        .map(|(name, text)| Scenario::parse(text, name).expect("shipped scenarios are valid (tested)"))
        .collect()
}

/// A catalogue scenario by name (never a path: the console applies only these and uploads).
pub fn from_catalogue(name: &str) -> Result<Scenario> {
    match CATALOGUE.iter().find(|(known, _)| *known == name) {
        Some((name, text)) => Scenario::parse(text, name),
        None => invalid!("scénario « {name} » absent du catalogue"),
    }
}

/// A catalogue name or the path of a scenario file.
pub fn load(name_or_path: &str) -> Result<Scenario> {
    if let Some((name, text)) = CATALOGUE.iter().find(|(name, _)| *name == name_or_path) {
        return Scenario::parse(text, name);
    }
    let path = Path::new(name_or_path);
    if path.exists() {
        let text = std::fs::read_to_string(path).with_context(|| format!("lecture de {}", path.display()))?;
        let stem = path
            .file_stem()
            .and_then(|stem| stem.to_str())
            .unwrap_or("scenario");
        return Scenario::parse(&text, stem).with_context(|| path.display().to_string());
    }
    invalid!(
        "scénario « {name_or_path} » introuvable : ni un fichier, ni un nom du catalogue (idn scenario list)"
    )
}

/// One line of `idn scenario list --json`.
#[derive(Debug, Clone, Serialize)]
pub struct ListedScenario {
    pub name: String,
    pub title: String,
    pub situation: String,
    pub reach: String,
    pub reach_label: String,
    pub persona: String,
    pub verification: Verification,
    pub faults: Vec<String>,
    pub explanation: String,
}

pub fn list() -> Vec<ListedScenario> {
    catalogue()
        .into_iter()
        .map(|scenario| ListedScenario {
            persona: scenario.persona().map(|p| p.name.clone()).unwrap_or_default(),
            reach_label: step_label(&scenario.reach).to_owned(),
            faults: scenario.faults.iter().map(fault_kind).collect(),
            name: scenario.name,
            title: scenario.title,
            situation: scenario.situation,
            reach: scenario.reach,
            verification: scenario.verification,
            explanation: scenario.explanation,
        })
        .collect()
}

pub(super) fn fault_kind(fault: &Fault) -> String {
    serde_json::to_value(fault)
        .ok()
        .and_then(|value| {
            value
                .get("kind")
                .and_then(|kind| kind.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_default()
}

/// The French name of a step code.
pub fn step_label(code: &str) -> &'static str {
    idn_journey::Step::from_code(code).map_or("étape inconnue", idn_journey::Step::label_fr)
}

/// The whole journey `idn demo` walks, built in code rather than shipped as a file because its
/// seed, verification and first refusal come from the command line: the demo persona from a new
/// account to an active identity, verified as `verification` says; online, `refused_first`
/// makes the first visual identification refused with that reason (then redone).
pub fn whole_journey(verification: Verification, seed: u64, refused_first: Option<String>) -> Scenario {
    let faults = match verification {
        Verification::Online => refused_first
            .map(|reason| Fault::IdentificationRefused { reason })
            .into_iter()
            .collect(),
        Verification::FaceToFace | Verification::ByPost => Vec::new(),
    };
    Scenario {
        version: SCENARIO_VERSION,
        name: "parcours-complet".into(),
        title: "Parcours complet, de la création du compte à une connexion approuvée".into(),
        situation: "Tout s'est bien passé : Identité Numérique active, connexion à Mon Compte Formation approuvée.".into(),
        explanation: "Votre Identité Numérique est active. Pour vous connecter à Mon Compte Formation, choisissez « S'identifier avec FranceConnect+ », puis « L'Identité Numérique La Poste », saisissez votre numéro de mobile et validez la demande dans l'application avec votre code secret, dans la minute.".into(),
        persona: PersonaRef::Named(persona::DEMO_PERSONA.into()),
        seed,
        verification,
        reach: "enrolled".into(),
        faults,
    }
}
