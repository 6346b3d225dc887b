//! The JSON shapes of built-in kinds, as the real API server's decoder enforces them.
//!
//! A real server decodes a built-in object into Go structs: a value of the wrong JSON type (`data: "x"` on a
//! ConfigMap, a string where a PodSpec goes, a restart count beyond int32) is refused with 400 before anything else
//! sees it, and `null` means "not set". kubesim checks the fields its controllers read the same way, so they only
//! ever meet objects of the shapes the real types allow.

use serde_json::{Map, Value};

use crate::api::status::ApiError;
use crate::registry::ResourceType;

/// The Go type a field decodes into.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Go {
    /// A struct (a JSON object with known fields).
    Struct,
    /// `map[string]string`.
    StringMap,
    /// A map whose values are quantities (a string or a number).
    QuantityMap,
    /// A slice (`[]T`).
    Slice,
    String,
    Bool,
    Int32,
    Int64,
}

impl Go {
    fn name(self) -> &'static str {
        match self {
            Go::Struct => "struct",
            Go::StringMap => "map[string]string",
            Go::QuantityMap => "v1.ResourceList",
            Go::Slice => "slice",
            Go::String => "string",
            Go::Bool => "bool",
            Go::Int32 => "int32",
            Go::Int64 => "int64",
        }
    }

    /// Whether `v` decodes into this type; `Err` carries Go's word for what the value was.
    fn accepts(self, v: &Value) -> Result<(), String> {
        let ok = match (self, v) {
            (_, Value::Null) => true,
            (Go::Struct, Value::Object(_)) | (Go::Slice, Value::Array(_)) | (Go::String, Value::String(_)) => true,
            (Go::Bool, Value::Bool(_)) => true,
            (Go::StringMap, Value::Object(m)) => {
                return match m.values().find(|v| !v.is_string() && !v.is_null()) {
                    None => Ok(()),
                    Some(bad) => Err(json_word(bad)),
                };
            }
            (Go::QuantityMap, Value::Object(m)) => {
                return match m.values().find(|v| !v.is_string() && !v.is_number() && !v.is_null()) {
                    None => Ok(()),
                    Some(bad) => Err(json_word(bad)),
                };
            }
            (Go::Int32, Value::Number(n)) => n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()),
            (Go::Int64, Value::Number(n)) => n.as_i64().is_some(),
            _ => false,
        };
        if ok { Ok(()) } else { Err(json_word(v)) }
    }
}

/// How Go's encoding/json names a JSON value in its error ("string", "number 1e+99", "object" …).
fn json_word(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(n) => format!("number {n}"),
        Value::String(_) => "string".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// Fields every object has.
const META: &[(&str, Go)] = &[
    ("metadata", Go::Struct),
    ("metadata.name", Go::String),
    ("metadata.generateName", Go::String),
    ("metadata.namespace", Go::String),
    ("metadata.labels", Go::StringMap),
    ("metadata.annotations", Go::StringMap),
    ("metadata.ownerReferences", Go::Slice),
    ("metadata.ownerReferences[]", Go::Struct),
    ("metadata.finalizers", Go::Slice),
    ("metadata.finalizers[]", Go::String),
    ("metadata.managedFields", Go::Slice),
    ("spec", Go::Struct),
    ("status", Go::Struct),
];

/// A PodSpec's fields the controllers read, relative to the spec.
const POD_SPEC: &[(&str, Go)] = &[
    ("containers", Go::Slice),
    ("containers[]", Go::Struct),
    ("containers[].name", Go::String),
    ("containers[].image", Go::String),
    ("containers[].command", Go::Slice),
    ("containers[].command[]", Go::String),
    ("containers[].args", Go::Slice),
    ("containers[].args[]", Go::String),
    ("containers[].env", Go::Slice),
    ("containers[].env[]", Go::Struct),
    ("containers[].ports", Go::Slice),
    ("containers[].ports[]", Go::Struct),
    ("containers[].ports[].containerPort", Go::Int32),
    ("containers[].resources", Go::Struct),
    ("containers[].resources.requests", Go::QuantityMap),
    ("containers[].resources.limits", Go::QuantityMap),
    ("initContainers", Go::Slice),
    ("initContainers[]", Go::Struct),
    ("initContainers[].name", Go::String),
    ("initContainers[].image", Go::String),
    ("initContainers[].resources", Go::Struct),
    ("initContainers[].resources.requests", Go::QuantityMap),
    ("initContainers[].resources.limits", Go::QuantityMap),
    ("nodeName", Go::String),
    ("nodeSelector", Go::StringMap),
    ("tolerations", Go::Slice),
    ("tolerations[]", Go::Struct),
    ("schedulingGates", Go::Slice),
    ("restartPolicy", Go::String),
    ("schedulerName", Go::String),
    ("priorityClassName", Go::String),
    ("priority", Go::Int32),
    ("volumes", Go::Slice),
    ("affinity", Go::Struct),
];

/// A PodTemplateSpec's own fields, relative to the template.
const TEMPLATE: &[(&str, Go)] =
    &[("metadata", Go::Struct), ("metadata.labels", Go::StringMap), ("metadata.annotations", Go::StringMap)];

/// Where a kind keeps its pod template (`None` for a pod, whose spec is the PodSpec).
fn template_path(rt: &ResourceType) -> Option<Option<&'static str>> {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "pods") => Some(None),
        ("apps", "deployments" | "replicasets" | "statefulsets" | "daemonsets") | ("batch", "jobs") => {
            Some(Some("spec.template"))
        }
        ("batch", "cronjobs") => Some(Some("spec.jobTemplate.spec.template")),
        _ => None,
    }
}

