//! [`run_analysis`]: measures one AnalysisRun until it is decided or
//! stopped. The pure `serin_engine::measure` says what is due and judges
//! each outcome; here the due metrics are measured concurrently, each within
//! its time limit, the status is saved after every measurement, and the
//! runner sleeps (`tokio::time::sleep_until`) until the next one is due.

use std::future::Future;
use std::pin::Pin;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use serin_api::Time;
use serin_api::analysis::{AnalysisRunSpec, AnalysisRunStatus, Metric};
use serin_engine::measure::{self, Outcome};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::provider::{MetricProvider, Request, timeout_of};
use crate::store::{RunStore, StoredRun};

/// Maps tokio's clock (paused in tests) to the wall-clock times stored in a
/// status: one reading of each, taken once per process, then tokio's
/// monotonic elapsed time. Runners of one process (and a runner resuming
/// another's run) therefore agree on time, paused or not.
#[derive(Clone, Copy, Debug)]
struct Clock {
    wall: Time,
    instant: Instant,
}

static ANCHOR: std::sync::OnceLock<(Time, std::time::Instant)> = std::sync::OnceLock::new();

impl Clock {
    fn start() -> Self {
        let (wall, instant) =
            *ANCHOR.get_or_init(|| (Time(jiff::Timestamp::now()), Instant::now().into_std()));
        Self {
            wall,
            instant: Instant::from_std(instant),
        }
    }

