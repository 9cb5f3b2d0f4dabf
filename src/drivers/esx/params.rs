//! What an `esx://`, `gsx://` or `vpx://` URI asks for: the product, the
//! endpoint's address and the query parameters the driver understands.

use crate::abi::*;
use crate::error::{Error, Result};
use crate::net::{parse_proxy, ProxySpec};
use crate::uri::Uri;

/// The kind of endpoint a URI names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Product {
    /// An ESX or ESXi host.
    Esx,
    /// VMware GSX / VMware Server 2.0.
    Gsx,
    /// A vCenter, managing the host named in the path.
    Vpx,
}

impl Product {
    /// The scheme of a URI for this product, lower case.
    pub fn scheme(self) -> &'static str {
        match self {
            Product::Esx => "esx",
            Product::Gsx => "gsx",
            Product::Vpx => "vpx",
        }
    }

    /// The product a scheme names (case-insensitive), if any.
    pub fn from_scheme(scheme: &str) -> Option<Product> {
        match scheme.to_ascii_lowercase().as_str() {
            "esx" => Some(Product::Esx),
            "gsx" => Some(Product::Gsx),
            "vpx" => Some(Product::Vpx),
            _ => None,
        }
    }
}

/// A parsed ESX driver URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EsxParams {
    /// The product.
    pub product: Product,
    /// `http` or `https`.
    pub transport: String,
    /// Host name or address of the endpoint.
    pub server: String,
    /// Port (the product's default unless given).
    pub port: u32,
    /// The user name from the URI, if any.
    pub user: Option<String>,
    /// For vpx: the inventory path `datacenter[/cluster]/server`.
    pub path: String,
    /// The `vcenter` parameter.
    pub vcenter: Option<String>,
    /// The `no_verify` parameter.
    pub no_verify: bool,
    /// The `auto_answer` parameter.
    pub auto_answer: bool,
    /// The `proxy` parameter.
    pub proxy: Option<ProxySpec>,
}

fn bool_param(name: &str, value: &str) -> Result<bool> {
    // A whole integer, as C's strtol reads it ("+1" and " 0" count).
    match value.trim_start().parse::<i32>() {
        Ok(0) => Ok(false),
        Ok(1) => Ok(true),
        _ => Err(Error::invalid_arg(
            VIR_FROM_ESX,
            format!("Query parameter '{name}' has unexpected value '{value}' (should be 0 or 1)"),
        )),
    }
}

impl EsxParams {
    /// Reads `uri` (whose scheme names `product`).
    pub fn parse(uri: &Uri, product: Product) -> Result<EsxParams> {
        let server = uri
            .server
            .clone()
            .filter(|s| !s.is_empty())
            .ok_or_else(|| Error::invalid_arg(VIR_FROM_ESX, "URI is missing the server part"))?;
        let mut transport = "https".to_string();
        let mut vcenter = None;
        let mut no_verify = false;
        let mut auto_answer = false;
        let mut proxy = None;
        for (name, value) in &uri.params {
            match name.to_ascii_lowercase().as_str() {
                "transport" => {
                    if value != "http" && value != "https" {
                        return Err(Error::invalid_arg(
                            VIR_FROM_ESX,
                            format!(
                                "Query parameter 'transport' has unexpected value '{value}' (should be http|https)"
                            ),
                        ));
                    }
                    transport = value.clone();
                }
                "vcenter" => {
                    if value.is_empty() {
                        return Err(Error::invalid_arg(
                            VIR_FROM_ESX,
                            "Query parameter 'vcenter' must name a vCenter or be '*'",
                        ));
                    }
                    vcenter = Some(value.clone());
                }
                "no_verify" => no_verify = bool_param("no_verify", value)?,
                "auto_answer" => auto_answer = bool_param("auto_answer", value)?,
                "proxy" => proxy = Some(parse_proxy(VIR_FROM_ESX, value)?),
                // libvirt ignores parameters it does not know.
                _ => {}
            }
        }
        let port = if uri.port > 0 {
            uri.port
        } else {
            match (product, transport.as_str()) {
                (Product::Gsx, "https") => 8333,
                (Product::Gsx, _) => 8222,
                (_, "https") => 443,
                _ => 80,
            }
        };
        let path = uri.path.as_deref().unwrap_or("").trim_matches('/').to_string();
        if product == Product::Vpx && path.is_empty() {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                "Path has to specify the datacenter and compute resource",
            ));
        }
        Ok(EsxParams {
            product,
            transport,
            server,
            port,
            user: uri.user.clone().filter(|u| !u.is_empty()),
            path,
            vcenter,
            no_verify,
            auto_answer,
            proxy,
        })
    }

    /// `transport://server:port`, the base of the endpoint's URLs.
    pub fn base_url(&self) -> String {
        let host = if self.server.contains(':') {
            format!("[{}]", self.server)
        } else {
            self.server.clone()
        };
        format!("{}://{host}:{}", self.transport, self.port)
    }
}

