//! `pods/<name>/portforward` over WebSocket, in the two protocols clients speak:
//! - `v4.channel.k8s.io` / `v5.channel.k8s.io` (kube-rs): each forwarded port gets a data and an error channel,
//!   every message starts with its channel number, and the first message on each channel carries the port;
//! - `SPDY/3.1+portforward.k8s.io` (kubectl): SPDY tunnelled through the WebSocket; for every local connection the
//!   client opens an error stream and a data stream whose headers name the port.
//!
//! Behind the tunnel, pods answer like their image would: TensorFlow Serving's REST API on 8501, a Jupyter page on
//! 8888; other ports are refused, as by a container not listening.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::status::ApiError;
use super::{Body, Ctx};
use crate::cluster::Cluster;
use crate::meta;

const PROTOCOLS: &[&str] = &["v5.channel.k8s.io", "v4.channel.k8s.io", "portforward.k8s.io", SPDY_TUNNEL];

/// kubectl's port-forward: SPDY inside the WebSocket.
const SPDY_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";

/// What answers on a forwarded port of a pod.
#[derive(Debug, Clone, PartialEq)]
pub enum Responder {
    TfServing { model: String },
    Jupyter { pod: String },
    Refused,
}

/// The service a pod's containers offer on `port`.
pub fn responder_for(pod: &Value, port: u16) -> Responder {
    let containers = pod.pointer("/spec/containers").and_then(Value::as_array).cloned().unwrap_or_default();
    for c in &containers {
        let image = meta::str_at(c, "/image");
        if image.contains("tensorflow/serving") && (port == 8501 || port == 8500) {
            let words: Vec<String> = ["command", "args"]
                .iter()
                .flat_map(|f| c.get(*f).and_then(Value::as_array).cloned().unwrap_or_default())
                .filter_map(|w| w.as_str().map(str::to_string))
                .collect();
            let model = words
                .iter()
                .find_map(|w| w.strip_prefix("--model_name=").map(str::to_string))
                .or_else(|| {
                    c.get("env").and_then(Value::as_array).and_then(|env| {
                        env.iter()
                            .find(|e| meta::str_at(e, "/name") == "MODEL_NAME")
                            .map(|e| meta::str_at(e, "/value").to_string())
                    })
                })
                .unwrap_or_else(|| "model".into());
            return Responder::TfServing { model };
        }
        if (image.contains("jupyter") || image.contains("notebook")) && port == 8888 {
            return Responder::Jupyter { pod: meta::name(pod).to_string() };
        }
    }
    Responder::Refused
}

/// Answers the upgrade request and runs the tunnel in the background.
pub fn serve(cluster: Arc<Cluster>, ctx: Ctx, upgrade: Option<OnUpgrade>) -> Result<Response<Body>, ApiError> {
    let rt = ctx.target.rt.clone();
    let pod = cluster
        .store
        .get(&rt.key(), ctx.target.ns(), ctx.target.name())
        .ok_or_else(|| ApiError::not_found(&rt, ctx.target.name()))?;
    if meta::str_at(&pod.value, "/status/phase") != "Running" {
        return Err(ApiError::bad_request(format!(
            "pod {} is not running (phase {})",
            ctx.target.name(),
            meta::str_at(&pod.value, "/status/phase")
        )));
    }
    let ports: Vec<u16> = ctx
        .query
        .get("ports")
        .unwrap_or_default()
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| p.trim().parse::<u16>().map_err(|_| ApiError::bad_request(format!("invalid port {p:?}"))))
        .collect::<Result<_, _>>()?;
    let offered_spdy = ctx
        .headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim() == SPDY_TUNNEL));
    // Over SPDY the ports come in each stream's headers, not in the URL.
    if ports.is_empty() && !offered_spdy {
        return Err(ApiError::bad_request("at least one port must be specified"));
    }
    let key = ctx.headers.get(header::SEC_WEBSOCKET_KEY).ok_or_else(|| {
        ApiError::bad_request(
            "port forwarding needs a WebSocket upgrade (Sec-WebSocket-Key); SPDY is not supported by this server",
        )
    })?;
    let offered = ctx
        .headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let protocol = PROTOCOLS.iter().find(|p| offered.contains(p)).ok_or_else(|| {
        ApiError::bad_request(format!(
            "none of the offered subprotocols {offered:?} is supported; use one of {PROTOCOLS:?}"
        ))
    })?;
    let upgrade = upgrade.ok_or_else(|| ApiError::bad_request("the connection cannot be upgraded"))?;
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let responders: Vec<Responder> = ports.iter().map(|p| responder_for(&pod.value, *p)).collect();
    let spdy = *protocol == SPDY_TUNNEL;
    let pod_value = pod.value.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        if spdy {
            spdy_tunnel(ws, pod_value).await;
        } else {
            tunnel(ws, ports, responders).await;
        }
    });
    let mut response = Response::new(Full::new(Bytes::new()).boxed());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    if let Ok(v) = HeaderValue::from_str(&accept) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    h.insert(header::SEC_WEBSOCKET_PROTOCOL, HeaderValue::from_static(protocol));
    Ok(response)
}

