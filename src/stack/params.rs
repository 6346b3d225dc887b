//! Parameter values: the stack-wide settings, each component's parameters with their defaults, `--set` parsing
//! (`component.param=value`, or `param=value` for a stack-wide one), and validation with messages that say what
//! is allowed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::StackError;
use super::catalog::{Catalog, Component, ParamType, Parameter};

/// Settings every component's templates see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Globals {
    /// The namespace of the stack's namespaced objects.
    pub namespace: String,
    /// Prefix for every image (a mirror for air-gapped clusters); empty: images as published.
    pub registry: String,
    /// Storage class of the stack's volumes; empty: the cluster's default class.
    pub storage_class: String,
    /// The extended resource GPU workloads ask for.
    pub gpu_resource: String,
}

impl Default for Globals {
    fn default() -> Self {
        Self {
            namespace: "kubeflow".into(),
            registry: String::new(),
            storage_class: String::new(),
            gpu_resource: "nvidia.com/gpu".into(),
        }
    }
}

impl Globals {
    pub const NAMES: [&'static str; 4] = ["namespace", "registry", "storageClass", "gpuResource"];

    /// Sets one stack-wide setting from text, checking it.
    pub fn set(&mut self, name: &str, value: &str) -> Result<(), StackError> {
        let invalid = |reason: String| StackError::InvalidParameter { name: name.to_string(), reason };
        match name {
            "namespace" => {
                check_dns_label(value).map_err(invalid)?;
                self.namespace = value.to_string();
            }
            "registry" => {
                if value.contains(char::is_whitespace) || value.contains("://") {
                    return Err(invalid("a registry prefix is host[:port][/path], without a scheme".into()));
                }
                self.registry = value.trim_end_matches('/').to_string();
            }
            "storageClass" => {
                if !value.is_empty() {
                    check_dns_subdomain(value).map_err(invalid)?;
                }
                self.storage_class = value.to_string();
            }
            "gpuResource" => {
                if !value.contains('/') {
                    return Err(invalid("an extended resource name looks like vendor.com/gpu".into()));
                }
                self.gpu_resource = value.to_string();
            }
            _ => {
                return Err(StackError::UnknownParameter { name: name.to_string(), known: Self::NAMES.join(", ") });
            }
        }
        Ok(())
    }

    /// `image` with the registry prefix applied (Docker Hub's implicit `docker.io/` is dropped first).
    pub fn image(&self, image: &str) -> String {
        if self.registry.is_empty() {
            return image.to_string();
        }
        let bare = image.strip_prefix("docker.io/").unwrap_or(image);
        format!("{}/{bare}", self.registry)
    }
}

/// Which components to install and with what settings.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Selection {
    pub components: Vec<String>,
    pub globals: Globals,
    /// Values that differ from the defaults, per component.
    pub values: BTreeMap<String, BTreeMap<String, Value>>,
}

impl Selection {
    /// Applies one `--set` assignment: `component.param=value` or `param=value` (stack-wide).
    pub fn set(&mut self, catalog: &Catalog, assignment: &str) -> Result<(), StackError> {
        let Some((key, raw)) = assignment.split_once('=') else {
            return Err(StackError::InvalidParameter {
                name: assignment.to_string(),
                reason: "expected NAME=VALUE, e.g. training-operator.image=registry.local/training-operator:v1".into(),
            });
        };
        let Some((component, name)) = key.split_once('.') else {
            return self.globals.set(key, raw);
        };
        let c = catalog.get(component).ok_or_else(|| StackError::UnknownComponent {
            name: component.to_string(),
            known: catalog.names().join(", "),
        })?;
        let param = c.parameter(name).ok_or_else(|| StackError::UnknownParameter {
            name: key.to_string(),
            known: c.spec.parameters.iter().map(|p| format!("{component}.{}", p.name)).collect::<Vec<_>>().join(", "),
        })?;
        let value =
            coerce(param, raw).map_err(|reason| StackError::InvalidParameter { name: key.to_string(), reason })?;
        self.values.entry(component.to_string()).or_default().insert(name.to_string(), value);
        Ok(())
    }

    /// A component's parameters: defaults, overridden by the selection's values, each checked.
    pub fn values_of(&self, component: &Component) -> Result<BTreeMap<String, Value>, StackError> {
        let overrides = self.values.get(&component.spec.name);
        let mut out = BTreeMap::new();
        for p in &component.spec.parameters {
            let value = overrides.and_then(|o| o.get(&p.name)).cloned().unwrap_or_else(|| p.default.clone());
            validate(p, &value).map_err(|reason| StackError::InvalidParameter {
                name: format!("{}.{}", component.spec.name, p.name),
                reason,
            })?;
            out.insert(p.name.clone(), value);
        }
        if let Some(unknown) =
            overrides.into_iter().flatten().map(|(k, _)| k).find(|k| component.parameter(k).is_none())
        {
            return Err(StackError::UnknownParameter {
                name: format!("{}.{unknown}", component.spec.name),
                known: component.spec.parameters.iter().map(|p| p.name.clone()).collect::<Vec<_>>().join(", "),
            });
        }
        Ok(out)
    }
}

/// Text from a form or the command line → a typed value.
pub fn coerce(p: &Parameter, raw: &str) -> Result<Value, String> {
    let value = match p.kind {
        ParamType::Integer => {
            Value::from(raw.trim().parse::<i64>().map_err(|_| format!("{raw:?} is not a whole number"))?)
        }
        ParamType::Boolean => match raw.trim() {
            "true" | "yes" | "on" => Value::Bool(true),
            "false" | "no" | "off" => Value::Bool(false),
            _ => return Err(format!("{raw:?} is not true or false")),
        },
        _ => Value::String(raw.trim().to_string()),
    };
    validate(p, &value)?;
    Ok(value)
}

