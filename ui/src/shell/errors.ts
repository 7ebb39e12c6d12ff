// Every refusal the screens can meet, in one place: its title, what to do next and the button
// that does it, the field concerned, and whether it can lock something. Decided on the backend's
// stable code (BackendError.code), never on its French text; the words are in messages/fr.json
// (errors.titles, errors.next, errors.actions, errors.buttons).
//
// Where the codes come from: crates/journey/src/error.rs (`JourneyError::code`), the world's
// own (crates/world/src/error.rs, access/refusal.rs, throttle), the client's
// (crates/api/src/error.rs, join.rs), the device core's (crates/device/src/error.rs), the
// capture's (crates/capture/src/error.rs) and the app shell's (src-tauri commands, world_link).
// errors.test.ts checks that every journey code has its line here and its words in fr.json.

import { format, lookup, messages } from "../messages";
import { isLastAttempt } from "../lib/rules";

/** The way forward a refusal offers, as one button. `messages`, `trainer`, `refresh` and `fix`
 * work on any screen; the others need the screen's own handler (else `trainer`). */
export type WayForward =
  | "resend"
  | "messages"
  | "trainer"
  | "retry"
  | "refresh"
  | "redo"
  | "fix"
  | "change_number"
  | "restart"
  | "verify_again"
  | "close";

/** The input a refusal is about: the screen highlights it (aria-invalid) and `fix` focuses it. */
export type Field =
  | "email"
  | "code"
  | "password"
  | "credentials"
  | "mobile"
  | "terms"
  | "secret"
  | "birth_date"
  | "issue_date"
  | "expiry_date"
  | "document_type"
  | "given_names"
  | "address"
  | "file";

/** What one more error locks: the code being typed (a new one must be asked for), or the
 * Identité Numérique itself (a new verification of identity). */
export type Lock = "code" | "secret_code";

export interface ErrorRule {
  action: WayForward;
  field?: Field;
  lock?: Lock;
}

/** The table: stable code → way forward, field, lock. Its titles and sentences are fr.json's. */
export const ERROR_RULES: Readonly<Record<string, ErrorRule>> = {
  // The La Poste account and the codes sent to the person (crates/journey).
  invalid_email: { action: "fix", field: "email" },
  weak_password: { action: "fix", field: "password" },
  invalid_mobile: { action: "fix", field: "mobile" },
  terms_not_accepted: { action: "fix", field: "terms" },
  // « En ligne » without AR24's conditions ticked (Ar24Terms.svelte's box).
  ar24_terms_not_accepted: { action: "fix", field: "terms" },
  code_malformed: { action: "fix", field: "code" },
  code_wrong: { action: "messages", field: "code", lock: "code" },
  code_expired: { action: "resend", field: "code" },
  code_attempts_exhausted: { action: "resend", field: "code" },
  resend_limit_reached: { action: "trainer" },
  mobile_already_enrolled: { action: "change_number", field: "mobile" },
  wrong_credentials: { action: "fix", field: "credentials" },
  account_locked: { action: "trainer" },
  no_sign_in_pending: { action: "restart" },
  wrong_step: { action: "refresh" },
  // « Vos informations personnelles » (crates/journey).
  invalid_field: { action: "fix" },
  underage: { action: "fix", field: "birth_date" },
  document_expired: { action: "fix", field: "expiry_date" },
  document_issued_in_future: { action: "fix", field: "issue_date" },
  residence_permit_too_short: { action: "fix", field: "document_type" },
  too_many_given_names: { action: "fix", field: "given_names" },
  forbidden_character: { action: "fix" },
  text_too_long: { action: "fix" },
  identity_already_confirmed: { action: "refresh" },
  // The verification (crates/journey, the world's media, the capture, the app's commands).
  document_mismatch: { action: "trainer" },
  // The postal procedure's desk (the console) refuses it; the app never sends that request.
  postal_letter_not_awaited: { action: "trainer" },
  letter_not_opened: { action: "messages" },
  identification_not_started: { action: "refresh" },
  incomplete_submission: { action: "fix" },
  media_size: { action: "redo", field: "file" },
  unsupported_media_type: { action: "redo", field: "file" },
  video_unreadable: { action: "redo", field: "file" },
  unreadable_video: { action: "redo", field: "file" },
  unsupported_image: { action: "redo", field: "file" },
  file_unreadable: { action: "redo", field: "file" },
  not_a_file: { action: "redo", field: "file" },
  no_camera: { action: "redo" },
  camera_unavailable: { action: "retry" },
  no_microphone: { action: "trainer" },
  recording_failed: { action: "retry" },
  no_photo: { action: "redo" },
  no_video: { action: "redo" },
  // The secret code and the login requests (crates/journey).
  invalid_secret_code: { action: "redo", field: "secret" },
  wrong_secret_code: { action: "redo", field: "secret", lock: "secret_code" },
  answer_replayed: { action: "redo", field: "secret" },
  secret_code_locked: { action: "verify_again" },
  login_request_expired: { action: "close" },
  unknown_login_request: { action: "close" },
  login_request_already_answered: { action: "close" },
  not_the_enrolled_device: { action: "trainer" },
  invalid_device_signature: { action: "trainer" },
  mobile_mismatch: { action: "trainer" },
  too_many_pending_login_requests: { action: "retry" },
  login_request_rate_limited: { action: "trainer" },
  // The world, its address and the way to it (crates/world, crates/api, src-tauri).
  too_many_requests: { action: "trainer" },
  internal: { action: "retry" },
  not_found: { action: "refresh" },
  world_unreachable: { action: "retry" },
  tls_untrusted: { action: "trainer" },
  protocol: { action: "retry" },
  world_starting: { action: "retry" },
  world_start_failed: { action: "trainer" },
  world_url_invalid: { action: "fix", field: "address" },
  world_url_missing: { action: "fix", field: "address" },
  join_code_invalid: { action: "fix", field: "address" },
  world_already_in_use: { action: "refresh" },
  // This device (crates/device, src-tauri).
  world_key_untrusted: { action: "trainer" },
  vault_unavailable: { action: "trainer" },
  vault: { action: "retry" },
  sealing: { action: "retry" },
  device_key_missing: { action: "trainer" },
  device_profile: { action: "trainer" },
  device_io: { action: "trainer" },
  not_activated: { action: "refresh" },
  no_account: { action: "refresh" },
  sign_in_restart: { action: "restart" },
  no_browser: { action: "trainer" },
  ipc_unavailable: { action: "trainer" },
  // Access refused (crates/world access/refusal.rs); an ended access takes the person to the
  // sign-in screen instead (state/session.svelte.ts).
  not_your_learner: { action: "trainer" },
  device_credential_required: { action: "trainer" },
  account_credential_required: { action: "trainer" },
  sign_in_ticket_required: { action: "restart" },
  learner_credential_required: { action: "trainer" },
  unknown: { action: "trainer" },
};

