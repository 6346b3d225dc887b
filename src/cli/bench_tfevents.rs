//! `bosun bench tfevents [--points N]`: reading every scalar of one event file of N points, Bosun's reader against
//! TensorBoard's own loader (PyPI `tensorboard`, `EventAccumulator` with unlimited scalars) on the same file, each
//! in its own process so time and peak memory are each reader's alone.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

use super::bench::measure_output;
use crate::metrics::tfevents::{self, EventFile};

/// The loader script, run with `$BOSUN_PYTHON` (default `python3`).
const PEER_SCRIPT: &str = include_str!("../../benches/tensorboard_scalars.py");

/// Tags written round-robin, as a training loop logs a few metrics per step.
const TAGS: [&str; 4] = ["loss", "accuracy", "learning_rate", "grad_norm"];

/// Writes an event file of `points` TF1-style scalars.
fn write_file(path: &Path, points: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    out.write_all(&tfevents::version_record())?;
    for i in 0..points {
        let step = (i / TAGS.len()) as i64;
        let value = 1.0 / (1.0 + step as f32 * 0.001) + (i % TAGS.len()) as f32;
        out.write_all(&tfevents::scalar_record(TAGS[i % TAGS.len()], step, 1.767e9 + step as f64 * 0.1, value))?;
    }
    out.flush()?;
    Ok(())
}

/// The measured side of Bosun: reads the file and prints how many scalars it held.
pub fn read(path: &Path) -> anyhow::Result<()> {
    let chunk = EventFile::new(path.to_path_buf()).poll()?;
    anyhow::ensure!(chunk.problems.is_empty(), "problems: {:?}", chunk.problems);
    println!("{}", chunk.scalars.len());
    Ok(())
}

pub fn run(points: usize) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("events.out.tfevents.1767225600.bench");
    eprintln!("writing {points} scalars…");
    write_file(&file, points)?;
    let script = dir.path().join("tensorboard_scalars.py");
    std::fs::write(&script, PEER_SCRIPT)?;
    let python = std::env::var("BOSUN_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_tensorboard = Command::new(&python)
        .args(["-c", "import tensorboard"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    anyhow::ensure!(
        has_tensorboard,
        "{python} cannot import tensorboard: `pip install tensorboard` (or set BOSUN_PYTHON to a Python that has it)"
    );

    eprintln!("reading with bosun…");
    let mut ours = Command::new(std::env::current_exe()?);
    ours.args(["bench", "tfevents-read"]).arg(&file);
    let (bosun_s, bosun_mib, bosun_out) = measure_output(ours)?;
    eprintln!("reading with tensorboard…");
    let mut peer = Command::new(&python);
    peer.arg(&script).arg(&file);
    let (tb_s, tb_mib, tb_out) = measure_output(peer)?;
    let count = |text: &str, who: &str| -> anyhow::Result<usize> {
        text.trim().parse().with_context(|| format!("{who} printed {text:?}, not a count"))
    };
    let (ours_n, theirs_n) = (count(&bosun_out, "bosun")?, count(&tb_out, "tensorboard")?);
    anyhow::ensure!(
        ours_n == points && theirs_n == points,
        "expected {points} scalars: bosun read {ours_n}, tensorboard {theirs_n}"
    );
    println!(
        "tfevents: bosun {bosun_s:.3} s {bosun_mib:.1} MiB; tensorboard {tb_s:.3} s {tb_mib:.1} MiB; time ratio {:.4}; memory ratio {:.3}",
        bosun_s / tb_s,
        bosun_mib / tb_mib
    );
    Ok(())
}
