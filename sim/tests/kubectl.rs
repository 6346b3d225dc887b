//! Real kubectl against kubesim: the operations users run must behave as on a real cluster.

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::Duration;

use common::{demo, fixture, start};

const DEPLOYMENT: &str = r#"
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.27
        ports: [{containerPort: 80}]
"#;

#[test]
fn get_nodes_wide_shows_the_fleet() {
    let sim = demo();
    let out = sim.ok(&["get", "nodes", "-o", "wide"]);
    let header = out.lines().next().unwrap_or_default();
    for col in ["NAME", "STATUS", "ROLES", "AGE", "VERSION", "INTERNAL-IP", "OS-IMAGE", "CONTAINER-RUNTIME"] {
        assert!(header.contains(col), "missing column {col}: {header}");
    }
    assert!(out.contains("gpu-h100-1") && out.contains("control-plane") && out.contains("Ready"));
    let labels = sim.ok(&["get", "node", "gpu-h100-1", "-o", "jsonpath={.metadata.labels.nvidia\\.com/gpu\\.product}"]);
    assert_eq!(labels, "NVIDIA-H100-80GB-HBM3");
}

#[test]
fn api_resources_and_discovery() {
    let sim = demo();
    let out = sim.ok(&["api-resources"]);
    for line in ["pods ", "deployments ", "customresourcedefinitions ", "horizontalpodautoscalers "] {
        assert!(out.contains(line), "api-resources lacks {line}");
    }
    let version = sim.ok(&["version", "-o", "json"]);
    assert!(version.contains("\"serverVersion\""), "{version}");
    // Events in the events.k8s.io API are the core Events, printed the same way.
    assert!(sim.ok(&["api-resources", "--api-group=events.k8s.io"]).contains("events.k8s.io/v1"));
    let events =
        sim.eventually(&["get", "events.v1.events.k8s.io", "-A"], Duration::from_secs(20), |t| t.contains("Scheduled"));
    assert!(events.lines().next().is_some_and(|h| h.contains("REASON") && h.contains("OBJECT")), "{events}");
}

#[test]
fn apply_client_side_then_server_side_with_dry_run_and_diff() {
    let sim = demo();
    assert!(sim.apply_text(DEPLOYMENT, &[]).contains("deployment.apps/web created"));
    assert!(sim.apply_text(DEPLOYMENT, &[]).contains("deployment.apps/web unchanged"));
    let scaled = DEPLOYMENT.replace("replicas: 2", "replicas: 3");
    assert!(sim.apply_text(&scaled, &["--dry-run=server"]).contains("configured (server dry run)"));
    assert_eq!(sim.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "2", "dry run changes nothing");

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("web.yaml");
    std::fs::write(&path, &scaled).unwrap();
    let path = path.display().to_string();
    let diff = sim.kubectl(&["diff", "-f", &path]);
    assert_eq!(diff.status.code(), Some(1), "diff exits 1 when there are differences");
    let text = String::from_utf8_lossy(&diff.stdout);
    assert!(text.contains("-  replicas: 2") && text.contains("+  replicas: 3"), "{text}");

    assert!(sim.ok(&["apply", "--server-side", "-f", &path]).contains("serverside-applied"));
    assert_eq!(sim.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "3");
    // Another manager changes replicas; applying our value again is a conflict until forced.
    sim.ok(&["scale", "deploy", "web", "--replicas=5"]);
    let err = sim.fails(&["apply", "--server-side", "-f", &path]);
    assert!(err.contains("conflict") && err.contains(".spec.replicas"), "{err}");
    sim.ok(&["apply", "--server-side", "--force-conflicts", "-f", &path]);
    assert_eq!(sim.ok(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]), "3");

    assert!(sim.ok(&["delete", "-f", &path]).contains("deleted"));
    let err = sim.fails(&["get", "deploy", "web"]);
    assert!(err.contains("deployments.apps \"web\" not found"), "{err}");
}

