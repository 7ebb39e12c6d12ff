// The learner's journey in the real window, from the welcome screen to an approved login, plus
// the approvals that go wrong (wrong code, expiry, "Ce n'est pas moi", lock). The clerk,
// FranceConnect+ and the clock are played over the embedded world's HTTP API, as a trainer would.
//
// Usage: node tests/app/journey.mjs <app binary> <tauri-driver port> [scenario…]
// Scenarios: face-a-face (default: all). « lancement » is the launch benchmark (launch.mjs), run
// first, and always with the release build (IDN_APP_RELEASE=1).
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { App, check, writeReport } from "./harness.mjs";
import { measureLaunches } from "./launch.mjs";
import { addTrainer, apiToken, trainerToken } from "../browser/trainer.mjs";

const [application, portText, ...wanted] = process.argv.slice(2);
const port = Number(portText);
const SECRET = "2580";

const person = {
  email: "camille.exemple@exemple.fr",
  password: "Formation2026",
  mobile: "06 39 98 00 42",
  mobileIntl: "+33639980042",
  firstName: "Camille",
  lastName: "Exemple",
  givenNames: "Camille, Marie",
  birthName: "EXEMPLE",
  birthDate: "17/05/1990",
  commune: "Nantes",
  insee: "44109",
  sex: "Femme",
  issueDate: "10/05/2023",
  issueDateShown: "10 mai 2023",
  expiryDate: "09/05/2033",
  numberEnding: "X4B2",
};

/** « Confirmation de vos informations » as shown: label → value. */
async function summaryRows(app) {
  const rows = await app.browser.execute(() =>
    [...document.querySelectorAll('[data-testid="identity-summary"] .facts__row')].map((row) => [
      row.querySelector("dt")?.textContent?.trim() ?? "",
      row.querySelector("dd")?.textContent?.trim() ?? "",
    ]),
  );
  return new Map(rows);
}

/** Account, identity and verification choice, through the screens. Returns the learner id. */
async function enrol(app, who, { mode }) {
  await app.waitForHeading("Bienvenue dans L'Identité Numérique");
  const welcome = await app.bodyText();
  check(welcome.includes("SIMULATION"), "the welcome screen says SIMULATION");
  // The prerequisites as 004, 000 and 003 give them.
  for (const words of ["Être majeur(e)", "pièce d'identité française en cours de validité", "titre de séjour de 5 ans minimum",
    "Android à partir de la version 6, iOS à partir de la version 13", "avec caméra et micro"]) {
    check(welcome.includes(words), `the welcome screen's prerequisites say « ${words} »`);
  }
  await app.clickTestId("document-validity");
  await app.waitForText("de 5 ans minimum entre sa date d'émission et sa date d'expiration");
  await app.screen("bienvenue");
  await app.expectSteps("none", "welcome");
  await app.click("Créer mon Identité Numérique");
  await app.waitForHeading("Votre adresse e-mail");
  // The La Poste account comes before the app's numbered side bar: its own screens, no number lit.
  await app.expectSteps("account:email", "email form");
  await app.type("Adresse e-mail", who.email);
  await app.screen("adresse-e-mail");
  await app.click("Continuer");

  await app.waitForHeading("Code reçu par e-mail");
  await app.expectSteps("account:email_code", "email code");
  // The email arrives live in the Messages panel, with a badge.
  await app.waitFor(async () => (await app.browser.$('[data-testid="badge"]').isExisting()), "the Messages badge");
  await app.screen("code-e-mail");
  await app.clickTestId("open-messages");
  await app.waitForHeading("Messages");
  await app.waitForText("Votre code de vérification");
  await app.screen("messages");
  await app.clickTestId("close-messages");
  const learner = await app.learnerByEmail(who.email);
  await app.type("Code à 6 chiffres", "000000");
  await app.click("Continuer");
  await app.expectError({ title: "Code incorrect", action: "messages", button: "Ouvrir mes messages" });
  check((await app.bodyText()).includes("Il vous reste 2 essais"), "the backend's figure of attempts left is shown");
  check(await app.fieldInvalid("email-code"), "the code field is marked invalid");
  await app.expectSteps("account:email_code", "email code refused");
  await app.screen("code-e-mail-incorrect");
  // The way forward: « Ouvrir mes messages » opens the panel where the code is.
  await app.clickTestId("error-action");
  await app.waitForHeading("Messages");
  await app.clickTestId("close-messages");
  await app.waitForHeading("Code reçu par e-mail");
  await app.type("Code à 6 chiffres", await app.latestCode(learner.id));
  await app.click("Continuer");

  await app.waitForHeading("Choisissez votre mot de passe");
  await app.expectSteps("account:password", "password");
  await app.type("Mot de passe", "formation");
  const upper = await app.browser.$('[data-testid="rule-upper"]').getAttribute("data-met");
  check(upper === "false", "the password rule shows the missing uppercase letter as the person types");
  await app.screen("mot-de-passe-regle");
  await app.click("Continuer");
  await app.expectError({ title: "Mot de passe trop simple", action: "fix", button: "Corriger le mot de passe" });
  check(await app.fieldInvalid("password"), "the password field is marked invalid");
  await app.screen("mot-de-passe-refuse");
  await app.clickTestId("error-action");
  check(await app.browser.execute(() => document.activeElement?.id === "password"), "« Corriger le mot de passe » puts the cursor in the field");
  await app.type("Mot de passe", who.password);
  await app.click("Continuer");

  await app.waitForHeading("Numéro de mobile");
  await app.expectSteps("numbered:1", "mobile");
  check((await app.bodyText()).includes("Renseignez votre numéro de mobile ou fixe"), "the mobile screen says « mobile ou fixe » as 002");
  await app.type("Numéro de mobile", who.mobile);
  await app.screen("mobile");
  await app.click("Continuer");

  // « Créer mon compte », then the SMS code (002 steps 6 and 7).
  await app.waitForHeading("Civilité, prénom et nom");
  await app.expectSteps("numbered:1", "civility and CGU");
  check((await app.bodyText()).includes("Renseignez vos informations en minuscule"), "the civility screen says « en minuscule » as 002");
  await app.tick("Madame");
  await app.type("Prénom", who.firstName);
  await app.type("Nom", who.lastName);
  const optIn = await app.browser.$('[data-testid="opt-in"]').isSelected();
  check(!optIn, "the marketing opt-in is unticked by default");
  await app.click("Créer mon compte");
  await app.expectError({ title: "Conditions générales à accepter", action: "fix", button: "Aller à la case des CGU" });
  check(await app.fieldInvalid("terms"), "the CGU checkbox is marked invalid");
  // The refusal sits next to the checkbox, not at the bottom of the form.
  const gap = await app.browser.execute(() => {
    const box = document.getElementById("terms")?.closest("label")?.getBoundingClientRect();
    const note = document.querySelector('[data-testid="error-note"]')?.getBoundingClientRect();
    return box && note ? note.top - box.bottom : null;
  });
  check(gap !== null && gap >= 0 && gap < 80, `the CGU's refusal follows the checkbox (${gap} px below it)`);
  await app.screen("cgu-refusees");
  await app.clickTestId("error-action");
  check(await app.browser.execute(() => document.activeElement?.id === "terms"), "« Aller à la case des CGU » focuses the checkbox");
  await app.tick("J'accepte les Conditions Générales d'Utilisation du Compte La Poste");
  await app.click("Créer mon compte");

  await app.waitForHeading("Code reçu par SMS");
  await app.expectSteps("numbered:1", "SMS code");
  await app.type("Code SMS", await app.latestCode(learner.id, (message) => message.channel === "sms"));
  await app.screen("code-sms");
  await app.click("Continuer");

  await app.waitForHeading("Vos informations personnelles");
  await app.expectSteps("numbered:2", "identity form");
  const form = await app.bodyText();
  for (const words of ["Pièce d'identité", "De 5 ans minimum", "Vérifier la validité de mes documents", "Homme", "Femme"]) {
    check(form.includes(words), `the identity form shows « ${words} »`);
  }
  check(/Nationalité\s*Française/.test(form), "a French card shows « Nationalité : Française », not a code to type");
  await app.tick(who.sex);
  await app.type("Prénom(s)", who.givenNames);
  await app.type("Nom de naissance", who.birthName);
  await app.type("Date de naissance", "31/02/1990");
  await app.click("Vérifier mes informations");
  await app.waitForText("Date invalide.");
  await app.screen("identite-validation");
  await app.type("Date de naissance", who.birthDate);
  await app.type("Commune de naissance", who.commune);
  await app.type("Code INSEE de la commune (ou code postal)", who.insee);
  await app.type("Date d'émission", who.issueDate);
  await app.type("Date d'expiration", who.expiryDate);
  await app.type("4 derniers caractères du numéro de la pièce", who.numberEnding);
  await app.screen("identite-formulaire");
  await app.click("Vérifier mes informations");

  await app.waitForHeading("Confirmation de vos informations");
  await app.expectSteps("numbered:2", "identity confirmation");
  check((await app.bodyText()).includes("elles ne pourront pas être modifiées ultérieurement"), "the confirmation warns it is final");
  const summary = await summaryRows(app);
  check(summary.get("Sexe") === who.sex, `the confirmation shows « Sexe : ${who.sex} » (${summary.get("Sexe")})`);
  check(summary.get("Date d'émission") === who.issueDateShown, `the confirmation shows « Date d'émission » (${summary.get("Date d'émission")})`);
  check(summary.get("Nationalité") === "Française", `the confirmation shows « Nationalité : Française » (${summary.get("Nationalité")})`);
  await app.screen("identite-confirmation");
  await app.click("Confirmer");

  await app.waitForHeading("Vérification de votre identité");
  await app.expectSteps("numbered:3", "verification choice");
  await app.screen("choix-du-mode");
  await app.clickTestId(`mode-${mode}`);
  return learner.id;
}

