//! What answers behind a forwarded port, chosen from the pod's images and flags as the real server would read them:
//! TensorFlow Serving's REST API (8501; its model name from `--model_name`, `MODEL_NAME`, or the models config
//! file of `--model_config_file` mounted from a ConfigMap, with its version policy), the KServe V1 prediction
//! servers (`kserve/sklearnserver`, `kserve/xgbserver` on `--http_port`, 8080), a Jupyter server (8888, asking
//! for its token when it has one) and JupyterHub (its proxy on 8000, the hub on 8081). Other ports are refused.

use base64::Engine;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use serde_json::{Value, json};

use crate::meta;

/// Where a mounted file or an environment value comes from, for the caller to read out of the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source<'a> {
    ConfigMap { name: &'a str, key: &'a str },
    Secret { name: &'a str, key: &'a str },
}

/// Reads one key of a ConfigMap or Secret (decoded text), if it exists.
pub type Reader<'a> = dyn Fn(Source<'_>) -> Option<String> + 'a;

/// One model a TensorFlow Serving process serves, with the versions it has loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedModel {
    pub name: String,
    pub versions: Vec<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Predictor {
    Sklearn,
    Xgboost,
}

/// What answers on a forwarded port of a pod.
#[derive(Debug, Clone, PartialEq)]
pub enum Responder {
    TfServing {
        models: Vec<ServedModel>,
    },
    /// The KServe V1 protocol server of one framework.
    Kserve {
        model: String,
        predictor: Predictor,
    },
    /// `started`: when the pod started (its last activity, as nobody uses a simulated notebook).
    Jupyter {
        pod: String,
        token: Option<String>,
        started: String,
    },
    JupyterHub,
    Refused,
}

fn words(container: &Value) -> Vec<String> {
    ["command", "args"]
        .iter()
        .flat_map(|f| container.get(*f).and_then(Value::as_array).cloned().unwrap_or_default())
        .filter_map(|w| w.as_str().map(str::to_string))
        .flat_map(|w| w.split_whitespace().map(str::to_string).collect::<Vec<_>>())
        .collect()
}

/// The value of `--flag=value` or `--flag value`.
fn flag(words: &[String], name: &str) -> Option<String> {
    words.iter().enumerate().find_map(|(i, w)| {
        w.strip_prefix(&format!("{name}="))
            .map(str::to_string)
            .or_else(|| (w == name).then(|| words.get(i + 1).cloned()).flatten())
    })
}

/// A container's environment variable: a literal, or read from a Secret or ConfigMap key.
fn env(container: &Value, name: &str, read: &Reader) -> Option<String> {
    let entry = container.get("env")?.as_array()?.iter().find(|e| meta::str_at(e, "/name") == name)?;
    if let Some(v) = entry.get("value").and_then(Value::as_str) {
        return Some(v.to_string());
    }
    let secret = entry.pointer("/valueFrom/secretKeyRef");
    let config = entry.pointer("/valueFrom/configMapKeyRef");
    match (secret, config) {
        (Some(s), _) => read(Source::Secret { name: meta::str_at(s, "/name"), key: meta::str_at(s, "/key") }),
        (_, Some(c)) => read(Source::ConfigMap { name: meta::str_at(c, "/name"), key: meta::str_at(c, "/key") }),
        _ => None,
    }
}

/// The content of a file in a container, where a ConfigMap or Secret volume is mounted over its folder.
fn mounted_file(pod: &Value, container: &Value, path: &str, read: &Reader) -> Option<String> {
    let mounts = container.get("volumeMounts")?.as_array()?;
    for m in mounts {
        let mount_path = meta::str_at(m, "/mountPath").trim_end_matches('/');
        let Some(rest) = path.strip_prefix(mount_path).and_then(|r| r.strip_prefix('/')) else { continue };
        let volume_name = meta::str_at(m, "/name");
        let volumes = pod.pointer("/spec/volumes").and_then(Value::as_array)?;
        let volume = volumes.iter().find(|v| meta::str_at(v, "/name") == volume_name)?;
        // A volume's `items` can map a key to another file name.
        let key_for = |items: Option<&Value>| {
            items
                .and_then(Value::as_array)
                .and_then(|items| items.iter().find(|i| meta::str_at(i, "/path") == rest))
                .map_or(rest.to_string(), |i| meta::str_at(i, "/key").to_string())
        };
        if let Some(cm) = volume.get("configMap") {
            let key = key_for(cm.get("items"));
            return read(Source::ConfigMap { name: meta::str_at(cm, "/name"), key: &key });
        }
        if let Some(s) = volume.get("secret") {
            let key = key_for(s.get("items"));
            return read(Source::Secret { name: meta::str_at(s, "/secretName"), key: &key });
        }
    }
    None
}

