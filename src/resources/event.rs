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

/// A pod evicted by the scheduler to make room for a higher-priority one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preemption {
    pub namespace: String,
    /// The evicted pod.
    pub victim: String,
    pub node: String,
    /// The preemptor's uid, as the event names it.
    pub by_uid: String,
    /// Unix seconds.
    pub time: i64,
}

/// Reads a `Preempted` event (`Preempted by pod <uid> on node <node>`, the scheduler's words).
pub fn preemption(e: &EventRow) -> Option<Preemption> {
    if e.reason != "Preempted" {
        return None;
    }
    let rest = e.message.strip_prefix("Preempted by pod ")?;
    let (uid, node) = rest.split_once(" on node ")?;
    let victim = e.object.split_once('/').map_or(e.object.as_str(), |(_, n)| n);
    Some(Preemption {
        namespace: e.namespace.clone(),
        victim: victim.to_string(),
        node: node.trim().to_string(),
        by_uid: uid.trim().to_string(),
        time: e.last_seen,
    })
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

    #[test]
    fn preemptions_are_read_from_the_schedulers_event() {
        let e = EventRow {
            namespace: "ml".into(),
            type_: "Normal".into(),
            reason: "Preempted".into(),
            message: "Preempted by pod 6a1c-77 on node gpu-mi300x-1".into(),
            object: "pod/intern-notebook-5d9".into(),
            count: 1,
            last_seen: 100,
        };
        let p = preemption(&e).expect("a preemption");
        assert_eq!(
            (p.victim.as_str(), p.node.as_str(), p.by_uid.as_str()),
            ("intern-notebook-5d9", "gpu-mi300x-1", "6a1c-77")
        );
        assert!(preemption(&EventRow { reason: "Killing".into(), ..e }).is_none());
    }
}
