//! The guest's stdio: capped capture of stdout/stderr, and the host-call channel.
//!
//! The guest sends a request as one record on stderr: the byte 0x1E, `hone:`, a JSON object,
//! `\n`. The stderr stream intercepts the record (it never reaches the captured text) and queues
//! the call; when the guest then reads its stdin (which only the host writes to), the read waits
//! while the granted host function runs, off the guest's thread, and gets one JSON reply line.
//! That wait is an await point of the run, so the run's time-out ends it even when a host
//! function never returns. See docs/SANDBOX.md for the protocol.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use serde_json::{json, Value};
use wasmtime_wasi::cli::{IsTerminal, StdinStream, StdoutStream};
use wasmtime_wasi::p2::{InputStream, OutputStream, Pollable, StreamError, StreamResult};

use crate::host::HostFunctions;

/// Start of a control record on stderr.
pub(crate) const RECORD_START: u8 = 0x1e;
const RECORD_TAG: &[u8] = b"hone:";
/// Bytes of replies the guest may leave unread before it is stopped.
const UNREAD_REPLY_LIMIT: u64 = 64 << 20;

/// Bytes of one captured stream.
#[derive(Debug, Default)]
pub(crate) struct Capture {
    pub kept: Vec<u8>,
    pub dropped: u64,
    limit: usize,
}

impl Capture {
    fn push(&mut self, bytes: &[u8]) {
        let room = self.limit.saturating_sub(self.kept.len());
        let take = room.min(bytes.len());
        self.kept.extend_from_slice(&bytes[..take]);
        self.dropped += (bytes.len() - take) as u64;
    }

    /// The kept text, with a marker saying how much was dropped.
    pub fn into_text(self) -> String {
        let mut text = String::from_utf8_lossy(&self.kept).into_owned();
        if self.dropped > 0 {
            if !text.ends_with('\n') && !text.is_empty() {
                text.push('\n');
            }
            text.push_str(&format!("[… truncated {} bytes]\n", self.dropped));
        }
        text
    }
}

/// State shared by the guest's three stdio streams during one run.
#[derive(Debug)]
pub(crate) struct Channel {
    pub stdout: Capture,
    pub stderr: Capture,
    /// Total bytes the guest wrote to stdout and stderr (kept or dropped, records excluded).
    pub written: u64,
    pub output_kill_limit: u64,
    pub output_limit_hit: bool,
    /// The JSON result the guest reported, if any.
    pub result: Option<Value>,
    pub host_calls: u32,
    host: HostFunctions,
    record_limit: usize,
    /// A control record being received (`Some` between 0x1E and `\n`).
    record: Option<Vec<u8>>,
    record_overflow: bool,
    replies: VecDeque<u8>,
    /// Calls received and not yet answered, in order.
    pending: VecDeque<Pending>,
    /// Set for a session (one guest serving many snippets).
    pub session: Option<SessionSignals>,
}

/// How a session's host side and its guest signal each other.
#[derive(Debug, Default)]
pub(crate) struct SessionSignals {
    /// New input (a snippet) was queued on the guest's stdin.
    pub input: Arc<tokio::sync::Notify>,
    /// The guest finished snippet `id` (`ok`: no exception).
    pub done: Option<(u64, bool)>,
    pub done_notify: Arc<tokio::sync::Notify>,
}

/// A request waiting for its reply.
#[derive(Debug)]
enum Pending {
    /// A call to run: (id, name, args).
    Call(Value, String, Value),
    /// An answer already known (a malformed request), queued behind earlier calls.
    Answer(Value),
}

impl Channel {
    pub fn new(
        host: HostFunctions,
        stdout_limit: usize,
        stderr_limit: usize,
        output_kill_limit: u64,
        record_limit: usize,
    ) -> Self {
        Self {
            stdout: Capture {
                limit: stdout_limit,
                ..Capture::default()
            },
            stderr: Capture {
                limit: stderr_limit,
                ..Capture::default()
            },
            written: 0,
            output_kill_limit,
            output_limit_hit: false,
            result: None,
            host_calls: 0,
            host,
            record_limit,
            record: None,
            record_overflow: false,
            replies: VecDeque::new(),
            pending: VecDeque::new(),
            session: None,
        }
    }

