//! The GPU ledger: per node, every accelerator resource with capacity, allocatable, requested and free, plus CPU
//! and memory — the numbers people rent GPUs for. Computed from node and pod rows when data changes.

use std::collections::BTreeMap;

use serde::Serialize;

use super::accelerators::AcceleratorKind;
use super::node::NodeRow;
use super::pod::PodRow;
use super::quantity;

/// Use of one resource on a node (or across the cluster).
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Usage {
    pub capacity: f64,
    pub allocatable: f64,
    pub requested: f64,
}

impl Usage {
    pub fn free(&self) -> f64 {
        (self.allocatable - self.requested).max(0.0)
    }

    fn add(&mut self, other: &Usage) {
        self.capacity += other.capacity;
        self.allocatable += other.allocatable;
        self.requested += other.requested;
    }
}

/// One node in the ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LedgerRow {
    pub node: NodeRow,
    pub cpu: Usage,
    pub memory: Usage,
    pub pods: usize,
    /// By resource name; includes resources pods request that the node does not advertise.
    pub accelerators: BTreeMap<String, Usage>,
    /// What its DaemonSets' pods take (part of the above): a new node like it would give them as much.
    pub daemons: DaemonLoad,
}

/// The pods, CPU and memory a node's DaemonSet pods request.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct DaemonLoad {
    pub pods: usize,
    pub cpu: f64,
    pub memory: f64,
}

/// Builds the ledger from node rows and the pods that occupy nodes.
pub fn build<'a>(nodes: &[NodeRow], pods: impl IntoIterator<Item = &'a PodRow>) -> Vec<LedgerRow> {
    let mut rows: Vec<LedgerRow> = nodes
        .iter()
        .map(|n| LedgerRow {
            node: n.clone(),
            cpu: Usage { capacity: n.cpu.capacity, allocatable: n.cpu.allocatable, requested: 0.0 },
            memory: Usage { capacity: n.memory.capacity, allocatable: n.memory.allocatable, requested: 0.0 },
            pods: 0,
            accelerators: n
                .accelerators
                .iter()
                .map(|(r, a)| (r.clone(), Usage { capacity: a.capacity, allocatable: a.allocatable, requested: 0.0 }))
                .collect(),
            daemons: DaemonLoad::default(),
        })
        .collect();
    rows.sort_by(|a, b| a.node.name.cmp(&b.node.name));
    for pod in pods.into_iter().filter(|p| p.occupies_node()) {
        let Some(node) = pod.node.as_deref() else { continue };
        let Ok(i) = rows.binary_search_by(|r| r.node.name.as_str().cmp(node)) else { continue };
        let row = &mut rows[i];
        row.pods += 1;
        row.cpu.requested += pod.requests.cpu;
        row.memory.requested += pod.requests.memory;
        for (r, amount) in &pod.requests.accelerators {
            row.accelerators.entry(r.clone()).or_default().requested += amount;
        }
        if pod.daemon {
            row.daemons.pods += 1;
            row.daemons.cpu += pod.requests.cpu;
            row.daemons.memory += pod.requests.memory;
        }
    }
    rows
}

/// Cluster-wide sums per accelerator resource.
pub fn totals(rows: &[LedgerRow]) -> BTreeMap<String, Usage> {
    let mut out: BTreeMap<String, Usage> = BTreeMap::new();
    for row in rows {
        for (r, u) in &row.accelerators {
            out.entry(r.clone()).or_default().add(u);
        }
    }
    out
}

