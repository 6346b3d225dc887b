//! The Training screen's model: the launch form (a [`TrainingSpec`] with its YAML, validation and fit preview),
//! the submit in flight, and the job whose flight recorder is open. The form autosaves as a draft.

use serde_json::Value;

use super::loadable::Loadable;
use super::protocol::{JobKey, Recorder, TrainingEvent, TrainingRequest};
use crate::resources::ledger::LedgerRow;
use crate::resources::teams::QuotaRow;
use crate::tone::Tone;
use crate::workloads::fit::{self, FitReport};
use crate::workloads::import::{self, Imported};
use crate::workloads::render;
use crate::workloads::spec::{FieldError, TrainingSpec};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Jobs,
    Launch,
}

/// What the user does on the Training screen.
#[derive(Debug, Clone, PartialEq)]
pub enum TrainingCommand {
    Tab(Tab),
    /// The form changed (the view edits a copy and sends it whole).
    Form(Box<TrainingSpec>),
    /// The YAML preview was edited by hand.
    Yaml(String),
    /// Go back from hand-edited YAML to what the form renders.
    ResetYaml,
    Submit,
    /// Open a job's flight recorder (or refresh it).
    Open(JobKey),
    Close,
    Delete(JobKey),
    /// Suspend (true) or resume (false) a job: its pods go, and come back on resume.
    Suspend(JobKey, bool),
    /// Put a job's spec into the form (its name suffixed), to run it again changed.
    Clone(JobKey),
    /// Read a run's log for these metrics / with this pattern from now on (and its kept log again).
    SetMetrics(JobKey, crate::resources::training::MetricSpec),
    /// Export the YAML to a file the user picks.
    ExportYaml,
    /// Read a YAML job from a file into the form.
    ImportYaml,
    /// Save a replica's log lines to a file the user picks.
    SaveLog {
        pod: String,
        lines: Vec<String>,
    },
    /// Keep the form as a template under this name.
    SaveTemplate(String),
    /// Fill the form from the template of this name.
    UseTemplate(String),
}

/// Where a submit stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Submit {
    #[default]
    Idle,
    Submitting,
    /// `kind/namespace/name` of what was created.
    Done(Vec<String>),
    /// The server's refusal; field causes are mapped onto the form where they name one of its fields.
    Failed {
        message: String,
        fields: Vec<FieldError>,
    },
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TrainingState {
    pub tab: Tab,
    pub form: TrainingSpec,
    /// The YAML shown: rendered from the form, or as the user edited it.
    pub yaml: String,
    /// The YAML was edited by hand and no longer follows the form.
    pub yaml_edited: bool,
    /// Why the edited YAML cannot be used.
    pub yaml_error: Option<String>,
    pub errors: Vec<FieldError>,
    /// The fit of what would be submitted, against the ledger it was computed on.
    pub fit: Option<FitReport>,
    fit_generation: u64,
    /// `kind/namespace/name` of jobs just submitted, watched for a quota refusing their pods.
    watch_quota: Vec<String>,
    pub submit: Submit,
    pub open: Option<JobKey>,
    pub recorder: Loadable<Recorder>,
    /// The open recorder's metrics as charts (losses together, accuracies together …), built when it arrives.
    pub recorder_charts: Vec<crate::charts::LineChart>,
    /// Why the open recorder's run has no curves (none when it has some), said once when it arrives.
    pub recorder_no_metrics: Option<String>,
    /// When the open recorder arrived: a running job's is read again every [`RECORDER_REFRESH`] for live curves.
    recorder_at: Option<std::time::Instant>,
    /// Read the open recorder again once this has passed (its metric settings changed: the keeper re-reads the
    /// kept log within a second or two).
    reread_at: Option<std::time::Instant>,
    /// Saved templates, by name.
    pub templates: Vec<(String, TrainingSpec)>,
}

