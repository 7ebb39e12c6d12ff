// The app in a phone's browser (issue 17): Debian's Chromium as a phone (390 × 844, touch,
// mobile user agent) opens /application on a class world served over HTTPS under its local
// authority, as a learner who scanned the welcome page's « Continuer sur votre smartphone » QR
// code: the account, the identity, face to face (the trainer plays the clerk over the API), the
// activation with the device key made in the browser (WebCrypto, IndexedDB), then a FranceConnect+
// login to Mon Compte Formation opened from the phone page in another tab, approved on the phone
// page with the secret code. A second learner goes online (AR24): AR24's conditions, the document
// photos (« Etape 1 sur 2 ») and the video (« Etape 2 sur 2 ») chosen from the phone's gallery
// (files `idn capture` makes), the tracking page, then the code read in AR24's letter, to
// activation. Also: the page
// is an installable web app (manifest, service worker) whose shell opens offline, a plain http://
// address of the class network gets the French explanation instead of the screens, and
// « Supprimer de cet appareil » ends the phone's credential. Every screen is saved at phone size
// in tests/browser/artefacts/telephone/ and checked with axe-core (serious or critical violations
// fail); the world's log is kept beside them.
//
// Needs: the `idn` binary (IDN_BIN, default target/debug/idn), the built screens (ui/dist:
// `npm --prefix ui run build`), /usr/bin/chromium. No keyring: the device is the browser.
// Run: node tests/browser/phone.mjs

import { execFileSync, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { addTrainer, apiToken } from './trainer.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const idn = process.env.IDN_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'idn');
const appDir = process.env.IDN_APP_DIR ?? join(root, 'ui', 'dist');
const artefacts = join(here, 'artefacts', 'telephone');
const require = createRequire(join(root, 'package.json'));
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const PHONE = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
  userAgent:
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
  locale: 'fr-FR',
  timezoneId: 'Europe/Paris',
};
const SECRET = '2580';
const person = {
  email: 'lea.telephone@exemple.fr',
  password: 'Formation2026',
  mobile: '06 39 98 00 77',
  mobileIntl: '+33639980077',
  firstName: 'Léa',
  lastName: 'Téléphone',
  givenNames: 'Léa, Marie',
  birthName: 'TÉLÉPHONE',
  birthDate: '17/05/1990',
  commune: 'Nantes',
  insee: '44109',
  sex: 'Femme',
  issueDate: '10/05/2023',
  issueDateShown: '10 mai 2023',
  expiryDate: '09/05/2033',
  numberEnding: 'X4B2',
};

if (!existsSync(join(appDir, 'index.html'))) {
  console.error(`ÉCHEC : les écrans ne sont pas construits (${appDir}) : npm --prefix ui run build`);
  process.exit(2);
}
rmSync(artefacts, { recursive: true, force: true });
mkdirSync(artefacts, { recursive: true });
const data = mkdtempSync(join(tmpdir(), 'idn-phone-'));

/** `idn world serve` in `dir` with `args`; resolves with its address as the terminal prints it. */
function serve(dir, args, pattern) {
  const log = [];
  const world = spawn(idn, ['world', 'serve', '--listen', '127.0.0.1:0', '--data-dir', dir, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, IDN_APP_DIR: appDir },
  });
  const address = new Promise((resolve, reject) => {
    let seen = '';
    world.stderr.on('data', (chunk) => {
      seen += chunk;
      log.push(String(chunk));
      const found = seen.match(pattern);
      if (found) resolve(found[0]);
    });
    world.on('exit', (code) => reject(new Error(`world exited (${code}): ${seen}`)));
    setTimeout(() => reject(new Error(`world did not start: ${seen}`)), 30000);
  });
  return { world, address, log };
}

