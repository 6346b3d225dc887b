//! ResourceQuota, as the real API server enforces it for pods: a pod whose requests (or limits) would take a
//! namespace past a quota's `hard` is refused with 403 and the server's message (`exceeded quota: NAME, requested:
//! …, used: …, limited: …`), a pod that leaves out a quota'd cpu or memory is refused with `failed quota: NAME: must
//! specify …`, and each quota's `status.hard`/`status.used` is kept current by its controller. Pods that have
//! finished (Succeeded, Failed) no longer count. Extended resources (GPUs …) count under `requests.<name>`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::controllers::{pods_key, write_status};
use crate::meta;
use crate::registry::ResourceKey;

pub fn quotas_key() -> ResourceKey {
    ResourceKey::new("", "resourcequotas")
}

/// cpu and memory quota'd under a bare name mean their requests.
fn canonical(resource: &str) -> &str {
    match resource {
        "cpu" => "requests.cpu",
        "memory" => "requests.memory",
        "ephemeral-storage" => "requests.ephemeral-storage",
        other => other,
    }
}

/// A pod's effective requests or limits (`what`): the larger of its containers' sum and any one init container's.
fn effective(pod: &Value, what: &str) -> BTreeMap<String, f64> {
    let sum_of = |list: &str| {
        let mut sum: BTreeMap<String, f64> = BTreeMap::new();
        let mut max: BTreeMap<String, f64> = BTreeMap::new();
        for c in pod.pointer(&format!("/spec/{list}")).and_then(Value::as_array).into_iter().flatten() {
            for (name, q) in c.pointer(&format!("/resources/{what}")).and_then(Value::as_object).into_iter().flatten() {
                let v = meta::quantity(Some(q));
                *sum.entry(name.clone()).or_default() += v;
                let m = max.entry(name.clone()).or_default();
                *m = m.max(v);
            }
        }
        (sum, max)
    };
    let (mut total, _) = sum_of("containers");
    let (_, init_max) = sum_of("initContainers");
    for (name, v) in init_max {
        let t = total.entry(name).or_default();
        *t = t.max(v);
    }
    total
}

/// What a pod counts against quotas, by quota resource name.
pub fn usage(pod: &Value) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::from([("pods".to_string(), 1.0), ("count/pods".to_string(), 1.0)]);
    for (name, v) in effective(pod, "requests") {
        out.insert(format!("requests.{name}"), v);
    }
    for (name, v) in effective(pod, "limits") {
        out.insert(format!("limits.{name}"), v);
    }
    out
}

fn counts(pod: &Value) -> bool {
    !matches!(meta::str_at(pod, "/status/phase"), "Succeeded" | "Failed")
}

/// What the namespace's pods use now, by quota resource name.
fn used_in(cluster: &Cluster, namespace: &str) -> BTreeMap<String, f64> {
    let (pods, _) = cluster.store.list(&pods_key(), Some(namespace));
    let mut used: BTreeMap<String, f64> = BTreeMap::new();
    for pod in pods.iter().filter(|p| counts(&p.value)) {
        for (k, v) in usage(&pod.value) {
            *used.entry(k).or_default() += v;
        }
    }
    used
}

use kubefmt::quantity::format as format_quantity;

/// Why the namespace's quotas refuse this new pod, in the server's words (`None`: admitted).
pub fn refuse(cluster: &Cluster, namespace: &str, pod: &Value) -> Option<String> {
    let (quotas, _) = cluster.store.list(&quotas_key(), Some(namespace));
    if quotas.is_empty() {
        return None;
    }
    let wanted = usage(pod);
    let used = used_in(cluster, namespace);
    let mut quotas: Vec<_> = quotas.iter().collect();
    quotas.sort_by(|a, b| a.name().cmp(b.name()));
    for quota in quotas {
        let hard: BTreeMap<String, f64> = quota
            .value
            .pointer("/spec/hard")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(k, v)| (canonical(k).to_string(), meta::quantity(Some(v))))
            .collect();
        // cpu and memory under quota must be asked for by every container.
        let mut missing = Vec::new();
        for resource in hard.keys().filter(|r| r.ends_with(".cpu") || r.ends_with(".memory")) {
            let what = if resource.starts_with("limits.") { "limits" } else { "requests" };
            let name = resource.split_once('.').map_or("", |(_, n)| n);
            let containers = pod.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
            let lacking: Vec<&str> = containers
                .iter()
                .filter(|c| c.pointer(&format!("/resources/{what}/{name}")).is_none())
                .map(|c| meta::str_at(c, "/name"))
                .collect();
            if !lacking.is_empty() {
                missing.push(format!("{resource} for: {}", lacking.join(",")));
            }
        }
        if !missing.is_empty() {
            return Some(format!("failed quota: {}: must specify {}", quota.name(), missing.join("; ")));
        }
        let over: Vec<&String> = hard
            .iter()
            .filter(|(r, limit)| {
                let asked = wanted.get(*r).copied().unwrap_or(0.0);
                asked > 0.0 && used.get(*r).copied().unwrap_or(0.0) + asked > **limit
            })
            .map(|(r, _)| r)
            .collect();
        if !over.is_empty() {
            let list = |values: &dyn Fn(&str) -> f64| {
                over.iter().map(|r| format!("{r}={}", format_quantity(r, values(r)))).collect::<Vec<_>>().join(",")
            };
            return Some(format!(
                "exceeded quota: {}, requested: {}, used: {}, limited: {}",
                quota.name(),
                list(&|r| wanted.get(r).copied().unwrap_or(0.0)),
                list(&|r| used.get(r).copied().unwrap_or(0.0)),
                list(&|r| hard.get(r).copied().unwrap_or(0.0)),
            ));
        }
    }
    None
}

/// Keeps every quota's `status.hard` and `status.used` current.
pub fn reconcile(cluster: &Cluster) {
    let (quotas, _) = cluster.store.list(&quotas_key(), None);
    for quota in quotas {
        crate::controllers::isolated(cluster, "resourcequota", &quota.value, || {
            let used = used_in(cluster, quota.namespace());
            let hard = quota.value.pointer("/spec/hard").cloned().unwrap_or(json!({}));
            let mut used_status = serde_json::Map::new();
            for (resource, _) in hard.as_object().into_iter().flatten() {
                let v = used.get(canonical(resource)).copied().unwrap_or(0.0);
                used_status.insert(resource.clone(), json!(format_quantity(resource, v)));
            }
            write_status(cluster, &quotas_key(), &quota, json!({"hard": hard, "used": used_status}));
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pod_counts_its_requests_limits_and_itself() {
        let pod = json!({"spec": {
        "initContainers": [{"name": "fetch", "resources": {"requests": {"cpu": "2"}}}],
        "containers": [
            {"name": "a", "resources": {"requests": {"cpu": "500m", "nvidia.com/gpu": "4"}, "limits": {"nvidia.com/gpu": "4"}}},
            {"name": "b", "resources": {"requests": {"cpu": "250m", "memory": "1Gi"}}}
        ]}});
        let u = usage(&pod);
        assert_eq!(u["pods"], 1.0);
        assert_eq!(u["requests.cpu"], 2.0, "the init container asks for more than the containers together");
        assert_eq!(u["requests.nvidia.com/gpu"], 4.0);
        assert_eq!(u["requests.memory"], (1u64 << 30) as f64);
        assert_eq!(format_quantity("requests.cpu", 0.75), "750m");
        assert_eq!(format_quantity("requests.memory", (3u64 << 30) as f64), "3Gi");
        assert_eq!(format_quantity("requests.nvidia.com/gpu", 8.0), "8");
    }
}
