//! `bosun plan`: the capacity planner on the terminal — how many nodes of a shape it takes to run every pod that
//! waits for accelerators, what would still wait and why, and the accelerator use after.

use std::time::Duration;

use crate::cluster::training::JobError;
use crate::state::LaunchOptions;
use crate::workloads::capacity::{self, Plan};
use crate::workloads::missing_pods::QuotaWhatIf;

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
    let mut out = String::new();
    if let Some(answer) = best.nothing_to_add() {
        out.push_str(&answer);
        out.push('\n');
        waiting_table(&mut out, best);
        return out;
    }
    out.push_str(&format!(
        "{:<24} {:>12} {:>13} {:>8} {:>8}  {}\n",
        "SHAPE", "NODES-NEEDED", "STILL-WAITING", "USE-NOW", "USE-AFTER", "NODE TYPE"
    ));
    for p in plans {
        let needed = if p.enough { p.nodes_needed.to_string() } else { format!(">{}", p.nodes_needed) };
        let waiting = p.waiting_pods();
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
    let placed = best.pending_pods - best.waiting_pods();
    out.push_str(&format!(
        "\n{} {} like {} places {placed} of {} waiting pods; {} use {} now, {} after.\n",
        if best.enough { "Adding" } else { "Even adding" },
        crate::resources::quantity::counted(best.nodes_needed as usize, "node"),
        best.shape,
        best.pending_pods,
        best.resource,
        percent(best.utilisation_before),
        percent(best.utilisation_after),
    ));
    waiting_table(&mut out, best);
    out
}

/// What would still wait, and why.
fn waiting_table(out: &mut String, plan: &Plan) {
    if plan.still_waiting.is_empty() {
        return;
    }
    out.push_str(&format!(
        "\nStill waiting:\n{:<20} {:<28} {:>5} {:>5}  {}\n",
        "NAMESPACE", "NAME", "PODS", "GPUS", "WHY"
    ));
    for w in &plan.still_waiting {
        let gpus = crate::resources::quantity::count(w.gpus);
        out.push_str(&format!("{:<20} {:<28} {:>5} {:>5}  {}\n", w.namespace, w.name, w.pods, gpus, w.reason));
    }
}

pub fn run(
    launch: LaunchOptions,
    shape: Option<String>,
    max: u32,
    what_ifs: &[QuotaWhatIf],
    output: Output,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
    let plans = runtime.block_on(async {
        let cache = super::nodes::synced_cache(&launch, Duration::from_secs(60)).await?;
        let (ledger, pending) = cache.capacity_view(launch.namespace.as_deref());
        let client = super::client_for(&launch).await?;
        let demand = crate::cluster::capacity::demand(&client, launch.namespace.as_deref(), pending, what_ifs).await?;
        // With --shape, the planner's only complaint is about the node named: bad input (exit 2).
        let named = shape.is_some();
        let plans = tokio::task::spawn_blocking(move || {
            capacity::plans(&ledger, &demand.pending, &demand.refused, shape.as_deref(), max)
        })
        .await?;
        plans.map_err(|e| if named { JobError::BadInput(e).into() } else { anyhow::Error::msg(e) })
    })?;
    match output {
        Output::Json => {
            let mut json = serde_json::to_value(&plans[0])?;
            json["quota_what_if"] = what_ifs.iter().map(ToString::to_string).collect();
            println!("{}", serde_json::to_string_pretty(&json)?);
        }
        Output::Table => {
            if !what_ifs.is_empty() {
                let list: Vec<String> = what_ifs.iter().map(ToString::to_string).collect();
                println!("If the quotas were {}:\n", list.join(", "));
            }
            print!("{}", table(&plans))
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workloads::capacity::Waiting;

    fn plan(needed: u32, pending: usize, waiting: Vec<Waiting>) -> Plan {
        Plan {
            shape: "gpu-h100-1".into(),
            shape_description: "a3-highgpu-8g: 8 × nvidia.com/gpu".into(),
            nodes_needed: needed,
            enough: true,
            still_waiting: waiting,
            resource: "nvidia.com/gpu".into(),
            utilisation_before: 0.5,
            utilisation_after: 0.9,
            pending_pods: pending,
            quota_held: 0,
            new_nodes: vec![],
            curve: vec![],
        }
    }

    #[test]
    fn the_table_says_the_answer_and_what_still_waits() {
        assert_eq!(table(&[plan(0, 0, vec![])]), "No pod is waiting for accelerators.\n");
        let big = Waiting { namespace: "ml".into(), name: "huge".into(), pods: 1, gpus: 16.0, reason: "why".into() };
        let text = table(&[plan(2, 5, vec![big.clone()])]);
        assert!(text.contains("Adding 2 nodes like gpu-h100-1 places 4 of 5 waiting pods"), "{text}");
        assert!(text.contains("ml                   huge                             1    16  why"), "{text}");
        let none = table(&[plan(0, 1, vec![big])]);
        assert!(none.starts_with("No kind of node here would run the waiting pod."), "{none}");
    }
}
