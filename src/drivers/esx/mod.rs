//! The VMware ESX driver (`esx://`, `gsx://`, `vpx://`): a client of the
//! vSphere SOAP API.  It logs in with the caller's credentials, works with
//! one host (an ESX server's own, or the one a vpx:// path names) and maps
//! libvirt's calls onto the host's virtual machines.
//!
//! Costs, in SOAP requests: opening takes three (service content, login, one
//! inventory walk to the host); listing every domain with its state takes
//! one (a PropertyCollector retrieval along the host's `vm` property); a
//! call on one domain asks that VM's properties once, of the reference the
//! last listing remembered, before its own method call and task polls.  An
//! ended session is renewed with the same credentials and the call retried.
//!
//! Nothing here relies on `xsi:type`: the simulator and some servers leave it
//! out where the schema implies the type.

mod config;
mod domains;
mod entries;
mod host;
mod inventory;
mod migrate;
mod params;
mod power;
mod snapshots;
mod soap;
mod tasks;
mod tune;
mod vcenter;
mod vi;
mod vms;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::abi::*;
use crate::auth::Auth;
use crate::error::{Error, Result};
use crate::net::HttpOptions;
use crate::uri::Uri;

pub use host::pack_version;
pub use params::{remote_transport_error, EsxParams, Product};
pub use soap::{parse_reply, Fault, MoRef, Reply};
pub use vi::RequestCounter;
pub use vms::RECENT;

use inventory::Placement;
use vi::Session;

/// The service name credentials are asked and looked up under (auth.conf's
/// `[auth-esx-HOST]`), for ESX hosts and vCenters alike.
pub const AUTH_SERVICE: &str = "esx";

/// An open ESX driver connection.
pub struct EsxDriver {
    params: EsxParams,
    session: Session,
    /// The vCenter session of an esx:// URI with `vcenter`.
    vcenter: Option<Session>,
    placement: Placement,
    requests: RequestCounter,
    vm_cache: vms::VmCache,
    closed: AtomicBool,
}

impl EsxDriver {
    /// Opens `uri` (an esx, gsx or vpx URI) and logs in.
    pub fn open(uri: &Uri, auth: &Auth, _flags: u32) -> Result<EsxDriver> {
        let scheme = uri.scheme.as_deref().unwrap_or_default();
        let product = Product::from_scheme(scheme).ok_or_else(|| remote_transport_error(scheme))?;
        if uri.server.as_deref().is_none_or(str::is_empty) {
            return Err(Error::invalid_arg(VIR_FROM_ESX, "URI is missing the server part"));
        }
        // Logging in needs the caller's callback (auth.conf alone is not enough).
        if !auth.has_prompter() {
            return Err(Error::invalid_arg(
                VIR_FROM_ESX,
                "Missing or invalid auth pointer",
            ));
        }
        let params = EsxParams::parse(uri, product)?;
        let requests: RequestCounter = Arc::default();
        let opts = HttpOptions {
            no_verify: params.no_verify,
            proxy: params.proxy.clone(),
            error_domain: VIR_FROM_ESX,
            ..HttpOptions::default()
        };
        let session = Session::connect(&params.base_url(), &opts, requests.clone())?;
        // A vpx:// connection is to the vCenter already.
        let vcenter_param = params.vcenter.clone().filter(|_| product != Product::Vpx);
        check_product(&params, &session.content.about)?;
        // libvirt asks for (and auth.conf keys) every endpoint kind as "esx".
        let service = AUTH_SERVICE;
        let user = match &params.user {
            Some(u) => u.clone(),
            None => {
                let default = if product == Product::Vpx {
                    "administrator"
                } else {
                    "root"
                };
                auth.username(service, &params.server, Some(default))?
            }
        };
        let password = auth.password(service, &user, &params.server)?;
        session.login(&user, &password)?;
        let path = if product == Product::Vpx {
            params.path.as_str()
        } else {
            ""
        };
        let placement = match inventory::locate(&session, path) {
            Ok(p) => p,
            Err(e) => {
                session.logout();
                return Err(e);
            }
        };
        let vcenter = match vcenter_param {
            Some(wanted) => {
                let managed_by = session
                    .retrieve_one(&placement.host, &["summary.managementServerIp"])
                    .map(|h| h.text("summary.managementServerIp"));
                let vc = managed_by.and_then(|ip| {
                    vcenter::connect(&params, &wanted, ip.as_deref(), auth, &opts, requests.clone())
                });
                match vc {
                    Ok(vc) => Some(vc),
                    Err(e) => {
                        session.logout();
                        return Err(e);
                    }
                }
            }
            None => None,
        };
        Ok(EsxDriver {
            params,
            session,
            vcenter,
            placement,
            requests,
            vm_cache: vms::VmCache::default(),
            closed: AtomicBool::new(false),
        })
    }

