//! Job controller: runs pods until `completions` succeed (at most `parallelism` at a time), gives up after
//! `backoffLimit` failures, honours `suspend`, and writes the conditions `kubectl wait` looks for.

use serde_json::{Value, json};

use super::{
    create_pod, delete_pod, is_deleting, is_ready, is_terminal, owned, phase, pod_from_template, pods_key,
    set_condition,
};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

pub fn key() -> ResourceKey {
    ResourceKey::new("batch", "jobs")
}

fn has_condition(v: &Value, type_: &str) -> bool {
    v.pointer("/status/conditions")
        .and_then(Value::as_array)
        .is_some_and(|c| c.iter().any(|c| meta::str_at(c, "/type") == type_ && meta::str_at(c, "/status") == "True"))
}

pub fn reconcile(cluster: &Cluster) {
    let (jobs, _) = cluster.store.list(&key(), None);
    for job in jobs.iter().filter(|j| !is_deleting(&j.value)) {
        super::isolated(cluster, "job", &job.value, || {
            let v = &job.value;
            let ns = job.namespace();
            let name = meta::name(v).to_string();
            let uid = meta::uid(v).to_string();
            let pods = owned(cluster, &pods_key(), ns, &uid);
            let active: Vec<_> =
                pods.iter().filter(|p| !is_terminal(&p.value) && !is_deleting(&p.value)).cloned().collect();
            let succeeded = pods.iter().filter(|p| phase(&p.value) == "Succeeded").count() as i64;
            let failed = pods.iter().filter(|p| phase(&p.value) == "Failed").count() as i64;
            let finished = has_condition(v, "Complete") || has_condition(v, "Failed");
            let completions = v.pointer("/spec/completions").and_then(Value::as_i64).unwrap_or(1);
            let parallelism = v.pointer("/spec/parallelism").and_then(Value::as_i64).unwrap_or(1);
            let backoff_limit = v.pointer("/spec/backoffLimit").and_then(Value::as_i64).unwrap_or(6);
            let suspended = v.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true);
            let now = meta::now();

            let mut outcome: Option<(&str, &str, String)> = None;
            if !finished {
                if suspended {
                    for p in &active {
                        delete_pod(cluster, p);
                    }
                } else if failed > backoff_limit {
                    for p in &active {
                        delete_pod(cluster, p);
                    }
                    outcome =
                        Some(("Failed", "BackoffLimitExceeded", "Job has reached the specified backoff limit".into()));
                } else if succeeded >= completions {
                    outcome = Some(("Complete", "", String::new()));
                } else {
                    let want = parallelism.min(completions - succeeded).max(0) as usize;
                    let template = v.pointer("/spec/template").cloned().unwrap_or(json!({}));
                    let labels = [
                        ("batch.kubernetes.io/job-name", name.clone()),
                        ("job-name", name.clone()),
                        ("batch.kubernetes.io/controller-uid", uid.clone()),
                        ("controller-uid", uid.clone()),
                    ];
                    for _ in active.len()..want {
                        if let Some(p) = create_pod(cluster, pod_from_template(v, &template, None, &labels)) {
                            cluster.record_event(
                                v,
                                "Normal",
                                "SuccessfulCreate",
                                &format!("Created pod: {}", p.name()),
                                "job-controller",
                            );
                        }
                    }
                }
            }
            let active_now = owned(cluster, &pods_key(), ns, &uid)
                .iter()
                .filter(|p| !is_terminal(&p.value) && !is_deleting(&p.value))
                .count();
            let ready = pods.iter().filter(|p| is_ready(&p.value)).count();
            cluster.modify(&key(), ns, &name, |j| {
                let before = j.get("status").cloned();
                if !j.get("status").is_some_and(Value::is_object) {
                    j["status"] = json!({});
                }
                if j.pointer("/status/startTime").is_none() && !suspended {
                    j["status"]["startTime"] = json!(now);
                }
                j["status"]["active"] = json!(active_now);
                j["status"]["ready"] = json!(ready);
                j["status"]["succeeded"] = json!(succeeded);
                j["status"]["failed"] = json!(failed);
                j["status"]["terminating"] = json!(0);
                j["status"]["uncountedTerminatedPods"] = json!({});
                if let Some(m) = j["status"].as_object_mut() {
                    for field in ["active", "succeeded", "failed"] {
                        if m.get(field) == Some(&json!(0)) {
                            m.remove(field);
                        }
                    }
                }
                if suspended && !finished {
                    set_condition(j, "Suspended", "True", "JobSuspended", "Job suspended");
                } else if j.pointer("/status/conditions").is_some() && !finished {
                    set_condition(j, "Suspended", "False", "JobResumed", "Job resumed");
                }
                match &outcome {
                    Some(("Complete", _, _)) => {
                        set_condition(
                            j,
                            "SuccessCriteriaMet",
                            "True",
                            "CompletionsReached",
                            "Reached expected number of succeeded pods",
                        );
                        set_condition(
                            j,
                            "Complete",
                            "True",
                            "CompletionsReached",
                            "Reached expected number of succeeded pods",
                        );
                        j["status"]["completionTime"] = json!(now);
                    }
                    Some((type_, reason, message)) => {
                        set_condition(j, "FailureTarget", "True", reason, message);
                        set_condition(j, type_, "True", reason, message);
                    }
                    None => {}
                }
                before.as_ref() != j.get("status")
            });
            match outcome {
                Some(("Complete", _, _)) => {
                    cluster.record_event(v, "Normal", "Completed", "Job completed", "job-controller")
                }
                Some((_, reason, message)) => cluster.record_event(v, "Warning", reason, &message, "job-controller"),
                None => {}
            }
        });
    }
}
