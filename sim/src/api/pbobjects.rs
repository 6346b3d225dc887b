//! Protobuf bodies of the kinds typed `kubectl create …` sends (Namespace, ConfigMap, Secret, ServiceAccount,
//! Service, Deployment, Job, CronJob), decoded into their JSON form with a table of field numbers per message.
//!
//! The tables cover the fields kubectl sets and those around them. Go's encoder writes every non-pointer field, zero
//! or not, and JSON leaves zero values out: so a zero scalar (`""`, `false`, `0`) or an empty message is left out
//! whether the tables know its number or not, while a field with a value the tables do not know is an error (the
//! client gets a 415 naming it), never silently dropped. Pointer fields, where zero means something
//! (`replicas: 0`), are marked as such.

use base64::Engine as _;
use serde_json::{Map, Value, json};

/// How a field's bytes become JSON.
#[derive(Clone, Copy)]
enum Ty {
    Str,
    Int,
    /// A pointer integer: zero is a value, kept.
    PInt,
    Bool,
    /// A pointer boolean: false is a value, kept.
    PBool,
    Msg(&'static [F]),
    /// `map<string, string>`.
    MapStr,
    /// `map<string, bytes>`.
    MapBytes,
    /// `map<string, Quantity>`.
    MapQuantity,
    Time,
    IntOrString,
}

/// One field of a message: number, JSON name, type, repeated.
#[derive(Clone, Copy)]
struct F(u32, &'static str, Ty, bool);

const fn one(n: u32, name: &'static str, ty: Ty) -> F {
    F(n, name, ty, false)
}

const fn many(n: u32, name: &'static str, ty: Ty) -> F {
    F(n, name, ty, true)
}

const OWNER_REFERENCE: &[F] = &[
    one(1, "kind", Ty::Str),
    one(3, "name", Ty::Str),
    one(4, "uid", Ty::Str),
    one(5, "apiVersion", Ty::Str),
    one(6, "controller", Ty::PBool),
    one(7, "blockOwnerDeletion", Ty::PBool),
];

const OBJECT_META: &[F] = &[
    one(1, "name", Ty::Str),
    one(2, "generateName", Ty::Str),
    one(3, "namespace", Ty::Str),
    one(4, "selfLink", Ty::Str),
    one(5, "uid", Ty::Str),
    one(6, "resourceVersion", Ty::Str),
    one(7, "generation", Ty::Int),
    one(8, "creationTimestamp", Ty::Time),
    one(9, "deletionTimestamp", Ty::Time),
    one(10, "deletionGracePeriodSeconds", Ty::PInt),
    one(11, "labels", Ty::MapStr),
    one(12, "annotations", Ty::MapStr),
    many(13, "ownerReferences", Ty::Msg(OWNER_REFERENCE)),
    many(14, "finalizers", Ty::Str),
];

const SELECTOR_REQUIREMENT: &[F] = &[one(1, "key", Ty::Str), one(2, "operator", Ty::Str), many(3, "values", Ty::Str)];
const LABEL_SELECTOR: &[F] =
    &[one(1, "matchLabels", Ty::MapStr), many(2, "matchExpressions", Ty::Msg(SELECTOR_REQUIREMENT))];

const CONTAINER_PORT: &[F] = &[
    one(1, "name", Ty::Str),
    one(2, "hostPort", Ty::Int),
    one(3, "containerPort", Ty::Int),
    one(4, "protocol", Ty::Str),
    one(5, "hostIP", Ty::Str),
];
const ENV_VAR: &[F] = &[one(1, "name", Ty::Str), one(2, "value", Ty::Str)];
const RESOURCES: &[F] = &[one(1, "limits", Ty::MapQuantity), one(2, "requests", Ty::MapQuantity)];
const CONTAINER: &[F] = &[
    one(1, "name", Ty::Str),
    one(2, "image", Ty::Str),
    many(3, "command", Ty::Str),
    many(4, "args", Ty::Str),
    one(5, "workingDir", Ty::Str),
    many(6, "ports", Ty::Msg(CONTAINER_PORT)),
    many(7, "env", Ty::Msg(ENV_VAR)),
    one(8, "resources", Ty::Msg(RESOURCES)),
    one(13, "terminationMessagePath", Ty::Str),
    one(14, "imagePullPolicy", Ty::Str),
    one(16, "stdin", Ty::Bool),
    one(17, "stdinOnce", Ty::Bool),
    one(18, "tty", Ty::Bool),
    one(20, "terminationMessagePolicy", Ty::Str),
];
const LOCAL_REFERENCE: &[F] = &[one(1, "name", Ty::Str)];
const POD_SPEC: &[F] = &[
    many(2, "containers", Ty::Msg(CONTAINER)),
    one(3, "restartPolicy", Ty::Str),
    one(4, "terminationGracePeriodSeconds", Ty::PInt),
    one(5, "activeDeadlineSeconds", Ty::PInt),
    one(6, "dnsPolicy", Ty::Str),
    one(7, "nodeSelector", Ty::MapStr),
    one(8, "serviceAccountName", Ty::Str),
    one(9, "serviceAccount", Ty::Str),
    one(10, "nodeName", Ty::Str),
    one(11, "hostNetwork", Ty::Bool),
    many(15, "imagePullSecrets", Ty::Msg(LOCAL_REFERENCE)),
    one(16, "hostname", Ty::Str),
    one(17, "subdomain", Ty::Str),
    one(19, "schedulerName", Ty::Str),
    many(20, "initContainers", Ty::Msg(CONTAINER)),
    one(21, "automountServiceAccountToken", Ty::PBool),
    one(24, "priorityClassName", Ty::Str),
    one(25, "priority", Ty::PInt),
];
const POD_TEMPLATE: &[F] = &[one(1, "metadata", Ty::Msg(OBJECT_META)), one(2, "spec", Ty::Msg(POD_SPEC))];

const EMPTY: &[F] = &[];

const NAMESPACE: &[F] = &[
    one(1, "metadata", Ty::Msg(OBJECT_META)),
    one(2, "spec", Ty::Msg(&[many(1, "finalizers", Ty::Str)])),
    one(3, "status", Ty::Msg(&[one(1, "phase", Ty::Str)])),
];
const CONFIG_MAP: &[F] = &[
    one(1, "metadata", Ty::Msg(OBJECT_META)),
    one(2, "data", Ty::MapStr),
    one(3, "binaryData", Ty::MapBytes),
    one(4, "immutable", Ty::PBool),
];
const SECRET: &[F] = &[
    one(1, "metadata", Ty::Msg(OBJECT_META)),
    one(2, "data", Ty::MapBytes),
    one(3, "type", Ty::Str),
    one(4, "stringData", Ty::MapStr),
    one(5, "immutable", Ty::PBool),
];
const SERVICE_ACCOUNT: &[F] = &[
    one(1, "metadata", Ty::Msg(OBJECT_META)),
    many(3, "imagePullSecrets", Ty::Msg(LOCAL_REFERENCE)),
    one(4, "automountServiceAccountToken", Ty::PBool),
];
const SERVICE_PORT: &[F] = &[
    one(1, "name", Ty::Str),
    one(2, "protocol", Ty::Str),
    one(3, "port", Ty::Int),
    one(4, "targetPort", Ty::IntOrString),
    one(5, "nodePort", Ty::Int),
    one(6, "appProtocol", Ty::Str),
];
const SERVICE: &[F] = &[
    one(1, "metadata", Ty::Msg(OBJECT_META)),
    one(
        2,
        "spec",
        Ty::Msg(&[
            many(1, "ports", Ty::Msg(SERVICE_PORT)),
            one(2, "selector", Ty::MapStr),
            one(3, "clusterIP", Ty::Str),
            one(4, "type", Ty::Str),
            many(5, "externalIPs", Ty::Str),
            one(7, "sessionAffinity", Ty::Str),
            one(10, "externalName", Ty::Str),
        ]),
    ),
    one(3, "status", Ty::Msg(&[one(1, "loadBalancer", Ty::Msg(EMPTY))])),
];
const DEPLOYMENT: &[F] = &[
    one(1, "metadata", Ty::Msg(OBJECT_META)),
    one(
        2,
        "spec",
        Ty::Msg(&[
            one(1, "replicas", Ty::PInt),
            one(2, "selector", Ty::Msg(LABEL_SELECTOR)),
            one(3, "template", Ty::Msg(POD_TEMPLATE)),
            one(4, "strategy", Ty::Msg(&[one(1, "type", Ty::Str)])),
            one(5, "minReadySeconds", Ty::Int),
            one(6, "revisionHistoryLimit", Ty::PInt),
            one(7, "paused", Ty::Bool),
            one(9, "progressDeadlineSeconds", Ty::PInt),
        ]),
    ),
    one(3, "status", Ty::Msg(EMPTY)),
];
const JOB_SPEC: &[F] = &[
    one(1, "parallelism", Ty::PInt),
    one(2, "completions", Ty::PInt),
    one(3, "activeDeadlineSeconds", Ty::PInt),
    one(4, "selector", Ty::Msg(LABEL_SELECTOR)),
    one(5, "manualSelector", Ty::PBool),
    one(6, "template", Ty::Msg(POD_TEMPLATE)),
    one(7, "backoffLimit", Ty::PInt),
    one(8, "ttlSecondsAfterFinished", Ty::PInt),
    one(9, "completionMode", Ty::Str),
    one(10, "suspend", Ty::PBool),
];
const JOB: &[F] =
    &[one(1, "metadata", Ty::Msg(OBJECT_META)), one(2, "spec", Ty::Msg(JOB_SPEC)), one(3, "status", Ty::Msg(EMPTY))];
const CRON_JOB: &[F] = &[
    one(1, "metadata", Ty::Msg(OBJECT_META)),
    one(
        2,
        "spec",
        Ty::Msg(&[
            one(1, "schedule", Ty::Str),
            one(2, "startingDeadlineSeconds", Ty::PInt),
            one(3, "concurrencyPolicy", Ty::Str),
            one(4, "suspend", Ty::PBool),
            one(
                5,
                "jobTemplate",
                Ty::Msg(&[one(1, "metadata", Ty::Msg(OBJECT_META)), one(2, "spec", Ty::Msg(JOB_SPEC))]),
            ),
            one(6, "successfulJobsHistoryLimit", Ty::PInt),
            one(7, "failedJobsHistoryLimit", Ty::PInt),
            one(8, "timeZone", Ty::Str),
        ]),
    ),
    one(3, "status", Ty::Msg(EMPTY)),
];

/// The message table of a kind, if it is one `kubectl create` sends.
fn schema(kind: &str) -> Option<&'static [F]> {
    Some(match kind {
        "Namespace" => NAMESPACE,
        "ConfigMap" => CONFIG_MAP,
        "Secret" => SECRET,
        "ServiceAccount" => SERVICE_ACCOUNT,
        "Service" => SERVICE,
        "Deployment" => DEPLOYMENT,
        "Job" => JOB,
        "CronJob" => CRON_JOB,
        _ => return None,
    })
}

/// A raw field: its number and either a varint or a length-delimited payload.
enum Raw<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
}

fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    super::protobuf::varint(buf, pos).ok_or_else(|| "truncated varint".to_string())
}

fn raw_fields(buf: &[u8]) -> Result<Vec<(u32, Raw<'_>)>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let key = varint(buf, &mut pos)?;
        let number = u32::try_from(key >> 3).map_err(|_| "field number out of range")?;
        match key & 7 {
            0 => out.push((number, Raw::Varint(varint(buf, &mut pos)?))),
            2 => {
                let len = usize::try_from(varint(buf, &mut pos)?).map_err(|_| "length out of range")?;
                let end = pos.checked_add(len).filter(|e| *e <= buf.len()).ok_or("truncated field")?;
                out.push((number, Raw::Bytes(&buf[pos..end])));
                pos = end;
            }
            wire => return Err(format!("unexpected wire type {wire} for field {number}")),
        }
    }
    Ok(out)
}

fn text(b: &[u8]) -> Value {
    Value::from(String::from_utf8_lossy(b).into_owned())
}

/// A map entry (`key` = 1, `value` = 2) decoded with `value` as `ty`.
fn map_entry(bytes: &[u8], ty: Ty, path: &str) -> Result<(String, Value), String> {
    let mut key = String::new();
    let mut value = match ty {
        Ty::MapBytes | Ty::MapStr => Value::from(""),
        _ => Value::Null,
    };
    for (n, raw) in raw_fields(bytes)? {
        match (n, raw) {
            (1, Raw::Bytes(b)) => key = String::from_utf8_lossy(b).into_owned(),
            (2, Raw::Bytes(b)) => {
                value = match ty {
                    Ty::MapBytes => Value::from(base64::engine::general_purpose::STANDARD.encode(b)),
                    // Quantity { string = 1 }
                    Ty::MapQuantity => raw_fields(b)?
                        .into_iter()
                        .find_map(|(n, r)| match (n, r) {
                            (1, Raw::Bytes(s)) => Some(text(s)),
                            _ => None,
                        })
                        .unwrap_or(Value::from("0")),
                    _ => text(b),
                }
            }
            _ => return Err(format!("malformed map entry in {path}")),
        }
    }
    Ok((key, value))
}

