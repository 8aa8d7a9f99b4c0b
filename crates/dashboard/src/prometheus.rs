//! Per-version numbers on Kubernetes, where serin has no data plane of its
//! own: three PromQL templates (request rate, error rate, p99 in
//! milliseconds) filled per version with `{{namespace}}`, `{{rollout}}` and
//! `{{version}}` (the revision: the pod-template hash serin labels each
//! version's pods with) and asked of a Prometheus, for the stable, canary
//! and preview versions of each view. Each version's numbers are asked at
//! most once per [`Prometheus::every`] (5 s by default: a scrape interval
//! is rarely shorter), whatever the number of open pages.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serin_api::analysis::PrometheusMetric;
use serin_engine::measure::ResultValue;
use serin_view::{ArmNumbers, RolloutView};

/// The default request-rate template: requests per second over the last
/// minute of an `http_requests_total` counter, as the usual
/// `kubernetes-pods` scrape job labels it (`namespace`, and each pod label
/// with its name sanitized: `serin.dev/pod-template-hash` becomes
/// `serin_dev_pod_template_hash`).
pub const DEFAULT_REQUESTS: &str = r#"sum(rate(http_requests_total{namespace="{{namespace}}",serin_dev_pod_template_hash="{{version}}"}[1m]))"#;
/// The default error-rate template: the share of 5xx answers (0 when a
/// version has no 5xx series at all).
pub const DEFAULT_ERRORS: &str = r#"(sum(rate(http_requests_total{namespace="{{namespace}}",serin_dev_pod_template_hash="{{version}}",code=~"5.."}[1m])) or vector(0)) / sum(rate(http_requests_total{namespace="{{namespace}}",serin_dev_pod_template_hash="{{version}}"}[1m]))"#;
/// The default p99 template, in milliseconds, from an
/// `http_request_duration_seconds` histogram.
pub const DEFAULT_P99: &str = r#"1000 * histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{namespace}}",serin_dev_pod_template_hash="{{version}}"}[1m])))"#;

/// The three templates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Queries {
    /// Requests per second of one version.
    pub requests_per_second: String,
    /// Share of its requests that failed, from 0 to 1.
    pub error_rate: String,
    /// Its 99th percentile latency in milliseconds.
    pub p99_ms: String,
}

impl Default for Queries {
    fn default() -> Queries {
        Queries {
            requests_per_second: DEFAULT_REQUESTS.to_owned(),
            error_rate: DEFAULT_ERRORS.to_owned(),
            p99_ms: DEFAULT_P99.to_owned(),
        }
    }
}

/// `template` with its placeholders (spaces inside the braces allowed:
/// `{{ version }}`) replaced.
pub fn fill(template: &str, namespace: &str, rollout: &str, version: &str) -> String {
    let mut out = template.to_owned();
    for (key, value) in [
        ("namespace", namespace),
        ("rollout", rollout),
        ("version", version),
    ] {
        out = out
            .replace(&format!("{{{{{key}}}}}"), value)
            .replace(&format!("{{{{ {key} }}}}"), value);
    }
    out
}

type Key = (String, String, String);

/// A Prometheus and the templates asked of it.
#[derive(Debug)]
pub struct Prometheus {
    address: String,
    queries: Queries,
    http: reqwest::Client,
    every: Duration,
    asked: Mutex<HashMap<Key, (Instant, Option<Numbers>)>>,
}

/// One version's three numbers.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Numbers {
    requests_per_second: f64,
    error_rate: Option<f64>,
    p99_ms: Option<f64>,
}

impl Prometheus {
    /// The Prometheus at `address` (`http://prometheus:9090`), asked
    /// `queries` through `http`.
    pub fn new(address: &str, queries: Queries, http: reqwest::Client) -> Prometheus {
        Prometheus {
            address: address.trim_end_matches('/').to_owned(),
            queries,
            http,
            every: Duration::from_secs(5),
            asked: Mutex::new(HashMap::new()),
        }
    }

