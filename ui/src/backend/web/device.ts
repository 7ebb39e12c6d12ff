// The browser device, as crates/device's `Device`: its identity (a profile of non-secret facts),
// its signing key (WebCrypto, non-extractable, in the browser's keyring), and the two things only
// it can do — activate the identity and answer login requests. It seals the secret code only to a
// world key it trusts: the world's identity key is pinned at the first contact (or is the one the
// welcome page's QR code names, `#id=`), and the HPKE key must be endorsed by it. The secret code
// is sealed and sent, never stored.
import { BackendError } from "../index";
import type { LearnerView, LoginRequestView } from "../types";
import type { LearnerAccess } from "./api";
import { WorldClient, WorldError } from "./client";
import { deviceError, deviceMessage } from "./fr";
import {
  credentialName,
  type DeviceProfile,
  type Keyring,
  KeyringUnavailable,
  pendingSigningKeyName,
  readProfile,
  signingKeyName,
  type WorldPin,
  writeProfile,
} from "./keyring";
import {
  buildActivation,
  buildApproval,
  buildDecline,
  fromHex,
  generateDeviceKey,
  type EndorsedWorldKeys,
  publicKeyHex,
  type RequestTerms,
  SealingError,
  toHex,
  verifyWorldKeys,
} from "./protocol";

/** How long a device seals to the key it last checked before asking the world's keys again
 * (crates/device's `WORLD_KEYS_RECHECK`). */
export const WORLD_KEYS_RECHECK_MS = 600_000;

/** The 4 different digits the journey asks (`SecretCode::parse`), checked before sealing. */
function parseSecretCode(raw: string): string {
  const code = raw.trim();
  const digits = [...code];
  const valid = digits.length === 4 && digits.every((c) => c >= "0" && c <= "9") && new Set(digits).size === 4;
  if (!valid) throw deviceError("invalid_secret_code");
  return code;
}

/** Keyring failures become the device's `vault` / `vault_unavailable` refusals. */
async function inVault<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (raw) {
    if (raw instanceof BackendError) throw raw;
    if (raw instanceof KeyringUnavailable) throw deviceError("vault_unavailable");
    throw deviceError("vault");
  }
}

/** A failure to seal is the device's `sealing` refusal. */
async function sealing<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof SealingError) throw deviceError("sealing");
    throw error;
  }
}

function untrusted(why: string): BackendError {
  console.warn(`the world's keys are not trusted (${why}): nothing is sealed`);
  return deviceError("world_key_untrusted");
}

/** The QR code names another world: said with the Rust device's code and sentence. */
function notTheScannedOne(): BackendError {
  console.warn("the world's identity key is not the one its join code names: nothing is pinned or sealed");
  return new BackendError({ code: "world_key_untrusted", message: deviceMessage("world_not_the_scanned_one") });
}

/** SHA-256 of the identity key, compared with the join code's `id=` (`IdentityFingerprint`). */
async function identityFingerprint(identityHex: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", fromHex(identityHex)));
}

/** The world's keys once their endorsement verifies and, with a join code's identity, once the
 * endorsing key is that one (crates/device's `endorsed_keys`). */
async function endorsedKeys(client: WorldClient, expectedIdentity: string | null): Promise<EndorsedWorldKeys> {
  const keys = await client.keys();
  let endorsed: EndorsedWorldKeys;
  try {
    endorsed = await verifyWorldKeys(keys);
  } catch {
    throw untrusted("the endorsement does not verify");
  }
  if (expectedIdentity !== null && (await identityFingerprint(endorsed.identityPublicKey)) !== expectedIdentity) {
    throw notTheScannedOne();
  }
  return endorsed;
}

