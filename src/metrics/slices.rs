//! Sliced model metrics, as TensorFlow Model Analysis computes them for a binary classifier: per slice (the overall
//! set, each value of a column, numeric columns binned, crosses of two columns) the weighted example count,
//! accuracy, precision, recall and F1 at a threshold, ROC AUC and PR AUC (average precision) with ties handled, log
//! loss, mean label and prediction and their ratio; optionally with bootstrap confidence intervals (TFMA's Poisson
//! bootstrap, seeded). Pure: the examples arrive as columns ([`Examples`]); reading files is [`super::examples`]'s.
//!
//! One sort of all examples by score serves every slice: each pass walks the examples in that order and keeps
//! running sums per slice, so AUC costs one pass, not a sort per slice.

use std::collections::HashMap;

/// A column whose values name slices, dictionary-encoded: `codes[row]` indexes `values` (`MISSING`: no value, the
/// row belongs to no slice of the column, as in TFMA).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SliceColumn {
    pub name: String,
    pub values: Vec<String>,
    pub codes: Vec<u32>,
}

pub const MISSING: u32 = u32::MAX;

/// The examples: label (0 or 1), predicted score of the positive class, weight (none at all: every example weighs
/// 1), and the slice columns. A multi-class classifier's examples carry their true and predicted classes instead of
/// labels and scores.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Examples {
    pub labels: Vec<f64>,
    pub scores: Vec<f64>,
    pub weights: Vec<f64>,
    pub columns: Vec<SliceColumn>,
    pub classes: Option<Classes>,
}

/// A multi-class classifier's examples: each one's true and predicted class, as codes into `names`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Classes {
    pub names: Vec<String>,
    pub truth: Vec<u32>,
    pub predicted: Vec<u32>,
}

/// One class's recall in a slice (`NaN` when the slice has no example of it), with its bootstrap bounds.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassRecall {
    pub class: String,
    pub recall: f64,
    pub lower: Option<f64>,
    pub upper: Option<f64>,
}

impl Examples {
    /// How many examples there are.
    pub fn len(&self) -> usize {
        self.classes.as_ref().map_or(self.labels.len(), |c| c.truth.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Example `i`'s weight.
    pub fn weight(&self, i: usize) -> f64 {
        self.weights.get(i).copied().unwrap_or(1.0)
    }

    /// Puts the examples in descending score order (every column alike). [`compute`] walks sorted examples in
    /// memory order, many times faster than through an order of indices; nothing else depends on the order.
    pub fn sort_by_score(&mut self) {
        if is_descending(&self.scores) {
            return;
        }
        let order = descending_order(&self.scores);
        fn permute<T: Copy>(column: &mut Vec<T>, order: &[u32]) {
            if !column.is_empty() {
                *column = order.iter().map(|&i| column[i as usize]).collect();
            }
        }
        permute(&mut self.labels, &order);
        permute(&mut self.scores, &order);
        permute(&mut self.weights, &order);
        for c in &mut self.columns {
            permute(&mut c.codes, &order);
        }
    }
}

fn is_descending(scores: &[f64]) -> bool {
    scores.windows(2).all(|w| w[0] >= w[1])
}

/// Row indices by descending score (NaN scores never reach here: the reader refuses them). The scores' bits, made to
/// order as unsigned integers, sort beside their rows: no lookups into the scores while sorting.
fn descending_order(scores: &[f64]) -> Vec<u32> {
    let ordered_bits = |v: f64| {
        let bits = v.to_bits();
        if bits >> 63 == 1 { !bits } else { bits | (1 << 63) }
    };
    let mut keyed: Vec<(u64, u32)> = scores.iter().enumerate().map(|(i, s)| (!ordered_bits(*s), i as u32)).collect();
    keyed.sort_unstable();
    keyed.into_iter().map(|(_, i)| i).collect()
}

/// How to slice: by one column (its index in [`Examples::columns`]) or by two at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slicing {
    Column(usize),
    Cross(usize, usize),
}

/// The metrics of one slice; `NaN` where a metric is undefined (no positives for recall and AUC …).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Metrics {
    pub count: f64,
    pub weighted_count: f64,
    pub accuracy: f64,
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    pub auc: f64,
    pub pr_auc: f64,
    pub logloss: f64,
    pub mean_label: f64,
    pub mean_prediction: f64,
    pub calibration: f64,
}

