//! The Install screen's wizard: which step it is on, what the user chose (components, settings as typed), and what
//! the cluster answered (existing install, preflight checks, the dry-run review, install progress). Pure: the UI
//! sends [`WizardCommand`]s, the background answers with [`StackEvent`]s, and both turn into [`StackRequest`]s here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::protocol::{StackEvent, StackRequest};
use crate::cluster::install::source::Source;
use crate::cluster::install::{InstallOptions, InstallReport, Progress, StackStatus};
use crate::stack::catalog::Catalog;
use crate::stack::params::{self, Globals, Selection};
use crate::stack::report::{Check, ObjectDiff, Outcome, Verdict};

pub use super::loadable::Loadable;

/// The wizard's steps, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Step {
    Cluster,
    Components,
    Settings,
    Review,
    Install,
    Done,
}

impl Step {
    pub const ALL: [Step; 6] =
        [Step::Cluster, Step::Components, Step::Settings, Step::Review, Step::Install, Step::Done];

    pub fn title(self) -> &'static str {
        match self {
            Step::Cluster => "Cluster & checks",
            Step::Components => "Components",
            Step::Settings => "Settings",
            Step::Review => "Review",
            Step::Install => "Install",
            Step::Done => "Done",
        }
    }
}

/// One object's line on the Install step.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectLine {
    pub object: String,
    pub component: String,
    pub applied: Option<Outcome>,
    pub ready: bool,
    /// Why it is not ready yet, when it is the one being waited for.
    pub waiting: Option<String>,
}

/// An install (or uninstall) in progress or finished.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Run {
    pub id: u64,
    pub uninstall: bool,
    pub total: usize,
    pub objects: Vec<ObjectLine>,
    /// Ready out of waited-for objects, from the latest progress.
    pub ready: (usize, usize),
    pub log: Vec<String>,
    pub notes: Vec<String>,
    /// Set when finished: the report, or why it failed.
    pub done: Option<Result<InstallReport, String>>,
}

impl Run {
    /// Overall progress 0–1: applying is the first half, readiness the second.
    pub fn fraction(&self) -> f32 {
        if self.done.as_ref().is_some_and(Result::is_ok) {
            return 1.0;
        }
        let applied = self.objects.iter().filter(|o| o.applied.is_some()).count() as f32;
        let total = self.total.max(self.objects.len());
        let apply = if total == 0 { 0.0 } else { applied / total as f32 };
        let ready = if self.ready.1 == 0 { 0.0 } else { self.ready.0 as f32 / self.ready.1 as f32 };
        if self.uninstall { apply } else { apply * 0.5 + ready * 0.5 }
    }

    fn line(&mut self, object: &str, component: &str) -> &mut ObjectLine {
        if let Some(i) = self.objects.iter().position(|o| o.object == object) {
            return &mut self.objects[i];
        }
        self.objects.push(ObjectLine {
            object: object.to_string(),
            component: component.to_string(),
            applied: None,
            ready: false,
            waiting: None,
        });
        let last = self.objects.len() - 1;
        &mut self.objects[last]
    }

    fn apply(&mut self, p: Progress) {
        match p {
            Progress::Phase { phase, objects } => self.log.push(format!("{} ({objects})", phase.title())),
            Progress::Applied { object, component, outcome } => {
                self.log.push(format!("{object} {}", outcome.word()));
                self.line(&object, &component).applied = Some(outcome);
            }
            Progress::Waiting { ready, total, object, reason } => {
                self.ready = (ready, total);
                for o in &mut self.objects {
                    o.waiting = None;
                }
                self.line(&object, "").waiting = Some(reason);
            }
            Progress::Ready { object } => {
                self.log.push(format!("{object} ready"));
                let line = self.line(&object, "");
                line.ready = true;
                line.waiting = None;
                self.ready.0 = self.objects.iter().filter(|o| o.ready).count();
            }
            Progress::Note(note) => {
                self.log.push(format!("note: {note}"));
                self.notes.push(note);
            }
            Progress::Deleted { object } => {
                self.log.push(format!("{object} deleted"));
                self.line(&object, "").applied = Some(Outcome::Changed);
            }
        }
    }
}

