//! Streaming responses: watches (with resume, bookmarks, `410 Gone`, initial events, tables) and pod logs
//! (with `follow`).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, header};
use http_body_util::{BodyExt, StreamBody};
use hyper::body::Frame;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::objects::selectors;
use super::select::{FieldSelector, LabelSelector};
use super::status::ApiError;
use super::table::{self, IncludeObject};
use super::{Body, Ctx};
use crate::cluster::Cluster;
use crate::meta;
use crate::store::{Change, ChangeType, Stored};

/// How long a watch lasts when the client does not say (real servers pick 30–60 minutes).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// How often bookmarks are sent to clients that allow them.
const BOOKMARK_EVERY: Duration = Duration::from_secs(10);

/// A streaming body fed from a channel; the producer stops when the client goes away.
pub fn channel_body(content_type: &'static str) -> (mpsc::Sender<Bytes>, Response<Body>) {
    let (tx, rx) = mpsc::channel::<Bytes>(256);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (Ok::<_, Infallible>(Frame::data(chunk)), rx))
    });
    let mut response = Response::new(StreamBody::new(stream).boxed());
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache, private"));
    (tx, response)
}

struct Encoder {
    rt: Arc<crate::registry::ResourceType>,
    table: bool,
    include: IncludeObject,
    metadata_only: bool,
    columns_sent: bool,
}

impl Encoder {
    fn object(&mut self, value: &Value) -> Value {
        if self.table {
            let mut t = table::table(
                &self.rt,
                &[value],
                self.include,
                json!({"resourceVersion": meta::str_at(value, "/metadata/resourceVersion")}),
            );
            if self.columns_sent {
                t["columnDefinitions"] = json!([]);
            }
            self.columns_sent = true;
            return t;
        }
        if self.metadata_only {
            return table::partial_metadata(value);
        }
        crate::convert::served(&self.rt, value)
    }

    fn event(&mut self, type_: &str, value: &Value) -> Bytes {
        let object = self.object(value);
        line(&json!({"type": type_, "object": object}))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut metadata = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            metadata["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        let api_version = if self.table { "meta.k8s.io/v1".to_string() } else { self.rt.api_version() };
        let kind = if self.table { "Table".to_string() } else { self.rt.kind.clone() };
        line(&json!({"type": "BOOKMARK", "object": {"kind": kind, "apiVersion": api_version, "metadata": metadata}}))
    }
}

fn line(v: &Value) -> Bytes {
    let mut bytes = serde_json::to_vec(v).unwrap_or_default();
    bytes.push(b'\n');
    Bytes::from(bytes)
}

struct Filter {
    namespace: Option<String>,
    labels: LabelSelector,
    fields: FieldSelector,
}

impl Filter {
    fn matches(&self, obj: &Stored) -> bool {
        self.namespace.as_deref().is_none_or(|ns| obj.namespace() == ns)
            && self.labels.matches(&obj.value)
            && self.fields.matches(&obj.value)
    }

    /// The event a client with this filter sees for a change, if any.
    fn translate(&self, change: &Change) -> Option<&'static str> {
        let now = self.matches(&change.object);
        let before = change.previous.as_ref().is_some_and(|p| self.matches(p));
        match change.kind {
            ChangeType::Added => now.then_some("ADDED"),
            ChangeType::Deleted => (now || before).then_some("DELETED"),
            ChangeType::Modified => match (before, now) {
                (true, true) => Some("MODIFIED"),
                (false, true) => Some("ADDED"),
                (true, false) => Some("DELETED"),
                (false, false) => None,
            },
        }
    }
}

