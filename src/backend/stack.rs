//! The Install screen's background work: status, preflight checks, the dry-run review, install and uninstall,
//! each on the current connection's client, reporting back as [`StackEvent`]s.

use crate::cluster::install::preflight;
use crate::cluster::install::source::plan_source;
use crate::cluster::install::{self, InstallReport};
use crate::stack::catalog::Catalog;

use tokio::task::JoinHandle;

use super::{CurrentClient, Outbox};
use crate::state::protocol::{StackEvent, StackRequest};

pub(super) struct StackArea {
    client: CurrentClient,
    outbox: Outbox,
    /// The running install or uninstall, so it can be cancelled.
    running: Option<JoinHandle<()>>,
}

impl StackArea {
    pub fn new(client: CurrentClient, outbox: Outbox) -> Self {
        Self { client, outbox, running: None }
    }

    pub fn handle(&mut self, request: StackRequest) {
        if let StackRequest::Cancel = request {
            if let Some(task) = self.running.take() {
                task.abort();
            }
            return;
        }
        let long = matches!(request, StackRequest::Install { .. } | StackRequest::Uninstall { .. });
        let task = tokio::spawn(run(self.client.get(), request, self.outbox.clone()));
        if long {
            self.running = Some(task);
        }
    }
}

fn send(outbox: &Outbox, event: StackEvent) {
    outbox.send(event);
}

/// Runs one request; long ones (install, uninstall) are spawned by the caller so they can be cancelled.
async fn run(client: Option<kube::Client>, request: StackRequest, outbox: Outbox) {
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
            send(
                &outbox,
                StackEvent::Status(install::status(&client).await.map(|s| s.map(Box::new)).map_err(|e| e.to_string())),
            );
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
            let target = install::Target::Stack;
            let result = install::uninstall(&client, &target, delete_data, &report).await.map(|done| InstallReport {
                pruned: done.deleted.len(),
                notes: done.kept,
                ..Default::default()
            });
            send(&outbox, StackEvent::Finished { id, result: result.map_err(|e| e.to_string()) });
        }
        StackRequest::Cancel | StackRequest::PickFolder => {}
    }
}
