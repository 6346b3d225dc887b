use std::path::Path;
use std::process::{Command, Output};
use std::sync::Mutex;
use std::time::Duration;

use bosun::cluster::install::{self, InstallOptions, Progress};
use bosun::stack::catalog::Catalog;
use bosun::stack::params::Selection;

use crate::util::{Sim, start_sim};

fn demo() -> Sim {
    start_sim(kubesim::Fleet::Demo)
}

trait Clients {
    fn client(&self, context: &str) -> kube::Client;
    fn kubectl(&self, args: &[&str]) -> Output;
    fn bosun(&self, args: &[&str]) -> Output;
    fn install(&self, client: &kube::Client) -> (Result<install::InstallReport, install::InstallError>, Vec<Progress>);
}

impl Clients for Sim {
    fn client(&self, context: &str) -> kube::Client {
        self.runtime.block_on(async {
            let kc = kube::config::Kubeconfig::read_from(self.server.kubeconfig_path()).expect("kubeconfig");
            let options = kube::config::KubeConfigOptions { context: Some(context.into()), ..Default::default() };
            let config = kube::Config::from_custom_kubeconfig(kc, &options).await.expect("config");
            kube::Client::try_from(config).expect("client")
        })
    }

    fn kubectl(&self, args: &[&str]) -> Output {
        Command::new("kubectl")
            .arg("--kubeconfig")
            .arg(self.server.kubeconfig_path())
            .args(args)
            .output()
            .expect("kubectl")
    }

    fn bosun(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_bosun"))
            .arg("--kubeconfig")
            .arg(self.server.kubeconfig_path())
            .args(args)
            .output()
            .expect("bosun runs")
    }

