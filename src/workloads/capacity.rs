//! The capacity planner: "what would it take to run everything that waits for GPUs?" From a snapshot (the GPU
//! ledger and the pending accelerator pods), it replays the scheduler's placement on the current nodes plus N new
//! nodes shaped like an existing one, and finds the smallest N that places every pod — training jobs as a whole
//! (a gang either fits or waits). It answers which pods would still wait and why, and the accelerator use after.
//!
//! The replay follows the default scheduler's shape as kubesim implements it: pods by priority (highest first),
//! then age; per pod the nodes that pass the filters (cordon, taints, node selector, room), scored by the free
//! share of CPU and memory left after placing it (least allocated), the first best in name order winning.
//! Preemption is left out: the question is what it takes to run everything without evicting anyone.
//! Pure: no I/O; fast enough for 5,000 nodes and 2,000 pending pods in well under a second.

use std::collections::{BTreeMap, HashMap};

use k8s_openapi::api::core::v1::Pod;
use serde::Serialize;

use super::fit::{self, NodeRoom, RoleDemand, Toleration};
use crate::resources::accelerators::AcceleratorKind;
use crate::resources::ledger::LedgerRow;

/// A pod that waits for the default scheduler and asks for accelerators.
#[derive(Debug, Clone, PartialEq)]
pub struct PendingPod {
    pub namespace: String,
    pub name: String,
    /// The training job it belongs to (its gang), when it belongs to one.
    pub job: Option<String>,
    pub priority: i32,
    /// RFC 3339, as the API server writes it (compared as text, as the scheduler's queue does by time).
    pub created: String,
    pub demand: RoleDemand,
}

/// `the waiting pod` or `any of the 3 waiting pods`, for "no node would run …".
fn waiting_pods_phrase(n: usize) -> String {
    if n == 1 { "the waiting pod".into() } else { format!("any of the {n} waiting pods") }
}

impl PendingPod {
    /// The pod as the planner sees it, or `None` when it is not waiting for the default scheduler or asks for no
    /// accelerator.
    pub fn from_pod(pod: &Pod) -> Option<Self> {
        let spec = pod.spec.as_ref()?;
        let scheduler = spec.scheduler_name.as_deref().unwrap_or("default-scheduler");
        let gated = spec.scheduling_gates.as_ref().is_some_and(|g| !g.is_empty());
        let phase = pod.status.as_ref().and_then(|s| s.phase.as_deref()).unwrap_or("Pending");
        if spec.node_name.as_deref().is_some_and(|n| !n.is_empty())
            || scheduler != "default-scheduler"
            || gated
            || pod.metadata.deletion_timestamp.is_some()
            || matches!(phase, "Succeeded" | "Failed")
        {
            return None;
        }
        let r = crate::resources::pod::spec_requests(spec);
        if !r.accelerators.iter().any(|(_, a)| *a > 0.0) {
            return None;
        }
        let mut requests = BTreeMap::from([("cpu".to_string(), r.cpu), ("memory".to_string(), r.memory)]);
        requests.extend(r.accelerators.iter().cloned());
        requests.retain(|_, a| *a > 0.0);
        let tolerations = spec
            .tolerations
            .iter()
            .flatten()
            .map(|t| Toleration {
                key: t.key.clone().unwrap_or_default(),
                operator: t.operator.clone().unwrap_or_else(|| "Equal".into()),
                value: t.value.clone().unwrap_or_default(),
                effect: t.effect.clone().unwrap_or_default(),
            })
            .collect();
        let labels = pod.metadata.labels.as_ref();
        let namespace = pod.metadata.namespace.clone().unwrap_or_default();
        let job = labels.and_then(|l| l.get("training.kubeflow.org/job-name")).map(|j| format!("{namespace}/{j}"));
        Some(PendingPod {
            name: pod.metadata.name.clone().unwrap_or_default(),
            namespace,
            job,
            priority: spec.priority.unwrap_or(0),
            created: pod.metadata.creation_timestamp.as_ref().map(|t| t.0.to_string()).unwrap_or_default(),
            demand: RoleDemand {
                role: "Pod".into(),
                replicas: 1,
                requests,
                node_selector: spec.node_selector.clone().unwrap_or_default(),
                tolerations,
                // Only the affinity goes through JSON (the terms are read as the forms write them).
                affinity: match &spec.affinity {
                    Some(a) => fit::affinity_terms(&serde_json::json!({ "affinity": a })),
                    None => Vec::new(),
                },
            },
        })
    }

    fn accelerators(&self) -> f64 {
        self.demand.requests.iter().filter(|(r, _)| AcceleratorKind::of(r).is_some()).map(|(_, a)| a).sum()
    }
}

/// What would still wait: a training job (all its pending pods) or a lone pod.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Waiting {
    pub namespace: String,
    /// The job's name, or the pod's.
    pub name: String,
    pub pods: usize,
    /// Accelerators its pods ask for, summed.
    pub gpus: f64,
    pub reason: String,
}

/// One point of "pods still waiting against nodes added".
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    pub nodes: u32,
    pub waiting_pods: usize,
    pub utilisation: f64,
}

/// The planner's answer for one shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    /// The node whose copies are added.
    pub shape: String,
    /// What the shape is, in words (`a3-highgpu-8g, 8 × nvidia.com/gpu`).
    pub shape_description: String,
    /// The smallest number of new nodes that places every pod that could ever be placed (or `max` when even that
    /// is not enough: see `enough`).
    pub nodes_needed: u32,
    /// Whether `nodes_needed` new nodes place everything but the pods no node of this shape could ever hold.
    pub enough: bool,
    pub still_waiting: Vec<Waiting>,
    /// The accelerator resource the utilisation is of (the shape's, else the most asked for).
    pub resource: String,
    /// Requested / allocatable of `resource` across the nodes, now and with the new nodes and the placed pods.
    pub utilisation_before: f64,
    pub utilisation_after: f64,
    /// Pods waiting: for the scheduler, and (of `quota_held`) for a quota to let their operator create them.
    pub pending_pods: usize,
    /// Pods no node can help: a ResourceQuota refuses them (see `workloads::missing_pods`).
    pub quota_held: usize,
    /// The names the new nodes get in the replay (the scheduler breaks ties by name).
    pub new_nodes: Vec<String>,
    /// Waiting pods and utilisation for a few node counts around the answer, for the chart.
    pub curve: Vec<CurvePoint>,
}