    /// How many SOAP requests (and file transfers) this connection made.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// The shared request counter, still readable after the driver went
    /// into a [`crate::connect::Connection`].
    pub fn request_counter(&self) -> RequestCounter {
        self.requests.clone()
    }

    /// The product the connection talks to.
    pub fn product(&self) -> Product {
        self.params.product
    }

    /// The inventory name of the connection's host.
    pub fn host_name(&self) -> &str {
        &self.placement.host_name
    }

    /// Properties of the connection's host.
    fn host_props(&self, paths: &[&str]) -> Result<vi::ObjectContent> {
        self.session.retrieve_one(&self.placement.host, paths)
    }
}

impl EsxDriver {
    /// Ends the session the first time only (close, then drop).
    fn logout_once(&self) {
        if !self.closed.swap(true, Ordering::SeqCst) {
            if let Some(vc) = &self.vcenter {
                vc.logout();
            }
            self.session.logout();
        }
    }
}

impl Drop for EsxDriver {
    fn drop(&mut self) {
        self.logout_once();
    }
}

/// The product line an endpoint reports, as libvirt names it.
fn product_line(about: &vi::About) -> Result<Product> {
    let (line, minimum) = match about.product_line_id.as_str() {
        "gsx" => (Product::Gsx, (2, 0)),
        "esx" | "embeddedEsx" => (Product::Esx, (3, 5)),
        "vpx" => (Product::Vpx, (2, 5)),
        other => {
            return Err(Error::internal(
                VIR_FROM_ESX,
                format!("Product line '{other}' of the endpoint is neither ESX, GSX nor vCenter"),
            ))
        }
    };
    let version = pack_version(&about.version)?;
    if version < minimum.0 * 1_000_000 + minimum.1 * 1000 {
        return Err(Error::internal(
            VIR_FROM_ESX,
            format!(
                "Minimum supported {} version is {}.{} but found version '{}'",
                display_name(line),
                minimum.0,
                minimum.1,
                about.version
            ),
        ));
    }
    Ok(line)
}

/// How messages name a product line.
fn display_name(line: Product) -> &'static str {
    match line {
        Product::Esx => "ESX",
        Product::Gsx => "GSX",
        Product::Vpx => "vCenter",
    }
}

/// Refuses an endpoint that is not what the scheme says.
fn check_product(params: &EsxParams, about: &vi::About) -> Result<()> {
    let found = product_line(about)?;
    if found == params.product {
        return Ok(());
    }
    Err(Error::internal(
        VIR_FROM_ESX,
        format!(
            "Expecting '{}' to be a {} host but found a {} host",
            params.server,
            display_name(params.product),
            display_name(found)
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn about(line: &str, version: &str) -> vi::About {
        vi::About {
            version: version.to_string(),
            api_version: "6.5".to_string(),
            product_line_id: line.to_string(),
        }
    }

    #[test]
    fn product_lines_and_minimum_versions() {
        assert_eq!(
            product_line(&about("embeddedEsx", "6.5.0")).unwrap(),
            Product::Esx
        );
        assert_eq!(product_line(&about("esx", "4.1.0")).unwrap(), Product::Esx);
        assert_eq!(product_line(&about("gsx", "2.0.0")).unwrap(), Product::Gsx);
        assert_eq!(product_line(&about("vpx", "8.0.2")).unwrap(), Product::Vpx);
        let e = product_line(&about("esx", "3.0.2")).unwrap_err();
        assert_eq!(
            e.message,
            "internal error: Minimum supported ESX version is 3.5 but found version '3.0.2'"
        );
        assert!(product_line(&about("ws", "8.0")).is_err());
        assert!(product_line(&about("vpx", "garbage")).is_err());
    }
}
