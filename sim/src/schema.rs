//! Custom resources against their CRD's structural schema, as the real API server treats them: unknown fields are
//! pruned (unless `x-kubernetes-preserve-unknown-fields`), then types, required fields, enums, bounds and integer
//! formats are checked, each problem a field cause of a 422 with the real server's wording.

use serde_json::{Map, Value};

use crate::api::status::Cause;

/// Prunes `obj` by `schema` and returns what is wrong with it (empty: valid). `metadata`, `apiVersion` and `kind`
/// are the server's own and are left alone.
pub fn check(schema: &Value, obj: &mut Value) -> Vec<Cause> {
    let mut causes = Vec::new();
    let Some(fields) = obj.as_object_mut() else { return causes };
    let properties = schema.get("properties").and_then(Value::as_object);
    for (key, value) in fields.iter_mut() {
        if matches!(key.as_str(), "metadata" | "apiVersion" | "kind") {
            continue;
        }
        if let Some(sub) = properties.and_then(|p| p.get(key)) {
            walk(sub, value, key, &mut causes);
        }
    }
    let preserve = schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true);
    if !preserve && let Some(p) = properties {
        fields.retain(|k, _| matches!(k.as_str(), "metadata" | "apiVersion" | "kind") || p.contains_key(k));
    }
    required(schema, fields, "", &mut causes);
    causes
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() { key.to_string() } else { format!("{path}.{key}") }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn invalid(path: &str, shown: String, detail: String) -> Cause {
    Cause { field: path.to_string(), reason: "FieldValueInvalid", message: format!("Invalid value: {shown}: {detail}") }
}

fn required(schema: &Value, fields: &Map<String, Value>, path: &str, causes: &mut Vec<Cause>) {
    for name in schema.get("required").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str) {
        if fields.get(name).is_none_or(Value::is_null) {
            causes.push(Cause::required(&join(path, name)));
        }
    }
}

fn walk(schema: &Value, value: &mut Value, path: &str, causes: &mut Vec<Cause>) {
    if value.is_null() {
        if schema.get("nullable").and_then(Value::as_bool) != Some(true) && schema.get("type").is_some() {
            causes.push(invalid(
                path,
                "\"null\"".into(),
                format!("{path} in body must be of type {}: \"null\"", schema["type"].as_str().unwrap_or("object")),
            ));
        }
        return;
    }
    let int_or_string = schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true);
    let expected = schema.get("type").and_then(Value::as_str);
    let actual = type_name(value);
    let type_ok = match expected {
        _ if int_or_string => matches!(actual, "integer" | "string"),
        None => true,
        Some("number") => matches!(actual, "integer" | "number"),
        Some(t) => t == actual,
    };
    if !type_ok {
        let t = expected.unwrap_or("integer or string");
        causes.push(invalid(
            path,
            format!("\"{actual}\""),
            format!("{path} in body must be of type {t}: \"{actual}\""),
        ));
        return;
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(value)
    {
        let supported: Vec<String> =
            allowed.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_string)).collect();
        let refs: Vec<&str> = supported.iter().map(String::as_str).collect();
        let shown = value.as_str().map_or_else(|| value.to_string(), str::to_string);
        causes.push(Cause::unsupported(path, &shown, &refs));
    }
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema.get("minimum").and_then(Value::as_f64)
            && n < min
        {
            causes.push(invalid(
                path,
                value.to_string(),
                format!("{path} in body should be greater than or equal to {min}"),
            ));
        }
        if let Some(max) = schema.get("maximum").and_then(Value::as_f64)
            && n > max
        {
            causes.push(invalid(
                path,
                value.to_string(),
                format!("{path} in body should be less than or equal to {max}"),
            ));
        }
        if schema.get("format").and_then(Value::as_str) == Some("int32")
            && i32::try_from(value.as_i64().unwrap_or(i64::MAX)).is_err()
        {
            causes.push(invalid(path, value.to_string(), format!("{path} in body must be of type int32: \"{value}\"")));
        }
    }
    match value {
        Value::Object(fields) => {
            let properties = schema.get("properties").and_then(Value::as_object);
            let additional = schema.get("additionalProperties").filter(|a| a.is_object());
            for (key, v) in fields.iter_mut() {
                let sub = properties.and_then(|p| p.get(key)).or(additional);
                if let Some(sub) = sub {
                    walk(sub, v, &join(path, key), causes);
                }
            }
            let preserve = schema.get("x-kubernetes-preserve-unknown-fields").and_then(Value::as_bool) == Some(true);
            if !preserve && additional.is_none() && schema.get("additionalProperties") != Some(&Value::Bool(true)) {
                // Structural pruning: what the schema does not describe is dropped, silently, as the real server does.
                match properties {
                    Some(p) => fields.retain(|k, _| p.contains_key(k)),
                    None if expected == Some("object") => fields.clear(),
                    None => {}
                }
            }
            required(schema, fields, path, causes);
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for (i, item) in items.iter_mut().enumerate() {
                    walk(item_schema, item, &format!("{path}[{i}]"), causes);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> Value {
        json!({"type": "object", "properties": {
            "spec": {"type": "object", "required": ["replicaSpecs"], "properties": {
                "runPolicy": {"type": "object", "properties": {"cleanPodPolicy": {"type": "string", "enum": ["All", "Running", "None"]}}},
                "replicaSpecs": {"type": "object", "additionalProperties": {"type": "object", "properties": {
                    "replicas": {"type": "integer", "format": "int32", "minimum": 0},
                    "template": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}},
            "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}})
    }

    #[test]
    fn valid_objects_pass_and_unknown_fields_are_pruned() {
        let mut obj = json!({"metadata": {"name": "x"}, "spec": {"typo": 1, "replicaSpecs": {"Worker": {"replicas": 2, "extra": true, "template": {"spec": {"anything": [1]}}}}}});
        assert!(check(&schema(), &mut obj).is_empty());
        assert!(obj["spec"].get("typo").is_none() && obj["spec"]["replicaSpecs"]["Worker"].get("extra").is_none());
        assert_eq!(obj["spec"]["replicaSpecs"]["Worker"]["template"]["spec"]["anything"], json!([1]), "preserved");
    }

    #[test]
    fn problems_are_named_by_field_in_the_server_s_words() {
        let mut obj = json!({"spec": {"runPolicy": {"cleanPodPolicy": "Some"}, "replicaSpecs": {"Worker": {"replicas": "two"}, "PS": {"replicas": -1}}}});
        let messages: Vec<String> =
            check(&schema(), &mut obj).into_iter().map(|c| format!("{}: {}", c.field, c.message)).collect();
        assert!(messages.contains(&"spec.runPolicy.cleanPodPolicy: Unsupported value: \"Some\": supported values: \"All\", \"Running\", \"None\"".to_string()), "{messages:?}");
        assert!(messages.contains(&"spec.replicaSpecs.Worker.replicas: Invalid value: \"string\": spec.replicaSpecs.Worker.replicas in body must be of type integer: \"string\"".to_string()), "{messages:?}");
        assert!(messages.contains(&"spec.replicaSpecs.PS.replicas: Invalid value: -1: spec.replicaSpecs.PS.replicas in body should be greater than or equal to 0".to_string()), "{messages:?}");
        let mut missing = json!({"spec": {}});
        let causes = check(&schema(), &mut missing);
        assert_eq!((causes[0].field.as_str(), causes[0].message.as_str()), ("spec.replicaSpecs", "Required value"));
    }
}
