//! GPUs by team (namespace): what the pods there request — running and waiting — against the accelerator quotas of
//! its ResourceQuotas (`requests.nvidia.com/gpu` and the other accelerator resources), the oldest waiting pod, and
//! who made the GPU pods (by their labels). Pure: from the pods and quotas as the API returns them.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::{Pod, ResourceQuota};
use serde::Serialize;

use super::accelerators::AcceleratorKind;
use super::quantity;

/// One accelerator quota line: a quota's hard limit on one accelerator resource, and what it counts as used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuotaLine {
    pub quota: String,
    /// The quota'd resource, e.g. `requests.nvidia.com/gpu`.
    pub resource: String,
    pub hard: f64,
    /// As the quota's status says (`None` before its controller reported).
    pub used: Option<f64>,
}

/// A ResourceQuota as the fit preview needs it: hard limits and what its controller counts as used, by the quota's
/// resource names (`requests.nvidia.com/gpu`, `pods`; bare `cpu`/`memory` read as their requests).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuotaRow {
    pub namespace: String,
    pub name: String,
    pub hard: BTreeMap<String, f64>,
    pub used: BTreeMap<String, f64>,
}

/// cpu and memory quota'd under a bare name mean their requests.
fn canonical(resource: &str) -> String {
    match resource {
        "cpu" | "memory" | "ephemeral-storage" => format!("requests.{resource}"),
        other => other.to_string(),
    }
}

pub fn quota_row(q: &ResourceQuota) -> QuotaRow {
    let read = |m: Option<&BTreeMap<String, k8s_openapi::apimachinery::pkg::api::resource::Quantity>>| {
        m.into_iter().flatten().map(|(k, v)| (canonical(k), quantity::value(v))).collect()
    };
    QuotaRow {
        namespace: q.metadata.namespace.clone().unwrap_or_default(),
        name: q.metadata.name.clone().unwrap_or_default(),
        hard: read(q.spec.as_ref().and_then(|s| s.hard.as_ref())),
        used: read(q.status.as_ref().and_then(|s| s.used.as_ref())),
    }
}

/// A team's GPUs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TeamRow {
    pub namespace: String,
    /// Accelerators requested by pods that hold them or wait for them.
    pub gpus_requested: f64,
    /// Accelerators of pods running (scheduled, not finished).
    pub gpus_in_use: f64,
    /// The tightest accelerator quota (the smallest hard limit), when there is one.
    pub gpu_quota: Option<f64>,
    pub quotas: Vec<QuotaLine>,
    pub running: usize,
    pub pending: usize,
    /// Unix seconds when the longest-waiting GPU pod was created.
    pub oldest_pending: Option<i64>,
    /// Who made the GPU pods (a user or managing tool, from labels) and how many each, most first.
    pub creators: Vec<Creator>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Creator {
    pub who: String,
    pub pods: usize,
}

impl TeamRow {
    fn empty(namespace: &str) -> Self {
        Self {
            namespace: namespace.to_string(),
            gpus_requested: 0.0,
            gpus_in_use: 0.0,
            gpu_quota: None,
            quotas: Vec::new(),
            running: 0,
            pending: 0,
            oldest_pending: None,
            creators: Vec::new(),
        }
    }
}

/// Labels that say who made a pod, most specific first.
const WHO_LABELS: [&str; 4] = ["bosun.dev/user", "user", "owner", "app.kubernetes.io/managed-by"];

fn who(pod: &Pod) -> String {
    let labels = pod.metadata.labels.as_ref();
    WHO_LABELS.iter().find_map(|l| labels.and_then(|m| m.get(*l)).cloned()).unwrap_or_else(|| "unlabelled".to_string())
}

/// The accelerators a pod asks for, all kinds together.
fn gpus(pod: &Pod) -> f64 {
    super::pod::requests(pod).accelerators.iter().map(|(_, n)| n).sum()
}

