//! Carrying out an install plan on a cluster: preflight checks, a dry-run review, phased server-side apply with
//! readiness waits, the install record, resume, status and uninstall. Reports progress through a callback, so the
//! terminal (`bosun install`) and the wizard show the same engine at work.

pub mod apply;
mod manage;
pub mod preflight;
pub mod ready;
pub mod resolve;
pub mod source;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, Preconditions};
use serde_json::Value;

use crate::stack::catalog::Catalog;
use crate::stack::objects::{MANAGED_BY, ManifestObject};
use crate::stack::params::Selection;
use crate::stack::plan::{Phase, Plan, PlannedObject, Readiness};
use crate::stack::record::{InstallRecord, InstallState, ObjectRef, RECORD_LABEL, RECORD_NAME};
use crate::stack::{StackError, plan};
use apply::{FIELD_MANAGER, ObjectDiff, Outcome};
pub use manage::{ComponentStatus, StackStatus, Target, Uninstalled, read_target, status, status_all, uninstall};
use resolve::{Resolver, with_namespace};

/// How many objects of a phase are applied at once.
const PARALLEL: usize = 8;
/// How often readiness is checked (a GET per waiting object: cheap, and close behind what a watch would see).
const POLL: Duration = Duration::from_millis(200);

/// Why an install, review or uninstall failed. Messages name the object, its source and the fix.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InstallError {
    #[error(transparent)]
    Stack(#[from] StackError),
    #[error(
        "{source_place}: {object} has apiVersion {api_version}, which the cluster does not serve and no CRD in the plan defines"
    )]
    UnknownKind { object: String, source_place: String, api_version: String },
    #[error(
        "could not {action}: forbidden ({message}). Ask a cluster admin for this permission, or install with an account that has it."
    )]
    Forbidden { action: String, message: String },
    #[error("could not {action}: {message}")]
    Api { action: String, message: String },
    #[error("not ready after {seconds} s:\n{}", .waiting.iter().map(|(o, r)| format!("  {o}: {r}")).collect::<Vec<_>>().join("\n"))]
    NotReady { seconds: u64, waiting: Vec<(String, String)> },
    #[error("not ready:\n{}", .0.iter().map(|(o, r)| format!("  {o}: {r}")).collect::<Vec<_>>().join("\n"))]
    Unhealthy(Vec<(String, String)>),
    #[error("{0}")]
    Folder(String),
    #[error(
        "could not generate a secret key: the operating system's random generator failed ({0}); nothing was applied with a weak key"
    )]
    Random(String),
    #[error("the install record is unreadable: {0}. Delete ConfigMap {RECORD_NAME} to start over (objects stay).")]
    Record(String),
}

impl InstallError {
    pub fn from_kube(action: &str, e: kube::Error) -> InstallError {
        match e {
            kube::Error::Api(status) if status.code == 403 => {
                InstallError::Forbidden { action: action.to_string(), message: status.message.clone() }
            }
            kube::Error::Api(status) => InstallError::Api {
                action: action.to_string(),
                message: format!("{} ({} {})", status.message, status.code, status.reason),
            },
            other => InstallError::Api { action: action.to_string(), message: other.to_string() },
        }
    }

    /// The process exit code of a headless command that failed this way.
    pub fn exit_code(&self) -> i32 {
        match self {
            InstallError::Stack(_) | InstallError::UnknownKind { .. } | InstallError::Folder(_) => 2,
            InstallError::NotReady { .. } | InstallError::Unhealthy(_) => 3,
            InstallError::Forbidden { .. } => 4,
            _ => 1,
        }
    }
}

/// What the engine reports while it works.
#[derive(Debug, Clone, PartialEq)]
pub enum Progress {
    /// A phase starts, with how many objects it applies.
    Phase { phase: Phase, objects: usize },
    /// An object was applied.
    Applied { object: String, component: String, outcome: Outcome },
    /// Waiting for objects to become ready (count), with the first one's reason.
    Waiting { ready: usize, total: usize, object: String, reason: String },
    /// An object is ready.
    Ready { object: String },
    /// A remark worth reading (a DaemonSet that runs nowhere, a pruned object).
    Note(String),
    /// An object was deleted (uninstall, or pruned on upgrade).
    Deleted { object: String },
}

