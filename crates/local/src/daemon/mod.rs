//! The one-host daemon (`serin up`): in one process, the embedded proxy
//! (one listener per rollout at `spec.local.listen`, plus `previewListen`
//! for blue-green), a supervisor, an analysis manager and a control loop
//! per rollout, the embedded store, and the admin API.
//!
//! Start-up resumes where a killed daemon stopped: each rollout's replicas
//! recorded in the store are adopted when still healthy, and each proxy
//! listener starts with the routing of the stored status over the ready
//! endpoints only, before any planning pass runs.
//!
//! Files: `table` (traffic → routing table, pure), `router` (one rollout's
//! routing, read back, drain), `numbers` (per-arm rates), `runtime` (one
//! rollout's parts), `control` (the loop), `templates`, `error`.

mod control;
mod error;
mod numbers;
mod router;
mod runtime;
mod table;
mod templates;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serin_api::{AnalysisTemplate, ClusterAnalysisTemplate, Rollout, Time};
use serin_metrics::webhook::WebhookOptions;
use serin_metrics::{AnalysisManager, Providers, ProxyArmFeed};
use serin_proxy::{AdminConfig, ListenerConfig, Proxy, ProxyConfig};
use tokio::sync::{Notify, watch};

pub use error::DaemonError;
pub use router::{Listeners, Router};
pub use runtime::Runtime;
pub use table::NO_ENDPOINT;
pub use templates::Templates;

use crate::admin;
use crate::store::Store;
use crate::supervisor::{Options, Supervisor};

/// The default production listener of a rollout.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// The admin API's default address.
pub const DEFAULT_ADMIN: &str = "127.0.0.1:9900";

/// What `serin up` starts.
#[derive(Debug)]
pub struct DaemonConfig {
    /// Where the store, the admin token and the admin address live.
    pub state_dir: PathBuf,
    /// The admin API's address (port 0: any; the bound one is written to
    /// `<state_dir>/admin-addr`).
    pub admin_listen: SocketAddr,
    /// The rollouts (validated, each with `spec.local`).
    pub rollouts: Vec<Rollout>,
    /// Their AnalysisTemplates.
    pub templates: Vec<AnalysisTemplate>,
    /// Their ClusterAnalysisTemplates.
    pub cluster_templates: Vec<ClusterAnalysisTemplate>,
    /// Supervisor settings (log directory, backoff...).
    pub supervisor: Options,
}

/// The rollouts of a running daemon, by name.
pub type Rollouts = Arc<BTreeMap<String, Arc<Runtime>>>;

/// The time now, for the engine.
pub fn now() -> Time {
    Time(jiff::Timestamp::now())
}

fn parse_addr(text: Option<&str>, default: &str, field: &str) -> Result<SocketAddr, DaemonError> {
    let text = text.unwrap_or(default);
    text.parse().map_err(|_| {
        DaemonError::Config(format!("{field}: {text:?} is not an address (host:port)"))
    })
}

