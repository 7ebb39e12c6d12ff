// The postal procedure for people without a smartphone (issue 18 item 2, guide 004): Debian's
// Chromium as a computer opens « Créer votre Identité Numérique », then « La procédure
// courrier »: the notice, the form (one field typed wrong first: nothing is lost), its printed
// version in capitals (print media: only the form prints), the envelope, the follow-up; the
// trainer's shortcut lets the 4 weeks pass; the registered letter's number is read on the page;
// the class's clerk validates it at the console's « Procédure courrier » desk, first with the
// wrong document (named, nothing changes), then with the right one; the person's page then says
// the identity is verified. Every page is saved in tests/browser/artefacts/courrier/ and checked
// with axe-core (serious, critical and « region » violations fail).
//
// Needs: the `idn` binary (IDN_BIN, default target/debug/idn), /usr/bin/chromium.
// Run: node tests/browser/postal.mjs

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { addTrainer, TRAINER } from './trainer.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const idn = process.env.IDN_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(root, 'target'), 'debug', 'idn');
const artefacts = join(here, 'artefacts', 'courrier');
const require = createRequire(join(root, 'package.json'));
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

if (!existsSync(idn)) {
  console.error(`ÉCHEC : le binaire idn est introuvable (${idn}) : cargo build -p idn-cli --bin idn`);
  process.exit(2);
}
rmSync(artefacts, { recursive: true, force: true });
mkdirSync(artefacts, { recursive: true });
const data = mkdtempSync(join(tmpdir(), 'idn-courrier-'));
const worldDir = join(data, 'world');
addTrainer(idn, worldDir);

const world = spawn(idn, ['world', 'serve', '--listen', '127.0.0.1:0', '--data-dir', worldDir], {
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
  setTimeout(() => reject(new Error(`world did not start: ${seen}`)), 30000);
});
console.log(`==> monde de la classe : ${base}`);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});

let shot = 0;
const axeFindings = [];
/** A full-page screenshot, then axe-core (serious, critical and « region » fail). */
async function screen(page, name) {
  shot += 1;
  await page.screenshot({ path: join(artefacts, `${String(shot).padStart(2, '0')}-${name}.png`), fullPage: true });
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const results = await window.axe.run(document, { resultTypes: ['violations'] });
    return results.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical' || violation.id === 'region')
      .map((violation) => ({ id: violation.id, impact: violation.impact, nodes: violation.nodes.map((node) => node.target.join(' ')) }));
  });
  if (violations.length > 0) axeFindings.push({ screen: name, violations });
}

