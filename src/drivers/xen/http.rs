//! XenD's HTTP interface: one request per connection, over its unix socket
//! or its TCP server, with s-expression replies.
//!
//! XenD answered in s-expressions when the request had no `User-Agent` or
//! no `Accept` header, so neither is sent.  Errors came back three ways:
//! a status of 300 or more (404 for a domain it does not know, 500 with an
//! `(xend.err '...')` body when an operation raised, 501 for an unknown
//! operation), or `(xend.err '...')` inside a 2xx body (errors raised while
//! rendering a reply).  Every read is bounded in size and time, so a stuck
//! or misbehaving daemon gives an error, never a hang or unbounded memory.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::time::Duration;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::native::xen::sexpr::{self, Sexpr};

/// Where XenD listens unless `LIBVIRT_XEND_SOCKET` or `LIBVIRT_XEND_HTTP` says otherwise.
pub const DEFAULT_SOCKET: &str = "/var/lib/xend/xend-socket";

/// XenD's HTTP port (`xend-port` in xend-config.sxp).
pub const DEFAULT_PORT: u16 = 8000;

/// The largest reply read (XenD's replies are a few KiB per domain).
const MAX_REPLY: usize = 8 * 1024 * 1024;

/// How long one read or write may wait.
const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// How the daemon is reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// A unix socket path.
    Unix(PathBuf),
    /// A `host:port` TCP address.
    Tcp(String),
}

impl Endpoint {
    /// The endpoint from the environment: `LIBVIRT_XEND_SOCKET` (a unix
    /// socket path) first, then `LIBVIRT_XEND_HTTP` (`host:port`, the port
    /// defaulting to 8000), else XenD's default socket.
    pub fn from_env() -> Result<Endpoint> {
        if let Some(path) = std::env::var_os("LIBVIRT_XEND_SOCKET").filter(|p| !p.is_empty()) {
            return Ok(Endpoint::Unix(PathBuf::from(path)));
        }
        if let Ok(addr) = std::env::var("LIBVIRT_XEND_HTTP") {
            if !addr.is_empty() {
                return Endpoint::tcp(&addr);
            }
        }
        Ok(Endpoint::Unix(PathBuf::from(DEFAULT_SOCKET)))
    }

    /// A TCP endpoint from `host[:port]`.
    pub fn tcp(addr: &str) -> Result<Endpoint> {
        let bad = || {
            Error::invalid_arg(
                VIR_FROM_XEND,
                format!("LIBVIRT_XEND_HTTP must be host:port, not '{addr}'"),
            )
        };
        match addr.rsplit_once(':') {
            Some((host, port)) if !host.is_empty() && !host.ends_with(':') => {
                port.parse::<u16>().map_err(|_| bad())?;
                Ok(Endpoint::Tcp(addr.to_string()))
            }
            Some(_) => Err(bad()),
            None if addr.contains(['/', ' ']) => Err(bad()),
            None => Ok(Endpoint::Tcp(format!("{addr}:{DEFAULT_PORT}"))),
        }
    }

    fn describe(&self) -> String {
        match self {
            Endpoint::Unix(p) => p.display().to_string(),
            Endpoint::Tcp(a) => format!("http://{a}"),
        }
    }
}

/// A reply: its status and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The HTTP status code.
    pub status: u16,
    /// The body as text.
    pub body: String,
}

/// A client of one XenD.
#[derive(Debug, Clone)]
pub struct Xend {
    endpoint: Endpoint,
}

trait Stream: Read + Write {}
impl<T: Read + Write> Stream for T {}

impl Xend {
    /// A client of the daemon at `endpoint` (nothing is connected yet).
    pub fn new(endpoint: Endpoint) -> Xend {
        Xend { endpoint }
    }

