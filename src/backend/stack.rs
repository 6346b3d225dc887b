//! The Install screen's background work: status, preflight checks, the dry-run review, install and uninstall,
//! each on the current connection's client, reporting back as [`StackEvent`]s.

use crate::cluster::install::apply::ObjectDiff;
use crate::cluster::install::preflight::{self, Check};
use crate::cluster::install::source::{Source, plan_source};
use crate::cluster::install::{self, InstallOptions, InstallReport, StackStatus};
use crate::stack::catalog::Catalog;

use super::{Event, Outbox};

/// What the Install screen asks of the cluster; `id` ties answers to questions.
#[derive(Debug, Clone)]
pub enum StackRequest {
    /// What is installed, and how it is doing.
    Status,
    Preflight {
        id: u64,
        source: Source,
    },
    /// A server-side dry run of the source, with per-object diffs.
    Review {
        id: u64,
        source: Source,
    },
    Install {
        id: u64,
        source: Source,
        options: InstallOptions,
    },
    Uninstall {
        id: u64,
        delete_data: bool,
    },
    /// Stop the running install or uninstall.
    Cancel,
    /// Let the user pick a folder of YAML to apply.
    PickFolder,
}

/// Answers to [`StackRequest`]s.
#[derive(Debug, Clone)]
pub enum StackEvent {
    Status(Result<Option<StackStatus>, String>),
    Preflight {
        id: u64,
        result: Result<Vec<Check>, String>,
    },
    Review {
        id: u64,
        result: Result<Vec<ObjectDiff>, String>,
    },
    Progress {
        id: u64,
        progress: install::Progress,
    },
    /// An install or uninstall ended.
    Finished {
        id: u64,
        result: Result<InstallReport, String>,
    },
    /// The folder the user picked (none if they cancelled).
    FolderPicked(Option<std::path::PathBuf>),
}

fn send(outbox: &Outbox, event: StackEvent) {
    outbox.send(Event::Stack(event));
}

/// Runs one request; long ones (install, uninstall) are spawned by the caller so they can be cancelled.
pub async fn run(client: Option<kube::Client>, request: StackRequest, outbox: Outbox) {
    if let StackRequest::PickFolder = request {
        let picked = rfd::AsyncFileDialog::new().set_title("Apply a folder of YAML").pick_folder().await;
        return send(&outbox, StackEvent::FolderPicked(picked.map(|f| f.path().to_path_buf())));
    }
    let Some(client) = client else {
        let message = "not connected to a cluster".to_string();
        let event = match request {
            StackRequest::Status | StackRequest::Cancel | StackRequest::PickFolder => StackEvent::Status(Err(message)),
            StackRequest::Preflight { id, .. } => StackEvent::Preflight { id, result: Err(message) },
            StackRequest::Review { id, .. } => StackEvent::Review { id, result: Err(message) },
            StackRequest::Install { id, .. } | StackRequest::Uninstall { id, .. } => {
                StackEvent::Finished { id, result: Err(message) }
            }
        };
        return send(&outbox, event);
    };
    let catalog = match Catalog::builtin() {
        Ok(c) => c,
        Err(e) => return send(&outbox, StackEvent::Status(Err(e.to_string()))),
    };
    let namespace = client.default_namespace().to_string();
    match request {
        StackRequest::Status => {
            send(&outbox, StackEvent::Status(install::status(&client).await.map_err(|e| e.to_string())));
        }
        StackRequest::Preflight { id, source } => {
            let result = async {
                let (plan, _) = plan_source(&client, &catalog, &source, true, &namespace).await?;
                preflight::preflight(&client, &plan).await
            }
            .await;
            send(&outbox, StackEvent::Preflight { id, result: result.map_err(|e| e.to_string()) });
        }
        StackRequest::Review { id, source } => {
            let result = async {
                let (plan, _) = plan_source(&client, &catalog, &source, true, &namespace).await?;
                install::review(&client, &plan).await
            }
            .await;
            send(&outbox, StackEvent::Review { id, result: result.map_err(|e| e.to_string()) });
        }
        StackRequest::Install { id, source, options } => {
            let progress_outbox = outbox.clone();
            let report = |p| send(&progress_outbox, StackEvent::Progress { id, progress: p });
            let result = async {
                let (plan, previous) = plan_source(&client, &catalog, &source, true, &namespace).await?;
                install::install(&client, &plan, previous.as_ref(), &options, &report).await
            }
            .await;
            send(&outbox, StackEvent::Finished { id, result: result.map_err(|e| e.to_string()) });
        }
        StackRequest::Uninstall { id, delete_data } => {
            let progress_outbox = outbox.clone();
            let report = |p| send(&progress_outbox, StackEvent::Progress { id, progress: p });
            let result = install::uninstall(&client, delete_data, &report).await.map(|(deleted, kept)| InstallReport {
                pruned: deleted.len(),
                notes: kept.iter().map(|k| format!("kept {k}")).collect(),
                ..Default::default()
            });
            send(&outbox, StackEvent::Finished { id, result: result.map_err(|e| e.to_string()) });
        }
        StackRequest::Cancel | StackRequest::PickFolder => {}
    }
}
