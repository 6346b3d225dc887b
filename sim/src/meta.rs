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

/// The age of an object from its `creationTimestamp`.
pub fn age(object: &Value) -> String {
    let ts = str_at(object, "/metadata/creationTimestamp");
    if ts.is_empty() { "<unknown>".into() } else { kubefmt::duration::human(seconds_since(ts)) }
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

/// A quantity from JSON (string or number).
pub fn quantity(v: Option<&Value>) -> f64 {
    match v {
        Some(Value::String(s)) => kubefmt::quantity::parse(s).unwrap_or(0.0),
        Some(Value::Number(n)) => n.as_f64().unwrap_or(0.0),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_and_suffixes_have_the_right_shape() {
        let uid = new_uid();
        assert_eq!(uid.len(), 36);
        assert_eq!(uid.matches('-').count(), 4);
        assert_eq!(random_suffix(5).len(), 5);
    }
}
