import { describe, expect, it } from "vitest";
// The journey's error codes as Rust states them (`JourneyError::code`): read from the source so
// that a code added there and forgotten here fails this test.
import journeyErrors from "../../../crates/journey/src/error.rs?raw";
import fr from "../messages/fr.json";
import { attemptsLeft, buttonLabel, ERROR_RULES, explain, invalid } from "./errors";

function journeyCodes(): string[] {
  const body = journeyErrors.slice(journeyErrors.indexOf("pub fn code(&self)"), journeyErrors.indexOf("pub fn message_fr"));
  return [...body.matchAll(/=> "([a-z_]+)"/g)].map((match) => match[1] ?? "");
}

describe("the table of refusals", () => {
  it("knows every code of the journey", () => {
    const codes = journeyCodes();
    expect(codes.length, "the codes were read from error.rs").toBeGreaterThan(30);
    expect(codes.filter((code) => !(code in ERROR_RULES))).toEqual([]);
  });

  it("gives each code a title and a next step in fr.json, and nothing more", () => {
    const known = Object.keys(ERROR_RULES).sort();
    expect(Object.keys(fr.errors.titles).sort()).toEqual(known);
    expect(Object.keys(fr.errors.next).sort()).toEqual(known);
    for (const code of Object.keys(fr.errors.buttons)) expect(known, `button of ${code}`).toContain(code);
  });

  it("never titles a refusal « Action impossible », and titles differ by problem", () => {
    const titles = Object.values(fr.errors.titles);
    expect(titles).not.toContain("Action impossible");
    expect(explain({ code: "code_wrong", message: "" }).title).toBe("Code incorrect");
    expect(explain({ code: "code_expired", message: "" }).title).toBe("Code expiré");
    expect(explain({ code: "wrong_secret_code", message: "" }).title).toBe("Code secret incorrect");
  });

  it("offers a way forward for every code", () => {
    for (const [code, rule] of Object.entries(ERROR_RULES)) {
      const advice = explain({ code, message: "…" });
      expect(advice.known, code).toBe(true);
      expect(advice.next.length, code).toBeGreaterThan(10);
      expect(buttonLabel(advice).length, code).toBeGreaterThan(3);
      expect(advice.action, code).toBe(rule.action);
    }
  });

  it("maps the failures of the journey to their way forward", () => {
    const way = (code: string) => {
      const advice = explain({ code, message: "" });
      return `${advice.action}${advice.field ? `/${advice.field}` : ""} « ${buttonLabel(advice)} »`;
    };
    expect(way("code_wrong")).toBe("messages/code « Ouvrir mes messages »");
    expect(way("code_expired")).toBe("resend/code « Recevoir un nouveau code »");
    expect(way("code_attempts_exhausted")).toBe("resend/code « Recevoir un nouveau code »");
    expect(way("resend_limit_reached")).toBe("trainer « Appeler le formateur »");
    expect(way("terms_not_accepted")).toBe("fix/terms « Aller à la case des CGU »");
    expect(way("ar24_terms_not_accepted")).toBe("fix/terms « Aller à la case des conditions d'AR24 »");
    expect(way("invalid_secret_code")).toBe("redo/secret « Choisir un autre code secret »");
    expect(way("wrong_secret_code")).toBe("redo/secret « Saisir à nouveau le code secret »");
    expect(way("secret_code_locked")).toBe("verify_again « Vérifier à nouveau mon identité »");
    expect(way("mobile_already_enrolled")).toBe("change_number/mobile « Modifier le numéro »");
    expect(way("underage")).toBe("fix/birth_date « Vérifier la date de naissance »");
    expect(way("world_unreachable")).toBe("retry « Réessayer »");
  });

  it("keeps the backend's sentence, which carries the case's figures", () => {
    const advice = explain({ code: "code_wrong", message: "Code d'activation incorrect. Il vous reste 2 essais." });
    expect(advice.text).toBe("Code d'activation incorrect. Il vous reste 2 essais.");
  });

  it("gives an unknown code a generic title and the trainer, never a dead end", () => {
    const advice = explain({ code: "nouveau_code_du_monde", message: "Le monde dit pourquoi." });
    expect(advice).toMatchObject({ known: false, title: "Action refusée", action: "trainer", text: "Le monde dit pourquoi." });
  });

  it("says which field a refusal is about", () => {
    expect(invalid({ code: "invalid_email", message: "" }, "email")).toBe(true);
    expect(invalid({ code: "invalid_email", message: "" }, "password")).toBe(false);
    expect(invalid(null, "email")).toBe(false);
  });
});

describe("the warning before a last attempt", () => {
  it("comes from the backend's figure, never from its French sentence", () => {
    const sentence = { code: "code_wrong", message: "Code incorrect. Il vous reste 1 essai." };
    expect(attemptsLeft(sentence), "the sentence is not parsed").toBeNull();
    expect(explain(sentence).lastAttempt).toBeNull();
    expect(attemptsLeft({ ...sentence, attempts_left: 1 })).toBe(1);
    expect(attemptsLeft({ ...sentence, attempts_left: "1" })).toBeNull();
  });

  it("says what the next error locks, and that the number is the sandbox's choice", () => {
    const code = explain({ code: "code_wrong", message: "", attempts_left: 1 }).lastAttempt;
    expect(code).toContain("Il vous reste 1 essai : une nouvelle erreur bloquera ce code");
    expect(code).toContain("choisi par le bac à sable");
    const secret = explain({ code: "wrong_secret_code", message: "", attempts_left: 1 }).lastAttempt;
    expect(secret).toContain("Il vous reste 1 essai : une nouvelle erreur bloquera votre Identité Numérique");
    expect(explain({ code: "wrong_secret_code", message: "", attempts_left: 2 }).lastAttempt, "two left: no warning yet").toBeNull();
    expect(explain({ code: "code_expired", message: "", attempts_left: 1 }).lastAttempt, "nothing to lock").toBeNull();
  });
});