    /// Queues a snippet on the guest's stdin and wakes the guest.
    pub fn push_snippet(&mut self, id: u64, code: &str) {
        self.replies
            .extend(format!("\x1esnippet:{id}:{}\n", code.len()).as_bytes());
        self.replies.extend(code.as_bytes());
        if let Some(s) = &mut self.session {
            s.done = None;
            s.input.notify_one();
        }
    }

    /// Starts a snippet's accounting afresh: its own captured output and output budget.
    pub fn reset_capture(&mut self) {
        let _ = self.take_output();
        self.written = 0;
        self.result = None;
        self.host_calls = 0;
    }

    /// The captured stdout and stderr as text, leaving empty captures with the same limits.
    pub fn take_output(&mut self) -> (String, String) {
        let fresh = |c: &Capture| Capture {
            limit: c.limit,
            ..Capture::default()
        };
        let (new_out, new_err) = (fresh(&self.stdout), fresh(&self.stderr));
        let out = std::mem::replace(&mut self.stdout, new_out);
        let err = std::mem::replace(&mut self.stderr, new_err);
        (out.into_text(), err.into_text())
    }

    fn count(&mut self, n: usize) -> StreamResult<()> {
        self.written += n as u64;
        if self.written > self.output_kill_limit {
            self.output_limit_hit = true;
            return Err(StreamError::trap("output limit exceeded"));
        }
        Ok(())
    }

    fn write_stdout(&mut self, bytes: &[u8]) -> StreamResult<()> {
        self.count(bytes.len())?;
        self.stdout.push(bytes);
        Ok(())
    }

    /// Splits stderr into plain text (captured) and control records (answered).
    fn write_stderr(&mut self, mut bytes: &[u8]) -> StreamResult<()> {
        while !bytes.is_empty() {
            match self.record.as_mut() {
                None => {
                    let text_len = bytes
                        .iter()
                        .position(|&b| b == RECORD_START)
                        .unwrap_or(bytes.len());
                    let (text, rest) = bytes.split_at(text_len);
                    if !text.is_empty() {
                        self.count(text.len())?;
                        self.stderr.push(text);
                    }
                    if let Some((_, after)) = rest.split_first() {
                        self.record = Some(Vec::new());
                        self.record_overflow = false;
                        bytes = after;
                    } else {
                        bytes = rest;
                    }
                }
                Some(record) => {
                    let end = bytes.iter().position(|&b| b == b'\n');
                    let chunk = &bytes[..end.unwrap_or(bytes.len())];
                    // Requests count towards the output budget, so a flood of them is bounded.
                    self.written += chunk.len() as u64 + 1;
                    // Keep what fits (the tag and the id stay readable), note the overflow.
                    let room = (self.record_limit + RECORD_TAG.len()).saturating_sub(record.len());
                    record.extend_from_slice(&chunk[..room.min(chunk.len())]);
                    if chunk.len() > room {
                        self.record_overflow = true;
                    }
                    match end {
                        None => bytes = &[],
                        Some(i) => {
                            bytes = &bytes[i + 1..];
                            let record = self.record.take().unwrap_or_default();
                            self.finish_record(record)?;
                            // Unread replies (a guest that calls but never reads) are bounded too.
                            if self.replies.len() as u64 > UNREAD_REPLY_LIMIT {
                                self.output_limit_hit = true;
                                return Err(StreamError::trap("unread host-call replies"));
                            }
                        }
                    }
                    self.count(0)?;
                }
            }
        }
        Ok(())
    }

