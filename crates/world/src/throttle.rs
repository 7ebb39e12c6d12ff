//! Limits per client, not per account: the address a request came from, the keyed limiters that
//! count what one address does, and the 429 answer that says how long to wait.
//!
//! Why per client (issue 16): a count kept per account lets anyone who knows an address lock its
//! owner out by typing wrong passwords. What stops guessing here is counted per client address:
//! every password check (the console's sign-in, the app's « Se connecter avec un compte La
//! Poste existant ») spends one of the address's attempts before the password is hashed, so a
//! client that sprays guesses across accounts, or makes the world hash all day, is stopped, and
//! only that client. The locks that follow wrong passwords on one account are counted per
//! (client, account) where the rule lives: the staff audit for the console (`console/auth.rs`),
//! the journey for the app (`idn_journey::sign_in`).
//!
//! Opening La Poste accounts anonymously (`POST /api/learners`) is counted per client address
//! too, so that one phone on the class Wi-Fi cannot fill the world with accounts. The world's own
//! machine (loopback, and in-process calls without an address) is not counted: it is the
//! trainer's, who opens accounts at will through the trainer's route and `idn`, and it is where
//! the suites, the embedded world of the app and a local browser come from.
//!
//! The limiters are in memory (a restart forgets them, as it forgets sessions of the federation)
//! and run on the world's wall clock, never on the simulated one: moving the class's time does
//! not lift a limit, and tests drive them with their own wall clock.
//!
//! Known limit: behind a reverse proxy every client has the proxy's address, so the limit
//! becomes the proxy's; `X-Forwarded-For` is not trusted (anyone can write it).

use crate::clock::WallClock;
use crate::WorldError;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::HashMapStateStore;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

/// The address of the client that sent a request, for limits and audit lines.
///
/// Taken from the connection (`ConnectInfo<SocketAddr>`, present when the world is served with
/// `into_make_service_with_connect_info::<SocketAddr>()`), never from a header a client writes.
/// An IPv4 client reaching a dual-stack socket (`::ffff:a.b.c.d`) is its IPv4 address, so one
/// client is one key. Without connection information (tests calling the router directly) it is
/// the unspecified address `0.0.0.0`: all such requests are one client, which is what a test
/// that plays one client wants.
///
/// Each IPv6 address is its own client; a client that takes many addresses of its /64 is
/// bounded by the per-account rules, not by this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ClientAddress(pub(crate) IpAddr);

impl ClientAddress {
    /// The address requests without connection information are counted under.
    pub(crate) const UNKNOWN: ClientAddress = ClientAddress(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
}

impl<S: Send + Sync> FromRequestParts<S> for ClientAddress {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(Self::UNKNOWN, |ConnectInfo(peer)| {
                ClientAddress(peer.ip().to_canonical())
            }))
    }
}

/// How many attempts one client address may make: `burst` at once, after which the allowance
/// comes back evenly, the whole of it in `window` (a GCRA bucket: 20 per 15 minutes is 20 at
/// once, then one more every 45 seconds). A quota, not a switch: tests that play many clients
/// from one address raise it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptQuota {
    pub burst: u32,
    pub window: Duration,
}

impl AttemptQuota {
    /// Password checks per client address, whatever the account and the surface (console
    /// sign-in, app login): 20 in 15 minutes. A person mistyping does a handful; a class
    /// applying scenarios with desk decisions from the world's own machine (the scenario engine
    /// signs in once per application) stays under it; a guesser gets 20, then one every 45 seconds
    /// (80 an hour) across all accounts, and each account still locks this client out after 5
    /// wrong passwords.
    pub const PASSWORD_ATTEMPTS_PER_ADDRESS: AttemptQuota = AttemptQuota {
        burst: 20,
        window: Duration::from_secs(15 * 60),
    };

    /// La Poste accounts one client address may open anonymously: 10 an hour (one more every 6
    /// minutes). The sandbox's choice, La Poste publishes none: a person opens one account, a
    /// few when an exercise goes wrong; a phone scripting openings is stopped after 10. A class
    /// behind one router is not one address: the class server sees each phone's own address
    /// on the Wi-Fi.
    pub const ACCOUNT_OPENINGS_PER_ADDRESS: AttemptQuota = AttemptQuota {
        burst: 10,
        window: Duration::from_secs(60 * 60),
    };

