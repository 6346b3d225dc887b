//! Ages and durations the way kubectl prints them (its `HumanDuration`): precise while short, coarser with age —
//! `45s`, `2m30s`, `12m`, `3h1m`, `30h`, `3d1h`, `40d`, `2y45d`.

/// A duration of `seconds`, as the AGE column prints it. Up to one second in the future reads as `0s` (clocks
/// differ a little); further in the future is `<invalid>`, as kubectl says.
pub fn human(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".into();
    }
    let s = seconds.max(0);
    let (minutes, hours) = (s / 60, s / 3600);
    let days = hours / 24;
    if s < 120 {
        format!("{s}s")
    } else if minutes < 10 {
        with_rest(minutes, "m", s % 60, "s")
    } else if hours < 3 {
        format!("{minutes}m")
    } else if hours < 8 {
        with_rest(hours, "h", minutes % 60, "m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        with_rest(days, "d", hours % 24, "h")
    } else if days < 365 * 2 {
        format!("{days}d")
    } else if days < 365 * 8 {
        with_rest(days / 365, "y", days % 365, "d")
    } else {
        format!("{}y", days / 365)
    }
}

/// `3h1m`, or `3h` when the rest is zero.
fn with_rest(whole: i64, unit: &str, rest: i64, rest_unit: &str) -> String {
    if rest == 0 { format!("{whole}{unit}") } else { format!("{whole}{unit}{rest}{rest_unit}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from the Kubernetes `duration` package's own tests, plus the boundaries between formats.
    #[test]
    fn durations_print_like_kubectl() {
        const MIN: i64 = 60;
        const HOUR: i64 = 3600;
        const DAY: i64 = 24 * HOUR;
        for (seconds, text) in [
            (-2, "<invalid>"),
            (-1, "0s"),
            (0, "0s"),
            (1, "1s"),
            (5, "5s"),
            (119, "119s"),
            (120, "2m"),
            (150, "2m30s"),
            (9 * MIN + 59, "9m59s"),
            (10 * MIN, "10m"),
            (3 * HOUR - 1, "179m"),
            (3 * HOUR, "3h"),
            (3 * HOUR + MIN, "3h1m"),
            (7 * HOUR + 59 * MIN, "7h59m"),
            (8 * HOUR, "8h"),
            (30 * HOUR, "30h"),
            (47 * HOUR + 59 * MIN, "47h"),
            (48 * HOUR, "2d"),
            (3 * DAY + HOUR, "3d1h"),
            (7 * DAY + 23 * HOUR, "7d23h"),
            (8 * DAY, "8d"),
            (40 * DAY, "40d"),
            (2 * 365 * DAY - 1, "729d"),
            (2 * 365 * DAY, "2y"),
            (2 * 365 * DAY + 45 * DAY, "2y45d"),
            (8 * 365 * DAY, "8y"),
            (12 * 365 * DAY + 100 * DAY, "12y"),
        ] {
            assert_eq!(human(seconds), text, "{seconds} s");
        }
    }
}
