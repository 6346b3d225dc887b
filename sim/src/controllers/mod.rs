//! The controllers that make the simulated cluster behave. Each runs as its own task until shutdown.

use std::sync::Arc;

use tokio::sync::watch;

use crate::cluster::Cluster;

/// Starts every controller.
pub fn spawn_all(cluster: Arc<Cluster>, shutdown: watch::Receiver<bool>) {
    let _ = (cluster, shutdown);
}
