//! The ways to spoil a valid request (another learner's path or field, cut and stretched
//! strings, wrong JSON types, huge numbers, Unicode edge cases, missing fields, replays, the wrong
//! device, broken uploads, duplicates sent at once, requests of another step, broken bodies), each
//! with what the world must then do: refuse, or decide as it likes.

use super::checks::allowed_from;
use super::population::{last_code, sha256_hex, upload, RELYING_PARTY, SECRET_CODE};
use super::requests::{
    build, canonical_code, enrolled_device, login_request, Address, Case, Expect, Kind, Planned, Sender,
    LEARNER_ACTIONS,
};
use super::Outgoing;
use axum::http::Method;
use idn_api::{LoginRequestView, MessageChannel};
use proptest::prelude::*;
use proptest::sample::Index;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

/// What the property draws for one request.
#[derive(Debug, Clone)]
pub struct Intent {
    /// The learner whose step the request is drawn from.
    pub learner: Index,
    /// Which of the requests valid at that step.
    pub pick: Index,
    pub mutation: Mutation,
    /// Another learner (whose field, path or device a mutation borrows), a field, a cut.
    pub other: Index,
    pub field: Index,
    pub cut: Index,
    /// Draws for the same learner as the intent before, so that journeys go on within a case.
    pub follow: bool,
}

/// One way to spoil a valid request. The `u8` chooses among variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mutation {
    None,
    /// Sent to another existing learner's address.
    OtherLearner,
    /// Sent to a learner that does not exist.
    UnknownLearner(u8),
    /// One field replaced by the same field of another learner's request.
    SwapField,
    Truncate,
    Extend(u8),
    WrongType(u8),
    HugeNumber(u8),
    Unicode(u8),
    MissingField,
    /// An earlier request of the case, sent again as it was.
    Replay,
    /// Activation, approval or refusal signed or sealed by the wrong device or for another request.
    WrongDevice(u8),
    /// An upload whose bytes, checksum, type or kind do not agree.
    BrokenUpload(u8),
    /// The valid request, twice at the same time.
    Concurrent,
    /// A request of another step, valid there, not here.
    OutOfStep,
    /// The body cut, mislabelled, not JSON, or the wrong method.
    BrokenJson(u8),
    /// A learner's own request sent with another learner's credential (a classmate on the same
    /// Wi-Fi who knows the id): refused `not_your_learner`, the learner unchanged.
    OthersCredential,
}

impl Mutation {
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none (valid)",
            Self::OtherLearner => "other learner's path",
            Self::UnknownLearner(_) => "unknown learner",
            Self::SwapField => "field of another learner",
            Self::Truncate => "truncated field",
            Self::Extend(_) => "extended field",
            Self::WrongType(_) => "wrong JSON type",
            Self::HugeNumber(_) => "huge number",
            Self::Unicode(_) => "Unicode edge case",
            Self::MissingField => "missing field",
            Self::Replay => "replay",
            Self::WrongDevice(_) => "wrong device or context",
            Self::BrokenUpload(_) => "broken upload",
            Self::Concurrent => "concurrent duplicate",
            Self::OutOfStep => "valid at another step",
            Self::BrokenJson(_) => "broken body or method",
            Self::OthersCredential => "another learner's credential",
        }
    }
}

/// A case's intents: four in ten send the valid request as it is (so learners move on along
/// their journeys), the others spoil it one way each.
pub fn intents(length: std::ops::RangeInclusive<usize>) -> impl Strategy<Value = Vec<Intent>> {
    let mutation = prop_oneof![
        40 => Just(Mutation::None),
        5 => Just(Mutation::OtherLearner),
        3 => (0u8..10).prop_map(Mutation::UnknownLearner),
        6 => Just(Mutation::SwapField),
        4 => Just(Mutation::Truncate),
        3 => (0u8..8).prop_map(Mutation::Extend),
        4 => (0u8..9).prop_map(Mutation::WrongType),
        3 => (0u8..8).prop_map(Mutation::HugeNumber),
        4 => (0u8..12).prop_map(Mutation::Unicode),
        4 => Just(Mutation::MissingField),
        4 => Just(Mutation::Replay),
        5 => (0u8..4).prop_map(Mutation::WrongDevice),
        5 => (0u8..10).prop_map(Mutation::BrokenUpload),
        3 => Just(Mutation::Concurrent),
        5 => Just(Mutation::OutOfStep),
        3 => (0u8..8).prop_map(Mutation::BrokenJson),
        4 => Just(Mutation::OthersCredential),
    ];
    let indexes = (
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
        any::<Index>(),
    );
    let intent = (indexes, mutation, proptest::bool::weighted(0.5)).prop_map(
        |((learner, pick, other, field, cut), mutation, follow)| Intent {
            learner,
            pick,
            mutation,
            other,
            field,
            cut,
            follow,
        },
    );
    proptest::collection::vec(intent, length)
}

