//! Integration tests, compiled as one binary. Each module says what it covers.

/// The watch-fed cache converges on the server's state through dropped watches and 410 Gone.
mod cache;
/// The capacity planner against kubesim's scheduler: the nodes it asks for are exactly enough.
mod capacity;
/// Connecting to clusters (kubesim over real HTTPS): identity, permissions, and failures explained.
mod connect;
/// The Experiments screen on a sweep run while the window is open: runs, best run, curves, selection.
mod experiments_screen;
/// The ML stack installer on kubesim: install to ready, reinstall without changes, resume after faults,
/// uninstall, the CLI's errors and exit codes, folders of YAML, and rendered YAML applied by kubectl.
mod install;
/// The Install screen's wizard walked end to end on kubesim.
mod install_wizard;
/// Kueue's queues, read-only, when its CRDs are there.
mod kueue;
/// The Model analysis screen: evaluations found on kubesim (an evaluation job's log, a ConfigMap) compared, and
/// per-example files computed in the background with a slice's curves.
mod model_analysis_screen;
/// `bosun nodes` and the watch-fed cache behind it, against kubesim's demo fleet.
mod nodes_cli;
/// The Nodes screen (GPU ledger) against kubesim: list, filter, sort, detail.
mod nodes_screen;
/// Notebook servers on kubesim: started from the form to ready, their page through a forward with the token, stop
/// and delete; JupyterHub found healthy and its proxy's page served through a forward.
mod notebooks;
/// The Notebooks screen: a server started from the form, opened through a forward.
mod notebooks_screen;
/// PriorityClasses: the preset ladder applied idempotently, and a research-critical TFJob preempting a best-effort
/// notebook on kubesim.
mod priorities;
/// Model servers on kubesim: deploy from the form, autoscaler, predictions and load tests through port-forwards,
/// roll-out, rollback, canary promote and abort, the KServe servers, stalled roll-outs, and the CLI.
mod serving;
/// The Serving screen: the deploy form to a ready server answering a prediction.
mod serving_screen;
/// `bosun teams` on kubesim: GPUs per team against their quota, with running and waiting pods.
mod teams;
/// TensorBoard event files written by TensorBoard's own writer, read back exactly by `bosun tfevents`, also
/// corrupted, cut and still growing.
mod tfevents;
/// Training jobs on kubesim with the stack's operator: every kind from the form, sweeps, failures explained, the
/// fit preview and the jobs list.
mod training;
/// The Training screen: the launch form to a succeeded job and its flight recorder.
mod training_screen;
/// The app shell driven headlessly through its accessibility tree: navigation, shortcuts, palette, theme,
/// settings persistence, kubeconfig contexts.
mod ui_shell;
mod util;
/// Workload and ML-kind watchers: TFJobs appear when their CRD is installed after connecting, and for users who
/// may not read CRDs.
mod workloads;
