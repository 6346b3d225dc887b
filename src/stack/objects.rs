//! YAML text → Kubernetes objects, each remembering the file and line it came from, so an error says where to
//! look. Also the labels Bosun puts on everything it installs.

use serde_json::Value;

use super::StackError;

/// Labels on every object of the stack; uninstall and status find the stack by them.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "bosun");
pub const PART_OF: (&str, &str) = ("app.kubernetes.io/part-of", "bosun-stack");
pub const COMPONENT_LABEL: &str = "app.kubernetes.io/component";

/// One object of a plan.
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestObject {
    pub component: String,
    /// `file:line` of the document it came from.
    pub source: String,
    pub value: Value,
}

impl ManifestObject {
    pub fn api_version(&self) -> &str {
        self.value["apiVersion"].as_str().unwrap_or_default()
    }

    pub fn kind(&self) -> &str {
        self.value["kind"].as_str().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.value.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.value.pointer("/metadata/namespace").and_then(Value::as_str)
    }

    /// `Kind/name` or `Kind namespace/name`, as people read it.
    pub fn display(&self) -> String {
        match self.namespace() {
            Some(ns) => format!("{} {ns}/{}", self.kind(), self.name()),
            None => format!("{}/{}", self.kind(), self.name()),
        }
    }

    /// Adds the stack's labels (managed-by, part-of, component).
    pub fn label(&mut self) {
        let component = self.component.clone();
        let Some(meta) = self.value.get_mut("metadata").and_then(Value::as_object_mut) else { return };
        let labels = meta.entry("labels").or_insert_with(|| Value::Object(Default::default()));
        if let Some(labels) = labels.as_object_mut() {
            labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
            labels.insert(PART_OF.0.into(), PART_OF.1.into());
            labels.insert(COMPONENT_LABEL.into(), component.into());
        }
    }
}

/// The documents of a YAML stream, with the line each starts on (1-based).
fn documents(text: &str) -> Vec<(usize, String)> {
    let mut docs = Vec::new();
    let mut start = 1;
    let mut current = String::new();
    for (i, line) in text.lines().enumerate() {
        if line == "---" || line.starts_with("--- ") {
            docs.push((start, std::mem::take(&mut current)));
            start = i + 2;
            // Keep line numbers aligned: the separator line itself becomes an empty line.
            continue;
        }
        current.push_str(line);
        current.push('\n');
    }
    docs.push((start, current));
    docs
}

/// Parses a YAML (or JSON) stream into objects. Empty documents are skipped; a document that is not an object
/// with `apiVersion`, `kind` and `metadata.name` is an error naming its line. A `List` is flattened into its items.
pub fn parse(component: &str, path: &str, text: &str) -> Result<Vec<ManifestObject>, StackError> {
    let mut out = Vec::new();
    for (start, doc) in documents(text) {
        if doc.lines().all(|l| l.trim().is_empty() || l.trim_start().starts_with('#')) {
            continue;
        }
        let value: Value = serde_saphyr::from_str(&doc).map_err(|e| {
            let (line, column) =
                e.location().map_or((start, 0), |l| (start + l.line() as usize - 1, l.column() as usize));
            let message = e.to_string();
            let message = message.split(" at line ").next().unwrap_or(&message).to_string();
            StackError::Yaml { place: format!("{path}:{line}:{column}"), detail: message }
        })?;
        if value.is_null() {
            continue;
        }
        let place = format!("{path}:{start}");
        let items = match value.get("kind").and_then(Value::as_str) {
            Some(kind) if kind.ends_with("List") && value.get("items").is_some_and(Value::is_array) => {
                value["items"].as_array().cloned().unwrap_or_default()
            }
            _ => vec![value],
        };
        for item in items {
            check_object(&item).map_err(|detail| StackError::Yaml { place: place.clone(), detail })?;
            out.push(ManifestObject { component: component.to_string(), source: place.clone(), value: item });
        }
    }
    Ok(out)
}

fn check_object(v: &Value) -> Result<(), String> {
    if !v.is_object() {
        return Err("a document must be a Kubernetes object (a mapping with apiVersion, kind and metadata)".into());
    }
    for (pointer, what) in [("/apiVersion", "apiVersion"), ("/kind", "kind"), ("/metadata/name", "metadata.name")] {
        if v.pointer(pointer).and_then(Value::as_str).is_none_or(str::is_empty) {
            return Err(format!("the object has no {what}"));
        }
    }
    // Secrets and ConfigMaps hold key → value maps; anything else there is refused by the API server too, but
    // Bosun reads these maps itself (generated keys) and says where the mistake is before sending anything.
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default();
    if matches!(kind, "Secret" | "ConfigMap") {
        for field in ["data", "stringData", "binaryData"] {
            match v.get(field) {
                None | Some(Value::Null) | Some(Value::Object(_)) => {}
                Some(other) => {
                    return Err(format!(
                        "{kind} {field} must be a mapping of keys to strings, not {}",
                        json_kind(other)
                    ));
                }
            }
        }
    }
    Ok(())
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_keep_their_place_and_errors_name_the_line() {
        let text = "# header\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n# nothing here\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\n  namespace: a\n";
        let objects = parse("base", "base/ns.yaml", text).expect("parses");
        assert_eq!(objects.len(), 2);
        assert_eq!(objects[0].source, "base/ns.yaml:1");
        assert_eq!(objects[1].source, "base/ns.yaml:8");
        assert_eq!(objects[1].display(), "ConfigMap a/b");

        let bad = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: d\n   broken: [\n";
        let err = parse("x", "x/cm.yaml", bad).expect_err("bad YAML");
        let text = err.to_string();
        assert!(text.starts_with("x/cm.yaml:9:") || text.starts_with("x/cm.yaml:10:"), "{text}");

        let nameless = parse("x", "x/a.yaml", "apiVersion: v1\nkind: ConfigMap\n").expect_err("no name");
        assert_eq!(nameless.to_string(), "x/a.yaml:1: the object has no metadata.name");
        let list = parse("x", "x/l.yaml", r#"{"apiVersion": "v1", "kind": "List", "items": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "e"}}]}"#).expect("list");
        assert_eq!(list[0].name(), "e");
    }

    #[test]
    fn a_secret_whose_data_is_not_a_mapping_names_its_line() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata: \"x\"\n";
        let err = parse("mine", "dir/s.yaml", text).expect_err("refused").to_string();
        assert_eq!(err, "dir/s.yaml:5: Secret data must be a mapping of keys to strings, not a string");
    }

    #[test]
    fn labels_mark_the_stack() {
        let mut o =
            parse("jupyterhub", "p", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n").expect("ok").remove(0);
        o.label();
        assert_eq!(o.value["metadata"]["labels"]["app.kubernetes.io/component"], "jupyterhub");
        assert_eq!(o.value["metadata"]["labels"]["app.kubernetes.io/managed-by"], "bosun");
    }
}
