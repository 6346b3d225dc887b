//! The Serving screen's model: the deploy form (a [`ServingSpec`] with its YAML and validation), the list of model
//! servers (from the snapshot), the open server's detail (roll-out, pods, revisions, events), the actions on it
//! (scale, update, roll back, canary split, promote, abort, delete — the destructive ones after a confirmation)
//! and "Try it": model status, a prediction and a small load test through a port-forward.

use std::time::Duration;

use super::loadable::Loadable;
use super::protocol::{Refusal, ServingEvent, ServingRequest};
use crate::charts::{BarChart, LineChart, Series};
pub use crate::cluster::forward::{LoadReport, MAX_LOAD_CONCURRENCY, MAX_LOAD_REQUESTS, Reply};
use crate::cluster::serving::ServerDetail;
use crate::resources::serving::{ModelServerRow, ServerSource};
use crate::tone::Tone;
use crate::workloads::serving::{self, ServingSpec, VersionPolicy};
use crate::workloads::spec::FieldError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tab {
    #[default]
    Servers,
    Deploy,
}

/// An action that asks "are you sure?" first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Risky {
    Promote,
    AbortCanary,
    Rollback,
    Delete,
}

impl Risky {
    /// The question the confirmation asks, about `server`.
    pub fn question(self, server: &str) -> String {
        match self {
            Risky::Promote => format!(
                "Promote the canary of {server}? Stable takes its image and version (a rolling update) and the canary goes."
            ),
            Risky::AbortCanary => format!("Abort the canary of {server}? Its pods go; stable serves every request."),
            Risky::Rollback => format!("Roll {server} back to its previous revision (a rolling update)?"),
            Risky::Delete => {
                format!("Delete {server}: its Deployments, Service and autoscaler? Clients lose it at once.")
            }
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Risky::Promote => "Promote",
            Risky::AbortCanary => "Abort canary",
            Risky::Rollback => "Roll back",
            Risky::Delete => "Delete",
        }
    }
}

/// What the user does on the Serving screen.
#[derive(Debug, Clone, PartialEq)]
pub enum ServingCommand {
    Tab(Tab),
    /// The form changed (the view edits a copy and sends it whole).
    Form(Box<ServingSpec>),
    Deploy,
    ExportYaml,
    /// Open a server's detail.
    Open {
        namespace: String,
        name: String,
    },
    Close,
    /// Set the stable Deployment's replicas (without an autoscaler).
    Scale(u32),
    /// Set the autoscaler's bounds.
    Autoscale {
        min: u32,
        max: u32,
    },
    /// A rolling update of stable to this image and/or version (empty: unchanged).
    Update {
        image: String,
        version: String,
    },
    /// Start a canary of this image and/or version taking about `percent` of the requests.
    StartCanary {
        image: String,
        version: String,
        percent: u32,
    },
    /// Change the canary's share of requests.
    Split(u32),
    /// Ask for confirmation of a risky action.
    Ask(Risky),
    /// Run the action asked about.
    Confirm,
    /// Do not run it.
    Cancel,
    /// The "Try it" request body.
    Body(String),
    /// Which model of the server to ask.
    Model(String),
    /// Read the model's status (`GET /v1/models/NAME`).
    Status,
    /// Send the body to `:predict`.
    Predict,
    /// Send the body `requests` times with `concurrency` connections.
    LoadTest {
        requests: usize,
        concurrency: usize,
    },
    /// Fill the form from the stack's model-server template.
    UseTemplate,
    /// Save the load test's charts as SVG or PNG.
    ExportLoadChart {
        format: crate::charts::ExportFormat,
        style: crate::charts::ChartStyle,
    },
}

/// Where a deploy stands.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Deploy {
    #[default]
    Idle,
    Deploying,
    Done(Vec<String>),
    Failed {
        message: String,
        fields: Vec<FieldError>,
    },
}

/// The load test in flight or done.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Load {
    #[default]
    Idle,
    Running {
        done: usize,
        of: usize,
    },
    Done(Box<LoadView>),
    Failed(String),
}

