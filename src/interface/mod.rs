//! Host interface XML (`<interface>` of libvirt's interface API): ethernet,
//! bridge, bond and vlan definitions, read with libvirt 9.0's checks and
//! messages and written back exactly as its formatter writes them.
//!
//! libvirt's formatter escapes only the interface name; addresses, tags,
//! delays and targets are written as they were read, and so are they here.

use crate::abi::*;
use crate::domain::util::{parse_i, parse_uip, prop_enum, prop_i32, prop_u32, prop_yes_no};
use crate::error::{Error, Result};
use crate::xml::dom::{self, Element};
use crate::xml::escape;

/// `type` values, in libvirt's order.
const TYPES: &[&str] = &["ethernet", "bridge", "bond", "vlan"];
/// `<start mode>` values.
const START_MODES: &[&str] = &["none", "onboot", "hotplug"];
/// `<bond mode>` values.
const BOND_MODES: &[&str] = &[
    "balance-rr",
    "active-backup",
    "balance-xor",
    "broadcast",
    "802.3ad",
    "balance-tlb",
    "balance-alb",
];
/// `<miimon carrier>` values.
const CARRIERS: &[&str] = &["ioctl", "netif"];
/// `<arpmon validate>` values.
const VALIDATES: &[&str] = &["active", "backup", "all"];
/// `<link state>` values (libvirt's interface states; the empty one means unset).
const LINK_STATES: &[&str] = &[
    "",
    "unknown",
    "notpresent",
    "down",
    "lowerlayerdown",
    "testing",
    "dormant",
    "up",
];
/// The largest `<mtu size>` libvirt accepts.
const MTU_MAX: u32 = 100_000;

/// An interface definition (a top-level one, or a bridge's or bond's member).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InterfaceDef {
    /// Name (may be empty, as libvirt allows).
    pub name: String,
    /// `<start mode>` (top level only).
    pub start_mode: Option<&'static str>,
    /// `<mtu size>`, 0 when unset (top level only).
    pub mtu: u32,
    /// `<protocol>` elements (top level only).
    pub protocols: Vec<Protocol>,
    /// `<link>` (not for bridges).
    pub link: Link,
    /// What kind of interface, with its own settings.
    pub kind: Kind,
}

/// The settings of each interface type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A plain NIC and its MAC address.
    Ethernet {
        /// `<mac address>`.
        mac: Option<String>,
    },
    /// A bridge over member interfaces.
    Bridge(Bridge),
    /// A bond of ethernet members.
    Bond(Bond),
    /// A VLAN on a device.
    Vlan {
        /// `tag` as written.
        tag: String,
        /// The underlying device's name.
        device: String,
    },
}

/// `<bridge>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bridge {
    /// `stp='on|off'`.
    pub stp: Option<bool>,
    /// `delay` as written.
    pub delay: Option<String>,
    /// Member interfaces (ethernet, vlan, bond).
    pub members: Vec<InterfaceDef>,
}

/// `<bond>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bond {
    /// Bonding mode.
    pub mode: Option<&'static str>,
    /// Link monitoring.
    pub monitor: Option<Monitor>,
    /// Member interfaces (ethernet only).
    pub members: Vec<InterfaceDef>,
}

/// How a bond watches its links.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Monitor {
    /// `<miimon>`.
    Mii {
        /// Polling frequency.
        freq: i32,
        /// Down delay (written when positive).
        downdelay: i32,
        /// Up delay (written when positive).
        updelay: i32,
        /// `carrier`.
        carrier: Option<&'static str>,
    },
    /// `<arpmon>`.
    Arp {
        /// Probe interval.
        interval: i32,
        /// Probe target as written.
        target: String,
        /// `validate`.
        validate: Option<&'static str>,
    },
}

/// `<protocol family=...>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    /// "ipv4" or "ipv6".
    pub family: &'static str,
    /// `<autoconf/>` (IPv6 only).
    pub autoconf: bool,
    /// `<dhcp>` and its `peerdns`.
    pub dhcp: Option<Option<bool>>,
    /// `<ip>` elements: address as written and prefix (0 when unset).
    pub ips: Vec<(String, i32)>,
    /// The first `<route gateway>`.
    pub gateway: Option<String>,
}

/// `<link>`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Link {
    /// Speed, 0 when unset.
    pub speed: u32,
    /// State, None when unset.
    pub state: Option<&'static str>,
}

/// Where an interface element sits: its parent's type, or the top level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Parent {
    Top,
    Bridge,
    Bond,
}

/// `VIR_ERR_XML_ERROR` raised by the interface parser.
fn xml_error(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_INTERFACE, VIR_ERR_XML_ERROR, detail)
}

