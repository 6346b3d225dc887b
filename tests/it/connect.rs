use bosun::state::Connection;
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::util::{app, wait_for};

/// A simulated cluster on its own runtime, kept alive for the test.
struct Sim {
    server: kubesim::ServerHandle,
    _runtime: tokio::runtime::Runtime,
}

fn sim() -> Sim {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("runtime");
    let config = kubesim::Config { fleet: kubesim::Fleet::Empty, ..Default::default() };
    let server = runtime.block_on(kubesim::start(config)).expect("kubesim starts");
    Sim { server, _runtime: runtime }
}

#[test]
fn connects_and_shows_who_i_am_and_what_i_may_do() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let mut harness = app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "connection", |s| matches!(s.connection, Connection::Connected(_)));
    let Connection::Connected(info) = &harness.state().state().connection else { unreachable!() };
    assert_eq!(info.user, "kubesim-admin");
    assert!(info.version.starts_with("v1."));
    assert!(info.permissions.iter().all(|p| p.allowed));
    wait_for(&mut harness, "first sync", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    harness.get_by_label_contains("Synced · v1.");

    // The restricted user (picked in the top bar): connected, but may not see nodes or install anything.
    harness.get_by_role_and_label(Role::ComboBox, "Context").click();
    harness.run_steps(2);
    // The popup's entry (the Overview's context table lists the same name).
    let entries: Vec<_> = harness.get_all_by_role_and_label(Role::Button, "kubesim-viewer").collect();
    entries.last().expect("the context is offered").click();
    wait_for(
        &mut harness,
        "viewer connection",
        |s| matches!(&s.connection, Connection::Connected(i) if i.user == "kubesim-viewer"),
    );
    let Connection::Connected(info) = &harness.state().state().connection else { unreachable!() };
    let allowed = |label: &str| info.permissions.iter().find(|p| p.label == label).map(|p| p.allowed);
    assert_eq!(allowed("See nodes and GPUs"), Some(false));
    assert_eq!(allowed("See pods in all namespaces"), Some(true));
    assert_eq!(allowed("Install the ML stack (CRDs)"), Some(false));
    harness.get_by_label("See nodes and GPUs (not allowed)");
}

#[test]
fn an_unreachable_server_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!("apiVersion: v1\nkind: Config\ncurrent-context: gone\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: gone\n  context: {{cluster: c, user: u}}\n"),
    )
    .unwrap();
    let mut harness = app(dir.path(), kubeconfig);
    wait_for(&mut harness, "failure", |s| matches!(s.connection, Connection::Failed { .. }));
    let Connection::Failed { message, .. } = &harness.state().state().connection else { unreachable!() };
    assert!(
        message.contains("could not reach http://127.0.0.1") && message.contains("Check that the cluster is running"),
        "{message}"
    );
    harness.get_by_label("Retry");
}

#[test]
fn a_rejected_token_is_explained() {
    let sim = sim();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    let text = sim.server.kubeconfig_yaml().replace(sim.server.admin_token(), "expired-token");
    std::fs::write(&kubeconfig, text).unwrap();
    let mut harness = app(dir.path(), kubeconfig);
    wait_for(&mut harness, "failure", |s| matches!(s.connection, Connection::Failed { .. }));
    let Connection::Failed { message, .. } = &harness.state().state().connection else { unreachable!() };
    assert!(message.contains("401 Unauthorized") && message.contains("Log in again"), "{message}");
}

#[test]
fn without_contexts_the_demo_cluster_is_one_click_away() {
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("empty-kubeconfig");
    std::fs::write(&empty, "apiVersion: v1\nkind: Config\n").expect("write");
    let mut harness = app(dir.path(), empty);
    wait_for(&mut harness, "kubeconfig", |s| matches!(s.contexts, bosun::state::Contexts::Ready(_)));
    harness.get_by_label("Try the demo cluster").click();
    wait_for(
        &mut harness,
        "demo connection",
        |s| matches!(&s.connection, Connection::Connected(i) if i.context == "kubesim-admin"),
    );
    wait_for(&mut harness, "demo nodes", |s| s.cluster.as_ref().is_some_and(|c| c.ledger.len() == 11));
}

#[test]
fn a_missing_client_certificate_names_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\ncurrent-context: certs\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {client-certificate: /nonexistent/client.crt, client-key: /nonexistent/client.key}\ncontexts:\n- name: certs\n  context: {cluster: c, user: u}\n",
    )
    .expect("write");
    let mut harness = app(dir.path(), kubeconfig);
    wait_for(&mut harness, "failure", |s| matches!(s.connection, Connection::Failed { .. }));
    let Connection::Failed { message, .. } = &harness.state().state().connection else { unreachable!() };
    assert!(message.contains("context certs") && message.contains("/nonexistent/client.crt"), "{message}");
}

