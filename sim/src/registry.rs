//! The resource types kubesim serves: the built-in kinds, plus every custom resource whose CRD has been created.
//!
//! One [`ResourceType`] per (group, version, plural). Discovery, routing, storage keys, tables and OpenAPI all
//! read this registry, so a kind is described in exactly one place.

use std::sync::{Arc, RwLock};

use serde_json::Value;

/// A column of `kubectl get` output (a CRD's `additionalPrinterColumns`, or a built-in kind's columns).
#[derive(Debug, Clone, PartialEq)]
pub struct PrinterColumn {
    pub name: String,
    pub type_: String,
    pub json_path: String,
    pub description: String,
    /// 0 = always shown; >0 = only with `-o wide`.
    pub priority: i64,
}

/// One served resource: where it lives in the API and what it supports.
#[derive(Debug, Clone, PartialEq)]
pub struct ResourceType {
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
    pub singular: String,
    pub namespaced: bool,
    pub short_names: Vec<String>,
    pub categories: Vec<String>,
    pub verbs: Vec<String>,
    /// Subresources such as `status`, `scale`, `log`.
    pub subresources: Vec<String>,
    /// Columns for custom resources (built-in kinds compute their tables in code).
    pub printer_columns: Vec<PrinterColumn>,
    /// The CRD's structural schema, if this is a custom resource.
    pub schema: Option<Value>,
    pub custom: bool,
}

impl ResourceType {
    /// `v1` for the core group, else `group/version`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() { self.version.clone() } else { format!("{}/{}", self.group, self.version) }
    }

    /// The storage key: objects are stored once per (group, plural), whatever version is asked for — and
    /// `events.k8s.io` Events are the core Events, as on a real server.
    pub fn key(&self) -> ResourceKey {
        if self.is_events_view() {
            return ResourceKey { group: String::new(), plural: self.plural.clone() };
        }
        ResourceKey { group: self.group.clone(), plural: self.plural.clone() }
    }

    /// The apiVersion objects of this resource are stored with.
    pub fn storage_api_version(&self) -> String {
        if self.is_events_view() { "v1".into() } else { self.api_version() }
    }

    /// `events.k8s.io` Events: another view of the core Events, stored as those (see `convert`).
    pub fn is_events_view(&self) -> bool {
        self.group == "events.k8s.io" && self.plural == "events"
    }

    pub fn has_subresource(&self, name: &str) -> bool {
        self.subresources.iter().any(|s| s == name)
    }

    /// The path prefix of this resource's collection, e.g. `/apis/apps/v1/namespaces/ns/deployments`.
    pub fn collection_path(&self, namespace: Option<&str>) -> String {
        let base = if self.group.is_empty() {
            "/api/v1".to_string()
        } else {
            format!("/apis/{}/{}", self.group, self.version)
        };
        match namespace.filter(|_| self.namespaced) {
            Some(ns) => format!("{base}/namespaces/{ns}/{}", self.plural),
            None => format!("{base}/{}", self.plural),
        }
    }
}

/// Identifies a stored collection: objects of one resource, in any served version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ResourceKey {
    pub group: String,
    pub plural: String,
}

impl ResourceKey {
    pub fn new(group: &str, plural: &str) -> Self {
        Self { group: group.to_string(), plural: plural.to_string() }
    }
}

const ALL_VERBS: &[&str] = &["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

struct Builtin {
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    sub: &'static [&'static str],
    /// Create-only review kinds have no storage and only the `create` verb.
    create_only: bool,
}

const fn kind(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    namespaced: bool,
    short: &'static [&'static str],
    sub: &'static [&'static str],
) -> Builtin {
    Builtin { group, version, kind, plural, namespaced, short, sub, create_only: false }
}

const fn review(group: &'static str, kind: &'static str, plural: &'static str) -> Builtin {
    Builtin { group, version: "v1", kind, plural, namespaced: false, short: &[], sub: &[], create_only: true }
}

