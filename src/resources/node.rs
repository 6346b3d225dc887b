//! Node → [`NodeRow`]: readiness, roles, taints, allocatable CPU/memory, every accelerator resource with capacity
//! and allocatable, the GPU model from GPU Feature Discovery labels, and a hint when hardware is labelled but no
//! device plugin advertises it.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Node;
use serde::Serialize;

use super::accelerators::AcceleratorKind;
use super::quantity;
use crate::tone::Tone;

/// Capacity and allocatable of one resource on a node.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Amount {
    pub capacity: f64,
    pub allocatable: f64,
}

/// The GPU model as GPU Feature Discovery labels describe it.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GpuModel {
    pub vendor: String,
    pub product: String,
    /// Memory per GPU in MiB.
    pub memory_mib: Option<u64>,
    /// Devices according to the labels (independent of any device plugin).
    pub count: Option<u32>,
    pub family: Option<String>,
    pub driver: Option<String>,
    pub cuda: Option<String>,
    pub mig_strategy: Option<String>,
}

/// What the screens show of a node.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct NodeRow {
    pub name: String,
    pub ready: bool,
    pub unschedulable: bool,
    pub roles: Vec<String>,
    /// `key=value:Effect`, as kubectl prints them.
    pub taints: Vec<String>,
    pub cpu: Amount,
    /// Bytes.
    pub memory: Amount,
    pub pods: Amount,
    /// Accelerator resources by resource name (`nvidia.com/gpu`, `nvidia.com/mig-1g.5gb`, …).
    pub accelerators: BTreeMap<String, Amount>,
    pub gpu: Option<GpuModel>,
    pub instance_type: Option<String>,
    pub zone: Option<String>,
    /// Unix seconds.
    pub created: i64,
    /// Set when the labels show accelerators that no device plugin advertises.
    pub hint: Option<String>,
    /// All of the node's labels (node selectors are matched against them).
    pub labels: BTreeMap<String, String>,
}

fn label<'a>(labels: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    labels.get(key).map(String::as_str)
}

fn gpu_model(labels: &BTreeMap<String, String>) -> Option<GpuModel> {
    if let Some(product) = label(labels, "nvidia.com/gpu.product") {
        let version = |major: &str, minor: &str, rev: Option<&str>| {
            let (major, minor) = (label(labels, major)?, label(labels, minor)?);
            Some(match rev.and_then(|r| label(labels, r)) {
                Some(rev) => format!("{major}.{minor}.{rev}"),
                None => format!("{major}.{minor}"),
            })
        };
        return Some(GpuModel {
            vendor: "NVIDIA".into(),
            product: product.to_string(),
            memory_mib: label(labels, "nvidia.com/gpu.memory").and_then(|m| m.parse().ok()),
            count: label(labels, "nvidia.com/gpu.count").and_then(|c| c.parse().ok()),
            family: label(labels, "nvidia.com/gpu.family").map(str::to_string),
            driver: version(
                "nvidia.com/cuda.driver.major",
                "nvidia.com/cuda.driver.minor",
                Some("nvidia.com/cuda.driver.rev"),
            ),
            cuda: version("nvidia.com/cuda.runtime.major", "nvidia.com/cuda.runtime.minor", None),
            mig_strategy: label(labels, "nvidia.com/mig.strategy").map(str::to_string),
        });
    }
    let amd_product = label(labels, "amd.com/gpu.product-name").or(label(labels, "amd.com/gpu.device-id"));
    if let Some(product) = amd_product {
        let memory_mib =
            label(labels, "amd.com/gpu.vram").and_then(|v| quantity::parse(v.trim_end_matches('B'))).map(|b| {
                // AMD labels use "192G" for gibibytes of VRAM.
                (b / 1e9 * 1024.0) as u64
            });
        return Some(GpuModel {
            vendor: "AMD".into(),
            product: product.to_string(),
            memory_mib,
            family: label(labels, "amd.com/gpu.family").map(str::to_string),
            ..Default::default()
        });
    }
    None
}

/// The hint for hardware that is labelled but not advertised by a device plugin.
fn plugin_hint(
    gpu: Option<&GpuModel>,
    labels: &BTreeMap<String, String>,
    accelerators: &BTreeMap<String, Amount>,
) -> Option<String> {
    let advertised = |vendor: &str| {
        accelerators
            .iter()
            .any(|(r, a)| a.capacity > 0.0 && AcceleratorKind::of(r).is_some_and(|k| k.vendor() == vendor))
    };
    if let Some(gpu) = gpu
        && !advertised(&gpu.vendor)
    {
        let count = gpu.count.map(|c| format!("{c}× ")).unwrap_or_default();
        let resource = if gpu.vendor == "AMD" { "amd.com/gpu" } else { "nvidia.com/gpu" };
        return Some(format!(
            "{count}{} is labelled on this node, but no {} device plugin advertises {resource}: install the device plugin (Install screen) so pods can request it.",
            gpu.product, gpu.vendor
        ));
    }
    let nvidia_pci = label(labels, "feature.node.kubernetes.io/pci-10de.present") == Some("true");
    if gpu.is_none() && nvidia_pci && !advertised("NVIDIA") {
        return Some("An NVIDIA PCI device is present, but no device plugin advertises nvidia.com/gpu.".into());
    }
    None
}

