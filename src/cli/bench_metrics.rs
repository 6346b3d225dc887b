//! `bosun bench metrics [--lines N]`: N Katib-format log lines (`epoch=… loss=… accuracy=… val_loss=…
//! val_accuracy=…`, as training scripts print them) parsed by the keeper's parser, then their points written into
//! a fresh local store in the writer's batches; prints lines/s parsed, points/s stored and the store's bytes per
//! point. Goals: ≥ 1,000,000 lines/s parsed, ≥ 500,000 points/s stored.

use std::time::Instant;

use crate::metrics::lines::LineParser;
use crate::store::{JobRecord, PointRecord, Record, Store};

/// The line of one step, shaped like kubesim's training images print them.
fn line(step: usize) -> String {
    let loss = 2.3 * (-(step as f64) / 2e5).exp() + 0.05;
    format!(
        "epoch={step} loss={loss:.4} accuracy={:.4} val_loss={:.4} val_accuracy={:.4}",
        1.0 - loss / 2.5,
        loss * 1.06 + 0.015,
        1.0 - loss / 2.4
    )
}

pub fn run(lines: usize) -> anyhow::Result<()> {
    let text: Vec<String> = (0..lines).map(line).collect();
    let parser = LineParser::default();

    let started = Instant::now();
    let parsed: Vec<Vec<crate::metrics::Point>> =
        text.iter().enumerate().map(|(i, l)| parser.parse(l, Some(1.767e9 + i as f64))).collect();
    let parse_s = started.elapsed().as_secs_f64();
    let points: usize = parsed.iter().map(Vec::len).sum();
    anyhow::ensure!(points == lines * 4, "expected 4 points per line, parsed {points}");

    let dir = tempfile::tempdir()?;
    let mut store = Store::open(&dir.path().join("bosun.db"))?;
    let job = JobRecord { uid: "bench".into(), cluster: "bench".into(), name: "bench".into(), ..Default::default() };
    store.write(&[Record::Job(job)])?;
    let started = Instant::now();
    let records: Vec<Record> = parsed
        .into_iter()
        .map(|points| Record::Points {
            job_uid: "bench".into(),
            points: points
                .into_iter()
                .map(|p| PointRecord { metric: p.metric, step: p.step, wall_time: p.wall_time, value: p.value })
                .collect(),
        })
        .collect();
    for batch in records.chunks(crate::store::writer::BATCH) {
        store.write(batch)?;
    }
    let store_s = started.elapsed().as_secs_f64();
    store.checkpoint()?;
    let kept = store.count_points()?;
    anyhow::ensure!(kept as usize == points, "the store kept {kept} of {points} points");
    let bytes_per_point = store.size_on_disk() as f64 / points as f64;
    println!(
        "metrics: parsed {lines} lines in {parse_s:.3} s ({:.0} lines/s); stored {points} points in {store_s:.3} s ({:.0} points/s); {bytes_per_point:.1} bytes/point",
        lines as f64 / parse_s,
        points as f64 / store_s
    );
    Ok(())
}
