//! CPU time per frame of the Pods, Nodes, Training and Overview screens on a big cluster (150,000 pods on 5,000 nodes,
//! 5,000 training jobs), drawn headless
//! with egui_kittest, plus the background work a sort or filter change costs. The rows are generated in-process,
//! so the figures are the UI's alone.
//!
//! `cargo bench --bench frame` (set `BOSUN_BENCH_PODS` / `BOSUN_BENCH_NODES` to resize).

use std::sync::Arc;
use std::time::Instant;

use bosun::resources::ledger;
use bosun::resources::node::{Amount, NodeRow};
use bosun::resources::pod::{PodRow, Requests};
use bosun::resources::training::{ConditionMark, EventLine, PodTrack, Recorder, RoleCounts, TrainingJobRow};
use bosun::settings::Settings;
use bosun::settings::ThemeChoice;
use bosun::state::cluster_view::{ClusterSnapshot, PodQuery, PodSort, query_pods};
use bosun::state::loadable::Loadable;
use bosun::state::protocol::JobKey;
use bosun::state::{AppState, LaunchOptions, Screen, command_channel};
use bosun::ui::ViewCtx;
use bosun::ui::theme::Theme;
use bosun::ui::views::{self, ScreenStates};
use bosun::workloads::JobKind;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn nodes(n: usize) -> Vec<NodeRow> {
    (0..n)
        .map(|i| {
            let mut accelerators = std::collections::BTreeMap::new();
            if i % 5 == 0 {
                accelerators.insert("nvidia.com/gpu".to_string(), Amount { capacity: 8.0, allocatable: 8.0 });
            }
            NodeRow {
                name: format!("node-{i:05}"),
                ready: true,
                cpu: Amount { capacity: 64.0, allocatable: 63.0 },
                memory: Amount { capacity: 2.7e11, allocatable: 2.6e11 },
                pods: Amount { capacity: 110.0, allocatable: 110.0 },
                accelerators,
                instance_type: Some("n2-standard-64".into()),
                zone: Some("us-central1-a".into()),
                created: 1_700_000_000,
                ..Default::default()
            }
        })
        .collect()
}

fn pods(n: usize, nodes: usize) -> Vec<Arc<PodRow>> {
    (0..n)
        .map(|i| {
            let node = i % nodes.max(1);
            let gpu = node.is_multiple_of(5) && i % 3 == 0;
            Arc::new(PodRow {
                namespace: format!("team-{:02}", i % 50),
                name: format!(
                    "svc-{:03}-{:08x}-{i:06}",
                    (i / 50) % 400,
                    (i as u64).wrapping_mul(2_654_435_761) & 0xffff_ffff
                ),
                node: Some(format!("node-{node:05}")),
                phase: if i % 97 == 0 { "Pending".into() } else { "Running".into() },
                status: if i % 97 == 0 { "Pending".into() } else { "Running".into() },
                ready: (1, 1),
                restarts: (i % 7) as u32,
                requests: Requests {
                    cpu: 0.1,
                    memory: 2.7e8,
                    accelerators: if gpu { vec![("nvidia.com/gpu".into(), 1.0)] } else { vec![] },
                },
                created: 1_700_000_000 + i as i64,
                containers: vec!["app".into()],
                uid: i as u64,
                daemon: false,
            })
        })
        .collect()
}

/// `n` training jobs of every kind and state, with replicas per role, as the Training list shows them.
fn training_jobs(n: usize) -> Vec<Arc<TrainingJobRow>> {
    let kinds = ["TFJob", "PyTorchJob", "XGBoostJob", "MPIJob", "Job"];
    let states = ["Running", "Succeeded", "Failed", "Created", "Restarting"];
    (0..n)
        .map(|i| {
            Arc::new(TrainingJobRow {
                kind: kinds[i % kinds.len()].into(),
                namespace: format!("team-{:02}", i % 50),
                name: format!("run-{i:05}"),
                state: states[(i / 5) % states.len()].into(),
                replicas: vec![
                    RoleCounts { role: "Chief".into(), desired: 1, active: 1, ..Default::default() },
                    RoleCounts { role: "Worker".into(), desired: 8, active: 6, succeeded: 2, ..Default::default() },
                ],
                gpus: (i % 9) as f64,
                created: 1_700_000_000 + i as i64,
                started: 1_700_000_010 + i as i64,
                experiment: format!("sweep-{:03}", i / 20),
                ..Default::default()
            })
        })
        .collect()
}

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

