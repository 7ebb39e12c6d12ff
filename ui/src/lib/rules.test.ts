import { describe, expect, it } from "vitest";
import schema from "../backend/wire-schema.json";
import type { Step } from "../backend";
import {
  allPassed,
  dateMask,
  dateProblem,
  frenchDateToIso,
  digitsOnly,
  internationalNumber,
  numberEndingProblem,
  passwordChecks,
  pinPadPress,
  secondsLeft,
  secretCodeHint,
  smsCodeMask,
  splitGivenNames,
  isLastAttempt,
  stepIndicator,
  unreadCount,
} from "./rules";

describe("password rule shown as the person types", () => {
  it("ticks each line independently", () => {
    expect(passwordChecks("abc")).toEqual({ length: false, upper: false, lower: true, digit: false });
    expect(passwordChecks("Abcdefg1")).toEqual({ length: true, upper: true, lower: true, digit: true });
  });
  it("counts accented capitals as uppercase letters", () => {
    expect(passwordChecks("Élodie2026").upper).toBe(true);
    expect(allPassed(passwordChecks("Élodie2026"))).toBe(true);
  });
});

describe("input masks", () => {
  it("keeps six digits of an emailed code, whatever is pasted", () => {
    expect(digitsOnly(" 12 34-567 ", 6)).toBe("123456");
  });
  it("keeps four letters or digits of the SMS code, in capitals", () => {
    expect(smsCodeMask("a7-k2x")).toBe("A7K2");
  });
  it("drops the national 0 after the country prefix", () => {
    expect(internationalNumber("+33", "06 39 98 00 42")).toBe("+33639980042");
    expect(internationalNumber("+262", "0692 12 34 56")).toBe("+262692123456");
    expect(internationalNumber("+33", "+41791234567")).toBe("+41791234567");
  });
  it("splits given names on commas and keeps their order", () => {
    expect(splitGivenNames("Marie-Anne, Louise ,")).toEqual(["Marie-Anne", "Louise"]);
  });
});

describe("secret code on the PIN pad", () => {
  it("stops at 4 digits and erases the last one", () => {
    let code = "";
    for (const key of ["1", "2", "3", "4", "5"]) code = pinPadPress(code, key);
    expect(code).toBe("1234");
    expect(pinPadPress(code, "backspace")).toBe("123");
  });
  it("hints at repeated digits, the guides' rule", () => {
    expect(secretCodeHint("12")).toBe("incomplete");
    expect(secretCodeHint("1123")).toBe("repeated_digit");
    expect(secretCodeHint("2580")).toBeNull();
  });
});

describe("time left to approve a login", () => {
  it("counts down from the world's figure and never below zero", () => {
    expect(secondsLeft(58, 1_000, 1_000)).toBe(58);
    expect(secondsLeft(58, 1_000, 11_500)).toBe(48);
    expect(secondsLeft(58, 1_000, 100_000)).toBe(0);
  });
  it("never shows more than the one minute allowed", () => {
    expect(secondsLeft(75, 0, 0)).toBe(60);
  });
});

describe("identity form inline checks", () => {
  it("accepts only real calendar dates", () => {
    expect(dateProblem("17/05/1990")).toBeNull();
    expect(frenchDateToIso("17/05/1990")).toBe("1990-05-17");
    expect(dateProblem("30/02/1990")).toBe("date_format");
    expect(dateProblem("1990-05-17")).toBe("date_format");
    expect(dateProblem("")).toBe("required");
  });
  it("adds the slashes while a date is typed", () => {
    expect(dateMask("1705")).toBe("17/05");
    expect(dateMask("17051990")).toBe("17/05/1990");
  });
  it("wants exactly the last 4 characters of the document number", () => {
    expect(numberEndingProblem("X4B2")).toBeNull();
    expect(numberEndingProblem("X4B")).toBe("number_ending");
  });
});

/** Every Step of the wire (the generated schema of Rust's `Step`), in the journey's order. */
const STEPS = schema.components.schemas.Step.enum as Step[];

/** What the indicator lights for a step, in one word: `account:password`, `2`, or `none`. */
function lit(step: Step): string {
  const indicator = stepIndicator(step);
  if (indicator === null) return "none";
  const current = indicator.items.filter((item) => item.state === "current");
  expect(current, `${step}: exactly one mark lit`).toHaveLength(1);
  const [item] = current;
  return indicator.phase === "account" ? `account:${item?.key}` : String(item?.number);
}

describe("step indicator", () => {
  it("lights, for every step, the one the learner is on (the guides' side bar after the account)", () => {
    expect(STEPS).toHaveLength(18);
    expect(Object.fromEntries(STEPS.map((step) => [step, lit(step)]))).toEqual({
      // The La Poste account's screens: named, never numbered.
      not_started: "account:email",
      email_code: "account:email_code",
      password: "account:password",
      // « 01 Numéro de mobile »: the number, « Créer mon compte » and the SMS code after it.
      mobile: "1",
      profile: "1",
      mobile_code: "1",
      // « 02 Informations d'identité »
      identity_data: "2",
      identity_confirmation: "2",
      // « 03 Vérification de votre identité », up to the activation it ends with.
      verification_choice: "3",
      face_to_face: "3",
      postal_letter: "3",
      registered_letter: "3",
      visual_identification: "3",
      review: "3",
      identification_refused: "3",
      activation: "3",
      // Past the creation: no indicator.
      enrolled: "none",
      locked: "none",
    });
  });

  it("never lights a numbered step while the account is being created", () => {
    for (const step of STEPS) {
      const indicator = stepIndicator(step);
      if (indicator?.phase !== "account") continue;
      expect(indicator.items.every((item) => item.number === null), step).toBe(true);
    }
  });

  it("ticks the steps before the current one and only those", () => {
    for (const step of STEPS) {
      const items = stepIndicator(step)?.items ?? [];
      const at = items.findIndex((item) => item.state === "current");
      items.forEach((item, index) => {
        expect(item.state, `${step} ${item.key}`).toBe(index < at ? "done" : index === at ? "current" : "upcoming");
      });
    }
    expect(stepIndicator("identity_data")?.items.map((item) => `${item.number}:${item.state}`)).toEqual([
      "1:done",
      "2:current",
      "3:upcoming",
    ]);
    expect(stepIndicator("password")?.items.map((item) => item.state)).toEqual(["done", "done", "current"]);
  });
});

describe("last attempt", () => {
  it("warns only when the backend says one attempt is left", () => {
    expect(isLastAttempt(1)).toBe(true);
    expect(isLastAttempt(2)).toBe(false);
    expect(isLastAttempt(0)).toBe(false);
    expect(isLastAttempt(null), "no figure from the backend, no warning").toBe(false);
  });
});

describe("badge", () => {
  it("counts messages newer than the last one seen", () => {
    expect(unreadCount([1, 2, 3, 4], 2)).toBe(2);
  });
});
