//! OpenAPI v3 documents, one per group/version, as clients discover them under `/openapi/v3`.
//!
//! The documents carry what clients look for: every path with its operations and the
//! `x-kubernetes-group-version-kind` extension, the `fieldValidation`/`dryRun`/`fieldManager` parameters (so
//! kubectl validates on the server), the patch content types each resource accepts, and component schemas:
//! a CRD's own structural schema, and a short outline for built-in kinds. `/openapi/v2` is not served, as on
//! servers that have dropped it.

use std::collections::BTreeMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use http::{HeaderMap, Response};
use serde_json::{Map, Value, json};

use super::status::ApiError;
use super::{Body, json_response};
use crate::cluster::Cluster;
use crate::registry::ResourceType;

fn gv_path(rt: &ResourceType) -> String {
    if rt.group.is_empty() { format!("api/{}", rt.version) } else { format!("apis/{}/{}", rt.group, rt.version) }
}

fn gvk(rt: &ResourceType) -> Value {
    json!({"group": rt.group, "version": rt.version, "kind": rt.kind})
}

fn schema_name(rt: &ResourceType) -> String {
    let group = if rt.group.is_empty() { "core".to_string() } else { rt.group.clone() };
    format!("{group}.{}.{}", rt.version, rt.kind)
}

fn query_param(name: &str, description: &str) -> Value {
    json!({"name": name, "in": "query", "description": description, "schema": {"type": "string", "uniqueItems": true}})
}

fn write_params() -> Vec<Value> {
    vec![
        query_param("dryRun", "When present, indicates that modifications should not be persisted."),
        query_param(
            "fieldManager",
            "fieldManager is a name associated with the actor or entity that is making these changes.",
        ),
        query_param(
            "fieldValidation",
            "fieldValidation instructs the server on how to handle objects in the request containing unknown or duplicate fields.",
        ),
    ]
}

fn body_ref(rt: &ResourceType) -> Value {
    json!({"$ref": format!("#/components/schemas/{}", schema_name(rt))})
}

fn operation(rt: &ResourceType, action: &str, id: &str, params: Vec<Value>, request_types: &[&str]) -> Value {
    let mut op = json!({
        "description": format!("{action} {}", rt.kind),
        "operationId": id,
        "x-kubernetes-action": action,
        "x-kubernetes-group-version-kind": gvk(rt),
        "parameters": params,
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": body_ref(rt)}}}},
    });
    if !request_types.is_empty() {
        let content: Map<String, Value> =
            request_types.iter().map(|t| (t.to_string(), json!({"schema": {"type": "object"}}))).collect();
        op["requestBody"] = json!({"content": content, "required": true});
    }
    op
}

/// Strategic merge patch is accepted by the server, but not advertised: kubectl then computes client-side apply
/// patches from its built-in types, whose merge keys the server's strategic merge follows.
const PATCH_TYPES: [&str; 3] =
    ["application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"];

fn paths_for(rt: &ResourceType, paths: &mut BTreeMap<String, Value>) {
    let base =
        if rt.group.is_empty() { format!("/api/{}", rt.version) } else { format!("/apis/{}/{}", rt.group, rt.version) };
    let collection = if rt.namespaced {
        format!("{base}/namespaces/{{namespace}}/{}", rt.plural)
    } else {
        format!("{base}/{}", rt.plural)
    };
    let id = format!("{}{}", rt.kind, rt.version);
    if rt.verbs == ["create"] {
        paths.insert(
            collection,
            json!({"post": operation(rt, "post", &format!("create{id}"), write_params(), &["application/json"])}),
        );
        return;
    }
    paths.insert(
        collection.clone(),
        json!({
            "get": operation(rt, "list", &format!("list{id}"), vec![query_param("labelSelector", "A selector to restrict the list of returned objects by their labels.")], &[]),
            "post": operation(rt, "post", &format!("create{id}"), write_params(), &["application/json"]),
            "delete": operation(rt, "deletecollection", &format!("deletecollection{id}"), vec![], &[]),
        }),
    );
    let item = format!("{collection}/{{name}}");
    let mut patch_params = write_params();
    patch_params.push(query_param("force", "Force is going to \"force\" Apply requests."));
    let item_ops = json!({
        "get": operation(rt, "get", &format!("read{id}"), vec![], &[]),
        "put": operation(rt, "put", &format!("replace{id}"), write_params(), &["application/json"]),
        "patch": operation(rt, "patch", &format!("patch{id}"), patch_params.clone(), &PATCH_TYPES),
        "delete": operation(rt, "delete", &format!("delete{id}"), vec![], &[]),
    });
    paths.insert(item.clone(), item_ops);
    if rt.has_subresource("status") {
        paths.insert(
            format!("{item}/status"),
            json!({
                "get": operation(rt, "get", &format!("read{id}Status"), vec![], &[]),
                "put": operation(rt, "put", &format!("replace{id}Status"), write_params(), &["application/json"]),
                "patch": operation(rt, "patch", &format!("patch{id}Status"), patch_params, &PATCH_TYPES),
            }),
        );
    }
}

