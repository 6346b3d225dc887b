use std::time::Duration;

use bosun::cluster::{notebooks, priorities, training};
use bosun::workloads::JobKind;
use bosun::workloads::notebook::NotebookSpec;
use bosun::workloads::render;
use bosun::workloads::spec::{RoleSpec, RunPolicy, TrainingSpec};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::Api;
use kube::api::ListParams;

use crate::training::{bosun, cluster_with_operator};
use bosun::state::cluster_view::{ClusterSnapshot, snapshot};

/// The preset ladder is created once (applying it again changes nothing), and a research-critical TFJob that needs
/// the GPUs a best-effort notebook holds gets the notebook's pod preempted, and runs.
#[test]
fn a_research_critical_tfjob_preempts_a_best_effort_notebook() {
    let (sim, _) = cluster_with_operator();
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        let applied = priorities::apply_ladder(&client).await.expect("ladder");
        assert_eq!(applied, ["research-critical", "team-default", "best-effort"]);
        let api: Api<k8s_openapi::api::scheduling::v1::PriorityClass> = Api::all(client.clone());
        let before = api.get("best-effort").await.expect("class").metadata.resource_version;
        priorities::apply_ladder(&client).await.expect("ladder again");
        let after = api.get("best-effort").await.expect("class").metadata.resource_version;
        assert_eq!(before, after, "applying the ladder again changes nothing");
        let rows = priorities::list(&client).await.expect("list");
        let best_effort = rows.iter().find(|r| r.name == "best-effort").expect("listed");
        assert_eq!(best_effort.preemption, "Never");

        // The notebook takes 6 of the MI300X node's 8 GPUs (the fleet's own pod holds 2).
        let notebook = NotebookSpec {
            name: "intern".into(),
            accelerator: Some("amd.com/gpu".into()),
            accelerators: 6,
            priority_class: "best-effort".into(),
            ..Default::default()
        };
        notebooks::start(&client, &notebook).await.expect("notebook");
        let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
        let notebook_pod = wait_for(&pods, "bosun.dev/notebook=intern", |p| {
            p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some("gpu-mi300x-1")
        })
        .await
        .unwrap_or_else(|| panic!("the notebook never ran on the MI300X node"));

        let worker = amd_worker(4);
        let job = TrainingSpec {
            kind: JobKind::TFJob,
            name: "deadline".into(),
            image: "registry.example/train:1.0".into(),
            env: vec![("KUBESIM_EPOCH_SECONDS".into(), "30".into())],
            roles: vec![worker],
            run_policy: RunPolicy { priority_class: "research-critical".into(), ..Default::default() },
            ..Default::default()
        };
        training::submit(&client, &render::job(&job), false).await.expect("submit");
        let deadline_pod = wait_for(&pods, "training.kubeflow.org/job-name=deadline", |p| {
            p.spec.as_ref().and_then(|s| s.node_name.as_deref()) == Some("gpu-mi300x-1")
        })
        .await
        .unwrap_or_else(|| panic!("the TFJob's worker never ran"));
        let events: Api<Event> = Api::namespaced(client.clone(), "default");
        let preempted = events.list(&ListParams::default().fields("reason=Preempted")).await.expect("events");
        let uid = deadline_pod.metadata.uid.clone().unwrap_or_default();
        let victim = notebook_pod.metadata.name.clone().unwrap_or_default();
        assert!(
            preempted.items.iter().any(|e| e.involved_object.name.as_deref() == Some(victim.as_str())
                && e.message.as_deref() == Some(format!("Preempted by pod {uid} on node gpu-mi300x-1").as_str())),
            "{:?}",
            preempted.items.iter().map(|e| &e.message).collect::<Vec<_>>()
        );

        // What the screens see: the live cache finds the preemption and who took the room.
        let cache = std::sync::Arc::new(bosun::cluster::cache::ClusterCache::default());
        let watchers = bosun::cluster::cache::spawn(client.clone(), cache.clone());
        let by = format!("default/{}", deadline_pod.metadata.name.clone().unwrap_or_default());
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let row = loop {
            let snap = bosun::state::cluster_view::snapshot(&cache, &Default::default());
            if let Some(row) = snap.preempted("default", "intern").filter(|r| r.by.is_some()) {
                break row.clone();
            }
            assert!(std::time::Instant::now() < deadline, "the snapshot never showed the notebook preempted");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert_eq!(row.by_text(), format!("preempted by {by}"));
        assert_eq!((row.victim.as_str(), row.node.as_str()), (victim.as_str(), "gpu-mi300x-1"));
        for w in watchers {
            w.abort();
        }
    });
}

