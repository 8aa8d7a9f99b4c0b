//! The supervisor's own settings (not in the spec): where replica output
//! goes, restart timing, the crash-loop and start-failure rules. The
//! defaults are the documented behaviour; tests shorten the times.

use std::path::PathBuf;
use std::time::Duration;

/// How the supervisor runs replicas.
#[derive(Clone, Debug)]
pub struct Options {
    /// Directory of each replica's stdout and stderr files.
    pub log_dir: PathBuf,
    /// First restart delay (250ms).
    pub backoff_initial: Duration,
    /// Largest restart delay (10s).
    pub backoff_max: Duration,
    /// Crashes within `crash_loop_window` that make a crash loop (3).
    pub crash_loop_crashes: u32,
    /// See `crash_loop_crashes` (60s).
    pub crash_loop_window: Duration,
    /// Ready this long, a replica's backoff and crash history are forgotten (60s).
    pub stable_after: Duration,
    /// Consecutive starts that exit before ever being ready that make a
    /// start failure (3).
    pub start_failure_exits: u32,
    /// Stderr lines quoted in a start failure (20).
    pub stderr_lines: usize,
    /// How often an adopted process (not a child) is checked for life (250ms).
    pub pid_poll: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            log_dir: std::env::temp_dir().join("serin-local"),
            backoff_initial: Duration::from_millis(250),
            backoff_max: Duration::from_secs(10),
            crash_loop_crashes: 3,
            crash_loop_window: Duration::from_secs(60),
            stable_after: Duration::from_secs(60),
            start_failure_exits: 3,
            stderr_lines: 20,
            pid_poll: Duration::from_millis(250),
        }
    }
}
