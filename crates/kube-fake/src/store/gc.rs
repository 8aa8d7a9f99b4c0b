//! Deletion as the API server and its garbage collector do it, run at once
//! inside the store: finalizers hold an object with a `deletionTimestamp`;
//! `Background` removes the owner then its dependents, `Foreground` keeps the
//! owner (finalizer `foregroundDeletion`) until no dependent with
//! `blockOwnerDeletion` is left, `Orphan` takes the owner references out
//! first. Dependents are found through the owner-uid index.

use serde_json::{Value, json};

use super::{EventType, FOREGROUND, Inner, Key, Propagation, finalizers, key, meta, meta_mut, now};
use crate::error::ApiError;
use crate::resources::ResourceType;

impl Inner {
    /// Delete the object at `k` (currently `old`) as `propagation` says.
    pub(super) fn delete_key(
        &mut self,
        k: &Key,
        rt: &'static ResourceType,
        old: Value,
        propagation: Propagation,
    ) -> Result<Value, ApiError> {
        if old.pointer("/metadata/deletionTimestamp").is_some() {
            return Ok(old);
        }
        let uid = meta(&old, "uid").unwrap_or_default();
        let ns = k.1.clone();
        if propagation == Propagation::Orphan {
            self.orphan_dependents(&uid);
        }
        let foreground = propagation == Propagation::Foreground && self.has_dependents(&uid);
        self.rv += 1;
        let rv = self.rv;
        let mut new = old;
        if finalizers(&new) == 0 && !foreground {
            meta_mut(&mut new)?.insert("resourceVersion".into(), json!(rv.to_string()));
            self.remove(k, rt, &ns, new.clone());
            return Ok(new);
        }
        let m = meta_mut(&mut new)?;
        m.insert("deletionTimestamp".into(), json!(now()));
        m.insert("resourceVersion".into(), json!(rv.to_string()));
        if foreground {
            let list = m.entry("finalizers").or_insert_with(|| json!([]));
            if let Some(list) = list.as_array_mut() {
                list.push(json!(FOREGROUND));
            }
        }
        self.put(k.clone(), rt, new.clone());
        self.emit(rv, EventType::Modified, rt, &ns, new.clone());
        if foreground {
            for (dk, drt) in self.dependent_keys(&uid) {
                if let Some((_, dep)) = self.objects.get(&dk).cloned() {
                    self.delete_key(&dk, drt, dep, Propagation::Foreground)?;
                }
            }
            self.release_foreground(k);
        }
        Ok(self.objects.get(k).map_or(new, |(_, v)| v.clone()))
    }

    fn dependent_keys(&self, uid: &str) -> Vec<(Key, &'static ResourceType)> {
        self.dependents
            .get(uid)
            .into_iter()
            .flatten()
            .filter_map(|k| self.objects.get(k).map(|(rt, _)| (k.clone(), *rt)))
            .collect()
    }

    fn has_dependents(&self, uid: &str) -> bool {
        self.dependents.get(uid).is_some_and(|d| !d.is_empty())
    }

    /// Whether a dependent with `blockOwnerDeletion` still holds the owner `uid`.
    fn blocked(&self, uid: &str) -> bool {
        self.dependent_keys(uid).iter().any(|(k, _)| {
            self.objects.get(k).is_some_and(|(_, v)| {
                v.pointer("/metadata/ownerReferences")
                    .and_then(Value::as_array)
                    .is_some_and(|refs| {
                        refs.iter().any(|r| {
                            r.get("uid").and_then(Value::as_str) == Some(uid)
                                && r.get("blockOwnerDeletion") == Some(&json!(true))
                        })
                    })
            })
        })
    }

    /// Take the owner references to `uid` out of its dependents.
    fn orphan_dependents(&mut self, uid: &str) {
        for (dk, drt) in self.dependent_keys(uid) {
            let Some((_, mut dep)) = self.objects.get(&dk).cloned() else {
                continue;
            };
            self.rv += 1;
            let rv = self.rv;
            if let Some(m) = dep.get_mut("metadata").and_then(Value::as_object_mut) {
                m.insert("resourceVersion".into(), json!(rv.to_string()));
                if let Some(refs) = m.get_mut("ownerReferences").and_then(Value::as_array_mut) {
                    refs.retain(|r| r.get("uid").and_then(Value::as_str) != Some(uid));
                }
            }
            self.put(dk.clone(), drt, dep.clone());
            self.emit(rv, EventType::Modified, drt, &dk.1, dep);
        }
    }

    /// An owner in foreground deletion whose blocking dependents are gone
    /// loses its `foregroundDeletion` finalizer (and goes, if it was the last).
    fn release_foreground(&mut self, k: &Key) {
        let Some((rt, owner)) = self.objects.get(k).cloned() else {
            return;
        };
        let has = owner
            .pointer("/metadata/finalizers")
            .and_then(Value::as_array)
            .is_some_and(|f| f.iter().any(|x| x == FOREGROUND));
        let uid = meta(&owner, "uid").unwrap_or_default();
        if !has || self.blocked(&uid) {
            return;
        }
        let mut new = owner;
        self.rv += 1;
        let rv = self.rv;
        let Some(m) = new.get_mut("metadata").and_then(Value::as_object_mut) else {
            return;
        };
        m.insert("resourceVersion".into(), json!(rv.to_string()));
        if let Some(f) = m.get_mut("finalizers").and_then(Value::as_array_mut) {
            f.retain(|x| x != FOREGROUND);
        }
        let ns = k.1.clone();
        if finalizers(&new) == 0 {
            self.remove(k, rt, &ns, new);
        } else {
            self.put(k.clone(), rt, new.clone());
            self.emit(rv, EventType::Modified, rt, &ns, new);
        }
    }

    /// Remove an object for good, delete its remaining dependents in the
    /// background, and release owners waiting on it in foreground deletion.
    pub(super) fn remove(&mut self, k: &Key, rt: &'static ResourceType, ns: &str, gone: Value) {
        self.take(k);
        let uid = meta(&gone, "uid").unwrap_or_default();
        let owners: Vec<Key> = gone
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                let api_version = r.get("apiVersion").and_then(Value::as_str)?;
                let kind = r.get("kind").and_then(Value::as_str)?;
                let name = r.get("name").and_then(Value::as_str)?;
                let ort = crate::resources::find_kind(api_version, kind)?;
                Some(key(ort, if ort.namespaced { ns } else { "" }, name))
            })
            .collect();
        self.emit(self.rv, EventType::Deleted, rt, ns, gone);
        for (dk, drt) in self.dependent_keys(&uid) {
            if let Some((_, dep)) = self.objects.get(&dk).cloned() {
                // An error here is a dependent that cannot be rewritten; it stays.
                let _ = self.delete_key(&dk, drt, dep, Propagation::Background);
            }
        }
        for owner in owners {
            self.release_foreground(&owner);
        }
    }
}

/// The uids an object's owner references name.
pub(super) fn owner_uids(object: &Value) -> Vec<String> {
    object
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| {
            refs.iter()
                .filter_map(|r| r.get("uid").and_then(Value::as_str).map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}
