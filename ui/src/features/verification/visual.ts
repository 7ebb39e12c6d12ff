// What « Etape 1 sur 2 : Ajout pièce d'identité » shows before « Continuer »: the documents in
// the order offered (the declared one first, 003 « la pièce d'identité que vous avez déjà utilisée
// précédemment »), the sides each needs, and the validation message once the photos are in. The
// world decides whether the identification is accepted; this only says what is on screen.
import type { DocumentKind, PhotoUploaded, Side } from "../../backend";

const DOCUMENTS: readonly DocumentKind[] = ["cni", "passeport", "titre_de_sejour"];

/** The documents to choose from, the declared one first. */
export function documentOrder(declared: DocumentKind | null): DocumentKind[] {
  return declared === null ? [...DOCUMENTS] : [declared, ...DOCUMENTS.filter((kind) => kind !== declared)];
}

/** The photos a document needs: both faces of a card or permit, the passport's photo page. */
export function sidesOf(document: DocumentKind): Side[] {
  switch (document) {
    case "passeport":
      return ["photo_page"];
    case "cni":
    case "titre_de_sejour":
      return ["front", "back"];
  }
}

/** Where the document's photos stand: sides still missing; all in and nothing flagged by the
 * guidance on upload (« Votre pièce d'identité est conforme »); or all in with the hints the
 * upload returned, to show before « Continuer ». */
export type DocumentCheck =
  | { state: "missing"; missing: Side[] }
  | { state: "conforming" }
  | { state: "to_check"; hints: { side: Side; message: string }[] };

export function documentCheck(sides: readonly Side[], photos: Partial<Record<Side, PhotoUploaded>>): DocumentCheck {
  const missing = sides.filter((side) => photos[side] === undefined);
  if (missing.length > 0) return { state: "missing", missing };
  const hints = sides.flatMap((side) => {
    const hint = photos[side]?.hint;
    return hint ? [{ side, message: hint.message }] : [];
  });
  return hints.length === 0 ? { state: "conforming" } : { state: "to_check", hints };
}