impl Plan {
    /// Pods still waiting with the new nodes, those held by a quota included.
    pub fn waiting_pods(&self) -> usize {
        self.still_waiting.iter().map(|w| w.pods).sum()
    }

    /// The answer when adding nodes is no answer: nothing waits, only quotas hold pods back, or no kind of node
    /// would run any waiting pod.
    pub fn nothing_to_add(&self) -> Option<String> {
        let for_nodes = self.pending_pods - self.quota_held;
        let held = crate::resources::quantity::counted(self.quota_held, "pod");
        if self.pending_pods == 0 {
            Some("No pod is waiting for accelerators.".into())
        } else if for_nodes == 0 {
            Some(format!("No pod waits for a node; {held} wait for a quota to let their operator create them."))
        } else if self.nodes_needed == 0 && self.waiting_pods() == self.pending_pods {
            let quota = if self.quota_held > 0 { format!("; {held} wait for a quota") } else { String::new() };
            Some(format!("No kind of node here would run {}{quota}.", waiting_pods_phrase(for_nodes)))
        } else {
            None
        }
    }
}

/// The shapes worth adding: one node per kind of node (instance type, accelerators, CPU, memory, taints) on which
/// at least one pending pod could run were it empty, in name order.
pub fn shapes(ledger: &[LedgerRow], pending: &[PendingPod]) -> Vec<String> {
    let mut seen: HashMap<String, ()> = HashMap::new();
    let mut out = Vec::new();
    let rooms = fit::rooms(ledger);
    let mut rows: Vec<(&LedgerRow, &NodeRoom)> = ledger.iter().zip(&rooms).collect();
    rows.sort_by(|a, b| a.0.node.name.cmp(&b.0.node.name));
    for (row, room) in rows {
        if room.unschedulable || !row.node.ready {
            continue;
        }
        let key = format!(
            "{:?}|{:?}|{:?}|{}|{}|{:?}",
            row.node.instance_type,
            row.node.gpu.as_ref().map(|g| &g.product),
            room.allocatable,
            row.node.cpu.allocatable,
            row.node.memory.allocatable,
            row.node.taints
        );
        // One verdict per kind of node (thousands of nodes are a few kinds).
        if seen.insert(key, ()).is_some() {
            continue;
        }
        let empty = new_node(row, room);
        if pending.iter().any(|p| fits_empty(&empty, &p.demand).is_ok()) {
            out.push(row.node.name.clone());
        }
    }
    out
}

/// Whether a pod could run on this node were it empty; else why not, in plain words.
/// A new node like `room`'s (a row of the ledger): schedulable, empty but for the pods of its DaemonSets, which a
/// new node runs too.
fn new_node(row: &LedgerRow, room: &NodeRoom) -> NodeRoom {
    let mut free = room.allocatable.clone();
    let daemons = [("pods", row.daemons.pods as f64), ("cpu", row.daemons.cpu), ("memory", row.daemons.memory)];
    for (r, taken) in daemons {
        if let Some(f) = free.get_mut(r) {
            *f = (*f - taken).max(0.0);
        }
    }
    NodeRoom { free, unschedulable: false, ..room.clone() }
}

/// Whether a pod of `d` fits a new node `room` (its room beside its DaemonSets), or why not.
fn fits_empty(room: &NodeRoom, d: &RoleDemand) -> Result<(), String> {
    if let Some(why) = fit::static_reason(room, d) {
        return Err(why);
    }
    for (resource, amount) in &d.requests {
        let have = room.free.get(resource).copied().unwrap_or(0.0);
        if have + 1e-9 < *amount {
            let beside = if have + 1e-9 < room.allocatable.get(resource).copied().unwrap_or(0.0) {
                " beside its DaemonSets"
            } else {
                ""
            };
            return Err(format!(
                "needs {}, a {} node has {}{beside}",
                fit::amount_text(resource, *amount),
                room.name,
                fit::amount_text(resource, have)
            ));
        }
    }
    Ok(())
}

/// The planner's working copy: resources by index, node room as flat rows.
struct Replay<'a> {
    pods: &'a [PendingPod],
    /// Pods in the scheduler's queue order.
    order: Vec<usize>,
    /// Resource names; 0 is `pods`, 1 `cpu`, 2 `memory`.
    resources: Vec<String>,
    /// Per pod, its request of each resource.
    asks: Vec<Vec<f64>>,
    /// Every node, existing and new, in name order.
    nodes: Vec<ReplayNode>,
    /// The new nodes' names, in the order they are added.
    new_names: Vec<String>,
    /// Per pod, the existing nodes (indices into `nodes`) that pass its static filters.
    eligible: Vec<std::rc::Rc<Vec<u32>>>,
    /// Where each new node sits in `nodes` (the new nodes are all alike: see [`Replay::run`]).
    new_at: Vec<u32>,
    /// Per pod, the resources it asks for, accelerators first (the check that fails most often, first).
    checks: Vec<Vec<usize>>,
    /// Per pod, its gang (index into `gangs`).
    gang_of: Vec<usize>,
    gangs: Vec<Vec<usize>>,
    /// Per pod, how many existing nodes its static filters turn down, by reason (for the waiting message).
    turned_down: Vec<std::rc::Rc<BTreeMap<String, usize>>>,
    /// Per pod, the existing nodes its static filters let through (for the waiting message).
    static_ok: Vec<std::rc::Rc<Vec<u32>>>,
    /// Per pod, why a new node would turn it down, if one would.
    shape_reason: Vec<Option<String>>,
}