#[test]
fn rollout_status_waits_for_the_deployment() {
    let sim = demo();
    sim.apply_text(DEPLOYMENT, &[]);
    let out = sim.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    sim.ok(&["set", "image", "deployment/web", "nginx=nginx:1.28"]);
    let out = sim.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    assert!(out.contains("successfully rolled out"), "{out}");
    // Old pods may still be terminating right after the rollout, as on a real cluster; they go soon after.
    let images = ["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.containers[0].image}"];
    sim.eventually(&images, Duration::from_secs(20), |out| {
        !out.is_empty() && out.split_whitespace().all(|i| i == "nginx:1.28")
    });
}

#[test]
fn get_pods_watch_sees_new_pods() {
    let sim = demo();
    let mut child = sim
        .kubectl_cmd(&["get", "pods", "-n", "default", "-w", "--output-watch-events"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl runs");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    std::thread::sleep(Duration::from_millis(500));
    sim.ok(&["run", "watched", "--image=busybox:1.37", "--restart=Never", "--", "sleep", "3"]);
    let mut seen = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                let running = line.contains("watched") && line.contains("Running");
                seen.push(line);
                if running {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(_) => break,
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(seen.iter().any(|l| l.starts_with("ADDED") && l.contains("watched")), "{seen:#?}");
    assert!(seen.iter().any(|l| l.starts_with("MODIFIED") && l.contains("Running")), "{seen:#?}");
}

#[test]
fn logs_follow_streams_until_the_container_exits() {
    let sim = demo();
    sim.ok(&[
        "run",
        "trainer",
        "--image=ghcr.io/acme/train:1",
        "--restart=Never",
        // One simulated epoch = 10 s = 1 s of real time at the tests' time scale: long enough to follow.
        "--env=KUBESIM_EPOCH_SECONDS=10",
        "--",
        "--epochs=3",
        "--lr=0.01",
    ]);
    sim.eventually(&["get", "pod", "trainer", "-o", "jsonpath={.status.phase}"], Duration::from_secs(30), |p| {
        p == "Running" || p == "Succeeded"
    });
    let logs = sim.ok(&["logs", "-f", "trainer"]);
    assert!(logs.contains("epoch=1 loss=") && logs.contains("epoch=3 loss="), "{logs}");
    assert!(logs.contains("Training finished after 3 epochs"), "{logs}");
    let tail = sim.ok(&["logs", "trainer", "--tail=1"]);
    assert_eq!(tail.trim(), "Training finished after 3 epochs");
    sim.eventually(&["get", "pod", "trainer", "-o", "jsonpath={.status.phase}"], Duration::from_secs(10), |p| {
        p == "Succeeded"
    });
}

#[test]
fn wait_for_job_completion_and_delete() {
    let sim = demo();
    let job = r#"{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "hello", "namespace": "default"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "hello", "image": "busybox:1.37",
        "command": ["sh", "-c", "echo hello from a job; sleep 2"]}]}}}}"#;
    sim.apply_text(job, &[]);
    let out = sim.ok(&["wait", "--for=condition=complete", "job/hello", "--timeout=60s"]);
    assert!(out.contains("condition met"), "{out}");
    let logs = sim.ok(&["logs", "job/hello"]);
    assert!(logs.contains("hello from a job"), "{logs}");
    assert!(sim.ok(&["get", "job", "hello"]).contains("Complete"));
    assert!(sim.ok(&["delete", "job", "hello"]).contains("deleted"));
    sim.eventually(&["get", "pods", "-l", "job-name=hello", "-o", "name"], Duration::from_secs(20), |out| {
        out.trim().is_empty()
    });
}

#[test]
fn auth_can_i_and_the_restricted_user() {
    let sim = demo();
    assert_eq!(sim.ok(&["auth", "can-i", "create", "pods"]).trim(), "yes");
    let viewer = ["--context", "kubesim-viewer"];
    let no = sim.kubectl(&[&viewer[..], &["auth", "can-i", "create", "pods"]].concat());
    assert_eq!(String::from_utf8_lossy(&no.stdout).trim(), "no");
    assert_eq!(sim.ok(&[&viewer[..], &["auth", "can-i", "list", "pods", "-A"]].concat()).trim(), "yes");
    let err = sim.fails(&[&viewer[..], &["get", "nodes"]].concat());
    assert!(err.contains("nodes is forbidden: User \"kubesim-viewer\" cannot list resource \"nodes\" in API group \"\" at the cluster scope"), "{err}");
    let err = sim.fails(&[&viewer[..], &["delete", "deploy", "recsys-api", "-n", "ml-prod"]].concat());
    assert!(
        err.contains("cannot delete resource \"deployments\" in API group \"apps\" in the namespace \"ml-prod\""),
        "{err}"
    );
    let whoami = sim.ok(&[&viewer[..], &["auth", "whoami"]].concat());
    assert!(whoami.contains("kubesim-viewer"), "{whoami}");
}

