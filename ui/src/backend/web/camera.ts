// The phone's camera in the browser, for the document photos: `getUserMedia` (the back camera
// when there is one), frames sent to the photo screen in the app's preview format (u32 header
// length, JSON `PreviewFrame`, JPEG: src-tauri/src/preview.rs), and the photo taken by hand.
// The guidance and auto-capture are the app's Rust (idn-capture); in the browser they come with
// the world evaluating frames (issue 17, item 3): until then each frame carries the instruction to
// frame the document and take the photo, never « all good ».
import type { components } from "../wire";
import { deviceError } from "./fr";

type PreviewFrame = components["schemas"]["PreviewFrame"];
type TakenBy = components["schemas"]["TakenBy"];

/** Preview frames: small and cheap, about 8 a second. */
const PREVIEW_WIDTH = 640;
const FRAME_INTERVAL_MS = 120;
const PREVIEW_QUALITY = 0.6;
/** The photo sent: the camera's full picture, as the app's document stills. */
const PHOTO_QUALITY = 0.9;

/** What the person does while no guidance is measured in the browser. */
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

/** One preview at a time, as the app's. */
export class BrowserCamera {
  #stream: MediaStream | null = null;
  #timer: ReturnType<typeof setInterval> | null = null;
  #still: ArrayBuffer | null = null;

  /** Opens the camera and sends frames until the photo is taken or the preview stops. */
  async start(frames: (frame: ArrayBuffer) => void): Promise<void> {
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
        hint: taken ? null : INSTRUCTION,
        steady: 0,
        taken,
      };
      frames(encode(header, jpeg));
    };
    this.#timer = setInterval(() => {
      if (encoding || taking || video.readyState < 2 || video.videoWidth === 0) return;
      encoding = true;
      void send(null).finally(() => (encoding = false));
    }, FRAME_INTERVAL_MS);
    this.#take = async () => {
      if (taking || video.videoWidth === 0) return;
      taking = true;
      const full = document.createElement("canvas");
      full.width = video.videoWidth;
      full.height = video.videoHeight;
      full.getContext("2d")?.drawImage(video, 0, 0);
      this.#still = await (await jpegOf(full, PHOTO_QUALITY)).arrayBuffer();
      // The last frame says the photo was taken: the screen then offers to use it.
      await send("manual");
      this.stop();
    };
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
