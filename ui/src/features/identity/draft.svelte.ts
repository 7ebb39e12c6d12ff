// The identity form as typed, kept while the person goes to the confirmation screen and back
// ("Modifier"), so nothing has to be typed twice.
import type { DocumentKind, SexField } from "../../backend";

export const draft = $state({
  documentType: "cni" as DocumentKind,
  sex: "female" as SexField,
  givenNames: "",
  birthName: "",
  usageName: "",
  birthDate: "",
  bornInFrance: true,
  birthCommune: "",
  birthInsee: "",
  birthCountry: "",
  /** Typed only for a titre de séjour: a French card or passport sends « Française » (FRA). */
  nationality: "",
  issueDate: "",
  expiryDate: "",
  numberEnding: "",
});
