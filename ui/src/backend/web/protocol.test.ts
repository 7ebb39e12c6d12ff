// The browser device and the Rust protocol produce and accept the same bytes. `rust.json` is
// made by crates/api/tests/browser_device.rs and checked here; `typescript.json` is made here
// (a file snapshot: `npm --prefix ui test -- -u` rewrites it) and checked by that Rust test with
// the world's own functions. Both are fixed: every key and ephemeral seed is given.
import { describe, expect, it } from "vitest";
import rust from "../../../../crates/api/tests/fixtures/browser-device/rust.json";
import type { ActivationRequest, ApprovalAnswer, DeclineAnswer, WorldKeys } from "./api";
import {
  activationContext,
  activationMessage,
  approvalContext,
  approvalMessage,
  buildActivation,
  buildApproval,
  buildDecline,
  declineMessage,
  fromHex,
  HPKE_SUITE,
  openSecretCode,
  publicKeyHex,
  type RequestTerms,
  sealSecretCode,
  timestampMicros,
  toHex,
  verifySignature,
  verifyWorldKeys,
} from "./protocol";

/** An Ed25519 private key from its 32-byte seed (PKCS#8), not extractable like the device's. */
async function deviceKeyFromSeed(seedHex: string): Promise<{ privateKey: CryptoKey; publicKey: string }> {
  const pkcs8 = new Uint8Array([
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ...fromHex(seedHex),
  ]);
  const privateKey = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
  // The public half, as WebCrypto derives it: through a JWK of an extractable copy (test only).
  const extractable = await crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", extractable);
  const x = jwk.x ?? "";
  const publicBytes = Uint8Array.from(atob(x.replace(/-/g, "+").replace(/_/g, "/") + "="), (c) => c.charCodeAt(0));
  const publicKey = await publicKeyHex(
    await crypto.subtle.importKey("raw", publicBytes, { name: "Ed25519" }, true, ["verify"]),
  );
  return { privateKey, publicKey };
}

function termsOf(json: typeof rust.approval.terms): RequestTerms {
  return {
    learnerId: json.learner_id,
    requestId: json.request_id,
    relyingParty: json.relying_party,
    challenge: json.challenge,
    deadline: json.deadline,
    deviceId: json.device_id,
  };
}

const worldKeys: WorldKeys = rust.world.keys;
const worldPrivate = fromHex(rust.world.hpke_private_key);

describe("the Rust vectors, read by the browser device", () => {
  it("names the same HPKE suite and verifies the world's endorsed key", async () => {
    expect(rust.hpke_suite).toBe(HPKE_SUITE);
    const endorsed = await verifyWorldKeys(worldKeys);
    expect(endorsed.hpkePublicKey).toBe(worldKeys.hpke_public_key);
    expect(endorsed.identityPublicKey).toBe(worldKeys.identity_public_key);
  });

  it("refuses the world's keys when any part of them is altered", async () => {
    const flip = (hex: string, at: number) => {
      const bytes = fromHex(hex);
      bytes[at] = (bytes[at] ?? 0) ^ 1;
      return toHex(bytes);
    };
    const altered: WorldKeys[] = [
      { ...worldKeys, hpke_public_key: flip(worldKeys.hpke_public_key, 5) },
      { ...worldKeys, key_id: flip(worldKeys.key_id, 0) },
      { ...worldKeys, identity_public_key: flip(worldKeys.identity_public_key, 31) },
      { ...worldKeys, endorsement: flip(worldKeys.endorsement, 63) },
      { ...worldKeys, hpke_suite: "DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-128-GCM" },
    ];
    for (const keys of altered) await expect(verifyWorldKeys(keys)).rejects.toThrow();
  });

  it("builds the same messages, seals the same bytes and signs the same signatures", async () => {
    const device = await deviceKeyFromSeed(rust.device.seed);
    expect(device.publicKey).toBe(rust.device.public_key);
    const activation = rust.activation;
    const context = activationContext(activation.learner_id, activation.request.device_id, device.publicKey);
    expect(toHex(context)).toBe(activation.context);
    const request = await buildActivation({
      learnerId: activation.learner_id,
      deviceId: activation.request.device_id,
      activationCode: activation.request.activation_code,
      secretCode: activation.secret_code,
      worldKey: worldKeys.hpke_public_key,
      devicePrivateKey: device.privateKey,
      devicePublicKey: device.publicKey,
      ephemeralSeed: fromHex(activation.ephemeral_seed),
    });
    expect(request).toEqual(activation.request);
    expect(
      toHex(await activationMessage(activation.learner_id, request.device_id, device.publicKey, request.sealed_secret_code)),
    ).toBe(activation.signed);

    const approval = rust.approval;
    const terms = termsOf(approval.terms);
    expect(timestampMicros(terms.deadline)).toBe(approval.deadline_micros);
    expect(toHex(approvalContext(terms.learnerId, terms.requestId, terms.challenge))).toBe(approval.context);
    const answer = await buildApproval(
      terms,
      approval.secret_code,
      worldKeys.hpke_public_key,
      device.privateKey,
      fromHex(approval.ephemeral_seed),
    );
    expect(answer).toEqual(approval.answer);
    expect(toHex(await approvalMessage(terms, answer.sealed_secret_code))).toBe(approval.signed);

    const decline = await buildDecline(termsOf(rust.decline.terms), device.privateKey);
    expect(decline).toEqual(rust.decline.answer);
    expect(toHex(declineMessage(termsOf(rust.decline.terms)))).toBe(rust.decline.signed);
  });

  it("opens what Rust sealed only in its own context, and verifies Rust's signatures", async () => {
    const activation = rust.activation;
    const context = fromHex(activation.context);
    expect(await openSecretCode(worldPrivate, activation.request.sealed_secret_code, context)).toBe("2580");
    const approvalSealed = rust.approval.answer.sealed_secret_code;
    expect(await openSecretCode(worldPrivate, approvalSealed, fromHex(rust.approval.context))).toBe("2580");
    await expect(openSecretCode(worldPrivate, approvalSealed, context)).rejects.toThrow();
    expect(await verifySignature(rust.device.public_key, fromHex(activation.signed), activation.request.signature)).toBe(
      true,
    );
    expect(await verifySignature(rust.device.public_key, fromHex(rust.decline.signed), rust.approval.answer.signature)).toBe(
      false,
    );
  });

  it("counts a deadline's microseconds as chrono does, whatever its precision", () => {
    expect(timestampMicros("2026-12-03T09:00:59Z")).toBe("1796288459000000");
    expect(timestampMicros("2026-12-03T09:00:59.5Z")).toBe("1796288459500000");
    expect(timestampMicros("2026-12-03T09:00:59.123456789Z")).toBe("1796288459123456");
    expect(timestampMicros("2026-12-03T10:00:59.000001+01:00")).toBe("1796288459000001");
    expect(() => timestampMicros("3 décembre 2026")).toThrow();
  });
});

