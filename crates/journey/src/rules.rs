//! Every limit of the journey in one place, so a trainer can read them and a test can cite them.
//!
//! Values the real service publishes are taken from it (15 days face to face, 24 h review
//! excluding weekends, 60 s approval, 4-digit secret code). The others (code lifetimes, attempt
//! and resend limits) are not published; they are set to what such services commonly use.

use chrono::TimeDelta;

/// The emailed 6-digit code that proves the identifier (email address) is readable. The
/// sandbox's choice.
pub const EMAIL_CODE_VALIDITY: TimeDelta = TimeDelta::minutes(15);
/// The 4-character alphanumeric code sent by SMS to the mobile number, after « Créer mon
/// compte » (002 steps 6 and 7). Its lifetime is the sandbox's choice.
pub const MOBILE_CODE_VALIDITY: TimeDelta = TimeDelta::minutes(10);
/// Wrong entries of one emailed/SMS/activation code before that code is burned. The sandbox's
/// choice (no guide gives one); face to face, the clerk's and the app's entries are counted
/// apart (see [`FINAL_VALIDATION_VALIDITY`]).
pub const MAX_CODE_ATTEMPTS: u8 = 3;
/// How many times a person may ask for a new emailed or SMS code at one step. The sandbox's
/// choice.
pub const MAX_CODE_RESENDS: u8 = 3;
/// Minimum password length (the CPF site's own rule).
pub const PASSWORD_MIN_LENGTH: usize = 8;
/// Age required on the world's current date.
pub const ADULT_AGE_YEARS: u32 = 18;
/// A titre de séjour is accepted only when it was issued for at least this many years.
pub const RESIDENCE_PERMIT_MIN_VALIDITY_YEARS: u32 = 5;
/// Time to present oneself at a post office (or to the postman) with the activation code
/// received by SMS when choosing face to face: « Vous disposez de 15 jours » (002). That code
/// lives this long.
pub const FACE_TO_FACE_VALIDITY: TimeDelta = TimeDelta::days(15);
/// Once the clerk validated the identity, how long the same activation code stays valid for the
/// final validation in the app, with its wrong tries counted afresh (the clerk's typing errors
/// are not the person's). The sandbox's choice: the guides only say « La validation finale …
/// sera effective sur cet applicatif » (002); the same lifetime as an activation code sent
/// after an online verification.
pub const FINAL_VALIDATION_VALIDITY: TimeDelta = ACTIVATION_CODE_VALIDITY;
/// Delivery time of the paper verification letter ("about 4 weeks").
pub const POSTAL_LETTER_DELAY: TimeDelta = TimeDelta::weeks(4);
/// Longest review of an online visual identification, counted on weekdays only.
pub const REVIEW_MAX_WEEKDAY_HOURS: i64 = 24;
/// How long an automatic review takes by default ("people report 15 minutes").
pub const DEFAULT_AUTOMATIC_REVIEW_DELAY: TimeDelta = TimeDelta::minutes(15);
/// Number of digits to say aloud in the identification video.
pub const SPOKEN_DIGITS: usize = 3;
/// Lifetime of the 6-digit activation code sent by email and SMS after an online verification.
/// The sandbox's choice (003 gives none).
pub const ACTIVATION_CODE_VALIDITY: TimeDelta = TimeDelta::days(7);
/// A login request must be approved in the app within one minute.
pub const LOGIN_APPROVAL_WINDOW: TimeDelta = TimeDelta::seconds(60);

