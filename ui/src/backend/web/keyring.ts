// The browser's keyring: IndexedDB of the world's origin. It keeps what the Rust device keeps in
// its profile file and its OS vault, under the same names: the profile (ids and the pinned world
// keys, nothing secret), the device's signing key — a WebCrypto CryptoKey whose private half is
// not extractable, so no script, not even this one, can read its bytes: IndexedDB stores the key
// object, the browser keeps the material — and the learner's credential. No secret code, ever.

/** What the device remembers outside the vault (crates/device's `DeviceProfile` and its pins). */
export interface DeviceProfile {
  device_id: string;
  /** The learner whose identity is activated on this device. */
  learner_id: string | null;
  /** The La Poste account being enrolled from this device, before activation. */
  account_id: string | null;
}

/** A world as this device first met it (trust on first use), public keys in hex. */
export interface WorldPin {
  base_url: string;
  identity_public_key: string;
  hpke_public_key: string;
}

/** The profile record: the profile and, beside it, the worlds this device pinned. */
export interface ProfileRecord extends DeviceProfile {
  world_pins: WorldPin[];
}

/** The vault's secrets, as crates/device names them. */
export function signingKeyName(deviceId: string): string {
  return `device-signing-key/${deviceId}`;
}

export function pendingSigningKeyName(deviceId: string): string {
  return `${signingKeyName(deviceId)}/pending`;
}

export function credentialName(deviceId: string): string {
  return `learner-credential/${deviceId}`;
}

const PROFILE = "device.json";
const DATABASE = "idn-sandbox-appareil";
const STORE = "trousseau";

/** The values the keyring holds: the profile, a private key, a credential. */
export type Stored = ProfileRecord | CryptoKey | string;

/** Key-value storage of the device (a `Vault` with the profile beside it). */
export interface Keyring {
  get(name: string): Promise<Stored | undefined>;
  set(name: string, value: Stored): Promise<void>;
  delete(name: string): Promise<void>;
}

export class KeyringUnavailable extends Error {
  constructor(why: string) {
    super(why);
    this.name = "KeyringUnavailable";
  }
}

function request<T>(make: () => IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const pending = make();
    pending.onsuccess = () => resolve(pending.result);
    pending.onerror = () => reject(pending.error ?? new Error("IndexedDB request failed"));
  });
}

/** The keyring of this origin in IndexedDB. */
export class IndexedDbKeyring implements Keyring {
  readonly #database: Promise<IDBDatabase>;

  constructor(name: string = DATABASE, factory: IDBFactory | undefined = globalThis.indexedDB) {
    this.#database = new Promise((resolve, reject) => {
      if (factory === undefined) {
        reject(new KeyringUnavailable("no IndexedDB"));
        return;
      }
      const opening = factory.open(name, 1);
      opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(new KeyringUnavailable(String(opening.error)));
      opening.onblocked = () => reject(new KeyringUnavailable("IndexedDB blocked"));
    });
    // Reported when used, as the Rust device reports a missing OS keyring.
    this.#database.catch(() => {});
  }

  async #store(mode: IDBTransactionMode): Promise<IDBObjectStore> {
    const database = await this.#database;
    return database.transaction(STORE, mode).objectStore(STORE);
  }

  async get(name: string): Promise<Stored | undefined> {
    const store = await this.#store("readonly");
    return (await request(() => store.get(name))) as Stored | undefined;
  }

  async set(name: string, value: Stored): Promise<void> {
    const store = await this.#store("readwrite");
    await request(() => store.put(value, name));
  }

  async delete(name: string): Promise<void> {
    const store = await this.#store("readwrite");
    await request(() => store.delete(name));
  }
}

/** The profile record, `undefined` for a new device. */
export async function readProfile(keyring: Keyring): Promise<ProfileRecord | undefined> {
  const stored = await keyring.get(PROFILE);
  if (stored === undefined) return undefined;
  if (typeof stored !== "object" || stored instanceof CryptoKey || typeof stored.device_id !== "string") {
    throw new KeyringUnavailable("profile unreadable");
  }
  return { ...stored, world_pins: Array.isArray(stored.world_pins) ? stored.world_pins : [] };
}

export async function writeProfile(keyring: Keyring, profile: DeviceProfile, pins: WorldPin[]): Promise<void> {
  const record: ProfileRecord = {
    device_id: profile.device_id,
    learner_id: profile.learner_id,
    account_id: profile.account_id,
    world_pins: pins.map((pin) => ({ ...pin })),
  };
  await keyring.set(PROFILE, record);
}
