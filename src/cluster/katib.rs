//! Katib's `Experiment`s (`kubeflow.org/v1beta1`), listed read-only for the Experiments screen.

use kube::api::{Api, DynamicObject, ListParams};
use kube::core::GroupVersionKind;
use kube::discovery::ApiResource;

use crate::resources::katib::{self, KatibExperiment};

fn resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk("kubeflow.org", "v1beta1", "Experiment"), "experiments")
}

/// Every Katib Experiment the user may list. None when Katib is not installed (no such resource) or the user may
/// not list them — there is nothing to show then, which is not an error.
pub async fn experiments(client: &kube::Client) -> Result<Vec<KatibExperiment>, kube::Error> {
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource());
    match api.list(&ListParams::default()).await {
        Ok(list) => {
            Ok(list.items.iter().filter_map(|o| serde_json::to_value(o).ok()).map(|v| katib::from_json(&v)).collect())
        }
        Err(kube::Error::Api(e)) if e.code == 404 || e.code == 403 => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}
