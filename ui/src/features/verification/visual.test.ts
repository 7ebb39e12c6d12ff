import { describe, expect, it } from "vitest";
import type { PhotoUploaded } from "../../backend";
import { documentCheck, documentOrder, sidesOf } from "./visual";

const photo = (side: PhotoUploaded["side"], hint: PhotoUploaded["hint"] = null): PhotoUploaded => ({ side, media_id: `m-${side}`, hint });

describe("the document offered on « Etape 1 sur 2 »", () => {
  it("offers the declared document first, the others after in their usual order", () => {
    expect(documentOrder("titre_de_sejour")).toEqual(["titre_de_sejour", "cni", "passeport"]);
    expect(documentOrder("passeport")).toEqual(["passeport", "cni", "titre_de_sejour"]);
    expect(documentOrder(null)).toEqual(["cni", "passeport", "titre_de_sejour"]);
  });

  it("asks both faces of a card or permit, the photo page of a passport", () => {
    expect(sidesOf("cni")).toEqual(["front", "back"]);
    expect(sidesOf("titre_de_sejour")).toEqual(["front", "back"]);
    expect(sidesOf("passeport")).toEqual(["photo_page"]);
  });
});

describe("the validation message before « Continuer »", () => {
  it("names the sides still missing", () => {
    expect(documentCheck(["front", "back"], { front: photo("front") })).toEqual({ state: "missing", missing: ["back"] });
  });

  it("says the document is conforming when no upload returned a hint", () => {
    expect(documentCheck(["front", "back"], { front: photo("front"), back: photo("back") })).toEqual({ state: "conforming" });
  });

  it("shows the hints the uploads returned instead of « conforme »", () => {
    const glare = { code: "glare", message: "Reflet détecté" };
    expect(documentCheck(["front", "back"], { front: photo("front", glare), back: photo("back") })).toEqual({
      state: "to_check",
      hints: [{ side: "front", message: "Reflet détecté" }],
    });
  });

  it("ignores a photo of a side the chosen document does not have", () => {
    expect(documentCheck(["photo_page"], { front: photo("front") })).toEqual({ state: "missing", missing: ["photo_page"] });
  });
});
