//! `bosun bench slices [--rows N]`: metrics per slice of N examples (3 slice columns, one numeric in 6 quantile bins,
//! plus one cross) from one CSV file, computed by `bosun slices` and by pandas `groupby` with scikit-learn's metrics
//! (PyPI, used only here), each in its own process so time and peak memory are each side's alone, read included.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;

use anyhow::Context as _;

use super::bench::measure_output;

/// The peer script, run with `$BOSUN_PYTHON` (default `python3`).
const PEER_SCRIPT: &str = include_str!("../../benches/pandas_slices.py");

const REGIONS: [&str; 8] = ["us-east", "us-west", "eu-north", "eu-south", "asia", "latam", "africa", "oceania"];
const CAMERAS: [&str; 4] = ["phone-front", "phone-back", "dslr", "webcam"];

/// A "hot dog / not hot dog" classifier's predictions: label, score, region, camera, hour.
fn write_file(path: &Path, rows: usize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "label,score,region,camera,hour")?;
    let mut rng = fastrand::Rng::with_seed(42);
    for _ in 0..rows {
        let region = rng.usize(..REGIONS.len());
        let camera = rng.usize(..CAMERAS.len());
        let hour = rng.u32(..24);
        let label = u8::from(rng.f64() < 0.3);
        // Webcams at night are harder: the scores overlap more there.
        let hard = camera == 3 && !(7..20).contains(&hour);
        let signal = if hard { 0.1 } else { 0.35 };
        let score = (f64::from(label) * signal + rng.f64() * (1.0 - signal)).clamp(0.0, 1.0);
        writeln!(out, "{label},{score:.4},{},{},{hour}", REGIONS[region], CAMERAS[camera])?;
    }
    out.flush()?;
    Ok(())
}

pub fn run(rows: usize) -> anyhow::Result<()> {
    anyhow::ensure!(rows >= 1000, "--rows must be at least 1000");
    let python = std::env::var("BOSUN_PYTHON").unwrap_or_else(|_| "python3".into());
    let has_pandas =
        Command::new(&python).args(["-c", "import pandas, sklearn"]).output().is_ok_and(|o| o.status.success());
    anyhow::ensure!(
        has_pandas,
        "{python} cannot import pandas and scikit-learn: `pip install pandas scikit-learn` (or set BOSUN_PYTHON)"
    );
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("eval.csv");
    eprintln!("writing {rows} examples…");
    write_file(&file, rows)?;
    let script = dir.path().join("pandas_slices.py");
    std::fs::write(&script, PEER_SCRIPT)?;
    eprintln!("computing with bosun…");
    let mut ours = Command::new(std::env::current_exe()?);
    ours.arg("slices").arg(&file).args([
        "--label",
        "label",
        "--prediction",
        "score",
        "--slice",
        "region",
        "--slice",
        "camera",
        "--slice",
        "hour:bins=6",
        "--cross",
        "region,camera",
        "-o",
        "csv",
    ]);
    let (bosun_s, bosun_mib, bosun_out) = measure_output(ours)?;
    eprintln!("computing with pandas and scikit-learn…");
    let mut peer = Command::new(&python);
    peer.arg(&script).arg(&file);
    let (pd_s, pd_mib, pd_out) = measure_output(peer)?;
    let ours_n = bosun_out.lines().count().saturating_sub(1);
    let theirs_n: usize = pd_out.trim().parse().with_context(|| format!("pandas printed {pd_out:?}, not a count"))?;
    anyhow::ensure!(ours_n == theirs_n, "bosun computed {ours_n} slices, pandas {theirs_n}");
    println!(
        "slices: bosun {bosun_s:.3} s {bosun_mib:.1} MiB; pandas {pd_s:.3} s {pd_mib:.1} MiB; time ratio {:.4}; memory ratio {:.3}",
        bosun_s / pd_s,
        bosun_mib / pd_mib
    );
    Ok(())
}
