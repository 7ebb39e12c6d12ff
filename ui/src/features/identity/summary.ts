// « Confirmation de vos informations » as 003 shows it: Sexe, Prénom(s), Nom de naissance, Date de
// naissance, Nationalité, Date d'émission, Date d'expiration, Lieu de naissance, 4 derniers
// caractères de la pièce, with the names a person reads (« Homme », « Française », « France »)
// rather than the codes the wire carries.
import type { IdentitySummary } from "../../backend";
import { formatDay } from "../../lib/dates";
import { messages } from "../../messages";

const t = messages.identity;

/** The nationality sent for a French identity card or passport (ISO 3166 alpha-3). */
export const FRENCH_NATIONALITY = "FRA";

/** The INSEE country code of France, which the wire's `birth_country` carries. */
const FRANCE_INSEE = "99100";

/** « Française » for FRA; any other nationality (a titre de séjour's) stays as its code. */
export function nationalityName(code: string): string {
  return code.trim().toUpperCase() === FRENCH_NATIONALITY ? t.french : code;
}

/** The confirmation's rows, label then value, from the world's summary of the confirmed form
 * (whichever device or the web site typed it). No usage name, no row (003). */
export function confirmationRows(identity: IdentitySummary): [string, string][] {
  const rows: ([string, string] | null)[] = [
    [t.fields.document, identity.document_type],
    [t.fields.sex, identity.sex === "male" ? t.male : t.female],
    [t.fields.givenNames, identity.given_names.join(", ")],
    [t.fields.birthName, identity.birth_name],
    identity.usage_name ? [t.fields.usageName, identity.usage_name] : null,
    [t.fields.birthDate, formatDay(identity.birth_date)],
    [t.fields.nationality, nationalityName(identity.nationality)],
    [t.fields.issueDate, formatDay(identity.issue_date)],
    [t.fields.expiry, formatDay(identity.expiry_date)],
    [t.fields.birthplace, birthplace(identity)],
    [t.fields.numberEnding, identity.document_number_ending],
  ];
  return rows.filter((row): row is [string, string] => row !== null);
}

/** « Nantes (44109) / France » as on 003's screen; a country abroad stays as its INSEE code
 * (naming it needs the INSEE country table, which the app does not have). */
function birthplace(identity: IdentitySummary): string {
  const country = identity.birth_country === FRANCE_INSEE ? t.france : identity.birth_country;
  return identity.birthplace === "" ? country : `${identity.birthplace} / ${country}`;
}
