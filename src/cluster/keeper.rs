//! The flight recorder's tape: while a cluster is connected, the logs and events of every training job's pods are
//! streamed into the local store, so a job can still be read after `cleanPodPolicy` or a TTL deleted its pods.
//!
//! Pods are found by the labels the training operator (`training.kubeflow.org/job-name`) and the Job controller
//! (`job-name`) put on them. Each container's log is followed with timestamps; a stream that breaks resumes from
//! the last kept line's time (`sinceTime`), and lines already kept are skipped, so reconnects add no duplicates.
//!
//! The log of each run's primary pod (the chief, master or launcher; else worker 0; else a Job's first pod) is also
//! read for metric lines (Katib `name=value` pairs, JSON lines) as it is kept, each point stamped with the
//! kubelet's time of its line; the store keeps a point once per (run, metric, step, time). The runs themselves —
//! state, hyperparameters, start and end — are kept from the watch cache's training rows as they change.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{AsyncBufReadExt as _, StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, LogParams};
use kube::runtime::{WatchStreamExt as _, watcher};

use crate::cluster::cache::ClusterCache;
use crate::metrics::lines::LineParser;
use crate::resources::training::{MetricSpec, TrainingJobRow};
use crate::resources::workload::WorkloadKind;
use crate::store::writer::Writer;
use crate::store::{EventRecord, JobRecord, LogLine, PodRecord, PointRecord, Record, Reparser, Store};
use crate::workloads::JobKind;

/// Each run's metric spec (job UID → spec) as the watch cache last said: `keep_runs` updates it, and the primary
/// pods' followers parse with it. Both hold the lock while they send, so a spec change's re-read of the kept log
/// comes after every point parsed the old way, and before any parsed the new way.
type Specs = Arc<Mutex<HashMap<String, MetricSpec>>>;

/// The parser of a spec; a spec that does not parse (a bad pattern set with kubectl) reads as Katib's default.
fn parser_of(spec: &MetricSpec) -> LineParser {
    LineParser::for_spec(&spec.names, &spec.pattern).unwrap_or_else(|e| {
        tracing::warn!("a run's metric settings are ignored: {e}");
        LineParser::default()
    })
}

/// The record that re-reads a run's kept log with `spec` (the run of `kind` logs in its kind's container).
pub fn reparse_record(job_uid: &str, kind: &str, spec: &MetricSpec) -> Record {
    let parser = parser_of(spec);
    let parse = move |line: &str, time: &str| -> Vec<PointRecord> { points_of(&parser, line, time) };
    Record::Reparse {
        job_uid: job_uid.to_string(),
        container: JobKind::from_kind(kind).map_or("main", |k| k.container()).to_string(),
        parse: Reparser(Arc::new(parse)),
    }
}

/// The points of one kept line.
fn points_of(parser: &LineParser, text: &str, time: &str) -> Vec<PointRecord> {
    parser
        .parse(text, wall_time(time))
        .into_iter()
        .map(|p| PointRecord { metric: p.metric, step: p.step, wall_time: p.wall_time, value: p.value })
        .collect()
}

/// Who owns which pod, and which log streams run: shared by the pod and event watchers.
#[derive(Default)]
struct Tracked {
    /// Pod UID → job UID.
    pods: HashMap<String, String>,
    jobs: HashSet<String>,
    /// (pod UID, container) with a running follower.
    following: HashSet<(String, String)>,
    /// Events about objects not known yet, newest last: the event and pod watches are two streams, and a
    /// `SuccessfulCreatePod` or `Scheduled` event often arrives before the pod it is about.
    unclaimed: VecDeque<(String, EventRecord)>,
    /// Job UID → (its primary pod's UID, how sure: see [`rank`]).
    primary: HashMap<String, (String, u8)>,
}

