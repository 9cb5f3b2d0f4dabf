//! Character devices: `<serial>`, `<parallel>`, `<console>`, `<channel>`,
//! and the host-side source they share with other devices (redirected
//! USB, smartcard passthrough, RNG egd backend).

use super::address::*;
use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

/// Host-side character device types, in libvirt's enumeration order.
pub const SOURCE_TYPES: &[&str] = &[
    "null",
    "vc",
    "pty",
    "dev",
    "file",
    "pipe",
    "stdio",
    "udp",
    "tcp",
    "unix",
    "spicevmc",
    "spiceport",
    "nmdm",
    "qemu-vdagent",
    "dbus",
];

const SERIAL_TARGETS: &[&str] = &[
    "none",
    "isa-serial",
    "usb-serial",
    "pci-serial",
    "spapr-vio-serial",
    "system-serial",
    "sclp-serial",
    "isa-debug",
];
const SERIAL_MODELS: &[&str] = &[
    "none",
    "isa-serial",
    "usb-serial",
    "pci-serial",
    "spapr-vty",
    "pl011",
    "sclpconsole",
    "sclplmconsole",
    "16550a",
    "isa-debugcon",
];
const CONSOLE_TARGETS: &[&str] = &[
    "none", "serial", "xen", "uml", "virtio", "lxc", "openvz", "sclp", "sclplm",
];
const CHANNEL_TARGETS: &[&str] = &["none", "guestfwd", "virtio", "xen"];

/// Which kind of character device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChrKind {
    /// `<serial>`.
    #[default]
    Serial,
    /// `<parallel>`.
    Parallel,
    /// `<console>`.
    Console,
    /// `<channel>`.
    Channel,
}

impl ChrKind {
    /// The element name.
    pub fn tag(self) -> &'static str {
        match self {
            ChrKind::Serial => "serial",
            ChrKind::Parallel => "parallel",
            ChrKind::Console => "console",
            ChrKind::Channel => "channel",
        }
    }
}

/// The host side of a character device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChrSource {
    /// `type` (pty, file, tcp, unix, ...).
    pub kind: String,
    /// Path of pty/dev/file/pipe/unix.
    pub path: Option<String>,
    /// `append` on/off (file).
    pub append: Option<bool>,
    /// `mode` bind/connect (tcp, unix).
    pub mode: Option<String>,
    /// tcp host / udp connect host.
    pub host: Option<String>,
    /// tcp service / udp connect service.
    pub service: Option<String>,
    /// udp bind host.
    pub bind_host: Option<String>,
    /// udp bind service.
    pub bind_service: Option<String>,
    /// `tls` yes/no (tcp).
    pub tls: Option<bool>,
    /// `<reconnect>` attributes.
    pub reconnect: Option<Attrs>,
    /// `<protocol type=...>` (tcp).
    pub protocol: Option<String>,
    /// `channel` (spiceport, dbus).
    pub channel: Option<String>,
    /// nmdm master.
    pub master: Option<String>,
    /// nmdm slave.
    pub slave: Option<String>,
    /// qemu-vdagent `<clipboard copypaste=...>`.
    pub clipboard: Option<bool>,
    /// qemu-vdagent `<mouse mode=...>`.
    pub mouse: Option<String>,
    /// `<seclabel>`s: (model, relabel, label).
    pub seclabels: Vec<(Option<String>, Option<bool>, Option<String>)>,
    /// `<log file=...>`.
    pub log_file: Option<String>,
    /// `<log append=...>`.
    pub log_append: Option<bool>,
    /// Whether a `<source>` element was given.
    pub has_source: bool,
}

/// A serial port, parallel port, console or channel.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Chardev {
    /// Which element.
    pub dev: ChrKind,
    /// Host side.
    pub source: ChrSource,
    /// `<target type=...>`.
    pub target_type: Option<String>,
    /// `<target port=...>` (serial, parallel, console; guestfwd port as text).
    pub target_port: Option<i32>,
    /// `<target name=...>` (virtio and xen channels).
    pub target_name: Option<String>,
    /// guestfwd `address`.
    pub target_address: Option<String>,
    /// guestfwd `port`.
    pub target_fwd_port: Option<String>,
    /// `<target><model name=...>` of serial ports.
    pub target_model: Option<String>,
    /// Address, alias.
    pub info: DeviceInfo,
}

fn chr_internal(msg: &str) -> Error {
    Error::internal(VIR_FROM_DOMAIN, msg)
}

