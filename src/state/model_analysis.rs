//! The Model analysis screen's model: the evaluations open (computed here from per-example files, read from a
//! sliced-metrics document, or found on the cluster), the one shown and the one it is compared with, and what the
//! screen derives from them once per change — the slice table's order, the chart of one metric across a column's
//! slices, the per-slice deltas of a comparison, and one slice's history across the model's evaluations.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::loadable::Loadable;
use super::protocol::{ModelAnalysisEvent, ModelAnalysisRequest};
use crate::charts::slices::{Interval, SliceBar, SliceChart};
use crate::charts::{LineChart, Series};
use crate::cluster::evaluations::Found;
use crate::metrics::analysis::{self, Curves, Delta, Estimate};
use crate::metrics::examples::{self, ColumnInfo, Columns};
use crate::metrics::sliced::SlicedMetrics;
use crate::metrics::slices::{METRIC_NAMES, Options, SliceRow};
use crate::settings::EvaluationFiles;
use crate::tone::Tone;

/// One evaluation of a model: its sliced metrics and where they came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    pub id: u64,
    pub model: String,
    pub version: String,
    pub run: String,
    /// RFC 3339 (empty when unknown).
    pub time: String,
    /// A file's path, or `configmap/NS/NAME[KEY]`, `pod/NS/NAME`.
    pub source: String,
    pub rows: Vec<SliceRow>,
    /// Computed here from examples, which the backend keeps for a slice's curves.
    pub has_examples: bool,
    pub from_cluster: bool,
    /// The files and slicing it was computed from (remembered, and computed again at the next start).
    pub files: Option<EvaluationFiles>,
}

impl Evaluation {
    fn from_document(id: u64, source: String, doc: &SlicedMetrics, from_cluster: bool) -> Self {
        Self {
            id,
            model: doc.model.name.clone(),
            version: doc.model.version.clone(),
            run: doc.run.clone(),
            time: doc.time.clone(),
            source,
            rows: doc.rows(),
            has_examples: false,
            from_cluster,
            files: None,
        }
    }

    /// How the screen names it: `hotdog v2`, else the run or the source.
    pub fn label(&self) -> String {
        match (self.model.is_empty(), self.version.is_empty()) {
            (false, false) => format!("{} v{}", self.model, self.version.trim_start_matches('v')),
            (false, true) if !self.run.is_empty() => format!("{} {}", self.model, self.run),
            (false, true) => self.model.clone(),
            _ if !self.run.is_empty() => self.run.clone(),
            _ => self.source.rsplit('/').next().unwrap_or(&self.source).to_string(),
        }
    }
}

/// The form that turns per-example files into an evaluation: the choices (remembered as they are between runs) and
/// the files' columns to pick from.
#[derive(Debug, Clone, PartialEq)]
pub struct Setup {
    pub files: EvaluationFiles,
    pub columns: Vec<ColumnInfo>,
    pub error: Option<String>,
}

impl Setup {
    fn new(paths: Vec<PathBuf>, columns: Vec<ColumnInfo>) -> Self {
        let (label, prediction, weight, slices) = examples::guess(&columns);
        let model =
            paths.first().and_then(|p| p.file_stem()).map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
        let files = EvaluationFiles {
            paths,
            label: label.unwrap_or_default(),
            prediction: prediction.unwrap_or_default(),
            weight: weight.unwrap_or_default(),
            slices,
            crosses: Vec::new(),
            threshold: 0.5,
            bootstrap: 100,
            seed: 1,
            model,
            version: String::new(),
        };
        Self { files, columns, error: None }
    }

    /// A form with remembered choices (its columns are not sampled again).
    pub fn from_files(files: EvaluationFiles) -> Self {
        Self { files, columns: Vec::new(), error: None }
    }

    /// What `Compute` sends, or what is wrong with the form.
    fn request(&self, id: u64) -> Result<ModelAnalysisRequest, String> {
        let f = &self.files;
        if f.label.is_empty() || f.prediction.is_empty() {
            return Err("pick the label and the prediction columns".into());
        }
        if !(0.0..=1.0).contains(&f.threshold) {
            return Err(format!("the threshold {} must be between 0 and 1", f.threshold));
        }
        let (specs, slicings) = examples::plan(&f.slices, &f.crosses)?;
        let columns = Columns {
            label: f.label.clone(),
            prediction: f.prediction.clone(),
            weight: Some(f.weight.clone()).filter(|w| !w.is_empty()),
            slices: specs,
        };
        let options = Options { threshold: f.threshold, bootstrap: f.bootstrap, seed: f.seed };
        Ok(ModelAnalysisRequest::Compute { id, paths: f.paths.clone(), columns, slicings, options })
    }
}

