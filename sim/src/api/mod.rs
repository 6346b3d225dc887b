//! The HTTP face of kubesim: routing, authentication, authorization and content negotiation, in front of the
//! handlers for discovery, objects, watches, logs and reviews.

pub mod discovery;
pub mod jsonpath;
pub mod objects;
pub mod openapi;
pub mod pbobjects;
pub mod portforward;
pub mod protobuf;
pub mod responders;
pub mod reviews;
pub mod select;
pub mod spdy;
pub mod status;
pub mod table;
pub mod watch;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode, header};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use serde_json::Value;

use crate::auth::{self, Attributes, User};
use crate::cluster::Cluster;
use crate::registry::ResourceType;
use status::ApiError;

/// Response bodies: whole JSON documents or streams (watch, logs).
pub type Body = BoxBody<Bytes, Infallible>;

/// Largest request body accepted (a big CRD is a few hundred KiB).
const MAX_BODY: usize = 16 * 1024 * 1024;

/// Query parameters.
#[derive(Debug, Default, Clone)]
pub struct Query(HashMap<String, String>);

impl Query {
    pub fn parse(query: Option<&str>) -> Self {
        Self(form_urlencoded::parse(query.unwrap_or_default().as_bytes()).into_owned().collect())
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str).filter(|s| !s.is_empty())
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1"))
    }

    pub fn dry_run(&self) -> bool {
        self.get("dryRun") == Some("All")
    }
}

/// Where a resource request points.
#[derive(Debug, Clone)]
pub struct Target {
    pub rt: Arc<ResourceType>,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

impl Target {
    pub fn ns(&self) -> &str {
        self.namespace.as_deref().unwrap_or("")
    }

    pub fn name(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
}

/// Everything a handler needs to know about a request.
pub struct Ctx {
    /// The connection upgrade of a WebSocket request (port-forward).
    pub upgrade: Option<hyper::upgrade::OnUpgrade>,
    pub user: User,
    pub target: Target,
    pub query: Query,
    pub headers: HeaderMap,
    pub method: Method,
}

impl Ctx {
    fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
    }

    pub fn accept(&self) -> &str {
        self.header(header::ACCEPT)
    }

    pub fn content_type(&self) -> &str {
        self.header(header::CONTENT_TYPE)
    }

    /// Whether the client asked for server-side printing (`as=Table`).
    pub fn wants_table(&self) -> bool {
        self.accept().split(',').any(|a| a.contains("as=Table"))
    }

    /// Whether the client asked for metadata only (`as=PartialObjectMetadata[List]`).
    pub fn wants_metadata(&self) -> bool {
        self.accept().split(',').next().is_some_and(|a| a.contains("as=PartialObjectMetadata"))
    }