    /// Installs the whole stack through the engine; returns the report and every progress event.
    fn install(&self, client: &kube::Client) -> (Result<install::InstallReport, install::InstallError>, Vec<Progress>) {
        let catalog = Catalog::builtin().expect("catalog");
        let events = Mutex::new(Vec::new());
        let result = self.runtime.block_on(async {
            let (plan, previous) = install::plan_for(client, &catalog, &Selection::default(), false).await?;
            let options = InstallOptions { wait: true, timeout: Duration::from_secs(90) };
            install::install(client, &plan, previous.as_ref(), &options, &|p| events.lock().expect("lock").push(p))
                .await
        });
        (result, events.into_inner().expect("lock"))
    }
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Everything labelled as part of the stack, across the kinds it installs.
fn stack_objects(sim: &Sim) -> String {
    let kinds = "namespaces,deployments,daemonsets,services,configmaps,secrets,serviceaccounts,roles,rolebindings,clusterroles,clusterrolebindings,persistentvolumeclaims,customresourcedefinitions";
    let out = sim.kubectl(&["get", kinds, "-A", "-l", "app.kubernetes.io/part-of=bosun-stack", "-o", "name"]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn the_whole_stack_installs_gets_ready_runs_a_tfjob_and_reinstalls_without_changes() {
    let sim = demo();
    let client = sim.client("kubesim-admin");
    let (report, events) = sim.install(&client);
    let report = report.expect("installs");
    assert!(report.created >= 20 && report.changed == 0, "{report:?}");
    let ready: Vec<String> = events
        .iter()
        .filter_map(|e| if let Progress::Ready { object } = e { Some(object.clone()) } else { None })
        .collect();
    for object in [
        "CustomResourceDefinition/tfjobs.kubeflow.org",
        "Deployment kubeflow/training-operator",
        "Deployment kubeflow/hub",
        "Deployment kubeflow/proxy",
        "DaemonSet kubeflow/nvidia-device-plugin",
    ] {
        assert!(ready.iter().any(|r| r == object), "{object} became ready: {ready:?}");
    }
    // The device plugin now advertises the NVIDIA GPUs.
    let gpus = sim.kubectl(&["get", "node", "gpu-h100-1", "-o", "jsonpath={.status.allocatable.nvidia\\.com/gpu}"]);
    assert_eq!(String::from_utf8_lossy(&gpus.stdout), "8");

    // The training operator is active: a TFJob runs to the end.
    let tfjob = Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/tests/fixtures/tfjob.yaml");
    assert!(sim.kubectl(&["apply", "-f", &tfjob.to_string_lossy()]).status.success());
    let wait = sim.kubectl(&["wait", "--for=condition=Succeeded", "tfjob/mnist", "--timeout=90s"]);
    assert!(wait.status.success(), "{}", text(&wait));

    // Installing again changes nothing, and says so.
    let (again, _) = sim.install(&client);
    let again = again.expect("reinstalls");
    assert_eq!((again.created, again.changed), (0, 0), "{again:?}");
    let dry = sim.bosun(&["install", "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    assert!(text(&dry).contains("Dry run: 0 new, 0 changed,"), "{}", text(&dry));

    let status = sim.bosun(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert!(text(&status).contains("training-operator") && text(&status).contains("healthy"), "{}", text(&status));

    // Uninstall removes everything Bosun labelled (and only that: the TFJob's pods are the user's).
    let out = sim.bosun(&["uninstall", "--yes", "--delete-data"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(stack_objects(&sim), "", "nothing labelled remains");
    let status = sim.bosun(&["status"]);
    assert!(text(&status).contains("No Bosun stack is installed"), "{}", text(&status));
}

#[test]
fn an_install_broken_by_server_errors_resumes() {
    let sim = demo();
    let client = sim.client("kubesim-admin");
    sim.server.set_faults(kubesim::FaultConfig { error_rate: 0.25, error_code: 500, ..Default::default() });
    let (first, _) = sim.install(&client);
    sim.server.set_faults(kubesim::FaultConfig::default());
    let first = first.expect_err("a quarter of the requests fail");
    assert!(first.to_string().contains("injected fault"), "{first}");
    let (second, _) = sim.install(&client);
    second.expect("resumes and completes");
    let status = sim.bosun(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
    assert!(text(&status).contains("(Installed,"), "{}", text(&status));
}

#[test]
fn the_cli_installs_with_progress_and_explains_bad_input_and_refusals() {
    let sim = demo();
    let out = sim.bosun(&["install", "--yes", "--components", "training-operator", "--timeout", "90s"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("Plan: ") && printed.contains("base 0.1.0, training-operator 1.7.0"), "{printed}");
    assert!(printed.contains("[ok  ] Permissions"), "{printed}");
    assert!(printed.contains("everything is ready"), "{printed}");

    let bad = sim.bosun(&["install", "--yes", "--set", "jupyterhub.gpuLimit=99"]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("parameter jupyterhub.gpuLimit: 99 is above the maximum 8"), "{}", text(&bad));
    let unknown = sim.bosun(&["install", "--yes", "--components", "kubeflow-pipelines"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(text(&unknown).contains("unknown component kubeflow-pipelines (known: base,"), "{}", text(&unknown));

    let viewer = sim.bosun(&["--context", "kubesim-viewer", "install", "--yes"]);
    assert_eq!(viewer.status.code(), Some(4), "{}", text(&viewer));
    assert!(text(&viewer).contains("you may not create or update configmaps, namespaces,"), "{}", text(&viewer));

    let no_tty = sim.bosun(&["uninstall"]);
    assert!(!no_tty.status.success());
    assert!(text(&no_tty).contains("pass --yes"), "{}", text(&no_tty));
}

#[test]
fn a_folder_of_yaml_goes_through_the_same_pipeline_and_bad_yaml_names_its_line() {
    let sim = demo();
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::create_dir_all(dir.path().join("app/nested")).expect("dirs");
    std::fs::write(
        dir.path().join("app/nested/deploy.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n",
    )
    .expect("write");
    std::fs::write(dir.path().join("app/ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n")
        .expect("write");
    // A custom resource next to its CRD: applied once the CRD is established.
    let crds = Path::new(env!("CARGO_MANIFEST_DIR")).join("sim/tests/fixtures/training-operator.yaml");
    let crds = std::fs::read_to_string(crds).expect("fixture");
    let crds: Vec<&str> = crds.split("\n---\n").filter(|d| d.contains("kind: CustomResourceDefinition")).collect();
    std::fs::write(dir.path().join("app/crds.yaml"), crds.join("\n---\n")).expect("write");
    std::fs::write(
        dir.path().join("app/nested/job.yaml"),
        "apiVersion: kubeflow.org/v1\nkind: TFJob\nmetadata: {name: idle, namespace: shop}\nspec:\n  runPolicy: {suspend: true}\n  tfReplicaSpecs: {Worker: {replicas: 1, template: {spec: {containers: [{name: tensorflow, image: tensorflow/tensorflow:2.16.1}]}}}}\n",
    )
    .expect("write");
    let folder = dir.path().join("app");
    let out = sim.bosun(&["install", "--yes", "-f", &folder.to_string_lossy(), "--timeout", "60s"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Deployment shop/web created"), "{}", text(&out));
    assert!(text(&out).contains("TFJob shop/idle created"), "{}", text(&out));

    std::fs::write(
        dir.path().join("app/broken.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels: [unclosed\n",
    )
    .expect("write");
    let bad = sim.bosun(&["install", "--yes", "-f", &folder.to_string_lossy()]);
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad));
    assert!(text(&bad).contains("broken.yaml:"), "{}", text(&bad));
}

#[test]
fn the_rendered_stack_applies_cleanly_with_kubectl() {
    let sim = demo();
    let dir = tempfile::tempdir().expect("temp dir");
    let out = sim.bosun(&["render", "--out", &dir.path().to_string_lossy()]);
    assert!(out.status.success(), "{}", text(&out));
    let apply = sim.kubectl(&["apply", "-f", &dir.path().to_string_lossy(), "-R"]);
    assert!(apply.status.success(), "{}", text(&apply));
    let wait =
        sim.kubectl(&["wait", "--for=condition=Available", "deployment", "--all", "-n", "kubeflow", "--timeout=90s"]);
    assert!(wait.status.success(), "{}", text(&wait));
}

#[test]
fn readiness_that_never_comes_is_explained_with_the_cluster_s_reason() {
    let sim = start_sim(kubesim::Fleet::Empty);
    // Every node cordoned: nothing new can be scheduled.
    let nodes = sim.kubectl(&["get", "nodes", "-o", "name"]);
    for node in String::from_utf8_lossy(&nodes.stdout).lines() {
        assert!(sim.kubectl(&["cordon", node]).status.success());
    }
    let out = sim.bosun(&["install", "--yes", "--components", "training-operator", "--timeout", "3s"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    let printed = text(&out);
    assert!(printed.contains("not ready after 3 s"), "{printed}");
    assert!(printed.contains("Deployment kubeflow/training-operator: pod training-operator-"), "{printed}");
    assert!(printed.contains("cannot be scheduled: 0/2 nodes are available"), "{printed}");
    let status = sim.bosun(&["status"]);
    assert_eq!(status.status.code(), Some(3), "{}", text(&status));
    assert!(text(&status).contains("(NotReady,"), "{}", text(&status));
}

#[test]
fn uninstall_deletes_only_what_is_still_bosuns_and_folder_installs_can_be_shown_and_removed() {
    let sim = demo();
    let out = sim.bosun(&["install", "--yes", "--components", "training-operator", "--timeout", "90s"]);
    assert!(out.status.success(), "{}", text(&out));

    // Someone replaces the operator's Deployment with their own (no Bosun label) …
    assert!(sim.kubectl(&["delete", "deployment", "training-operator", "-n", "kubeflow"]).status.success());
    let theirs =
        sim.kubectl(&["create", "deployment", "training-operator", "-n", "kubeflow", "--image=their/operator:1"]);
    assert!(theirs.status.success(), "{}", text(&theirs));
    // … and recreates its Service under the same name, labels and all: same name, new UID.
    let service = sim.kubectl(&["get", "service", "training-operator", "-n", "kubeflow", "-o", "json"]);
    let mut service: serde_json::Value = serde_json::from_slice(&service.stdout).expect("service JSON");
    let old_uid = service["metadata"]["uid"].as_str().expect("uid").to_string();
    for field in ["uid", "resourceVersion", "creationTimestamp", "managedFields"] {
        service["metadata"].as_object_mut().expect("metadata").remove(field);
    }
    assert!(sim.kubectl(&["delete", "service", "training-operator", "-n", "kubeflow"]).status.success());
    let file = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(file.path(), service.to_string()).expect("write");
    let recreated = sim.kubectl(&["create", "-f", &file.path().to_string_lossy()]);
    assert!(recreated.status.success(), "{}", text(&recreated));

    let out = sim.bosun(&["uninstall", "--yes"]);
    assert!(out.status.success(), "{}", text(&out));
    let printed = text(&out);
    assert!(
        printed.contains("kept: Deployment kubeflow/training-operator was replaced by someone else (it does not carry"),
        "{printed}"
    );
    assert!(
        printed.contains("kept: Service kubeflow/training-operator was replaced by someone else (UID"),
        "{printed}"
    );
    assert!(printed.contains(&format!("Bosun made {old_uid})")), "{printed}");
    for kept in ["deployment/training-operator", "service/training-operator"] {
        let get = sim.kubectl(&["get", kept, "-n", "kubeflow"]);
        assert!(get.status.success(), "{kept} is still there: {}", text(&get));
    }
    // Bosun's own objects went; the namespace holding the kept ones stayed.
    assert!(!sim.kubectl(&["get", "serviceaccount", "training-operator", "-n", "kubeflow"]).status.success());
    assert!(sim.kubectl(&["get", "namespace", "kubeflow"]).status.success());

    // A folder install keeps its own record: shown by status, removed exactly by `uninstall -f`.
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("shop-app");
    std::fs::create_dir_all(&folder).expect("dir");
    std::fs::write(
        folder.join("app.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: shop}\ndata: {mode: fast}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: web, namespace: shop}\n",
    )
    .expect("write");
    let folder = folder.to_string_lossy().into_owned();
    let out = sim.bosun(&["install", "--yes", "-f", &folder, "--timeout", "60s"]);
    assert!(out.status.success(), "{}", text(&out));
    // Something of the user's own lives next to it in the same namespace? Not here: the folder owns `shop`.
    let status = sim.bosun(&["status"]);
    assert!(text(&status).contains("Folder install shop-app in namespace default"), "{}", text(&status));
    assert!(text(&status).contains("3 objects"), "{}", text(&status));
    let out = sim.bosun(&["uninstall", "--yes", "-f", &folder]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("Uninstalled: 3 objects deleted, 0 kept."), "{}", text(&out));
    let left = sim.kubectl(&["get", "configmap,serviceaccount", "-n", "shop", "-o", "name"]);
    assert!(!String::from_utf8_lossy(&left.stdout).contains("settings"), "{}", text(&left));
    let status = sim.bosun(&["status"]);
    assert!(!text(&status).contains("shop-app"), "{}", text(&status));
}
