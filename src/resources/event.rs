//! Event → [`EventRow`]: what happened to which object, how often, when last.

use k8s_openapi::api::core::v1::Event;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventRow {
    pub namespace: String,
    pub type_: String,
    pub reason: String,
    pub message: String,
    /// `kind/name` of the object the event is about.
    pub object: String,
    pub count: i32,
    /// Unix seconds of the last occurrence.
    pub last_seen: i64,
}

pub fn row(e: &Event) -> EventRow {
    let last = e
        .last_timestamp
        .as_ref()
        .map(|t| t.0.as_second())
        .or_else(|| e.event_time.as_ref().map(|t| t.0.as_second()))
        .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0.as_second()))
        .unwrap_or(0);
    EventRow {
        namespace: e.metadata.namespace.clone().unwrap_or_default(),
        type_: e.type_.clone().unwrap_or_default(),
        reason: e.reason.clone().unwrap_or_default(),
        message: e.message.clone().unwrap_or_default(),
        object: format!(
            "{}/{}",
            e.involved_object.kind.clone().unwrap_or_default().to_lowercase(),
            e.involved_object.name.clone().unwrap_or_default()
        ),
        count: e.count.unwrap_or(1),
        last_seen: last,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scheduling_warning() {
        let e: Event = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "x.1", "namespace": "ml"},
            "involvedObject": {"kind": "Pod", "name": "train-0"},
            "type": "Warning", "reason": "FailedScheduling", "message": "0/3 nodes are available", "count": 4,
            "lastTimestamp": "2026-01-01T00:00:10Z"
        }))
        .unwrap();
        let r = row(&e);
        assert_eq!((r.object.as_str(), r.count, r.reason.as_str()), ("pod/train-0", 4, "FailedScheduling"));
        assert_eq!(r.last_seen, 1767225610);
    }
}
