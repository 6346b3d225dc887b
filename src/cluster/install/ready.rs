//! Is an applied object ready, and if not, why: a CRD not yet established, a Deployment whose pods cannot be
//! scheduled (the scheduler's own message), an image that cannot be pulled, a crash loop, or pods that no node
//! ever started.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use serde_json::Value;

use crate::stack::plan::Readiness;

/// Whether the live object is ready by `rule`.
pub fn is_ready(rule: Readiness, live: &Value) -> bool {
    let int = |p: &str| live.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    let observed = int("/status/observedGeneration") >= int("/metadata/generation");
    match rule {
        Readiness::Established => condition(live, "Established").is_some_and(|(s, _)| s == "True"),
        Readiness::Available => {
            let wanted = live.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            observed
                && int("/status/updatedReplicas") >= wanted
                && int("/status/availableReplicas") >= wanted
                && int("/status/replicas") <= wanted
        }
        Readiness::DaemonSetReady => {
            let desired = int("/status/desiredNumberScheduled");
            observed
                && int("/status/numberReady") >= desired
                && live.pointer("/status/updatedNumberScheduled").and_then(Value::as_i64).unwrap_or(desired) >= desired
        }
        Readiness::ReplicasReady => {
            let wanted = live.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(1);
            observed && int("/status/readyReplicas") >= wanted
        }
    }
}

/// A condition's (status, message).
fn condition<'a>(live: &'a Value, kind: &str) -> Option<(&'a str, &'a str)> {
    live.pointer("/status/conditions")?
        .as_array()?
        .iter()
        .find(|c| c["type"] == kind)
        .map(|c| (c["status"].as_str().unwrap_or(""), c["message"].as_str().unwrap_or("")))
}

/// A short note for a DaemonSet that targets no node: ready, but it runs nowhere.
pub fn runs_nowhere(rule: Readiness, live: &Value) -> bool {
    rule == Readiness::DaemonSetReady
        && live.pointer("/status/desiredNumberScheduled").and_then(Value::as_i64) == Some(0)
        && live.pointer("/status/observedGeneration").is_some()
}

/// Why the object is not ready yet, as precisely as the cluster tells.
pub async fn blocking_reason(client: &kube::Client, rule: Readiness, live: &Value, namespace: Option<&str>) -> String {
    let int = |p: &str| live.pointer(p).and_then(Value::as_i64).unwrap_or(0);
    if rule == Readiness::Established {
        return match condition(live, "NamesAccepted") {
            Some(("False", message)) => format!("names not accepted: {message}"),
            _ => "waiting for the API server to establish it".into(),
        };
    }
    if let Some(("False", message)) = condition(live, "Progressing").filter(|(s, _)| *s == "False") {
        return message.to_string();
    }
    let selector = live
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    let (Some(ns), false) = (namespace, selector.is_empty()) else {
        return "waiting for its pods".into();
    };
    let pods: Api<Pod> = Api::namespaced(client.clone(), ns);
    let pods = match pods.list(&ListParams::default().labels(&selector)).await {
        Ok(list) => list.items,
        Err(e) => return format!("waiting for its pods (they could not be listed: {e})"),
    };
    if pods.is_empty() {
        let failure = condition(live, "ReplicaFailure").map(|(_, m)| m.to_string());
        return failure.unwrap_or_else(|| "no pods created yet".into());
    }
    if let Some(reason) = pods.iter().find_map(pod_problem) {
        return reason;
    }
    let scheduled = pods.iter().filter(|p| p.spec.as_ref().is_some_and(|s| s.node_name.is_some())).count();
    let started = pods.iter().filter(|p| p.status.as_ref().and_then(|s| s.start_time.as_ref()).is_some()).count();
    if scheduled > 0 && started == 0 {
        return format!("{scheduled} pods are placed on nodes but no node runs pods: nothing ever started");
    }
    let ready = int("/status/readyReplicas").max(int("/status/numberReady"));
    format!("{ready} of {} pods ready", pods.len())
}

/// The first thing visibly wrong with a pod: unschedulable, image pull, crash loop.
fn pod_problem(pod: &Pod) -> Option<String> {
    let name = pod.metadata.name.clone().unwrap_or_default();
    let status = pod.status.as_ref()?;
    if let Some(c) = status.conditions.iter().flatten().find(|c| c.type_ == "PodScheduled" && c.status == "False") {
        return Some(format!("pod {name} cannot be scheduled: {}", c.message.clone().unwrap_or_default()));
    }
    for cs in status.container_statuses.iter().flatten() {
        if let Some(w) = cs.state.as_ref().and_then(|s| s.waiting.as_ref()) {
            let reason = w.reason.clone().unwrap_or_default();
            if matches!(
                reason.as_str(),
                "ImagePullBackOff"
                    | "ErrImagePull"
                    | "CrashLoopBackOff"
                    | "CreateContainerConfigError"
                    | "InvalidImageName"
            ) {
                let message = w.message.clone().map(|m| format!(": {m}")).unwrap_or_default();
                return Some(format!("pod {name}: {reason}{message}"));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness_by_kind() {
        let crd = json!({"status": {"conditions": [{"type": "Established", "status": "True"}]}});
        assert!(is_ready(Readiness::Established, &crd));
        let rolling = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}});
        assert!(!is_ready(Readiness::Available, &rolling), "an old pod still runs");
        let done = json!({"metadata": {"generation": 2}, "spec": {"replicas": 2},
            "status": {"observedGeneration": 2, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
        assert!(is_ready(Readiness::Available, &done));
        let nowhere = json!({"metadata": {"generation": 1}, "status": {"observedGeneration": 1, "desiredNumberScheduled": 0, "numberReady": 0}});
        assert!(is_ready(Readiness::DaemonSetReady, &nowhere) && runs_nowhere(Readiness::DaemonSetReady, &nowhere));
        let unobserved = json!({"metadata": {"generation": 1}, "status": {}});
        assert!(!is_ready(Readiness::DaemonSetReady, &unobserved));
    }

    #[test]
    fn pod_problems_quote_the_cluster() {
        let pod: Pod = serde_json::from_value(json!({"metadata": {"name": "hub-1"}, "status": {"conditions": [
            {"type": "PodScheduled", "status": "False", "message": "0/3 nodes are available: 3 Insufficient cpu."}]}}))
        .expect("pod");
        assert_eq!(
            pod_problem(&pod).as_deref(),
            Some("pod hub-1 cannot be scheduled: 0/3 nodes are available: 3 Insufficient cpu.")
        );
        let pull: Pod = serde_json::from_value(json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [
            {"name": "c", "image": "x", "imageID": "", "ready": false, "restartCount": 0,
             "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"x\""}}}]}}))
        .expect("pod");
        assert_eq!(pod_problem(&pull).as_deref(), Some("pod p: ImagePullBackOff: Back-off pulling image \"x\""));
    }
}
