//! Port-forwards (kube-rs's WebSocket port-forward) to a ready pod of a pod, a Service or a model server, and what
//! runs over them: HTTP requests on pooled keep-alive connections (the model status, predictions, the load test),
//! and a local TCP listener for the browser or other tools (`bosun forward`, the Notebooks screen's "Open").
//!
//! A forward names its target, not a pod: when the pod it reached goes away or a connection fails, the next
//! connection re-targets a ready pod, so a forward survives a pod restart or a roll-out.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, ListParams};

/// What a forward points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Target {
    Pod(String),
    /// A Service: a ready pod its selector picks, on the pod port its target port names.
    Service(String),
    /// A model server: a ready pod of either track (`bosun.dev/server`), else of the Deployment of that name.
    Server(String),
}

impl Target {
    /// Reads `pod/NAME`, `svc/NAME` (or `service/NAME`), or a bare name as a pod.
    pub fn parse(text: &str) -> Result<Target, ForwardError> {
        match text.split_once('/') {
            Some(("pod" | "pods" | "po", name)) if !name.is_empty() => Ok(Target::Pod(name.into())),
            Some(("svc" | "service" | "services", name)) if !name.is_empty() => Ok(Target::Service(name.into())),
            None if !text.is_empty() => Ok(Target::Pod(text.into())),
            _ => Err(ForwardError::BadTarget(text.into())),
        }
    }

    pub fn display(&self) -> String {
        match self {
            Target::Pod(n) => format!("pod/{n}"),
            Target::Service(n) => format!("svc/{n}"),
            Target::Server(n) => format!("server/{n}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ForwardError {
    #[error("{0:?} is not a forward target: write pod/NAME or svc/NAME")]
    BadTarget(String),
    #[error("no ready pod for {target} in namespace {namespace}{}: wait until one is ready (bosun servers, or the Serving screen, shows the roll-out)", if why.is_empty() { String::new() } else { format!(" ({why})") })]
    NoReadyPod { target: String, namespace: String, why: String },
    #[error("the port-forward to {pod} port {port} was refused: {message}")]
    Refused { pod: String, port: u16, message: String },
    #[error("could not {action}: {message}")]
    Api { action: String, message: String },
    #[error(
        "could not {action}: {message}. Ask a cluster admin for this permission (pods/portforward to forward), or use a context whose account has it"
    )]
    Forbidden { action: String, message: String },
    #[error("{0}")]
    Http(String),
    #[error("could not listen on {address}: {message}")]
    Listen { address: String, message: String },
}

impl ForwardError {
    fn api(action: String) -> impl FnOnce(kube::Error) -> ForwardError {
        move |e| match e {
            kube::Error::Api(s) if s.code == 403 => ForwardError::Forbidden { action, message: s.message },
            kube::Error::Api(s) => ForwardError::Api { action, message: format!("{} ({})", s.message, s.code) },
            other => ForwardError::Api { action, message: other.to_string() },
        }
    }

    /// The exit code of a headless command that failed this way: 2 bad input, 4 forbidden, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            ForwardError::BadTarget(_) => 2,
            ForwardError::Forbidden { .. } => 4,
            _ => 1,
        }
    }
}

/// The answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: String,
    pub latency: Duration,
    /// The pod that answered.
    pub pod: String,
}

/// A port-forward to a target's port; cheap to clone.
#[derive(Clone)]
pub struct Forwarder {
    client: kube::Client,
    namespace: String,
    target: Target,
    /// The port on the target (a Service port is mapped to its pods' port).
    port: u16,
    /// The pod connections go to until one fails.
    pod: Arc<Mutex<Option<(String, u16)>>>,
}

