//! What happens right after a write, as part of the API server rather than a controller: CRDs register their
//! resources, deletions cascade to owned objects and namespace contents, and pod logs go with their pods.

use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::meta;
use crate::registry::{ResourceKey, ResourceType, types_from_crd};
use crate::store::Stored;

fn is_crd(rt: &ResourceType) -> bool {
    rt.group == "apiextensions.k8s.io" && rt.plural == "customresourcedefinitions"
}

/// Runs after an object was created or updated.
pub fn after_write(cluster: &Cluster, rt: &ResourceType, stored: &Stored) {
    if is_crd(rt) {
        register_crd(cluster, &stored.value);
    }
}

/// Registers a CRD's resources and marks it established, as the apiextensions server does.
fn register_crd(cluster: &Cluster, crd: &Value) {
    let name = meta::name(crd).to_string();
    let Ok(types) = types_from_crd(crd) else { return };
    cluster.registry.set_custom(&name, types);
    let established = crd.pointer("/status/conditions").and_then(Value::as_array).is_some_and(|c| {
        c.iter().any(|c| meta::str_at(c, "/type") == "Established" && meta::str_at(c, "/status") == "True")
    });
    if established {
        return;
    }
    let now = meta::now();
    let key = ResourceKey::new("apiextensions.k8s.io", "customresourcedefinitions");
    let names = crd.pointer("/spec/names").cloned().unwrap_or(json!({}));
    let stored_versions: Vec<Value> = crd
        .pointer("/spec/versions")
        .and_then(Value::as_array)
        .map(|vs| {
            vs.iter()
                .filter(|v| v.get("storage") == Some(&json!(true)))
                .filter_map(|v| v.get("name").cloned())
                .collect()
        })
        .unwrap_or_default();
    cluster.modify(&key, "", &name, |obj| {
        obj["status"] = json!({
            "conditions": [
                {"type": "NamesAccepted", "status": "True", "reason": "NoConflicts", "message": "no conflicts found", "lastTransitionTime": now},
                {"type": "Established", "status": "True", "reason": "InitialNamesAccepted", "message": "the initial names have been accepted", "lastTransitionTime": now}
            ],
            "acceptedNames": names,
            "storedVersions": stored_versions,
        });
        true
    });
}

/// Runs after an object was removed from the store.
pub fn after_delete(cluster: &Cluster, rt: &ResourceType, deleted: &Stored) {
    let value = &deleted.value;
    if is_crd(rt) {
        let name = meta::name(value).to_string();
        if let Some(group) = value.pointer("/spec/group").and_then(Value::as_str)
            && let Some(plural) = value.pointer("/spec/names/plural").and_then(Value::as_str)
        {
            let key = ResourceKey::new(group, plural);
            let (items, _) = cluster.store.list(&key, None);
            for item in items {
                let _ = cluster.store.delete(&key, item.namespace(), item.name());
            }
        }
        cluster.registry.remove_custom(&name);
    }
    if rt.group.is_empty() && rt.plural == "namespaces" {
        delete_namespace_contents(cluster, meta::name(value));
    }
    if rt.group.is_empty() && rt.plural == "pods" {
        cluster.logs.remove_pod(meta::namespace(value), meta::name(value));
    }
    collect_dependents(cluster, meta::uid(value));
}

fn delete_namespace_contents(cluster: &Cluster, ns: &str) {
    for rt in cluster.registry.all().iter().filter(|r| r.namespaced) {
        let key = rt.key();
        let (items, _) = cluster.store.list(&key, Some(ns));
        for item in items {
            cluster.delete_now(&key, ns, item.name());
        }
    }
}

/// Background garbage collection: objects whose owner is gone are deleted (and their dependents in turn).
pub fn collect_dependents(cluster: &Cluster, owner_uid: &str) {
    if owner_uid.is_empty() {
        return;
    }
    // The store's owner index: the cost is the number of dependents, not the size of the cluster.
    for (key, namespace, name) in cluster.store.dependents(owner_uid) {
        cluster.delete_now(&key, &namespace, &name);
    }
}

/// Orphans the dependents of an owner: removes the owner reference instead of deleting them.
pub fn orphan_dependents(cluster: &Cluster, owner_uid: &str) {
    for (key, namespace, name) in cluster.store.dependents(owner_uid) {
        cluster.modify(&key, &namespace, &name, |obj| {
            if let Some(refs) = obj.pointer_mut("/metadata/ownerReferences").and_then(Value::as_array_mut) {
                refs.retain(|r| meta::str_at(r, "/uid") != owner_uid);
            }
            true
        });
    }
}