    /// The field manager of a write: `fieldManager`, else the client's user agent name.
    pub fn field_manager(&self) -> String {
        if let Some(m) = self.query.get("fieldManager") {
            return m.to_string();
        }
        let agent = self.header(header::USER_AGENT);
        let name = agent.split('/').next().unwrap_or_default();
        if name.is_empty() { "unknown".into() } else { name.to_string() }
    }
}

pub fn json_response(code: u16, body: &Value) -> Response<Body> {
    bytes_response(code, Bytes::from(serde_json::to_vec(body).unwrap_or_default()))
}

pub fn bytes_response(code: u16, body: Bytes) -> Response<Body> {
    let mut r = Response::new(Full::new(body).boxed());
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

pub fn error_response(e: &ApiError) -> Response<Body> {
    let mut r = json_response(e.code, &e.to_status());
    if let Some(s) = e.retry_after
        && let Ok(v) = HeaderValue::from_str(&s.to_string())
    {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

enum Route {
    Version,
    Health,
    CoreVersions,
    Groups,
    Group(String),
    ResourceList(String, String),
    OpenApi(Vec<String>),
    Resource(Target),
}

fn route(cluster: &Cluster, path: &str) -> Result<Route, ApiError> {
    let segs: Vec<String> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    let s: Vec<&str> = segs.iter().map(String::as_str).collect();
    Ok(match s.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["openapi", rest @ ..] => Route::OpenApi(rest.iter().map(|s| s.to_string()).collect()),
        ["api"] => Route::CoreVersions,
        ["api", "v1"] => Route::ResourceList(String::new(), "v1".into()),
        ["api", "v1", rest @ ..] => Route::Resource(resource_target(cluster, "", "v1", rest)?),
        ["apis"] => Route::Groups,
        ["apis", g] => Route::Group(g.to_string()),
        ["apis", g, v] => Route::ResourceList(g.to_string(), v.to_string()),
        ["apis", g, v, rest @ ..] => Route::Resource(resource_target(cluster, g, v, rest)?),
        _ => return Err(ApiError::path_not_found()),
    })
}

fn resource_target(cluster: &Cluster, group: &str, version: &str, rest: &[&str]) -> Result<Target, ApiError> {
    let find = |plural: &str| cluster.registry.find(group, version, plural);
    let (namespace, rest) = match rest {
        ["namespaces", ns, plural, tail @ ..] if find(plural).is_some_and(|rt| rt.namespaced) => {
            (Some(ns.to_string()), [&[*plural][..], tail].concat())
        }
        _ => (None, rest.to_vec()),
    };
    let plural = rest.first().ok_or_else(ApiError::path_not_found)?;
    let rt = find(plural).ok_or_else(ApiError::path_not_found)?;
    let name = rest.get(1).map(|s| s.to_string());
    let subresource = rest.get(2).map(|s| s.to_string());
    if let Some(sub) = &subresource
        && !rt.has_subresource(sub)
    {
        return Err(ApiError::path_not_found());
    }
    if rest.len() > 3 {
        return Err(ApiError::path_not_found());
    }
    Ok(Target { rt, namespace, name, subresource })
}

fn verb_of(method: &Method, target: &Target, query: &Query) -> &'static str {
    match *method {
        Method::GET | Method::HEAD if target.name.is_some() => "get",
        Method::GET | Method::HEAD if query.flag("watch") => "watch",
        Method::GET | Method::HEAD => "list",
        Method::POST => "create",
        Method::PUT => "update",
        Method::PATCH => "patch",
        Method::DELETE if target.name.is_some() => "delete",
        Method::DELETE => "deletecollection",
        _ => "unknown",
    }
}

fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ").map(str::trim)
}

/// Serves one HTTP request.
pub async fn serve(cluster: Arc<Cluster>, req: Request<Incoming>) -> Result<Response<Body>, Infallible> {
    let response = match handle(cluster, req).await {
        Ok(r) => r,
        Err(e) => error_response(&e),
    };
    Ok(response)
}

async fn handle(cluster: Arc<Cluster>, req: Request<Incoming>) -> Result<Response<Body>, ApiError> {
    let (mut parts, body) = req.into_parts();
    let upgrade = parts.extensions.remove::<hyper::upgrade::OnUpgrade>();
    let path = parts.uri.path().to_string();
    let query = Query::parse(parts.uri.query());

    if let Some(delay) = cluster.faults.latency() {
        tokio::time::sleep(delay).await;
    }
    let token = bearer_token(&parts.headers);
    let user = token.and_then(|token| cluster.tokens.authenticate(token));
    let Some(user) = user.filter(|u| !cluster.faults.is_expired(&u.name)) else {
        // Requests without credentials are anonymous and may read health and version; bad credentials are
        // rejected everywhere, as on a real server.
        if token.is_none() && matches!(path.as_str(), "/healthz" | "/readyz" | "/livez" | "/version") {
            return anonymous(&cluster, &path);
        }
        return Err(ApiError::unauthorized());
    };
    if path == "/kubesim/faults" {
        return faults_endpoint(&cluster, &user, &parts.method, body).await;
    }
    cluster.faults.maybe_fail(&path)?;

    match route(&cluster, &path)? {
        Route::Resource(target) => {
            let verb = verb_of(&parts.method, &target, &query);
            let attrs = Attributes {
                verb: verb.to_string(),
                group: target.rt.group.clone(),
                resource: target.rt.plural.clone(),
                subresource: target.subresource.clone().unwrap_or_default(),
                namespace: target.ns().to_string(),
                name: target.name().to_string(),
                path: None,
            };
            if !auth::authorize(&cluster.store, &user, &attrs) {
                let sub = target.subresource.as_deref().unwrap_or_default();
                return Err(ApiError::forbidden(&user.name, verb, &target.rt, sub, target.ns(), target.name()));
            }
            let body = read_body(body).await?;
            let ctx = Ctx { upgrade, user, target, query, headers: parts.headers, method: parts.method };
            objects::dispatch(cluster, ctx, verb, body).await
        }
        other => {
            let attrs = Attributes { verb: "get".into(), path: Some(path.clone()), ..Default::default() };
            if !auth::authorize(&cluster.store, &user, &attrs) {
                return Err(ApiError::forbidden_path(&user.name, "get", &path));
            }
            non_resource(&cluster, other, &parts.headers)
        }
    }
}

/// `/kubesim/faults`: read (GET) or replace (PUT/POST) the injected faults at run time; administrators only.
async fn faults_endpoint(
    cluster: &Cluster,
    user: &User,
    method: &Method,
    body: Incoming,
) -> Result<Response<Body>, ApiError> {
    if !user.is_master() {
        return Err(ApiError::forbidden_path(&user.name, "update", "/kubesim/faults"));
    }
    match *method {
        Method::GET => {}
        Method::PUT | Method::POST => {
            let body = read_body(body).await?;
            let config: crate::faults::FaultConfig = serde_json::from_slice(&body)
                .map_err(|e| ApiError::bad_request(format!("invalid fault configuration: {e}")))?;
            cluster.faults.set(config);
        }
        _ => return Err(ApiError::method_not_allowed("use GET to read or PUT to replace the fault configuration")),
    }
    let current = serde_json::to_value(cluster.faults.config()).unwrap_or(Value::Null);
    Ok(json_response(200, &current))
}

fn anonymous(cluster: &Cluster, path: &str) -> Result<Response<Body>, ApiError> {
    match path {
        "/version" => Ok(json_response(200, &discovery::version())),
        _ => Ok(ok_text(cluster)),
    }
}

fn ok_text(_cluster: &Cluster) -> Response<Body> {
    let mut r = bytes_response(200, Bytes::from_static(b"ok"));
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

fn non_resource(cluster: &Cluster, route: Route, headers: &HeaderMap) -> Result<Response<Body>, ApiError> {
    let reg = &cluster.registry;
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    if let (Route::CoreVersions | Route::Groups, Some(version)) = (&route, discovery::aggregated_version(accept)) {
        let body = discovery::aggregated(reg, matches!(route, Route::CoreVersions), version);
        let mut r = json_response(200, &body);
        let media = format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList");
        if let Ok(v) = HeaderValue::from_str(&media) {
            r.headers_mut().insert(header::CONTENT_TYPE, v);
        }
        r.headers_mut().insert(header::VARY, HeaderValue::from_static("Accept"));
        return Ok(r);
    }
    let body = match route {
        Route::Version => discovery::version(),
        Route::Health => return Ok(ok_text(cluster)),
        Route::CoreVersions => discovery::core_versions(&cluster.address),
        Route::Groups => discovery::group_list(reg),
        Route::Group(g) => discovery::group(reg, &g).ok_or_else(ApiError::path_not_found)?,
        Route::ResourceList(g, v) => discovery::resource_list(reg, &g, &v).ok_or_else(ApiError::path_not_found)?,
        Route::OpenApi(rest) => return openapi::serve(cluster, &rest, headers),
        Route::Resource(_) => return Err(ApiError::path_not_found()),
    };
    Ok(json_response(200, &body))
}

async fn read_body(body: Incoming) -> Result<Bytes, ApiError> {
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) => Err(ApiError::bad_request(format!("could not read the request body: {e}"))),
    }
}

/// Decodes a request body as JSON, or as YAML (apply patches, and clients that send YAML).
pub fn decode_body(body: &[u8]) -> Result<Value, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request("the request body is empty"));
    }
    if protobuf::is_protobuf(body) {
        return protobuf::decode_review(body).map_err(ApiError::unsupported_media_type_message);
    }
    serde_json::from_slice(body).or_else(|json_err| {
        let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request(format!("invalid JSON: {json_err}")))?;
        serde_saphyr::from_str::<Value>(text).map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
    })
}
