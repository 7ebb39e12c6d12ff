import { describe, expect, it } from "vitest";
import { parseFrame, PreviewStats } from "./preview";

function message(header: object, jpeg: number[]): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(4 + json.length + jpeg.length);
  new DataView(bytes.buffer).setUint32(0, json.length, true);
  bytes.set(json, 4);
  bytes.set(jpeg, 4 + json.length);
  return bytes.buffer;
}

describe("preview frames", () => {
  it("splits the header from the JPEG bytes", () => {
    const header = { seq: 3, captured_at_ms: 10, width: 1280, height: 720, hint: null, steady: 2, taken: null };
    const parsed = parseFrame(message(header, [0xff, 0xd8, 0xff]));
    expect(parsed.header.seq).toBe(3);
    expect(parsed.header.hint).toBeNull();
    expect([...parsed.jpeg]).toEqual([0xff, 0xd8, 0xff]);
  });

  it("counts the frames drawn during the last second and their mean delay", () => {
    const stats = new PreviewStats();
    for (let index = 0; index < 50; index += 1) {
      const drawn = 1000 + index * 40;
      stats.record(drawn - 30, drawn);
    }
    expect(stats.fps).toBe(25);
    expect(stats.delayMs).toBe(30);
  });
});
