//! The scheduler: binds pending pods to nodes that fit them, honouring CPU, memory and extended resources
//! (`nvidia.com/gpu`, MIG slices, `amd.com/gpu`, FPGAs), node selectors, required node affinity, taints and
//! tolerations, and explains failures with the real `FailedScheduling` message shape.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{is_deleting, is_terminal, nodes_key, pod_requests, pods_key, set_condition};
use crate::cluster::Cluster;
use crate::meta;
use crate::store::Stored;

/// How often an unschedulable pod is retried and its event repeated, unless the cluster changed.
const RETRY: Duration = Duration::from_secs(5);

/// What a node has left.
struct NodeRoom {
    node: Arc<Stored>,
    free: BTreeMap<String, f64>,
    allocatable: BTreeMap<String, f64>,
}

fn allocatable(node: &Value) -> BTreeMap<String, f64> {
    node.pointer("/status/allocatable")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), meta::quantity(Some(v)))).collect())
        .unwrap_or_default()
}

fn tolerates(pod: &Value, taint: &Value) -> bool {
    let effect = meta::str_at(taint, "/effect");
    if effect == "PreferNoSchedule" {
        return true;
    }
    let key = meta::str_at(taint, "/key");
    let value = meta::str_at(taint, "/value");
    pod.pointer("/spec/tolerations").and_then(Value::as_array).is_some_and(|ts| {
        ts.iter().any(|t| {
            let t_key = meta::str_at(t, "/key");
            let t_effect = meta::str_at(t, "/effect");
            let op = t.get("operator").and_then(Value::as_str).unwrap_or("Equal");
            let key_ok = t_key.is_empty() && op == "Exists" || t_key == key;
            let effect_ok = t_effect.is_empty() || t_effect == effect;
            let value_ok = op == "Exists" || meta::str_at(t, "/value") == value;
            key_ok && effect_ok && value_ok
        })
    })
}

fn match_expression(labels: Option<&Value>, fields: &Value, expr: &Value, use_fields: bool) -> bool {
    let key = meta::str_at(expr, "/key");
    let actual = if use_fields {
        fields.get(key).and_then(Value::as_str)
    } else {
        labels.and_then(|l| l.get(key)).and_then(Value::as_str)
    };
    let values: Vec<&str> = expr
        .get("values")
        .and_then(Value::as_array)
        .map(|v| v.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    match meta::str_at(expr, "/operator") {
        "In" => actual.is_some_and(|a| values.contains(&a)),
        "NotIn" => actual.is_none_or(|a| !values.contains(&a)),
        "Exists" => actual.is_some(),
        "DoesNotExist" => actual.is_none(),
        "Gt" => actual
            .and_then(|a| a.parse::<i64>().ok())
            .zip(values.first().and_then(|v| v.parse::<i64>().ok()))
            .is_some_and(|(a, v)| a > v),
        "Lt" => actual
            .and_then(|a| a.parse::<i64>().ok())
            .zip(values.first().and_then(|v| v.parse::<i64>().ok()))
            .is_some_and(|(a, v)| a < v),
        _ => false,
    }
}

/// Whether the node satisfies the pod's `nodeSelector` and required node affinity.
pub fn matches_node(pod: &Value, node: &Value) -> bool {
    let labels = node.pointer("/metadata/labels");
    if let Some(selector) = pod.pointer("/spec/nodeSelector").and_then(Value::as_object) {
        let ok = selector.iter().all(|(k, v)| labels.and_then(|l| l.get(k)) == Some(v));
        if !ok {
            return false;
        }
    }
    let terms =
        pod.pointer("/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms");
    let Some(terms) = terms.and_then(Value::as_array) else { return true };
    let fields = json!({"metadata.name": meta::name(node)});
    terms.iter().any(|term| {
        let exprs = term.get("matchExpressions").and_then(Value::as_array);
        let field_exprs = term.get("matchFields").and_then(Value::as_array);
        exprs.into_iter().flatten().all(|e| match_expression(labels, &fields, e, false))
            && field_exprs.into_iter().flatten().all(|e| match_expression(labels, &fields, e, true))
    })
}

pub fn untolerated_taint<'a>(pod: &Value, node: &'a Value) -> Option<&'a Value> {
    node.pointer("/spec/taints")
        .and_then(Value::as_array)?
        .iter()
        .find(|t| matches!(meta::str_at(t, "/effect"), "NoSchedule" | "NoExecute") && !tolerates(pod, t))
}

