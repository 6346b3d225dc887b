use std::time::Duration;

use bosun::cluster::forward::{self, Forwarder, Target};
use bosun::cluster::serving as servers;
use bosun::resources::serving::ModelServerRow;
use bosun::workloads::serving::{self, Autoscale, ModelSource, Runtime, ServingSpec, VersionPolicy};
use serde_json::Value;

use crate::training::{bosun, job_file};
use crate::util::{Sim, start_sim};

fn client(sim: &Sim) -> kube::Client {
    sim.runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(sim.server.kubeconfig_path()).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        kube::Client::try_from(config).expect("client")
    })
}

fn spec(name: &str) -> ServingSpec {
    ServingSpec {
        name: name.into(),
        model_name: name.into(),
        source: ModelSource::Uri(format!("gs://models/{name}")),
        replicas: 2,
        ..Default::default()
    }
}

/// Applies a spec and waits for every replica to be available.
fn deploy(sim: &Sim, client: &kube::Client, spec: &ServingSpec) -> ModelServerRow {
    sim.runtime.block_on(async {
        servers::apply(client, &serving::objects(spec), false).await.expect("applied");
        servers::wait_available(client, &spec.namespace, &spec.name, Duration::from_secs(60), |_| {})
            .await
            .expect("available")
    })
}

