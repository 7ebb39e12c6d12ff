// L'Identité Numérique's web site, then the phone (issue 18 item 1): Debian's Chromium as a
// computer (1280 × 800) opens the class world's /identite-numerique/ over HTTPS, as the guides
// recommend (« Nous vous préconisons de créer votre compte avec un ordinateur », 002): the
// landing page, « Créer votre Identité Numérique » and its choices, « Continuer sur le site web »,
// the Compte La Poste with its codes read in the site's simulated mailbox, the identity, its
// confirmation, « En face à face » on the verification-mode page (side bar 01 · 02 · 03), and
// « Continuez sur votre smartphone » with its QR code. Then a phone (390 × 844) opens
// /application, signs in with the same identifiers and a code, and stands at the face-to-face
// step the site left it at. A second computer chooses « En ligne » and its phone sees AR24's
// letter. Every page is saved in tests/browser/artefacts/site/ and checked with axe-core (serious
// or critical violations fail). The site answers each step's page with that step's form, in
// whatever order the journey asks them.
//
// Needs: the `idn` binary (IDN_BIN, default target/debug/idn), the built screens (ui/dist),
// /usr/bin/chromium. Run: node tests/browser/website.mjs

import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
const artefacts = join(here, 'artefacts', 'site');
const require = createRequire(join(root, 'package.json'));
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const COMPUTER = { viewport: { width: 1280, height: 800 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' };
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
const people = {
  face: { email: 'paul.ordinateur@exemple.fr', password: 'Formation2026', mobile: '0639980011' },
  online: { email: 'ines.ordinateur@exemple.fr', password: 'Formation2026', mobile: '0639980022' },
};

if (!existsSync(join(appDir, 'index.html'))) {
  console.error(`ÉCHEC : les écrans ne sont pas construits (${appDir}) : npm --prefix ui run build`);
  process.exit(2);
}
rmSync(artefacts, { recursive: true, force: true });
mkdirSync(artefacts, { recursive: true });
const data = mkdtempSync(join(tmpdir(), 'idn-site-'));

// ----- the class world, over HTTPS under its local authority, with its trainer -----
const worldDir = join(data, 'world');
addTrainer(idn, worldDir);
const trainer = apiToken(idn, worldDir);
assert.ok(trainer, 'an API token for the trainer, made before the world serves');
const log = [];
const world = spawn(idn, ['world', 'serve', '--listen', '127.0.0.1:0', '--data-dir', worldDir, '--tls'], {
  stdio: ['ignore', 'ignore', 'pipe'],
  env: { ...process.env, IDN_APP_DIR: appDir },
});
const base = await new Promise((resolve, reject) => {
  let seen = '';
  world.stderr.on('data', (chunk) => {
    seen += chunk;
    log.push(String(chunk));
    const found = seen.match(/https:\/\/127\.0\.0\.1:\d+/);
    if (found) resolve(found[0]);
  });
  world.on('exit', (code) => reject(new Error(`world exited (${code}): ${seen}`)));
  setTimeout(() => reject(new Error(`world did not start: ${seen}`)), 30000);
});
const ca = readFileSync(join(worldDir, 'tls', 'ca.pem'));
const leaf = readFileSync(join(worldDir, 'tls', 'server.pem'), 'utf8').match(
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
)[0];
const spki = createHash('sha256')
  .update(new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');
console.log(`==> monde de la classe (HTTPS) : ${base}`);

/** The world's API as the trainer, trusting its local authority only. */
function api(method, path, token = trainer) {
  return new Promise((resolve, reject) => {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
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
    call.end();
  });
}

async function learnerByEmail(email) {
  const learner = (await api('GET', '/api/learners')).find((candidate) => candidate.email === email);
  assert.ok(learner, `a learner with ${email} in the world`);
  return learner;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--ignore-certificate-errors-spki-list=${spki}`,
  ],
});

let shot = 0;
const axeFindings = [];
/** A full-page screenshot, then axe-core on the page (serious and critical fail). */
async function screen(page, name) {
  shot += 1;
  await page.screenshot({ path: join(artefacts, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
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
const click = (page, name) => page.getByRole('button', { name, exact: true }).click();
const type = (page, label, value) => page.getByLabel(label, { exact: true }).fill(value);

/** The step the site's page shows (`data-step`, the journey's code). */
const stepOf = (page) => page.locator('[data-step]').getAttribute('data-step');

/** The newest code the learner received, read in the site's simulated mailbox (the page must
 * show it: the same message the world keeps). */
async function codeFromMailbox(context, who, shots, name) {
  const id = (await learnerByEmail(who.email)).id;
  const inbox = await api('GET', `/api/learners/${id}/inbox`);
  const code = inbox.filter((message) => message.code).at(-1)?.code;
  assert.ok(code, 'a message carrying a code');
  const mailbox = await context.newPage();
  await mailbox.goto(`${base}/identite-numerique/messagerie`);
  await heading(mailbox, 'Ma messagerie (simulation)');
  if (shots) await screen(mailbox, name);
  assert.ok((await mailbox.locator('tbody tr').first().textContent()).includes(code), 'the newest message shows the code');
  await mailbox.close();
  return code;
}

/** From « Continuer sur le site web » to the verification-mode page, one step page at a time. */
async function siteAccount(context, page, who, shots) {
  const shoot = (name) => (shots ? screen(page, name) : Promise.resolve());
  await page.goto(`${base}/identite-numerique/`);
  await heading(page, 'Simplifiez et sécurisez vos démarches en ligne');
  assert.ok((await page.textContent('body')).includes('SIMULATION'), 'the site says SIMULATION');
  await shoot('accueil');
  await page.getByRole('link', { name: 'Créer votre Identité Numérique' }).click();
  await heading(page, 'Créer votre Identité Numérique');
  await page.locator('img.qr').evaluate((img) => img.decode());
  await shoot('creer-choix');
  await page.getByRole('link', { name: 'Continuer sur le site web' }).click();
  await heading(page, 'Créez votre Compte La Poste');
  await type(page, 'Adresse e-mail', who.email);
  await shoot('identifiant');
  await click(page, 'Continuer');
  const seen = [];
  for (let turn = 0; turn < 12; turn += 1) {
    const step = await stepOf(page);
    seen.push(step);
    if (step === 'verification_choice') break;
    switch (step) {
      case 'email_code':
        await type(page, 'Code à 6 chiffres', await codeFromMailbox(context, who, shots, 'messagerie-code-e-mail'));
        await shoot('code-e-mail');
        await click(page, 'Continuer');
        break;
      case 'password':
        await type(page, 'Mot de passe', who.password);
        await shoot('mot-de-passe');
        await click(page, 'Continuer');
        break;
      case 'mobile':
        await type(page, 'Numéro de mobile', who.mobile);
        await shoot('mobile');
        await click(page, 'Continuer');
        break;
      case 'profile':
        await page.getByLabel('Madame', { exact: true }).check();
        await type(page, 'Prénom', 'Paul');
        await type(page, 'Nom', 'Ordinateur');
        await page.getByLabel("J'accepte les Conditions Générales d'Utilisation du Compte La Poste.").check();
        await shoot('informations');
        await click(page, 'Créer mon compte');
        break;
      case 'mobile_code':
        await type(page, 'Code de vérification', await codeFromMailbox(context, who, false, ''));
        await shoot('code-sms');
        await click(page, 'Valider');
        break;
      case 'identity_data':
        await page.getByLabel('Pièce d\'identité', { exact: true }).selectOption('cni');
        await page.getByLabel('Homme', { exact: true }).check();
        await type(page, 'Prénom(s)', 'Paul, Henri');
        await type(page, 'Nom de naissance', 'ORDINATEUR');
        await type(page, 'Date de naissance', '1985-03-02');
        await type(page, 'Commune de naissance (née ou né en France)', 'Lyon');
        await type(page, 'Code INSEE de la commune (ou code postal)', '69123');
        await type(page, "Date d'émission", '2023-05-10');
        await type(page, "Date d'expiration", '2033-05-09');
        await type(page, '4 derniers caractères du numéro de la pièce', 'K7P2');
        await shoot('piece-identite');
        await click(page, 'Continuer');
        break;
      case 'identity_confirmation':
        await heading(page, 'Confirmation de vos informations');
        // 003's rows: « Sexe » and « Date d'émission » among them, the nationality named.
        for (const row of ['Sexe Homme', "Date d'émission 10/05/2023", 'Nationalité Française']) {
          assert.ok((await page.locator('main').innerText()).replace(/\s+/g, ' ').includes(row), `the confirmation shows « ${row} »`);
        }
        await shoot('confirmation');
        await click(page, 'Confirmer');
        break;
      default:
        throw new Error(`unexpected step ${step} after ${seen.join(' → ')}`);
    }
    await page.waitForLoadState('load');
    const error = await page.locator('.error[role=alert]').count();
    assert.equal(error, 0, `the site refused step ${step}: ${await page.locator('main').textContent()}`);
  }
  await heading(page, 'Vérification de votre identité');
  const current = await page.locator('[aria-current=step]').textContent();
  assert.match(current, /03\s*Vérification de votre identité/);
  return seen;
}

/** The phone opens /application, signs in with the same identifiers, and types the code. */
async function phoneSignsIn(who) {
  const context = await browser.newContext(PHONE);
  const phone = await context.newPage();
  const keys = await api('GET', '/api/keys', null);
  const worldIdentity = createHash('sha256').update(Buffer.from(keys.identity_public_key, 'hex')).digest('base64url');
  const authority = createHash('sha256').update(new X509Certificate(ca).raw).digest('base64url');
  await phone.goto(`${base}/application#ca=${authority}&id=${worldIdentity}`);
  await heading(phone, "Bienvenue dans L'Identité Numérique");
  await phone.getByRole('button', { name: 'Se connecter avec un compte La Poste existant', exact: true }).tap();
  await heading(phone, 'Se connecter avec votre compte La Poste');
  await type(phone, 'Adresse e-mail du compte', who.email);
  await type(phone, 'Mot de passe du compte', who.password);
  await phone.getByRole('button', { name: 'Se connecter', exact: true }).tap();
  await phone.getByLabel('Code de confirmation', { exact: true }).waitFor();
  const id = (await learnerByEmail(who.email)).id;
  const inbox = await api('GET', `/api/learners/${id}/inbox`);
  await type(phone, 'Code de confirmation', inbox.filter((message) => message.code).at(-1).code);
  await phone.getByRole('button', { name: 'Valider', exact: true }).tap();
  return { context, phone, id };
}

const results = [];
async function step(name, body) {
  const started = Date.now();
  try {
    await body();
    results.push({ name, ok: true });
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false });
    console.log(`✗ ${name}\n  ${error.stack ?? error}`);
    throw error;
  }
}

let failed = false;
try {
  await step('sur ordinateur : le site, le Compte La Poste, l\'identité, « En face à face »', async () => {
    const context = await browser.newContext(COMPUTER);
    const page = await context.newPage();
    const seen = await siteAccount(context, page, people.face, true);
    console.log(`    étapes du site : ${seen.join(' → ')}`);
    await screen(page, 'mode-de-verification');
    await page.getByRole('button', { name: 'SELECTIONNER En face à face' }).click();
    await heading(page, 'Continuez sur votre smartphone');
    await page.locator('img.qr').evaluate((img) => img.decode());
    const text = await page.locator('main').textContent();
    assert.ok(text.includes('15 jours'), 'the 15 days to present oneself');
    await screen(page, 'continuer-sur-smartphone');
    const learner = await learnerByEmail(people.face.email);
    assert.equal(learner.step, 'face_to_face', 'the journey stands at face to face');
    await context.close();
  });

  await step('sur le téléphone : les mêmes identifiants, et le parcours reprend au face à face', async () => {
    const { context, phone } = await phoneSignsIn(people.face);
    await phone.getByTestId('face-deadline').waitFor({ timeout: 20000 });
    await phone.screenshot({ path: join(artefacts, `${String((shot += 1)).padStart(2, '0')}-telephone-face-a-face.png`) });
    await context.close();
  });

  await step('sur ordinateur, « En ligne » et les conditions d\'AR24 ; le téléphone reprend à la lettre AR24', async () => {
    const context = await browser.newContext(COMPUTER);
    const page = await context.newPage();
    await siteAccount(context, page, people.online, false);
    // AR24's conditions are accepted before « Confirmer » (001): without the box, refused.
    await page.getByRole('button', { name: 'Confirmer la vérification en ligne' }).click();
    await page.getByText("Acceptez les conditions générales d'utilisation de AR24 pour continuer.").first().waitFor();
    assert.equal((await learnerByEmail(people.online.email)).step, 'verification_choice', 'nothing is sent before the conditions are accepted');
    await page.getByLabel("J'accepte les conditions générales d'utilisation de AR24").check();
    await screen(page, 'conditions-ar24');
    await page.getByRole('button', { name: 'Confirmer la vérification en ligne' }).click();
    await heading(page, 'Continuez sur votre smartphone');
    assert.ok((await page.locator('main').textContent()).includes('AR24'));
    await screen(page, 'continuer-sur-smartphone-en-ligne');
    await context.close();
    const learner = await learnerByEmail(people.online.email);
    assert.equal(learner.step, 'registered_letter');
    const { context: phoneContext, phone } = await phoneSignsIn(people.online);
    await phone.getByText('AR24', { exact: false }).first().waitFor({ timeout: 20000 });
    await phone.screenshot({ path: join(artefacts, `${String((shot += 1)).padStart(2, '0')}-telephone-en-ligne.png`) });
    await phoneContext.close();
  });

  assert.deepEqual(axeFindings, [], `axe-core: ${JSON.stringify(axeFindings, null, 2)}`);
  console.log(`✓ axe-core : aucune violation grave ou critique sur ${shot} captures`);
} catch (error) {
  failed = true;
  if (!results.some((result) => !result.ok)) console.log(`✗ ${error.stack ?? error}`);
} finally {
  await browser.close();
  world.kill();
  if (failed) console.log(log.join('').split('\n').slice(-40).join('\n'));
  rmSync(data, { recursive: true, force: true });
}
console.log(`==> site puis téléphone : ${results.filter((result) => result.ok).length}/${results.length} ; captures dans ${artefacts}`);
process.exit(failed ? 1 : 0);
