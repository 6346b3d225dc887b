//! ReplicaSet controller: keeps `spec.replicas` pods from the template running, and reports their readiness.

use serde_json::{Value, json};

use super::{
    create_pod, delete_pod, is_deleting, is_ready, is_terminal, owned, pod_from_template, pods_key, write_status,
};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

pub fn key() -> ResourceKey {
    ResourceKey::new("apps", "replicasets")
}

pub fn reconcile(cluster: &Cluster) {
    let (sets, _) = cluster.store.list(&key(), None);
    for rs in sets.iter().filter(|rs| !is_deleting(&rs.value)) {
        super::isolated(cluster, "replicaset", &rs.value, || {
            let v = &rs.value;
            let desired = v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1).max(0) as usize;
            let mut pods: Vec<_> = owned(cluster, &pods_key(), rs.namespace(), meta::uid(v))
                .into_iter()
                .filter(|p| !is_deleting(&p.value) && !is_terminal(&p.value))
                .collect();
            if pods.len() < desired {
                let template = v.pointer("/spec/template").cloned().unwrap_or(json!({}));
                for _ in pods.len()..desired {
                    create_pod(cluster, pod_from_template(v, &template, None, &[]));
                }
            } else if pods.len() > desired {
                // Remove the least useful pods first: not ready, then the newest.
                pods.sort_by_key(|p| {
                    (
                        is_ready(&p.value),
                        std::cmp::Reverse(meta::str_at(&p.value, "/metadata/creationTimestamp").to_string()),
                    )
                });
                for p in pods.drain(..pods.len() - desired) {
                    delete_pod(cluster, &p);
                }
            }
            let pods: Vec<_> = owned(cluster, &pods_key(), rs.namespace(), meta::uid(v))
                .into_iter()
                .filter(|p| !is_deleting(&p.value) && !is_terminal(&p.value))
                .collect();
            let ready = pods.iter().filter(|p| is_ready(&p.value)).count();
            let status = json!({
                "replicas": pods.len(),
                "fullyLabeledReplicas": pods.len(),
                "readyReplicas": ready,
                "availableReplicas": ready,
                "observedGeneration": meta::int_at(v, "/metadata/generation"),
            });
            write_status(cluster, &key(), rs, status);
        });
    }
}
