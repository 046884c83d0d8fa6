//! A deliberately small HTTP/1.1 server side on raw TCP, plus forwarding with reqwest.
//!
//! `faults` and `proxy` do not use hyper's server: they must be able to stop mid-body,
//! send a RST, lie about lengths or hand the socket over to a tunnel, which a conforming
//! server library will not do. This module reads request heads (httparse) and bodies
//! (Content-Length or chunked) off a keep-alive connection and encodes responses; what
//! to send, and whether to misbehave, is up to the caller.

use std::io;
use std::time::Duration;

use hyper::body::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Request heads larger than this are refused: no SDK request comes close, and a runaway
/// client should not grow our memory.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Bodies are buffered whole before forwarding; this bounds what one request may pin.
const MAX_BODY_BYTES: u64 = 512 * 1024 * 1024;
const MAX_HEADERS: usize = 128;

/// A header as received: the name keeps its case, the value its raw bytes.
pub type Header = (String, Vec<u8>);

#[derive(Debug)]
pub struct RequestHead {
    pub method: String,
    /// The request-target exactly as sent: origin-form (`/path?q`), absolute-form or, for
    /// CONNECT, authority-form (`host:port`).
    pub target: String,
    /// 0 for HTTP/1.0, 1 for HTTP/1.1.
    pub minor_version: u8,
    pub headers: Vec<Header>,
}

impl RequestHead {
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// Whether the client asked to close after this exchange (or is an HTTP/1.0 client
    /// that did not ask to keep it open).
    pub fn wants_close(&self) -> bool {
        let connection = self.header("connection").map(tokens).unwrap_or_default();
        let has = |token: &str| connection.iter().any(|t| t.eq_ignore_ascii_case(token));
        if self.minor_version == 0 {
            !has("keep-alive")
        } else {
            has("close")
        }
    }

    /// The path and the query (without `?`) of an origin-form target.
    pub fn path_and_query(&self) -> (&str, Option<&str>) {
        match self.target.split_once('?') {
            Some((path, query)) => (path, Some(query)),
            None => (&self.target, None),
        }
    }

    pub fn is_head(&self) -> bool {
        self.method.eq_ignore_ascii_case("HEAD")
    }

    /// Whether a body follows the head (either framing header present).
    fn has_body_framing(&self) -> bool {
        self.header("transfer-encoding").is_some() || self.header("content-length").is_some()
    }
}

