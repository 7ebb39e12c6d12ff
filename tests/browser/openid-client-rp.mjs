// A relying party built on panva's certified `openid-client` 6, run as its own process the way a
// developer's service would run: it trusts the world's HTTPS certificate only because
// NODE_EXTRA_CA_CERTS names the world's local authority (set by tests/browser/openid-client.mjs),
// and it keeps every default check of the library (HTTPS only, issuer, PKCE, state, nonce, iat,
// audience, signing algorithm), plus the signatures themselves (`enableNonRepudiationChecks`).
// FranceConnect+ encrypts ID tokens and userinfo to the key the service registered: the library
// decrypts them (`enableDecryptingResponses`) and hands back the signed ID token inside, which the
// service gives as `id_token_hint` at logout.
//
// Pages for the person: /connexion (to FranceConnect+), /retour (the code comes back), /deconnexion
// (to FranceConnect+'s logout), /au-revoir (back after logout). What happened goes to the parent
// process as typed messages (process.send), never read back from the pages.
//
// Environment: IDN_RP_WORLD (https://…), IDN_RP_TOKEN (a trainer's Bearer token, to register),
// NODE_EXTRA_CA_CERTS (the world's DATA/tls/ca.pem).

import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import * as client from 'openid-client';
import * as jose from 'jose';

const world = new URL(process.env.IDN_RP_WORLD);
const trainerToken = process.env.IDN_RP_TOKEN;
const SCOPE = 'openid identite_pivot email';
const KID = 'rp-openid-client';

/** Tells the parent; a failure is a message too, so that the scenario says what broke. */
function tell(message) {
  process.send?.(message);
}

function fail(step, error) {
  tell({ type: 'echec', step, code: error?.code ?? null, message: String(error?.message ?? error), cause: String(error?.cause?.message ?? error?.cause ?? '') });
}

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(response, status, title, body) {
  response.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  response.end(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 3em auto">
<p><small>Service de démonstration (openid-client 6) — SIMULATION</small></p><h1>${escape(title)}</h1>${body}</body></html>`);
}

// ----- the service's own key, to which FranceConnect+ encrypts what it sends -----
const { publicKey, privateKey } = await jose.generateKeyPair('ECDH-ES', { crv: 'P-256', extractable: true });
const encryptionJwk = { ...(await jose.exportJWK(publicKey)), kid: KID, use: 'enc', alg: 'ECDH-ES' };

const server = createServer((request, response) => {
  handle(request, response).catch((error) => {
    fail('page', error);
    page(response, 500, 'Erreur du service', `<p>${escape(error.message)}</p>`);
  });
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;
const callback = `${origin}/retour`;
const afterLogout = `${origin}/au-revoir`;

// ----- registration by a trainer (or a developer), then discovery by the library -----
let config;
try {
  const answer = await fetch(new URL('/api/relying-parties', world), {
    method: 'POST',
    headers: { authorization: `Bearer ${trainerToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: 'Service openid-client',
      redirect_uris: [callback],
      post_logout_redirect_uris: [afterLogout],
      encryption_jwk: encryptionJwk,
    }),
  });
  if (!answer.ok) throw new Error(`registration → ${answer.status} ${await answer.text()}`);
  const registered = await answer.json();
  // The issuer is the discovery address without its well-known suffix: the library fetches
  // `issuer + /.well-known/openid-configuration` and requires the document's issuer to be it.
  const issuer = new URL(registered.discovery_path.replace(/\/\.well-known\/openid-configuration$/, ''), world);
  config = await client.discovery(
    issuer,
    registered.client_id,
    {
      // What the service registered and expects: ES256 signatures, ECDH-ES + A256GCM encryption.
      id_token_signed_response_alg: 'ES256',
      userinfo_signed_response_alg: 'ES256',
      id_token_encrypted_response_alg: 'ECDH-ES',
      id_token_encrypted_response_enc: 'A256GCM',
      userinfo_encrypted_response_alg: 'ECDH-ES',
      userinfo_encrypted_response_enc: 'A256GCM',
    },
    client.ClientSecretBasic(registered.client_secret),
  );
  client.enableDecryptingResponses(config, ['A256GCM'], { key: privateKey, alg: 'ECDH-ES', kid: KID });
  client.enableNonRepudiationChecks(config);
} catch (error) {
  fail('discovery', error);
  server.close();
  process.exit(1);
}

