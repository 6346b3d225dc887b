//! Connecting to a cluster from a kubeconfig context: build the client, then ask the server who it is (version),
//! who we are (SelfSubjectReview) and what we may do (SelfSubjectAccessReview for the verbs the screens need).
//! Failures are classified so the user sees what went wrong and what to do.

use std::time::Duration;

use kube::client::AuthError;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::exec_plugin::{self, ExecPlugin};
use ConnectError::{ExecFailed, ExecMissing};
use serde_json::{Value, json};

/// How long a connection attempt may take before it is reported as a timeout.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(15);

/// One permission the screens rely on.
#[derive(Debug, Clone, PartialEq)]
pub struct Permission {
    /// What it enables, for people ("List nodes").
    pub label: &'static str,
    pub verb: &'static str,
    pub group: &'static str,
    pub resource: &'static str,
    pub allowed: bool,
}

/// The checks run on connect: (label, verb, group, resource).
pub const PERMISSION_CHECKS: &[(&str, &str, &str, &str)] = &[
    ("See nodes and GPUs", "list", "", "nodes"),
    ("See pods in all namespaces", "list", "", "pods"),
    ("Read pod logs", "get", "", "pods/log"),
    ("Launch training jobs", "create", "kubeflow.org", "tfjobs"),
    ("Deploy model servers", "create", "apps", "deployments"),
    ("Install the ML stack (CRDs)", "create", "apiextensions.k8s.io", "customresourcedefinitions"),
];

/// What Bosun learned about a cluster on connecting.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterInfo {
    pub context: String,
    pub server: String,
    /// The server's version, e.g. `v1.33.2`.
    pub version: String,
    pub user: String,
    pub groups: Vec<String>,
    /// The context's namespace (or `default`).
    pub namespace: String,
    pub permissions: Vec<Permission>,
    /// The proxy the connection goes through, if any (from the kubeconfig or `HTTPS_PROXY`).
    pub proxy: Option<String>,
    /// Things the user should know about this connection (TLS verification off …).
    pub warnings: Vec<String>,
}

/// Why a connection failed, worded for people, with the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    #[error("{0}")]
    Kubeconfig(String),
    #[error(
        "could not reach {server}: {detail}. Check that the cluster is running and that the server address in the kubeconfig is right."
    )]
    Unreachable { server: String, detail: String },
    #[error(
        "TLS handshake with {server} failed: {detail}. The cluster's certificate does not match the kubeconfig's certificate authority."
    )]
    Tls { server: String, detail: String },
    #[error(
        "{server} rejected the credentials of context {context} (401 Unauthorized): the token or certificate may have expired. Log in again or refresh the kubeconfig."
    )]
    Unauthorized { server: String, context: String },
    #[error("{server} did not answer within {} s. Check the network, VPN or proxy settings.", .seconds)]
    Timeout { server: String, seconds: u64 },
    #[error("{server} answered with an error: {detail}")]
    Server { server: String, detail: String },
    #[error(
        "the credential plugin of context {context} failed ({status}).\nCommand: {command}\n{stderr}\nRun the command in a terminal to see more; often a login has expired (aws sso login, gcloud auth login, az login, kubelogin)."
    )]
    ExecFailed { context: String, command: String, status: String, stderr: String },
    #[error("the credential plugin of context {context} was not found: {command}\nSearched PATH={searched}\n{hint}")]
    ExecMissing { context: String, command: String, searched: String, hint: String },
}

/// Explains a failure of the context's credential plugin, if that is what `error` is.
fn explain_plugin(context: &str, plugin: Option<&ExecPlugin>, error: &kube::Error) -> Option<ConnectError> {
    let plugin = plugin?;
    let kube::Error::Auth(auth) = error else { return None };
    let hint = plugin.install_hint.clone().unwrap_or_else(|| {
        "Install it, or write its full path into the kubeconfig (users[].user.exec.command).".to_string()
    });
    Some(match auth {
        AuthError::AuthExecStart(_) => ExecMissing {
            context: context.to_string(),
            command: plugin.command_line.clone(),
            searched: plugin.searched.clone(),
            hint,
        },
        AuthError::AuthExecRun { out, .. } => ExecFailed {
            context: context.to_string(),
            command: plugin.command_line.clone(),
            status: out.status.to_string(),
            stderr: exec_plugin::stderr_tail(&out.stderr),
        },
        other => ExecFailed {
            context: context.to_string(),
            command: plugin.command_line.clone(),
            status: "no usable credential".into(),
            stderr: other.to_string(),
        },
    })
}

