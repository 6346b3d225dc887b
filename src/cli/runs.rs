//! `bosun metrics` and `bosun runs`: the training metrics the local store keeps, from the terminal. While the
//! cluster answers, the chosen runs' records and the logs of their pods that still exist are read into the store
//! first (the same keeper the window runs), so both work without the window having been open; offline, they show
//! what the store has.

use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Value, json};

use crate::cluster::{keeper, training as jobs_api};
use crate::metrics::lines::LineParser;
use crate::metrics::{Goal, pyfmt};
use crate::resources::training::MetricSpec;
use crate::state::LaunchOptions;
use crate::store::{Record, RunFilter, RunRecord, Store};

#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    pub experiment: Option<String>,
    /// `namespace/name`, or a name (in --namespace, or any namespace).
    pub run: Option<String>,
    /// Read only the store.
    pub offline: bool,
    /// Read the runs' kept log lines again with this pattern (name group, value group) …
    pub pattern: Option<String>,
    /// … and/or only these metrics (then lines without a step count too).
    pub metrics: Vec<String>,
}

/// A choice that matches nothing, or an unusable store: bad input (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct NothingFound(pub String);

/// A metric pattern that is no regex, or has not the two groups: bad input (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("--pattern: {0}")]
pub struct BadPattern(pub String);

impl Selection {
    /// The command line says how to read metrics (else each run's own settings hold).
    fn chooses_metrics(&self) -> bool {
        self.pattern.is_some() || !self.metrics.is_empty()
    }

    fn run_parts<'a>(&'a self, launch: &'a LaunchOptions) -> Option<(Option<&'a str>, &'a str)> {
        let run = self.run.as_deref()?;
        Some(match run.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (launch.namespace.as_deref(), run),
        })
    }

    fn matches(&self, launch: &LaunchOptions, namespace: &str, name: &str, experiment: &str) -> bool {
        if let Some(e) = &self.experiment
            && e != experiment
        {
            return false;
        }
        match self.run_parts(launch) {
            Some((ns, run)) => run == name && ns.is_none_or(|ns| ns == namespace),
            None => launch.namespace.as_deref().is_none_or(|ns| ns == namespace),
        }
    }
}

/// The context name that keys this cluster's runs in the store (no network needed).
fn cluster_key(launch: &LaunchOptions) -> anyhow::Result<String> {
    let sources =
        crate::cluster::kubeconfig::KubeconfigSources { explicit: launch.kubeconfig.clone(), extra: Vec::new() };
    let kubeconfig = sources.merged()?;
    launch
        .context
        .clone()
        .or(kubeconfig.current_context)
        .ok_or_else(|| anyhow::anyhow!("the kubeconfig has no current context: pass --context NAME"))
}

fn open_store(config_dir: Option<PathBuf>) -> anyhow::Result<Store> {
    let path = crate::settings::SettingsStore::chosen(config_dir)?.store_path();
    Store::open(&path).map_err(|e| NothingFound(e.to_string()).into())
}

/// Reads the selected runs of the cluster (records, and the logs of their pods) into the store. A cluster that
/// does not answer is a warning: the store still has what it kept.
fn catch_up(launch: &LaunchOptions, cluster: &str, selection: &Selection, store: &mut Store) {
    let work = async {
        let client = super::client_for(launch).await?;
        let (rows, _) = jobs_api::list(&client, launch.namespace.as_deref()).await?;
        let chosen: Vec<_> =
            rows.iter().filter(|r| selection.matches(launch, &r.namespace, &r.name, &r.experiment)).collect();
        let records: Vec<_> =
            chosen.iter().map(|r| crate::store::Record::Job(keeper::run_record(cluster, r))).collect();
        store.write(&records)?;
        for row in chosen {
            keeper::catch_up(&client, cluster, &row.namespace, &row.name, store).await?;
            // The run's own metric settings, unless the command line chose others.
            if !row.metric_spec.is_default() && !selection.chooses_metrics() {
                store.write(&[keeper::reparse_record(&row.uid, &row.kind, &row.metric_spec)])?;
            }
        }
        anyhow::Ok(())
    };
    let outcome = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(anyhow::Error::from)
        .and_then(|rt| {
            rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), work).await }).map_err(Into::into)
        })
        .and_then(|r| r);
    if let Err(e) = outcome {
        eprintln!("warning: the cluster could not be read ({e:#}); showing what the local store kept");
    }
}

