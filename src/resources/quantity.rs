//! Kubernetes quantities (`500m`, `16Gi`, `2`) as numbers, and numbers and ages as people read them. Parsing and
//! kubectl's age format come from the `kubefmt` crate, shared with kubesim.

/// Parses a quantity into base units (cores, bytes, devices); `None` if it is not a quantity. The one parser Bosun
/// and kubesim share.
pub use kubefmt::quantity::parse;

/// An age the way kubectl prints it: `45s`, `2m30s`, `3h1m`, `3d`.
pub use kubefmt::duration::human as age;

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
        assert_eq!((age(30), age(150), age(3 * 86400)), ("30s".to_string(), "2m30s".to_string(), "3d".to_string()));
    }
}
