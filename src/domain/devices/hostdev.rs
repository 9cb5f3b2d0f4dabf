//! `<hostdev>`: host PCI, USB, SCSI, SCSI-host and mediated devices
//! (subsystem mode) and storage, misc and net capabilities.

use super::address::*;
use super::util::*;
use crate::error::Result;
use crate::xml::dom::Element;

/// A `<hostdev>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hostdev {
    /// `mode`: subsystem or capabilities.
    pub mode: String,
    /// `type`.
    pub kind: String,
    /// `managed` (subsystem mode; libvirt writes `no` when absent).
    pub managed: bool,
    /// Further attributes in libvirt's order (`sgio`, `rawio`, `model`, `display`, `ramfb`).
    pub attrs: Attrs,
    /// `<driver name=...>`.
    pub driver: Option<String>,
    /// `<source>` attributes.
    pub source_attrs: Attrs,
    /// PCI `<source><address>`.
    pub pci: Option<PciAddress>,
    /// USB `<vendor id>`.
    pub vendor: Option<String>,
    /// USB `<product id>`.
    pub product: Option<String>,
    /// USB `<address bus device>`.
    pub usb_addr: Option<(u32, u32)>,
    /// SCSI `<adapter name>`.
    pub adapter: Option<String>,
    /// SCSI `<address bus target unit>`.
    pub scsi_addr: Option<(u32, u32, u64)>,
    /// iSCSI host(s): (name, port).
    pub hosts: Vec<(String, Option<String>)>,
    /// iSCSI `<auth>`.
    pub auth: Option<super::disk::Auth>,
    /// iSCSI `<initiator><iqn name>`.
    pub initiator: Option<String>,
    /// mdev `<address uuid>`.
    pub mdev_uuid: Option<String>,
    /// Capability source text: (element, value) such as ("block", "/dev/sdf1").
    pub caps_source: Option<(String, String)>,
    /// `<ip>`/`<route>` of net capabilities, written as given.
    pub net_ips: Vec<(String, Attrs)>,
    /// `<readonly/>`.
    pub readonly: bool,
    /// `<shareable/>`.
    pub shareable: bool,
    /// Guest address, boot order, ROM.
    pub info: DeviceInfo,
}

fn hex_id(el: &Element) -> Result<String> {
    let n = prop_uint(el, "id", 0)?.ok_or_else(|| missing_attr(el, "id"))?;
    Ok(format!("0x{n:04x}"))
}

