//! serin's one-host platform. For now, the [`supervisor`]: it runs each
//! version of a rollout as local processes from `spec.local`, probes them,
//! restarts them, drains and stops them, and adopts the ones a previous
//! daemon left running. The embedded store and the control loop come next.

pub mod supervisor;
