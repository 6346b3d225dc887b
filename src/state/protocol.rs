//! The model's protocol with the background: the [`Request`]s that [`super::AppState`] hands to the backend and the
//! [`Event`]s the backend answers with.
//!
//! One sub-enum per area of background work (cluster, logs, the Install screen, exports). The backend has one file
//! per area (`backend/<area>.rs`) that serves exactly that sub-enum, so a new screen adds one variant here and one
//! file there. The backend depends on these types; nothing here depends on the backend.

use std::path::PathBuf;
use std::sync::Arc;

use super::cluster_view::{ClusterSnapshot, PodQuery};
use crate::charts::{Chart, ChartStyle, ExportFormat};
use crate::cluster::connect::ClusterInfo;
use crate::cluster::install::source::Source;
use crate::cluster::install::{InstallOptions, InstallReport, Progress, StackStatus};
use crate::cluster::kubeconfig::KubeconfigSources;
use crate::resources::context::KubeconfigSummary;
use crate::resources::pod::PodDetail;
use crate::settings::Settings;
use crate::stack::report::{Check, ObjectDiff};
use crate::workloads::JobKind;
use crate::workloads::spec::TrainingSpec;

/// Work the model asks the background to do.
#[derive(Debug)]
pub enum Request {
    /// Persist these settings (debounced; the latest wins).
    SaveSettings(Settings),
    Cluster(ClusterRequest),
    Logs(LogRequest),
    /// Work for the Install screen.
    Stack(StackRequest),
    Export(ExportRequest),
    /// Work for the Training screen.
    Training(TrainingRequest),
    /// Reads of the local store for the Experiments screen.
    Experiments(ExperimentsRequest),
    /// Work for the Serving screen.
    Serving(ServingRequest),
    /// Work for the Notebooks screen.
    Notebooks(NotebooksRequest),
    /// Work for the Model analysis screen.
    ModelAnalysis(ModelAnalysisRequest),
    /// Work for the Nodes screen's Teams tab.
    Teams(TeamsRequest),
}

/// Results of background work, applied to the model in order.
#[derive(Debug)]
pub enum Event {
    /// Writing the settings file failed (the message says where and why).
    SettingsSaveFailed(String),
    Cluster(ClusterEvent),
    Logs(LogEvent),
    /// Answers for the Install screen.
    Stack(StackEvent),
    Export(ExportEvent),
    Training(TrainingEvent),
    Experiments(ExperimentsEvent),
    Serving(ServingEvent),
    Notebooks(NotebooksEvent),
    ModelAnalysis(ModelAnalysisEvent),
    Teams(TeamsEvent),
}

/// Kubeconfig, connection and the live view of the cluster.
#[derive(Debug)]
pub enum ClusterRequest {
    /// Read the kubeconfig files and report their contexts.
    LoadKubeconfig(KubeconfigSources),
    /// Let the user pick a kubeconfig file with the system file dialog.
    PickKubeconfigFile,
    /// Connect to a kubeconfig context; `attempt` identifies the answer.
    Connect { sources: KubeconfigSources, context: String, attempt: u64 },
    /// Stop connecting (or stop watching the current cluster).
    Disconnect,
    /// Filter and sort the pod list this way from now on.
    PodQuery(PodQuery),
    /// Start the built-in demo cluster (kubesim) and report its kubeconfig.
    StartDemo,
    /// Fetch a pod's containers and events for its detail.
    PodDetail { namespace: String, name: String },
}

