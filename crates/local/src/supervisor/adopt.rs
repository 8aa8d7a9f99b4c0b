//! Adoption: after a restart, the daemon hands back the [`ReplicaRecord`]s
//! it persisted. A replica is taken over when its pid is alive, started
//! when recorded, and its port passes the readiness probe (tried up to
//! `failureThreshold` times, `period` apart); it is then
//! watched by polling its pid (it is not our child). Any other recorded
//! process still running is killed; the rest are forgotten.

use std::sync::Arc;

use super::Inner;
use super::probe;
use super::process::Proc;
use super::report::ReplicaRecord;
use super::signal;
use super::workload::Probe;

/// What [`adopt`] did with each record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Adoption {
    /// Taken over.
    pub adopted: Vec<ReplicaRecord>,
    /// Not taken over, with why (killed when it was still running).
    pub discarded: Vec<(ReplicaRecord, String)>,
}

/// Takes over the replicas of `records` that are alive and ready.
pub(crate) async fn adopt(inner: &Arc<Inner>, records: Vec<ReplicaRecord>) -> Adoption {
    let mut out = Adoption::default();
    let readiness = inner.workload().readiness.clone();
    for record in records {
        if !signal::same_process(record.pid, record.started_at_ms) {
            out.discarded.push((record, "not running".to_owned()));
            continue;
        }
        if let Err(e) = ready(record.port, &readiness).await {
            signal::kill_group(record.pid);
            out.discarded
                .push((record, format!("not ready ({e}); killed")));
            continue;
        }
        let proc = Proc::Adopted {
            pid: record.pid,
            started_at_ms: record.started_at_ms,
            poll: inner.options().pid_poll,
        };
        let inserted = {
            let mut table = inner.lock_table();
            let inserted = table.insert_adopted(inner, &record, proc);
            inner.publish(&table);
            inserted
        };
        if inserted {
            tracing::info!(version = %record.version, replica = record.replica, pid = record.pid, port = record.port, "replica adopted");
            out.adopted.push(record);
        } else {
            signal::kill_group(record.pid);
            out.discarded.push((
                record,
                "its replica index or port is taken; killed".to_owned(),
            ));
        }
    }
    out
}

/// Probes readiness up to `failure_threshold` times, `period` apart.
async fn ready(port: u16, readiness: &Probe) -> Result<(), String> {
    let mut result = probe::check(port, &readiness.path, readiness.timeout).await;
    for _ in 1..readiness.failure_threshold {
        if result.is_ok() {
            break;
        }
        tokio::time::sleep(readiness.period).await;
        result = probe::check(port, &readiness.path, readiness.timeout).await;
    }
    result
}
