// The world's HTTP API as the browser device calls it, with fetch on the page's own origin: one
// method per endpoint the device uses, as crates/api's WorldClient. A refusal keeps the world's
// stable code and French message (and its HTTP status, which tells a refused credential); a
// world that does not answer, or answers off the protocol, gets the client's own codes.
import { attemptsLeftOf, BackendError } from "../index";
import type {
  InboxMessage,
  LearnerAction,
  LearnerView,
  LoginRequestView,
  WorldStatus,
} from "../types";
import type {
  AccountLoginStarted,
  ActivationRequest,
  ApprovalAnswer,
  DeclineAnswer,
  LearnerAccess,
  GuidanceView,
  MediaView,
  WorldKeys,
} from "./api";
import { deviceMessage } from "./fr";
import { toHex } from "./protocol";

/** A failure of a call to the world: the world's refusal (`status` set) or the client's own. */
export class WorldError extends BackendError {
  /** The HTTP status of the world's refusal; `null` when the world did not answer in the protocol. */
  readonly status: number | null;

  constructor(code: string, message: string, status: number | null, attemptsLeft?: number) {
    super(attemptsLeft === undefined ? { code, message } : { code, message, attempts_left: attemptsLeft });
    this.name = "WorldError";
    this.status = status;
  }

  /** The world's refusal with this code. */
  isRefusal(code: string): boolean {
    return this.status !== null && this.code === code;
  }
}

function unreachable(): WorldError {
  return new WorldError("world_unreachable", deviceMessage("world_unreachable"), null);
}

function offProtocol(): WorldError {
  return new WorldError("protocol", deviceMessage("protocol"), null);
}

/** A refusal's body (`ApiError`, with the attempts left after a wrong code), or an
 * off-protocol failure. */
async function refusal(response: Response): Promise<WorldError> {
  try {
    const body: unknown = await response.json();
    if (typeof body === "object" && body !== null) {
      const { code, message, attempts_left } = body as Record<string, unknown>;
      if (typeof code === "string" && typeof message === "string") {
        return new WorldError(code, message, response.status, attemptsLeftOf(attempts_left));
      }
    }
  } catch {
    // Not JSON: below.
  }
  return offProtocol();
}