#[test]
fn a_certificate_mismatch_is_explained_as_tls() {
    let a = sim();
    let b = sim();
    let ca_of = |yaml: &str| {
        let v: serde_json::Value = serde_json::from_str(yaml).expect("kubesim writes JSON kubeconfigs");
        v["clusters"][0]["cluster"]["certificate-authority-data"].as_str().expect("ca").to_string()
    };
    // A's server address with B's certificate authority.
    let text =
        a.server.kubeconfig_yaml().replace(&ca_of(a.server.kubeconfig_yaml()), &ca_of(b.server.kubeconfig_yaml()));
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, text).expect("write");
    let mut harness = app(dir.path(), kubeconfig);
    wait_for(&mut harness, "failure", |s| matches!(s.connection, Connection::Failed { .. }));
    let Connection::Failed { message, .. } = &harness.state().state().connection else { unreachable!() };
    assert!(message.contains("TLS handshake") && message.contains("certificate authority"), "{message}");
}

/// The kubesim kubeconfig with the admin user's credentials replaced by `user` and the cluster entry patched.
fn kubeconfig_with(sim: &Sim, user: serde_json::Value, cluster_patch: serde_json::Value) -> kube::config::Kubeconfig {
    let mut v: serde_json::Value = serde_json::from_str(sim.server.kubeconfig_yaml()).expect("JSON kubeconfig");
    for u in v["users"].as_array_mut().expect("users") {
        if u["name"] == "kubesim-admin" {
            u["user"] = user.clone();
        }
    }
    if let Some(patch) = cluster_patch.as_object() {
        for (k, value) in patch {
            if value.is_null() {
                v["clusters"][0]["cluster"].as_object_mut().expect("cluster").remove(k);
            } else {
                v["clusters"][0]["cluster"][k] = value.clone();
            }
        }
    }
    serde_json::from_value(v).expect("kubeconfig")
}

fn plugin(dir: &std::path::Path, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("credential-plugin");
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).expect("write plugin");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    path.to_string_lossy().into_owned()
}

fn exec_user(command: &str, args: &[&str]) -> serde_json::Value {
    serde_json::json!({"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": command, "args": args,
        "interactiveMode": "IfAvailable", "installHint": "Install it with: pip install acme-login"}})
}

#[test]
fn an_exec_plugin_supplies_the_token() {
    let sim = sim();
    let dir = tempfile::tempdir().expect("temp dir");
    let credential = serde_json::json!({"apiVersion": "client.authentication.k8s.io/v1", "kind": "ExecCredential",
        "status": {"token": sim.server.admin_token()}});
    let command = plugin(dir.path(), &format!("echo '{credential}'"));
    let kubeconfig = kubeconfig_with(&sim, exec_user(&command, &[]), serde_json::json!({}));
    let (_, info) =
        sim._runtime.block_on(bosun::cluster::connect::connect(kubeconfig, "kubesim-admin")).expect("connects");
    assert_eq!(info.user, "kubesim-admin");
    assert!(info.warnings.is_empty());
}

#[test]
fn a_failing_exec_plugin_shows_its_command_and_stderr() {
    let sim = sim();
    let dir = tempfile::tempdir().expect("temp dir");
    let command = plugin(dir.path(), "echo 'error: the SSO session for profile ml has expired' >&2\nexit 255");
    let kubeconfig =
        kubeconfig_with(&sim, exec_user(&command, &["eks", "get-token", "--profile", "ml"]), serde_json::json!({}));
    let Err(error) = sim._runtime.block_on(bosun::cluster::connect::connect(kubeconfig, "kubesim-admin")) else {
        panic!("connecting should fail")
    };
    let message = error.to_string();
    assert!(message.contains("credential plugin of context kubesim-admin failed"), "{message}");
    assert!(message.contains(&format!("{command} eks get-token --profile ml")), "{message}");
    assert!(message.contains("the SSO session for profile ml has expired"), "{message}");
    assert!(message.contains("exit status: 255"), "{message}");
}

#[test]
fn a_missing_exec_plugin_says_where_it_looked_and_how_to_install_it() {
    let sim = sim();
    let kubeconfig =
        kubeconfig_with(&sim, exec_user("acme-kube-login-not-installed", &["token"]), serde_json::json!({}));
    let Err(error) = sim._runtime.block_on(bosun::cluster::connect::connect(kubeconfig, "kubesim-admin")) else {
        panic!("connecting should fail")
    };
    let message = error.to_string();
    assert!(message.contains("was not found: acme-kube-login-not-installed token"), "{message}");
    assert!(message.contains("Searched PATH="), "{message}");
    assert!(message.contains("pip install acme-login"), "{message}");
}

