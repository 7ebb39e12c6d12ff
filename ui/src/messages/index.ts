// The French catalogue, typed from fr.json: components read text from here, never from literals.
import fr from "./fr.json";

export type Messages = typeof fr;

export const messages: Messages = fr;

/** Replaces each `{name}` in a catalogue template with its value. */
export function format(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values[name];
    return value === undefined ? whole : String(value);
  });
}

/** Looks a code up in a catalogue table; unknown codes fall back (new codes must not break a screen). */
export function lookup(table: Record<string, string>, code: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(table, code) ? table[code] : undefined;
}
