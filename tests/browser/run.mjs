// Browser suite: a person logs into the Mon Compte Formation demo site through FranceConnect+
// and L'Identité Numérique La Poste in Debian's Chromium, approving on the device through the
// device core (the `idn` CLI), plus the refused, expired and wrong-number cases, and an
// independent OpenID Connect client (the `jose` library) that verifies the tokens against the
// published keys, and a certified relying-party library (panva's openid-client 6 with its default
// checks) against a second world served over HTTPS (tests/browser/openid-client.mjs).
// The pages around the login are checked as guides 000, 001 and 004 show them (Mon Compte
// Formation's headings and buttons, FranceConnect+ with La Poste alone, the real service's support
// contacts), and La Poste's waiting page is walked with JavaScript off (reload to move on).
// Screenshots of every page go to tests/browser/artefacts/, and axe-core checks every world page:
// serious and critical violations fail, and so does « region » (content outside a landmark, such
// as a SIMULATION banner outside the page's header). What a trainer does (the class clock,
// reading the learner, registering the independent relying party) goes to the world's API
// with a trainer's credential (tests/browser/trainer.mjs); the device answers with its own,
// kept in its vault by `idn demo`.
//
// Needs: the `idn` binary (IDN_BIN, default target/debug/idn), /usr/bin/chromium, a keyring
// for the device key (scripts/test.d/browser.sh provides one with dbus-run-session).

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import * as jose from 'jose';
import { addTrainer, apiToken, trainerToken } from './trainer.mjs';
import { openidClientLogin, serveTlsWorld } from './openid-client.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const idn = process.env.IDN_BIN ?? join(root, 'target', 'debug', 'idn');
const artefacts = join(here, 'artefacts');
const require = createRequire(join(root, 'package.json'));
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
rmSync(artefacts, { recursive: true, force: true });
mkdirSync(artefacts, { recursive: true });
const data = mkdtempSync(join(tmpdir(), 'idn-browser-'));
const deviceDir = join(data, 'device');

function cli(args, { json = true } = {}) {
  const all = json ? ['--json', ...args] : args;
  const out = execFileSync(idn, all, { encoding: 'utf8', env: { ...process.env, IDN_WORLD_URL: base } });
  return json ? JSON.parse(out) : out;
}

// ----- a learner enrolled by `idn demo`, then a world serving its data -----
console.log('==> idn demo (identité activée, clé dans le trousseau)');
const demoLines = execFileSync(idn, ['demo', '--data-dir', data, '--seed', '7', '--json'], { encoding: 'utf8' })
  .trim()
  .split('\n');
const summary = JSON.parse(demoLines.at(-1));
assert.equal(summary.ok, true, 'the demo enrolled a learner');
const secret = summary.secret_code;

// The class's trainer, made on the world's machine before it serves.
const worldDir = join(data, 'world');
addTrainer(idn, worldDir);
const madeToken = apiToken(idn, worldDir);

const world = spawn(idn, ['world', 'serve', '--listen', '127.0.0.1:0', '--data-dir', worldDir], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let base = await new Promise((resolve, reject) => {
  let seen = '';
  world.stderr.on('data', (chunk) => {
    seen += chunk;
    const found = seen.match(/http:\/\/127\.0\.0\.1:\d+/);
    if (found) resolve(found[0]);
  });
  world.on('exit', (code) => reject(new Error(`world exited (${code}): ${seen}`)));
  setTimeout(() => reject(new Error(`world did not start: ${seen}`)), 20000);
});
console.log(`==> monde : ${base}`);
const trainer = await trainerToken(base, madeToken);

/** The world's API as the trainer. */
async function asTrainer(method, path, body) {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${trainer}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status} ${text}`);
  return text === '' ? null : JSON.parse(text);
}

await asTrainer('PUT', '/api/clock', { mode: 'real' });
const learner = await asTrainer('GET', `/api/learners/${summary.learner_id}`);
const mobile = learner.mobile;

function device(args) {
  return cli(['device', '--device-dir', deviceDir, ...args]);
}

async function pendingRequest() {
  for (let i = 0; i < 100; i++) {
    const pending = device(['pending']);
    if (pending.length > 0) return pending[0].request_id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the login request never reached the device');
}

// ----- a second world, over HTTPS, for the certified relying-party library -----
console.log('==> monde HTTPS (idn world serve --tls) pour openid-client');
const secure = await serveTlsWorld(idn, join(data, 'https'));
console.log(`==> monde HTTPS : ${secure.base}`);

// ----- the browser -----
// It trusts the HTTPS world's certificate by the hash of that one public key, nothing wider.
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--ignore-certificate-errors-spki-list=${secure.spki}`,
  ],
});

