//! `bosun serve`, `bosun servers`, `bosun predict` and `bosun forward`: model servers from the terminal, on the
//! engine of the Serving screen (`workloads::serving` renders; `cluster::serving` applies and lists;
//! `cluster::forward` carries requests to a ready pod).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use super::training::Output;
use crate::cluster::forward::{ForwardError, Forwarder, Target};
use crate::cluster::serving as servers_api;
use crate::cluster::training::JobError;
use crate::resources::serving::{ModelServerRow, ServerSource};
use crate::state::LaunchOptions;
use crate::workloads::serving::ServingSpec;

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// What a serve file holds: Kubernetes objects (a Deployment, its Service …) or a serving spec, the form's
/// fields in YAML.
fn read_serve_file(file: &Path, default_ns: &str) -> Result<Vec<Value>, JobError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| JobError::BadInput(format!("could not read {}: {e}", file.display())))?;
    let shown = file.display().to_string();
    let first: Value = serde_saphyr::from_str(text.split("\n---").next().unwrap_or_default())
        .map_err(|e| JobError::BadInput(format!("{shown}: not YAML: {e}")))?;
    if first.get("kind").is_none() && first.get("apiVersion").is_none() {
        let mut spec: ServingSpec = serde_saphyr::from_str(&text).map_err(|e| {
            JobError::BadInput(format!("{shown}: not a serving spec (name, model_name, source, runtime …): {e}"))
        })?;
        if first.get("namespace").is_none() {
            spec.namespace = default_ns.into();
        }
        let problems = spec.validate();
        if !problems.is_empty() {
            return Err(JobError::BadInput(format!(
                "{shown}: {}",
                problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            )));
        }
        return Ok(crate::workloads::serving::objects(&spec));
    }
    let objects =
        crate::stack::objects::parse("serve", &shown, &text).map_err(|e| JobError::BadInput(e.to_string()))?;
    if !objects.iter().any(|o| o.kind() == "Deployment") {
        return Err(JobError::BadInput(format!(
            "{shown} holds no Deployment: bosun serve needs a model server to run"
        )));
    }
    Ok(objects
        .into_iter()
        .map(|o| {
            let mut v = o.value;
            if v.pointer("/metadata/namespace").and_then(Value::as_str).is_none_or(str::is_empty) {
                v["metadata"]["namespace"] = Value::from(default_ns);
            }
            v
        })
        .collect())
}

pub fn serve(launch: LaunchOptions, file: PathBuf, wait: bool, timeout: Duration, dry_run: bool) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let default_ns = launch.namespace.clone().unwrap_or_else(|| client.default_namespace().to_string());
        let objects = read_serve_file(&file, &default_ns)?;
        for shown in servers_api::apply(&client, &objects, dry_run).await? {
            println!("{shown}{}", if dry_run { " (dry run)" } else { "" });
        }
        if !wait || dry_run {
            return Ok(());
        }
        for d in objects.iter().filter(|o| o["kind"] == "Deployment") {
            let ns = d.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&default_ns);
            let name = d.pointer("/metadata/labels/bosun.dev~1server").or_else(|| d.pointer("/metadata/name"));
            let name = name.and_then(Value::as_str).unwrap_or_default();
            let row = servers_api::wait_available(&client, ns, name, timeout, |row| {
                eprintln!("{ns}/{name}: {} {}", row.state, row.ready_text());
            })
            .await?;
            println!("{ns}/{name} is available: {} ready, {}", row.ready_text(), row.url);
        }
        Ok(())
    })
}

pub fn servers(launch: LaunchOptions, output: Output) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let rows = servers_api::list(&client, launch.namespace.as_deref()).await?;
        match output {
            Output::Json => println!("{}", serde_json::to_string_pretty(&rows)?),
            Output::Table => print!("{}", table(&rows, jiff::Timestamp::now().as_second())),
        }
        Ok(())
    })
}

/// The servers as `bosun servers` prints them.
pub fn table(rows: &[ModelServerRow], now: i64) -> String {
    let mut out = format!(
        "{:<12} {:<24} {:<20} {:<16} {:<8} {:<6} {:<26} {:<12} {}\n",
        "NAMESPACE", "NAME", "RUNTIME", "MODEL", "VERSION", "READY", "HPA", "STATE", "AGE"
    );
    for r in rows {
        let canary = r.canary_share().map(|s| format!(" ({s:.0}% canary)")).unwrap_or_default();
        out.push_str(&format!(
            "{:<12} {:<24} {:<20} {:<16} {:<8} {:<6} {:<26} {:<12} {}\n",
            r.namespace,
            r.name,
            r.runtime,
            r.model,
            r.version,
            r.ready_text(),
            r.hpa_text(),
            format!("{}{canary}", r.state),
            kubefmt::duration::human(now - r.created),
        ));
    }
    out
}