/// Reads a `<hostdev>`.
pub fn parse(el: &Element) -> Result<Hostdev> {
    let mode = match el.attr("mode") {
        None => "subsystem".to_string(),
        Some(m) if m == "subsystem" || m == "capabilities" => m.to_string(),
        Some(m) => return Err(unsupported(format!("unknown hostdev mode '{m}'"))),
    };
    let mut h = Hostdev {
        mode: mode.clone(),
        ..Default::default()
    };
    let kind = el.attr("type").unwrap_or("").to_string();
    let src = el.child("source");
    let types: &[&str] = if mode == "subsystem" {
        &["usb", "pci", "scsi", "scsi_host", "mdev"]
    } else {
        &["storage", "misc", "net"]
    };
    if !types.contains(&kind.as_str()) {
        return Err(unsupported(format!(
            "unknown host device source address type '{kind}'"
        )));
    }
    if src.is_none() {
        return Err(dom_xml_err("Missing <source> element in hostdev device"));
    }
    if mode == "subsystem" {
        if !["usb", "pci", "scsi", "scsi_host", "mdev"].contains(&kind.as_str()) {
            return Err(unsupported(format!(
                "unknown host device source address type '{kind}'"
            )));
        }
        // Only "yes" counts; anything else means unmanaged.
        h.managed = el.attr("managed") == Some("yes");
        let mut a = Attrs::default();
        if kind == "scsi" {
            if let Some(v) = prop_enum(el, "sgio", &["default", "filtered", "unfiltered"], true)? {
                a.set("sgio", v);
            }
            if let Some(v) = prop_yesno(el, "rawio")? {
                a.set("rawio", yesno(v));
            }
        }
        if kind == "mdev" {
            if let Some(v) = prop_enum(el, "model", &["", "vfio-pci", "vfio-ccw", "vfio-ap"], true)? {
                a.set("model", v);
            }
            if let Some(v) = prop_onoff(el, "display")? {
                a.set("display", onoff(v));
            }
            if let Some(v) = prop_onoff(el, "ramfb")? {
                a.set("ramfb", onoff(v));
            }
        }
        h.attrs = a;
        if let Some(d) = el.child("driver") {
            h.driver = prop_enum(d, "name", &["default", "kvm", "vfio", "xen"], false)?;
        }
        if let Some(s) = src {
            match kind.as_str() {
                "pci" => {
                    h.source_attrs = Attrs::read(s, &[("writeFiltering", Kind::YesNo)])?;
                    if let Some(a) = s.child("address") {
                        let mut a2 = a.clone();
                        a2.attrs.retain(|(k, _)| k != "type");
                        a2.attrs.insert(0, ("type".into(), "pci".into()));
                        if let Address::Pci(p) = parse_address(&a2)? {
                            h.pci = Some(p);
                        }
                    }
                }
                "usb" => {
                    h.source_attrs = Attrs::read(
                        s,
                        &[
                            (
                                "startupPolicy",
                                Kind::EnumNz(&["default", "mandatory", "requisite", "optional"]),
                            ),
                            (
                                "guestReset",
                                Kind::EnumNz(&["default", "off", "uninitialized", "on"]),
                            ),
                        ],
                    )?;
                    if let Some(v) = s.child("vendor") {
                        prop_uint_nonzero(v, "id", 0)?;
                        h.vendor = Some(hex_id(v)?);
                    }
                    if let Some(p) = s.child("product") {
                        h.product = Some(hex_id(p)?);
                    }
                    match (&h.vendor, &h.product) {
                        (Some(_), None) => return Err(internal("missing product")),
                        (None, Some(_)) => return Err(internal("missing vendor")),
                        _ => {}
                    }
                    if let Some(a) = s.child("address") {
                        let bus = prop_uint(a, "bus", 0)?.unwrap_or(0);
                        let dev = prop_uint(a, "device", 0)?.unwrap_or(0);
                        h.usb_addr = Some((bus, dev));
                    }
                }
                "scsi" => {
                    let protocol = match s.attr("protocol") {
                        None => None,
                        Some(p) if p == "adapter" || p == "iscsi" => Some(p.to_string()),
                        Some(p) => return Err(unsupported(format!("Unknown SCSI subsystem protocol '{p}'"))),
                    };
                    if protocol.as_deref() == Some("iscsi") {
                        h.source_attrs.set("protocol", "iscsi");
                        let mut name = attr(s, "name").unwrap_or_default();
                        // Like disks, an iSCSI target without LUN means LUN 0.
                        if !name.contains('/') {
                            name.push_str("/0");
                        }
                        h.source_attrs.set("name", name);
                        match s.children_named("host").count() {
                            0 => return Err(dom_xml_err("missing the host address for the iSCSI hostdev")),
                            1 => {}
                            _ => {
                                return Err(dom_xml_err(
                                    "only one source host address may be specified for the iSCSI hostdev",
                                ))
                            }
                        }
                        for x in s.children_named("host") {
                            let port = match x.attr("port") {
                                None => 3260,
                                Some(p) => to_uint(p, 10).ok_or_else(|| {
                                    crate::error::Error::with(
                                        crate::abi::VIR_FROM_NONE,
                                        crate::abi::VIR_ERR_INVALID_ARG,
                                        format!("failed to parse port number '{p}'"),
                                    )
                                })?,
                            };
                            h.hosts
                                .push((attr(x, "name").unwrap_or_default(), Some(port.to_string())));
                        }
                        if let Some(au) = s.child("auth") {
                            let a = super::disk::parse_auth(au, false)?;
                            let t = a.secret.kind.as_deref().unwrap_or("");
                            if t != "iscsi" {
                                return Err(unsupported(format!("invalid secret type {t}")));
                            }
                            h.auth = Some(a);
                        }
                        h.initiator = s
                            .child("initiator")
                            .and_then(|i| i.child("iqn"))
                            .and_then(|q| attr_nonempty(q, "name"));
                    } else {
                        h.adapter = s
                            .child("adapter")
                            .and_then(|a| xattr(a, "name"))
                            .map(str::to_string);
                        if h.adapter.is_some() && s.child("address").is_none() {
                            return Err(dom_xml_err("'address' must be specified for scsi hostdev source"));
                        }
                        if h.adapter.is_none() {
                            return Err(dom_xml_err(
                                "'adapter' name must be specified for scsi hostdev source",
                            ));
                        }
                        if let Some(a) = s.child("address") {
                            h.scsi_addr = Some((
                                prop_uint(a, "bus", 0)?.unwrap_or(0),
                                prop_uint(a, "target", 0)?.unwrap_or(0),
                                prop_ull(a, "unit", 0)?.unwrap_or(0),
                            ));
                        }
                    }
                }
                "scsi_host" => {
                    match s.attr("protocol") {
                        Some("vhost") => {}
                        p => {
                            return Err(unsupported(format!(
                                "Unknown scsi_host subsystem protocol '{}'",
                                p.unwrap_or("")
                            )))
                        }
                    }
                    let wwpn = s.attr("wwpn").unwrap_or("");
                    let hex = wwpn.strip_prefix("naa.").unwrap_or("");
                    if hex.len() != 16 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return Err(dom_xml_err("malformed 'wwpn' value"));
                    }
                    h.source_attrs = Attrs::read(s, &[("protocol", Kind::Str), ("wwpn", Kind::Str)])?;
                }
                "mdev" => {
                    if s.child("address").is_none() {
                        return Err(unsupported("Missing <address> element"));
                    }
                    if let Some(a) = s.child("address") {
                        let u = a.attr("uuid").unwrap_or("");
                        let uuid = crate::domain::Uuid::parse(u)
                            .ok_or_else(|| internal("Cannot parse uuid attribute of element <address>"))?;
                        h.mdev_uuid = Some(uuid.to_string());
                    }
                }
                _ => {}
            }
        }
        h.readonly = el.child("readonly").is_some();
        h.shareable = el.child("shareable").is_some();
    } else {
        if !["storage", "misc", "net"].contains(&kind.as_str()) {
            return Err(unsupported(format!(
                "unknown host device source address type '{kind}'"
            )));
        }
        let tag = match kind.as_str() {
            "storage" => "block",
            "misc" => "char",
            _ => "interface",
        };
        match src.and_then(|s| s.child_text(tag)) {
            Some(t) => h.caps_source = Some((tag.to_string(), t)),
            None => {
                let what = match kind.as_str() {
                    "storage" => "<block> element in hostdev storage device",
                    "misc" => "<char> element in hostdev character device",
                    _ => "<interface> element in hostdev net device",
                };
                return Err(dom_xml_err(format!("Missing {what}")));
            }
        }
        if kind == "net" {
            for c in el.children_named("ip") {
                h.net_ips
                    .push(("ip".into(), super::interface::parse_ip(c)?.attrs));
            }
            for c in el.children_named("route") {
                h.net_ips.push((
                    "route".into(),
                    super::interface::parse_route(c, "Domain hostdev device")?.attrs,
                ));
            }
        }
    }
    h.kind = kind;
    h.info = parse_info(el, INFO_HOSTDEV)?;
    Ok(h)
}

