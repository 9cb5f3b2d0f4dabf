//! `xen-xl`: the xl tool's config files.

use super::common::{
    self, canonical, esc, parse_c_int, syntax, unsupported, Cfg, Dialect, DomainXml, Out, DEFAULT_LOADER,
    FIRMWARE_DIR,
};
use super::format::{self as fmt, Dom};
use super::parse;
use super::vif::key_values;
use super::xl_disk;
use crate::abi::*;
use crate::conf::Value;
use crate::domain::{Bitmap, DomainDef};
use crate::error::{Error, Result};
use crate::xml::dom::Element;

/// libvirt's CPU feature names and libxl's, where they differ.
const CPU_FEATURE_NAMES: &[(&str, &str)] = &[
    ("cx16", "cmpxchg16"),
    ("cid", "cntxid"),
    ("ds_cpl", "dscpl"),
    ("pclmuldq", "pclmulqdq"),
    ("pni", "sse3"),
    ("ht", "htt"),
    ("pn", "psn"),
    ("clflush", "clfsh"),
    ("sep", "sysenter"),
    ("cx8", "cmpxchg8"),
    ("nodeid_msr", "nodeid"),
    ("cr8legacy", "altmovcr8"),
    ("lahf_lm", "lahfsahf"),
    ("cmp_legacy", "cmplegacy"),
    ("fxsr_opt", "ffxsr"),
    ("pdpe1gb", "page1gb"),
    ("spec-ctrl", "ibrsb"),
];

fn xl_internal(msg: impl AsRef<str>) -> Error {
    Error::internal(VIR_FROM_XENXL, msg)
}