/// How an install runs.
#[derive(Debug, Clone)]
pub struct InstallOptions {
    /// Wait for readiness (`--no-wait` turns it off).
    pub wait: bool,
    pub timeout: Duration,
}

impl Default for InstallOptions {
    fn default() -> Self {
        Self { wait: true, timeout: Duration::from_secs(300) }
    }
}

/// What an install did.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstallReport {
    pub created: usize,
    pub changed: usize,
    pub unchanged: usize,
    pub pruned: usize,
    pub notes: Vec<String>,
}

/// Reads the stack's install record, if the stack was installed (by anyone, from any machine).
pub async fn read_record(client: &kube::Client) -> Result<Option<(String, InstallRecord)>, InstallError> {
    Ok(read_records(client).await?.into_iter().find(|(_, r)| r.folder.is_none()))
}

/// Every install record on the cluster: the stack's and those of folder installs, with their namespaces.
pub async fn read_records(client: &kube::Client) -> Result<Vec<(String, InstallRecord)>, InstallError> {
    let cms: Api<k8s_openapi::api::core::v1::ConfigMap> = Api::all(client.clone());
    let lp = ListParams::default().labels(&format!("{}={}", RECORD_LABEL.0, RECORD_LABEL.1));
    let list = cms.list(&lp).await.map_err(|e| InstallError::from_kube("read the install record", e))?;
    let mut records = Vec::new();
    for cm in list.items {
        let name = cm.metadata.name.clone().unwrap_or_default();
        // Only Bosun's own names: a labelled ConfigMap of another name is not a record.
        if name != RECORD_NAME && !name.starts_with("bosun-folder-") {
            continue;
        }
        let namespace = cm.metadata.namespace.clone().unwrap_or_default();
        let value = serde_json::to_value(&cm).unwrap_or(Value::Null);
        let record = InstallRecord::from_config_map(&value).map_err(InstallError::Record)?;
        records.push((namespace, record));
    }
    records.sort_by_key(|(_, r)| r.folder.clone());
    Ok(records)
}

async fn write_record(client: &kube::Client, namespace: &str, record: &InstallRecord) -> Result<(), InstallError> {
    let cms: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &kube::core::ApiResource::erase::<k8s_openapi::api::core::v1::ConfigMap>(&()),
    );
    let name = record.config_map_name();
    cms.patch(&name, &PatchParams::apply(FIELD_MANAGER).force(), &Patch::Apply(&record.to_config_map(namespace)))
        .await
        .map_err(|e| InstallError::from_kube("write the install record", e))?;
    Ok(())
}

/// The selection to install: what was installed before (so adding a component keeps the others, and an
/// interrupted install resumes with its settings), then what the user asked for now.
pub fn merged_selection(previous: Option<&InstallRecord>, requested: &Selection, requested_globals: bool) -> Selection {
    let Some(previous) = previous else { return requested.clone() };
    let mut merged = previous.selection.clone();
    for c in &requested.components {
        if !merged.components.contains(c) {
            merged.components.push(c.clone());
        }
    }
    // No components named: the whole stack.
    if requested.components.is_empty() {
        merged.components.clear();
    }
    for (component, values) in &requested.values {
        merged.values.entry(component.clone()).or_default().extend(values.clone());
    }
    if requested_globals {
        merged.globals = requested.globals.clone();
    }
    merged
}

/// The plan for `selection`, merged with the existing install.
pub async fn plan_for(
    client: &kube::Client,
    catalog: &Catalog,
    selection: &Selection,
    globals_given: bool,
) -> Result<(Plan, Option<InstallRecord>), InstallError> {
    // Who may not list ConfigMaps everywhere can still install; there is just no earlier install to build on.
    let previous = match read_record(client).await {
        Ok(found) => found.map(|(_, r)| r),
        Err(InstallError::Forbidden { .. }) => None,
        Err(e) => return Err(e),
    };
    let merged = merged_selection(previous.as_ref(), selection, globals_given);
    Ok((plan::plan(catalog, &merged)?, previous))
}

/// An object applied: where it went, whether to wait for it, what changed.
type Applied = (ObjectRef, Option<Readiness>, Outcome);

