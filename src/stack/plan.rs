//! The install plan: rendered objects put in the order a cluster accepts them — namespaces, then CRDs (and wait
//! until they are established), then RBAC, configuration and storage, then workloads (and wait until they are
//! ready). Uninstall walks the same phases backwards.

use std::collections::BTreeMap;

use serde_json::Value;

use super::StackError;
use super::catalog::{Catalog, Component};
use super::objects::{self, ManifestObject};
use super::params::Selection;
use super::render;

/// When an object is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Namespaces,
    /// CRDs and other cluster-wide definitions later objects refer to.
    Definitions,
    /// RBAC, configuration, storage and services.
    Configuration,
    /// Deployments, DaemonSets, StatefulSets, Jobs, custom resources.
    Workloads,
}

impl Phase {
    pub const ALL: [Phase; 4] = [Phase::Namespaces, Phase::Definitions, Phase::Configuration, Phase::Workloads];

    pub fn title(self) -> &'static str {
        match self {
            Phase::Namespaces => "Namespaces",
            Phase::Definitions => "Custom resource definitions",
            Phase::Configuration => "Accounts, permissions, configuration and storage",
            Phase::Workloads => "Workloads",
        }
    }

    pub fn of(kind: &str) -> Phase {
        match kind {
            "Namespace" => Phase::Namespaces,
            "CustomResourceDefinition" | "PriorityClass" | "StorageClass" | "RuntimeClass" => Phase::Definitions,
            "ServiceAccount"
            | "Role"
            | "RoleBinding"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "ConfigMap"
            | "Secret"
            | "PersistentVolumeClaim"
            | "PersistentVolume"
            | "Service"
            | "ResourceQuota"
            | "LimitRange"
            | "NetworkPolicy"
            | "PodDisruptionBudget"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration" => Phase::Configuration,
            _ => Phase::Workloads,
        }
    }
}

/// What "ready" means for an object, if Bosun waits for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// A CRD whose `Established` condition is true.
    Established,
    /// A Deployment that is available with all replicas updated.
    Available,
    /// A DaemonSet whose pods run and are ready on every node it targets.
    DaemonSetReady,
    /// A StatefulSet with all replicas ready.
    ReplicasReady,
}

impl Readiness {
    pub fn of(kind: &str) -> Option<Readiness> {
        match kind {
            "CustomResourceDefinition" => Some(Readiness::Established),
            "Deployment" => Some(Readiness::Available),
            "DaemonSet" => Some(Readiness::DaemonSetReady),
            "StatefulSet" => Some(Readiness::ReplicasReady),
            _ => None,
        }
    }
}

/// One object to apply, where it came from, and whether to wait for it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedObject {
    pub object: ManifestObject,
    pub phase: Phase,
    pub wait: Option<Readiness>,
}

/// Everything an install applies, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Plan {
    pub selection: Selection,
    /// (component, version) in dependency order.
    pub components: Vec<(String, String)>,
    /// Effective parameter values per component (defaults filled in).
    pub values: BTreeMap<String, BTreeMap<String, Value>>,
    pub objects: Vec<PlannedObject>,
    /// Plain files (a folder), not the stack: applied like kubectl, without an install record.
    pub files: bool,
}

impl Plan {
    /// The objects of one phase.
    pub fn phase(&self, phase: Phase) -> impl Iterator<Item = &PlannedObject> {
        self.objects.iter().filter(move |o| o.phase == phase)
    }

    /// All rendered YAML, one file per component, as `bosun render` writes it.
    pub fn yaml_by_component(&self) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for o in &self.objects {
            let text = out.entry(o.object.component.clone()).or_default();
            if !text.is_empty() {
                text.push_str("---\n");
            }
            text.push_str(&format!("# Source: {}\n", o.object.source));
            text.push_str(&serde_saphyr::to_string(&o.object.value).unwrap_or_default());
        }
        out
    }
}

/// Renders the selected components (with their dependencies) into a plan.
pub fn plan(catalog: &Catalog, selection: &Selection) -> Result<Plan, StackError> {
    let wanted = if selection.components.is_empty() {
        catalog.names().iter().map(|s| s.to_string()).collect()
    } else {
        selection.components.clone()
    };
    let components = catalog.with_dependencies(&wanted)?;
    let mut plan = Plan { selection: selection.clone(), ..Default::default() };
    plan.selection.components = components.iter().map(|c| c.spec.name.clone()).collect();
    for component in components {
        let values = selection.values_of(component)?;
        let mut objects = Vec::new();
        for file in render::render(component, &selection.globals, &values)? {
            objects.extend(objects::parse(&file.component, &file.path, &file.text)?);
        }
        add(&mut plan, component, objects)?;
        plan.components.push((component.spec.name.clone(), component.spec.version.clone()));
        plan.values.insert(component.spec.name.clone(), values);
    }
    plan.objects.sort_by_key(|o| o.phase);
    Ok(plan)
}

