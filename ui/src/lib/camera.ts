// Which camera the capture screens film with: the device's own, as on a real phone, unless the
// device has none (learnt from the first attempt, told to the learner once) or the trainer chose
// the training camera (« Options du formateur »). Rust lists no cameras: trying one is asking.

/** What the screens send to Rust: the sandbox's training camera or the device's camera. */
export type CameraSource = "synthetic" | "camera";

/** What the app knows of its device's camera: nothing until a capture has tried it. */
export type CameraPresence = "unknown" | "present" | "absent";

/** Rust's code for « nothing to film with » (crates/capture `CaptureError::NoCamera`). A camera
 * that exists but is busy or refused (`camera_unavailable`) is a real failure to show instead. */
const NO_CAMERA = "no_camera";

/** The camera a capture starts with, as a phone does: its own camera, unless it has none. */
export function defaultSource(presence: CameraPresence): CameraSource {
  switch (presence) {
    case "unknown":
    case "present":
      return "camera";
    case "absent":
      return "synthetic";
  }
}

/** A simulated mistake (« Reflet », « Ne rien dire »…) exists only on the training camera. */
export function sourceFor(chosen: CameraSource, mistake: string): CameraSource {
  return mistake === "" ? chosen : "synthetic";
}

/** What this app has learnt about its device's camera while it runs, shared by every capture
 * screen so that the missing camera is told once, not on each side of the document. */
export class CameraKnowledge {
  presence: CameraPresence = "unknown";
  private told = false;

  /** A capture filmed with the device's camera. */
  found(): void {
    this.presence = "present";
  }

  /** Opening the device's camera found none. True the first time only: tell the learner then. */
  missing(): boolean {
    this.presence = "absent";
    const tell = !this.told;
    this.told = true;
    return tell;
  }
}

/** This app's device: one camera, known for as long as the app runs. */
export const deviceCamera = new CameraKnowledge();

/** A capture started, with the camera it ended up filming with. */
export interface Filmed<T> {
  value: T;
  source: CameraSource;
  /** The device has no camera and the learner has not been told yet. */
  tell: boolean;
}

/**
 * Starts a capture with `source`; when that is the device's camera and the device has none, starts
 * it again with the training camera (what the sandbox offers instead of a dead end). Other
 * failures are the capture's own and are thrown as they are.
 */
export async function filmWith<T>(
  source: CameraSource,
  knowledge: CameraKnowledge,
  start: (source: CameraSource) => Promise<T>,
): Promise<Filmed<T>> {
  if (source === "synthetic") return { value: await start("synthetic"), source, tell: false };
  try {
    const value = await start("camera");
    knowledge.found();
    return { value, source: "camera", tell: false };
  } catch (error) {
    if (codeOf(error) !== NO_CAMERA) throw error;
    const tell = knowledge.missing();
    return { value: await start("synthetic"), source: "synthetic", tell };
  }
}

function codeOf(error: unknown): string | null {
  if (typeof error !== "object" || error === null || !("code" in error)) return null;
  return typeof error.code === "string" ? error.code : null;
}
