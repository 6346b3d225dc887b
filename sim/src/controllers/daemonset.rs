//! DaemonSet controller: one pod per eligible node (node selector, affinity, taints), pinned to its node through
//! node affinity as the real controller does, replaced when the template changes.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::scheduler::{matches_node, untolerated_taint};
use super::{
    create_pod, delete_pod, is_deleting, is_ready, is_terminal, nodes_key, owned, pod_from_template, pods_key,
    write_status,
};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

pub fn key() -> ResourceKey {
    ResourceKey::new("apps", "daemonsets")
}

/// Tolerations every daemon pod gets, so node conditions do not evict it.
fn default_tolerations() -> Vec<Value> {
    let mut t: Vec<Value> = ["not-ready", "unreachable"]
        .iter()
        .map(|k| json!({"key": format!("node.kubernetes.io/{k}"), "operator": "Exists", "effect": "NoExecute"}))
        .collect();
    t.extend(
        ["disk-pressure", "memory-pressure", "pid-pressure", "unschedulable"]
            .iter()
            .map(|k| json!({"key": format!("node.kubernetes.io/{k}"), "operator": "Exists", "effect": "NoSchedule"})),
    );
    t
}

/// The template's pod spec with the daemon tolerations added, for deciding eligibility and for new pods.
fn daemon_template(ds: &Value) -> Value {
    let mut template = ds.pointer("/spec/template").cloned().unwrap_or(json!({}));
    let mut tolerations = template.pointer("/spec/tolerations").and_then(Value::as_array).cloned().unwrap_or_default();
    tolerations.extend(default_tolerations());
    template["spec"]["tolerations"] = json!(tolerations);
    template
}

fn node_of(pod: &Value) -> String {
    let name = meta::str_at(pod, "/spec/nodeName");
    if !name.is_empty() {
        return name.to_string();
    }
    meta::str_at(pod, "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms/0/matchFields/0/values/0").to_string()
}

pub fn reconcile(cluster: &Cluster) {
    let (sets, _) = cluster.store.list(&key(), None);
    if sets.is_empty() {
        return;
    }
    let (nodes, _) = cluster.store.list(&nodes_key(), None);
    for ds in sets.iter().filter(|d| !is_deleting(&d.value)) {
        super::isolated(cluster, "daemonset", &ds.value, || {
            let v = &ds.value;
            let generation = meta::int_at(v, "/metadata/generation").to_string();
            let template = daemon_template(v);
            let probe = json!({"spec": template.get("spec").cloned().unwrap_or(json!({}))});
            let eligible: Vec<&str> = nodes
                .iter()
                .filter(|n| matches_node(&probe, &n.value) && untolerated_taint(&probe, &n.value).is_none())
                .map(|n| n.name())
                .collect();
            let pods: Vec<_> = owned(cluster, &pods_key(), ds.namespace(), meta::uid(v))
                .into_iter()
                .filter(|p| !is_deleting(&p.value))
                .collect();
            let mut by_node: HashMap<String, Vec<_>> = HashMap::new();
            for p in &pods {
                by_node.entry(node_of(&p.value)).or_default().push(p.clone());
            }
            for node in &eligible {
                let current = by_node.get(*node).map(|ps| {
                    ps.iter().any(|p| {
                        meta::label(&p.value, "pod-template-generation") == Some(generation.as_str())
                            && !is_terminal(&p.value)
                    })
                });
                if current == Some(true) {
                    continue;
                }
                // Outdated or failed daemon pods are replaced.
                for old in by_node.get(*node).into_iter().flatten() {
                    delete_pod(cluster, old);
                }
                let mut t = template.clone();
                t["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node]}]}]}}});
                let pod = pod_from_template(
                    v,
                    &t,
                    None,
                    &[
                        ("pod-template-generation", generation.clone()),
                        ("controller-revision-hash", super::deployment::template_hash(&template)),
                    ],
                );
                create_pod(cluster, pod);
            }
            for (node, ps) in &by_node {
                if !eligible.contains(&node.as_str()) {
                    for p in ps {
                        delete_pod(cluster, p);
                    }
                }
            }
            let pods: Vec<_> = owned(cluster, &pods_key(), ds.namespace(), meta::uid(v))
                .into_iter()
                .filter(|p| !is_deleting(&p.value))
                .collect();
            let scheduled = pods.iter().filter(|p| !meta::str_at(&p.value, "/spec/nodeName").is_empty()).count();
            let ready = pods.iter().filter(|p| is_ready(&p.value)).count();
            let updated = pods
                .iter()
                .filter(|p| meta::label(&p.value, "pod-template-generation") == Some(generation.as_str()))
                .count();
            let status = json!({
                "currentNumberScheduled": scheduled,
                "desiredNumberScheduled": eligible.len(),
                "numberMisscheduled": 0,
                "numberReady": ready,
                "numberAvailable": ready,
                "numberUnavailable": eligible.len().saturating_sub(ready),
                "updatedNumberScheduled": updated,
                "observedGeneration": meta::int_at(v, "/metadata/generation"),
            });
            let mut status = status;
            if eligible.len() <= ready {
                status.as_object_mut().map(|s| s.remove("numberUnavailable"));
            }
            write_status(cluster, &key(), ds, status);
        });
    }
}
