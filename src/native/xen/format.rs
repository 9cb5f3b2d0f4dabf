//! Writing the settings xm and xl files share, read from the definition's
//! canonical XML.

use super::chardev;
use super::common::{unsupported, Dialect, Out};
use super::vif;
use crate::abi::*;
use crate::error::Result;
use crate::xml::dom::Element;

/// Accessors on the canonical `<domain>` element.
pub struct Dom<'a> {
    /// The `<domain>` element.
    pub root: &'a Element,
}

impl<'a> Dom<'a> {
    /// Child text of the domain element.
    pub fn text(&self, name: &str) -> Option<String> {
        self.root.child_text(name)
    }

    /// `<os>`.
    pub fn os(&self) -> Option<&'a Element> {
        self.root.child("os")
    }

    /// `<os><type>` text.
    pub fn os_type(&self) -> String {
        self.os().and_then(|o| o.child_text("type")).unwrap_or_default()
    }

    /// Whether the guest is HVM.
    pub fn hvm(&self) -> bool {
        self.os_type() == "hvm"
    }

    /// Child text of `<os>`.
    pub fn os_text(&self, name: &str) -> Option<String> {
        self.os().and_then(|o| o.child_text(name))
    }

    /// The device elements called `name`.
    pub fn devices(&self, name: &'a str) -> Vec<&'a Element> {
        self.root
            .child("devices")
            .map(|d| d.children_named(name).collect())
            .unwrap_or_default()
    }

    /// `<features>` child.
    pub fn feature(&self, name: &str) -> Option<&'a Element> {
        self.root.child("features").and_then(|f| f.child(name))
    }
}

fn mib(kib: &str) -> i64 {
    let n: u64 = kib.trim().parse().unwrap_or(0);
    n.div_ceil(1024) as i64
}