    fn governor(self) -> governor::Quota {
        let burst = NonZeroU32::new(self.burst).unwrap_or(NonZeroU32::MIN);
        let one_back_every = (self.window / burst.get()).max(Duration::from_nanos(1));
        governor::Quota::with_period(one_back_every)
            .unwrap_or_else(|| governor::Quota::per_second(burst))
            .allow_burst(burst)
    }
}

/// The world's wall clock as governor's time source: instants are durations since the Unix
/// epoch, so a test's fixed or moved wall clock moves the limiters with it.
#[derive(Clone)]
struct WallInstants(Arc<dyn WallClock>);

impl governor::clock::Clock for WallInstants {
    type Instant = Duration;

    fn now(&self) -> Duration {
        let nanos = self.0.now().timestamp_nanos_opt().unwrap_or(0);
        Duration::from_nanos(u64::try_from(nanos).unwrap_or(0))
    }
}

type PerAddress =
    governor::RateLimiter<IpAddr, HashMapStateStore<IpAddr>, WallInstants, NoOpMiddleware<Duration>>;

type PerStaff =
    governor::RateLimiter<String, HashMapStateStore<String>, WallInstants, NoOpMiddleware<Duration>>;

/// Face-to-face codes one staff member may look up at the API: 30 a minute, far above a
/// counter's pace (a person every few minutes) and far below what guessing codes needs (430 a
/// second were measured before this limit). Counted per staff member, whatever the address.
pub const CLERK_LOOKUPS_PER_STAFF: AttemptQuota = AttemptQuota {
    burst: 30,
    window: Duration::from_secs(60),
};

/// Addresses remembered before the limiters forget those back to a full allowance.
const ADDRESSES_BEFORE_CLEANUP: usize = 4096;

/// The world's keyed limiters, one per thing counted per client address.
pub(crate) struct Throttles {
    password_attempts: PerAddress,
    account_openings: PerAddress,
    clerk_lookups: PerStaff,
}

/// The quotas per client address a world applies (`WorldOptions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressQuotas {
    pub password_attempts: AttemptQuota,
    pub account_openings: AttemptQuota,
}

impl Throttles {
    pub(crate) fn new(quotas: AddressQuotas, wall: Arc<dyn WallClock>) -> Self {
        Self {
            password_attempts: governor::RateLimiter::hashmap_with_clock(
                quotas.password_attempts.governor(),
                WallInstants(wall.clone()),
            ),
            account_openings: governor::RateLimiter::hashmap_with_clock(
                quotas.account_openings.governor(),
                WallInstants(wall.clone()),
            ),
            clerk_lookups: governor::RateLimiter::hashmap_with_clock(
                CLERK_LOOKUPS_PER_STAFF.governor(),
                WallInstants(wall),
            ),
        }
    }

    /// One face-to-face code looked up by this staff member at the API: allowed, or
    /// [`WorldError::Throttled`].
    pub(crate) fn clerk_lookup(&self, staff_id: &str) -> Result<(), WorldError> {
        let limiter = &self.clerk_lookups;
        if limiter.len() > ADDRESSES_BEFORE_CLEANUP {
            limiter.retain_recent();
        }
        limiter.check_key(&staff_id.to_owned()).map_err(|not_until| {
            tracing::info!(staff_id, "clerk lookups throttled");
            WorldError::Throttled {
                retry_after: not_until.wait_time_from(governor::clock::Clock::now(limiter.clock())),
            }
        })
    }

    /// One password check from this client, taken before the password is hashed: allowed, or
    /// [`WorldError::Throttled`] with the wait until the next one. A refused attempt spends
    /// nothing.
    pub(crate) fn password_attempt(&self, client: IpAddr) -> Result<(), WorldError> {
        let limiter = &self.password_attempts;
        if limiter.len() > ADDRESSES_BEFORE_CLEANUP {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| {
            tracing::info!(%client, "password attempts from this address throttled");
            WorldError::Throttled {
                retry_after: not_until.wait_time_from(governor::clock::Clock::now(limiter.clock())),
            }
        })
    }

