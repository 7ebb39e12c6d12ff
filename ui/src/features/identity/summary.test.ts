import { describe, expect, it } from "vitest";
import type { IdentitySummary } from "../../backend";
import { confirmationRows, nationalityName } from "./summary";

const identity: IdentitySummary = {
  document_type: "Carte nationale d'identité",
  document_kind: "cni",
  sex: "male",
  given_names: ["Camille", "Marie"],
  birth_name: "Martin",
  usage_name: null,
  birth_date: "1990-04-12",
  birthplace: "Nantes (44109)",
  birth_country: "99100",
  nationality: "FRA",
  issue_date: "2023-05-10",
  expiry_date: "2033-05-09",
  document_number_ending: "X4B2",
};

describe("« Confirmation de vos informations » as 003 shows it", () => {
  it("shows Sexe and Date d'émission, in the guide's order", () => {
    const rows = confirmationRows(identity);
    expect(rows.map(([label]) => label)).toEqual([
      "Pièce d'identité",
      "Sexe",
      "Prénom(s)",
      "Nom de naissance",
      "Date de naissance",
      "Nationalité",
      "Date d'émission",
      "Date d'expiration",
      "Lieu de naissance",
      "4 derniers caractères de la pièce",
    ]);
    const value = new Map(rows);
    expect(value.get("Sexe")).toBe("Homme");
    expect(value.get("Date d'émission")).toBe("10 mai 2023");
    expect(value.get("Nationalité")).toBe("Française");
    expect(value.get("Lieu de naissance")).toBe("Nantes (44109) / France");
  });

  it("says Femme for a woman, and shows a usage name only when there is one", () => {
    expect(new Map(confirmationRows({ ...identity, sex: "female" })).get("Sexe")).toBe("Femme");
    expect(new Map(confirmationRows({ ...identity, usage_name: "Durand" })).get("Nom d'usage")).toBe("Durand");
  });

  it("keeps a titre de séjour holder's nationality and a birth country abroad as their codes", () => {
    expect(nationalityName("fra")).toBe("Française");
    expect(nationalityName("SEN")).toBe("SEN");
    const abroad = new Map(confirmationRows({ ...identity, birthplace: "", birth_country: "99341" }));
    expect(abroad.get("Lieu de naissance")).toBe("99341");
  });
});
