//! The Teams tab's background work: GPUs by team and the PriorityClasses (`cluster::teams`,
//! `cluster::priorities`), whether the user may create PriorityClasses (SelfSubjectAccessReview), and the ladder.

use super::{CurrentClient, Outbox};
use crate::cluster::{capacity, connect, kueue, priorities, teams};
use crate::state::protocol::{TeamsData, TeamsEvent, TeamsRequest};

pub(super) struct TeamsArea {
    client: CurrentClient,
    outbox: Outbox,
}

impl TeamsArea {
    pub fn new(client: CurrentClient, outbox: Outbox) -> Self {
        Self { client, outbox }
    }

    pub fn handle(&mut self, request: TeamsRequest) {
        let outbox = self.outbox.clone();
        let Some(client) = self.client.get() else {
            let e = "not connected to a cluster".to_string();
            return outbox.send(match request {
                TeamsRequest::List { .. } => TeamsEvent::Listed(Err(e)),
                TeamsRequest::ApplyLadder => TeamsEvent::LadderApplied(Err(e)),
                TeamsRequest::Plan { .. } => TeamsEvent::Planned(Err(e)),
                TeamsRequest::ListPriorities => TeamsEvent::Priorities(Err(e), Vec::new()),
                TeamsRequest::ApplyQuota(_) => TeamsEvent::QuotaApplied(Err(e)),
            });
        };
        match request {
            TeamsRequest::List { namespace } => {
                tokio::spawn(async move {
                    let result = async {
                        let teams = teams::list(&client, namespace.as_deref()).await.map_err(|e| e.to_string())?;
                        // Who may not list PriorityClasses still sees the teams.
                        let priorities = priorities::list(&client).await.unwrap_or_default();
                        let may_create_priorities =
                            connect::can_i(&client, "create", "scheduling.k8s.io", "priorityclasses")
                                .await
                                .unwrap_or(false);
                        let may_edit_quotas =
                            connect::can_i(&client, "patch", "", "resourcequotas").await.unwrap_or(false)
                                && connect::can_i(&client, "patch", "", "limitranges").await.unwrap_or(false);
                        let kueue = kueue::queues(&client).await.ok().flatten();
                        Ok(Box::new(TeamsData { teams, priorities, may_create_priorities, may_edit_quotas, kueue }))
                    }
                    .await;
                    outbox.send(TeamsEvent::Listed(result));
                });
            }
            TeamsRequest::Plan { namespace, shape, max, what_ifs } => {
                let cache = self.client.cache();
                tokio::spawn(async move {
                    let result = async {
                        let cache = cache.ok_or("the cluster's watches have not started yet")?;
                        // Read together, so a pod being bound is on one side or the other.
                        let (ledger, pending) = cache.capacity_view(namespace.as_deref());
                        let demand = capacity::demand(&client, namespace.as_deref(), pending, &what_ifs)
                            .await
                            .map_err(|e| e.to_string())?;
                        // Thousands of nodes times thousands of pods: off the async workers.
                        tokio::task::spawn_blocking(move || {
                            let (pending, refused) = (&demand.pending, &demand.refused);
                            crate::workloads::capacity::plans(&ledger, pending, refused, shape.as_deref(), max)
                        })
                        .await
                        .map_err(|e| format!("the planner stopped: {e}"))?
                    }
                    .await;
                    outbox.send(TeamsEvent::Planned(result));
                });
            }
            TeamsRequest::ApplyQuota(form) => {
                tokio::spawn(async move {
                    let result = async {
                        let hard = [(format!("requests.{}", form.resource), form.hard.to_string())].into();
                        teams::apply_quota(&client, &form.namespace, "gpu-quota", &hard).await?;
                        if form.max_per_container > 0 {
                            let (ns, r, max) = (&form.namespace, &form.resource, form.max_per_container);
                            teams::apply_limit_range(&client, ns, "gpu-limits", r, max).await?;
                        }
                        Ok::<_, crate::cluster::training::JobError>(form.summary())
                    }
                    .await;
                    outbox.send(TeamsEvent::QuotaApplied(result.map_err(|e| e.to_string())));
                });
            }
            TeamsRequest::ListPriorities => {
                tokio::spawn(async move {
                    let result = priorities::list(&client).await.map_err(|e| e.to_string());
                    let queues =
                        kueue::queues(&client).await.ok().flatten().map(|q| q.local_queues).unwrap_or_default();
                    outbox.send(TeamsEvent::Priorities(result, queues));
                });
            }
            TeamsRequest::ApplyLadder => {
                tokio::spawn(async move {
                    let result = priorities::apply_ladder(&client).await.map_err(|e| e.to_string());
                    outbox.send(TeamsEvent::LadderApplied(result));
                });
            }
        }
    }
}