/** The secret code twice on the PIN pad. */
async function chooseSecret(app) {
  await app.waitForHeading("Choisissez votre code secret");
  await app.pin(SECRET);
  await app.clickTestId("secret-next");
  await app.waitForHeading("Confirmez votre code secret");
  await app.pin(SECRET);
  await app.clickTestId("activate");
}

/** Activation code (a wrong one first with `wrongFirst`; the one the learner read, `code`, else
 * the latest sent), secret code twice on the PIN pad, services. */
async function activate(app, learnerId, { wrongFirst = false, code: read = null } = {}) {
  await app.waitForHeading("Code d'activation", 30);
  await app.expectSteps("numbered:3", "activation code");
  await app.screen("code-activation");
  if (wrongFirst) {
    await app.type("Code d'activation", "000000");
    await app.click("Continuer");
    await chooseSecret(app);
    // The world refuses the code: back to it, with the refusal and its way forward.
    await app.waitForHeading("Code d'activation");
    await app.expectError({ title: "Code incorrect", action: "messages", button: "Ouvrir mes messages" });
    check(await app.fieldInvalid("activation-code"), "the activation code field is marked invalid");
    await app.screen("code-activation-incorrect");
  }
  const code = read ?? (await app.latestCode(learnerId, (message) => /activation/i.test(message.subject + message.body)));
  await app.type("Code d'activation", code);
  await app.click("Continuer");
  await app.waitForHeading("Choisissez votre code secret");
  check((await app.errorNote()) === null, "the refusal of the old code does not follow to the secret code");
  await app.pin("1123");
  await app.waitForText("4 chiffres tous différents");
  // Refused as soon as the 4th digit is typed: the dots are emptied for a new code.
  check((await app.browser.$('[data-testid="pin-dots"]').getAttribute("data-count")) === "0", "the dots are cleared after « 4 chiffres tous différents »");
  check((await app.browser.$('[data-testid="pin-dots"]').getAttribute("aria-invalid")) === "true", "the PIN pad is marked invalid");
  await app.screen("code-secret-chiffres-repetes");
  await app.pin(SECRET);
  await app.screen("code-secret");
  await app.clickTestId("secret-next");
  await app.waitForHeading("Confirmez votre code secret");
  await app.pin(SECRET);
  await app.screen("code-secret-confirmation");
  await app.clickTestId("activate");
  await app.waitForHeading("Votre Identité Numérique est active", 30);
  await app.screen("services");
}

async function openLogin(app, service = "Mon Compte Formation") {
  return app.api("POST", "/api/login-requests", { mobile: person.mobileIntl, relying_party: service });
}

