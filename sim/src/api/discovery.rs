//! Discovery documents: `/version`, `/api`, `/apis`, and the resource lists of each group/version.

use serde_json::{Value, json};

use crate::registry::{Registry, ResourceType};

/// The Kubernetes version kubesim reports.
pub const KUBE_MAJOR: &str = "1";
pub const KUBE_MINOR: &str = "35";
pub const GIT_VERSION: &str = "v1.35.0+kubesim";

pub fn version() -> Value {
    json!({
        "major": KUBE_MAJOR,
        "minor": KUBE_MINOR,
        "emulationMajor": KUBE_MAJOR,
        "emulationMinor": KUBE_MINOR,
        "gitVersion": GIT_VERSION,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2026-01-01T00:00:00Z",
        "goVersion": "go1.25.0",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn group_entry(group: &str, versions: &[String]) -> Value {
    let versions: Vec<Value> =
        versions.iter().map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v})).collect();
    json!({"name": group, "versions": versions, "preferredVersion": versions.first().cloned().unwrap_or(json!({}))})
}

pub fn group_list(registry: &Registry) -> Value {
    let groups: Vec<Value> = registry.groups().iter().map(|(g, v)| group_entry(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`, or `None` for an unknown group.
pub fn group(registry: &Registry, name: &str) -> Option<Value> {
    let groups = registry.groups();
    let (g, v) = groups.iter().find(|(g, _)| g == name)?;
    let mut entry = group_entry(g, v);
    entry["kind"] = json!("APIGroup");
    entry["apiVersion"] = json!("v1");
    Some(entry)
}

/// What a subresource answers with: (kind, group, version — empty for the parent's), and its verbs.
fn subresource_facts<'a>(
    rt: &'a ResourceType,
    sub: &str,
) -> (&'a str, &'static str, &'static str, &'static [&'static str]) {
    match sub {
        "status" => (&rt.kind, "", "", &["get", "patch", "update"]),
        "scale" => ("Scale", "autoscaling", "v1", &["get", "patch", "update"]),
        "log" => ("Pod", "", "", &["get"]),
        "portforward" => ("PodPortForwardOptions", "", "", &["create", "get"]),
        "exec" => ("PodExecOptions", "", "", &["create", "get"]),
        "binding" => ("Binding", "", "", &["create"]),
        "eviction" => ("Eviction", "policy", "v1", &["create"]),
        "proxy" => ("NodeProxyOptions", "", "", &["create", "delete", "get", "patch", "update"]),
        "token" => ("TokenRequest", "authentication.k8s.io", "v1", &["create"]),
        "finalize" => ("Namespace", "", "", &["update"]),
        _ => (&rt.kind, "", "", &["get"]),
    }
}

fn subresource_entry(rt: &ResourceType, sub: &str) -> Value {
    let (kind, group, version, verbs) = subresource_facts(rt, sub);
    let mut e = json!({
        "name": format!("{}/{sub}", rt.plural),
        "singularName": "",
        "namespaced": rt.namespaced,
        "kind": kind,
        "verbs": verbs,
    });
    if !group.is_empty() {
        e["group"] = json!(group);
        e["version"] = json!(version);
    }
    e
}

/// The media type of aggregated discovery a client accepts (`v2` or `v2beta1`), in its order of preference.
pub fn aggregated_version(accept: &str) -> Option<&'static str> {
    accept.split(',').find_map(|range| {
        let range = range.replace(' ', "");
        if !range.contains("g=apidiscovery.k8s.io") || !range.contains("as=APIGroupDiscoveryList") {
            return None;
        }
        if range.contains("v=v2beta1") {
            Some("v2beta1")
        } else if range.contains("v=v2") {
            Some("v2")
        } else {
            None
        }
    })
}

/// Aggregated discovery (`APIGroupDiscoveryList`): every group, version and resource in one document — the core
/// group for `/api`, the others for `/apis`. Clients that ask for it need no per-group requests.
pub fn aggregated(registry: &Registry, core: bool, version: &str) -> Value {
    let mut items = Vec::new();
    let groups = if core { vec![(String::new(), vec!["v1".to_string()])] } else { registry.groups() };
    for (group, versions) in groups {
        let versions: Vec<Value> = versions
            .iter()
            .map(|v| {
                let resources: Vec<Value> = registry
                    .in_group_version(&group, v)
                    .iter()
                    .map(|rt| {
                        let mut r = json!({
                            "resource": rt.plural,
                            "responseKind": {"group": group, "version": v, "kind": rt.kind},
                            "scope": if rt.namespaced { "Namespaced" } else { "Cluster" },
                            "singularResource": rt.singular,
                            "verbs": rt.verbs,
                        });
                        if !rt.short_names.is_empty() {
                            r["shortNames"] = json!(rt.short_names);
                        }
                        if !rt.categories.is_empty() {
                            r["categories"] = json!(rt.categories);
                        }
                        let subs: Vec<Value> = rt
                            .subresources
                            .iter()
                            .map(|sub| {
                                let (kind, g, ver, verbs) = subresource_facts(rt, sub);
                                let (g, ver) = if g.is_empty() { (group.as_str(), v.as_str()) } else { (g, ver) };
                                json!({"subresource": sub, "responseKind": {"group": g, "version": ver, "kind": kind}, "verbs": verbs})
                            })
                            .collect();
                        if !subs.is_empty() {
                            r["subresources"] = json!(subs);
                        }
                        r
                    })
                    .collect();
                json!({"version": v, "resources": resources, "freshness": "Current"})
            })
            .collect();
        let metadata =
            if core { json!({"creationTimestamp": null}) } else { json!({"name": group, "creationTimestamp": null}) };
        items.push(json!({"metadata": metadata, "versions": versions}));
    }
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{version}"), "metadata": {}, "items": items})
}

/// `/api/v1` or `/apis/<group>/<version>`, or `None` if nothing is served there.
pub fn resource_list(registry: &Registry, group: &str, version: &str) -> Option<Value> {
    let types = registry.in_group_version(group, version);
    if types.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for rt in &types {
        let mut e = json!({
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": rt.verbs,
        });
        if !rt.short_names.is_empty() {
            e["shortNames"] = json!(rt.short_names);
        }
        if !rt.categories.is_empty() {
            e["categories"] = json!(rt.categories);
        }
        resources.push(e);
        for sub in &rt.subresources {
            resources.push(subresource_entry(rt, sub));
        }
    }
    let group_version = if group.is_empty() { version.to_string() } else { format!("{group}/{version}") };
    Some(json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": group_version, "resources": resources}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_list_has_pods_and_their_subresources() {
        let reg = Registry::default();
        let list = resource_list(&reg, "", "v1").unwrap();
        let names: Vec<&str> =
            list["resources"].as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
        assert!(names.contains(&"pods") && names.contains(&"pods/log") && names.contains(&"nodes/status"));
        assert!(resource_list(&reg, "nope", "v1").is_none());
        let groups = group_list(&reg);
        assert!(groups["groups"].as_array().unwrap().iter().any(|g| g["name"] == "apps"));
        assert_eq!(group(&reg, "batch").unwrap()["preferredVersion"]["groupVersion"], "batch/v1");
    }

    #[test]
    fn aggregated_discovery_lists_every_group_in_one_document() {
        let accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
        assert_eq!(aggregated_version(accept), Some("v2"));
        assert_eq!(aggregated_version("application/json"), None);
        let reg = Registry::default();
        let core = aggregated(&reg, true, "v2");
        assert_eq!(core["items"].as_array().map(Vec::len), Some(1));
        let pods = core["items"][0]["versions"][0]["resources"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["resource"] == "pods"))
            .cloned()
            .unwrap_or_default();
        assert_eq!(pods["scope"], "Namespaced");
        assert!(pods["subresources"].as_array().is_some_and(|s| s.iter().any(|s| s["subresource"] == "log")));
        let groups = aggregated(&reg, false, "v2");
        assert!(groups["items"].as_array().is_some_and(|i| i.iter().any(|g| g["metadata"]["name"] == "apps")));
    }
}
