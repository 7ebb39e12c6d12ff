// The world over HTTPS, as a class reaches it, and a certified relying-party library against it:
// a second world served with `--tls` under its own local authority, its own learner (`idn
// demo`) and trainer, and a service built on panva's `openid-client` 6 (openid-client-rp.mjs)
// running in its own Node process that trusts that authority through NODE_EXTRA_CA_CERTS only.
// The person's Chromium trusts the world's certificate through the hash of its leaf's public key
// (`--ignore-certificate-errors-spki-list`), that key and nothing else; the device (`idn`) through
// `--ca-cert` (IDN_CA_CERT). Why a second world rather than the whole suite over HTTPS: Node
// reads NODE_EXTRA_CA_CERTS when it starts, and the authority exists only once the world has
// served, so only a process started after the world can trust it the standard way; the service
// is such a process, and the other scenarios keep their plain loopback world.

import { execFileSync, fork, spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { addTrainer, apiToken } from './trainer.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** base64 of the SHA-256 of the leaf certificate's SubjectPublicKeyInfo, as Chromium wants it. */
function leafSpkiHash(chainPem) {
  const leaf = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/)[0];
  const spki = new X509Certificate(leaf).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

/**
 * A learner enrolled by `idn demo` in `dir`, its world served with HTTPS under the local
 * authority on a loopback port, and its trainer's API token.
 */
export async function serveTlsWorld(idn, dir) {
  const demo = JSON.parse(
    execFileSync(idn, ['demo', '--data-dir', dir, '--seed', '11', '--json'], { encoding: 'utf8' }).trim().split('\n').at(-1),
  );
  assert.equal(demo.ok, true, 'the demo enrolled the HTTPS world’s learner');
  const worldDir = join(dir, 'world');
  addTrainer(idn, worldDir);
  const token = apiToken(idn, worldDir);
  assert.ok(token, 'an API token made before serving (a console session would need the authority in this process)');
  const process_ = spawn(idn, ['world', 'serve', '--tls', '--listen', '127.0.0.1:0', '--data-dir', worldDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const base = await new Promise((resolve, reject) => {
    let seen = '';
    process_.stderr.on('data', (chunk) => {
      seen += chunk;
      const found = seen.match(/https:\/\/127\.0\.0\.1:\d+/);
      if (found) resolve(found[0]);
    });
    process_.on('exit', (code) => reject(new Error(`HTTPS world exited (${code}): ${seen}`)));
    setTimeout(() => reject(new Error(`HTTPS world did not start: ${seen}`)), 20000);
  });
  const ca = join(worldDir, 'tls', 'ca.pem');
  const spki = leafSpkiHash(readFileSync(join(worldDir, 'tls', 'server.pem'), 'utf8'));
  const deviceDir = join(dir, 'device');
  /** The `idn` CLI against this world, trusting its authority and nothing more. */
  const cli = (args) =>
    JSON.parse(
      execFileSync(idn, ['--json', ...args], {
        encoding: 'utf8',
        env: { ...process.env, IDN_WORLD_URL: base, IDN_CA_CERT: ca, IDN_TOKEN: token },
      }),
    );
  const learner = cli(['learner', 'show', demo.learner_id]);
  return {
    base,
    ca,
    spki,
    token,
    secret: demo.secret_code,
    mobile: learner.mobile,
    device: (args) => cli(['device', '--device-dir', deviceDir, ...args]),
    stop: () => process_.kill('SIGTERM'),
  };
}

/** The next message of type `type` from the service, or its failure. */
function nextMessage(service, type, timeout = 20000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(reject, new Error(`the service never said « ${type} »`)), timeout);
    const onMessage = (message) => {
      if (message.type === type) done(resolve, message);
      else if (message.type === 'echec') done(reject, new Error(`the service failed at ${message.step}: ${message.code ?? ''} ${message.message} ${message.cause}`));
    };
    const onExit = (code) => done(reject, new Error(`the service exited (${code}) before « ${type} »`));
    function done(settle, value) {
      clearTimeout(timer);
      service.off('message', onMessage);
      service.off('exit', onExit);
      settle(value);
    }
    service.on('message', onMessage);
    service.on('exit', onExit);
  });
}

/** The person's pending login request on the device, once the world has sent it. */
async function pendingRequest(secure) {
  for (let i = 0; i < 100; i++) {
    const pending = secure.device(['pending']);
    if (pending.length > 0) return pending[0].request_id;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('the login request never reached the device');
}

const segments = (compact) => compact.split('.').length;

/**
 * Login, userinfo and logout of the openid-client service through FranceConnect+ and La Poste,
 * in `page`; `steps` are the suite's own helpers (toLaPoste, screenshot, expectText).
 */
export async function openidClientLogin(page, secure, { toLaPoste, screenshot, expectText }) {
  const service = fork(join(here, 'openid-client-rp.mjs'), [], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: secure.ca, IDN_RP_WORLD: secure.base, IDN_RP_TOKEN: secure.token },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  try {
    const ready = await nextMessage(service, 'pret');
    assert.equal(ready.issuer, `${secure.base}/fcplus`, 'the library accepted the HTTPS discovery of FranceConnect+');
    // Without it the library's PKCE check proves nothing: a provider that ignores code_challenge
    // lets a stolen code be redeemed without the verifier (RFC 9700 §2.1.1).
    assert.equal(ready.supportsPkce, true, 'FranceConnect+ publishes and enforces PKCE (S256)');

    const connected = nextMessage(service, 'connecte');
    await page.goto(ready.start);
    await toLaPoste(page, secure.mobile, 'openid-client');
    assert.ok(page.url().startsWith('https://'), `the person is on the HTTPS world: ${page.url()}`);
    secure.device(['approve', await pendingRequest(secure), '--secret', secure.secret]);
    const login = await connected;
    await expectText(page, 'Vous êtes connecté au service');
    await screenshot(page, 'openid-client-connecte');

    assert.equal(segments(login.idTokenAsIssued), 5, 'FranceConnect+ sends the ID token encrypted (JWE)');
    assert.equal(segments(login.signedIdToken), 3, 'the library hands back the signed ID token inside (JWS)');
    assert.equal(login.claims.iss, `${secure.base}/fcplus`);
    assert.equal(login.claims.aud, login.clientId);
    assert.equal(login.claims.acr, 'eidas2');
    assert.equal(login.userinfo.sub, login.claims.sub, 'userinfo is about the person of the ID token');
    assert.equal(login.userinfo.birthcountry, '99100');
    assert.equal(segments(login.signedUserinfo ?? ''), 3, 'userinfo came encrypted and signed');
    assert.ok(login.userinfo.given_name && login.userinfo.family_name === login.userinfo.family_name.toUpperCase());

    const loggingOut = nextMessage(service, 'deconnexion');
    const loggedOut = nextMessage(service, 'deconnecte');
    await page.click('#deconnexion');
    const hint = new URL((await loggingOut).endSession).searchParams.get('id_token_hint');
    assert.equal(hint, login.signedIdToken, 'the hint is the decrypted, signed ID token');
    assert.equal((await loggedOut).stateMatches, true, 'FranceConnect+ sent the person back with the logout state');
    await expectText(page, 'Vous êtes déconnecté du service');
    await screenshot(page, 'openid-client-deconnecte');
  } finally {
    service.disconnect?.();
    if (service.exitCode === null) service.kill('SIGTERM');
  }
}