/// Waits until the server's row satisfies `done`.
fn wait_row(
    sim: &Sim,
    client: &kube::Client,
    name: &str,
    what: &str,
    done: impl Fn(&ModelServerRow) -> bool,
) -> ModelServerRow {
    sim.runtime.block_on(async {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            let row = servers::get(client, "default", name).await;
            if let Ok(row) = &row
                && done(row)
            {
                return row.clone();
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}: {row:#?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

fn predict(sim: &Sim, client: &kube::Client, server: &str, model: &str, port: u16, body: &str) -> forward::Reply {
    sim.runtime.block_on(async {
        let forward = Forwarder::new(client.clone(), "default", Target::Server(server.into()), port);
        forward.request("POST", &format!("/v1/models/{model}:predict"), Some(body)).await.expect("answered")
    })
}

#[test]
fn a_tf_serving_server_from_the_form_rolls_out_autoscales_and_answers_through_the_forward() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    let spec = ServingSpec { autoscale: Some(Autoscale { min: 2, max: 5, cpu_percent: 60 }), ..spec("resnet") };
    let row = deploy(&sim, &client, &spec);
    assert_eq!((row.state.as_str(), row.ready_text().as_str()), ("Available", "2/2"));
    let hpa = row.hpa.clone().expect("the autoscaler is listed with its server");
    assert_eq!((hpa.min, hpa.max, hpa.cpu_target), (2, 5, Some(60)));

    let status = sim.runtime.block_on(async {
        let forward = Forwarder::new(client.clone(), "default", Target::Server("resnet".into()), 8501);
        forward.request("GET", "/v1/models/resnet", None).await.expect("status")
    });
    assert_eq!(status.status, 200);
    let status: Value = serde_json::from_str(&status.body).expect("JSON");
    assert_eq!(status.pointer("/model_version_status/0/state"), Some(&Value::from("AVAILABLE")));

    let reply =
        predict(&sim, &client, "resnet", "resnet", 8501, r#"{"instances": [[1.0, 2.0, 5.0], [3.0, 4.0, 1.0]]}"#);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let answer: Value = serde_json::from_str(&reply.body).expect("JSON");
    let predictions = answer["predictions"].as_array().expect("predictions");
    assert_eq!(predictions.len(), 2);
    let sum: f64 = predictions[0].as_array().expect("scores").iter().filter_map(Value::as_f64).sum();
    assert!((sum - 1.0).abs() < 1e-3, "class scores sum to one: {sum}");

    // The server's own errors come back as they are.
    let bad = predict(&sim, &client, "resnet", "resnet", 8501, r#"{"inputs_missing": 1}"#);
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("instances"), "{}", bad.body);
    let unknown = predict(&sim, &client, "resnet", "inception", 8501, r#"{"instances": [[1.0]]}"#);
    assert_eq!(unknown.status, 404);

    // A port nothing listens on is refused in words.
    let refused = sim.runtime.block_on(async {
        let forward = Forwarder::new(client.clone(), "default", Target::Server("resnet".into()), 9999);
        forward.request("GET", "/", None).await
    });
    assert!(refused.is_err(), "nothing listens on 9999: {refused:?}");

    // The load test goes through the same forward.
    let report = sim.runtime.block_on(async {
        let forward = Forwarder::new(client.clone(), "default", Target::Server("resnet".into()), 8501);
        forward::load_test(
            &forward,
            "POST",
            "/v1/models/resnet:predict",
            Some(r#"{"instances": [[1.0]]}"#),
            300,
            8,
            |_| {},
        )
        .await
        .expect("load test")
    });
    assert_eq!((report.ok, report.failed), (300, 0));
    assert!(report.percentile(0.5) <= report.percentile(0.99));
}

#[test]
fn a_new_version_rolls_out_and_rolls_back_and_a_canary_is_promoted_or_aborted() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    let spec = ServingSpec { versions: VersionPolicy::Specific(vec![1]), ..spec("flowers") };
    deploy(&sim, &client, &spec);

    // A new version: a rolling update, then the server serves version 2 only.
    sim.runtime.block_on(async {
        servers::update(
            &client,
            "default",
            "flowers",
            Some("tensorflow/serving:2.16.1"),
            Some(&VersionPolicy::Specific(vec![2])),
        )
        .await
        .expect("updated")
    });
    let row = wait_row(&sim, &client, "flowers", "the roll-out of version 2", |r| {
        r.state == "Available" && r.version == "2" && r.stable.as_ref().is_some_and(|s| s.revision == 2)
    });
    assert_eq!(row.image, "tensorflow/serving:2.16.1");
    let v2 = sim.runtime.block_on(async {
        let forward = Forwarder::new(client.clone(), "default", Target::Server("flowers".into()), 8501);
        forward.request("GET", "/v1/models/flowers/versions/2", None).await.expect("status")
    });
    assert_eq!(v2.status, 200, "{}", v2.body);

    // Back to the previous revision: its image again, as revision 3.
    let to = sim.runtime.block_on(servers::rollback(&client, "default", "flowers")).expect("rolled back");
    assert_eq!(to, 1);
    let row = wait_row(&sim, &client, "flowers", "the rollback", |r| {
        r.state == "Available" && r.stable.as_ref().is_some_and(|s| s.revision == 3)
    });
    assert_eq!((row.image.as_str(), row.version.as_str()), ("tensorflow/serving:2.15.0", "1"));

    // A canary of version 3 beside stable: one Service, traffic by replicas.
    sim.runtime
        .block_on(async {
            servers::start_canary(&client, "default", "flowers", None, Some(&VersionPolicy::Specific(vec![3])), 1)
                .await?;
            servers::set_split(&client, "default", "flowers", 3, 1).await
        })
        .expect("canary started");
    let row = wait_row(&sim, &client, "flowers", "the canary", |r| r.state == "Canary" && r.ready == 4);
    assert_eq!(row.canary_share(), Some(25.0));
    assert_eq!(row.canary.as_ref().map(|c| c.version.as_str()), Some("3"));
    let canary_answers = sim.runtime.block_on(async {
        let forward =
            Forwarder::new(client.clone(), "default", Target::Pod(canary_pod(&client, "flowers").await), 8501);
        forward.request("GET", "/v1/models/flowers/versions/3", None).await.expect("status")
    });
    assert_eq!(canary_answers.status, 200, "the canary serves version 3: {}", canary_answers.body);

    // Promote: stable takes version 3, the canary goes.
    sim.runtime.block_on(servers::promote(&client, "default", "flowers")).expect("promoted");
    let row = wait_row(&sim, &client, "flowers", "the promotion", |r| {
        r.canary.is_none() && r.state == "Available" && r.version == "3"
    });
    assert!(row.stable.is_some());

    // Abort: a canary of another image leaves stable as it was.
    sim.runtime
        .block_on(servers::start_canary(&client, "default", "flowers", Some("tensorflow/serving:2.17.0"), None, 1))
        .expect("second canary");
    wait_row(&sim, &client, "flowers", "the second canary", |r| r.canary.is_some());
    sim.runtime.block_on(servers::abort_canary(&client, "default", "flowers")).expect("aborted");
    let row = wait_row(&sim, &client, "flowers", "the abort", |r| r.canary.is_none() && r.state == "Available");
    assert_eq!((row.image.as_str(), row.version.as_str()), ("tensorflow/serving:2.15.0", "3"));
}

async fn canary_pod(client: &kube::Client, server: &str) -> String {
    let pods = servers::pods(client, "default", server).await.expect("pods");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let pods = servers::pods(client, "default", server).await.unwrap_or_else(|_| pods.clone());
        if let Some(p) = pods.iter().find(|p| {
            servers::is_ready(p)
                && p.metadata.labels.as_ref().and_then(|l| l.get("bosun.dev/track")).map(String::as_str)
                    == Some("canary")
        }) {
            return p.metadata.name.clone().unwrap_or_default();
        }
        assert!(std::time::Instant::now() < deadline, "no ready canary pod");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[test]
fn scikit_learn_and_xgboost_servers_answer_the_v1_protocol() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    for (runtime, name) in [(Runtime::Sklearn, "iris"), (Runtime::Xgboost, "churn")] {
        let spec = ServingSpec {
            runtime,
            image: runtime.default_image().into(),
            rest_port: serving::default_rest_port(runtime),
            replicas: 1,
            ..spec(name)
        };
        let row = deploy(&sim, &client, &spec);
        assert_eq!(row.runtime, runtime.label());
        let reply = predict(&sim, &client, name, name, 8080, r#"{"instances": [[6.8, 2.8, 4.8, 1.4]]}"#);
        assert_eq!(reply.status, 200, "{}", reply.body);
        let answer: Value = serde_json::from_str(&reply.body).expect("JSON");
        let first = &answer["predictions"][0];
        match runtime {
            Runtime::Sklearn => assert!(first.is_u64(), "a class: {first}"),
            _ => assert!(first.as_f64().is_some_and(|p| (0.0..=1.0).contains(&p)), "a probability: {first}"),
        }
    }
}

#[test]
fn a_roll_out_that_cannot_progress_is_reported_stalled_with_the_reason() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    let spec =
        ServingSpec { accelerator: Some("nvidia.com/gpu".into()), accelerators: 64, replicas: 1, ..spec("huge") };
    let mut objects = serving::objects(&spec);
    objects[0]["spec"]["progressDeadlineSeconds"] = Value::from(5);
    let error = sim.runtime.block_on(async {
        servers::apply(&client, &objects, false).await.expect("applied");
        servers::wait_available(&client, "default", "huge", Duration::from_secs(60), |_| {}).await
    });
    let message = error.expect_err("it never becomes available").to_string();
    assert!(message.contains("ProgressDeadlineExceeded") && message.contains("timed out progressing"), "{message}");
    let no_pod = sim.runtime.block_on(async {
        Forwarder::new(client.clone(), "default", Target::Server("huge".into()), 8501).request("GET", "/", None).await
    });
    let text = no_pod.expect_err("no pod is ready").to_string();
    assert!(text.contains("no ready pod") && text.contains("Pending"), "{text}");
}

#[test]
fn the_cli_serves_lists_and_predicts() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let kubeconfig = sim.server.kubeconfig_path().display().to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let file = job_file(
        &dir,
        "mnist.yaml",
        "name: mnist\nmodel_name: mnist\nsource:\n  uri: gs://models/mnist\nreplicas: 1\nautoscale: {min: 1, max: 3, cpu_percent: 70}\n",
    );
    let out = bosun(&["serve", &file, "--wait", "--timeout", "60s", "--kubeconfig", &kubeconfig]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "serve: {}{stdout}", String::from_utf8_lossy(&out.stderr));
    assert!(
        stdout.contains("Deployment/default/mnist") && stdout.contains("HorizontalPodAutoscaler/default/mnist"),
        "{stdout}"
    );
    assert!(stdout.contains("default/mnist is available"), "{stdout}");

    let out = bosun(&["servers", "-o", "json", "--kubeconfig", &kubeconfig]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let mnist = rows.as_array().and_then(|r| r.iter().find(|r| r["name"] == "mnist")).expect("listed");
    assert_eq!((mnist["ready"].as_i64(), mnist["hpa"]["max"].as_i64()), (Some(1), Some(3)));
    let table = bosun(&["servers", "--kubeconfig", &kubeconfig]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("TensorFlow Serving"));

    let out = bosun(&["predict", "mnist", "--json", r#"{"instances": [[0.5, 0.25]]}"#, "--kubeconfig", &kubeconfig]);
    assert!(out.status.success(), "predict: {}", String::from_utf8_lossy(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).expect("the server's JSON");
    assert_eq!(answer["predictions"].as_array().map(Vec::len), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("latency:"));

    let bad = bosun(&["predict", "mnist", "--json", "{instances", "--kubeconfig", &kubeconfig]);
    assert_eq!(bad.status.code(), Some(2), "bad JSON is bad input");
    let missing = bosun(&["predict", "nope", "--json", r#"{"instances": []}"#, "--kubeconfig", &kubeconfig]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no model server nope"));
    let wrong_model = bosun(&[
        "predict",
        "mnist",
        "--model",
        "other",
        "--json",
        r#"{"instances": [[1]]}"#,
        "--kubeconfig",
        &kubeconfig,
    ]);
    assert_eq!(wrong_model.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong_model.stderr).contains("HTTP 404"));
}

#[test]
fn bosun_forward_serves_a_local_port_until_stopped() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    deploy(&sim, &client, &ServingSpec { replicas: 1, ..spec("echo") });
    let (bound, _task) = sim.runtime.block_on(async {
        let forward = Forwarder::new(client.clone(), "default", Target::Service("echo".into()), 8501);
        forward.listen(([127, 0, 0, 1], 0).into()).await.expect("listening")
    });
    // Any HTTP client reaches the model through the local port.
    let get = |bound: std::net::SocketAddr| {
        sim.runtime.block_on(async {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            let mut socket = tokio::net::TcpStream::connect(bound).await.expect("connect");
            socket
                .write_all(b"GET /v1/models/echo HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n")
                .await
                .expect("write");
            let mut text = String::new();
            let _ = socket.read_to_string(&mut text).await;
            text
        })
    };
    let answer = get(bound);
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("AVAILABLE"), "{answer}");

    // The pod goes (a restart, a roll-out): the same forward reaches its replacement once it is ready.
    let old: Vec<String> = sim
        .runtime
        .block_on(servers::pods(&client, "default", "echo"))
        .expect("pods")
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    sim.runtime.block_on(async {
        let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client.clone(), "default");
        for name in &old {
            pods.delete(name, &kube::api::DeleteParams::background().grace_period(0)).await.expect("deleted");
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let answer = get(bound);
        if answer.starts_with("HTTP/1.1 200") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the forward never reached the new pod: {answer:?}");
        std::thread::sleep(Duration::from_millis(300));
    }
    let now: Vec<String> = sim
        .runtime
        .block_on(servers::pods(&client, "default", "echo"))
        .expect("pods")
        .iter()
        .filter(|p| servers::is_ready(p))
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    assert!(now.iter().all(|n| !old.contains(n)), "a new pod answers: {now:?} (old {old:?})");
}

#[test]
fn bosun_forward_prints_where_it_listens_and_forwards_until_killed() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    deploy(&sim, &client, &ServingSpec { replicas: 1, ..spec("cli") });
    let kubeconfig = sim.server.kubeconfig_path().display().to_string();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_bosun"))
        .args(["forward", "svc/cli", ":8501", "--kubeconfig", &kubeconfig])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("bosun forward runs");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(child.stdout.take().expect("stdout")), &mut line)
        .expect("its first line");
    // "Forwarding from 127.0.0.1:PORT -> 8501 (svc/cli in default, now pod … port 8501)"
    let address: std::net::SocketAddr = line
        .strip_prefix("Forwarding from ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("where it listens: {line:?}"));
    let answer = sim.runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(address).await.expect("connect");
        socket.write_all(b"GET /v1/models/cli HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n").await.expect("write");
        let mut text = String::new();
        let _ = socket.read_to_string(&mut text).await;
        text
    });
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200") && answer.contains("AVAILABLE"), "{answer}");
    let none = bosun(&["forward", "svc/nothing", "9000:80", "--kubeconfig", &kubeconfig]);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&none.stderr).contains("services \"nothing\" not found"),
        "{}",
        String::from_utf8_lossy(&none.stderr)
    );
}