impl Forwarder {
    pub fn new(client: kube::Client, namespace: &str, target: Target, port: u16) -> Self {
        Self { client, namespace: namespace.into(), target, port, pod: Arc::new(Mutex::new(None)) }
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pod (and its port) connections go to now, choosing a ready one if none is chosen.
    pub async fn pod(&self) -> Result<(String, u16), ForwardError> {
        if let Some(chosen) = self.pod.lock().ok().and_then(|p| p.clone()) {
            return Ok(chosen);
        }
        let chosen = self.resolve().await?;
        if let Ok(mut slot) = self.pod.lock() {
            *slot = Some(chosen.clone());
        }
        Ok(chosen)
    }

    /// Forgets the chosen pod: the next connection looks for a ready one again.
    pub fn retarget(&self) {
        if let Ok(mut slot) = self.pod.lock() {
            *slot = None;
        }
    }

    async fn resolve(&self) -> Result<(String, u16), ForwardError> {
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        let no_pod = |why: String| ForwardError::NoReadyPod {
            target: self.target.display(),
            namespace: self.namespace.clone(),
            why,
        };
        match &self.target {
            Target::Pod(name) => {
                let pod =
                    pods.get(name).await.map_err(ForwardError::api(format!("read pod {}/{name}", self.namespace)))?;
                if pod.status.as_ref().and_then(|s| s.phase.as_deref()) != Some("Running") {
                    let phase = pod.status.and_then(|s| s.phase).unwrap_or_default();
                    return Err(no_pod(format!("the pod is {phase}")));
                }
                Ok((name.clone(), self.port))
            }
            Target::Service(name) => {
                let services: Api<Service> = Api::namespaced(self.client.clone(), &self.namespace);
                let svc = services
                    .get(name)
                    .await
                    .map_err(ForwardError::api(format!("read service {}/{name}", self.namespace)))?;
                let spec = svc.spec.unwrap_or_default();
                let selector = spec.selector.unwrap_or_default();
                if selector.is_empty() {
                    return Err(no_pod("the Service has no selector".into()));
                }
                let labels: Vec<String> = selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let list = pods
                    .list(&ListParams::default().labels(&labels.join(",")))
                    .await
                    .map_err(ForwardError::api(format!("list the pods of service {}/{name}", self.namespace)))?;
                let pod = pick_ready(&list.items).ok_or_else(|| no_pod(not_ready_reason(&list.items)))?;
                let port = service_target_port(spec.ports.as_deref().unwrap_or_default(), self.port, &pod);
                Ok((pod.metadata.name.clone().unwrap_or_default(), port))
            }
            Target::Server(name) => {
                let list = super::serving::pods(&self.client, &self.namespace, name).await.map_err(|e| match e {
                    super::training::JobError::Forbidden { action, message } => {
                        ForwardError::Forbidden { action, message }
                    }
                    other => {
                        ForwardError::Api { action: format!("list the pods of {name}"), message: other.to_string() }
                    }
                })?;
                let pod = pick_ready(&list).ok_or_else(|| no_pod(not_ready_reason(&list)))?;
                Ok((pod.metadata.name.clone().unwrap_or_default(), self.port))
            }
        }
    }

    /// Opens (and closes) one forwarded connection: says now, not at a browser's first connection, when no pod is
    /// ready or the user may not forward.
    pub async fn check(&self) -> Result<(String, u16), ForwardError> {
        self.connect().await?;
        self.pod().await
    }

    /// Opens one forwarded connection to the chosen pod.
    pub async fn connect(&self) -> Result<(tokio::io::DuplexStream, String), ForwardError> {
        let (pod, port) = self.pod().await?;
        let pods: Api<Pod> = Api::namespaced(self.client.clone(), &self.namespace);
        let mut forwarder = match pods.portforward(&pod, &[port]).await {
            Ok(f) => f,
            Err(e) => {
                self.retarget();
                return Err(ForwardError::api(format!("forward to pod {}/{pod} port {port}", self.namespace))(e));
            }
        };
        let stream = forwarder.take_stream(port).ok_or_else(|| ForwardError::Refused {
            pod: pod.clone(),
            port,
            message: "the server opened no stream for the port".into(),
        })?;
        if let Some(errors) = forwarder.take_error(port) {
            let pod_name = pod.clone();
            let target = self.target.display();
            tokio::spawn(async move {
                if let Some(message) = errors.await {
                    tracing::info!("forward to {target} ({pod_name}:{port}) ended: {message}");
                }
            });
        }
        // The forwarder's task carries the bytes; it ends when the stream is dropped.
        tokio::spawn(async move {
            let _ = forwarder.join().await;
        });
        Ok((stream, pod))
    }

    /// An HTTP/1.1 connection over one forwarded connection (keep-alive: many requests, one after another).
    pub async fn http(&self) -> Result<HttpChannel, ForwardError> {
        let (stream, pod) = self.connect().await?;
        let port = self.pod().await.map_or(self.port, |p| p.1);
        HttpChannel::over(stream, pod, port).await
    }

    /// Sends one request on a fresh connection (re-targeting once if the chosen pod is gone).
    pub async fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<Reply, ForwardError> {
        let mut channel = match self.http().await {
            Ok(c) => c,
            Err(ForwardError::Api { .. }) => {
                self.retarget();
                self.http().await?
            }
            Err(e) => return Err(e),
        };
        channel.send(method, path, body).await
    }

    /// Listens on `local` (port 0: any free port) and forwards every accepted connection; returns the bound
    /// address and the task, which stops when dropped.
    pub async fn listen(&self, local: SocketAddr) -> Result<(SocketAddr, LocalForward), ForwardError> {
        let listener = tokio::net::TcpListener::bind(local)
            .await
            .map_err(|e| ForwardError::Listen { address: local.to_string(), message: e.to_string() })?;
        let bound = listener
            .local_addr()
            .map_err(|e| ForwardError::Listen { address: local.to_string(), message: e.to_string() })?;
        let me = self.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let _ = socket.set_nodelay(true);
                let me = me.clone();
                tokio::spawn(async move {
                    let connected = match me.connect().await {
                        Ok(c) => Ok(c),
                        Err(_) => {
                            me.retarget();
                            me.connect().await
                        }
                    };
                    match connected {
                        Ok((mut stream, _)) => {
                            if tokio::io::copy_bidirectional(&mut socket, &mut stream).await.is_err() {
                                me.retarget();
                            }
                        }
                        Err(e) => tracing::warn!("forward {}: {e}", me.target.display()),
                    }
                });
            }
        });
        Ok((bound, LocalForward(task)))
    }
}

