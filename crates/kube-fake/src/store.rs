//! The object store: every object as JSON keyed by resource, namespace and
//! name; one global, increasing `resourceVersion`; server-owned metadata
//! (`uid`, `creationTimestamp`, `generation`, `generateName`); the status
//! subresource split; the owner-uid index; and the bounded event log that
//! watches start from. Deletion, finalizers and the garbage collector's part
//! are in `store/gc.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde_json::{Map, Value, json};
use tokio::sync::mpsc;

use crate::error::ApiError;
use crate::resources::ResourceType;

mod gc;

use gc::owner_uids;

/// The type of a watch event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// The object was created.
    Added,
    /// The object changed.
    Modified,
    /// The object was removed.
    Deleted,
}

impl EventType {
    /// The `type` field of a watch event.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One change, as recorded in the event log and sent to watches.
#[derive(Debug, Clone)]
pub struct Event {
    /// The `resourceVersion` the change produced.
    pub rv: u64,
    /// What happened.
    pub kind: EventType,
    /// The resource of the object.
    pub resource: &'static ResourceType,
    /// The object's namespace (empty when cluster-scoped).
    pub namespace: String,
    /// The object after the change (before it, for a deletion, with the new version).
    pub object: Value,
    /// For a change that may have changed labels: the object's `metadata` before it.
    pub old_metadata: Option<Value>,
}

/// Which part of an object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteTarget {
    /// The main resource: everything except `status` (for kinds with a status subresource).
    Main,
    /// The `/status` subresource: only `status`.
    Status,
}

/// How dependents are treated when their owner is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Propagation {
    /// The owner goes now, its dependents right after.
    #[default]
    Background,
    /// The owner stays (with the `foregroundDeletion` finalizer) until every
    /// dependent with `blockOwnerDeletion` is gone.
    Foreground,
    /// Dependents lose the owner reference and stay.
    Orphan,
}

/// The finalizer of an owner waiting for its dependents.
pub const FOREGROUND: &str = "foregroundDeletion";

type Key = (String, String, String);

fn key(rt: &ResourceType, namespace: &str, name: &str) -> Key {
    (
        format!("{}/{}/{}", rt.group, rt.version, rt.plural),
        namespace.to_string(),
        name.to_string(),
    )
}

struct Watcher {
    resource: &'static ResourceType,
    namespace: Option<String>,
    tx: mpsc::UnboundedSender<Event>,
}

