//! The addresses libvirt's test driver makes up for a running guest's
//! interfaces: on a virtual network, the network's first DHCP address (or
//! its own address) advanced by 20 per domain id and one per interface;
//! elsewhere `192.168.0.N` for the N-th interface.

use std::net::IpAddr;

use super::domains::DomainObj;
use super::networks::Networks;
use crate::abi::*;
use crate::driver::GuestInterface;
use crate::error::{Error, Result};

/// `addr` advanced by `by` (wrapping, as address arithmetic does).
fn advance(addr: IpAddr, by: u32) -> IpAddr {
    match addr {
        IpAddr::V4(a) => IpAddr::V4(u32::from(a).wrapping_add(by).into()),
        IpAddr::V6(a) => IpAddr::V6(u128::from(a).wrapping_add(u128::from(by)).into()),
    }
}

fn type_of(addr: &IpAddr) -> i32 {
    match addr {
        IpAddr::V4(_) => VIR_IP_ADDR_TYPE_IPV4,
        IpAddr::V6(_) => VIR_IP_ADDR_TYPE_IPV6,
    }
}

/// The netmask's prefix length (`255.255.0.0` → 16).
fn mask_bits(mask: &str) -> Option<u32> {
    mask.parse::<std::net::Ipv4Addr>()
        .ok()
        .map(|m| u32::from(m).count_ones())
}

/// `virDomainInterfaceAddresses` of the test driver.
pub fn interface_addresses(
    obj: &DomainObj,
    networks: &Networks,
    source: u32,
    flags: u32,
) -> Result<Vec<GuestInterface>> {
    super::domains::check_flags(flags, 0, "testDomainInterfaceAddresses")?;
    if source > VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP as u32 {
        return Err(Error::with(
            VIR_FROM_TEST,
            VIR_ERR_ARGUMENT_UNSUPPORTED,
            format!("Unknown IP address data source {source}"),
        ));
    }
    if !obj.active() {
        return Err(Error::with(
            VIR_FROM_DOMAIN,
            VIR_ERR_OPERATION_INVALID,
            "domain is not running",
        ));
    }
    let mut out = Vec::new();
    for (i, net) in obj.def.devices.interfaces.iter().enumerate() {
        let i = i as u32;
        let (addr, prefix) = if net.kind == "network" {
            let name = net.source.get("network").unwrap_or_default();
            let def = &networks.get(name)?.def;
            // libvirt's own test driver crashes on a network without an address.
            let ip = def.ips.first().ok_or_else(|| {
                Error::with(
                    VIR_FROM_TEST,
                    VIR_ERR_OPERATION_INVALID,
                    format!("network '{name}' has no IP address to lease from"),
                )
            })?;
            let first = ip
                .ranges
                .first()
                .map(|r| r.start.as_str())
                .or(ip.address.as_deref());
            let base: IpAddr = first.and_then(|a| a.parse().ok()).ok_or_else(|| {
                Error::internal(VIR_FROM_TEST, format!("network '{name}' has no usable address"))
            })?;
            let prefix = ip
                .prefix
                .or_else(|| ip.netmask.as_deref().and_then(mask_bits))
                .unwrap_or(if base.is_ipv4() { 24 } else { 64 });
            let id = obj.id.max(1) as u32;
            (advance(base, (id - 1) * 20 + i + 1), prefix)
        } else {
            (advance(IpAddr::V4([192, 168, 0, 0].into()), i + 1), 24)
        };
        out.push(GuestInterface {
            name: net.target_dev.clone().unwrap_or_default(),
            hwaddr: net.mac.clone(),
            addrs: vec![(type_of(&addr), addr.to_string(), prefix)],
        });
    }
    Ok(out)
}