/// A finished load test and its charts, built once when it arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadView {
    pub report: LoadReport,
    /// p50, p95, p99 in milliseconds.
    pub percentiles: BarChart,
    /// Requests per second over the run, and latency by percentile.
    pub throughput: LineChart,
    pub latency: LineChart,
}

impl LoadView {
    pub fn of(report: LoadReport) -> Self {
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        let percentiles = BarChart {
            title: "Latency percentiles".into(),
            value_label: "milliseconds".into(),
            bars: [("p50", 0.5), ("p95", 0.95), ("p99", 0.99)]
                .iter()
                .map(|(l, q)| ((*l).to_string(), (ms(report.percentile(*q)) * 100.0).round() / 100.0))
                .collect(),
        };
        let window = if report.window > 0.0 { report.window } else { 0.1 };
        let throughput = LineChart {
            title: "Throughput".into(),
            x_label: "seconds".into(),
            y_label: "req/s".into(),
            series: vec![Series {
                name: "answered".into(),
                points: report.timeline.iter().map(|(t, n)| (*t, *n as f64 / window)).collect(),
            }],
            fill_first: true,
            fit_y: false,
            log_y: false,
        };
        let n = report.latencies.len();
        let step = (n / 400).max(1);
        // Latencies span orders of magnitude (a first request on a new connection, then keep-alive): log scale.
        let points: Vec<(f64, f64)> = report
            .latencies
            .iter()
            .enumerate()
            .filter(|(i, _)| i % step == 0 || *i + 1 == n)
            .map(|(i, d)| (100.0 * (i + 1) as f64 / n as f64, ms(*d)))
            .collect();
        let latency = LineChart {
            title: "Latency by percentile".into(),
            x_label: "percentile".into(),
            y_label: "ms".into(),
            series: vec![Series { name: "latency".into(), points: crate::metrics::curves::log10(&points) }],
            fill_first: false,
            fit_y: true,
            log_y: true,
        };
        Self { report, percentiles, throughput, latency }
    }
}

/// "Try it" for the open server.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TryIt {
    pub model: String,
    pub body: String,
    pub body_error: Option<String>,
    pub status: Loadable<Reply>,
    pub reply: Loadable<Reply>,
    pub load: Load,
}