/// Reads the `<source>`s, `<protocol>` and `<log>` of a character device of type `kind`.
pub fn parse_source(el: &Element, kind: &str, inactive: bool) -> Result<ChrSource> {
    let mut s = ChrSource {
        kind: kind.to_string(),
        ..Default::default()
    };
    let nsources = el.children_named("source").count();
    s.has_source = nsources > 0;
    if kind == "udp" && nsources > 2 {
        return Err(dom_xml_err(
            "only two source elements are allowed for character device",
        ));
    }
    if kind != "udp" && nsources > 1 {
        return Err(dom_xml_err(
            "only one source element is allowed for character device",
        ));
    }
    if el.children_named("log").count() > 1 {
        return Err(dom_xml_err(
            "only one log element is allowed for character device",
        ));
    }
    if el.children_named("protocol").count() > 1 {
        return Err(dom_xml_err(
            "only one protocol element is allowed for character device",
        ));
    }
    for src in el.children_named("source") {
        match kind {
            "pty" | "dev" | "file" | "pipe" | "unix" => {
                if s.path.is_none() && !(kind == "pty" && inactive) {
                    s.path = attr(src, "path");
                }
                if kind == "file" && s.append.is_none() {
                    s.append = prop_onoff(src, "append")?;
                }
                if kind == "unix" {
                    if s.mode.is_none() {
                        s.mode = prop_enum(src, "mode", &["", "connect", "bind"], true)?;
                    }
                    if let Some(r) = src.child("reconnect") {
                        s.reconnect = Some(read_reconnect(r)?);
                    }
                }
                for sl in src.children_named("seclabel") {
                    let model = attr(sl, "model");
                    if s.seclabels.iter().any(|(m, _, _)| *m == model) {
                        return Err(Error::with(
                            VIR_FROM_DOMAIN,
                            VIR_ERR_XML_DETAIL,
                            format!(
                                "seclabel for model {} is already provided",
                                model.as_deref().unwrap_or("")
                            ),
                        ));
                    }
                    s.seclabels.push((
                        attr(sl, "model"),
                        prop_yesno(sl, "relabel")?,
                        sl.child_text("label"),
                    ));
                }
            }
            "tcp" => {
                if s.mode.is_none() {
                    s.mode = prop_enum(src, "mode", &["", "connect", "bind"], true)?;
                }
                if s.host.is_none() {
                    s.host = attr(src, "host");
                }
                if s.service.is_none() {
                    s.service = attr(src, "service");
                }
                if s.tls.is_none() {
                    s.tls = prop_yesno(src, "tls")?;
                }
                if let Some(r) = src.child("reconnect") {
                    s.reconnect = Some(read_reconnect(r)?);
                }
            }
            "udp" => {
                let mode = prop_enum(src, "mode", &["", "connect", "bind"], true)?;
                if mode.as_deref() == Some("bind") {
                    if s.bind_host.is_none() {
                        s.bind_host = attr(src, "host");
                    }
                    if s.bind_service.is_none() {
                        s.bind_service = attr(src, "service");
                    }
                } else {
                    if s.host.is_none() {
                        s.host = attr(src, "host");
                    }
                    if s.service.is_none() {
                        s.service = attr(src, "service");
                    }
                }
            }
            "spiceport" | "dbus" if s.channel.is_none() => {
                s.channel = attr(src, "channel");
            }
            "nmdm" => {
                if s.master.is_none() {
                    s.master = attr(src, "master");
                }
                if s.slave.is_none() {
                    s.slave = attr(src, "slave");
                }
            }
            "qemu-vdagent" => {
                if let Some(c) = src.child("clipboard") {
                    s.clipboard = prop_yesno(c, "copypaste")?;
                }
                if let Some(m) = src.child("mouse") {
                    s.mouse = prop_enum(m, "mode", &["default", "server", "client"], true)?;
                }
            }
            _ => {}
        }
    }
    if kind == "tcp" {
        if let Some(p) = el.child("protocol") {
            s.protocol = match p.attr("type") {
                None => None,
                Some(t) if ["raw", "telnet", "telnets", "tls"].contains(&t) => Some(t.to_string()),
                Some(t) => return Err(unsupported(format!("Unknown protocol '{t}'"))),
            };
        }
    }
    if let Some(l) = el.child("log") {
        s.log_file = attr(l, "file");
        s.log_append = prop_onoff(l, "append")?;
    }
    Ok(s)
}

