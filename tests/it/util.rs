//! Shared helpers: a headless app harness over a temporary config directory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bosun::app::{AppInit, BosunApp};
use bosun::settings::SettingsStore;
use bosun::state::{AppState, LaunchOptions};
use egui_kittest::Harness;

/// A headless Bosun window whose settings live in `config_dir` and whose kubeconfig is `kubeconfig`
/// (so the tests never read the developer's own files).
pub fn app(config_dir: &Path, kubeconfig: PathBuf) -> Harness<'static, BosunApp> {
    let store = SettingsStore::in_dir(config_dir);
    let launch = LaunchOptions { kubeconfig: Some(kubeconfig), ..Default::default() };
    let init = AppInit::load(store, launch);
    Harness::builder()
        .with_size([1280.0, 800.0])
        .build_eframe(move |cc| BosunApp::new(&cc.egui_ctx, init).expect("background runtime starts"))
}

/// Steps the harness until `done` holds for the app state, or panics after a few seconds with `what`.
pub fn wait_for(harness: &mut Harness<'static, BosunApp>, what: &str, done: impl Fn(&AppState) -> bool) {
    wait_for_explained(harness, what, done, |_| String::new());
}

/// As [`wait_for`], and on a timeout the panic also says what `explain` finds in the state.
pub fn wait_for_explained(
    harness: &mut Harness<'static, BosunApp>,
    what: &str,
    done: impl Fn(&AppState) -> bool,
    explain: impl Fn(&AppState) -> String,
) {
    // Generous: CI runs many simulated clusters in parallel on two cores.
    let deadline = Instant::now() + Duration::from_secs(45);
    while !done(harness.state().state()) {
        assert!(Instant::now() < deadline, "timed out waiting for {what} {}", explain(harness.state().state()));
        harness.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    harness.run_steps(3);
}

/// A kubeconfig with two contexts on made-up servers.
pub fn write_kubeconfig(dir: &Path) -> PathBuf {
    let path = dir.join("kubeconfig.yaml");
    let text = r#"apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: one
  cluster: { server: "https://127.0.0.1:1" }
- name: two
  cluster: { server: "https://127.0.0.2:1" }
users:
- name: me
  user: { token: not-a-real-token }
contexts:
- name: alpha
  context: { cluster: one, user: me, namespace: research }
- name: beta
  context: { cluster: two, user: me }
"#;
    std::fs::write(&path, text).expect("write kubeconfig");
    path
}

/// A simulated cluster on its own runtime (kept alive with it).
pub struct Sim {
    pub server: kubesim::ServerHandle,
    pub runtime: tokio::runtime::Runtime,
}

/// Starts kubesim with `fleet`, simulated time ten times faster.
pub fn start_sim(fleet: kubesim::Fleet) -> Sim {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let config = kubesim::Config { fleet, time_scale: 10.0, ..Default::default() };
    let server = runtime.block_on(kubesim::start(config)).expect("kubesim starts");
    Sim { server, runtime }
}

/// A client of the simulated cluster, as its admin.
pub fn client(sim: &Sim) -> kube::Client {
    sim.runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(sim.server.kubeconfig_path()).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        kube::Client::try_from(config).expect("client")
    })
}
