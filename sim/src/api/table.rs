//! Server-side printing: objects as `meta.k8s.io/v1` `Table`s, the way `kubectl get` asks for them.
//!
//! Built-in kinds get the columns the real API server prints; custom resources use their CRD's
//! `additionalPrinterColumns` (or Name and Age).

use serde_json::{Value, json};

use super::jsonpath;
use kubefmt::duration::human as human_duration;
use kubefmt::pod::{Condition, ContainerFacts, InitContainer, PodFacts, State};

use crate::meta::{age, int_at, seconds_since, str_at};
use crate::registry::ResourceType;

/// A column: name, type, priority (0 default, 1 only with `-o wide`), description.
struct Col(&'static str, &'static str, i64, &'static str);

const NAME: Col = Col("Name", "string", 0, "Name must be unique within a namespace.");
const AGE: Col = Col(
    "Age",
    "string",
    0,
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

fn columns_for(rt: &ResourceType) -> Vec<Col> {
    // By storage: events.k8s.io Events print like core Events, as kubectl shows them.
    let key = rt.key();
    match (key.group.as_str(), key.plural.as_str()) {
        ("", "nodes") => vec![
            NAME,
            Col("Status", "string", 0, "The status of the node"),
            Col("Roles", "string", 0, "The roles of the node"),
            AGE,
            Col("Version", "string", 0, "Kubelet Version reported by the node."),
            Col("Internal-IP", "string", 1, "List of addresses reachable to the node."),
            Col("External-IP", "string", 1, "List of addresses reachable to the node."),
            Col("OS-Image", "string", 1, "OS Image reported by the node from /etc/os-release."),
            Col("Kernel-Version", "string", 1, "Kernel Version reported by the node."),
            Col("Container-Runtime", "string", 1, "Container Runtime Version reported by the node."),
        ],
        ("", "pods") => vec![
            NAME,
            Col("Ready", "string", 0, "The aggregate readiness state of this pod for accepting traffic."),
            Col("Status", "string", 0, "The aggregate status of the containers in this pod."),
            Col("Restarts", "string", 0, "The number of times the containers in this pod have been restarted."),
            AGE,
            Col("IP", "string", 1, "IP address allocated to the pod."),
            Col("Node", "string", 1, "Name of the Node this pod is running on."),
            Col("Nominated Node", "string", 1, "Name of the node this pod is nominated to run on."),
            Col("Readiness Gates", "string", 1, "The readiness gates of this pod."),
        ],
        ("", "namespaces") => vec![NAME, Col("Status", "string", 0, "The status of the namespace"), AGE],
        ("", "services") => vec![
            NAME,
            Col("Type", "string", 0, "The type of the service."),
            Col("Cluster-IP", "string", 0, "The IP address assigned to the service."),
            Col("External-IP", "string", 0, "The external IP of the service."),
            Col("Port(s)", "string", 0, "The ports of the service."),
            AGE,
            Col(
                "Selector",
                "string",
                1,
                "Route service traffic to pods with label keys and values matching this selector.",
            ),
        ],
        ("", "configmaps") => vec![NAME, Col("Data", "integer", 0, "Number of keys"), AGE],
        ("", "secrets") => {
            vec![NAME, Col("Type", "string", 0, "The type of secret"), Col("Data", "integer", 0, "Number of keys"), AGE]
        }
        ("", "events") => vec![
            Col("Last Seen", "string", 0, "Time when this Event was last observed."),
            Col("Type", "string", 0, "Type of this event (Normal, Warning)."),
            Col("Reason", "string", 0, "Short, machine understandable string that gives the reason for the event."),
            Col("Object", "string", 0, "The object that this event is about."),
            Col("Message", "string", 0, "A human-readable description of the status of this operation."),
        ],
        ("", "persistentvolumeclaims") => vec![
            NAME,
            Col("Status", "string", 0, "The phase of the claim."),
            Col("Volume", "string", 0, "The volume bound to the claim."),
            Col("Capacity", "string", 0, "The capacity of the bound volume."),
            Col("Access Modes", "string", 0, "The access modes of the volume."),
            Col("StorageClass", "string", 0, "The storage class of the claim."),
            AGE,
        ],
        ("apps", "deployments") => vec![
            NAME,
            Col("Ready", "string", 0, "Number of the pod with ready state"),
            Col(
                "Up-to-date",
                "integer",
                0,
                "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            ),
            Col(
                "Available",
                "integer",
                0,
                "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            ),
            AGE,
            Col("Containers", "string", 1, "Names of each container in the template."),
            Col("Images", "string", 1, "Images referenced by each container in the template."),
            Col("Selector", "string", 1, "Label selector for pods."),
        ],
        ("apps", "replicasets") => vec![
            NAME,
            Col("Desired", "integer", 0, "Number of desired pods."),
            Col("Current", "integer", 0, "Number of actual pods."),
            Col("Ready", "integer", 0, "Number of ready pods."),
            AGE,
            Col("Containers", "string", 1, "Names of each container in the template."),
            Col("Images", "string", 1, "Images referenced by each container in the template."),
            Col("Selector", "string", 1, "Label selector for pods."),
        ],
        ("apps", "daemonsets") => vec![
            NAME,
            Col("Desired", "integer", 0, "The desired number of nodes that should be running the daemon pod."),
            Col("Current", "integer", 0, "The number of nodes that are running at least 1 daemon pod."),
            Col(
                "Ready",
                "integer",
                0,
                "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.",
            ),
            Col("Up-to-date", "integer", 0, "The total number of nodes that are running updated daemon pod."),
            Col(
                "Available",
                "integer",
                0,
                "The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.",
            ),
            Col(
                "Node Selector",
                "string",
                0,
                "NodeSelector is a selector which must be true for the pod to fit on a node.",
            ),
            AGE,
        ],
        ("apps", "statefulsets") => vec![NAME, Col("Ready", "string", 0, "Number of the pod with ready state"), AGE],
        ("batch", "jobs") => vec![
            NAME,
            Col("Status", "string", 0, "Status of the job."),
            Col(
                "Completions",
                "string",
                0,
                "The desired number of successfully finished pods the job should be run with.",
            ),
            Col("Duration", "string", 0, "Time required to complete the job."),
            AGE,
        ],
        ("autoscaling", "horizontalpodautoscalers") => vec![
            NAME,
            Col("Reference", "string", 0, "The reference to the autoscaled resource"),
            Col("Targets", "string", 0, "The current and target metrics"),
            Col("MinPods", "string", 0, "Lower limit for the number of pods"),
            Col("MaxPods", "integer", 0, "Upper limit for the number of pods"),
            Col("Replicas", "integer", 0, "Current number of replicas"),
            AGE,
        ],
        _ => vec![NAME, AGE],
    }
}

fn node_status(node: &Value) -> String {
    let ready = node
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .and_then(|c| c.iter().find(|c| c.get("type").and_then(Value::as_str) == Some("Ready")))
        .and_then(|c| c.get("status").and_then(Value::as_str));
    let mut status = match ready {
        Some("True") => "Ready".to_string(),
        Some(_) => "NotReady".to_string(),
        None => "Unknown".to_string(),
    };
    if node.pointer("/spec/unschedulable").and_then(Value::as_bool) == Some(true) {
        status.push_str(",SchedulingDisabled");
    }
    status
}

fn node_roles(node: &Value) -> String {
    let mut roles: Vec<&str> = node
        .pointer("/metadata/labels")
        .and_then(Value::as_object)
        .map(|l| l.keys().filter_map(|k| k.strip_prefix("node-role.kubernetes.io/")).collect())
        .unwrap_or_default();
    roles.sort_unstable();
    if roles.is_empty() { "<none>".into() } else { roles.join(",") }
}

fn node_ip(node: &Value, kind: &str) -> String {
    node.pointer("/status/addresses")
        .and_then(Value::as_array)
        .and_then(|a| a.iter().find(|a| a.get("type").and_then(Value::as_str) == Some(kind)))
        .and_then(|a| a.get("address").and_then(Value::as_str))
        .unwrap_or("<none>")
        .to_string()
}

/// One container's status as the pod printer reads it.
fn container_facts(c: &Value) -> ContainerFacts<'_> {
    let state = if let Some(w) = c.pointer("/state/waiting") {
        State::Waiting { reason: str_at(w, "/reason") }
    } else if let Some(t) = c.pointer("/state/terminated") {
        let int = |p: &str| i32::try_from(int_at(t, p)).unwrap_or(i32::MAX);
        State::Terminated { reason: str_at(t, "/reason"), exit_code: int("/exitCode"), signal: int("/signal") }
    } else if c.pointer("/state/running").is_some() {
        State::Running
    } else {
        State::Unknown
    };
    ContainerFacts {
        name: str_at(c, "/name"),
        ready: c.get("ready").and_then(Value::as_bool) == Some(true),
        started: c.get("started").and_then(Value::as_bool),
        restart_count: int_at(c, "/restartCount"),
        state,
        last_finished: c
            .pointer("/lastState/terminated/finishedAt")
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(|t| t.as_second()),
    }
}

/// What the pod printer reads of a pod (see `kubefmt::pod`), borrowed from its JSON. Fields of the wrong shape
/// read as absent, as the API server would never store them.
fn pod_facts(pod: &Value) -> PodFacts<'_> {
    let list = |pointer: &str| pod.pointer(pointer).and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default();
    PodFacts {
        phase: str_at(pod, "/status/phase"),
        reason: str_at(pod, "/status/reason"),
        deleting: pod.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null()),
        containers: list("/spec/containers").len(),
        init_containers: list("/spec/initContainers")
            .iter()
            .map(|c| InitContainer { name: str_at(c, "/name"), restartable: str_at(c, "/restartPolicy") == "Always" })
            .collect(),
        init_statuses: list("/status/initContainerStatuses").iter().map(container_facts).collect(),
        statuses: list("/status/containerStatuses").iter().map(container_facts).collect(),
        conditions: list("/status/conditions")
            .iter()
            .map(|c| Condition { kind: str_at(c, "/type"), status: str_at(c, "/status"), reason: str_at(c, "/reason") })
            .collect(),
    }
}

fn template_containers(obj: &Value, field: &str) -> String {
    obj.pointer("/spec/template/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().map(|c| str_at(c, &format!("/{field}")).to_string()).collect::<Vec<_>>().join(","))
        .unwrap_or_default()
}

fn selector_text(obj: &Value) -> String {
    let labels = obj.pointer("/spec/selector/matchLabels").or_else(|| obj.pointer("/spec/selector"));
    labels
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(","))
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "<none>".into())
}

