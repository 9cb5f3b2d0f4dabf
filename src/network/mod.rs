//! Network XML (`<network>`): the part of libvirt's network definition that
//! the drivers serve, read with libvirt's checks and written back exactly as
//! libvirt's formatter writes it.

mod ip;
pub mod parts;

use crate::abi::*;
use crate::domain::util::{prop_error, prop_yes_no};
use crate::domain::Uuid;
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};
use crate::xml::Writer;

pub use ip::{DhcpHost, DhcpRange, Ip};
pub use parts::{Bandwidth, Dns, VirtualPort, Vlan};

use crate::domain::metadata::{self, Metadata};

/// `<forward mode=...>` values, in libvirt's order.
const FORWARD_MODES: &[&str] = &[
    "none",
    "nat",
    "route",
    "open",
    "bridge",
    "private",
    "vepa",
    "passthrough",
    "hostdev",
];

/// `<forward>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Forward {
    /// The mode ("nat" when the element has none).
    pub mode: String,
    /// The `dev` attribute (libvirt also lists it as the first interface).
    pub dev: Option<String>,
    /// `<interface dev=...>` children.
    pub interfaces: Vec<String>,
    /// `managed` of hostdev mode (libvirt writes 'no' when absent).
    pub managed: bool,
    /// `<nat><port start end/></nat>`.
    pub nat_ports: Option<(u32, u32)>,
    /// `<nat ipv6=...>`.
    pub nat_ipv6: Option<String>,
    /// `<nat><address start end/></nat>`.
    pub nat_addresses: Option<(String, String)>,
}

/// `<bridge>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bridge {
    /// Bridge device name.
    pub name: Option<String>,
    /// Spanning tree on (libvirt's default).
    pub stp: bool,
    /// Forward delay in seconds.
    pub delay: u32,
}

/// A network definition.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkDef {
    /// Name.
    pub name: String,
    /// UUID (generated when the XML has none).
    pub uuid: Uuid,
    /// `ipv6='yes|no'` on the root.
    pub ipv6: Option<bool>,
    /// `trustGuestRxFilters` on the root.
    pub trust_guest_rx_filters: Option<bool>,
    /// `<forward>`; None means an isolated network.
    pub forward: Option<Forward>,
    /// `<bridge>`.
    pub bridge: Bridge,
    /// `<mtu size=...>`.
    pub mtu: Option<u32>,
    /// `<mac address=...>`.
    pub mac: Option<String>,
    /// `<domain name=... localOnly=...>`.
    pub domain: Option<(String, Option<bool>)>,
    /// `<ip>` elements.
    pub ips: Vec<Ip>,
    /// `<virtualport>`.
    pub virtualport: Option<VirtualPort>,
    /// `<portgroup>` elements.
    pub portgroups: Vec<PortGroup>,
    /// `<metadata>`.
    pub metadata: Option<Metadata>,
    /// `<dns>`.
    pub dns: Option<Dns>,
    /// `<vlan>`.
    pub vlan: Option<Vlan>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
    /// `<route>` elements' attributes.
    pub routes: Vec<Vec<(String, String)>>,
}

/// A `<portgroup>`: a named set of settings guests may pick.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PortGroup {
    /// Name.
    pub name: String,
    /// `default='yes'`.
    pub default: bool,
    /// `<vlan>`.
    pub vlan: Option<Vlan>,
    /// `<virtualport>`.
    pub virtualport: Option<VirtualPort>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
}

/// `VIR_ERR_XML_ERROR` raised by the network parser.
fn xml_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_NETWORK, VIR_ERR_XML_ERROR, detail)
}

/// `VIR_ERR_CONFIG_UNSUPPORTED` raised by the network parser.
fn unsupported(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_NETWORK, VIR_ERR_CONFIG_UNSUPPORTED, detail)
}

