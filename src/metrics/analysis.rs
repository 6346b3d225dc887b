//! Reading sliced metrics the way the Model analysis screen shows them: slices grouped by the column(s) they cut,
//! the confusion matrix a slice's metrics imply, a slice's ROC and calibration curves from its examples, two
//! evaluations compared slice by slice (with a hint of significance where both carry intervals), and one slice's
//! metric across many evaluations in time order. Pure.

use super::slices::{Examples, Metrics, SliceRow};

/// The family of a slice: the column(s) it cuts (`region` for `region=eu`, `region&camera` for a cross), `None` for
/// `Overall`.
pub fn family(slice: &str) -> Option<String> {
    if slice == "Overall" {
        return None;
    }
    let columns: Vec<&str> = slice.split('&').map(|pair| pair.split('=').next().unwrap_or(pair)).collect();
    Some(columns.join("&"))
}

/// The families of some rows, in the order they first appear.
pub fn families(rows: &[SliceRow]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in rows.iter().filter_map(|r| family(&r.slice)) {
        if !out.contains(&f) {
            out.push(f);
        }
    }
    out
}

/// The value part of a slice's name (`eu` for `region=eu`, `eu & webcam` for a cross).
pub fn short_name(slice: &str) -> String {
    if slice == "Overall" {
        return slice.to_string();
    }
    slice.split('&').map(|pair| pair.split_once('=').map_or(pair, |(_, v)| v)).collect::<Vec<_>>().join(" & ")
}

/// Weighted counts of a slice at its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Confusion {
    pub true_positives: f64,
    pub false_positives: f64,
    pub false_negatives: f64,
    pub true_negatives: f64,
}

/// The confusion matrix a slice's metrics imply (weighted count, mean label, recall, precision, accuracy): sliced
/// documents carry no counts, but these determine them. `None` when they are undefined (no positives, nothing
/// predicted positive).
pub fn confusion(m: &Metrics) -> Option<Confusion> {
    let positives = m.weighted_count * m.mean_label;
    let negatives = m.weighted_count - positives;
    let tp = m.recall * positives;
    let false_negatives = positives - tp;
    // Accuracy fixes TN when precision cannot (nothing predicted positive).
    let true_negatives = m.accuracy * m.weighted_count - tp;
    let false_positives = negatives - true_negatives;
    let all = [tp, false_positives, false_negatives, true_negatives];
    all.iter().all(|v| v.is_finite()).then(|| Confusion {
        true_positives: tp,
        false_positives: false_positives.max(0.0),
        false_negatives: false_negatives.max(0.0),
        true_negatives: true_negatives.max(0.0),
    })
}

/// The rows (indices) of examples in a named slice; `None` when the name does not match the examples' columns.
pub fn members(examples: &Examples, slice: &str) -> Option<Vec<u32>> {
    let n = examples.len();
    if slice == "Overall" {
        return Some((0..n as u32).collect());
    }
    // Each `col=value` pair: the column's codes and the value's code.
    let mut wanted: Vec<(&[u32], u32)> = Vec::new();
    for pair in slice.split('&') {
        let (column, value) = pair.split_once('=')?;
        let col = examples.columns.iter().find(|c| c.name == column)?;
        let code = col.values.iter().position(|v| v == value)? as u32;
        wanted.push((col.codes.as_slice(), code));
    }
    Some((0..n).filter(|&i| wanted.iter().all(|(codes, code)| codes[i] == *code)).map(|i| i as u32).collect())
}

/// One bin of a calibration curve: the mean score and the observed rate of positives of the examples in it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CalibrationBin {
    pub mean_prediction: f64,
    pub mean_label: f64,
    pub weight: f64,
}

/// A slice's curves: ROC (false positive rate, true positive rate) from (0,0) to (1,1), and calibration in equal-width
/// score bins (empty bins left out).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curves {
    pub roc: Vec<(f64, f64)>,
    pub calibration: Vec<CalibrationBin>,
}

