//! Pod priority, as the API server's Priority admission sets it: a pod's `priorityClassName` gives it the class's
//! `value` as `spec.priority` and its `preemptionPolicy`; a pod without one takes the `globalDefault` class's, else
//! priority 0. A class that does not exist refuses the pod (403, the server's words). The two system classes exist
//! on every cluster.

use serde_json::{Value, json};

use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

fn classes_key() -> ResourceKey {
    ResourceKey::new("scheduling.k8s.io", "priorityclasses")
}

/// The built-in classes every cluster has.
const SYSTEM: [(&str, i64); 2] = [("system-node-critical", 2_000_001_000), ("system-cluster-critical", 2_000_000_000)];

/// Sets a new pod's priority from its class; the refusal's reason when the class does not exist.
pub fn admit(cluster: &Cluster, pod: &mut Value) -> Result<(), String> {
    let (classes, _) = cluster.store.list(&classes_key(), None);
    let named = meta::str_at(pod, "/spec/priorityClassName").to_string();
    let class: Option<(String, i64, String)> = if named.is_empty() {
        classes
            .iter()
            .find(|c| c.value.get("globalDefault").and_then(Value::as_bool) == Some(true))
            .map(|c| (c.name().to_string(), meta::int_at(&c.value, "/value"), policy(&c.value)))
    } else if let Some((name, value)) = SYSTEM.iter().find(|(n, _)| *n == named) {
        Some((name.to_string(), *value, "PreemptLowerPriority".into()))
    } else {
        match classes.iter().find(|c| c.name() == named) {
            Some(c) => Some((named.clone(), meta::int_at(&c.value, "/value"), policy(&c.value))),
            None => return Err(format!("no PriorityClass with name {named} was found")),
        }
    };
    let Some(spec) = pod.get_mut("spec").and_then(Value::as_object_mut) else { return Ok(()) };
    match class {
        Some((name, value, policy)) => {
            spec.insert("priorityClassName".into(), json!(name));
            spec.insert("priority".into(), json!(value));
            spec.insert("preemptionPolicy".into(), json!(policy));
        }
        None => {
            spec.entry("priority").or_insert(json!(0));
            spec.entry("preemptionPolicy").or_insert(json!("PreemptLowerPriority"));
        }
    }
    Ok(())
}

fn policy(class: &Value) -> String {
    match meta::str_at(class, "/preemptionPolicy") {
        "" => "PreemptLowerPriority".into(),
        p => p.to_string(),
    }
}
