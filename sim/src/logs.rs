//! Container logs written by the simulated kubelet, read by `pods/log` (with `follow`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::broadcast;

/// Lines kept per container (older lines are dropped, as log rotation would).
const MAX_LINES: usize = 20_000;

/// One log line with the time it was written (RFC 3339 with nanoseconds, as `--timestamps` prints).
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub time: String,
    pub text: String,
}

struct ContainerLog {
    lines: Vec<LogLine>,
    live: broadcast::Sender<Option<LogLine>>,
}

type Key = (String, String, String);

/// All container logs of the cluster.
#[derive(Default)]
pub struct Logs {
    inner: Mutex<HashMap<Key, ContainerLog>>,
}

fn key(ns: &str, pod: &str, container: &str) -> Key {
    (ns.to_string(), pod.to_string(), container.to_string())
}

impl Logs {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<Key, ContainerLog>) -> R) -> R {
        let mut guard = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut guard)
    }

    /// Appends a line to a container's log.
    pub fn append(&self, ns: &str, pod: &str, container: &str, text: impl Into<String>) {
        let line = LogLine { time: jiff::Timestamp::now().to_string(), text: text.into() };
        self.with(|m| {
            let log = m
                .entry(key(ns, pod, container))
                .or_insert_with(|| ContainerLog { lines: Vec::new(), live: broadcast::channel(1024).0 });
            if log.lines.len() == MAX_LINES {
                log.lines.remove(0);
            }
            log.lines.push(line.clone());
            let _ = log.live.send(Some(line));
        });
    }

    /// Marks a container's log as finished: followers stop.
    pub fn close(&self, ns: &str, pod: &str, container: &str) {
        self.with(|m| {
            if let Some(log) = m.get(&key(ns, pod, container)) {
                let _ = log.live.send(None);
            }
        });
    }

    /// The lines so far and, for following, a feed of new ones (`None` marks the end).
    pub fn read(
        &self,
        ns: &str,
        pod: &str,
        container: &str,
    ) -> Option<(Vec<LogLine>, broadcast::Receiver<Option<LogLine>>)> {
        self.with(|m| m.get(&key(ns, pod, container)).map(|log| (log.lines.clone(), log.live.subscribe())))
    }

    /// Forgets the logs of a deleted pod.
    pub fn remove_pod(&self, ns: &str, pod: &str) {
        self.with(|m| m.retain(|(n, p, _), _| !(n == ns && p == pod)));
    }
}

pub type SharedLogs = Arc<Logs>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_kept_and_followers_see_new_ones() {
        let logs = Logs::default();
        logs.append("ns", "p", "c", "one");
        let (lines, mut live) = logs.read("ns", "p", "c").unwrap();
        assert_eq!(lines.iter().map(|l| l.text.as_str()).collect::<Vec<_>>(), ["one"]);
        logs.append("ns", "p", "c", "two");
        assert_eq!(live.try_recv().unwrap().unwrap().text, "two");
        logs.close("ns", "p", "c");
        assert_eq!(live.try_recv().unwrap(), None);
        logs.remove_pod("ns", "p");
        assert!(logs.read("ns", "p", "c").is_none());
    }
}
