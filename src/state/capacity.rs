//! The Nodes screen's Capacity planner tab: which shape of node to add (or every kind), how many at most, and the
//! planner's answer for the ledger as it stood when asked — re-asked while the tab is shown, every half minute or
//! when the question changes.

use std::time::{Duration, Instant};

use super::loadable::Loadable;
use super::protocol::TeamsRequest;
use crate::charts::{LineChart, Series};
use crate::workloads::capacity::{CurvePoint, Plan};
use crate::workloads::missing_pods::QuotaWhatIf;

/// The "if a team's quota were …" fields, before they are asked.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WhatIfDraft {
    pub namespace: String,
    /// The accelerator resource (`nvidia.com/gpu`).
    pub resource: String,
    pub hard: u32,
}

impl WhatIfDraft {
    /// The what-if it says, when a team and a resource are chosen.
    pub fn what_if(&self) -> Option<QuotaWhatIf> {
        (!self.namespace.is_empty() && !self.resource.is_empty()).then(|| QuotaWhatIf {
            namespace: self.namespace.clone(),
            resource: Some(self.resource.clone()),
            hard: f64::from(self.hard),
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlannerState {
    /// The node to copy; `None`: try every kind of node.
    pub shape: Option<String>,
    pub max: u32,
    /// The quota the plan assumes for a team instead of its own, when one is asked.
    pub what_if: Option<QuotaWhatIf>,
    pub draft: WhatIfDraft,
    /// The plans, the chosen shape's (or the best) first.
    pub plans: Loadable<Vec<Plan>>,
    /// Which of the plans the detail shows.
    pub selected: usize,
    /// The charts of the plan shown, built once per answer or choice (not every frame).
    pub waiting_chart: Option<LineChart>,
    pub utilisation_chart: Option<LineChart>,
    asked: Option<Question>,
}

/// What the last answer was asked for.
#[derive(Debug, Clone, PartialEq)]
struct Question {
    cluster: String,
    shape: Option<String>,
    max: u32,
    what_if: Option<QuotaWhatIf>,
    at: Instant,
}

impl Default for PlannerState {
    fn default() -> Self {
        Self {
            shape: None,
            max: 50,
            what_if: None,
            draft: WhatIfDraft::default(),
            plans: Loadable::Idle,
            selected: 0,
            waiting_chart: None,
            utilisation_chart: None,
            asked: None,
        }
    }
}

/// How long an answer stands while the tab is shown.
const FRESH_FOR: Duration = Duration::from_secs(30);

impl PlannerState {
    /// Whether the tab, shown now for `cluster`, should ask again.
    pub fn stale(&self, cluster: &str) -> bool {
        self.asked.as_ref().is_none_or(|q| {
            q.cluster != cluster
                || q.shape != self.shape
                || q.max != self.max
                || q.what_if != self.what_if
                || q.at.elapsed() >= FRESH_FOR
        })
    }

    /// The question for the planner when one is due (and none is on its way).
    pub fn ask(&mut self, cluster: &str, namespace: Option<String>) -> Option<TeamsRequest> {
        let same_cluster = self.asked.as_ref().is_some_and(|q| q.cluster == cluster);
        if !self.stale(cluster) || (matches!(self.plans, Loadable::Loading) && same_cluster) {
            return None;
        }
        if !same_cluster {
            self.plans = Loadable::Loading;
            self.selected = 0;
            // Another cluster's teams and quotas: a what-if about this one's means nothing there.
            if self.asked.is_some() {
                self.what_if = None;
                self.draft = WhatIfDraft::default();
            }
        }
        if matches!(self.plans, Loadable::Idle | Loadable::Failed(_)) {
            self.plans = Loadable::Loading;
        }
        let (shape, max, what_if) = (self.shape.clone(), self.max, self.what_if.clone());
        self.asked = Some(Question {
            cluster: cluster.to_string(),
            shape: shape.clone(),
            max,
            what_if: what_if.clone(),
            at: Instant::now(),
        });
        Some(TeamsRequest::Plan { namespace, shape, max, what_ifs: what_if.into_iter().collect() })
    }

    pub fn set_shape(&mut self, shape: Option<String>) {
        self.shape = shape;
        self.select(0);
    }

    /// Shows plan `i` of the answer.
    pub fn select(&mut self, i: usize) {
        self.selected = i;
        self.rebuild_charts();
    }

    fn rebuild_charts(&mut self) {
        let plan = self.plan();
        // Pods still waiting, and the accelerator use, against the number of nodes added.
        let waiting = plan.map(|p| {
            let title = format!("Pods still waiting with N more nodes like {}", p.shape);
            Self::curve_chart(p, title, "pods waiting", true, |c| c.waiting_pods as f64)
        });
        let utilisation = plan.map(|p| {
            let title = format!("{} in use (%)", p.resource);
            Self::curve_chart(p, title, "% in use", false, |c| c.utilisation * 100.0)
        });
        (self.waiting_chart, self.utilisation_chart) = (waiting, utilisation);
    }

    /// Plans with the draft's quota (`true`), or with the quotas as they are.
    pub fn use_what_if(&mut self, on: bool) {
        self.what_if = if on { self.draft.what_if() } else { None };
    }

    pub fn set_max(&mut self, max: u32) {
        self.max = max.clamp(1, 500);
    }

    /// Applies the planner's answer; a failure replaces what is shown only when nothing was.
    pub fn apply(&mut self, result: Result<Vec<Plan>, String>) -> Option<String> {
        match (result, &self.plans) {
            (Ok(plans), _) => {
                self.selected = self.selected.min(plans.len().saturating_sub(1));
                self.plans = Loadable::Ready(plans);
                self.rebuild_charts();
                None
            }
            (Err(e), Loadable::Ready(_)) => Some(e),
            (Err(e), _) => {
                self.plans = Loadable::Failed(e);
                None
            }
        }
    }

    /// The plan the detail shows.
    pub fn plan(&self) -> Option<&Plan> {
        self.plans.ready().and_then(|p| p.get(self.selected).or_else(|| p.first()))
    }

    /// A chart of the plan's curve: one value per count of nodes added.
    fn curve_chart(
        plan: &Plan,
        title: String,
        y_label: &str,
        fill: bool,
        value: impl Fn(&CurvePoint) -> f64,
    ) -> LineChart {
        let points = plan.curve.iter().map(|c| (f64::from(c.nodes), value(c))).collect();
        LineChart {
            title,
            x_label: "nodes added".into(),
            y_label: y_label.into(),
            series: vec![Series { name: y_label.into(), points }],
            fill_first: fill,
            fit_y: false,
            log_y: false,
        }
    }

    /// What still waits, as CSV: `namespace,name,pods,gpus,reason`.
    pub fn csv(&self) -> Option<(String, String)> {
        let plan = self.plan()?;
        let mut out = String::from("namespace,name,pods,gpus,reason\n");
        for w in &plan.still_waiting {
            let reason = format!("\"{}\"", w.reason.replace('"', "\"\""));
            out.push_str(&format!("{},{},{},{},{reason}\n", w.namespace, w.name, w.pods, w.gpus));
        }
        Some((format!("plan-{}-{}-nodes.csv", plan.shape, plan.nodes_needed), out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(shape: &str) -> Plan {
        Plan {
            shape: shape.into(),
            shape_description: String::new(),
            nodes_needed: 2,
            enough: true,
            still_waiting: vec![crate::workloads::capacity::Waiting {
                namespace: "ml".into(),
                name: "big".into(),
                pods: 1,
                gpus: 16.0,
                reason: "no node could ever hold it: needs 16 \"GPUs\"".into(),
            }],
            resource: "nvidia.com/gpu".into(),
            utilisation_before: 0.5,
            utilisation_after: 0.9,
            pending_pods: 3,
            quota_held: 0,
            new_nodes: vec![],
            curve: vec![crate::workloads::capacity::CurvePoint { nodes: 0, waiting_pods: 3, utilisation: 0.5 }],
        }
    }

    #[test]
    fn asks_once_per_question_and_again_when_it_changes() {
        let mut state = PlannerState::default();
        assert!(state.ask("lab", None).is_some());
        assert!(state.ask("lab", None).is_none(), "one question at a time");
        assert!(state.apply(Ok(vec![plan("h100")])).is_none());
        assert!(state.ask("lab", None).is_none(), "the answer stands a while");
        state.set_shape(Some("a100".into()));
        let Some(TeamsRequest::Plan { shape, max, .. }) = state.ask("lab", None) else { panic!("asks again") };
        assert_eq!((shape.as_deref(), max), (Some("a100"), 50));
        assert!(state.apply(Err("forbidden".into())).is_some(), "a failure keeps the answer shown");
        assert_eq!(state.plan().map(|p| p.shape.as_str()), Some("h100"));
        assert!(state.ask("other", None).is_some() && matches!(state.plans, Loadable::Loading));
        state.apply(Ok(vec![plan("h100")]));
        state.use_what_if(true);
        assert!(state.what_if.is_none(), "no team chosen yet: nothing to assume");
        state.draft = WhatIfDraft { namespace: "ml".into(), resource: "nvidia.com/gpu".into(), hard: 64 };
        state.use_what_if(true);
        let Some(TeamsRequest::Plan { what_ifs, .. }) = state.ask("other", None) else { panic!("asks again") };
        assert_eq!(what_ifs.iter().map(ToString::to_string).collect::<Vec<_>>(), ["ml/nvidia.com/gpu=64"]);
        let Some(TeamsRequest::Plan { what_ifs, .. }) = state.ask("third", None) else { panic!("asks again") };
        assert!(what_ifs.is_empty() && state.what_if.is_none(), "a what-if stays with its cluster");
    }

    #[test]
    fn charts_and_csv_come_from_the_plan_shown() {
        let mut state = PlannerState::default();
        state.apply(Ok(vec![plan("h100")]));
        assert_eq!(state.waiting_chart.as_ref().expect("chart").series[0].points, [(0.0, 3.0)]);
        assert_eq!(state.utilisation_chart.as_ref().expect("chart").series[0].points, [(0.0, 50.0)]);
        let (name, text) = state.csv().expect("csv");
        assert_eq!(name, "plan-h100-2-nodes.csv");
        assert!(text.ends_with("ml,big,1,16,\"no node could ever hold it: needs 16 \"\"GPUs\"\"\"\n"), "{text}");
    }
}