struct Inner {
    objects: BTreeMap<Key, (&'static ResourceType, Value)>,
    /// The keys of the objects that name each uid in an owner reference.
    dependents: HashMap<String, BTreeSet<Key>>,
    rv: u64,
    uid: u64,
    log: VecDeque<Event>,
    log_capacity: usize,
    /// A watch may start from any version at or after this one.
    oldest_watchable: u64,
    watchers: Vec<Watcher>,
}

/// The store shared by the HTTP routes, the simulator and the test handle.
pub struct Store {
    inner: Mutex<Inner>,
}

fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn meta(object: &Value, field: &str) -> Option<String> {
    object
        .get("metadata")
        .and_then(|m| m.get(field))
        .and_then(Value::as_str)
        .map(str::to_string)
}

fn meta_mut(object: &mut Value) -> Result<&mut Map<String, Value>, ApiError> {
    let map = object
        .as_object_mut()
        .ok_or_else(|| ApiError::BadRequest("the body is not a JSON object".into()))?;
    let m = map
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    m.as_object_mut()
        .ok_or_else(|| ApiError::BadRequest("metadata is not an object".into()))
}

/// The object's spec-like content: everything but `metadata` and `status`.
/// The part of an object whose change moves `generation`: everything but
/// `metadata` (and `status`, when it has its own subresource).
fn spec_of(rt: &ResourceType, object: &Value) -> Value {
    let mut v = object.clone();
    if let Some(map) = v.as_object_mut() {
        map.remove("metadata");
        if rt.status {
            map.remove("status");
        }
        map.remove("apiVersion");
        map.remove("kind");
    }
    v
}

fn finalizers(object: &Value) -> usize {
    object
        .pointer("/metadata/finalizers")
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

impl Store {
    /// An empty store keeping the last `log_capacity` events for watches.
    pub fn new(log_capacity: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                objects: BTreeMap::new(),
                dependents: HashMap::new(),
                rv: 1,
                uid: 0,
                log: VecDeque::new(),
                log_capacity: log_capacity.max(1),
                oldest_watchable: 1,
                watchers: Vec::new(),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current (latest) `resourceVersion`.
    pub fn resource_version(&self) -> u64 {
        self.lock().rv
    }

    /// One object.
    pub fn get(&self, rt: &ResourceType, namespace: &str, name: &str) -> Result<Value, ApiError> {
        self.lock()
            .objects
            .get(&key(rt, namespace, name))
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::not_found(rt, name))
    }

    /// Every object of `rt` (in `namespace`, or in all namespaces for `None`),
    /// with the list's `resourceVersion`.
    pub fn list(&self, rt: &ResourceType, namespace: Option<&str>) -> (Vec<Value>, u64) {
        let page = self.list_page(rt, namespace, |_| true, None, None);
        (page.items, page.resource_version)
    }

    /// The objects of `rt` that `keep` accepts, in (namespace, name) order,
    /// starting after `after` and at most `limit` of them.
    pub fn list_page(
        &self,
        rt: &ResourceType,
        namespace: Option<&str>,
        keep: impl Fn(&Value) -> bool,
        after: Option<(String, String)>,
        limit: Option<usize>,
    ) -> Page {
        let inner = self.lock();
        let mut items = Vec::new();
        let mut next = None;
        for ((_, ns, name), v) in inner.scan(rt, namespace) {
            if after.as_ref().is_some_and(|(ans, aname)| {
                (ns.as_str(), name.as_str()) <= (ans.as_str(), aname.as_str())
            }) || !keep(v)
            {
                continue;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                next = items.last().map(|last: &Value| {
                    (
                        meta(last, "namespace").unwrap_or_default(),
                        meta(last, "name").unwrap_or_default(),
                    )
                });
                break;
            }
            items.push(v.clone());
        }
        Page {
            items,
            resource_version: inner.rv,
            next,
        }
    }

    /// The objects whose owner references name `uid`.
    pub fn dependents_of(&self, uid: &str) -> Vec<Value> {
        let inner = self.lock();
        inner
            .dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|k| inner.objects.get(k).map(|(_, v)| v.clone()))
            .collect()
    }

    /// Every object of every kind (for inspection).
    pub fn all(&self) -> Vec<Value> {
        self.lock()
            .objects
            .values()
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Create an object in `namespace` (empty for cluster-scoped kinds).
    pub fn create(
        &self,
        rt: &'static ResourceType,
        namespace: &str,
        mut object: Value,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        if meta(&object, "resourceVersion").is_some_and(|rv| !rv.is_empty()) {
            return Err(ApiError::BadRequest(
                "resourceVersion should not be set on objects to be created".into(),
            ));
        }
        let body_ns = meta(&object, "namespace");
        if let Some(ns) = body_ns.filter(|n| !n.is_empty())
            && rt.namespaced
            && ns != namespace
        {
            return Err(ApiError::BadRequest(format!(
                "the namespace of the provided object ({ns}) does not match the namespace sent on the request ({namespace})"
            )));
        }
        let name = match meta(&object, "name").filter(|n| !n.is_empty()) {
            Some(name) => name,
            None => match meta(&object, "generateName") {
                Some(prefix) => {
                    inner.uid += 1;
                    format!("{prefix}{}", suffix(inner.uid))
                }
                None => {
                    return Err(ApiError::Invalid(
                        "metadata.name: Required value: name or generateName is required".into(),
                    ));
                }
            },
        };
        let k = key(rt, namespace, &name);
        if inner.objects.contains_key(&k) {
            return Err(ApiError::AlreadyExists {
                resource: rt.qualified(),
                name,
            });
        }
        inner.uid += 1;
        let uid = format!("00000000-0000-4000-8000-{:012x}", inner.uid);
        inner.rv += 1;
        let rv = inner.rv;
        if let Some(map) = object.as_object_mut() {
            map.insert("apiVersion".into(), json!(rt.api_version()));
            map.insert("kind".into(), json!(rt.kind));
            if rt.status {
                map.remove("status");
            }
        }
        let m = meta_mut(&mut object)?;
        m.insert("name".into(), json!(name));
        if rt.namespaced {
            m.insert("namespace".into(), json!(namespace));
        } else {
            m.remove("namespace");
        }
        m.insert("uid".into(), json!(uid));
        m.insert("resourceVersion".into(), json!(rv.to_string()));
        m.insert("creationTimestamp".into(), json!(now()));
        m.remove("deletionTimestamp");
        if rt.tracks_generation() {
            m.insert("generation".into(), json!(1));
        }
        crate::validate::object(rt, &object)?;
        inner.put(k, rt, object.clone());
        inner.emit(rv, EventType::Added, rt, namespace, object.clone());
        Ok(object)
    }

    /// Replace an object with what `change` makes of the current one.
    ///
    /// `change` returns the desired object; when it carries a
    /// `metadata.resourceVersion` other than the current one the write is a
    /// 409 Conflict. Only the part `target` names changes. When the result
    /// has a `deletionTimestamp` and no finalizers left, the object is removed.
    pub fn modify(
        &self,
        rt: &'static ResourceType,
        namespace: &str,
        name: &str,
        target: WriteTarget,
        change: impl FnOnce(&Value) -> Result<Value, ApiError>,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let k = key(rt, namespace, name);
        let old = inner
            .objects
            .get(&k)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        let mut desired = change(&old)?;
        if !desired.is_object() {
            return Err(ApiError::BadRequest("the body is not a JSON object".into()));
        }
        // An empty resourceVersion is no precondition, as on the real server.
        if let Some(asked) = meta(&desired, "resourceVersion").filter(|rv| !rv.is_empty())
            && Some(asked) != meta(&old, "resourceVersion")
        {
            return Err(ApiError::Conflict {
                resource: rt.qualified(),
                name: name.to_string(),
            });
        }
        if let Some(uid) = meta(&desired, "uid")
            && Some(&uid) != meta(&old, "uid").as_ref()
        {
            return Err(ApiError::Precondition(format!(
                "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                meta(&old, "uid").unwrap_or_default()
            )));
        }
        if let Some(n) = meta(&desired, "name")
            && n != name
        {
            return Err(ApiError::BadRequest(format!(
                "the name of the object ({n}) does not match the name on the URL ({name})"
            )));
        }
        let mut new = match target {
            WriteTarget::Status => {
                let mut new = old.clone();
                if let (Some(map), Some(status)) = (
                    new.as_object_mut(),
                    desired.as_object_mut().and_then(|d| d.remove("status")),
                ) {
                    map.insert("status".into(), status);
                }
                // Field ownership of the status moves with it (server-side apply).
                if let (Some(fields), Some(m)) = (
                    desired.pointer("/metadata/managedFields").cloned(),
                    new.get_mut("metadata").and_then(Value::as_object_mut),
                ) {
                    m.insert("managedFields".into(), fields);
                }
                new
            }
            WriteTarget::Main => {
                if let Some(map) = desired.as_object_mut() {
                    map.insert("apiVersion".into(), json!(rt.api_version()));
                    map.insert("kind".into(), json!(rt.kind));
                    if rt.status {
                        map.remove("status");
                        if let Some(status) = old.get("status") {
                            map.insert("status".into(), status.clone());
                        }
                    }
                }
                desired
            }
        };
        let deleting = old.pointer("/metadata/deletionTimestamp").cloned();
        let generation = old.pointer("/metadata/generation").and_then(Value::as_i64);
        let bump = target == WriteTarget::Main && spec_of(rt, &old) != spec_of(rt, &new);
        {
            let m = meta_mut(&mut new)?;
            for field in ["name", "namespace", "uid", "creationTimestamp"] {
                match old.pointer(&format!("/metadata/{field}")) {
                    Some(v) => m.insert(field.into(), v.clone()),
                    None => m.remove(field),
                };
            }
            match &deleting {
                Some(ts) => {
                    m.insert("deletionTimestamp".into(), ts.clone());
                }
                None => {
                    m.remove("deletionTimestamp");
                }
            }
            if let Some(g) = generation {
                m.insert("generation".into(), json!(if bump { g + 1 } else { g }));
            }
        }
        crate::validate::object(rt, &new)?;
        if deleting.is_some() {
            crate::validate::no_new_finalizers(rt, &old, &new)?;
        }
        let unchanged = {
            let mut a = old.clone();
            let mut b = new.clone();
            for v in [&mut a, &mut b] {
                if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
                    m.remove("resourceVersion");
                }
            }
            a == b
        };
        if unchanged {
            return Ok(old);
        }
        inner.rv += 1;
        let rv = inner.rv;
        meta_mut(&mut new)?.insert("resourceVersion".into(), json!(rv.to_string()));
        if deleting.is_some() && finalizers(&new) == 0 {
            inner.remove(&k, rt, namespace, new.clone());
            return Ok(new);
        }
        inner.put(k, rt, new.clone());
        let event = inner.event(rv, EventType::Modified, rt, namespace, new.clone());
        inner.send(Event {
            old_metadata: old.get("metadata").cloned(),
            ..event
        });
        Ok(new)
    }

    /// Delete an object: at once when it has no finalizers (and its
    /// dependents as `propagation` says), else mark it with a
    /// `deletionTimestamp` and keep it until its finalizers are gone.
    pub fn delete(
        &self,
        rt: &'static ResourceType,
        namespace: &str,
        name: &str,
        propagation: Propagation,
        precondition_rv: Option<String>,
    ) -> Result<Value, ApiError> {
        let mut inner = self.lock();
        let k = key(rt, namespace, name);
        let old = inner
            .objects
            .get(&k)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| ApiError::not_found(rt, name))?;
        if let Some(asked) = precondition_rv.filter(|rv| !rv.is_empty())
            && Some(asked) != meta(&old, "resourceVersion")
        {
            return Err(ApiError::Conflict {
                resource: rt.qualified(),
                name: name.to_string(),
            });
        }
        inner.delete_key(&k, rt, old, propagation)
    }

