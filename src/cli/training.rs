//! `bosun submit`, `bosun fit` and `bosun jobs`: training jobs from the terminal, on the engine of the Training
//! screen (`workloads` renders, sweeps and fits; `cluster::training` submits, waits and lists).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::cluster::training::{self as jobs_api, JobError};
use crate::resources::training::TrainingJobRow;
use crate::state::LaunchOptions;
use crate::workloads::JobKind;
use crate::workloads::fit::{self, FitReport};
use crate::workloads::render::{label_job, set_hyperparameters};
use crate::workloads::spec::check_job_name;
use crate::workloads::sweep::{self, Param};

/// How to print a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Json,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubmitArgs {
    pub file: PathBuf,
    pub dry_run: bool,
    pub wait: bool,
    pub timeout: Duration,
    /// `NAME=VALUES` (a list for a grid, or `low..high[:log|:int]` for --random).
    pub params: Vec<String>,
    pub random: Option<usize>,
    pub seed: u64,
    pub experiment: Option<String>,
}

/// The training jobs of a YAML file — or, when no such file exists, of the saved template of that name (the
/// Training screen's "Save the form as a template", in the settings folder `config_dir` or the default one) — each
/// with where it came from.
fn read_jobs(file: &Path, config_dir: Option<PathBuf>) -> anyhow::Result<Vec<(String, Value)>> {
    if !file.exists()
        && let Some(name) = file.to_str()
        && let Ok(store) = crate::settings::SettingsStore::chosen(config_dir)
        && let Some((_, spec)) =
            crate::workloads::spec::read_templates(store.dir()).into_iter().find(|(n, _)| n == name)
    {
        let problems = spec.validate();
        anyhow::ensure!(
            problems.is_empty(),
            JobError::BadInput(format!(
                "the template {name} has problems: {}",
                problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ))
        );
        let jobs =
            crate::workloads::render::objects(&spec).into_iter().filter(|o| o["kind"] != "PersistentVolumeClaim");
        return Ok(jobs.map(|o| (format!("template {name}"), o)).collect());
    }
    let text = std::fs::read_to_string(file).map_err(|e| {
        JobError::BadInput(format!(
            "could not read {} (neither a file nor a saved template of that name): {e}",
            file.display()
        ))
    })?;
    let objects = crate::stack::objects::parse("submit", &file.display().to_string(), &text)?;
    anyhow::ensure!(!objects.is_empty(), JobError::BadInput(format!("{} holds no objects", file.display())));
    objects
        .into_iter()
        .map(|o| {
            let kind = o.kind().to_string();
            if JobKind::from_kind(&kind).is_none() {
                return Err(JobError::BadInput(format!(
                    "{}: a {kind} is not a training job; bosun submit takes TFJob, PyTorchJob, XGBoostJob, MPIJob or Job (apply other objects with kubectl apply or bosun install -f)",
                    o.source
                ))
                .into());
            }
            Ok((o.source, o.value))
        })
        .collect()
}

