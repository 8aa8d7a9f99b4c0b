//! Start-up of one rollout, before any planning pass: record it in the
//! store, adopt the replicas a previous daemon left running, and build its
//! proxy listeners with the routing of the stored status over the ready
//! endpoints of the adopted replicas only. Then, once the proxy runs, the
//! rest of its [`Runtime`]: the analysis manager (resuming stored runs) and
//! the per-arm numbers.

use std::net::SocketAddr;
use std::sync::Arc;

use serin_api::Rollout;
use serin_metrics::webhook::WebhookOptions;
use serin_metrics::{AnalysisManager, Providers, ProxyArmFeed};
use serin_proxy::{ListenerConfig, Proxy};
use tokio::sync::Notify;

use super::numbers::Numbers;
use super::router::{Listeners, Router};
use super::runtime::Runtime;
use super::templates::Templates;
use super::{DEFAULT_LISTEN, DaemonError, now};
use crate::store::Store;
use crate::supervisor::{Options, Supervisor};

/// A rollout adopted and routed, waiting for the proxy.
pub struct Prepared {
    name: String,
    rollout: Rollout,
    router: Arc<Router>,
    supervisor: Supervisor,
    /// Its listeners, with their starting routing tables.
    pub listeners: Vec<ListenerConfig>,
}

fn parse_addr(text: Option<&str>, field: &str) -> Result<SocketAddr, DaemonError> {
    let text = text.unwrap_or(DEFAULT_LISTEN);
    text.parse().map_err(|_| {
        DaemonError::Config(format!("{field}: {text:?} is not an address (host:port)"))
    })
}

/// Records, adopts and routes one rollout.
pub async fn prepare(
    rollout: Rollout,
    store: &Store,
    options: &Options,
) -> Result<Prepared, DaemonError> {
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
    let main_addr = parse_addr(local.listen.as_deref(), "spec.local.listen")?;
    let preview_addr = match local.preview_listen.as_deref() {
        Some(p) => Some(parse_addr(Some(p), "spec.local.previewListen")?),
        None => None,
    };
    let record = store.register(&name, &rollout.spec, now())?;
    let names = Listeners {
        main: name.clone(),
        preview: preview_addr.map(|_| format!("{name}-preview")),
    };
    let router = Arc::new(Router::new(names.clone(), record.status.traffic.clone()));
    let supervisor = Supervisor::new(&local, options.clone(), router.clone())?;
    let adoption = supervisor.adopt(record.replicas.clone()).await;
    tracing::info!(rollout = %name, adopted = adoption.adopted.len(), "replicas adopted");
    let (main_table, preview_table) = router.initial_tables(&supervisor.snapshot());
    let mut listeners = vec![ListenerConfig {
        name: names.main.clone(),
        listen: main_addr,
        rollout: Some(name.clone()),
        routing: main_table,
    }];
    if let (Some(addr), Some(pname), Some(table)) = (preview_addr, &names.preview, preview_table) {
        // The proxy labels each listener's metrics with its own rollout name.
        listeners.push(ListenerConfig {
            name: pname.clone(),
            listen: addr,
            rollout: Some(pname.clone()),
            routing: table,
        });
    }
    Ok(Prepared {
        name,
        rollout,
        router,
        supervisor,
        listeners,
    })
}

impl Prepared {
    /// The rollout's runtime over the running `proxy`.
    pub async fn into_runtime(
        self,
        proxy: &Proxy,
        client: &reqwest::Client,
        store: &Store,
        templates: Arc<Templates>,
    ) -> Runtime {
        self.router.attach(proxy.clone());
        let feed = ProxyArmFeed::new(proxy.metrics(), self.name.clone());
        let providers = Providers::new(client.clone()).with_feed(Arc::new(feed.clone()));
        let manager = AnalysisManager::new(
            providers,
            client.clone(),
            store.runs(&self.name),
            templates,
            WebhookOptions::default(),
        );
        if let Err(e) = manager.resume().await {
            tracing::warn!(rollout = %self.name, error = %e, "resuming analysis runs");
        }
        Runtime {
            labels: self.rollout.metadata.labels.clone().unwrap_or_default(),
            spec: self.rollout.spec,
            name: self.name,
            supervisor: self.supervisor,
            router: self.router,
            manager,
            numbers: Numbers::new(feed),
            store: store.clone(),
            wake: Notify::new(),
        }
    }
}