fn frame(channel: u8, data: &[u8]) -> Message {
    let mut v = Vec::with_capacity(data.len() + 1);
    v.push(channel);
    v.extend_from_slice(data);
    Message::binary(v)
}

async fn tunnel<S>(ws: WebSocketStream<S>, ports: Vec<u16>, responders: Vec<Responder>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut stream) = ws.split();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<Message>(64);
    let mut inputs = Vec::new();
    for (i, (port, responder)) in ports.iter().zip(responders).enumerate() {
        let data_channel = (2 * i) as u8;
        let port_bytes = port.to_le_bytes();
        let _ = out_tx.send(frame(data_channel, &port_bytes)).await;
        let _ = out_tx.send(frame(data_channel + 1, &port_bytes)).await;
        if responder == Responder::Refused {
            let message = format!(
                "error forwarding port {port} to pod: connection refused (nothing listens on {port} in this simulated container)"
            );
            let _ = out_tx.send(frame(data_channel + 1, message.as_bytes())).await;
            inputs.push(None);
            continue;
        }
        let (near, far) = tokio::io::duplex(64 * 1024);
        tokio::spawn(serve_http(far, responder));
        let (mut read, write) = tokio::io::split(near);
        let out = out_tx.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 16 * 1024];
            while let Ok(n) = read.read(&mut buf).await {
                if n == 0 || out.send(frame(data_channel, &buf[..n])).await.is_err() {
                    break;
                }
            }
        });
        inputs.push(Some(write));
    }
    drop(out_tx);
    let writer = tokio::spawn(async move {
        while let Some(m) = out_rx.recv().await {
            if sink.send(m).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    while let Some(Ok(message)) = stream.next().await {
        let data = match message {
            Message::Binary(b) => b,
            Message::Close(_) => break,
            _ => continue,
        };
        let Some((&channel, payload)) = data.split_first() else { continue };
        let index = usize::from(channel / 2);
        if channel % 2 == 0
            && let Some(Some(input)) = inputs.get_mut(index)
            && input.write_all(payload).await.is_err()
        {
            break;
        }
    }
    drop(inputs);
    writer.abort();
}

/// One forwarded connection of a SPDY session: its error stream (once opened) and the input of its data stream.
#[derive(Default)]
struct Connection {
    error_stream: Option<u32>,
    input: Option<tokio::io::WriteHalf<tokio::io::DuplexStream>>,
    data_stream: Option<u32>,
}

/// kubectl's port-forward: answers the streams the client opens, connects each data stream to the pod's responder,
/// and ends the error stream (empty, or with why) when the data stream is done.
async fn spdy_tunnel<S>(ws: WebSocketStream<S>, pod: Value)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    use super::spdy::{self, Frame};
    let (mut sink, mut stream) = ws.split();
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<Vec<u8>>(64);
    let writer = tokio::spawn(async move {
        while let Some(bytes) = out_rx.recv().await {
            if sink.send(Message::binary(bytes)).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    let mut codec = spdy::Codec::default();
    // By the client's requestID.
    let mut connections: std::collections::HashMap<String, Connection> = std::collections::HashMap::new();
    'session: while let Some(Ok(message)) = stream.next().await {
        match message {
            Message::Binary(b) => codec.feed(&b),
            Message::Close(_) => break,
            _ => continue,
        }
        loop {
            let frame = match codec.next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(_) => break 'session,
            };
            match frame {
                Frame::SynStream { stream_id, headers, .. } => {
                    let header = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
                    if out_tx.send(codec.syn_reply(stream_id)).await.is_err() {
                        break 'session;
                    }
                    let request = header("requestid").unwrap_or_default();
                    let port = header("port").and_then(|p| p.parse::<u16>().ok()).unwrap_or(0);
                    let connection = connections.entry(request.clone()).or_default();
                    if header("streamtype").as_deref() == Some("error") {
                        connection.error_stream = Some(stream_id);
                        continue;
                    }
                    connection.data_stream = Some(stream_id);
                    let error_stream = connection.error_stream;
                    let responder = responder_for(&pod, port);
                    if responder == Responder::Refused {
                        let message = format!(
                            "error forwarding port {port} to pod {}: connection refused (nothing listens on {port} in this simulated container)",
                            meta::name(&pod)
                        );
                        if let Some(e) = error_stream {
                            let _ = out_tx.send(spdy::data(e, message.as_bytes(), true)).await;
                        }
                        let _ = out_tx.send(spdy::data(stream_id, &[], true)).await;
                        continue;
                    }
                    let (near, far) = tokio::io::duplex(64 * 1024);
                    tokio::spawn(serve_http(far, responder));
                    let (mut read, write) = tokio::io::split(near);
                    connection.input = Some(write);
                    let out = out_tx.clone();
                    tokio::spawn(async move {
                        let mut buf = vec![0u8; 16 * 1024];
                        while let Ok(n) = read.read(&mut buf).await {
                            if n == 0 || out.send(spdy::data(stream_id, &buf[..n], false)).await.is_err() {
                                break;
                            }
                        }
                        // The pod closed the connection: end the data stream, then the (empty) error stream.
                        let _ = out.send(spdy::data(stream_id, &[], true)).await;
                        if let Some(e) = error_stream {
                            let _ = out.send(spdy::data(e, &[], true)).await;
                        }
                    });
                }
                Frame::Data { stream_id, data, fin } => {
                    let Some(c) = connections.values_mut().find(|c| c.data_stream == Some(stream_id)) else {
                        continue;
                    };
                    if let Some(input) = c.input.as_mut() {
                        if !data.is_empty() && input.write_all(&data).await.is_err() {
                            c.input = None;
                        }
                        if fin && let Some(mut input) = c.input.take() {
                            let _ = input.shutdown().await;
                        }
                    }
                }
                Frame::RstStream { stream_id } => {
                    connections.retain(|_, c| c.data_stream != Some(stream_id) && c.error_stream != Some(stream_id));
                }
                Frame::Ping { id } => {
                    let _ = out_tx.send(spdy::ping(id)).await;
                }
                Frame::GoAway => break 'session,
                Frame::Other => {}
            }
        }
    }
    drop(connections);
    drop(out_tx);
    let _ = writer.await;
}

async fn serve_http(io: tokio::io::DuplexStream, responder: Responder) {
    let responder = Arc::new(responder);
    let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        let responder = responder.clone();
        async move {
            let (parts, body) = req.into_parts();
            let body = body.collect().await.map(|b| b.to_bytes()).unwrap_or_default();
            Ok::<_, Infallible>(answer(&responder, parts.method.as_str(), parts.uri.path(), &body))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service).await;
}

fn json_reply(code: u16, v: &Value) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(v.to_string())));
    *r.status_mut() = StatusCode::from_u16(code).unwrap_or(StatusCode::OK);
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

