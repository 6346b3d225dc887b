//! Pure views of Kubernetes objects: one file per kind turns an object into the compact row the screens and the
//! headless commands use, plus its health. Nothing here does I/O or knows egui; rows are small so caches of
//! 150,000 pods stay small.

pub mod accelerators;
pub mod context;
pub mod event;
pub mod katib;
pub mod kueue;
pub mod ledger;
pub mod node;
pub mod notebook;
pub mod pod;
pub mod quantity;
pub mod serving;
pub mod teams;
pub mod training;
pub mod workload;
