//! `<interface>`: network interfaces of every type, with MAC handling
//! (parsing, multicast check, generation from the driver's prefix), sources,
//! VLANs, virtual ports, bandwidth, IP configuration, driver tuning.

use super::address::*;
use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

/// Interface types, in libvirt's enumeration order.
pub const TYPES: &[&str] = &[
    "user",
    "ethernet",
    "vhostuser",
    "server",
    "client",
    "mcast",
    "network",
    "bridge",
    "internal",
    "direct",
    "hostdev",
    "udp",
    "vdpa",
    "null",
    "vds",
];

const DRIVER_ATTRS: &[(&str, Kind)] = &[
    ("name", Kind::EnumNz(&["default", "qemu", "vhost"])),
    ("txmode", Kind::EnumNz(&["default", "iothread", "timer"])),
    ("ioeventfd", Kind::OnOff),
    ("event_idx", Kind::OnOff),
    ("queues", Kind::Uint(10)),
    ("rx_queue_size", Kind::Uint(10)),
    ("tx_queue_size", Kind::Uint(10)),
    ("rss", Kind::OnOff),
    ("rss_hash_report", Kind::OnOff),
];
const VIRTIO_OPTIONS: &[(&str, Kind)] = &[
    ("iommu", Kind::OnOff),
    ("ats", Kind::OnOff),
    ("packed", Kind::OnOff),
    ("page_per_vq", Kind::OnOff),
];
const HOST_OFFLOADS: &[(&str, Kind)] = &[
    ("csum", Kind::OnOff),
    ("gso", Kind::OnOff),
    ("tso4", Kind::OnOff),
    ("tso6", Kind::OnOff),
    ("ecn", Kind::OnOff),
    ("ufo", Kind::OnOff),
    ("mrg_rxbuf", Kind::OnOff),
];
const GUEST_OFFLOADS: &[(&str, Kind)] = &[
    ("csum", Kind::OnOff),
    ("tso4", Kind::OnOff),
    ("tso6", Kind::OnOff),
    ("ecn", Kind::OnOff),
    ("ufo", Kind::OnOff),
];

/// A MAC address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Mac(pub [u8; 6]);

impl Mac {
    /// Parses libvirt's spelling: six hex bytes separated by `:` (one or two
    /// digits each, any case).
    pub fn parse(s: &str) -> Option<Mac> {
        let mut out = [0u8; 6];
        let mut parts = s.split(':');
        for b in out.iter_mut() {
            let p = parts.next()?;
            if p.is_empty() || p.len() > 2 || !p.bytes().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            *b = u8::from_str_radix(p, 16).ok()?;
        }
        parts.next().is_none().then_some(Mac(out))
    }

    /// A random address under a three-byte prefix.
    pub fn generate(prefix: [u8; 3]) -> Mac {
        let mut tail = [0u8; 3];
        crate::domain::fill_random(&mut tail);
        Mac([prefix[0], prefix[1], prefix[2], tail[0], tail[1], tail[2]])
    }

    /// Whether the group bit is set.
    pub fn is_multicast(&self) -> bool {
        self.0[0] & 1 == 1
    }
}

impl std::fmt::Display for Mac {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

/// `<vlan>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Vlan {
    /// `trunk='yes'`.
    pub trunk: bool,
    /// (id, nativeMode).
    pub tags: Vec<(u32, Option<String>)>,
}

/// `<virtualport>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VirtualPort {
    /// `type`.
    pub kind: Option<String>,
    /// `<parameters>` attributes in libvirt's order.
    pub params: Attrs,
}

/// `<bandwidth>`: inbound and outbound rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bandwidth {
    /// `<inbound>` attributes.
    pub inbound: Option<Attrs>,
    /// `<outbound>` attributes.
    pub outbound: Option<Attrs>,
}

/// An `<ip>` or a `<route>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IpEntry {
    /// Attributes in libvirt's order.
    pub attrs: Attrs,
}

/// `<portForward>` of user interfaces.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PortForward {
    /// Attributes (`proto`, `address`, `dev`).
    pub attrs: Attrs,
    /// `<range>` attributes.
    pub ranges: Vec<Attrs>,
}

/// `<filterref>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FilterRef {
    /// `filter`.
    pub filter: String,
    /// (name, value) parameters.
    pub params: Vec<(String, String)>,
}

