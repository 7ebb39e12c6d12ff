// The phone's camera in the browser, for the document photos: `getUserMedia` (the back camera
// when there is one), frames sent to the photo screen in the app's preview format (u32 header
// length, JSON `PreviewFrame`, JPEG: src-tauri/src/preview.rs), and the photo taken by hand or
// automatically. The guidance is the app's Rust (idn-capture), run by the world on each small
// preview frame (`POST /api/learners/{id}/guidance`, one frame in flight at a time): its hint is
// shown on the next frames, and its auto-capture takes the full-size photo.
import type { components } from "../wire";
import type { CaptureHint, GuidanceView } from "./api";
import { deviceError } from "./fr";

type PreviewFrame = components["schemas"]["PreviewFrame"];
type TakenBy = components["schemas"]["TakenBy"];

/** Preview frames: small and cheap, about 8 a second; the same JPEG goes to the world's guidance
 * (it takes up to 48 kB). */
const PREVIEW_WIDTH = 480;
const FRAME_INTERVAL_MS = 120;
const PREVIEW_QUALITY = 0.6;
/** The photo sent: the camera's full picture, as the app's document stills. */
const PHOTO_QUALITY = 0.9;

/** What the person does until the world's guidance answers (or when it cannot). */
const INSTRUCTION = {
  code: "frame_and_take",
  message: "Cadrez toute la pièce, bien à plat et sans reflet, puis touchez « Prendre la photo ».",
};

/** The browser's refusals of the camera, as the app's capture errors name them. */
function cameraError(raw: unknown): Error {
  const name = raw instanceof DOMException ? raw.name : "";
  switch (name) {
    case "NotFoundError":
    case "OverconstrainedError":
      return deviceError("no_camera_here");
    case "NotAllowedError":
    case "SecurityError":
      return deviceError("camera_denied");
    default:
      return deviceError("camera_unavailable");
  }
}

function encode(header: PreviewFrame, jpeg: ArrayBuffer): ArrayBuffer {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const message = new Uint8Array(4 + json.length + jpeg.byteLength);
  new DataView(message.buffer).setUint32(0, json.length, true);
  message.set(json, 4);
  message.set(new Uint8Array(jpeg), 4 + json.length);
  return message.buffer;
}

function jpegOf(canvas: HTMLCanvasElement, quality: number): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob === null ? reject(new Error("no JPEG")) : resolve(blob)), "image/jpeg", quality),
  );
}

/** The world's guidance on one preview frame (JPEG), given the previous answer's `steady`. */
export type Guide = (jpeg: ArrayBuffer, steady: number) => Promise<GuidanceView>;

/** One preview at a time, as the app's. */
export class BrowserCamera {
  #stream: MediaStream | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #still: ArrayBuffer | null = null;

  /** Opens the camera and sends frames until the photo is taken or the preview stops; `guide`
   * evaluates frames (without it, the instruction to frame and take the photo stays). */
  async start(frames: (frame: ArrayBuffer) => void, guide: Guide | null = null): Promise<void> {
    this.stop();
    this.#still = null;
    const media = globalThis.navigator?.mediaDevices;
    if (media?.getUserMedia === undefined) throw deviceError("no_camera_here");
    let stream: MediaStream;
    try {
      stream = await media.getUserMedia({
        audio: false,
        video: { facingMode: { ideal: "environment" }, width: { ideal: 1920 }, height: { ideal: 1080 } },
      });
    } catch (raw) {
      throw cameraError(raw);
    }
    this.#stream = stream;
    const video = document.createElement("video");
    video.muted = true;
    video.playsInline = true;
    video.srcObject = stream;
    await video.play();
    const canvas = document.createElement("canvas");
    let seq = 0;
    let encoding = false;
    let taking = false;
    let asking = false;
    /** The world's latest answer (`null` until the first). */
    let latest: GuidanceView | null = null;
    const hintOf = (answer: GuidanceView | null): CaptureHint | null =>
      answer === null ? INSTRUCTION : answer.hint;
    const ask = (jpeg: ArrayBuffer) => {
      if (guide === null || asking || taking) return;
      asking = true;
      guide(jpeg, latest?.steady ?? 0)
        .then((answer) => {
          if (this.#stream !== stream) return;
          latest = answer;
          if (answer.capture) void take("automatic");
        })
        // Unreachable, throttled: this frame has no guidance; the next one asks again.
        .catch((error: unknown) => console.warn("guidance unavailable for a preview frame", error))
        .finally(() => (asking = false));
    };
    const send = async (taken: TakenBy | null) => {
      const scale = Math.min(1, PREVIEW_WIDTH / video.videoWidth);
      canvas.width = Math.round(video.videoWidth * scale);
      canvas.height = Math.round(video.videoHeight * scale);
      canvas.getContext("2d")?.drawImage(video, 0, 0, canvas.width, canvas.height);
      const capturedAt = Date.now();
      const jpeg = await (await jpegOf(canvas, PREVIEW_QUALITY)).arrayBuffer();
      const header: PreviewFrame = {
        seq: seq++,
        captured_at_ms: capturedAt,
        width: canvas.width,
        height: canvas.height,
        hint: taken ? (latest?.hint ?? null) : hintOf(latest),
        steady: latest?.steady ?? 0,
        taken,
      };
      frames(encode(header, jpeg));
      if (taken === null) ask(jpeg);
    };
    this.#timer = setInterval(() => {
      if (encoding || taking || video.readyState < 2 || video.videoWidth === 0) return;
      encoding = true;
      void send(null).finally(() => (encoding = false));
    }, FRAME_INTERVAL_MS);
    const take = async (by: TakenBy) => {
      if (taking || video.videoWidth === 0) return;
      taking = true;
      const full = document.createElement("canvas");
      full.width = video.videoWidth;
      full.height = video.videoHeight;
      full.getContext("2d")?.drawImage(video, 0, 0);
      this.#still = await (await jpegOf(full, PHOTO_QUALITY)).arrayBuffer();
      // The last frame says the photo was taken: the screen then offers to use it.
      await send(by);
      this.stop();
    };
    this.#take = () => take("manual");
  }

  #take: () => Promise<void> = async () => {};

  /** « Prendre la photo ». */
  take(): Promise<void> {
    return this.#take();
  }

  /** The photo taken, once. */
  takeStill(): ArrayBuffer | null {
    const still = this.#still;
    this.#still = null;
    return still;
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    for (const track of this.#stream?.getTracks() ?? []) track.stop();
    this.#stream = null;
    this.#take = async () => {};
  }
}
