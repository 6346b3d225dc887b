//! The capacity planner against kubesim's scheduler: for generated clusters (with a DaemonSet taking most of each
//! H100 node's CPUs), the N new nodes the planner asks for get every waiting pod scheduled when added to the
//! cluster, and N-1 leave some waiting. `bosun plan` prints the
//! contract's JSON.

use std::time::{Duration, Instant};

use bosun::state::LaunchOptions;
use bosun::workloads::capacity::{self, PendingPod};
use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Api;
use kube::api::{ListParams, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

use crate::training::bosun;
use crate::util::{Sim, client, start_sim};

const NS: &str = "default";
const GATE: &str = "bosun.dev/held-for-the-test";

fn node(name: &str, product: &str, gpus: u32, cpu: u32, memory_gi: u32) -> Value {
    let allocatable = json!({"cpu": cpu.to_string(), "memory": format!("{memory_gi}Gi"), "pods": "110", "nvidia.com/gpu": gpus.to_string()});
    json!({"apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, "nvidia.com/gpu.product": product}},
        "spec": {"taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
        "status": {"capacity": allocatable, "allocatable": allocatable,
                   "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady", "message": "kubelet is posting ready status"}]}})
}

fn pod(name: &str, gpus: u32, cpu: u32, node: Option<&str>, job: Option<&str>, product: Option<&str>) -> Value {
    let mut p = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": NS, "labels": {}},
        "spec": {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                 "containers": [{"name": "main", "image": "nginx:1.27", "resources": {
                     "requests": {"cpu": cpu.to_string(), "memory": format!("{}Gi", cpu * 4)},
                     "limits": {"nvidia.com/gpu": gpus.to_string()}}}]}});
    match node {
        Some(n) => p["spec"]["nodeName"] = json!(n),
        None => p["spec"]["schedulingGates"] = json!([{"name": GATE}]),
    }
    if let Some(j) = job {
        p["metadata"]["labels"]["training.kubeflow.org/job-name"] = json!(j);
    }
    if let Some(product) = product {
        p["spec"]["nodeSelector"] = json!({"nvidia.com/gpu.product": product});
    }
    p
}

/// A generated cluster: H100 nodes (8 GPUs) and L4 nodes (4 GPUs) partly taken by running pods, and waiting pods
/// — alone or as 2–3 worker jobs, some pinned to H100 — held back by a scheduling gate until the test lets them go.
fn generate(seed: u64) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut nodes = Vec::new();
    let mut running = Vec::new();
    let mut shapes: Vec<(String, u32)> = (1..=rng.u32(1..=3)).map(|i| (format!("gpu-h100-{i}"), 8)).collect();
    shapes.extend((1..=rng.u32(0..=2)).map(|i| (format!("gpu-l4-{i}"), 4)));
    for (name, gpus) in &shapes {
        let (product, cpu, mem) = if *gpus == 8 { ("H100", 96, 1024) } else { ("L4", 48, 192) };
        nodes.push(node(name, product, *gpus, cpu, mem));
        let mut used = rng.u32(0..=*gpus);
        let mut k = 0;
        while used > 0 {
            let take = rng.u32(1..=2).min(used);
            running.push(pod(&format!("run-{name}-{k}"), take, rng.u32(1..=4), Some(name), None, None));
            used -= take;
            k += 1;
        }
    }
    let mut waiting = Vec::new();
    for unit in 0..rng.usize(4..=9) {
        if rng.u32(..3) == 0 {
            let job = format!("job-{unit:02}");
            let gpus = [2, 4][rng.usize(..2)];
            for w in 0..rng.u32(2..=3) {
                waiting.push(pod(&format!("{job}-worker-{w}"), gpus, 4, None, Some(&job), None));
            }
        } else {
            let gpus = [1, 2, 4, 8][rng.usize(..4)];
            let pinned = (rng.u32(..4) == 0).then_some("H100");
            waiting.push(pod(&format!("pod-{unit:02}"), gpus, rng.u32(1..=8), None, None, pinned));
        }
    }
    (nodes, running, waiting)
}

