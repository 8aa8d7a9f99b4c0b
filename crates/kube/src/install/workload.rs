//! The controller's Deployment (hardened: non-root, read-only root
//! filesystem, no privilege escalation, no capabilities, the runtime's
//! seccomp profile) and the Service in front of its metrics port.

use serde_json::{Value, json};

use super::{InstallOptions, SERVICE_ACCOUNT, common_labels};

/// The Deployment's name (and the container's pod name prefix).
pub const DEPLOYMENT: &str = "serin-controller";
/// The metrics Service's name.
pub const METRICS_SERVICE: &str = "serin-controller-metrics";
/// The port of `/healthz`, `/readyz` and `/metrics`.
pub const METRICS_PORT: u16 = 8080;
/// The user and group the controller runs as (distroless's `nonroot`).
pub const RUN_AS: i64 = 65532;

/// The labels that select the controller's pods.
fn selector() -> Value {
    json!({
        "app.kubernetes.io/name": "serin",
        "app.kubernetes.io/component": "controller",
    })
}

fn pod_labels() -> Value {
    let mut labels = common_labels();
    if let (Some(out), Value::Object(sel)) = (labels.as_object_mut(), selector()) {
        out.extend(sel);
    }
    labels
}

/// The arguments of `serin` in the container.
pub fn args(opts: &InstallOptions) -> Vec<String> {
    let mut args = vec!["controller".to_string()];
    if opts.leader_election {
        args.push("--leader-elect".into());
    }
    args.extend([
        "--metrics-addr".to_string(),
        format!("0.0.0.0:{METRICS_PORT}"),
    ]);
    if let Some(ns) = &opts.namespaced {
        args.extend(["--namespace".to_string(), ns.clone()]);
    }
    args
}

fn env_from_field(name: &str, path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}})
}

fn probe(path: &str, period: i32) -> Value {
    json!({
        "httpGet": {"path": path, "port": "metrics"},
        "periodSeconds": period,
        "timeoutSeconds": 2,
        "failureThreshold": 3,
    })
}

fn container(opts: &InstallOptions) -> Value {
    json!({
        "name": "controller",
        "image": opts.image,
        "imagePullPolicy": "IfNotPresent",
        "args": args(opts),
        "env": [
            env_from_field("POD_NAMESPACE", "metadata.namespace"),
            env_from_field("POD_NAME", "metadata.name"),
        ],
        "ports": [{"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}],
        "livenessProbe": probe("/healthz", 10),
        "readinessProbe": probe("/readyz", 5),
        "resources": {
            "requests": {"cpu": "50m", "memory": "64Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
        "securityContext": {
            "runAsNonRoot": true,
            "readOnlyRootFilesystem": true,
            "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}],
    })
}

/// The controller's Deployment. Without leader election it is replaced
/// with `Recreate`, so that an upgrade never runs two controllers at once.
pub fn deployment(opts: &InstallOptions) -> Value {
    let strategy = if opts.leader_election {
        json!({"type": "RollingUpdate"})
    } else {
        json!({"type": "Recreate"})
    };
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": DEPLOYMENT, "namespace": opts.namespace, "labels": pod_labels()},
        "spec": {
            "replicas": opts.replicas,
            "strategy": strategy,
            "selector": {"matchLabels": selector()},
            "template": {
                "metadata": {"labels": pod_labels()},
                "spec": {
                    "serviceAccountName": SERVICE_ACCOUNT,
                    "securityContext": {
                        "runAsNonRoot": true,
                        "runAsUser": RUN_AS,
                        "runAsGroup": RUN_AS,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "containers": [container(opts)],
                    "volumes": [{"name": "tmp", "emptyDir": {}}],
                },
            },
        },
    })
}

/// The Service in front of the metrics port, for a Prometheus scrape config
/// or a ServiceMonitor.
pub fn metrics_service(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": METRICS_SERVICE, "namespace": opts.namespace, "labels": pod_labels()},
        "spec": {
            "type": "ClusterIP",
            "selector": selector(),
            "ports": [{"name": "metrics", "port": METRICS_PORT, "targetPort": "metrics", "protocol": "TCP"}],
        },
    })
}