/// A network interface.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    /// `type` attribute (`network`, `bridge`, `user`, `ethernet`, ...).
    pub kind: String,
    /// `<mac address=...>` in libvirt's lower-case spelling, generated when absent.
    pub mac: Option<String>,
    /// `<mac type=...>`.
    pub mac_type: Option<String>,
    /// `<mac check=...>`.
    pub mac_check: Option<bool>,
    /// `<target dev=...>`.
    pub target_dev: Option<String>,
    /// `<target managed=...>`.
    pub target_managed: Option<bool>,
    /// `trustGuestRxFilters`.
    pub trust_guest_rx_filters: Option<bool>,
    /// `managed` (hostdev interfaces).
    pub managed: Option<bool>,
    /// `<source>` attributes for the type.
    pub source: Attrs,
    /// `<source><local>` of udp interfaces.
    pub source_local: Option<Attrs>,
    /// `<source><reconnect>` of vhost-user interfaces.
    pub source_reconnect: Option<Attrs>,
    /// The host device of hostdev interfaces.
    pub hostdev_address: Option<Address>,
    /// `<vlan>`.
    pub vlan: Option<Vlan>,
    /// `<virtualport>`.
    pub virtualport: Option<VirtualPort>,
    /// `<bandwidth>`.
    pub bandwidth: Option<Bandwidth>,
    /// `<port isolated=...>`.
    pub port_isolated: Option<bool>,
    /// `<ip>`s.
    pub ips: Vec<IpEntry>,
    /// `<route>`s.
    pub routes: Vec<IpEntry>,
    /// `<portForward>`s.
    pub port_forwards: Vec<PortForward>,
    /// `<script path=...>`.
    pub script: Option<String>,
    /// `<downscript path=...>`.
    pub downscript: Option<String>,
    /// `<backenddomain name=...>`.
    pub backend_domain: Option<String>,
    /// `<guest>` attributes.
    pub guest: Attrs,
    /// `<model type=...>`.
    pub model: Option<String>,
    /// `<driver>` attributes (virtio models; `name` alone for hostdev interfaces).
    pub driver: Attrs,
    /// `<driver><host>` attributes.
    pub driver_host: Attrs,
    /// `<driver><guest>` attributes.
    pub driver_guest: Attrs,
    /// `<backend>` attributes.
    pub backend: Attrs,
    /// `<filterref>`.
    pub filterref: Option<FilterRef>,
    /// `<tune><sndbuf>`.
    pub sndbuf: Option<u64>,
    /// `<teaming>` attributes.
    pub teaming: Attrs,
    /// `<link state=...>`.
    pub link_state: Option<String>,
    /// `<mtu size=...>`.
    pub mtu: Option<u32>,
    /// `<coalesce><rx><frames max=...>`.
    pub coalesce_rx_frames: Option<u32>,
    /// Address, boot order, alias, ROM.
    pub info: DeviceInfo,
}

/// libvirt's generated tap/macvtap name prefixes, cleared from inactive definitions.
const GENERATED_PREFIXES: &[&str] = &["vnet", "macvtap", "macvlan"];

/// Reads an `<ip>` (interfaces and host network devices).
pub fn parse_ip(el: &Element) -> Result<IpEntry> {
    let address = el
        .attr("address")
        .ok_or_else(|| dom_xml_err("Missing required address in <ip>"))?;
    let ip =
        parse_inet(address).ok_or_else(|| dom_xml_err(format!("Invalid address '{address}' in <ip>")))?;
    let mut a = Attrs::default();
    a.set("address", ip.to_string());
    a.set("family", if ip.is_ipv4() { "ipv4" } else { "ipv6" });
    if let Some(p) = el.attr("prefix") {
        let n = to_uint(p, 10).ok_or_else(|| dom_xml_err(format!("Invalid prefix value '{p}' in <ip>")))?;
        if n > 0 {
            a.set("prefix", n.to_string());
        }
    }
    if let Some(p) = el.attr("peer") {
        let peer = parse_inet(p).ok_or_else(|| {
            Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_INVALID_ARG,
                format!("Invalid peer '{p}' in <ip>"),
            )
        })?;
        a.set("peer", peer.to_string());
    }
    Ok(IpEntry { attrs: a })
}

fn masked(ip: std::net::IpAddr, prefix: u32) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V4(v4) => {
            let bits = u32::from(v4);
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - prefix.min(32))
            };
            std::net::Ipv4Addr::from(bits & mask).into()
        }
        std::net::IpAddr::V6(v6) => {
            let bits = u128::from(v6);
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - prefix.min(128))
            };
            std::net::Ipv6Addr::from(bits & mask).into()
        }
    }
}

