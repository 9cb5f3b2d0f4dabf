//! A network's `<ip>` element with its DHCP ranges and hosts.

use std::net::IpAddr;

use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;
use crate::xml::Writer;

/// `<range start end/>` inside `<dhcp>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DhcpRange {
    /// First address.
    pub start: String,
    /// Last address.
    pub end: String,
    /// `<lease expiry unit>`.
    pub lease: Option<(String, Option<String>)>,
}

/// `<host mac name ip/>` inside `<dhcp>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DhcpHost {
    /// MAC address.
    pub mac: Option<String>,
    /// DHCPv6 client id.
    pub id: Option<String>,
    /// Host name.
    pub name: Option<String>,
    /// Fixed address.
    pub ip: Option<String>,
}

/// One `<ip>` of a network.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Ip {
    /// `family` as written ("ipv4", "ipv6").
    pub family: Option<String>,
    /// The address.
    pub address: Option<String>,
    /// `netmask` (IPv4).
    pub netmask: Option<String>,
    /// `prefix`.
    pub prefix: Option<u32>,
    /// `<tftp root>`.
    pub tftp_root: Option<String>,
    /// `<dhcp><range>` entries.
    pub ranges: Vec<DhcpRange>,
    /// `<dhcp><host>` entries.
    pub hosts: Vec<DhcpHost>,
    /// Whether a `<dhcp>` element was given.
    pub dhcp: bool,
    /// `<dhcp><bootp file server>`.
    pub bootp: Option<(String, Option<String>)>,
}

fn xml_error(detail: String) -> Error {
    Error::with(VIR_FROM_NETWORK, VIR_ERR_XML_ERROR, detail)
}

fn unsupported(detail: String) -> Error {
    Error::with(VIR_FROM_NETWORK, VIR_ERR_CONFIG_UNSUPPORTED, detail)
}

/// The leading `prefix` bits of an IPv4 address.
fn v4_net(addr: u32, prefix: u32) -> u32 {
    if prefix == 0 {
        0
    } else {
        addr & (u32::MAX << (32 - prefix))
    }
}

impl Ip {
    /// Reads an `<ip>` of network `net` with libvirt's checks.
    pub fn parse(el: &Element, net: &str) -> Result<Ip> {
        let mut ip = Ip {
            family: el.attr("family").map(str::to_string),
            ..Ip::default()
        };
        let parse_addr = |a: &str| {
            a.parse::<IpAddr>()
                .map_err(|_| xml_error(format!("Invalid address '{a}' in network '{net}'")))
        };
        let addr = match el.attr("address") {
            Some(a) => Some(parse_addr(a)?),
            None => None,
        };
        ip.address = el.attr("address").map(str::to_string);
        if let Some(m) = el.attr("netmask") {
            parse_addr(m)?;
            ip.netmask = Some(m.to_string());
        }
        if let Some(p) = el.attr("prefix") {
            ip.prefix = Some(
                crate::domain::util::parse_uip(p)
                    .ok_or_else(|| xml_error(format!("Invalid ip prefix '{p}' in network '{net}'")))?,
            );
        }
        if ip.netmask.is_some() && ip.prefix.is_some() {
            return Err(unsupported(format!(
                "Network '{net}' IP address cannot have both a prefix and a netmask"
            )));
        }
        let v6 = matches!(addr, Some(IpAddr::V6(_))) || ip.family.as_deref() == Some("ipv6");
        if let Some(p) = ip.prefix {
            if !v6 && p > 32 {
                return Err(unsupported(format!(
                    "Invalid IPv4 prefix '{p}' in network '{net}'"
                )));
            }
            if v6 && p > 128 {
                return Err(unsupported(format!(
                    "Invalid IPv6 prefix '{p}' in network '{net}'"
                )));
            }
        }
        ip.tftp_root = el.child("tftp").and_then(|t| t.attr("root")).map(str::to_string);
        if let Some(d) = el.child("dhcp") {
            ip.dhcp = true;
            for r in d.children_named("range") {
                let (Some(s), Some(e)) = (r.attr("start"), r.attr("end")) else {
                    continue;
                };
                ip.check_range(addr, s, e)?;
                ip.ranges.push(DhcpRange {
                    start: s.to_string(),
                    end: e.to_string(),
                    lease: r.child("lease").and_then(|l| {
                        l.attr("expiry")
                            .map(|x| (x.to_string(), l.attr("unit").map(str::to_string)))
                    }),
                });
            }
            ip.bootp = d.child("bootp").and_then(|b| {
                b.attr("file")
                    .map(|f| (f.to_string(), b.attr("server").map(str::to_string)))
            });
            for h in d.children_named("host") {
                ip.hosts.push(DhcpHost {
                    mac: h.attr("mac").map(str::to_string),
                    id: h.attr("id").map(str::to_string),
                    name: h.attr("name").map(str::to_string),
                    ip: h.attr("ip").map(str::to_string),
                });
            }
        }
        Ok(ip)
    }