/// The reasons a node cannot take the pod (empty if it can), in the scheduler's filter order.
fn filter(pod: &Value, requests: &BTreeMap<String, f64>, room: &NodeRoom) -> Vec<String> {
    let node = &room.node.value;
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true)
        && !pod
            .pointer("/spec/tolerations")
            .and_then(Value::as_array)
            .is_some_and(|ts| ts.iter().any(|t| meta::str_at(t, "/key") == "node.kubernetes.io/unschedulable"))
    {
        return vec!["node(s) were unschedulable".into()];
    }
    if let Some(t) = untolerated_taint(pod, node) {
        return vec![format!(
            "node(s) had untolerated taint {{{}: {}}}",
            meta::str_at(t, "/key"),
            meta::str_at(t, "/value")
        )];
    }
    if !matches_node(pod, node) {
        return vec!["node(s) didn't match Pod's node affinity/selector".into()];
    }
    let mut reasons = Vec::new();
    if room.free.get("pods").copied().unwrap_or(0.0) < 1.0 {
        reasons.push("Too many pods".to_string());
    }
    for (resource, amount) in requests {
        if *amount <= 0.0 {
            continue;
        }
        let free = room.free.get(resource).copied().unwrap_or(0.0);
        if free + 1e-9 < *amount {
            reasons.push(format!("Insufficient {resource}"));
        }
    }
    reasons
}

/// Score: the mean free fraction of CPU and memory (least-allocated), higher is better.
fn score(room: &NodeRoom, requests: &BTreeMap<String, f64>) -> f64 {
    ["cpu", "memory"]
        .iter()
        .map(|r| {
            let total = room.allocatable.get(*r).copied().unwrap_or(0.0);
            let free = room.free.get(*r).copied().unwrap_or(0.0) - requests.get(*r).copied().unwrap_or(0.0);
            if total > 0.0 { free / total } else { 0.0 }
        })
        .sum::<f64>()
        / 2.0
}

/// The aggregated failure message, e.g. `0/6 nodes are available: 2 Insufficient nvidia.com/gpu, ...`.
pub fn failure_message(total: usize, reasons: &BTreeMap<String, usize>) -> String {
    let mut parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    format!(
        "0/{total} nodes are available: {}. preemption: 0/{total} nodes are available: {total} Preemption is not helpful for scheduling.",
        parts.join(", ")
    )
}

fn room_by_node(cluster: &Cluster, pods: &[Arc<Stored>]) -> Vec<NodeRoom> {
    let (nodes, _) = cluster.store.list(&nodes_key(), None);
    let mut used: HashMap<&str, BTreeMap<String, f64>> = HashMap::new();
    for p in pods.iter().filter(|p| !is_terminal(&p.value)) {
        let node = meta::str_at(&p.value, "/spec/nodeName");
        if node.is_empty() {
            continue;
        }
        let entry = used.entry(node).or_default();
        for (k, v) in pod_requests(&p.value) {
            *entry.entry(k).or_default() += v;
        }
        *entry.entry("pods".into()).or_default() += 1.0;
    }
    nodes
        .into_iter()
        .map(|node| {
            let allocatable = allocatable(&node.value);
            let mut free = allocatable.clone();
            if let Some(u) = used.get(node.name()) {
                for (k, v) in u {
                    *free.entry(k.clone()).or_default() -= v;
                }
            }
            NodeRoom { node, free, allocatable }
        })
        .collect()
}

