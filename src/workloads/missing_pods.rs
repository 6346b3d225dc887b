//! The pods a training job's operator, a ReplicaSet (a model server's, a notebook's), a StatefulSet or a batch Job has
//! not created yet — most often because a ResourceQuota refuses them — and which of them the namespace's quotas would let in, as
//! they are or as they would be ("if team X's quota were Y").
//! The planner plans the pods let in with the ones already waiting, and names the rest as waiting for the quota.
//! Pure: from the jobs, the names of their pods, the quotas and the PriorityClasses as the API returns them.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::capacity::{PendingPod, Waiting};
use super::fit::{self, RoleDemand};
use super::kind::JobKind;
use crate::resources::accelerators::AcceleratorKind;
use crate::resources::teams::QuotaRow;

/// One role of a maker (a job's Worker, a set's only one): what each pod asks, its priority, and the indices whose
/// pods exist.
#[derive(Debug, Clone, PartialEq)]
pub struct JobRole {
    pub demand: RoleDemand,
    pub priority: i32,
    pub existing: BTreeSet<u32>,
}

/// What makes the pods, which says how it names them and whether they run as one (a gang).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MakerKind {
    /// A training operator: `{job}-{role}-{index}`, the job's pods a gang.
    TrainingJob,
    /// `{set}-{ordinal}`.
    StatefulSet,
    /// Random suffixes (`{set}-new-{n}` stands for them).
    ReplicaSet,
    /// A batch Job: random suffixes too.
    Job,
}

/// What makes pods: a training job that is still meant to run (not finished, suspended or being deleted), or a
/// ReplicaSet, StatefulSet or batch Job short of its pods.
#[derive(Debug, Clone, PartialEq)]
pub struct PodMaker {
    pub namespace: String,
    pub name: String,
    /// The name said when its pods wait for a quota (a ReplicaSet's Deployment).
    pub shown: String,
    pub kind: MakerKind,
    /// RFC 3339: older first, as the controllers' queues mostly go.
    pub created: String,
    pub roles: Vec<JobRole>,
}

/// The PriorityClasses by name, and the value of a pod that names none (the global default's, else 0).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Priorities {
    pub values: BTreeMap<String, i32>,
    pub default: i32,
}

impl Priorities {
    fn of(&self, class: Option<&str>) -> i32 {
        class.and_then(|c| self.values.get(c)).copied().unwrap_or(self.default)
    }
}

/// Whether a job wants no more pods: finished, suspended (Kueue or the user holds it) or being deleted.
pub fn done_with_pods(job: &Value) -> bool {
    let suspended = job.pointer("/spec/runPolicy/suspend").and_then(Value::as_bool) == Some(true);
    finished(job) || suspended || job.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null())
}

/// Whether a training job or batch Job has ended, either way, as the job list says it.
fn finished(job: &Value) -> bool {
    crate::resources::training::row(job).is_finished()
}

