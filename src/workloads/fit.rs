//! The fit preview: before a job is submitted, which nodes can take each role's pods now (allocatable minus what
//! running pods request), which could once they free up, and — when none can — why, in the scheduler's words.
//! Pure: it reads the job object and the GPU ledger.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::kind::JobKind;
use crate::resources::ledger::LedgerRow;

/// What one role's pods ask of a node.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleDemand {
    pub role: String,
    pub replicas: u32,
    /// Per pod, in base units: `cpu` in cores, `memory` in bytes, accelerators in devices.
    pub requests: BTreeMap<String, f64>,
    pub node_selector: BTreeMap<String, String>,
    pub tolerations: Vec<Toleration>,
    /// Required node affinity: the pod fits a node one of these terms matches (none: any node).
    pub affinity: Vec<NodeTerm>,
}

/// One `nodeSelectorTerm`: every label expression and field expression must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NodeTerm {
    pub expressions: Vec<Requirement>,
    /// On node fields; only `metadata.name` exists.
    pub fields: Vec<Requirement>,
}

/// `key operator values`, as in a node selector requirement (`In`, `NotIn`, `Exists`, `DoesNotExist`, `Gt`, `Lt`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Requirement {
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
}

impl Requirement {
    fn holds(&self, value: Option<&str>) -> bool {
        let number = |v: &str| v.parse::<i64>().ok();
        match self.operator.as_str() {
            "In" => value.is_some_and(|v| self.values.iter().any(|x| x == v)),
            "NotIn" => value.is_none_or(|v| !self.values.iter().any(|x| x == v)),
            "Exists" => value.is_some(),
            "DoesNotExist" => value.is_none(),
            "Gt" => value.and_then(number).zip(self.values.first().and_then(|v| number(v))).is_some_and(|(a, b)| a > b),
            "Lt" => value.and_then(number).zip(self.values.first().and_then(|v| number(v))).is_some_and(|(a, b)| a < b),
            _ => false,
        }
    }
}

impl NodeTerm {
    fn matches(&self, name: &str, labels: &BTreeMap<String, String>) -> bool {
        self.expressions.iter().all(|r| r.holds(labels.get(&r.key).map(String::as_str)))
            && self.fields.iter().all(|r| r.holds((r.key == "metadata.name").then_some(name)))
    }
}

