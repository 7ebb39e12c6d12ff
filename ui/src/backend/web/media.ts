// Photos chosen in the phone's gallery, as the world takes them: JPEG or PNG. Those go as they
// are (the app re-encodes its camera frames, not a file the person chose); another image the
// browser can read (WebP, HEIC where Safari reads it) is drawn once and encoded as JPEG.
import { deviceError } from "./fr";

/** JPEG's start of image. */
export function isJpeg(bytes: ArrayBuffer): boolean {
  const head = new Uint8Array(bytes, 0, Math.min(3, bytes.byteLength));
  return head.length === 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff;
}

/** The same quality as the app's document stills (`JpegQuality::DOCUMENT`, about 0.9). */
const QUALITY = 0.9;

/** PNG's signature. */
export function isPng(bytes: ArrayBuffer): boolean {
  const head = new Uint8Array(bytes, 0, Math.min(4, bytes.byteLength));
  return head.length === 4 && head[0] === 0x89 && head[1] === 0x50 && head[2] === 0x4e && head[3] === 0x47;
}

/** The photo as it is uploaded, with its type. */
export async function photoForUpload(file: ArrayBuffer): Promise<{ bytes: ArrayBuffer; contentType: string }> {
  if (isJpeg(file)) return { bytes: file, contentType: "image/jpeg" };
  if (isPng(file)) return { bytes: file, contentType: "image/png" };
  return { bytes: await toJpeg(file), contentType: "image/jpeg" };
}

async function toJpeg(file: ArrayBuffer): Promise<ArrayBuffer> {
  try {
    const bitmap = await createImageBitmap(new Blob([file]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext("2d");
    if (context === null) throw new Error("no 2D context");
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
    return await blob.arrayBuffer();
  } catch {
    throw deviceError("image_unreadable");
  }
}