/// What the user asks of the wizard.
#[derive(Debug, Clone, PartialEq)]
pub enum WizardCommand {
    /// The screen was opened (or the connection changed): ask what is installed and run the checks.
    Refresh,
    Go(Step),
    Next,
    Back,
    /// Tick or untick a component.
    Toggle(String),
    /// A stack-wide setting (namespace, registry, storageClass, gpuResource) as typed.
    SetGlobal(String, String),
    /// A component's parameter as typed (booleans as "true"/"false").
    SetParam {
        component: String,
        param: String,
        value: String,
    },
    /// Start installing what the review showed.
    Install,
    /// Stop the install (it can be resumed: installing again picks up where it stopped).
    Cancel,
    /// Start over from the installed stack's settings (repair or upgrade).
    FromInstalled,
    Uninstall {
        delete_data: bool,
    },
    /// Start a new install after one finished.
    Reset,
    /// Ask for a folder of YAML to apply instead of the stack.
    PickFolder,
    /// Apply this folder (or, with `None`, the stack again).
    UseFolder(Option<std::path::PathBuf>),
}

#[derive(Debug, Clone)]
pub struct InstallWizard {
    pub step: Step,
    pub catalog: Result<Arc<Catalog>, String>,
    /// Components the user ticked (dependencies come along; see [`Self::components`]).
    pub chosen: BTreeSet<String>,
    /// Stack-wide settings as typed, by name.
    pub globals: BTreeMap<String, String>,
    /// Parameters as typed, by (component, parameter); absent means the default.
    pub params: BTreeMap<(String, String), String>,
    pub status: Loadable<Option<StackStatus>>,
    pub checks: Loadable<Vec<Check>>,
    pub review: Loadable<Vec<ObjectDiff>>,
    pub run: Option<Run>,
    /// A folder of YAML to apply instead of the stack.
    pub folder: Option<std::path::PathBuf>,
    next_id: u64,
}

impl Default for InstallWizard {
    fn default() -> Self {
        let catalog = Catalog::builtin().map(Arc::new).map_err(|e| e.to_string());
        let chosen = catalog.as_ref().map(|c| c.names().iter().map(|s| s.to_string()).collect()).unwrap_or_default();
        let mut wizard = Self {
            step: Step::Cluster,
            catalog,
            chosen,
            globals: BTreeMap::new(),
            params: BTreeMap::new(),
            status: Loadable::Idle,
            checks: Loadable::Idle,
            review: Loadable::Idle,
            run: None,
            folder: None,
            next_id: 0,
        };
        wizard.set_globals(&Globals::default());
        wizard
    }
}

impl InstallWizard {
    fn set_globals(&mut self, g: &Globals) {
        for (name, value) in Globals::NAMES.iter().zip([&g.namespace, &g.registry, &g.storage_class, &g.gpu_resource]) {
            self.globals.insert(name.to_string(), value.clone());
        }
    }

    /// The chosen components with their dependencies, in install order.
    pub fn components(&self) -> Vec<String> {
        let Ok(catalog) = &self.catalog else { return Vec::new() };
        let chosen: Vec<String> = self.chosen.iter().cloned().collect();
        catalog.with_dependencies(&chosen).map(|c| c.iter().map(|c| c.spec.name.clone()).collect()).unwrap_or_default()
    }

    /// Why a component is included without being ticked: the chosen components that need it.
    pub fn required_by(&self, component: &str) -> Vec<String> {
        let Ok(catalog) = &self.catalog else { return Vec::new() };
        catalog.dependents(component).into_iter().filter(|d| self.chosen.contains(*d)).map(str::to_string).collect()
    }