/// An example request for a runtime: what its model takes.
pub fn example_body(runtime: &str) -> String {
    if runtime.contains("scikit") || runtime.contains("XGBoost") {
        "{\"instances\": [[6.8, 2.8, 4.8, 1.4], [6.0, 3.4, 4.5, 1.6]]}".into()
    } else {
        "{\"instances\": [[1.0, 2.0, 5.0]]}".into()
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServingState {
    pub tab: Tab,
    pub form: ServingSpec,
    pub yaml: String,
    pub errors: Vec<FieldError>,
    pub deploy: Deploy,
    /// The servers as last listed (from the snapshot), by namespace and name.
    pub servers: std::sync::Arc<Vec<ModelServerRow>>,
    /// The open server (namespace, name).
    pub open: Option<(String, String)>,
    pub detail: Loadable<ServerDetail>,
    /// A read of the open server's detail is on its way (what is shown stays until it arrives).
    detail_in_flight: bool,
    /// The open server changed while its detail was being read: read it again when that answer arrives.
    detail_stale: bool,
    /// The action waiting for "are you sure?".
    pub confirm: Option<Risky>,
    /// An action on the open server is under way (its buttons wait).
    pub busy: Option<String>,
    pub try_it: TryIt,
    /// A refusal to show as a toast (taken by the app after [`ServingState::handle`]).
    pub pending_toast: Option<(Tone, String)>,
    /// The stack's model-server template (the `tf-serving` component's ConfigMap): its namespace and settings.
    pub template: Option<(String, std::collections::BTreeMap<String, String>)>,
    /// Whether the form's replicas fit the cluster now and what the namespace's quotas would refuse, as the
    /// Training form's preview says it.
    pub fit: Option<crate::workloads::fit::FitReport>,
    fit_generation: u64,
}

impl ServingState {
    pub fn new(form: ServingSpec) -> Self {
        let mut state = Self { form, ..Default::default() };
        state.rerender();
        state
    }

    fn rerender(&mut self) {
        self.fit_generation = u64::MAX; // recomputed with the next snapshot
        self.errors = self.form.validate();
        self.yaml = serving::objects(&self.form)
            .iter()
            .map(|o| serde_saphyr::to_string(o).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("---\n");
    }

    /// The open server's row.
    pub fn open_row(&self) -> Option<&ModelServerRow> {
        let (ns, name) = self.open.as_ref()?;
        self.servers.iter().find(|s| &s.namespace == ns && &s.name == name)
    }

    /// Recomputes the fit of the form's replicas (the autoscaler's minimum when it has one) when the form or the
    /// cluster changed.
    pub fn refresh_fit(&mut self, snap: &crate::state::cluster_view::ClusterSnapshot) {
        use crate::workloads::fit;
        if self.fit_generation == snap.generation {
            return;
        }
        self.fit_generation = snap.generation;
        let replicas = self.form.autoscale.as_ref().map_or(self.form.replicas, |a| a.min);
        self.fit = serving::objects(&self.form)
            .iter()
            .find(|o| o["kind"] == "Deployment")
            .and_then(|d| d.pointer("/spec/template"))
            .map(|template| {
                let demand = fit::demand("Replica", replicas, template);
                fit::preview(&[demand], &self.form.namespace, &snap.ledger, &snap.quotas)
            });
    }

    /// Follows the cluster: the list, and the open server's detail when it changed.
    pub fn on_snapshot(&mut self, servers: std::sync::Arc<Vec<ModelServerRow>>) -> Vec<ServingRequest> {
        let before = self.open_row().cloned();
        self.servers = servers;
        let Some((namespace, name)) = self.open.clone() else { return Vec::new() };
        let after = self.open_row().cloned();
        if before == after {
            return Vec::new();
        }
        if self.detail_in_flight {
            self.detail_stale = true;
            return Vec::new();
        }
        self.detail_in_flight = true;
        vec![ServingRequest::Detail { namespace, name }]
    }

    /// The request to reach the open server's model, if the server can be tried.
    fn target(&self) -> Result<(String, String, String, u16), String> {
        let row = self.open_row().ok_or("open a server first")?;
        if row.source == ServerSource::InferenceService {
            return Err(format!("{} is a KServe InferenceService: send requests to {}", row.name, row.url));
        }
        let model = if self.try_it.model.is_empty() { row.model.clone() } else { self.try_it.model.clone() };
        if model.is_empty() {
            return Err("name the model to ask (the server reads its models from a config file)".into());
        }
        let port = row.stable.as_ref().or(row.canary.as_ref()).map_or(8501, |f| f.rest_port);
        Ok((row.namespace.clone(), row.name.clone(), model, port))
    }

    /// The body, checked as JSON with `instances` (or `inputs`).
    fn checked_body(&mut self) -> Option<String> {
        let error = match serde_json::from_str::<serde_json::Value>(&self.try_it.body) {
            Err(e) => Some(format!("The request is not JSON: {e}")),
            Ok(v) if v.get("instances").is_none() && v.get("inputs").is_none() => {
                Some("The request needs an \"instances\" list, e.g. {\"instances\": [[1.0, 2.0]]}".into())
            }
            Ok(_) => None,
        };
        self.try_it.body_error = error;
        self.try_it.body_error.is_none().then(|| self.try_it.body.clone())
    }

    pub fn handle(&mut self, command: ServingCommand) -> Vec<super::protocol::Request> {
        use super::protocol::Request;
        let serve = |r: ServingRequest| vec![Request::Serving(r)];
        let open = self.open.clone();
        let stable = self.open_row().and_then(|r| r.stable.clone());
        match command {
            ServingCommand::Tab(tab) => {
                self.tab = tab;
                if tab == Tab::Deploy {
                    return serve(ServingRequest::Template);
                }
            }
            ServingCommand::UseTemplate => {
                let Some((namespace, data)) = self.template.clone() else { return Vec::new() };
                self.form = with_template(&self.form, &namespace, &data);
                self.rerender();
                return serve(ServingRequest::SaveDraft(Box::new(self.form.clone())));
            }
            ServingCommand::Form(spec) => {
                self.form = *spec;
                self.rerender();
                return serve(ServingRequest::SaveDraft(Box::new(self.form.clone())));
            }
            ServingCommand::Deploy => {
                if !self.errors.is_empty() {
                    self.deploy = Deploy::Failed {
                        message: "the form has problems (marked in red)".into(),
                        fields: self.errors.clone(),
                    };
                    return Vec::new();
                }
                self.deploy = Deploy::Deploying;
                return serve(ServingRequest::Deploy(serving::objects(&self.form)));
            }
            ServingCommand::ExportYaml => {
                let file_name =
                    format!("{}.yaml", if self.form.name.is_empty() { "model-server" } else { &self.form.name });
                let save = super::protocol::TrainingRequest::SaveText {
                    title: "Export the model server's YAML".into(),
                    file_name,
                    text: self.yaml.clone(),
                };
                return vec![Request::Training(save)];
            }
            ServingCommand::Open { namespace, name } => {
                if self.open.as_ref() != Some(&(namespace.clone(), name.clone())) {
                    self.try_it = TryIt::default();
                    self.confirm = None;
                }
                self.open = Some((namespace.clone(), name.clone()));
                if let Some(row) = self.open_row().cloned() {
                    self.try_it.model = row.model.clone();
                    if self.try_it.body.is_empty() {
                        self.try_it.body = example_body(&row.runtime);
                    }
                }
                self.detail = Loadable::Loading;
                self.detail_in_flight = true;
                self.detail_stale = false;
                return serve(ServingRequest::Detail { namespace, name });
            }
            ServingCommand::Close => {
                self.open = None;
                self.detail = Loadable::Idle;
                self.confirm = None;
            }
            ServingCommand::Scale(replicas) => {
                let (Some((namespace, _)), Some(stable)) = (open, stable) else { return Vec::new() };
                self.busy = Some(format!("Scaling to {replicas}"));
                return serve(ServingRequest::Scale { namespace, deployment: stable.deployment, replicas });
            }
            ServingCommand::Autoscale { min, max } => {
                let Some((namespace, _)) = open else { return Vec::new() };
                let Some(hpa) = self.open_row().and_then(|r| r.hpa.clone()) else { return Vec::new() };
                self.busy = Some(format!("Autoscaling {min}–{max}"));
                return serve(ServingRequest::Autoscale { namespace, hpa: hpa.name, min, max });
            }
            ServingCommand::Update { image, version } => {
                let (Some((namespace, _)), Some(stable)) = (open, stable) else { return Vec::new() };
                let version = match parse_version(&version) {
                    Ok(v) => v,
                    Err(e) => return self.refuse(e),
                };
                let image = Some(image.trim().to_string()).filter(|i| !i.is_empty() && *i != stable.image);
                if image.is_none() && version.is_none() {
                    return self.refuse("Nothing to change: give a new image or version".into());
                }
                self.busy = Some("Rolling out".into());
                return serve(ServingRequest::Update { namespace, deployment: stable.deployment, image, version });
            }
            ServingCommand::StartCanary { image, version, percent } => {
                let (Some((namespace, name)), Some(stable)) = (open, stable) else { return Vec::new() };
                let version = match parse_version(&version) {
                    Ok(v) => v,
                    Err(e) => return self.refuse(e),
                };
                let image = Some(image.trim().to_string()).filter(|i| !i.is_empty() && *i != stable.image);
                if image.is_none() && version.is_none() {
                    return self.refuse("A canary needs a new image or version to try".into());
                }
                let total = u32::try_from(stable.desired.max(1)).unwrap_or(1) + 1;
                let (stable_n, canary_n) = serving::split(total, percent);
                self.busy = Some("Starting the canary".into());
                return serve(ServingRequest::StartCanary {
                    namespace,
                    server: name,
                    image,
                    version,
                    stable: stable_n,
                    canary: canary_n,
                });
            }
            ServingCommand::Split(percent) => {
                let Some((namespace, name)) = open else { return Vec::new() };
                let Some(row) = self.open_row() else { return Vec::new() };
                let total = u32::try_from(row.desired.max(2)).unwrap_or(2);
                let (stable, canary) = serving::split(total, percent);
                self.busy = Some(format!("Splitting {stable}:{canary}"));
                return serve(ServingRequest::Split { namespace, server: name, stable, canary });
            }
            ServingCommand::Ask(action) => self.confirm = Some(action),
            ServingCommand::Cancel => self.confirm = None,
            ServingCommand::Confirm => {
                let (Some(action), Some((namespace, server))) = (self.confirm.take(), open) else { return Vec::new() };
                self.busy = Some(format!("{}…", action.label()));
                let request = match action {
                    Risky::Promote => ServingRequest::Promote { namespace, server },
                    Risky::AbortCanary => ServingRequest::AbortCanary { namespace, server },
                    Risky::Rollback => ServingRequest::Rollback { namespace, deployment: server },
                    Risky::Delete => ServingRequest::Delete { namespace, server },
                };
                return serve(request);
            }
            ServingCommand::Body(body) => {
                self.try_it.body = body;
                self.try_it.body_error = None;
            }
            ServingCommand::Model(model) => self.try_it.model = model,
            ServingCommand::Status => match self.target() {
                Ok((namespace, server, model, port)) => {
                    self.try_it.status = Loadable::Loading;
                    return serve(ServingRequest::ModelStatus { namespace, server, model, port });
                }
                Err(e) => self.try_it.status = Loadable::Failed(e),
            },
            ServingCommand::Predict => {
                let target = self.target();
                let Some(body) = self.checked_body() else { return Vec::new() };
                match target {
                    Ok((namespace, server, model, port)) => {
                        self.try_it.reply = Loadable::Loading;
                        return serve(ServingRequest::Predict { namespace, server, model, port, body });
                    }
                    Err(e) => self.try_it.reply = Loadable::Failed(e),
                }
            }
            ServingCommand::LoadTest { requests, concurrency } => {
                let target = self.target();
                let Some(body) = self.checked_body() else { return Vec::new() };
                match target {
                    Ok((namespace, server, model, port)) => {
                        let requests = requests.clamp(1, MAX_LOAD_REQUESTS);
                        self.try_it.load = Load::Running { done: 0, of: requests };
                        return serve(ServingRequest::LoadTest {
                            namespace,
                            server,
                            model,
                            port,
                            body,
                            requests,
                            concurrency,
                        });
                    }
                    Err(e) => self.try_it.load = Load::Failed(e),
                }
            }
            ServingCommand::ExportLoadChart { format, style } => {
                if let Load::Done(view) = &self.try_it.load {
                    let chart = view.latency.clone().into();
                    return vec![Request::Export(super::protocol::ExportRequest::Chart {
                        chart,
                        style,
                        format,
                        path: None,
                    })];
                }
            }
        }
        Vec::new()
    }

    fn refuse(&mut self, message: String) -> Vec<super::protocol::Request> {
        self.busy = None;
        self.deploy = Deploy::Idle;
        self.confirm = None;
        self.pending_toast = Some((Tone::Warn, message));
        Vec::new()
    }

    /// Applies an answer; returns a message for a toast when there is one.
    pub fn apply(&mut self, event: ServingEvent) -> (Option<(Tone, String)>, Vec<ServingRequest>) {
        let mut follow = Vec::new();
        let toast = match event {
            ServingEvent::Deployed(Ok(created)) => {
                let note = format!("Deployed {}", created.join(", "));
                self.deploy = Deploy::Done(created);
                self.tab = Tab::Servers;
                self.open = Some((self.form.namespace.clone(), self.form.name.clone()));
                self.try_it = TryIt {
                    model: self.form.model_name.clone(),
                    body: example_body(self.form.runtime.label()),
                    ..Default::default()
                };
                self.detail = Loadable::Loading;
                follow.push(ServingRequest::Detail {
                    namespace: self.form.namespace.clone(),
                    name: self.form.name.clone(),
                });
                Some((Tone::Ok, note))
            }
            ServingEvent::Deployed(Err(Refusal { message, causes })) => {
                let fields =
                    causes.into_iter().map(|(f, m)| FieldError { field: form_field(&f), message: m }).collect();
                self.deploy = Deploy::Failed { message, fields };
                None
            }
            ServingEvent::Detail { namespace, name, result } => {
                if self.open.as_ref() == Some(&(namespace.clone(), name.clone())) {
                    self.detail = result.into();
                    self.detail_in_flight = std::mem::take(&mut self.detail_stale);
                    if self.detail_in_flight {
                        follow.push(ServingRequest::Detail { namespace, name });
                    }
                }
                None
            }
            ServingEvent::Done { what, result } => {
                self.busy = None;
                if let Some((namespace, name)) = self.open.clone() {
                    if self.detail_in_flight {
                        self.detail_stale = true;
                    } else {
                        self.detail_in_flight = true;
                        follow.push(ServingRequest::Detail { namespace, name });
                    }
                }
                match result {
                    Ok(()) => {
                        if what.starts_with("Deleted") {
                            self.open = None;
                            self.detail = Loadable::Idle;
                            follow.clear();
                        }
                        Some((Tone::Ok, what))
                    }
                    Err(e) => Some((Tone::Err, e)),
                }
            }
            ServingEvent::ModelStatus(result) => {
                self.try_it.status = result.into();
                None
            }
            ServingEvent::Predicted(result) => {
                self.try_it.reply = result.into();
                None
            }
            ServingEvent::Template(found) => {
                self.template = found;
                None
            }
            ServingEvent::LoadProgress(done) => {
                if let Load::Running { of, .. } = self.try_it.load {
                    self.try_it.load = Load::Running { done, of };
                }
                None
            }
            ServingEvent::LoadDone(result) => {
                self.try_it.load = match result {
                    Ok(report) => Load::Done(Box::new(LoadView::of(*report))),
                    Err(e) => Load::Failed(e),
                };
                None
            }
        };
        (toast, follow)
    }
}

/// The form with the stack's model-server template applied: TF Serving's image (the GPU one when the form asks for
/// accelerators), ports, requests, accelerator resource and service account, in the template's namespace.
pub fn with_template(
    form: &ServingSpec,
    namespace: &str,
    data: &std::collections::BTreeMap<String, String>,
) -> ServingSpec {
    let mut spec = form.clone();
    let get = |k: &str| data.get(k).map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    spec.namespace = namespace.to_string();
    if spec.runtime == serving::Runtime::TfServing {
        let image = if spec.accelerators > 0 { get("gpuImage").or_else(|| get("image")) } else { get("image") };
        if let Some(image) = image {
            spec.image = image;
        }
        if let Some(port) = get("restPort").and_then(|p| p.parse().ok()) {
            spec.rest_port = port;
        }
        if let Some(port) = get("grpcPort").and_then(|p| p.parse().ok()) {
            spec.grpc_port = port;
        }
    }
    if let Some(cpu) = get("cpuRequest") {
        spec.cpu = cpu;
    }
    if let Some(memory) = get("memoryRequest") {
        spec.memory = memory;
    }
    if spec.accelerators > 0
        && let Some(resource) = get("gpuResource")
    {
        spec.accelerator = Some(resource);
    }
    if let Some(account) = get("serviceAccount") {
        spec.service_account = account;
    }
    spec
}

/// A version field: empty is "unchanged".
fn parse_version(text: &str) -> Result<Option<VersionPolicy>, String> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    VersionPolicy::parse(text).map(Some).map_err(|e| format!("Version: {e} (latest, all, or numbers like 3 or 2,3)"))
}

/// The form field a server's field path is about.
fn form_field(path: &str) -> String {
    match path {
        "metadata.name" => "name".into(),
        "metadata.namespace" => "namespace".into(),
        p if p.contains("image") => "image".into(),
        p if p.contains("resources") => "cpu".into(),
        p => p.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::serving::ModelSource;

    fn spec() -> ServingSpec {
        ServingSpec {
            name: "resnet".into(),
            model_name: "resnet".into(),
            source: ModelSource::Uri("gs://m/resnet".into()),
            ..Default::default()
        }
    }

    #[test]
    fn the_form_deploys_only_when_valid() {
        let mut state = ServingState::new(ServingSpec::default());
        assert!(state.handle(ServingCommand::Deploy).is_empty());
        assert!(matches!(state.deploy, Deploy::Failed { .. }));
        state.handle(ServingCommand::Form(Box::new(spec())));
        assert!(state.yaml.contains("kind: Deployment") && state.yaml.contains("--model_name=resnet"));
        let sent = state.handle(ServingCommand::Deploy);
        assert!(
            matches!(sent.as_slice(), [super::super::protocol::Request::Serving(ServingRequest::Deploy(o))] if o.len() == 2)
        );
    }

    #[test]
    fn a_bad_request_body_is_refused_before_anything_is_sent() {
        let mut state = ServingState::new(spec());
        state.handle(ServingCommand::Body("{\"instances\": [1".into()));
        assert!(state.handle(ServingCommand::Predict).is_empty());
        assert!(state.try_it.body_error.as_deref().unwrap().contains("not JSON"));
        state.handle(ServingCommand::Body("{\"x\": 1}".into()));
        assert!(state.handle(ServingCommand::Predict).is_empty());
        assert!(state.try_it.body_error.as_deref().unwrap().contains("instances"));
    }

    #[test]
    fn risky_actions_wait_for_a_yes() {
        let mut state = ServingState::new(spec());
        state.open = Some(("default".into(), "resnet".into()));
        assert!(state.handle(ServingCommand::Ask(Risky::Promote)).is_empty());
        assert_eq!(state.confirm, Some(Risky::Promote));
        state.handle(ServingCommand::Cancel);
        assert!(state.handle(ServingCommand::Confirm).is_empty(), "nothing asked, nothing run");
        state.handle(ServingCommand::Ask(Risky::Rollback));
        let sent = state.handle(ServingCommand::Confirm);
        assert!(matches!(sent.as_slice(), [super::super::protocol::Request::Serving(ServingRequest::Rollback { .. })]));
    }

    #[test]
    fn the_stack_s_template_fills_the_form() {
        let data: std::collections::BTreeMap<String, String> = [
            ("image", "registry.local/tensorflow/serving:2.15.0"),
            ("gpuImage", "registry.local/tensorflow/serving:2.15.0-gpu"),
            ("restPort", "8501"),
            ("cpuRequest", "2"),
            ("memoryRequest", "4Gi"),
            ("gpuResource", "amd.com/gpu"),
            ("serviceAccount", "model-server"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let gpu = ServingSpec { accelerators: 1, accelerator: Some("nvidia.com/gpu".into()), ..spec() };
        let filled = with_template(&gpu, "ml-stack", &data);
        assert_eq!(filled.image, "registry.local/tensorflow/serving:2.15.0-gpu");
        assert_eq!((filled.cpu.as_str(), filled.memory.as_str()), ("2", "4Gi"));
        assert_eq!(filled.accelerator.as_deref(), Some("amd.com/gpu"));
        assert_eq!((filled.namespace.as_str(), filled.service_account.as_str()), ("ml-stack", "model-server"));
        let cpu = with_template(&spec(), "ml-stack", &data);
        assert_eq!(cpu.image, "registry.local/tensorflow/serving:2.15.0");
    }

    #[test]
    fn load_reports_become_charts() {
        let report = LoadReport {
            requests: 4,
            ok: 4,
            latencies: [1, 2, 3, 40].map(Duration::from_millis).to_vec(),
            elapsed: Duration::from_millis(200),
            timeline: vec![(0.0, 3), (0.1, 1)],
            window: 0.1,
            ..Default::default()
        };
        let view = LoadView::of(report);
        assert_eq!(view.percentiles.bars[0], ("p50".to_string(), 2.0));
        assert_eq!(view.percentiles.bars[2], ("p99".to_string(), 40.0));
        assert_eq!(view.throughput.series[0].points, vec![(0.0, 30.0), (0.1, 10.0)]);
    }
}
