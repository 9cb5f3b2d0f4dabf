//! `libvirt-network.h`: the free function for DHCP leases, and the builder
//! that allocates a lease the way it expects (everything `malloc`ed).
#![allow(non_snake_case)]

use crate::abi::*;
use crate::error::Result;
use crate::ffi::boundary::guarded;
use crate::ffi::common::{alloc_opt_str, alloc_str, alloc_zeroed};

/// The fields of one lease, as a driver reports it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Lease<'a> {
    /// Network interface name.
    pub iface: &'a str,
    /// Seconds since the epoch when the lease expires.
    pub expirytime: i64,
    /// `virIPAddrType`.
    pub r#type: c_int,
    /// MAC address (libvirt leaves it NULL for some DHCPv6 leases).
    pub mac: Option<&'a str>,
    /// DHCPv6 IAID.
    pub iaid: Option<&'a str>,
    /// IP address.
    pub ipaddr: &'a str,
    /// Prefix length.
    pub prefix: c_uint,
    /// Host name.
    pub hostname: Option<&'a str>,
    /// Client ID or DUID.
    pub clientid: Option<&'a str>,
}

/// A `virNetworkDHCPLease` as `virNetworkGetDHCPLeases` returns each entry;
/// released with `virNetworkDHCPLeaseFree`.
pub fn new_dhcp_lease(lease: &Lease<'_>) -> Result<virNetworkDHCPLeasePtr> {
    let p = alloc_zeroed::<virNetworkDHCPLease>(1)?;
    // SAFETY: p is a zeroed, exclusively owned lease.
    let l = unsafe { &mut *p };
    l.expirytime = lease.expirytime;
    l.r#type = lease.r#type;
    l.prefix = lease.prefix;
    let filled = (|| {
        l.iface = alloc_str(lease.iface)?;
        l.mac = alloc_opt_str(lease.mac)?;
        l.iaid = alloc_opt_str(lease.iaid)?;
        l.ipaddr = alloc_str(lease.ipaddr)?;
        l.hostname = alloc_opt_str(lease.hostname)?;
        l.clientid = alloc_opt_str(lease.clientid)?;
        Ok(())
    })();
    if let Err(e) = filled {
        // SAFETY: our lease, its strings malloc'ed or NULL.
        unsafe { virNetworkDHCPLeaseFree(p) };
        return Err(e);
    }
    Ok(p)
}

/// Frees a lease and its strings (NULL is fine).
///
/// # Safety
/// C callers' contract of `virNetworkDHCPLeaseFree`: every string `malloc`ed or NULL.
#[no_mangle]
pub unsafe extern "C" fn virNetworkDHCPLeaseFree(lease: virNetworkDHCPLeasePtr) {
    guarded((), || {
        if lease.is_null() {
            return;
        }
        // SAFETY: the caller's lease; its strings malloc'ed or NULL.
        unsafe {
            let l = &*lease;
            for s in [l.iface, l.mac, l.iaid, l.ipaddr, l.hostname, l.clientid] {
                libc::free(s.cast());
            }
            libc::free(lease.cast());
        }
    })
}