/// A node agent on every H100 node taking 60 of its 96 CPUs: a new node gives it as much.
fn node_agent() -> Value {
    json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "node-agent", "namespace": "kube-system"},
        "spec": {"selector": {"matchLabels": {"app": "node-agent"}},
            "template": {"metadata": {"labels": {"app": "node-agent"}},
                "spec": {"nodeSelector": {"nvidia.com/gpu.product": "H100"},
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [{"name": "agent", "image": "nginx:1.27",
                        "resources": {"requests": {"cpu": "60", "memory": "8Gi"}}}]}}}})
}

/// Waits until every node named has its node agent running.
fn agents_on(sim: &Sim, client: &kube::Client, nodes: &[String]) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), "kube-system");
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let list = sim.runtime.block_on(pods.list(&ListParams::default().labels("app=node-agent"))).expect("pods");
        let on = |n: &String| {
            list.items.iter().any(|p| {
                p.spec.as_ref().and_then(|s| s.node_name.as_ref()) == Some(n)
                    && p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
            })
        };
        if nodes.iter().all(on) {
            return;
        }
        assert!(Instant::now() < deadline, "the node agent never ran on every node");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Starts an empty kubesim and creates the generated objects.
fn cluster(seed: u64) -> (Sim, kube::Client) {
    let sim = start_sim(kubesim::Fleet::Empty);
    let client = client(&sim);
    let (nodes, running, waiting) = generate(seed);
    sim.runtime.block_on(async {
        let node_api: Api<Node> = Api::all(client.clone());
        for n in nodes {
            node_api
                .create(&PostParams::default(), &serde_json::from_value(n).expect("node"))
                .await
                .expect("node created");
        }
        let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
        for p in running.into_iter().chain(waiting) {
            pods.create(&PostParams::default(), &serde_json::from_value(p).expect("pod")).await.expect("pod created");
        }
        let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        if namespaces.get_opt("kube-system").await.expect("namespaces").is_none() {
            let ns = serde_json::from_value(json!({"metadata": {"name": "kube-system"}})).expect("namespace");
            namespaces.create(&PostParams::default(), &ns).await.expect("namespace");
        }
        let daemonsets: Api<k8s_openapi::api::apps::v1::DaemonSet> = Api::namespaced(client.clone(), "kube-system");
        let agent = serde_json::from_value(node_agent()).expect("daemonset");
        daemonsets.create(&PostParams::default(), &agent).await.expect("daemonset created");
    });
    let h100: Vec<String> = generate(seed)
        .0
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str())
        .filter(|n| n.starts_with("gpu-h100"))
        .map(str::to_string)
        .collect();
    agents_on(&sim, &client, &h100);
    (sim, client)
}

/// The waiting pods as the planner will see them once their gate is gone, in the scheduler's queue order.
fn held_pods(sim: &Sim, client: &kube::Client) -> Vec<PendingPod> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let list = sim.runtime.block_on(pods.list(&ListParams::default())).expect("pods");
    let mut held: Vec<PendingPod> = list
        .items
        .into_iter()
        .filter(|p| p.spec.as_ref().is_some_and(|s| s.scheduling_gates.is_some()))
        .filter_map(|mut p| {
            p.spec.as_mut()?.scheduling_gates = None;
            PendingPod::from_pod(&p)
        })
        .collect();
    held.sort_by(|a, b| b.priority.cmp(&a.priority).then_with(|| (&a.created, &a.name).cmp(&(&b.created, &b.name))));
    held
}

/// Adds nodes named `names` shaped like `shape` (its labels, taints and status, as a new kubelet would register).
fn add_nodes(sim: &Sim, client: &kube::Client, shape: &str, names: &[String]) {
    let api: Api<Node> = Api::all(client.clone());
    sim.runtime.block_on(async {
        let base = api.get(shape).await.expect("shape node");
        for name in names {
            let mut copy = serde_json::to_value(&base).expect("node JSON");
            copy["metadata"] = json!({"name": name, "labels": base.metadata.labels});
            copy["metadata"]["labels"]["kubernetes.io/hostname"] = json!(name);
            api.create(&PostParams::default(), &serde_json::from_value(copy).expect("node")).await.expect("node added");
        }
    });
}

/// Lets the held pods go to the scheduler, in its queue order (so it sees them as the planner did).
fn release(sim: &Sim, client: &kube::Client, held: &[PendingPod]) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    sim.runtime.block_on(async {
        for p in held {
            let patch = json!({"spec": {"schedulingGates": []}});
            pods.patch(&p.name, &PatchParams::default(), &Patch::Merge(&patch)).await.expect("gate removed");
        }
    });
}