    /// Start a watch of `rt` (in `namespace` or everywhere) from version
    /// `from`: the logged events after it, then every later one.
    /// `None` starts now, with a synthetic ADDED for every existing object.
    pub fn watch(
        &self,
        rt: &'static ResourceType,
        namespace: Option<&str>,
        from: Option<u64>,
    ) -> Result<WatchStart, ApiError> {
        let mut inner = self.lock();
        let in_scope = |e: &Event| *e.resource == *rt && namespace.is_none_or(|n| n == e.namespace);
        let backlog = match from {
            Some(rv) if rv < inner.oldest_watchable => {
                return Err(ApiError::Expired {
                    requested: rv,
                    oldest: inner.oldest_watchable,
                });
            }
            Some(rv) => inner
                .log
                .iter()
                .filter(|e| e.rv > rv && in_scope(e))
                .cloned()
                .collect(),
            None => {
                let cur = inner.rv;
                inner
                    .scan(rt, namespace)
                    .map(|((_, ns, _), v)| Event {
                        rv: cur,
                        kind: EventType::Added,
                        resource: rt,
                        namespace: ns.clone(),
                        object: v.clone(),
                        old_metadata: None,
                    })
                    .collect()
            }
        };
        let (tx, rx) = mpsc::unbounded_channel();
        inner.watchers.push(Watcher {
            resource: rt,
            namespace: namespace.map(str::to_string),
            tx,
        });
        Ok(WatchStart {
            backlog,
            events: rx,
            resource_version: inner.rv,
        })
    }

