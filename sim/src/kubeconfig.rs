//! The kubeconfig kubesim writes for its clients: one cluster, the admin and viewer users, two contexts.

use base64::Engine as _;
use serde_json::json;

pub const ADMIN_CONTEXT: &str = "kubesim-admin";
pub const VIEWER_CONTEXT: &str = "kubesim-viewer";

/// Renders the kubeconfig (as YAML-compatible JSON, which every kubeconfig reader accepts as YAML).
pub fn render(server_url: &str, ca_pem: Option<&str>, admin_token: &str, viewer_token: &str) -> String {
    let mut cluster = json!({"server": server_url});
    if let Some(pem) = ca_pem {
        cluster["certificate-authority-data"] = json!(base64::engine::general_purpose::STANDARD.encode(pem));
    }
    let config = json!({
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": ADMIN_CONTEXT,
        "preferences": {},
        "clusters": [{"name": "kubesim", "cluster": cluster}],
        "users": [
            {"name": "kubesim-admin", "user": {"token": admin_token}},
            {"name": "kubesim-viewer", "user": {"token": viewer_token}}
        ],
        "contexts": [
            {"name": ADMIN_CONTEXT, "context": {"cluster": "kubesim", "user": "kubesim-admin", "namespace": "default"}},
            {"name": VIEWER_CONTEXT, "context": {"cluster": "kubesim", "user": "kubesim-viewer", "namespace": "default"}}
        ]
    });
    serde_json::to_string_pretty(&config).unwrap_or_default()
}
