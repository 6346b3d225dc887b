use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bosun::cluster::cache::{self, ClusterCache};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams, PostParams};

fn pod(name: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"name": name, "labels": {"suite": "churn"}},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.37", "command": ["sleep", "infinity"]}]}
    }))
    .expect("pod")
}

/// The cache must end up equal to the server's state although watches keep dropping and history is compacted
/// (so resuming gets 410 Gone and the watcher re-lists) while pods come and go.
#[test]
fn the_cache_converges_under_dropped_watches_and_410_gone() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let config = kubesim::Config { fleet: kubesim::Fleet::Empty, time_scale: 10.0, ..Default::default() };
    let server = runtime.block_on(kubesim::start(config)).expect("kubesim starts");
    runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(server.kubeconfig_path()).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        let client = kube::Client::try_from(config).expect("client");
        let cache = Arc::new(ClusterCache::default());
        let watchers = cache::spawn(client.clone(), cache.clone());
        while !cache.is_synced() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let pods: Api<Pod> = Api::namespaced(client, "default");
        server.set_faults(kubesim::FaultConfig { drop_watch_after_secs: 1, ..Default::default() });
        for round in 0..4 {
            for i in 0..5 {
                pods.create(&PostParams::default(), &pod(&format!("p-{round}-{i}"))).await.expect("create");
            }
            if round > 0 {
                for i in 0..3 {
                    pods.delete(&format!("p-{}-{i}", round - 1), &DeleteParams::default().grace_period(0))
                        .await
                        .expect("delete");
                }
            }
            server.compact();
            tokio::time::sleep(Duration::from_millis(400)).await;
        }
        server.set_faults(kubesim::FaultConfig::default());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let expected: BTreeSet<String> = pods
                .list(&ListParams::default())
                .await
                .expect("list")
                .items
                .into_iter()
                .filter_map(|p| p.metadata.name)
                .collect();
            let cached: BTreeSet<String> = cache
                .pods
                .rows_unsorted()
                .iter()
                .filter(|p| p.namespace == "default")
                .map(|p| p.name.clone())
                .collect();
            if cached == expected {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "cache {cached:?} never converged on {expected:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        for w in watchers {
            w.abort();
        }
    });
}
