//! `bosun plan`: the capacity planner on the terminal — how many nodes of a shape it takes to run every pod that
//! waits for accelerators, what would still wait and why, and the accelerator use after.

use std::time::Duration;

use crate::state::LaunchOptions;
use crate::workloads::capacity::{self, Plan};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
}

fn percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// The plans as `bosun plan` prints them: one line per shape, then the first plan's verdict and what still waits.
pub fn table(plans: &[Plan]) -> String {
    let Some(best) = plans.first() else { return String::new() };
    if best.pending_pods == 0 {
        return "No pod is waiting for accelerators: nothing to plan.\n".into();
    }
    let mut out = format!(
        "{:<24} {:>12} {:>13} {:>8} {:>8}  {}\n",
        "SHAPE", "NODES-NEEDED", "STILL-WAITING", "USE-NOW", "USE-AFTER", "NODE TYPE"
    );
    for p in plans {
        let needed = if p.enough { p.nodes_needed.to_string() } else { format!(">{}", p.nodes_needed) };
        let waiting: usize = p.still_waiting.iter().map(|w| w.pods).sum();
        out.push_str(&format!(
            "{:<24} {:>12} {:>13} {:>8} {:>8}  {}\n",
            p.shape,
            needed,
            waiting,
            percent(p.utilisation_before),
            percent(p.utilisation_after),
            p.shape_description
        ));
    }
    let placed = best.pending_pods - best.still_waiting.iter().map(|w| w.pods).sum::<usize>();
    out.push_str(&format!(
        "\n{} {} like {} place {placed} of {} waiting pods; {} use {} now, {} after.\n",
        if best.enough { "Adding" } else { "Even adding" },
        crate::resources::quantity::counted(best.nodes_needed as usize, "node"),
        best.shape,
        best.pending_pods,
        best.resource,
        percent(best.utilisation_before),
        percent(best.utilisation_after),
    ));
    if !best.still_waiting.is_empty() {
        out.push_str(&format!(
            "\nStill waiting:\n{:<20} {:<28} {:>5} {:>5}  {}\n",
            "NAMESPACE", "NAME", "PODS", "GPUS", "WHY"
        ));
        for w in &best.still_waiting {
            out.push_str(&format!(
                "{:<20} {:<28} {:>5} {:>5}  {}\n",
                w.namespace,
                w.name,
                w.pods,
                crate::metrics::short(w.gpus),
                w.reason
            ));
        }
    }
    out
}

pub fn run(launch: LaunchOptions, shape: Option<String>, max: u32, output: Output) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let plans = runtime.block_on(async {
        let ledger = super::nodes::ledger_for(&launch, Duration::from_secs(60)).await?;
        let client = super::client_for(&launch).await?;
        let pending = crate::cluster::capacity::pending(&client, launch.namespace.as_deref()).await?;
        let plans =
            tokio::task::spawn_blocking(move || capacity::plans(&ledger, &pending, shape.as_deref(), max)).await?;
        plans.map_err(anyhow::Error::msg)
    })?;
    match output {
        Output::Json => println!("{}", serde_json::to_string_pretty(&plans[0])?),
        Output::Table => print!("{}", table(&plans)),
    }
    Ok(())
}
