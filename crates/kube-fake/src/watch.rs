//! Watches as the API server streams them: one JSON object per line
//! (`{"type": "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR", "object": ...}`),
//! starting after a `resourceVersion` from the bounded event log, with
//! periodic BOOKMARK events when asked, a `410 Expired` ERROR event when the
//! version is older than the log keeps, and an end after `timeoutSeconds`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use futures::Stream;
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::Shared;
use crate::resources::ResourceType;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::store::{Event, EventType};

/// What one watch request asks for.
pub struct WatchOptions {
    /// The resource watched.
    pub resource: &'static ResourceType,
    /// The namespace, or all of them.
    pub namespace: Option<String>,
    /// Start after this version; `None` starts now with a synthetic ADDED per object.
    pub from: Option<u64>,
    /// Only objects with these labels.
    pub labels: LabelSelector,
    /// Only objects with these fields.
    pub fields: FieldSelector,
    /// Whether to send BOOKMARK events.
    pub bookmarks: bool,
    /// How often to send them.
    pub bookmark_interval: Duration,
    /// When the server ends the watch.
    pub timeout: Duration,
    /// `sendInitialEvents`: after the synthetic ADDED events, a BOOKMARK
    /// annotated `k8s.io/initial-events-end` (a streaming list).
    pub send_initial_events: bool,
    /// Send `PartialObjectMetadata` instead of whole objects.
    pub metadata_only: bool,
}

impl WatchOptions {
    /// What the client sees of `object`.
    fn view(&self, object: &Value) -> Value {
        if self.metadata_only {
            partial_metadata(object)
        } else {
            object.clone()
        }
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Value {
        let (api_version, kind) = if self.metadata_only {
            ("meta.k8s.io/v1".to_string(), "PartialObjectMetadata")
        } else {
            (self.resource.api_version(), self.resource.kind)
        };
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        json!({"kind": kind, "apiVersion": api_version, "metadata": metadata})
    }
}

/// The `meta.k8s.io/v1` `PartialObjectMetadata` of an object: its metadata only.
pub fn partial_metadata(object: &Value) -> Value {
    json!({
        "apiVersion": "meta.k8s.io/v1",
        "kind": "PartialObjectMetadata",
        "metadata": object.get("metadata").cloned().unwrap_or(json!({})),
    })
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut out = json!({"type": kind, "object": object})
        .to_string()
        .into_bytes();
    out.push(b'\n');
    Bytes::from(out)
}

/// The response body of a watch.
pub fn stream(
    shared: Arc<Shared>,
    options: WatchOptions,
) -> impl Stream<Item = Result<Bytes, Infallible>> {
    let (out_tx, out_rx) = mpsc::channel::<Bytes>(64);
    tokio::spawn(run(shared, options, out_tx));
    futures::stream::unfold(out_rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok(b), rx))
    })
}

async fn run(shared: Arc<Shared>, o: WatchOptions, out: mpsc::Sender<Bytes>) {
    let start = match shared
        .store
        .watch(o.resource, o.namespace.as_deref(), o.from)
    {
        Ok(started) => started,
        Err(err) => {
            let _ = out.send(line("ERROR", &err.status())).await;
            return;
        }
    };
    let send = |e: &Event| -> Option<Bytes> {
        let now = o.labels.matches(&e.object) && o.fields.matches(&e.object);
        let before = match (&e.kind, &e.old_metadata) {
            (EventType::Modified, Some(metadata)) => {
                let old = json!({"metadata": metadata});
                o.labels.matches(&old) && o.fields.matches(&old)
            }
            _ => now,
        };
        // An object entering or leaving the selection is ADDED or DELETED, as the real server says.
        let kind = match (before, now) {
            (true, true) => e.kind,
            (false, true) => EventType::Added,
            (true, false) => EventType::Deleted,
            (false, false) => return None,
        };
        Some(line(kind.as_str(), &o.view(&e.object)))
    };
    let (backlog, mut events) = (start.backlog, start.events);
    for e in &backlog {
        if let Some(b) = send(e)
            && out.send(b).await.is_err()
        {
            return;
        }
    }
    if o.send_initial_events && o.from.is_none() {
        let end = o.bookmark(start.resource_version, true);
        if out.send(line("BOOKMARK", &end)).await.is_err() {
            return;
        }
    }
    let deadline = tokio::time::sleep(o.timeout);
    tokio::pin!(deadline);
    let mut ticker = tokio::time::interval(o.bookmark_interval);
    ticker.tick().await;
    loop {
        tokio::select! {
            biased;
            event = events.recv() => {
                let Some(e) = event else { return };
                if let Some(b) = send(&e)
                    && out.send(b).await.is_err()
                {
                    return;
                }
            }
            _ = ticker.tick(), if o.bookmarks => {
                // Everything up to `rv` is already in our channel: flush it first.
                let rv = shared.store.resource_version();
                while let Ok(e) = events.try_recv() {
                    if let Some(b) = send(&e)
                        && out.send(b).await.is_err()
                    {
                        return;
                    }
                }
                if out.send(line("BOOKMARK", &o.bookmark(rv, false))).await.is_err() {
                    return;
                }
            }
            _ = &mut deadline => return,
            _ = out.closed() => return,
        }
    }
}
