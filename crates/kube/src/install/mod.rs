//! What `serin install` prints: the Namespace, the CRDs, the controller's
//! ServiceAccount and RBAC ([`rbac`], one table of rules), its Deployment
//! and metrics Service ([`workload`]), in the order `kubectl apply` needs.

pub mod rbac;
pub mod workload;

use serde_json::{Value, json};

/// The ServiceAccount the controller runs as.
pub const SERVICE_ACCOUNT: &str = "serin-controller";
/// The controller's namespace unless told otherwise.
pub const DEFAULT_NAMESPACE: &str = "serin-system";

/// Why the options cannot be installed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InstallError {
    /// A namespace is not a DNS-1123 label.
    #[error(
        "{flag} {value:?} is not a valid namespace name (lowercase letters, digits and '-', at most 63)"
    )]
    InvalidNamespace {
        /// The option that holds it.
        flag: &'static str,
        /// The value given.
        value: String,
    },
    /// The image is empty.
    #[error("the image is empty")]
    EmptyImage,
    /// More than one replica without leader election would run two controllers at once.
    #[error(
        "{0} replicas without leader election would reconcile every rollout twice; use 1, or keep leader election"
    )]
    ReplicasWithoutLeaderElection(u32),
    /// A CRD could not be turned into JSON (never expected).
    #[error("cannot serialize a CRD: {0}")]
    Crd(String),
}

/// What to install, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallOptions {
    /// The controller's own namespace (created).
    pub namespace: String,
    /// The controller's image.
    pub image: String,
    /// Watch only this namespace: its permissions are a Role and RoleBinding
    /// there instead of a ClusterRole and ClusterRoleBinding.
    pub namespaced: Option<String>,
    /// Run with `--leader-elect`, so that replicas can stand by.
    pub leader_election: bool,
    /// How many controller replicas; more than one needs leader election.
    pub replicas: u32,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self {
            namespace: DEFAULT_NAMESPACE.to_string(),
            image: default_image(),
            namespaced: None,
            leader_election: true,
            replicas: 1,
        }
    }
}

/// `ghcr.io/serin-dev/serin:<this crate's version>`.
pub fn default_image() -> String {
    format!("ghcr.io/serin-dev/serin:{}", env!("CARGO_PKG_VERSION"))
}

impl InstallOptions {
    /// Checks the options.
    ///
    /// # Errors
    /// The first problem: an invalid namespace name, an empty image, or
    /// more than one replica without leader election.
    pub fn validate(&self) -> Result<(), InstallError> {
        let namespaces = [
            ("--namespace", Some(&self.namespace)),
            ("--namespaced", self.namespaced.as_ref()),
        ];
        for (flag, value) in namespaces {
            if let Some(value) = value
                && !is_dns1123_label(value)
            {
                return Err(InstallError::InvalidNamespace {
                    flag,
                    value: value.clone(),
                });
            }
        }
        if self.image.trim().is_empty() {
            return Err(InstallError::EmptyImage);
        }
        if !self.leader_election && self.replicas > 1 {
            return Err(InstallError::ReplicasWithoutLeaderElection(self.replicas));
        }
        Ok(())
    }
}

fn is_dns1123_label(s: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    !s.is_empty()
        && s.len() <= 63
        && s.chars().all(ok_char)
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// The labels on every object serin installs.
pub(crate) fn common_labels() -> Value {
    json!({
        "app.kubernetes.io/part-of": "serin",
        "app.kubernetes.io/version": env!("CARGO_PKG_VERSION"),
    })
}

fn namespace(opts: &InstallOptions) -> Value {
    let mut labels = common_labels();
    labels["pod-security.kubernetes.io/enforce"] = json!("restricted");
    json!({
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": opts.namespace, "labels": labels},
    })
}

fn service_account(opts: &InstallOptions) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": opts.namespace, "labels": common_labels()},
    })
}

/// Every object to install, in apply order: the Namespace, the CRDs, the
/// ServiceAccount, the RBAC, the Deployment, the metrics Service.
///
/// # Errors
/// The options are invalid ([`InstallOptions::validate`]).
pub fn manifests(opts: &InstallOptions) -> Result<Vec<Value>, InstallError> {
    opts.validate()?;
    let mut out = vec![namespace(opts)];
    for crd in serin_api::crd::all() {
        out.push(serde_json::to_value(&crd).map_err(|e| InstallError::Crd(e.to_string()))?);
    }
    out.push(service_account(opts));
    out.extend(rbac::objects(opts));
    out.push(workload::deployment(opts));
    out.push(workload::metrics_service(opts));
    Ok(out)
}

#[cfg(test)]
mod tests;