/// What the user does on the Model analysis screen.
#[derive(Debug, Clone, PartialEq)]
pub enum ModelAnalysisCommand {
    PickFiles,
    PickFolder,
    PickDocument,
    EditSetup(Box<Setup>),
    CancelSetup,
    Compute,
    /// Read the cluster's evaluations again now.
    ReloadCluster,
    Show(u64),
    /// Compare the shown evaluation with this one (`None`: stop comparing).
    CompareWith(Option<u64>),
    Close(u64),
    /// The metric of the chart, the comparison and the history (an index into `METRIC_NAMES`).
    Metric(usize),
    /// The column(s) whose slices the chart shows.
    Family(String),
    /// Sort the table by a metric (`None`: by slice); the same again flips the direction.
    SortBy(Option<usize>),
    Search(String),
    MinCount(f64),
    HideSmall(bool),
    /// Open a slice's details (`None`: close them).
    SelectSlice(Option<String>),
}

/// A computation under way.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    pub id: u64,
    pub what: String,
    pub phase: String,
    pub fraction: f32,
}

/// The cluster's evaluations: when they were read, for which cluster, and what could not be read.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterReads {
    pub loading: bool,
    listed_at: Option<Instant>,
    listed_for: String,
    pub error: Option<String>,
    /// Documents found that could not be read: source and why.
    pub problems: Vec<(String, String)>,
    /// Whether the first answer has chosen what to show.
    chose: bool,
}

/// How often the cluster's evaluations are read while the screen is open.
const REFRESH: Duration = Duration::from_secs(15);

/// Metric indices: AUC is the default, accuracy the usual second look.
pub const AUC: usize = 6;

#[derive(Debug, Clone, PartialEq)]
pub struct ModelAnalysisState {
    pub evaluations: Vec<Evaluation>,
    pub current: Option<u64>,
    pub baseline: Option<u64>,
    pub metric: usize,
    pub family: Option<String>,
    pub sort: Option<usize>,
    pub descending: bool,
    pub search: String,
    /// Slices with fewer examples are small: flagged, and hidden when `hide_small`.
    pub min_count: f64,
    pub hide_small: bool,
    pub slice: Option<String>,
    pub curves: Loadable<Curves>,
    pub setup: Option<Setup>,
    /// Computations under way: the evaluation's id and the form that asked for it.
    pending: Vec<(u64, Setup)>,
    pub progress: Option<Progress>,
    pub cluster: ClusterReads,
    next_id: u64,
    /// Derived once per change: the current evaluation's rows in table order (the overall row excluded: it is
    /// pinned), the chart, the slices of its bars (top to bottom), the comparison and the history.
    pub order: Vec<usize>,
    pub chart: Option<SliceChart>,
    pub chart_slices: Vec<String>,
    pub deltas: Vec<Delta>,
    pub history: Option<LineChart>,
    pub history_labels: Vec<String>,
}

impl Default for ModelAnalysisState {
    fn default() -> Self {
        Self {
            evaluations: Vec::new(),
            current: None,
            baseline: None,
            metric: AUC,
            family: None,
            sort: None,
            descending: false,
            search: String::new(),
            min_count: 30.0,
            hide_small: false,
            slice: None,
            curves: Loadable::Idle,
            setup: None,
            pending: Vec::new(),
            progress: None,
            cluster: ClusterReads::default(),
            next_id: 0,
            order: Vec::new(),
            chart: None,
            chart_slices: Vec::new(),
            deltas: Vec::new(),
            history: None,
            history_labels: Vec::new(),
        }
    }
}

impl ModelAnalysisState {
    pub fn evaluation(&self, id: u64) -> Option<&Evaluation> {
        self.evaluations.iter().find(|e| e.id == id)
    }

    pub fn shown(&self) -> Option<&Evaluation> {
        self.current.and_then(|id| self.evaluation(id))
    }

    pub fn compared(&self) -> Option<&Evaluation> {
        self.baseline.filter(|b| Some(*b) != self.current).and_then(|id| self.evaluation(id))
    }

    pub fn metric_name(&self) -> &'static str {
        METRIC_NAMES[self.metric]
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Starts computing a form's evaluation: the request, or what is wrong with the form.
    fn start(&mut self, setup: Setup) -> Result<ModelAnalysisRequest, String> {
        let id = self.next_id + 1;
        let request = setup.request(id)?;
        self.next_id = id;
        let what = setup.files.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
        self.progress = Some(Progress { id, what: what.join(", "), phase: "reading".into(), fraction: 0.0 });
        self.pending.push((id, setup));
        Ok(request)
    }

