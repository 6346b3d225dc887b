//! Sliced metrics of a multi-class classifier: per slice the (weighted) example count, accuracy and each class's
//! recall, with seeded Poisson bootstrap intervals as for binary classifiers. The slices are the same as
//! [`super::slices`]'; only the sums differ.

use super::slices::{ClassRecall, Classes, Examples, MISSING, Metrics, Options, SliceRow, Slicing};

/// Running sums of one slice: examples, weight, weight predicted right, and per class the weight whose true class it
/// is and the part of it predicted right.
#[derive(Debug, Clone)]
struct Acc {
    n: f64,
    w: f64,
    right: f64,
    of_class: Vec<f64>,
    right_of_class: Vec<f64>,
}

impl Acc {
    fn new(classes: usize) -> Self {
        Self { n: 0.0, w: 0.0, right: 0.0, of_class: vec![0.0; classes], right_of_class: vec![0.0; classes] }
    }

    fn add(&mut self, truth: u32, predicted: u32, weight: f64) {
        if weight == 0.0 {
            return;
        }
        self.n += 1.0;
        self.w += weight;
        self.of_class[truth as usize] += weight;
        if truth == predicted {
            self.right += weight;
            self.right_of_class[truth as usize] += weight;
        }
    }

    /// Accuracy, then each class's recall.
    fn values(&self) -> Vec<f64> {
        let div = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let mut v = vec![div(self.right, self.w)];
        v.extend(self.right_of_class.iter().zip(&self.of_class).map(|(r, o)| div(*r, *o)));
        v
    }
}

/// Every slice's sums with these weights (empty: all 1): Overall first, then each slicing's slices.
fn pass(classes: &Classes, keys: &[(&[u32], usize)], weights: &[f64]) -> Vec<Vec<Acc>> {
    let k = classes.names.len();
    let mut out: Vec<Vec<Acc>> = vec![vec![Acc::new(k)]];
    out.extend(keys.iter().map(|(_, n)| vec![Acc::new(k); *n]));
    for (i, (&truth, &predicted)) in classes.truth.iter().zip(&classes.predicted).enumerate() {
        let weight = weights.get(i).copied().unwrap_or(1.0);
        out[0][0].add(truth, predicted, weight);
        for (s, (codes, _)) in keys.iter().enumerate() {
            let code = codes[i];
            if code != MISSING {
                out[s + 1][code as usize].add(truth, predicted, weight);
            }
        }
    }
    out
}