// ----- the class world, over HTTPS under its local authority, with its trainer -----
const worldDir = join(data, 'world');
addTrainer(idn, worldDir);
const trainer = apiToken(idn, worldDir);
assert.ok(trainer, 'an API token for the trainer, made before the world serves');
const secure = serve(worldDir, ['--tls'], /https:\/\/127\.0\.0\.1:\d+/);
const base = await secure.address;
const ca = readFileSync(join(worldDir, 'tls', 'ca.pem'));
const leaf = readFileSync(join(worldDir, 'tls', 'server.pem'), 'utf8').match(
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
)[0];
const spki = createHash('sha256')
  .update(new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');
console.log(`==> monde de la classe (HTTPS) : ${base}`);

// ----- a world on plain http, reached by a network name: not a secure context -----
const plain = serve(join(data, 'plain'), [], /http:\/\/127\.0\.0\.1:\d+/);
const plainPort = new URL(await plain.address).port;

/** The world's API, trusting its local authority only (as `idn --ca-cert`). */
function api(method, path, body, token = trainer) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const call = httpsRequest(new URL(path, base), { method, headers, ca }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk) => (text += chunk));
      response.on('end', () => {
        if (response.statusCode >= 400) reject(new Error(`${method} ${path} → ${response.statusCode} ${text}`));
        else resolve(text === '' ? null : JSON.parse(text));
      });
    });
    call.on('error', reject);
    call.end(payload);
  });
}

async function learnerByEmail(email) {
  const learner = (await api('GET', '/api/learners')).find((candidate) => candidate.email === email);
  assert.ok(learner, `a learner with ${email} in the world`);
  return learner;
}

/** The newest code the learner received (the message a person reads on the phone). */
async function latestCode(learnerId, predicate = () => true) {
  const inbox = await api('GET', `/api/learners/${learnerId}/inbox`);
  const withCode = inbox.filter((message) => message.code && predicate(message));
  assert.ok(withCode.length > 0, 'a message carrying a code');
  return withCode.at(-1).code;
}

// ----- the phone's gallery and camera: the synthetic specimen, as `idn capture` photographs it -----
const gallery = join(data, 'galerie');
mkdirSync(gallery, { recursive: true });
const photo = (page) => {
  const file = join(gallery, `${page}.jpg`);
  execFileSync(idn, ['capture', 'document', '--page', page, '--out', file], { stdio: 'ignore' });
  return file;
};
const recto = photo('cni-recto');
const verso = photo('cni-verso');
// The phone's camera films the front of the card (Chromium's fake camera reads a Y4M file).
const cameraFile = join(gallery, 'camera.y4m');
execFileSync('ffmpeg', ['-loglevel', 'error', '-loop', '1', '-i', recto, '-t', '2', '-r', '10', '-vf', 'scale=1280:-2', '-pix_fmt', 'yuv420p', cameraFile]);

// ----- the phone -----
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // The class world's certificate by the hash of its key, nothing wider (as the browser suite).
    `--ignore-certificate-errors-spki-list=${spki}`,
    // A name on the class network for the plain world (not loopback, so not a secure context).
    '--host-resolver-rules=MAP salle-12.local 127.0.0.1',
    // A camera that films the specimen card, the permission granted as a person would.
    '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${cameraFile}`,
  ],
});

let shot = 0;
const axeFindings = [];
/** A screenshot at phone size, then axe-core on the screen (serious and critical fail). */
async function screen(page, name) {
  shot += 1;
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: join(artefacts, `${String(shot).padStart(2, '0')}-${name}.png`) });
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(' ')) }));
  });
  if (violations.length > 0) axeFindings.push({ screen: name, violations });
}

const heading = (page, text, timeout = 20000) =>
  page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor({ timeout });
/** The texts of the elements with this test id, in order. */
const texts = (page, id) => page.getByTestId(id).evaluateAll((elements) => elements.map((element) => element.textContent.replace(/\s+/g, ' ').trim()));
const tap = (page, name) => page.getByRole('button', { name, exact: true }).tap();
const tapTestId = (page, id) => page.getByTestId(id).tap();
const type = (page, label, value) => page.getByLabel(label, { exact: true }).fill(value);
const tick = (page, label) => page.getByLabel(label).check();
async function pin(page, code) {
  for (const digit of code) await tapTestId(page, `pin-${digit}`);
}

