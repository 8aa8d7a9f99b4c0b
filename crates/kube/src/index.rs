//! The ReplicaSets of every rollout, kept from the watch and indexed by
//! namespace and rollout (the `serin.dev/rollout` label), so that a pass
//! reads its rollout's few ReplicaSets without walking every ReplicaSet in
//! the cluster (a cache scanned per pass costs N² at ten thousand rollouts).
//! It follows the watcher's events as kube-runtime's reflector does: a
//! relist builds a new index and swaps it in whole at its end.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};

use k8s_openapi::api::apps::v1::ReplicaSet;
use kube::ResourceExt;
use kube::runtime::watcher::Event;
use serin_api::k8s::ROLLOUT_LABEL;

type Key = (String, String);

#[derive(Default)]
struct Sets {
    /// By (namespace, rollout): the ReplicaSets by name.
    by_rollout: HashMap<Key, BTreeMap<String, Arc<ReplicaSet>>>,
    /// By (namespace, name): the rollout a ReplicaSet is indexed under.
    owner_of: HashMap<Key, String>,
}

impl Sets {
    fn insert(&mut self, rs: &ReplicaSet) {
        let (ns, name) = (rs.namespace().unwrap_or_default(), rs.name_any());
        self.remove(&ns, &name);
        let Some(rollout) = rs.labels().get(ROLLOUT_LABEL) else {
            return;
        };
        self.owner_of
            .insert((ns.clone(), name.clone()), rollout.clone());
        self.by_rollout
            .entry((ns, rollout.clone()))
            .or_default()
            .insert(name, Arc::new(rs.clone()));
    }

    fn remove(&mut self, ns: &str, name: &str) {
        let Some(rollout) = self.owner_of.remove(&(ns.to_owned(), name.to_owned())) else {
            return;
        };
        let key = (ns.to_owned(), rollout);
        if let Some(sets) = self.by_rollout.get_mut(&key) {
            sets.remove(name);
            if sets.is_empty() {
                self.by_rollout.remove(&key);
            }
        }
    }
}

#[derive(Default)]
struct Inner {
    live: Sets,
    relisting: Option<Sets>,
    ready: bool,
}

/// The index; clones share it.
#[derive(Clone, Default)]
pub struct ReplicaSetIndex {
    inner: Arc<RwLock<Inner>>,
}

impl ReplicaSetIndex {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Follows one watcher event.
    pub fn apply(&self, event: &Event<ReplicaSet>) {
        let mut inner = self.write();
        match event {
            Event::Apply(rs) => inner.live.insert(rs),
            Event::Delete(rs) => {
                let (ns, name) = (rs.namespace().unwrap_or_default(), rs.name_any());
                inner.live.remove(&ns, &name);
            }
            Event::Init => inner.relisting = Some(Sets::default()),
            Event::InitApply(rs) => inner.relisting.get_or_insert_with(Sets::default).insert(rs),
            Event::InitDone => {
                inner.live = inner.relisting.take().unwrap_or_default();
                inner.ready = true;
            }
        }
    }

    /// Whether the first list is in.
    pub fn is_ready(&self) -> bool {
        self.read().ready
    }

    /// The ReplicaSets labelled for `rollout` in `namespace`.
    pub fn of(&self, namespace: &str, rollout: &str) -> Vec<Arc<ReplicaSet>> {
        self.read()
            .live
            .by_rollout
            .get(&(namespace.to_owned(), rollout.to_owned()))
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    fn rs(name: &str, rollout: &str) -> ReplicaSet {
        ReplicaSet {
            metadata: ObjectMeta {
                name: Some(name.into()),
                namespace: Some("ns".into()),
                labels: Some(BTreeMap::from([(
                    ROLLOUT_LABEL.to_owned(),
                    rollout.to_owned(),
                )])),
                ..ObjectMeta::default()
            },
            ..ReplicaSet::default()
        }
    }

    fn names(index: &ReplicaSetIndex, rollout: &str) -> Vec<String> {
        index
            .of("ns", rollout)
            .iter()
            .map(|r| r.name_any())
            .collect()
    }

    #[test]
    fn a_rollout_sees_only_its_own_replica_sets() {
        let index = ReplicaSetIndex::default();
        index.apply(&Event::Apply(rs("a-1", "a")));
        index.apply(&Event::Apply(rs("b-1", "b")));
        index.apply(&Event::Apply(rs("a-2", "a")));
        assert_eq!(names(&index, "a"), ["a-1", "a-2"]);
        index.apply(&Event::Delete(rs("a-1", "a")));
        assert_eq!(names(&index, "a"), ["a-2"]);
        assert_eq!(names(&index, "b"), ["b-1"]);
    }

    #[test]
    fn a_relabelled_replica_set_moves_to_its_new_rollout() {
        let index = ReplicaSetIndex::default();
        index.apply(&Event::Apply(rs("x", "a")));
        index.apply(&Event::Apply(rs("x", "b")));
        assert!(names(&index, "a").is_empty());
        assert_eq!(names(&index, "b"), ["x"]);
    }

    #[test]
    fn a_relist_replaces_the_index_only_when_it_is_done() {
        let index = ReplicaSetIndex::default();
        assert!(!index.is_ready());
        index.apply(&Event::Init);
        index.apply(&Event::InitApply(rs("a-1", "a")));
        index.apply(&Event::InitDone);
        assert!(index.is_ready());
        index.apply(&Event::Init);
        index.apply(&Event::InitApply(rs("a-2", "a")));
        assert_eq!(names(&index, "a"), ["a-1"]);
        index.apply(&Event::InitDone);
        assert_eq!(names(&index, "a"), ["a-2"]);
    }
}
