//! The Service router against the in-process fake API server, through the
//! real kube client: the exact objects it writes, when it writes nothing,
//! what it reads back, what it restores, and its errors. One module per
//! behaviour group.

mod bluegreen;
mod canary;
mod errors;
mod for_rollout;
mod read_back;
mod restore;
mod support;
