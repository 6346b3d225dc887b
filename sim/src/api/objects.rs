//! Object verbs: get, list, create, update, patch (JSON, merge, strategic, apply), delete and deletecollection,
//! plus the `scale`, `binding` and `eviction` subresources.

use std::sync::Arc;

use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};
use http::Response;
use serde_json::{Value, json};

use super::select::{FieldSelector, LabelSelector};
use super::status::{ApiError, Cause};
use super::table::{self, IncludeObject};
use super::{Body, Ctx, bytes_response, decode_body, json_response};
use crate::admission;
use crate::cluster::Cluster;
use crate::hooks;
use crate::meta;
use crate::patch::{self, PatchError};
use crate::registry::{ResourceKey, ResourceType};
use crate::store::{StoreError, Stored};

/// Routes a resource request to its verb.
pub async fn dispatch(
    cluster: Arc<Cluster>,
    mut ctx: Ctx,
    verb: &str,
    body: Bytes,
) -> Result<Response<Body>, ApiError> {
    let sub = ctx.target.subresource.clone();
    if sub.as_deref() == Some("portforward") && matches!(verb, "get" | "create") {
        let upgrade = ctx.upgrade.take();
        return super::portforward::serve(cluster, ctx, upgrade);
    }
    match (verb, sub.as_deref()) {
        ("get", None | Some("status")) => get(&cluster, &ctx),
        ("get", Some("log")) => super::watch::pod_logs(cluster, ctx).await,
        ("get", Some("scale")) => get_scale(&cluster, &ctx),
        ("list", None) => list(&cluster, &ctx),
        ("watch", None) => super::watch::watch(cluster, ctx).await,
        ("create", None) if ctx.target.rt.verbs == ["create"] => super::reviews::create(&cluster, &ctx, &body),
        ("create", None) => create(&cluster, &ctx, &body),
        ("create", Some("binding")) => bind(&cluster, &ctx, &body),
        ("create", Some("eviction")) => evict(&cluster, &ctx),
        ("create" | "get", Some("exec" | "proxy")) => Err(ApiError::bad_request(format!(
            "{} is not available on this simulated cluster",
            sub.as_deref().unwrap_or_default()
        ))),
        ("update", None | Some("status")) => update(&cluster, &ctx, &body),
        ("update" | "patch", Some("scale")) => update_scale(&cluster, &ctx, verb, &body),
        ("patch", None | Some("status")) => patch(&cluster, &ctx, &body),
        ("delete", None) => delete(&cluster, &ctx, &body),
        ("deletecollection", None) => delete_collection(&cluster, &ctx, &body),
        _ => Err(ApiError::method_not_allowed(format!(
            "{verb} is not supported on {}{}",
            ctx.target.rt.plural,
            sub.map(|s| format!("/{s}")).unwrap_or_default()
        ))),
    }
}

fn require_namespace(ctx: &Ctx) -> Result<(), ApiError> {
    if ctx.target.rt.namespaced && ctx.target.namespace.is_none() && ctx.target.name.is_some() {
        return Err(ApiError::path_not_found());
    }
    Ok(())
}

fn load(cluster: &Cluster, ctx: &Ctx) -> Result<Arc<Stored>, ApiError> {
    require_namespace(ctx)?;
    cluster
        .store
        .get(&ctx.target.rt.key(), ctx.target.ns(), ctx.target.name())
        .ok_or_else(|| ApiError::not_found(&ctx.target.rt, ctx.target.name()))
}

/// An object as the requested version presents it.
fn as_served(rt: &ResourceType, stored: &Stored) -> (Value, Bytes) {
    if meta::str_at(&stored.value, "/apiVersion") == rt.api_version() {
        return (stored.value.clone(), stored.json.clone());
    }
    let v = crate::convert::served(rt, &stored.value);
    let bytes = Bytes::from(serde_json::to_vec(&v).unwrap_or_default());
    (v, bytes)
}

fn object_response(ctx: &Ctx, code: u16, stored: &Stored) -> Response<Body> {
    let rt = &ctx.target.rt;
    if ctx.wants_table() {
        let include = IncludeObject::parse(ctx.query.get("includeObject"));
        let meta = json!({"resourceVersion": stored.rv.to_string()});
        return json_response(code, &table::table(rt, &[&stored.value], include, meta));
    }
    if ctx.wants_metadata() {
        return json_response(code, &table::partial_metadata(&stored.value));
    }
    let (_, bytes) = as_served(rt, stored);
    bytes_response(code, bytes)
}

