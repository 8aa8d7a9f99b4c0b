//! The proxy as a whole and its in-process API: [`Proxy::bind`] opens every
//! socket, [`ProxyServer::serve`] runs until shutdown, and the cloneable
//! [`Proxy`] handle reads and replaces routing, drains arms and reads metrics
//! directly from Rust (the admin HTTP API is a thin layer over it).

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::admin;
use crate::arm::Arm;
use crate::auth::AdminToken;
use crate::client::Clients;
use crate::config::ProxyConfig;
use crate::error::ProxyError;
use crate::listener::{ListenerShared, ListenerStatus};
use crate::metrics::MetricsFeed;
use crate::table::RoutingTable;
use crate::{health, prom, server};

/// A cheap, cloneable handle on a running (or bound) proxy.
#[derive(Clone, Debug)]
pub struct Proxy {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    listeners: BTreeMap<String, Arc<ListenerShared>>,
    feed: MetricsFeed,
    admin_addr: Option<SocketAddr>,
}

/// The bound sockets, ready to serve.
#[derive(Debug)]
pub struct ProxyServer {
    proxy: Proxy,
    sockets: Vec<(Arc<ListenerShared>, TcpListener)>,
    admin: Option<(TcpListener, AdminToken)>,
    grace: Duration,
}

impl Proxy {
    /// Validates the config and binds every listener and the admin API.
    pub async fn bind(config: ProxyConfig) -> Result<(Proxy, ProxyServer), ProxyError> {
        let policies = config.validate()?;
        let admin = if config.admin.enabled {
            let token = AdminToken::load(&config.admin)?;
            let tcp = bind(config.admin.listen).await?;
            Some((tcp, token))
        } else {
            None
        };
        let admin_addr = admin.as_ref().and_then(|(t, _)| t.local_addr().ok());
        let clients = Clients::new(&config.upstream);
        let feed = MetricsFeed::default();
        let mut sockets = Vec::new();
        let mut listeners = BTreeMap::new();
        for (l, policy) in config.listeners.iter().zip(policies) {
            let tcp = bind(l.listen).await?;
            let local = tcp.local_addr().map_err(|source| ProxyError::Bind {
                addr: l.listen,
                source,
            })?;
            let shared = Arc::new(ListenerShared::new(
                &l.name,
                l.rollout_name(),
                local,
                policy,
                clients.clone(),
                config.mirror_limits.clone(),
                feed.clone(),
            ));
            listeners.insert(l.name.clone(), shared.clone());
            sockets.push((shared, tcp));
        }
        let proxy = Proxy {
            inner: Arc::new(Inner {
                listeners,
                feed,
                admin_addr,
            }),
        };
        let server = ProxyServer {
            proxy: proxy.clone(),
            sockets,
            admin,
            grace: Duration::from_millis(config.shutdown_grace_ms),
        };
        Ok((proxy, server))
    }

    fn listener(&self, name: &str) -> Result<&Arc<ListenerShared>, ProxyError> {
        self.inner
            .listeners
            .get(name)
            .ok_or_else(|| ProxyError::UnknownListener(name.to_owned()))
    }

    /// Listener names.
    pub fn listeners(&self) -> Vec<String> {
        self.inner.listeners.keys().cloned().collect()
    }

    /// The address a listener is bound to (useful with port 0).
    pub fn local_addr(&self, listener: &str) -> Result<SocketAddr, ProxyError> {
        Ok(self.listener(listener)?.local_addr)
    }