struct ReplayNode {
    room: NodeRoom,
    /// For a new node, which one (0-based); existing nodes are `None`.
    new: Option<u32>,
    free: Vec<f64>,
    /// Allocatable CPU and memory, for the score.
    cpu: f64,
    memory: f64,
}

impl ReplayNode {
    fn new(resources: &[String], room: NodeRoom, new: Option<u32>) -> Self {
        let of = |r: &str| room.allocatable.get(r).copied().unwrap_or(0.0);
        Self { free: vector(resources, &room.free), cpu: of("cpu"), memory: of("memory"), room, new }
    }
}

/// The outcome of one replay.
struct Outcome {
    /// Per pod, where it went.
    placed: Vec<Option<u32>>,
    free: Vec<Vec<f64>>,
    /// Per gang, the pod that found no node.
    stuck: Vec<Option<usize>>,
    /// Per pod of a gang that waits, the node it had before the gang gave its room back.
    given_back: Vec<Option<u32>>,
}

impl<'a> Replay<'a> {
    fn new(ledger: &[LedgerRow], pods: &'a [PendingPod], shape: &NodeRoom, max: u32) -> Self {
        let mut resources = vec!["pods".to_string(), "cpu".to_string(), "memory".to_string()];
        for p in pods {
            for r in p.demand.requests.keys() {
                if !resources.contains(r) {
                    resources.push(r.clone());
                }
            }
        }
        // The shape's accelerators too: the utilisation is of one of them, asked for or not.
        for r in shape.allocatable.keys().filter(|r| AcceleratorKind::of(r).is_some()) {
            if !resources.contains(r) {
                resources.push(r.clone());
            }
        }
        let asks: Vec<Vec<f64>> = pods
            .iter()
            .map(|p| {
                let mut v: Vec<f64> =
                    resources.iter().map(|r| p.demand.requests.get(r).copied().unwrap_or(0.0)).collect();
                v[0] = 1.0;
                v
            })
            .collect();
        let mut nodes: Vec<ReplayNode> =
            fit::rooms(ledger).into_iter().map(|room| ReplayNode::new(&resources, room, None)).collect();
        let new_names = new_names(&shape.name, max, &nodes);
        for (i, name) in (0..).zip(new_names.iter().cloned()) {
            let mut labels = shape.labels.clone();
            if labels.contains_key("kubernetes.io/hostname") {
                labels.insert("kubernetes.io/hostname".into(), name.clone());
            }
            let room = NodeRoom { name, labels, ..shape.clone() };
            nodes.push(ReplayNode::new(&resources, room, Some(i)));
        }
        nodes.sort_by(|a, b| a.room.name.cmp(&b.room.name));
        // Pods with the same selector and tolerations share their list of eligible nodes.
        // A node's room only shrinks during a replay, so a node without room for a pod at the start never has it:
        // pods with the same selector, tolerations and requests share the list of nodes worth trying.
        let mut by_signature: HashMap<String, std::rc::Rc<Vec<u32>>> = HashMap::new();
        let eligible = pods
            .iter()
            .zip(&asks)
            .map(|(p, ask)| {
                let key =
                    format!("{:?}|{:?}|{:?}|{ask:?}", p.demand.node_selector, p.demand.tolerations, p.demand.affinity);
                by_signature
                    .entry(key)
                    .or_insert_with(|| {
                        let list = nodes.iter().enumerate().filter(|(_, n)| {
                            n.new.is_none()
                                && ask.iter().zip(&n.free).all(|(a, f)| *a <= 0.0 || f + 1e-9 >= *a)
                                && fit::static_reason(&n.room, &p.demand).is_none()
                        });
                        std::rc::Rc::new(list.map(|(i, _)| i as u32).collect())
                    })
                    .clone()
            })
            .collect();
        type Verdicts = (std::rc::Rc<BTreeMap<String, usize>>, std::rc::Rc<Vec<u32>>);
        let mut by_signature: HashMap<String, Verdicts> = HashMap::new();
        let (turned_down, static_ok): (Vec<_>, Vec<_>) = pods
            .iter()
            .map(|p| {
                let key = format!("{:?}|{:?}|{:?}", p.demand.node_selector, p.demand.tolerations, p.demand.affinity);
                by_signature
                    .entry(key)
                    .or_insert_with(|| {
                        let mut counts: BTreeMap<String, usize> = BTreeMap::new();
                        let mut ok = Vec::new();
                        for (i, n) in nodes.iter().enumerate().filter(|(_, n)| n.new.is_none()) {
                            match fit::static_reason(&n.room, &p.demand) {
                                Some(why) => *counts.entry(why).or_default() += 1,
                                None => ok.push(i as u32),
                            }
                        }
                        (std::rc::Rc::new(counts), std::rc::Rc::new(ok))
                    })
                    .clone()
            })
            .unzip();
        let shape_reason = pods.iter().map(|p| fit::static_reason(shape, &p.demand)).collect();
        let mut order: Vec<usize> = (0..pods.len()).collect();
        // The scheduler's queue: priority, then age; the store's order (namespace, name) among equals.
        order.sort_by(|&a, &b| {
            let (pa, pb) = (&pods[a], &pods[b]);
            pb.priority
                .cmp(&pa.priority)
                .then_with(|| pa.created.cmp(&pb.created))
                .then_with(|| (&pa.namespace, &pa.name).cmp(&(&pb.namespace, &pb.name)))
        });
        let mut gang_index: HashMap<&str, usize> = HashMap::new();
        let mut gangs: Vec<Vec<usize>> = Vec::new();
        let mut gang_of = vec![0; pods.len()];
        for &i in &order {
            let g = match pods[i].job.as_deref() {
                Some(job) => *gang_index.entry(job).or_insert_with(|| {
                    gangs.push(Vec::new());
                    gangs.len() - 1
                }),
                None => {
                    gangs.push(Vec::new());
                    gangs.len() - 1
                }
            };
            gangs[g].push(i);
            gang_of[i] = g;
        }
        let mut new_at = vec![0; new_names.len()];
        for (at, n) in nodes.iter().enumerate() {
            if let Some(i) = n.new {
                new_at[i as usize] = at as u32;
            }
        }
        let checks = asks
            .iter()
            .map(|ask| {
                let mut c: Vec<usize> = (0..ask.len()).filter(|&i| ask[i] > 0.0).collect();
                c.sort_by_key(|&i| i < 3);
                c
            })
            .collect();
        Replay {
            pods,
            order,
            resources,
            asks,
            nodes,
            new_names,
            eligible,
            new_at,
            checks,
            gang_of,
            gangs,
            turned_down,
            static_ok,
            shape_reason,
        }
    }