fn get(cluster: &Cluster, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let stored = load(cluster, ctx)?;
    Ok(object_response(ctx, 200, &stored))
}

/// The label and field selectors of a request.
pub fn selectors(ctx: &Ctx) -> Result<(LabelSelector, FieldSelector), ApiError> {
    let labels = LabelSelector::parse(ctx.query.get("labelSelector").unwrap_or_default())
        .map_err(|e| ApiError::bad_request(format!("unable to parse requirement: {e}")))?;
    let written = ctx.query.get("fieldSelector").unwrap_or_default();
    let fields = FieldSelector::parse(&crate::convert::field_selector(&ctx.target.rt, written))
        .map_err(ApiError::bad_request)?;
    Ok((labels, fields))
}

/// The objects a list or watch request selects.
pub fn selected(cluster: &Cluster, ctx: &Ctx) -> Result<(Vec<Arc<Stored>>, u64), ApiError> {
    let (labels, fields) = selectors(ctx)?;
    let (items, rv) = cluster.store.list(&ctx.target.rt.key(), ctx.target.namespace.as_deref());
    let items = if labels.is_empty() && fields == FieldSelector::default() {
        items
    } else {
        items.into_iter().filter(|s| labels.matches(&s.value) && fields.matches(&s.value)).collect()
    };
    Ok((items, rv))
}

#[derive(serde::Serialize, serde::Deserialize)]
struct ContinueToken {
    rv: u64,
    ns: String,
    name: String,
}

fn list(cluster: &Cluster, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let rt = &ctx.target.rt;
    let (labels, fields) = selectors(ctx)?;
    let limit = ctx.query.get("limit").and_then(|l| l.parse::<usize>().ok()).filter(|l| *l > 0).unwrap_or(usize::MAX);
    let token = match ctx.query.get("continue") {
        Some(token) => Some(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(token)
                .ok()
                .and_then(|b| serde_json::from_slice::<ContinueToken>(&b).ok())
                .ok_or_else(|| ApiError::bad_request("continue key is not valid"))?,
        ),
        None => None,
    };
    let after = token.as_ref().map(|t| (t.ns.as_str(), t.name.as_str()));
    if token.is_none() {
        cluster.stats.count(crate::stats::Served::List, &rt.plural);
    }
    let unfiltered = labels.is_empty() && fields == FieldSelector::default();
    let (page, rest, current_rv) =
        cluster.store.list_page(&rt.key(), ctx.target.namespace.as_deref(), after, limit, unfiltered, |s| {
            unfiltered || (labels.matches(&s.value) && fields.matches(&s.value))
        });
    // Continued lists report the version of their first page.
    let list_rv = token.as_ref().map_or(current_rv, |t| t.rv);
    let mut meta = json!({"resourceVersion": list_rv.to_string()});
    if rest > 0
        && let Some(last) = page.last()
    {
        let token = ContinueToken { rv: list_rv, ns: last.namespace().to_string(), name: last.name().to_string() };
        let encoded =
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default());
        meta["continue"] = json!(encoded);
        if unfiltered {
            meta["remainingItemCount"] = json!(rest);
        }
    }
    let page = &page[..];
    if ctx.wants_table() {
        let include = IncludeObject::parse(ctx.query.get("includeObject"));
        let values: Vec<&Value> = page.iter().map(|s| &s.value).collect();
        return Ok(json_response(200, &table::table(rt, &values, include, meta)));
    }
    if ctx.wants_metadata() {
        let items: Vec<Value> = page.iter().map(|s| table::partial_metadata(&s.value)).collect();
        return Ok(json_response(
            200,
            &json!({"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": meta, "items": items}),
        ));
    }
    // Concatenate the pre-encoded objects instead of serializing the list again.
    let head = json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": meta});
    let head = serde_json::to_vec(&head).unwrap_or_default();
    let total: usize = page.iter().map(|s| s.json.len() + 1).sum();
    let mut buf = BytesMut::with_capacity(head.len() + total + 16);
    buf.put_slice(&head[..head.len() - 1]);
    buf.put_slice(b",\"items\":[");
    for (i, s) in page.iter().enumerate() {
        if i > 0 {
            buf.put_u8(b',');
        }
        let (_, bytes) = as_served(rt, s);
        buf.put_slice(&bytes);
    }
    buf.put_slice(b"]}");
    Ok(bytes_response(200, buf.freeze()))
}

