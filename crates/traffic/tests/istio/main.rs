//! The Istio router against the in-process fake API server, through the
//! real kube client: the exact VirtualServices and DestinationRules it
//! writes (snapshots under `snapshots/`), each checked against the
//! upstream CRD schema, in the host form and the subset form; when it
//! writes nothing, what it reads back, what it restores, and its errors.

#[path = "../mesh_support/mod.rs"]
mod mesh_support;

mod errors;
mod example;
mod hosts;
mod reconciled;
mod restore;
mod subsets;
mod support;
