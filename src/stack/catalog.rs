//! The component catalog: one folder per component under `manifests/` (embedded in the binary), each with a
//! `component.yaml` describing it and resource templates beside it.

use std::collections::{BTreeMap, BTreeSet};

use include_dir::{Dir, include_dir};
use serde::Deserialize;

use super::StackError;

/// The stack as shipped: `manifests/` at build time.
static MANIFESTS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/manifests");

/// The type of a parameter, which decides its form widget and its validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    String,
    Integer,
    Boolean,
    /// A Kubernetes quantity (`10Gi`, `500m`).
    Quantity,
    /// A container image reference; the registry prefix applies to it.
    Image,
    /// One of `values`.
    Enum,
}

/// One setting of a component.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: ParamType,
    pub default: serde_json::Value,
    pub description: String,
    #[serde(default)]
    pub min: Option<i64>,
    #[serde(default)]
    pub max: Option<i64>,
    /// Allowed values of an `enum`.
    #[serde(default)]
    pub values: Vec<String>,
    /// May be left empty (strings and images only).
    #[serde(default)]
    pub optional: bool,
}

/// What "ready" means for a component: every object of `kind` (or only `name`) must be ready.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadinessRule {
    pub kind: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// A component's `component.yaml`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentSpec {
    pub name: String,
    pub title: String,
    pub description: String,
    pub version: String,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default)]
    pub parameters: Vec<Parameter>,
    #[serde(default)]
    pub readiness: Vec<ReadinessRule>,
}

/// A template file of a component.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// `component/file.yaml`, for error messages.
    pub path: String,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Component {
    pub spec: ComponentSpec,
    pub templates: Vec<Template>,
}

impl Component {
    pub fn parameter(&self, name: &str) -> Option<&Parameter> {
        self.spec.parameters.iter().find(|p| p.name == name)
    }
}

/// All components, in dependency order (each after the ones it needs).
#[derive(Debug, Clone, PartialEq)]
pub struct Catalog {
    pub components: Vec<Component>,
}

impl Catalog {
    /// The stack embedded in the binary.
    pub fn builtin() -> Result<Catalog, StackError> {
        let mut files = Vec::new();
        for dir in MANIFESTS.dirs() {
            let name = dir.path().to_string_lossy().into_owned();
            let mut entries = Vec::new();
            for file in dir.files() {
                let path = file.path().to_string_lossy().into_owned();
                let text = file
                    .contents_utf8()
                    .ok_or_else(|| StackError::Catalog(format!("{path}: not UTF-8 text")))?
                    .to_string();
                entries.push((path, text));
            }
            files.push((name, entries));
        }
        Self::from_files(files)
    }

    /// Builds a catalog from (component folder, [(path, text)]) — the embedded stack or a folder on disk.
    pub fn from_files(folders: Vec<(String, Vec<(String, String)>)>) -> Result<Catalog, StackError> {
        let mut components = Vec::new();
        for (folder, files) in folders {
            let spec_path = format!("{folder}/component.yaml");
            let Some((_, spec_text)) = files.iter().find(|(p, _)| *p == spec_path) else {
                return Err(StackError::Catalog(format!("{folder}: no component.yaml")));
            };
            let spec: ComponentSpec =
                serde_saphyr::from_str(spec_text).map_err(|e| StackError::Catalog(format!("{spec_path}: {e}")))?;
            if spec.name != folder.rsplit('/').next().unwrap_or(&folder) {
                return Err(StackError::Catalog(format!(
                    "{spec_path}: name {} does not match its folder {folder}",
                    spec.name
                )));
            }
            for p in &spec.parameters {
                super::params::check_default(&spec.name, p)?;
            }
            let mut templates: Vec<Template> = files
                .into_iter()
                .filter(|(p, _)| *p != spec_path && (p.ends_with(".yaml") || p.ends_with(".yml")))
                .map(|(path, text)| Template { path, text })
                .collect();
            templates.sort_by(|a, b| a.path.cmp(&b.path));
            components.push(Component { spec, templates });
        }
        let components = dependency_order(components)?;
        Ok(Catalog { components })
    }

