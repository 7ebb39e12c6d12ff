// The one door from the screens to Rust; screens take a Backend so they run without Tauri too.
import { Channel, invoke, isTauri } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import type {
  AccountLoginChallenge,
  CommandErrorBody,
  InboxMessage,
  DocumentKind,
  LearnerAction,
  LoginRequestView,
  PhotoUploaded,
  ServiceSite,
  SessionView,
  Side,
  VideoRecorded,
  VideoUploaded,
  WorldStatus,
} from "./types";

export type * from "./types";

/** The event the shell pushes after every change of the world (src-tauri/src/session.rs). */
export const SESSION_EVENT = "session";

export interface Backend {
  session(): Promise<SessionView>;
  /** Whether this device has begun an enrolment in the world in use, known without that world. */
  enrolmentBegun(): Promise<boolean>;
  onSession(handler: (view: SessionView) => void): Promise<() => void>;
  worldStatus(): Promise<WorldStatus>;
  createAccount(email: string): Promise<SessionView>;
  act(action: LearnerAction): Promise<SessionView>;
  activate(activationCode: string, secretCode: string): Promise<SessionView>;
  approveLogin(requestId: string, secretCode: string): Promise<LoginRequestView>;
  declineLogin(requestId: string): Promise<LoginRequestView>;
  loginRequest(requestId: string): Promise<LoginRequestView>;
  simulateLogin(relyingParty: string): Promise<LoginRequestView>;
  advanceClock(hours: number): Promise<SessionView>;
  useWorld(address: string | null): Promise<SessionView>;
  removeIdentity(): Promise<SessionView>;
  startPreview(request: PreviewRequest, frames: (frame: ArrayBuffer) => void): Promise<void>;
  stopPreview(): Promise<void>;
  takePhoto(): Promise<void>;
  uploadPhoto(side: Side): Promise<PhotoUploaded>;
  importPhoto(document: DocumentKind, side: Side, file: ArrayBuffer): Promise<PhotoUploaded>;
  importVideo(file: ArrayBuffer, mediaType: string): Promise<VideoUploaded>;
  recordVideo(source: "synthetic" | "camera", mistake: string | null, seconds: number): Promise<VideoRecorded>;
  videoBytes(): Promise<ArrayBuffer>;
  uploadVideo(): Promise<VideoUploaded>;
  openService(site: ServiceSite): Promise<string>;
  /** Films until a QR code holds a world's address, then joins it (the frames as the preview's). */
  scanWorldQr(source: "synthetic" | "camera", frames: (frame: ArrayBuffer) => void): Promise<SessionView>;
  stopQrScan(): Promise<void>;
  /** « Se connecter avec un compte La Poste existant »: the password; a code is then sent. */
  startAccountLogin(email: string, password: string): Promise<AccountLoginChallenge>;
  /** The confirmation code typed back: this device then follows the account. */
  confirmAccountLogin(email: string, code: string): Promise<SessionView>;
  /** The account's messages while its confirmation code is awaited (this phone's inbox), read
   * with the sign-in ticket that the shell keeps (it never reaches the screens). */
  accountLoginMessages(): Promise<InboxMessage[]>;
}

/** What the preview films: the sandbox's specimen camera (optionally with a classic mistake) or
 * the device's camera. */
export interface PreviewRequest {
  document: DocumentKind;
  side: Side;
  source: "synthetic" | "camera";
  degradation: string | null;
}

/** A failed command, with the stable code the screens decide on, Rust's French message and,
 * for a wrong code or secret code, the attempts left (shell/errors.ts warns before the last). */
export class BackendError extends Error {
  readonly code: string;
  /** Attempts left after this refusal, as the backend's data; absent (no own property) when it
   * does not apply. `declare`: no class field defines it as `undefined`. */
  declare readonly attempts_left?: number;

  constructor(body: CommandErrorBody) {
    super(body.message);
    this.name = "BackendError";
    this.code = body.code;
    const left = attemptsLeftOf(body.attempts_left);
    if (left !== undefined) this.attempts_left = left;
  }

  static from(raw: unknown): BackendError {
    if (raw instanceof BackendError) return raw;
    if (typeof raw === "object" && raw !== null && "code" in raw && "message" in raw) {
      const { code, message, attempts_left } = raw as Record<string, unknown>;
      if (typeof code === "string" && typeof message === "string") {
        const left = attemptsLeftOf(attempts_left);
        return new BackendError(left === undefined ? { code, message } : { code, message, attempts_left: left });
      }
    }
    return new BackendError({ code: "unknown", message: String(raw) });
  }
}

/** An error body's `attempts_left` when it is a count (a whole number, 0 or more), else absent. */
export function attemptsLeftOf(value: unknown): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (raw) {
    throw BackendError.from(raw);
  }
}