/// The models of a TensorFlow Serving `model_config_list` (text protobuf): names and, from each
/// `model_version_policy`, the versions it would load (`specific` as listed; `latest`/`all` as version 1, since
/// nothing is on disk to list).
pub fn parse_models_config(text: &str) -> Vec<ServedModel> {
    let mut models = Vec::new();
    for block in text.split("config").skip(1) {
        let Some(name) = quoted_field(block, "name") else { continue };
        let versions: Vec<u64> = block
            .find("specific")
            .map(|at| {
                let inner = &block[at..];
                let end = inner.find('}').unwrap_or(inner.len());
                inner[..end]
                    .split("versions")
                    .skip(1)
                    .filter_map(|part| part.trim_start().strip_prefix(':'))
                    .filter_map(|v| v.split_whitespace().next()?.parse().ok())
                    .collect()
            })
            .unwrap_or_default();
        models.push(ServedModel { name, versions: if versions.is_empty() { vec![1] } else { versions } });
    }
    models
}

fn quoted_field(block: &str, field: &str) -> Option<String> {
    let at = block.find(&format!("{field}:"))?;
    let rest = block[at + field.len() + 1..].trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let inner = &rest[1..];
    Some(inner[..inner.find(quote)?].to_string())
}

/// The service a pod's containers offer on `port`.
pub fn responder_for(pod: &Value, port: u16, read: &Reader) -> Responder {
    let containers = pod.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    for c in &containers {
        let image = meta::str_at(c, "/image");
        let ws = words(c);
        if image.contains("tensorflow/serving") {
            let rest = flag(&ws, "--rest_api_port").and_then(|p| p.parse().ok()).unwrap_or(8501);
            if port != rest && port != 8500 {
                continue;
            }
            let from_file = flag(&ws, "--model_config_file")
                .and_then(|path| mounted_file(pod, c, &path, read))
                .map(|text| parse_models_config(&text))
                .filter(|m| !m.is_empty());
            let models = from_file.unwrap_or_else(|| {
                let name =
                    flag(&ws, "--model_name").or_else(|| env(c, "MODEL_NAME", read)).unwrap_or_else(|| "model".into());
                vec![ServedModel { name, versions: vec![1] }]
            });
            return Responder::TfServing { models };
        }
        let predictor = if image.contains("sklearnserver") {
            Some(Predictor::Sklearn)
        } else if image.contains("xgbserver") {
            Some(Predictor::Xgboost)
        } else {
            None
        };
        if let Some(predictor) = predictor {
            let http = flag(&ws, "--http_port").and_then(|p| p.parse().ok()).unwrap_or(8080);
            if port == http {
                let model = flag(&ws, "--model_name").unwrap_or_else(|| "model".into());
                return Responder::Kserve { model, predictor };
            }
            continue;
        }
        if image.contains("configurable-http-proxy") && port == 8000
            || (image.contains("k8s-hub") || image.contains("jupyterhub/jupyterhub")) && port == 8081
        {
            return Responder::JupyterHub;
        }
        if (image.contains("jupyter") || image.contains("notebook")) && port == 8888 {
            let token = flag(&ws, "--ServerApp.token")
                .or_else(|| flag(&ws, "--NotebookApp.token"))
                .or_else(|| env(c, "JUPYTER_TOKEN", read))
                .map(|t| t.trim_matches(['"', '\'']).to_string())
                .filter(|t| !t.is_empty());
            let started = meta::str_at(pod, "/status/startTime").to_string();
            return Responder::Jupyter { pod: meta::name(pod).to_string(), token, started };
        }
    }
    Responder::Refused
}

