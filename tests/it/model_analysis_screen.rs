use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use bosun::settings::EvaluationFiles;
use bosun::state::model_analysis::{ModelAnalysisCommand, Setup};
use bosun::workloads::evaluation;

use crate::util::{Sim, app, start_sim, wait_for_explained};

fn client(sim: &Sim) -> kube::Client {
    sim.runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(sim.server.kubeconfig_path()).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        kube::Client::try_from(config).expect("client")
    })
}

/// An evaluation job on the cluster prints its sliced metrics, another evaluation left them in a ConfigMap: the
/// screen finds both by itself, shows the newer compared with the older, and marks the slice that regressed.
#[test]
fn an_evaluation_job_s_sliced_metrics_appear_compared_with_the_last_version() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    let v2 = bosun::demo::sample_evaluation("2", 2).expect("v2");
    let v3 = bosun::demo::sample_evaluation("3", 0).expect("v3");
    sim.runtime.block_on(async {
        let map = evaluation::configmap("default", "hotdog-eval-v2", "hotdog", &v2);
        bosun::cluster::serving::apply(&client, &[map], false).await.expect("configmap");
        let job = evaluation::printing_job("default", "hotdog-eval-v3", "hotdog", &v3);
        bosun::cluster::training::submit(&client, &job, false).await.expect("job");
    });
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), sim.server.kubeconfig_path().to_path_buf());
    wait_for_explained(
        &mut harness,
        "the cluster",
        |s| s.cluster.as_ref().is_some_and(|c| c.is_synced()),
        |s| format!("{:?}", s.connection),
    );
    harness.get_by_role_and_label(Role::Button, "Model analysis").click();
    // The job's pod prints its document when it runs; the screen reads the cluster again until it has.
    for _ in 0..40 {
        harness.run_steps(5);
        if harness.state().state().model_analysis.evaluations.len() == 2 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
        harness
            .state()
            .command_sender()
            .send(bosun::state::command::Command::ModelAnalysis(ModelAnalysisCommand::ReloadCluster));
    }
    wait_for_explained(
        &mut harness,
        "both evaluations",
        |s| s.model_analysis.evaluations.len() == 2,
        |s| format!("{:?} {:?}", s.model_analysis.cluster, s.model_analysis.evaluations.len()),
    );
    let state = &harness.state().state().model_analysis;
    assert_eq!(state.shown().expect("shown").label(), "hotdog v3");
    assert_eq!(state.compared().expect("compared").label(), "hotdog v2");
    assert!(state.shown().unwrap().source.starts_with("pod/default/hotdog-eval-v3"));
    let webcam = state.deltas.iter().find(|d| d.slice == "camera=webcam").expect("webcam compared");
    assert!(webcam.regressed && webcam.significant == Some(true), "{webcam:?}");
    assert!(state.deltas.iter().filter(|d| d.regressed).all(|d| d.slice.contains("webcam")));
    harness.run_steps(3);
    harness.get_by_label("camera=webcam");
    harness.get_by_role_and_label(Role::Image, "auc by camera");
}

/// Per-example files computed in the window: the table has the slices, and a slice's details show its confusion
/// matrix and curves from the examples.
#[test]
fn per_example_files_are_computed_in_the_background_with_curves_per_slice() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), dir.path().join("no-kubeconfig"));
    harness.get_by_role_and_label(Role::Button, "Model analysis").click();
    harness.run_steps(2);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/model-analysis/hotdog-v3.csv");
    let columns = bosun::metrics::examples::sample_columns(std::slice::from_ref(&path), 100).expect("columns");
    let files = EvaluationFiles {
        paths: vec![path],
        label: "label".into(),
        prediction: "score".into(),
        weight: String::new(),
        slices: vec!["camera".into(), "hour:bins=3".into()],
        crosses: vec!["camera,hour".into()],
        threshold: 0.5,
        bootstrap: 20,
        seed: 3,
        model: "hotdog".into(),
        version: "3".into(),
    };
    let setup = Setup { files, columns, error: None };
    let send = |harness: &egui_kittest::Harness<'static, bosun::app::BosunApp>, c: ModelAnalysisCommand| {
        harness.state().command_sender().send(bosun::state::command::Command::ModelAnalysis(c));
    };
    send(&harness, ModelAnalysisCommand::EditSetup(Box::new(setup)));
    harness.run_steps(2);
    harness.get_by_label("Compute").click();
    wait_for_explained(
        &mut harness,
        "the slices",
        |s| s.model_analysis.shown().is_some(),
        |s| {
            format!(
                "{:?} {:?} {:?}",
                s.model_analysis.progress,
                s.model_analysis.setup.as_ref().map(|s| &s.error),
                s.toasts
            )
        },
    );
    let shown = harness.state().state().model_analysis.shown().cloned().expect("shown");
    assert_eq!(harness.state().state().settings.evaluation_files.len(), 1, "remembered for the next start");
    assert!(shown.has_examples && shown.rows.len() == 1 + 4 + 3 + 12, "{}", shown.rows.len());
    assert!(shown.rows.iter().all(|r| r.lower.is_some()), "bootstrap intervals");
    harness.run_steps(2);
    harness.get_by_label("camera=webcam").click();
    wait_for_explained(
        &mut harness,
        "the curves",
        |s| s.model_analysis.curves.ready().is_some(),
        |s| format!("{:?}", s.model_analysis.curves),
    );
    let curves = harness.state().state().model_analysis.curves.ready().cloned().expect("curves");
    assert_eq!(curves.roc.last(), Some(&(1.0, 1.0)));
    assert!(!curves.calibration.is_empty());
    harness.run_steps(3);
    harness.get_by_label("actually positive");
    let webcam = shown.rows.iter().find(|r| r.slice == "camera=webcam").expect("webcam").metrics;
    assert!(webcam.auc < 0.7, "the sample's webcam slice is the weak one: {}", webcam.auc);
    harness.get_by_role_and_label(Role::Image, &format!("ROC, AUC {:.3}", webcam.auc));
}