/// XPath's `string(./child/@attr)`: the attribute of the first `child` that
/// has it; None when there is none or it is empty.
fn xpath_attr<'a>(el: &'a Element, child: &str, attr: &str) -> Option<&'a str> {
    el.elements()
        .filter(|c| c.name == child)
        .find_map(|c| c.attr(attr))
        .filter(|v| !v.is_empty())
}

/// An optional enumerated value read as libvirt's interface parser does:
/// empty or absent is unset, anything unknown is `what` followed by the value.
fn lookup(value: Option<&str>, values: &[&'static str], what: &str) -> Result<Option<&'static str>> {
    match value {
        None => Ok(None),
        Some(v) => values
            .iter()
            .find(|x| **x == v)
            .copied()
            .map(Some)
            .ok_or_else(|| xml_error(format!("{what} {v}"))),
    }
}

/// libvirt's `virXPathInt`: Ok(None) when absent or empty, Err(()) when not an int.
fn xpath_int(value: Option<&str>) -> std::result::Result<Option<i32>, ()> {
    match value {
        None => Ok(None),
        Some(v) => parse_i(v).map(Some).ok_or(()),
    }
}

impl InterfaceDef {
    /// Parses an interface document with libvirt's checks and messages.
    pub fn parse(xml: &str) -> Result<InterfaceDef> {
        let root = dom::parse(xml).map_err(|e| {
            Error::with(
                VIR_FROM_INTERFACE,
                VIR_ERR_XML_DETAIL,
                e.detail("(interface_definition)"),
            )
        })?;
        Self::from_element(&root)
    }

    /// Reads a parsed `<interface>` root element (a node file's, say).
    pub fn from_element(root: &Element) -> Result<InterfaceDef> {
        if dom::local(&root.name) != "interface" {
            return Err(crate::domain::util::prop_error(format!(
                "expecting root element of 'interface', not '{}'",
                root.name
            )));
        }
        Self::read(root, Parent::Top)
    }

    fn read(el: &Element, parent: Parent) -> Result<InterfaceDef> {
        let kind = prop_enum(el, "type", TYPES, true)?.map_or(0, |i| i);
        let allowed = match parent {
            Parent::Top => true,
            Parent::Bridge => kind != 1,
            Parent::Bond => kind == 0,
        };
        if !allowed {
            return Err(xml_error(format!(
                "interface has unsupported type '{}'",
                TYPES[kind]
            )));
        }
        let name = el
            .attr("name")
            .ok_or_else(|| xml_error("interface has no name"))?
            .to_string();
        let mut def = InterfaceDef {
            name,
            start_mode: None,
            mtu: 0,
            protocols: Vec::new(),
            link: Link::default(),
            kind: Kind::Ethernet { mac: None },
        };
        if parent == Parent::Top {
            def.start_mode = lookup(
                xpath_attr(el, "start", "mode"),
                START_MODES,
                "unknown interface startmode",
            )?;
            def.mtu = read_mtu(el)?;
            for p in el.children_named("protocol") {
                def.protocols.push(Protocol::read(p)?);
            }
        }
        if kind != 1 {
            if let Some(l) = el.child("link") {
                def.link = Link::read(l)?;
            }
        }
        def.kind = match kind {
            0 => Kind::Ethernet {
                mac: xpath_attr(el, "mac", "address").map(str::to_string),
            },
            1 => {
                let b = el
                    .child("bridge")
                    .ok_or_else(|| xml_error("bridge interface misses the bridge element"))?;
                let stp = match b.attr("stp") {
                    None => None,
                    Some("on") => Some(true),
                    Some("off") => Some(false),
                    // libvirt 9.0 reports this stp as an error, yet succeeds
                    // with the rest of <bridge> (delay, members) unread.
                    Some(_) => {
                        return Ok(Self {
                            kind: Kind::Bridge(Bridge::default()),
                            ..def
                        })
                    }
                };
                Kind::Bridge(Bridge {
                    stp,
                    delay: b.attr("delay").map(str::to_string),
                    members: members(b, Parent::Bridge)?,
                })
            }
            2 => {
                let b = el
                    .child("bond")
                    .ok_or_else(|| xml_error("bond interface misses the bond element"))?;
                Kind::Bond(Bond::read(b)?)
            }
            _ => {
                let v = el
                    .child("vlan")
                    .ok_or_else(|| xml_error("vlan interface misses the vlan element"))?;
                let tag = v
                    .attr("tag")
                    .filter(|t| !t.is_empty())
                    .ok_or_else(|| xml_error("vlan interface misses the tag attribute"))?;
                let device = xpath_attr(v, "interface", "name")
                    .ok_or_else(|| xml_error("vlan interface misses name attribute"))?;
                Kind::Vlan {
                    tag: tag.to_string(),
                    device: device.to_string(),
                }
            }
        };
        Ok(def)
    }

    /// The `type` attribute.
    pub fn type_name(&self) -> &'static str {
        match self.kind {
            Kind::Ethernet { .. } => "ethernet",
            Kind::Bridge(_) => "bridge",
            Kind::Bond(_) => "bond",
            Kind::Vlan { .. } => "vlan",
        }
    }

    /// The MAC address libvirt's handles carry ("" for all but ethernet ones with one).
    pub fn mac(&self) -> &str {
        match &self.kind {
            Kind::Ethernet { mac: Some(m) } => m,
            _ => "",
        }
    }

    /// The document as libvirt's formatter writes it.
    pub fn to_xml(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out
    }

    fn write(&self, out: &mut String, depth: usize) {
        let line = |out: &mut String, depth: usize, text: &str| {
            out.push_str(&"  ".repeat(depth));
            out.push_str(text);
            out.push('\n');
        };
        line(
            out,
            depth,
            &format!(
                "<interface type='{}' name='{}'>",
                self.type_name(),
                escape(&self.name)
            ),
        );
        let d = depth + 1;
        if let Some(m) = self.start_mode {
            line(out, d, &format!("<start mode='{m}'/>"));
        }
        if self.mtu > 0 {
            line(out, d, &format!("<mtu size='{}'/>", self.mtu));
        }
        for p in &self.protocols {
            line(out, d, &format!("<protocol family='{}'>", p.family));
            if p.autoconf {
                line(out, d + 1, "<autoconf/>");
            }
            match p.dhcp {
                Some(None) => line(out, d + 1, "<dhcp/>"),
                Some(Some(yes)) => line(
                    out,
                    d + 1,
                    &format!("<dhcp peerdns='{}'/>", if yes { "yes" } else { "no" }),
                ),
                None => {}
            }
            for (address, prefix) in &p.ips {
                let prefix = if *prefix != 0 {
                    format!(" prefix='{prefix}'")
                } else {
                    String::new()
                };
                line(out, d + 1, &format!("<ip address='{address}'{prefix}/>"));
            }
            if let Some(g) = &p.gateway {
                line(out, d + 1, &format!("<route gateway='{g}'/>"));
            }
            line(out, d, "</protocol>");
        }
        if self.link.speed > 0 || self.link.state.is_some() {
            let mut l = String::from("<link");
            if self.link.speed > 0 {
                l.push_str(&format!(" speed='{}'", self.link.speed));
            }
            if let Some(s) = self.link.state {
                l.push_str(&format!(" state='{s}'"));
            }
            l.push_str("/>");
            line(out, d, &l);
        }
        match &self.kind {
            Kind::Ethernet { mac } => {
                if let Some(m) = mac {
                    line(out, d, &format!("<mac address='{m}'/>"));
                }
            }
            Kind::Bridge(b) => {
                let mut open = String::from("<bridge");
                if let Some(stp) = b.stp {
                    open.push_str(if stp { " stp='on'" } else { " stp='off'" });
                }
                if let Some(delay) = &b.delay {
                    open.push_str(&format!(" delay='{delay}'"));
                }
                open.push('>');
                line(out, d, &open);
                for m in &b.members {
                    m.write(out, d + 1);
                }
                line(out, d, "</bridge>");
            }
            Kind::Bond(b) => {
                match b.mode {
                    Some(m) => line(out, d, &format!("<bond mode='{m}'>")),
                    None => line(out, d, "<bond>"),
                }
                match &b.monitor {
                    Some(Monitor::Mii {
                        freq,
                        downdelay,
                        updelay,
                        carrier,
                    }) => {
                        let mut l = format!("<miimon freq='{freq}'");
                        if *downdelay > 0 {
                            l.push_str(&format!(" downdelay='{downdelay}'"));
                        }
                        if *updelay > 0 {
                            l.push_str(&format!(" updelay='{updelay}'"));
                        }
                        if let Some(c) = carrier {
                            l.push_str(&format!(" carrier='{c}'"));
                        }
                        l.push_str("/>");
                        line(out, d + 1, &l);
                    }
                    Some(Monitor::Arp {
                        interval,
                        target,
                        validate,
                    }) => {
                        let mut l = format!("<arpmon interval='{interval}' target='{target}'");
                        if let Some(v) = validate {
                            l.push_str(&format!(" validate='{v}'"));
                        }
                        l.push_str("/>");
                        line(out, d + 1, &l);
                    }
                    None => {}
                }
                for m in &b.members {
                    m.write(out, d + 1);
                }
                line(out, d, "</bond>");
            }
            Kind::Vlan { tag, device } => {
                line(out, d, &format!("<vlan tag='{tag}'>"));
                line(out, d + 1, &format!("<interface name='{device}'/>"));
                line(out, d, "</vlan>");
            }
        }
        line(out, depth, "</interface>");
    }
}

/// `<mtu size>`: absent or empty is 0; a value that is no unsigned int fails
/// without a message, as libvirt's does.
fn read_mtu(el: &Element) -> Result<u32> {
    let Some(text) = xpath_attr(el, "mtu", "size") else {
        return Ok(0);
    };
    let mtu = parse_uip(text).ok_or_else(Error::unknown_cause)?;
    if mtu > MTU_MAX {
        return Err(xml_error(format!(
            "value of the 'size' attribute of 'mtu' element must be at most {MTU_MAX}"
        )));
    }
    Ok(mtu)
}

/// The `<interface>` children of a bridge or bond.
fn members(el: &Element, parent: Parent) -> Result<Vec<InterfaceDef>> {
    el.children_named("interface")
        .map(|m| InterfaceDef::read(m, parent))
        .collect()
}

impl Bond {
    fn read(b: &Element) -> Result<Bond> {
        let mode = lookup(
            b.attr("mode").filter(|m| !m.is_empty()),
            BOND_MODES,
            "unknown bonding mode",
        )?;
        let members = members(b, Parent::Bond)?;
        let monitor = if b.child("miimon").is_some() {
            let int = |attr: &str, what: &str| {
                xpath_int(xpath_attr(b, "miimon", attr))
                    .map_err(|_| xml_error(format!("bond interface miimon {attr} {what}")))
            };
            let freq = int("freq", "missing or invalid")?
                .ok_or_else(|| xml_error("bond interface miimon freq missing or invalid"))?;
            let downdelay = int("downdelay", "invalid")?.unwrap_or(0);
            let updelay = int("updelay", "invalid")?.unwrap_or(0);
            let carrier = lookup(
                xpath_attr(b, "miimon", "carrier"),
                CARRIERS,
                "unknown mii bonding carrier",
            )?;
            Some(Monitor::Mii {
                freq,
                downdelay,
                updelay,
                carrier,
            })
        } else if b.child("arpmon").is_some() {
            let missing = || xml_error("bond interface arpmon interval missing or invalid");
            let interval = xpath_int(xpath_attr(b, "arpmon", "interval"))
                .map_err(|_| missing())?
                .ok_or_else(missing)?;
            let target = xpath_attr(b, "arpmon", "target")
                .ok_or_else(|| xml_error("bond interface arpmon target missing"))?
                .to_string();
            let validate = lookup(
                xpath_attr(b, "arpmon", "validate"),
                VALIDATES,
                "unknown arp bonding validate",
            )?;
            Some(Monitor::Arp {
                interval,
                target,
                validate,
            })
        } else {
            None
        };
        Ok(Bond {
            mode,
            monitor,
            members,
        })
    }
}

impl Protocol {
    fn read(p: &Element) -> Result<Protocol> {
        let family = match p.attr("family") {
            None => return Err(xml_error("protocol misses the family attribute")),
            Some("ipv4") => "ipv4",
            Some("ipv6") => "ipv6",
            Some(f) => return Err(xml_error(format!("unsupported protocol family '{f}'"))),
        };
        let dhcp = match p.child("dhcp") {
            Some(d) => Some(prop_yes_no(d, "peerdns", false)?),
            None => None,
        };
        let mut ips = Vec::new();
        for ip in p.children_named("ip") {
            if let Some(address) = ip.attr("address") {
                ips.push((address.to_string(), prop_i32(ip, "prefix", false)?.unwrap_or(0)));
            }
        }
        Ok(Protocol {
            family,
            autoconf: family == "ipv6" && p.child("autoconf").is_some(),
            dhcp,
            ips,
            gateway: p
                .child("route")
                .and_then(|r| r.attr("gateway"))
                .filter(|g| !g.is_empty())
                .map(str::to_string),
        })
    }
}

impl Link {
    fn read(l: &Element) -> Result<Link> {
        let state = prop_enum(l, "state", LINK_STATES, false)?.filter(|i| *i != 0);
        Ok(Link {
            state: state.map(|i| LINK_STATES[i]),
            speed: prop_u32(l, "speed", false, false)?.unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests;
