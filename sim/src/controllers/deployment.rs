//! Deployment controller: one ReplicaSet per pod template (named by its hash), rolled out by scaling the new
//! set up and the old ones down as new pods become ready, with the status `kubectl rollout status` reads. A
//! template that returns to an older ReplicaSet (a rollback) gives that set the next revision; a roll-out that makes
//! no progress for `progressDeadlineSeconds` (simulated) is reported `ProgressDeadlineExceeded`, as the real
//! controller does.

use serde_json::{Value, json};

use super::replicaset;
use super::{controller_ref, is_deleting, owned, write_status};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

pub fn key() -> ResourceKey {
    ResourceKey::new("apps", "deployments")
}

/// The `pod-template-hash` of a template: a short, stable hash of its content.
pub fn template_hash(template: &Value) -> String {
    let text = template.to_string();
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut n = h;
    (0..10)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u64) as usize] as char;
            n /= ALPHABET.len() as u64;
            c
        })
        .collect()
}

fn revision(rs: &Value) -> i64 {
    meta::str_at(rs, "/metadata/annotations/deployment.kubernetes.io~1revision").parse().unwrap_or(0)
}

pub fn reconcile(cluster: &Cluster) {
    let (deployments, _) = cluster.store.list(&key(), None);
    for d in deployments.iter().filter(|d| !is_deleting(&d.value)) {
        super::isolated(cluster, "deployment", &d.value, || {
            let v = &d.value;
            let ns = d.namespace();
            let desired = v.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1).max(0);
            let template = v.pointer("/spec/template").cloned().unwrap_or(json!({}));
            let hash = template_hash(&template);
            let sets = owned(cluster, &replicaset::key(), ns, meta::uid(v));
            let paused = v.pointer("/spec/paused").and_then(Value::as_bool) == Some(true);
            let current = sets.iter().find(|rs| meta::label(&rs.value, "pod-template-hash") == Some(hash.as_str()));
            let max_revision = sets.iter().map(|rs| revision(&rs.value)).max().unwrap_or(0);
            let new_rs = match current {
                // Back to an older template: that ReplicaSet becomes the newest revision.
                Some(rs) if revision(&rs.value) < max_revision && !paused => {
                    let next = (max_revision + 1).to_string();
                    cluster.modify(&replicaset::key(), ns, rs.name(), |rs| {
                        rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!(next);
                        true
                    });
                    cluster.store.get(&replicaset::key(), ns, rs.name())
                }
                Some(rs) => Some(rs.clone()),
                None if !paused => {
                    let mut rs_template = template.clone();
                    rs_template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
                    let mut selector = v.pointer("/spec/selector").cloned().unwrap_or(json!({}));
                    selector["matchLabels"]["pod-template-hash"] = json!(hash);
                    let mut labels = template.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
                    labels["pod-template-hash"] = json!(hash);
                    let start = if sets.is_empty() { desired } else { 0 };
                    let rs = json!({
                        "apiVersion": "apps/v1",
                        "kind": "ReplicaSet",
                        "metadata": {
                            "name": format!("{}-{hash}", meta::name(v)),
                            "namespace": ns,
                            "labels": labels,
                            "annotations": {
                                "deployment.kubernetes.io/revision": (max_revision + 1).to_string(),
                                "deployment.kubernetes.io/desired-replicas": desired.to_string(),
                                "deployment.kubernetes.io/max-replicas": desired.to_string()
                            },
                            "ownerReferences": [controller_ref(v)]
                        },
                        "spec": {"replicas": start, "selector": selector, "template": rs_template}
                    });
                    cluster.create(rs).ok()
                }
                None => None,
            };
            let Some(new_rs) = new_rs else { return };
            // The Deployment carries its current revision, as `kubectl rollout history` and clients read it.
            let current_revision =
                meta::str_at(&new_rs.value, "/metadata/annotations/deployment.kubernetes.io~1revision").to_string();
            if meta::str_at(v, "/metadata/annotations/deployment.kubernetes.io~1revision") != current_revision {
                cluster.modify(&key(), ns, d.name(), |d| {
                    if !d["metadata"]["annotations"].is_object() {
                        d["metadata"]["annotations"] = json!({});
                    }
                    d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] = json!(current_revision);
                    true
                });
            }
            let new_ready = meta::int_at(&new_rs.value, "/status/readyReplicas");
            if !paused {
                scale(cluster, ns, new_rs.name(), desired);
                let old_allowed = (desired - new_ready).max(0);
                let recreate = meta::str_at(v, "/spec/strategy/type") == "Recreate";
                for old in sets.iter().filter(|rs| rs.name() != new_rs.name()) {
                    let target = if recreate { 0 } else { meta::int_at(&old.value, "/spec/replicas").min(old_allowed) };
                    scale(cluster, ns, old.name(), target);
                }
            }
            let sets = owned(cluster, &replicaset::key(), ns, meta::uid(v));
            let sum =
                |field: &str| sets.iter().map(|rs| meta::int_at(&rs.value, &format!("/status/{field}"))).sum::<i64>();
            let new_now = sets.iter().find(|rs| rs.name() == new_rs.name());
            let updated = new_now.map_or(0, |rs| meta::int_at(&rs.value, "/status/replicas"));
            let available = sum("availableReplicas");
            let replicas = sum("replicas");
            let complete = updated == desired && replicas == desired && available == desired;
            let now = meta::now();
            let old_status = v.get("status").cloned().unwrap_or(json!({}));
            // Progress is any change in the replica counts (or a new template); it restarts the deadline.
            let counts = |s: &Value| {
                ["replicas", "updatedReplicas", "readyReplicas", "availableReplicas"]
                    .map(|f| meta::int_at(s, &format!("/{f}")))
            };
            let ready_now = sum("readyReplicas");
            let progressed = counts(&old_status) != [replicas, updated, ready_now, available]
                || meta::int_at(&old_status, "/observedGeneration") != meta::int_at(v, "/metadata/generation");
            let condition = |type_: &str, status: &str, reason: &str, message: String| {
                let previous = old_status
                    .get("conditions")
                    .and_then(Value::as_array)
                    .and_then(|c| c.iter().find(|c| meta::str_at(c, "/type") == type_).cloned());
                let transition = match &previous {
                    Some(p) if meta::str_at(p, "/status") == status => {
                        p.get("lastTransitionTime").cloned().unwrap_or(json!(now))
                    }
                    _ => json!(now),
                };
                let update = match &previous {
                    Some(p) if meta::str_at(p, "/reason") == reason && !progressed => {
                        p.get("lastUpdateTime").cloned().unwrap_or(json!(now))
                    }
                    _ => json!(now),
                };
                json!({"type": type_, "status": status, "reason": reason, "message": message, "lastTransitionTime": transition, "lastUpdateTime": update})
            };
            let rs_name = new_rs.name();
            let available_condition = if available >= desired {
                condition(
                    "Available",
                    "True",
                    "MinimumReplicasAvailable",
                    "Deployment has minimum availability.".into(),
                )
            } else {
                condition(
                    "Available",
                    "False",
                    "MinimumReplicasUnavailable",
                    "Deployment does not have minimum availability.".into(),
                )
            };
            let progressing = if complete {
                condition(
                    "Progressing",
                    "True",
                    "NewReplicaSetAvailable",
                    format!("ReplicaSet \"{rs_name}\" has successfully progressed."),
                )
            } else if stalled(cluster, v, &old_status, progressed) {
                condition(
                    "Progressing",
                    "False",
                    "ProgressDeadlineExceeded",
                    format!("ReplicaSet \"{rs_name}\" has timed out progressing."),
                )
            } else {
                condition(
                    "Progressing",
                    "True",
                    "ReplicaSetUpdated",
                    format!("ReplicaSet \"{rs_name}\" is progressing."),
                )
            };
            let mut status = json!({
                "observedGeneration": meta::int_at(v, "/metadata/generation"),
                "replicas": replicas,
                "updatedReplicas": updated,
                "readyReplicas": ready_now,
                "availableReplicas": available,
                "conditions": [available_condition, progressing],
            });
            if desired - available > 0 {
                status["unavailableReplicas"] = json!(desired - available);
            }
            write_status(cluster, &key(), d, status);
        });
    }
}