/// A deterministic "prediction" for one instance: three class scores that sum to one.
pub fn predict(instance: &Value) -> Value {
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
    json!(exp.iter().map(|e| ((e / total) * 1e6).round() / 1e6).collect::<Vec<_>>())
}

fn answer(responder: &Responder, method: &str, path: &str, body: &[u8]) -> Response<Full<Bytes>> {
    match responder {
        Responder::TfServing { model } => {
            let status_path = format!("/v1/models/{model}");
            if method == "GET" && path == status_path {
                return json_reply(
                    200,
                    &json!({"model_version_status": [{"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}]}),
                );
            }
            if method == "POST" && path == format!("/v1/models/{model}:predict") {
                let request: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                let Some(instances) = request.get("instances").and_then(Value::as_array) else {
                    return json_reply(400, &json!({"error": "JSON Value: {...} Missing 'instances' key"}));
                };
                let predictions: Vec<Value> = instances.iter().map(predict).collect();
                return json_reply(200, &json!({"predictions": predictions}));
            }
            json_reply(404, &json!({"error": format!("Servable not found for request: {path}")}))
        }
        Responder::Jupyter { pod } => {
            let html = format!(
                "<!doctype html><html><head><title>JupyterLab</title></head><body><h1>JupyterLab</h1><p>Notebook server {pod} (simulated by kubesim).</p></body></html>"
            );
            let mut r = Response::new(Full::new(Bytes::from(html)));
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
            r
        }
        Responder::Refused => json_reply(502, &json!({"error": "connection refused"})),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serving_pods_answer_like_tensorflow_serving() {
        let pod = json!({"metadata": {"name": "resnet-0"}, "spec": {"containers": [{"image": "tensorflow/serving:2.16.1", "args": ["--model_name=resnet"]}]}});
        let responder = responder_for(&pod, 8501);
        assert_eq!(responder, Responder::TfServing { model: "resnet".into() });
        assert_eq!(responder_for(&pod, 9000), Responder::Refused);
        let reply =
            answer(&responder, "POST", "/v1/models/resnet:predict", br#"{"instances": [[1.0, 2.0], [3.0, 4.0]]}"#);
        assert_eq!(reply.status(), 200);
        let p = predict(&json!([1.0, 2.0]));
        let total: f64 = p.as_array().unwrap().iter().filter_map(Value::as_f64).sum();
        assert!((total - 1.0).abs() < 1e-3);
        assert_eq!(p, predict(&json!([1.0, 2.0])), "deterministic");
    }
}
