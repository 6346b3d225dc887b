//! The object store: every object as JSON, a cluster-wide resourceVersion, and the change history that watches
//! resume from.
//!
//! Objects are encoded once per write ([`Stored::json`]), so lists and watches of many objects copy bytes instead of
//! serializing again. Writes bump the resourceVersion and broadcast a [`Change`]; a bounded history lets a watch
//! resume from a recent resourceVersion, and an older one gets `410 Gone`, as from a compacted etcd.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, RwLock};

use bytes::Bytes;
use serde_json::Value;
use tokio::sync::broadcast;

use crate::registry::ResourceKey;

/// How many changes are kept for watch resumption.
const HISTORY: usize = 20_000;
/// Buffered changes per watcher before a slow watcher is cut off (it then resumes or re-lists).
const BROADCAST_CAPACITY: usize = 65_536;

/// One stored object version.
#[derive(Debug)]
pub struct Stored {
    pub rv: u64,
    pub value: Value,
    /// `value` encoded as JSON.
    pub json: Bytes,
}

impl Stored {
    fn new(rv: u64, mut value: Value) -> Arc<Self> {
        if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        let json = Bytes::from(serde_json::to_vec(&value).unwrap_or_default());
        Arc::new(Self { rv, value, json })
    }

    pub fn namespace(&self) -> &str {
        self.value.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeType {
    Added,
    Modified,
    Deleted,
}

impl ChangeType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "ADDED",
            Self::Modified => "MODIFIED",
            Self::Deleted => "DELETED",
        }
    }
}

/// One write, as watches see it.
#[derive(Debug)]
pub struct Change {
    pub rv: u64,
    pub resource: ResourceKey,
    pub kind: ChangeType,
    pub object: Arc<Stored>,
    /// The version before this change (for modifications), so watches can tell when an object stops or starts
    /// matching their selector.
    pub previous: Option<Arc<Stored>>,
}

/// Why a write failed.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum StoreError {
    #[error("already exists")]
    AlreadyExists,
    #[error("not found")]
    NotFound,
    /// The caller's resourceVersion is not the current one (optimistic concurrency).
    #[error("the object has been modified; please apply your changes to the latest version and try again")]
    Conflict,
}

/// Where a watch starts: the backlog after the requested version and a live feed after it.
pub struct WatchStart {
    pub backlog: Vec<Arc<Change>>,
    pub live: broadcast::Receiver<Arc<Change>>,
}

type ObjectKey = (String, String);

#[derive(Default)]
struct Inner {
    rv: u64,
    collections: HashMap<ResourceKey, BTreeMap<ObjectKey, Arc<Stored>>>,
    history: VecDeque<Arc<Change>>,
    /// The newest resourceVersion no longer in the history: watches from before it get `410 Gone`.
    compacted_rv: u64,
    /// Owner uid → the objects whose ownerReferences name it, so garbage collection touches only those.
    owners: HashMap<String, BTreeSet<(ResourceKey, ObjectKey)>>,
}

fn owner_uids(value: &Value) -> Vec<String> {
    value
        .pointer("/metadata/ownerReferences")
        .and_then(Value::as_array)
        .map(|refs| refs.iter().filter_map(|r| r.get("uid").and_then(Value::as_str)).map(str::to_string).collect())
        .unwrap_or_default()
}

impl Inner {
    /// Keeps the owner index in step with a write: `old` is replaced by `new` (either may be absent).
    fn index_owners(&mut self, resource: &ResourceKey, key: &ObjectKey, old: Option<&Value>, new: Option<&Value>) {
        let entry = (resource.clone(), key.clone());
        for uid in old.map(owner_uids).unwrap_or_default() {
            if let Some(set) = self.owners.get_mut(&uid) {
                set.remove(&entry);
                if set.is_empty() {
                    self.owners.remove(&uid);
                }
            }
        }
        for uid in new.map(owner_uids).unwrap_or_default() {
            self.owners.entry(uid).or_default().insert(entry.clone());
        }
    }
}

/// The object store shared by the API and the controllers.
pub struct Store {
    inner: RwLock<Inner>,
    changes: broadcast::Sender<Arc<Change>>,
}

impl Default for Store {
    fn default() -> Self {
        let (changes, _) = broadcast::channel(BROADCAST_CAPACITY);
        Self { inner: RwLock::new(Inner { rv: 1, ..Default::default() }), changes }
    }
}

fn key_of(value: &Value) -> ObjectKey {
    let ns = value.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("");
    let name = value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("");
    (ns.to_string(), name.to_string())
}

/// Two versions of an object are the same write if they differ at most in resourceVersion.
fn same_content(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("resourceVersion");
        }
        v
    };
    strip(a) == strip(b)
}

impl Store {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The newest resourceVersion.
    pub fn current_rv(&self) -> u64 {
        self.read().rv
    }

    pub fn get(&self, resource: &ResourceKey, namespace: &str, name: &str) -> Option<Arc<Stored>> {
        let inner = self.read();
        inner.collections.get(resource)?.get(&(namespace.to_string(), name.to_string())).cloned()
    }

