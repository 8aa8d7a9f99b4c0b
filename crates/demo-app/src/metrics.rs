//! The app's Prometheus metrics, every series labelled by `version`:
//! requests by path and status code, requests in flight, and a latency
//! histogram, encoded in the Prometheus text format for `GET /metrics`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Labels of a finished request.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    version: String,
    path: String,
    code: String,
}

/// Labels of the version-only series.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

/// Labels of the latency histogram.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LatencyLabels {
    version: String,
    path: String,
}

/// Latency buckets in seconds, 1 ms to 10 s.
const BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// The registry and its series.
#[derive(Debug)]
pub(crate) struct Metrics {
    version: String,
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    in_flight: Family<VersionLabels, Gauge>,
    latency: Family<LatencyLabels, Histogram>,
}

impl Metrics {
    /// Empty series for `version`.
    pub(crate) fn new(version: &str) -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let in_flight = Family::<VersionLabels, Gauge>::default();
        let latency = Family::<LatencyLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(BUCKETS)) as fn() -> Histogram,
        );
        registry.register(
            "demo_http_requests",
            "HTTP requests answered, by path and status code",
            requests.clone(),
        );
        registry.register(
            "demo_http_requests_in_flight",
            "HTTP requests being served",
            in_flight.clone(),
        );
        registry.register(
            "demo_http_request_duration_seconds",
            "Time to answer an HTTP request, injected latency included",
            latency.clone(),
        );
        // Make the version visible before the first request.
        in_flight
            .get_or_create(&VersionLabels {
                version: version.to_owned(),
            })
            .set(0);
        Self {
            version: version.to_owned(),
            registry,
            requests,
            in_flight,
            latency,
        }
    }

    /// Counts a request as started.
    pub(crate) fn started(&self) {
        self.in_flight
            .get_or_create(&VersionLabels {
                version: self.version.clone(),
            })
            .inc();
    }

    /// Counts a request as answered with `code` after `seconds`.
    pub(crate) fn finished(&self, path: &str, code: u16, seconds: f64) {
        self.in_flight
            .get_or_create(&VersionLabels {
                version: self.version.clone(),
            })
            .dec();
        self.requests
            .get_or_create(&RequestLabels {
                version: self.version.clone(),
                path: path.to_owned(),
                code: code.to_string(),
            })
            .inc();
        self.latency
            .get_or_create(&LatencyLabels {
                version: self.version.clone(),
                path: path.to_owned(),
            })
            .observe(seconds);
    }

    /// The Prometheus text exposition.
    pub(crate) fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        encode(&mut out, &self.registry)?;
        Ok(out)
    }
}
