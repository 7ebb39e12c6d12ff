//! Live updates from the world: the `learner` server-sent events of
//! `GET /api/learners/{id}/events`, read as a stream of full learner views. The app forwards them
//! to its screens, so nothing on screen polls.

use crate::ClientError;
use crate::LearnerView;

/// One open event stream. Each item is the learner's whole view, so a reader that missed some
/// events loses nothing: the next one carries the current state.
pub struct LearnerEvents {
    response: reqwest::Response,
    url: String,
    buffer: Vec<u8>,
}

impl LearnerEvents {
    pub(crate) async fn open(
        http: &reqwest::Client,
        base_url: &str,
        learner_id: &str,
        credential: Option<&crate::Credential>,
    ) -> Result<Self, ClientError> {
        let url = format!("{base_url}/api/learners/{learner_id}/events");
        let mut request = http.get(&url).header("accept", "text/event-stream");
        if let Some(credential) = credential {
            request = request.bearer_auth(credential.expose());
        }
        let response = request.send().await.map_err(|source| ClientError::Unreachable {
            url: base_url.to_owned(),
            source,
        })?;
        if !response.status().is_success() {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            return Err(match serde_json::from_slice::<crate::ApiError>(&bytes) {
                Ok(error) => ClientError::World {
                    status,
                    code: error.code,
                    message: error.message,
                    attempts_left: error.attempts_left,
                },
                Err(_) => ClientError::Protocol(format!("events: HTTP {status}")),
            });
        }
        Ok(Self {
            response,
            url,
            buffer: Vec::new(),
        })
    }

    /// The next learner view; `Ok(None)` when the world closed the stream.
    pub async fn next(&mut self) -> Result<Option<LearnerView>, ClientError> {
        loop {
            if let Some(block) = take_event_block(&mut self.buffer) {
                if let Some(view) = parse_learner_event(&block)? {
                    return Ok(Some(view));
                }
                // Keep-alive comments and other event names carry no view: read on.
                continue;
            }
            let chunk = self
                .response
                .chunk()
                .await
                .map_err(|error| ClientError::Protocol(format!("events stream {}: {error}", self.url)))?;
            match chunk {
                Some(bytes) => self.buffer.extend_from_slice(&bytes),
                None => return Ok(None),
            }
        }
    }
}

/// Cuts the first complete event (ended by a blank line) off the buffer.
fn take_event_block(buffer: &mut Vec<u8>) -> Option<String> {
    let normalised_end = buffer
        .windows(2)
        .position(|pair| pair == b"\n\n")
        .map(|at| (at, 2))
        .or_else(|| {
            buffer
                .windows(4)
                .position(|quad| quad == b"\r\n\r\n")
                .map(|at| (at, 4))
        });
    let (at, separator) = normalised_end?;
    let block: Vec<u8> = buffer.drain(..at + separator).collect();
    Some(String::from_utf8_lossy(&block[..at]).into_owned())
}

/// A `learner` event's view; `None` for comments (keep-alive) and other events.
fn parse_learner_event(block: &str) -> Result<Option<LearnerView>, ClientError> {
    let mut name = "message";
    let mut data = String::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = value.trim();
        } else if let Some(value) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    if name != "learner" || data.is_empty() {
        return Ok(None);
    }
    serde_json::from_str(&data)
        .map(Some)
        .map_err(|error| ClientError::Protocol(format!("learner event: {error}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keep_alive_comments_are_skipped_and_split_events_wait_for_their_end() {
        let mut buffer = b":\n\nevent: learner\ndata: {\"id\"".to_vec();
        let first = take_event_block(&mut buffer).expect("the comment is a complete block");
        assert!(
            parse_learner_event(&first).expect("a comment parses").is_none(),
            "a keep-alive comment carries no view"
        );
        assert_eq!(
            take_event_block(&mut buffer),
            None,
            "half an event must wait for more bytes"
        );
    }

    #[test]
    fn a_malformed_learner_event_is_a_protocol_error_not_a_silent_skip() {
        let error = parse_learner_event("event: learner\ndata: {not json}").expect_err("bad JSON");
        assert_eq!(error.code(), "protocol");
    }
}