/// How much a pod looks like its run's primary: 3 the leader (job-role master, chief, master, launcher), 2 worker 0,
/// 1 a plain Job's pod of completion index 0 (or without one), 0 any other replica.
fn rank(labels: &std::collections::BTreeMap<String, String>) -> u8 {
    let label = |k: &str| labels.get(k).map(String::as_str);
    if label("training.kubeflow.org/job-role") == Some("master") {
        return 3;
    }
    match (label("training.kubeflow.org/replica-type"), label("training.kubeflow.org/replica-index")) {
        (Some("chief" | "master" | "launcher"), _) => 3,
        (Some("worker"), Some("0")) => 2,
        (Some(_), _) => 0,
        (None, _) => u8::from(label("batch.kubernetes.io/job-completion-index").is_none_or(|i| i == "0")),
    }
}

/// How many unattributed events are held for a pod that may still appear (most are about other workloads).
const UNCLAIMED_EVENTS: usize = 2000;

impl Tracked {
    /// Records that `pod_uid` belongs to `job_uid`, and hands back the held events about either.
    fn claim(&mut self, pod_uid: &str, job_uid: &str) -> Vec<EventRecord> {
        self.pods.insert(pod_uid.to_string(), job_uid.to_string());
        self.jobs.insert(job_uid.to_string());
        if !self.unclaimed.iter().any(|(about, _)| about == pod_uid || about == job_uid) {
            return Vec::new();
        }
        let (mine, rest): (VecDeque<_>, VecDeque<_>) = std::mem::take(&mut self.unclaimed)
            .into_iter()
            .partition(|(about, _)| about == pod_uid || about == job_uid);
        self.unclaimed = rest;
        mine.into_iter()
            .map(|(_, mut e)| {
                e.job_uid = job_uid.to_string();
                e
            })
            .collect()
    }

    /// Whether `pod_uid` (of `rank`) is its job's primary pod: the first of the highest rank seen.
    fn elect(&mut self, job_uid: &str, pod_uid: &str, rank: u8) -> bool {
        if rank == 0 {
            return false;
        }
        let current = self.primary.get(job_uid);
        if current.is_none_or(|(uid, r)| uid == pod_uid || rank > *r) {
            self.primary.insert(job_uid.to_string(), (pod_uid.to_string(), rank));
            return true;
        }
        false
    }

    /// The job an event is about, or `None` after holding it until its pod shows up.
    fn attribute(&mut self, about: &str, event: &EventRecord) -> Option<String> {
        let job = self.pods.get(about).cloned().or_else(|| self.jobs.contains(about).then(|| about.to_string()));
        if job.is_none() && !about.is_empty() {
            if self.unclaimed.len() >= UNCLAIMED_EVENTS {
                self.unclaimed.pop_front();
            }
            self.unclaimed.push_back((about.to_string(), event.clone()));
        }
        job
    }
}

/// Keeps the training pods' logs and events of `cluster` (the context's name, which keys the store), their
/// metrics, and the runs of `cache` until the returned task is aborted. `store_path` is read to resume streams
/// where the store left off.
pub fn spawn(
    client: kube::Client,
    cluster: String,
    writer: Writer,
    store_path: std::path::PathBuf,
    cache: Arc<ClusterCache>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tracked = Arc::new(Mutex::new(Tracked::default()));
        let specs = Specs::default();
        let selectors = ["training.kubeflow.org/job-name", "job-name"];
        // A JoinSet aborts its tasks when dropped: aborting the keeper ends all of them.
        let mut tasks = tokio::task::JoinSet::new();
        for selector in selectors {
            let (client, cluster, writer, tracked, store_path) =
                (client.clone(), cluster.clone(), writer.clone(), tracked.clone(), store_path.clone());
            let follow = Following { writer, tracked, store_path, specs: specs.clone() };
            tasks.spawn(watch_pods(client, cluster, selector, follow));
        }
        tasks.spawn(keep_runs(cache, cluster, writer.clone(), specs));
        tasks.spawn(watch_events(client, writer, tracked));
        while tasks.join_next().await.is_some() {}
    })
}