    /// Computes the evaluations remembered from the last run again (files that are gone say so when read).
    pub fn restore(&mut self, remembered: &[EvaluationFiles]) -> Vec<ModelAnalysisRequest> {
        remembered.iter().filter_map(|files| self.start(Setup::from_files(files.clone())).ok()).collect()
    }

    /// The files of the open evaluations computed from examples and of those being computed, to remember (one that
    /// fails, such as a file gone since, is forgotten).
    pub fn remembered(&self) -> Vec<EvaluationFiles> {
        let open = self.evaluations.iter().filter_map(|e| e.files.clone());
        open.chain(self.pending.iter().map(|(_, s)| s.files.clone())).collect()
    }

    /// A read of the cluster's evaluations when the screen is open and the last read is old (or of another cluster).
    pub fn due(&mut self, open: bool, cluster: &str, namespace: Option<String>) -> Option<ModelAnalysisRequest> {
        let stale = self.cluster.listed_at.is_none_or(|t| t.elapsed() >= REFRESH) || self.cluster.listed_for != cluster;
        if !open || !stale || (self.cluster.loading && self.cluster.listed_for == cluster) {
            return None;
        }
        if self.cluster.listed_for != cluster {
            // Another cluster: its evaluations are not this one's.
            self.evaluations.retain(|e| !e.from_cluster);
            self.cluster = ClusterReads::default();
            self.fix_selection();
        }
        self.cluster.listed_for = cluster.to_string();
        self.cluster.listed_at = Some(Instant::now());
        self.cluster.loading = true;
        Some(ModelAnalysisRequest::ListCluster { namespace })
    }

    pub fn handle(&mut self, command: ModelAnalysisCommand) -> Vec<ModelAnalysisRequest> {
        let mut out = Vec::new();
        match command {
            ModelAnalysisCommand::PickFiles => out.push(ModelAnalysisRequest::PickExamples { folder: false }),
            ModelAnalysisCommand::PickFolder => out.push(ModelAnalysisRequest::PickExamples { folder: true }),
            ModelAnalysisCommand::PickDocument => out.push(ModelAnalysisRequest::PickDocument),
            ModelAnalysisCommand::EditSetup(setup) => self.setup = Some(*setup),
            ModelAnalysisCommand::CancelSetup => self.setup = None,
            ModelAnalysisCommand::Compute => {
                if let Some(setup) = self.setup.clone() {
                    match self.start(setup) {
                        Ok(request) => out.push(request),
                        Err(e) => {
                            if let Some(setup) = &mut self.setup {
                                setup.error = Some(e);
                            }
                        }
                    }
                }
            }
            ModelAnalysisCommand::ReloadCluster => self.cluster.listed_at = None,
            ModelAnalysisCommand::Show(id) => {
                self.current = Some(id);
                if self.baseline == Some(id) {
                    self.baseline = None;
                }
                self.slice = None;
                self.curves = Loadable::Idle;
            }
            ModelAnalysisCommand::CompareWith(id) => self.baseline = id.filter(|id| Some(*id) != self.current),
            ModelAnalysisCommand::Close(id) => {
                self.evaluations.retain(|e| e.id != id);
                self.fix_selection();
                out.push(ModelAnalysisRequest::Forget(id));
            }
            ModelAnalysisCommand::Metric(m) => self.metric = m.min(METRIC_NAMES.len() - 1),
            ModelAnalysisCommand::Family(f) => self.family = Some(f),
            ModelAnalysisCommand::SortBy(column) => {
                if self.sort == column {
                    self.descending = !self.descending;
                } else {
                    self.sort = column;
                    self.descending = column.is_some();
                }
            }
            ModelAnalysisCommand::Search(text) => self.search = text,
            ModelAnalysisCommand::MinCount(n) => self.min_count = n.max(0.0),
            ModelAnalysisCommand::HideSmall(hide) => self.hide_small = hide,
            ModelAnalysisCommand::SelectSlice(slice) => {
                self.slice = slice.clone();
                self.curves = Loadable::Idle;
                let with_examples = self.shown().filter(|e| e.has_examples).map(|e| e.id);
                if let (Some(slice), Some(id)) = (slice, with_examples) {
                    self.curves = Loadable::Loading;
                    out.push(ModelAnalysisRequest::Curves { id, slice });
                }
            }
        }
        self.rebuild();
        out
    }

