//! Serves `ExperimentsRequest`: reads of the local store (the keeper writes it on its own thread; WAL lets this
//! read meanwhile) and of the TensorBoard folders the user opened, on a blocking thread so the runtime's workers
//! stay free. Event files are tailed across reads: each read takes only what was appended since the last. Katib's
//! Experiments are listed from the cluster at most every [`KATIB_EVERY`] (they change slowly).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{CurrentClient, Outbox};
use crate::metrics::tfevents::{self, EventFile};
use crate::resources::katib::KatibExperiment;
use crate::state::experiments::{ExperimentsData, LOCAL_NAMESPACE, experiment_of};
use crate::state::protocol::{ExperimentsEvent, ExperimentsRequest};
use crate::store::{JobRecord, PointRecord, RunFilter, RunRecord, SeriesSummary, Store};

/// One event file being tailed, and every scalar read from it so far.
struct Tailed {
    reader: EventFile,
    points: Vec<PointRecord>,
}

/// How often Katib's Experiments are listed again while the screen reads.
pub const KATIB_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// The last list of Katib Experiments: the context it was read on, when, and what it said.
type KatibSeen = Option<(String, std::time::Instant, Vec<KatibExperiment>)>;

pub struct ExperimentsArea {
    store_path: PathBuf,
    client: CurrentClient,
    outbox: Outbox,
    /// Event file → its reader and points, kept between reads.
    files: Arc<Mutex<HashMap<PathBuf, Tailed>>>,
    katib: Arc<tokio::sync::Mutex<KatibSeen>>,
}

impl ExperimentsArea {
    pub fn new(store_path: PathBuf, client: CurrentClient, outbox: Outbox) -> Self {
        Self { store_path, client, outbox, files: Arc::default(), katib: Arc::default() }
    }

    pub fn handle(&self, request: ExperimentsRequest) {
        match request {
            ExperimentsRequest::Load { cluster, experiment, metric, folders } => {
                let (path, outbox, files) = (self.store_path.clone(), self.outbox.clone(), self.files.clone());
                let (current, katib) = (self.client.with_context(), self.katib.clone());
                tokio::spawn(async move {
                    let katib = katib_experiments(current, &katib).await;
                    let read = tokio::task::spawn_blocking(move || {
                        load(&path, &cluster, experiment.as_deref(), metric.as_deref(), &folders, &files)
                    });
                    let result = read.await.map_err(|e| e.to_string()).and_then(|r| r).map(|mut data| {
                        data.katib = katib;
                        Box::new(data)
                    });
                    outbox.send(ExperimentsEvent::Loaded(result));
                });
            }
            ExperimentsRequest::PickFolder => {
                let outbox = self.outbox.clone();
                tokio::spawn(async move {
                    let dialog = rfd::AsyncFileDialog::new().set_title("Open a folder of TensorBoard runs");
                    if let Some(folder) = dialog.pick_folder().await {
                        outbox.send(ExperimentsEvent::FolderPicked(folder.path().to_path_buf()));
                    }
                });
            }
        }
    }
}

/// Katib's Experiments on the current cluster, listed again when the last list is older than [`KATIB_EVERY`]
/// or of another context. A failed list shows none (Katib is optional; the store's runs still show).
async fn katib_experiments(
    current: Option<(kube::Client, String)>,
    seen: &tokio::sync::Mutex<KatibSeen>,
) -> Vec<KatibExperiment> {
    let Some((client, context)) = current else { return Vec::new() };
    let mut seen = seen.lock().await;
    if let Some((c, at, list)) = seen.as_ref()
        && *c == context
        && at.elapsed() < KATIB_EVERY
    {
        return list.clone();
    }
    let list = crate::cluster::katib::experiments(&client).await.unwrap_or_else(|e| {
        tracing::debug!("Katib's experiments could not be listed: {e}");
        Vec::new()
    });
    *seen = Some((context, std::time::Instant::now(), list.clone()));
    list
}

fn load(
    path: &Path,
    cluster: &str,
    experiment: Option<&str>,
    metric: Option<&str>,
    folders: &[PathBuf],
    files: &Mutex<HashMap<PathBuf, Tailed>>,
) -> Result<ExperimentsData, String> {
    let mut runs = Vec::new();
    let mut curves = Vec::new();
    // The store is optional here: local folders still open without it.
    let store = if cluster.is_empty() { None } else { Some(Store::open(path).map_err(|e| e.to_string())?) };
    if let Some(store) = &store {
        runs = store.runs(RunFilter { cluster: Some(cluster), ..Default::default() }).map_err(|e| e.to_string())?;
    }
    let mut problems = Vec::new();
    let local = local_runs(folders, files, &mut problems);
    for (run, points) in &local {
        if let (Some(e), Some(m)) = (experiment, metric)
            && experiment_of(run) == e
        {
            curves.push((run.job.uid.clone(), points.iter().filter(|p| p.metric == m).cloned().collect()));
        }
    }
    runs.extend(local.into_iter().map(|(run, _)| run));
    if let (Some(store), Some(experiment), Some(metric)) = (&store, experiment, metric) {
        for run in runs.iter().filter(|r| experiment_of(r) == experiment && r.job.namespace != LOCAL_NAMESPACE) {
            curves.push((run.job.uid.clone(), store.points(&run.job.uid, Some(metric)).map_err(|e| e.to_string())?));
        }
    }
    Ok(ExperimentsData { runs, metric: metric.unwrap_or_default().to_string(), curves, problems, katib: Vec::new() })
}