/// Reads a `<name>` and checks it as libvirt does for networks and pools
/// (no '/'); `from` is the error domain of "missing name information".
pub(crate) fn read_name(root: &Element, from: i32) -> Result<String> {
    let name = root
        .child_text("name")
        .filter(|n| !n.is_empty())
        .ok_or_else(|| Error::new(from, VIR_ERR_NO_NAME, None))?;
    if let Some(c) = name.chars().find(|c| *c == '/' || *c == '\n') {
        return Err(Error::with(
            VIR_FROM_XML,
            VIR_ERR_XML_DETAIL,
            format!("invalid char in name: {c}"),
        ));
    }
    Ok(name)
}

/// Reads `<uuid>` (a fresh one when absent); `from` is the error domain.
pub(crate) fn read_uuid(root: &Element, from: i32) -> Result<Uuid> {
    match root.child_text("uuid").filter(|u| !u.is_empty()) {
        Some(text) => Uuid::parse(&text).ok_or_else(|| Error::internal(from, "malformed uuid element")),
        None => Ok(Uuid::generate()),
    }
}

/// Whether `mac` is six colon-separated hex bytes.
fn valid_mac(mac: &str) -> bool {
    let parts: Vec<&str> = mac.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_hexdigit()))
}

impl NetworkDef {
    /// Parses a network document with libvirt's checks and messages.
    pub fn parse(xml: &str) -> Result<NetworkDef> {
        let root = dom::parse(xml).map_err(|e| {
            Error::with(
                VIR_FROM_NETWORK,
                VIR_ERR_XML_DETAIL,
                e.detail("(network_definition)"),
            )
        })?;
        Self::read(&root, Some(xml))
    }

    /// Reads a parsed `<network>` element.
    pub fn from_element(root: &Element) -> Result<NetworkDef> {
        Self::read(root, None)
    }

    /// Reads `<network>`; `source`, the document text, keeps comments in `<metadata>`.
    fn read(root: &Element, source: Option<&str>) -> Result<NetworkDef> {
        if root.name != "network" {
            return Err(prop_error(format!(
                "expecting root element of 'network', not '{}'",
                root.name
            )));
        }
        let name = read_name(root, VIR_FROM_NETWORK)?;
        let uuid = read_uuid(root, VIR_FROM_NETWORK)?;
        let setting = |attr: &str| match root.attr(attr) {
            None => Ok(None),
            Some("yes") => Ok(Some(true)),
            Some("no") => Ok(Some(false)),
            Some(v) => Err(xml_error(format!(
                "Invalid {attr} setting '{v}' in network '{name}'"
            ))),
        };
        let (ipv6, trust_guest_rx_filters) = (setting("ipv6")?, setting("trustGuestRxFilters")?);
        let mut def = NetworkDef {
            ipv6,
            trust_guest_rx_filters,
            bridge: Bridge {
                stp: true,
                ..Bridge::default()
            },
            name,
            uuid,
            ..NetworkDef::default()
        };
        if let Some(b) = root.child("bridge") {
            def.bridge.name = b.attr("name").filter(|n| !n.is_empty()).map(str::to_string);
            // libvirt reads stp as "off" or anything else meaning on.
            def.bridge.stp = b.attr("stp") != Some("off");
            if let Some(d) = b.attr("delay") {
                def.bridge.delay = crate::domain::util::parse_ui(d)
                    .ok_or_else(|| xml_error(format!("Invalid delay value in network '{}'", def.name)))?;
            }
        }
        if let Some(size) = root.child("mtu").and_then(|m| m.attr("size")) {
            def.mtu =
                Some(crate::domain::util::parse_uip(size).ok_or_else(|| {
                    xml_error(format!("Invalid mtu size '{size}' in network '{}'", def.name))
                })?);
        }
        if let Some(m) = root.child("mac").and_then(|m| m.attr("address")) {
            if !valid_mac(m) {
                return Err(xml_error(format!(
                    "Invalid bridge mac address '{m}' in network '{}'",
                    def.name
                )));
            }
            def.mac = Some(m.to_ascii_lowercase());
        }
        if let Some(d) = root.child("domain") {
            if let Some(n) = d.attr("name") {
                def.domain = Some((n.to_string(), prop_yes_no(d, "localOnly", false)?));
            }
        }
        for el in root.children_named("ip") {
            def.ips.push(Ip::parse(el, &def.name)?);
        }
        def.virtualport = root.child("virtualport").map(VirtualPort::parse);
        for pg in root.children_named("portgroup") {
            let name = pg
                .attr("name")
                .ok_or_else(|| xml_error("Missing required name attribute in portgroup"))?;
            def.portgroups.push(PortGroup {
                name: name.to_string(),
                // libvirt takes anything but "yes" as not the default.
                default: pg.attr("default") == Some("yes"),
                vlan: pg.child("vlan").map(Vlan::parse),
                virtualport: pg.child("virtualport").map(VirtualPort::parse),
                bandwidth: pg.child("bandwidth").map(Bandwidth::parse).transpose()?,
            });
        }
        if let Some(m) = root.child("metadata") {
            let raw = source.and_then(|text| metadata::read_raw(text, &["metadata"]));
            def.metadata = Some(metadata::parse(m, raw, root));
        }
        def.dns = root.child("dns").map(Dns::parse).filter(|d| !d.is_empty());
        def.vlan = root.child("vlan").map(Vlan::parse);
        def.bandwidth = root.child("bandwidth").map(Bandwidth::parse).transpose()?;
        def.routes = root.children_named("route").map(parts::parse_route).collect();
        if let Some(f) = root.child("forward") {
            def.forward = Some(Self::parse_forward(f, &def.name)?);
        }
        def.check_forward()?;
        Ok(def)
    }