/// The approval window in simulated time: one real minute whatever the clock's speed
/// (`clock_speed` simulated seconds per real second; 1 for real or manual time).
pub fn login_approval_window(clock_speed: f64) -> TimeDelta {
    let speed = if clock_speed.is_finite() {
        clock_speed.clamp(1.0, 1_000_000.0)
    } else {
        1.0
    };
    TimeDelta::milliseconds((LOGIN_APPROVAL_WINDOW.num_milliseconds() as f64 * speed) as i64)
}
/// Consecutive wrong secret codes after which the identity is locked.
pub const MAX_SECRET_CODE_FAILURES: u8 = 3;
/// Login requests waiting at once for one identity: no one can flood a phone with prompts.
pub const MAX_PENDING_LOGIN_REQUESTS: usize = 3;
/// Login requests one identity accepts per [`LOGIN_REQUEST_RATE_WINDOW`].
pub const MAX_LOGIN_REQUESTS_PER_WINDOW: usize = 10;
pub const LOGIN_REQUEST_RATE_WINDOW: TimeDelta = TimeDelta::minutes(10);
/// Requests kept in the identity (the journal keeps every one). The whole journey, this history
/// included, is parsed and written again at every step of a login, so it keeps no more than the
/// rate limit needs: when a new request makes room, at most 9 others are in the rate window and
/// at most 3 are pending, so the oldest answered one it drops is always outside the window (the
/// count stays exact), and no request is dropped while younger than the window (answers and
/// « suite » pages still in flight find it).
pub const KEPT_LOGIN_REQUESTS: usize = MAX_LOGIN_REQUESTS_PER_WINDOW + MAX_PENDING_LOGIN_REQUESTS;
/// Wrong passwords in a row on one client (the device they are typed on, as the world tells
/// clients apart: by address), when logging in to the app with the account, that lock the login
/// on that client. The sandbox's choice. Counted per client so that a classmate's wrong
/// passwords lock the classmate out, never the account's owner (issue 16).
pub const MAX_SIGN_IN_PASSWORD_FAILURES: u8 = 5;
/// How long a login stays locked after [`MAX_SIGN_IN_PASSWORD_FAILURES`] on one client, or
/// [`MAX_SIGN_IN_PASSWORD_FAILURES_PER_ACCOUNT`] on the account.
pub const SIGN_IN_LOCK: TimeDelta = TimeDelta::minutes(15);
/// Wrong passwords on one account from all clients together, within
/// [`SIGN_IN_ACCOUNT_WINDOW`] and with no right password between, that lock the account's login
/// for every client for [`SIGN_IN_LOCK`] (OWASP's Authentication Cheat Sheet: the lockout
/// counter belongs to the account, or guessing from many addresses goes unbounded). The
/// sandbox's choice, set far above what one person reaches: a client is locked out after 5 in a
/// row for 15 minutes, so one client makes at most 5 in a window, and 30 takes 6 clients with
/// different addresses guessing at once — more than a classmate's laptop and phone. Bounds
/// guessing at 30 passwords per account every 15 minutes, however many addresses are used.
pub const MAX_SIGN_IN_PASSWORD_FAILURES_PER_ACCOUNT: u8 = 30;
/// The observation window of [`MAX_SIGN_IN_PASSWORD_FAILURES_PER_ACCOUNT`], from the first
/// wrong password counted.
pub const SIGN_IN_ACCOUNT_WINDOW: TimeDelta = TimeDelta::minutes(15);
/// Clients whose wrong passwords one account remembers (the journey is stored whole at every
/// step, so this is bounded). When more come, clients whose lock is over are forgotten first,
/// then the quietest: forgetting gives a client a fresh count, never a lock to anyone, and the
/// account's own count above is kept.
pub const SIGN_IN_CLIENTS_KEPT: usize = 16;

/// Activated Identités Numériques per mobile number: FranceConnect+ finds the identity to ask
/// by the number typed, so a number belongs to one identity. When it is checked is the
/// sandbox's choice (the guides do not say): once the number is proved by the SMS code, while
/// the person can still type another one, and again at activation, the moment the identity
/// takes the number (another learner may have activated with it in between).
pub const IDENTITIES_PER_MOBILE: usize = 1;

/// Given names on the identity form. The sandbox's choice: the guides set no limit, documents
/// print a handful, and no one has more.
pub const MAX_GIVEN_NAMES: usize = 10;
/// Characters of one name (each given name, birth and usage name, the account's first and last
/// name, the commune of birth). The sandbox's choice.
pub const NAME_MAX_CHARS: usize = 100;
/// Characters of an email address (RFC 5321's limit on a path).
pub const EMAIL_MAX_CHARS: usize = 254;
/// Characters of the other identity fields (dates, codes), typed or pasted. The sandbox's
/// choice: every valid value is far shorter.
pub const IDENTITY_FIELD_MAX_CHARS: usize = 32;
/// Characters of the name a relying party shows for itself in a login request. The sandbox's
/// choice.
pub const RELYING_PARTY_NAME_MAX_CHARS: usize = 200;
/// Characters of the identifier a device gives itself at activation (a UUID is 36). The
/// sandbox's choice.
pub const DEVICE_ID_MAX_CHARS: usize = 64;

/// The class's time zone: every time a person reads (emails, SMS, letters, the app's screens,
/// the console) is local time there, so a message's expiry reads like the learner's watch. The
/// journey itself counts in UTC instants. The sandbox's choice, one constant rather than a
/// per-class setting: every class simulates French services, and the app's screens use the same
/// IANA name (`ui/src/lib/dates.ts`).
pub const CLASS_TIME_ZONE: chrono_tz::Tz = chrono_tz::Europe::Paris;
/// [`CLASS_TIME_ZONE`] as the console names it beside a clock.
pub const CLASS_TIME_ZONE_FR: &str = "heure de Paris";
