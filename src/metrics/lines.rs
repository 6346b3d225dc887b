//! Metric lines in a training log: Katib's StdOut collector format — `name=value` pairs anywhere in a line, matched
//! by Katib's own regex — and JSON lines (`{"step": 100, "loss": 0.31}`). An `epoch` or `step` key is the x-axis of
//! the line's other values (`step` wins when both are there); a JSON `timestamp` (Unix seconds or RFC 3339) is its
//! wall time.

use regex::Regex;
use serde_json::Value;

use super::Point;

/// Katib's StdOut metrics collector pattern (group 1 the name, group 2 the value).
pub const KATIB_PATTERN: &str = r"([\w|-]+)\s*=\s*([+-]?\d*(\.\d+)?([Ee][+-]?\d+)?)";

/// At most this many values are taken from one line (a 10 MB line of pairs stays bounded).
const MAX_PAIRS: usize = 256;

/// Keys that place a line's values instead of being metrics.
const STEP_KEYS: [&str; 2] = ["step", "epoch"];

/// How a run's log lines are read: Katib's pattern (or a custom one with the same two groups), optionally only
/// some metric names.
///
/// Without a list of metrics, a `name=value` line counts only when it has an `epoch` or `step`: training scripts
/// also print their settings that way (`Using batch_size=64 epochs=3`), and those are no metrics. With a list (as
/// Katib's objective names them) or a custom pattern, every matching line counts, stepped by its wall time when it
/// has no step. JSON lines always count.
#[derive(Debug, Clone)]
pub struct LineParser {
    pattern: Regex,
    /// The pattern is Katib's own: ASCII lines take the hand-written matcher ([`katib_pairs`]), which finds the
    /// same pairs several times faster.
    katib: bool,
    /// Only these metrics (empty: every name found).
    only: Vec<String>,
    /// Pairs only from lines with a step key.
    stepped_only: bool,
}

impl Default for LineParser {
    fn default() -> Self {
        Self {
            pattern: Regex::new(KATIB_PATTERN).expect("Katib's pattern is a valid regex"),
            katib: true,
            only: Vec::new(),
            stepped_only: true,
        }
    }
}

impl LineParser {
    /// A parser with a custom pattern: its first group is the name, its second the value.
    pub fn with_pattern(pattern: &str, only: Vec<String>) -> Result<Self, String> {
        let pattern = Regex::new(pattern).map_err(|e| format!("the metric pattern is not a valid regex: {e}"))?;
        if pattern.captures_len() < 3 {
            return Err("the metric pattern needs two groups: the name, then the value".into());
        }
        Ok(Self { pattern, katib: false, only, stepped_only: false })
    }

    /// Katib's pattern, for these metrics only.
    pub fn only(metrics: Vec<String>) -> Self {
        Self { stepped_only: metrics.is_empty(), only: metrics, ..Self::default() }
    }

    /// The parser of a run's metric spec: its pattern (else Katib's) and its names (else any).
    pub fn for_spec(names: &[String], pattern: &str) -> Result<Self, String> {
        if pattern.trim().is_empty() {
            Ok(Self::only(names.to_vec()))
        } else {
            Self::with_pattern(pattern, names.to_vec())
        }
    }

