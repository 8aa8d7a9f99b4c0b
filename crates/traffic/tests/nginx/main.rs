//! The NGINX Ingress router against the in-process fake API server,
//! through the real kube client: the exact canary Ingresses it writes for
//! each kind of step, when it writes nothing, what it reads back, what it
//! restores, and its errors. One module per behaviour group.

mod errors;
mod for_rollout;
mod read_back;
mod restore;
mod steps;
mod support;
mod sync;