/** The La Poste account, from the welcome screen to the identity form; the learner's id. The
 * first email code arrives live (the Messages badge: the world's event stream reaches the page). */
async function account(page, who, { shots }) {
  const shoot = (name) => (shots ? screen(page, name) : Promise.resolve());
  await tap(page, 'Créer mon Identité Numérique');
  await heading(page, 'Votre adresse e-mail');
  await type(page, 'Adresse e-mail', who.email);
  await shoot('adresse-e-mail');
  await tap(page, 'Continuer');
  await heading(page, 'Code reçu par e-mail');
  await page.getByTestId('badge').waitFor({ timeout: 10000 });
  await shoot('code-e-mail');
  if (shots) {
    await tapTestId(page, 'open-messages');
    await heading(page, 'Messages');
    await page.getByText('Votre code de vérification').first().waitFor();
    await shoot('messages');
    await tapTestId(page, 'close-messages');
  }
  const id = (await learnerByEmail(who.email)).id;
  await type(page, 'Code à 6 chiffres', await latestCode(id));
  await tap(page, 'Continuer');
  await heading(page, 'Choisissez votre mot de passe');
  await type(page, 'Mot de passe', who.password);
  await shoot('mot-de-passe');
  await tap(page, 'Continuer');
  await heading(page, 'Numéro de mobile');
  assert.ok((await page.textContent('body')).includes('Renseignez votre numéro de mobile ou fixe'), 'the mobile screen says « mobile ou fixe » as 002');
  await type(page, 'Numéro de mobile', who.mobile);
  await shoot('mobile');
  await tap(page, 'Continuer');
  // « Créer mon compte », then the SMS code (002 steps 6 and 7).
  await heading(page, 'Civilité, prénom et nom');
  await tick(page, 'Madame');
  await type(page, 'Prénom', who.firstName);
  await type(page, 'Nom', who.lastName);
  await tick(page, "J'accepte les Conditions Générales");
  await shoot('civilite');
  await tap(page, 'Créer mon compte');
  await heading(page, 'Code reçu par SMS');
  await type(page, 'Code SMS', await latestCode(id, (message) => message.channel === 'sms'));
  await shoot('code-sms');
  await tap(page, 'Continuer');
  return id;
}

/** The identity as on the document, confirmed: the choice of verification mode. */
async function identity(page, who, { shots }) {
  const shoot = (name) => (shots ? screen(page, name) : Promise.resolve());
  await heading(page, 'Vos informations personnelles');
  await page.getByText('De 5 ans minimum', { exact: true }).waitFor();
  // A French card: « Nationalité : Française » shown, no code to type.
  assert.equal((await page.getByTestId('nationality').innerText()).replace(/\s+/g, ' '), 'Nationalité Française');
  assert.equal(await page.locator('#nationality').count(), 0, 'no nationality field for a French card');
  await tick(page, who.sex);
  await type(page, 'Prénom(s)', who.givenNames);
  await type(page, 'Nom de naissance', who.birthName);
  await type(page, 'Date de naissance', who.birthDate);
  await type(page, 'Commune de naissance', who.commune);
  await type(page, 'Code INSEE de la commune (ou code postal)', who.insee);
  await type(page, "Date d'émission", who.issueDate);
  await type(page, "Date d'expiration", who.expiryDate);
  await type(page, '4 derniers caractères du numéro de la pièce', who.numberEnding);
  await shoot('identite');
  // The whole form, past the first screen (nationality, dates), for a person to look at.
  if (shots) await page.locator('form').screenshot({ path: join(artefacts, `${String(shot).padStart(2, '0')}b-identite-formulaire-entier.png`) });
  await tap(page, 'Vérifier mes informations');
  await heading(page, 'Confirmation de vos informations');
  const summary = new Map(
    await page.getByTestId('identity-summary').locator('.facts__row').evaluateAll((rows) =>
      rows.map((row) => [row.querySelector('dt').textContent.trim(), row.querySelector('dd').textContent.trim()])),
  );
  assert.equal(summary.get('Sexe'), who.sex, 'the confirmation shows « Sexe » (003)');
  assert.equal(summary.get("Date d'émission"), who.issueDateShown, "the confirmation shows « Date d'émission » (003)");
  assert.equal(summary.get('Nationalité'), 'Française');
  await shoot('identite-confirmation');
  await tap(page, 'Confirmer');
  await heading(page, 'Vérification de votre identité');
  await shoot('choix-du-mode');
}

