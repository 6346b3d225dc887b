//! Sliced metrics that evaluation jobs left on the cluster: ConfigMaps and pods labelled
//! `bosun.dev/sliced-metrics`. A ConfigMap holds one `bosun.sliced-metrics/v1` document per key; a pod prints one
//! on a line of its log (the last such line counts, so a job that re-evaluates overrides itself).

use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::Api;
use kube::api::{ListParams, LogParams};

use super::training::JobError;
use crate::metrics::sliced::{FORMAT, SlicedMetrics};

pub use crate::workloads::evaluation::LABEL;

/// Lines read from the end of an evaluation pod's log.
const LOG_TAIL: i64 = 500;

/// One document found on the cluster, or why it could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    /// Where it came from: `configmap/NS/NAME[KEY]` or `pod/NS/NAME`.
    pub source: String,
    pub document: Result<SlicedMetrics, String>,
}

/// The documents of one log: the last line that is a sliced-metrics document.
pub fn from_log(log: &str) -> Option<Result<SlicedMetrics, String>> {
    log.lines().rev().map(str::trim).find(|l| l.starts_with('{') && l.contains(FORMAT)).map(SlicedMetrics::parse)
}

fn namespaced<K>(client: &kube::Client, namespace: Option<&str>) -> Api<K>
where
    K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    <K as kube::Resource>::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// Every labelled ConfigMap's documents and every labelled pod's (one that has started) in `namespace` (all when
/// `None`). A document that does not parse is returned with its error; a pod whose log cannot be read is skipped
/// with its reason as the error.
pub async fn list(client: &kube::Client, namespace: Option<&str>) -> Result<Vec<Found>, JobError> {
    let lp = ListParams::default().labels(LABEL);
    let maps: Api<ConfigMap> = namespaced(client, namespace);
    let mut found = Vec::new();
    let list = maps.list(&lp).await.map_err(|e| JobError::from_kube("list sliced metrics", "configmaps", e))?;
    for map in list.items {
        let ns = map.metadata.namespace.clone().unwrap_or_default();
        let name = map.metadata.name.clone().unwrap_or_default();
        for (key, text) in map.data.iter().flatten() {
            if text.contains(FORMAT) {
                found.push(Found {
                    source: format!("configmap/{ns}/{name}[{key}]"),
                    document: SlicedMetrics::parse(text),
                });
            }
        }
    }
    let pods: Api<Pod> = namespaced(client, namespace);
    let list = pods.list(&lp).await.map_err(|e| JobError::from_kube("list evaluation pods", "pods", e))?;
    for pod in list.items {
        let phase = pod.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_default();
        if phase == "Pending" {
            continue;
        }
        let ns = pod.metadata.namespace.clone().unwrap_or_default();
        let name = pod.metadata.name.clone().unwrap_or_default();
        let source = format!("pod/{ns}/{name}");
        let api: Api<Pod> = Api::namespaced(client.clone(), &ns);
        // The document is printed last; the tail of a long log is enough.
        let params = LogParams { tail_lines: Some(LOG_TAIL), ..Default::default() };
        match api.logs(&name, &params).await {
            Ok(log) => {
                if let Some(document) = from_log(&log) {
                    found.push(Found { source, document });
                }
            }
            Err(e) => found.push(Found { source, document: Err(format!("could not read its log: {e}")) }),
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_document_line_of_a_log_counts() {
        let doc = |v: &str| {
            format!(
                r#"{{"format":"{FORMAT}","model":{{"name":"m","version":"{v}"}},"run":"r","time":"2026-01-01T00:00:00Z","slices":[]}}"#
            )
        };
        let log = format!("evaluating…\n{}\nprogress 50%\n{}\ndone\n", doc("1"), doc("2"));
        assert_eq!(from_log(&log).unwrap().unwrap().model.version, "2");
        assert!(from_log("no document here\n").is_none());
        let broken = format!("{{\"format\":\"{FORMAT}\", \"slices\": 3}}");
        assert!(from_log(&broken).unwrap().is_err());
    }
}
