//! A small SMTP server for the tests: it speaks just enough SMTP for lettre (no TLS,
//! no AUTH), keeps what it receives, and can be switched to refuse mail to simulate
//! an outage.
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    sync::Notify,
};

/// One message as the server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub recipients: Vec<String>,
    pub raw: String,
}

#[derive(Default)]
struct Shared {
    messages: Mutex<Vec<ReceivedMail>>,
    refusing: AtomicBool,
    refused: AtomicUsize,
    changed: Notify,
}

pub struct SmtpSink {
    port: u16,
    shared: Arc<Shared>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind sink");
        let port = listener.local_addr().expect("sink address").port();
        let shared = Arc::new(Shared::default());
        let accepting = shared.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, accepting.clone()));
            }
        });
        Self { port, shared }
    }

    /// Plain SMTP, no TLS: what `SMTP_URL` should say to reach this sink.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// While refusing, every connection gets `421` and is closed: the server is "down".
    pub fn set_refusing(&self, refusing: bool) {
        self.shared.refusing.store(refusing, Ordering::SeqCst);
    }

    /// How many connections were turned away while refusing.
    pub fn refused(&self) -> usize {
        self.shared.refused.load(Ordering::SeqCst)
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.shared.messages.lock().expect("sink lock").clone()
    }

    /// Waits until at least `n` messages arrived; panics after `timeout`.
    pub async fn wait_for(&self, n: usize, timeout: Duration) -> Vec<ReceivedMail> {
        self.wait_until(timeout, || self.received().len() >= n)
            .await
            .unwrap_or_else(|| {
                panic!(
                    "expected {n} message(s) within {timeout:?}, got {}",
                    self.received().len()
                )
            });
        self.received()
    }

    /// Waits until at least `n` connections were refused; panics after `timeout`.
    pub async fn wait_for_refusals(&self, n: usize, timeout: Duration) {
        self.wait_until(timeout, || self.refused() >= n)
            .await
            .unwrap_or_else(|| panic!("expected {n} refused connection(s) within {timeout:?}"));
    }

    async fn wait_until(&self, timeout: Duration, done: impl Fn() -> bool) -> Option<()> {
        tokio::time::timeout(timeout, async {
            loop {
                let changed = self.shared.changed.notified();
                if done() {
                    return;
                }
                // A poll as well, in case a change slips between check and wait.
                let _ = tokio::time::timeout(Duration::from_millis(50), changed).await;
            }
        })
        .await
        .ok()
    }
}

async fn serve(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read);
    if shared.refusing.load(Ordering::SeqCst) {
        shared.refused.fetch_add(1, Ordering::SeqCst);
        shared.changed.notify_waiters();
        let _ = write.write_all(b"421 4.3.2 sink is down\r\n").await;
        return;
    }
    let mut recipients = Vec::new();
    macro_rules! reply {
        ($text:expr) => {
            if write.write_all($text).await.is_err() {
                return;
            }
        };
    }
    reply!(b"220 sink.test ESMTP test sink\r\n");
    let mut line = String::new();
    loop {
        line.clear();
        match lines.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let command = line.trim_end().to_ascii_uppercase();
        if command.starts_with("EHLO") || command.starts_with("HELO") {
            reply!(b"250 sink.test\r\n");
        } else if command.starts_with("MAIL FROM") {
            recipients.clear();
            reply!(b"250 2.1.0 OK\r\n");
        } else if command.starts_with("RCPT TO") {
            let address = line.trim_end()[8..]
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned();
            recipients.push(address);
            reply!(b"250 2.1.5 OK\r\n");
        } else if command == "DATA" {
            reply!(b"354 end with <CRLF>.<CRLF>\r\n");
            let mut raw = String::new();
            loop {
                line.clear();
                match lines.read_line(&mut line).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
                if line == ".\r\n" {
                    break;
                }
                // Dot-stuffing: a leading "." was doubled by the client.
                raw.push_str(line.strip_prefix('.').unwrap_or(&line));
            }
            shared
                .messages
                .lock()
                .expect("sink lock")
                .push(ReceivedMail {
                    recipients: std::mem::take(&mut recipients),
                    raw,
                });
            shared.changed.notify_waiters();
            reply!(b"250 2.0.0 queued\r\n");
        } else if command == "QUIT" {
            let _ = write.write_all(b"221 2.0.0 bye\r\n").await;
            return;
        } else if command == "RSET" || command == "NOOP" {
            reply!(b"250 2.0.0 OK\r\n");
        } else {
            reply!(b"502 5.5.2 not implemented\r\n");
        }
    }
}

