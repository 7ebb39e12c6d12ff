import { describe, expect, it } from "vitest";
import { joinedMessage } from "./joined";

describe("« Rejoindre une classe » confirmed", () => {
  it("names the class the trainer gave the world", () => {
    expect(joinedMessage({ class_name: "Salle 12 — mardi matin" })).toBe(
      "Vous avez rejoint la classe « Salle 12 — mardi matin ».",
    );
  });

  it("still confirms a class whose world has no name", () => {
    expect(joinedMessage({})).toBe("Vous avez rejoint la classe de votre formateur.");
    expect(joinedMessage({ class_name: null })).toBe("Vous avez rejoint la classe de votre formateur.");
  });
});