/// Writes a `<hostdev>`.
pub fn format(h: &Hostdev) -> Out<'_> {
    let mut o = Out::new("hostdev");
    o.a("mode", &h.mode).a("type", &h.kind);
    if h.mode == "subsystem" {
        o.a("managed", yesno(h.managed));
    }
    h.attrs.write_to(&mut o);
    if let Some(d) = &h.driver {
        let mut x = Out::new("driver");
        x.a("name", d);
        o.push(x);
    }
    let mut s = Out::new("source");
    s.keep_open();
    h.source_attrs.write_to(&mut s);
    // A PCI host device always names its host address, zero when not given.
    let zero = PciAddress::default();
    let pci = if h.kind == "pci" && h.mode == "subsystem" {
        Some(h.pci.as_ref().unwrap_or(&zero))
    } else {
        None
    };
    if let Some(p) = pci {
        let mut a = Out::new("address");
        a.a("domain", format!("0x{:04x}", p.domain))
            .a("bus", format!("0x{:02x}", p.bus))
            .a("slot", format!("0x{:02x}", p.slot))
            .a("function", format!("0x{:x}", p.function));
        s.push(a);
    }
    if let Some(v) = &h.vendor {
        let mut x = Out::new("vendor");
        x.a("id", v);
        s.push(x);
    }
    if let Some(v) = &h.product {
        let mut x = Out::new("product");
        x.a("id", v);
        s.push(x);
    }
    if let Some((b, d)) = h.usb_addr {
        let mut x = Out::new("address");
        x.a("bus", b).a("device", d);
        s.push(x);
    }
    for (name, port) in &h.hosts {
        let mut x = Out::new("host");
        x.a("name", name).o("port", port.as_ref().filter(|p| *p != "0"));
        s.push(x);
    }
    if let Some(a) = &h.auth {
        s.push(super::disk::auth_out(a));
    }
    if let Some(q) = &h.initiator {
        let mut i = Out::new("initiator");
        let mut x = Out::new("iqn");
        x.a("name", q);
        i.push(x);
        s.push(i);
    }
    if let Some(a) = &h.adapter {
        let mut x = Out::new("adapter");
        x.a("name", a);
        s.push(x);
    }
    if let Some((b, t, u)) = h.scsi_addr {
        let mut x = Out::new("address");
        x.a("bus", b).a("target", t).a("unit", u);
        s.push(x);
    }
    if let Some(u) = &h.mdev_uuid {
        let mut x = Out::new("address");
        x.a("uuid", u);
        s.push(x);
    }
    if let Some((tag, v)) = &h.caps_source {
        s.push(Out::text(tag, v.clone()));
    }
    if (h.kind == "scsi_host" || h.kind == "usb") && !s.has_content() {
        let mut s2 = Out::new("source");
        h.source_attrs.write_to(&mut s2);
        if s2.is_bare() {
            // An empty USB source is left out, the host device written open.
            o.keep_open();
        } else {
            o.push(s2);
        }
    } else {
        o.push(s);
    }
    for (name, a) in &h.net_ips {
        let mut x = Out::new(name);
        a.write_to(&mut x);
        o.push(x);
    }
    if h.readonly {
        o.push(Out::new("readonly"));
    }
    if h.shareable {
        o.push(Out::new("shareable"));
    }
    format_info(&mut o, &h.info);
    o
}