pub fn predict(launch: LaunchOptions, server: String, model: Option<String>, json: String) -> anyhow::Result<()> {
    let body: Value = serde_json::from_str(&json).map_err(|e| {
        JobError::BadInput(format!("--json is not JSON: {e} (e.g. --json '{{\"instances\": [[1.0, 2.0]]}}')"))
    })?;
    if body.get("instances").is_none() && body.get("inputs").is_none() {
        return Err(JobError::BadInput(
            "--json needs an \"instances\" list (or \"inputs\"), e.g. '{\"instances\": [[1.0, 2.0]]}'".into(),
        )
        .into());
    }
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let ns = launch.namespace.clone().unwrap_or_else(|| client.default_namespace().to_string());
        let row = servers_api::get(&client, &ns, &server).await?;
        let (model, port) = target_model(&row, model)?;
        let forward = Forwarder::new(client, &ns, Target::Server(row.name.clone()), port);
        let reply = forward.request("POST", &format!("/v1/models/{model}:predict"), Some(&body.to_string())).await?;
        if !(200..300).contains(&reply.status) {
            anyhow::bail!("the model server answered HTTP {}: {}", reply.status, reply.body.trim());
        }
        let answer: Value = serde_json::from_str(&reply.body).unwrap_or(Value::String(reply.body.clone()));
        println!("{}", serde_json::to_string_pretty(&answer)?);
        eprintln!("latency: {:.1} ms (pod {})", reply.latency.as_secs_f64() * 1000.0, reply.pod);
        Ok(())
    })
}

/// The model to ask and the port to ask on.
pub fn target_model(row: &ModelServerRow, model: Option<String>) -> Result<(String, u16), JobError> {
    if row.source == ServerSource::InferenceService {
        return Err(JobError::BadInput(format!(
            "{} is a KServe InferenceService: send predictions to its URL ({}); Bosun forwards to Deployments only",
            row.name, row.url
        )));
    }
    let facts = row.stable.as_ref().or(row.canary.as_ref());
    let model = model.or_else(|| Some(row.model.clone()).filter(|m| !m.is_empty())).ok_or_else(|| {
        JobError::BadInput(format!("{} names its models in a config file: say which with --model NAME", row.name))
    })?;
    Ok((model, facts.map_or(8501, |f| f.rest_port)))
}

/// `LOCAL:REMOTE`, or one port for both.
pub fn parse_ports(text: &str) -> Result<(u16, u16), ForwardError> {
    let bad = || {
        ForwardError::BadTarget(format!("{text} (ports are LOCAL:REMOTE, e.g. 8888:8888, or :8888 for any local port)"))
    };
    let (local, remote) = text.split_once(':').unwrap_or((text, text));
    let local = if local.is_empty() { 0 } else { local.parse().map_err(|_| bad())? };
    let remote: u16 = remote.parse().map_err(|_| bad())?;
    if remote == 0 {
        return Err(bad());
    }
    Ok((local, remote))
}

pub fn forward(launch: LaunchOptions, target: String, ports: String) -> anyhow::Result<()> {
    let target = Target::parse(&target)?;
    let (local, remote) = parse_ports(&ports)?;
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let ns = launch.namespace.clone().unwrap_or_else(|| client.default_namespace().to_string());
        let forward = Forwarder::new(client, &ns, target.clone(), remote);
        let (pod, pod_port) = forward.check().await?;
        let (bound, task) = forward.listen(([127, 0, 0, 1], local).into()).await?;
        println!("Forwarding from {bound} -> {remote} ({} in {ns}, now pod {pod} port {pod_port})", target.display());
        tokio::signal::ctrl_c().await?;
        drop(task);
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_local_colon_remote() {
        assert_eq!(parse_ports("8888:8888").unwrap(), (8888, 8888));
        assert_eq!(parse_ports(":8501").unwrap(), (0, 8501));
        assert_eq!(parse_ports("9000").unwrap(), (9000, 9000));
        assert!(parse_ports("a:b").is_err());
        assert!(parse_ports("80:0").is_err());
    }

    #[test]
    fn a_serve_file_is_a_spec_or_objects() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("resnet.yaml");
        std::fs::write(&spec, "name: resnet\nmodel_name: resnet\nsource:\n  uri: gs://models/resnet\nreplicas: 2\n")
            .unwrap();
        let objects = read_serve_file(&spec, "ml").unwrap();
        let kinds: Vec<&str> = objects.iter().filter_map(|o| o["kind"].as_str()).collect();
        assert_eq!(kinds, ["Deployment", "Service"]);
        assert_eq!(objects[0]["metadata"]["namespace"], "ml", "the namespace of -n or the context");
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "name: Resnet\nmodel_name: resnet\nsource:\n  uri: gs://m\n").unwrap();
        assert!(read_serve_file(&bad, "ml").unwrap_err().to_string().contains("name:"));
        let plain = dir.path().join("svc.yaml");
        std::fs::write(&plain, "apiVersion: v1\nkind: Service\nmetadata: {name: x}\n").unwrap();
        assert!(read_serve_file(&plain, "ml").unwrap_err().to_string().contains("no Deployment"));
    }
}
