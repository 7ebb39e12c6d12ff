// The phone page measured (issue 17, item 7), each figure beside a baseline measured in the same
// run (these machines are shared and noisy):
// 1. the JS and CSS of ui/dist, gzipped (level 9, what a compressing server sends);
// 2. the first load of /application/ to interactive on a phone under Chromium's 4× CPU slowdown
//    (CDP Emulation.setCPUThrottlingRate) and Chrome DevTools' "Fast 4G" profile (CDP
//    Network.emulateNetworkConditions with DevTools' own figures: 9 Mbit/s down × 0.9,
//    1.5 Mbit/s up × 0.9, 60 ms RTT × 2.75 = 165 ms latency), a new browser context (cold cache,
//    no service worker, new TLS connections) each time; the baseline is the static page the same
//    world serves beside the screens (/application/launch-baseline.html: a heading and a button,
//    no script but one line), loaded the same way, the two taking turns;
// 3. a login request visible on the phone page after « S'identifier » on Mon Compte Formation's
//    La Poste page (opened on a computer: another browser context), over N requests; the
//    baseline, in the same requests, is a plain client (node, no browser) that follows the same
//    learner's event stream with the phone's credential and reads the pending requests at the
//    first event.
//
// "Interactive" is defined as: the first button of the screen (« Créer mon Identité Numérique »
// on the welcome screen; « Continuer » on the baseline page) is in the document, enabled and laid
// out (it has a box), and the next frame has been produced (requestAnimationFrame): the time is
// that frame's `performance.now()`, i.e. milliseconds since the navigation started. "Visible on
// the phone page" is: the heading « Demande de connexion » is in the page's document (a
// MutationObserver's `Date.now()`), from the `Date.now()` read in the computer's page just
// before it clicks « S'identifier » (both browsers' and node's clocks are the system's wall
// clock).
//
// Started by `cargo bench -p idn-e2e --bench phone` (tests/benches/phone.rs), which serves the
// world over HTTPS in its own process and passes: IDN_BENCH_BASE (https://127.0.0.1:PORT),
// IDN_BENCH_DATA (the world's data directory, for tls/ca.pem and tls/server.pem), IDN_TOKEN (a
// trainer's API token: the clerk's desk, the class clock, the learners' messages). Needs the
// built screens (ui/dist) and /usr/bin/chromium. Prints the figures; asserts nothing about speed.

import { createHash, X509Certificate } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const appDir = process.env.IDN_APP_DIR ?? join(root, 'ui', 'dist');
const base = process.env.IDN_BENCH_BASE;
const data = process.env.IDN_BENCH_DATA;
const trainer = process.env.IDN_TOKEN;
assert.ok(base && data && trainer, 'IDN_BENCH_BASE, IDN_BENCH_DATA and IDN_TOKEN come from tests/benches/phone.rs');

/** Loads of each page before measuring (the world's first answers, Chromium's own start). */
const LOAD_WARMUP = 2;
/** Measured loads of each page, taking turns. */
const LOAD_TRIALS = Number(process.env.IDN_BENCH_LOADS ?? 10);
/** Login requests before measuring (connections open, the page's code warm). */
const LOGIN_WARMUP = 3;
/** Measured login requests (the issue asks for at least 30). */
const LOGINS = Number(process.env.IDN_BENCH_LOGINS ?? 40);
/** The world accepts this many login requests per identity in 10 minutes (rules.rs): the class
 * clock is moved on by 11 minutes after each such batch. */
const LOGINS_PER_WINDOW = 10;

/** Chrome DevTools' "Fast 4G" preset (front_end/core/sdk/NetworkManager.ts), in CDP's units. */
const FAST_4G = {
  offline: false,
  downloadThroughput: ((9 * 1000 * 1000) / 8) * 0.9,
  uploadThroughput: ((1.5 * 1000 * 1000) / 8) * 0.9,
  latency: 60 * 2.75,
  connectionType: 'cellular4g',
};
const CPU_SLOWDOWN = 4;

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
  email: 'banc.telephone@exemple.fr',
  password: 'Formation2026',
  mobile: '06 39 98 00 91',
  mobileIntl: '+33639980091',
  firstName: 'Léa',
  lastName: 'Banc',
  givenNames: 'Léa, Marie',
  birthName: 'BANC',
  birthDate: '17/05/1990',
  commune: 'Nantes',
  insee: '44109',
  issueDate: '10/05/2023',
  expiryDate: '09/05/2033',
  numberEnding: 'X4B2',
};

