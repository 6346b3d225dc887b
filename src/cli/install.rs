//! `bosun install | uninstall | status | render`: the ML stack from the terminal, through the same engine as the
//! Install screen, with progress bars and exit codes scripts can use (0 done, 1 error, 2 bad input, 3 not ready
//! in time, 4 forbidden).

use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressStyle};

use crate::cluster::install::apply::Outcome;
use crate::cluster::install::preflight::{self, Verdict};
use crate::cluster::install::source::Source;
use crate::cluster::install::{self, InstallError, InstallOptions, Progress};
use crate::stack::catalog::Catalog;
use crate::stack::params::Selection;
use crate::stack::plan::{self, Plan};
use crate::state::LaunchOptions;

/// What `bosun install` was asked to do.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InstallArgs {
    pub components: Vec<String>,
    pub sets: Vec<String>,
    pub dry_run: bool,
    pub yes: bool,
    pub timeout: Duration,
    pub no_wait: bool,
    /// Apply this folder of YAML instead of the stack.
    pub folder: Option<PathBuf>,
}

/// Parses `90`, `90s`, `5m`, `1h` (and combinations such as `1m30s`).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let mut total = 0u64;
    let mut number = String::new();
    for c in text.trim().chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let n: u64 = number.parse().map_err(|_| format!("{text:?} is not a duration such as 90s, 5m or 1h"))?;
        total += n * match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(format!("{text:?}: unknown unit {c:?} (use s, m or h)")),
        };
        number.clear();
    }
    if !number.is_empty() {
        total += number.parse::<u64>().map_err(|_| format!("{text:?} is not a duration"))?;
    }
    if total == 0 {
        return Err(format!("{text:?}: the duration must be more than zero"));
    }
    Ok(Duration::from_secs(total))
}

/// The selection the flags describe (checked against the catalog).
pub fn selection(catalog: &Catalog, components: &[String], sets: &[String]) -> Result<(Selection, bool), InstallError> {
    let mut selection = Selection { components: components.to_vec(), ..Default::default() };
    catalog.with_dependencies(components)?;
    let mut globals_given = false;
    for s in sets {
        selection.set(catalog, s)?;
        globals_given |= s.split_once('=').is_some_and(|(k, _)| !k.contains('.'));
    }
    Ok((selection, globals_given))
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?)
}

/// Prints a line above the progress bar (or plainly when output is not a terminal).
fn say(bar: &ProgressBar, line: String) {
    if bar.is_hidden() { println!("{line}") } else { bar.println(line) }
}

fn progress_bar(total: usize) -> ProgressBar {
    let bar = ProgressBar::new(total as u64);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{bar:30}] {pos}/{len} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(120));
    bar
}

pub fn install(launch: LaunchOptions, args: InstallArgs) -> anyhow::Result<()> {
    let runtime = runtime()?;
    runtime.block_on(async {
        let client = super::client_for(&launch).await?;
        let catalog = Catalog::builtin()?;
        let (source, globals_given) = match &args.folder {
            Some(dir) => (Source::Folder(dir.clone()), false),
            None => {
                let (selection, globals_given) = selection(&catalog, &args.components, &args.sets)?;
                (Source::Stack(selection), globals_given)
            }
        };
        let default_namespace = launch.namespace.clone().unwrap_or_else(|| client.default_namespace().to_string());
        let (plan, previous) =
            install::source::plan_source(&client, &catalog, &source, globals_given, &default_namespace).await?;
        println!("Plan: {} objects from {}", plan.objects.len(), describe(&plan));
        if !plan.files {
            let checks = preflight::preflight(&client, &plan).await?;
            for c in &checks {
                let mark = match c.verdict {
                    Verdict::Pass => "ok  ",
                    Verdict::Warn => "warn",
                    Verdict::Fail => "FAIL",
                };
                println!("  [{mark}] {}: {}", c.title, c.detail);
                if let Some(fix) = c.fix.as_ref().filter(|_| c.verdict != Verdict::Pass) {
                    println!("         fix: {fix}");
                }
            }
            if let Some(failed) = checks.iter().find(|c| c.verdict == Verdict::Fail) {
                return Err(InstallError::Forbidden { action: "install".into(), message: failed.detail.clone() }.into());
            }
        }
        if args.dry_run {
            let diffs = install::review(&client, &plan).await?;
            for d in &diffs {
                println!("  {:<10} {}", d.outcome.word(), d.object);
            }
            let count = |o: Outcome| diffs.iter().filter(|d| d.outcome == o).count();
            println!(
                "Dry run: {} new, {} changed, {} unchanged. Nothing was changed.",
                count(Outcome::Created),
                count(Outcome::Changed),
                count(Outcome::Unchanged)
            );
            return Ok(());
        }
        if !args.yes {
            confirm("Install")?;
        }
        let bar = progress_bar(plan.objects.len());
        let options = InstallOptions { wait: !args.no_wait, timeout: args.timeout };
        let report = install::install(&client, &plan, previous.as_ref(), &options, &|p| show(&bar, p)).await;
        bar.finish_and_clear();
        let report = report?;
        println!(
            "Installed: {} created, {} configured, {} unchanged{}{}",
            report.created,
            report.changed,
            report.unchanged,
            if report.pruned > 0 { format!(", {} removed", report.pruned) } else { String::new() },
            if args.no_wait { " (not waiting for readiness)" } else { "; everything is ready" }
        );
        Ok(())
    })
}

