//! HTTP client of the world's API. One method per endpoint; the world's refusals come back as
//! `ClientError::World` with their stable code and French message.

use crate::answer::{answer, unreachable};
use crate::events::LearnerEvents;
use crate::ClientError;
use crate::{
    ActivationRequest, ApprovalAnswer, ClerkLookup, ClerkValidation, ClockAdvance, ClockChange, ClockMode,
    ClockRewind, ClockSetting, ClockView, DeclineAnswer, DeliveryPlan, InboxMessage, JournalEntry,
    LearnerAccess, LearnerAction, LearnerClockView, LearnerSettings, LearnerSituation, LearnerView,
    LoginRequestView, MediaKind, MediaView, NewLearner, NewLoginRequest, NewRelyingParty, PlannedLearner,
    RegisteredRelyingParty, RelyingPartyView, ReviewPolicy, WorldKeys, WorldStatus,
};
use reqwest::{Method, RequestBuilder};
use serde::de::DeserializeOwned;
use serde::Serialize;

/// A secret that opens the world's API (`idn_la_…` account, `idn_ld_…` device, `idn_st_…` staff,
/// `idn_dv_…` developer, or a console session), sent as `Authorization: Bearer`. Its `Debug` never
/// shows it, so a logged client or error cannot leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Credential(String);

impl Credential {
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The secret itself, to send or to store in a keyring; never to log.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = self
            .0
            .get(..7)
            .filter(|p| p.starts_with("idn_"))
            .unwrap_or("session");
        write!(f, "Credential({kind}…)")
    }
}

#[derive(Clone)]
pub struct WorldClient {
    base_url: String,
    http: reqwest::Client,
    /// For event streams, which stay open for as long as a screen listens: no overall timeout.
    streams: reqwest::Client,
    credential: Option<Credential>,
}

impl std::fmt::Debug for WorldClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorldClient")
            .field("base_url", &self.base_url)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

impl WorldClient {
    /// A client of the world at `base_url`, trusting the operating system's certificates for an
    /// `https` world (a trainer's certificate, or the class authority installed as the welcome
    /// page explains); `configured` with a [`crate::tls::Trust`] adds a pinned authority.
    pub fn new(base_url: impl Into<String>) -> Self {
        let trust = crate::tls::Trust::platform();
        Self::configured(base_url, move |builder| trust.configure(builder))
    }

    /// A client whose HTTP connections `configure` sets up (the class world's TLS trust, see
    /// `crate::tls`).
    pub fn configured(
        base_url: impl Into<String>,
        configure: impl Fn(reqwest::ClientBuilder) -> reqwest::ClientBuilder,
    ) -> Self {
        let base_url = base_url.into().trim_end_matches('/').to_owned();
        let http = configure(reqwest::Client::builder().timeout(std::time::Duration::from_secs(30)))
            .build()
            .expect("an HTTP client builds");
        let streams =
            configure(reqwest::Client::builder().connect_timeout(std::time::Duration::from_secs(10)))
                .build()
                .expect("an HTTP client builds");
        Self {
            base_url,
            http,
            streams,
            credential: None,
        }
    }

    /// The same world, calling with this credential (the connections are shared).
    pub fn with_credential(&self, credential: Credential) -> Self {
        Self {
            credential: Some(credential),
            ..self.clone()
        }
    }

    /// The same world, anonymously.
    pub fn anonymous(&self) -> Self {
        Self {
            credential: None,
            ..self.clone()
        }
    }

    pub fn credential(&self) -> Option<&Credential> {
        self.credential.as_ref()
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        let request = self.http.request(method, format!("{}{path}", self.base_url));
        match &self.credential {
            Some(credential) => request.bearer_auth(credential.expose()),
            None => request,
        }
    }

    async fn send<T: DeserializeOwned>(&self, request: RequestBuilder) -> Result<T, ClientError> {
        let response = request
            .send()
            .await
            .map_err(|source| unreachable(&self.base_url, source))?;
        answer(&self.base_url, response).await
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        self.send(self.request(Method::GET, path)).await
    }

    async fn post<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    async fn put<B: Serialize, T: DeserializeOwned>(&self, path: &str, body: &B) -> Result<T, ClientError> {
        self.send(self.request(Method::PUT, path).json(body)).await
    }

    pub async fn status(&self) -> Result<WorldStatus, ClientError> {
        self.get("/api/status").await
    }

    pub async fn keys(&self) -> Result<WorldKeys, ClientError> {
        self.get("/api/keys").await
    }

    pub async fn clock(&self) -> Result<ClockView, ClientError> {
        self.get("/api/clock").await
    }

