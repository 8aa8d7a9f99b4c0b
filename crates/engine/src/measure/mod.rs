//! The threshold side of analysis, as pure functions: which metrics of an
//! `AnalysisRun` are due at `now` (`initialDelay`, `interval`, `count`), how
//! one measurement's outcome updates the run's status (CEL conditions over
//! `result`, `failureLimit`, `inconclusiveLimit`, `consecutiveErrorLimit`,
//! `dryRun`, `measurementRetention`), the run's verdict (the worst of its
//! metrics), `terminate`, and `{{args.NAME}}` resolution. No clock, no I/O:
//! the analysis runner (`serin-metrics`) measures and passes `now` in.

mod args;
mod condition;
mod limits;
mod record;
mod schedule;
mod value;
mod verdict;

pub use args::{ArgSource, ArgsError, build_run_spec, resolve_args, resolve_metric, substitute};
pub use condition::{ConditionError, MAX_CONDITION_NESTING, evaluate, nesting_depth};
pub use limits::{
    DEFAULT_ERROR_RETRY_MS, DEFAULT_MEASUREMENT_RETENTION, Limits, is_dry_run, retention,
};
pub use record::record;
pub use schedule::{due, next_due, start};
pub use value::{Outcome, ResultValue};
pub use verdict::{fail_run, metric_phase, run_phase, terminate};