fn chosen_runs(
    launch: &LaunchOptions,
    config_dir: Option<PathBuf>,
    selection: &Selection,
) -> anyhow::Result<(Store, Vec<RunRecord>)> {
    let cluster = cluster_key(launch)?;
    let mut store = open_store(config_dir)?;
    if !selection.offline {
        catch_up(launch, &cluster, selection, &mut store);
    }
    let filter = RunFilter { cluster: Some(&cluster), experiment: selection.experiment.as_deref(), run: None };
    let runs: Vec<RunRecord> = store
        .runs(filter)?
        .into_iter()
        .filter(|r| selection.matches(launch, &r.job.namespace, &r.job.name, &r.job.experiment))
        .collect();
    if runs.is_empty() {
        let what = match (&selection.run, &selection.experiment) {
            (Some(run), _) => format!("no run {run}"),
            (None, Some(e)) => format!("no run of experiment {e}"),
            (None, None) => "no runs".into(),
        };
        return Err(NothingFound(format!(
            "{what} on {cluster}, on the cluster or in the local store {}",
            store.path().display()
        ))
        .into());
    }
    Ok((store, runs))
}

/// How to print points.
pub use super::metrics::Format;

pub fn metrics(
    launch: LaunchOptions,
    config_dir: Option<PathBuf>,
    selection: Selection,
    format: Format,
) -> anyhow::Result<()> {
    let (mut store, runs) = chosen_runs(&launch, config_dir, &selection)?;
    if selection.chooses_metrics() {
        reparse(&mut store, &runs, &selection)?;
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let result = (|| -> anyhow::Result<()> {
        if format == Format::Csv {
            writeln!(out, "run,tag,step,wall_time,value")?;
        } else {
            write!(out, "[")?;
        }
        let mut first = true;
        for run in &runs {
            let points = store.points(&run.job.uid, None)?;
            if points.is_empty() {
                eprintln!("{}", why_no_metrics(&store, run));
            }
            let name = format!("{}/{}", run.job.namespace, run.job.name);
            for p in points {
                let step = p.step.map(|s| s.to_string()).unwrap_or_default();
                let wall = p.wall_time.map(pyfmt::float).unwrap_or_default();
                match format {
                    Format::Csv => writeln!(
                        out,
                        "{},{},{step},{wall},{}",
                        crate::metrics::csv_field(&name),
                        crate::metrics::csv_field(&p.metric),
                        pyfmt::float(p.value)
                    )?,
                    Format::Json => {
                        let value = if p.value.is_finite() { json!(p.value) } else { json!(pyfmt::float(p.value)) };
                        let row = json!({"run": name, "tag": p.metric, "step": p.step, "wall_time": p.wall_time, "value": value});
                        write!(out, "{}\n{row}", if first { "" } else { "," })?;
                    }
                }
                first = false;
            }
        }
        if format == Format::Json {
            writeln!(out, "{}]", if first { "" } else { "\n" })?;
        }
        out.flush()?;
        Ok(())
    })();
    super::metrics::quiet_broken_pipe(result)
}

/// The kept lines of a run's primary pod (chief, master or launcher, else worker 0 or a Job's pod), and its name.
fn primary_lines(store: &Store, run: &RunRecord) -> Option<(String, Vec<crate::store::LogLine>)> {
    let primary = store.primary_pod(&run.job.uid).ok()??;
    let container = crate::workloads::JobKind::from_kind(&run.job.kind).map_or("main", |k| k.container());
    let lines = store.log_lines(&primary.uid, container, None).unwrap_or_default();
    Some((primary.name, lines))
}

/// Reads each run's kept lines again with the chosen pattern or metrics and keeps what they give instead.
fn reparse(store: &mut Store, runs: &[RunRecord], selection: &Selection) -> anyhow::Result<()> {
    let spec = MetricSpec { names: selection.metrics.clone(), pattern: selection.pattern.clone().unwrap_or_default() };
    LineParser::for_spec(&spec.names, &spec.pattern).map_err(BadPattern)?;
    let records: Vec<Record> =
        runs.iter().map(|run| keeper::reparse_record(&run.job.uid, &run.job.kind, &spec)).collect();
    store.write(&records)?;
    Ok(())
}

/// Why a run has no points: nothing kept of its logs yet, or lines that hold no metric (with the last few).
fn why_no_metrics(store: &Store, run: &RunRecord) -> String {
    let name = format!("{}/{}", run.job.namespace, run.job.name);
    let Some((primary, lines)) = primary_lines(store, run) else {
        return format!("{name}: no metrics — no log of its pods was kept (they were never seen running)");
    };
    if lines.is_empty() {
        return format!("{name}: no metrics — {primary} has printed nothing that was kept");
    }
    let last: Vec<String> = lines.iter().rev().take(3).rev().map(|l| format!("  {}", l.line)).collect();
    format!(
        "{name}: no metrics — none of the {} kept lines of {} has name=value pairs or JSON metrics; its last lines:\n{}",
        lines.len(),
        primary,
        last.join("\n")
    )
}

/// The best value of each metric of a run, by the metric's usual goal.
fn best(run: &RunRecord) -> Vec<(String, f64, Goal)> {
    run.metrics
        .iter()
        .map(|m| {
            let goal = Goal::guess(&m.metric);
            let best = match goal {
                Goal::Minimize => m.min,
                Goal::Maximize => m.max,
            };
            (m.metric.clone(), best, goal)
        })
        .collect()
}

fn run_json(run: &RunRecord) -> Value {
    let j = &run.job;
    let hyperparameters: serde_json::Map<String, Value> =
        j.hyperparameters.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
    let number = |v: f64| if v.is_finite() { json!(v) } else { json!(pyfmt::float(v)) };
    let metrics: serde_json::Map<String, Value> = run
        .metrics
        .iter()
        .zip(best(run))
        .map(|(m, (_, best, goal))| {
            let summary = json!({"last": number(m.last), "best": number(best), "goal": goal.word(),
                                 "min": number(m.min), "max": number(m.max), "points": m.points});
            (m.metric.clone(), summary)
        })
        .collect();
    json!({
        "run": format!("{}/{}", j.namespace, j.name), "namespace": j.namespace, "name": j.name, "kind": j.kind,
        "experiment": j.experiment, "state": j.state, "started": j.started, "finished": j.finished,
        "hyperparameters": hyperparameters, "metrics": metrics,
    })
}

fn runs_table(runs: &[RunRecord]) -> String {
    let now = jiff::Timestamp::now().as_second();
    let mut out = format!(
        "{:<40} {:<20} {:<10} {:>9} {:<28} {}\n",
        "RUN", "EXPERIMENT", "STATE", "DURATION", "HYPERPARAMETERS", "BEST"
    );
    for run in runs {
        let j = &run.job;
        let duration = j.duration(now).map_or("-".into(), kubefmt::duration::human);
        let params: Vec<String> = j.hyperparameters.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let best: Vec<String> =
            best(run).iter().map(|(m, v, _)| format!("{m}={}", crate::metrics::short(*v))).collect();
        out.push_str(&format!(
            "{:<40} {:<20} {:<10} {:>9} {:<28} {}\n",
            format!("{}/{}", j.namespace, j.name),
            if j.experiment.is_empty() { "-" } else { &j.experiment },
            if j.state.is_empty() { "-" } else { &j.state },
            duration,
            if params.is_empty() { "-".into() } else { params.join(" ") },
            if best.is_empty() { "-".into() } else { best.join(" ") },
        ));
    }
    out
}

pub fn runs(
    launch: LaunchOptions,
    config_dir: Option<PathBuf>,
    selection: Selection,
    output: super::training::Output,
) -> anyhow::Result<()> {
    let (_, runs) = chosen_runs(&launch, config_dir, &selection)?;
    let text = match output {
        super::training::Output::Json => {
            format!("{}\n", serde_json::to_string(&runs.iter().map(run_json).collect::<Vec<_>>())?)
        }
        super::training::Output::Table => runs_table(&runs),
    };
    let mut out = std::io::stdout().lock();
    super::metrics::quiet_broken_pipe(out.write_all(text.as_bytes()).map_err(Into::into))
}