const ca = readFileSync(join(data, 'tls', 'ca.pem'));
const leaf = readFileSync(join(data, 'tls', 'server.pem'), 'utf8').match(
  /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/,
)[0];
const spki = createHash('sha256')
  .update(new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' }))
  .digest('base64');

// ——— figures ———

const median = (values) => percentile(values, 0.5);
/** Nearest rank on the sorted values, as tests/benches/federation.rs. */
function percentile(values, p) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.round((sorted.length - 1) * p)];
}
const ms = (value) => `${value.toFixed(0)} ms`;
const kB = (bytes) => `${(bytes / 1000).toFixed(1)} kB`;

// ——— 1. sizes ———

function filesUnder(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function sizes() {
  // The launch benchmarks' static page is not part of the screens.
  const files = filesUnder(appDir).filter((path) => /\.(js|css)$/.test(path) && !path.includes('launch-baseline'));
  assert.ok(files.length > 0, `built screens in ${appDir} (npm --prefix ui run build)`);
  const rows = files.map((path) => {
    const bytes = readFileSync(path);
    return { file: relative(appDir, path), raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  return {
    rows,
    js: rows.filter((row) => row.file.endsWith('.js')).reduce((sum, row) => sum + row.gzip, 0),
    css: rows.filter((row) => row.file.endsWith('.css')).reduce((sum, row) => sum + row.gzip, 0),
    raw: rows.reduce((sum, row) => sum + row.raw, 0),
  };
}

// ——— 2. first load ———

/** Records, in the page, when the button named `name` is usable and the next frame is out. */
function watchForButton(name) {
  const usable = () =>
    [...document.querySelectorAll('button')].find(
      (button) => button.textContent.replace(/\s+/g, ' ').trim() === name && !button.disabled && button.getClientRects().length > 0,
    );
  const observer = new MutationObserver(() => {
    if (!usable()) return;
    observer.disconnect();
    const found = performance.now();
    requestAnimationFrame(() => {
      window.__benchInteractive = { found, interactive: performance.now() };
    });
  });
  observer.observe(document, { childList: true, subtree: true, attributes: true });
}

/** One cold load of `url` on a throttled phone; milliseconds from navigation start. */
async function coldLoad(browser, url, button) {
  const context = await browser.newContext(PHONE);
  try {
    await context.addInitScript(watchForButton, button);
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', FAST_4G);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: CPU_SLOWDOWN });
    let transferred = 0;
    cdp.on('Network.loadingFinished', (event) => (transferred += event.encodedDataLength));
    await page.goto(url, { waitUntil: 'commit', timeout: 60000 });
    await page.waitForFunction(() => window.__benchInteractive !== undefined, null, { timeout: 60000, polling: 50 });
    const timings = await page.evaluate(() => {
      const navigation = performance.getEntriesByType('navigation')[0];
      const mark = performance.getEntriesByName('idn-interactive')[0];
      return {
        ...window.__benchInteractive,
        responseEnd: navigation.responseEnd,
        domContentLoaded: navigation.domContentLoadedEventEnd,
        mark: mark ? mark.startTime : null,
      };
    });
    return { ...timings, transferred };
  } finally {
    await context.close();
  }
}

async function firstLoads(browser) {
  const page = { url: `${base}/application/`, button: 'Créer mon Identité Numérique', runs: [] };
  const baseline = { url: `${base}/application/launch-baseline.html`, button: 'Continuer', runs: [] };
  for (let turn = 0; turn < LOAD_WARMUP + LOAD_TRIALS; turn += 1) {
    // The order changes at each turn, so that neither side always follows the other.
    const order = turn % 2 === 0 ? [baseline, page] : [page, baseline];
    const pair = [];
    for (const side of order) pair.push([side, await coldLoad(browser, side.url, side.button)]);
    if (turn < LOAD_WARMUP) continue;
    for (const [side, run] of pair) side.runs.push(run);
  }
  const ratios = page.runs.map((run, index) => run.interactive / baseline.runs[index].interactive);
  return { page, baseline, ratios };
}

// ——— the world's API (trusting its authority only) ———

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

async function latestCode(learnerId, predicate = () => true) {
  const inbox = await api('GET', `/api/learners/${learnerId}/inbox`);
  const withCode = inbox.filter((message) => message.code && predicate(message));
  assert.ok(withCode.length > 0, 'a message carrying a code');
  return withCode.at(-1).code;
}

// ——— the phone, enrolled through its page (face to face: the trainer plays the clerk) ———

const heading = (page, text, timeout = 20000) =>
  page.getByRole('heading', { level: 1, name: text, exact: true }).waitFor({ timeout });
const tap = (page, name) => page.getByRole('button', { name, exact: true }).tap();
const tapTestId = (page, id) => page.getByTestId(id).tap();
const type = (page, label, value) => page.getByLabel(label, { exact: true }).fill(value);

async function enrol(phone) {
  await phone.goto(`${base}/application/`);
  await heading(phone, "Bienvenue dans L'Identité Numérique");
  await tap(phone, 'Créer mon Identité Numérique');
  await heading(phone, 'Votre adresse e-mail');
  await type(phone, 'Adresse e-mail', person.email);
  await tap(phone, 'Continuer');
  await heading(phone, 'Code reçu par e-mail');
  const learner = (await api('GET', '/api/learners')).find((candidate) => candidate.email === person.email);
  assert.ok(learner, 'the account exists in the world');
  const id = learner.id;
  await type(phone, 'Code à 6 chiffres', await latestCode(id));
  await tap(phone, 'Continuer');
  await heading(phone, 'Choisissez votre mot de passe');
  await type(phone, 'Mot de passe', person.password);
  await tap(phone, 'Continuer');
  await heading(phone, 'Numéro de mobile');
  await type(phone, 'Numéro de mobile', person.mobile);
  await tap(phone, 'Continuer');
  await heading(phone, 'Civilité, prénom et nom');
  await phone.getByLabel('Madame').check();
  await type(phone, 'Prénom', person.firstName);
  await type(phone, 'Nom', person.lastName);
  await phone.getByLabel("J'accepte les Conditions Générales").check();
  await tap(phone, 'Créer mon compte');
  await heading(phone, 'Code reçu par SMS');
  await type(phone, 'Code SMS', await latestCode(id, (message) => message.channel === 'sms'));
  await tap(phone, 'Continuer');
  await heading(phone, 'Vos informations personnelles');
  await type(phone, 'Prénom(s)', person.givenNames);
  await type(phone, 'Nom de naissance', person.birthName);
  await type(phone, 'Date de naissance', person.birthDate);
  await type(phone, 'Commune de naissance', person.commune);
  await type(phone, 'Code INSEE de la commune (ou code postal)', person.insee);
  await type(phone, "Date d'émission", person.issueDate);
  await type(phone, "Date d'expiration", person.expiryDate);
  await type(phone, '4 derniers caractères du numéro de la pièce', person.numberEnding);
  await tap(phone, 'Vérifier mes informations');
  await heading(phone, 'Confirmation de vos informations');
  await tap(phone, 'Confirmer');
  await heading(phone, 'Vérification de votre identité');
  await tapTestId(phone, 'mode-face_to_face');
  await heading(phone, 'Vérification en face à face');
  await api('POST', '/api/clerk/validations', {
    code: await latestCode(id, (message) => message.channel === 'sms'),
    document_type: 'cni',
    birth_name: person.birthName,
    birth_date: '1990-05-17',
    document_number_ending: person.numberEnding,
  });
  await heading(phone, "Code d'activation", 30000);
  await type(phone, "Code d'activation", await latestCode(id, (message) => /activation/i.test(message.subject + message.body)));
  await tap(phone, 'Continuer');
  await heading(phone, 'Choisissez votre code secret');
  for (const digit of SECRET) await tapTestId(phone, `pin-${digit}`);
  await tapTestId(phone, 'secret-next');
  await heading(phone, 'Confirmez votre code secret');
  for (const digit of SECRET) await tapTestId(phone, `pin-${digit}`);
  await tapTestId(phone, 'activate');
  await heading(phone, 'Votre Identité Numérique est active', 30000);
  return id;
}

/** The phone's credential, as its page keeps it (IndexedDB, `learner-credential/<device>`). */
function credentialOf(phone) {
  return phone.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const opening = indexedDB.open('idn-sandbox-appareil');
        opening.onerror = () => reject(opening.error);
        opening.onsuccess = () => {
          const store = opening.result.transaction('trousseau').objectStore('trousseau');
          const keys = store.getAllKeys();
          keys.onsuccess = () => {
            const name = keys.result.find((key) => String(key).startsWith('learner-credential/'));
            const value = store.get(name);
            value.onsuccess = () => resolve(value.result);
          };
        };
      }),
  );
}

// ——— 3. login requests ———

/**
 * The baseline client: the learner's event stream read with the phone's credential, and at each
 * event the pending login requests; `onRequest(Date.now())` when a new request is listed.
 */
function followAsPlainClient(learnerId, credential, onRequest) {
  const headers = { accept: 'text/event-stream', authorization: `Bearer ${credential}` };
  const seen = new Set();
  let buffer = '';
  let checking = Promise.resolve();
  const check = () => {
    checking = checking.then(async () => {
      const pending = await api('GET', `/api/learners/${learnerId}/login-requests`, undefined, credential);
      const fresh = pending.filter((request) => !seen.has(request.request_id));
      if (fresh.length === 0) return;
      const at = Date.now();
      for (const request of fresh) seen.add(request.request_id);
      onRequest(at);
    });
  };
  const stream = httpsRequest(new URL(`/api/learners/${learnerId}/events`, base), { headers, ca }, (response) => {
    assert.equal(response.statusCode, 200, 'the event stream opens with the phone credential');
    response.setEncoding('utf8');
    response.on('data', (chunk) => {
      buffer = (buffer + chunk).replace(/\r\n/g, '\n');
      const blocks = buffer.split('\n\n');
      buffer = blocks.pop();
      if (blocks.some((block) => /^event: ?learner$/m.test(block))) check();
    });
  });
  stream.end();
  return () => stream.destroy();
}

async function logins(browser) {
  const phoneContext = await browser.newContext(PHONE);
  const phone = await phoneContext.newPage();
  const learnerId = await enrol(phone);
  const credential = await credentialOf(phone);
  assert.ok(typeof credential === 'string' && credential.length > 0, "the phone's credential in its keyring");
  // A computer, as the learner's: Mon Compte Formation in a browser of its own.
  const computer = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const site = await computer.newPage();
  let plainSeen = null;
  const stop = followAsPlainClient(learnerId, credential, (at) => (plainSeen = at));
  const page = [];
  const plain = [];
  try {
    for (let round = 0; round < LOGIN_WARMUP + LOGINS; round += 1) {
      if (round > 0 && round % LOGINS_PER_WINDOW === 0) {
        await api('POST', '/api/clock/advance', { seconds: 11 * 60 });
        await phone.waitForTimeout(500);
      }
      await site.goto(`${base}/mcf/`);
      await site.click('#fc-plus');
      await site.click('#fournisseur-laposte');
      await site.fill('#mobile', person.mobileIntl);
      // Let the last decline's events pass, then watch the phone's page.
      await phone.waitForTimeout(300);
      plainSeen = null;
      await phone.evaluate(() => {
        window.__benchShown = null;
        const shown = () =>
          [...document.querySelectorAll('h1')].some((title) => title.textContent.trim() === 'Demande de connexion');
        const observer = new MutationObserver(() => {
          if (!shown()) return;
          window.__benchShown = Date.now();
          observer.disconnect();
        });
        observer.observe(document.body, { childList: true, subtree: true, characterData: true });
      });
      // The instant is read in the page, in the task that clicks (the submission's navigation
      // starts after it); node's own clock is the fallback should the page be gone first.
      const before = Date.now();
      const asked = await site
        .evaluate(() => {
          const at = Date.now();
          document.querySelector('#s-identifier').click();
          return at;
        })
        .catch(() => before);
      const shownAt = await phone.waitForFunction(() => window.__benchShown, null, { timeout: 20000, polling: 20 });
      const shown = (await shownAt.jsonValue()) - asked;
      const deadline = Date.now() + 10000;
      while (plainSeen === null && Date.now() < deadline) await phone.waitForTimeout(10);
      assert.ok(plainSeen !== null, 'the plain client saw the request');
      if (round >= LOGIN_WARMUP) {
        page.push(shown);
        plain.push(plainSeen - asked);
      }
      // « Ce n'est pas moi »: nothing stays pending (3 at most per identity).
      await tapTestId(phone, 'decline');
      await tapTestId(phone, 'close-outcome');
      await heading(phone, 'Votre Identité Numérique est active');
    }
    const visibility = await phone.evaluate(() => document.visibilityState);
    return { page, plain, visibility };
  } finally {
    stop();
    await computer.close();
    await phoneContext.close();
  }
}

// ——— the run ———

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
    // The class world's certificate by the hash of its key, nothing wider (as the phone test).
    `--ignore-certificate-errors-spki-list=${spki}`,
  ],
});

