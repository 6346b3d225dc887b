//! The `bosun` binary: parse the command line, run the chosen mode, turn errors into an exit code.

use std::process::ExitCode;

use clap::Parser;

use bosun::cli::{Args, Mode};

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn,bosun=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bosun: {e:#}");
            // Install commands tell scripts why they failed: 2 bad input, 3 not ready in time, 4 forbidden.
            match e.downcast_ref::<bosun::cluster::install::InstallError>() {
                Some(install) => ExitCode::from(install.exit_code() as u8),
                None if e.downcast_ref::<bosun::stack::StackError>().is_some() => ExitCode::from(2),
                None => ExitCode::FAILURE,
            }
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
        Mode::BenchSync { nodes, pods } => bosun::cli::bench::sync(nodes, pods),
        Mode::BenchInstall => bosun::cli::bench::install(),
        Mode::BenchSyncClient { launch } => bosun::cli::bench::sync_client(launch.kubeconfig),
    }
}