/// Checks that a body's apiVersion and kind fit the URL.
fn check_type(rt: &ResourceType, obj: &Value) -> Result<(), ApiError> {
    let api_version = meta::str_at(obj, "/apiVersion");
    if !api_version.is_empty() && api_version != rt.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            rt.api_version()
        )));
    }
    let kind = meta::str_at(obj, "/kind");
    if !kind.is_empty() && kind != rt.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            rt.kind
        )));
    }
    if !obj.is_object() {
        return Err(ApiError::bad_request("the body must be a JSON object"));
    }
    crate::shape::check(rt, obj)
}

/// Puts namespace, apiVersion and kind in place, or explains why the namespace is wrong.
fn settle_identity(rt: &ResourceType, ctx: &Ctx, obj: &mut Value) -> Result<(), ApiError> {
    obj["apiVersion"] = json!(rt.storage_api_version());
    obj["kind"] = json!(rt.kind);
    if !obj.get("metadata").is_some_and(Value::is_object) {
        obj["metadata"] = json!({});
    }
    if rt.namespaced {
        let url_ns = ctx.target.ns();
        let body_ns = meta::namespace(obj).to_string();
        if url_ns.is_empty() {
            return Err(ApiError::bad_request("a namespace is required for namespaced resources"));
        }
        if !body_ns.is_empty() && body_ns != url_ns {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        obj["metadata"]["namespace"] = json!(url_ns);
    } else if let Some(m) = obj["metadata"].as_object_mut() {
        m.remove("namespace");
    }
    Ok(())
}

fn check_namespace_exists(cluster: &Cluster, rt: &ResourceType, ns: &str) -> Result<(), ApiError> {
    if !rt.namespaced {
        return Ok(());
    }
    let Some(namespace) = cluster.store.get(&ResourceKey::new("", "namespaces"), "", ns) else {
        let ns_type = cluster.registry.find("", "v1", "namespaces");
        return Err(match ns_type {
            Some(t) => ApiError::not_found(&t, ns),
            None => ApiError::path_not_found(),
        });
    };
    if namespace.value.pointer("/metadata/deletionTimestamp").is_some() {
        return Err(ApiError::forbidden_message(
            rt,
            "",
            &format!("unable to create new content in namespace {ns} because it is being terminated"),
        ));
    }
    Ok(())
}

fn store_error(rt: &ResourceType, name: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::AlreadyExists => ApiError::already_exists(rt, name),
        StoreError::NotFound => ApiError::not_found(rt, name),
        StoreError::Conflict => ApiError::conflict(rt, name, &e.to_string()),
    }
}

/// Validates, defaults and stores a new object (or only pretends to, on dry run).
fn create_object(cluster: &Cluster, ctx: &Ctx, mut obj: Value, track: bool) -> Result<Arc<Stored>, ApiError> {
    let rt = ctx.target.rt.clone();
    crate::shape::check(&rt, &obj)?;
    crate::shape::drop_nulls(&rt, &mut obj);
    settle_identity(&rt, ctx, &mut obj)?;
    if meta::name(&obj).is_empty()
        && let Some(prefix) = obj.pointer("/metadata/generateName").and_then(Value::as_str).map(str::to_string)
    {
        obj["metadata"]["name"] = json!(format!("{prefix}{}", meta::random_suffix(5)));
    }
    let mut causes = admission::validate(&rt, &obj);
    if let Some(schema) = &rt.schema {
        causes.extend(crate::schema::check(schema, &mut obj));
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid(&rt, meta::name(&obj), causes));
    }
    check_namespace_exists(cluster, &rt, ctx.target.ns())?;
    admission::prepare_create(&rt, &mut obj);
    // Priority and quota admission see the defaulted pod (requests taken from limits), as on a real server.
    if rt.group.is_empty() && rt.plural == "pods" {
        let refused = crate::priority::admit(cluster, &mut obj)
            .err()
            .or_else(|| crate::quota::refuse(cluster, ctx.target.ns(), &obj));
        if let Some(why) = refused {
            return Err(ApiError::forbidden_message(&rt, meta::name(&obj), &why));
        }
    }
    if track {
        patch::track_update(None, &mut obj, &ctx.field_manager(), &rt.api_version(), "", &meta::now());
    }
    let name = meta::name(&obj).to_string();
    if ctx.query.dry_run() {
        if cluster.store.get(&rt.key(), ctx.target.ns(), &name).is_some() {
            return Err(ApiError::already_exists(&rt, &name));
        }
        return Ok(Arc::new(Stored {
            rv: 0,
            json: Bytes::from(serde_json::to_vec(&obj).unwrap_or_default()),
            value: obj,
        }));
    }
    let stored = cluster.store.create(&rt.key(), obj).map_err(|e| store_error(&rt, &name, e))?;
    hooks::after_write(cluster, &rt, &stored);
    Ok(stored)
}

