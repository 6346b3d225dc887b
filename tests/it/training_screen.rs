use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::util::{app, wait_for};

/// The Training screen walked as a person would: fill the launch form, read the YAML and the fit preview,
/// submit, watch the job succeed in the list, and open its flight recorder.
#[test]
fn a_job_launched_from_the_form_succeeds_and_its_flight_recorder_opens() {
    let (sim, _) = crate::training::cluster_with_operator();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "the operator's kinds", |s| {
        s.cluster.as_ref().is_some_and(|c| c.is_synced() && c.custom_kinds.len() >= 4)
    });
    harness.get_by_role_and_label(Role::Button, "Training").click();
    harness.run_steps(2);
    harness.get_by_label("Launch a job").click();
    harness.run_steps(2);
    // A new form says what it lacks.
    harness.get_by_label("a name is required");
    for (field, text) in
        [("Job name", "ui-job"), ("Container args", "--epochs=2"), ("Container env", "KUBESIM_EPOCH_SECONDS=0.5")]
    {
        harness.get_by_label(field).focus();
        harness.run_steps(1);
        harness.get_by_label(field).type_text(text);
        harness.run_steps(2);
    }
    assert!(harness.query_by_label("a name is required").is_none());
    let yaml = harness.state().state().training.yaml.clone();
    assert!(yaml.contains("name: ui-job") && yaml.contains("KUBESIM_EPOCH_SECONDS"), "{yaml}");
    wait_for(&mut harness, "the fit preview", |s| s.training.fit.is_some());
    harness.get_by_label_contains("Worker ×1: fits now");
    harness.get_by_label("Submit").click();
    wait_for(&mut harness, "the job to succeed", |s| {
        s.cluster.as_ref().is_some_and(|c| c.training_jobs.iter().any(|j| j.name == "ui-job" && j.state == "Succeeded"))
    });
    assert_eq!(harness.state().state().training.tab, bosun::state::training::Tab::Jobs, "back on the list");
    // Its name, and its experiment (named after it), are both in its row.
    harness.get_all_by_label("ui-job").next().expect("the job's row").click();
    wait_for(&mut harness, "the flight recorder", |s| s.training.recorder.ready().is_some_and(|r| !r.logs.is_empty()));
    harness.run_steps(3);
    harness.get_by_label("Timeline of the replicas");
    harness.get_by_label("ui-job-worker-0");
    harness.get_by_label_contains("exit code 0");
    let recorder = harness.state().state().training.recorder.ready().cloned().expect("recorder");
    assert!(recorder.logs[0].2.iter().any(|l| l.starts_with("epoch=2 loss=")), "{:?}", recorder.logs);
    assert!(recorder.events.iter().any(|e| e.reason == "Scheduled"), "{:?}", recorder.events);
}