describe("the browser device's vectors, for the Rust protocol", () => {
  it("are what the browser device makes now", async () => {
    const device = await deviceKeyFromSeed("66".repeat(32));
    const learnerId = "apprenant-vecteur-navigateur-é";
    const deviceId = "0b6a8f0e-3c1d-4e2a-9b7f-5d4c3b2a1f0e";
    const activation: ActivationRequest = await buildActivation({
      learnerId,
      deviceId,
      activationCode: "907315",
      secretCode: "7193",
      worldKey: worldKeys.hpke_public_key,
      devicePrivateKey: device.privateKey,
      devicePublicKey: device.publicKey,
      ephemeralSeed: fromHex("77".repeat(32)),
    });
    const terms: RequestTerms = {
      learnerId,
      requestId: "demande-vecteur-navigateur",
      relyingParty: "Mon Compte Élu",
      challenge: "c4f2".repeat(16),
      deadline: "2027-01-15T18:30:00.987Z",
      deviceId,
    };
    const approval: ApprovalAnswer = await buildApproval(
      terms,
      "7193",
      worldKeys.hpke_public_key,
      device.privateKey,
      fromHex("88".repeat(32)),
    );
    const decline: DeclineAnswer = await buildDecline(terms, device.privateKey);
    // Without a seed the ephemeral key is fresh each time: never twice the same bytes.
    const context = activationContext(learnerId, deviceId, device.publicKey);
    const once = await sealSecretCode(worldKeys.hpke_public_key, "7193", context);
    const twice = await sealSecretCode(worldKeys.hpke_public_key, "7193", context);
    expect(once.encapsulated_key).not.toBe(twice.encapsulated_key);
    expect(await openSecretCode(worldPrivate, once, context)).toBe("7193");

    const termsJson = {
      learner_id: terms.learnerId,
      request_id: terms.requestId,
      relying_party: terms.relyingParty,
      challenge: terms.challenge,
      deadline: terms.deadline,
      device_id: terms.deviceId,
    };
    const vectors = {
      about:
        "Made by ui/src/backend/web/protocol.test.ts (npm --prefix ui test -- -u rewrites it); checked by crates/api/tests/browser_device.rs.",
      world_hpke_public_key: worldKeys.hpke_public_key,
      device: { seed: "66".repeat(32), public_key: device.publicKey },
      activation: {
        learner_id: learnerId,
        secret_code: "7193",
        ephemeral_seed: "77".repeat(32),
        request: activation,
      },
      approval: {
        terms: termsJson,
        deadline_micros: timestampMicros(terms.deadline),
        secret_code: "7193",
        ephemeral_seed: "88".repeat(32),
        answer: approval,
      },
      decline: { terms: termsJson, answer: decline },
    };
    await expect(`${JSON.stringify(vectors, null, 2)}\n`).toMatchFileSnapshot(
      "../../../../crates/api/tests/fixtures/browser-device/typescript.json",
    );
  });
});