    /// The admin API's bound address, when enabled.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.inner.admin_addr
    }

    /// The routing table in effect.
    pub fn routing(&self, listener: &str) -> Result<RoutingTable, ProxyError> {
        Ok(self.listener(listener)?.table())
    }

    /// Replaces the routing table in one atomic swap. An invalid table is
    /// refused with the field path and the routing in effect stays as it was.
    /// In-flight requests finish on the arm they were sent to.
    pub fn set_routing(&self, listener: &str, table: RoutingTable) -> Result<(), ProxyError> {
        self.listener(listener)?.update(|_| table)?;
        Ok(())
    }

    /// Changes only the stable/canary weights.
    pub fn set_weights(&self, listener: &str, stable: u32, canary: u32) -> Result<(), ProxyError> {
        self.listener(listener)?
            .update(|t| t.with_weights(stable, canary))?;
        Ok(())
    }

    /// Stops sending new requests to `arm` (it is added to the table's
    /// `drained` list) without waiting.
    pub fn begin_drain(&self, listener: &str, arm: Arm) -> Result<(), ProxyError> {
        let l = self.listener(listener)?;
        if l.active.load().policy.version(arm).is_none() {
            return Err(ProxyError::UndefinedArm {
                listener: listener.to_owned(),
                arm,
            });
        }
        l.update(|mut t| {
            if !t.drained.iter().any(|d| d == arm.as_str()) {
                t.drained.push(arm.as_str().to_owned());
            }
            t
        })?;
        Ok(())
    }

    /// Drains `arm` and waits until it has no request in flight.
    pub async fn drain(
        &self,
        listener: &str,
        arm: Arm,
        timeout: Duration,
    ) -> Result<(), ProxyError> {
        self.begin_drain(listener, arm)?;
        self.wait_idle(listener, arm, timeout).await
    }

    /// Waits until `arm` has no request in flight.
    pub async fn wait_idle(
        &self,
        listener: &str,
        arm: Arm,
        timeout: Duration,
    ) -> Result<(), ProxyError> {
        let l = self.listener(listener)?;
        if l.in_flight.wait_idle(arm, timeout).await {
            Ok(())
        } else {
            Err(ProxyError::DrainTimeout {
                listener: listener.to_owned(),
                arm,
                in_flight: l.in_flight.count(arm),
            })
        }
    }

    /// Lets a drained arm take requests again.
    pub fn undrain(&self, listener: &str, arm: Arm) -> Result<(), ProxyError> {
        self.listener(listener)?.update(|mut t| {
            t.drained.retain(|d| d != arm.as_str());
            t
        })?;
        Ok(())
    }

    /// Requests in flight on an arm now.
    pub fn in_flight(&self, listener: &str, arm: Arm) -> Result<u64, ProxyError> {
        Ok(self.listener(listener)?.in_flight.count(arm))
    }

    /// Weights, arms, drain state and endpoint health of a listener.
    pub fn status(&self, listener: &str) -> Result<ListenerStatus, ProxyError> {
        Ok(self.listener(listener)?.status())
    }

    /// The in-process metrics feed (monotonic per-arm counters).
    pub fn metrics(&self) -> MetricsFeed {
        self.inner.feed.clone()
    }

    /// The Prometheus text served at `/metrics`.
    pub fn prometheus_text(&self) -> String {
        prom::render(
            &self.inner.feed,
            self.inner.listeners.values().cloned().collect(),
        )
    }
}

impl ProxyServer {
    /// The handle, for callers that kept only the server.
    pub fn handle(&self) -> Proxy {
        self.proxy.clone()
    }

    /// Serves until `shutdown` completes, then stops accepting, lets
    /// in-flight requests finish within `shutdownGraceMs`, and returns.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ProxyError> {
        let (stop_tx, stop_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        for (shared, tcp) in self.sockets {
            tasks.spawn(server::serve(tcp, shared.clone(), stop_rx.clone()));
            tokio::spawn(health::run(shared, stop_rx.clone()));
        }
        if let Some((tcp, token)) = self.admin {
            tokio::spawn(admin::serve(
                tcp,
                self.proxy.clone(),
                token,
                stop_rx.clone(),
            ));
        }
        shutdown.await;
        tracing::info!("shutting down: no new connections, finishing in-flight requests");
        let _ = stop_tx.send(true);
        let finished = tokio::time::timeout(self.grace, async {
            while tasks.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!(grace = ?self.grace, "shutdown grace period ended with requests in flight");
            tasks.abort_all();
        }
        Ok(())
    }
}

async fn bind(addr: SocketAddr) -> Result<TcpListener, ProxyError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| ProxyError::Bind { addr, source })
}

/// Binds and serves `config` until `shutdown` completes.
pub async fn run(
    config: ProxyConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ProxyError> {
    let (_proxy, server) = Proxy::bind(config).await?;
    server.serve(shutdown).await
}

/// Completes on SIGTERM or SIGINT (Ctrl-C): the usual `shutdown` argument.
pub async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = tokio::signal::ctrl_c() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