/// The metric names in output order (after `slice`).
pub const METRIC_NAMES: [&str; 12] = [
    "count",
    "weighted_count",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "auc",
    "pr_auc",
    "logloss",
    "mean_label",
    "mean_prediction",
    "calibration",
];

impl Metrics {
    pub fn values(&self) -> [f64; 12] {
        [
            self.count,
            self.weighted_count,
            self.accuracy,
            self.precision,
            self.recall,
            self.f1,
            self.auc,
            self.pr_auc,
            self.logloss,
            self.mean_label,
            self.mean_prediction,
            self.calibration,
        ]
    }

    /// The metrics of values in [`METRIC_NAMES`] order (the inverse of [`Metrics::values`]).
    pub fn from_values(v: [f64; 12]) -> Self {
        let [
            count,
            weighted_count,
            accuracy,
            precision,
            recall,
            f1,
            auc,
            pr_auc,
            logloss,
            mean_label,
            mean_prediction,
            calibration,
        ] = v;
        Self {
            count,
            weighted_count,
            accuracy,
            precision,
            recall,
            f1,
            auc,
            pr_auc,
            logloss,
            mean_label,
            mean_prediction,
            calibration,
        }
    }
}

/// One row of the result: the slice's name (`Overall`, `col=value`, `a=x&b=y`), its metrics, and their bootstrap
/// bounds when asked for. A multi-class classifier's rows have the counts and accuracy (the binary metrics `NaN`)
/// and each class's recall.
#[derive(Debug, Clone, PartialEq)]
pub struct SliceRow {
    pub slice: String,
    pub metrics: Metrics,
    pub lower: Option<Metrics>,
    pub upper: Option<Metrics>,
    pub per_class: Vec<ClassRecall>,
}

/// Options of a computation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Options {
    pub threshold: f64,
    /// Resamples for confidence intervals (0: none).
    pub bootstrap: usize,
    pub seed: u64,
}

impl Default for Options {
    fn default() -> Self {
        Self { threshold: 0.5, bootstrap: 0, seed: 1 }
    }
}

/// Running sums of one slice in one pass (examples in descending score order).
#[derive(Debug, Clone, Copy, Default)]
struct Acc {
    n: f64,
    w: f64,
    pos: f64,
    tp: f64,
    fp: f64,
    tn: f64,
    fn_: f64,
    sum_score: f64,
    loss: f64,
    // ROC and PR curves: positives/negatives above the current tie block, the block, and the areas so far.
    above_pos: f64,
    above_neg: f64,
    block_score: f64,
    block_pos: f64,
    block_neg: f64,
    started: bool,
    roc: f64,
    ap: f64,
}

const EPS: f64 = 1e-15;

/// One example as every slice it belongs to adds it.
#[derive(Debug, Clone, Copy)]
struct Example {
    positive: bool,
    predicted: bool,
    score: f64,
    weight: f64,
    /// Its weighted log loss (the score clipped to [1e-15, 1 - 1e-15], as scikit-learn does).
    loss: f64,
}

impl Example {
    fn new(label: f64, score: f64, weight: f64, threshold: f64) -> Self {
        let positive = label >= 0.5;
        let p = score.clamp(EPS, 1.0 - EPS);
        let loss = if weight == 0.0 { 0.0 } else { -weight * if positive { p.ln() } else { (1.0 - p).ln() } };
        Self { positive, predicted: score >= threshold, score, weight, loss }
    }
}

impl Acc {
    fn close_block(&mut self, total_pos: f64) {
        self.roc += self.block_neg * (self.above_pos + 0.5 * self.block_pos);
        self.above_pos += self.block_pos;
        self.above_neg += self.block_neg;
        if self.block_pos > 0.0 && total_pos > 0.0 {
            let precision = self.above_pos / (self.above_pos + self.above_neg);
            self.ap += self.block_pos / total_pos * precision;
        }
        self.block_pos = 0.0;
        self.block_neg = 0.0;
    }

