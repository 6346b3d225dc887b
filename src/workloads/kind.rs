//! The job kinds Bosun launches: the training operator's (`kubeflow.org/v1`) and plain `batch/v1` Jobs, with what
//! differs between them — where the replica specs live, which roles exist, the framework container's name and port.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum JobKind {
    TFJob,
    PyTorchJob,
    XGBoostJob,
    MPIJob,
    Job,
}

impl JobKind {
    pub const ALL: [JobKind; 5] =
        [JobKind::TFJob, JobKind::PyTorchJob, JobKind::XGBoostJob, JobKind::MPIJob, JobKind::Job];

    pub fn name(self) -> &'static str {
        match self {
            JobKind::TFJob => "TFJob",
            JobKind::PyTorchJob => "PyTorchJob",
            JobKind::XGBoostJob => "XGBoostJob",
            JobKind::MPIJob => "MPIJob",
            JobKind::Job => "Job",
        }
    }

    pub fn from_kind(kind: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == kind)
    }

    pub fn api_version(self) -> &'static str {
        match self {
            JobKind::Job => "batch/v1",
            _ => "kubeflow.org/v1",
        }
    }

    /// The resource's plural, as in the API path and the CRD name (`tfjobs.kubeflow.org`).
    pub fn plural(self) -> &'static str {
        match self {
            JobKind::TFJob => "tfjobs",
            JobKind::PyTorchJob => "pytorchjobs",
            JobKind::XGBoostJob => "xgboostjobs",
            JobKind::MPIJob => "mpijobs",
            JobKind::Job => "jobs",
        }
    }

    /// Whether the training operator serves it (it needs the operator's CRD on the cluster).
    pub fn needs_operator(self) -> bool {
        self != JobKind::Job
    }

    /// The map of replica specs under `spec` (none for a plain Job).
    pub fn specs_field(self) -> Option<&'static str> {
        match self {
            JobKind::TFJob => Some("tfReplicaSpecs"),
            JobKind::PyTorchJob => Some("pytorchReplicaSpecs"),
            JobKind::XGBoostJob => Some("xgbReplicaSpecs"),
            JobKind::MPIJob => Some("mpiReplicaSpecs"),
            JobKind::Job => None,
        }
    }

    /// The roles a job of this kind may have, leader first; a plain Job has one pod template, shown as "Pod".
    pub fn roles(self) -> &'static [&'static str] {
        match self {
            JobKind::TFJob => &["Chief", "Worker", "PS", "Evaluator"],
            JobKind::PyTorchJob | JobKind::XGBoostJob => &["Master", "Worker"],
            JobKind::MPIJob => &["Launcher", "Worker"],
            JobKind::Job => &["Pod"],
        }
    }

    /// The container the operator looks for (it sets the framework's environment and port on it).
    pub fn container(self) -> &'static str {
        match self {
            JobKind::TFJob => "tensorflow",
            JobKind::PyTorchJob => "pytorch",
            JobKind::XGBoostJob => "xgboost",
            JobKind::MPIJob => "mpi",
            JobKind::Job => "main",
        }
    }

    /// The operator's default port for the framework container, with its name.
    pub fn port(self) -> Option<(&'static str, i32)> {
        match self {
            JobKind::TFJob => Some(("tfjob-port", 2222)),
            JobKind::PyTorchJob => Some(("pytorchjob-port", 23456)),
            JobKind::XGBoostJob => Some(("xgboostjob-port", 9999)),
            JobKind::MPIJob | JobKind::Job => None,
        }
    }

    /// The restart policy replicas get by default (the operator's defaults; `Never` for a Job's pods).
    pub fn default_restart(self) -> &'static str {
        match self {
            JobKind::TFJob | JobKind::MPIJob | JobKind::Job => "Never",
            JobKind::PyTorchJob | JobKind::XGBoostJob => "OnFailure",
        }
    }
}

impl std::fmt::Display for JobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}
