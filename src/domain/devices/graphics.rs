//! `<graphics>`: vnc, sdl, spice, rdp, desktop, egl-headless, dbus, with
//! the `<listen>` children libvirt derives from the legacy `listen`
//! attribute and its port/autoport rules.

use super::util::*;
use crate::abi::*;
use crate::error::{Error, Result};
use crate::xml::dom::Element;

const TYPES: &[&str] = &["sdl", "vnc", "rdp", "desktop", "spice", "egl-headless", "dbus"];

const SPICE_CHANNELS: &[&str] = &[
    "main",
    "display",
    "inputs",
    "cursor",
    "playback",
    "record",
    "smartcard",
    "usbredir",
];

/// A `<listen>`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Listen {
    /// `type`: address, network, socket, none.
    pub kind: String,
    /// `address`.
    pub address: Option<String>,
    /// `network`.
    pub network: Option<String>,
    /// `socket`.
    pub socket: Option<String>,
}

/// A `<graphics>` device.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Graphics {
    /// `type`.
    pub kind: String,
    /// `port` (vnc, spice, rdp); 0 = unset.
    pub port: i32,
    /// `tlsPort` (spice).
    pub tls_port: i32,
    /// `autoport`.
    pub autoport: bool,
    /// `websocket` (vnc).
    pub websocket: Option<i32>,
    /// `keymap`.
    pub keymap: Option<String>,
    /// `sharePolicy` (vnc).
    pub share_policy: Option<String>,
    /// `powerControl` (vnc).
    pub power_control: Option<bool>,
    /// `passwd`, written only with secure output.
    pub passwd: Option<String>,
    /// `passwdValidTo`.
    pub passwd_valid_to: Option<String>,
    /// `connected`.
    pub connected: Option<String>,
    /// `defaultMode` (spice).
    pub default_mode: Option<String>,
    /// `display` (sdl, desktop).
    pub display: Option<String>,
    /// `xauth` (sdl).
    pub xauth: Option<String>,
    /// `fullscreen` (sdl, desktop), written only when true.
    pub fullscreen: bool,
    /// rdp `multiUser`.
    pub multi_user: bool,
    /// rdp `replaceUser`.
    pub replace_user: bool,
    /// dbus `address`.
    pub dbus_address: Option<String>,
    /// dbus `p2p`.
    pub p2p: bool,
    /// `<listen>`s.
    pub listens: Vec<Listen>,
    /// spice `<channel name mode>`s.
    pub channels: Vec<(String, String)>,
    /// Spice children after the channels, in libvirt's order: (element, attribute, value).
    pub spice_opts: Vec<(String, String, String)>,
    /// `<gl>` attributes.
    pub gl: Attrs,
    /// `<audio id=...>`.
    pub audio: Option<u32>,
}

fn parse_port(el: &Element, name: &str, what: &str) -> Result<Option<i32>> {
    match el.attr(name) {
        None => Ok(None),
        Some(p) => to_int(p, 10)
            .map(Some)
            .ok_or_else(|| Error::internal(VIR_FROM_DOMAIN, format!("cannot parse {what} {p}"))),
    }
}

fn valid_time(s: &str) -> bool {
    let b = s.as_bytes();
    // YYYY-MM-DDTHH:MM:SS
    b.len() == 19
        && b.iter().enumerate().all(|(i, c)| match i {
            4 | 7 => *c == b'-',
            10 => *c == b'T',
            13 | 16 => *c == b':',
            _ => c.is_ascii_digit(),
        })
}