/// Reads a `<route>`; `who` names the owner in messages ("guest interface").
pub fn parse_route(el: &Element, who: &str) -> Result<IpEntry> {
    let bad = |what: &str, v: &str| {
        xml_err(
            VIR_FROM_NETWORK,
            format!("{who}: Bad {what} address '{v}' in route definition"),
        )
    };
    if let Some(f) = el.attr("family") {
        if f != "ipv4" && f != "ipv6" {
            return Err(xml_err(
                VIR_FROM_NETWORK,
                format!("{who}: Unrecognized family '{f}' in route definition"),
            ));
        }
    }
    let address_text = el.attr("address").unwrap_or("");
    let address = parse_inet(address_text).ok_or_else(|| bad("network", address_text))?;
    let netmask = match el.attr("netmask") {
        None => None,
        Some(m) => Some(parse_inet(m).ok_or_else(|| bad("netmask", m))?),
    };
    let gateway = match el.attr("gateway") {
        None => None,
        Some(g) => Some(parse_inet(g).ok_or_else(|| bad("gateway", g))?),
    };
    let a = Attrs::read(
        el,
        &[("prefix", Kind::UintKeep(10)), ("metric", Kind::UintNz(10))],
    )?;
    let prefix = match (a.get("prefix"), netmask) {
        (Some(p), _) => p.parse().unwrap_or(0),
        (None, Some(std::net::IpAddr::V4(m))) => u32::from(m).count_ones(),
        (None, Some(std::net::IpAddr::V6(m))) => u128::from(m).count_ones(),
        (None, None) => 0,
    };
    if masked(address, prefix) != address {
        return Err(xml_err(
            VIR_FROM_NETWORK,
            format!("{who}: Address '{address_text}' in route definition is not a network address"),
        ));
    }
    let mut out = Attrs::default();
    if let Some(f) = el.attr("family") {
        out.set("family", f);
    }
    out.set("address", address.to_string());
    if let Some(m) = netmask {
        out.set("netmask", m.to_string());
    }
    if let Some(p) = a.get("prefix") {
        out.set("prefix", p);
    }
    if let Some(g) = gateway {
        out.set("gateway", g.to_string());
    }
    if let Some(m) = a.get("metric") {
        out.set("metric", m);
    }
    Ok(IpEntry { attrs: out })
}

fn parse_rate(el: &Element, inbound: bool) -> Result<Attrs> {
    let mut a = Attrs::default();
    for name in ["average", "peak", "floor", "burst"] {
        if name == "floor" && !inbound {
            continue;
        }
        if let Some(v) = el.attr(name) {
            let n = to_ull(v, 10).ok_or_else(|| {
                Error::with(
                    VIR_FROM_NONE,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    format!("could not convert bandwidth {name} value '{v}'"),
                )
            })?;
            a.set(name, n.to_string());
        }
    }
    if a.get("average").is_none() && a.get("floor").is_none() {
        return Err(Error::with(
            VIR_FROM_NONE,
            VIR_ERR_XML_DETAIL,
            "Missing mandatory average or floor attributes",
        ));
    }
    Ok(a)
}

fn rate_empty(a: &Attrs) -> bool {
    a.get("average").is_none_or(|v| v == "0") && a.get("floor").is_none_or(|v| v == "0")
}

