//! A faithful in-process fake Kubernetes API server for tests.
//!
//! It speaks plain HTTP on 127.0.0.1 with the real paths of the kinds serin
//! touches, and tests talk to it through the real kube client:
//!
//! ```no_run
//! # async fn demo() -> Result<(), serin_kube_fake::FakeError> {
//! let (fake, client) = serin_kube_fake::FakeApiServer::start().await?;
//! let replicasets: kube::Api<k8s_openapi::api::apps::v1::ReplicaSet> =
//!     kube::Api::namespaced(client, "default");
//! # let _ = (fake, replicasets);
//! # Ok(()) }
//! ```
//!
//! Modules, one concern each: [`resources`] (the kinds), [`store`] (objects,
//! versions, finalizers, cascading deletion, the event log), [`watch`],
//! [`patch`], [`apply`] (server-side apply), [`discovery`], [`selectors`], [`routes`] (HTTP), [`scale`] (the scale subresource), [`simulator`]
//! (the ReplicaSet controller and kubelet stand-in) and [`faults`] (request
//! counts and injected failures), [`validate`] (names and labels). What is faithful and what is simplified is
//! in `docs/kube-fake.md`.

pub mod apply;
pub mod discovery;
pub mod error;
pub mod faults;
pub mod patch;
pub mod resources;
pub mod routes;
pub mod scale;
pub mod selectors;
pub mod simulator;
pub mod store;
pub mod validate;
pub mod watch;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

pub use error::ApiError;
pub use faults::{Delay, Fault, Verb};
pub use simulator::CRASH_MARKER;
pub use store::EventType;

use faults::Faults;
use simulator::Simulator;
use store::{Store, WriteTarget};