#[test]
fn skipping_tls_verification_connects_with_a_visible_warning() {
    let sim = sim();
    let user = serde_json::json!({"token": sim.server.admin_token()});
    let kubeconfig = kubeconfig_with(
        &sim,
        user,
        serde_json::json!({"certificate-authority-data": null, "insecure-skip-tls-verify": true}),
    );
    let (_, info) =
        sim._runtime.block_on(bosun::cluster::connect::connect(kubeconfig, "kubesim-admin")).expect("connects");
    assert!(info.warnings.iter().any(|w| w.contains("TLS verification is off")), "{:?}", info.warnings);
}

#[test]
fn a_restricted_user_syncs_what_it_may_read_and_is_told_what_it_may_not() {
    let sim = sim();
    let dir = tempfile::tempdir().expect("temp dir");
    let kubeconfig = dir.path().join("kubeconfig");
    let mut v: serde_json::Value = serde_json::from_str(sim.server.kubeconfig_yaml()).expect("JSON kubeconfig");
    v["current-context"] = "kubesim-viewer".into();
    std::fs::write(&kubeconfig, v.to_string()).expect("write");
    let mut harness = app(dir.path(), kubeconfig);
    wait_for(&mut harness, "sync", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    // Synced, but the chip says which lists were refused, and the Overview does not pass the refusal off as zero.
    harness.get_by_label_contains("Synced · not allowed: nodes");
    assert!(harness.query_by_label("0/0").is_none(), "a refused node list is not 0/0 nodes");
    harness.get_by_label("not allowed");
    harness.get_by_role_and_label(Role::Button, "Nodes").click();
    harness.run_steps(3);
    harness.get_by_label_contains("Nodes cannot be listed: nodes is forbidden: User \"kubesim-viewer\"");
}

#[test]
fn a_failing_watch_shows_reconnecting_and_stale_data_then_recovers() {
    let sim = sim();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "sync", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    sim.server.set_faults(kubesim::FaultConfig {
        error_rate: 1.0,
        // 500: kube-rs itself retries 503 and 429 quietly for a while.
        error_code: 500,
        drop_watch_after_secs: 1,
        ..Default::default()
    });
    wait_for(&mut harness, "a retrying watch", |s| s.cluster.as_ref().is_some_and(|c| c.health.attempt > 0));
    harness.get_by_label_contains("Reconnecting (attempt ");
    harness.get_by_label_contains("Data may be stale: ");
    sim.server.set_faults(kubesim::FaultConfig::default());
    wait_for(&mut harness, "recovery", |s| s.cluster.as_ref().is_some_and(|c| c.health.attempt == 0 && c.is_synced()));
    assert!(harness.query_by_label_contains("Data may be stale").is_none());
}

#[test]
fn an_unknown_context_names_the_ones_there_are() {
    let sim = sim();
    let kubeconfig =
        kubeconfig_with(&sim, serde_json::json!({"token": sim.server.admin_token()}), serde_json::json!({}));
    let Err(error) = sim._runtime.block_on(bosun::cluster::connect::connect(kubeconfig, "prod")) else {
        panic!("there is no context prod")
    };
    let message = error.to_string();
    assert!(
        message.contains("context prod is not in the kubeconfig (it has: kubesim-admin, kubesim-viewer)"),
        "{message}"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepts connections and says nothing.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let _hold = std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().flatten() {
            held.push(stream);
        }
    });
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: silent\nclusters:\n- name: c\n  cluster: {{server: \"http://127.0.0.1:{port}\"}}\nusers:\n- name: u\n  user: {{token: t}}\ncontexts:\n- name: silent\n  context: {{cluster: c, user: u}}\n"
    );
    let kubeconfig = kube::config::Kubeconfig::from_yaml(&text).expect("kubeconfig");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let started = std::time::Instant::now();
    let result = runtime.block_on(bosun::cluster::connect::connect_within(
        kubeconfig,
        "silent",
        std::time::Duration::from_secs(1),
    ));
    let Err(error) = result else { panic!("nothing answers") };
    assert!(started.elapsed() < std::time::Duration::from_secs(10), "gave up in time");
    let message = error.to_string();
    assert!(message.contains("did not answer within 1 s.") && message.contains("VPN or proxy"), "{message}");
}