    /// Where the client connects.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    fn connect(&self) -> Result<Box<dyn Stream>> {
        let fail = |e: &std::io::Error| {
            Error::io(
                VIR_FROM_XEND,
                e,
                format!("failed to connect to xend at {}", self.endpoint.describe()),
            )
        };
        Ok(match &self.endpoint {
            Endpoint::Unix(path) => {
                let s = UnixStream::connect(path).map_err(|e| fail(&e))?;
                s.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| fail(&e))?;
                s.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| fail(&e))?;
                Box::new(s)
            }
            Endpoint::Tcp(addr) => {
                let s = TcpStream::connect(addr.as_str()).map_err(|e| fail(&e))?;
                s.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| fail(&e))?;
                s.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| fail(&e))?;
                let _ = s.set_nodelay(true);
                Box::new(s)
            }
        })
    }

    /// Sends one request and reads the whole reply.
    pub fn request(&self, method: &str, path: &str, body: Option<&str>) -> Result<Reply> {
        let mut stream = self.connect()?;
        let host = match &self.endpoint {
            Endpoint::Tcp(a) => a.clone(),
            Endpoint::Unix(_) => format!("localhost:{DEFAULT_PORT}"),
        };
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nHost: {host}\r\nAccept-Encoding: identity\r\nConnection: close\r\n"
        );
        if let Some(b) = body {
            req.push_str("Content-Type: application/x-www-form-urlencoded\r\n");
            req.push_str(&format!("Content-Length: {}\r\n", b.len()));
        }
        req.push_str("\r\n");
        req.push_str(body.unwrap_or(""));
        let what = format!("{method} {path}");
        stream
            .write_all(req.as_bytes())
            .map_err(|e| Error::io(VIR_FROM_XEND, &e, format!("failed to send {what} to xend")))?;
        let mut raw = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match stream.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => {
                    if raw.len() + n > MAX_REPLY {
                        return Err(Error::internal(
                            VIR_FROM_XEND,
                            format!("xend's reply to {what} is larger than {MAX_REPLY} bytes"),
                        ));
                    }
                    raw.extend_from_slice(&chunk[..n]);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    return Err(Error::io(
                        VIR_FROM_XEND,
                        &e,
                        format!("failed to read xend's reply to {what}"),
                    ))
                }
            }
        }
        parse_reply(&raw, &what)
    }

    /// GETs `path` and reads the reply as one s-expression; Ok(None) when
    /// XenD answers 404 (no such domain).
    pub fn get_sexpr(&self, path: &str) -> Result<Option<(Sexpr, String)>> {
        let reply = self.request("GET", path, None)?;
        if reply.status == 404 {
            return Ok(None);
        }
        let what = format!("GET {path}");
        check(&reply, &what, VIR_ERR_GET_FAILED)?;
        let tree = read_body(&reply.body, &what)?;
        Ok(Some((tree, reply.body)))
    }

    /// POSTs form `params` to `path`; the reply's body when XenD reports success.
    pub fn post(&self, path: &str, params: &[(&str, &str)]) -> Result<String> {
        let body = params
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let reply = self.request("POST", path, Some(&body))?;
        let op = params
            .iter()
            .find(|(k, _)| *k == "op")
            .map(|(_, v)| *v)
            .unwrap_or("?");
        check(&reply, &format!("POST {path} (op={op})"), VIR_ERR_POST_FAILED)?;
        Ok(reply.body)
    }
}

/// An error for a reply XenD did not complete or that is not HTTP.
fn bad_reply(what: &str, detail: impl AsRef<str>) -> Error {
    Error::internal(
        VIR_FROM_XEND,
        format!("bad reply from xend to {what}: {}", detail.as_ref()),
    )
}

/// Splits a raw reply into status and body, checking that it is complete.
pub fn parse_reply(raw: &[u8], what: &str) -> Result<Reply> {
    if raw.is_empty() {
        return Err(bad_reply(what, "the connection closed without a reply"));
    }
    if !raw.starts_with(b"HTTP/1.") {
        let shown: String = String::from_utf8_lossy(&raw[..raw.len().min(40)])
            .chars()
            .map(|c| if c.is_control() { '.' } else { c })
            .collect();
        return Err(bad_reply(what, format!("not an HTTP reply: '{shown}'")));
    }
    let head_end = find(raw, b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| find(raw, b"\n\n").map(|i| (i, i + 2)))
        .ok_or_else(|| bad_reply(what, "the reply ended inside its headers (truncated)"))?;
    let head =
        std::str::from_utf8(&raw[..head_end.0]).map_err(|_| bad_reply(what, "the headers are not text"))?;
    let mut lines = head.lines();
    let status_line = lines.next().unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    parts.next();
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .filter(|s| (100..1000).contains(s))
        .ok_or_else(|| bad_reply(what, format!("invalid status line '{status_line}'")))?;
    let mut length = None;
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                length =
                    Some(value.trim().parse::<usize>().map_err(|_| {
                        bad_reply(what, format!("invalid Content-Length '{}'", value.trim()))
                    })?);
            }
        }
    }
    let mut body = &raw[head_end.1..];
    if let Some(len) = length {
        if body.len() < len {
            return Err(bad_reply(
                what,
                format!("truncated: {} of {len} bytes of the body arrived", body.len()),
            ));
        }
        body = &body[..len];
    }
    let body = String::from_utf8(body.to_vec()).map_err(|_| bad_reply(what, "the body is not UTF-8 text"))?;
    Ok(Reply { status, body })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The message of an `(xend.err '...')` body.
