//! The task that runs one replica for as long as it is wanted: start it,
//! probe it (startup, then readiness and liveness), restart it with backoff
//! when it ends or fails a probe, report crash loops and start failures,
//! and, when told to stop, drain it and stop it.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::{Instant, sleep_until};

use super::Inner;
use super::backoff::{Backoff, CrashWindow};
use super::logs::LogFiles;
use super::probe;
use super::process::{self, Proc};
use super::table::{Key, Slot};
use super::template::Vars;
use super::workload::Workload;

/// What outlives one process of a replica.
struct Life {
    backoff: Backoff,
    crashes: CrashWindow,
    /// The replica has been ready at least once.
    ever_ready: bool,
    /// Consecutive runs that ended before being ready.
    early_exits: u32,
}

/// How one run of the process ended.
enum Outcome {
    /// Told to stop; whether it was ready (in the proxy) then.
    Stop { was_ready: bool },
    /// The process ended by itself.
    Ended { how: String, ready_this_run: bool },
    /// A startup or liveness probe failed too often.
    Unhealthy { why: String, ready_this_run: bool },
}

/// Runs the replica `key` until told to stop, then forgets its slot.
pub(crate) async fn run(
    inner: Arc<Inner>,
    key: Key,
    mut stop: watch::Receiver<bool>,
    adopted: Option<Proc>,
) {
    let o = inner.options().clone();
    let logs = LogFiles::new(&o.log_dir, &key.version, key.replica);
    let mut life = Life {
        backoff: Backoff::new(o.backoff_initial, o.backoff_max),
        crashes: CrashWindow::new(o.crash_loop_crashes, o.crash_loop_window),
        ever_ready: adopted.is_some(),
        early_exits: 0,
    };
    let mut next = adopted;
    while !*stop.borrow() {
        let workload = inner.workload();
        let vars = Vars {
            port: key.port,
            version: &key.version,
            replica: key.replica,
        };
        let adopted_now = next.is_some();
        let mut proc = match next.take() {
            Some(p) => p,
            None => match process::spawn(&workload, vars, &logs) {
                Ok(p) => p,
                Err(why) => {
                    tracing::warn!(version = %key.version, replica = key.replica, %why, "replica cannot start");
                    let delay = life.backoff.next_delay();
                    let looping = life.backoff.at_cap();
                    update(&inner, &key, |s| {
                        s.start_failure = Some(why);
                        s.crash_looping |= looping;
                        s.pid = None;
                        s.ready = false;
                    });
                    if stopped_during(delay, &mut stop).await {
                        break;
                    }
                    continue;
                }
            },
        };
        update(&inner, &key, |s| {
            s.pid = Some(proc.pid());
            s.started_at_ms = proc.started_at_ms();
        });
        let outcome = watch_run(
            &inner,
            &key,
            &workload,
            &mut proc,
            &mut stop,
            &mut life,
            adopted_now,
        )
        .await;
        let (how, ready_this_run) = match outcome {
            Outcome::Stop { was_ready } => {
                update(&inner, &key, |s| s.ready = false);
                if was_ready {
                    let drain = workload.drain;
                    let drained = inner.drainer().drain(&key.version, key.endpoint(), drain);
                    if tokio::time::timeout(drain, drained).await.is_err() {
                        tracing::info!(version = %key.version, replica = key.replica, ?drain, "drain time over");
                    }
                }
                let how = proc.stop(workload.grace).await;
                tracing::info!(version = %key.version, replica = key.replica, %how, "replica stopped");
                break;
            }
            Outcome::Ended {
                how,
                ready_this_run,
            } => {
                proc.reap_group();
                (how, ready_this_run)
            }
            Outcome::Unhealthy {
                why,
                ready_this_run,
            } => {
                update(&inner, &key, |s| s.ready = false);
                tracing::warn!(version = %key.version, replica = key.replica, %why, "restarting an unhealthy replica");
                let how = proc.stop(workload.grace).await;
                (format!("{why}; {how}"), ready_this_run)
            }
        };
        let delay = crashed(
            &inner,
            &key,
            &mut life,
            &logs,
            &how,
            ready_this_run,
            &workload,
        );
        if stopped_during(delay, &mut stop).await {
            break;
        }
    }
    inner.lock_table().remove(&key);
    let table = inner.lock_table();
    inner.publish(&table);
}

/// Records a crash; returns the delay before the restart.
fn crashed(
    inner: &Inner,
    key: &Key,
    life: &mut Life,
    logs: &LogFiles,
    how: &str,
    ready_this_run: bool,
    workload: &Workload,
) -> Duration {
    let o = inner.options();
    let delay = life.backoff.next_delay();
    let looping = life.crashes.record(Instant::now()) || life.backoff.at_cap();
    if ready_this_run {
        life.early_exits = 0;
    } else {
        life.early_exits += 1;
    }
    let failure = (!life.ever_ready && life.early_exits >= o.start_failure_exits).then(|| {
        let mut msg = format!(
            "`{}` {how} before it was ever ready ({} starts in a row)",
            workload.command.join(" "),
            life.early_exits
        );
        let tail = logs.stderr_tail(o.stderr_lines);
        if !tail.is_empty() {
            msg.push_str("; last stderr lines:\n");
            msg.push_str(&tail.join("\n"));
        }
        msg
    });
    tracing::warn!(version = %key.version, replica = key.replica, %how, restart_in = ?delay, crash_looping = looping, "replica ended");
    update(inner, key, |s| {
        s.ready = false;
        s.pid = None;
        s.restarts += 1;
        s.crash_looping = looping;
        if failure.is_some() {
            s.start_failure = failure;
        }
    });
    delay
}

