//! The Notebooks screen's model: the notebook servers (read every few seconds while the screen is open), JupyterHub's
//! health, the start form (a [`NotebookSpec`]), and the port-forwards that are open, each with the local address the
//! browser was sent to.

use std::time::{Duration, Instant};

use super::loadable::Loadable;
use super::protocol::{NotebooksEvent, NotebooksRequest};
use crate::cluster::notebooks::Notebooks;
use crate::resources::notebook::{NotebookRow, NotebookSource};
use crate::tone::Tone;
use crate::workloads::notebook::{NotebookSpec, PORT};
use crate::workloads::spec::FieldError;

/// An open port-forward.
#[derive(Debug, Clone, PartialEq)]
pub struct ActiveForward {
    pub id: u64,
    /// What it reaches: `svc/ana in ml`.
    pub target: String,
    /// The local address, and the page to open there (with the token).
    pub local: String,
    pub url: String,
}

/// What the user does on the Notebooks screen.
#[derive(Debug, Clone, PartialEq)]
pub enum NotebooksCommand {
    Form(Box<NotebookSpec>),
    Start,
    /// Forward to a server and open it in the browser (a hub's user server through the hub, as `user`).
    Open {
        namespace: String,
        name: String,
        source: NotebookSource,
        user: String,
    },
    /// Forward to JupyterHub's proxy and open it.
    OpenHub {
        namespace: String,
        service: String,
        port: u16,
    },
    /// Stop (scale to zero) or start again a Bosun server.
    Scale {
        namespace: String,
        name: String,
        replicas: u32,
    },
    Delete {
        namespace: String,
        name: String,
    },
    /// Forward a local port to any pod or Service port (`pod/NAME`, `svc/NAME`) and open it in the browser.
    ForwardPort {
        namespace: String,
        target: String,
        port: u16,
    },
    /// Open the page of a forward again.
    Reopen(u64),
    CloseForward(u64),
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NotebooksState {
    pub form: NotebookSpec,
    pub errors: Vec<FieldError>,
    pub starting: bool,
    pub start_error: Option<String>,
    pub list: Loadable<Notebooks>,
    listed_at: Option<Instant>,
    listed_for: String,
    pub forwards: Vec<ActiveForward>,
    /// A page for the app to open in the system browser (taken once).
    pub open_url: Option<String>,
    /// The server being opened (its forward is being set up).
    pub opening: Option<String>,
    next_id: u64,
    /// Whether the form's server fits the cluster now, as the Training form's preview says it.
    pub fit: Option<crate::workloads::fit::FitReport>,
    fit_generation: u64,
}

/// How often the list is read while the screen is open.
const REFRESH: Duration = Duration::from_secs(3);

impl NotebooksState {
    pub fn new(form: NotebookSpec) -> Self {
        let errors = form.validate();
        Self { form, errors, ..Default::default() }
    }

    /// Recomputes the fit of the form's server when the form or the cluster changed.
    pub fn refresh_fit(&mut self, snap: &crate::state::cluster_view::ClusterSnapshot) {
        if self.fit_generation == snap.generation {
            return;
        }
        self.fit_generation = snap.generation;
        let namespace = self.form.namespace.clone();
        self.fit = crate::workloads::notebook::objects(&self.form, "")
            .iter()
            .find(|o| o["kind"] == "Deployment")
            .and_then(|d| d.pointer("/spec/template"))
            .map(|template| {
                use crate::workloads::fit;
                fit::preview(&[fit::demand("Notebook", 1, template)], &namespace, &snap.ledger, &snap.quotas)
            });
    }

    pub fn servers(&self) -> &[NotebookRow] {
        self.list.ready().map_or(&[], |l| l.servers.as_slice())
    }