let shot = 0;
let checked = 0;
const axeFindings = [];
/** Pages of a browser with JavaScript off: axe-core cannot run there. */
const withoutScript = new WeakSet();
/** A full-page screenshot, then axe-core on it when it is one of the worlds' pages (an
 * independent client's own callback page is not ours to check). */
async function screenshot(page, name) {
  shot += 1;
  await page.screenshot({ path: join(artefacts, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  if (withoutScript.has(page) || ![base, secure.base].some((world) => page.url().startsWith(world))) return;
  checked += 1;
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((violation) => ['serious', 'critical'].includes(violation.impact) || violation.id === 'region')
      .map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(' ')) }));
  });
  if (violations.length > 0) axeFindings.push({ screen: name, url: page.url(), violations });
}

async function expectText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 10000 });
}

/** From the service's button to the waiting page on La Poste, typing `number`. */
async function toLaPoste(page, number, prefix = 'connexion') {
  await expectText(page, 'Je choisis un moyen pour me connecter sur');
  await screenshot(page, `${prefix}-franceconnect-choix`);
  await page.click('#fournisseur-laposte');
  await expectText(page, 'Identifiez-vous avec votre Identité Numérique');
  await page.fill('#mobile', number);
  await screenshot(page, `${prefix}-laposte-numero`);
  await page.click('#s-identifier');
}

const results = [];
async function scenario(name, body, options = {}) {
  const context = await browser.newContext({ locale: 'fr-FR', viewport: { width: 1100, height: 900 }, ...options });
  const page = await context.newPage();
  if (options.javaScriptEnabled === false) withoutScript.add(page);
  const started = Date.now();
  try {
    await body(page);
    results.push({ name, ok: true, ms: Date.now() - started });
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false, error });
    console.log(`✗ ${name}\n  ${error.stack ?? error}`);
    await screenshot(page, `echec-${name.replace(/\W+/g, '-')}`).catch(() => {});
  } finally {
    await context.close();
  }
}