    /// Applies an answer; a message for a toast when there is one.
    pub fn apply(&mut self, event: ModelAnalysisEvent) -> Option<(Tone, String)> {
        let toast = match event {
            ModelAnalysisEvent::ExamplesPicked { paths, columns } => match columns {
                Ok(columns) => {
                    self.setup = Some(Setup::new(paths, columns));
                    None
                }
                Err(e) => Some((Tone::Err, e)),
            },
            ModelAnalysisEvent::DocumentPicked { path, document } => match document {
                Ok(doc) => {
                    let id = self.new_id();
                    let e = Evaluation::from_document(id, path.display().to_string(), &doc, false);
                    let label = e.label();
                    self.add(e);
                    Some((Tone::Ok, format!("Opened {label}")))
                }
                Err(e) => Some((Tone::Err, format!("{}: {e}", path.display()))),
            },
            ModelAnalysisEvent::Progress { id, fraction, phase } => {
                if let Some(p) = self.progress.as_mut().filter(|p| p.id == id) {
                    p.fraction = fraction;
                    p.phase = phase;
                }
                return None;
            }
            ModelAnalysisEvent::Computed { id, rows, time } => {
                if self.progress.as_ref().is_some_and(|p| p.id == id) {
                    self.progress = None;
                }
                let at = self.pending.iter().position(|(p, _)| *p == id)?;
                let (_, setup) = self.pending.remove(at);
                // The form closes when what it asked for is done.
                let from_form = self.setup.as_ref().is_some_and(|s| s.files == setup.files);
                match rows {
                    Ok(rows) => {
                        if from_form {
                            self.setup = None;
                        }
                        let source = setup.files.paths.iter().map(|p| p.display().to_string()).collect::<Vec<_>>();
                        let e = Evaluation {
                            id,
                            model: setup.files.model.clone(),
                            version: setup.files.version.clone(),
                            run: String::new(),
                            time,
                            source: source.join(", "),
                            rows,
                            has_examples: true,
                            from_cluster: false,
                            files: Some(setup.files.clone()),
                        };
                        let label = e.label();
                        self.add(e);
                        Some((Tone::Ok, format!("Computed the slices of {label}")))
                    }
                    Err(e) => match &mut self.setup {
                        Some(form) if from_form => {
                            form.error = Some(e);
                            None
                        }
                        _ => Some((Tone::Err, format!("Model analysis: {e}"))),
                    },
                }
            }
            ModelAnalysisEvent::Curves { id, slice, curves } => {
                if self.current == Some(id) && self.slice.as_deref() == Some(slice.as_str()) {
                    self.curves = curves.into();
                }
                return None;
            }
            ModelAnalysisEvent::ClusterListed(result) => {
                self.cluster.loading = false;
                match result {
                    Ok(found) => {
                        self.cluster.error = None;
                        self.take_cluster(found);
                    }
                    Err(e) => self.cluster.error = Some(e),
                }
                None
            }
        };
        self.rebuild();
        toast
    }

    /// Adds an evaluation and shows it; the one shown before becomes the comparison when it is the same model.
    fn add(&mut self, e: Evaluation) {
        let previous = self.shown().filter(|p| p.model == e.model).map(|p| p.id);
        self.current = Some(e.id);
        self.baseline = previous;
        self.slice = None;
        self.curves = Loadable::Idle;
        self.evaluations.push(e);
    }

    /// The cluster's documents replace the ones read before (ids kept by source, so what is shown stays shown).
    fn take_cluster(&mut self, found: Vec<Found>) {
        // Following the cluster's newest evaluation of a model: a newer one that arrives is shown, compared with it.
        let following = self
            .shown()
            .filter(|e| e.from_cluster)
            .map(|e| e.model.clone())
            .filter(|m| self.newest_of(m) == self.current);
        let mut fresh = Vec::new();
        self.cluster.problems.clear();
        for f in found {
            match f.document {
                Ok(doc) => {
                    let known = self.evaluations.iter().find(|e| e.from_cluster && e.source == f.source).map(|e| e.id);
                    let id = known.unwrap_or_else(|| self.new_id());
                    fresh.push(Evaluation::from_document(id, f.source, &doc, true));
                }
                Err(e) => self.cluster.problems.push((f.source, e)),
            }
        }
        self.evaluations.retain(|e| !e.from_cluster);
        self.evaluations.extend(fresh);
        self.evaluations.sort_by_key(|e| time_key(&e.time));
        let nothing_shown = self.shown().is_none();
        self.fix_selection();
        if !self.cluster.chose && nothing_shown {
            self.choose_first();
        } else if let Some(model) = following
            && let Some(newest) = self.newest_of(&model).filter(|n| Some(*n) != self.current)
        {
            self.baseline = self.current;
            self.current = Some(newest);
            self.slice = None;
            self.curves = Loadable::Idle;
        }
        self.cluster.chose |= self.current.is_some();
    }

