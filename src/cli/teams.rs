//! `bosun teams`: GPUs per team (namespace) — requested, in use, quota, running and waiting pods, the oldest wait,
//! and who made them — as the Teams view will show them.

use crate::resources::teams::TeamRow;
use crate::state::LaunchOptions;

/// How to print the teams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
}

/// Devices are counted: `8`, or `0.5` for a fraction of a shared GPU.
fn number(v: f64) -> String {
    crate::resources::quantity::count(v)
}

/// The teams as `bosun teams` prints them; `now` in Unix seconds for the waiting times.
pub fn table(rows: &[TeamRow], now: i64) -> String {
    let mut out = format!(
        "{:<20} {:>9} {:>7} {:>6} {:>8} {:>8} {:<15} {}\n",
        "NAMESPACE", "REQUESTED", "IN-USE", "QUOTA", "RUNNING", "PENDING", "OLDEST-PENDING", "WHO"
    );
    for r in rows {
        let quota = r.gpu_quota.map_or("-".to_string(), number);
        let waiting = r.oldest_pending.map_or("-".to_string(), |t| kubefmt::duration::human(now - t));
        let who: Vec<String> = r.creators.iter().map(|c| format!("{} ({})", c.who, c.pods)).collect();
        out.push_str(&format!(
            "{:<20} {:>9} {:>7} {:>6} {:>8} {:>8} {:<15} {}\n",
            r.namespace,
            number(r.gpus_requested),
            number(r.gpus_in_use),
            quota,
            r.running,
            r.pending,
            waiting,
            who.join(", ")
        ));
    }
    out
}

pub fn run(launch: LaunchOptions, output: Output) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async {
        let client = super::client_for(&launch).await?;
        let rows = crate::cluster::teams::list(&client, launch.namespace.as_deref()).await?;
        match output {
            Output::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
            Output::Table => print!("{}", table(&rows, jiff::Timestamp::now().as_second())),
        }
        Ok(())
    })
}
