use std::process::{Command, Output};
use std::time::Duration;

use bosun::cluster::training;
use bosun::workloads::JobKind;
use bosun::workloads::render;
use bosun::workloads::spec::{RoleSpec, RunPolicy, TrainingSpec};
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, ListParams};

use crate::util::{Sim, start_sim};

/// The demo cluster with the stack's training operator installed by `bosun install`.
pub fn cluster_with_operator() -> (Sim, String) {
    let sim = start_sim(kubesim::Fleet::Demo);
    let kubeconfig = sim.server.kubeconfig_path().display().to_string();
    let out = bosun(&[
        "install",
        "--components",
        "training-operator",
        "--yes",
        "--timeout",
        "2m",
        "--kubeconfig",
        &kubeconfig,
    ]);
    assert!(out.status.success(), "install: {}", String::from_utf8_lossy(&out.stderr));
    (sim, kubeconfig)
}

/// Writes a job's YAML into `dir` and returns its path, as the CLI takes it.
pub fn job_file(dir: &tempfile::TempDir, name: &str, yaml: &str) -> String {
    let file = dir.path().join(name);
    std::fs::write(&file, yaml).expect("write the job's YAML");
    file.display().to_string()
}

pub fn bosun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bosun")).args(args).output().expect("bosun runs")
}

fn client(sim: &Sim) -> kube::Client {
    sim.runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(sim.server.kubeconfig_path()).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        kube::Client::try_from(config).expect("client")
    })
}

/// A keeper of cluster "lab" writing into a store in `dir`: the store's path, the keeper, its writer thread.
fn keeper_on(
    sim: &Sim,
    client: &kube::Client,
    dir: &tempfile::TempDir,
) -> (std::path::PathBuf, tokio::task::JoinHandle<()>, std::thread::JoinHandle<()>) {
    let db = dir.path().join("bosun.db");
    let (writer, writer_thread) = bosun::store::writer::Writer::start(&db).expect("store");
    let _guard = sim.runtime.enter();
    let keeper = bosun::cluster::keeper::spawn_with_cache(client.clone(), "lab".into(), writer, db.clone());
    (db, keeper, writer_thread)
}

/// A small job of `kind` as the form would fill it: quick simulated epochs, no GPUs.
pub fn form_spec(kind: JobKind) -> TrainingSpec {
    let role = |role: &str, replicas| RoleSpec {
        role: role.into(),
        replicas,
        cpu: "500m".into(),
        memory: "1Gi".into(),
        ..Default::default()
    };
    let roles = match kind {
        JobKind::TFJob => vec![role("Chief", 1), role("Worker", 2), role("PS", 1)],
        JobKind::PyTorchJob | JobKind::XGBoostJob => vec![role("Master", 1), role("Worker", 2)],
        JobKind::MPIJob => vec![role("Launcher", 1), role("Worker", 2)],
        JobKind::Job => vec![role("Pod", 2)],
    };
    TrainingSpec {
        kind,
        name: format!("form-{}", kind.name().to_lowercase()),
        namespace: "default".into(),
        image: "registry.example/train:1.0".into(),
        args: vec!["--epochs=2".into()],
        env: vec![("KUBESIM_EPOCH_SECONDS".into(), "0.5".into())],
        roles,
        run_policy: RunPolicy { backoff_limit: Some(1), ..Default::default() },
        hyperparameters: vec![("lr".into(), "0.01".into())],
        ..Default::default()
    }
}

