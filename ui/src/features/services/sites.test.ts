import { describe, expect, it } from "vitest";
import { siteOf } from "./sites";

describe("the site a login starts again on", () => {
  it("is the service's own simulated site, by the name the world gives the request", () => {
    expect(siteOf("Mon Compte Formation")).toBe("mon_compte_formation");
    expect(siteOf("Mon Compte Élu")).toBe("mon_compte_elu");
  });

  it("is none for a service without a training site, or an unknown one", () => {
    expect(siteOf("impots.gouv.fr")).toBeNull();
    expect(siteOf("Un autre service")).toBeNull();
  });
});
