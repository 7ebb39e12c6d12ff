//! How a world's HTTP answer becomes a typed result, for every client of this crate: a success's
//! JSON body, or the world's refusal with its stable code, French message and attempts left.

use crate::{ApiError, ClientError};
use reqwest::StatusCode;
use serde::de::DeserializeOwned;

/// A success's JSON body, or the world's refusal with its code and French message.
pub(crate) async fn answer<T: DeserializeOwned>(
    base_url: &str,
    response: reqwest::Response,
) -> Result<T, ClientError> {
    let status = response.status();
    let bytes = response
        .bytes()
        .await
        .map_err(|source| unreachable(base_url, source))?;
    if status.is_success() {
        // "204 No Content" answers an action that returns nothing: read as JSON `null`, `()`.
        let body: &[u8] = if bytes.is_empty() { b"null" } else { &bytes };
        serde_json::from_slice(body)
            .map_err(|error| ClientError::Protocol(format!("{error} in {}", String::from_utf8_lossy(&bytes))))
    } else {
        Err(refusal(status, &bytes))
    }
}

pub(crate) fn refusal(status: StatusCode, bytes: &[u8]) -> ClientError {
    match serde_json::from_slice::<ApiError>(bytes) {
        Ok(error) => ClientError::World {
            status: status.as_u16(),
            code: error.code,
            message: error.message,
            attempts_left: error.attempts_left,
        },
        Err(_) => ClientError::Protocol(format!("HTTP {status}: {}", String::from_utf8_lossy(bytes))),
    }
}

pub(crate) fn unreachable(base_url: &str, source: reqwest::Error) -> ClientError {
    ClientError::Unreachable {
        url: base_url.to_owned(),
        source,
    }
}
