//! Kueue's ClusterQueues and LocalQueues (`kueue.x-k8s.io/v1beta1`), listed read-only for the Teams tab and the
//! forms' queue pickers.

use kube::api::{Api, DynamicObject, ListParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;

use crate::resources::kueue::{self, Queues};

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("kueue.x-k8s.io", "v1beta1", kind), plural)
}

async fn list(client: &kube::Client, kind: &str, plural: &str) -> Result<Option<Vec<serde_json::Value>>, kube::Error> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource(kind, plural));
    match api.list(&ListParams::default()).await {
        Ok(list) => Ok(Some(list.items.iter().filter_map(|o| serde_json::to_value(o).ok()).collect())),
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 403 => Ok(None),
        Err(e) => Err(e),
    }
}

/// The queues, or `None` when Kueue is not installed (no such resource) or the user may not list them.
pub async fn queues(client: &kube::Client) -> Result<Option<Queues>, kube::Error> {
    let Some(cluster) = list(client, "ClusterQueue", "clusterqueues").await? else { return Ok(None) };
    let local = list(client, "LocalQueue", "localqueues").await?.unwrap_or_default();
    let mut out = Queues {
        cluster_queues: cluster.iter().map(kueue::cluster_queue).collect(),
        local_queues: local.iter().map(kueue::local_queue).collect(),
    };
    out.cluster_queues.sort_by(|a, b| a.name.cmp(&b.name));
    out.local_queues.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    Ok(Some(out))
}
