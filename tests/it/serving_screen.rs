use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::util::{app, start_sim, wait_for, wait_for_explained};

/// The Serving screen walked as a person would: fill the deploy form, deploy, watch the server become ready in the
/// list, open it, send a prediction from the JSON editor and read the answer; a bad request is refused in words.
#[test]
fn a_model_deployed_from_the_form_becomes_ready_and_answers_a_prediction() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "the cluster", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    harness.get_by_role_and_label(Role::Button, "Serving").click();
    harness.run_steps(2);
    harness.get_by_label("Deploy a model").click();
    harness.run_steps(2);
    harness.get_by_label_contains("a name is required");
    for (field, text) in
        [("Server name", "ui-model"), ("Model name", "ui-model"), ("Model URI", "gs://models/ui-model")]
    {
        harness.get_by_label(field).focus();
        harness.run_steps(1);
        harness.get_by_label(field).type_text(text);
        harness.run_steps(2);
    }
    assert!(harness.query_by_label_contains("a name is required").is_none());
    let yaml = harness.state().state().serving.yaml.clone();
    assert!(yaml.contains("--model_name=ui-model") && yaml.contains("kind: Service"), "{yaml}");
    harness.get_by_label("Deploy").click();
    wait_for_explained(
        &mut harness,
        "the server to be available",
        |s| s.serving.servers.iter().any(|r| r.name == "ui-model" && r.state == "Available"),
        |s| format!("{:?} {:?}", s.serving.deploy, s.serving.servers),
    );
    assert_eq!(harness.state().state().serving.tab, bosun::state::serving::Tab::Servers, "back on the list");
    wait_for(&mut harness, "its detail", |s| s.serving.detail.ready().is_some_and(|d| !d.pods.is_empty()));
    harness.get_by_label("Roll-out of ui-model");

    harness.get_by_label("Predict").click();
    wait_for_explained(
        &mut harness,
        "the prediction",
        |s| s.serving.try_it.reply.ready().is_some(),
        |s| format!("{:?}", s.serving.try_it.reply),
    );
    harness.get_by_label("HTTP 200");
    let reply = harness.state().state().serving.try_it.reply.ready().cloned().expect("reply");
    assert!(reply.body.contains("predictions"), "{}", reply.body);

    // A request that is not JSON never leaves the window.
    harness.get_by_label("Prediction request").focus();
    harness.run_steps(1);
    harness.get_by_label("Prediction request").type_text("{oops");
    harness.run_steps(2);
    harness.get_by_label("Predict").click();
    harness.run_steps(3);
    harness.get_by_label_contains("The request is not JSON");
}

/// With the stack's TensorFlow Serving component installed, the Deploy form offers its template and takes it.
#[test]
fn the_deploy_form_takes_the_stack_s_model_server_template() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let kubeconfig = sim.server.kubeconfig_path().display().to_string();
    let out = crate::training::bosun(&[
        "install",
        "--components",
        "tf-serving",
        "--yes",
        "--timeout",
        "2m",
        "--set",
        "tf-serving.cpuRequest=750m",
        "--kubeconfig",
        &kubeconfig,
    ]);
    assert!(out.status.success(), "install: {}", String::from_utf8_lossy(&out.stderr));
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "the cluster", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    harness.get_by_role_and_label(Role::Button, "Serving").click();
    harness.run_steps(2);
    harness.get_by_label("Deploy a model").click();
    wait_for(&mut harness, "the template", |s| s.serving.template.is_some());
    harness.get_by_label("Use it").click();
    wait_for(&mut harness, "the form to take it", |s| s.serving.form.service_account == "model-server");
    let form = harness.state().state().serving.form.clone();
    assert_eq!(form.cpu, "750m");
    assert_eq!(Some(form.namespace.as_str()), harness.state().state().serving.template.as_ref().map(|t| t.0.as_str()));
}
