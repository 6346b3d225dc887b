//! The built-in demo cluster: kubesim started in-process, reached through its generated kubeconfig over real HTTPS
//! by the same code as any other cluster.

use std::path::PathBuf;

use anyhow::Context as _;

/// A running demo cluster; dropping it stops the cluster.
pub struct DemoCluster {
    server: kubesim::ServerHandle,
    // Declared after `server` so the server is dropped (and shut down) before its runtime.
    _runtime: tokio::runtime::Runtime,
}

impl DemoCluster {
    /// Starts the `demo` fleet on its own small runtime.
    pub fn start() -> anyhow::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("bosun-demo-cluster")
            .enable_all()
            .build()
            .context("could not start the demo cluster's runtime")?;
        let server =
            runtime.block_on(kubesim::start(kubesim::Config::default())).context("could not start the demo cluster")?;
        Ok(Self { server, _runtime: runtime })
    }

    pub fn kubeconfig_path(&self) -> PathBuf {
        self.server.kubeconfig_path().to_path_buf()
    }

    /// The context with full rights.
    pub fn context(&self) -> &'static str {
        kubesim::kubeconfig::ADMIN_CONTEXT
    }
}