/// The required node affinity terms of a pod spec (JSON).
pub fn affinity_terms(spec: &Value) -> Vec<NodeTerm> {
    let requirements = |list: Option<&Value>| -> Vec<Requirement> {
        list.and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| Requirement {
                key: e.get("key").and_then(Value::as_str).unwrap_or_default().to_string(),
                operator: e.get("operator").and_then(Value::as_str).unwrap_or_default().to_string(),
                values: e
                    .get("values")
                    .and_then(Value::as_array)
                    .map(|v| v.iter().filter_map(Value::as_str).map(str::to_string).collect())
                    .unwrap_or_default(),
            })
            .collect()
    };
    spec.pointer("/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| NodeTerm {
            expressions: requirements(t.get("matchExpressions")),
            fields: requirements(t.get("matchFields")),
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Toleration {
    pub key: String,
    /// `Exists` or `Equal`.
    pub operator: String,
    pub value: String,
    /// Empty: every effect.
    pub effect: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Taint {
    pub key: String,
    pub value: String,
    pub effect: String,
}

impl Taint {
    /// Reads kubectl's `key=value:Effect` (or `key:Effect`).
    pub fn parse(text: &str) -> Option<Self> {
        let (kv, effect) = text.rsplit_once(':')?;
        let (key, value) = kv.split_once('=').unwrap_or((kv, ""));
        Some(Taint { key: key.into(), value: value.into(), effect: effect.into() })
    }

    fn tolerated_by(&self, t: &Toleration) -> bool {
        let effect = t.effect.is_empty() || t.effect == self.effect;
        let key = t.key.is_empty() && t.operator == "Exists" || t.key == self.key;
        let value = t.operator == "Exists" || t.value == self.value;
        effect && key && value
    }
}

/// The verdict for one role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every replica can be placed on a node now.
    FitsNow,
    /// Not now, but the nodes are big enough once running pods release what they hold.
    FitsLater,
    /// No node could ever take them as asked.
    Never,
}

impl Verdict {
    pub fn describe(self) -> &'static str {
        match self {
            Verdict::FitsNow => "fits now",
            Verdict::FitsLater => "fits when GPUs free up",
            Verdict::Never => "does not fit",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RoleFit {
    pub role: String,
    pub replicas: u32,
    pub verdict: Verdict,
    /// Why not (empty when it fits now), in the scheduler's words first.
    pub reasons: Vec<String>,
    /// Nodes that can take at least one of its pods now.
    pub nodes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    pub roles: Vec<RoleFit>,
    /// Whether every replica of every role fits at the same time (what a gang-scheduled job needs).
    pub all_at_once: bool,
    /// What the namespace's ResourceQuotas would refuse, in the API server's words (see [`quota_refusals`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quota: Vec<String>,
}

/// Reads each role's demand from a job object (TFJob, PyTorchJob, XGBoostJob, MPIJob or Job).
pub fn demands(job: &Value) -> Result<Vec<RoleDemand>, String> {
    let kind_name = job.get("kind").and_then(Value::as_str).unwrap_or_default();
    let kind = JobKind::from_kind(kind_name).ok_or_else(|| format!("kind {kind_name:?} is not a training job"))?;
    let Some(field) = kind.specs_field() else {
        let spec = job.get("spec").ok_or("a Job needs a spec")?;
        let replicas = spec.get("parallelism").and_then(Value::as_u64).unwrap_or(1);
        let template = spec.get("template").ok_or("spec.template: a Job needs a pod template")?;
        return Ok(vec![demand("Pod", u32::try_from(replicas).unwrap_or(u32::MAX), template)]);
    };
    let specs = job
        .pointer(&format!("/spec/{field}"))
        .and_then(Value::as_object)
        .ok_or_else(|| format!("spec.{field}: a {kind} needs its replica specs"))?;
    let order = kind.roles();
    let mut roles: Vec<RoleDemand> = specs
        .iter()
        .map(|(role, s)| {
            let replicas = s.get("replicas").and_then(Value::as_u64).unwrap_or(1);
            demand(role, u32::try_from(replicas).unwrap_or(u32::MAX), s.get("template").unwrap_or(&Value::Null))
        })
        .collect();
    roles.sort_by_key(|r| order.iter().position(|o| *o == r.role).unwrap_or(order.len()));
    Ok(roles)
}

/// What `replicas` pods of a pod template (`{metadata, spec}`) ask of nodes: requests, selector, tolerations.
pub fn demand(role: &str, replicas: u32, template: &Value) -> RoleDemand {
    let spec = template.get("spec").unwrap_or(&Value::Null);
    let container_requests = |c: &Value| {
        let mut r: BTreeMap<String, f64> = BTreeMap::new();
        // A limit alone is the request too (the API server defaults it so).
        for kind in ["limits", "requests"] {
            for (k, v) in c.pointer(&format!("/resources/{kind}")).and_then(Value::as_object).into_iter().flatten() {
                let text = v.as_str().map_or_else(|| v.to_string(), str::to_string);
                if let Some(q) = kubefmt::quantity::parse(&text) {
                    r.insert(k.clone(), q);
                }
            }
        }
        r
    };
    let mut requests: BTreeMap<String, f64> = BTreeMap::new();
    for c in spec.get("containers").and_then(Value::as_array).into_iter().flatten() {
        for (k, v) in container_requests(c) {
            *requests.entry(k).or_default() += v;
        }
    }
    for c in spec.get("initContainers").and_then(Value::as_array).into_iter().flatten() {
        for (k, v) in container_requests(c) {
            let e = requests.entry(k).or_default();
            *e = e.max(v);
        }
    }
    let node_selector = spec
        .get("nodeSelector")
        .and_then(Value::as_object)
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string())).collect())
        .unwrap_or_default();
    let text = |t: &Value, k: &str| t.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let tolerations = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .map(|ts| {
            ts.iter()
                .map(|t| Toleration {
                    key: text(t, "key"),
                    operator: match text(t, "operator").as_str() {
                        "" => "Equal".into(),
                        o => o.into(),
                    },
                    value: text(t, "value"),
                    effect: text(t, "effect"),
                })
                .collect()
        })
        .unwrap_or_default();
    RoleDemand {
        role: role.to_string(),
        replicas,
        requests,
        node_selector,
        tolerations,
        affinity: affinity_terms(spec),
    }
}