/// Another learner than `who`.
fn other_than(who: usize, index: Index, count: usize) -> usize {
    let other = index.index(count - 1);
    if other >= who {
        other + 1
    } else {
        other
    }
}

/// The learner id in a learner's path, replaced.
fn repath(outgoing: &Outgoing, from: &str, to: &str) -> Outgoing {
    let mut changed = outgoing.clone();
    changed.path = outgoing.path.replacen(
        &format!("/api/learners/{from}"),
        &format!("/api/learners/{to}"),
        1,
    );
    changed
}

const UNKNOWN_IDS: [&str; 8] = [
    "00000000-0000-4000-8000-000000000000",
    "inconnu",
    "%00",
    "..%2F..%2Fapi%2Fclock",
    "%C3%A9l%C3%A8ve",
    "%ZZ",
    "%F0%9F%99%82",
    "%E2%80%AE",
];

const EXTENSIONS: [&str; 8] = [" ", "0", "é", "\u{0}", "\u{202E}", "🙂", "\u{FEFF}", "\u{00A0}"];

const UNICODE: [&str; 11] = [
    "",
    " ",
    "\u{0}",
    "e\u{301}",
    "\u{202E}txt.exe",
    "🙂🙂🙂🙂",
    "\u{FEFF}123456",
    "١٢٣٤٥٦",
    "１２３４５６",
    "\u{200B}",
    "\u{1F1EB}\u{1F1F7}Zoë\u{0301}",
];

const HUGE: [&str; 8] = [
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e400",
    "-1e308",
    "1.5",
    "99999999999999999999999999999999999999",
    "-0",
];

/// Where a field sits in a JSON body.
type FieldPath = Vec<Step>;

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    At(usize),
}

fn fields(value: &Value, prefix: &mut FieldPath, out: &mut Vec<FieldPath>) {
    match value {
        Value::Object(map) => {
            for (key, inner) in map {
                prefix.push(Step::Key(key.clone()));
                out.push(prefix.clone());
                fields(inner, prefix, out);
                prefix.pop();
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                prefix.push(Step::At(index));
                out.push(prefix.clone());
                fields(inner, prefix, out);
                prefix.pop();
            }
        }
        _ => {}
    }
}

fn get<'v>(value: &'v Value, path: &[Step]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.get(key),
        Step::At(index) => value.get(index),
    })
}

fn get_mut<'v>(value: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    path.iter().try_fold(value, |value, step| match step {
        Step::Key(key) => value.get_mut(key),
        Step::At(index) => value.get_mut(index),
    })
}

fn remove(value: &mut Value, path: &[Step]) {
    let Some((last, parent)) = path.split_last() else {
        return;
    };
    match (get_mut(value, parent), last) {
        (Some(Value::Object(map)), Step::Key(key)) => {
            map.remove(key);
        }
        (Some(Value::Array(items)), Step::At(index)) if *index < items.len() => {
            items.remove(*index);
        }
        _ => {}
    }
}

fn last_key(path: &[Step]) -> &str {
    path.iter()
        .rev()
        .find_map(|step| match step {
            Step::Key(key) => Some(key.as_str()),
            Step::At(_) => None,
        })
        .unwrap_or_default()
}