    pub async fn set_clock(
        &self,
        mode: ClockMode,
        now: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<ClockView, ClientError> {
        self.put("/api/clock", &ClockSetting { mode, now }).await
    }

    pub async fn advance_clock(&self, seconds: i64) -> Result<ClockView, ClientError> {
        self.post("/api/clock/advance", &ClockAdvance { seconds }).await
    }

    /// « Revenir à ce moment »: the class clock goes back to `to`, its speed kept (a trainer's).
    pub async fn rewind_clock(&self, to: chrono::DateTime<chrono::Utc>) -> Result<ClockView, ClientError> {
        self.post("/api/clock/rewind", &ClockRewind { to }).await
    }

    /// « Revenir à l'heure réelle »: real time from the wall clock's time (a trainer's).
    pub async fn real_time_clock(&self) -> Result<ClockView, ClientError> {
        self.post("/api/clock/real", &serde_json::json!({})).await
    }

    /// The class clock's recent changes, newest first (trainers and support agents).
    pub async fn clock_history(&self) -> Result<Vec<ClockChange>, ClientError> {
        self.get("/api/clock/history").await
    }

    /// Opens a La Poste account; the answer carries the account's credential (use it with
    /// [`WorldClient::with_credential`] for everything the learner does next).
    pub async fn create_learner(&self, email: &str) -> Result<LearnerAccess, ClientError> {
        self.post(
            "/api/learners",
            &NewLearner {
                email: email.to_owned(),
            },
        )
        .await
    }

    pub async fn learners(&self) -> Result<Vec<LearnerView>, ClientError> {
        self.get("/api/learners").await
    }

    pub async fn learner(&self, id: &str) -> Result<LearnerView, ClientError> {
        self.get(&format!("/api/learners/{id}")).await
    }

    pub async fn act(&self, id: &str, action: &LearnerAction) -> Result<LearnerView, ClientError> {
        self.post(&format!("/api/learners/{id}/actions"), action).await
    }

    pub async fn set_review_policy(
        &self,
        id: &str,
        review: ReviewPolicy,
    ) -> Result<LearnerView, ClientError> {
        self.put(
            &format!("/api/learners/{id}/settings"),
            &LearnerSettings { review },
        )
        .await
    }

    pub async fn inbox(&self, id: &str) -> Result<Vec<InboxMessage>, ClientError> {
        self.get(&format!("/api/learners/{id}/inbox")).await
    }

    pub async fn journal(&self, id: &str) -> Result<Vec<JournalEntry>, ClientError> {
        self.get(&format!("/api/learners/{id}/journal")).await
    }

    pub async fn upload_media(
        &self,
        id: &str,
        kind: MediaKind,
        content_type: &str,
        bytes: Vec<u8>,
    ) -> Result<MediaView, ClientError> {
        use sha2::Digest;
        let checksum = hex::encode(sha2::Sha256::digest(&bytes));
        self.upload_media_declared(id, kind, content_type, bytes, &checksum)
            .await
    }

    /// Sends `bytes` with the checksum `declared_sha256` announced for the whole file: what an
    /// interrupted upload looks like to the world when `bytes` were cut short.
    pub async fn upload_media_declared(
        &self,
        id: &str,
        kind: MediaKind,
        content_type: &str,
        bytes: Vec<u8>,
        declared_sha256: &str,
    ) -> Result<MediaView, ClientError> {
        let kind_text = match kind {
            MediaKind::Photo => "photo",
            MediaKind::Video => "video",
        };
        let request = self
            .request(
                Method::POST,
                &format!("/api/learners/{id}/media?kind={kind_text}"),
            )
            .header("content-type", content_type)
            .header("x-content-sha256", declared_sha256)
            .body(bytes);
        self.send(request).await
    }

    /// The learner's live view: now, then after every change (see [`LearnerEvents`]).
    pub async fn learner_events(&self, id: &str) -> Result<LearnerEvents, ClientError> {
        LearnerEvents::open(&self.streams, &self.base_url, id, self.credential.as_ref()).await
    }

    /// Activates the identity on this device; the answer carries the device's credential, and
    /// every other credential of the learner stops working.
    pub async fn activate(
        &self,
        id: &str,
        request: &ActivationRequest,
    ) -> Result<LearnerAccess, ClientError> {
        self.post(&format!("/api/learners/{id}/activation"), request)
            .await
    }

    pub async fn pending_login_requests(&self, id: &str) -> Result<Vec<LoginRequestView>, ClientError> {
        self.get(&format!("/api/learners/{id}/login-requests")).await
    }

    pub async fn approve(
        &self,
        id: &str,
        request_id: &str,
        answer: &ApprovalAnswer,
    ) -> Result<LoginRequestView, ClientError> {
        self.post(
            &format!("/api/learners/{id}/login-requests/{request_id}/approve"),
            answer,
        )
        .await
    }

    pub async fn decline(
        &self,
        id: &str,
        request_id: &str,
        answer: &DeclineAnswer,
    ) -> Result<LoginRequestView, ClientError> {
        self.post(
            &format!("/api/learners/{id}/login-requests/{request_id}/decline"),
            answer,
        )
        .await
    }

    pub async fn open_login_request(
        &self,
        mobile: &str,
        relying_party: &str,
    ) -> Result<LoginRequestView, ClientError> {
        self.post(
            "/api/login-requests",
            &NewLoginRequest {
                mobile: mobile.to_owned(),
                relying_party: relying_party.to_owned(),
            },
        )
        .await
    }

    /// « Simuler une connexion » from the phone: a login request to the learner's own enrolled
    /// phone, in the name of `relying_party` (needs the device's credential).
    pub async fn open_own_login_request(
        &self,
        id: &str,
        relying_party: &str,
    ) -> Result<LoginRequestView, ClientError> {
        self.post(
            &format!("/api/learners/{id}/login-requests"),
            &crate::OwnLoginRequest {
                relying_party: relying_party.to_owned(),
            },
        )
        .await
    }

    /// Ends this client's credential (« Supprimer cette identité de l'appareil », signing out).
    pub async fn revoke_own_credential(&self) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, "/api/credentials/current"))
            .await
    }

    /// Support's « Déconnecter tous ses appareils »: every credential of the learner ends.
    pub async fn revoke_learner_credentials(&self, id: &str) -> Result<(), ClientError> {
        self.send(self.request(Method::DELETE, &format!("/api/learners/{id}/credentials")))
            .await
    }

    pub async fn login_request(&self, request_id: &str) -> Result<LoginRequestView, ClientError> {
        self.get(&format!("/api/login-requests/{request_id}")).await
    }

    pub async fn clerk_lookup(&self, code: &str) -> Result<ClerkLookup, ClientError> {
        self.get(&format!("/api/clerk/{code}")).await
    }

    pub async fn clerk_validate(&self, validation: &ClerkValidation) -> Result<LearnerView, ClientError> {
        self.post("/api/clerk/validations", validation).await
    }

    /// « Se connecter avec un compte La Poste existant »: the password, then a code is sent.
    pub async fn start_account_login(
        &self,
        email: &str,
        password: &str,
    ) -> Result<crate::AccountLoginStarted, ClientError> {
        self.post(
            "/api/account-logins",
            &crate::AccountLogin {
                email: email.to_owned(),
                password: password.to_owned(),
            },
        )
        .await
    }

    /// The login's confirmation code typed back, with the sign-in ticket as this client's
    /// credential: the account's view and credential once right.
    pub async fn confirm_account_login(&self, email: &str, code: &str) -> Result<LearnerAccess, ClientError> {
        self.post(
            "/api/account-logins/confirmation",
            &crate::AccountLoginConfirmation {
                email: email.to_owned(),
                code: code.to_owned(),
            },
        )
        .await
    }

    // — The trainer's part —

    /// A learner created with a trainer's plan (delivery faults, review) journaled first.
    /// The answer carries the learner's account credential, for its creator to hand on.
    pub async fn create_planned_learner(
        &self,
        planned: &PlannedLearner,
    ) -> Result<LearnerAccess, ClientError> {
        self.post("/api/trainer/learners", planned).await
    }

    /// Puts the learner's next messages in spam or withholds them, as the plan says.
    pub async fn set_delivery_plan(&self, id: &str, plan: &DeliveryPlan) -> Result<LearnerView, ClientError> {
        self.put(&format!("/api/learners/{id}/delivery"), plan).await
    }

    /// The learner's own time: the class clock plus their advance.
    pub async fn learner_clock(&self, id: &str) -> Result<LearnerClockView, ClientError> {
        self.get(&format!("/api/learners/{id}/clock")).await
    }

    /// Moves this learner's time only: on a class's world the others keep the class clock.
    pub async fn advance_learner_clock(
        &self,
        id: &str,
        seconds: i64,
    ) -> Result<LearnerClockView, ClientError> {
        self.post(
            &format!("/api/learners/{id}/clock/advance"),
            &ClockAdvance { seconds },
        )
        .await
    }

    /// What blocks the learner, as a support agent reads it.
    pub async fn situation(&self, id: &str) -> Result<LearnerSituation, ClientError> {
        self.get(&format!("/api/learners/{id}/situation")).await
    }

    // — Relying parties of the simulated FranceConnect+ —

    pub async fn register_relying_party(
        &self,
        new: &NewRelyingParty,
    ) -> Result<RegisteredRelyingParty, ClientError> {
        self.post("/api/relying-parties", new).await
    }

    pub async fn relying_parties(&self) -> Result<Vec<RelyingPartyView>, ClientError> {
        self.get("/api/relying-parties").await
    }

    pub async fn relying_party(&self, client_id: &str) -> Result<RelyingPartyView, ClientError> {
        self.get(&format!("/api/relying-parties/{client_id}")).await
    }
}
