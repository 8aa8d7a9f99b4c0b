//! The election loop: read the Lease, do what [`super::lease::step`] says,
//! publish leadership, and keep the timing promises: a leader that has not
//! renewed within the renew deadline steps down, and a graceful shutdown
//! releases the Lease so that a successor takes over at once.

use std::future::Future;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::jiff::Timestamp;
use kube::Api;
use kube::api::PostParams;
use tokio::sync::watch;
use tokio::time::Instant;

use super::lease::{self, Step};
use super::{LeaderConfig, LeaderError};

/// How one attempt to acquire or renew ended.
#[derive(Debug)]
enum Attempt {
    /// We hold the Lease, renewed at the time the attempt started.
    Leading,
    /// Someone else holds it.
    Held(String),
    /// Another candidate wrote the Lease between our read and our write.
    Conflict,
}

/// One candidate for leadership. Build it, take [`LeaderElector::leadership`]
/// receivers, then drive [`LeaderElector::run`] until shutdown.
pub struct LeaderElector {
    api: Api<Lease>,
    config: LeaderConfig,
    leading: watch::Sender<bool>,
}

impl LeaderElector {
    /// A candidate using `client` with `config`.
    ///
    /// # Errors
    /// [`LeaderError::InvalidConfig`] when the settings could give two leaders.
    pub fn new(client: kube::Client, config: LeaderConfig) -> Result<Self, LeaderError> {
        config.validate()?;
        let api = Api::namespaced(client, &config.namespace);
        let (leading, _) = watch::channel(false);
        Ok(Self {
            api,
            config,
            leading,
        })
    }

    /// Whether this candidate leads now, and every change after: true once it
    /// holds the Lease, false when it loses it, fails to renew in time, or
    /// shuts down.
    pub fn leadership(&self) -> watch::Receiver<bool> {
        self.leading.subscribe()
    }

    /// Campaigns, then leads, until `shutdown` completes; then steps down
    /// and, if it was leading, releases the Lease. Make `shutdown` complete
    /// only once the work guarded by leadership has stopped: the release lets
    /// another replica start at once.
    ///
    /// API errors while campaigning are logged and retried every retry
    /// period; they never end the loop.
    ///
    /// # Errors
    /// The release at shutdown failed or timed out (the Lease then simply
    /// expires after its duration).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<(), LeaderError> {
        tokio::pin!(shutdown);
        let c = &self.config;
        // Some(start of the last successful renewal) while leading.
        let mut renewed_at: Option<Instant> = None;
        loop {
            let started = Instant::now();
            let limit = renewed_at.map_or(started + c.renew_deadline, |t| t + c.renew_deadline);
            let attempt = tokio::select! {
                () = &mut shutdown => break,
                r = tokio::time::timeout_at(limit, self.try_acquire_or_renew()) => r,
            };
            match attempt {
                Ok(Ok(Attempt::Leading)) => {
                    if renewed_at.is_none() {
                        tracing::info!(lease = %c.name, identity = %c.identity, "became the leader");
                    }
                    renewed_at = Some(started);
                    self.set_leading(true);
                }
                Ok(Ok(Attempt::Held(holder))) => {
                    if renewed_at.take().is_some() {
                        tracing::warn!(lease = %c.name, %holder, "lost the lease to another holder");
                    }
                    self.set_leading(false);
                }
                Ok(Ok(Attempt::Conflict)) => {
                    tracing::debug!(lease = %c.name, "lease written by another candidate meanwhile");
                }
                Ok(Err(err)) => tracing::warn!(lease = %c.name, %err, "cannot acquire or renew"),
                Err(_) => tracing::warn!(lease = %c.name, "acquire or renew timed out"),
            }
            let next = started + c.retry_period;
            let wake = renewed_at.map_or(next, |t| next.min(t + c.renew_deadline));
            tokio::select! {
                () = &mut shutdown => break,
                () = tokio::time::sleep_until(wake) => {}
            }
            if renewed_at.is_some_and(|t| Instant::now() >= t + c.renew_deadline) {
                tracing::warn!(lease = %c.name, "no renewal within the renew deadline; stepping down");
                renewed_at = None;
                self.set_leading(false);
            }
        }
        self.set_leading(false);
        if renewed_at.is_some() {
            self.release().await?;
        }
        Ok(())
    }

    /// Reads the Lease and creates, renews or takes it, or finds it held.
    async fn try_acquire_or_renew(&self) -> Result<Attempt, LeaderError> {
        let c = &self.config;
        let now = Timestamp::now();
        let seconds = c.lease_duration_seconds();
        let current = self
            .api
            .get_opt(&c.name)
            .await
            .map_err(|e| self.api_error(e))?;
        let wanted = match lease::step(current.as_ref(), &c.identity, now) {
            Step::Wait { holder } => return Ok(Attempt::Held(holder)),
            Step::Create => {
                let new = lease::created(&c.namespace, &c.name, &c.identity, seconds, now);
                return match self.api.create(&PostParams::default(), &new).await {
                    Ok(_) => Ok(Attempt::Leading),
                    Err(e) if is_conflict(&e) => Ok(Attempt::Conflict),
                    Err(e) => Err(self.api_error(e)),
                };
            }
            Step::Renew => current.as_ref().map(|l| lease::renewed(l, seconds, now)),
            Step::Take => current
                .as_ref()
                .map(|l| lease::taken(l, &c.identity, seconds, now)),
        };
        let Some(wanted) = wanted else {
            return Ok(Attempt::Conflict);
        };
        match self
            .api
            .replace(&c.name, &PostParams::default(), &wanted)
            .await
        {
            Ok(_) => Ok(Attempt::Leading),
            Err(e) if is_conflict(&e) => Ok(Attempt::Conflict),
            Err(e) => Err(self.api_error(e)),
        }
    }

    /// Clears the holder if it is still us, within the renew deadline.
    async fn release(&self) -> Result<(), LeaderError> {
        let c = &self.config;
        let release = async {
            let Some(current) = self
                .api
                .get_opt(&c.name)
                .await
                .map_err(|e| self.api_error(e))?
            else {
                return Ok(());
            };
            if lease::holder(&current) != Some(c.identity.as_str()) {
                return Ok(());
            }
            let free = lease::released(&current, Timestamp::now());
            match self
                .api
                .replace(&c.name, &PostParams::default(), &free)
                .await
            {
                Ok(_) => {
                    tracing::info!(lease = %c.name, "released the lease");
                    Ok(())
                }
                // Someone wrote it meanwhile: it is no longer ours to release.
                Err(e) if is_conflict(&e) => Ok(()),
                Err(e) => Err(self.api_error(e)),
            }
        };
        tokio::time::timeout(c.renew_deadline, release)
            .await
            .unwrap_or_else(|_| {
                Err(LeaderError::ReleaseTimedOut {
                    namespace: c.namespace.clone(),
                    name: c.name.clone(),
                })
            })
    }

    /// Publishes leadership, waking receivers only when it changes (not on
    /// every renewal).
    fn set_leading(&self, leading: bool) {
        self.leading.send_if_modified(|current| {
            let changed = *current != leading;
            *current = leading;
            changed
        });
    }

    fn api_error(&self, source: kube::Error) -> LeaderError {
        LeaderError::Api {
            namespace: self.config.namespace.clone(),
            name: self.config.name.clone(),
            source,
        }
    }
}

/// A 409: the Lease changed since we read it, or was created meanwhile.
fn is_conflict(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(status) if status.code == 409)
}
