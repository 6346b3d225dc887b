//! The Model analysis screen's background work: the file dialogs, reading per-example files and computing their
//! slices on a blocking thread (with progress), the curves of one slice from the examples kept per evaluation, and
//! the sliced metrics evaluation jobs left on the cluster (`cluster::evaluations`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::{CurrentClient, Outbox};
use crate::metrics::{analysis, examples, sliced, slices};
use crate::state::protocol::{ModelAnalysisEvent, ModelAnalysisRequest};

/// Equal-width score bins of a calibration curve.
const CALIBRATION_BINS: usize = 10;

pub(super) struct ModelAnalysisArea {
    client: CurrentClient,
    outbox: Outbox,
    /// The examples of evaluations computed here, by evaluation id, for a slice's curves.
    examples: Arc<Mutex<HashMap<u64, Arc<slices::Examples>>>>,
}

impl ModelAnalysisArea {
    pub fn new(client: CurrentClient, outbox: Outbox) -> Self {
        Self { client, outbox, examples: Arc::default() }
    }

    pub fn handle(&mut self, request: ModelAnalysisRequest) {
        let outbox = self.outbox.clone();
        match request {
            ModelAnalysisRequest::PickExamples { folder } => {
                tokio::spawn(async move {
                    let dialog = rfd::AsyncFileDialog::new();
                    let paths: Vec<PathBuf> = if folder {
                        let picked = dialog.set_title("Open a folder of evaluation shards").pick_folder().await;
                        picked.map(|f| vec![f.path().to_path_buf()]).unwrap_or_default()
                    } else {
                        let picked = dialog
                            .set_title("Open per-example evaluation data")
                            .add_filter("Evaluation data", &["csv", "jsonl", "json", "parquet"])
                            .pick_files()
                            .await;
                        picked.unwrap_or_default().iter().map(|f| f.path().to_path_buf()).collect()
                    };
                    if paths.is_empty() {
                        return; // cancelled
                    }
                    let for_read = paths.clone();
                    let columns = tokio::task::spawn_blocking(move || examples::sample_columns(&for_read, 1000))
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|r| r.map_err(|e| e.to_string()));
                    outbox.send(ModelAnalysisEvent::ExamplesPicked { paths, columns });
                });
            }
            ModelAnalysisRequest::PickDocument => {
                tokio::spawn(async move {
                    let dialog = rfd::AsyncFileDialog::new()
                        .set_title("Open sliced metrics")
                        .add_filter("Sliced metrics (JSON)", &["json"]);
                    let Some(file) = dialog.pick_file().await else { return };
                    let path = file.path().to_path_buf();
                    let document = tokio::fs::read_to_string(&path)
                        .await
                        .map_err(|e| e.to_string())
                        .and_then(|text| sliced::SlicedMetrics::parse(&text));
                    outbox.send(ModelAnalysisEvent::DocumentPicked { path, document });
                });
            }
            ModelAnalysisRequest::Compute { id, paths, columns, slicings, options } => {
                let kept = self.examples.clone();
                tokio::task::spawn_blocking(move || {
                    let rows = compute(id, &paths, &columns, &slicings, &options, &outbox, &kept);
                    outbox.send(ModelAnalysisEvent::Computed { id, rows, time: modified(&paths) });
                });
            }
            ModelAnalysisRequest::Curves { id, slice } => {
                let examples = self.examples.lock().ok().and_then(|m| m.get(&id).cloned());
                tokio::task::spawn_blocking(move || {
                    let curves = match examples {
                        None => Err("the examples of this evaluation are no longer open".to_string()),
                        Some(ex) if ex.classes.is_some() => {
                            Err("ROC and calibration curves are a binary classifier's; these examples have classes"
                                .to_string())
                        }
                        Some(ex) => analysis::members(&ex, &slice)
                            .map(|rows| analysis::curves(&ex, &rows, CALIBRATION_BINS))
                            .ok_or_else(|| format!("no slice {slice} in these examples")),
                    };
                    outbox.send(ModelAnalysisEvent::Curves { id, slice, curves });
                });
            }
            ModelAnalysisRequest::Forget(id) => {
                if let Ok(mut m) = self.examples.lock() {
                    m.remove(&id);
                }
            }
            ModelAnalysisRequest::ListCluster { namespace } => {
                let Some(client) = self.client.get() else {
                    return outbox.send(ModelAnalysisEvent::ClusterListed(Err("not connected to a cluster".into())));
                };
                tokio::spawn(async move {
                    let result = crate::cluster::evaluations::list(&client, namespace.as_deref()).await;
                    outbox.send(ModelAnalysisEvent::ClusterListed(result.map_err(|e| e.to_string())));
                });
            }
        }
    }
}

/// When the newest of the files (or a folder's shards) was written, as RFC 3339; now when unknown.
fn modified(paths: &[PathBuf]) -> String {
    let newest = examples::files(paths)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok())
        .max();
    newest.and_then(|t| jiff::Timestamp::try_from(t).ok()).unwrap_or_else(jiff::Timestamp::now).to_string()
}

/// Reads and computes, reporting progress (reading is most of the time without a bootstrap; with one, the passes).
fn compute(
    id: u64,
    paths: &[PathBuf],
    columns: &examples::Columns,
    slicings: &[slices::Slicing],
    options: &slices::Options,
    outbox: &Outbox,
    kept: &Mutex<HashMap<u64, Arc<slices::Examples>>>,
) -> Result<Vec<slices::SliceRow>, String> {
    let reading_share = if options.bootstrap > 0 { 0.3 } else { 0.8 };
    let mut last = -1.0f32;
    let mut report = |fraction: f32, phase: &str| {
        if fraction - last >= 0.01 || fraction >= 1.0 {
            last = fraction;
            outbox.send(ModelAnalysisEvent::Progress { id, fraction, phase: phase.to_string() });
        }
    };
    let mut examples = examples::read_with_progress(paths, columns, &mut |f| {
        report((f * reading_share) as f32, "reading");
    })
    .map_err(|e| e.to_string())?;
    if examples.is_empty() {
        return Err("the files hold no examples".into());
    }
    report(reading_share as f32, "sorting");
    examples.sort_by_score();
    let rows = slices::compute_with_progress(&examples, slicings, options, &mut |f| {
        let phase = if options.bootstrap > 0 { "bootstrap" } else { "computing" };
        report((reading_share + f * (1.0 - reading_share)) as f32, phase);
    });
    if let Ok(mut m) = kept.lock() {
        m.insert(id, Arc::new(examples));
    }
    Ok(rows)
}
