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
    harness.get_by_role_and_label(Role::Button, "kubesim-viewer").click();
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