/// Probes one run of the process until it ends, fails a probe, or the
/// replica is told to stop.
async fn watch_run(
    inner: &Inner,
    key: &Key,
    w: &Workload,
    proc: &mut Proc,
    stop: &mut watch::Receiver<bool>,
    life: &mut Life,
    adopted: bool,
) -> Outcome {
    let start = Instant::now();
    let mut startup = if adopted { None } else { w.startup.as_ref() };
    let mut ready = adopted;
    let mut ready_this_run = adopted;
    let mut ready_since = adopted.then_some(start);
    let mut stable = false;
    let (mut startup_fails, mut ready_fails, mut live_fails) = (0u32, 0u32, 0u32);
    let mut next_startup = start;
    let mut next_ready = if adopted {
        start + w.readiness.period
    } else {
        start
    };
    // Liveness starts once startup passed, or at the first ready without a startup probe.
    let mut next_live = w
        .liveness
        .as_ref()
        .filter(|_| adopted || w.startup.is_some())
        .map(|l| start + l.period);
    let stable_after = inner.options().stable_after;
    loop {
        let mut due = if startup.is_some() {
            next_startup
        } else {
            next_ready
        };
        if startup.is_none()
            && let Some(l) = next_live
        {
            due = due.min(l);
        }
        let stable_at = ready_since.filter(|_| !stable).map(|t| t + stable_after);
        if let Some(s) = stable_at {
            due = due.min(s);
        }
        tokio::select! {
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return Outcome::Stop { was_ready: ready };
                }
                continue;
            }
            how = proc.wait() => return Outcome::Ended { how, ready_this_run },
            () = sleep_until(due) => {}
        }
        let now = Instant::now();
        if stable_at.is_some_and(|s| now >= s) {
            stable = true;
            life.backoff.reset();
            life.crashes.clear();
            life.early_exits = 0;
            update(inner, key, |s| s.crash_looping = false);
        }
        if let Some(p) = startup {
            if now < next_startup {
                continue;
            }
            match probe::check(key.port, &p.path, p.timeout).await {
                Ok(()) => {
                    startup = None;
                    next_ready = Instant::now();
                    next_live = w.liveness.as_ref().map(|l| now + l.period);
                }
                Err(e) => {
                    startup_fails += 1;
                    if startup_fails >= p.failure_threshold {
                        return Outcome::Unhealthy {
                            why: format!("startup probe failed {startup_fails} times: {e}"),
                            ready_this_run,
                        };
                    }
                    next_startup = now + p.period;
                }
            }
            continue;
        }
        if now >= next_ready {
            let r = &w.readiness;
            match probe::check(key.port, &r.path, r.timeout).await {
                Ok(()) => {
                    ready_fails = 0;
                    if !ready {
                        ready = true;
                        ready_this_run = true;
                        ready_since = Some(Instant::now());
                        life.ever_ready = true;
                        life.early_exits = 0;
                        if next_live.is_none() {
                            next_live = w.liveness.as_ref().map(|l| now + l.period);
                        }
                        update(inner, key, |s| {
                            s.ready = true;
                            s.start_failure = None;
                        });
                    }
                }
                Err(e) => {
                    ready_fails += 1;
                    if ready && ready_fails >= r.failure_threshold {
                        tracing::info!(version = %key.version, replica = key.replica, error = %e, "replica not ready");
                        ready = false;
                        ready_since = None;
                        stable = false;
                        update(inner, key, |s| s.ready = false);
                    }
                }
            }
            next_ready = now + r.period;
        }
        if let (Some(l), Some(at)) = (w.liveness.as_ref(), next_live)
            && now >= at
        {
            match probe::check(key.port, &l.path, l.timeout).await {
                Ok(()) => live_fails = 0,
                Err(e) => {
                    live_fails += 1;
                    if live_fails >= l.failure_threshold {
                        return Outcome::Unhealthy {
                            why: format!("liveness probe failed {live_fails} times: {e}"),
                            ready_this_run,
                        };
                    }
                }
            }
            next_live = Some(now + l.period);
        }
    }
}

/// Waits `delay`; true when the replica was told to stop meanwhile.
async fn stopped_during(delay: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    let sleep = tokio::time::sleep(delay);
    tokio::pin!(sleep);
    loop {
        tokio::select! {
            () = &mut sleep => return *stop.borrow(),
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    return true;
                }
            }
        }
    }
}

/// Changes `key`'s slot and publishes.
fn update(inner: &Inner, key: &Key, f: impl FnOnce(&mut Slot)) {
    let mut table = inner.lock_table();
    table.update(key, f);
    inner.publish(&table);
}
