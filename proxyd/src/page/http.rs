//! Just enough HTTP/1.x for the stats page: one bounded request per connection, one response,
//! then close. No keep-alive, no chunked uploads: a browser, curl and a Prometheus scraper
//! need nothing more, and every byte read is bounded.

use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// Request line + headers. HAProxy's default `tune.bufsize` is 16 KiB; a stats request is a
/// few hundred bytes, so 8 KiB leaves room for long cookies and still caps what a client can
/// make us hold.
pub const MAX_HEAD: usize = 8 * 1024;
/// Header count cap, passed to httparse (which needs a fixed slot array).
pub const MAX_HEADERS: usize = 64;
/// Admin form bodies: one `s=<name>` per checked server. HAProxy answers `EXCD` when the body
/// does not fit its buffer; 16 KiB holds several hundred server names.
pub const MAX_BODY: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Head,
    Post,
    /// Anything else: not a stats request, so HAProxy hands it to the (server-less) backend.
    Other,
}

#[derive(Debug)]
pub struct Request {
    pub method: Method,
    /// The request target as sent (path and query), matched against `stats uri` as a prefix.
    pub target: String,
    /// Header names lower-cased.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The declared body did not fit [`MAX_BODY`]: the admin handler answers `EXCD`.
    pub body_too_large: bool,
    /// The request's size as HAProxy counts it in `bin` (see [`htx_size`]).
    pub htx_size: u64,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Why no request could be read; each maps to the answer HAProxy gives.
#[derive(Debug, PartialEq, Eq)]
pub enum ReadError {
    /// Closed before a full head arrived, or an I/O error: nothing to answer.
    Closed,
    /// No complete request head within the client timeout: 408.
    Timeout,
    /// Unparsable, too large or too many headers: 400.
    Bad,
}

/// Read one request head (and its body, if it declares one) within `timeout` overall.
pub async fn read_request<S: AsyncRead + Unpin>(
    stream: &mut S,
    timeout: Duration,
) -> Result<Request, ReadError> {
    let deadline = Instant::now() + timeout;
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 2048];
    let head_len = loop {
        if let Some(end) = find_head_end(&buf) {
            break end;
        }
        if buf.len() >= MAX_HEAD {
            return Err(ReadError::Bad);
        }
        let n = read_until(stream, &mut chunk, deadline).await?;
        buf.extend_from_slice(&chunk[..n]);
    };
    if head_len > MAX_HEAD {
        return Err(ReadError::Bad);
    }
    let mut slots = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Request::new(&mut slots);
    match parsed.parse(&buf[..head_len]) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(ReadError::Bad),
    }
    let method = match parsed.method.unwrap_or("") {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        _ => Method::Other,
    };
    let target = parsed.path.unwrap_or("/").to_string();
    let headers: Vec<(String, String)> = parsed
        .headers
        .iter()
        .map(|h| {
            (
                h.name.to_ascii_lowercase(),
                String::from_utf8_lossy(h.value).trim().to_string(),
            )
        })
        .collect();
    let version = if parsed.version == Some(0) {
        "HTTP/1.0"
    } else {
        "HTTP/1.1"
    };
    let start_line = [parsed.method.unwrap_or(""), &target, version];
    // HAProxy's HTTP/1 parser takes `connection` out of the message once it has read it.
    let kept = headers.iter().filter(|(n, _)| n != "connection");
    let head_size = htx_size(start_line, kept);
    let mut req = Request {
        method,
        target,
        headers,
        body: buf[head_len..].to_vec(),
        body_too_large: false,
        htx_size: head_size,
    };
    if req.header("transfer-encoding").is_some() {
        // Chunked request bodies are never sent by the stats form; refusing them keeps the
        // parser small.
        return Err(ReadError::Bad);
    }
    let declared = match req.header("content-length") {
        Some(v) => v.parse::<usize>().map_err(|_| ReadError::Bad)?,
        None => 0,
    };
    if declared > MAX_BODY {
        req.body_too_large = true;
        req.body.clear();
        return Ok(req);
    }
    while req.body.len() < declared {
        let n = read_until(stream, &mut chunk, deadline).await?;
        req.body.extend_from_slice(&chunk[..n]);
    }
    req.body.truncate(declared);
    req.htx_size += req.body.len() as u64;
    Ok(req)
}