await scenario('connexion à Mon Compte Formation, achat, déconnexion', async (page) => {
  await page.goto(`${base}/mcf`);
  await expectText(page, "S'identifier avec");
  await expectText(page, 'SIMULATION');
  await expectText(page, 'Connexion avec vos identifiants');
  await screenshot(page, 'mcf-connexion');
  await page.click('#fc-plus');
  await toLaPoste(page, mobile);
  await expectText(page, 'Validez la connexion dans votre application');
  const countdown = await page.textContent('#compte-a-rebours');
  assert.match(countdown, /^[01]:\d\d$/, 'the one-minute countdown is shown');
  await screenshot(page, 'laposte-attente');
  const started = Date.now();
  device(['approve', await pendingRequest(), '--secret', secret]);
  await page.waitForURL(/\/mcf\/espace$/, { timeout: 15000 });
  console.log(`  retour sur le site ${Date.now() - started} ms après l'approbation`);
  await expectText(page, 'Mon identité (transmise par FranceConnect+)');
  assert.match(await page.textContent('#birthdate'), /^\d{4}-\d{2}-\d{2}$/, 'birthdate as YYYY-MM-DD');
  assert.match(await page.textContent('#family_name'), /^[A-ZÀ-ÖØ-Þ' -]+$/, 'family name in upper case');
  await screenshot(page, 'mcf-espace');

  await page.click('#acheter');
  await toLaPoste(page, mobile, 'achat');
  device(['approve', await pendingRequest(), '--secret', secret]);
  await page.waitForURL(/\/mcf\/espace$/, { timeout: 15000 });
  await page.locator('#achat-confirme').waitFor();
  await screenshot(page, 'mcf-achat-confirme');

  await page.click('#deconnexion');
  await expectText(page, 'Vous êtes déconnecté');
  await screenshot(page, 'mcf-deconnecte');
});

/** The page's one `<h1>`, `<h2>`… named `name` exactly. */
const heading = (page, level, name) => page.getByRole('heading', { level, name, exact: true }).waitFor({ timeout: 10000 });

await scenario('pages autour de la connexion, comme les guides les montrent', async (page) => {
  await page.goto(`${base}/mcf`);
  // The SIMULATION banner is in the page's banner landmark.
  await page.getByRole('banner').getByText(/^SIMULATION — IDN Sandbox/).waitFor();
  await heading(page, 1, 'Connexion');
  await heading(page, 2, 'Connexion FranceConnect+');
  await heading(page, 2, 'Connexion avec vos identifiants');
  await expectText(page, "Attention ! Votre parcours d'achat s'est davantage sécurisé avec FranceConnect+.");
  await expectText(page, 'Vos données de connexion sont strictement personnelles, veuillez à ne pas les communiquer à une autre personne.');
  await expectText(page, "Nouveau ! FranceConnect+ assure la sécurité de votre CPF grâce à l'Identité Numérique La Poste.");
  await page.getByText('OU', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'ME CONNECTER', exact: true }).waitFor();
  assert.equal(await page.getByRole('link', { name: 'MOT DE PASSE OUBLIÉ', exact: true }).count(), 1);
  await expectText(page, "Vous n'avez pas de compte ? CRÉER MON COMPTE");
  // Where a stuck learner looks: the real service's contacts, said to be the real ones.
  const support = page.getByRole('region', { name: 'Pour vous accompagner dans cette démarche' });
  await support.getByText('téléconseiller au 09 70 81 00 50', { exact: false }).waitFor();
  await support.getByText('du lundi au vendredi de 8h30 à 19h et samedi de 8h30 à 13h, hors jours fériés', { exact: false }).waitFor();
  await support.getByText('contacts du vrai service', { exact: false }).waitFor();
  await support.getByText('Le bac à sable ne les appelle jamais', { exact: false }).waitFor();
  assert.equal(await support.getByRole('link').count(), 0, 'no contact is a link');

  // The buttons the sandbox does not simulate lead to a page that says so, then on to FranceConnect+.
  for (const [button, title, real] of [
    ['MOT DE PASSE OUBLIÉ', 'Mot de passe oublié', "retrouver l'accès à un compte créé avant le 25 octobre 2022"],
    ['CRÉER MON COMPTE', 'Créer mon compte', 'votre espace s\'ouvre à votre première connexion avec FranceConnect+'],
  ]) {
    await page.getByRole('link', { name: button, exact: true }).click();
    await heading(page, 1, title);
    await expectText(page, real);
    await expectText(page, 'seule la connexion avec FranceConnect+ l\'est');
    await screenshot(page, `mcf-${title.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\W+/g, '-')}`);
    await page.getByRole('link', { name: 'Revenir à la page de connexion' }).click();
    await heading(page, 1, 'Connexion');
  }
  await page.getByRole('link', { name: "Qu'est-ce que FranceConnect+ ?" }).click();
  await heading(page, 1, "Qu'est-ce que FranceConnect+ ?");
  await screenshot(page, 'franceconnect-a-propos');
  await page.goBack();

  // FranceConnect+: La Poste alone, and why the usual accounts are not there.
  await page.click('#fc-plus');
  await heading(page, 1, 'Je choisis un moyen pour me connecter sur : Mon Compte Formation');
  await page.getByRole('link', { name: 'Revenir sur Mon Compte Formation' }).waitFor();
  const provider = page.locator('#fournisseur-laposte');
  assert.match(await provider.innerText(), /L'Identité Numérique\s+J'utilise l'application\s+L'Identité Numérique La Poste/);
  assert.equal(await page.locator('.provider').count(), 1, 'one provider');
  const why = page.getByText("Ce service demande une identité vérifiée à un niveau de sécurité renforcé", { exact: false });
  assert.equal(await why.isVisible(), false, 'the answer is folded');
  await page.getByText('Pourquoi je ne retrouve pas mes comptes habituels ?', { exact: true }).click();
  await why.waitFor({ state: 'visible' });
  await expectText(page, "Pour vous connecter, utilisez L'Identité Numérique La Poste.");
  await screenshot(page, 'franceconnect-comptes-habituels');

  await page.click('#fournisseur-laposte');
  await heading(page, 1, 'Identifiez-vous avec votre Identité Numérique');
  await page.getByRole('region', { name: 'Pour vous accompagner dans cette démarche' }).getByText('téléconseiller', { exact: false }).waitFor();
});

// Without JavaScript the waiting page cannot follow the phone: it says to reload, and the reload
// moves on once the phone answered.
await scenario('attente sans JavaScript : recharger la page', async (page) => {
  await page.goto(`${base}/mcf`);
  await page.click('#fc-plus');
  await toLaPoste(page, mobile, 'sans-js');
  await heading(page, 1, 'Validez la connexion dans votre application');
  const reload = page.getByRole('link', { name: 'rechargez cette page' });
  await reload.waitFor();
  // Playwright's text matching skips <noscript>: read the notice's own text.
  assert.match(await page.locator('#sans-javascript').innerText(), /^JavaScript est désactivé dans votre navigateur : cette page ne se met pas à jour toute seule\./);
  await screenshot(page, 'laposte-attente-sans-javascript');
  await reload.click();
  await heading(page, 1, 'Validez la connexion dans votre application');
  device(['approve', await pendingRequest(), '--secret', secret]);
  await reload.click();
  await page.waitForURL(/\/mcf\/espace$/, { timeout: 15000 });
  await expectText(page, 'Mon identité (transmise par FranceConnect+)');
}, { javaScriptEnabled: false });

await scenario('« Ce n\'est pas moi » sur le téléphone', async (page) => {
  await page.goto(`${base}/mcf/franceconnect`);
  await toLaPoste(page, mobile, 'refus');
  await expectText(page, 'Validez la connexion');
  device(['decline', await pendingRequest()]);
  await expectText(page, 'Connexion refusée depuis votre application');
  await screenshot(page, 'laposte-refusee');
  await page.click('#retour-fc');
  await expectText(page, "La connexion avec L'Identité Numérique La Poste n'a pas abouti");
  await screenshot(page, 'franceconnect-retour-apres-refus');
});

await scenario('délai d\'une minute dépassé', async (page) => {
  await page.goto(`${base}/mcf/franceconnect`);
  await toLaPoste(page, mobile, 'delai');
  await expectText(page, 'Validez la connexion');
  await pendingRequest();
  await asTrainer('POST', '/api/clock/advance', { seconds: 120 });
  await expectText(page, "Le délai d'une minute est dépassé");
  await screenshot(page, 'laposte-delai-depasse');
  await page.click('#reessayer');
  await expectText(page, 'Identifiez-vous avec votre Identité Numérique');
});

await scenario('numéro de mobile inconnu', async (page) => {
  await page.goto(`${base}/mcf/franceconnect`);
  await toLaPoste(page, '+33639999999', 'inconnu');
  await expectText(page, 'Numéro de mobile inconnu');
  await screenshot(page, 'laposte-numero-inconnu');
});

await scenario('Mon Compte Élu, connexion classique refusée', async (page) => {
  await page.goto(`${base}/mce`);
  await page.fill('#nir', '1 85 02 2B 033 123 45');
  await page.fill('#password', 'Simulation2026');
  await page.click('button[type=submit]');
  await expectText(page, 'connectez-vous avec FranceConnect+');
  await screenshot(page, 'mce-connexion-classique-refusee');
});

// An independent client: `jose` (not the world's JOSE library) verifies what FranceConnect+ sends
// to a relying party registered through the API, with the published JWKS and its own key.
await scenario('client OpenID Connect indépendant (jose)', async (page) => {
  const { publicKey, privateKey } = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
  const publicJwk = { ...(await jose.exportJWK(publicKey)), kid: 'rp-independant', use: 'enc', alg: 'ECDH-ES' };
  let received;
  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://127.0.0.1');
    if (url.pathname === '/retour') received = url;
    response.setHeader('content-type', 'text/html; charset=utf-8');
    response.end('<html lang="fr"><body><h1>Service indépendant : code reçu</h1></body></html>');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const callback = `http://127.0.0.1:${server.address().port}/retour`;
  try {
    const registration = { name: 'Service indépendant', redirect_uris: [callback], encryption_jwk: publicJwk };
    // Registering a relying party is a trainer's (or a developer's) act: nobody else's.
    const anonymous = await fetch(`${base}/api/relying-parties`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(registration),
    });
    assert.equal(anonymous.status, 401, 'an anonymous registration is refused');
    const registered = await asTrainer('POST', '/api/relying-parties', registration);
    const discovery = await (await fetch(`${base}${registered.discovery_path}`)).json();
    const state = jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
    const nonce = jose.base64url.encode(crypto.getRandomValues(new Uint8Array(32)));
    const authorize = new URL(discovery.authorization_endpoint);
    Object.entries({
      response_type: 'code', client_id: registered.client_id, redirect_uri: callback,
      scope: 'openid identite_pivot email', state, nonce, acr_values: 'eidas2',
    }).forEach(([k, v]) => authorize.searchParams.set(k, v));
    await page.goto(authorize.toString());
    await toLaPoste(page, mobile, 'independant');
    device(['approve', await pendingRequest(), '--secret', secret]);
    await expectText(page, 'code reçu');
    assert.equal(received.searchParams.get('state'), state);
    const tokens = await (await fetch(discovery.token_endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${btoa(`${registered.client_id}:${registered.client_secret}`)}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code: received.searchParams.get('code'), redirect_uri: callback }),
    })).json();
    const keys = jose.createRemoteJWKSet(new URL(discovery.jwks_uri));
    const open = async (token) => {
      const { plaintext, protectedHeader } = await jose.compactDecrypt(token, privateKey);
      assert.equal(protectedHeader.enc, 'A256GCM');
      const { payload, protectedHeader: signed } = await jose.jwtVerify(new TextDecoder().decode(plaintext), keys, {
        issuer: discovery.issuer, audience: registered.client_id, algorithms: ['ES256'],
      });
      assert.equal(signed.alg, 'ES256');
      return payload;
    };
    const idToken = await open(tokens.id_token);
    assert.equal(idToken.nonce, nonce);
    assert.equal(idToken.acr, 'eidas2');
    const info = await fetch(discovery.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(info.headers.get('content-type'), 'application/jwt');
    const claims = await open(await info.text());
    assert.equal(claims.sub, idToken.sub);
    assert.equal(claims.birthcountry, '99100');
    assert.ok(claims.given_name && claims.family_name === claims.family_name.toUpperCase());
    await screenshot(page, 'independant-code-recu');
  } finally {
    server.close();
  }
});

// A certified relying-party library (panva's openid-client 6) with its default checks, over
// HTTPS: discovery, login with PKCE, state and nonce, decryption of the ID token and userinfo,
// logout with the decrypted signed ID token as hint (tests/browser/openid-client.mjs).
await scenario('client certifié openid-client 6 sur HTTPS', (page) =>
  openidClientLogin(page, secure, { toLaPoste, screenshot, expectText }));

await browser.close();
world.kill('SIGTERM');
secure.stop();
rmSync(data, { recursive: true, force: true });
const failed = results.filter((result) => !result.ok);
for (const finding of axeFindings) console.log(`✗ axe-core, page ${finding.screen} (${finding.url}) : ${JSON.stringify(finding.violations)}`);
if (axeFindings.length === 0) console.log(`✓ axe-core : aucune violation grave, critique ni « region » sur ${checked} pages du monde`);
console.log(`\n${results.length - failed.length}/${results.length} scénarios réussis ; captures dans ${artefacts}`);
process.exit(failed.length === 0 && axeFindings.length === 0 ? 0 : 1);