/** The approvals: wrong code then right code, "Ce n'est pas moi", expiry, then the lock. */
async function approvals(app) {
  await openLogin(app);
  await app.waitForHeading("Demande de connexion");
  await app.waitForText("Temps restant");
  await app.screen("demande-de-connexion");
  await app.pin("1234");
  await app.clickTestId("approve");
  await app.waitForText("Il vous reste 2 essais");
  await app.expectError({ title: "Code secret incorrect", action: "redo", button: "Saisir à nouveau le code secret" });
  check((await app.browser.$('[data-testid="pin-dots"]').getAttribute("data-count")) === "0", "the dots are cleared after a wrong secret code");
  // The minute, « Valider » and « Ce n'est pas moi » stay in view with the refusal shown.
  check(await app.inViewTogether(["error-note", "time-left", "approve", "decline"]), "the refusal, the time left, « Valider » and « Ce n'est pas moi » are in view together");
  await app.screen("code-secret-incorrect");
  await app.pin(SECRET);
  await app.clickTestId("approve");
  await app.waitForHeading("Connexion validée");
  await app.screen("connexion-validee");
  await app.clickTestId("close-outcome");

  // « Essayer une connexion » of the services screen: the app asks with its device credential
  // for a login to its own phone.
  await app.waitForHeading("Votre Identité Numérique est active");
  await app.clickTestId("try-Mon Compte Élu");
  await app.waitForHeading("Demande de connexion");
  await app.clickTestId("decline");
  await app.waitForHeading("Connexion refusée");
  await app.screen("ce-n-est-pas-moi");
  await app.clickTestId("close-outcome");

  await openLogin(app);
  await app.waitForHeading("Demande de connexion");
  // A minute passes on the world's clock: the request expires and the screen says so, live.
  await app.api("POST", "/api/clock/advance", { seconds: 120 });
  await app.waitForHeading("Délai dépassé", 30);
  // The way forward is on the screen: the login starts again on the service's site.
  check(
    (await app.browser.$('[data-testid="retry-login"]').getText()).includes("Recommencer la connexion sur"),
    "« Délai dépassé » offers to start the login again on the service",
  );
  await app.screen("delai-depasse");
  await app.clickTestId("close-outcome");

  await openLogin(app);
  await app.waitForHeading("Demande de connexion");
  const expected = ["Il vous reste 2 essais", "Il vous reste 1 essai", null];
  for (const [index, wrong] of ["1234", "5678", "9012"].entries()) {
    await app.pin(wrong);
    await app.clickTestId("approve");
    const text = expected[index];
    if (text === null) break;
    await app.waitForText(text);
    if (index === 1) {
      const note = await app.expectError({ title: "Code secret incorrect", action: "redo", button: "Saisir à nouveau le code secret" });
      // The warning that the next error locks needs the backend's figure of attempts left as
      // data (not its French sentence): shown and checked once the backend gives it.
      report.lastAttemptWarning = note.lastAttempt;
      if (note.lastAttempt !== null) {
        check(note.lastAttempt.includes("une nouvelle erreur bloquera votre Identité Numérique"), `the last attempt's warning: ${note.lastAttempt}`);
      }
      check(await app.inViewTogether(["error-note", "time-left", "approve", "decline"]), "before the last attempt too, the actions stay in view");
      await app.screen("code-secret-dernier-essai");
    }
  }
  await app.waitForHeading("Code secret bloqué", 30);
  // Not a dead end: « Vérifier à nouveau mon identité » leads to the choice of mode.
  check(await app.browser.$('[data-testid="verify-again"]').isExisting(), "the locked outcome offers « Vérifier à nouveau mon identité »");
  await app.screen("code-secret-bloque");
  await app.clickTestId("verify-again");
  await app.waitForHeading("Vérification de votre identité");
  await app.expectSteps("none", "new verification after a lock");
  await app.screen("verifier-a-nouveau");
}

/** Photos of the CNI's two sides through the live preview; returns the preview's measures. */
async function photos(app, { measure }) {
  const figures = {};
  // The learner's card: instructions and « Ouvrir la caméra » on the first screen; the sandbox's
  // controls wait, closed, in « Options du formateur » under the main action.
  check(await app.onFirstScreen("open-camera-front"), "« Ouvrir la caméra » is on the first screen of the photo screen");
  check(!(await app.browser.$("#trainer-photo-mistake").isDisplayed()), "the simulated mistakes are hidden until the trainer opens the options");
  check(!(await app.browser.$("#trainer-camera").isDisplayed()), "the camera choice is hidden until the trainer opens the options");
  check(!(await app.learnerText()).includes("Erreur à simuler"), "a learner reads nothing about mistakes to pick");
  if (measure) {
    // With glare the guidance never lets auto-capture fire: the preview runs long enough to
    // measure the frame rate and the capture-to-screen delay the window delivers.
    await app.openTrainerOptions();
    check(await app.browser.$("#trainer-photo-mistake").isDisplayed(), "the trainer's controls show once the options are opened");
    await app.choose("Erreur à simuler sur les photos", "Reflet");
    check((await app.browser.$("#trainer-camera").getValue()) === "synthetic", "a simulated mistake is filmed by the training camera, and the choice says so");
    await app.closeTrainerOptions();
    await app.clickTestId("open-camera-front");
    await app.waitFor(async () => Number(await app.browser.$('[data-testid="preview-front"]').getAttribute("data-seq")) > 0, "preview frames");
    const samples = [];
    for (let index = 0; index < 8; index += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const canvas = await app.browser.$('[data-testid="preview-front"]');
      samples.push({
        fps: Number(await canvas.getAttribute("data-fps")),
        received: Number(await canvas.getAttribute("data-received")),
        delay: Number(await canvas.getAttribute("data-delay")),
      });
    }
    const steady = samples.slice(2);
    figures.fps = steady.map((sample) => sample.fps);
    figures.receivedFps = steady.map((sample) => sample.received);
    figures.delayMs = steady.map((sample) => sample.delay);
    check(
      (await app.browser.$('[data-testid="hint-front"]').getAttribute("data-hint")) === "glare",
      "the guidance names the glare while the preview runs",
    );
    await app.learnerScreen("apercu-reflet");
    await app.click("Prendre la photo");
    await app.waitFor(async () => (await app.browser.$('[data-testid="hint-front"]').getAttribute("data-taken")) === "manual", "the photo taken by hand");
    check(await app.inViewTogether(["preview-front", "use-front"]), "the photo and « Utiliser cette photo » are on screen together");
    check((await app.browser.$('[data-testid="hint-front"]').getText()).includes("Reflet détecté"), "the learner is warned that the glare stays on the photo");
    await app.learnerScreen("photo-prise-a-la-main");
    // The trainer reads the preview's measures in the options, then goes back to what a phone
    // does: its own camera (this machine has none: the training camera takes over, told once).
    await app.openTrainerOptions();
    const measured = await app.browser.$('[data-testid="fps-front"]').getText();
    check(/images\/s/.test(measured) && measured.includes("Prendre la photo"), `the options give the frame rate and how the photo was taken: ${measured}`);
    await app.choose("Erreur à simuler sur les photos", "Aucune");
    await app.choose("Caméra", "Caméra de cet appareil");
    await app.browser.execute(() => document.querySelector('[data-testid="trainer-options"]')?.scrollIntoView({ block: "end" }));
    await app.screen("options-du-formateur");
    await app.closeTrainerOptions();
    await app.click("Reprendre la photo");
  } else {
    await app.clickTestId("open-camera-front");
  }
  await app.waitFor(async () => (await app.browser.$('[data-testid="hint-front"]').getAttribute("data-taken")) === "automatic", "the front photo taken automatically", 30);
  check(
    (await app.browser.$('[data-testid="no-camera-front"]').isExisting()) === measure,
    measure ? "the missing camera is told the first time the device's camera is tried" : "the missing camera was told once already",
  );
  check(await app.inViewTogether(["preview-front", "use-front"]), "the photo and « Utiliser cette photo » are on screen together");
  await app.learnerScreen("photo-recto-automatique");
  await app.clickTestId("use-front");
  await app.waitFor(() => app.browser.$('[data-testid="uploaded-front"]').isExisting(), "the front photo uploaded");
  await app.clickTestId("open-camera-back");
  await app.waitFor(async () => (await app.browser.$('[data-testid="hint-back"]').getAttribute("data-taken")) === "automatic", "the back photo taken automatically", 30);
  check(!(await app.browser.$('[data-testid="no-camera-back"]').isExisting()), "the missing camera is not told again on the back");
  check(await app.inViewTogether(["preview-back", "use-back"]), "the back photo and « Utiliser cette photo » are on screen together");
  await app.clickTestId("use-back");
  await app.waitFor(() => app.browser.$('[data-testid="uploaded-back"]').isExisting(), "the back photo uploaded");
  return figures;
}