/// Answers to [`ClusterRequest`]s.
#[derive(Debug)]
pub enum ClusterEvent {
    /// The kubeconfig files were read (or why they could not be).
    Kubeconfig(Result<KubeconfigSummary, String>),
    /// The user picked a kubeconfig file to add.
    KubeconfigFilePicked(PathBuf),
    /// The result of connection attempt `attempt`.
    Connected { attempt: u64, result: Result<ClusterInfo, String> },
    /// A fresh view of the cluster of connection `attempt`.
    Snapshot { attempt: u64, snapshot: Arc<ClusterSnapshot> },
    /// The demo cluster runs; its kubeconfig is here (or why it could not start).
    DemoStarted(Result<PathBuf, String>),
    /// A pod's detail (or why it could not be read).
    PodDetail { namespace: String, name: String, result: Result<PodDetail, String> },
}

/// Container logs.
#[derive(Debug)]
pub enum LogRequest {
    /// Stream a container's log (replacing any stream before); `id` identifies the answers.
    Stream { id: u64, namespace: String, pod: String, container: String, follow: bool },
    /// Stop the log stream.
    Stop,
}

/// Answers to [`LogRequest`]s.
#[derive(Debug)]
pub enum LogEvent {
    /// More lines of log stream `id`; `done` when the stream ended (with an error, if it failed).
    Lines { id: u64, lines: Vec<String>, done: Option<Result<(), String>> },
}

/// Files written for the user.
#[derive(Debug)]
pub enum ExportRequest {
    /// Save a chart; with no path, ask for one with a save dialog.
    Chart { chart: Chart, style: ChartStyle, format: ExportFormat, path: Option<PathBuf> },
}

/// Answers to [`ExportRequest`]s.
#[derive(Debug)]
pub enum ExportEvent {
    /// The file was written here.
    Saved(PathBuf),
    /// Writing failed (the message says where and why).
    Failed(String),
}

/// What the Install screen asks of the cluster; `id` ties answers to questions.
#[derive(Debug, Clone)]
pub enum StackRequest {
    /// What is installed, and how it is doing.
    Status,
    Preflight {
        id: u64,
        source: Source,
    },
    /// A server-side dry run of the source, with per-object diffs.
    Review {
        id: u64,
        source: Source,
    },
    Install {
        id: u64,
        source: Source,
        options: InstallOptions,
    },
    Uninstall {
        id: u64,
        delete_data: bool,
    },
    /// Stop the running install or uninstall.
    Cancel,
    /// Let the user pick a folder of YAML to apply.
    PickFolder,
}

/// Answers to [`StackRequest`]s.
#[derive(Debug, Clone)]
pub enum StackEvent {
    Status(Result<Option<Box<StackStatus>>, String>),
    Preflight {
        id: u64,
        result: Result<Vec<Check>, String>,
    },
    Review {
        id: u64,
        result: Result<Vec<ObjectDiff>, String>,
    },
    Progress {
        id: u64,
        progress: Progress,
    },
    /// An install or uninstall ended.
    Finished {
        id: u64,
        result: Result<InstallReport, String>,
    },
    /// The folder the user picked (none if they cancelled).
    FolderPicked(Option<PathBuf>),
}

/// A training job by kind, namespace and name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct JobKey {
    pub kind: JobKind,
    pub namespace: String,
    pub name: String,
}

impl JobKey {
    pub fn display(&self) -> String {
        format!("{}/{}/{}", self.kind, self.namespace, self.name)
    }
}

pub use crate::resources::training::Recorder;

/// Work for the Training screen.
#[derive(Debug, Clone)]
pub enum TrainingRequest {
    /// Apply these objects (server-side apply), claims before the job.
    Submit(Vec<serde_json::Value>),
    /// Keep the form as the draft (atomically, debounced by the caller's pace).
    SaveDraft(Box<TrainingSpec>),
    /// Gather a job's flight recorder: live pods and events, and what the local store kept.
    Recorder(JobKey),
    Delete(JobKey),
    Suspend(JobKey, bool),
    /// Set how a run's log is read for metrics (its annotations; the keeper reads its kept log again).
    SetMetrics(JobKey, crate::resources::training::MetricSpec),
    /// Read a job's object (to clone it into the form).
    Fetch(JobKey),
    /// Save text (the job's YAML, a replica's log) to a file the user picks.
    SaveText {
        title: String,
        file_name: String,
        text: String,
    },
    /// Let the user pick a YAML file and read it into the form.
    ImportYaml,
    /// Keep the form as a named template.
    SaveTemplate {
        name: String,
        spec: Box<TrainingSpec>,
    },
}