#[test]
fn gpu_pod_that_cannot_fit_explains_why() {
    let sim = demo();
    let out =
        sim.eventually(&["describe", "pod", "llm-finetune-70b", "-n", "ml-research"], Duration::from_secs(20), |d| {
            d.contains("FailedScheduling")
        });
    assert!(out.contains("0/11 nodes are available:") && out.contains("Insufficient nvidia.com/gpu"), "{out}");
    assert!(out.contains("had untolerated taint {node-role.kubernetes.io/control-plane: }"), "{out}");
}

#[test]
fn crd_and_custom_resources_round_trip() {
    let sim = demo();
    sim.ok(&["apply", "-f", &fixture("training-operator.yaml")]);
    sim.ok(&["wait", "--for=condition=Established", "crd/tfjobs.kubeflow.org", "--timeout=30s"]);
    assert!(sim.ok(&["api-resources", "--api-group=kubeflow.org"]).contains("tfjobs"));
    let job = r#"{"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "idle", "namespace": "default", "labels": {"team": "a"}},
        "spec": {"runPolicy": {"suspend": true}, "tfReplicaSpecs": {"Worker": {"replicas": 1, "template": {"spec": {"containers": [{"name": "tensorflow", "image": "tensorflow/tensorflow:2.16.1"}]}}}}}}"#;
    sim.apply_text(job, &[]);
    let table = sim.eventually(&["get", "tfjobs"], Duration::from_secs(20), |t| t.contains("Suspended"));
    assert!(table.lines().next().is_some_and(|h| h.contains("STATE") && h.contains("AGE")), "{table}");
    assert_eq!(sim.ok(&["get", "tfjob", "idle", "-o", "jsonpath={.metadata.labels.team}"]), "a");
    sim.ok(&["label", "tfjob", "idle", "team=b", "--overwrite"]);
    assert_eq!(sim.ok(&["get", "tfjob", "idle", "-o", "jsonpath={.metadata.labels.team}"]), "b");
    sim.ok(&["delete", "crd", "tfjobs.kubeflow.org"]);
    // kubectl's discovery cache may still know the resource; either way the server no longer serves it.
    let err = sim.fails(&["get", "tfjobs"]);
    assert!(
        err.contains("the server doesn't have a resource type \"tfjobs\"")
            || err.contains("the server could not find the requested resource"),
        "{err}"
    );
}

#[test]
fn tfjob_runs_to_succeeded() {
    let sim = demo();
    sim.ok(&["apply", "-f", &fixture("training-operator.yaml")]);
    sim.ok(&["wait", "--for=condition=Established", "crd/tfjobs.kubeflow.org", "--timeout=30s"]);
    sim.ok(&["rollout", "status", "deployment/training-operator", "-n", "kubeflow", "--timeout=60s"]);
    sim.ok(&["apply", "-f", &fixture("tfjob.yaml")]);
    sim.ok(&["wait", "--for=condition=Succeeded", "tfjob/mnist", "--timeout=90s"]);
    let pods = sim.ok(&["get", "pods", "-l", "training.kubeflow.org/job-name=mnist", "-o", "name"]);
    assert_eq!(pods.lines().count(), 2, "{pods}");
    let tf_config = sim.ok(&[
        "get",
        "pod",
        "mnist-worker-1",
        "-o",
        "jsonpath={.spec.containers[0].env[?(@.name==\"TF_CONFIG\")].value}",
    ]);
    assert!(
        tf_config.contains("\"task\":{\"index\":1,\"type\":\"worker\"}") || tf_config.contains("\"type\":\"worker\""),
        "{tf_config}"
    );
    let logs = sim.ok(&["logs", "mnist-worker-0"]);
    assert!(logs.contains("epoch=3 loss="), "{logs}");
    let status = sim.ok(&["get", "tfjob", "mnist", "-o", "jsonpath={.status.replicaStatuses.Worker.succeeded}"]);
    assert_eq!(status, "2");
}

