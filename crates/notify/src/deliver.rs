//! One event to one sink: POST its body with the sink's headers, each
//! attempt bounded by the sink's timeout; a connection error, a timeout, a
//! 5xx, a 408 or a 429 is tried again after the backoff (doubling, at most
//! [`crate::config::MAX_BACKOFF`]) until the sink's attempts are spent;
//! any other answer outside 2xx is final.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};

use crate::body::body_for;
use crate::config::{MAX_BACKOFF, Sink};
use crate::event::Event;

/// Why an event did not reach a sink.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// No answer: the connection failed or the attempt timed out.
    #[error("no answer: {0}")]
    Transport(String),
    /// An answer outside 2xx.
    #[error("answered {0}")]
    Status(u16),
}

impl DeliveryError {
    /// Whether another attempt may succeed.
    pub fn retryable(&self) -> bool {
        match self {
            Self::Transport(_) => true,
            Self::Status(s) => *s >= 500 || *s == 408 || *s == 429,
        }
    }
}

/// Delivers `event` to `sink`, counting each attempt tried again in `retried`.
pub(crate) async fn deliver(
    client: &reqwest::Client,
    sink: &Sink,
    event: &Event,
    retried: &AtomicU64,
) -> Result<(), DeliveryError> {
    let body = body_for(sink, event).to_string();
    let mut wait = sink.backoff;
    let mut attempt = 1;
    loop {
        match attempt_once(client, sink, body.clone()).await {
            Ok(()) => return Ok(()),
            Err(e) if !e.retryable() || attempt >= sink.attempts => return Err(e),
            Err(e) => {
                tracing::debug!(sink = %sink.name, attempt, error = %e, "notification attempt failed");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_BACKOFF).max(Duration::from_millis(1));
                attempt += 1;
                retried.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

async fn attempt_once(
    client: &reqwest::Client,
    sink: &Sink,
    body: String,
) -> Result<(), DeliveryError> {
    let answer = client
        .post(sink.url.clone())
        .headers(sink.headers.clone())
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .timeout(sink.timeout)
        .body(body)
        .send()
        .await
        .map_err(|e| DeliveryError::Transport(error_text(e)))?;
    let status = answer.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(DeliveryError::Status(status.as_u16()))
    }
}

/// What went wrong on the way, short, without the URL (a Slack webhook's
/// URL is its secret).
fn error_text(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "cannot connect".to_owned()
    } else {
        e.without_url().to_string()
    }
}