pub async fn watch(cluster: Arc<Cluster>, ctx: Ctx) -> Result<Response<Body>, ApiError> {
    let rt = ctx.target.rt.clone();
    let (labels, fields) = selectors(&ctx)?;
    let filter = Filter { namespace: ctx.target.namespace.clone(), labels, fields };
    let rv_param = ctx.query.get("resourceVersion").unwrap_or("0").to_string();
    let send_initial = match ctx.query.get("sendInitialEvents") {
        Some(v) => v == "true",
        None => rv_param == "0",
    };
    let bookmarks = ctx.query.flag("allowWatchBookmarks");
    let timeout = ctx
        .query
        .get("timeoutSeconds")
        .and_then(|t| t.parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_TIMEOUT);
    let timeout = cluster.faults.watch_drop_after().map_or(timeout, |d| d.min(timeout));
    let mut encoder = Encoder {
        rt: rt.clone(),
        table: ctx.wants_table(),
        include: IncludeObject::parse(ctx.query.get("includeObject")),
        metadata_only: ctx.wants_metadata(),
        columns_sent: false,
    };

    let key = rt.key();
    let mut initial: Vec<Arc<Stored>> = Vec::new();
    let start = if send_initial {
        let (items, list_rv) = cluster.store.list(&key, ctx.target.namespace.as_deref());
        initial = items.into_iter().filter(|s| filter.matches(s)).collect();
        cluster.store.watch_from(list_rv).map(|s| (s, list_rv))
    } else {
        let rv: u64 =
            rv_param.parse().map_err(|_| ApiError::bad_request(format!("invalid resource version \"{rv_param}\"")))?;
        cluster.store.watch_from(rv).map(|s| (s, rv))
    };

    let (tx, response) = channel_body("application/json");
    let Some((start, start_rv)) = start else {
        cluster.stats.count(crate::stats::Served::WatchGone, &rt.plural);
        let gone = ApiError::gone(format!("too old resource version: {rv_param} ({})", cluster.store.current_rv()));
        let _ = tx.send(line(&json!({"type": "ERROR", "object": gone.to_status()}))).await;
        return Ok(response);
    };
    tokio::spawn(async move {
        let _open = cluster.stats.watch_opened(&rt.plural);
        let mut last_rv = start_rv;
        for obj in &initial {
            if tx.send(encoder.event("ADDED", &obj.value)).await.is_err() {
                return;
            }
        }
        if send_initial && ctx.query.get("sendInitialEvents") == Some("true") {
            let _ = tx.send(encoder.bookmark(start_rv, true)).await;
        }
        for change in start.backlog.iter().filter(|c| c.resource == key) {
            if let Some(t) = filter.translate(change) {
                if tx.send(encoder.event(t, &change.object.value)).await.is_err() {
                    return;
                }
                last_rv = change.rv;
            }
        }
        let mut live = start.live;
        let started = tokio::time::Instant::now();
        let deadline = started + timeout;
        let mut ticker = tokio::time::interval(BOOKMARK_EVERY);
        ticker.tick().await;
        // Faults set while the watch runs apply to it too, as a flaky network would.
        let mut fault_check = tokio::time::interval(Duration::from_millis(250));
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => {
                    if cluster.faults.watch_drop_after().is_some() {
                        cluster.stats.count(crate::stats::Served::WatchDropped, &rt.plural);
                    }
                    return;
                }
                _ = fault_check.tick() => {
                    if cluster.faults.watch_drop_after().is_some_and(|d| started.elapsed() >= d) {
                        cluster.stats.count(crate::stats::Served::WatchDropped, &rt.plural);
                        return;
                    }
                }
                _ = ticker.tick(), if bookmarks => {
                    if tx.send(encoder.bookmark(last_rv.max(cluster.store.current_rv()), false)).await.is_err() {
                        return;
                    }
                }
                _ = tx.closed() => return,
                change = live.recv() => match change {
                    Ok(change) => {
                        if change.resource != key || change.rv <= last_rv {
                            continue;
                        }
                        if let Some(t) = filter.translate(&change)
                            && tx.send(encoder.event(t, &change.object.value)).await.is_err() {
                                return;
                            }
                        last_rv = change.rv;
                    }
                    // A watcher that falls too far behind is closed; the client resumes from its last version.
                    Err(broadcast::error::RecvError::Lagged(_)) | Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        }
    });
    Ok(response)
}

