//! kube-rs against kubesim: typed clients, watches that resume and re-list after `410 Gone`, errors as `Status`.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::{WatchStreamExt, reflector, watcher};
use kube::{Client, Config};
use kubesim::stats::Served;
use kubesim::{FaultConfig, Fleet};

async fn client(sim: &common::Sim) -> Client {
    let kubeconfig = kube::config::Kubeconfig::read_from(sim.server.kubeconfig_path()).expect("kubeconfig");
    let config = Config::from_custom_kubeconfig(kubeconfig, &Default::default()).await.expect("config");
    Client::try_from(config).expect("client")
}

fn config_map(name: &str) -> ConfigMap {
    serde_json::from_value(
        serde_json::json!({"metadata": {"name": name, "labels": {"suite": "watch"}}, "data": {"k": "v"}}),
    )
    .expect("configmap")
}

#[test]
fn typed_list_get_and_errors() {
    let sim = common::start(Fleet::Demo, 10.0);
    sim.runtime.block_on(async {
        let client = client(&sim).await;
        let nodes: Api<Node> = Api::all(client.clone());
        let list = nodes.list(&ListParams::default()).await.expect("list nodes");
        assert_eq!(list.items.len(), 11);
        let paged = nodes.list(&ListParams::default().limit(4)).await.expect("first page");
        assert_eq!(paged.items.len(), 4);
        assert!(paged.metadata.continue_.is_some());
        assert_eq!(paged.metadata.remaining_item_count, Some(7));

        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        cms.create(&PostParams::default(), &config_map("a")).await.expect("create");
        let err = cms.create(&PostParams::default(), &config_map("a")).await.expect_err("duplicate");
        let kube::Error::Api(status) = err else { panic!("{err:?}") };
        assert_eq!((status.code, status.reason.as_str()), (409, "AlreadyExists"));
        let err = cms.get("missing").await.expect_err("missing");
        let kube::Error::Api(status) = err else { panic!("{err:?}") };
        assert_eq!(status.code, 404);

        let patch = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"x": "1"}});
        let applied = cms.patch("applied", &PatchParams::apply("bosun"), &Patch::Apply(&patch)).await.expect("apply");
        let managers: Vec<_> = applied.metadata.managed_fields.unwrap_or_default().into_iter().map(|m| m.manager.unwrap_or_default()).collect();
        assert_eq!(managers, ["bosun"]);
        cms.delete("applied", &DeleteParams::default()).await.expect("delete");
    });
}

