//! The Experiments screen's model: the runs the local store keeps for this cluster (kept live by the keeper while
//! connected), grouped by experiment; the objective (a metric and whether lower or higher is better) and the best
//! run by it; the chosen runs' curves of that metric, smoothed, log-scaled and decimated to the chart's width once
//! per change (frames only draw the result); and the parallel-coordinates view of hyperparameters → objective.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::charts::parallel::{ParallelChart, ParallelLine};
use crate::charts::{LineChart, Series};
use crate::metrics::{Goal, curves};
use crate::resources::katib::KatibExperiment;
use crate::store::{PointRecord, RunRecord};

/// The namespace of runs read from TensorBoard folders on this machine.
pub const LOCAL_NAMESPACE: &str = "(local)";

/// How often the open screen reads the store again (the keeper writes every quarter second).
pub const RELOAD_EVERY: Duration = Duration::from_secs(2);

/// Pixel columns the curves are decimated to (wider than any chart; 4 points per column at most).
const COLUMNS: usize = 1200;

/// What the background read for the screen.
#[derive(Debug, Clone, Default)]
pub struct ExperimentsData {
    /// Every run kept for this cluster, newest first, with its metrics summed up.
    pub runs: Vec<RunRecord>,
    /// The metric whose points are in `curves`.
    pub metric: String,
    /// Job UID → that metric's points, for the runs of the chosen experiment.
    pub curves: Vec<(String, Vec<PointRecord>)>,
    /// What could not be read in the opened folders (file and offset).
    pub problems: Vec<String>,
    /// Katib's Experiments on the cluster (read-only: their objective, trials and best trial).
    pub katib: Vec<crate::resources::katib::KatibExperiment>,
}

/// What the x axis counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum XAxis {
    #[default]
    Step,
    /// Minutes since the run's first point.
    Relative,
    /// Minutes since the first point of all runs shown (runs side by side in time).
    Wall,
}

impl XAxis {
    pub const ALL: [XAxis; 3] = [XAxis::Step, XAxis::Relative, XAxis::Wall];