    /// Places the pods in `include` with the first `added` new nodes present.
    fn run(&self, added: u32, include: &[bool]) -> Outcome {
        let mut free: Vec<Vec<f64>> = self.nodes.iter().map(|n| n.free.clone()).collect();
        let mut placed: Vec<Option<u32>> = vec![None; self.pods.len()];
        let mut given_back: Vec<Option<u32>> = vec![None; self.pods.len()];
        let mut stuck: Vec<Option<usize>> = vec![None; self.gangs.len()];
        // New nodes 0..touched have been given pods (some may have given them back); the rest are still empty.
        let mut touched: u32 = 0;
        for &p in &self.order {
            let g = self.gang_of[p];
            if !include[p] || stuck[g].is_some() {
                continue;
            }
            let ask = &self.asks[p];
            let check = &self.checks[p];
            // The best node, the first in name order among equals (as a scan in name order finds it).
            let mut best: Option<(u32, f64)> = None;
            let mut consider = |n: u32| {
                let room = &free[n as usize];
                if check.iter().any(|&i| room[i] + 1e-9 < ask[i]) {
                    return;
                }
                let s = score(&self.nodes[n as usize], room, ask);
                if best.is_none_or(|(b, bs)| s > bs || (s == bs && n < b)) {
                    best = Some((n, s));
                }
            };
            for &n in self.eligible[p].iter() {
                consider(n);
            }
            // New nodes are alike: those already given pods, and the first untouched one, are all that can differ.
            if self.shape_reason[p].is_none() {
                for i in 0..(touched + 1).min(added) {
                    consider(self.new_at[i as usize]);
                }
            }
            match best {
                Some((n, _)) => {
                    for (f, a) in free[n as usize].iter_mut().zip(ask) {
                        *f -= a;
                    }
                    placed[p] = Some(n);
                    if let Some(i) = self.nodes[n as usize].new {
                        touched = touched.max(i + 1);
                    }
                }
                None => {
                    // A gang waits whole: give back what its other pods took.
                    stuck[g] = Some(p);
                    for &q in &self.gangs[g] {
                        if let Some(n) = placed[q].take() {
                            given_back[q] = Some(n);
                            for (f, a) in free[n as usize].iter_mut().zip(&self.asks[q]) {
                                *f += a;
                            }
                        }
                    }
                }
            }
        }
        Outcome { placed, free, stuck, given_back }
    }

    fn waiting(&self, outcome: &Outcome, include: &[bool]) -> usize {
        (0..self.pods.len()).filter(|&p| include[p] && outcome.placed[p].is_none()).count()
    }

    /// Why a pod found no node in this outcome, in the scheduler's words.
    fn why(&self, outcome: &Outcome, added: u32, p: usize) -> String {
        let mut reasons = (*self.turned_down[p]).clone();
        let existing = self.nodes.iter().filter(|n| n.new.is_none()).count();
        if let Some(why) = &self.shape_reason[p] {
            *reasons.entry(why.clone()).or_default() += added as usize;
        }
        // As the scheduler saw it: with the room its job's other pods had taken before they gave it back.
        let gang = &self.gangs[self.gang_of[p]];
        let taken = |n: u32, i: usize| -> f64 {
            gang.iter().filter(|&&q| outcome.given_back[q] == Some(n)).map(|&q| self.asks[q][i]).sum()
        };
        let new_ones = if self.shape_reason[p].is_none() { &self.new_at[..added as usize] } else { &[][..] };
        for &n in self.static_ok[p].iter().chain(new_ones) {
            let room: Vec<f64> = outcome.free[n as usize].iter().enumerate().map(|(i, f)| f - taken(n, i)).collect();
            if room[0] < 1.0 {
                *reasons.entry("Too many pods".into()).or_default() += 1;
            }
            for (i, a) in self.asks[p].iter().enumerate().skip(1) {
                if *a > 0.0 && room[i] + 1e-9 < *a {
                    *reasons.entry(format!("Insufficient {}", self.resources[i])).or_default() += 1;
                }
            }
        }
        fit::scheduler_message(existing + added as usize, &reasons)
    }

    /// Requested / allocatable of resource `r` over the nodes present.
    fn utilisation(&self, free: &[Vec<f64>], added: u32, r: usize) -> f64 {
        let (mut used, mut total) = (0.0, 0.0);
        for (n, node) in self.nodes.iter().enumerate() {
            if node.new.is_some_and(|i| i >= added) {
                continue;
            }
            let alloc = node.room.allocatable.get(&self.resources[r]).copied().unwrap_or(0.0);
            total += alloc;
            used += alloc - free[n][r].max(0.0);
        }
        if total > 0.0 { used / total } else { 0.0 }
    }
}

