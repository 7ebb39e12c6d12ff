import { describe, expect, it } from "vitest";
import { CameraKnowledge, defaultSource, filmWith, sourceFor, type CameraSource } from "./camera";

/** A capture whose device camera answers like Rust does: `no_camera` on a machine without one. */
function device({ camera }: { camera: "present" | "absent" | "busy" }) {
  const tried: CameraSource[] = [];
  const start = async (source: CameraSource) => {
    tried.push(source);
    if (source === "camera" && camera === "absent") throw { code: "no_camera", message: "Aucune caméra n'a été trouvée." };
    if (source === "camera" && camera === "busy") throw { code: "camera_unavailable", message: "Caméra occupée." };
    return `filmed with ${source}`;
  };
  return { tried, start };
}

describe("the camera a capture films with", () => {
  it("is the device's own camera until the app knows the device has none, as on a phone", () => {
    expect(defaultSource("unknown")).toBe("camera");
    expect(defaultSource("present")).toBe("camera");
    expect(defaultSource("absent")).toBe("synthetic");
  });

  it("is the training camera when the trainer simulates a mistake (only it can film one)", () => {
    expect(sourceFor("camera", "glare")).toBe("synthetic");
    expect(sourceFor("camera", "")).toBe("camera");
    expect(sourceFor("synthetic", "")).toBe("synthetic");
  });

  it("falls back to the training camera on a device without camera, told to the learner once", async () => {
    const knowledge = new CameraKnowledge();
    const phone = device({ camera: "absent" });
    const first = await filmWith(defaultSource(knowledge.presence), knowledge, phone.start);
    expect(first).toEqual({ value: "filmed with synthetic", source: "synthetic", tell: true });
    expect(phone.tried).toEqual(["camera", "synthetic"]);
    expect(knowledge.presence).toBe("absent");

    // The back of the document, the video: the training camera at once, and nothing said again.
    const second = await filmWith(defaultSource(knowledge.presence), knowledge, phone.start);
    expect(second.tell).toBe(false);
    expect(phone.tried).toEqual(["camera", "synthetic", "synthetic"]);
    const chosenAgain = await filmWith("camera", knowledge, phone.start);
    expect(chosenAgain).toEqual({ value: "filmed with synthetic", source: "synthetic", tell: false });
  });

  it("keeps the device's camera when it has one, and says nothing", async () => {
    const knowledge = new CameraKnowledge();
    const phone = device({ camera: "present" });
    expect(await filmWith("camera", knowledge, phone.start)).toEqual({ value: "filmed with camera", source: "camera", tell: false });
    expect(knowledge.presence).toBe("present");
    expect(defaultSource(knowledge.presence)).toBe("camera");
  });

  it("shows a busy or refused camera as the failure it is, without filming something else", async () => {
    const knowledge = new CameraKnowledge();
    const phone = device({ camera: "busy" });
    await expect(filmWith("camera", knowledge, phone.start)).rejects.toMatchObject({ code: "camera_unavailable" });
    expect(phone.tried).toEqual(["camera"]);
    expect(knowledge.presence).toBe("unknown");
  });

  it("never tries the device's camera when the trainer chose the training camera", async () => {
    const knowledge = new CameraKnowledge();
    const phone = device({ camera: "absent" });
    expect(await filmWith("synthetic", knowledge, phone.start)).toEqual({ value: "filmed with synthetic", source: "synthetic", tell: false });
    expect(phone.tried).toEqual(["synthetic"]);
    expect(knowledge.presence).toBe("unknown");
  });
});