/** Whether `baseUrl` names this machine (`localhost`, 127.0.0.0/8, `::1`). */
export function isLoopback(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    return false;
  }
  host = host.replace(/^\[|\]$/g, "").toLowerCase();
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export class WebDevice {
  #client: WorldClient;
  readonly #keyring: Keyring;
  #profile: DeviceProfile;
  #pins: WorldPin[];
  /** The join code's identity fingerprint (hex of SHA-256), when the page was opened by it. */
  readonly #expectedIdentity: string | null;
  /** The pinned HPKE key last checked against the world's endorsed keys, and when. */
  #checked: { at: number; key: string } | null = null;

  private constructor(
    client: WorldClient,
    keyring: Keyring,
    profile: DeviceProfile,
    pins: WorldPin[],
    expectedIdentity: string | null,
  ) {
    this.#client = client;
    this.#keyring = keyring;
    this.#profile = profile;
    this.#pins = pins;
    this.#expectedIdentity = expectedIdentity;
  }

  /** Opens the device kept in `keyring`, creating its identity on first use. */
  static async open(client: WorldClient, keyring: Keyring, expectedIdentity: string | null = null): Promise<WebDevice> {
    return inVault(async () => {
      const stored = await readProfile(keyring);
      let profile: DeviceProfile;
      let pins: WorldPin[];
      if (stored === undefined) {
        profile = { device_id: crypto.randomUUID(), learner_id: null, account_id: null };
        pins = [];
        await writeProfile(keyring, profile, pins);
      } else {
        const { world_pins, ...rest } = stored;
        profile = rest;
        pins = world_pins;
      }
      const token = await keyring.get(credentialName(profile.device_id));
      const withCredential = typeof token === "string" ? client.withCredential(token) : client;
      return new WebDevice(withCredential, keyring, profile, pins, expectedIdentity);
    });
  }

  get profile(): Readonly<DeviceProfile> {
    return this.#profile;
  }

  get client(): WorldClient {
    return this.#client;
  }

  get worldPins(): readonly WorldPin[] {
    return this.#pins;
  }

  async #save(): Promise<void> {
    await inVault(() => writeProfile(this.#keyring, this.#profile, this.#pins));
  }

  async #signingKey(): Promise<CryptoKey> {
    const key = await inVault(() => this.#keyring.get(signingKeyName(this.#profile.device_id)));
    if (key === undefined) throw deviceError("device_key_missing");
    if (!(key instanceof CryptoKey)) throw deviceError("vault");
    return key;
  }

  #learnerId(): string {
    const id = this.#profile.learner_id;
    if (id === null) throw deviceError("not_activated");
    return id;
  }

  /**
   * Types the activation code, chooses the secret code, and enrols this device: a new key pair
   * whose private half goes to the keyring before the world hears of it, and becomes the
   * device's key once the world has accepted it.
   */
  async activate(learnerId: string, activationCode: string, secretCode: string): Promise<LearnerView> {
    const code = parseSecretCode(secretCode);
    const worldKey = await this.#trustedWorldKey();
    let pair: CryptoKeyPair;
    try {
      pair = await generateDeviceKey();
    } catch {
      throw deviceError("vault_unavailable");
    }
    const deviceId = this.#profile.device_id;
    const request = await sealing(
      buildActivation({
        learnerId,
        deviceId,
        activationCode,
        secretCode: code,
        worldKey,
        devicePrivateKey: pair.privateKey,
        devicePublicKey: await publicKeyHex(pair.publicKey),
      }),
    );
    // The new key waits under its own name until the world accepts it, so a refused activation
    // never replaces a key the world has already enrolled.
    const pendingName = pendingSigningKeyName(deviceId);
    await inVault(() => this.#keyring.set(pendingName, pair.privateKey));
    let access: LearnerAccess;
    try {
      access = await this.#client.activate(learnerId, request);
    } catch (error) {
      await inVault(() => this.#keyring.delete(pendingName));
      throw error;
    }
    await inVault(async () => {
      await this.#keyring.set(signingKeyName(deviceId), pair.privateKey);
      await this.#keyring.delete(pendingName);
    });
    await this.#keepCredential(access.credential.token);
    this.#profile = { ...this.#profile, learner_id: learnerId, account_id: learnerId };
    await this.#save();
    // Ask the browser not to evict this origin's storage (the key lives there); best effort.
    void globalThis.navigator?.storage?.persist?.().catch(() => false);
    const { credential: _credential, ...learner } = access;
    return learner;
  }

  /** Follows the account the world just opened or signed into from this device. */
  async adoptAccount(access: LearnerAccess): Promise<void> {
    await this.#keepCredential(access.credential.token);
    this.#profile = { ...this.#profile, account_id: access.id };
    await this.#save();
  }

  async #keepCredential(token: string): Promise<void> {
    await inVault(() => this.#keyring.set(credentialName(this.#profile.device_id), token));
    this.#client = this.#client.withCredential(token);
  }

  /**
   * « Supprimer cette identité de l'appareil »: the world ends this device's credential, the
   * signing key and the credential leave the keyring and the profile forgets the account. An
   * unreachable world does not keep the identity on the phone.
   */
  async removeIdentity(): Promise<void> {
    if (this.#client.credential !== null) {
      try {
        await this.#client.revokeOwnCredential();
      } catch (error) {
        const ended = error instanceof WorldError && error.status !== null && error.code.startsWith("credential_");
        if (!ended) console.warn("the world could not end this device's credential", error);
      }
    }
    await inVault(async () => {
      await this.#keyring.delete(signingKeyName(this.#profile.device_id));
      await this.#keyring.delete(credentialName(this.#profile.device_id));
    });
    this.#client = this.#client.anonymous();
    this.#profile = { ...this.#profile, learner_id: null, account_id: null };
    await this.#save();
  }

  /** Requests waiting for this device's answer. */
  pendingRequests(): Promise<LoginRequestView[]> {
    return this.#client.pendingLoginRequests(this.#learnerId());
  }

  /** Approves a login request with the secret code, reading the request from the world first. */
  async approve(requestId: string, secretCode: string): Promise<LoginRequestView> {
    const request = await this.#client.loginRequest(requestId);
    return this.approveShown(request, secretCode);
  }

  /** Approves the request as the phone showed it: what is signed is what the person saw. The
   * code is sent as typed (trimmed): a malformed one counts at the world, which decides. */
  async approveShown(request: LoginRequestView, secretCode: string): Promise<LoginRequestView> {
    const learnerId = this.#learnerId();
    const worldKey = await this.#trustedWorldKey();
    const key = await this.#signingKey();
    const terms = this.#terms(learnerId, request);
    const answer = await sealing(buildApproval(terms, secretCode.trim(), worldKey, key));
    return this.#client.approve(learnerId, request.request_id, answer);
  }

  /** « Ce n'est pas moi »: a signed refusal of the request as the world states it. */
  async decline(requestId: string): Promise<LoginRequestView> {
    const learnerId = this.#learnerId();
    const request = await this.#client.loginRequest(requestId);
    const answer = await buildDecline(this.#terms(learnerId, request), await this.#signingKey());
    return this.#client.decline(learnerId, requestId, answer);
  }

  #terms(learnerId: string, request: LoginRequestView): RequestTerms {
    return {
      learnerId,
      requestId: request.request_id,
      relyingParty: request.relying_party,
      challenge: request.challenge,
      deadline: request.deadline,
      deviceId: this.#profile.device_id,
    };
  }

  /** Whether the world shows the identity the join code names (said at once, before anything
   * is typed; activation and approvals check it again before sealing). */
  async checkWorldIdentity(): Promise<void> {
    if (this.#expectedIdentity !== null) await endorsedKeys(this.#client, this.#expectedIdentity);
  }

  /** The HPKE key to seal to (hex): the world's keys checked at most every ten minutes, the
   * pinned key returned. */
  async #trustedWorldKey(): Promise<string> {
    const now = Date.now();
    if (this.#checked !== null && now - this.#checked.at < WORLD_KEYS_RECHECK_MS) return this.#checked.key;
    const key = await this.#checkWorldKeys();
    this.#checked = { at: now, key };
    return key;
  }

  /** Fetches the world's keys, checks their endorsement against the pin (pinning at first
   * contact) and answers the pinned HPKE key. */
  async #checkWorldKeys(): Promise<string> {
    const baseUrl = this.#client.baseUrl;
    const endorsed = await endorsedKeys(this.#client, this.#expectedIdentity);
    const index = this.#pins.findIndex((pin) => pin.base_url === baseUrl);
    const pin = this.#pins[index];
    if (pin !== undefined) {
      if (pin.identity_public_key !== endorsed.identityPublicKey) {
        if (this.#expectedIdentity === null) throw untrusted("another identity key than the pinned one");
        // The projected QR code is the channel the class trusts: it replaces a first-use pin.
        this.#pins[index] = {
          base_url: baseUrl,
          identity_public_key: endorsed.identityPublicKey,
          hpke_public_key: endorsed.hpkePublicKey,
        };
        await this.#save();
      } else if (pin.hpke_public_key !== endorsed.hpkePublicKey) {
        // A new HPKE key endorsed by the pinned identity.
        this.#pins[index] = { ...pin, hpke_public_key: endorsed.hpkePublicKey };
        await this.#save();
      }
      return this.#pins[index]?.hpke_public_key ?? endorsed.hpkePublicKey;
    }
    // A pin for a loopback address moves with the world's port; one on the network stays.
    this.#pins = this.#pins.filter(
      (kept) => kept.identity_public_key !== endorsed.identityPublicKey || !isLoopback(kept.base_url),
    );
    this.#pins.push({
      base_url: baseUrl,
      identity_public_key: endorsed.identityPublicKey,
      hpke_public_key: endorsed.hpkePublicKey,
    });
    await this.#save();
    return endorsed.hpkePublicKey;
  }
}