/// `{shape}-new-01`, `{shape}-new-02`, … skipping names nodes already have (an earlier plan's nodes, added).
fn new_names(shape: &str, max: u32, nodes: &[ReplayNode]) -> Vec<String> {
    let taken: std::collections::HashSet<&str> = nodes.iter().map(|n| n.room.name.as_str()).collect();
    let width = max.to_string().len().max(2);
    (1..)
        .map(|i| format!("{shape}-new-{i:0width$}"))
        .filter(|n| !taken.contains(n.as_str()))
        .take(max as usize)
        .collect()
}

fn vector(resources: &[String], room: &BTreeMap<String, f64>) -> Vec<f64> {
    resources.iter().map(|r| room.get(r).copied().unwrap_or(0.0)).collect()
}

/// Least allocated: the mean free share of CPU and memory after placing the pod.
fn score(node: &ReplayNode, free: &[f64], ask: &[f64]) -> f64 {
    let share = |i: usize, total: f64| if total > 0.0 { (free[i] - ask[i]) / total } else { 0.0 };
    (share(1, node.cpu) + share(2, node.memory)) / 2.0
}

/// Plans for one shape: the node `shape` copied up to `max` times. `refused` are the jobs whose missing pods a quota
/// refuses: they wait whatever is added.
pub fn plan(
    ledger: &[LedgerRow],
    pending: &[PendingPod],
    refused: &[Waiting],
    shape: &str,
    max: u32,
) -> Result<Plan, String> {
    let rooms = fit::rooms(ledger);
    let Some(base) = rooms.iter().find(|r| r.name == shape) else {
        let mut names: Vec<&str> = rooms.iter().map(|r| r.name.as_str()).collect();
        names.sort_unstable();
        let some = names.iter().take(8).copied().collect::<Vec<_>>().join(", ");
        return Err(format!(
            "no node named {shape:?} to copy (nodes: {some}{})",
            if names.len() > 8 { ", …" } else { "" }
        ));
    };
    let row = ledger.iter().find(|r| r.node.name == shape).ok_or("the shape's node left the ledger")?;
    let empty = new_node(row, base);
    let replay = Replay::new(ledger, pending, &empty, max);
    let daemons: HashMap<&str, crate::resources::ledger::DaemonLoad> =
        ledger.iter().map(|r| (r.node.name.as_str(), r.daemons)).collect();
    // Pods no node could ever hold — neither a copy of the shape nor any node as it is — wait whatever is added.
    let mut hopeless: Vec<Option<String>> = pending
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let on_shape = fits_empty(&empty, &p.demand);
            // Among the nodes the static filters let through, one big enough when empty (but for its DaemonSets).
            let on_existing = on_shape.is_err()
                && replay.static_ok[i].iter().any(|&n| {
                    let node = &replay.nodes[n as usize].room;
                    let daemons = daemons.get(node.name.as_str()).copied().unwrap_or_default();
                    p.demand.requests.iter().all(|(r, a)| {
                        let taken = match r.as_str() {
                            "cpu" => daemons.cpu,
                            "memory" => daemons.memory,
                            "pods" => daemons.pods as f64,
                            _ => 0.0,
                        };
                        node.allocatable.get(r).copied().unwrap_or(0.0) - taken + 1e-9 >= *a
                    })
                });
            let Err(why) = on_shape else { return None };
            if on_existing {
                return None;
            }
            // The likeliest cause first: an accelerator no node offers at all (no device plugin advertises it).
            let unoffered = p
                .demand
                .requests
                .keys()
                .filter(|r| AcceleratorKind::of(r).is_some())
                .find(|r| !rooms.iter().any(|n| n.allocatable.get(*r).is_some_and(|a| *a > 0.0)));
            Some(match unoffered {
                Some(r) => format!("no node offers {r} (is its device plugin running?)"),
                None => format!("no node there is could hold it, nor one like {shape}: {why}"),
            })
        })
        .collect();
    // A gang with a hopeless pod is hopeless whole.
    for gang in &replay.gangs {
        if let Some(why) = gang.iter().find_map(|&p| hopeless[p].clone()) {
            for &p in gang {
                hopeless[p].get_or_insert_with(|| why.clone());
            }
        }
    }
    let include: Vec<bool> = hopeless.iter().map(Option::is_none).collect();
    // Waiting pods per count of new nodes, each count replayed once.
    let tried: std::cell::RefCell<HashMap<u32, usize>> = std::cell::RefCell::new(HashMap::new());
    let waiting_with = |n: u32| {
        if let Some(&w) = tried.borrow().get(&n) {
            return w;
        }
        let w = replay.waiting(&replay.run(n, &include), &include);
        tried.borrow_mut().insert(n, w);
        w
    };
    let fits_with = |n: u32| waiting_with(n) == 0;

    let (needed, enough) = if fits_with(0) {
        (0, true)
    } else if !fits_with(max) {
        (max, false)
    } else {
        // Binary search for the first count that places everything, then step down while fewer do too (the
        // greedy replay need not be monotone), so that one node fewer never suffices.
        let (mut lo, mut hi) = (0, max);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if fits_with(mid) { hi = mid } else { lo = mid }
        }
        while hi > 0 && fits_with(hi - 1) {
            hi -= 1;
        }
        (hi, true)
    };
    let outcome = replay.run(needed, &include);
    let resource = utilisation_resource(&empty, pending);
    let r = replay.resources.iter().position(|x| *x == resource);
    let before = replay.run(0, &vec![false; pending.len()]);
    let utilisation = |o: &Outcome, n: u32| r.map_or(0.0, |r| replay.utilisation(&o.free, n, r));
    let mut still_waiting = Vec::new();
    for gang in &replay.gangs {
        let waiting: Vec<usize> = gang.iter().copied().filter(|&p| outcome.placed[p].is_none()).collect();
        let Some(&first) = waiting.first() else { continue };
        let reason = match (&hopeless[first], outcome.stuck[replay.gang_of[first]]) {
            (Some(why), _) => why.clone(),
            (None, stuck) => {
                let why = replay.why(&outcome, needed, stuck.unwrap_or(first));
                format!("{why} (with {needed} new node{})", if needed == 1 { "" } else { "s" })
            }
        };
        let pod = &pending[first];
        let (namespace, name) = match pod.job.as_deref().and_then(|j| j.split_once('/')) {
            Some((ns, job)) => (ns.to_string(), job.to_string()),
            None => (pod.namespace.clone(), pod.name.clone()),
        };
        let gpus = waiting.iter().map(|&p| pending[p].accelerators()).sum();
        still_waiting.push(Waiting { namespace, name, pods: waiting.len(), gpus, reason });
    }
    still_waiting.extend(refused.iter().cloned());
    still_waiting.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let quota_held: usize = refused.iter().map(|w| w.pods).sum();
    let mut counts: Vec<u32> = vec![0, needed / 4, needed / 2, needed.saturating_sub(1), needed, needed + 1];
    counts.extend([needed + needed / 4 + 2]);
    counts.retain(|n| *n <= max);
    counts.sort_unstable();
    counts.dedup();
    let curve = counts
        .into_iter()
        .map(|n| {
            let o = replay.run(n, &include);
            let hopeless = include.iter().filter(|i| !**i).count();
            let waiting_pods = replay.waiting(&o, &include) + hopeless + quota_held;
            CurvePoint { nodes: n, waiting_pods, utilisation: utilisation(&o, n) }
        })
        .collect();
    let new_nodes = replay.new_names[..needed as usize].to_vec();
    Ok(Plan {
        shape: shape.to_string(),
        shape_description: describe(ledger, &empty),
        nodes_needed: needed,
        enough,
        still_waiting,
        utilisation_before: utilisation(&before, 0),
        utilisation_after: utilisation(&outcome, needed),
        resource,
        pending_pods: pending.len() + quota_held,
        quota_held,
        new_nodes,
        curve,
    })
}