/// The flight recorder of a running `replicas`-replica TFJob: every pod, its last 200 log lines, a few events each.
fn big_recorder(replicas: usize) -> Recorder {
    let t0 = 1_700_000_000;
    let pods: Vec<PodTrack> = (0..replicas)
        .map(|i| PodTrack {
            name: if i == 0 { "big-chief-0".into() } else { format!("big-worker-{}", i - 1) },
            role: if i == 0 { "chief".into() } else { "worker".into() },
            node: format!("node-{:05}", i / 8),
            phase: "Running".into(),
            created: t0,
            started: t0 + 5 + (i % 7) as i64,
            restarts: (i % 5 == 4) as i32,
            gpus: 1.0,
            live: true,
            ..Default::default()
        })
        .collect();
    let events = pods
        .iter()
        .flat_map(|p| {
            [
                ("Scheduled", format!("Successfully assigned default/{} to {}", p.name, p.node)),
                ("Started", "Started container tensorflow".into()),
            ]
            .into_iter()
            .map(|(reason, message)| EventLine {
                time: p.started,
                type_: "Normal".into(),
                reason: reason.into(),
                object: format!("Pod/{}", p.name),
                message,
                count: 1,
            })
        })
        .collect();
    let logs = pods
        .iter()
        .map(|p| {
            let lines = (1..=200)
                .map(|e| format!("epoch={e} loss={:.4} accuracy={:.4}", 2.0 / e as f64, 1.0 - 1.0 / e as f64))
                .collect();
            (p.name.clone(), "tensorflow".to_string(), lines)
        })
        .collect();
    let job = TrainingJobRow {
        kind: "TFJob".into(),
        namespace: "default".into(),
        name: "big".into(),
        state: "Running".into(),
        replicas: vec![
            RoleCounts { role: "Chief".into(), desired: 1, active: 1, ..Default::default() },
            RoleCounts {
                role: "Worker".into(),
                desired: replicas as u64 - 1,
                active: replicas as u64 - 1,
                ..Default::default()
            },
        ],
        gpus: replicas as f64,
        created: t0,
        started: t0 + 5,
        ..Default::default()
    };
    let conditions = ["Created", "Running"]
        .iter()
        .enumerate()
        .map(|(i, c)| ConditionMark {
            type_: (*c).into(),
            status: "True".into(),
            time: t0 + i as i64 * 5,
            ..Default::default()
        })
        .collect();
    Recorder { job: Some(job), conditions, pods, events, logs, from_store: false, metrics: Vec::new() }
}

/// An experiment of `runs` runs with three metrics each, and `steps` points of the objective's metric per run.
fn big_experiment(runs: usize, steps: i64) -> bosun::state::experiments::ExperimentsData {
    use bosun::store::{JobRecord, PointRecord, RunRecord, SeriesSummary};
    let records = (0..runs)
        .map(|i| RunRecord {
            job: JobRecord {
                uid: format!("uid-{i}"),
                name: format!("sweep-{i:02}"),
                experiment: "sweep".into(),
                state: "Running".into(),
                hyperparameters: vec![
                    ("lr".into(), format!("{}", 1e-4 * (i + 1) as f64)),
                    ("batch".into(), format!("{}", 32 << (i % 3))),
                ],
                started: 1_767_225_600,
                ..Default::default()
            },
            metrics: ["loss", "accuracy", "val_loss"]
                .iter()
                .map(|m| SeriesSummary {
                    metric: m.to_string(),
                    points: steps,
                    last: 0.1,
                    min: 0.05 + i as f64 * 0.001,
                    max: 2.3,
                })
                .collect(),
        })
        .collect();
    let curves = (0..runs)
        .map(|i| {
            let points = (0..steps)
                .map(|s| PointRecord {
                    metric: "val_loss".into(),
                    step: Some(s),
                    wall_time: Some(1_767_225_600.0 + s as f64),
                    value: 2.3 * (-(s as f64) / (500.0 + i as f64 * 40.0)).exp()
                        + 0.05
                        + ((s * 7919) % 13) as f64 * 0.002,
                })
                .collect();
            (format!("uid-{i}"), points)
        })
        .collect();
    bosun::state::experiments::ExperimentsData {
        runs: records,
        metric: "val_loss".into(),
        curves,
        problems: Vec::new(),
        katib: Vec::new(),
    }
}

fn frames(screen: Screen, snapshot: Arc<ClusterSnapshot>) -> (f64, f64) {
    let (_, median, p95) = frames_with(screen, snapshot, |_| {});
    (median, p95)
}