/// A node as the fit sees it: what it offers, what is taken, and what keeps pods off.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct NodeRoom {
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub allocatable: BTreeMap<String, f64>,
    pub free: BTreeMap<String, f64>,
}

pub(super) fn rooms(ledger: &[LedgerRow]) -> Vec<NodeRoom> {
    ledger
        .iter()
        .map(|row| {
            let mut allocatable = BTreeMap::from([
                ("cpu".to_string(), row.cpu.allocatable),
                ("memory".to_string(), row.memory.allocatable),
                ("pods".to_string(), row.node.pods.allocatable),
            ]);
            let mut free = BTreeMap::from([
                ("cpu".to_string(), row.cpu.free()),
                ("memory".to_string(), row.memory.free()),
                ("pods".to_string(), (row.node.pods.allocatable - row.pods as f64).max(0.0)),
            ]);
            for (r, u) in &row.accelerators {
                allocatable.insert(r.clone(), u.allocatable);
                free.insert(r.clone(), u.free());
            }
            let mut taints: Vec<Taint> = row.node.taints.iter().filter_map(|t| Taint::parse(t)).collect();
            if !row.node.ready {
                taints.push(Taint {
                    key: "node.kubernetes.io/not-ready".into(),
                    value: String::new(),
                    effect: "NoSchedule".into(),
                });
            }
            NodeRoom {
                name: row.node.name.clone(),
                labels: row.node.labels.clone(),
                taints,
                unschedulable: row.node.unschedulable,
                allocatable,
                free,
            }
        })
        .collect()
}

/// Why a node cannot take a pod at all, in the scheduler's words; `None` when it could (given room).
pub(super) fn static_reason(room: &NodeRoom, d: &RoleDemand) -> Option<String> {
    if room.unschedulable {
        return Some("node(s) were unschedulable".into());
    }
    let selected = d.node_selector.iter().all(|(k, v)| room.labels.get(k) == Some(v));
    if !selected || (!d.affinity.is_empty() && !d.affinity.iter().any(|t| t.matches(&room.name, &room.labels))) {
        return Some("node(s) didn't match Pod's node affinity/selector".into());
    }
    let untolerated = room
        .taints
        .iter()
        .filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute")
        .find(|t| !d.tolerations.iter().any(|tol| t.tolerated_by(tol)));
    if let Some(t) = untolerated {
        return Some(format!("node(s) had untolerated taint {{{}: {}}}", t.key, t.value));
    }
    None
}

/// How many pods of `d` fit in `room` (by `free` or by `allocatable`), and the first resource short when none do.
fn slots(room: &BTreeMap<String, f64>, d: &RoleDemand) -> (u32, Option<String>) {
    let mut count = room.get("pods").copied().unwrap_or(0.0).floor();
    let mut short = (count < 1.0).then(|| "Too many pods".to_string());
    for (resource, amount) in d.requests.iter().filter(|(_, a)| **a > 0.0) {
        let have = room.get(resource).copied().unwrap_or(0.0);
        let n = (have / amount + 1e-9).floor();
        if n < 1.0 && short.is_none() {
            short = Some(format!("Insufficient {resource}"));
        }
        count = count.min(n);
    }
    (count.max(0.0).min(f64::from(u32::MAX)) as u32, short)
}

/// `0/11 nodes are available: 3 Insufficient nvidia.com/gpu, 8 node(s) didn't match Pod's node affinity/selector.`
pub(super) fn scheduler_message(nodes: usize, reasons: &BTreeMap<String, usize>) -> String {
    // The real scheduler sorts the counted reasons as strings ("1 Too many pods, 4 Insufficient nvidia.com/gpu").
    let mut parts: Vec<String> = reasons.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    format!("0/{nodes} nodes are available: {}.", parts.join(", "))
}