    pub fn label(self) -> &'static str {
        match self {
            XAxis::Step => "step",
            XAxis::Relative => "minutes since its start",
            XAxis::Wall => "minutes (wall clock)",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExperimentsCommand {
    /// Show this experiment's runs.
    Select(String),
    /// The objective's metric.
    Metric(String),
    Goal(Goal),
    Smoothing(f64),
    LogY(bool),
    XAxis(XAxis),
    /// Add a run (job UID) to the chart, or take it off.
    ToggleRun(String),
    /// Every run of the experiment on the chart.
    ShowAll,
}

/// One experiment in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct ExperimentEntry {
    pub name: String,
    pub runs: usize,
    pub running: usize,
    /// Runs with metric points.
    pub with_metrics: usize,
    /// A Katib Experiment of this name is on the cluster.
    pub katib: bool,
}

#[derive(Debug, Default)]
pub struct ExperimentsState {
    pub data: Option<Arc<ExperimentsData>>,
    pub error: Option<String>,
    pub experiment: Option<String>,
    pub metric: Option<String>,
    /// `None`: the metric's usual goal (see [`Goal::guess`]).
    pub goal: Option<Goal>,
    /// 0 (raw) to 0.99, as TensorBoard's slider.
    pub smoothing: f64,
    pub log_y: bool,
    pub x_axis: XAxis,
    /// Runs taken off the chart (all runs are on it otherwise).
    pub hidden: BTreeSet<String>,
    /// The chart as drawn, rebuilt when the data or a choice changes.
    pub chart: Option<LineChart>,
    pub parallel: Option<ParallelChart>,
    loading: bool,
    loaded_at: Option<Instant>,
    /// The cluster the data is of.
    cluster: Option<String>,
    /// TensorBoard folders opened from disk: their runs are listed beside the cluster's.
    pub folders: Vec<std::path::PathBuf>,
    shown: Shown,
}

/// The experiment a run belongs to: its label, else the run is an experiment of one.
pub fn experiment_of(run: &RunRecord) -> &str {
    if run.job.experiment.is_empty() { &run.job.name } else { &run.job.experiment }
}

/// What the screen shows, derived from the data and the choices once per change (frames only read it).
#[derive(Debug, Default)]
struct Shown {
    experiments: Vec<ExperimentEntry>,
    experiment: Option<String>,
    /// Indexes into the data's runs: the shown experiment's, by name.
    runs: Vec<usize>,
    metrics: Vec<String>,
    metric: Option<String>,
    goal: Goal,
    best: Option<String>,
    /// Index into the data's Katib Experiments.
    katib: Option<usize>,
}

/// Experiments by their newest run, newest first; then Katib's that have no run kept yet.
fn experiment_entries(runs: &[RunRecord], katib: &[KatibExperiment]) -> Vec<ExperimentEntry> {
    let mut out: Vec<ExperimentEntry> = Vec::new();
    for run in runs {
        let name = experiment_of(run);
        let running = usize::from(matches!(run.job.state.as_str(), "Running" | "Created" | "Restarting"));
        let with_metrics = usize::from(!run.metrics.is_empty());
        match out.iter_mut().find(|e| e.name == name) {
            Some(e) => {
                e.runs += 1;
                e.running += running;
                e.with_metrics += with_metrics;
            }
            None => {
                out.push(ExperimentEntry { name: name.to_string(), runs: 1, running, with_metrics, katib: false });
            }
        }
    }
    for k in katib {
        match out.iter_mut().find(|e| e.name == k.name) {
            Some(e) => e.katib = true,
            None => out.push(ExperimentEntry {
                name: k.name.clone(),
                runs: 0,
                running: usize::try_from(k.running).unwrap_or(0),
                with_metrics: 0,
                katib: true,
            }),
        }
    }
    out
}

/// The chosen experiment, else the newest running sweep with metrics, running one with metrics, any with metrics,
/// or the newest.
fn choose_experiment(list: &[ExperimentEntry], chosen: Option<&String>) -> Option<String> {
    if let Some(e) = chosen.filter(|e| list.iter().any(|x| &x.name == *e)) {
        return Some(e.clone());
    }
    let live = |e: &&ExperimentEntry| e.running > 0 && e.with_metrics > 0;
    list.iter()
        .find(|e| live(e) && e.runs > 1)
        .or_else(|| list.iter().find(live))
        .or_else(|| list.iter().find(|e| e.with_metrics > 0))
        .or(list.first())
        .map(|e| e.name.clone())
}

/// The objective's metric: the chosen one, else Katib's objective, a validation loss, a loss, or the first.
fn choose_metric(metrics: &[String], chosen: Option<&String>, katib: Option<&KatibExperiment>) -> Option<String> {
    if let Some(m) = chosen.or(katib.map(|k| &k.metric)).filter(|m| metrics.contains(m)) {
        return Some(m.clone());
    }
    ["val_loss", "loss", "val_accuracy", "accuracy"]
        .iter()
        .find(|m| metrics.iter().any(|x| x == *m))
        .map(|m| m.to_string())
        .or_else(|| metrics.first().cloned())
}

/// A run's best value of `metric` by `goal`.
fn best_value(run: &RunRecord, metric: &str, goal: Goal) -> Option<f64> {
    let m = run.metrics.iter().find(|m| m.metric == metric)?;
    let v = match goal {
        Goal::Minimize => m.min,
        Goal::Maximize => m.max,
    };
    v.is_finite().then_some(v)
}

impl ExperimentsState {
    pub fn experiments(&self) -> &[ExperimentEntry] {
        &self.shown.experiments
    }

    pub fn current_experiment(&self) -> Option<String> {
        self.shown.experiment.clone()
    }

    /// The runs of the shown experiment, by name.
    pub fn runs(&self) -> Vec<&RunRecord> {
        let Some(data) = &self.data else { return Vec::new() };
        self.shown.runs.iter().filter_map(|&i| data.runs.get(i)).collect()
    }

    /// The metrics the shown runs have, by name.
    pub fn metrics(&self) -> &[String] {
        &self.shown.metrics
    }

    pub fn current_metric(&self) -> Option<String> {
        self.shown.metric.clone()
    }

    pub fn current_goal(&self) -> Goal {
        self.shown.goal
    }

    /// A run's best value of the objective.
    pub fn best_of(&self, run: &RunRecord) -> Option<f64> {
        best_value(run, self.shown.metric.as_deref()?, self.shown.goal)
    }

