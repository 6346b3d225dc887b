//! The installed stack: how it is doing (`status`) and taking it away (`uninstall`), both from the install record.

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, DeleteParams};
use serde_json::Value;

use super::resolve::Resolver;
use super::{InstallError, Progress, Removal, delete_ref, live_of, read_records, ready};
use crate::stack::plan::{Phase, Readiness};
use crate::stack::record::{InstallRecord, ObjectRef};

/// Which install to act on: the stack, or the folder install of this name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Target {
    #[default]
    Stack,
    Folder(String),
}

/// What an uninstall did: the objects deleted, and those kept with why (volumes with data, objects someone else
/// replaced).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Uninstalled {
    pub deleted: Vec<String>,
    pub kept: Vec<String>,
}

/// Reads the record of `target` (stack or folder), with its namespace.
pub async fn read_target(
    client: &kube::Client,
    target: &Target,
) -> Result<Option<(String, InstallRecord)>, InstallError> {
    let records = read_records(client).await?;
    Ok(records.into_iter().find(|(_, r)| match target {
        Target::Stack => r.folder.is_none(),
        Target::Folder(name) => r.folder.as_deref() == Some(name.as_str()),
    }))
}

/// Removes what an install made, newest phase first: only objects that are still Bosun's (labelled, same UID);
/// PersistentVolumeClaims stay unless `delete_data`. The namespace goes last, and only when nothing in it was kept.
pub async fn uninstall(
    client: &kube::Client,
    target: &Target,
    delete_data: bool,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Result<Uninstalled, InstallError> {
    let Some((namespace, record)) = read_target(client, target).await? else {
        return Ok(Uninstalled::default());
    };
    let mut resolver = Resolver::default();
    let mut objects = record.objects.clone();
    objects.sort_by_key(|o| std::cmp::Reverse(Phase::of(&o.kind)));
    let mut done = Uninstalled::default();
    let mut remove = async |o: &ObjectRef, done: &mut Uninstalled| -> Result<(), InstallError> {
        match delete_ref(client, &mut resolver, o).await? {
            Removal::Deleted => {
                progress(Progress::Deleted { object: o.display() });
                done.deleted.push(o.display());
            }
            Removal::Kept(why) => {
                progress(Progress::Note(why.clone()));
                done.kept.push(why);
            }
            Removal::Missing => {}
        }
        Ok(())
    };
    for o in objects.iter().filter(|o| o.kind != "Namespace") {
        if o.kind == "PersistentVolumeClaim" && !delete_data {
            done.kept.push(format!("kept: {} (holds data; uninstall with --delete-data to remove it)", o.display()));
            continue;
        }
        remove(o, &mut done).await?;
    }
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
    match cms.delete(&record.config_map_name(), &DeleteParams::default()).await {
        Ok(_) | Err(kube::Error::Api(_)) => {}
        Err(e) => return Err(InstallError::from_kube("delete the install record", e)),
    }
    let namespaces: Vec<&ObjectRef> = objects.iter().filter(|o| o.kind == "Namespace").collect();
    if done.kept.is_empty() {
        for o in namespaces {
            remove(o, &mut done).await?;
        }
    } else if !namespaces.is_empty() {
        progress(Progress::Note(format!(
            "kept namespace {namespace}: deleting it would delete what was kept ({})",
            done.kept.len()
        )));
    }
    Ok(done)
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

/// How the stack is doing, if it is installed.
pub async fn status(client: &kube::Client) -> Result<Option<StackStatus>, InstallError> {
    let Some((namespace, record)) = read_target(client, &Target::Stack).await? else { return Ok(None) };
    Ok(Some(status_of(client, namespace, record).await?))
}

/// How every install on the cluster is doing: the stack first, then folder installs by name.
pub async fn status_all(client: &kube::Client) -> Result<Vec<StackStatus>, InstallError> {
    let mut all = Vec::new();
    for (namespace, record) in read_records(client).await? {
        all.push(status_of(client, namespace, record).await?);
    }
    Ok(all)
}

async fn status_of(
    client: &kube::Client,
    namespace: String,
    record: InstallRecord,
) -> Result<StackStatus, InstallError> {
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
    Ok(StackStatus { namespace, record, components })
}