class TauriBackend implements Backend {
  session = () => call<SessionView>("session");
  enrolmentBegun = () => call<boolean>("enrolment_begun");
  worldStatus = () => call<WorldStatus>("world_status");
  createAccount = (email: string) => call<SessionView>("create_account", { email });
  act = (action: LearnerAction) => call<SessionView>("act", { action });
  activate = (activationCode: string, secretCode: string) =>
    call<SessionView>("activate", { activationCode, secretCode });
  approveLogin = (requestId: string, secretCode: string) =>
    call<LoginRequestView>("approve_login", { requestId, secretCode });
  declineLogin = (requestId: string) => call<LoginRequestView>("decline_login", { requestId });
  loginRequest = (requestId: string) => call<LoginRequestView>("login_request", { requestId });
  simulateLogin = (relyingParty: string) => call<LoginRequestView>("simulate_login", { relyingParty });
  advanceClock = (hours: number) => call<SessionView>("advance_clock", { hours });
  useWorld = (address: string | null) => call<SessionView>("use_world", { address });
  removeIdentity = () => call<SessionView>("remove_identity");
  stopPreview = () => call<void>("stop_preview");
  takePhoto = () => call<void>("take_photo");
  uploadPhoto = (side: Side) => call<PhotoUploaded>("upload_photo", { side });
  recordVideo = (source: "synthetic" | "camera", mistake: string | null, seconds: number) =>
    call<VideoRecorded>("record_video", { source, mistake, seconds });
  videoBytes = () => call<ArrayBuffer>("video_bytes");
  uploadVideo = () => call<VideoUploaded>("upload_video");
  openService = (site: ServiceSite) => call<string>("open_service", { site });

  // Files cross IPC as raw bytes (never JSON arrays of numbers); what they are goes in headers.
  async importPhoto(document: DocumentKind, side: Side, file: ArrayBuffer): Promise<PhotoUploaded> {
    try {
      return await invoke<PhotoUploaded>("import_photo", file, { headers: { side, document } });
    } catch (raw) {
      throw BackendError.from(raw);
    }
  }

  async importVideo(file: ArrayBuffer, mediaType: string): Promise<VideoUploaded> {
    try {
      return await invoke<VideoUploaded>("import_video", file, { headers: { "x-media-type": mediaType } });
    } catch (raw) {
      throw BackendError.from(raw);
    }
  }

  async onSession(handler: (view: SessionView) => void): Promise<() => void> {
    return listen<SessionView>(SESSION_EVENT, (event) => handler(event.payload));
  }

  startPreview(request: PreviewRequest, frames: (frame: ArrayBuffer) => void): Promise<void> {
    const channel = new Channel<ArrayBuffer>();
    channel.onmessage = frames;
    return call<void>("start_preview", { ...request, frames: channel });
  }

  scanWorldQr(source: "synthetic" | "camera", frames: (frame: ArrayBuffer) => void): Promise<SessionView> {
    const channel = new Channel<ArrayBuffer>();
    channel.onmessage = frames;
    return call<SessionView>("scan_world_qr", { source, frames: channel });
  }

  stopQrScan = () => call<void>("stop_qr_scan");
  startAccountLogin = (email: string, password: string) =>
    call<AccountLoginChallenge>("start_account_login", { email, password });
  confirmAccountLogin = (email: string, code: string) =>
    call<SessionView>("confirm_account_login", { email, code });
  accountLoginMessages = () => call<InboxMessage[]>("account_login_messages");
}

/** Outside the app: say so instead of pretending. */
class UnreachableBackend implements Backend {
  private fail<T>(): Promise<T> {
    return Promise.reject(
      new BackendError({ code: "ipc_unavailable", message: "no Tauri IPC in this page" }),
    );
  }
  session = () => this.fail<SessionView>();
  enrolmentBegun = () => this.fail<boolean>();
  onSession = async () => () => {};
  worldStatus = () => this.fail<WorldStatus>();
  createAccount = () => this.fail<SessionView>();
  act = () => this.fail<SessionView>();
  activate = () => this.fail<SessionView>();
  approveLogin = () => this.fail<LoginRequestView>();
  declineLogin = () => this.fail<LoginRequestView>();
  loginRequest = () => this.fail<LoginRequestView>();
  simulateLogin = () => this.fail<LoginRequestView>();
  advanceClock = () => this.fail<SessionView>();
  useWorld = () => this.fail<SessionView>();
  removeIdentity = () => this.fail<SessionView>();
  startPreview = () => this.fail<void>();
  stopPreview = () => this.fail<void>();
  takePhoto = () => this.fail<void>();
  uploadPhoto = () => this.fail<PhotoUploaded>();
  importPhoto = () => this.fail<PhotoUploaded>();
  importVideo = () => this.fail<VideoUploaded>();
  recordVideo = () => this.fail<VideoRecorded>();
  videoBytes = () => this.fail<ArrayBuffer>();
  uploadVideo = () => this.fail<VideoUploaded>();
  openService = () => this.fail<string>();
  scanWorldQr = () => this.fail<SessionView>();
  stopQrScan = () => this.fail<void>();
  startAccountLogin = () => this.fail<AccountLoginChallenge>();
  confirmAccountLogin = () => this.fail<SessionView>();
  accountLoginMessages = () => this.fail<InboxMessage[]>();
}

export function chooseBackend(): Backend {
  return isTauri() ? new TauriBackend() : new UnreachableBackend();
}
