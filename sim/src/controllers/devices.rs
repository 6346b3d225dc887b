//! Device plugins: a node advertises its accelerators (`nvidia.com/gpu`, MIG slices, `amd.com/gpu`, Intel FPGAs)
//! in capacity and allocatable only while the vendor's device-plugin pod runs on it, as on a real cluster.

use std::collections::HashSet;

use serde_json::{Value, json};

use super::{is_deleting, nodes_key, pods_key};
use crate::cluster::Cluster;
use crate::meta;

/// The vendor whose plugin advertises a resource.
fn vendor_of_resource(resource: &str) -> &'static str {
    if resource.starts_with("nvidia.com/") {
        "nvidia"
    } else if resource.starts_with("amd.com/") {
        "amd"
    } else if resource.starts_with("fpga.intel.com/") || resource.starts_with("gpu.intel.com/") {
        "intel"
    } else {
        "other"
    }
}

/// The vendor a device-plugin image belongs to, recognised by image name (any registry and tag).
pub fn vendor_of_image(image: &str) -> Option<&'static str> {
    let path = image.split('@').next().unwrap_or(image);
    let repo = path.rsplit_once(':').filter(|(_, tag)| !tag.contains('/')).map_or(path, |(r, _)| r);
    if repo.ends_with("k8s-device-plugin") {
        return Some(if repo.contains("rocm/") { "amd" } else { "nvidia" });
    }
    if repo.ends_with("intel-fpga-plugin") || repo.ends_with("intel-gpu-plugin") {
        return Some("intel");
    }
    None
}

pub fn reconcile(cluster: &Cluster) {
    let (pods, _) = cluster.store.list(&pods_key(), None);
    let mut running: HashSet<(String, &'static str)> = HashSet::new();
    for p in pods.iter().filter(|p| meta::str_at(&p.value, "/status/phase") == "Running" && !is_deleting(&p.value)) {
        let node = meta::str_at(&p.value, "/spec/nodeName").to_string();
        for c in p.value.pointer("/spec/containers").and_then(Value::as_array).into_iter().flatten() {
            if let Some(vendor) = vendor_of_image(meta::str_at(c, "/image")) {
                running.insert((node.clone(), vendor));
            }
        }
    }
    let (nodes, _) = cluster.store.list(&nodes_key(), None);
    for node in nodes {
        super::isolated(cluster, "devices", &node.value, || {
            let hardware = cluster.hardware_of(node.name());
            if hardware.is_empty() {
                return;
            }
            let name = node.name().to_string();
            cluster.modify(&nodes_key(), "", &name, |n| {
                let before = n.get("status").cloned();
                for (resource, count) in &hardware {
                    let advertised = running.contains(&(name.clone(), vendor_of_resource(resource)));
                    for field in ["capacity", "allocatable"] {
                        let Some(map) = n.pointer_mut(&format!("/status/{field}")).and_then(Value::as_object_mut)
                        else {
                            continue;
                        };
                        if advertised {
                            map.insert(resource.clone(), json!(count.to_string()));
                        } else {
                            map.remove(resource);
                        }
                    }
                }
                before.as_ref() != n.get("status")
            });
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_images_are_recognised_from_any_registry() {
        assert_eq!(vendor_of_image("nvcr.io/nvidia/k8s-device-plugin:v0.17.0"), Some("nvidia"));
        assert_eq!(vendor_of_image("registry.local:5000/mirror/k8s-device-plugin"), Some("nvidia"));
        assert_eq!(vendor_of_image("docker.io/rocm/k8s-device-plugin:1.31"), Some("amd"));
        assert_eq!(vendor_of_image("intel/intel-fpga-plugin:0.30.0"), Some("intel"));
        assert_eq!(vendor_of_image("nginx:1.27"), None);
    }
}
