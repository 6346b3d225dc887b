//! The shared state of one simulated cluster: store, registry, users, faults and logs, with the helpers
//! controllers use to write objects the way the API server would.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::admission;
use crate::api::status::ApiError;
use crate::auth::Tokens;
use crate::faults::Faults;
use crate::logs::Logs;
use crate::meta;
use crate::registry::{Registry, ResourceKey, ResourceType};
use crate::store::{Store, StoreError, Stored};

pub struct Cluster {
    pub store: Store,
    pub registry: Registry,
    pub tokens: Tokens,
    pub faults: Faults,
    pub logs: Logs,
    /// `host:port` the server listens on.
    pub address: String,
    /// Simulated seconds per real second (durations of simulated work are divided by it).
    pub time_scale: f64,
    /// The accelerators physically present on each node (resource name → count), which a device plugin
    /// advertises in the node's capacity once it runs there.
    pub hardware: std::sync::RwLock<std::collections::HashMap<String, Vec<(String, i64)>>>,
    /// The scheduler's memory of unschedulable pods (by UID): the last failure message and when it was reported.
    pub unschedulable: std::sync::Mutex<std::collections::HashMap<String, (String, std::time::Instant)>>,
    /// What the server did, counted per resource (for tests).
    pub stats: crate::stats::Stats,
}

impl Cluster {
    pub fn new(tokens: Tokens, faults: Faults, address: String, time_scale: f64) -> Self {
        Self {
            store: Store::default(),
            registry: Registry::default(),
            tokens,
            faults,
            logs: Logs::default(),
            address,
            time_scale: if time_scale > 0.0 { time_scale } else { 1.0 },
            hardware: Default::default(),
            unschedulable: Default::default(),
            stats: Default::default(),
        }
    }

    /// The accelerators installed in a node.
    pub fn hardware_of(&self, node: &str) -> Vec<(String, i64)> {
        self.hardware.read().map(|h| h.get(node).cloned().unwrap_or_default()).unwrap_or_default()
    }

    pub fn set_hardware(&self, node: &str, devices: Vec<(String, i64)>) {
        if let Ok(mut h) = self.hardware.write() {
            h.insert(node.to_string(), devices);
        }
    }

    /// Real time for a simulated duration.
    pub fn sim_duration(&self, seconds: f64) -> std::time::Duration {
        std::time::Duration::from_secs_f64((seconds / self.time_scale).max(0.0))
    }

    pub fn resource_type(&self, obj: &Value) -> Result<Arc<ResourceType>, ApiError> {
        let api_version = meta::str_at(obj, "/apiVersion");
        let kind = meta::str_at(obj, "/kind");
        self.registry.find_kind(api_version, kind).ok_or_else(|| {
            ApiError::bad_request(format!("no kind \"{kind}\" is registered for version \"{api_version}\""))
        })
    }

    /// Creates an object as a controller would (no authorization, defaults applied).
    pub fn create(&self, obj: Value) -> Result<Arc<Stored>, ApiError> {
        self.create_object(obj, false)
    }

    /// Creates an object keeping the status it was given (controllers creating pods with a phase, fleets).
    pub fn create_with_status(&self, obj: Value) -> Result<Arc<Stored>, ApiError> {
        self.create_object(obj, true)
    }

    fn create_object(&self, mut obj: Value, keep_status: bool) -> Result<Arc<Stored>, ApiError> {
        let rt = self.resource_type(&obj)?;
        let status = obj.get("status").cloned().filter(|_| keep_status);
        admission::prepare_create(&rt, &mut obj);
        if let Some(s) = status {
            obj["status"] = s;
        }
        let name = meta::name(&obj).to_string();
        if rt.group.is_empty() && rt.plural == "pods" {
            let namespace = meta::namespace(&obj).to_string();
            let refused =
                crate::priority::admit(self, &mut obj).err().or_else(|| crate::quota::refuse(self, &namespace, &obj));
            if let Some(why) = refused {
                return Err(ApiError::forbidden_message(&rt, &name, &why));
            }
        }
        let stored = self.store.create(&rt.key(), obj).map_err(|e| match e {
            StoreError::AlreadyExists => ApiError::already_exists(&rt, &name),
            other => ApiError::internal(other.to_string()),
        })?;
        crate::hooks::after_write(self, &rt, &stored);
        Ok(stored)
    }

    /// Reads, changes and writes an object, retrying on conflicts. `change` returns false to skip the write.
    pub fn modify(
        &self,
        key: &ResourceKey,
        ns: &str,
        name: &str,
        mut change: impl FnMut(&mut Value) -> bool,
    ) -> Option<Arc<Stored>> {
        for _ in 0..5 {
            let current = self.store.get(key, ns, name)?;
            let mut next = current.value.clone();
            if !change(&mut next) {
                return Some(current);
            }
            match self.store.update(key, next, Some(current.rv)) {
                Ok(stored) => {
                    if let Some(rt) = self.registry.find_any_version(&key.group, &key.plural) {
                        crate::hooks::after_write(self, &rt, &stored);
                    }
                    return Some(stored);
                }
                Err(StoreError::Conflict) => continue,
                Err(_) => return None,
            }
        }
        None
    }

    /// Deletes an object now, and whatever it owns (background garbage collection).
    pub fn delete_now(&self, key: &ResourceKey, ns: &str, name: &str) -> Option<Arc<Stored>> {
        let deleted = self.store.delete(key, ns, name).ok()?;
        if let Some(rt) = self.registry.find_any_version(&key.group, &key.plural) {
            crate::hooks::after_delete(self, &rt, &deleted);
        }
        Some(deleted)
    }

    /// Records a core/v1 Event about an object, merging repeats into a count as the real recorder does.
    pub fn record_event(&self, involved: &Value, type_: &str, reason: &str, message: &str, component: &str) {
        let ns = match meta::namespace(involved) {
            "" => "default",
            ns => ns,
        };
        let key = ResourceKey::new("", "events");
        let (existing, _) = self.store.list(&key, Some(ns));
        let same = existing.iter().find(|e| {
            meta::str_at(&e.value, "/involvedObject/uid") == meta::uid(involved)
                && meta::str_at(&e.value, "/reason") == reason
                && meta::str_at(&e.value, "/message") == message
        });
        let now = meta::now();
        if let Some(e) = same {
            let name = e.name().to_string();
            self.modify(&key, ns, &name, |ev| {
                let count = meta::int_at(ev, "/count") + 1;
                ev["count"] = json!(count);
                ev["lastTimestamp"] = json!(now);
                true
            });
            return;
        }
        let obj_name = meta::name(involved);
        let event = json!({
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": format!("{obj_name}.{:x}", fastrand::u64(..)), "namespace": ns},
            "involvedObject": {
                "apiVersion": meta::str_at(involved, "/apiVersion"),
                "kind": meta::str_at(involved, "/kind"),
                "name": obj_name,
                "namespace": meta::namespace(involved),
                "uid": meta::uid(involved),
                "resourceVersion": meta::str_at(involved, "/metadata/resourceVersion"),
            },
            "reason": reason,
            "message": message,
            "source": {"component": component},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "count": 1,
            "type": type_,
            "eventTime": null,
            "reportingComponent": component,
            "reportingInstance": "",
        });
        let _ = self.create(event);
    }
}
