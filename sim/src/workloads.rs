//! The workloads a fleet starts with: system add-ons, and for the demo a few teams' applications and jobs.

use serde_json::{Value, json};

use crate::cluster::Cluster;

fn daemonset(ns: &str, name: &str, image: &str, node_selector: Value, tolerations: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name}},
                "spec": {
                    "priorityClassName": "system-node-critical",
                    "nodeSelector": node_selector,
                    "tolerations": tolerations,
                    "containers": [{"name": name, "image": image, "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}}}]
                }
            }
        }
    })
}

fn deployment(ns: &str, name: &str, replicas: i64, image: &str, requests: Value) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns, "labels": {"app.kubernetes.io/name": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app.kubernetes.io/name": name}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": name}},
                "spec": {"containers": [{"name": name, "image": image, "ports": [{"containerPort": 8080}], "resources": {"requests": requests}}]}
            }
        }
    })
}

fn create_all(cluster: &Cluster, objects: Vec<Value>) {
    for o in objects {
        if let Err(e) = cluster.create(o) {
            tracing::warn!("fleet object not created: {}", e.message);
        }
    }
}

fn device_plugins() -> Vec<Value> {
    vec![
        daemonset(
            "kube-system",
            "amd-gpu-device-plugin",
            "docker.io/rocm/k8s-device-plugin:1.31.0.6",
            json!({"feature.node.kubernetes.io/pci-1002.present": "true"}),
            json!([{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]),
        ),
        daemonset(
            "kube-system",
            "intel-fpga-plugin",
            "docker.io/intel/intel-fpga-plugin:0.31.1",
            json!({"feature.node.kubernetes.io/pci-8086.present": "true"}),
            json!([]),
        ),
    ]
}

/// The demo's workloads: system add-ons, a serving team and a research team.
pub fn demo(cluster: &Cluster) {
    let mut objects = device_plugins();
    objects.push(deployment(
        "kube-system",
        "coredns",
        2,
        "registry.k8s.io/coredns/coredns:v1.12.0",
        json!({"cpu": "100m", "memory": "70Mi"}),
    ));
    objects.push(deployment(
        "ml-prod",
        "recsys-api",
        3,
        "ghcr.io/acme/recsys-api:2.4.1",
        json!({"cpu": "500m", "memory": "1Gi"}),
    ));
    objects.push(deployment(
        "ml-prod",
        "feature-store",
        2,
        "ghcr.io/acme/feature-store:1.9.0",
        json!({"cpu": "1", "memory": "4Gi"}),
    ));
    objects.push(json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "recsys-api", "namespace": "ml-prod"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "recsys-api"}, "minReplicas": 2, "maxReplicas": 10,
            "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}}}]}
    }));
    objects.push(json!({
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"name": "tokenize-corpus", "namespace": "ml-research"},
        "spec": {"completions": 3, "parallelism": 2, "template": {"spec": {"restartPolicy": "Never", "containers": [{
            "name": "tokenize", "image": "ghcr.io/acme/tokenizer:0.7", "command": ["sh", "-c", "echo tokenizing shard; sleep 20"],
            "resources": {"requests": {"cpu": "2", "memory": "8Gi"}}}]}}}
    }));
    objects.push(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "mi300x-eval", "namespace": "ml-research", "labels": {"app.kubernetes.io/name": "mi300x-eval"}},
        "spec": {"restartPolicy": "Always", "tolerations": [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "eval", "image": "docker.io/rocm/pytorch:rocm6.2_ubuntu22.04_py3.10_pytorch_release_2.3.0", "command": ["sleep", "infinity"],
                "resources": {"limits": {"amd.com/gpu": "2"}, "requests": {"cpu": "8", "memory": "64Gi"}}}]}
    }));
    objects.push(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "llm-finetune-70b", "namespace": "ml-research", "labels": {"app.kubernetes.io/name": "llm-finetune"}},
        "spec": {"restartPolicy": "Never", "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "train", "image": "nvcr.io/nvidia/pytorch:24.10-py3", "args": ["--epochs=30", "--lr=0.0003"],
                "resources": {"limits": {"nvidia.com/gpu": "8"}, "requests": {"cpu": "32", "memory": "512Gi"}}}]}
    }));
    create_all(cluster, objects);
}

/// The scale fleet's workloads: the GPU device plugin, and `pods` running pods spread over the nodes.
pub fn scale(cluster: &Cluster, nodes: usize, pods: usize) {
    let mut objects = vec![daemonset(
        "kube-system",
        "nvidia-device-plugin",
        "nvcr.io/nvidia/k8s-device-plugin:v0.17.0",
        json!({"nvidia.com/gpu.present": "true"}),
        json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]),
    )];
    let namespaces = 50usize;
    for i in 0..namespaces {
        objects.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": format!("team-{i:02}")}}));
    }
    create_all(cluster, objects);
    let now = crate::meta::now();
    for i in 0..pods {
        let node_index = i % nodes.max(1);
        let node = format!("node-{node_index:05}");
        let gpu_node = node_index.is_multiple_of(5);
        let ns = format!("team-{:02}", i % namespaces);
        let app = format!("svc-{:03}", (i / namespaces) % 400);
        let name = format!("{app}-{:08x}-{:05}", (i as u64).wrapping_mul(2_654_435_761) & 0xffff_ffff, i % 100_000);
        let mut resources = json!({"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}});
        if gpu_node && i % 3 == 0 {
            resources["limits"]["nvidia.com/gpu"] = json!("1");
        }
        let ip = format!("10.{}.{}.{}", 64 + (i >> 16) % 64, (i >> 8) & 0xff, i & 0xff);
        let pod = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": app, "tier": "backend", "team": ns}},
            "spec": {
                "nodeName": node,
                "restartPolicy": "Always",
                "tolerations": if gpu_node { json!([{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]) } else { json!([]) },
                "containers": [{"name": "app", "image": format!("ghcr.io/acme/{app}:1.0.{}", i % 7), "ports": [{"containerPort": 8080, "protocol": "TCP"}], "resources": resources,
                    "env": [{"name": "LOG_LEVEL", "value": "info"}]}]
            },
            "status": {
                "phase": "Running",
                "conditions": [
                    {"type": "PodReadyToStartContainers", "status": "True", "lastTransitionTime": now},
                    {"type": "Initialized", "status": "True", "lastTransitionTime": now},
                    {"type": "Ready", "status": "True", "lastTransitionTime": now},
                    {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
                    {"type": "PodScheduled", "status": "True", "lastTransitionTime": now}
                ],
                "hostIP": format!("10.0.{}.{}", node_index / 250, node_index % 250 + 2),
                "podIP": ip,
                "podIPs": [{"ip": ip}],
                "startTime": now,
                "qosClass": "Burstable",
                "containerStatuses": [{"name": "app", "ready": true, "started": true, "restartCount": 0, "image": format!("ghcr.io/acme/{app}:1.0.{}", i % 7),
                    "imageID": "", "containerID": format!("containerd://{:064x}", i), "state": {"running": {"startedAt": now}}, "lastState": {}}]
            }
        });
        if let Err(e) = cluster.create_with_status(pod) {
            tracing::warn!("scale pod not created: {}", e.message);
        }
    }
}