impl PodMaker {
    /// A training job as the planner needs it, or `None` when it is [done with pods](done_with_pods) or not a
    /// training operator's kind. `pods` are the labels of the pods that exist, any phase (other jobs' are ignored).
    pub fn from_job<'a>(
        job: &Value,
        pods: impl IntoIterator<Item = &'a BTreeMap<String, String>>,
        priorities: &Priorities,
    ) -> Option<Self> {
        let kind = JobKind::from_kind(job.get("kind")?.as_str()?)?;
        let field = kind.specs_field()?;
        if done_with_pods(job) {
            return None;
        }
        let text = |p: &str| job.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        let name = text("/metadata/name");
        let mut existing: BTreeMap<String, BTreeSet<u32>> = BTreeMap::new();
        for labels in pods {
            if labels.get("training.kubeflow.org/job-name") != Some(&name) {
                continue;
            }
            let (Some(role), Some(index)) = (
                labels.get("training.kubeflow.org/replica-type"),
                labels.get("training.kubeflow.org/replica-index").and_then(|i| i.parse().ok()),
            ) else {
                continue;
            };
            existing.entry(role.to_lowercase()).or_default().insert(index);
        }
        let roles = fit::demands(job)
            .ok()?
            .into_iter()
            .map(|demand| {
                let class = job.pointer(&format!("/spec/{field}/{}/template/spec/priorityClassName", demand.role));
                JobRole {
                    priority: priorities.of(class.and_then(Value::as_str)),
                    existing: existing.remove(&demand.role.to_lowercase()).unwrap_or_default(),
                    demand,
                }
            })
            .collect();
        Some(PodMaker {
            namespace: text("/metadata/namespace"),
            shown: name.clone(),
            name,
            kind: MakerKind::TrainingJob,
            created: text("/metadata/creationTimestamp"),
            roles,
        })
    }

    /// A ReplicaSet or StatefulSet short of its replicas (by `status.replicas`, the pods it has made), or a batch Job
    /// short of the pods it should run at once (`parallelism`, no more than the completions still to come, against
    /// `status.active`) — JSON with its `kind` — or `None` when it has them all, asks for no accelerator, is done,
    /// suspended or being deleted.
    pub fn from_controller(controller: &Value, priorities: &Priorities) -> Option<Self> {
        let count = |p: &str, default: u64| {
            let n = controller.pointer(p).and_then(Value::as_u64).unwrap_or(default);
            u32::try_from(n).unwrap_or(u32::MAX)
        };
        let (kind, wanted, made) = match controller.get("kind")?.as_str()? {
            "ReplicaSet" => (MakerKind::ReplicaSet, count("/spec/replicas", 1), count("/status/replicas", 0)),
            "StatefulSet" => (MakerKind::StatefulSet, count("/spec/replicas", 1), count("/status/replicas", 0)),
            "Job" => {
                if finished(controller) || controller.pointer("/spec/suspend").and_then(Value::as_bool) == Some(true) {
                    return None;
                }
                let (parallelism, succeeded) = (count("/spec/parallelism", 1), count("/status/succeeded", 0));
                let wanted = match controller.pointer("/spec/completions").and_then(Value::as_u64) {
                    Some(c) => parallelism.min(u32::try_from(c).unwrap_or(u32::MAX).saturating_sub(succeeded)),
                    // A work queue: once one pod succeeded, no new ones start.
                    None if succeeded > 0 => 0,
                    None => parallelism,
                };
                (MakerKind::Job, wanted, count("/status/active", 0))
            }
            _ => return None,
        };
        let template = controller.pointer("/spec/template")?;
        let demand = fit::demand("Pod", wanted, template);
        let asks_accelerators = demand.requests.iter().any(|(r, a)| AcceleratorKind::of(r).is_some() && *a > 0.0);
        let deleting = controller.pointer("/metadata/deletionTimestamp").is_some_and(|t| !t.is_null());
        if made >= wanted || !asks_accelerators || deleting {
            return None;
        }
        let text = |p: &str| controller.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        let name = text("/metadata/name");
        let deployment = controller.pointer("/metadata/ownerReferences").and_then(Value::as_array).and_then(|owners| {
            owners.iter().find(|o| o["kind"] == "Deployment").and_then(|o| o["name"].as_str()).map(str::to_string)
        });
        let class = template.pointer("/spec/priorityClassName").and_then(Value::as_str);
        Some(PodMaker {
            namespace: text("/metadata/namespace"),
            shown: deployment.unwrap_or_else(|| name.clone()),
            name,
            kind,
            created: text("/metadata/creationTimestamp"),
            roles: vec![JobRole { priority: priorities.of(class), existing: (0..made).collect(), demand }],
        })
    }

    /// The name its controller gives the pod of `role` with `index`.
    fn pod_name(&self, role: &str, index: u32) -> String {
        match self.kind {
            MakerKind::TrainingJob => format!("{}-{}-{index}", self.name, role.to_lowercase()),
            MakerKind::StatefulSet => format!("{}-{index}", self.name),
            MakerKind::ReplicaSet | MakerKind::Job => format!("{}-new-{}", self.name, index + 1),
        }
    }

    fn missing(&self) -> usize {
        self.roles.iter().map(|r| (0..r.demand.replicas).filter(|i| !r.existing.contains(i)).count()).sum()
    }
}

/// "If team X's quota were Y": the namespace's accelerator quota — one resource, or every accelerator its quotas
/// limit — set to `hard`.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaWhatIf {
    pub namespace: String,
    /// `nvidia.com/gpu`; `None`: every accelerator the namespace's quotas limit.
    pub resource: Option<String>,
    pub hard: f64,
}

impl std::str::FromStr for QuotaWhatIf {
    type Err = String;

