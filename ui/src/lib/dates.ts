// Dates and times as French people read them, in the class's time zone whatever the phone's or
// computer's: the simulated services are French, and a screen must read like the emails and SMS
// (rendered in the same zone by the world).

/** The class's time zone: the world's `idn_journey::rules::CLASS_TIME_ZONE` (the session view
 * does not carry it; the sandbox sets it once). */
export const CLASS_TIME_ZONE = "Europe/Paris";

const day = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: CLASS_TIME_ZONE });
const dayTime = new Intl.DateTimeFormat("fr-FR", {
  dateStyle: "long",
  timeStyle: "short",
  timeZone: CLASS_TIME_ZONE,
});

/** "1990-05-17" (a calendar date) → "17 mai 1990". */
export function formatDay(date: string): string {
  const parsed = new Date(`${date.slice(0, 10)}T12:00:00Z`);
  return Number.isNaN(parsed.getTime()) ? date : day.format(parsed);
}

/** An RFC 3339 instant → "17 mai 2026 à 14:05". */
export function formatInstant(instant: string): string {
  const parsed = new Date(instant);
  return Number.isNaN(parsed.getTime()) ? instant : dayTime.format(parsed);
}