/// Why a run shows no curves: its primary replica printed nothing yet, or nothing that reads as a metric (with
/// its last lines, so the user sees what the parser saw).
fn no_metrics_why(r: &Recorder) -> String {
    // The replica whose log is read for metrics: the leader, else the first worker or pod.
    let rank = |pod: &str| {
        let role = r.pods.iter().find(|p| p.name == pod).map_or("", |p| p.role.as_str());
        (!matches!(role, "chief" | "master" | "launcher"), pod.to_string())
    };
    let primary = r.logs.iter().filter(|(_, _, lines)| !lines.is_empty()).min_by_key(|(pod, _, _)| rank(pod));
    match primary {
        None => "No metrics yet: its replicas have printed nothing so far.".into(),
        Some((pod, _, lines)) => {
            let last: Vec<&str> = lines.iter().rev().take(3).rev().map(String::as_str).collect();
            format!(
                "No metrics: none of the {} lines of {pod} has name=value pairs with an epoch or step, or JSON \
                 metrics. Its last lines:\n{}",
                lines.len(),
                last.join("\n")
            )
        }
    }
}

/// How often the open flight recorder of a running job is read again.
pub const RECORDER_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

/// A run's metrics as charts: one per family (`loss` with `val_loss`, `accuracy` with `val_accuracy` …), each
/// decimated to the pixels.
pub fn metric_charts(metrics: &[(String, Vec<(f64, f64)>)]) -> Vec<crate::charts::LineChart> {
    let family = |m: &str| {
        let m = m.strip_prefix("val_").or_else(|| m.strip_prefix("eval_")).unwrap_or(m);
        m.strip_prefix("train_").unwrap_or(m).to_string()
    };
    let mut charts: Vec<crate::charts::LineChart> = Vec::new();
    for (metric, points) in metrics {
        let series =
            crate::charts::Series { name: metric.clone(), points: crate::metrics::curves::decimate(points, 800) };
        let name = family(metric);
        match charts.iter_mut().find(|c| c.title == name) {
            Some(c) => c.series.push(series),
            None => charts.push(crate::charts::LineChart {
                title: name.clone(),
                x_label: "step".into(),
                y_label: name,
                series: vec![series],
                fill_first: false,
                fit_y: true,
                log_y: false,
            }),
        }
    }
    charts
}

impl TrainingState {
    pub fn new(form: TrainingSpec) -> Self {
        let mut state = Self { form, ..Default::default() };
        state.rerender();
        state
    }

    /// The objects a submit would send: the edited YAML's, else the form's.
    pub fn objects(&self) -> Result<Vec<Value>, String> {
        if !self.yaml_edited {
            return Ok(render::objects(&self.form));
        }
        let objects = crate::stack::objects::parse("form", "YAML", &self.yaml).map_err(|e| e.to_string())?;
        if objects.is_empty() {
            return Err("the YAML holds no objects".into());
        }
        Ok(objects.into_iter().map(|o| o.value).collect())
    }

    fn rerender(&mut self) {
        self.errors = self.form.validate();
        // The metric pattern is a regex the keeper will read the run's log with.
        if let Err(message) =
            crate::metrics::lines::LineParser::for_spec(&self.form.metrics.names, &self.form.metrics.pattern)
        {
            self.errors.push(crate::workloads::spec::FieldError { field: "metrics".into(), message });
        }
        if !self.yaml_edited {
            self.yaml = render::objects(&self.form)
                .iter()
                .map(|o| serde_saphyr::to_string(o).unwrap_or_default())
                .collect::<Vec<_>>()
                .join("---\n");
        }
        self.fit_generation = u64::MAX; // recompute on the next snapshot
    }

