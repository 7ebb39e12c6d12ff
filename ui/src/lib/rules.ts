// Pure helpers for what a screen shows while the person types: live hints, masks, countdowns.
// They never decide: whatever is typed is sent as typed and the world answers (crates/journey).

import type { Step } from "../backend";

/** The password rule of the La Poste account, checked live to tick each line as the person types. */
export interface PasswordChecks {
  length: boolean;
  upper: boolean;
  lower: boolean;
  digit: boolean;
}

export function passwordChecks(password: string): PasswordChecks {
  return {
    length: [...password].length >= 8,
    upper: /\p{Lu}/u.test(password),
    lower: /\p{Ll}/u.test(password),
    digit: /\d/.test(password),
  };
}

export function allPassed(checks: PasswordChecks): boolean {
  return checks.length && checks.upper && checks.lower && checks.digit;
}

/** Keeps only digits, at most `max` of them: the mask of the numeric code fields. */
export function digitsOnly(input: string, max: number): string {
  return input.replace(/\D/g, "").slice(0, max);
}

/** The SMS code of the app is 4 letters or digits; typed in any case, sent in capitals. */
export function smsCodeMask(input: string): string {
  return input.replace(/[^0-9a-z]/gi, "").slice(0, 4).toUpperCase();
}

/** "+33" and "06 12 34 56 78" → "+33612345678": the national trunk 0 goes when a prefix is given. */
export function internationalNumber(prefix: string, national: string): string {
  const digits = national.replace(/[\s.\-()]/g, "");
  if (digits.startsWith("+")) return digits;
  return `${prefix}${digits.replace(/^0/, "")}`;
}

/** Country prefixes offered for the mobile number (metropolitan France and overseas first). */
export const MOBILE_PREFIXES: readonly { prefix: string; country: string }[] = [
  { prefix: "+33", country: "France" },
  { prefix: "+262", country: "La Réunion, Mayotte" },
  { prefix: "+590", country: "Guadeloupe" },
  { prefix: "+594", country: "Guyane" },
  { prefix: "+596", country: "Martinique" },
  { prefix: "+32", country: "Belgique" },
  { prefix: "+41", country: "Suisse" },
];

/** What is still wrong with a secret code being typed (a hint: the world checks the rule). */
export type SecretCodeHint = "incomplete" | "repeated_digit" | null;

export function secretCodeHint(code: string): SecretCodeHint {
  if (code.length < 4) return "incomplete";
  return new Set(code).size === code.length ? null : "repeated_digit";
}

/** The PIN pad's state after a key: digits are appended up to 4, "effacer" removes the last. */
export function pinPadPress(code: string, key: string): string {
  if (key === "backspace") return code.slice(0, -1);
  if (/^\d$/.test(key) && code.length < 4) return code + key;
  return code;
}

/** Seconds left to answer a login request, counted on this device from the world's figure. */
export function secondsLeft(secondsAtReceipt: number, receivedAtMs: number, nowMs: number): number {
  const elapsed = Math.floor((nowMs - receivedAtMs) / 1000);
  return Math.max(0, Math.min(60, secondsAtReceipt) - elapsed);
}

/** One mark of the step indicator: a La Poste account screen, or one of the app's 3 numbered
 * steps (« 01 Numéro de mobile · 02 Informations d'identité · 03 Vérification de votre identité »,
 * the side bar guide 004 shows). */
export type IndicatorKey = "email" | "email_code" | "password" | "mobile" | "identity" | "verification";
export type IndicatorState = "done" | "current" | "upcoming";

export interface IndicatorItem {
  key: IndicatorKey;
  /** 1, 2 or 3 for the numbered steps; null for the account's screens (never numbered). */
  number: 1 | 2 | 3 | null;
  state: IndicatorState;
}

/** What the step indicator shows: the La Poste account being created (its own screens, which
 * the guides show before the app's numbered side bar), or the 3 numbered steps. */
export interface StepIndicator {
  phase: "account" | "numbered";
  items: IndicatorItem[];
}

/** The La Poste account's screens, in the order the journey asks them (crates/journey `Step`). */
export const ACCOUNT_SCREENS = ["email", "email_code", "password"] as const;
const NUMBERED = [
  ["mobile", 1],
  ["identity", 2],
  ["verification", 3],
] as const;