/// The error for `esx+ssh://` and the like, in libvirt's words: the
/// driver is client-side only, libvirtd's remote transports cannot carry it.
pub fn remote_transport_error(scheme: &str) -> Error {
    let transport = scheme.split_once('+').map_or("", |(_, t)| t);
    Error::invalid_arg(
        VIR_FROM_ESX,
        format!(
            "Transport '{transport}' in URI scheme is not supported, try again without the transport part"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<EsxParams> {
        let uri = Uri::parse(s).unwrap();
        let product = Product::from_scheme(uri.scheme.as_deref().unwrap()).unwrap();
        EsxParams::parse(&uri, product)
    }

    #[test]
    fn default_ports() {
        assert_eq!(parse("esx://h").unwrap().port, 443);
        assert_eq!(parse("vpx://h/dc/srv").unwrap().port, 443);
        assert_eq!(parse("gsx://h").unwrap().port, 8333);
        assert_eq!(parse("esx://h/?transport=http").unwrap().port, 80);
        assert_eq!(parse("gsx://h/?transport=http").unwrap().port, 8222);
        assert_eq!(parse("esx://h:1234/?transport=http").unwrap().port, 1234);
        assert_eq!(parse("ESX://h").unwrap().product, Product::Esx);
        assert_eq!(parse("esx://h:8443").unwrap().base_url(), "https://h:8443");
        assert_eq!(parse("esx://[::1]/").unwrap().base_url(), "https://[::1]:443");
    }

    #[test]
    fn parameters() {
        let p = parse("esx://root@h/?no_verify=1&auto_answer=1&proxy=socks://p:23456&vcenter=*&x=y").unwrap();
        assert!(p.no_verify && p.auto_answer);
        assert!(parse("esx://h/?no_verify=+1").unwrap().no_verify);
        assert!(!parse("esx://h/?no_verify=0").unwrap().no_verify);
        assert_eq!(p.user.as_deref(), Some("root"));
        assert_eq!(p.vcenter.as_deref(), Some("*"));
        assert_eq!(p.proxy.unwrap().url(), "socks5://p:23456");
        let p = parse("vpx://vc/dc1/cluster1/esx1").unwrap();
        assert_eq!(p.path, "dc1/cluster1/esx1");
    }

    #[test]
    fn bad_parameters() {
        for (uri, text) in [
            (
                "esx://h/?transport=ftp",
                "Query parameter 'transport' has unexpected value 'ftp' (should be http|https)",
            ),
            (
                "esx://h/?no_verify=yes",
                "Query parameter 'no_verify' has unexpected value 'yes' (should be 0 or 1)",
            ),
            (
                "esx://h/?auto_answer=2",
                "Query parameter 'auto_answer' has unexpected value '2'",
            ),
            ("esx://h/?proxy=gopher://x", "unexpected type 'gopher'"),
            ("esx:///", "URI is missing the server part"),
            (
                "vpx://vc/",
                "Path has to specify the datacenter and compute resource",
            ),
        ] {
            let e = parse(uri).unwrap_err();
            assert_eq!((e.domain, e.code), (VIR_FROM_ESX, VIR_ERR_INVALID_ARG), "{uri}");
            assert!(e.message.contains(text), "{uri}: {}", e.message);
        }
    }

    #[test]
    fn remote_transports_are_refused_with_guidance() {
        let e = remote_transport_error("esx+ssh");
        assert_eq!(
            e.message,
            "invalid argument: Transport 'ssh' in URI scheme is not supported, try again without the transport part"
        );
    }
}
