import { describe, expect, it } from "vitest";
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
  stepGroup,
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

describe("step indicator and badge", () => {
  it("groups steps as the guides number them", () => {
    expect(stepGroup("mobile_code")).toBe(1);
    expect(stepGroup("identity_confirmation")).toBe(2);
    expect(stepGroup("review")).toBe(3);
    expect(stepGroup("enrolled")).toBeNull();
  });
  it("counts messages newer than the last one seen", () => {
    expect(unreadCount([1, 2, 3, 4], 2)).toBe(2);
  });
});
