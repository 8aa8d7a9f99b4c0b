//! The table of resource kinds the fake serves: their group, version, kind,
//! plural, scope and subresources. Paths, discovery and storage all read it.

/// One kind of resource the fake API server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResourceType {
    /// The API group; empty for the core group.
    pub group: &'static str,
    /// The version within the group.
    pub version: &'static str,
    /// The kind, as in an object's `kind`.
    pub kind: &'static str,
    /// The plural name used in paths.
    pub plural: &'static str,
    /// Whether objects live in a namespace.
    pub namespaced: bool,
    /// Whether writes to the main resource keep `status` and `/status` changes only `status`.
    pub status: bool,
    /// Whether the kind has a `/scale` subresource over `spec.replicas`.
    pub scale: bool,
}

impl ResourceType {
    /// The `apiVersion` of this kind's objects (`v1`, `apps/v1`).
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// Whether objects carry `metadata.generation`: custom resources and
    /// kinds with a status subresource (not ConfigMaps, Events or Leases).
    pub fn tracks_generation(&self) -> bool {
        self.status
            || matches!(
                self.group,
                "serin.dev" | "gateway.networking.k8s.io" | "networking.istio.io"
            )
    }

    /// The qualified resource name used in error messages (`replicasets.apps`).
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const fn rt(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    status: bool,
    scale: bool,
) -> ResourceType {
    ResourceType {
        group,
        version,
        kind,
        plural,
        namespaced,
        status,
        scale,
    }
}

/// Pods (core/v1), which the simulator makes.
pub const POD: ResourceType = rt("", "v1", "Pod", "pods", true, true, false);
/// ReplicaSets (apps/v1), which the simulator runs.
pub const REPLICASET: ResourceType =
    rt("apps", "v1", "ReplicaSet", "replicasets", true, true, true);

/// Deployments (apps/v1), which the simulator runs through ReplicaSets.
pub const DEPLOYMENT: ResourceType =
    rt("apps", "v1", "Deployment", "deployments", true, true, true);

/// Every kind the fake serves.
pub static RESOURCES: &[ResourceType] = &[
    POD,
    rt("", "v1", "Service", "services", true, true, false),
    rt("", "v1", "Event", "events", true, false, false),
    rt("", "v1", "ConfigMap", "configmaps", true, false, false),
    rt("", "v1", "Namespace", "namespaces", false, true, false),
    rt(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        true,
        false,
        false,
    ),
    rt("", "v1", "Secret", "secrets", true, false, false),
    rt("events.k8s.io", "v1", "Event", "events", true, false, false),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        true,
        false,
        false,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
        false,
        false,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
        false,
        false,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
        false,
        false,
    ),
    rt(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        true,
        false,
    ),
    REPLICASET,
    DEPLOYMENT,
    rt(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        true,
        false,
        false,
    ),
    rt(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        true,
        true,
        false,
    ),
    rt(
        "serin.dev",
        "v1alpha1",
        "Rollout",
        "rollouts",
        true,
        true,
        true,
    ),
    rt(
        "serin.dev",
        "v1alpha1",
        "AnalysisRun",
        "analysisruns",
        true,
        true,
        false,
    ),
    rt(
        "serin.dev",
        "v1alpha1",
        "AnalysisTemplate",
        "analysistemplates",
        true,
        false,
        false,
    ),
    rt(
        "serin.dev",
        "v1alpha1",
        "ClusterAnalysisTemplate",
        "clusteranalysistemplates",
        false,
        false,
        false,
    ),
    rt(
        "gateway.networking.k8s.io",
        "v1",
        "HTTPRoute",
        "httproutes",
        true,
        true,
        false,
    ),
    rt(
        "networking.istio.io",
        "v1",
        "VirtualService",
        "virtualservices",
        true,
        true,
        false,
    ),
    rt(
        "networking.istio.io",
        "v1",
        "DestinationRule",
        "destinationrules",
        true,
        true,
        false,
    ),
];

/// The kind served at `group`/`version` under `plural`, if any.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The kind with this `apiVersion` and `kind`, if any.
pub fn find_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.api_version() == api_version)
}