#[test]
fn pytorchjob_ranks_and_a_failing_tfjob() {
    let sim = demo();
    sim.ok(&["apply", "-f", &fixture("training-operator.yaml")]);
    sim.ok(&["wait", "--for=condition=Established", "crd/pytorchjobs.kubeflow.org", "--timeout=30s"]);
    sim.ok(&["rollout", "status", "deployment/training-operator", "-n", "kubeflow", "--timeout=60s"]);
    sim.ok(&["apply", "-f", &fixture("pytorchjob.yaml")]);
    sim.ok(&["wait", "--for=condition=Succeeded", "pytorchjob/resnet", "--timeout=90s"]);
    let env = |pod: &str, name: &str| {
        sim.ok(&[
            "get",
            "pod",
            pod,
            "-o",
            &format!("jsonpath={{.spec.containers[0].env[?(@.name==\"{name}\")].value}}"),
        ])
    };
    assert_eq!(env("resnet-master-0", "RANK"), "0");
    assert_eq!(env("resnet-worker-1", "RANK"), "2");
    assert_eq!(env("resnet-worker-1", "WORLD_SIZE"), "3");
    assert_eq!(env("resnet-worker-0", "MASTER_ADDR"), "resnet-master-0");

    let failing =
        std::fs::read_to_string(fixture("tfjob.yaml")).unwrap().replace("name: mnist", "name: broken").replace(
            "{name: KUBESIM_EPOCH_SECONDS, value: \"0.5\"}",
            "{name: KUBESIM_EPOCH_SECONDS, value: \"0.5\"}\n            - {name: KUBESIM_FAIL_AT_EPOCH, value: \"2\"}",
        );
    sim.apply_text(&failing, &[]);
    sim.ok(&["wait", "--for=condition=Failed", "tfjob/broken", "--timeout=90s"]);
    let message =
        sim.ok(&["get", "tfjob", "broken", "-o", "jsonpath={.status.conditions[?(@.type==\"Failed\")].message}"]);
    assert!(message.contains("Worker replica(s) failed"), "{message}");
    let logs = sim.ok(&["logs", "broken-worker-0"]);
    assert!(logs.contains("RuntimeError: training failed at epoch 2"), "{logs}");
}

/// `kubectl port-forward` (SPDY tunnelled through a WebSocket) reaches a model server's REST API, and a port nothing
/// listens on is reported as kubectl reports it on a real cluster.
#[test]
fn kubectl_port_forward_reaches_a_model_server() {
    use std::io::{BufRead, BufReader, Read, Write};
    let sim = demo();
    sim.apply_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: resnet, namespace: default}\nspec:\n  containers:\n  - {name: serving, image: tensorflow/serving:2.15.0, args: [--model_name=resnet]}\n",
        &[],
    );
    sim.ok(&["wait", "--for=condition=Ready", "pod/resnet", "--timeout=30s"]);
    let mut child = sim
        .kubectl_cmd(&["port-forward", "pod/resnet", ":8501"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl port-forward");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let first = lines.next().and_then(Result::ok).unwrap_or_default();
    // "Forwarding from 127.0.0.1:41234 -> 8501"
    let port: u16 = first
        .split(" -> ")
        .next()
        .and_then(|s| s.rsplit(':').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no local port in {first:?}"));
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(10))).expect("timeout");
    conn.write_all(b"GET /v1/models/resnet HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").expect("send");
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("\"AVAILABLE\""), "{answer}");
}