fn describe(plan: &Plan) -> String {
    plan.components.iter().map(|(c, v)| format!("{c} {v}")).collect::<Vec<_>>().join(", ")
}

fn show(bar: &ProgressBar, p: Progress) {
    match p {
        Progress::Phase { phase, objects } => say(bar, format!("{} ({objects})", phase.title())),
        Progress::Applied { object, outcome, .. } => {
            bar.inc(1);
            say(bar, format!("  {object} {}", outcome.word()));
        }
        Progress::Waiting { ready, total, object, reason } => {
            bar.set_message(format!("ready {ready}/{total} · waiting for {object}: {reason}"));
        }
        Progress::Ready { object } => say(bar, format!("  {object} ready")),
        Progress::Note(note) => say(bar, format!("  note: {note}")),
        Progress::Deleted { object } => say(bar, format!("  {object} deleted")),
    }
}

/// Asks before changing the cluster; refuses when nobody can answer.
fn confirm(what: &str) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(InstallError::Stack(crate::stack::StackError::InvalidParameter {
            name: "--yes".into(),
            reason: format!("{what} changes the cluster; pass --yes to do it without asking"),
        })
        .into());
    }
    print!("{what}? [y/N] ");
    std::io::Write::flush(&mut std::io::stdout())?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    anyhow::ensure!(matches!(answer.trim(), "y" | "Y" | "yes"), "cancelled; nothing was changed");
    Ok(())
}

/// `bosun uninstall [-f DIR]`: removes the stack (or the folder install named after DIR) — only objects that are
/// still Bosun's.
pub fn uninstall(launch: LaunchOptions, yes: bool, delete_data: bool, folder: Option<PathBuf>) -> anyhow::Result<()> {
    let target = match &folder {
        Some(dir) => install::Target::Folder(install::source::folder_name(dir)),
        None => install::Target::Stack,
    };
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let what = match &target {
            install::Target::Stack => "Bosun stack".to_string(),
            install::Target::Folder(name) => format!("folder install {name}"),
        };
        let Some((namespace, record)) = install::read_target(&client, &target).await? else {
            println!("No {what} is installed on this cluster.");
            return Ok(());
        };
        println!("{what} in namespace {namespace}: {} objects", record.objects.len());
        for o in &record.objects {
            let keep = o.kind == "PersistentVolumeClaim" && !delete_data;
            println!("  {}{}", o.display(), if keep { " (kept: holds data)" } else { "" });
        }
        if !yes {
            confirm("Uninstall")?;
        }
        let bar = progress_bar(record.objects.len());
        let result = install::uninstall(&client, &target, delete_data, &|p| show(&bar, p)).await;
        bar.finish_and_clear();
        let done = result?;
        for kept in &done.kept {
            println!("  {kept}");
        }
        println!("Uninstalled: {} objects deleted, {} kept.", done.deleted.len(), done.kept.len());
        Ok(())
    })
}

pub fn status(launch: LaunchOptions) -> anyhow::Result<()> {
    runtime()?.block_on(async {
        let client = super::client_for(&launch).await?;
        let all = install::status_all(&client).await?;
        if all.is_empty() {
            println!("No Bosun stack is installed on this cluster.");
            return Ok(());
        }
        let mut waiting = Vec::new();
        for status in &all {
            let what = match &status.record.folder {
                Some(name) => format!("Folder install {name}"),
                None => "Bosun stack".into(),
            };
            println!(
                "{what} in namespace {} ({:?}, updated {}, {} objects)",
                status.namespace,
                status.record.state,
                status.record.updated,
                status.record.objects.len()
            );
            for c in &status.components {
                let health =
                    if c.waiting.is_empty() { "healthy".to_string() } else { format!("{}/{} ready", c.ready, c.total) };
                println!("  {:<22} {:<10} {health}", c.name, c.version);
                waiting.extend(c.waiting.iter().cloned());
            }
        }
        if waiting.is_empty() { Ok(()) } else { Err(InstallError::Unhealthy(waiting).into()) }
    })
}

/// Writes the rendered stack, one file per component, numbered in install order.
pub fn render(components: &[String], sets: &[String], out: &Path) -> anyhow::Result<()> {
    let catalog = Catalog::builtin()?;
    let (selection, _) = selection(&catalog, components, sets)?;
    let mut plan = plan::plan(&catalog, &selection)?;
    // Generated secrets get their values now, so the files work with kubectl alone; keep the files, since
    // rendering again makes new values.
    for o in &mut plan.objects {
        crate::cluster::install::apply::fill_generated(&mut o.object.value, None, &o.object.source)?;
    }
    std::fs::create_dir_all(out).with_context(|| format!("could not create {}", out.display()))?;
    let yaml = plan.yaml_by_component();
    for (i, (component, _)) in plan.components.iter().enumerate() {
        let Some(text) = yaml.get(component) else { continue };
        let path = out.join(format!("{i:02}-{component}.yaml"));
        std::fs::write(&path, text).with_context(|| format!("could not write {}", path.display()))?;
        println!("{}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl_timeouts() {
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("0s").is_err());
    }
}
