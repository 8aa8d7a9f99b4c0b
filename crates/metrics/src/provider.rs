//! [`MetricProvider`]: the one trait the runner measures through, and
//! [`Providers`], its implementation over the closed set of providers
//! (dispatch on which field of the metric's `provider` is set).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serin_api::analysis::{Measurement, Metric};
use serin_engine::measure::Outcome;

use crate::builtin::BuiltinProvider;
use crate::feed::ArmFeed;
use crate::{MeasureError, exec, prometheus, sequential, web};

/// The time a sequential look may take.
const SEQUENTIAL_TIMEOUT: Duration = Duration::from_secs(30);
/// Added to a builtin metric's window: the first measurement waits one window.
const BUILTIN_SLACK: Duration = Duration::from_secs(30);

/// One measurement to take.
#[derive(Clone, Copy, Debug)]
pub struct Request<'a> {
    /// The run's name (providers that keep state key it by run and metric).
    pub run: &'a str,
    /// The metric, with `{{args.NAME}}` already substituted.
    pub metric: &'a Metric,
    /// The metric's latest measurement, if any (the sequential judge's state).
    pub last: Option<&'a Measurement>,
    /// How many sequential metrics the run has (they share alpha).
    pub sequential_metrics: usize,
}

/// Takes one measurement. Never fails: a measurement that could not be
/// taken is an [`Outcome::Error`] with why.
pub trait MetricProvider: Send + Sync {
    /// Measures `req.metric` once.
    fn measure(&self, req: Request<'_>) -> impl Future<Output = Outcome> + Send;
}

/// The time a measurement of `metric` may take before it counts as an error.
pub fn timeout_of(metric: &Metric) -> Duration {
    let p = &metric.provider;
    if let Some(x) = &p.prometheus {
        prometheus::timeout(x)
    } else if let Some(x) = &p.web {
        web::timeout(x)
    } else if let Some(x) = &p.exec {
        exec::timeout(x)
    } else if let Some(x) = &p.builtin {
        crate::builtin::window(metric, x) + BUILTIN_SLACK
    } else {
        SEQUENTIAL_TIMEOUT
    }
}

/// Every provider serin has: Prometheus, web and exec always; builtin and
/// sequential when a per-arm feed (serin's proxy) is given.
pub struct Providers {
    client: reqwest::Client,
    feed: Option<Arc<dyn ArmFeed>>,
    builtin: Option<BuiltinProvider>,
}

impl std::fmt::Debug for Providers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Providers")
            .field("feed", &self.feed.is_some())
            .finish_non_exhaustive()
    }
}

impl Providers {
    /// Providers using `client` for HTTP (see [`crate::http_client`]).
    pub fn new(client: reqwest::Client) -> Self {
        Self {
            client,
            feed: None,
            builtin: None,
        }
    }

    /// Adds the per-arm feed the `builtin` and `sequential` providers read.
    pub fn with_feed(mut self, feed: Arc<dyn ArmFeed>) -> Self {
        self.builtin = Some(BuiltinProvider::new(feed.clone()));
        self.feed = Some(feed);
        self
    }

    async fn try_measure(&self, req: Request<'_>) -> Result<Outcome, MeasureError> {
        let p = &req.metric.provider;
        let no_feed = |name| {
            MeasureError::config(
                name,
                "this platform has no per-arm feed (serin's proxy); use prometheus instead",
            )
        };
        if let Some(x) = &p.prometheus {
            prometheus::query(&self.client, x).await.map(Outcome::value)
        } else if let Some(x) = &p.web {
            web::fetch(&self.client, x).await.map(Outcome::value)
        } else if let Some(x) = &p.exec {
            exec::run(x).await
        } else if let Some(x) = &p.builtin {
            let b = self.builtin.as_ref().ok_or_else(|| no_feed("builtin"))?;
            b.measure(req.run, req.metric, x).await.map(Outcome::value)
        } else if let Some(x) = &p.sequential {
            let feed = self.feed.as_deref().ok_or_else(|| no_feed("sequential"))?;
            sequential::look(feed, x, req.sequential_metrics.max(1), req.last)
        } else {
            Err(MeasureError::config(
                "provider",
                "the metric sets no provider",
            ))
        }
    }
}

impl MetricProvider for Providers {
    async fn measure(&self, req: Request<'_>) -> Outcome {
        match self.try_measure(req).await {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Error(e.to_string()),
        }
    }
}