/// The first frame's time, then the median and p95 of 200 more, of `screen` over `snapshot` after `setup`.
fn frames_with(screen: Screen, snapshot: Arc<ClusterSnapshot>, setup: impl FnOnce(&mut AppState)) -> (f64, f64, f64) {
    let mut state = AppState::new(Settings::default(), LaunchOptions::default());
    // A full hour of pods-by-phase history (720 samples), the most the Overview's chart ever draws.
    for i in 0..720_i64 {
        let mut counts = snapshot.pods_by_phase.clone();
        counts.entry("Pending".into()).and_modify(|n| *n += (i % 40) as usize);
        state.phase_history.push_back((snapshot.taken_at - (720 - i) * 5, counts));
    }
    state.cluster = Some(snapshot);
    state.settings.screen = screen;
    setup(&mut state);
    let (sender, _receiver) = command_channel();
    let theme = Theme::new(ThemeChoice::Dark);
    let mut screens = ScreenStates::default();
    let mut harness = egui_kittest::Harness::builder().with_size([1440.0, 900.0]).build_ui(move |ui| {
        theme.apply(ui.ctx());
        let view = ViewCtx { state: &state, theme: &theme, commands: &sender };
        views::show(ui, screen, &view, &mut screens);
    });
    let started = Instant::now();
    harness.step();
    let first = started.elapsed().as_secs_f64() * 1000.0;
    for _ in 0..9 {
        harness.step();
    }
    let mut times = Vec::new();
    for i in 0..200 {
        // Move the pointer over the table so rows hover, as a user's would.
        harness.hover_at(egui::pos2(600.0, 300.0 + (i % 40) as f32 * 10.0));
        let started = Instant::now();
        harness.step();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    (first, percentile(times.clone(), 0.5), percentile(times, 0.95))
}

fn main() {
    let node_count = env_usize("BOSUN_BENCH_NODES", 5000);
    let pod_count = env_usize("BOSUN_BENCH_PODS", 150_000);
    let node_rows = nodes(node_count);
    let pod_rows = pods(pod_count, node_count);

    let started = Instant::now();
    let page = query_pods(pod_rows.clone(), &PodQuery::default());
    let default_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let _ = query_pods(pod_rows.clone(), &PodQuery { sort: PodSort::Restarts, descending: true, ..Default::default() });
    let sort_ms = started.elapsed().as_secs_f64() * 1000.0;
    let started = Instant::now();
    let _ = query_pods(pod_rows.clone(), &PodQuery { text: "svc-01 team-3".into(), ..Default::default() });
    let filter_ms = started.elapsed().as_secs_f64() * 1000.0;
    println!(
        "pod query on {pod_count} rows (background thread): default order {default_ms:.0} ms, sort by restarts {sort_ms:.0} ms, text filter {filter_ms:.0} ms"
    );

    let mut pods_by_phase = std::collections::BTreeMap::new();
    for pod in &pod_rows {
        *pods_by_phase.entry(pod.phase.clone()).or_insert(0) += 1;
    }
    let ledger_rows = ledger::build(&node_rows, pod_rows.iter().map(|p| p.as_ref()));
    let snapshot = Arc::new(ClusterSnapshot {
        nodes_synced: true,
        pods_synced: true,
        totals: ledger::totals(&ledger_rows),
        nodes_ready: ledger_rows.len(),
        ledger: ledger_rows,
        pod_count,
        pods: Arc::new(page),
        pods_by_phase,
        training_jobs: Arc::new(training_jobs(env_usize("BOSUN_BENCH_JOBS", 5000))),
        ..Default::default()
    });
    let (median, p95) = frames(Screen::Pods, snapshot.clone());
    println!("pods screen, {pod_count} rows: median {median:.2} ms per frame, p95 {p95:.2} ms (goal: median <= 4 ms)");
    let (median, p95) = frames(Screen::Nodes, snapshot.clone());
    println!("nodes screen, {node_count} rows: median {median:.2} ms per frame, p95 {p95:.2} ms");
    let (median, p95) = frames(Screen::Training, snapshot.clone());
    let jobs = snapshot.training_jobs.len();
    println!("training screen, {jobs} jobs: median {median:.2} ms per frame, p95 {p95:.2} ms (goal: median <= 4 ms)");
    let replicas = 64;
    let (first, median, p95) = frames_with(Screen::Training, snapshot.clone(), |state| {
        state.training.open = Some(JobKey { kind: JobKind::TFJob, namespace: "default".into(), name: "big".into() });
        state.training.recorder = Loadable::Ready(big_recorder(replicas));
    });
    println!(
        "flight recorder, {replicas} replicas: first frame {first:.1} ms (goal, with bench recorder's gathering: <= 100 ms), then median {median:.2} ms, p95 {p95:.2} ms"
    );
    let (runs, steps) = (50, 10_000);
    let mut rebuild_ms = 0.0;
    let (first, median, p95) = frames_with(Screen::Experiments, snapshot.clone(), |state| {
        state.experiments.loaded(Ok(Box::new(big_experiment(runs, steps))));
        let started = Instant::now();
        state.experiments.handle(bosun::state::experiments::ExperimentsCommand::Smoothing(0.6));
        rebuild_ms = started.elapsed().as_secs_f64() * 1000.0;
    });
    println!(
        "experiments, {runs} runs x 3 metrics x {steps} steps, smoothed: curves rebuilt in {rebuild_ms:.1} ms per change, first frame {first:.1} ms, then median {median:.2} ms per frame, p95 {p95:.2} ms (goal: <= 8 ms)"
    );
    let (median, p95) = frames(Screen::Overview, snapshot);
    println!("overview, an hour of phase history: median {median:.2} ms per frame, p95 {p95:.2} ms");
}
