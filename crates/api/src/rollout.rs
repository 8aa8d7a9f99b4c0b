//! The `Rollout` resource: what to run (a Kubernetes pod template, a reference
//! to a Deployment, or a local command), and how to release a new version of it
//! (the strategy). The CRD is derived from these types.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::PodTemplateSpec;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::bluegreen::BlueGreenStrategy;
use crate::canary::CanaryStrategy;
use crate::run_history::AnalysisRunStrategy;
use crate::status::RolloutStatus;

/// Default number of replicas of a version.
pub const DEFAULT_REPLICAS: i32 = 1;
/// Default `progressDeadlineSeconds`, as in Argo Rollouts and Flagger.
pub const DEFAULT_PROGRESS_DEADLINE_SECONDS: i32 = 600;
/// Default `revisionHistoryLimit`.
pub const DEFAULT_REVISION_HISTORY_LIMIT: i32 = 10;

/// A Rollout releases new versions of a workload progressively (canary or
/// blue-green), judging each step with analysis and rolling back by itself.
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "serin.dev",
    version = "v1alpha1",
    kind = "Rollout",
    namespaced,
    status = "RolloutStatus",
    shortname = "sro",
    category = "serin",
    scale = r#"{"specReplicasPath":".spec.replicas","statusReplicasPath":".status.replicas","labelSelectorPath":".status.selector"}"#,
    printcolumn = r#"{"name":"Desired","type":"integer","jsonPath":".spec.replicas"}"#,
    printcolumn = r#"{"name":"Current","type":"integer","jsonPath":".status.replicas"}"#,
    printcolumn = r#"{"name":"Up-to-date","type":"integer","jsonPath":".status.updatedReplicas"}"#,
    printcolumn = r#"{"name":"Available","type":"integer","jsonPath":".status.availableReplicas"}"#,
    printcolumn = r#"{"name":"Step","type":"string","jsonPath":".status.stepDisplay"}"#,
    printcolumn = r#"{"name":"Weight","type":"integer","jsonPath":".status.traffic.canaryWeight"}"#,
    printcolumn = r#"{"name":"Phase","type":"string","jsonPath":".status.phase"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RolloutSpec {
    /// Replicas of the stable version (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Label selector of the pods (Kubernetes); must match the template's labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// The pod template of the workload (Kubernetes). Exactly one of
    /// `template`, `workloadRef` and `local` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<PodTemplateSpec>,
    /// A Deployment whose pod template this Rollout releases (Kubernetes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workload_ref: Option<WorkloadRef>,
    /// The workload as local processes (one host).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<LocalWorkload>,
    /// How a new version is released.
    pub strategy: Strategy,
    /// Seconds a new replica must be ready before it counts as available.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    /// Old revisions kept for undo (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
    /// Pauses the rollout while true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// Seconds a rollout may wait on the platform (replicas, traffic,
    /// analysis to start) without progress before the deadline is exceeded
    /// (default 600). Applies in every phase but pauses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_seconds: Option<i32>,
    /// Abort the rollout when the progress deadline is exceeded (default true;
    /// with false the rollout is marked Degraded and keeps waiting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress_deadline_abort: Option<bool>,
    /// Webhooks called during a release (Flagger's types).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhooks: Vec<crate::webhook::Webhook>,
    /// How many finished analysis runs of past releases are kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub analysis: Option<AnalysisRunStrategy>,
}

impl RolloutSpec {
    /// `replicas`, defaulted and never negative.
    pub fn replicas(&self) -> u32 {
        u32::try_from(self.replicas.unwrap_or(DEFAULT_REPLICAS)).unwrap_or(0)
    }

    /// `progressDeadlineSeconds` in milliseconds, defaulted.
    pub fn progress_deadline_ms(&self) -> u64 {
        let secs = self
            .progress_deadline_seconds
            .unwrap_or(DEFAULT_PROGRESS_DEADLINE_SECONDS);
        u64::try_from(secs).unwrap_or(0) * 1000
    }

    /// Whether an exceeded progress deadline aborts the rollout.
    pub fn progress_deadline_abort(&self) -> bool {
        self.progress_deadline_abort.unwrap_or(true)
    }

    /// `spec.analysis`, defaulted.
    pub fn run_history(&self) -> AnalysisRunStrategy {
        self.analysis.clone().unwrap_or_default()
    }

    /// `revisionHistoryLimit`, defaulted.
    pub fn revision_history_limit(&self) -> usize {
        usize::try_from(
            self.revision_history_limit
                .unwrap_or(DEFAULT_REVISION_HISTORY_LIMIT),
        )
        .unwrap_or(0)
    }
}

/// How a new version is released: exactly one of `canary` and `blueGreen`.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Strategy {
    /// Shift traffic to the new version step by step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryStrategy>,
    /// Bring up the new version in full beside the old and switch all at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blue_green: Option<BlueGreenStrategy>,
}

/// A reference to an existing workload whose pod template the Rollout uses.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct WorkloadRef {
    /// `apps/v1`.
    pub api_version: String,
    /// `Deployment`.
    pub kind: String,
    /// The workload's name, in the Rollout's namespace.
    pub name: String,
    /// What to do with the referenced Deployment: `never` (default) leaves it,
    /// `onsuccess` scales it to zero once the Rollout is healthy,
    /// `progressively` scales it down as the Rollout scales up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_down: Option<WorkloadScaleDown>,
}

/// When a referenced Deployment is scaled down.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum WorkloadScaleDown {
    /// Leave the Deployment as it is.
    Never,
    /// Scale it to zero once the Rollout is healthy.
    Onsuccess,
    /// Scale it down as the Rollout scales up.
    Progressively,
}

/// The workload as local processes, run by the one-host daemon behind its proxy.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalWorkload {
    /// Command and arguments; `{port}`, `{version}` and `{replica}` are
    /// replaced in each element.
    pub command: Vec<String>,
    /// The version released when the rollout is first created.
    pub version: String,
    /// Address the proxy listens on for this rollout (default `127.0.0.1:8080`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listen: Option<String>,
    /// Address of the blue-green preview listener.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview_listen: Option<String>,
    /// Environment of the processes; values may use the same placeholders.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    /// Working directory of the processes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Probes of each replica.
    #[serde(default)]
    pub probes: LocalProbes,
    /// Seconds to wait for in-flight requests when a replica is drained (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drain_seconds: Option<i32>,
    /// Seconds between SIGTERM and SIGKILL (default 10).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i32>,
}

/// The probes of a local replica.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocalProbes {
    /// Must pass once before readiness and liveness are probed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<HttpProbe>,
    /// Decides whether the replica receives traffic.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<HttpProbe>,
    /// Restarts the replica when it fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness: Option<HttpProbe>,
}

/// An HTTP GET probe against the replica's port.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HttpProbe {
    /// Request path, starting with `/`.
    pub path: String,
    /// Time between probes (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<crate::Duration>,
    /// Time a probe may take (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<crate::Duration>,
    /// Consecutive failures that fail the probe (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
}
