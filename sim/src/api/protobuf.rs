//! Just enough Kubernetes protobuf to read what kubectl sends in that encoding: the review requests (`auth can-i`,
//! `auth can-i --list`, `auth whoami`) here, and the kinds of typed `kubectl create …` in `pbobjects`. Everything
//! is served as JSON; a protobuf body of any other kind gets a clear 415.
//!
//! Wire format: the magic `k8s\0`, then a `runtime.Unknown` message whose field 2 holds the encoded object.

use serde_json::{Map, Value, json};

const MAGIC: &[u8] = b"k8s\0";

pub fn is_protobuf(body: &[u8]) -> bool {
    body.starts_with(MAGIC)
}

/// One decoded field: a scalar (value not needed here) or bytes.
enum Field<'a> {
    Scalar,
    Bytes(&'a [u8]),
}

/// A base-128 varint at `pos`, advancing past it.
pub(super) fn varint(buf: &[u8], pos: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *buf.get(*pos)?;
        *pos += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn fields(buf: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let (number, wire) = (key >> 3, key & 7);
        let field = match wire {
            0 => {
                varint(buf, &mut pos)?;
                Field::Scalar
            }
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).ok()?;
                let bytes = buf.get(pos..pos.checked_add(len)?)?;
                pos += len;
                Field::Bytes(bytes)
            }
            1 => {
                pos += 8;
                continue;
            }
            5 => {
                pos += 4;
                continue;
            }
            _ => return None,
        };
        out.push((number, field));
    }
    Some(out)
}

fn bytes_of<'a>(fs: &[(u64, Field<'a>)], n: u64) -> Option<&'a [u8]> {
    fs.iter().find_map(|(num, f)| match f {
        Field::Bytes(b) if *num == n => Some(*b),
        _ => None,
    })
}

fn string_fields(buf: &[u8], names: &[(u64, &str)]) -> Option<Map<String, Value>> {
    let fs = fields(buf)?;
    let mut m = Map::new();
    for (n, name) in names {
        if let Some(b) = bytes_of(&fs, *n) {
            m.insert((*name).to_string(), json!(String::from_utf8_lossy(b)));
        }
    }
    Some(m)
}

/// Decodes a protobuf-encoded review into its JSON form, or explains why not.
pub fn decode_review(body: &[u8]) -> Result<Value, String> {
    let unknown = fields(body.get(MAGIC.len()..).unwrap_or_default()).ok_or("malformed protobuf envelope")?;
    let type_meta =
        bytes_of(&unknown, 1).and_then(|b| string_fields(b, &[(1, "apiVersion"), (2, "kind")])).unwrap_or_default();
    let kind = type_meta.get("kind").and_then(Value::as_str).unwrap_or_default().to_string();
    let raw = bytes_of(&unknown, 2).ok_or("protobuf envelope without an object")?;
    let object = fields(raw).ok_or("malformed protobuf object")?;
    let spec_bytes = bytes_of(&object, 2).unwrap_or_default();
    let spec = match kind.as_str() {
        "SelfSubjectAccessReview" => {
            let spec = fields(spec_bytes).ok_or("malformed spec")?;
            let mut out = Map::new();
            if let Some(ra) = bytes_of(&spec, 1) {
                let attrs = string_fields(
                    ra,
                    &[
                        (1, "namespace"),
                        (2, "verb"),
                        (3, "group"),
                        (4, "version"),
                        (5, "resource"),
                        (6, "subresource"),
                        (7, "name"),
                    ],
                )
                .ok_or("malformed resourceAttributes")?;
                out.insert("resourceAttributes".into(), Value::Object(attrs));
            }
            if let Some(nra) = bytes_of(&spec, 2) {
                let attrs = string_fields(nra, &[(1, "path"), (2, "verb")]).ok_or("malformed nonResourceAttributes")?;
                out.insert("nonResourceAttributes".into(), Value::Object(attrs));
            }
            Value::Object(out)
        }
        "SelfSubjectRulesReview" => {
            Value::Object(string_fields(spec_bytes, &[(1, "namespace")]).ok_or("malformed spec")?)
        }
        "SelfSubjectReview" => json!({}),
        other => {
            let api_version = type_meta.get("apiVersion").and_then(Value::as_str).unwrap_or_default();
            return super::pbobjects::decode(api_version, other, raw);
        }
    };
    Ok(
        json!({"apiVersion": type_meta.get("apiVersion").cloned().unwrap_or(Value::Null), "kind": kind, "metadata": {}, "spec": spec}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u64, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    #[test]
    fn decodes_a_self_subject_access_review() {
        let attrs = [field(1, b"default"), field(2, b"create"), field(5, b"pods")].concat();
        let spec = field(1, &attrs);
        let object = [field(1, b""), field(2, &spec)].concat();
        let type_meta = [field(1, b"authorization.k8s.io/v1"), field(2, b"SelfSubjectAccessReview")].concat();
        let body = [MAGIC.to_vec(), field(1, &type_meta), field(2, &object)].concat();
        assert!(is_protobuf(&body));
        let review = decode_review(&body).unwrap();
        assert_eq!(
            review["spec"]["resourceAttributes"],
            json!({"namespace": "default", "verb": "create", "resource": "pods"})
        );
        assert_eq!(review["kind"], "SelfSubjectAccessReview");
    }
}