/// A body with one value written as raw JSON text (numbers JSON allows but Rust does not hold).
fn with_raw(body: &Value, path: &[Step], raw: &str) -> Vec<u8> {
    const MARK: &str = "\u{1}raw\u{1}";
    let mut body = body.clone();
    if let Some(slot) = get_mut(&mut body, path) {
        *slot = json!(MARK);
    }
    String::from_utf8(serde_json::to_vec(&body).unwrap())
        .unwrap()
        .replace("\"\\u0001raw\\u0001\"", raw)
        .into_bytes()
}

/// What the world must do with a body whose field at `path` changed from `old` to `new`.
fn expect_for_field(
    kind: Kind,
    own: &[String; 3],
    body: &[u8],
    path: &[Step],
    old: Option<&Value>,
    new: Option<&Value>,
) -> Expect {
    if body.len() > 64 * 1024 || !kind.parses(body) {
        return Expect::Refused;
    }
    if kind == Kind::SubmitVisualIdentification {
        // Only the learner's own files, both sides of the card.
        let body: Value = serde_json::from_slice(body).unwrap();
        let photos = body["photos"].as_array().cloned().unwrap_or_default();
        let files = photos
            .iter()
            .map(|photo| &photo["media_id"])
            .chain([&body["video_media_id"]])
            .all(|file| own.iter().any(|id| file == id.as_str()));
        let sides = ["front", "back"]
            .iter()
            .all(|side| photos.iter().any(|photo| photo["side"] == *side));
        if !files || (body["document_type"] == "cni" && !sides) {
            return Expect::Refused;
        }
    }
    let (old_value, new_value) = (old, new);
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    let (old, new) = (text(old), text(new));
    match last_key(path) {
        // A code is right in one spelling only (spaces and case aside).
        "code" | "activation_code" => {
            if old.as_deref().map(canonical_code) != new.as_deref().map(canonical_code) {
                Expect::Refused
            } else {
                Expect::Either
            }
        }
        // What a device signs or seals, and the files of a submission, cannot be altered.
        "signature" | "encapsulated_key" | "ciphertext" | "sealed_secret_code" | "device_public_key"
        | "device_id"
            if old_value != new_value =>
        {
            Expect::Refused
        }
        // The clerk compares the number ending with the document (case and spaces aside).
        "document_number_ending" if kind == Kind::ClerkValidate => {
            let canonical = |value: &Option<String>| value.as_deref().map(|v| v.trim().to_ascii_uppercase());
            if canonical(&old) != canonical(&new) {
                Expect::Refused
            } else {
                Expect::Either
            }
        }
        _ => Expect::Either,
    }
}

