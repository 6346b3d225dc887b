//! What the launch form holds: a training job described in the user's terms (kind, image, roles, resources, run
//! policy, hyperparameters), saved as drafts and rendered into Kubernetes objects by [`super::render`].

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::kind::JobKind;

/// One role of a distributed job (Chief, Worker, PS …; "Pod" for a plain Job).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RoleSpec {
    pub role: String,
    pub replicas: u32,
    /// Quantities as Kubernetes writes them (`4`, `500m`, `16Gi`); empty: none requested.
    pub cpu: String,
    pub memory: String,
    /// The accelerator resource (`nvidia.com/gpu`, `nvidia.com/mig-1g.5gb`, `amd.com/gpu` …) and how many.
    pub accelerator: Option<String>,
    pub accelerators: u32,
}

impl Default for RoleSpec {
    fn default() -> Self {
        Self {
            role: "Worker".into(),
            replicas: 1,
            cpu: "1".into(),
            memory: "2Gi".into(),
            accelerator: None,
            accelerators: 0,
        }
    }
}

/// A volume mounted into every replica: an existing claim, or one Bosun creates with the job.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct VolumeSpec {
    pub claim: String,
    pub mount_path: String,
    /// Set to create the claim with this size (`50Gi`); empty: the claim exists.
    pub create_size: String,
}

/// How the job runs and ends (the operator's `runPolicy`, or a Job's own fields).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RunPolicy {
    /// Empty: the kind's default.
    pub restart_policy: String,
    /// `All`, `Running` or `None`; empty: the operator's default.
    pub clean_pod_policy: String,
    pub backoff_limit: Option<u32>,
    pub ttl_seconds_after_finished: Option<u32>,
    pub active_deadline_seconds: Option<u64>,
    pub suspend: bool,
    pub priority_class: String,
    /// A Kueue LocalQueue (label `kueue.x-k8s.io/queue-name`).
    pub queue: String,
}

/// Where hyperparameters go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ParamsAs {
    /// `--name=value` arguments (or `${trialParameters.name}` placeholders replaced, where the command has them).
    #[default]
    Args,
    /// Environment variables, upper-cased (`lr` → `LR`).
    Env,
}

/// A training job as the form describes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TrainingSpec {
    pub kind: JobKind,
    pub name: String,
    pub namespace: String,
    pub image: String,
    pub command: Vec<String>,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
    pub roles: Vec<RoleSpec>,
    /// Only nodes whose GPU Feature Discovery product label is this (`NVIDIA-H100-80GB-HBM3`).
    pub gpu_product: String,
    pub volumes: Vec<VolumeSpec>,
    pub run_policy: RunPolicy,
    pub hyperparameters: Vec<(String, String)>,
    pub params_as: ParamsAs,
    /// The experiment this run belongs to (`bosun.dev/experiment`); empty: the job's own name.
    pub experiment: String,
    /// A sweep: `name=a,b` lists (a grid over all of them) or `name=low..high[:log|:int]` ranges (with
    /// `sweep_random`); empty: one run.
    pub sweep: Vec<String>,
    /// Sample this many runs over the sweep's parameters instead of a grid (0: grid).
    pub sweep_random: u32,
    /// Extra labels for the job and its pods.
    pub labels: BTreeMap<String, String>,
    /// How the run's log is read for metrics (default: Katib's pattern, any name with an epoch or step).
    pub metrics: crate::resources::training::MetricSpec,
}

impl Default for TrainingSpec {
    fn default() -> Self {
        Self {
            kind: JobKind::TFJob,
            name: String::new(),
            namespace: "default".into(),
            image: IMAGE_PRESETS[0].1.into(),
            command: Vec::new(),
            args: Vec::new(),
            env: Vec::new(),
            roles: vec![RoleSpec::default()],
            gpu_product: String::new(),
            volumes: Vec::new(),
            run_policy: RunPolicy::default(),
            hyperparameters: Vec::new(),
            params_as: ParamsAs::Args,
            experiment: String::new(),
            sweep: Vec::new(),
            sweep_random: 0,
            labels: BTreeMap::new(),
            metrics: Default::default(),
        }
    }
}

