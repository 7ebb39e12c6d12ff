// Dates and times as French people read them, in France's time zone whatever the computer's:
// the simulated services are French.
const day = new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeZone: "Europe/Paris" });
const dayTime = new Intl.DateTimeFormat("fr-FR", {
  dateStyle: "long",
  timeStyle: "short",
  timeZone: "Europe/Paris",
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
