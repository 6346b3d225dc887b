//! Patches and field ownership: JSON patch, JSON merge patch, strategic merge patch, and server-side apply with
//! `managedFields`.
//!
//! List semantics follow the built-in types' merge keys (containers by `name`, volume mounts by `mountPath`, …):
//! the same table drives strategic merge and server-side apply, so the two agree.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

/// How a list field merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListKind {
    /// Items are matched by these key fields.
    Map(&'static [&'static str]),
    /// A set of scalar values.
    Set,
    /// Replaced as a whole.
    Atomic,
}

/// The merge semantics of the list at `field`, given the name of the field that holds the list's parent.
pub fn list_kind(parent: &str, field: &str) -> ListKind {
    match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "ephemeralContainerStatuses"
        | "containerStatuses"
        | "initContainerStatuses" => ListKind::Map(&["name"]),
        "ports" if parent == "containers" || parent == "initContainers" => {
            ListKind::Map(&["containerPort", "protocol"])
        }
        "ports" => ListKind::Map(&["port", "protocol"]),
        "volumeMounts" => ListKind::Map(&["mountPath"]),
        "volumeDevices" => ListKind::Map(&["devicePath"]),
        "conditions" => ListKind::Map(&["type"]),
        "ownerReferences" => ListKind::Map(&["uid"]),
        "hostAliases" => ListKind::Map(&["ip"]),
        "versions" if parent == "spec" => ListKind::Map(&["name"]),
        "finalizers" => ListKind::Set,
        _ => ListKind::Atomic,
    }
}

/// Strategic merge patch only merges lists that have a `patchMergeKey`; it keys them by the first key alone.
fn smp_merge_key(parent: &str, field: &str) -> Option<&'static str> {
    match list_kind(parent, field) {
        ListKind::Map(keys) => keys.first().copied(),
        _ => None,
    }
}

/// Why a patch could not be applied.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PatchError {
    #[error("{0}")]
    Invalid(String),
    #[error("Apply failed with {count} conflict{}: {list}", if *.count == 1 { "" } else { "s" })]
    Conflicts { count: usize, list: String, fields: Vec<(String, String)> },
}

/// RFC 6902 JSON patch.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops: json_patch::Patch =
        serde_json::from_value(patch.clone()).map_err(|e| PatchError::Invalid(format!("invalid JSON patch: {e}")))?;
    let mut out = target.clone();
    json_patch::patch(&mut out, &ops).map_err(|e| {
        PatchError::Invalid(format!("the server rejected our request due to an error in our request: {e}"))
    })?;
    Ok(out)
}

/// RFC 7386 JSON merge patch.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut out = target.clone();
    json_patch::merge(&mut out, patch);
    out
}

/// Strategic merge patch, with the `$patch`, `$retainKeys`, `$setElementOrder` and `$deleteFromPrimitiveList`
/// directives.
pub fn strategic_merge(target: &Value, patch: &Value) -> Value {
    smp_value(target, patch, "")
}

fn smp_value(target: &Value, patch: &Value, field: &str) -> Value {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                let mut replaced = p.clone();
                replaced.remove("$patch");
                return Value::Object(strip_directives(&replaced));
            }
            let mut out = t.clone();
            if let Some(retain) = p.get("$retainKeys").and_then(Value::as_array) {
                let keep: BTreeSet<&str> = retain.iter().filter_map(Value::as_str).collect();
                out.retain(|k, _| keep.contains(k.as_str()));
            }
            for (k, v) in p {
                if k.starts_with('$') {
                    if let Some(list) = k.strip_prefix("$deleteFromPrimitiveList/")
                        && let (Some(Value::Array(items)), Some(remove)) = (out.get_mut(list), v.as_array())
                    {
                        items.retain(|i| !remove.contains(i));
                    }
                    continue;
                }
                match v {
                    Value::Null => {
                        out.remove(k);
                    }
                    Value::Array(items) => {
                        let merged = match (out.get(k), smp_merge_key(field, k)) {
                            (Some(Value::Array(existing)), Some(key)) => smp_keyed_list(existing, items, key, k),
                            (Some(Value::Array(existing)), None) if list_kind(field, k) == ListKind::Set => {
                                let mut union = existing.clone();
                                union.extend(items.iter().filter(|i| !existing.contains(i)).cloned());
                                Value::Array(union)
                            }
                            _ => Value::Array(items.iter().map(|i| smp_value(&Value::Null, i, k)).collect()),
                        };
                        out.insert(k.clone(), merged);
                    }
                    Value::Object(_) => {
                        let base = out.get(k).cloned().unwrap_or(Value::Null);
                        out.insert(k.clone(), smp_value(&base, v, k));
                    }
                    scalar => {
                        out.insert(k.clone(), scalar.clone());
                    }
                }
            }
            Value::Object(out)
        }
        (_, Value::Object(p)) => Value::Object(strip_directives(p)),
        (_, other) => other.clone(),
    }
}

