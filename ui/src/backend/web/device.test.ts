// The browser device against a world played in memory (its fetch answered here): the keyring
// holds what the Rust device's vault holds and never the code, the world opens what the device
// sealed, and the world's keys are pinned and checked as crates/device does (tests/e2e's
// key_pinning.rs tells the same rules of the Rust device).
import { DhkemX25519HkdfSha256 } from "@hpke/dhkem-x25519";
import { IDBFactory } from "fake-indexeddb";
import { beforeEach, describe, expect, it } from "vitest";
import rust from "../../../../crates/api/tests/fixtures/browser-device/rust.json";
import type { LearnerView, LoginRequestView, SessionView } from "../types";
import type { ActivationRequest, ApprovalAnswer, WorldKeys } from "./api";
import { WorldClient } from "./client";
import { WebDevice } from "./device";
import { credentialName, IndexedDbKeyring, type Keyring, signingKeyName } from "./keyring";
import { joinTarget, WebBackend } from "./index";
import {
  activationContext,
  activationMessage,
  approvalContext,
  approvalMessage,
  endorsementMessage,
  fromHex,
  HPKE_SUITE,
  hpkeKeyId,
  openSecretCode,
  toHex,
  verifySignature,
} from "./protocol";

const BASE = "https://salle-12.local:8787";
const LEARNER = "apprenant-1";

async function ed25519FromSeed(seedHex: string): Promise<CryptoKey> {
  const pkcs8 = new Uint8Array([
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
    ...fromHex(seedHex),
  ]);
  return crypto.subtle.importKey("pkcs8", pkcs8, { name: "Ed25519" }, false, ["sign"]);
}

/** A world's keys: `hpke` endorsed by the identity whose seed is given. */
async function endorsedKeys(identitySeed: string, identityPublic: string, hpkePublic: string): Promise<WorldKeys> {
  const identity = await ed25519FromSeed(identitySeed);
  const hpke = fromHex(hpkePublic);
  const endorsement = await crypto.subtle.sign({ name: "Ed25519" }, identity, await endorsementMessage(hpke));
  return {
    hpke_suite: HPKE_SUITE,
    hpke_public_key: hpkePublic,
    key_id: toHex(await hpkeKeyId(hpke)),
    identity_public_key: identityPublic,
    endorsement: toHex(endorsement),
  };
}

async function newHpkeKey(): Promise<{ privateKey: Uint8Array<ArrayBuffer>; publicKey: string }> {
  const kem = new DhkemX25519HkdfSha256();
  const pair = await kem.generateKeyPair();
  return {
    privateKey: new Uint8Array(await kem.serializePrivateKey(pair.privateKey)),
    publicKey: toHex(await kem.serializePublicKey(pair.publicKey)),
  };
}

/** Another identity key pair (a relay's): seed and public key, hex. */
async function newIdentity(): Promise<{ seed: string; publicKey: string }> {
  const pair = (await crypto.subtle.generateKey({ name: "Ed25519" }, true, ["sign", "verify"])) as CryptoKeyPair;
  const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
  const decode = (text: string) => Uint8Array.from(atob(text.replace(/-/g, "+").replace(/_/g, "/") + "="), (c) => c.charCodeAt(0));
  return { seed: toHex(decode(jwk.d ?? "")), publicKey: toHex(decode(jwk.x ?? "")) };
}

function learnerView(overrides: Partial<LearnerView> = {}): LearnerView {
  return { id: LEARNER, step: "activation", device_id: null, ...overrides } as LearnerView;
}

const REQUEST: LoginRequestView = {
  request_id: "demande-1",
  relying_party: "Mon Compte Formation",
  challenge: "ab".repeat(32),
  created_at: "2026-12-03T09:00:00Z",
  deadline: "2026-12-03T09:01:00.250000Z",
  seconds_left: 60,
  status: "pending",
};

