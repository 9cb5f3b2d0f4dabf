//! HTTP(S) client set-up shared by the drivers that talk to a web service
//! (ESX's vSphere SOAP, later Hyper-V's WS-Management): certificate checks on
//! unless `no_verify`, an optional proxy, timeouts so that no call can hang, and
//! the session cookies of one connection.

mod cookies;
pub mod ntlm;
mod proxy;

use std::collections::HashMap;
use std::io::Read;
use std::time::Duration;

use parking_lot::Mutex;
use ureq::tls::{RootCerts, TlsConfig};

use crate::abi::*;
use crate::error::{Error, Result};

pub use cookies::CookieJar;
pub use proxy::{parse_proxy, ProxyKind, ProxySpec};

/// Where the system keeps its trusted CA certificates (Debian's bundle); the
/// bundled Mozilla roots are used when it is missing.
const SYSTEM_CA_BUNDLE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// The most a reply body may hold: VMX files and property dumps are small,
/// but a large inventory can reach some megabytes.
const MAX_BODY: u64 = 64 * 1024 * 1024;

/// How an HTTP client is set up.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Skip the server certificate check (`no_verify=1`).
    pub no_verify: bool,
    /// The proxy to go through, if any.
    pub proxy: Option<ProxySpec>,
    /// How long connecting may take.
    pub connect_timeout: Duration,
    /// How long one whole request (send, wait, receive) may take.
    pub request_timeout: Duration,
    /// The error domain failures are reported in.
    pub error_domain: i32,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            no_verify: false,
            proxy: None,
            connect_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(300),
            error_domain: VIR_FROM_NONE,
        }
    }
}

/// A reply: status, headers of interest and the body.
#[derive(Debug, Clone)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<String>,
    /// The `WWW-Authenticate` headers (schemes offered, or a challenge).
    pub authenticate: Vec<String>,
    /// The body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One connection's HTTP client: an agent plus the cookies the server set.
pub struct HttpClient {
    agent: ureq::Agent,
    cookies: Mutex<CookieJar>,
    domain: i32,
}

/// The trusted roots: the system bundle when readable, else the bundled ones.
fn root_certs() -> RootCerts {
    let pem = std::fs::read(SYSTEM_CA_BUNDLE).unwrap_or_default();
    let certs: Vec<ureq::tls::Certificate<'static>> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    if certs.is_empty() {
        return RootCerts::WebPki;
    }
    RootCerts::new_with_certs(&certs)
}

impl HttpClient {
    /// A client set up as `opts` says.
    pub fn new(opts: &HttpOptions) -> Result<HttpClient> {
        let tls = if opts.no_verify {
            TlsConfig::builder().disable_verification(true).build()
        } else {
            TlsConfig::builder().root_certs(root_certs()).build()
        };
        let proxy = match &opts.proxy {
            Some(p) => Some(ureq::Proxy::new(&p.url()).map_err(|e| {
                Error::internal(
                    opts.error_domain,
                    format!("Could not set up proxy '{}': {e}", p.url()),
                )
            })?),
            None => None,
        };
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .tls_config(tls)
            .proxy(proxy)
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_global(Some(opts.request_timeout))
            .max_redirects(0)
            .user_agent("libvirt-rs")
            .build()
            .into();
        Ok(HttpClient {
            agent,
            cookies: Mutex::new(CookieJar::default()),
            domain: opts.error_domain,
        })
    }