/// The curves of the examples at `rows` (weighted; tied scores make one step of the ROC curve).
pub fn curves(examples: &Examples, rows: &[u32], bins: usize) -> Curves {
    let mut order: Vec<u32> = rows.iter().copied().filter(|&i| examples.weight(i as usize) > 0.0).collect();
    order.sort_by(|&a, &b| examples.scores[b as usize].total_cmp(&examples.scores[a as usize]));
    let positive = |i: usize| examples.labels[i] >= 0.5;
    let (mut pos, mut neg) = (0.0, 0.0);
    for &i in &order {
        let w = examples.weight(i as usize);
        if positive(i as usize) { pos += w } else { neg += w }
    }
    let mut roc = vec![(0.0, 0.0)];
    if pos > 0.0 && neg > 0.0 {
        let (mut tp, mut fp) = (0.0, 0.0);
        for (k, &i) in order.iter().enumerate() {
            let i = i as usize;
            if positive(i) {
                tp += examples.weight(i)
            } else {
                fp += examples.weight(i)
            }
            let last_of_tie = order.get(k + 1).is_none_or(|&j| examples.scores[j as usize] != examples.scores[i]);
            if last_of_tie {
                roc.push((fp / neg, tp / pos));
            }
        }
    } else {
        roc.clear();
    }
    let bins = bins.max(1);
    let mut sums = vec![(0.0, 0.0, 0.0); bins];
    for &i in &order {
        let i = i as usize;
        let bin = ((examples.scores[i].clamp(0.0, 1.0) * bins as f64) as usize).min(bins - 1);
        let w = examples.weight(i);
        sums[bin].0 += w * examples.scores[i];
        sums[bin].1 += w * examples.labels[i];
        sums[bin].2 += w;
    }
    let calibration = sums
        .into_iter()
        .filter(|s| s.2 > 0.0)
        .map(|(score, label, weight)| CalibrationBin {
            mean_prediction: score / weight,
            mean_label: label / weight,
            weight,
        })
        .collect();
    Curves { roc, calibration }
}

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
    /// Calibration: nearest to 1.
    NearOne,
    /// Counts and means: neither.
    Neither,
}

pub fn better(metric: &str) -> Better {
    match metric {
        "accuracy" | "precision" | "recall" | "f1" | "auc" | "pr_auc" => Better::Higher,
        "logloss" => Better::Lower,
        "calibration" => Better::NearOne,
        _ => Better::Neither,
    }
}

/// A metric's value in a row with its interval, when the row has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

impl Estimate {
    pub fn of(row: &SliceRow, metric: usize) -> Self {
        Self {
            value: row.metrics.values()[metric],
            lower: row.lower.map(|m| m.values()[metric]).filter(|v| v.is_finite()),
            upper: row.upper.map(|m| m.values()[metric]).filter(|v| v.is_finite()),
        }
    }

    /// Whether both intervals are known and do not overlap.
    fn apart_from(&self, other: &Estimate) -> Option<bool> {
        let (a_lo, a_hi, b_lo, b_hi) = (self.lower?, self.upper?, other.lower?, other.upper?);
        Some(a_hi < b_lo || b_hi < a_lo)
    }
}

/// One slice in two evaluations.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub slice: String,
    pub base: Option<Estimate>,
    pub new: Option<Estimate>,
    /// new − base (`NaN` when either is missing or undefined).
    pub delta: f64,
    /// The intervals do not overlap (`None`: no intervals to tell).
    pub significant: Option<bool>,
    /// Worse in the new evaluation, and significantly so (or, without intervals, worse by more than `tolerance`).
    pub regressed: bool,
    pub improved: bool,
}