/// [`spawn`] with a watch cache of its own (for a keeper without a window: benches, tests), whose watchers end
/// with the returned task.
pub fn spawn_with_cache(
    client: kube::Client,
    cluster: String,
    writer: Writer,
    store_path: std::path::PathBuf,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let cache = Arc::new(ClusterCache::default());
        /// Aborts the tasks when this task ends or is aborted (a dropped JoinHandle would let them run on).
        struct AbortAll(Vec<tokio::task::JoinHandle<()>>);
        impl Drop for AbortAll {
            fn drop(&mut self) {
                self.0.iter().for_each(tokio::task::JoinHandle::abort);
            }
        }
        let mut tasks = AbortAll(crate::cluster::cache::spawn(client.clone(), cache.clone()));
        tasks.0.push(spawn(client, cluster, writer, store_path, cache));
        if let Some(keeper) = tasks.0.last_mut() {
            let _ = keeper.await;
        }
    })
}

/// What each log follower shares with the others and the keeper.
#[derive(Clone)]
struct Following {
    writer: Writer,
    tracked: Arc<Mutex<Tracked>>,
    store_path: std::path::PathBuf,
    specs: Specs,
}

async fn watch_pods(client: kube::Client, cluster: String, selector: &'static str, follow_with: Following) {
    let Following { writer, tracked, .. } = follow_with.clone();
    let pods: Api<Pod> = Api::all(client.clone());
    let stream = watcher(pods, watcher::Config::default().labels(selector)).default_backoff().applied_objects();
    futures_util::pin_mut!(stream);
    // The log followers end with this watcher (dropping the set aborts them).
    let mut followers = tokio::task::JoinSet::new();
    while let Some(event) = stream.next().await {
        while followers.try_join_next().is_some() {}
        let Ok(pod) = event else { continue };
        let Some((job, pod_record)) = records_of(&cluster, &pod) else { continue };
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        let (starts, held, primary): (Vec<String>, Vec<EventRecord>, bool) = {
            let Ok(mut t) = tracked.lock() else { return };
            let held = t.claim(&pod_record.uid, &job.uid);
            let primary = t.elect(&job.uid, &pod_record.uid, rank(&labels));
            let starts = loggable_containers(&pod)
                .into_iter()
                .filter(|c| t.following.insert((pod_record.uid.clone(), c.clone())))
                .collect();
            (starts, held, primary)
        };
        writer.send(Record::Job(job));
        writer.send(Record::Pod(pod_record.clone()));
        for event in held {
            writer.send(Record::Event(event));
        }
        for container in starts {
            let follower = follow(
                Api::namespaced(client.clone(), &pod_record.namespace),
                pod_record.clone(),
                container,
                primary,
                follow_with.clone(),
            );
            followers.spawn(follower);
        }
    }
}

/// The job (from the pod's controller) and the pod, as the store keeps them.
fn records_of(cluster: &str, pod: &Pod) -> Option<(JobRecord, PodRecord)> {
    let meta = &pod.metadata;
    let owner = meta.owner_references.as_ref()?.iter().find(|o| o.controller == Some(true))?;
    let labels = meta.labels.clone().unwrap_or_default();
    let namespace = meta.namespace.clone().unwrap_or_default();
    let job = JobRecord {
        uid: owner.uid.clone(),
        cluster: cluster.to_string(),
        namespace: namespace.clone(),
        kind: owner.kind.clone(),
        name: owner.name.clone(),
        experiment: ["bosun.dev/experiment", crate::resources::training::KATIB_EXPERIMENT_LABEL]
            .iter()
            .find_map(|k| labels.get(*k).filter(|e| !e.is_empty()).cloned())
            .unwrap_or_default(),
        ..Default::default()
    };
    let role = labels.get("training.kubeflow.org/replica-type").cloned().unwrap_or_else(|| "pod".into());
    let pod = PodRecord {
        uid: meta.uid.clone()?,
        job_uid: owner.uid.clone(),
        namespace,
        name: meta.name.clone()?,
        role,
        node: pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default(),
    };
    Some((job, pod))
}