fn num(s: Option<&str>) -> i64 {
    s.and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// Writes everything the two formats share, in libvirt's order.
pub fn common(d: &Dom, out: &mut Out, dialect: Dialect) -> Result<()> {
    let hvm = d.hvm();
    out.str("name", d.text("name").unwrap_or_default());
    out.str("uuid", d.text("uuid").unwrap_or_default());
    out.int("maxmem", mib(&d.text("memory").unwrap_or_default()));
    out.int("memory", mib(&d.text("currentMemory").unwrap_or_default()));

    let vcpu = d.root.child("vcpu");
    let max = vcpu.map_or(1, |v| num(Some(v.text().trim())));
    let cur = vcpu.and_then(|v| v.attr("current")).map_or(max, |c| num(Some(c)));
    if cur < max {
        out.int("maxvcpus", max);
    }
    out.int("vcpus", cur);
    if let Some(c) = vcpu.and_then(|v| v.attr("cpuset")) {
        out.str("cpus", c);
    }

    features(d, out, hvm)?;
    time_offset(d, out, hvm)?;
    for n in ["on_poweroff", "on_reboot", "on_crash"] {
        out.str(n, d.text(n).unwrap_or_default());
    }
    if let Some(e) = d.root.child("devices").and_then(|x| x.child_text("emulator")) {
        out.str("device_model_override", e);
    }
    vfb(d, out, hvm);

    let typename = match dialect {
        Dialect::Xl => "vif",
        Dialect::Xm => "netfront",
    };
    let mut vifs = Vec::new();
    for n in d.devices("interface") {
        vifs.push(vif::format(n, hvm, typename)?);
    }
    out.list("vif", vifs);
    let pcis: Vec<String> = d
        .devices("hostdev")
        .into_iter()
        .filter(|h| h.attr("mode") == Some("subsystem") && h.attr("type") == Some("pci"))
        .map(vif::format_pci)
        .collect();
    out.list("pci", pcis);

    if hvm {
        chardevs(d, out, dialect)?;
        let sounds: Vec<&str> = d
            .devices("sound")
            .into_iter()
            .filter_map(|s| s.attr("model"))
            .collect();
        if !sounds.is_empty() {
            out.str("soundhw", sounds.join(","));
        }
    }
    Ok(())
}

fn features(d: &Dom, out: &mut Out, hvm: bool) -> Result<()> {
    let on = |name: &str| {
        d.feature(name)
            .is_some_and(|f| f.attr("state").is_none_or(|s| s == "on"))
    };
    let xen = d.feature("xen");
    let xen_on = |name: &str| xen.and_then(|x| x.child(name)).and_then(|e| e.attr("state")) == Some("on");
    if hvm {
        out.int("pae", on("pae") as i64);
        out.int("acpi", on("acpi") as i64);
        out.int("apic", on("apic") as i64);
        if d.feature("hap").and_then(|h| h.attr("state")) == Some("off") {
            out.int("hap", 0);
        }
        out.int("viridian", on("viridian") as i64);
    } else if xen_on("e820_host") {
        out.int("e820_host", 1);
    }
    if xen_on("passthrough") {
        let mode = xen
            .and_then(|x| x.child("passthrough"))
            .and_then(|p| p.attr("mode"));
        match mode {
            Some(m @ ("sync_pt" | "share_pt")) => out.str("passthrough", m),
            _ => out.str("passthrough", "enabled"),
        }
    }
    let timers: Vec<&Element> = d
        .root
        .child("clock")
        .map(|c| c.children_named("timer").collect())
        .unwrap_or_default();
    for t in timers {
        let name = t.attr("name").unwrap_or("");
        match name {
            "tsc" => {
                let mode = match t.attr("mode") {
                    Some("native") => "native",
                    Some("paravirt") => "native_paravirt",
                    Some("emulate") => "always_emulate",
                    _ => "default",
                };
                out.str("tsc_mode", mode);
            }
            "hpet" if hvm => out.int("hpet", (t.attr("present") != Some("no")) as i64),
            _ => {
                return Err(unsupported(
                    VIR_FROM_XEN,
                    format!("unsupported timer type (name) '{name}'"),
                ))
            }
        }
    }
    Ok(())
}

fn time_offset(d: &Dom, out: &mut Out, hvm: bool) -> Result<()> {
    let clock = d.root.child("clock");
    let offset = clock.and_then(|c| c.attr("offset")).unwrap_or("utc");
    let reset = clock.and_then(|c| c.attr("adjustment")) == Some("reset");
    let bad_offset = || unsupported(VIR_FROM_XEN, format!("unsupported clock offset='{offset}'"));
    let bad_reset = || unsupported(VIR_FROM_XEN, "unsupported clock adjustment='reset'");
    let localtime = if hvm {
        let (local, adj) = match offset {
            "variable" => (
                clock.and_then(|c| c.attr("basis")) == Some("localtime"),
                num(clock.and_then(|c| c.attr("adjustment"))),
            ),
            "utc" | "localtime" if reset => return Err(bad_reset()),
            "utc" => (false, 0),
            "localtime" => (true, 0),
            _ => return Err(bad_offset()),
        };
        out.int("rtc_timeoffset", adj);
        local
    } else {
        match offset {
            "utc" => false,
            "localtime" => true,
            _ => return Err(bad_offset()),
        }
    };
    out.int("localtime", localtime as i64);
    Ok(())
}

fn vfb(d: &Dom, out: &mut Out, hvm: bool) {
    let graphics = d.devices("graphics");
    let [g] = graphics.as_slice() else {
        return;
    };
    let kind = g.attr("type").unwrap_or("");
    if kind == "spice" {
        return;
    }
    let listen = g
        .child("listen")
        .and_then(|l| l.attr("address"))
        .or_else(|| g.attr("listen"));
    let autoport = g.attr("autoport") == Some("yes");
    let display = num(g.attr("port")) - 5900;
    if hvm {
        if kind == "sdl" {
            out.int("sdl", 1);
            out.int("vnc", 0);
            if let Some(v) = g.attr("display") {
                out.str("display", v);
            }
            if let Some(v) = g.attr("xauth") {
                out.str("xauthority", v);
            }
        } else {
            out.int("sdl", 0);
            out.int("vnc", 1);
            out.int("vncunused", autoport as i64);
            if !autoport {
                out.int("vncdisplay", display);
            }
            if let Some(l) = listen {
                out.str("vnclisten", l);
            }
            if let Some(p) = g.attr("passwd") {
                out.str("vncpasswd", p);
            }
            if let Some(k) = g.attr("keymap") {
                out.str("keymap", k);
            }
        }
        return;
    }
    let mut s;
    if kind == "sdl" {
        s = "type=sdl".to_string();
        if let Some(v) = g.attr("display") {
            s.push_str(&format!(",display={v}"));
        }
        if let Some(v) = g.attr("xauth") {
            s.push_str(&format!(",xauthority={v}"));
        }
    } else {
        s = format!("type=vnc,vncunused={}", autoport as i32);
        if !autoport {
            s.push_str(&format!(",vncdisplay={display}"));
        }
        if let Some(l) = listen {
            s.push_str(&format!(",vnclisten={l}"));
        }
        if let Some(p) = g.attr("passwd") {
            s.push_str(&format!(",vncpasswd={p}"));
        }
        if let Some(k) = g.attr("keymap") {
            s.push_str(&format!(",keymap={k}"));
        }
    }
    out.list("vfb", vec![s]);
}

fn chardevs(d: &Dom, out: &mut Out, dialect: Dialect) -> Result<()> {
    match d.devices("parallel").first() {
        Some(p) => out.str("parallel", chardev::format(p)?),
        None => out.str("parallel", "none"),
    }
    let serials = d.devices("serial");
    let port = |s: &Element| {
        s.child("target")
            .and_then(|t| t.attr("port"))
            .map_or(0, |p| num(Some(p)))
    };
    match serials.as_slice() {
        [] => out.str("serial", "none"),
        [s] if port(s) == 0 => out.str("serial", chardev::format(s)?),
        _ => {
            if dialect == Dialect::Xm {
                return Err(unsupported(
                    VIR_FROM_XEN,
                    "Multiple serial devices are not supported by xen-xm",
                ));
            }
            let maxport = serials.iter().map(|s| port(s)).max().unwrap_or(0);
            let mut list = Vec::new();
            for p in 0..=maxport {
                match serials.iter().find(|s| port(s) == p) {
                    Some(s) => list.push(chardev::format(s)?),
                    None => list.push("none".to_string()),
                }
            }
            out.list("serial", list);
        }
    }
    Ok(())
}

/// `<os><boot dev>` as a `boot` string (`c` when there are none).
pub fn boot_string(d: &Dom) -> String {
    let devs: Vec<char> = d
        .os()
        .map(|o| {
            o.children_named("boot")
                .map(|b| match b.attr("dev") {
                    Some("fd") => 'a',
                    Some("cdrom") => 'd',
                    Some("network") => 'n',
                    _ => 'c',
                })
                .collect()
        })
        .unwrap_or_default();
    if devs.is_empty() {
        "c".to_string()
    } else {
        devs.into_iter().collect()
    }
}

/// USB input devices of an HVM guest, as `usbdevice` names.
pub fn usb_inputs(d: &Dom) -> Vec<String> {
    d.devices("input")
        .into_iter()
        .filter(|i| i.attr("bus") == Some("usb"))
        .filter_map(|i| match i.attr("type") {
            Some(t @ ("mouse" | "tablet" | "keyboard")) => Some(t.to_string()),
            _ => None,
        })
        .collect()
}
