// Console suite: the trainers' and support agents' console in Debian's Chromium. Staff accounts
// are created with `idn staff add`; learners are put in their situation with
// `idn scenario apply` against the running world; what reaches the learner is checked through
// the world's API with `idn`, as the device reads it.
//
// Covers: staff sign-in (wrong password refused), the class at a glance (an empty class shows
// the join QR code; learners appear live by name with their step n/N, their last error, « À vous
// d'agir » for a review at the desk, the counts per step), a learner's page, the review desk in
// "revue manuelle" (video and digits shown, refusal with a real reason reaching the learner's
// state and inbox), the clerk desk (a different document refused, then validated), the clock
// advanced and its speed set, a role refused where it has no business, sign-out; a scenario
// applied from the catalogue and from a chosen file, landing on the learner's page; one
// learner's clock moved, the class's untouched. Screenshots: tests/browser/artefacts-console/.
// The world's API is read as a trainer (tests/browser/trainer.mjs), and `idn scenario apply`
// against the running world gets that trainer's token in IDN_TOKEN: nobody else may.
//
// Needs: the `idn` binary (IDN_BIN, default target/debug/idn) and /usr/bin/chromium.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { addTrainer, apiToken, trainerToken } from './trainer.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const idn = process.env.IDN_BIN ?? join(root, 'target', 'debug', 'idn');
const artefacts = join(here, 'artefacts-console');
rmSync(artefacts, { recursive: true, force: true });
mkdirSync(artefacts, { recursive: true });
writeFileSync(join(artefacts, '.gitignore'), '*\n');
const data = mkdtempSync(join(tmpdir(), 'idn-console-'));
const worldDir = join(data, 'world');
const PASSWORD = 'formation-sandbox-2026';
const staff = {
  formateur: 'formatrice@classe.example',
  relecteur: 'relecteur@classe.example',
  guichetier: 'guichet@classe.example',
};

for (const [role, email] of Object.entries(staff)) {
  execFileSync(idn, ['staff', 'add', '--data-dir', worldDir, '--role', role, '--email', email, '--password-stdin'], {
    input: `${PASSWORD}\n`,
    encoding: 'utf8',
  });
}

// The suite's own trainer for the API (the people above use the console's pages).
addTrainer(idn, worldDir);
const madeToken = apiToken(idn, worldDir);

