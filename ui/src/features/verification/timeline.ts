// The rows of AR24's « Suivi de votre courrier » (003): the entries the world recorded, the last
// one in bold while entries are still to come, then those to come, greyed. The labels are the
// world's; this only decides how each row is shown.
import type { RegisteredLetterView } from "../../backend";

export interface TimelineRow {
  label: string;
  /** When the entry was reached; null for an entry still to come. */
  at: string | null;
  state: "done" | "current" | "upcoming";
}

export function timelineRows(letter: Pick<RegisteredLetterView, "timeline" | "upcoming">): TimelineRow[] {
  const waiting = letter.upcoming.length > 0;
  const reached = letter.timeline.map((entry, index): TimelineRow => ({
    label: entry.label,
    at: entry.at,
    state: waiting && index === letter.timeline.length - 1 ? "current" : "done",
  }));
  return [...reached, ...letter.upcoming.map((label): TimelineRow => ({ label, at: null, state: "upcoming" }))];
}