/// libvirt's checks on a character device's host side.
pub fn validate_source(s: &ChrSource) -> Result<()> {
    match s.kind.as_str() {
        "file" | "pipe" | "dev" | "unix" if s.path.is_none() => {
            Err(chr_internal("Missing source path attribute for char device"))
        }
        "nmdm" if s.has_source && (s.master.is_none() || s.slave.is_none()) => Err(chr_internal(
            "Should define both master and slave path attributes for nmdm device",
        )),
        "tcp" if s.host.is_none() => Err(chr_internal("Missing source host attribute for char device")),
        "tcp" if s.service.is_none() => Err(chr_internal("Missing source service attribute for char device")),
        "udp" if s.service.is_none() => Err(chr_internal("Missing source service attribute for char device")),
        "spiceport" if s.channel.is_none() => {
            Err(unsupported("Missing source channel attribute for char device"))
        }
        _ => {
            if s.reconnect.is_some() && s.mode.as_deref() == Some("bind") {
                return Err(chr_internal(
                    "chardev reconnect is possible only for connect mode",
                ));
            }
            Ok(())
        }
    }
}

/// The type-specific attributes and children of a source, written into
/// `o` (the device element): `<source>`(s), `<protocol>`, `<log>`.
pub fn format_source<'a>(o: &mut Out<'a>, s: &'a ChrSource) {
    let seclabels = |x: &mut Out<'a>| {
        for (model, relabel, label) in s
            .seclabels
            .iter()
            .filter(|(_, r, l)| !(*r == Some(true) && l.is_none()))
        {
            let mut y = Out::new("seclabel");
            y.o("model", model.as_ref()).o("relabel", relabel.map(yesno));
            y.t("label", label.as_ref());
            x.push(y);
        }
    };
    match s.kind.as_str() {
        "pty" | "dev" | "file" | "pipe" if s.path.is_some() || !s.seclabels.is_empty() => {
            let mut x = Out::new("source");
            x.o("path", s.path.as_ref()).o("append", s.append.map(onoff));
            seclabels(&mut x);
            o.push(x);
        }
        "nmdm" if s.master.is_some() || s.slave.is_some() => {
            let mut x = Out::new("source");
            x.o("master", s.master.as_ref()).o("slave", s.slave.as_ref());
            o.push(x);
        }
        "udp" => {
            if s.bind_host.is_some() || s.bind_service.is_some() {
                let mut x = Out::new("source");
                x.a("mode", "bind")
                    .o("host", s.bind_host.as_ref())
                    .o("service", s.bind_service.as_ref());
                o.push(x);
            }
            if s.host.is_some() || s.service.is_some() {
                let mut x = Out::new("source");
                x.a("mode", "connect")
                    .o("host", s.host.as_ref())
                    .o("service", s.service.as_ref());
                o.push(x);
            }
        }
        "tcp" => {
            let mut x = Out::new("source");
            x.a("mode", s.mode.as_deref().unwrap_or("connect"))
                .o("host", s.host.as_ref())
                .o("service", s.service.as_ref())
                .o("tls", s.tls.map(yesno));
            if let Some(r) = &s.reconnect {
                let mut y = Out::new("reconnect");
                r.write_to(&mut y);
                x.push(y);
            }
            o.push(x);
            let mut p = Out::new("protocol");
            p.a("type", s.protocol.as_deref().unwrap_or("raw"));
            o.push(p);
        }
        "unix" if s.path.is_some() || s.mode.as_deref() == Some("bind") => {
            let mut x = Out::new("source");
            x.a("mode", s.mode.as_deref().unwrap_or("connect"))
                .o("path", s.path.as_ref());
            if let Some(r) = &s.reconnect {
                let mut y = Out::new("reconnect");
                r.write_to(&mut y);
                x.push(y);
            }
            seclabels(&mut x);
            o.push(x);
        }
        "spiceport" | "dbus" => {
            if let Some(c) = &s.channel {
                let mut x = Out::new("source");
                x.a("channel", c);
                o.push(x);
            }
        }
        "qemu-vdagent" => {
            let mut x = Out::new("source");
            if let Some(c) = s.clipboard {
                let mut y = Out::new("clipboard");
                y.a("copypaste", yesno(c));
                x.push(y);
            }
            if let Some(m) = &s.mouse {
                let mut y = Out::new("mouse");
                y.a("mode", m);
                x.push(y);
            }
            if x.has_content() {
                o.push(x);
            }
        }
        _ => {}
    }
    if let Some(f) = &s.log_file {
        let mut x = Out::new("log");
        x.a("file", f).o("append", s.log_append.map(onoff));
        o.push(x);
    }
}

