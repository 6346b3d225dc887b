//! HorizontalPodAutoscaler: keeps the target's replicas within `minReplicas`..`maxReplicas` (as the real
//! autoscaler does, with its `SuccessfulRescale` event) and reports a plausible CPU utilisation per HPA (stable, so
//! the simulated autoscaler does not flap).

use serde_json::{Value, json};

use super::{set_condition, write_status};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

pub fn reconcile(cluster: &Cluster) {
    let key = ResourceKey::new("autoscaling", "horizontalpodautoscalers");
    let (hpas, _) = cluster.store.list(&key, None);
    for hpa in hpas {
        super::isolated(cluster, "hpa", &hpa.value, || {
            let v = &hpa.value;
            let target_kind = meta::str_at(v, "/spec/scaleTargetRef/kind");
            let target_name = meta::str_at(v, "/spec/scaleTargetRef/name");
            let target_key = match target_kind {
                "Deployment" => ResourceKey::new("apps", "deployments"),
                "StatefulSet" => ResourceKey::new("apps", "statefulsets"),
                "ReplicaSet" => ResourceKey::new("apps", "replicasets"),
                _ => return,
            };
            let target = cluster.store.get(&target_key, hpa.namespace(), target_name);
            let current = target.as_ref().map_or(0, |t| meta::int_at(&t.value, "/status/replicas"));
            let min = v.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1);
            let max = meta::int_at(v, "/spec/maxReplicas").max(min);
            let target_util =
                v.pointer("/spec/metrics/0/resource/target/averageUtilization").and_then(Value::as_i64).unwrap_or(80);
            let seed = meta::uid(v).bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            let utilization = (target_util as f64 * (0.55 + (seed % 40) as f64 / 100.0)).round() as i64;
            let wanted = target.as_ref().and_then(|t| t.value.pointer("/spec/replicas")).and_then(Value::as_i64);
            let desired = wanted.unwrap_or(current).clamp(min, max);
            if let Some(wanted) = wanted
                && wanted != desired
            {
                cluster.modify(&target_key, hpa.namespace(), target_name, |t| {
                    t["spec"]["replicas"] = json!(desired);
                    true
                });
                let reason = if wanted < min { "below min replicas" } else { "above max replicas" };
                cluster.record_event(
                    v,
                    "Normal",
                    "SuccessfulRescale",
                    &format!("New size: {desired}; reason: Current number of replicas {reason}"),
                    "horizontal-pod-autoscaler",
                );
            }
            // Start from the current status so condition transition times survive unchanged reconciles.
            let mut obj = json!({"status": v.get("status").cloned().unwrap_or(json!({}))});
            obj["status"]["currentReplicas"] = json!(current);
            obj["status"]["desiredReplicas"] = json!(desired);
            obj["status"]["currentMetrics"] = json!([{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": utilization, "averageValue": format!("{}m", utilization * 5)}}}]);
            if target.is_some() {
                set_condition(
                    &mut obj,
                    "AbleToScale",
                    "True",
                    "ReadyForNewScale",
                    "recommended size matches current size",
                );
                set_condition(
                    &mut obj,
                    "ScalingActive",
                    "True",
                    "ValidMetricFound",
                    "the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)",
                );
            } else {
                set_condition(
                    &mut obj,
                    "AbleToScale",
                    "False",
                    "FailedGetScale",
                    &format!(
                        "the HPA controller was unable to get the target's current scale: {} \"{target_name}\" not found",
                        target_key.plural
                    ),
                );
            }
            let status = obj["status"].clone();
            write_status(cluster, &key, &hpa, status);
        });
    }
}