pub(super) fn amount_text(resource: &str, amount: f64) -> String {
    match resource {
        "memory" => format!("{} memory", crate::resources::quantity::bytes(amount)),
        "cpu" => format!("{} CPU", crate::resources::quantity::cores(amount)),
        r => format!("{} {r}", crate::resources::quantity::count(amount)),
    }
}

/// The fit of every role of a job on the nodes of the ledger.
pub fn fit(roles: &[RoleDemand], ledger: &[LedgerRow]) -> FitReport {
    let nodes = rooms(ledger);
    let mut out = Vec::new();
    for d in roles {
        let mut now_reasons: BTreeMap<String, usize> = BTreeMap::new();
        let (mut now, mut later) = (0u64, 0u64);
        let mut fitting = Vec::new();
        let mut eligible = Vec::new();
        for room in &nodes {
            if let Some(why) = static_reason(room, d) {
                *now_reasons.entry(why).or_default() += 1;
                continue;
            }
            eligible.push(room);
            let (free_slots, short) = slots(&room.free, d);
            let (total_slots, _) = slots(&room.allocatable, d);
            now += u64::from(free_slots);
            later += u64::from(total_slots);
            if free_slots > 0 {
                fitting.push(room.name.clone());
            } else if let Some(why) = short {
                *now_reasons.entry(why).or_default() += 1;
            }
        }
        let replicas = u64::from(d.replicas);
        let verdict = if now >= replicas {
            Verdict::FitsNow
        } else if later >= replicas {
            Verdict::FitsLater
        } else {
            Verdict::Never
        };
        let mut reasons = Vec::new();
        if verdict != Verdict::FitsNow {
            if now_reasons.is_empty() || !fitting.is_empty() {
                reasons.push(format!("only {now} of {replicas} replicas fit now (on {})", fitting.join(", ")));
            }
            if !now_reasons.is_empty() {
                reasons.push(scheduler_message(nodes.len(), &now_reasons));
            }
            reasons.extend(plain_reasons(d, &nodes, &eligible, later));
        }
        out.push(RoleFit { role: d.role.clone(), replicas: d.replicas, verdict, reasons, nodes: fitting });
    }
    FitReport { roles: out, all_at_once: all_at_once(roles, &nodes), quota: Vec::new() }
}

/// The fit preview of a form: where the pods of `roles` would fit on the ledger's nodes, and what the quotas of
/// `namespace` would refuse.
pub fn preview(
    roles: &[RoleDemand],
    namespace: &str,
    ledger: &[LedgerRow],
    quotas: &[std::sync::Arc<crate::resources::teams::QuotaRow>],
) -> FitReport {
    let mut report = fit(roles, ledger);
    let ours: Vec<&crate::resources::teams::QuotaRow> =
        quotas.iter().filter(|q| q.namespace == namespace).map(|q| q.as_ref()).collect();
    report.quota = quota_refusals(roles, &ours);
    report
}

/// What the quotas would say to the job's pods, created one after another as its operator creates them: per quota,
/// the first pod it refuses, in the API server's words (`exceeded quota: gpu-quota, requested:
/// requests.nvidia.com/gpu=8, used: requests.nvidia.com/gpu=4, limited: requests.nvidia.com/gpu=8`), after how many
/// pods got in. `quotas` are the namespace's, `used` as their controller last counted.
pub fn quota_refusals(roles: &[RoleDemand], quotas: &[&crate::resources::teams::QuotaRow]) -> Vec<String> {
    let total: u32 = roles.iter().map(|r| r.replicas).sum();
    let mut out = Vec::new();
    for quota in quotas {
        let mut used = quota.used.clone();
        let mut admitted = 0;
        'pods: for d in roles {
            let asks = quota_asks(d);
            for _ in 0..d.replicas {
                if let Some(message) = quota_refusal(quota, &used, &asks) {
                    out.push(if admitted == 0 {
                        message
                    } else {
                        format!("{admitted} of {total} pods would be created, then {message}")
                    });
                    break 'pods;
                }
                add_asks(&mut used, &asks);
                admitted += 1;
            }
        }
    }
    out
}

