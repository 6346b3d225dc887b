//! Training metrics, pure readers of the formats training code already writes: Katib-style `name=value` log lines
//! and JSON lines ([`lines`]), and TensorBoard event files ([`tfevents`]). Each turns input into points and reports
//! what it could not read (with the line, or the file and offset) instead of failing: bad input never panics and
//! never allocates more than the input's size. Model evaluation: per-example data read into columns ([`examples`])
//! and metrics per slice ([`slices`]).

pub mod analysis;
pub mod curves;
pub mod examples;
pub mod lines;
pub mod multiclass;
pub mod pyfmt;
pub mod sliced;
pub mod slices;
pub mod tfevents;

/// One value of one metric, at a step (the `epoch`/`step` key of a line, an event's step) and/or a wall time.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub metric: String,
    pub step: Option<i64>,
    /// Unix seconds.
    pub wall_time: Option<f64>,
    pub value: f64,
}

/// A CSV field, quoted when it holds a comma, quote or line break.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// A metric value for a table: four decimals, or scientific notation when tiny or huge; NaN and infinities as
/// Python prints them.
pub fn short(v: f64) -> String {
    if !v.is_finite() {
        return pyfmt::float(v);
    }
    if v != 0.0 && (v.abs() < 1e-3 || v.abs() >= 1e5) { format!("{v:.2e}") } else { format!("{v:.4}") }
}

/// Which way a metric is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub enum Goal {
    #[default]
    Minimize,
    Maximize,
}

impl Goal {
    /// The usual goal of a metric by its name: losses, errors and perplexities go down, the rest (accuracy, AUC,
    /// F1, reward …) up.
    pub fn guess(metric: &str) -> Goal {
        let m = metric.to_ascii_lowercase();
        let down = ["loss", "error", "err", "perplexity", "mse", "mae", "rmse", "wer", "cer", "latency"];
        if down.iter().any(|d| m == *d || m.contains(d)) { Goal::Minimize } else { Goal::Maximize }
    }

    /// The better of two values (NaN never wins).
    pub fn better(self, a: f64, b: f64) -> f64 {
        match (a.is_nan(), b.is_nan()) {
            (true, _) => b,
            (_, true) => a,
            _ => match self {
                Goal::Minimize => a.min(b),
                Goal::Maximize => a.max(b),
            },
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Goal::Minimize => "minimize",
            Goal::Maximize => "maximize",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_fields_print_for_tables_and_csv() {
        assert_eq!((short(0.25), short(1e-5), short(f64::NAN)), ("0.2500".into(), "1.00e-5".into(), "nan".into()));
        assert_eq!((csv_field("a,b"), csv_field("plain")), ("\"a,b\"".into(), "plain".into()));
    }

    #[test]
    fn goals_are_guessed_from_the_metric_name() {
        assert_eq!(Goal::guess("val_loss"), Goal::Minimize);
        assert_eq!(Goal::guess("accuracy"), Goal::Maximize);
        assert_eq!(Goal::guess("top1_error"), Goal::Minimize);
        assert_eq!(Goal::guess("auc"), Goal::Maximize);
        assert_eq!(Goal::Minimize.better(f64::NAN, 2.0), 2.0);
        assert_eq!(Goal::Maximize.better(1.0, 2.0), 2.0);
    }
}