/// The valid request of `kind` for learner `who`, spoiled as the intent says.
pub(super) fn spoil(
    kind: Kind,
    who: usize,
    intent: &Intent,
    case: &Case<'_>,
    rng: &mut ChaCha20Rng,
) -> Planned {
    let learners = case.learners;
    let other = other_than(who, intent.other, learners.len());
    let id = learners[who].facts.id.as_str();
    let (outgoing, address) = build(kind, who, case, rng);
    let mut planned = Planned {
        kind,
        sender: Sender::of(kind, who, &outgoing.path),
        sends: vec![outgoing.clone()],
        address,
        expect: Expect::Either,
        mutation: intent.mutation,
        drawn_for: who,
        why: format!("{kind:?} for learner {who} at {}", learners[who].seen.step()),
    };
    let body = outgoing.json_body();
    let path_addressed =
        matches!(planned.address, Address::Path(_)) || outgoing.path.starts_with("/api/learners/");
    match intent.mutation {
        Mutation::None => {}
        Mutation::OtherLearner if path_addressed && outgoing.path.contains(id) => {
            let other_id = &learners[other].facts.id;
            planned.sends = vec![repath(&outgoing, id, other_id)];
            if matches!(planned.address, Address::Path(_)) {
                planned.address = Address::Path(other);
            }
            // Proofs name the learner they were made for; codes and files are the learner's own.
            let bound = matches!(
                kind,
                Kind::Activate | Kind::Approve | Kind::Decline | Kind::SubmitVisualIdentification
            );
            let code_of_other = |channel| last_code(&learners[other].seen.inbox, channel);
            let codes_differ = match kind {
                Kind::ConfirmEmail => {
                    body.as_ref().map(|b| b["code"].as_str().map(str::to_owned))
                        != Some(code_of_other(MessageChannel::Email))
                }
                Kind::ConfirmMobile => {
                    body.as_ref().map(|b| b["code"].as_str().map(str::to_owned))
                        != Some(code_of_other(MessageChannel::Sms))
                }
                _ => false,
            };
            if bound || codes_differ {
                planned.expect = Expect::Refused;
            }
            planned.why += &format!(", sent to learner {other}'s path");
        }
        Mutation::UnknownLearner(variant) => {
            let unknown = UNKNOWN_IDS[usize::from(variant) % UNKNOWN_IDS.len()];
            if path_addressed && outgoing.path.contains(id) {
                planned.sends = vec![repath(&outgoing, id, unknown)];
                planned.address = Address::Nobody;
                planned.expect = Expect::Refused;
            } else if let Some(mut body) = body.clone().filter(|body| {
                ["code", "mobile", "email"]
                    .iter()
                    .any(|key| body.get(key).is_some())
            }) {
                // Addressed by its content: a code, a number or an email nobody has.
                for key in ["code", "mobile", "email"] {
                    if let Some(slot) = body.get_mut(key) {
                        *slot = json!(match key {
                            "mobile" => "+33700000000",
                            "email" => "personne@simulation.example",
                            _ => "000000",
                        });
                    }
                }
                let sent = Outgoing::json(outgoing.method.clone(), outgoing.path.clone(), &body);
                planned.address = match &planned.address {
                    Address::FaceToFaceCode(_) => Address::FaceToFaceCode("000000".into()),
                    Address::Mobile(_) => Address::Mobile("+33700000000".into()),
                    Address::Email(_) => Address::Email("personne@simulation.example".into()),
                    other => other.clone(),
                };
                planned.sends = vec![sent];
                if !matches!(
                    kind,
                    Kind::CreateLearner | Kind::ClassClock | Kind::SetClock | Kind::ClerkLookup | Kind::Read
                ) && case.may_change(&planned.address).is_empty()
                {
                    planned.expect = Expect::Refused;
                }
            } else {
                // Neither a learner's address nor an addressing field: read an unknown learner.
                planned.kind = Kind::Read;
                planned.sends = vec![Outgoing::get(format!("/api/learners/{unknown}/inbox"))];
                planned.address = Address::Nobody;
                planned.expect = Expect::Refused;
            }
            planned.why += &format!(", for unknown learner {unknown:?}");
        }
        Mutation::SwapField
        | Mutation::Truncate
        | Mutation::Extend(_)
        | Mutation::WrongType(_)
        | Mutation::HugeNumber(_)
        | Mutation::Unicode(_)
        | Mutation::MissingField => {
            if let Some(body) = body.as_ref().filter(|body| body.is_object()) {
                let mut all = Vec::new();
                fields(body, &mut Vec::new(), &mut all);
                let path = (!all.is_empty()).then(|| all[intent.field.index(all.len())].clone());
                let applied = path.is_some_and(|path| {
                    spoil_field(&mut planned, case, &outgoing, body, &path, other, intent, rng)
                });
                if !applied {
                    planned.mutation = Mutation::None;
                }
            } else if !matches!(intent.mutation, Mutation::SwapField) {
                // No body: spoil the last segment of the path instead (request id, code, reading).
                let mut sent = outgoing.clone();
                let cut = sent.path.rfind('/').unwrap_or(0) + 1;
                let tail: String = sent.path[cut..].chars().collect();
                let spoiled = match intent.mutation {
                    Mutation::Truncate => tail
                        .chars()
                        .take(intent.cut.index(tail.chars().count().max(1)))
                        .collect(),
                    Mutation::Extend(_) => format!("{tail}%20x"),
                    _ => "%F0%9F%99%82%00".to_owned(),
                };
                sent.path = format!("{}{}", &sent.path[..cut], spoiled);
                planned.sends = vec![sent];
                planned.address = Address::Nobody;
                planned.why += &format!(", path ends in {spoiled:?}");
            }
        }
        Mutation::Replay => {
            if case.history.is_empty() {
                planned.mutation = Mutation::None;
            } else {
                let (earlier, accepted) = &case.history[intent.cut.index(case.history.len())];
                planned = Planned {
                    mutation: intent.mutation,
                    drawn_for: who,
                    expect: if *accepted && earlier.kind.never_valid_again() {
                        Expect::Refused
                    } else {
                        Expect::Either
                    },
                    why: format!("replay of: {}", earlier.why),
                    sends: vec![earlier.sends[0].clone()],
                    ..earlier.clone()
                };
            }
        }
        Mutation::WrongDevice(variant) => wrong_device(&mut planned, case, who, other, variant, rng),
        Mutation::BrokenUpload(variant) => broken_upload(&mut planned, case, who, kind, variant, intent),
        Mutation::Concurrent => {
            planned.sends = vec![outgoing.clone(), outgoing];
            planned.why += ", sent twice at once";
        }
        Mutation::OutOfStep => {
            let step = learners[who].seen.step();
            let elsewhere: Vec<Kind> = LEARNER_ACTIONS
                .into_iter()
                .chain([Kind::Activate, Kind::Approve, Kind::Decline])
                .filter(|kind| allowed_from(*kind).is_some_and(|steps| !steps.contains(&step)))
                .filter(|kind| *kind != Kind::ChoosePassword || case.argon2_left > 0)
                .collect();
            let kind = elsewhere[intent.field.index(elsewhere.len())];
            let (outgoing, address) = build(kind, who, case, rng);
            planned = Planned {
                kind,
                sender: Sender::of(kind, who, &outgoing.path),
                sends: vec![outgoing],
                address,
                expect: Expect::Refused,
                mutation: intent.mutation,
                drawn_for: who,
                why: format!("{kind:?} for learner {who} at {step}, where the journey does not take it"),
            };
        }
        Mutation::BrokenJson(variant) => {
            let mut sent = outgoing.clone();
            match (variant, body.is_some()) {
                (0, true) => {
                    let cut = intent.cut.index(sent.body.len().max(1));
                    sent.body.truncate(cut);
                }
                (1, true) => sent.headers = vec![("content-type", "text/plain".into())],
                (2, true) => sent.headers.clear(),
                (3, true) => sent.body = b"\xff\xfe{\"action\":".to_vec(),
                (4, true) => sent.body.extend_from_slice(b" {}"),
                (5, true) => sent.body = format!("{}{}", "[".repeat(300), "]".repeat(300)).into_bytes(),
                (6, _) => sent.method = Method::DELETE,
                _ => sent.method = Method::PATCH,
            }
            planned.why += &format!(", body or method broken ({variant})");
            planned.sends = vec![sent];
            planned.expect = Expect::Refused;
            // Refused before any handler runs (no route has PATCH or DELETE).
            planned.address = Address::Nobody;
        }
        Mutation::OthersCredential => {
            let own_route = outgoing.path.starts_with(&format!("/api/learners/{id}/"))
                || outgoing.path == format!("/api/learners/{id}");
            match planned.sender {
                Sender::Account(_) | Sender::Device(_) if own_route => {
                    planned.sender = match planned.sender {
                        Sender::Device(_) => Sender::Device(other),
                        _ => Sender::Account(other),
                    };
                    // The classmate may change nobody: not the learner, not themselves.
                    planned.address = Address::Nobody;
                    planned.expect = Expect::Refused;
                    planned.why += &format!(", with learner {other}'s credential");
                }
                _ => planned.mutation = Mutation::None,
            }
        }
        Mutation::OtherLearner => planned.mutation = Mutation::None,
    }
    planned
}