#[test]
fn jobs_of_every_kind_made_by_the_form_pass_a_dry_run_and_run_to_success() {
    let (sim, _) = cluster_with_operator();
    let client = client(&sim);
    sim.runtime.block_on(async {
        for kind in JobKind::ALL {
            let spec = form_spec(kind);
            assert_eq!(spec.validate(), [], "{kind}");
            let job = render::job(&spec);
            training::submit(&client, &job, true).await.unwrap_or_else(|e| panic!("{kind} dry run: {e}"));
            assert!(training::get(&client, kind, "default", &spec.name).await.is_err(), "a dry run stores nothing");
            training::submit(&client, &job, false).await.unwrap_or_else(|e| panic!("{kind}: {e}"));
        }
        for kind in JobKind::ALL {
            let name = form_spec(kind).name;
            let row = training::wait(&client, kind, "default", &name, Duration::from_secs(90), |_| {})
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            let expected = if kind == JobKind::Job { "Complete" } else { "Succeeded" };
            assert_eq!(row.state, expected, "{kind}: {}", row.message);
            assert_eq!((row.experiment.as_str(), row.run.as_str()), (name.as_str(), name.as_str()));
        }
        // The framework's wiring reached the pods.
        let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
        let env = |pod: &str| {
            let pods = pods.clone();
            let pod = pod.to_string();
            async move {
                let p = pods.get(&pod).await.unwrap_or_else(|e| panic!("{pod}: {e}"));
                p.spec.map(|s| s.containers[0].env.clone().unwrap_or_default()).unwrap_or_default()
            }
        };
        assert!(env("form-tfjob-worker-1").await.iter().any(|e| e.name == "TF_CONFIG"));
        assert!(env("form-xgboostjob-worker-0").await.iter().any(|e| e.name == "WORKER_ADDRS"));
        let launcher = env("form-mpijob-launcher").await;
        assert!(launcher.iter().any(|e| e.name == "OMPI_MCA_orte_default_hostfile"), "{launcher:?}");
        let args =
            pods.get("form-pytorchjob-master-0").await.expect("master").spec.expect("spec").containers[0].args.clone();
        assert_eq!(args, Some(vec!["--epochs=2".to_string(), "--lr=0.01".to_string()]));
    });
}

const SWEEP_JOB: &str = r#"apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: sweep
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          containers:
          - name: pytorch
            image: pytorch/pytorch:2.3.1-cuda12.1-cudnn8-runtime
            args: ["--epochs=2"]
            env:
            - {name: KUBESIM_EPOCH_SECONDS, value: "0.5"}
"#;

