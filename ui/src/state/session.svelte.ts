// The session the screens show: the snapshot from Rust, replaced by each `session` event.
import { BackendError, type Backend, type InboxMessage, type SessionView } from "../backend";

/** What is opened over the learner's step: the Messages panel, Réglages, or AR24's letter read
 * from its email (« Consulter mon courrier »). */
export type Panel = "messages" | "settings" | "letter" | null;

/** The world's refusals of the credential a command carried (HTTP 401): the device must sign
 * in again, which the next snapshot says (`sign_in_needed`), not an error note. */
const CREDENTIAL_REFUSALS = new Set(["credential_revoked", "credential_expired", "authentication_required"]);

export function isCredentialRefusal(error: BackendError): boolean {
  return CREDENTIAL_REFUSALS.has(error.code);
}

export class SessionStore {
  view = $state<SessionView | null>(null);
  loadError = $state<BackendError | null>(null);
  panel = $state<Panel>(null);
  /** A device that has begun no enrolment, before the world answers: the welcome screen. */
  welcomeBeforeWorld = $state(false);
  /** Id of the newest message the person has seen in the Messages panel. */
  lastSeenMessage = $state(0);
  /** While logging in with an existing account, that account's messages (where its code arrives). */
  signInInbox = $state<InboxMessage[]>([]);
  #backend: Backend | null = null;
  /** Resolved by the first snapshot: actions tried while the world starts wait for it. */
  #markWorldUp: () => void = () => {};
  #worldUp = new Promise<void>((resolve) => (this.#markWorldUp = resolve));

  /** This phone's messages: the followed account's, or the one being logged into. */
  get inbox(): InboxMessage[] {
    return this.view?.learner ? this.view.inbox : this.signInInbox;
  }

  get backend(): Backend {
    if (this.#backend === null) throw new Error("session store used before start()");
    return this.#backend;
  }

  /** Snapshot, then subscribe: the world's changes arrive as events (no polling loop). */
  async start(backend: Backend): Promise<void> {
    this.#backend = backend;
    // A device that has begun no enrolment opens on the welcome screen whatever the world's
    // state: shown at once, without waiting for the subscription and the snapshot (the world
    // may still be starting; the welcome screen's actions wait for it, see Runner).
    void backend.enrolmentBegun().then(
      (begun) => {
        if (begun || this.view !== null) return;
        this.welcomeBeforeWorld = true;
        this.#interactive();
      },
      // Unknown: the snapshot decides.
      () => {},
    );
    await backend.onSession((view) => this.set(view));
    for (;;) {
      try {
        this.set(await backend.session());
        return;
      } catch (raw) {
        const error = BackendError.from(raw);
        this.loadError = error;
        // The embedded world takes a moment to open its database: retry only while it starts.
        if (error.code !== "world_starting") {
          // Actions waiting for the world try again and show this failure.
          this.#markWorldUp();
          return;
        }
        // A device with an account shows « Ouverture de L'Identité Numérique (simulation) » until the world's step.
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  }

  set(view: SessionView): void {
    if (this.view === null) this.#interactive();
    this.view = view;
    this.loadError = null;
    this.#markWorldUp();
  }

  /** Takes a new snapshot: after a refused credential, it carries `sign_in_needed`. A failure
   * is left to the next `session` event. */
  async refresh(): Promise<void> {
    try {
      this.set(await this.backend.session());
    } catch {
      // The world may be unreachable at this moment: the next event brings the snapshot.
    }
  }

  /** Resolves once the world in use has answered, or failed to start (see `start`). */
  worldUp(): Promise<void> {
    return this.#worldUp;
  }

  /** The first interactive screen is up: what the launch benchmark measures (tests/app). */
  #interactive(): void {
    if (performance.getEntriesByName("idn-interactive").length === 0) performance.mark("idn-interactive");
  }
}

export const session = new SessionStore();

/** Busy flag and last error of one screen's actions. */
export class Runner {
  busy = $state(false);
  error = $state<BackendError | null>(null);
  readonly #store: SessionStore;
  /** The last action tried, for an error's « Réessayer ». */
  #last: (() => Promise<void>) | null = null;

  constructor(store: SessionStore = session) {
    this.#store = store;
  }

  async run(work: () => Promise<void>): Promise<boolean> {
    this.#last = work;
    this.busy = true;
    this.error = null;
    try {
      try {
        await work();
      } catch (raw) {
        // Tried on the welcome screen before the embedded world was up: once, when it is.
        if (BackendError.from(raw).code !== "world_starting") throw raw;
        await this.#store.worldUp();
        await work();
      }
      return true;
    } catch (raw) {
      this.error = BackendError.from(raw);
      // The world no longer accepts this device's access: the snapshot takes the person to
      // the sign-in screen with the world's reason.
      if (isCredentialRefusal(this.error)) await this.#store.refresh();
      return false;
    } finally {
      this.busy = false;
    }
  }

  /** Tries the last action again (an error's « Réessayer »); false when there is none. */
  retry(): Promise<boolean> {
    const last = this.#last;
    return last === null ? Promise.resolve(false) : this.run(last);
  }
}