pub fn reconcile(cluster: &Cluster) {
    let (pods, _) = cluster.store.list(&pods_key(), None);
    let mut pending: Vec<&Arc<Stored>> = pods
        .iter()
        .filter(|p| {
            let v = &p.value;
            meta::str_at(v, "/spec/nodeName").is_empty()
                && matches!(meta::str_at(v, "/spec/schedulerName"), "" | "default-scheduler")
                && !is_deleting(v)
                && !is_terminal(v)
                && v.pointer("/spec/schedulingGates").and_then(Value::as_array).is_none_or(Vec::is_empty)
        })
        .collect();
    // Forget pods that are no longer waiting (bound, finished or deleted).
    if let Ok(mut memory) = cluster.unschedulable.lock() {
        let waiting: std::collections::HashSet<&str> = pending.iter().map(|p| meta::uid(&p.value)).collect();
        memory.retain(|uid, _| waiting.contains(uid.as_str()));
    }
    if pending.is_empty() {
        return;
    }
    pending.sort_by(|a, b| {
        let pa = meta::int_at(&a.value, "/spec/priority");
        let pb = meta::int_at(&b.value, "/spec/priority");
        pb.cmp(&pa).then_with(|| {
            meta::str_at(&a.value, "/metadata/creationTimestamp")
                .cmp(meta::str_at(&b.value, "/metadata/creationTimestamp"))
        })
    });
    let mut rooms = room_by_node(cluster, &pods);
    for pod in pending {
        super::isolated(cluster, "default-scheduler", &pod.value, || {
            let requests = pod_requests(&pod.value);
            let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
            let mut best: Option<(usize, f64)> = None;
            for (i, room) in rooms.iter().enumerate() {
                let why = filter(&pod.value, &requests, room);
                if why.is_empty() {
                    let s = score(room, &requests);
                    if best.is_none_or(|(_, b)| s > b) {
                        best = Some((i, s));
                    }
                } else {
                    for r in why {
                        *reasons.entry(r).or_default() += 1;
                    }
                }
            }
            match best {
                Some((i, _)) => {
                    let room = &mut rooms[i];
                    let node_name = room.node.name().to_string();
                    if bind(cluster, pod, &node_name) {
                        for (k, v) in &requests {
                            *room.free.entry(k.clone()).or_default() -= v;
                        }
                        *room.free.entry("pods".into()).or_default() -= 1.0;
                    }
                }
                None => {
                    // Waiting for the pods it preempted to go: nothing more to do until they have.
                    let nominated = meta::str_at(&pod.value, "/status/nominatedNodeName");
                    if !nominated.is_empty() && victims_leaving(&pods, nominated) {
                        return;
                    }
                    if !preempt(cluster, pod, &requests, &rooms, &pods) {
                        report_unschedulable(cluster, pod, &failure_message(rooms.len(), &reasons));
                    }
                }
            }
        });
    }
}

/// Whether pods are still leaving a node (being deleted, not yet gone).
fn victims_leaving(pods: &[Arc<Stored>], node: &str) -> bool {
    pods.iter().any(|p| meta::str_at(&p.value, "/spec/nodeName") == node && is_deleting(&p.value))
}

/// Preemption as the real scheduler does it for what Bosun shows: on the node where evicting the fewest pods of
/// lower priority (lowest first) makes room, those pods get a `Preempted` event and a `DisruptionTarget` condition and
/// are deleted gracefully; the preemptor is nominated to the node and binds once they are gone. Pods whose
/// `preemptionPolicy` is `Never` wait instead. Returns whether it preempted.
fn preempt(
    cluster: &Cluster,
    pod: &Stored,
    requests: &BTreeMap<String, f64>,
    rooms: &[NodeRoom],
    pods: &[Arc<Stored>],
) -> bool {
    if meta::str_at(&pod.value, "/spec/preemptionPolicy") == "Never" {
        return false;
    }
    let priority = meta::int_at(&pod.value, "/spec/priority");
    // Per node that passes every filter but room: the victims, lowest priority first.
    let mut best: Option<(usize, Vec<&Arc<Stored>>, i64)> = None;
    for (i, room) in rooms.iter().enumerate() {
        let reasons = filter(&pod.value, requests, room);
        if reasons.iter().any(|r| !(r.starts_with("Insufficient ") || r == "Too many pods")) {
            continue;
        }
        let mut candidates: Vec<&Arc<Stored>> = pods
            .iter()
            .filter(|p| {
                meta::str_at(&p.value, "/spec/nodeName") == room.node.name()
                    && !is_terminal(&p.value)
                    && !is_deleting(&p.value)
                    && meta::int_at(&p.value, "/spec/priority") < priority
            })
            .collect();
        candidates.sort_by_key(|p| meta::int_at(&p.value, "/spec/priority"));
        let mut free = room.free.clone();
        let mut victims = Vec::new();
        let fits = |free: &BTreeMap<String, f64>| {
            free.get("pods").copied().unwrap_or(0.0) >= 1.0
                && requests.iter().all(|(r, n)| *n <= 0.0 || free.get(r).copied().unwrap_or(0.0) + 1e-9 >= *n)
        };
        for victim in candidates {
            if fits(&free) {
                break;
            }
            for (k, v) in pod_requests(&victim.value) {
                *free.entry(k).or_default() += v;
            }
            *free.entry("pods".into()).or_default() += 1.0;
            victims.push(victim);
        }
        if !fits(&free) || victims.is_empty() {
            continue;
        }
        // Reprieve: keep every victim the pod fits without, highest priority first, as the real scheduler does.
        victims.sort_by_key(|v| std::cmp::Reverse(meta::int_at(&v.value, "/spec/priority")));
        let mut evicted = Vec::new();
        for victim in victims {
            let mut without = free.clone();
            for (k, v) in pod_requests(&victim.value) {
                *without.entry(k).or_default() -= v;
            }
            *without.entry("pods".into()).or_default() -= 1.0;
            if fits(&without) {
                free = without;
            } else {
                evicted.push(victim);
            }
        }
        let victims = evicted;
        let highest = victims.iter().map(|v| meta::int_at(&v.value, "/spec/priority")).max().unwrap_or(0);
        let better = best.as_ref().is_none_or(|(_, b, h)| (highest, victims.len()) < (*h, b.len()));
        if better {
            best = Some((i, victims, highest));
        }
    }
    let Some((i, victims, _)) = best else { return false };
    let node = rooms[i].node.name().to_string();
    let preemptor = meta::uid(&pod.value).to_string();
    for victim in victims {
        cluster.modify(&pods_key(), victim.namespace(), victim.name(), |p| {
            set_condition(
                p,
                "DisruptionTarget",
                "True",
                "PreemptionByScheduler",
                "default-scheduler: preempting to accommodate a higher priority pod",
            );
            true
        });
        let message = format!("Preempted by pod {preemptor} on node {node}");
        cluster.record_event(&victim.value, "Normal", "Preempted", &message, "default-scheduler");
        if let Some(current) = cluster.store.get(&pods_key(), victim.namespace(), victim.name()) {
            super::delete_pod(cluster, &current);
        }
    }
    cluster.modify(&pods_key(), pod.namespace(), pod.name(), |p| {
        p["status"]["nominatedNodeName"] = json!(node);
        true
    });
    true
}

