//! Finding and reading kubeconfig files the way kubectl does.
//!
//! Order: an explicit `--kubeconfig` file (must exist); else every file in `KUBECONFIG`, merged in order with the
//! first file winning per key (missing files skipped, as kubectl does); else `~/.kube/config`. Files the user adds
//! in the app are merged after those.

use std::path::{Path, PathBuf};

use kube::config::Kubeconfig;

pub use crate::resources::context::{ContextInfo, KubeconfigSummary};

/// Where to look for kubeconfig files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KubeconfigSources {
    /// `--kubeconfig PATH`: replaces `KUBECONFIG` and the default file.
    pub explicit: Option<PathBuf>,
    /// Files added in the app, merged after the others.
    pub extra: Vec<PathBuf>,
}

/// Why kubeconfig files could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum KubeconfigError {
    /// A file named explicitly does not exist.
    #[error("kubeconfig file {0} does not exist: check the --kubeconfig path")]
    Missing(PathBuf),
    /// A file exists but could not be read or parsed.
    #[error("kubeconfig file {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    /// No kubeconfig file exists in any of the places searched.
    #[error("no kubeconfig found (looked in {}): pass --kubeconfig PATH or try the demo cluster", .0.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", "))]
    NoneFound(Vec<PathBuf>),
}

impl KubeconfigSources {
    /// The files to read, in merge order, with the `KUBECONFIG` value and home directory given explicitly
    /// (so tests do not depend on the process environment).
    pub fn candidates(&self, kubeconfig_env: Option<&std::ffi::OsStr>, home: Option<&Path>) -> Vec<PathBuf> {
        let mut files = Vec::new();
        if let Some(path) = &self.explicit {
            files.push(path.clone());
        } else if let Some(list) = kubeconfig_env.filter(|v| !v.is_empty()) {
            files.extend(std::env::split_paths(list).filter(|p| !p.as_os_str().is_empty()));
        } else if let Some(home) = home {
            files.push(home.join(".kube").join("config"));
        }
        for extra in &self.extra {
            if !files.contains(extra) {
                files.push(extra.clone());
            }
        }
        files
    }

    /// Reads and merges the kubeconfig files from the process environment.
    pub fn load(&self) -> Result<KubeconfigSummary, KubeconfigError> {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        let env = std::env::var_os("KUBECONFIG");
        self.load_from(&self.candidates(env.as_deref(), home.as_deref()))
    }

    /// Reads and merges the given files (first wins per key). Missing files are skipped unless named explicitly.
    pub fn load_from(&self, candidates: &[PathBuf]) -> Result<KubeconfigSummary, KubeconfigError> {
        let (merged, files) = self.merge_files(candidates)?;
        let searched = if files.is_empty() { candidates.to_vec() } else { Vec::new() };
        let Some(config) = merged else {
            return Ok(KubeconfigSummary { searched, ..Default::default() });
        };
        Ok(summarize(config, files))
    }

    /// The merged kubeconfig from the process environment, for building a client.
    pub fn merged(&self) -> Result<Kubeconfig, KubeconfigError> {
        let home = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf());
        let env = std::env::var_os("KUBECONFIG");
        let candidates = self.candidates(env.as_deref(), home.as_deref());
        let (merged, _) = self.merge_files(&candidates)?;
        merged.ok_or(KubeconfigError::NoneFound(candidates))
    }

    fn merge_files(&self, candidates: &[PathBuf]) -> Result<(Option<Kubeconfig>, Vec<PathBuf>), KubeconfigError> {
        let mut merged: Option<Kubeconfig> = None;
        let mut files = Vec::new();
        for path in candidates {
            if !path.exists() {
                let must_exist = self.explicit.as_ref() == Some(path) || self.extra.contains(path);
                if must_exist {
                    return Err(KubeconfigError::Missing(path.clone()));
                }
                continue;
            }
            let config = Kubeconfig::read_from(path)
                .map_err(|e| KubeconfigError::Invalid { path: path.clone(), message: e.to_string() })?;
            merged = Some(match merged {
                None => config,
                Some(m) => m
                    .merge(config)
                    .map_err(|e| KubeconfigError::Invalid { path: path.clone(), message: e.to_string() })?,
            });
            files.push(path.clone());
        }
        Ok((merged, files))
    }
}

