//! Training jobs → [`TrainingJobRow`]: the Training list's row for a TFJob, PyTorchJob, XGBoostJob, MPIJob or
//! plain Job, whoever created it — state from its conditions, replicas per role, GPUs, times, experiment. Read from
//! JSON defensively: a field missing or of the wrong type is "unknown", never a failure.

use serde::Serialize;
use serde_json::Value;

use super::quantity;

/// Replica counts of one role (`Pod` for a plain Job).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct RoleCounts {
    pub role: String,
    pub desired: u64,
    pub active: u64,
    pub succeeded: u64,
    pub failed: u64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct TrainingJobRow {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// `Created`, `Running`, `Restarting`, `Succeeded`, `Failed`, `Suspended` (a Job: `Pending`, `Running`,
    /// `Complete`, `Failed`, `Suspended`).
    pub state: String,
    /// The message of the condition that gave the state.
    pub message: String,
    pub replicas: Vec<RoleCounts>,
    /// Accelerators requested by all replicas together.
    pub gpus: f64,
    /// Unix seconds (0: unknown).
    pub created: i64,
    pub started: i64,
    pub finished: i64,
    pub experiment: String,
    pub run: String,
    /// The run's hyperparameters, in order: Bosun's annotation, else the main container's `--name=value` args.
    pub hyperparameters: Vec<(String, String)>,
    /// How the run's log is read for metrics (its `bosun.dev/metrics` and `bosun.dev/metric-pattern` annotations).
    pub metric_spec: MetricSpec,
}

/// Which log lines of a run are metrics: only these names (empty: any), and a pattern of its own (empty: Katib's).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct MetricSpec {
    pub names: Vec<String>,
    pub pattern: String,
}

impl MetricSpec {
    /// `a, b` → the names; blanks dropped.
    pub fn names_from(text: &str) -> Vec<String> {
        text.split(',').map(str::trim).filter(|n| !n.is_empty()).map(str::to_string).collect()
    }

    pub fn is_default(&self) -> bool {
        self.names.is_empty() && self.pattern.is_empty()
    }
}

/// The label Katib puts on a trial's objects: the experiment's name.
pub const KATIB_EXPERIMENT_LABEL: &str = "katib.kubeflow.org/experiment";

/// Bosun's annotations of a run's metric spec: names comma-separated, and a regex whose two groups are the name and
/// the value (as Katib's `metricsFormat`).
pub const METRICS_ANNOTATION: &str = "bosun.dev/metrics";
pub const METRIC_PATTERN_ANNOTATION: &str = "bosun.dev/metric-pattern";

/// The metric spec of a job object (its annotations).
pub fn metric_spec(v: &Value) -> MetricSpec {
    let annotation =
        |k: &str| v.pointer("/metadata/annotations").and_then(|a| a.get(k)).and_then(Value::as_str).unwrap_or_default();
    MetricSpec {
        names: MetricSpec::names_from(annotation(METRICS_ANNOTATION)),
        pattern: annotation(METRIC_PATTERN_ANNOTATION).trim().to_string(),
    }
}

/// Where Bosun writes a run's hyperparameters on its job: a JSON list of `[name, value]` pairs.
pub const HYPERPARAMETERS_ANNOTATION: &str = "bosun.dev/hyperparameters";

