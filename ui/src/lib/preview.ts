// The live preview's frames: parsing the raw channel messages of src-tauri/src/preview.rs and
// measuring what the screen delivers (frames per second, capture-to-screen delay).
import type { components } from "../backend/wire";

export type PreviewFrame = components["schemas"]["PreviewFrame"];

export interface ParsedFrame {
  header: PreviewFrame;
  jpeg: Uint8Array<ArrayBuffer>;
}

/** One message = u32 little-endian header length + JSON header + JPEG bytes. */
export function parseFrame(message: ArrayBuffer): ParsedFrame {
  const view = new DataView(message);
  const length = view.getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(message, 4, length))) as PreviewFrame;
  return { header, jpeg: new Uint8Array(message, 4 + length) };
}

/** Frames drawn over the last second and the mean delay from capture to drawing. */
export class PreviewStats {
  private readonly drawnAt: number[] = [];
  private readonly delays: number[] = [];
  private readonly receivedAt: number[] = [];

  /** A message arrived from Rust (drawn or not: frames that arrive while one decodes are dropped). */
  receive(atMs: number): void {
    this.receivedAt.push(atMs);
    while (this.receivedAt.length > 0 && (this.receivedAt[0] ?? 0) <= atMs - 1000) this.receivedAt.shift();
  }

  /** Messages received per second, over the last second. */
  get receivedFps(): number {
    return this.receivedAt.length;
  }

  record(capturedAtMs: number, drawnAtMs: number): void {
    this.drawnAt.push(drawnAtMs);
    this.delays.push(drawnAtMs - capturedAtMs);
    while (this.drawnAt.length > 0 && (this.drawnAt[0] ?? 0) <= drawnAtMs - 1000) {
      this.drawnAt.shift();
      this.delays.shift();
    }
  }

  /** Frames per second over the last second. */
  get fps(): number {
    return this.drawnAt.length;
  }

  /** Mean capture-to-screen delay over the last second, in milliseconds. */
  get delayMs(): number {
    if (this.delays.length === 0) return 0;
    return Math.round(this.delays.reduce((sum, delay) => sum + delay, 0) / this.delays.length);
  }
}
