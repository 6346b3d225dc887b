//! The workloads a fleet starts with.

use crate::cluster::Cluster;

pub fn demo(cluster: &Cluster) {
    let _ = cluster;
}

pub fn scale(cluster: &Cluster, nodes: usize, pods: usize) {
    let _ = (cluster, nodes, pods);
}
