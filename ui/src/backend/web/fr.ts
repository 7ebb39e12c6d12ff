// What the browser device says to people when it refuses or fails by itself, in French: the
// same codes and sentences as the Rust device (crates/device's DeviceError, crates/api's
// ClientError, the app's commands), so that the screens decide on the same codes; and the few
// situations only a browser has. The world's own refusals keep the world's code and message.
import { BackendError } from "../index";

const catalogue = {
  // crates/api ClientError
  world_unreachable: "Le service simulé ne répond pas : vérifiez qu'il est démarré, puis réessayez.",
  protocol: "Réponse inattendue du service simulé ; réessayez.",
  // crates/device DeviceError
  vault:
    "Le trousseau du navigateur a refusé l'opération ; réessayez. En navigation privée, le navigateur peut refuser de garder la clé de l'appareil.",
  not_activated: "Cet appareil n'est pas encore activé : saisissez d'abord votre code d'activation.",
  device_key_missing:
    "La clé de cet appareil est introuvable dans le trousseau : activez à nouveau votre Identité Numérique.",
  device_profile:
    "Les données de cet appareil sont illisibles : retirez l'identité de l'appareil puis activez-la à nouveau.",
  sealing: "Le code secret n'a pas pu être protégé pour l'envoi ; réessayez.",
  world_key_untrusted:
    "La clé du monde a changé sans preuve : ne saisissez pas votre code secret, prévenez votre formateur.",
  world_not_the_scanned_one:
    "Ce monde ne correspond pas au QR code scanné : ne saisissez pas votre code secret, vérifiez l'adresse et prévenez votre formateur.",
  // crates/journey JourneyError::InvalidSecretCode, checked by the device before sealing
  invalid_secret_code: "Le code secret doit comporter 4 chiffres tous différents.",
  // src-tauri's commands
  no_account: "Aucun compte La Poste n'est encore créé sur cet appareil.",
  nothing_to_advance:
    "Aucune démarche n'est encore commencée sur cet appareil : il n'y a pas encore de temps à faire avancer.",
  sign_in_restart:
    "La connexion n'est plus en cours : saisissez à nouveau l'adresse e-mail et le mot de passe du compte.",
  side_not_on_document: "Cette face n'existe pas pour ce type de pièce.",
  no_photo: "Aucune photo n'a encore été prise.",
  no_video: "Aucune vidéo n'a encore été enregistrée.",
  not_a_file: "Le fichier n'a pas été transmis.",
  credential_missing:
    "Cet appareil ne garde plus l'accès à votre compte La Poste : connectez-vous pour continuer.",
  // Only in a browser
  vault_unavailable:
    "Ce navigateur ne peut pas garder la clé de l'appareil (WebCrypto Ed25519 et IndexedDB sont nécessaires) : utilisez une version récente de Chrome, Safari ou Firefox, hors navigation privée.",
  image_unreadable: "Cette image n'a pas pu être lue : choisissez une photo JPEG ou PNG.",
  no_camera_here:
    "Aucune caméra n'a été trouvée sur ce téléphone : importez une photo de la pièce depuis votre galerie.",
  camera_denied:
    "L'accès à la caméra a été refusé : autorisez la caméra pour ce site dans les réglages du navigateur, ou importez une photo depuis votre galerie.",
  camera_unavailable:
    "La caméra ne répond pas (une autre application l'utilise peut-être) : fermez-la puis réessayez, ou importez une photo depuis votre galerie.",
  no_camera_here_video:
    "Aucune caméra n'a été trouvée sur ce téléphone : filmez-vous avec un autre appareil en disant les 3 chiffres, puis importez la vidéo.",
  camera_denied_video:
    "L'accès à la caméra a été refusé : autorisez la caméra et le micro pour ce site dans les réglages du navigateur, puis recommencez.",
  microphone_denied:
    "L'accès au micro a été refusé : la vidéo doit faire entendre les 3 chiffres. Autorisez le micro pour ce site dans les réglages du navigateur, puis recommencez.",
  no_microphone:
    "Aucun micro n'a été trouvé sur ce téléphone : la vidéo doit faire entendre les 3 chiffres.",
  recording_unsupported:
    "Ce navigateur ne sait pas enregistrer de vidéo : filmez-vous avec l'appareil photo du téléphone en disant les 3 chiffres, puis importez la vidéo.",
  recording_failed: "L'enregistrement s'est interrompu ; recommencez.",
  training_camera_not_in_browser:
    "La caméra d'entraînement de la simulation n'existe que dans l'application installée : dans le navigateur, importez une photo ou une vidéo depuis votre galerie.",
  qr_scan_in_browser:
    "Dans le navigateur, scannez le QR code de la classe avec l'appareil photo du téléphone (il ouvre l'application de cette classe), ou saisissez son adresse ci-dessus.",
  // crates/api JoinError::NotHttp
  world_url_invalid: "Adresse de la classe invalide : « {text} ». Recopiez l'adresse donnée par votre formateur, ou scannez son QR code.",
  embedded_world_not_in_browser:
    "Le monde intégré n'existe que dans l'application installée : dans le navigateur, l'application suit le monde de la classe qui l'a ouverte.",
  no_browser_window: "Le navigateur a bloqué l'ouverture du service : ouvrez vous-même {url}",
} as const;

export type WebErrorCode = keyof typeof catalogue;

/** A refusal of the browser device itself, with the Rust device's code and French message. */
export function deviceError(code: WebErrorCode, values: Record<string, string> = {}): BackendError {
  const message = catalogue[code].replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
  return new BackendError({ code, message });
}

export function deviceMessage(code: WebErrorCode): string {
  return catalogue[code];
}

/** Where the device key lives, for Réglages → « À propos » (the app shows its keyring's name). */
export const VAULT_DESCRIPTION = "navigateur (clé WebCrypto non extractible dans IndexedDB)";

/** The page opened over plain http:// on the class network (no secure context). */
export const insecureContext = {
  title: "Connexion non sécurisée",
  lead: "Cette page a été ouverte par une adresse en http:// sur le réseau de la classe. Sur une telle adresse, le navigateur refuse de créer la clé de cet appareil et d'ouvrir la caméra : l'Identité Numérique ne peut pas fonctionner ici.",
  what: "Ouvrez l'application par l'adresse en https:// du serveur de la classe : scannez le QR code « Continuer sur votre smartphone » de la page d'accueil projetée par votre formateur, puis faites confiance au certificat de la classe comme la page l'explique.",
  trainer: "Pour le formateur : lancez le serveur sans --no-tls (idn world serve --listen 0.0.0.0:8787 sert en HTTPS par défaut).",
} as const;
