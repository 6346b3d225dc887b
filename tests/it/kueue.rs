//! Kueue's queues read from a cluster that has its CRDs (kubesim with the CRDs applied), and nothing without them.

use bosun::cluster::kueue;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, DynamicObject, Patch, PatchParams, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;
use serde_json::json;

use crate::util::start_sim;

fn crd(kind: &str, plural: &str, scope: &str) -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.kueue.x-k8s.io")},
        "spec": {"group": "kueue.x-k8s.io", "scope": scope,
            "names": {"kind": kind, "plural": plural, "singular": kind.to_lowercase(), "listKind": format!("{kind}List")},
            "versions": [{"name": "v1beta1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}
    }))
    .expect("CRD")
}

#[test]
fn cluster_and_local_queues_are_read_when_kueue_is_installed() {
    let sim = start_sim(kubesim::Fleet::Empty);
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        assert_eq!(kueue::queues(&client).await.expect("no error without Kueue"), None);
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        crds.create(&PostParams::default(), &crd("ClusterQueue", "clusterqueues", "Cluster")).await.expect("CRD");
        crds.create(&PostParams::default(), &crd("LocalQueue", "localqueues", "Namespaced")).await.expect("CRD");
        let gvk = |kind| GroupVersionKind::gvk("kueue.x-k8s.io", "v1beta1", kind);
        let cq_api: Api<DynamicObject> =
            Api::all_with(client.clone(), &ApiResource::from_gvk_with_plural(&gvk("ClusterQueue"), "clusterqueues"));
        let cq: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue", "metadata": {"name": "research"},
            "spec": {"cohort": "ml", "namespaceSelector": {}, "resourceGroups": [{"coveredResources": ["nvidia.com/gpu"],
                "flavors": [{"name": "h100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": 16, "borrowingLimit": 8}]}]}]}
        }))
        .expect("ClusterQueue");
        cq_api.create(&PostParams::default(), &cq).await.expect("ClusterQueue created");
        let status = json!({"status": {"pendingWorkloads": 2, "admittedWorkloads": 1,
            "flavorsUsage": [{"name": "h100", "resources": [{"name": "nvidia.com/gpu", "total": "8", "borrowed": "0"}]}]}});
        cq_api.patch_status("research", &PatchParams::default(), &Patch::Merge(&status)).await.expect("status");
        let lq_api: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            "default",
            &ApiResource::from_gvk_with_plural(&gvk("LocalQueue"), "localqueues"),
        );
        let lq: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "LocalQueue",
            "metadata": {"name": "team-a", "namespace": "default"}, "spec": {"clusterQueue": "research"}
        }))
        .expect("LocalQueue");
        lq_api.create(&PostParams::default(), &lq).await.expect("LocalQueue created");

        let queues = kueue::queues(&client).await.expect("queues").expect("Kueue is installed");
        let research = &queues.cluster_queues[0];
        assert_eq!((research.name.as_str(), research.cohort.as_deref(), research.pending), ("research", Some("ml"), 2));
        assert_eq!(research.quotas[0].describe(), "nvidia.com/gpu 8 of 16 (+8 borrowable)");
        assert_eq!(queues.local_queues[0].cluster_queue, "research");
        assert_eq!(queues.local_queues[0].namespace, "default");
    });
}
