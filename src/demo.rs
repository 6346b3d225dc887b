//! The built-in demo cluster: kubesim started in-process, reached through its generated kubeconfig over real HTTPS
//! by the same code as any other cluster. At start-up it is given what a newcomer should see alive: the stack's
//! training operator (installed by the installer, as `bosun install` would), training jobs in every state, and model
//! servers (TensorFlow Serving with an autoscaler and a canary, a scikit-learn server) as the Serving form makes them,
//! a notebook server as the Notebooks form makes it, and three evaluations of a "hot dog" classifier for Model
//! analysis (two ConfigMaps and an evaluation job that prints its sliced metrics), computed at start-up from the
//! sample data in `assets/model-analysis`.

use std::path::PathBuf;

use anyhow::Context as _;
use k8s_openapi::api::core::v1::Pod;
use serde_json::Value;

use crate::cluster::install::{self, InstallOptions};
use crate::cluster::serving as cluster_serving;
use crate::cluster::training;
use crate::stack::catalog::Catalog;
use crate::stack::params::Selection;
use crate::workloads::JobKind;
use crate::workloads::render;
use crate::workloads::spec::{RoleSpec, RunPolicy, TrainingSpec};

/// A running demo cluster; dropping it stops the cluster.
pub struct DemoCluster {
    server: kubesim::ServerHandle,
    // Declared after `server` so the server is dropped (and shut down) before its runtime.
    _runtime: tokio::runtime::Runtime,
}

impl DemoCluster {
    /// Starts the `demo` fleet on its own small runtime, and seeds it in the background.
    pub fn start() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bosun-demo-cluster")
            .enable_all()
            .build()
            .context("could not start the demo cluster's runtime")?;
        let server =
            runtime.block_on(kubesim::start(kubesim::Config::default())).context("could not start the demo cluster")?;
        let kubeconfig = server.kubeconfig_path().to_path_buf();
        runtime.spawn(async move {
            if let Err(e) = seed(&kubeconfig).await {
                tracing::warn!("the demo cluster could not be given its training jobs: {e:#}");
            }
        });
        Ok(Self { server, _runtime: runtime })
    }

    pub fn kubeconfig_path(&self) -> PathBuf {
        self.server.kubeconfig_path().to_path_buf()
    }

    /// The context with full rights.
    pub fn context(&self) -> &'static str {
        kubesim::kubeconfig::ADMIN_CONTEXT
    }
}

/// Installs the training operator and submits the demo's jobs, through the API like any client.
pub async fn seed(kubeconfig: &std::path::Path) -> anyhow::Result<()> {
    let kc = kube::config::Kubeconfig::read_from(kubeconfig)?;
    let options = kube::config::KubeConfigOptions {
        context: Some(kubesim::kubeconfig::ADMIN_CONTEXT.into()),
        ..Default::default()
    };
    let client = kube::Client::try_from(kube::Config::from_custom_kubeconfig(kc, &options).await?)?;
    let catalog = Catalog::builtin()?;
    let selection = Selection { components: vec!["training-operator".into()], ..Default::default() };
    let (plan, previous) = install::plan_for(&client, &catalog, &selection, false).await?;
    install::install(&client, &plan, previous.as_ref(), &InstallOptions::default(), &|_| {}).await?;
    for job in demo_jobs() {
        training::submit(&client, &job, false).await?;
    }
    seed_servers(&client).await?;
    seed_evaluations(&client).await?;
    seed_sharing(&client).await
}