/// Decodes a Secret's `data` value (base64), or takes `stringData` as it is.
pub fn secret_text(secret: &Value, key: &str) -> Option<String> {
    if let Some(s) = secret.pointer(&format!("/stringData/{key}")).and_then(Value::as_str) {
        return Some(s.to_string());
    }
    let encoded = secret.pointer(&format!("/data/{key}"))?.as_str()?;
    let bytes = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    String::from_utf8(bytes).ok()
}

fn reply(code: u16, content_type: &'static str, body: String) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    r
}

fn json_reply(code: u16, v: &Value) -> Response<Full<Bytes>> {
    reply(code, "application/json", v.to_string())
}

/// A deterministic "prediction" for one instance: three class scores that sum to one.
pub fn predict(instance: &Value) -> Value {
    json!(scores(instance))
}

fn scores(instance: &Value) -> Vec<f64> {
    let numbers: Vec<f64> = match instance {
        Value::Array(a) => a
            .iter()
            .flat_map(|v| match v {
                Value::Array(inner) => inner.iter().filter_map(Value::as_f64).collect::<Vec<_>>(),
                other => other.as_f64().into_iter().collect(),
            })
            .collect(),
        Value::Number(n) => n.as_f64().into_iter().collect(),
        Value::Object(m) => m.values().filter_map(Value::as_f64).collect(),
        _ => Vec::new(),
    };
    let sum: f64 = numbers.iter().sum();
    let mean = if numbers.is_empty() { 0.0 } else { sum / numbers.len() as f64 };
    let logits = [mean.sin(), (mean * 0.7).cos(), (sum * 0.01).tanh()];
    let exp: Vec<f64> = logits.iter().map(|l| l.exp()).collect();
    let total: f64 = exp.iter().sum();
    exp.iter().map(|e| ((e / total) * 1e6).round() / 1e6).collect()
}

/// The `instances` of a predict request, or the server's complaint.
fn instances(body: &[u8]) -> Result<Vec<Value>, String> {
    let request: Value =
        serde_json::from_slice(body).map_err(|e| format!("JSON Parse error: {e} at offset {}", e.column()))?;
    match request.get("instances").and_then(Value::as_array) {
        Some(i) => Ok(i.clone()),
        None => Err("JSON Value: {...} Missing 'instances' key".into()),
    }
}

/// The query parameter `name` of a request target.
fn query_param<'q>(query: Option<&'q str>, name: &str) -> Option<&'q str> {
    query?.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
}

/// The server's answer to one HTTP request.
pub fn answer(responder: &Responder, parts: &http::request::Parts, body: &[u8]) -> Response<Full<Bytes>> {
    let method = parts.method.as_str();
    let path = parts.uri.path();
    match responder {
        Responder::TfServing { models } => tf_serving(models, method, path, body),
        Responder::Kserve { model, predictor } => kserve(model, *predictor, method, path, body),
        Responder::Jupyter { pod, token, started } => {
            let given = query_param(parts.uri.query(), "token").map(str::to_string).or_else(|| {
                let auth = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
                auth.strip_prefix("token ").map(str::to_string)
            });
            if let Some(token) = token
                && given.as_deref() != Some(token.as_str())
                && !path.starts_with("/login")
            {
                let mut r = reply(302, "text/html; charset=utf-8", String::new());
                let next = format!("/login?next={path}");
                if let Ok(v) = HeaderValue::from_str(&next) {
                    r.headers_mut().insert(header::LOCATION, v);
                }
                return r;
            }
            if path.starts_with("/login") {
                return reply(
                    200,
                    "text/html; charset=utf-8",
                    "<!doctype html><html><head><title>Jupyter Server</title></head><body><form>Password or token: <input name=\"password\"></form></body></html>".into(),
                );
            }
            if path.starts_with("/api/status") {
                let started = if started.is_empty() { meta::now() } else { started.clone() };
                return json_reply(
                    200,
                    &json!({"started": started, "last_activity": started, "kernels": 0, "connections": 0}),
                );
            }
            reply(
                200,
                "text/html; charset=utf-8",
                format!(
                    "<!doctype html><html><head><title>JupyterLab</title></head><body><h1>JupyterLab</h1><p>Notebook server {pod} (simulated by kubesim).</p></body></html>"
                ),
            )
        }
        Responder::JupyterHub => {
            if path.ends_with("/hub/health") {
                return reply(200, "text/plain", String::new());
            }
            if path.starts_with("/hub/api") {
                return json_reply(200, &json!({"version": "4.1.6"}));
            }
            reply(
                200,
                "text/html; charset=utf-8",
                "<!doctype html><html><head><title>JupyterHub</title></head><body><h1>JupyterHub</h1><form action=\"/hub/login\" method=\"post\">Sign in</form></body></html>".into(),
            )
        }
        Responder::Refused => json_reply(502, &json!({"error": "connection refused"})),
    }
}