/// What one pod of `d` counts against a quota: itself, its requests, and the limits of extended resources (equal to
/// their requests).
pub fn quota_asks(d: &RoleDemand) -> BTreeMap<String, f64> {
    let mut asks: BTreeMap<String, f64> = BTreeMap::from([("pods".into(), 1.0), ("count/pods".into(), 1.0)]);
    for (r, a) in &d.requests {
        asks.insert(format!("requests.{r}"), *a);
        if r.contains('/') {
            asks.insert(format!("limits.{r}"), *a);
        }
    }
    asks
}

/// Counts a pod's `asks` as used.
pub fn add_asks(used: &mut BTreeMap<String, f64>, asks: &BTreeMap<String, f64>) {
    for (r, a) in asks {
        *used.entry(r.clone()).or_default() += a;
    }
}

/// The API server's refusal of a pod asking `asks` when the quota counts `used`, or `None` when it gets in.
pub fn quota_refusal(
    quota: &crate::resources::teams::QuotaRow,
    used: &BTreeMap<String, f64>,
    asks: &BTreeMap<String, f64>,
) -> Option<String> {
    let over: Vec<&String> = quota
        .hard
        .iter()
        .filter(|(r, hard)| {
            let asked = asks.get(*r).copied().unwrap_or(0.0);
            asked > 0.0 && used.get(*r).copied().unwrap_or(0.0) + asked > **hard + 1e-9
        })
        .map(|(r, _)| r)
        .collect();
    if over.is_empty() {
        return None;
    }
    let list = |values: &BTreeMap<String, f64>| {
        over.iter()
            .map(|r| format!("{r}={}", kubefmt::quantity::format(r, values.get(*r).copied().unwrap_or(0.0))))
            .collect::<Vec<_>>()
            .join(",")
    };
    Some(format!(
        "exceeded quota: {}, requested: {}, used: {}, limited: {}",
        quota.name,
        list(asks),
        list(used),
        list(&quota.hard)
    ))
}

/// The same facts in plain words: the biggest node against the ask, a selector nothing matches, a taint no pod
/// tolerates.
fn plain_reasons(d: &RoleDemand, nodes: &[NodeRoom], eligible: &[&NodeRoom], later: u64) -> Vec<String> {
    let mut out = Vec::new();
    if nodes.is_empty() {
        out.push("the cluster has no nodes".into());
        return out;
    }
    for (k, v) in &d.node_selector {
        let matching = nodes.iter().filter(|n| n.labels.get(k) == Some(v)).count();
        if matching == 0 {
            out.push(format!("node selector {k}={v} matches 0 nodes"));
        }
    }
    let selected: Vec<&NodeRoom> =
        nodes.iter().filter(|n| d.node_selector.iter().all(|(k, v)| n.labels.get(k) == Some(v))).collect();
    // Taints matter on the nodes that could hold the pod were it not for them.
    let mut taints: BTreeMap<String, usize> = BTreeMap::new();
    for n in selected.iter().filter(|n| !n.unschedulable && slots(&n.allocatable, d).0 > 0) {
        for t in n.taints.iter().filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute") {
            if !d.tolerations.iter().any(|tol| t.tolerated_by(tol)) {
                let text = if t.value.is_empty() {
                    format!("{}:{}", t.key, t.effect)
                } else {
                    format!("{}={}:{}", t.key, t.value, t.effect)
                };
                *taints.entry(text).or_default() += 1;
            }
        }
    }
    for (t, n) in taints {
        out.push(format!("taint {t} not tolerated (on {n} node{} that could hold it)", if n == 1 { "" } else { "s" }));
    }
    if !selected.is_empty() {
        for (resource, amount) in d.requests.iter().filter(|(r, a)| **a > 0.0 && r.as_str() != "pods") {
            let largest = selected
                .iter()
                .map(|n| (n.allocatable.get(resource).copied().unwrap_or(0.0), n.name.as_str()))
                .fold((0.0, ""), |best, x| if x.0 > best.0 { x } else { best });
            if largest.0 < *amount {
                let at = if largest.1.is_empty() { String::new() } else { format!(" ({})", largest.1) };
                out.push(format!(
                    "needs {} per replica, largest node has {}{at}",
                    amount_text(resource, *amount),
                    amount_text(resource, largest.0)
                ));
            }
        }
    }
    if !eligible.is_empty() && later < u64::from(d.replicas) && out.is_empty() {
        out.push(format!("the nodes it may use hold {later} of its {} replicas even when empty", d.replicas));
    }
    out
}

