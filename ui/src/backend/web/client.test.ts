// The browser device reads the world's refusals as crates/api's client does: code, French message,
// HTTP status and, for a wrong code, the attempts left.
import { describe, expect, it } from "vitest";
import { explain } from "../../shell/errors";
import { WorldClient, WorldError } from "./client";

const refusing = (status: number, body: unknown) => async () =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

describe("the world's refusal", () => {
  it("keeps the attempts left after a wrong code, and the frame warns before the last one", async () => {
    const body = { code: "code_wrong", message: "Code reçu par SMS incorrect. Il vous reste 1 essai.", attempts_left: 1 };
    const client = new WorldClient("https://salle-12.local:8787", "jeton", refusing(422, body));
    const error = await client.act("apprenant-1", { action: "confirm_mobile", code: "0000" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorldError);
    const refusal = error as WorldError;
    expect([refusal.status, refusal.code, refusal.message, refusal.attempts_left]).toEqual([422, "code_wrong", body.message, 1]);
    expect(explain(refusal).lastAttempt).toContain("Il vous reste 1 essai : une nouvelle erreur bloquera ce code");
  });

  it("has no attempts left when the world does not count any", async () => {
    const client = new WorldClient("https://salle-12.local:8787", null, refusing(422, { code: "code_expired", message: "Ce code a expiré." }));
    const error = (await client.status().catch((e: unknown) => e)) as WorldError;
    expect([error.code, error.attempts_left]).toEqual(["code_expired", undefined]);
  });
});
