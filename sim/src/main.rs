//! The `kubesim` binary: serve a simulated cluster until stopped (Ctrl+C or SIGTERM).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use kubesim::{Config, FaultConfig, Fleet};

/// A simulated Kubernetes cluster for trying Bosun and for tests. Point kubectl at it with
/// `KUBECONFIG=<kubeconfig-out> kubectl get nodes`.
#[derive(Debug, Parser)]
#[command(name = "kubesim", version, about)]
struct Args {
    /// Cluster shape: demo (a small GPU lab), empty, or scale (see --nodes/--pods).
    #[arg(long, default_value = "demo")]
    fleet: String,
    /// Nodes of the scale fleet.
    #[arg(long, default_value_t = 5000)]
    nodes: usize,
    /// Running pods of the scale fleet.
    #[arg(long, default_value_t = 150_000)]
    pods: usize,
    /// Where to write the kubeconfig (contexts kubesim-admin and kubesim-viewer).
    #[arg(long, value_name = "PATH", default_value = "kubesim.kubeconfig")]
    kubeconfig_out: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Serve plain HTTP instead of HTTPS.
    #[arg(long)]
    plain_http: bool,
    /// Simulated seconds per real second: 10 makes simulated jobs run ten times faster.
    #[arg(long, default_value_t = 1.0)]
    time_scale: f64,
    /// Seed for the fleet and the simulated workloads.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fraction of requests to fail (0–1), with --error-code.
    #[arg(long, default_value_t = 0.0)]
    error_rate: f64,
    /// Status code of injected failures: 500, 503 or 429.
    #[arg(long, default_value_t = 503)]
    error_code: u16,
    /// Milliseconds of latency added to every request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Close watches after this many seconds, so clients must resume (0 = never).
    #[arg(long, default_value_t = 0)]
    drop_watches_after: u64,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let Some(fleet) = Fleet::parse(&args.fleet, args.nodes, args.pods) else {
        eprintln!("kubesim: unknown fleet {:?}: use demo, empty or scale", args.fleet);
        return ExitCode::from(2);
    };
    let config = Config {
        fleet,
        tls: !args.plain_http,
        port: args.port,
        kubeconfig_out: Some(args.kubeconfig_out),
        time_scale: args.time_scale,
        seed: args.seed,
        faults: FaultConfig {
            error_rate: args.error_rate,
            error_code: args.error_code,
            latency_ms: args.latency_ms,
            drop_watch_after_secs: args.drop_watches_after,
            expired_users: Vec::new(),
        },
        controllers: true,
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("kubesim: could not start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let server = match kubesim::start(config).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("kubesim: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!("kubesim serving at {}", server.base_url());
        println!("kubeconfig written to {}", server.kubeconfig_path().display());
        println!("try: KUBECONFIG={} kubectl get nodes", server.kubeconfig_path().display());
        wait_for_signal().await;
        server.shutdown();
        ExitCode::SUCCESS
    })
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