/** The activation code (`code`, as the learner read it, else the latest sent), then the secret
 * code twice on the PIN pad. */
async function activate(page, id, { shots, code = null }) {
  await heading(page, "Code d'activation", 30000);
  if (shots) await screen(page, 'code-activation');
  await type(page, "Code d'activation", code ?? (await latestCode(id, (message) => /activation/i.test(message.subject + message.body))));
  await tap(page, 'Continuer');
  await heading(page, 'Choisissez votre code secret');
  await pin(page, SECRET);
  if (shots) await screen(page, 'code-secret');
  await tapTestId(page, 'secret-next');
  await heading(page, 'Confirmez votre code secret');
  await pin(page, SECRET);
  await tapTestId(page, 'activate');
  await heading(page, 'Votre Identité Numérique est active', 30000);
}

const results = [];
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true, ms: Date.now() - started });
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false, error: String(error.stack ?? error) });
    console.log(`✗ ${name}\n  ${error.stack ?? error}`);
    throw error;
  }
}

const context = await browser.newContext(PHONE);
const phone = await context.newPage();
const pageErrors = [];
phone.on('pageerror', (error) => pageErrors.push(String(error)));
// What a learner's phone scans on the welcome page, « Continuer sur votre smartphone »:
// `…/application#ca=…&id=…` (idn_api::join), the SHA-256 of the class authority and of the
// world's identity key; the browser device pins that identity.
const keys = await api('GET', '/api/keys', undefined, null);
const worldIdentity = createHash('sha256').update(Buffer.from(keys.identity_public_key, 'hex')).digest('base64url');
const authority = createHash('sha256').update(new X509Certificate(ca).raw).digest('base64url');
let learnerId;
/** Every step ran (a failed step stops the journey: the next ones need it). */
let finished = false;

