//! Running the app: serve on a bound listener until a shutdown signal
//! (then readiness off, an optional delay, in-flight requests finished) or
//! an injected crash (then stop at once).

use std::future::Future;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::time::Instant;

use crate::faults::{Faults, FaultsError};
use crate::routes::router;
use crate::state::State;

/// How to run the app.
#[derive(Clone, Debug, Default)]
pub struct Config {
    /// The version served (`GET /version`, the `version` metric label).
    pub version: String,
    /// This replica's name in `GET /`; the process id when empty.
    pub instance: String,
    /// Faults in effect at start.
    pub faults: Faults,
    /// Time between readiness turning off and the listener closing, so that
    /// a prober or proxy sees the drain before connections are refused.
    pub drain_delay: Duration,
}

/// How the app stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Shut down gracefully: every in-flight request was answered.
    Drained,
    /// Crashed on purpose (`crashAfterSeconds`); the process should exit non-zero.
    Crashed,
}

/// Why the app could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The faults given at start are out of range.
    #[error("invalid faults: {0}")]
    Faults(#[from] FaultsError),
    /// Serving failed (accepting connections).
    #[error("serving: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the app on `listener` until `shutdown` resolves (graceful) or an
/// injected crash falls due.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<Exit, ServeError> {
    config.faults.check()?;
    let instance = if config.instance.is_empty() {
        std::process::id().to_string()
    } else {
        config.instance.clone()
    };
    let state = State::new(config.version.clone(), instance, config.faults.clone());
    let addr = listener.local_addr()?;
    tracing::info!(
        version = %state.version,
        instance = %state.instance,
        %addr,
        faults = %serde_json::json!(config.faults),
        "listening"
    );
    let drain_state = state.clone();
    let drain_delay = config.drain_delay;
    let graceful = async move {
        shutdown.await;
        drain_state.begin_drain();
        tracing::info!(delay_ms = drain_delay.as_millis() as u64, "draining");
        tokio::time::sleep(drain_delay).await;
    };
    let server = axum::serve(listener, router(state.clone())).with_graceful_shutdown(graceful);
    let crash = crash_due(state.crash_at.subscribe());
    tokio::select! {
        served = server => {
            served?;
            tracing::info!("stopped after draining");
            Ok(Exit::Drained)
        }
        () = crash => {
            tracing::error!(uptime = state.uptime(), "crashing on purpose");
            Ok(Exit::Crashed)
        }
    }
}

/// Resolves when the crash time in `at` (which may change) has passed.
async fn crash_due(mut at: tokio::sync::watch::Receiver<Option<Instant>>) {
    loop {
        let due = *at.borrow_and_update();
        match due {
            Some(t) => {
                tokio::select! {
                    () = tokio::time::sleep_until(t) => return,
                    changed = at.changed() => if changed.is_err() { std::future::pending::<()>().await },
                }
            }
            None => {
                if at.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        }
    }
}
