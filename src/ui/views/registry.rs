//! The one table of screens: title, icon, shortcut digit and what each screen is for. The navigation, the command
//! palette, keyboard shortcuts and the tests iterate this table and keep no lists of their own.

use crate::state::Screen;

/// How a screen presents itself in navigation and in its empty state.
#[derive(Debug, Clone, Copy)]
pub struct ScreenInfo {
    pub screen: Screen,
    pub title: &'static str,
    pub icon: &'static str,
    /// One line under the title.
    pub summary: &'static str,
    /// What the screen shows once it has data.
    pub features: &'static [&'static str],
    /// What the user needs before the screen has anything to show.
    pub needs: &'static str,
}

pub const SCREENS: [ScreenInfo; 9] = [
    ScreenInfo {
        screen: Screen::Overview,
        title: "Overview",
        icon: "🏠",
        summary: "The cluster at a glance: nodes, GPUs, workloads and warnings.",
        features: &[
            "Nodes ready out of total, and the cluster's Kubernetes version",
            "GPUs by type and product: capacity, allocatable, requested, free",
            "Pods by phase and training jobs by state, with recent history",
            "Top namespaces by GPU requests and the latest warning events",
        ],
        needs: "Pick a context in the top bar to connect to a cluster.",
    },
    ScreenInfo {
        screen: Screen::Nodes,
        title: "Nodes",
        icon: "🖥",
        summary: "The GPU ledger: every node's accelerators, allocation and health.",
        features: &[
            "NVIDIA GPUs, MIG slices, shared GPUs, AMD and Intel GPUs, FPGAs per node",
            "Capacity, allocatable, requested and free, sortable and filterable",
            "GPU product, memory, driver and CUDA versions from feature-discovery labels",
            "Per-node detail: pods and their GPU requests, taints, conditions",
        ],
        needs: "Connect to a cluster to see its nodes.",
    },
    ScreenInfo {
        screen: Screen::Pods,
        title: "Pods",
        icon: "📋",
        summary: "Every pod in the cluster: where it runs, how it is doing, what it asks for.",
        features: &[
            "All pods, filtered by text and phase, sorted by any column",
            "Placement, readiness, restarts and accelerator requests",
        ],
        needs: "Connect to a cluster to see its pods.",
    },
    ScreenInfo {
        screen: Screen::Install,
        title: "Install",
        icon: "📦",
        summary: "Install the ML stack with a wizard that checks first and explains every step.",
        features: &[
            "Training operator (TFJob, PyTorchJob), JupyterHub, TensorFlow Serving, GPU device plugin",
            "Preflight checks: permissions, storage class, GPU nodes",
            "A dry-run diff of every object before anything changes",
            "Progress per object with readiness, resume, repair and uninstall",
        ],
        needs: "Connect to a cluster where you may create namespaces and CRDs.",
    },
    ScreenInfo {
        screen: Screen::Training,
        title: "Training",
        icon: "🔥",
        summary: "Launch and follow training jobs: TFJob, PyTorchJob, XGBoostJob, MPIJob and Job.",
        features: &[
            "A form for distributed jobs: image, command, roles, GPUs per replica, run policy, hyperparameters",
            "A fit preview: which nodes can take each role now, and why not in the scheduler's words",
            "A flight recorder per job: timeline, replicas, exit codes, events and logs kept after the pods are gone",
            "Every job on the cluster, whoever made it, live",
        ],
        needs: "Connect to a cluster (plain Jobs work anywhere; the training operator adds the rest, see Install).",
    },
    ScreenInfo {
        screen: Screen::Experiments,
        title: "Experiments",
        icon: "🔬",
        summary: "Compare runs and sweeps: hyperparameters against their metrics.",
        features: &[
            "Runs grouped by experiment, with their hyperparameters and the best run by your objective",
            "Live metric curves from Katib-style and JSON log lines, overlaid, smoothed, exportable",
            "TensorBoard folders from disk, compared with the cluster's runs",
            "Hyperparameters against the objective in parallel coordinates",
            "History kept locally after pods are gone",
        ],
        needs: "Launch a training job, or connect to a cluster that already runs some.",
    },
    ScreenInfo {
        screen: Screen::Serving,
        title: "Serving",
        icon: "🚀",
        summary: "Serve models with TensorFlow Serving, scikit-learn or XGBoost: roll out, canary, and try them.",
        features: &[
            "A form for model servers: runtime, model path and versions, replicas, GPUs, CPU autoscaling",
            "Every model server on the cluster with readiness, autoscaler and canary share",
            "Roll-outs with progress, scale, update, roll back; canary split, promote, abort",
            "Send a prediction through a port-forward and load-test it: p50/p95/p99 and throughput",
        ],
        needs: "Connect to a cluster; install TensorFlow Serving from the Install screen for templates.",
    },
    ScreenInfo {
        screen: Screen::ModelAnalysis,
        title: "Model analysis",
        icon: "📊",
        summary: "Sliced evaluation metrics: where a model does well, where it does not, and what a new version broke.",
        features: &[
            "Metrics per slice (feature values, numeric bins and crosses) with bootstrap confidence intervals",
            "A sortable, searchable slice table and bar charts with CI whiskers; small slices flagged",
            "A slice's confusion matrix, ROC and calibration curves",
            "Two versions compared slice by slice, regressions marked; a slice's history across versions",
        ],
        needs: "Open per-example evaluation files or sliced metrics, or connect to a cluster with evaluation jobs.",
    },
    ScreenInfo {
        screen: Screen::Notebooks,
        title: "Notebooks",
        icon: "📓",
        summary: "Jupyter notebook servers on the cluster, one click away.",
        features: &[
            "JupyterHub's health and its users' servers; Kubeflow Notebooks; servers Bosun starts without a hub",
            "Start a server: image preset, GPUs with a fit check, a workspace claim, a generated token",
            "Open one in the browser through a port-forward (with its token); stop, start, delete",
        ],
        needs: "Connect to a cluster (JupyterHub from the Install screen is optional).",
    },
];

/// The registry entry of a screen.
pub fn info(screen: Screen) -> &'static ScreenInfo {
    SCREENS.iter().find(|i| i.screen == screen).unwrap_or(&SCREENS[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_screen_is_registered_once_in_navigation_order() {
        let screens: Vec<Screen> = SCREENS.iter().map(|i| i.screen).collect();
        assert_eq!(screens, Screen::ALL.to_vec());
        for s in Screen::ALL {
            assert_eq!(info(s).screen, s);
        }
    }
}