    /// Adds one example (its weighted log loss and whether it is predicted positive computed once for all its
    /// slices); `total_pos` is the slice's weighted positives (from a first pass).
    fn add(&mut self, example: &Example, total_pos: f64) {
        let Example { positive, predicted, score, weight, loss } = *example;
        if weight == 0.0 {
            return;
        }
        if self.started && score != self.block_score {
            self.close_block(total_pos);
        }
        self.started = true;
        self.block_score = score;
        self.n += 1.0;
        self.w += weight;
        self.sum_score += weight * score;
        self.loss += loss;
        if positive {
            self.pos += weight;
            self.block_pos += weight;
        } else {
            self.block_neg += weight;
        }
        match (positive, predicted) {
            (true, true) => self.tp += weight,
            (true, false) => self.fn_ += weight,
            (false, true) => self.fp += weight,
            (false, false) => self.tn += weight,
        }
    }

    fn finish(mut self, total_pos: f64) -> Metrics {
        self.close_block(total_pos);
        let div = |a: f64, b: f64| if b > 0.0 { a / b } else { f64::NAN };
        let negatives = self.w - self.pos;
        let precision = div(self.tp, self.tp + self.fp);
        let recall = div(self.tp, self.tp + self.fn_);
        let mean_label = div(self.pos, self.w);
        let mean_prediction = div(self.sum_score, self.w);
        Metrics {
            count: self.n,
            weighted_count: self.w,
            accuracy: div(self.tp + self.tn, self.w),
            precision,
            recall,
            f1: if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { f64::NAN },
            auc: if self.pos > 0.0 && negatives > 0.0 { self.roc / (self.pos * negatives) } else { f64::NAN },
            pr_auc: if self.pos > 0.0 { self.ap } else { f64::NAN },
            logloss: div(self.loss, self.w),
            mean_label,
            mean_prediction,
            calibration: div(mean_prediction, mean_label),
        }
    }
}

/// The slices of a slicing: each row's slice number (`MISSING` for none; a column's own codes, borrowed) and the
/// slices' names.
pub(super) fn slice_keys(examples: &Examples, slicing: Slicing) -> (std::borrow::Cow<'_, [u32]>, Vec<String>) {
    match slicing {
        Slicing::Column(c) => {
            let col = &examples.columns[c];
            let names = col.values.iter().map(|v| format!("{}={v}", col.name)).collect();
            (std::borrow::Cow::Borrowed(col.codes.as_slice()), names)
        }
        Slicing::Cross(a, b) => {
            let (ca, cb) = (&examples.columns[a], &examples.columns[b]);
            // Pairs numbered as they first appear; a dense table when the two columns have few values together.
            let width = cb.values.len();
            let mut dense: Option<Vec<u32>> =
                (ca.values.len() * width <= 1 << 20).then(|| vec![MISSING; ca.values.len() * width]);
            let mut sparse: HashMap<(u32, u32), u32> = HashMap::new();
            let mut names = Vec::new();
            let codes: Vec<u32> = ca
                .codes
                .iter()
                .zip(&cb.codes)
                .map(|(&x, &y)| {
                    if x == MISSING || y == MISSING {
                        return MISSING;
                    }
                    let known = match &dense {
                        Some(table) => table[x as usize * width + y as usize],
                        None => sparse.get(&(x, y)).copied().unwrap_or(MISSING),
                    };
                    if known != MISSING {
                        return known;
                    }
                    names.push(format!("{}={}&{}={}", ca.name, ca.values[x as usize], cb.name, cb.values[y as usize]));
                    let id = (names.len() - 1) as u32;
                    match &mut dense {
                        Some(table) => table[x as usize * width + y as usize] = id,
                        None => {
                            sparse.insert((x, y), id);
                        }
                    }
                    id
                })
                .collect();
            (std::borrow::Cow::Owned(codes), names)
        }
    }
}

