//! The Gateway API router against the in-process fake API server, through
//! the real kube client: the exact HTTPRoutes it writes (snapshots under
//! `snapshots/`), each checked against the upstream CRD schema, when it
//! writes nothing, what it reads back (and when a Gateway has not yet
//! accepted the route), what it restores, and its errors.

#[path = "../mesh_support/mod.rs"]
mod mesh_support;

mod acceptance;
mod affinity;
mod errors;
mod example;
mod restore;
mod routes;
mod support;
mod weights;
