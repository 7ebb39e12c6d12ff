// The world's API bodies the browser device exchanges and the app's IPC does not carry (those are
// in ../wire.ts, generated from Rust). Same names and fields as crates/api's wire.rs; the request
// bodies the device builds are checked against the Rust types by the interoperability test
// (crates/api/tests/browser_device.rs deserialises the TypeScript vectors into them), the rest by
// the phone test against a running world (tests/browser/phone.mjs).
import type { AccountLoginChallenge, LearnerView } from "../types";

/** `GET /api/keys`. */
export interface WorldKeys {
  hpke_suite: string;
  hpke_public_key: string;
  key_id: string;
  identity_public_key: string;
  endorsement: string;
}

export interface SealedSecretCode {
  encapsulated_key: string;
  ciphertext: string;
}

/** `POST /api/learners/{id}/activation`. */
export interface ActivationRequest {
  activation_code: string;
  device_id: string;
  device_public_key: string;
  sealed_secret_code: SealedSecretCode;
  signature: string;
}

/** `POST …/login-requests/{request_id}/approve`. */
export interface ApprovalAnswer {
  device_id: string;
  sealed_secret_code: SealedSecretCode;
  signature: string;
}

/** `POST …/login-requests/{request_id}/decline`. */
export interface DeclineAnswer {
  device_id: string;
  signature: string;
}

export interface IssuedCredential {
  token: string;
  kind: string;
  expires_at: string;
}

/** A learner's view with the credential that now acts for them (`LearnerView` flattened). */
export type LearnerAccess = LearnerView & { credential: IssuedCredential };

/** The password was right: the challenge (flattened) and the sign-in ticket. */
export type AccountLoginStarted = AccountLoginChallenge & { ticket: IssuedCredential };

export interface MediaView {
  media_id: string;
  content_type: string;
  sha256: string;
  size: number;
  /** For a video: the world's machine checks on the file. */
  video_checks?: VideoChecksView | null;
}

/** One thing to change in a photo or a video: a stable code and the French sentence. */
export interface CaptureHint {
  code: string;
  message: string;
}

/** The world's machine checks on an uploaded video (the app's, on its own recording). */
export interface VideoChecksView {
  duration_ms: number;
  passed: boolean;
  hints: CaptureHint[];
}

/** `POST /api/learners/{id}/guidance`: the app's guidance on one preview frame. */
export interface GuidanceView {
  hint: CaptureHint | null;
  /** Consecutive good frames; sent back with the next frame. */
  steady: number;
  /** Auto-capture: take the photo now. */
  capture: boolean;
}

/** Every refusal of the world: a stable code and a French message; the attempts left after a
 * wrong code (`code_wrong`) or secret code (`wrong_secret_code`). */
export interface ApiError {
  code: string;
  message: string;
  attempts_left?: number;
}
