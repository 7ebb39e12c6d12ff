import { describe, expect, it } from "vitest";
import { timelineRows } from "./timeline";

const at = "2026-12-04T10:00:00Z";
const entry = (label: string) => ({ at, label });

describe("the tracking page's timeline", () => {
  it("shows the entries reached, the last one current, then the ones to come", () => {
    const rows = timelineRows({
      timeline: [entry("Email de notification remis"), entry("Identification en cours de traitement")],
      upcoming: ["Identification acceptée", "Email de notification remis"],
    });
    expect(rows.map((row) => `${row.state} ${row.label}`)).toEqual([
      "done Email de notification remis",
      "current Identification en cours de traitement",
      "upcoming Identification acceptée",
      "upcoming Email de notification remis",
    ]);
    expect(rows.filter((row) => row.state === "upcoming").every((row) => row.at === null)).toBe(true);
  });

  it("marks nothing current once nothing is to come (decided and notified, or refused)", () => {
    const rows = timelineRows({ timeline: [entry("Identification refusée"), entry("Email de notification remis")], upcoming: [] });
    expect(rows.map((row) => row.state)).toEqual(["done", "done"]);
  });
});
