//! Tests of the fake API server through the real kube client, one module per
//! behaviour group.

mod controller;
mod crud;
mod discovery;
mod event_selectors;
mod events;
mod fixtures;
mod patching;
mod process;
mod simulator;
mod support;
mod watching;
