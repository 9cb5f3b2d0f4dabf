//! Domain definition → `(vm ...)`, the document XenD defines a domain from,
//! written as libvirt's converter wrote it (quoted strings, bare numbers
//! and flags, devices after the image).

use super::chardev;
use crate::abi::*;
use crate::domain::devices::{Disk, Graphics, Interface};
use crate::domain::{DomainDef, Offset};
use crate::error::{Error, Result};
use crate::native::xen::sexpr::quote_into;

fn internal(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_SEXPR, VIR_ERR_INTERNAL_ERROR, detail)
}

fn unsupported(detail: impl AsRef<str>) -> Error {
    Error::with(VIR_FROM_SEXPR, VIR_ERR_CONFIG_UNSUPPORTED, detail)
}

/// Appends `(key 'value')`.
fn quoted(out: &mut String, key: &str, value: &str) {
    out.push('(');
    out.push_str(key);
    out.push(' ');
    quote_into(out, value);
    out.push(')');
}

/// Formats a definition as a XenD domain s-expression.
pub fn format(def: &DomainDef) -> Result<String> {
    let mut out = String::with_capacity(1024);
    out.push_str("(vm ");
    quoted(&mut out, "name", &def.name);
    out.push_str(&format!(
        "(memory {})(maxmem {})",
        def.memory.current.div_ceil(1024),
        def.memory.total.div_ceil(1024)
    ));
    let vcpus = vcpus(def);
    out.push_str(&vcpus);
    if let Some(cpuset) = &def.vcpu.cpuset {
        quoted(&mut out, "cpus", cpuset);
    }
    quoted(&mut out, "uuid", &def.uuid.to_string());
    if let Some(d) = &def.description {
        quoted(&mut out, "description", d);
    }
    if let Some(b) = &def.bootloader {
        if b.is_empty() {
            out.push_str("(bootloader)");
        } else {
            quoted(&mut out, "bootloader", b);
        }
        if let Some(a) = &def.bootloader_args {
            quoted(&mut out, "bootloader_args", a);
        }
    }
    quoted(&mut out, "on_poweroff", &def.on_poweroff);
    quoted(&mut out, "on_reboot", &def.on_reboot);
    quoted(&mut out, "on_crash", &def.on_crash);

    let hvm = def.os.os_type == "hvm";
    let image = if hvm { "(image (hvm " } else { "(image (linux " };
    let mut in_image = false;
    if def.bootloader.is_none() {
        out.push_str(image);
        in_image = true;
        let loader = def.os.loader.as_ref().and_then(|l| l.path.as_deref());
        if hvm && loader.is_none() {
            return Err(internal("no HVM domain loader"));
        }
        let os = &def.os;
        for (key, value) in [
            ("kernel", &os.kernel),
            ("ramdisk", &os.initrd),
            ("root", &os.root),
            ("args", &os.cmdline),
        ] {
            if let Some(v) = value {
                quoted(&mut out, key, v);
            }
        }
        if let (true, Some(loader)) = (hvm, loader) {
            // With a kernel for direct boot hvmloader is the loader, else
            // XenD wants it as the image's kernel.
            quoted(
                &mut out,
                if os.kernel.is_some() { "loader" } else { "kernel" },
                loader,
            );
            out.push_str(&vcpus);
            hvm_image(def, &mut out)?;
        }
        if let (true, Some(e)) = (hvm, &def.devices.emulator) {
            quoted(&mut out, "device_model", e);
        }
        if let Some(present) = def
            .clock
            .timers
            .iter()
            .find(|t| t.name == "hpet")
            .and_then(|t| t.present)
        {
            out.push_str(&format!("(hpet {})", i32::from(present)));
        }
        if hvm && def.devices.graphics.len() == 1 {
            graphics(&def.devices.graphics[0], false, &mut out)?;
        }
    } else if let Some(args) = &def.os.cmdline {
        // Paravirtual guests under a bootloader still take kernel arguments.
        out.push_str("(image (linux ");
        quoted(&mut out, "args", args);
        in_image = true;
    }
    if !in_image {
        out.push_str(image);
    }
    let localtime = clock(def, hvm, &mut out)?;
    out.push_str(&format!("(localtime {localtime})))"));
    // The pre-XenD-3.1 place of the same setting.
    out.push_str(&format!("(localtime {localtime})"));

    for d in &def.devices.disks {
        disk(d, hvm, &mut out)?;
    }
    for n in &def.devices.interfaces {
        net(n, hvm, &mut out)?;
    }
    pci(def, &mut out)?;
    if !hvm && def.devices.graphics.len() == 1 {
        out.push_str("(device (vkbd))(device (vfb ");
        graphics(&def.devices.graphics[0], true, &mut out)?;
        out.push_str("))");
    }
    out.push(')');
    Ok(out)
}

/// `(vcpus N)` and, with vCPUs offline, the bitmap of the online ones.
fn vcpus(def: &DomainDef) -> String {
    let max = def.vcpu.max;
    let mut s = format!("(vcpus {max})");
    let online = def.current_vcpus();
    if online < max {
        let mask = if online >= 64 {
            u64::MAX
        } else {
            (1u64 << online) - 1
        };
        s.push_str(&format!("(vcpu_avail {mask})"));
    }
    s
}

