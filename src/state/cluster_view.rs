//! The cluster as the screens draw it: a snapshot derived from the watch-fed cache whenever it changes (never per
//! frame), cheap to hand to the UI behind an `Arc`.

use std::collections::BTreeMap;

use crate::cluster::cache::ClusterCache;
use crate::resources::ledger::{self, LedgerRow, Usage};
use crate::resources::pod::PodRow;

/// A pod that requests accelerators, as the node detail lists them.
#[derive(Debug, Clone, PartialEq)]
pub struct DevicePod {
    pub namespace: String,
    pub name: String,
    pub status: String,
    /// (resource, amount)
    pub devices: Vec<(String, f64)>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterSnapshot {
    /// The cache generation this snapshot was taken at.
    pub generation: u64,
    pub nodes_synced: bool,
    pub pods_synced: bool,
    pub nodes_error: Option<String>,
    pub pods_error: Option<String>,
    /// One row per node, sorted by name.
    pub ledger: Vec<LedgerRow>,
    /// Cluster-wide accelerator use by resource.
    pub totals: BTreeMap<String, Usage>,
    pub nodes_ready: usize,
    pub pod_count: usize,
    pub pods_by_phase: BTreeMap<String, usize>,
    /// Pods that request accelerators, by node name.
    pub device_pods: BTreeMap<String, Vec<DevicePod>>,
}

impl ClusterSnapshot {
    pub fn is_synced(&self) -> bool {
        self.nodes_synced && self.pods_synced
    }
}

/// Derives the snapshot from the cache (cost: one pass over the pods).
pub fn snapshot(cache: &ClusterCache) -> ClusterSnapshot {
    let generation = cache.generation.load(std::sync::atomic::Ordering::Acquire);
    let nodes = cache.nodes.rows_unsorted();
    let (ledger_rows, pods_by_phase, device_pods, pod_count) = cache.pods.with_rows(|pods| {
        let mut by_phase: BTreeMap<String, usize> = BTreeMap::new();
        let mut devices: BTreeMap<String, Vec<DevicePod>> = BTreeMap::new();
        for p in pods.values() {
            *by_phase.entry(p.phase.clone()).or_default() += 1;
            if let (Some(node), true) = (&p.node, !p.requests.accelerators.is_empty() && p.occupies_node()) {
                devices.entry(node.clone()).or_default().push(device_pod(p));
            }
        }
        for list in devices.values_mut() {
            list.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        }
        (ledger::build(&nodes, pods.values()), by_phase, devices, pods.len())
    });
    ClusterSnapshot {
        generation,
        nodes_synced: cache.nodes.is_synced(),
        pods_synced: cache.pods.is_synced(),
        nodes_error: cache.nodes.last_error(),
        pods_error: cache.pods.last_error(),
        totals: ledger::totals(&ledger_rows),
        nodes_ready: ledger_rows.iter().filter(|r| r.node.ready).count(),
        ledger: ledger_rows,
        pod_count,
        pods_by_phase,
        device_pods,
    }
}

fn device_pod(p: &PodRow) -> DevicePod {
    DevicePod {
        namespace: p.namespace.clone(),
        name: p.name.clone(),
        status: p.status.clone(),
        devices: p.requests.accelerators.clone(),
    }
}