try {
  const person = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const page = await person.newPage();

  await page.goto(`${base}/identite-numerique/creer`);
  await page.getByRole('link', { name: 'La procédure courrier' }).click();
  await page.getByRole('heading', { name: "Formulaire de demande de vérification d'identité pour l'achat de formation CPF" }).waitFor();
  const notice = await page.locator('main').innerText();
  for (const text of ["Notice d'information à conserver par le demandeur", '4 semaines', 'Copie de la carte vitale', 'SIMULATION']) {
    assert.ok(notice.includes(text) || (await page.locator('body').innerText()).includes(text), `the notice shows « ${text} »`);
  }
  await screen(page, 'notice');

  await page.getByRole('link', { name: 'Remplir le formulaire' }).click();
  await page.getByLabel('Madame').check();
  await page.getByLabel('* Nom de naissance').fill('Martin');
  await page.getByLabel('* Prénom(s)').fill('Claire, Anne');
  await page.getByLabel('* Date de naissance').fill('1980-05-17');
  await page.getByLabel('* Lieu de naissance').fill('Lyon');
  await page.getByLabel('* Adresse', { exact: true }).fill('3 rue des Lilas');
  await page.getByLabel('* Code postal').fill('6900');
  await page.getByLabel('* Commune').fill('Lyon');
  await page.getByLabel('* Adresse e-mail').fill('claire.martin@exemple.fr');
  await page.getByLabel('Je ne dispose pas de smartphone').check();
  await page.getByRole('button', { name: 'Vérifier et imprimer' }).click();
  await page.getByRole('alert').waitFor();
  assert.match(await page.getByRole('alert').innerText(), /Code postal : 5 chiffres/);
  assert.equal(await page.getByLabel('* Nom de naissance').inputValue(), 'Martin', 'nothing typed is lost');
  await screen(page, 'formulaire-code-postal');

  await page.getByLabel('* Code postal').fill('69003');
  await page.getByRole('button', { name: 'Vérifier et imprimer' }).click();
  await page.getByRole('heading', { name: "Votre formulaire, tel qu'il sera imprimé" }).waitFor();
  const printed = await page.locator('dl.printed').innerText();
  assert.ok(printed.includes('MARTIN') && printed.includes('CLAIRE, ANNE'), 'printed in capitals');
  await screen(page, 'apercu');
  await page.emulateMedia({ media: 'print' });
  assert.equal(await page.getByRole('heading', { name: 'Votre enveloppe' }).isVisible(), false, 'the envelope does not print');
  assert.equal(await page.locator('dl.printed').isVisible(), true, 'the form prints');
  await page.screenshot({ path: join(artefacts, `${String(++shot).padStart(2, '0')}-impression.png`), fullPage: true });
  await page.emulateMedia({ media: 'screen' });

  await page.getByLabel("Un justificatif d'identité").selectOption({ label: "Copie de carte d'identité Française ou Européenne pour l'espace Schengen" });
  await page.getByLabel('Un justificatif de sécurité sociale').selectOption({ label: 'Copie de la carte vitale' });
  await page.getByLabel('Chaque copie est sur une page séparée').check();
  await page.getByLabel("J'ai créé mon compte sur le portail Mon Compte Formation").check();
  await page.getByRole('button', { name: "Poster l'enveloppe (simulation)" }).click();
  await page.getByRole('heading', { name: 'Votre courrier est en cours de traitement' }).waitFor();
  assert.match(await page.locator('main').innerText(), /CLAIRE, ANNE MARTIN/);
  await screen(page, 'suivi-en-cours');

  await page.locator('summary', { hasText: 'Options du formateur' }).click();
  await page.getByRole('button', { name: 'Recevoir la réponse maintenant (bac à sable)' }).click();
  await page.locator('#lettre-recommandee').waitFor();
  const letter = await page.locator('[data-letter-number]').getAttribute('data-letter-number');
  assert.match(letter, /^1A\d{11}$/);
  await screen(page, 'lettre-recommandee');

  // The class's clerk desk: the trainer plays the postman.
  const staff = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  const desk = await staff.newPage();
  await desk.goto(`${base}/console/connexion`);
  await desk.fill('#email', TRAINER.email);
  await desk.fill('#password', TRAINER.password);
  await desk.click('#se-connecter');
  await desk.waitForURL((url) => !url.pathname.endsWith('/connexion'));
  await desk.goto(`${base}/console/guichet`);
  await desk.click('#guichet-courrier');
  await desk.getByRole('heading', { name: 'Procédure courrier' }).waitFor();
  assert.match(await desk.locator('main').innerText(), /CLAIRE, ANNE MARTIN/);
  await desk.getByLabel('Numéro de la lettre recommandée').fill(letter);
  await desk.getByLabel('Type de pièce présentée').selectOption({ label: 'Passeport' });
  await desk.getByLabel('Nom de naissance').fill('Martin');
  await desk.getByLabel('Date de naissance').fill('1980-05-17');
  await desk.click('#valider-courrier');
  await desk.locator('#resultat-courrier.error').waitFor();
  assert.match(await desk.locator('main').innerText(), /Ce n'est pas la pièce dont la copie a été envoyée/);
  assert.equal(await desk.getByLabel('Numéro de la lettre recommandée').inputValue(), letter, 'the letter number stays');
  await screen(desk, 'guichet-piece-differente');
  await desk.getByLabel('Type de pièce présentée').selectOption({ label: "Carte d'identité (française ou européenne)" });
  await desk.click('#valider-courrier');
  await desk.locator('#resultat-courrier.success').waitFor();
  await screen(desk, 'guichet-valide');

  await page.reload();
  await page.getByRole('heading', { name: 'Votre identité est vérifiée' }).waitFor();
  await screen(page, 'suivi-validee');

  assert.deepEqual(axeFindings, [], `axe-core: ${JSON.stringify(axeFindings, null, 2)}`);
  console.log(`OK : procédure courrier de bout en bout, ${shot} captures dans ${artefacts}`);
} finally {
  await browser.close();
  world.kill('SIGINT');
  rmSync(data, { recursive: true, force: true });
}