/// One TFJob worker asking for `gpus` AMD GPUs.
fn amd_worker(gpus: u32) -> RoleSpec {
    RoleSpec {
        role: "Worker".into(),
        replicas: 1,
        cpu: "1".into(),
        memory: "2Gi".into(),
        accelerator: Some("amd.com/gpu".into()),
        accelerators: gpus,
    }
}

/// The first pod matching `selector` for which `done` holds, within a minute.
async fn wait_for(pods: &Api<Pod>, selector: &str, done: impl Fn(&Pod) -> bool) -> Option<Pod> {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        let list = pods.list(&ListParams::default().labels(selector)).await.ok()?;
        if let Some(p) = list.items.into_iter().find(|p| done(p)) {
            return Some(p);
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

/// Creates namespace `ns` with a ResourceQuota `gpu-quota` of `hard` AMD GPUs.
async fn team_with_amd_quota(client: &kube::Client, ns: &str, hard: &str) {
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let namespace = serde_json::from_value(serde_json::json!({"metadata": {"name": ns}})).expect("namespace");
    namespaces.create(&kube::api::PostParams::default(), &namespace).await.expect("namespace");
    let hard = [("requests.amd.com/gpu".to_string(), hard.to_string())].into();
    bosun::cluster::teams::apply_quota(client, ns, "gpu-quota", &hard).await.expect("quota");
}

/// `team-a` with a quota of 4 AMD GPUs, 2 of them held by a pod, and watch caches whose snapshot counts them.
async fn team_with_half_its_quota_used(
    client: &kube::Client,
) -> (std::sync::Arc<bosun::cluster::cache::ClusterCache>, Vec<tokio::task::JoinHandle<()>>, ClusterSnapshot) {
    use kube::api::PostParams;
    use serde_json::json;
    team_with_amd_quota(client, "team-a", "4").await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "team-a");
    let holder = json!({"metadata": {"name": "holder"}, "spec": {
        "tolerations": [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "containers": [{"name": "main", "image": "rocm/pytorch:latest", "resources": {"limits": {"amd.com/gpu": "2"}}}]}});
    pods.create(&PostParams::default(), &serde_json::from_value(holder).expect("pod")).await.expect("pod");

    let cache = std::sync::Arc::new(bosun::cluster::cache::ClusterCache::default());
    let watchers = bosun::cluster::cache::spawn(client.clone(), cache.clone());
    let counted = |snap: &ClusterSnapshot| {
        snap.quotas.iter().any(|q| q.namespace == "team-a" && q.used.get("requests.amd.com/gpu") == Some(&2.0))
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let snap = snapshot(&cache, &Default::default());
        if counted(&snap) {
            return (cache, watchers, snap);
        }
        assert!(std::time::Instant::now() < deadline, "the quota never counted the holder's GPUs");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits until `refusal` finds the server's refusal in a snapshot.
async fn refusal_in(
    cache: &bosun::cluster::cache::ClusterCache,
    mut refusal: impl FnMut(&ClusterSnapshot) -> Option<String>,
) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(r) = refusal(&snapshot(cache, &Default::default())) {
            return r;
        }
        assert!(std::time::Instant::now() < deadline, "the controller never reported the quota's refusal");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A team's GPU quota: the fit preview predicts the refusal in the API server's words and numbers, and once the
/// job is submitted the operator's FailedCreate says the same, which the job list and a toast show.
#[test]
fn the_fit_preview_predicts_a_quota_refusal_that_the_server_then_makes() {
    use bosun::state::protocol::TrainingEvent;
    use bosun::state::training::TrainingState;

    let (sim, _) = cluster_with_operator();
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        let (cache, watchers, snap) = team_with_half_its_quota_used(&client).await;

        let worker = amd_worker(4);
        let job = TrainingSpec {
            kind: JobKind::TFJob,
            name: "greedy".into(),
            namespace: "team-a".into(),
            image: "registry.example/train:1.0".into(),
            roles: vec![worker],
            ..Default::default()
        };
        let expected = "exceeded quota: gpu-quota, requested: requests.amd.com/gpu=4, used: requests.amd.com/gpu=2, limited: requests.amd.com/gpu=4";
        let mut form = TrainingState::new(job.clone());
        form.on_snapshot(&snap);
        let predicted = form.fit.as_ref().map(|f| f.quota.clone()).unwrap_or_default();
        assert_eq!(predicted, [expected], "the fit preview predicts the refusal");

        training::submit(&client, &render::job(&job), false).await.expect("the TFJob itself is created");
        form.apply(TrainingEvent::Submitted(Ok(vec!["TFJob/team-a/greedy".into()])));
        let refusal = refusal_in(&cache, |snap| {
            let r = snap.quota_refusal("team-a", "TFJob", "greedy")?.to_string();
            let news = form.quota_news(snap);
            assert!(news.len() == 1 && news[0].ends_with(expected), "{news:?}");
            Some(r)
        })
        .await;
        assert_eq!(refusal, expected, "the server's numbers are the predicted ones");
        for w in watchers {
            w.abort();
        }
    });
}

/// The serving form's preview says which replica the team's quota refuses; once deployed, the ReplicaSet's
/// FailedCreate (which the model server's row shows) has the same numbers, and the capacity planner names the
/// replica held back (and plans it under a what-if quota).
#[test]
fn the_serving_form_predicts_the_quota_refusal_its_replicas_then_get() {
    use bosun::state::serving::ServingState;
    use bosun::workloads::serving::{self, ModelSource, Runtime, ServingSpec};

    let (sim, _) = cluster_with_operator();
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        let (cache, watchers, snap) = team_with_half_its_quota_used(&client).await;
        let spec = ServingSpec {
            name: "ranker".into(),
            namespace: "team-a".into(),
            runtime: Runtime::Sklearn,
            image: Runtime::Sklearn.default_image().into(),
            model_name: "ranker".into(),
            source: ModelSource::Uri("gs://models/ranker".into()),
            replicas: 2,
            accelerator: Some("amd.com/gpu".into()),
            accelerators: 2,
            ..Default::default()
        };
        let mut form = ServingState::new(spec.clone());
        form.refresh_fit(&snap);
        let expected = "exceeded quota: gpu-quota, requested: requests.amd.com/gpu=2, used: requests.amd.com/gpu=4, limited: requests.amd.com/gpu=4";
        let predicted = form.fit.as_ref().map(|f| f.quota.clone()).unwrap_or_default();
        assert_eq!(predicted, [format!("1 of 2 pods would be created, then {expected}")]);

        bosun::cluster::serving::apply(&client, &serving::objects(&spec), false).await.expect("deployed");
        let refusal =
            refusal_in(&cache, |snap| snap.quota_refusal_of_replicas("team-a", "ranker").map(str::to_string)).await;
        assert_eq!(refusal, expected, "the server's numbers are the predicted ones");

        // The planner names the replica the quota holds back under its Deployment, and plans it if the quota were 6.
        let as_is = bosun::cluster::capacity::demand(&client, Some("team-a"), Vec::new(), &[]).await.expect("demand");
        let held: Vec<(&str, usize)> = as_is.refused.iter().map(|w| (w.name.as_str(), w.pods)).collect();
        assert_eq!(held, [("ranker", 1)], "{as_is:?}");
        assert!(as_is.refused[0].reason.ends_with(expected), "{}", as_is.refused[0].reason);
        let what_if = "team-a/amd.com/gpu=6".parse().expect("what-if");
        let bigger = bosun::cluster::capacity::demand(&client, Some("team-a"), Vec::new(), &[what_if]).await.expect("demand");
        assert!(bigger.refused.is_empty(), "{bigger:?}");
        assert!(bigger.pending.iter().any(|p| p.name.starts_with("ranker-") && p.name.ends_with("-new-2")), "{bigger:?}");
        for w in watchers {
            w.abort();
        }
    });
}