/** « Etape 1 sur 2 »: the photos in, the validation message, then « Continuer » to the video. */
async function toVideoStep(app) {
  await app.waitFor(() => app.browser.$('[data-testid="document-check"]').isExisting(), "the validation message of the photos");
  await app.screen("piece-validee");
  await app.clickTestId("visual-continue");
  await app.waitForHeading("Etape 2 sur 2\u00a0: Vérification vidéo");
  // French spacing: the screens put a no-break space before « : ».
  const text = (await app.bodyText()).replace(/\u00a0/g, " ");
  for (const words of ["Etape 1 : Prononcez 3 chiffres à voix haute.", "Si vous n'êtes pas en mesure de parler",
    "remontrer la pièce d'identité face caméra ou de tourner la tête"]) {
    check(text.includes(words), `the video step's instructions say « ${words} » (003, 001)`);
  }
}

async function video(app) {
  const digits = await app.browser.$('[data-testid="spoken-digits"]').getText();
  check(/\d \d \d/.test(digits), "the 3 digits to say are shown");
  await app.clickTestId("record-video");
  await app.waitFor(() => app.browser.$('[data-testid="video-recorded"]').isExisting(), "the recorded video", 180);
  check((await app.browser.$('[data-testid="video-checks"]').getAttribute("data-passed")) === "true", "the synthetic video passes the machine checks");
  await app.clickTestId("watch-video");
  await app.waitFor(() => app.browser.$('[data-testid="playback"]').isExisting(), "the playback");
  const playable = await app.browser.execute(() =>
    new Promise((resolve) => {
      const player = document.querySelector('[data-testid="playback"]');
      if (player.readyState >= 1) return resolve({ ok: true, duration: player.duration });
      player.addEventListener("loadedmetadata", () => resolve({ ok: true, duration: player.duration }));
      player.addEventListener("error", () => resolve({ ok: false, error: player.error?.code ?? -1 }));
      setTimeout(() => resolve({ ok: false, error: "timeout" }), 10000);
    }),
  );
  check(!(await app.browser.$('[data-testid="no-camera-video"]').isExisting()), "the missing camera, told with the photos, is not told again");
  await app.learnerScreen("video-enregistree");
  return playable;
}

const report = { scenarios: {} };

const scenarios = {
  async "face-a-face"(app) {
    report.launchMs = await app.launchMs();
    await app.discoverWorld();
    const learnerId = await enrol(app, person, { mode: "face_to_face" });
    await app.waitForHeading("Vérification en face à face");
    await app.expectSteps("numbered:3", "face to face");
    check((await app.browser.$('[data-testid="who-acts"]').getText()).includes("votre formateur joue le guichetier"), "the screen says who plays the clerk in the class");
    check(await app.browser.$('[data-testid="change-mode"]').isExisting(), "the learner may choose another mode meanwhile");
    await app.learnerScreen("face-a-face");
    // The clerk at the post office checks the document and types the code from the SMS.
    const code = await app.latestCode(learnerId, (message) => message.channel === "sms");
    await app.api("POST", "/api/clerk/validations", {
      code,
      document_type: "cni",
      birth_name: person.birthName,
      birth_date: "1990-05-17",
      document_number_ending: person.numberEnding,
    });
    await activate(app, learnerId, { wrongFirst: true });
    // Memory once the services screen shows (the issue's measure), after a moment to settle.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    report.memoryAtServices = app.memory();
    await approvals(app);
  },
};

scenarios["courrier"] = async (app) => {
  await app.discoverWorld();
  const who = { ...person, email: "alix.exemple@exemple.fr" };
  await enrol(app, who, { mode: "by_post" });
  await app.waitForHeading("Vérification par courrier");
  check((await app.browser.$('[data-testid="who-acts"]').getText()).includes("votre formateur joue le facteur"), "the letter's screen says who acts in the class");
  await app.screen("courrier-en-route");
  // Four weeks later the letter arrives and the postman checks the document, as face to face.
  await app.api("POST", "/api/clock/advance", { seconds: 29 * 24 * 3600 });
  await app.waitForHeading("Vérification en face à face", 30);
  await app.learnerScreen("courrier-arrive");
};

