//! Small helpers for object metadata: timestamps, UIDs, generated names, ages and JSON field access.

use serde_json::Value;

/// The current time as Kubernetes writes it (RFC 3339, seconds, UTC).
pub fn now() -> String {
    jiff::Timestamp::now().strftime("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A fresh random UID in the 8-4-4-4-12 form.
pub fn new_uid() -> String {
    let hex = |n: usize| (0..n).map(|_| char::from_digit(fastrand::u32(0..16), 16).unwrap_or('0')).collect::<String>();
    format!("{}-{}-4{}-{}{}-{}", hex(8), hex(4), hex(3), ['8', '9', 'a', 'b'][fastrand::usize(0..4)], hex(3), hex(12))
}

/// The random suffix of `generateName` (five characters from the set the API server uses).
pub fn random_suffix(len: usize) -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    (0..len).map(|_| ALPHABET[fastrand::usize(0..ALPHABET.len())] as char).collect()
}

/// Seconds elapsed since an RFC 3339 timestamp (0 if it cannot be parsed or lies in the future).
pub fn seconds_since(timestamp: &str) -> i64 {
    timestamp
        .parse::<jiff::Timestamp>()
        .map(|t| (jiff::Timestamp::now().as_second() - t.as_second()).max(0))
        .unwrap_or(0)
}

/// A duration the way kubectl prints ages: `45s`, `12m`, `5h3m`, `3d4h`, `2y45d`.
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    let (m, h, d) = (s / 60, s / 3600, s / 86400);
    if s < 120 {
        format!("{s}s")
    } else if m < 10 {
        let rest = s % 60;
        if rest == 0 { format!("{m}m") } else { format!("{m}m{rest}s") }
    } else if h < 3 {
        format!("{m}m")
    } else if h < 8 {
        let rest = m % 60;
        if rest == 0 { format!("{h}h") } else { format!("{h}h{rest}m") }
    } else if h < 48 {
        format!("{h}h")
    } else if d < 8 {
        let rest = h % 24;
        if rest == 0 { format!("{d}d") } else { format!("{d}d{rest}h") }
    } else if d < 365 * 2 {
        format!("{d}d")
    } else if d < 365 * 8 {
        let rest = d % 365;
        if rest == 0 { format!("{}y", d / 365) } else { format!("{}y{rest}d", d / 365) }
    } else {
        format!("{}y", d / 365)
    }
}

/// The age of an object from its `creationTimestamp`.
pub fn age(object: &Value) -> String {
    let ts = str_at(object, "/metadata/creationTimestamp");
    if ts.is_empty() { "<unknown>".into() } else { human_duration(seconds_since(ts)) }
}

/// The string at a JSON pointer, or "".
pub fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The integer at a JSON pointer, or 0.
pub fn int_at(v: &Value, pointer: &str) -> i64 {
    v.pointer(pointer).and_then(Value::as_i64).unwrap_or(0)
}

pub fn name(v: &Value) -> &str {
    str_at(v, "/metadata/name")
}

pub fn namespace(v: &Value) -> &str {
    str_at(v, "/metadata/namespace")
}

pub fn uid(v: &Value) -> &str {
    str_at(v, "/metadata/uid")
}

/// A label value, if set.
pub fn label<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.pointer("/metadata/labels").and_then(|l| l.get(key)).and_then(Value::as_str)
}

/// Parses a Kubernetes quantity (`500m`, `2`, `16Gi`, `1e3`) into a number of base units.
pub fn parse_quantity(q: &str) -> Option<f64> {
    let q = q.trim();
    const SUFFIXES: &[(&str, f64)] = &[
        ("Ki", 1024.0),
        ("Mi", 1024.0 * 1024.0),
        ("Gi", 1024.0 * 1024.0 * 1024.0),
        ("Ti", 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("Pi", 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0),
        ("Ei", 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0),
        // Negative factors divide: 31580m is 31580 / 1000, exact where 31580 * 0.001 is not.
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
    for (suffix, factor) in SUFFIXES {
        if let Some(num) = q.strip_suffix(suffix) {
            return num.parse::<f64>().ok().map(|n| if *factor < 0.0 { n / -factor } else { n * factor });
        }
    }
    q.parse::<f64>().ok()
}

/// A quantity from JSON (string or number).
pub fn quantity(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::String(s)) => parse_quantity(s).unwrap_or(0.0),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_print_like_kubectl() {
        for (s, text) in [
            (5, "5s"),
            (119, "119s"),
            (150, "2m30s"),
            (600, "10m"),
            (3 * 3600 + 60, "3h1m"),
            (30 * 3600, "30h"),
            (3 * 86400 + 3600, "3d1h"),
            (40 * 86400, "40d"),
        ] {
            assert_eq!(human_duration(s), text);
        }
    }

    #[test]
    fn quantities() {
        assert_eq!(parse_quantity("500m"), Some(0.5));
        assert_eq!(parse_quantity("2Gi"), Some(2.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse_quantity("8"), Some(8.0));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("x"), None);
    }

    #[test]
    fn uids_and_suffixes_have_the_right_shape() {
        let uid = new_uid();
        assert_eq!(uid.len(), 36);
        assert_eq!(uid.matches('-').count(), 4);
        assert_eq!(random_suffix(5).len(), 5);
    }
}
