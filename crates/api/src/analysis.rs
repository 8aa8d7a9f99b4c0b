//! `AnalysisTemplate`, `ClusterAnalysisTemplate` and `AnalysisRun`: metrics
//! to measure, the conditions (CEL over `result`) that judge each measurement,
//! the limits that turn measurements into a verdict, and the recorded results.

use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Duration, Time};

/// Default `consecutiveErrorLimit`, as in Argo Rollouts.
pub const DEFAULT_CONSECUTIVE_ERROR_LIMIT: i32 = 4;

macro_rules! template_spec {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            /// The metrics measured; the run's verdict combines theirs.
            pub metrics: Vec<Metric>,
            /// Arguments the metrics may use as `{{args.NAME}}`.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub args: Vec<Argument>,
            /// Metrics measured and recorded but never failing the run.
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub dry_run: Vec<MetricSelector>,
            /// How many measurements to keep per metric (default 10).
            #[serde(default, skip_serializing_if = "Vec::is_empty")]
            pub measurement_retention: Vec<MeasurementRetention>,
        }
    };
}

template_spec!(
    /// Metrics and how to judge them, referenced by Rollouts in the same namespace.
    #[derive(CustomResource)]
    #[kube(group = "serin.dev", version = "v1alpha1", kind = "AnalysisTemplate", namespaced, shortname = "sat", category = "serin")]
    AnalysisTemplateSpec
);

template_spec!(
    /// The same as an AnalysisTemplate, for Rollouts in every namespace.
    #[derive(CustomResource)]
    #[kube(group = "serin.dev", version = "v1alpha1", kind = "ClusterAnalysisTemplate", shortname = "scat", category = "serin")]
    ClusterAnalysisTemplateSpec
);

impl From<ClusterAnalysisTemplateSpec> for AnalysisTemplateSpec {
    fn from(c: ClusterAnalysisTemplateSpec) -> Self {
        Self {
            metrics: c.metrics,
            args: c.args,
            dry_run: c.dry_run,
            measurement_retention: c.measurement_retention,
        }
    }
}

/// One analysis: the metrics of its templates, with arguments resolved.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "serin.dev",
    version = "v1alpha1",
    kind = "AnalysisRun",
    namespaced,
    status = "AnalysisRunStatus",
    shortname = "sar",
    category = "serin",
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AnalysisRunSpec {
    /// The metrics measured.
    pub metrics: Vec<Metric>,
    /// Arguments with their values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<Argument>,
    /// Metrics that never fail the run.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dry_run: Vec<MetricSelector>,
    /// How many measurements to keep per metric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurement_retention: Vec<MeasurementRetention>,
    /// Stop measuring; the run ends with the verdict so far.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub terminate: bool,
}

/// A template argument.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Argument {
    /// The argument's name.
    pub name: String,
    /// A default value; a Rollout's value replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// Names a metric.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricSelector {
    /// The metric's name, or `*` for all.
    pub metric_name: String,
}

/// How many measurements of a metric to keep.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MeasurementRetention {
    /// The metric's name, or `*` for all.
    pub metric_name: String,
    /// Measurements kept.
    pub limit: i32,
}

/// A metric: what to measure, how often, and how to judge it.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Metric {
    /// The metric's name, unique in the run.
    pub name: String,
    /// Time between measurements (one measurement when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<Duration>,
    /// Wait before the first measurement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay: Option<Duration>,
    /// Number of measurements (unbounded with an interval when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
    /// CEL over `result`: true means the measurement passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_condition: Option<String>,
    /// CEL over `result`: true means the measurement failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_condition: Option<String>,
    /// Failed measurements tolerated before the metric fails (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_limit: Option<i32>,
    /// Inconclusive measurements tolerated (default 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inconclusive_limit: Option<i32>,
    /// Consecutive errors tolerated before the metric errs (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consecutive_error_limit: Option<i32>,
    /// Where the measurement comes from.
    pub provider: MetricProvider,
}

/// Where a measurement comes from: exactly one field.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MetricProvider {
    /// A Prometheus query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prometheus: Option<PrometheusMetric>,
    /// An HTTP request whose JSON answer holds the value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<WebMetric>,
    /// A command; exit status 0 passes (one host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecMetric>,
    /// A number from serin's proxy, with no configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<BuiltinMetric>,
    /// The sequential judge: canary against stable, request by request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequential: Option<SequentialMetric>,
}

impl MetricProvider {
    /// The names of the providers that are set.
    pub fn set_fields(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.prometheus.is_some() {
            set.push("prometheus");
        }
        if self.web.is_some() {
            set.push("web");
        }
        if self.exec.is_some() {
            set.push("exec");
        }
        if self.builtin.is_some() {
            set.push("builtin");
        }
        if self.sequential.is_some() {
            set.push("sequential");
        }
        set
    }
}