pub fn xend_error(body: &str) -> Option<String> {
    let trimmed = body.trim_start();
    if !trimmed.starts_with("(xend.err") {
        return None;
    }
    let msg = sexpr::read_with(trimmed, sexpr::ReadOptions { lenient_end: true })
        .ok()
        .and_then(|t| t.rest().first().and_then(|m| m.as_atom().map(str::to_string)))
        .unwrap_or_else(|| trimmed.to_string());
    Some(msg)
}

/// Fails for error statuses and for `(xend.err ...)` bodies.
fn check(reply: &Reply, what: &str, code: i32) -> Result<()> {
    if let Some(msg) = xend_error(&reply.body) {
        return Err(Error::with(
            VIR_FROM_XEND,
            code,
            format!("{what}: error from xen daemon: {msg}"),
        ));
    }
    if reply.status >= 300 {
        let text: String = reply.body.trim().chars().take(200).collect();
        let detail = if text.is_empty() {
            format!("{what}: xen daemon answered HTTP {}", reply.status)
        } else {
            format!("{what}: xen daemon answered HTTP {}: {text}", reply.status)
        };
        return Err(Error::with(VIR_FROM_XEND, code, detail));
    }
    Ok(())
}

/// Reads a reply body as one s-expression, naming the request on failure.
pub fn read_body(body: &str, what: &str) -> Result<Sexpr> {
    sexpr::read(body).map_err(|e| {
        Error::internal(
            VIR_FROM_XEND,
            format!(
                "xend's reply to {what} is not a valid s-expression: {}",
                e.message
            ),
        )
    })
}

/// `application/x-www-form-urlencoded` encoding of one key or value.
pub fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_split_and_checked() {
        let r = parse_reply(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n(a)\nxx", "GET /").unwrap();
        assert_eq!((r.status, r.body.as_str()), (200, "(a)\n"));
        let r = parse_reply(b"HTTP/1.0 404 Not Found\n\n", "GET /").unwrap();
        assert_eq!(r.status, 404);
        for bad in [
            &b""[..],
            b"HTTP/1.1 200 OK\r\nContent-Len",
            b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n(a)",
            b"SSH-2.0-OpenSSH\r\n\r\n",
            b"HTTP/1.1 abc\r\n\r\n",
        ] {
            let e = parse_reply(bad, "GET /").unwrap_err();
            assert_eq!(e.domain, VIR_FROM_XEND, "{e}");
            assert!(e.message.contains("bad reply from xend to GET /"), "{e}");
        }
    }

    #[test]
    fn xend_errors_are_found_in_bodies() {
        assert_eq!(
            xend_error("(xend.err 'No such domain x')").as_deref(),
            Some("No such domain x")
        );
        assert_eq!(xend_error("(domain (name x))"), None);
        let reply = Reply {
            status: 200,
            body: "(xend.err \"Domain 'x' is not started\")".into(),
        };
        let e = check(&reply, "POST /xend/domain/x (op=pause)", VIR_ERR_POST_FAILED).unwrap_err();
        assert_eq!(e.code, VIR_ERR_POST_FAILED);
        assert!(
            e.message
                .ends_with("error from xen daemon: Domain 'x' is not started"),
            "{e}"
        );
    }

    #[test]
    fn endpoints_and_forms() {
        assert_eq!(Endpoint::tcp("h:8001").unwrap(), Endpoint::Tcp("h:8001".into()));
        assert_eq!(Endpoint::tcp("h").unwrap(), Endpoint::Tcp("h:8000".into()));
        assert!(Endpoint::tcp("h:x").is_err());
        assert!(Endpoint::tcp(":1").is_err());
        assert_eq!(
            form_encode("(vm (name 'a b'))"),
            "%28vm%20%28name%20%27a%20b%27%29%29"
        );
    }
}