    /// All objects of a resource (in one namespace, or all), in key order, with the list's resourceVersion.
    pub fn list(&self, resource: &ResourceKey, namespace: Option<&str>) -> (Vec<Arc<Stored>>, u64) {
        let inner = self.read();
        let Some(coll) = inner.collections.get(resource) else { return (Vec::new(), inner.rv) };
        let items = match namespace {
            Some(ns) => coll
                .range((ns.to_string(), String::new())..)
                .take_while(|((n, _), _)| n == ns)
                .map(|(_, v)| v.clone())
                .collect(),
            None => coll.values().cloned().collect(),
        };
        (items, inner.rv)
    }

    /// One page of a list: up to `limit` objects after `after` (namespace, name) that pass `keep`, in key order.
    /// Returns the page, how many matching objects follow (counted only with `count_rest`, else 0 or 1), and the
    /// list's resourceVersion. Walks the map instead of copying it, so paging through a big collection stays cheap.
    pub fn list_page(
        &self,
        resource: &ResourceKey,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        limit: usize,
        count_rest: bool,
        keep: impl Fn(&Stored) -> bool,
    ) -> (Vec<Arc<Stored>>, usize, u64) {
        let inner = self.read();
        let Some(coll) = inner.collections.get(resource) else { return (Vec::new(), 0, inner.rv) };
        let start = match (after, namespace) {
            (Some((ns, name)), _) => std::ops::Bound::Excluded((ns.to_string(), name.to_string())),
            (None, Some(ns)) => std::ops::Bound::Included((ns.to_string(), String::new())),
            (None, None) => std::ops::Bound::Unbounded,
        };
        let mut matching = coll
            .range((start, std::ops::Bound::Unbounded))
            .take_while(|((ns, _), _)| namespace.is_none_or(|want| ns == want))
            .map(|(_, v)| v)
            .filter(|v| keep(v));
        let page: Vec<Arc<Stored>> = matching.by_ref().take(limit).cloned().collect();
        let rest = if count_rest { matching.count() } else { usize::from(matching.next().is_some()) };
        (page, rest, inner.rv)
    }

    /// Number of objects of a resource.
    pub fn count(&self, resource: &ResourceKey) -> usize {
        self.read().collections.get(resource).map_or(0, BTreeMap::len)
    }

    fn record(
        &self,
        inner: &mut Inner,
        resource: &ResourceKey,
        kind: ChangeType,
        object: Arc<Stored>,
        previous: Option<Arc<Stored>>,
    ) {
        let change = Arc::new(Change { rv: object.rv, resource: resource.clone(), kind, object, previous });
        if inner.history.len() == HISTORY
            && let Some(old) = inner.history.pop_front()
        {
            inner.compacted_rv = old.rv;
        }
        inner.history.push_back(change.clone());
        let _ = self.changes.send(change);
    }

    /// Stores a new object; fails if one with the same namespace and name exists.
    pub fn create(&self, resource: &ResourceKey, value: Value) -> Result<Arc<Stored>, StoreError> {
        let mut inner = self.write();
        let key = key_of(&value);
        if inner.collections.get(resource).is_some_and(|c| c.contains_key(&key)) {
            return Err(StoreError::AlreadyExists);
        }
        inner.rv += 1;
        inner.index_owners(resource, &key, None, Some(&value));
        let stored = Stored::new(inner.rv, value);
        inner.collections.entry(resource.clone()).or_default().insert(key, stored.clone());
        self.record(&mut inner, resource, ChangeType::Added, stored.clone(), None);
        Ok(stored)
    }

    /// Replaces an object. With `expected_rv`, fails with a conflict unless it is the stored version.
    /// Writing identical content is a no-op that keeps the resourceVersion and sends no event.
    pub fn update(
        &self,
        resource: &ResourceKey,
        value: Value,
        expected_rv: Option<u64>,
    ) -> Result<Arc<Stored>, StoreError> {
        let mut inner = self.write();
        let key = key_of(&value);
        let existing =
            inner.collections.get(resource).and_then(|c| c.get(&key)).cloned().ok_or(StoreError::NotFound)?;
        if expected_rv.is_some_and(|rv| rv != existing.rv) {
            return Err(StoreError::Conflict);
        }
        if same_content(&existing.value, &value) {
            return Ok(existing);
        }
        inner.rv += 1;
        inner.index_owners(resource, &key, Some(&existing.value), Some(&value));
        let stored = Stored::new(inner.rv, value);
        inner.collections.entry(resource.clone()).or_default().insert(key, stored.clone());
        self.record(&mut inner, resource, ChangeType::Modified, stored.clone(), Some(existing));
        Ok(stored)
    }

    /// Removes an object; the returned version carries the deletion's resourceVersion.
    pub fn delete(&self, resource: &ResourceKey, namespace: &str, name: &str) -> Result<Arc<Stored>, StoreError> {
        let mut inner = self.write();
        let key = (namespace.to_string(), name.to_string());
        let removed = inner.collections.get_mut(resource).and_then(|c| c.remove(&key)).ok_or(StoreError::NotFound)?;
        inner.index_owners(resource, &key, Some(&removed.value), None);
        inner.rv += 1;
        let stored = Stored::new(inner.rv, removed.value.clone());
        self.record(&mut inner, resource, ChangeType::Deleted, stored.clone(), Some(removed));
        Ok(stored)
    }