/// The server's refusal of a submit: its message, and its field causes (field path, message).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Refusal {
    pub message: String,
    pub causes: Vec<(String, String)>,
}

/// Answers to [`TrainingRequest`]s.
#[derive(Debug, Clone)]
pub enum TrainingEvent {
    /// What was created (`kind/namespace/name`), or why not.
    Submitted(Result<Vec<String>, Refusal>),
    Recorder {
        key: JobKey,
        result: Result<Box<Recorder>, String>,
    },
    Deleted(Result<JobKey, String>),
    Suspended(Result<(JobKey, bool), String>),
    MetricsSet(Result<JobKey, String>),
    Fetched(Result<serde_json::Value, String>),
    Exported(Result<PathBuf, String>),
    /// The text of the YAML file the user picked, and its name.
    Imported(Result<(PathBuf, String), String>),
}

/// Reads of the local store for the Experiments screen.
#[derive(Debug, Clone)]
pub enum ExperimentsRequest {
    /// Every run kept for `cluster` (its context's name), and the points of `metric` of `experiment`'s runs.
    Load { cluster: String, experiment: Option<String>, metric: Option<String>, folders: Vec<PathBuf> },
    /// Let the user pick a folder of TensorBoard runs to compare.
    PickFolder,
}

#[derive(Debug, Clone)]
pub enum ExperimentsEvent {
    Loaded(Result<Box<super::experiments::ExperimentsData>, String>),
    /// The folder the user picked.
    FolderPicked(PathBuf),
}

/// Work for the Serving screen: deploy, read a server's detail, act on it, and try it through a port-forward.
#[derive(Debug, Clone)]
pub enum ServingRequest {
    /// Apply these objects (server-side apply) in order.
    Deploy(Vec<serde_json::Value>),
    /// Keep the form as the draft.
    SaveDraft(Box<crate::workloads::serving::ServingSpec>),
    /// Find the stack's model-server template (the `tf-serving` component's ConfigMap), if it is installed.
    Template,
    /// Read a server's pods, revisions, conditions and events.
    Detail {
        namespace: String,
        name: String,
    },
    Scale {
        namespace: String,
        deployment: String,
        replicas: u32,
    },
    Autoscale {
        namespace: String,
        hpa: String,
        min: u32,
        max: u32,
    },
    Update {
        namespace: String,
        deployment: String,
        image: Option<String>,
        version: Option<crate::workloads::serving::VersionPolicy>,
    },
    Rollback {
        namespace: String,
        deployment: String,
    },
    StartCanary {
        namespace: String,
        server: String,
        image: Option<String>,
        version: Option<crate::workloads::serving::VersionPolicy>,
        stable: u32,
        canary: u32,
    },
    Split {
        namespace: String,
        server: String,
        stable: u32,
        canary: u32,
    },
    Promote {
        namespace: String,
        server: String,
    },
    AbortCanary {
        namespace: String,
        server: String,
    },
    Delete {
        namespace: String,
        server: String,
    },
    /// `GET /v1/models/MODEL` through a forward to a ready pod of the server.
    ModelStatus {
        namespace: String,
        server: String,
        model: String,
        port: u16,
    },
    /// `POST /v1/models/MODEL:predict` with `body`.
    Predict {
        namespace: String,
        server: String,
        model: String,
        port: u16,
        body: String,
    },
    LoadTest {
        namespace: String,
        server: String,
        model: String,
        port: u16,
        body: String,
        requests: usize,
        concurrency: usize,
    },
}

