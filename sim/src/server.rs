//! Starting and stopping the simulated API server: TLS, the listener, the kubeconfig, the fleet and the controllers.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::Tokens;
use crate::cluster::Cluster;
use crate::faults::{FaultConfig, Faults};
use crate::fleet::Fleet;
use crate::{api, controllers, fleet, kubeconfig, tls};

/// How to start a simulated cluster.
#[derive(Debug, Clone)]
pub struct Config {
    pub fleet: Fleet,
    /// Serve HTTPS with a generated CA (default) or plain HTTP.
    pub tls: bool,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Where to write the kubeconfig; `None` writes it into a temporary folder owned by the handle.
    pub kubeconfig_out: Option<PathBuf>,
    /// Simulated seconds per real second (higher = faster jobs).
    pub time_scale: f64,
    /// Seed for everything random in the fleet and the simulated workloads.
    pub seed: u64,
    pub faults: FaultConfig,
    /// Run the controllers (scheduler, kubelet, workload and training controllers).
    pub controllers: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            fleet: Fleet::Demo,
            tls: true,
            port: 0,
            kubeconfig_out: None,
            time_scale: 1.0,
            seed: 42,
            faults: FaultConfig::default(),
            controllers: true,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("could not listen on 127.0.0.1:{port}: {source}")]
    Bind { port: u16, source: std::io::Error },
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    #[error("could not write the kubeconfig to {path}: {source}")]
    Kubeconfig { path: PathBuf, source: std::io::Error },
}

/// A running simulated cluster. Dropping the handle stops it.
pub struct ServerHandle {
    cluster: Arc<Cluster>,
    base_url: String,
    kubeconfig_path: PathBuf,
    kubeconfig: String,
    shutdown: watch::Sender<bool>,
    _tempdir: Option<tempfile::TempDir>,
}

impl ServerHandle {
    /// `https://127.0.0.1:<port>` (or `http://`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The kubeconfig file with the `kubesim-admin` (current) and `kubesim-viewer` contexts.
    pub fn kubeconfig_path(&self) -> &Path {
        &self.kubeconfig_path
    }

    pub fn kubeconfig_yaml(&self) -> &str {
        &self.kubeconfig
    }

    pub fn admin_token(&self) -> &str {
        &self.cluster.tokens.admin
    }

    pub fn viewer_token(&self) -> &str {
        &self.cluster.tokens.viewer
    }

    /// The faults in force now.
    pub fn faults(&self) -> FaultConfig {
        self.cluster.faults.config()
    }

    /// Changes the injected faults at run time.
    pub fn set_faults(&self, faults: FaultConfig) {
        self.cluster.faults.set(faults);
    }

    /// Forgets the change history, so watches from older resourceVersions get `410 Gone`.
    pub fn compact(&self) {
        self.cluster.store.compact();
    }

    /// How often the server did `what` for a resource (its plural): lists, 410s, dropped watches.
    pub fn served(&self, what: crate::stats::Served, resource: &str) -> u64 {
        self.cluster.stats.get(what, resource)
    }

    /// Watches of a resource (its plural) streaming now.
    pub fn open_watches(&self, resource: &str) -> u64 {
        self.cluster.stats.open_watches(resource)
    }

    /// The simulated cluster itself (store, registry, logs), for tests that look inside.
    pub fn cluster(&self) -> &Arc<Cluster> {
        &self.cluster
    }

    /// Stops the server and its controllers.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Starts a simulated cluster on 127.0.0.1. Must be called inside a tokio runtime.
pub async fn start(config: Config) -> Result<ServerHandle, StartError> {
    fastrand::seed(config.seed);
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], config.port)))
        .await
        .map_err(|source| StartError::Bind { port: config.port, source })?;
    let local = listener.local_addr().map_err(|source| StartError::Bind { port: config.port, source })?;
    let tls = if config.tls { Some(tls::generate()?) } else { None };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let base_url = format!("{scheme}://127.0.0.1:{}", local.port());

    let tokens = Tokens::generate();
    let cluster = Arc::new(Cluster::new(
        tokens.clone(),
        Faults::new(config.faults.clone()),
        local.to_string(),
        config.time_scale,
    ));
    fleet::populate(&cluster, &config.fleet, config.seed);

    let kubeconfig =
        kubeconfig::render(&base_url, tls.as_ref().map(|t| t.ca_pem.as_str()), &tokens.admin, &tokens.viewer);
    let (kubeconfig_path, tempdir) = match &config.kubeconfig_out {
        Some(path) => (path.clone(), None),
        None => {
            let dir = tempfile::tempdir()
                .map_err(|source| StartError::Kubeconfig { path: PathBuf::from("(temp)"), source })?;
            (dir.path().join("kubeconfig"), Some(dir))
        }
    };
    if let Some(parent) = kubeconfig_path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|source| StartError::Kubeconfig { path: kubeconfig_path.clone(), source })?;
    }
    std::fs::write(&kubeconfig_path, &kubeconfig)
        .map_err(|source| StartError::Kubeconfig { path: kubeconfig_path.clone(), source })?;

    let (shutdown, shutdown_rx) = watch::channel(false);
    if config.controllers {
        controllers::spawn_all(cluster.clone(), shutdown_rx.clone());
    }
    tokio::spawn(accept_loop(
        listener,
        cluster.clone(),
        tls.map(|t| tokio_rustls::TlsAcceptor::from(t.server_config)),
        shutdown_rx,
    ));
    tracing::info!(url = %base_url, kubeconfig = %kubeconfig_path.display(), "kubesim is serving");
    Ok(ServerHandle { cluster, base_url, kubeconfig_path, kubeconfig, shutdown, _tempdir: tempdir })
}

async fn accept_loop(
    listener: TcpListener,
    cluster: Arc<Cluster>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            a = listener.accept() => a,
        };
        let Ok((stream, _)) = accepted else { continue };
        let _ = stream.set_nodelay(true);
        let cluster = cluster.clone();
        let tls = tls.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| api::serve(cluster.clone(), req));
            let builder = auto::Builder::new(TokioExecutor::new());
            match tls {
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(stream).await else { return };
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                }
                None => {
                    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.changed() => {}
                    }
                }
            }
        });
    }
}