#[test]
fn a_sweep_submits_labelled_runs_and_a_failing_job_says_why() {
    let (sim, kubeconfig) = cluster_with_operator();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = job_file(&dir, "sweep.yaml", SWEEP_JOB);
    let out = bosun(&[
        "submit",
        &file,
        "--param",
        "lr=0.1,0.01,0.001",
        "--param",
        "batch=32,64",
        "--wait",
        "--kubeconfig",
        &kubeconfig,
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}\n{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(text.lines().count(), 6, "{text}");
    assert!(text.starts_with("PyTorchJob/default/sweep-01  lr=0.1 batch=32\n"), "{text}");
    let client = client(&sim);
    sim.runtime.block_on(async {
        let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
        let masters = pods.list(&ListParams::default().labels("bosun.dev/experiment=sweep")).await.expect("pods");
        let mut runs: Vec<String> =
            masters.items.iter().filter_map(|p| p.metadata.labels.as_ref()?.get("bosun.dev/run").cloned()).collect();
        runs.sort();
        assert_eq!(runs, ["sweep-01", "sweep-02", "sweep-03", "sweep-04", "sweep-05", "sweep-06"]);
        let args = masters
            .items
            .iter()
            .find(|p| p.metadata.name.as_deref() == Some("sweep-06-master-0"))
            .and_then(|p| p.spec.clone())
            .map(|s| s.containers[0].args.clone());
        assert_eq!(args, Some(Some(vec!["--epochs=2".into(), "--lr=0.001".into(), "--batch=64".into()])));
    });

    // A run that fails: --wait exits 1 with the failing replica, its exit code and its last lines.
    // (PyTorch replicas restart on failure by default, and would crash-loop: this one does not restart.)
    let doomed = SWEEP_JOB
        .replace("name: sweep", "name: doomed")
        .replace("replicas: 1", "replicas: 1\n      restartPolicy: Never");
    std::fs::write(
        dir.path().join("bad.yaml"),
        doomed.replace("value: \"0.5\"}", "value: \"0.5\"}\n            - {name: KUBESIM_FAIL_AT_EPOCH, value: \"2\"}"),
    )
    .expect("write");
    let bad = dir.path().join("bad.yaml").display().to_string();
    let out = bosun(&["submit", &bad, "--wait", "--timeout", "90s", "--kubeconfig", &kubeconfig]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("PyTorchJob/default/doomed failed"), "{err}");
    assert!(err.contains("pod doomed-master-0 container pytorch exited with code 1"), "{err}");
    assert!(err.contains("epoch=1 loss=") && err.contains("RuntimeError: training failed at epoch 2"), "{err}");

    // Bad input: a parameter without values, a file that is not a job.
    let out = bosun(&["submit", &file, "--param", "lr", "--kubeconfig", &kubeconfig]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected NAME=VALUES"));
    std::fs::write(dir.path().join("cm.yaml"), "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
        .expect("write");
    let out = bosun(&["submit", &dir.path().join("cm.yaml").display().to_string(), "--kubeconfig", &kubeconfig]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a ConfigMap is not a training job"));
}

const TOO_BIG: &str = r#"apiVersion: kubeflow.org/v1
kind: PyTorchJob
metadata:
  name: too-big
spec:
  pytorchReplicaSpecs:
    Master:
      replicas: 1
      template:
        spec:
          tolerations: [{key: amd.com/gpu, operator: Exists, effect: NoSchedule}]
          containers:
          - name: pytorch
            image: rocm/pytorch:latest
            resources:
              limits: {amd.com/gpu: 16}
"#;

#[test]
fn a_job_that_cannot_fit_is_predicted_so_and_then_waits_for_the_scheduler_s_reason() {
    let (sim, kubeconfig) = cluster_with_operator();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = job_file(&dir, "big.yaml", TOO_BIG);
    let out = bosun(&["fit", &file, "-o", "json", "--kubeconfig", &kubeconfig]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let role = &report["roles"][0];
    assert_eq!(
        (role["role"].as_str(), role["replicas"].as_u64(), role["verdict"].as_str()),
        (Some("Master"), Some(1), Some("never"))
    );
    let reasons: Vec<&str> = role["reasons"].as_array().expect("reasons").iter().filter_map(|r| r.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("0/11 nodes are available: ") && r.contains("Insufficient amd.com/gpu")),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"needs 16 amd.com/gpu per replica, largest node has 8 amd.com/gpu (gpu-mi300x-1)"),
        "{reasons:?}"
    );

    // Submitted anyway, it waits; --wait runs out with the scheduler's own message.
    let out = bosun(&["submit", &file, "--wait", "--timeout", "6s", "--kubeconfig", &kubeconfig]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(err.contains("PyTorchJob/default/too-big did not finish within 6s"), "{err}");
    assert!(err.contains("Insufficient amd.com/gpu"), "{err}");

    // Jobs made by someone else (kubectl, here the API) are listed too, with Bosun's own.
    let client = client(&sim);
    sim.runtime.block_on(async {
        let job: serde_json::Value = serde_json::json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "by-hand", "namespace": "default"},
            "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox:1.37", "command": ["sh", "-c", "echo hi"]}]}}}});
        let jobs: Api<kube::api::DynamicObject> = training::api(&client, JobKind::Job, Some("default"));
        let obj: kube::api::DynamicObject = serde_json::from_value(job).expect("job");
        jobs.create(&Default::default(), &obj).await.expect("create");
    });
    let out = bosun(&["jobs", "-o", "json", "-n", "default", "--kubeconfig", &kubeconfig]);
    let rows: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON rows");
    let names: Vec<&str> = rows.as_array().expect("rows").iter().filter_map(|r| r["name"].as_str()).collect();
    assert!(names.contains(&"by-hand") && names.contains(&"too-big"), "{names:?}");
    let big = rows.as_array().and_then(|r| r.iter().find(|r| r["name"] == "too-big")).expect("too-big");
    assert_eq!((big["kind"].as_str(), big["gpus"].as_f64()), (Some("PyTorchJob"), Some(16.0)));
    let table = bosun(&["jobs", "-n", "default", "--kubeconfig", &kubeconfig]);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(text.starts_with("KIND") && text.contains("too-big") && text.contains("Master 1/0/0"), "{text}");
    sim.runtime.block_on(async {
        let _ = training::api(&client, JobKind::PyTorchJob, Some("default"))
            .delete("too-big", &DeleteParams::default())
            .await;
    });
}