fn create(cluster: &Cluster, ctx: &Ctx, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let obj = decode_body(body)?;
    check_type(&ctx.target.rt, &obj)?;
    let obj = crate::convert::stored(&ctx.target.rt, obj);
    let stored = create_object(cluster, ctx, obj, true)?;
    Ok(object_response(ctx, 201, &stored))
}

/// Writes a changed object over the stored one, applying the update rules.
fn write_update(
    cluster: &Cluster,
    ctx: &Ctx,
    existing: &Stored,
    mut next: Value,
    expected_rv: Option<u64>,
    track_manager: Option<(&str, &str)>,
) -> Result<Arc<Stored>, ApiError> {
    let rt = ctx.target.rt.clone();
    let sub = ctx.target.subresource.as_deref();
    crate::shape::check(&rt, &next)?;
    crate::shape::drop_nulls(&rt, &mut next);
    settle_identity(&rt, ctx, &mut next)?;
    let name = ctx.target.name().to_string();
    if meta::name(&next) != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            meta::name(&next)
        )));
    }
    if meta::uid(&next) != meta::uid(&existing.value) && !meta::uid(&next).is_empty() {
        return Err(ApiError::conflict(
            &rt,
            &name,
            "Precondition failed: UID in precondition does not match the UID of the object",
        ));
    }
    admission::prepare_update(&rt, &existing.value, &mut next, sub);
    let mut causes = admission::validate(&rt, &next);
    if let Some(schema) = &rt.schema {
        causes.extend(crate::schema::check(schema, &mut next));
    }
    if !causes.is_empty() {
        return Err(ApiError::invalid(&rt, &name, causes));
    }
    // A client that rewrites managedFields itself (kubectl migrating client-side apply ownership, or clearing
    // it) is taken at its word, as the real server does.
    let client_set_managed =
        next.pointer("/metadata/managedFields") != existing.value.pointer("/metadata/managedFields");
    if let Some((manager, operation)) = track_manager
        && operation == "Update"
        && !client_set_managed
    {
        patch::track_update(
            Some(&existing.value),
            &mut next,
            manager,
            &rt.api_version(),
            sub.unwrap_or_default(),
            &meta::now(),
        );
    }
    // Like the real server, a write that changes nothing is not a write: no new resourceVersion, no watch event.
    if existing.value == next {
        return Ok(Arc::new(Stored { rv: existing.rv, json: existing.json.clone(), value: existing.value.clone() }));
    }
    if ctx.query.dry_run() {
        return Ok(Arc::new(Stored {
            rv: existing.rv,
            json: Bytes::from(serde_json::to_vec(&next).unwrap_or_default()),
            value: next,
        }));
    }
    // An object being deleted goes once its last finalizer is removed.
    let finalizers_left = next.pointer("/metadata/finalizers").and_then(Value::as_array).is_some_and(|f| !f.is_empty());
    if next.pointer("/metadata/deletionTimestamp").is_some() && !finalizers_left {
        let stored = cluster.store.update(&rt.key(), next, expected_rv).map_err(|e| store_error(&rt, &name, e))?;
        if let Some(deleted) = cluster.delete_now(&rt.key(), ctx.target.ns(), &name) {
            return Ok(deleted);
        }
        return Ok(stored);
    }
    let stored = cluster.store.update(&rt.key(), next, expected_rv).map_err(|e| store_error(&rt, &name, e))?;
    hooks::after_write(cluster, &rt, &stored);
    Ok(stored)
}

fn body_rv(obj: &Value) -> Result<Option<u64>, ApiError> {
    match obj.pointer("/metadata/resourceVersion").and_then(Value::as_str) {
        None | Some("") => Ok(None),
        Some(rv) => {
            rv.parse().map(Some).map_err(|_| ApiError::bad_request(format!("invalid resourceVersion \"{rv}\"")))
        }
    }
}