/// Waits until the scheduler has decided on every pod (bound, or marked unschedulable); returns the unbound ones.
fn settle(sim: &Sim, client: &kube::Client) -> Vec<String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let deadline = Instant::now() + Duration::from_secs(40);
    loop {
        let list = sim.runtime.block_on(pods.list(&ListParams::default())).expect("pods");
        let unbound: Vec<&Pod> =
            list.items.iter().filter(|p| p.spec.as_ref().and_then(|s| s.node_name.as_ref()).is_none()).collect();
        let undecided = unbound.iter().any(|p| {
            !p.status.as_ref().and_then(|s| s.conditions.as_ref()).is_some_and(|c| {
                c.iter().any(|c| c.type_ == "PodScheduled" && c.reason.as_deref() == Some("Unschedulable"))
            })
        });
        if !undecided {
            return unbound.iter().filter_map(|p| p.metadata.name.clone()).collect();
        }
        assert!(Instant::now() < deadline, "the scheduler never decided on every pod");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The held pods, and the planner's answer for nodes like `gpu-h100-1` (at most 20) from the cluster's ledger.
fn planned(sim: &Sim, client: &kube::Client) -> (Vec<PendingPod>, capacity::Plan) {
    let launch = LaunchOptions { kubeconfig: Some(sim.server.kubeconfig_path().to_path_buf()), ..Default::default() };
    let ledger = sim.runtime.block_on(bosun::cli::nodes::ledger_for(&launch, Duration::from_secs(30))).expect("ledger");
    let held = held_pods(sim, client);
    let plan = capacity::plan(&ledger, &held, &[], "gpu-h100-1", 20).expect("plan");
    (held, plan)
}

#[test]
fn the_nodes_the_planner_asks_for_are_exactly_enough_on_kubesim() {
    let mut tried = 0;
    for seed in [3, 11, 29, 42, 57, 88, 101, 140] {
        let (sim, client) = cluster(seed);
        let (held, plan) = planned(&sim, &client);
        assert!(plan.enough && plan.still_waiting.is_empty(), "seed {seed}: every pod fits an H100 node: {plan:?}");
        add_nodes(&sim, &client, "gpu-h100-1", &plan.new_nodes);
        agents_on(&sim, &client, &plan.new_nodes);
        release(&sim, &client, &held);
        let unbound = settle(&sim, &client);
        assert!(unbound.is_empty(), "seed {seed}: {} new nodes left {unbound:?} waiting", plan.nodes_needed);
        drop(sim);
        if plan.nodes_needed == 0 {
            continue;
        }
        tried += 1;
        // A fresh copy of the cluster, planned again (its pods' creation times, which order the queue, may differ
        // by a second), given one node fewer than asked for.
        let (sim, client) = cluster(seed);
        let (held, plan) = planned(&sim, &client);
        if plan.nodes_needed == 0 {
            continue;
        }
        let fewer = &plan.new_nodes[..plan.new_nodes.len() - 1];
        add_nodes(&sim, &client, "gpu-h100-1", fewer);
        agents_on(&sim, &client, fewer);
        release(&sim, &client, &held);
        let unbound = settle(&sim, &client);
        assert!(
            !unbound.is_empty(),
            "seed {seed}: {} nodes were asked for, but {} sufficed",
            plan.nodes_needed,
            fewer.len()
        );

        // The command line says the same of what still waits.
        let kubeconfig = sim.server.kubeconfig_path().display().to_string();
        let out = bosun(&["plan", "--kubeconfig", &kubeconfig, "--shape", "gpu-h100-1", "--max", "20", "-o", "json"]);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let json: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert_eq!(json["shape"], "gpu-h100-1");
        assert!(json["nodes_needed"].as_u64().is_some_and(|n| n >= 1), "{json}");
        assert!(json["still_waiting"].as_array().is_some_and(Vec::is_empty), "{json}");
        assert!(json["utilisation_after"].as_f64().is_some_and(|u| u > 0.0 && u <= 1.0), "{json}");
    }
    assert!(tried >= 2, "the generated clusters should mostly need new nodes");
}