fn summarize(config: Kubeconfig, files: Vec<PathBuf>) -> KubeconfigSummary {
    let server_of = |cluster: &str| {
        config
            .clusters
            .iter()
            .find(|c| c.name == cluster)
            .and_then(|c| c.cluster.as_ref())
            .and_then(|c| c.server.clone())
    };
    let mut contexts: Vec<ContextInfo> = config
        .contexts
        .iter()
        .map(|named| {
            let ctx = named.context.as_ref();
            let cluster = ctx.map(|c| c.cluster.clone()).unwrap_or_default();
            ContextInfo {
                name: named.name.clone(),
                server: server_of(&cluster),
                cluster,
                user: ctx.and_then(|c| c.user.clone()),
                namespace: ctx.and_then(|c| c.namespace.clone()),
            }
        })
        .collect();
    contexts.sort_by(|a, b| a.name.cmp(&b.name));
    KubeconfigSummary { files, searched: Vec::new(), contexts, current_context: config.current_context.clone() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = r#"
apiVersion: v1
kind: Config
current-context: alpha
clusters:
- name: c1
  cluster: { server: "https://one.example:6443" }
users:
- name: u1
  user: { token: secret }
contexts:
- name: alpha
  context: { cluster: c1, user: u1, namespace: team-a }
"#;
    const B: &str = r#"
apiVersion: v1
kind: Config
current-context: beta
clusters:
- name: c1
  cluster: { server: "https://shadowed.example:6443" }
- name: c2
  cluster: { server: "https://two.example:6443" }
contexts:
- name: beta
  context: { cluster: c2, user: u1 }
"#;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    #[test]
    fn kubeconfig_env_merges_in_order_first_wins_and_skips_missing() {
        let dir = tempfile::tempdir().unwrap();
        let a = write(dir.path(), "a", A);
        let b = write(dir.path(), "b", B);
        let missing = dir.path().join("missing");
        let env = std::env::join_paths([&missing, &a, &b]).unwrap();
        let sources = KubeconfigSources::default();
        let candidates = sources.candidates(Some(&env), None);
        let summary = sources.load_from(&candidates).unwrap();
        assert_eq!(summary.files, vec![a, b]);
        assert_eq!(summary.current_context.as_deref(), Some("alpha"));
        let names: Vec<_> = summary.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["alpha", "beta"]);
        assert_eq!(summary.contexts[0].server.as_deref(), Some("https://one.example:6443"));
        assert_eq!(summary.contexts[0].namespace.as_deref(), Some("team-a"));
    }

    #[test]
    fn explicit_file_replaces_env_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yaml");
        let sources = KubeconfigSources { explicit: Some(missing.clone()), extra: vec![] };
        let candidates = sources.candidates(Some(std::ffi::OsStr::new("/other")), Some(dir.path()));
        assert_eq!(candidates, vec![missing.clone()]);
        let err = sources.load_from(&candidates).unwrap_err();
        assert!(err.to_string().contains("nope.yaml") && err.to_string().contains("does not exist"), "{err}");
    }

    #[test]
    fn default_file_under_home_and_nothing_found_is_not_an_error() {
        let home = tempfile::tempdir().unwrap();
        let sources = KubeconfigSources::default();
        let candidates = sources.candidates(None, Some(home.path()));
        assert_eq!(candidates, vec![home.path().join(".kube/config")]);
        let summary = sources.load_from(&candidates).unwrap();
        assert!(summary.contexts.is_empty());
        assert_eq!(summary.searched, candidates);
    }

    #[test]
    fn malformed_yaml_names_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let bad = write(dir.path(), "bad", "clusters: [\n  - name: x\n  cluster: {");
        let sources = KubeconfigSources { explicit: Some(bad.clone()), extra: vec![] };
        let err = sources.load_from(&[bad]).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("bad"), "{text}");
    }
}
