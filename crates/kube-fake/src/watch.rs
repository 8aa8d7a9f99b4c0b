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
use crate::store::Event;

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
    let (backlog, mut events) = match shared
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
        (o.labels.matches(&e.object) && o.fields.matches(&e.object))
            .then(|| line(e.kind.as_str(), &e.object))
    };
    for e in &backlog {
        if let Some(b) = send(e)
            && out.send(b).await.is_err()
        {
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
                let bookmark = json!({
                    "kind": o.resource.kind,
                    "apiVersion": o.resource.api_version(),
                    "metadata": {"resourceVersion": rv.to_string()},
                });
                if out.send(line("BOOKMARK", &bookmark)).await.is_err() {
                    return;
                }
            }
            _ = &mut deadline => return,
            _ = out.closed() => return,
        }
    }
}