/** How the device calls `fetch` (the page's own; tests give theirs). */
export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export class WorldClient {
  readonly baseUrl: string;
  readonly credential: string | null;
  readonly #fetch: Fetch;

  constructor(baseUrl: string, credential: string | null = null, fetcher: Fetch = (input, init) => fetch(input, init)) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.credential = credential;
    this.#fetch = fetcher;
  }

  /** The same world, calling with this credential. */
  withCredential(credential: string): WorldClient {
    return new WorldClient(this.baseUrl, credential, this.#fetch);
  }

  /** The same world, anonymously. */
  anonymous(): WorldClient {
    return new WorldClient(this.baseUrl, null, this.#fetch);
  }

  #headers(extra: Record<string, string> = {}): Record<string, string> {
    const headers: Record<string, string> = { accept: "application/json", ...extra };
    if (this.credential !== null) headers.authorization = `Bearer ${this.credential}`;
    return headers;
  }

  /** The raw response of a request to the world; a network failure is `world_unreachable`. */
  async open(path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
    try {
      return await this.#fetch(`${this.baseUrl}${path}`, {
        ...init,
        headers: this.#headers(init.headers),
        // The credential is the bearer header; cookies are for the console, never the API.
        credentials: "omit",
        cache: "no-store",
      });
    } catch (raw) {
      if (raw instanceof DOMException && raw.name === "AbortError") throw raw;
      throw unreachable();
    }
  }

  async #send<T>(method: string, path: string, body?: unknown): Promise<T> {
    const init: RequestInit & { headers?: Record<string, string> } = { method };
    if (body !== undefined) {
      init.headers = { "content-type": "application/json" };
      init.body = JSON.stringify(body);
    }
    const response = await this.open(path, init);
    return answer<T>(response);
  }

  status = () => this.#send<WorldStatus>("GET", "/api/status");
  keys = () => this.#send<WorldKeys>("GET", "/api/keys");
  createLearner = (email: string) => this.#send<LearnerAccess>("POST", "/api/learners", { email });
  learner = (id: string) => this.#send<LearnerView>("GET", `/api/learners/${encodeURIComponent(id)}`);
  act = (id: string, action: LearnerAction) =>
    this.#send<LearnerView>("POST", `/api/learners/${encodeURIComponent(id)}/actions`, action);
  inbox = (id: string) => this.#send<InboxMessage[]>("GET", `/api/learners/${encodeURIComponent(id)}/inbox`);
  advanceLearnerClock = (id: string, seconds: number) =>
    this.#send<unknown>("POST", `/api/learners/${encodeURIComponent(id)}/clock/advance`, { seconds });
  activate = (id: string, request: ActivationRequest) =>
    this.#send<LearnerAccess>("POST", `/api/learners/${encodeURIComponent(id)}/activation`, request);
  pendingLoginRequests = (id: string) =>
    this.#send<LoginRequestView[]>("GET", `/api/learners/${encodeURIComponent(id)}/login-requests`);
  approve = (id: string, requestId: string, answer: ApprovalAnswer) =>
    this.#send<LoginRequestView>(
      "POST",
      `/api/learners/${encodeURIComponent(id)}/login-requests/${encodeURIComponent(requestId)}/approve`,
      answer,
    );
  decline = (id: string, requestId: string, answer: DeclineAnswer) =>
    this.#send<LoginRequestView>(
      "POST",
      `/api/learners/${encodeURIComponent(id)}/login-requests/${encodeURIComponent(requestId)}/decline`,
      answer,
    );
  openOwnLoginRequest = (id: string, relyingParty: string) =>
    this.#send<LoginRequestView>("POST", `/api/learners/${encodeURIComponent(id)}/login-requests`, {
      relying_party: relyingParty,
    });
  loginRequest = (requestId: string) =>
    this.#send<LoginRequestView>("GET", `/api/login-requests/${encodeURIComponent(requestId)}`);
  revokeOwnCredential = () => this.#send<null>("DELETE", "/api/credentials/current");
  startAccountLogin = (email: string, password: string) =>
    this.#send<AccountLoginStarted>("POST", "/api/account-logins", { email, password });
  confirmAccountLogin = (email: string, code: string) =>
    this.#send<LearnerAccess>("POST", "/api/account-logins/confirmation", { email, code });

  /** The app's guidance on one small preview frame (JPEG) of a document photo; `steady` is the
   * previous answer's. */
  async guidance(id: string, document: string, steady: number, jpeg: ArrayBuffer): Promise<GuidanceView> {
    const query = `document=${encodeURIComponent(document)}&steady=${steady}`;
    const response = await this.open(`/api/learners/${encodeURIComponent(id)}/guidance?${query}`, {
      method: "POST",
      headers: { "content-type": "image/jpeg" },
      body: jpeg,
    });
    return answer<GuidanceView>(response);
  }

  /** A photo or the video, with the SHA-256 the world checks (`x-content-sha256`). */
  async uploadMedia(id: string, kind: "photo" | "video", contentType: string, bytes: ArrayBuffer): Promise<MediaView> {
    const checksum = toHex(await crypto.subtle.digest("SHA-256", bytes));
    const response = await this.open(`/api/learners/${encodeURIComponent(id)}/media?kind=${kind}`, {
      method: "POST",
      headers: { "content-type": contentType, "x-content-sha256": checksum },
      body: bytes,
    });
    return answer<MediaView>(response);
  }
}

/** A success's JSON body (`null` for "204 No Content"), or the world's refusal. */
export async function answer<T>(response: Response): Promise<T> {
  if (!response.ok) throw await refusal(response);
  let text: string;
  try {
    text = await response.text();
  } catch {
    throw unreachable();
  }
  if (text === "") return null as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw offProtocol();
  }
}
