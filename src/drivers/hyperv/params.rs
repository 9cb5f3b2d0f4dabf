//! What a `hyperv://` URI asks for: the server, port, transport and the
//! query parameters the driver understands.

use crate::abi::*;
use crate::error::{Error, Result};
use crate::uri::Uri;

use super::transport::Scheme;

/// A parsed Hyper-V driver URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HypervParams {
    /// `http` or `https`.
    pub transport: String,
    /// Host name or address of the server.
    pub server: String,
    /// Port (5986 for https, 5985 for http unless given).
    pub port: u32,
    /// The user name from the URI, if any.
    pub user: Option<String>,
    /// The `no_verify` parameter (skip the certificate check).
    pub no_verify: bool,
    /// The `auth` parameter (ours, not libvirt's): `basic`, `ntlm`, or
    /// unset for Basic falling back to NTLM.
    pub auth: Scheme,
}

impl HypervParams {
    /// Reads `uri`.
    pub fn parse(uri: &Uri) -> Result<HypervParams> {
        let server = uri
            .server
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::invalid_arg(VIR_FROM_HYPERV, "URI is missing the server part"))?;
        let mut transport = "https".to_string();
        let mut no_verify = false;
        let mut auth = Scheme::Auto;
        for (name, value) in &uri.params {
            match name.to_ascii_lowercase().as_str() {
                "transport" => {
                    if value != "http" && value != "https" {
                        return Err(Error::invalid_arg(
                            VIR_FROM_HYPERV,
                            format!(
                                "Query parameter 'transport' has unexpected value '{value}' (should be http|https)"
                            ),
                        ));
                    }
                    transport = value.clone();
                }
                "no_verify" => {
                    no_verify = match value.trim_start().parse::<i32>() {
                        Ok(0) => false,
                        Ok(1) => true,
                        _ => {
                            return Err(Error::invalid_arg(
                                VIR_FROM_HYPERV,
                                format!(
                            "Query parameter 'no_verify' has unexpected value '{value}' (should be 0 or 1)"
                        ),
                            ))
                        }
                    }
                }
                "auth" => {
                    auth = match value.to_ascii_lowercase().as_str() {
                        "basic" => Scheme::Basic,
                        "ntlm" | "negotiate" => Scheme::Ntlm,
                        _ => {
                            return Err(Error::invalid_arg(
                                VIR_FROM_HYPERV,
                                format!(
                            "Query parameter 'auth' has unexpected value '{value}' (should be basic|ntlm)"
                        ),
                            ))
                        }
                    }
                }
                // libvirt ignores parameters it does not know.
                _ => {}
            }
        }
        let port = if uri.port > 0 {
            uri.port
        } else if transport == "https" {
            5986
        } else {
            5985
        };
        Ok(HypervParams {
            transport,
            server,
            port,
            user: uri.user.clone().filter(|u| !u.is_empty()),
            no_verify,
            auth,
        })
    }

    /// The WS-Management endpoint.
    pub fn endpoint(&self) -> String {
        let host = if self.server.contains(':') && !self.server.starts_with('[') {
            format!("[{}]", self.server)
        } else {
            self.server.clone()
        };
        format!("{}://{host}:{}/wsman", self.transport, self.port)
    }
}

/// The error for `hyperv+ssh://` and other remote transports: the driver
/// talks WS-Management itself, no libvirtd can serve it.
pub fn remote_transport_error(scheme: &str) -> Error {
    Error::invalid_arg(
        VIR_FROM_HYPERV,
        format!(
            "Transport '{}' in URI scheme '{scheme}' is not supported: the Hyper-V driver is client-side only \
             and connects to the server over WS-Management (HTTP or HTTPS), so the remote transport mechanism \
             of libvirtd does not apply; use hyperv://host/ (HTTPS) or hyperv://host/?transport=http",
            scheme.split_once('+').map_or("", |(_, t)| t)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<HypervParams> {
        HypervParams::parse(&Uri::parse(s).unwrap())
    }

    #[test]
    fn ports_follow_the_transport() {
        let p = parse("hyperv://admin@host").unwrap();
        assert_eq!((p.transport.as_str(), p.port), ("https", 5986));
        assert_eq!(p.user.as_deref(), Some("admin"));
        assert_eq!(p.endpoint(), "https://host:5986/wsman");
        let p = parse("hyperv://host/?transport=http").unwrap();
        assert_eq!(p.endpoint(), "http://host:5985/wsman");
        let p = parse("hyperv://host:1234/?transport=http&no_verify=1").unwrap();
        assert_eq!(p.endpoint(), "http://host:1234/wsman");
        assert!(p.no_verify);
    }

    #[test]
    fn bad_parameters_are_refused() {
        let e = parse("hyperv://host/?transport=ftp").unwrap_err();
        assert_eq!(
            e.message,
            "invalid argument: Query parameter 'transport' has unexpected value 'ftp' (should be http|https)"
        );
        assert!(parse("hyperv://host/?no_verify=2").is_err());
        assert!(parse("hyperv:///").is_err());
    }
}
