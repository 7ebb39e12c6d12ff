import { render } from "svelte/server";
import { describe, expect, it } from "vitest";
import { BackendError } from "../backend";
import ErrorNote from "./ErrorNote.svelte";

/** A refusal as the backend would send it once it gives the attempts left as data. */
function refusal(code: string, message: string, attemptsLeft?: number): BackendError {
  const error = new BackendError({ code, message });
  return attemptsLeft === undefined ? error : Object.assign(error, { attempts_left: attemptsLeft });
}

const text = (html: string) => html.replace(/<!--[^]*?-->/g, "").replace(/<[^>]+>/g, " ").replace(/\s+/g, " ").trim();
const attribute = (html: string, name: string) => new RegExp(`${name}="([^"]*)"`).exec(html)?.[1];

describe("ErrorNote", () => {
  it("titles the problem, keeps the backend's sentence and offers its way forward", () => {
    const { body } = render(ErrorNote, {
      props: { error: refusal("code_wrong", "Code reçu par e-mail incorrect. Il vous reste 2 essais.") },
    });
    expect(text(body)).toContain("Code incorrect Code reçu par e-mail incorrect. Il vous reste 2 essais.");
    expect(text(body)).toContain("Que faire ? Relisez le dernier code reçu dans « Messages »");
    expect(attribute(body, "data-action")).toBe("messages");
    expect(text(body)).toContain("Ouvrir mes messages");
    expect(body, "two attempts left: no warning yet").not.toContain('data-testid="last-attempt"');
  });

  it("warns before the last attempt when the backend says one is left", () => {
    const { body } = render(ErrorNote, { props: { error: refusal("wrong_secret_code", "Code secret incorrect. Il vous reste 1 essai.", 1) } });
    expect(body).toContain('data-testid="last-attempt"');
    expect(text(body)).toContain("Il vous reste 1 essai : une nouvelle erreur bloquera votre Identité Numérique");
    expect(text(body)).toContain("Nombre d'essais choisi par le bac à sable");
  });

  it("runs the screen's own way forward when it has one, else calls the trainer", () => {
    const expired = refusal("code_expired", "Ce code a expiré : demandez-en un nouveau.");
    const own = render(ErrorNote, { props: { error: expired, actions: { resend: () => {} } } }).body;
    expect(attribute(own, "data-action")).toBe("resend");
    expect(text(own)).toContain("Recevoir un nouveau code");
    const none = render(ErrorNote, { props: { error: expired } }).body;
    expect(attribute(none, "data-action"), "no resend on this screen: the trainer, not a dead end").toBe("trainer");
    expect(text(none)).toContain("Appeler le formateur");
  });

  it("names the field concerned", () => {
    const { body } = render(ErrorNote, { props: { error: refusal("terms_not_accepted", "…"), fields: { terms: "terms" } } });
    expect(attribute(body, "data-field")).toBe("terms");
    expect(attribute(body, "data-action")).toBe("fix");
    expect(text(body)).toContain("Aller à la case des CGU");
  });

  it("shows nothing without a refusal", () => {
    expect(text(render(ErrorNote, { props: { error: null } }).body)).toBe("");
  });
});