fn tf_serving(models: &[ServedModel], method: &str, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
    let Some(rest) = path.strip_prefix("/v1/models/") else {
        return json_reply(404, &json!({"error": format!("Malformed request: {method} {path}")}));
    };
    let (target, verb) = match rest.split_once(':') {
        Some((t, v)) => (t, Some(v)),
        None => (rest, None),
    };
    let (name, version) = match target.split_once("/versions/") {
        Some((n, v)) => (n, v.parse::<u64>().ok()),
        None => (target, None),
    };
    let Some(model) = models.iter().find(|m| m.name == name) else {
        return json_reply(404, &json!({"error": format!("Servable not found for request: Latest({name})")}));
    };
    if let Some(v) = version
        && !model.versions.contains(&v)
    {
        return json_reply(404, &json!({"error": format!("Servable not found for request: Specific({name}, {v})")}));
    }
    match (method, verb) {
        ("GET", None) => {
            let statuses: Vec<Value> = model
                .versions
                .iter()
                .filter(|v| version.is_none_or(|want| want == **v))
                .map(|v| json!({"version": v.to_string(), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}))
                .collect();
            json_reply(200, &json!({"model_version_status": statuses}))
        }
        ("POST", Some("predict")) => match instances(body) {
            Ok(instances) => {
                let predictions: Vec<Value> = instances.iter().map(predict).collect();
                json_reply(200, &json!({"predictions": predictions}))
            }
            Err(e) => json_reply(400, &json!({"error": e})),
        },
        _ => json_reply(404, &json!({"error": format!("Malformed request: {method} {path}")})),
    }
}