/// One accepted client connection with its read buffer: bytes read past the current
/// message stay here for the next request (pipelining) or for a tunnel.
#[derive(Debug)]
pub struct Conn {
    pub stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            buf: Vec::with_capacity(8 * 1024),
        }
    }

    /// The socket and any bytes already read past the last request head.
    pub fn into_parts(self) -> (TcpStream, Vec<u8>) {
        (self.stream, self.buf)
    }

    /// The next request head, or `None` if the client closed the connection cleanly
    /// between requests.
    pub async fn read_head(&mut self) -> io::Result<Option<RequestHead>> {
        loop {
            if !self.buf.is_empty() {
                let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
                let mut request = httparse::Request::new(&mut headers);
                match request.parse(&self.buf) {
                    Ok(httparse::Status::Complete(len)) => {
                        let head = RequestHead {
                            method: request.method.unwrap_or_default().to_owned(),
                            target: request.path.unwrap_or_default().to_owned(),
                            minor_version: request.version.unwrap_or(1),
                            headers: request
                                .headers
                                .iter()
                                .map(|h| (h.name.to_owned(), h.value.to_vec()))
                                .collect(),
                        };
                        self.buf.drain(..len);
                        return Ok(Some(head));
                    }
                    Ok(httparse::Status::Partial) => {}
                    Err(e) => return Err(invalid(format!("bad request head: {e}"))),
                }
                if self.buf.len() > MAX_HEAD_BYTES {
                    return Err(invalid("request head too large"));
                }
            }
            if self.read_more().await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(io::ErrorKind::UnexpectedEof.into())
                };
            }
        }
    }

    /// The body that follows `head`, de-chunked; `None` if the head announced no body.
    pub async fn read_body(&mut self, head: &RequestHead) -> io::Result<Option<Vec<u8>>> {
        if !head.has_body_framing() {
            return Ok(None);
        }
        // Clients that send `Expect: 100-continue` (curl, for large uploads) wait for this
        // before sending the body; answering it keeps them from stalling for a second.
        if head
            .header("expect")
            .is_some_and(|v| v.eq_ignore_ascii_case(b"100-continue"))
        {
            self.stream
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await?;
        }
        let chunked = head
            .header("transfer-encoding")
            .map(tokens)
            .and_then(|codings| codings.last().map(|c| c.eq_ignore_ascii_case("chunked")))
            .unwrap_or(false);
        if chunked {
            return self.read_chunked().await.map(Some);
        }
        if head.header("transfer-encoding").is_some() {
            // A non-chunked transfer coding on a request has no length: RFC 9112 §6.3.
            return Err(invalid("request transfer-coding is not chunked"));
        }
        let length = head
            .header("content-length")
            .and_then(|v| std::str::from_utf8(v).ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .ok_or_else(|| invalid("bad content-length"))?;
        if length > MAX_BODY_BYTES {
            return Err(invalid("request body too large"));
        }
        let length = usize::try_from(length).map_err(|_| invalid("request body too large"))?;
        self.fill_to(length).await?;
        Ok(Some(self.buf.drain(..length).collect()))
    }

    async fn read_chunked(&mut self) -> io::Result<Vec<u8>> {
        let mut body = Vec::new();
        loop {
            let (skip, size) = loop {
                match httparse::parse_chunk_size(&self.buf) {
                    Ok(httparse::Status::Complete(parsed)) => break parsed,
                    Ok(httparse::Status::Partial) => {
                        if self.buf.len() > MAX_HEAD_BYTES {
                            return Err(invalid("chunk size line too long"));
                        }
                        self.read_more_or_eof().await?;
                    }
                    Err(_) => return Err(invalid("bad chunk size")),
                }
            };
            self.buf.drain(..skip);
            if size == 0 {
                // Trailer fields, if any, end with an empty line; they are dropped.
                loop {
                    let line = self.read_line().await?;
                    if line.is_empty() {
                        return Ok(body);
                    }
                }
            }
            if body.len() as u64 + size > MAX_BODY_BYTES {
                return Err(invalid("request body too large"));
            }
            let size = usize::try_from(size).map_err(|_| invalid("chunk too large"))?;
            self.fill_to(size + 2).await?;
            if &self.buf[size..size + 2] != b"\r\n" {
                return Err(invalid("chunk not followed by CRLF"));
            }
            body.extend(self.buf.drain(..size));
            self.buf.drain(..2);
        }
    }

    /// One CRLF-terminated line, without the CRLF.
    async fn read_line(&mut self) -> io::Result<Vec<u8>> {
        loop {
            if let Some(end) = self.buf.windows(2).position(|w| w == b"\r\n") {
                let line = self.buf[..end].to_vec();
                self.buf.drain(..end + 2);
                return Ok(line);
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err(invalid("line too long"));
            }
            self.read_more_or_eof().await?;
        }
    }

    async fn fill_to(&mut self, len: usize) -> io::Result<()> {
        while self.buf.len() < len {
            self.read_more_or_eof().await?;
        }
        Ok(())
    }

    async fn read_more_or_eof(&mut self) -> io::Result<()> {
        match self.read_more().await? {
            0 => Err(io::ErrorKind::UnexpectedEof.into()),
            _ => Ok(()),
        }
    }

    async fn read_more(&mut self) -> io::Result<usize> {
        // Into the buffer's spare capacity: a stack array here would make every future
        // that awaits a read this large.
        self.buf.reserve(16 * 1024);
        self.stream.read_buf(&mut self.buf).await
    }

    /// Reads and discards until the client closes or `limit` passes: a connection that is
    /// never answered, without spinning and without outliving its client.
    pub async fn drain_until_closed(&mut self, limit: Duration) {
        let _ = tokio::time::timeout(limit, async {
            let mut chunk = [0u8; 4 * 1024];
            while let Ok(1..) = self.stream.read(&mut chunk).await {}
        })
        .await;
    }
}

/// How the body of a response is delimited.
#[derive(Debug, Clone, Copy)]
pub enum Framing {
    /// `Content-Length: n` (omitted for statuses that never have a body).
    Length(u64),
    Chunked,
    /// Neither added nor removed: the headers already say it (answers to HEAD).
    AsIs,
}

/// Status line and headers. Framing headers in `headers` are replaced according to
/// `framing`, so a caller cannot accidentally send two conflicting lengths.
pub fn encode_head(status: u16, headers: &[Header], framing: Framing, close: bool) -> Vec<u8> {
    let reason = hyper::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("Unknown");
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n").into_bytes();
    let framing_header = |name: &str| {
        name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding")
    };
    for (name, value) in headers {
        if !matches!(framing, Framing::AsIs) && framing_header(name) {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value);
        out.extend_from_slice(b"\r\n");
    }
    let bodyless = (100..200).contains(&status) || status == 204 || status == 304;
    match framing {
        Framing::Length(_) | Framing::Chunked if bodyless => {}
        Framing::Length(n) => out.extend_from_slice(format!("Content-Length: {n}\r\n").as_bytes()),
        Framing::Chunked => out.extend_from_slice(b"Transfer-Encoding: chunked\r\n"),
        Framing::AsIs => {}
    }
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// A whole response with an exact Content-Length; the body is left out for HEAD.
pub fn encode_response(
    status: u16,
    headers: &[Header],
    body: &[u8],
    for_head: bool,
    close: bool,
) -> Vec<u8> {
    let framing = if for_head {
        Framing::AsIs
    } else {
        Framing::Length(body.len() as u64)
    };
    let mut out = encode_head(status, headers, framing, close);
    if !for_head {
        out.extend_from_slice(body);
    }
    out
}

/// A small JSON response, for control endpoints and errors of our own.
pub fn json_response(status: u16, value: &impl serde::Serialize, close: bool) -> Vec<u8> {
    let headers = [("Content-Type".to_owned(), b"application/json".to_vec())];
    // Serializing our own plain structs cannot fail; an empty body would show if it did.
    let body = serde_json::to_vec(value).unwrap_or_default();
    encode_response(status, &headers, &body, false, close)
}

pub fn error_response(status: u16, message: &str, close: bool) -> Vec<u8> {
    json_response(status, &serde_json::json!({ "error": message }), close)
}

/// Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection and are never forwarded.
pub fn is_hop_by_hop(name: &str) -> bool {
    const NAMES: [&str; 6] = [
        "connection",
        "keep-alive",
        "transfer-encoding",
        "te",
        "upgrade",
        "trailer",
    ];
    NAMES.iter().any(|n| name.eq_ignore_ascii_case(n))
        || name
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case("proxy-"))
}