    /// A read of the list when the screen is open and the last one is old (or was for another cluster).
    pub fn due(&mut self, open: bool, cluster: &str, namespace: Option<String>) -> Option<NotebooksRequest> {
        let stale = self.listed_at.is_none_or(|t| t.elapsed() >= REFRESH) || self.listed_for != cluster;
        if !open || !stale || matches!(self.list, Loadable::Loading if self.listed_for == cluster) {
            return None;
        }
        if self.listed_for != cluster {
            self.list = Loadable::Loading;
        }
        self.listed_for = cluster.to_string();
        self.listed_at = Some(Instant::now());
        Some(NotebooksRequest::List { namespace })
    }

    pub fn handle(&mut self, command: NotebooksCommand) -> Vec<NotebooksRequest> {
        match command {
            NotebooksCommand::Form(spec) => {
                self.form = *spec;
                self.errors = self.form.validate();
                self.fit_generation = u64::MAX;
                return vec![NotebooksRequest::SaveDraft(Box::new(self.form.clone()))];
            }
            NotebooksCommand::Start => {
                if !self.errors.is_empty() {
                    self.start_error = Some("the form has problems (marked in red)".into());
                    return Vec::new();
                }
                self.starting = true;
                self.start_error = None;
                return vec![NotebooksRequest::Start(Box::new(self.form.clone()))];
            }
            NotebooksCommand::Open { namespace, name, source, user } => {
                self.id_bump();
                self.opening = Some(name.clone());
                let (target, port, token_of, path) = match source {
                    NotebookSource::Bosun => (format!("svc/{name}"), PORT, Some(name), "/lab".to_string()),
                    // Kubeflow's notebook Service listens on 80 and serves under the notebook's prefix.
                    NotebookSource::Kubeflow => {
                        (format!("svc/{name}"), 80, None, format!("/notebook/{namespace}/{name}/"))
                    }
                    // A hub's user server is reached through the hub's proxy, which signs the user in.
                    NotebookSource::JupyterHub => {
                        let proxy = self.hub_proxy(&namespace).unwrap_or(("proxy-public".into(), 80));
                        (format!("svc/{}", proxy.0), proxy.1, None, format!("/user/{user}/lab"))
                    }
                };
                return vec![NotebooksRequest::Forward { id: self.next_id, namespace, target, port, token_of, path }];
            }
            NotebooksCommand::OpenHub { namespace, service, port } => {
                self.id_bump();
                self.opening = Some(service.clone());
                return vec![NotebooksRequest::Forward {
                    id: self.next_id,
                    namespace,
                    target: format!("svc/{service}"),
                    port,
                    token_of: None,
                    path: "/hub/".into(),
                }];
            }
            NotebooksCommand::ForwardPort { namespace, target, port } => {
                self.id_bump();
                return vec![NotebooksRequest::Forward {
                    id: self.next_id,
                    namespace,
                    target,
                    port,
                    token_of: None,
                    path: "/".into(),
                }];
            }
            NotebooksCommand::Scale { namespace, name, replicas } => {
                return vec![NotebooksRequest::Scale { namespace, name, replicas }];
            }
            NotebooksCommand::Delete { namespace, name } => return vec![NotebooksRequest::Delete { namespace, name }],
            NotebooksCommand::Reopen(id) => {
                self.open_url = self.forwards.iter().find(|f| f.id == id).map(|f| f.url.clone());
            }
            NotebooksCommand::CloseForward(id) => {
                self.forwards.retain(|f| f.id != id);
                return vec![NotebooksRequest::CloseForward(id)];
            }
        }
        Vec::new()
    }

    /// The proxy Service (and port) of the hub in `namespace`, if one was found there.
    fn hub_proxy(&self, namespace: &str) -> Option<(String, u16)> {
        self.list.ready()?.hubs.iter().find(|h| h.namespace == namespace)?.proxy.clone()
    }

    fn id_bump(&mut self) {
        self.next_id += 1;
    }

