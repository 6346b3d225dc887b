//! Training metrics, pure readers of the formats training code already writes: Katib-style `name=value` log lines
//! and JSON lines ([`lines`]), and TensorBoard event files ([`tfevents`]). Each turns input into points and reports
//! what it could not read (with the line, or the file and offset) instead of failing: bad input never panics and
//! never allocates more than the input's size.

pub mod lines;
pub mod pyfmt;
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
