import { describe, expect, it } from "vitest";
import { BackendError, type Backend, type SessionView } from "../../backend";
import { Runner, SessionStore } from "../../state/session.svelte";
import { signIn } from "./signIn.svelte";

const REASON = "Votre Identité Numérique a été activée sur un autre téléphone.";

const FOLLOWING = {
  world: { base_url: "http://127.0.0.1:40000", origin: "embedded" },
  device_id: "appareil-1",
  vault: "mémoire",
  learner: { id: "apprenant-1", step: "enrolled" },
  activated_here: true,
  inbox: [],
  pending_requests: [],
  sign_in_needed: null,
} as unknown as SessionView;

/** What the shell's snapshot says once the world refuses the stored credential. */
const REFUSED = {
  ...FOLLOWING,
  learner: null,
  activated_here: false,
  sign_in_needed: { code: "credential_revoked", reason: REASON },
} as unknown as SessionView;

/** The shell of a phone whose identity was just activated on another phone: every learner
 * command is refused with the world's 401, and the next snapshot asks for the sign-in. */
function revokedElsewhere() {
  let revoked = false;
  const backend = {
    onSession: async () => () => {},
    enrolmentBegun: async () => true,
    session: async () => (revoked ? REFUSED : FOLLOWING),
    simulateLogin: async () => {
      throw new BackendError({ code: "credential_revoked", message: REASON });
    },
  } as unknown as Backend;
  return { backend, revoke: () => (revoked = true) };
}

describe("a credential the world refuses", () => {
  it("takes the person to the sign-in screen with the world's reason, not an error", async () => {
    const store = new SessionStore();
    const shell = revokedElsewhere();
    await store.start(shell.backend);
    expect(signIn.shown(store.view), "a followed account shows its step").toBe(false);

    shell.revoke();
    const runner = new Runner(store);
    const done = await runner.run(async () => {
      await store.backend.simulateLogin("Mon Compte Formation");
    });

    expect(done).toBe(false);
    expect(store.view?.sign_in_needed, "the refusal is followed by a fresh snapshot").toEqual({
      code: "credential_revoked",
      reason: REASON,
    });
    expect(signIn.shown(store.view), "the sign-in screen shows instead of the welcome screen").toBe(true);
  });

  it("lets the person go back to the welcome screen, then sign in when they choose", () => {
    signIn.reset();
    expect(signIn.shown(REFUSED)).toBe(true);
    signIn.leave();
    expect(signIn.shown(REFUSED), "« Retour » leads to the welcome screen, to create an account instead").toBe(false);
    signIn.active = true;
    expect(signIn.shown(REFUSED)).toBe(true);
    signIn.reset();
  });

  it("leaves other refusals to the screen's error note", async () => {
    const store = new SessionStore();
    let snapshots = 0;
    const backend = {
      onSession: async () => () => {},
      enrolmentBegun: async () => true,
      session: async () => {
        snapshots += 1;
        return FOLLOWING;
      },
    } as unknown as Backend;
    await store.start(backend);
    const runner = new Runner(store);
    await runner.run(async () => {
      throw new BackendError({ code: "device_credential_required", message: "Seul le téléphone où l'Identité Numérique est activée peut faire cela." });
    });
    expect(runner.error?.code).toBe("device_credential_required");
    expect(snapshots, "no new snapshot for a refusal that signing in would not fix").toBe(1);
  });
});
