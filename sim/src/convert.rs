//! Objects as each API version presents them. Storage keeps one shape per resource; most versions differ only in
//! `apiVersion`, but `events.k8s.io/v1` Events are the core `v1` Events with other field names — as on a real
//! server, both APIs read and write the same objects.

use serde_json::{Map, Value, json};

use crate::registry::ResourceType;

/// The stored object as `rt` serves it.
pub fn served(rt: &ResourceType, stored: &Value) -> Value {
    if rt.is_events_view() {
        return core_to_events(stored);
    }
    let mut v = stored.clone();
    v["apiVersion"] = json!(rt.api_version());
    v
}

/// An object written through `rt`, in the stored shape.
pub fn stored(rt: &ResourceType, written: Value) -> Value {
    if rt.is_events_view() { events_to_core(&written) } else { written }
}

/// A field selector written against `rt`'s field names, in the stored shape's names.
pub fn field_selector(rt: &ResourceType, selector: &str) -> String {
    if !rt.is_events_view() {
        return selector.to_string();
    }
    selector
        .split(',')
        .map(|term| {
            let renamed =
                [("regarding.", "involvedObject."), ("reportingController", "reportingComponent"), ("note", "message")];
            renamed
                .iter()
                .find(|(from, _)| term.starts_with(from))
                .map_or_else(|| term.to_string(), |(from, to)| format!("{to}{}", &term[from.len()..]))
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Fields both APIs have, as (core name, events.k8s.io name); copied as they are in either direction.
const SAME_FIELDS: &[(&str, &str)] = &[
    ("metadata", "metadata"),
    ("involvedObject", "regarding"),
    ("related", "related"),
    ("reason", "reason"),
    ("message", "note"),
    ("type", "type"),
    ("action", "action"),
    ("reportingInstance", "reportingInstance"),
    ("source", "deprecatedSource"),
];

/// The counters of old-style events, which the new API keeps as deprecated fields unless the event has a series.
const DEPRECATED_FIELDS: &[(&str, &str)] = &[
    ("count", "deprecatedCount"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
];

fn copy(from: &Value, to: &mut Map<String, Value>, fields: &[(&str, &str)], reverse: bool) {
    for (a, b) in fields {
        let (from_key, to_key) = if reverse { (*b, *a) } else { (*a, *b) };
        if let Some(v) = from.get(from_key).filter(|v| !v.is_null()) {
            to.insert(to_key.to_string(), v.clone());
        }
    }
}

/// Core `v1` Event → `events.k8s.io/v1` Event.
fn core_to_events(core: &Value) -> Value {
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("events.k8s.io/v1"));
    out.insert("kind".into(), json!("Event"));
    copy(core, &mut out, SAME_FIELDS, false);
    let controller = core
        .get("reportingComponent")
        .filter(|v| v.as_str().is_some_and(|s| !s.is_empty()))
        .or_else(|| core.pointer("/source/component"));
    if let Some(c) = controller {
        out.insert("reportingController".into(), c.clone());
    }
    // eventTime is required by the new API; old-style events only have timestamps.
    let event_time = core
        .get("eventTime")
        .filter(|v| !v.is_null())
        .or_else(|| core.get("firstTimestamp").filter(|v| !v.is_null()))
        .or_else(|| core.pointer("/metadata/creationTimestamp"))
        .cloned();
    if let Some(t) = event_time {
        out.insert("eventTime".into(), t);
    }
    match core.get("series").filter(|v| v.is_object()) {
        Some(series) => {
            out.insert("series".into(), series.clone());
        }
        None => copy(core, &mut out, DEPRECATED_FIELDS, false),
    }
    Value::Object(out)
}

/// `events.k8s.io/v1` Event → core `v1` Event.
fn events_to_core(event: &Value) -> Value {
    let mut out = Map::new();
    out.insert("apiVersion".into(), json!("v1"));
    out.insert("kind".into(), json!("Event"));
    copy(event, &mut out, SAME_FIELDS, true);
    copy(event, &mut out, DEPRECATED_FIELDS, true);
    copy(
        event,
        &mut out,
        &[("reportingComponent", "reportingController"), ("eventTime", "eventTime"), ("series", "series")],
        true,
    );
    if let Some(series) = event.get("series") {
        // What `kubectl get events` shows for a recurring event.
        if let Some(count) = series.get("count") {
            out.insert("count".into(), count.clone());
        }
        if let Some(last) = series.get("lastObservedTime") {
            out.insert("lastTimestamp".into(), last.clone());
        }
    }
    // The core API requires an involved object; an events.k8s.io event may leave `regarding` out.
    out.entry("involvedObject").or_insert_with(|| json!({}));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::Registry;

    fn events_rt() -> ResourceType {
        (*Registry::default().find("events.k8s.io", "v1", "events").expect("served")).clone()
    }

    #[test]
    fn events_round_trip_between_the_two_apis() {
        let core = json!({"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "p.1", "namespace": "ml"},
            "involvedObject": {"kind": "Pod", "name": "p", "namespace": "ml"},
            "reason": "FailedScheduling", "message": "0/6 nodes are available", "type": "Warning",
            "source": {"component": "default-scheduler"}, "count": 3,
            "firstTimestamp": "2026-11-29T10:00:00Z", "lastTimestamp": "2026-11-29T10:05:00Z"});
        let rt = events_rt();
        let served = served(&rt, &core);
        assert_eq!(served["apiVersion"], "events.k8s.io/v1");
        assert_eq!(served["regarding"]["name"], "p");
        assert_eq!(served["note"], "0/6 nodes are available");
        assert_eq!(served["reportingController"], "default-scheduler");
        assert_eq!(served["eventTime"], "2026-11-29T10:00:00Z");
        assert_eq!(served["deprecatedCount"], 3);
        let back = stored(&rt, served);
        for key in ["involvedObject", "reason", "message", "type", "count", "firstTimestamp", "lastTimestamp", "source"]
        {
            assert_eq!(back[key], core[key], "{key}");
        }
        assert_eq!(field_selector(&rt, "regarding.name=p,type=Warning"), "involvedObject.name=p,type=Warning");
    }
}