try {
  await step('la page /application en HTTPS, installable, avec le bandeau SIMULATION', async () => {
    await phone.goto(`${base}/application#ca=${authority}&id=${worldIdentity}`);
    assert.equal(new URL(phone.url()).pathname, '/application/', 'the QR code address moves under its folder');
    await heading(phone, "Bienvenue dans L'Identité Numérique");
    const welcome = await phone.textContent('body');
    assert.ok(welcome.includes('SIMULATION'), 'the welcome screen says SIMULATION');
    for (const words of ["pièce d'identité française en cours de validité", 'titre de séjour de 5 ans minimum',
      'Android à partir de la version 6, iOS à partir de la version 13', 'avec caméra et micro']) {
      assert.ok(welcome.includes(words), `the welcome screen's prerequisites say « ${words} »`);
    }
    await phone.getByText('Vérifier la validité de mes documents').tap();
    await phone.getByText("de 5 ans minimum entre sa date d'émission").waitFor();
    const manifest = await phone.evaluate(async () => {
      const link = document.querySelector('link[rel=manifest]');
      return link ? (await fetch(link.href)).json() : null;
    });
    assert.equal(manifest?.lang, 'fr');
    assert.equal(manifest?.display, 'standalone');
    assert.ok(manifest.icons.some((icon) => icon.sizes === '512x512'), 'a 512 px icon for installation');
    const scope = await phone.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, `${base}/application/`, 'the service worker keeps to the app');
    const width = await phone.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `nothing wider than the phone (${width} px)`);
    await screen(phone, 'bienvenue');
  });

  await step('le compte La Poste, avec les messages reçus en direct', async () => {
    learnerId = await account(phone, person, { shots: true });
  });

  await step("l'identité et la vérification en face à face (le formateur joue le guichetier)", async () => {
    await identity(phone, person, { shots: true });
    await tapTestId(phone, 'mode-face_to_face');
    await heading(phone, 'Vérification en face à face');
    await screen(phone, 'face-a-face');
    await api('POST', '/api/clerk/validations', {
      code: await latestCode(learnerId, (message) => message.channel === 'sms'),
      document_type: 'cni',
      birth_name: person.birthName,
      birth_date: '1990-05-17',
      document_number_ending: person.numberEnding,
    });
    // The clerk's validation reaches the phone by the event stream.
    await heading(phone, "Code d'activation", 30000);
  });

  await step("l'activation : la clé de l'appareil créée dans le navigateur, le code secret scellé", async () => {
    await activate(phone, learnerId, { shots: true });
    await screen(phone, 'services');
    const learner = await api('GET', `/api/learners/${learnerId}`);
    assert.equal(learner.step, 'enrolled');
    // The key stays in the browser: IndexedDB holds a CryptoKey that cannot be exported.
    const kept = await phone.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const opening = indexedDB.open('idn-sandbox-appareil');
          opening.onerror = () => reject(opening.error);
          opening.onsuccess = () => {
            const all = opening.result.transaction('trousseau').objectStore('trousseau').getAll();
            all.onsuccess = () => {
              const values = all.result;
              const keys = values.filter((value) => value instanceof CryptoKey);
              resolve({
                keys: keys.map((key) => ({ extractable: key.extractable, algorithm: key.algorithm.name })),
                text: JSON.stringify(values),
              });
            };
          };
        }),
    );
    assert.deepEqual(kept.keys, [{ extractable: false, algorithm: 'Ed25519' }], 'one non-extractable Ed25519 device key');
    assert.ok(!kept.text.includes(SECRET), 'the secret code is stored nowhere in the browser');
  });

  let site;
  await step('une connexion FranceConnect+ à Mon Compte Formation, validée sur la page du téléphone', async () => {
    // « Ouvrir le site » opens Mon Compte Formation in a new tab, as on a phone.
    [site] = await Promise.all([
      context.waitForEvent('page'),
      phone.getByRole('button', { name: 'Ouvrir le site : Mon Compte Formation' }).tap(),
    ]);
    await site.waitForLoadState();
    assert.equal(new URL(site.url()).pathname, '/mcf/');
    await site.click('#fc-plus');
    await site.getByText('Je choisis un moyen pour me connecter sur').first().waitFor();
    await site.click('#fournisseur-laposte');
    await site.fill('#mobile', person.mobileIntl);
    // The phone page (in the background, as on a phone) is watched from the tap on « S'identifier ».
    const asked = Date.now();
    const shown = heading(phone, 'Demande de connexion').then(() => Date.now() - asked);
    await site.click('#s-identifier');
    await site.getByText('Validez la connexion dans votre application').first().waitFor();
    await site.screenshot({ path: join(artefacts, `${String(++shot).padStart(2, '0')}-laposte-attente.png`) });
    console.log(`  demande visible sur la page du téléphone ${await shown} ms après « S'identifier » (une mesure)`);
    await phone.bringToFront();
    await phone.getByTestId('time-left').waitFor();
    await screen(phone, 'demande-de-connexion');
    await pin(phone, SECRET);
    await tapTestId(phone, 'approve');
    await heading(phone, 'Connexion validée');
    await screen(phone, 'connexion-validee');
    await site.waitForURL(/\/mcf\/espace$/, { timeout: 15000 }).catch(async (error) => {
      await site.screenshot({ path: join(artefacts, 'echec-site.png') });
      throw error;
    });
    await site.getByText('Mon identité (transmise par FranceConnect+)').waitFor();
    await site.screenshot({ path: join(artefacts, `${String(++shot).padStart(2, '0')}-mcf-espace.png`) });
    await tapTestId(phone, 'close-outcome');
    await heading(phone, 'Votre Identité Numérique est active');
  });

  await step("l'application s'ouvre hors connexion (coquille gardée par le service worker)", async () => {
    await context.setOffline(true);
    try {
      await phone.reload();
      await phone.getByText('SIMULATION').first().waitFor({ timeout: 10000 });
      await screen(phone, 'hors-connexion');
    } finally {
      await context.setOffline(false);
    }
    await phone.reload();
    await heading(phone, 'Votre Identité Numérique est active');
  });

  await step('« Supprimer de cet appareil » met fin à l\'accès du téléphone', async () => {
    await tapTestId(phone, 'open-settings');
    await heading(phone, 'Réglages');
    await screen(phone, 'reglages');
    await tap(phone, 'Supprimer de cet appareil');
    const [revoked] = await Promise.all([
      phone.waitForResponse((response) => response.url().endsWith('/api/credentials/current') && response.request().method() === 'DELETE'),
      tap(phone, 'Confirmer la suppression'),
    ]);
    assert.equal(revoked.status(), 204, 'the world ends the phone\'s credential');
    await heading(phone, "Bienvenue dans L'Identité Numérique");
    const learner = await api('GET', `/api/learners/${learnerId}`);
    assert.equal(learner.step, 'enrolled', 'the world keeps the learner');
    // The phone's credential ended: a new login request cannot be read by anyone.
    const count = await phone.evaluate(
      () =>
        new Promise((resolve) => {
          const opening = indexedDB.open('idn-sandbox-appareil');
          opening.onsuccess = () => {
            const all = opening.result.transaction('trousseau').objectStore('trousseau').getAll();
            all.onsuccess = () => resolve(all.result.filter((value) => typeof value === 'string' || value instanceof CryptoKey).length);
          };
        }),
    );
    assert.equal(count, 0, 'neither the key nor the credential stays in the browser');
  });

  await step('en http:// sur le réseau de la classe, une explication au lieu des écrans', async () => {
    const other = await browser.newContext(PHONE);
    const page = await other.newPage();
    await page.goto(`http://salle-12.local:${plainPort}/application/`);
    await page.getByTestId('insecure-context').waitFor();
    assert.equal(await page.evaluate(() => window.isSecureContext), false);
    assert.ok((await page.textContent('body')).includes('SIMULATION'));
    await heading(page, 'Connexion non sécurisée');
    await screen(page, 'http-non-securise');
    await other.close();
  });
  await step("en ligne (AR24) : photos et vidéo choisies dans la galerie du téléphone, jusqu'à l'activation", async () => {
    // A second learner on a phone of their own.
    const other = await browser.newContext(PHONE);
    const page = await other.newPage();
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    const who = { ...person, email: 'noe.telephone@exemple.fr', mobile: '06 39 98 00 78', firstName: 'Noé', sex: 'Homme' };
    await page.goto(`${base}/application/`);
    await heading(page, "Bienvenue dans L'Identité Numérique");
    const id = await account(page, who, { shots: false });
    await identity(page, who, { shots: false });
    // AR24's conditions, accepted and confirmed (001); the box is as large as a finger.
    await tapTestId(page, 'mode-online');
    await heading(page, 'En ligne avec AR24');
    assert.ok((await page.textContent('body')).includes("AR24 est un prestataire de lettres recommandées électroniques reconnu par l'état français"), 'the conditions say who AR24 is (003)');
    const box = await page.getByTestId('ar24-terms').evaluate((input) => input.closest('label').getBoundingClientRect().height);
    assert.ok(box >= 44, `AR24's box is tapped on a line of ${box} px`);
    await tapTestId(page, 'ar24-confirm');
    await page.getByText("Conditions d'AR24 à accepter").waitFor();
    assert.equal(await page.getByTestId('ar24-terms').getAttribute('aria-invalid'), 'true', 'the refusal marks the box');
    await screen(page, 'en-ligne-conditions-ar24');
    await tick(page, "J'accepte les conditions générales d'utilisation de AR24");
    await tapTestId(page, 'ar24-confirm');
    await heading(page, 'Courrier recommandé AR24');
    assert.ok((await page.textContent('body')).includes('dans les prochaines minutes'), 'AR24 first announces the letter (001)');
    await screen(page, 'en-ligne-courrier-annonce');
    await tapTestId(page, 'open-messages-letter');
    await heading(page, 'Messages');
    if ((await page.getByTestId('read-letter').count()) === 0) await tapTestId(page, 'spam-folder');
    await tapTestId(page, 'read-letter');
    await page.getByTestId('confirm-letter').waitFor();
    await screen(page, 'en-ligne-courrier-ouvert');
    await tapTestId(page, 'confirm-letter');
    await tapTestId(page, 'start-visual');
    await heading(page, "Etape 1 sur 2 : Ajout pièce d'identité");
    await page.getByTestId('import-front').waitFor({ state: 'attached' });
    assert.ok(await page.getByTestId('document-cni').isChecked(), 'the declared card is chosen');
    assert.equal(await page.locator('input[name="visual-document"]').first().getAttribute('value'), 'cni', 'the declared card is offered first');
    const sides = await page.textContent('body');
    assert.ok(sides.includes('Face avant') && sides.includes('Face arrière'), "the card's sides are « Face avant » and « Face arrière » (003)");
    // The front with the phone's camera (getUserMedia), taken by hand; the back from the gallery.
    await tapTestId(page, 'open-camera-front');
    await page.locator('[data-testid="preview-front"]:not([data-seq="-1"])').waitFor({ timeout: 20000 });
    // The fake camera films the card well framed: the world's guidance may say « all good » and
    // take the photo itself before the tap (tests/browser/phone-video.mjs checks the hints and the
    // auto-capture); here the preview shows a hint and the photo is taken, by hand if still needed.
    assert.ok(await page.getByTestId('hint-front').getAttribute('data-hint'), 'the preview shows a hint');
    await screen(page, 'en-ligne-camera');
    const taken = page.locator('[data-testid="hint-front"]:not([data-taken=""])');
    const byHand = page.getByRole('button', { name: 'Prendre la photo', exact: true });
    // Only an auto-capture between the two reads may leave the button gone.
    await byHand.tap({ timeout: 5000 }).catch(async (error) => {
      if ((await taken.count()) === 0) throw error;
    });
    await taken.waitFor({ timeout: 20000 });
    await tapTestId(page, 'use-front');
    await page.getByTestId('uploaded-front').waitFor({ timeout: 20000 });
    await page.getByTestId('import-back').setInputFiles(verso);
    await page.getByTestId('uploaded-back').waitFor({ timeout: 20000 });
    // The validation message, then the video's own screen.
    await page.getByTestId('document-check').waitFor();
    await screen(page, 'en-ligne-etape-1-piece');
    await tapTestId(page, 'visual-continue');
    await heading(page, 'Etape 2 sur 2 : Vérification vidéo');
    assert.ok((await page.textContent('body')).includes("remontrer la pièce d'identité face caméra ou de tourner la tête"), 'the video step says what 001 adds');
    const digits = (await api('GET', `/api/learners/${id}`)).registered_letter.spoken_digits;
    assert.match(digits, /^\d{3}$/, 'the letter gives the 3 digits to say');
    // The video filmed with the phone's camera app, then imported (MP4: H.264 and Opus).
    const video = join(gallery, 'video.mp4');
    execFileSync(idn, ['capture', 'video', '--chiffres', digits, '--out', video], { stdio: 'ignore' });
    await page.getByTestId('import-video').setInputFiles(video);
    await page.getByTestId('submit-visual').and(page.locator(':enabled')).waitFor({ timeout: 30000 });
    await screen(page, 'en-ligne-photos-et-video');
    const letterId = (await api('GET', `/api/learners/${id}`)).registered_letter.letter_id;
    await tapTestId(page, 'submit-visual');
    await heading(page, `Suivi de votre courrier n°${letterId}`);
    const letter = (await api('GET', `/api/learners/${id}`)).registered_letter;
    const status = await page.getByTestId('review-status').innerText();
    for (const words of ['Identification en cours de traitement', 'Vous serez averti par email une fois votre identité vérifiée.', 'Vous pouvez fermer cette page.']) {
      assert.ok(status.includes(words), `the tracking page says « ${words} » (003)`);
    }
    // The world's timeline, then the entries to come, greyed and named « à venir ».
    const reached = await texts(page, 'timeline-entry');
    assert.ok(reached[0].startsWith('Email de notification remis') && reached[1].startsWith('Courrier recommandé électronique envoyé par votre expéditeur'),
      `the timeline begins as 003's: ${JSON.stringify(reached)}`);
    const upcoming = await texts(page, 'timeline-upcoming');
    assert.deepEqual(upcoming, letter.upcoming.map((label) => `${label} (à venir)`), 'every entry to come is listed, « à venir » for screen readers');
    assert.ok(upcoming.length > 0, 'entries are still to come while AR24 reviews');
    await screen(page, 'en-ligne-suivi');
    // After sending, La Poste confirms the file and AR24 its electronic signature (000).
    const senders = (await api('GET', `/api/learners/${id}/inbox`)).map((message) => `${message.sender} : ${message.subject}`);
    assert.ok(senders.some((line) => /La Poste/.test(line) && /envoi de votre dossier/.test(line)), `La Poste's confirmation: ${JSON.stringify(senders)}`);
    assert.ok(senders.some((line) => /AR24/.test(line) && /[Ss]ignature électronique/.test(line)), `AR24's signature email: ${JSON.stringify(senders)}`);
    // The review takes its time: the sandbox menu moves this learner's clock (their own time).
    await page.locator('summary', { hasText: 'Menu bac à sable' }).tap();
    await tap(page, 'Passer 24 heures');
    // Accepted: « Consulter mon courrier » in AR24's email opens the letter and its code.
    await heading(page, "Code d'activation", 30000);
    await tapTestId(page, 'open-messages');
    await heading(page, 'Messages');
    if ((await page.getByTestId('consult-letter').count()) === 0) await tapTestId(page, 'spam-folder');
    await tapTestId(page, 'consult-letter');
    await heading(page, `Courrier n°${letter.letter_id}`);
    assert.ok((await page.getByTestId('letter-sender').innerText()).includes("La Poste — L'Identité Numérique"), 'the letter names its sender');
    const code = (await page.getByTestId('letter-code').innerText()).trim();
    assert.match(code, /^\d{6}$/, 'the letter gives the 6-digit activation code');
    assert.equal(await latestCode(id, (message) => message.channel === 'sms'), code, 'the SMS gives the same code');
    await screen(page, 'en-ligne-courrier-code');
    await tapTestId(page, 'enter-activation-code');
    await activate(page, id, { shots: false, code });
    await screen(page, 'en-ligne-active');
    const media = await api('GET', `/api/learners/${id}`);
    assert.equal(media.step, 'enrolled', 'the world accepted the gallery photos and video');
    await other.close();
  });

  finished = true;
} catch {
  // Reported below with the others.
} finally {
  await browser.close();
  secure.world.kill('SIGTERM');
  plain.world.kill('SIGTERM');
  rmSync(data, { recursive: true, force: true });
}

writeFileSync(join(artefacts, 'monde.log'), secure.log.join(''));
writeFileSync(join(artefacts, 'report.json'), `${JSON.stringify({ results, axeFindings, pageErrors }, null, 2)}\n`);
for (const finding of axeFindings) console.log(`✗ axe-core, écran ${finding.screen} : ${JSON.stringify(finding.violations)}`);
for (const error of pageErrors) console.log(`✗ erreur dans la page : ${error}`);
const failed = results.filter((result) => !result.ok).length + axeFindings.length + pageErrors.length;
console.log(`\n${results.filter((result) => result.ok).length}/${results.length} étapes réussies ; captures dans ${artefacts}`);
process.exit(failed === 0 && finished ? 0 : 1);
