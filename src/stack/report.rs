//! What an install reports before it changes anything: preflight checks, and per object what applying it would do.
//! Pure results; `cluster::install` produces them, the wizard and `bosun install` show them.

/// What an apply did (or, in a review, would do).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Changed,
    Unchanged,
}

impl Outcome {
    pub fn word(self) -> &'static str {
        match self {
            Outcome::Created => "created",
            Outcome::Changed => "configured",
            Outcome::Unchanged => "unchanged",
        }
    }
}

/// One object of a review: what applying it would do, and the YAML diff when it would change.
#[derive(Debug, Clone, PartialEq)]
pub struct ObjectDiff {
    pub object: String,
    pub component: String,
    pub outcome: Outcome,
    /// Unified diff of live → would-be (empty for unchanged; the whole object for new ones).
    pub diff: String,
}

/// How a preflight check came out, worst last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

/// One preflight check: what was checked, how it came out, and what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub title: String,
    pub verdict: Verdict,
    pub detail: String,
    /// What to do about a warning or failure.
    pub fix: Option<String>,
}

impl Check {
    pub fn new(title: impl Into<String>, verdict: Verdict, detail: impl Into<String>, fix: Option<&str>) -> Check {
        Check { title: title.into(), verdict, detail: detail.into(), fix: fix.map(str::to_string) }
    }
}
