//! The controller's Prometheus metrics ([`ControllerMetrics`]): each
//! rollout's phase and canary weight, how long reconciles take, errors by
//! kind, and whether this replica leads. Encoded as text by `prometheus-client`.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serin_api::status::RolloutPhase;

/// Every phase, in the order the `phase` label is written.
pub const PHASES: [RolloutPhase; 5] = [
    RolloutPhase::Progressing,
    RolloutPhase::Paused,
    RolloutPhase::Healthy,
    RolloutPhase::Aborted,
    RolloutPhase::Degraded,
];

/// The name a phase has in the `phase` label (as in the Rollout's status).
pub fn phase_name(phase: RolloutPhase) -> &'static str {
    match phase {
        RolloutPhase::Progressing => "Progressing",
        RolloutPhase::Paused => "Paused",
        RolloutPhase::Healthy => "Healthy",
        RolloutPhase::Aborted => "Aborted",
        RolloutPhase::Degraded => "Degraded",
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RolloutLabels {
    namespace: String,
    rollout: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PhaseLabels {
    namespace: String,
    rollout: String,
    phase: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    kind: &'static str,
}

/// The controller's metrics, shared (in an `Arc`) by the reconcilers, the
/// leader elector's watcher and the `/metrics` endpoint.
pub struct ControllerMetrics {
    registry: Registry,
    phase: Family<PhaseLabels, Gauge>,
    canary_weight: Family<RolloutLabels, Gauge>,
    reconcile_duration: Histogram,
    errors: Family<ErrorLabels, Counter>,
    leader: Gauge,
}

impl Default for ControllerMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl ControllerMetrics {
    /// Every metric registered, none observed yet (`serin_leader` is 0).
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let phase = Family::<PhaseLabels, Gauge>::default();
        registry.register(
            "serin_rollout_phase",
            "The rollout's phase: 1 for the current one, 0 for the others",
            phase.clone(),
        );
        let canary_weight = Family::<RolloutLabels, Gauge>::default();
        registry.register(
            "serin_rollout_canary_weight",
            "The canary's share of traffic in percent, as last reported",
            canary_weight.clone(),
        );
        // 5 ms to about 41 s.
        let reconcile_duration = Histogram::new(exponential_buckets(0.005, 2.0, 14));
        registry.register(
            "serin_reconcile_duration_seconds",
            "How long one reconcile of a rollout took",
            reconcile_duration.clone(),
        );
        let errors = Family::<ErrorLabels, Counter>::default();
        // prometheus-client adds the `_total` suffix of a counter.
        registry.register(
            "serin_reconcile_errors",
            "Reconciles that failed, by kind of error",
            errors.clone(),
        );
        let leader = Gauge::default();
        registry.register(
            "serin_leader",
            "1 while this replica holds the leader lease",
            leader.clone(),
        );
        Self {
            registry,
            phase,
            canary_weight,
            reconcile_duration,
            errors,
            leader,
        }
    }

    /// Records a rollout's phase (None: not reported yet, every phase 0) and
    /// its canary weight.
    pub fn observe_rollout(
        &self,
        namespace: &str,
        name: &str,
        phase: Option<RolloutPhase>,
        weight: i32,
    ) {
        for p in PHASES {
            let labels = phase_labels(namespace, name, p);
            self.phase
                .get_or_create(&labels)
                .set(i64::from(phase == Some(p)));
        }
        self.canary_weight
            .get_or_create(&rollout_labels(namespace, name))
            .set(i64::from(weight));
    }

    /// Removes every series of a rollout (it was deleted).
    pub fn forget_rollout(&self, namespace: &str, name: &str) {
        for p in PHASES {
            self.phase.remove(&phase_labels(namespace, name, p));
        }
        self.canary_weight.remove(&rollout_labels(namespace, name));
    }

    /// Records how long one reconcile took.
    pub fn reconciled(&self, duration: std::time::Duration) {
        self.reconcile_duration.observe(duration.as_secs_f64());
    }

    /// Counts a failed reconcile of `kind` (a short fixed label such as `api`
    /// or `engine`, never free text).
    pub fn error(&self, kind: &'static str) {
        self.errors.get_or_create(&ErrorLabels { kind }).inc();
    }

    /// Records whether this replica leads.
    pub fn set_leader(&self, leading: bool) {
        self.leader.set(i64::from(leading));
    }

    /// The metrics in the OpenMetrics text format.
    ///
    /// # Errors
    /// Never in practice: writing to a `String` does not fail.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

fn rollout_labels(namespace: &str, name: &str) -> RolloutLabels {
    RolloutLabels {
        namespace: namespace.to_string(),
        rollout: name.to_string(),
    }
}

fn phase_labels(namespace: &str, name: &str, phase: RolloutPhase) -> PhaseLabels {
    PhaseLabels {
        namespace: namespace.to_string(),
        rollout: name.to_string(),
        phase: phase_name(phase),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(m: &ControllerMetrics) -> String {
        m.encode().expect("encodes")
    }

    #[test]
    fn the_current_phase_is_one_and_every_other_zero() {
        let m = ControllerMetrics::new();
        m.observe_rollout("shop", "web", Some(RolloutPhase::Paused), 20);
        let t = text(&m);
        assert!(
            t.contains(r#"serin_rollout_phase{namespace="shop",rollout="web",phase="Paused"} 1"#),
            "{t}"
        );
        for other in ["Progressing", "Healthy", "Aborted", "Degraded"] {
            let line = format!(
                r#"serin_rollout_phase{{namespace="shop",rollout="web",phase="{other}"}} 0"#
            );
            assert!(t.contains(&line), "{line} in {t}");
        }
        assert!(
            t.contains(r#"serin_rollout_canary_weight{namespace="shop",rollout="web"} 20"#),
            "{t}"
        );
    }

    #[test]
    fn a_phase_change_moves_the_one() {
        let m = ControllerMetrics::new();
        m.observe_rollout("shop", "web", Some(RolloutPhase::Progressing), 10);
        m.observe_rollout("shop", "web", Some(RolloutPhase::Healthy), 0);
        let t = text(&m);
        assert!(t.contains(r#"phase="Progressing"} 0"#), "{t}");
        assert!(t.contains(r#"phase="Healthy"} 1"#), "{t}");
    }

    #[test]
    fn a_forgotten_rollout_has_no_series() {
        let m = ControllerMetrics::new();
        m.observe_rollout("shop", "web", Some(RolloutPhase::Healthy), 0);
        m.observe_rollout("shop", "api", None, 0);
        m.forget_rollout("shop", "web");
        let t = text(&m);
        assert!(!t.contains(r#"rollout="web""#), "{t}");
        assert!(t.contains(r#"rollout="api""#), "{t}");
    }

    #[test]
    fn errors_count_by_kind_and_reconciles_fill_the_histogram() {
        let m = ControllerMetrics::new();
        m.error("api");
        m.error("api");
        m.error("engine");
        m.reconciled(std::time::Duration::from_millis(30));
        let t = text(&m);
        assert!(
            t.contains(r#"serin_reconcile_errors_total{kind="api"} 2"#),
            "{t}"
        );
        assert!(
            t.contains(r#"serin_reconcile_errors_total{kind="engine"} 1"#),
            "{t}"
        );
        assert!(
            t.contains("serin_reconcile_duration_seconds_count 1"),
            "{t}"
        );
    }

    #[test]
    fn the_leader_gauge_follows_leadership() {
        let m = ControllerMetrics::new();
        assert!(text(&m).contains("serin_leader 0"));
        m.set_leader(true);
        assert!(text(&m).contains("serin_leader 1"));
    }
}
