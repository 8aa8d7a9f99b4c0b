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
//! Files: `prepare` (start-up of one rollout: store, adoption, restored
//! routing), `table` (traffic → routing table, pure), `router` (one
//! rollout's routing, read back, drain), `numbers` (per-arm rates),
//! `runtime` (one rollout's parts), `control` (the loop), `templates`,
//! `error`.

mod control;
mod error;
mod numbers;
mod prepare;
mod router;
mod runtime;
mod table;
mod templates;

use std::collections::BTreeMap;
use std::future::IntoFuture;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serin_api::{AnalysisTemplate, ClusterAnalysisTemplate, Rollout, Time};
use serin_proxy::{AdminConfig, Proxy, ProxyConfig};
use tokio::sync::watch;

pub use error::DaemonError;
pub use router::{Listeners, Router};
pub use runtime::Runtime;
pub use table::NO_ENDPOINT;
pub use templates::Templates;

use crate::admin;
use crate::store::Store;
use crate::supervisor::Options;

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

/// Resolves when `stop` turns true.
async fn stopped(mut stop: watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// How long the events queued at shutdown may take to be delivered.
const NOTIFY_GRACE: Duration = Duration::from_secs(2);

/// Runs the daemon until `shutdown` resolves; then stops every control
/// loop, drains and stops every replica, and closes the proxy.
pub async fn run(
    config: DaemonConfig,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), DaemonError> {
    run_notifying(config, serin_notify::Config::default(), shutdown).await
}

/// [`run`], delivering each rollout's events to the sinks of
/// `notifications` (see docs/notifications.md).
pub async fn run_notifying(
    config: DaemonConfig,
    notifications: serin_notify::Config,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), DaemonError> {
    let store = Store::open(&config.state_dir)?;
    let token = admin::token::load_or_create(&config.state_dir)?;
    let admin_listener = tokio::net::TcpListener::bind(config.admin_listen)
        .await
        .map_err(|e| DaemonError::Bind(config.admin_listen, e.to_string()))?;
    let admin_addr = admin_listener
        .local_addr()
        .map_err(|e| DaemonError::Bind(config.admin_listen, e.to_string()))?;
    let templates = Arc::new(Templates::new(&config.templates, &config.cluster_templates));
    let client = serin_metrics::http_client().map_err(|e| DaemonError::Config(e.to_string()))?;
    let notifier = serin_notify::Notifier::start(notifications, client.clone())
        .map_err(|e| DaemonError::Config(e.to_string()))?;

    let mut prepared = Vec::new();
    for rollout in config.rollouts {
        prepared.push(prepare::prepare(rollout, &store, &config.supervisor).await?);
    }
    let proxy_config = ProxyConfig {
        listeners: prepared.iter().flat_map(|p| p.listeners.clone()).collect(),
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
    let proxy_task = tokio::spawn(server.serve(stopped(stop_rx.clone())));

    let mut rollouts = BTreeMap::new();
    for p in prepared {
        let rt = p
            .into_runtime(&proxy, &client, &store, templates.clone())
            .await;
        rollouts.insert(rt.name.clone(), Arc::new(rt));
    }
    let rollouts: Rollouts = Arc::new(rollouts);

    let mut tasks = Vec::new();
    for rt in rollouts.values() {
        tasks.push(tokio::spawn(control::run(
            rt.clone(),
            stop_rx.clone(),
            notifier.clone(),
        )));
        tasks.push(tokio::spawn(sample(rt.clone(), stop_rx.clone())));
    }

    let (app, dashboard) = admin::dashboard::mount(
        admin::router(admin::AdminState {
            rollouts: rollouts.clone(),
            store: store.clone(),
            token: token.clone(),
        }),
        admin_addr,
        &token,
        client.clone(),
    );
    let admin_task = tokio::spawn(
        axum::serve(admin_listener, app)
            .with_graceful_shutdown(stopped(stop_rx.clone()))
            .into_future(),
    );
    std::fs::write(
        config.state_dir.join(admin::ADDR_FILE),
        admin_addr.to_string(),
    )
    .map_err(|e| DaemonError::Config(format!("writing the admin address: {e}")))?;
    tracing::info!(admin = %admin_addr, rollouts = rollouts.len(), "serin is up");

    shutdown.await;
    tracing::info!("shutting down: draining and stopping replicas");
    let _ = stop_tx.send(true);
    dashboard.stop();
    for t in tasks {
        let _ = t.await;
    }
    for rt in rollouts.values() {
        rt.manager.shutdown();
        rt.supervisor.shutdown().await;
    }
    let _ = admin_task.await;
    if !notifier.flush(NOTIFY_GRACE).await {
        tracing::warn!("stopping with notifications not delivered yet");
    }
    match proxy_task.await {
        Ok(r) => r?,
        Err(e) => tracing::warn!(error = %e, "proxy task"),
    }
    Ok(())
}

/// Reads the proxy's per-arm counters every second for `serin status`.
async fn sample(rt: Arc<Runtime>, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = tick.tick() => rt.numbers.sample(),
            _ = stop.changed() => return,
        }
    }
}