/// Watches that break and resources versions that expire must still converge on the server's state.
#[test]
fn watcher_survives_dropped_watches_and_410_gone() {
    let sim = common::start(Fleet::Empty, 10.0);
    sim.runtime.block_on(async {
        let client = client(&sim).await;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let (reader, writer) = reflector::store::<ConfigMap>();
        let stream = reflector(writer, watcher(cms.clone(), watcher::Config::default().labels("suite=watch")))
            .default_backoff()
            .applied_objects();
        let task = tokio::spawn(async move {
            futures_util::pin_mut!(stream);
            while stream.next().await.is_some() {}
        });
        tokio::time::timeout(Duration::from_secs(30), reader.wait_until_ready())
            .await
            .expect("the watcher's initial list within 30 s")
            .expect("initial list");
        let lists_before = sim.server.served(Served::List, "configmaps");

        for i in 0..5 {
            cms.create(&PostParams::default(), &config_map(&format!("before-{i}"))).await.expect("create");
        }
        // Once the watch is open it is cut, and the server refuses every request for a while; what changes
        // meanwhile is compacted away, so the client's resume must be answered 410 Gone and it must re-list.
        let open_by = tokio::time::Instant::now() + Duration::from_secs(30);
        while sim.server.open_watches("configmaps") == 0 {
            assert!(tokio::time::Instant::now() < open_by, "no configmap watch opened within 30 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sim.server.set_faults(FaultConfig {
            error_rate: 1.0,
            error_code: 500,
            drop_watch_after_secs: 1,
            ..Default::default()
        });
        let cut_by = tokio::time::Instant::now() + Duration::from_secs(10);
        while sim.server.open_watches("configmaps") > 0 {
            assert!(tokio::time::Instant::now() < cut_by, "the configmap watch was not dropped within 10 s");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let cluster = sim.server.cluster();
        let key = kubesim::registry::ResourceKey::new("", "configmaps");
        for i in 0..5 {
            let mut cm = serde_json::to_value(config_map(&format!("after-{i}"))).expect("json");
            cm["apiVersion"] = "v1".into();
            cm["kind"] = "ConfigMap".into();
            cm["metadata"]["namespace"] = "default".into();
            cluster.create(cm).expect("created behind the client's back");
            cluster.delete_now(&key, "default", &format!("before-{i}")).expect("deleted behind the client's back");
        }
        sim.server.compact();
        sim.server.set_faults(FaultConfig::default());
        cms.create(&PostParams::default(), &config_map("last")).await.expect("create");
        // What the test is named after must have happened: a resume refused with 410, and a re-list.
        let happened_by = tokio::time::Instant::now() + Duration::from_secs(30);
        while !(sim.server.served(Served::WatchGone, "configmaps") > 0
            && sim.server.served(Served::List, "configmaps") > lists_before)
        {
            assert!(
                tokio::time::Instant::now() < happened_by,
                "the watcher did not resume into 410 Gone and re-list within 30 s: {} answered 410, {} lists (first: {lists_before})",
                sim.server.served(Served::WatchGone, "configmaps"),
                sim.server.served(Served::List, "configmaps")
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let expected: BTreeSet<String> = cms
            .list(&ListParams::default().labels("suite=watch"))
            .await
            .expect("list")
            .items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let cached: BTreeSet<String> = reader.state().iter().filter_map(|c| c.metadata.name.clone()).collect();
            if cached == expected {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "cache {cached:?} never converged on {expected:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        task.abort();
    });
}

#[test]
fn watch_from_an_expired_version_reports_410() {
    let sim = common::start(Fleet::Empty, 10.0);
    sim.runtime.block_on(async {
        let client = client(&sim).await;
        let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
        let rv = pods.list(&ListParams::default()).await.expect("list").metadata.resource_version.expect("rv");
        sim.server.compact();
        let cms: Api<ConfigMap> = Api::namespaced(client, "default");
        cms.create(&PostParams::default(), &config_map("bump")).await.expect("create");
        sim.server.compact();
        let stream = pods.watch(&Default::default(), &rv).await.expect("watch starts");
        futures_util::pin_mut!(stream);
        let first = stream.next().await.expect("an event").expect("a decodable event");
        let kube::api::WatchEvent::Error(status) = first else { panic!("expected an ERROR event, got {first:?}") };
        assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));
    });
}

#[test]
fn faults_can_be_changed_at_run_time_by_the_admin_only() {
    let sim = common::start(Fleet::Empty, 10.0);
    sim.runtime.block_on(async {
        let client = client(&sim).await;
        let put = |body: &str| http::Request::put("/kubesim/faults").body(body.as_bytes().to_vec()).expect("request");
        let text =
            client.request_text(put(r#"{"errorRate": 1.0, "errorCode": 500}"#)).await.expect("admin sets faults");
        assert!(text.contains("\"errorRate\":1.0"), "{text}");
        let nodes: Api<Node> = Api::all(client.clone());
        let err = nodes.list(&ListParams::default()).await.expect_err("every request fails now");
        let kube::Error::Api(status) = err else { panic!("{err:?}") };
        assert_eq!(status.code, 500);
        client.request_text(put("{}")).await.expect("faults cleared");
        nodes.list(&ListParams::default()).await.expect("requests work again");
    });
    assert_eq!(sim.server.faults(), FaultConfig::default());
    let viewer = sim.kubectl(&["--context", "kubesim-viewer", "get", "--raw", "/kubesim/faults"]);
    assert!(!viewer.status.success());
    assert!(
        String::from_utf8_lossy(&viewer.stderr).contains("Forbidden")
            || String::from_utf8_lossy(&viewer.stderr).contains("forbidden")
    );
}

/// Port-forwarding to a model server reaches a responder that behaves like TensorFlow Serving's REST API.
#[test]
fn port_forward_to_a_model_server() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let sim = common::start(Fleet::Demo, 10.0);
    sim.runtime.block_on(async {
        let client = client(&sim).await;
        let pods: Api<Pod> = Api::namespaced(client, "default");
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "resnet-server"},
            "spec": {"containers": [{"name": "serving", "image": "tensorflow/serving:2.16.1", "args": ["--model_name=resnet"]}]}
        }))
        .expect("pod");
        pods.create(&PostParams::default(), &pod).await.expect("create");
        let running = kube::runtime::wait::await_condition(pods.clone(), "resnet-server", kube::runtime::conditions::is_pod_running());
        tokio::time::timeout(Duration::from_secs(30), running).await.expect("in time").expect("running");

        let request = |raw: String| {
            let pods = pods.clone();
            async move {
                let mut forwarder = pods.portforward("resnet-server", &[8501]).await.expect("port-forward");
                let mut stream = forwarder.take_stream(8501).expect("stream");
                stream.write_all(raw.as_bytes()).await.expect("write");
                let mut reply = Vec::new();
                stream.read_to_end(&mut reply).await.expect("read");
                String::from_utf8_lossy(&reply).into_owned()
            }
        };
        let status = request("GET /v1/models/resnet HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".into()).await;
        assert!(status.starts_with("HTTP/1.1 200") && status.contains("AVAILABLE"), "{status}");
        let body = r#"{"instances": [[0.1, 0.2, 0.3]]}"#;
        let predict = request(format!(
            "POST /v1/models/resnet:predict HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        ))
        .await;
        assert!(predict.starts_with("HTTP/1.1 200") && predict.contains("\"predictions\":[["), "{predict}");
    });
}

/// Applying the same configuration twice changes nothing: same resourceVersion, and list items keyed by a field
/// the server defaults (a port's protocol) are matched, not duplicated.
#[test]
fn a_repeated_server_side_apply_is_a_no_op() {
    let sim = common::start(Fleet::Empty, 10.0);
    sim.runtime.block_on(async {
        let client = client(&sim).await;
        let services: Api<k8s_openapi::api::core::v1::Service> = Api::namespaced(client, "default");
        let svc = serde_json::json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"},
            "spec": {"selector": {"app": "web"}, "ports": [{"name": "http", "port": 80, "targetPort": 8080}]}});
        let params = PatchParams::apply("suite").force();
        let first = services.patch("web", &params, &Patch::Apply(&svc)).await.expect("first apply");
        let second = services.patch("web", &params, &Patch::Apply(&svc)).await.expect("second apply");
        assert_eq!(first.metadata.resource_version, second.metadata.resource_version);
        let ports = second.spec.and_then(|s| s.ports).unwrap_or_default();
        assert_eq!(ports.len(), 1);
        assert_eq!(ports[0].protocol.as_deref(), Some("TCP"));
    });
}

