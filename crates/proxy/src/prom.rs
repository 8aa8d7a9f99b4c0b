//! Prometheus text exposition of the per-arm metrics, through the
//! `prometheus-client` crate: requests by status class, errors, the latency
//! histogram, and in-flight requests, labelled by rollout, version and arm.

use std::fmt;
use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::Registry;

use crate::arm::Arm;
use crate::listener::ListenerShared;
use crate::metrics::{MetricsFeed, STATUS_CLASSES};

/// Reads the live counters at scrape time.
#[derive(Debug)]
struct Scrape {
    feed: MetricsFeed,
    listeners: Vec<Arc<ListenerShared>>,
}

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder) -> fmt::Result {
        let arms = self.feed.snapshot().arms;
        {
            let mut m = enc.encode_descriptor(
                "serin_proxy_requests",
                "Requests answered per arm, by status class (error: no upstream response).",
                None,
                MetricType::Counter,
            )?;
            for a in &arms {
                let s = &a.status;
                let counts = [
                    s.informational,
                    s.success,
                    s.redirection,
                    s.client_error,
                    s.server_error,
                    s.upstream_error,
                ];
                for (class, n) in STATUS_CLASSES.iter().zip(counts) {
                    let labels = [
                        ("rollout", a.rollout.as_str()),
                        ("version", a.version.as_str()),
                        ("arm", a.arm.as_str()),
                        ("status_class", class),
                    ];
                    m.encode_family(&labels)?
                        .encode_counter::<NoLabelSet, _, u64>(&n, None)?;
                }
            }
        }
        {
            let mut m = enc.encode_descriptor(
                "serin_proxy_errors",
                "5xx responses and upstream connection failures per arm.",
                None,
                MetricType::Counter,
            )?;
            for a in &arms {
                let labels = [
                    ("rollout", a.rollout.as_str()),
                    ("version", a.version.as_str()),
                    ("arm", a.arm.as_str()),
                ];
                m.encode_family(&labels)?
                    .encode_counter::<NoLabelSet, _, u64>(&a.errors, None)?;
            }
        }
        {
            let mut m = enc.encode_descriptor(
                "serin_proxy_request_duration_seconds",
                "Time from receiving a request to the upstream's response headers.",
                None,
                MetricType::Histogram,
            )?;
            for a in &arms {
                let labels = [
                    ("rollout", a.rollout.as_str()),
                    ("version", a.version.as_str()),
                    ("arm", a.arm.as_str()),
                ];
                let l = &a.latency;
                let buckets: Vec<(f64, u64)> = l
                    .bounds_seconds
                    .iter()
                    .copied()
                    .chain([f64::MAX])
                    .zip(l.counts.iter().copied())
                    .collect();
                m.encode_family(&labels)?.encode_histogram::<NoLabelSet>(
                    l.sum_seconds,
                    l.count,
                    &buckets,
                    None,
                )?;
            }
        }
        {
            let mut m = enc.encode_descriptor(
                "serin_proxy_in_flight_requests",
                "Requests being served per arm right now.",
                None,
                MetricType::Gauge,
            )?;
            for l in &self.listeners {
                let active = l.active.load();
                for arm in Arm::ALL {
                    let Some(version) = active.policy.version(arm) else {
                        continue;
                    };
                    let labels = [
                        ("rollout", l.rollout.as_str()),
                        ("version", version),
                        ("arm", arm.as_str()),
                    ];
                    let n = i64::try_from(l.in_flight.count(arm)).unwrap_or(i64::MAX);
                    m.encode_family(&labels)?.encode_gauge(&n)?;
                }
            }
        }
        Ok(())
    }
}

/// The Prometheus text exposition of every listener's metrics.
pub(crate) fn render(feed: &MetricsFeed, listeners: Vec<Arc<ListenerShared>>) -> String {
    let mut registry = Registry::default();
    registry.register_collector(Box::new(Scrape {
        feed: feed.clone(),
        listeners,
    }));
    let mut out = String::new();
    if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &registry) {
        tracing::error!(error = %e, "cannot encode metrics");
    }
    out
}