    /// The cluster's newest evaluation of a model (evaluations are kept in time order).
    fn newest_of(&self, model: &str) -> Option<u64> {
        self.evaluations.iter().rev().find(|e| e.from_cluster && e.model == model).map(|e| e.id)
    }

    /// The first view of a cluster's evaluations: the newest of the model with the most evaluations, compared with
    /// the one before it.
    fn choose_first(&mut self) {
        let mut models: Vec<(&str, usize)> = Vec::new();
        for e in &self.evaluations {
            match models.iter_mut().find(|(m, _)| *m == e.model) {
                Some((_, n)) => *n += 1,
                None => models.push((&e.model, 1)),
            }
        }
        let Some(model) = models.iter().max_by_key(|(_, n)| *n).map(|(m, _)| m.to_string()) else { return };
        let of_model: Vec<u64> = self.evaluations.iter().filter(|e| e.model == model).map(|e| e.id).collect();
        self.current = of_model.last().copied();
        self.baseline = of_model.len().checked_sub(2).map(|i| of_model[i]);
    }

    /// Keeps the shown and compared evaluations pointing at open ones.
    fn fix_selection(&mut self) {
        let open = |id: Option<u64>, all: &[Evaluation]| id.filter(|id| all.iter().any(|e| e.id == *id));
        self.current = open(self.current, &self.evaluations).or(self.evaluations.last().map(|e| e.id));
        self.baseline = open(self.baseline, &self.evaluations).filter(|b| Some(*b) != self.current);
        if self.shown().is_none_or(|e| self.slice.as_ref().is_some_and(|s| !e.rows.iter().any(|r| &r.slice == s))) {
            self.slice = None;
        }
    }

    /// Whether a row is shown in the table and the chart.
    fn visible(&self, row: &SliceRow) -> bool {
        let small = analysis::is_small(row, self.min_count);
        let matches = self.search.is_empty() || row.slice.to_lowercase().contains(&self.search.to_lowercase());
        !(self.hide_small && small) && matches
    }