    fn parse_forward(f: &Element, net: &str) -> Result<Forward> {
        let mode = match f.attr("mode") {
            None => "nat",
            Some(m) => FORWARD_MODES
                .iter()
                .find(|x| **x == m)
                .copied()
                .ok_or_else(|| unsupported(format!("unknown forwarding type '{m}'")))?,
        };
        let mut fwd = Forward {
            mode: mode.to_string(),
            dev: f.attr("dev").filter(|d| !d.is_empty()).map(str::to_string),
            managed: prop_yes_no(f, "managed", false)? == Some(true),
            ..Forward::default()
        };
        fwd.interfaces = f
            .children_named("interface")
            .filter_map(|i| i.attr("dev"))
            .map(str::to_string)
            .collect();
        if let Some(dev) = &fwd.dev {
            if fwd.interfaces.is_empty() {
                fwd.interfaces.push(dev.clone());
            }
        } else {
            fwd.dev = fwd.interfaces.first().cloned();
        }
        if let Some(nat) = f.child("nat") {
            fwd.nat_ipv6 = nat.attr("ipv6").map(str::to_string);
            if let Some(a) = nat.child("address") {
                let start = a.attr("start").unwrap_or_default().to_string();
                let end = a.attr("end").unwrap_or_default().to_string();
                fwd.nat_addresses = Some((start, end));
            }
        }
        if let Some(p) = f.child("nat").and_then(|n| n.child("port")) {
            let port = |attr: &str| {
                p.attr(attr).and_then(crate::domain::util::parse_uip).ok_or_else(|| {
                    Error::with(
                        VIR_FROM_NETWORK,
                        VIR_ERR_XML_DETAIL,
                        format!("Missing or invalid '{attr}' attribute in <port> in <nat> in <forward> in network {net}"),
                    )
                })
            };
            fwd.nat_ports = Some((port("start")?, port("end")?));
        }
        Ok(fwd)
    }

    /// The rules libvirt applies between forward mode and addresses.
    fn check_forward(&self) -> Result<()> {
        let mode = self.forward.as_ref().map_or("none", |f| f.mode.as_str());
        if matches!(mode, "route" | "open") && self.ips.is_empty() {
            return Err(xml_error(format!(
                "{mode} forwarding requested, but no IP address provided for network '{}'",
                self.name
            )));
        }
        Ok(())
    }

