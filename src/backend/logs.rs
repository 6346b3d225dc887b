//! Container logs: one stream at a time, its lines sent in batches.

use std::time::Duration;

use tokio::task::JoinHandle;

use super::{CurrentClient, Outbox};
use crate::state::protocol::{LogEvent, LogRequest};

/// Lines kept from the end of a log when it is first opened.
const LOG_TAIL: i64 = 5000;

pub(super) struct LogsArea {
    client: CurrentClient,
    outbox: Outbox,
    stream: Option<JoinHandle<()>>,
}

impl LogsArea {
    pub fn new(client: CurrentClient, outbox: Outbox) -> Self {
        Self { client, outbox, stream: None }
    }

    pub fn handle(&mut self, request: LogRequest) {
        if let Some(task) = self.stream.take() {
            task.abort();
        }
        let LogRequest::Stream { id, namespace, pod, container, follow } = request else { return };
        let current = self.client.get();
        let outbox = self.outbox.clone();
        self.stream = Some(tokio::spawn(async move {
            let result = match current {
                Some(client) => stream_logs(client, id, &namespace, &pod, container, follow, &outbox).await,
                None => Err("not connected".into()),
            };
            outbox.send(LogEvent::Lines { id, lines: Vec::new(), done: Some(result) });
        }));
    }
}

/// Streams a container log, sending lines in batches (at most every 100 ms) so a chatty container does not flood
/// the UI with repaints.
async fn stream_logs(
    client: kube::Client,
    id: u64,
    namespace: &str,
    pod: &str,
    container: String,
    follow: bool,
    outbox: &Outbox,
) -> Result<(), String> {
    use futures_util::AsyncBufReadExt;
    let api: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::namespaced(client, namespace);
    let params =
        kube::api::LogParams { container: Some(container), follow, tail_lines: Some(LOG_TAIL), ..Default::default() };
    let reader = api.log_stream(pod, &params).await.map_err(|e| match e {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    })?;
    let mut lines = reader.lines();
    let mut batch = Vec::new();
    let mut last_sent = tokio::time::Instant::now();
    loop {
        let next = tokio::time::timeout(Duration::from_millis(100), futures_util::StreamExt::next(&mut lines)).await;
        match next {
            Ok(Some(Ok(line))) => batch.push(line),
            Ok(Some(Err(e))) => return Err(e.to_string()),
            Ok(None) => break,
            Err(_) => {} // quiet for a moment: flush what we have
        }
        if !batch.is_empty() && (batch.len() >= 500 || last_sent.elapsed() >= Duration::from_millis(100)) {
            outbox.send(LogEvent::Lines { id, lines: std::mem::take(&mut batch), done: None });
            last_sent = tokio::time::Instant::now();
        }
    }
    if !batch.is_empty() {
        outbox.send(LogEvent::Lines { id, lines: batch, done: None });
    }
    Ok(())
}