/// Answers to [`ServingRequest`]s.
#[derive(Debug, Clone)]
pub enum ServingEvent {
    /// What was applied (`Kind/namespace/name`), or why not.
    Deployed(Result<Vec<String>, Refusal>),
    Detail {
        namespace: String,
        name: String,
        result: Result<crate::cluster::serving::ServerDetail, String>,
    },
    /// An action ended: what was done (for the toast), or why not.
    Done {
        what: String,
        result: Result<(), String>,
    },
    ModelStatus(Result<crate::cluster::forward::Reply, String>),
    Predicted(Result<crate::cluster::forward::Reply, String>),
    /// The stack's model-server template: its namespace and settings (none when it is not installed).
    Template(Option<(String, std::collections::BTreeMap<String, String>)>),
    /// Requests of the load test done so far.
    LoadProgress(usize),
    LoadDone(Result<Box<crate::cluster::forward::LoadReport>, String>),
}

/// Work for the Teams tab: GPUs by team against their quotas, and the PriorityClasses.
#[derive(Debug, Clone)]
pub enum TeamsRequest {
    /// Read the teams (all namespaces when `None`), the PriorityClasses, and whether the user may create them.
    List { namespace: Option<String> },
    /// Apply the preset PriorityClass ladder.
    ApplyLadder,
    /// Read the PriorityClasses (for the launch forms).
    ListPriorities,
    /// Set a team's accelerator quota (and, when `max_per_container` > 0, the most one container may ask for).
    ApplyQuota(crate::state::teams::QuotaForm),
    /// Run the capacity planner on the watch caches' ledger and pending accelerator pods (of `namespace`, all when
    /// `None`) with the jobs' pods the quotas (as `what_ifs` set them) would let in: for `shape`, or every kind of node.
    Plan {
        namespace: Option<String>,
        shape: Option<String>,
        max: u32,
        what_ifs: Vec<crate::workloads::missing_pods::QuotaWhatIf>,
    },
}

/// What the Teams tab shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamsData {
    pub teams: Vec<crate::resources::teams::TeamRow>,
    pub priorities: Vec<crate::cluster::priorities::PriorityRow>,
    /// Whether the user may create PriorityClasses (a viewer sees the classes, not the button).
    pub may_create_priorities: bool,
    /// Whether the user may set ResourceQuotas and LimitRanges (a viewer sees the numbers, not the form).
    pub may_edit_quotas: bool,
    /// Kueue's queues, when Kueue is installed and readable.
    pub kueue: Option<crate::resources::kueue::Queues>,
}

/// Answers to [`TeamsRequest`]s.
#[derive(Debug)]
pub enum TeamsEvent {
    Listed(Result<Box<TeamsData>, String>),
    LadderApplied(Result<Vec<String>, String>),
    Planned(Result<Vec<crate::workloads::capacity::Plan>, String>),
    /// The PriorityClasses, and Kueue's LocalQueues (empty without Kueue), for the forms' pickers.
    Priorities(
        Result<Vec<crate::cluster::priorities::PriorityRow>, String>,
        Vec<crate::resources::kueue::LocalQueueRow>,
    ),
    QuotaApplied(Result<String, String>),
}

/// Work for the Model analysis screen.
#[derive(Debug, Clone)]
pub enum ModelAnalysisRequest {
    /// Let the user pick per-example files (or a folder of shards) and look at their columns.
    PickExamples { folder: bool },
    /// Let the user pick a sliced-metrics document.
    PickDocument,
    /// Read the files and compute their slices (evaluation `id`), keeping the examples for curves.
    Compute {
        id: u64,
        paths: Vec<PathBuf>,
        columns: crate::metrics::examples::Columns,
        slicings: Vec<crate::metrics::slices::Slicing>,
        options: crate::metrics::slices::Options,
    },
    /// One slice's ROC and calibration curves from evaluation `id`'s examples.
    Curves { id: u64, slice: String },
    /// The evaluation is closed: drop its examples.
    Forget(u64),
    /// Read the sliced metrics evaluation jobs left on the cluster (all namespaces when `None`).
    ListCluster { namespace: Option<String> },
}

