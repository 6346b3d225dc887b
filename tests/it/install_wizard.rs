use bosun::state::Screen;
use bosun::state::install::{Loadable, Step};
use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;

use crate::util::{app, wait_for, wait_for_explained};

/// Walks the Install screen from the checks to a ready stack on kubesim: components, a setting typed wrong and
/// fixed, the dry-run review, the install's progress, and the Done step — then finds it installed.
#[test]
fn the_wizard_installs_the_stack_end_to_end() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let config = kubesim::Config { time_scale: 10.0, ..Default::default() };
    let server = runtime.block_on(kubesim::start(config)).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "connection", |s| matches!(s.connection, bosun::state::Connection::Connected(_)));
    harness.get_by_role_and_label(Role::Button, "Install").click();
    wait_for(&mut harness, "preflight", |s| s.install.checks.ready().is_some() && s.install.status.ready().is_some());
    assert_eq!(harness.state().state().settings.screen, Screen::Install);
    harness.get_by_label("Nothing installed yet. The wizard installs the stack from scratch.");
    harness.get_by_label("Permissions");

    harness.get_by_label("Next ›").click();
    harness.run_steps(2);
    assert_eq!(harness.state().state().install.step, Step::Components);
    // TensorFlow Serving is optional: leave it out.
    harness.get_by_label("TensorFlow Serving").click();
    harness.run_steps(2);
    assert!(!harness.state().state().install.components().contains(&"tf-serving".to_string()));

    harness.get_by_label("Next ›").click();
    harness.run_steps(2);
    assert_eq!(harness.state().state().install.step, Step::Settings);
    harness.get_by_label("jupyterhub.gpuLimit").focus();
    harness.run_steps(1);
    harness.get_by_label("jupyterhub.gpuLimit").type_text("99");
    harness.run_steps(2);
    harness.get_by_label("99 is above the maximum 8");
    harness.get_by_label("Next ›").click();
    harness.run_steps(2);
    assert_eq!(harness.state().state().install.step, Step::Settings, "invalid settings keep the wizard here");
    harness.get_by_label("jupyterhub.gpuLimit").focus();
    harness.run_steps(1);
    for _ in 0..3 {
        harness.key_press(egui::Key::Backspace);
        harness.run_steps(1);
    }
    harness.get_by_label("jupyterhub.gpuLimit").type_text("1");
    harness.run_steps(2);
    assert!(harness.query_by_label_contains("above the maximum").is_none());
    assert!(harness.state().state().install.errors().is_empty(), "{:?}", harness.state().state().install.errors());

    harness.get_by_label("Next ›").click();
    wait_for(&mut harness, "dry run", |s| !matches!(s.install.review, Loadable::Loading | Loadable::Idle));
    assert!(
        matches!(harness.state().state().install.review, Loadable::Ready(_)),
        "{:?}",
        harness.state().state().install.review
    );
    let new = harness.state().state().install.review.ready().map_or(0, |d| d.len());
    harness.get_by_label(&format!("{new} new"));

    harness.get_by_label("Install now").click();
    wait_for(&mut harness, "the install", |s| s.install.step == Step::Done);
    harness.get_by_label("The stack is installed and ready");
    harness.get_by_label("Open Jupyter");

    // The Done page reloads the stack's status; click once it has, so the button is where the click lands.
    wait_for(&mut harness, "the status after the install", |s| s.install.status.ready().is_some());
    // A late status reload can move the button between the query and the click on a loaded machine: click again
    // while the wizard is still on the Done step.
    for _ in 0..5 {
        if harness.state().state().install.step != Step::Done {
            break;
        }
        harness.get_by_label("Back to the start").click();
        harness.run_steps(3);
    }
    assert_eq!(harness.state().state().install.step, Step::Cluster, "Back to the start returns to the checks");
    wait_for_explained(
        &mut harness,
        "the installed stack",
        |s| s.install.status.ready().is_some_and(|st| st.as_ref().is_some_and(|st| st.components.len() == 4)),
        |s| match &s.install.status {
            Loadable::Ready(Some(st)) => {
                format!("(components: {:?})", st.components.iter().map(|c| &c.name).collect::<Vec<_>>())
            }
            Loadable::Ready(None) => "(no install record)".into(),
            Loadable::Failed(e) => format!("(status failed: {e})"),
            Loadable::Idle | Loadable::Loading => "(status still loading)".into(),
        },
    );
    harness.get_by_label("Repair or upgrade…");
    assert_eq!(harness.get_all_by_label("healthy").count(), 4);
}

/// A folder of YAML goes through the same review and install as the stack (the folder picker's answer is sent as
/// the command it becomes).
#[test]
fn the_wizard_applies_a_folder_of_yaml() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let config = kubesim::Config { time_scale: 10.0, ..Default::default() };
    let server = runtime.block_on(kubesim::start(config)).expect("kubesim starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let folder = dir.path().join("shop");
    std::fs::create_dir_all(folder.join("apps")).expect("dirs");
    std::fs::write(folder.join("ns.yaml"), "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n").expect("write");
    std::fs::write(
        folder.join("apps/web.yaml"),
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: shop}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx:1.27}]}\n",
    )
    .expect("write");
    let mut harness = app(dir.path(), server.kubeconfig_path().to_path_buf());
    wait_for(&mut harness, "connection", |s| matches!(s.connection, bosun::state::Connection::Connected(_)));
    harness.get_by_role_and_label(Role::Button, "Install").click();
    wait_for(&mut harness, "preflight", |s| s.install.checks.ready().is_some());
    harness.get_by_label("Choose a folder…");
    let commands = harness.state().command_sender();
    commands.send(bosun::state::Command::Wizard(bosun::state::install::WizardCommand::UseFolder(Some(folder.clone()))));
    wait_for(&mut harness, "the folder's dry run", |s| {
        s.install.step == Step::Review && matches!(s.install.review, Loadable::Ready(_))
    });
    harness.get_by_label_contains("Applying the folder");
    harness.get_by_label("2 new");
    harness.get_by_label("Install now").click();
    wait_for(&mut harness, "the folder installed", |s| s.install.step == Step::Done);
    harness.get_by_label_contains("is applied and ready");
}