fn strip_directives(map: &Map<String, Value>) -> Map<String, Value> {
    map.iter()
        .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
        .map(|(k, v)| {
            let v = match v {
                Value::Object(m) => Value::Object(strip_directives(m)),
                other => other.clone(),
            };
            (k.clone(), v)
        })
        .collect()
}

fn smp_keyed_list(existing: &[Value], patch: &[Value], key: &str, field: &str) -> Value {
    let mut out: Vec<Value> = existing.to_vec();
    for item in patch {
        let id = item.get(key);
        let directive = item.get("$patch").and_then(Value::as_str);
        let pos = id.and_then(|id| out.iter().position(|e| e.get(key) == Some(id)));
        match (directive, pos) {
            (Some("delete"), Some(i)) => {
                out.remove(i);
            }
            (Some("delete"), None) => {}
            (_, Some(i)) => out[i] = smp_value(&out[i], item, field),
            (_, None) => out.push(smp_value(&Value::Null, item, field)),
        }
    }
    Value::Array(out)
}

// ---------------------------------------------------------------------------------------------------------------
// Field sets (managedFields.fieldsV1)

/// A field path, each segment encoded as in `fieldsV1`: `f:name`, `k:{"name":"x"}`, `v:"value"`, `.`.
pub type FieldPath = Vec<String>;

/// The set of leaf fields an object sets, as server-side apply tracks ownership. Identity fields (apiVersion,
/// kind, name, namespace) and server-managed metadata are not owned by anyone.
pub fn field_set(obj: &Value) -> BTreeSet<FieldPath> {
    let mut set = BTreeSet::new();
    if let Value::Object(map) = obj {
        for (k, v) in map {
            match k.as_str() {
                "apiVersion" | "kind" => {}
                "metadata" => {
                    if let Value::Object(m) = v {
                        for (mk, mv) in m {
                            if matches!(mk.as_str(), "labels" | "annotations" | "finalizers" | "ownerReferences") {
                                walk(mv, vec!["f:metadata".into(), format!("f:{mk}")], "metadata", mk, &mut set);
                            }
                        }
                    }
                }
                _ => walk(v, vec![format!("f:{k}")], "", k, &mut set),
            }
        }
    }
    set
}

/// A list item's key field, with the server's default when the item leaves it out (as the real server defaults
/// an applied configuration before merging it: a port without a protocol is a TCP port).
fn key_field(item: &Value, key: &str) -> Option<Value> {
    match item.get(key) {
        Some(v) => Some(v.clone()),
        None if key == "protocol" => Some(Value::from("TCP")),
        None => None,
    }
}

/// The managedFields key of a list item, from the fields the item names (kubectl computes the same from an applied
/// configuration when it migrates client-side apply ownership).
fn key_segment(item: &Value, keys: &[&str]) -> String {
    let mut m = Map::new();
    for k in keys {
        if let Some(v) = item.get(*k) {
            m.insert((*k).to_string(), v.clone());
        }
    }
    format!("k:{}", Value::Object(m))
}

fn walk(v: &Value, path: FieldPath, parent: &str, field: &str, set: &mut BTreeSet<FieldPath>) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                let mut p = path.clone();
                p.push(format!("f:{k}"));
                walk(child, p, field, k, set);
            }
        }
        Value::Array(items) => match list_kind(parent, field) {
            ListKind::Map(keys) => {
                for item in items {
                    let mut p = path.clone();
                    p.push(key_segment(item, keys));
                    let mut marker = p.clone();
                    marker.push(".".into());
                    set.insert(marker);
                    if let Value::Object(m) = item {
                        for (k, child) in m {
                            let mut c = p.clone();
                            c.push(format!("f:{k}"));
                            walk(child, c, field, k, set);
                        }
                    }
                }
            }
            ListKind::Set => {
                for item in items {
                    let mut p = path.clone();
                    p.push(format!("v:{item}"));
                    set.insert(p);
                }
            }
            ListKind::Atomic => {
                set.insert(path);
            }
        },
        _ => {
            set.insert(path);
        }
    }
}