struct Applier<'a> {
    client: &'a kube::Client,
    resolver: Resolver,
    default_namespace: String,
}

impl Applier<'_> {
    async fn apply_one(
        &mut self,
        o: &ManifestObject,
    ) -> Result<(Api<DynamicObject>, Option<String>, Value), InstallError> {
        let (api, ns) = self.resolver.api_for(self.client, o, &self.default_namespace).await?;
        let value = with_namespace(&o.value, ns.as_deref());
        Ok((api, ns, value))
    }
}

fn object_ref(o: &ManifestObject, namespace: Option<String>) -> ObjectRef {
    ObjectRef {
        api_version: o.api_version().to_string(),
        kind: o.kind().to_string(),
        namespace,
        name: o.name().to_string(),
        component: o.component.clone(),
        uid: None,
    }
}

/// Installs (or upgrades, repairs, resumes) the plan: phase by phase, in parallel within a phase, waiting for
/// CRDs before what may use them and for workloads at the end. Safe to interrupt and run again.
pub async fn install(
    client: &kube::Client,
    plan: &Plan,
    previous: Option<&InstallRecord>,
    options: &InstallOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<InstallReport, InstallError> {
    let started = Instant::now();
    let mut applier =
        Applier { client, resolver: Resolver::default(), default_namespace: plan.selection.globals.namespace.clone() };
    let mut report = InstallReport::default();
    let mut applied: Vec<(ObjectRef, Option<Readiness>)> = Vec::new();
    let record_namespace = plan.selection.globals.namespace.clone();
    let mut record_written = false;
    for phase in Phase::ALL {
        let objects: Vec<&PlannedObject> = plan.phase(phase).collect();
        if objects.is_empty() {
            continue;
        }
        progress(Progress::Phase { phase, objects: objects.len() });
        // Resolve kinds in order (the cache fills once per kind), then apply in parallel.
        let mut work = Vec::new();
        for p in &objects {
            let (api, ns, value) = applier.apply_one(&p.object).await?;
            work.push(apply_planned(api, p.object.clone(), ns, value, p.wait, progress));
        }
        let results: Vec<Result<Applied, InstallError>> =
            futures_util::stream::iter(work).buffer_unordered(PARALLEL).collect().await;
        for r in results {
            let (object, wait, outcome) = r?;
            match outcome {
                Outcome::Created => report.created += 1,
                Outcome::Changed => report.changed += 1,
                Outcome::Unchanged => report.unchanged += 1,
            }
            applied.push((object, wait));
        }
        if phase == Phase::Namespaces || !record_written {
            // The record lives in the stack's namespace, which exists from here on.
            let refs = plan_refs(plan, &applied);
            write_record(client, &record_namespace, &InstallRecord::of(plan, InstallState::Installing, refs)).await?;
            record_written = true;
        }
        if phase == Phase::Definitions {
            let crds: Vec<(ObjectRef, Option<Readiness>)> =
                applied.iter().filter(|(o, w)| o.kind == "CustomResourceDefinition" && w.is_some()).cloned().collect();
            wait_ready(client, &crds, started, options.timeout, progress, &mut report).await?;
        }
    }
    let refs: Vec<ObjectRef> = applied.iter().map(|(o, _)| o.clone()).collect();
    if let Some(previous) = previous {
        report.pruned =
            prune(client, &mut applier.resolver, previous, &refs, &plan.selection.components, progress).await?;
    }
    let result = if options.wait {
        let waited: Vec<(ObjectRef, Option<Readiness>)> =
            applied.iter().filter(|(o, w)| w.is_some() && o.kind != "CustomResourceDefinition").cloned().collect();
        wait_ready(client, &waited, started, options.timeout, progress, &mut report).await
    } else {
        Ok(())
    };
    let state = match &result {
        Ok(()) if options.wait => InstallState::Installed,
        Ok(()) => InstallState::Installing,
        Err(_) => InstallState::NotReady,
    };
    write_record(client, &record_namespace, &InstallRecord::of(plan, state, refs)).await?;
    result.map(|()| report)
}

/// Applies one planned object and reports it.
async fn apply_planned(
    api: Api<DynamicObject>,
    object: ManifestObject,
    namespace: Option<String>,
    value: Value,
    wait: Option<Readiness>,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Applied, InstallError> {
    let (outcome, live) = apply::apply(&api, &object, &value).await?;
    progress(Progress::Applied { object: object.display(), component: object.component.clone(), outcome });
    let applied = ObjectRef { uid: live.metadata.uid, ..object_ref(&object, namespace) };
    Ok((applied, wait, outcome))
}

/// The record's object list: everything applied so far plus the rest of the plan (so an interrupted install's
/// record still names all it meant to create).
fn plan_refs(plan: &Plan, applied: &[(ObjectRef, Option<Readiness>)]) -> Vec<ObjectRef> {
    let mut refs: Vec<ObjectRef> = applied.iter().map(|(o, _)| o.clone()).collect();
    for p in &plan.objects {
        if !refs.iter().any(|r| r.kind == p.object.kind() && r.name == p.object.name()) {
            refs.push(object_ref(&p.object, p.object.namespace().map(str::to_string)));
        }
    }
    refs
}

/// Deletes what the previous install created for components still selected but the plan no longer contains
/// (a switched-off option, a renamed object).
async fn prune(
    client: &kube::Client,
    resolver: &mut Resolver,
    previous: &InstallRecord,
    now: &[ObjectRef],
    components: &[String],
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<usize, InstallError> {
    let mut pruned = 0;
    for old in previous.objects.iter().filter(|o| components.contains(&o.component)) {
        if now.iter().any(|n| n.kind == old.kind && n.name == old.name && n.namespace == old.namespace) {
            continue;
        }
        match delete_ref(client, resolver, old).await? {
            Removal::Deleted => {
                progress(Progress::Deleted { object: old.display() });
                pruned += 1;
            }
            Removal::Kept(why) => progress(Progress::Note(why)),
            Removal::Missing => {}
        }
    }
    Ok(pruned)
}

/// What deleting a recorded object came to.
#[derive(Debug, Clone, PartialEq)]
pub enum Removal {
    Deleted,
    /// Already gone (or its kind is).
    Missing,
    /// Left alone, and why: it is not the object Bosun made.
    Kept(String),
}

/// Deletes a recorded object only if it is still the one Bosun made: it carries
/// `app.kubernetes.io/managed-by=bosun`, and its UID is the recorded one (when recorded). The delete itself has a
/// UID precondition, so an object replaced between the read and the delete is not touched either.
async fn delete_ref(client: &kube::Client, resolver: &mut Resolver, r: &ObjectRef) -> Result<Removal, InstallError> {
    let (api, _) = match resolver.api_for_ref(client, r).await {
        Ok(found) => found,
        // The kind is gone (its CRD was deleted first): so are its objects.
        Err(InstallError::UnknownKind { .. }) => return Ok(Removal::Missing),
        Err(e) => return Err(e),
    };
    let live = api.get_opt(&r.name).await.map_err(|e| InstallError::from_kube(&format!("read {}", r.display()), e))?;
    let Some(live) = live else { return Ok(Removal::Missing) };
    let managed = live.metadata.labels.as_ref().and_then(|l| l.get(MANAGED_BY.0)).is_some_and(|v| v == MANAGED_BY.1);
    if !managed {
        return Ok(Removal::Kept(format!(
            "kept: {} was replaced by someone else (it does not carry {}={})",
            r.display(),
            MANAGED_BY.0,
            MANAGED_BY.1
        )));
    }
    let live_uid = live.metadata.uid.clone().unwrap_or_default();
    if let Some(recorded) = &r.uid
        && *recorded != live_uid
    {
        return Ok(Removal::Kept(format!(
            "kept: {} was replaced by someone else (UID {live_uid}, Bosun made {recorded})",
            r.display()
        )));
    }
    let params = DeleteParams {
        preconditions: Some(Preconditions { uid: Some(live_uid), resource_version: None }),
        ..DeleteParams::background()
    };
    match api.delete(&r.name, &params).await {
        Ok(_) => Ok(Removal::Deleted),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(Removal::Missing),
        // The precondition failed: the object was replaced after we read it.
        Err(kube::Error::Api(s)) if s.code == 409 => {
            Ok(Removal::Kept(format!("kept: {} was replaced by someone else while uninstalling", r.display())))
        }
        Err(e) => Err(InstallError::from_kube(&format!("delete {}", r.display()), e)),
    }
}

/// Waits until every object is ready, reporting progress and the first blocker; fails after the timeout with
/// every object still waiting and why.
async fn wait_ready(
    client: &kube::Client,
    objects: &[(ObjectRef, Option<Readiness>)],
    started: Instant,
    timeout: Duration,
    progress: &(dyn Fn(Progress) + Send + Sync),
    report: &mut InstallReport,
) -> Result<(), InstallError> {
    let mut resolver = Resolver::default();
    let mut pending: Vec<(ObjectRef, Readiness)> =
        objects.iter().filter_map(|(o, w)| w.map(|w| (o.clone(), w))).collect();
    let total = pending.len();
    loop {
        // Each object read once per round; what is not ready yet keeps its live state for the reasons.
        let mut waiting: Vec<(ObjectRef, Readiness, Value)> = Vec::new();
        for (r, rule) in pending {
            let live = live_of(client, &mut resolver, &r).await?;
            if !ready::is_ready(rule, &live) {
                waiting.push((r, rule, live));
                continue;
            }
            if ready::runs_nowhere(rule, &live) {
                let note =
                    format!("{} targets no node: it runs nowhere until a node matches its selector", r.display());
                progress(Progress::Note(note.clone()));
                report.notes.push(note);
            }
            progress(Progress::Ready { object: r.display() });
        }
        let Some((first, rule, live)) = waiting.first() else { return Ok(()) };
        let reason = ready::blocking_reason(client, *rule, live, first.namespace.as_deref()).await;
        progress(Progress::Waiting { ready: total - waiting.len(), total, object: first.display(), reason });
        if started.elapsed() >= timeout {
            let mut reasons = Vec::new();
            for (r, rule, live) in &waiting {
                reasons.push((r.display(), ready::blocking_reason(client, *rule, live, r.namespace.as_deref()).await));
            }
            return Err(InstallError::NotReady { seconds: timeout.as_secs(), waiting: reasons });
        }
        pending = waiting.into_iter().map(|(r, rule, _)| (r, rule)).collect();
        tokio::time::sleep(POLL).await;
    }
}

/// The live object a record entry names (`Null` when it does not exist).
async fn live_of(client: &kube::Client, resolver: &mut Resolver, r: &ObjectRef) -> Result<Value, InstallError> {
    let (api, _) = resolver.api_for_ref(client, r).await?;
    let live = api.get_opt(&r.name).await.map_err(|e| InstallError::from_kube(&format!("read {}", r.display()), e))?;
    Ok(live.and_then(|l| serde_json::to_value(l).ok()).unwrap_or(Value::Null))
}

/// A dry run of the whole plan against the live cluster: per object, new / changed / unchanged with a diff.
pub async fn review(client: &kube::Client, plan: &Plan) -> Result<Vec<ObjectDiff>, InstallError> {
    let mut resolver = Resolver::default();
    let existing: BTreeSet<String> = {
        let api: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
        let list = api.list(&ListParams::default()).await.map_err(|e| InstallError::from_kube("list namespaces", e))?;
        list.items.into_iter().filter_map(|n| n.metadata.name).collect()
    };
    let mut diffs = Vec::new();
    for p in &plan.objects {
        let (api, ns) = match resolver.api_for(client, &p.object, &plan.selection.globals.namespace).await {
            Ok(found) => found,
            // A custom resource whose CRD the plan creates: it can only be shown as new.
            Err(InstallError::UnknownKind { .. })
                if plan.objects.iter().any(|c| c.object.kind() == "CustomResourceDefinition") =>
            {
                diffs.push(ObjectDiff {
                    object: p.object.display(),
                    component: p.object.component.clone(),
                    outcome: Outcome::Created,
                    diff: String::new(),
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        let value = with_namespace(&p.object.value, ns.as_deref());
        let namespace_exists = ns.as_ref().is_none_or(|n| existing.contains(n));
        diffs.push(apply::review(&api, &p.object, &value, namespace_exists).await?);
    }
    Ok(diffs)
}