    /// Sends one request; any HTTP status is a reply, only transport
    /// failures are errors.
    pub fn request(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Result<HttpResponse> {
        let mut builder = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            builder = builder.header(*k, *v);
        }
        if let Some(cookie) = self.cookies.lock().header() {
            builder = builder.header("Cookie", cookie);
        }
        let request = builder
            .body(body.map(<[u8]>::to_vec).unwrap_or_default())
            .map_err(|e| Error::internal(self.domain, format!("Invalid HTTP request for '{url}': {e}")))?;
        let mut response = self
            .agent
            .run(request)
            .map_err(|e| transport_error(self.domain, url, &e))?;
        let mut set = HashMap::new();
        for v in response.headers().get_all("set-cookie") {
            if let Ok(v) = v.to_str() {
                if let Some((name, value)) = cookies::parse_set_cookie(v) {
                    set.insert(name, value);
                }
            }
        }
        self.cookies.lock().update(set);
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let authenticate = response
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_string)
            .collect();
        let mut body = Vec::new();
        response
            .body_mut()
            .with_config()
            .limit(MAX_BODY)
            .reader()
            .read_to_end(&mut body)
            .map_err(|e| Error::internal(self.domain, format!("Could not read the reply of '{url}': {e}")))?;
        Ok(HttpResponse {
            status,
            content_type,
            authenticate,
            body,
        })
    }

    /// Forgets the session cookies (after logging out).
    pub fn clear_cookies(&self) {
        *self.cookies.lock() = CookieJar::default();
    }
}

/// A transport failure in libvirt's words.  Certificate problems keep the
/// wording libvirt's curl-based driver shows (users and scripts know it),
/// with the TLS library's own reason after it.
fn transport_error(domain: i32, url: &str, err: &ureq::Error) -> Error {
    let text = err.to_string();
    let lower = text.to_ascii_lowercase();
    if lower.contains("certificate") || lower.contains("unknownissuer") {
        return Error::internal(
            domain,
            format!(
                "curl_easy_perform() returned an error: Peer certificate cannot be authenticated \
                 with known CA certificates (60) : {text}"
            ),
        );
    }
    let what = match err {
        ureq::Error::Timeout(_) => "Timeout was reached (28)",
        ureq::Error::HostNotFound => "Couldn't resolve host name (6)",
        ureq::Error::ConnectionFailed => "Couldn't connect to server (7)",
        ureq::Error::Io(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            "Couldn't connect to server (7)"
        }
        ureq::Error::ConnectProxyFailed(_) | ureq::Error::InvalidProxyUrl => "Couldn't connect to server (7)",
        _ => "Failure when receiving data from the peer (56)",
    };
    Error::internal(
        domain,
        format!("curl_easy_perform() returned an error: {what} : {text} (URL '{url}')"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;
    use std::time::Instant;

    #[test]
    fn a_silent_server_times_out() {
        // Accepts connections and never answers.
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let keep = std::thread::spawn(move || {
            let conn = listener.accept();
            std::thread::sleep(Duration::from_secs(3));
            drop(conn);
        });
        let client = HttpClient::new(&HttpOptions {
            request_timeout: Duration::from_millis(500),
            error_domain: VIR_FROM_ESX,
            ..HttpOptions::default()
        })
        .unwrap();
        let start = Instant::now();
        let e = client
            .request("GET", &format!("http://127.0.0.1:{port}/"), &[], None)
            .unwrap_err();
        assert!(start.elapsed() < Duration::from_secs(3));
        assert_eq!(e.domain, VIR_FROM_ESX);
        assert!(e.message.contains("Timeout was reached"), "{}", e.message);
        keep.join().unwrap();
    }

    #[test]
    fn nothing_listening_is_a_connect_error() {
        let port = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap().port()
        };
        let client = HttpClient::new(&HttpOptions::default()).unwrap();
        let e = client
            .request("GET", &format!("http://127.0.0.1:{port}/"), &[], None)
            .unwrap_err();
        assert!(e.message.contains("Couldn't connect to server"), "{}", e.message);
    }

    #[test]
    fn bad_proxies_are_refused() {
        let opts = HttpOptions {
            proxy: Some(ProxySpec {
                kind: ProxyKind::Socks5,
                host: "bad host".into(),
                port: 1080,
            }),
            ..HttpOptions::default()
        };
        assert!(HttpClient::new(&opts).is_err());
    }
}