const BUILTINS: &[Builtin] = &[
    kind("", "v1", "Namespace", "namespaces", false, &["ns"], &["status", "finalize"]),
    kind("", "v1", "Node", "nodes", false, &["no"], &["status", "proxy"]),
    kind("", "v1", "Pod", "pods", true, &["po"], &["status", "log", "portforward", "binding", "eviction", "exec"]),
    kind("", "v1", "Service", "services", true, &["svc"], &["status", "proxy"]),
    kind("", "v1", "Endpoints", "endpoints", true, &["ep"], &[]),
    kind("", "v1", "ConfigMap", "configmaps", true, &["cm"], &[]),
    kind("", "v1", "Secret", "secrets", true, &[], &[]),
    kind("", "v1", "ServiceAccount", "serviceaccounts", true, &["sa"], &["token"]),
    kind("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", true, &["pvc"], &["status"]),
    kind("", "v1", "PersistentVolume", "persistentvolumes", false, &["pv"], &["status"]),
    kind("", "v1", "Event", "events", true, &["ev"], &[]),
    kind("events.k8s.io", "v1", "Event", "events", true, &["ev"], &[]),
    kind("", "v1", "ResourceQuota", "resourcequotas", true, &["quota"], &["status"]),
    kind("", "v1", "LimitRange", "limitranges", true, &["limits"], &[]),
    kind("apps", "v1", "Deployment", "deployments", true, &["deploy"], &["status", "scale"]),
    kind("apps", "v1", "ReplicaSet", "replicasets", true, &["rs"], &["status", "scale"]),
    kind("apps", "v1", "DaemonSet", "daemonsets", true, &["ds"], &["status"]),
    kind("apps", "v1", "StatefulSet", "statefulsets", true, &["sts"], &["status", "scale"]),
    kind("apps", "v1", "ControllerRevision", "controllerrevisions", true, &[], &[]),
    kind("batch", "v1", "Job", "jobs", true, &[], &["status"]),
    kind("batch", "v1", "CronJob", "cronjobs", true, &["cj"], &["status"]),
    kind("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, &["hpa"], &["status"]),
    kind("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, &["pdb"], &["status"]),
    kind("rbac.authorization.k8s.io", "v1", "Role", "roles", true, &[], &[]),
    kind("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, &[], &[]),
    kind("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, &[], &[]),
    kind("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, &[], &[]),
    kind("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", false, &["pc"], &[]),
    kind("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, &["sc"], &[]),
    kind("coordination.k8s.io", "v1", "Lease", "leases", true, &[], &[]),
    kind("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", true, &[], &[]),
    kind("networking.k8s.io", "v1", "Ingress", "ingresses", true, &["ing"], &["status"]),
    kind("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, &["netpol"], &[]),
    kind(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
        &["crd", "crds"],
        &["status"],
    ),
    review("authorization.k8s.io", "SelfSubjectAccessReview", "selfsubjectaccessreviews"),
    review("authorization.k8s.io", "SelfSubjectRulesReview", "selfsubjectrulesreviews"),
    review("authorization.k8s.io", "SubjectAccessReview", "subjectaccessreviews"),
    review("authentication.k8s.io", "SelfSubjectReview", "selfsubjectreviews"),
    review("authentication.k8s.io", "TokenReview", "tokenreviews"),
];

fn builtin_types() -> Vec<ResourceType> {
    BUILTINS
        .iter()
        .map(|b| {
            let categories = match b.plural {
                "pods"
                | "services"
                | "deployments"
                | "replicasets"
                | "daemonsets"
                | "statefulsets"
                | "jobs"
                | "cronjobs"
                | "horizontalpodautoscalers" => vec!["all".to_string()],
                _ => Vec::new(),
            };
            let verbs: &[&str] = if b.create_only { &["create"] } else { ALL_VERBS };
            ResourceType {
                group: b.group.into(),
                version: b.version.into(),
                kind: b.kind.into(),
                plural: b.plural.into(),
                singular: b.kind.to_lowercase(),
                namespaced: b.namespaced,
                short_names: b.short.iter().map(|s| s.to_string()).collect(),
                categories,
                verbs: verbs.iter().map(|v| v.to_string()).collect(),
                subresources: b.sub.iter().map(|s| s.to_string()).collect(),
                printer_columns: Vec::new(),
                schema: None,
                custom: false,
            }
        })
        .collect()
}

/// All served resource types; custom resources come and go with their CRDs.
#[derive(Debug, Clone)]
pub struct Registry {
    inner: Arc<RwLock<Vec<Arc<ResourceType>>>>,
}

impl Default for Registry {
    fn default() -> Self {
        Self { inner: Arc::new(RwLock::new(builtin_types().into_iter().map(Arc::new).collect())) }
    }
}

impl Registry {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<ResourceType>>> {
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Every served type, in a stable order (built-ins first, then custom resources by group).
    pub fn all(&self) -> Vec<Arc<ResourceType>> {
        self.read().clone()
    }

    /// Looks a resource up by its URL parts.
    pub fn find(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.read().iter().find(|r| r.group == group && r.version == version && r.plural == plural).cloned()
    }

    /// Any served version of a (group, plural), preferring the first registered.
    pub fn find_any_version(&self, group: &str, plural: &str) -> Option<Arc<ResourceType>> {
        self.read().iter().find(|r| r.group == group && r.plural == plural).cloned()
    }

    /// Looks a resource up by apiVersion and kind (as written in an object).
    pub fn find_kind(&self, api_version: &str, kind: &str) -> Option<Arc<ResourceType>> {
        let (group, version) = split_api_version(api_version);
        self.read().iter().find(|r| r.group == group && r.version == version && r.kind == kind).cloned()
    }

    /// Groups and their versions, in registration order: what `/apis` lists.
    pub fn groups(&self) -> Vec<(String, Vec<String>)> {
        let mut groups: Vec<(String, Vec<String>)> = Vec::new();
        for r in self.read().iter().filter(|r| !r.group.is_empty()) {
            match groups.iter_mut().find(|(g, _)| *g == r.group) {
                Some((_, versions)) if !versions.contains(&r.version) => versions.push(r.version.clone()),
                Some(_) => {}
                None => groups.push((r.group.clone(), vec![r.version.clone()])),
            }
        }
        groups
    }

    /// Resources of one group/version, for `/apis/<group>/<version>`.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceType>> {
        self.read().iter().filter(|r| r.group == group && r.version == version).cloned().collect()
    }

    /// Replaces the custom resource types defined by the CRD named `crd_name` (`<plural>.<group>`).
    pub fn set_custom(&self, crd_name: &str, types: Vec<ResourceType>) {
        let mut all = self.inner.write().unwrap_or_else(|e| e.into_inner());
        all.retain(|r| !(r.custom && format!("{}.{}", r.plural, r.group) == crd_name));
        all.extend(types.into_iter().map(Arc::new));
    }

    /// Removes the custom resource types of a deleted CRD.
    pub fn remove_custom(&self, crd_name: &str) {
        self.set_custom(crd_name, Vec::new());
    }
}

/// Splits `apps/v1` into (`apps`, `v1`) and `v1` into (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// The resource types a CRD object defines: one per served version. Errors name the offending field.
pub fn types_from_crd(crd: &Value) -> Result<Vec<ResourceType>, String> {
    let spec = crd.get("spec").ok_or("spec: Required value")?;
    let group = spec.get("group").and_then(Value::as_str).ok_or("spec.group: Required value")?;
    let names = spec.get("names").ok_or("spec.names: Required value")?;
    let plural = names.get("plural").and_then(Value::as_str).ok_or("spec.names.plural: Required value")?;
    let kind = names.get("kind").and_then(Value::as_str).ok_or("spec.names.kind: Required value")?;
    let singular = names.get("singular").and_then(Value::as_str).map_or_else(|| kind.to_lowercase(), str::to_string);
    let scope = spec.get("scope").and_then(Value::as_str).ok_or("spec.scope: Required value")?;
    let namespaced = match scope {
        "Namespaced" => true,
        "Cluster" => false,
        other => {
            return Err(format!(
                "spec.scope: Unsupported value: \"{other}\": supported values: \"Cluster\", \"Namespaced\""
            ));
        }
    };
    let strings = |v: Option<&Value>| -> Vec<String> {
        v.and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
            .unwrap_or_default()
    };
    let versions = spec.get("versions").and_then(Value::as_array).ok_or("spec.versions: Required value")?;
    let mut types = Vec::new();
    for v in versions {
        let name = v.get("name").and_then(Value::as_str).ok_or("spec.versions[].name: Required value")?;
        if v.get("served").and_then(Value::as_bool) == Some(false) {
            continue;
        }
        let mut subresources = Vec::new();
        if let Some(sub) = v.get("subresources") {
            if sub.get("status").is_some() {
                subresources.push("status".to_string());
            }
            if sub.get("scale").is_some() {
                subresources.push("scale".to_string());
            }
        }
        let printer_columns = v
            .get("additionalPrinterColumns")
            .and_then(Value::as_array)
            .map(|cols| {
                cols.iter()
                    .map(|c| PrinterColumn {
                        name: c.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                        type_: c.get("type").and_then(Value::as_str).unwrap_or("string").to_string(),
                        json_path: c.get("jsonPath").and_then(Value::as_str).unwrap_or_default().to_string(),
                        description: c.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
                        priority: c.get("priority").and_then(Value::as_i64).unwrap_or(0),
                    })
                    .collect()
            })
            .unwrap_or_default();
        types.push(ResourceType {
            group: group.to_string(),
            version: name.to_string(),
            kind: kind.to_string(),
            plural: plural.to_string(),
            singular: singular.clone(),
            namespaced,
            short_names: strings(names.get("shortNames")),
            categories: strings(names.get("categories")),
            verbs: ALL_VERBS.iter().map(|v| v.to_string()).collect(),
            subresources,
            printer_columns,
            schema: v.pointer("/schema/openAPIV3Schema").cloned(),
            custom: true,
        });
    }
    Ok(types)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn builtins_are_found_by_path_and_kind() {
        let reg = Registry::default();
        let deploy = reg.find("apps", "v1", "deployments").unwrap();
        assert!(deploy.namespaced && deploy.has_subresource("scale"));
        assert_eq!(reg.find_kind("v1", "Node").unwrap().plural, "nodes");
        assert_eq!(deploy.collection_path(Some("ml")), "/apis/apps/v1/namespaces/ml/deployments");
    }

    #[test]
    fn crds_add_and_remove_types() {
        let reg = Registry::default();
        let crd = json!({"spec": {"group": "kubeflow.org", "scope": "Namespaced",
            "names": {"plural": "tfjobs", "kind": "TFJob", "shortNames": ["tfj"]},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                "additionalPrinterColumns": [{"name": "State", "type": "string", "jsonPath": ".status.conditions[-1:].type"}]}]}});
        reg.set_custom("tfjobs.kubeflow.org", types_from_crd(&crd).unwrap());
        let tf = reg.find("kubeflow.org", "v1", "tfjobs").unwrap();
        assert_eq!((tf.kind.as_str(), tf.short_names.clone()), ("TFJob", vec!["tfj".to_string()]));
        assert!(tf.has_subresource("status"));
        assert_eq!(tf.printer_columns[0].json_path, ".status.conditions[-1:].type");
        assert!(reg.groups().iter().any(|(g, _)| g == "kubeflow.org"));
        reg.remove_custom("tfjobs.kubeflow.org");
        assert!(reg.find("kubeflow.org", "v1", "tfjobs").is_none());
    }

    #[test]
    fn crd_errors_name_the_field() {
        let err =
            types_from_crd(&json!({"spec": {"group": "x", "names": {"plural": "a", "kind": "A"}, "scope": "Global"}}))
                .unwrap_err();
        assert!(err.contains("spec.scope"), "{err}");
    }
}
