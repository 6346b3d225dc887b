//! The Nodes screen's Teams tab: GPUs by team against their quotas and the cluster's PriorityClasses, read every few
//! seconds while the tab is shown; applying the preset PriorityClass ladder.

use std::time::{Duration, Instant};

use super::loadable::Loadable;
use super::protocol::{TeamsData, TeamsEvent, TeamsRequest};
use crate::tone::Tone;

pub use crate::cluster::priorities::PriorityRow;

/// The quota form of the Teams tab: a team's accelerator quota, and what one container may ask for at most.
#[derive(Debug, Clone, PartialEq)]
pub struct QuotaForm {
    pub namespace: String,
    /// The accelerator resource (`nvidia.com/gpu`); the quota limits its requests.
    pub resource: String,
    pub hard: u32,
    /// 0: no per-container cap.
    pub max_per_container: u32,
}

impl Default for QuotaForm {
    fn default() -> Self {
        Self { namespace: String::new(), resource: "nvidia.com/gpu".into(), hard: 8, max_per_container: 0 }
    }
}

impl QuotaForm {
    /// What applying it does, in words.
    pub fn summary(&self) -> String {
        let cap = if self.max_per_container > 0 {
            format!(", at most {} per container", self.max_per_container)
        } else {
            String::new()
        };
        format!("{}: {} {} for the team{cap}", self.namespace, self.hard, self.resource)
    }
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct TeamsState {
    pub data: Loadable<TeamsData>,
    listed_at: Option<Instant>,
    listed_for: String,
    pub applying: bool,
    pub quota_form: QuotaForm,
    pub applying_quota: bool,
    /// The cluster's PriorityClasses for the launch forms' pickers (read once per cluster, and with every list).
    pub classes: Vec<PriorityRow>,
    /// Kueue's LocalQueues for the forms' queue pickers (empty without Kueue).
    pub local_queues: Vec<crate::resources::kueue::LocalQueueRow>,
    /// The cluster the forms' classes are of, and when they were asked for.
    classes_for: Option<(String, Instant)>,
}

/// How long the forms' PriorityClasses and LocalQueues stand before they are read again.
const CLASSES_FRESH_FOR: Duration = Duration::from_secs(15);

/// How often the tab reads the cluster while it is shown.
const REFRESH: Duration = Duration::from_secs(5);

impl TeamsState {
    /// Whether the tab, shown now for `cluster`, should read again.
    pub fn stale(&self, cluster: &str) -> bool {
        self.listed_for != cluster || self.listed_at.is_none_or(|t| t.elapsed() >= REFRESH)
    }

    /// A read when stale (and none is under way for this cluster).
    pub fn refresh(&mut self, cluster: &str, namespace: Option<String>) -> Option<TeamsRequest> {
        if !self.stale(cluster) || (matches!(self.data, Loadable::Loading) && self.listed_for == cluster) {
            return None;
        }
        if self.listed_for != cluster {
            self.data = Loadable::Loading;
        }
        self.listed_for = cluster.to_string();
        self.listed_at = Some(Instant::now());
        Some(TeamsRequest::List { namespace })
    }

    /// The PriorityClasses and LocalQueues for the forms: read for a new cluster, and again when the last read is
    /// older than [`CLASSES_FRESH_FOR`] (classes and queues appear after connecting: an installer, a ladder).
    pub fn want_classes(&mut self, cluster: &str) -> Option<TeamsRequest> {
        let same = self.classes_for.as_ref().is_some_and(|(c, _)| c == cluster);
        if same && self.classes_for.as_ref().is_some_and(|(_, at)| at.elapsed() < CLASSES_FRESH_FOR) {
            return None;
        }
        if !same {
            self.classes.clear();
            self.local_queues.clear();
        }
        self.classes_for = Some((cluster.to_string(), Instant::now()));
        Some(TeamsRequest::ListPriorities)
    }