    fn wanted(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    /// The points of one line (none when it holds no metric). `wall_time` is the line's time when the line does
    /// not say (the kubelet's timestamp of a log line).
    pub fn parse(&self, line: &str, wall_time: Option<f64>) -> Vec<Point> {
        let trimmed = line.trim_start();
        if trimmed.starts_with('{')
            && let Some(points) = self.parse_json(trimmed, wall_time)
        {
            return points;
        }
        self.parse_pairs(line, wall_time)
    }

    fn parse_pairs(&self, line: &str, wall_time: Option<f64>) -> Vec<Point> {
        let mut step = None;
        let mut values: Vec<(&str, f64)> = Vec::new();
        let pairs: Box<dyn Iterator<Item = (&str, &str)>> = if self.katib && line.is_ascii() {
            Box::new(katib_pairs(line))
        } else {
            Box::new(
                self.pattern
                    .captures_iter(line)
                    .filter_map(|caps| Some((caps.get(1)?.as_str(), caps.get(2)?.as_str()))),
            )
        };
        for (name, value) in pairs.take(MAX_PAIRS) {
            let Some(value) = number(value) else { continue };
            if let Some(rank) = STEP_KEYS.iter().position(|k| *k == name) {
                // `step` (rank 0) wins over `epoch`.
                if step.is_none_or(|(r, _)| rank <= r) {
                    step = Some((rank, value));
                }
            } else if self.wanted(name) {
                values.push((name, value));
            }
        }
        if step.is_none() && self.stepped_only {
            return Vec::new();
        }
        let step = step.and_then(|(_, v)| whole(v));
        values.into_iter().map(|(m, value)| Point { metric: m.to_string(), step, wall_time, value }).collect()
    }

    /// A JSON object line; `None` when it is not one (then it is read as pairs).
    fn parse_json(&self, line: &str, wall_time: Option<f64>) -> Option<Vec<Point>> {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(line) else { return None };
        let step = ["step", "epoch"].iter().find_map(|k| map.get(*k).and_then(json_number)).and_then(whole);
        let time = map.get("timestamp").and_then(timestamp).or(wall_time);
        Some(
            map.iter()
                .filter(|(k, _)| !STEP_KEYS.contains(&k.as_str()) && k.as_str() != "timestamp" && self.wanted(k))
                .filter_map(|(k, v)| Some(Point { metric: k.clone(), step, wall_time: time, value: json_number(v)? }))
                .take(MAX_PAIRS)
                .collect(),
        )
    }
}

/// What `\s` matches in ASCII.
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0B' | b'\x0C' | b'\r')
}

/// What `[\w|-]` matches in ASCII.
fn is_name(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'|' | b'-')
}

/// The (name, value) pairs [`KATIB_PATTERN`] finds in an ASCII line, found by hand: the leftmost match after the
/// last one, its name the whole run of name characters before `\s*=`, its value `[+-]?\d*(\.\d+)?([Ee][+-]?\d+)?`.
fn katib_pairs(line: &str) -> impl Iterator<Item = (&str, &str)> {
    let bytes = line.as_bytes();
    let mut from = 0;
    std::iter::from_fn(move || {
        loop {
            let eq = from + bytes.get(from..)?.iter().position(|b| *b == b'=')?;
            let mut name_end = eq;
            while name_end > from && is_space(bytes[name_end - 1]) {
                name_end -= 1;
            }
            let mut name_start = name_end;
            while name_start > from && is_name(bytes[name_start - 1]) {
                name_start -= 1;
            }
            if name_start == name_end {
                from = eq + 1;
                continue;
            }
            let digits = |mut i: usize| {
                while i < bytes.len() && bytes[i].is_ascii_digit() {
                    i += 1;
                }
                i
            };
            let mut v = eq + 1;
            while v < bytes.len() && is_space(bytes[v]) {
                v += 1;
            }
            let value_start = v;
            if v < bytes.len() && matches!(bytes[v], b'+' | b'-') {
                v += 1;
            }
            v = digits(v);
            if v + 1 < bytes.len() && bytes[v] == b'.' && bytes[v + 1].is_ascii_digit() {
                v = digits(v + 1);
            }
            if v < bytes.len() && matches!(bytes[v], b'e' | b'E') {
                let mut e = v + 1;
                if e < bytes.len() && matches!(bytes[e], b'+' | b'-') {
                    e += 1;
                }
                if e < bytes.len() && bytes[e].is_ascii_digit() {
                    v = digits(e);
                }
            }
            from = v;
            return Some((&line[name_start..name_end], &line[value_start..v]));
        }
    })
}

/// A value as Katib's pattern captures it (`.5`, `-3`, `1e-4`); empty or a lone sign is no value.
fn number(text: &str) -> Option<f64> {
    if !text.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok().filter(|v: &f64| v.is_finite())
}

fn json_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        // Python's json writes NaN/Infinity unquoted (not JSON); quoted numbers are taken.
        Value::String(s) => s.trim().parse().ok().filter(|v: &f64| v.is_finite()),
        _ => None,
    }
}

/// A step given as `3` or `3.0`; fractional or huge steps are no step.
fn whole(v: f64) -> Option<i64> {
    (v.fract() == 0.0 && v.abs() < 9.0e15).then_some(v as i64)
}

