//! `bosun slices`: metrics per slice of per-example evaluation data, printed as a table, CSV or JSON — the engine of
//! the Model analysis screen (`metrics::examples` reads, `metrics::slices` computes).

use std::path::PathBuf;

use crate::metrics::examples::{self, Columns};
use crate::metrics::sliced;
use crate::metrics::slices::{self, Options, SliceRow};

/// How to print the slices.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Output {
    Table,
    Csv,
    Json,
}

/// The flags of `bosun slices`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct SlicesArgs {
    /// The files: CSV, JSON lines (.jsonl) or Parquet (.parquet), or folders of such shards.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// The column with the label: 0 or 1, or a multi-class classifier's true class.
    #[arg(long)]
    pub label: String,
    /// The column with the predicted score of the positive class, or a multi-class classifier's predicted class.
    #[arg(long)]
    pub prediction: String,
    /// A column with each example's weight.
    #[arg(long)]
    pub weight: Option<String>,
    /// Slice by a column: COL, COL:bins=N (quantiles) or COL:edges=a,b,c.
    #[arg(long = "slice", value_name = "COL[:bins=N|edges=a,b]")]
    pub slices: Vec<String>,
    /// Slice by two columns at once: A,B.
    #[arg(long = "cross", value_name = "A,B")]
    pub crosses: Vec<String>,
    /// The score at and above which an example is predicted positive.
    #[arg(long, default_value_t = 0.5)]
    pub threshold: f64,
    /// Bootstrap resamples for confidence intervals (adds `_lo`/`_hi` columns).
    #[arg(long, default_value_t = 0)]
    pub bootstrap: usize,
    /// The bootstrap's seed (the same seed, the same intervals).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[arg(long, short = 'o', value_enum, default_value_t = Output::Table)]
    pub output: Output,
}

/// Bad flags or files: exit code 2.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct BadSlices(pub String);

/// A sliced-metrics document given as the one file (its rows are printed as they are).
fn document(args: &SlicesArgs) -> Option<Result<Vec<SliceRow>, BadSlices>> {
    let [path] = args.files.as_slice() else { return None };
    let mut head = [0u8; 256];
    let n = std::io::Read::read(&mut std::fs::File::open(path).ok()?, &mut head).ok()?;
    if !String::from_utf8_lossy(&head[..n]).contains(crate::metrics::sliced::FORMAT) {
        return None;
    }
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        crate::metrics::sliced::SlicedMetrics::parse(&text)
            .map(|doc| doc.rows())
            .map_err(|e| BadSlices(format!("{}: {e}", path.display()))),
    )
}

/// Reads the files and computes the rows (or reads a sliced-metrics document's).
pub fn compute(args: &SlicesArgs) -> anyhow::Result<Vec<SliceRow>> {
    if let Some(rows) = document(args) {
        return Ok(rows?);
    }
    if !(0.0..=1.0).contains(&args.threshold) {
        return Err(BadSlices(format!("--threshold {} must be between 0 and 1", args.threshold)).into());
    }
    let (specs, slicings) = examples::plan(&args.slices, &args.crosses).map_err(BadSlices)?;
    let columns = Columns {
        label: args.label.clone(),
        prediction: args.prediction.clone(),
        weight: args.weight.clone(),
        slices: specs,
    };
    let mut data = examples::read(&args.files, &columns).map_err(|e| BadSlices(e.to_string()))?;
    data.sort_by_score();
    if data.is_empty() {
        return Err(BadSlices("the files hold no examples".into()).into());
    }
    let options = Options { threshold: args.threshold, bootstrap: args.bootstrap, seed: args.seed };
    Ok(slices::compute(&data, &slicings, &options))
}