    /// The IPv4 prefix length, from `prefix` or `netmask` (24 by default,
    /// as for a class C address).
    fn v4_prefix(&self) -> Option<u32> {
        if let Some(p) = self.prefix {
            return Some(p);
        }
        let mask: std::net::Ipv4Addr = self.netmask.as_deref()?.parse().ok()?;
        Some(u32::from(mask).count_ones())
    }

    /// libvirt refuses an IPv4 DHCP range outside the network.
    fn check_range(&self, addr: Option<IpAddr>, start: &str, end: &str) -> Result<()> {
        let (Some(IpAddr::V4(a)), Ok(IpAddr::V4(s)), Ok(IpAddr::V4(e))) =
            (addr, start.parse::<IpAddr>(), end.parse::<IpAddr>())
        else {
            return Ok(());
        };
        let Some(prefix) = self.v4_prefix() else {
            return Ok(());
        };
        let net = v4_net(u32::from(a), prefix);
        if v4_net(u32::from(s), prefix) != net || v4_net(u32::from(e), prefix) != net {
            return Err(Error::internal(
                VIR_FROM_NONE,
                format!("range {start} - {end} is not entirely within network {a}/{prefix}"),
            ));
        }
        Ok(())
    }

    /// Writes the element as libvirt does (always with a closing tag).
    pub fn write(&self, w: &mut Writer) {
        let prefix = self.prefix.map(|p| p.to_string());
        let mut a = Vec::new();
        if let Some(f) = &self.family {
            a.push(("family", f.as_str()));
        }
        if let Some(x) = &self.address {
            a.push(("address", x.as_str()));
        }
        if let Some(x) = &self.netmask {
            a.push(("netmask", x.as_str()));
        }
        if let Some(p) = &prefix {
            a.push(("prefix", p.as_str()));
        }
        w.open("ip", &a);
        if let Some(r) = &self.tftp_root {
            w.empty("tftp", &[("root", r)]);
        }
        if !self.ranges.is_empty() || !self.hosts.is_empty() || self.bootp.is_some() {
            w.open("dhcp", &[]);
            for r in &self.ranges {
                let a = [("start", r.start.as_str()), ("end", r.end.as_str())];
                match &r.lease {
                    None => w.empty("range", &a),
                    Some((expiry, unit)) => {
                        w.open("range", &a);
                        let mut la = vec![("expiry", expiry.as_str())];
                        if let Some(u) = unit {
                            la.push(("unit", u.as_str()));
                        }
                        w.empty("lease", &la);
                        w.close("range");
                    }
                }
            }
            for h in &self.hosts {
                let mut ha = Vec::new();
                if let Some(m) = &h.mac {
                    ha.push(("mac", m.as_str()));
                }
                if let Some(i) = &h.id {
                    ha.push(("id", i.as_str()));
                }
                if let Some(n) = &h.name {
                    ha.push(("name", n.as_str()));
                }
                if let Some(i) = &h.ip {
                    ha.push(("ip", i.as_str()));
                }
                w.empty("host", &ha);
            }
            if let Some((file, server)) = &self.bootp {
                let mut ba = vec![("file", file.as_str())];
                if let Some(s) = server {
                    ba.push(("server", s.as_str()));
                }
                w.empty("bootp", &ba);
            }
            w.close("dhcp");
        }
        w.close("ip");
    }
}