/// A local listener's task; dropping it stops the forward.
pub struct LocalForward(tokio::task::JoinHandle<()>);

impl LocalForward {
    pub fn is_running(&self) -> bool {
        !self.0.is_finished()
    }
}

impl Drop for LocalForward {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One keep-alive HTTP connection through a forward.
pub struct HttpChannel {
    sender: SendRequest<Full<Bytes>>,
    pub pod: String,
    pub port: u16,
}

impl HttpChannel {
    /// HTTP/1.1 over any connection (`peer` names the other end in errors and replies).
    pub async fn over<S>(io: S, peer: String, port: u16) -> Result<HttpChannel, ForwardError>
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
    {
        // One write per request (head and body together): a forwarded connection turns each write into a
        // WebSocket frame, and a body sent as a second small frame waits out Nagle's algorithm against the
        // server's delayed ACK (40 ms on Linux) on some requests.
        let (sender, connection) = hyper::client::conn::http1::Builder::new()
            .writev(false)
            .handshake(TokioIo::new(io))
            .await
            .map_err(|e| ForwardError::Http(format!("HTTP over the forward to {peer}: {e}")))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(HttpChannel { sender, pod: peer, port })
    }

    pub async fn send(&mut self, method: &str, path: &str, body: Option<&str>) -> Result<Reply, ForwardError> {
        let started = Instant::now();
        self.sender
            .ready()
            .await
            .map_err(|e| ForwardError::Http(format!("the connection to {} closed: {e}", self.pod)))?;
        let mut request = http::Request::builder()
            .method(method)
            .uri(path)
            .header(http::header::HOST, format!("localhost:{}", self.port));
        if body.is_some() {
            request = request.header(http::header::CONTENT_TYPE, "application/json");
        }
        let request = request
            .body(Full::new(Bytes::from(body.unwrap_or_default().to_string())))
            .map_err(|e| ForwardError::Http(format!("{method} {path}: {e}")))?;
        let response = self
            .sender
            .send_request(request)
            .await
            .map_err(|e| ForwardError::Http(format!("{method} {path} through the forward to {}: {e}", self.pod)))?;
        let status = response.status().as_u16();
        let bytes = response
            .into_body()
            .collect()
            .await
            .map_err(|e| ForwardError::Http(format!("reading the answer to {method} {path}: {e}")))?
            .to_bytes();
        Ok(Reply {
            status,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            latency: started.elapsed(),
            pod: self.pod.clone(),
        })
    }
}

fn is_ready(pod: &Pod) -> bool {
    super::serving::is_ready(pod)
}

fn pick_ready(pods: &[Pod]) -> Option<Pod> {
    pods.iter().find(|p| is_ready(p)).cloned()
}

/// Why none of `pods` is ready, in a few words.
fn not_ready_reason(pods: &[Pod]) -> String {
    if pods.is_empty() {
        return "it has no pods".into();
    }
    let phases: Vec<String> = pods
        .iter()
        .map(|p| {
            let name = p.metadata.name.clone().unwrap_or_default();
            let phase = p.status.as_ref().and_then(|s| s.phase.clone()).unwrap_or_else(|| "Pending".into());
            format!("{name} {phase}")
        })
        .collect();
    format!("its pods: {}", phases.join(", "))
}

/// The pod port a Service port leads to (a named target port resolved on the pod), or the port itself.
fn service_target_port(ports: &[k8s_openapi::api::core::v1::ServicePort], port: u16, pod: &Pod) -> u16 {
    use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
    let Some(sp) = ports.iter().find(|p| p.port == i32::from(port)) else { return port };
    match &sp.target_port {
        Some(IntOrString::Int(n)) => u16::try_from(*n).unwrap_or(port),
        Some(IntOrString::String(name)) => pod
            .spec
            .as_ref()
            .into_iter()
            .flat_map(|s| s.containers.iter())
            .flat_map(|c| c.ports.iter().flatten())
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok())
            .unwrap_or(port),
        None => port,
    }
}