/// A plan from plain YAML files (a folder, like `kubectl apply -f DIR -R`): no templating, one pseudo-component
/// named after the folder.
pub fn plan_files(name: &str, files: &[(String, String)]) -> Result<Plan, StackError> {
    let mut objects = Vec::new();
    for (path, text) in files {
        objects.extend(objects::parse(name, path, text)?);
    }
    let mut plan = Plan { files: true, ..Default::default() };
    plan.selection.components = vec![name.to_string()];
    let spec = super::catalog::ComponentSpec {
        name: name.to_string(),
        title: name.to_string(),
        description: String::new(),
        version: "files".into(),
        dependencies: vec![],
        parameters: vec![],
        readiness: vec![],
    };
    add(&mut plan, &Component { spec, templates: vec![] }, objects)?;
    plan.components.push((name.to_string(), "files".into()));
    plan.objects.sort_by_key(|o| o.phase);
    Ok(plan)
}

fn add(plan: &mut Plan, component: &Component, objects: Vec<ManifestObject>) -> Result<(), StackError> {
    for mut object in objects {
        if let Some(existing) = plan.objects.iter().find(|p| same_object(&p.object, &object)) {
            return Err(StackError::Duplicate {
                object: object.display(),
                first: existing.object.source.clone(),
                second: object.source.clone(),
            });
        }
        object.label();
        let rules = &component.spec.readiness;
        let waited = rules.is_empty()
            || rules.iter().any(|r| r.kind == object.kind() && r.name.as_deref().is_none_or(|n| n == object.name()));
        let wait = Readiness::of(object.kind()).filter(|_| waited);
        plan.objects.push(PlannedObject { phase: Phase::of(object.kind()), wait, object });
    }
    Ok(())
}

fn same_object(a: &ManifestObject, b: &ManifestObject) -> bool {
    let group = |o: &ManifestObject| o.api_version().split_once('/').map(|(g, _)| g.to_string()).unwrap_or_default();
    a.kind() == b.kind() && a.name() == b.name() && a.namespace() == b.namespace() && group(a) == group(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_stack_plans_in_phase_order_with_labels() {
        let catalog = Catalog::builtin().expect("catalog");
        let plan = plan(&catalog, &Selection::default()).expect("plan");
        assert_eq!(plan.components.len(), catalog.components.len());
        let phases: Vec<Phase> = plan.objects.iter().map(|o| o.phase).collect();
        assert!(phases.windows(2).all(|w| w[0] <= w[1]), "sorted by phase");
        assert_eq!(plan.objects[0].object.kind(), "Namespace");
        for o in &plan.objects {
            assert_eq!(o.object.value["metadata"]["labels"]["app.kubernetes.io/part-of"], "bosun-stack");
        }
        let crds: Vec<&str> = plan.phase(Phase::Definitions).map(|o| o.object.name()).collect();
        assert!(crds.contains(&"tfjobs.kubeflow.org") && crds.contains(&"pytorchjobs.kubeflow.org"), "{crds:?}");
        let waits = plan.objects.iter().filter(|o| o.wait == Some(Readiness::Available)).count();
        assert!(waits >= 3, "operator, hub and proxy Deployments are waited for");
    }

    #[test]
    fn choosing_a_component_brings_its_dependencies_and_settings_apply() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut selection = Selection { components: vec!["training-operator".into()], ..Default::default() };
        selection.set(&catalog, "namespace=ml-platform").expect("namespace");
        selection.set(&catalog, "registry=mirror.local").expect("registry");
        let plan = plan(&catalog, &selection).expect("plan");
        assert_eq!(plan.selection.components, ["base", "training-operator"]);
        let ns = plan.objects.iter().find(|o| o.object.kind() == "Namespace").expect("namespace");
        assert_eq!(ns.object.name(), "ml-platform");
        let deploy = plan.objects.iter().find(|o| o.object.kind() == "Deployment").expect("deployment");
        assert_eq!(deploy.object.namespace(), Some("ml-platform"));
        let image = deploy.object.value.pointer("/spec/template/spec/containers/0/image").and_then(Value::as_str);
        assert!(image.is_some_and(|i| i.starts_with("mirror.local/")), "{image:?}");
    }

    #[test]
    fn files_plan_without_templating_and_duplicates_are_refused() {
        let files = vec![
            (
                "d/a.yaml".to_string(),
                "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec: {}\n".to_string(),
            ),
            ("d/b.yaml".to_string(), "apiVersion: v1\nkind: Namespace\nmetadata: {name: web}\n".to_string()),
        ];
        let plan = plan_files("d", &files).expect("plan");
        assert_eq!(plan.objects[0].object.kind(), "Namespace");
        let dup = vec![files[0].clone(), ("d/c.yaml".to_string(), files[0].1.clone())];
        let err = plan_files("d", &dup).expect_err("duplicate");
        assert!(err.to_string().contains("d/a.yaml:1") && err.to_string().contains("d/c.yaml:1"), "{err}");
    }
}
