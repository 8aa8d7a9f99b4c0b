//! One listener's shared state: the routing in effect (an immutable
//! [`Active`] table behind an `ArcSwap`, replaced whole), the upstream targets
//! of each arm, in-flight counts, and installing a new table atomically.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use serde::Serialize;
use tokio::sync::{Notify, Semaphore};

use crate::arm::Arm;
use crate::client::Clients;
use crate::config::MirrorLimits;
use crate::endpoint::{EndpointRegistry, EndpointSet, EndpointStatus};
use crate::inflight::InFlight;
use crate::metrics::{ArmMetrics, MetricsFeed};
use crate::policy::{Policy, TableError};
use crate::table::{PassiveHealthSpec, RoutingTable, UpstreamProtocol};

/// Where one arm's requests go.
#[derive(Debug)]
pub(crate) struct ArmTarget {
    pub(crate) endpoints: EndpointSet,
    pub(crate) metrics: Arc<ArmMetrics>,
    pub(crate) protocol: UpstreamProtocol,
    pub(crate) passive: PassiveHealthSpec,
}

/// The routing in effect: a checked policy and its arms' targets.
#[derive(Debug)]
pub(crate) struct Active {
    pub(crate) policy: Policy,
    pub(crate) targets: [Option<Arc<ArmTarget>>; 4],
}

/// Everything one listener's request handlers share.
#[derive(Debug)]
pub(crate) struct ListenerShared {
    pub(crate) name: String,
    pub(crate) rollout: String,
    pub(crate) local_addr: SocketAddr,
    pub(crate) active: ArcSwap<Active>,
    pub(crate) in_flight: Arc<InFlight>,
    pub(crate) clients: Clients,
    pub(crate) mirror_permits: Arc<Semaphore>,
    pub(crate) mirror_limits: MirrorLimits,
    pub(crate) table_changed: Notify,
    update: Mutex<()>,
    endpoints: EndpointRegistry,
    feed: MetricsFeed,
}

impl ListenerShared {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        name: &str,
        rollout: &str,
        local_addr: SocketAddr,
        policy: Policy,
        clients: Clients,
        mirror_limits: MirrorLimits,
        feed: MetricsFeed,
    ) -> ListenerShared {
        let endpoints = EndpointRegistry::default();
        let active = build(name, rollout, policy, &endpoints, &feed);
        ListenerShared {
            name: name.to_owned(),
            rollout: rollout.to_owned(),
            local_addr,
            active: ArcSwap::from_pointee(active),
            in_flight: Arc::default(),
            clients,
            mirror_permits: Arc::new(Semaphore::new(mirror_limits.max_in_flight)),
            mirror_limits,
            table_changed: Notify::new(),
            update: Mutex::new(()),
            endpoints,
            feed,
        }
    }

    /// The table in effect.
    pub(crate) fn table(&self) -> RoutingTable {
        self.active.load().policy.table().clone()
    }

    /// Checks `change(current table)` and installs it in one swap; on error
    /// the routing in effect is untouched. Changes are serialized so a
    /// read-modify-write (set weights, drain) never loses another change.
    pub(crate) fn update(
        &self,
        change: impl FnOnce(RoutingTable) -> RoutingTable,
    ) -> Result<(), TableError> {
        let _serial = self.update.lock().unwrap_or_else(|p| p.into_inner());
        let table = change(self.table());
        let policy = Policy::check(&table)?;
        let active = build(
            &self.name,
            &self.rollout,
            policy,
            &self.endpoints,
            &self.feed,
        );
        self.active.store(Arc::new(active));
        self.table_changed.notify_waiters();
        Ok(())
    }

    /// What the admin API reports about this listener.
    pub(crate) fn status(&self) -> ListenerStatus {
        let active = self.active.load();
        let weights = active.policy.weights();
        ListenerStatus {
            name: self.name.clone(),
            rollout: self.rollout.clone(),
            address: self.local_addr,
            weights: WeightsStatus {
                stable: weights.stable_percent(),
                canary: weights.canary_percent(),
            },
            arms: Arm::ALL
                .into_iter()
                .filter_map(|arm| {
                    let target = active.targets[arm.index()].as_ref()?;
                    Some(ArmStatus {
                        arm,
                        version: target.metrics.version.clone(),
                        drained: active.policy.drained[arm.index()],
                        in_flight: self.in_flight.count(arm),
                        endpoints: target
                            .endpoints
                            .endpoints
                            .iter()
                            .map(|e| e.status())
                            .collect(),
                    })
                })
                .collect(),
        }
    }
}

fn build(
    listener: &str,
    rollout: &str,
    policy: Policy,
    registry: &EndpointRegistry,
    feed: &MetricsFeed,
) -> Active {
    let targets = Arm::ALL.map(|arm| {
        let spec = policy.arms[arm.index()].as_ref()?;
        Some(Arc::new(ArmTarget {
            endpoints: EndpointSet::new(spec.endpoints.iter().map(|a| registry.get(a)).collect()),
            metrics: feed.arm_metrics(listener, rollout, arm, &spec.version),
            protocol: spec.protocol,
            passive: spec.passive.clone(),
        }))
    });
    Active { policy, targets }
}

/// A listener's state, for operators.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ListenerStatus {
    /// Listener name.
    pub name: String,
    /// Rollout label.
    pub rollout: String,
    /// The bound address.
    pub address: SocketAddr,
    /// The split in effect.
    pub weights: WeightsStatus,
    /// Defined arms.
    pub arms: Vec<ArmStatus>,
}

/// The split in effect, in percent.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct WeightsStatus {
    /// Stable share.
    pub stable: u32,
    /// Canary share.
    pub canary: u32,
}

/// One arm's state.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArmStatus {
    /// Which arm.
    pub arm: Arm,
    /// Its version label.
    pub version: String,
    /// Taking no new requests.
    pub drained: bool,
    /// Requests in flight now.
    pub in_flight: u64,
    /// Endpoint health.
    pub endpoints: Vec<EndpointStatus>,
}