/// The fight over GPUs, for the Teams tab: the PriorityClass ladder, a GPU quota for `ml-research`, an intern's
/// best-effort notebook holding six of the MI300X node's eight GPUs, and a researcher's research-critical TFJob that needs four
/// of them and preempts it (the notebook's new pod then waits: best-effort never preempts).
async fn seed_sharing(client: &kube::Client) -> anyhow::Result<()> {
    crate::cluster::priorities::apply_ladder(client).await?;
    let hard = [("requests.amd.com/gpu", "16"), ("requests.nvidia.com/gpu", "32")];
    let hard = hard.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    crate::cluster::teams::apply_quota(client, "ml-research", "gpu-quota", &hard).await?;
    let notebook = crate::workloads::notebook::NotebookSpec {
        name: "intern-notebook".into(),
        namespace: "ml-research".into(),
        accelerator: Some("amd.com/gpu".into()),
        accelerators: 6,
        priority_class: "best-effort".into(),
        user: "intern".into(),
        ..Default::default()
    };
    crate::cluster::notebooks::start(client, &notebook).await?;
    // The notebook holds its GPUs before the deadline job arrives.
    let bound = |p: &Pod| p.spec.as_ref().is_some_and(|s| s.node_name.is_some());
    until_a_notebook_pod(client, bound).await?;
    let worker = gpus(role("Worker", 1, "4", "32Gi"), "amd.com/gpu", 4);
    let deadline = TrainingSpec {
        kind: JobKind::TFJob,
        name: "deadline-llm".into(),
        namespace: "ml-research".into(),
        image: "rocm/tensorflow:latest".into(),
        env: vec![("KUBESIM_EPOCH_SECONDS".into(), "20".into()), ("EPOCHS".into(), "500".into())],
        roles: vec![worker],
        run_policy: RunPolicy { priority_class: "research-critical".into(), ..Default::default() },
        labels: [("bosun.dev/user".to_string(), "researcher".to_string())].into(),
        ..Default::default()
    };
    training::submit(client, &render::job(&deadline), false).await?;
    // The notebook's new pod waits (and counts against the quota) before the pretraining run asks.
    let waits =
        |p: &Pod| p.metadata.deletion_timestamp.is_none() && p.spec.as_ref().is_some_and(|s| s.node_name.is_none());
    until_a_notebook_pod(client, waits).await?;
    // A pretraining run the team's AMD quota only half lets in: the notebook (waiting, it still counts), the deadline
    // job and one worker make 14 of 16, so the operator cannot create the second worker (the capacity planner's "if
    // the team's quota were …").
    let pretrain = TrainingSpec {
        kind: JobKind::PyTorchJob,
        name: "llm-pretrain".into(),
        namespace: "ml-research".into(),
        image: "rocm/pytorch:latest".into(),
        env: vec![("KUBESIM_EPOCH_SECONDS".into(), "20".into()), ("EPOCHS".into(), "500".into())],
        roles: vec![gpus(role("Worker", 2, "16", "64Gi"), "amd.com/gpu", 4)],
        run_policy: RunPolicy { priority_class: "team-default".into(), ..Default::default() },
        labels: [("bosun.dev/user".to_string(), "researcher".to_string())].into(),
        ..Default::default()
    };
    training::submit(client, &render::job(&pretrain), false).await?;
    Ok(())
}