/// Answers to [`ModelAnalysisRequest`]s.
#[derive(Debug)]
pub enum ModelAnalysisEvent {
    /// Files were picked: their columns, sampled.
    ExamplesPicked {
        paths: Vec<PathBuf>,
        columns: Result<Vec<crate::metrics::examples::ColumnInfo>, String>,
    },
    DocumentPicked {
        path: PathBuf,
        document: Result<crate::metrics::sliced::SlicedMetrics, String>,
    },
    /// How far the computation of evaluation `id` is (0..1) and what it is doing.
    Progress {
        id: u64,
        fraction: f32,
        phase: String,
    },
    /// The slices of evaluation `id`, and when its files were last written (RFC 3339).
    Computed {
        id: u64,
        rows: Result<Vec<crate::metrics::slices::SliceRow>, String>,
        time: String,
    },
    Curves {
        id: u64,
        slice: String,
        curves: Result<crate::metrics::analysis::Curves, String>,
    },
    ClusterListed(Result<Vec<crate::cluster::evaluations::Found>, String>),
}

/// Work for the Notebooks screen.
#[derive(Debug, Clone)]
pub enum NotebooksRequest {
    /// Read the notebook servers (all namespaces when `None`) and JupyterHub's health.
    List {
        namespace: Option<String>,
    },
    Start(Box<crate::workloads::notebook::NotebookSpec>),
    SaveDraft(Box<crate::workloads::notebook::NotebookSpec>),
    Scale {
        namespace: String,
        name: String,
        replicas: u32,
    },
    Delete {
        namespace: String,
        name: String,
    },
    /// Forward a local port to `target` (`svc/NAME`, `pod/NAME`) `port`; the page to open is `path`, with the token
    /// of the Bosun notebook `token_of`.
    Forward {
        id: u64,
        namespace: String,
        target: String,
        port: u16,
        token_of: Option<String>,
        path: String,
    },
    CloseForward(u64),
}

/// Answers to [`NotebooksRequest`]s.
#[derive(Debug, Clone)]
pub enum NotebooksEvent {
    Listed(Result<crate::cluster::notebooks::Notebooks, String>),
    Started(Result<Vec<String>, String>),
    Done {
        what: String,
        result: Result<(), String>,
    },
    Forwarding(Result<super::notebooks::ActiveForward, String>),
    /// A forward stopped by itself (its listener failed).
    ForwardEnded {
        id: u64,
        why: String,
    },
}

macro_rules! area {
    ($outer:ident :: $variant:ident ($inner:ty)) => {
        impl From<$inner> for $outer {
            fn from(inner: $inner) -> Self {
                $outer::$variant(inner)
            }
        }
    };
}
area!(Request::Cluster(ClusterRequest));
area!(Request::Logs(LogRequest));
area!(Request::Stack(StackRequest));
area!(Request::Export(ExportRequest));
area!(Request::Training(TrainingRequest));
area!(Event::Training(TrainingEvent));
area!(Request::Experiments(ExperimentsRequest));
area!(Event::Experiments(ExperimentsEvent));
area!(Event::Cluster(ClusterEvent));
area!(Event::Logs(LogEvent));
area!(Event::Stack(StackEvent));
area!(Event::Export(ExportEvent));
area!(Request::Serving(ServingRequest));
area!(Request::Notebooks(NotebooksRequest));
area!(Event::Notebooks(NotebooksEvent));
area!(Request::ModelAnalysis(ModelAnalysisRequest));
area!(Request::Teams(TeamsRequest));
area!(Event::Teams(TeamsEvent));
area!(Event::ModelAnalysis(ModelAnalysisEvent));
area!(Event::Serving(ServingEvent));
