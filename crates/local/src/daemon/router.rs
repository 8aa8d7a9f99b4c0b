//! One rollout's routing in the embedded proxy: the traffic the engine last
//! asked for, the ready endpoints of each version, and the tables built from
//! them. [`Router::apply`] carries out a `SetTraffic`; [`Router::refresh`]
//! follows replica endpoints without touching weights; [`Router::read_back`]
//! reports what the proxy holds in effect, for `Observed::traffic`. It is
//! also the supervisor's [`Drainer`]: a replica being stopped leaves the
//! tables at once, then the drain waits for its arm's requests in flight.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use serin_api::status::Traffic;
use serin_proxy::{Arm, Proxy, ProxyError, RoutingTable};

use super::table::{self, Built};
use crate::supervisor::{DrainFuture, Drainer, Snapshot};

/// The listeners of one rollout.
#[derive(Clone, Debug)]
pub struct Listeners {
    /// The production listener (named after the rollout).
    pub main: String,
    /// The blue-green preview listener, when `previewListen` is set.
    pub preview: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    wanted: Traffic,
    endpoints: BTreeMap<String, Vec<SocketAddr>>,
    leaving: BTreeSet<SocketAddr>,
    main: Option<Built>,
    preview: Option<(RoutingTable, bool)>,
}

/// One rollout's routing.
#[derive(Debug)]
pub struct Router {
    listeners: Listeners,
    proxy: OnceLock<Proxy>,
    state: Mutex<State>,
}

impl Router {
    /// A router asking for `traffic` (the stored status's, after a restart)
    /// before the proxy exists.
    pub fn new(listeners: Listeners, traffic: Traffic) -> Self {
        Self {
            listeners,
            proxy: OnceLock::new(),
            state: Mutex::new(State {
                wanted: traffic,
                ..State::default()
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The listeners.
    pub fn listeners(&self) -> &Listeners {
        &self.listeners
    }

    /// The tables for the proxy's config: main, then preview.
    pub fn initial_tables(&self, snap: &Snapshot) -> (RoutingTable, Option<RoutingTable>) {
        let mut st = self.lock();
        st.endpoints = endpoints_of(snap, &st.leaving);
        let main = table::main_table(&st.wanted, &st.endpoints);
        let preview = table::preview_table(&st.wanted, &st.endpoints);
        let out = (main.table.clone(), Some(preview.0.clone()));
        st.main = Some(main);
        st.preview = Some(preview);
        (out.0, out.1.filter(|_| self.listeners.preview.is_some()))
    }

    /// Hands over the running proxy.
    pub fn attach(&self, proxy: Proxy) {
        let _ = self.proxy.set(proxy);
    }

    /// Carries out `SetTraffic`. Returns whether this changed what is in
    /// effect and the proxy now carries exactly `traffic` (so the engine
    /// may look again at once).
    pub fn apply(&self, traffic: &Traffic, snap: &Snapshot) -> Result<bool, ProxyError> {
        let mut st = self.lock();
        let before = st.main.as_ref().map(|b| b.effective.clone());
        st.wanted = traffic.clone();
        st.endpoints = endpoints_of(snap, &st.leaving);
        self.push(&mut st)?;
        let after = st.main.as_ref().map(|b| &b.effective);
        Ok(before.as_ref() != after && after == Some(traffic))
    }

    /// Follows the ready endpoints in `snap`, keeping the traffic asked for.
    pub fn refresh(&self, snap: &Snapshot) -> Result<(), ProxyError> {
        let mut st = self.lock();
        let ready: BTreeSet<SocketAddr> = snap
            .versions
            .values()
            .flat_map(|r| r.endpoints.iter().copied())
            .collect();
        st.leaving.retain(|e| ready.contains(e));
        let endpoints = endpoints_of(snap, &st.leaving);
        if endpoints == st.endpoints && st.main.is_some() {
            return Ok(());
        }
        st.endpoints = endpoints;
        self.push(&mut st)
    }

    fn push(&self, st: &mut State) -> Result<(), ProxyError> {
        let main = table::main_table(&st.wanted, &st.endpoints);
        let preview = table::preview_table(&st.wanted, &st.endpoints);
        if let Some(proxy) = self.proxy.get() {
            if st.main.as_ref().map(|b| &b.table) != Some(&main.table)
                || proxy.routing(&self.listeners.main)? != main.table
            {
                proxy.set_routing(&self.listeners.main, main.table.clone())?;
            }
            if let Some(p) = &self.listeners.preview
                && st.preview.as_ref().map(|t| &t.0) != Some(&preview.0)
            {
                proxy.set_routing(p, preview.0.clone())?;
            }
        }
        st.main = Some(main);
        st.preview = Some(preview);
        Ok(())
    }

    /// The traffic in effect: what the last table put in effect, if the
    /// proxy still holds that table; `None` before any.
    pub fn read_back(&self) -> Option<Traffic> {
        let st = self.lock();
        let proxy = self.proxy.get()?;
        let built = st.main.as_ref()?;
        if proxy.routing(&self.listeners.main).ok()? != built.table {
            return None;
        }
        let mut traffic = built.effective.clone();
        if self.listeners.preview.is_some() {
            let (table, ok) = st.preview.as_ref()?;
            if proxy.routing(self.listeners.preview.as_deref()?).ok()? != *table || !ok {
                traffic.preview = None;
            }
        }
        Some(traffic)
    }

    /// Which arms of the main listener hold `endpoint`, then takes it out.
    fn take_out(&self, endpoint: SocketAddr) -> Vec<Arm> {
        let mut st = self.lock();
        let text = endpoint.to_string();
        let arms = st
            .main
            .as_ref()
            .map(|b| {
                b.table
                    .arms
                    .iter()
                    .filter(|(_, a)| a.endpoints.contains(&text))
                    .filter_map(|(name, _)| Arm::parse(name))
                    .collect()
            })
            .unwrap_or_default();
        st.leaving.insert(endpoint);
        for eps in st.endpoints.values_mut() {
            eps.retain(|e| *e != endpoint);
        }
        if let Err(e) = self.push(&mut st) {
            tracing::warn!(error = %e, %endpoint, "taking a replica out of the proxy");
        }
        arms
    }
}

fn endpoints_of(
    snap: &Snapshot,
    leaving: &BTreeSet<SocketAddr>,
) -> BTreeMap<String, Vec<SocketAddr>> {
    snap.versions
        .iter()
        .map(|(v, r)| {
            let eps: Vec<SocketAddr> = r
                .endpoints
                .iter()
                .copied()
                .filter(|e| !leaving.contains(e))
                .collect();
            (v.clone(), eps)
        })
        .filter(|(_, e)| !e.is_empty())
        .collect()
}

impl Drainer for Router {
    fn drain<'a>(
        &'a self,
        _version: &'a str,
        endpoint: SocketAddr,
        within: Duration,
    ) -> DrainFuture<'a> {
        Box::pin(async move {
            let arms = self.take_out(endpoint);
            let Some(proxy) = self.proxy.get() else {
                return;
            };
            let deadline = Instant::now() + within;
            for arm in arms {
                while Instant::now() < deadline
                    && proxy.in_flight(&self.listeners.main, arm).unwrap_or(0) > 0
                {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
            }
        })
    }
}