/** The world as the device sees it over HTTP: what it answers and what it received. */
class FakeWorld {
  keys!: WorldKeys;
  hpkePrivate = fromHex(rust.world.hpke_private_key);
  activations: ActivationRequest[] = [];
  approvals: ApprovalAnswer[] = [];
  revoked: string[] = [];
  learner: LearnerView = learnerView();
  refuseActivation = false;
  refuseCredential: string | null = null;
  calls: string[] = [];
  media: { kind: string | null; contentType: string | null; checksum: string | null; bytes: Uint8Array }[] = [];

  async init(): Promise<this> {
    this.keys = rust.world.keys;
    return this;
  }

  client(): WorldClient {
    return new WorldClient(BASE, null, (input, init) => this.fetch(input, init));
  }

  async fetch(input: string, init: RequestInit = {}): Promise<Response> {
    const url = new URL(input);
    const method = init.method ?? "GET";
    const route = `${method} ${url.pathname}`;
    this.calls.push(route);
    const json = (status: number, body: unknown) =>
      new Response(body === null ? null : JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json" },
      });
    const credential = new Headers(init.headers).get("authorization");
    if (this.refuseCredential !== null && credential !== null) {
      return json(401, { code: this.refuseCredential, message: "Votre Identité Numérique a été activée sur un autre téléphone." });
    }
    switch (route) {
      case "GET /api/keys":
        return json(200, this.keys);
      case `POST /api/learners/${LEARNER}/activation`: {
        const body = JSON.parse(String(init.body)) as ActivationRequest;
        this.activations.push(body);
        if (this.refuseActivation) return json(422, { code: "activation_code_wrong", message: "Code d'activation erroné." });
        this.learner = learnerView({ step: "enrolled", device_id: body.device_id });
        return json(200, { ...this.learner, credential: { token: "idn_ld_appareil", kind: "device", expires_at: "2027-12-03T09:00:00Z" } });
      }
      case `GET /api/login-requests/${REQUEST.request_id}`:
        return json(200, REQUEST);
      case `POST /api/learners/${LEARNER}/login-requests/${REQUEST.request_id}/approve`:
        this.approvals.push(JSON.parse(String(init.body)) as ApprovalAnswer);
        return json(200, { ...REQUEST, status: "approved" });
      case `GET /api/learners/${LEARNER}`:
        return json(200, this.learner);
      case `GET /api/learners/${LEARNER}/inbox`:
        return json(200, []);
      case `GET /api/learners/${LEARNER}/login-requests`:
        return json(200, [REQUEST]);
      case `POST /api/learners/${LEARNER}/media`: {
        const headers = new Headers(init.headers);
        const bytes = new Uint8Array(init.body as ArrayBuffer);
        this.media.push({
          kind: url.searchParams.get("kind"),
          contentType: headers.get("content-type"),
          checksum: headers.get("x-content-sha256"),
          bytes,
        });
        return json(200, { media_id: `media-${this.media.length}`, content_type: headers.get("content-type"), sha256: "", size: bytes.length });
      }
      case "DELETE /api/credentials/current":
        this.revoked.push(credential ?? "");
        return json(204, null);
      default:
        return json(404, { code: "not_found", message: "Introuvable : adresse." });
    }
  }
}