/** A refusal as the screens receive it (BackendError): the stable code, the backend's French
 * sentence, and — when the backend gives it as data — the attempts left after this one. */
export interface Refusal {
  code: string;
  message: string;
  attempts_left?: unknown;
}

/** What a refusal shows. */
export interface Advice {
  code: string;
  title: string;
  /** The backend's sentence (it names the case: the field, the time to wait, the attempts left),
   * or the catalogue's for the app's own codes. */
  text: string;
  /** What to do next, in a sentence. */
  next: string;
  action: WayForward;
  field: Field | null;
  /** « Il vous reste 1 essai : une nouvelle erreur bloquera… », when the backend says so. */
  lastAttempt: string | null;
  /** False for a code this table does not know yet (a newer backend): a generic title. */
  known: boolean;
}

const t = messages.errors;
const titles: Record<string, string> = t.titles;
const nexts: Record<string, string> = t.next;
const texts: Record<string, string> = t.codes;

/** The attempts left after this refusal, as the backend's data; null when it does not say. The
 * number is never read from the French sentence. */
export function attemptsLeft(error: Refusal): number | null {
  const value = error.attempts_left;
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : null;
}

export function explain(error: Refusal): Advice {
  const rule = Object.prototype.hasOwnProperty.call(ERROR_RULES, error.code) ? ERROR_RULES[error.code] : undefined;
  const left = attemptsLeft(error);
  const lock = rule?.lock;
  return {
    code: error.code,
    title: lookup(titles, error.code) ?? t.fallbackTitle,
    text: lookup(texts, error.code) ?? (error.message || t.codes.unknown),
    next: lookup(nexts, error.code) ?? t.fallbackNext,
    action: rule?.action ?? "trainer",
    field: rule?.field ?? null,
    lastAttempt:
      lock !== undefined && left !== null && isLastAttempt(left)
        ? `${format(t.lastAttempt[lock], { count: left })} ${t.lastAttempt.sandboxChoice}`
        : null,
    known: rule !== undefined,
  };
}

/** Whether the refusal is about this field: the screen sets aria-invalid on it. */
export function invalid(error: Refusal | null, field: Field): boolean {
  return error !== null && explain(error).field === field;
}

/** The button's words: the code's own (« Recevoir un nouveau code »…), else the action's. */
export function buttonLabel(advice: Advice): string {
  const own: Record<string, string> = t.buttons;
  return lookup(own, advice.code) ?? t.actions[advice.action];
}