    pub fn get(&self, name: &str) -> Option<&Component> {
        self.components.iter().find(|c| c.spec.name == name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.components.iter().map(|c| c.spec.name.as_str()).collect()
    }

    /// `wanted` and everything they depend on, in dependency order.
    pub fn with_dependencies(&self, wanted: &[String]) -> Result<Vec<&Component>, StackError> {
        let mut chosen: BTreeSet<&str> = BTreeSet::new();
        let mut stack: Vec<&str> = Vec::new();
        for name in wanted {
            let c = self
                .get(name)
                .ok_or_else(|| StackError::UnknownComponent { name: name.clone(), known: self.names().join(", ") })?;
            stack.push(&c.spec.name);
        }
        while let Some(name) = stack.pop() {
            if chosen.insert(name)
                && let Some(c) = self.get(name)
            {
                stack.extend(c.spec.dependencies.iter().map(String::as_str));
            }
        }
        Ok(self.components.iter().filter(|c| chosen.contains(c.spec.name.as_str())).collect())
    }

    /// The components that depend on `name`, directly or not.
    pub fn dependents(&self, name: &str) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for c in &self.components {
            let needs = self.with_dependencies(std::slice::from_ref(&c.spec.name)).unwrap_or_default();
            if c.spec.name != name && needs.iter().any(|d| d.spec.name == name) {
                out.push(&c.spec.name);
            }
        }
        out
    }
}

/// Orders components so each comes after its dependencies (alphabetical among equals); rejects unknown
/// dependencies and cycles.
fn dependency_order(components: Vec<Component>) -> Result<Vec<Component>, StackError> {
    let names: BTreeSet<String> = components.iter().map(|c| c.spec.name.clone()).collect();
    for c in &components {
        if let Some(d) = c.spec.dependencies.iter().find(|d| !names.contains(*d)) {
            return Err(StackError::Catalog(format!("{} depends on unknown component {d}", c.spec.name)));
        }
    }
    let mut remaining: BTreeMap<String, Component> = components.into_iter().map(|c| (c.spec.name.clone(), c)).collect();
    let mut ordered: Vec<Component> = Vec::new();
    while !remaining.is_empty() {
        let ready = remaining
            .values()
            .find(|c| c.spec.dependencies.iter().all(|d| ordered.iter().any(|o| o.spec.name == *d)))
            .map(|c| c.spec.name.clone());
        let Some(name) = ready else {
            let cycle: Vec<&str> = remaining.keys().map(String::as_str).collect();
            return Err(StackError::Catalog(format!("dependency cycle among {}", cycle.join(", "))));
        };
        if let Some(c) = remaining.remove(&name) {
            ordered.push(c);
        }
    }
    Ok(ordered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str, deps: &[&str]) -> (String, Vec<(String, String)>) {
        let spec =
            format!("name: {name}\ntitle: T\ndescription: D\nversion: '1'\ndependencies: [{}]\n", deps.join(", "));
        (name.to_string(), vec![(format!("{name}/component.yaml"), spec), (format!("{name}/a.yaml"), "x: 1".into())])
    }

    #[test]
    fn the_builtin_stack_loads_in_dependency_order() {
        let catalog = Catalog::builtin().expect("builtin catalog");
        let names = catalog.names();
        assert_eq!(names[0], "base");
        for c in &catalog.components {
            assert!(!c.templates.is_empty(), "{} has templates", c.spec.name);
            let pos = names.iter().position(|n| *n == c.spec.name).unwrap_or(0);
            for d in &c.spec.dependencies {
                assert!(names.iter().position(|n| n == d).unwrap_or(usize::MAX) < pos);
            }
        }
    }

    #[test]
    fn dependencies_are_selected_and_cycles_rejected() {
        let catalog =
            Catalog::from_files(vec![folder("c", &["b"]), folder("a", &[]), folder("b", &["a"])]).expect("catalog");
        assert_eq!(catalog.names(), ["a", "b", "c"]);
        let chosen = catalog.with_dependencies(&["c".to_string()]).expect("known");
        assert_eq!(chosen.iter().map(|c| c.spec.name.as_str()).collect::<Vec<_>>(), ["a", "b", "c"]);
        assert_eq!(catalog.dependents("a"), ["b", "c"]);
        let err = catalog.with_dependencies(&["z".to_string()]).expect_err("unknown");
        assert!(err.to_string().contains("unknown component z"), "{err}");
        let cycle = Catalog::from_files(vec![folder("a", &["b"]), folder("b", &["a"])]).expect_err("cycle");
        assert!(cycle.to_string().contains("dependency cycle"), "{cycle}");
        let missing = Catalog::from_files(vec![folder("a", &["q"])]).expect_err("missing");
        assert!(missing.to_string().contains("unknown component q"), "{missing}");
    }
}