    /// The UID of the best run by the objective.
    pub fn best_run(&self) -> Option<String> {
        self.shown.best.clone()
    }

    /// The Katib Experiment of the shown experiment, if there is one (read-only: its objective and trials).
    pub fn katib(&self) -> Option<&KatibExperiment> {
        self.data.as_ref()?.katib.get(self.shown.katib?)
    }

    /// Derives what is shown from the data and the choices.
    fn derive(&mut self) {
        let all: &[RunRecord] = self.data.as_ref().map_or(&[], |d| d.runs.as_slice());
        let katib_all: &[KatibExperiment] = self.data.as_ref().map_or(&[], |d| d.katib.as_slice());
        let experiments = experiment_entries(all, katib_all);
        let experiment = choose_experiment(&experiments, self.experiment.as_ref());
        let katib = katib_all.iter().position(|k| experiment.as_deref() == Some(k.name.as_str()));
        let katib_experiment = katib.map(|i| &katib_all[i]);
        let mut runs: Vec<usize> =
            (0..all.len()).filter(|&i| experiment.as_deref() == Some(experiment_of(&all[i]))).collect();
        runs.sort_by(|&a, &b| all[a].job.name.cmp(&all[b].job.name));
        let names: BTreeSet<&str> =
            runs.iter().flat_map(|&i| all[i].metrics.iter().map(|m| m.metric.as_str())).collect();
        let metrics: Vec<String> = names.into_iter().map(str::to_string).collect();
        let metric = choose_metric(&metrics, self.metric.as_ref(), katib_experiment);
        // Katib's objective type for its own metric; else the metric's usual goal.
        let katib_goal = katib_experiment
            .filter(|k| metric.as_deref() == Some(k.metric.as_str()))
            .map(|k| if k.maximizes() { Goal::Maximize } else { Goal::Minimize });
        let goal = self.goal.or(katib_goal).unwrap_or_else(|| metric.as_deref().map_or(Goal::Minimize, Goal::guess));
        let best = metric.as_deref().and_then(|m| {
            runs.iter()
                .filter_map(|&i| Some((&all[i].job.uid, best_value(&all[i], m, goal)?)))
                .reduce(|a, b| if goal.better(a.1, b.1) == a.1 { a } else { b })
                .map(|(uid, _)| uid.clone())
        });
        self.shown = Shown { experiments, experiment, runs, metrics, metric, goal, best, katib };
    }

    pub fn handle(&mut self, command: ExperimentsCommand) {
        match command {
            ExperimentsCommand::Select(e) => {
                self.experiment = Some(e);
                self.hidden.clear();
                self.loaded_at = None; // its curves are read next
            }
            ExperimentsCommand::Metric(m) => {
                self.metric = Some(m);
                self.goal = None;
                self.loaded_at = None;
            }
            ExperimentsCommand::Goal(g) => self.goal = Some(g),
            ExperimentsCommand::Smoothing(s) => self.smoothing = s.clamp(0.0, 0.99),
            ExperimentsCommand::LogY(on) => self.log_y = on,
            ExperimentsCommand::XAxis(x) => self.x_axis = x,
            ExperimentsCommand::ToggleRun(uid) => {
                if !self.hidden.remove(&uid) {
                    self.hidden.insert(uid);
                }
            }
            ExperimentsCommand::ShowAll => self.hidden.clear(),
        }
        self.rebuild();
    }

    /// The next read of the store, when the screen is open and the last read is older than [`RELOAD_EVERY`]:
    /// (experiment, metric) to read the curves of.
    pub fn due(
        &mut self,
        open: bool,
        cluster: &str,
    ) -> Option<(Option<String>, Option<String>, Vec<std::path::PathBuf>)> {
        if self.cluster.as_deref() != Some(cluster) {
            if self.cluster.is_some() {
                self.reset();
            }
            self.cluster = Some(cluster.to_string());
        }
        if !open || self.loading || self.loaded_at.is_some_and(|t| t.elapsed() < RELOAD_EVERY) {
            return None;
        }
        self.loading = true;
        Some((self.current_experiment(), self.current_metric(), self.folders.clone()))
    }