/// Plans for every shape worth adding (see [`shapes`]), the best first: fewest pods left waiting, then fewest
/// nodes, then the most accelerators used.
pub fn plan_all(ledger: &[LedgerRow], pending: &[PendingPod], refused: &[Waiting], max: u32) -> Vec<Plan> {
    let mut plans: Vec<Plan> =
        shapes(ledger, pending).iter().filter_map(|s| plan(ledger, pending, refused, s, max).ok()).collect();
    plans.sort_by(|a, b| {
        let waiting = |p: &Plan| p.still_waiting.iter().map(|w| w.pods).sum::<usize>();
        waiting(a)
            .cmp(&waiting(b))
            .then(a.nodes_needed.cmp(&b.nodes_needed))
            .then(b.utilisation_after.total_cmp(&a.utilisation_after))
            .then_with(|| a.shape.cmp(&b.shape))
    });
    plans
}

/// The plans to show: for `shape` only, or for every shape worth adding (the best first). When no shape could take
/// any waiting pod, the plan for the node with the most accelerators says why each waits.
pub fn plans(
    ledger: &[LedgerRow],
    pending: &[PendingPod],
    refused: &[Waiting],
    shape: Option<&str>,
    max: u32,
) -> Result<Vec<Plan>, String> {
    if let Some(shape) = shape {
        return plan(ledger, pending, refused, shape, max).map(|p| vec![p]);
    }
    let plans = plan_all(ledger, pending, refused, max);
    if !plans.is_empty() {
        return Ok(plans);
    }
    // Said against the node with the most accelerators (the likeliest to be copied), the first by name among equals.
    let devices = |r: &LedgerRow| r.accelerators.values().map(|u| u.allocatable).sum::<f64>();
    let richest = ledger
        .iter()
        .max_by(|a, b| devices(a).total_cmp(&devices(b)).then_with(|| b.node.name.cmp(&a.node.name)))
        .ok_or("the cluster has no nodes")?;
    plan(ledger, pending, refused, &richest.node.name, max).map(|p| vec![p])
}

/// The accelerator the utilisation is of: the shape's largest, else the one pending pods ask most of.
fn utilisation_resource(shape: &NodeRoom, pending: &[PendingPod]) -> String {
    let of_shape = shape
        .allocatable
        .iter()
        .filter(|(r, a)| AcceleratorKind::of(r).is_some() && **a > 0.0)
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map(|(r, _)| r.clone());
    of_shape.unwrap_or_else(|| {
        let mut asked: BTreeMap<&str, f64> = BTreeMap::new();
        for p in pending {
            for (r, a) in p.demand.requests.iter().filter(|(r, _)| AcceleratorKind::of(r).is_some()) {
                *asked.entry(r).or_default() += a;
            }
        }
        asked.into_iter().max_by(|a, b| a.1.total_cmp(&b.1)).map(|(r, _)| r.to_string()).unwrap_or_default()
    })
}