/// Every slice of either evaluation (the base's order, then slices only the new one has), compared on one metric.
/// Without intervals a change counts when it exceeds `tolerance` (absolute).
pub fn compare(base: &[SliceRow], new: &[SliceRow], metric: usize, tolerance: f64) -> Vec<Delta> {
    let name = super::slices::METRIC_NAMES[metric];
    let mut slices: Vec<&str> = base.iter().map(|r| r.slice.as_str()).collect();
    for r in new {
        if !slices.contains(&r.slice.as_str()) {
            slices.push(&r.slice);
        }
    }
    slices
        .into_iter()
        .map(|slice| {
            let find = |rows: &[SliceRow]| rows.iter().find(|r| r.slice == slice).map(|r| Estimate::of(r, metric));
            let (b, n) = (find(base), find(new));
            let delta = match (b, n) {
                (Some(b), Some(n)) => n.value - b.value,
                _ => f64::NAN,
            };
            let significant = b.zip(n).and_then(|(b, n)| b.apart_from(&n));
            // How much better the new one is (positive: better).
            let gain = match (better(name), b, n) {
                (Better::Higher, ..) => delta,
                (Better::Lower, ..) => -delta,
                (Better::NearOne, Some(b), Some(n)) => (b.value - 1.0).abs() - (n.value - 1.0).abs(),
                _ => f64::NAN,
            };
            let counts = significant.unwrap_or(gain.abs() > tolerance) && gain.is_finite();
            Delta {
                slice: slice.to_string(),
                base: b,
                new: n,
                delta,
                significant,
                regressed: counts && gain < 0.0,
                improved: counts && gain > 0.0,
            }
        })
        .collect()
}

/// One slice's metric in one evaluation of a history.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    /// The evaluation's label (model version or run).
    pub label: String,
    pub time: String,
    pub estimate: Estimate,
}

/// One slice's metric across evaluations (`label`, `time` as RFC 3339, rows), in time order; evaluations without the
/// slice are left out.
pub fn history<'a>(
    evaluations: impl IntoIterator<Item = (&'a str, &'a str, &'a [SliceRow])>,
    slice: &str,
    metric: usize,
) -> Vec<HistoryPoint> {
    let mut points: Vec<HistoryPoint> = evaluations
        .into_iter()
        .filter_map(|(label, time, rows)| {
            let row = rows.iter().find(|r| r.slice == slice)?;
            Some(HistoryPoint { label: label.to_string(), time: time.to_string(), estimate: Estimate::of(row, metric) })
        })
        .collect();
    // RFC 3339 times in one zone sort as text; parse to be safe across zones.
    let key = |t: &str| t.parse::<jiff::Timestamp>().ok();
    points.sort_by(|a, b| key(&a.time).cmp(&key(&b.time)).then_with(|| a.time.cmp(&b.time)));
    points
}

/// Whether a row is a small slice: fewer than `min_count` examples (the overall row never is).
pub fn is_small(row: &SliceRow, min_count: f64) -> bool {
    row.slice != "Overall" && row.metrics.count < min_count
}

#[cfg(test)]
mod tests {
    use super::super::slices::{MISSING, Options, SliceColumn, Slicing, compute};
    use super::*;