    fn finish_record(&mut self, record: Vec<u8>) -> StreamResult<()> {
        let Some(body) = record.strip_prefix(RECORD_TAG) else {
            // Not ours: the guest printed a 0x1E itself. Keep it as text.
            let mut text = vec![RECORD_START];
            text.extend_from_slice(&record);
            text.push(b'\n');
            self.count(text.len())?;
            self.stderr.push(&text);
            return Ok(());
        };
        if self.record_overflow {
            self.reply(json!({
                "id": leading_id(body),
                "error": format!("host call larger than {} bytes", self.record_limit),
            }));
            return Ok(());
        }
        let msg: Value = match serde_json::from_slice(body) {
            Ok(v) => v,
            Err(e) => {
                self.reply(json!({ "id": null, "error": format!("malformed host call: {e}") }));
                return Ok(());
            }
        };
        if let Some(result) = msg.get("result") {
            self.result = Some(result.clone());
            return Ok(());
        }
        if let (Some(id), Some(session)) =
            (msg.get("done").and_then(Value::as_u64), &mut self.session)
        {
            let ok = msg.get("ok").and_then(Value::as_bool).unwrap_or(false);
            session.done = Some((id, ok));
            session.done_notify.notify_one();
            return Ok(());
        }
        let id = msg.get("id").cloned().unwrap_or(Value::Null);
        let Some(name) = msg.get("call").and_then(Value::as_str) else {
            self.reply(json!({ "id": id, "error": "malformed host call: no \"call\" name" }));
            return Ok(());
        };
        self.host_calls += 1;
        let args = msg.get("args").cloned().unwrap_or_else(|| json!([]));
        self.pending
            .push_back(Pending::Call(id, name.to_string(), args));
        Ok(())
    }

    /// Answers every queued call (the guest waits on its stdin meanwhile).
    async fn answer_pending(channel: &SharedChannel) {
        loop {
            let (call, host) = {
                let mut ch = channel.lock();
                match ch.pending.pop_front() {
                    Some(c) => (c, ch.host.clone()),
                    None => return,
                }
            };
            let reply = match call {
                Pending::Answer(reply) => reply,
                Pending::Call(id, name, args) => match host.dispatch(&name, args).await {
                    Ok(value) => json!({ "id": id, "ok": value }),
                    Err(error) => json!({ "id": id, "error": error }),
                },
            };
            channel.lock().push_reply(reply);
        }
    }

    /// Puts `bytes` at the front of the guest's stdin (the marshalled Python prelude).
    pub fn preload(&mut self, bytes: &[u8]) {
        self.replies.extend(bytes);
    }

    /// Queues a reply on stdin, behind the replies of calls still running.
    fn reply(&mut self, msg: Value) {
        if !self.pending.is_empty() {
            self.pending.push_back(Pending::Answer(msg));
            return;
        }
        self.push_reply(msg);
    }

    fn push_reply(&mut self, msg: Value) {
        self.replies.extend(msg.to_string().as_bytes());
        self.replies.push_back(b'\n');
    }

    fn read_replies(&mut self, size: usize) -> StreamResult<Bytes> {
        if self.replies.is_empty() {
            if !self.pending.is_empty() || self.session.is_some() {
                // A reply (or, in a session, the next snippet) is on its way: the stream's
                // `ready` waits for it.
                return Ok(Bytes::new());
            }
            // Nothing was asked, so nothing will come: end of input.
            return Err(StreamError::Closed);
        }
        let n = size.min(self.replies.len());
        Ok(self.replies.drain(..n).collect::<Vec<u8>>().into())
    }
}

/// The `id` of a request cut off at the size limit: the prelude writes `{"id":N,` first.
fn leading_id(body: &[u8]) -> Value {
    let Some(rest) = body.strip_prefix(b"{\"id\":") else {
        return Value::Null;
    };
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&rest[..digits])
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
        .map_or(Value::Null, Value::from)
}

/// Handle to the run's [`Channel`], cloned into each stream.
#[derive(Debug, Clone)]
pub(crate) struct SharedChannel(pub Arc<Mutex<Channel>>);

impl SharedChannel {
    pub fn lock(&self) -> MutexGuard<'_, Channel> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn stdin(&self) -> GuestStdin {
        GuestStdin(self.clone())
    }

    pub fn stdout(&self) -> GuestOutput {
        GuestOutput {
            channel: self.clone(),
            stderr: false,
        }
    }

    pub fn stderr(&self) -> GuestOutput {
        GuestOutput {
            channel: self.clone(),
            stderr: true,
        }
    }
}

/// The guest's stdin: host-call replies only.
pub(crate) struct GuestStdin(SharedChannel);

impl IsTerminal for GuestStdin {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdinStream for GuestStdin {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncRead + Send + Sync> {
        // Only the p2 stream is used by WASI preview 1; an async reader sees end of input.
        Box::new(tokio::io::empty())
    }