fn decode_message(bytes: &[u8], schema: &[F], path: &str) -> Result<Value, String> {
    let mut out = Map::new();
    for (number, raw) in raw_fields(bytes)? {
        let Some(&F(_, name, ty, repeated)) = schema.iter().find(|f| f.0 == number) else {
            if matches!(raw, Raw::Varint(0) | Raw::Bytes([])) {
                continue;
            }
            return Err(format!("field {number} of {path} is not understood by this server; send JSON"));
        };
        let here = format!("{path}.{name}");
        let value = match (ty, raw) {
            (Ty::Str | Ty::Int | Ty::Bool, Raw::Bytes([]) | Raw::Varint(0)) => continue,
            (Ty::Str, Raw::Bytes(b)) => text(b),
            // int32 and int64 alike: negative values arrive as two's complement in 64 bits.
            (Ty::Int | Ty::PInt, Raw::Varint(v)) => Value::from(v as i64),
            (Ty::Bool | Ty::PBool, Raw::Varint(v)) => Value::from(v != 0),
            (Ty::Msg(fields), Raw::Bytes(b)) => decode_message(b, fields, &here)?,
            (Ty::MapStr | Ty::MapBytes | Ty::MapQuantity, Raw::Bytes(b)) => {
                let (k, v) = map_entry(b, ty, &here)?;
                let map = out.entry(name).or_insert_with(|| json!({}));
                if let Some(m) = map.as_object_mut() {
                    m.insert(k, v);
                }
                continue;
            }
            (Ty::Time, Raw::Bytes(b)) => {
                let mut seconds = 0i64;
                for (n, r) in raw_fields(b)? {
                    if let (1, Raw::Varint(v)) = (n, r) {
                        seconds = v as i64;
                    }
                }
                // Go's zero time: the field is null in JSON.
                match jiff::Timestamp::from_second(seconds) {
                    Ok(t) if seconds > 0 => Value::from(t.to_string()),
                    _ => continue,
                }
            }
            (Ty::IntOrString, Raw::Bytes(b)) => {
                let (mut kind, mut int, mut string) = (0u64, 0i64, String::new());
                for (n, r) in raw_fields(b)? {
                    match (n, r) {
                        (1, Raw::Varint(v)) => kind = v,
                        (2, Raw::Varint(v)) => int = v as i64,
                        (3, Raw::Bytes(s)) => string = String::from_utf8_lossy(s).into_owned(),
                        _ => {}
                    }
                }
                if kind == 0 { Value::from(int) } else { Value::from(string) }
            }
            _ => return Err(format!("field {here} has an unexpected encoding")),
        };
        if repeated {
            let list = out.entry(name).or_insert_with(|| json!([]));
            if let Some(items) = list.as_array_mut() {
                items.push(value);
            }
        } else {
            out.insert(name.to_string(), value);
        }
    }
    Ok(Value::Object(out))
}

