use std::time::Duration;

use serde_json::{Value, json};

use crate::training::bosun;
use crate::util::start_sim;

/// `bosun teams` on kubesim: a team with a GPU quota, one pod running on AMD GPUs and one waiting for NVIDIA GPUs
/// the fleet does not offer yet, and the quota's used count as the server reports it.
#[test]
fn teams_show_gpus_against_quota_with_the_waiting_pods() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let kubeconfig = sim.server.kubeconfig_path().display().to_string();
    let client = crate::util::client(&sim);
    let pod = |name: &str, resource: &str, n: u32, user: &str| {
        json!({"apiVersion": "v1", "kind": "Pod",
               "metadata": {"name": name, "namespace": "research", "labels": {"bosun.dev/user": user}},
               "spec": {"tolerations": [{"key": resource, "operator": "Exists", "effect": "NoSchedule"}],
                        "containers": [{"name": "train", "image": "pytorch/pytorch:2.5.1",
                        "resources": {"limits": {resource: n.to_string()}}}]}})
    };
    sim.runtime.block_on(async {
        use kube::api::{Api, PostParams};
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        let ns = serde_json::from_value(json!({"metadata": {"name": "research"}})).expect("namespace");
        namespaces.create(&PostParams::default(), &ns).await.expect("namespace created");
        let quotas: Api<k8s_openapi::api::core::v1::ResourceQuota> = Api::namespaced(client.clone(), "research");
        let quota = serde_json::from_value(json!({"metadata": {"name": "gpu-quota"},
            "spec": {"hard": {"requests.amd.com/gpu": "8", "requests.nvidia.com/gpu": "4"}}}))
        .expect("quota");
        quotas.create(&PostParams::default(), &quota).await.expect("quota created");
        let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "research");
        for p in [pod("mi300", "amd.com/gpu", 2, "ana"), pod("h100", "nvidia.com/gpu", 4, "bo")] {
            let p = serde_json::from_value(p).expect("pod");
            pods.create(&PostParams::default(), &p).await.expect("pod created");
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let team = loop {
        let out = bosun(&["teams", "--kubeconfig", &kubeconfig, "-o", "json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        let team = rows.as_array().and_then(|r| r.iter().find(|t| t["namespace"] == "research")).cloned();
        if let Some(team) = team.filter(|t| t["running"] == 1 && t["quotas"][0]["used"].is_number()) {
            break team;
        }
        assert!(std::time::Instant::now() < deadline, "research never showed one running pod: {rows}");
        std::thread::sleep(Duration::from_millis(300));
    };
    assert_eq!((team["gpus_requested"].as_f64(), team["gpus_in_use"].as_f64()), (Some(6.0), Some(2.0)));
    assert_eq!((team["pending"].as_u64(), team["gpu_quota"].as_f64()), (Some(1), Some(4.0)));
    assert!(team["oldest_pending"].is_number());
    let who: Vec<&str> =
        team["creators"].as_array().expect("creators").iter().filter_map(|c| c["who"].as_str()).collect();
    assert_eq!(who, ["ana", "bo"]);
    let table = bosun(&["teams", "--kubeconfig", &kubeconfig]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("NAMESPACE") && text.contains("research") && text.contains("ana (1), bo (1)"), "{text}");
}

/// The Nodes screen's Teams tab: a team's GPUs against its quota, and the preset PriorityClass ladder created from
/// the button (shown to an account that may create them).
#[test]
fn the_teams_tab_shows_quotas_and_creates_the_priority_ladder() {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        use kube::api::{Api, PostParams};
        let quotas: Api<k8s_openapi::api::core::v1::ResourceQuota> = Api::namespaced(client.clone(), "ml-research");
        let quota = serde_json::from_value(json!({"metadata": {"name": "gpu-quota"},
            "spec": {"hard": {"requests.nvidia.com/gpu": "16"}}}))
        .expect("quota");
        quotas.create(&PostParams::default(), &quota).await.expect("quota created");
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = crate::util::app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    crate::util::wait_for(&mut harness, "the cluster", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    harness.get_by_role_and_label(Role::Button, "Nodes").click();
    harness.run_steps(2);
    harness.get_by_label("Teams and quotas").click();
    crate::util::wait_for_explained(
        &mut harness,
        "the teams",
        |s| s.teams.data.ready().is_some_and(|d| d.teams.iter().any(|t| t.namespace == "ml-research")),
        |s| format!("{:?}", s.teams.data),
    );
    let data = harness.state().state().teams.data.ready().cloned().expect("teams");
    let research = data.teams.iter().find(|t| t.namespace == "ml-research").expect("ml-research");
    assert_eq!(research.gpu_quota, Some(16.0));
    assert!(data.may_create_priorities, "the admin may create priority classes");
    harness.run_steps(2);
    harness.get_by_label("ml-research GPU quota");
    harness.get_by_label("Create the ladder: research-critical, team-default, best-effort").click();
    crate::util::wait_for_explained(
        &mut harness,
        "the ladder",
        |s| s.teams.data.ready().is_some_and(|d| d.priorities.iter().any(|c| c.name == "best-effort")),
        |s| format!("{:?} {:?}", s.teams.applying, s.toasts),
    );

    // The quota form: the team's AMD GPU quota set to 12, at most 4 per container, by server-side apply.
    assert!(harness.state().state().teams.data.ready().is_some_and(|d| d.may_edit_quotas));
    let form = bosun::state::teams::QuotaForm {
        namespace: "ml-research".into(),
        resource: "amd.com/gpu".into(),
        hard: 12,
        max_per_container: 4,
    };
    harness.state().command_sender().send(bosun::state::command::Command::SetQuotaForm(form));
    harness.run_steps(3);
    harness.get_by_label("Apply quota").click();
    crate::util::wait_for_explained(
        &mut harness,
        "the quota",
        |s| {
            s.teams.data.ready().is_some_and(|d| {
                d.teams.iter().any(|t| t.quotas.iter().any(|q| q.resource == "requests.amd.com/gpu" && q.hard == 12.0))
            })
        },
        |s| format!("{:?}", s.toasts),
    );
    sim.runtime.block_on(async {
        let ranges: kube::Api<k8s_openapi::api::core::v1::LimitRange> = kube::Api::namespaced(client, "ml-research");
        let range = ranges.get("gpu-limits").await.expect("the LimitRange");
        let max = range.spec.and_then(|s| s.limits.into_iter().next()).and_then(|l| l.max).unwrap_or_default();
        assert_eq!(max.get("amd.com/gpu").map(|q| q.0.as_str()), Some("4"));
    });
}

/// A viewer sees the teams' numbers, not the quota form or the ladder's button.
#[test]
fn a_viewer_sees_the_numbers_not_the_buttons() {
    use egui_kittest::kittest::Queryable;
    let sim = start_sim(kubesim::Fleet::Demo);
    let text = std::fs::read_to_string(sim.server.kubeconfig_path()).expect("kubeconfig");
    let mut config: Value = serde_json::from_str(&text).expect("kubesim writes its kubeconfig as JSON");
    config["current-context"] = json!("kubesim-viewer");
    let viewer = serde_json::to_string(&config).expect("kubeconfig JSON");
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("viewer.yaml");
    std::fs::write(&kubeconfig, viewer).expect("write kubeconfig");
    let mut harness = crate::util::app(dir.path(), kubeconfig);
    crate::util::wait_for(&mut harness, "the cluster", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    harness.get_by_role_and_label(egui::accesskit::Role::Button, "Nodes").click();
    harness.run_steps(2);
    harness.get_by_label("Teams and quotas").click();
    crate::util::wait_for_explained(
        &mut harness,
        "the teams",
        |s| s.teams.data.ready().is_some(),
        |s| format!("{:?}", s.teams.data),
    );
    harness.run_steps(3);
    let data = harness.state().state().teams.data.ready().cloned().expect("teams");
    assert!(!data.may_edit_quotas && !data.may_create_priorities);
    assert!(harness.query_by_label("Apply quota").is_none(), "a viewer gets no quota form");
    harness.get_by_label("Your account may not set quotas.");
}

/// The Nodes screen's Capacity planner tab on the demo fleet with a pod waiting for more AMD GPUs than any node has
/// free: it asks for one more node like the MI300X one, and says so.
#[test]
fn the_capacity_planner_tab_answers_for_the_waiting_pods() {
    use egui::accesskit::Role;
    use egui_kittest::kittest::Queryable;
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        use kube::api::{Api, PostParams};
        // Two pods of five AMD GPUs: the MI300X node (eight) holds one, whatever else runs there.
        let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(client.clone(), "default");
        for name in ["five-a", "five-b"] {
            let pod = json!({"metadata": {"name": name}, "spec": {
                "tolerations": [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "containers": [{"name": "main", "image": "rocm/pytorch:latest", "resources": {"limits": {"amd.com/gpu": "5"}}}]}});
            pods.create(&PostParams::default(), &serde_json::from_value(pod).expect("pod")).await.expect("pod created");
        }
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = crate::util::app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    // The ledger the planner is given already holds the pod that runs.
    crate::util::wait_for(&mut harness, "one pod on the MI300X node", |s| {
        s.cluster.as_ref().is_some_and(|c| {
            c.ledger.iter().any(|r| {
                r.node.name == "gpu-mi300x-1" && r.accelerators.get("amd.com/gpu").is_some_and(|u| u.requested >= 5.0)
            })
        })
    });
    harness.get_by_role_and_label(Role::Button, "Nodes").click();
    harness.run_steps(2);
    harness.get_by_label("Capacity planner").click();
    crate::util::wait_for_explained(
        &mut harness,
        "the plan",
        |s| s.planner.plan().is_some_and(|p| p.shape == "gpu-mi300x-1" && p.pending_pods >= 1),
        |s| format!("{:?}", s.planner.plans),
    );
    let plan = harness.state().state().planner.plan().cloned().expect("plan");
    assert_eq!((plan.nodes_needed, plan.enough), (1, true), "{plan:?}");
    assert!(!plan.still_waiting.iter().any(|w| w.name.starts_with("five-")), "{:?}", plan.still_waiting);
    harness.run_steps(2);
    harness.get_by_label_contains("1 more node like gpu-mi300x-1 runs");

    // A team quota the two pods fill, and a batch Job of two more five-GPU pods it holds back: the tab says so, and
    // planned as if the quota were 20 (the first guess: the quota plus what waits for it), both are planned too.
    sim.runtime.block_on(async {
        use kube::api::{Api, PostParams};
        let hard = [("requests.amd.com/gpu".to_string(), "10".to_string())].into();
        bosun::cluster::teams::apply_quota(&client, "default", "gpu-quota", &hard).await.expect("quota");
        let job = json!({"metadata": {"name": "eval"}, "spec": {"parallelism": 2, "completions": 2, "template": {"spec": {
            "restartPolicy": "Never",
            "tolerations": [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "eval", "image": "rocm/pytorch:latest", "command": ["sleep", "600"],
                "resources": {"limits": {"amd.com/gpu": "5"}}}]}}}});
        let jobs: Api<k8s_openapi::api::batch::v1::Job> = Api::namespaced(client.clone(), "default");
        jobs.create(&PostParams::default(), &serde_json::from_value(job).expect("job")).await.expect("job created");
        // Until the quota counts the two pods and the Job controller has been refused.
        let quotas: Api<k8s_openapi::api::core::v1::ResourceQuota> = Api::namespaced(client.clone(), "default");
        let events: Api<k8s_openapi::api::core::v1::Event> = Api::namespaced(client.clone(), "default");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            let quota = quotas.get("gpu-quota").await.expect("quota");
            let used = quota.status.and_then(|s| s.used).and_then(|u| u.get("requests.amd.com/gpu").cloned());
            let list = events.list(&Default::default()).await.expect("events");
            let refused = list.items.iter().any(|e| {
                e.reason.as_deref() == Some("FailedCreate") && e.involved_object.name.as_deref() == Some("eval")
            });
            if refused && used.is_some_and(|u| u.0 == "10") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the Job controller was never refused");
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    });
    // A changed question is asked at once (else every 30 s).
    harness.state().command_sender().send(bosun::state::command::Command::SetPlanMax(49));
    crate::util::wait_for_explained(
        &mut harness,
        "the Job held back by the quota",
        |s| s.planner.plan().is_some_and(|p| p.quota_held == 2),
        |s| format!("{:?}", s.planner.plans),
    );
    harness.run_steps(2);
    harness.get_by_label("Plan with it").click();
    crate::util::wait_for_explained(
        &mut harness,
        "the plan as if the quota were 20",
        |s| s.planner.what_if.is_some() && s.planner.plan().is_some_and(|p| p.quota_held == 0),
        |s| format!("{:?} {:?}", s.planner.what_if, s.planner.plans),
    );
    let state = harness.state().state();
    assert_eq!(state.planner.what_if.as_ref().map(ToString::to_string).as_deref(), Some("default/amd.com/gpu=20"));
    let plan = state.planner.plan().cloned().expect("plan");
    assert_eq!(plan.nodes_needed, 3, "each new node holds one five-GPU pod: {plan:?}");
}