    /// Whether libvirt manages the bridge itself (isolated, nat, route, open).
    fn owns_bridge(&self) -> bool {
        matches!(
            self.forward.as_ref().map_or("none", |f| f.mode.as_str()),
            "none" | "nat" | "route" | "open"
        )
    }

    /// The document as libvirt's formatter writes it.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::new();
        let mut root = Vec::new();
        if let Some(v) = self.ipv6 {
            root.push(("ipv6", yes_no(v)));
        }
        if let Some(v) = self.trust_guest_rx_filters {
            root.push(("trustGuestRxFilters", yes_no(v)));
        }
        w.open("network", &root);
        w.text("name", &[], &self.name);
        w.text("uuid", &[], &self.uuid.to_string());
        if let Some(m) = &self.metadata {
            w.raw_line(&metadata::format(m, 1));
        }
        if let Some(f) = &self.forward {
            self.write_forward(&mut w, f);
        }
        let delay = self.bridge.delay.to_string();
        let mut battrs = Vec::new();
        if let Some(n) = &self.bridge.name {
            battrs.push(("name", n.as_str()));
        }
        if self.owns_bridge() {
            battrs.push(("stp", if self.bridge.stp { "on" } else { "off" }));
            battrs.push(("delay", &delay));
        }
        if !battrs.is_empty() {
            w.empty("bridge", &battrs);
        }
        if let Some(m) = self.mtu {
            w.empty("mtu", &[("size", &m.to_string())]);
        }
        if let Some(m) = &self.mac {
            w.empty("mac", &[("address", m)]);
        }
        if let Some((n, local)) = &self.domain {
            let mut a = vec![("name", n.as_str())];
            if let Some(l) = local {
                a.push(("localOnly", yes_no(*l)));
            }
            w.empty("domain", &a);
        }
        if let Some(d) = &self.dns {
            d.write(&mut w);
        }
        if let Some(v) = &self.vlan {
            v.write(&mut w);
        }
        if let Some(b) = &self.bandwidth {
            b.write(&mut w);
        }
        for ip in &self.ips {
            ip.write(&mut w);
        }
        for r in &self.routes {
            parts::write_route(&mut w, r);
        }
        if let Some(v) = &self.virtualport {
            v.write(&mut w);
        }
        for pg in &self.portgroups {
            let mut a = vec![("name", pg.name.as_str())];
            if pg.default {
                a.push(("default", "yes"));
            }
            w.open("portgroup", &a);
            if let Some(v) = &pg.vlan {
                v.write(&mut w);
            }
            if let Some(v) = &pg.virtualport {
                v.write(&mut w);
            }
            if let Some(b) = &pg.bandwidth {
                b.write(&mut w);
            }
            w.close("portgroup");
        }
        w.close("network");
        w.finish()
    }

    fn write_forward(&self, w: &mut Writer, f: &Forward) {
        let mut a = Vec::new();
        if let Some(d) = &f.dev {
            a.push(("dev", d.as_str()));
        }
        a.push(("mode", f.mode.as_str()));
        if f.mode == "hostdev" {
            a.push(("managed", yes_no(f.managed)));
        }
        let nat = f.nat_ports.is_some() || f.nat_ipv6.is_some() || f.nat_addresses.is_some();
        if f.interfaces.is_empty() && !nat {
            w.empty("forward", &a);
            return;
        }
        w.open("forward", &a);
        if nat {
            let a: Vec<(&str, &str)> = f.nat_ipv6.iter().map(|v| ("ipv6", v.as_str())).collect();
            w.open("nat", &a);
            if let Some((start, end)) = &f.nat_addresses {
                w.empty("address", &[("start", start), ("end", end)]);
            }
            if let Some((start, end)) = f.nat_ports {
                w.empty(
                    "port",
                    &[("start", &start.to_string()), ("end", &end.to_string())],
                );
            }
            w.close("nat");
        }
        for i in &f.interfaces {
            w.empty("interface", &[("dev", i)]);
        }
        w.close("forward");
    }
}

fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}
