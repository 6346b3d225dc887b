//! Hyperparameter sweeps: `--param lr=0.1,0.01` lists (a grid over every combination) and `lr=1e-4..1e-1:log`
//! ranges (sampled, `--random N`), expanded into runs of one experiment.

use std::fmt;

/// What one parameter may take.
#[derive(Debug, Clone, PartialEq)]
pub enum Domain {
    /// These values, as written.
    Values(Vec<String>),
    /// A number between `low` and `high`, uniformly or (`log`) log-uniformly; `integer` rounds.
    Range { low: f64, high: f64, log: bool, integer: bool },
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub domain: Domain,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SweepError {
    #[error("--param {0}: expected NAME=VALUES, e.g. lr=0.1,0.01 or lr=1e-4..1e-1:log")]
    Syntax(String),
    #[error("--param {name}: {why}")]
    Bad { name: String, why: String },
    #[error("--param {0} is a range: sample it with --random N, or list values (lr=0.1,0.01) for a grid")]
    RangeInGrid(String),
    #[error("the sweep would make {0} runs; at most {MAX_RUNS} at once")]
    TooMany(usize),
}

/// More runs than this at once is almost always a typo.
pub const MAX_RUNS: usize = 1000;

impl Param {
    /// Parses `name=a,b,c`, `name=low..high`, `name=low..high:log` or `name=low..high:int`.
    pub fn parse(text: &str) -> Result<Self, SweepError> {
        let (name, values) = text.split_once('=').ok_or_else(|| SweepError::Syntax(text.to_string()))?;
        let name = name.trim();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
            return Err(SweepError::Syntax(text.to_string()));
        }
        let bad = |why: &str| SweepError::Bad { name: name.to_string(), why: why.to_string() };
        if let Some((low, rest)) = values.split_once("..") {
            let (high, scale) = rest.split_once(':').unwrap_or((rest, ""));
            let number = |s: &str| s.trim().parse::<f64>().ok().filter(|v| v.is_finite());
            let (Some(low), Some(high)) = (number(low), number(high)) else {
                return Err(bad("a range needs two numbers, low..high"));
            };
            if low > high {
                return Err(bad("the low end is above the high end"));
            }
            let (log, integer) = match scale {
                "" => (false, false),
                "log" => (true, false),
                "int" => (false, true),
                other => return Err(bad(&format!("unknown scale \"{other}\" (use :log or :int)"))),
            };
            if log && low <= 0.0 {
                return Err(bad("a log range must be above zero"));
            }
            return Ok(Param { name: name.to_string(), domain: Domain::Range { low, high, log, integer } });
        }
        let list: Vec<String> = values.split(',').map(|v| v.trim().to_string()).collect();
        if list.iter().any(String::is_empty) {
            return Err(bad("an empty value in the list"));
        }
        Ok(Param { name: name.to_string(), domain: Domain::Values(list) })
    }
}

/// One run's hyperparameters, in the order the parameters were given.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment(pub Vec<(String, String)>);

impl fmt::Display for Assignment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}={v}")).collect();
        f.write_str(&parts.join(" "))
    }
}

/// Every combination of the listed values (the first parameter varies slowest).
pub fn grid(params: &[Param]) -> Result<Vec<Assignment>, SweepError> {
    let mut runs = vec![Vec::new()];
    for p in params {
        let Domain::Values(values) = &p.domain else { return Err(SweepError::RangeInGrid(p.name.clone())) };
        let count = runs.len().saturating_mul(values.len());
        if count > MAX_RUNS {
            return Err(SweepError::TooMany(count));
        }
        runs = runs
            .into_iter()
            .flat_map(|run: Vec<(String, String)>| {
                values.iter().map(move |v| {
                    let mut next = run.clone();
                    next.push((p.name.clone(), v.clone()));
                    next
                })
            })
            .collect();
    }
    Ok(runs.into_iter().map(Assignment).collect())
}

