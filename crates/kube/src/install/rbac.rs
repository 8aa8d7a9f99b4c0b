//! The permissions the controller needs, as one table ([`RULES`]), and the
//! Roles, ClusterRoles and bindings made from it for either install mode.
//! To grant or drop a permission, change its row; everything else follows.

use serde_json::{Value, json};

use super::{InstallOptions, SERVICE_ACCOUNT, common_labels};

/// Where a rule is granted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Where the controller watches rollouts: a ClusterRole for the whole
    /// cluster, or a Role in the one namespace of `--namespaced`.
    Watched,
    /// A cluster-scoped resource: always a ClusterRole (a Role cannot grant it).
    Cluster,
    /// The controller's own namespace only, always a Role (the leader Lease).
    Own,
}

/// One permission: verbs on one resource of one API group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// The API group (empty for the core group).
    pub group: &'static str,
    /// The resource, or `resource/subresource`.
    pub resource: &'static str,
    /// The verbs, as RBAC names them.
    pub verbs: &'static [&'static str],
    /// Where it is granted.
    pub scope: Scope,
    /// Why the controller needs it (printed in docs/install.md's table).
    pub why: &'static str,
}

const fn rule(
    group: &'static str,
    resource: &'static str,
    verbs: &'static [&'static str],
    scope: Scope,
    why: &'static str,
) -> Rule {
    Rule {
        group,
        resource,
        verbs,
        scope,
        why,
    }
}

const READ: &[&str] = &["get", "list", "watch"];

/// Every permission the controller has, and nothing more.
pub const RULES: &[Rule] = &[
    rule(
        "serin.dev",
        "rollouts",
        &["get", "list", "watch", "update", "patch"],
        Scope::Watched,
        "watch rollouts; take the handled commands out of the annotation and add or remove the finalizer",
    ),
    rule(
        "serin.dev",
        "rollouts/status",
        &["get", "update", "patch"],
        Scope::Watched,
        "write the engine's status, guarded by resourceVersion",
    ),
    rule(
        "serin.dev",
        "rollouts/finalizers",
        &["update"],
        Scope::Watched,
        "set owner references that block the rollout's deletion (OwnerReferencesPermissionEnforcement)",
    ),
    rule(
        "serin.dev",
        "analysisruns",
        &[
            "get", "list", "watch", "create", "update", "patch", "delete",
        ],
        Scope::Watched,
        "start, stop and clean up analysis runs",
    ),
    rule(
        "serin.dev",
        "analysisruns/status",
        &["get", "update", "patch"],
        Scope::Watched,
        "record measurements and verdicts",
    ),
    rule(
        "serin.dev",
        "analysistemplates",
        READ,
        Scope::Watched,
        "read the templates that steps and background analysis name",
    ),
    rule(
        "serin.dev",
        "clusteranalysistemplates",
        READ,
        Scope::Cluster,
        "read cluster-wide templates (cluster-scoped, so always a ClusterRole)",
    ),
    rule(
        "apps",
        "replicasets",
        &[
            "get", "list", "watch", "create", "update", "patch", "delete",
        ],
        Scope::Watched,
        "one ReplicaSet per revision: create, scale, adopt and delete old ones",
    ),
    rule(
        "apps",
        "deployments",
        &["get", "list", "watch", "update", "patch"],
        Scope::Watched,
        "read a workloadRef's pod template and scale the referenced Deployment to zero",
    ),
    rule(
        "",
        "pods",
        READ,
        Scope::Watched,
        "readiness, restarts and crash loops of each revision",
    ),
    rule(
        "",
        "services",
        &["get", "list", "watch", "update", "patch"],
        Scope::Watched,
        "point the stable, canary, active and preview Services' selectors at a revision",
    ),
    rule(
        "networking.k8s.io",
        "ingresses",
        &[
            "get", "list", "watch", "create", "update", "patch", "delete",
        ],
        Scope::Watched,
        "NGINX: read the stable Ingresses; create, sync and delete the canary Ingress cloned from each",
    ),
    rule(
        "gateway.networking.k8s.io",
        "httproutes",
        &["get", "list", "watch", "update", "patch"],
        Scope::Watched,
        "Gateway API: set the backendRefs weights and add or remove serin's header and mirror rules",
    ),
    rule(
        "networking.istio.io",
        "virtualservices",
        &["get", "list", "watch", "update", "patch"],
        Scope::Watched,
        "Istio: set the named routes' weights and add or remove serin's header and mirror routes",
    ),
    rule(
        "networking.istio.io",
        "destinationrules",
        &["get", "list", "watch", "update", "patch"],
        Scope::Watched,
        "Istio: point the stable and canary subsets at a revision",
    ),
    rule(
        "events.k8s.io",
        "events",
        &["create", "patch"],
        Scope::Watched,
        "record what happened on the rollout (patch: repeated events are counted)",
    ),
    rule(
        "coordination.k8s.io",
        "leases",
        &["get", "create", "update"],
        Scope::Own,
        "leader election: read, create, renew, take over and release the lease",
    ),
];