    /// Fills the form from a job's YAML (a file read, a job cloned). The form takes what it can show; when the job
    /// has more, the YAML stays as written (it is what a submit sends) and the message names what the form leaves
    /// out. YAML that is not one job goes to the YAML editor alone.
    fn take_job(&mut self, yaml: String, what: &str) -> (Tone, String) {
        self.tab = Tab::Launch;
        let objects: Vec<Value> = crate::stack::objects::parse("form", "YAML", &yaml)
            .map(|objects| objects.into_iter().map(|o| o.value).collect())
            .unwrap_or_default();
        let is_claim = |o: &Value| o.get("kind").and_then(Value::as_str) == Some("PersistentVolumeClaim");
        let jobs: Vec<&Value> = objects.iter().filter(|o| !is_claim(o)).collect();
        let imported = match jobs.as_slice() {
            [job] => import::spec_of(job),
            [] => Err("it holds no job".into()),
            _ => Err(format!("it holds {} objects besides claims, and the form shows one job", jobs.len())),
        };
        let (mut spec, mut left_out) = match imported {
            Ok(Imported { spec, left_out }) => (spec, left_out),
            Err(why) => {
                self.yaml = yaml;
                self.yaml_edited = true;
                self.yaml_error = self.objects().err();
                self.fit_generation = u64::MAX;
                let why = self.yaml_error.clone().unwrap_or(why);
                return (Tone::Warn, format!("{what}: in the YAML editor only ({why})"));
            }
        };
        // Claims in the file are the ones the form creates with the job.
        for claim in objects.iter().filter(|o| is_claim(o)) {
            let name = claim.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default();
            let size = claim.pointer("/spec/resources/requests/storage").and_then(Value::as_str).unwrap_or_default();
            match spec.volumes.iter_mut().find(|v| v.claim == name) {
                Some(v) if !size.is_empty() => v.create_size = size.to_string(),
                _ => left_out.push(format!("the PersistentVolumeClaim {name}")),
            }
        }
        self.form = spec;
        if left_out.is_empty() {
            self.yaml_edited = false;
            self.yaml_error = None;
            self.rerender();
            return (Tone::Ok, format!("{what}: the form shows all of it"));
        }
        self.yaml = yaml;
        self.yaml_edited = true;
        self.rerender();
        self.yaml_error = self.objects().err();
        let message = format!(
            "{what}: the form shows what it can; the YAML, which a submit sends, also has {}. Reset the YAML to submit \
             the form alone.",
            left_out.join(", ")
        );
        (Tone::Warn, message)
    }

    /// What a quota says to the pods of jobs just submitted (once per job): the API server's refusal, which the
    /// operator reports on the job, since the job itself was created.
    pub fn quota_news(&mut self, snap: &crate::state::cluster_view::ClusterSnapshot) -> Vec<String> {
        let mut news = Vec::new();
        self.watch_quota.retain(|created| {
            let mut parts = created.splitn(3, '/');
            let (Some(kind), Some(ns), Some(name)) = (parts.next(), parts.next(), parts.next()) else { return false };
            match snap.quota_refusal(ns, kind, name) {
                Some(refusal) => {
                    news.push(format!("{kind} {ns}/{name} was created, but its pods are refused: {refusal}"));
                    false
                }
                None => true,
            }
        });
        news
    }

    /// Recomputes the fit preview when the form or the cluster changed (not every frame).
    pub fn refresh_fit(&mut self, generation: u64, ledger: &[LedgerRow], quotas: &[std::sync::Arc<QuotaRow>]) {
        if self.fit_generation == generation {
            return;
        }
        self.fit_generation = generation;
        self.fit = self.objects().ok().and_then(|objects| {
            let job = objects.iter().find(|o| {
                o.get("kind").and_then(Value::as_str).and_then(crate::workloads::JobKind::from_kind).is_some()
            })?;
            let namespace = job.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
            Some(fit::preview(&fit::demands(job).ok()?, namespace, ledger, quotas))
        });
    }

    /// Follows the cluster: the fit preview is recomputed, and the open flight recorder fetched again when its job
    /// changed (a replica started, ended, restarted).
    pub fn on_snapshot(&mut self, snap: &crate::state::cluster_view::ClusterSnapshot) -> Vec<TrainingRequest> {
        self.refresh_fit(snap.generation, &snap.ledger, &snap.quotas);
        let Some(key) = self.open.clone() else { return Vec::new() };
        let live = snap
            .training_jobs
            .iter()
            .find(|j| j.kind == key.kind.name() && j.namespace == key.namespace && j.name == key.name);
        let shown = self.recorder.ready().and_then(|r| r.job.as_ref());
        let stale = self.recorder_at.is_some_and(|t| t.elapsed() >= RECORDER_REFRESH);
        if self.reread_at.is_some_and(|t| std::time::Instant::now() >= t) && !matches!(self.recorder, Loadable::Loading)
        {
            self.reread_at = None;
            return vec![TrainingRequest::Recorder(key)];
        }
        let changed = match (live, shown) {
            (Some(live), Some(shown)) => {
                (&live.state, &live.replicas) != (&shown.state, &shown.replicas)
                    || (live.state == "Running" && stale && !matches!(self.recorder, Loadable::Loading))
            }
            (Some(_), None) | (None, Some(_)) => !matches!(self.recorder, Loadable::Loading),
            (None, None) => false,
        };
        if changed {
            return vec![TrainingRequest::Recorder(key)];
        }
        Vec::new()
    }