/// Encodes a field set as a `fieldsV1` object.
pub fn to_fields_v1(set: &BTreeSet<FieldPath>) -> Value {
    let mut root = Map::new();
    for path in set {
        let mut node = &mut root;
        for seg in path {
            let entry = node.entry(seg.clone()).or_insert_with(|| Value::Object(Map::new()));
            let Value::Object(next) = entry else { break };
            node = next;
        }
    }
    Value::Object(root)
}

/// Decodes a `fieldsV1` object into leaf paths.
pub fn from_fields_v1(v: &Value) -> BTreeSet<FieldPath> {
    fn go(v: &Value, path: &mut FieldPath, out: &mut BTreeSet<FieldPath>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    path.push(k.clone());
                    go(child, path, out);
                    path.pop();
                }
            }
            _ => {
                out.insert(path.clone());
            }
        }
    }
    let mut out = BTreeSet::new();
    go(v, &mut Vec::new(), &mut out);
    out
}

fn step<'a>(v: &'a Value, seg: &str) -> Option<&'a Value> {
    if let Some(f) = seg.strip_prefix("f:") {
        return v.get(f);
    }
    if let Some(k) = seg.strip_prefix("k:") {
        let key: Map<String, Value> = serde_json::from_str(k).ok()?;
        return v.as_array()?.iter().find(|item| key.iter().all(|(kk, kv)| item.get(kk) == Some(kv)));
    }
    if let Some(val) = seg.strip_prefix("v:") {
        let val: Value = serde_json::from_str(val).ok()?;
        return v.as_array()?.iter().find(|item| **item == val);
    }
    if seg == "." {
        return Some(v);
    }
    None
}

/// The value at a field path, if present.
pub fn value_at<'a>(obj: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, seg| step(v, seg))
}

/// Removes the field at a path (a map key, a keyed list item, or a set value).
fn remove_at(obj: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else { return };
    if last == "." {
        // Removing a list item marker removes the item itself.
        remove_at(obj, parents);
        return;
    }
    let mut node = obj;
    for seg in parents {
        let next = if let Some(f) = seg.strip_prefix("f:") {
            node.get_mut(f)
        } else if let Some(k) = seg.strip_prefix("k:") {
            let Ok(key) = serde_json::from_str::<Map<String, Value>>(k) else { return };
            node.as_array_mut().and_then(|a| a.iter_mut().find(|i| key.iter().all(|(kk, kv)| i.get(kk) == Some(kv))))
        } else {
            None
        };
        let Some(n) = next else { return };
        node = n;
    }
    if let Some(f) = last.strip_prefix("f:") {
        if let Some(m) = node.as_object_mut() {
            m.remove(f);
        }
    } else if let Some(k) = last.strip_prefix("k:") {
        if let (Ok(key), Some(a)) = (serde_json::from_str::<Map<String, Value>>(k), node.as_array_mut()) {
            a.retain(|i| !key.iter().all(|(kk, kv)| i.get(kk) == Some(kv)));
        }
    } else if let Some(v) = last.strip_prefix("v:")
        && let (Ok(val), Some(a)) = (serde_json::from_str::<Value>(v), node.as_array_mut())
    {
        a.retain(|i| *i != val);
    }
}

/// Merges an applied configuration into a live object with server-side apply's list semantics.
fn apply_merge(live: &Value, applied: &Value, parent: &str, field: &str) -> Value {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            let mut out = l.clone();
            for (k, v) in a {
                let base = out.get(k).cloned().unwrap_or(Value::Null);
                out.insert(k.clone(), apply_merge(&base, v, field, k));
            }
            Value::Object(out)
        }
        (Value::Array(l), Value::Array(a)) => match list_kind(parent, field) {
            ListKind::Map(keys) => {
                let same = |x: &Value, y: &Value| keys.iter().all(|k| key_field(x, k) == key_field(y, k));
                let mut out = l.clone();
                for item in a {
                    match out.iter().position(|e| same(e, item)) {
                        Some(i) => out[i] = apply_merge(&out[i], item, field, field),
                        None => out.push(item.clone()),
                    }
                }
                Value::Array(out)
            }
            ListKind::Set => {
                let mut out = l.clone();
                out.extend(a.iter().filter(|i| !l.contains(i)).cloned());
                Value::Array(out)
            }
            ListKind::Atomic => applied.clone(),
        },
        (_, other) => other.clone(),
    }
}

