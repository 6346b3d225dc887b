//! The installed stack: how it is doing (`status`) and taking it away (`uninstall`), both from the install record.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams};
use serde_json::Value;

use super::resolve::Resolver;
use super::{InstallError, Progress, delete_ref, live_of, read_record, ready};
use crate::stack::plan::{Phase, Readiness};
use crate::stack::record::{InstallRecord, RECORD_NAME};

/// Removes everything the stack installed, newest phase first; PersistentVolumeClaims stay unless `delete_data`.
/// Returns what was deleted and what was kept.
pub async fn uninstall(
    client: &kube::Client,
    delete_data: bool,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<(Vec<String>, Vec<String>), InstallError> {
    let Some((namespace, record)) = read_record(client).await? else {
        return Ok((Vec::new(), Vec::new()));
    };
    let mut resolver = Resolver::default();
    let mut objects = record.objects.clone();
    objects.sort_by_key(|o| std::cmp::Reverse(Phase::of(&o.kind)));
    let (mut deleted, mut kept) = (Vec::new(), Vec::new());
    for o in &objects {
        if o.kind == "PersistentVolumeClaim" && !delete_data {
            kept.push(o.display());
            continue;
        }
        // The namespace goes last, after the record inside it.
        if o.kind == "Namespace" {
            continue;
        }
        if delete_ref(client, &mut resolver, o).await? {
            progress(Progress::Deleted { object: o.display() });
            deleted.push(o.display());
        }
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    match cms.delete(RECORD_NAME, &DeleteParams::default()).await {
        Ok(_) | Err(kube::Error::Api(_)) => {}
        Err(e) => return Err(InstallError::from_kube("delete the install record", e)),
    }
    if kept.is_empty() {
        for o in objects.iter().filter(|o| o.kind == "Namespace") {
            if delete_ref(client, &mut resolver, o).await? {
                progress(Progress::Deleted { object: o.display() });
                deleted.push(o.display());
            }
        }
    } else {
        progress(Progress::Note(format!(
            "kept namespace {namespace} with {} (uninstall with --delete-data to remove them)",
            kept.join(", ")
        )));
    }
    Ok((deleted, kept))
}

/// One component of an installed stack, with how it is doing.
#[derive(Debug, Clone, PartialEq)]
pub struct ComponentStatus {
    pub name: String,
    pub version: String,
    pub ready: usize,
    pub total: usize,
    /// Objects not ready, with why.
    pub waiting: Vec<(String, String)>,
}

/// What is installed, at which versions, and whether it is healthy.
#[derive(Debug, Clone, PartialEq)]
pub struct StackStatus {
    pub namespace: String,
    pub record: InstallRecord,
    pub components: Vec<ComponentStatus>,
}

pub async fn status(client: &kube::Client) -> Result<Option<StackStatus>, InstallError> {
    let Some((namespace, record)) = read_record(client).await? else { return Ok(None) };
    let mut resolver = Resolver::default();
    let mut components = Vec::new();
    for (name, version) in &record.components {
        let mut c =
            ComponentStatus { name: name.clone(), version: version.clone(), ready: 0, total: 0, waiting: vec![] };
        for o in record.objects.iter().filter(|o| o.component == *name) {
            let Some(rule) = Readiness::of(&o.kind) else { continue };
            c.total += 1;
            let live = match live_of(client, &mut resolver, o).await {
                Ok(live) => live,
                // Its kind is gone (the CRD was deleted): so is the object.
                Err(InstallError::UnknownKind { .. }) => Value::Null,
                Err(e) => {
                    c.waiting.push((o.display(), e.to_string()));
                    continue;
                }
            };
            if live.is_null() {
                c.waiting.push((o.display(), "missing: run install again to repair".into()));
            } else if ready::is_ready(rule, &live) {
                c.ready += 1;
            } else {
                c.waiting
                    .push((o.display(), ready::blocking_reason(client, rule, &live, o.namespace.as_deref()).await));
            }
        }
        components.push(c);
    }
    Ok(Some(StackStatus { namespace, record, components }))
}