/// The name of the main (Cluster)Role and its binding.
pub const ROLE: &str = "serin-controller";
/// The name of the ClusterRole (and its binding) for the cluster-scoped
/// rules in namespaced mode. It names the controller's namespace, so that
/// several namespaced installs (one per team) do not overwrite each other's
/// binding.
pub fn cluster_role_namespaced(opts: &InstallOptions) -> String {
    format!("serin-controller-cluster-{}", opts.namespace)
}
/// The name of the Role for the leader Lease in the controller's namespace.
pub const LEADER_ROLE: &str = "serin-controller-leader-election";

fn policy_rules(scopes: &[Scope]) -> Vec<Value> {
    RULES
        .iter()
        .filter(|r| scopes.contains(&r.scope))
        .map(|r| json!({"apiGroups": [r.group], "resources": [r.resource], "verbs": r.verbs}))
        .collect()
}

fn role(kind: &str, name: &str, namespace: Option<&str>, rules: Vec<Value>) -> Value {
    let mut metadata = json!({"name": name, "labels": common_labels()});
    if let Some(ns) = namespace {
        metadata["namespace"] = json!(ns);
    }
    json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": kind,
        "metadata": metadata,
        "rules": rules,
    })
}

fn binding(role_kind: &str, name: &str, namespace: Option<&str>, opts: &InstallOptions) -> Value {
    let kind = format!("{role_kind}Binding");
    let mut out = role(&kind, name, namespace, Vec::new());
    if let Some(obj) = out.as_object_mut() {
        obj.remove("rules");
        obj.insert(
            "roleRef".into(),
            json!({"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": name}),
        );
        obj.insert(
            "subjects".into(),
            json!([{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": opts.namespace}]),
        );
    }
    out
}

/// The roles and their bindings: in cluster mode one ClusterRole with every
/// watched and cluster rule; in namespaced mode a Role in the watched
/// namespace plus a ClusterRole with the cluster-scoped rules alone; in both
/// a Role for the Lease in the controller's own namespace.
pub fn objects(opts: &InstallOptions) -> Vec<Value> {
    let mut out = Vec::new();
    match &opts.namespaced {
        None => {
            let rules = policy_rules(&[Scope::Watched, Scope::Cluster]);
            out.push(role("ClusterRole", ROLE, None, rules));
            out.push(binding("ClusterRole", ROLE, None, opts));
        }
        Some(ns) => {
            let rules = policy_rules(&[Scope::Watched]);
            out.push(role("Role", ROLE, Some(ns), rules));
            out.push(binding("Role", ROLE, Some(ns), opts));
            let cluster = policy_rules(&[Scope::Cluster]);
            let name = cluster_role_namespaced(opts);
            out.push(role("ClusterRole", &name, None, cluster));
            out.push(binding("ClusterRole", &name, None, opts));
        }
    }
    let own = Some(opts.namespace.as_str());
    out.push(role("Role", LEADER_ROLE, own, policy_rules(&[Scope::Own])));
    out.push(binding("Role", LEADER_ROLE, own, opts));
    out
}