    pub fn handle(&mut self, command: TrainingCommand) -> Vec<TrainingRequest> {
        match command {
            TrainingCommand::Tab(tab) => self.tab = tab,
            TrainingCommand::Form(spec) => {
                self.form = *spec;
                self.rerender();
                return vec![TrainingRequest::SaveDraft(Box::new(self.form.clone()))];
            }
            TrainingCommand::Yaml(text) => {
                self.yaml = text;
                self.yaml_edited = true;
                self.yaml_error = self.objects().err();
                self.fit_generation = u64::MAX;
            }
            TrainingCommand::ResetYaml => {
                self.yaml_edited = false;
                self.yaml_error = None;
                self.rerender();
            }
            TrainingCommand::Submit => {
                if self.yaml_edited {
                    if let Some(e) = &self.yaml_error {
                        self.submit = Submit::Failed { message: e.clone(), fields: Vec::new() };
                        return Vec::new();
                    }
                } else if !self.errors.is_empty() {
                    self.submit = Submit::Failed {
                        message: "the form has problems (marked in red)".into(),
                        fields: self.errors.clone(),
                    };
                    return Vec::new();
                }
                match self.objects() {
                    Ok(objects) => {
                        self.submit = Submit::Submitting;
                        return vec![TrainingRequest::Submit(objects)];
                    }
                    Err(e) => self.submit = Submit::Failed { message: e, fields: Vec::new() },
                }
            }
            TrainingCommand::Open(key) => {
                self.open = Some(key.clone());
                self.recorder = Loadable::Loading;
                return vec![TrainingRequest::Recorder(key)];
            }
            TrainingCommand::Close => {
                self.open = None;
                self.recorder = Loadable::Idle;
            }
            TrainingCommand::Delete(key) => return vec![TrainingRequest::Delete(key)],
            TrainingCommand::Suspend(key, suspend) => return vec![TrainingRequest::Suspend(key, suspend)],
            TrainingCommand::SetMetrics(key, spec) => return vec![TrainingRequest::SetMetrics(key, spec)],
            TrainingCommand::Clone(key) => return vec![TrainingRequest::Fetch(key)],
            TrainingCommand::ExportYaml => {
                let file_name = format!("{}.yaml", if self.form.name.is_empty() { "job" } else { &self.form.name });
                return vec![TrainingRequest::SaveText {
                    title: "Export the job's YAML".into(),
                    file_name,
                    text: self.yaml.clone(),
                }];
            }
            TrainingCommand::ImportYaml => return vec![TrainingRequest::ImportYaml],
            TrainingCommand::SaveTemplate(name) => {
                if !kubefmt::names::is_dns_label(&name) {
                    self.submit = Submit::Failed {
                        message: format!("\"{name}\" cannot name a template: lower-case letters, digits and '-'"),
                        fields: Vec::new(),
                    };
                    return Vec::new();
                }
                match self.templates.iter_mut().find(|(n, _)| *n == name) {
                    Some(t) => t.1 = self.form.clone(),
                    None => self.templates.push((name.clone(), self.form.clone())),
                }
                self.templates.sort_by(|a, b| a.0.cmp(&b.0));
                return vec![TrainingRequest::SaveTemplate { name, spec: Box::new(self.form.clone()) }];
            }
            TrainingCommand::UseTemplate(name) => {
                if let Some((_, spec)) = self.templates.iter().find(|(n, _)| *n == name) {
                    self.form = spec.clone();
                    self.yaml_edited = false;
                    self.yaml_error = None;
                    self.rerender();
                    return vec![TrainingRequest::SaveDraft(Box::new(self.form.clone()))];
                }
            }
            TrainingCommand::SaveLog { pod, lines } => {
                let mut text = lines.join("\n");
                text.push('\n');
                return vec![TrainingRequest::SaveText {
                    title: format!("Save the log of {pod}"),
                    file_name: format!("{pod}.log"),
                    text,
                }];
            }
        }
        Vec::new()
    }

