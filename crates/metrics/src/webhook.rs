//! The webhook executor: POSTs a [`WebhookPayload`] as JSON to a webhook's
//! URL within its timeout. `pre-rollout`, `rollout` and `post-rollout` are
//! retried with a doubling backoff (`retries`, default 2) and then Failed
//! with the last status or error; `confirm-promotion` and `rollback`
//! ([`WebhookType::polls`]) are asked again every few seconds until a 2xx
//! (Successful) and are never Failed: they run until the caller stops them.

use std::time::Duration;

use serin_api::AnalysisPhase;
use serin_api::webhook::{
    DEFAULT_WEBHOOK_RETRIES, DEFAULT_WEBHOOK_TIMEOUT_SECONDS, Webhook, WebhookPayload,
};
use serin_engine::RunState;

use crate::http::{error_text, tail};

/// How the executor paces its calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WebhookOptions {
    /// Time between two questions of a webhook that polls (default 5s).
    pub poll_interval: Duration,
    /// Wait before the first retry of a failed call; doubled at each retry (default 1s).
    pub retry_backoff: Duration,
}

impl Default for WebhookOptions {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_secs(5),
            retry_backoff: Duration::from_secs(1),
        }
    }
}

/// The time one call may take.
pub fn timeout(webhook: &Webhook) -> Duration {
    webhook
        .timeout
        .as_ref()
        .and_then(|d| d.parse().ok())
        .filter(|d| !d.is_zero())
        .unwrap_or(Duration::from_secs(DEFAULT_WEBHOOK_TIMEOUT_SECONDS))
}

/// What one call gave: a 2xx, or why not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// The webhook answered 2xx.
    Passed,
    /// A non-2xx answer, or no answer, with the reason.
    NotPassed(String),
}

/// Makes one call.
pub async fn call_once(
    client: &reqwest::Client,
    webhook: &Webhook,
    payload: &WebhookPayload,
) -> Answer {
    let sent = client
        .post(&webhook.url)
        .timeout(timeout(webhook))
        .json(payload)
        .send()
        .await;
    match sent {
        Ok(resp) if resp.status().is_success() => Answer::Passed,
        Ok(resp) => {
            let code = resp.status();
            let body = resp.text().await.unwrap_or_default();
            let body = tail(&body, 200);
            Answer::NotPassed(if body.is_empty() {
                format!("answered HTTP {code}")
            } else {
                format!("answered HTTP {code}: {body}")
            })
        }
        Err(e) => Answer::NotPassed(format!("could not be reached: {}", error_text(&e))),
    }
}

/// Calls the webhook as its type says, reporting each step's state through
/// `report`, and returns the final state. A webhook that polls returns only
/// with Successful; stop it by dropping the future (abort its task).
pub async fn call(
    client: &reqwest::Client,
    webhook: &Webhook,
    payload: &WebhookPayload,
    options: WebhookOptions,
    report: impl Fn(RunState),
) -> RunState {
    let kind = webhook.type_.as_str();
    report(state(
        AnalysisPhase::Running,
        format!("{kind} webhook {}: calling", webhook.name),
    ));
    if webhook.type_.polls() {
        let mut asked = 0u64;
        loop {
            asked += 1;
            match call_once(client, webhook, payload).await {
                Answer::Passed => {
                    let done = state(
                        AnalysisPhase::Successful,
                        format!("{kind} webhook {} answered 2xx", webhook.name),
                    );
                    report(done.clone());
                    return done;
                }
                Answer::NotPassed(why) => report(state(
                    AnalysisPhase::Running,
                    format!(
                        "{kind} webhook {} {why} (asked {asked} times; asking again)",
                        webhook.name
                    ),
                )),
            }
            tokio::time::sleep(options.poll_interval).await;
        }
    }
    let retries = u32::try_from(webhook.retries.unwrap_or(DEFAULT_WEBHOOK_RETRIES)).unwrap_or(0);
    let mut backoff = options.retry_backoff;
    let mut attempt = 0u32;
    let last = loop {
        attempt += 1;
        match call_once(client, webhook, payload).await {
            Answer::Passed => {
                let done = state(
                    AnalysisPhase::Successful,
                    format!("{kind} webhook {} answered 2xx", webhook.name),
                );
                report(done.clone());
                return done;
            }
            Answer::NotPassed(why) if attempt > retries => break why,
            Answer::NotPassed(why) => {
                report(state(
                    AnalysisPhase::Running,
                    format!("{kind} webhook {} {why}; retrying", webhook.name),
                ));
                tokio::time::sleep(backoff).await;
                backoff = backoff.saturating_mul(2);
            }
        }
    };
    let failed = state(
        AnalysisPhase::Failed,
        format!("{last} (after {attempt} attempts)"),
    );
    report(failed.clone());
    failed
}

fn state(phase: AnalysisPhase, message: String) -> RunState {
    RunState {
        phase,
        message: Some(message),
        completed_at: None,
    }
}
