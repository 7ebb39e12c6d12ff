//! The console's review and clerk desks for programs: the bodies of the desk API
//! (`/console/api/…`) and one typed client, [`DeskSession`], that signs in as a staff member and
//! decides at the desks with data — never by reading a page meant for people.
//!
//! Requests carry codes and dates as the desk's forms do (`"reflet"`, `"cni"`, `"1985-02-11"`):
//! the world parses them at once and answers an unknown one with its own stable code and French
//! message. The client takes typed values ([`ReviewDecision`], [`ClerkValidation`],
//! [`ClerkRefusalReason`]) and writes their codes; answers are typed.

use crate::answer::{answer, refusal, unreachable};
use crate::{ClerkValidation, ClientError, DocumentKind, IdentitySummary, Step, SubmittedPhoto};
use chrono::{DateTime, Utc};
use idn_journey::identity::DocumentType;
use idn_journey::verification::ReviewDecision;
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The console's session cookie (HttpOnly, SameSite=Strict, Path=/console), set by both sign-ins.
pub const CONSOLE_SESSION_COOKIE: &str = "idn_console";
/// The header every state-changing call of the desk API carries: the session's CSRF token, which
/// a cross-site form cannot send.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Staff credentials for the desk API's sign-in (`POST /console/api/connexion`).
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffSignIn {
    pub email: String,
    pub password: String,
}

impl std::fmt::Debug for StaffSignIn {
    // A password never reaches a log.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffSignIn")
            .field("email", &self.email)
            .field("password", &"***")
            .finish()
    }
}

/// A staff session just opened: the session itself is the HttpOnly cookie set beside this body.
#[derive(Clone, Serialize, Deserialize, ToSchema)]
pub struct StaffSessionView {
    pub email: String,
    /// The role's stable code: `formateur`, `agent_support`, `relecteur` or `guichetier`.
    pub role: String,
    /// To send back in the `X-CSRF-Token` header ([`CSRF_HEADER`]) of every state-changing call.
    pub csrf_token: String,
    /// The session ends then (wall-clock time), whatever is done with it.
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for StaffSessionView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffSessionView")
            .field("email", &self.email)
            .field("role", &self.role)
            .field("csrf_token", &"***")
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// Who decides an identification waiting for review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum ReviewBy {
    /// A person at the review desk (« revue manuelle »): no decision is scheduled.
    Desk,
    /// The world's automatic review, at this time (in the learner's own time), unless a person
    /// decides first.
    Automatic { decide_at: DateTime<Utc> },
}

/// One identification waiting in the review desk's queue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewQueueItem {
    pub learner_id: String,
    pub email: Option<String>,
    pub document_type: DocumentKind,
    pub submitted_at: DateTime<Utc>,
    /// AR24's deadline for a decision.
    pub review_deadline: DateTime<Utc>,
    pub review: ReviewBy,
}

/// An identification under review, as the reviewer examines it. Its photos and video are served
/// at `/console/apprenants/{learner_id}/medias/{media_id}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewSubmission {
    pub learner_id: String,
    pub email: Option<String>,
    pub document_type: DocumentKind,
    /// The digits the person had to say aloud in the video.
    pub spoken_digits: String,
    pub photos: Vec<SubmittedPhoto>,
    pub video_media_id: String,
    pub submitted_at: DateTime<Utc>,
    pub review_deadline: DateTime<Utc>,
    pub review: ReviewBy,
    /// The identity the learner confirmed, to compare with the document and the video.
    pub identity: Option<IdentitySummary>,
}

/// A reviewer's decision (`POST /console/api/revue/{learner_id}/decision`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ReviewVerdict {
    Accept,
    /// `reason`: the code of one of the journey's refusal reasons (`RefusalReason::code`, e.g.
    /// `lunettes`).
    Refuse {
        reason: String,
    },
}

impl From<ReviewDecision> for ReviewVerdict {
    fn from(decision: ReviewDecision) -> Self {
        match decision {
            ReviewDecision::Accepted => Self::Accept,
            ReviewDecision::Refused(reason) => Self::Refuse {
                reason: reason.code().to_owned(),
            },
        }
    }
}

