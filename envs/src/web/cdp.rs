//! A minimal async Chrome DevTools Protocol client over one websocket (tokio-tungstenite).
//!
//! headless_chrome launches and supervises Chromium, but every round trip through its
//! transport costs ~100 ms (its reader thread holds the socket's lock through a 100 ms read
//! time-out); a direct websocket to the same browser answers in ~60 µs (measured,
//! shared/research/measured.md). So the hot path (actions, observations, evaluators) goes
//! through this client: commands carry an id and are answered by id; events are broadcast.
//! Sessions attached with `flatten: true` share the socket (`sessionId` on each message).

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;

/// A CDP event: its method, params, and the session it belongs to (`None`: the browser).
#[derive(Debug, Clone)]
pub struct Event {
    pub method: String,
    pub params: Value,
    pub session: Option<String>,
}

/// Why a call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CdpError {
    /// The browser answered with an error.
    #[error("{method}: {message}")]
    Protocol { method: String, message: String },
    /// No answer within the time-out.
    #[error("{method}: no answer within {secs:.1} s")]
    Timeout { method: String, secs: f64 },
    /// The connection is gone (the browser exited or crashed).
    #[error("the browser connection is closed")]
    Closed,
}

type Pending = Arc<Mutex<HashMap<u64, oneshot::Sender<Result<Value, String>>>>>;

/// One websocket to a browser.
pub struct Cdp {
    out: mpsc::UnboundedSender<String>,
    pending: Pending,
    next: AtomicU64,
    events: broadcast::Sender<Event>,
    closed: Arc<std::sync::atomic::AtomicBool>,
}

impl Cdp {
    /// Connects to a browser's DevTools websocket (`ws://127.0.0.1:PORT/devtools/browser/…`).
    pub async fn connect(url: &str) -> anyhow::Result<Arc<Self>> {
        let (ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .map_err(|e| anyhow::anyhow!("connecting to the browser at {url}: {e}"))?;
        let (mut sink, mut stream) = ws.split();
        let (out, mut rx) = mpsc::unbounded_channel::<String>();
        let pending: Pending = Arc::default();
        let (events, _) = broadcast::channel(1024);
        let closed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        tokio::spawn(async move {
            while let Some(text) = rx.recv().await {
                if sink.send(Message::Text(text.into())).await.is_err() {
                    break;
                }
            }
        });
        let (p, ev, cl) = (pending.clone(), events.clone(), closed.clone());
        tokio::spawn(async move {
            while let Some(msg) = stream.next().await {
                let text = match msg {
                    Ok(Message::Text(t)) => t.to_string(),
                    Ok(Message::Binary(b)) => String::from_utf8_lossy(&b).into_owned(),
                    Ok(Message::Close(_)) | Err(_) => break,
                    Ok(_) => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                if let Some(id) = v.get("id").and_then(Value::as_u64) {
                    let tx = p.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
                    if let Some(tx) = tx {
                        let r = match v.get("error") {
                            Some(e) => Err(e
                                .get("message")
                                .and_then(Value::as_str)
                                .unwrap_or("error")
                                .to_string()),
                            None => Ok(v.get("result").cloned().unwrap_or(Value::Null)),
                        };
                        let _ = tx.send(r);
                    }
                } else if let Some(m) = v.get("method").and_then(Value::as_str) {
                    let _ = ev.send(Event {
                        method: m.to_string(),
                        params: v.get("params").cloned().unwrap_or(Value::Null),
                        session: v.get("sessionId").and_then(Value::as_str).map(String::from),
                    });
                }
            }
            cl.store(true, Ordering::SeqCst);
            // Wake every waiting call: the connection is gone.
            p.lock().unwrap_or_else(|e| e.into_inner()).clear();
        });
        Ok(Arc::new(Self {
            out,
            pending,
            next: AtomicU64::new(1),
            events,
            closed,
        }))
    }

    /// Whether the connection has closed.
    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }

    /// Subscribes to events (those sent from now on).
    pub fn events(&self) -> broadcast::Receiver<Event> {
        self.events.subscribe()
    }

    /// Sends a command (to `session`, or the browser) and waits for its answer.
    pub async fn call(
        &self,
        method: &str,
        params: Value,
        session: Option<&str>,
        timeout: Duration,
    ) -> Result<Value, CdpError> {
        if self.is_closed() {
            return Err(CdpError::Closed);
        }
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({"id": id, "method": method, "params": params});
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let (tx, rx) = oneshot::channel();
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id, tx);
        if self.out.send(msg.to_string()).is_err() {
            return Err(CdpError::Closed);
        }
        match tokio::time::timeout(timeout, rx).await {
            Ok(Ok(Ok(v))) => Ok(v),
            Ok(Ok(Err(message))) => Err(CdpError::Protocol {
                method: method.into(),
                message,
            }),
            Ok(Err(_)) => Err(CdpError::Closed),
            Err(_) => {
                self.pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&id);
                Err(CdpError::Timeout {
                    method: method.into(),
                    secs: timeout.as_secs_f64(),
                })
            }
        }
    }
}