/// The ledger as a text table, like a GPU-aware `kubectl get nodes`.
pub fn to_table(rows: &[LedgerRow]) -> String {
    let header = [
        "NODE",
        "STATUS",
        "GPU MODEL",
        "ACCELERATORS (alloc/req/free)",
        "CPU (req/alloc)",
        "MEMORY (req/alloc)",
        "TAINTS",
    ];
    let mut lines: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for row in rows {
        let n = &row.node;
        let status = match (n.ready, n.unschedulable) {
            (true, false) => "Ready",
            (true, true) => "Ready,SchedulingDisabled",
            (false, _) => "NotReady",
        };
        let model = n
            .gpu
            .as_ref()
            .map(|g| match g.memory_mib {
                Some(m) => format!("{} ({} MiB)", g.product, m),
                None => g.product.clone(),
            })
            .unwrap_or_else(|| "-".into());
        let accelerators = if row.accelerators.is_empty() {
            if n.hint.is_some() { "none advertised (no device plugin)".to_string() } else { "-".to_string() }
        } else {
            row.accelerators
                .iter()
                .map(|(r, u)| {
                    let name = AcceleratorKind::of(r).map_or_else(|| r.clone(), |k| k.label());
                    format!(
                        "{name} {}/{}/{}",
                        quantity::count(u.allocatable),
                        quantity::count(u.requested),
                        quantity::count(u.free())
                    )
                })
                .collect::<Vec<_>>()
                .join(", ")
        };
        lines.push(vec![
            n.name.clone(),
            status.to_string(),
            model,
            accelerators,
            format!("{}/{}", quantity::cores(row.cpu.requested), quantity::cores(row.cpu.allocatable)),
            format!("{}/{}", quantity::bytes(row.memory.requested), quantity::bytes(row.memory.allocatable)),
            if n.taints.is_empty() { "-".into() } else { n.taints.join(",") },
        ]);
    }
    let widths: Vec<usize> =
        (0..header.len()).map(|c| lines.iter().map(|l| l[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for line in &lines {
        let cells: Vec<String> =
            line.iter().enumerate().map(|(c, cell)| format!("{cell:<w$}", w = widths[c])).collect();
        out.push_str(cells.join("   ").trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::node::{Amount, NodeRow};
    use crate::resources::pod::{PodRow, Requests};

    fn node(name: &str, gpus: f64) -> NodeRow {
        let mut accelerators = BTreeMap::new();
        if gpus > 0.0 {
            accelerators.insert("nvidia.com/gpu".to_string(), Amount { capacity: gpus, allocatable: gpus });
        }
        NodeRow {
            name: name.into(),
            ready: true,
            cpu: Amount { capacity: 96.0, allocatable: 95.0 },
            memory: Amount { capacity: 1e12, allocatable: 9e11 },
            pods: Amount { capacity: 110.0, allocatable: 110.0 },
            accelerators,
            ..Default::default()
        }
    }

    fn pod(node: &str, phase: &str, gpus: f64) -> PodRow {
        PodRow {
            namespace: "ml".into(),
            name: format!("p-{node}-{phase}"),
            node: Some(node.into()),
            phase: phase.into(),
            status: phase.into(),
            ready: (1, 1),
            restarts: 0,
            requests: Requests { cpu: 2.0, memory: 1e9, accelerators: vec![("nvidia.com/gpu".into(), gpus)] },
            created: 0,
            containers: vec![],
            uid: 0,
            daemon: false,
        }
    }

    #[test]
    fn requests_of_running_pods_count_and_finished_pods_do_not() {
        let nodes = [node("b", 8.0), node("a", 0.0)];
        let pods = [pod("b", "Running", 3.0), pod("b", "Succeeded", 4.0), pod("b", "Pending", 1.0)];
        let rows = build(&nodes, &pods);
        assert_eq!(rows[0].node.name, "a", "sorted by name");
        let b = &rows[1];
        assert_eq!(b.accelerators["nvidia.com/gpu"], Usage { capacity: 8.0, allocatable: 8.0, requested: 4.0 });
        assert_eq!(b.accelerators["nvidia.com/gpu"].free(), 4.0);
        assert_eq!((b.pods, b.cpu.requested), (2, 4.0));
        assert_eq!(totals(&rows)["nvidia.com/gpu"].requested, 4.0);
        let table = to_table(&rows);
        assert!(table.lines().nth(2).is_some_and(|l| l.contains("GPU 8/4/4")), "{table}");
    }
}
