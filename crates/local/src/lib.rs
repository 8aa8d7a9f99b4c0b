//! serin's one-host platform: the [`supervisor`] (runs each version of a
//! rollout as local processes from `spec.local`), the embedded [`store`]
//! (state that survives the daemon), the [`daemon`] that ties them to the
//! proxy, the analysis manager and the engine, and its [`admin`] API.

pub mod admin;
pub mod daemon;
pub mod store;
pub mod supervisor;