/// Runs the daemon until `shutdown` resolves; then stops every control
/// loop, drains and stops every replica, and closes the proxy.
pub async fn run(
    config: DaemonConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), DaemonError> {
    let store = Store::open(&config.state_dir)?;
    let token = admin::token::load_or_create(&config.state_dir)?;
    let templates = Arc::new(Templates::new(&config.templates, &config.cluster_templates));
    let client = serin_metrics::http_client().map_err(|e| DaemonError::Config(e.to_string()))?;

    struct Parts {
        name: String,
        rollout: Rollout,
        router: Arc<Router>,
        supervisor: Supervisor,
    }
    let mut parts = Vec::new();
    let mut listeners = Vec::new();
    for rollout in config.rollouts {
        let name = rollout
            .metadata
            .name
            .clone()
            .ok_or_else(|| DaemonError::Config("a Rollout has no metadata.name".into()))?;
        let local = rollout.spec.local.clone().ok_or_else(|| {
            DaemonError::Config(format!(
                "Rollout/{name}: spec.local is required by serin up"
            ))
        })?;
        let record = store.register(&name, &rollout.spec, now())?;
        let main_addr = parse_addr(local.listen.as_deref(), DEFAULT_LISTEN, "spec.local.listen")?;
        let preview_addr = match local.preview_listen.as_deref() {
            Some(p) => Some(parse_addr(
                Some(p),
                DEFAULT_LISTEN,
                "spec.local.previewListen",
            )?),
            None => None,
        };
        let names = Listeners {
            main: name.clone(),
            preview: preview_addr.map(|_| format!("{name}-preview")),
        };
        let router = Arc::new(Router::new(names.clone(), record.status.traffic.clone()));
        let supervisor = Supervisor::new(&local, config.supervisor.clone(), router.clone())?;
        let adoption = supervisor.adopt(record.replicas.clone()).await;
        tracing::info!(rollout = %name, adopted = adoption.adopted.len(), "replicas adopted");
        let (main_table, preview_table) = router.initial_tables(&supervisor.snapshot());
        listeners.push(ListenerConfig {
            name: names.main.clone(),
            listen: main_addr,
            rollout: Some(name.clone()),
            routing: main_table,
        });
        if let (Some(addr), Some(pname), Some(table)) =
            (preview_addr, &names.preview, preview_table)
        {
            // The proxy labels each listener's metrics with its own rollout name.
            listeners.push(ListenerConfig {
                name: pname.clone(),
                listen: addr,
                rollout: Some(pname.clone()),
                routing: table,
            });
        }
        parts.push(Parts {
            name,
            rollout,
            router,
            supervisor,
        });
    }

    let proxy_config = ProxyConfig {
        listeners,
        admin: AdminConfig {
            enabled: false,
            ..AdminConfig::default()
        },
        shutdown_grace_ms: 5_000,
        upstream: Default::default(),
        mirror_limits: Default::default(),
    };
    let (proxy, server) = Proxy::bind(proxy_config).await?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let proxy_stop = {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let proxy_task = tokio::spawn(server.serve(proxy_stop));

    let mut rollouts = BTreeMap::new();
    for p in parts {
        p.router.attach(proxy.clone());
        let feed = ProxyArmFeed::new(proxy.metrics(), p.name.clone());
        let providers = Providers::new(client.clone()).with_feed(Arc::new(feed.clone()));
        let manager = AnalysisManager::new(
            providers,
            client.clone(),
            store.runs(&p.name),
            templates.clone(),
            WebhookOptions::default(),
        );
        if let Err(e) = manager.resume().await {
            tracing::warn!(rollout = %p.name, error = %e, "resuming analysis runs");
        }
        let rt = Arc::new(Runtime {
            name: p.name.clone(),
            spec: p.rollout.spec.clone(),
            labels: p.rollout.metadata.labels.clone().unwrap_or_default(),
            supervisor: p.supervisor,
            router: p.router,
            manager,
            numbers: numbers::Numbers::new(feed),
            store: store.clone(),
            wake: Notify::new(),
        });
        rollouts.insert(p.name, rt);
    }
    let rollouts: Rollouts = Arc::new(rollouts);

    let mut tasks = Vec::new();
    for rt in rollouts.values() {
        tasks.push(tokio::spawn(control::run(rt.clone(), stop_rx.clone())));
        let rt = rt.clone();
        let mut stop = stop_rx.clone();
        tasks.push(tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tokio::select! {
                    _ = tick.tick() => rt.numbers.sample(),
                    _ = stop.changed() => return,
                }
            }
        }));
    }

    let admin_listener = tokio::net::TcpListener::bind(config.admin_listen)
        .await
        .map_err(|e| DaemonError::Bind(config.admin_listen, e.to_string()))?;
    let admin_addr = admin_listener
        .local_addr()
        .map_err(|e| DaemonError::Bind(config.admin_listen, e.to_string()))?;
    std::fs::write(
        config.state_dir.join(admin::ADDR_FILE),
        admin_addr.to_string(),
    )
    .map_err(|e| DaemonError::Config(format!("writing the admin address: {e}")))?;
    let app = admin::router(admin::AdminState {
        rollouts: rollouts.clone(),
        store: store.clone(),
        token,
    });
    let admin_stop = {
        let mut rx = stop_rx.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let admin_task = tokio::spawn(async move {
        axum::serve(admin_listener, app)
            .with_graceful_shutdown(admin_stop)
            .await
    });
    tracing::info!(admin = %admin_addr, rollouts = rollouts.len(), "serin is up");

    shutdown.await;
    tracing::info!("shutting down: draining and stopping replicas");
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = t.await;
    }
    for rt in rollouts.values() {
        rt.manager.shutdown();
        rt.supervisor.shutdown().await;
    }
    let _ = admin_task.await;
    match proxy_task.await {
        Ok(r) => r?,
        Err(e) => tracing::warn!(error = %e, "proxy task"),
    }
    Ok(())
}
