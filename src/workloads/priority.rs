//! The usual ladder of PriorityClasses for sharing GPUs between teams, as objects: deadline work that may preempt
//! (`research-critical`), every team's normal work (`team-default`), and work that waits rather than preempts and is
//! the first to go (`best-effort`, `preemptionPolicy: Never`). Pure.

use serde_json::{Value, json};

/// One rung: name, value, whether it may preempt lower ones, and what it is for.
pub struct Rung {
    pub name: &'static str,
    pub value: i64,
    pub preempts: bool,
    pub description: &'static str,
}

pub const LADDER: [Rung; 3] = [
    Rung {
        name: "research-critical",
        value: 100_000,
        preempts: true,
        description: "Deadline work: may preempt team-default and best-effort pods.",
    },
    Rung { name: "team-default", value: 10_000, preempts: true, description: "A team's normal training and serving." },
    Rung {
        name: "best-effort",
        value: 1_000,
        preempts: false,
        description: "Notebooks and experiments: wait for room instead of preempting, and are preempted first.",
    },
];

/// The ladder's PriorityClass objects, labelled as Bosun's.
pub fn ladder() -> Vec<Value> {
    LADDER
        .iter()
        .map(|r| {
            json!({
                "apiVersion": "scheduling.k8s.io/v1",
                "kind": "PriorityClass",
                "metadata": {"name": r.name, "labels": {super::render::MANAGED_BY.0: super::render::MANAGED_BY.1}},
                "value": r.value,
                "globalDefault": false,
                "preemptionPolicy": if r.preempts { "PreemptLowerPriority" } else { "Never" },
                "description": r.description,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ladder_descends_and_best_effort_never_preempts() {
        let objects = ladder();
        let values: Vec<i64> = objects.iter().filter_map(|o| o["value"].as_i64()).collect();
        assert!(values.windows(2).all(|w| w[0] > w[1]), "{values:?}");
        assert_eq!(objects[2]["metadata"]["name"], "best-effort");
        assert_eq!(objects[2]["preemptionPolicy"], "Never");
    }
}