/// The running sums of the overall set (when `overall`) and of each slicing in `keys`, walking `rows` (descending
/// score) with these weights (empty: all 1).
fn walk(
    examples: &Examples,
    rows: impl Iterator<Item = usize>,
    keys: &[(&[u32], usize)],
    weights: &[f64],
    threshold: f64,
    overall: bool,
) -> Vec<Vec<Metrics>> {
    let weight = |i: usize| weights.get(i).copied().unwrap_or(1.0);
    // Weighted positives per slice first: the PR curve's recall needs the total.
    let mut positives: Vec<Vec<f64>> = keys.iter().map(|(_, n)| vec![0.0; *n]).collect();
    let mut overall_pos = 0.0;
    for (i, &label) in examples.labels.iter().enumerate() {
        if label >= 0.5 {
            let w = weight(i);
            overall_pos += w;
            for (k, (codes, _)) in keys.iter().enumerate() {
                let code = codes[i];
                if code != MISSING {
                    positives[k][code as usize] += w;
                }
            }
        }
    }
    let mut all = Acc::default();
    let mut accs: Vec<Vec<Acc>> = keys.iter().map(|(_, n)| vec![Acc::default(); *n]).collect();
    for i in rows {
        let example = Example::new(examples.labels[i], examples.scores[i], weight(i), threshold);
        if overall {
            all.add(&example, overall_pos);
        }
        for (k, (codes, _)) in keys.iter().enumerate() {
            let code = codes[i];
            if code != MISSING {
                let c = code as usize;
                accs[k][c].add(&example, positives[k][c]);
            }
        }
    }
    let mut out = Vec::new();
    if overall {
        out.push(vec![all.finish(overall_pos)]);
    }
    for (k, slices) in accs.into_iter().enumerate() {
        out.push(slices.into_iter().enumerate().map(|(c, a)| a.finish(positives[k][c])).collect());
    }
    out
}

/// One pass: every slice's metrics with these weights (Overall first, then each slicing's), the examples walked in
/// `order` (descending score; `None`: they are sorted already). Big sets are split by slicing over two threads.
fn pass(
    examples: &Examples,
    order: Option<&[u32]>,
    keys: &[(&[u32], usize)],
    weights: &[f64],
    threshold: f64,
) -> Vec<Vec<Metrics>> {
    let n = examples.labels.len();
    let run = |keys: &[(&[u32], usize)], overall: bool| match order {
        Some(order) => walk(examples, order.iter().map(|&i| i as usize), keys, weights, threshold, overall),
        None => walk(examples, 0..n, keys, weights, threshold, overall),
    };
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    if threads < 2 || keys.is_empty() || n < 200_000 {
        return run(keys, true);
    }
    // The overall set goes with the first half, so the halves are about even.
    let (first, second) = keys.split_at(keys.len() / 2);
    std::thread::scope(|scope| {
        let other = scope.spawn(|| run(second, false));
        let mut out = run(first, true);
        match other.join() {
            Ok(rest) => out.extend(rest),
            // A panic on the other thread is a bug; compute its half here rather than lose it.
            Err(_) => out.extend(run(second, false)),
        }
        out
    })
}

/// A draw from Poisson(1) (Knuth's method: few iterations at this mean).
pub(super) fn poisson1(rng: &mut fastrand::Rng) -> f64 {
    let limit = (-1.0f64).exp();
    let mut k = 0.0;
    let mut p = rng.f64();
    while p > limit {
        k += 1.0;
        p *= rng.f64();
    }
    k
}

/// The quantile `q` of sorted finite values (linear between ranks), `NaN` when there are none.
pub(super) fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let at = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (at.floor() as usize, at.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo as f64)
}

/// Every slice's metrics: `Overall` first, then the slices of each slicing in the order asked, each slicing's slices
/// by name.
pub fn compute(examples: &Examples, slicings: &[Slicing], options: &Options) -> Vec<SliceRow> {
    compute_with_progress(examples, slicings, options, &mut |_| {})
}