    /// One La Poste account opened anonymously from this client: allowed, or
    /// [`WorldError::Throttled`]. The world's own machine is not counted (see the module).
    pub(crate) fn account_opening(&self, client: IpAddr) -> Result<(), WorldError> {
        if client.is_loopback() || client.is_unspecified() {
            return Ok(());
        }
        let limiter = &self.account_openings;
        if limiter.len() > ADDRESSES_BEFORE_CLEANUP {
            limiter.retain_recent();
        }
        limiter.check_key(&client).map_err(|not_until| {
            tracing::info!(%client, "account openings from this address throttled");
            WorldError::Throttled {
                retry_after: not_until.wait_time_from(governor::clock::Clock::now(limiter.clock())),
            }
        })
    }
}

/// Whole seconds to wait, rounded up, at least one: the value of `Retry-After`.
pub(crate) fn seconds_to_wait(retry_after: Duration) -> u64 {
    let seconds = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    seconds.max(1)
}

/// Whole minutes to wait, rounded up, at least one: what the French message says.
pub(crate) fn minutes_to_wait(retry_after: Duration) -> u64 {
    seconds_to_wait(retry_after).div_ceil(60)
}

/// `Retry-After` in seconds (RFC 9110 §10.2.3) for a throttled error's response; other errors
/// are left as they are.
pub(crate) fn add_retry_after(error: &WorldError, response: &mut Response) {
    if let WorldError::Throttled { retry_after } = error {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(seconds_to_wait(*retry_after)),
        );
    }
}