scenarios["reglages"] = async (app) => {
  await app.waitForHeading("Bienvenue dans L'Identité Numérique");
  await app.clickTestId("open-settings");
  await app.waitForHeading("Réglages");
  check((await app.browser.$('[data-testid="world-origin"]').getText()).startsWith("Intégré"), "the embedded world is in use");
  // A mistyped address and an unreachable class: both explained, and the embedded world stays.
  await app.type("Adresse de la classe", "192.168.1.20:8787");
  await app.click("Rejoindre");
  await app.waitForText("Adresse de la classe invalide");
  await app.screen("rejoindre-adresse-invalide");
  await app.type("Adresse de la classe", "http://127.0.0.1:9");
  await app.click("Rejoindre");
  await app.waitForText("ne répond pas");
  await app.screen("rejoindre-injoignable");
  check((await app.browser.$('[data-testid="world-origin"]').getText()).startsWith("Intégré"), "still on the embedded world");
};

/** The letter's reached entries then the ones to come, as the tracking page lists them. */
async function timeline(app) {
  return app.browser.execute(() => ({
    reached: [...document.querySelectorAll('[data-testid="timeline-entry"] .timeline__label')].map((label) => label.textContent.trim()),
    upcoming: [...document.querySelectorAll('[data-testid="timeline-upcoming"]')].map((entry) => ({
      label: entry.querySelector(".timeline__label").textContent.trim(),
      spoken: entry.querySelector(".sr-only")?.textContent.trim() ?? "",
      color: getComputedStyle(entry).color,
    })),
    reachedColor: getComputedStyle(document.querySelector('[data-testid="timeline-entry"]')).color,
  }));
}

/** The tracking page while AR24 reviews (003): its number, its sentences, and the guide's
 * timeline, the entries to come greyed and named « à venir » for screen readers. */
async function tracking(app, learnerId) {
  const letterId = (await app.api("GET", `/api/learners/${learnerId}`)).registered_letter.letter_id;
  await app.waitForHeading(`Suivi de votre courrier n°${letterId}`);
  const text = await app.bodyText();
  for (const words of ["Identification en cours de traitement", "Vous serez averti par email une fois votre identité vérifiée.",
    "Vous pouvez fermer cette page.", "24 h (sauf les week-ends)"]) {
    check(text.includes(words), `the tracking page says « ${words} » (003)`);
  }
  const shown = await timeline(app);
  const guide = ["Email de notification remis", "Courrier recommandé électronique envoyé par votre expéditeur", "Email de notification remis",
    "Identification commencée", "Identification enregistrée", "Identification en cours de traitement"];
  check(JSON.stringify(shown.reached.slice(0, guide.length)) === JSON.stringify(guide), `the timeline in the guide's order: ${JSON.stringify(shown.reached)}`);
  check(shown.upcoming.length > 0, "the entries not reached yet are listed");
  check(shown.upcoming.at(-1).label === "Email de notification remis", `the last entry to come is the result's email: ${JSON.stringify(shown.upcoming)}`);
  check(shown.upcoming.some((entry) => /Identification accept/.test(entry.label)), `the decision is among the entries to come: ${JSON.stringify(shown.upcoming)}`);
  check(shown.upcoming.every((entry) => entry.spoken === "(à venir)"), "each entry to come is named « à venir » for screen readers");
  check(shown.upcoming.every((entry) => entry.color !== shown.reachedColor), "the entries to come are greyed");
}

