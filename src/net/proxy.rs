//! The `proxy=[type://]host[:port]` parameter: HTTP or SOCKS, port 1080
//! unless given.

use crate::error::{Error, Result};

/// The kind of proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProxyKind {
    /// An HTTP proxy (CONNECT for HTTPS).
    Http,
    /// SOCKS 4, names resolved locally.
    Socks4,
    /// SOCKS 4a, names resolved by the proxy.
    Socks4a,
    /// SOCKS 5 (`socks` is the same).
    Socks5,
}

/// A parsed proxy parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxySpec {
    /// The kind.
    pub kind: ProxyKind,
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
}

impl ProxySpec {
    /// The proxy as a URL the HTTP library takes.
    pub fn url(&self) -> String {
        let scheme = match self.kind {
            ProxyKind::Http => "http",
            ProxyKind::Socks4 => "socks4",
            ProxyKind::Socks4a => "socks4a",
            ProxyKind::Socks5 => "socks5",
        };
        let host = if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        };
        format!("{scheme}://{host}:{}", self.port)
    }
}

/// Parses `[type://]hostname[:port]`; errors are reported in `domain`.
pub fn parse_proxy(domain: i32, text: &str) -> Result<ProxySpec> {
    let (kind, rest) = match text.split_once("://") {
        Some((scheme, rest)) => {
            let kind = match scheme {
                "http" => ProxyKind::Http,
                "socks" | "socks5" => ProxyKind::Socks5,
                "socks4" => ProxyKind::Socks4,
                "socks4a" => ProxyKind::Socks4a,
                _ => {
                    return Err(Error::invalid_arg(
                        domain,
                        format!(
                            "Query parameter 'proxy' contains unexpected type '{scheme}' (should be (http|socks(|4|4a|5))"
                        ),
                    ))
                }
            };
            (kind, rest)
        }
        None => (ProxyKind::Http, text),
    };
    let (host, port) = if let Some(inner) = rest.strip_prefix('[') {
        // A bracketed IPv6 address, maybe followed by a port.
        let Some((host, after)) = inner.split_once(']') else {
            return Err(missing_host(domain));
        };
        (host, after.strip_prefix(':'))
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        }
    };
    if host.is_empty() || host.contains('/') {
        return Err(missing_host(domain));
    }
    let port = match port {
        None => 1080,
        Some(p) => p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| {
            Error::invalid_arg(
                domain,
                format!("Query parameter 'proxy' has unexpected port value '{p}' (should be [1..65535])"),
            )
        })?,
    };
    Ok(ProxySpec {
        kind,
        host: host.to_string(),
        port,
    })
}

fn missing_host(domain: i32) -> Error {
    Error::invalid_arg(domain, "Query parameter 'proxy' doesn't contain a hostname")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::*;

    #[test]
    fn proxy_forms() {
        let p = parse_proxy(VIR_FROM_ESX, "example.com").unwrap();
        assert_eq!((p.kind, p.port), (ProxyKind::Http, 1080));
        let p = parse_proxy(VIR_FROM_ESX, "socks://example.com:23456").unwrap();
        assert_eq!(
            (p.kind, p.host.as_str(), p.port),
            (ProxyKind::Socks5, "example.com", 23456)
        );
        assert_eq!(p.url(), "socks5://example.com:23456");
        assert_eq!(
            parse_proxy(VIR_FROM_ESX, "socks4a://h").unwrap().kind,
            ProxyKind::Socks4a
        );
        assert_eq!(
            parse_proxy(VIR_FROM_ESX, "socks4://h").unwrap().kind,
            ProxyKind::Socks4
        );
        assert_eq!(
            parse_proxy(VIR_FROM_ESX, "[::1]:3128").unwrap().url(),
            "http://[::1]:3128"
        );
        let e = parse_proxy(VIR_FROM_ESX, "ftp://h").unwrap_err();
        assert_eq!(e.code, VIR_ERR_INVALID_ARG);
        assert!(e.message.contains("unexpected type 'ftp'"), "{}", e.message);
        assert!(parse_proxy(VIR_FROM_ESX, "h:0").is_err());
        assert!(parse_proxy(VIR_FROM_ESX, "h:99999").is_err());
        assert!(parse_proxy(VIR_FROM_ESX, "h:x").is_err());
        assert!(parse_proxy(VIR_FROM_ESX, "http://").is_err());
    }
}