/// The launch form's draft, in the settings folder: kept as the form changes, read back at start.
pub const DRAFT_FILE: &str = "training-draft.json";

/// The folder, in the settings folder, of saved templates: one `<name>.json` each (a [`TrainingSpec`]).
pub const TEMPLATES_DIR: &str = "training-templates";

/// Reads every saved template in `dir` (its settings folder), by name; unreadable files are left out.
pub fn read_templates(dir: &std::path::Path) -> Vec<(String, TrainingSpec)> {
    let mut out: Vec<(String, TrainingSpec)> = std::fs::read_dir(dir.join(TEMPLATES_DIR))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let name = path.file_name()?.to_str()?.strip_suffix(".json")?.to_string();
            let spec = serde_json::from_str(&std::fs::read_to_string(&path).ok()?).ok()?;
            Some((name, spec))
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// Images people start from, by what they are.
pub const IMAGE_PRESETS: &[(&str, &str)] = &[
    ("TensorFlow 2.16 (GPU)", "tensorflow/tensorflow:2.16.1-gpu"),
    ("TensorFlow 2.16 (CPU)", "tensorflow/tensorflow:2.16.1"),
    ("PyTorch 2.3 (CUDA 12.1)", "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime"),
    ("XGBoost (Kubeflow example)", "docker.io/kubeflow/xgboost-dist-iris:latest"),
    ("MPI Horovod (TensorFlow)", "horovod/horovod:0.28.1"),
];

/// A problem with one field of the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The form field (`name`, `roles[1].cpu` …).
    pub field: String,
    pub message: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// The longest replica name the operator builds from a job name (`<name>-worker-NN`) must stay a DNS label.
const LONGEST_ROLE_SUFFIX: usize = "-evaluator-99".len();

/// Checks a job name as the API server and the operator will: a DNS-1123 label that starts with a letter
/// (replica Services are named after it) and leaves room for the replica suffix.
pub fn check_job_name(name: &str, kind: JobKind) -> Result<(), String> {
    if name.is_empty() {
        return Err("a name is required".into());
    }
    let limit = if kind.needs_operator() { 63 - LONGEST_ROLE_SUFFIX } else { 63 };
    if name.len() > limit {
        return Err(format!("must be no more than {limit} characters (it has {})", name.len()));
    }
    let valid = name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    if !valid {
        return Err(format!(
            "\"{name}\" must consist of lower case letters, digits or '-', start with a letter and end with a letter or digit (e.g. 'mnist-1')"
        ));
    }
    Ok(())
}

fn check_quantity(text: &str) -> Result<(), String> {
    if text.is_empty() || kubefmt::quantity::parse(text).is_some() {
        Ok(())
    } else {
        Err(format!("\"{text}\" is not a quantity (e.g. 500m, 4, 16Gi)"))
    }
}

impl TrainingSpec {
    /// Every problem with the form, by field; empty when it can be submitted.
    pub fn validate(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        let mut push = |field: String, message: String| errors.push(FieldError { field, message });
        if let Err(e) = check_job_name(&self.name, self.kind) {
            push("name".into(), e);
        }
        if !kubefmt::names::is_dns_label(&self.namespace) {
            push("namespace".into(), format!("\"{}\" is not a namespace name", self.namespace));
        }
        if self.image.trim().is_empty() {
            push("image".into(), "an image is required".into());
        }
        if self.roles.is_empty() {
            push("roles".into(), "at least one role is required".into());
        }
        let allowed = self.kind.roles();
        for (i, r) in self.roles.iter().enumerate() {
            if !allowed.contains(&r.role.as_str()) {
                push(format!("roles[{i}].role"), format!("a {} has roles {}", self.kind, allowed.join(", ")));
            }
            if self.roles[..i].iter().any(|o| o.role == r.role) {
                push(format!("roles[{i}].role"), format!("{} is listed twice", r.role));
            }
            if let Err(e) = check_quantity(&r.cpu) {
                push(format!("roles[{i}].cpu"), e);
            }
            if let Err(e) = check_quantity(&r.memory) {
                push(format!("roles[{i}].memory"), e);
            }
            if r.accelerators > 0 && r.accelerator.as_deref().is_none_or(str::is_empty) {
                push(format!("roles[{i}].accelerator"), "choose which accelerator".into());
            }
            let single = matches!(r.role.as_str(), "Chief" | "Master" | "Launcher");
            if single && r.replicas != 1 {
                push(format!("roles[{i}].replicas"), format!("a job has exactly one {}", r.role));
            }
        }
        if self.kind == JobKind::MPIJob && !self.roles.iter().any(|r| r.role == "Launcher") {
            push("roles".into(), "an MPIJob needs a Launcher".into());
        }
        for (i, v) in self.volumes.iter().enumerate() {
            if !kubefmt::names::is_dns_label(&v.claim) {
                push(format!("volumes[{i}].claim"), format!("\"{}\" is not a claim name", v.claim));
            }
            if !v.mount_path.starts_with('/') {
                push(format!("volumes[{i}].mount_path"), "must be an absolute path".into());
            }
            if let Err(e) = check_quantity(&v.create_size) {
                push(format!("volumes[{i}].create_size"), e);
            }
        }
        let policy = &self.run_policy;
        if !matches!(policy.clean_pod_policy.as_str(), "" | "All" | "Running" | "None") {
            push("run_policy.clean_pod_policy".into(), "must be All, Running or None".into());
        }
        let restarts: &[&str] = if self.kind.needs_operator() {
            &["", "Always", "OnFailure", "Never", "ExitCode"]
        } else {
            &["", "OnFailure", "Never"]
        };
        if !restarts.contains(&policy.restart_policy.as_str()) {
            push("run_policy.restart_policy".into(), format!("must be one of {}", restarts[1..].join(", ")));
        }
        for (i, (k, _)) in self.hyperparameters.iter().enumerate() {
            if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                push(format!("hyperparameters[{i}]"), format!("\"{k}\" is not a parameter name"));
            }
        }
        if !self.sweep.is_empty()
            && let Err(e) = super::render::runs(self)
        {
            push("sweep".into(), e.to_string());
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_names_are_dns_labels_with_room_for_replica_names() {
        assert!(check_job_name("mnist-1", JobKind::TFJob).is_ok());
        assert!(check_job_name("", JobKind::TFJob).unwrap_err().contains("required"));
        assert!(check_job_name("MNIST", JobKind::TFJob).unwrap_err().contains("lower case"));
        assert!(check_job_name("1mnist", JobKind::TFJob).unwrap_err().contains("start with a letter"));
        assert!(check_job_name("mnist-", JobKind::Job).is_err());
        assert!(check_job_name("a_b", JobKind::Job).is_err());
        let long = "a".repeat(55);
        assert!(check_job_name(&long, JobKind::Job).is_ok());
        assert!(check_job_name(&long, JobKind::TFJob).unwrap_err().contains("no more than 50"));
    }

    #[test]
    fn the_form_reports_every_problem_by_field() {
        let spec = TrainingSpec {
            name: "Bad Name".into(),
            roles: vec![
                RoleSpec { role: "Chief".into(), replicas: 2, cpu: "lots".into(), ..Default::default() },
                RoleSpec { role: "Master".into(), accelerators: 1, ..Default::default() },
            ],
            volumes: vec![VolumeSpec { claim: "data".into(), mount_path: "data".into(), create_size: String::new() }],
            ..Default::default()
        };
        let fields: Vec<String> = spec.validate().into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "name",
                "roles[0].cpu",
                "roles[0].replicas",
                "roles[1].role",
                "roles[1].accelerator",
                "volumes[0].mount_path"
            ]
        );
        let ok = TrainingSpec { name: "mnist".into(), ..Default::default() };
        assert_eq!(ok.validate(), []);
    }
}
