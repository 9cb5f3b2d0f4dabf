//! The `vcenter` parameter of esx:// and gsx:// URIs: the driver also logs
//! into the vCenter managing the host (migrations go through it).  `*` takes
//! the vCenter the host reports; a named one must be that same vCenter.

use std::net::ToSocketAddrs;

use super::params::EsxParams;
use super::vi::{RequestCounter, Session};
use crate::abi::*;
use crate::auth::Auth;
use crate::error::{Error, Result};
use crate::net::HttpOptions;

/// The address `name` resolves to, as text.
fn resolve(name: &str) -> Result<String> {
    (name, 443)
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
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
    let managed_by = managed_by
        .filter(|ip| !ip.is_empty())
        .ok_or_else(|| Error::invalid_arg(VIR_FROM_ESX, "This host is not managed by a vCenter"))?;
    let target = if wanted == "*" {
        managed_by.to_string()
    } else {
        let ip = resolve(wanted)?;
        if ip != managed_by {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                format!(
                    "This host is managed by a vCenter with IP address {managed_by}, but a mismatching vCenter '{wanted}' ({ip}) has been specified"
                ),
            ));
        }
        wanted.to_string()
    };
    let port = if params.transport == "https" { 443 } else { 80 };
    let host = if target.contains(':') {
        format!("[{target}]")
    } else {
        target.clone()
    };
    let session = Session::connect(&format!("{}://{host}:{port}", params.transport), opts, requests)?;
    if session.content.about.api_type != "VirtualCenter" {
        return Err(Error::internal(
            VIR_FROM_ESX,
            format!(
                "Expecting '{target}' to be a vCenter but found {}",
                session.content.about.full_name
            ),
        ));
    }
    let user = auth.username(super::AUTH_SERVICE, &target, Some("administrator"))?;
    let password = auth.password(super::AUTH_SERVICE, &user, &target)?;
    session.login(&user, &password)?;
    Ok(session)
}