try {
  const size = sizes();
  console.log('\n1. Écrans (ui/dist), gzip niveau 9');
  for (const row of size.rows) console.log(`   ${row.file.padEnd(44)} ${kB(row.raw).padStart(9)} → ${kB(row.gzip).padStart(8)}`);
  console.log(`   JS ${kB(size.js)} + CSS ${kB(size.css)} = ${kB(size.js + size.css)} gzip (cible ≤ 150 kB : ${size.js + size.css <= 150000 ? 'tenue' : 'NON TENUE'}) ; ${kB(size.raw)} sans compression`);

  console.log(`\n2. Premier chargement, téléphone 390×844, CPU ×${CPU_SLOWDOWN}, « Fast 4G » (${(FAST_4G.downloadThroughput * 8 / 1e6).toFixed(2)} Mbit/s ↓, ${(FAST_4G.uploadThroughput * 8 / 1e6).toFixed(2)} Mbit/s ↑, ${FAST_4G.latency} ms), ${LOAD_TRIALS} tours après ${LOAD_WARMUP} d'échauffement`);
  const loads = await firstLoads(browser);
  for (const [name, side] of [['page du téléphone (/application/)', loads.page], ['référence (launch-baseline.html)', loads.baseline]]) {
    const interactive = side.runs.map((run) => run.interactive);
    console.log(
      `   ${name.padEnd(36)} interactive médiane ${ms(median(interactive))} (${ms(Math.min(...interactive))}–${ms(Math.max(...interactive))}), ` +
        `DOMContentLoaded ${ms(median(side.runs.map((run) => run.domContentLoaded)))}, réponse HTML ${ms(median(side.runs.map((run) => run.responseEnd)))}, ` +
        `marque idn-interactive ${side.runs[0].mark === null ? '—' : ms(median(side.runs.map((run) => run.mark)))}, transféré ${kB(median(side.runs.map((run) => run.transferred)))}`,
    );
  }
  const pageInteractive = median(loads.page.runs.map((run) => run.interactive));
  console.log(`   rapport (médiane des rapports par tour) : ${median(loads.ratios).toFixed(2)}× ; cible ≤ 2 s : ${pageInteractive <= 2000 ? 'tenue' : 'NON TENUE'}`);

  console.log(`\n3. Demande de connexion visible sur la page du téléphone après « S'identifier » (${LOGINS} demandes après ${LOGIN_WARMUP} d'échauffement, sans ralentissement)`);
  const seen = await logins(browser);
  for (const [name, values] of [['page du téléphone', seen.page], ['client simple (flux + liste)', seen.plain]]) {
    console.log(`   ${name.padEnd(30)} p50 ${ms(percentile(values, 0.5))}, p95 ${ms(percentile(values, 0.95))}, max ${ms(Math.max(...values))}`);
  }
  const ratios = seen.page.map((value, index) => value / Math.max(1, seen.plain[index]));
  console.log(`   rapport p95 : ${(percentile(seen.page, 0.95) / Math.max(1, percentile(seen.plain, 0.95))).toFixed(2)}× (médiane des rapports par demande ${median(ratios).toFixed(2)}×) ; cible p95 ≤ 200 ms : ${percentile(seen.page, 0.95) <= 200 ? 'tenue' : 'NON TENUE'} ; page ${seen.visibility}`);
  console.log(`   valeurs (ms) page : ${seen.page.join(' ')}`);
  console.log(`   valeurs (ms) client simple : ${seen.plain.join(' ')}`);
} finally {
  await browser.close();
}
