//! The install record: what Bosun installed (components, versions, settings, objects), kept in the cluster as a
//! ConfigMap so another machine sees the same install, an interrupted install can be resumed, and uninstall removes
//! exactly what was installed.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::objects::{MANAGED_BY, PART_OF};
use super::params::Selection;
use super::plan::Plan;

/// Name of the record's ConfigMap (in the stack namespace).
pub const RECORD_NAME: &str = "bosun-stack";
/// Label that marks the record, so it is found in whatever namespace the stack went to.
pub const RECORD_LABEL: (&str, &str) = ("bosun.dev/install-record", "true");
const KEY: &str = "record.json";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum InstallState {
    /// Started and not finished (interrupted, or still running).
    Installing,
    /// Every object applied and ready.
    Installed,
    /// Applied, but something did not become ready in time.
    NotReady,
}

/// An object the stack owns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    pub api_version: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub name: String,
    pub component: String,
}

impl ObjectRef {
    /// The reference as an object (identity only), for resolving its kind and namespace like a planned one.
    pub fn as_object(&self) -> super::objects::ManifestObject {
        super::objects::ManifestObject {
            component: self.component.clone(),
            source: "install record".into(),
            value: json!({"apiVersion": self.api_version, "kind": self.kind,
                "metadata": {"name": self.name, "namespace": self.namespace}}),
        }
    }

    pub fn display(&self) -> String {
        match &self.namespace {
            Some(ns) => format!("{} {ns}/{}", self.kind, self.name),
            None => format!("{}/{}", self.kind, self.name),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstallRecord {
    pub state: InstallState,
    pub selection: Selection,
    /// (component, version).
    pub components: Vec<(String, String)>,
    pub objects: Vec<ObjectRef>,
    /// RFC 3339.
    pub updated: String,
}

impl InstallRecord {
    /// The record of `plan` in `state`, with the namespaces objects were applied to.
    pub fn of(plan: &Plan, state: InstallState, objects: Vec<ObjectRef>) -> Self {
        InstallRecord {
            state,
            selection: plan.selection.clone(),
            components: plan.components.clone(),
            objects,
            updated: jiff::Timestamp::now().to_string(),
        }
    }

    /// The ConfigMap that stores the record.
    pub fn to_config_map(&self, namespace: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": RECORD_NAME,
                "namespace": namespace,
                "labels": {MANAGED_BY.0: MANAGED_BY.1, PART_OF.0: PART_OF.1, RECORD_LABEL.0: RECORD_LABEL.1},
            },
            "data": {KEY: serde_json::to_string_pretty(self).unwrap_or_default()},
        })
    }

    /// Reads a record back from its ConfigMap.
    pub fn from_config_map(cm: &Value) -> Result<InstallRecord, String> {
        let text = cm
            .pointer(&format!("/data/{}", KEY.replace('~', "~0").replace('/', "~1")))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("the ConfigMap {RECORD_NAME} has no {KEY}"))?;
        serde_json::from_str(text)
            .map_err(|e| format!("the install record in ConfigMap {RECORD_NAME} is unreadable: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stack::catalog::Catalog;

    #[test]
    fn a_record_round_trips_through_its_config_map() {
        let catalog = Catalog::builtin().expect("catalog");
        let mut selection = Selection::default();
        selection.set(&catalog, "jupyterhub.gpuLimit=1").expect("set");
        let plan = crate::stack::plan::plan(&catalog, &selection).expect("plan");
        let objects = vec![ObjectRef {
            api_version: "v1".into(),
            kind: "Namespace".into(),
            namespace: None,
            name: "kubeflow".into(),
            component: "base".into(),
        }];
        let record = InstallRecord::of(&plan, InstallState::Installing, objects);
        let cm = record.to_config_map("kubeflow");
        assert_eq!(cm["metadata"]["labels"]["bosun.dev/install-record"], "true");
        assert_eq!(InstallRecord::from_config_map(&cm), Ok(record));
        assert!(InstallRecord::from_config_map(&json!({"data": {"record.json": "{"}})).is_err());
    }
}