/// The runs a sweep asks for: one per assignment (one with none when there are no parameters).
fn assignments(args: &SubmitArgs) -> Result<Vec<sweep::Assignment>, JobError> {
    let bad = |e: sweep::SweepError| JobError::BadInput(e.to_string());
    let params: Vec<Param> = args.params.iter().map(|p| Param::parse(p)).collect::<Result<_, _>>().map_err(bad)?;
    match args.random {
        Some(n) => sweep::random(&params, n, args.seed).map_err(bad),
        None => sweep::grid(&params).map_err(bad),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

pub fn submit(launch: LaunchOptions, args: SubmitArgs, config_dir: Option<PathBuf>) -> anyhow::Result<()> {
    let jobs = read_jobs(&args.file, config_dir)?;
    let runs = assignments(&args)?;
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let default_ns = launch.namespace.clone().unwrap_or_else(|| client.default_namespace().to_string());
        let mut submitted: Vec<(JobKind, String, String)> = Vec::new();
        for (source, job) in &jobs {
            let kind = JobKind::from_kind(job["kind"].as_str().unwrap_or_default()).unwrap_or(JobKind::Job);
            let base = job.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
            let experiment = args.experiment.clone().unwrap_or_else(|| base.clone());
            for (i, run) in runs.iter().enumerate() {
                let name = if runs.len() > 1 { sweep::run_name(&base, i + 1, runs.len()) } else { base.clone() };
                check_job_name(&name, kind).map_err(|e| JobError::BadInput(format!("{source}: name {e}")))?;
                let mut obj = job.clone();
                obj["metadata"]["name"] = Value::from(name.clone());
                if obj.pointer("/metadata/namespace").and_then(Value::as_str).is_none_or(str::is_empty) {
                    obj["metadata"]["namespace"] = Value::from(default_ns.clone());
                }
                set_hyperparameters(&mut obj, &run.0);
                label_job(&mut obj, &experiment, &name);
                let applied = jobs_api::submit(&client, &obj, args.dry_run).await?;
                let shown = jobs_api::display(&applied);
                let params = if run.0.is_empty() { String::new() } else { format!("  {run}") };
                println!("{shown}{}{params}", if args.dry_run { " (dry run)" } else { "" });
                let ns = applied.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or(&default_ns);
                submitted.push((kind, ns.to_string(), name));
            }
        }
        if !args.wait || args.dry_run {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let mut failed = Vec::new();
        for (kind, ns, name) in &submitted {
            let left = args.timeout.saturating_sub(started.elapsed());
            let row = jobs_api::wait(&client, *kind, ns, name, left, |row| {
                eprintln!("{kind}/{ns}/{name}: {}", row.state);
            })
            .await
            .map_err(|e| match e {
                // Say the time the user gave, not what was left of it for this run.
                JobError::Timeout { object, state, why, .. } => JobError::Timeout {
                    object,
                    waited: kubefmt::duration::human(args.timeout.as_secs() as i64),
                    state,
                    why,
                },
                other => other,
            })?;
            if row.state == "Failed" {
                failed.push(explain_failure(&client, *kind, ns, name, &row).await);
            }
        }
        anyhow::ensure!(failed.is_empty(), "{}", failed.join("\n"));
        Ok(())
    })
}

/// `kind/ns/name failed: …`, with the failing replica's exit code and last log lines.
async fn explain_failure(client: &kube::Client, kind: JobKind, ns: &str, name: &str, row: &TrainingJobRow) -> String {
    let mut text = format!("{kind}/{ns}/{name} failed: {}", row.message);
    match jobs_api::failure(client, kind, ns, name, 10).await {
        Some(f) => {
            text.push_str(&format!(
                "\n  pod {} container {} exited with code {}{}",
                f.pod,
                f.container,
                f.exit_code,
                if f.reason.is_empty() { String::new() } else { format!(" ({})", f.reason) }
            ));
            if !f.last_lines.is_empty() {
                text.push_str("\n  last log lines:");
                for l in &f.last_lines {
                    text.push_str(&format!("\n    {l}"));
                }
            }
        }
        None => text.push_str("\n  (its pods are gone, so no exit code or logs can be read)"),
    }
    text
}

pub fn fit(
    launch: LaunchOptions,
    file: PathBuf,
    output: Output,
    timeout: Duration,
    config_dir: Option<PathBuf>,
) -> anyhow::Result<()> {
    let mut jobs = read_jobs(&file, config_dir)?;
    for (_, job) in &mut jobs {
        if job.pointer("/metadata/namespace").and_then(Value::as_str).is_none_or(str::is_empty) {
            job["metadata"]["namespace"] = Value::from(launch.namespace.clone().unwrap_or_else(|| "default".into()));
        }
    }
    let runtime = runtime()?;
    let ledger = runtime.block_on(super::nodes::ledger_for(&launch, timeout))?;
    // The quotas of the jobs' namespaces (an account that may not read them gets the fit without the quota check).
    let quotas: Vec<crate::resources::teams::QuotaRow> = runtime.block_on(async {
        let Ok(client) = super::client_for(&launch).await else { return Vec::new() };
        let api: kube::Api<k8s_openapi::api::core::v1::ResourceQuota> = kube::Api::all(client);
        let list = api.list(&Default::default()).await;
        list.map(|l| l.items.iter().map(crate::resources::teams::quota_row).collect()).unwrap_or_default()
    });
    let mut reports: Vec<(String, FitReport)> = Vec::new();
    for (source, job) in &jobs {
        let demands = fit::demands(job).map_err(|e| JobError::BadInput(format!("{source}: {e}")))?;
        let mut report = fit::fit(&demands, &ledger);
        let namespace = job.pointer("/metadata/namespace").and_then(Value::as_str).unwrap_or("default");
        let in_namespace: Vec<_> = quotas.iter().filter(|q| q.namespace == namespace).collect();
        report.quota = fit::quota_refusals(&demands, &in_namespace);
        reports.push((jobs_api::display(job), report));
    }
    match output {
        Output::Json if reports.len() == 1 => {
            println!("{}", serde_json::to_string_pretty(&reports[0].1)?);
        }
        Output::Json => {
            let all: Vec<Value> = reports
                .iter()
                .map(|(job, r)| serde_json::json!({"job": job, "roles": r.roles, "all_at_once": r.all_at_once, "quota": r.quota}))
                .collect();
            println!("{}", serde_json::to_string_pretty(&all)?);
        }
        Output::Table => {
            for (job, report) in &reports {
                println!("{job}");
                println!("{:<10} {:>8}  {:<24} WHERE / WHY", "ROLE", "REPLICAS", "VERDICT");
                for r in &report.roles {
                    let first = if r.verdict == fit::Verdict::FitsNow {
                        r.nodes.join(", ")
                    } else {
                        r.reasons.first().cloned().unwrap_or_default()
                    };
                    println!("{:<10} {:>8}  {:<24} {first}", r.role, r.replicas, r.verdict.describe());
                    let rest = if r.verdict == fit::Verdict::FitsNow {
                        &[][..]
                    } else {
                        r.reasons.get(1..).unwrap_or_default()
                    };
                    for reason in rest {
                        println!("{:<10} {:>8}  {:<24} {reason}", "", "", "");
                    }
                }
                if report.roles.len() > 1 {
                    println!("all replicas at once: {}", if report.all_at_once { "yes" } else { "no" });
                }
                for refusal in &report.quota {
                    println!("the quota refuses: {refusal}");
                }
            }
        }
    }
    Ok(())
}

fn jobs_table(rows: &[TrainingJobRow], now: i64) -> String {
    let mut out = format!(
        "{:<11} {:<14} {:<28} {:<10} {:<34} {:>4} {:>6} {:>9} {}\n",
        "KIND",
        "NAMESPACE",
        "NAME",
        "STATE",
        "REPLICAS (ACTIVE/SUCCEEDED/FAILED)",
        "GPUS",
        "AGE",
        "DURATION",
        "EXPERIMENT"
    );
    for r in rows {
        let age = if r.created > 0 { kubefmt::duration::human(now - r.created) } else { "-".into() };
        out.push_str(&format!(
            "{:<11} {:<14} {:<28} {:<10} {:<34} {:>4} {:>6} {:>9} {}\n",
            r.kind,
            r.namespace,
            r.name,
            r.state,
            r.replicas_text(),
            r.gpus_text(),
            age,
            r.duration_text(now),
            if r.experiment.is_empty() { "-" } else { &r.experiment }
        ));
    }
    out
}

pub fn jobs(launch: LaunchOptions, output: Output, watch: bool) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let mut shown: Option<Vec<TrainingJobRow>> = None;
        loop {
            let (rows, missing) = jobs_api::list(&client, launch.namespace.as_deref()).await?;
            if shown.as_ref() != Some(&rows) {
                let now = jiff::Timestamp::now().as_second();
                match output {
                    Output::Json => println!("{}", serde_json::to_string(&rows)?),
                    Output::Table => {
                        if shown.is_some() {
                            println!();
                        }
                        print!("{}", jobs_table(&rows, now));
                        if shown.is_none() && !missing.is_empty() {
                            let names: Vec<&str> = missing.iter().map(|k| k.name()).collect();
                            eprintln!("not installed on this cluster: {}", names.join(", "));
                        }
                    }
                }
                shown = Some(rows);
            }
            if !watch {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_secs(2)).await;
        }
    })
}