fn is_loopback(url: &http::Uri) -> bool {
    match url.host().map(|h| h.trim_start_matches('[').trim_end_matches(']')) {
        Some("localhost") => true,
        Some(host) => host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// What the user should know about how a context connects.
fn warnings(kubeconfig: &Kubeconfig, context: &str) -> Vec<String> {
    let cluster = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.cluster.clone())
        .and_then(|name| kubeconfig.clusters.iter().find(|c| c.name == name))
        .and_then(|c| c.cluster.as_ref());
    let mut warnings = Vec::new();
    if cluster.is_some_and(|c| c.insecure_skip_tls_verify == Some(true)) {
        warnings.push(
            "TLS verification is off for this cluster (insecure-skip-tls-verify): the server's identity is not \
             checked, so anyone on the network path could impersonate it. Add its certificate authority to the \
             kubeconfig to turn verification on."
                .to_string(),
        );
    }
    warnings
}

fn classify(server: &str, context: &str, error: kube::Error) -> ConnectError {
    if let kube::Error::Api(status) = &error {
        if status.code == 401 {
            return ConnectError::Unauthorized { server: server.to_string(), context: context.to_string() };
        }
        return ConnectError::Server {
            server: server.to_string(),
            detail: format!("{} ({})", status.message, status.code),
        };
    }
    // Walk the error chain: transport errors carry the useful part deep inside.
    let mut chain = Vec::new();
    let mut source: Option<&dyn std::error::Error> = Some(&error);
    while let Some(e) = source {
        chain.push(e.to_string());
        source = e.source();
    }
    let text = chain.join(": ");
    let lower = text.to_lowercase();
    let detail = chain.last().cloned().unwrap_or_default();
    if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake") {
        ConnectError::Tls { server: server.to_string(), detail }
    } else {
        ConnectError::Unreachable { server: server.to_string(), detail }
    }
}

/// Connects to `context` of the merged kubeconfig: returns a ready client and what was learned.
pub async fn connect(kubeconfig: Kubeconfig, context: &str) -> Result<(kube::Client, ClusterInfo), ConnectError> {
    connect_within(kubeconfig, context, CONNECT_TIMEOUT).await
}

/// A context that names a user the kubeconfig lacks would connect anonymously and meet nothing but 403s: say so
/// before trying.
fn check_user(kubeconfig: &Kubeconfig, context: &str) -> Result<(), ConnectError> {
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.as_deref())
        .filter(|u| !u.is_empty());
    let Some(user) = user else { return Ok(()) };
    if kubeconfig.auth_infos.iter().any(|a| a.name == user) {
        return Ok(());
    }
    let known: Vec<&str> = kubeconfig.auth_infos.iter().map(|a| a.name.as_str()).collect();
    Err(ConnectError::Kubeconfig(format!(
        "context {context} names user {user}, which the kubeconfig does not have (it has: {}). Fix the context's user, or add the user with kubectl config set-credentials.",
        if known.is_empty() { "no users".to_string() } else { known.join(", ") }
    )))
}

