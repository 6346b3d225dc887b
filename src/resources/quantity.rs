//! Kubernetes quantities (`500m`, `16Gi`, `2`) as numbers, and numbers and ages as people read them.

/// Parses a quantity into base units (cores, bytes, devices). `None` if it is not a quantity.
pub fn parse(q: &str) -> Option<f64> {
    let q = q.trim();
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("n", -1e9),
        ("u", -1e6),
        ("m", -1e3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    // Negative factors divide: 31580m is 31580 / 1000, which is exact where 31580 * 0.001 is not.
    for (suffix, factor) in SUFFIXES {
        if let Some(number) = q.strip_suffix(suffix) {
            return number.parse::<f64>().ok().map(|n| if *factor < 0.0 { n / -factor } else { n * factor });
        }
    }
    q.parse::<f64>().ok()
}

/// A k8s-openapi quantity in base units (0 when unparseable).
pub fn value(q: &k8s_openapi::apimachinery::pkg::api::resource::Quantity) -> f64 {
    parse(&q.0).unwrap_or(0.0)
}

/// Bytes for people: `512 MiB`, `1.5 TiB`.
pub fn bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = b.max(0.0);
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if value >= 100.0 || unit == 0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// CPU cores for people: `250m`, `3.5`.
pub fn cores(c: f64) -> String {
    if c < 1.0 && c > 0.0 {
        format!("{:.0}m", c * 1000.0)
    } else if c.fract() == 0.0 {
        format!("{c:.0}")
    } else {
        format!("{c:.1}")
    }
}

/// A device count: `8`, `0.5`.
pub fn count(n: f64) -> String {
    if n.fract() == 0.0 { format!("{n:.0}") } else { format!("{n:.1}") }
}

/// A count with its noun, plural when it should be: `1 line`, `3 lines`.
pub fn counted(n: usize, noun: &str) -> String {
    if n == 1 { format!("1 {noun}") } else { format!("{n} {noun}s") }
}

/// An age the way kubectl prints it: `45s`, `12m`, `5h`, `3d`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..120 => format!("{s}s"),
        120..7200 => format!("{}m", s / 60),
        7200..172800 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(parse("250m"), Some(0.25));
        assert_eq!(parse("31580m"), Some(31.58));
        assert_eq!(parse("16Gi"), Some(17179869184.0));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("nope"), None);
        assert_eq!(bytes(17179869184.0), "16.0 GiB");
        assert_eq!(cores(0.25), "250m");
        assert_eq!(cores(96.0), "96");
        assert_eq!((count(8.0), count(0.5)), ("8".to_string(), "0.5".to_string()));
        assert_eq!((counted(1, "line"), counted(0, "node")), ("1 line".to_string(), "0 nodes".to_string()));
        assert_eq!((age(30), age(600), age(3 * 86400)), ("30s".to_string(), "10m".to_string(), "3d".to_string()));
    }
}