/// Checks a value against its parameter's type and limits.
pub fn validate(p: &Parameter, value: &Value) -> Result<(), String> {
    match p.kind {
        ParamType::Integer => {
            let n = value.as_i64().ok_or_else(|| format!("{value} is not a whole number"))?;
            if let Some(min) = p.min.filter(|m| n < *m) {
                return Err(format!("{n} is below the minimum {min}"));
            }
            if let Some(max) = p.max.filter(|m| n > *m) {
                return Err(format!("{n} is above the maximum {max}"));
            }
        }
        ParamType::Boolean => {
            value.as_bool().ok_or_else(|| format!("{value} is not true or false"))?;
        }
        ParamType::String | ParamType::Image | ParamType::Quantity | ParamType::Enum => {
            let s = value.as_str().ok_or_else(|| format!("{value} is not text"))?;
            if s.is_empty() {
                return if p.optional { Ok(()) } else { Err("a value is required".into()) };
            }
            match p.kind {
                ParamType::Image => check_image(s)?,
                ParamType::Quantity => {
                    crate::resources::quantity::parse(s)
                        .ok_or_else(|| format!("{s:?} is not a Kubernetes quantity such as 500m, 2, 10Gi"))?;
                }
                ParamType::Enum if !p.values.iter().any(|v| v == s) => {
                    return Err(format!("{s:?} is not one of {}", p.values.join(", ")));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Catalog check: a parameter's default must pass its own validation (optional ones may be empty).
pub fn check_default(component: &str, p: &Parameter) -> Result<(), StackError> {
    if p.kind == ParamType::Enum && p.values.is_empty() {
        return Err(StackError::Catalog(format!("{component}.{}: an enum needs values", p.name)));
    }
    validate(p, &p.default)
        .map_err(|reason| StackError::Catalog(format!("{component}.{}: default is invalid: {reason}", p.name)))
}

fn check_image(s: &str) -> Result<(), String> {
    let ok = !s.contains(char::is_whitespace)
        && !s.starts_with(['/', ':', '@'])
        && s.rsplit('/').next().is_some_and(|last| !last.is_empty());
    if ok { Ok(()) } else { Err(format!("{s:?} is not an image reference such as registry/name:tag")) }
}

/// A DNS-1123 label, as namespace names must be.
pub fn check_dns_label(s: &str) -> Result<(), String> {
    let ok = !s.is_empty()
        && s.len() <= 63
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{s:?} is not a valid name: use at most 63 lower-case letters, digits and '-', starting and ending with a letter or digit"
        ))
    }
}

fn check_dns_subdomain(s: &str) -> Result<(), String> {
    if s.len() <= 253 && s.split('.').all(|part| check_dns_label(part).is_ok()) {
        Ok(())
    } else {
        Err(format!("{s:?} is not a valid name (lower-case letters, digits, '-' and '.')"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param(kind: ParamType, default: Value) -> Parameter {
        Parameter {
            name: "p".into(),
            kind,
            default,
            description: String::new(),
            min: Some(0),
            max: Some(8),
            values: vec!["a".into(), "b".into()],
            optional: false,
        }
    }

    #[test]
    fn values_are_coerced_and_checked() {
        let int = param(ParamType::Integer, Value::from(1));
        assert_eq!(coerce(&int, "4"), Ok(Value::from(4)));
        assert_eq!(coerce(&int, "9").expect_err("too big"), "9 is above the maximum 8");
        assert!(coerce(&int, "four").expect_err("text").contains("not a whole number"));
        let q = param(ParamType::Quantity, Value::from("1Gi"));
        assert!(coerce(&q, "10Gi").is_ok());
        assert!(coerce(&q, "ten gigs").expect_err("bad").contains("not a Kubernetes quantity"));
        let e = param(ParamType::Enum, Value::from("a"));
        assert!(coerce(&e, "c").expect_err("bad").contains("not one of a, b"));
        let img = param(ParamType::Image, Value::from("x"));
        assert!(coerce(&img, "nvcr.io/nvidia/k8s-device-plugin:v0.17.0").is_ok());
        assert!(coerce(&img, "bad image").is_err());
        assert_eq!(coerce(&param(ParamType::Boolean, Value::Bool(true)), "no"), Ok(Value::Bool(false)));
    }

    #[test]
    fn sets_reach_components_and_globals() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut sel = Selection::default();
        sel.set(&catalog, "namespace=ml-platform").expect("global");
        sel.set(&catalog, "registry=registry.local:5000/mirror/").expect("registry");
        assert_eq!(sel.globals.image("docker.io/kubeflow/x:1"), "registry.local:5000/mirror/kubeflow/x:1");
        assert_eq!(sel.globals.image("nvcr.io/nvidia/p:1"), "registry.local:5000/mirror/nvcr.io/nvidia/p:1");
        let err = sel.set(&catalog, "namespace=ML_Platform").expect_err("bad name");
        assert!(err.to_string().contains("not a valid name"), "{err}");
        sel.set(&catalog, "jupyterhub.gpuLimit=2").expect("component value");
        let hub = catalog.get("jupyterhub").expect("jupyterhub");
        assert_eq!(sel.values_of(hub).expect("values")["gpuLimit"], Value::from(2));
        let err = sel.set(&catalog, "jupyterhub.gpuLimt=2").expect_err("typo");
        assert!(err.to_string().contains("jupyterhub.gpuLimit"), "lists the known names: {err}");
        let err = sel.set(&catalog, "jupyterhub.gpuLimit=99").expect_err("too many");
        assert!(err.to_string().contains("jupyterhub.gpuLimit") && err.to_string().contains("maximum"), "{err}");
        assert!(sel.set(&catalog, "nonsense").is_err());
    }
}
