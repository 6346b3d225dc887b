//! Which API resource serves an object's kind, and whether it is namespaced — asked of the server's discovery per
//! group/version and cached. Kinds whose CRD is in the same plan resolve once that CRD is established.

use std::collections::HashMap;

use kube::api::{Api, DynamicObject};
use kube::core::GroupVersionKind;
use kube::discovery::{ApiResource, Scope};
use serde_json::Value;

use super::InstallError;
use crate::stack::objects::ManifestObject;
use crate::stack::record::ObjectRef;

/// Discovery answers, cached per kind.
#[derive(Default)]
pub struct Resolver {
    known: HashMap<GroupVersionKind, (ApiResource, bool)>,
}

fn gvk_of(object: &ManifestObject) -> GroupVersionKind {
    let (group, version) = object.api_version().split_once('/').unwrap_or(("", object.api_version()));
    GroupVersionKind::gvk(group, version, object.kind())
}

impl Resolver {
    /// The resource of `object`'s kind and whether it is namespaced.
    pub async fn resolve(
        &mut self,
        client: &kube::Client,
        object: &ManifestObject,
    ) -> Result<(ApiResource, bool), InstallError> {
        let gvk = gvk_of(object);
        if let Some(found) = self.known.get(&gvk) {
            return Ok(found.clone());
        }
        match kube::discovery::pinned_kind(client, &gvk).await {
            Ok((resource, caps)) => {
                let found = (resource, caps.scope == Scope::Namespaced);
                self.known.insert(gvk, found.clone());
                Ok(found)
            }
            Err(kube::Error::Discovery(_)) => Err(InstallError::UnknownKind {
                object: object.display(),
                source_place: object.source.clone(),
                api_version: object.api_version().to_string(),
            }),
            Err(kube::Error::Api(status)) if status.code == 404 => Err(InstallError::UnknownKind {
                object: object.display(),
                source_place: object.source.clone(),
                api_version: object.api_version().to_string(),
            }),
            Err(e) => Err(InstallError::from_kube(&format!("discover {}", object.api_version()), e)),
        }
    }

    /// An API handle for `object`, with its namespace defaulted the way kubectl does.
    pub async fn api_for(
        &mut self,
        client: &kube::Client,
        object: &ManifestObject,
        default_namespace: &str,
    ) -> Result<(Api<DynamicObject>, Option<String>), InstallError> {
        let (resource, namespaced) = self.resolve(client, object).await?;
        if namespaced {
            let ns = object.namespace().unwrap_or(default_namespace).to_string();
            Ok((Api::namespaced_with(client.clone(), &ns, &resource), Some(ns)))
        } else {
            Ok((Api::all_with(client.clone(), &resource), None))
        }
    }
}

impl Resolver {
    /// An API handle for an object the install record names.
    pub async fn api_for_ref(
        &mut self,
        client: &kube::Client,
        r: &ObjectRef,
    ) -> Result<(Api<DynamicObject>, Option<String>), InstallError> {
        self.api_for(client, &r.as_object(), r.namespace.as_deref().unwrap_or("default")).await
    }
}

/// The object as applied: namespace set (namespaced kinds) or removed (cluster-scoped kinds).
pub fn with_namespace(value: &Value, namespace: Option<&str>) -> Value {
    let mut v = value.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        match namespace {
            Some(ns) => {
                meta.insert("namespace".into(), Value::from(ns));
            }
            None => {
                meta.remove("namespace");
            }
        }
    }
    v
}
