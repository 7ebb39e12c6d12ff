// The browser films in what it records and tells the world the container: WebM on Chrome and
// Android, MP4 on Safari and iOS, nothing (the import instead) where MediaRecorder records neither.
import { describe, expect, it } from "vitest";
import { containerOf, recordingType } from "./recorder";

describe("the recording's type", () => {
  it("is WebM with VP8 and Opus where Chrome records it", () => {
    const chrome = new Set(["video/webm", "video/webm;codecs=vp8,opus", "video/webm;codecs=vp9,opus"]);
    const type = recordingType((candidate) => chrome.has(candidate));
    expect(type).toBe("video/webm;codecs=vp8,opus");
    expect(containerOf(type ?? "")).toBe("video/webm");
  });

  it("is MP4 with H.264 and AAC where Safari records only that", () => {
    const safari = new Set(["video/mp4", "video/mp4;codecs=avc1,mp4a.40.2"]);
    const type = recordingType((candidate) => safari.has(candidate));
    expect(type).toBe("video/mp4;codecs=avc1,mp4a.40.2");
    expect(containerOf(type ?? "")).toBe("video/mp4");
  });

  it("is none where the browser records no format the world reads", () => {
    expect(recordingType((candidate) => candidate === "video/x-matroska")).toBeNull();
  });
});
