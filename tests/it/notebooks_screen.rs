use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::util::{app, start_sim, wait_for, wait_for_explained};

/// The Notebooks screen walked as a person would: name a server in the form, start it, wait until it is ready in the
/// list, open it: a forward comes up and the browser is sent to its page with the token.
#[test]
fn a_notebook_started_from_the_form_opens_through_a_forward() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "the cluster", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));
    harness.get_by_role_and_label(Role::Button, "Notebooks").click();
    harness.run_steps(2);
    harness.get_by_label("Notebook name").focus();
    harness.run_steps(1);
    harness.get_by_label("Notebook name").type_text("ui-notebook");
    harness.run_steps(2);
    harness.get_by_label("Start notebook").click();
    wait_for_explained(
        &mut harness,
        "the notebook to be ready",
        |s| s.notebooks.servers().iter().any(|r| r.name == "ui-notebook" && r.ready),
        |s| format!("{:?} {:?}", s.notebooks.start_error, s.notebooks.list),
    );
    harness.get_by_label("Open").click();
    wait_for_explained(
        &mut harness,
        "the forward",
        |s| !s.notebooks.forwards.is_empty(),
        |s| format!("{:?}", s.notebooks.opening),
    );
    let forward = harness.state().state().notebooks.forwards[0].clone();
    assert!(forward.url.starts_with("http://127.0.0.1:") && forward.url.contains("/lab?token="), "{}", forward.url);
    harness.get_by_label("Open in browser");
}