/// The rows of a multi-class classifier's examples, in the order [`super::slices::compute`] gives binary ones.
pub(super) fn compute(
    examples: &Examples,
    classes: &Classes,
    slicings: &[Slicing],
    options: &Options,
    progress: &mut dyn FnMut(f64),
) -> Vec<SliceRow> {
    let passes = (options.bootstrap + 1) as f64;
    let keys: Vec<(std::borrow::Cow<'_, [u32]>, Vec<String>)> =
        slicings.iter().map(|s| super::slices::slice_keys(examples, *s)).collect();
    let key_refs: Vec<(&[u32], usize)> = keys.iter().map(|(codes, names)| (codes.as_ref(), names.len())).collect();
    let point = pass(classes, &key_refs, &examples.weights);
    progress(1.0 / passes);
    // Per slicing, per slice: the bootstrap's values (accuracy, recalls), one vector per resample.
    let mut draws: Vec<Vec<Vec<Vec<f64>>>> = point.iter().map(|s| vec![Vec::new(); s.len()]).collect();
    if options.bootstrap > 0 {
        let mut rng = fastrand::Rng::with_seed(options.seed);
        let mut weights = vec![0.0; classes.truth.len()];
        for done in 0..options.bootstrap {
            for (i, w) in weights.iter_mut().enumerate() {
                *w = examples.weight(i) * super::slices::poisson1(&mut rng);
            }
            for (s, slices) in pass(classes, &key_refs, &weights).iter().enumerate() {
                for (c, acc) in slices.iter().enumerate() {
                    draws[s][c].push(acc.values());
                }
            }
            progress((done + 2) as f64 / passes);
        }
    }
    let row = |name: &str, acc: &Acc, draws: &[Vec<f64>]| {
        let values = acc.values();
        let bounds = |j: usize| {
            if draws.is_empty() {
                return (None, None);
            }
            let mut v: Vec<f64> = draws.iter().map(|d| d[j]).filter(|x| x.is_finite()).collect();
            v.sort_by(f64::total_cmp);
            let (lo, hi) = (super::slices::quantile(&v, 0.025), super::slices::quantile(&v, 0.975));
            (Some(lo).filter(|x| x.is_finite()), Some(hi).filter(|x| x.is_finite()))
        };
        let metrics = |accuracy: f64| Metrics {
            count: acc.n,
            weighted_count: acc.w,
            accuracy,
            precision: f64::NAN,
            recall: f64::NAN,
            f1: f64::NAN,
            auc: f64::NAN,
            pr_auc: f64::NAN,
            logloss: f64::NAN,
            mean_label: f64::NAN,
            mean_prediction: f64::NAN,
            calibration: f64::NAN,
        };
        let (lo, hi) = bounds(0);
        let with_bootstrap = !draws.is_empty();
        SliceRow {
            slice: name.to_string(),
            metrics: metrics(values[0]),
            lower: with_bootstrap.then(|| metrics(lo.unwrap_or(f64::NAN))),
            upper: with_bootstrap.then(|| metrics(hi.unwrap_or(f64::NAN))),
            per_class: classes
                .names
                .iter()
                .enumerate()
                .map(|(k, class)| {
                    let (lower, upper) = bounds(k + 1);
                    ClassRecall { class: class.clone(), recall: values[k + 1], lower, upper }
                })
                .collect(),
        }
    };
    let mut rows = vec![row("Overall", &point[0][0], &draws[0][0])];
    for (s, (_, names)) in keys.iter().enumerate() {
        let mut slice_rows: Vec<SliceRow> = names
            .iter()
            .enumerate()
            .filter(|(c, _)| point[s + 1][*c].n > 0.0)
            .map(|(c, name)| row(name, &point[s + 1][c], &draws[s + 1][c]))
            .collect();
        slice_rows.sort_by(|a, b| super::slices::natural(&a.slice, &b.slice));
        rows.extend(slice_rows);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::super::slices::{SliceColumn, compute};
    use super::*;

    fn examples() -> Examples {
        // cat, dog, bird; six photos from two cameras.
        let names = vec!["cat".to_string(), "dog".into(), "bird".into()];
        Examples {
            columns: vec![SliceColumn {
                name: "camera".into(),
                values: vec!["phone".into(), "webcam".into()],
                codes: vec![0, 0, 0, 1, 1, MISSING],
            }],
            classes: Some(Classes { names, truth: vec![0, 1, 2, 0, 1, 2], predicted: vec![0, 1, 2, 1, 1, 0] }),
            ..Default::default()
        }
    }

    #[test]
    fn accuracy_and_recall_per_class_and_slice() {
        let rows = compute(&examples(), &[Slicing::Column(0)], &Options::default());
        assert_eq!(
            rows.iter().map(|r| r.slice.as_str()).collect::<Vec<_>>(),
            ["Overall", "camera=phone", "camera=webcam"]
        );
        let overall = &rows[0];
        assert_eq!(overall.metrics.count, 6.0);
        assert!((overall.metrics.accuracy - 4.0 / 6.0).abs() < 1e-12);
        assert!(overall.metrics.auc.is_nan(), "no binary metrics");
        let recall: Vec<(&str, f64)> = overall.per_class.iter().map(|c| (c.class.as_str(), c.recall)).collect();
        assert_eq!(recall, [("cat", 0.5), ("dog", 1.0), ("bird", 0.5)]);
        let webcam = &rows[2];
        assert_eq!(webcam.metrics.accuracy, 0.5);
        assert!(webcam.per_class[2].recall.is_nan(), "no bird on the webcam");
    }

    #[test]
    fn bootstrap_bounds_are_seeded_and_hold_the_estimate() {
        let mut ex = examples();
        let classes = ex.classes.as_mut().unwrap();
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..300 {
            let truth = rng.u32(..3);
            classes.truth.push(truth);
            classes.predicted.push(if rng.f64() < 0.7 { truth } else { rng.u32(..3) });
            ex.columns[0].codes.push(rng.u32(..2));
        }
        let options = Options { bootstrap: 40, seed: 9, ..Default::default() };
        let a = compute(&ex, &[Slicing::Column(0)], &options);
        let again = compute(&ex, &[Slicing::Column(0)], &options);
        // NaN is never equal to itself: compare as the CSV prints them.
        assert_eq!(super::super::sliced::to_csv(&a), super::super::sliced::to_csv(&again));
        for row in &a {
            let (lo, hi) = (row.lower.unwrap().accuracy, row.upper.unwrap().accuracy);
            assert!(lo <= row.metrics.accuracy && row.metrics.accuracy <= hi, "{}", row.slice);
            for c in &row.per_class {
                assert!(c.lower.unwrap() <= c.recall && c.recall <= c.upper.unwrap());
            }
        }
    }
}