/// `<cpu>` being assembled: a mode, features and NUMA cells.
#[derive(Default)]
struct CpuXml {
    passthrough: bool,
    features: Vec<(String, &'static str)>,
    numa: Option<String>,
}

impl CpuXml {
    fn to_xml(&self) -> String {
        let mut x = String::from("<cpu");
        if self.passthrough {
            x.push_str(" mode='host-passthrough'");
        }
        x.push('>');
        for (name, policy) in &self.features {
            x.push_str(&format!("<feature policy='{policy}' name='{}'/>", esc(name)));
        }
        if let Some(n) = &self.numa {
            x.push_str(n);
        }
        x.push_str("</cpu>");
        x
    }
}

/// Parses a xl config file into a `xen` domain definition.
pub fn parse(config: &str) -> Result<DomainDef> {
    let conf = common::read_conf(config)?;
    let c = Cfg { conf: &conf };
    let mut d = parse::common(&c, Dialect::Xl)?;
    let mut cpu = None;
    os(&c, &mut d, &mut cpu)?;
    vnuma(&c, &mut d, &mut cpu)?;
    for (key, attr) in [
        ("max_event_channels", "maxEventChannels"),
        ("max_grant_frames", "maxGrantFrames"),
    ] {
        let n = c.ulong(key, 0)?;
        if n > 0 {
            d.xenbus_attrs.push_str(&format!(" {attr}='{n}'"));
        }
    }
    cpuid(&c, &mut cpu)?;
    d.cpu = cpu.map(|c| c.to_xml());
    for entry in c.list_strings("disk") {
        let spec = xl_disk::parse_spec(&entry)?;
        d.devices.push(xl_disk::to_xml(&spec, d.hvm()));
    }
    spice(&c, &mut d)?;
    inputs(&c, &mut d)?;
    for entry in c.list_strings("usbdev") {
        usbdev(&entry, &mut d);
    }
    for entry in c.list_strings("usbctrl") {
        usbctrl(&entry, &mut d);
    }
    for entry in c.list_strings("channel") {
        channel(&entry, &mut d)?;
    }
    d.commandline = c.list_strings("device_model_args");
    d.finish()
}

fn os(c: &Cfg, d: &mut DomainXml, cpu: &mut Option<CpuXml>) -> Result<()> {
    if !d.hvm() {
        d.bootloader = c.string("bootloader")?;
        d.bootloader_args = c.string("bootargs")?;
        d.kernel = c.string("kernel")?;
        d.initrd = c.string("ramdisk")?;
        d.cmdline = cmdline(c)?;
        return Ok(());
    }
    d.loader = Some(if c.string("bios")?.as_deref() == Some("ovmf") {
        format!("<loader readonly='yes' type='pflash'>{FIRMWARE_DIR}/ovmf.bin</loader>")
    } else {
        format!("<loader type='rom'>{DEFAULT_LOADER}</loader>")
    });
    d.slic = c.string("acpi_firmware")?;
    d.kernel = c.string("kernel")?;
    d.initrd = c.string("ramdisk")?;
    d.cmdline = cmdline(c)?;
    let boot = c.string("boot")?.unwrap_or_else(|| "c".to_string());
    d.boot = parse::boot_devices(&boot);
    let nested = c.bool("nestedhvm", -1)?;
    if nested != -1 {
        let cpu = cpu.get_or_insert_with(CpuXml::default);
        cpu.passthrough = true;
        if nested == 0 {
            // The harness host CPU (core2duo) has Intel's VT-x.
            cpu.features.push(("vmx".to_string(), "disable"));
        }
    }
    Ok(())
}

/// `cmdline`, or the older `root` and `extra`.
fn cmdline(c: &Cfg) -> Result<Option<String>> {
    let cmdline = c.string("cmdline")?;
    let root = c.string("root")?;
    let extra = c.string("extra")?;
    Ok(match cmdline {
        Some(s) => Some(s),
        None => parse::root_extra(root, extra),
    })
}

fn vnuma(c: &Cfg, d: &mut DomainXml, cpu: &mut Option<CpuXml>) -> Result<()> {
    let Some(Value::List(nodes)) = c.conf.get("vnuma") else {
        return Ok(());
    };
    let nr = nodes.iter().take_while(|n| matches!(n, Value::List(_))).count();
    let mut cells = String::new();
    let mut vcpus = 0u64;
    for (i, node) in nodes.iter().enumerate() {
        let mut pnode = None;
        let mut size = 0u64;
        let mut cpus = None;
        let mut distances = Vec::new();
        if let Value::List(items) = node {
            for item in items {
                let Value::String(s) = item else { break };
                let Some(eq) = s.rfind('=') else {
                    return Err(xl_internal(format!("vnuma vnode invalid format '{s}'")));
                };
                let data = &s[eq + 1..];
                if data.is_empty() {
                    continue;
                }
                if s.starts_with("pnode") {
                    let id = common::parse_c_ulong(data, 10)
                        .filter(|id| (*id as usize) < nr)
                        .ok_or_else(|| {
                            unsupported(
                                VIR_FROM_XENXL,
                                format!("vnuma vnode {i} contains invalid pnode value '{data}'"),
                            )
                        })?;
                    pnode = Some(id);
                } else if s.starts_with("size") {
                    size = common::parse_c_ulong(data, 10)
                        .ok_or_else(|| xl_internal(format!("vnuma vnode invalid format '{s}'")))?;
                } else if s.starts_with("vcpus") {
                    let b = Bitmap::parse(data)?;
                    vcpus += b.iter().count() as u64;
                    cpus = Some(b.to_string());
                } else if s.starts_with("vdistances") {
                    let parts: Vec<&str> = data.split(',').collect();
                    if parts.len() != nr {
                        return Err(unsupported(
                            VIR_FROM_XENXL,
                            format!(
                                "vnuma pnode {} configured '{s}' (count {}) doesn't fit the number of specified vnodes {nr}",
                                pnode.map_or(-1, |p| p as i64),
                                parts.len()
                            ),
                        ));
                    }
                    for p in parts {
                        distances.push(
                            common::parse_c_ulong(p, 10)
                                .ok_or_else(|| xl_internal(format!("vnuma vnode invalid format '{s}'")))?,
                        );
                    }
                } else {
                    return Err(syntax(
                        VIR_FROM_XENXL,
                        format!("Invalid vnuma configuration for vnode {i}"),
                    ));
                }
            }
        }
        let (Some(_), Some(cpus)) = (pnode, cpus) else {
            return Err(syntax(
                VIR_FROM_XENXL,
                format!("Incomplete vnuma configuration for vnode {i}"),
            ));
        };
        if size == 0 {
            return Err(syntax(
                VIR_FROM_XENXL,
                format!("Incomplete vnuma configuration for vnode {i}"),
            ));
        }
        cells.push_str(&format!(
            "<cell id='{i}' cpus='{cpus}' memory='{}' unit='KiB'>",
            size.saturating_mul(1024)
        ));
        if !distances.is_empty() {
            cells.push_str("<distances>");
            for (j, v) in distances.iter().enumerate() {
                cells.push_str(&format!("<sibling id='{j}' value='{v}'/>"));
            }
            cells.push_str("</distances>");
        }
        cells.push_str("</cell>");
    }
    if d.max_vcpus < vcpus {
        return Err(unsupported(
            VIR_FROM_XENXL,
            format!(
                "vnuma configuration contains {vcpus} vcpus, which is greater than {} maxvcpus",
                d.max_vcpus
            ),
        ));
    }
    // libvirt replaces any <cpu> read so far with the NUMA-only one.
    *cpu = Some(CpuXml {
        numa: Some(format!("<numa>{cells}</numa>")),
        ..Default::default()
    });
    Ok(())
}

fn cpuid(c: &Cfg, cpu: &mut Option<CpuXml>) -> Result<()> {
    let Some(s) = c.string("cpuid")? else {
        return Ok(());
    };
    let cpu = cpu.get_or_insert_with(|| CpuXml {
        passthrough: true,
        ..Default::default()
    });
    let mut pairs = s.split(',');
    let first = pairs.next().unwrap_or("");
    if first != "host" {
        return Err(syntax(
            VIR_FROM_XENXL,
            format!("cpuid starting with {first} is not supported, only libxl format is"),
        ));
    }
    for p in pairs {
        let Some((name, value)) = p.split_once('=') else {
            return Err(syntax(
                VIR_FROM_XENXL,
                format!("Invalid libxl cpuid key=value element: {p}"),
            ));
        };
        let policy = match value {
            "1" => "force",
            "0" => "disable",
            "x" | "k" | "s" => "optional",
            _ => return Err(syntax(VIR_FROM_XENXL, format!("Invalid libxl cpuid value: {p}"))),
        };
        let name = CPU_FEATURE_NAMES
            .iter()
            .find(|(_, xl)| *xl == name)
            .map_or(name, |(lv, _)| lv);
        cpu.features.push((name.to_string(), policy));
    }
    Ok(())
}

fn spice(c: &Cfg, d: &mut DomainXml) -> Result<()> {
    if !d.hvm() || c.bool("spice", 0)? == 0 {
        return Ok(());
    }
    let host = c.string("spicehost")?;
    let tls = c.ulong("spicetls_port", 0)? as i32;
    let port = c.ulong("spiceport", 0)? as i32;
    let autoport = tls == 0 && port == 0;
    let passwd = if c.bool("spicedisable_ticketing", 0)? == 0 {
        Some(c.required("spicepasswd")?)
    } else {
        None
    };
    let mouse = if c.bool("spiceagent_mouse", 0)? != 0 {
        "client"
    } else {
        "server"
    };
    let copypaste = if c.bool("spice_clipboard_sharing", 0)? != 0 {
        "yes"
    } else {
        "no"
    };
    let mut x = String::from("<graphics type='spice'");
    if autoport {
        x.push_str(" autoport='yes'");
    } else {
        x.push_str(&format!(" port='{port}' tlsPort='{tls}' autoport='no'"));
    }
    if let Some(h) = &host {
        x.push_str(&format!(" listen='{}'", esc(h)));
    }
    if let Some(p) = &passwd {
        x.push_str(&format!(" passwd='{}'", esc(p)));
    }
    x.push('>');
    match &host {
        Some(h) => x.push_str(&format!("<listen type='address' address='{}'/>", esc(h))),
        None => x.push_str("<listen type='address'/>"),
    }
    x.push_str(&format!(
        "<mouse mode='{mouse}'/><clipboard copypaste='{copypaste}'/></graphics>"
    ));
    // Spice replaces any VNC or SDL display read before.
    d.devices.retain(|dev| !dev.starts_with("<graphics"));
    d.devices.push(x);
    d.has_graphics = true;
    Ok(())
}

fn inputs(c: &Cfg, d: &mut DomainXml) -> Result<()> {
    if !d.hvm() {
        return Ok(());
    }
    let values: Vec<&Value> = match c.conf.get("usbdevice") {
        None => return Ok(()),
        Some(Value::List(items)) => items.iter().collect(),
        Some(v) => vec![v],
    };
    for v in values {
        let Value::String(s) = v else {
            return Err(xl_internal("config value usbdevice was malformed"));
        };
        if matches!(s.as_str(), "tablet" | "mouse" | "keyboard") {
            d.devices.push(format!("<input type='{s}' bus='usb'/>"));
        }
    }
    Ok(())
}

/// A hexadecimal value of a device string (libvirt skips the entry when
/// one does not parse).
fn hex(v: &str) -> Option<i64> {
    parse_c_int(v, 16)
}

fn usbdev(entry: &str, d: &mut DomainXml) {
    let (mut bus, mut dev) = (0, 0);
    for (k, v) in key_values(entry) {
        match k {
            "hostbus" => match hex(v) {
                Some(n) => bus = n,
                None => return,
            },
            "hostaddr" => match hex(v) {
                Some(n) => dev = n,
                None => return,
            },
            _ => {}
        }
    }
    d.devices.push(format!(
        "<hostdev mode='subsystem' type='usb' managed='no'><source><address bus='{bus}' device='{dev}'/></source></hostdev>"
    ));
}

fn usbctrl(entry: &str, d: &mut DomainXml) {
    let (mut version, mut ports) = (2, 8);
    for (k, v) in key_values(entry) {
        match k {
            "type" if !v.starts_with("qusb") => return,
            "version" => match hex(v) {
                Some(n) => version = n,
                None => return,
            },
            "ports" => match hex(v) {
                Some(n) => ports = n,
                None => return,
            },
            _ => {}
        }
    }
    let model = if version == 1 { "qusb1" } else { "qusb2" };
    d.devices.push(format!(
        "<controller type='usb' model='{model}' ports='{ports}'/>"
    ));
}

fn channel(entry: &str, d: &mut DomainXml) -> Result<()> {
    let (mut kind, mut name, mut path) = (None, None, None);
    for (k, v) in key_values(entry) {
        match k {
            "connection" => kind = Some(v),
            "name" if name.is_none() => name = Some(v),
            "path" if path.is_none() => path = Some(v),
            _ => {}
        }
    }
    let target = match name {
        Some(n) => format!("<target type='xen' name='{}'/>", esc(n)),
        None => "<target type='xen'/>".to_string(),
    };
    let x = match kind {
        Some(k) if k.starts_with("socket") => format!(
            "<channel type='unix'><source mode='bind'{}/>{target}</channel>",
            path.map(|p| format!(" path='{}'", esc(p))).unwrap_or_default()
        ),
        Some(k) if k.starts_with("pty") => format!("<channel type='pty'>{target}</channel>"),
        _ => {
            return Err(unsupported(
                VIR_FROM_XENXL,
                format!("unsupported channel connection in '{entry}'"),
            ))
        }
    };
    d.devices.push(x);
    Ok(())
}

/// Formats a definition as a xl config file.
pub fn format(def: &DomainDef) -> Result<String> {
    let root = canonical(def)?;
    let d = Dom { root: &root };
    let mut out = Out::new();
    fmt::common(&d, &mut out, Dialect::Xl)?;
    format_os(&d, &mut out);
    format_cpuid(&d, &mut out);
    format_vnuma(&d, &mut out);
    for c in d.devices("controller") {
        if c.attr("type") != Some("xenbus") {
            continue;
        }
        for (attr, key) in [
            ("maxEventChannels", "max_event_channels"),
            ("maxGrantFrames", "max_grant_frames"),
        ] {
            if let Some(n) = c
                .attr(attr)
                .and_then(|v| v.parse::<i64>().ok())
                .filter(|n| *n > 0)
            {
                out.int(key, n);
            }
        }
    }
    let mut disks = Vec::new();
    for disk in d.devices("disk") {
        if disk.attr("device") != Some("floppy") {
            disks.push(xl_disk::format(disk)?);
        }
    }
    out.list("disk", disks);
    format_spice(&d, &mut out);
    if d.hvm() {
        let usb = fmt::usb_inputs(&d);
        if !usb.is_empty() {
            out.int("usb", 1);
            if usb.len() == 1 {
                out.str("usbdevice", usb[0].clone());
            } else {
                out.list("usbdevice", usb);
            }
        }
    }
    let usbdevs: Vec<String> = d
        .devices("hostdev")
        .into_iter()
        .filter(|h| h.attr("mode") == Some("subsystem") && h.attr("type") == Some("usb"))
        .map(|h| {
            let a = h.child("source").and_then(|s| s.child("address"));
            let n = |k: &str| {
                a.and_then(|a| a.attr(k))
                    .and_then(|v| common::parse_c_ulong(v, 10))
                    .unwrap_or(0)
            };
            format!("hostbus={:x},hostaddr={:x}", n("bus"), n("device"))
        })
        .collect();
    out.list("usbdev", usbdevs);
    let mut ctrls = Vec::new();
    for c in d.devices("controller") {
        if c.attr("type") != Some("usb") {
            continue;
        }
        let mut s = match c.attr("model") {
            Some("qusb1") => "type=qusb,version=1,".to_string(),
            Some("qusb2") => "type=qusb,version=2,".to_string(),
            None => String::new(),
            Some(m) => {
                return Err(unsupported(
                    VIR_FROM_XENXL,
                    format!("unsupported USB controller model '{m}'"),
                ))
            }
        };
        if let Some(p) = c.attr("ports").and_then(|p| p.parse::<u64>().ok()) {
            s.push_str(&format!("ports={p:x}"));
        }
        ctrls.push(s);
    }
    out.list("usbctrl", ctrls);
    let mut chans = Vec::new();
    for ch in d.devices("channel") {
        let target = ch.child("target");
        if target.and_then(|t| t.attr("type")) != Some("xen") {
            continue;
        }
        let mut s = String::from("connection=");
        match ch.attr("type") {
            Some("pty") => s.push_str("pty,"),
            Some("unix") => {
                s.push_str("socket,");
                if let Some(p) = ch.child("source").and_then(|s| s.attr("path")) {
                    s.push_str(&format!("path={p},"));
                }
            }
            other => {
                return Err(unsupported(
                    VIR_FROM_XENXL,
                    format!("unsupported channel type '{}'", other.unwrap_or("")),
                ))
            }
        }
        s.push_str(&format!(
            "name={}",
            target.and_then(|t| t.attr("name")).unwrap_or("(null)")
        ));
        chans.push(s);
    }
    out.list("channel", chans);
    let args: Vec<String> = root
        .child("xen:commandline")
        .map(|c| {
            c.children_named("xen:arg")
                .filter_map(|a| a.attr("value").map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    out.list("device_model_args", args);
    Ok(out.text())
}

fn format_os(d: &Dom, out: &mut Out) {
    if d.hvm() {
        out.str("builder", "hvm");
        let loader = d.os().and_then(|o| o.child("loader"));
        if loader.and_then(|l| l.attr("type")) == Some("pflash") {
            out.str("bios", "ovmf");
        }
        if let Some(s) = d
            .os()
            .and_then(|o| o.child("acpi"))
            .and_then(|a| a.child_text("table"))
        {
            out.str("acpi_firmware", s);
        }
        for (key, el) in [
            ("kernel", "kernel"),
            ("ramdisk", "initrd"),
            ("cmdline", "cmdline"),
        ] {
            if let Some(v) = d.os_text(el) {
                out.str(key, v);
            }
        }
        out.str("boot", fmt::boot_string(d));
        if let Some(cpu) = d
            .root
            .child("cpu")
            .filter(|c| c.attr("mode") == Some("host-passthrough"))
        {
            let no_hw_virt = cpu.children_named("feature").any(|f| {
                matches!(f.attr("policy"), Some("disable" | "forbid"))
                    && matches!(f.attr("name"), Some("vmx" | "svm"))
            });
            out.int("nestedhvm", (!no_hw_virt) as i64);
        }
        return;
    }
    if d.os_type() == "xenpvh" {
        out.str("type", "pvh");
    }
    for (key, el) in [("bootloader", "bootloader"), ("bootargs", "bootloader_args")] {
        if let Some(v) = d.text(el) {
            out.str(key, v);
        }
    }
    for (key, el) in [
        ("kernel", "kernel"),
        ("ramdisk", "initrd"),
        ("cmdline", "cmdline"),
    ] {
        if let Some(v) = d.os_text(el) {
            out.str(key, v);
        }
    }
}

fn format_cpuid(d: &Dom, out: &mut Out) {
    let Some(cpu) = d.root.child("cpu") else {
        return;
    };
    if cpu.attr("mode") != Some("host-passthrough") {
        return;
    }
    let mut pairs = vec!["host".to_string()];
    for f in cpu.children_named("feature") {
        let name = f.attr("name").unwrap_or("");
        let name = CPU_FEATURE_NAMES
            .iter()
            .find(|(lv, _)| *lv == name)
            .map_or(name, |(_, xl)| xl);
        if name == "vmx" || name == "svm" {
            continue;
        }
        let policy = match f.attr("policy") {
            Some("optional") => "x",
            Some("disable" | "forbid") => "0",
            _ => "1",
        };
        pairs.push(format!("{name}={policy}"));
    }
    if pairs.len() > 1 {
        out.str("cpuid", pairs.join(","));
    }
}

fn format_vnuma(d: &Dom, out: &mut Out) {
    let cells: Vec<&Element> = d
        .root
        .child("cpu")
        .and_then(|c| c.child("numa"))
        .map(|n| n.children_named("cell").collect())
        .unwrap_or_default();
    if cells.is_empty() {
        return;
    }
    let n = cells.len();
    // Explicit distances, completed as libvirt does: symmetric, 10 to
    // itself and 20 to the others.
    let explicit = |i: usize, j: usize| -> Option<u64> {
        cells[i]
            .child("distances")?
            .children_named("sibling")
            .find(|s| s.attr("id").and_then(|v| v.parse::<usize>().ok()) == Some(j))?
            .attr("value")?
            .parse()
            .ok()
    };
    let mut nodes = Vec::new();
    for (i, cell) in cells.iter().enumerate() {
        let kib: u64 = cell.attr("memory").and_then(|m| m.parse().ok()).unwrap_or(0);
        let dist: Vec<String> = (0..n)
            .map(|j| {
                explicit(i, j)
                    .or_else(|| explicit(j, i))
                    .unwrap_or(if i == j { 10 } else { 20 })
                    .to_string()
            })
            .collect();
        nodes.push(Value::List(vec![
            Value::String(format!("pnode={i}")),
            Value::String(format!("size={}", kib / 1024)),
            Value::String(format!("vcpus={}", cell.attr("cpus").unwrap_or(""))),
            Value::String(format!("vdistances={}", dist.join(","))),
        ]));
    }
    out.conf.set("vnuma", Value::List(nodes));
}

fn format_spice(d: &Dom, out: &mut Out) {
    if !d.hvm() {
        return;
    }
    let Some(g) = d.devices("graphics").first().copied() else {
        return;
    };
    if g.attr("type") != Some("spice") {
        return;
    }
    out.int("sdl", 0);
    out.int("vnc", 0);
    out.int("spice", 1);
    if let Some(h) = g.child("listen").and_then(|l| l.attr("address")) {
        out.str("spicehost", h);
    }
    let num = |a: &str| g.attr(a).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    out.int("spiceport", num("port").max(0));
    out.int("spicetls_port", num("tlsPort").max(0));
    match g.attr("passwd") {
        Some(p) => {
            out.int("spicedisable_ticketing", 0);
            out.str("spicepasswd", p);
        }
        None => out.int("spicedisable_ticketing", 1),
    }
    match g.child("mouse").and_then(|m| m.attr("mode")) {
        Some("server") => out.int("spiceagent_mouse", 0),
        Some("client") => {
            out.int("spiceagent_mouse", 1);
            out.int("spicevdagent", 1);
        }
        _ => {}
    }
    if g.child("clipboard").and_then(|c| c.attr("copypaste")) == Some("yes") {
        out.int("spice_clipboard_sharing", 1);
        out.int("spicevdagent", 1);
    }
}