/// kube-rs's event Recorder writes `events.k8s.io/v1` Events (creating, then merge-patching the series); the same
/// events are core Events too, as on a real server, and the scheduler's core Events read back in the new API.
#[test]
fn events_are_served_by_both_event_apis() {
    use k8s_openapi::api::core::v1::Event as CoreEvent;
    use k8s_openapi::api::events::v1::Event as NewEvent;
    use kube::runtime::events::{Event, EventType, Recorder, Reporter};
    let sim = common::start(Fleet::Demo, 10.0);
    sim.runtime.block_on(async {
        let client = client(&sim).await;
        let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
        let cm = cms.create(&PostParams::default(), &config_map("recorded")).await.expect("configmap");
        let reference = kube::Resource::object_ref(&cm, &());
        let recorder = Recorder::new(client.clone(), Reporter { controller: "bosun-test".into(), instance: None });
        let event = Event {
            type_: EventType::Warning,
            reason: "TrainingStalled".into(),
            note: Some("no metrics for 10 minutes".into()),
            action: "Watch".into(),
            secondary: None,
        };
        recorder.publish(&event, &reference).await.expect("first publish creates");
        recorder.publish(&event, &reference).await.expect("second publish patches the series");

        let core: Api<CoreEvent> = Api::namespaced(client.clone(), "default");
        let listed = core.list(&ListParams::default().fields("involvedObject.name=recorded")).await.expect("core list");
        let e = listed.items.first().expect("the event as a core Event");
        assert_eq!(e.reason.as_deref(), Some("TrainingStalled"));
        assert_eq!(e.message.as_deref(), Some("no metrics for 10 minutes"));
        assert_eq!(e.reporting_component.as_deref(), Some("bosun-test"));
        assert_eq!(e.count, Some(2));

        let new: Api<NewEvent> = Api::all(client);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        let scheduled = loop {
            let list = new.list(&ListParams::default().fields("reason=Scheduled")).await.expect("new list");
            if !list.items.is_empty() {
                break list;
            }
            assert!(tokio::time::Instant::now() < deadline, "no Scheduled event in the events.k8s.io API within 20 s");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        let first = scheduled.items.first().expect("the scheduler's events in the new API");
        assert_eq!(first.reporting_controller.as_deref(), Some("default-scheduler"));
        assert!(first.regarding.as_ref().is_some_and(|r| r.kind.as_deref() == Some("Pod")));
        let recorded =
            new.list(&ListParams::default().fields("regarding.name=recorded")).await.expect("selected by regarding");
        assert_eq!(recorded.items[0].series.as_ref().map(|s| s.count), Some(2));
    });
}
