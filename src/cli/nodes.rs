//! `bosun nodes`: the GPU ledger of a cluster on the terminal — per node the accelerators with capacity,
//! allocatable, requested and free, CPU and memory, taints — from the same watch-fed cache as the Nodes screen.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;

use crate::cluster::cache::{self, ClusterCache};
use crate::resources::ledger::{self, LedgerRow};
use crate::state::LaunchOptions;

/// How to print the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// Connects, waits for the first complete list of nodes and pods, and returns the ledger.
pub async fn ledger_for(launch: &LaunchOptions, timeout: Duration) -> anyhow::Result<Vec<LedgerRow>> {
    Ok(synced_cache(launch, timeout).await?.ledger())
}

/// Connects and fills watch caches until the first complete list of nodes and pods (then stops watching).
pub async fn synced_cache(launch: &LaunchOptions, timeout: Duration) -> anyhow::Result<Arc<ClusterCache>> {
    let client = super::client_for(launch).await?;
    let cache = Arc::new(ClusterCache::default());
    let watchers = cache::spawn(client, cache.clone());
    // A 403 is final (retrying will not grant the permission): stop at once, as kubectl does.
    let forbidden = || {
        [
            ("nodes", &cache.nodes.is_forbidden(), cache.nodes.last_error()),
            ("pods", &cache.pods.is_forbidden(), cache.pods.last_error()),
        ]
        .into_iter()
        .find(|(_, forbidden, _)| **forbidden)
        .map(|(kind, _, message)| super::Forbidden {
            action: format!("list {kind}"),
            message: message.unwrap_or_default(),
        })
    };
    let synced = tokio::time::timeout(timeout, async {
        while !cache.is_synced() && forbidden().is_none() {
            let changed = cache.changed.notified();
            if cache.is_synced() || forbidden().is_some() {
                break;
            }
            let _ = tokio::time::timeout(Duration::from_millis(200), changed).await;
        }
    })
    .await;
    for w in &watchers {
        w.abort();
    }
    if let Some(refused) = forbidden() {
        return Err(refused.into());
    }
    synced.map_err(|_| {
        let errors: Vec<String> = [("nodes", cache.nodes.last_error()), ("pods", cache.pods.last_error())]
            .into_iter()
            .filter_map(|(kind, e)| e.map(|e| format!("listing {kind}: {e}")))
            .collect();
        let why = if errors.is_empty() { String::new() } else { format!(": {}", errors.join("; ")) };
        anyhow::anyhow!("the cluster did not finish listing nodes and pods within {} s{why}", timeout.as_secs())
    })?;
    Ok(cache)
}

pub fn run(launch: LaunchOptions, output: Output, timeout: Duration) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the runtime")?;
    let rows = runtime.block_on(ledger_for(&launch, timeout))?;
    match output {
        Output::Table => print!("{}", ledger::to_table(&rows)),
        Output::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
    }
    Ok(())
}