    /// Applies an answer; returns a message for a toast when there is one to show.
    pub fn apply(&mut self, event: TrainingEvent) -> Option<(Tone, String)> {
        match event {
            TrainingEvent::Submitted(Ok(created)) => {
                let note = format!("Submitted {}", created.join(", "));
                self.watch_quota = created.clone();
                self.submit = Submit::Done(created);
                self.tab = Tab::Jobs;
                return Some((Tone::Ok, note));
            }
            TrainingEvent::Submitted(Err(refusal)) => {
                let causes = refusal.causes.iter();
                let fields = causes.map(|(f, m)| FieldError { field: form_field(f), message: m.clone() }).collect();
                self.submit = Submit::Failed { message: refusal.message, fields };
            }
            TrainingEvent::Recorder { key, result } if self.open.as_ref() == Some(&key) => {
                self.recorder_at = Some(std::time::Instant::now());
                self.recorder = match result {
                    Ok(r) => {
                        self.recorder_charts = metric_charts(&r.metrics);
                        self.recorder_no_metrics =
                            (self.recorder_charts.is_empty() && r.job.is_some()).then(|| no_metrics_why(&r));
                        Loadable::Ready(*r)
                    }
                    Err(e) => Loadable::Failed(e),
                };
            }
            TrainingEvent::Recorder { .. } => {}
            TrainingEvent::Deleted(Ok(key)) => {
                if self.open.as_ref() == Some(&key) {
                    self.open = None;
                }
                return Some((Tone::Ok, format!("Deleted {}", key.display())));
            }
            TrainingEvent::Deleted(Err(e)) | TrainingEvent::Suspended(Err(e)) | TrainingEvent::MetricsSet(Err(e)) => {
                return Some((Tone::Err, e));
            }
            TrainingEvent::MetricsSet(Ok(key)) => {
                // The curves change as soon as the keeper has read the kept log again.
                self.reread_at = Some(std::time::Instant::now() + std::time::Duration::from_secs(2));
                return Some((Tone::Ok, format!("Metric settings of {} saved; its log is read again", key.display())));
            }
            TrainingEvent::Suspended(Ok((key, suspended))) => {
                let what = if suspended { "Suspended" } else { "Resumed" };
                return Some((Tone::Ok, format!("{what} {}", key.display())));
            }
            TrainingEvent::Fetched(Ok(object)) => {
                let name = object.pointer("/metadata/name").and_then(Value::as_str).unwrap_or("the copy").to_string();
                return Some(self.take_job(serde_saphyr::to_string(&object).unwrap_or_default(), &name));
            }
            TrainingEvent::Fetched(Err(e)) | TrainingEvent::Exported(Err(e)) => return Some((Tone::Err, e)),
            TrainingEvent::Exported(Ok(path)) => return Some((Tone::Ok, format!("Saved {}", path.display()))),
            TrainingEvent::Imported(Ok((path, text))) => {
                return Some(self.take_job(text, &format!("Read {}", path.display())));
            }
            TrainingEvent::Imported(Err(e)) => return Some((Tone::Err, e)),
        }
        None
    }
}

