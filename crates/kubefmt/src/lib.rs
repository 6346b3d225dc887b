//! Kubernetes value formats, written once for Bosun and kubesim alike.
//!
//! - [`quantity`]: `500m`, `16Gi`, `1e3` as numbers of base units.
//! - [`duration`]: ages the way kubectl prints them (`2m30s`, `3d4h`).
//! - [`names`]: object names as the API server validates them (DNS-1123 labels and subdomains).
//! - [`pod`]: the READY, STATUS and RESTARTS columns of `kubectl get pods`, which the API server's table printer
//!   computes from a pod's status.
//!
//! The crate depends on nothing: callers describe a pod with plain borrowed fields ([`pod::PodFacts`]), filled from
//! a typed `k8s-openapi` pod in the app and from JSON in the simulator, so both print exactly the same strings.

pub mod duration;
pub mod names;
pub mod pod;
pub mod quantity;
