// The approval protocol as the browser device speaks it: the same bytes as crates/api's
// protocol.rs (HPKE RFC 9180 base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
// ChaCha20-Poly1305; Ed25519 signatures over newline-joined terms). The fixed vectors in
// tests/fixtures/device-protocol/ are checked here and by crates/api/tests/browser_device.rs, so
// the two devices cannot drift. No cryptography is written here: HPKE is @hpke/core with its
// X25519 and ChaCha20-Poly1305 packages, Ed25519 and SHA-256 are the browser's WebCrypto.
import { Chacha20Poly1305 } from "@hpke/chacha20poly1305";
import { CipherSuite, HkdfSha256 } from "@hpke/core";
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import type { ActivationRequest, ApprovalAnswer, DeclineAnswer, SealedSecretCode, WorldKeys } from "./api";

/** Must equal `protocol::HPKE_SUITE`: a world announcing another suite is refused. */
export const HPKE_SUITE = "DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20Poly1305";
const HPKE_INFO = "idn-sandbox/v1/secret-code";
const ENDORSEMENT_LABEL = "idn-world-hpke-key-v1";

const encoder = new TextEncoder();

/** Raised when the world's keys do not verify, whatever was wrong with them (as `ProtocolError`). */
export class ProtocolError extends Error {
  constructor(why: string) {
    super(why);
    this.name = "ProtocolError";
  }
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let text = "";
  for (const byte of view) text += byte.toString(16).padStart(2, "0");
  return text;
}