/// Containers that have started (running, or already ended): their logs can be read.
fn loggable_containers(pod: &Pod) -> Vec<String> {
    pod.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map(|cs| {
            cs.iter()
                .filter(|c| c.state.as_ref().is_some_and(|s| s.running.is_some() || s.terminated.is_some()))
                .map(|c| c.name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Splits kubelet's `2026-01-01T00:00:00.123456789Z text` into time and text.
fn split_timestamp(line: &str) -> (&str, &str) {
    match line.split_once(' ') {
        Some((t, rest)) if t.ends_with('Z') && t.contains('T') => (t, rest),
        _ => ("", line),
    }
}

/// Where a container's kept log ends: the next sequence number, the last line's time (for `sinceTime`) and the
/// lines kept at that time (the API resumes at whole seconds, so those come again and are skipped once).
struct Resume {
    seq: i64,
    since: Option<String>,
    seen_at_since: HashSet<(String, String)>,
}

fn resume_from(store: Option<&Store>, pod_uid: &str, container: &str) -> Resume {
    let empty = Resume { seq: 0, since: None, seen_at_since: HashSet::new() };
    let Some(store) = store else { return empty };
    match store.last_line(pod_uid, container) {
        Ok(Some(last)) => {
            let seen_at_since = store
                .log_lines(pod_uid, container, Some(last.seq - 1000))
                .unwrap_or_default()
                .into_iter()
                // `sinceTime` is whole seconds: every line of the last line's second comes again.
                .filter(|l| second_of(&l.time) == second_of(&last.time))
                .map(|l| (l.time, l.line))
                .collect();
            Resume { seq: last.seq + 1, since: Some(last.time), seen_at_since }
        }
        _ => empty,
    }
}

/// Unix seconds (with the fraction) of a kubelet timestamp.
pub fn wall_time(time: &str) -> Option<f64> {
    let t = time.parse::<jiff::Timestamp>().ok()?;
    Some(t.as_second() as f64 + f64::from(t.subsec_nanosecond()) * 1e-9)
}

/// One container's raw log lines → the store's records: each line, and, for a primary pod, its metric points.
struct LineSink {
    pod: PodRecord,
    container: String,
    parser: Option<LineParser>,
    /// The spec `parser` was made for.
    spec: MetricSpec,
    resume: Resume,
    /// The lines taken within the second of the last one: a stream resumed at that second sends them again.
    last_second: Vec<(String, String)>,
}

/// `2026-01-01T00:00:01` of `2026-01-01T00:00:01.123Z`: the whole second `sinceTime` resumes at.
fn second_of(time: &str) -> &str {
    time.split(['.', 'Z']).next().unwrap_or(time)
}

impl LineSink {
    fn new(pod: PodRecord, container: String, primary: bool, resume: Resume) -> Self {
        let spec = MetricSpec::default();
        Self { pod, container, parser: primary.then(LineParser::default), spec, resume, last_second: Vec::new() }
    }

    /// A primary pod's sink parses with its run's current spec.
    fn use_spec(&mut self, spec: &MetricSpec) {
        if self.parser.is_some() && *spec != self.spec {
            self.parser = Some(parser_of(spec));
            self.spec = spec.clone();
        }
    }

    /// The records of one `timestamp text` line (none when it was kept already).
    fn take(&mut self, raw: &str) -> Vec<Record> {
        let (time, text) = split_timestamp(raw);
        if self.resume.seen_at_since.remove(&(time.to_string(), text.to_string())) {
            return Vec::new();
        }
        let mut out = vec![Record::Log(LogLine {
            pod_uid: self.pod.uid.clone(),
            container: self.container.clone(),
            seq: self.resume.seq,
            time: time.to_string(),
            line: text.to_string(),
        })];
        self.resume.seq += 1;
        if self.last_second.first().is_some_and(|(t, _)| second_of(t) != second_of(time)) {
            self.last_second.clear();
        }
        self.last_second.push((time.to_string(), text.to_string()));
        self.resume.since = Some(time.to_string());
        if let Some(parser) = &self.parser {
            let points = points_of(parser, text, time);
            if !points.is_empty() {
                out.push(Record::Points { job_uid: self.pod.job_uid.clone(), points });
            }
        }
        out
    }

    fn log_params(&self, follow: bool) -> LogParams {
        let since_time = self.resume.since.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok());
        LogParams {
            container: Some(self.container.clone()),
            follow,
            timestamps: true,
            since_time: since_time
                .map(|t| k8s_openapi::jiff::Timestamp::from_second(t.as_second()).unwrap_or_default()),
            ..Default::default()
        }
    }
}

/// Follows one container's log into the store until the container has ended, resuming after breaks.
async fn follow(pods: Api<Pod>, pod: PodRecord, container: String, primary: bool, shared: Following) {
    let Following { writer, tracked, store_path, specs } = shared;
    // Where the store left off (an earlier session, or an earlier stream of this one).
    let resume = resume_from(Store::open(&store_path).ok().as_ref(), &pod.uid, &container);
    let mut sink = LineSink::new(pod.clone(), container.clone(), primary, resume);
    let mut attempts = 0u32;
    loop {
        let ended_cleanly = match pods.log_stream(&pod.name, &sink.log_params(true)).await {
            Ok(stream) => {
                attempts = 0;
                let mut lines = stream.lines();
                let mut clean = true;
                loop {
                    match lines.try_next().await {
                        Ok(Some(raw)) => {
                            let Ok(specs) = specs.lock() else { return };
                            if let Some(spec) = specs.get(&pod.job_uid) {
                                sink.use_spec(spec);
                            }
                            for record in sink.take(&raw) {
                                writer.send(record);
                            }
                        }
                        Ok(None) => break,
                        Err(_) => {
                            clean = false;
                            break;
                        }
                    }
                }
                clean
            }
            Err(_) => false,
        };
        // A stream that ends with its container ends for good; otherwise it broke and resumes.
        let finished = match pods.get_opt(&pod.name).await {
            Ok(Some(p)) => {
                let statuses = p.status.and_then(|s| s.container_statuses).unwrap_or_default();
                statuses
                    .iter()
                    .find(|c| c.name == container)
                    .is_none_or(|c| c.state.as_ref().is_some_and(|s| s.terminated.is_some()))
                    && ended_cleanly
            }
            Ok(None) => true,
            Err(_) => false,
        };
        if finished {
            break;
        }
        attempts += 1;
        tokio::time::sleep(Duration::from_millis(500 * u64::from(attempts.min(10)))).await;
        // Resume at the last line's second: the lines of that second come again and are skipped once.
        sink.resume.seen_at_since = sink.last_second.drain(..).collect();
    }
    if let Ok(mut t) = tracked.lock() {
        t.following.remove(&(pod.uid.clone(), container.clone()));
    }
}

/// The store's record of a training row, as far as the row knows it.
pub fn run_record(cluster: &str, row: &TrainingJobRow) -> JobRecord {
    JobRecord {
        uid: row.uid.clone(),
        cluster: cluster.to_string(),
        namespace: row.namespace.clone(),
        kind: row.kind.clone(),
        name: row.name.clone(),
        experiment: row.experiment.clone(),
        state: row.state.clone(),
        hyperparameters: row.hyperparameters.clone(),
        started: row.started,
        finished: row.finished,
    }
}

/// Keeps each training job of the cache as a run whenever what the store knows of it changes.
async fn keep_runs(cache: Arc<ClusterCache>, cluster: String, writer: Writer, specs: Specs) {
    let mut sent: HashMap<String, JobRecord> = HashMap::new();
    loop {
        let changed = cache.changed.notified();
        for kind in WorkloadKind::ALL.into_iter().filter(|k| k.is_job()) {
            for row in cache.workloads_of(kind).rows_unsorted() {
                let Some(training) = &row.training else { continue };
                if training.uid.is_empty() {
                    continue;
                }
                keep_spec(&specs, training, &writer);
                let record = run_record(&cluster, training);
                if sent.get(&record.uid) != Some(&record) {
                    sent.insert(record.uid.clone(), record.clone());
                    if !writer.send(Record::Job(record)) {
                        return;
                    }
                }
            }
        }
        // At most every second: a run's state changes slowly, the cache often.
        changed.await;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

/// Notes a run's metric spec; when it is not what the kept points were parsed with (it changed, or a run seen
/// for the first time has one of its own), the kept log is read again with it.
fn keep_spec(specs: &Specs, run: &TrainingJobRow, writer: &Writer) {
    let Ok(mut specs) = specs.lock() else { return };
    let before = specs.get(&run.uid);
    if before == Some(&run.metric_spec) {
        return;
    }
    let reread = before.is_some() || !run.metric_spec.is_default();
    specs.insert(run.uid.clone(), run.metric_spec.clone());
    if reread {
        writer.send(reparse_record(&run.uid, &run.kind, &run.metric_spec));
    }
}

/// Reads (once, without following) the logs of a job's pods that the store does not have yet, with the metrics
/// of its primary pod, straight into `store`: what `bosun metrics` does before it reads the store, so it works
/// without the window having kept them. Returns how many lines were new.
pub async fn catch_up(
    client: &kube::Client,
    cluster: &str,
    namespace: &str,
    job_name: &str,
    store: &mut Store,
) -> Result<usize, kube::Error> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut found = Vec::new();
    for selector in ["training.kubeflow.org/job-name", "job-name"] {
        let list = pods.list(&kube::api::ListParams::default().labels(&format!("{selector}={job_name}"))).await?;
        found.extend(list.items);
        if !found.is_empty() {
            break;
        }
    }
    let mut tracked = Tracked::default();
    found.sort_by_key(|p| std::cmp::Reverse(rank(p.metadata.labels.as_ref().unwrap_or(&Default::default()))));
    let mut new_lines = 0;
    for pod in &found {
        let Some((job, pod_record)) = records_of(cluster, pod) else { continue };
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        let primary = tracked.elect(&job.uid, &pod_record.uid, rank(&labels));
        let mut records = vec![Record::Job(job), Record::Pod(pod_record.clone())];
        for container in loggable_containers(pod) {
            let resume = resume_from(Some(store), &pod_record.uid, &container);
            let mut sink = LineSink::new(pod_record.clone(), container, primary, resume);
            let text = match pods.logs(&pod_record.name, &sink.log_params(false)).await {
                Ok(text) => text,
                // A container that has not started, or a pod that went away meanwhile: nothing to read.
                Err(kube::Error::Api(e)) if e.code == 400 || e.code == 404 => continue,
                Err(e) => return Err(e),
            };
            for raw in text.lines() {
                let taken = sink.take(raw);
                new_lines += usize::from(!taken.is_empty());
                records.extend(taken);
            }
        }
        if let Err(e) = store.write(&records) {
            tracing::warn!("the local store could not keep the logs of {}: {e}", pod_record.name);
        }
    }
    Ok(new_lines)
}

async fn watch_events(client: kube::Client, writer: Writer, tracked: Arc<Mutex<Tracked>>) {
    let events: Api<Event> = Api::all(client);
    let stream = watcher(events, watcher::Config::default()).default_backoff().applied_objects();
    futures_util::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        let Ok(e) = event else { continue };
        let about = e.involved_object.uid.clone().unwrap_or_default();
        let time = |t: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| t.map_or(0, |t| t.0.as_second());
        let first = time(e.first_timestamp.as_ref()).max(e.event_time.as_ref().map_or(0, |t| t.0.as_second()));
        let mut record = EventRecord {
            uid: e.metadata.uid.clone().unwrap_or_default(),
            job_uid: String::new(),
            object: format!(
                "{}/{}",
                e.involved_object.kind.clone().unwrap_or_default(),
                e.involved_object.name.clone().unwrap_or_default()
            ),
            type_: e.type_.clone().unwrap_or_default(),
            reason: e.reason.clone().unwrap_or_default(),
            message: e.message.clone().unwrap_or_default(),
            count: i64::from(e.count.unwrap_or(1)),
            first_time: first,
            last_time: time(e.last_timestamp.as_ref()).max(first),
        };
        let job_uid = {
            let Ok(mut t) = tracked.lock() else { return };
            t.attribute(&about, &record)
        };
        let Some(job_uid) = job_uid else { continue };
        record.job_uid = job_uid;
        writer.send(Record::Event(record));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_timestamps_are_split_from_the_text() {
        assert_eq!(
            split_timestamp("2026-01-01T00:00:01.5Z epoch=1 loss=0.3"),
            ("2026-01-01T00:00:01.5Z", "epoch=1 loss=0.3")
        );
        assert_eq!(split_timestamp("no time here"), ("", "no time here"));
        assert_eq!(wall_time("2026-01-01T00:00:01.5Z"), Some(1_767_225_601.5));
    }

    fn labels(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn the_primary_pod_is_the_leader_else_worker_zero() {
        let t = "training.kubeflow.org/replica-type";
        let i = "training.kubeflow.org/replica-index";
        let chief = rank(&labels(&[(t, "chief"), (i, "0")]));
        let worker0 = rank(&labels(&[(t, "worker"), (i, "0")]));
        let worker1 = rank(&labels(&[(t, "worker"), (i, "1")]));
        let ps = rank(&labels(&[(t, "ps"), (i, "0")]));
        assert!(chief > worker0 && worker0 > 0 && worker1 == 0 && ps == 0);
        assert_eq!(rank(&labels(&[("training.kubeflow.org/job-role", "master"), (t, "worker"), (i, "0")])), 3);
        assert_eq!(rank(&labels(&[("batch.kubernetes.io/job-completion-index", "2")])), 0);
        let mut tracked = Tracked::default();
        assert!(tracked.elect("job", "w0", worker0), "worker 0 first");
        assert!(!tracked.elect("job", "w1", worker1));
        assert!(tracked.elect("job", "chief", chief), "the chief takes over");
        assert!(!tracked.elect("job", "w0", worker0), "and keeps it");
        assert!(tracked.elect("job", "chief", chief), "a pod seen again is still primary");
    }

    #[test]
    fn a_primary_pod_s_lines_become_points_stamped_with_their_time() {
        let pod = PodRecord { uid: "p".into(), job_uid: "j".into(), ..Default::default() };
        let resume = Resume { seq: 5, since: None, seen_at_since: HashSet::new() };
        let mut sink = LineSink::new(pod.clone(), "c".into(), true, resume);
        let records = sink.take("2026-01-01T00:00:01Z epoch=3 loss=0.5 accuracy=0.8");
        let [Record::Log(line), Record::Points { job_uid, points }] = records.as_slice() else {
            panic!("a line and its points: {records:?}")
        };
        assert_eq!((line.seq, job_uid.as_str(), points.len()), (5, "j", 2));
        assert_eq!((points[0].step, points[0].wall_time), (Some(3), Some(1_767_225_601.0)));
        let mut other =
            LineSink::new(pod, "c".into(), false, Resume { seq: 0, since: None, seen_at_since: HashSet::new() });
        assert_eq!(other.take("2026-01-01T00:00:01Z epoch=3 loss=0.5").len(), 1, "only the line");
    }

    fn event(uid: &str) -> EventRecord {
        EventRecord { uid: uid.into(), reason: "Scheduled".into(), ..Default::default() }
    }

    #[test]
    fn events_that_arrive_before_their_pod_are_kept_for_it() {
        let mut t = Tracked::default();
        assert_eq!(t.attribute("pod-1", &event("e1")), None);
        assert_eq!(t.attribute("job-1", &event("e2")), None);
        assert_eq!(t.attribute("other", &event("e3")), None);
        let held = t.claim("pod-1", "job-1");
        let uids: Vec<&str> = held.iter().map(|e| e.uid.as_str()).collect();
        assert_eq!(uids, ["e1", "e2"]);
        assert!(held.iter().all(|e| e.job_uid == "job-1"));
        assert_eq!(t.attribute("pod-1", &event("e4")).as_deref(), Some("job-1"));
        assert_eq!(t.unclaimed.len(), 1, "only the stranger's event is still held");
        for i in 0..UNCLAIMED_EVENTS + 10 {
            t.attribute(&format!("x{i}"), &event("e"));
        }
        assert_eq!(t.unclaimed.len(), UNCLAIMED_EVENTS, "bounded");
    }
}
