// The session the screens show: the snapshot from Rust, replaced by each `session` event.
import { BackendError, type Backend, type InboxMessage, type SessionView } from "../backend";

export type Panel = "messages" | "settings" | null;

class SessionStore {
  view = $state<SessionView | null>(null);
  loadError = $state<BackendError | null>(null);
  panel = $state<Panel>(null);
  /** Id of the newest message the person has seen in the Messages panel. */
  lastSeenMessage = $state(0);
  /** While logging in with an existing account, that account's messages (where its code arrives). */
  signInInbox = $state<InboxMessage[]>([]);
  #backend: Backend | null = null;

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
    await backend.onSession((view) => this.set(view));
    for (;;) {
      try {
        this.set(await backend.session());
        return;
      } catch (raw) {
        const error = BackendError.from(raw);
        this.loadError = error;
        // The embedded world takes a moment to open its database: retry only while it starts.
        if (error.code !== "world_starting") return;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
  }

  set(view: SessionView): void {
    // The first screen with the world's data (from the snapshot or an earlier event): what the
    // launch benchmark measures.
    if (this.view === null) performance.mark("idn-interactive");
    this.view = view;
    this.loadError = null;
  }
}

export const session = new SessionStore();

/** Busy flag and last error of one screen's actions. */
export class Runner {
  busy = $state(false);
  error = $state<BackendError | null>(null);

  async run(work: () => Promise<void>): Promise<boolean> {
    this.busy = true;
    this.error = null;
    try {
      await work();
      return true;
    } catch (raw) {
      this.error = BackendError.from(raw);
      return false;
    } finally {
      this.busy = false;
    }
  }
}