fn condition_true(obj: &Value, kind: &str) -> bool {
    obj.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|c| str_at(c, "/type") == kind && str_at(c, "/status") == "True"))
}

fn job_status(job: &Value) -> String {
    if condition_true(job, "Complete") {
        "Complete".into()
    } else if condition_true(job, "Failed") {
        "Failed".into()
    } else if job.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
        "Suspended".into()
    } else {
        "Running".into()
    }
}

fn job_duration(job: &Value) -> String {
    let start = str_at(job, "/status/startTime");
    if start.is_empty() {
        return String::new();
    }
    let end = str_at(job, "/status/completionTime");
    let secs = if end.is_empty() { seconds_since(start) } else { seconds_since(start) - seconds_since(end) };
    human_duration(secs)
}

fn service_ports(svc: &Value) -> String {
    let ports = svc.pointer("/spec/ports").and_then(Value::as_array);
    let text = ports.map(|ps| {
        ps.iter()
            .map(|p| {
                let node_port = int_at(p, "/nodePort");
                let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
                if node_port > 0 {
                    format!("{}:{node_port}/{proto}", int_at(p, "/port"))
                } else {
                    format!("{}/{proto}", int_at(p, "/port"))
                }
            })
            .collect::<Vec<_>>()
            .join(",")
    });
    text.filter(|t| !t.is_empty()).unwrap_or_else(|| "<none>".into())
}

