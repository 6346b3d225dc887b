use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bosun::cluster::cache::{self, ClusterCache};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams, PostParams};
use kubesim::stats::Served;

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
        let synced_by = tokio::time::Instant::now() + Duration::from_secs(30);
        while !cache.is_synced() {
            assert!(tokio::time::Instant::now() < synced_by, "the cache did not sync with an empty cluster in 30 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let lists_before = server.served(Served::List, "pods");
        let pods: Api<Pod> = Api::namespaced(client, "default");
        let key = kubesim::registry::ResourceKey::new("", "pods");
        for round in 0..3 {
            for i in 0..5 {
                pods.create(&PostParams::default(), &pod(&format!("p-{round}-{i}"))).await.expect("create");
            }
            // Wait for the watcher's watch to be open (after a 410 it re-lists first), then cut it: the server
            // refuses every request for a while; pods come and go meanwhile and the history is compacted, so the
            // watcher's resume is answered 410 Gone and it must re-list.
            let open_by = tokio::time::Instant::now() + Duration::from_secs(30);
            while server.open_watches("pods") == 0 {
                assert!(tokio::time::Instant::now() < open_by, "round {round}: no pod watch opened in 30 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let gone = server.served(Served::WatchGone, "pods");
            let dropped = server.served(Served::WatchDropped, "pods");
            server.set_faults(kubesim::FaultConfig {
                error_rate: 1.0,
                error_code: 500,
                drop_watch_after_secs: 1,
                ..Default::default()
            });
            let cut_by = tokio::time::Instant::now() + Duration::from_secs(10);
            while server.open_watches("pods") > 0 {
                assert!(tokio::time::Instant::now() < cut_by, "round {round}: the pod watch was not dropped in 10 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            assert!(
                server.served(Served::WatchDropped, "pods") > dropped,
                "round {round}: closed, but not by the fault"
            );
            for i in 0..3 {
                let mut p = serde_json::to_value(pod(&format!("q-{round}-{i}"))).expect("json");
                p["apiVersion"] = "v1".into();
                p["kind"] = "Pod".into();
                p["metadata"]["namespace"] = "default".into();
                server.cluster().create(p).expect("created behind the watcher's back");
                server.cluster().delete_now(&key, "default", &format!("p-{round}-{i}")).expect("deleted meanwhile");
            }
            server.compact();
            server.set_faults(kubesim::FaultConfig::default());
            let resumed_by = tokio::time::Instant::now() + Duration::from_secs(30);
            while server.served(Served::WatchGone, "pods") == gone {
                assert!(tokio::time::Instant::now() < resumed_by, "round {round}: no resume was answered 410 in 30 s");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        assert!(server.served(Served::List, "pods") > lists_before, "the watcher never re-listed pods");
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