/// One `managedFields` entry.
#[derive(Debug, Clone, PartialEq)]
pub struct ManagedEntry {
    pub manager: String,
    pub operation: String,
    pub api_version: String,
    pub subresource: String,
    pub time: String,
    pub fields: BTreeSet<FieldPath>,
}

pub fn read_managed(obj: &Value) -> Vec<ManagedEntry> {
    let Some(entries) = obj.pointer("/metadata/managedFields").and_then(Value::as_array) else { return Vec::new() };
    entries
        .iter()
        .map(|e| ManagedEntry {
            manager: e.get("manager").and_then(Value::as_str).unwrap_or_default().to_string(),
            operation: e.get("operation").and_then(Value::as_str).unwrap_or("Update").to_string(),
            api_version: e.get("apiVersion").and_then(Value::as_str).unwrap_or_default().to_string(),
            subresource: e.get("subresource").and_then(Value::as_str).unwrap_or_default().to_string(),
            time: e.get("time").and_then(Value::as_str).unwrap_or_default().to_string(),
            fields: e.get("fieldsV1").map(from_fields_v1).unwrap_or_default(),
        })
        .collect()
}

pub fn write_managed(obj: &mut Value, entries: &[ManagedEntry]) {
    let list: Vec<Value> = entries
        .iter()
        .filter(|e| !e.fields.is_empty())
        .map(|e| {
            let mut v = json!({
                "manager": e.manager,
                "operation": e.operation,
                "apiVersion": e.api_version,
                "time": e.time,
                "fieldsType": "FieldsV1",
                "fieldsV1": to_fields_v1(&e.fields),
            });
            if !e.subresource.is_empty() {
                v["subresource"] = json!(e.subresource);
            }
            v
        })
        .collect();
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        if list.is_empty() {
            meta.remove("managedFields");
        } else {
            meta.insert("managedFields".into(), Value::Array(list));
        }
    }
}

/// Renders a field path the way conflict messages show it, e.g. `.spec.replicas` or `.spec.containers[name="c"]`.
pub fn display_path(path: &[String]) -> String {
    let mut s = String::new();
    for seg in path {
        if let Some(f) = seg.strip_prefix("f:") {
            s.push('.');
            s.push_str(f);
        } else if let Some(k) = seg.strip_prefix("k:") {
            let inner = serde_json::from_str::<Map<String, Value>>(k)
                .map(|m| m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(","))
                .unwrap_or_default();
            s.push_str(&format!("[{inner}]"));
        } else if let Some(v) = seg.strip_prefix("v:") {
            s.push_str(&format!("[={v}]"));
        }
    }
    s
}