/// The comma-separated tokens of a header value such as Connection or Transfer-Encoding.
fn tokens(value: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(value)
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The headers to pass on: without hop-by-hop ones, without those that the Connection
/// header names, and without `skip` (e.g. Host, which reqwest sets from the URL).
fn end_to_end<'a>(
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])> + Clone,
    skip: &[&str],
) -> Vec<(&'a str, &'a [u8])> {
    let named_by_connection: Vec<String> = headers
        .clone()
        .into_iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("connection"))
        .flat_map(|(_, v)| tokens(v))
        .collect();
    headers
        .into_iter()
        .filter(|(n, _)| {
            !is_hop_by_hop(n)
                && !skip.iter().any(|s| n.eq_ignore_ascii_case(s))
                && !named_by_connection
                    .iter()
                    .any(|c| n.eq_ignore_ascii_case(c))
        })
        .collect()
}

/// The forwarding client: no redirects (the client must see them), no proxy from the
/// environment (tests run with whatever HTTP_PROXY the machine has), no transparent
/// decompression (bodies pass through byte for byte).
pub fn forwarding_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .no_gzip()
        .build()
        .map_err(|e| format!("cannot build the HTTP client: {e}"))
}

/// The base URL of a reverse proxy's upstream, checked once at start.
pub fn upstream_base(upstream: &str) -> Result<String, String> {
    let url = reqwest::Url::parse(upstream)
        .map_err(|e| format!("--upstream {upstream:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("--upstream {upstream:?} must be an http(s) URL"));
    }
    Ok(upstream.trim_end_matches('/').to_owned())
}

/// An upstream answer, read whole.
#[derive(Debug)]
pub struct Forwarded {
    pub status: u16,
    /// End-to-end headers; Content-Length only for answers to HEAD (where it describes
    /// the body that was not sent), otherwise the writer recomputes it.
    pub headers: Vec<Header>,
    pub body: Bytes,
}

/// Sends one request to `url` and reads the whole answer.
pub async fn forward<'a>(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    headers: impl IntoIterator<Item = (&'a str, &'a [u8])> + Clone,
    body: Option<Vec<u8>>,
) -> Result<Forwarded, String> {
    let method = reqwest::Method::from_bytes(method.as_bytes())
        .map_err(|_| format!("bad method {method:?}"))?;
    let is_head = method == reqwest::Method::HEAD;
    let mut outgoing = HeaderMap::new();
    for (name, value) in end_to_end(headers, &["host", "content-length", "expect"]) {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_bytes(value),
        ) {
            outgoing.append(name, value);
        }
    }
    let mut request = client.request(method, url).headers(outgoing);
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.map_err(|e| error_chain(&e))?;
    let status = response.status().as_u16();
    let received: Vec<(String, Vec<u8>)> = response
        .headers()
        .iter()
        .map(|(n, v)| (n.as_str().to_owned(), v.as_bytes().to_vec()))
        .collect();
    let skip: &[&str] = if is_head { &[] } else { &["content-length"] };
    let headers = end_to_end(
        received.iter().map(|(n, v)| (n.as_str(), v.as_slice())),
        skip,
    )
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_vec()))
    .collect();
    let body = response.bytes().await.map_err(|e| error_chain(&e))?;
    Ok(Forwarded {
        status,
        headers,
        body,
    })
}

/// reqwest's Display hides the cause ("error sending request"); the chain says why.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

/// Accepts connections forever, handing each to `handle` on its own task. Accept errors
/// (e.g. out of file descriptors) are transient for a test server: wait and go on.
pub async fn accept_loop<F, Fut>(listener: tokio::net::TcpListener, handle: F)
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                let _ = stream.set_nodelay(true);
                tokio::spawn(handle(stream));
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