#[test]
fn the_demo_cluster_comes_with_the_operator_and_jobs_in_every_state() {
    let demo = bosun::demo::DemoCluster::start().expect("demo starts");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(demo.kubeconfig_path()).expect("kubeconfig");
        let client = kube::Client::try_from(
            kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config"),
        )
        .expect("client");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            let rows = training::list(&client, Some("ml-research")).await.map(|(rows, _)| rows).unwrap_or_default();
            let state = |name: &str| rows.iter().find(|r| r.name == name).map(|r| r.state.clone()).unwrap_or_default();
            let running = rows.iter().filter(|r| r.experiment == "mnist-sweep" && r.state == "Running").count();
            let done = (running == 4, state("resnet50-finetune"), state("bert-pretrain"), state("churn-xgboost"));
            if done == (true, "Succeeded".into(), "Failed".into(), "Succeeded".into()) {
                break;
            }
            assert!(tokio::time::Instant::now() < deadline, "the demo's jobs did not reach their states: {done:?}");
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
        // The job that waits says why, in the scheduler's words.
        let pods: Api<Pod> = Api::namespaced(client.clone(), "ml-research");
        let waiting = pods.get("llm-70b-worker-0").await.expect("the waiting job's pod");
        let condition = waiting
            .status
            .and_then(|s| s.conditions)
            .unwrap_or_default()
            .into_iter()
            .find(|c| c.type_ == "PodScheduled");
        let message = condition.and_then(|c| c.message).unwrap_or_default();
        assert!(message.contains("Insufficient nvidia.com/gpu"), "{message}");
        let failure = training::failure(&client, JobKind::PyTorchJob, "ml-research", "bert-pretrain", 5)
            .await
            .expect("a failed replica");
        assert_eq!(failure.exit_code, 1);
    });
}