/// The rows as JSON: one object per slice, metrics by name (`null` where undefined).
pub fn json(rows: &[SliceRow]) -> serde_json::Value {
    let bootstrap = rows.first().is_some_and(|r| r.lower.is_some());
    let classes = sliced::classes_of(rows);
    let names = sliced::csv_header(bootstrap, &classes);
    let objects: Vec<serde_json::Value> = rows
        .iter()
        .map(|row| {
            let numbers = sliced::row_values(row, &classes);
            let mut object = serde_json::Map::new();
            object.insert("slice".into(), row.slice.clone().into());
            for (name, v) in names.iter().skip(1).zip(numbers) {
                let v = if v.is_finite() { serde_json::Value::from(v) } else { serde_json::Value::Null };
                object.insert(name.clone(), v);
            }
            serde_json::Value::Object(object)
        })
        .collect();
    serde_json::Value::Array(objects)
}

fn table(rows: &[SliceRow]) -> String {
    let classes = sliced::classes_of(rows);
    if !classes.is_empty() {
        return multiclass_table(rows, &classes);
    }
    let names = ["slice", "count", "accuracy", "precision", "recall", "f1", "auc", "pr_auc", "logloss", "calibration"];
    let pick = |row: &SliceRow| {
        let m = row.metrics;
        let ci = |i: usize| match (row.lower, row.upper) {
            (Some(lo), Some(hi)) if lo.values()[i].is_finite() => {
                format!(" [{}–{}]", crate::metrics::short(lo.values()[i]), crate::metrics::short(hi.values()[i]))
            }
            _ => String::new(),
        };
        let cell = |v: f64, i: usize| {
            if v.is_finite() { format!("{}{}", crate::metrics::short(v), ci(i)) } else { "—".into() }
        };
        vec![
            row.slice.clone(),
            format!("{}", m.count),
            cell(m.accuracy, 2),
            cell(m.precision, 3),
            cell(m.recall, 4),
            cell(m.f1, 5),
            cell(m.auc, 6),
            cell(m.pr_auc, 7),
            cell(m.logloss, 8),
            cell(m.calibration, 11),
        ]
    };
    let cells: Vec<Vec<String>> = rows.iter().map(pick).collect();
    aligned(&names.map(str::to_string), cells)
}

/// A multi-class classifier's table: count, accuracy, each class's recall.
fn multiclass_table(rows: &[SliceRow], classes: &[String]) -> String {
    let mut names = vec!["slice".to_string(), "count".into(), "accuracy".into()];
    names.extend(classes.iter().map(|c| format!("recall {c}")));
    let cell = |v: f64, lo: Option<f64>, hi: Option<f64>| match (v.is_finite(), lo, hi) {
        (false, ..) => "—".to_string(),
        (true, Some(lo), Some(hi)) => {
            format!("{} [{}–{}]", crate::metrics::short(v), crate::metrics::short(lo), crate::metrics::short(hi))
        }
        _ => crate::metrics::short(v),
    };
    let cells = rows
        .iter()
        .map(|row| {
            let mut r = vec![row.slice.clone(), format!("{}", row.metrics.count)];
            r.push(cell(row.metrics.accuracy, row.lower.map(|m| m.accuracy), row.upper.map(|m| m.accuracy)));
            for class in classes {
                let c = row.per_class.iter().find(|c| &c.class == class);
                r.push(c.map_or("—".into(), |c| cell(c.recall, c.lower, c.upper)));
            }
            r
        })
        .collect();
    aligned(&names, cells)
}