fn update(cluster: &Cluster, ctx: &Ctx, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let obj = decode_body(body)?;
    check_type(&ctx.target.rt, &obj)?;
    let obj = crate::convert::stored(&ctx.target.rt, obj);
    let existing = load(cluster, ctx)?;
    let expected = body_rv(&obj)?;
    let manager = ctx.field_manager();
    let stored = write_update(cluster, ctx, &existing, obj, expected, Some((&manager, "Update")))?;
    Ok(object_response(ctx, 200, &stored))
}

fn patch(cluster: &Cluster, ctx: &Ctx, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let rt = ctx.target.rt.clone();
    let content_type = ctx.content_type().split(';').next().unwrap_or_default().trim().to_string();
    let patch_doc = decode_body(body)?;
    let manager = ctx.field_manager();
    let sub = ctx.target.subresource.clone().unwrap_or_default();
    if content_type == "application/apply-patch+yaml" || content_type == "application/apply-patch+cbor" {
        if ctx.query.get("fieldManager").is_none() {
            return Err(ApiError::bad_request("PATCH with apply requires a fieldManager query parameter"));
        }
        check_type(&rt, &patch_doc)?;
        let force = ctx.query.flag("force");
        let existing = cluster.store.get(&rt.key(), ctx.target.ns(), ctx.target.name());
        let mut applied = crate::convert::stored(&rt, patch_doc);
        settle_identity(&rt, ctx, &mut applied)?;
        if meta::name(&applied) != ctx.target.name() {
            return Err(ApiError::bad_request(format!(
                "the name of the object ({}) does not match the name on the URL ({})",
                meta::name(&applied),
                ctx.target.name()
            )));
        }
        let merged = patch::server_side_apply(
            existing.as_ref().map(|e| &e.value),
            &applied,
            &manager,
            force,
            &rt.api_version(),
            &sub,
            &meta::now(),
        )
        .map_err(|e| apply_error(&rt, ctx.target.name(), e))?;
        return match existing {
            None => {
                let stored = create_object(cluster, ctx, merged, false)?;
                Ok(object_response(ctx, 201, &stored))
            }
            Some(existing) => {
                let expected = body_rv(&applied)?;
                let stored = write_update(cluster, ctx, &existing, merged, expected, Some((&manager, "Apply")))?;
                Ok(object_response(ctx, 200, &stored))
            }
        };
    }
    let existing = load(cluster, ctx)?;
    // Patches are written against the served shape (which differs for events.k8s.io Events).
    let current = crate::convert::served(&rt, &existing.value);
    let next = match content_type.as_str() {
        "application/json-patch+json" => {
            patch::json_patch(&current, &patch_doc).map_err(|e| ApiError::invalid_patch(&e))?
        }
        "application/merge-patch+json" => patch::merge_patch(&current, &patch_doc),
        "application/strategic-merge-patch+json" => {
            if rt.custom {
                return Err(ApiError::unsupported_media_type(&content_type));
            }
            patch::strategic_merge(&current, &patch_doc)
        }
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    let next = crate::convert::stored(&rt, next);
    // A resourceVersion inside the patch makes it conditional on that version.
    let expected = body_rv(&patch_doc)?;
    let stored = write_update(cluster, ctx, &existing, next, expected, Some((&manager, "Update")))?;
    Ok(object_response(ctx, 200, &stored))
}

fn apply_error(rt: &ResourceType, name: &str, e: PatchError) -> ApiError {
    match e {
        PatchError::Invalid(message) => ApiError::bad_request(message),
        PatchError::Conflicts { fields, .. } => {
            let mut err = ApiError::conflict(rt, name, "");
            err.message = e_message(&fields);
            let causes: Vec<Value> = fields
                .iter()
                .map(|(m, f)| json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{m}\" using {}", rt.api_version()), "field": f}))
                .collect();
            if let Some(d) = err.details.as_mut() {
                d["causes"] = json!(causes);
            }
            err
        }
    }
}

fn e_message(fields: &[(String, String)]) -> String {
    let n = fields.len();
    let list = fields.iter().map(|(m, f)| format!("conflict with \"{m}\": {f}")).collect::<Vec<_>>().join("\n- ");
    format!("Apply failed with {n} conflict{}: {list}", if n == 1 { "" } else { "s" })
}

impl ApiError {
    fn invalid_patch(e: &PatchError) -> Self {
        ApiError { code: 422, reason: "Invalid", message: e.to_string(), details: None, retry_after: None }
    }
}