fn bind(cluster: &Cluster, pod: &Stored, node: &str) -> bool {
    let updated = cluster.modify(&pods_key(), pod.namespace(), pod.name(), |p| {
        if !meta::str_at(p, "/spec/nodeName").is_empty() {
            return false;
        }
        p["spec"]["nodeName"] = json!(node);
        if let Some(status) = p.get_mut("status").and_then(Value::as_object_mut) {
            status.remove("nominatedNodeName");
        }
        set_condition(p, "PodScheduled", "True", "", "");
        if let Some(c) = p.pointer_mut("/status/conditions").and_then(Value::as_array_mut) {
            for cond in c.iter_mut().filter(|c| meta::str_at(c, "/type") == "PodScheduled") {
                if let Some(m) = cond.as_object_mut() {
                    m.remove("reason");
                    m.remove("message");
                }
            }
        }
        true
    });
    let Some(updated) = updated else { return false };
    if let Ok(mut memory) = cluster.unschedulable.lock() {
        memory.remove(meta::uid(&updated.value));
    }
    let message = format!("Successfully assigned {}/{} to {node}", pod.namespace(), pod.name());
    cluster.record_event(&updated.value, "Normal", "Scheduled", &message, "default-scheduler");
    true
}

fn report_unschedulable(cluster: &Cluster, pod: &Stored, message: &str) {
    let uid = meta::uid(&pod.value).to_string();
    {
        let mut f = cluster.unschedulable.lock().unwrap_or_else(|e| e.into_inner());
        let due = match f.get(&uid) {
            Some((last, at)) => last != message || at.elapsed() >= RETRY,
            None => true,
        };
        if !due {
            return;
        }
        f.insert(uid, (message.to_string(), Instant::now()));
    }
    cluster.modify(&pods_key(), pod.namespace(), pod.name(), |p| {
        set_condition(p, "PodScheduled", "False", "Unschedulable", message);
        true
    });
    cluster.record_event(&pod.value, "Warning", "FailedScheduling", message, "default-scheduler");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_messages_sort_reasons_like_the_real_scheduler() {
        let mut reasons = BTreeMap::new();
        reasons.insert("Insufficient nvidia.com/gpu".to_string(), 4);
        reasons.insert("node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }".to_string(), 1);
        assert_eq!(
            failure_message(5, &reasons),
            "0/5 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 4 Insufficient nvidia.com/gpu. preemption: 0/5 nodes are available: 5 Preemption is not helpful for scheduling."
        );
    }

    #[test]
    fn tolerations_and_affinity() {
        let taint = json!({"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"});
        let exists =
            json!({"spec": {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}});
        let equal_wrong = json!({"spec": {"tolerations": [{"key": "nvidia.com/gpu", "value": "other"}]}});
        assert!(tolerates(&exists, &taint));
        assert!(!tolerates(&equal_wrong, &taint));
        assert!(tolerates(&json!({"spec": {"tolerations": [{"operator": "Exists"}]}}), &taint));

        let node =
            json!({"metadata": {"name": "gpu-1", "labels": {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}}});
        let by_field = json!({"spec": {"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["gpu-1"]}]}]}}}}});
        assert!(matches_node(&by_field, &node));
        let by_label = json!({"spec": {"nodeSelector": {"nvidia.com/gpu.product": "NVIDIA-A100-SXM4-40GB"}}});
        assert!(!matches_node(&by_label, &node));
    }
}
