//! The flight recorder's tape: while a cluster is connected, the logs and events of every training job's pods are
//! streamed into the local store, so a job can still be read after `cleanPodPolicy` or a TTL deleted its pods.
//!
//! Pods are found by the labels the training operator (`training.kubeflow.org/job-name`) and the Job controller
//! (`job-name`) put on them. Each container's log is followed with timestamps; a stream that breaks resumes from
//! the last kept line's time (`sinceTime`), and lines already kept are skipped, so reconnects add no duplicates.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{AsyncBufReadExt as _, StreamExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, LogParams};
use kube::runtime::{WatchStreamExt as _, watcher};

use crate::store::writer::Writer;
use crate::store::{EventRecord, JobRecord, LogLine, PodRecord, Record, Store};

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

/// Keeps the training pods' logs and events of `cluster` (the context's name, which keys the store) until the
/// returned task is aborted. `store_path` is read to resume streams where the store left off.
pub fn spawn(
    client: kube::Client,
    cluster: String,
    writer: Writer,
    store_path: std::path::PathBuf,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let tracked = Arc::new(Mutex::new(Tracked::default()));
        let selectors = ["training.kubeflow.org/job-name", "job-name"];
        let mut tasks: Vec<tokio::task::JoinHandle<()>> = selectors
            .into_iter()
            .map(|selector| {
                let (client, cluster, writer, tracked, store_path) =
                    (client.clone(), cluster.clone(), writer.clone(), tracked.clone(), store_path.clone());
                tokio::spawn(watch_pods(client, cluster, selector, writer, tracked, store_path))
            })
            .collect();
        tasks.push(tokio::spawn(watch_events(client, writer, tracked)));
        for t in tasks {
            let _ = t.await;
        }
    })
}

async fn watch_pods(
    client: kube::Client,
    cluster: String,
    selector: &'static str,
    writer: Writer,
    tracked: Arc<Mutex<Tracked>>,
    store_path: std::path::PathBuf,
) {
    let pods: Api<Pod> = Api::all(client.clone());
    let stream = watcher(pods, watcher::Config::default().labels(selector)).default_backoff().applied_objects();
    futures_util::pin_mut!(stream);
    while let Some(event) = stream.next().await {
        let Ok(pod) = event else { continue };
        let Some((job, pod_record)) = records_of(&cluster, &pod) else { continue };
        let (starts, held): (Vec<String>, Vec<EventRecord>) = {
            let Ok(mut t) = tracked.lock() else { return };
            let held = t.claim(&pod_record.uid, &job.uid);
            let starts = loggable_containers(&pod)
                .into_iter()
                .filter(|c| t.following.insert((pod_record.uid.clone(), c.clone())))
                .collect();
            (starts, held)
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
                writer.clone(),
                tracked.clone(),
                store_path.clone(),
            );
            tokio::spawn(follower);
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
        experiment: labels.get("bosun.dev/experiment").cloned().unwrap_or_default(),
        state: String::new(),
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

/// Follows one container's log into the store until the container has ended, resuming after breaks.
async fn follow(
    pods: Api<Pod>,
    pod: PodRecord,
    container: String,
    writer: Writer,
    tracked: Arc<Mutex<Tracked>>,
    store_path: std::path::PathBuf,
) {
    // Where the store left off (an earlier session, or an earlier stream of this one).
    let resume = || -> (i64, Option<String>, HashSet<(String, String)>) {
        let Ok(store) = Store::open(&store_path) else { return (0, None, HashSet::new()) };
        match store.last_line(&pod.uid, &container) {
            Ok(Some(last)) => {
                let same_time: HashSet<(String, String)> = store
                    .log_lines(&pod.uid, &container, Some(last.seq - 1000))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|l| l.time == last.time)
                    .map(|l| (l.time, l.line))
                    .collect();
                (last.seq + 1, Some(last.time), same_time)
            }
            _ => (0, None, HashSet::new()),
        }
    };
    let (mut seq, mut since, mut seen_at_since) = resume();
    let mut attempts = 0u32;
    loop {
        let since_time = since.as_deref().and_then(|t| t.parse::<jiff::Timestamp>().ok());
        let params = LogParams {
            container: Some(container.clone()),
            follow: true,
            timestamps: true,
            since_time: since_time
                .map(|t| k8s_openapi::jiff::Timestamp::from_second(t.as_second()).unwrap_or_default()),
            ..Default::default()
        };
        let ended_cleanly = match pods.log_stream(&pod.name, &params).await {
            Ok(stream) => {
                attempts = 0;
                let mut lines = stream.lines();
                let mut clean = true;
                loop {
                    match lines.try_next().await {
                        Ok(Some(raw)) => {
                            let (time, text) = split_timestamp(&raw);
                            // On resume, lines of the resume second that were kept already are skipped once.
                            if seen_at_since.remove(&(time.to_string(), text.to_string())) {
                                continue;
                            }
                            writer.send(Record::Log(LogLine {
                                pod_uid: pod.uid.clone(),
                                container: container.clone(),
                                seq,
                                time: time.to_string(),
                                line: text.to_string(),
                            }));
                            seq += 1;
                            since = Some(time.to_string());
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
        // Lines written since the last resume are already counted in `seq`; resume from the last line's time.
        seen_at_since = HashSet::new();
    }
    if let Ok(mut t) = tracked.lock() {
        t.following.remove(&(pod.uid.clone(), container.clone()));
    }
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