/// A review decision taken: where the learner stands now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewDecided {
    pub learner_id: String,
    /// Where the learner stands after the decision (`activation`, `identification_refused`…).
    pub step: Step,
    pub step_label: String,
    pub accepted: bool,
    /// The refusal reason's code, when refused.
    pub refusal_reason: Option<String>,
    /// What the desk tells the reviewer, in French.
    pub message: String,
}

/// Where a learner's next online identifications are reviewed
/// (`PUT /console/api/apprenants/{learner_id}/revue`, trainers only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReviewDeskSetting {
    /// `true`: they wait at the review desk (« revue manuelle »); `false`: automatic review.
    pub desk: bool,
}

/// What the clerk sees once the person's face-to-face code is found: the identity confirmed in
/// the app, to compare with the document presented at the counter.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClerkCase {
    pub learner_id: String,
    /// The code is valid until then.
    pub valid_until: DateTime<Utc>,
    pub identity: IdentitySummary,
}

/// What the clerk copies from the document presented, as typed at the counter: the world
/// compares it with the confirmed identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CopiedDocument {
    /// `cni`, `passeport` or `titre_de_sejour` ([`DocumentKind::code`]).
    pub document_type: String,
    pub birth_name: String,
    /// `AAAA-MM-JJ`.
    pub birth_date: String,
    /// The last 4 characters of the document's number.
    pub document_number_ending: String,
}

/// The clerk's decision on a face-to-face code (`POST /console/api/guichet/decisions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum ClerkVerdict {
    /// Validates the identity with what the document shows.
    Validate { code: String, presented: CopiedDocument },
    /// Sends the person away without validating; the code stays valid. `reason`: a
    /// [`ClerkRefusalReason`] code.
    Refuse { code: String, reason: String },
}

/// A clerk's decision taken: where the learner stands now.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClerkDecided {
    pub learner_id: String,
    /// Where the learner stands after the decision (`activation`, or still `face_to_face`).
    pub step: Step,
    pub step_label: String,
    pub validated: bool,
    /// After a refusal, the code stays valid until then.
    pub code_valid_until: Option<DateTime<Utc>>,
    /// What the desk tells the clerk, in French.
    pub message: String,
}

/// Why a clerk sends a person away at the face-to-face desk (the code stays valid).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum ClerkRefusalReason {
    #[serde(rename = "piece_differente")]
    DifferentDocument,
    #[serde(rename = "piece_expiree")]
    ExpiredDocument,
    #[serde(rename = "personne_differente")]
    DifferentPerson,
}

impl ClerkRefusalReason {
    pub const ALL: [ClerkRefusalReason; 3] = [
        Self::DifferentDocument,
        Self::ExpiredDocument,
        Self::DifferentPerson,
    ];

    /// Stable code on the wire, in journals and in scenario files.
    pub const fn code(self) -> &'static str {
        match self {
            Self::DifferentDocument => "piece_differente",
            Self::ExpiredDocument => "piece_expiree",
            Self::DifferentPerson => "personne_differente",
        }
    }

    /// The reason as the learner's journal words it.
    pub const fn label_fr(self) -> &'static str {
        match self {
            Self::DifferentDocument => "la pièce ne correspond pas",
            Self::ExpiredDocument => "pièce expirée",
            Self::DifferentPerson => "la personne n'est pas celle de la pièce",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|reason| reason.code() == code)
    }
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 3] = [Self::Cni, Self::Passeport, Self::TitreDeSejour];

    /// Stable code, as serialized.
    pub const fn code(self) -> &'static str {
        match self {
            Self::Cni => "cni",
            Self::Passeport => "passeport",
            Self::TitreDeSejour => "titre_de_sejour",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.code() == code)
    }

    pub fn label_fr(self) -> &'static str {
        DocumentType::from(self).label_fr()
    }
}

impl From<DocumentType> for DocumentKind {
    fn from(kind: DocumentType) -> Self {
        match kind {
            DocumentType::Cni => Self::Cni,
            DocumentType::Passeport => Self::Passeport,
            DocumentType::TitreDeSejour => Self::TitreDeSejour,
        }
    }
}

/// A staff member's session at the console's desks: signs in with email and password, keeps the
/// session cookie and CSRF token, and has one method per desk endpoint. The world's refusals come
/// back as `ClientError::World` with their stable code and French message.
pub struct DeskSession {
    http: reqwest::Client,
    base_url: String,
    /// `idn_console=…`, as sent back in the `Cookie` header.
    cookie: String,
    session: StaffSessionView,
}

