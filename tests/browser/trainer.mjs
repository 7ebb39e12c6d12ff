// A trainer's credential for the suites that play the class's staff over the world's API (the
// class clock, the clerk's desk, a review setting, a relying party's login request, the list of
// learners): every such route needs one. The staff account is made where a trainer makes it, on
// the world's machine (`idn staff add --data-dir`, no default account), before the world serves;
// its Bearer token is an API token (`idn staff token create`, same place) or, where this `idn`
// has no such command yet, the session of the console's JSON sign-in (`POST
// /console/api/connexion`), which /api accepts as `Authorization: Bearer` for the staff's role.
// Node's built-ins only: imported by tests/app and tests/browser alike.
import { execFileSync } from 'node:child_process';

export const TRAINER = { email: 'formatrice.tests@classe.example', password: 'formation-tests-2026' };

/** Creates the trainer's staff account in the world's data directory (`idn staff add`). */
export function addTrainer(idn, dataDir, { email, password } = TRAINER) {
  execFileSync(idn, ['staff', 'add', '--data-dir', dataDir, '--role', 'formateur', '--email', email, '--password-stdin'], {
    input: `${password}\n`,
    encoding: 'utf8',
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/**
 * An API token for the trainer (`idn staff token create --json`), made in the data directory
 * while the world is not serving; `null` when this `idn` has no such command (then use
 * `consoleSession` once the world serves).
 */
export function apiToken(idn, dataDir, { email } = TRAINER) {
  let out;
  try {
    out = execFileSync(idn, ['staff', 'token', 'create', '--data-dir', dataDir, '--email', email, '--json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch {
    return null;
  }
  return findToken(JSON.parse(out.trim().split('\n').at(-1)));
}

/** The first `idn_st_…` string in the command's JSON answer, wherever the field sits. */
function findToken(value) {
  if (typeof value === 'string') return value.startsWith('idn_st_') ? value : null;
  if (value === null || typeof value !== 'object') return null;
  for (const inner of Object.values(value)) {
    const found = findToken(inner);
    if (found !== null) return found;
  }
  return null;
}

/** The staff session of the console's JSON sign-in: the `idn_console` cookie's token. */
export async function consoleSession(base, { email, password } = TRAINER) {
  const response = await fetch(`${base}/console/api/connexion`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (!response.ok) throw new Error(`ÉCHEC : connexion du personnel ${email} → ${response.status} ${await response.text()}`);
  for (const cookie of response.headers.getSetCookie()) {
    const token = /^idn_console=([0-9a-f]{64})/.exec(cookie)?.[1];
    if (token) return token;
  }
  throw new Error('ÉCHEC : la connexion du personnel ne donne pas de cookie de session');
}

/** The trainer's Bearer token: the API token made before the world served, else a session. */
export async function trainerToken(base, token) {
  return token ?? consoleSession(base);
}