/// Places every replica of every role on the free room at once (largest roles first), as a gang scheduler must.
fn all_at_once(roles: &[RoleDemand], nodes: &[NodeRoom]) -> bool {
    let mut free: Vec<BTreeMap<String, f64>> = nodes.iter().map(|n| n.free.clone()).collect();
    let mut order: Vec<&RoleDemand> = roles.iter().collect();
    order.sort_by(|a, b| {
        let size = |d: &RoleDemand| d.requests.values().sum::<f64>();
        size(b).total_cmp(&size(a))
    });
    for d in order {
        let mut left = d.replicas;
        for (i, room) in nodes.iter().enumerate() {
            if left == 0 {
                break;
            }
            if static_reason(room, d).is_some() {
                continue;
            }
            let (n, _) = slots(&free[i], d);
            let take = n.min(left);
            for (r, a) in &d.requests {
                *free[i].entry(r.clone()).or_default() -= a * f64::from(take);
            }
            *free[i].entry("pods".into()).or_default() -= f64::from(take);
            left -= take;
        }
        if left > 0 {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::resources::ledger::Usage;
    use crate::resources::node::{Amount, NodeRow};

    fn node(name: &str, gpus: f64, used: f64, product: &str, taints: &[&str]) -> LedgerRow {
        let labels = BTreeMap::from([("nvidia.com/gpu.product".to_string(), product.to_string())]);
        LedgerRow {
            node: NodeRow {
                name: name.into(),
                ready: true,
                taints: taints.iter().map(|t| t.to_string()).collect(),
                pods: Amount { capacity: 110.0, allocatable: 110.0 },
                labels,
                ..Default::default()
            },
            cpu: Usage { capacity: 64.0, allocatable: 64.0, requested: 0.0 },
            memory: Usage { capacity: 512e9, allocatable: 512e9, requested: 0.0 },
            pods: 0,
            accelerators: BTreeMap::from([(
                "nvidia.com/gpu".to_string(),
                Usage { capacity: gpus, allocatable: gpus, requested: used },
            )]),
            daemons: Default::default(),
        }
    }

    fn tfjob(workers: u32, gpus: u32, selector: Option<&str>) -> Value {
        let mut template = json!({"spec": {
            "containers": [{"name": "tensorflow", "image": "tf", "resources": {"limits": {"nvidia.com/gpu": gpus.to_string()}, "requests": {"cpu": "4", "memory": "16Gi"}}}],
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}});
        if let Some(p) = selector {
            template["spec"]["nodeSelector"] = json!({"nvidia.com/gpu.product": p});
        }
        json!({"kind": "TFJob", "spec": {"tfReplicaSpecs": {"Worker": {"replicas": workers, "template": template}}}})
    }

    const TAINT: &str = "nvidia.com/gpu=present:NoSchedule";

    #[test]
    fn fits_now_when_free_devices_hold_every_replica() {
        let ledger = [node("a", 8.0, 4.0, "H100", &[TAINT]), node("b", 8.0, 0.0, "H100", &[TAINT])];
        let report = fit(&demands(&tfjob(3, 4, None)).expect("demands"), &ledger);
        assert_eq!(report.roles[0].verdict, Verdict::FitsNow);
        assert_eq!(report.roles[0].nodes, ["a", "b"]);
        assert!(report.all_at_once);
    }

    #[test]
    fn fits_later_when_running_pods_hold_the_devices() {
        let ledger = [node("a", 4.0, 4.0, "H100", &[]), node("b", 4.0, 3.0, "H100", &[])];
        let report = fit(&demands(&tfjob(2, 4, None)).expect("demands"), &ledger);
        let role = &report.roles[0];
        assert_eq!(role.verdict, Verdict::FitsLater);
        assert_eq!(role.reasons, ["0/2 nodes are available: 2 Insufficient nvidia.com/gpu."]);
        assert!(!report.all_at_once);
    }

    #[test]
    fn never_fits_with_reasons_in_the_scheduler_s_words_and_plain_ones() {
        let ledger = [node("a", 4.0, 0.0, "H100", &[]), node("b", 4.0, 0.0, "A100", &[])];
        let too_big = fit(&demands(&tfjob(1, 8, None)).expect("demands"), &ledger);
        assert_eq!(too_big.roles[0].verdict, Verdict::Never);
        assert_eq!(
            too_big.roles[0].reasons,
            [
                "0/2 nodes are available: 2 Insufficient nvidia.com/gpu.",
                "needs 8 nvidia.com/gpu per replica, largest node has 4 nvidia.com/gpu (a)"
            ]
        );
        let nowhere = fit(&demands(&tfjob(1, 1, Some("L4"))).expect("demands"), &ledger);
        assert_eq!(
            nowhere.roles[0].reasons,
            [
                "0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.",
                "node selector nvidia.com/gpu.product=L4 matches 0 nodes"
            ]
        );
        let mut untolerated = tfjob(1, 1, Some("H100"));
        untolerated["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["tolerations"] = json!([]);
        let tainted = [node("a", 4.0, 0.0, "H100", &[TAINT])];
        let report = fit(&demands(&untolerated).expect("demands"), &tainted);
        assert_eq!(
            report.roles[0].reasons,
            [
                "0/1 nodes are available: 1 node(s) had untolerated taint {nvidia.com/gpu: present}.",
                "taint nvidia.com/gpu=present:NoSchedule not tolerated (on 1 node that could hold it)"
            ]
        );
    }

    #[test]
    fn a_gang_must_fit_all_at_once_even_when_each_role_fits_alone() {
        let mut job = tfjob(2, 4, None);
        job["spec"]["tfReplicaSpecs"]["Chief"] = job["spec"]["tfReplicaSpecs"]["Worker"].clone();
        job["spec"]["tfReplicaSpecs"]["Chief"]["replicas"] = json!(1);
        let ledger = [node("a", 8.0, 0.0, "H100", &[])];
        let report = fit(&demands(&job).expect("demands"), &ledger);
        assert_eq!(report.roles.iter().map(|r| r.role.as_str()).collect::<Vec<_>>(), ["Chief", "Worker"]);
        assert!(report.roles.iter().all(|r| r.verdict == Verdict::FitsNow));
        assert!(!report.all_at_once, "3 pods of 4 GPUs do not fit 8 GPUs at once");
    }

    #[test]
    fn a_plain_job_is_one_role_of_parallel_pods() {
        let job = json!({"kind": "Job", "spec": {"parallelism": 3, "template": {"spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "500m"}}}]}}}});
        let d = demands(&job).expect("demands");
        assert_eq!((d[0].role.as_str(), d[0].replicas, d[0].requests["cpu"]), ("Pod", 3, 0.5));
        assert!(demands(&json!({"kind": "Deployment"})).unwrap_err().contains("not a training job"));
    }

    #[test]
    fn quotas_refuse_the_first_pod_past_the_limit_in_the_servers_words() {
        let quota = crate::resources::teams::QuotaRow {
            namespace: "ml".into(),
            name: "gpu-quota".into(),
            hard: BTreeMap::from([("requests.nvidia.com/gpu".to_string(), 8.0), ("pods".to_string(), 10.0)]),
            used: BTreeMap::from([("requests.nvidia.com/gpu".to_string(), 4.0), ("pods".to_string(), 1.0)]),
        };
        let roles = demands(&tfjob(2, 4, None)).expect("demands");
        assert_eq!(
            quota_refusals(&roles, &[&quota]),
            [
                "1 of 2 pods would be created, then exceeded quota: gpu-quota, requested: requests.nvidia.com/gpu=4, used: requests.nvidia.com/gpu=8, limited: requests.nvidia.com/gpu=8"
            ]
        );
        let small = demands(&tfjob(1, 4, None)).expect("demands");
        assert!(quota_refusals(&small, &[&quota]).is_empty(), "4 more fit under 8");
    }
}
