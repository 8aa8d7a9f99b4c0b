//! End-to-end scenarios of the Kubernetes controller against the fake API
//! server, through the real kube client, written Given / When / Then.

mod analysis;
mod bluegreen;
mod canary;
mod lifecycle;
mod routers;
mod support;
mod workload;
