//! Kueue's queues (`kueue.x-k8s.io/v1beta1`), read-only: per ClusterQueue the nominal quota of each resource of each
//! flavor, how much it may borrow from its cohort, what its admitted workloads use, and how many wait; per
//! LocalQueue (a namespace's door into a ClusterQueue) its pending and admitted workloads. Pure: from the objects'
//! JSON, since Bosun has no generated types for Kueue.

use serde::Serialize;
use serde_json::Value;

use super::quantity;

/// One resource of one flavor of a ClusterQueue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlavorQuota {
    pub flavor: String,
    pub resource: String,
    pub nominal: f64,
    /// How much more it may borrow from its cohort (`None`: no limit set).
    pub borrowing_limit: Option<f64>,
    /// What admitted workloads use, and how much of it is borrowed (from `status.flavorsUsage`).
    pub used: f64,
    pub borrowed: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClusterQueueRow {
    pub name: String,
    pub cohort: Option<String>,
    pub quotas: Vec<FlavorQuota>,
    pub pending: i64,
    pub admitted: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalQueueRow {
    pub namespace: String,
    pub name: String,
    pub cluster_queue: String,
    pub pending: i64,
    pub admitted: i64,
}

/// Kueue's queues on a cluster.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Queues {
    pub cluster_queues: Vec<ClusterQueueRow>,
    pub local_queues: Vec<LocalQueueRow>,
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or_default()
}

fn amount(v: Option<&Value>) -> Option<f64> {
    match v? {
        Value::String(s) => kubefmt::quantity::parse(s),
        Value::Number(n) => n.as_f64(),
        _ => None,
    }
}

fn count(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

pub fn cluster_queue(v: &Value) -> ClusterQueueRow {
    let mut quotas = Vec::new();
    let usage = v.pointer("/status/flavorsUsage").and_then(Value::as_array).map_or(&[][..], Vec::as_slice);
    let used_of = |flavor: &str, resource: &str| -> (f64, f64) {
        let r = usage
            .iter()
            .filter(|f| text(f, "/name") == flavor)
            .flat_map(|f| f.get("resources").and_then(Value::as_array).into_iter().flatten())
            .find(|r| text(r, "/name") == resource);
        r.map_or((0.0, 0.0), |r| (amount(r.get("total")).unwrap_or(0.0), amount(r.get("borrowed")).unwrap_or(0.0)))
    };
    for group in v.pointer("/spec/resourceGroups").and_then(Value::as_array).into_iter().flatten() {
        for flavor in group.get("flavors").and_then(Value::as_array).into_iter().flatten() {
            let flavor_name = text(flavor, "/name");
            for r in flavor.get("resources").and_then(Value::as_array).into_iter().flatten() {
                let resource = text(r, "/name");
                let (used, borrowed) = used_of(flavor_name, resource);
                quotas.push(FlavorQuota {
                    flavor: flavor_name.to_string(),
                    resource: resource.to_string(),
                    nominal: amount(r.get("nominalQuota")).unwrap_or(0.0),
                    borrowing_limit: amount(r.get("borrowingLimit")),
                    used,
                    borrowed,
                });
            }
        }
    }
    ClusterQueueRow {
        name: text(v, "/metadata/name").to_string(),
        cohort: Some(text(v, "/spec/cohort").to_string()).filter(|c| !c.is_empty()),
        quotas,
        pending: count(v, "/status/pendingWorkloads"),
        admitted: count(v, "/status/admittedWorkloads"),
    }
}

pub fn local_queue(v: &Value) -> LocalQueueRow {
    LocalQueueRow {
        namespace: text(v, "/metadata/namespace").to_string(),
        name: text(v, "/metadata/name").to_string(),
        cluster_queue: text(v, "/spec/clusterQueue").to_string(),
        pending: count(v, "/status/pendingWorkloads"),
        admitted: count(v, "/status/admittedWorkloads"),
    }
}

impl FlavorQuota {
    /// `nvidia.com/gpu 12 of 16 (+8 borrowable), 4 borrowed`.
    pub fn describe(&self) -> String {
        let n = |v: f64| quantity::count(v);
        let mut out = format!("{} {} of {}", self.resource, n(self.used), n(self.nominal));
        if let Some(limit) = self.borrowing_limit {
            out.push_str(&format!(" (+{} borrowable)", n(limit)));
        }
        if self.borrowed > 0.0 {
            out.push_str(&format!(", {} borrowed", n(self.borrowed)));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn cluster_queues_read_quota_borrowing_and_usage() {
        let cq = json!({"metadata": {"name": "research"}, "spec": {"cohort": "ml", "resourceGroups": [{
            "coveredResources": ["cpu", "nvidia.com/gpu"],
            "flavors": [{"name": "h100", "resources": [
                {"name": "cpu", "nominalQuota": "96"},
                {"name": "nvidia.com/gpu", "nominalQuota": 16, "borrowingLimit": "8"}]}]}]},
            "status": {"pendingWorkloads": 3, "admittedWorkloads": 2, "flavorsUsage": [{"name": "h100", "resources": [
                {"name": "nvidia.com/gpu", "total": "20", "borrowed": "4"}]}]}});
        let row = cluster_queue(&cq);
        assert_eq!(
            (row.name.as_str(), row.cohort.as_deref(), row.pending, row.admitted),
            ("research", Some("ml"), 3, 2)
        );
        let gpu = row.quotas.iter().find(|q| q.resource == "nvidia.com/gpu").expect("gpu quota");
        assert_eq!(gpu.describe(), "nvidia.com/gpu 20 of 16 (+8 borrowable), 4 borrowed");
        let lq = local_queue(
            &json!({"metadata": {"name": "team-a", "namespace": "ml"}, "spec": {"clusterQueue": "research"},
            "status": {"pendingWorkloads": 1}}),
        );
        assert_eq!((lq.cluster_queue.as_str(), lq.pending, lq.admitted), ("research", 1, 0));
    }
}
