use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use bosun::workloads::{JobKind, render};

use crate::training::{bosun, cluster_with_operator, form_spec, job_file};
use crate::util::{app, wait_for, wait_for_explained};

/// A sweep run on the cluster while the window is open: the Experiments screen shows its runs with their learning
/// rates, marks the best by the objective, overlays their curves, and a run unticked leaves the chart.
#[test]
fn a_running_sweep_is_compared_on_the_experiments_screen() {
    let (_sim, kubeconfig) = cluster_with_operator();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), kubeconfig.clone().into());
    wait_for(&mut harness, "the cluster", |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()));

    let mut spec = form_spec(JobKind::TFJob);
    spec.name = "ui-sweep".into();
    spec.roles.retain(|r| r.role == "Chief");
    spec.hyperparameters.clear();
    spec.args = vec!["--epochs=8".into()];
    spec.env = vec![("KUBESIM_EPOCH_SECONDS".into(), "0.3".into())];
    let file = job_file(&dir, "sweep.json", &render::job(&spec).to_string());
    let out = bosun(&["submit", &file, "--param", "lr=0.5,0.01,0.0001", "--kubeconfig", &kubeconfig]);
    assert!(out.status.success(), "submit: {}", String::from_utf8_lossy(&out.stderr));

    harness.get_by_role_and_label(Role::Button, "Experiments").click();
    harness.run_steps(2);
    wait_for_explained(
        &mut harness,
        "three curves of val_loss with a few epochs each",
        |s| {
            s.experiments.current_experiment().as_deref() == Some("ui-sweep")
                && s.experiments.chart.as_ref().is_some_and(|c| {
                    c.series.len() == 3
                        && c.series.iter().all(|s| s.points.len() >= 3)
                        && c.title.starts_with("val_loss")
                })
        },
        |s| format!("{:?}", s.experiments.chart.as_ref().map(|c| (&c.title, c.series.len()))),
    );
    let best = harness.state().state().experiments.best_run();
    let best_name = harness
        .state()
        .state()
        .experiments
        .runs()
        .iter()
        .find(|r| Some(&r.job.uid) == best.as_ref())
        .map(|r| r.job.name.clone())
        .expect("a best run");
    assert_eq!(best_name, "ui-sweep-02", "lr=0.01 suits the model best");
    harness.get_by_label(&format!("★ {best_name}"));
    harness.get_by_role_and_label(Role::Image, "Hyperparameters vs. objective");
    harness.get_by_role_and_label(Role::Image, "val_loss");

    harness.get_by_label("Chart ui-sweep-01").click();
    harness.run_steps(3);
    let chart = harness.state().state().experiments.chart.clone().expect("chart");
    let names: Vec<&str> = chart.series.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["ui-sweep-02", "ui-sweep-03"], "the unticked run left the chart");
}