/// Reads an `<interface>`; `mac_prefix` seeds a generated MAC.
pub fn parse(el: &Element, mac_prefix: [u8; 3], inactive: bool) -> Result<Interface> {
    let kind = match el.attr("type") {
        None => "user".to_string(),
        Some(t) if TYPES.contains(&t) => t.to_string(),
        Some(t) => return Err(bad_value(el, "type", t, "")),
    };
    let mut n = Interface {
        kind: kind.clone(),
        trust_guest_rx_filters: prop_yesno(el, "trustGuestRxFilters")?,
        ..Default::default()
    };
    if kind == "hostdev" {
        // Only "yes" counts; other values leave it unset.
        n.managed = (el.attr("managed") == Some("yes")).then_some(true);
    }
    let src = el.child("source");
    if src.is_none()
        && matches!(
            kind.as_str(),
            "network"
                | "bridge"
                | "internal"
                | "direct"
                | "vhostuser"
                | "server"
                | "client"
                | "mcast"
                | "udp"
                | "vdpa"
                | "vds"
        )
    {
        return Err(dom_xml_err(format!(
            "interface type='{kind}' requires a 'source' element"
        )));
    }
    if kind == "hostdev" && src.and_then(|s| s.child("address")).is_none() {
        return Err(dom_xml_err("missing source address type"));
    }
    if let Some(s) = src {
        let table: &[(&str, Kind)] = match kind.as_str() {
            "network" => &[
                ("network", Kind::Str),
                ("portgroup", Kind::Str),
                ("portid", Kind::Str),
            ],
            "bridge" => &[("bridge", Kind::Str)],
            "direct" => &[
                ("dev", Kind::Str),
                (
                    "mode",
                    Kind::EnumNz(&["", "vepa", "private", "bridge", "passthrough"]),
                ),
            ],
            "internal" => &[("name", Kind::Str)],
            "vdpa" => &[("dev", Kind::Str)],
            "server" | "client" | "mcast" | "udp" => &[("address", Kind::Str), ("port", Kind::Int)],
            "vhostuser" => &[("type", Kind::Str), ("path", Kind::Str), ("mode", Kind::Str)],
            "user" | "ethernet" => &[],
            "vds" => &[
                ("switchid", Kind::Str),
                ("portid", Kind::Str),
                ("portgroupid", Kind::Str),
                ("connectionid", Kind::Str),
            ],
            _ => &[],
        };
        n.source = Attrs::read(s, table)?;
        if kind == "direct" && n.source.get("mode").is_none() {
            n.source.set("mode", "vepa");
        }
        if kind == "vds" {
            if let Some(u) = n.source.get("switchid").map(str::to_string) {
                let uuid = crate::domain::Uuid::parse(&u)
                    .ok_or_else(|| bad_value(s, "switchid", &u, " Expected UUID"))?;
                n.source.set("switchid", uuid.to_string());
            }
            for name in ["portid", "connectionid"] {
                if let Some(v) = s.attr(name) {
                    let (neg, mag) = c_number(v, 10)
                        .filter(|(_, m)| *m <= i64::MAX as u64)
                        .ok_or_else(|| bad_value(s, name, v, " Expected long long integer value"))?;
                    let n64 = if neg { -(mag as i64) } else { mag as i64 };
                    n.source.set(name, n64.to_string());
                }
            }
        }
        if kind == "udp" {
            if s.child("local").is_none() {
                return Err(dom_xml_err(
                    "'<local>' element missing for 'udp' socket interface",
                ));
            }
            if let Some(l) = s.child("local") {
                n.source_local = Some(Attrs::read(l, &[("address", Kind::Str), ("port", Kind::Int)])?);
            }
        }
        if kind == "vhostuser" {
            match s.attr("type") {
                Some("unix") => {}
                t => {
                    return Err(unsupported(format!(
                        "Type='{}' unsupported for <interface type='vhostuser'>",
                        t.unwrap_or("")
                    )))
                }
            }
            prop_enum(s, "mode", &["", "server", "client"], true)?;
            if let Some(r) = s.child("reconnect") {
                if n.source.get("mode") == Some("server") {
                    return Err(unsupported(
                        "'reconnect' attribute unsupported 'server' mode for <interface type='vhostuser'>",
                    ));
                }
                n.source_reconnect = Some(read_reconnect(r)?);
            }
        }
        if kind == "hostdev" {
            if let Some(a) = s.child("address") {
                match xattr(a, "type") {
                    Some("pci") | Some("usb") => {}
                    Some(t) => {
                        return Err(unsupported(format!(
                            "unknown host device source address type '{t}'"
                        )))
                    }
                    None => return Err(dom_xml_err("missing source address type")),
                }
                n.hostdev_address = Some(parse_address(a)?);
            }
        }
    }
    if let Some(v) = el.child("vlan") {
        let mut vl = Vlan {
            trunk: false,
            tags: Vec::new(),
        };
        for t in v.children_named("tag") {
            let idn = prop_uint(t, "id", 10)?
                .ok_or_else(|| Error::with(VIR_FROM_NONE, VIR_ERR_XML_ERROR, "missing id for VLAN tag"))?;
            if idn > 4095 {
                return Err(Error::with(
                    VIR_FROM_NONE,
                    VIR_ERR_XML_ERROR,
                    format!("vlan tag id {idn} too large (maximum 4095)"),
                ));
            }
            let native = prop_enum(t, "nativeMode", &["", "tagged", "untagged"], true)?;
            if native.is_some() && vl.tags.iter().any(|(_, n)| n.is_some()) {
                return Err(xml_err(VIR_FROM_NONE, "duplicate native vlan setting"));
            }
            vl.tags.push((idn, native));
        }
        if vl.tags.is_empty() {
            return Err(Error::with(
                VIR_FROM_NONE,
                VIR_ERR_XML_ERROR,
                "missing tag id - each <vlan> must have at least one <tag id='n'/> subelement",
            ));
        }
        match xattr(v, "trunk") {
            None => vl.trunk = vl.tags.len() > 1,
            Some("yes") => vl.trunk = true,
            Some(t) if vl.tags.len() > 1 => {
                return Err(xml_err(
                    VIR_FROM_NONE,
                    format!(
                    "invalid \"trunk='{t}'\" in <vlan> - trunk='yes' is required for more than one vlan tag"
                ),
                ))
            }
            Some("no") => vl.trunk = false,
            Some(t) => {
                return Err(xml_err(
                    VIR_FROM_NONE,
                    format!("invalid \"trunk='{t}'\" in <vlan> - must be yes or no"),
                ))
            }
        }
        n.vlan = Some(vl);
    }
    if let Some(v) = el.child("virtualport") {
        let kind = match v.attr("type") {
            None => None,
            Some(t) if ["802.1Qbg", "802.1Qbh", "openvswitch", "midonet"].contains(&t) => Some(t.to_string()),
            Some(t) => {
                return Err(Error::with(
                    VIR_FROM_NONE,
                    VIR_ERR_CONFIG_UNSUPPORTED,
                    format!("unknown virtualport type {t}"),
                ))
            }
        };
        if kind.is_none() && n.kind != "network" {
            return Err(xml_err(VIR_FROM_NONE, "missing required virtualport type"));
        }
        let mut params = Attrs::default();
        if let Some(p) = v.child("parameters") {
            for name in ["managerid", "typeid", "typeidversion"] {
                if let Some(val) = p.attr(name) {
                    let n = to_uint_wrapping(val, 10).ok_or_else(|| {
                        xml_err(VIR_FROM_NONE, format!("cannot parse value of {name} parameter"))
                    })?;
                    let (max, what) = match name {
                        "managerid" => (0xff, "value of managerid"),
                        "typeid" => (0xff_ffff, "value for typeid"),
                        _ => (0xff, "value of typeidversion"),
                    };
                    if n > max {
                        return Err(xml_err(VIR_FROM_NONE, format!("{what} out of range")));
                    }
                    params.set(name, n.to_string());
                }
            }
            for name in ["instanceid", "interfaceid"] {
                if let Some(val) = p.attr(name) {
                    let u = crate::domain::Uuid::parse(val).ok_or_else(|| {
                        xml_err(VIR_FROM_NONE, format!("cannot parse {name} parameter as a uuid"))
                    })?;
                    params.set(name, u.to_string());
                }
            }
            if let Some(val) = xattr(p, "profileid") {
                params.set("profileid", val);
            }
        }
        if kind.is_none() && !matches!(n.kind.as_str(), "network") {
            return Err(xml_err(VIR_FROM_NONE, "missing required virtualport type"));
        }
        // libvirt fills in the identifiers a port type needs with random UUIDs.
        if matches!(kind.as_deref(), None | Some("802.1Qbg")) && params.get("instanceid").is_none() {
            params.set("instanceid", crate::domain::Uuid::generate().to_string());
        }
        let required: &[&str] = match kind.as_deref() {
            Some("802.1Qbg") => &["managerid", "typeid", "typeidversion"],
            Some("802.1Qbh") => &["profileid"],
            Some("midonet") => &["interfaceid"],
            _ => &[],
        };
        for r in required {
            if params.get(r).is_none() {
                return Err(xml_err(
                    VIR_FROM_NET,
                    format!(
                        "missing {r} in <virtualport type='{}'>",
                        kind.as_deref().unwrap_or("")
                    ),
                ));
            }
        }
        if matches!(kind.as_deref(), None | Some("openvswitch")) && params.get("interfaceid").is_none() {
            params.set("interfaceid", crate::domain::Uuid::generate().to_string());
        }
        let mut ordered = Attrs::default();
        for k in [
            "managerid",
            "typeid",
            "typeidversion",
            "instanceid",
            "interfaceid",
            "profileid",
        ] {
            if let Some(v) = params.get(k) {
                ordered.set(k, v);
            }
        }
        n.virtualport = Some(VirtualPort {
            kind,
            params: ordered,
        });
    }
    if let Some(b) = el.child("bandwidth") {
        for dir in ["inbound", "outbound"] {
            if b.children_named(dir).count() > 1 {
                return Err(Error::with(
                    VIR_FROM_NONE,
                    VIR_ERR_XML_DETAIL,
                    format!("Only one child <{dir}> element allowed"),
                ));
            }
        }
        let mut bw = Bandwidth::default();
        if let Some(i) = b.child("inbound") {
            bw.inbound = Some(parse_rate(i, true)?);
        }
        if let Some(o) = b.child("outbound") {
            bw.outbound = Some(parse_rate(o, false)?);
        }
        n.bandwidth = Some(bw);
    }
    if let Some(p) = el.child("port") {
        n.port_isolated = prop_yesno(p, "isolated")?;
    }
    if let Some(m) = el.child("mac") {
        if let Some(a) = m.attr("address") {
            let mac =
                Mac::parse(a).ok_or_else(|| dom_xml_err(format!("unable to parse mac address '{a}'")))?;
            if mac.is_multicast() {
                return Err(dom_xml_err(format!(
                    "expected unicast mac address, found multicast '{a}'"
                )));
            }
            n.mac = Some(mac.to_string());
        }
        n.mac_type = prop_enum(m, "type", &["", "generated", "static"], true)?;
        n.mac_check = prop_yesno(m, "check")?;
    }
    if n.mac.is_none() {
        n.mac = Some(Mac::generate(mac_prefix).to_string());
    }
    if n.port_isolated.is_some()
        && n.virtualport
            .as_ref()
            .is_some_and(|v| v.kind.as_deref() == Some("openvswitch"))
    {
        return Err(unsupported(format!(
            "interface {} - <port isolated='yes'/> is not supported for network interfaces with virtualport type='openvswitch'",
            n.mac.as_deref().unwrap_or("")
        )));
    }
    for ip in el.children_named("ip") {
        n.ips.push(parse_ip(ip)?);
    }
    for r in el.children_named("route") {
        n.routes.push(parse_route(r, "guest interface")?);
    }
    for pf in el.children_named("portForward") {
        let attrs = Attrs::read(
            pf,
            &[
                ("proto", Kind::EnumNz(&["", "tcp", "udp"])),
                ("address", Kind::Str),
                ("dev", Kind::Str),
            ],
        )?;
        if attrs.get("proto").is_none() {
            return Err(missing_attr(pf, "proto"));
        }
        let mut attrs = attrs;
        if let Some(a) = attrs.get("address").map(str::to_string) {
            let ip = parse_inet(&a)
                .ok_or_else(|| dom_xml_err(format!("Invalid address '{a}' in <portForward>")))?;
            attrs.set("address", ip.to_string());
        }
        let mut ranges = Vec::new();
        for r in pf.children_named("range") {
            ranges.push(Attrs::read(
                r,
                &[
                    ("start", Kind::UintNz(10)),
                    ("end", Kind::UintNz(10)),
                    ("to", Kind::UintNz(10)),
                    ("exclude", Kind::YesNo),
                ],
            )?);
        }
        n.port_forwards.push(PortForward { attrs, ranges });
    }
    n.script = el.child("script").and_then(|s| attr_nonempty(s, "path"));
    n.downscript = el.child("downscript").and_then(|s| attr_nonempty(s, "path"));
    n.backend_domain = el.child("backenddomain").and_then(|s| attr_nonempty(s, "name"));
    if let Some(t) = el.child("target") {
        n.target_dev = attr(t, "dev");
        n.target_managed = prop_yesno(t, "managed")?;
        if inactive && n.target_managed != Some(false) {
            if let Some(dev) = &n.target_dev {
                if GENERATED_PREFIXES.iter().any(|p| dev.starts_with(p)) {
                    n.target_dev = None;
                }
            }
        }
    }
    if let Some(g) = el.child("guest") {
        for k in ["dev", "actual"] {
            if let Some(v) = xattr(g, k) {
                n.guest.set(k, v);
            }
        }
    }
    n.model = el.child("model").and_then(|m| attr_nonempty(m, "type"));
    if let Some(m) = &n.model {
        if !m
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'_' || c == b'-' || c == b'+')
        {
            return Err(Error::with(
                VIR_FROM_DOMAIN,
                VIR_ERR_INVALID_ARG,
                "Model name contains invalid characters",
            ));
        }
    }
    if kind == "vhostuser"
        && !matches!(
            n.model.as_deref(),
            Some("virtio") | Some("virtio-transitional") | Some("virtio-non-transitional")
        )
    {
        return Err(internal(
            "Wrong or no <model> 'type' attribute specified with <interface type='vhostuser'/>. vhostuser requires the virtio-net* frontend",
        ));
    }
    let virtio = matches!(
        n.model.as_deref(),
        Some("virtio") | Some("virtio-transitional") | Some("virtio-non-transitional")
    );
    if let Some(d) = el.child("driver") {
        if kind == "hostdev" {
            if let Some(v) = prop_enum(d, "name", &["default", "kvm", "vfio", "xen"], true)? {
                n.driver.set("name", v);
            }
        } else if virtio {
            n.driver = Attrs::read(d, DRIVER_ATTRS)?;
            if let Some(h) = d.child("host") {
                n.driver_host = Attrs::read(h, HOST_OFFLOADS)?;
            }
            if let Some(g) = d.child("guest") {
                n.driver_guest = Attrs::read(g, GUEST_OFFLOADS)?;
            }
        }
        let opts = Attrs::read(d, VIRTIO_OPTIONS)?;
        if let Some((k, _)) = opts.0.first() {
            if !virtio {
                return Err(unsupported(format!(
                    "{k} driver option is only supported for virtio devices"
                )));
            }
        }
        for (k, v) in opts.0 {
            n.driver.set(&k, v);
        }
    }
    if let Some(b) = el.child("backend") {
        if let Some(t) = b.attr("type") {
            // 9.0 knows the passt value but does not accept it yet.
            let dom = if t == "passt" {
                VIR_FROM_DOMAIN
            } else {
                VIR_FROM_XML
            };
            return Err(xml_err(
                dom,
                format!("Invalid value for attribute 'type' in element 'backend': '{t}'."),
            ));
        }
        n.backend = Attrs::read(b, &[("tap", Kind::Str), ("vhost", Kind::Str)])?;
    }
    if let Some(f) = el.child("filterref") {
        let filter = attr(f, "filter").unwrap_or_default();
        let params = f
            .children_named("parameter")
            .filter_map(|p| Some((attr(p, "name")?, attr_nonempty(p, "value")?)))
            .collect::<Vec<_>>();
        // Names and values outside libvirt's variable alphabets are dropped.
        let value_ok = |v: &str| {
            v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.:".contains(&b))
        };
        let name_ok = |n: &str| n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        let params: Vec<_> = params
            .into_iter()
            .filter(|(n, v)| name_ok(n) && value_ok(v))
            .collect();
        // libvirt keeps parameters in a table keyed by name and writes the
        // names sorted, each name's values in document order.
        let mut params = params;
        params.sort_by(|a, b| a.0.cmp(&b.0));
        n.filterref = Some(FilterRef { filter, params });
    }
    if let Some(t) = el.child("tune") {
        if let Some(s) = t.child("sndbuf") {
            let txt = s.text();
            n.sndbuf =
                Some(to_ull(&txt, 10).ok_or_else(|| dom_xml_err("sndbuf must be a positive integer"))?);
        }
    }
    if let Some(t) = el.child("teaming") {
        let persistent = xattr(t, "persistent");
        match xattr(t, "type") {
            None if persistent.is_some() => {
                return Err(unsupported("unknown teaming type '(null)'"));
            }
            None => {}
            Some(ty) if ["persistent", "transient"].contains(&ty) => {
                if ty == "transient" && persistent.is_none() {
                    return Err(unsupported(
                        "teaming persistent attribute must be set if teaming type is 'transient'",
                    ));
                }
                n.teaming.set("type", ty);
                if let Some(p) = persistent {
                    n.teaming.set("persistent", p);
                }
            }
            Some("none") => {}
            Some(ty) => return Err(unsupported(format!("unknown teaming type '{ty}'"))),
        }
    }
    if let Some(l) = el.child("link") {
        n.link_state = match xattr(l, "state") {
            None => None,
            Some(v) if v == "up" || v == "down" => Some(v.to_string()),
            Some(v) => return Err(unsupported(format!("unknown interface link state '{v}'"))),
        };
    }
    if let Some(m) = el.child("mtu") {
        n.mtu = match xattr(m, "size") {
            None => None,
            Some(v) => Some(to_uint(v, 10).ok_or_else(|| dom_xml_err("malformed mtu size"))?),
        };
    }
    if let Some(c) = el.child("coalesce") {
        if let Some(f) = c.child("rx").and_then(|r| r.child("frames")) {
            n.coalesce_rx_frames = match xattr(f, "max") {
                None => None,
                Some(v) => match to_ull(v, 10) {
                    Some(n) if n > u32::MAX as u64 => {
                        return Err(Error::with(
                            VIR_FROM_DOMAIN,
                            VIR_ERR_OVERFLOW,
                            format!("value '{v}' is too big for coalesce parameter, maximum is '4294967295'"),
                        ))
                    }
                    Some(n) => Some(n as u32),
                    None => {
                        return Err(Error::with(
                            VIR_FROM_DOMAIN,
                            VIR_ERR_XML_DETAIL,
                            format!("cannot parse value '{v}' for coalesce parameter"),
                        ))
                    }
                },
            }
            .filter(|m| *m > 0);
        }
    }
    // The vhost device path only means something for virtio models.
    if !matches!(
        n.model.as_deref(),
        Some("virtio") | Some("virtio-transitional") | Some("virtio-non-transitional")
    ) {
        n.backend.remove("vhost");
    }
    n.info = parse_info(el, INFO_BOOT_ROM)?;
    Ok(n)
}