impl ReceivedMail {
    /// The one recipient of a message the service sent.
    pub fn to(&self) -> &str {
        assert_eq!(self.recipients.len(), 1, "{:?}", self.recipients);
        &self.recipients[0]
    }

    /// The decoded `Subject` header.
    pub fn subject(&self) -> String {
        let (headers, _) = split_head(&self.raw);
        decode_words(&header(headers, "subject").unwrap_or_default())
    }

    /// The decoded body of the first part of this content type (`text/plain`,
    /// `text/html`), looking inside multiparts.
    pub fn part(&self, content_type: &str) -> Option<String> {
        find_part(&self.raw, content_type)
    }

    pub fn text(&self) -> String {
        self.part("text/plain")
            .unwrap_or_else(|| panic!("no text/plain part in:\n{}", self.raw))
    }

    pub fn html(&self) -> String {
        self.part("text/html")
            .unwrap_or_else(|| panic!("no text/html part in:\n{}", self.raw))
    }

    /// The token of the first link to `{PUBLIC_URL}/{path}?token=…` in the text part.
    pub fn token(&self, path: &str) -> String {
        let text = self.text();
        let marker = format!("http://auth.test/{path}?token=");
        let start = text
            .find(&marker)
            .unwrap_or_else(|| panic!("no {marker} link in:\n{text}"))
            + marker.len();
        text[start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect()
    }
}

/// Headers and body of a message or part.
fn split_head(raw: &str) -> (&str, &str) {
    raw.split_once("\r\n\r\n")
        .or_else(|| raw.split_once("\n\n"))
        .unwrap_or((raw, ""))
}

/// A header's value, with folded lines joined: unfolding removes the line break, not
/// the white space after it (RFC 5322 §2.2.3), which may separate encoded words.
fn header(headers: &str, name: &str) -> Option<String> {
    let mut value: Option<String> = None;
    let mut found = false;
    for line in headers.lines() {
        if line.starts_with([' ', '\t']) {
            if found {
                let value = value.get_or_insert_default();
                value.push(' ');
                value.push_str(line.trim_start());
            }
            continue;
        }
        if found {
            break;
        }
        if let Some((key, rest)) = line.split_once(':')
            && key.trim().eq_ignore_ascii_case(name)
        {
            found = true;
            value = Some(rest.trim().to_owned());
        }
    }
    value
}

fn find_part(raw: &str, wanted: &str) -> Option<String> {
    let (headers, body) = split_head(raw);
    let content_type = header(headers, "content-type").unwrap_or_else(|| "text/plain".into());
    let lowered = content_type.to_ascii_lowercase();
    if lowered.starts_with("multipart/") {
        let boundary = content_type
            .split(';')
            .filter_map(|p| p.trim().split_once('='))
            .find(|(k, _)| k.eq_ignore_ascii_case("boundary"))
            .map(|(_, v)| v.trim_matches('"').to_owned())?;
        let delimiter = format!("--{boundary}");
        return body
            .split(&delimiter)
            .skip(1)
            .take_while(|part| !part.starts_with("--"))
            .find_map(|part| find_part(part.trim_start_matches(['\r', '\n']), wanted));
    }
    if !lowered.starts_with(wanted) {
        return None;
    }
    let encoding = header(headers, "content-transfer-encoding")
        .unwrap_or_default()
        .to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => STANDARD
            .decode(body.split_whitespace().collect::<String>())
            .expect("valid base64 body"),
        "quoted-printable" => quoted_printable(body),
        _ => body.as_bytes().to_vec(),
    };
    Some(String::from_utf8(bytes).expect("UTF-8 body"))
}

fn quoted_printable(body: &str) -> Vec<u8> {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'=' if bytes[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if bytes[i + 1..].starts_with(b"\n") => i += 2,
            b'=' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).expect("ASCII");
                out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                i += 3;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// RFC 2047 encoded words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in a header value;
/// whitespace between two encoded words is dropped.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    let mut previous_was_word = false;
    for token in value.split_whitespace() {
        let decoded = token
            .strip_prefix("=?")
            .and_then(|t| t.strip_suffix("?="))
            .and_then(|t| {
                let mut parts = t.splitn(3, '?');
                let (_charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
                let bytes = match encoding.to_ascii_lowercase().as_str() {
                    "b" => STANDARD.decode(text).ok()?,
                    "q" => quoted_printable(&text.replace('_', " ")),
                    _ => return None,
                };
                String::from_utf8(bytes).ok()
            });
        match decoded {
            Some(text) => {
                if !out.is_empty() && !previous_was_word {
                    out.push(' ');
                }
                out.push_str(&text);
                previous_was_word = true;
            }
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(token);
                previous_was_word = false;
            }
        }
    }
    out
}
