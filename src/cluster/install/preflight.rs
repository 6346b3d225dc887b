//! Checks before an install: server version, permission for every (verb, resource) the plan needs, a default
//! StorageClass for volumes that need one, GPU nodes and device plugins, and an existing install (upgrade mode).
//! Each check passes, warns or fails, with an explanation and a fix.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Node;
use k8s_openapi::api::storage::v1::StorageClass;
use kube::api::{Api, ListParams};

use super::resolve::Resolver;
use super::{InstallError, read_record};
use crate::cluster::connect::can_i;
use crate::stack::plan::Plan;
pub use crate::stack::report::{Check, Verdict};

/// The oldest Kubernetes the stack's manifests are written for.
const MIN_MINOR: u32 = 25;

/// Runs every check; an error means the checks themselves could not run (the cluster is unreachable).
pub async fn preflight(client: &kube::Client, plan: &Plan) -> Result<Vec<Check>, InstallError> {
    let mut checks = Vec::new();
    let version =
        client.apiserver_version().await.map_err(|e| InstallError::from_kube("read the server version", e))?;
    let minor: u32 = version.minor.trim_end_matches('+').parse().unwrap_or(0);
    checks.push(if version.major == "1" && minor >= MIN_MINOR {
        Check::new("Kubernetes version", Verdict::Pass, format!("{} is supported", version.git_version), None)
    } else {
        Check::new(
            "Kubernetes version",
            Verdict::Warn,
            format!("{} is older than 1.{MIN_MINOR}; some objects may be rejected", version.git_version),
            Some("Upgrade the cluster, or review the dry-run diff closely."),
        )
    });
    checks.push(permissions(client, plan).await?);
    if let Some(check) = storage(client, plan).await {
        checks.push(check);
    }
    checks.extend(gpus(client, plan).await);
    checks.push(match read_record(client).await {
        Ok(Some((ns, record))) => {
            let versions: Vec<String> = record.components.iter().map(|(c, v)| format!("{c} {v}")).collect();
            Check::new(
                "Existing install",
                Verdict::Pass,
                format!(
                    "found in namespace {ns} ({:?}, updated {}): {}. Installing again upgrades or repairs it.",
                    record.state,
                    record.updated,
                    versions.join(", ")
                ),
                None,
            )
        }
        Ok(None) => Check::new("Existing install", Verdict::Pass, "none: a fresh install", None),
        Err(e) => Check::new("Existing install", Verdict::Warn, e.to_string(), None),
    });
    Ok(checks)
}

/// May the user create and patch every kind of the plan (SelfSubjectAccessReview)?
async fn permissions(client: &kube::Client, plan: &Plan) -> Result<Check, InstallError> {
    let mut resolver = Resolver::default();
    let mut needed: BTreeSet<(String, String)> = BTreeSet::new();
    for p in &plan.objects {
        let group = p.object.api_version().split_once('/').map(|(g, _)| g.to_string()).unwrap_or_default();
        match resolver.resolve(client, &p.object).await {
            Ok((resource, _)) => {
                needed.insert((group, resource.plural));
            }
            // A kind the plan's own CRDs define: allowed if the CRD group's resources are, checked below by name.
            Err(InstallError::UnknownKind { .. }) => {
                needed.insert((group, format!("{}s", p.object.kind().to_lowercase())));
            }
            Err(e) => return Err(e),
        }
    }
    let mut denied = Vec::new();
    for (group, resource) in &needed {
        let mut verbs = Vec::new();
        for verb in ["create", "patch"] {
            let allowed = can_i(client, verb, group, resource)
                .await
                .map_err(|e| InstallError::from_kube("ask the server what you may do", e))?;
            if !allowed {
                verbs.push(verb);
            }
        }
        if !verbs.is_empty() {
            let name = if group.is_empty() { resource.clone() } else { format!("{resource}.{group}") };
            denied.push(if verbs.len() == 2 { name } else { format!("{name} ({})", verbs.join(", ")) });
        }
    }
    Ok(if denied.is_empty() {
        Check::new("Permissions", Verdict::Pass, format!("you may create and update all {} kinds", needed.len()), None)
    } else {
        Check::new(
            "Permissions",
            Verdict::Fail,
            format!("you may not create or update {}", denied.join(", ")),
            Some("Install with a cluster-admin account, or ask an admin to grant these permissions."),
        )
    })
}

