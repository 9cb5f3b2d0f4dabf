//! Host interfaces: the host's physical NICs, each an always active
//! ethernet interface started at boot, with its IPv4 settings where the
//! NIC has any (as libvirt's ESX interface driver describes them).

use std::net::Ipv4Addr;

use super::soap::{child_text, children, path};
use super::EsxDriver;
use crate::abi::*;
use crate::driver::InterfaceRef;
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;

/// One physical NIC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pnic {
    /// Its device name (`vmnic0`).
    pub device: String,
    /// Its MAC address.
    pub mac: String,
    /// Whether it takes its address by DHCP.
    pub dhcp: bool,
    /// Its IPv4 address and subnet mask, when set.
    pub address: Option<(String, String)>,
}

impl Pnic {
    fn reference(&self) -> InterfaceRef {
        InterfaceRef {
            name: self.device.clone(),
            mac: self.mac.clone(),
        }
    }

    /// The interface XML libvirt writes for it; `inactive` leaves out an
    /// address DHCP gave.
    pub fn xml(&self, inactive: bool) -> Result<String> {
        let mut w = Writer::new();
        w.open("interface", &[("type", "ethernet"), ("name", &self.device)]);
        w.empty("start", &[("mode", "onboot")]);
        w.empty("mac", &[("address", &self.mac)]);
        if self.dhcp || self.address.is_some() {
            w.open("protocol", &[("family", "ipv4")]);
            if self.dhcp {
                w.empty("dhcp", &[]);
            }
            if let Some((ip, mask)) = self.address.as_ref().filter(|_| !(self.dhcp && inactive)) {
                let mask: Ipv4Addr = mask.parse().map_err(|_| {
                    Error::internal(VIR_FROM_ESX, format!("Cannot parse IPv4 netmask '{mask}'"))
                })?;
                let prefix = u32::from(mask).count_ones().to_string();
                w.empty("ip", &[("address", ip), ("prefix", &prefix)]);
            }
            w.close("protocol");
        }
        w.close("interface");
        Ok(w.finish())
    }
}

/// Reads `ArrayOfPhysicalNic`.
pub fn read_pnics(val: &Element) -> Vec<Pnic> {
    children(val, "PhysicalNic")
        .map(|n| {
            let ip = path(n, "spec.ip");
            let text = |name: &str| ip.and_then(|i| child_text(i, name)).filter(|t| !t.is_empty());
            Pnic {
                device: child_text(n, "device").unwrap_or_default(),
                mac: child_text(n, "mac").unwrap_or_default(),
                dhcp: text("dhcp").as_deref() == Some("true"),
                address: text("ipAddress").zip(text("subnetMask")),
            }
        })
        .collect()
}

fn no_nic(what: &str, value: &str) -> Error {
    Error::with(
        VIR_FROM_ESX,
        VIR_ERR_NO_INTERFACE,
        format!("Could not find physical NIC with {what} '{value}'"),
    )
}

impl EsxDriver {
    /// The host's physical NICs (one retrieval).
    fn pnics(&self) -> Result<Vec<Pnic>> {
        let host = self.host_props(&["config.network.pnic"])?;
        Ok(host
            .get("config.network.pnic")
            .map(read_pnics)
            .unwrap_or_default())
    }

    /// The names of the interfaces: every NIC is active.
    pub(super) fn interface_names(&self, active: bool) -> Result<Vec<String>> {
        if !active {
            return Ok(Vec::new());
        }
        Ok(self.pnics()?.into_iter().map(|p| p.device).collect())
    }

    /// The interface called `name`.
    pub(super) fn interface_by_name(&self, name: &str) -> Result<InterfaceRef> {
        self.pnics()?
            .iter()
            .find(|p| p.device.eq_ignore_ascii_case(name))
            .map(Pnic::reference)
            .ok_or_else(|| no_nic("name", name))
    }

    /// The interface with MAC address `mac`.
    pub(super) fn interface_by_mac(&self, mac: &str) -> Result<InterfaceRef> {
        self.pnics()?
            .iter()
            .find(|p| p.mac.eq_ignore_ascii_case(mac))
            .map(Pnic::reference)
            .ok_or_else(|| no_nic("MAC address", mac))
    }

    /// The interface's XML.
    pub(super) fn interface_xml(&self, iface: &InterfaceRef, flags: u32) -> Result<String> {
        if flags & !VIR_INTERFACE_XML_INACTIVE != 0 {
            return Err(Error::bad_flags(VIR_FROM_ESX, "esxInterfaceGetXMLDesc", flags));
        }
        let nics = self.pnics()?;
        let nic = nics
            .iter()
            .find(|p| p.mac.eq_ignore_ascii_case(&iface.mac))
            .ok_or_else(|| no_nic("MAC address", &iface.mac))?;
        nic.xml(flags & VIR_INTERFACE_XML_INACTIVE != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::dom;

    #[test]
    fn nics_as_libvirt_interfaces() {
        let val = dom::parse(
            "<val><PhysicalNic><key>k0</key><device>vmnic0</device><mac>00:0c:29:81:d8:a0</mac>\
             <spec><ip><dhcp>true</dhcp><ipAddress>10.0.0.5</ipAddress><subnetMask>255.255.255.0</subnetMask></ip></spec></PhysicalNic>\
             <PhysicalNic><device>vmnic1</device><mac>00:0c:29:81:d8:aa</mac><spec><ip><dhcp>false</dhcp></ip></spec></PhysicalNic></val>",
        )
        .unwrap();
        let nics = read_pnics(&val);
        assert_eq!(
            nics[0].xml(false).unwrap(),
            "<interface type='ethernet' name='vmnic0'>\n  <start mode='onboot'/>\n  <mac address='00:0c:29:81:d8:a0'/>\n  \
             <protocol family='ipv4'>\n    <dhcp/>\n    <ip address='10.0.0.5' prefix='24'/>\n  </protocol>\n</interface>\n"
        );
        assert!(!nics[0].xml(true).unwrap().contains("<ip "));
        assert_eq!(
            nics[1].xml(false).unwrap(),
            "<interface type='ethernet' name='vmnic1'>\n  <start mode='onboot'/>\n  <mac address='00:0c:29:81:d8:aa'/>\n</interface>\n"
        );
    }
}
