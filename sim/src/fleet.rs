//! Fleet profiles: the nodes, namespaces and workloads a simulated cluster starts with.
//!
//! - `demo`: a small GPU lab (H100 and MIG-partitioned A100 nodes, an AMD MI300X node, an FPGA node, CPU nodes),
//!   a few namespaces and running workloads. The NVIDIA device plugin is not installed yet, so NVIDIA nodes show
//!   their hardware labels but no `nvidia.com/gpu` until the stack installs it.
//! - `empty`: one control-plane node and the system namespaces.
//! - `scale`: N nodes and M running pods, for benchmarks.

use serde_json::{Value, json};

use crate::auth;
use crate::cluster::Cluster;

/// Which cluster to simulate.
#[derive(Debug, Clone, PartialEq)]
pub enum Fleet {
    Demo,
    Empty,
    Scale { nodes: usize, pods: usize },
}

impl Fleet {
    pub fn parse(name: &str, nodes: usize, pods: usize) -> Option<Self> {
        match name {
            "demo" => Some(Self::Demo),
            "empty" => Some(Self::Empty),
            "scale" => Some(Self::Scale { nodes, pods }),
            _ => None,
        }
    }
}

/// The GPU model of a node, with the labels GPU Feature Discovery would put on it.
#[derive(Debug, Clone, Copy)]
struct Gpu {
    product: &'static str,
    memory_mb: u32,
    family: &'static str,
    compute: (u32, u32),
}

const H100: Gpu = Gpu { product: "NVIDIA-H100-80GB-HBM3", memory_mb: 81559, family: "hopper", compute: (9, 0) };
const A100: Gpu = Gpu { product: "NVIDIA-A100-SXM4-40GB", memory_mb: 40960, family: "ampere", compute: (8, 0) };
const L4: Gpu = Gpu { product: "NVIDIA-L4", memory_mb: 23034, family: "ada-lovelace", compute: (8, 9) };

/// A node to create.
struct NodeSpec {
    name: String,
    cpu: u32,
    memory_gi: u32,
    instance_type: &'static str,
    zone: &'static str,
    labels: Vec<(String, String)>,
    taints: Vec<Value>,
    /// Accelerators present (advertised once their device plugin runs).
    devices: Vec<(String, i64)>,
}

impl NodeSpec {
    fn cpu(name: String, cpu: u32, memory_gi: u32, zone: &'static str) -> Self {
        Self {
            name,
            cpu,
            memory_gi,
            instance_type: "n2-standard-32",
            zone,
            labels: Vec::new(),
            taints: Vec::new(),
            devices: Vec::new(),
        }
    }