/// Volumes without a storage class need the cluster's default class.
async fn storage(client: &kube::Client, plan: &Plan) -> Option<Check> {
    let claims: Vec<String> = plan
        .objects
        .iter()
        .filter(|p| {
            p.object.kind() == "PersistentVolumeClaim" && p.object.value.pointer("/spec/storageClassName").is_none()
        })
        .map(|p| p.object.name().to_string())
        .collect();
    if claims.is_empty() {
        return None;
    }
    let classes: Api<StorageClass> = Api::all(client.clone());
    let default = match classes.list(&ListParams::default()).await {
        Ok(list) => list.items.into_iter().find(|c| {
            c.metadata
                .annotations
                .as_ref()
                .is_some_and(|a| a.get("storageclass.kubernetes.io/is-default-class").is_some_and(|v| v == "true"))
        }),
        Err(e) => {
            return Some(Check::new(
                "Default storage class",
                Verdict::Warn,
                format!("storage classes could not be listed ({e}); {} need the default class", claims.join(", ")),
                None,
            ));
        }
    };
    Some(match default {
        Some(class) => Check::new(
            "Default storage class",
            Verdict::Pass,
            format!("{} will use {}", claims.join(", "), class.metadata.name.unwrap_or_default()),
            None,
        ),
        None => Check::new(
            "Default storage class",
            Verdict::Warn,
            format!("the cluster has no default StorageClass: {} would stay Pending", claims.join(", ")),
            Some("Set the storage class in Settings (storageClass), or mark a class as the default."),
        ),
    })
}

/// GPU nodes, and whether a device plugin is needed or would run nowhere.
async fn gpus(client: &kube::Client, plan: &Plan) -> Vec<Check> {
    let nodes: Api<Node> = Api::all(client.clone());
    let Ok(list) = nodes.list(&ListParams::default()).await else {
        return vec![Check::new(
            "GPU nodes",
            Verdict::Warn,
            "nodes could not be listed, so GPU hardware was not checked",
            None,
        )];
    };
    let labelled =
        |n: &Node, key: &str| n.metadata.labels.as_ref().is_some_and(|l| l.get(key).is_some_and(|v| v == "true"));
    let nvidia: Vec<&Node> = list
        .items
        .iter()
        .filter(|n| labelled(n, "nvidia.com/gpu.present") || labelled(n, "feature.node.kubernetes.io/pci-10de.present"))
        .collect();
    let advertised = nvidia
        .iter()
        .filter(|n| {
            n.status
                .as_ref()
                .and_then(|s| s.allocatable.as_ref())
                .is_some_and(|a| a.keys().any(|k| k.starts_with("nvidia.com/")))
        })
        .count();
    let plugin_selected = plan.selection.components.iter().any(|c| c == "nvidia-device-plugin");
    let mut checks = Vec::new();
    checks.push(match (nvidia.len(), plugin_selected) {
        (0, true) => Check::new(
            "GPU nodes",
            Verdict::Warn,
            "no node is labelled as having NVIDIA GPUs: the device plugin would run nowhere",
            Some("Skip nvidia-device-plugin, or label GPU nodes (Node Feature Discovery or nvidia.com/gpu.present=true)."),
        ),
        (0, false) => Check::new("GPU nodes", Verdict::Pass, "no NVIDIA GPU nodes; training runs on CPUs", None),
        (n, true) => Check::new(
            "GPU nodes",
            Verdict::Pass,
            format!("{n} NVIDIA nodes; the device plugin will advertise their GPUs ({advertised} already do)"),
            None,
        ),
        (n, false) if advertised < n => Check::new(
            "GPU nodes",
            Verdict::Warn,
            format!("{n} NVIDIA nodes, but only {advertised} advertise nvidia.com/gpu: GPU jobs cannot be scheduled on the others"),
            Some("Select the nvidia-device-plugin component."),
        ),
        (n, false) => Check::new("GPU nodes", Verdict::Pass, format!("{n} NVIDIA nodes with a device plugin already"), None),
    });
    checks
}