/// Decodes the protobuf form of `kind` (the envelope's `raw`), or says what is not supported.
pub fn decode(api_version: &str, kind: &str, raw: &[u8]) -> Result<Value, String> {
    let schema = schema(kind)
        .ok_or_else(|| format!("protobuf encoding of {kind} is not supported by this server; send JSON"))?;
    let mut object = decode_message(raw, schema, kind)?;
    object["apiVersion"] = Value::from(api_version);
    object["kind"] = Value::from(kind);
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(n: u32, bytes: &[u8]) -> Vec<u8> {
        let mut out = vec![((n << 3) | 2) as u8, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    }

    fn int(n: u32, v: u8) -> Vec<u8> {
        vec![(n << 3) as u8, v]
    }

    #[test]
    fn a_deployment_as_kubectl_create_sends_it() {
        let labels = field(11, &[field(1, b"app"), field(2, b"web")].concat());
        let meta = [field(1, b"web"), labels.clone()].concat();
        let container = [field(1, b"nginx"), field(2, b"nginx:1.27"), field(8, &[])].concat();
        let template = [field(1, &labels), field(2, &field(2, &container))].concat();
        let selector = field(1, &[field(1, b"app"), field(2, b"web")].concat());
        let spec = [int(1, 2), field(2, &selector), field(3, &template), field(4, &[])].concat();
        let raw = [field(1, &meta), field(2, &spec), field(3, &[])].concat();
        let d = decode("apps/v1", "Deployment", &raw).expect("decodes");
        assert_eq!(d["metadata"], json!({"name": "web", "labels": {"app": "web"}}));
        assert_eq!(d["spec"]["replicas"], 2);
        assert_eq!(d["spec"]["selector"]["matchLabels"]["app"], "web");
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["image"], "nginx:1.27");
        assert_eq!(d["spec"]["template"]["spec"]["containers"][0]["resources"], json!({}));
        assert_eq!(d["apiVersion"], "apps/v1");
    }

    #[test]
    fn unknown_fields_and_kinds_are_refused_by_name() {
        let err = decode("v1", "Namespace", &field(9, b"x")).expect_err("unknown field");
        assert!(err.contains("field 9 of Namespace"), "{err}");
        let err = decode("v1", "Pod", &[]).expect_err("unknown kind");
        assert!(err.contains("protobuf encoding of Pod is not supported"), "{err}");
        let secret = decode("v1", "Secret", &field(2, &[field(1, b"k"), field(2, b"v")].concat())).expect("secret");
        assert_eq!(secret["data"]["k"], "dg==");
    }
}