/// Typed `kubectl create …` sends protobuf; the objects arrive whole, zero values left out as in JSON.
#[test]
fn kubectl_create_sends_protobuf_and_it_is_understood() {
    let sim = demo();
    sim.ok(&["create", "namespace", "shop"]);
    sim.ok(&["create", "configmap", "settings", "-n", "shop", "--from-literal=mode=fast"]);
    sim.ok(&["create", "secret", "generic", "token", "-n", "shop", "--from-literal=key=s3cret"]);
    sim.ok(&["create", "serviceaccount", "robot", "-n", "shop"]);
    sim.ok(&["create", "deployment", "web", "-n", "shop", "--image=nginx:1.27", "--port=80", "--replicas=2"]);
    sim.ok(&["create", "service", "clusterip", "web", "-n", "shop", "--tcp=80:8080"]);
    sim.ok(&["create", "job", "once", "-n", "shop", "--image=busybox:1.37", "--", "echo", "hi"]);
    sim.ok(&["create", "cronjob", "nightly", "-n", "shop", "--image=busybox:1.37", "--schedule=0 3 * * *"]);
    let get = |args: &[&str]| sim.ok(&[&["-n", "shop", "get"], args].concat());
    assert_eq!(get(&["configmap", "settings", "-o", "jsonpath={.data.mode}"]), "fast");
    assert_eq!(get(&["secret", "token", "-o", "jsonpath={.data.key}"]), "czNjcmV0");
    assert_eq!(
        get(&[
            "deployment",
            "web",
            "-o",
            "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].ports[0].containerPort}"
        ]),
        "2 nginx:1.27 80"
    );
    assert_eq!(
        get(&["service", "web", "-o", "jsonpath={.spec.ports[0].port}->{.spec.ports[0].targetPort}"]),
        "80->8080"
    );
    assert_eq!(get(&["job", "once", "-o", "jsonpath={.spec.template.spec.containers[0].command}"]), r#"["echo","hi"]"#);
    assert_eq!(get(&["cronjob", "nightly", "-o", "jsonpath={.spec.schedule}"]), "0 3 * * *");
    sim.ok(&["rollout", "status", "deployment/web", "-n", "shop", "--timeout=60s"]);
}

/// Objects of odd shapes: what the real decoder refuses is refused with its message, what it accepts is served,
/// and a custom resource no controller expected is skipped with a Warning — while the controllers go on
/// reconciling everything else.
#[test]
fn hostile_objects_neither_crash_the_server_nor_stop_its_controllers() {
    let sim = demo();
    let file = |name: &str, text: &str| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        (dir, path.display().to_string())
    };

    let (_d, cm) =
        file("cm.json", r#"{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "odd"}, "data": "x"}"#);
    let err = sim.fails(&["create", "-f", &cm]);
    assert!(
        err.contains("cannot unmarshal string into Go struct field ConfigMap.data of type map[string]string"),
        "{err}"
    );

    // null is "not set": a Job whose template has no metadata runs like any other.
    let (_d, job) = file(
        "job.json",
        r#"{"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "nulls"},
            "spec": {"template": {"metadata": null, "spec": {"restartPolicy": "Never",
              "containers": [{"name": "c", "image": "busybox:1.37", "command": ["sh", "-c", "echo ok"]}]}}}}"#,
    );
    sim.ok(&["create", "-f", &job]);

    let labels: serde_json::Map<String, serde_json::Value> =
        (0..10_000).map(|i| (format!("l{i}"), serde_json::Value::from(format!("v{i}")))).collect();
    let crowded = serde_json::json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "crowded", "labels": labels},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.37", "command": ["sleep", "infinity"]}]}});
    let (_d, pod) = file("pod.json", &crowded.to_string());
    sim.ok(&["create", "-f", &pod]);
    sim.ok(&["wait", "--for=condition=Ready", "pod/crowded", "--timeout=60s"]);
    let huge = r#"{"status": {"containerStatuses": [{"name": "c", "restartCount": 99999999999}]}}"#;
    let err = sim.fails(&["patch", "pod", "crowded", "--subresource=status", "--type=merge", "-p", huge]);
    assert!(err.contains("cannot unmarshal number 99999999999") && err.contains("of type int32"), "{err}");

    // A TFJob whose replica template is a string: the training operator skips it, says so, and runs the next one.
    sim.ok(&["apply", "-f", &fixture("training-operator.yaml")]);
    sim.ok(&["wait", "--for=condition=Established", "crd/tfjobs.kubeflow.org", "--timeout=30s"]);
    sim.ok(&["rollout", "status", "deployment/training-operator", "-n", "kubeflow", "--timeout=60s"]);
    let (_d, bad) = file(
        "bad.json",
        r#"{"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "bad", "namespace": "default"},
            "spec": {"tfReplicaSpecs": {"Worker": {"replicas": 1, "template": "x"}}}}"#,
    );
    sim.ok(&["create", "-f", &bad]);
    sim.ok(&["apply", "-f", &fixture("tfjob.yaml")]);
    sim.ok(&["wait", "--for=condition=Succeeded", "tfjob/mnist", "--timeout=90s"]);
    sim.eventually(
        &[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=bad,type=Warning",
            "-o",
            "jsonpath={.items[*].reason}",
        ],
        Duration::from_secs(30),
        |t| t.contains("ReconcileError"),
    );

    sim.ok(&["wait", "--for=condition=Complete", "job/nulls", "--timeout=60s"]);
    sim.apply_text(DEPLOYMENT, &[]);
    sim.ok(&["rollout", "status", "deployment/web", "--timeout=60s"]);
    assert!(sim.ok(&["get", "--raw", "/readyz"]).contains("ok"));
}