    /// The objects whose ownerReferences name `owner_uid`: (collection, namespace, name).
    pub fn dependents(&self, owner_uid: &str) -> Vec<(ResourceKey, String, String)> {
        self.read()
            .owners
            .get(owner_uid)
            .map(|set| set.iter().map(|(r, (ns, name))| (r.clone(), ns.clone(), name.clone())).collect())
            .unwrap_or_default()
    }

    /// Starts a watch after `rv`: the changes since then, and the live feed. `None` when `rv` is older than the
    /// kept history (the caller answers `410 Gone`).
    pub fn watch_from(&self, rv: u64) -> Option<WatchStart> {
        let inner = self.read();
        let live = self.changes.subscribe();
        if rv < inner.compacted_rv {
            return None;
        }
        let start = inner.history.partition_point(|c| c.rv <= rv);
        let backlog = inner.history.range(start..).cloned().collect();
        Some(WatchStart { backlog, live })
    }

    /// Forgets the change history: watches from any earlier resourceVersion now get `410 Gone`.
    pub fn compact(&self) {
        let mut inner = self.write();
        inner.history.clear();
        inner.compacted_rv = inner.rv;
    }

    /// A feed of every change, for controllers.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Change>> {
        self.changes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_owner_index_follows_writes() {
        let store = Store::default();
        let pods = ResourceKey::new("", "pods");
        let pod = |name: &str, owner: Option<&str>| {
            let refs = owner.map(|o| serde_json::json!([{"uid": o, "kind": "ReplicaSet", "name": "rs"}]));
            serde_json::json!({"metadata": {"name": name, "namespace": "ns", "ownerReferences": refs}})
        };
        store.create(&pods, pod("a", Some("u1"))).expect("a");
        store.create(&pods, pod("b", Some("u1"))).expect("b");
        store.create(&pods, pod("c", None)).expect("c");
        assert_eq!(store.dependents("u1").len(), 2);
        store.update(&pods, pod("b", Some("u2")), None).expect("b moves");
        assert_eq!(store.dependents("u1"), vec![(pods.clone(), "ns".to_string(), "a".to_string())]);
        assert_eq!(store.dependents("u2").len(), 1);
        store.delete(&pods, "ns", "a").expect("a goes");
        assert!(store.dependents("u1").is_empty());
    }
    use serde_json::json;

    fn pods() -> ResourceKey {
        ResourceKey::new("", "pods")
    }

    fn pod(ns: &str, name: &str) -> Value {
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": ns, "name": name}})
    }

    #[test]
    fn writes_bump_resource_versions_and_lists_are_ordered() {
        let store = Store::default();
        let a = store.create(&pods(), pod("b", "x")).unwrap();
        let b = store.create(&pods(), pod("a", "y")).unwrap();
        assert!(b.rv > a.rv);
        assert_eq!(a.value.pointer("/metadata/resourceVersion"), Some(&json!(a.rv.to_string())));
        let (items, rv) = store.list(&pods(), None);
        assert_eq!(items.iter().map(|s| s.name()).collect::<Vec<_>>(), ["y", "x"]);
        assert_eq!(rv, b.rv);
        assert_eq!(store.list(&pods(), Some("b")).0.len(), 1);
        assert_eq!(store.create(&pods(), pod("a", "y")).unwrap_err(), StoreError::AlreadyExists);
    }

    #[test]
    fn optimistic_concurrency_and_no_op_updates() {
        let store = Store::default();
        let a = store.create(&pods(), pod("ns", "p")).unwrap();
        let same = store.update(&pods(), a.value.clone(), Some(a.rv)).unwrap();
        assert_eq!(same.rv, a.rv, "identical content keeps the version");
        let mut changed = a.value.clone();
        changed["spec"] = json!({"nodeName": "n1"});
        let b = store.update(&pods(), changed.clone(), Some(a.rv)).unwrap();
        assert!(b.rv > a.rv);
        changed["spec"] = json!({"nodeName": "n2"});
        assert_eq!(store.update(&pods(), changed, Some(a.rv)).unwrap_err(), StoreError::Conflict);
    }

    #[test]
    fn watches_resume_from_history_and_old_versions_are_gone() {
        let store = Store::default();
        let a = store.create(&pods(), pod("ns", "a")).unwrap();
        store.create(&pods(), pod("ns", "b")).unwrap();
        store.delete(&pods(), "ns", "a").unwrap();
        let start = store.watch_from(a.rv).unwrap();
        let kinds: Vec<_> = start.backlog.iter().map(|c| c.kind).collect();
        assert_eq!(kinds, [ChangeType::Added, ChangeType::Deleted]);
        store.compact();
        assert!(store.watch_from(a.rv).is_none());
        assert!(store.watch_from(store.current_rv()).is_some(), "watching from now is always possible");
    }
}
