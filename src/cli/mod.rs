//! The command line: raw arguments (clap) turned into a validated [`Config`] with the [`Mode`] to run.

pub mod bench;
pub mod bench_forward;
pub mod bench_metrics;
pub mod bench_plan;
pub mod bench_recorder;
pub mod bench_slices;
pub mod bench_tfevents;
pub mod install;
pub mod metrics;
pub mod nodes;
pub mod plan;
pub mod runs;
pub mod serving;
pub mod slices;
pub mod teams;
pub mod training;

use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::state::LaunchOptions;
use crate::workloads::missing_pods::QuotaWhatIf;

/// Bosun: machine learning on Kubernetes in one fast desktop window.
///
/// Starts the desktop app. Kubeconfig files are found as kubectl finds them: --kubeconfig, else the files in
/// KUBECONFIG (merged), else ~/.kube/config.
#[derive(Debug, Parser)]
#[command(name = "bosun", version, about, long_about)]
pub struct Args {
    /// Path to a kubeconfig file (replaces KUBECONFIG and ~/.kube/config).
    #[arg(long, value_name = "PATH", global = true)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the last one used, else the current context).
    #[arg(long, value_name = "NAME", global = true)]
    pub context: Option<String>,
    /// The namespace to show (default: the context's namespace).
    #[arg(long, short = 'n', value_name = "NS", global = true)]
    pub namespace: Option<String>,
    /// Say more on stderr: -v warnings of the libraries, -vv their progress, -vvv everything (RUST_LOG overrides).
    #[arg(long, short = 'v', action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Start with the built-in demo cluster (a simulated GPU lab) instead of a kubeconfig.
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub demo: bool,
    /// Folder for Bosun's settings (default: the platform's config folder, e.g. ~/.config/bosun).
    #[arg(long, global = true, value_name = "DIR", env = crate::settings::CONFIG_DIR_ENV)]
    pub config_dir: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless commands; without one, Bosun opens its window.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the GPU ledger: per node the accelerators (capacity/allocatable/requested/free), CPU, memory, taints.
    Nodes {
        /// Output format.
        #[arg(long, short = 'o', value_enum, default_value_t = nodes::Output::Table)]
        output: nodes::Output,
        /// Give up when the cluster has not answered in full after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// GPUs per team (namespace): requested, in use, the accelerator quota, running and waiting pods, the oldest
    /// wait, and who made them.
    Teams {
        #[arg(long, short = 'o', value_enum, default_value_t = teams::Output::Table)]
        output: teams::Output,
    },
    /// The capacity planner: how many nodes like NODE it takes to run every pod waiting for accelerators (training
    /// jobs as a whole), what would still wait and why, and the accelerator use after. Without --shape, every kind
    /// of node that could help is tried, the best first.
    Plan {
        /// The node to copy (its GPUs, model, CPU, memory, labels and taints).
        #[arg(long, value_name = "NODE")]
        shape: Option<String>,
        /// The most new nodes to consider.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=5000))]
        max: u32,
        /// Plan as if a team's accelerator quota were N: NAMESPACE=N (every accelerator its quotas limit) or
        /// NAMESPACE/RESOURCE=N. The pods it would then let their controllers create are planned too. Repeatable.
        #[arg(long, value_name = "NS=N")]
        quota: Vec<QuotaWhatIf>,
        #[arg(long, short = 'o', value_enum, default_value_t = plan::Output::Table)]
        output: plan::Output,
    },
    /// Install, upgrade or repair the ML stack (all components unless --components), or apply a folder of YAML.
    Install {
        /// Components to install (their dependencies come along), comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "A,B")]
        components: Vec<String>,
        /// A setting: component.param=value, or namespace=, registry=, storageClass=, gpuResource= for the stack.
        #[arg(long = "set", value_name = "NAME=VALUE")]
        sets: Vec<String>,
        /// Show the plan and what would change (server-side dry run); change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
        /// Give up waiting for readiness after this long (e.g. 90s, 5m).
        #[arg(long, default_value = "5m", value_parser = install::parse_duration)]
        timeout: Duration,
        /// Apply and return without waiting for readiness.
        #[arg(long)]
        no_wait: bool,
        /// Apply this folder of YAML (recursively, like kubectl apply -f DIR -R) instead of the stack.
        #[arg(long, short = 'f', value_name = "DIR", conflicts_with_all = ["components", "sets"])]
        filename: Option<PathBuf>,
    },
    /// Remove everything the stack installed (PersistentVolumeClaims stay unless --delete-data).
    Uninstall {
        #[arg(long, short = 'y')]
        yes: bool,
        /// Uninstall the folder of YAML installed with `bosun install -f DIR` (its objects only), not the stack.
        #[arg(long = "filename", short = 'f', value_name = "DIR")]
        filename: Option<PathBuf>,
        /// Also delete volumes that hold data (the JupyterHub database).
        #[arg(long)]
        delete_data: bool,
    },
    /// What is installed, at which versions, and whether it is healthy.
    Status,
    /// Write the rendered stack as YAML files (one per component) without touching a cluster.
    Render {
        #[arg(long, value_delimiter = ',', value_name = "A,B")]
        components: Vec<String>,
        #[arg(long = "set", value_name = "NAME=VALUE")]
        sets: Vec<String>,
        /// Folder to write into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
    },
    /// Submit a training job (TFJob, PyTorchJob, XGBoostJob, MPIJob or Job) from YAML, or a sweep of runs of it.
    Submit {
        /// The job's YAML file.
        file: PathBuf,
        /// Have the server check everything and store nothing.
        #[arg(long)]
        dry_run: bool,
        /// Wait until every run succeeded (exit 0) or one failed (exit 1, with its exit code and last log lines).
        #[arg(long)]
        wait: bool,
        /// How long --wait waits (e.g. 90s, 10m); exit 3 when time runs out.
        #[arg(long, default_value = "10m", value_parser = install::parse_duration)]
        timeout: Duration,
        /// A hyperparameter: lr=0.1,0.01 (a grid over every --param), or lr=1e-4..1e-1:log with --random.
        #[arg(long = "param", value_name = "NAME=VALUES")]
        params: Vec<String>,
        /// Sample this many runs over the --param ranges instead of a grid.
        #[arg(long, value_name = "N")]
        random: Option<usize>,
        /// The seed of --random (the same seed gives the same runs).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The experiment the runs belong to (label bosun.dev/experiment; default: the job's name).
        #[arg(long)]
        experiment: Option<String>,
    },
    /// Whether a job's pods fit on the cluster now, later, or never — and why, in the scheduler's words.
    Fit {
        /// The job's YAML file.
        file: PathBuf,
        #[arg(long, short = 'o', value_enum, default_value_t = training::Output::Table)]
        output: training::Output,
        /// Give up when the cluster has not listed nodes and pods after this many seconds.
        #[arg(long, default_value_t = 60)]
        timeout: u64,
    },
    /// Every training job (TFJob, PyTorchJob, XGBoostJob, MPIJob, Job) in the namespace (all without --namespace).
    Jobs {
        #[arg(long, short = 'o', value_enum, default_value_t = training::Output::Table)]
        output: training::Output,
        /// Keep printing as jobs change.
        #[arg(long, short = 'w')]
        watch: bool,
    },
    /// The scalars of a TensorBoard event file, or of a folder of runs (one per folder), as CSV or JSON.
    Tfevents {
        path: PathBuf,
        #[arg(long, short = 'o', value_enum, default_value_t = metrics::Format::Csv)]
        output: metrics::Format,
    },
    /// The metric points the local store keeps (run,tag,step,wall_time,value; run is namespace/name), after reading
    /// the logs of the runs' pods that still exist.
    Metrics {
        /// Only the runs of this experiment (label bosun.dev/experiment).
        #[arg(long, conflicts_with = "run")]
        experiment: Option<String>,
        /// Only this run: NAMESPACE/NAME, or NAME.
        #[arg(long)]
        run: Option<String>,
        /// Read only the local store, not the cluster.
        #[arg(long)]
        offline: bool,
        /// Read the runs' kept log lines again with this regex (group 1 the name, group 2 the value) and keep what
        /// it finds instead.
        #[arg(long, value_name = "REGEX")]
        pattern: Option<String>,
        /// Read the kept lines again for only these metrics (lines without a step count too), comma-separated.
        #[arg(long, value_delimiter = ',', value_name = "NAMES")]
        metrics: Vec<String>,
        #[arg(long, short = 'o', value_enum, default_value_t = metrics::Format::Csv)]
        output: metrics::Format,
    },
    /// Training runs with their hyperparameters, state and best value of each metric (from the cluster and the
    /// local store).
    Runs {
        #[arg(long)]
        experiment: Option<String>,
        /// Read only the local store, not the cluster.
        #[arg(long)]
        offline: bool,
        #[arg(long, short = 'o', value_enum, default_value_t = training::Output::Table)]
        output: training::Output,
    },
    /// Deploy a model server from a serving spec (the Serving form's fields in YAML) or from Kubernetes YAML
    /// (a Deployment of TF Serving or a KServe server, with its Service and autoscaler).
    Serve {
        file: PathBuf,
        /// Wait until every replica is available (exit 3 when time runs out, 1 when the roll-out stalls).
        #[arg(long)]
        wait: bool,
        /// How long --wait waits (e.g. 90s, 10m).
        #[arg(long, default_value = "5m", value_parser = install::parse_duration)]
        timeout: Duration,
        /// Have the server check everything and store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Model servers: TF Serving and KServe-server Deployments (with canary and autoscaler) and InferenceServices.
    Servers {
        #[arg(long, short = 'o', value_enum, default_value_t = training::Output::Table)]
        output: training::Output,
    },
    /// Send a prediction to a model server through a port-forward to a ready pod; prints its JSON answer (and the
    /// latency on stderr).
    Predict {
        /// The server (its Deployment's name, or its bosun.dev/server label).
        server: String,
        /// The model to ask (default: the one the server names).
        #[arg(long)]
        model: Option<String>,
        /// The request body, e.g. '{"instances": [[1.0, 2.0]]}'.
        #[arg(long, value_name = "JSON")]
        json: String,
    },
    /// Forward a local port to a pod or a Service (a ready pod of it, re-chosen when it goes) until interrupted.
    Forward {
        /// pod/NAME or svc/NAME.
        target: String,
        /// LOCAL:REMOTE (or :REMOTE for any free local port).
        ports: String,
    },
    /// Metrics per slice of per-example evaluation data (CSV or JSON lines files, or folders of them): one row per
    /// slice, `Overall` first, then `col=value` and crosses `a=x&b=y`.
    Slices(slices::SlicesArgs),
    /// Benchmarks against a simulated cluster (needs the kubesim binary and kubectl).
    Bench {
        #[command(subcommand)]
        bench: BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time and peak memory to sync nodes and pods: Bosun's state layer vs kubectl, on kubesim's scale fleet.
    Sync {
        #[arg(long, default_value_t = 5000)]
        nodes: usize,
        #[arg(long, default_value_t = 150_000)]
        pods: usize,
    },
    /// The ML stack to all-ready: bosun install vs kubectl apply -R + kubectl wait, on fresh demo clusters.
    Install,
    /// The measured client of `bench sync` (run by it).
    #[command(hide = true)]
    SyncClient,
    /// Keeping training logs in the local store: CPU share for N pods printing M lines a second each.
    Store {
        #[arg(long, default_value_t = 100)]
        pods: usize,
        #[arg(long, default_value_t = 100)]
        rate: u32,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
    },
    /// The flight recorder of a running N-replica TFJob: gathered by Bosun vs kubectl describe + logs.
    Recorder {
        #[arg(long, default_value_t = 64)]
        replicas: u32,
    },
    /// Reading every scalar of an event file of N points: Bosun's reader vs TensorBoard's EventAccumulator.
    Tfevents {
        #[arg(long, default_value_t = 1_000_000)]
        points: usize,
    },
    /// Katib-format log lines parsed and their points stored in a fresh local store: lines/s, points/s, bytes/point.
    Metrics {
        #[arg(long, default_value_t = 1_000_000)]
        lines: usize,
    },
    /// Predict requests through a port-forward at a fixed concurrency: Bosun's forward vs kubectl port-forward to
    /// the same model server pod (throughput and p99).
    Forward {
        #[arg(long, default_value_t = 20_000)]
        requests: usize,
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
    },
    /// The capacity planner on a 5,000-node fleet with 150,000 pods and 2,000 pending GPU pods (goal: 1 s).
    Plan {
        #[arg(long, default_value_t = 5_000)]
        nodes: usize,
        #[arg(long, default_value_t = 150_000)]
        pods: usize,
        #[arg(long, default_value_t = 2_000)]
        pending: usize,
    },
    /// Metrics per slice of N examples: `bosun slices` vs pandas groupby + scikit-learn on the same CSV.
    Slices {
        #[arg(long, default_value_t = 10_000_000)]
        rows: usize,
    },
    /// Reads an event file and prints its number of scalars (the measured side of `bench tfevents`).
    #[command(hide = true)]
    TfeventsRead { file: PathBuf },
    /// Writes batches into a store until killed (the crash test's victim).
    #[command(hide = true)]
    StoreWriter {
        #[arg(long)]
        db: PathBuf,
        #[arg(long, default_value_t = 500)]
        batch: usize,
    },
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Gui { launch: LaunchOptions, demo: bool },
    Nodes { launch: LaunchOptions, output: nodes::Output, timeout: Duration },
    Teams { launch: LaunchOptions, output: teams::Output },
    Plan { launch: LaunchOptions, shape: Option<String>, max: u32, quota: Vec<QuotaWhatIf>, output: plan::Output },
    Install { launch: LaunchOptions, args: install::InstallArgs },
    Uninstall { launch: LaunchOptions, yes: bool, delete_data: bool, folder: Option<PathBuf> },
    Status { launch: LaunchOptions },
    Render { components: Vec<String>, sets: Vec<String>, out: PathBuf },
    Submit { launch: LaunchOptions, args: training::SubmitArgs },
    Fit { launch: LaunchOptions, file: PathBuf, output: training::Output, timeout: Duration },
    Jobs { launch: LaunchOptions, output: training::Output, watch: bool },
    Tfevents { path: PathBuf, output: metrics::Format },
    Metrics { launch: LaunchOptions, selection: runs::Selection, output: metrics::Format },
    Runs { launch: LaunchOptions, selection: runs::Selection, output: training::Output },
    Slices(slices::SlicesArgs),
    Serve { launch: LaunchOptions, file: PathBuf, wait: bool, timeout: Duration, dry_run: bool },
    Servers { launch: LaunchOptions, output: training::Output },
    Predict { launch: LaunchOptions, server: String, model: Option<String>, json: String },
    Forward { launch: LaunchOptions, target: String, ports: String },
    BenchSync { nodes: usize, pods: usize },
    BenchInstall,
    BenchSyncClient { launch: LaunchOptions },
    BenchStore { pods: usize, rate: u32, seconds: u64 },
    BenchStoreWriter { db: PathBuf, batch: usize },
    BenchRecorder { replicas: u32 },
    BenchTfevents { points: usize },
    BenchMetrics { lines: usize },
    BenchTfeventsRead { file: PathBuf },
    BenchForward { requests: usize, concurrency: usize },
    BenchSlices { rows: usize },
    BenchPlan { nodes: usize, pods: usize, pending: usize },
}

/// Validated command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub mode: Mode,
    pub config_dir: Option<PathBuf>,
}

impl Args {
    /// The log filter for `-v` counts; quiet by default, so library retries do not flood a command's output.
    pub fn log_filter(&self) -> &'static str {
        match self.verbose {
            // The command's own error is printed once at the end; library chatter only on request.
            0 => "off,bosun=warn",
            1 => "warn,bosun=info",
            2 => "info,bosun=debug",
            _ => "debug",
        }
    }

    pub fn into_config(self) -> anyhow::Result<Config> {
        if let Some(ns) = &self.namespace {
            anyhow::ensure!(
                is_dns_label(ns),
                "--namespace {ns:?} is not a valid namespace name (lower-case letters, digits and '-', at most 63 characters)"
            );
        }
        let launch = LaunchOptions { kubeconfig: self.kubeconfig, context: self.context, namespace: self.namespace };
        let mode = match self.command {
            None => Mode::Gui { launch, demo: self.demo },
            Some(_) if self.demo => anyhow::bail!(
                "--demo only applies to the window; point headless commands at a cluster with --kubeconfig"
            ),
            Some(Command::Nodes { output, timeout }) => {
                Mode::Nodes { launch, output, timeout: Duration::from_secs(timeout) }
            }
            Some(Command::Install { components, sets, dry_run, yes, timeout, no_wait, filename }) => Mode::Install {
                launch,
                args: install::InstallArgs { components, sets, dry_run, yes, timeout, no_wait, folder: filename },
            },
            Some(Command::Uninstall { yes, delete_data, filename }) => {
                Mode::Uninstall { launch, yes, delete_data, folder: filename }
            }
            Some(Command::Status) => Mode::Status { launch },
            Some(Command::Render { components, sets, out }) => Mode::Render { components, sets, out },
            Some(Command::Submit { file, dry_run, wait, timeout, params, random, seed, experiment }) => Mode::Submit {
                launch,
                args: training::SubmitArgs { file, dry_run, wait, timeout, params, random, seed, experiment },
            },
            Some(Command::Fit { file, output, timeout }) => {
                Mode::Fit { launch, file, output, timeout: Duration::from_secs(timeout) }
            }
            Some(Command::Jobs { output, watch }) => Mode::Jobs { launch, output, watch },
            Some(Command::Tfevents { path, output }) => Mode::Tfevents { path, output },
            Some(Command::Metrics { experiment, run, offline, pattern, metrics, output }) => {
                let selection = runs::Selection { experiment, run, offline, pattern, metrics };
                Mode::Metrics { launch, selection, output }
            }
            Some(Command::Runs { experiment, offline, output }) => {
                let selection = runs::Selection { experiment, run: None, offline, pattern: None, metrics: Vec::new() };
                Mode::Runs { launch, selection, output }
            }
            Some(Command::Slices(args)) => Mode::Slices(args),
            Some(Command::Serve { file, wait, timeout, dry_run }) => {
                Mode::Serve { launch, file, wait, timeout, dry_run }
            }
            Some(Command::Servers { output }) => Mode::Servers { launch, output },
            Some(Command::Teams { output }) => Mode::Teams { launch, output },
            Some(Command::Plan { shape, max, quota, output }) => Mode::Plan { launch, shape, max, quota, output },
            Some(Command::Predict { server, model, json }) => Mode::Predict { launch, server, model, json },
            Some(Command::Forward { target, ports }) => Mode::Forward { launch, target, ports },
            Some(Command::Bench { bench: BenchCommand::Sync { nodes, pods } }) => Mode::BenchSync { nodes, pods },
            Some(Command::Bench { bench: BenchCommand::SyncClient }) => Mode::BenchSyncClient { launch },
            Some(Command::Bench { bench: BenchCommand::Install }) => Mode::BenchInstall,
            Some(Command::Bench { bench: BenchCommand::Store { pods, rate, seconds } }) => {
                Mode::BenchStore { pods, rate, seconds }
            }
            Some(Command::Bench { bench: BenchCommand::Recorder { replicas } }) => Mode::BenchRecorder { replicas },
            Some(Command::Bench { bench: BenchCommand::Tfevents { points } }) => Mode::BenchTfevents { points },
            Some(Command::Bench { bench: BenchCommand::Metrics { lines } }) => Mode::BenchMetrics { lines },
            Some(Command::Bench { bench: BenchCommand::TfeventsRead { file } }) => Mode::BenchTfeventsRead { file },
            Some(Command::Bench { bench: BenchCommand::Slices { rows } }) => Mode::BenchSlices { rows },
            Some(Command::Bench { bench: BenchCommand::Plan { nodes, pods, pending } }) => {
                Mode::BenchPlan { nodes, pods, pending }
            }
            Some(Command::Bench { bench: BenchCommand::Forward { requests, concurrency } }) => {
                Mode::BenchForward { requests, concurrency }
            }
            Some(Command::Bench { bench: BenchCommand::StoreWriter { db, batch } }) => {
                Mode::BenchStoreWriter { db, batch }
            }
        };
        Ok(Config { mode, config_dir: self.config_dir })
    }
}

/// A client for the chosen (or current) context, connected and checked.
pub(crate) async fn client_for(launch: &LaunchOptions) -> anyhow::Result<kube::Client> {
    let sources =
        crate::cluster::kubeconfig::KubeconfigSources { explicit: launch.kubeconfig.clone(), extra: Vec::new() };
    let kubeconfig = tokio::task::spawn_blocking(move || sources.merged()).await??;
    let context = match launch.context.clone().or_else(|| kubeconfig.current_context.clone()) {
        Some(c) => c,
        None => anyhow::bail!("the kubeconfig has no current context: pass --context NAME"),
    };
    let (client, _) = crate::cluster::connect::connect(kubeconfig, &context).await?;
    Ok(client)
}

/// The cluster refused a request for lack of permission: final (retrying will not help), exit code 4.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "could not {action}: {message}. Ask a cluster admin for this permission, or use a context whose account has it."
)]
pub struct Forbidden {
    pub action: String,
    pub message: String,
}

