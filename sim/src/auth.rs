//! Authentication (bearer tokens) and authorization (RBAC evaluated from the stored Role/ClusterRole objects).
//!
//! Two users are built in: an administrator in `system:masters` (allowed everything, as on a real cluster) and a
//! viewer bound to the `kubesim-viewer` ClusterRole (read-only on namespaced workloads, no nodes, no secrets, no
//! writes). The viewer's rights come from ordinary RBAC objects, so they can be inspected and edited with kubectl.

use serde_json::{Value, json};

use crate::registry::ResourceKey;
use crate::store::Store;

pub const ADMIN_USER: &str = "kubesim-admin";
pub const VIEWER_USER: &str = "kubesim-viewer";
pub const VIEWER_ROLE: &str = "kubesim-viewer";

/// Who is making a request.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub name: String,
    pub uid: String,
    pub groups: Vec<String>,
}

impl User {
    pub fn is_master(&self) -> bool {
        self.groups.iter().any(|g| g == "system:masters")
    }
}

/// The bearer tokens of the built-in users.
#[derive(Debug, Clone, PartialEq)]
pub struct Tokens {
    pub admin: String,
    pub viewer: String,
}

impl Tokens {
    /// Random tokens for one server run, from an entropy-seeded generator (the fleet's seeded one would make them
    /// guessable by anyone else on the machine).
    pub fn generate() -> Self {
        let mut rng = fastrand::Rng::new();
        let mut random = || (0..32).map(|_| rng.alphanumeric()).collect::<String>();
        Self { admin: format!("admin-{}", random()), viewer: format!("viewer-{}", random()) }
    }

    /// The user a bearer token belongs to.
    pub fn authenticate(&self, token: &str) -> Option<User> {
        let user = |name: &str, uid: &str, group: &str| User {
            name: name.to_string(),
            uid: uid.to_string(),
            groups: vec![group.to_string(), "system:authenticated".to_string()],
        };
        if token == self.admin {
            Some(user(ADMIN_USER, "6a1c0001-0000-4000-8000-000000000001", "system:masters"))
        } else if token == self.viewer {
            Some(user(VIEWER_USER, "6a1c0002-0000-4000-8000-000000000002", "kubesim:viewers"))
        } else {
            None
        }
    }
}

/// What a request wants to do, in RBAC terms.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Attributes {
    pub verb: String,
    pub group: String,
    pub resource: String,
    pub subresource: String,
    pub namespace: String,
    pub name: String,
    /// Set for non-resource URLs such as `/version`.
    pub path: Option<String>,
}

/// Decides whether `user` may do `attrs`, from the RBAC objects in the store.
pub fn authorize(store: &Store, user: &User, attrs: &Attributes) -> bool {
    if user.is_master() {
        return true;
    }
    // Discovery, health and self-reviews are open to every authenticated user, as the default
    // system:discovery, system:public-info-viewer and system:basic-user roles make them.
    if let Some(path) = &attrs.path {
        return is_public_path(path);
    }
    if matches!(
        (attrs.group.as_str(), attrs.resource.as_str()),
        ("authorization.k8s.io", "selfsubjectaccessreviews" | "selfsubjectrulesreviews")
            | ("authentication.k8s.io", "selfsubjectreviews")
    ) {
        return true;
    }
    rules_for(store, user, &attrs.namespace).iter().any(|rule| rule_allows(rule, attrs))
}

fn is_public_path(path: &str) -> bool {
    const PREFIXES: &[&str] = &["/api", "/apis", "/version", "/openapi", "/healthz", "/readyz", "/livez"];
    PREFIXES.iter().any(|p| path == *p || path.starts_with(&format!("{p}/")))
}

fn subject_matches(binding: &Value, user: &User) -> bool {
    binding.get("subjects").and_then(Value::as_array).is_some_and(|subjects| {
        subjects.iter().any(|s| {
            let name = s.get("name").and_then(Value::as_str).unwrap_or_default();
            match s.get("kind").and_then(Value::as_str) {
                Some("User") => name == user.name,
                Some("Group") => user.groups.iter().any(|g| g == name),
                _ => false,
            }
        })
    })
}

/// The policy rules that apply to `user` in `namespace` (cluster-wide bindings plus that namespace's bindings).
pub fn rules_for(store: &Store, user: &User, namespace: &str) -> Vec<Value> {
    let mut rules = Vec::new();
    let mut add_role = |kind: &str, role_ns: &str, name: &str| {
        let key = match kind {
            "ClusterRole" => ResourceKey::new("rbac.authorization.k8s.io", "clusterroles"),
            "Role" => ResourceKey::new("rbac.authorization.k8s.io", "roles"),
            _ => return,
        };
        let ns = if kind == "ClusterRole" { "" } else { role_ns };
        if let Some(role) = store.get(&key, ns, name)
            && let Some(r) = role.value.get("rules").and_then(Value::as_array)
        {
            rules.extend(r.iter().cloned());
        }
    };
    let role_ref = |b: &Value| {
        let kind = b.pointer("/roleRef/kind").and_then(Value::as_str).unwrap_or_default().to_string();
        let name = b.pointer("/roleRef/name").and_then(Value::as_str).unwrap_or_default().to_string();
        (kind, name)
    };
    let (cluster_bindings, _) = store.list(&ResourceKey::new("rbac.authorization.k8s.io", "clusterrolebindings"), None);
    for b in cluster_bindings.iter().filter(|b| subject_matches(&b.value, user)) {
        let (kind, name) = role_ref(&b.value);
        add_role(&kind, "", &name);
    }
    if !namespace.is_empty() {
        let key = ResourceKey::new("rbac.authorization.k8s.io", "rolebindings");
        let (bindings, _) = store.list(&key, Some(namespace));
        for b in bindings.iter().filter(|b| subject_matches(&b.value, user)) {
            let (kind, name) = role_ref(&b.value);
            add_role(&kind, namespace, &name);
        }
    }
    rules
}

