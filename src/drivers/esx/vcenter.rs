//! The `vcenter` parameter of esx:// and gsx:// URIs: the driver also logs
//! into the vCenter managing the host (migrations go through it).  `*` takes
//! the vCenter the host reports; a named one must be that same vCenter when
//! the host reports one.

use std::net::ToSocketAddrs;

use super::params::EsxParams;
use super::vi::{RequestCounter, Session};
use crate::abi::*;
use crate::auth::Auth;
use crate::error::{Error, Result};
use crate::net::HttpOptions;

/// The IPv4 address `name` resolves to, as text (the form in which hosts
/// report their vCenter).
pub(super) fn resolve(name: &str) -> Result<String> {
    (name, 443)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.find(|a| a.is_ipv4()))
        .map(|a| a.ip().to_string())
        .ok_or_else(|| {
            Error::internal(
                VIR_FROM_ESX,
                format!("IP address lookup for host '{name}' failed"),
            )
        })
}

/// Logs into the vCenter `wanted` (`*` or a host name) managing the host
/// whose management server address is `managed_by`.
pub fn connect(
    params: &EsxParams,
    wanted: &str,
    managed_by: Option<&str>,
    auth: &Auth,
    opts: &HttpOptions,
    requests: RequestCounter,
) -> Result<Session> {
    let managed_by = managed_by.filter(|ip| !ip.is_empty());
    // The vCenter is addressed by its IP address, as the host reports it.
    let target = if wanted == "*" {
        managed_by
            .ok_or_else(|| Error::internal(VIR_FROM_ESX, "This host is not managed by a vCenter"))?
            .to_string()
    } else {
        let ip = resolve(wanted)?;
        if let Some(managed_by) = managed_by.filter(|m| *m != ip) {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!(
                    "This host is managed by a vCenter with IP address {managed_by}, but a mismatching vCenter '{wanted}' ({ip}) has been specified"
                ),
            ));
        }
        ip
    };
    // The vCenter is reached on the port of the host's URI.
    let port = params.port;
    let host = if target.contains(':') {
        format!("[{target}]")
    } else {
        target.clone()
    };
    let session = Session::connect(&format!("{}://{host}:{port}", params.transport), opts, requests)?;
    let found = super::product_line(&session.content.about)?;
    if found != super::Product::Vpx {
        return Err(Error::internal(
            VIR_FROM_ESX,
            format!(
                "Expecting '{target}' to be a vCenter host but found a {} host",
                super::display_name(found)
            ),
        ));
    }
    let user = auth.username(super::AUTH_SERVICE, &target, Some("administrator"))?;
    let password = auth.password(super::AUTH_SERVICE, &user, &target)?;
    session.login(&user, &password)?;
    Ok(session)
}