/// The hyperparameters of a job object (see [`TrainingJobRow::hyperparameters`]).
fn hyperparameters(v: &Value) -> Vec<(String, String)> {
    let annotation = v.pointer("/metadata/annotations").and_then(|a| a.get(HYPERPARAMETERS_ANNOTATION));
    if let Some(pairs) = annotation.and_then(Value::as_str).and_then(|a| serde_json::from_str(a).ok()) {
        return pairs;
    }
    // Someone else's job: the first container's `--name=value` args (how Katib trials usually get theirs).
    let first_template = v.pointer("/spec/template").or_else(|| {
        v.get("spec")?
            .as_object()?
            .iter()
            .find(|(k, _)| k.ends_with("ReplicaSpecs"))?
            .1
            .as_object()?
            .values()
            .next()?
            .get("template")
    });
    let args = first_template
        .and_then(|t| t.pointer("/spec/containers/0"))
        .map(|c| {
            ["command", "args"]
                .iter()
                .flat_map(|f| c.get(*f).and_then(Value::as_array).cloned().unwrap_or_default())
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    args.iter()
        .filter_map(|a| a.strip_prefix("--")?.split_once('='))
        .filter(|(k, _)| !k.is_empty() && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn time(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map_or(0, jiff::Timestamp::as_second)
}

fn label(v: &Value, key: &str) -> String {
    v.pointer("/metadata/labels").and_then(|l| l.get(key)).and_then(Value::as_str).unwrap_or_default().to_string()
}

fn count(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

/// Accelerators one pod of a template asks for (limits, which is what extended resources are requested by).
fn template_gpus(template: &Value) -> f64 {
    template
        .pointer("/spec/containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|c| c.pointer("/resources/limits").and_then(Value::as_object).into_iter().flatten())
        .filter(|(r, _)| crate::resources::accelerators::AcceleratorKind::of(r).is_some())
        .filter_map(|(_, q)| kubefmt::quantity::parse(q.as_str().unwrap_or(&q.to_string())))
        .sum()
}

/// The condition that says how the job is now: the last one that is true.
fn current_condition(v: &Value) -> Option<&Value> {
    v.pointer("/status/conditions")
        .and_then(Value::as_array)?
        .iter()
        .rev()
        .find(|c| c.get("status").and_then(Value::as_str) == Some("True"))
}

/// The row of a training job object (any of the kinds in `workloads::JobKind`).
pub fn row(v: &Value) -> TrainingJobRow {
    let kind = v.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let condition = current_condition(v);
    let mut state = condition.and_then(|c| c.get("type")).and_then(Value::as_str).unwrap_or_default().to_string();
    let message = condition.and_then(|c| c.get("message")).and_then(Value::as_str).unwrap_or_default().to_string();
    let mut replicas = Vec::new();
    let mut gpus = 0.0;
    let specs = v.get("spec").and_then(Value::as_object).and_then(|spec| {
        spec.iter().find(|(k, s)| k.ends_with("ReplicaSpecs") && s.is_object()).and_then(|(_, s)| s.as_object())
    });
    if kind == "Job" {
        let status = v.get("status").cloned().unwrap_or(Value::Null);
        let desired = v.pointer("/spec/completions").and_then(Value::as_u64).unwrap_or(1);
        let parallel = v.pointer("/spec/parallelism").and_then(Value::as_u64).unwrap_or(1);
        replicas.push(RoleCounts {
            role: "Pod".into(),
            desired,
            active: count(&status, "active"),
            succeeded: count(&status, "succeeded"),
            failed: count(&status, "failed"),
        });
        gpus = v.pointer("/spec/template").map_or(0.0, template_gpus) * parallel as f64;
        if state.is_empty() {
            state = if count(&status, "active") > 0 { "Running" } else { "Pending" }.into();
        }
    } else if let Some(specs) = specs {
        for (role, spec) in specs {
            let desired = spec.get("replicas").and_then(Value::as_u64).unwrap_or(1);
            let status = v.pointer(&format!("/status/replicaStatuses/{role}")).cloned().unwrap_or(Value::Null);
            replicas.push(RoleCounts {
                role: role.clone(),
                desired,
                active: count(&status, "active"),
                succeeded: count(&status, "succeeded"),
                failed: count(&status, "failed"),
            });
            gpus += spec.get("template").map_or(0.0, template_gpus) * desired as f64;
        }
        if state.is_empty() {
            state = "Pending".into();
        }
    }
    let finished = match state.as_str() {
        "Succeeded" | "Failed" | "Complete" => {
            let done = time(v, "/status/completionTime");
            if done > 0 { done } else { condition.map_or(0, |c| time(c, "/lastTransitionTime")) }
        }
        _ => 0,
    };
    TrainingJobRow {
        kind,
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
        uid: text("/metadata/uid"),
        state,
        message,
        replicas,
        gpus,
        created: time(v, "/metadata/creationTimestamp"),
        started: time(v, "/status/startTime"),
        finished,
        // A Katib trial's job carries its experiment's name.
        experiment: Some(label(v, "bosun.dev/experiment"))
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| label(v, KATIB_EXPERIMENT_LABEL)),
        run: label(v, "bosun.dev/run"),
        hyperparameters: hyperparameters(v),
        metric_spec: metric_spec(v),
    }
}

impl TrainingJobRow {
    /// Whether the job has ended (either way).
    pub fn is_finished(&self) -> bool {
        matches!(self.state.as_str(), "Succeeded" | "Failed" | "Complete")
    }

    /// `Worker 2/1/0` per role: active/succeeded/failed, as the operator counts them.
    pub fn replicas_text(&self) -> String {
        let parts: Vec<String> =
            self.replicas.iter().map(|r| format!("{} {}/{}/{}", r.role, r.active, r.succeeded, r.failed)).collect();
        parts.join(", ")
    }

    /// How long it ran (until now, while it runs), in kubectl's format; `-` before it started.
    pub fn duration_text(&self, now: i64) -> String {
        let start = if self.started > 0 { self.started } else { self.created };
        if start == 0 {
            return "-".into();
        }
        let end = if self.finished > 0 { self.finished } else { now };
        kubefmt::duration::human(end - start)
    }

    pub fn gpus_text(&self) -> String {
        if self.gpus == 0.0 { "-".into() } else { quantity::count(self.gpus) }
    }
}

/// One replica pod in the flight recorder: when it was made, started and ended, how, and where.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PodTrack {
    pub name: String,
    /// `chief`, `worker` … (`pod` for a plain Job).
    pub role: String,
    pub node: String,
    pub phase: String,
    /// Unix seconds (0: not yet).
    pub created: i64,
    pub started: i64,
    pub finished: i64,
    pub restarts: i32,
    /// When the main container's previous run ended (its last restart; 0: never restarted).
    pub last_restart: i64,
    /// How the main container last ended, when it did.
    pub exit_code: Option<i32>,
    pub reason: String,
    /// Why it waits (the scheduler's message, or a container's waiting reason).
    pub waiting: String,
    pub gpus: f64,
    /// Still on the cluster (false: known only from the local store).
    pub live: bool,
}

/// A state change of the job (its conditions), for the timeline.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConditionMark {
    pub type_: String,
    pub status: String,
    pub time: i64,
    pub reason: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct EventLine {
    pub time: i64,
    pub type_: String,
    pub reason: String,
    /// `Pod/mnist-worker-0`, `TFJob/mnist`.
    pub object: String,
    pub message: String,
    pub count: i64,
}

impl EventLine {
    /// Events that explain a stuck or failed job, shown first and marked.
    pub fn is_prominent(&self) -> bool {
        self.type_ == "Warning"
            || matches!(
                self.reason.as_str(),
                "FailedScheduling" | "Preempted" | "BackOff" | "Failed" | "Evicted" | "OOMKilling"
            )
    }
}

/// The flight recorder of one job: its row, conditions, pods, events and the last log lines of each replica —
/// from the cluster while there, from the local store once the pods (or the job) are gone.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Recorder {
    pub job: Option<TrainingJobRow>,
    pub conditions: Vec<ConditionMark>,
    pub pods: Vec<PodTrack>,
    pub events: Vec<EventLine>,
    /// (pod, container, last lines).
    pub logs: Vec<(String, String, Vec<String>)>,
    /// Some of it came from the local store (pods already deleted).
    pub from_store: bool,
    /// The run's metrics as the local store keeps them: name → (step, value), by step (x is seconds since the
    /// first point for lines without a step).
    pub metrics: Vec<(String, Vec<(f64, f64)>)>,
}

/// The job's conditions, oldest first, for the timeline.
pub fn conditions(v: &Value) -> Vec<ConditionMark> {
    let mut marks: Vec<ConditionMark> = v
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|c| {
            let text = |k: &str| c.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
            ConditionMark {
                type_: text("type"),
                status: text("status"),
                time: time(c, "/lastTransitionTime"),
                reason: text("reason"),
                message: text("message"),
            }
        })
        .collect();
    marks.sort_by_key(|m| m.time);
    marks
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_tfjob_reads_its_state_replicas_gpus_and_times() {
        let tf = json!({"kind": "TFJob", "metadata": {"name": "mnist", "namespace": "ml", "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"bosun.dev/experiment": "e"}},
            "spec": {"tfReplicaSpecs": {
                "Chief": {"replicas": 1, "template": {"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": "1"}}}]}}},
                "Worker": {"replicas": 2, "template": {"spec": {"containers": [{"resources": {"limits": {"nvidia.com/gpu": 2}}}]}}}}},
            "status": {"startTime": "2026-01-01T00:00:10Z", "completionTime": "2026-01-01T00:02:40Z",
                "conditions": [{"type": "Created", "status": "True"}, {"type": "Running", "status": "False"}, {"type": "Succeeded", "status": "True", "message": "done"}],
                "replicaStatuses": {"Chief": {"succeeded": 1}, "Worker": {"succeeded": 2}}}});
        let r = row(&tf);
        assert_eq!(
            (r.state.as_str(), r.message.as_str(), r.gpus, r.experiment.as_str()),
            ("Succeeded", "done", 5.0, "e")
        );
        assert_eq!(r.replicas_text(), "Chief 0/1/0, Worker 0/2/0");
        assert_eq!(r.duration_text(0), "2m30s");
        assert!(r.is_finished());
    }

    #[test]
    fn a_plain_job_and_a_job_with_no_status_are_read_too() {
        let job = json!({"kind": "Job", "metadata": {"name": "j"}, "spec": {"parallelism": 2, "completions": 4, "template": {"spec": {"containers": [{}]}}}, "status": {"active": 2}});
        let r = row(&job);
        assert_eq!((r.state.as_str(), r.replicas[0].desired, r.replicas[0].active), ("Running", 4, 2));
        let fresh = row(&json!({"kind": "PyTorchJob", "spec": {"pytorchReplicaSpecs": "odd"}}));
        assert_eq!((fresh.state.as_str(), fresh.replicas.len()), ("", 0));
    }
}