fn parse_port(t: &Element) -> Result<Option<i32>> {
    match t.attr("port") {
        None => Ok(None),
        Some(p) => {
            let n = to_int(p, 10).ok_or_else(|| dom_xml_err(format!("Invalid port number: {p}")))?;
            Ok((n >= 0).then_some(n))
        }
    }
}

/// Reads a character device element.
pub fn parse(el: &Element, dev: ChrKind, inactive: bool) -> Result<Chardev> {
    let kind = match el.attr("type") {
        None => "pty".to_string(),
        Some(t) if SOURCE_TYPES.contains(&t) => t.to_string(),
        Some(t) => {
            return Err(unsupported(format!(
                "unknown type presented to host for character device: {t}"
            )))
        }
    };
    let mut c = Chardev {
        dev,
        ..Default::default()
    };
    if let Some(t) = el.child("target") {
        if let Some(tt) = t.attr("type") {
            let table = match dev {
                ChrKind::Serial => SERIAL_TARGETS,
                ChrKind::Console => CONSOLE_TARGETS,
                ChrKind::Channel => CHANNEL_TARGETS,
                ChrKind::Parallel => &["none"][..],
            };
            if !table[1..].contains(&tt) {
                return Err(unsupported(format!(
                    "unknown target type '{tt}' specified for character device"
                )));
            }
            c.target_type = Some(tt.to_string());
        }
        if let Some(m) = t.child("model") {
            if dev == ChrKind::Serial {
                if let Some(n) = xattr(m, "name") {
                    if !SERIAL_MODELS[1..].contains(&n) {
                        return Err(unsupported(format!(
                            "unknown target model '{n}' specified for character device"
                        )));
                    }
                    c.target_model = Some(n.to_string());
                }
            }
        }
        match dev {
            ChrKind::Channel => match c.target_type.as_deref() {
                Some("guestfwd") => {
                    c.target_address = attr(t, "address");
                    c.target_fwd_port = attr(t, "port");
                    let Some(a) = &c.target_address else {
                        return Err(dom_xml_err("guestfwd channel does not define a target address"));
                    };
                    if c.target_fwd_port.is_none() {
                        return Err(missing_attr(t, "port"));
                    };
                    // libvirt resolves the name; only literal addresses are
                    // taken here, without touching the resolver.
                    if let Some(ip) = parse_inet(a) {
                        c.target_address = Some(ip.to_string());
                    } else {
                        return Err(Error::with(
                            VIR_FROM_NONE,
                            VIR_ERR_SYSTEM_ERROR,
                            format!("Cannot parse socket address '{a}': Name or service not known"),
                        ));
                    }
                    let n = prop_uint(t, "port", 10)?.unwrap_or_default();
                    c.target_fwd_port = Some(n.to_string());
                }
                Some("virtio") | Some("xen") => {
                    c.target_name = attr(t, "name");
                }
                _ => {}
            },
            _ => c.target_port = parse_port(t)?,
        }
    }
    if dev == ChrKind::Channel && c.target_type.is_none() {
        return Err(dom_xml_err("target type must be specified for channel device"));
    }
    c.source = parse_source(el, &kind, inactive)?;
    c.info = parse_info(el, INFO_PLAIN)?;
    if kind == "spicevmc" && !(dev == ChrKind::Channel && c.target_type.as_deref() == Some("virtio")) {
        return Err(unsupported("spicevmc device type only supports virtio"));
    }
    Ok(c)
}

/// Writes a character device element.
pub fn format(c: &Chardev) -> Out<'_> {
    let mut o = Out::new(c.dev.tag());
    o.a("type", &c.source.kind);
    format_source(&mut o, &c.source);
    let mut t = Out::new("target");
    match c.dev {
        ChrKind::Channel => {
            t.o("type", c.target_type.as_ref());
            match c.target_type.as_deref() {
                Some("guestfwd") => {
                    t.o("address", c.target_address.as_ref())
                        .o("port", c.target_fwd_port.as_ref());
                }
                _ => {
                    t.o("name", c.target_name.as_ref());
                }
            }
        }
        ChrKind::Console => {
            t.o("type", c.target_type.as_ref())
                .a("port", c.target_port.unwrap_or(0));
        }
        ChrKind::Serial => {
            t.o("type", c.target_type.as_ref())
                .a("port", c.target_port.unwrap_or(0));
            if let Some(m) = &c.target_model {
                let mut x = Out::new("model");
                x.a("name", m);
                t.push(x);
            }
        }
        ChrKind::Parallel => {
            t.a("port", c.target_port.unwrap_or(0));
        }
    }
    o.push(t);
    format_info(&mut o, &c.info);
    o
}