    /// The quota form's request, or why not (no namespace chosen).
    pub fn apply_quota(&mut self) -> Option<TeamsRequest> {
        if self.quota_form.namespace.trim().is_empty() || self.quota_form.resource.trim().is_empty() {
            return None;
        }
        self.applying_quota = true;
        Some(TeamsRequest::ApplyQuota(self.quota_form.clone()))
    }

    pub fn apply_ladder(&mut self) -> TeamsRequest {
        self.applying = true;
        TeamsRequest::ApplyLadder
    }

    /// Applies an answer; a toast when there is one, and whether to read again.
    pub fn apply(&mut self, event: TeamsEvent) -> (Option<(Tone, String)>, bool) {
        match event {
            TeamsEvent::Listed(result) => {
                match (result, &self.data) {
                    (Ok(data), _) => {
                        self.classes = data.priorities.clone();
                        self.local_queues = data.kueue.as_ref().map(|k| k.local_queues.clone()).unwrap_or_default();
                        self.data = Loadable::Ready(*data);
                    }
                    // A failed refresh keeps what is shown, said in a toast.
                    (Err(e), Loadable::Ready(_)) => return (Some((Tone::Warn, e)), false),
                    (Err(e), _) => self.data = Loadable::Failed(e),
                }
                (None, false)
            }
            TeamsEvent::QuotaApplied(result) => {
                self.applying_quota = false;
                self.listed_at = None;
                match result {
                    Ok(what) => (Some((Tone::Ok, format!("Quota set: {what}"))), true),
                    Err(e) => (Some((Tone::Err, e)), false),
                }
            }
            TeamsEvent::Priorities(result, queues) => {
                // Who may not list them types the name instead.
                self.classes = result.unwrap_or_default();
                self.local_queues = queues;
                (None, false)
            }
            // The planner's answers go to its own state.
            TeamsEvent::Planned(_) => (None, false),
            TeamsEvent::LadderApplied(result) => {
                self.applying = false;
                self.listed_at = None;
                // The forms' pickers read the classes again.
                self.classes_for = None;
                match result {
                    Ok(names) => (Some((Tone::Ok, format!("PriorityClasses applied: {}", names.join(", ")))), true),
                    Err(e) => (Some((Tone::Err, e)), false),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_forms_classes_are_read_per_cluster_and_again_when_stale() {
        let mut state = TeamsState::default();
        assert!(matches!(state.want_classes("lab"), Some(TeamsRequest::ListPriorities)));
        assert!(state.want_classes("lab").is_none(), "fresh");
        state.classes_for = Some(("lab".into(), Instant::now() - CLASSES_FRESH_FOR));
        assert!(state.want_classes("lab").is_some(), "stale: read again");
        state.classes.push(PriorityRow {
            name: "team-default".into(),
            value: 10_000,
            global_default: false,
            preemption: "PreemptLowerPriority".into(),
            description: String::new(),
        });
        assert!(state.want_classes("other").is_some() && state.classes.is_empty(), "another cluster's are gone");
    }

    #[test]
    fn reads_are_paced_and_a_new_cluster_starts_over() {
        let mut state = TeamsState::default();
        assert!(state.refresh("a", None).is_some());
        assert!(state.refresh("a", None).is_none(), "one read at a time, then every few seconds");
        state.apply(TeamsEvent::Listed(Ok(Box::default())));
        assert!(state.refresh("a", None).is_none());
        assert!(state.refresh("b", None).is_some() && matches!(state.data, Loadable::Loading));
        state.apply(TeamsEvent::Listed(Ok(Box::default())));
        let (toast, _) = state.apply(TeamsEvent::Listed(Err("forbidden".into())));
        assert!(toast.is_some() && state.data.ready().is_some(), "a failed refresh keeps the data");
        let request = state.apply_ladder();
        assert!(matches!(request, TeamsRequest::ApplyLadder) && state.applying);
        let (toast, again) = state.apply(TeamsEvent::LadderApplied(Ok(vec!["best-effort".into()])));
        assert!(toast.unwrap().1.contains("best-effort") && again && !state.applying);
    }
}