/// The row of a node.
pub fn row(node: &Node) -> NodeRow {
    let meta = &node.metadata;
    let labels = meta.labels.clone().unwrap_or_default();
    let status = node.status.as_ref();
    let spec = node.spec.as_ref();
    let amount = |resource: &str| Amount {
        capacity: status.and_then(|s| s.capacity.as_ref()).and_then(|c| c.get(resource)).map_or(0.0, quantity::value),
        allocatable: status
            .and_then(|s| s.allocatable.as_ref())
            .and_then(|c| c.get(resource))
            .map_or(0.0, quantity::value),
    };
    let mut resources: Vec<&String> =
        status.and_then(|s| s.capacity.as_ref()).map(|c| c.keys().collect()).unwrap_or_default();
    resources
        .extend(status.and_then(|s| s.allocatable.as_ref()).map(|c| c.keys().collect::<Vec<_>>()).unwrap_or_default());
    let accelerators: BTreeMap<String, Amount> =
        resources.into_iter().filter(|r| AcceleratorKind::of(r).is_some()).map(|r| (r.clone(), amount(r))).collect();
    let ready = status
        .and_then(|s| s.conditions.as_ref())
        .and_then(|c| c.iter().find(|c| c.type_ == "Ready"))
        .is_some_and(|c| c.status == "True");
    let mut roles: Vec<String> =
        labels.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).map(str::to_string).collect();
    roles.sort();
    let taints = spec
        .and_then(|s| s.taints.as_ref())
        .map(|ts| {
            ts.iter()
                .map(|t| match t.value.as_deref().filter(|v| !v.is_empty()) {
                    Some(v) => format!("{}={v}:{}", t.key, t.effect),
                    None => format!("{}:{}", t.key, t.effect),
                })
                .collect()
        })
        .unwrap_or_default();
    let gpu = gpu_model(&labels);
    let hint = plugin_hint(gpu.as_ref(), &labels, &accelerators);
    NodeRow {
        name: meta.name.clone().unwrap_or_default(),
        ready,
        unschedulable: spec.and_then(|s| s.unschedulable).unwrap_or(false),
        roles,
        taints,
        cpu: amount("cpu"),
        memory: amount("memory"),
        pods: amount("pods"),
        accelerators,
        gpu,
        instance_type: label(&labels, "node.kubernetes.io/instance-type").map(str::to_string),
        zone: label(&labels, "topology.kubernetes.io/zone").map(str::to_string),
        created: meta.creation_timestamp.as_ref().map_or(0, |t| t.0.as_second()),
        hint,
        labels,
    }
}

/// How a node is doing, for its colour.
pub fn health(row: &NodeRow) -> Tone {
    if !row.ready {
        Tone::Err
    } else if row.unschedulable || row.hint.is_some() {
        Tone::Warn
    } else {
        Tone::Ok
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn node(json: serde_json::Value) -> Node {
        serde_json::from_value(json).expect("node fixture")
    }

    fn h100(with_plugin: bool) -> Node {
        let mut capacity = serde_json::json!({"cpu": "96", "memory": "1056Gi", "pods": "110"});
        if with_plugin {
            capacity["nvidia.com/gpu"] = serde_json::json!("8");
        }
        node(serde_json::json!({
            "metadata": {"name": "gpu-h100-1", "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {
                "nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3", "nvidia.com/gpu.memory": "81559", "nvidia.com/gpu.count": "8",
                "nvidia.com/gpu.family": "hopper", "nvidia.com/cuda.driver.major": "550", "nvidia.com/cuda.driver.minor": "127",
                "nvidia.com/cuda.driver.rev": "08", "nvidia.com/cuda.runtime.major": "12", "nvidia.com/cuda.runtime.minor": "4",
                "node.kubernetes.io/instance-type": "a3-highgpu-8g"}},
            "spec": {"taints": [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]},
            "status": {"capacity": capacity.clone(), "allocatable": capacity, "conditions": [{"type": "Ready", "status": "True"}]}
        }))
    }

    #[test]
    fn gpu_node_row_reads_labels_taints_and_devices() {
        let r = row(&h100(true));
        assert_eq!(r.name, "gpu-h100-1");
        assert!(r.ready);
        assert_eq!(r.taints, ["nvidia.com/gpu=present:NoSchedule"]);
        assert_eq!(r.accelerators["nvidia.com/gpu"], Amount { capacity: 8.0, allocatable: 8.0 });
        let gpu = r.gpu.clone().unwrap();
        assert_eq!(
            (gpu.product.as_str(), gpu.memory_mib, gpu.driver.as_deref(), gpu.cuda.as_deref()),
            ("NVIDIA-H100-80GB-HBM3", Some(81559), Some("550.127.08"), Some("12.4"))
        );
        assert_eq!(r.cpu.capacity, 96.0);
        assert!(r.hint.is_none());
        assert_eq!(health(&r), Tone::Ok);
    }

    #[test]
    fn labelled_gpus_without_a_device_plugin_get_a_hint() {
        let r = row(&h100(false));
        assert!(r.accelerators.is_empty());
        let hint = r.hint.clone().unwrap();
        assert!(hint.contains("8× NVIDIA-H100-80GB-HBM3") && hint.contains("no NVIDIA device plugin"), "{hint}");
        assert_eq!(health(&r), Tone::Warn);
    }

    #[test]
    fn a_bare_node_without_status_still_has_a_row() {
        let r = row(&node(serde_json::json!({"metadata": {"name": "new"}})));
        assert!(!r.ready && r.accelerators.is_empty() && r.gpu.is_none());
        assert_eq!(health(&r), Tone::Err);
    }
}