    fn examples() -> Examples {
        Examples {
            labels: vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0],
            scores: vec![0.9, 0.6, 0.6, 0.2, 0.3, 0.1],
            weights: vec![1.0; 6],
            columns: vec![SliceColumn {
                name: "region".into(),
                values: vec!["eu".into(), "us".into()],
                codes: vec![0, 0, 1, 1, 1, MISSING],
            }],
            classes: None,
        }
    }

    #[test]
    fn families_and_names() {
        assert_eq!(family("Overall"), None);
        assert_eq!(family("region=eu").as_deref(), Some("region"));
        assert_eq!(family("region=eu&camera=dslr").as_deref(), Some("region&camera"));
        assert_eq!(short_name("region=eu&camera=dslr"), "eu & dslr");
        assert_eq!(short_name("hour=[6,12)"), "[6,12)");
    }

    #[test]
    fn the_confusion_matrix_follows_from_the_metrics() {
        let ex = examples();
        let rows = compute(&ex, &[Slicing::Column(0)], &Options::default());
        // At 0.5: TP 0.9 0.6(+) → 2, FP 0.6(-) → 1, FN 0.3 → 1, TN 0.2 0.1 → 2.
        let c = confusion(&rows[0].metrics).unwrap();
        let round = |v: f64| (v * 1e9).round() / 1e9;
        assert_eq!(
            [c.true_positives, c.false_positives, c.false_negatives, c.true_negatives].map(round),
            [2.0, 1.0, 1.0, 2.0]
        );
    }

    #[test]
    fn members_and_curves() {
        let ex = examples();
        assert_eq!(members(&ex, "region=us").unwrap(), [2, 3, 4]);
        assert_eq!(members(&ex, "Overall").unwrap().len(), 6);
        assert!(members(&ex, "camera=x").is_none() && members(&ex, "region=mars").is_none());
        let c = curves(&ex, &members(&ex, "Overall").unwrap(), 2);
        // Descending: 0.9+ | 0.6+ 0.6- (one step) | 0.3+ | 0.2- | 0.1-
        assert_eq!(c.roc.first(), Some(&(0.0, 0.0)));
        assert_eq!(c.roc.last(), Some(&(1.0, 1.0)));
        assert_eq!(c.roc[2], (1.0 / 3.0, 2.0 / 3.0), "the tie is one diagonal step");
        // Bins [0,0.5) and [0.5,1]: {0.2,0.3,0.1} with one positive, {0.9,0.6,0.6} with two.
        assert_eq!(c.calibration.len(), 2);
        assert!((c.calibration[0].mean_label - 1.0 / 3.0).abs() < 1e-12);
        assert!((c.calibration[1].mean_prediction - 0.7).abs() < 1e-12);
    }

    fn row(slice: &str, accuracy: f64, ci: Option<f64>) -> SliceRow {
        let m = Metrics { count: 100.0, weighted_count: 100.0, accuracy, ..Default::default() };
        let bound = |d: f64| ci.map(|w| Metrics { accuracy: accuracy + d * w, ..m });
        SliceRow { slice: slice.into(), metrics: m, lower: bound(-1.0), upper: bound(1.0), per_class: Vec::new() }
    }

    #[test]
    fn comparisons_flag_regressions_only_when_intervals_part() {
        let accuracy = 2;
        let base = [row("Overall", 0.90, Some(0.01)), row("camera=webcam", 0.85, Some(0.02)), row("x=1", 0.5, None)];
        let new = [row("Overall", 0.91, Some(0.01)), row("camera=webcam", 0.70, Some(0.03)), row("y=1", 0.5, None)];
        let d = compare(&base, &new, accuracy, 0.01);
        assert_eq!(d.iter().map(|d| d.slice.as_str()).collect::<Vec<_>>(), ["Overall", "camera=webcam", "x=1", "y=1"]);
        assert_eq!(d[0].significant, Some(false));
        assert!(!d[0].regressed && !d[0].improved, "overlapping intervals: no claim");
        assert!(d[1].regressed && d[1].significant == Some(true));
        assert!((d[1].delta + 0.15).abs() < 1e-12);
        assert!(d[2].new.is_none() && d[2].delta.is_nan() && !d[2].regressed);
        // Log loss: lower is better.
        let worse = compare(
            &[SliceRow { metrics: Metrics { logloss: 0.2, ..Default::default() }, ..row("Overall", 0.9, None) }],
            &[SliceRow { metrics: Metrics { logloss: 0.4, ..Default::default() }, ..row("Overall", 0.9, None) }],
            8,
            0.01,
        );
        assert!(worse[0].regressed);
    }

    #[test]
    fn histories_are_in_time_order() {
        let a = [row("Overall", 0.8, None)];
        let b = [row("Overall", 0.9, None), row("camera=webcam", 0.7, None)];
        let h = history([("v2", "2026-03-02T00:00:00Z", &b[..]), ("v1", "2026-03-01T00:00:00Z", &a[..])], "Overall", 2);
        assert_eq!(h.iter().map(|p| p.label.as_str()).collect::<Vec<_>>(), ["v1", "v2"]);
        assert_eq!(history([("v1", "t", &a[..])], "camera=webcam", 2).len(), 0);
    }
}