    /// Applies an answer; a message for a toast when there is one, and requests to follow.
    pub fn apply(&mut self, event: NotebooksEvent) -> (Option<(Tone, String)>, Vec<NotebooksRequest>) {
        let mut follow = Vec::new();
        let toast = match event {
            NotebooksEvent::Listed(result) => {
                // A failed refresh keeps the list shown, with the error beside it, unless there is none yet.
                match (result, &self.list) {
                    (Ok(list), _) => self.list = Loadable::Ready(list),
                    (Err(e), Loadable::Ready(_)) => return (Some((Tone::Warn, e)), follow),
                    (Err(e), _) => self.list = Loadable::Failed(e),
                }
                None
            }
            NotebooksEvent::Started(result) => {
                self.starting = false;
                match result {
                    Ok(created) => {
                        self.listed_at = None;
                        Some((Tone::Ok, format!("Started {}", created.join(", "))))
                    }
                    Err(e) => {
                        self.start_error = Some(e);
                        None
                    }
                }
            }
            NotebooksEvent::Done { what, result } => {
                self.listed_at = None;
                Some(match result {
                    Ok(()) => (Tone::Ok, what),
                    Err(e) => (Tone::Err, e),
                })
            }
            NotebooksEvent::Forwarding(result) => {
                self.opening = None;
                match result {
                    Ok(forward) => {
                        self.open_url = Some(forward.url.clone());
                        let note = format!("Forwarding {} to {}", forward.target, forward.local);
                        self.forwards.push(forward);
                        Some((Tone::Ok, note))
                    }
                    Err(e) => Some((Tone::Err, e)),
                }
            }
            NotebooksEvent::ForwardEnded { id, why } => {
                self.forwards.retain(|f| f.id != id);
                Some((Tone::Warn, why))
            }
        };
        if self.listed_at.is_none() {
            follow.push(NotebooksRequest::List { namespace: None });
            self.listed_at = Some(Instant::now());
        }
        (toast, follow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opening_a_bosun_server_forwards_its_service_with_its_token_and_opens_the_page() {
        let mut state = NotebooksState::new(NotebookSpec::default());
        let sent = state.handle(NotebooksCommand::Open {
            namespace: "ml".into(),
            name: "ana".into(),
            source: NotebookSource::Bosun,
            user: String::new(),
        });
        assert!(
            matches!(sent.as_slice(), [NotebooksRequest::Forward { target, token_of: Some(t), port: 8888, .. }] if target == "svc/ana" && t == "ana")
        );
        let forward = ActiveForward {
            id: 1,
            target: "svc/ana in ml".into(),
            local: "127.0.0.1:40001".into(),
            url: "http://127.0.0.1:40001/lab?token=x".into(),
        };
        state.apply(NotebooksEvent::Forwarding(Ok(forward)));
        assert_eq!(state.open_url.as_deref(), Some("http://127.0.0.1:40001/lab?token=x"));
        assert_eq!(state.forwards.len(), 1);
        state.handle(NotebooksCommand::CloseForward(1));
        assert!(state.forwards.is_empty());
        let hub_user = state.handle(NotebooksCommand::Open {
            namespace: "jhub".into(),
            name: "jupyter-bo".into(),
            source: NotebookSource::JupyterHub,
            user: "bo".into(),
        });
        assert!(
            matches!(hub_user.as_slice(), [NotebooksRequest::Forward { target, port: 80, path, .. }] if target == "svc/proxy-public" && path == "/user/bo/lab"),
            "a hub's user server opens through the hub: {hub_user:?}"
        );
    }

    #[test]
    fn the_form_starts_only_when_valid_and_the_list_is_read_while_open() {
        let mut state = NotebooksState::new(NotebookSpec::default());
        assert!(state.handle(NotebooksCommand::Start).is_empty(), "no name yet");
        assert!(state.start_error.is_some());
        state.handle(NotebooksCommand::Form(Box::new(NotebookSpec { name: "ana".into(), ..Default::default() })));
        assert!(matches!(state.handle(NotebooksCommand::Start).as_slice(), [NotebooksRequest::Start(_)]));
        assert!(state.due(false, "lab", None).is_none(), "not while the screen is closed");
        assert!(state.due(true, "lab", None).is_some());
        assert!(state.due(true, "lab", None).is_none(), "not again at once");
    }
}