    /// Asks each version's numbers at most once per `every`.
    pub fn every(self, every: Duration) -> Prometheus {
        Prometheus { every, ..self }
    }

    /// The numbers of `view`'s stable, canary and preview versions (the
    /// rollout `rollout` of `namespace`); a version Prometheus knows
    /// nothing of is left out.
    pub async fn arms(
        &self,
        namespace: &str,
        rollout: &str,
        view: &RolloutView,
    ) -> Vec<ArmNumbers> {
        let mut arms: Vec<(&str, &str)> = Vec::new();
        for (arm, version) in [
            ("stable", &view.stable),
            ("canary", &view.canary),
            ("preview", &view.preview),
        ] {
            if let Some(v) = version.as_deref().filter(|v| !v.is_empty())
                && !arms.iter().any(|(_, seen)| *seen == v)
            {
                arms.push((arm, v));
            }
        }
        let mut out = Vec::new();
        for (arm, version) in arms {
            if let Some(n) = self.numbers(namespace, rollout, version).await {
                out.push(ArmNumbers {
                    arm: arm.to_owned(),
                    version: version.to_owned(),
                    requests_per_second: n.requests_per_second,
                    error_rate: n.error_rate,
                    p99_ms: n.p99_ms,
                });
            }
        }
        out
    }

    /// One version's numbers, asked again once the last answer is `every` old.
    async fn numbers(&self, namespace: &str, rollout: &str, version: &str) -> Option<Numbers> {
        let key = (namespace.to_owned(), rollout.to_owned(), version.to_owned());
        let fresh = |asked: &HashMap<Key, (Instant, Option<Numbers>)>| {
            asked
                .get(&key)
                .filter(|(at, _)| at.elapsed() < self.every)
                .map(|(_, n)| *n)
        };
        if let Some(n) = fresh(&self.asked.lock().unwrap_or_else(PoisonError::into_inner)) {
            return n;
        }
        let ask = |template: &str| self.ask(fill(template, namespace, rollout, version));
        let (rps, errors, p99) = futures::join!(
            ask(&self.queries.requests_per_second),
            ask(&self.queries.error_rate),
            ask(&self.queries.p99_ms),
        );
        let n = (rps.is_some() || errors.is_some() || p99.is_some()).then(|| Numbers {
            requests_per_second: rps.unwrap_or(0.0),
            error_rate: errors,
            p99_ms: p99,
        });
        let mut asked = self.asked.lock().unwrap_or_else(PoisonError::into_inner);
        asked.retain(|_, (at, _)| at.elapsed() < self.every * 10);
        asked.insert(key, (Instant::now(), n));
        n
    }

    /// The first finite number `query` answers, if any.
    async fn ask(&self, query: String) -> Option<f64> {
        let metric = PrometheusMetric {
            address: self.address.clone(),
            query,
            timeout: Some(serin_api::Duration::new("5s")),
            ..PrometheusMetric::default()
        };
        match serin_metrics::prometheus::query(&self.http, &metric).await {
            Ok(ResultValue::Number(n)) => Some(n).filter(|n| n.is_finite()),
            Ok(ResultValue::Vector(v)) => v.first().copied().filter(|n| n.is_finite()),
            Ok(ResultValue::Json(_)) => None,
            Err(e) => {
                tracing::debug!(query = %metric.query, error = %e, "dashboard: asking Prometheus");
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_REQUESTS, fill};

    #[test]
    fn placeholders_are_filled_with_or_without_spaces() {
        let q = fill(
            "x{ns=\"{{namespace}}\",r=\"{{ rollout }}\",v=\"{{version}}\"}",
            "shop",
            "cart",
            "5d4e8a",
        );
        assert_eq!(q, "x{ns=\"shop\",r=\"cart\",v=\"5d4e8a\"}");
        let d = fill(DEFAULT_REQUESTS, "shop", "cart", "5d4e8a");
        assert!(
            d.contains(r#"namespace="shop",serin_dev_pod_template_hash="5d4e8a""#),
            "{d}"
        );
        assert!(!d.contains("{{"), "{d}");
    }
}
