// The device's screens in a phone's browser: a `Backend` that speaks the world's HTTP API itself
// (the page is served by the world, /application, so every call is same-origin), doing what the
// app's Rust side does — src-tauri's commands and session snapshot over crates/device — with the
// device key in WebCrypto and the browser's IndexedDB (./device.ts). The screens are the same.
import type { Backend, PreviewRequest } from "../index";
import type {
  AccountLoginChallenge,
  DocumentKind,
  InboxMessage,
  LearnerAction,
  LearnerView,
  LoginRequestView,
  PhotoUploaded,
  ServiceSite,
  SessionView,
  Side,
  SignInNeeded,
  VideoRecorded,
  VideoUploaded,
  WorldStatus,
} from "../types";
import { WorldClient, WorldError, type Fetch } from "./client";
import { WebDevice } from "./device";
import { followLearnerEvents } from "./events";
import { deviceError, deviceMessage, VAULT_DESCRIPTION } from "./fr";
import { IndexedDbKeyring, readProfile, type Keyring } from "./keyring";
import { BrowserCamera } from "./camera";
import { photoForUpload } from "./media";
import { recordVideo, type BrowserRecording } from "./recorder";
import { toHex } from "./protocol";

export interface WebBackendOptions {
  /** The world's address: the page's own origin. */
  baseUrl: string;
  keyring?: Keyring;
  fetch?: Fetch;
  /** The join code's `id=` (the welcome page's QR code fragment), if the page was opened by it. */
  expectedIdentity?: string | null;
  /** Opens a service's site (a new tab by default). */
  openWindow?: (url: string) => void;
  /** Leaves for another class's page (the page's own location by default). */
  navigate?: (url: string) => void;
}

/** The phone page of the world a join code or typed address names, its fragment kept; `null`
 * for a text that is no http(s) address (`idn_api::join` refuses the same). */
export function joinTarget(text: string): URL | null {
  const trimmed = text.trim();
  const [address = "", fragment] = trimmed.split("#", 2);
  let url: URL;
  try {
    url = new URL(address);
  } catch {
    return null;
  }
  if ((url.protocol !== "https:" && url.protocol !== "http:") || url.host === "") return null;
  const page = new URL("/application/", url.origin);
  if (fragment !== undefined && fragment !== "") page.hash = fragment;
  return page;
}

/** The world refused the credential this device presented (HTTP 401, whatever the code). */
function signInNeededOf(error: unknown): SignInNeeded | null {
  if (error instanceof WorldError && error.status === 401) return { code: error.code, reason: error.message };
  return null;
}

/** The sign-in under way: its ticket (10 minutes, one confirmation) lives in this page only. */
interface Ticket {
  accountId: string;
  client: WorldClient;
}