fn timestamp(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse::<jiff::Timestamp>().ok().map(|t| t.as_millisecond() as f64 / 1000.0),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(line: &str) -> Vec<(String, Option<i64>, f64)> {
        LineParser::default().parse(line, None).into_iter().map(|p| (p.metric, p.step, p.value)).collect()
    }

    #[test]
    fn katib_lines_give_their_pairs_with_the_epoch_as_step() {
        assert_eq!(
            parse("epoch=3 loss=0.41 accuracy=0.87"),
            [("loss".into(), Some(3), 0.41), ("accuracy".into(), Some(3), 0.87)]
        );
        assert_eq!(parse("step = 120, val-loss=-1.5e-3"), [("val-loss".into(), Some(120), -1.5e-3)]);
        assert_eq!(parse("epoch=2 step=200 loss=.5"), [("loss".into(), Some(200), 0.5)], "step wins over epoch");
        assert_eq!(parse("Using lr=1E+2 batch_size=64"), [], "settings printed without a step are no metrics");
        let named = LineParser::only(vec!["lr".into(), "a|b".into()]);
        let got = |line: &str| -> Vec<_> {
            named.parse(line, None).into_iter().map(|p| (p.metric, p.step, p.value)).collect()
        };
        assert_eq!(got("lr=1E+2 batch_size=64"), [("lr".into(), None, 100.0)], "named metrics need no step");
        assert_eq!(got("a|b=7"), [("a|b".into(), None, 7.0)], "Katib's names may hold |");
    }

    #[test]
    fn junk_is_no_metric() {
        for junk in ["", "Starting training", "name=value", "x=+", "x=-", "x=.", "=3", "loss=nan", "\u{0}\u{ff}=="] {
            assert_eq!(parse(junk), [], "{junk:?}");
        }
        assert_eq!(parse("epoch=1.5 loss=2"), [("loss".into(), None, 2.0)], "a fractional epoch is no step");
    }

    #[test]
    fn json_lines_give_their_numbers() {
        let points = LineParser::default().parse(
            r#"{"step": 100, "loss": 0.31, "acc": "0.9", "name": "x", "timestamp": "2026-01-01T00:00:01Z"}"#,
            Some(5.0),
        );
        let got: Vec<_> = points.iter().map(|p| (p.metric.as_str(), p.step, p.wall_time, p.value)).collect();
        assert_eq!(got, [("acc", Some(100), Some(1767225601.0), 0.9), ("loss", Some(100), Some(1767225601.0), 0.31)]);
        assert_eq!(parse(r#"{"epoch": 2, "loss": 1e400}"#), [], "out-of-range numbers are dropped");
        assert_eq!(parse("{not json} step=4 loss=1"), [("loss".into(), Some(4), 1.0)], "a brace alone is a text line");
    }

    #[test]
    fn custom_patterns_and_chosen_metrics() {
        let p = LineParser::with_pattern(r"(\w+): ([\d.]+)", vec!["loss".into()]).expect("pattern");
        let got: Vec<_> = p.parse("loss: 0.25 acc: 0.5", Some(9.0)).into_iter().map(|p| (p.metric, p.value)).collect();
        assert_eq!(got, [("loss".to_string(), 0.25)]);
        assert!(LineParser::with_pattern("(", vec![]).is_err());
        assert!(LineParser::with_pattern(r"\w+=\d+", vec![]).unwrap_err().contains("two groups"));
    }

    #[test]
    fn a_huge_line_is_bounded() {
        let line = "m=1 ".repeat(2_500_000); // 10 MB
        assert_eq!(LineParser::only(vec!["m".into()]).parse(&line, None).len(), MAX_PAIRS);
    }

    proptest::proptest! {
        #[test]
        fn any_text_parses_without_panic(line in ".{0,400}") {
            let _ = LineParser::default().parse(&line, Some(1.0));
        }

        #[test]
        fn the_hand_matcher_finds_what_katib_s_regex_finds(line in "[a-z_|=. eE+0-9\t-]{0,60}") {
            let regex = Regex::new(KATIB_PATTERN).expect("pattern");
            let by_regex: Vec<(&str, &str)> =
                regex.captures_iter(&line).filter_map(|c| Some((c.get(1)?.as_str(), c.get(2)?.as_str()))).collect();
            let by_hand: Vec<(&str, &str)> = katib_pairs(&line).collect();
            proptest::prop_assert_eq!(by_hand, by_regex);
        }
    }
}
