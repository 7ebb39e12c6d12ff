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

/** Which part of the step indicator a step belongs to (01 mobile, 02 identity, 03 verification). */
export function stepGroup(step: Step): 1 | 2 | 3 | null {
  switch (step) {
    case "not_started":
    case "email_code":
    case "password":
    case "mobile":
    case "mobile_code":
    case "profile":
      return 1;
    case "identity_data":
    case "identity_confirmation":
      return 2;
    case "verification_choice":
    case "face_to_face":
    case "postal_letter":
    case "registered_letter":
    case "visual_identification":
    case "review":
    case "identification_refused":
    case "activation":
      return 3;
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
