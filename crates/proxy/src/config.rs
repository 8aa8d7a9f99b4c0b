//! The proxy's configuration file (`proxy.yaml`): listeners, each serving one
//! rollout with its own [`RoutingTable`], the admin API, and limits. Parsing
//! (YAML via serde-saphyr) and whole-config validation with field paths.

use std::collections::BTreeSet;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::ProxyError;
use crate::policy::{Policy, TableError};
use crate::table::RoutingTable;

/// The whole proxy configuration.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProxyConfig {
    /// One entry per rollout served.
    pub listeners: Vec<ListenerConfig>,
    /// The admin API.
    #[serde(default)]
    pub admin: AdminConfig,
    /// On shutdown, how long in-flight requests may take to finish (default 30000).
    #[serde(default = "default_grace_ms")]
    pub shutdown_grace_ms: u64,
    /// Connection settings towards upstreams.
    #[serde(default)]
    pub upstream: UpstreamConfig,
    /// Bounds on mirroring.
    #[serde(default)]
    pub mirror_limits: MirrorLimits,
}

fn default_grace_ms() -> u64 {
    30_000
}

/// One listening socket serving one rollout.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ListenerConfig {
    /// Name used in the admin API paths; letters, digits, `.`, `_`, `-`.
    pub name: String,
    /// Address to accept clients on, e.g. `0.0.0.0:8080` (port 0 picks one).
    pub listen: SocketAddr,
    /// The `rollout` metric label; the listener name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<String>,
    /// The initial routing table.
    pub routing: RoutingTable,
}

impl ListenerConfig {
    /// The rollout label.
    pub fn rollout_name(&self) -> &str {
        self.rollout.as_deref().unwrap_or(&self.name)
    }
}

/// The admin API's socket and credentials.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdminConfig {
    /// Serve the admin API at all (default true).
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Address (default `127.0.0.1:9901`); a non-loopback one needs a token.
    #[serde(default = "default_admin_listen")]
    pub listen: SocketAddr,
    /// A file holding the bearer token (takes precedence over `tokenEnv`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<PathBuf>,
    /// An environment variable holding the bearer token (default `SERIN_PROXY_TOKEN`).
    #[serde(default = "default_token_env")]
    pub token_env: String,
}

fn default_true() -> bool {
    true
}

fn default_admin_listen() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 9901))
}

fn default_token_env() -> String {
    "SERIN_PROXY_TOKEN".to_owned()
}

impl Default for AdminConfig {
    fn default() -> Self {
        AdminConfig {
            enabled: true,
            listen: default_admin_listen(),
            token_file: None,
            token_env: default_token_env(),
        }
    }
}

/// Connections towards upstreams.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UpstreamConfig {
    /// TCP connect timeout, milliseconds (default 2000).
    #[serde(default = "default_connect_ms")]
    pub connect_timeout_ms: u64,
    /// Idle pooled connections are closed after this, milliseconds (default 90000).
    #[serde(default = "default_idle_ms")]
    pub pool_idle_timeout_ms: u64,
    /// Idle connections kept per upstream (default 1024).
    #[serde(default = "default_max_idle")]
    pub pool_max_idle_per_host: usize,
    /// Longest wait for an upstream's response headers, milliseconds; a
    /// request waiting longer is answered 504. No limit when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_timeout_ms: Option<u64>,
}

fn default_connect_ms() -> u64 {
    2_000
}
fn default_idle_ms() -> u64 {
    90_000
}
fn default_max_idle() -> usize {
    1024
}

impl Default for UpstreamConfig {
    fn default() -> Self {
        UpstreamConfig {
            connect_timeout_ms: default_connect_ms(),
            pool_idle_timeout_ms: default_idle_ms(),
            pool_max_idle_per_host: default_max_idle(),
            response_timeout_ms: None,
        }
    }
}

/// Bounds that keep mirroring from costing the client anything.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MirrorLimits {
    /// Mirrored requests in flight at once; beyond it copies are skipped (default 64).
    #[serde(default = "default_mirror_in_flight")]
    pub max_in_flight: usize,
    /// Requests with larger (or unknown-length) bodies are not mirrored (default 1 MiB).
    #[serde(default = "default_mirror_body")]
    pub max_body_bytes: u64,
}

fn default_mirror_in_flight() -> usize {
    64
}
fn default_mirror_body() -> u64 {
    1 << 20
}

impl Default for MirrorLimits {
    fn default() -> Self {
        MirrorLimits {
            max_in_flight: default_mirror_in_flight(),
            max_body_bytes: default_mirror_body(),
        }
    }
}

impl ProxyConfig {
    /// A config with one listener and the admin API on an ephemeral loopback port.
    pub fn single(name: &str, listen: SocketAddr, routing: RoutingTable) -> ProxyConfig {
        ProxyConfig {
            listeners: vec![ListenerConfig {
                name: name.to_owned(),
                listen,
                rollout: None,
                routing,
            }],
            admin: AdminConfig {
                listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                ..AdminConfig::default()
            },
            shutdown_grace_ms: default_grace_ms(),
            upstream: UpstreamConfig::default(),
            mirror_limits: MirrorLimits::default(),
        }
    }

    /// Parses YAML and validates the result.
    pub fn from_yaml(text: &str) -> Result<ProxyConfig, ProxyError> {
        let config: ProxyConfig =
            serde_saphyr::from_str(text).map_err(|e| ProxyError::ParseConfig(e.to_string()))?;
        config.validate()?;
        Ok(config)
    }

    /// Reads, parses and validates a YAML file.
    pub fn from_file(path: &Path) -> Result<ProxyConfig, ProxyError> {
        let text = std::fs::read_to_string(path).map_err(|source| ProxyError::ReadConfig {
            path: path.to_owned(),
            source,
        })?;
        ProxyConfig::from_yaml(&text)
    }

    /// Checks everything; returns each listener's checked policy, in order.
    pub fn validate(&self) -> Result<Vec<Policy>, ProxyError> {
        let invalid = |field: String, message: String| {
            ProxyError::InvalidConfig(TableError { field, message })
        };
        if self.listeners.is_empty() {
            return Err(invalid(
                "listeners".into(),
                "at least one listener is required".into(),
            ));
        }
        let (mut names, mut rollouts) = (BTreeSet::new(), BTreeSet::new());
        let mut policies = Vec::with_capacity(self.listeners.len());
        for (i, l) in self.listeners.iter().enumerate() {
            let at = format!("listeners[{i}]");
            let valid_name = !l.name.is_empty()
                && l.name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
            if !valid_name {
                return Err(invalid(
                    format!("{at}.name"),
                    format!("{:?} must be letters, digits, '.', '_' or '-'", l.name),
                ));
            }
            if !names.insert(l.name.as_str()) {
                return Err(invalid(
                    format!("{at}.name"),
                    format!("duplicate listener name {:?}", l.name),
                ));
            }
            if !rollouts.insert(l.rollout_name()) {
                return Err(invalid(
                    format!("{at}.rollout"),
                    format!(
                        "rollout {:?} is already served by another listener",
                        l.rollout_name()
                    ),
                ));
            }
            let policy = Policy::check(&l.routing)
                .map_err(|e| ProxyError::InvalidConfig(e.under(&format!("{at}.routing"))))?;
            policies.push(policy);
        }
        Ok(policies)
    }
}