const CLASS = 'Salle 12 — formation IDN';
const world = spawn(idn, ['world', 'serve', '--listen', '127.0.0.1:0', '--data-dir', worldDir, '--class', CLASS], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
const base = await new Promise((resolve, reject) => {
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

function cli(args) {
  const out = execFileSync(idn, ['--json', '--world', base, ...args], {
    encoding: 'utf8',
    env: { ...process.env, IDN_TOKEN: trainer },
  });
  return JSON.parse(out);
}

/** A read of the world's API as the trainer. */
async function read(path) {
  const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${trainer}` } });
  const text = await response.text();
  if (!response.ok) throw new Error(`GET ${path} → ${response.status} ${text}`);
  return JSON.parse(text);
}

function scenarioFile(name, body) {
  const path = join(data, `${name}.toml`);
  writeFileSync(path, body);
  return path;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    '--autoplay-policy=no-user-gesture-required',
  ],
});

let shot = 0;
async function screenshot(page, name) {
  shot += 1;
  await page.screenshot({ path: join(artefacts, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
}

async function expectText(page, text) {
  await page.getByText(text, { exact: false }).first().waitFor({ timeout: 15000 });
}

async function signIn(page, email, password = PASSWORD) {
  await page.goto(`${base}/console/connexion`);
  await page.fill('#email', email);
  await page.fill('#password', password);
  await page.click('#se-connecter');
}

const results = [];
async function scenario(name, body) {
  // The browser is set far from Paris: every time the console shows must still be Paris time.
  const context = await browser.newContext({
    locale: 'fr-FR',
    timezoneId: 'America/Montreal',
    viewport: { width: 1280, height: 900 },
  });
  const page = await context.newPage();
  const started = Date.now();
  try {
    await body(page, context);
    results.push({ name, ok: true });
    console.log(`✓ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    results.push({ name, ok: false, error });
    console.log(`✗ ${name}\n  ${error.stack ?? error}`);
    await screenshot(page, `echec-${name.replace(/\W+/g, '-')}`).catch(() => {});
  } finally {
    await context.close();
  }
}

// ----- sign-in, live list, review mode -----
let reviewLearner;
await scenario('connexion du personnel et liste en direct', async (page) => {
  await signIn(page, staff.formateur, 'mauvais mot de passe');
  await expectText(page, 'Adresse ou mot de passe incorrect');
  await expectText(page, 'SIMULATION');
  await screenshot(page, 'connexion-refusee');
  await signIn(page, staff.formateur);
  await expectText(page, 'Apprenants');
  assert.match(page.url(), /\/console\/apprenants$/);
  const cookies = await page.context().cookies();
  const session = cookies.find((cookie) => cookie.name === 'idn_console');
  assert.ok(session?.httpOnly, 'the session cookie is HttpOnly');
  assert.equal(session.sameSite, 'Strict');

  // The class goes to manual review before the learner submits.
  await page.goto(`${base}/console/revue`);
  await page.selectOption('#mode-classe', 'manuelle');
  await page.click('#appliquer-mode');
  await expectText(page, 'revue manuelle');
  assert.equal(await page.textContent('#mode-actuel'), 'revue manuelle');

  // An empty class shows how to join it: the welcome page's QR code and the address.
  await page.goto(`${base}/console/apprenants`);
  await expectText(page, 'La classe est vide');
  const qr = page.locator('#rejoindre img[data-qr="rejoindre"]');
  await qr.waitFor();
  assert.ok(await qr.evaluate((img) => img.complete && img.naturalWidth > 100), 'the join QR code is drawn');
  assert.equal(await page.textContent('#adresse-classe'), base);
  await screenshot(page, 'liste-vide');
  // A learner appears in the open list without a reload (change feed over SSE).
  const applied = cli(['scenario', 'apply', 'identification-en-cours-d-examen']);
  reviewLearner = applied.learner_id;
  // The row follows the learner's steps as they happen, up to the review.
  await page.locator(`tr[data-learner="${reviewLearner}"][data-step="review"]`).waitFor({ timeout: 15000 });
  await expectText(page, 'Liste mise à jour');
  // The live stamp is the class's time (Paris), not the browser's zone (Montréal).
  const stamp = await page.textContent('#mis-a-jour');
  const stamped = stamp.match(/^Liste mise à jour à (\d\d):(\d\d):\d\d \(heure de Paris\)\.$/);
  assert.ok(stamped, `the stamp names Paris time: ${stamp}`);
  const [parisHour, parisMinute] = new Intl.DateTimeFormat('fr-FR', {
    timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(new Date()).split(':').map(Number);
  const drift = Math.abs(parisHour * 60 + parisMinute - (Number(stamped[1]) * 60 + Number(stamped[2])));
  assert.ok(drift <= 2 || drift >= 1438, `the stamp ${stamp} is now in Paris (${parisHour}:${parisMinute})`);
  // The class at a glance: by name, step n/N, the review at the desk waits for the trainer.
  const row = page.locator(`tr[data-learner="${reviewLearner}"]`);
  assert.equal(await row.getAttribute('data-a-vous'), 'oui', 'the review at the desk waits for the trainer');
  assert.match(await row.innerText(), /Aminata/, 'the learner by name');
  assert.match(await row.innerText(), /13\/16/, 'the step n/N');
  assert.match(await row.innerText(), /À vous d'agir/);
  assert.equal(await row.locator('.tag.blocker').count(), 0, 'no red blocker for a review at the desk');
  assert.equal((await page.textContent('#repartition tr[data-step="review"] td.count')).trim(), '1');
  assert.equal((await page.textContent('#repartition tr[data-step="email_code"] td.count')).trim(), '0');
  await screenshot(page, 'liste-en-direct');
  // A second learner, blocked: the chart and rows follow, live.
  const second = cli(['scenario', 'apply', 'code-email-errone']).learner_id;
  await page.locator(`tr[data-learner="${second}"]`).waitFor({ timeout: 15000 });
  assert.equal((await page.textContent('#repartition tr[data-step="email_code"] td.count')).trim(), '1');
  assert.match(await page.locator(`tr[data-learner="${second}"]`).innerText(), /incorrect/, 'the last error, in French');
  await screenshot(page, 'classe-d-un-coup-d-oeil');

  await page.fill('#q', 'aminata');
  await page.click('#rechercher');
  await page.locator(`tr[data-learner="${reviewLearner}"]`).waitFor();
  await page.fill('#q', 'personne-inconnue');
  await page.click('#rechercher');
  await expectText(page, 'Aucun apprenant');

  await page.goto(`${base}/console/apprenants/${reviewLearner}`);
  await expectText(page, 'Journal');
  await expectText(page, 'Où en est l\'apprenant');
  await expectText(page, 'revue manuelle (guichet de revue)');
  assert.ok((await page.locator('#journal tbody tr').count()) > 5, 'the journal is shown');
  assert.equal(await page.locator('video').count(), 1, 'the submitted video');
  // Files and messages are folded so that the journal is in reach; one click opens them.
  for (const folded of ['#fichiers', '#messages']) {
    assert.equal(await page.locator(folded).getAttribute('open'), null, `${folded} folded`);
  }
  assert.ok(await page.evaluate(() => document.documentElement.scrollHeight < 3500), 'the page is short enough to read');
  await screenshot(page, 'fiche-apprenant');
  await page.click('#messages > summary');
  await page.locator('#messages .message').first().waitFor();
  assert.match(await page.locator('#messages summary').innerText(), /Messages reçus \(\d+\)/);
});

// ----- review desk: refusal reaching the learner -----
await scenario('guichet de revue : refus qui parvient à l\'apprenant', async (page) => {
  assert.ok(reviewLearner, 'the previous step created the learner');
  const before = await read(`/api/learners/${reviewLearner}`);
  assert.equal(before.step, 'review');
  assert.equal(before.next_deadline, null, 'no automatic decision is scheduled');
  const digits = before.registered_letter.spoken_digits;

  await signIn(page, staff.relecteur);
  await expectText(page, 'Guichet de revue AR24');
  await page.locator(`#file-revue tr[data-learner="${reviewLearner}"]`).waitFor();
  await screenshot(page, 'file-de-revue');
  await page.click(`#file-revue tr[data-learner="${reviewLearner}"] a`);
  await expectText(page, 'Examen de l\'identification visuelle');
  assert.equal((await page.textContent('#chiffres')).trim(), digits, 'the digits asked are shown');
  const video = page.locator('video');
  await video.waitFor();
  const playable = await video.evaluate(
    (element) =>
      new Promise((resolve) => {
        if (element.readyState >= 1) return resolve({ duration: element.duration, error: null });
        element.addEventListener('loadedmetadata', () => resolve({ duration: element.duration, error: null }));
        element.addEventListener('error', () => resolve({ duration: 0, error: element.error?.code ?? 'error' }));
        element.load();
      }),
  );
  assert.equal(playable.error, null, 'Chromium reads the video');
  assert.ok(playable.duration > 1, `the video has a duration (${playable.duration})`);
  const played = await video.evaluate(async (element) => {
    element.muted = true;
    await element.play();
    await new Promise((resolve) => setTimeout(resolve, 600));
    element.pause();
    return element.currentTime;
  });
  assert.ok(played > 0, 'the video plays');
  await screenshot(page, 'examen-video');
  await page.selectOption('#motif', 'lunettes');
  await page.click('#refuser');
  await expectText(page, 'Identification refusée');
  await screenshot(page, 'refus-enregistre');

  const after = await read(`/api/learners/${reviewLearner}`);
  assert.equal(after.step, 'identification_refused');
  assert.equal(after.registered_letter.refusal_reason, 'lunettes');
  const inbox = await read(`/api/learners/${reviewLearner}/inbox`);
  const last = inbox.at(-1);
  assert.match(last.body, /lunettes/, 'the refusal email states the reason');

  // The reviewer has no business with the learners' files or the clock's controls.
  const response = await page.goto(`${base}/console/apprenants`);
  assert.equal(response.status(), 403);
  await expectText(page, 'Accès refusé');
  await screenshot(page, 'role-refuse');
});

// ----- clerk desk -----
await scenario('guichet face à face : pièce différente refusée puis validation', async (page) => {
  const file = scenarioFile(
    'au-guichet',
    `version = 1
title = "Au guichet"
situation = "Le code de face à face est reçu."
explanation = "Présentez-vous au guichet avec votre pièce et le code."
persona = "youssef-el-amrani"
seed = 31
reach = "face_to_face"
`,
  );
  const applied = cli(['scenario', 'apply', file]);
  const learner = applied.learner_id;
  const inbox = await read(`/api/learners/${learner}/inbox`);
  const code = inbox.filter((message) => message.code).at(-1).code;

  await signIn(page, staff.guichetier);
  await expectText(page, 'Guichet face à face');
  await page.fill('#code', code);
  await page.click('#rechercher-code');
  await expectText(page, 'Données confirmées dans l\'application');
  await expectText(page, 'El Amrani');
  await screenshot(page, 'guichet-fiche');
  await page.selectOption('#type', 'cni');
  await page.fill('#nom', 'El Amrani');
  await page.fill('#naissance', '1983-06-30');
  await page.fill('#fin', '0000');
  await page.click('#valider');
  await page.locator('#resultat-guichet').waitFor();
  await screenshot(page, 'guichet-piece-differente');
  assert.equal((await read(`/api/learners/${learner}`)).step, 'face_to_face', 'a different document validates nothing');
  await page.selectOption('#type', 'cni');
  await page.fill('#nom', 'El Amrani');
  await page.fill('#naissance', '1983-06-30');
  await page.fill('#fin', '9H3D');
  await page.click('#valider');
  await expectText(page, 'Identité validée au guichet');
  await screenshot(page, 'guichet-valide');
  const after = await read(`/api/learners/${learner}`);
  assert.equal(after.step, 'activation');
  assert.ok((await read(`/api/learners/${learner}/inbox`)).some((message) => message.code && message.code.length === 6));
});

// ----- clock -----
await scenario('horloge : avancer et régler la vitesse', async (page) => {
  const before = new Date((await read('/api/clock')).now);
  await signIn(page, staff.formateur);
  await page.goto(`${base}/console/horloge`);
  await expectText(page, 'Horloge du monde');
  await screenshot(page, 'horloge');
  await page.fill('#quantite', '3');
  await page.selectOption('#unite', 'jours');
  await page.click('#avancer');
  await expectText(page, 'Horloge du monde');
  const after = new Date((await read('/api/clock')).now);
  assert.ok(after - before >= 3 * 86400 * 1000, `the clock moved 3 days (${before} → ${after})`);
  await page.selectOption('#vitesse', 'manuel');
  await page.click('#regler-vitesse');
  await expectText(page, 'manuel (arrêté)');
  assert.equal((await read('/api/clock')).mode, 'manual');
  assert.match(await page.textContent('#ecart-horloge'), /en avance de 3 j 0 h sur l'heure réelle/, 'three days read as three days');
  await screenshot(page, 'horloge-avancee');
  // The class at a glance says the class lives at the simulation's time.
  await page.goto(`${base}/console/apprenants`);
  assert.match(await page.textContent('#heure-simulation'), /^Heure de la simulation : .*en avance de 3 j 0 h sur l'heure réelle/);
  await screenshot(page, 'classe-heure-simulation');

  // The staff actions read for people: learners by name, reasons and answers in French.
  await page.goto(`${base}/console/personnel`);
  await expectText(page, 'identification refusée : lunettes portées pendant la vidéo');
  await expectText(page, 'Validation au guichet face à face');
  const audit = await page.innerText('#actions-personnel');
  for (const raw of ['refuse:lunettes', 'login_failed', 'HTTP 200', reviewLearner]) {
    assert.ok(!audit.includes(raw), `no raw « ${raw} » in the staff actions`);
  }
  assert.match(audit, /Aminata Fatou Diallo/, 'the learner by name');
  await screenshot(page, 'actions-du-personnel');

  await page.click('#deconnexion');
  await expectText(page, 'Connexion du personnel');
  const response = await page.goto(`${base}/console/apprenants`);
  assert.match(page.url(), /\/console\/connexion$/, 'signed out: back to the sign-in page');
  assert.equal(response.status(), 200);
});

// ----- scenarios applied from the console, and one learner's clock -----
await scenario('scénarios : appliquer depuis la console, puis avancer le temps d\'un apprenant', async (page) => {
  await signIn(page, staff.formateur);
  await page.goto(`${base}/console/scenarios`);
  await expectText(page, 'Code SMS expiré');
  await screenshot(page, 'scenarios');
  const classBefore = (await read('/api/clock')).now;
  await page.click('#scenario-code-email-expire button[type=submit]');
  await page.waitForURL(/\/console\/apprenants\/[^/?]+\?scenario=/, { timeout: 30000 });
  await expectText(page, 'Scénario appliqué');
  await expectText(page, 'Code e-mail expiré');
  // What blocks the learner, in French; its code stays data for programs.
  await page.locator('#blocages li[data-code="code_expired:email"]').waitFor();
  assert.ok(!(await page.innerText('body')).includes('code_expired'), 'no blocker code in the text');
  await screenshot(page, 'scenario-applique');
  assert.equal((await read('/api/clock')).now, classBefore, 'the class clock did not move');

  // A file chosen on the computer (as exported from a user's case) fills the form.
  await page.goto(`${base}/console/scenarios`);
  await page.setInputFiles('#fichier-choisi', join(root, 'scenarios', 'mineur.toml'));
  await page.waitForFunction(() => document.getElementById('fichier').value.includes('lucas-morel'));
  await screenshot(page, 'scenario-fichier-choisi');
  await page.click('#appliquer-fichier');
  await page.waitForURL(/\/console\/apprenants\/[^/?]+\?scenario=/, { timeout: 30000 });
  await expectText(page, 'Scénario appliqué');
  const learner = page.url().match(/apprenants\/([^/?]+)/)[1];

  // This learner's time only.
  await expectText(page, 'Horloge de l\'apprenant');
  await page.fill('#apprenant-quantite', '2');
  await page.selectOption('#apprenant-unite', 'jours');
  await page.click('#avancer-apprenant');
  await expectText(page, '2 j 0 h d\'avance sur la classe');
  await screenshot(page, 'horloge-apprenant');
  assert.equal((await read('/api/clock')).now, classBefore, 'still the class clock untouched');
  const journal = await read(`/api/learners/${learner}/journal`);
  assert.ok(journal.some((entry) => entry.action === 'advance_learner_clock'), 'the advance is journaled');

  await page.goto(`${base}/console/personnel`);
  await expectText(page, 'Scénario appliqué');
  await expectText(page, "Horloge d'un apprenant avancée");
});

// ----- quick help on a learner's page: one click, audited -----
await scenario('aide rapide : débloquer un code expiré en un clic', async (page) => {
  await signIn(page, staff.formateur);
  await expectText(page, CLASS);
  await page.goto(`${base}/console/scenarios`);
  await page.click('#scenario-code-email-expire button[type=submit]');
  await page.waitForURL(/\/console\/apprenants\/[^/?]+\?scenario=/, { timeout: 30000 });
  const learner = page.url().match(/apprenants\/([^/?]+)/)[1];
  const before = await read(`/api/learners/${learner}/situation`);
  assert.ok(before.blockers.some((blocker) => blocker.code === 'code_expired:email'), 'the scenario left the code expired');
  assert.equal(await page.locator('[data-aide="fin_blocage_connexion"]').count(), 0, 'no lock: no lock to end');
  await page.locator('#aide-rapide').scrollIntoViewIfNeeded();
  await screenshot(page, 'aide-rapide-offerte');
  await page.click('[data-aide="renvoyer_code"]');
  await expectText(page, 'Aide apportée : un nouveau code a été envoyé');
  const after = await read(`/api/learners/${learner}/situation`);
  assert.deepEqual(after.blockers, [], 'a new code: nothing blocks the learner');
  assert.equal(after.pending_code.resends_left, before.pending_code.resends_left - 1, 'the resend counts');
  const journal = await read(`/api/learners/${learner}/journal`);
  const last = journal[journal.length - 1];
  assert.deepEqual([last.actor, last.action, last.outcome], ['formateur', 'resend_email_code', 'ok']);
  await screenshot(page, 'aide-rapide-apportee');

  await page.goto(`${base}/console/personnel`);
  await expectText(page, 'Aide rapide : code renvoyé');
});

await browser.close();
world.kill();
rmSync(data, { recursive: true, force: true });
const failed = results.filter((result) => !result.ok);
console.log(`${results.length - failed.length}/${results.length} scénarios réussis ; captures dans ${artefacts}`);
process.exit(failed.length === 0 ? 0 : 1);
