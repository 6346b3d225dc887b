//! Katib `Experiment`s (`kubeflow.org/v1beta1`) → [`KatibExperiment`]: what the Experiments screen shows of them,
//! read-only — the objective (metric, maximize/minimize, goal), the parameters searched, the trial counts, the
//! state and the best trial so far. Read from JSON defensively: a missing field is "unknown", never a failure.

use serde::Serialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct KatibExperiment {
    pub namespace: String,
    pub name: String,
    /// `objectiveMetricName`.
    pub metric: String,
    /// `maximize` or `minimize` (as Katib writes it).
    pub objective: String,
    pub goal: Option<f64>,
    pub additional_metrics: Vec<String>,
    /// The parameters searched, by name.
    pub parameters: Vec<String>,
    pub algorithm: String,
    /// The newest true condition: `Created`, `Running`, `Restarting`, `Succeeded`, `Failed`.
    pub state: String,
    pub message: String,
    pub trials: i64,
    pub running: i64,
    pub succeeded: i64,
    pub failed: i64,
    pub max_trials: Option<i64>,
    /// The best trial so far: its name, its parameters and its objective value.
    pub optimal_trial: Option<OptimalTrial>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct OptimalTrial {
    pub name: String,
    pub parameters: Vec<(String, String)>,
    pub objective: Option<f64>,
}

impl KatibExperiment {
    pub fn maximizes(&self) -> bool {
        self.objective != "minimize"
    }
}

/// Katib's metric values are strings (`"0.9712"`); numbers are taken too.
fn number(v: &Value) -> Option<f64> {
    v.as_f64().or_else(|| v.as_str()?.trim().parse().ok())
}

/// One `Experiment` object.
pub fn from_json(v: &Value) -> KatibExperiment {
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
    let int = |p: &str| v.pointer(p).and_then(Value::as_i64);
    let names = |p: &str, key: Option<&str>| -> Vec<String> {
        v.pointer(p)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|x| match key {
                Some(k) => x.get(k)?.as_str().map(str::to_string),
                None => x.as_str().map(str::to_string),
            })
            .collect()
    };
    let condition = v
        .pointer("/status/conditions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|c| c.get("status").and_then(Value::as_str) == Some("True"))
        .max_by_key(|c| c.get("lastTransitionTime").and_then(Value::as_str).unwrap_or_default().to_string());
    let optimal = v.pointer("/status/currentOptimalTrial").filter(|t| t.is_object());
    let optimal_trial = optimal
        .map(|t| {
            let metric = text("/spec/objective/objectiveMetricName");
            let objective = t
                .pointer("/observation/metrics")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|m| m.get("name").and_then(Value::as_str) == Some(metric.as_str()))
                .and_then(|m| m.get("latest").or_else(|| m.get("value")).and_then(number));
            let parameters = t
                .get("parameterAssignments")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p.get("name")?.as_str()?.to_string(), p.get("value")?.as_str()?.to_string())))
                .collect();
            OptimalTrial {
                name: t.get("bestTrialName").and_then(Value::as_str).unwrap_or_default().to_string(),
                parameters,
                objective,
            }
        })
        .filter(|t| !t.name.is_empty() || !t.parameters.is_empty());
    KatibExperiment {
        namespace: text("/metadata/namespace"),
        name: text("/metadata/name"),
        metric: text("/spec/objective/objectiveMetricName"),
        objective: text("/spec/objective/type"),
        goal: v.pointer("/spec/objective/goal").and_then(number),
        additional_metrics: names("/spec/objective/additionalMetricNames", None),
        parameters: names("/spec/parameters", Some("name")),
        algorithm: text("/spec/algorithm/algorithmName"),
        state: condition.and_then(|c| c.get("type")?.as_str()).unwrap_or("Created").to_string(),
        message: condition.and_then(|c| c.get("message")?.as_str()).unwrap_or_default().to_string(),
        trials: int("/status/trials").unwrap_or(0),
        running: int("/status/trialsRunning").unwrap_or(0),
        succeeded: int("/status/trialsSucceeded").unwrap_or(0),
        failed: int("/status/trialsFailed").unwrap_or(0),
        max_trials: int("/spec/maxTrialCount"),
        optimal_trial,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_experiment_s_objective_trials_and_best_trial_are_read() {
        let v = json!({
            "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
            "metadata": {"name": "random-example", "namespace": "kubeflow"},
            "spec": {
                "objective": {"type": "maximize", "goal": 0.99, "objectiveMetricName": "Validation-accuracy",
                              "additionalMetricNames": ["Train-accuracy"]},
                "algorithm": {"algorithmName": "random"},
                "maxTrialCount": 12,
                "parameters": [{"name": "lr", "parameterType": "double", "feasibleSpace": {"min": "0.01", "max": "0.03"}},
                               {"name": "num-layers", "parameterType": "int"}]
            },
            "status": {
                "conditions": [
                    {"type": "Created", "status": "True", "lastTransitionTime": "2026-01-01T00:00:00Z"},
                    {"type": "Running", "status": "True", "lastTransitionTime": "2026-01-01T00:01:00Z",
                     "message": "Experiment is running"}
                ],
                "trials": 5, "trialsRunning": 3, "trialsSucceeded": 2,
                "currentOptimalTrial": {
                    "bestTrialName": "random-example-x7k2",
                    "parameterAssignments": [{"name": "lr", "value": "0.0213"}, {"name": "num-layers", "value": "4"}],
                    "observation": {"metrics": [
                        {"name": "Train-accuracy", "latest": "0.99", "max": "0.99", "min": "0.8"},
                        {"name": "Validation-accuracy", "latest": "0.9712", "max": "0.9712", "min": "0.9"}
                    ]}
                }
            }
        });
        let e = from_json(&v);
        assert_eq!((e.name.as_str(), e.metric.as_str(), e.goal), ("random-example", "Validation-accuracy", Some(0.99)));
        assert!(e.maximizes());
        assert_eq!(e.parameters, ["lr", "num-layers"]);
        assert_eq!((e.state.as_str(), e.trials, e.running, e.succeeded, e.failed), ("Running", 5, 3, 2, 0));
        let best = e.optimal_trial.expect("a best trial");
        assert_eq!(best.name, "random-example-x7k2");
        assert_eq!(best.objective, Some(0.9712));
        assert_eq!(best.parameters[0], ("lr".to_string(), "0.0213".to_string()));
    }

    #[test]
    fn a_bare_experiment_is_created_with_nothing_known() {
        let e =
            from_json(&json!({"metadata": {"name": "e"}, "status": {"currentOptimalTrial": {"bestTrialName": ""}}}));
        assert_eq!((e.state.as_str(), e.trials, e.optimal_trial.is_none()), ("Created", 0, true));
        assert!(e.maximizes(), "an unknown objective type reads as maximize");
    }
}