#[allow(clippy::too_many_arguments)]
fn spoil_field(
    planned: &mut Planned,
    case: &Case<'_>,
    outgoing: &Outgoing,
    body: &Value,
    path: &[Step],
    other: usize,
    intent: &Intent,
    rng: &mut ChaCha20Rng,
) -> bool {
    let old = get(body, path).cloned();
    let mut spoiled = body.clone();
    let mut raw: Option<String> = None;
    let what = match intent.mutation {
        Mutation::SwapField => {
            let (theirs, _) = build(planned.kind, other, case, rng);
            let value = theirs.json_body().and_then(|theirs| get(&theirs, path).cloned());
            match value {
                Some(value) if Some(&value) != old.as_ref() => {
                    *get_mut(&mut spoiled, path).unwrap() = value;
                    format!("learner {other}'s")
                }
                _ => return false,
            }
        }
        Mutation::Truncate => match old.as_ref() {
            Some(Value::String(text)) => {
                let count = text.chars().count();
                if count == 0 {
                    return false;
                }
                *get_mut(&mut spoiled, path).unwrap() =
                    json!(text.chars().take(intent.cut.index(count)).collect::<String>());
                "truncated".into()
            }
            Some(Value::Array(items)) if !items.is_empty() => {
                let keep = intent.cut.index(items.len());
                *get_mut(&mut spoiled, path).unwrap() = json!(items[..keep]);
                "shortened".into()
            }
            _ => return false,
        },
        Mutation::Extend(variant) => match old.as_ref() {
            Some(Value::String(text)) => {
                let tail = if variant == 7 {
                    "x".repeat(70_000)
                } else {
                    EXTENSIONS[usize::from(variant)].to_owned()
                };
                *get_mut(&mut spoiled, path).unwrap() = json!(format!("{text}{tail}"));
                format!("extended with {:?}", tail.chars().take(3).collect::<String>())
            }
            Some(Value::Array(items)) => {
                let mut items = items.clone();
                items.extend(items.clone());
                *get_mut(&mut spoiled, path).unwrap() = json!(items);
                "doubled".into()
            }
            _ => return false,
        },
        Mutation::WrongType(variant) => {
            let candidates = [
                json!(null),
                json!(true),
                json!(0),
                json!(-1),
                json!(1.5),
                json!("texte"),
                json!([]),
                json!({}),
                json!([[["x"]]]),
            ];
            let same_type = |value: &Value| {
                std::mem::discriminant(value) == std::mem::discriminant(old.as_ref().unwrap_or(&Value::Null))
            };
            let replacement = (0..candidates.len())
                .map(|offset| &candidates[(usize::from(variant) + offset) % candidates.len()])
                .find(|value| !same_type(value))
                .unwrap()
                .clone();
            *get_mut(&mut spoiled, path).unwrap() = replacement.clone();
            format!("replaced by {replacement}")
        }
        Mutation::HugeNumber(variant) => {
            raw = Some(HUGE[usize::from(variant) % HUGE.len()].to_owned());
            format!("replaced by {}", raw.as_deref().unwrap())
        }
        Mutation::Unicode(variant) => {
            let text = if variant == 11 {
                raw = Some("\"\\ud800\"".into());
                "a lone surrogate".to_owned()
            } else {
                let value = UNICODE[usize::from(variant) % UNICODE.len()];
                *get_mut(&mut spoiled, path).unwrap() = json!(value);
                format!("{value:?}")
            };
            format!("replaced by {text}")
        }
        Mutation::MissingField => {
            remove(&mut spoiled, path);
            "removed".into()
        }
        _ => return false,
    };
    let bytes = match &raw {
        Some(raw) => with_raw(&spoiled, path, raw),
        None => serde_json::to_vec(&spoiled).unwrap(),
    };
    let new = if raw.is_some() {
        None
    } else {
        get(&spoiled, path).cloned()
    };
    let mut sent = outgoing.clone();
    sent.body = bytes;
    let own = case.media.ids(&case.learners[planned.drawn_for].facts.id);
    planned.expect = expect_for_field(planned.kind, &own, &sent.body, path, old.as_ref(), new.as_ref());
    // The address follows the content: another code, number or email addresses someone else.
    let spoiled_json = serde_json::from_slice::<Value>(&sent.body).ok();
    let content = |key: &str| {
        spoiled_json
            .as_ref()
            .and_then(|body| body[key].as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    planned.address = match &planned.address {
        Address::FaceToFaceCode(_) => Address::FaceToFaceCode(content("code")),
        Address::Mobile(_) => Address::Mobile(content("mobile")),
        Address::Email(_) => Address::Email(content("email")),
        other => other.clone(),
    };
    let nobody = case.may_change(&planned.address).is_empty();
    if nobody
        && matches!(
            planned.address,
            Address::FaceToFaceCode(_) | Address::Mobile(_) | Address::Email(_)
        )
    {
        planned.expect = Expect::Refused;
    }
    planned.why += &format!(
        ", field {} {what}",
        path.iter()
            .map(|step| match step {
                Step::Key(key) => key.clone(),
                Step::At(index) => index.to_string(),
            })
            .collect::<Vec<_>>()
            .join(".")
    );
    planned.sends = vec![sent];
    true
}

/// Activation, approval or refusal made with the wrong key, device or context.
fn wrong_device(
    planned: &mut Planned,
    case: &Case<'_>,
    who: usize,
    other: usize,
    variant: u8,
    rng: &mut ChaCha20Rng,
) {
    let learners = case.learners;
    let learner = &learners[who];
    let id = learner.facts.id.as_str();
    let stranger = &learners[other].facts.device;
    let own = enrolled_device(learner, learners);
    if learner.seen.step() == "activation" || planned.kind == Kind::Activate {
        let code = last_code(&learner.seen.inbox, MessageChannel::Sms).unwrap_or_default();
        let mut body = own.activation(id, &code, SECRET_CODE, case.world_key, rng);
        let what = match variant {
            0 => {
                // Signed by another device's key for this device's public key.
                let forged = stranger.activation(id, &code, SECRET_CODE, case.world_key, rng);
                body["signature"] = forged["signature"].clone();
                "signed by another device's key"
            }
            1 => {
                // Another device entirely, with the right code: a valid activation of that device.
                body = stranger.activation(id, &code, SECRET_CODE, case.world_key, rng);
                planned.expect = Expect::Either;
                "from another device (valid)"
            }
            2 => {
                // Sealed for another learner's activation.
                let theirs =
                    own.activation(&learners[other].facts.id, &code, SECRET_CODE, case.world_key, rng);
                body["sealed_secret_code"] = theirs["sealed_secret_code"].clone();
                "sealed for another learner"
            }
            _ => {
                body = own.activation(id, &code, "1123", case.world_key, rng);
                "with a secret code of repeated digits"
            }
        };
        planned.kind = Kind::Activate;
        planned.sends = vec![Outgoing::json(
            Method::POST,
            format!("/api/learners/{id}/activation"),
            &body,
        )];
        planned.address = Address::Path(who);
        if variant != 1 {
            planned.expect = Expect::Refused;
        }
        planned.why = format!("activation of learner {who} {what} (device of learner {other})");
        return;
    }
    let request = login_request(learner).unwrap_or_else(|| LoginRequestView {
        request_id: "inconnue".into(),
        relying_party: RELYING_PARTY.into(),
        challenge: "00".into(),
        created_at: chrono::DateTime::UNIX_EPOCH,
        deadline: chrono::DateTime::UNIX_EPOCH,
        status: "pending".into(),
        seconds_left: 0,
    });
    // Another request to seal for: the other learner's, or a made-up one.
    let elsewhere = login_request(&learners[other])
        .map(|theirs| (theirs.request_id, theirs.challenge))
        .unwrap_or_else(|| ("ailleurs".into(), "11".repeat(32)));
    let stranger_is_enrolled = stranger.id == own.id;
    let decline = planned.kind == Kind::Decline;
    let (body, what) = match (variant, decline) {
        (0, false) => (
            stranger.approval(
                id,
                &own.id,
                &request,
                (&request.request_id, &request.challenge),
                SECRET_CODE,
                case.world_key,
                rng,
            ),
            "approval signed by another device's key",
        ),
        (1, false) => (
            stranger.approval(
                id,
                &stranger.id,
                &request,
                (&request.request_id, &request.challenge),
                SECRET_CODE,
                case.world_key,
                rng,
            ),
            "approval from another device",
        ),
        (2, false) => (
            own.approval(
                id,
                &own.id,
                &request,
                (&elsewhere.0, &elsewhere.1),
                SECRET_CODE,
                case.world_key,
                rng,
            ),
            "approval sealed for another request",
        ),
        (_, false) => (
            own.approval(
                id,
                &own.id,
                &request,
                (&request.request_id, &request.challenge),
                "1357",
                case.world_key,
                rng,
            ),
            "approval with a wrong secret code",
        ),
        (0 | 2, true) => {
            let mut body = stranger.decline(id, &own.id, &request);
            body["device_id"] = json!(own.id);
            (body, "refusal signed by another device's key")
        }
        (_, true) => (
            stranger.decline(id, &stranger.id, &request),
            "refusal from another device",
        ),
    };
    let verb = if decline { "decline" } else { "approve" };
    planned.kind = if decline { Kind::Decline } else { Kind::Approve };
    planned.sends = vec![Outgoing::json(
        Method::POST,
        format!("/api/learners/{id}/login-requests/{}/{verb}", request.request_id),
        &body,
    )];
    planned.address = Address::Path(who);
    planned.expect = if stranger_is_enrolled && matches!(variant, 0 | 1) {
        Expect::Either
    } else {
        Expect::Refused
    };
    planned.why = format!("{what} (learner {who}, device of learner {other})");
}

/// Uploads whose bytes, checksum, declared type or kind disagree.
fn broken_upload(
    planned: &mut Planned,
    case: &Case<'_>,
    who: usize,
    kind: Kind,
    variant: u8,
    intent: &Intent,
) {
    let id = case.learners[who].facts.id.as_str();
    let media = case.media;
    let (kind_text, content_type, bytes) = match kind {
        Kind::UploadFront => ("photo", "image/jpeg", &media.front),
        Kind::UploadBack => ("photo", "image/jpeg", &media.back),
        _ if who.is_multiple_of(2) => ("video", "video/mp4", &media.video),
        _ => ("photo", "image/jpeg", &media.back),
    };
    let full = media.checksum(bytes);
    let cut = &bytes[..intent.cut.index(bytes.len() - 1).max(1)];
    let (outgoing, what, expect) = match variant {
        0 => (
            upload(id, kind_text, content_type, bytes, &sha256_hex(b"autre chose")),
            "wrong checksum, whole file",
            Expect::Refused,
        ),
        1 => (
            upload(id, kind_text, content_type, cut, &full),
            "checksum of the whole file, bytes cut",
            Expect::Refused,
        ),
        2 => (
            upload(id, kind_text, content_type, cut, &sha256_hex(cut)),
            "bytes cut with their own checksum",
            Expect::Either,
        ),
        3 => {
            let (kind_text, content_type) = if kind_text == "photo" {
                ("video", "video/mp4")
            } else {
                ("photo", "image/jpeg")
            };
            (
                upload(id, kind_text, content_type, bytes, &full),
                "file labelled as the other kind",
                Expect::Refused,
            )
        }
        4 => {
            let mut outgoing = upload(id, kind_text, content_type, bytes, &full);
            outgoing.headers.retain(|(name, _)| *name != "x-content-sha256");
            (outgoing, "no checksum", Expect::Refused)
        }
        5 => (
            upload(id, kind_text, "image/gif", bytes, &full),
            "unsupported type",
            Expect::Refused,
        ),
        6 => (
            upload(id, kind_text, content_type, b"", &sha256_hex(b"")),
            "empty file",
            Expect::Refused,
        ),
        7 => {
            let mut outgoing = upload(id, kind_text, content_type, bytes, &full);
            outgoing.path = outgoing.path.replace(&format!("kind={kind_text}"), "kind=sound");
            (outgoing, "unknown kind", Expect::Refused)
        }
        8 => (
            upload(id, kind_text, content_type, bytes, &full.to_uppercase()),
            "checksum in capitals",
            Expect::Either,
        ),
        _ => {
            let mut outgoing = upload(id, kind_text, content_type, bytes, &full);
            outgoing.headers.retain(|(name, _)| *name != "content-type");
            (outgoing, "no content type", Expect::Refused)
        }
    };
    planned.kind = match kind_text {
        "video" => Kind::UploadVideo,
        _ if std::ptr::eq(bytes, &media.front) => Kind::UploadFront,
        _ => Kind::UploadBack,
    };
    planned.sends = vec![outgoing];
    planned.address = Address::Nobody;
    planned.expect = expect;
    planned.why = format!("upload for learner {who}: {what}");
}
