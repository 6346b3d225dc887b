//! The one way the UI changes anything: widgets push a [`Command`] through a [`CommandSender`], and the app drains
//! the queue once per frame in [`super::AppState::handle`].

use std::sync::mpsc;

use super::Screen;
use crate::charts::{ChartStyle, ExportFormat};
use crate::settings::ThemeChoice;

/// Something the user asked for. Handled in order, once per frame, by [`super::AppState::handle`].
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Show a screen.
    Navigate(Screen),
    /// Switch between the dark and light theme.
    ToggleTheme,
    /// Use the given theme.
    SetTheme(ThemeChoice),
    /// Open the command palette (Ctrl+K).
    OpenPalette,
    /// Close the command palette without running anything.
    ClosePalette,
    /// Show or hide the diagnostics panel (frame-time chart).
    ToggleDiagnostics,
    /// Make the named kubeconfig context the selected one.
    SelectContext(String),
    /// Ask for another kubeconfig file with a file picker and add its contexts.
    AddKubeconfigFile,
    /// Read the kubeconfig files again.
    ReloadKubeconfig,
    /// Connect to the selected context again.
    Reconnect,
    /// Give up the connection attempt in progress.
    CancelConnect,
    /// Start the built-in demo cluster and connect to it.
    StartDemo,
    /// Show (and stream, with `follow`) a container's log.
    OpenLogs {
        namespace: String,
        pod: String,
        container: String,
        follow: bool,
    },
    /// Stop showing the log.
    CloseLogs,
    /// Open a pod's detail: fetch its containers and events.
    OpenPod {
        namespace: String,
        name: String,
    },
    /// Close the pod detail.
    ClosePod,
    /// Filter and sort the pod list this way.
    SetPodQuery(crate::state::cluster_view::PodQuery),
    /// Save the frame-time chart to a file the user picks, drawn in the given (theme) style.
    ExportFrameChart {
        format: ExportFormat,
        style: ChartStyle,
    },
    /// Hide a notification.
    DismissToast(u64),
    /// Remember the window's inner size (points).
    WindowResized([f32; 2]),
    /// Something for the Install screen's wizard.
    Wizard(crate::state::install::WizardCommand),
    /// Something for the Training screen.
    Training(crate::state::training::TrainingCommand),
    /// Save the Experiments screen's curves as SVG or PNG (asks where).
    ExportExperimentChart {
        format: crate::charts::ExportFormat,
        style: crate::charts::ChartStyle,
    },
    /// Save the shown runs' points of the objective's metric as CSV (asks where).
    ExportExperimentCsv,
    /// Pick a folder of TensorBoard runs to compare on the Experiments screen.
    OpenRunsFolder,
    /// Something for the Experiments screen.
    Experiments(crate::state::experiments::ExperimentsCommand),
    /// Something for the Serving screen.
    Serving(crate::state::serving::ServingCommand),
    /// Read the Teams tab's data again when it is due (sent while the tab is shown).
    RefreshTeams,
    /// The Teams tab's quota form, as edited.
    SetQuotaForm(crate::state::teams::QuotaForm),
    /// Apply the quota form (server-side apply of the ResourceQuota and LimitRange).
    ApplyQuota,
    /// Ask the capacity planner again when its answer is due (sent while its tab is shown).
    RefreshPlan,
    /// Plan for copies of this node (`None`: every kind of node).
    SetPlanShape(Option<String>),
    SetPlanMax(u32),
    /// The planner's "if a team's quota were …" fields.
    SetPlanDraft(crate::state::capacity::WhatIfDraft),
    /// Plan with the draft's quota (`true`) or with the quotas as they are.
    UsePlanWhatIf(bool),
    /// Show this plan of the answer in the detail.
    SelectPlan(usize),
    /// Save what would still wait (CSV) or the chart of pods waiting against nodes added.
    ExportPlanCsv,
    ExportPlanChart {
        format: crate::charts::ExportFormat,
        style: crate::charts::ChartStyle,
    },
    /// Apply the preset PriorityClass ladder.
    ApplyPriorityLadder,
    /// Something for the Model analysis screen.
    ModelAnalysis(crate::state::model_analysis::ModelAnalysisCommand),
    /// Save the Model analysis table as CSV (a save dialog asks where).
    ExportSlicesCsv,
    /// Save the slice chart (or, with `history`, the history chart) as SVG or PNG.
    ExportSlicesChart {
        history: bool,
        format: crate::charts::ExportFormat,
        style: crate::charts::ChartStyle,
    },
    /// Something for the Notebooks screen.
    Notebooks(crate::state::notebooks::NotebooksCommand),
}

/// A cloneable handle that widgets use to send [`Command`]s.
#[derive(Debug, Clone)]
pub struct CommandSender(mpsc::Sender<Command>);

/// The receiving end, owned by the app and drained once per frame.
#[derive(Debug)]
pub struct CommandReceiver(mpsc::Receiver<Command>);

pub fn command_channel() -> (CommandSender, CommandReceiver) {
    let (tx, rx) = mpsc::channel();
    (CommandSender(tx), CommandReceiver(rx))
}

impl CommandSender {
    pub fn send(&self, command: Command) {
        // The receiver lives as long as the app; a send can only fail while shutting down.
        let _ = self.0.send(command);
    }
}

impl CommandReceiver {
    /// All commands queued since the last call.
    pub fn drain(&self) -> Vec<Command> {
        self.0.try_iter().collect()
    }
}