    /// `NAMESPACE=N` or `NAMESPACE/RESOURCE=N` (`ml-research=64`, `ml-research/nvidia.com/gpu=64`).
    fn from_str(text: &str) -> Result<Self, String> {
        let usage =
            || format!("{text:?}: say NAMESPACE=N or NAMESPACE/RESOURCE=N (e.g. ml-research/nvidia.com/gpu=64)");
        let (target, number) = text.rsplit_once('=').ok_or_else(usage)?;
        let hard: f64 = number.trim().parse().map_err(|_| usage())?;
        if !hard.is_finite() || hard < 0.0 {
            return Err(format!("{text:?}: a quota is a count of 0 or more"));
        }
        let (namespace, resource) = match target.split_once('/') {
            Some((ns, r)) => (ns, Some(r.strip_prefix("requests.").unwrap_or(r).to_string())),
            None => (target, None),
        };
        if namespace.is_empty() || resource.as_deref() == Some("") {
            return Err(usage());
        }
        if let Some(r) = &resource
            && AcceleratorKind::of(r).is_none()
        {
            return Err(format!("{text:?}: {r} is not an accelerator resource (e.g. nvidia.com/gpu, amd.com/gpu)"));
        }
        Ok(QuotaWhatIf { namespace: namespace.to_string(), resource, hard })
    }
}

impl std::fmt::Display for QuotaWhatIf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let hard = crate::resources::quantity::count(self.hard);
        match &self.resource {
            Some(r) => write!(f, "{}/{r}={hard}", self.namespace),
            None => write!(f, "{}={hard}", self.namespace),
        }
    }
}

/// The accelerator a quota line limits (`requests.nvidia.com/gpu` → `nvidia.com/gpu`), if it is one.
fn accelerator_of(line: &str) -> Option<&str> {
    let r = line.strip_prefix("requests.").or_else(|| line.strip_prefix("limits.")).unwrap_or(line);
    AcceleratorKind::of(r).map(|_| r)
}

/// Whether a quota limits an accelerator (so it may hold pods back that the planner should know of).
pub fn limits_accelerators(quota: &QuotaRow) -> bool {
    quota.hard.keys().any(|line| accelerator_of(line).is_some())
}

/// Sets the quotas as the what-ifs say; an error names a what-if that limits nothing there is.
pub fn apply_what_ifs(quotas: &mut [QuotaRow], what_ifs: &[QuotaWhatIf]) -> Result<(), String> {
    for w in what_ifs {
        let mut changed = false;
        for q in quotas.iter_mut().filter(|q| q.namespace == w.namespace) {
            for (line, hard) in q.hard.iter_mut() {
                if accelerator_of(line).is_some_and(|r| w.resource.as_deref().is_none_or(|want| want == r)) {
                    *hard = w.hard;
                    changed = true;
                }
            }
        }
        if !changed {
            let what = w.resource.as_deref().unwrap_or("accelerators");
            return Err(format!(
                "{w}: namespace {} has no ResourceQuota on {what} to change (quotas on accelerators limit \
                 requests.<resource>, e.g. requests.nvidia.com/gpu)",
                w.namespace
            ));
        }
    }
    Ok(())
}

/// The missing pods the quotas let in (to plan with the waiting ones), and per maker what they still refuse.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Admitted {
    pub pods: Vec<PendingPod>,
    pub refused: Vec<Waiting>,
}

