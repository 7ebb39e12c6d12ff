// Names for the wire types generated from Rust (wire.ts, by openapi-typescript from
// wire-schema.json, which `cargo test -p idn-sandbox` checks against the Rust types).
import type { components } from "./wire";

type Schemas = components["schemas"];

export type SessionView = Schemas["SessionView"];
/** Why the world asks this device to sign in to its account again (`SessionView.sign_in_needed`). */
export type SignInNeeded = Schemas["SignInNeeded"];
export type WorldConnection = Schemas["WorldConnection"];
export type WorldStatus = Schemas["WorldStatus"];
export type CommandErrorBody = Schemas["CommandError"];
export type LearnerAction = Schemas["LearnerAction"];
export type LearnerView = Schemas["LearnerView"];
/** Where a learner stands: the union of the journey's step codes (`Step` in Rust). */
export type Step = Schemas["Step"];
export type InboxMessage = Schemas["InboxMessage"];
/** The button a message offers: AR24's « Lire mon courrier » or « Consulter mon courrier ». */
export type MessageAction = Schemas["MessageAction"];
export type LoginRequestView = Schemas["LoginRequestView"];
export type IdentityForm = Schemas["IdentityForm"];
export type IdentitySummary = Schemas["IdentitySummary"];
export type RegisteredLetterView = Schemas["RegisteredLetterView"];
/** What AR24's letter says once the identity is verified: its sender and the activation code. */
export type LetterContentsView = Schemas["LetterContentsView"];
export type DocumentKind = Schemas["DocumentKind"];
export type VerificationMode = Schemas["VerificationMode"];
export type Civility = Schemas["Civility"];
export type SexField = Schemas["SexField"];
export type Side = Schemas["Side"];
export type PhotoUploaded = Schemas["PhotoUploaded"];
export type VideoUploaded = Schemas["VideoUploaded"];
export type SubmittedPhoto = Schemas["SubmittedPhoto"];
export type VideoRecorded = Schemas["VideoRecorded"];
export type ServiceSite = Schemas["ServiceSite"];
export type AccountLoginChallenge = Schemas["AccountLoginChallenge"];