/// Reads a `<graphics>`.
pub fn parse(el: &Element, inactive: bool) -> Result<Graphics> {
    let kind = prop_enum_req(el, "type", &{
        let mut v = vec![""];
        v.extend_from_slice(TYPES);
        v
    })?;
    let mut g = Graphics {
        kind: kind.clone(),
        ..Default::default()
    };
    let mut listens = Vec::new();
    for l in el.children_named("listen") {
        let lk =
            prop_enum_req(l, "type", &["none", "address", "network", "socket", "none"]).or_else(|e| {
                if l.attr("type") == Some("none") {
                    Ok("none".to_string())
                } else {
                    Err(e)
                }
            })?;
        let mut li = Listen {
            kind: lk.clone(),
            ..Default::default()
        };
        match lk.as_str() {
            "address" => li.address = attr_nonempty(l, "address"),
            "network" => {
                li.network = attr_nonempty(l, "network");
                if li.network.is_none() {
                    return Err(dom_xml_err(
                        "'network' attribute is required for listen type 'network'",
                    ));
                }
                if !inactive {
                    li.address = attr_nonempty(l, "address");
                }
            }
            "socket" => li.socket = attr_nonempty(l, "socket"),
            _ => {}
        }
        listens.push(li);
    }
    let listen_attr = attr(el, "listen").filter(|l| !l.is_empty() || !listens.is_empty());
    if let Some(la) = &listen_attr {
        match listens.first() {
            Some(first) if first.kind == "address" || first.kind == "network" => {
                let found = first.address.clone().unwrap_or_default();
                if first.address.as_deref() != Some(la.as_str()) {
                    return Err(unsupported(format!(
                        "graphics 'listen' attribute '{la}' must match 'address' attribute of first listen element (found '{found}')"
                    )));
                }
            }
            Some(_) => {}
            None => listens.push(Listen {
                kind: "address".into(),
                address: Some(la.clone()),
                ..Default::default()
            }),
        }
    }
    let auth = |g: &mut Graphics| -> Result<()> {
        g.passwd = attr(el, "passwd");
        if g.passwd.is_none() {
            return Ok(());
        }
        if let Some(v) = el.attr("passwdValidTo") {
            if !valid_time(v) {
                return Err(Error::internal(
                    VIR_FROM_DOMAIN,
                    format!("cannot parse password validity time '{v}', expect YYYY-MM-DDTHH:MM:SS"),
                ));
            }
            g.passwd_valid_to = Some(v.to_string());
        }
        g.connected = match el.attr("connected") {
            None => None,
            Some(c) if ["fail", "disconnect", "keep"].contains(&c) => Some(c.to_string()),
            Some(c) => return Err(unsupported(format!("unknown connected value {c}"))),
        };
        Ok(())
    };
    match kind.as_str() {
        "vnc" => {
            let socket = attr(el, "socket");
            match parse_port(el, "port", "vnc port")? {
                Some(-1) => {
                    g.autoport = true;
                    if !inactive {
                        g.port = -1;
                    }
                }
                Some(p) => g.port = p,
                None => g.autoport = true,
            }
            // Only "yes" and "no" mean anything here; other values are ignored.
            match el.attr("autoport") {
                Some("yes") => {
                    g.autoport = true;
                    if inactive {
                        g.port = 0;
                    }
                }
                Some("no") => g.autoport = false,
                _ => {}
            }
            g.websocket = prop_int(el, "websocket", 10)?;
            g.share_policy = prop_enum(
                el,
                "sharePolicy",
                &["default", "allow-exclusive", "force-shared", "ignore"],
                true,
            )?;
            g.power_control = prop_yesno(el, "powerControl")?;
            g.keymap = attr(el, "keymap");
            auth(&mut g)?;
            if let Some(s) = socket {
                if listens.is_empty() {
                    listens.push(Listen {
                        kind: "socket".into(),
                        socket: Some(s),
                        ..Default::default()
                    });
                }
            }
        }
        "spice" => {
            g.port = prop_int(el, "port", 10)?.unwrap_or(0);
            g.tls_port = prop_int(el, "tlsPort", 10)?.unwrap_or(0);
            // Both ports -1 is the legacy spelling of autoport.
            if g.port == -1 && g.tls_port == -1 {
                g.autoport = true;
            }
            if let Some(a) = prop_yesno(el, "autoport")? {
                g.autoport = a;
            }
            if g.autoport && inactive {
                g.port = 0;
                g.tls_port = 0;
            }
            g.default_mode = prop_enum(el, "defaultMode", &["any", "secure", "insecure"], false)?;
            g.keymap = attr(el, "keymap");
            auth(&mut g)?;
            for c in el.children_named("channel") {
                let name = prop_enum_req(c, "name", &{
                    let mut v = vec![""];
                    v.extend_from_slice(SPICE_CHANNELS);
                    v
                })?;
                let mode = prop_enum_req(c, "mode", &["", "any", "secure", "insecure"])?;
                // One setting per channel: a later element replaces an earlier one.
                g.channels.retain(|(n, _)| *n != name);
                g.channels.push((name, mode));
            }
            let opts: &[(&str, &str, &[&str])] = &[
                (
                    "image",
                    "compression",
                    &["", "auto_glz", "auto_lz", "quic", "glz", "lz", "off"],
                ),
                ("jpeg", "compression", &["", "auto", "never", "always"]),
                ("zlib", "compression", &["", "auto", "never", "always"]),
                ("playback", "compression", &["", "on", "off"]),
                ("streaming", "mode", &["", "filter", "all", "off"]),
                ("mouse", "mode", &["", "server", "client"]),
                ("clipboard", "copypaste", &["", "yes", "no"]),
                ("filetransfer", "enable", &["", "yes", "no"]),
            ];
            for (elname, attrname, values) in opts {
                if let Some(c) = el.child(elname) {
                    let v = prop_enum_req(c, attrname, values)?;
                    g.spice_opts.push((elname.to_string(), attrname.to_string(), v));
                }
            }
            if let Some(gl) = el.child("gl") {
                g.gl = Attrs::read(gl, &[("enable", Kind::YesNo), ("rendernode", Kind::Str)])?;
            }
            if listens.is_empty() && (g.port != 0 || g.tls_port != 0 || g.autoport) {
                listens.push(Listen {
                    kind: "address".into(),
                    ..Default::default()
                });
            }
        }
        "rdp" => {
            match parse_port(el, "port", "rdp port")? {
                Some(-1) | None => g.autoport = true,
                Some(p) => g.port = p,
            }
            if el.attr("autoport") == Some("yes") {
                g.autoport = true;
            }
            if g.autoport && inactive {
                g.port = 0;
            }
            // Only "yes" counts for these.
            g.replace_user = el.attr("replaceUser") == Some("yes");
            g.multi_user = el.attr("multiUser") == Some("yes");
        }
        "sdl" => {
            g.display = attr(el, "display");
            g.xauth = attr(el, "xauth");
            g.fullscreen = prop_yesno(el, "fullscreen")? == Some(true);
            if let Some(gl) = el.child("gl") {
                g.gl = Attrs::read(gl, &[("enable", Kind::YesNo)])?;
            }
        }
        "desktop" => {
            g.display = attr(el, "display");
            g.fullscreen = prop_yesno(el, "fullscreen")? == Some(true);
        }
        "egl-headless" => {
            if let Some(gl) = el.child("gl") {
                g.gl = Attrs::read(gl, &[("rendernode", Kind::Str)])?;
            }
        }
        "dbus" => {
            g.dbus_address = attr(el, "address");
            g.p2p = prop_yesno(el, "p2p")? == Some(true);
            if let Some(gl) = el.child("gl") {
                g.gl = Attrs::read(gl, &[("enable", Kind::YesNo), ("rendernode", Kind::Str)])?;
            }
            if g.p2p && g.dbus_address.is_some() {
                return Err(dom_xml_err("D-Bus p2p with an address is not supported"));
            }
        }
        _ => {}
    }
    if let Some(a) = el.child("audio") {
        g.audio = prop_uint_nonzero(a, "id", 10)?;
    }
    if matches!(kind.as_str(), "vnc" | "rdp") && listens.is_empty() {
        listens.push(Listen {
            kind: "address".into(),
            ..Default::default()
        });
    }
    if kind == "spice" && listens.is_empty() {
        listens.push(Listen {
            kind: "none".into(),
            ..Default::default()
        });
    }
    g.listens = listens;
    Ok(g)
}