/// The runs of the opened folders (one per folder holding event files; the experiment is the opened folder's name),
/// each with its points, tailing every file from where the last read stopped.
fn local_runs(
    folders: &[PathBuf],
    files: &Mutex<HashMap<PathBuf, Tailed>>,
    problems: &mut Vec<String>,
) -> Vec<(RunRecord, Vec<PointRecord>)> {
    let Ok(mut files) = files.lock() else { return Vec::new() };
    let mut out: Vec<(RunRecord, Vec<PointRecord>)> = Vec::new();
    for folder in folders {
        let experiment =
            folder.file_name().map_or_else(|| folder.display().to_string(), |n| n.to_string_lossy().into());
        let found = match tfevents::find_runs(folder) {
            Ok(found) => found,
            Err(e) => {
                problems.push(format!("{}: {e}", folder.display()));
                continue;
            }
        };
        for (run, file) in found {
            let tailed = files
                .entry(file.clone())
                .or_insert_with(|| Tailed { reader: EventFile::new(file.clone()), points: Vec::new() });
            match tailed.reader.poll() {
                Ok(chunk) => {
                    problems.extend(chunk.problems.iter().map(|p| format!("{}: {p}", file.display())));
                    tailed.points.extend(chunk.scalars.into_iter().map(|s| PointRecord {
                        metric: s.tag.to_string(),
                        step: Some(s.step),
                        wall_time: Some(s.wall_time),
                        value: s.value,
                    }));
                }
                Err(e) => problems.push(format!("{}: {e}", file.display())),
            }
            let name = if run == "." { experiment.clone() } else { format!("{experiment}/{run}") };
            let uid = format!("local:{}", folder.join(&run).display());
            match out.iter_mut().find(|(r, _)| r.job.uid == uid) {
                Some((_, points)) => points.extend(tailed.points.iter().cloned()),
                None => {
                    let job = JobRecord {
                        uid,
                        cluster: "local".into(),
                        namespace: LOCAL_NAMESPACE.into(),
                        kind: "TensorBoard".into(),
                        name,
                        experiment: experiment.clone(),
                        state: "Local".into(),
                        ..Default::default()
                    };
                    out.push((RunRecord { job, metrics: Vec::new() }, tailed.points.clone()));
                }
            }
        }
    }
    for (run, points) in &mut out {
        points.sort_by(|a, b| (&a.metric, a.step).cmp(&(&b.metric, b.step)));
        run.metrics = summaries(points);
    }
    out
}

/// Count, last, min and max per metric of points sorted by metric then step.
fn summaries(points: &[PointRecord]) -> Vec<SeriesSummary> {
    let mut out: Vec<SeriesSummary> = Vec::new();
    for p in points {
        match out.last_mut().filter(|s| s.metric == p.metric) {
            Some(s) => {
                s.points += 1;
                s.last = p.value;
                s.min = s.min.min(p.value);
                s.max = s.max.max(p.value);
            }
            None => out.push(SeriesSummary {
                metric: p.metric.clone(),
                points: 1,
                last: p.value,
                min: p.value,
                max: p.value,
            }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_opened_folder_s_runs_are_listed_with_their_curves_and_tailed_without_repeats() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/tfevents");
        let files = Mutex::new(HashMap::new());
        let folders = vec![fixtures.clone()];
        let data = load(Path::new("unused"), "", Some("tfevents"), Some("loss"), &folders, &files).expect("load");
        let names: Vec<&str> = data.runs.iter().map(|r| r.job.name.as_str()).collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains(&"tfevents/tf1") && names.contains(&"tfevents/tf2/eval"), "{names:?}");
        assert!(data.runs.iter().all(|r| experiment_of(r) == "tfevents" && r.job.namespace == LOCAL_NAMESPACE));
        let tf1 = data.runs.iter().find(|r| r.job.name == "tfevents/tf1").expect("tf1");
        let loss = tf1.metrics.iter().find(|m| m.metric == "loss").expect("loss summary");
        assert_eq!(loss.points, 40);
        let curve = &data.curves.iter().find(|(uid, _)| *uid == tf1.job.uid).expect("tf1's loss curve").1;
        assert_eq!(curve.len(), 40);
        assert!(data.problems.is_empty(), "{:?}", data.problems);
        // Read again: the files are tailed, nothing is counted twice.
        let again = load(Path::new("unused"), "", Some("tfevents"), Some("loss"), &folders, &files).expect("again");
        let tf1 = again.runs.iter().find(|r| r.job.name == "tfevents/tf1").expect("tf1");
        assert_eq!(tf1.metrics.iter().find(|m| m.metric == "loss").map(|m| m.points), Some(40));
    }
}
