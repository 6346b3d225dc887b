//! Kubeconfig contexts as rows: what the context picker and the Overview's contexts table show. Reading the files
//! is `cluster::kubeconfig`'s job; this is the pure result.

use std::path::PathBuf;

/// One context as shown in the context picker.
#[derive(Debug, Clone, PartialEq)]
pub struct ContextInfo {
    pub name: String,
    pub cluster: String,
    /// The cluster's API server URL, if the cluster entry exists.
    pub server: Option<String>,
    pub user: Option<String>,
    pub namespace: Option<String>,
}

/// What the kubeconfig files contain, enough to pick a context.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct KubeconfigSummary {
    /// The files that were read, in merge order.
    pub files: Vec<PathBuf>,
    /// Where Bosun looked when no file was found.
    pub searched: Vec<PathBuf>,
    pub contexts: Vec<ContextInfo>,
    pub current_context: Option<String>,
}