    pub fn loaded(&mut self, result: Result<Box<ExperimentsData>, String>) {
        self.loading = false;
        self.loaded_at = Some(Instant::now());
        match result {
            Ok(data) => {
                let first = self.data.is_none();
                self.data = Some(Arc::new(*data));
                self.error = None;
                // The first read chose the experiment and metric by itself: read their curves at once.
                if first {
                    self.loaded_at = None;
                }
            }
            Err(e) => self.error = Some(e),
        }
        self.rebuild();
    }

    /// Forgets what was read (another cluster); the opened folders stay.
    pub fn reset(&mut self) {
        let folders = std::mem::take(&mut self.folders);
        // A folder's experiment is still there on another cluster.
        let folder_names: Vec<String> =
            folders.iter().filter_map(|f| f.file_name().map(|n| n.to_string_lossy().into_owned())).collect();
        let experiment = self.experiment.take().filter(|e| folder_names.contains(e));
        *self = Self {
            smoothing: self.smoothing,
            log_y: self.log_y,
            x_axis: self.x_axis,
            folders,
            experiment,
            ..Self::default()
        };
    }

    /// The shown runs' points of the objective's metric as CSV (`run,tag,step,wall_time,value`, as `bosun metrics`
    /// prints them), every point, not the decimated curve; `None` before anything was read.
    pub fn csv(&self) -> Option<String> {
        use crate::metrics::{csv_field, pyfmt::float};
        let data = self.data.as_ref()?;
        let mut out = String::from("run,tag,step,wall_time,value\n");
        for run in self.runs().into_iter().filter(|r| !self.hidden.contains(&r.job.uid)) {
            let Some((_, points)) = data.curves.iter().find(|(uid, _)| *uid == run.job.uid) else { continue };
            let name = format!("{}/{}", run.job.namespace, run.job.name);
            for p in points {
                let step = p.step.map(|s| s.to_string()).unwrap_or_default();
                let wall = p.wall_time.map(float).unwrap_or_default();
                out += &format!("{},{},{step},{wall},{}\n", csv_field(&name), csv_field(&p.metric), float(p.value));
            }
        }
        Some(out)
    }

    /// The screen with the TensorBoard folders of an earlier session opened again.
    pub fn with_folders(folders: Vec<std::path::PathBuf>) -> Self {
        Self { folders, ..Self::default() }
    }

    /// A TensorBoard folder was opened: its runs are read at once, and shown.
    pub fn folder_opened(&mut self, folder: std::path::PathBuf) {
        let name = folder.file_name().map_or_else(|| folder.display().to_string(), |n| n.to_string_lossy().into());
        if !self.folders.contains(&folder) {
            self.folders.push(folder);
        }
        self.experiment = Some(name);
        self.hidden.clear();
        self.loaded_at = None;
        self.rebuild();
    }