/// Lets the missing pods in, oldest maker first and each job's pods in role order, as their controllers would create
/// them, counting each against the namespace's quotas (`used` as their status says). A maker stops at its first
/// refused pod (its controller retries the same pod). Pods let in are named as their controller names them and are as
/// old as `now` (newer than every pod that waits already); those asking for no accelerator count against the quotas
/// but are not planned (the planner places accelerator pods only).
pub fn admit(makers: &[PodMaker], quotas: &[QuotaRow], now: &str) -> Admitted {
    let mut used: Vec<BTreeMap<String, f64>> = quotas.iter().map(|q| q.used.clone()).collect();
    let mut order: Vec<&PodMaker> = makers.iter().filter(|m| m.missing() > 0).collect();
    order.sort_by(|a, b| (&a.created, &a.namespace, &a.name).cmp(&(&b.created, &b.namespace, &b.name)));
    let mut out = Admitted::default();
    for maker in order {
        let mut refusal: Option<(String, usize, f64)> = None;
        for role in &maker.roles {
            let asks = fit::quota_asks(&role.demand);
            let gpus: f64 =
                role.demand.requests.iter().filter(|(r, _)| AcceleratorKind::of(r).is_some()).map(|(_, a)| a).sum();
            for index in (0..role.demand.replicas).filter(|i| !role.existing.contains(i)) {
                if let Some((_, pods, total)) = refusal.as_mut() {
                    *pods += 1;
                    *total += gpus;
                    continue;
                }
                let ours = quotas.iter().enumerate().filter(|(_, q)| q.namespace == maker.namespace);
                if let Some(message) = ours.clone().find_map(|(i, q)| fit::quota_refusal(q, &used[i], &asks)) {
                    refusal = Some((message, 1, gpus));
                    continue;
                }
                for (i, _) in ours {
                    fit::add_asks(&mut used[i], &asks);
                }
                if gpus <= 0.0 {
                    continue;
                }
                out.pods.push(PendingPod {
                    namespace: maker.namespace.clone(),
                    name: maker.pod_name(&role.demand.role, index),
                    job: (maker.kind == MakerKind::TrainingJob).then(|| format!("{}/{}", maker.namespace, maker.name)),
                    priority: role.priority,
                    created: now.to_string(),
                    demand: RoleDemand { replicas: 1, ..role.demand.clone() },
                });
            }
        }
        if let Some((message, pods, gpus)) = refusal {
            let who = if maker.kind == MakerKind::TrainingJob { "its operator" } else { "its controller" };
            let pods_text = crate::resources::quantity::counted(pods, "pod");
            let reason = format!("the quota keeps {who} from creating {pods_text}: {message}");
            out.refused.push(Waiting {
                namespace: maker.namespace.clone(),
                name: maker.shown.clone(),
                pods,
                gpus,
                reason,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn job(name: &str, workers: u32, gpus: u32, created: &str) -> Value {
        let template = json!({"spec": {"priorityClassName": "team-default", "containers": [{"name": "tensorflow",
            "resources": {"limits": {"nvidia.com/gpu": gpus}, "requests": {"cpu": "4"}}}]}});
        json!({"apiVersion": "kubeflow.org/v1", "kind": "TFJob",
            "metadata": {"name": name, "namespace": "ml", "creationTimestamp": created},
            "spec": {"tfReplicaSpecs": {"Worker": {"replicas": workers, "template": template}}}})
    }

    fn labels(job: &str, index: u32) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("training.kubeflow.org/job-name".to_string(), job.to_string()),
            ("training.kubeflow.org/replica-type".to_string(), "worker".to_string()),
            ("training.kubeflow.org/replica-index".to_string(), index.to_string()),
        ])
    }

    fn quota(hard: f64, used: f64) -> QuotaRow {
        QuotaRow {
            namespace: "ml".into(),
            name: "gpu-quota".into(),
            hard: [("requests.nvidia.com/gpu".to_string(), hard)].into(),
            used: [("requests.nvidia.com/gpu".to_string(), used)].into(),
        }
    }

    fn priorities() -> Priorities {
        Priorities { values: [("team-default".to_string(), 1000)].into(), default: 0 }
    }

    #[test]
    fn a_job_counts_the_pods_it_has_and_skips_when_done() {
        let pods = [labels("big", 0), labels("big", 1), labels("other", 2)];
        let j = PodMaker::from_job(&job("big", 4, 8, "2026-01-01T00:00:00Z"), &pods, &priorities()).expect("job");
        assert_eq!(j.roles[0].existing, BTreeSet::from([0, 1]));
        assert_eq!((j.roles[0].priority, j.missing()), (1000, 2));
        let mut done = job("big", 4, 8, "t");
        done["status"] = json!({"conditions": [{"type": "Succeeded", "status": "True"}]});
        assert!(PodMaker::from_job(&done, &pods, &priorities()).is_none());
        let mut held = job("big", 4, 8, "t");
        held["spec"]["runPolicy"] = json!({"suspend": true});
        assert!(PodMaker::from_job(&held, &pods, &priorities()).is_none());
    }

    #[test]
    fn the_quota_lets_in_what_fits_and_names_the_rest_in_the_servers_words() {
        let pods = [labels("big", 0), labels("big", 1)];
        let big = PodMaker::from_job(&job("big", 4, 8, "2026-01-01T00:00:00Z"), &pods, &priorities()).expect("job");
        let small = PodMaker::from_job(&job("small", 1, 4, "2026-01-02T00:00:00Z"), [], &priorities()).expect("job");
        let jobs = [small, big];
        // 16 used by big's two pods: big's third pod is refused, small (newer, smaller) still gets in.
        let out = admit(&jobs, &[quota(20.0, 16.0)], "2026-02-01T00:00:00Z");
        assert_eq!(out.pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["small-worker-0"]);
        assert_eq!(out.pods[0].job.as_deref(), Some("ml/small"));
        assert_eq!(out.refused.len(), 1);
        let refused = &out.refused[0];
        assert_eq!((refused.name.as_str(), refused.pods, refused.gpus), ("big", 2, 16.0));
        assert_eq!(
            refused.reason,
            "the quota keeps its operator from creating 2 pods: exceeded quota: gpu-quota, requested: \
             requests.nvidia.com/gpu=8, used: requests.nvidia.com/gpu=16, limited: requests.nvidia.com/gpu=20"
        );
        // If the team's quota were 48, every missing pod gets in, big's first (older).
        let mut quotas = vec![quota(20.0, 16.0)];
        apply_what_ifs(&mut quotas, &["ml=48".parse().expect("what-if")]).expect("applies");
        let out = admit(&jobs, &quotas, "2026-02-01T00:00:00Z");
        let names: Vec<&str> = out.pods.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["big-worker-2", "big-worker-3", "small-worker-0"]);
        assert!(out.refused.is_empty());
        assert_eq!(out.pods[0].priority, 1000);
    }

    #[test]
    fn sets_short_of_replicas_wait_under_their_deployments_name() {
        let template = json!({"spec": {"priorityClassName": "team-default", "containers": [{"name": "server",
            "resources": {"limits": {"nvidia.com/gpu": 4}}}]}});
        let rs = json!({"kind": "ReplicaSet", "metadata": {"name": "ranker-7f9c", "namespace": "ml",
                "creationTimestamp": "2026-01-01T00:00:00Z",
                "ownerReferences": [{"kind": "Deployment", "name": "ranker", "apiVersion": "apps/v1", "uid": "u"}]},
            "spec": {"replicas": 3, "template": template}, "status": {"replicas": 1}});
        let set = PodMaker::from_controller(&rs, &priorities()).expect("short of two");
        assert_eq!((set.shown.as_str(), set.kind, set.missing()), ("ranker", MakerKind::ReplicaSet, 2));
        // 4 of 8 used: one more replica gets in, the third is refused.
        let out = admit(&[set], &[quota(8.0, 4.0)], "2026-02-01T00:00:00Z");
        assert_eq!(out.pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["ranker-7f9c-new-2"]);
        assert_eq!((out.pods[0].job.as_deref(), out.pods[0].priority), (None, 1000), "no gang");
        assert_eq!(out.refused[0].name, "ranker");
        assert!(
            out.refused[0].reason.starts_with("the quota keeps its controller from creating 1 pod: exceeded quota")
        );
        let mut sts = rs.clone();
        sts["kind"] = json!("StatefulSet");
        let set = PodMaker::from_controller(&sts, &priorities()).expect("short");
        assert_eq!(set.pod_name("Pod", 1), "ranker-7f9c-1");
        let mut whole = rs.clone();
        whole["status"]["replicas"] = json!(3);
        assert!(PodMaker::from_controller(&whole, &priorities()).is_none());
        // A batch Job of 5 completions, 2 at a time: one succeeded, one active, one more to start.
        let job = json!({"kind": "Job", "metadata": {"name": "eval", "namespace": "ml"},
            "spec": {"parallelism": 2, "completions": 5, "template": rs["spec"]["template"]},
            "status": {"active": 1, "succeeded": 1}});
        let batch = PodMaker::from_controller(&job, &priorities()).expect("one short");
        assert_eq!((batch.kind, batch.missing(), batch.pod_name("Pod", 1).as_str()), (MakerKind::Job, 1, "eval-new-2"));
        let mut nearly = job.clone();
        nearly["status"] = json!({"active": 1, "succeeded": 4});
        assert!(PodMaker::from_controller(&nearly, &priorities()).is_none(), "the last completion is running");
        let mut done = job.clone();
        done["status"]["conditions"] = json!([{"type": "Complete", "status": "True"}]);
        assert!(PodMaker::from_controller(&done, &priorities()).is_none(), "complete");
        let mut held = job;
        held["spec"]["suspend"] = json!(true);
        assert!(PodMaker::from_controller(&held, &priorities()).is_none());
    }

    #[test]
    fn what_ifs_parse_and_refuse_what_they_cannot_change() {
        let w: QuotaWhatIf = "ml/requests.nvidia.com/gpu=64".parse().expect("parses");
        assert_eq!((w.namespace.as_str(), w.resource.as_deref(), w.hard), ("ml", Some("nvidia.com/gpu"), 64.0));
        assert_eq!(w.to_string(), "ml/nvidia.com/gpu=64");
        for bad in ["ml", "ml=lots", "=4", "ml/=4", "ml=-1", "ml/cpu=4"] {
            assert!(bad.parse::<QuotaWhatIf>().is_err(), "{bad}");
        }
        let mut quotas = vec![quota(20.0, 0.0)];
        let err =
            apply_what_ifs(&mut quotas, &["ml/amd.com/gpu=8".parse().expect("parses")]).expect_err("no amd quota");
        assert!(err.contains("namespace ml has no ResourceQuota on amd.com/gpu"), "{err}");
        assert!(apply_what_ifs(&mut quotas, &["lab=8".parse().expect("parses")]).is_err());
    }
}