    /// The retained event log, oldest first.
    pub fn history(&self) -> Vec<Event> {
        self.lock().log.iter().cloned().collect()
    }

    /// End every open watch (as an API server restart would).
    pub fn disconnect_watches(&self) {
        self.lock().watchers.clear();
    }

    /// Drop the whole event log: a watch must start from the current version or later.
    pub fn compact(&self) {
        let mut inner = self.lock();
        inner.log.clear();
        inner.oldest_watchable = inner.rv;
    }

    /// Keep at most `capacity` events from now on.
    pub fn set_log_capacity(&self, capacity: usize) {
        let mut inner = self.lock();
        inner.log_capacity = capacity.max(1);
        inner.trim_log();
    }
}

/// The beginning of a watch.
#[derive(Debug)]
pub struct WatchStart {
    /// The events to send first.
    pub backlog: Vec<Event>,
    /// Every later event.
    pub events: mpsc::UnboundedReceiver<Event>,
    /// The store's version when the watch started.
    pub resource_version: u64,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct Page {
    /// The objects.
    pub items: Vec<Value>,
    /// The store's version when the page was read.
    pub resource_version: u64,
    /// The (namespace, name) to continue after, when there is more.
    pub next: Option<(String, String)>,
}

impl Inner {
    /// The objects of `rt` (in `namespace`, or all), by key order, without a full scan.
    fn scan<'a>(
        &'a self,
        rt: &ResourceType,
        namespace: Option<&'a str>,
    ) -> impl Iterator<Item = (&'a Key, &'a Value)> + 'a {
        let start = key(rt, namespace.unwrap_or(""), "");
        let resource = start.0.clone();
        self.objects
            .range(start..)
            .take_while(move |((r, ns, _), _)| *r == resource && namespace.is_none_or(|n| n == ns))
            .map(|(k, (_, v))| (k, v))
    }

    /// Store an object, keeping the owner index up to date.
    fn put(&mut self, k: Key, rt: &'static ResourceType, object: Value) {
        self.take(&k);
        for uid in owner_uids(&object) {
            self.dependents.entry(uid).or_default().insert(k.clone());
        }
        self.objects.insert(k, (rt, object));
    }

    /// Remove an object from the map and the owner index (no event).
    fn take(&mut self, k: &Key) {
        if let Some((_, old)) = self.objects.remove(k) {
            for uid in owner_uids(&old) {
                if let Some(set) = self.dependents.get_mut(&uid) {
                    set.remove(k);
                    if set.is_empty() {
                        self.dependents.remove(&uid);
                    }
                }
            }
        }
    }

    fn event(
        &self,
        rv: u64,
        kind: EventType,
        rt: &'static ResourceType,
        ns: &str,
        object: Value,
    ) -> Event {
        Event {
            rv,
            kind,
            resource: rt,
            namespace: ns.to_string(),
            object,
            old_metadata: None,
        }
    }

    fn emit(
        &mut self,
        rv: u64,
        kind: EventType,
        rt: &'static ResourceType,
        ns: &str,
        object: Value,
    ) {
        let event = self.event(rv, kind, rt, ns, object);
        self.send(event);
    }

    fn send(&mut self, event: Event) {
        let (rt, ns) = (event.resource, event.namespace.as_str());
        self.watchers.retain(|w| {
            if *w.resource != *rt || w.namespace.as_deref().is_some_and(|n| n != ns) {
                return !w.tx.is_closed();
            }
            w.tx.send(event.clone()).is_ok()
        });
        self.log.push_back(event);
        self.trim_log();
    }

    fn trim_log(&mut self) {
        while self.log.len() > self.log_capacity {
            if let Some(dropped) = self.log.pop_front() {
                self.oldest_watchable = dropped.rv;
            }
        }
    }
}

/// A five-character suffix for `generateName`, as the API server appends.
fn suffix(n: u64) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (0..5)
        .map(|_| {
            let c = ALPHABET[(x % ALPHABET.len() as u64) as usize] as char;
            x /= ALPHABET.len() as u64;
            c
        })
        .collect()
}