fn kserve(model: &str, predictor: Predictor, method: &str, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
    if path == "/" {
        return json_reply(200, &json!({"status": "alive"}));
    }
    if method == "GET" && path == "/v1/models" {
        return json_reply(200, &json!({"models": [model]}));
    }
    let Some(rest) = path.strip_prefix("/v1/models/") else {
        return json_reply(404, &json!({"detail": "Not Found"}));
    };
    let (name, verb) = rest.split_once(':').map_or((rest, None), |(n, v)| (n, Some(v)));
    if name != model {
        return json_reply(404, &json!({"error": format!("Model with name {name} does not exist.")}));
    }
    match (method, verb) {
        ("GET", None) => json_reply(200, &json!({"name": model, "ready": true})),
        ("POST", Some("predict")) => match instances(body) {
            Ok(instances) => {
                let predictions: Vec<Value> = instances
                    .iter()
                    .map(|i| {
                        let s = scores(i);
                        match predictor {
                            // scikit-learn's predict: the class.
                            Predictor::Sklearn => json!(
                                s.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(class, _)| class)
                            ),
                            // XGBoost's binary:logistic: the probability of the positive class.
                            Predictor::Xgboost => json!(s.first().copied().unwrap_or(0.5)),
                        }
                    })
                    .collect();
                json_reply(200, &json!({"predictions": predictions}))
            }
            Err(e) => json_reply(400, &json!({"error": e})),
        },
        _ => json_reply(405, &json!({"detail": "Method Not Allowed"})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: Source<'_>) -> Option<String> {
        None
    }

    fn request(method: &str, target: &str) -> http::request::Parts {
        http::Request::builder().method(method).uri(target).body(()).map(|r| r.into_parts().0).unwrap()
    }

    #[test]
    fn serving_pods_answer_like_tensorflow_serving() {
        let pod = json!({"metadata": {"name": "resnet-0"}, "spec": {"containers": [{"image": "tensorflow/serving:2.16.1", "args": ["--model_name=resnet"]}]}});
        let responder = responder_for(&pod, 8501, &none);
        assert_eq!(
            responder,
            Responder::TfServing { models: vec![ServedModel { name: "resnet".into(), versions: vec![1] }] }
        );
        assert_eq!(responder_for(&pod, 9000, &none), Responder::Refused);
        let reply = answer(
            &responder,
            &request("POST", "/v1/models/resnet:predict"),
            br#"{"instances": [[1.0, 2.0], [3.0, 4.0]]}"#,
        );
        assert_eq!(reply.status(), 200);
        let bad = answer(&responder, &request("POST", "/v1/models/resnet:predict"), b"{\"inst");
        assert_eq!(bad.status(), 400);
        assert_eq!(answer(&responder, &request("GET", "/v1/models/other"), b"").status(), 404);
        let total: f64 = scores(&json!([1.0, 2.0])).iter().sum();
        assert!((total - 1.0).abs() < 1e-3);
        assert_eq!(predict(&json!([1.0, 2.0])), predict(&json!([1.0, 2.0])), "deterministic");
    }

    #[test]
    fn the_models_config_file_is_read_from_its_config_map() {
        let config = "model_config_list {\n  config {\n    name: 'resnet'\n    base_path: '/models/resnet'\n    model_platform: 'tensorflow'\n    model_version_policy { specific { versions: 2 versions: 3 } }\n  }\n}\n";
        let pod = json!({"metadata": {"name": "r"}, "spec": {
            "containers": [{"image": "tensorflow/serving", "args": ["--model_config_file=/config/models.config"],
                "volumeMounts": [{"name": "config", "mountPath": "/config"}]}],
            "volumes": [{"name": "config", "configMap": {"name": "resnet-models"}}]}});
        let read = |s: Source<'_>| {
            (s == Source::ConfigMap { name: "resnet-models", key: "models.config" }).then(|| config.to_string())
        };
        let responder = responder_for(&pod, 8501, &read);
        assert_eq!(
            responder,
            Responder::TfServing { models: vec![ServedModel { name: "resnet".into(), versions: vec![2, 3] }] }
        );
        assert_eq!(answer(&responder, &request("GET", "/v1/models/resnet/versions/1"), b"").status(), 404);
    }

    #[test]
    fn kserve_servers_and_jupyter_tokens() {
        let pod = json!({"metadata": {"name": "iris"}, "spec": {"containers": [{"image": "kserve/sklearnserver:v0.14.1", "args": ["--model_name=iris", "--model_dir=/mnt/models", "--http_port=8080"]}]}});
        let responder = responder_for(&pod, 8080, &none);
        let status = answer(&responder, &request("GET", "/v1/models/iris"), b"");
        assert_eq!(status.status(), 200);
        let predicted = answer(
            &responder,
            &request("POST", "/v1/models/iris:predict"),
            br#"{"instances": [[6.8, 2.8, 4.8, 1.4]]}"#,
        );
        assert_eq!(predicted.status(), 200);
        let pod = json!({"metadata": {"name": "nb"}, "spec": {"containers": [{"image": "quay.io/jupyter/scipy-notebook",
            "env": [{"name": "JUPYTER_TOKEN", "valueFrom": {"secretKeyRef": {"name": "nb-token", "key": "token"}}}]}]}});
        let read = |s: Source<'_>| matches!(s, Source::Secret { name: "nb-token", .. }).then(|| "s3cret".to_string());
        let responder = responder_for(&pod, 8888, &read);
        assert_eq!(answer(&responder, &request("GET", "/lab"), b"").status(), 302);
        assert_eq!(answer(&responder, &request("GET", "/lab?token=s3cret"), b"").status(), 200);
    }
}