/// Server-side apply: merges `applied` into `live` (or creates it), enforcing field ownership.
pub fn server_side_apply(
    live: Option<&Value>,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    subresource: &str,
    now: &str,
) -> Result<Value, PatchError> {
    let new_fields = field_set(applied);
    let mut entries = live.map(read_managed).unwrap_or_default();
    let empty = Value::Null;
    let live_value = live.unwrap_or(&empty);
    // Upgrading from client-side apply: fields recorded in the last-applied annotation may be taken over
    // without a conflict, as the real server allows
    // (Only fields that still hold the value client-side apply wrote; a change by someone else since is a conflict.)
    let last_applied_config = live_value
        .pointer("/metadata/annotations/kubectl.kubernetes.io~1last-applied-configuration")
        .and_then(Value::as_str)
        .and_then(|text| serde_json::from_str::<Value>(text).ok())
        .unwrap_or(Value::Null);
    let last_applied: BTreeSet<FieldPath> = field_set(&last_applied_config)
        .into_iter()
        .filter(|p| value_at(&last_applied_config, p) == value_at(live_value, p))
        .collect();

    let mut conflicts: Vec<(String, String)> = Vec::new();
    let mut taken_over: BTreeSet<FieldPath> = BTreeSet::new();
    for entry in entries.iter().filter(|e| !(e.manager == manager && e.operation == "Apply")) {
        for path in new_fields.iter().filter(|p| entry.fields.contains(*p)) {
            if value_at(live_value, path) != value_at(applied, path) && path.last().is_some_and(|s| s != ".") {
                if last_applied.contains(path) {
                    taken_over.insert(path.clone());
                } else {
                    conflicts.push((entry.manager.clone(), display_path(path)));
                }
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let list = conflicts
            .iter()
            .map(|(m, p)| format!("conflict with \"{m}\" using {api_version}: {p}"))
            .collect::<Vec<_>>()
            .join("\n");
        return Err(PatchError::Conflicts { count: conflicts.len(), list, fields: conflicts });
    }

    let mut merged = match live {
        Some(l) => apply_merge(l, applied, "", ""),
        None => applied.clone(),
    };
    // Fields this manager applied before and no longer applies are removed, unless someone else owns them.
    let previous: BTreeSet<FieldPath> = entries
        .iter()
        .find(|e| e.manager == manager && e.operation == "Apply" && e.subresource == subresource)
        .map(|e| e.fields.clone())
        .unwrap_or_default();
    for path in previous.difference(&new_fields) {
        let owned_elsewhere =
            entries.iter().any(|e| !(e.manager == manager && e.operation == "Apply") && e.fields.contains(path));
        if !owned_elsewhere {
            remove_at(&mut merged, path);
        }
    }
    for e in entries.iter_mut().filter(|e| !(e.manager == manager && e.operation == "Apply")) {
        if force {
            e.fields.retain(|p| !new_fields.contains(p));
        } else {
            e.fields.retain(|p| !taken_over.contains(p));
        }
    }
    // kubectl's default server-side manager keeps the client-side annotation up to date, so a later
    // client-side apply still works.
    if manager == "kubectl"
        && let Some(annotations) = merged.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut)
        && annotations.contains_key("kubectl.kubernetes.io/last-applied-configuration")
    {
        let mut config = applied.clone();
        if let Some(a) = config.pointer_mut("/metadata/annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
        }
        annotations
            .insert("kubectl.kubernetes.io/last-applied-configuration".into(), Value::String(format!("{config}\n")));
    }
    let mine = |e: &ManagedEntry| e.manager == manager && e.operation == "Apply" && e.subresource == subresource;
    // As on the real server, the entry's time moves only when the manager adds, changes or drops a field:
    // applying the same configuration again is a no-op, not a write.
    let without_managed = |v: &Value| {
        let mut v = v.clone();
        if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
        }
        v
    };
    let unchanged = live.is_some_and(|l| without_managed(l) == without_managed(&merged));
    let time = entries
        .iter()
        .find(|e| unchanged && mine(e) && e.fields == new_fields && e.api_version == api_version)
        .map_or_else(|| now.to_string(), |e| e.time.clone());
    entries.retain(|e| !mine(e));
    entries.push(ManagedEntry {
        manager: manager.to_string(),
        operation: "Apply".into(),
        api_version: api_version.to_string(),
        subresource: subresource.to_string(),
        time,
        fields: new_fields,
    });
    write_managed(&mut merged, &entries);
    Ok(merged)
}

