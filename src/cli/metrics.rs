//! `bosun tfevents PATH`: the scalars of a TensorBoard event file or of a folder of runs, as CSV
//! (`run,tag,step,wall_time,value`, one row per scalar in file order, numbers as Python prints them, so the output
//! can be compared with TensorBoard's own loader) or JSON. What could not be read is reported on stderr with the
//! file and offset; the rest is still printed.

use std::io::Write as _;
use std::path::Path;

use crate::metrics::tfevents::{self, EventFile};
use crate::metrics::{csv_field, pyfmt};

/// How to print scalars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
}

/// An input that is not there, or not event files: bad input (exit 2).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadPath(pub String);

pub fn tfevents(path: &Path, format: Format) -> anyhow::Result<()> {
    quiet_broken_pipe(print_scalars(path, format))
}

/// The reader of the output went away (`| head`): done, as with any Unix filter.
pub(super) fn quiet_broken_pipe(result: anyhow::Result<()>) -> anyhow::Result<()> {
    match result {
        Err(e) if e.downcast_ref::<std::io::Error>().is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe) => {
            Ok(())
        }
        other => other,
    }
}

fn print_scalars(path: &Path, format: Format) -> anyhow::Result<()> {
    if !path.exists() {
        return Err(BadPath(format!("{} does not exist", path.display())).into());
    }
    let runs = tfevents::find_runs(path)?;
    if runs.is_empty() {
        return Err(BadPath(format!("no event files (events.out.tfevents.*) under {}", path.display())).into());
    }
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    if format == Format::Csv {
        writeln!(out, "run,tag,step,wall_time,value")?;
    } else {
        write!(out, "[")?;
    }
    let mut first = true;
    let mut problems = 0;
    let mut scalars = 0;
    for (run, file) in runs {
        let mut reader = EventFile::new(file.clone());
        let chunk = match reader.poll() {
            Ok(chunk) => chunk,
            Err(e) => {
                eprintln!("warning: {}: {e}", file.display());
                problems += 1;
                continue;
            }
        };
        for p in &chunk.problems {
            eprintln!("warning: {}: {p}", file.display());
        }
        problems += chunk.problems.len();
        scalars += chunk.scalars.len();
        for s in &chunk.scalars {
            match format {
                Format::Csv => writeln!(
                    out,
                    "{},{},{},{},{}",
                    csv_field(&run),
                    csv_field(&s.tag),
                    s.step,
                    pyfmt::float(s.wall_time),
                    pyfmt::float(s.value)
                )?,
                Format::Json => {
                    let row = serde_json::json!({
                        "run": run, "tag": &*s.tag, "step": s.step, "wall_time": s.wall_time,
                        "value": if s.value.is_finite() { serde_json::json!(s.value) } else { serde_json::json!(pyfmt::float(s.value)) },
                    });
                    write!(out, "{}\n{row}", if first { "" } else { "," })?;
                }
            }
            first = false;
        }
    }
    if format == Format::Json {
        writeln!(out, "{}]", if first { "" } else { "\n" })?;
    }
    out.flush()?;
    if problems > 0 && scalars == 0 {
        return Err(BadPath(format!("no readable event records in {} ({problems} problem(s))", path.display())).into());
    }
    if problems > 0 {
        eprintln!("{problems} problem(s) while reading; every intact record was read");
    }
    Ok(())
}
