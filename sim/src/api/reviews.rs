//! The review kinds, answered rather than stored: SelfSubjectAccessReview ("may I?"), SelfSubjectRulesReview
//! ("what may I do here?"), SubjectAccessReview, SelfSubjectReview ("who am I?") and TokenReview.

use http::Response;
use serde_json::{Value, json};

use super::status::ApiError;
use super::{Body, Ctx, decode_body, json_response};
use crate::auth::{self, Attributes, User};
use crate::cluster::Cluster;
use crate::meta;

fn attributes_from(spec: &Value) -> Attributes {
    if let Some(nr) = spec.get("nonResourceAttributes") {
        return Attributes {
            verb: meta::str_at(nr, "/verb").to_string(),
            path: Some(meta::str_at(nr, "/path").to_string()),
            ..Default::default()
        };
    }
    let ra = spec.get("resourceAttributes").cloned().unwrap_or(json!({}));
    Attributes {
        verb: meta::str_at(&ra, "/verb").to_string(),
        group: meta::str_at(&ra, "/group").to_string(),
        resource: meta::str_at(&ra, "/resource").to_string(),
        subresource: meta::str_at(&ra, "/subresource").to_string(),
        namespace: meta::str_at(&ra, "/namespace").to_string(),
        name: meta::str_at(&ra, "/name").to_string(),
        path: None,
    }
}

fn user_info(user: &User) -> Value {
    json!({"username": user.name, "uid": user.uid, "groups": user.groups})
}

fn access_status(cluster: &Cluster, user: &User, attrs: &Attributes) -> Value {
    let allowed = auth::authorize(&cluster.store, user, attrs);
    let reason = if allowed {
        if user.is_master() {
            "allowed by the system:masters group".to_string()
        } else {
            format!("RBAC: allowed by ClusterRoleBinding \"{}\"", auth::VIEWER_ROLE)
        }
    } else {
        String::new()
    };
    let mut status = json!({"allowed": allowed});
    if !reason.is_empty() {
        status["reason"] = json!(reason);
    }
    status
}

pub fn create(cluster: &Cluster, ctx: &Ctx, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let mut review = decode_body(body)?;
    let spec = review.get("spec").cloned().unwrap_or(json!({}));
    let rt = &ctx.target.rt;
    review["apiVersion"] = json!(rt.api_version());
    review["kind"] = json!(rt.kind);
    if !review.get("metadata").is_some_and(Value::is_object) {
        review["metadata"] = json!({});
    }
    review["metadata"]["creationTimestamp"] = Value::Null;
    match rt.kind.as_str() {
        "SelfSubjectAccessReview" => {
            review["status"] = access_status(cluster, &ctx.user, &attributes_from(&spec));
        }
        "SubjectAccessReview" => {
            let subject = User {
                name: meta::str_at(&spec, "/user").to_string(),
                uid: meta::str_at(&spec, "/uid").to_string(),
                groups: spec
                    .get("groups")
                    .and_then(Value::as_array)
                    .map(|g| g.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default(),
            };
            review["status"] = access_status(cluster, &subject, &attributes_from(&spec));
        }
        "SelfSubjectRulesReview" => {
            let ns = meta::str_at(&spec, "/namespace");
            let resource_rules: Vec<Value> = if ctx.user.is_master() {
                vec![json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]})]
            } else {
                auth::rules_for(&cluster.store, &ctx.user, ns)
                    .into_iter()
                    .filter(|r| r.get("resources").is_some())
                    .map(|mut r| {
                        if let Some(m) = r.as_object_mut() {
                            m.remove("nonResourceURLs");
                        }
                        r
                    })
                    .chain(std::iter::once(json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]})))
                    .collect()
            };
            let non_resource = json!([{"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]}]);
            review["status"] =
                json!({"resourceRules": resource_rules, "nonResourceRules": non_resource, "incomplete": false});
        }
        "SelfSubjectReview" => {
            review["status"] = json!({"userInfo": user_info(&ctx.user)});
        }
        "TokenReview" => {
            let token = meta::str_at(&spec, "/token");
            review["status"] = match cluster.tokens.authenticate(token) {
                Some(user) => {
                    json!({"authenticated": true, "user": user_info(&user), "audiences": ["https://kubernetes.default.svc"]})
                }
                None => json!({"authenticated": false, "error": "invalid bearer token"}),
            };
        }
        other => return Err(ApiError::method_not_allowed(format!("{other} cannot be created"))),
    }
    Ok(json_response(201, &review))
}