/// "If the team's quota were 12": the planner names the pod the quota refuses in the server's words, lets it in under
/// the what-if with the name the operator gives it, and when the quota really becomes 12 the operator creates that
/// very pod. `bosun plan --quota` says the same; a what-if on a quota there is not is refused with the fix.
#[test]
fn the_planner_lets_in_what_a_bigger_quota_would_under_the_operators_names() {
    use bosun::cluster::capacity::demand;
    use bosun::workloads::missing_pods::QuotaWhatIf;

    let (sim, kubeconfig) = cluster_with_operator();
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        team_with_amd_quota(&client, "team-b", "8").await;
        let wide = TrainingSpec {
            kind: JobKind::TFJob,
            name: "wide".into(),
            namespace: "team-b".into(),
            image: "registry.example/train:1.0".into(),
            roles: vec![RoleSpec { replicas: 3, ..amd_worker(4) }],
            ..Default::default()
        };
        training::submit(&client, &render::job(&wide), false).await.expect("the TFJob itself is created");

        // The operator's refusal, as the server worded it.
        let events: Api<Event> = Api::namespaced(client.clone(), "team-b");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        let refusal = loop {
            let list = events.list(&ListParams::default()).await.expect("events");
            let said = list.items.iter().find(|e| e.reason.as_deref() == Some("FailedCreate")).and_then(|e| {
                let m = e.message.as_deref()?;
                m.find("exceeded quota").map(|at| m[at..].to_string())
            });
            if let Some(said) = said {
                break said;
            }
            assert!(std::time::Instant::now() < deadline, "the operator never reported the quota's refusal");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let as_is = demand(&client, Some("team-b"), Vec::new(), &[]).await.expect("demand");
        assert_eq!(as_is.refused.len(), 1, "{as_is:?}");
        let refused = &as_is.refused[0];
        assert_eq!((refused.name.as_str(), refused.pods, refused.gpus), ("wide", 1, 4.0));
        assert!(refused.reason.ends_with(&refusal), "{} vs the server's {refusal}", refused.reason);
        assert!(as_is.pending.iter().all(|p| p.name != "wide-worker-2"));

        let what_if: QuotaWhatIf = "team-b=12".parse().expect("what-if");
        let bigger = demand(&client, Some("team-b"), Vec::new(), &[what_if]).await.expect("demand");
        assert!(bigger.refused.is_empty(), "{bigger:?}");
        let let_in: Vec<&str> =
            bigger.pending.iter().filter(|p| p.name == "wide-worker-2").map(|p| p.name.as_str()).collect();
        assert_eq!(let_in, ["wide-worker-2"]);
        assert_eq!(
            bigger.pending.iter().find(|p| p.name == "wide-worker-2").and_then(|p| p.job.as_deref()),
            Some("team-b/wide")
        );

        let twelve = [("requests.amd.com/gpu".to_string(), "12".to_string())].into();
        bosun::cluster::teams::apply_quota(&client, "team-b", "gpu-quota", &twelve).await.expect("quota");
        let pods: Api<Pod> = Api::namespaced(client.clone(), "team-b");
        let created = wait_for(&pods, "training.kubeflow.org/job-name=wide", |p| {
            p.metadata.name.as_deref() == Some("wide-worker-2")
        })
        .await;
        assert!(created.is_some(), "the operator creates the pod the planner named once the quota lets it");
    });

    let out = bosun(&["plan", "--kubeconfig", &kubeconfig, "-n", "team-b", "--quota", "team-b=16", "-o", "json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["quota_what_if"], serde_json::json!(["team-b=16"]), "{json}");
    let out = bosun(&["plan", "--kubeconfig", &kubeconfig, "--quota", "nowhere=4"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("namespace nowhere has no ResourceQuota on accelerators"), "{err}");
    let out = bosun(&["plan", "--kubeconfig", &kubeconfig, "--shape", "nope"]);
    assert_eq!(out.status.code(), Some(2), "a node that is not there is bad input");
    assert!(String::from_utf8_lossy(&out.stderr).contains("no node named \"nope\" to copy"));
    let out = bosun(&["plan", "--kubeconfig", &kubeconfig, "--quota", "team-b=lots"]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

/// A batch Job that a team's quota lets start only one of its two pods: the planner says so in the server's words,
/// and plans the second pod (named as the Job controller's new pod) when a what-if quota would let it in.
#[test]
fn a_batch_job_held_back_by_the_quota_is_planned_under_a_bigger_one() {
    use bosun::cluster::capacity::demand;
    use k8s_openapi::api::batch::v1::Job;
    use kube::api::PostParams;
    use serde_json::json;

    let (sim, _) = cluster_with_operator();
    let client = crate::util::client(&sim);
    sim.runtime.block_on(async {
        team_with_amd_quota(&client, "evals", "4").await;
        let job = json!({"metadata": {"name": "eval"}, "spec": {"parallelism": 2, "completions": 2, "template": {"spec": {
            "restartPolicy": "Never",
            "tolerations": [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "eval", "image": "rocm/pytorch:latest", "command": ["sleep", "600"],
                "resources": {"limits": {"amd.com/gpu": "4"}}}]}}}});
        let jobs: Api<Job> = Api::namespaced(client.clone(), "evals");
        jobs.create(&PostParams::default(), &serde_json::from_value(job).expect("job")).await.expect("job created");

        // Once the Job runs one pod and the quota counts it.
        let quotas: Api<k8s_openapi::api::core::v1::ResourceQuota> = Api::namespaced(client.clone(), "evals");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let active = jobs.get("eval").await.expect("job").status.and_then(|s| s.active);
            let quota = quotas.get("gpu-quota").await.expect("quota");
            let used = quota.status.and_then(|s| s.used).and_then(|u| u.get("requests.amd.com/gpu").cloned());
            if active == Some(1) && used.as_ref().is_some_and(|u| u.0 == "4") {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "the Job never ran its first pod: {active:?} {used:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let held = demand(&client, Some("evals"), Vec::new(), &[]).await.expect("demand");
        let refused: Vec<(&str, usize)> = held.refused.iter().map(|w| (w.name.as_str(), w.pods)).collect();
        assert_eq!(refused, [("eval", 1)]);
        // The server's own refusal, from the Job controller's FailedCreate.
        let events: Api<Event> = Api::namespaced(client.clone(), "evals");
        let said = events.list(&ListParams::default()).await.expect("events").items.into_iter().find_map(|e| {
            let m = e.message.filter(|_| e.reason.as_deref() == Some("FailedCreate"))?;
            m.find("exceeded quota").map(|at| m[at..].to_string())
        });
        let said = said.expect("the Job controller reported the refusal");
        assert!(held.refused[0].reason.ends_with(&said), "{} vs the server's {said}", held.refused[0].reason);

        let bigger = demand(&client, Some("evals"), Vec::new(), &["evals=8".parse().expect("what-if")]).await.expect("demand");
        assert!(bigger.refused.is_empty(), "{bigger:?}");
        let names: Vec<&str> = bigger.pending.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["eval-new-2"]);
    });
}