fn list_has(rule: &Value, field: &str, wanted: &str) -> bool {
    rule.get(field)
        .and_then(Value::as_array)
        .is_some_and(|items| items.iter().filter_map(Value::as_str).any(|i| i == "*" || i == wanted))
}

/// Whether one RBAC policy rule allows the request.
pub fn rule_allows(rule: &Value, attrs: &Attributes) -> bool {
    if !list_has(rule, "verbs", &attrs.verb) {
        return false;
    }
    if let Some(path) = &attrs.path {
        return rule.get("nonResourceURLs").and_then(Value::as_array).is_some_and(|urls| {
            urls.iter()
                .filter_map(Value::as_str)
                .any(|u| u == "*" || u == path || u.strip_suffix('*').is_some_and(|prefix| path.starts_with(prefix)))
        });
    }
    let resource = if attrs.subresource.is_empty() {
        attrs.resource.clone()
    } else {
        format!("{}/{}", attrs.resource, attrs.subresource)
    };
    if !list_has(rule, "apiGroups", &attrs.group) || !list_has(rule, "resources", &resource) {
        return false;
    }
    match rule.get("resourceNames").and_then(Value::as_array) {
        Some(names) if !names.is_empty() => names.iter().filter_map(Value::as_str).any(|n| n == attrs.name),
        _ => true,
    }
}

/// The RBAC objects that give the viewer its rights, created when the server starts.
pub fn viewer_rbac() -> Vec<(ResourceKey, Value)> {
    let read = json!(["get", "list", "watch"]);
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": VIEWER_ROLE, "labels": {"app.kubernetes.io/managed-by": "kubesim"}},
        "rules": [
            {"apiGroups": [""], "resources": ["namespaces", "pods", "pods/log", "pods/status", "services", "endpoints",
                "configmaps", "events", "persistentvolumeclaims", "serviceaccounts", "resourcequotas", "limitranges"], "verbs": read},
            {"apiGroups": ["apps"], "resources": ["deployments", "replicasets", "daemonsets", "statefulsets"], "verbs": read},
            {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": read},
            {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": read},
            {"apiGroups": ["events.k8s.io"], "resources": ["events"], "verbs": read},
            {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": read},
            {"apiGroups": ["kubeflow.org", "serving.kserve.io"], "resources": ["*"], "verbs": read},
            {"apiGroups": ["apiextensions.k8s.io"], "resources": ["customresourcedefinitions"], "verbs": read}
        ]
    });
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": VIEWER_ROLE, "labels": {"app.kubernetes.io/managed-by": "kubesim"}},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": VIEWER_ROLE},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": VIEWER_USER}]
    });
    vec![
        (ResourceKey::new("rbac.authorization.k8s.io", "clusterroles"), role),
        (ResourceKey::new("rbac.authorization.k8s.io", "clusterrolebindings"), binding),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store_with_viewer() -> Store {
        let store = Store::default();
        for (key, value) in viewer_rbac() {
            store.create(&key, value).unwrap();
        }
        store
    }

    fn attrs(verb: &str, group: &str, resource: &str, sub: &str) -> Attributes {
        Attributes {
            verb: verb.into(),
            group: group.into(),
            resource: resource.into(),
            subresource: sub.into(),
            namespace: "default".into(),
            ..Default::default()
        }
    }

    #[test]
    fn viewer_reads_workloads_but_not_nodes_secrets_or_writes() {
        let store = store_with_viewer();
        let tokens = Tokens::generate();
        let viewer = tokens.authenticate(&tokens.viewer).unwrap();
        assert!(authorize(&store, &viewer, &attrs("list", "", "pods", "")));
        assert!(authorize(&store, &viewer, &attrs("get", "", "pods", "log")));
        assert!(authorize(&store, &viewer, &attrs("watch", "kubeflow.org", "tfjobs", "")));
        assert!(!authorize(&store, &viewer, &attrs("list", "", "nodes", "")));
        assert!(!authorize(&store, &viewer, &attrs("get", "", "secrets", "")));
        assert!(!authorize(&store, &viewer, &attrs("create", "", "pods", "")));
        assert!(!authorize(&store, &viewer, &attrs("delete", "apps", "deployments", "")));
        assert!(authorize(&store, &viewer, &attrs("create", "authorization.k8s.io", "selfsubjectaccessreviews", "")));
    }

    #[test]
    fn admin_may_do_anything_and_unknown_tokens_are_nobody() {
        let store = Store::default();
        let tokens = Tokens::generate();
        let admin = tokens.authenticate(&tokens.admin).unwrap();
        assert!(authorize(&store, &admin, &attrs("delete", "", "nodes", "")));
        assert!(tokens.authenticate("nope").is_none());
    }

    #[test]
    fn resource_names_and_non_resource_urls() {
        let rule = json!({"verbs": ["get"], "apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["a"]});
        let mut a = attrs("get", "", "configmaps", "");
        a.name = "a".into();
        assert!(rule_allows(&rule, &a));
        a.name = "b".into();
        assert!(!rule_allows(&rule, &a));
        let urls = json!({"verbs": ["get"], "nonResourceURLs": ["/metrics*"]});
        let path = Attributes { verb: "get".into(), path: Some("/metrics/x".into()), ..Default::default() };
        assert!(rule_allows(&urls, &path));
    }
}