fn schema_for(rt: &ResourceType) -> Value {
    let mut schema = match &rt.schema {
        Some(s) => s.clone(),
        None => json!({
            "type": "object",
            "description": format!("{} is a built-in Kubernetes kind served by kubesim.", rt.kind),
            "properties": {
                "apiVersion": {"type": "string", "description": "APIVersion defines the versioned schema of this representation of an object."},
                "kind": {"type": "string", "description": "Kind is a string value representing the REST resource this object represents."},
                "metadata": {"type": "object", "description": "Standard object's metadata."},
                "spec": {"type": "object", "description": "Specification of the desired behavior."},
                "status": {"type": "object", "description": "Most recently observed status."}
            }
        }),
    };
    schema["x-kubernetes-group-version-kind"] = json!([gvk(rt)]);
    schema
}

/// The document for one group/version.
pub fn group_version_doc(types: &[std::sync::Arc<ResourceType>]) -> Value {
    let mut paths = BTreeMap::new();
    let mut schemas = Map::new();
    for rt in types {
        paths_for(rt, &mut paths);
        schemas.insert(schema_name(rt), schema_for(rt));
    }
    json!({
        "openapi": "3.0.0",
        "info": {"title": "Kubernetes", "version": super::discovery::GIT_VERSION},
        "paths": paths,
        "components": {"schemas": schemas},
    })
}

fn hash_of(v: &Value) -> String {
    let mut h = DefaultHasher::new();
    v.to_string().hash(&mut h);
    format!("{:016X}", h.finish())
}

/// Serves `/openapi/v3` and `/openapi/v3/<group-version path>`.
pub fn serve(cluster: &Cluster, rest: &[String], _headers: &HeaderMap) -> Result<Response<Body>, ApiError> {
    let all = cluster.registry.all();
    let mut by_gv: BTreeMap<String, Vec<std::sync::Arc<ResourceType>>> = BTreeMap::new();
    for rt in all {
        by_gv.entry(gv_path(&rt)).or_default().push(rt);
    }
    match rest {
        [v3] if v3 == "v3" => {
            let mut paths = Map::new();
            for (gv, types) in &by_gv {
                let hash = hash_of(&group_version_doc(types));
                paths.insert(gv.clone(), json!({"serverRelativeURL": format!("/openapi/v3/{gv}?hash={hash}")}));
            }
            Ok(json_response(200, &json!({"paths": paths})))
        }
        [v3, gv @ ..] if v3 == "v3" => {
            let key = gv.join("/");
            let types = by_gv.get(&key).ok_or_else(ApiError::path_not_found)?;
            Ok(json_response(200, &group_version_doc(types)))
        }
        _ => Err(ApiError::path_not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn patch_operations_advertise_field_validation_and_gvk() {
        let reg = Registry::default();
        let doc = group_version_doc(&reg.in_group_version("apps", "v1"));
        let patch = &doc["paths"]["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"]["patch"];
        assert_eq!(patch["x-kubernetes-group-version-kind"]["kind"], "Deployment");
        assert!(patch["parameters"].as_array().unwrap().iter().any(|p| p["name"] == "fieldValidation"));
        assert!(patch["requestBody"]["content"].get("application/apply-patch+yaml").is_some());
        assert_eq!(
            doc["components"]["schemas"]["apps.v1.Deployment"]["x-kubernetes-group-version-kind"][0]["kind"],
            "Deployment"
        );
    }
}
