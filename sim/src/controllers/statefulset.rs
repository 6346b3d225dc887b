//! StatefulSet controller (basic): pods `<name>-0 … <name>-N-1`, created one at a time once the previous one is
//! ready (OrderedReady) and removed from the highest ordinal down.

use serde_json::{Value, json};

use super::{create_pod, delete_pod, is_deleting, is_ready, owned, pod_from_template, pods_key, write_status};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

pub fn key() -> ResourceKey {
    ResourceKey::new("apps", "statefulsets")
}

pub fn reconcile(cluster: &Cluster) {
    let (sets, _) = cluster.store.list(&key(), None);
    for sts in sets.iter().filter(|s| !is_deleting(&s.value)) {
        super::isolated(cluster, "statefulset", &sts.value, || {
            let v = &sts.value;
            let name = meta::name(v);
            let desired = v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1).max(0);
            let revision = format!(
                "{name}-{}",
                super::deployment::template_hash(v.pointer("/spec/template").unwrap_or(&json!({})))
            );
            let pods: Vec<_> = owned(cluster, &pods_key(), sts.namespace(), meta::uid(v))
                .into_iter()
                .filter(|p| !is_deleting(&p.value))
                .collect();
            let ordinal =
                |p: &Value| meta::name(p).rsplit('-').next().and_then(|o| o.parse::<i64>().ok()).unwrap_or(-1);
            for i in 0..desired {
                let pod_name = format!("{name}-{i}");
                match pods.iter().find(|p| p.name() == pod_name) {
                    Some(p) if is_ready(&p.value) => continue,
                    Some(_) => break,
                    None => {
                        let mut template = v.pointer("/spec/template").cloned().unwrap_or(json!({}));
                        template["spec"]["hostname"] = json!(pod_name);
                        if let Some(svc) = v.pointer("/spec/serviceName").and_then(Value::as_str) {
                            template["spec"]["subdomain"] = json!(svc);
                        }
                        let labels = [
                            ("statefulset.kubernetes.io/pod-name", pod_name.clone()),
                            ("apps.kubernetes.io/pod-index", i.to_string()),
                            ("controller-revision-hash", revision.clone()),
                        ];
                        create_pod(cluster, pod_from_template(v, &template, Some(&pod_name), &labels));
                        break;
                    }
                }
            }
            for p in pods.iter().filter(|p| ordinal(&p.value) >= desired) {
                delete_pod(cluster, p);
            }
            let pods: Vec<_> = owned(cluster, &pods_key(), sts.namespace(), meta::uid(v))
                .into_iter()
                .filter(|p| !is_deleting(&p.value))
                .collect();
            let ready = pods.iter().filter(|p| is_ready(&p.value)).count();
            let status = json!({
                "observedGeneration": meta::int_at(v, "/metadata/generation"),
                "replicas": pods.len(),
                "readyReplicas": ready,
                "currentReplicas": pods.len(),
                "updatedReplicas": pods.len(),
                "availableReplicas": ready,
                "currentRevision": revision,
                "updateRevision": revision,
                "collisionCount": 0,
            });
            write_status(cluster, &key(), sts, status);
        });
    }
}
