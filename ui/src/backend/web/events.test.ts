// The learner's server-sent events, read as crates/api's LearnerEvents reads them.
import { describe, expect, it } from "vitest";
import { identityFromFragment } from "./index";
import { parseLearnerEvent, takeEventBlocks } from "./events";

describe("the learner's event stream", () => {
  it("skips keep-alive comments and waits for the end of a split event", () => {
    const first = takeEventBlocks(':\n\nevent: learner\ndata: {"id"');
    expect(first.blocks).toEqual([":"]);
    expect(parseLearnerEvent(first.blocks[0] ?? "")).toBeNull();
    const second = takeEventBlocks(`${first.rest}: "apprenant-1"}\r\n\r\n`);
    expect(second.rest).toBe("");
    expect(parseLearnerEvent(second.blocks[0] ?? "")).toEqual({ id: "apprenant-1" });
  });

  it("reads data split over several lines and ignores other events", () => {
    expect(parseLearnerEvent('event: learner\ndata: {"id":\ndata: "a"}')).toEqual({ id: "a" });
    expect(parseLearnerEvent('event: ping\ndata: {"id": "a"}')).toBeNull();
  });

  it("says a malformed learner event is off the protocol rather than skipping it", () => {
    expect(() => parseLearnerEvent("event: learner\ndata: {pas du json}")).toThrow(
      expect.objectContaining({ code: "protocol" }),
    );
  });
});

describe("the welcome page's QR code", () => {
  it("names the world's identity in its fragment, as idn_api::join writes it", () => {
    const id = "47DEQpj8HBSa-_TImW-5JCeuQeRkm5NMpJWZG3hSuFU";
    expect(identityFromFragment(`#ca=AAAA&id=${id}`)).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(identityFromFragment("#ca=AAAA")).toBeNull();
    expect(identityFromFragment("")).toBeNull();
    expect(identityFromFragment("#id=trop-court")).toBeNull();
  });
});