/// Deletion options from the body (DeleteOptions) or the query string.
struct DeleteOptions {
    propagation: String,
    grace: Option<i64>,
    precondition_uid: Option<String>,
    precondition_rv: Option<String>,
}

fn delete_options(ctx: &Ctx, body: &[u8]) -> DeleteOptions {
    let doc: Value = if body.is_empty() { json!({}) } else { decode_body(body).unwrap_or(json!({})) };
    let propagation = doc
        .get("propagationPolicy")
        .and_then(Value::as_str)
        .or(ctx.query.get("propagationPolicy"))
        .map(str::to_string)
        .or_else(|| (doc.get("orphanDependents") == Some(&json!(true))).then(|| "Orphan".to_string()))
        .unwrap_or_else(|| "Background".into());
    let grace = doc
        .get("gracePeriodSeconds")
        .and_then(Value::as_i64)
        .or(ctx.query.get("gracePeriodSeconds").and_then(|g| g.parse().ok()));
    DeleteOptions {
        propagation,
        grace,
        precondition_uid: doc.pointer("/preconditions/uid").and_then(Value::as_str).map(str::to_string),
        precondition_rv: doc.pointer("/preconditions/resourceVersion").and_then(Value::as_str).map(str::to_string),
    }
}

/// Deletes one object by the rules of the real server: finalizers and graceful pod termination delay the removal;
/// propagation decides what happens to dependents.
fn delete_object(
    cluster: &Cluster,
    ctx: &Ctx,
    existing: &Stored,
    opts: &DeleteOptions,
) -> Result<(u16, Value), ApiError> {
    let rt = ctx.target.rt.clone();
    let key = rt.key();
    let (ns, name) = (existing.namespace().to_string(), existing.name().to_string());
    if opts.precondition_uid.as_deref().is_some_and(|u| u != meta::uid(&existing.value)) {
        return Err(ApiError::conflict(
            &rt,
            &name,
            "Precondition failed: UID in precondition does not match the UID of the object",
        ));
    }
    if opts.precondition_rv.as_deref().is_some_and(|rv| rv != existing.rv.to_string()) {
        return Err(ApiError::conflict(
            &rt,
            &name,
            "Precondition failed: ResourceVersion in precondition does not match the ResourceVersion of the object",
        ));
    }
    if ctx.query.dry_run() {
        return Ok((200, existing.value.clone()));
    }
    let mut finalizers: Vec<Value> =
        existing.value.pointer("/metadata/finalizers").and_then(Value::as_array).cloned().unwrap_or_default();
    if opts.propagation == "Foreground" && !finalizers.contains(&json!("foregroundDeletion")) {
        // Dependents go first; the owner follows right after.
        hooks::collect_dependents(cluster, meta::uid(&existing.value));
    }
    if opts.propagation == "Orphan" {
        hooks::orphan_dependents(cluster, meta::uid(&existing.value));
    }
    let is_namespace = rt.group.is_empty() && rt.plural == "namespaces";
    if is_namespace {
        // The namespace controller removes the "kubernetes" finalizer once the contents are gone.
        finalizers.retain(|f| f != "kubernetes");
    }
    let is_running_pod =
        rt.group.is_empty() && rt.plural == "pods" && !meta::str_at(&existing.value, "/spec/nodeName").is_empty();
    let grace = opts.grace.unwrap_or_else(|| meta::int_at(&existing.value, "/spec/terminationGracePeriodSeconds"));
    let graceful = is_running_pod
        && grace > 0
        && !matches!(meta::str_at(&existing.value, "/status/phase"), "Succeeded" | "Failed");
    if !finalizers.is_empty() || graceful {
        let now = meta::now();
        let updated = cluster.modify(&key, &ns, &name, |obj| {
            if obj.pointer("/metadata/deletionTimestamp").is_some() {
                return false;
            }
            obj["metadata"]["deletionTimestamp"] = json!(now);
            obj["metadata"]["deletionGracePeriodSeconds"] = json!(if graceful { grace } else { 0 });
            true
        });
        let value = updated.map(|s| s.value.clone()).unwrap_or_else(|| existing.value.clone());
        return Ok((200, value));
    }
    let deleted = cluster.delete_now(&key, &ns, &name).ok_or_else(|| ApiError::not_found(&rt, &name))?;
    Ok((200, deleted.value.clone()))
}