/// Waits (up to 20 s: the demo goes on either way) until a pod of the intern's notebook is as `wanted` says.
async fn until_a_notebook_pod(client: &kube::Client, wanted: impl Fn(&Pod) -> bool) -> anyhow::Result<()> {
    let pods: kube::Api<Pod> = kube::Api::namespaced(client.clone(), "ml-research");
    let notebook = kube::api::ListParams::default().labels("bosun.dev/notebook=intern-notebook");
    for _ in 0..100 {
        if pods.list(&notebook).await?.items.iter().any(&wanted) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    Ok(())
}

/// The sample evaluation data: a classifier's predictions per version (`assets/model-analysis/generate.py`).
const HOTDOG: [(&str, &str); 3] = [
    ("1", include_str!("../assets/model-analysis/hotdog-v1.csv")),
    ("2", include_str!("../assets/model-analysis/hotdog-v2.csv")),
    ("3", include_str!("../assets/model-analysis/hotdog-v3.csv")),
];

/// The sliced metrics (a `bosun.sliced-metrics/v1` document) of version 1, 2 or 3 of the sample classifier,
/// evaluated `days_ago`, by camera, region, hour (night, day, evening) and camera × hour, with bootstrap intervals.
pub fn sample_evaluation(version: &str, days_ago: i64) -> anyhow::Result<String> {
    use crate::metrics::{examples, sliced, slices};
    let csv = HOTDOG
        .iter()
        .find(|(v, _)| *v == version)
        .map(|(_, csv)| *csv)
        .ok_or_else(|| anyhow::anyhow!("no sample evaluation of version {version}"))?;
    let slices_asked = ["camera".to_string(), "region".into(), "hour:edges=7,20".into()];
    let (specs, slicings) = examples::plan(&slices_asked, &["camera,hour".into()]).map_err(anyhow::Error::msg)?;
    let columns = examples::Columns { label: "label".into(), prediction: "score".into(), weight: None, slices: specs };
    let mut data = examples::read_csv_text(&format!("hotdog-v{version}.csv"), csv, &columns)?;
    data.sort_by_score();
    let options = slices::Options { bootstrap: 60, seed: 1, ..Default::default() };
    let rows = slices::compute(&data, &slicings, &options);
    let time = jiff::Timestamp::now() - jiff::SignedDuration::from_hours(24 * days_ago);
    let model = sliced::Model { name: "hotdog".into(), version: version.into() };
    let doc = sliced::from_rows(model, &format!("eval-v{version}"), &time.to_string(), &rows);
    Ok(serde_json::to_string(&doc)?)
}

/// Three evaluations for Model analysis: versions 1 and 2 left in ConfigMaps, version 3 (better overall, regressed on
/// webcams) by an evaluation job that prints its metrics.
async fn seed_evaluations(client: &kube::Client) -> anyhow::Result<()> {
    use crate::workloads::evaluation;
    let documents = tokio::task::spawn_blocking(|| {
        HOTDOG
            .iter()
            .zip([6, 3, 0])
            .map(|((version, _), days)| sample_evaluation(version, days).map(|d| (*version, d)))
            .collect::<anyhow::Result<Vec<_>>>()
    })
    .await??;
    for (version, doc) in &documents {
        let name = format!("hotdog-eval-v{version}");
        if *version == "3" {
            training::submit(client, &evaluation::printing_job("ml-prod", &name, "hotdog", doc), false).await?;
        } else {
            let map = evaluation::configmap("ml-prod", &name, "hotdog", doc);
            cluster_serving::apply(client, &[map], false).await?;
        }
    }
    Ok(())
}

/// Model servers to open the Serving screen on: `resnet` (TF Serving, version 1, autoscaled) with a canary of
/// version 2 taking a quarter of the requests, and `iris` (scikit-learn).
async fn seed_servers(client: &kube::Client) -> anyhow::Result<()> {
    use crate::workloads::serving::{self, Autoscale, ModelSource, Runtime, ServingSpec, VersionPolicy};
    let resnet = ServingSpec {
        name: "resnet".into(),
        namespace: "ml-prod".into(),
        model_name: "resnet".into(),
        source: ModelSource::Uri("gs://bosun-demo/models/resnet".into()),
        versions: VersionPolicy::Specific(vec![1]),
        autoscale: Some(Autoscale { min: 3, max: 8, cpu_percent: 70 }),
        ..Default::default()
    };
    let iris = ServingSpec {
        name: "iris".into(),
        namespace: "ml-prod".into(),
        runtime: Runtime::Sklearn,
        model_name: "iris".into(),
        image: Runtime::Sklearn.default_image().into(),
        rest_port: serving::default_rest_port(Runtime::Sklearn),
        source: ModelSource::Uri("gs://bosun-demo/models/iris".into()),
        ..Default::default()
    };
    for spec in [&resnet, &iris] {
        cluster_serving::apply(client, &serving::objects(spec), false).await?;
    }
    cluster_serving::wait_available(client, "ml-prod", "resnet", std::time::Duration::from_secs(60), |_| {}).await?;
    let version = VersionPolicy::Specific(vec![2]);
    cluster_serving::start_canary(client, "ml-prod", "resnet", None, Some(&version), 1).await?;
    // A notebook server to open from the Notebooks screen.
    let notebook = crate::workloads::notebook::NotebookSpec {
        name: "ana-scratch".into(),
        namespace: "ml-research".into(),
        ..Default::default()
    };
    crate::cluster::notebooks::start(client, &notebook).await?;
    Ok(())
}

fn role(role: &str, replicas: u32, cpu: &str, memory: &str) -> RoleSpec {
    RoleSpec { role: role.into(), replicas, cpu: cpu.into(), memory: memory.into(), ..Default::default() }
}

fn gpus(mut r: RoleSpec, resource: &str, count: u32) -> RoleSpec {
    r.accelerator = Some(resource.into());
    r.accelerators = count;
    r
}

/// Jobs in every state: a sweep still running (with metrics to watch), one that succeeded, one that failed with an
/// exit code, and one that waits for GPUs the cluster does not have free — each as the launch form makes them.
fn demo_jobs() -> Vec<Value> {
    let base = |kind: JobKind, name: &str, image: &str, roles: Vec<RoleSpec>| TrainingSpec {
        kind,
        name: name.into(),
        namespace: "ml-research".into(),
        image: image.into(),
        roles,
        run_policy: RunPolicy { clean_pod_policy: "None".into(), ..Default::default() },
        ..Default::default()
    };
    let mut jobs = Vec::new();
    for (i, lr) in ["0.1", "0.03", "0.01", "0.003"].iter().enumerate() {
        let mut spec = base(
            JobKind::TFJob,
            &format!("mnist-sweep-{:02}", i + 1),
            "tensorflow/tensorflow:2.16.1",
            vec![role("Chief", 1, "2", "4Gi"), role("Worker", 2, "2", "4Gi")],
        );
        // Long enough to watch for a quarter of an hour, quick enough for curves within seconds.
        spec.args = vec!["--epochs=900".into()];
        spec.env = vec![("KUBESIM_EPOCH_SECONDS".into(), "1".into())];
        spec.hyperparameters = vec![("lr".into(), lr.to_string()), ("batch-size".into(), "128".into())];
        spec.experiment = "mnist-sweep".into();
        jobs.push(render::job(&spec));
    }
    let mut done = base(
        JobKind::PyTorchJob,
        "resnet50-finetune",
        "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
        vec![role("Master", 1, "4", "8Gi"), role("Worker", 1, "4", "8Gi")],
    );
    done.args = vec!["--epochs=4".into()];
    done.env = vec![("KUBESIM_EPOCH_SECONDS".into(), "2".into())];
    jobs.push(render::job(&done));
    let mut failed = base(
        JobKind::PyTorchJob,
        "bert-pretrain",
        "pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime",
        vec![role("Master", 1, "4", "8Gi")],
    );
    failed.args = vec!["--epochs=10".into()];
    failed.env = vec![("KUBESIM_EPOCH_SECONDS".into(), "2".into()), ("KUBESIM_FAIL_AT_EPOCH".into(), "3".into())];
    failed.run_policy.restart_policy = "Never".into();
    jobs.push(render::job(&failed));
    let waiting = base(
        JobKind::TFJob,
        "llm-70b",
        "tensorflow/tensorflow:2.16.1-gpu",
        vec![gpus(role("Worker", 2, "16", "64Gi"), "nvidia.com/gpu", 8)],
    );
    jobs.push(render::job(&waiting));
    let mut xgb = base(
        JobKind::XGBoostJob,
        "churn-xgboost",
        "docker.io/kubeflow/xgboost-dist-iris:latest",
        vec![role("Master", 1, "1", "2Gi"), role("Worker", 2, "1", "2Gi")],
    );
    xgb.args = vec!["--epochs=3".into()];
    xgb.env = vec![("KUBESIM_EPOCH_SECONDS".into(), "2".into())];
    jobs.push(render::job(&xgb));
    jobs
}
