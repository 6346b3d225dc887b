use std::time::Duration;

use bosun::cluster::forward::{Forwarder, Target};
use bosun::cluster::notebooks;
use bosun::resources::notebook::NotebookSource;
use bosun::workloads::notebook::NotebookSpec;

use crate::training::bosun;
use crate::util::{Sim, start_sim};

fn client(sim: &Sim) -> kube::Client {
    sim.runtime.block_on(async {
        let kc = kube::config::Kubeconfig::read_from(sim.server.kubeconfig_path()).expect("kubeconfig");
        let config = kube::Config::from_custom_kubeconfig(kc, &Default::default()).await.expect("config");
        kube::Client::try_from(config).expect("client")
    })
}

/// Waits until `done` holds for the notebooks listed.
fn wait_list(
    sim: &Sim,
    client: &kube::Client,
    what: &str,
    done: impl Fn(&notebooks::Notebooks) -> bool,
) -> notebooks::Notebooks {
    sim.runtime.block_on(async {
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            let list = notebooks::list(client, None).await.expect("listed");
            if done(&list) {
                return list;
            }
            assert!(std::time::Instant::now() < deadline, "timed out waiting for {what}: {list:#?}");
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
    })
}

#[test]
fn a_notebook_started_from_the_form_becomes_ready_and_its_page_is_served_through_the_forward() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let client = client(&sim);
    let spec = NotebookSpec { name: "ana".into(), ..Default::default() };
    let created = sim.runtime.block_on(notebooks::start(&client, &spec)).expect("started");
    assert!(created.iter().any(|c| c == "PersistentVolumeClaim/default/ana-workspace"), "{created:?}");
    let list = wait_list(&sim, &client, "the notebook to be ready", |l| {
        l.servers.iter().any(|s| s.name == "ana" && s.ready && s.source == NotebookSource::Bosun)
    });
    assert_eq!(list.servers.iter().find(|s| s.name == "ana").map(|s| s.idle_hours), Some(8));
    let token = sim.runtime.block_on(notebooks::token(&client, "default", "ana")).expect("read").expect("a token");
    assert_eq!(token.len(), 48, "24 random bytes as hex");

    // Starting it again keeps the token (an open browser stays signed in).
    sim.runtime.block_on(notebooks::start(&client, &spec)).expect("applied again");
    let again = sim.runtime.block_on(notebooks::token(&client, "default", "ana")).expect("read");
    assert_eq!(again.as_deref(), Some(token.as_str()));

    let forward = Forwarder::new(client.clone(), "default", Target::Service("ana".into()), 8888);
    let page = sim.runtime.block_on(forward.request("GET", &format!("/lab?token={token}"), None)).expect("page");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("JupyterLab"), "{}", page.body);
    let refused = sim.runtime.block_on(forward.request("GET", "/lab", None)).expect("answer");
    assert_eq!(refused.status, 302, "without the token Jupyter asks for it");

    // A browser through a local listener gets the same page.
    let (bound, _task) = sim.runtime.block_on(forward.listen(([127, 0, 0, 1], 0).into())).expect("listening");
    let text = sim.runtime.block_on(async {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut socket = tokio::net::TcpStream::connect(bound).await.expect("connect");
        let request = format!("GET /lab?token={token} HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n");
        socket.write_all(request.as_bytes()).await.expect("write");
        let mut text = String::new();
        socket.read_to_string(&mut text).await.expect("read");
        text
    });
    assert!(text.starts_with("HTTP/1.1 200") && text.contains("JupyterLab"), "{text}");

    // Stopped: scaled to zero, its workspace kept; deleted: gone from the list.
    sim.runtime.block_on(notebooks::scale(&client, "default", "ana", 0)).expect("stopped");
    wait_list(&sim, &client, "the notebook to stop", |l| {
        l.servers.iter().any(|s| s.name == "ana" && s.state == "Stopped")
    });
    sim.runtime.block_on(notebooks::delete(&client, "default", "ana", false)).expect("deleted");
    wait_list(&sim, &client, "the notebook to go", |l| l.servers.iter().all(|s| s.name != "ana"));
}

#[test]
fn jupyterhub_is_found_healthy_and_its_proxy_serves_the_hub_page() {
    let sim = start_sim(kubesim::Fleet::Demo);
    let kubeconfig = sim.server.kubeconfig_path().display().to_string();
    let out =
        bosun(&["install", "--components", "jupyterhub", "--yes", "--timeout", "2m", "--kubeconfig", &kubeconfig]);
    assert!(out.status.success(), "install: {}", String::from_utf8_lossy(&out.stderr));
    let client = client(&sim);
    let list = wait_list(&sim, &client, "a healthy hub", |l| l.hubs.iter().any(|h| h.healthy));
    let hub = list.hubs.iter().find(|h| h.healthy).expect("hub").clone();
    let (service, port) = hub.proxy.clone().expect("the hub's proxy Service");
    let forward = Forwarder::new(client.clone(), &hub.namespace, Target::Service(service), port);
    let page = sim.runtime.block_on(forward.request("GET", "/hub/", None)).expect("page");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("JupyterHub"), "{}", page.body);
}