/** Lowercase or uppercase hexadecimal, as Rust's `hex::decode` accepts it. */
export function fromHex(text: string): Uint8Array<ArrayBuffer> {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) throw new ProtocolError("not hexadecimal");
  const bytes = new Uint8Array(text.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const all = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return all;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

function message(parts: string[]): Uint8Array<ArrayBuffer> {
  return encoder.encode(parts.join("\n"));
}

const suite = new CipherSuite({
  kem: new DhkemX25519HkdfSha256(),
  kdf: new HkdfSha256(),
  aead: new Chacha20Poly1305(),
});

/** The first 16 bytes of SHA-256 of the HPKE public key: what names one HPKE key. */
export async function hpkeKeyId(hpkePublicKey: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return (await sha256(hpkePublicKey)).slice(0, 16);
}

/** What the world's identity key signs to endorse its HPKE key (label ‖ key id ‖ key). */
export async function endorsementMessage(hpkePublicKey: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return concat(encoder.encode(ENDORSEMENT_LABEL), await hpkeKeyId(hpkePublicKey), hpkePublicKey);
}

/** A world's keys whose endorsement holds (`EndorsedWorldKeys`), lowercase hex. */
export interface EndorsedWorldKeys {
  identityPublicKey: string;
  hpkePublicKey: string;
}

/** Checks a `GET /api/keys` answer as `protocol::verify_world_keys` does: our suite, `key_id`
 * naming the HPKE key, and the identity key's Ed25519 signature over it. */
export async function verifyWorldKeys(keys: WorldKeys): Promise<EndorsedWorldKeys> {
  if (keys.hpke_suite !== HPKE_SUITE) throw new ProtocolError("another HPKE suite");
  const hpke = fromHex(keys.hpke_public_key);
  if (hpke.length !== 32) throw new ProtocolError("HPKE key length");
  const keyId = fromHex(keys.key_id);
  if (toHex(keyId) !== toHex(await hpkeKeyId(hpke))) throw new ProtocolError("key id");
  const identity = fromHex(keys.identity_public_key);
  const signature = fromHex(keys.endorsement);
  if (identity.length !== 32 || signature.length !== 64) throw new ProtocolError("identity or signature length");
  let verified: boolean;
  try {
    const key = await crypto.subtle.importKey("raw", identity, { name: "Ed25519" }, false, ["verify"]);
    verified = await crypto.subtle.verify({ name: "Ed25519" }, key, signature, await endorsementMessage(hpke));
  } catch {
    throw new ProtocolError("identity key unreadable");
  }
  if (!verified) throw new ProtocolError("endorsement");
  return { identityPublicKey: toHex(identity), hpkePublicKey: toHex(hpke) };
}

/** Seals the secret code to the world's HPKE key (hex), bound to `context`. `ephemeralSeed` is
 * for the fixed test vectors only (the 32 bytes Rust's `hpke` draws from its generator); the
 * device never passes it, so each sealing takes a fresh ephemeral key. */
export async function sealSecretCode(
  worldPublicKeyHex: string,
  code: string,
  context: Uint8Array<ArrayBuffer>,
  ephemeralSeed?: Uint8Array<ArrayBuffer>,
): Promise<SealedSecretCode> {
  const recipientPublicKey = await suite.kem.deserializePublicKey(fromHex(worldPublicKeyHex));
  const params = { recipientPublicKey, info: encoder.encode(HPKE_INFO) };
  const sealed = await suite.seal(
    ephemeralSeed === undefined ? params : { ...params, ekm: ephemeralSeed },
    encoder.encode(code),
    context,
  );
  return { encapsulated_key: toHex(sealed.enc), ciphertext: toHex(sealed.ct) };
}

/** Opens a sealed code with the world's private key: what the world does, for the vectors. */
export async function openSecretCode(
  worldPrivateKey: Uint8Array<ArrayBuffer>,
  sealed: SealedSecretCode,
  context: Uint8Array<ArrayBuffer>,
): Promise<string> {
  const recipientKey = await suite.kem.deserializePrivateKey(worldPrivateKey);
  const plaintext = await suite.open(
    { recipientKey, enc: fromHex(sealed.encapsulated_key), info: encoder.encode(HPKE_INFO) },
    fromHex(sealed.ciphertext),
    context,
  );
  return new TextDecoder("utf-8", { fatal: true }).decode(plaintext);
}

/** Identifies one answer (`protocol::sealed_digest`): SHA-256 of enc hex ‖ NUL ‖ ciphertext hex. */
export async function sealedDigest(sealed: SealedSecretCode): Promise<string> {
  return toHex(
    await sha256(
      concat(encoder.encode(sealed.encapsulated_key), new Uint8Array([0]), encoder.encode(sealed.ciphertext)),
    ),
  );
}

export function activationContext(learnerId: string, deviceId: string, devicePublicKey: string): Uint8Array<ArrayBuffer> {
  return message(["idn-sandbox/v1/activation", learnerId, deviceId, devicePublicKey]);
}

export async function activationMessage(
  learnerId: string,
  deviceId: string,
  devicePublicKey: string,
  sealed: SealedSecretCode,
): Promise<Uint8Array<ArrayBuffer>> {
  return message([
    "idn-sandbox/v1/activation-signature",
    learnerId,
    deviceId,
    devicePublicKey,
    await sealedDigest(sealed),
  ]);
}

export function approvalContext(learnerId: string, requestId: string, challenge: string): Uint8Array<ArrayBuffer> {
  return message(["idn-sandbox/v1/approval", learnerId, requestId, challenge]);
}

/** Everything an answer to a login request decides on (`protocol::RequestTerms`). */
export interface RequestTerms {
  learnerId: string;
  requestId: string;
  relyingParty: string;
  challenge: string;
  /** The request's deadline as the world sent it (RFC 3339). */
  deadline: string;
  deviceId: string;
}

/**
 * Microseconds since the epoch of an RFC 3339 time, as chrono's `timestamp_micros` (digits
 * past the sixth decimal are dropped, towards the past). Exact for any precision: `Date` alone
 * keeps milliseconds only.
 */
export function timestampMicros(rfc3339: string): string {
  const parsed = /^(\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/.exec(rfc3339);
  if (parsed === null) throw new ProtocolError(`not an RFC 3339 time: ${rfc3339}`);
  const [, whole = "", fraction = "", zone = "Z"] = parsed;
  const seconds = Date.parse(`${whole.replace(/[t ]/, "T")}${zone.toUpperCase()}`);
  if (Number.isNaN(seconds)) throw new ProtocolError(`not an RFC 3339 time: ${rfc3339}`);
  const micros = BigInt(seconds) * 1000n + BigInt((fraction + "000000").slice(0, 6));
  return micros.toString();
}

function termParts(terms: RequestTerms, decision: "approve" | "decline"): string[] {
  return [
    terms.learnerId,
    terms.requestId,
    terms.relyingParty,
    terms.challenge,
    timestampMicros(terms.deadline),
    terms.deviceId,
    decision,
  ];
}

export async function approvalMessage(terms: RequestTerms, sealed: SealedSecretCode): Promise<Uint8Array<ArrayBuffer>> {
  return message(["idn-sandbox/v1/approval-signature", ...termParts(terms, "approve"), await sealedDigest(sealed)]);
}

export function declineMessage(terms: RequestTerms): Uint8Array<ArrayBuffer> {
  return message(["idn-sandbox/v1/decline-signature", ...termParts(terms, "decline")]);
}

/** The device key: Ed25519 in WebCrypto, its private half not extractable. */
export async function generateDeviceKey(): Promise<CryptoKeyPair> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, false, ["sign", "verify"]);
  if (!("privateKey" in pair)) throw new ProtocolError("Ed25519 gave no key pair");
  return pair;
}

