use bosun::state::Screen;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::util::{app, wait_for};

#[test]
fn nodes_screen_lists_filters_sorts_and_opens_a_node() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(kubesim::start(kubesim::Config::default())).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Nodes").click();
    // Wait until the device plugins have registered, so the summary above the table stops changing.
    wait_for(&mut harness, "node list", |s| {
        s.cluster
            .as_ref()
            .is_some_and(|c| c.nodes_synced && c.ledger.len() == 11 && c.totals.contains_key("amd.com/gpu"))
    });
    assert_eq!(harness.state().state().settings.screen, Screen::Nodes);
    harness.get_by_label("gpu-h100-1");
    assert!(harness.get_all_by_label("No plugin").count() >= 4, "NVIDIA nodes without a device plugin are flagged");

    harness.get_by_label("Filter nodes").focus();
    harness.run_steps(1);
    harness.get_by_label("Filter nodes").type_text("h100");
    harness.run_steps(3);
    assert!(harness.query_by_label("cpu-1").is_none());
    harness.get_by_label("gpu-h100-2");

    harness.get_by_label("gpu-h100-2").click();
    harness.run_steps(3);
    harness.get_by_label("Resources");
    harness.get_by_label_contains("no NVIDIA device plugin advertises nvidia.com/gpu");

    harness.get_by_role_and_label(Role::Button, "✖").click();
    harness.run_steps(2);
    assert!(harness.query_by_label("Resources").is_none(), "the detail closes");

    // Sorting by a header toggles the direction on a second click.
    harness.get_by_role_and_label(Role::Button, "Pod count").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Pod count ⬆").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "Pod count ⬇");
}

#[test]
fn pods_screen_filters_and_sorts_in_the_background() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(kubesim::start(kubesim::Config::default())).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Pods").click();
    wait_for(&mut harness, "pod list", |s| {
        s.cluster.as_ref().is_some_and(|c| c.pods_synced && c.pods.rows.len() >= 10)
    });
    harness.get_by_label("mi300x-eval");

    harness.get_by_label("Filter pods").focus();
    harness.run_steps(1);
    harness.get_by_label("Filter pods").type_text("recsys");
    wait_for(&mut harness, "filtered list", |s| s.cluster.as_ref().is_some_and(|c| c.pods.query.text == "recsys"));
    let names: Vec<String> = harness
        .state()
        .state()
        .cluster
        .as_ref()
        .map(|c| c.pods.rows.iter().map(|p| p.name.clone()).collect())
        .unwrap_or_default();
    assert_eq!(names.len(), 3, "{names:?}");
    assert!(names.iter().all(|n| n.starts_with("recsys-api-")));
    assert!(harness.query_by_label("mi300x-eval").is_none());

    harness.get_by_role_and_label(Role::Button, "Restarts").click();
    wait_for(&mut harness, "sorted list", |s| {
        s.cluster.as_ref().is_some_and(|c| c.pods.query.sort == bosun::state::cluster_view::PodSort::Restarts)
    });
    harness.get_by_role_and_label(Role::Button, "Restarts ⬆");
}

#[test]
fn a_pods_log_streams_into_the_detail_panel() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(kubesim::start(kubesim::Config::default())).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Pods").click();
    wait_for(&mut harness, "running pods", |s| {
        s.cluster.as_ref().is_some_and(|c| {
            c.pods.rows.iter().filter(|p| p.name.starts_with("recsys-api") && p.status == "Running").count() == 3
        })
    });
    let name = harness
        .state()
        .state()
        .cluster
        .as_ref()
        .and_then(|c| c.pods.rows.iter().find(|p| p.name.starts_with("recsys-api")).map(|p| p.name.clone()))
        .expect("a recsys pod");
    harness.get_by_label(&name).click();
    wait_for(&mut harness, "the pod's containers and events", |s| {
        s.pod_detail.as_ref().is_some_and(|d| d.detail.ready().is_some_and(|d| !d.events.is_empty()))
    });
    harness.get_by_label("Containers");
    harness.get_by_label("Scheduled");
    harness.get_by_label_contains("Successfully assigned");
    harness.get_by_label("Show logs").click();
    wait_for(&mut harness, "log lines", |s| {
        s.logs.as_ref().is_some_and(|l| l.lines.iter().any(|line| line.contains("recsys-api started")))
    });
    harness.get_by_label("Search the log");
    harness.get_by_label_contains("following");
}

#[test]
fn recent_warnings_reach_the_overview() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(kubesim::start(kubesim::Config::default())).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    // The demo's 70B fine-tune asks for 8 NVIDIA GPUs no node advertises.
    wait_for(&mut harness, "a scheduling warning", |s| {
        s.cluster.as_ref().is_some_and(|c| {
            c.recent_warnings.iter().any(|w| {
                w.reason == "FailedScheduling"
                    && w.object == "pod/llm-finetune-70b"
                    && w.message.contains("Insufficient nvidia.com/gpu")
            })
        })
    });
}

#[test]
fn workloads_tab_lists_filters_and_explains_a_workload() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(kubesim::start(kubesim::Config::default())).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Pods").click();
    wait_for(&mut harness, "workloads", |s| {
        s.cluster.as_ref().is_some_and(|c| c.workloads.iter().any(|w| w.name == "recsys-api" && w.state == "Steady"))
    });
    harness.get_by_label_contains("Workloads (").click();
    harness.run_steps(3);
    harness.get_by_label("tokenize-corpus");
    harness.get_by_label("Filter workloads").focus();
    harness.run_steps(1);
    harness.get_by_label("Filter workloads").type_text("recsys");
    harness.run_steps(3);
    assert!(harness.query_by_label("tokenize-corpus").is_none());
    assert_eq!(harness.get_all_by_label("recsys-api").count(), 2, "the Deployment and its HPA");
    harness.get_by_label("HPA").click();
    harness.run_steps(3);
    // The detail repeats the row's state and target.
    assert_eq!(harness.get_all_by_label_contains("Deployment/recsys-api · 2–10 replicas · CPU ").count(), 2);
    assert_eq!(harness.get_all_by_label("Steady").count(), 2);
    // HPAs run no pods of their own; the Deployment does.
    assert!(harness.query_by_label("Show its pods").is_none());
    harness.get_by_label("Deployment").click();
    harness.run_steps(3);
    harness.get_by_label("Show its pods").click();
    wait_for(&mut harness, "the Deployment's pods", |s| {
        s.pod_query.text == "ml-prod recsys-api"
            && s.cluster.as_ref().is_some_and(|c| {
                c.pods.query.text == "ml-prod recsys-api"
                    && c.pods.rows.len() == 3
                    && c.pods.rows.iter().all(|p| p.name.starts_with("recsys-api"))
            })
    });
}

#[test]
fn nodes_screen_shows_allocation_by_namespace() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let server = runtime.block_on(kubesim::start(kubesim::Config::default())).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    harness.get_by_role_and_label(Role::Button, "Nodes").click();
    wait_for(&mut harness, "namespace allocation", |s| {
        s.cluster.as_ref().is_some_and(|c| {
            c.namespace_allocation.iter().any(|a| a.namespace == "ml-research" && a.accelerators_total() > 0.0)
        })
    });
    harness.get_by_label_contains("By namespace (").click();
    harness.run_steps(3);
    harness.get_by_label("ml-research");
    harness.get_by_label_contains("2 AMD GPU");
    harness.get_by_role_and_label(Role::Button, "Accelerators requested ⬇");
}
