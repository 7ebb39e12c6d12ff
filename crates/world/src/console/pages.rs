//! What every console page shares: its frame (title, the signed-in staff member's links, an
//! optional reload), the sign-in and refusal pages, the French texts of the sign-in, and the one
//! way a page is rendered. Pages are askama templates in `templates/console/` extending the
//! world's one layout, so every value shown goes through askama's HTML escaper and every form
//! carries the session's CSRF token through the `csrf` macro.

use super::auth::{Role, StaffSession};
use super::handlers::how_long;
use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::{DateTime, TimeDelta, Utc};
use idn_journey::local_time;

/// A French date and time in the class's time zone (Paris), the time people read everywhere:
/// the simulated clock's times (codes, deadlines, journals) and the wall clock's (audit) alike.
pub fn when(at: DateTime<Utc>) -> String {
    local_time::in_table(at)
}

/// The class's simulated time set beside the wall clock's when they differ by a minute or more
/// (an accelerated, manual, advanced or rewound clock): « heure de la simulation », the real
/// time and how far apart they are. `None` when the simulation runs on real time.
pub(super) struct SimulationTime {
    /// The simulated time, on a clock's face.
    pub now: String,
    /// The wall clock's time.
    pub real: String,
    /// « en avance de 2 j 3 h sur l'heure réelle », « en retard de 5 min sur l'heure réelle ».
    pub gap: String,
}

impl SimulationTime {
    pub fn of(simulated: DateTime<Utc>, wall: DateTime<Utc>) -> Option<Self> {
        let gap = simulated - wall;
        if gap.abs() < TimeDelta::minutes(1) {
            return None;
        }
        let (direction, length) = if gap > TimeDelta::zero() {
            ("en avance", gap)
        } else {
            ("en retard", -gap)
        };
        Some(Self {
            now: local_time::on_clock(simulated),
            real: local_time::on_clock(wall),
            gap: format!(
                "{direction} de {} sur l'heure réelle",
                how_long(to_nearest_minute(length))
            ),
        })
    }
}

/// A gap rounded to the nearest minute: a class advanced by 3 days is read a few seconds
/// later, and must still read « 3 j 0 h », not « 2 j 23 h ».
fn to_nearest_minute(length: TimeDelta) -> TimeDelta {
    TimeDelta::minutes((length.num_seconds() + 30).div_euclid(60))
}

/// A link of the console's navigation.
pub(super) struct NavLink {
    pub href: &'static str,
    pub label: &'static str,
    pub current: bool,
}

/// The signed-in staff member, as the layout's header shows them.
pub(super) struct StaffHeader<'a> {
    pub email: &'a str,
    pub role: &'static str,
    pub csrf: &'a str,
    pub links: Vec<NavLink>,
    /// The class's name, when the trainer gave one.
    pub class: Option<&'a str>,
}

/// The layout's context: the page's title, who is signed in (none on the sign-in and refusal
/// pages), and a reload delay for a page that follows something running.
pub(super) struct Frame<'a> {
    pub title: &'a str,
    pub staff: Option<StaffHeader<'a>>,
    pub refresh_seconds: Option<u32>,
}

impl<'a> Frame<'a> {
    /// A page of a signed-in staff member, with the links their role may follow.
    pub fn signed_in(session: &'a StaffSession, title: &'a str) -> Self {
        Self {
            title,
            staff: Some(StaffHeader {
                email: &session.email,
                role: session.role.label_fr(),
                csrf: &session.csrf_token,
                links: nav_links(session.role, title),
                class: session.class_name.as_deref(),
            }),
            refresh_seconds: None,
        }
    }

    /// A page that reloads itself every `seconds` (a scenario being applied), without script.
    pub fn refreshing(mut self, seconds: u32) -> Self {
        self.refresh_seconds = Some(seconds);
        self
    }

    /// A page nobody is signed in to (sign-in, refusals).
    pub fn public(title: &'a str) -> Self {
        Self {
            title,
            staff: None,
            refresh_seconds: None,
        }
    }

    /// The session's CSRF token, for the forms of the page.
    pub fn csrf(&self) -> &str {
        self.staff.as_ref().map_or("", |staff| staff.csrf)
    }
}

fn nav_links(role: Role, title: &str) -> Vec<NavLink> {
    let may = |roles: &[Role]| roles.contains(&role);
    [
        (may(super::READERS), "/console/apprenants", "Apprenants"),
        (may(super::REVIEWERS), "/console/revue", "Guichet de revue"),
        (may(super::CLERKS), "/console/guichet", "Guichet face à face"),
        (true, "/console/horloge", "Horloge"),
        (may(super::READERS), "/console/scenarios", "Scénarios"),
        (may(super::TRAINERS), "/console/personnel", "Actions du personnel"),
    ]
    .into_iter()
    .filter(|(allowed, _, _)| *allowed)
    .map(|(_, href, label)| NavLink {
        href,
        label,
        current: label == title,
    })
    .collect()
}

/// One line of a definition list: a label and its value.
pub(super) struct Fact {
    pub label: &'static str,
    pub value: String,
}

impl Fact {
    pub fn new(label: &'static str, value: impl Into<String>) -> Self {
        Self {
            label,
            value: value.into(),
        }
    }
}

/// A page rendered, or a logged failure (a template's render only fails on a formatting error).
pub(super) fn render(status: StatusCode, page: &impl Template) -> Response {
    match page.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "console page not rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Page de la console non rendue.",
            )
                .into_response()
        }
    }
}

/// A page rendered with 200.
pub(super) fn ok(page: &impl Template) -> Response {
    render(StatusCode::OK, page)
}

#[derive(Template)]
#[template(path = "console/refusal.html")]
struct RefusalPage<'a> {
    frame: Frame<'a>,
    text: &'a str,
}

/// A refusal page (not signed in, wrong role, CSRF): says why, links to the sign-in.
pub(super) fn refusal(status: StatusCode, title: &str, text: &str) -> Response {
    render(
        status,
        &RefusalPage {
            frame: Frame::public(title),
            text,
        },
    )
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    frame: Frame<'a>,
    form_token: &'a str,
    error: Option<&'a str>,
}

/// The sign-in page, with its form's token (double-submitted in a cookie) and why the last
/// attempt was refused.
pub(super) fn login(status: StatusCode, form_token: &str, error: Option<&str>) -> Response {
    render(
        status,
        &LoginPage {
            frame: Frame::public("Connexion du personnel"),
            form_token,
            error,
        },
    )
}

pub const LOGIN_REFUSED: &str = "Adresse ou mot de passe incorrect.";
pub const LOGIN_THROTTLED: &str =
    "Trop d'essais de connexion pour cette adresse : attendez quelques minutes avant de réessayer.";
pub const LOGIN_FORM_EXPIRED: &str =
    "Le formulaire de connexion a expiré : rechargez la page et recommencez.";