// One person at a time in this test service: the login in progress and the session.
const logins = new Map();
let session = null;

async function handle(request, response) {
  const url = new URL(request.url, origin);
  const cookie = /(?:^|;\s*)rp=([0-9a-f]{32})/.exec(request.headers.cookie ?? '')?.[1];
  switch (url.pathname) {
    case '/connexion': {
      const login = {
        verifier: client.randomPKCECodeVerifier(),
        state: client.randomState(),
        nonce: client.randomNonce(),
      };
      const id = randomBytes(16).toString('hex');
      logins.set(id, login);
      const authorize = client.buildAuthorizationUrl(config, {
        redirect_uri: callback,
        scope: SCOPE,
        acr_values: 'eidas2',
        state: login.state,
        nonce: login.nonce,
        code_challenge: await client.calculatePKCECodeChallenge(login.verifier),
        code_challenge_method: 'S256',
      });
      response.writeHead(303, { location: authorize.href, 'set-cookie': `rp=${id}; HttpOnly; SameSite=Lax; Path=/` });
      return response.end();
    }
    case '/retour': {
      const login = logins.get(cookie);
      logins.delete(cookie);
      if (!login) return page(response, 400, 'Connexion inconnue', '<p>Aucune connexion en cours.</p>');
      let tokens;
      let info;
      try {
        tokens = await client.authorizationCodeGrant(config, url, {
          pkceCodeVerifier: login.verifier,
          expectedState: login.state,
          expectedNonce: login.nonce,
          idTokenExpected: true,
        });
      } catch (error) {
        fail('token', error);
        return page(response, 502, 'Connexion refusée par le service', `<p>${escape(error.message)}</p>`);
      }
      const claims = tokens.claims();
      const signedIdToken = client.getDecryptedResponses(tokens)?.id_token?.token_endpoint;
      try {
        info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      } catch (error) {
        fail('userinfo', error);
        return page(response, 502, 'Identité illisible', `<p>${escape(error.message)}</p>`);
      }
      session = { idToken: signedIdToken, claims };
      tell({
        type: 'connecte',
        issuer: config.serverMetadata().issuer,
        clientId: config.clientMetadata().client_id,
        idTokenAsIssued: tokens.id_token,
        signedIdToken,
        claims,
        userinfo: { ...info },
        signedUserinfo: client.getDecryptedResponses(info) ?? null,
      });
      return page(
        response,
        200,
        'Vous êtes connecté au service',
        `<p id="identite">${escape(info.given_name)} ${escape(info.family_name)}</p>
<p>Identité vérifiée par FranceConnect+ (niveau ${escape(claims.acr)}).</p>
<p><a id="deconnexion" href="/deconnexion">Se déconnecter</a></p>`,
      );
    }
    case '/deconnexion': {
      if (!session) return page(response, 400, 'Pas de session', '<p>Vous n’êtes pas connecté.</p>');
      session.logoutState = client.randomState();
      const end = client.buildEndSessionUrl(config, {
        id_token_hint: session.idToken,
        post_logout_redirect_uri: afterLogout,
        state: session.logoutState,
      });
      tell({ type: 'deconnexion', endSession: end.href });
      response.writeHead(303, { location: end.href });
      return response.end();
    }
    case '/au-revoir': {
      const expected = session?.logoutState;
      const state = url.searchParams.get('state');
      session = null;
      tell({ type: 'deconnecte', stateMatches: expected !== undefined && state === expected });
      return page(response, 200, 'Vous êtes déconnecté du service', '<p>À bientôt.</p>');
    }
    default:
      return page(response, 404, 'Page inconnue', '');
  }
}

process.on('disconnect', () => server.close());
tell({
  type: 'pret',
  start: `${origin}/connexion`,
  issuer: config.serverMetadata().issuer,
  // The library's own reading of the discovery (`code_challenge_methods_supported`).
  supportsPkce: config.serverMetadata().supportsPKCE(),
});