/// Records field ownership for an ordinary write (create, update, patch): the manager takes the fields whose
/// values it changed, and fields that disappeared are no longer owned by anyone.
pub fn track_update(
    old: Option<&Value>,
    new: &mut Value,
    manager: &str,
    api_version: &str,
    subresource: &str,
    now: &str,
) {
    let mut entries = old.map(read_managed).unwrap_or_default();
    let current = field_set(new);
    let changed: BTreeSet<FieldPath> =
        current.iter().filter(|p| old.is_none_or(|o| value_at(o, p) != value_at(new, p))).cloned().collect();
    for e in entries.iter_mut() {
        e.fields.retain(|p| current.contains(p));
        if e.manager != manager || e.operation != "Update" {
            e.fields.retain(|p| !changed.contains(p));
        }
    }
    if !changed.is_empty() {
        match entries
            .iter_mut()
            .find(|e| e.manager == manager && e.operation == "Update" && e.subresource == subresource)
        {
            Some(e) => {
                e.fields.extend(changed);
                e.time = now.to_string();
                e.api_version = api_version.to_string();
            }
            None => entries.push(ManagedEntry {
                manager: manager.to_string(),
                operation: "Update".into(),
                api_version: api_version.to_string(),
                subresource: subresource.to_string(),
                time: now.to_string(),
                fields: changed,
            }),
        }
    }
    write_managed(new, &entries);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(image: &str, replicas: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "c", "image": image}]}}}})
    }

    #[test]
    fn strategic_merge_merges_containers_by_name_and_honours_directives() {
        let live = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}],
            "finalizers": ["one"]}});
        let patch = json!({"spec": {"containers": [{"name": "b", "image": "z"}, {"name": "a", "$patch": "delete"}],
            "$setElementOrder/containers": [{"name": "b"}], "finalizers": ["two"]}});
        let out = strategic_merge(&live, &patch);
        assert_eq!(out["spec"]["containers"], json!([{"name": "b", "image": "z"}]));
        assert_eq!(out["spec"]["finalizers"], json!(["one", "two"]));
        let replaced = strategic_merge(&live, &json!({"spec": {"$patch": "replace", "x": 1}}));
        assert_eq!(replaced["spec"], json!({"x": 1}));
        let removed = strategic_merge(&live, &json!({"spec": {"finalizers": null}}));
        assert!(removed["spec"].get("finalizers").is_none());
    }

    #[test]
    fn merge_and_json_patches() {
        let live = json!({"a": 1, "b": {"c": 2}});
        assert_eq!(merge_patch(&live, &json!({"b": {"c": null, "d": 3}})), json!({"a": 1, "b": {"d": 3}}));
        let ops = json!([{"op": "replace", "path": "/a", "value": 5}, {"op": "add", "path": "/e", "value": [1]}]);
        assert_eq!(json_patch(&live, &ops).unwrap(), json!({"a": 5, "b": {"c": 2}, "e": [1]}));
        assert!(json_patch(&live, &json!([{"op": "remove", "path": "/nope"}])).is_err());
    }

    #[test]
    fn field_sets_round_trip_through_fields_v1() {
        let set = field_set(&deploy("nginx", 2));
        assert!(set.contains(&vec!["f:spec".to_string(), "f:replicas".to_string()]));
        assert!(set.iter().any(|p| p.iter().any(|s| s == "k:{\"name\":\"c\"}")));
        assert_eq!(from_fields_v1(&to_fields_v1(&set)), set);
    }

    #[test]
    fn apply_creates_then_conflicts_with_another_manager_unless_forced() {
        let created = server_side_apply(None, &deploy("nginx:1", 2), "bosun", false, "apps/v1", "", "t").unwrap();
        assert_eq!(read_managed(&created)[0].manager, "bosun");
        // Someone else scales the deployment with an ordinary update.
        let mut scaled = created.clone();
        scaled["spec"]["replicas"] = json!(5);
        track_update(Some(&created), &mut scaled, "kubectl-scale", "apps/v1", "", "t");
        // Bosun applies its replica count again: a conflict on .spec.replicas.
        let err =
            server_side_apply(Some(&scaled), &deploy("nginx:1", 2), "bosun", false, "apps/v1", "", "t").unwrap_err();
        let PatchError::Conflicts { fields, .. } = &err else { panic!("{err:?}") };
        assert_eq!(fields, &vec![("kubectl-scale".to_string(), ".spec.replicas".to_string())]);
        assert!(err.to_string().starts_with("Apply failed with 1 conflict: conflict with \"kubectl-scale\""));
        let forced =
            server_side_apply(Some(&scaled), &deploy("nginx:1", 2), "bosun", true, "apps/v1", "", "t").unwrap();
        assert_eq!(forced["spec"]["replicas"], 2);
        // Applying the same value another manager owns is not a conflict.
        assert!(server_side_apply(Some(&scaled), &deploy("nginx:1", 5), "bosun", false, "apps/v1", "", "t").is_ok());
    }

    #[test]
    fn applying_the_same_configuration_again_changes_nothing() {
        let first = server_side_apply(None, &deploy("nginx:1", 2), "m", false, "apps/v1", "", "t1").expect("apply");
        let again =
            server_side_apply(Some(&first), &deploy("nginx:1", 2), "m", false, "apps/v1", "", "t2").expect("again");
        assert_eq!(first, again, "the managedFields time stays");
        let changed =
            server_side_apply(Some(&first), &deploy("nginx:2", 2), "m", false, "apps/v1", "", "t3").expect("change");
        assert_ne!(first, changed);
    }

    #[test]
    fn fields_dropped_from_an_apply_are_removed() {
        let first = server_side_apply(None, &deploy("nginx", 2), "bosun", false, "apps/v1", "", "t").unwrap();
        let mut second_config = deploy("nginx", 2);
        second_config["metadata"].as_object_mut().unwrap().remove("labels");
        let second = server_side_apply(Some(&first), &second_config, "bosun", false, "apps/v1", "", "t").unwrap();
        assert!(second.pointer("/metadata/labels/app").is_none());
        assert_eq!(second["spec"]["replicas"], 2);
    }
}
