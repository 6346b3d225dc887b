//! The command line: raw arguments (clap) turned into a validated [`Config`] with the [`Mode`] to run.

use std::path::PathBuf;

use clap::Parser;

use crate::state::LaunchOptions;

/// Bosun: machine learning on Kubernetes in one fast desktop window.
///
/// Starts the desktop app. Kubeconfig files are found as kubectl finds them: --kubeconfig, else the files in
/// KUBECONFIG (merged), else ~/.kube/config.
#[derive(Debug, Parser)]
#[command(name = "bosun", version, about, long_about)]
pub struct Args {
    /// Path to a kubeconfig file (replaces KUBECONFIG and ~/.kube/config).
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use (default: the last one used, else the current context).
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// The namespace to show (default: the context's namespace).
    #[arg(long, short = 'n', value_name = "NS")]
    pub namespace: Option<String>,
    /// Start with the built-in demo cluster (a simulated GPU lab) instead of a kubeconfig.
    #[arg(long, conflicts_with_all = ["kubeconfig", "context"])]
    pub demo: bool,
    /// Folder for Bosun's settings (default: the platform's config folder, e.g. ~/.config/bosun).
    #[arg(long, value_name = "DIR", env = crate::settings::CONFIG_DIR_ENV)]
    pub config_dir: Option<PathBuf>,
}

/// What to run.
#[derive(Debug, Clone, PartialEq)]
pub enum Mode {
    Gui { launch: LaunchOptions, demo: bool },
}

/// Validated command line.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub mode: Mode,
    pub config_dir: Option<PathBuf>,
}

impl Args {
    pub fn into_config(self) -> anyhow::Result<Config> {
        if let Some(ns) = &self.namespace {
            anyhow::ensure!(
                is_dns_label(ns),
                "--namespace {ns:?} is not a valid namespace name (lower-case letters, digits and '-', at most 63 characters)"
            );
        }
        let launch = LaunchOptions { kubeconfig: self.kubeconfig, context: self.context, namespace: self.namespace };
        Ok(Config { mode: Mode::Gui { launch, demo: self.demo }, config_dir: self.config_dir })
    }
}

/// A Kubernetes DNS-1123 label: what namespace names must be.
pub fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_become_launch_options() {
        let args = Args::try_parse_from(["bosun", "--kubeconfig", "/k", "--context", "prod", "-n", "ml"]).unwrap();
        let config = args.into_config().unwrap();
        let Mode::Gui { launch, demo } = config.mode;
        assert!(!demo);
        assert_eq!(launch.kubeconfig, Some(PathBuf::from("/k")));
        assert_eq!(launch.context.as_deref(), Some("prod"));
        assert_eq!(launch.namespace.as_deref(), Some("ml"));
    }

    #[test]
    fn demo_excludes_an_explicit_kubeconfig() {
        assert!(Args::try_parse_from(["bosun", "--demo", "--kubeconfig", "/k"]).is_err());
        let config = Args::try_parse_from(["bosun", "--demo"]).unwrap().into_config().unwrap();
        assert!(matches!(config.mode, Mode::Gui { demo: true, .. }));
    }

    #[test]
    fn invalid_namespace_is_rejected_with_the_rule() {
        let args = Args::try_parse_from(["bosun", "-n", "ML_Team"]).unwrap();
        let err = args.into_config().unwrap_err().to_string();
        assert!(err.contains("ML_Team") && err.contains("lower-case"), "{err}");
    }

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("kube-system"));
        assert!(!is_dns_label("-x") && !is_dns_label("a.b") && !is_dns_label(&"a".repeat(64)));
    }
}