/// The fields of one kind beyond metadata and the pod spec.
fn kind_fields(rt: &ResourceType) -> &'static [(&'static str, Go)] {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "configmaps") => &[("data", Go::StringMap), ("binaryData", Go::StringMap)],
        ("", "secrets") => &[("data", Go::StringMap), ("stringData", Go::StringMap), ("type", Go::String)],
        ("", "pods") => &[
            ("status.phase", Go::String),
            ("status.conditions", Go::Slice),
            ("status.conditions[]", Go::Struct),
            ("status.containerStatuses", Go::Slice),
            ("status.containerStatuses[]", Go::Struct),
            ("status.containerStatuses[].restartCount", Go::Int32),
            ("status.containerStatuses[].state", Go::Struct),
            ("status.initContainerStatuses", Go::Slice),
            ("status.initContainerStatuses[]", Go::Struct),
            ("status.initContainerStatuses[].restartCount", Go::Int32),
        ],
        ("", "nodes") => &[
            ("spec.taints", Go::Slice),
            ("spec.taints[]", Go::Struct),
            ("spec.unschedulable", Go::Bool),
            ("status.capacity", Go::QuantityMap),
            ("status.allocatable", Go::QuantityMap),
            ("status.conditions", Go::Slice),
            ("status.conditions[]", Go::Struct),
        ],
        ("", "services") => &[
            ("spec.selector", Go::StringMap),
            ("spec.ports", Go::Slice),
            ("spec.ports[]", Go::Struct),
            ("spec.ports[].port", Go::Int32),
        ],
        ("apps", "deployments" | "replicasets" | "statefulsets") => &[
            ("spec.replicas", Go::Int32),
            ("spec.selector", Go::Struct),
            ("spec.selector.matchLabels", Go::StringMap),
            ("spec.template", Go::Struct),
            ("spec.paused", Go::Bool),
        ],
        ("apps", "daemonsets") => &[
            ("spec.selector", Go::Struct),
            ("spec.selector.matchLabels", Go::StringMap),
            ("spec.template", Go::Struct),
        ],
        ("batch", "jobs") => &[
            ("spec.parallelism", Go::Int32),
            ("spec.completions", Go::Int32),
            ("spec.backoffLimit", Go::Int32),
            ("spec.activeDeadlineSeconds", Go::Int64),
            ("spec.ttlSecondsAfterFinished", Go::Int32),
            ("spec.suspend", Go::Bool),
            ("spec.selector", Go::Struct),
            ("spec.template", Go::Struct),
        ],
        ("batch", "cronjobs") => &[
            ("spec.schedule", Go::String),
            ("spec.jobTemplate", Go::Struct),
            ("spec.jobTemplate.spec", Go::Struct),
            ("spec.jobTemplate.spec.template", Go::Struct),
        ],
        ("autoscaling", "horizontalpodautoscalers") => &[
            ("spec.scaleTargetRef", Go::Struct),
            ("spec.scaleTargetRef.kind", Go::String),
            ("spec.scaleTargetRef.name", Go::String),
            ("spec.minReplicas", Go::Int32),
            ("spec.maxReplicas", Go::Int32),
        ],
        _ => &[],
    }
}

/// Kinds whose `spec` is not a struct (or which have none): only their metadata is checked there.
fn has_struct_spec(rt: &ResourceType) -> bool {
    !matches!(rt.plural.as_str(), "configmaps" | "secrets" | "events" | "serviceaccounts" | "endpoints")
}