scenarios["en-ligne"] = async (app) => {
  await app.discoverWorld();
  const who = { ...person, email: "dominique.exemple@exemple.fr" };
  const learnerId = await enrol(app, who, { mode: "online" });
  // AR24's conditions (001): « Confirmer » without the box is refused next to it.
  await app.waitForHeading("En ligne avec AR24");
  check((await app.bodyText()).includes("marque de Docaposte, filiale du groupe La Poste"), "the conditions say who AR24 is (003)");
  await app.screen("conditions-ar24");
  await app.clickTestId("ar24-confirm");
  await app.expectError({ title: "Conditions d'AR24 à accepter", action: "fix", button: "Aller à la case des conditions d'AR24" });
  check(await app.fieldInvalid("ar24-terms"), "AR24's box is marked invalid");
  await app.screen("conditions-ar24-refusees");
  await app.clickTestId("error-action");
  check(await app.browser.execute(() => document.activeElement?.id === "ar24-terms"), "« Aller à la case des conditions d'AR24 » focuses the box");
  await app.tick("J'accepte les conditions générales d'utilisation de AR24");
  await app.clickTestId("ar24-confirm");
  await app.waitForHeading("Courrier recommandé AR24");
  check((await app.bodyText()).includes("dans les prochaines minutes"), "the letter's screen says AR24 first announces the letter (001)");
  await app.screen("courrier-annonce");
  // AR24's first email announces the letter, before the letter's own email (001).
  const inbox = await app.api("GET", `/api/learners/${learnerId}/inbox`);
  const letterEmail = inbox.findIndex((message) => message.action === "read_letter");
  check(letterEmail > 0, "the letter's email carries « Lire mon courrier »");
  check(inbox.slice(0, letterEmail).some((message) => message.channel === "email" && message.body.includes("dans les prochaines minutes")),
    "AR24's announcement comes before the letter's email");
  await app.clickTestId("open-messages-letter");
  await app.waitForHeading("Messages");
  if (!(await app.browser.$('[data-testid="read-letter"]').isExisting())) {
    await app.clickTestId("spam-folder");
  }
  await app.screen("messages-ar24");
  await app.clickTestId("read-letter");
  await app.waitForText("Confirmer mon identité");
  await app.screen("courrier-ouvert");
  await app.clickTestId("confirm-letter");
  await app.waitForText("Conditions pour une pièce valide");
  await app.learnerScreen("conditions");
  // The trainer makes the first review refuse the photos for glare, as guides warn.
  await app.api("PUT", `/api/learners/${learnerId}/settings`, { review: "refuse_next", reason: "reflet" });
  await app.clickTestId("start-visual");
  await app.waitForHeading("Etape 1 sur 2\u00a0: Ajout pièce d'identité");
  await app.waitFor(() => app.browser.$('[data-testid="open-camera-front"]').isExisting(), "the photo screen");
  // The declared document is offered first, and chosen (003).
  const offered = await app.browser.execute(() =>
    [...document.querySelectorAll('input[name="visual-document"]')].map((input) => ({ value: input.value, checked: input.checked })),
  );
  check(offered[0]?.value === "cni" && offered[0]?.checked, `the declared card is offered first and chosen: ${JSON.stringify(offered)}`);
  await app.learnerScreen("identification-visuelle");
  const figures = await photos(app, { measure: true });
  await toVideoStep(app);
  // « Retour » goes back to the photos, kept; « Continuer » again.
  await app.clickTestId("visual-back");
  await app.waitForHeading("Etape 1 sur 2\u00a0: Ajout pièce d'identité");
  check(await app.browser.$('[data-testid="uploaded-back"]').isExisting(), "the photos are kept on « Retour »");
  await app.clickTestId("visual-continue");
  await app.waitForHeading("Etape 2 sur 2\u00a0: Vérification vidéo");
  const playback = await video(app);
  await app.clickTestId("submit-visual");
  await tracking(app, learnerId);
  await app.expectSteps("numbered:3", "review");
  check((await app.browser.$('[data-testid="who-acts"]').getText()).includes("votre formateur joue AR24"), "the review's screen says who reviews in the class");
  await app.screen("suivi");
  await app.browser.$("summary=Menu bac à sable").click();
  await app.click("Passer 24 heures");
  await app.waitForHeading("Identification refusée", 30);
  await app.screen("identification-refusee");
  await app.clickTestId("restart-visual");
  await app.waitForHeading("Etape 1 sur 2\u00a0: Ajout pièce d'identité");
  await app.waitFor(() => app.browser.$('[data-testid="open-camera-front"]').isExisting(), "the photo screen again");
  await photos(app, { measure: false });
  await toVideoStep(app);
  await video(app);
  await app.clickTestId("submit-visual");
  await tracking(app, learnerId);
  await app.browser.$("summary=Menu bac à sable").click();
  await app.click("Passer 24 heures");
  // Accepted: AR24's email offers « Consulter mon courrier »; the letter names its sender and
  // gives the activation code, which the SMS gives too (001, 003).
  await app.waitForHeading("Code d'activation", 30);
  await app.clickTestId("open-messages");
  await app.waitForHeading("Messages");
  if (!(await app.browser.$('[data-testid="consult-letter"]').isExisting())) await app.clickTestId("spam-folder");
  await app.screen("messages-identite-verifiee");
  await app.clickTestId("consult-letter");
  const letterId = (await app.api("GET", `/api/learners/${learnerId}`)).registered_letter.letter_id;
  await app.waitForHeading(`Courrier n°${letterId}`);
  check((await app.browser.$('[data-testid="letter-sender"]').getText()).includes("La Poste — L'Identité Numérique"), "the letter reveals its sender");
  check((await app.bodyText()).includes("Votre identité a été vérifiée"), "the letter says the identity is verified");
  const read = (await app.browser.$('[data-testid="letter-code"]').getText()).trim();
  check(/^\d{6}$/.test(read), `the letter gives a 6-digit activation code: ${read}`);
  const sms = await app.latestCode(learnerId, (message) => message.channel === "sms");
  check(sms === read, "the SMS gives the same activation code as the letter");
  await app.screen("courrier-code-activation");
  await app.clickTestId("enter-activation-code");
  await activate(app, learnerId, { code: read });
  await app.api("POST", "/api/login-requests", { mobile: person.mobileIntl, relying_party: "Mon Compte Formation" });
  await app.waitForHeading("Demande de connexion");
  await app.pin(SECRET);
  await app.clickTestId("approve");
  await app.waitForHeading("Connexion validée");
  await app.screen("connexion-validee");
  report.preview = figures;
  report.playback = playback;
};