/// Columns padded to their widest cell, the header in capitals.
fn aligned(names: &[String], cells: Vec<Vec<String>>) -> String {
    let widths: Vec<usize> = (0..names.len())
        .map(|i| cells.iter().map(|r| r[i].chars().count()).chain([names[i].len()]).max().unwrap_or(0))
        .collect();
    let line = |fields: Vec<String>| {
        fields
            .iter()
            .zip(&widths)
            .map(|(f, w)| format!("{f:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = line(names.iter().map(|s| s.to_uppercase()).collect());
    out.push('\n');
    for r in cells {
        out.push_str(&line(r));
        out.push('\n');
    }
    out
}

pub fn run(args: SlicesArgs) -> anyhow::Result<()> {
    let rows = compute(&args)?;
    match args.output {
        Output::Csv => print!("{}", sliced::to_csv(&rows)),
        Output::Json => println!("{}", serde_json::to_string_pretty(&json(&rows))?),
        Output::Table => print!("{}", table(&rows)),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(dir: &std::path::Path, slices: &[&str], crosses: &[&str]) -> SlicesArgs {
        SlicesArgs {
            files: vec![dir.join("eval.csv")],
            label: "label".into(),
            prediction: "score".into(),
            weight: None,
            slices: slices.iter().map(|s| s.to_string()).collect(),
            crosses: crosses.iter().map(|s| s.to_string()).collect(),
            threshold: 0.5,
            bootstrap: 0,
            seed: 1,
            output: Output::Csv,
        }
    }

    #[test]
    fn a_multiclass_classifier_gets_accuracy_and_recall_per_class() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("eval.csv"),
            "label,score,camera\n0,0,phone\n1,1,phone\n2,1,webcam\n2,2,webcam\n1,1,webcam\n",
        )
        .unwrap();
        let rows = compute(&args(dir.path(), &["camera"], &[])).unwrap();
        let text = sliced::to_csv(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].ends_with(",calibration,recall_0,recall_1,recall_2"), "{}", lines[0]);
        assert!(lines[1].starts_with("Overall,5,5,0.8,,,,,,,,,,1,1,0.5"), "{}", lines[1]);
        assert!(table(&rows).contains("RECALL 2"));
        assert_eq!(json(&rows)[2]["recall_2"], 0.5);
        assert!(json(&rows)[1]["recall_2"].is_null(), "no class 2 on the phone");
    }

    #[test]
    fn slices_print_as_csv_with_overall_first() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("eval.csv"),
            "label,score,region,camera\n1,0.9,eu,front\n0,0.2,eu,back\n1,0.4,us,front\n0,0.6,us,front\n",
        )
        .unwrap();
        let rows = compute(&args(dir.path(), &["region"], &["region,camera"])).unwrap();
        let text = sliced::to_csv(&rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "slice,count,weighted_count,accuracy,precision,recall,f1,auc,pr_auc,logloss,mean_label,mean_prediction,calibration"
        );
        assert!(lines[1].starts_with("Overall,4,4,0.5,0.5,0.5,0.5,0.75,"), "{}", lines[1]);
        let names: Vec<&str> = lines[1..].iter().map(|l| l.split(',').next().unwrap()).collect();
        assert_eq!(
            names,
            [
                "Overall",
                "region=eu",
                "region=us",
                "region=eu&camera=back",
                "region=eu&camera=front",
                "region=us&camera=front"
            ]
        );
        let mut with_ci = args(dir.path(), &[], &[]);
        with_ci.bootstrap = 20;
        let rows = compute(&with_ci).unwrap();
        assert!(sliced::to_csv(&rows).lines().next().unwrap().ends_with("calibration_lo,calibration_hi"));
        assert_eq!(json(&rows)[0]["slice"], "Overall");
        assert!(compute(&args(dir.path(), &[], &["region"])).is_err(), "a cross names two columns");
        // A document of these rows is read back as them.
        let model = crate::metrics::sliced::Model { name: "m".into(), version: "1".into() };
        let doc = crate::metrics::sliced::from_rows(model, "r", "", &rows);
        std::fs::write(dir.path().join("doc.json"), serde_json::to_string(&doc).unwrap()).unwrap();
        let mut read_doc = args(dir.path(), &[], &[]);
        read_doc.files = vec![dir.path().join("doc.json")];
        let back = compute(&read_doc).unwrap();
        assert_eq!(
            back.iter().map(|r| &r.slice).collect::<Vec<_>>(),
            rows.iter().map(|r| &r.slice).collect::<Vec<_>>()
        );
    }
}
