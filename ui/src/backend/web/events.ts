// Live updates from the world: the `learner` server-sent events of
// `GET /api/learners/{id}/events`, read as crates/api's LearnerEvents reads them. `EventSource`
// cannot send the credential (`Authorization: Bearer`), so the stream is read with fetch; each
// event carries the learner's whole view, so a reader that missed some loses nothing.
import type { LearnerView } from "../types";
import { answer, WorldError, type WorldClient } from "./client";
import { deviceMessage } from "./fr";

/** Cuts the complete events off `buffer` (each ended by a blank line); the rest waits. */
export function takeEventBlocks(buffer: string): { blocks: string[]; rest: string } {
  const normalised = buffer.replace(/\r\n/g, "\n");
  const parts = normalised.split("\n\n");
  const rest = parts.pop() ?? "";
  return { blocks: parts, rest };
}

/** A `learner` event's view; `null` for comments (keep-alive) and other events. */
export function parseLearnerEvent(block: string): LearnerView | null {
  let name = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) name = line.slice("event:".length).trim();
    else if (line.startsWith("data:")) {
      const value = line.slice("data:".length);
      data.push(value.startsWith(" ") ? value.slice(1) : value);
    }
  }
  if (name !== "learner" || data.length === 0) return null;
  try {
    return JSON.parse(data.join("\n")) as LearnerView;
  } catch {
    throw new WorldError("protocol", deviceMessage("protocol"), null);
  }
}

/**
 * Opens the learner's stream and calls `onView` for each view until the world closes it (the
 * promise then resolves) or the stream breaks (it rejects). A refusal to open it (a credential
 * that ended) rejects with the world's refusal; `signal` stops it quietly.
 */
export async function followLearnerEvents(
  client: WorldClient,
  learnerId: string,
  onView: (view: LearnerView) => void,
  signal: AbortSignal,
): Promise<void> {
  const response = await client.open(`/api/learners/${encodeURIComponent(learnerId)}/events`, {
    headers: { accept: "text/event-stream" },
    signal,
  });
  if (!response.ok) {
    await answer(response);
    return;
  }
  if (response.body === null) throw new WorldError("protocol", deviceMessage("protocol"), null);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      const { blocks, rest } = takeEventBlocks(buffer + value);
      buffer = rest;
      for (const block of blocks) {
        const view = parseLearnerEvent(block);
        if (view !== null) onView(view);
      }
    }
  } finally {
    reader.releaseLock();
  }
}