fn auth_attrs<'a>(o: &mut Out<'a>, g: &'a Graphics, secure: bool) {
    if secure {
        o.o("passwd", g.passwd.as_ref());
    }
    o.o("passwdValidTo", g.passwd_valid_to.as_ref())
        .o("connected", g.connected.as_ref());
}

/// Writes a `<graphics>`.
pub fn format<'a>(g: &'a Graphics, opts: &crate::domain::FormatOptions) -> Out<'a> {
    let mut o = Out::new("graphics");
    o.a("type", &g.kind);
    let first = g.listens.first();
    let first_kind = first.map(|l| l.kind.as_str()).unwrap_or("");
    let spice_none_migratable =
        opts.migratable && g.kind == "spice" && g.listens.len() == 1 && first_kind == "none";
    let listen_attr = first
        .filter(|l| l.kind == "address" || l.kind == "network")
        .and_then(|l| l.address.as_ref());
    match g.kind.as_str() {
        "vnc" => {
            if first_kind == "socket" {
                o.o("socket", first.and_then(|l| l.socket.as_ref()));
            } else if first_kind == "address" || first_kind == "network" {
                if g.port != 0 && (!g.autoport || !opts.inactive) {
                    o.a("port", g.port);
                } else if g.autoport {
                    o.a("port", -1);
                }
                o.a("autoport", yesno(g.autoport));
                o.o("websocket", g.websocket.filter(|w| *w != 0));
                o.o("listen", listen_attr);
            }
            o.o("keymap", g.keymap.as_ref())
                .o("sharePolicy", g.share_policy.as_ref())
                .o("powerControl", g.power_control.map(yesno));
            auth_attrs(&mut o, g, opts.secure);
        }
        "sdl" => {
            o.o("display", g.display.as_ref()).o("xauth", g.xauth.as_ref());
            if g.fullscreen {
                o.a("fullscreen", "yes");
            }
        }
        "rdp" => {
            if g.port != 0 {
                o.a("port", g.port);
            } else if g.autoport {
                o.a("port", 0);
            }
            if g.autoport {
                o.a("autoport", "yes");
            }
            if g.replace_user {
                o.a("replaceUser", "yes");
            }
            if g.multi_user {
                o.a("multiUser", "yes");
            }
            o.o("listen", listen_attr);
        }
        "desktop" => {
            o.o("display", g.display.as_ref());
            if g.fullscreen {
                o.a("fullscreen", "yes");
            }
        }
        "spice" => {
            if spice_none_migratable {
                // Older libvirt spelled "no listening" as autoport='no'.
                o.a("autoport", "no");
            } else if first_kind == "address" || first_kind == "network" {
                if g.port != 0 {
                    o.a("port", g.port);
                }
                if g.tls_port != 0 {
                    o.a("tlsPort", g.tls_port);
                }
                o.a("autoport", yesno(g.autoport));
                o.o("listen", listen_attr);
            }
            o.o("keymap", g.keymap.as_ref())
                .o("defaultMode", g.default_mode.as_ref());
            auth_attrs(&mut o, g, opts.secure);
        }
        "dbus" => {
            o.o("address", g.dbus_address.as_ref());
            if g.p2p {
                o.a("p2p", "yes");
            }
        }
        _ => {}
    }
    if !g.listens.is_empty() && !spice_none_migratable {
        o.keep_open();
    }
    for l in g.listens.iter().filter(|_| !spice_none_migratable) {
        // Older libvirt only knew the socket attribute: migratable output
        // keeps user-given sockets there.
        if opts.migratable && g.kind == "vnc" && l.kind == "socket" && l.socket.is_some() {
            continue;
        }
        let mut x = Out::new("listen");
        x.a("type", &l.kind)
            .o("address", l.address.as_ref())
            .o("network", l.network.as_ref())
            .o("socket", l.socket.as_ref());
        o.push(x);
    }
    let mut channels: Vec<&(String, String)> = g.channels.iter().collect();
    channels.sort_by_key(|(n, _)| SPICE_CHANNELS.iter().position(|c| c == n));
    for (name, mode) in channels {
        let mut x = Out::new("channel");
        x.a("name", name).a("mode", mode);
        o.push(x);
    }
    for (e, a, v) in &g.spice_opts {
        let mut x = Out::new(e);
        x.a(a, v);
        o.push(x);
    }
    if !g.gl.is_empty() {
        let mut x = Out::new("gl");
        g.gl.write_to(&mut x);
        o.push(x);
    }
    if let Some(id) = g.audio {
        let mut x = Out::new("audio");
        x.a("id", id);
        o.push(x);
    }
    o
}