fn delete(cluster: &Cluster, ctx: &Ctx, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let existing = load(cluster, ctx)?;
    let opts = delete_options(ctx, body);
    let (code, value) = delete_object(cluster, ctx, &existing, &opts)?;
    Ok(json_response(code, &value))
}

fn delete_collection(cluster: &Cluster, ctx: &Ctx, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let (items, rv) = selected(cluster, ctx)?;
    let opts = delete_options(ctx, body);
    let mut deleted = Vec::new();
    for item in items {
        let (_, v) = delete_object(cluster, ctx, &item, &opts)?;
        deleted.push(v);
    }
    let rt = &ctx.target.rt;
    Ok(json_response(
        200,
        &json!({"kind": format!("{}List", rt.kind), "apiVersion": rt.api_version(), "metadata": {"resourceVersion": rv.to_string()}, "items": deleted}),
    ))
}

fn scale_of(stored: &Stored) -> Value {
    let v = &stored.value;
    let selector = v
        .pointer("/spec/selector/matchLabels")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect::<Vec<_>>().join(","))
        .unwrap_or_default();
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": stored.name(),
            "namespace": stored.namespace(),
            "uid": meta::uid(v),
            "resourceVersion": stored.rv.to_string(),
            "creationTimestamp": meta::str_at(v, "/metadata/creationTimestamp"),
        },
        "spec": {"replicas": meta::int_at(v, "/spec/replicas")},
        "status": {"replicas": meta::int_at(v, "/status/replicas"), "selector": selector},
    })
}

fn get_scale(cluster: &Cluster, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let stored = load(cluster, ctx)?;
    Ok(json_response(200, &scale_of(&stored)))
}

fn update_scale(cluster: &Cluster, ctx: &Ctx, verb: &str, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let existing = load(cluster, ctx)?;
    let doc = decode_body(body)?;
    let scale = scale_of(&existing);
    let next_scale = if verb == "update" {
        doc
    } else {
        match ctx.content_type().split(';').next().unwrap_or_default().trim() {
            "application/json-patch+json" => {
                patch::json_patch(&scale, &doc).map_err(|e| ApiError::invalid_patch(&e))?
            }
            "application/strategic-merge-patch+json" => patch::strategic_merge(&scale, &doc),
            _ => patch::merge_patch(&scale, &doc),
        }
    };
    let replicas = next_scale.pointer("/spec/replicas").and_then(Value::as_i64).unwrap_or(0);
    if replicas < 0 {
        return Err(ApiError::invalid(
            &ctx.target.rt,
            ctx.target.name(),
            vec![Cause::invalid("spec.replicas", &replicas.to_string(), "must be greater than or equal to 0")],
        ));
    }
    let mut next = existing.value.clone();
    next["spec"]["replicas"] = json!(replicas);
    let manager = ctx.field_manager();
    let ctx_main = Ctx {
        upgrade: None,
        user: ctx.user.clone(),
        target: super::Target { subresource: None, ..ctx.target.clone() },
        query: ctx.query.clone(),
        headers: ctx.headers.clone(),
        method: ctx.method.clone(),
    };
    let stored = write_update(cluster, &ctx_main, &existing, next, None, Some((&manager, "Update")))?;
    Ok(json_response(200, &scale_of(&stored)))
}

fn bind(cluster: &Cluster, ctx: &Ctx, body: &[u8]) -> Result<Response<Body>, ApiError> {
    let binding = decode_body(body)?;
    let node = meta::str_at(&binding, "/target/name").to_string();
    if node.is_empty() {
        return Err(ApiError::bad_request("binding target name is required"));
    }
    let existing = load(cluster, ctx)?;
    if !meta::str_at(&existing.value, "/spec/nodeName").is_empty() {
        return Err(ApiError::conflict(&ctx.target.rt, ctx.target.name(), "pod is already assigned to a node"));
    }
    cluster.modify(&ctx.target.rt.key(), ctx.target.ns(), ctx.target.name(), |pod| {
        pod["spec"]["nodeName"] = json!(node);
        true
    });
    Ok(json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}

fn evict(cluster: &Cluster, ctx: &Ctx) -> Result<Response<Body>, ApiError> {
    let existing = load(cluster, ctx)?;
    let opts =
        DeleteOptions { propagation: "Background".into(), grace: None, precondition_uid: None, precondition_rv: None };
    delete_object(cluster, ctx, &existing, &opts)?;
    Ok(json_response(
        201,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": 201}),
    ))
}