/// The HVM image settings between the boot order and the device model.
fn hvm_image(def: &DomainDef, out: &mut String) -> Result<()> {
    let order: String = def
        .os
        .boot
        .iter()
        .map(|b| match b.as_str() {
            "fd" => 'a',
            "cdrom" => 'd',
            "network" => 'n',
            _ => 'c',
        })
        .collect();
    out.push_str(&format!("(boot {})", if order.is_empty() { "c" } else { &order }));
    for f in ["acpi", "apic", "pae", "hap", "viridian"] {
        if def.features.is_on(f) || (f == "pae" && pae_forced(def)) {
            out.push_str(&format!("({f} 1)"));
        }
    }
    out.push_str("(usb 1)");
    for input in def
        .devices
        .inputs
        .iter()
        .filter(|i| i.bus.as_deref() == Some("usb"))
    {
        match input.kind.as_str() {
            "mouse" | "tablet" | "keyboard" => out.push_str(&format!("(usbdevice {})", input.kind)),
            other => return Err(internal(format!("unexpected input type {other}"))),
        }
    }
    match def.devices.parallels.first() {
        Some(p) => {
            out.push_str("(parallel ");
            chardev::format(p, out)?;
            out.push(')');
        }
        None => out.push_str("(parallel none)"),
    }
    let serials = &def.devices.serials;
    let port = |c: &crate::domain::devices::Chardev| c.target_port.unwrap_or(0);
    match serials.as_slice() {
        [] => out.push_str("(serial none)"),
        [only] if port(only) == 0 => {
            out.push_str("(serial ");
            chardev::format(only, out)?;
            out.push(')');
        }
        _ => {
            // A list by port number, `none` for the ports not in use.
            out.push_str("(serial (");
            let max = serials.iter().map(port).max().unwrap_or(0);
            for p in 0..=max {
                if p > 0 {
                    out.push(' ');
                }
                match serials.iter().find(|c| port(c) == p) {
                    Some(c) => chardev::format(c, out)?,
                    None => out.push_str("none"),
                }
            }
            out.push_str("))");
        }
    }
    if !def.devices.sounds.is_empty() {
        let models: Vec<&str> = def.devices.sounds.iter().map(|s| s.model.as_str()).collect();
        quoted(out, "soundhw", &models.join(","));
    }
    Ok(())
}

/// The Xen driver turns PAE on for every x86_64 HVM guest, and a
/// definition without an architecture gets x86_64 from its capabilities.
fn pae_forced(def: &DomainDef) -> bool {
    def.os.os_type == "hvm" && def.os.arch.as_deref().is_none_or(|a| a == "x86_64")
}

/// Writes `rtc_timeoffset` for HVM guests; returns the `localtime` flag.
fn clock(def: &DomainDef, hvm: bool, out: &mut String) -> Result<i32> {
    let offset_name = |o: &Offset| match o {
        Offset::Utc(_) => "utc",
        Offset::Localtime(_) => "localtime",
        Offset::Variable { .. } => "variable",
        Offset::Timezone(_) => "timezone",
        Offset::Absolute(_) => "absolute",
    };
    let reset = || unsupported("unsupported clock adjustment='reset'");
    let offset = &def.clock.offset;
    if hvm {
        let (localtime, adjustment) = match offset {
            Offset::Variable { adjustment, basis } => (i32::from(basis == "localtime"), *adjustment),
            Offset::Utc(true) | Offset::Localtime(true) => return Err(reset()),
            Offset::Utc(false) => (0, 0),
            Offset::Localtime(false) => (1, 0),
            other => {
                return Err(unsupported(format!(
                    "unsupported clock offset='{}'",
                    offset_name(other)
                )))
            }
        };
        out.push_str(&format!("(rtc_timeoffset {adjustment})"));
        Ok(localtime)
    } else {
        match offset {
            Offset::Utc(_) => Ok(0),
            Offset::Localtime(_) => Ok(1),
            other => Err(unsupported(format!(
                "unsupported clock offset='{}'",
                offset_name(other)
            ))),
        }
    }
}

/// One `(device (vbd|tap|tap2 ...))`; HVM floppies live in the image.
fn disk(d: &Disk, hvm: bool, out: &mut String) -> Result<()> {
    if hvm && d.device == "floppy" {
        return Ok(());
    }
    let driver = d.driver.get("name");
    out.push_str(match driver {
        Some("tap") => "(device (tap ",
        Some("tap2") => "(device (tap2 ",
        _ => "(device (vbd ",
    });
    let dev = if hvm {
        format!(
            "{}:{}",
            d.target,
            if d.device == "cdrom" { "cdrom" } else { "disk" }
        )
    } else if d.device == "cdrom" {
        format!("{}:cdrom", d.target)
    } else {
        d.target.clone()
    };
    quoted(out, "dev", &dev);
    if let Some(src) = d.source.path.as_deref().filter(|_| d.has_source) {
        let uname = match driver {
            Some(name @ ("tap" | "tap2")) => {
                let format = match d.driver.get("type") {
                    None | Some("raw") => "aio",
                    Some(f) => f,
                };
                format!("{name}:{format}:{src}")
            }
            Some(name) => format!("{name}:{src}"),
            None => match d.source.kind.as_str() {
                "file" => format!("file:{src}"),
                "block" if src.starts_with('/') => format!("phy:{src}"),
                "block" => format!("phy:/dev/{src}"),
                other => return Err(unsupported(format!("unsupported disk type {other}"))),
            },
        };
        quoted(out, "uname", &uname);
    }
    out.push_str(if d.readonly {
        "(mode 'r')"
    } else if d.shareable {
        "(mode 'w!')"
    } else {
        "(mode 'w')"
    });
    if d.transient {
        return Err(unsupported("transient disks not supported yet"));
    }
    out.push_str("))");
    Ok(())
}

