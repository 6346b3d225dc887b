//! kubesim: a simulated Kubernetes cluster that real clients accept.
//!
//! A real HTTP(S) API server on 127.0.0.1 speaking the part of the Kubernetes API that Bosun, kube-rs and kubectl
//! use — discovery, CRUD with real `Status` errors, watches with resume and `410 Gone`, server-side apply with
//! managed fields, tables for `kubectl get`, RBAC for a restricted user — and controllers that make it behave:
//! a scheduler that understands GPUs, MIG slices and taints, a kubelet stand-in that runs pods and writes logs,
//! the workload controllers, device plugins and the Kubeflow training operator.
//!
//! What is *not* simulated: containers (nothing is executed; pods follow scripted behaviour chosen by their
//! image), networking between pods, persistent storage contents, admission webhooks, aggregated API servers,
//! protobuf encoding. It is a test double and a playground, never a real cluster.
//!
//! ```no_run
//! # async fn demo() -> Result<(), kubesim::StartError> {
//! let server = kubesim::start(kubesim::Config::default()).await?;
//! println!("export KUBECONFIG={}", server.kubeconfig_path().display());
//! # Ok(()) }
//! ```

pub mod admission;
pub mod api;
pub mod auth;
pub mod cluster;
pub mod controllers;
pub mod convert;
pub mod faults;
pub mod fleet;
pub mod hooks;
pub mod kubeconfig;
pub mod logs;
pub mod meta;
pub mod patch;
pub mod priority;
pub mod quota;
pub mod registry;
pub mod schema;
pub mod server;
pub mod shape;
pub mod stats;
pub mod store;
pub mod tls;
pub mod workloads;

pub use faults::FaultConfig;
pub use fleet::Fleet;
pub use server::{Config, ServerHandle, StartError, start};
