//! All Kubernetes I/O: kubeconfig files, connections, watches and writes. The only module that talks to an API
//! server or reads kubeconfig files; it knows nothing of egui.

pub mod cache;
pub mod capacity;
pub mod connect;
pub mod evaluations;
pub mod exec_plugin;
pub mod forward;
pub mod install;
pub mod katib;
pub mod keeper;
pub mod kubeconfig;
pub mod kueue;
pub mod notebooks;
pub mod priorities;
pub mod recorder;
pub mod serving;
pub mod teams;
pub mod training;
