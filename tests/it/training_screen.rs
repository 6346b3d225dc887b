use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::util::{app, wait_for};

/// The app on the demo cluster with the training operator, on the Training screen's launch form once the
/// operator's kinds are known (the cluster and the settings folder live as long as the harness needs them).
fn launch_form() -> (crate::util::Sim, tempfile::TempDir, egui_kittest::Harness<'static, bosun::app::BosunApp>) {
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
    (sim, dir, harness)
}

/// The Training screen walked as a person would: fill the launch form, read the YAML and the fit preview,
/// submit, watch the job succeed in the list, and open its flight recorder.
#[test]
fn a_job_launched_from_the_form_succeeds_and_its_flight_recorder_opens() {
    let (_sim, _dir, mut harness) = launch_form();
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

/// A sweep typed into the form becomes one labelled run per combination; the form saved as a template comes back
/// from the Templates menu after the form was changed.
#[test]
fn a_sweep_from_the_form_submits_one_run_per_combination_and_templates_round_trip() {
    let (_sim, dir, mut harness) = launch_form();
    for (field, text) in [
        ("Job name", "ui-sweep"),
        ("Container args", "--epochs=1"),
        ("Container env", "KUBESIM_EPOCH_SECONDS=0.5"),
        ("Sweep", "lr=0.1,0.01,0.001 batch=32,64"),
    ] {
        harness.get_by_label(field).focus();
        harness.run_steps(1);
        harness.get_by_label(field).type_text(text);
        harness.run_steps(2);
    }
    harness.get_by_label("6 runs");
    assert_eq!(harness.state().state().training.form.sweep, ["lr=0.1,0.01,0.001", "batch=32,64"]);

    // Save the form as a template (named after the job by default), change the form, and fill it back.
    harness.get_by_label("Templates").click();
    harness.run_steps(2);
    harness.get_by_label("Save the form as a template").click();
    wait_for(&mut harness, "the saved template", |s| s.training.templates.iter().any(|(n, _)| n == "ui-sweep"));
    let saved = dir.path().join(bosun::workloads::spec::TEMPLATES_DIR).join("ui-sweep.json");
    assert!(saved.is_file(), "the template is a file in the settings folder");
    harness.get_by_label("Job name").focus();
    harness.run_steps(1);
    harness.get_by_label("Job name").type_text("-changed");
    harness.run_steps(2);
    assert_eq!(harness.state().state().training.form.name, "ui-sweep-changed");
    harness.get_by_label("Templates").click();
    harness.run_steps(2);
    harness.get_by_role_and_label(Role::Button, "ui-sweep").click();
    harness.run_steps(3);
    assert_eq!(harness.state().state().training.form.name, "ui-sweep", "the template filled the form");
    assert_eq!(harness.state().state().training.form.sweep.len(), 2, "with its sweep");

    harness.get_by_label("Submit").click();
    wait_for(&mut harness, "six runs of one experiment", |s| {
        s.cluster.as_ref().is_some_and(|c| c.training_jobs.iter().filter(|j| j.experiment == "ui-sweep").count() == 6)
    });
    let cluster = harness.state().state().cluster.clone().expect("snapshot");
    let mut runs: Vec<&str> =
        cluster.training_jobs.iter().filter(|j| j.experiment == "ui-sweep").map(|j| j.name.as_str()).collect();
    runs.sort_unstable();
    assert_eq!(runs, ["ui-sweep-01", "ui-sweep-02", "ui-sweep-03", "ui-sweep-04", "ui-sweep-05", "ui-sweep-06"]);
}
