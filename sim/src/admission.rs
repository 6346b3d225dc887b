//! What the API server does to an object before storing it: validation (names, required fields), defaulting
//! (the fields a real server fills in), and the metadata rules of create and update (uid, timestamps, generation,
//! status and spec protection).

use serde_json::{Map, Value, json};

use crate::api::status::Cause;
use crate::meta;
use crate::registry::ResourceType;

const DNS_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const DNS_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

pub use kubefmt::names::{is_dns_label, is_dns_subdomain};

/// Kinds whose names must be DNS labels rather than subdomains.
fn needs_label_name(rt: &ResourceType) -> bool {
    rt.group.is_empty() && matches!(rt.plural.as_str(), "namespaces" | "services")
}

/// Kinds whose names are path segments and may contain ':' (RBAC objects).
fn free_form_name(rt: &ResourceType) -> bool {
    rt.group == "rbac.authorization.k8s.io"
}

/// Validates what every object of a kind must have; returns the field causes of a 422.
pub fn validate(rt: &ResourceType, obj: &Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let name = meta::name(obj);
    if name.is_empty() {
        causes.push(Cause::required("metadata.name"));
    } else if free_form_name(rt) {
        if name.contains('/') || name.contains('%') || name == "." || name == ".." {
            causes.push(Cause::invalid("metadata.name", name, "may not contain '/' or '%'"));
        }
    } else if needs_label_name(rt) {
        if !is_dns_label(name) {
            causes.push(Cause::invalid("metadata.name", name, DNS_LABEL_MSG));
        }
    } else if !is_dns_subdomain(name) {
        causes.push(Cause::invalid("metadata.name", name, DNS_SUBDOMAIN_MSG));
    }
    if let Some(labels) = obj.pointer("/metadata/labels").and_then(Value::as_object) {
        for v in labels.values() {
            let value = v.as_str().unwrap_or_default();
            if value.len() > 63
                || !value.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
                || value.starts_with(['-', '_', '.'])
                || value.ends_with(['-', '_', '.'])
            {
                causes.push(Cause::invalid(
                    "metadata.labels",
                    value,
                    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
                ));
            }
        }
    }
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "pods") => validate_pod_spec(obj.get("spec"), "spec", &mut causes),
        ("apps", "deployments" | "replicasets" | "statefulsets" | "daemonsets") | ("batch", "jobs") => {
            if obj.pointer("/spec/selector").is_none() && rt.group == "apps" {
                causes.push(Cause::required("spec.selector"));
            }
            validate_pod_spec(obj.pointer("/spec/template/spec"), "spec.template.spec", &mut causes);
            if let (Some(sel), Some(labels)) = (
                obj.pointer("/spec/selector/matchLabels").and_then(Value::as_object),
                obj.pointer("/spec/template/metadata/labels"),
            ) {
                let matches = sel.iter().all(|(k, v)| labels.get(k) == Some(v));
                if !matches {
                    causes.push(Cause::invalid(
                        "spec.template.metadata.labels",
                        &labels.to_string(),
                        "`selector` does not match template `labels`",
                    ));
                }
            }
        }
        ("", "services") => {
            if let Some(ports) = obj.pointer("/spec/ports").and_then(Value::as_array) {
                for (i, p) in ports.iter().enumerate() {
                    let port = meta::int_at(p, "/port");
                    if !(1..=65535).contains(&port) {
                        causes.push(Cause::invalid(
                            &format!("spec.ports[{i}].port"),
                            &port.to_string(),
                            "must be between 1 and 65535, inclusive",
                        ));
                    }
                }
            }
        }
        _ => {}
    }
    causes
}