/// `a3-highgpu-8g: 8 × nvidia.com/gpu (NVIDIA-H100-80GB-HBM3), 96 CPU, 1 TiB`.
fn describe(ledger: &[LedgerRow], shape: &NodeRoom) -> String {
    let row = ledger.iter().find(|r| r.node.name == shape.name);
    let mut parts: Vec<String> = shape
        .allocatable
        .iter()
        .filter(|(r, a)| AcceleratorKind::of(r).is_some() && **a > 0.0)
        .map(|(r, a)| format!("{} × {r}", crate::resources::quantity::count(*a)))
        .collect();
    if let Some(gpu) = row.and_then(|r| r.node.gpu.as_ref()) {
        parts.push(gpu.product.clone());
    }
    parts.push(format!(
        "{} CPU",
        crate::resources::quantity::cores(shape.allocatable.get("cpu").copied().unwrap_or(0.0))
    ));
    parts.push(crate::resources::quantity::bytes(shape.allocatable.get("memory").copied().unwrap_or(0.0)));
    if let Some(d) = row.map(|r| r.daemons).filter(|d| d.pods > 0) {
        let (cpu, memory) = (crate::resources::quantity::cores(d.cpu), crate::resources::quantity::bytes(d.memory));
        parts.push(format!("its DaemonSets take {cpu} CPU, {memory}"));
    }
    let kind = row.and_then(|r| r.node.instance_type.clone()).unwrap_or_else(|| "node".into());
    format!("{kind}: {}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::ledger::Usage;
    use crate::resources::node::{Amount, NodeRow};

    const TAINT: &str = "nvidia.com/gpu=present:NoSchedule";

    fn node(name: &str, product: &str, gpus: f64, used: f64) -> LedgerRow {
        let labels = BTreeMap::from([
            ("nvidia.com/gpu.product".to_string(), product.to_string()),
            ("kubernetes.io/hostname".to_string(), name.to_string()),
        ]);
        LedgerRow {
            node: NodeRow {
                name: name.into(),
                ready: true,
                taints: vec![TAINT.into()],
                pods: Amount { capacity: 110.0, allocatable: 110.0 },
                cpu: Amount { capacity: 96.0, allocatable: 96.0 },
                memory: Amount { capacity: 1e12, allocatable: 1e12 },
                instance_type: Some(format!("{product}-box")),
                labels,
                ..Default::default()
            },
            cpu: Usage { capacity: 96.0, allocatable: 96.0, requested: used * 4.0 },
            memory: Usage { capacity: 1e12, allocatable: 1e12, requested: 0.0 },
            pods: used as usize,
            accelerators: BTreeMap::from([(
                "nvidia.com/gpu".to_string(),
                Usage { capacity: gpus, allocatable: gpus, requested: used },
            )]),
            daemons: Default::default(),
        }
    }

    fn pending(name: &str, gpus: f64, job: Option<&str>, selector: Option<&str>) -> PendingPod {
        PendingPod {
            namespace: "ml".into(),
            name: name.into(),
            job: job.map(|j| format!("ml/{j}")),
            priority: 0,
            created: "2026-12-01T00:00:00Z".into(),
            demand: RoleDemand {
                role: "Pod".into(),
                replicas: 1,
                requests: BTreeMap::from([("cpu".to_string(), 4.0), ("nvidia.com/gpu".to_string(), gpus)]),
                node_selector: selector
                    .map(|p| BTreeMap::from([("nvidia.com/gpu.product".to_string(), p.to_string())]))
                    .unwrap_or_default(),
                tolerations: vec![Toleration {
                    key: "nvidia.com/gpu".into(),
                    operator: "Exists".into(),
                    ..Default::default()
                }],
                affinity: Vec::new(),
            },
        }
    }

    fn lab() -> Vec<LedgerRow> {
        vec![node("h100-1", "H100", 8.0, 6.0), node("h100-2", "H100", 8.0, 8.0), node("a100-1", "A100", 8.0, 8.0)]
    }

    #[test]
    fn new_nodes_keep_room_for_their_daemonsets_pods() {
        let mut ledger = lab();
        for row in &mut ledger {
            row.daemons = crate::resources::ledger::DaemonLoad { pods: 1, cpu: 90.0, memory: 0.0 };
            row.cpu.requested = (row.cpu.requested + 90.0).min(96.0);
        }
        // 8 GPUs but 6 CPUs beside the DaemonSets: two 4-CPU pods need two new nodes, not one.
        let two = [pending("a", 4.0, None, None), pending("b", 4.0, None, None)];
        assert_eq!(plan(&lab(), &two, &[], "h100-1", 5).expect("plan").nodes_needed, 1);
        assert_eq!(plan(&ledger, &two, &[], "h100-1", 5).expect("plan").nodes_needed, 2);
        let mut wide = pending("wide", 1.0, None, None);
        wide.demand.requests.insert("cpu".into(), 8.0);
        let p = plan(&ledger, &[wide], &[], "h100-1", 5).expect("plan");
        assert!(
            p.still_waiting[0].reason.ends_with("needs 8 CPU, a h100-1 node has 6 CPU beside its DaemonSets"),
            "{p:?}"
        );
    }

    #[test]
    fn nothing_waiting_needs_nothing() {
        let plan = plan(&lab(), &[], &[], "h100-1", 10).expect("plan");
        assert_eq!((plan.nodes_needed, plan.enough), (0, true));
        assert!(plan.still_waiting.is_empty());
        assert!((plan.utilisation_before - 22.0 / 24.0).abs() < 1e-9);
    }

    #[test]
    fn the_smallest_count_places_everything_and_one_fewer_does_not() {
        // Two free GPUs now; three 8-GPU pods and a 2-GPU pod wait.
        let waiting = [
            pending("a", 8.0, None, None),
            pending("b", 8.0, None, None),
            pending("c", 8.0, None, None),
            pending("d", 2.0, None, None),
        ];
        let plan = plan(&lab(), &waiting, &[], "h100-1", 10).expect("plan");
        assert_eq!((plan.nodes_needed, plan.enough), (3, true));
        assert!(plan.still_waiting.is_empty(), "{:?}", plan.still_waiting);
        assert_eq!(plan.new_nodes, ["h100-1-new-01", "h100-1-new-02", "h100-1-new-03"]);
        assert!((plan.utilisation_after - 48.0 / 48.0).abs() < 1e-9, "{}", plan.utilisation_after);
        let two = plan_curve_point(&plan, 2).expect("the curve has the count below the answer");
        assert!(two.waiting_pods > 0);
        let three = plan_curve_point(&plan, 3).expect("and the answer");
        assert_eq!(three.waiting_pods, 0);
    }

    fn plan_curve_point(plan: &Plan, nodes: u32) -> Option<CurvePoint> {
        plan.curve.iter().copied().find(|c| c.nodes == nodes)
    }

    #[test]
    fn a_training_job_waits_or_runs_whole() {
        // Two workers of 8 GPUs: one new node holds one of them, not both, and a gang does not start half.
        let waiting = [pending("w0", 8.0, Some("llm"), None), pending("w1", 8.0, Some("llm"), None)];
        let one = plan(&lab(), &waiting, &[], "h100-1", 1).expect("plan");
        assert!(!one.enough);
        assert_eq!(one.still_waiting.len(), 1);
        let w = &one.still_waiting[0];
        assert_eq!((w.name.as_str(), w.pods, w.gpus), ("llm", 2, 16.0));
        assert!(w.reason.starts_with("0/4 nodes are available:"), "{}", w.reason);
        assert!(w.reason.contains("Insufficient nvidia.com/gpu"), "{}", w.reason);
        let enough = plan(&lab(), &waiting, &[], "h100-1", 5).expect("plan");
        assert_eq!((enough.nodes_needed, enough.enough), (2, true));
    }

    #[test]
    fn pods_no_node_could_hold_wait_with_the_reason() {
        let waiting = [pending("huge", 16.0, None, None), pending("small", 8.0, None, None)];
        let plan = plan(&lab(), &waiting, &[], "h100-1", 5).expect("plan");
        assert_eq!(plan.nodes_needed, 1, "the pod that can run is planned for");
        assert_eq!(plan.still_waiting.len(), 1);
        assert_eq!(plan.still_waiting[0].name, "huge");
        assert!(plan.still_waiting[0].reason.contains("needs 16 nvidia.com/gpu"), "{}", plan.still_waiting[0].reason);
    }

    #[test]
    fn a_pod_pinned_to_another_model_is_not_helped_by_this_shape() {
        let waiting = [pending("pinned", 8.0, None, Some("A100"))];
        let h100 = plan(&lab(), &waiting, &[], "h100-1", 3).expect("plan");
        assert!(!h100.enough);
        assert!(h100.still_waiting[0].reason.contains("didn't match Pod's node affinity/selector"));
        let all = plan_all(&lab(), &waiting, &[], 3);
        assert_eq!(all[0].shape, "a100-1", "the A100 shape comes first");
        assert_eq!(all[0].nodes_needed, 1);
    }

    #[test]
    fn a_waiting_pod_keeps_its_requests_tolerations_and_required_affinity() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "w", "namespace": "ml", "labels": {"training.kubeflow.org/job-name": "big"}},
            "spec": {"priority": 100, "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "nvidia.com/gpu.product", "operator": "In", "values": ["H100"]}]}]}}},
                "containers": [{"name": "main", "resources": {"limits": {"nvidia.com/gpu": "2"}}}]}}))
        .expect("pod");
        let p = PendingPod::from_pod(&pod).expect("waits for accelerators");
        assert_eq!((p.job.as_deref(), p.priority, p.demand.requests["nvidia.com/gpu"]), (Some("ml/big"), 100, 2.0));
        assert_eq!(p.demand.tolerations.len(), 1);
        assert_eq!(p.demand.affinity.len(), 1);
        assert_eq!(p.demand.affinity[0].expressions[0].values, ["H100"]);
    }

    #[test]
    fn shapes_are_one_per_kind_of_node_and_unknown_shapes_are_refused() {
        let waiting = [pending("a", 1.0, None, None)];
        assert_eq!(shapes(&lab(), &waiting), ["a100-1", "h100-1"]);
        let err = plan(&lab(), &waiting, &[], "nope", 3).unwrap_err();
        assert!(err.contains("no node named \"nope\"") && err.contains("h100-1"), "{err}");
    }

    #[test]
    fn higher_priority_pods_are_placed_first() {
        // One free slot of 2 GPUs on h100-1: the high-priority pod gets it though it came later.
        let mut late = pending("late", 2.0, None, None);
        late.priority = 100;
        late.created = "2026-12-02T00:00:00Z".into();
        let waiting = [pending("early", 2.0, None, None), late];
        let plan = plan(&lab(), &waiting, &[], "h100-1", 0).expect("plan");
        assert_eq!(plan.still_waiting.len(), 1);
        assert_eq!(plan.still_waiting[0].name, "early");
    }

    #[test]
    fn small_pods_spread_over_the_new_nodes_and_pack_them() {
        let waiting: Vec<PendingPod> = (0..16).map(|i| pending(&format!("p{i:02}"), 1.0, None, None)).collect();
        let full = vec![node("h100-1", "H100", 8.0, 8.0)];
        let plan = plan(&full, &waiting, &[], "h100-1", 40).expect("plan");
        assert_eq!((plan.nodes_needed, plan.enough), (2, true), "{:?}", plan.curve);
    }

    #[test]
    fn required_node_affinity_is_a_filter_like_the_selector() {
        let spec = serde_json::json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "nvidia.com/gpu.product", "operator": "In", "values": ["A100"]}]}]}}}});
        let mut pinned = pending("pinned", 8.0, None, None);
        pinned.demand.affinity = fit::affinity_terms(&spec);
        let on_h100 = plan(&lab(), std::slice::from_ref(&pinned), &[], "h100-1", 3).expect("plan");
        assert!(!on_h100.enough, "H100 nodes do not help a pod that requires an A100");
        let on_a100 = plan(&lab(), &[pinned], &[], "a100-1", 3).expect("plan");
        assert_eq!((on_a100.nodes_needed, on_a100.enough), (1, true));
    }
}