/// `bosun submit NAME` and `bosun fit NAME` take a template saved from the form (a JSON spec in the settings
/// folder's `training-templates/`) when no file of that name exists; a broken template is bad input, named.
#[test]
fn saved_templates_are_submitted_by_name() {
    let (_sim, kubeconfig) = cluster_with_operator();
    let config = tempfile::tempdir().expect("config dir");
    let templates = config.path().join(bosun::workloads::spec::TEMPLATES_DIR);
    std::fs::create_dir_all(&templates).expect("templates dir");
    let mut spec = form_spec(JobKind::PyTorchJob);
    spec.name = "from-template".into();
    std::fs::write(templates.join("quick-torch.json"), serde_json::to_string(&spec).expect("json")).expect("write");
    let mut broken = spec.clone();
    broken.name = "Not_A_Name".into();
    std::fs::write(templates.join("broken.json"), serde_json::to_string(&broken).expect("json")).expect("write");
    let dir = config.path().display().to_string();

    let out = bosun(&["--config-dir", &dir, "submit", "quick-torch", "--dry-run", "--kubeconfig", &kubeconfig]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("PyTorchJob/default/from-template"), "{stdout}");
    let out = bosun(&["--config-dir", &dir, "fit", "quick-torch", "-o", "json", "--kubeconfig", &kubeconfig]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("fit JSON");
    let verdicts: Vec<&str> =
        report["roles"].as_array().expect("roles").iter().map(|r| r["verdict"].as_str().unwrap_or_default()).collect();
    assert_eq!(verdicts, ["fits-now", "fits-now"], "{report}");

    let out = bosun(&["--config-dir", &dir, "submit", "broken", "--dry-run", "--kubeconfig", &kubeconfig]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("the template broken has problems") && err.contains("name"), "{err}");
    let out = bosun(&["--config-dir", &dir, "submit", "no-such-template", "--kubeconfig", &kubeconfig]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("neither a file nor a saved template"), "{err}");
}

#[test]
fn logs_and_events_stay_readable_after_the_pods_are_deleted() {
    let (sim, _) = cluster_with_operator();
    let client = client(&sim);
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, keeper, writer_thread) = keeper_on(&sim, &client, &dir);
    let mut spec = form_spec(JobKind::TFJob);
    spec.name = "kept".into();
    spec.roles.retain(|r| r.role != "PS");
    spec.args = vec!["--epochs=3".into()];
    spec.hyperparameters = vec![("lr".into(), "0.05".into())];
    spec.run_policy.clean_pod_policy = "All".into();
    sim.runtime.block_on(async {
        training::submit(&client, &render::job(&spec), false).await.expect("submit");
        let row = training::wait(&client, JobKind::TFJob, "default", "kept", Duration::from_secs(60), |_| {})
            .await
            .expect("done");
        assert_eq!(row.state, "Succeeded");
        let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
        let gone_by = tokio::time::Instant::now() + Duration::from_secs(30);
        while !pods
            .list(&ListParams::default().labels("training.kubeflow.org/job-name=kept"))
            .await
            .expect("pods")
            .items
            .is_empty()
        {
            assert!(tokio::time::Instant::now() < gone_by, "cleanPodPolicy All did not delete the pods");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // The run's outcome is kept within a second or two of the cache seeing it.
        let kept_by = tokio::time::Instant::now() + Duration::from_secs(15);
        let kept = || bosun::store::Store::open(&db).ok()?.job("lab", "default", "kept").ok()?;
        while kept().is_none_or(|j| j.state != "Succeeded") {
            assert!(tokio::time::Instant::now() < kept_by, "the run's state was not kept: {:?}", kept());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    keeper.abort();
    let store = bosun::store::Store::open(&db).expect("reopen");
    let job = store.job("lab", "default", "kept").expect("read").expect("the job is kept");
    let pods = store.pods(&job.uid).expect("pods");
    let names: Vec<&str> = pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["kept-chief-0", "kept-worker-0", "kept-worker-1"]);
    let chief = &pods[0];
    let lines: Vec<String> =
        store.log_lines(&chief.uid, "tensorflow", None).expect("lines").into_iter().map(|l| l.line).collect();
    assert!(lines.iter().any(|l| l.starts_with("epoch=3 loss=")), "{lines:?}");
    assert_eq!(lines.iter().filter(|l| l.starts_with("epoch=1 ")).count(), 1, "no line twice: {lines:?}");
    let reasons: Vec<String> = store.events(&job.uid).expect("events").into_iter().map(|e| e.reason).collect();
    assert!(
        reasons.iter().any(|r| r == "Scheduled") && reasons.iter().any(|r| r == "SuccessfulCreatePod"),
        "{reasons:?}"
    );
    // The chief's metric lines were kept as points, once each, and the run with its outcome.
    let loss: Vec<Option<i64>> =
        store.points(&job.uid, Some("loss")).expect("points").into_iter().map(|p| p.step).collect();
    assert_eq!(loss, [Some(1), Some(2), Some(3)], "one loss per epoch, from the chief only");
    let runs = store.runs(bosun::store::RunFilter { run: Some(("default", "kept")), ..Default::default() });
    let run = runs.expect("runs").pop().expect("the run is kept");
    assert_eq!(run.job.state, "Succeeded");
    assert_eq!(run.job.hyperparameters, [("lr".to_string(), "0.05".to_string())]);
    assert!(run.job.started > 0 && run.job.finished >= run.job.started, "{:?}", run.job);
    assert!(run.metrics.iter().any(|m| m.metric == "val_accuracy" && m.points == 3), "{:?}", run.metrics);
    drop(store);
    drop(sim);
    let _ = writer_thread;
}

#[test]
fn a_store_killed_mid_write_reopens_whole_with_every_committed_batch() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("bosun.db");
    let mut child = Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["bench", "store-writer", "--batch", "500", "--db", &db.display().to_string()])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("writer starts");
    let mut committed = 0i64;
    let stdout = child.stdout.take().expect("stdout");
    for line in std::io::BufReader::new(stdout).lines().take(20) {
        committed = line.expect("line").trim().parse().expect("a count");
    }
    child.kill().expect("SIGKILL"); // mid-batch, as a crash would
    let _ = child.wait();
    let store = bosun::store::Store::open(&db).expect("reopens after a kill -9");
    assert_eq!(store.integrity().expect("check"), "ok");
    let kept = store.count_lines().expect("count");
    assert!(kept >= committed, "{kept} lines kept, {committed} were committed");
    assert_eq!(kept % 500, 0, "a batch is kept whole or not at all: {kept}");
}

#[test]
fn a_sweep_s_metrics_are_read_from_the_logs_kept_once_and_outlive_the_jobs() {
    let (sim, kubeconfig) = cluster_with_operator();
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().display().to_string();
    let mut spec = form_spec(JobKind::TFJob);
    spec.name = "lrs".into();
    spec.roles.retain(|r| r.role == "Chief");
    spec.args = vec!["--epochs=3".into()];
    spec.hyperparameters.clear();
    let file = job_file(&dir, "lrs.json", &render::job(&spec).to_string());
    let out = bosun(&[
        "submit",
        &file,
        "--param",
        "lr=0.0001,0.01,0.2,0.9",
        "--wait",
        "--timeout",
        "2m",
        "--kubeconfig",
        &kubeconfig,
    ]);
    assert!(out.status.success(), "submit: {}", String::from_utf8_lossy(&out.stderr));

    let metrics = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["--config-dir", &config, "metrics", "--experiment", "lrs", "--kubeconfig", &kubeconfig];
        args.extend_from_slice(extra);
        let out = bosun(&args);
        assert!(out.status.success(), "metrics: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).lines().map(str::to_string).collect()
    };
    let rows = metrics(&[]);
    assert_eq!(rows[0], "run,tag,step,wall_time,value");
    // 4 runs × 3 epochs × 4 metrics (loss, accuracy, val_loss, val_accuracy), from the chiefs' logs.
    assert_eq!(rows.len() - 1, 48, "{rows:#?}");
    assert!(rows.iter().any(|r| r.starts_with("default/lrs-02,val_loss,3,")), "{rows:#?}");
    assert_eq!(metrics(&[]), rows, "read again: the same points, none twice");

    let out =
        bosun(&["--config-dir", &config, "runs", "--experiment", "lrs", "-o", "json", "--kubeconfig", &kubeconfig]);
    let runs: serde_json::Value = serde_json::from_slice(&out.stdout).expect("runs JSON");
    let runs = runs.as_array().expect("a list");
    assert_eq!(runs.len(), 4, "{runs:?}");
    let best = runs
        .iter()
        .min_by(|a, b| {
            let v = |r: &serde_json::Value| r["metrics"]["val_loss"]["best"].as_f64().unwrap_or(f64::MAX);
            v(a).total_cmp(&v(b))
        })
        .expect("a best run");
    assert_eq!(best["hyperparameters"]["lr"], "0.01", "the learning rate that suits the model wins: {runs:?}");
    assert_eq!(best["metrics"]["val_loss"]["goal"], "minimize");
    assert!(runs.iter().all(|r| r["state"] == "Succeeded"), "{runs:?}");

    // The jobs and their pods go; the store still has every point.
    let client = client(&sim);
    sim.runtime.block_on(async {
        let api: Api<kube::core::DynamicObject> = Api::namespaced_with(
            client.clone(),
            "default",
            &kube::core::ApiResource::from_gvk_with_plural(
                &kube::core::GroupVersionKind::gvk("kubeflow.org", "v1", "TFJob"),
                "tfjobs",
            ),
        );
        api.delete_collection(&DeleteParams::default(), &ListParams::default().labels("bosun.dev/experiment=lrs"))
            .await
            .expect("delete the runs");
    });
    assert_eq!(metrics(&["--offline"]), rows);
    let out =
        bosun(&["--config-dir", &config, "metrics", "--run", "default/nope", "--offline", "--kubeconfig", &kubeconfig]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn broken_log_streams_and_changed_metric_settings_neither_duplicate_nor_lose_points() {
    let (sim, _) = cluster_with_operator();
    let client = client(&sim);
    let dir = tempfile::tempdir().expect("temp dir");
    let (db, keeper, writer_thread) = keeper_on(&sim, &client, &dir);
    // Every watch and followed log breaks after a second: the chief's stream resumes several times mid-run.
    sim.server.set_faults(kubesim::FaultConfig { drop_watch_after_secs: 1, ..Default::default() });
    let mut spec = form_spec(JobKind::TFJob);
    spec.name = "flaky".into();
    spec.roles.retain(|r| r.role == "Chief");
    spec.args = vec!["--epochs=12".into()];
    // 4 simulated seconds an epoch is 0.4 s here (kubesim runs 10× fast): the run lasts about five seconds.
    spec.env = vec![("KUBESIM_EPOCH_SECONDS".into(), "4".into())];
    let kept = || bosun::store::Store::open(&db).ok()?.job("lab", "default", "flaky").ok()?;
    let series = |uid: &str| -> Vec<(String, i64)> {
        let Ok(store) = bosun::store::Store::open(&db) else { return Vec::new() };
        store.series_summaries(uid).unwrap_or_default().into_iter().map(|s| (s.metric, s.points)).collect()
    };
    sim.runtime.block_on(async {
        let started = std::time::Instant::now();
        training::submit(&client, &render::job(&spec), false).await.expect("submit");
        let row = training::wait(&client, JobKind::TFJob, "default", "flaky", Duration::from_secs(90), |_| {})
            .await
            .expect("done");
        assert_eq!(row.state, "Succeeded");
        assert!(started.elapsed() > Duration::from_secs(3), "the run outlasts several broken streams");
        let kept_by = tokio::time::Instant::now() + Duration::from_secs(20);
        while kept().is_none_or(|j| j.state != "Succeeded")
            || series(&kept().map(|j| j.uid).unwrap_or_default()).iter().all(|(m, n)| m != "loss" || *n < 12)
        {
            assert!(tokio::time::Instant::now() < kept_by, "the run was not kept whole: {:?}", kept());
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    sim.server.set_faults(kubesim::FaultConfig::default());
    let job = kept().expect("the job is kept");
    {
        let store = bosun::store::Store::open(&db).expect("open");
        let chief = store.primary_pod(&job.uid).expect("read").expect("the chief is kept");
        let lines: Vec<String> =
            store.log_lines(&chief.uid, "tensorflow", None).expect("lines").into_iter().map(|l| l.line).collect();
        for epoch in 1..=12 {
            let n = lines.iter().filter(|l| l.starts_with(&format!("epoch={epoch} "))).count();
            assert_eq!(n, 1, "epoch {epoch} kept once across reconnects: {lines:?}");
        }
        let steps: Vec<Option<i64>> =
            store.points(&job.uid, Some("loss")).expect("points").into_iter().map(|p| p.step).collect();
        assert_eq!(steps, (1..=12).map(Some).collect::<Vec<_>>(), "one loss per epoch, none twice");
    }
    // Reading only `loss` from now on: the keeper reads the kept log again, and the other metrics go.
    let only_loss = bosun::resources::training::MetricSpec { names: vec!["loss".into()], pattern: String::new() };
    sim.runtime.block_on(async {
        training::set_metric_spec(&client, &JobKind::TFJob, "default", "flaky", &only_loss).await.expect("patch");
        let by = tokio::time::Instant::now() + Duration::from_secs(20);
        while series(&job.uid) != [("loss".to_string(), 12)] {
            assert!(tokio::time::Instant::now() < by, "the kept log was not read again: {:?}", series(&job.uid));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    keeper.abort();
    drop(sim);
    let _ = writer_thread;
}

#[test]
fn katib_experiments_are_listed_when_katib_is_installed_and_none_otherwise() {
    use kube::api::{DynamicObject, PostParams};
    use kube::core::GroupVersionKind;
    use kube::discovery::ApiResource;
    let sim = start_sim(kubesim::Fleet::Empty);
    let client = client(&sim);
    sim.runtime.block_on(async {
        assert!(bosun::cluster::katib::experiments(&client).await.expect("no Katib is no error").is_empty());
        let crd: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
            "metadata": {"name": "experiments.kubeflow.org"},
            "spec": {"group": "kubeflow.org", "scope": "Namespaced",
                     "names": {"plural": "experiments", "singular": "experiment", "kind": "Experiment"},
                     "versions": [{"name": "v1beta1", "served": true, "storage": true,
                                   "schema": {"openAPIV3Schema": {"type": "object",
                                              "x-kubernetes-preserve-unknown-fields": true}}}]}
        }))
        .expect("crd");
        let crds = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("apiextensions.k8s.io", "v1", "CustomResourceDefinition"),
            "customresourcedefinitions",
        );
        Api::<DynamicObject>::all_with(client.clone(), &crds).create(&PostParams::default(), &crd).await.expect("crd");
        let experiment: DynamicObject = serde_json::from_value(serde_json::json!({
            "apiVersion": "kubeflow.org/v1beta1", "kind": "Experiment",
            "metadata": {"name": "random-example", "namespace": "default"},
            "spec": {"objective": {"type": "minimize", "objectiveMetricName": "loss", "goal": 0.01},
                     "algorithm": {"algorithmName": "random"}, "maxTrialCount": 6,
                     "parameters": [{"name": "lr", "parameterType": "double",
                                     "feasibleSpace": {"min": "0.001", "max": "0.1"}}]}
        }))
        .expect("experiment");
        let experiments = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("kubeflow.org", "v1beta1", "Experiment"),
            "experiments",
        );
        let by = tokio::time::Instant::now() + Duration::from_secs(10);
        // The new resource is served once the CRD is established.
        while Api::<DynamicObject>::namespaced_with(client.clone(), "default", &experiments)
            .create(&PostParams::default(), &experiment)
            .await
            .is_err()
        {
            assert!(tokio::time::Instant::now() < by, "the Experiment resource was never served");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let listed = bosun::cluster::katib::experiments(&client).await.expect("list");
        assert_eq!(listed.len(), 1);
        let e = &listed[0];
        assert_eq!(
            (e.name.as_str(), e.metric.as_str(), e.maximizes(), e.goal),
            ("random-example", "loss", false, Some(0.01))
        );
        assert_eq!((e.parameters.as_slice(), e.max_trials), (&["lr".to_string()][..], Some(6)));
    });
}