/// The teams with GPU pods or an accelerator quota, by namespace.
pub fn teams(pods: &[Pod], quotas: &[ResourceQuota]) -> Vec<TeamRow> {
    let mut rows: BTreeMap<String, TeamRow> = BTreeMap::new();
    for pod in pods {
        let n = gpus(pod);
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
        if n <= 0.0 || matches!(phase, "Succeeded" | "Failed") {
            continue;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let r = rows.entry(ns.clone()).or_insert_with(|| TeamRow::empty(&ns));
        r.gpus_requested += n;
        let scheduled = pod.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_some();
        if scheduled {
            r.running += 1;
            r.gpus_in_use += n;
        } else {
            r.pending += 1;
            let created = pod.metadata.creation_timestamp.as_ref().map(|t| t.0.as_second());
            r.oldest_pending = match (r.oldest_pending, created) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        let who = who(pod);
        match r.creators.iter_mut().find(|c| c.who == who) {
            Some(c) => c.pods += 1,
            None => r.creators.push(Creator { who, pods: 1 }),
        }
    }
    for quota in quotas {
        let ns = quota.metadata.namespace.clone().unwrap_or_default();
        let name = quota.metadata.name.clone().unwrap_or_default();
        let hard = quota.spec.as_ref().and_then(|s| s.hard.as_ref());
        let used = quota.status.as_ref().and_then(|s| s.used.as_ref());
        let lines: Vec<QuotaLine> = hard
            .into_iter()
            .flatten()
            .filter(|(resource, _)| {
                resource.strip_prefix("requests.").is_some_and(|r| AcceleratorKind::of(r).is_some())
            })
            .map(|(resource, q)| QuotaLine {
                quota: name.clone(),
                resource: resource.clone(),
                hard: quantity::value(q),
                used: used.and_then(|u| u.get(resource)).map(quantity::value),
            })
            .collect();
        if lines.is_empty() {
            continue;
        }
        let r = rows.entry(ns.clone()).or_insert_with(|| TeamRow::empty(&ns));
        r.quotas.extend(lines);
        r.gpu_quota = r.quotas.iter().map(|l| l.hard).reduce(f64::min);
    }
    let mut out: Vec<TeamRow> = rows.into_values().collect();
    for r in &mut out {
        r.creators.sort_by(|a, b| b.pods.cmp(&a.pods).then_with(|| a.who.cmp(&b.who)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(ns: &str, name: &str, gpus: u32, node: Option<&str>, phase: &str, user: &str, created: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": ns, "labels": {"bosun.dev/user": user},
                         "creationTimestamp": created},
            "spec": {"nodeName": node, "containers": [{"name": "c", "image": "i",
                     "resources": {"limits": {"nvidia.com/gpu": gpus.to_string()}}}]},
            "status": {"phase": phase},
        }))
        .unwrap()
    }

    #[test]
    fn gpus_by_team_against_their_quota() {
        let pods = [
            pod("research", "big-0", 4, Some("n1"), "Running", "ana", "2026-12-04T10:00:00Z"),
            pod("research", "big-1", 4, None, "Pending", "ana", "2026-12-04T11:00:00Z"),
            pod("research", "old", 2, None, "Pending", "bo", "2026-12-04T09:00:00Z"),
            pod("research", "done", 8, Some("n2"), "Succeeded", "bo", "2026-12-04T08:00:00Z"),
            pod("interns", "nb", 1, Some("n3"), "Running", "intern", "2026-12-04T07:00:00Z"),
            pod("web", "cpu-only", 0, Some("n3"), "Running", "x", "2026-12-04T07:00:00Z"),
        ];
        let quota: ResourceQuota = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "gpu-quota", "namespace": "research"},
            "spec": {"hard": {"requests.nvidia.com/gpu": "8", "pods": "20"}},
            "status": {"used": {"requests.nvidia.com/gpu": "6", "pods": "3"}},
        }))
        .unwrap();
        let rows = teams(&pods, &[quota]);
        assert_eq!(rows.iter().map(|r| r.namespace.as_str()).collect::<Vec<_>>(), ["interns", "research"]);
        let research = &rows[1];
        assert_eq!((research.gpus_requested, research.gpus_in_use), (10.0, 4.0));
        assert_eq!((research.running, research.pending), (1, 2));
        assert_eq!(research.gpu_quota, Some(8.0));
        assert_eq!(research.quotas[0].used, Some(6.0));
        let nine = "2026-12-04T09:00:00Z".parse::<jiff::Timestamp>().unwrap().as_second();
        assert_eq!(research.oldest_pending, Some(nine), "the longest-waiting GPU pod");
        let creators: Vec<(&str, usize)> = research.creators.iter().map(|c| (c.who.as_str(), c.pods)).collect();
        assert_eq!(creators, [("ana", 2), ("bo", 1)]);
        assert_eq!(rows[0].gpu_quota, None);
    }
}
