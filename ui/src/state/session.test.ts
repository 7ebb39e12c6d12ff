import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { BackendError, type Backend, type SessionView } from "../backend";
import { Runner, SessionStore, session } from "./session.svelte";

const VIEW = {
  world: { base_url: "http://127.0.0.1:40000", origin: "embedded" },
  device_id: "appareil-1",
  vault: "mémoire",
  learner: null,
  activated_here: false,
  inbox: [],
  pending_requests: [],
} as unknown as SessionView;

/** The shell while the embedded world starts: every world command answers `world_starting`. */
function startingWorld({ enrolmentBegun }: { enrolmentBegun: boolean }) {
  let up = false;
  let push: (view: SessionView) => void = () => {};
  const created: string[] = [];
  const starting = () =>
    Promise.reject(new BackendError({ code: "world_starting", message: "Le monde simulé démarre, patientez un instant." }));
  const backend = {
    onSession: async (handler: (view: SessionView) => void) => {
      push = handler;
      return () => {};
    },
    session: () => (up ? Promise.resolve(VIEW) : starting()),
    enrolmentBegun: async () => enrolmentBegun,
    createAccount: (email: string) => {
      if (!up) return starting();
      created.push(email);
      return Promise.resolve(VIEW);
    },
  } as unknown as Backend;
  return {
    backend,
    created,
    /** The world is up: the shell pushes its first snapshot, as world_link does. */
    bringUp() {
      up = true;
      push(VIEW);
    },
  };
}

const interactiveMarks = () => performance.getEntriesByName("idn-interactive").length;

describe("first screen while the embedded world starts", () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    performance.clearMarks();
  });
  afterEach(() => vi.useRealTimers());

  it("a device with an account waits for the world to know its step", async () => {
    const store = new SessionStore();
    const world = startingWorld({ enrolmentBegun: true });
    void store.start(world.backend);
    await vi.advanceTimersByTimeAsync(1000);
    expect(store.welcomeBeforeWorld, "the welcome screen would be wrong for an enrolled device").toBe(false);
    expect(interactiveMarks(), "nothing interactive before the world answers").toBe(0);
    world.bringUp();
    expect(store.view).toEqual(VIEW);
    expect(interactiveMarks()).toBe(1);
  });

  it("a new device shows the welcome screen at once and its first action waits for the world", async () => {
    const world = startingWorld({ enrolmentBegun: false });
    void session.start(world.backend);
    await vi.advanceTimersByTimeAsync(0);
    expect(session.welcomeBeforeWorld, "the welcome screen needs no world").toBe(true);
    expect(interactiveMarks(), "the launch benchmark's mark is set before the world is up").toBe(1);

    const runner = new Runner();
    const done = runner.run(async () => session.set(await session.backend.createAccount("camille@exemple.fr")));
    await vi.advanceTimersByTimeAsync(500);
    expect(runner.busy, "the button stays busy while the world starts").toBe(true);
    expect(runner.error, "no error for a world that is only starting").toBeNull();

    world.bringUp();
    expect(await done, "the action goes through once the world is up").toBe(true);
    expect(world.created).toEqual(["camille@exemple.fr"]);
    expect(runner.error).toBeNull();
    expect(interactiveMarks(), "one mark per launch").toBe(1);
  });
});