impl std::fmt::Debug for DeskSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeskSession")
            .field("base_url", &self.base_url)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl DeskSession {
    /// Signs in at the world's console (`base_url` is the world's address).
    pub async fn sign_in(base_url: &str, email: &str, password: &str) -> Result<Self, ClientError> {
        let base_url = base_url.trim_end_matches('/').to_owned();
        let builder = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            // The desk API answers JSON; a redirection would be a page meant for people.
            .redirect(reqwest::redirect::Policy::none());
        // An `https` world: the operating system's certificates, as for `WorldClient::new`.
        let http = crate::tls::Trust::platform()
            .configure(builder)
            .build()
            .expect("an HTTP client builds");
        let response = http
            .post(format!("{base_url}/console/api/connexion"))
            .json(&StaffSignIn {
                email: email.to_owned(),
                password: password.to_owned(),
            })
            .send()
            .await
            .map_err(|source| unreachable(&base_url, source))?;
        let cookie = session_cookie(&response);
        let session: StaffSessionView = answer(&base_url, response).await?;
        let cookie = cookie
            .ok_or_else(|| ClientError::Protocol("the console's sign-in set no session cookie".into()))?;
        Ok(Self {
            http,
            base_url,
            cookie,
            session,
        })
    }

    /// The world's API as this staff member: the session's token as the Bearer credential, so
    /// what the role allows there (the class clock, a learner's settings, the clerk's desk) is
    /// done in this person's name and audited.
    pub fn api(&self) -> crate::WorldClient {
        let token = self
            .cookie
            .split_once('=')
            .map(|(_, token)| token)
            .unwrap_or_default();
        crate::WorldClient::new(self.base_url.clone()).with_credential(crate::Credential::new(token))
    }

    /// The session as the sign-in answered it (email, role, expiry).
    pub fn session(&self) -> &StaffSessionView {
        &self.session
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// « Se déconnecter »: the session ends at once instead of lasting until it expires.
    pub async fn sign_out(self) -> Result<(), ClientError> {
        let response = self
            .request(Method::POST, "/console/api/deconnexion")
            .send()
            .await
            .map_err(|source| unreachable(&self.base_url, source))?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let bytes = response
            .bytes()
            .await
            .map_err(|source| unreachable(&self.base_url, source))?;
        Err(refusal(status, &bytes))
    }

    /// The identifications waiting for review, oldest first (reviewers and trainers).
    pub async fn review_queue(&self) -> Result<Vec<ReviewQueueItem>, ClientError> {
        self.send(self.request(Method::GET, "/console/api/revue")).await
    }

    /// One identification under review, as the reviewer examines it.
    pub async fn submission(&self, learner_id: &str) -> Result<ReviewSubmission, ClientError> {
        let path = format!("/console/api/revue/{}", segment(learner_id));
        self.send(self.request(Method::GET, &path)).await
    }

    /// The reviewer's decision on the identification waiting at the desk.
    pub async fn review(
        &self,
        learner_id: &str,
        decision: ReviewDecision,
    ) -> Result<ReviewDecided, ClientError> {
        let path = format!("/console/api/revue/{}/decision", segment(learner_id));
        let verdict = ReviewVerdict::from(decision);
        self.send(self.request(Method::POST, &path).json(&verdict)).await
    }

    /// « Revue manuelle » (`desk: true`) or automatic review for one learner (trainers only).
    pub async fn set_review_desk(
        &self,
        learner_id: &str,
        desk: bool,
    ) -> Result<ReviewDeskSetting, ClientError> {
        let path = format!("/console/api/apprenants/{}/revue", segment(learner_id));
        self.send(self.request(Method::PUT, &path).json(&ReviewDeskSetting { desk }))
            .await
    }

    /// The clerk looks up the face-to-face code the person brings (journaled in the staff audit).
    pub async fn clerk_case(&self, code: &str) -> Result<ClerkCase, ClientError> {
        let path = format!("/console/api/guichet/{}", segment(code));
        self.send(self.request(Method::GET, &path)).await
    }

    /// The clerk validates the identity with what the presented document shows.
    pub async fn clerk_validate(&self, validation: &ClerkValidation) -> Result<ClerkDecided, ClientError> {
        let verdict = ClerkVerdict::Validate {
            code: validation.code.clone(),
            presented: CopiedDocument {
                document_type: validation.document_type.code().to_owned(),
                birth_name: validation.birth_name.clone(),
                birth_date: validation.birth_date.format("%Y-%m-%d").to_string(),
                document_number_ending: validation.document_number_ending.clone(),
            },
        };
        self.clerk_decide(&verdict).await
    }

    /// The clerk sends the person away with this reason; the code stays valid.
    pub async fn clerk_refuse(
        &self,
        code: &str,
        reason: ClerkRefusalReason,
    ) -> Result<ClerkDecided, ClientError> {
        let verdict = ClerkVerdict::Refuse {
            code: code.to_owned(),
            reason: reason.code().to_owned(),
        };
        self.clerk_decide(&verdict).await
    }

    async fn clerk_decide(&self, verdict: &ClerkVerdict) -> Result<ClerkDecided, ClientError> {
        self.send(
            self.request(Method::POST, "/console/api/guichet/decisions")
                .json(verdict),
        )
        .await
    }

    /// A request of this session: its cookie, and its CSRF token (harmless on a read).
    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base_url))
            .header(reqwest::header::COOKIE, &self.cookie)
            .header(CSRF_HEADER, &self.session.csrf_token)
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ClientError> {
        let response = request
            .send()
            .await
            .map_err(|source| unreachable(&self.base_url, source))?;
        answer(&self.base_url, response).await
    }
}