/// Whether an unfinished roll-out has made no progress for its deadline (default 600 simulated seconds), counted
/// from the last progress (the `Progressing` condition's `lastUpdateTime`).
fn stalled(cluster: &Cluster, deployment: &Value, old_status: &Value, progressed: bool) -> bool {
    if progressed {
        return false;
    }
    let deadline = deployment.pointer("/spec/progressDeadlineSeconds").and_then(Value::as_f64).unwrap_or(600.0);
    let conditions = old_status.get("conditions").and_then(Value::as_array);
    let Some(progressing) = conditions.and_then(|c| c.iter().find(|c| meta::str_at(c, "/type") == "Progressing"))
    else {
        return false;
    };
    if meta::str_at(progressing, "/reason") == "ProgressDeadlineExceeded" {
        return true;
    }
    let Ok(since) = meta::str_at(progressing, "/lastUpdateTime").parse::<jiff::Timestamp>() else { return false };
    let waited = jiff::Timestamp::now().duration_since(since).as_secs_f64();
    waited >= cluster.sim_duration(deadline).as_secs_f64()
}

fn scale(cluster: &Cluster, ns: &str, name: &str, replicas: i64) {
    cluster.modify(&replicaset::key(), ns, name, |rs| {
        if meta::int_at(rs, "/spec/replicas") == replicas && rs.pointer("/spec/replicas").is_some() {
            return false;
        }
        rs["spec"]["replicas"] = json!(replicas);
        true
    });
}