/// The 429 answer of a throttled request: `{code: "too_many_requests", message}` with the wait
/// in French, and `Retry-After`.
pub(crate) fn refusal(retry_after: Duration) -> Response {
    let error = WorldError::Throttled { retry_after };
    let mut response = (error.http_status(), axum::Json(error.body())).into_response();
    add_retry_after(&error, &mut response);
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, TimeDelta, Utc};
    use std::sync::Mutex;

    /// A wall clock the test moves by hand.
    struct MovedWall(Mutex<DateTime<Utc>>);

    impl WallClock for MovedWall {
        fn now(&self) -> DateTime<Utc> {
            *self.0.lock().unwrap()
        }
    }

    impl MovedWall {
        fn advance(&self, by: TimeDelta) {
            *self.0.lock().unwrap() += by;
        }
    }

    fn wall() -> Arc<MovedWall> {
        Arc::new(MovedWall(Mutex::new(
            DateTime::parse_from_rfc3339("2026-11-16T09:00:00Z")
                .unwrap()
                .to_utc(),
        )))
    }

    const GUESSER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 66));
    const TRAINER: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));

    #[test]
    fn an_address_past_its_quota_waits_and_other_addresses_do_not() {
        let wall = wall();
        let throttles = Throttles::new(quotas(), wall.clone());
        for attempt in 1..=20 {
            assert!(
                throttles.password_attempt(GUESSER).is_ok(),
                "attempt {attempt} of 20 is allowed"
            );
        }
        let Err(WorldError::Throttled { retry_after }) = throttles.password_attempt(GUESSER) else {
            panic!("the 21st attempt within 15 minutes is refused");
        };
        assert_eq!(
            retry_after,
            Duration::from_secs(45),
            "one attempt comes back every 15 min / 20"
        );
        assert!(
            throttles.password_attempt(TRAINER).is_ok(),
            "another address keeps its own allowance"
        );
        wall.advance(TimeDelta::seconds(44));
        assert!(
            throttles.password_attempt(GUESSER).is_err(),
            "not before the wait"
        );
        wall.advance(TimeDelta::seconds(1));
        assert!(
            throttles.password_attempt(GUESSER).is_ok(),
            "one attempt back after the wait"
        );
        assert!(throttles.password_attempt(GUESSER).is_err(), "and only one");
        wall.advance(TimeDelta::minutes(15));
        for attempt in 1..=20 {
            assert!(
                throttles.password_attempt(GUESSER).is_ok(),
                "the whole allowance is back after 15 quiet minutes ({attempt})"
            );
        }
    }

    fn quotas() -> AddressQuotas {
        AddressQuotas {
            password_attempts: AttemptQuota::PASSWORD_ATTEMPTS_PER_ADDRESS,
            account_openings: AttemptQuota::ACCOUNT_OPENINGS_PER_ADDRESS,
        }
    }

    #[test]
    fn a_phone_opens_ten_accounts_an_hour_and_the_worlds_own_machine_is_not_counted() {
        let wall = wall();
        let throttles = Throttles::new(quotas(), wall.clone());
        for opening in 1..=10 {
            assert!(
                throttles.account_opening(GUESSER).is_ok(),
                "opening {opening} of 10 is allowed"
            );
        }
        let Err(WorldError::Throttled { retry_after }) = throttles.account_opening(GUESSER) else {
            panic!("the 11th opening within the hour is refused");
        };
        assert_eq!(
            retry_after,
            Duration::from_secs(6 * 60),
            "one comes back every 6 minutes"
        );
        assert!(
            throttles.password_attempt(GUESSER).is_ok(),
            "the password allowance is counted apart"
        );
        assert!(
            throttles.account_opening(TRAINER).is_ok(),
            "another phone opens its account"
        );
        for local in [
            IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            ClientAddress::UNKNOWN.0,
        ] {
            for _ in 0..50 {
                assert!(
                    throttles.account_opening(local).is_ok(),
                    "{local}: the world's own machine is the trainer's"
                );
            }
        }
        wall.advance(TimeDelta::minutes(6));
        assert!(
            throttles.account_opening(GUESSER).is_ok(),
            "one back after 6 minutes"
        );
    }

    #[test]
    fn the_wait_is_said_in_whole_seconds_and_minutes_rounded_up() {
        assert_eq!(seconds_to_wait(Duration::from_millis(44_001)), 45);
        assert_eq!(seconds_to_wait(Duration::ZERO), 1, "never « retry after 0 »");
        assert_eq!(minutes_to_wait(Duration::from_secs(45)), 1);
        assert_eq!(minutes_to_wait(Duration::from_secs(14 * 60 + 1)), 15);
        let error = WorldError::Throttled {
            retry_after: Duration::from_secs(45),
        };
        assert_eq!(error.code(), "too_many_requests");
        assert_eq!(
            error.message_fr(),
            "Trop de tentatives depuis cet appareil : réessayez dans 1 minute."
        );
        assert_eq!(
            WorldError::Throttled {
                retry_after: Duration::from_secs(600)
            }
            .message_fr(),
            "Trop de tentatives depuis cet appareil : réessayez dans 10 minutes."
        );
    }

    #[tokio::test]
    async fn the_refusal_is_a_429_with_retry_after_and_a_french_message() {
        use http_body_util::BodyExt;
        let response = refusal(Duration::from_millis(90_500));
        assert_eq!(response.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "91");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["code"], "too_many_requests");
        assert_eq!(
            body["message"],
            "Trop de tentatives depuis cet appareil : réessayez dans 2 minutes."
        );
    }

    #[tokio::test]
    async fn the_client_address_comes_from_the_connection_and_defaults_to_unspecified() {
        use axum::http::Request;
        let (mut parts, ()) = Request::new(()).into_parts();
        assert_eq!(
            ClientAddress::from_request_parts(&mut parts, &()).await.unwrap(),
            ClientAddress(IpAddr::V4(Ipv4Addr::UNSPECIFIED)),
            "a request without connection information (a test's oneshot)"
        );
        let mapped: SocketAddr = "[::ffff:192.168.1.66]:50000".parse().unwrap();
        parts.extensions.insert(ConnectInfo(mapped));
        assert_eq!(
            ClientAddress::from_request_parts(&mut parts, &()).await.unwrap(),
            ClientAddress(GUESSER),
            "an IPv4 client on a dual-stack socket is its IPv4 address"
        );
    }
}