/// Writes an `<interface>`.
pub fn format<'a>(n: &'a Interface, opts: &crate::domain::FormatOptions) -> Out<'a> {
    let mut o = Out::new("interface");
    o.a("type", &n.kind);
    o.o("trustGuestRxFilters", n.trust_guest_rx_filters.map(yesno));
    if n.kind == "hostdev" {
        o.o("managed", n.managed.map(yesno));
    }
    if let Some(m) = &n.mac {
        let mut x = Out::new("mac");
        x.a("address", m)
            .o("type", n.mac_type.as_ref())
            .o("check", n.mac_check.map(yesno));
        o.push(x);
    }
    if n.kind == "hostdev" {
        if let Some(name) = n.driver.get("name") {
            let mut x = Out::new("driver");
            x.a("name", name);
            o.push(x);
        }
    }
    let mut s = Out::new("source");
    n.source.write_to(&mut s);
    if let Some(l) = &n.source_local {
        let mut x = Out::new("local");
        l.write_to(&mut x);
        s.push(x);
    }
    if let Some(r) = &n.source_reconnect {
        let mut x = Out::new("reconnect");
        r.write_to(&mut x);
        s.push(x);
    }
    if let Some(a) = &n.hostdev_address {
        let mut x = format_address(a);
        if let Address::Pci(p) = a {
            // A host device's own address is always written in full.
            x = Out::new("address");
            x.a("type", "pci")
                .a("domain", format!("0x{:04x}", p.domain))
                .a("bus", format!("0x{:02x}", p.bus))
                .a("slot", format!("0x{:02x}", p.slot))
                .a("function", format!("0x{:x}", p.function));
        }
        s.push(x);
    }
    if !s.is_bare() || n.kind == "hostdev" {
        if n.kind == "hostdev" && s.is_bare() {
            // libvirt always writes a hostdev interface's source block.
            s.keep_open();
        }
        o.push(s);
    }
    if let Some(v) = &n.vlan {
        let mut x = Out::new("vlan");
        if v.trunk {
            x.a("trunk", "yes");
        }
        for (id, native) in &v.tags {
            let mut t = Out::new("tag");
            t.a("id", id).o("nativeMode", native.as_ref());
            x.push(t);
        }
        o.push(x);
    }
    if let Some(v) = &n.virtualport {
        let mut x = Out::new("virtualport");
        x.o("type", v.kind.as_ref());
        if !v.params.is_empty() {
            let mut p = Out::new("parameters");
            v.params.write_to(&mut p);
            x.push(p);
        }
        o.push(x);
    }
    if let Some(b) = &n.bandwidth {
        let mut x = Out::new("bandwidth");
        for (name, r) in [("inbound", &b.inbound), ("outbound", &b.outbound)] {
            if let Some(r) = r {
                if rate_empty(r) {
                    continue;
                }
                let mut y = Out::new(name);
                for k in ["average", "peak", "floor", "burst"] {
                    if let Some(v) = r.get(k) {
                        if v != "0" {
                            y.a(k, v);
                        }
                    }
                }
                x.push(y);
            }
        }
        // libvirt writes the element even when every rate is zero, but not
        // when it had no rates at all.
        if b.inbound.is_some() || b.outbound.is_some() {
            x.keep_open();
            o.push(x);
        }
    }
    if let Some(iso) = n.port_isolated {
        let mut x = Out::new("port");
        x.a("isolated", yesno(iso));
        o.push(x);
    }
    for ip in &n.ips {
        let mut x = Out::new("ip");
        ip.attrs.write_to(&mut x);
        o.push(x);
    }
    for r in &n.routes {
        let mut x = Out::new("route");
        r.attrs.write_to(&mut x);
        o.push(x);
    }
    for pf in &n.port_forwards {
        let mut x = Out::new("portForward");
        pf.attrs.write_to(&mut x);
        for r in &pf.ranges {
            let mut y = Out::new("range");
            r.write_to(&mut y);
            x.push(y);
        }
        o.push(x);
    }
    if let Some(s) = &n.script {
        let mut x = Out::new("script");
        x.a("path", s);
        o.push(x);
    }
    if let Some(s) = &n.downscript {
        let mut x = Out::new("downscript");
        x.a("path", s);
        o.push(x);
    }
    if let Some(b) = &n.backend_domain {
        let mut x = Out::new("backenddomain");
        x.a("name", b);
        o.push(x);
    }
    if let Some(dev) = &n.target_dev {
        let generated = GENERATED_PREFIXES.iter().any(|p| dev.starts_with(p));
        if n.target_managed == Some(false) || !(opts.inactive && generated) {
            let mut x = Out::new("target");
            x.a("dev", dev).o("managed", n.target_managed.map(yesno));
            o.push(x);
        }
    }
    if !n.guest.is_empty() {
        let mut x = Out::new("guest");
        n.guest.write_to(&mut x);
        o.push(x);
    }
    if let Some(m) = &n.model {
        let mut x = Out::new("model");
        x.a("type", m);
        o.push(x);
    }
    if n.kind != "hostdev"
        && (!n.driver.is_empty() || !n.driver_host.is_empty() || !n.driver_guest.is_empty())
    {
        let mut x = Out::new("driver");
        n.driver.write_to(&mut x);
        if !n.driver_host.is_empty() {
            let mut y = Out::new("host");
            n.driver_host.write_to(&mut y);
            x.push(y);
        }
        if !n.driver_guest.is_empty() {
            let mut y = Out::new("guest");
            n.driver_guest.write_to(&mut y);
            x.push(y);
        }
        o.push(x);
    }
    if !n.backend.is_empty() {
        let mut x = Out::new("backend");
        n.backend.write_to(&mut x);
        o.push(x);
    }
    if let Some(f) = &n.filterref {
        let mut x = Out::new("filterref");
        x.a("filter", &f.filter);
        for (k, v) in &f.params {
            let mut p = Out::new("parameter");
            p.a("name", k).a("value", v);
            x.push(p);
        }
        o.push(x);
    }
    if let Some(s) = n.sndbuf {
        let mut x = Out::new("tune");
        x.push(Out::text("sndbuf", s.to_string()));
        o.push(x);
    }
    if !n.teaming.is_empty() {
        let mut x = Out::new("teaming");
        n.teaming.write_to(&mut x);
        o.push(x);
    }
    if let Some(l) = &n.link_state {
        let mut x = Out::new("link");
        x.a("state", l);
        o.push(x);
    }
    if let Some(m) = n.mtu.filter(|m| *m != 0) {
        let mut x = Out::new("mtu");
        x.a("size", m);
        o.push(x);
    }
    if let Some(f) = n.coalesce_rx_frames {
        let mut c = Out::new("coalesce");
        let mut r = Out::new("rx");
        let mut x = Out::new("frames");
        x.a("max", f);
        r.push(x);
        c.push(r);
        o.push(c);
    }
    format_info(&mut o, &n.info);
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn macs_parse_and_generate() {
        assert_eq!(
            Mac::parse("52:54:0:A:bb:01").map(|m| m.to_string()).as_deref(),
            Some("52:54:00:0a:bb:01")
        );
        assert!(Mac::parse("52:54:00:00:00").is_none());
        assert!(Mac::parse("52:54:00:00:00:00:00").is_none());
        assert!(Mac::parse("52:54:00:00:00:100").is_none());
        let a = Mac::generate([0x52, 0x54, 0x00]);
        let b = Mac::generate([0x52, 0x54, 0x00]);
        assert!(a.to_string().starts_with("52:54:00:"));
        assert_ne!(a, b);
    }
}