/// [`connect`] with its own time limit for the server to answer.
pub async fn connect_within(
    mut kubeconfig: Kubeconfig,
    context: &str,
    limit: Duration,
) -> Result<(kube::Client, ClusterInfo), ConnectError> {
    if !kubeconfig.contexts.iter().any(|c| c.name == context) {
        let known: Vec<&str> = kubeconfig.contexts.iter().map(|c| c.name.as_str()).collect();
        return Err(ConnectError::Kubeconfig(format!(
            "context {context} is not in the kubeconfig (it has: {}). Pick one of those, or check --context and KUBECONFIG.",
            if known.is_empty() { "no contexts".to_string() } else { known.join(", ") }
        )));
    }
    check_user(&kubeconfig, context)?;
    let plugin = exec_plugin::prepare(&mut kubeconfig, context, &std::env::var_os("PATH").unwrap_or_default()).await;
    let warnings = warnings(&kubeconfig, context);
    let proxy_in_kubeconfig = kubeconfig
        .clusters
        .iter()
        .filter_map(|c| c.cluster.as_ref())
        .any(|c| c.proxy_url.as_deref().is_some_and(|p| !p.is_empty()));
    let options = KubeConfigOptions { context: Some(context.to_string()), ..Default::default() };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| ConnectError::Kubeconfig(format!("context {context}: {e}")))?;
    // Like kubectl, a proxy from the environment is not used for a server on this machine.
    if !proxy_in_kubeconfig && is_loopback(&config.cluster_url) {
        config.proxy_url = None;
    }
    // Shorter than the retry grace of the watches, so a server that stops answering shows as reconnecting.
    config.connect_timeout = Some(Duration::from_secs(10));
    let server = config.cluster_url.to_string().trim_end_matches('/').to_string();
    let namespace = config.default_namespace.clone();
    let proxy = config.proxy_url.as_ref().map(|p| p.to_string());
    let timeout = || ConnectError::Timeout { server: server.clone(), seconds: limit.as_secs() };
    // Building the client runs the credential plugin, a blocking child process that may wait on a login.
    let build = tokio::task::spawn_blocking(move || client_with_nodelay(config));
    let client = tokio::time::timeout(limit, build)
        .await
        .map_err(|_| timeout())?
        .map_err(|e| ConnectError::Kubeconfig(format!("context {context}: {e}")))?
        .map_err(|e| {
            explain_plugin(context, plugin.as_ref(), &e)
                .unwrap_or_else(|| ConnectError::Kubeconfig(format!("context {context}: {e}")))
        })?;
    let attempt = async {
        let version = client.apiserver_version().await.map_err(|e| {
            explain_plugin(context, plugin.as_ref(), &e).unwrap_or_else(|| classify(&server, context, e))
        })?;
        let (user, groups) = whoami(&client).await;
        let mut permissions = Vec::new();
        for (label, verb, group, resource) in PERMISSION_CHECKS {
            let allowed = can_i(&client, verb, group, resource).await.unwrap_or(false);
            permissions.push(Permission { label, verb, group, resource, allowed });
        }
        Ok(ClusterInfo {
            context: context.to_string(),
            server: server.clone(),
            version: version.git_version,
            user,
            groups,
            namespace: namespace.clone(),
            permissions,
            proxy: proxy.clone(),
            warnings: warnings.clone(),
        })
    };
    let info = tokio::time::timeout(limit, attempt).await.map_err(|_| timeout())??;
    Ok((client, info))
}

async fn post(client: &kube::Client, path: &str, body: Value) -> Result<Value, kube::Error> {
    let bytes = serde_json::to_vec(&body).map_err(kube::Error::SerdeError)?;
    let request = http::Request::post(path)
        .header("content-type", "application/json")
        .body(bytes)
        .map_err(kube::Error::HttpError)?;
    client.request::<Value>(request).await
}

/// The user name and groups the server sees (SelfSubjectReview); "unknown" on servers that do not offer it.
async fn whoami(client: &kube::Client) -> (String, Vec<String>) {
    let review = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    match post(client, "/apis/authentication.k8s.io/v1/selfsubjectreviews", review).await {
        Ok(v) => {
            let name = v.pointer("/status/userInfo/username").and_then(Value::as_str).unwrap_or("unknown").to_string();
            let groups = v
                .pointer("/status/userInfo/groups")
                .and_then(Value::as_array)
                .map(|g| g.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                .unwrap_or_default();
            (name, groups)
        }
        Err(_) => ("unknown".into(), Vec::new()),
    }
}

/// Whether the current user may `verb` the resource in any namespace (SelfSubjectAccessReview).
pub async fn can_i(client: &kube::Client, verb: &str, group: &str, resource: &str) -> Result<bool, kube::Error> {
    let (resource, subresource) = resource.split_once('/').unwrap_or((resource, ""));
    let review = json!({
        "apiVersion": "authorization.k8s.io/v1",
        "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"verb": verb, "group": group, "resource": resource, "subresource": subresource}}
    });
    let v = post(client, "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", review).await?;
    Ok(v.pointer("/status/allowed").and_then(Value::as_bool).unwrap_or(false))
}

/// A client like `kube::Client::try_from(config)` whose connections send small writes at once (`TCP_NODELAY`, as
/// kubectl's do): a request through a port-forward is a few WebSocket frames, and without it some wait out Nagle's
/// algorithm against the server's delayed ACK (40 ms on Linux). With a proxy, kube's own client (which handles it).
pub fn client_with_nodelay(config: kube::Config) -> Result<kube::Client, kube::Error> {
    use kube::client::ConfigExt as _;
    if config.proxy_url.is_some() {
        return kube::Client::try_from(config);
    }
    let mut http = hyper_util::client::legacy::connect::HttpConnector::new();
    http.enforce_http(false);
    http.set_nodelay(true);
    let https = config.rustls_https_connector_with_connector(http)?;
    let mut connector = hyper_timeout::TimeoutConnector::new(https);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let client: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(connector);
    // The layers of kube's own client: base URI, retries of 429/503/504 when asked, credentials, extra headers.
    let retry =
        config.default_retry.then(|| tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry()));
    let service = tower::ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(retry)
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(tower::BoxError::from)
        .service(client);
    Ok(kube::Client::new(service, config.default_namespace))
}