    /// Recomputes what the screen draws from the evaluations and the choices.
    pub fn rebuild(&mut self) {
        self.order.clear();
        self.chart = None;
        self.chart_slices.clear();
        self.deltas.clear();
        self.history = None;
        self.history_labels.clear();
        let Some(current) = self.shown().cloned() else { return };
        // A metric the evaluation does not have (AUC of a multi-class classifier): accuracy instead.
        if let Some(overall) = current.rows.iter().find(|r| r.slice == "Overall") {
            let values = overall.metrics.values();
            if !values[self.metric].is_finite() && values[2].is_finite() {
                self.metric = 2;
            }
        }
        let metric = self.metric;
        let baseline = self.compared().cloned();
        if let Some(base) = &baseline {
            self.deltas = analysis::compare(&base.rows, &current.rows, metric, 0.01);
        }
        // The table.
        let mut order: Vec<usize> = (0..current.rows.len())
            .filter(|&i| current.rows[i].slice != "Overall" && self.visible(&current.rows[i]))
            .collect();
        if let Some(column) = self.sort {
            let value = |i: usize| current.rows[i].metrics.values()[column];
            order.sort_by(|&a, &b| {
                let (x, y) = (value(a), value(b));
                match (x.is_nan(), y.is_nan()) {
                    (true, true) => std::cmp::Ordering::Equal,
                    (true, false) => std::cmp::Ordering::Greater,
                    (false, true) => std::cmp::Ordering::Less,
                    _ if self.descending => y.total_cmp(&x),
                    _ => x.total_cmp(&y),
                }
            });
        } else if self.descending {
            order.reverse();
        }
        self.order = order;
        // The chart: one family's slices, best first.
        let families = analysis::families(&current.rows);
        let family = self.family.clone().filter(|f| families.contains(f)).or_else(|| families.first().cloned());
        if let Some(family) = family {
            let mut rows: Vec<&SliceRow> = current
                .rows
                .iter()
                .filter(|r| analysis::family(&r.slice).as_deref() == Some(family.as_str()))
                .filter(|r| !(self.hide_small && analysis::is_small(r, self.min_count)))
                .collect();
            let value = |r: &SliceRow| r.metrics.values()[metric];
            rows.sort_by(|a, b| value(b).total_cmp(&value(a)));
            let interval = |e: Estimate| Interval { value: e.value, lower: e.lower, upper: e.upper };
            let find = |rows: &[SliceRow], slice: &str| {
                rows.iter().find(|r| r.slice == slice).map(|r| interval(Estimate::of(r, metric)))
            };
            let bars: Vec<SliceBar> = rows
                .iter()
                .map(|r| {
                    let mut values = Vec::new();
                    if let Some(base) = &baseline {
                        values.push(find(&base.rows, &r.slice));
                    }
                    values.push(Some(interval(Estimate::of(r, metric))));
                    SliceBar {
                        label: analysis::short_name(&r.slice),
                        values,
                        small: analysis::is_small(r, self.min_count),
                        regressed: self.deltas.iter().any(|d| d.slice == r.slice && d.regressed),
                    }
                })
                .collect();
            self.chart_slices = rows.iter().map(|r| r.slice.clone()).collect();
            let mut series = Vec::new();
            if let Some(base) = &baseline {
                series.push(base.label());
            }
            series.push(current.label());
            self.chart = Some(SliceChart {
                title: format!("{} by {}", self.metric_name(), family.replace('&', " × ")),
                metric: self.metric_name().to_string(),
                series,
                bars,
                reference: current.rows.iter().find(|r| r.slice == "Overall").map(|r| r.metrics.values()[metric]),
                selected: self.slice.as_ref().and_then(|s| self.chart_slices.iter().position(|c| c == s)),
            });
            self.family = Some(family);
        }
        // The history: the selected slice (or Overall) across the model's evaluations.
        let slice = self.slice.clone().unwrap_or_else(|| "Overall".into());
        // One evaluation per label (`hotdog v2` computed here and found on the cluster are one point): the one from
        // where the shown evaluation came from.
        let mut same_model: Vec<&Evaluation> = Vec::new();
        for e in self.evaluations.iter().filter(|e| e.model == current.model) {
            match same_model.iter().position(|s| s.label() == e.label()) {
                Some(at) if e.from_cluster == current.from_cluster => same_model[at] = e,
                Some(_) => {}
                None => same_model.push(e),
            }
        }
        let labels: Vec<String> = same_model.iter().map(|e| e.label()).collect();
        let points = analysis::history(
            same_model.iter().zip(&labels).map(|(e, l)| (l.as_str(), e.time.as_str(), e.rows.as_slice())),
            &slice,
            metric,
        );
        if points.len() >= 2 {
            // x: days since the first evaluation when every time is known, else the evaluation's number.
            let times: Option<Vec<jiff::Timestamp>> = points.iter().map(|p| p.time.parse().ok()).collect();
            let (xs, x_label): (Vec<f64>, String) = match times {
                Some(t) => (
                    t.iter().map(|x| (x.as_second() - t[0].as_second()) as f64 / 86_400.0).collect(),
                    format!("days since {}", points[0].label),
                ),
                None => ((1..=points.len()).map(|i| i as f64).collect(), "evaluation".into()),
            };
            let series = |name: &str, pick: &dyn Fn(&Estimate) -> Option<f64>| Series {
                name: name.to_string(),
                points: points.iter().zip(&xs).filter_map(|(p, x)| pick(&p.estimate).map(|v| (*x, v))).collect(),
            };
            let mut all = vec![series(self.metric_name(), &|e| Some(e.value))];
            if points.iter().any(|p| p.estimate.lower.is_some()) {
                all.push(series("lower bound", &|e| e.lower));
                all.push(series("upper bound", &|e| e.upper));
            }
            self.history = Some(LineChart {
                title: format!("{} of {slice} across {}'s evaluations", self.metric_name(), current.model),
                x_label,
                y_label: self.metric_name().into(),
                series: all,
                fill_first: false,
                fit_y: true,
                log_y: false,
            });
            self.history_labels = points.iter().map(|p| p.label.clone()).collect();
        }
    }

    /// The shown evaluation's table as CSV (the overall row, then the rows as ordered and filtered), with a file name.
    pub fn csv(&self) -> Option<(String, String)> {
        let e = self.shown()?;
        let mut rows: Vec<SliceRow> = e.rows.iter().filter(|r| r.slice == "Overall").cloned().collect();
        rows.extend(self.order.iter().map(|&i| e.rows[i].clone()));
        let name = format!("{}-slices.csv", e.label().replace([' ', '/', '\\'], "-"));
        Some((name, crate::metrics::sliced::to_csv(&rows)))
    }
}