fn or_none(s: &str) -> String {
    if s.is_empty() { "<none>".into() } else { s.to_string() }
}

fn count_keys(obj: &Value, field: &str) -> i64 {
    obj.get(field).and_then(Value::as_object).map_or(0, |m| m.len() as i64)
}

fn cells_for(rt: &ResourceType, o: &Value) -> Vec<Value> {
    let key = rt.key();
    let name = json!(str_at(o, "/metadata/name"));
    match (key.group.as_str(), key.plural.as_str()) {
        ("", "nodes") => vec![
            name,
            json!(node_status(o)),
            json!(node_roles(o)),
            json!(age(o)),
            json!(str_at(o, "/status/nodeInfo/kubeletVersion")),
            json!(node_ip(o, "InternalIP")),
            json!(node_ip(o, "ExternalIP")),
            json!(str_at(o, "/status/nodeInfo/osImage")),
            json!(str_at(o, "/status/nodeInfo/kernelVersion")),
            json!(str_at(o, "/status/nodeInfo/containerRuntimeVersion")),
        ],
        ("", "pods") => {
            let columns = kubefmt::pod::columns(&pod_facts(o));
            vec![
                name,
                json!(format!("{}/{}", columns.ready.0, columns.ready.1)),
                json!(columns.status),
                json!(columns.restarts_text(jiff::Timestamp::now().as_second())),
                json!(age(o)),
                json!(or_none(str_at(o, "/status/podIP"))),
                json!(or_none(str_at(o, "/spec/nodeName"))),
                json!(or_none(str_at(o, "/status/nominatedNodeName"))),
                json!("<none>"),
            ]
        }
        ("", "namespaces") => vec![name, json!(str_at(o, "/status/phase")), json!(age(o))],
        ("", "services") => {
            let external = o
                .pointer("/status/loadBalancer/ingress/0/ip")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| {
                    if str_at(o, "/spec/type") == "LoadBalancer" { "<pending>".into() } else { "<none>".into() }
                });
            vec![
                name,
                json!(str_at(o, "/spec/type")),
                json!(or_none(str_at(o, "/spec/clusterIP"))),
                json!(external),
                json!(service_ports(o)),
                json!(age(o)),
                json!(selector_text(o)),
            ]
        }
        ("", "configmaps") => vec![name, json!(count_keys(o, "data") + count_keys(o, "binaryData")), json!(age(o))],
        ("", "secrets") => vec![name, json!(str_at(o, "/type")), json!(count_keys(o, "data")), json!(age(o))],
        ("", "events") => {
            let last = [str_at(o, "/lastTimestamp"), str_at(o, "/eventTime"), str_at(o, "/metadata/creationTimestamp")]
                .into_iter()
                .find(|t| !t.is_empty())
                .unwrap_or_default();
            let object =
                format!("{}/{}", str_at(o, "/involvedObject/kind").to_lowercase(), str_at(o, "/involvedObject/name"));
            vec![
                json!(human_duration(seconds_since(last))),
                json!(str_at(o, "/type")),
                json!(str_at(o, "/reason")),
                json!(object),
                json!(str_at(o, "/message")),
            ]
        }
        ("", "persistentvolumeclaims") => vec![
            name,
            json!(str_at(o, "/status/phase")),
            json!(str_at(o, "/spec/volumeName")),
            json!(str_at(o, "/status/capacity/storage")),
            json!(
                o.pointer("/status/accessModes")
                    .and_then(Value::as_array)
                    .map(|m| {
                        m.iter()
                            .filter_map(Value::as_str)
                            .map(|m| match m {
                                "ReadWriteOnce" => "RWO",
                                "ReadOnlyMany" => "ROX",
                                "ReadWriteMany" => "RWX",
                                "ReadWriteOncePod" => "RWOP",
                                other => other,
                            })
                            .collect::<Vec<_>>()
                            .join(",")
                    })
                    .unwrap_or_default()
            ),
            json!(or_none(str_at(o, "/spec/storageClassName"))),
            json!(age(o)),
        ],
        ("apps", "deployments") => vec![
            name,
            json!(format!("{}/{}", int_at(o, "/status/readyReplicas"), int_at(o, "/spec/replicas"))),
            json!(int_at(o, "/status/updatedReplicas")),
            json!(int_at(o, "/status/availableReplicas")),
            json!(age(o)),
            json!(template_containers(o, "name")),
            json!(template_containers(o, "image")),
            json!(selector_text(o)),
        ],
        ("apps", "replicasets") => vec![
            name,
            json!(int_at(o, "/spec/replicas")),
            json!(int_at(o, "/status/replicas")),
            json!(int_at(o, "/status/readyReplicas")),
            json!(age(o)),
            json!(template_containers(o, "name")),
            json!(template_containers(o, "image")),
            json!(selector_text(o)),
        ],
        ("apps", "daemonsets") => {
            let node_selector = o
                .pointer("/spec/template/spec/nodeSelector")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| "<none>".into());
            vec![
                name,
                json!(int_at(o, "/status/desiredNumberScheduled")),
                json!(int_at(o, "/status/currentNumberScheduled")),
                json!(int_at(o, "/status/numberReady")),
                json!(int_at(o, "/status/updatedNumberScheduled")),
                json!(int_at(o, "/status/numberAvailable")),
                json!(node_selector),
                json!(age(o)),
            ]
        }
        ("apps", "statefulsets") => vec![
            name,
            json!(format!("{}/{}", int_at(o, "/status/readyReplicas"), int_at(o, "/spec/replicas"))),
            json!(age(o)),
        ],
        ("batch", "jobs") => {
            let completions = o.pointer("/spec/completions").and_then(Value::as_i64);
            let done = int_at(o, "/status/succeeded");
            let completions = match completions {
                Some(c) => format!("{done}/{c}"),
                None => format!("{done}/1 of {}", int_at(o, "/spec/parallelism").max(1)),
            };
            vec![name, json!(job_status(o)), json!(completions), json!(job_duration(o)), json!(age(o))]
        }
        ("autoscaling", "horizontalpodautoscalers") => {
            let reference =
                format!("{}/{}", str_at(o, "/spec/scaleTargetRef/kind"), str_at(o, "/spec/scaleTargetRef/name"));
            let current =
                o.pointer("/status/currentMetrics/0/resource/current/averageUtilization").and_then(Value::as_i64);
            let target = o.pointer("/spec/metrics/0/resource/target/averageUtilization").and_then(Value::as_i64);
            let targets = match (current, target) {
                (Some(c), Some(t)) => format!("cpu: {c}%/{t}%"),
                (None, Some(t)) => format!("cpu: <unknown>/{t}%"),
                _ => "<none>".into(),
            };
            vec![
                name,
                json!(reference),
                json!(targets),
                json!(o.pointer("/spec/minReplicas").and_then(Value::as_i64).unwrap_or(1).to_string()),
                json!(int_at(o, "/spec/maxReplicas")),
                json!(int_at(o, "/status/currentReplicas")),
                json!(age(o)),
            ]
        }
        _ => vec![name, json!(age(o))],
    }
}