/// What a load test measured.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LoadReport {
    pub requests: usize,
    pub ok: usize,
    /// Answers that were not 2xx, and transport failures, with the first one's text.
    pub failed: usize,
    pub first_error: Option<String>,
    pub elapsed: Duration,
    /// Every successful request's latency, sorted.
    pub latencies: Vec<Duration>,
    /// (seconds since start, requests answered in the window that starts there)
    pub timeline: Vec<(f64, usize)>,
    /// The timeline's window, in seconds (a twentieth of the run, between 50 ms and 1 s).
    pub window: f64,
}

impl LoadReport {
    pub fn throughput(&self) -> f64 {
        if self.elapsed.is_zero() { 0.0 } else { self.ok as f64 / self.elapsed.as_secs_f64() }
    }

    /// The latency at quantile `q` (0..=1), nearest rank.
    pub fn percentile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((q * self.latencies.len() as f64).ceil() as usize).clamp(1, self.latencies.len());
        self.latencies[rank - 1]
    }
}

/// The largest load test Bosun runs: it goes through the API server, so it must stay small.
pub const MAX_LOAD_REQUESTS: usize = 100_000;
pub const MAX_LOAD_CONCURRENCY: usize = 64;

/// Sends `requests` copies of one request with `concurrency` keep-alive connections through the forward; `on_progress`
/// hears how many are done now and then.
pub async fn load_test(
    forward: &Forwarder,
    method: &str,
    path: &str,
    body: Option<&str>,
    requests: usize,
    concurrency: usize,
    on_progress: impl Fn(usize) + Send + Sync + 'static,
) -> Result<LoadReport, ForwardError> {
    let requests = requests.clamp(1, MAX_LOAD_REQUESTS);
    let concurrency = concurrency.clamp(1, MAX_LOAD_CONCURRENCY).min(requests);
    let mut channels = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        channels.push(forward.http().await?);
    }
    Ok(load_on(channels, method, path, body, requests, on_progress).await)
}