/// A ResourceQuota on GPUs: a pod past it is refused with the API server's words and numbers, one within it runs, and
/// the quota's `status.used` follows; a Job's pod past it leaves the Job a FailedCreate event saying so.
#[test]
fn resource_quotas_refuse_pods_past_them_in_the_servers_words() {
    let sim = demo();
    sim.ok(&["create", "namespace", "team-a"]);
    sim.apply_text(
        "apiVersion: v1\nkind: ResourceQuota\nmetadata: {name: gpu-quota, namespace: team-a}\nspec:\n  hard: {requests.nvidia.com/gpu: \"4\", pods: \"10\"}\n",
        &[],
    );
    let pod = |name: &str, gpus: u32| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: team-a}}\nspec:\n  containers:\n  - name: train\n    image: pytorch/pytorch:2.5.1\n    resources:\n      limits: {{nvidia.com/gpu: \"{gpus}\"}}\n"
        )
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let big = dir.path().join("big.yaml");
    std::fs::write(&big, pod("big", 8)).expect("write");
    let err = sim.fails(&["create", "-f", &big.display().to_string()]);
    assert!(
        err.contains(
            "pods \"big\" is forbidden: exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=8, used: requests.nvidia.com/gpu=0, limited: requests.nvidia.com/gpu=4"
        ),
        "{err}"
    );
    sim.apply_text(&pod("small", 3), &[]);
    sim.eventually(
        &["get", "resourcequota", "gpu-quota", "-n", "team-a", "-o", "jsonpath={.status.used}"],
        Duration::from_secs(20),
        |out| out.contains("\"requests.nvidia.com/gpu\":\"3\"") && out.contains("\"pods\":\"1\""),
    );
    let two = dir.path().join("two.yaml");
    std::fs::write(&two, pod("two", 2)).expect("write");
    let err = sim.fails(&["create", "-f", &two.display().to_string()]);
    assert!(
        err.contains(
            "requested: requests.nvidia.com/gpu=2, used: requests.nvidia.com/gpu=3, limited: requests.nvidia.com/gpu=4"
        ),
        "{err}"
    );
    // A controller's pod past the quota: the Job says why it has none.
    sim.apply_text(
        "apiVersion: batch/v1\nkind: Job\nmetadata: {name: greedy, namespace: team-a}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: train\n        image: pytorch/pytorch:2.5.1\n        resources: {limits: {nvidia.com/gpu: \"2\"}}\n",
        &[],
    );
    sim.eventually(
        &[
            "get",
            "events",
            "-n",
            "team-a",
            "--field-selector",
            "reason=FailedCreate",
            "-o",
            "jsonpath={.items[*].message}",
        ],
        Duration::from_secs(30),
        |out| out.contains("Error creating: pods \"greedy-") && out.contains("exceeded quota: gpu-quota"),
    );
}