fn validate_pod_spec(spec: Option<&Value>, path: &str, causes: &mut Vec<Cause>) {
    let Some(spec) = spec else {
        causes.push(Cause::required(path));
        return;
    };
    let containers = spec.get("containers").and_then(Value::as_array);
    match containers {
        None => causes.push(Cause::required(&format!("{path}.containers"))),
        Some(cs) if cs.is_empty() => causes.push(Cause::required(&format!("{path}.containers"))),
        Some(cs) => {
            for (i, c) in cs.iter().enumerate() {
                let name = meta::str_at(c, "/name");
                if name.is_empty() {
                    causes.push(Cause::required(&format!("{path}.containers[{i}].name")));
                } else if !is_dns_label(name) {
                    causes.push(Cause::invalid(&format!("{path}.containers[{i}].name"), name, DNS_LABEL_MSG));
                }
                if meta::str_at(c, "/image").is_empty() {
                    causes.push(Cause::required(&format!("{path}.containers[{i}].image")));
                }
                for kind in ["requests", "limits"] {
                    if let Some(res) = c.pointer(&format!("/resources/{kind}")).and_then(Value::as_object) {
                        for (r, q) in res {
                            let text = match q {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            };
                            if kubefmt::quantity::parse(&text).is_none() {
                                causes.push(Cause::invalid(
                                    &format!("{path}.containers[{i}].resources.{kind}[{r}]"),
                                    &text,
                                    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
    if let Some(policy) = spec.get("restartPolicy").and_then(Value::as_str)
        && !matches!(policy, "Always" | "OnFailure" | "Never")
    {
        causes.push(Cause::unsupported(&format!("{path}.restartPolicy"), policy, &["Always", "OnFailure", "Never"]));
    }
}

/// The object at `v[key]`, created (and `v` turned into an object) if missing.
fn obj_mut<'a>(v: &'a mut Value, key: &str) -> &'a mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    let Value::Object(outer) = v else { unreachable!("just made an object") };
    let inner = outer.entry(key.to_string()).or_insert_with(|| Value::Object(Map::new()));
    if !inner.is_object() {
        *inner = Value::Object(Map::new());
    }
    let Value::Object(map) = inner else { unreachable!("just made an object") };
    map
}

fn set_default(map: &mut Map<String, Value>, key: &str, value: Value) {
    map.entry(key.to_string()).or_insert(value);
}

/// Fills in the defaults a real API server writes for a pod spec.
pub fn default_pod_spec(spec: &mut Value, default_restart: &str) {
    let Some(s) = spec.as_object_mut() else { return };
    set_default(s, "restartPolicy", json!(default_restart));
    set_default(s, "dnsPolicy", json!("ClusterFirst"));
    set_default(s, "schedulerName", json!("default-scheduler"));
    set_default(s, "terminationGracePeriodSeconds", json!(30));
    set_default(s, "securityContext", json!({}));
    set_default(s, "enableServiceLinks", json!(true));
    if !s.contains_key("serviceAccountName") {
        let sa = s.get("serviceAccount").cloned().unwrap_or(json!("default"));
        s.insert("serviceAccountName".into(), sa.clone());
        s.insert("serviceAccount".into(), sa);
    }
    s.entry("priority").or_insert(json!(0));
    for list in ["containers", "initContainers"] {
        if let Some(cs) = s.get_mut(list).and_then(Value::as_array_mut) {
            for c in cs.iter_mut().filter_map(Value::as_object_mut) {
                let image = c.get("image").and_then(Value::as_str).unwrap_or_default().to_string();
                let tag = image.rsplit('/').next().and_then(|last| last.split_once(':')).map(|(_, t)| t.to_string());
                let pull = if image.contains('@') || tag.as_deref().is_some_and(|t| t != "latest") {
                    "IfNotPresent"
                } else {
                    "Always"
                };
                set_default(c, "imagePullPolicy", json!(pull));
                set_default(c, "terminationMessagePath", json!("/dev/termination-log"));
                set_default(c, "terminationMessagePolicy", json!("File"));
                set_default(c, "resources", json!({}));
                if let Some(ports) = c.get_mut("ports").and_then(Value::as_array_mut) {
                    for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                        set_default(p, "protocol", json!("TCP"));
                    }
                }
            }
        }
    }
}

fn default_template(obj: &mut Value, restart: &str) {
    if let Some(spec) = obj.pointer_mut("/spec/template/spec") {
        default_pod_spec(spec, restart);
    }
}

/// Kind-specific defaults on create.
/// A pod's container that limits a resource without requesting it requests its limit (the API server's pod
/// defaulting; templates are left as written).
fn default_requests_from_limits(spec: &mut Value) {
    for list in ["containers", "initContainers"] {
        for c in spec.get_mut(list).and_then(Value::as_array_mut).into_iter().flatten() {
            let Some(resources) = c.get_mut("resources").and_then(Value::as_object_mut) else { continue };
            let Some(limits) = resources.get("limits").and_then(Value::as_object).cloned() else { continue };
            let requests = resources.entry("requests").or_insert(json!({}));
            if let Some(requests) = requests.as_object_mut() {
                for (name, q) in limits {
                    requests.entry(name).or_insert(q);
                }
            }
        }
    }
}

pub fn apply_defaults(rt: &ResourceType, obj: &mut Value) {
    match (rt.group.as_str(), rt.plural.as_str()) {
        ("", "pods") => {
            if let Some(spec) = obj.get_mut("spec") {
                default_pod_spec(spec, "Always");
                default_requests_from_limits(spec);
            }
        }
        ("", "namespaces") => {
            obj_mut(obj, "spec").entry("finalizers").or_insert(json!(["kubernetes"]));
            obj["status"] = json!({"phase": "Active"});
            let name = meta::name(obj).to_string();
            obj_mut(obj, "metadata");
            let labels = obj
                .pointer_mut("/metadata")
                .and_then(Value::as_object_mut)
                .map(|m| m.entry("labels").or_insert(json!({})));
            if let Some(Value::Object(l)) = labels {
                l.insert("kubernetes.io/metadata.name".into(), json!(name));
            }
        }
        ("", "services") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "type", json!("ClusterIP"));
            set_default(spec, "sessionAffinity", json!("None"));
            if !spec.contains_key("clusterIP") {
                let ip = format!("10.96.{}.{}", fastrand::u8(0..=255), fastrand::u8(1..=254));
                spec.insert("clusterIP".into(), json!(ip));
                spec.insert("clusterIPs".into(), json!([ip]));
            }
            set_default(spec, "ipFamilies", json!(["IPv4"]));
            set_default(spec, "ipFamilyPolicy", json!("SingleStack"));
            set_default(spec, "internalTrafficPolicy", json!("Cluster"));
            if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
                for p in ports.iter_mut().filter_map(Value::as_object_mut) {
                    set_default(p, "protocol", json!("TCP"));
                    let port = p.get("port").cloned().unwrap_or(json!(0));
                    set_default(p, "targetPort", port);
                }
            }
        }
        ("apps", "deployments") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "replicas", json!(1));
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(spec, "progressDeadlineSeconds", json!(600));
            set_default(
                spec,
                "strategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}}),
            );
            default_template(obj, "Always");
        }
        ("apps", "replicasets" | "statefulsets") => {
            set_default(obj_mut(obj, "spec"), "replicas", json!(1));
            if rt.plural == "statefulsets" {
                let spec = obj_mut(obj, "spec");
                set_default(spec, "podManagementPolicy", json!("OrderedReady"));
                set_default(
                    spec,
                    "updateStrategy",
                    json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
                );
                set_default(spec, "revisionHistoryLimit", json!(10));
            }
            default_template(obj, "Always");
        }
        ("apps", "daemonsets") => {
            let spec = obj_mut(obj, "spec");
            set_default(spec, "revisionHistoryLimit", json!(10));
            set_default(
                spec,
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}}),
            );
            default_template(obj, "Always");
        }
        ("batch", "jobs") => {
            let uid = meta::uid(obj).to_string();
            let spec = obj_mut(obj, "spec");
            set_default(spec, "parallelism", json!(1));
            set_default(spec, "backoffLimit", json!(6));
            set_default(spec, "completionMode", json!("NonIndexed"));
            set_default(spec, "suspend", json!(false));
            set_default(spec, "podReplacementPolicy", json!("TerminatingOrFailed"));
            if !spec.contains_key("completions") {
                spec.insert("completions".into(), json!(1));
            }
            let generate_selector = !spec.contains_key("selector") && spec.get("manualSelector") != Some(&json!(true));
            if generate_selector {
                spec.insert("selector".into(), json!({"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}));
                let template_meta = obj_mut(obj_mut(obj, "spec").entry("template").or_insert(json!({})), "metadata");
                let labels = template_meta.entry("labels").or_insert(json!({}));
                if let Some(l) = labels.as_object_mut() {
                    l.insert("batch.kubernetes.io/controller-uid".into(), json!(uid));
                    l.insert("controller-uid".into(), json!(uid));
                }
            }
            default_template(obj, "Never");
        }
        ("", "persistentvolumeclaims") => {
            set_default(obj_mut(obj, "spec"), "volumeMode", json!("Filesystem"));
            if obj.pointer("/status/phase").is_none() {
                obj["status"] = json!({"phase": "Pending"});
            }
        }
        ("", "secrets") => {
            if let Some(m) = obj.as_object_mut() {
                set_default(m, "type", json!("Opaque"));
            }
        }
        ("", "serviceaccounts") | ("", "configmaps") | ("", "events") => {}
        _ => {}
    }
}

/// The kinds whose status is written only through the `status` subresource.
pub fn status_is_subresource(rt: &ResourceType) -> bool {
    rt.has_subresource("status")
}

/// Metadata for a new object: uid, creation time, generation; status cleared where the server owns it.
pub fn prepare_create(rt: &ResourceType, obj: &mut Value) {
    let meta = obj_mut(obj, "metadata");
    meta.insert("uid".into(), json!(meta::new_uid()));
    meta.insert("creationTimestamp".into(), json!(meta::now()));
    meta.remove("deletionTimestamp");
    meta.remove("resourceVersion");
    if obj.get("spec").is_some() || rt.custom {
        obj_mut(obj, "metadata").insert("generation".into(), json!(1));
    }
    // Nodes may be created with their status (a kubelet registers itself so), as the real server allows.
    let keeps_status = rt.group.is_empty() && matches!(rt.plural.as_str(), "pods" | "nodes");
    if status_is_subresource(rt) && !keeps_status {
        // Custom resources and workloads start without status; the controllers fill it in.
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
    }
    if rt.group.is_empty() && rt.plural == "pods" {
        obj["status"] = json!({"phase": "Pending", "qosClass": qos_class(obj)});
    }
    apply_defaults(rt, obj);
}

/// Carries over what an update may not change, and bumps `generation` when the spec changed.
/// `subresource` is `Some("status")` for status writes, which change nothing but status.
pub fn prepare_update(rt: &ResourceType, old: &Value, new: &mut Value, subresource: Option<&str>) {
    if subresource == Some("status") {
        let status = new.get("status").cloned();
        *new = old.clone();
        match status {
            Some(s) => new["status"] = s,
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
        return;
    }
    for key in ["uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation"] {
        let old_value = old.pointer(&format!("/metadata/{key}")).cloned();
        let meta = obj_mut(new, "metadata");
        match old_value {
            Some(v) => {
                meta.insert(key.into(), v);
            }
            None => {
                meta.remove(key);
            }
        }
    }
    if status_is_subresource(rt) {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    }
    if rt.group.is_empty() && rt.plural == "pods" {
        // A pod's spec is immutable apart from a few fields; keep the scheduled node and defaults.
        if let (Some(node), Some(spec)) =
            (old.pointer("/spec/nodeName").cloned(), new.get_mut("spec").and_then(Value::as_object_mut))
        {
            spec.entry("nodeName").or_insert(node);
        }
    }
    apply_defaults_on_update(rt, new);
    let spec_changed =
        old.get("spec") != new.get("spec") || (rt.custom && strip_meta_status(old) != strip_meta_status(new));
    let generation = meta::int_at(old, "/metadata/generation");
    if generation > 0 || spec_changed {
        let next = if spec_changed { generation.max(0) + 1 } else { generation };
        obj_mut(new, "metadata").insert("generation".into(), json!(next.max(1)));
    }
}

fn strip_meta_status(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
    }
    v
}

fn apply_defaults_on_update(rt: &ResourceType, obj: &mut Value) {
    // Defaults are re-applied on update as a real server decodes with defaulting; status is left alone.
    if matches!((rt.group.as_str(), rt.plural.as_str()), ("", "namespaces" | "persistentvolumeclaims")) {
        return;
    }
    let status = obj.get("status").cloned();
    apply_defaults(rt, obj);
    if let Some(s) = status {
        obj["status"] = s;
    }
}

/// The QoS class of a pod, from its containers' requests and limits.
pub fn qos_class(pod: &Value) -> &'static str {
    let containers = pod.pointer("/spec/containers").and_then(Value::as_array);
    let Some(cs) = containers else { return "BestEffort" };
    let mut any = false;
    let mut guaranteed = true;
    for c in cs {
        let req = c.pointer("/resources/requests").and_then(Value::as_object);
        let lim = c.pointer("/resources/limits").and_then(Value::as_object);
        if req.is_some_and(|r| !r.is_empty()) || lim.is_some_and(|l| !l.is_empty()) {
            any = true;
        }
        for r in ["cpu", "memory"] {
            let l = lim.and_then(|l| l.get(r));
            let q = req.and_then(|q| q.get(r)).or(l);
            if l.is_none() || q != l {
                guaranteed = false;
            }
        }
    }
    if !any {
        "BestEffort"
    } else if guaranteed {
        "Guaranteed"
    } else {
        "Burstable"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn names_are_validated_with_the_real_messages() {
        let reg = Registry::default();
        let pods = reg.find("", "v1", "pods").unwrap();
        let bad = json!({"metadata": {"name": "Web_1"}, "spec": {"containers": [{"name": "a", "image": "x"}]}});
        let causes = validate(&pods, &bad);
        assert_eq!(causes.len(), 1);
        assert!(causes[0].message.contains("RFC 1123 subdomain"));
        let ns = reg.find("", "v1", "namespaces").unwrap();
        assert!(!validate(&ns, &json!({"metadata": {"name": "a.b"}})).is_empty());
        assert!(validate(&ns, &json!({"metadata": {"name": "ml-team"}})).is_empty());
    }

    #[test]
    fn pod_specs_need_containers_with_images() {
        let reg = Registry::default();
        let pods = reg.find("", "v1", "pods").unwrap();
        let causes = validate(&pods, &json!({"metadata": {"name": "p"}, "spec": {"containers": [{"name": "a"}]}}));
        assert_eq!(causes[0].field, "spec.containers[0].image");
        let deploy = reg.find("apps", "v1", "deployments").unwrap();
        let d = json!({"metadata": {"name": "d"}, "spec": {"selector": {"matchLabels": {"app": "a"}},
            "template": {"metadata": {"labels": {"app": "b"}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}});
        assert!(validate(&deploy, &d).iter().any(|c| c.message.contains("does not match")));
    }

    #[test]
    fn create_sets_metadata_and_defaults() {
        let reg = Registry::default();
        let deploy = reg.find("apps", "v1", "deployments").unwrap();
        let mut d = json!({"metadata": {"name": "d"}, "spec": {"selector": {}, "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}, "status": {"replicas": 9}});
        prepare_create(&deploy, &mut d);
        assert_eq!(d["metadata"]["generation"], 1);
        assert_eq!(d["spec"]["replicas"], 1);
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"], "Always");
        assert!(d.get("status").is_none(), "status is the controller's");
        let mut updated = d.clone();
        updated["spec"]["replicas"] = json!(3);
        updated["status"] = json!({"replicas": 100});
        prepare_update(&deploy, &d, &mut updated, None);
        assert_eq!(updated["metadata"]["generation"], 2);
        assert!(updated.get("status").is_none(), "status only changes through /status");
    }

    #[test]
    fn qos_classes() {
        let pod = |res: Value| json!({"spec": {"containers": [{"resources": res}]}});
        assert_eq!(qos_class(&pod(json!({}))), "BestEffort");
        assert_eq!(qos_class(&pod(json!({"limits": {"cpu": "1", "memory": "1Gi"}}))), "Guaranteed");
        assert_eq!(qos_class(&pod(json!({"requests": {"cpu": "1"}}))), "Burstable");
    }
}