    /// Derives what is shown and rebuilds the charts from the data and the choices.
    fn rebuild(&mut self) {
        self.derive();
        let (Some(data), Some(metric)) = (self.data.clone(), self.current_metric()) else {
            self.chart = None;
            self.parallel = None;
            return;
        };
        let runs = self.runs();
        let origin =
            data.curves.iter().flat_map(|(_, p)| p.iter().filter_map(|p| p.wall_time)).fold(f64::INFINITY, f64::min);
        let mut series = Vec::new();
        if data.metric == metric {
            for run in runs.iter().filter(|r| !self.hidden.contains(&r.job.uid)) {
                let Some((_, points)) = data.curves.iter().find(|(uid, _)| *uid == run.job.uid) else { continue };
                let start = points.iter().filter_map(|p| p.wall_time).fold(f64::INFINITY, f64::min);
                let mut xy: Vec<(f64, f64)> = points
                    .iter()
                    .filter_map(|p| {
                        let x = match self.x_axis {
                            XAxis::Step => p.step.map(|s| s as f64).or(p.wall_time.map(|t| t - start))?,
                            XAxis::Relative => (p.wall_time? - start) / 60.0,
                            XAxis::Wall => (p.wall_time? - origin) / 60.0,
                        };
                        Some((x, p.value))
                    })
                    .collect();
                xy.sort_by(|a, b| a.0.total_cmp(&b.0));
                let mut xy = curves::smooth(&xy, self.smoothing);
                if self.log_y {
                    xy = curves::log10(&xy);
                }
                series.push(Series { name: run.job.name.clone(), points: curves::decimate(&xy, COLUMNS) });
            }
        }
        let smoothing = if self.smoothing > 0.0 { format!(" (smoothed {:.2})", self.smoothing) } else { String::new() };
        let chart = LineChart {
            title: format!("{metric}{smoothing}"),
            x_label: self.x_axis.label().into(),
            y_label: if self.log_y { format!("{metric} (log)") } else { metric.clone() },
            series,
            fill_first: false,
            fit_y: true,
            log_y: self.log_y,
        };
        let parallel = parallel_chart(&runs, &metric, |r| self.best_of(r), self.best_run().as_deref());
        self.chart = Some(chart);
        self.parallel = parallel;
    }
}

/// Hyperparameters with numbers → the objective, one line per run; `None` without numeric hyperparameters.
fn parallel_chart(
    runs: &[&RunRecord],
    metric: &str,
    best_of: impl Fn(&RunRecord) -> Option<f64>,
    best: Option<&str>,
) -> Option<ParallelChart> {
    let mut names: Vec<String> = Vec::new();
    for run in runs {
        for (k, v) in &run.job.hyperparameters {
            if v.parse::<f64>().is_ok() && !names.contains(k) {
                names.push(k.clone());
            }
        }
    }
    // A parameter all runs share tells nothing apart.
    names.retain(|n| {
        let values: BTreeSet<&str> = runs
            .iter()
            .filter_map(|r| r.job.hyperparameters.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str()))
            .collect();
        values.len() > 1
    });
    if names.is_empty() {
        return None;
    }
    let value = |run: &RunRecord, name: &str| -> f64 {
        run.job.hyperparameters.iter().find(|(k, _)| k == name).and_then(|(_, v)| v.parse().ok()).unwrap_or(f64::NAN)
    };
    let lines: Vec<ParallelLine> = runs
        .iter()
        .map(|r| {
            let mut values: Vec<f64> = names.iter().map(|n| value(r, n)).collect();
            values.push(best_of(r).unwrap_or(f64::NAN));
            ParallelLine { values, highlight: Some(r.job.uid.as_str()) == best }
        })
        .collect();
    let log_axes: Vec<bool> = (0..=names.len())
        .map(|a| {
            let values: Vec<f64> = lines.iter().map(|l| l.values[a]).filter(|v| v.is_finite()).collect();
            let (lo, hi) = values.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(*v), h.max(*v)));
            a < names.len() && lo > 0.0 && hi / lo >= 20.0
        })
        .collect();
    let mut axes = names;
    axes.push(format!("best {metric}"));
    Some(ParallelChart { title: String::new(), axes, lines, log_axes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JobRecord, SeriesSummary};

    fn run(uid: &str, lr: &str, best_loss: f64, state: &str) -> RunRecord {
        RunRecord {
            job: JobRecord {
                uid: uid.into(),
                name: format!("sweep-{uid}"),
                experiment: "sweep".into(),
                state: state.into(),
                hyperparameters: vec![("lr".into(), lr.into()), ("batch".into(), "64".into())],
                ..Default::default()
            },
            metrics: vec![
                SeriesSummary { metric: "val_loss".into(), points: 3, last: best_loss, min: best_loss, max: 2.0 },
                SeriesSummary { metric: "accuracy".into(), points: 3, last: 0.9, min: 0.1, max: 1.0 - best_loss },
            ],
        }
    }

    fn points(n: i64) -> Vec<PointRecord> {
        (0..n)
            .map(|s| PointRecord {
                metric: "val_loss".into(),
                step: Some(s),
                wall_time: Some(1000.0 + s as f64),
                value: 1.0 / (s + 1) as f64,
            })
            .collect()
    }

    fn state() -> ExperimentsState {
        let mut s = ExperimentsState::default();
        let data = ExperimentsData {
            runs: vec![
                run("a", "0.1", 0.5, "Running"),
                run("b", "0.01", 0.2, "Running"),
                run("c", "0.001", 0.4, "Succeeded"),
                RunRecord {
                    job: JobRecord { uid: "d".into(), name: "solo".into(), ..Default::default() },
                    metrics: vec![],
                },
            ],
            metric: "val_loss".into(),
            curves: vec![("a".into(), points(20_000)), ("b".into(), points(10)), ("c".into(), points(10))],
            problems: Vec::new(),
            katib: Vec::new(),
        };
        s.loaded(Ok(Box::new(data)));
        s
    }

    #[test]
    fn the_running_sweep_is_shown_and_its_best_run_marked_by_the_objective() {
        let mut s = state();
        assert_eq!(s.current_experiment().as_deref(), Some("sweep"));
        assert_eq!(s.experiments().len(), 2, "the solo run is an experiment of its own");
        assert_eq!(s.current_metric().as_deref(), Some("val_loss"));
        assert_eq!(s.current_goal(), Goal::Minimize);
        assert_eq!(s.best_run().as_deref(), Some("b"));
        s.handle(ExperimentsCommand::Metric("accuracy".into()));
        assert_eq!(s.current_goal(), Goal::Maximize);
        assert_eq!(s.best_run().as_deref(), Some("b"), "highest accuracy");
        s.handle(ExperimentsCommand::Goal(Goal::Minimize));
        assert_eq!(s.best_run().as_deref(), Some("a"));
    }

    #[test]
    fn a_katib_experiment_sets_the_objective_and_is_listed_without_runs_kept() {
        let mut s = state();
        let mut data = (**s.data.as_ref().expect("data")).clone();
        let katib = |name: &str, metric: &str, objective: &str| KatibExperiment {
            name: name.into(),
            metric: metric.into(),
            objective: objective.into(),
            ..Default::default()
        };
        data.katib = vec![katib("sweep", "accuracy", "maximize"), katib("tuned", "loss", "minimize")];
        s.loaded(Ok(Box::new(data)));
        assert_eq!(s.experiments().iter().filter(|e| e.katib).count(), 2);
        assert!(s.experiments().iter().any(|e| e.name == "tuned" && e.runs == 0), "listed before any run is kept");
        assert_eq!(s.katib().map(|k| k.name.as_str()), Some("sweep"));
        assert_eq!(s.current_metric().as_deref(), Some("accuracy"), "Katib's objective metric");
        assert_eq!(s.current_goal(), Goal::Maximize, "and its objective type");
        assert_eq!(s.best_run().as_deref(), Some("b"));
        // The user may still look at another metric.
        s.handle(ExperimentsCommand::Metric("val_loss".into()));
        assert_eq!((s.current_metric().as_deref(), s.current_goal()), (Some("val_loss"), Goal::Minimize));
    }

    #[test]
    fn curves_are_decimated_toggled_and_the_parallel_view_spreads_the_rates() {
        let mut s = state();
        let chart = s.chart.clone().expect("a chart");
        assert_eq!(chart.series.len(), 3);
        assert!(chart.series[0].points.len() <= COLUMNS * 4, "{}", chart.series[0].points.len());
        s.handle(ExperimentsCommand::ToggleRun("a".into()));
        assert_eq!(s.chart.as_ref().map(|c| c.series.len()), Some(2));
        s.handle(ExperimentsCommand::LogY(true));
        assert!(s.chart.as_ref().is_some_and(|c| c.log_y && c.series[0].points.iter().all(|p| p.1 <= 0.0)));
        let csv = s.csv().expect("csv");
        assert!(csv.starts_with("run,tag,step,wall_time,value\n"), "{csv}");
        assert_eq!(csv.lines().count(), 1 + 10 + 10, "run a is off the chart, so out of the export");
        assert!(csv.contains("\n/sweep-b,val_loss,0,1000.0,1.0\n"), "{csv}");
        let parallel = s.parallel.clone().expect("lr differs between runs");
        assert_eq!(parallel.axes, ["lr", "best val_loss"], "batch is the same everywhere");
        assert_eq!(parallel.log_axes, [true, false]);
        assert_eq!(parallel.lines.iter().filter(|l| l.highlight).count(), 1);
    }

    #[test]
    fn reads_are_paced_and_only_while_open() {
        let mut s = ExperimentsState::default();
        assert_eq!(s.due(false, "lab"), None);
        assert!(s.due(true, "lab").is_some());
        assert_eq!(s.due(true, "lab"), None, "one read at a time");
        s.loaded(Err("the store is locked".into()));
        assert_eq!(s.due(true, "lab"), None, "not again at once");
        assert_eq!(s.error.as_deref(), Some("the store is locked"));
        assert!(s.due(true, "other").is_some(), "another cluster is read at once");
        assert_eq!(s.error, None, "and the last one's error is gone with its data");
    }
}
