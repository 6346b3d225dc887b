//! How an evaluation job hands its sliced metrics to Bosun, as objects: a ConfigMap holding the document, or a Job
//! whose pod prints it as a line of its log. Both carry the label `cluster::evaluations` looks for. Pure.

use serde_json::{Value, json};

/// The label of ConfigMaps and evaluation pods that hold sliced metrics.
pub const LABEL: &str = "bosun.dev/sliced-metrics";

/// A ConfigMap with the document (JSON text) under `sliced-metrics.json`.
pub fn configmap(namespace: &str, name: &str, model: &str, document: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "namespace": namespace,
            "labels": {LABEL: "true", "bosun.dev/model": model},
        },
        "data": {"sliced-metrics.json": document},
    })
}

/// A Job whose pod prints the document (one line of JSON) with a shell's `echo`, as an evaluation script's last
/// step would.
pub fn printing_job(namespace: &str, name: &str, model: &str, document: &str) -> Value {
    // Single quotes keep the JSON verbatim; a quote inside it is closed, escaped and reopened.
    let quoted = format!("'{}'", document.replace('\'', r"'\''"));
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": name, "namespace": namespace, "labels": {"bosun.dev/model": model}},
        "spec": {
            "backoffLimit": 0,
            "template": {
                "metadata": {"labels": {LABEL: "true", "bosun.dev/model": model}},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [{
                        "name": "evaluate",
                        "image": "busybox:1.36",
                        "command": ["sh", "-c", format!("echo evaluating {model}; echo {quoted}; sleep 2")],
                    }],
                },
            },
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_quoted_for_the_shell() {
        let job = printing_job("ml", "eval", "hotdog", r#"{"a":"it's"}"#);
        let script = job.pointer("/spec/template/spec/containers/0/command/2").unwrap().as_str().unwrap();
        assert_eq!(script, r#"echo evaluating hotdog; echo '{"a":"it'\''s"}'; sleep 2"#);
        assert_eq!(job.pointer("/spec/template/metadata/labels/bosun.dev~1sliced-metrics").unwrap(), "true");
    }
}