/// What an HTTP message weighs in HAProxy's `bin`/`bout` counters: they count the message in
/// its internal (HTX) form, not the bytes on the wire. A start line is a 20-byte block plus its
/// three parts, a header its name and (trimmed) value, the end of headers one byte, then the
/// body. So a 19-byte `GET /x HTTP/1.0` request counts 34, curl's 84-byte `GET /stats` 87.
/// The tests hold these sizes against HAProxy's counters.
pub fn htx_size<'a>(
    start_line: [&str; 3],
    headers: impl IntoIterator<Item = &'a (impl AsRef<str> + 'a, String)>,
) -> u64 {
    const START_LINE_BLOCK: usize = 20;
    const END_OF_HEADERS: usize = 1;
    let sl: usize = start_line.iter().map(|p| p.len()).sum();
    let hdrs: usize = headers
        .into_iter()
        .map(|(n, v)| n.as_ref().len() + v.trim().len())
        .sum();
    (START_LINE_BLOCK + sl + hdrs + END_OF_HEADERS) as u64
}

async fn read_until<S: AsyncRead + Unpin>(
    stream: &mut S,
    chunk: &mut [u8],
    deadline: Instant,
) -> Result<usize, ReadError> {
    match tokio::time::timeout_at(deadline, stream.read(chunk)).await {
        Err(_) => Err(ReadError::Timeout),
        Ok(Ok(0)) | Ok(Err(_)) => Err(ReadError::Closed),
        Ok(Ok(n)) => Ok(n),
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|p| p + 4)
}

/// A complete response; `head_only` drops the body (HEAD) but keeps its headers.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn new(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Response {
        self.body = body.into();
        self
    }

    /// HAProxy's built-in error pages (`http_err_msgs[]`): same status line, headers and body.
    pub fn haproxy_error(status: u16) -> Response {
        let (title, text) = match status {
            400 => ("400 Bad request", "Your browser sent an invalid request."),
            401 => (
                "401 Unauthorized",
                "You need a valid user and password to access this content.",
            ),
            403 => (
                "403 Forbidden",
                "Request forbidden by administrative rules.",
            ),
            408 => (
                "408 Request Time-out",
                "Your browser didn't send a complete request in time.",
            ),
            _ => (
                "503 Service Unavailable",
                "No server is available to handle this request.",
            ),
        };
        let body = format!("<html><body><h1>{title}</h1>\n{text}\n</body></html>\n");
        Response::new(status)
            .header("content-length", body.len().to_string())
            .header("cache-control", "no-cache")
            .header("content-type", "text/html")
            .body(body)
    }

    /// The response as HAProxy's `bout` counts it ([`htx_size`]). Where proxyd frames a page
    /// with `content-length`, HAProxy's applets (stats page, exports, Prometheus) put
    /// `transfer-encoding: chunked` in the message; `connection: close` is added below the
    /// message by the HTTP/1 layer in both.
    pub fn htx_size(&self, head_only: bool) -> u64 {
        let code = self.status.to_string();
        let start_line = ["HTTP/1.1", code.as_str(), reason(self.status)];
        let mut size = htx_size(start_line, &self.headers);
        if !self.headers.iter().any(|(n, _)| *n == "content-length") {
            size += ("transfer-encoding".len() + "chunked".len()) as u64;
        }
        if !head_only {
            size += self.body.len() as u64;
        }
        size
    }

    /// Status class index of the `hrsp_*` counters: 1..=5, 0 for anything else.
    pub fn class(&self) -> usize {
        match self.status / 100 {
            c @ 1..=5 => c as usize,
            _ => 0,
        }
    }
}

pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        303 => "See Other",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        408 => "Request Time-out",
        _ => "Service Unavailable",
    }
}

/// The answers HAProxy's HTTP/1 multiplexer writes itself, raw, when it cannot read a request
/// (`http_err_msgs[]`): unlike the answers that go through a stream, their headers keep their
/// capitals.
pub fn mux_error(status: u16) -> Vec<u8> {
    let (title, text) = match status {
        408 => (
            "408 Request Time-out",
            "Your browser didn't send a complete request in time.",
        ),
        _ => ("400 Bad request", "Your browser sent an invalid request."),
    };
    let body = format!("<html><body><h1>{title}</h1>\n{text}\n</body></html>\n");
    format!(
        "HTTP/1.1 {title}\r\nContent-length: {}\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Writes `bytes` and closes; a client gone meanwhile is not an error worth reporting.
pub async fn write_raw<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) {
    let _ = stream.write_all(bytes).await;
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
}

/// Write the response and return the bytes sent. Framing is
/// `content-length` plus `connection: close`, so the client needs no chunked decoder.
pub async fn write_response<S: AsyncWrite + Unpin>(
    stream: &mut S,
    resp: &Response,
    head_only: bool,
) -> u64 {
    let mut head = format!("HTTP/1.1 {} {}\r\n", resp.status, reason(resp.status));
    let has_length = resp.headers.iter().any(|(n, _)| *n == "content-length");
    for (name, value) in &resp.headers {
        head.push_str(name);
        head.push_str(": ");
        head.push_str(value);
        head.push_str("\r\n");
    }
    if !has_length {
        head.push_str(&format!("content-length: {}\r\n", resp.body.len()));
    }
    head.push_str("connection: close\r\n\r\n");
    let mut sent = 0u64;
    if stream.write_all(head.as_bytes()).await.is_ok() {
        sent += head.len() as u64;
        if !head_only && stream.write_all(&resp.body).await.is_ok() {
            sent += resp.body.len() as u64;
        }
    }
    let _ = stream.flush().await;
    let _ = stream.shutdown().await;
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn parse(raw: &[u8]) -> Result<Request, ReadError> {
        let mut r = raw;
        read_request(&mut r, Duration::from_secs(1)).await
    }

    #[tokio::test]
    async fn reads_head_and_declared_body() {
        let req = parse(b"POST /stats HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\ns=abcEXTRA")
            .await
            .unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(req.target, "/stats");
        assert_eq!(req.header("host"), Some("x"));
        assert_eq!(req.body, b"s=abc");
    }

    #[tokio::test]
    async fn oversized_head_and_garbage_are_bad_requests() {
        let mut big = b"GET / HTTP/1.1\r\nX: ".to_vec();
        big.extend(std::iter::repeat_n(b'a', MAX_HEAD));
        big.extend_from_slice(b"\r\n\r\n");
        assert_eq!(parse(&big).await.unwrap_err(), ReadError::Bad);
        assert_eq!(
            parse(b"\x01\x02 nope\r\n\r\n").await.unwrap_err(),
            ReadError::Bad
        );
        assert_eq!(
            parse(b"GET / HTTP/1.1\r\n").await.unwrap_err(),
            ReadError::Closed
        );
    }

    #[tokio::test]
    async fn large_bodies_are_flagged_not_read() {
        let req = parse(b"POST /s HTTP/1.1\r\nContent-Length: 999999\r\n\r\n")
            .await
            .unwrap();
        assert!(req.body_too_large);
    }

    #[test]
    fn error_pages_are_haproxys() {
        let r = Response::haproxy_error(503);
        assert_eq!(r.body.len(), 107);
        assert_eq!(Response::haproxy_error(401).body.len(), 112);
    }
}
