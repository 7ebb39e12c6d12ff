// A refusal crossing IPC keeps the attempts left as data, so the frame can warn before the last one.
import { describe, expect, it } from "vitest";
import { explain } from "../shell/errors";
import { BackendError } from "./index";

describe("a BackendError", () => {
  it("keeps the attempts left of a wrong code's refusal, from the body or from IPC's raw value", () => {
    const body = { code: "wrong_secret_code", message: "Code secret incorrect. Il vous reste 1 essai.", attempts_left: 1 };
    expect(new BackendError(body).attempts_left).toBe(1);
    const fromIpc = BackendError.from(body);
    expect(fromIpc.attempts_left, "what Tauri's invoke rejects with is the CommandError body").toBe(1);
    expect(fromIpc.code).toBe("wrong_secret_code");
    expect(explain(fromIpc).lastAttempt, "the frame warns before the last attempt").toContain(
      "Il vous reste 1 essai : une nouvelle erreur bloquera votre Identité Numérique",
    );
  });

  it("has no attempts left when the refusal counts none or the value is not a count", () => {
    expect(BackendError.from({ code: "code_expired", message: "Ce code a expiré." }).attempts_left).toBeUndefined();
    expect("attempts_left" in BackendError.from({ code: "code_expired", message: "" }), "omitted, not undefined").toBe(false);
    expect(BackendError.from({ code: "code_wrong", message: "", attempts_left: "1" }).attempts_left).toBeUndefined();
    expect(BackendError.from({ code: "code_wrong", message: "", attempts_left: -1 }).attempts_left).toBeUndefined();
    expect(BackendError.from({ code: "code_wrong", message: "", attempts_left: 0 }).attempts_left).toBe(0);
  });
});
