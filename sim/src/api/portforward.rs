//! `pods/<name>/portforward` over WebSocket, in the two protocols clients speak:
//! - `v4.channel.k8s.io` / `v5.channel.k8s.io` (kube-rs): each forwarded port gets a data and an error channel,
//!   every message starts with its channel number, and the first message on each channel carries the port;
//! - `SPDY/3.1+portforward.k8s.io` (kubectl): SPDY tunnelled through the WebSocket; for every local connection the
//!   client opens an error stream and a data stream whose headers name the port.
//!
//! Behind the tunnel, pods answer like their image would (`responders`); other ports are refused, as by a container
//! not listening.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http::{HeaderValue, Response, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::Role;

use super::responders::{self, Responder, Source};
use super::status::ApiError;
use super::{Body, Ctx};
use crate::cluster::Cluster;
use crate::meta;
use crate::registry::ResourceKey;

const PROTOCOLS: &[&str] = &["v5.channel.k8s.io", "v4.channel.k8s.io", "portforward.k8s.io", SPDY_TUNNEL];

/// kubectl's port-forward: SPDY inside the WebSocket.
const SPDY_TUNNEL: &str = "SPDY/3.1+portforward.k8s.io";

/// What answers on `port` of a pod, with the ConfigMaps and Secrets it mounts read from the store.
fn responder(cluster: &Cluster, pod: &Value, port: u16) -> Responder {
    let ns = meta::namespace(pod);
    let read = |source: Source<'_>| match source {
        Source::ConfigMap { name, key } => cluster
            .store
            .get(&ResourceKey::new("", "configmaps"), ns, name)
            .and_then(|cm| cm.value.pointer(&format!("/data/{key}")).and_then(Value::as_str).map(str::to_string)),
        Source::Secret { name, key } => cluster
            .store
            .get(&ResourceKey::new("", "secrets"), ns, name)
            .and_then(|s| responders::secret_text(&s.value, key)),
    };
    responders::responder_for(pod, port, &read)
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
    let responders: Vec<Responder> = ports.iter().map(|p| responder(&cluster, &pod.value, *p)).collect();
    let spdy = *protocol == SPDY_TUNNEL;
    let pod_value = pod.value.clone();
    tokio::spawn(async move {
        let Ok(upgraded) = upgrade.await else { return };
        let ws = WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None).await;
        if spdy {
            spdy_tunnel(ws, cluster, pod_value).await;
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
async fn spdy_tunnel<S>(ws: WebSocketStream<S>, cluster: Arc<Cluster>, pod: Value)
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
                    let responder = responder(&cluster, &pod, port);
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
            Ok::<_, Infallible>(responders::answer(&responder, &parts, &body))
        }
    });
    let _ = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(io), service).await;
}