/// Refuses a built-in object of a shape its Go type cannot hold, with the real decoder's message; custom
/// resources are left to their CRD's schema.
pub fn check(rt: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    if rt.custom {
        return Ok(());
    }
    let mut fields: Vec<(String, Go)> =
        META.iter().filter(|(p, _)| has_struct_spec(rt) || *p != "spec").map(|(p, g)| (p.to_string(), *g)).collect();
    fields.extend(kind_fields(rt).iter().map(|(p, g)| (p.to_string(), *g)));
    if let Some(template) = template_path(rt) {
        let spec_at = match template {
            None => "spec".to_string(),
            Some(t) => {
                fields.extend(TEMPLATE.iter().map(|(p, g)| (format!("{t}.{p}"), *g)));
                fields.push((format!("{t}.spec"), Go::Struct));
                format!("{t}.spec")
            }
        };
        fields.extend(POD_SPEC.iter().map(|(p, g)| (format!("{spec_at}.{p}"), *g)));
    }
    for (path, go) in &fields {
        let segments: Vec<&str> = path.split('.').collect();
        let mut found = Vec::new();
        values_at(obj, &segments, &mut found);
        for v in found {
            if let Err(what) = go.accepts(v) {
                return Err(ApiError::bad_request(format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: json: cannot unmarshal {what} into Go struct field {kind}.{field} of type {go}",
                    kind = rt.kind,
                    version = rt.version,
                    field = path.replace("[]", ""),
                    go = go.name(),
                )));
            }
        }
    }
    Ok(())
}

/// Every value at a dotted path, where `x[]` walks each element of the array `x`. Missing parts, and parts of
/// the wrong type (reported by the check of the shorter path), yield nothing.
fn values_at<'a>(v: &'a Value, segments: &[&str], out: &mut Vec<&'a Value>) {
    let Some((first, rest)) = segments.split_first() else {
        out.push(v);
        return;
    };
    let (key, each) = match first.strip_suffix("[]") {
        Some(k) => (k, true),
        None => (*first, false),
    };
    let Some(next) = v.as_object().and_then(|m| m.get(key)) else { return };
    if each {
        for item in next.as_array().into_iter().flatten() {
            values_at(item, rest, out);
        }
    } else {
        values_at(next, rest, out);
    }
}

/// Drops `null` fields from a built-in object, as decoding into Go structs and encoding back does: "not set".
pub fn drop_nulls(rt: &ResourceType, obj: &mut Value) {
    if !rt.custom {
        strip(obj);
    }
}

fn strip(v: &mut Value) {
    match v {
        Value::Object(m) => strip_map(m),
        Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

fn strip_map(m: &mut Map<String, Value>) {
    m.retain(|_, v| !v.is_null());
    m.values_mut().for_each(strip);
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::registry::Registry;

    fn rt(api_version: &str, kind: &str) -> std::sync::Arc<ResourceType> {
        Registry::default().find_kind(api_version, kind).expect("built-in kind")
    }

    #[test]
    fn a_configmap_whose_data_is_a_string_is_refused_as_the_decoder_does() {
        let e = check(&rt("v1", "ConfigMap"), &json!({"metadata": {"name": "c"}, "data": "x"})).unwrap_err();
        assert_eq!(e.code, 400);
        assert_eq!(
            e.message,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string"
        );
    }

    #[test]
    fn null_is_not_set_and_is_dropped() {
        let rt = rt("apps/v1", "Deployment");
        let mut d = json!({"metadata": {"name": "d", "labels": null}, "spec": {"template": {"metadata": null, "spec": {"containers": []}}}});
        assert!(check(&rt, &d).is_ok());
        drop_nulls(&rt, &mut d);
        assert_eq!(d, json!({"metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": []}}}}));
    }

    #[test]
    fn nested_fields_of_pod_templates_and_arrays_are_checked() {
        let rt = rt("apps/v1", "Deployment");
        let d = json!({"metadata": {"name": "d"}, "spec": {"template": {"spec": {"containers": [{"name": "a", "image": 3}]}}}});
        let e = check(&rt, &d).unwrap_err();
        assert!(e.message.contains("cannot unmarshal number 3 into Go struct field Deployment.spec.template.spec.containers.image of type string"), "{}", e.message);
        let labels = json!({"metadata": {"name": "d", "labels": {"a": 1}}});
        assert!(check(&rt, &labels).unwrap_err().message.contains("number 1"));
    }

    #[test]
    fn a_restart_count_beyond_int32_is_refused_but_a_large_one_is_fine() {
        let rt = rt("v1", "Pod");
        let pod = |n: i64| json!({"metadata": {"name": "p"}, "status": {"containerStatuses": [{"restartCount": n}]}});
        assert!(check(&rt, &pod(i64::from(i32::MAX))).is_ok());
        assert!(check(&rt, &pod(1 << 40)).unwrap_err().message.contains("of type int32"));
    }

    #[test]
    fn custom_resources_are_left_to_their_schema() {
        let mut custom = (*rt("v1", "ConfigMap")).clone();
        custom.custom = true;
        assert!(check(&custom, &json!({"spec": "anything"})).is_ok());
    }
}
