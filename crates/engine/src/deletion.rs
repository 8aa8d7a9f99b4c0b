//! A rollout being deleted gives back what it holds, in a safe order: all
//! traffic to stable, and only once the router reports that, every other
//! version scaled to zero, the routing objects restored, and the rollout
//! let go (`Finalize`). Until the traffic is read back on stable the plan
//! is only the `SetTraffic`, and the platform observes again. A routing
//! object deleted before the rollout carries no traffic to move: the
//! traffic is still sent to stable (through what is left) but not waited
//! for, so a missing object never holds the rollout for ever. Nothing else
//! (steps, commands, analysis) is planned.

use serin_api::status::Traffic;

use crate::observed::{Deleting, Observed};
use crate::output::{Action, Plan};

/// The plan for a rollout being deleted; it waits on the router alone, so
/// no time is read.
pub(crate) fn plan(obs: &Observed, deleting: &Deleting) -> Plan {
    let mut status = obs.status.clone();
    let mut actions = Vec::new();
    let gone = !deleting.routing_gone.is_empty();
    if let Some(stable) = status.stable_revision.clone() {
        let home = Traffic {
            stable: Some(stable.clone()),
            ..Traffic::default()
        };
        if obs.traffic.as_ref() != Some(&home) {
            actions.push(Action::SetTraffic { traffic: home });
            if !gone {
                status.message = Some(format!(
                    "being deleted: waiting for the routers to show all traffic on stable {stable}"
                ));
                return Plan {
                    actions,
                    status,
                    requeue_after_ms: None,
                };
            }
        }
        actions.extend(
            obs.versions
                .iter()
                .filter(|(revision, v)| **revision != stable && v.replicas > 0)
                .map(|(revision, _)| Action::Scale {
                    revision: revision.clone(),
                    replicas: 0,
                }),
        );
    }
    status.message = Some(if gone {
        format!(
            "being deleted: routing restored without {} (gone already)",
            deleting.routing_gone.join(", ")
        )
    } else {
        "being deleted: routing restored".to_owned()
    });
    actions.push(Action::RestoreRouting);
    actions.push(Action::Finalize);
    Plan {
        actions,
        status,
        requeue_after_ms: None,
    }
}