/// The column definitions of a resource's table.
pub fn column_definitions(rt: &ResourceType) -> Vec<Value> {
    if rt.custom && !rt.printer_columns.is_empty() {
        let mut cols =
            vec![json!({"name": "Name", "type": "string", "format": "name", "description": NAME.3, "priority": 0})];
        for c in &rt.printer_columns {
            let (type_, format) = match c.type_.as_str() {
                "date" => ("date", ""),
                "integer" => ("integer", ""),
                "number" => ("number", ""),
                "boolean" => ("boolean", ""),
                _ => ("string", ""),
            };
            cols.push(json!({"name": c.name, "type": type_, "format": format, "description": c.description, "priority": c.priority}));
        }
        return cols;
    }
    columns_for(rt)
        .into_iter()
        .map(|Col(name, type_, priority, description)| {
            let format = if name == "Name" { "name" } else { "" };
            json!({"name": name, "type": type_, "format": format, "description": description, "priority": priority})
        })
        .collect()
}

/// The cells of one row.
pub fn row_cells(rt: &ResourceType, object: &Value) -> Vec<Value> {
    if rt.custom && !rt.printer_columns.is_empty() {
        let mut cells = vec![json!(str_at(object, "/metadata/name"))];
        for c in &rt.printer_columns {
            let text = jsonpath::cell_text(object, &c.json_path);
            let cell = match c.type_.as_str() {
                "date" if !text.is_empty() => json!(human_duration(seconds_since(&text))),
                "integer" => text.parse::<i64>().map(|n| json!(n)).unwrap_or(Value::Null),
                "number" => text.parse::<f64>().map(|n| json!(n)).unwrap_or(Value::Null),
                "boolean" => text.parse::<bool>().map(|b| json!(b)).unwrap_or(Value::Null),
                _ if text.is_empty() => Value::Null,
                _ => json!(text),
            };
            cells.push(cell);
        }
        return cells;
    }
    cells_for(rt, object)
}

