//! [`Tone`]: what a status means (ok, pending, error …), independent of how the theme colours it.

/// What a status means, independent of how it is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Tone {
    Ok,
    Pending,
    Warn,
    Err,
    Done,
    Neutral,
}
