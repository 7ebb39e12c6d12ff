// The video in the browser: the phone's front camera and microphone through `getUserMedia`,
// recorded with `MediaRecorder` in what the browser records — WebM (VP8/VP9 + Opus) on Chrome and
// Android, MP4 (H.264 + AAC) on Safari and iOS. The world makes the machine checks on the file
// (crates/capture `inspect_video`), as on the app's own MP4.
import { deviceError } from "./fr";

/** Tried in order; the first the browser records is used. The world reads every one. */
export const RECORDING_TYPES = [
  "video/webm;codecs=vp8,opus",
  "video/webm;codecs=vp9,opus",
  "video/webm",
  "video/mp4;codecs=avc1.42E01E,mp4a.40.2",
  "video/mp4;codecs=avc1,mp4a.40.2",
  "video/mp4",
] as const;

/** The media type to record in, or `null` when the browser records none of them. */
export function recordingType(isTypeSupported: (type: string) => boolean): string | null {
  return RECORDING_TYPES.find((type) => isTypeSupported(type)) ?? null;
}

/** What the world is told the file is: the container, without codecs. */
export function containerOf(type: string): "video/webm" | "video/mp4" {
  return type.startsWith("video/webm") ? "video/webm" : "video/mp4";
}

/** A recording made in the page. */
export interface BrowserRecording {
  bytes: ArrayBuffer;
  /** `video/webm` or `video/mp4`. */
  contentType: string;
  durationMs: number;
}

/** Which permission the browser refused, when it says (Permissions API; not every browser). */
async function refused(name: "camera" | "microphone"): Promise<boolean> {
  try {
    const status = await navigator.permissions.query({ name: name as PermissionName });
    return status.state === "denied";
  } catch {
    return false;
  }
}

/** The device has no input of this kind at all. */
async function missing(kind: MediaDeviceKind): Promise<boolean> {
  try {
    return !(await navigator.mediaDevices.enumerateDevices()).some((device) => device.kind === kind);
  } catch {
    return false;
  }
}

/** The browser's refusals, as the app's capture errors name them (the microphone apart). */
export async function recordingError(raw: unknown): Promise<Error> {
  const name = raw instanceof DOMException ? raw.name : "";
  switch (name) {
    case "NotFoundError":
    case "OverconstrainedError":
      if (await missing("audioinput")) return deviceError("no_microphone");
      return deviceError("no_camera_here_video");
    case "NotAllowedError":
    case "SecurityError":
      if (await refused("microphone")) return deviceError("microphone_denied");
      return deviceError("camera_denied_video");
    default:
      return deviceError("camera_unavailable");
  }
}

/** Films `seconds` seconds with the front camera and the microphone. */
export async function recordVideo(seconds: number): Promise<BrowserRecording> {
  const media = globalThis.navigator?.mediaDevices;
  if (media?.getUserMedia === undefined) throw deviceError("no_camera_here_video");
  if (typeof MediaRecorder === "undefined") throw deviceError("recording_unsupported");
  const type = recordingType((candidate) => MediaRecorder.isTypeSupported(candidate));
  if (type === null) throw deviceError("recording_unsupported");
  let stream: MediaStream;
  try {
    stream = await media.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true },
      video: { facingMode: { ideal: "user" }, width: { ideal: 1280 }, height: { ideal: 720 } },
    });
  } catch (raw) {
    throw await recordingError(raw);
  }
  try {
    if (stream.getAudioTracks().length === 0) throw deviceError("no_microphone");
    const recorder = new MediaRecorder(stream, {
      mimeType: type,
      videoBitsPerSecond: 1_500_000,
      audioBitsPerSecond: 64_000,
    });
    const chunks: Blob[] = [];
    recorder.ondataavailable = (event) => {
      if (event.data.size > 0) chunks.push(event.data);
    };
    const stopped = new Promise<void>((resolve, reject) => {
      recorder.onstop = () => resolve();
      recorder.onerror = () => reject(deviceError("recording_failed"));
    });
    const started = performance.now();
    recorder.start(1000);
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    recorder.stop();
    await stopped;
    const blob = new Blob(chunks, { type: recorder.mimeType || type });
    return {
      bytes: await blob.arrayBuffer(),
      contentType: containerOf(recorder.mimeType || type),
      durationMs: Math.round(performance.now() - started),
    };
  } finally {
    for (const track of stream.getTracks()) track.stop();
  }
}