/// Sends `requests` copies of one request over `channels`, each keeping one request in flight.
pub async fn load_on(
    channels: Vec<HttpChannel>,
    method: &str,
    path: &str,
    body: Option<&str>,
    requests: usize,
    on_progress: impl Fn(usize) + Send + Sync + 'static,
) -> LoadReport {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let on_progress = Arc::new(on_progress);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut channel in channels {
        let next = next.clone();
        let done = done.clone();
        let on_progress = on_progress.clone();
        let (method, path, body) = (method.to_string(), path.to_string(), body.map(str::to_string));
        tasks.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < requests {
                let result = channel.send(&method, &path, body.as_deref()).await;
                let at = started.elapsed();
                let finished = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if finished.is_multiple_of(250) {
                    on_progress(finished);
                }
                let broken = result.is_err();
                seen.push((at, result));
                if broken {
                    break;
                }
            }
            seen
        }));
    }
    let mut report = LoadReport { requests, ..Default::default() };
    let mut finished_at = Vec::new();
    for task in tasks {
        for (at, result) in task.await.unwrap_or_default() {
            match result {
                Ok(reply) if (200..300).contains(&reply.status) => {
                    report.ok += 1;
                    report.latencies.push(reply.latency);
                    finished_at.push(at);
                }
                Ok(reply) => {
                    report.failed += 1;
                    report.first_error.get_or_insert(format!("HTTP {}: {}", reply.status, reply.body.trim()));
                }
                Err(e) => {
                    report.failed += 1;
                    report.first_error.get_or_insert(e.to_string());
                }
            }
        }
    }
    report.elapsed = started.elapsed();
    report.requests = report.ok + report.failed;
    report.latencies.sort();
    let window = (report.elapsed.as_secs_f64() / 20.0).clamp(0.05, 1.0);
    report.window = window;
    let buckets = (report.elapsed.as_secs_f64() / window).ceil().max(1.0) as usize;
    let mut counts = vec![0usize; buckets];
    for at in finished_at {
        let i = ((at.as_secs_f64() / window) as usize).min(buckets - 1);
        counts[i] += 1;
    }
    report.timeline = counts.into_iter().enumerate().map(|(i, n)| (i as f64 * window, n)).collect();
    on_progress(report.requests);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_read_like_kubectl() {
        assert_eq!(Target::parse("svc/jupyter").unwrap(), Target::Service("jupyter".into()));
        assert_eq!(Target::parse("pod/nb-0").unwrap(), Target::Pod("nb-0".into()));
        assert_eq!(Target::parse("nb-0").unwrap(), Target::Pod("nb-0".into()));
        assert!(Target::parse("deploy/").is_err());
        assert!(Target::parse("job/x").is_err());
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let report = LoadReport {
            latencies: (1..=100).map(Duration::from_millis).collect(),
            ok: 100,
            elapsed: Duration::from_secs(2),
            ..Default::default()
        };
        assert_eq!(report.percentile(0.5), Duration::from_millis(50));
        assert_eq!(report.percentile(0.99), Duration::from_millis(99));
        assert_eq!(report.percentile(1.0), Duration::from_millis(100));
        assert!((report.throughput() - 50.0).abs() < 1e-9);
    }
}
