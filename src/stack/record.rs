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
    /// The UID the object had when Bosun applied it: an object of the same name made later by someone else has
    /// another UID and is left alone. Absent for objects not applied yet and in records of older versions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
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
    /// The folder's name, for an install of a folder of YAML (`bosun install -f DIR`); absent for the stack.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
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
            folder: plan.files.then(|| plan.components.first().map(|(name, _)| name.clone())).flatten(),
        }
    }

    /// The name of the ConfigMap that keeps this record: `bosun-stack` for the stack, `bosun-folder-NAME` for a
    /// folder install.
    pub fn config_map_name(&self) -> String {
        match &self.folder {
            Some(folder) => folder_record_name(folder),
            None => RECORD_NAME.to_string(),
        }
    }

    /// The ConfigMap that stores the record.
    pub fn to_config_map(&self, namespace: &str) -> Value {
        json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {
                "name": self.config_map_name(),
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
            .ok_or_else(|| format!("the ConfigMap {} has no {KEY}", config_map_name(cm)))?;
        serde_json::from_str(text)
            .map_err(|e| format!("the install record in ConfigMap {} is unreadable: {e}", config_map_name(cm)))
    }
}

fn config_map_name(cm: &Value) -> &str {
    cm.pointer("/metadata/name").and_then(Value::as_str).unwrap_or(RECORD_NAME)
}

/// The record ConfigMap of a folder install: `bosun-folder-` and the folder's name as a DNS label (lower case,
/// other characters as `-`, at most 63 characters in all).
pub fn folder_record_name(folder: &str) -> String {
    let mut label: String = folder
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .trim_matches('-')
        .to_string();
    if label.is_empty() {
        label = "folder".into();
    }
    let mut name = format!("bosun-folder-{label}");
    name.truncate(63);
    name.trim_end_matches('-').to_string()
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
            uid: Some("5d6c0f8e-0000-4000-8000-000000000001".into()),
        }];
        let record = InstallRecord::of(&plan, InstallState::Installing, objects);
        let cm = record.to_config_map("kubeflow");
        assert_eq!(cm["metadata"]["labels"]["bosun.dev/install-record"], "true");
        assert_eq!(InstallRecord::from_config_map(&cm), Ok(record));
        assert!(InstallRecord::from_config_map(&json!({"data": {"record.json": "{"}})).is_err());
    }

    #[test]
    fn records_of_older_versions_without_uids_still_read() {
        let old = r#"{"state":"installed","selection":{"components":[],"values":{},"globals":{}},"components":[],
            "objects":[{"apiVersion":"v1","kind":"Namespace","name":"kubeflow","component":"base"}],"updated":"x"}"#;
        let record = InstallRecord::from_config_map(&json!({"data": {"record.json": old}})).expect("reads");
        assert_eq!(record.objects[0].uid, None);
        assert_eq!(record.config_map_name(), RECORD_NAME);
    }

    #[test]
    fn a_folder_install_has_its_own_record_name() {
        let plan = crate::stack::plan::plan_files(
            "My Models_v2",
            &[("d/a.yaml".into(), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n".into())],
        )
        .expect("plan");
        let record = InstallRecord::of(&plan, InstallState::Installed, vec![]);
        assert_eq!(record.folder.as_deref(), Some("My Models_v2"));
        assert_eq!(record.config_map_name(), "bosun-folder-my-models-v2");
        assert_eq!(folder_record_name(&"x".repeat(100)).len(), 63);
    }
}
