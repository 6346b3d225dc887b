//! The sliced-metrics document: metrics an evaluation job already computed per slice, in a JSON format Bosun defines
//! (the README shows it), so a job can hand its results to Bosun through a file, a ConfigMap or its log:
//!
//! ```json
//! {"format": "bosun.sliced-metrics/v1",
//!  "model": {"name": "hotdog", "version": "2"}, "run": "eval-17", "time": "2026-12-04T20:00:00Z",
//!  "slices": [
//!    {"slice": [], "count": 1000, "weighted_count": 1000,
//!     "metrics": {"auc": {"value": 0.91, "lower": 0.89, "upper": 0.93}, "accuracy": {"value": 0.87}}},
//!    {"slice": [{"column": "region", "value": "eu"}, {"column": "camera", "value": "webcam"}], …}]}
//! ```
//!
//! A slice is a list of column/value pairs (TFMA's slice key; none is the overall set); metrics are by name, each a
//! value with optional bounds. [`from_rows`] and [`SlicedMetrics::rows`] convert to and from `bosun slices`' rows.

use serde::{Deserialize, Serialize};

use super::slices::{ClassRecall, METRIC_NAMES, Metrics, SliceRow};

pub const FORMAT: &str = "bosun.sliced-metrics/v1";

/// A multi-class classifier's recall of one class is the metric `recall_<class>`.
pub const CLASS_RECALL: &str = "recall_";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Model {
    pub name: String,
    #[serde(default)]
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pair {
    pub column: String,
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Value {
    pub value: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lower: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upper: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    pub slice: Vec<Pair>,
    pub count: f64,
    #[serde(default)]
    pub weighted_count: Option<f64>,
    pub metrics: std::collections::BTreeMap<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlicedMetrics {
    pub format: String,
    pub model: Model,
    #[serde(default)]
    pub run: String,
    /// RFC 3339.
    #[serde(default)]
    pub time: String,
    pub slices: Vec<Slice>,
}

/// A slice's name as `bosun slices` prints it: `Overall`, `col=value`, `a=x&b=y`.
pub fn slice_name(pairs: &[Pair]) -> String {
    if pairs.is_empty() {
        return "Overall".into();
    }
    pairs.iter().map(|p| format!("{}={}", p.column, p.value)).collect::<Vec<_>>().join("&")
}

/// The pairs of a slice name (the inverse of [`slice_name`]; values may hold `=` but not `&`).
pub fn pairs_of(name: &str) -> Vec<Pair> {
    if name == "Overall" {
        return Vec::new();
    }
    name.split('&')
        .filter_map(|part| part.split_once('='))
        .map(|(c, v)| Pair { column: c.to_string(), value: v.to_string() })
        .collect()
}

/// The document of computed rows.
pub fn from_rows(model: Model, run: &str, time: &str, rows: &[SliceRow]) -> SlicedMetrics {
    let slices = rows
        .iter()
        .map(|row| {
            let values = row.metrics.values();
            let lower = row.lower.map(|m| m.values());
            let upper = row.upper.map(|m| m.values());
            let mut metrics: std::collections::BTreeMap<String, Value> = METRIC_NAMES
                .iter()
                .enumerate()
                .skip(2) // count and weighted count have their own fields
                .filter(|(i, _)| values[*i].is_finite())
                .map(|(i, name)| {
                    let bound = |b: Option<[f64; 12]>| b.map(|v| v[i]).filter(|v| v.is_finite());
                    (name.to_string(), Value { value: values[i], lower: bound(lower), upper: bound(upper) })
                })
                .collect();
            for c in row.per_class.iter().filter(|c| c.recall.is_finite()) {
                let value = Value { value: c.recall, lower: c.lower, upper: c.upper };
                metrics.insert(format!("{CLASS_RECALL}{}", c.class), value);
            }
            Slice {
                slice: pairs_of(&row.slice),
                count: row.metrics.count,
                weighted_count: Some(row.metrics.weighted_count),
                metrics,
            }
        })
        .collect();
    SlicedMetrics { format: FORMAT.into(), model, run: run.into(), time: time.into(), slices }
}

impl SlicedMetrics {
    /// Reads a document, saying what is wrong with it.
    pub fn parse(text: &str) -> Result<SlicedMetrics, String> {
        let doc: SlicedMetrics =
            serde_json::from_str(text).map_err(|e| format!("not a sliced-metrics document: {e}"))?;
        if doc.format != FORMAT {
            return Err(format!("format {:?} is not {FORMAT:?}", doc.format));
        }
        Ok(doc)
    }

    /// The document as rows (metrics it does not name are NaN; bounds only where it gives them).
    pub fn rows(&self) -> Vec<SliceRow> {
        self.slices
            .iter()
            .map(|s| {
                let pick = |f: &dyn Fn(&Value) -> Option<f64>| {
                    let mut v = [f64::NAN; 12];
                    v[0] = s.count;
                    v[1] = s.weighted_count.unwrap_or(s.count);
                    for (i, name) in METRIC_NAMES.iter().enumerate().skip(2) {
                        if let Some(x) = s.metrics.get(*name).and_then(f) {
                            v[i] = x;
                        }
                    }
                    v
                };
                let has_bounds = s.metrics.values().any(|m| m.lower.is_some() || m.upper.is_some());
                let per_class = s
                    .metrics
                    .iter()
                    .filter_map(|(name, m)| {
                        let class = name.strip_prefix(CLASS_RECALL)?;
                        Some(ClassRecall { class: class.to_string(), recall: m.value, lower: m.lower, upper: m.upper })
                    })
                    .collect();
                SliceRow {
                    slice: slice_name(&s.slice),
                    metrics: Metrics::from_values(pick(&|m| Some(m.value))),
                    lower: has_bounds.then(|| Metrics::from_values(pick(&|m| m.lower))),
                    upper: has_bounds.then(|| Metrics::from_values(pick(&|m| m.upper))),
                    per_class,
                }
            })
            .collect()
    }
}

fn csv_value(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.6}").trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        String::new()
    }
}

/// The CSV header of sliced rows (as `bosun slices -o csv` prints them): `slice`, the metrics, then `_lo`/`_hi` of each
/// with bootstrap; a multi-class classifier's rows add `recall_<class>` (and its bounds) per class.
pub fn csv_header(bootstrap: bool, classes: &[String]) -> Vec<String> {
    let mut names: Vec<String> = METRIC_NAMES.iter().map(|m| m.to_string()).collect();
    names.extend(classes.iter().map(|c| format!("{CLASS_RECALL}{c}")));
    let mut h = vec!["slice".to_string()];
    h.extend(names.iter().cloned());
    if bootstrap {
        for m in &names {
            h.push(format!("{m}_lo"));
            h.push(format!("{m}_hi"));
        }
    }
    h
}

/// The classes of multi-class rows (none for a binary classifier's).
pub fn classes_of(rows: &[SliceRow]) -> Vec<String> {
    rows.first().map(|r| r.per_class.iter().map(|c| c.class.clone()).collect()).unwrap_or_default()
}

/// One row's values in [`csv_header`]'s order after `slice` (undefined: NaN).
pub fn row_values(row: &SliceRow, classes: &[String]) -> Vec<f64> {
    let recall = |class: &String, pick: &dyn Fn(&ClassRecall) -> Option<f64>| {
        row.per_class.iter().find(|c| &c.class == class).and_then(pick).unwrap_or(f64::NAN)
    };
    let mut v = row.metrics.values().to_vec();
    v.extend(classes.iter().map(|c| recall(c, &|r| Some(r.recall))));
    if let (Some(lo), Some(hi)) = (row.lower, row.upper) {
        for (l, h) in lo.values().iter().zip(hi.values()) {
            v.push(*l);
            v.push(h);
        }
        for c in classes {
            v.push(recall(c, &|r| r.lower));
            v.push(recall(c, &|r| r.upper));
        }
    }
    v
}

/// Rows as CSV text.
pub fn to_csv(rows: &[SliceRow]) -> String {
    let bootstrap = rows.first().is_some_and(|r| r.lower.is_some());
    let classes = classes_of(rows);
    let mut out = csv_header(bootstrap, &classes).join(",");
    out.push('\n');
    for row in rows {
        let mut fields = vec![super::csv_field(&row.slice)];
        fields.extend(row_values(row, &classes).into_iter().map(csv_value));
        out.push_str(&fields.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::slices::{Examples, Options, SliceColumn, Slicing, compute};

    #[test]
    fn class_recalls_round_trip_through_the_document() {
        let row = SliceRow {
            slice: "camera=webcam".into(),
            metrics: Metrics { count: 4.0, weighted_count: 4.0, accuracy: 0.75, ..Default::default() },
            lower: None,
            upper: None,
            per_class: vec![ClassRecall { class: "cat".into(), recall: 0.5, lower: Some(0.25), upper: Some(0.75) }],
        };
        let doc = from_rows(Model::default(), "", "", std::slice::from_ref(&row));
        assert_eq!(doc.slices[0].metrics["recall_cat"].value, 0.5);
        let back = doc.rows();
        assert_eq!(back[0].per_class, row.per_class);
    }

    #[test]
    fn computed_rows_round_trip_through_the_document() {
        let examples = Examples {
            labels: vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
            scores: vec![0.9, 0.3, 0.6, 0.7, 0.8, 0.1],
            weights: vec![1.0; 6],
            columns: vec![
                SliceColumn {
                    name: "region".into(),
                    values: vec!["eu".into(), "us".into()],
                    codes: vec![0, 0, 1, 1, 0, 1],
                },
                SliceColumn { name: "camera".into(), values: vec!["webcam".into()], codes: vec![0; 6] },
            ],
            classes: None,
        };
        let options = Options { bootstrap: 20, ..Default::default() };
        let rows = compute(&examples, &[Slicing::Column(0), Slicing::Cross(0, 1)], &options);
        let doc =
            from_rows(Model { name: "hotdog".into(), version: "2".into() }, "eval-17", "2026-12-04T20:00:00Z", &rows);
        let text = serde_json::to_string(&doc).unwrap();
        let back = SlicedMetrics::parse(&text).unwrap();
        // Numbers come back to within a unit in the last place (serde_json's fast float parsing).
        assert_eq!(
            (back.model.clone(), back.run.as_str(), back.slices.len()),
            (doc.model.clone(), "eval-17", doc.slices.len())
        );
        let again = back.rows();
        assert_eq!(again.len(), rows.len());
        for (a, b) in again.iter().zip(&rows) {
            assert_eq!(a.slice, b.slice);
            for (x, y) in a.metrics.values().iter().zip(b.metrics.values()) {
                assert!((x - y).abs() < 1e-12 || (x.is_nan() && y.is_nan()), "{} {x} {y}", a.slice);
            }
            let (lo_a, lo_b) = (a.lower.unwrap().values(), b.lower.unwrap().values());
            for (x, y) in lo_a.iter().zip(lo_b).skip(2) {
                assert!((x - y).abs() < 1e-12 || (x.is_nan() && y.is_nan()), "{} lower {x} {y}", a.slice);
            }
        }
        assert_eq!(
            doc.slices[3].slice,
            [
                Pair { column: "region".into(), value: "eu".into() },
                Pair { column: "camera".into(), value: "webcam".into() }
            ]
        );
        assert!(
            SlicedMetrics::parse("{\"format\": \"other\", \"model\": {\"name\": \"m\"}, \"slices\": []}")
                .unwrap_err()
                .contains("is not")
        );
        assert!(SlicedMetrics::parse("[1]").unwrap_err().contains("not a sliced-metrics document"));
    }
}