    fn p2_stream(&self) -> Box<dyn InputStream> {
        Box::new(GuestStdin(self.0.clone()))
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestStdin {
    /// Ready once every queued host call has been answered (and, in a session waiting for
    /// its next snippet, once one arrives).
    async fn ready(&mut self) {
        Channel::answer_pending(&self.0).await;
        loop {
            let input = {
                let ch = self.0.lock();
                match &ch.session {
                    Some(s) if ch.replies.is_empty() => s.input.clone(),
                    _ => return,
                }
            };
            input.notified().await;
        }
    }
}

impl InputStream for GuestStdin {
    fn read(&mut self, size: usize) -> StreamResult<Bytes> {
        self.0.lock().read_replies(size)
    }
}

/// The guest's stdout or stderr.
pub(crate) struct GuestOutput {
    channel: SharedChannel,
    stderr: bool,
}

impl IsTerminal for GuestOutput {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for GuestOutput {
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(tokio::io::sink())
    }

    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(GuestOutput {
            channel: self.channel.clone(),
            stderr: self.stderr,
        })
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for GuestOutput {
    async fn ready(&mut self) {}
}

impl OutputStream for GuestOutput {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        let mut ch = self.channel.lock();
        if self.stderr {
            ch.write_stderr(&bytes)
        } else {
            ch.write_stdout(&bytes)
        }
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(host: HostFunctions) -> Channel {
        Channel::new(host, 10, 100, 1000, 64)
    }

    #[tokio::test]
    async fn records_are_answered_and_text_is_kept() {
        let ch = SharedChannel(Arc::new(Mutex::new(channel(HostFunctions::new().grant(
            "add",
            |a| {
                Ok(json!(
                    a[0].as_i64().unwrap_or(0) + a[1].as_i64().unwrap_or(0)
                ))
            },
        )))));
        ch.lock()
            .write_stderr(b"warn\x1ehone:{\"id\":1,\"ca")
            .unwrap();
        ch.lock()
            .write_stderr(b"ll\":\"add\",\"args\":[2,3]}\nmore")
            .unwrap();
        assert_eq!(ch.lock().stderr.kept, b"warnmore");
        assert!(
            ch.lock().read_replies(1000).unwrap().is_empty(),
            "not answered yet"
        );
        let mut stdin = ch.stdin();
        stdin.ready().await;
        let reply = ch.lock().read_replies(1000).unwrap();
        assert_eq!(&reply[..], b"{\"id\":1,\"ok\":5}\n");
        assert!(matches!(
            ch.lock().read_replies(10),
            Err(StreamError::Closed)
        ));
    }

    #[tokio::test]
    async fn bad_records_get_error_replies() {
        let ch = SharedChannel(Arc::new(Mutex::new(channel(HostFunctions::new()))));
        ch.lock().write_stderr(b"\x1ehone:{nope\n").unwrap();
        ch.lock()
            .write_stderr(b"\x1ehone:{\"id\":2,\"call\":\"x\",\"args\":[]}\n")
            .unwrap();
        ch.lock()
            .write_stderr(&[&b"\x1ehone:{\"id\":7,"[..], &[b'x'; 100], b"\n"].concat())
            .unwrap();
        ch.stdin().ready().await;
        let text = String::from_utf8(ch.lock().read_replies(10_000).unwrap().to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].contains("malformed host call"), "{text}");
        assert!(lines[1].contains("not granted"), "{text}");
        assert!(lines[2].contains("larger than 64 bytes"), "{text}");
        assert!(lines[2].contains("\"id\":7"), "{text}");
    }

    #[test]
    fn request_floods_hit_the_output_limit() {
        let mut ch = channel(HostFunctions::new());
        let flood = b"\x1ehone:{}\n".repeat(200);
        assert!(ch.write_stderr(&flood).is_err());
        assert!(ch.output_limit_hit);
    }

    #[test]
    fn output_is_truncated_then_stopped() {
        let mut ch = channel(HostFunctions::new());
        ch.write_stdout(&[b'a'; 500]).unwrap();
        assert_eq!(ch.stdout.kept.len(), 10);
        assert!(ch.write_stdout(&[b'a'; 600]).is_err());
        assert!(ch.output_limit_hit);
        let text = std::mem::take(&mut ch.stdout).into_text();
        assert!(text.ends_with("[… truncated 490 bytes]\n"), "{text}");
    }
}