function base64UrlToHex(text: string): string | null {
  if (!/^[A-Za-z0-9_-]{43}$/.test(text)) return null;
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=");
  return toHex(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

/**
 * The world's identity fingerprint the welcome page's QR code carries (`#…&id=<base64url>`),
 * as hex, or `null`; a malformed one is ignored (the device then pins at first contact).
 */
export function identityFromFragment(hash: string): string | null {
  for (const part of hash.replace(/^#/, "").split("&")) {
    const [key, value = ""] = part.split("=");
    if (key === "id") {
      const hex = base64UrlToHex(value);
      if (hex === null) console.warn("the join code's identity fingerprint is malformed: ignored");
      return hex;
    }
  }
  return null;
}

export class WebBackend implements Backend {
  readonly #world: WorldClient;
  readonly #keyring: Keyring;
  readonly #expectedIdentity: string | null;
  readonly #openWindow: (url: string) => void;
  readonly #navigate: (url: string) => void;
  #device: Promise<WebDevice> | null = null;
  /** One command at a time, as the app's device lock: approvals, snapshots and the profile. */
  #queue: Promise<unknown> = Promise.resolve();
  #handlers = new Set<(view: SessionView) => void>();
  #live: AbortController | null = null;
  #ticket: Ticket | null = null;
  #identityChecked = false;
  readonly #camera = new BrowserCamera();
  /** The last video filmed in the page, already with the world. */
  #video: { recording: BrowserRecording; uploaded: VideoUploaded } | null = null;

  constructor(options: WebBackendOptions) {
    this.#world = new WorldClient(options.baseUrl, null, options.fetch);
    this.#keyring = options.keyring ?? new IndexedDbKeyring();
    this.#expectedIdentity = options.expectedIdentity ?? null;
    this.#openWindow =
      options.openWindow ?? ((url) => void window.open(url, "_blank", "noopener"));
    this.#navigate = options.navigate ?? ((url) => window.location.assign(url));
  }

  /** Runs `work` with the device, after the commands before it. */
  #withDevice<T>(work: (device: WebDevice) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      this.#device ??= WebDevice.open(this.#world, this.#keyring, this.#expectedIdentity);
      let device: WebDevice;
      try {
        device = await this.#device;
      } catch (error) {
        this.#device = null;
        throw error;
      }
      return work(device);
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  async #accountId(device: WebDevice): Promise<string> {
    const id = device.profile.account_id;
    if (id === null) throw deviceError("no_account");
    return id;
  }

  // ——— The session: one snapshot, pushed again at each of the world's events ———

  session = (): Promise<SessionView> => this.#withDevice((device) => this.#snapshot(device));

  /** The snapshot; `shown` is the learner's view an event just carried (one request fewer). */
  async #snapshot(device: WebDevice, shown: LearnerView | null = null): Promise<SessionView> {
    if (!this.#identityChecked) {
      // A page opened by a QR code of another world is said at once (the app says it when
      // joining); activation and approvals check again before sealing anything.
      await device.checkWorldIdentity();
      this.#identityChecked = true;
    }
    const profile = device.profile;
    const client = device.client;
    let signInNeeded: SignInNeeded | null = null;
    let learner: LearnerView | null = null;
    if (profile.account_id !== null) {
      if (client.credential === null) {
        signInNeeded = { code: "credential_missing", reason: deviceMessage("credential_missing") };
      } else if (shown !== null && shown.id === profile.account_id) {
        learner = shown;
      } else {
        try {
          learner = await client.learner(profile.account_id);
        } catch (error) {
          const needed = signInNeededOf(error);
          // The world was reset: the account no longer exists there.
          if (error instanceof WorldError && error.status === 404) learner = null;
          else if (needed !== null) signInNeeded = needed;
          else throw error;
        }
      }
    }
    // The world names the enrolled device: a phone whose identity was activated elsewhere keeps
    // its profile's learner but is no longer the one that answers.
    const activatedHere =
      learner !== null && profile.learner_id === learner.id && learner.device_id === profile.device_id;
    // The messages and the login requests are asked at once: a request shows sooner.
    const [inbox, pending] = await Promise.all([
      learner !== null ? client.inbox(learner.id) : Promise.resolve([]),
      activatedHere ? this.#pending(device) : Promise.resolve([]),
    ]);
    return {
      world: { base_url: this.#world.baseUrl, origin: "external" },
      device_id: profile.device_id,
      vault: VAULT_DESCRIPTION,
      learner,
      activated_here: activatedHere,
      inbox,
      pending_requests: pending,
      sign_in_needed: signInNeeded,
    };
  }

  async #pending(device: WebDevice): Promise<LoginRequestView[]> {
    try {
      return await device.pendingRequests();
    } catch (error) {
      // Signed in again with the account: only the device's credential reads login requests.
      if (error instanceof WorldError && error.isRefusal("device_credential_required")) return [];
      throw error;
    }
  }

  async enrolmentBegun(): Promise<boolean> {
    try {
      return (await readProfile(this.#keyring))?.account_id != null;
    } catch {
      return false;
    }
  }

  async onSession(handler: (view: SessionView) => void): Promise<() => void> {
    this.#handlers.add(handler);
    if (this.#live === null) this.#follow();
    return () => {
      this.#handlers.delete(handler);
      if (this.#handlers.size === 0) this.#stopFollowing();
    };
  }

  /** Sends the current snapshot to the screens; a failure waits for the next event. */
  async #push(shown: LearnerView | null = null): Promise<void> {
    try {
      const view = await this.#withDevice((device) => this.#snapshot(device, shown));
      for (const handler of this.#handlers) handler(view);
    } catch (error) {
      console.warn("snapshot for the session event failed", error);
    }
  }

  #stopFollowing(): void {
    this.#live?.abort();
    this.#live = null;
  }

  /** (Re)starts following the learner's events, for the account this device follows. */
  #follow(): void {
    this.#stopFollowing();
    const live = new AbortController();
    this.#live = live;
    void this.#followEvents(live.signal);
  }

  async #followEvents(signal: AbortSignal): Promise<void> {
    const followed = await this.#withDevice(async (device) =>
      device.profile.account_id === null ? null : { id: device.profile.account_id, client: device.client },
    ).catch(() => null);
    if (followed === null) return;
    while (!signal.aborted) {
      try {
        await followLearnerEvents(followed.client, followed.id, (view) => void this.#push(view), signal);
      } catch (error) {
        if (signal.aborted) return;
        if (signInNeededOf(error) !== null) {
          // The credential ended: the snapshot tells the screens to sign in again.
          await this.#push();
          return;
        }
        console.warn("learner events interrupted; reconnecting", error);
      }
      // The stream ends when the world restarts, or the phone slept: reconnect after a pause.
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  worldStatus = (): Promise<WorldStatus> => this.#world.status();

  // ——— The account, the identity and the verification ———

  async createAccount(email: string): Promise<SessionView> {
    await this.#withDevice(async (device) => {
      // Anyone may open an account: asked anonymously, it answers with its credential.
      const access = await this.#world.createLearner(email.trim());
      await device.adoptAccount(access);
    });
    this.#follow();
    return this.session();
  }

  async act(action: LearnerAction): Promise<SessionView> {
    await this.#withDevice(async (device) => {
      await device.client.act(await this.#accountId(device), action);
    });
    return this.session();
  }

  async advanceClock(hours: number): Promise<SessionView> {
    await this.#withDevice(async (device) => {
      const id = device.profile.account_id;
      if (id === null) throw deviceError("nothing_to_advance");
      await device.client.advanceLearnerClock(id, hours * 3600);
    });
    return this.session();
  }

  // ——— Activation and approvals ———

  async activate(activationCode: string, secretCode: string): Promise<SessionView> {
    await this.#withDevice(async (device) => {
      await device.activate(await this.#accountId(device), activationCode.trim(), secretCode);
    });
    this.#follow();
    return this.session();
  }

  approveLogin = (requestId: string, secretCode: string): Promise<LoginRequestView> =>
    this.#withDevice((device) => device.approve(requestId, secretCode));

  declineLogin = (requestId: string): Promise<LoginRequestView> =>
    this.#withDevice((device) => device.decline(requestId));

  loginRequest = (requestId: string): Promise<LoginRequestView> =>
    this.#withDevice((device) => device.client.loginRequest(requestId));

  simulateLogin = (relyingParty: string): Promise<LoginRequestView> =>
    this.#withDevice((device) => {
      const id = device.profile.learner_id;
      if (id === null) throw deviceError("not_activated");
      return device.client.openOwnLoginRequest(id, relyingParty);
    });

  async removeIdentity(): Promise<SessionView> {
    await this.#withDevice((device) => device.removeIdentity());
    this.#follow();
    return this.session();
  }

  // ——— The world in use: the one that served this page ———

  /**
   * « Rejoindre une classe »: another class's world serves its own copy of these screens, with
   * its own keyring (another origin): the page goes there, the join code's fragment (`#ca=…&id=…`)
   * kept so that the identity it names is pinned there. The embedded world exists in the app only.
   */
  useWorld(address: string | null): Promise<SessionView> {
    if (address === null) return Promise.reject(deviceError("embedded_world_not_in_browser"));
    const target = joinTarget(address);
    if (target === null) return Promise.reject(deviceError("world_url_invalid", { text: address.trim() }));
    if (target.origin === new URL(this.#world.baseUrl).origin) return this.session();
    this.#navigate(target.href);
    // The page is leaving: nothing more to show here.
    return new Promise(() => {});
  }

  // ——— Photos and video ———

  /** The phone's own camera (`getUserMedia`) with the world's guidance on its preview frames;
   * the sandbox's training camera is the app's only. */
  async startPreview(request: PreviewRequest, frames: (frame: ArrayBuffer) => void): Promise<void> {
    if (request.source === "synthetic") throw deviceError("training_camera_not_in_browser");
    checkSide(request.document, request.side);
    // Frames go straight to the world, beside the device's queue: a few a second must not wait
    // behind (or hold up) the session's commands.
    const { client, id } = await this.#withDevice(async (device) => ({
      client: device.client,
      id: await this.#accountId(device),
    }));
    return this.#camera.start(frames, (jpeg, steady) => client.guidance(id, request.document, steady, jpeg));
  }

  stopPreview = async (): Promise<void> => this.#camera.stop();
  takePhoto = (): Promise<void> => this.#camera.take();

  async uploadPhoto(side: Side): Promise<PhotoUploaded> {
    const still = this.#camera.takeStill();
    if (still === null) throw deviceError("no_photo");
    const media = await this.#withDevice(async (device) =>
      device.client.uploadMedia(await this.#accountId(device), "photo", "image/jpeg", still),
    );
    return { side, media_id: media.media_id, hint: null };
  }

  /** « Importer une photo »: a JPEG or PNG as it is, another image converted to JPEG. The app's
   * guidance hint is Rust's; in the browser it comes with the world's (issue 17, item 3). */
  async importPhoto(document: DocumentKind, side: Side, file: ArrayBuffer): Promise<PhotoUploaded> {
    checkSide(document, side);
    const photo = await photoForUpload(file);
    const media = await this.#withDevice(async (device) =>
      device.client.uploadMedia(await this.#accountId(device), "photo", photo.contentType, photo.bytes),
    );
    return { side, media_id: media.media_id, hint: null };
  }

  async importVideo(file: ArrayBuffer, mediaType: string): Promise<VideoUploaded> {
    const contentType = mediaType.startsWith("video/") ? mediaType : "video/mp4";
    const media = await this.#withDevice(async (device) =>
      device.client.uploadMedia(await this.#accountId(device), "video", contentType, file),
    );
    return { media_id: media.media_id, size: media.size };
  }

  /** Films in the page (`MediaRecorder`, ./recorder.ts) and sends the file at once: the machine
   * checks the app makes on its own recording are the world's here, on the file it received. The
   * submission then names this upload. */
  async recordVideo(source: "synthetic" | "camera", _mistake: string | null, seconds: number): Promise<VideoRecorded> {
    if (source === "synthetic") throw deviceError("training_camera_not_in_browser");
    this.#video = null;
    const recording = await recordVideo(seconds);
    const media = await this.#withDevice(async (device) =>
      device.client.uploadMedia(await this.#accountId(device), "video", recording.contentType, recording.bytes),
    );
    this.#video = { recording, uploaded: { media_id: media.media_id, size: media.size } };
    const checks = media.video_checks;
    return {
      duration_ms: checks?.duration_ms ?? recording.durationMs,
      size: media.size,
      passed: checks?.passed ?? false,
      hints: checks?.hints.map((hint) => hint.message) ?? [],
    };
  }

  videoBytes = async (): Promise<ArrayBuffer> => {
    if (this.#video === null) throw deviceError("no_video");
    return this.#video.recording.bytes;
  };

  uploadVideo = async (): Promise<VideoUploaded> => {
    if (this.#video === null) throw deviceError("no_video");
    return this.#video.uploaded;
  };

  // ——— Services ———

  /** Opens the simulated site in a new tab, at once (a browser opens windows only on a tap). */
  openService(site: ServiceSite): Promise<string> {
    const path = site === "mon_compte_formation" ? "/mcf/" : "/mce/";
    const url = `${this.#world.baseUrl}${path}`;
    try {
      this.#openWindow(url);
    } catch {
      return Promise.reject(deviceError("no_browser_window", { url }));
    }
    return Promise.resolve(url);
  }

  scanWorldQr(): Promise<SessionView> {
    return Promise.reject(deviceError("qr_scan_in_browser"));
  }

  stopQrScan = async (): Promise<void> => {};

  // ——— « Se connecter avec un compte La Poste existant » ———

  async startAccountLogin(email: string, password: string): Promise<AccountLoginChallenge> {
    const started = await this.#world.startAccountLogin(email.trim(), password);
    const { ticket, ...challenge } = started;
    this.#ticket = { accountId: challenge.account_id, client: this.#world.withCredential(ticket.token) };
    return challenge;
  }

  #currentTicket(): Ticket {
    if (this.#ticket === null) throw deviceError("sign_in_restart");
    return this.#ticket;
  }

  async accountLoginMessages(): Promise<InboxMessage[]> {
    const ticket = this.#currentTicket();
    return ticket.client.inbox(ticket.accountId);
  }

  async confirmAccountLogin(email: string, code: string): Promise<SessionView> {
    const ticket = this.#currentTicket();
    const access = await ticket.client.confirmAccountLogin(email.trim(), code);
    // The ticket served its one confirmation.
    this.#ticket = null;
    await this.#withDevice((device) => device.adoptAccount(access));
    this.#follow();
    return this.session();
  }
}

/** The sides each document has (src-tauri's `page_of`). */
function checkSide(document: DocumentKind, side: Side): void {
  const sides: Record<DocumentKind, Side[]> = {
    cni: ["front", "back"],
    passeport: ["photo_page"],
    titre_de_sejour: ["front", "back"],
  };
  if (!sides[document].includes(side)) throw deviceError("side_not_on_document");
}

/** The backend of a page served by the world, over its own origin. */
export function createWebBackend(): WebBackend {
  return new WebBackend({
    baseUrl: window.location.origin,
    expectedIdentity: identityFromFragment(window.location.hash),
  });
}
