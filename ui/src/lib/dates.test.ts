import { describe, expect, it, vi } from "vitest";
import { CLASS_TIME_ZONE, formatDay, formatInstant } from "./dates";

describe("formatInstant", () => {
  it("reads a winter instant in Paris time, one hour ahead of UTC, like the email", () => {
    // The email of a code received at 07:17 UTC says 08:17; the screen must say the same.
    expect(formatInstant("2026-12-03T07:17:00Z")).toBe("3 décembre 2026 à 08:17");
  });

  it("reads a summer instant in Paris summer time, two hours ahead of UTC", () => {
    expect(formatInstant("2026-07-15T07:17:00Z")).toBe("15 juillet 2026 à 09:17");
  });

  it("puts a late UTC evening on the next day, as in Paris", () => {
    expect(formatInstant("2026-12-31T23:30:00Z")).toBe("1 janvier 2027 à 00:30");
  });

  it("reads the same whatever zone the device is set to", () => {
    vi.stubEnv("TZ", "America/New_York");
    try {
      // The device now reads 02:17 for that instant; the screen still says Paris's 08:17.
      expect(new Date("2026-12-03T07:17:00Z").getHours()).toBe(2);
      expect(formatInstant("2026-12-03T07:17:00Z")).toBe("3 décembre 2026 à 08:17");
      expect(CLASS_TIME_ZONE).toBe("Europe/Paris");
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("leaves text that is not an instant as it is", () => {
    expect(formatInstant("bientôt")).toBe("bientôt");
  });
});

describe("formatDay", () => {
  it("reads a calendar date without moving it across midnight", () => {
    expect(formatDay("1990-05-17")).toBe("17 mai 1990");
  });
});