/// Why the fake could not start.
#[derive(Debug, thiserror::Error)]
pub enum FakeError {
    /// The listener could not bind 127.0.0.1.
    #[error("cannot listen on 127.0.0.1: {0}")]
    Bind(#[from] std::io::Error),
    /// The server's URL is not a valid URI (never expected).
    #[error("invalid server url: {0}")]
    Url(#[from] axum::http::uri::InvalidUri),
    /// The kube client could not be built.
    #[error("cannot build the kube client: {0}")]
    Client(#[from] kube::Error),
    /// No such kind is served.
    #[error("the fake does not serve {api_version} {kind}")]
    UnknownKind {
        /// The `apiVersion` asked for.
        api_version: String,
        /// The kind asked for.
        kind: String,
    },
    /// The store refused a direct write.
    #[error(transparent)]
    Api(#[from] ApiError),
    /// A YAML fixture could not be read.
    #[error("invalid YAML fixture: {0}")]
    Yaml(String),
}

/// One recorded change of one object.
#[derive(Debug, Clone)]
pub struct Change {
    /// The `resourceVersion` the change made (global order).
    pub resource_version: u64,
    /// ADDED, MODIFIED or DELETED.
    pub kind: store::EventType,
    /// The object's `apiVersion`.
    pub api_version: String,
    /// The object's `kind`.
    pub object_kind: &'static str,
    /// The object's namespace (empty when cluster-scoped).
    pub namespace: String,
    /// The object's name.
    pub name: String,
    /// The object after the change.
    pub object: Value,
}

/// Settings of a fake API server.
#[derive(Debug, Clone)]
pub struct FakeOptions {
    /// How many events the log keeps; a watch from an older version gets 410 Gone.
    pub event_log_capacity: usize,
    /// How often a watch with `allowWatchBookmarks` gets a BOOKMARK.
    pub bookmark_interval: Duration,
    /// How long a watch without `timeoutSeconds` lasts.
    pub default_watch_timeout: Duration,
    /// `Some(delay)` runs the ReplicaSet simulator, pods ready `delay` of simulated time after they are made.
    pub replicaset_simulator: Option<Duration>,
    /// The port on 127.0.0.1 to listen on; 0 picks a free one.
    pub port: u16,
}

impl Default for FakeOptions {
    fn default() -> Self {
        Self {
            event_log_capacity: 10_000,
            bookmark_interval: Duration::from_secs(60),
            default_watch_timeout: Duration::from_secs(1800),
            replicaset_simulator: None,
            port: 0,
        }
    }
}

/// State shared by the HTTP routes and the handle.
pub struct Shared {
    store: Store,
    faults: Faults,
    simulator: Option<Simulator>,
    options: FakeOptions,
}

impl Shared {
    /// Let the simulator react to a write of `object`.
    fn after_write(&self, rt: &resources::ResourceType, namespace: &str, object: &Value) {
        if let Some(sim) = &self.simulator
            && let Err(err) = sim.reconcile_touched(&self.store, rt, namespace, object)
        {
            tracing::warn!(%err, "replicaset simulator pass failed");
        }
    }

    /// Let the simulator look at every ReplicaSet.
    fn reconcile_all(&self) {
        if let Some(sim) = &self.simulator
            && let Err(err) = sim.reconcile(&self.store)
        {
            tracing::warn!(%err, "replicaset simulator pass failed");
        }
    }
}

/// The entry point: starts a fake API server.
pub struct FakeApiServer;

impl FakeApiServer {
    /// Start a fake with default settings; returns its handle and a client for it.
    pub async fn start() -> Result<(FakeHandle, kube::Client), FakeError> {
        Self::start_with(FakeOptions::default()).await
    }

    /// Start a fake with `options`.
    pub async fn start_with(options: FakeOptions) -> Result<(FakeHandle, kube::Client), FakeError> {
        let shared = Arc::new(Shared {
            store: Store::new(options.event_log_capacity),
            faults: Faults::default(),
            simulator: options.replicaset_simulator.map(Simulator::new),
            options,
        });
        let port = shared.options.port;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
        let addr = listener.local_addr()?;
        let app = axum::Router::new()
            .fallback(routes::handle)
            .with_state(Arc::clone(&shared));
        let server = tokio::spawn(async move {
            if let Err(err) = axum::serve(listener, app).await {
                tracing::warn!(%err, "fake api server stopped");
            }
        });
        let handle = FakeHandle {
            shared,
            addr,
            server,
        };
        let client = handle.client()?;
        Ok((handle, client))
    }
}

/// The test's view of a running fake: direct access to objects, request
/// counts, faults, watch control and the simulator's clock. Dropping it stops the server.
pub struct FakeHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for FakeHandle {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn resource(api_version: &str, kind: &str) -> Result<&'static resources::ResourceType, FakeError> {
    resources::find_kind(api_version, kind).ok_or_else(|| FakeError::UnknownKind {
        api_version: api_version.into(),
        kind: kind.into(),
    })
}

impl FakeHandle {
    /// The server's base URL (`http://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A kube client configuration for this server (default namespace `default`).
    pub fn client_config(&self) -> Result<kube::Config, FakeError> {
        Ok(kube::Config::new(self.url().parse()?))
    }

    /// A kubeconfig whose current context is this server (namespace `default`),
    /// for running a controller in another process against the fake.
    pub fn kubeconfig(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: serin-kube-fake\n  cluster:\n    server: {}\nusers:\n- name: serin-kube-fake\n  user: {{}}\ncontexts:\n- name: serin-kube-fake\n  context:\n    cluster: serin-kube-fake\n    user: serin-kube-fake\n    namespace: default\ncurrent-context: serin-kube-fake\n",
            self.url()
        )
    }

    /// A new kube client for this server.
    pub fn client(&self) -> Result<kube::Client, FakeError> {
        Ok(kube::Client::try_from(self.client_config()?)?)
    }

    /// One object as stored, read without going through HTTP.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Value> {
        let rt = resource(api_version, kind).ok()?;
        self.shared
            .store
            .get(rt, namespace.unwrap_or(""), name)
            .ok()
    }

    /// Every stored object of a kind, in every namespace.
    pub fn objects(&self, api_version: &str, kind: &str) -> Vec<Value> {
        resource(api_version, kind)
            .map(|rt| self.shared.store.list(rt, None).0)
            .unwrap_or_default()
    }

    /// Create an object directly (as another client would); `status` is dropped
    /// for kinds with a status subresource, as through the API.
    pub fn create(&self, namespace: Option<&str>, object: Value) -> Result<Value, FakeError> {
        let api_version = object
            .get("apiVersion")
            .and_then(Value::as_str)
            .unwrap_or("");
        let kind = object.get("kind").and_then(Value::as_str).unwrap_or("");
        let rt = resource(api_version, kind)?;
        let ns = namespace.unwrap_or("");
        let created = self.shared.store.create(rt, ns, object)?;
        self.shared.after_write(rt, ns, &created);
        Ok(created)
    }

    /// Create every object of a multi-document YAML fixture, in order; the
    /// namespace is the object's own, else `default` for namespaced kinds.
    /// Unlike a create through the API, a `status` in the fixture is kept
    /// (written through the status subresource), so a fixture can describe
    /// an object mid-flight.
    pub fn load_yaml(&self, yaml: &str) -> Result<Vec<Value>, FakeError> {
        // Fixtures are trusted test data and may be large (the scale benchmark's
        // thousands of objects): lift the parser's guards against hostile input.
        let options = serde_saphyr::options! {
            budget: serde_saphyr::budget! {
                max_documents: 10_000_000,
                max_nodes: 1_000_000_000,
                max_events: 1_000_000_000,
                max_total_scalar_bytes: 1 << 32,
            },
        };
        let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(yaml, options)
            .map_err(|e| FakeError::Yaml(e.to_string()))?;
        let mut created = Vec::new();
        for doc in docs.into_iter().filter(|d| !d.is_null()) {
            let api_version = doc.get("apiVersion").and_then(Value::as_str).unwrap_or("");
            let kind = doc.get("kind").and_then(Value::as_str).unwrap_or("");
            let rt = resource(api_version, kind)?;
            let ns = match doc.pointer("/metadata/namespace").and_then(Value::as_str) {
                Some(ns) if rt.namespaced => ns.to_string(),
                _ if rt.namespaced => "default".to_string(),
                _ => String::new(),
            };
            let status = doc.get("status").cloned();
            let mut object = self.shared.store.create(rt, &ns, doc)?;
            if let (Some(status), true) = (status, rt.status) {
                let name = object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                object = self
                    .shared
                    .store
                    .modify(rt, &ns, &name, WriteTarget::Status, |_| {
                        Ok(serde_json::json!({"status": status}))
                    })?;
            }
            self.shared.after_write(rt, &ns, &object);
            created.push(object);
        }
        Ok(created)
    }

    /// Merge-patch an object directly, as another client would (the main
    /// resource: `status` in the patch is ignored for kinds with a status subresource).
    pub fn patch(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        merge_patch: &Value,
    ) -> Result<Value, FakeError> {
        self.write(
            api_version,
            kind,
            namespace,
            name,
            merge_patch,
            WriteTarget::Main,
        )
    }

    /// Merge-patch an object's status directly, as a controller would through `/status`.
    pub fn patch_status(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        merge_patch: &Value,
    ) -> Result<Value, FakeError> {
        self.write(
            api_version,
            kind,
            namespace,
            name,
            merge_patch,
            WriteTarget::Status,
        )
    }

    fn write(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
        merge_patch: &Value,
        target: WriteTarget,
    ) -> Result<Value, FakeError> {
        let rt = resource(api_version, kind)?;
        let ns = namespace.unwrap_or("");
        let out = self.shared.store.modify(rt, ns, name, target, |old| {
            patch::apply(patch::PatchType::Merge, old, merge_patch)
        })?;
        self.shared.after_write(rt, ns, &out);
        Ok(out)
    }

    /// Delete an object directly (background propagation; finalizers hold it).
    pub fn delete(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Result<Value, FakeError> {
        let rt = resource(api_version, kind)?;
        let ns = namespace.unwrap_or("");
        let out = self
            .shared
            .store
            .delete(rt, ns, name, store::Propagation::Background, None)?;
        self.shared.after_write(rt, ns, &out);
        Ok(out)
    }

    /// The current (latest) `resourceVersion`.
    pub fn resource_version(&self) -> u64 {
        self.shared.store.resource_version()
    }

    /// How many requests with `verb` went to exactly `path`.
    pub fn request_count(&self, verb: Verb, path: &str) -> u64 {
        self.shared.faults.count(verb, path)
    }

    /// How many requests with `verb` went to paths starting with `prefix`.
    pub fn request_count_prefix(&self, verb: Verb, prefix: &str) -> u64 {
        self.shared.faults.count_prefix(verb, prefix)
    }

    /// Fail the next `fault.times` matching requests with `fault.code`.
    pub fn inject(&self, fault: Fault) {
        self.shared.faults.inject(fault);
    }

    /// Answer the next `delay.times` matching requests only after `delay.delay`.
    pub fn delay(&self, delay: Delay) {
        self.shared.faults.delay(delay);
    }

    /// End every open watch, as an API server restart would; clients re-watch.
    pub fn disconnect_watches(&self) {
        self.shared.store.disconnect_watches();
    }

    /// Forget the whole event log: a watch from any version before now gets 410 Gone.
    pub fn compact(&self) {
        self.shared.store.compact();
    }

    /// Keep at most `capacity` events in the log from now on.
    pub fn set_event_log_capacity(&self, capacity: usize) {
        self.shared.store.set_log_capacity(capacity);
    }

    /// Move the simulator's clock forward and let it act (no-op without the simulator).
    pub fn advance(&self, by: Duration) {
        if let Some(sim) = &self.shared.simulator {
            sim.advance(by);
            self.shared.reconcile_all();
        }
    }

    /// Every change the event log still holds, oldest first, across all
    /// kinds: for asserting the order of effects (the Service selector moved
    /// to stable before the canary ReplicaSet went to zero) by state, not by
    /// request URIs.
    pub fn history(&self) -> Vec<Change> {
        self.shared
            .store
            .history()
            .into_iter()
            .map(|e| Change {
                resource_version: e.rv,
                kind: e.kind,
                api_version: e.resource.api_version(),
                object_kind: e.resource.kind,
                namespace: e.namespace,
                name: e
                    .object
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
                object: e.object,
            })
            .collect()
    }

    /// The changes to one object that the event log still holds, oldest first.
    pub fn history_of(&self, kind: &str, namespace: Option<&str>, name: &str) -> Vec<Change> {
        self.history()
            .into_iter()
            .filter(|c| {
                c.object_kind == kind && c.namespace == namespace.unwrap_or("") && c.name == name
            })
            .collect()
    }

    /// Change how long new pods take to become ready (simulated time).
    pub fn set_ready_after(&self, delay: Duration) {
        if let Some(sim) = &self.shared.simulator {
            sim.set_ready_after(delay);
        }
    }

    /// Make the pods of a ReplicaSet crash-loop, or stop them crashing.
    pub fn set_crashing(&self, namespace: &str, replicaset: &str, crashing: bool) {
        if let Some(sim) = &self.shared.simulator {
            sim.set_crashing(namespace, replicaset, crashing);
            self.shared.reconcile_all();
        }
    }
}