    /// A parameter's text: as typed, else its default.
    pub fn param_text(&self, component: &str, param: &str) -> String {
        if let Some(v) = self.params.get(&(component.to_string(), param.to_string())) {
            return v.clone();
        }
        let default = self.catalog.as_ref().ok().and_then(|c| c.get(component)).and_then(|c| c.parameter(param));
        match default.map(|p| &p.default) {
            Some(serde_json::Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        }
    }

    /// Problems with the settings as typed, keyed by field (`namespace`, `component.param`).
    pub fn errors(&self) -> BTreeMap<String, String> {
        let mut errors = BTreeMap::new();
        let mut globals = Globals::default();
        for (name, value) in &self.globals {
            if let Err(e) = globals.set(name, value) {
                errors.insert(name.clone(), strip_name(&e.to_string()));
            }
        }
        let Ok(catalog) = &self.catalog else { return errors };
        for name in self.components() {
            let Some(c) = catalog.get(&name) else { continue };
            for p in &c.spec.parameters {
                if let Err(e) = params::coerce(p, &self.param_text(&name, &p.name)) {
                    errors.insert(format!("{name}.{}", p.name), e);
                }
            }
        }
        if self.components().is_empty() {
            errors.insert("components".into(), "choose at least one component".into());
        }
        errors
    }

    /// The selection the form describes, if it is valid.
    pub fn selection(&self) -> Result<Selection, String> {
        let catalog = self.catalog.as_ref().map_err(Clone::clone)?;
        if let Some((field, error)) = self.errors().into_iter().next() {
            return Err(format!("{field}: {error}"));
        }
        let mut selection = Selection { components: self.components(), ..Default::default() };
        for (name, value) in &self.globals {
            selection.globals.set(name, value).map_err(|e| e.to_string())?;
        }
        for ((component, param), text) in &self.params {
            if !selection.components.contains(component) {
                continue;
            }
            let Some(p) = catalog.get(component).and_then(|c| c.parameter(param)) else { continue };
            let value = params::coerce(p, text)?;
            if value != p.default {
                selection.values.entry(component.clone()).or_default().insert(param.clone(), value);
            }
        }
        Ok(selection)
    }

    /// What the wizard installs: the folder when one was picked, else the stack as the form describes it.
    pub fn source(&self) -> Result<Source, String> {
        match &self.folder {
            Some(dir) => Ok(Source::Folder(dir.clone())),
            None => self.selection().map(Source::Stack),
        }
    }

    /// Whether the wizard may move on from its step.
    pub fn can_advance(&self) -> bool {
        match self.step {
            Step::Cluster => self.checks.ready().is_some_and(|c| c.iter().all(|c| c.verdict != Verdict::Fail)),
            Step::Components => !self.components().is_empty(),
            Step::Settings => self.errors().is_empty(),
            Step::Review => self.review.ready().is_some(),
            Step::Install => self.run.as_ref().is_some_and(|r| r.done.as_ref().is_some_and(Result::is_ok)),
            Step::Done => false,
        }
    }

    fn id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Requests for entering `step`.
    fn enter(&mut self, step: Step) -> Vec<StackRequest> {
        self.step = step;
        match step {
            Step::Cluster => self.refresh(),
            Step::Review => match self.source() {
                Ok(source) => {
                    self.review = Loadable::Loading;
                    self.checks = Loadable::Loading;
                    let id = self.id();
                    vec![StackRequest::Preflight { id, source: source.clone() }, StackRequest::Review { id, source }]
                }
                Err(e) => {
                    self.review = Loadable::Failed(e);
                    Vec::new()
                }
            },
            _ => Vec::new(),
        }
    }

    fn refresh(&mut self) -> Vec<StackRequest> {
        self.status = Loadable::Loading;
        let mut requests = vec![StackRequest::Status];
        if let Ok(source) = self.source() {
            self.checks = Loadable::Loading;
            let id = self.id();
            requests.push(StackRequest::Preflight { id, source });
        }
        requests
    }

    pub fn handle(&mut self, command: WizardCommand) -> Vec<StackRequest> {
        match command {
            WizardCommand::Refresh => self.refresh(),
            WizardCommand::Go(step) if step <= self.step || self.run.is_none() => self.enter(step),
            WizardCommand::Go(_) => Vec::new(),
            WizardCommand::Next if self.can_advance() => {
                let next = match Step::ALL.iter().copied().find(|s| *s > self.step).unwrap_or(Step::Done) {
                    // A folder has no components or settings to choose.
                    Step::Components if self.folder.is_some() => Step::Review,
                    other => other,
                };
                if next == Step::Install {
                    return self.handle(WizardCommand::Install);
                }
                self.enter(next)
            }
            WizardCommand::Next => Vec::new(),
            WizardCommand::Back => {
                let running = self.run.as_ref().is_some_and(|r| r.done.is_none());
                let prev = match Step::ALL.iter().copied().rev().find(|s| *s < self.step) {
                    Some(Step::Settings) if self.folder.is_some() => Some(Step::Cluster),
                    other => other,
                };
                match prev {
                    Some(prev) if !running => self.enter(prev),
                    _ => Vec::new(),
                }
            }
            WizardCommand::Toggle(name) => {
                if !self.chosen.remove(&name) {
                    self.chosen.insert(name);
                }
                self.review = Loadable::Idle;
                Vec::new()
            }
            WizardCommand::SetGlobal(name, value) => {
                self.globals.insert(name, value);
                self.review = Loadable::Idle;
                Vec::new()
            }
            WizardCommand::SetParam { component, param, value } => {
                self.params.insert((component, param), value);
                self.review = Loadable::Idle;
                Vec::new()
            }
            WizardCommand::Install => match self.source() {
                Ok(source) => {
                    let id = self.id();
                    self.step = Step::Install;
                    self.run = Some(Run { id, total: self.review.ready().map_or(0, Vec::len), ..Default::default() });
                    vec![StackRequest::Install { id, source, options: InstallOptions::default() }]
                }
                Err(e) => {
                    self.review = Loadable::Failed(e);
                    Vec::new()
                }
            },
            WizardCommand::Cancel => {
                if let Some(run) = self.run.as_mut().filter(|r| r.done.is_none()) {
                    run.done =
                        Some(Err("cancelled: what was applied stays; install again to resume where it stopped".into()));
                    return vec![StackRequest::Cancel];
                }
                Vec::new()
            }
            WizardCommand::FromInstalled => {
                if let Some(Some(status)) = self.status.ready().cloned() {
                    let s = &status.record.selection;
                    self.chosen = status.record.components.iter().map(|(c, _)| c.clone()).collect();
                    self.set_globals(&s.globals);
                    self.params.clear();
                    for (component, values) in &s.values {
                        for (param, value) in values {
                            let text = value.as_str().map_or_else(|| value.to_string(), str::to_string);
                            self.params.insert((component.clone(), param.clone()), text);
                        }
                    }
                }
                self.enter(Step::Components)
            }
            WizardCommand::Uninstall { delete_data } => {
                let id = self.id();
                let total = self.status.ready().and_then(|s| s.as_ref()).map_or(0, |s| s.record.objects.len());
                self.run = Some(Run { id, uninstall: true, total, ..Default::default() });
                self.step = Step::Install;
                vec![StackRequest::Uninstall { id, delete_data }]
            }
            WizardCommand::PickFolder => vec![StackRequest::PickFolder],
            WizardCommand::UseFolder(folder) => {
                self.folder = folder;
                self.review = Loadable::Idle;
                match self.folder {
                    Some(_) => self.enter(Step::Review),
                    None => self.refresh(),
                }
            }
            WizardCommand::Reset => {
                self.run = None;
                self.folder = None;
                self.review = Loadable::Idle;
                self.enter(Step::Cluster)
            }
        }
    }

    pub fn apply(&mut self, event: StackEvent) -> Vec<StackRequest> {
        match event {
            StackEvent::Status(result) => {
                self.status = match result {
                    Ok(s) => Loadable::Ready(s.map(|s| *s)),
                    Err(e) => Loadable::Failed(e),
                };
            }
            StackEvent::Preflight { id, result } if id == self.next_id => {
                self.checks = match result {
                    Ok(c) => Loadable::Ready(c),
                    Err(e) => Loadable::Failed(e),
                };
            }
            StackEvent::Review { id, result } if id == self.next_id => {
                self.review = match result {
                    Ok(d) => Loadable::Ready(d),
                    Err(e) => Loadable::Failed(e),
                };
            }
            StackEvent::Progress { id, progress } => {
                if let Some(run) = self.run.as_mut().filter(|r| r.id == id && r.done.is_none()) {
                    run.apply(progress);
                }
            }
            StackEvent::Finished { id, result } => {
                if let Some(run) = self.run.as_mut().filter(|r| r.id == id && r.done.is_none()) {
                    let ok = result.is_ok();
                    run.done = Some(result);
                    if ok {
                        self.step = Step::Done;
                    }
                    return vec![StackRequest::Status];
                }
            }
            StackEvent::FolderPicked(Some(folder)) => return self.handle(WizardCommand::UseFolder(Some(folder))),
            StackEvent::FolderPicked(None) => {}
            StackEvent::Preflight { .. } | StackEvent::Review { .. } => {} // answers to an older question
        }
        Vec::new()
    }
}

/// "parameter x: reason" → "reason" (the form shows the field already).
fn strip_name(message: &str) -> String {
    message.split_once(": ").map_or_else(|| message.to_string(), |(_, r)| r.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_come_along_and_settings_are_checked() {
        let mut w = InstallWizard::default();
        w.chosen.clear();
        w.handle(WizardCommand::Toggle("jupyterhub".into()));
        assert_eq!(w.components(), ["base", "jupyterhub"]);
        assert_eq!(w.required_by("base"), ["jupyterhub"]);
        w.step = Step::Settings;
        w.handle(WizardCommand::SetParam {
            component: "jupyterhub".into(),
            param: "gpuLimit".into(),
            value: "12".into(),
        });
        assert_eq!(w.errors().get("jupyterhub.gpuLimit").map(String::as_str), Some("12 is above the maximum 8"));
        assert!(!w.can_advance());
        w.handle(WizardCommand::SetParam {
            component: "jupyterhub".into(),
            param: "gpuLimit".into(),
            value: "1".into(),
        });
        w.handle(WizardCommand::SetGlobal("namespace".into(), "Bad Name".into()));
        assert!(w.errors().contains_key("namespace"));
        w.handle(WizardCommand::SetGlobal("namespace".into(), "ml".into()));
        assert!(w.can_advance());
        let s = w.selection().expect("valid");
        assert_eq!(s.globals.namespace, "ml");
        assert_eq!(s.values["jupyterhub"]["gpuLimit"], serde_json::Value::from(1));
        let requests = w.handle(WizardCommand::Next);
        assert_eq!(w.step, Step::Review);
        assert!(matches!(requests.as_slice(), [StackRequest::Preflight { .. }, StackRequest::Review { .. }]));
    }

    #[test]
    fn a_folder_skips_components_and_settings() {
        let mut w = InstallWizard::default();
        let dir = std::path::PathBuf::from("/srv/manifests");
        let requests = w.handle(WizardCommand::UseFolder(Some(dir.clone())));
        assert_eq!(w.step, Step::Review);
        assert!(
            matches!(requests.as_slice(), [StackRequest::Preflight { source: Source::Folder(d), .. }, StackRequest::Review { .. }] if *d == dir)
        );
        w.handle(WizardCommand::Back);
        assert_eq!(w.step, Step::Cluster, "back past the stack's own steps");
        w.checks = Loadable::Ready(vec![]);
        w.handle(WizardCommand::Next);
        assert_eq!(w.step, Step::Review);
        w.handle(WizardCommand::Reset);
        assert!(w.folder.is_none());
    }

    #[test]
    fn a_run_follows_progress_to_done() {
        let mut w = InstallWizard { review: Loadable::Ready(vec![]), ..Default::default() };
        let requests = w.handle(WizardCommand::Install);
        let [StackRequest::Install { id, .. }] = requests.as_slice() else { panic!("install requested") };
        let id = *id;
        w.apply(StackEvent::Progress {
            id,
            progress: Progress::Applied {
                object: "Deployment kubeflow/hub".into(),
                component: "jupyterhub".into(),
                outcome: Outcome::Created,
            },
        });
        w.apply(StackEvent::Progress {
            id,
            progress: Progress::Waiting {
                ready: 0,
                total: 1,
                object: "Deployment kubeflow/hub".into(),
                reason: "0 of 1 pods ready".into(),
            },
        });
        let run = w.run.as_ref().expect("run");
        assert_eq!(run.objects[0].waiting.as_deref(), Some("0 of 1 pods ready"));
        assert!(run.fraction() > 0.0 && run.fraction() < 1.0);
        w.apply(StackEvent::Finished { id, result: Ok(InstallReport::default()) });
        assert_eq!(w.step, Step::Done);
        assert_eq!(w.run.as_ref().map(Run::fraction), Some(1.0));
    }
}