/// `count` samples: ranges drawn (log-uniformly with `:log`), lists picked from; the same seed, the same runs.
pub fn random(params: &[Param], count: usize, seed: u64) -> Result<Vec<Assignment>, SweepError> {
    if count > MAX_RUNS {
        return Err(SweepError::TooMany(count));
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    Ok((0..count)
        .map(|_| {
            Assignment(
                params
                    .iter()
                    .map(|p| {
                        let value = match &p.domain {
                            Domain::Values(values) => values[rng.usize(..values.len())].clone(),
                            Domain::Range { low, high, log, integer } => {
                                let u = rng.f64();
                                let x = if *log {
                                    (low.ln() + u * (high.ln() - low.ln())).exp()
                                } else {
                                    low + u * (high - low)
                                };
                                if *integer { format!("{}", x.round() as i64) } else { short_number(x) }
                            }
                        };
                        (p.name.clone(), value)
                    })
                    .collect(),
            )
        })
        .collect())
}

/// A sampled number with four significant digits, as people write hyperparameters (`0.003162`, `1.25e-05`).
pub fn short_number(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let magnitude = x.abs().log10().floor() as i32;
    if !(-4..6).contains(&magnitude) {
        return format!("{x:.3e}");
    }
    let decimals = (3 - magnitude).max(0) as usize;
    let text = format!("{x:.decimals$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_string() } else { text }
}

/// The name of run `index` (from 1) of `total`: `base-01`, `base-02` … (zero-padded so they sort).
pub fn run_name(base: &str, index: usize, total: usize) -> String {
    let width = total.to_string().len().max(2);
    format!("{base}-{index:0width$}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(texts: &[&str]) -> Vec<Param> {
        texts.iter().map(|t| Param::parse(t).expect("valid")).collect()
    }

    #[test]
    fn a_grid_is_every_combination_first_parameter_slowest() {
        let runs = grid(&params(&["lr=0.1,0.01", "batch=32,64"])).expect("grid");
        let shown: Vec<String> = runs.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["lr=0.1 batch=32", "lr=0.1 batch=64", "lr=0.01 batch=32", "lr=0.01 batch=64"]);
        assert_eq!(grid(&params(&["a=1,2,3", "b=x,y"])).expect("3x2").len(), 6);
        assert_eq!(grid(&[]).expect("no params").len(), 1, "no parameters: one run");
    }

    #[test]
    fn ranges_are_sampled_within_bounds_and_reproducibly() {
        let p = params(&["lr=1e-4..1e-1:log", "layers=2..8:int", "opt=adam,sgd"]);
        let runs = random(&p, 50, 7).expect("samples");
        assert_eq!(runs.len(), 50);
        for run in &runs {
            let lr: f64 = run.0[0].1.parse().expect("number");
            assert!((1e-4..=1e-1).contains(&lr), "{lr}");
            let layers: i64 = run.0[1].1.parse().expect("integer");
            assert!((2..=8).contains(&layers));
            assert!(["adam", "sgd"].contains(&run.0[2].1.as_str()));
        }
        assert_eq!(random(&p, 50, 7).expect("again"), runs, "same seed, same runs");
        // Log-uniform: about a third of the samples below 1e-3 (a uniform draw would give ~1 %).
        let small =
            random(&p, 600, 1).expect("many").iter().filter(|r| r.0[0].1.parse::<f64>().unwrap_or(1.0) < 1e-3).count();
        assert!((120..280).contains(&small), "{small} of 600 below 1e-3");
    }

    #[test]
    fn bad_parameters_say_what_is_wrong() {
        assert!(matches!(Param::parse("lr"), Err(SweepError::Syntax(_))));
        assert!(Param::parse("lr=1..x").unwrap_err().to_string().contains("two numbers"));
        assert!(Param::parse("lr=0..1:log").unwrap_err().to_string().contains("above zero"));
        assert!(Param::parse("lr=1..0").unwrap_err().to_string().contains("low end"));
        assert!(Param::parse("lr=0.1,,0.2").unwrap_err().to_string().contains("empty value"));
        assert!(matches!(grid(&params(&["lr=0..1"])), Err(SweepError::RangeInGrid(_))));
        let big = params(&["a=1,2,3,4,5,6,7,8,9,10", "b=1,2,3,4,5,6,7,8,9,10", "c=1,2,3,4,5,6,7,8,9,10,11"]);
        assert!(matches!(grid(&big), Err(SweepError::TooMany(1100))));
    }

    #[test]
    fn numbers_and_run_names_read_well() {
        assert_eq!(short_number(0.0031622776), "0.003162");
        assert_eq!(short_number(12.5), "12.5");
        assert_eq!(short_number(0.00001234), "1.234e-5");
        assert_eq!(run_name("mnist", 3, 6), "mnist-03");
        assert_eq!(run_name("mnist", 7, 120), "mnist-007");
    }
}
