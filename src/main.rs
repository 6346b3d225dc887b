//! The `bosun` binary: parse the command line, run the chosen mode, turn errors into an exit code.

use std::io::IsTerminal as _;
use std::process::ExitCode;

use clap::Parser;

use bosun::cli::{Args, Mode};

fn main() -> ExitCode {
    let args = Args::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| args.log_filter().into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, never into a file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bosun: {e:#}");
            ExitCode::from(bosun::cli::exit_code(&e))
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let config = args.into_config()?;
    match config.mode {
        Mode::Gui { launch, demo } => bosun::run_gui(launch, config.config_dir, demo),
        Mode::Nodes { launch, output, timeout } => bosun::cli::nodes::run(launch, output, timeout),
        Mode::Install { launch, args } => bosun::cli::install::install(launch, args),
        Mode::Uninstall { launch, yes, delete_data, folder } => {
            bosun::cli::install::uninstall(launch, yes, delete_data, folder)
        }
        Mode::Status { launch } => bosun::cli::install::status(launch),
        Mode::Render { components, sets, out } => bosun::cli::install::render(&components, &sets, &out),
        Mode::Submit { launch, args } => bosun::cli::training::submit(launch, args, config.config_dir),
        Mode::Fit { launch, file, output, timeout } => {
            bosun::cli::training::fit(launch, file, output, timeout, config.config_dir)
        }
        Mode::Jobs { launch, output, watch } => bosun::cli::training::jobs(launch, output, watch),
        Mode::Tfevents { path, output } => bosun::cli::metrics::tfevents(&path, output),
        Mode::Metrics { launch, selection, output } => {
            bosun::cli::runs::metrics(launch, config.config_dir, selection, output)
        }
        Mode::Runs { launch, selection, output } => {
            bosun::cli::runs::runs(launch, config.config_dir, selection, output)
        }
        Mode::Slices(args) => bosun::cli::slices::run(args),
        Mode::Serve { launch, file, wait, timeout, dry_run } => {
            bosun::cli::serving::serve(launch, file, wait, timeout, dry_run)
        }
        Mode::Servers { launch, output } => bosun::cli::serving::servers(launch, output),
        Mode::Teams { launch, output } => bosun::cli::teams::run(launch, output),
        Mode::Plan { launch, shape, max, quota, output } => bosun::cli::plan::run(launch, shape, max, &quota, output),
        Mode::Predict { launch, server, model, json } => bosun::cli::serving::predict(launch, server, model, json),
        Mode::Forward { launch, target, ports } => bosun::cli::serving::forward(launch, target, ports),
        Mode::BenchSync { nodes, pods } => bosun::cli::bench::sync(nodes, pods),
        Mode::BenchInstall => bosun::cli::bench::install(),
        Mode::BenchStore { pods, rate, seconds } => bosun::cli::bench::store(pods, rate, seconds),
        Mode::BenchStoreWriter { db, batch } => bosun::cli::bench::store_writer(&db, batch),
        Mode::BenchRecorder { replicas } => bosun::cli::bench_recorder::recorder(replicas),
        Mode::BenchTfevents { points } => bosun::cli::bench_tfevents::run(points),
        Mode::BenchMetrics { lines } => bosun::cli::bench_metrics::run(lines),
        Mode::BenchSlices { rows } => bosun::cli::bench_slices::run(rows),
        Mode::BenchPlan { nodes, pods, pending } => bosun::cli::bench_plan::run(nodes, pods, pending),
        Mode::BenchForward { requests, concurrency } => bosun::cli::bench_forward::run(requests, concurrency),
        Mode::BenchTfeventsRead { file } => bosun::cli::bench_tfevents::read(&file),
        Mode::BenchSyncClient { launch } => bosun::cli::bench::sync_client(launch.kubeconfig),
    }
}