/// How much of each object a table row carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("None") => Self::None,
            Some("Object") => Self::Object,
            _ => Self::Metadata,
        }
    }
}

/// The object as `PartialObjectMetadata` (what metadata-only clients and table rows carry).
pub fn partial_metadata(object: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": object.get("metadata").cloned().unwrap_or(json!({})),
    })
}

/// One table row for an object.
pub fn row(rt: &ResourceType, object: &Value, include: IncludeObject) -> Value {
    let mut row = json!({"cells": row_cells(rt, object)});
    match include {
        IncludeObject::None => {}
        IncludeObject::Metadata => row["object"] = partial_metadata(object),
        IncludeObject::Object => row["object"] = object.clone(),
    }
    row
}

/// A whole table.
pub fn table(rt: &ResourceType, objects: &[&Value], include: IncludeObject, meta: Value) -> Value {
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": meta,
        "columnDefinitions": column_definitions(rt),
        "rows": objects.iter().map(|o| row(rt, o, include)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn pod_rows_show_readiness_status_and_restarts() {
        let reg = Registry::default();
        let pods = reg.find("", "v1", "pods").unwrap();
        let pod = json!({"metadata": {"name": "web", "creationTimestamp": crate::meta::now()},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 0, "state": {"running": {}}},
                {"name": "b", "ready": false, "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        let cells = row_cells(&pods, &pod);
        assert_eq!(cells[..4], [json!("web"), json!("1/2"), json!("CrashLoopBackOff"), json!("3")]);
        assert_eq!(cells[6], json!("n1"));
        assert_eq!(column_definitions(&pods).len(), cells.len());
    }

    #[test]
    fn every_builtin_has_as_many_cells_as_columns() {
        let reg = Registry::default();
        for rt in reg.all() {
            let obj = json!({"metadata": {"name": "x"}});
            assert_eq!(column_definitions(&rt).len(), row_cells(&rt, &obj).len(), "{}", rt.plural);
        }
    }

    #[test]
    fn node_status_and_roles() {
        let node = json!({"metadata": {"labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": true}, "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(node_status(&node), "Ready,SchedulingDisabled");
        assert_eq!(node_roles(&node), "control-plane");
    }
}