/// Priority and preemption: a pod of a higher PriorityClass that fits only if a lower one leaves gets it preempted
/// (the `Preempted` event naming the preemptor, a `DisruptionTarget` condition, a graceful delete) and then runs; the
/// pod that takes only a little is spared. A class that does not exist refuses the pod.
#[test]
fn a_higher_priority_pod_preempts_a_lower_one_like_the_real_scheduler() {
    let sim = demo();
    sim.apply_text(
        "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: best-effort}\nvalue: 100\n---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: research-critical}\nvalue: 1000\n",
        &[],
    );
    let pod = |name: &str, class: &str, gpus: u32| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, namespace: default}}\nspec:\n  priorityClassName: {class}\n  nodeSelector: {{kubernetes.io/hostname: gpu-mi300x-1}}\n  tolerations: [{{key: amd.com/gpu, operator: Exists, effect: NoSchedule}}]\n  containers:\n  - name: c\n    image: rocm/pytorch:latest\n    resources: {{limits: {{amd.com/gpu: \"{gpus}\"}}}}\n"
        )
    };
    // The fleet already runs a 2-GPU pod of priority 0 there; the notebook takes the other 6.
    sim.apply_text(&pod("intern-notebook", "best-effort", 6), &[]);
    sim.eventually(
        &["get", "pod", "intern-notebook", "-o", "jsonpath={.spec.nodeName}"],
        Duration::from_secs(20),
        |n| n == "gpu-mi300x-1",
    );
    assert_eq!(sim.ok(&["get", "pod", "intern-notebook", "-o", "jsonpath={.spec.priority}"]), "100");
    sim.apply_text(&pod("deadline-job", "research-critical", 4), &[]);
    let uid = sim.ok(&["get", "pod", "deadline-job", "-o", "jsonpath={.metadata.uid}"]);
    let preempted = sim.eventually(
        &["get", "events", "--field-selector", "reason=Preempted", "-o", "jsonpath={.items[*].message}"],
        Duration::from_secs(30),
        |out| !out.is_empty(),
    );
    assert_eq!(preempted, format!("Preempted by pod {uid} on node gpu-mi300x-1"));
    sim.eventually(&["get", "pod", "deadline-job", "-o", "jsonpath={.spec.nodeName}"], Duration::from_secs(60), |n| {
        n == "gpu-mi300x-1"
    });
    let gone = sim.kubectl(&["get", "pod", "intern-notebook"]);
    assert!(!gone.status.success(), "the preempted pod is deleted");
    // Only the notebook was preempted: the fleet's 2-GPU pod fits beside the job.
    assert_eq!(preempted.matches("Preempted by").count(), 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("nope.yaml");
    std::fs::write(&path, pod("nope", "no-such-class", 1)).expect("write");
    let err = sim.fails(&["create", "-f", &path.display().to_string()]);
    assert!(err.contains("pods \"nope\" is forbidden: no PriorityClass with name no-such-class was found"), "{err}");
}

#[test]
fn a_node_registered_with_its_status_keeps_it_and_takes_pods() {
    let sim = start(kubesim::Fleet::Empty, 10.0);
    let node = r#"
apiVersion: v1
kind: Node
metadata:
  name: gpu-extra-1
  labels: {kubernetes.io/hostname: gpu-extra-1, nvidia.com/gpu.product: NVIDIA-H100-80GB-HBM3}
status:
  capacity: {cpu: "96", memory: 1Ti, pods: "110", nvidia.com/gpu: "8"}
  allocatable: {cpu: "96", memory: 1Ti, pods: "110", nvidia.com/gpu: "8"}
  conditions: [{type: Ready, status: "True", reason: KubeletReady, message: kubelet is posting ready status}]
"#;
    sim.apply_text(node, &[]);
    let gpus = sim.ok(&["get", "node", "gpu-extra-1", "-o", "jsonpath={.status.allocatable.nvidia\\.com/gpu}"]);
    assert_eq!(gpus, "8");
    sim.ok(&["run", "cuda", "--image=nvidia/cuda:12.4.1-base", "--overrides", r#"{"spec":{"containers":[{"name":"cuda","image":"nvidia/cuda:12.4.1-base","resources":{"limits":{"nvidia.com/gpu":"8"}}}]}}"#]);
    sim.eventually(&["get", "pod", "cuda", "-o", "jsonpath={.spec.nodeName}"], Duration::from_secs(20), |n| {
        n == "gpu-extra-1"
    });
}