/// The `idn_console=…` pair a response sets, if any.
fn session_cookie(response: &reqwest::Response) -> Option<String> {
    let prefix = format!("{CONSOLE_SESSION_COOKIE}=");
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find(|pair| pair.starts_with(&prefix) && pair.len() > prefix.len())
        .map(str::to_owned)
}

/// A path segment with everything but unreserved characters percent-encoded.
fn segment(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use idn_journey::verification::RefusalReason;

    #[test]
    fn clerk_refusal_reasons_are_written_with_their_codes_and_read_back() {
        for reason in ClerkRefusalReason::ALL {
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                reason.code(),
                "the wire code is the stable code"
            );
            assert_eq!(ClerkRefusalReason::from_code(reason.code()), Some(reason));
        }
        assert_eq!(ClerkRefusalReason::from_code("piece_perdue"), None);
    }

    #[test]
    fn document_kinds_are_written_with_their_codes_and_read_back() {
        for kind in DocumentKind::ALL {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.code());
            assert_eq!(DocumentKind::from_code(kind.code()), Some(kind));
            assert_eq!(DocumentKind::from(DocumentType::from(kind)), kind);
        }
    }

    #[test]
    fn decisions_travel_as_tagged_objects_with_codes() {
        let refused = ReviewVerdict::from(ReviewDecision::Refused(RefusalReason::Glasses));
        assert_eq!(
            serde_json::to_value(&refused).unwrap(),
            serde_json::json!({ "decision": "refuse", "reason": "lunettes" })
        );
        assert_eq!(
            serde_json::to_value(ReviewVerdict::from(ReviewDecision::Accepted)).unwrap(),
            serde_json::json!({ "decision": "accept" })
        );
        let clerk = ClerkVerdict::Refuse {
            code: "ABC123".into(),
            reason: ClerkRefusalReason::ExpiredDocument.code().into(),
        };
        assert_eq!(
            serde_json::to_value(&clerk).unwrap(),
            serde_json::json!({ "decision": "refuse", "code": "ABC123", "reason": "piece_expiree" })
        );
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let sign_in = StaffSignIn {
            email: "a@b.example".into(),
            password: "secret-de-formation".into(),
        };
        assert!(!format!("{sign_in:?}").contains("secret-de-formation"));
        let session = StaffSessionView {
            email: "a@b.example".into(),
            role: "relecteur".into(),
            csrf_token: "abcdef0123".into(),
            expires_at: Utc::now(),
        };
        assert!(!format!("{session:?}").contains("abcdef0123"));
    }

    #[test]
    fn path_segments_are_percent_encoded() {
        assert_eq!(segment("ab-12_x.~"), "ab-12_x.~");
        assert_eq!(segment("a/b c"), "a%2Fb%20c");
    }
}