/// A Prometheus query.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrometheusMetric {
    /// Base URL of the Prometheus server.
    pub address: String,
    /// PromQL; `{{args.NAME}}` is replaced.
    pub query: String,
    /// Time the query may take (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// Extra request headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<WebHeader>,
}

/// An HTTP request whose answer holds the value.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebMetric {
    /// The URL; `{{args.NAME}}` is replaced.
    pub url: String,
    /// `GET` (default) or `POST`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Request headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<WebHeader>,
    /// Request body for POST.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// JSONPath to the value in the answer (the whole answer when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
    /// Seconds the request may take (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
}

/// An HTTP header.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WebHeader {
    /// Header name.
    pub key: String,
    /// Header value.
    pub value: String,
}

/// A command whose exit status is the measurement.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecMetric {
    /// Command and arguments; `{{args.NAME}}` is replaced.
    pub command: Vec<String>,
    /// Time the command may take (default 60s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
}

/// A number read from serin's proxy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BuiltinMetric {
    /// Which number.
    pub metric: BuiltinMetricKind,
    /// Which arm (default canary).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub arm: Option<Arm>,
    /// Quantile for `latency`, in (0, 1) (default 0.99).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantile: Option<f64>,
    /// Time window (default the metric's interval, or 1m).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
}

/// A number the proxy knows per arm.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum BuiltinMetricKind {
    /// Share of requests that did not fail, 0..=1.
    #[default]
    SuccessRate,
    /// Share of requests that failed, 0..=1.
    ErrorRate,
    /// Requests per second.
    RequestRate,
    /// A latency quantile in seconds.
    Latency,
}

/// A traffic arm of the proxy.
#[derive(
    Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Arm {
    /// The stable version.
    Stable,
    /// The canary version.
    Canary,
    /// The blue-green preview.
    Preview,
    /// The mirror target.
    Shadow,
}

/// The sequential judge's parameters.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SequentialMetric {
    /// What is compared: error counts or latency.
    pub test: SequentialTest,
    /// False alarm probability over the whole analysis (default 0.01).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpha: Option<f64>,
    /// The smallest degradation worth catching, as a ratio: 2.0 means "the
    /// canary fails twice as often" (default 2.0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_effect: Option<f64>,
    /// Canary requests after which the judge stops (default 20000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_samples: Option<i64>,
    /// For `latency`: the stable quantile canary requests are compared to (default 0.95).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_quantile: Option<f64>,
}

/// What the sequential judge compares.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum SequentialTest {
    /// Error counts per arm.
    #[default]
    Errors,
    /// Share of requests slower than the stable's quantile.
    Latency,
}

/// The phase of an analysis run, a metric or a measurement.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum AnalysisPhase {
    /// Not started.
    #[default]
    Pending,
    /// Measuring.
    Running,
    /// Passed.
    Successful,
    /// Failed: the rollout aborts.
    Failed,
    /// Could not measure, past the error limit: the rollout aborts.
    Error,
    /// Neither passed nor failed: the rollout pauses.
    Inconclusive,
}

impl AnalysisPhase {
    /// Whether the phase is final.
    pub fn is_terminal(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

/// The results of an AnalysisRun.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AnalysisRunStatus {
    /// The run's verdict so far.
    pub phase: AnalysisPhase,
    /// Why, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When measuring started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When the run reached its final phase (unset while it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Time>,
    /// Per metric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metric_results: Vec<MetricResult>,
}

/// The results of one metric.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct MetricResult {
    /// The metric's name.
    pub name: String,
    /// The metric's verdict so far.
    pub phase: AnalysisPhase,
    /// Measurements taken.
    #[serde(default)]
    pub count: i32,
    /// Successful measurements.
    #[serde(default)]
    pub successful: i32,
    /// Failed measurements.
    #[serde(default)]
    pub failed: i32,
    /// Inconclusive measurements.
    #[serde(default)]
    pub inconclusive: i32,
    /// Measurements that erred.
    #[serde(default)]
    pub error: i32,
    /// Errors in a row.
    #[serde(default)]
    pub consecutive_error: i32,
    /// Whether the metric is dry-run.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub dry_run: bool,
    /// Why, for a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The latest measurements.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub measurements: Vec<Measurement>,
}

/// One measurement.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Measurement {
    /// Its verdict.
    pub phase: AnalysisPhase,
    /// The value as text (a number, or a JSON list).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// When it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    /// When it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
    /// Why, for a person (an error's text).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