/// The form field a server's field path is about (`spec.tfReplicaSpecs.Worker.replicas` → the Worker's replicas).
fn form_field(path: &str) -> String {
    match path {
        "metadata.name" => "name".into(),
        "metadata.namespace" => "namespace".into(),
        p if p.contains("image") => "image".into(),
        p if p.contains("resources") => "roles".into(),
        p if p.contains("runPolicy") => "run_policy".into(),
        p => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_renders_validates_and_submits_only_when_valid() {
        let mut state = TrainingState::new(TrainingSpec::default());
        assert!(state.errors.iter().any(|e| e.field == "name"), "a new form has no name yet");
        assert!(state.handle(TrainingCommand::Submit).is_empty());
        assert!(matches!(state.submit, Submit::Failed { .. }));
        let spec = TrainingSpec { name: "mnist".into(), ..Default::default() };
        let saved = state.handle(TrainingCommand::Form(Box::new(spec)));
        assert!(matches!(saved.as_slice(), [TrainingRequest::SaveDraft(_)]), "drafts autosave");
        assert!(state.yaml.contains("kind: TFJob") && state.yaml.contains("name: mnist"));
        let sent = state.handle(TrainingCommand::Submit);
        assert!(matches!(sent.as_slice(), [TrainingRequest::Submit(o)] if o.len() == 1));
    }

    #[test]
    fn a_job_read_from_yaml_fills_the_form_and_keeps_what_the_form_cannot_show() {
        let mut state = TrainingState::new(TrainingSpec::default());
        let made = TrainingSpec {
            name: "from-file".into(),
            volumes: vec![crate::workloads::spec::VolumeSpec {
                claim: "ckpt".into(),
                mount_path: "/out".into(),
                create_size: "10Gi".into(),
            }],
            ..Default::default()
        };
        let yaml =
            render::objects(&made).iter().map(|o| serde_saphyr::to_string(o).unwrap_or_default()).collect::<Vec<_>>();
        let toast = state.apply(TrainingEvent::Imported(Ok(("job.yaml".into(), yaml.join("---\n")))));
        assert_eq!(toast.map(|t| t.0), Some(Tone::Ok));
        assert_eq!(state.form, made, "the form, claim size and all");
        assert!(!state.yaml_edited && state.tab == Tab::Launch);

        let extra = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: by-hand}\nspec: {template: {spec: {\
                     serviceAccountName: trainer, containers: [{name: c, image: x:1}]}}}\n";
        let (tone, message) =
            state.apply(TrainingEvent::Imported(Ok(("job.yaml".into(), extra.into())))).expect("toast");
        assert_eq!(tone, Tone::Warn);
        assert!(message.contains("serviceAccountName of the Pod's pods"), "{message}");
        assert_eq!((state.form.name.as_str(), state.form.image.as_str()), ("by-hand", "x:1"));
        assert!(state.yaml_edited, "the YAML, which has more, is what a submit sends");
        let sent = state.handle(TrainingCommand::Submit);
        assert!(
            matches!(sent.as_slice(), [TrainingRequest::Submit(o)] if o[0].pointer("/spec/template/spec/serviceAccountName").is_some())
        );

        let (tone, message) = state
            .apply(TrainingEvent::Imported(Ok(("cm.yaml".into(), "kind: ConfigMap\nmetadata: {name: x}\n".into()))))
            .expect("toast");
        assert_eq!(tone, Tone::Warn);
        assert!(message.contains("YAML editor only"), "{message}");
    }

    #[test]
    fn hand_edited_yaml_is_checked_and_followed_until_reset() {
        let mut state = TrainingState::new(TrainingSpec { name: "mnist".into(), ..Default::default() });
        state.handle(TrainingCommand::Yaml("kind: [".into()));
        assert!(state.yaml_edited && state.yaml_error.is_some());
        assert!(state.handle(TrainingCommand::Submit).is_empty());
        state.handle(TrainingCommand::Yaml(state.yaml.clone().replace("kind: [", "")));
        let yaml = "apiVersion: batch/v1\nkind: Job\nmetadata: {name: by-hand}\nspec: {template: {spec: {containers: [{name: c, image: x}]}}}\n";
        state.handle(TrainingCommand::Yaml(yaml.into()));
        assert_eq!(state.yaml_error, None);
        let sent = state.handle(TrainingCommand::Submit);
        assert!(matches!(sent.as_slice(), [TrainingRequest::Submit(o)] if o[0]["metadata"]["name"] == "by-hand"));
        state.handle(TrainingCommand::ResetYaml);
        assert!(!state.yaml_edited && state.yaml.contains("name: mnist"));
    }

    #[test]
    fn server_refusals_land_on_the_form_s_fields() {
        let mut state = TrainingState::new(TrainingSpec::default());
        state.apply(TrainingEvent::Submitted(Err(super::super::protocol::Refusal {
            message: "invalid".into(),
            causes: vec![("metadata.name".into(), "Invalid value".into())],
        })));
        let Submit::Failed { fields, .. } = &state.submit else { panic!("failed") };
        assert_eq!(fields[0].field, "name");
    }
}