/// Evaluations order by time (unparsable times first, by text).
fn time_key(time: &str) -> (Option<jiff::Timestamp>, String) {
    (time.parse().ok(), time.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::sliced::{Model, from_rows};
    use crate::metrics::slices::Metrics;

    fn rows(webcam_auc: f64) -> Vec<SliceRow> {
        let row = |slice: &str, auc: f64, count: f64| SliceRow {
            slice: slice.into(),
            metrics: Metrics { count, weighted_count: count, auc, ..Default::default() },
            lower: Some(Metrics { auc: auc - 0.02, ..Default::default() }),
            upper: Some(Metrics { auc: auc + 0.02, ..Default::default() }),
            per_class: Vec::new(),
        };
        vec![
            row("Overall", 0.9, 1000.0),
            row("camera=dslr", 0.95, 500.0),
            row("camera=webcam", webcam_auc, 480.0),
            row("camera=toaster", 0.5, 20.0),
            row("region=eu", 0.9, 1000.0),
        ]
    }

    fn found(version: &str, time: &str, webcam_auc: f64) -> Found {
        let doc = from_rows(Model { name: "hotdog".into(), version: version.into() }, "r", time, &rows(webcam_auc));
        Found { source: format!("pod/ml/eval-{version}"), document: Ok(doc) }
    }

    #[test]
    fn the_cluster_s_evaluations_open_as_a_comparison_of_the_newest_two() {
        let mut state = ModelAnalysisState::default();
        let request = state.due(true, "demo", None);
        assert!(matches!(request, Some(ModelAnalysisRequest::ListCluster { namespace: None })));
        assert!(state.due(true, "demo", None).is_none(), "one read at a time");
        let broken = Found { source: "configmap/ml/x[a.json]".into(), document: Err("not JSON".into()) };
        state.apply(ModelAnalysisEvent::ClusterListed(Ok(vec![
            found("2", "2026-12-02T00:00:00Z", 0.80),
            found("1", "2026-12-01T00:00:00Z", 0.93),
            broken,
        ])));
        assert_eq!(state.shown().unwrap().label(), "hotdog v2");
        assert_eq!(state.compared().unwrap().label(), "hotdog v1");
        assert_eq!(state.cluster.problems.len(), 1);
        let webcam = state.deltas.iter().find(|d| d.slice == "camera=webcam").unwrap();
        assert!(webcam.regressed && webcam.significant == Some(true));
        // The chart: camera's slices best first, both versions, the regressed one marked.
        let chart = state.chart.clone().unwrap();
        assert_eq!(state.chart_slices, ["camera=dslr", "camera=webcam", "camera=toaster"]);
        assert_eq!(chart.series, ["hotdog v1", "hotdog v2"]);
        assert!(chart.bars[1].regressed && chart.bars[2].small && chart.reference == Some(0.9));
        // The history of a slice across the two versions, oldest first.
        state.handle(ModelAnalysisCommand::SelectSlice(Some("camera=webcam".into())));
        assert_eq!(state.history_labels, ["hotdog v1", "hotdog v2"]);
        assert_eq!(state.history.as_ref().unwrap().series[0].points, [(0.0, 0.93), (1.0, 0.80)]);
        assert_eq!(state.history.as_ref().unwrap().x_label, "days since hotdog v1");
        // A second read keeps the ids (and so the selection).
        let shown = state.current;
        state.cluster.listed_at = None;
        state.due(true, "demo", None);
        state.apply(ModelAnalysisEvent::ClusterListed(Ok(vec![
            found("1", "2026-12-01T00:00:00Z", 0.93),
            found("2", "2026-12-02T00:00:00Z", 0.80),
        ])));
        assert_eq!(state.current, shown);
        assert_eq!(state.slice.as_deref(), Some("camera=webcam"));
        // A newer evaluation arriving while the newest is shown is shown next, compared with the one before.
        state.cluster.listed_at = None;
        state.due(true, "demo", None);
        state.apply(ModelAnalysisEvent::ClusterListed(Ok(vec![
            found("1", "2026-12-01T00:00:00Z", 0.93),
            found("2", "2026-12-02T00:00:00Z", 0.80),
            found("3", "2026-12-03T00:00:00Z", 0.92),
        ])));
        assert_eq!(
            (state.shown().unwrap().label(), state.compared().unwrap().label()),
            ("hotdog v3".into(), "hotdog v2".into())
        );
        assert!(state.deltas.iter().find(|d| d.slice == "camera=webcam").unwrap().improved);
    }

    #[test]
    fn the_table_sorts_filters_and_keeps_overall_out_of_its_order() {
        let mut state = ModelAnalysisState::default();
        state.apply(ModelAnalysisEvent::ClusterListed(Ok(vec![found("1", "", 0.7)])));
        let names = |s: &ModelAnalysisState| {
            s.order.iter().map(|&i| s.shown().unwrap().rows[i].slice.clone()).collect::<Vec<_>>()
        };
        state.handle(ModelAnalysisCommand::SortBy(Some(AUC)));
        assert_eq!(names(&state), ["camera=dslr", "region=eu", "camera=webcam", "camera=toaster"]);
        state.handle(ModelAnalysisCommand::SortBy(Some(AUC)));
        assert_eq!(names(&state)[0], "camera=toaster", "ascending the second time");
        state.handle(ModelAnalysisCommand::HideSmall(true));
        assert!(!names(&state).contains(&"camera=toaster".to_string()));
        state.handle(ModelAnalysisCommand::Search("CAM".into()));
        assert_eq!(names(&state).len(), 2);
        let (file, csv) = state.csv().unwrap();
        assert_eq!(file, "hotdog-v1-slices.csv");
        assert!(csv.lines().nth(1).unwrap().starts_with("Overall,"));
        assert_eq!(csv.lines().count(), 4);
    }

    #[test]
    fn evaluation_files_are_remembered_and_computed_again_at_start() {
        let files = |name: &str| EvaluationFiles {
            paths: vec![name.into()],
            label: "label".into(),
            prediction: "score".into(),
            slices: vec!["camera".into()],
            threshold: 0.5,
            model: "hotdog".into(),
            ..Default::default()
        };
        let mut state = ModelAnalysisState::default();
        let requests = state.restore(&[files("a.csv"), files("gone.csv")]);
        assert_eq!(requests.len(), 2);
        assert_eq!(state.remembered().len(), 2, "remembered while they are computed");
        let ids: Vec<u64> = requests
            .iter()
            .map(|r| match r {
                ModelAnalysisRequest::Compute { id, .. } => *id,
                other => panic!("{other:?}"),
            })
            .collect();
        state.apply(ModelAnalysisEvent::Computed { id: ids[0], rows: Ok(rows(0.9)), time: String::new() });
        let toast = state.apply(ModelAnalysisEvent::Computed {
            id: ids[1],
            rows: Err("gone.csv: not found".into()),
            time: String::new(),
        });
        assert!(toast.unwrap().1.contains("gone.csv"));
        assert_eq!(state.remembered(), [files("a.csv")]);
        assert!(state.shown().unwrap().has_examples);
        state.handle(ModelAnalysisCommand::Close(ids[0]));
        assert!(state.remembered().is_empty());
    }

    #[test]
    fn the_setup_guesses_and_refuses_what_cannot_be_computed() {
        let info = |name: &str, binary: bool, unit: bool| ColumnInfo {
            name: name.into(),
            numeric: binary || unit,
            binary,
            unit,
            integral: binary,
            distinct: 3,
        };
        let mut state = ModelAnalysisState::default();
        state.apply(ModelAnalysisEvent::ExamplesPicked {
            paths: vec!["eval.csv".into()],
            columns: Ok(vec![info("is_hotdog", true, true), info("p", false, true), info("camera", false, false)]),
        });
        let setup = state.setup.clone().unwrap();
        assert_eq!((setup.files.label.as_str(), setup.files.prediction.as_str()), ("is_hotdog", "p"));
        assert_eq!(setup.files.slices, ["camera"]);
        let mut bad = setup.clone();
        bad.files.crosses = vec!["camera".into()];
        state.handle(ModelAnalysisCommand::EditSetup(Box::new(bad)));
        assert!(state.handle(ModelAnalysisCommand::Compute).is_empty());
        assert!(state.setup.as_ref().unwrap().error.as_ref().unwrap().contains("two columns"));
        state.handle(ModelAnalysisCommand::EditSetup(Box::new(setup)));
        let sent = state.handle(ModelAnalysisCommand::Compute);
        assert!(matches!(sent.as_slice(), [ModelAnalysisRequest::Compute { .. }]));
        assert!(state.progress.is_some());
    }
}