/** Every value the keyring holds, as text, to look for what must never be there. */
async function everythingIn(factory: IDBFactory): Promise<string> {
  const database = await new Promise<IDBDatabase>((resolve, reject) => {
    const opening = factory.open("test", 1);
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  const store = database.transaction("trousseau").objectStore("trousseau");
  const values = await new Promise<unknown[]>((resolve) => {
    const all = store.getAll();
    all.onsuccess = () => resolve(all.result);
  });
  database.close();
  return JSON.stringify(values);
}

let factory: IDBFactory;
let keyring: Keyring;
let world: FakeWorld;

beforeEach(async () => {
  factory = new IDBFactory();
  keyring = new IndexedDbKeyring("test", factory);
  world = await new FakeWorld().init();
});

/** A device following the learner's account (its credential kept), as after the account's creation. */
async function deviceWithAccount(expectedIdentity: string | null = null): Promise<WebDevice> {
  const device = await WebDevice.open(world.client(), keyring, expectedIdentity);
  await device.adoptAccount({
    ...learnerView(),
    credential: { token: "idn_la_compte", kind: "account", expires_at: "2027-01-02T00:00:00Z" },
  });
  return device;
}

describe("activation in the browser", () => {
  it("seals the code to the world, proves the new key and keeps it non-extractable beside the credential, never the code", async () => {
    const device = await deviceWithAccount();
    await device.activate(LEARNER, "123456", " 2580 ");
    const [sent] = world.activations;
    if (sent === undefined) throw new Error("no activation reached the world");
    const context = activationContext(LEARNER, sent.device_id, sent.device_public_key);
    expect(await openSecretCode(world.hpkePrivate, sent.sealed_secret_code, context)).toBe("2580");
    const signed = await activationMessage(LEARNER, sent.device_id, sent.device_public_key, sent.sealed_secret_code);
    expect(await verifySignature(sent.device_public_key, signed, sent.signature)).toBe(true);

    const key = await keyring.get(signingKeyName(device.profile.device_id));
    expect(key).toBeInstanceOf(CryptoKey);
    expect((key as CryptoKey).extractable).toBe(false);
    expect(await keyring.get(`${signingKeyName(device.profile.device_id)}/pending`)).toBeUndefined();
    expect(await keyring.get(credentialName(device.profile.device_id))).toBe("idn_ld_appareil");
    expect(device.profile).toMatchObject({ learner_id: LEARNER, account_id: LEARNER });
    expect(device.worldPins).toEqual([
      { base_url: BASE, identity_public_key: rust.world.keys.identity_public_key, hpke_public_key: rust.world.keys.hpke_public_key },
    ]);
    expect(await everythingIn(factory)).not.toContain("2580");
  });

  it("refuses a code that is not 4 different digits before anything is sealed", async () => {
    const device = await deviceWithAccount();
    await expect(device.activate(LEARNER, "123456", "1123")).rejects.toMatchObject({ code: "invalid_secret_code" });
    expect(world.calls).not.toContain("GET /api/keys");
  });

  it("forgets the new key when the world refuses the activation", async () => {
    const device = await deviceWithAccount();
    world.refuseActivation = true;
    await expect(device.activate(LEARNER, "000000", "2580")).rejects.toMatchObject({ code: "activation_code_wrong", status: 422 });
    expect(await keyring.get(signingKeyName(device.profile.device_id))).toBeUndefined();
    expect(await keyring.get(`${signingKeyName(device.profile.device_id)}/pending`)).toBeUndefined();
    expect(device.profile.learner_id).toBeNull();
  });
});

describe("approvals and the world's keys", () => {
  async function enrolled(): Promise<WebDevice> {
    const device = await deviceWithAccount();
    await device.activate(LEARNER, "123456", "2580");
    return device;
  }

  it("signs every term of the request and seals the code for that request only", async () => {
    const device = await enrolled();
    const outcome = await device.approve(REQUEST.request_id, "2580");
    expect(outcome.status).toBe("approved");
    const [answer] = world.approvals;
    if (answer === undefined) throw new Error("no approval reached the world");
    const context = approvalContext(LEARNER, REQUEST.request_id, REQUEST.challenge);
    expect(await openSecretCode(world.hpkePrivate, answer.sealed_secret_code, context)).toBe("2580");
    const terms = {
      learnerId: LEARNER,
      requestId: REQUEST.request_id,
      relyingParty: REQUEST.relying_party,
      challenge: REQUEST.challenge,
      deadline: REQUEST.deadline,
      deviceId: device.profile.device_id,
    };
    const publicKey = world.activations[0]?.device_public_key ?? "";
    expect(await verifySignature(publicKey, await approvalMessage(terms, answer.sealed_secret_code), answer.signature)).toBe(true);
  });

  it("refuses a relay's identity met after the pin, and seals nothing", async () => {
    await enrolled();
    const relay = await newIdentity();
    const relayHpke = await newHpkeKey();
    world.keys = await endorsedKeys(relay.seed, relay.publicKey, relayHpke.publicKey);
    // Reopened from the keyring, as after a reload: the pin holds.
    const reopened = await WebDevice.open(world.client(), keyring);
    await expect(reopened.approve(REQUEST.request_id, "2580")).rejects.toMatchObject({ code: "world_key_untrusted" });
    expect(world.approvals).toHaveLength(0);
  });

  it("refuses the world's identity over a relay's HPKE key (the endorsement does not verify)", async () => {
    await enrolled();
    const relayHpke = await newHpkeKey();
    world.keys = { ...rust.world.keys, hpke_public_key: relayHpke.publicKey, key_id: toHex(await hpkeKeyId(fromHex(relayHpke.publicKey))) };
    const reopened = await WebDevice.open(world.client(), keyring);
    await expect(reopened.approve(REQUEST.request_id, "2580")).rejects.toMatchObject({ code: "world_key_untrusted" });
    expect(world.approvals).toHaveLength(0);
  });

  it("takes a new HPKE key endorsed by the pinned identity", async () => {
    await enrolled();
    const rotated = await newHpkeKey();
    world.keys = await endorsedKeys(rust.world.identity_seed, rust.world.keys.identity_public_key, rotated.publicKey);
    world.hpkePrivate = rotated.privateKey;
    const reopened = await WebDevice.open(world.client(), keyring);
    await reopened.approve(REQUEST.request_id, "2580");
    const [answer] = world.approvals;
    const context = approvalContext(LEARNER, REQUEST.request_id, REQUEST.challenge);
    expect(await openSecretCode(rotated.privateKey, answer?.sealed_secret_code ?? { encapsulated_key: "", ciphertext: "" }, context)).toBe("2580");
    expect(reopened.worldPins[0]?.hpke_public_key).toBe(rotated.publicKey);
  });

  it("pins the identity the QR code names, and refuses another before pinning anything", async () => {
    const named = toHex(await crypto.subtle.digest("SHA-256", fromHex(rust.world.keys.identity_public_key)));
    const other = toHex(await crypto.subtle.digest("SHA-256", fromHex("00".repeat(32))));
    const wrong = await deviceWithAccount(other);
    await expect(wrong.checkWorldIdentity()).rejects.toMatchObject({ code: "world_key_untrusted" });
    await expect(wrong.activate(LEARNER, "123456", "2580")).rejects.toMatchObject({
      code: "world_key_untrusted",
      message: expect.stringContaining("QR code"),
    });
    expect(world.activations).toHaveLength(0);
    expect(wrong.worldPins).toHaveLength(0);
    const right = await WebDevice.open(world.client(), keyring, named);
    await right.activate(LEARNER, "123456", "2580");
    expect(world.activations).toHaveLength(1);
  });
});

describe("removing the identity", () => {
  it("ends the credential at the world and leaves nothing of the account in the keyring", async () => {
    const device = await deviceWithAccount();
    await device.activate(LEARNER, "123456", "2580");
    await device.removeIdentity();
    expect(world.revoked).toEqual(["Bearer idn_ld_appareil"]);
    expect(await keyring.get(signingKeyName(device.profile.device_id))).toBeUndefined();
    expect(await keyring.get(credentialName(device.profile.device_id))).toBeUndefined();
    expect(device.profile).toMatchObject({ learner_id: null, account_id: null });
    expect(device.client.credential).toBeNull();
  });
});

describe("the session the screens show", () => {
  function backend(): WebBackend {
    return new WebBackend({ baseUrl: BASE, keyring, fetch: (input, init) => world.fetch(input, init) });
  }

  it("shows the login requests of the phone the world names as enrolled", async () => {
    const device = await deviceWithAccount();
    await device.activate(LEARNER, "123456", "2580");
    const view: SessionView = await backend().session();
    expect(view.activated_here).toBe(true);
    expect(view.pending_requests).toEqual([REQUEST]);
    expect(view.world).toEqual({ base_url: BASE, origin: "external" });
    expect(view.sign_in_needed).toBeNull();
  });

  it("asks to sign in again, with the world's reason, when the world refuses this phone's credential", async () => {
    const device = await deviceWithAccount();
    await device.activate(LEARNER, "123456", "2580");
    world.refuseCredential = "credential_revoked";
    const view = await backend().session();
    expect(view.learner).toBeNull();
    expect(view.sign_in_needed).toEqual({
      code: "credential_revoked",
      reason: "Votre Identité Numérique a été activée sur un autre téléphone.",
    });
  });

  it("knows without the world whether an enrolment was begun here", async () => {
    expect(await backend().enrolmentBegun()).toBe(false);
    await deviceWithAccount();
    expect(await backend().enrolmentBegun()).toBe(true);
  });
});

describe("files from the phone's gallery", () => {
  function backend(): WebBackend {
    return new WebBackend({ baseUrl: BASE, keyring, fetch: (input, init) => world.fetch(input, init) });
  }

  it("sends a JPEG photo as it is, with the checksum the world checks", async () => {
    await deviceWithAccount();
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);
    const uploaded = await backend().importPhoto("cni", "back", jpeg.buffer);
    expect(uploaded).toEqual({ side: "back", media_id: "media-1", hint: null });
    const [sent] = world.media;
    expect(sent?.kind).toBe("photo");
    expect(sent?.contentType).toBe("image/jpeg");
    expect(sent?.bytes).toEqual(jpeg);
    expect(sent?.checksum).toBe(toHex(await crypto.subtle.digest("SHA-256", jpeg)));
  });

  it("refuses a side the document does not have, before sending anything", async () => {
    await deviceWithAccount();
    const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9]);
    await expect(backend().importPhoto("passeport", "back", jpeg.buffer)).rejects.toMatchObject({ code: "side_not_on_document" });
    expect(world.media).toHaveLength(0);
  });

  it("sends a video with the type the browser recorded or read", async () => {
    await deviceWithAccount();
    const video = new Uint8Array([0x1a, 0x45, 0xdf, 0xa3]);
    expect(await backend().importVideo(video.buffer, "video/webm")).toEqual({ media_id: "media-1", size: 4 });
    expect(world.media[0]).toMatchObject({ kind: "video", contentType: "video/webm" });
  });
});

describe("joining another class from the browser", () => {
  it("goes to that world's phone page, keeping the join code's fragment", () => {
    expect(joinTarget("https://salle-12.local:8787/#ca=AB&id=CD")?.href).toBe("https://salle-12.local:8787/application/#ca=AB&id=CD");
    expect(joinTarget(" https://192.168.1.20:8787 ")?.href).toBe("https://192.168.1.20:8787/application/");
    expect(joinTarget("salle 12")).toBeNull();
    expect(joinTarget("ftp://salle-12.local/")).toBeNull();
  });

  it("stays when the address is this world's, and says the embedded world is the app's", async () => {
    const visited: string[] = [];
    const backend = new WebBackend({ baseUrl: BASE, keyring, fetch: (input, init) => world.fetch(input, init), navigate: (url) => visited.push(url) });
    const view = await backend.useWorld(`${BASE}/#id=x`);
    expect(view.world.base_url).toBe(BASE);
    expect(visited).toEqual([]);
    await expect(backend.useWorld(null)).rejects.toMatchObject({ code: "embedded_world_not_in_browser" });
    void backend.useWorld("https://salle-13.local:8787/#id=y");
    expect(visited).toEqual(["https://salle-13.local:8787/application/#id=y"]);
  });
});