    fn nvidia(name: String, gpu: Gpu, count: u32, instance_type: &'static str, zone: &'static str) -> Self {
        let mut n = Self::cpu(name, 96, 1024, zone);
        n.instance_type = instance_type;
        n.labels.extend([
            ("nvidia.com/gpu.present".to_string(), "true".to_string()),
            ("nvidia.com/gpu.product".into(), gpu.product.into()),
            ("nvidia.com/gpu.memory".into(), gpu.memory_mb.to_string()),
            ("nvidia.com/gpu.count".into(), count.to_string()),
            ("nvidia.com/gpu.family".into(), gpu.family.into()),
            ("nvidia.com/gpu.compute.major".into(), gpu.compute.0.to_string()),
            ("nvidia.com/gpu.compute.minor".into(), gpu.compute.1.to_string()),
            ("nvidia.com/cuda.driver.major".into(), "550".into()),
            ("nvidia.com/cuda.driver.minor".into(), "127".into()),
            ("nvidia.com/cuda.driver.rev".into(), "08".into()),
            ("nvidia.com/cuda.runtime.major".into(), "12".into()),
            ("nvidia.com/cuda.runtime.minor".into(), "4".into()),
            ("nvidia.com/mig.strategy".into(), "single".into()),
            ("feature.node.kubernetes.io/pci-10de.present".into(), "true".into()),
        ]);
        n.taints.push(json!({"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}));
        n.devices.push(("nvidia.com/gpu".into(), i64::from(count)));
        n
    }
}

fn demo_nodes() -> Vec<NodeSpec> {
    let mut nodes = Vec::new();
    let mut cp = NodeSpec::cpu("kubesim-control-plane".into(), 8, 32, "us-central1-a");
    cp.labels.push(("node-role.kubernetes.io/control-plane".into(), String::new()));
    cp.taints.push(json!({"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}));
    nodes.push(cp);
    for i in 1..=2 {
        nodes.push(NodeSpec::nvidia(format!("gpu-h100-{i}"), H100, 8, "a3-highgpu-8g", "us-central1-a"));
    }
    for i in 1..=2 {
        let mut n = NodeSpec::nvidia(format!("gpu-a100-{i}"), A100, 8, "a2-highgpu-8g", "us-central1-b");
        // The A100 nodes are partitioned with MIG (mixed strategy): slices instead of whole GPUs.
        n.labels.retain(|(k, _)| k != "nvidia.com/mig.strategy");
        n.labels.push(("nvidia.com/mig.strategy".into(), "mixed".into()));
        n.labels.push(("nvidia.com/mig.config".into(), "all-balanced".into()));
        n.devices = vec![
            ("nvidia.com/gpu".into(), 4),
            ("nvidia.com/mig-1g.5gb".into(), 8),
            ("nvidia.com/mig-2g.10gb".into(), 4),
            ("nvidia.com/mig-3g.20gb".into(), 4),
        ];
        nodes.push(n);
    }
    nodes.push(NodeSpec::nvidia("gpu-l4-1".into(), L4, 4, "g2-standard-48", "us-central1-c"));
    let mut amd = NodeSpec::cpu("gpu-mi300x-1".into(), 128, 2048, "us-central1-c");
    amd.instance_type = "mi300x-8";
    amd.labels.extend([
        ("amd.com/gpu.family".to_string(), "AI".to_string()),
        ("amd.com/gpu.product-name".into(), "AMD_Instinct_MI300X_OAM".into()),
        ("amd.com/gpu.vram".into(), "192G".into()),
        ("amd.com/gpu.device-id".into(), "74a1".into()),
        ("feature.node.kubernetes.io/pci-1002.present".into(), "true".into()),
    ]);
    amd.taints.push(json!({"key": "amd.com/gpu", "value": "present", "effect": "NoSchedule"}));
    amd.devices.push(("amd.com/gpu".into(), 8));
    nodes.push(amd);
    let mut fpga = NodeSpec::cpu("fpga-1".into(), 32, 256, "us-central1-a");
    fpga.instance_type = "fpga-arria10";
    fpga.labels.push(("fpga.intel.com/arria10.dcp1.2".into(), "true".into()));
    fpga.labels.push(("feature.node.kubernetes.io/pci-8086.present".into(), "true".into()));
    fpga.devices.push(("fpga.intel.com/af-695.d84.aVKNtusxV3qMNmj5-qCB9thCTcSko8QT-J5DNoP5BAs".into(), 2));
    nodes.push(fpga);
    for i in 1..=3 {
        nodes.push(NodeSpec::cpu(
            format!("cpu-{i}"),
            32,
            128,
            ["us-central1-a", "us-central1-b", "us-central1-c"][i % 3],
        ));
    }
    nodes
}

fn node_object(spec: &NodeSpec, index: usize) -> Value {
    let mut labels = serde_json::Map::new();
    for (k, v) in [
        ("kubernetes.io/hostname", spec.name.as_str()),
        ("kubernetes.io/os", "linux"),
        ("kubernetes.io/arch", "amd64"),
        ("beta.kubernetes.io/os", "linux"),
        ("beta.kubernetes.io/arch", "amd64"),
        ("node.kubernetes.io/instance-type", spec.instance_type),
        ("topology.kubernetes.io/zone", spec.zone),
        ("topology.kubernetes.io/region", "us-central1"),
    ] {
        labels.insert(k.into(), json!(v));
    }
    for (k, v) in &spec.labels {
        labels.insert(k.clone(), json!(v));
    }
    let ip = format!("10.0.{}.{}", index / 250, index % 250 + 2);
    let memory_ki = u64::from(spec.memory_gi) * 1024 * 1024;
    let reserved_ki = (memory_ki / 50).max(512 * 1024);
    let now = crate::meta::now();
    let condition = |type_: &str, status: &str, reason: &str, message: &str| json!({"type": type_, "status": status, "reason": reason, "message": message, "lastHeartbeatTime": now, "lastTransitionTime": now});
    let mut node = json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": spec.name, "labels": labels, "annotations": {
            "node.alpha.kubernetes.io/ttl": "0",
            "volumes.kubernetes.io/controller-managed-attach-detach": "true"
        }},
        "spec": {"podCIDR": format!("10.244.{}.0/24", index % 256), "podCIDRs": [format!("10.244.{}.0/24", index % 256)], "providerID": format!("kubesim://{}", spec.name)},
        "status": {
            "capacity": {"cpu": spec.cpu.to_string(), "memory": format!("{memory_ki}Ki"), "pods": "110", "ephemeral-storage": "507944172Ki", "hugepages-1Gi": "0", "hugepages-2Mi": "0"},
            "allocatable": {"cpu": format!("{}m", spec.cpu * 1000 - 100 - spec.cpu * 10), "memory": format!("{}Ki", memory_ki - reserved_ki), "pods": "110", "ephemeral-storage": "468125057893", "hugepages-1Gi": "0", "hugepages-2Mi": "0"},
            "conditions": [
                condition("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                condition("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            ],
            "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": spec.name}],
            "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
            "nodeInfo": {
                "machineID": format!("{:032x}", index as u128 * 7919 + 17),
                "systemUUID": crate::meta::new_uid(),
                "bootID": crate::meta::new_uid(),
                "kernelVersion": "6.8.0-1019-gcp",
                "osImage": "Ubuntu 24.04.1 LTS",
                "containerRuntimeVersion": "containerd://2.0.2",
                "kubeletVersion": super::api::discovery::GIT_VERSION.trim_end_matches("+kubesim"),
                "kubeProxyVersion": "",
                "operatingSystem": "linux",
                "architecture": "amd64"
            }
        }
    });
    if !spec.taints.is_empty() {
        node["spec"]["taints"] = json!(spec.taints);
    }
    node
}

fn namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

fn service_account(ns: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": ns}})
}

/// Creates the objects of a fleet.
pub fn populate(cluster: &Cluster, fleet: &Fleet, seed: u64) {
    fastrand::seed(seed);
    for (_, value) in auth::viewer_rbac() {
        let _ = cluster.create(value);
    }
    let mut namespaces = vec!["default", "kube-system", "kube-public", "kube-node-lease"];
    if *fleet == Fleet::Demo {
        namespaces.extend(["ml-research", "ml-prod"]);
    }
    for ns in &namespaces {
        let _ = cluster.create(namespace(ns));
        let _ = cluster.create(service_account(ns));
    }
    let _ = cluster.create(json!({
        "apiVersion": "storage.k8s.io/v1", "kind": "StorageClass",
        "metadata": {"name": "standard", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "kubesim.dev/hostpath", "reclaimPolicy": "Delete", "volumeBindingMode": "Immediate"
    }));
    for (name, value) in [("system-cluster-critical", 2_000_000_000), ("system-node-critical", 2_000_001_000)] {
        let _ = cluster.create(json!({
            "apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass",
            "metadata": {"name": name}, "value": value, "globalDefault": false,
            "description": "Used for system critical pods that must run in the cluster."
        }));
    }
    let _ = cluster.create(json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "namespace": "default", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"clusterIP": "10.96.0.1", "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 6443}]}
    }));
    let nodes = match fleet {
        Fleet::Demo => demo_nodes(),
        Fleet::Empty => {
            let mut cp = NodeSpec::cpu("kubesim-control-plane".into(), 8, 32, "us-central1-a");
            cp.labels.push(("node-role.kubernetes.io/control-plane".into(), String::new()));
            vec![cp, NodeSpec::cpu("worker-1".into(), 16, 64, "us-central1-a")]
        }
        Fleet::Scale { nodes, .. } => (0..*nodes)
            .map(|i| {
                if i % 5 == 0 {
                    let gpu = if i % 10 == 0 { H100 } else { A100 };
                    NodeSpec::nvidia(format!("node-{i:05}"), gpu, 8, "a3-highgpu-8g", "us-central1-a")
                } else {
                    NodeSpec::cpu(
                        format!("node-{i:05}"),
                        64,
                        256,
                        ["us-central1-a", "us-central1-b", "us-central1-c"][i % 3],
                    )
                }
            })
            .collect(),
    };
    for (i, spec) in nodes.iter().enumerate() {
        cluster.set_hardware(&spec.name, spec.devices.clone());
        let _ = cluster.create_with_status(node_object(spec, i));
    }
    match fleet {
        Fleet::Demo => crate::workloads::demo(cluster),
        Fleet::Scale { nodes: n, pods } => crate::workloads::scale(cluster, *n, *pods),
        Fleet::Empty => {}
    }
}