/** A class's world server (`idn world serve`, built beside the app), on a free port. */
async function startClassWorld() {
  const idn = join(dirname(application), "idn");
  const dataDir = mkdtempSync(join(tmpdir(), "idn-classe-"));
  // The class's trainer, made on the server before it serves.
  addTrainer(idn, dataDir);
  const madeToken = apiToken(idn, dataDir);
  const server = spawn(idn, ["world", "serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir, "--seed", "5"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  const url = await new Promise((resolve, reject) => {
    let said = "";
    const timer = setTimeout(() => reject(new Error(`ÉCHEC : le monde de la classe ne démarre pas : ${said}`)), 20_000);
    server.stderr.on("data", (chunk) => {
      said += chunk;
      const match = /à l'écoute sur (http:\/\/[\d.:]+)/.exec(said);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`ÉCHEC : idn world serve s'est arrêté (${code}) : ${said}`)));
  });
  return { url, trainer: await trainerToken(url, madeToken), stop: () => server.kill("SIGINT") };
}

// Scenarios that need something before the app starts: its extra launch options and the cleanup.
const setups = {
  async "rejoindre-qr"(context) {
    context.classWorld = await startClassWorld();
    // The training camera films the QR code the class world's welcome page shows: its address.
    return { args: ["--synthetic-qr", context.classWorld.url], cleanup: () => context.classWorld.stop() };
  },
};

// A QR code that is not a class's (a Wi-Fi code on the wall): the preview says so live, the
// person stops, and the embedded world stays in use.
setups["qr-autre"] = async () => ({ args: ["--synthetic-qr", "WIFI:T:WPA;S:salle-de-formation;P:secret;;"], cleanup: () => {} });

scenarios["qr-autre"] = async (app) => {
  await app.waitForHeading("Bienvenue dans L'Identité Numérique");
  await app.clickTestId("open-settings");
  await app.waitForHeading("Réglages");
  await app.click("Scanner le QR code");
  await app.waitFor(
    async () => (await app.browser.$('[data-testid="qr-hint"]').getAttribute("data-hint")) === "qr_not_a_world",
    "the live hint naming a code that is not a class's",
  );
  await app.waitFor(async () => Number(await app.browser.$('[data-testid="qr-preview"]').getAttribute("data-seq")) > 3, "preview frames");
  check((await app.bodyText()).includes("n'est pas celui d'une classe"), "the person reads why nothing happens");
  await app.browser.execute(() => document.querySelector('[data-testid="qr-hint"]')?.scrollIntoView({ block: "end" }));
  await app.screen("qr-pas-une-classe");
  await app.click("Arrêter");
  await app.waitFor(() => app.browser.$('[data-testid="scan-qr"]').isExisting(), "the scan stopped");
  check(!(await app.browser.$('[role="alert"]').isExisting()), "stopping is not reported as a failure");
  check((await app.browser.$('[data-testid="world-origin"]').getText()).startsWith("Intégré"), "still on the embedded world");
};

scenarios["rejoindre-qr"] = async (app, context) => {
  const classUrl = context.classWorld.url;
  const welcome = await (await fetch(`${classUrl}/`)).text();
  check(welcome.includes("Rejoindre la classe") && welcome.includes("/qr/rejoindre.png"), "the class world's welcome page shows its QR code");
  await app.waitForHeading("Bienvenue dans L'Identité Numérique");
  await app.clickTestId("open-settings");
  await app.waitForHeading("Réglages");
  check((await app.browser.$('[data-testid="world-origin"]').getText()).startsWith("Intégré"), "the embedded world is in use before scanning");
  // The scan films with the device's camera, as a phone does; the training camera waits in the
  // trainer's options. This machine has no camera: the scan says so once and films the training
  // camera's QR code instead, then joins.
  check(!(await app.browser.$("#qr-source").isDisplayed()), "the camera choice is a trainer's option, closed");
  await app.click("Scanner le QR code");
  await app.waitForText("Pas de caméra sur cet appareil");
  await app.waitFor(async () => (await app.browser.$('[data-testid="world-origin"]').getText()).startsWith("Serveur de la formation"), "the class world in use after scanning", 30);
  await app.screen("scanner-sans-camera");
  check(new RegExp(`Adresse\\s:\\s${classUrl.replace(/\./g, "\\.")}`).test(await app.bodyText()), "the class world's address is shown as the one in use");
  check((await app.bodyText()).includes("SIMULATION"), "the settings screen says SIMULATION");
  await app.screen("rejoint-par-qr-code");
  // The app now talks to the class world: creating the account lands there.
  await app.clickTestId("close-settings");
  await app.waitForHeading("Bienvenue dans L'Identité Numérique");
  await app.click("Créer mon Identité Numérique");
  await app.waitForHeading("Votre adresse e-mail");
  await app.type("Adresse e-mail", "sacha.exemple@exemple.fr");
  await app.click("Continuer");
  await app.waitForHeading("Code reçu par e-mail");
  // Only the class's staff may list its learners.
  const anonymous = await fetch(`${classUrl}/api/learners`);
  check(anonymous.status === 401, `the class's learners are not listed to anyone (${anonymous.status})`);
  const learners = await (
    await fetch(`${classUrl}/api/learners`, { headers: { authorization: `Bearer ${context.classWorld.trainer}` } })
  ).json();
  check(learners.some((learner) => learner.email === "sacha.exemple@exemple.fr"), "the account was created in the class world");
};

// `--scenario`: the engine signs in as its staff account in the embedded world, brings a learner
// to the scenario's step and hands this app's device the learner's credential: the app opens on
// that step, able to act (no sign-in asked).
setups["scenario-au-lancement"] = async () => ({ args: ["--scenario", "code-sms-expire"], cleanup: () => {} });

scenarios["scenario-au-lancement"] = async (app) => {
  await app.waitForHeading("Code reçu par SMS", 60);
  check(!(await app.browser.$('[data-testid="sign-in-needed"]').isExisting()), "the device holds the learner's credential");
  await app.expectSteps("numbered:1", "SMS code of the scenario");
  await app.screen("scenario-code-sms-expire");
  // The expired code typed: « Code expiré » and its way forward, a new code.
  await app.discoverWorld();
  const [learner] = await app.api("GET", "/api/learners");
  await app.type("Code SMS", await app.latestCode(learner.id, (message) => message.channel === "sms"));
  await app.click("Continuer");
  await app.expectError({ title: "Code expiré", action: "resend", button: "Recevoir un nouveau code" });
  check(await app.fieldInvalid("sms-code"), "the SMS code field is marked invalid");
  await app.screen("code-sms-expire-refuse");
  const before = (await app.api("GET", `/api/learners/${learner.id}/inbox`)).length;
  await app.clickTestId("error-action");
  await app.waitForText("Un nouveau code vient d'être envoyé.");
  await app.waitFor(async () => (await app.api("GET", `/api/learners/${learner.id}/inbox`)).length > before, "the new SMS");
  await app.type("Code SMS", await app.latestCode(learner.id, (message) => message.channel === "sms"));
  await app.click("Continuer");
  await app.waitForHeading("Vos informations personnelles");
  await app.expectSteps("numbered:2", "the identity form after the SMS code");
  // The learner's own time, with the learner's credential: the sandbox menu answers.
  await app.browser.$("summary=Menu bac à sable").click();
  await app.click("Passer 24 heures");
  await app.waitForText("Votre temps dans le monde simulé a avancé de 24 heures.");
  await app.screen("scenario-temps-avance");
};

/** The sign-in code of the newest SMS of the account (read as the trainer). */
async function signInCode(app, id) {
  const inbox = await app.api("GET", `/api/learners/${id}/inbox`);
  const codes = inbox
    .map((message) => /code de confirmation pour vous connecter[^]*? est ([A-Z0-9]{4})\./.exec(message.body)?.[1])
    .filter((code) => code !== undefined);
  check(codes.length > 0, "an SMS carrying the sign-in code");
  return codes[codes.length - 1];
}

// An account made elsewhere (on the website, say) up to its profile, then a fresh app logs in
// with it: wrong password, then the code from the Messages panel (wrong, then right), and the
// app continues at the identity form where the account stands. Support then ends the account's
// accesses: the app says why on the sign-in screen (not as an error), and signing in again
// brings the person back where they stood.
scenarios["compte-existant"] = async (app) => {
  await app.discoverWorld();
  const email = "noa.exemple@exemple.fr";
  // The website's side: the account is opened anonymously and acted for with its credential.
  const opened = await app.api("POST", "/api/learners", { email }, { as: null });
  const { id } = opened;
  const as = opened.credential.token;
  check(typeof as === "string" && as.length > 0, "opening an account answers with its credential");
  const act = (body) => app.api("POST", `/api/learners/${id}/actions`, body, { as });
  await act({ action: "confirm_email", code: await app.latestCode(id, () => true, { as }) });
  await act({ action: "choose_password", password: person.password });
  await act({ action: "register_mobile", mobile: "+33639980077" });
  await act({
    action: "complete_profile",
    civility: "madame",
    first_name: "Noa",
    last_name: "Exemple",
    terms_accepted: true,
    marketing_opt_in: false,
  });
  const smsCode = await app.latestCode(id, (message) => message.channel === "sms", { as });
  await act({ action: "confirm_mobile", code: smsCode });

  await app.waitForHeading("Bienvenue dans L'Identité Numérique");
  await app.click("Se connecter avec un compte La Poste existant");
  await app.waitForHeading("Se connecter avec votre compte La Poste");
  check((await app.bodyText()).includes("SIMULATION"), "the login screen says SIMULATION");
  check(!(await app.browser.$('[data-testid="sign-in-needed"]').isExisting()), "a login the person chose gives no reason");
  await app.type("Adresse e-mail du compte", email);
  await app.type("Mot de passe du compte", "Mauvais2026");
  await app.click("Se connecter");
  await app.waitForText("Adresse e-mail ou mot de passe incorrect.");
  await app.expectError({ title: "Identifiant ou mot de passe incorrect", action: "fix", button: "Corriger le mot de passe" });
  check(await app.fieldInvalid("sign-in-password"), "the password field is marked invalid");
  await app.expectSteps("none", "sign-in");
  await app.screen("connexion-mot-de-passe-incorrect");
  await app.type("Mot de passe du compte", person.password);
  await app.click("Se connecter");
  await app.waitForHeading("Code de confirmation");
  check((await app.browser.$('[data-testid="sign-in-sent"]').getText()).includes("+336399800**"), "the screen says where the code went, half hidden");
  await app.waitFor(() => app.browser.$('[data-testid="badge"]').isExisting(), "the Messages badge for the SMS");
  await app.screen("connexion-code-envoye");

  // The code is read where a person reads it: the SMS in the Messages panel (read by the app
  // with its sign-in ticket, which never reaches the screens).
  await app.clickTestId("open-messages");
  await app.waitForHeading("Messages");
  await app.waitForText("code de confirmation");
  await app.screen("connexion-messages");
  const body = await app.browser.$('[data-testid="message"]').getText();
  const code = /code de confirmation pour vous connecter[^]*? est ([A-Z0-9]{4})\./.exec(body)?.[1];
  check(code !== undefined, `the SMS carries the code: ${body}`);
  await app.clickTestId("close-messages");
  await app.waitForHeading("Code de confirmation");
  await app.type("Code de confirmation", code === "ZZZZ" ? "YYYY" : "ZZZZ");
  await app.click("Valider");
  await app.waitForText("Il vous reste 2 essais");
  await app.expectError({ title: "Code incorrect", action: "messages", button: "Ouvrir mes messages" });
  await app.screen("connexion-code-incorrect");
  await app.type("Code de confirmation", code);
  await app.click("Valider");
  await app.waitForHeading("Vos informations personnelles");
  await app.expectSteps("numbered:2", "identity form after the sign-in");
  await app.screen("connexion-reprise-identite");
  const journal = await app.api("GET", `/api/learners/${id}/journal`);
  check(journal.some((entry) => entry.action === "confirm_sign_in" && entry.outcome === "ok"), "the world journaled the confirmed login");

  // Support's « Déconnecter tous ses appareils »; the learner's next event (their time moved by
  // the trainer) finds the app's credential refused.
  await app.api("DELETE", `/api/learners/${id}/credentials`);
  await app.api("POST", `/api/learners/${id}/clock/advance`, { seconds: 60 });
  await app.waitForHeading("Se connecter avec votre compte La Poste", 30);
  const needed = await app.browser.$('[data-testid="sign-in-needed"]');
  check(await needed.isExisting(), "the sign-in screen says why it shows");
  check((await needed.getAttribute("data-code")) === "credential_revoked", "the world's code for an access ended");
  check(!(await app.browser.$('[role="alert"]').isExisting()), "an access ended is not shown as a failure");
  await app.screen("connexion-acces-retire");
  await app.type("Adresse e-mail du compte", email);
  await app.type("Mot de passe du compte", person.password);
  await app.click("Se connecter");
  await app.waitForHeading("Code de confirmation");
  await app.type("Code de confirmation", await signInCode(app, id));
  await app.click("Valider");
  await app.waitForHeading("Vos informations personnelles");
  check(!(await app.browser.$('[data-testid="sign-in-needed"]').isExisting()), "signed in again, the reason is gone");
  await app.screen("connexion-retablie");
};

const chosen = (wanted.length > 0 ? wanted : Object.keys(scenarios)).filter((name) => name !== "lancement");
let failed = false;
if (wanted.includes("lancement") || process.env.IDN_APP_RELEASE === "1") {
  try {
    report.launch = await measureLaunches({ application, port, rounds: Number(process.env.IDN_LAUNCH_ROUNDS ?? 5) });
    const { medianAppMs, medianBaselineMs, ratio } = report.launch;
    console.log(`ok   lancement (médianes : application ${medianAppMs} ms, référence ${medianBaselineMs} ms, ×${ratio})`);
  } catch (error) {
    failed = true;
    report.launch = { ok: false, error: String(error.message ?? error) };
    console.error(`FAIL lancement: ${error.stack ?? error}`);
  }
}
for (const name of chosen) {
  const started = Date.now();
  const context = {};
  const setup = setups[name] ? await setups[name](context) : { args: [], cleanup: () => {} };
  const app = await App.launch(name, { application, port, args: setup.args, trainer: true });
  try {
    await scenarios[name](app, context);
    report.scenarios[name] = {
      ok: true,
      seconds: (Date.now() - started) / 1000,
      screenshots: app.shots,
      // Developer text on screens not yet checked as a learner's (DEVELOPER_TEXT).
      developerText: app.textFindings,
      // Tap targets under 44 px (a screen with one fails: see App.tapTargets).
      smallTapTargets: app.tapFindings,
    };
    console.log(`ok   ${name} (${app.shots} écrans, ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    failed = true;
    report.scenarios[name] = { ok: false, error: String(error.message ?? error) };
    console.error(`FAIL ${name}: ${error.stack ?? error}`);
    await app.shot("echec").catch(() => {});
  } finally {
    await app.close().catch(() => {});
    setup.cleanup();
  }
}
writeReport("report.json", report);
process.exit(failed ? 1 : 0);