/**
 * The step indicator of a step, so that it never lights a step the learner is not on. The
 * guides show the app's side bar « 01 Numéro de mobile · 02 Informations d'identité ·
 * 03 Vérification de votre identité » (done steps ticked, the current one lit) from the mobile
 * number on, as L'Identité Numérique's web site does: the number, « Créer mon compte » (civility,
 * names, CGU) and the SMS code that follows it (002 steps 5 to 7) are all step 01. The La Poste
 * identifier (email, its code, password) comes before, on screens without that side bar: there
 * the indicator names the account's screens and no number.
 * `not_started` is the email form (the welcome screen itself shows no indicator); an enrolled
 * or locked identity is past the creation: null, no indicator.
 */
export function stepIndicator(step: Step): StepIndicator | null {
  switch (step) {
    case "not_started":
      return account("email");
    case "email_code":
    case "password":
      return account(step);
    case "mobile":
    case "profile":
    case "mobile_code":
      return numbered(1);
    case "identity_data":
    case "identity_confirmation":
      return numbered(2);
    case "verification_choice":
    case "face_to_face":
    case "postal_letter":
    case "registered_letter":
    case "visual_identification":
    case "review":
    case "identification_refused":
    case "activation":
      return numbered(3);
    case "enrolled":
    case "locked":
      return null;
    default: {
      // A step added in Rust and not placed here fails the type check.
      const unplaced: never = step;
      return unplaced;
    }
  }
}

function account(current: (typeof ACCOUNT_SCREENS)[number]): StepIndicator {
  const at = ACCOUNT_SCREENS.indexOf(current);
  return {
    phase: "account",
    items: ACCOUNT_SCREENS.map((key, index) => ({ key, number: null, state: stateOf(index, at) })),
  };
}

function numbered(current: 1 | 2 | 3): StepIndicator {
  return {
    phase: "numbered",
    items: NUMBERED.map(([key, number]) => ({ key, number, state: stateOf(number, current) })),
  };
}

function stateOf(position: number, current: number): IndicatorState {
  if (position < current) return "done";
  return position === current ? "current" : "upcoming";
}

/** The warning before a last attempt shows when the backend says exactly one attempt is left
 * (its data: the number is never the screens' own). How many attempts a code or the secret code
 * gets is the sandbox's choice (crates/journey rules.rs `MAX_CODE_ATTEMPTS`,
 * `MAX_SECRET_CODE_FAILURES`): the guides give no number, and the warning says so. */
export function isLastAttempt(attemptsLeft: number | null): boolean {
  return attemptsLeft === 1;
}

/** Inline checks of the identity form, shown under each field when it loses focus. */
export type FieldProblem = "required" | "date_format" | "number_ending" | "insee_code" | null;

/** "17/05/1990" → "1990-05-17"; null when it is not a real calendar date. */
export function frenchDateToIso(value: string): string | null {
  const match = /^(\d{2})\/(\d{2})\/(\d{4})$/.exec(value.trim());
  if (match === null) return null;
  const iso = `${match[3]}-${match[2]}-${match[1]}`;
  const date = new Date(`${iso}T00:00:00Z`);
  return Number.isNaN(date.getTime()) || date.toISOString().slice(0, 10) !== iso ? null : iso;
}

/** Typing help for dates: digits only, slashes added as the person types. */
export function dateMask(input: string): string {
  const digits = input.replace(/\D/g, "").slice(0, 8);
  return [digits.slice(0, 2), digits.slice(2, 4), digits.slice(4)].filter((part) => part !== "").join("/");
}

export function dateProblem(value: string): FieldProblem {
  if (value.trim() === "") return "required";
  return frenchDateToIso(value) === null ? "date_format" : null;
}

export function requiredProblem(value: string): FieldProblem {
  return value.trim() === "" ? "required" : null;
}

export function numberEndingProblem(value: string): FieldProblem {
  if (value.trim() === "") return "required";
  return /^[0-9A-Za-z]{4}$/.test(value.trim()) ? null : "number_ending";
}

export function inseeProblem(value: string): FieldProblem {
  if (value.trim() === "") return null;
  return /^(\d{5}|2[AB]\d{3})$/i.test(value.trim()) ? null : "insee_code";
}

/** "Marie Anne, Louise" → ["Marie", "Anne", "Louise"]: given names are separated by commas. */
export function splitGivenNames(input: string): string[] {
  return input
    .split(",")
    .map((name) => name.trim())
    .filter((name) => name !== "");
}

/** Number of unread messages for the badge: those newer than the last one the person opened. */
export function unreadCount(messageIds: readonly number[], lastSeenId: number): number {
  return messageIds.filter((id) => id > lastSeenId).length;
}