/** The public half as the world takes it: 32 bytes, lowercase hex. */
export async function publicKeyHex(key: CryptoKey): Promise<string> {
  return toHex(await crypto.subtle.exportKey("raw", key));
}

export async function sign(privateKey: CryptoKey, signed: Uint8Array<ArrayBuffer>): Promise<string> {
  return toHex(await crypto.subtle.sign({ name: "Ed25519" }, privateKey, signed));
}

/** `protocol::verify_signature`: an Ed25519 signature (hex) by a public key (hex). */
export async function verifySignature(publicKey: string, signed: Uint8Array<ArrayBuffer>, signature: string): Promise<boolean> {
  try {
    const key = await crypto.subtle.importKey("raw", fromHex(publicKey), { name: "Ed25519" }, false, ["verify"]);
    return await crypto.subtle.verify({ name: "Ed25519" }, key, fromHex(signature), signed);
  } catch {
    return false;
  }
}

/** Raised when the secret code could not be sealed (`DeviceError::Sealing`). */
export class SealingError extends Error {
  constructor() {
    super("sealing the secret code failed");
    this.name = "SealingError";
  }
}

async function sealed(
  worldKey: string,
  code: string,
  context: Uint8Array<ArrayBuffer>,
  ephemeralSeed?: Uint8Array<ArrayBuffer>,
): Promise<SealedSecretCode> {
  try {
    return await sealSecretCode(worldKey, code, context, ephemeralSeed);
  } catch {
    throw new SealingError();
  }
}

/** What the device enrols at activation (crates/device `Device::activate`): the code sealed to
 * the world's key bound to (learner, device, public key), the whole signed by the new key. */
export async function buildActivation(input: {
  learnerId: string;
  deviceId: string;
  activationCode: string;
  secretCode: string;
  /** The world's HPKE key the device trusts (hex). */
  worldKey: string;
  devicePrivateKey: CryptoKey;
  devicePublicKey: string;
  ephemeralSeed?: Uint8Array<ArrayBuffer>;
}): Promise<ActivationRequest> {
  const context = activationContext(input.learnerId, input.deviceId, input.devicePublicKey);
  const sealedCode = await sealed(input.worldKey, input.secretCode, context, input.ephemeralSeed);
  const signed = await activationMessage(input.learnerId, input.deviceId, input.devicePublicKey, sealedCode);
  return {
    activation_code: input.activationCode,
    device_id: input.deviceId,
    device_public_key: input.devicePublicKey,
    sealed_secret_code: sealedCode,
    signature: await sign(input.devicePrivateKey, signed),
  };
}

/** « Valider » (crates/device `Device::approve_shown`): the code sealed for this very request,
 * and the device's signature over every term and that sealed code. */
export async function buildApproval(
  terms: RequestTerms,
  secretCode: string,
  worldKey: string,
  devicePrivateKey: CryptoKey,
  ephemeralSeed?: Uint8Array<ArrayBuffer>,
): Promise<ApprovalAnswer> {
  const context = approvalContext(terms.learnerId, terms.requestId, terms.challenge);
  const sealedCode = await sealed(worldKey, secretCode, context, ephemeralSeed);
  return {
    device_id: terms.deviceId,
    sealed_secret_code: sealedCode,
    signature: await sign(devicePrivateKey, await approvalMessage(terms, sealedCode)),
  };
}

/** « Ce n'est pas moi » (crates/device `Device::decline`). */
export async function buildDecline(terms: RequestTerms, devicePrivateKey: CryptoKey): Promise<DeclineAnswer> {
  return { device_id: terms.deviceId, signature: await sign(devicePrivateKey, declineMessage(terms)) };
}
