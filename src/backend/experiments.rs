//! Serves `ExperimentsRequest`: reads of the local store (the keeper writes it on its own thread; WAL lets this
//! read meanwhile), on a blocking thread so the runtime's workers stay free.

use std::path::PathBuf;

use super::Outbox;
use crate::state::experiments::{ExperimentsData, experiment_of};
use crate::state::protocol::{ExperimentsEvent, ExperimentsRequest};
use crate::store::{RunFilter, Store};

pub struct ExperimentsArea {
    store_path: PathBuf,
    outbox: Outbox,
}

impl ExperimentsArea {
    pub fn new(store_path: PathBuf, outbox: Outbox) -> Self {
        Self { store_path, outbox }
    }

    pub fn handle(&self, request: ExperimentsRequest) {
        let ExperimentsRequest::Load { cluster, experiment, metric } = request;
        let (path, outbox) = (self.store_path.clone(), self.outbox.clone());
        tokio::task::spawn_blocking(move || {
            let result = load(&path, &cluster, experiment.as_deref(), metric.as_deref()).map_err(|e| e.to_string());
            outbox.send(ExperimentsEvent::Loaded(result.map(Box::new)));
        });
    }
}

fn load(
    path: &std::path::Path,
    cluster: &str,
    experiment: Option<&str>,
    metric: Option<&str>,
) -> Result<ExperimentsData, crate::store::StoreError> {
    let store = Store::open(path)?;
    let mut runs = store.runs(RunFilter { cluster: Some(cluster), ..Default::default() })?;
    // A job made again under the same name replaces its earlier run here (newest first, so the first is kept).
    let mut seen = std::collections::HashSet::new();
    runs.retain(|r| seen.insert((r.job.namespace.clone(), r.job.name.clone())));
    let mut curves = Vec::new();
    if let (Some(experiment), Some(metric)) = (experiment, metric) {
        for run in runs.iter().filter(|r| experiment_of(r) == experiment) {
            curves.push((run.job.uid.clone(), store.points(&run.job.uid, Some(metric))?));
        }
    }
    Ok(ExperimentsData { runs, metric: metric.unwrap_or_default().to_string(), curves })
}