    fn now(&self) -> Time {
        let ms = u64::try_from(self.instant.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.wall.plus_millis(ms)
    }

    fn instant_at(&self, t: Time) -> Instant {
        self.instant + std::time::Duration::from_millis(t.millis_since(self.wall))
    }
}

/// The time as the runners of this process see it (paused in tests).
pub(crate) fn now() -> Time {
    Clock::start().now()
}

type Measuring<'a> = Pin<Box<dyn Future<Output = (String, Outcome, Time, Time)> + Send + 'a>>;

/// Measures run `name` until its phase is final, `spec.terminate` is set,
/// or `stop` turns true (the engine's `StopAnalysis`), and returns the final
/// status. On a stop, measurements under way are abandoned (a command is
/// killed) and the run ends with the verdict so far. `status` is where a
/// previous runner left off (`AnalysisRunStatus::default()` for a new run).
/// The status is saved to `store` at the start and after every measurement;
/// a store error is logged and measuring goes on.
pub async fn run_analysis<P, S>(
    name: &str,
    spec: &AnalysisRunSpec,
    status: AnalysisRunStatus,
    provider: &P,
    store: &S,
    mut stop: watch::Receiver<bool>,
) -> AnalysisRunStatus
where
    P: MetricProvider,
    S: RunStore,
{
    let clock = Clock::start();
    let mut run = StoredRun {
        spec: spec.clone(),
        status,
    };
    measure::start(spec, &mut run.status, clock.now());
    let resolved: Result<Vec<Metric>, _> = spec
        .metrics
        .iter()
        .map(|m| measure::resolve_metric(m, &spec.args))
        .collect();
    let metrics = match resolved {
        Ok(m) => m,
        Err(e) => {
            if !run.status.phase.is_terminal() {
                measure::fail_run(&mut run.status, format!("cannot measure: {e}"));
            }
            save(store, name, &mut run, &clock).await;
            return run.status;
        }
    };
    let sequential_metrics = metrics
        .iter()
        .filter(|m| m.provider.sequential.is_some())
        .count();
    save(store, name, &mut run, &clock).await;

    loop {
        if run.status.phase.is_terminal() {
            return run.status;
        }
        if spec.terminate || *stop.borrow() {
            measure::terminate(spec, &mut run.status);
            save(store, name, &mut run, &clock).await;
            return run.status;
        }
        let due = measure::due(spec, &run.status, clock.now());
        if due.is_empty() {
            let next = spec
                .metrics
                .iter()
                .filter_map(|m| measure::next_due(spec, &run.status, &m.name))
                .min();
            let Some(next) = next else {
                // Nothing left to measure and no verdict: end with what is known.
                measure::terminate(spec, &mut run.status);
                save(store, name, &mut run, &clock).await;
                return run.status;
            };
            tokio::select! {
                () = tokio::time::sleep_until(clock.instant_at(next)) => {}
                () = stopped(&mut stop) => {}
            }
            continue;
        }

        let mut pending: FuturesUnordered<Measuring<'_>> = FuturesUnordered::new();
        for metric_name in due {
            let Some(metric) = metrics.iter().find(|m| m.name == metric_name) else {
                continue;
            };
            let last = run
                .status
                .metric_results
                .iter()
                .find(|r| r.name == metric_name)
                .and_then(|r| r.measurements.last())
                .cloned();
            pending.push(Box::pin(async move {
                let started = clock.now();
                let limit = timeout_of(metric);
                let req = Request {
                    run: name,
                    metric,
                    last: last.as_ref(),
                    sequential_metrics,
                };
                let outcome = match tokio::time::timeout(limit, provider.measure(req)).await {
                    Ok(o) => o,
                    Err(_) => Outcome::Error(format!(
                        "the measurement took longer than its {}s time limit",
                        limit.as_secs_f64()
                    )),
                };
                (metric_name, outcome, started, clock.now())
            }));
        }
        loop {
            let next = tokio::select! {
                next = pending.next() => next,
                () = stopped(&mut stop) => None,
            };
            let Some((metric_name, outcome, started, finished)) = next else {
                break;
            };
            record(
                spec,
                &mut run.status,
                metric_name,
                outcome,
                started,
                finished,
            )
            .await;
            save(store, name, &mut run, &clock).await;
        }
    }
}

/// Conditions nested at most this deep are evaluated on the runner's own
/// thread (a 2 MiB stack holds about 16 levels in a debug build).
const INLINE_NESTING: usize = 6;
/// The stack of the thread that evaluates deeper conditions.
const DEEP_STACK_BYTES: usize = 64 << 20;

/// `measure::record`, on a thread with a large stack when the metric's
/// conditions nest deeply (the `cel` crate recurses once per level).
async fn record(
    spec: &AnalysisRunSpec,
    status: &mut AnalysisRunStatus,
    metric: String,
    outcome: Outcome,
    started: Time,
    finished: Time,
) {
    let depth = spec
        .metrics
        .iter()
        .filter(|m| m.name == metric)
        .flat_map(|m| [&m.success_condition, &m.failure_condition])
        .flatten()
        .map(|c| measure::nesting_depth(c))
        .max()
        .unwrap_or(0);
    if depth > INLINE_NESTING {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (spec_owned, mut status_owned) = (spec.clone(), status.clone());
        let (name, kept) = (metric.clone(), outcome.clone());
        let spawned = std::thread::Builder::new()
            .name("serin-condition".into())
            .stack_size(DEEP_STACK_BYTES)
            .spawn(move || {
                measure::record(
                    &spec_owned,
                    &mut status_owned,
                    &name,
                    kept,
                    started,
                    finished,
                );
                let _ = tx.send(status_owned);
            });
        if spawned.is_ok()
            && let Ok(updated) = rx.await
        {
            *status = updated;
            return;
        }
        tracing::warn!(
            metric,
            "could not evaluate on a large stack; evaluating inline"
        );
    }
    measure::record(spec, status, &metric, outcome, started, finished);
}

/// Resolves when `stop` changes; never when its sender is gone (nobody can
/// stop the run any more, so it runs to its verdict).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    if stop.changed().await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Saves the run, stamping `completedAt` the first time it is saved finished.
async fn save<S: RunStore>(store: &S, name: &str, run: &mut StoredRun, clock: &Clock) {
    if run.status.phase.is_terminal() && run.status.completed_at.is_none() {
        run.status.completed_at = Some(clock.now());
    }
    if let Err(e) = store.save(name, run).await {
        tracing::warn!(run = name, error = %e, "could not save the analysis run; measuring goes on");
    }
}
