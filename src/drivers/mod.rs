//! The hypervisor drivers, and which URI each one claims.

pub mod esx;
pub mod hyperv;
pub mod remote;
pub mod test;
pub mod xen;

use crate::auth::Auth;
use crate::driver::Driver;
use crate::error::Result;
use crate::uri::Uri;

/// Opens `uri` with the driver that claims it.  Whatever no local driver
/// claims goes to a daemon, as libvirt's remote driver takes every URI the
/// others decline (hostless ones to the local daemon's socket).
pub fn open(uri: &Uri, auth: &Auth, flags: u32) -> Result<Option<Box<dyn Driver>>> {
    let local = uri.server.as_deref().is_none_or(str::is_empty);
    match uri.scheme.as_deref() {
        // A test URI with a host or transport belongs to a remote daemon.
        Some("test") if local => Ok(Some(Box::new(test::TestDriver::open(
            uri.path.as_deref(),
            auth,
            flags,
        )?))),
        Some("xen") if local => Ok(Some(Box::new(xen::XenDriver::open(uri, flags)?))),
        Some(scheme) if esx::Product::from_scheme(scheme).is_some() => {
            Ok(Some(Box::new(esx::EsxDriver::open(uri, auth, flags)?)))
        }
        // The ESX driver is client-side only: no libvirtd can serve it over
        // a remote transport, so such URIs get guidance instead.
        Some(scheme)
            if scheme
                .split_once('+')
                .is_some_and(|(base, _)| esx::Product::from_scheme(base).is_some()) =>
        {
            Err(esx::remote_transport_error(scheme))
        }
        Some(scheme) if scheme.eq_ignore_ascii_case("hyperv") => {
            Ok(Some(Box::new(hyperv::HypervDriver::open(uri, auth, flags)?)))
        }
        // Client-side only, like ESX.
        Some(scheme)
            if scheme
                .split_once('+')
                .is_some_and(|(base, _)| base.eq_ignore_ascii_case("hyperv")) =>
        {
            Err(hyperv::remote_transport_error(scheme))
        }
        _ => Ok(Some(Box::new(remote::RemoteDriver::open(
            Some(uri),
            auth,
            flags,
        )?))),
    }
}