/// One `(device (vif ...))`.
fn net(n: &Interface, hvm: bool, out: &mut String) -> Result<()> {
    if !matches!(n.kind.as_str(), "bridge" | "network" | "ethernet") {
        return Err(internal(format!("unsupported network type {}", n.kind)));
    }
    if n.script.is_some() && n.kind == "network" {
        return Err(unsupported(format!(
            "scripts are not supported on interfaces of type {}",
            n.kind
        )));
    }
    out.push_str("(device (vif ");
    quoted(out, "mac", n.mac.as_deref().unwrap_or_default());
    if let Some(avg) = n
        .bandwidth
        .as_ref()
        .and_then(|b| b.outbound.as_ref())
        .and_then(|o| o.get("average"))
        .filter(|a| *a != "0")
    {
        quoted(out, "rate", &format!("{avg}KB/s"));
    }
    let ip = || -> Result<Option<&str>> {
        match n.ips.as_slice() {
            [] => Ok(None),
            [one] => Ok(one.attrs.get("address")),
            _ => Err(unsupported(
                "Driver does not support setting multiple IP addresses",
            )),
        }
    };
    match n.kind.as_str() {
        "bridge" => {
            quoted(out, "bridge", n.source.get("bridge").unwrap_or_default());
            quoted(out, "script", n.script.as_deref().unwrap_or("vif-bridge"));
            if let Some(a) = ip()? {
                quoted(out, "ip", a);
            }
        }
        "ethernet" => {
            if let Some(s) = &n.script {
                quoted(out, "script", s);
            }
            if let Some(a) = ip()? {
                quoted(out, "ip", a);
            }
        }
        _ => {
            // A virtual network's bridge needs a connection to look it up.
            let name = n.source.get("network").unwrap_or_default();
            return Err(Error::new(VIR_FROM_SEXPR, VIR_ERR_NO_NETWORK, Some(name)));
        }
    }
    if let Some(ifname) = n.target_dev.as_deref().filter(|t| !t.starts_with("vif")) {
        quoted(out, "vifname", ifname);
    }
    match n.model.as_deref() {
        Some("netfront") if hvm => out.push_str("(type netfront)"),
        Some(m) => quoted(out, "model", m),
        None => {}
    }
    out.push_str("))");
    Ok(())
}

/// All host PCI devices in one `(device (pci ...))`.
fn pci(def: &DomainDef, out: &mut String) -> Result<()> {
    let devs: Vec<_> = def
        .devices
        .hostdevs
        .iter()
        .filter(|h| h.mode == "subsystem" && h.kind == "pci")
        .collect();
    if devs.is_empty() {
        return Ok(());
    }
    out.push_str("(device (pci ");
    for h in devs {
        if h.managed {
            return Err(unsupported("managed PCI devices not supported with XenD"));
        }
        let a = h.pci.clone().unwrap_or_default();
        out.push_str(&format!(
            "(dev (domain 0x{:04x})(bus 0x{:02x})(slot 0x{:02x})(func 0x{:x}))",
            a.domain, a.bus, a.slot, a.function
        ));
    }
    out.push_str("))");
    Ok(())
}

/// VNC or SDL settings, in the image (`vfb` false) or a `vfb` device.
fn graphics(g: &Graphics, vfb: bool, out: &mut String) -> Result<()> {
    match g.kind.as_str() {
        "sdl" => {
            out.push_str(if vfb { "(type sdl)" } else { "(sdl 1)" });
            if let Some(d) = &g.display {
                quoted(out, "display", d);
            }
            if let Some(x) = &g.xauth {
                quoted(out, "xauthority", x);
            }
        }
        "vnc" => {
            out.push_str(if vfb { "(type vnc)" } else { "(vnc 1)" });
            if g.autoport {
                out.push_str("(vncunused 1)");
            } else {
                out.push_str(&format!("(vncunused 0)(vncdisplay {})", g.port - 5900));
            }
            if let Some(a) = g.listens.first().and_then(|l| l.address.as_deref()) {
                quoted(out, "vnclisten", a);
            }
            if let Some(p) = &g.passwd {
                quoted(out, "vncpasswd", p);
            }
            if let Some(k) = &g.keymap {
                quoted(out, "keymap", k);
            }
        }
        other => return Err(internal(format!("unexpected graphics type {other}"))),
    }
    Ok(())
}