/// [`compute`], telling `progress` the fraction of passes done (one, plus one per bootstrap resample).
pub fn compute_with_progress(
    examples: &Examples,
    slicings: &[Slicing],
    options: &Options,
    progress: &mut dyn FnMut(f64),
) -> Vec<SliceRow> {
    if let Some(classes) = &examples.classes {
        return super::multiclass::compute(examples, classes, slicings, options, progress);
    }
    let passes = (options.bootstrap + 1) as f64;
    let n = examples.labels.len();
    let order: Option<Vec<u32>> = (!is_descending(&examples.scores)).then(|| descending_order(&examples.scores));
    let order = order.as_deref();
    let keys: Vec<(std::borrow::Cow<'_, [u32]>, Vec<String>)> =
        slicings.iter().map(|s| slice_keys(examples, *s)).collect();
    let key_refs: Vec<(&[u32], usize)> = keys.iter().map(|(codes, names)| (codes.as_ref(), names.len())).collect();
    let point = pass(examples, order, &key_refs, &examples.weights, options.threshold);
    progress(1.0 / passes);
    // Per slicing (Overall first), per slice: the lower and upper bounds.
    type Bounds = Vec<Vec<Metrics>>;
    let mut bounds: Option<(Bounds, Bounds)> = None;
    if options.bootstrap > 0 {
        let mut rng = fastrand::Rng::with_seed(options.seed);
        let mut samples: Vec<Vec<Vec<[f64; 12]>>> =
            point.iter().map(|slices| vec![Vec::with_capacity(options.bootstrap); slices.len()]).collect();
        let mut weights = vec![0.0; n];
        for done in 0..options.bootstrap {
            progress((done + 1) as f64 / passes);
            for (i, w) in weights.iter_mut().enumerate() {
                *w = examples.weight(i) * poisson1(&mut rng);
            }
            let resampled = pass(examples, order, &key_refs, &weights, options.threshold);
            for (k, slices) in resampled.iter().enumerate() {
                for (c, m) in slices.iter().enumerate() {
                    samples[k][c].push(m.values());
                }
            }
        }
        let interval = |draws: &[[f64; 12]], q: f64| {
            let mut out = [f64::NAN; 12];
            for (j, value) in out.iter_mut().enumerate() {
                let mut v: Vec<f64> = draws.iter().map(|d| d[j]).filter(|x| x.is_finite()).collect();
                v.sort_by(f64::total_cmp);
                *value = quantile(&v, q);
            }
            Metrics::from_values(out)
        };
        let lower = samples.iter().map(|s| s.iter().map(|d| interval(d, 0.025)).collect()).collect();
        let upper = samples.iter().map(|s| s.iter().map(|d| interval(d, 0.975)).collect()).collect();
        bounds = Some((lower, upper));
    }
    let bound =
        |k: usize, c: usize, lower: bool| bounds.as_ref().map(|(lo, hi)| if lower { lo[k][c] } else { hi[k][c] });
    let mut rows = vec![SliceRow {
        slice: "Overall".into(),
        metrics: point[0][0],
        lower: bound(0, 0, true),
        upper: bound(0, 0, false),
        per_class: Vec::new(),
    }];
    for (k, (_, names)) in keys.iter().enumerate() {
        let mut slice_rows: Vec<SliceRow> = names
            .iter()
            .enumerate()
            .filter(|(c, _)| point[k + 1][*c].count > 0.0)
            .map(|(c, name)| SliceRow {
                slice: name.clone(),
                metrics: point[k + 1][c],
                lower: bound(k + 1, c, true),
                upper: bound(k + 1, c, false),
                per_class: Vec::new(),
            })
            .collect();
        slice_rows.sort_by(|a, b| natural(&a.slice, &b.slice));
        rows.extend(slice_rows);
    }
    rows
}

/// Orders names with numbers by their value (`hour=[2,4)` before `hour=[10,12)`).
pub(super) fn natural(a: &str, b: &str) -> std::cmp::Ordering {
    let key = |s: &str| {
        let digits: String = s
            .chars()
            .skip_while(|c| !c.is_ascii_digit() && *c != '-')
            .take_while(|c| c.is_ascii_digit() || *c == '.' || *c == '-')
            .collect();
        digits.parse::<f64>().ok()
    };
    let prefix = |s: &str| s.split('=').next().unwrap_or(s).to_string();
    prefix(a).cmp(&prefix(b)).then_with(|| match (key(a), key(b)) {
        (Some(x), Some(y)) => x.total_cmp(&y).then_with(|| a.cmp(b)),
        _ => a.cmp(b),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn examples(rows: &[(f64, f64, f64, &str)]) -> Examples {
        let mut values: Vec<String> = Vec::new();
        let codes = rows
            .iter()
            .map(|(_, _, _, v)| {
                if v.is_empty() {
                    return MISSING;
                }
                match values.iter().position(|x| x == v) {
                    Some(i) => i as u32,
                    None => {
                        values.push(v.to_string());
                        (values.len() - 1) as u32
                    }
                }
            })
            .collect();
        Examples {
            labels: rows.iter().map(|r| r.0).collect(),
            scores: rows.iter().map(|r| r.1).collect(),
            weights: rows.iter().map(|r| r.2).collect(),
            columns: vec![SliceColumn { name: "region".into(), values, codes }],
            classes: None,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9 || (a.is_nan() && b.is_nan())
    }

    #[test]
    fn metrics_match_hand_computed_values_with_ties_and_weights() {
        // Scores with a tie between a positive and a negative (0.6); sklearn gives roc_auc 0.8333…, AP 0.8333….
        let ex = examples(&[
            (1.0, 0.9, 1.0, "eu"),
            (0.0, 0.6, 1.0, "eu"),
            (1.0, 0.6, 1.0, "us"),
            (0.0, 0.2, 1.0, "us"),
            (1.0, 0.3, 1.0, "us"),
        ]);
        let rows = compute(&ex, &[Slicing::Column(0)], &Options::default());
        let overall = rows[0].metrics;
        assert_eq!(rows[0].slice, "Overall");
        // Positives {0.9, 0.6, 0.3}, negatives {0.6, 0.2}: pairs ranked right 1+1+0.5+1+1 of 6 → 4.5/6.
        assert!(close(overall.auc, 0.75), "{}", overall.auc);
        // AP: thresholds 0.9 (P=1, R=1/3), 0.6 (P=2/3, R=2/3), 0.3 (P=3/4, R=1): 1/3·1 + 1/3·2/3 + 1/3·3/4.
        assert!(close(overall.pr_auc, (1.0 + 2.0 / 3.0 + 0.75) / 3.0), "{}", overall.pr_auc);
        // At 0.5: TP 2 (0.9, 0.6), FP 1 (0.6), FN 1 (0.3), TN 1 (0.2).
        assert!(
            close(overall.accuracy, 0.6) && close(overall.precision, 2.0 / 3.0) && close(overall.recall, 2.0 / 3.0)
        );
        assert!(close(overall.f1, 2.0 / 3.0));
        let logloss = -((0.9f64).ln() + (0.4f64).ln() + (0.6f64).ln() + (0.8f64).ln() + (0.3f64).ln()) / 5.0;
        assert!(close(overall.logloss, logloss));
        assert!(close(overall.mean_label, 0.6) && close(overall.mean_prediction, 0.52));
        assert!(close(overall.calibration, 0.52 / 0.6));
        assert_eq!(rows.iter().map(|r| r.slice.as_str()).collect::<Vec<_>>(), ["Overall", "region=eu", "region=us"]);
        let eu = rows[1].metrics;
        assert!(close(eu.auc, 1.0) && close(eu.count, 2.0));

        // A weight of 2 counts as the example twice.
        let weighted = examples(&[(1.0, 0.9, 2.0, "a"), (0.0, 0.4, 1.0, "a"), (0.0, 0.95, 1.0, "a")]);
        let twice =
            examples(&[(1.0, 0.9, 1.0, "a"), (1.0, 0.9, 1.0, "a"), (0.0, 0.4, 1.0, "a"), (0.0, 0.95, 1.0, "a")]);
        let a = compute(&weighted, &[], &Options::default())[0].metrics;
        let b = compute(&twice, &[], &Options::default())[0].metrics;
        assert!(close(a.auc, b.auc) && close(a.pr_auc, b.pr_auc) && close(a.logloss, b.logloss));
        assert_eq!((a.count, a.weighted_count), (3.0, 4.0));
    }

    #[test]
    fn undefined_metrics_are_nan_and_missing_values_belong_to_no_slice() {
        let ex = examples(&[(1.0, 0.9, 1.0, "eu"), (1.0, 0.2, 1.0, ""), (0.0, 0.1, 1.0, "us")]);
        let rows = compute(&ex, &[Slicing::Column(0)], &Options::default());
        let eu = rows.iter().find(|r| r.slice == "region=eu").unwrap().metrics;
        assert!(eu.auc.is_nan(), "only positives: no AUC");
        assert_eq!(
            rows.iter().map(|r| r.metrics.count).sum::<f64>(),
            3.0 + 2.0,
            "the row without a region is only in Overall"
        );
    }

    #[test]
    fn bootstrap_intervals_are_reproducible_and_hold_the_point_estimate() {
        let mut rng = fastrand::Rng::with_seed(7);
        let rows: Vec<(f64, f64, f64, &str)> = (0..400)
            .map(|i| {
                let label = if rng.f64() < 0.4 { 1.0 } else { 0.0 };
                let score = (label * 0.3 + rng.f64() * 0.7).min(1.0);
                (label, score, 1.0, if i % 2 == 0 { "a" } else { "b" })
            })
            .collect();
        let ex = examples(&rows);
        let options = Options { bootstrap: 50, seed: 3, ..Default::default() };
        let first = compute(&ex, &[Slicing::Column(0)], &options);
        let again = compute(&ex, &[Slicing::Column(0)], &options);
        assert_eq!(first, again, "the same seed, the same intervals");
        for row in &first {
            let (lo, hi) = (row.lower.unwrap(), row.upper.unwrap());
            for ((l, h), p) in lo.values().iter().zip(hi.values()).zip(row.metrics.values()).skip(2) {
                assert!(*l <= p + 1e-9 && p <= h + 1e-9, "{} not in [{l}, {h}] for {}", p, row.slice);
            }
        }
    }

    #[test]
    fn sorted_examples_and_two_threads_give_the_same_numbers() {
        // Big enough for the two-thread pass; unsorted, then sorted in place.
        let mut rng = fastrand::Rng::with_seed(11);
        let n = 250_000;
        let codes = |k: u32, rng: &mut fastrand::Rng| (0..n).map(|_| rng.u32(..k)).collect::<Vec<u32>>();
        let col = |name: &str, k: u32, rng: &mut fastrand::Rng| SliceColumn {
            name: name.into(),
            values: (0..k).map(|v| v.to_string()).collect(),
            codes: codes(k, rng),
        };
        let mut ex = Examples {
            labels: (0..n).map(|_| f64::from(u8::from(rng.bool()))).collect(),
            scores: (0..n).map(|_| (rng.f64() * 100.0).round() / 100.0).collect(),
            weights: Vec::new(),
            columns: vec![col("a", 5, &mut rng), col("b", 3, &mut rng)],
            classes: None,
        };
        let slicings = [Slicing::Column(0), Slicing::Column(1), Slicing::Cross(0, 1)];
        let unsorted = compute(&ex, &slicings, &Options::default());
        ex.sort_by_score();
        assert!(ex.scores.windows(2).all(|w| w[0] >= w[1]));
        let sorted = compute(&ex, &slicings, &Options::default());
        assert_eq!(unsorted.len(), 1 + 5 + 3 + 15);
        for (a, b) in unsorted.iter().zip(&sorted) {
            assert_eq!(a.slice, b.slice);
            for (x, y) in a.metrics.values().iter().zip(b.metrics.values()) {
                assert!((x - y).abs() < 1e-9, "{}: {x} vs {y}", a.slice);
            }
        }
    }

    #[test]
    fn crosses_name_both_values() {
        let mut ex = examples(&[(1.0, 0.9, 1.0, "eu"), (0.0, 0.2, 1.0, "us")]);
        ex.columns.push(SliceColumn { name: "camera".into(), values: vec!["front".into()], codes: vec![0, 0] });
        let rows = compute(&ex, &[Slicing::Cross(0, 1)], &Options::default());
        assert_eq!(rows[1].slice, "region=eu&camera=front");
    }
}