/// `pods/<name>/log`: the container's output, optionally followed as it grows.
pub async fn pod_logs(cluster: Arc<Cluster>, ctx: Ctx) -> Result<Response<Body>, ApiError> {
    let rt = ctx.target.rt.clone();
    let pod = cluster
        .store
        .get(&rt.key(), ctx.target.ns(), ctx.target.name())
        .ok_or_else(|| ApiError::not_found(&rt, ctx.target.name()))?;
    let pod_name = ctx.target.name().to_string();
    let containers: Vec<String> = pod
        .value
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .map(|cs| cs.iter().map(|c| meta::str_at(c, "/name").to_string()).collect())
        .unwrap_or_default();
    let container = match ctx.query.get("container") {
        Some(c) => c.to_string(),
        None if containers.len() == 1 => containers[0].clone(),
        None => {
            return Err(ApiError::bad_request(format!(
                "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                containers.join(" ")
            )));
        }
    };
    if !containers.contains(&container) {
        return Err(ApiError::bad_request(format!("container {container} is not valid for pod {pod_name}")));
    }
    let Some((lines, mut live)) = cluster.logs.read(ctx.target.ns(), &pod_name, &container) else {
        let reason = pod
            .value
            .pointer("/status/containerStatuses")
            .and_then(Value::as_array)
            .and_then(|s| s.iter().find(|c| meta::str_at(c, "/name") == container))
            .map(|c| meta::str_at(c, "/state/waiting/reason").to_string())
            .filter(|r| !r.is_empty())
            .unwrap_or_else(|| "ContainerCreating".into());
        return Err(ApiError::bad_request(format!(
            "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {reason}"
        )));
    };
    let timestamps = ctx.query.flag("timestamps");
    let follow = ctx.query.flag("follow");
    let since = ctx.query.get("sinceTime").map(str::to_string).or_else(|| {
        ctx.query.get("sinceSeconds").and_then(|s| s.parse::<i64>().ok()).and_then(|s| {
            jiff::Timestamp::now().checked_sub(jiff::SignedDuration::from_secs(s)).ok().map(|t| t.to_string())
        })
    });
    let tail = ctx.query.get("tailLines").and_then(|t| t.parse::<usize>().ok());
    let limit_bytes = ctx.query.get("limitBytes").and_then(|b| b.parse::<usize>().ok());
    let format = move |l: &crate::logs::LogLine| {
        if timestamps { format!("{} {}\n", l.time, l.text) } else { format!("{}\n", l.text) }
    };
    // As the kubelet: every line whose time is not before `sinceTime` (compared as times: a line at 01.5 s is
    // after a `sinceTime` of 01 s, though "01.5Z" sorts before "01Z" as text).
    let since: Option<jiff::Timestamp> = since.as_deref().and_then(|s| s.parse().ok());
    let mut selected: Vec<_> = lines
        .iter()
        .filter(|l| since.is_none_or(|s| l.time.parse::<jiff::Timestamp>().is_ok_and(|t| t >= s)))
        .collect();
    if let Some(n) = tail {
        selected = selected.split_off(selected.len().saturating_sub(n));
    }
    let mut text: String = selected.iter().map(|l| format(l)).collect();
    if let Some(limit) = limit_bytes {
        text.truncate(limit);
    }
    let (tx, mut response) = channel_body("text/plain");
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    let running = !matches!(meta::str_at(&pod.value, "/status/phase"), "Succeeded" | "Failed");
    tokio::spawn(async move {
        if !text.is_empty() && tx.send(Bytes::from(text)).await.is_err() {
            return;
        }
        if !(follow && running) {
            return;
        }
        // A dropped-watch fault breaks followed logs too (as a restarting kubelet or proxy would).
        let drop_at = cluster.faults.watch_drop_after().map(|d| tokio::time::Instant::now() + d);
        loop {
            tokio::select! {
                _ = tx.closed() => return,
                () = async {
                    match drop_at {
                        Some(at) => tokio::time::sleep_until(at).await,
                        None => std::future::pending().await,
                    }
                } => return,
                next = live.recv() => match next {
                    Ok(Some(l)) => {
                        if tx.send(Bytes::from(format(&l))).await.is_err() {
                            return;
                        }
                    }
                    Ok(None) | Err(broadcast::error::RecvError::Closed) => return,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                }
            }
        }
    });
    Ok(response)
}
