//! API errors as real `Status` objects: the codes, reasons and message shapes kubectl and client libraries expect.

use serde_json::{Value, json};

use crate::registry::ResourceType;

/// An error answered as a `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// Seconds for a `Retry-After` header (429/503).
    pub retry_after: Option<u64>,
}

/// One field problem of an `Invalid` error.
#[derive(Debug, Clone, PartialEq)]
pub struct Cause {
    pub field: String,
    pub reason: &'static str,
    pub message: String,
}

impl Cause {
    pub fn invalid(field: &str, value: &str, detail: &str) -> Self {
        Self {
            field: field.into(),
            reason: "FieldValueInvalid",
            message: format!("Invalid value: \"{value}\": {detail}"),
        }
    }

    pub fn required(field: &str) -> Self {
        Self { field: field.into(), reason: "FieldValueRequired", message: "Required value".into() }
    }

    pub fn unsupported(field: &str, value: &str, supported: &[&str]) -> Self {
        let list = supported.iter().map(|s| format!("\"{s}\"")).collect::<Vec<_>>().join(", ");
        Self {
            field: field.into(),
            reason: "FieldValueNotSupported",
            message: format!("Unsupported value: \"{value}\": supported values: {list}"),
        }
    }

    pub fn forbidden(field: &str, detail: &str) -> Self {
        Self { field: field.into(), reason: "FieldValueForbidden", message: format!("Forbidden: {detail}") }
    }
}

fn qualified(rt: &ResourceType) -> String {
    if rt.group.is_empty() { rt.plural.clone() } else { format!("{}.{}", rt.plural, rt.group) }
}

impl ApiError {
    fn new(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self { code, reason, message: message.into(), details: None, retry_after: None }
    }

    fn with_details(mut self, rt: &ResourceType, name: &str) -> Self {
        let mut d = json!({"kind": rt.plural});
        if !name.is_empty() {
            d["name"] = json!(name);
        }
        if !rt.group.is_empty() {
            d["group"] = json!(rt.group);
        }
        self.details = Some(d);
        self
    }

    pub fn not_found(rt: &ResourceType, name: &str) -> Self {
        Self::new(404, "NotFound", format!("{} \"{name}\" not found", qualified(rt))).with_details(rt, name)
    }

    pub fn already_exists(rt: &ResourceType, name: &str) -> Self {
        Self::new(409, "AlreadyExists", format!("{} \"{name}\" already exists", qualified(rt))).with_details(rt, name)
    }

    pub fn conflict(rt: &ResourceType, name: &str, why: &str) -> Self {
        Self::new(409, "Conflict", format!("Operation cannot be fulfilled on {} \"{name}\": {why}", qualified(rt)))
            .with_details(rt, name)
    }

    pub fn invalid(rt: &ResourceType, name: &str, causes: Vec<Cause>) -> Self {
        let summary = causes.iter().map(|c| format!("{}: {}", c.field, c.message)).collect::<Vec<_>>();
        let summary = if summary.len() == 1 { summary[0].clone() } else { format!("[{}]", summary.join(", ")) };
        let kind = if rt.group.is_empty() { rt.kind.clone() } else { format!("{}.{}", rt.kind, rt.group) };
        let mut e = Self::new(422, "Invalid", format!("{kind} \"{name}\" is invalid: {summary}"));
        let causes: Vec<Value> =
            causes.iter().map(|c| json!({"reason": c.reason, "message": c.message, "field": c.field})).collect();
        let mut details = json!({"name": name, "kind": rt.kind, "causes": causes});
        if !rt.group.is_empty() {
            details["group"] = json!(rt.group);
        }
        e.details = Some(details);
        e
    }

    /// The exact shape of an RBAC denial.
    pub fn forbidden(user: &str, verb: &str, rt: &ResourceType, sub: &str, namespace: &str, name: &str) -> Self {
        let resource = if sub.is_empty() { rt.plural.clone() } else { format!("{}/{sub}", rt.plural) };
        let subject = if name.is_empty() { qualified(rt) } else { format!("{} \"{name}\"", qualified(rt)) };
        let scope = if rt.namespaced && !namespace.is_empty() {
            format!("in the namespace \"{namespace}\"")
        } else {
            "at the cluster scope".to_string()
        };
        Self::new(
            403,
            "Forbidden",
            format!(
                "{subject} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{}\" {scope}",
                rt.group
            ),
        )
        .with_details(rt, name)
    }

    pub fn forbidden_path(user: &str, verb: &str, path: &str) -> Self {
        Self::new(403, "Forbidden", format!("forbidden: User \"{user}\" cannot {verb} path \"{path}\""))
    }

    pub fn forbidden_message(rt: &ResourceType, name: &str, why: &str) -> Self {
        Self::new(403, "Forbidden", format!("{} \"{name}\" is forbidden: {why}", qualified(rt))).with_details(rt, name)
    }

    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    pub fn path_not_found() -> Self {
        Self::new(404, "NotFound", "the server could not find the requested resource")
    }

    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::new(405, "MethodNotAllowed", message)
    }

    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::new(406, "NotAcceptable", message)
    }

    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type})"
            ),
        )
    }

    pub fn unsupported_media_type_message(message: impl Into<String>) -> Self {
        Self::new(415, "UnsupportedMediaType", message)
    }

    pub fn gone(message: impl Into<String>) -> Self {
        Self::new(410, "Expired", message)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let mut e = Self::new(
            429,
            "TooManyRequests",
            "the server has received too many requests and has asked us to try again later",
        );
        e.retry_after = Some(retry_after);
        e
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "InternalError", format!("Internal error occurred: {}", message.into()))
    }

    pub fn unavailable(message: impl Into<String>) -> Self {
        let mut e = Self::new(503, "ServiceUnavailable", message);
        e.retry_after = Some(1);
        e
    }

    /// The `Status` object.
    pub fn to_status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = details.clone();
        }
        if let Some(s) = self.retry_after {
            let details = status.get_mut("details").and_then(Value::as_object_mut);
            match details {
                Some(d) => {
                    d.insert("retryAfterSeconds".into(), json!(s));
                }
                None => status["details"] = json!({"retryAfterSeconds": s}),
            }
        }
        status
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    #[test]
    fn messages_match_the_real_api_server() {
        let reg = Registry::default();
        let pods = reg.find("", "v1", "pods").unwrap();
        let nodes = reg.find("", "v1", "nodes").unwrap();
        assert_eq!(ApiError::not_found(&pods, "web").message, "pods \"web\" not found");
        assert_eq!(
            ApiError::forbidden("bob", "create", &pods, "", "ml", "").message,
            "pods is forbidden: User \"bob\" cannot create resource \"pods\" in API group \"\" in the namespace \"ml\""
        );
        assert_eq!(
            ApiError::forbidden("bob", "list", &nodes, "", "", "").message,
            "nodes is forbidden: User \"bob\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"
        );
        let deploy = reg.find("apps", "v1", "deployments").unwrap();
        let e = ApiError::invalid(&deploy, "Web", vec![Cause::invalid("metadata.name", "Web", "bad")]);
        assert_eq!(e.message, "Deployment.apps \"Web\" is invalid: metadata.name: Invalid value: \"Web\": bad");
        assert_eq!(e.to_status()["details"]["causes"][0]["field"], "metadata.name");
        assert_eq!(ApiError::too_many_requests(2).to_status()["details"]["retryAfterSeconds"], 2);
    }
}