/// The exit code scripts read: 2 bad input, 3 not ready in time, 4 forbidden, 1 anything else.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if let Some(install) = error.downcast_ref::<crate::cluster::install::InstallError>() {
        return u8::try_from(install.exit_code()).unwrap_or(1);
    }
    if error.downcast_ref::<Forbidden>().is_some() {
        return 4;
    }
    if let Some(job) = error.downcast_ref::<crate::cluster::training::JobError>() {
        return job.exit_code();
    }
    if let Some(forward) = error.downcast_ref::<crate::cluster::forward::ForwardError>() {
        return forward.exit_code();
    }
    if error.downcast_ref::<crate::stack::StackError>().is_some()
        || error.downcast_ref::<metrics::BadPath>().is_some()
        || error.downcast_ref::<runs::NothingFound>().is_some()
        || error.downcast_ref::<runs::BadPattern>().is_some()
        || error.downcast_ref::<slices::BadSlices>().is_some()
    {
        return 2;
    }
    1
}

pub use kubefmt::names::is_dns_label;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_launch_options() {
        let args = Args::try_parse_from(["bosun", "--kubeconfig", "/k", "--context", "prod", "-n", "ml"]).unwrap();
        let config = args.into_config().unwrap();
        let Mode::Gui { launch, demo } = config.mode else { panic!("expected the window") };
        assert!(!demo);
        assert_eq!(launch.kubeconfig, Some(PathBuf::from("/k")));
        assert_eq!(launch.context.as_deref(), Some("prod"));
        assert_eq!(launch.namespace.as_deref(), Some("ml"));
    }

    #[test]
    fn demo_excludes_an_explicit_kubeconfig() {
        assert!(Args::try_parse_from(["bosun", "--demo", "--kubeconfig", "/k"]).is_err());
        let config = Args::try_parse_from(["bosun", "--demo"]).unwrap().into_config().unwrap();
        assert!(matches!(config.mode, Mode::Gui { demo: true, .. }));
    }

    #[test]
    fn nodes_subcommand_takes_the_global_flags() {
        let args = Args::try_parse_from(["bosun", "--context", "lab", "nodes", "-o", "json"]).unwrap();
        let Mode::Nodes { launch, output, .. } = args.into_config().unwrap().mode else { panic!("expected nodes") };
        assert_eq!((launch.context.as_deref(), output), (Some("lab"), nodes::Output::Json));
    }

    #[test]
    fn invalid_namespace_is_rejected_with_the_rule() {
        let args = Args::try_parse_from(["bosun", "-n", "ML_Team"]).unwrap();
        let err = args.into_config().unwrap_err().to_string();
        assert!(err.contains("ML_Team") && err.contains("lower-case"), "{err}");
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("kube-system"));
        assert!(!is_dns_label("-x") && !is_dns_label("a.b") && !is_dns_label(&"a".repeat(64)));
    }
}
